//! `cray-cal`: the CAL (Cray Assembly Language) assembler, built on
//! `cray_emulator::isa`, whose opcode table is the only source of encodings.
//!
//! [`assemble`] runs two passes over the source (the first defines symbols and sizes,
//! the second encodes) and returns an [`Assembly`] or every error found.
//! The Assembly writes UNICOS a.out ([`Assembly::to_aout`]), COS absolute binaries
//! ([`Assembly::to_cos_raw`], [`Assembly::to_cos_blocked`]) and the listing
//! ([`Assembly::listing_text`]).

#![deny(missing_docs)]

mod assembler;
pub mod choices;
pub mod error;
mod expansion;
pub mod expr;
#[doc(hidden)]
pub mod fuzz;
pub mod lexer;
pub mod listing;
mod literals;
pub mod macros;
pub mod matcher;
mod output;
mod pseudo;
pub mod readback;

pub use assembler::{MAX_ERRORS, MAX_EXPANDED_BYTES, MAX_EXPANDED_LINES, MAX_MACRO_DEPTH};
pub use error::AsmError;
pub use expr::{Attr, Value};
pub use listing::ListingLine;
pub use output::{Format, OutputError};

use cray_emulator::isa::Model;
use std::collections::BTreeMap;

/// Longest CAL source assembled, in bytes. A program fills at most 2^24 words, and a
/// source line makes at most one or two of them, so a real source is far shorter.
pub const MAX_SOURCE_BYTES: u64 = 16 << 20;

/// Longest source line, in bytes, before or after macro substitution. CAL lines are
/// card images (72 columns of statement, then a sequence number); this leaves room for
/// long comments and long macro arguments.
pub const MAX_LINE_BYTES: usize = 1024;

/// Assembly options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Word address where the program starts (0 for a.out, 0200 for COS).
    pub origin: u32,
    /// Machine whose instructions are accepted.
    pub model: Model,
}

impl Default for Options {
    fn default() -> Self {
        Options::aout()
    }
}

impl Options {
    /// Options for a UNICOS a.out: origin 0, X-MP.
    pub fn aout() -> Self {
        Options {
            origin: 0,
            model: Model::XMp,
        }
    }

    /// Options for a COS absolute binary: origin 0200 (after the JCB), X-MP.
    pub fn cos() -> Self {
        Options {
            origin: cray_emulator::cos::absolute::ORIGIN,
            model: Model::XMp,
        }
    }
}

/// A symbol of the assembled program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// Value and attribute (word/parcel address, absolute, external).
    pub value: Value,
    /// True for SET symbols (redefinable).
    pub redefinable: bool,
    /// Line of the (last) definition.
    pub line: usize,
}

/// The result of assembling a source file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assembly {
    /// Module name (IDENT, or the file name).
    pub module: String,
    /// Memory image from `origin` on, BSS included as zero words.
    pub words: Vec<u64>,
    /// Word address of `words[0]`.
    pub origin: u32,
    /// Entry point, a parcel address: START, else the first instruction.
    pub entry_parcel: u32,
    /// The symbol table.
    pub symbols: BTreeMap<String, Symbol>,
    /// Names declared with ENTRY.
    pub entries: Vec<String>,
    /// Names declared with EXT (assembled as 0; there is no linker).
    pub externals: Vec<String>,
    /// The module comment (COMMENT).
    pub comment: Option<String>,
    /// The listing, one entry per source line (plus macro expansion lines).
    pub listing: Vec<ListingLine>,
}

/// Assembles `source` (named `file_name` in messages). A source longer than
/// [`MAX_SOURCE_BYTES`] is refused whole, a line longer than [`MAX_LINE_BYTES`] is an
/// error, and assembly stops after [`MAX_ERRORS`] errors or once macro
/// expansion has made [`MAX_EXPANDED_LINES`] lines or
/// [`MAX_EXPANDED_BYTES`] bytes, so that no source costs more than a bounded
/// amount of time and memory.
pub fn assemble(
    source: &str,
    file_name: &str,
    options: &Options,
) -> Result<Assembly, Vec<AsmError>> {
    assembler::run(source, file_name, options)
}
