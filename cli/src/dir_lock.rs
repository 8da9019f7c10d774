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
fn busy(dir: &Path, what: &str, holder: Option<String>) -> CliError {
    let holder = holder.map_or_else(
        || "another runner (its pid is not recorded yet)".to_string(),
        |runner| format!("another runner, {runner}"),
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

    /// Writes this process's pid and host into the lock file it has just locked: on
    /// shared storage the runner it stops may be on another node.
    fn holding(mut file: File, path: &Path) -> Result<DirLock, CliError> {
        let pid = std::process::id();
        let host = host_name();
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| writeln!(file, "{pid} {host}"))
            .map_err(|e| CliError::io(path, e))?;
        Ok(DirLock { _file: file })
    }
}

/// This host's name, as the lock file records it.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .ok()
        .filter(|name| !name.is_empty() && !name.contains(char::is_whitespace))
        .unwrap_or_else(|| "localhost".to_string())
}

/// Opens (creating it) the lock file of `dir`, after checking that a lock there keeps
/// every host that shares the directory out.
fn open(dir: &Path) -> Result<(File, PathBuf), CliError> {
    refuse_local_only_locks(dir)?;
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

/// The runner the holder wrote into the lock file, as "pid N on host H" (none yet when
/// it has just locked it).
fn holder(mut file: &File) -> Option<String> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    let mut words = text.split_whitespace();
    let pid: u32 = words.next()?.parse().ok()?;
    Some(match words.next() {
        Some(host) => format!("pid {pid} on host {host}"),
        None => format!("pid {pid}"),
    })
}

/// Refuses a directory on an NFS mount whose locks stay on each client (`nolock`,
/// `local_lock=flock` or `local_lock=all`): there `flock` would keep two runners on one
/// host apart but not two nodes, and the job could run twice. Elsewhere (local file
/// systems, NFS with the server's locks) the lock holds for every runner that can see
/// the directory.
fn refuse_local_only_locks(dir: &Path) -> Result<(), CliError> {
    let Ok(table) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Ok(()); // Not Linux's /proc: nothing known to refuse.
    };
    let Ok(dir) = dir.canonicalize() else {
        return Ok(()); // Opening the lock file will say what is wrong.
    };
    match local_only_locks(&table, &dir) {
        Some((mount, option)) => Err(CliError::new(format!(
            "{}: on the NFS mount {} with `{option}`, a lock holds only on this host, so two nodes could run the job at once: use a directory on an NFS mount with server locks (no nolock or local_lock option), or on a local file system",
            dir.display(),
            mount
        ))),
        None => Ok(()),
    }
}

/// The mount point and the option, when `dir` lies on an NFS mount of `mountinfo`
/// (the text of `/proc/self/mountinfo`) whose `flock` locks are local to the client.
fn local_only_locks(mountinfo: &str, dir: &Path) -> Option<(String, &'static str)> {
    let mount = mountinfo
        .lines()
        .filter_map(MountEntry::parse)
        .filter(|entry| dir.starts_with(&entry.point))
        .max_by_key(|entry| entry.point.as_os_str().len())?;
    if !mount.fs_type.starts_with("nfs") {
        return None;
    }
    let options = mount.options.split(',');
    let local = options
        .filter_map(|option| match option {
            "nolock" => Some("nolock"),
            "local_lock=flock" => Some("local_lock=flock"),
            "local_lock=all" => Some("local_lock=all"),
            _ => None,
        })
        .next()?;
    Some((mount.point.display().to_string(), local))
}

/// The fields of a `/proc/self/mountinfo` line that say how locks behave.
struct MountEntry {
    point: PathBuf,
    fs_type: String,
    /// The mount's options and the file system's, joined by a comma.
    options: String,
}

impl MountEntry {
    /// `ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER-OPTIONS`.
    fn parse(line: &str) -> Option<MountEntry> {
        let (before, after) = line.split_once(" - ")?;
        let mut fields = before.split(' ');
        let point = fields.nth(4)?;
        let mount_options = fields.next()?;
        let mut after = after.split(' ');
        let fs_type = after.next()?.to_string();
        let super_options = after.nth(1).unwrap_or_default();
        Some(MountEntry {
            point: PathBuf::from(unescape_octal(point)),
            fs_type,
            options: format!("{mount_options},{super_options}"),
        })
    }
}

/// A mountinfo field with its `\040`-style escapes (space, tab, newline, backslash)
/// decoded.
fn unescape_octal(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = bytes
            .get(i + 1..i + 4)
            .filter(|digits| bytes[i] == b'\\' && digits.iter().all(|d| (b'0'..=b'7').contains(d)));
        match escape {
            Some(digits) => {
                let value = digits.iter().fold(0u32, |v, d| v * 8 + u32::from(d - b'0'));
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).to_string()
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

    const MOUNTINFO: &str = "\
22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
40 22 0:50 / /shared rw,relatime - nfs4 server:/export rw,vers=4.2,hard,proto=tcp,local_lock=none,addr=10.0.0.1
41 22 0:51 / /shared/old rw,relatime - nfs server:/old rw,vers=3,nolock,proto=udp,local_lock=all
42 22 0:52 / /with\\040space rw - nfs server:/sp rw,vers=3,local_lock=flock
";

    #[test]
    fn nfs_mounts_whose_locks_stay_on_the_client_are_found() {
        let local = |dir: &str| local_only_locks(MOUNTINFO, Path::new(dir));
        assert_eq!(local("/home/me/ckpt"), None, "a local file system");
        assert_eq!(local("/shared/ckpt"), None, "NFS with the server's locks");
        assert_eq!(
            local("/shared/old/ckpt"),
            Some(("/shared/old".to_string(), "nolock")),
            "the deepest mount counts"
        );
        assert_eq!(
            local("/with space/ckpt"),
            Some(("/with space".to_string(), "local_lock=flock"))
        );
    }

    #[test]
    fn the_lock_file_names_the_holder_and_its_host() {
        let dir = tempfile::tempdir().unwrap();
        let _held = DirLock::acquire(dir.path(), "checkpoint directory").unwrap();
        let recorded = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert_eq!(
            recorded,
            format!("{} {}\n", std::process::id(), host_name())
        );
    }
}
