//! Error numbers returned in S0 (System V numbering, INTERFACE.md).

use serde::{Deserialize, Serialize};
use std::fmt;

/// An error number as the guest sees it in S0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Errno(pub u64);

impl Errno {
    /// Operation not permitted.
    pub const EPERM: Errno = Errno(1);
    /// No such file or directory.
    pub const ENOENT: Errno = Errno(2);
    /// No such process.
    pub const ESRCH: Errno = Errno(3);
    /// I/O error on the host.
    pub const EIO: Errno = Errno(5);
    /// No such device or address: a host file under the root that is neither a
    /// regular file nor a directory (a FIFO, a device, a socket), which guests may not
    /// open, since reading one could block the whole emulator.
    pub const ENXIO: Errno = Errno(6);
    /// Argument list too long.
    pub const E2BIG: Errno = Errno(7);
    /// Not an executable this system can run.
    pub const ENOEXEC: Errno = Errno(8);
    /// Bad file descriptor.
    pub const EBADF: Errno = Errno(9);
    /// No children to wait for.
    pub const ECHILD: Errno = Errno(10);
    /// Process limit of the job reached.
    pub const EAGAIN: Errno = Errno(11);
    /// Memory limit reached.
    pub const ENOMEM: Errno = Errno(12);
    /// Permission denied (also: a path that leads outside the root).
    pub const EACCES: Errno = Errno(13);
    /// Bad address: an argument points outside the memory field.
    pub const EFAULT: Errno = Errno(14);
    /// File exists (O_CREAT | O_EXCL).
    pub const EEXIST: Errno = Errno(17);
    /// Not a directory.
    pub const ENOTDIR: Errno = Errno(20);
    /// Is a directory.
    pub const EISDIR: Errno = Errno(21);
    /// Invalid argument.
    pub const EINVAL: Errno = Errno(22);
    /// Too many open files in the process.
    pub const EMFILE: Errno = Errno(24);
    /// File too large (the host's file size limit, `ulimit -f`).
    pub const EFBIG: Errno = Errno(27);
    /// No space left.
    pub const ENOSPC: Errno = Errno(28);
    /// Seek on a pipe or terminal.
    pub const ESPIPE: Errno = Errno(29);
    /// Write on a pipe without readers.
    pub const EPIPE: Errno = Errno(32);
    /// No such system call.
    pub const ENOSYS: Errno = Errno(89);

    /// The errno for a failed host file operation.
    pub fn from_io(error: &std::io::Error) -> Errno {
        use std::io::ErrorKind::*;
        match error.kind() {
            NotFound => Errno::ENOENT,
            PermissionDenied => Errno::EACCES,
            AlreadyExists => Errno::EEXIST,
            InvalidInput => Errno::EINVAL,
            _ => Errno::from_host_code(error).unwrap_or(Errno::EIO),
        }
    }

    /// ENXIO, ENOTDIR, EISDIR, EFBIG, ENOSPC and EPIPE from the host's error number: Unix
    /// hosts number them as System V does (6, 20, 21, 27, 28, 32), and some of their
    /// `io::ErrorKind` names need a newer Rust than the workspace's minimum.
    fn from_host_code(error: &std::io::Error) -> Option<Errno> {
        if !cfg!(unix) {
            return None;
        }
        match error.raw_os_error() {
            Some(6) => Some(Errno::ENXIO),
            Some(20) => Some(Errno::ENOTDIR),
            Some(21) => Some(Errno::EISDIR),
            Some(27) => Some(Errno::EFBIG),
            Some(28) => Some(Errno::ENOSPC),
            Some(32) => Some(Errno::EPIPE),
            _ => None,
        }
    }

    /// The symbolic name, for messages.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "EPERM",
            2 => "ENOENT",
            3 => "ESRCH",
            5 => "EIO",
            6 => "ENXIO",
            7 => "E2BIG",
            8 => "ENOEXEC",
            9 => "EBADF",
            10 => "ECHILD",
            11 => "EAGAIN",
            12 => "ENOMEM",
            13 => "EACCES",
            14 => "EFAULT",
            17 => "EEXIST",
            20 => "ENOTDIR",
            21 => "EISDIR",
            22 => "EINVAL",
            24 => "EMFILE",
            27 => "EFBIG",
            28 => "ENOSPC",
            29 => "ESPIPE",
            32 => "EPIPE",
            89 => "ENOSYS",
            _ => "E?",
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

/// Result of a system call: the value for S1, or the errno for S0.
pub type SysResult<T> = Result<T, Errno>;
