//! Fuzz harness body for CAL, shared by the `fuzz/` crate's cargo-fuzz target and the
//! workspace test that replays its saved corpus (`cli/tests/fuzz_corpus.rs`), so a
//! crash found by the fuzzer is caught again on stable by the same code.
//!
//! The property: whatever assembles, disassembled into CAL and assembled again, gives
//! the same words.

use crate::readback::reassemblable_source;
use crate::{assemble, Options};

/// Programs longer than this (a `BSS` of a million words) are only assembled: their
/// disassembly, a line per parcel, would cost the fuzzer more than it finds.
const MAX_ROUND_TRIP_WORDS: usize = 1 << 12;

/// Assembles `data` (when it is UTF-8) and checks that the words it gives survive a
/// trip through [`reassemblable_source`] (instructions that read back, `VWD 16/...`
/// for every other parcel, as `cray dis` writes them) and the assembler.
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
