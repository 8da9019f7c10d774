//! The deterministic scheduler: round-robin in pid order, slices counted in clock
//! periods, signal delivery at slice and system-call boundaries, and hardware errors.
//!
//! Nothing here depends on the host: the same processes run in the same order for the
//! same number of clock periods on every run. A process keeps the CPU through its
//! system calls until its slice is used up, it blocks, or it ends. Each system call
//! costs [`SYSTEM_CALL_PERIODS`] clock periods of kernel time, charged to the caller.
//!
//! Exchanges: EX is a system call; a programmable-clock interrupt posts SIGALRM to the
//! process; ERR, undefined instructions, range, floating-point and memory errors end
//! the process (see [`signals`] for the signal numbers), unless the foreign
//! personality takes the error over (`Foreign::hardware_error`: COS enters a
//! reprieve handler), with a line on stderr: `cray: pid N: <what> at P=<octal parcel
//! address> (<octal word><parcel letter>): <parcels in octal> <CAL text>; killed
//! with SIGxxx (n)`.

use super::process::{ExitStatus, Pid, ProcessState};
use super::signals::{self, Delivery};
use super::{Event, Foreign, System};
use crate::cpu::{Cpu, Flags, InstructionProbe, NoProbe, Stop};
use crate::isa;
use crate::memory::Memory;

/// What [`System::run_probed`] asks as the job runs: whether to stop at an
/// instruction boundary (a debugger's breakpoints and watchpoints). A stop is a
/// budget running out there ([`Event::BudgetExhausted`]): the slice goes on where it
/// stopped at the next run, so probing never changes what the job does.
pub trait Probe<F: Foreign> {
    /// False for a probe that never stops a run.
    const ACTIVE: bool = true;

    /// After the instruction at parcel `at` of process `pid` completed without an
    /// exchange; `instructions` is the job's instruction count with it.
    fn after_instruction(
        &mut self,
        pid: Pid,
        instructions: u64,
        cpu: &Cpu,
        memory: &Memory,
        at: u32,
    ) -> bool;

    /// After the kernel handled an exchange of process `pid` (a system call, the
    /// programmable clock) and the run goes on: the whole job as it stands.
    fn after_kernel(&mut self, pid: Pid, system: &System<F>) -> bool;
}

/// The probe of a plain run: never stops it.
pub struct NoStops;

impl<F: Foreign> Probe<F> for NoStops {
    const ACTIVE: bool = false;

    fn after_instruction(&mut self, _: Pid, _: u64, _: &Cpu, _: &Memory, _: u32) -> bool {
        false
    }

    fn after_kernel(&mut self, _: Pid, _: &System<F>) -> bool {
        false
    }
}

/// A system [`Probe`] seen from the CPU running process `pid`.
struct ForProcess<'a, F: Foreign, P: Probe<F>> {
    probe: &'a mut P,
    /// The probe's personality (a probe is told of the whole system).
    personality: std::marker::PhantomData<F>,
    pid: Pid,
    /// The job's instruction count less the CPU's, when the CPU began this run.
    offset: u64,
    /// Set when the probe stopped the run.
    stopped: bool,
}

impl<F: Foreign, P: Probe<F>> InstructionProbe for ForProcess<'_, F, P> {
    const ACTIVE: bool = P::ACTIVE;

    #[inline(always)]
    fn stops_after(&mut self, cpu: &Cpu, memory: &Memory, at: u32) -> bool {
        let instructions = self.offset.wrapping_add(cpu.instructions);
        self.stopped = self
            .probe
            .after_instruction(self.pid, instructions, cpu, memory, at);
        self.stopped
    }
}

/// Clock periods charged for the kernel's work in one system call.
pub const SYSTEM_CALL_PERIODS: u64 = 50;

/// What the hardware error flags of an exchange mean.
fn hardware_signal(flags: Flags) -> (u32, &'static str) {
    if flags.has(Flags::PROGRAM_RANGE) {
        (signals::SIGSEGV, "program range error")
    } else if flags.has(Flags::OPERAND_RANGE) {
        (signals::SIGSEGV, "operand range error")
    } else if flags.has(Flags::FLOATING_POINT) {
        (signals::SIGFPE, "floating-point error")
    } else if flags.has(Flags::MEMORY_ERROR) {
        (signals::SIGBUS, "memory error")
    } else if flags.has(Flags::ERROR_EXIT) {
        (signals::SIGILL, "error exit")
    } else {
        (signals::SIGILL, "unexpected interrupt")
    }
}

impl<F: Foreign> System<F> {
    /// Runs the processes for at most `budget` clock periods (checked between
    /// instructions, so the last slice may overrun by one instruction or one system
    /// call) and says why it stopped.
    pub fn run(&mut self, budget: u64) -> Event {
        self.run_probed(budget, &mut NoStops)
    }

    /// [`System::run`], stopping early (with [`Event::BudgetExhausted`]) at the first
    /// instruction boundary where `probe` says so.
    pub fn run_probed<P: Probe<F>>(&mut self, budget: u64, probe: &mut P) -> Event {
        let start = self.clock;
        loop {
            if !self.processes.values().any(|p| p.is_alive()) {
                return Event::Exited {
                    status: self.leader_status.unwrap_or(ExitStatus::Exited(0)),
                };
            }
            let used = self.clock - start;
            if used >= budget {
                return Event::BudgetExhausted;
            }
            // A slice cut short by the driver's budget goes on where it stopped, so
            // the interleaving never depends on how the driver chops its budgets.
            let continuing = self.slice_left > 0
                && self
                    .processes
                    .get(&self.cursor)
                    .is_some_and(|p| p.state == ProcessState::Runnable);
            let pid = if continuing {
                self.cursor
            } else {
                let Some(pid) = self.next_runnable() else {
                    return match self.waiting_for_terminal() {
                        Some(pid) => Event::InputWanted { pid },
                        None => Event::Idle,
                    };
                };
                self.cursor = pid;
                self.slice_left = self.config.time_slice.max(1);
                pid
            };
            if let Some(event) = self.run_slice(pid, budget - used, probe) {
                return event;
            }
        }
    }

    /// The first runnable pid after the cursor, wrapping around.
    fn next_runnable(&self) -> Option<Pid> {
        let runnable = |p: &&super::Process<F>| p.state == ProcessState::Runnable;
        self.processes
            .range(self.cursor.saturating_add(1)..)
            .map(|(_, p)| p)
            .find(runnable)
            .or_else(|| self.processes.values().find(runnable))
            .map(|p| p.pid)
    }

    /// The first process blocked reading the terminal, if any.
    fn waiting_for_terminal(&self) -> Option<Pid> {
        self.processes
            .values()
            .find(|p| p.state == ProcessState::Blocked(super::WaitOn::Terminal))
            .map(|p| p.pid)
    }

    /// Delivers pending signals to `pid`; false if the process ended.
    fn deliver_signals(&mut self, pid: Pid) -> bool {
        loop {
            let Some(process) = self.processes.get_mut(&pid) else {
                return false;
            };
            if !process.is_alive() {
                return false;
            }
            match process.signals.take() {
                Delivery::None => return true,
                Delivery::Terminate(signal) => {
                    self.terminate(pid, ExitStatus::Signaled(signal));
                    return false;
                }
                Delivery::Catch(_, handler) => {
                    process.cpu.b[0] = process.cpu.p & 0xFF_FFFF;
                    process.cpu.p = handler;
                    process.state = ProcessState::Runnable;
                }
            }
        }
    }

    /// Runs `pid` for the rest of its slice (at most `budget` periods) and keeps
    /// account of what is left of the slice.
    fn run_slice<P: Probe<F>>(&mut self, pid: Pid, budget: u64, probe: &mut P) -> Option<Event> {
        let start = self.processes.get(&pid)?.cpu.cycles;
        let event = self.run_slice_inner(pid, budget, probe);
        match self.processes.get(&pid) {
            Some(p) if p.state == ProcessState::Runnable => {
                let used = p.cpu.cycles.saturating_sub(start);
                self.slice_left = self.slice_left.saturating_sub(used);
            }
            _ => self.slice_left = 0,
        }
        event
    }

    fn run_slice_inner<P: Probe<F>>(
        &mut self,
        pid: Pid,
        budget: u64,
        probe: &mut P,
    ) -> Option<Event> {
        let slice = self.slice_left.max(1).min(budget);
        let slice_end = self.processes.get(&pid)?.cpu.cycles.saturating_add(slice);
        loop {
            if !self.deliver_signals(pid) {
                return None;
            }
            let process = self.processes.get_mut(&pid)?;
            if process.state != ProcessState::Runnable || process.cpu.cycles >= slice_end {
                return None;
            }
            let (before, issued) = (process.cpu.cycles, process.cpu.instructions);
            let mut each = ForProcess {
                probe: &mut *probe,
                personality: std::marker::PhantomData,
                pid,
                offset: self.instructions.wrapping_sub(issued),
                stopped: false,
            };
            let stop = if P::ACTIVE {
                process
                    .cpu
                    .run_probed(&mut process.memory, slice_end, &mut each)
            } else {
                process
                    .cpu
                    .run_probed(&mut process.memory, slice_end, &mut NoProbe)
            };
            let probed_stop = each.stopped;
            self.clock += process.cpu.cycles.wrapping_sub(before);
            self.instructions += process.cpu.instructions.wrapping_sub(issued);
            match stop {
                Stop::Budget if probed_stop => return Some(Event::BudgetExhausted),
                Stop::Budget => return None,
                Stop::SemaphoreWait => {
                    // Holding issue burns the rest of the slice (and bounds host work).
                    let rest = slice_end.saturating_sub(process.cpu.cycles);
                    process.cpu.cycles += rest;
                    self.clock += rest;
                    return None;
                }
                Stop::Exchange { flags, at } => {
                    let errors = Flags::ERROR_EXIT
                        | Flags::PROGRAM_RANGE
                        | Flags::OPERAND_RANGE
                        | Flags::FLOATING_POINT
                        | Flags::MEMORY_ERROR;
                    if flags.0 == Flags::PROGRAMMABLE_CLOCK {
                        // The programmable clock (ECI) is the process's alarm clock.
                        process.cpu.flags = Flags::default();
                        self.post_signal(pid, signals::SIGALRM);
                    } else if flags.has(Flags::NORMAL_EXIT) && !flags.has(errors) {
                        process.cpu.flags = Flags::default();
                        process.cpu.cycles += SYSTEM_CALL_PERIODS;
                        self.clock += SYSTEM_CALL_PERIODS;
                        if let Some(event) = self.system_call(pid, at) {
                            return Some(event);
                        }
                    } else {
                        self.hardware_error(pid, flags, at);
                        return None;
                    }
                    // A probe sees the job as the next instruction will: with the
                    // signals the call posted delivered (a handler entered), as the
                    // top of the loop would deliver them anyway.
                    if P::ACTIVE {
                        if !self.deliver_signals(pid) {
                            return None;
                        }
                        if probe.after_kernel(pid, self) {
                            return Some(Event::BudgetExhausted);
                        }
                    }
                }
            }
        }
    }

    /// Ends `pid` after a hardware error, with a message on stderr naming the pid, P
    /// (octal parcel address) and the instruction.
    fn hardware_error(&mut self, pid: Pid, flags: Flags, at: u32) {
        // The foreign personality may take the error over (COS: a job with a
        // reprieve goes on in its handler); it knows its own processes.
        if F::hardware_error(self, pid, flags) {
            return;
        }
        let Some(process) = self.processes.get(&pid) else {
            return;
        };
        let (signal, what) = hardware_signal(flags);
        let model = self.config.model;
        let instruction = match process.memory.parcel(at) {
            Some(p1) if at >> 2 < process.cpu.instruction_limit => {
                let p2 = process.memory.parcel(at + 1).unwrap_or(0);
                let decoded = isa::decode(p1, p2, model);
                let parcels = if decoded.len() == 2 {
                    format!("{p1:06o} {p2:06o}")
                } else {
                    format!("{p1:06o}")
                };
                match isa::disassemble(decoded, model) {
                    Some(text) => format!("{parcels} {text}"),
                    None => format!("{parcels} (undefined instruction)"),
                }
            }
            _ => "(outside the instruction field)".to_string(),
        };
        let message = format!(
            "cray: pid {pid}: {what} at P={at:o} ({:o}{}): {instruction}; killed with {} ({signal})\n",
            at >> 2,
            (b'a' + (at & 3) as u8) as char,
            signals::name(signal),
        );
        self.console.message(message.as_bytes());
        let status = ExitStatus::Signaled(signal);
        // The foreign personality may go on without the process (COS: a deck
        // job's step aborts, and the deck goes on to its EXIT).
        if F::killed(self, pid, status) {
            return;
        }
        self.terminate(pid, status);
    }
}
