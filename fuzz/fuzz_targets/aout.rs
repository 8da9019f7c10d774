//! cargo-fuzz target `aout`: the body is `cray_emulator::fuzz::aout`, which
//! `cli/tests/fuzz_corpus.rs` also runs on the saved corpus and regressions.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cray_emulator::fuzz::aout(data));
