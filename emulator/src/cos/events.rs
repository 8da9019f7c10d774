//! Request 0111: event recall, the request behind the COS 1.17 library routine
//! ERECALL. Its F$ name is not known here (`systxt.cal` stops at 0103); everything
//! below is read from the code of ERECALL as linked into RECIO (entry 74474a,
//! traceback name `ERECALL` in word 074473; `cray dis`, parcel addresses as it
//! prints them). GENCAT links the same routine (its EX 0111 at 47065d).
//!
//! ERECALL (function, status, classes, timeout, events, count) fills a two-word
//! block of its own (074434 in RECIO) and makes the request with S1 = the block
//! (S1 A3 at 74574c, EX at 74574d):
//!
//! | word | bits | field | set by ERECALL at |
//! |---|---|---|---|
//! | 0 | 0–6 | function: 1 DISABLE, 2 ENABLE, 3 RECALL, 4 RETURN (a name it does not know never reaches the request: ERECALL answers 3 itself) | 74476b–74513b, 74510d |
//! | 0 | 40–63 | RECALL only: the time-out (argument 4), at most 2^24−1, a negative one made 1 | 74565c–74573c |
//! | 1 | 16–39 | ENABLE only: the classes wanted, cleared first, then one bit per class name: IJ 16, UO 17, OR 18, CH 26, IQ 27, OQ 28, AE 29 (an unknown name: status 4 from ERECALL itself) | 74515a–74563c |
//! | 1 | 40–63 | the answer: the classes whose event is pending, the same classes 24 bits further right (IJ 40 … AE 53) | read at 74600b–74624c |
//!
//! After the request ERECALL reads S0 (74575a). Not zero: it stores S0 in its
//! status argument, replaced by the names `ERCL$MT`, `ERCL$PV`, `ERCL$BFN`,
//! `ERCL$UDB`, `ERCL$MDI` for 1–5 (74625a–74641b), and any other value ends the
//! job with "SYEREC1 - UNKNOWN STATUS RETURNED" (74651a–74652d). Zero: the status
//! argument is 0 (74624d), DISABLE returns at once (74576b), the other functions
//! return the number of pending classes (the population count of word 1 bits
//! 40–63, 74600b–74601a) and their names (74601c–74624c).
//!
//! Served here for every job. No event of any class ever becomes pending in this
//! system: no other job talks to it (IJ, inter-job communication), there is no
//! operator to reply (OR; F$OPMSG is refused, module `cos::operator`), and no
//! queue, channel or station raises the rest. So every function is done (S0 = 0)
//! with word 1 bits 40–63 zero: no events. RECALL, which on COS suspends the job
//! until an enabled event or the time-out, returns at once: the time-out is not
//! waited out, as this kernel has no timed wait (its unit is not known either:
//! RECIO passes 1000 at 374b and 3 600 000 at 1617b, a second and an hour if it
//! counts milliseconds). Nothing is kept between requests, as the enabled classes
//! could only matter to an event.
//!
//! A function other than 1–4 is answered with status 3, and a class bit in word 1
//! bits 16–39 other than the seven above with status 4: the values ERECALL itself
//! gives a function or class name it does not know (74510d, 74563c; `ERCL$BFN`,
//! `ERCL$UDB`), taken here to be the ones COS gives for the same faults in the
//! block. RECIO's first call (1620b–1626d: ENABLE of IJ) ignores the status; GENCAT
//! reports any non-zero one as "PD696 - ERECALL ERROR".

use super::bits::{field, with_field};
use super::requests::Reply;
use crate::cos::System;
use crate::system::Pid;

/// Words of the block at S1.
pub const BLOCK_WORDS: u64 = 2;

/// Status: the function in word 0 bits 0–6 is not one of the four (ERECALL's
/// `ERCL$BFN`, its own answer to an unknown function name at 74510d).
pub const STATUS_BAD_FUNCTION: u64 = 3;
/// Status: word 1 bits 16–39 name a class ERECALL does not know (its `ERCL$UDB`,
/// its own answer to an unknown class name at 74563c).
pub const STATUS_UNKNOWN_CLASS: u64 = 4;

/// The event classes and their bit in word 1 bits 16–39 (as ERECALL sets them,
/// 74533a–74563a); the pending ones come back 24 bits further right.
pub const CLASSES: [(&str, u32); 7] = [
    ("IJ", 16),
    ("UO", 17),
    ("OR", 18),
    ("CH", 26),
    ("IQ", 27),
    ("OQ", 28),
    ("AE", 29),
];

/// The function of word 0 bits 0–6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    /// 1: stop waking on the classes.
    Disable,
    /// 2: wake on the classes of word 1 bits 16–39.
    Enable,
    /// 3: wait for an enabled event, at most the time-out of word 0 bits 40–63.
    Recall,
    /// 4: the pending events, without waiting.
    Return,
}

/// A request block as read from the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventRequest {
    /// What is asked.
    pub function: Function,
    /// Word 0 bits 40–63 (RECALL's time-out).
    pub timeout: u64,
    /// Word 1 bits 16–39: the classes ENABLE asks for.
    pub classes: u64,
}

/// The bits of word 1 bits 16–39 that name a known class.
fn known_classes() -> u64 {
    CLASSES
        .iter()
        .fold(0, |mask, &(_, bit)| mask | 1 << (39 - bit))
}

/// Reads the block `words`; Err(status) when COS would refuse it.
pub fn parse(words: [u64; 2]) -> Result<EventRequest, u64> {
    let function = match field(words[0], 0, 6) {
        1 => Function::Disable,
        2 => Function::Enable,
        3 => Function::Recall,
        4 => Function::Return,
        _ => return Err(STATUS_BAD_FUNCTION),
    };
    let classes = field(words[1], 16, 39);
    if classes & !known_classes() != 0 {
        return Err(STATUS_UNKNOWN_CLASS);
    }
    Ok(EventRequest {
        function,
        timeout: field(words[0], 40, 63),
        classes,
    })
}

/// Word 1 with `pending` (a set of wanted-class bits, as in bits 16–39) as the
/// answer in bits 40–63; bits 0–39 stay as the caller left them.
pub fn answer(word1: u64, pending: u64) -> u64 {
    with_field(word1, 40, 63, pending)
}

impl System {
    /// Request 0111 (event recall): S1 = the block (module notes).
    pub(crate) fn cos_event_recall(&mut self, pid: Pid, s1: u64) -> Reply {
        let address = s1 & 0xFF_FFFF;
        let Some(block) = self.cos_read(pid, address, BLOCK_WORDS) else {
            return Self::bad_address("event recall", address);
        };
        match parse([block[0], block[1]]) {
            Ok(_) => {
                // No event source exists here, so nothing is ever pending.
                let word1 = answer(block[1], 0);
                self.store_and_answer(pid, "event recall", address + 1, &[word1], Reply::Status(0))
            }
            Err(status) => Reply::Status(status),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the classes whose pending bit is set in word 1 bits 40–63, in
    /// ERECALL's order: each 24 bits right of its wanted bit, as ERECALL reads them
    /// (74601c–74624c).
    fn pending_names(word1: u64) -> Vec<&'static str> {
        CLASSES
            .iter()
            .filter(|&&(_, bit)| field(word1, bit + 24, bit + 24) == 1)
            .map(|&(name, _)| name)
            .collect()
    }

    /// Word 0 as ERECALL builds it for `function` (bits 0–6) and `timeout`.
    fn word0(function: u64, timeout: u64) -> u64 {
        with_field(with_field(0, 0, 6, function), 40, 63, timeout)
    }

    #[test]
    fn parses_the_block_erecall_builds() {
        // RECIO's first call as it reached the request: ENABLE (word 0
        // 0020000000000000000000), IJ (word 1 0000004000000000000000).
        assert_eq!(
            parse([0o0020000000000000000000, 0o0000004000000000000000]),
            Ok(EventRequest {
                function: Function::Enable,
                timeout: 0,
                classes: 1 << 23,
            })
        );
        assert_eq!(
            parse([word0(3, 0o1750), 0]).map(|r| (r.function, r.timeout)),
            Ok((Function::Recall, 0o1750))
        );
        assert_eq!(parse([word0(1, 0), 0]).unwrap().function, Function::Disable);
        assert_eq!(parse([word0(4, 0), 0]).unwrap().function, Function::Return);
    }

    #[test]
    fn refuses_unknown_functions_and_classes() {
        assert_eq!(parse([word0(0, 0), 0]), Err(STATUS_BAD_FUNCTION));
        assert_eq!(parse([word0(5, 0), 0]), Err(STATUS_BAD_FUNCTION));
        // Bit 19 lies between OR (18) and CH (26): no class.
        assert_eq!(
            parse([word0(2, 0), with_field(0, 19, 19, 1)]),
            Err(STATUS_UNKNOWN_CLASS)
        );
        // All seven classes together are fine.
        let all = CLASSES
            .iter()
            .fold(0, |w, &(_, bit)| with_field(w, bit, bit, 1));
        assert!(parse([word0(2, 0), all]).is_ok());
    }

    #[test]
    fn the_answer_goes_to_bits_40_to_63_and_reads_back_as_erecall_reads_it() {
        let wanted = with_field(0, 16, 16, 1) | with_field(0, 29, 29, 1);
        let stale = with_field(wanted, 40, 63, 0o7777);
        let none = answer(stale, 0);
        assert_eq!(field(none, 40, 63), 0);
        assert_eq!(
            field(none, 0, 39),
            field(wanted, 0, 39),
            "the wanted bits stay"
        );
        assert!(pending_names(none).is_empty());
        // IJ and AE pending, as the wanted bits moved 24 right.
        let some = answer(wanted, field(wanted, 16, 39));
        assert_eq!(pending_names(some), vec!["IJ", "AE"]);
        assert_eq!(field(some, 40, 63).count_ones(), 2);
    }

    /// Makes request 0111 from a fresh job with `block` at 0300; S0, the block
    /// after, and whether the job lives.
    fn request(block: [u64; 2]) -> (u64, Vec<u64>, bool) {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid): (System, _) = crate::cos::loader::test_job(dir.path());
        assert!(system.cos_write(pid, 0o300, &block));
        let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
        cpu.s[0] = crate::cos::requests::code::F_EVENT_RECALL;
        cpu.s[1] = 0o300;
        system.cos_request(pid, 0o1000);
        let process = &system.processes[&pid];
        (
            process.cpu.s[0],
            system.cos_read(pid, 0o300, 2).unwrap(),
            process.is_alive(),
        )
    }

    #[test]
    fn every_function_is_done_with_no_event_pending() {
        let ij = with_field(0, 16, 16, 1);
        for function in 1..=4 {
            let stale = with_field(ij, 40, 63, 0o1);
            let (s0, after, alive) = request([word0(function, 0o1750), stale]);
            assert_eq!((s0, alive), (0, true), "function {function}");
            assert_eq!(
                after,
                vec![word0(function, 0o1750), ij],
                "function {function}"
            );
        }
        let (s0, after, alive) = request([word0(7, 0), 0o17]);
        assert_eq!((s0, alive), (STATUS_BAD_FUNCTION, true));
        assert_eq!(after, vec![word0(7, 0), 0o17], "a refusal leaves the block");
    }
}
