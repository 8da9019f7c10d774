//! The small JSON records `cray` keeps beside images and in queues (a finished job, a
//! failed one, an output mark, a queued job, a replay log): written as an image is
//! (temporary file, fsync, rename, directory fsync), read back with a message that
//! names the file.

use crate::CliError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::Path;

/// Writes `value` to `path` as pretty JSON, replacing the file atomically.
pub fn write<T: Serialize>(path: &Path, value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::new(e.to_string()))?;
    cray_chkpnt::atomic::replace_file(path, |file| {
        std::io::Write::write_all(file, format!("{text}\n").as_bytes())
    })
    .map_err(|e| CliError::new(e.to_string()))
}

/// Longest record read: these records are a few hundred bytes.
const MAX_RECORD_BYTES: u64 = 1 << 20;

/// The record at `path`, `None` when there is no such file; `what` names the kind of
/// record in the message for a file that does not hold one ("not WHAT: ...").
pub fn read_if_present<T: DeserializeOwned>(
    path: &Path,
    what: &str,
) -> Result<Option<T>, CliError> {
    match cray_chkpnt::host_file::read_bounded(path, MAX_RECORD_BYTES, what) {
        Ok(text) => serde_json::from_slice(&text)
            .map(Some)
            .map_err(|e| CliError::invalid(path, format!("not {what}: {e}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::io(path, e)),
    }
}
