//! Checks of a kernel state that came from outside (a checkpoint image): the
//! invariants the kernel keeps itself and relies on, so that a damaged or crafted
//! state whose checksums are right is refused with a reason instead of hanging or
//! misbehaving later.

use super::System;
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

impl System {
    /// Checks the invariants of a restored state; the error says which one fails and
    /// where (pid, file id), in the kernel's vocabulary.
    pub fn check_consistency(&self) -> Result<(), String> {
        if self.clock > MAX_PLAUSIBLE_CLOCK {
            return Err(format!(
                "machine clock {} is past {MAX_PLAUSIBLE_CLOCK} clock periods",
                self.clock
            ));
        }
        for (&key, process) in &self.processes {
            if process.pid != key {
                return Err(format!(
                    "process table entry {key} holds pid {}",
                    process.pid
                ));
            }
            if process.cpu.cycles > self.clock {
                return Err(format!(
                    "pid {key} has run {} clock periods, more than the machine clock {}",
                    process.cpu.cycles, self.clock
                ));
            }
            if process.pid >= self.next_pid {
                return Err(format!(
                    "pid {key} is not below the next pid to give out, {}",
                    self.next_pid
                ));
            }
            if let Some(model) = &process.cpu.timing {
                if let Some((name, count)) = implausible_counter(model.counters()) {
                    return Err(format!(
                        "pid {key}'s hardware performance counter {name} is {count}, past {MAX_PLAUSIBLE_CLOCK}"
                    ));
                }
                let latest = model.latest_reservation();
                if latest > process.cpu.cycles.saturating_add(MAX_PENDING_WORK) {
                    return Err(format!(
                        "pid {key}'s timing model holds a reservation up to clock period {latest}, more than {MAX_PENDING_WORK} past its {} clock periods",
                        process.cpu.cycles
                    ));
                }
            }
            for (&fd, id) in &process.fds {
                if !self.files.open.contains_key(id) {
                    return Err(format!(
                        "pid {key} descriptor {fd} refers to open file {id}, which does not exist"
                    ));
                }
            }
        }
        // The kernel sums the counters of every process into the job's report, and a
        // run only ever adds to them: bounding the sum keeps that arithmetic exact.
        if let Some((name, count)) = implausible_counter(&self.hpm()) {
            return Err(format!(
                "the job's hardware performance counter {name} totals {count}, past {MAX_PLAUSIBLE_CLOCK}"
            ));
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
