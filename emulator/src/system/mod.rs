//! The UNICOS-like kernel: processes, jobs, system calls, files, signals.
//!
//! A [`System`] holds every process (registers, memory field, descriptors, signals),
//! the open file table and the scheduler's position, all as plain serde data in
//! ordered containers, so [`System::state_hash`] is canonical; a checkpoint holds it in its
//! frozen, versioned saved form ([`crate::saved`]). Host things are not part of that state: the root directory
//! guest names resolve in ([`HostRoot`]) and the console ([`Console`]) are attached
//! with [`System::new`] or, after deserializing, [`System::attach`].
//!
//! The kernel never writes checkpoint files, never blocks on the host's terminal and
//! never reads the host clock. [`System::run`] runs the processes for a budget of
//! clock periods and returns an [`Event`] when it needs the driver: the job ended,
//! input is wanted, a checkpoint or restart was requested, the budget is used up, or
//! nothing can run.
//!
//! System calls: see [`syscalls`] for the table. Errno values: [`Errno`]. Signals and
//! the handler convention (B00 = interrupted P; return with `J B00`): [`signals`].
//!
//! A system has one foreign personality beside its own, its type parameter `F`: the
//! kernel knows it only through the trait [`Foreign`] ([`personality`]) and never
//! names it. COS implements it above the kernel, and `crate::System` is the kernel
//! with COS; [`NativeOnly`] is the kernel alone.

mod calls_files;
mod calls_procs;
mod consistency;
mod selection;
pub use consistency::{Inconsistency, MAX_PLAUSIBLE_CLOCK};
pub mod errno;
mod exited_memory;
pub mod files;
pub mod guest;
pub mod host_files;
pub mod loader;
pub mod personality;
pub mod process;
mod scheduler;
pub use scheduler::{NoStops, Probe};
pub mod signals;
pub mod syscalls;
mod write_failures;
pub use exited_memory::ExitedMemory;

pub use errno::Errno;
pub use host_files::{Console, HostRoot, OutputDigest, WriteGuard};
pub use personality::{Foreign, ForeignImage, NativeOnly};
pub use process::{ExitStatus, Personality, Pid, Process, ProcessState, WaitOn};

use crate::aout::AOut;
use crate::cpu::Cpu;
use crate::isa::Model;
use crate::timing::{HpmCounters, Timeline};
use files::Description;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// Limits and settings of a system (the `run` options that concern the kernel).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Machine model of every CPU.
    pub model: Model,
    /// Words of machine memory: the total of all memory fields (`--memory`).
    pub memory_words: u64,
    /// Most words one process's field may have (brk and exece give ENOMEM beyond).
    pub max_field_words: u64,
    /// Most live processes in one job (fork gives EAGAIN beyond).
    pub max_processes_per_job: usize,
    /// Most open descriptors per process (EMFILE beyond).
    pub max_open_files: usize,
    /// Clock periods a process runs before the next one gets the CPU.
    pub time_slice: u64,
    /// Seconds since 1970 that `time` returns at cycle 0 (`--epoch`).
    pub epoch: u64,
    /// Words of heap above the arguments of a newly loaded program.
    pub heap_words: u64,
    /// User id of new jobs.
    pub uid: u32,
    /// Whether new processes get a cycle-approximate timing model (`--timing
    /// approx`, the default) or take one clock period per instruction (`--timing
    /// off`).
    pub timing: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            model: Model::XMp,
            memory_words: 8 * 1024 * 1024,
            max_field_words: 4 * 1024 * 1024,
            max_processes_per_job: 64,
            max_open_files: 64,
            time_slice: 10_000,
            epoch: 0,
            heap_words: 4096,
            uid: 0,
            timing: true,
        }
    }
}

/// Which of a process or a job a checkpoint names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckpointKind {
    /// One process.
    Process,
    /// A whole job.
    Job,
}

/// Why [`System::run`] returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// No process is left: `status` is how the first process of the first job ended.
    Exited {
        /// Exit status of the job's first process.
        status: ExitStatus,
    },
    /// The cycle budget given to `run` is used up.
    BudgetExhausted,
    /// A process reads the terminal and no input is buffered: call
    /// [`System::provide_input`] (or [`System::end_input`]) and run again.
    InputWanted {
        /// The reading process.
        pid: Pid,
    },
    /// The `chkpnt` system call. The calling process's registers already show the
    /// result a restarted process sees (S1 = 1, S0 = 0): save the state now, then call
    /// [`System::checkpoint_done`], which gives the continuing process S1 = 0 (and kills
    /// the target when `kill` is set).
    CheckpointRequested {
        /// Calling process.
        pid: Pid,
        /// Process or job.
        kind: CheckpointKind,
        /// The pid or jid to checkpoint (the caller's own when the call said 0).
        id: Pid,
        /// Image file name, as the guest gave it (resolve it inside the root).
        path: String,
        /// Kill the target after the checkpoint (flags value 1, bit 0).
        kill: bool,
    },
    /// The `restart` system call: restart the image at `path`. On failure call
    /// [`System::restart_failed`].
    RestartRequested {
        /// Calling process.
        pid: Pid,
        /// Image file name, as the guest gave it.
        path: String,
        /// Flags word of the call (none is defined: the call refuses any).
        flags: u64,
    },
    /// Live processes exist but none can run and nothing inside the system can wake
    /// them (e.g. a pipe nobody will write, a wait for a child that waits too).
    Idle,
    /// A job of the foreign personality asked to be rolled out (COS: F$UROLL): checkpoint job
    /// `jid` into its checkpoint directory, then call [`System::rollout_done`]. As
    /// with `chkpnt`, the caller's registers already show what a restarted job sees
    /// (S0 = 0, S1 = 1).
    RolloutRequested {
        /// The requesting process.
        pid: Pid,
        /// Its job.
        jid: Pid,
    },
    /// A COS job's rerun mark changed (F$NRN or F$RRN; see
    /// [`System::cos_not_rerunnable_since`]). A runner that keeps a note of the mark
    /// outside the job (`run --resume`) records it now, before the job runs on, so
    /// that no crash after the request can leave a job marked not rerunnable without
    /// its note. Nothing to call back: run on.
    RerunMarkChanged {
        /// The requesting process.
        pid: Pid,
        /// Its job.
        jid: Pid,
    },
}

/// Errors of [`System::load`] and of the foreign personality's loaders.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SystemError<F: Foreign> {
    /// The program is not a valid a.out.
    #[error("program {program}: {source}")]
    BadProgram {
        /// Program name.
        program: String,
        /// What is wrong.
        source: crate::aout::AOutError,
    },
    /// A program or job of the foreign personality is wrong (COS: an absolute
    /// binary, its JCB or a job deck's JOB statement).
    #[error("program {program}: {source}")]
    Foreign {
        /// Program name.
        program: String,
        /// What is wrong.
        source: F::StartError,
    },
    /// The program and its arguments do not fit.
    #[error("program {program}: {source}")]
    Load {
        /// Program name.
        program: String,
        /// What is wrong.
        source: loader::LoadError,
    },
}

/// The whole kernel state, with `F` its foreign personality ([`personality`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct System<F: Foreign> {
    /// Limits and settings.
    pub config: Config,
    /// Every process by pid (zombies included until collected).
    pub processes: BTreeMap<Pid, Process<F>>,
    /// Open file descriptions, pipes and terminal input.
    pub files: files::FileTable,
    /// The pid the next process gets.
    pub next_pid: Pid,
    /// Clock periods run by all processes together: the machine's time.
    pub clock: u64,
    /// Instructions issued by all processes together.
    pub instructions: u64,
    /// Clock periods left of the slice of the process at `cursor` (0: pick the next).
    pub slice_left: u64,
    /// The process that ran last (round-robin position).
    pub cursor: Pid,
    /// The first process loaded.
    pub leader: Option<Pid>,
    /// How the first process ended.
    pub leader_status: Option<ExitStatus>,
    /// The job log of the foreign personality (COS: every F$MSG line of every job),
    /// in order (it outlives the job so the driver can write it out at the end).
    pub cos_log: Vec<String>,
    /// The hardware performance monitor counters of the processes that have ended
    /// (the live ones keep theirs in their timing models).
    pub hpm_retired: HpmCounters,
    /// The timeline the job leader recorded, kept when it ended (output, not state).
    #[serde(skip)]
    leader_timeline: Option<Timeline>,
    /// Print every request of the foreign personality (COS: F$ code, name, S1, S2,
    /// P) and its status on stderr (`--trace-requests`); a debugging aid, not machine
    /// state.
    #[serde(skip)]
    pub trace_requests: bool,
    /// The foreign personality's state of the jobs that have one, by jid (COS: the
    /// deck interpreter's). Saved in an image section of its own, so images of
    /// systems without one keep their form.
    #[serde(skip)]
    pub cos_decks: BTreeMap<Pid, F::Job>,
    /// The memory of every process that has ended, as it was when it ended, folded
    /// into one hash in the order they ended ([`ExitedMemory`]). Its memory is freed
    /// at the end, so without this the state hash could not tell two runs apart whose
    /// processes computed different results but printed nothing of them. Saved in an
    /// image section of its own, so that images written before it keep their form.
    #[serde(skip)]
    pub exited_memory: ExitedMemory,
    /// The host side of the foreign personality (COS: the job layer's system
    /// directory and permanent datasets).
    #[serde(skip)]
    pub(crate) deck_host: F::Host,
    #[serde(skip)]
    root: HostRoot,
    #[serde(skip)]
    console: Console,
    /// Host writes that failed, to report (host side, not machine state).
    #[serde(skip)]
    write_failures: write_failures::WriteFailures,
}

impl<F: Foreign> System<F> {
    /// An empty system with file names resolving in `root` and output to `console`.
    pub fn new(config: Config, root: HostRoot, console: Console) -> System<F> {
        System {
            config,
            processes: BTreeMap::new(),
            files: files::FileTable::default(),
            next_pid: 1,
            clock: 0,
            instructions: 0,
            slice_left: 0,
            cursor: 0,
            leader: None,
            leader_status: None,
            cos_log: Vec::new(),
            hpm_retired: HpmCounters::default(),
            leader_timeline: None,
            trace_requests: false,
            cos_decks: BTreeMap::new(),
            exited_memory: ExitedMemory::default(),
            deck_host: F::Host::default(),
            root,
            console,
            write_failures: write_failures::WriteFailures::default(),
        }
    }

    /// Adds `process` as the first process of a new job: it gets the next pid, which
    /// is also its jid, and the configured user id.
    pub(crate) fn start_job(&mut self, mut process: Process<F>) -> Pid {
        let pid = self.next_pid;
        self.next_pid += 1;
        process.pid = pid;
        process.ppid = 0;
        process.jid = pid;
        process.uid = self.config.uid;
        self.processes.insert(pid, process);
        self.leader.get_or_insert(pid);
        pid
    }

    /// Attaches the host side after deserializing a saved system.
    pub fn attach(&mut self, root: HostRoot, console: Console) {
        self.root = root;
        self.console = console;
    }

    /// Attaches the host side of the foreign personality (COS: the job layer's
    /// system directory and permanent datasets), at the start and after deserializing.
    pub fn attach_deck_host(&mut self, host: F::Host) {
        self.deck_host = host;
    }

    /// The console (captured output for tests).
    pub fn console(&self) -> &Console {
        &self.console
    }

    /// The console, for writing (COS job messages).
    pub(crate) fn console_mut(&mut self) -> &mut Console {
        &mut self.console
    }

    /// The process table and the console together (to write a process's output
    /// while holding it).
    pub(crate) fn processes_and_console(
        &mut self,
    ) -> (&mut BTreeMap<Pid, Process<F>>, &mut Console) {
        (&mut self.processes, &mut self.console)
    }

    /// The root guest names resolve in.
    pub fn root(&self) -> &HostRoot {
        &self.root
    }

    /// The canonical hash of the whole kernel state (host side excluded).
    pub fn state_hash(&self) -> u64 {
        // The decks and the ended processes' memory only when there are some, so the
        // hash of a system with neither is what it always was.
        match (self.cos_decks.is_empty(), self.exited_memory.is_empty()) {
            (true, true) => crate::snapshot::state_hash(self),
            (false, true) => crate::snapshot::state_hash(&(self, &self.cos_decks)),
            _ => crate::snapshot::state_hash(&(self, &self.cos_decks, &self.exited_memory)),
        }
    }

    /// The hardware performance monitor counters of the whole machine: the ended
    /// processes' and the live ones' (zero when timing is off).
    pub fn hpm(&self) -> HpmCounters {
        let mut total = self.hpm_retired.clone();
        for process in self.processes.values().filter(|p| p.is_alive()) {
            if let Some(model) = &process.cpu.timing {
                total.add(model.counters());
            }
        }
        total
    }

    /// Starts recording a timeline of the job leader's clock periods [start, start +
    /// len) (see [`TimingModel::enable_timeline`]); false if the leader has no timing
    /// model.
    ///
    /// [`TimingModel::enable_timeline`]: crate::timing::TimingModel::enable_timeline
    pub fn enable_leader_timeline(&mut self, start: u64, len: u64) -> bool {
        let model = self
            .leader
            .and_then(|pid| self.processes.get_mut(&pid))
            .and_then(|process| process.cpu.timing.as_deref_mut());
        match model {
            Some(model) => {
                model.enable_timeline(start, len);
                true
            }
            None => false,
        }
    }

    /// The timeline the job leader recorded (from its model while it runs, or kept
    /// when it ended), taken out of the system.
    pub fn take_leader_timeline(&mut self) -> Option<Timeline> {
        let live = self
            .leader
            .and_then(|pid| self.processes.get_mut(&pid))
            .and_then(|process| process.cpu.timing.as_deref_mut())
            .and_then(|model| model.take_timeline());
        live.or_else(|| self.leader_timeline.take())
    }

    /// A CPU for a new process of this system: relocated to `field_words` words, with
    /// a timing model when the configuration asks for one.
    pub(crate) fn new_cpu(&self, field_words: u32) -> Cpu {
        let mut cpu = Cpu::new(self.config.model, field_words);
        cpu.set_timing(self.config.timing);
        cpu
    }

    /// Words of memory all fields hold together.
    pub fn memory_in_use(&self) -> u64 {
        self.processes.values().map(Process::field_words).sum()
    }

    /// The process `pid`.
    pub fn process(&self, pid: Pid) -> Option<&Process<F>> {
        self.processes.get(&pid)
    }

    /// Starts `program` (an a.out) as the first process of a new job, with fds 0, 1
    /// and 2 on the terminal, the host's stdout and stderr. `argv[0]` is the program
    /// name by convention. Returns the pid (which is also the jid).
    pub fn load(
        &mut self,
        name: &str,
        program: &AOut,
        argv: &[String],
        envp: &[String],
    ) -> Result<Pid, SystemError<F>> {
        let to_bytes =
            |v: &[String]| -> Vec<Vec<u8>> { v.iter().map(|s| s.as_bytes().to_vec()).collect() };
        let available = self
            .config
            .memory_words
            .saturating_sub(self.memory_in_use())
            .min(self.config.max_field_words);
        let image = loader::load_aout(
            program,
            &to_bytes(argv),
            &to_bytes(envp),
            self.config.heap_words,
            available,
        )
        .map_err(|source| SystemError::Load {
            program: name.to_string(),
            source,
        })?;
        let mut cpu = image.cpu(self.config.model);
        cpu.set_timing(self.config.timing);
        let mut process = Process::new(
            cpu,
            image.memory,
            image.break_floor,
            Personality::Unicos,
            name.to_string(),
        );
        for (fd, description) in [Description::Stdin, Description::Stdout, Description::Stderr]
            .into_iter()
            .enumerate()
        {
            process.fds.insert(fd as u32, self.files.add(description));
        }
        Ok(self.start_job(process))
    }

    /// Parses an a.out from its words and loads it (see [`System::load`]).
    pub fn load_words(
        &mut self,
        name: &str,
        words: &[u64],
        argv: &[String],
        envp: &[String],
    ) -> Result<Pid, SystemError<F>> {
        let program = AOut::parse(words).map_err(|source| SystemError::BadProgram {
            program: name.to_string(),
            source,
        })?;
        self.load(name, &program, argv, envp)
    }

    /// Appends terminal input and wakes readers.
    pub fn provide_input(&mut self, bytes: &[u8]) {
        self.files.terminal.buffer.extend(bytes);
        self.wake(WaitOn::Terminal);
    }

    /// Marks the end of terminal input (readers then see end of file).
    pub fn end_input(&mut self) {
        self.files.terminal.end = true;
        self.wake(WaitOn::Terminal);
    }

    /// Finishes a `chkpnt` call: the caller continues with S1 = 0 (or S1 = -1 and the
    /// errno in S0 if the driver failed); with `kill` the target is then killed.
    pub fn checkpoint_done(&mut self, event: &Event, result: Result<(), Errno>) {
        let Event::CheckpointRequested {
            pid,
            kind,
            id,
            kill,
            ..
        } = *event
        else {
            return;
        };
        if let Some(process) = self.processes.get_mut(&pid) {
            match result {
                Ok(()) => {
                    process.cpu.s[1] = 0;
                    process.cpu.s[0] = 0;
                }
                Err(errno) => {
                    process.cpu.s[1] = u64::MAX;
                    process.cpu.s[0] = errno.0;
                }
            }
        }
        if kill && result.is_ok() {
            let targets: Vec<Pid> = match kind {
                CheckpointKind::Process => vec![id],
                CheckpointKind::Job => self.job_members(id),
            };
            for target in targets {
                self.post_signal(target, signals::SIGKILL);
            }
        }
    }

    /// Finishes a `restart` call that the driver could not perform.
    pub fn restart_failed(&mut self, pid: Pid, errno: Errno) {
        if let Some(process) = self.processes.get_mut(&pid) {
            process.cpu.s[1] = u64::MAX;
            process.cpu.s[0] = errno.0;
        }
    }

    /// Sends `signal` to a process from outside (the driver, `kill`). Returns false if
    /// there is no such live process.
    pub fn post_signal(&mut self, pid: Pid, signal: u32) -> bool {
        let Some(process) = self.processes.get_mut(&pid) else {
            return false;
        };
        if !process.is_alive() {
            return false;
        }
        if process.signals.post(signal) {
            if let ProcessState::Blocked(_) = process.state {
                process.state = ProcessState::Runnable;
                // Blocked processes already have P at their EX.
            }
        }
        true
    }

    /// Live processes of job `jid`, in pid order.
    pub fn job_members(&self, jid: Pid) -> Vec<Pid> {
        self.processes
            .values()
            .filter(|p| p.jid == jid && p.is_alive())
            .map(|p| p.pid)
            .collect()
    }

    /// Makes every process blocked on `on` runnable again.
    fn wake(&mut self, on: WaitOn) {
        for process in self.processes.values_mut() {
            if process.state == ProcessState::Blocked(on) {
                process.state = ProcessState::Runnable;
            }
        }
    }

    /// Closes descriptor `fd` of `pid`, waking whoever waits on a pipe end it closed.
    fn close_fd(&mut self, pid: Pid, fd: u32) -> Result<(), Errno> {
        let process = self.processes.get_mut(&pid).ok_or(Errno::ESRCH)?;
        let id = process.fds.remove(&fd).ok_or(Errno::EBADF)?;
        if let Some(hidden) = self.files.unlinked_if_last(id) {
            // The last descriptor of a file unlinked while open: now it goes.
            let _ = self.root.unlink(&hidden);
        }
        if let Some(pipe) = self.files.release(id) {
            self.wake(WaitOn::PipeRead(pipe));
            self.wake(WaitOn::PipeWrite(pipe));
        }
        Ok(())
    }

    /// Ends `pid` with `status`: closes its files, frees its field, tells its parent.
    pub(crate) fn terminate(&mut self, pid: Pid, status: ExitStatus) {
        let fds: Vec<u32> = match self.processes.get(&pid) {
            Some(p) if p.is_alive() => p.fds.keys().copied().collect(),
            _ => return,
        };
        for fd in fds {
            let _ = self.close_fd(pid, fd);
        }
        let Some(process) = self.processes.get_mut(&pid) else {
            return;
        };
        if let Some(model) = process.cpu.timing.as_deref_mut() {
            self.hpm_retired.add(model.counters());
            if self.leader == Some(pid) {
                self.leader_timeline = model.take_timeline();
            }
        }
        self.exited_memory.fold(pid, process.memory.words());
        process.memory = crate::memory::Memory::new(0);
        process.cpu.instruction_limit = 0;
        process.cpu.data_limit = 0;
        process.signals.pending = 0;
        process.state = ProcessState::Zombie(status);
        let ppid = process.ppid;
        if self.leader == Some(pid) {
            self.leader_status = Some(status);
        }
        // Orphans: nobody will collect them, so zombies among them go now.
        let children: Vec<Pid> = self
            .processes
            .values()
            .filter(|p| p.ppid == pid)
            .map(|p| p.pid)
            .collect();
        for child in children {
            let alive = self.processes.get(&child).is_some_and(Process::is_alive);
            if alive {
                if let Some(c) = self.processes.get_mut(&child) {
                    c.ppid = 0;
                }
            } else {
                self.processes.remove(&child);
            }
        }
        let parent_alive = self.processes.get(&ppid).is_some_and(Process::is_alive);
        if parent_alive {
            self.post_signal(ppid, signals::SIGCHLD);
            if let Some(parent) = self.processes.get_mut(&ppid) {
                if parent.state == ProcessState::Blocked(WaitOn::Child) {
                    parent.state = ProcessState::Runnable;
                }
            }
        } else {
            self.processes.remove(&pid);
        }
    }
}

#[cfg(test)]
mod tests;
