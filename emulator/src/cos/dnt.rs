//! F$DNT (014) with S1 = the DDL (dataset definition list): the system creates or
//! changes a local dataset's entry, its DNT, and, when the DDL asks, returns a copy
//! of that entry to the program. Datasets are created here when they are first
//! opened, so the request changes nothing; what it returns is served.
//!
//! What is known of the layouts comes from the one caller at hand that reads the
//! copy back, TEDI (COS 1.16, not in the corpus; `cray debug tedi.bin`): its
//! routine at 43575a–43674b (the F$DNT at 43637a, S1 = its DDL at 043236) names the
//! dataset in DDL word 0, sets DDL word 2 bits 2–3, and gives the address of a
//! return block in DDL word 3 bits 16–39 (043551). After the request it takes a
//! non-zero S0 as a failure (its caller then says `TE017 - NEW DATASET`,
//! 20272a–20276c) and, for S0 = 0, copies fields of the returned entry to its
//! caller; the one it tests is word 3 bits 4–11 (43661b–43662d), of which its caller
//! keeps the low three bits (20277c–20303a): 7 lets it rewrite the dataset, 3 gives
//! `TE012 - NO MAINTENANCE PERMISSION`, anything else `TE019 - READ ONLY DATASET`.
//! So bit 9 is maintenance permission; the emulator puts read in bit 11 and write
//! in bit 10 (TEDI does not tell them apart). No other field of the entry is known
//! here: the rest of the copy is zero but for the name in word 0. A dataset the
//! job does not have yet is created by the request (PRVDEF's library asks the same
//! way for `FT01`, which no deck gives it, and goes on only for S0 = 0), so the
//! answer is always 0 and the entry that of a new dataset, all permissions.

use super::bits::{field, with_field};
use super::deck::catalogue::Access;
use super::requests::{dataset_name, Reply};
use crate::cos::System;
use crate::system::Pid;

/// Words of the DNT copy F$DNT returns (TEDI reads words 0–017).
pub const DNT_WORDS: usize = 0o20;

/// DDL word 3 bits 16–39: where to return the dataset's DNT (0: nowhere).
const RETURN_ADDRESS: (u32, u32) = (16, 39);

/// DNT word 3 bits 4–11: the job's permissions on the dataset.
const PERMISSIONS: (u32, u32) = (4, 11);

/// Permission bits of [`PERMISSIONS`].
const READ: u64 = 1;
const WRITE: u64 = 2;
const MAINTENANCE: u64 = 4;

/// The permission bits for what ACCESS granted on a permanent dataset.
fn permission_bits(access: Access) -> u64 {
    match access {
        Access::None | Access::Execute => 0,
        Access::Read => READ,
        Access::Write => READ | WRITE,
        Access::Maintenance => READ | WRITE | MAINTENANCE,
    }
}

/// The DNT copy of local dataset `name` with permission bits `permissions`.
fn dnt_copy(name: &str, permissions: u64) -> [u64; DNT_WORDS] {
    let mut dnt = [0; DNT_WORDS];
    dnt[0] = super::bits::ascii_word(name);
    dnt[3] = with_field(0, PERMISSIONS.0, PERMISSIONS.1, permissions);
    dnt
}

impl System {
    /// F$DNT with S1 = DDL (see the module's comment).
    pub(crate) fn cos_dataset_definition(&mut self, pid: Pid, s1: u64) -> Reply {
        let address = s1 & 0xFF_FFFF;
        let Some(ddl) = self.cos_read(pid, address, 4) else {
            return Self::bad_address("F$DNT", address);
        };
        let target = field(ddl[3], RETURN_ADDRESS.0, RETURN_ADDRESS.1);
        if target == 0 {
            return Reply::Status(0);
        }
        let name = dataset_name(ddl[0]);
        let permissions = self.local_permissions(pid, &name);
        let copy = dnt_copy(&name, permissions);
        self.store_and_answer(pid, "F$DNT return block", target, &copy, Reply::Status(0))
    }

    /// The permission bits of `pid`'s job on local dataset `name`: those ACCESS
    /// granted on a permanent dataset, all of them on any other (one the job made,
    /// or one that F$DNT or an open makes now).
    fn local_permissions(&self, pid: Pid, name: &str) -> u64 {
        self.deck_of(pid)
            .and_then(|deck| deck.datasets.get(name))
            .and_then(|dataset| dataset.permanent.as_ref())
            .map_or(READ | WRITE | MAINTENANCE, |a| permission_bits(a.access))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_names_the_dataset_and_puts_the_permissions_in_word_3() {
        let dnt = dnt_copy("TEXT", READ | WRITE | MAINTENANCE);
        assert_eq!(dnt[0], super::super::bits::ascii_word("TEXT"));
        // TEDI's test: (word 3 bits 4-11) & 7 == 7.
        assert_eq!(field(dnt[3], 4, 11) & 7, 7);
        assert_eq!(dnt[3], 7 << (63 - 11));
        assert!(dnt[1..3].iter().chain(&dnt[4..]).all(|&w| w == 0));
    }

    /// F$DNT with a return address copies the dataset's entry there, for a
    /// dataset the job has and for one it does not have yet alike; without one it
    /// changes nothing.
    #[test]
    fn the_entry_is_returned_where_the_ddl_asks() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        let (ddl, target) = (0o1000, 0o1100);
        let ask = |system: &mut System, name: &str, target: u64| {
            let words = [
                super::super::bits::ascii_word(name),
                0,
                0o3 << (63 - 3),
                with_field(0, 16, 39, target),
            ];
            assert!(system.cos_write(pid, ddl, &words));
            assert!(system.cos_write(pid, 0o1100, &[0o5; DNT_WORDS]));
            system.cos_dataset_definition(pid, ddl)
        };
        assert!(matches!(ask(&mut system, "TEXT", target), Reply::Status(0)));
        let copy = system.cos_read(pid, target, DNT_WORDS as u64).unwrap();
        assert_eq!(copy, dnt_copy("TEXT", READ | WRITE | MAINTENANCE));
        assert!(matches!(
            ask(&mut system, "NOSUCH", target),
            Reply::Status(0)
        ));
        let copy = system.cos_read(pid, target, DNT_WORDS as u64).unwrap();
        assert_eq!(copy, dnt_copy("NOSUCH", READ | WRITE | MAINTENANCE));
        assert!(matches!(ask(&mut system, "NOSUCH", 0), Reply::Status(0)));
        assert_eq!(system.cos_read(pid, target, 1).unwrap(), [0o5]);
    }

    #[test]
    fn access_maps_to_permission_bits() {
        assert_eq!(permission_bits(Access::Read), READ);
        assert_eq!(permission_bits(Access::Write) & MAINTENANCE, 0);
        assert_eq!(permission_bits(Access::Write) & 7, 3);
        assert_eq!(permission_bits(Access::Maintenance), 7);
        assert_eq!(permission_bits(Access::Execute), 0);
    }
}
