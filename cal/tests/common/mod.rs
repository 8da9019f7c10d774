//! Helpers shared by the assembler's integration tests.
#![allow(dead_code)] // Each test file uses its own subset.

use cray_cal::{assemble, Assembly, Options};

/// Assembles `source` (named `name`), failing the test with every error message.
pub fn assemble_ok(source: &str, name: &str, options: &Options) -> Assembly {
    assemble(source, name, options).unwrap_or_else(|errors| {
        panic!(
            "{}",
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

/// The parcels of an assembly's words, four to a word, most significant first.
pub fn parcels(a: &Assembly) -> Vec<u16> {
    a.words
        .iter()
        .flat_map(|w| (0..4).map(move |k| (w >> (48 - 16 * k)) as u16))
        .collect()
}
