//! The one mapping from core errors to Python exception classes (`nsrun._errors`).

use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::PyType;

use nsrun::lab::LabError;
use nsrun::Error;

use crate::kind::kind_obj;

fn err_class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    Ok(py
        .import("nsrun._errors")?
        .getattr(name)?
        .cast_into::<PyType>()?)
}

/// Maps a core error to its Python exception: plain system-call failures become
/// `OSError(errno, message, filename)` (so CPython picks FileNotFoundError, PermissionError…),
/// the nsrun-specific ones the `nsrun.Error` subclass of the same name, with extra attributes.
pub fn to_pyerr(py: Python<'_>, e: Error) -> PyErr {
    let errno = e.errno().raw();
    let message = e.to_string();
    let filename = e.path().map(|p| p.as_os_str().to_os_string());
    // A lab step is raised as what failed in it, with the lab's context in the message.
    let root = root_cause(&e);
    let class = match root {
        Error::Lab(LabError::Topology { .. }) => "InvalidArgumentError",
        Error::Sys { .. } => return PyOSError::new_err((errno, message, filename)),
        Error::Link { name, .. } => return PyOSError::new_err((errno, message, name.clone())),
        Error::Route { route, .. } => return PyOSError::new_err((errno, message, route.clone())),
        Error::Sysctl { .. } => return PyOSError::new_err((errno, message, filename)),
        Error::NotANamespace { .. } => "NotANamespaceError",
        Error::WrongKind { .. } => "WrongKindError",
        Error::AlreadyPersisted { .. } => "AlreadyPersistedError",
        Error::NotPersisted { .. } => "NotPersistedError",
        Error::InvalidArgument { .. } => "InvalidArgumentError",
        Error::Launch { .. } => "LaunchError",
        _ => "Error",
    };
    let build = || -> PyResult<PyErr> {
        let value = err_class(py, class)?.call1((errno, message.as_str(), filename.clone()))?;
        match root {
            Error::WrongKind {
                expected, found, ..
            } => {
                value.setattr("expected", kind_obj(py, *expected)?)?;
                value.setattr("found", kind_obj(py, *found)?)?;
            }
            Error::AlreadyPersisted {
                existing_kind,
                existing,
                ..
            } => value.setattr("existing", format!("{existing_kind}:[{}]", existing.ino))?,
            Error::Launch { stage, status, .. } => {
                value.setattr("stage", stage.name())?;
                value.setattr("status", status.map(decode_wait_status))?;
            }
            _ => {}
        }
        Ok(PyErr::from_value(value))
    };
    build().unwrap_or_else(|failure| failure)
}

/// A wait status (what core's `Error::Launch::status` carries for the boot stage) as a Python
/// returncode: the exit code, or minus the signal (`os.waitstatus_to_exitcode`). Core should
/// carry an `ExitStatus` instead; this then becomes `status.returncode()`.
pub fn decode_wait_status(raw: i32) -> i32 {
    match raw & 0x7f {
        0 => (raw >> 8) & 0xff, // WIFEXITED: WEXITSTATUS
        sig => -sig,            // WIFSIGNALED: WTERMSIG (a reaped command is never "stopped")
    }
}

/// The error inside a lab step (what actually failed).
fn root_cause(e: &Error) -> &Error {
    match e {
        Error::Lab(LabError::Step { source, .. }) => root_cause(source),
        other => other,
    }
}

/// `result.or_raise(py)?`: a core error as its Python exception.
pub trait OrRaise<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrRaise<T> for Result<T, Error> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_pyerr(py, e))
    }
}

/// `InvalidArgumentError` for a value refused by the binding itself.
pub fn invalid(py: Python<'_>, what: &'static str, value: String, reason: &'static str) -> PyErr {
    to_pyerr(py, Error::invalid("nsrun", what, value, reason))
}
