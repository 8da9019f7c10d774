//! A checkpoint of some of a job's processes (`chkpnt -p`), restored without the
//! others: what the absent processes held is gone, as if they had ended at the
//! checkpoint. Their descriptors no longer count towards the open files and pipe ends
//! they shared, and a process waiting for something only they could give (a child
//! changing state, the other end of a pipe) is woken to find out, just as it would be
//! woken by their exit. For an image of whole jobs nothing changes.

use super::files::FileId;
use super::process::{ProcessState, WaitOn};
use super::{Foreign, System};
use std::collections::{BTreeMap, BTreeSet};

impl<F: Foreign> System<F> {
    /// Recounts the references of every open file from the descriptors present,
    /// releases what no descriptor refers to any more, and wakes the processes whose
    /// wait can no longer end the way they expected (a blocked system call is made
    /// again when its process runs, so it then returns ECHILD, end of file or EPIPE).
    pub fn settle_absent_processes(&mut self) {
        // The job's first process stayed behind and had not ended: the lowest pid
        // present takes its part, so the end of what was restarted is the job's exit
        // status (and not the 0 of a leader that never ends here).
        let leader_present = self
            .leader
            .is_some_and(|pid| self.processes.contains_key(&pid));
        if !leader_present && self.leader_status.is_none() {
            if let Some(&first) = self.processes.keys().next() {
                self.leader = Some(first);
            }
        }
        let mut held: BTreeMap<FileId, u32> = BTreeMap::new();
        for process in self.processes.values().filter(|p| p.is_alive()) {
            for &id in process.fds.values() {
                *held.entry(id).or_default() += 1;
            }
        }
        let mut changed_pipes = BTreeSet::new();
        let ids: Vec<FileId> = self.files.open.keys().copied().collect();
        for id in ids {
            let now = held.get(&id).copied().unwrap_or(0);
            let Some(file) = self.files.open.get_mut(&id) else {
                continue;
            };
            if file.refs == now {
                continue;
            }
            if now > 0 {
                file.refs = now;
                continue;
            }
            file.refs = 1;
            if let Some(pipe) = self.files.release(id) {
                changed_pipes.insert(pipe);
            }
        }
        let pids: Vec<_> = self.processes.keys().copied().collect();
        for pid in pids {
            let has_children = self.processes.values().any(|c| c.ppid == pid);
            let Some(process) = self.processes.get_mut(&pid) else {
                continue;
            };
            let wake = match process.state {
                ProcessState::Blocked(WaitOn::Child) => !has_children,
                ProcessState::Blocked(WaitOn::PipeRead(pipe) | WaitOn::PipeWrite(pipe)) => {
                    changed_pipes.contains(&pipe)
                }
                _ => false,
            };
            if wake {
                process.state = ProcessState::Runnable;
            }
        }
    }
}
