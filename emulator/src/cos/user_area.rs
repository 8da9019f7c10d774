//! F$MEMORY (073) with a user-area request word: the user area (words 0 up to
//! JCHLM) grows or shrinks inside the job's field.
//!
//! The request word's layout is the Cray library's own (its memory manager, at
//! 51267a–51301d of GENCAT, parcels 0245234–0245407, `cray dis`): when the COS
//! revision in JCCRL (JCB word 0106) reads "15" or later in its low 16 bits, it
//! stores bit 11 (the user area), bit 10 for a decrease and the number of words in
//! bits 40–63, and makes the request with S1 = the word's address. It does not
//! look at the reply: it takes the words from the old JCHLM up as its own (GENCAT
//! places its catalogue tables there, 6136c–6146a, after sizing them from JCMFL −
//! JCFL + JCLFT − JCHLM, 6110d–6116b) and checks that any buffer it gives a
//! dataset lies below the new JCHLM (`IO061 - INVALID BUFFER ADDRESS FOR UNBLOCKED
//! DATASET`).
//!
//! COS made room by moving the I/O area (the LFT, the DSPs and the buffers) up.
//! The emulator does not move it: the Cray library keeps the absolute DSP
//! addresses F$OPN gives (AUDIT's I/O routines load them as addresses, 40503a),
//! so no move could find them all. A deck job's field is instead its whole
//! maximum field length from the start, with the I/O area at its top (module
//! `cos::deck::field_limit`), and the user area grows into the room below the
//! LFT. A request that would reach the LFT, or leave less than the JCB, ends the
//! job with the reason on its log, as does a request word without the user-area
//! bit (COS's other forms are not known).

use super::bits::{field, with_field};
use super::jcb::{JCB_WORDS, JCHLM, JCLFT};
use super::requests::Reply;
use crate::cos::System;
use crate::system::signals::SIGSYS;
use crate::system::{ExitStatus, Pid};

/// Cray bit of the request word: the request is for the user area.
const USER_AREA_BIT: u32 = 11;
/// Cray bit of the request word: a decrease (else an increase).
const DECREASE_BIT: u32 = 10;
/// Cray bits of JCHLM in its JCB word.
const HLM_BITS: (u32, u32) = (16, 39);
/// Cray bits of JCLFT in its JCB word.
const LFT_BITS: (u32, u32) = (40, 63);

impl System {
    /// F$MEMORY: S1 = the address of the request word.
    pub(crate) fn cos_memory_request(&mut self, pid: Pid, s1: u64) -> Reply {
        let address = s1 & 0xFF_FFFF;
        let Some(word) = self.cos_read(pid, address, 1).map(|w| w[0]) else {
            return Self::bad_address("F$MEMORY", address);
        };
        if field(word, USER_AREA_BIT, USER_AREA_BIT) == 0 {
            return refuse(format!(
                "request word {word:022o} at {address:o} has no user-area bit (11), \
                 the only form of F$MEMORY this COS knows"
            ));
        }
        let words = field(word, 40, 63);
        let decrease = field(word, DECREASE_BIT, DECREASE_BIT) == 1;
        let Some(jcb) = self.cos_read(pid, JCHLM as u64, 3) else {
            return Self::bad_address("F$MEMORY", JCHLM as u64);
        };
        let hlm = field(jcb[0], HLM_BITS.0, HLM_BITS.1);
        let lft = field(jcb[JCLFT - JCHLM], LFT_BITS.0, LFT_BITS.1);
        match new_high_limit(hlm, lft, words, decrease) {
            Ok(new) => {
                let word = with_field(jcb[0], HLM_BITS.0, HLM_BITS.1, new);
                self.store_and_answer(pid, "F$MEMORY", JCHLM as u64, &[word], Reply::Status(0))
            }
            Err(reason) => refuse(reason),
        }
    }
}

/// JCHLM after a change of `words` to a user area ending at `hlm`, below an LFT
/// at `lft`.
fn new_high_limit(hlm: u64, lft: u64, words: u64, decrease: bool) -> Result<u64, String> {
    if decrease {
        return hlm
            .checked_sub(words)
            .filter(|&new| new >= JCB_WORDS as u64)
            .ok_or_else(|| {
                format!("a decrease of {words} words would leave the user area (JCHLM {hlm:o}) below the JCB")
            });
    }
    let new = hlm + words;
    if new > lft {
        return Err(format!(
            "an increase of {words} words would take the user area (JCHLM {hlm:o}) past the \
             I/O area at JCLFT {lft:o}: the job's field is its maximum field length \
             (JOB,MFL=), and {} words of it are free",
            lft.saturating_sub(hlm)
        ));
    }
    Ok(new)
}

/// The reply that ends the job for a request that cannot be served, naming why.
fn refuse(reason: String) -> Reply {
    Reply::End(
        ExitStatus::Signaled(SIGSYS),
        Some(format!("F$MEMORY: {reason}")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cos::requests::code;

    /// Makes F$MEMORY with `word` as its request word; returns the reply's S0 and
    /// JCHLM after it, or the job's end.
    fn request(system: &mut System, pid: Pid, word: u64) -> Result<(u64, u64), ExitStatus> {
        assert!(system.cos_write(pid, 0o300, &[word]));
        let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
        cpu.s[0] = code::F_MEMORY;
        cpu.s[1] = 0o300;
        system.cos_request(pid, 0o1000);
        if let Some(status) = system.leader_status {
            return Err(status);
        }
        let hlm = field(system.cos_read(pid, JCHLM as u64, 1).unwrap()[0], 16, 39);
        Ok((system.processes[&pid].cpu.s[0], hlm))
    }

    fn user_area(words: u64, decrease: bool) -> u64 {
        1 << (63 - USER_AREA_BIT) | u64::from(decrease) << (63 - DECREASE_BIT) | words
    }

    #[test]
    fn the_user_area_grows_and_shrinks_below_the_io_area() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        let jcb = system.cos_read(pid, JCHLM as u64, 3).unwrap();
        let (hlm, lft) = (field(jcb[0], 16, 39), field(jcb[2], 40, 63));
        let fl = system.processes[&pid].memory.len();
        assert_eq!(
            request(&mut system, pid, user_area(0o100, false)),
            Ok((0, hlm + 0o100))
        );
        assert_eq!(
            request(&mut system, pid, user_area(0o40, true)),
            Ok((0, hlm + 0o40))
        );
        let to_the_lft = lft - hlm - 0o40;
        assert_eq!(
            request(&mut system, pid, user_area(to_the_lft, false)),
            Ok((0, lft))
        );
        assert_eq!(system.processes[&pid].memory.len(), fl, "the field stays");
    }

    #[test]
    fn a_request_past_the_io_area_or_without_the_user_area_bit_ends_the_job() {
        for word in [
            user_area(0o7777777, false),
            0o100,
            user_area(0o7777777, true),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let (mut system, pid) = crate::cos::loader::test_job(dir.path());
            assert_eq!(
                request(&mut system, pid, word),
                Err(ExitStatus::Signaled(SIGSYS)),
                "{word:o}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        /// Any request word, with any JCHLM and JCLFT the program may have written
        /// into its JCB: F$MEMORY moves JCHLM within its rules or ends the job with
        /// a reason, and never panics.
        #[test]
        fn any_request_word_is_served_or_ends_the_job(
            word in proptest::prelude::any::<u64>(),
            user_area_word in 0u64..(1 << 24),
            decrease in proptest::prelude::any::<bool>(),
            hlm_word in proptest::prelude::any::<Option<u64>>(),
            lft_word in proptest::prelude::any::<Option<u64>>(),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let (mut system, pid) = crate::cos::loader::test_job(dir.path());
            for (address, value) in [(JCHLM, hlm_word), (JCLFT, lft_word)] {
                if let Some(value) = value {
                    proptest::prop_assert!(system.cos_write(pid, address as u64, &[value]));
                }
            }
            for word in [word, user_area(user_area_word, decrease)] {
                let before = field(system.cos_read(pid, JCHLM as u64, 1).unwrap()[0], 16, 39);
                let lft = field(system.cos_read(pid, JCLFT as u64, 1).unwrap()[0], 40, 63);
                match request(&mut system, pid, word) {
                    Ok((status, hlm)) => {
                        proptest::prop_assert_eq!(status, 0);
                        proptest::prop_assert!(hlm <= lft.max(before), "{:o} past {:o}", hlm, lft);
                        proptest::prop_assert!(hlm >= JCB_WORDS as u64 || hlm == before);
                    }
                    Err(status) => {
                        proptest::prop_assert_eq!(status, ExitStatus::Signaled(SIGSYS));
                        break;
                    }
                }
            }
        }
    }
}
