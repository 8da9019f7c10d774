//! Host file access, confined to the root directory, and the console.
//!
//! Guest file names resolve inside `--root` only. A relative name is taken relative
//! to the root; an absolute name must already lie inside the root. `..` may not climb
//! above the root, and a symbolic link whose target lies outside the root is refused:
//! all three give EACCES. Files are opened, positioned and closed on every call, so no
//! host handle outlives a system call and the kernel state (path + offset) is all a
//! checkpoint needs.
//!
//! Only regular files and directories are opened: every open is non-blocking and a
//! FIFO, device or socket is refused with ENXIO, so that no guest can stop the
//! emulator waiting for a writer or reading a device forever.

use super::errno::{Errno, SysResult};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Opens `path` as `options` say, without waiting (O_NONBLOCK: a FIFO opens at once
/// or fails), and refuses what is neither a regular file nor a directory with the
/// host's ENXIO (which [`Errno::from_io`] gives the guest as ENXIO).
fn open_plain(path: &Path, options: &mut OpenOptions) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK changes nothing for a regular file's reads and writes.
    let nonblocking = rustix::fs::OFlags::NONBLOCK.bits() as i32;
    let file = options.custom_flags(nonblocking).open(path)?;
    let file_type = file.metadata()?.file_type();
    if file_type.is_file() || file_type.is_dir() {
        Ok(file)
    } else {
        Err(std::io::Error::from_raw_os_error(
            rustix::io::Errno::NXIO.raw_os_error(),
        ))
    }
}

/// The directory guest file names resolve in.
#[derive(Clone, Debug)]
pub struct HostRoot {
    /// The root as given.
    root: PathBuf,
    /// With [`HostRoot::journaled`]: the host's answers to the job's file operations.
    journal: Option<Journal>,
}

impl Default for HostRoot {
    fn default() -> HostRoot {
        HostRoot::new(".")
    }
}

/// What the host answered to one file operation of the job.
#[derive(Clone, Debug)]
enum Answer {
    Done(SysResult<()>),
    Bytes(SysResult<Vec<u8>>),
    Written(Result<u64, FailedWrite>),
    Size(SysResult<u64>),
    Resolved(SysResult<String>),
    IsDir(bool),
}

/// A [`HostWriteError`] as kept in a journal (an I/O error cannot be cloned).
#[derive(Clone, Debug)]
struct FailedWrite {
    written: usize,
    end: u64,
    kind: std::io::ErrorKind,
    os_error: Option<i32>,
}

impl FailedWrite {
    fn keep(error: &HostWriteError) -> FailedWrite {
        FailedWrite {
            written: error.written,
            end: error.end,
            kind: error.error.kind(),
            os_error: error.error.raw_os_error(),
        }
    }

    fn error(&self) -> HostWriteError {
        let error = match self.os_error {
            Some(code) => std::io::Error::from_raw_os_error(code),
            None => std::io::Error::from(self.kind),
        };
        HostWriteError {
            written: self.written,
            end: self.end,
            error,
        }
    }
}

/// The job's host file operations in order, with the host's answers: the debugger's
/// record of the past, so that re-executing it (going back and forth) neither writes
/// host files again nor reads what the job wrote later. Operations past the end of
/// the journal are done on the host and their answers appended; those before it are
/// answered from it. Every copy of a root (the debugger's snapshots) shares the
/// answers and keeps its own place in them.
#[derive(Debug)]
struct Journal {
    answers: Arc<Mutex<Vec<Answer>>>,
    /// The index of this copy's next operation.
    next: AtomicUsize,
}

impl Clone for Journal {
    fn clone(&self) -> Journal {
        Journal {
            answers: Arc::clone(&self.answers),
            next: AtomicUsize::new(self.next.load(Ordering::Relaxed)),
        }
    }
}

/// How to open a host file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenHow {
    /// Open for reading.
    pub read: bool,
    /// Open for writing.
    pub write: bool,
    /// Create if missing.
    pub create: bool,
    /// Truncate to zero length.
    pub truncate: bool,
    /// Fail if it exists (with `create`).
    pub exclusive: bool,
}

impl HostRoot {
    /// A root at `root`.
    pub fn new(root: impl Into<PathBuf>) -> HostRoot {
        HostRoot {
            root: root.into(),
            journal: None,
        }
    }

    /// This root, its file operations from now on journaled: done on the host once,
    /// answered from the journal when a copy of it taken earlier (a snapshot of the
    /// job) performs them again.
    pub fn journaled(&self) -> HostRoot {
        HostRoot {
            root: self.root.clone(),
            journal: Some(Journal {
                answers: Arc::default(),
                next: AtomicUsize::new(0),
            }),
        }
    }

    /// The answer to the next file operation: the journal's, when it holds one of
    /// the kind `take` accepts, else `live`'s (journaled when the journal is at its
    /// end).
    fn answer<T>(
        &self,
        live: impl FnOnce() -> T,
        keep: impl FnOnce(&T) -> Answer,
        take: impl FnOnce(&Answer) -> Option<T>,
    ) -> T {
        let Some(journal) = &self.journal else {
            return live();
        };
        let at = journal.next.fetch_add(1, Ordering::Relaxed);
        let mut answers = journal.answers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(answer) = answers.get(at).and_then(take) {
            return answer;
        }
        let answer = live();
        if at == answers.len() {
            answers.push(keep(&answer));
        }
        answer
    }

    /// Whether a resolved name is a directory.
    pub fn is_dir(&self, relative: &str) -> bool {
        self.answer(
            || self.host_path(relative).is_dir(),
            |&b| Answer::IsDir(b),
            |a| match a {
                Answer::IsDir(b) => Some(*b),
                _ => None,
            },
        )
    }

    /// The root as given.
    pub fn path(&self) -> &Path {
        &self.root
    }

    fn canonical_root(&self) -> SysResult<PathBuf> {
        self.root.canonicalize().map_err(|e| Errno::from_io(&e))
    }

    /// Resolves a guest file name to a name relative to the root (components joined
    /// with `/`), refusing anything that leads outside the root with EACCES.
    pub fn resolve(&self, guest: &str) -> SysResult<String> {
        self.answer(
            || self.resolve_on_host(guest),
            |r| Answer::Resolved(r.clone()),
            |a| match a {
                Answer::Resolved(r) => Some(r.clone()),
                _ => None,
            },
        )
    }

    fn resolve_on_host(&self, guest: &str) -> SysResult<String> {
        if guest.is_empty() {
            return Err(Errno::ENOENT);
        }
        let root = self.canonical_root()?;
        let given = Path::new(guest);
        let start = if given.is_absolute() {
            PathBuf::from(guest)
        } else {
            root.join(guest)
        };
        // Lexical pass: fold `.` and `..`; an absolute name must start inside the root.
        let mut lexical = PathBuf::new();
        for component in start.components() {
            match component {
                Component::ParentDir => {
                    if !lexical.pop() {
                        return Err(Errno::EACCES);
                    }
                }
                Component::CurDir => {}
                other => lexical.push(other.as_os_str()),
            }
        }
        if !lexical.starts_with(&root) {
            return Err(Errno::EACCES);
        }
        // Symbolic links: the deepest existing ancestor, canonicalized, must stay inside.
        let mut existing = lexical.clone();
        let mut tail = Vec::new();
        loop {
            match std::fs::symlink_metadata(&existing) {
                Ok(meta) => {
                    let real = match existing.canonicalize() {
                        Ok(real) => real,
                        // A dangling link: it could create a file anywhere.
                        Err(_) if meta.file_type().is_symlink() => return Err(Errno::EACCES),
                        Err(e) => return Err(Errno::from_io(&e)),
                    };
                    if !real.starts_with(&root) {
                        return Err(Errno::EACCES);
                    }
                    let mut full = real;
                    for part in tail.iter().rev() {
                        full.push(part);
                    }
                    let relative = full.strip_prefix(&root).map_err(|_| Errno::EACCES)?;
                    let parts: Vec<String> = relative
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect();
                    return Ok(parts.join("/"));
                }
                Err(_) => {
                    let Some(name) = existing.file_name().map(|n| n.to_os_string()) else {
                        return Err(Errno::ENOENT);
                    };
                    tail.push(name);
                    if !existing.pop() {
                        return Err(Errno::ENOENT);
                    }
                }
            }
        }
    }

    /// The host path of a resolved name.
    pub fn host_path(&self, relative: &str) -> PathBuf {
        if relative.is_empty() {
            self.root.clone()
        } else {
            self.root.join(relative)
        }
    }

    /// Opens (and possibly creates or truncates) a resolved file, to check that the
    /// open is allowed; the handle is dropped at once.
    pub fn open(&self, relative: &str, how: OpenHow) -> SysResult<()> {
        self.answer(
            || self.open_on_host(relative, how),
            |r| Answer::Done(*r),
            |a| match a {
                Answer::Done(r) => Some(*r),
                _ => None,
            },
        )
    }

    fn open_on_host(&self, relative: &str, how: OpenHow) -> SysResult<()> {
        let path = self.host_path(relative);
        if path.is_dir() {
            if how.write {
                return Err(Errno::EISDIR);
            }
            return Ok(());
        }
        let mut options = OpenOptions::new();
        options
            .read(how.read || !how.write)
            .write(how.write || how.create || how.truncate)
            .truncate(how.truncate);
        if how.create && how.exclusive {
            options.create_new(true);
        } else if how.create {
            options.create(true);
        }
        open_plain(&path, &mut options)
            .map(|_| ())
            .map_err(|e| Errno::from_io(&e))
    }

    /// Reads up to `max` bytes at `offset`.
    pub fn read_at(&self, relative: &str, offset: u64, max: usize) -> SysResult<Vec<u8>> {
        self.answer(
            || self.read_on_host(relative, offset, max),
            |r| Answer::Bytes(r.clone()),
            |a| match a {
                Answer::Bytes(r) => Some(r.clone()),
                _ => None,
            },
        )
    }

    fn read_on_host(&self, relative: &str, offset: u64, max: usize) -> SysResult<Vec<u8>> {
        let mut file = open_plain(&self.host_path(relative), OpenOptions::new().read(true))
            .map_err(|e| Errno::from_io(&e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| Errno::from_io(&e))?;
        let mut buffer = Vec::with_capacity(max.min(1 << 16));
        file.take(max as u64)
            .read_to_end(&mut buffer)
            .map_err(|e| Errno::from_io(&e))?;
        Ok(buffer)
    }

    /// Writes `bytes` at `offset` (or at the end when `append`); returns the offset
    /// after the write. A write the host fails part way (a full disk, a file size
    /// limit) says how far it got.
    pub fn write_at(
        &self,
        relative: &str,
        offset: u64,
        append: bool,
        bytes: &[u8],
    ) -> Result<u64, HostWriteError> {
        self.answer(
            || self.write_on_host(relative, offset, append, bytes),
            |r| Answer::Written(r.as_ref().copied().map_err(FailedWrite::keep)),
            |a| match a {
                Answer::Written(r) => Some(r.clone().map_err(|f| f.error())),
                _ => None,
            },
        )
    }

    fn write_on_host(
        &self,
        relative: &str,
        offset: u64,
        append: bool,
        bytes: &[u8],
    ) -> Result<u64, HostWriteError> {
        let failed = |error| HostWriteError {
            written: 0,
            end: offset,
            error,
        };
        let mut file = open_plain(&self.host_path(relative), OpenOptions::new().write(true))
            .map_err(failed)?;
        let position = if append {
            file.seek(SeekFrom::End(0))
        } else {
            file.seek(SeekFrom::Start(offset))
        }
        .map_err(failed)?;
        match write_some(&mut file, bytes) {
            (written, None) => Ok(position + written as u64),
            (written, Some(error)) => Err(HostWriteError {
                written,
                end: position + written as u64,
                error,
            }),
        }
    }

    /// Size of a resolved file in bytes.
    pub fn size(&self, relative: &str) -> SysResult<u64> {
        self.answer(
            || self.size_on_host(relative),
            |r| Answer::Size(*r),
            |a| match a {
                Answer::Size(r) => Some(*r),
                _ => None,
            },
        )
    }

    fn size_on_host(&self, relative: &str) -> SysResult<u64> {
        std::fs::metadata(self.host_path(relative))
            .map(|m| m.len())
            .map_err(|e| Errno::from_io(&e))
    }

    /// Reads a whole resolved file (exece), at most `max` bytes.
    pub fn read_all(&self, relative: &str, max: u64) -> SysResult<Vec<u8>> {
        self.answer(
            || self.read_all_on_host(relative, max),
            |r| Answer::Bytes(r.clone()),
            |a| match a {
                Answer::Bytes(r) => Some(r.clone()),
                _ => None,
            },
        )
    }

    fn read_all_on_host(&self, relative: &str, max: u64) -> SysResult<Vec<u8>> {
        if self.size_on_host(relative)? > max {
            return Err(Errno::E2BIG);
        }
        let file = open_plain(&self.host_path(relative), OpenOptions::new().read(true))
            .map_err(|e| Errno::from_io(&e))?;
        let mut bytes = Vec::new();
        // A file that grows after the size check stops at the bound all the same.
        file.take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Errno::from_io(&e))?;
        if bytes.len() as u64 > max {
            return Err(Errno::E2BIG);
        }
        Ok(bytes)
    }

    /// Removes a resolved file.
    pub fn unlink(&self, relative: &str) -> SysResult<()> {
        self.answer(
            || self.unlink_on_host(relative),
            |r| Answer::Done(*r),
            |a| match a {
                Answer::Done(r) => Some(*r),
                _ => None,
            },
        )
    }

    fn unlink_on_host(&self, relative: &str) -> SysResult<()> {
        let path = self.host_path(relative);
        if path.is_dir() {
            return Err(Errno::EPERM);
        }
        std::fs::remove_file(path).map_err(|e| Errno::from_io(&e))
    }

    /// Renames resolved file `from` to `to` (both inside the root).
    pub fn rename(&self, from: &str, to: &str) -> SysResult<()> {
        self.answer(
            || self.rename_on_host(from, to),
            |r| Answer::Done(*r),
            |a| match a {
                Answer::Done(r) => Some(*r),
                _ => None,
            },
        )
    }

    fn rename_on_host(&self, from: &str, to: &str) -> SysResult<()> {
        std::fs::rename(self.host_path(from), self.host_path(to)).map_err(|e| Errno::from_io(&e))
    }
}

/// Where the guest's standard output and error go.
#[derive(Clone, Debug, Default)]
pub enum Console {
    /// The host's stdout and stderr.
    #[default]
    Host,
    /// Kept in memory (tests, replay comparison).
    Captured {
        /// Bytes written to fd 1 streams.
        stdout: Vec<u8>,
        /// Bytes written to fd 2 streams, and kernel messages.
        stderr: Vec<u8>,
    },
    /// The host's stdout and stderr, each also summed up as it is written (a run that
    /// is recorded or replayed compares what it wrote without keeping it).
    Digested {
        /// What went to standard output.
        stdout: OutputDigest,
        /// What went to standard error.
        stderr: OutputDigest,
    },
    /// Another console whose every write the driver wraps (to take its progress
    /// display off the terminal while the guest writes, then draw it again).
    Guarded {
        /// Where the writes go.
        console: Box<Console>,
        /// What each write is wrapped in.
        guard: WriteGuard,
    },
}

/// A wrapper run around each write of a [`Console::Guarded`], given the bytes about to
/// be written: it must call the function it is given exactly once.
#[derive(Clone)]
pub struct WriteGuard(pub std::sync::Arc<WrapWrite>);

/// The function of a [`WriteGuard`]: given the bytes and the write, it runs it once.
pub type WrapWrite = dyn Fn(&[u8], &mut dyn FnMut()) + Send + Sync;

impl std::fmt::Debug for WriteGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriteGuard")
    }
}

/// The length and xxh3-64 of a stream of bytes, however it was split into writes.
#[derive(Clone, Default)]
pub struct OutputDigest {
    len: u64,
    // Boxed: the hasher's state is larger than everything else a console holds.
    hasher: Box<xxhash_rust::xxh3::Xxh3Default>,
}

impl OutputDigest {
    /// Adds `bytes` to the stream.
    pub fn update(&mut self, bytes: &[u8]) {
        self.len += bytes.len() as u64;
        self.hasher.update(bytes);
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The xxh3-64 of the bytes written so far.
    pub fn digest(&self) -> u64 {
        self.hasher.digest()
    }
}

/// How many of `bytes` a console write wrote.
fn written_of(result: &Result<(), HostWriteError>, bytes: &[u8]) -> usize {
    match result {
        Ok(()) => bytes.len(),
        Err(failure) => failure.written.min(bytes.len()),
    }
}

impl std::fmt::Debug for OutputDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bytes, xxh3 {:016x}", self.len, self.digest())
    }
}

impl Console {
    /// An empty captured console.
    pub fn captured() -> Console {
        Console::Captured {
            stdout: Vec::new(),
            stderr: Vec::new(),
        }
    }

    /// The host's console, summing up what is written ([`Console::Digested`]).
    pub fn digested() -> Console {
        Console::Digested {
            stdout: OutputDigest::default(),
            stderr: OutputDigest::default(),
        }
    }

    /// `console` with each write wrapped in `guard`.
    pub fn guarded(console: Console, guard: WriteGuard) -> Console {
        Console::Guarded {
            console: Box::new(console),
            guard,
        }
    }

    /// Writes to standard output; a host write that fails says how far it got.
    pub fn stdout(&mut self, bytes: &[u8]) -> Result<(), HostWriteError> {
        match self {
            Console::Host => host_write(std::io::stdout().lock(), bytes),
            Console::Captured { stdout, .. } => {
                stdout.extend_from_slice(bytes);
                Ok(())
            }
            Console::Digested { stdout, .. } => {
                let result = host_write(std::io::stdout().lock(), bytes);
                stdout.update(&bytes[..written_of(&result, bytes)]);
                result
            }
            Console::Guarded { console, guard } => {
                let mut result = Ok(());
                (guard.0)(bytes, &mut || result = console.stdout(bytes));
                result
            }
        }
    }

    /// Writes to standard error; a host write that fails says how far it got.
    pub fn stderr(&mut self, bytes: &[u8]) -> Result<(), HostWriteError> {
        match self {
            Console::Host => host_write(std::io::stderr().lock(), bytes),
            Console::Captured { stderr, .. } => {
                stderr.extend_from_slice(bytes);
                Ok(())
            }
            Console::Digested { stderr, .. } => {
                let result = host_write(std::io::stderr().lock(), bytes);
                stderr.update(&bytes[..written_of(&result, bytes)]);
                result
            }
            Console::Guarded { console, guard } => {
                let mut result = Ok(());
                (guard.0)(bytes, &mut || result = console.stderr(bytes));
                result
            }
        }
    }

    /// Writes a message of the system's own (not the guest's output) to standard
    /// error. There is nobody to tell when that fails.
    pub fn message(&mut self, bytes: &[u8]) {
        let _ = self.stderr(bytes);
    }

    /// What went to standard output and standard error, for a digested console.
    pub fn digests(&self) -> Option<(&OutputDigest, &OutputDigest)> {
        match self {
            Console::Digested { stdout, stderr } => Some((stdout, stderr)),
            Console::Guarded { console, .. } => console.digests(),
            _ => None,
        }
    }

    /// Captured standard output (empty for the host console).
    pub fn captured_stdout(&self) -> &[u8] {
        match self {
            Console::Captured { stdout, .. } => stdout,
            Console::Guarded { console, .. } => console.captured_stdout(),
            Console::Host | Console::Digested { .. } => &[],
        }
    }

    /// Captured standard error (empty for the host console).
    pub fn captured_stderr(&self) -> &[u8] {
        match self {
            Console::Captured { stderr, .. } => stderr,
            Console::Guarded { console, .. } => console.captured_stderr(),
            Console::Host | Console::Digested { .. } => &[],
        }
    }
}

/// A write to the host that failed, after `written` of its bytes (a full disk may take
/// part of a write).
#[derive(Debug)]
pub struct HostWriteError {
    /// Bytes written before the failure.
    pub written: usize,
    /// The file offset after those bytes (host files; 0 for the console).
    pub end: u64,
    /// What the host said.
    pub error: std::io::Error,
}

impl HostWriteError {
    /// The errno the guest gets (the host's own where the ABI has it: ENOSPC, EFBIG,
    /// EPIPE...; EIO otherwise).
    pub fn errno(&self) -> Errno {
        Errno::from_io(&self.error)
    }
}

impl From<HostWriteError> for Errno {
    fn from(failure: HostWriteError) -> Errno {
        failure.errno()
    }
}

/// Writes as much of `bytes` as the host takes: the count written, and the error that
/// stopped it if it stopped short.
fn write_some(out: &mut impl Write, bytes: &[u8]) -> (usize, Option<std::io::Error>) {
    let mut written = 0;
    while written < bytes.len() {
        match out.write(&bytes[written..]) {
            Ok(0) => return (written, Some(std::io::ErrorKind::WriteZero.into())),
            Ok(n) => written += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (written, Some(e)),
        }
    }
    (written, None)
}

/// Writes `bytes` on the host's stream `which`, unbuffered: a failure must reach the
/// guest with the count of what was written, and bytes it could not write must not
/// stay in a buffer to come out later. The stream's own buffer (the runner's
/// messages) is flushed first so that the order is kept.
fn host_write<S: Write + std::os::fd::AsFd>(which: S, bytes: &[u8]) -> Result<(), HostWriteError> {
    let mut stream = which;
    let prepared = stream
        .flush()
        .and_then(|()| stream.as_fd().try_clone_to_owned());
    let mut file = match prepared {
        Ok(fd) => std::fs::File::from(fd),
        Err(error) => {
            return Err(HostWriteError {
                written: 0,
                end: 0,
                error,
            })
        }
    };
    match write_some(&mut file, bytes) {
        (_, None) => Ok(()),
        (written, Some(error)) => Err(HostWriteError {
            written,
            end: 0,
            error,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> (tempfile::TempDir, HostRoot) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/a"), b"x").unwrap();
        let root = HostRoot::new(dir.path().join("sub"));
        std::fs::write(dir.path().join("outside"), b"secret").unwrap();
        (dir, root)
    }

    #[test]
    fn names_resolve_inside_the_root() {
        let (_dir, root) = root();
        assert_eq!(root.resolve("a").unwrap(), "a");
        assert_eq!(root.resolve("./new").unwrap(), "new");
        assert_eq!(root.resolve("x/../a").unwrap(), "a");
        let absolute = root.path().canonicalize().unwrap().join("a");
        assert_eq!(root.resolve(absolute.to_str().unwrap()).unwrap(), "a");
    }

    #[test]
    fn escapes_are_refused() {
        let (dir, root) = root();
        assert_eq!(root.resolve("../outside"), Err(Errno::EACCES));
        assert_eq!(root.resolve("/etc/passwd"), Err(Errno::EACCES));
        assert_eq!(root.resolve("a/../../outside"), Err(Errno::EACCES));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("outside"), dir.path().join("sub/link"))
                .unwrap();
            assert_eq!(root.resolve("link"), Err(Errno::EACCES));
            std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/up")).unwrap();
            assert_eq!(root.resolve("up/outside"), Err(Errno::EACCES));
            assert_eq!(root.resolve("up/newfile"), Err(Errno::EACCES));
            std::os::unix::fs::symlink("/nonexistent/x", dir.path().join("sub/dangling")).unwrap();
            assert_eq!(root.resolve("dangling"), Err(Errno::EACCES));
        }
    }

    #[test]
    fn reads_and_writes_at_offsets() {
        let (_dir, root) = root();
        root.open(
            "f",
            OpenHow {
                write: true,
                create: true,
                ..OpenHow::default()
            },
        )
        .unwrap();
        assert_eq!(root.write_at("f", 0, false, b"hello").unwrap(), 5);
        assert_eq!(root.write_at("f", 1, false, b"E").unwrap(), 2);
        assert_eq!(root.read_at("f", 0, 100).unwrap(), b"hEllo");
        assert_eq!(root.read_at("f", 3, 1).unwrap(), b"l");
        assert_eq!(root.write_at("f", 0, true, b"!").unwrap(), 6);
        root.unlink("f").unwrap();
        assert_eq!(root.read_at("f", 0, 1), Err(Errno::ENOENT));
        let missing = root.write_at("f", 0, false, b"x").unwrap_err();
        assert_eq!((missing.errno(), missing.written), (Errno::ENOENT, 0));
    }

    #[test]
    fn a_fifo_or_device_is_refused_with_enxio_without_blocking() {
        let (dir, root) = root();
        let made = std::process::Command::new("mkfifo")
            .arg(dir.path().join("sub/fifo"))
            .status()
            .unwrap();
        assert!(made.success());
        // Without a writer (reading) or a reader (writing), each of these blocked.
        for how in [
            OpenHow {
                read: true,
                ..OpenHow::default()
            },
            OpenHow {
                write: true,
                ..OpenHow::default()
            },
        ] {
            assert_eq!(root.open("fifo", how), Err(Errno::ENXIO), "{how:?}");
        }
        assert_eq!(root.read_at("fifo", 0, 10), Err(Errno::ENXIO));
        assert_eq!(root.read_all("fifo", 10), Err(Errno::ENXIO));
        let write = root.write_at("fifo", 0, false, b"x").unwrap_err();
        assert_eq!((write.errno(), write.written), (Errno::ENXIO, 0));
        // A device reached inside the root: /dev/zero would read forever.
        let devices = HostRoot::new("/dev");
        assert_eq!(devices.read_all("zero", 1 << 20), Err(Errno::ENXIO));
    }

    #[test]
    fn directories_give_eisdir_and_enotdir() {
        let (dir, root) = root();
        std::fs::create_dir(dir.path().join("sub/x")).unwrap();
        let write = OpenHow {
            write: true,
            ..OpenHow::default()
        };
        assert_eq!(root.open("x", write), Err(Errno::EISDIR));
        root.open("x", OpenHow::default()).unwrap();
        #[cfg(unix)]
        {
            assert_eq!(root.read_at("x", 0, 8), Err(Errno::EISDIR));
            assert_eq!(root.open("a/y", OpenHow::default()), Err(Errno::ENOTDIR));
        }
    }
}
