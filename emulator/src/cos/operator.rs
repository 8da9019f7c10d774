//! Request 0120, F$OPMSG: a message to the operator, with room for the reply. The
//! name is GENCAT's own, in its message "PD695 - F$OPMSG ERROR: STATUS =" (the
//! format at word 020357); the block is read from GENCAT's code (`cray dis`, parcel
//! addresses as it prints them).
//!
//! GENCAT's routine MESSAGE (entry 17344a, traceback name `MESSAGE` in word 017343)
//! fills the block at 020316 through the library's accessors, each a routine of its
//! own whose traceback name gives the field, then makes the request through
//! `$SYSTEM` (entry 57375a: S0 = its first argument, S1 = its second, EX at
//! 57405c; the S2 = 2 seen at the EX is left over from `$SYSTEM` counting its
//! arguments at 57401b, not a parameter):
//!
//! | word | bits | field | accessor (entry) |
//! |---|---|---|---|
//! | 0 | 32–63 | address of the message (ASCII, blank-padded) | XXOMMADD (27522a) |
//! | 1 | 56–63 | its length in words | XXOMMLEN (27535a) |
//! | 2 | 32–63 | address of the reply area | XXOMRADD (27550a) |
//! | 3 | 56–63 | its length in words | XXOMRLEN (27563a) |
//! | 4 | 56–63 | message type | XXOMTYPE (27576a) |
//! | 5 | 48–63 | **completion status**, read back after the request | getter at 25331b |
//! | 010 | 0–15 | two characters (GENCAT: `AP`) | XXOMMF (27611a) |
//! | 014 | 63 | wait for the reply | XXOMW (27624a) |
//!
//! GENCAT's call, when it is to recover the catalogues (from 430a, R to 20007a, in
//! MESSAGE's code; it returns to 430c): the 16-word message at 01057 "GENCAT EXECUTION - REPLY 'GO' TO
//! CONTINUE EXECUTION.  ALL PDM AND STATION ACTIVITY MUST BE IDLED DOWN.", a
//! 10-word reply area at 01045, type 1, wait 1. After the request it reads only the
//! completion status (20064b; the S0 that `$SYSTEM` returns is dropped at 20062d).
//! Not zero: it lists "PD695 - F$OPMSG ERROR: STATUS =" with it (20066c–20072b),
//! sets the argument it took type and wait from to −1 (20073a–b) and returns. Zero with wait: it enables
//! and recalls operator-reply events (class OR) with ERECALL (20102d–20113a, request
//! 0111, module `cos::events`) until the reply comes.
//!
//! This system has no operator station: nobody reads the message, and no reply can
//! come, so a wait could only end by time-out, over and over (GENCAT recalls again
//! after each). The request is refused: completion status
//! [`STATUS_NO_OPERATOR`] in word 5 and in S0, nothing else stored, the message not
//! shown. The value is this emulator's: COS's completion codes for F$OPMSG are not
//! known here, and GENCAT takes any non-zero one as a failure it lists in octal.

use super::bits::{field, with_field};
use super::requests::Reply;
use crate::cos::System;
use crate::system::Pid;

/// Words of the block at S1 (0 to 014, the wait flag).
pub const BLOCK_WORDS: u64 = 0o15;

/// The completion status of a refused F$OPMSG: no operator station (the value is
/// this emulator's, see the module notes).
pub const STATUS_NO_OPERATOR: u64 = 1;

/// Word of the completion status (bits 48–63).
const STATUS_WORD: usize = 5;

/// An F$OPMSG block as read from the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperatorMessage {
    /// Word address of the message.
    pub message: u64,
    /// Its length in words.
    pub message_words: u64,
    /// Word address of the reply area.
    pub reply: u64,
    /// Its length in words.
    pub reply_words: u64,
    /// The message type (word 4 bits 56–63).
    pub kind: u64,
    /// Word 010 bits 0–15: two ASCII characters.
    pub facility: u64,
    /// Word 014 bit 63: the caller waits for the reply.
    pub wait: bool,
}

/// Reads the block `words` ([`BLOCK_WORDS`] of them).
pub fn parse(words: &[u64]) -> OperatorMessage {
    let word = |i: usize| words.get(i).copied().unwrap_or(0);
    OperatorMessage {
        message: field(word(0), 32, 63),
        message_words: field(word(1), 56, 63),
        reply: field(word(2), 32, 63),
        reply_words: field(word(3), 56, 63),
        kind: field(word(4), 56, 63),
        facility: field(word(0o10), 0, 15),
        wait: field(word(0o14), 63, 63) == 1,
    }
}

/// Word 5 with `status` as the completion status (bits 48–63).
pub fn with_status(word5: u64, status: u64) -> u64 {
    with_field(word5, 48, 63, status)
}

impl System {
    /// F$OPMSG: S1 = the block. Refused (module notes); a block, message or reply
    /// area outside the field ends the job as any bad address does.
    pub(crate) fn cos_operator_message(&mut self, pid: Pid, s1: u64) -> Reply {
        let address = s1 & 0xFF_FFFF;
        let Some(block) = self.cos_read(pid, address, BLOCK_WORDS) else {
            return Self::bad_address("F$OPMSG", address);
        };
        let request = parse(&block);
        for (start, words) in [
            (request.message, request.message_words),
            (request.reply, request.reply_words),
        ] {
            if self.cos_read(pid, start, words).is_none() {
                return Self::bad_address("F$OPMSG", start);
            }
        }
        let word5 = with_status(block[STATUS_WORD], STATUS_NO_OPERATOR);
        let at = address + STATUS_WORD as u64;
        self.store_and_answer(
            pid,
            "F$OPMSG",
            at,
            &[word5],
            Reply::Status(STATUS_NO_OPERATOR),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::ExitStatus;

    /// GENCAT's block as it reached the request (words 020316–020332).
    fn gencat_block() -> Vec<u64> {
        let mut block = vec![0; BLOCK_WORDS as usize];
        block[0] = 0o1057;
        block[1] = 0o20;
        block[2] = 0o1045;
        block[3] = 0o12;
        block[4] = 1;
        block[0o10] = 0o0405200000000000000000;
        block[0o14] = 1;
        block
    }

    #[test]
    fn parses_gencats_block() {
        assert_eq!(
            parse(&gencat_block()),
            OperatorMessage {
                message: 0o1057,
                message_words: 0o20,
                reply: 0o1045,
                reply_words: 0o12,
                kind: 1,
                facility: u64::from(u16::from_be_bytes(*b"AP")),
                wait: true,
            }
        );
    }

    #[test]
    fn status_goes_to_word_5_bits_48_to_63() {
        let word = with_status(!0, 0o12345);
        assert_eq!(field(word, 48, 63), 0o12345);
        assert_eq!(field(word, 0, 47), field(!0, 0, 47));
    }

    /// Makes F$OPMSG from a fresh job with `block` at 0300.
    fn request(block: &[u64]) -> (System, Pid) {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid): (System, _) = crate::cos::loader::test_job(dir.path());
        assert!(system.cos_write(pid, 0o300, block));
        let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
        cpu.s[0] = crate::cos::requests::code::F_OPMSG;
        cpu.s[1] = 0o300;
        cpu.s[2] = 2;
        system.cos_request(pid, 0o1000);
        (system, pid)
    }

    #[test]
    fn is_refused_with_the_status_in_the_block_and_s0() {
        let block = gencat_block();
        let (system, pid) = request(&block);
        let process = &system.processes[&pid];
        assert!(process.is_alive());
        assert_eq!(process.cpu.s[0], STATUS_NO_OPERATOR);
        let mut expected = block.clone();
        expected[STATUS_WORD] = STATUS_NO_OPERATOR;
        assert_eq!(
            system.cos_read(pid, 0o300, BLOCK_WORDS).unwrap(),
            expected,
            "the completion status and nothing else"
        );
    }

    #[test]
    fn a_message_outside_the_field_ends_the_job() {
        let mut block = gencat_block();
        block[0] = 0o77777777;
        let (system, _) = request(&block);
        assert_eq!(
            system.leader_status,
            Some(ExitStatus::Signaled(crate::system::signals::SIGSEGV))
        );
    }
}
