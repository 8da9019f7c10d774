//! The instruction set of the Cray X-MP and the Cray-1.
//!
//! [`table::FORMS`] is the single source of truth for encodings: every row gives the
//! operation, the octal pattern of the first parcel (fixed digits and free fields), the
//! number of parcels, the CAL syntax and the models that have it. Decoding
//! ([`decode()`]), encoding ([`Instruction::parcels`]) and disassembly
//! ([`disassemble`]) are all views of that table, and so is the CAL assembler.

mod decode;
mod disasm;
pub mod syntax;
pub mod table;

pub use decode::{decode, decode_parcel, form_of, instruction_length};
pub use disasm::{disassemble, render_form};
pub use table::{Form, Op, Unit, FORMS};

use serde::{Deserialize, Serialize};

/// Which machine is being emulated: the instruction set and timing differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Model {
    /// Cray X-MP (the default).
    XMp,
    /// Cray-1: no shared registers, semaphores, gather/scatter or compressed index.
    Cray1,
}

impl Model {
    /// The name used on the command line (`xmp`, `cray1`).
    pub fn name(self) -> &'static str {
        match self {
            Model::XMp => "xmp",
            Model::Cray1 => "cray1",
        }
    }

    /// Parses a command-line model name.
    pub fn from_name(name: &str) -> Option<Model> {
        match name {
            "xmp" | "x-mp" | "XMP" => Some(Model::XMp),
            "cray1" | "cray-1" | "CRAY1" => Some(Model::Cray1),
            _ => None,
        }
    }

    /// Clock period in picoseconds (X-MP 9.5 ns, Cray-1 12.5 ns).
    pub fn clock_period_ps(self) -> u64 {
        match self {
            Model::XMp => 9_500,
            Model::Cray1 => 12_500,
        }
    }
}

/// A decoded instruction: the operation and its raw parcels.
///
/// The fields (g, h, i, j, k, jk, jkm, ijkm) are read from the parcels on demand,
/// which keeps the struct at six bytes and makes re-encoding exact by construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Instruction {
    /// The operation, as selected by the opcode table.
    pub op: Op,
    /// The first parcel.
    pub p1: u16,
    /// The second parcel (0 for one-parcel instructions).
    pub p2: u16,
}

impl Instruction {
    /// Opcode class g (parcel bits 15..12).
    #[inline]
    pub fn g(self) -> u8 {
        (self.p1 >> 12) as u8
    }
    /// Field h (bits 11..9): opcode variant, or the index register of 10h..13h.
    #[inline]
    pub fn h(self) -> usize {
        ((self.p1 >> 9) & 7) as usize
    }
    /// Field i (bits 8..6): usually the destination register.
    #[inline]
    pub fn i(self) -> usize {
        ((self.p1 >> 6) & 7) as usize
    }
    /// Field j (bits 5..3).
    #[inline]
    pub fn j(self) -> usize {
        ((self.p1 >> 3) & 7) as usize
    }
    /// Field k (bits 2..0).
    #[inline]
    pub fn k(self) -> usize {
        (self.p1 & 7) as usize
    }
    /// Fields j and k together: a 6-bit constant or a B/T register number.
    #[inline]
    pub fn jk(self) -> usize {
        (self.p1 & 0o77) as usize
    }
    /// Fields i, j, k together (9 bits).
    #[inline]
    pub fn ijk(self) -> u32 {
        u32::from(self.p1 & 0o777)
    }
    /// The 22-bit constant jkm of two-parcel instructions (020, 021, 040, 041, 10h..13h).
    #[inline]
    pub fn jkm(self) -> u32 {
        (u32::from(self.p1 & 0o77) << 16) | u32::from(self.p2)
    }
    /// jkm as a signed 22-bit displacement (10h..13h), sign-extended to 24 bits.
    #[inline]
    pub fn displacement(self) -> u32 {
        let v = self.jkm();
        if v & (1 << 21) != 0 {
            (v | 0xC0_0000) & 0xFF_FFFF
        } else {
            v
        }
    }
    /// The 24-bit parcel address ijkm of jumps (006, 007, 010..017).
    #[inline]
    pub fn target(self) -> u32 {
        ((u32::from(self.p1 & 0o777) << 16) | u32::from(self.p2)) & 0xFF_FFFF
    }
    /// Number of parcels (1 or 2).
    #[inline]
    pub fn len(self) -> u32 {
        instruction_length(self.p1)
    }
    /// Always false: an instruction has at least one parcel. (For clippy's `len` rule.)
    #[inline]
    pub fn is_empty(self) -> bool {
        false
    }
    /// The parcels of this instruction, as stored in memory.
    pub fn parcels(self) -> Vec<u16> {
        if self.len() == 2 {
            vec![self.p1, self.p2]
        } else {
            vec![self.p1]
        }
    }
}
