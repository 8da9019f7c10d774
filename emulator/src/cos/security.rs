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
//!
//! F$PRV (074, process user security requests): the only callers in the corpus are
//! the library routine CHKPRV (its traceback name at 066065 in AUDIT, 057650's
//! routine in DMP10; `cray dis`). It makes F$PRV with S2 = 2 and S1 = a zeroed
//! buffer, then tests privilege n (n below 0400: it masks n with 0377 first) as bit
//! n mod 64 (counted from the left) of buffer word n / 64: function 2 returns the
//! job's privileges as a bit mask of [`PRIVILEGE_WORDS`] words. An ordinary user
//! holds none, so the emulator answers with zero words (S0 = 0), and CHKPRV finds
//! every privilege missing. Other F$PRV functions are not known here (no corpus
//! binary makes them) and end the job as an unserved request does.
//!
//! F$ENC (076, encrypt password) stays unserved: ACCTDEF and PRVDEF pass it a
//! password (S1) and take S0 = 0 as the encrypted form stored back; COS's one-way
//! function is not known here, and an answer that is not COS's would put passwords
//! no COS could check into their datasets.

use super::requests::Reply;
use crate::cos::System;
use crate::system::Pid;

/// F$PRV S2: return the job's privilege mask at S1.
pub const PRV_MASK: u64 = 2;
/// Words of the privilege mask: privileges 0–0377, one bit each (CHKPRV masks the
/// privilege number with 0377).
pub const PRIVILEGE_WORDS: usize = 4;

impl System {
    /// F$PRV function 2 ([`PRV_MASK`]): the privilege mask of an ordinary user (no
    /// privileges) at S1.
    pub(crate) fn cos_privileges(&mut self, pid: Pid, s1: u64) -> Reply {
        let address = s1 & 0xFF_FFFF;
        self.store_and_answer(
            pid,
            "F$PRV",
            address,
            &[0; PRIVILEGE_WORDS],
            Reply::Status(0),
        )
    }

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
    fn privileges_of_an_ordinary_user_are_none() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid): (System, _) = crate::cos::loader::test_job(dir.path());
        assert!(system.cos_write(pid, 0o300, &[!0; 5]));
        let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
        cpu.s[0] = 0o74;
        cpu.s[1] = 0o300;
        cpu.s[2] = super::PRV_MASK;
        system.cos_request(pid, 0o1000);
        assert_eq!(system.processes[&pid].cpu.s[0], 0);
        assert_eq!(
            system.cos_read(pid, 0o300, 5).unwrap(),
            vec![0, 0, 0, 0, !0],
            "four words of no privileges, nothing after them"
        );
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
