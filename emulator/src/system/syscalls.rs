//! The system-call table (INTERFACE.md) and dispatch.
//!
//! A call is `EX` with S0 = call number and S1 = word address of the argument list
//! (argument i is the word at S1 + i). On return S1 holds the result and S0 is 0; on
//! failure S0 holds the errno and S1 is -1 (all ones). A call that must wait (a read
//! of an empty pipe, a wait for a running child) leaves the process blocked with P at
//! its EX, so the call is issued again when the process is woken.
//!
//! Pipes hold [`PIPE_CAPACITY`](super::files::PIPE_CAPACITY) bytes. A write to a pipe
//! blocks only while the pipe is full; otherwise it writes what fits and returns that
//! count (callers loop, as for any short write). A read returns what is there, and 0
//! at end of file (buffer empty, no writer left). A write with no reader left gives
//! EPIPE and SIGPIPE. Reading fd 0 with no terminal input buffered blocks the process
//! and makes [`System::run`] return [`Event::InputWanted`].
//!
//! As in UNIX, unlinking a file that is still open only removes its name: the file
//! is renamed to a hidden name in the root
//! ([`UNLINKED_PREFIX`](super::files::UNLINKED_PREFIX)) and removed when its last
//! descriptor closes. `kill` finds a zombie (signal 0 succeeds) until it is waited for.
//!
//! | no. | call | arguments |
//! |---|---|---|
//! | 1 | exit | status |
//! | 2 | fork | (child gets 0, parent the child's pid) |
//! | 3 | read | fd, buffer, nbytes |
//! | 4 | write | fd, buffer, nbytes |
//! | 5 | open | path, flags, mode |
//! | 6 | close | fd |
//! | 7 | wait | status address or 0 |
//! | 10 | unlink | path |
//! | 13 | time | |
//! | 17 | brk | new end of the field (0: returns the current end) |
//! | 19 | lseek | fd, offset, whence |
//! | 20 | getpid | |
//! | 37 | kill | pid (0: the caller's job), signal |
//! | 41 | dup | fd |
//! | 42 | pipe | address of two words |
//! | 48 | signal | signal, handler (0 default, 1 ignore, else parcel address) |
//! | 59 | exece | path, argv, envp |
//! | 155 | waitpid | pid (-1 any), status address, options (WNOHANG 1) |
//! | 160 | getjid | |
//! | 161 | getppid | |
//! | 200 | chkpnt | kind, id, path, flags (1 = kill after) |
//! | 201 | restart | path, flags |

use super::errno::{Errno, SysResult};
use super::process::{Pid, WaitOn};
use super::{guest, Event, Foreign, System};

/// exit
pub const SYS_EXIT: u64 = 1;
/// fork
pub const SYS_FORK: u64 = 2;
/// read
pub const SYS_READ: u64 = 3;
/// write
pub const SYS_WRITE: u64 = 4;
/// open
pub const SYS_OPEN: u64 = 5;
/// close
pub const SYS_CLOSE: u64 = 6;
/// wait
pub const SYS_WAIT: u64 = 7;
/// unlink
pub const SYS_UNLINK: u64 = 10;
/// time
pub const SYS_TIME: u64 = 13;
/// brk
pub const SYS_BRK: u64 = 17;
/// lseek
pub const SYS_LSEEK: u64 = 19;
/// getpid
pub const SYS_GETPID: u64 = 20;
/// kill
pub const SYS_KILL: u64 = 37;
/// dup
pub const SYS_DUP: u64 = 41;
/// pipe
pub const SYS_PIPE: u64 = 42;
/// signal
pub const SYS_SIGNAL: u64 = 48;
/// exece
pub const SYS_EXECE: u64 = 59;
/// waitpid
pub const SYS_WAITPID: u64 = 155;
/// getjid
pub const SYS_GETJID: u64 = 160;
/// getppid
pub const SYS_GETPPID: u64 = 161;
/// chkpnt (number of our own)
pub const SYS_CHKPNT: u64 = 200;
/// restart (number of our own)
pub const SYS_RESTART: u64 = 201;

/// open flags.
pub const O_ACCMODE: u64 = 3;
/// Append.
pub const O_APPEND: u64 = 0o10;
/// Create.
pub const O_CREAT: u64 = 0o400;
/// Truncate.
pub const O_TRUNC: u64 = 0o1000;
/// Exclusive create.
pub const O_EXCL: u64 = 0o2000;
/// waitpid: do not block.
pub const WNOHANG: u64 = 1;

/// What a system call did.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Finished: S1 = value, S0 = 0.
    Return(u64),
    /// Failed: S1 = -1, S0 = errno.
    Fail(Errno),
    /// Must wait; re-issued on wake-up.
    Block(WaitOn),
    /// Registers already set (exit, exece, fork's child); nothing to store.
    Done,
    /// The driver must act; registers already set.
    Report(Event),
}

impl From<SysResult<u64>> for Outcome {
    fn from(result: SysResult<u64>) -> Outcome {
        match result {
            Ok(value) => Outcome::Return(value),
            Err(errno) => Outcome::Fail(errno),
        }
    }
}

impl<F: Foreign> System<F> {
    /// Argument `i` of the current call of `pid`.
    pub(crate) fn arg(&self, pid: Pid, i: u64) -> SysResult<u64> {
        let process = self.processes.get(&pid).ok_or(Errno::ESRCH)?;
        let list = process.cpu.s[1] & 0xFFFF_FFFF;
        guest::read_word(&process.memory, list + i)
    }

    /// The first `N` arguments.
    pub(crate) fn args<const N: usize>(&self, pid: Pid) -> SysResult<[u64; N]> {
        let mut out = [0; N];
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = self.arg(pid, i as u64)?;
        }
        Ok(out)
    }

    /// Handles the system call `pid` just made (P past its EX at parcel `at`).
    pub(crate) fn system_call(&mut self, pid: Pid, at: u32) -> Option<Event> {
        let number = match self.processes.get(&pid) {
            Some(p) if p.personality == super::Personality::Cos => {
                return F::request(self, pid, at);
            }
            Some(p) => p.cpu.s[0],
            None => return None,
        };
        let outcome = match number {
            SYS_EXIT => self.sys_exit(pid),
            SYS_FORK => self.sys_fork(pid),
            SYS_READ => self.sys_read(pid),
            SYS_WRITE => self.sys_write(pid),
            SYS_OPEN => self.sys_open(pid),
            SYS_CLOSE => self.sys_close(pid),
            SYS_WAIT => self.sys_wait(pid, false),
            SYS_UNLINK => self.sys_unlink(pid),
            SYS_TIME => Outcome::Return(self.time()),
            SYS_BRK => self.sys_brk(pid),
            SYS_LSEEK => self.sys_lseek(pid),
            SYS_GETPID => Outcome::Return(u64::from(pid)),
            SYS_KILL => self.sys_kill(pid),
            SYS_DUP => self.sys_dup(pid),
            SYS_PIPE => self.sys_pipe(pid),
            SYS_SIGNAL => self.sys_signal(pid),
            SYS_EXECE => self.sys_exece(pid),
            SYS_WAITPID => self.sys_wait(pid, true),
            SYS_GETJID => Outcome::Return(u64::from(self.processes[&pid].jid)),
            SYS_GETPPID => Outcome::Return(u64::from(self.processes[&pid].ppid)),
            SYS_CHKPNT => self.sys_chkpnt(pid),
            SYS_RESTART => self.sys_restart(pid),
            _ => Outcome::Fail(Errno::ENOSYS),
        };
        let process = self.processes.get_mut(&pid)?;
        match outcome {
            Outcome::Return(value) => {
                process.cpu.s[1] = value;
                process.cpu.s[0] = 0;
                None
            }
            Outcome::Fail(errno) => {
                process.cpu.s[1] = u64::MAX;
                process.cpu.s[0] = errno.0;
                None
            }
            Outcome::Block(on) => {
                process.cpu.p = at;
                process.state = super::ProcessState::Blocked(on);
                match on {
                    WaitOn::Terminal => Some(Event::InputWanted { pid }),
                    _ => None,
                }
            }
            Outcome::Done => None,
            Outcome::Report(event) => Some(event),
        }
    }

    /// Seconds since the epoch: `epoch` + machine clock periods / clock rate.
    pub fn time(&self) -> u64 {
        let picoseconds = u128::from(self.clock) * u128::from(self.config.model.clock_period_ps());
        self.config.epoch + (picoseconds / 1_000_000_000_000) as u64
    }
}
