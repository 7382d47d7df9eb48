//! `nsrun netns`: named network namespaces in /run/netns, compatible with `ip netns`.

use std::time::Duration;

use nsrun::{Kind, NsMode};

use super::launch_inheriting_all;
use crate::args::NetnsCmd;
use crate::exit::Res;
use crate::supervise::supervise;

pub fn netns(c: NetnsCmd) -> Res<u8> {
    match c {
        NetnsCmd::Add { name } => {
            nsrun::netns::add(&name)?;
        }
        NetnsCmd::Del { name } => nsrun::netns::delete(&name)?,
        NetnsCmd::Ls { json } => {
            let names = nsrun::netns::list()?;
            if json {
                println!("{}", serde_json::json!(names));
            } else {
                for n in names {
                    println!("{n}");
                }
            }
        }
        NetnsCmd::Exec { name, cmd } => {
            let mut l = launch_inheriting_all(cmd);
            // A new mount namespace for a fresh /sys of this netns, as ip netns exec does.
            l.namespace(Kind::Mnt, NsMode::New)
                .namespace(Kind::Net, NsMode::Join(nsrun::netns::open(&name)?));
            return supervise(l.spawn()?, Duration::from_secs(10));
        }
    }
    Ok(0)
}
