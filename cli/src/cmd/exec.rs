//! `nsrun exec`: run a command inside a running launch, through its init.

use std::time::Duration;

use nsrun::launch::{exec_target, ExecCommand};

use crate::args::ExecArgs;
use crate::exit::{fail, status_code, Res};
use crate::supervise::SUPERVISED;

pub fn exec(a: ExecArgs) -> Res<u8> {
    let mut cmd = ExecCommand::new(a.cmd);
    if let Some(cwd) = a.cwd {
        cmd.cwd(cwd);
    }
    if !a.env.is_empty() {
        let mut vars = Vec::new();
        for e in &a.env {
            let Some((k, v)) = e.split_once('=') else {
                return Err(fail(format!("--env {e:?}: expected NAME=VALUE")));
            };
            vars.push((k.to_string(), v.to_string()));
        }
        cmd.env_clear_and_set(vars);
    }
    let mut child = exec_target(a.target, &cmd)?;
    // SIGTERM or SIGHUP to nsrun stop the command (SIGTERM, SIGKILL after 10 s); SIGINT and
    // SIGQUIT are passed on.
    loop {
        if let Some(s) = child.wait(Some(Duration::from_millis(50)))? {
            return Ok(status_code(s));
        }
        match nsrun::take_pending_signal(&SUPERVISED) {
            Some(libc::SIGTERM | libc::SIGHUP) => {
                return Ok(status_code(child.stop(Duration::from_secs(10))?))
            }
            Some(sig @ (libc::SIGINT | libc::SIGQUIT)) => child.send_signal(sig)?,
            _ => {}
        }
    }
}
