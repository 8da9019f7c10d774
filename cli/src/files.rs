//! The host files `cray` reads and writes for the user: every input is a regular file
//! read within a bound its format can hold (a FIFO or a device is refused at once, a
//! file too long for its format is refused unread), and every output is written as an
//! image is (a new file renamed into place; a character device such as `/dev/null` is
//! written into; a symbolic link, a directory or a FIFO is refused).

use crate::CliError;
use std::path::Path;

/// The whole of the input file `path`, at most `limit` bytes; `what` names what the
/// file must be ("a CAL source") in the message for a longer one.
pub fn read_input(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, CliError> {
    cray_chkpnt::host_file::read_bounded(path, limit, what).map_err(|e| CliError::io(path, e))
}

/// [`read_input`] of a text file.
pub fn read_text(path: &Path, limit: u64, what: &str) -> Result<String, CliError> {
    String::from_utf8(read_input(path, limit, what)?).map_err(|e| {
        CliError::invalid(
            path,
            format!(
                "not text: the byte at offset {} is not UTF-8",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Writes `bytes` to `path`, replacing it atomically (see the module's documentation).
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    cray_chkpnt::atomic::replace_file(path, |file| std::io::Write::write_all(file, bytes))
        .map_err(|e| CliError::new(e.to_string()))
}
