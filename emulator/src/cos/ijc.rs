//! Request 0113: inter-job communication (IJC), as RECIO makes it. Its F$ name is
//! not known here; everything below is read from RECIO's code (`cray dis`, parcel
//! addresses as it prints them).
//!
//! RECIO's routine IJCALL (its messages "PD683 - IJC CALL FAILED" and "PD690 - IJC
//! ERROR: FUNCTION = ..., STATUS = ...") makes the request through `$SYSTEM`
//! (entry 107005a, EX at 107015c; the S2 = 2 there is left from `$SYSTEM` counting
//! its arguments at 107011b) with S1 = a block built by RECIO's other IJC routines.
//! IJCALL reads two of its words back, each with an accessor whose traceback name
//! gives the field:
//!
//! | word | contents | accessor (entry) |
//! |---|---|---|
//! | 2 | **status** | IJSTAT (34356a) |
//! | 3 | function | IJFUNC (34373a) |
//!
//! RECIO's first call has function 2 and the name `$RECALL` in word 5.
//! After the request IJCALL reads the status (365c, stored at 367a): 0 ends the call
//! (370a–372b); 6 makes it wait with ERECALL (RECALL of classes IJ, OR, AE with a
//! time-out of 1000, 374b–403d; request 0111, module `cos::events`) and make the
//! request again (412a back to 357b); anything else is listed as PD690 with the
//! function and the status (412c–423b) and IJCALL returns.
//!
//! No job here takes part in inter-job communication: a deck's steps run one at a
//! time, and no system task answers. So the request is refused: status
//! [`STATUS_NO_PARTNER`] in word 2 and in S0, nothing else stored. The value is this
//! emulator's (COS's IJC status codes are not known here); any value but 0 and 6 is
//! a failure to IJCALL.

use super::requests::Reply;
use crate::cos::System;
use crate::system::Pid;

/// Status word of the block.
pub const STATUS_WORD: u64 = 2;
/// Function word of the block.
pub const FUNCTION_WORD: u64 = 3;
/// Words of the block that must lie in the field: up to the function, the last
/// word IJCALL reads back.
pub const READ_WORDS: u64 = FUNCTION_WORD + 1;

/// The status of a refused request: no partner job (the value is this
/// emulator's, see the module notes).
pub const STATUS_NO_PARTNER: u64 = 1;
/// The status IJCALL takes as "not yet": it waits and makes the request again.
pub const STATUS_AGAIN: u64 = 6;

// A refusal must be neither "done" nor "again" to IJCALL, or it would go on or loop.
const _: () = assert!(STATUS_NO_PARTNER != 0 && STATUS_NO_PARTNER != STATUS_AGAIN);

impl System {
    /// Request 0113: S1 = the block. Refused (module notes); a block outside the
    /// field ends the job as any bad address does.
    pub(crate) fn cos_inter_job(&mut self, pid: Pid, s1: u64) -> Reply {
        let address = s1 & 0xFF_FFFF;
        if self.cos_read(pid, address, READ_WORDS).is_none() {
            return Self::bad_address("IJC", address);
        }
        let status = [STATUS_NO_PARTNER];
        let reply = Reply::Status(STATUS_NO_PARTNER);
        self.store_and_answer(pid, "IJC", address + STATUS_WORD, &status, reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::ExitStatus;

    /// RECIO's first block as it reached the request (words 0263424–0263433).
    fn recio_block() -> Vec<u64> {
        vec![
            0o0160200000000000000000,
            0,
            0,
            2,
            0,
            crate::cos::bits::ascii_word("$RECALL"),
            0,
            0o252474,
        ]
    }

    fn request(block: &[u64], at: u64) -> (System, Pid) {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid): (System, _) = crate::cos::loader::test_job(dir.path());
        assert!(system.cos_write(pid, 0o300, block));
        let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
        cpu.s[0] = crate::cos::requests::code::F_IJC;
        cpu.s[1] = at;
        cpu.s[2] = 2;
        system.cos_request(pid, 0o1000);
        (system, pid)
    }

    #[test]
    fn is_refused_with_a_status_ijcall_takes_as_failure() {
        let block = recio_block();
        let (system, pid) = request(&block, 0o300);
        let process = &system.processes[&pid];
        assert!(process.is_alive());
        assert_eq!(process.cpu.s[0], STATUS_NO_PARTNER);
        let mut expected = block.clone();
        expected[STATUS_WORD as usize] = STATUS_NO_PARTNER;
        assert_eq!(
            system.cos_read(pid, 0o300, block.len() as u64).unwrap(),
            expected,
            "the status and nothing else; the function stays"
        );
        assert_eq!(expected[FUNCTION_WORD as usize], 2);
    }

    #[test]
    fn a_block_outside_the_field_ends_the_job() {
        let (system, _) = request(&recio_block(), 0o77777777);
        assert_eq!(
            system.leader_status,
            Some(ExitStatus::Signaled(crate::system::signals::SIGSEGV))
        );
    }
}
