//! cargo-fuzz target `image`: the body is `cray_sysimage::fuzz::image`, which
//! `cli/tests/fuzz_corpus.rs` also runs on the saved corpus and regressions.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cray_sysimage::fuzz::image(data));
