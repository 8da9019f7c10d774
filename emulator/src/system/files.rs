//! The kernel's open file table and pipes.
//!
//! A process's descriptor names an *open file description* by id; fork and dup copy
//! the id and raise the description's reference count, so both descriptors share one
//! offset, as in UNIX. A pipe counts its read and write descriptions: a reader sees
//! end of file once the buffer is empty and no writer is left; a writer with no
//! reader left gets EPIPE (and SIGPIPE).

use super::errno::{Errno, SysResult};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// Bytes a pipe holds before writers block.
pub const PIPE_CAPACITY: usize = 4096;

/// Start of the hidden name (in the root) that an open host file takes when it is
/// unlinked: as in UNIX it stays readable and writable through the descriptors that
/// have it open, and goes away when the last of them is closed.
pub const UNLINKED_PREFIX: &str = ".cray-unlinked-";

/// Identifier of an open file description in the kernel table.
pub type FileId = u64;

/// What an open file description refers to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Description {
    /// A host file, by its name relative to the root.
    Host {
        /// Name relative to the root, `/`-separated.
        path: String,
        /// Opened for reading.
        readable: bool,
        /// Opened for writing.
        writable: bool,
        /// Writes go to the end (O_APPEND).
        append: bool,
        /// Current offset in bytes.
        offset: u64,
    },
    /// The read end of a pipe.
    PipeRead {
        /// The pipe.
        pipe: u64,
    },
    /// The write end of a pipe.
    PipeWrite {
        /// The pipe.
        pipe: u64,
    },
    /// The terminal input (the driver supplies it).
    Stdin,
    /// The host's standard output.
    Stdout,
    /// The host's standard error.
    Stderr,
}

/// One open file description and how many descriptors refer to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenFile {
    /// What it refers to.
    pub description: Description,
    /// Descriptors (in all processes) that refer to it.
    pub refs: u32,
}

/// A pipe's buffer and ends.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipe {
    /// Bytes written and not yet read.
    pub buffer: VecDeque<u8>,
    /// Open read descriptions.
    pub readers: u32,
    /// Open write descriptions.
    pub writers: u32,
}

/// Terminal input handed to the kernel by the driver.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalInput {
    /// Bytes not yet read.
    pub buffer: VecDeque<u8>,
    /// The driver said there is no more input.
    pub end: bool,
}

/// What a pipe read or write did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PipeOutcome<T> {
    /// Done, with a result.
    Done(T),
    /// Nothing can be done now: the caller blocks.
    Block,
}

/// The open file table of the whole system.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileTable {
    /// Open file descriptions by id.
    pub open: BTreeMap<FileId, OpenFile>,
    /// Pipes by id.
    pub pipes: BTreeMap<u64, Pipe>,
    /// Next id for a description or a pipe.
    pub next_id: u64,
    /// Terminal input.
    pub terminal: TerminalInput,
}

impl FileTable {
    /// Adds a description with one reference.
    pub fn add(&mut self, description: Description) -> FileId {
        let id = self.next_id;
        self.next_id += 1;
        self.open.insert(
            id,
            OpenFile {
                description,
                refs: 1,
            },
        );
        id
    }

    /// The lowest description open on host file `path`, if any.
    pub fn host_open(&self, path: &str) -> Option<FileId> {
        self.open
            .iter()
            .find_map(|(&id, file)| match &file.description {
                Description::Host { path: p, .. } if p == path => Some(id),
                _ => None,
            })
    }

    /// Every description of host file `from` now names `to` (the file was renamed).
    pub fn rename_host(&mut self, from: &str, to: &str) {
        for file in self.open.values_mut() {
            if let Description::Host { path, .. } = &mut file.description {
                if path == from {
                    *path = to.to_string();
                }
            }
        }
    }

    /// The hidden name of an unlinked host file that closing the last reference to
    /// `id` must remove (none if other descriptions still have it open).
    pub fn unlinked_if_last(&self, id: FileId) -> Option<String> {
        let file = self.open.get(&id)?;
        match &file.description {
            Description::Host { path, .. }
                if file.refs == 1 && path.starts_with(UNLINKED_PREFIX) =>
            {
                let others = self.open.iter().any(|(&other, f)| {
                    other != id
                        && matches!(&f.description, Description::Host { path: p, .. } if p == path)
                });
                (!others).then(|| path.clone())
            }
            _ => None,
        }
    }

    /// Another descriptor now refers to `id` (fork, dup).
    pub fn share(&mut self, id: FileId) {
        if let Some(file) = self.open.get_mut(&id) {
            file.refs += 1;
        }
    }

    /// A descriptor referring to `id` was closed. Returns the pipe whose state changed
    /// when the last reference to a pipe end went away (to wake its waiters).
    pub fn release(&mut self, id: FileId) -> Option<u64> {
        let file = self.open.get_mut(&id)?;
        file.refs = file.refs.saturating_sub(1);
        if file.refs > 0 {
            return None;
        }
        let description = self.open.remove(&id)?.description;
        let (pipe_id, reader) = match description {
            Description::PipeRead { pipe } => (pipe, true),
            Description::PipeWrite { pipe } => (pipe, false),
            _ => return None,
        };
        let pipe = self.pipes.get_mut(&pipe_id)?;
        if reader {
            pipe.readers = pipe.readers.saturating_sub(1);
        } else {
            pipe.writers = pipe.writers.saturating_sub(1);
        }
        if pipe.readers == 0 && pipe.writers == 0 {
            self.pipes.remove(&pipe_id);
        }
        Some(pipe_id)
    }

    /// Creates a pipe: returns the (read, write) descriptions.
    pub fn create_pipe(&mut self) -> (FileId, FileId) {
        let pipe = self.next_id;
        self.next_id += 1;
        self.pipes.insert(
            pipe,
            Pipe {
                buffer: VecDeque::new(),
                readers: 1,
                writers: 1,
            },
        );
        let read = self.add(Description::PipeRead { pipe });
        let write = self.add(Description::PipeWrite { pipe });
        (read, write)
    }

    /// The description `id`.
    pub fn get(&self, id: FileId) -> SysResult<&OpenFile> {
        self.open.get(&id).ok_or(Errno::EBADF)
    }

    /// The description `id`, mutable.
    pub fn get_mut(&mut self, id: FileId) -> SysResult<&mut OpenFile> {
        self.open.get_mut(&id).ok_or(Errno::EBADF)
    }

    /// Reads up to `max` bytes from a pipe: empty means end of file.
    pub fn pipe_read(&mut self, pipe: u64, max: usize) -> PipeOutcome<Vec<u8>> {
        let Some(p) = self.pipes.get_mut(&pipe) else {
            return PipeOutcome::Done(Vec::new());
        };
        if p.buffer.is_empty() {
            if p.writers == 0 || max == 0 {
                return PipeOutcome::Done(Vec::new());
            }
            return PipeOutcome::Block;
        }
        let n = max.min(p.buffer.len());
        PipeOutcome::Done(p.buffer.drain(..n).collect())
    }

    /// Writes into a pipe as much of `bytes` as fits; blocks only when nothing fits.
    pub fn pipe_write(&mut self, pipe: u64, bytes: &[u8]) -> PipeOutcome<SysResult<usize>> {
        let Some(p) = self.pipes.get_mut(&pipe) else {
            return PipeOutcome::Done(Err(Errno::EPIPE));
        };
        if p.readers == 0 {
            return PipeOutcome::Done(Err(Errno::EPIPE));
        }
        let room = PIPE_CAPACITY - p.buffer.len().min(PIPE_CAPACITY);
        if room == 0 && !bytes.is_empty() {
            return PipeOutcome::Block;
        }
        let n = room.min(bytes.len());
        p.buffer.extend(&bytes[..n]);
        PipeOutcome::Done(Ok(n))
    }

    /// Reads up to `max` bytes of terminal input; empty at end of input.
    pub fn terminal_read(&mut self, max: usize) -> PipeOutcome<Vec<u8>> {
        let input = &mut self.terminal;
        if input.buffer.is_empty() {
            if input.end || max == 0 {
                return PipeOutcome::Done(Vec::new());
            }
            return PipeOutcome::Block;
        }
        let n = max.min(input.buffer.len());
        PipeOutcome::Done(input.buffer.drain(..n).collect())
    }

    /// Takes the next whole line of terminal input (a reader of records, such as a
    /// COS job reading `$IN`): its bytes without the `\n` (and a `\r` before it).
    /// At the end of input the bytes left are the last line, and after them
    /// [`TerminalLine::End`]; before it, a line not yet ended waits.
    pub fn terminal_line(&mut self) -> TerminalLine {
        let input = &mut self.terminal;
        let mut line: Vec<u8> = match input.buffer.iter().position(|&b| b == b'\n') {
            Some(newline) => {
                let mut line: Vec<u8> = input.buffer.drain(..=newline).collect();
                line.pop();
                line
            }
            None if !input.end => return TerminalLine::Wait,
            None if input.buffer.is_empty() => return TerminalLine::End,
            None => input.buffer.drain(..).collect(),
        };
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        TerminalLine::Line(line)
    }
}

/// What [`FileTable::terminal_line`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TerminalLine {
    /// A line, without its end.
    Line(Vec<u8>),
    /// No line has ended yet: wait for more input.
    Wait,
    /// The input has ended and every line was taken.
    End,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_lines_wait_for_their_end() {
        let mut table = FileTable::default();
        let line = |t: &mut FileTable| t.terminal_line();
        assert_eq!(line(&mut table), TerminalLine::Wait);
        table.terminal.buffer.extend(b"(PLUS 1 2)\r\n(EX");
        assert_eq!(line(&mut table), TerminalLine::Line(b"(PLUS 1 2)".to_vec()));
        assert_eq!(line(&mut table), TerminalLine::Wait, "a line not yet ended");
        table.terminal.buffer.extend(b"IT)\n\n");
        assert_eq!(line(&mut table), TerminalLine::Line(b"(EXIT)".to_vec()));
        assert_eq!(line(&mut table), TerminalLine::Line(Vec::new()));
        table.terminal.buffer.extend(b"last");
        table.terminal.end = true;
        assert_eq!(line(&mut table), TerminalLine::Line(b"last".to_vec()));
        assert_eq!(line(&mut table), TerminalLine::End);
    }

    #[test]
    fn shared_descriptions_close_on_last_release() {
        let mut table = FileTable::default();
        let id = table.add(Description::Stdout);
        table.share(id);
        assert_eq!(table.release(id), None);
        assert!(table.get(id).is_ok());
        table.release(id);
        assert_eq!(table.get(id).err(), Some(Errno::EBADF));
    }

    #[test]
    fn an_unlinked_file_goes_with_its_last_description() {
        let mut table = FileTable::default();
        let host = |path: &str| Description::Host {
            path: path.to_string(),
            readable: true,
            writable: false,
            append: false,
            offset: 0,
        };
        table.add(host("other"));
        let a = table.add(host("f"));
        let b = table.add(host("f"));
        table.share(b);
        assert_eq!(table.host_open("f"), Some(a));
        let hidden = format!("{UNLINKED_PREFIX}{a}");
        table.rename_host("f", &hidden);
        assert_eq!(table.host_open("f"), None);
        assert_eq!(table.host_open(&hidden), Some(a));
        assert_eq!(table.unlinked_if_last(a), None, "b still has it open");
        table.release(a);
        assert_eq!(table.unlinked_if_last(b), None, "b has two references");
        table.release(b);
        assert_eq!(table.unlinked_if_last(b), Some(hidden));
        assert_eq!(table.unlinked_if_last(0), None, "not unlinked");
    }

    #[test]
    fn pipes_block_then_reach_end_of_file() {
        let mut table = FileTable::default();
        let (r, w) = table.create_pipe();
        let Description::PipeRead { pipe } = table.get(r).unwrap().description else {
            panic!("not a pipe read end");
        };
        assert_eq!(table.pipe_read(pipe, 10), PipeOutcome::Block);
        assert_eq!(table.pipe_write(pipe, b"abc"), PipeOutcome::Done(Ok(3)));
        assert_eq!(table.pipe_read(pipe, 2), PipeOutcome::Done(b"ab".to_vec()));
        assert_eq!(table.release(w), Some(pipe));
        assert_eq!(table.pipe_read(pipe, 10), PipeOutcome::Done(b"c".to_vec()));
        assert_eq!(table.pipe_read(pipe, 10), PipeOutcome::Done(vec![]));
    }

    #[test]
    fn full_pipes_block_writers_and_readerless_pipes_refuse() {
        let mut table = FileTable::default();
        let (r, _w) = table.create_pipe();
        let pipe = match table.get(r).unwrap().description {
            Description::PipeRead { pipe } => pipe,
            _ => unreachable!(),
        };
        let big = vec![7u8; PIPE_CAPACITY + 10];
        assert_eq!(
            table.pipe_write(pipe, &big),
            PipeOutcome::Done(Ok(PIPE_CAPACITY))
        );
        assert_eq!(table.pipe_write(pipe, b"x"), PipeOutcome::Block);
        table.release(r);
        assert_eq!(
            table.pipe_write(pipe, b"x"),
            PipeOutcome::Done(Err(Errno::EPIPE))
        );
    }
}
