//! Fuzz harness body for CAL, shared by the `fuzz/` crate's cargo-fuzz target and the
//! workspace test that replays its saved corpus (`cli/tests/fuzz_corpus.rs`), so a
//! crash found by the fuzzer is caught again on stable by the same code.
//!
//! The property: whatever assembles, disassembled into CAL and assembled again, gives
//! the same words.

use crate::{assemble, Options};
use cray_emulator::isa::{decode, disassemble, instruction_length, Model, Op};
use std::fmt::Write as _;

/// Programs longer than this (a `BSS` of a million words) are only assembled: their
/// disassembly, a line per parcel, would cost the fuzzer more than it finds.
const MAX_ROUND_TRIP_WORDS: usize = 1 << 12;

/// Assembles `data` (when it is UTF-8) and checks that the words it gives survive a
/// trip through [`reassemblable_source`] and the assembler.
pub fn cal_round_trip(data: &[u8]) {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let options = Options::aout();
    let Ok(first) = assemble(source, "fuzz.cal", &options) else {
        return;
    };
    if first.words.len() > MAX_ROUND_TRIP_WORDS {
        return;
    }
    let text = reassemblable_source(&first.words, options.model);
    let second = match assemble(&text, "dis.cal", &options) {
        Ok(assembly) => assembly,
        Err(errors) => panic!("the disassembly does not assemble: {}\n{text}", errors[0]),
    };
    assert_eq!(
        first.words, second.words,
        "reassembled words differ; disassembly:\n{text}"
    );
}

/// CAL source for `words`, one instruction per line where the parcels decode to an
/// instruction whose text gives the same parcels back, a `VWD 16/` parcel elsewhere.
pub fn reassemblable_source(words: &[u64], model: Model) -> String {
    let parcels: Vec<u16> = words
        .iter()
        .flat_map(|w| (0..4).map(move |k| (w >> (48 - 16 * k)) as u16))
        .collect();
    let mut out = String::new();
    let mut at = 0;
    while at < parcels.len() {
        let p1 = parcels[at];
        let length = instruction_length(p1) as usize;
        match parcels
            .get(at..at + length)
            .and_then(|p| instruction_text(p, model))
        {
            Some(text) => {
                let _ = writeln!(out, "         {}", text.replacen(' ', "   ", 1));
                at += length;
            }
            None => {
                let _ = writeln!(out, "         VWD   16/O'{p1:o}");
                at += 1;
            }
        }
    }
    out
}

/// The CAL text of the instruction in `parcels`, if it has one that assembles back
/// to exactly these parcels: not for undefined encodings, for the 054/055 forms CAL
/// writes as 052/053, or for jumps with the ignored top bit of their address set.
fn instruction_text(parcels: &[u16], model: Model) -> Option<String> {
    let p1 = parcels[0];
    let p2 = parcels.get(1).copied().unwrap_or(0);
    let inst = decode(p1, p2, model);
    let gh = p1 >> 9;
    let alias = matches!(gh, 0o054 | 0o055) && (p1 >> 6) & 7 == 0;
    let ignored_bit = matches!(gh, 0o006..=0o017) && p1 & 0o400 != 0;
    if inst.op == Op::Undefined || alias || ignored_bit {
        return None;
    }
    disassemble(inst, model)
}
