//! What every command-line test needs: the `cray` binary, the sample programs and
//! output as text.
#![allow(dead_code)] // each test file uses some of these

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The `cray` binary under test.
pub fn cray() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cray"))
}

/// `images/NAME` (NAME may name a subdirectory: `cos/hello.cal`).
pub fn image(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../images")
        .join(name)
}

/// The exit status of a run the runner stopped with the job checkpointed (`--stop-at`,
/// SIGTERM): 75, EX_TEMPFAIL, "stopped, resumable".
pub const STOPPED: i32 = 75;

/// Output bytes as text (lossy, so that a test shows whatever came out).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// Starts `command` with its standard input, output and error all piped.
pub fn spawn_piped(command: &mut Command) -> Child {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cray starts")
}
