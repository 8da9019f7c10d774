//! F$IOA (041): the I/O-area lock of the job, kept where COS keeps it, in JCB word
//! [`JCIOA`]: bit 4 (JCIOAC) its current state, bit 5 (JCIOAP) the state before the
//! last F$IOA, 1 locked and 0 unlocked (`systxt.cal` of COS-Tools, "Job Communication
//! Block Offsets"; Cray bit numbers, bit 0 the most significant).
//!
//! S1 is the address of a request word. Every one of the 662 F$IOA sites in the
//! corpus binaries (`cray dis`, a search for `S0 O'41` before an EX) stores zero in
//! that word first and never reads it afterwards, so zero asks for the unlocked
//! state; the emulator takes the word's bit 63 (its lowest) as the state wanted.
//! Nothing else changes: the emulator's I/O is done inside each request, so no
//! transfer into the area is ever under way for a lock to hold back.

use super::bits::{field, with_field};
use super::requests::Reply;
use crate::cos::System;
use crate::system::Pid;

/// JCB word holding JCIOAC and JCIOAP (JCDCS, `systxt.cal`).
pub const JCIOA: u64 = 0o104;
/// Cray bit of JCIOAC, the current lock state.
pub const JCIOAC_BIT: u32 = 4;
/// Cray bit of JCIOAP, the state before the last F$IOA.
pub const JCIOAP_BIT: u32 = 5;

impl System {
    /// F$IOA with the request word at S1.
    pub(crate) fn cos_io_area(&mut self, pid: Pid, s1: u64) -> Reply {
        let address = s1 & 0xFF_FFFF;
        let Some(request) = self.cos_read(pid, address, 1) else {
            return Self::bad_address("F$IOA", address);
        };
        let Some(jcb) = self.cos_read(pid, JCIOA, 1) else {
            return Self::bad_address("F$IOA", JCIOA);
        };
        let current = field(jcb[0], JCIOAC_BIT, JCIOAC_BIT);
        let word = with_field(jcb[0], JCIOAP_BIT, JCIOAP_BIT, current);
        let word = with_field(word, JCIOAC_BIT, JCIOAC_BIT, request[0] & 1);
        self.cos_write(pid, JCIOA, &[word]);
        Reply::Status(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cos::requests::code;

    fn ioa(system: &mut System, pid: Pid, wanted: u64) -> (u64, u64) {
        assert!(system.cos_write(pid, 0o300, &[wanted]));
        let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
        cpu.s[0] = code::F_IOA;
        cpu.s[1] = 0o300;
        system.cos_request(pid, 0o1000);
        assert_eq!(system.processes[&pid].cpu.s[0], 0);
        let word = system.cos_read(pid, JCIOA, 1).unwrap()[0];
        (
            field(word, JCIOAC_BIT, JCIOAC_BIT),
            field(word, JCIOAP_BIT, JCIOAP_BIT),
        )
    }

    #[test]
    fn the_lock_and_its_previous_state_are_in_the_jcb() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        let before = system.cos_read(pid, JCIOA, 1).unwrap()[0];
        assert_eq!(ioa(&mut system, pid, 1), (1, 0));
        assert_eq!(ioa(&mut system, pid, 1), (1, 1));
        assert_eq!(ioa(&mut system, pid, 0), (0, 1));
        assert_eq!(ioa(&mut system, pid, 0), (0, 0));
        assert_eq!(system.cos_read(pid, JCIOA, 1).unwrap()[0], before);
    }
}
