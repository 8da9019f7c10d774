//! Fuzz harness bodies, shared by the `fuzz/` crate's cargo-fuzz targets and the
//! workspace test that replays their saved corpora (`cli/tests/fuzz_corpus.rs`), so a
//! crash found by the fuzzer is caught again on stable by the same code.
//!
//! Each entry must return normally for every input: an error is a fine answer, a
//! panic, a hang or an allocation out of proportion to the input is a bug.

use crate::aout::AOut;
use crate::cos::absolute::{self, words_from_bytes};
use crate::cos::dataset::{block, deblock};
use crate::cos::System;
use crate::system::{Config, Console, HostRoot};
use std::collections::BTreeMap;

/// Clock periods a loaded program runs: enough for its first system calls and a
/// few hundred instructions, few enough for thousands of runs a second.
const RUN_BUDGET: u64 = 20_000;

/// Machine memory of the fuzzed system: small, so that zeroing a field stays cheap,
/// and large enough for the sample programs.
const MEMORY_WORDS: u64 = 1 << 18;

/// A system whose root does not exist, so that no guest file call reaches a host file.
fn sealed_system() -> System {
    let config = Config {
        memory_words: MEMORY_WORDS,
        max_field_words: MEMORY_WORDS,
        ..Config::default()
    };
    System::new(
        config,
        HostRoot::new("/nonexistent/cray-fuzz-root"),
        Console::captured(),
    )
}

/// Parses `data` as a COS absolute binary (raw or blocked), as `cray run` does, and
/// when it parses, loads it as a COS job and runs it briefly.
pub fn cos_absolute(data: &[u8]) {
    let Ok(binary) = absolute::from_bytes(data) else {
        return;
    };
    let mut system = sealed_system();
    if system
        .load_cos("FUZZ", &binary, "FUZZ.", BTreeMap::new())
        .is_ok()
    {
        system.run(RUN_BUDGET);
    }
}

/// Deblocks `data` as a COS blocked dataset; what deblocks must block again into a
/// dataset that deblocks to the same records, files and end.
pub fn cos_blocked(data: &[u8]) {
    let Ok(words) = words_from_bytes(data) else {
        return;
    };
    let Ok(items) = deblock(&words) else {
        return;
    };
    let blocked = block(&items).expect("items read from a dataset block again");
    let again = deblock(&blocked).expect("a dataset written by block deblocks");
    assert_eq!(items, again, "deblock(block(items)) differs from items");
}

/// Parses `data` as an a.out, as `cray run` does, and when it parses, loads it with
/// one argument and runs it briefly.
pub fn aout(data: &[u8]) {
    let Ok(words) = words_from_bytes(data) else {
        return;
    };
    let Ok(program) = AOut::parse(&words) else {
        return;
    };
    let mut system = sealed_system();
    let argv = ["fuzz".to_string()];
    if system.load("fuzz", &program, &argv, &[]).is_ok() {
        system.run(RUN_BUDGET);
    }
}
