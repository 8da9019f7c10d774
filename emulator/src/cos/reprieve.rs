//! F$RPV (045): reprieve processing, a COS program's handler for the events that
//! would end its job step.
//!
//! What the request does comes from the only corpus binary that makes it, DMP10
//! (`cray dis dmp10.bin`): at its start it makes F$RPV with S2 = 0 and S1 = 055426,
//! a three-word block holding 013020 (parcel 2604a, the first instruction of its
//! handler), 02627 (the first of 050 zero words just after the handler's code) and
//! 017774040000; the handler ends with F$RPV, S2 = 1 and S1 = 0, and no instruction
//! follows that EX. `systxt.cal` (COS-Tools, the request names) calls F$RPV "enable/
//! disable reprieve processing", and its ENDP text says that normal job step
//! termination enters "the user's reprieve code" when reprieve processing is enabled
//! for it. So:
//!
//! * S2 = 0, S1 = the block: reprieve processing on. Block word [`RP_ENTRY`] is the
//!   handler's parcel address, [`RP_SAVE`] the save area, [`RP_MASK`] the events
//!   reprieved. S2 = 0, S1 = 0 turns it off.
//! * When a reprieved event happens, the job's exchange package (16 words, with the
//!   error flags of the event) goes to save area words 0–017 and the event's class
//!   to word [`SAVE_CLASS`]; the program continues at the handler with its registers
//!   as they were.
//! * S2 = 1: the handler is done: the job continues from the exchange package in the
//!   save area (its P, A, S registers and VL, as the handler may have changed them;
//!   the field and modes stay the job's). B, T and V are as the handler left them:
//!   the package does not hold them. Reprieve processing stays on.
//!
//! Which mask bit names which event is not known here: no manual at hand describes
//! the mask, and DMP10's (bits 14 and 18–28 counted from the right) selects none of
//! the classes below. The emulator numbers the events itself ([`Class`]): bit
//! 2^class of the mask reprieves that class. An event while the handler runs (before
//! its S2 = 1) ends the job as it would without a reprieve, so a failing handler
//! cannot loop.
//!
//! Reprieved here: the hardware errors (error exit, program and operand range,
//! floating point, memory), F$ABT and normal termination (F$ADV, F$TRM). Not
//! reprieved, as this COS has no such events: operator drop and time limit (the
//! runner stops a job only from outside, where nothing of the job runs again).
//!
//! The state is [`CosJob::reprieve`](super::job::CosJob::reprieve), which the saved
//! kernel state already carries: the block's address (bits 40–63, as S1 gave it)
//! and [`HANDLER_RUNNING`]. The block and the save area are in the job's field, so a
//! checkpoint taken anywhere (before, inside or after the handler) restarts with the
//! same reprieve.

use super::bits::field;
use crate::cos::System;
use crate::cpu::{Flags, PACKAGE_WORDS};
use crate::system::Pid;

/// Block word: the handler's parcel address (bits 40–63).
pub const RP_ENTRY: u64 = 0;
/// Block word: the first word of the save area (bits 40–63).
pub const RP_SAVE: u64 = 1;
/// Block word: the mask of reprieved events, bit 2^[`Class`] per class.
pub const RP_MASK: u64 = 2;
/// Words of the block.
pub const BLOCK_WORDS: u64 = 3;
/// Save area word: the event's [`Class`] (words 0–017 hold the exchange package).
pub const SAVE_CLASS: u64 = PACKAGE_WORDS as u64;
/// Words of the save area the emulator writes.
pub const SAVE_WORDS: u64 = SAVE_CLASS + 1;
/// Bit of the kept reprieve word: the handler was entered and has not yet continued.
pub const HANDLER_RUNNING: u64 = 1 << 63;

/// F$RPV S2: set up (or, with S1 = 0, turn off) reprieve processing.
pub const RPV_SET: u64 = 0;
/// F$RPV S2: continue from the save area.
pub const RPV_CONTINUE: u64 = 1;

/// An event that ends a job step unless it is reprieved; the value is its number in
/// the emulator's mask (bit 2^n) and in save area word [`SAVE_CLASS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Normal termination: F$ADV or F$TRM.
    NormalEnd = 1,
    /// F$ABT.
    Abort = 2,
    /// Error exit (ERR or an undefined instruction).
    ErrorExit = 3,
    /// Program range error.
    ProgramRange = 4,
    /// Operand range error.
    OperandRange = 5,
    /// Floating-point error.
    FloatingPoint = 6,
    /// Memory error.
    MemoryError = 7,
}

impl Class {
    /// The class of a hardware error exchange with `flags`, in the order the
    /// scheduler names them.
    pub fn of_flags(flags: Flags) -> Class {
        if flags.has(Flags::PROGRAM_RANGE) {
            Class::ProgramRange
        } else if flags.has(Flags::OPERAND_RANGE) {
            Class::OperandRange
        } else if flags.has(Flags::FLOATING_POINT) {
            Class::FloatingPoint
        } else if flags.has(Flags::MEMORY_ERROR) {
            Class::MemoryError
        } else {
            Class::ErrorExit
        }
    }
}

/// What F$RPV answers (S0), when the job goes on.
pub(crate) enum RpvReply {
    /// S0 = this status.
    Status(u64),
    /// The job continued from the save area: its registers are the package's.
    Continued,
    /// An address outside the field.
    BadAddress(u64),
}

impl System {
    /// F$RPV with S1 = `s1`, S2 = `s2`.
    pub(crate) fn cos_reprieve_request(&mut self, pid: Pid, s1: u64, s2: u64) -> RpvReply {
        let block = field(s1, 40, 63);
        match s2 {
            RPV_SET if block == 0 => {
                self.set_reprieve(pid, None);
                RpvReply::Status(0)
            }
            RPV_SET => {
                if self.cos_read(pid, block, BLOCK_WORDS).is_none() {
                    return RpvReply::BadAddress(block);
                }
                let running = self.reprieve_word(pid).unwrap_or(0) & HANDLER_RUNNING;
                self.set_reprieve(pid, Some(block | running));
                RpvReply::Status(0)
            }
            RPV_CONTINUE => self.continue_from_reprieve(pid),
            // No other function is known; the job is told it was not done.
            _ => RpvReply::Status(1),
        }
    }

    /// The kept reprieve word of `pid`'s job.
    fn reprieve_word(&self, pid: Pid) -> Option<u64> {
        self.processes.get(&pid)?.cos.as_ref()?.reprieve
    }

    fn set_reprieve(&mut self, pid: Pid, word: Option<u64>) {
        if let Some(job) = self.processes.get_mut(&pid).and_then(|p| p.cos.as_mut()) {
            job.reprieve = word;
        }
    }

    /// Enters the job's reprieve handler for `class` if reprieve processing is on
    /// for it and the handler is not already running; false when the event is not
    /// reprieved (and ends the job step as before). The job's CPU is as the event
    /// left it: P the next instruction, the error flags set.
    pub(crate) fn cos_reprieve(&mut self, pid: Pid, class: Class) -> bool {
        let Some(word) = self.reprieve_word(pid) else {
            return false;
        };
        if word & HANDLER_RUNNING != 0 {
            return false;
        }
        let block = word & 0xFF_FFFF;
        let Some(words) = self.cos_read(pid, block, BLOCK_WORDS) else {
            return false;
        };
        let (entry, save, mask) = (
            field(words[RP_ENTRY as usize], 40, 63),
            field(words[RP_SAVE as usize], 40, 63),
            words[RP_MASK as usize],
        );
        if mask >> (class as u32) & 1 == 0 {
            return false;
        }
        let Some(process) = self.processes.get(&pid) else {
            return false;
        };
        let mut saved = process.cpu.exchange_package().to_vec();
        saved.push(class as u64);
        // A handler outside the instruction field, or a save area outside the
        // field, cannot be entered: the event ends the job as it would have.
        if entry >> 2 >= u64::from(process.cpu.instruction_limit)
            || !self.cos_write(pid, save, &saved)
        {
            return false;
        }
        self.set_reprieve(pid, Some(word | HANDLER_RUNNING));
        let Some(process) = self.processes.get_mut(&pid) else {
            return false;
        };
        process.cpu.flags = Flags::default();
        process.cpu.p = entry as u32;
        true
    }

    /// F$RPV S2 = 1: the job continues from the exchange package in the save area.
    fn continue_from_reprieve(&mut self, pid: Pid) -> RpvReply {
        let Some(word) = self.reprieve_word(pid) else {
            return RpvReply::Status(1);
        };
        if word & HANDLER_RUNNING == 0 {
            return RpvReply::Status(1);
        }
        let block = word & 0xFF_FFFF;
        let Some(save) = self
            .cos_read(pid, block + RP_SAVE, 1)
            .map(|w| field(w[0], 40, 63))
        else {
            return RpvReply::BadAddress(block);
        };
        let Some(package) = self.cos_read(pid, save, PACKAGE_WORDS as u64) else {
            return RpvReply::BadAddress(save);
        };
        self.set_reprieve(pid, Some(word & !HANDLER_RUNNING));
        let Some(process) = self.processes.get_mut(&pid) else {
            return RpvReply::Status(1);
        };
        let mut from = process.cpu.clone();
        let package: [u64; PACKAGE_WORDS] = package.try_into().unwrap_or([0; PACKAGE_WORDS]);
        from.load_exchange_package(&package);
        let cpu = &mut process.cpu;
        cpu.p = from.p;
        cpu.a = from.a;
        cpu.s = from.s;
        cpu.vl = from.vl;
        cpu.flags = Flags::default();
        RpvReply::Continued
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cos::requests::code;

    /// A job with a reprieve block at 0300 (handler at parcel 01000, save area at
    /// 0400, `mask`) set up with F$RPV.
    fn job_with_reprieve(mask: u64) -> (tempfile::TempDir, System, Pid) {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        assert!(system.cos_write(pid, 0o300, &[0o1000, 0o400, mask]));
        let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
        cpu.s[0] = code::F_RPV;
        cpu.s[1] = 0o300;
        cpu.s[2] = RPV_SET;
        system.cos_request(pid, 0o1000);
        assert_eq!(system.processes[&pid].cpu.s[0], 0);
        (dir, system, pid)
    }

    #[test]
    fn a_reprieved_event_enters_the_handler_and_continue_restores_the_package() {
        let (_d, mut system, pid) = job_with_reprieve(1 << Class::FloatingPoint as u32);
        assert!(
            !system.cos_reprieve(pid, Class::OperandRange),
            "not in the mask"
        );
        {
            let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
            cpu.p = 0o1234;
            cpu.s[5] = 0o55;
            cpu.flags.set(Flags::FLOATING_POINT);
        }
        assert!(system.cos_reprieve(pid, Class::FloatingPoint));
        let process = &system.processes[&pid];
        assert_eq!(process.cpu.p, 0o1000);
        let saved = system.cos_read(pid, 0o400, SAVE_WORDS).unwrap();
        assert_eq!(saved[13], 0o55, "S5 in the package");
        assert_eq!(saved[SAVE_CLASS as usize], Class::FloatingPoint as u64);
        // The F field's floating-point flag (weight 2^30 in word 3, `cpu::exchange`).
        assert_ne!(saved[3] & (1 << 30), 0, "the floating-point flag");
        // A second event while the handler runs is not reprieved.
        assert!(!system.cos_reprieve(pid, Class::FloatingPoint));
        // The handler changes the saved S5 and continues.
        saved_word(&mut system, pid, 0o400 + 13, 0o66);
        let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
        cpu.s[0] = code::F_RPV;
        cpu.s[1] = 0;
        cpu.s[2] = RPV_CONTINUE;
        system.cos_request(pid, 0o1010);
        let cpu = &system.processes[&pid].cpu;
        assert_eq!((cpu.p, cpu.s[5]), (0o1234, 0o66));
        // Reprieve processing stays on.
        assert!(system.cos_reprieve(pid, Class::FloatingPoint));
    }

    fn saved_word(system: &mut System, pid: Pid, address: u64, value: u64) {
        assert!(system.cos_write(pid, address, &[value]));
    }

    #[test]
    fn continue_without_a_reprieve_and_turning_it_off() {
        let (_d, mut system, pid) = job_with_reprieve(!0);
        assert!(matches!(
            system.cos_reprieve_request(pid, 0, RPV_CONTINUE),
            RpvReply::Status(1)
        ));
        assert!(matches!(
            system.cos_reprieve_request(pid, 0, RPV_SET),
            RpvReply::Status(0)
        ));
        assert!(!system.cos_reprieve(pid, Class::Abort));
        assert!(matches!(
            system.cos_reprieve_request(pid, 0o77_777_777, RPV_SET),
            RpvReply::BadAddress(_)
        ));
    }
}
