//! System calls on processes: exit, fork, wait, waitpid, brk, kill, signal, exece,
//! chkpnt and restart.

use super::errno::{Errno, SysResult};
use super::process::{ExitStatus, Pid, ProcessState, WaitOn};
use super::signals::{Handler, MAX_SIGNAL};
use super::syscalls::{Outcome, WNOHANG};
use super::{guest, loader, CheckpointKind, Event, Foreign, System};
use crate::aout::AOut;

/// Longest path or string argument of exece, chkpnt and restart.
const MAX_PATH: usize = 1024;

/// The chkpnt system call's flag: kill the process or job after the checkpoint.
const CHKPNT_KILL: u64 = 1;

impl<F: Foreign> System<F> {
    pub(crate) fn sys_exit(&mut self, pid: Pid) -> Outcome {
        let status = self.arg(pid, 0).unwrap_or(0);
        self.terminate(pid, ExitStatus::Exited(status as u8));
        Outcome::Done
    }

    pub(crate) fn sys_fork(&mut self, pid: Pid) -> Outcome {
        let result = (|| {
            let parent = self.processes.get(&pid).ok_or(Errno::ESRCH)?;
            if self.job_members(parent.jid).len() >= self.config.max_processes_per_job {
                return Err(Errno::EAGAIN);
            }
            if self.memory_in_use() + parent.field_words() > self.config.memory_words {
                return Err(Errno::ENOMEM);
            }
            let mut child = parent.clone();
            let child_pid = self.next_pid;
            self.next_pid += 1;
            child.pid = child_pid;
            child.ppid = pid;
            child.signals.pending = 0;
            child.cpu.s[1] = 0;
            child.cpu.s[0] = 0;
            // The child times on from the parent's state (it is a copy of the
            // machine), but counts only its own work; only the parent records the
            // timeline (a copy of a timing model never carries one).
            if let Some(model) = child.cpu.timing.as_deref_mut() {
                model.clear_counters();
            }
            for &id in child.fds.values() {
                self.files.share(id);
            }
            self.processes.insert(child_pid, child);
            Ok(u64::from(child_pid))
        })();
        result.into()
    }

    /// wait (status address) and waitpid (pid, status address, options).
    pub(crate) fn sys_wait(&mut self, pid: Pid, with_pid: bool) -> Outcome {
        let result = (|| {
            let (which, address, options) = if with_pid {
                let [which, address, options] = self.args::<3>(pid)?;
                (which as i64, address, options)
            } else {
                let [address] = self.args::<1>(pid)?;
                (-1, address, 0)
            };
            let jid = self.processes[&pid].jid;
            let children: Vec<(Pid, ProcessState)> = self
                .processes
                .values()
                .filter(|p| p.ppid == pid)
                .filter(|p| match which {
                    w if w > 0 => i64::from(p.pid) == w,
                    0 => p.jid == jid,
                    _ => true,
                })
                .map(|p| (p.pid, p.state))
                .collect();
            if children.is_empty() {
                return Err(Errno::ECHILD);
            }
            let zombie = children.iter().find_map(|&(child, state)| match state {
                ProcessState::Zombie(status) => Some((child, status)),
                _ => None,
            });
            match zombie {
                Some((child, status)) => {
                    if address != 0 {
                        let memory = &mut self.processes.get_mut(&pid).ok_or(Errno::ESRCH)?.memory;
                        guest::write_word(memory, address, status.wait_word())?;
                    }
                    self.processes.remove(&child);
                    Ok(Outcome::Return(u64::from(child)))
                }
                None if options & WNOHANG != 0 => Ok(Outcome::Return(0)),
                None => Ok(Outcome::Block(WaitOn::Child)),
            }
        })();
        result.unwrap_or_else(Outcome::Fail)
    }

    pub(crate) fn sys_brk(&mut self, pid: Pid) -> Outcome {
        let result = (|| {
            let [end] = self.args::<1>(pid)?;
            let in_use = self.memory_in_use();
            let process = self.processes.get_mut(&pid).ok_or(Errno::ESRCH)?;
            if end == 0 {
                return Ok(process.field_words());
            }
            if end < u64::from(process.break_floor) || end > u64::from(u32::MAX >> 8) {
                return Err(Errno::EINVAL);
            }
            if (in_use - process.field_words()).saturating_add(end) > self.config.memory_words
                || end > self.config.max_field_words
            {
                return Err(Errno::ENOMEM);
            }
            process.set_field(end as u32);
            Ok(end)
        })();
        result.into()
    }

    pub(crate) fn sys_kill(&mut self, pid: Pid) -> Outcome {
        let result = (|| {
            let [target, signal] = self.args::<2>(pid)?;
            if signal > u64::from(MAX_SIGNAL) {
                return Err(Errno::EINVAL);
            }
            let target = target as i64;
            let targets: Vec<Pid> = if target > 0 {
                vec![target as Pid]
            } else {
                self.job_members(self.processes[&pid].jid)
            };
            let mut found = false;
            for t in targets {
                // A zombie still exists (until its parent waits): found, nothing to post.
                let Some(process) = self.processes.get(&t) else {
                    continue;
                };
                found = true;
                if process.is_alive() && signal != 0 {
                    self.post_signal(t, signal as u32);
                }
            }
            if found {
                Ok(0)
            } else {
                Err(Errno::ESRCH)
            }
        })();
        result.into()
    }

    pub(crate) fn sys_signal(&mut self, pid: Pid) -> Outcome {
        let result = (|| {
            let [signal, handler] = self.args::<2>(pid)?;
            let signal = u32::try_from(signal).map_err(|_| Errno::EINVAL)?;
            let process = self.processes.get_mut(&pid).ok_or(Errno::ESRCH)?;
            let previous = process
                .signals
                .install(signal, Handler::from_word(handler))
                .ok_or(Errno::EINVAL)?;
            Ok(previous.to_word())
        })();
        result.into()
    }

    pub(crate) fn sys_exece(&mut self, pid: Pid) -> Outcome {
        let result = (|| {
            let [pointer, argv, envp] = self.args::<3>(pid)?;
            let path = self.path_arg(pid, pointer)?;
            let memory = &self.processes[&pid].memory;
            let argv =
                guest::read_string_list(memory, argv, loader::MAX_ARGS, loader::MAX_ARG_BYTES)?;
            let envp =
                guest::read_string_list(memory, envp, loader::MAX_ARGS, loader::MAX_ARG_BYTES)?;
            let own = self.processes[&pid].field_words();
            let available = (self
                .config
                .memory_words
                .saturating_sub(self.memory_in_use() - own))
            .min(self.config.max_field_words);
            let bytes = self.root.read_all(&path, available.saturating_mul(8))?;
            if bytes.len() % 8 != 0 {
                return Err(Errno::ENOEXEC);
            }
            let words: Vec<u64> = bytes
                .chunks_exact(8)
                .map(|c| u64::from_be_bytes(c.try_into().unwrap_or([0; 8])))
                .collect();
            if !AOut::looks_like(&words) {
                // Perhaps a program of the foreign personality (COS: an absolute
                // binary); ENOEXEC if not.
                let image = F::load(self, &path, &words, &argv, available)?;
                self.exece_foreign(pid, &path, image)?;
                return Ok(Outcome::Done);
            }
            let program = AOut::parse(&words).map_err(|_| Errno::ENOEXEC)?;
            let image =
                loader::load_aout(&program, &argv, &envp, self.config.heap_words, available)
                    .map_err(|e| match e {
                        loader::LoadError::NoMemory { .. } => Errno::ENOMEM,
                        loader::LoadError::ArgumentsTooLong { .. } => Errno::E2BIG,
                    })?;
            let cpu = image.cpu(self.config.model);
            let process = self.processes.get_mut(&pid).ok_or(Errno::ESRCH)?;
            process.replace_program(cpu, image.memory, image.break_floor, path);
            Ok(Outcome::Done)
        })();
        result.unwrap_or_else(Outcome::Fail)
    }

    fn string_arg(&self, pid: Pid, pointer: u64) -> SysResult<String> {
        let bytes = guest::read_string(&self.processes[&pid].memory, pointer, MAX_PATH)?;
        String::from_utf8(bytes).map_err(|_| Errno::EINVAL)
    }

    pub(crate) fn sys_chkpnt(&mut self, pid: Pid) -> Outcome {
        let result = (|| {
            let [kind, id, pointer, flags] = self.args::<4>(pid)?;
            // Bit 0 (kill after) is the only flag; others are refused, not ignored, so
            // that a program asking for something this kernel does not do finds out.
            if flags & !CHKPNT_KILL != 0 {
                return Err(Errno::EINVAL);
            }
            let path = self.string_arg(pid, pointer)?;
            let process = &self.processes[&pid];
            let (kind, id) = match (kind, id) {
                (0, 0) => (CheckpointKind::Process, pid),
                (0, id) => (CheckpointKind::Process, id as Pid),
                (1, 0) => (CheckpointKind::Job, process.jid),
                (1, id) => (CheckpointKind::Job, id as Pid),
                _ => return Err(Errno::EINVAL),
            };
            let exists = match kind {
                CheckpointKind::Process => self.processes.get(&id).is_some_and(|p| p.is_alive()),
                CheckpointKind::Job => !self.job_members(id).is_empty(),
            };
            if !exists {
                return Err(Errno::ESRCH);
            }
            // The image must show what a restarted process sees: result 1.
            let process = self.processes.get_mut(&pid).ok_or(Errno::ESRCH)?;
            process.cpu.s[1] = 1;
            process.cpu.s[0] = 0;
            Ok(Outcome::Report(Event::CheckpointRequested {
                pid,
                kind,
                id,
                path,
                kill: flags & CHKPNT_KILL != 0,
            }))
        })();
        result.unwrap_or_else(Outcome::Fail)
    }

    pub(crate) fn sys_restart(&mut self, pid: Pid) -> Outcome {
        let result = (|| {
            let [pointer, flags] = self.args::<2>(pid)?;
            // No restart flag is defined yet: refused rather than ignored (see chkpnt).
            if flags != 0 {
                return Err(Errno::EINVAL);
            }
            let path = self.string_arg(pid, pointer)?;
            let process = self.processes.get_mut(&pid).ok_or(Errno::ESRCH)?;
            process.cpu.s[1] = 0;
            process.cpu.s[0] = 0;
            Ok(Outcome::Report(Event::RestartRequested {
                pid,
                path,
                flags,
            }))
        })();
        result.unwrap_or_else(Outcome::Fail)
    }
}
