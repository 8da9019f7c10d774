//! The exchange package (ISA.md 1.8, 1.9): the 16 words that hold a CPU's
//! exchangeable state, and the exchange sequence that swaps the running state with
//! the package at absolute word XA * 16.
//!
//! Bare-machine programs use [`Cpu::exchange`]; the UNICOS-like system instead
//! handles [`super::Stop::Exchange`] in Rust and may use the package layout to show
//! state. B, T, V and VM are not part of the package (software saves them).
//!
//! Layout choices (provisional, as ISA.md says): the X-MP protection fields (IBA,
//! ILA, DBA, DLA) use the X-MP/1x form, 19 bits at Cray bits 16..34 in units of 32
//! words, so base and limit addresses must be multiples of 040 to round-trip. The
//! Cray-1 package has one BA/LA pair (Cray bits 18..35, units of 16 words); it has no
//! place for the operand-range interrupt mode, which an exchange therefore clears.

use super::operands::A_MASK;
use super::{Cpu, Flags};
use crate::isa::Model;
use crate::memory::Memory;
use thiserror::Error;

/// Words in an exchange package.
pub const PACKAGE_WORDS: usize = 16;

/// Why an exchange could not take place.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ExchangeError {
    /// The package at XA * 16 does not fit in memory.
    #[error("exchange package at absolute address {address:o} does not fit in memory of {memory_words:o} words")]
    OutsideMemory {
        /// Absolute word address of the package.
        address: u32,
        /// Memory size in words.
        memory_words: usize,
    },
}

/// Flag bits and their weights in word 3 (F field at Cray bits 31..39, ICP at 14,
/// DL at 15).
const FLAG_WEIGHTS: [(u16, u32); 11] = [
    (Flags::NORMAL_EXIT, 24),
    (Flags::ERROR_EXIT, 25),
    (Flags::IO_INTERRUPT, 26),
    (Flags::MEMORY_ERROR, 27),
    (Flags::PROGRAM_RANGE, 28),
    (Flags::OPERAND_RANGE, 29),
    (Flags::FLOATING_POINT, 30),
    (Flags::MCU_INTERRUPT, 31),
    (Flags::PROGRAMMABLE_CLOCK, 32),
    (Flags::DEADLOCK, 48),
    (Flags::INTERPROCESSOR, 49),
];

/// Weight of the least significant bit of a field whose last Cray bit is `cray_bit`.
const fn weight(cray_bit: u32) -> u32 {
    63 - cray_bit
}

/// X-MP protection field: 19 bits ending at Cray bit 34, units of 32 words.
const XMP_FIELD_SHIFT: u32 = weight(34);
const XMP_FIELD_MASK: u64 = (1 << 19) - 1;
const XMP_FIELD_UNIT: u32 = 5;
/// Cray-1 BA/LA: 18 bits ending at Cray bit 35, units of 16 words.
const CRAY1_FIELD_SHIFT: u32 = weight(35);
const CRAY1_FIELD_MASK: u64 = (1 << 18) - 1;
const CRAY1_FIELD_UNIT: u32 = 4;

fn bit(on: bool, weight: u32) -> u64 {
    u64::from(on) << weight
}

fn has(word: u64, weight: u32) -> bool {
    (word >> weight) & 1 != 0
}

fn xmp_field(address: u32) -> u64 {
    (u64::from(address >> XMP_FIELD_UNIT) & XMP_FIELD_MASK) << XMP_FIELD_SHIFT
}

fn xmp_address(word: u64) -> u32 {
    (((word >> XMP_FIELD_SHIFT) & XMP_FIELD_MASK) as u32) << XMP_FIELD_UNIT
}

fn cray1_field(address: u32) -> u64 {
    (u64::from(address >> CRAY1_FIELD_UNIT) & CRAY1_FIELD_MASK) << CRAY1_FIELD_SHIFT
}

fn cray1_address(word: u64) -> u32 {
    (((word >> CRAY1_FIELD_SHIFT) & CRAY1_FIELD_MASK) as u32) << CRAY1_FIELD_UNIT
}

impl Cpu {
    /// The package describing the current state, pending flags included, in the
    /// layout of this CPU's model.
    pub fn exchange_package(&self) -> [u64; PACKAGE_WORDS] {
        let mut package = [0u64; PACKAGE_WORDS];
        for (word, a) in package.iter_mut().zip(self.a) {
            *word = u64::from(a & A_MASK);
        }
        package[8..].copy_from_slice(&self.s);
        let m = &self.modes;
        package[0] |= u64::from(self.p & A_MASK) << weight(39);
        let mut flags = 0u64;
        for (flag, w) in FLAG_WEIGHTS {
            flags |= bit(self.flags.has(flag), w);
        }
        package[3] |= flags
            | (u64::from(self.exchange_address & 0o377) << weight(23))
            | (u64::from(self.vl & 0o177) << weight(30));
        match self.model {
            Model::XMp => {
                package[0] |= u64::from(self.processor_number & 3) << weight(1);
                package[1] |= xmp_field(self.instruction_base)
                    | bit(self.waiting_on_semaphore, weight(35))
                    | bit(m.float_error_status, weight(36))
                    | bit(m.bidirectional_memory, weight(37))
                    | bit(self.external_interrupts, weight(38))
                    | bit(m.interrupt_monitor, weight(39));
                package[2] |= bit(self.vector_not_used, weight(0))
                    | xmp_field(self.instruction_limit)
                    | bit(m.interrupt_on_range, weight(35))
                    | bit(m.interrupt_on_float, weight(37))
                    | bit(m.monitor, weight(39));
                package[3] |= bit(self.second_vector_logical, weight(0));
                package[4] |= bit(m.enhanced_addressing, weight(0))
                    | xmp_field(self.data_base)
                    | bit(self.program_state, weight(35))
                    | (u64::from(self.shared.cluster & 7) << weight(39));
                package[5] |= xmp_field(self.data_limit);
            }
            Model::Cray1 => {
                package[1] |=
                    cray1_field(self.instruction_base) | bit(m.interrupt_monitor, weight(39));
                package[2] |= cray1_field(self.instruction_limit)
                    | bit(m.interrupt_on_float, weight(37))
                    | bit(m.monitor, weight(39));
            }
        }
        package
    }

    /// Loads the state a package describes. The incoming flag field is ignored (all
    /// flags end clear), VL 0 or above 64 becomes 64 or VL mod 64, and the
    /// vector-not-used bit is set.
    pub fn load_exchange_package(&mut self, package: &[u64; PACKAGE_WORDS]) {
        for (a, word) in self.a.iter_mut().zip(package) {
            *a = *word as u32 & A_MASK;
        }
        self.s.copy_from_slice(&package[8..]);
        self.p = (package[0] >> weight(39)) as u32 & A_MASK;
        self.exchange_address = ((package[3] >> weight(23)) & 0o377) as u32;
        let vl = ((package[3] >> weight(30)) & 0o177) as u32;
        self.vl = match vl {
            1..=64 => vl,
            _ if vl & 0o77 == 0 => 64,
            _ => vl & 0o77,
        };
        self.flags = Flags::default();
        self.vector_not_used = true;
        let (w1, w2, w4) = (package[1], package[2], package[4]);
        match self.model {
            Model::XMp => {
                self.processor_number = (package[0] >> weight(1)) as u8 & 3;
                self.instruction_base = xmp_address(w1);
                self.instruction_limit = xmp_address(w2);
                self.data_base = xmp_address(w4);
                self.data_limit = xmp_address(package[5]);
                self.waiting_on_semaphore = has(w1, weight(35));
                self.modes.float_error_status = has(w1, weight(36));
                self.modes.bidirectional_memory = has(w1, weight(37));
                self.external_interrupts = has(w1, weight(38));
                self.modes.interrupt_monitor = has(w1, weight(39));
                self.modes.interrupt_on_range = has(w2, weight(35));
                self.modes.interrupt_on_float = has(w2, weight(37));
                self.modes.monitor = has(w2, weight(39));
                self.second_vector_logical = has(package[3], weight(0));
                self.modes.enhanced_addressing = has(w4, weight(0));
                self.program_state = has(w4, weight(35));
                self.shared.cluster = ((w4 >> weight(39)) & 7) as u8;
            }
            Model::Cray1 => {
                self.instruction_base = cray1_address(w1);
                self.data_base = self.instruction_base;
                self.instruction_limit = cray1_address(w2);
                self.data_limit = self.instruction_limit;
                self.modes.interrupt_monitor = has(w1, weight(39));
                self.modes.interrupt_on_range = false;
                self.modes.interrupt_on_float = has(w2, weight(37));
                self.modes.monitor = has(w2, weight(39));
            }
        }
    }

    /// The exchange sequence: reads the package at absolute word XA * 16, writes the
    /// current state there (with the pending flags, which are then clear), and loads
    /// the state read, including its new XA.
    pub fn exchange(&mut self, memory: &mut Memory) -> Result<(), ExchangeError> {
        let address = (self.exchange_address & 0o377) * PACKAGE_WORDS as u32;
        let memory_words = memory.len();
        let start = address as usize;
        let Some(words) = memory.words_mut_in(start..start + PACKAGE_WORDS) else {
            return Err(ExchangeError::OutsideMemory {
                address,
                memory_words,
            });
        };
        let mut incoming = [0u64; PACKAGE_WORDS];
        incoming.copy_from_slice(words);
        words.copy_from_slice(&self.exchange_package());
        self.load_exchange_package(&incoming);
        Ok(())
    }
}
