//! `nsrun same A B`: exit 0 if A and B are the same namespace, 1 if not.

use nsrun::{Kind, Namespace};

use crate::exit::Res;

/// "PID:KIND" or a path.
fn ns_spec(spec: &str) -> Res<Namespace> {
    if let Some((pid, kind)) = spec.split_once(':') {
        if let (Ok(pid), Ok(kind)) = (pid.parse::<i32>(), kind.parse::<Kind>()) {
            return Ok(Namespace::of_pid(pid, kind)?);
        }
    }
    Ok(Namespace::open(spec, None)?)
}

pub fn same(a: &str, b: &str) -> Res<u8> {
    Ok(if ns_spec(a)? == ns_spec(b)? { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_kind_specs_and_paths_for_every_kind() {
        let me = std::process::id();
        for kind in Kind::ALL {
            let by_pid = ns_spec(&format!("{me}:{kind}")).unwrap();
            let by_path = ns_spec(&format!("/proc/{me}/ns/{kind}")).unwrap();
            assert_eq!(by_pid, by_path, "{kind}");
            assert_eq!(by_pid.kind(), kind);
        }
        assert!(ns_spec("/nonexistent/nsrun").is_err());
    }
}
