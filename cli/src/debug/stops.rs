//! The debugger's breakpoints and watchpoints armed in the emulator's run loop: a
//! [`Probe`] the scheduler asks after every instruction, so that `continue` with
//! stops set, and the search backward for the last stop, run the job at nearly the
//! speed of a plain run rather than one call of the session per instruction.

use super::watch::Condition;
use super::Watchpoint;
use cray_emulator::cos::Cos;
use cray_emulator::cpu::Cpu;
use cray_emulator::memory::Memory;
use cray_emulator::system::{Pid, Probe};
use cray_emulator::System;
use std::collections::BTreeMap;

/// Why the run stopped: what is said of it.
pub enum Stop {
    /// The process shown reached this breakpoint (its condition held).
    Breakpoint(u32),
    /// Watchpoint `index` (from 0) saw `before` become `after`, written by the
    /// instruction at parcel `by`.
    Changed {
        index: usize,
        before: Vec<u64>,
        after: Vec<u64>,
        by: u32,
    },
}

/// What a probed run looks for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Going forward: the run stops at the first stop.
    First,
    /// Searching backward: every stop is noted (the last one kept) and the run goes
    /// on to its end.
    Last,
}

/// The stops of a run, armed.
pub struct Stops<'a> {
    /// The process shown: breakpoints are its parcels.
    pub shown: Pid,
    pub breakpoints: &'a BTreeMap<u32, Option<Condition>>,
    pub watchpoints: &'a mut [Watchpoint],
    /// The run ends once the job's instruction count reaches this.
    pub until: u64,
    pub mode: Mode,
    /// The stop found, with the job's instruction count there.
    pub found: Option<(u64, Stop)>,
}

impl Stops<'_> {
    /// Notes `stop` (if any) at instruction count `instructions`; whether the run
    /// stops there.
    fn note(&mut self, instructions: u64, stop: Option<Stop>) -> bool {
        if let Some(stop) = stop {
            self.found = Some((instructions, stop));
            if self.mode == Mode::First {
                return true;
            }
        }
        instructions >= self.until
    }

    /// The breakpoint the shown process stands at, if its condition holds.
    fn breakpoint(&self, cpu: &Cpu, memory: &Memory) -> Option<Stop> {
        match self.breakpoints.get(&cpu.p)? {
            Some(condition) if !condition.holds(cpu, memory) => None,
            _ => Some(Stop::Breakpoint(cpu.p)),
        }
    }

    /// The first watchpoint of `pid` whose values changed (each one notes what it
    /// sees now, and that the next change is made by the instruction at P).
    fn changed(&mut self, pid: Pid, cpu: &Cpu, memory: &Memory, by: Option<u32>) -> Option<Stop> {
        let mut changed = None;
        for (index, watchpoint) in self.watchpoints.iter_mut().enumerate() {
            if watchpoint.pid != pid {
                continue;
            }
            let writer = std::mem::replace(&mut watchpoint.last_p, cpu.p);
            if watchpoint
                .watched
                .holds_still(cpu, memory, &watchpoint.last)
            {
                continue;
            }
            let after = watchpoint.watched.read(cpu, memory);
            let before = std::mem::replace(&mut watchpoint.last, after.clone());
            changed.get_or_insert(Stop::Changed {
                index,
                before,
                after,
                by: by.unwrap_or(writer),
            });
        }
        changed
    }

    /// The stop the job as it stands makes, looking at every process: after the
    /// kernel's work, and after the session handled what the job asked (terminal
    /// input, its own checkpoint). A breakpoint counts only when `moved` (the shown
    /// process made the system call, or its P changed): one it stands at while
    /// others run was said when it arrived.
    pub fn look(&mut self, system: &System, moved: bool) -> Option<Stop> {
        let mut changed = None;
        for (&pid, process) in &system.processes {
            let stop = self.changed(pid, &process.cpu, &process.memory, None);
            changed = changed.or(stop);
        }
        if changed.is_some() {
            return changed;
        }
        let process = system.processes.get(&self.shown)?;
        if !moved {
            return None;
        }
        self.breakpoint(&process.cpu, &process.memory)
    }

    /// Notes what [`Stops::look`] sees; whether the run stops.
    pub fn look_and_note(&mut self, system: &System, moved: bool) -> bool {
        let stop = self.look(system, moved);
        self.note(system.instructions, stop)
    }
}

impl Probe<Cos> for Stops<'_> {
    fn after_instruction(
        &mut self,
        pid: Pid,
        instructions: u64,
        cpu: &Cpu,
        memory: &Memory,
        at: u32,
    ) -> bool {
        let mut stop = None;
        if !self.watchpoints.is_empty() {
            stop = self.changed(pid, cpu, memory, Some(at));
        }
        if stop.is_none() && pid == self.shown && !self.breakpoints.is_empty() {
            stop = self.breakpoint(cpu, memory);
        }
        self.note(instructions, stop)
    }

    fn after_kernel(&mut self, pid: Pid, system: &System) -> bool {
        self.look_and_note(system, pid == self.shown)
    }
}
