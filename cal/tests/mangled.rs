//! The assembler never panics or hangs, whatever it is given: every program in
//! images/, mangled in many ways (characters replaced, inserted, lines duplicated or
//! dropped), either assembles or comes back with errors.

use cray_cal::{assemble, Options};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// Mangled variants per source file.
const CASES: u64 = 40;
/// Characters that mean something to CAL, so mangling hits its syntax and not only
/// symbol names.
const ALPHABET: &[u8] = b" ,.+-*/=<>#()'\"0123456789ABSVTPRJEXOWDLFH$@%_\t\n";

fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

fn mangle(source: &str, seed: &mut u64) -> String {
    let mut lines: Vec<String> = source.lines().map(str::to_string).collect();
    for _ in 0..1 + next(seed) % 6 {
        let n = lines.len().max(1);
        let line = (next(seed) as usize) % n;
        let what = next(seed) % 5;
        if lines.is_empty() {
            lines.push(String::new());
        }
        let mut bytes = lines[line].clone().into_bytes();
        let at = (next(seed) as usize) % (bytes.len() + 1);
        let c = ALPHABET[(next(seed) as usize) % ALPHABET.len()];
        match what {
            0 if at < bytes.len() => bytes[at] = c,
            1 => bytes.insert(at, c),
            2 if at < bytes.len() => {
                bytes.remove(at);
            }
            3 => {
                let copy = lines[line].clone();
                lines.insert(line, copy);
            }
            _ => {
                lines.remove(line);
                continue;
            }
        }
        lines[line] = String::from_utf8_lossy(&bytes).into_owned();
    }
    lines.join("\n")
}

fn sources() -> Vec<(String, String)> {
    let images = Path::new(env!("CARGO_MANIFEST_DIR")).join("../images");
    let mut found = Vec::new();
    for dir in [images.clone(), images.join("abi"), images.join("cos")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "cal") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                found.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

#[test]
fn mangled_programs_assemble_or_give_errors_never_a_panic() {
    let mut failures = Vec::new();
    let sources = sources();
    assert!(sources.len() >= 20, "only {} sources", sources.len());
    for (name, source) in &sources {
        let mut seed = 0x9E37_79B9_7F4A_7C15 ^ source.len() as u64;
        for case in 0..CASES {
            let mangled = mangle(source, &mut seed);
            for options in [Options::aout(), Options::cos()] {
                let result = catch_unwind(AssertUnwindSafe(|| {
                    if let Err(errors) = assemble(&mangled, name, &options) {
                        assert!(!errors.is_empty(), "an error result without errors");
                        for e in &errors {
                            assert!(e.line >= 1, "error without a line: {e:?}");
                        }
                    }
                }));
                if result.is_err() {
                    failures.push(format!("{name} case {case}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "panics: {failures:?}");
}
