//! Replacing a file atomically, so that a crash or a full disk in the middle of a
//! checkpoint leaves the previous image whole: write a temporary file in the same
//! directory (a rename is atomic only within one file system), fsync it, rename it over
//! the target, then fsync the directory so the rename itself survives a host crash.

use crate::error::ImageError;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// Writes a new `path` through `write`, which gets a fresh empty file, and renames it
/// into place only if `write` and the fsync succeed. On any earlier failure the temporary
/// file is removed and `path` is untouched; the error says whether a previous file
/// exists there.
pub fn replace_file<T>(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<T>,
) -> Result<T, ImageError> {
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
