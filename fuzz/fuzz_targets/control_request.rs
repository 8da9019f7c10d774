//! cargo-fuzz target `control_request`: the body is `cray_cli::fuzz::control_request`, which
//! `cli/tests/fuzz_corpus.rs` also runs on the saved corpus and regressions.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cray_cli::fuzz::control_request(data));
