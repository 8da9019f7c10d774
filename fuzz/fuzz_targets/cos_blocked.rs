//! cargo-fuzz target `cos_blocked`: the body is `cray_emulator::fuzz::cos_blocked`, which
//! `cli/tests/fuzz_corpus.rs` also runs on the saved corpus and regressions.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cray_emulator::fuzz::cos_blocked(data));
