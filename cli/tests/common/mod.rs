//! What every command-line test needs: the `cray` binary, the sample programs and
//! output as text.
#![allow(dead_code)] // each test file uses some of these

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// Waits (a minute at most) until `ready` holds; `what` names it if it never does.
pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(Instant::now() < deadline, "waited in vain for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// True once the batch job directory `job` holds a checkpoint image.
pub fn holds_checkpoint(job: &Path) -> bool {
    std::fs::read_dir(job).is_ok_and(|mut entries| {
        entries.any(|e| e.is_ok_and(|e| e.path().extension().is_some_and(|x| x == "chk")))
    })
}
