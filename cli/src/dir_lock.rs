//! One runner per checkpoint directory and per batch queue: an exclusive `flock(2)` on
//! `DIR/.lock`, held for as long as the runner lives, with the holder's pid written in
//! the file so that a second runner can say whom it met.
//!
//! `flock` rather than a pid file alone: the kernel drops the lock when its holder
//! dies, however it dies, so a crash never leaves a directory locked; and the file is
//! opened close-on-exec (as Rust opens every file), so a child the runner starts does
//! not inherit it.

use crate::output::errln;
use crate::CliError;
use rustix::fs::FlockOperation;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The lock file's name inside the directory it guards.
pub const LOCK_FILE: &str = ".lock";

/// How often a runner that waits for a lock looks again.
const RETRY: Duration = Duration::from_millis(50);

/// An exclusive lock on a directory, released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DirLock {
    // Held only for the lock the open file description carries.
    _file: File,
}

/// What `what` (the runner's name for the directory, e.g. "checkpoint directory") was
/// refused with: the directory is another runner's.
fn busy(dir: &Path, what: &str, holder: Option<u32>) -> CliError {
    let holder = holder.map_or_else(
        || "another runner (its pid is not recorded yet)".to_string(),
        |pid| format!("another runner, pid {pid}"),
    );
    CliError::new(format!(
        "{}: this {what} is in use by {holder}; one job runs in it at a time (wait for that runner to end, or stop it with SIGTERM)",
        dir.display()
    ))
}

impl DirLock {
    /// Takes the lock of `dir` or refuses at once, naming the pid of the runner that
    /// holds it.
    pub fn acquire(dir: &Path, what: &str) -> Result<DirLock, CliError> {
        let (file, path) = open(dir)?;
        match rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => DirLock::holding(file, &path),
            Err(rustix::io::Errno::WOULDBLOCK) => Err(busy(dir, what, holder(&file))),
            Err(e) => Err(CliError::new(format!(
                "{}: cannot lock: {e}",
                path.display()
            ))),
        }
    }

    /// Takes the lock of `dir`, waiting (with one message) while another runner holds
    /// it: a batch job whose runner died waits for the job the dead runner left, which
    /// dies with it and checkpoints.
    pub fn wait(dir: &Path, what: &str) -> Result<DirLock, CliError> {
        let (file, path) = open(dir)?;
        let mut said = false;
        loop {
            match rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return DirLock::holding(file, &path),
                Err(rustix::io::Errno::WOULDBLOCK) => {
                    if !said {
                        errln!("cray: {}; waiting for it", busy(dir, what, holder(&file)));
                        said = true;
                    }
                    std::thread::sleep(RETRY);
                }
                Err(e) => {
                    return Err(CliError::new(format!(
                        "{}: cannot lock: {e}",
                        path.display()
                    )))
                }
            }
        }
    }

    /// Writes this process's pid into the lock file it has just locked.
    fn holding(mut file: File, path: &Path) -> Result<DirLock, CliError> {
        let pid = std::process::id();
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| writeln!(file, "{pid}"))
            .map_err(|e| CliError::io(path, e))?;
        Ok(DirLock { _file: file })
    }
}

/// Opens (creating it) the lock file of `dir`.
fn open(dir: &Path) -> Result<(File, PathBuf), CliError> {
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| CliError::io(&path, e))?;
    Ok((file, path))
}

/// The pid the holder wrote into the lock file (none yet when it has just locked it).
fn holder(mut file: &File) -> Option<u32> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_holder_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = DirLock::acquire(dir.path(), "checkpoint directory").unwrap();
        // flock locks belong to open files: a second open in one process conflicts too.
        let refused = DirLock::acquire(dir.path(), "checkpoint directory").unwrap_err();
        let said = refused.to_string();
        assert!(
            said.contains(&format!(
                "in use by another runner, pid {}",
                std::process::id()
            )),
            "{said}"
        );
        drop(first);
        DirLock::acquire(dir.path(), "checkpoint directory").unwrap();
    }
}
