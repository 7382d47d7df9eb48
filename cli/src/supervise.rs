//! Waiting for a launched program while nsrun's own signals turn into actions.

use std::time::Duration;

use nsrun::Child;

use crate::exit::{status_code, Res};

/// The signals nsrun acts on while a program runs. Blocked from the start of `main`, so one
/// that arrives while the program is being set up is acted on, not fatal.
pub const SUPERVISED: [i32; 4] = [libc::SIGTERM, libc::SIGHUP, libc::SIGINT, libc::SIGQUIT];

/// Blocks [`SUPERVISED`] for this (the only) thread; launched programs start with every signal
/// unblocked and at its default (nsrun's launch resets them).
pub fn block_supervised_signals() -> Res<()> {
    Ok(nsrun::block_signals(&SUPERVISED)?)
}

/// For [`nsrun::Launch::spawn_until`]: while the launch starts (its boot command), SIGTERM,
/// SIGHUP, SIGINT or SIGQUIT to nsrun gives up: the launch is killed and nothing is left.
pub fn interrupted_by_signal() -> nsrun::Result<()> {
    match nsrun::take_pending_signal(&SUPERVISED) {
        Some(_) => Err(nsrun::Error::Launch {
            stage: nsrun::Stage::Boot,
            errno: nsrun::Errno::EINTR,
            status: None,
            path: None,
        }),
        None => Ok(()),
    }
}

/// Waits for the program; SIGTERM or SIGHUP to nsrun stops it properly (shutdown command,
/// SIGTERM, SIGKILL after `grace`); SIGINT and SIGQUIT are passed on.
pub fn supervise(mut child: Child, grace: Duration) -> Res<u8> {
    loop {
        if let Some(s) = child.wait(Some(Duration::from_millis(50)))? {
            return Ok(status_code(s));
        }
        // ^Z on a program that is not a shell: stop and resume with it, as sudo does.
        child.follow_stop();
        match nsrun::take_pending_signal_info(&SUPERVISED) {
            Some((libc::SIGTERM | libc::SIGHUP, _)) => return Ok(status_code(child.stop(grace)?)),
            // A terminal's ^C or ^\ went to its whole foreground group: when the init is in
            // ours, it (and the program with it) has the signal already.
            Some((sig @ (libc::SIGINT | libc::SIGQUIT), from_terminal))
                if !(from_terminal && nsrun::in_my_process_group(child.pid())) =>
            {
                child.send_signal(sig)?
            }
            _ => {}
        }
    }
}
