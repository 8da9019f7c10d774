//! The job's own checkpoints and its rerun mark: F$UROLL (user-requested rollout),
//! F$NRN and F$RRN (`COS.md` §2, `systxt.cal`).
//!
//! F$UROLL is served as `chkpnt(2)` is: the kernel does no host I/O, it sets the
//! answer a restarted job must see (S0 = 0, S1 = 1) and reports
//! [`Event::RolloutRequested`]; the runner writes the image into the job's checkpoint
//! directory and calls [`System::rollout_done`], which gives the job going on S1 = 0,
//! or S0 = 1 (rollout not done, the job goes on) when there is no checkpoint directory
//! or the image could not be written. The S-register convention is that of every F$
//! request here (S0 status, S1 value, `requests` module); the 0/1 answer is the one
//! `chkpnt` gives, since no COS source at hand says what F$UROLL returns.
//!
//! The rerun mark: COS jobs are rerunnable unless they say otherwise. F$NRN marks
//! the job not rerunnable, F$RRN rerunnable again (S1 is not read: the
//! enable/disable operand of SR-0012 is not known here). The mark lives in JCB word
//! [`JCRERUN`], so that every image of the job carries it with no change to the
//! saved kernel state: bit 0 set = not rerunnable, bits 1–63 the clock period of the
//! F$NRN. Either request stops the run with [`Event::RerunMarkChanged`], so that a
//! runner keeping a note of the mark outside the job writes it before the job does
//! anything more (before, the note waited for the end of the runner's slice, and a
//! crash inside it left a job marked not rerunnable without its note).

use super::bits::{field, with_field};
use crate::cos::System;
use crate::system::{Event, Pid};

/// JCB word of the rerun mark: one of the words after JCDIG (0170) that
/// `systxt.cal` leaves undefined, so that no library code addresses it.
pub const JCRERUN: u32 = 0o171;

/// S0 of an F$UROLL that did not roll the job out.
pub const ROLLOUT_NOT_DONE: u64 = 1;

impl System {
    /// F$UROLL: the answer a restarted job sees, and the event asking the runner for
    /// the image.
    pub(crate) fn cos_rollout(&mut self, pid: Pid) -> Option<Event> {
        let process = self.processes.get_mut(&pid)?;
        process.cpu.s[0] = 0;
        process.cpu.s[1] = 1;
        Some(Event::RolloutRequested {
            pid,
            jid: process.jid,
        })
    }

    /// Finishes an F$UROLL: `done` when the image is written (S1 = 0, the job goes
    /// on), else S0 = [`ROLLOUT_NOT_DONE`] and S1 = 0.
    pub fn rollout_done(&mut self, pid: Pid, done: bool) {
        if let Some(process) = self.processes.get_mut(&pid) {
            process.cpu.s[0] = if done { 0 } else { ROLLOUT_NOT_DONE };
            process.cpu.s[1] = 0;
        }
    }

    /// F$NRN (`rerunnable` false) and F$RRN (true): sets the job's rerun mark.
    pub(crate) fn cos_set_rerun(&mut self, pid: Pid, rerunnable: bool) -> bool {
        let clock = self.clock;
        let Some(process) = self.processes.get_mut(&pid) else {
            return false;
        };
        let word = if rerunnable {
            0
        } else {
            with_field(with_field(0, 0, 0, 1), 1, 63, clock)
        };
        process.memory.write(JCRERUN, word);
        true
    }

    /// When job `jid` runs a COS program that marked itself not rerunnable (F$NRN):
    /// the clock period of the mark; `None` when it is rerunnable.
    pub fn cos_not_rerunnable_since(&self, jid: Pid) -> Option<u64> {
        self.processes
            .values()
            .filter(|p| p.jid == jid && p.is_alive() && p.cos.is_some())
            .filter_map(|p| p.memory.read(JCRERUN))
            .find(|&word| field(word, 0, 0) == 1)
            .map(|word| field(word, 1, 63))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cos::requests::code;

    /// Makes request `code` from the job at P = 01000; the event it reports.
    fn request(system: &mut System, pid: Pid, code: u64) -> Option<Event> {
        let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
        cpu.s[0] = code;
        cpu.s[1] = 0o777;
        system.cos_request(pid, 0o1000)
    }

    fn s0_s1(system: &System, pid: Pid) -> (u64, u64) {
        let cpu = &system.processes[&pid].cpu;
        (cpu.s[0], cpu.s[1])
    }

    #[test]
    fn a_rollout_shows_restarted_in_the_image_and_going_on_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        let jid = system.processes[&pid].jid;
        let event = request(&mut system, pid, code::F_UROLL);
        assert_eq!(event, Some(Event::RolloutRequested { pid, jid }));
        assert_eq!(s0_s1(&system, pid), (0, 1), "what the image holds");
        system.rollout_done(pid, true);
        assert_eq!(s0_s1(&system, pid), (0, 0));
        request(&mut system, pid, code::F_UROLL);
        system.rollout_done(pid, false);
        assert_eq!(s0_s1(&system, pid), (ROLLOUT_NOT_DONE, 0));
        assert!(system.processes[&pid].is_alive());
    }

    #[test]
    fn the_rerun_mark_is_set_with_its_clock_and_taken_back() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        let jid = system.processes[&pid].jid;
        assert_eq!(system.cos_not_rerunnable_since(jid), None);
        system.clock = 12345;
        // Each change stops the run, so that the runner notes it before the job
        // goes on.
        let changed = Some(Event::RerunMarkChanged { pid, jid });
        assert_eq!(request(&mut system, pid, code::F_NRN), changed);
        assert_eq!(s0_s1(&system, pid).0, 0);
        assert_eq!(system.cos_not_rerunnable_since(jid), Some(12345));
        assert_eq!(request(&mut system, pid, code::F_RRN), changed);
        assert_eq!(system.cos_not_rerunnable_since(jid), None);
    }
}
