//! `cray demo`.

use crate::CliError;
use std::process::ExitCode;

/// Runs the embedded demo.
pub fn run() -> Result<ExitCode, CliError> {
    Err(CliError::new(
        "demo: needs the CAL assembler, which is not built yet",
    ))
}
