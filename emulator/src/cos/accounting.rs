//! F$ACT (030): the job's accounting block, as far as the corpus reads it.
//!
//! S1 = a block of 0100 words (AUDIT's routine at P=064634 clears 0100 words at
//! 064527 and makes the request with S1 = 064527, then copies the block). The words
//! AUDIT reads come from its own accessor functions, named as the fields
//! (`cray dis` of audit.bin, names at file words 032023–032141, loaded 0132 higher;
//! module `cos::dsc` says how they read):
//!
//! | field | word | bits |
//! |---|---|---|
//! | ACJN | 0 | 0–55: the job name (JN) |
//! | ACUSR, ACUSR1 | 6, 7 | 0–63, 0–55: the user (US), 15 characters |
//! | ACACN1, ACACN2 | 024, 025 | the account (not kept: left as they are) |
//! | ACPWD1, ACPWD2 | 026, 027 | the password (not kept: left as they are) |
//! | ACOWN1, ACOWN2 | 045, 046 | 0–63, 0–55: the ownership value |
//!
//! AUDIT selects the catalogue entries whose owner (DSC words 011–012) is ACOWN when
//! no OWN is given. The emulator fills the job name, the user and the ownership
//! value (a deck job's user: what SAVE records as OWN) for a deck job, and leaves
//! the block as the program left it for any other job, as before: the usage
//! figures of the block are not known here.

use super::bits::ascii_word;
use super::requests::Reply;
use crate::cos::System;
use crate::system::Pid;

/// ACJN's word.
const JOB_NAME: u64 = 0;
/// ACUSR's word (ACUSR1 the next).
const USER: u64 = 6;
/// ACOWN1's word (ACOWN2 the next).
const OWNER: u64 = 0o45;

/// A name of up to 15 characters as two words: 8, then 7 in bits 0–55.
pub fn long_name(name: &str) -> [u64; 2] {
    let first: String = name.chars().take(8).collect();
    let rest: String = name.chars().skip(8).take(7).collect();
    [ascii_word(&first), ascii_word(&rest)]
}

impl System {
    /// F$ACT with S1 = the block: a deck job's name, user and ownership value.
    pub(crate) fn cos_accounting(&mut self, pid: Pid, s1: u64) -> Reply {
        let Some(deck) = self.deck_of(pid) else {
            return Reply::Status(0);
        };
        let (name, user) = (deck.job_name.clone(), deck.user.clone());
        let address = s1 & 0xFF_FFFF;
        let job_name: String = name.chars().take(7).collect();
        let writes = [
            (JOB_NAME, vec![ascii_word(&job_name)]),
            (USER, long_name(&user).to_vec()),
            (OWNER, long_name(&user).to_vec()),
        ];
        for (offset, words) in writes {
            if !self.cos_write(pid, address + offset, &words) {
                return System::bad_address("F$ACT", address);
            }
        }
        Reply::Status(0)
    }
}
