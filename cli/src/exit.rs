//! Exit statuses: the program's own (128+signal if it was killed), else core's
//! (`nsrun::launch::exit`): 125 when nsrun itself fails, 126 when the program cannot be run,
//! 127 when it is not found (as shells and container tools do).

use nsrun::launch::exit;
use nsrun::{Error, ExitStatus};

/// nsrun itself failed.
pub const FAILED: u8 = exit::SETUP_FAILED as u8;

/// A failed command: the message for stderr and the exit status it maps to.
#[derive(Debug)]
pub struct CommandError {
    pub message: String,
    pub code: u8,
}

impl From<Error> for CommandError {
    fn from(e: Error) -> Self {
        let mut message = e.to_string();
        // Rootless with only root mapped, a boot command that failed may have tried to switch
        // to a daemon's user (its own error said why): say what would map one.
        if matches!(
            e,
            Error::Launch {
                stage: nsrun::Stage::Boot,
                ..
            }
        ) && !nsrun::rootless::privileged()
            && nsrun::rootless::Maps::for_caller().single()
        {
            message.push_str(&format!(
                "\nnsrun: hint: {}",
                nsrun::rootless::single_map_hint()
            ));
        }
        CommandError {
            message,
            code: exit::for_error(&e) as u8,
        }
    }
}

/// A failure of nsrun's own (status 125) with this message.
pub fn fail(message: impl Into<String>) -> CommandError {
    CommandError {
        message: message.into(),
        code: FAILED,
    }
}

/// What every command returns: its exit status, or the error.
pub type Res<T> = Result<T, CommandError>;

/// The exit status that reports a program's end.
pub fn status_code(s: ExitStatus) -> u8 {
    match s {
        ExitStatus::Exited(c) => c as u8,
        ExitStatus::Signaled(sig) => (128 + sig) as u8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(status_code(ExitStatus::Exited(3)), 3);
        assert_eq!(status_code(ExitStatus::Signaled(libc::SIGKILL)), 137);
        assert_eq!(fail("x").code, FAILED);
        let invalid = CommandError::from(Error::invalid("netns", "name", "a/b", "has a '/'"));
        assert_eq!(invalid.code, FAILED);
        assert!(invalid.message.contains("a/b"), "{}", invalid.message);
        assert_eq!(i32::from(FAILED), exit::SETUP_FAILED);
    }

    /// The help text states core's statuses, not numbers of its own.
    #[test]
    fn help_states_core_statuses() {
        for code in [exit::SETUP_FAILED, exit::CANNOT_RUN, exit::NOT_FOUND] {
            assert!(
                crate::args::AFTER_HELP.contains(&code.to_string()),
                "{code}"
            );
        }
    }
}
