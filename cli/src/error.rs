//! The CLI's error type: every message names the file (or the argument) and what is
//! wrong; `main` prints it on one line and exits with status 2.

use std::fmt;
use std::path::Path;

/// A failure of `cray` itself (not of the guest program).
#[derive(Debug)]
pub struct CliError {
    message: String,
}

impl CliError {
    /// An error with a complete message.
    pub fn new(message: impl Into<String>) -> CliError {
        CliError {
            message: message.into(),
        }
    }

    /// A host I/O error on `path`.
    pub fn io(path: &Path, error: std::io::Error) -> CliError {
        CliError::new(format!("{}: {error}", path.display()))
    }

    /// Invalid contents of `path`.
    pub fn invalid(path: &Path, what: impl fmt::Display) -> CliError {
        CliError::new(format!("{}: {what}", path.display()))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
