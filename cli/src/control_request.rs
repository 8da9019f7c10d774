//! The request a client sends to a session's control socket (see the `cray` binary's
//! `control` module for the server): one JSON line of at most [`MAX_REQUEST`] bytes.
//!
//! It lives in the `cray_cli` library so that the fuzz targets link the very parser
//! the server uses.

use serde::{Deserialize, Serialize};

/// A request to a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// List the processes.
    Ps,
    /// The session's figures (clock, emulated time, MIPS, checkpoints): what its
    /// progress display shows. A session older than the request answers an error.
    Figures,
    /// Checkpoint a process or a job.
    Chkpnt {
        /// True for a job (`-j`), false for a process (`-p`).
        job: bool,
        /// Pid or jid.
        id: u32,
        /// Image file (absolute, as the client resolved it).
        file: String,
        /// Kill the target afterwards (`-k`).
        kill: bool,
        /// Carry the contents of open files.
        with_files: bool,
        /// Compress the memory and carried files (absent from the requests of a
        /// `cray chkpnt` that predates the option: not compressed).
        #[serde(default)]
        compress: bool,
    },
}

/// The longest request line, newline included: a checkpoint request with a long file
/// name fits many times over.
pub const MAX_REQUEST: usize = 4096;

/// The request line at the start of `received`, without its newline, once the
/// newline has arrived.
pub fn request_line(received: &[u8]) -> Option<&[u8]> {
    let end = received.iter().position(|&b| b == b'\n')?;
    Some(&received[..end])
}

/// Parses a request line (without its newline).
pub fn parse_request(line: &[u8]) -> Result<Request, serde_json::Error> {
    serde_json::from_slice(line)
}
