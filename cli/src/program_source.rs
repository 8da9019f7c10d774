//! `.cal` sources given to `cray run`: assembled in memory.

use crate::CliError;
use std::path::Path;

/// Assembles `path` for `personality` and returns the program's file words.
pub fn assemble_file(path: &Path, _personality: &str) -> Result<Vec<u64>, CliError> {
    Err(CliError::invalid(
        path,
        "the CAL assembler is not built yet",
    ))
}
