//! A process: registers, memory field, identity, descriptors and signal state.

use super::files::FileId;
use super::personality::Foreign;
use super::signals::Signals;
use crate::cpu::Cpu;
use crate::memory::Memory;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Process id.
pub type Pid = u32;

/// Which system-call conventions a process follows: the kernel's own, or those of the
/// system's foreign personality (see [`personality`](super::personality)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Personality {
    /// UNICOS-like: a.out, system calls by EX with S0/S1 (INTERFACE.md).
    Unicos,
    /// The foreign personality's: COS, with absolute binaries and F$ requests, is the
    /// one there is.
    Cos,
}

/// How a process ended: what `wait` encodes in its status word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExitStatus {
    /// `exit(status)`: the low 8 bits of the status.
    Exited(u8),
    /// Ended by a signal (or a hardware error mapped to one).
    Signaled(u32),
}

impl ExitStatus {
    /// The word `wait` stores: status << 8, or the signal number.
    pub fn wait_word(self) -> u64 {
        match self {
            ExitStatus::Exited(code) => u64::from(code) << 8,
            ExitStatus::Signaled(signal) => u64::from(signal),
        }
    }

    /// The host exit code `cray run` uses: the status, or 128 + signal.
    pub fn host_code(self) -> i32 {
        match self {
            ExitStatus::Exited(code) => i32::from(code),
            ExitStatus::Signaled(signal) => 128 + signal as i32,
        }
    }
}

/// What a blocked process waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WaitOn {
    /// Data in, or the last writer leaving, a pipe.
    PipeRead(u64),
    /// Room in, or the last reader leaving, a pipe.
    PipeWrite(u64),
    /// A child changing state.
    Child,
    /// Terminal input from the driver.
    Terminal,
    /// A checkpoint or restart the driver is performing.
    Driver,
}

/// Scheduling state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProcessState {
    /// Can run.
    Runnable,
    /// Waiting; P addresses the EX of the system call, which is re-issued on wake-up.
    Blocked(WaitOn),
    /// Ended, waiting for its parent to collect the status.
    Zombie(ExitStatus),
}

/// One process of a system whose foreign personality is `F`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Process<F: Foreign> {
    /// Process id.
    pub pid: Pid,
    /// Parent's pid (0 once the parent is gone).
    pub ppid: Pid,
    /// Job id: the pid of the job's first process.
    pub jid: Pid,
    /// User id.
    pub uid: u32,
    /// The exchange package and every other register.
    pub cpu: Cpu,
    /// The memory field (base 0, limit = its length, in the CPU's registers).
    pub memory: Memory,
    /// Word address of the first word above the program image (brk may not go below).
    pub break_floor: u32,
    /// Descriptors: fd -> open file description.
    pub fds: BTreeMap<u32, FileId>,
    /// Handlers and pending signals.
    pub signals: Signals,
    /// Scheduling state.
    pub state: ProcessState,
    /// System-call conventions.
    pub personality: Personality,
    /// Name of the program (for `cray ps` and messages).
    pub program: String,
    /// The foreign personality's state of the process (for COS: the job's control
    /// statement and local datasets); `None` for UNICOS processes. (The name is from
    /// when COS was the kernel's business; the kernel never reads it.)
    pub cos: Option<Box<F::Process>>,
}

impl<F: Foreign> Process<F> {
    /// A runnable process with no descriptors and default signal handling; its pid,
    /// parent, job and user are set when it joins a system (when the kernel starts it
    /// as a job, or forks it).
    pub fn new(
        cpu: crate::cpu::Cpu,
        memory: crate::memory::Memory,
        break_floor: u32,
        personality: Personality,
        program: String,
    ) -> Process<F> {
        Process {
            pid: 0,
            ppid: 0,
            jid: 0,
            uid: 0,
            cpu,
            memory,
            break_floor,
            fds: std::collections::BTreeMap::new(),
            signals: super::signals::Signals::default(),
            state: ProcessState::Runnable,
            personality,
            program,
            cos: None,
        }
    }

    /// Replaces the running program (exece): new registers, field and name, caught
    /// signals back to their defaults. The process's clock, counters and timing model
    /// go on; only the instruction buffers lose the old program.
    pub(crate) fn replace_program(
        &mut self,
        mut cpu: crate::cpu::Cpu,
        memory: crate::memory::Memory,
        break_floor: u32,
        program: String,
    ) {
        cpu.cycles = self.cpu.cycles;
        cpu.instructions = self.cpu.instructions;
        cpu.timing = self.cpu.timing.take();
        if let Some(timing) = cpu.timing.as_deref_mut() {
            timing.new_program();
        }
        self.cpu = cpu;
        self.memory = memory;
        self.break_floor = break_floor;
        self.signals.reset_caught();
        self.program = program;
    }

    /// True unless the process has ended.
    pub fn is_alive(&self) -> bool {
        !matches!(self.state, ProcessState::Zombie(_))
    }

    /// Words of machine memory the process holds.
    pub fn field_words(&self) -> u64 {
        self.memory.len() as u64
    }

    /// Lowest fd not in use.
    pub fn lowest_free_fd(&self) -> u32 {
        let mut fd = 0;
        for &used in self.fds.keys() {
            if used != fd {
                break;
            }
            fd += 1;
        }
        fd
    }

    /// Resizes the memory field and the CPU's limits together.
    pub fn set_field(&mut self, words: u32) {
        self.memory.resize(words as usize);
        self.cpu.instruction_limit = words;
        self.cpu.data_limit = words;
    }
}
