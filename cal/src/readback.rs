//! Disassembly that assembles back: the CAL text of an instruction only when that
//! text gives the same parcels again, and `VWD 16/...` for any other parcel. Used by
//! `cray dis` and by the round-trip fuzz target, so a listing is always a source.
//!
//! Some encodings have no text of their own: undefined opcodes, the 054/055 forms
//! with no shift count that CAL writes as 052/053, jumps with the ignored top bit of
//! their address set, and whatever else the assembler reads differently (the fuzz
//! target `cal_round_trip` looks for more). A parcel written as `VWD 16/...` stays
//! where it is, since an unlabeled VWD packs its field at the current bit.

use cray_emulator::isa::{decode, disassemble, instruction_length, Model, Op};
use std::fmt::Write as _;

/// The CAL text of the instruction at the start of `parcels`, if it has one that
/// assembles back to exactly its parcels (one or two; `parcels` may be longer).
///
/// The rule is checked, not trusted: a unit test assembles the text of every first
/// parcel, and the `cal_round_trip` fuzz target every program it makes.
pub fn instruction_text(parcels: &[u16], model: Model) -> Option<String> {
    let p1 = *parcels.first()?;
    let length = instruction_length(p1) as usize;
    let own = parcels.get(..length)?;
    let inst = decode(p1, own.get(1).copied().unwrap_or(0), model);
    let gh = p1 >> 9;
    let alias = matches!(gh, 0o054 | 0o055) && (p1 >> 6) & 7 == 0;
    let ignored_bit = matches!(gh, 0o006..=0o017) && p1 & 0o400 != 0;
    if inst.op == Op::Undefined || alias || ignored_bit {
        return None;
    }
    disassemble(inst, model)
}

/// A source line giving `parcels` as they are, where they are: for a parcel that is
/// no instruction of its own, or an instruction whose text CAL reads differently.
pub fn parcels_as_data(parcels: &[u16]) -> String {
    let fields: Vec<String> = parcels.iter().map(|p| format!("16/O'{p:o}")).collect();
    format!("VWD {}", fields.join(","))
}

/// CAL source for `words`, parcel by parcel: each instruction whose text reads back,
/// `VWD 16/...` for every other parcel. Assembled, it gives `words` again.
pub fn reassemblable_source(words: &[u64], model: Model) -> String {
    let parcels: Vec<u16> = words
        .iter()
        .flat_map(|w| (0..4).map(move |k| (w >> (48 - 16 * k)) as u16))
        .collect();
    let mut out = String::new();
    let mut at = 0;
    while at < parcels.len() {
        let (text, length) = match instruction_text(&parcels[at..], model) {
            Some(text) => (text, instruction_length(parcels[at]) as usize),
            None => (parcels_as_data(&parcels[at..=at]), 1),
        };
        let _ = writeln!(out, "         {}", text.replacen(' ', "   ", 1));
        at += length;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{assemble, Options};

    /// The parcel of `S1 S2&S3`, placed after an instruction assembled alone to show how
    /// many parcels it took.
    const MARKER: u16 = 0o044123;

    /// True if `text` alone assembles to `parcels`.
    fn reads_back(text: &str, parcels: &[u16], model: Model) -> bool {
        let line = format!(
            "         {}\n         S1   S2&S3\n",
            text.replacen(' ', "   ", 1)
        );
        let options = Options {
            model,
            ..Options::aout()
        };
        let Ok(assembly) = assemble(&line, "one.cal", &options) else {
            return false;
        };
        let got: Vec<u16> = assembly
            .words
            .iter()
            .flat_map(|w| (0..4).map(move |k| (w >> (48 - 16 * k)) as u16))
            .take(parcels.len() + 1)
            .collect();
        got.split_last() == Some((&MARKER, parcels))
    }

    #[test]
    fn every_instruction_given_a_text_reads_back() {
        let mut wrong = Vec::new();
        for model in [Model::XMp, Model::Cray1] {
            for p1 in 0..=u16::MAX {
                // A second parcel with its top bit set, as jump addresses may have.
                let parcels = [p1, 0o112345];
                let length = instruction_length(p1) as usize;
                if let Some(text) = instruction_text(&parcels, model) {
                    if !reads_back(&text, &parcels[..length], model) {
                        wrong.push(format!("{model:?} {p1:06o}: {text}"));
                    }
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "{} texts do not read back, e.g. {:?}",
            wrong.len(),
            &wrong[..wrong.len().min(20)]
        );
    }

    fn words(source: &str) -> Vec<u64> {
        assemble(source, "t.cal", &Options::aout())
            .expect("assembles")
            .words
    }

    #[test]
    fn stray_parcels_in_the_middle_of_a_word_read_back_in_place() {
        // A1 1, ERR (000000), S1 S1<0, then a jump with the ignored top bit of its address set
        // (no text of its own) running into the next word.
        let original = [
            (0o022101u64 << 48) | (0o054100 << 16) | 0o006400,
            0o000017 << 48,
        ];
        let source = reassemblable_source(&original, Model::XMp);
        assert!(source.contains("VWD   16/O'6400"), "{source}");
        assert_eq!(words(&source), original, "{source}");
    }
}
