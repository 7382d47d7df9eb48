//! `nsrun sysctl`: kernel parameters in a network namespace, like `ip netns exec NS sysctl`.

use clap::Args;

use super::net_arg;
use crate::exit::{fail, Res};

#[derive(Args)]
pub struct SysctlArgs {
    /// KEY to print, or KEY=VALUE to write (net.ipv4.ip_forward=1). Only net.* keys belong to a
    /// network namespace; others need --host.
    #[arg(required = true, value_name = "KEY[=VALUE]")]
    pub settings: Vec<String>,
    /// Network namespace: a name in /run/netns or a path (default: this one).
    #[arg(long, conflicts_with = "host")]
    pub ns: Option<String>,
    /// Any key, as this process sees /proc/sys (on the host: the host's values).
    #[arg(long)]
    pub host: bool,
    /// Print values only, not KEY = VALUE.
    #[arg(short = 'n', long = "values")]
    pub values: bool,
}

pub fn sysctl(a: SysctlArgs) -> Res<u8> {
    let ns = net_arg(a.ns.as_deref())?;
    for setting in &a.settings {
        let (key, value) = match setting.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (setting.as_str(), None),
        };
        if key.is_empty() {
            return Err(fail(format!("sysctl: {setting:?} has no key")));
        }
        let shown = match value {
            Some(v) => {
                if a.host {
                    nsrun::sysctl::set_host(key, v)?
                } else {
                    nsrun::sysctl::set(ns.as_ref(), key, v)?
                }
                v.to_owned()
            }
            None if a.host => nsrun::sysctl::get_host(key)?,
            None => nsrun::sysctl::get(ns.as_ref(), key)?,
        };
        if a.values {
            println!("{shown}");
        } else {
            println!("{key} = {shown}");
        }
    }
    Ok(0)
}
