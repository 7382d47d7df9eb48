//! Rules for names that other tools parse back: a netns name must survive `ip netns list`
//! (one name per line, fields split on whitespace) and `ip netns exec NAME` (not an option).

use crate::error::{Error, Result};

/// Refuses a netns name that `ip netns` would choke on: control characters (a `\n` makes two
/// lines of `ip netns list`), whitespace (split into fields), and a leading `-` (read as an
/// option). The one-path-component rule (empty, `.`, `..`, `/`, NUL, length) is checked with
/// it by `netns::path`.
pub(crate) fn check_netns_name(name: &str) -> Result<()> {
    let reason = if name.chars().any(char::is_control) {
        "contains a control character (ip netns cannot list it)"
    } else if name.chars().any(char::is_whitespace) {
        "contains whitespace (ip netns cannot list it)"
    } else if name.starts_with('-') {
        "starts with '-' (ip netns would read it as an option)"
    } else {
        return Ok(());
    };
    Err(Error::invalid("netns", "name", name, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netns_names_ip_can_parse_back() {
        for good in [
            "lab",
            "r1.eth0",
            "a_b-c",
            "ünïcode",
            "x".repeat(255).as_str(),
        ] {
            assert!(check_netns_name(good).is_ok(), "{good:?}");
        }
        for (bad, why) in [
            ("a\nb", "control"),
            ("a\tb", "control"),
            ("\r", "control"),
            ("a\x7fb", "control"),
            ("a\u{85}b", "control"),
            ("a b", "whitespace"),
            ("a\u{a0}b", "whitespace"),
            ("a\u{2028}b", "whitespace"),
            ("-x", "option"),
            ("--help", "option"),
        ] {
            let err = check_netns_name(bad).unwrap_err();
            assert_eq!(err.errno(), crate::Errno::EINVAL, "{bad:?}");
            let msg = err.to_string();
            assert!(
                msg.starts_with("netns: name ") && msg.contains(why),
                "{msg}"
            );
        }
        // The message shows the name escaped, on one line.
        let msg = check_netns_name("a\nb").unwrap_err().to_string();
        assert!(msg.contains(r#""a\nb""#) && !msg.contains('\n'), "{msg}");
    }
}
