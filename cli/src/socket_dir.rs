//! Where the control sockets of sessions live, and the checks that keep other users
//! out: `$XDG_RUNTIME_DIR/cray` when that variable is set, else `<tmp>/cray-<uid>`
//! (`<tmp>` is `$TMPDIR`, by default `/tmp`).
//!
//! The directory is what makes a socket trustworthy: whoever can write in it can put
//! a socket of their own in place of a session's (and answer `cray chkpnt -k` with a
//! success while nothing happens), or remove a session's socket. So it must be a real
//! directory (a symbolic link is never followed), owned by the user, with no group or
//! other write access; one created here has mode 0700. Its parent must not let
//! another user rename it away: owned by the user or root, and not writable by others
//! unless sticky (as `/tmp` is).

use crate::CliError;
use rustix::fs::{Mode, OFlags};
use rustix::process::geteuid;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

/// The permission bits that let someone other than the owner write.
const GROUP_OTHER_WRITE: u32 = 0o022;

/// The sticky bit: in a directory, only a file's owner may remove or rename it.
const STICKY: u32 = 0o1000;

/// The caller's own socket directory, created (mode 0700) when missing, checked when
/// present.
pub fn own() -> Result<PathBuf, CliError> {
    let uid = geteuid().as_raw();
    let dir = own_path(uid);
    ensure(&dir, uid).map_err(|reason| refused(&dir, &reason))?;
    Ok(dir)
}

/// Where the caller's socket directory is, whether it exists or not.
fn own_path(uid: u32) -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|dir| !dir.is_empty()) {
        Some(runtime) => PathBuf::from(runtime).join("cray"),
        None => tmp_path(uid),
    }
}

/// `<tmp>/cray-<uid>`.
fn tmp_path(uid: u32) -> PathBuf {
    std::env::temp_dir().join(format!("cray-{uid}"))
}

/// The message for a socket directory that cannot be used.
fn refused(dir: &Path, reason: &str) -> CliError {
    CliError::new(format!(
        "control socket directory {}: {reason}",
        dir.display()
    ))
}

/// Creates `dir` for `uid` with mode 0700 when it does not exist, then checks it.
fn ensure(dir: &Path, uid: u32) -> Result<(), String> {
    if let Some(parent) = dir.parent() {
        check_parent(parent, uid)?;
    }
    let created = match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => true,
        // Something is there (perhaps a symbolic link): the checks say what.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
        Err(e) => return Err(format!("cannot be created: {e}")),
    };
    let fd = open_no_follow(dir)?;
    check_private(&fd, uid)?;
    if created {
        // The umask may have taken bits away that the owner needs.
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o700))
            .map_err(|e| format!("cannot be given mode 0700: {e}"))?;
    }
    Ok(())
}

/// Opens the directory `dir` itself: never what a symbolic link there points to.
fn open_no_follow(dir: &Path) -> Result<rustix::fd::OwnedFd, String> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rustix::fs::open(dir, flags, Mode::empty()).map_err(|errno| {
        match std::fs::symlink_metadata(dir) {
            Ok(meta) if meta.file_type().is_symlink() => {
                "is a symbolic link (never followed); remove it".to_string()
            }
            Ok(meta) if !meta.is_dir() => "exists and is not a directory; remove it".to_string(),
            _ => format!("cannot be opened: {}", std::io::Error::from(errno)),
        }
    })
}

/// Refuses a directory that another user owns or may write in.
fn check_private(fd: &rustix::fd::OwnedFd, uid: u32) -> Result<(), String> {
    let stat = rustix::fs::fstat(fd).map_err(|e| format!("cannot be examined: {e}"))?;
    if stat.st_uid != uid {
        return Err(format!(
            "is owned by uid {}, not by uid {uid} who runs cray; remove it{}",
            stat.st_uid,
            if std::env::var_os("XDG_RUNTIME_DIR").is_some() {
                " or set XDG_RUNTIME_DIR to a directory of your own"
            } else {
                ""
            }
        ));
    }
    let mode = stat.st_mode & 0o7777;
    if mode & GROUP_OTHER_WRITE != 0 {
        return Err(format!(
            "has mode {mode:04o}, which lets other users write in it; `chmod 700` it"
        ));
    }
    Ok(())
}

/// Refuses a parent directory in which another user could rename or replace the
/// socket directory.
fn check_parent(parent: &Path, uid: u32) -> Result<(), String> {
    let parent_name = parent.display();
    let meta = std::fs::metadata(parent).map_err(|e| format!("its parent {parent_name}: {e}"))?;
    if !meta.is_dir() {
        return Err(format!("its parent {parent_name} is not a directory"));
    }
    if meta.uid() != uid && meta.uid() != 0 {
        return Err(format!(
            "its parent {parent_name} is owned by uid {}, neither by uid {uid} who runs cray nor by root",
            meta.uid()
        ));
    }
    let mode = meta.mode() & 0o7777;
    if mode & GROUP_OTHER_WRITE != 0 && mode & STICKY == 0 {
        return Err(format!(
            "its parent {parent_name} has mode {mode:04o}: other users could rename it away"
        ));
    }
    Ok(())
}

/// A socket directory to look in, and the user whose sessions it holds.
pub struct SocketDir {
    /// The directory.
    pub path: PathBuf,
    /// Its owner: every socket in it is a session of this user.
    pub owner: u32,
}

/// The directories whose sessions the caller may see and control: its own; for root
/// also every other user's found in the usual places (`<tmp>/cray-<uid>` and
/// `/run/user/<uid>/cray`). Another user's directory that fails the checks is left
/// out, with a line on standard error saying why.
pub fn visible() -> Result<Vec<SocketDir>, CliError> {
    let uid = geteuid().as_raw();
    let own_dir = own()?;
    let mut dirs = vec![SocketDir {
        path: own_dir.clone(),
        owner: uid,
    }];
    if uid != 0 {
        return Ok(dirs);
    }
    for (path, owner) in other_users_dirs() {
        if path == own_dir || std::fs::symlink_metadata(&path).is_err() {
            continue;
        }
        match open_no_follow(&path).and_then(|fd| check_private(&fd, owner)) {
            Ok(()) => dirs.push(SocketDir { path, owner }),
            Err(reason) => crate::output::errln!("cray: {}", refused(&path, &reason)),
        }
    }
    Ok(dirs)
}

/// `<tmp>/cray-<uid>` and `/run/user/<uid>/cray` for every uid found there, in order.
fn other_users_dirs() -> Vec<(PathBuf, u32)> {
    let mut found = Vec::new();
    for (base, prefix) in [(std::env::temp_dir(), "cray-"), ("/run/user".into(), "")] {
        let Ok(entries) = std::fs::read_dir(&base) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(owner) = name
                .to_str()
                .and_then(|n| n.strip_prefix(prefix))
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let path = if prefix.is_empty() {
                entry.path().join("cray")
            } else {
                entry.path()
            };
            found.push((path, owner));
        }
    }
    found.sort();
    found
}
