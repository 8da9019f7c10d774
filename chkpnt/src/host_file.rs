//! Opening the host files `cray` reads (programs, sources, images, logs) so that no
//! name can hang or exhaust it: only regular files are read, a FIFO is opened without
//! waiting for a writer (and then refused), and a read stops at a bound the caller
//! takes from what the file's format can hold.

use std::fs::{File, FileType};
use std::io::{self, Read};
use std::path::Path;

/// What kind of file `file_type` is, in words for a message ("a FIFO").
pub fn kind_of(file_type: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// The error for a name that is not a regular file.
fn not_regular(file_type: FileType) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "is {}, not a regular file (cray reads only regular files)",
            kind_of(file_type)
        ),
    )
}

/// Opens `path` for reading if it is a regular file. A FIFO is opened non-blocking, so
/// that a FIFO without a writer is refused at once instead of waiting for one.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let file = open_nonblocking(path)?;
    let file_type = file.metadata()?.file_type();
    if !file_type.is_file() {
        return Err(not_regular(file_type));
    }
    Ok(file)
}

/// Opens `path` for reading without waiting: a FIFO without a writer opens at once
/// (and then reads nothing), whatever kind of file `path` is.
#[cfg(unix)]
pub fn open_nonblocking(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK changes nothing for a regular file's reads.
    let nonblocking = rustix::fs::OFlags::NONBLOCK.bits() as i32;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nonblocking)
        .open(path)
}

#[cfg(not(unix))]
pub fn open_nonblocking(path: &Path) -> io::Result<File> {
    File::open(path)
}

/// The whole of the regular file `path`, refused without reading it when it is longer
/// than `limit` bytes; `what` names what the file was to be ("a CAL source") in the
/// message.
pub fn read_bounded(path: &Path, limit: u64, what: &str) -> io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let too_long = |len: u64| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{len} bytes is longer than {what} can be (at most {limit} bytes)"),
        )
    };
    let len = file.metadata()?.len();
    if len > limit {
        return Err(too_long(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // A file that grows while it is read stops at the bound all the same.
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_long(bytes.len() as u64));
    }
    Ok(bytes)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_fifos_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::RWXU).unwrap();
        for (path, kind) in [
            (Path::new("/dev/zero"), "a character device"),
            (dir.path(), "a directory"),
            (fifo.as_path(), "a FIFO"),
        ] {
            let error = read_bounded(path, 1 << 20, "a test file").unwrap_err();
            assert!(error.to_string().contains(kind), "{path:?}: {error}");
        }
    }

    #[test]
    fn a_file_longer_than_its_bound_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        // Sparse: nothing is written, the length alone refuses it.
        File::create(&path).unwrap().set_len(1 << 40).unwrap();
        let error = read_bounded(&path, 1000, "a test file").unwrap_err();
        assert_eq!(
            error.to_string(),
            "1099511627776 bytes is longer than a test file can be (at most 1000 bytes)"
        );
        std::fs::write(&path, b"short").unwrap();
        assert_eq!(read_bounded(&path, 1000, "a test file").unwrap(), b"short");
    }
}
