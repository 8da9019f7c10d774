//! cargo-fuzz target `cal_round_trip`: the body is `cray_cal::fuzz::cal_round_trip`, which
//! `cli/tests/fuzz_corpus.rs` also runs on the saved corpus and regressions.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cray_cal::fuzz::cal_round_trip(data));
