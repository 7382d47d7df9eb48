//! Kernel parameters under /proc/sys (sysctl(8)), per network namespace.
//!
//! `net.*` keys belong to the network namespace of whoever opens the file: /proc/sys/net
//! resolves through the opening **thread's** current network namespace, whichever procfs mount
//! the path goes through. So [`get`] and [`set`] enter the namespace on the calling thread (as
//! the rtnetlink calls in [`crate::link`] do), open, read or write, close, and return; the
//! thread is back in its own namespace before the call returns, also on error. Other keys
//! (`kernel.*`, `vm.*`, …) are the host's whatever the thread's network namespace: [`get`] and
//! [`set`] refuse them, and [`get_host`] / [`set_host`] read and write them when that is what
//! the caller means.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::PathBuf;

use crate::error::{io_errno, Error, Result};
use crate::{Kind, Namespace};

/// Where sysctls live.
pub const PROC_SYS: &str = "/proc/sys";

/// The file of `key`. Keys are dotted (`net.ipv4.ip_forward`, where a `/` stands for a `.` in
/// a name, as sysctl(8) has it: `net.ipv4.conf.eth1/100.forwarding`) or a path relative to
/// /proc/sys (`net/ipv4/ip_forward`, recognised by a `/` before any `.`).
pub fn path(op: &'static str, key: &str) -> Result<PathBuf> {
    let bad = |reason| Error::invalid(op, "sysctl key", key, reason);
    if key.is_empty() {
        return Err(bad("is empty"));
    }
    if key.contains('\0') {
        return Err(bad("contains a NUL byte"));
    }
    let slash_form = match (key.find('/'), key.find('.')) {
        (Some(s), Some(d)) => s < d,
        (Some(_), None) => true,
        _ => false,
    };
    let parts: Vec<String> = if slash_form {
        key.split('/').map(str::to_owned).collect()
    } else {
        key.split('.').map(|p| p.replace('/', ".")).collect()
    };
    if parts
        .iter()
        .any(|p| p.is_empty() || p == "." || p == ".." || p.contains(char::is_whitespace))
    {
        return Err(bad(
            "is not a sysctl key like net.ipv4.ip_forward (an empty, '.', '..' or blank part)",
        ));
    }
    Ok(PathBuf::from(PROC_SYS).join(parts.join("/")))
}

fn is_net(path: &std::path::Path) -> bool {
    path.starts_with("/proc/sys/net")
}

fn per_netns_path(op: &'static str, key: &str) -> Result<PathBuf> {
    let path = path(op, key)?;
    if !is_net(&path) {
        return Err(Error::invalid(
            op,
            "sysctl key",
            key,
            "is not per network namespace (only net.* keys are): it is the host's; ask for \
             the host explicitly (Python host=True, nsrun sysctl --host, nsrun_sysctl_*_host)",
        ));
    }
    Ok(path)
}

fn sysctl_error(
    op: &'static str,
    key: &str,
    ns: Option<&Namespace>,
    path: PathBuf,
    e: &std::io::Error,
    in_netns: bool,
) -> Error {
    Error::Sysctl {
        op,
        key: key.to_owned(),
        netns: in_netns.then(|| crate::netns::label(ns)),
        path,
        errno: io_errno(e),
    }
}

fn read_value(path: &std::path::Path) -> std::io::Result<String> {
    read_file(OpenOptions::new().read(true).open(path)?)
}

fn read_file(mut f: std::fs::File) -> std::io::Result<String> {
    let mut s = String::new();
    f.read_to_string(&mut s)?;
    Ok(s.trim_end_matches('\n').to_owned())
}

fn write_value(path: &std::path::Path, value: &str) -> std::io::Result<()> {
    OpenOptions::new()
        .write(true)
        .open(path)?
        .write_all(value.as_bytes())
}

/// Rootless: `path` opened inside `ns` by the agent that holds its owner (see
/// [`crate::rootless::agent_for_ns`]), or None when the calling thread can enter `ns` itself.
fn open_by_agent(
    ns: Option<&Namespace>,
    path: &std::path::Path,
    write: bool,
) -> Option<std::io::Result<std::fs::File>> {
    let ns = ns?;
    let agent = crate::rootless::agent_for_ns(ns)?;
    let flags = if write {
        libc::O_WRONLY
    } else {
        libc::O_RDONLY
    };
    Some(
        agent
            .open_in(ns, path, flags)
            .map(std::fs::File::from)
            .map_err(|f| std::io::Error::from_raw_os_error(f.errno() as i32)),
    )
}

/// Runs `f` on the calling thread inside `ns` (None: where it is), then returns the thread to
/// its own network namespace; a failure to return is the error reported.
fn in_netns<T>(
    ns: Option<&Namespace>,
    f: impl FnOnce() -> std::io::Result<T>,
) -> Result<std::io::Result<T>> {
    let Some(ns) = ns else {
        return Ok(f());
    };
    ns.expect_kind(Kind::Net)?;
    let guard = ns.enter()?;
    let r = f();
    guard.leave()?;
    Ok(r)
}

/// `sysctl KEY` in network namespace `ns` (None: the calling thread's): the value without its
/// trailing newline. Only `net.*` keys (see the module doc).
pub fn get(ns: Option<&Namespace>, key: &str) -> Result<String> {
    const OP: &str = "read sysctl";
    let path = per_netns_path(OP, key)?;
    let r = match open_by_agent(ns, &path, false) {
        Some(f) => f.and_then(read_file),
        None => in_netns(ns, || read_value(&path))?,
    };
    r.map_err(|e| sysctl_error(OP, key, ns, path, &e, true))
}

/// `sysctl -w KEY=VALUE` in network namespace `ns` (None: the calling thread's). Only `net.*`
/// keys (see the module doc).
pub fn set(ns: Option<&Namespace>, key: &str, value: &str) -> Result<()> {
    const OP: &str = "write sysctl";
    let path = per_netns_path(OP, key)?;
    check_value(OP, value)?;
    let r = match open_by_agent(ns, &path, true) {
        Some(f) => f.and_then(|mut f| f.write_all(value.as_bytes())),
        None => in_netns(ns, || write_value(&path, value))?,
    };
    r.map_err(|e| sysctl_error(OP, key, ns, path, &e, true))
}

/// `sysctl KEY` of any key, as the calling thread sees /proc/sys (the host's values for a
/// thread in the host's namespaces).
pub fn get_host(key: &str) -> Result<String> {
    const OP: &str = "read sysctl";
    let path = path(OP, key)?;
    read_value(&path).map_err(|e| sysctl_error(OP, key, None, path, &e, false))
}

/// `sysctl -w KEY=VALUE` of any key, as the calling thread sees /proc/sys.
pub fn set_host(key: &str, value: &str) -> Result<()> {
    const OP: &str = "write sysctl";
    let path = path(OP, key)?;
    check_value(OP, value)?;
    write_value(&path, value).map_err(|e| sysctl_error(OP, key, None, path, &e, false))
}

fn check_value(op: &'static str, value: &str) -> Result<()> {
    if value.contains('\0') {
        return Err(Error::invalid(
            op,
            "sysctl value",
            value,
            "contains a NUL byte",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_paths() {
        let p = |k| path("t", k).unwrap().display().to_string();
        assert_eq!(p("net.ipv4.ip_forward"), "/proc/sys/net/ipv4/ip_forward");
        assert_eq!(p("net/ipv4/ip_forward"), "/proc/sys/net/ipv4/ip_forward");
        assert_eq!(
            p("net.ipv4.conf.eth1/100.forwarding"),
            "/proc/sys/net/ipv4/conf/eth1.100/forwarding"
        );
        assert_eq!(
            p("net/ipv4/conf/eth1.100/forwarding"),
            "/proc/sys/net/ipv4/conf/eth1.100/forwarding"
        );
        for bad in [
            "",
            "net..ipv4",
            "net/../../etc",
            "net.ipv4.",
            "a\0b",
            "net. ipv4",
        ] {
            assert!(path("t", bad).is_err(), "{bad:?}");
        }
        let e = per_netns_path("t", "kernel.hostname").unwrap_err();
        assert!(e.to_string().contains("not per network namespace"), "{e}");
        assert!(per_netns_path("t", "net.core.somaxconn").is_ok());
    }
}
