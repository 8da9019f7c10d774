//! Damaged programs never panic or hang the emulator: every corpus COS binary, with a
//! few words changed, is refused by the loader or runs (bounded) to whatever end its
//! damage leads to: an error exit, a range error, an abort, a signal.

use cray_emulator::cos::absolute;
use cray_emulator::system::{Config, Console, Event, HostRoot};
use cray_emulator::System;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

/// Damaged variants per binary.
const CASES: u64 = 60;
/// Clock periods a damaged program may run.
const BUDGET: u64 = 3_000_000;
/// Wall time after which a variant counts as hung (each needs milliseconds).
const WATCHDOG: Duration = Duration::from_secs(30);

fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// Loads `words` as a COS job in an empty root and runs it for at most [`BUDGET`].
fn load_and_run(words: Vec<u64>) -> Result<(), String> {
    let root = std::env::temp_dir();
    let mut system = System::new(Config::default(), HostRoot::new(&root), Console::captured());
    system
        .load_cos_words("damaged", &words, "DAMAGED.", BTreeMap::new())
        .map_err(|e| e.to_string())?;
    system.end_input();
    while system.clock < BUDGET {
        match system.run(BUDGET - system.clock) {
            Event::BudgetExhausted => {}
            _ => break,
        }
    }
    Ok(())
}

/// Runs `load_and_run` on a thread of its own; None when it panicked or hung.
fn watched(words: Vec<u64>) -> Result<bool, String> {
    let (done, outcome) = mpsc::channel();
    std::thread::spawn(move || {
        let result = catch_unwind(AssertUnwindSafe(|| load_and_run(words)));
        let _ = done.send(result.map(|loaded| loaded.is_ok()).map_err(|panic| {
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        }));
    });
    match outcome.recv_timeout(WATCHDOG) {
        Ok(Ok(loaded)) => Ok(loaded),
        Ok(Err(panic)) => Err(format!("panicked: {panic}")),
        Err(_) => Err(format!("still running after {WATCHDOG:?}")),
    }
}

#[test]
fn damaged_cos_binaries_are_refused_or_run_but_never_panic() {
    let names = isa_tests::corpus_files("cos", &[".bin"]);
    assert!(names.len() >= 8, "only {} binaries", names.len());
    let (mut loaded, mut refused) = (0, 0);
    let mut failures = Vec::new();
    for path in names {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let words = absolute::words_from_bytes(&bytes).unwrap();
        let mut seed = 0x9E37_79B9_7F4A_7C15 ^ words.len() as u64;
        for case in 0..CASES {
            let mut damaged = words.clone();
            let edits: Vec<(usize, u64)> = (0..1 + next(&mut seed) % 8)
                .map(|_| {
                    // Half the edits hit the first 0400 words: the headers, the JCB
                    // area and the start of the code, where damage matters most.
                    let r = next(&mut seed);
                    let span = if r & 1 == 0 {
                        0o400.min(words.len())
                    } else {
                        words.len()
                    };
                    ((r >> 1) as usize % span, next(&mut seed))
                })
                .collect();
            for &(at, value) in &edits {
                damaged[at] = value;
            }
            match watched(damaged) {
                Ok(true) => loaded += 1,
                Ok(false) => refused += 1,
                Err(what) => failures.push(format!("{name} case {case} edits {edits:?}: {what}")),
            }
        }
    }
    eprintln!("{loaded} loaded and ran, {refused} refused");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        loaded > 0 && refused > 0,
        "the damage should sometimes load and sometimes not"
    );
}
