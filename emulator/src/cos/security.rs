//! The security requests of COS 1.16/1.17, answered as COS answers a job on a
//! system that does not run its security feature (no security levels or
//! compartments kept, every job an ordinary user).
//!
//! F$DSD (075, define secure dataset): S1 = the ODN or DSP of a local dataset, S2 =
//! the security attributes wanted for it. Without the security feature a dataset
//! has no attributes to set, so the request is done (S0 = 0) and nothing changes;
//! the dataset must exist as the request names it (S0 = 1 otherwise, as for the
//! other dataset requests). DMP10 asks it for `$PDS` right after opening it and
//! goes on whatever the answer.

use super::requests::Reply;
use crate::cos::System;
use crate::system::Pid;

impl System {
    /// F$DSD: S1 = ODN or DSP, S2 = the attributes (ignored: see the module notes).
    pub(crate) fn cos_define_secure_dataset(&mut self, pid: Pid, s1: u64, _s2: u64) -> Reply {
        match self.cos_resolve(pid, s1, false) {
            Some(_) => Reply::Status(0),
            None => Reply::Status(super::local_datasets::STATUS_NO_DATASET),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::cos::requests::code;
    use crate::cos::System;

    /// Makes F$DSD from a fresh job with S1 = `s1`; returns S0 and whether the job
    /// is still alive.
    fn define(s1_name: Option<&str>) -> (u64, bool) {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid): (System, _) = crate::cos::loader::test_job(dir.path());
        let odn = 0o2000;
        if let Some(name) = s1_name {
            system.cos_open_name(pid, name).unwrap();
        }
        let name_word = crate::cos::bits::ascii_word(s1_name.unwrap_or("NONE"));
        assert!(system.cos_write(pid, odn, &[name_word, 0]));
        let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
        cpu.s[0] = code::F_DSD;
        cpu.s[1] = odn;
        cpu.s[2] = 0o140002;
        system.cos_request(pid, 0o1000);
        let process = &system.processes[&pid];
        (process.cpu.s[0], process.is_alive())
    }

    #[test]
    fn define_secure_dataset_is_done_for_a_local_dataset_and_refused_for_none() {
        assert_eq!(define(Some("$PDS")), (0, true));
        assert_eq!(
            define(None),
            (crate::cos::local_datasets::STATUS_NO_DATASET, true)
        );
    }
}
