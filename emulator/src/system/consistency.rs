//! Checks of a kernel state that came from outside (a checkpoint image): the
//! invariants the kernel keeps itself and relies on, so that a damaged or crafted
//! state whose checksums are right is refused with a reason instead of hanging or
//! misbehaving later.

use super::System;

/// Clock periods beyond which a state is taken as damaged: 2^62 CP is over 1,300
/// years of X-MP time, and it leaves the kernel's sums of clock periods far from
/// overflowing.
pub const MAX_PLAUSIBLE_CLOCK: u64 = 1 << 62;

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
            for (&fd, id) in &process.fds {
                if !self.files.open.contains_key(id) {
                    return Err(format!(
                        "pid {key} descriptor {fd} refers to open file {id}, which does not exist"
                    ));
                }
            }
        }
        Ok(())
    }
}
