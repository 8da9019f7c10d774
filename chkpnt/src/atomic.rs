//! Replacing a file atomically, so that a crash or a full disk in the middle of a
//! checkpoint leaves the previous image whole: write a temporary file in the same
//! directory (a rename is atomic only within one file system), fsync it, rename it over
//! the target, then fsync the directory so the rename itself survives a host crash.
//!
//! A rename replaces whatever has the target's name, so only a regular file (or
//! nothing) is replaced that way. A character device (`/dev/null`, a terminal) is
//! written into directly, as `tee` would; a symbolic link, a directory, a FIFO, a
//! socket or a block device is refused, so that no device node or link is ever
//! replaced by a plain file.

use crate::error::ImageError;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// Writes a new `path` through `write`, which gets a fresh empty file, and renames it
/// into place only if `write` and the fsync succeed. On any earlier failure the temporary
/// file is removed and `path` is untouched; the error says whether a previous file
/// exists there. A character device at `path` is written into directly; any other
/// file that is not a regular file is refused (see the module's documentation).
pub fn replace_file<T>(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<T>,
) -> Result<T, ImageError> {
    match Target::of(path) {
        Target::Replaceable => {}
        Target::CharacterDevice => return write_into_device(path, write),
        Target::Refused(kind) => {
            return Err(ImageError::NotReplaceable {
                file: path.to_path_buf(),
                kind,
            })
        }
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let fail = |stage: &'static str, source: io::Error| ImageError::WriteFailed {
        file: path.to_path_buf(),
        stage,
        previous_exists: path.exists(),
        source,
    };
    let file_name = path.file_name().ok_or_else(|| {
        fail(
            "naming the image",
            io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"),
        )
    })?;
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(file_name);
    prefix.push(".");

    let mut temp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| fail("creating a temporary file", e))?;
    // Dropping `temp` on any early return below deletes the temporary file.
    let value = write(temp.as_file_mut()).map_err(|e| fail("writing", e))?;
    temp.as_file().sync_all().map_err(|e| fail("fsync", e))?;
    temp.persist(path).map_err(|e| fail("rename", e.error))?;
    sync_dir(&dir).map_err(|source| ImageError::DirSync {
        file: path.to_path_buf(),
        source,
    })?;
    Ok(value)
}

/// What is at the target's name now, as far as writing it is concerned.
enum Target {
    /// Nothing, or a regular file: write a temporary file and rename it.
    Replaceable,
    /// A character device: write into it.
    CharacterDevice,
    /// Anything else, which a rename would destroy: its kind ("a symbolic link").
    Refused(&'static str),
}

impl Target {
    /// `symlink_metadata`, so that a link is seen as the link (a rename would replace
    /// the link, not what it points to).
    fn of(path: &Path) -> Target {
        let Ok(metadata) = std::fs::symlink_metadata(path) else {
            // Nothing there (or nothing we may look at: creating the file will say).
            return Target::Replaceable;
        };
        let file_type = metadata.file_type();
        if file_type.is_file() {
            return Target::Replaceable;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if file_type.is_char_device() {
                return Target::CharacterDevice;
            }
        }
        Target::Refused(crate::host_file::kind_of(file_type))
    }
}

/// Writes into the character device `path` as `tee` would: no temporary file, no
/// rename and no fsync, which a device need not support.
fn write_into_device<T>(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<T>,
) -> Result<T, ImageError> {
    let fail = |stage: &'static str, source: io::Error| ImageError::WriteFailed {
        file: path.to_path_buf(),
        stage,
        previous_exists: false,
        source,
    };
    let mut device = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| fail("opening the device", e))?;
    write(&mut device).map_err(|e| fail("writing", e))
}

/// The name of the file that the temporary file `name` (`.NAME.XXXXXX.tmp`, as
/// [`replace_file`] makes them) was to become, if `name` is one: a host crash between
/// its creation and the rename leaves it behind.
pub fn temporary_target(name: &str) -> Option<&str> {
    let inner = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (target, random) = inner.rsplit_once('.')?;
    (!target.is_empty() && !random.is_empty()).then_some(target)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Other hosts cannot open a directory as a file; their rename is as durable as it gets.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_refused_and_survives() {
        let dir = tempfile::tempdir().unwrap();
        let pointed = dir.path().join("pointed");
        std::fs::write(&pointed, b"kept").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&pointed, &link).unwrap();
        let error = replace_file(&link, |f| io::Write::write_all(f, b"new")).unwrap_err();
        assert!(error.to_string().contains("is a symbolic link"), "{error}");
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&pointed).unwrap(), b"kept");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 2, "no temporary file is left behind");
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let error = replace_file(dir.path(), |f| io::Write::write_all(f, b"new")).unwrap_err();
        assert!(error.to_string().contains("is a directory"), "{error}");
        assert!(dir.path().is_dir());
    }

    #[cfg(unix)]
    #[test]
    fn a_character_device_is_written_into_and_stays_a_device() {
        use std::os::unix::fs::FileTypeExt;
        let null = Path::new("/dev/null");
        replace_file(null, |f| io::Write::write_all(f, b"discarded")).unwrap();
        let file_type = std::fs::symlink_metadata(null).unwrap().file_type();
        assert!(file_type.is_char_device());
    }

    #[test]
    fn a_temporary_file_names_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("1-000000000007.chk");
        // The name replace_file really gives its temporary file, seen while it writes.
        let seen = replace_file(&target, |_| {
            let names: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            Ok(names)
        })
        .unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(temporary_target(&seen[0]), Some("1-000000000007.chk"));
        for other in [
            "1-000000000007.chk",
            ".x.tmp",
            "..abc.tmp",
            ".a.b.c",
            "a.b.tmp",
        ] {
            assert_eq!(temporary_target(other), None, "{other}");
        }
        assert_eq!(temporary_target(".a.b.tmp"), Some("a"));
    }
}
