//! System calls on files: read, write, open, close, unlink, lseek, dup, pipe.

use super::errno::{Errno, SysResult};
use super::files::{Description, FileId, PipeOutcome, UNLINKED_PREFIX};
use super::host_files::{HostWriteError, OpenHow};
use super::process::{Pid, WaitOn};
use super::syscalls::{Outcome, O_ACCMODE, O_APPEND, O_CREAT, O_EXCL, O_TRUNC};
use super::{guest, signals, Foreign, System};

/// Longest path name accepted.
const MAX_PATH: usize = 1024;

impl<F: Foreign> System<F> {
    fn file_id(&self, pid: Pid, fd: u64) -> SysResult<FileId> {
        let fd = u32::try_from(fd).map_err(|_| Errno::EBADF)?;
        self.processes
            .get(&pid)
            .and_then(|p| p.fds.get(&fd))
            .copied()
            .ok_or(Errno::EBADF)
    }

    /// A NUL-terminated path argument, resolved inside the root.
    pub(crate) fn path_arg(&self, pid: Pid, pointer: u64) -> SysResult<String> {
        let process = self.processes.get(&pid).ok_or(Errno::ESRCH)?;
        let bytes = guest::read_string(&process.memory, pointer, MAX_PATH)?;
        let name = String::from_utf8(bytes).map_err(|_| Errno::EINVAL)?;
        self.root.resolve(&name)
    }

    /// Checks that `len` bytes at `pointer` lie inside the field of `pid`.
    fn check_buffer(&self, pid: Pid, pointer: u64, len: u64) -> SysResult<()> {
        let process = self.processes.get(&pid).ok_or(Errno::ESRCH)?;
        let end = guest::byte_address(pointer)
            .checked_add(len)
            .ok_or(Errno::EFAULT)?;
        if end > process.field_words() * 8 {
            return Err(Errno::EFAULT);
        }
        Ok(())
    }

    fn give(&mut self, pid: Pid, pointer: u64, bytes: &[u8]) -> SysResult<u64> {
        let process = self.processes.get_mut(&pid).ok_or(Errno::ESRCH)?;
        guest::write_bytes(&mut process.memory, pointer, bytes)?;
        Ok(bytes.len() as u64)
    }

    pub(crate) fn sys_read(&mut self, pid: Pid) -> Outcome {
        let result = (|| {
            let [fd, buffer, count] = self.args::<3>(pid)?;
            let id = self.file_id(pid, fd)?;
            self.check_buffer(pid, buffer, count)?;
            let max = count as usize;
            match self.files.get(id)?.description.clone() {
                Description::Host {
                    path,
                    readable: true,
                    offset,
                    ..
                } => {
                    let bytes = self.root.read_at(&path, offset, max)?;
                    if let Description::Host { offset, .. } =
                        &mut self.files.get_mut(id)?.description
                    {
                        *offset += bytes.len() as u64;
                    }
                    Ok(Outcome::Return(self.give(pid, buffer, &bytes)?))
                }
                Description::PipeRead { pipe } => match self.files.pipe_read(pipe, max) {
                    PipeOutcome::Done(bytes) => {
                        self.wake(WaitOn::PipeWrite(pipe));
                        Ok(Outcome::Return(self.give(pid, buffer, &bytes)?))
                    }
                    PipeOutcome::Block => Ok(Outcome::Block(WaitOn::PipeRead(pipe))),
                },
                Description::Stdin => match self.files.terminal_read(max) {
                    PipeOutcome::Done(bytes) => {
                        Ok(Outcome::Return(self.give(pid, buffer, &bytes)?))
                    }
                    PipeOutcome::Block => Ok(Outcome::Block(WaitOn::Terminal)),
                },
                _ => Err(Errno::EBADF),
            }
        })();
        result.unwrap_or_else(Outcome::Fail)
    }

    pub(crate) fn sys_write(&mut self, pid: Pid) -> Outcome {
        let result = (|| {
            let [fd, buffer, count] = self.args::<3>(pid)?;
            let id = self.file_id(pid, fd)?;
            self.check_buffer(pid, buffer, count)?;
            let bytes = guest::read_bytes(&self.processes[&pid].memory, buffer, count)?;
            match self.files.get(id)?.description.clone() {
                Description::Host {
                    path,
                    writable: true,
                    append,
                    offset,
                    ..
                } => {
                    let (end, written) = match self.root.write_at(&path, offset, append, &bytes) {
                        Ok(end) => (end, count),
                        Err(failure) => {
                            let errno = failure.errno();
                            self.host_write_failed(pid, &path, &failure, &errno.to_string());
                            if failure.written == 0 {
                                return Err(errno);
                            }
                            // Part went: the count, as a short write (the next fails).
                            (failure.end, failure.written as u64)
                        }
                    };
                    if let Description::Host { offset, .. } =
                        &mut self.files.get_mut(id)?.description
                    {
                        *offset = end;
                    }
                    Ok(Outcome::Return(written))
                }
                Description::PipeWrite { pipe } => match self.files.pipe_write(pipe, &bytes) {
                    PipeOutcome::Done(Ok(n)) => {
                        self.wake(WaitOn::PipeRead(pipe));
                        Ok(Outcome::Return(n as u64))
                    }
                    PipeOutcome::Done(Err(errno)) => {
                        self.post_signal(pid, signals::SIGPIPE);
                        Err(errno)
                    }
                    PipeOutcome::Block => Ok(Outcome::Block(WaitOn::PipeWrite(pipe))),
                },
                Description::Stdout => {
                    let result = self.console.stdout(&bytes);
                    self.console_written(pid, "standard output", result, count)
                }
                Description::Stderr => {
                    let result = self.console.stderr(&bytes);
                    self.console_written(pid, "standard error", result, count)
                }
                _ => Err(Errno::EBADF),
            }
        })();
        result.unwrap_or_else(Outcome::Fail)
    }

    /// The result of a write of `count` bytes to the host's standard output or error:
    /// the count, a short count when part of it went, or the host's errno.
    fn console_written(
        &mut self,
        pid: Pid,
        place: &str,
        result: Result<(), HostWriteError>,
        count: u64,
    ) -> SysResult<Outcome> {
        let Err(failure) = result else {
            return Ok(Outcome::Return(count));
        };
        let errno = failure.errno();
        self.host_write_failed(pid, place, &failure, &errno.to_string());
        match failure.written {
            0 => Err(errno),
            written => Ok(Outcome::Return(written as u64)),
        }
    }

    /// Gives `id` the lowest free descriptor of `pid`, or EMFILE (releasing `id`).
    fn install_fd(&mut self, pid: Pid, id: FileId) -> SysResult<u64> {
        let max = self.config.max_open_files;
        let process = self.processes.get_mut(&pid).ok_or(Errno::ESRCH)?;
        if process.fds.len() >= max {
            self.files.release(id);
            return Err(Errno::EMFILE);
        }
        let fd = process.lowest_free_fd();
        process.fds.insert(fd, id);
        Ok(u64::from(fd))
    }

    fn room_for_fds(&self, pid: Pid, n: usize) -> SysResult<()> {
        let process = self.processes.get(&pid).ok_or(Errno::ESRCH)?;
        if process.fds.len() + n > self.config.max_open_files {
            return Err(Errno::EMFILE);
        }
        Ok(())
    }

    pub(crate) fn sys_open(&mut self, pid: Pid) -> Outcome {
        let result = (|| {
            let [pointer, flags, _mode] = self.args::<3>(pid)?;
            self.room_for_fds(pid, 1)?;
            let path = self.path_arg(pid, pointer)?;
            let (read, write) = match flags & O_ACCMODE {
                0 => (true, false),
                1 => (false, true),
                2 => (true, true),
                _ => return Err(Errno::EINVAL),
            };
            let how = OpenHow {
                read,
                write,
                create: flags & O_CREAT != 0,
                truncate: flags & O_TRUNC != 0 && write,
                exclusive: flags & O_EXCL != 0,
            };
            self.root.open(&path, how)?;
            let id = self.files.add(Description::Host {
                path,
                readable: read,
                writable: write,
                append: flags & O_APPEND != 0,
                offset: 0,
            });
            self.install_fd(pid, id)
        })();
        result.into()
    }

    pub(crate) fn sys_close(&mut self, pid: Pid) -> Outcome {
        let result = (|| {
            let [fd] = self.args::<1>(pid)?;
            let fd = u32::try_from(fd).map_err(|_| Errno::EBADF)?;
            self.close_fd(pid, fd)?;
            Ok(0)
        })();
        result.into()
    }

    pub(crate) fn sys_unlink(&mut self, pid: Pid) -> Outcome {
        let result = (|| {
            let [pointer] = self.args::<1>(pid)?;
            let path = self.path_arg(pid, pointer)?;
            match self.files.host_open(&path) {
                // Still open: hide it until the last descriptor goes (see UNLINKED_PREFIX).
                Some(id) if !self.root.is_dir(&path) => {
                    let hidden = format!("{UNLINKED_PREFIX}{id}");
                    self.root.rename(&path, &hidden)?;
                    self.files.rename_host(&path, &hidden);
                }
                _ => self.root.unlink(&path)?,
            }
            Ok(0)
        })();
        result.into()
    }

    pub(crate) fn sys_lseek(&mut self, pid: Pid) -> Outcome {
        let result = (|| {
            let [fd, offset, whence] = self.args::<3>(pid)?;
            let id = self.file_id(pid, fd)?;
            let (path, current) = match &self.files.get(id)?.description {
                Description::Host { path, offset, .. } => (path.clone(), *offset),
                _ => return Err(Errno::ESPIPE),
            };
            let base = match whence {
                0 => 0,
                1 => current as i128,
                2 => self.root.size(&path)? as i128,
                _ => return Err(Errno::EINVAL),
            };
            let target = base + i128::from(offset as i64);
            if !(0..=i128::from(i64::MAX)).contains(&target) {
                return Err(Errno::EINVAL);
            }
            if let Description::Host { offset, .. } = &mut self.files.get_mut(id)?.description {
                *offset = target as u64;
            }
            Ok(target as u64)
        })();
        result.into()
    }

    pub(crate) fn sys_dup(&mut self, pid: Pid) -> Outcome {
        let result = (|| {
            let [fd] = self.args::<1>(pid)?;
            let id = self.file_id(pid, fd)?;
            self.room_for_fds(pid, 1)?;
            self.files.share(id);
            self.install_fd(pid, id)
        })();
        result.into()
    }

    pub(crate) fn sys_pipe(&mut self, pid: Pid) -> Outcome {
        let result = (|| {
            let [address] = self.args::<1>(pid)?;
            self.room_for_fds(pid, 2)?;
            let memory = &self.processes[&pid].memory;
            guest::read_word(memory, address)?;
            guest::read_word(memory, address + 1)?;
            let (read, write) = self.files.create_pipe();
            let read_fd = self.install_fd(pid, read)?;
            let write_fd = self.install_fd(pid, write)?;
            let memory = &mut self.processes.get_mut(&pid).ok_or(Errno::ESRCH)?.memory;
            guest::write_word(memory, address, read_fd)?;
            guest::write_word(memory, address + 1, write_fd)?;
            Ok(0)
        })();
        result.into()
    }
}
