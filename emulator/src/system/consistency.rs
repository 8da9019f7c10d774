//! Checks of a kernel state that came from outside (a checkpoint image): the
//! invariants the kernel keeps itself and relies on, so that a damaged or crafted
//! state whose checksums are right is refused with a reason instead of hanging or
//! misbehaving later.

use super::{Foreign, Process, System};
use crate::timing::HpmCounters;

/// Clock periods beyond which a state is taken as damaged: 2^62 CP is over 1,300
/// years of X-MP time, and it leaves the kernel's sums of clock periods far from
/// overflowing.
pub const MAX_PLAUSIBLE_CLOCK: u64 = 1 << 62;

/// Clock periods of outstanding work past a process's clock beyond which its timing
/// state is taken as damaged. The longest a model can make is a few thousand (a
/// vector stream waiting on busy banks behind others); a time past this would bring
/// the model's sums near overflow.
pub const MAX_PENDING_WORK: u64 = 1 << 20;

/// An invariant a restored kernel state breaks, naming where (pid, descriptor, file).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Inconsistency {
    /// The machine clock is past [`MAX_PLAUSIBLE_CLOCK`].
    #[error("machine clock {clock} is past {MAX_PLAUSIBLE_CLOCK} clock periods")]
    ClockImplausible {
        /// The machine clock.
        clock: u64,
    },
    /// A process table entry holds another pid than its key.
    #[error("process table entry {key} holds pid {pid}")]
    MisfiledProcess {
        /// The entry's key.
        key: u32,
        /// The pid the process holds.
        pid: u32,
    },
    /// A process has run longer than the machine.
    #[error("pid {pid} has run {cycles} clock periods, more than the machine clock {clock}")]
    ProcessAheadOfClock {
        /// The process.
        pid: u32,
        /// Its clock periods.
        cycles: u64,
        /// The machine clock.
        clock: u64,
    },
    /// A pid is not below the next pid to give out.
    #[error("pid {pid} is not below the next pid to give out, {next_pid}")]
    PidNotGivenOut {
        /// The process.
        pid: u32,
        /// The next pid to give out.
        next_pid: u32,
    },
    /// A process's performance counter is past [`MAX_PLAUSIBLE_CLOCK`].
    #[error(
        "pid {pid}'s hardware performance counter {counter} is {count}, past {MAX_PLAUSIBLE_CLOCK}"
    )]
    ProcessCounterImplausible {
        /// The process.
        pid: u32,
        /// The counter's name.
        counter: &'static str,
        /// Its count.
        count: u64,
    },
    /// A process's timing model reserves a unit too far past its clock.
    #[error("pid {pid}'s timing model holds a reservation up to clock period {latest}, more than {MAX_PENDING_WORK} past its {cycles} clock periods")]
    ReservationTooFar {
        /// The process.
        pid: u32,
        /// The latest clock period reserved.
        latest: u64,
        /// The process's clock periods.
        cycles: u64,
    },
    /// A descriptor refers to an open file description that does not exist.
    #[error("pid {pid} descriptor {fd} refers to open file {file}, which does not exist")]
    DanglingDescriptor {
        /// The process.
        pid: u32,
        /// The descriptor.
        fd: u32,
        /// The description it names.
        file: u64,
    },
    /// The job's summed performance counter is past [`MAX_PLAUSIBLE_CLOCK`].
    #[error("the job's hardware performance counter {counter} totals {count}, past {MAX_PLAUSIBLE_CLOCK}")]
    JobCounterImplausible {
        /// The counter's name.
        counter: &'static str,
        /// Its total.
        count: u64,
    },
}

impl<F: Foreign> System<F> {
    /// Checks the invariants of a restored state; the error says which one fails and
    /// where (pid, file id), in the kernel's vocabulary.
    pub fn check_consistency(&self) -> Result<(), Inconsistency> {
        if self.clock > MAX_PLAUSIBLE_CLOCK {
            return Err(Inconsistency::ClockImplausible { clock: self.clock });
        }
        for (&key, process) in &self.processes {
            self.check_process(key, process)?;
        }
        // The kernel sums the counters of every process into the job's report, and a
        // run only ever adds to them: bounding the sum keeps that arithmetic exact.
        if let Some((counter, count)) = implausible_counter(&self.hpm()) {
            return Err(Inconsistency::JobCounterImplausible { counter, count });
        }
        Ok(())
    }

    /// Checks the invariants of the process at `key` of the process table.
    fn check_process(&self, key: u32, process: &Process<F>) -> Result<(), Inconsistency> {
        let pid = process.pid;
        if pid != key {
            return Err(Inconsistency::MisfiledProcess { key, pid });
        }
        if process.cpu.cycles > self.clock {
            return Err(Inconsistency::ProcessAheadOfClock {
                pid,
                cycles: process.cpu.cycles,
                clock: self.clock,
            });
        }
        if pid >= self.next_pid {
            return Err(Inconsistency::PidNotGivenOut {
                pid,
                next_pid: self.next_pid,
            });
        }
        if let Some(model) = &process.cpu.timing {
            if let Some((counter, count)) = implausible_counter(model.counters()) {
                return Err(Inconsistency::ProcessCounterImplausible {
                    pid,
                    counter,
                    count,
                });
            }
            let latest = model.latest_reservation();
            if latest > process.cpu.cycles.saturating_add(MAX_PENDING_WORK) {
                return Err(Inconsistency::ReservationTooFar {
                    pid,
                    latest,
                    cycles: process.cpu.cycles,
                });
            }
        }
        for (&fd, &file) in &process.fds {
            if !self.files.open.contains_key(&file) {
                return Err(Inconsistency::DanglingDescriptor { pid, fd, file });
            }
        }
        Ok(())
    }
}

/// The first counter past [`MAX_PLAUSIBLE_CLOCK`] (no counter grows by more than a
/// few per clock period), with its name.
fn implausible_counter(counters: &HpmCounters) -> Option<(&'static str, u64)> {
    counters
        .named()
        .into_iter()
        .find(|&(_, count)| count > MAX_PLAUSIBLE_CLOCK)
}
