//! cargo-fuzz target `image`: the body is `cray_chkpnt::fuzz::image`, which
//! `cli/tests/fuzz_corpus.rs` also runs on the saved corpus and regressions.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cray_chkpnt::fuzz::image(data));
