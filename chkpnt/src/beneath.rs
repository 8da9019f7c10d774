//! Host files under the root, reached without following a symbolic link.
//!
//! Restart writes carried contents over a file, cuts a file back, or reads it to see
//! whether it changed. If any component of the name had become a symbolic link since
//! the checkpoint, a plain `open` would act on whatever the link points at (another
//! file of the user's, anywhere): the link could have been put there by anyone who can
//! write into the root. So each component is opened relative to the directory before
//! it with `O_NOFOLLOW`, and a link anywhere on the way is an error that names it.

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::path::Path;

/// Why a file under the root could not be reached.
#[derive(Debug)]
pub enum BeneathError {
    /// The name (or a directory on its way) is now a symbolic link; `link` is the part
    /// of the name, relative to the root, that is the link.
    SymbolicLink {
        /// The leading components of the name that form the link.
        link: String,
    },
    /// Any other failure of the host.
    Io(io::Error),
}

impl From<io::Error> for BeneathError {
    fn from(error: io::Error) -> BeneathError {
        BeneathError::Io(error)
    }
}

impl From<rustix::io::Errno> for BeneathError {
    fn from(errno: rustix::io::Errno) -> BeneathError {
        BeneathError::Io(errno.into())
    }
}

/// How to open the last component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read it (a directory may be opened this way too).
    Read,
    /// Write into it as it is.
    Write,
    /// Create it if missing (directories on the way too) and empty it.
    Replace,
}

/// Opens `relative` (a name the kernel resolved: `/`-separated plain components, the
/// empty name being the root itself) under `root`, following no symbolic link below
/// the root. The root itself is the user's choice and may be reached through links.
pub fn open(root: &Path, relative: &str, access: Access) -> Result<File, BeneathError> {
    let mut dir: OwnedFd = File::open(root)?.into();
    let parts: Vec<&str> = relative.split('/').filter(|p| !p.is_empty()).collect();
    let Some((last, leading)) = parts.split_last() else {
        return Ok(File::from(dir));
    };
    for (index, part) in leading.iter().enumerate() {
        if access == Access::Replace {
            match rustix::fs::mkdirat(&dir, *part, Mode::from_raw_mode(0o777)) {
                Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        dir = rustix::fs::openat(&dir, *part, flags, Mode::empty())
            .map_err(|e| link_or(&dir, part, &parts[..=index], e))?;
    }
    let flags = match access {
        Access::Read => OFlags::RDONLY,
        Access::Write => OFlags::WRONLY,
        Access::Replace => OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC,
    } | OFlags::NOFOLLOW
        | OFlags::CLOEXEC
        // A FIFO opens at once (or fails) instead of waiting for the other end.
        | OFlags::NONBLOCK;
    let file = rustix::fs::openat(&dir, *last, flags, Mode::from_raw_mode(0o666))
        .map_err(|e| link_or(&dir, last, &parts, e))?;
    Ok(File::from(file))
}

/// The error of an `openat` of `name` in `dir` that refused to follow: a
/// [`BeneathError::SymbolicLink`] when `name` is a link (`path` is the name so far),
/// else the error itself.
fn link_or(dir: &OwnedFd, name: &str, path: &[&str], error: rustix::io::Errno) -> BeneathError {
    let is_link = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
        .is_ok_and(|stat| FileType::from_raw_mode(stat.st_mode) == FileType::Symlink);
    if is_link {
        BeneathError::SymbolicLink {
            link: path.join("/"),
        }
    } else {
        error.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn plain_names_open_and_links_are_refused_wherever_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a"), b"old").unwrap();
        std::fs::write(dir.path().join("victim"), b"precious").unwrap();

        let mut text = String::new();
        open(&root, "sub/a", Access::Read)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "old");
        open(&root, "new/dir/b", Access::Replace)
            .unwrap()
            .write_all(b"made")
            .unwrap();
        assert_eq!(std::fs::read(root.join("new/dir/b")).unwrap(), b"made");

        std::os::unix::fs::symlink(dir.path().join("victim"), root.join("link")).unwrap();
        std::os::unix::fs::symlink(dir.path(), root.join("up")).unwrap();
        for (name, link) in [("link", "link"), ("up/victim", "up")] {
            for access in [Access::Read, Access::Write, Access::Replace] {
                match open(&root, name, access) {
                    Err(BeneathError::SymbolicLink { link: got }) => assert_eq!(got, link),
                    other => panic!("{name} {access:?}: {other:?}"),
                }
            }
        }
        assert_eq!(
            std::fs::read(dir.path().join("victim")).unwrap(),
            b"precious"
        );
        assert!(matches!(
            open(&root, "missing", Access::Read),
            Err(BeneathError::Io(e)) if e.kind() == io::ErrorKind::NotFound
        ));
    }
}
