//! A damaged or crafted kernel state whose checksums are right (an image rewritten by a
//! buggy tool, or on purpose) must be refused or run: never panic the emulator.
//!
//! Each case takes a golden image, changes a few bytes of its State section, seals the
//! image with fresh checksums, restores it and runs what came back for a bounded number
//! of clock periods.

use cray_chkpnt::system_image::restore;
use cray_chkpnt::{Image, ImageWriter, SectionKind};
use cray_emulator::system::{Console, Event, HostRoot, System};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// Mutated images tried per golden image.
const CASES: u64 = 300;
/// Wall time after which a mutant counts as hung (it needs milliseconds).
const WATCHDOG: Duration = Duration::from_secs(20);
/// Clock periods a restored mutant may run.
const BUDGET: u64 = 2_000_000;

/// The sections of `image` with `mutate` applied to the State section's bytes.
fn sealed_with(image: &Image, mutate: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let mut writer = ImageWriter::new(image.summary().clone());
    let mut owned = Vec::new();
    for info in &image.sections()[1..] {
        let mut bytes = image.section(info.kind, info.id).unwrap().into_owned();
        if info.kind == SectionKind::State {
            mutate(&mut bytes);
        }
        owned.push((info.kind, info.id, info.version, bytes));
    }
    for (kind, id, version, bytes) in owned {
        writer.add_section(kind, id, version, bytes);
    }
    writer.to_bytes().unwrap()
}

/// xorshift64*: deterministic, so a failure names a case that can be replayed.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

fn run_bounded(path: &Path, root: &Path) -> Result<(), String> {
    let restored = restore(path, &HostRoot::new(root), true).map_err(|e| e.to_string())?;
    let mut system = restored.system;
    system.attach(HostRoot::new(root), Console::captured());
    while system.clock < BUDGET {
        match system.run(BUDGET - system.clock) {
            Event::Exited { .. } => return Ok(()),
            Event::InputWanted { .. } => system.end_input(),
            Event::BudgetExhausted => {}
            _ => return Ok(()),
        }
    }
    Ok(())
}

enum Outcome {
    Ran,
    Refused,
    Failed(String),
}

/// Restores and runs the image at `path` on a thread of its own, so that a hang is
/// reported (after [`WATCHDOG`]) instead of stalling the test run.
fn run_watched(path: PathBuf, dir: tempfile::TempDir) -> Outcome {
    let (done, outcome) = mpsc::channel();
    std::thread::spawn(move || {
        let result = catch_unwind(AssertUnwindSafe(|| run_bounded(&path, dir.path())));
        let _ = done.send(match result {
            Ok(Ok(())) => Outcome::Ran,
            Ok(Err(_)) => Outcome::Refused,
            Err(panic) => Outcome::Failed(format!(
                "panicked: {}",
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            )),
        });
    });
    outcome
        .recv_timeout(WATCHDOG)
        .unwrap_or_else(|_| Outcome::Failed(format!("still running after {WATCHDOG:?}")))
}

/// What became of the mutants.
#[derive(Default)]
struct Tally {
    undecodable: u64,
    refused: u64,
    ran: u64,
    failures: Vec<String>,
}

impl Tally {
    /// Writes the image `bytes`, restores and runs it under the watchdog, and counts
    /// the outcome; `case` describes the mutant for a failure (and for CRAFTED_TRACE).
    fn try_mutant(&mut self, bytes: &[u8], case: impl FnOnce() -> String) {
        let case = case();
        if std::env::var_os("CRAFTED_TRACE").is_some() {
            eprintln!("{case}");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mutant.chk");
        std::fs::write(&path, bytes).unwrap();
        match run_watched(path, dir) {
            Outcome::Ran => self.ran += 1,
            Outcome::Refused => self.refused += 1,
            Outcome::Failed(what) => self.failures.push(format!("{case}: {what}")),
        }
    }

    fn assert_none_failed(&self) {
        let Tally {
            undecodable,
            refused,
            ran,
            failures,
        } = self;
        eprintln!("{undecodable} undecodable, {refused} refused, {ran} ran");
        assert!(
            failures.is_empty(),
            "{} mutants failed ({refused} refused, {ran} ran):\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

/// The images mutated: the golden ones (UNICOS jobs and a COS job part way through a
/// copy, whose state holds the COS personality's JCB and dataset tables).
fn source_images() -> Vec<PathBuf> {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../images/golden");
    [
        "forkwait-v1.0.chk",
        "pipeline-v1.0.chk",
        "daxpy-v1.0.chk",
        "cos-copy-v1.0.chk",
    ]
    .map(|name| golden.join(name))
    .to_vec()
}

#[test]
fn mutated_kernel_states_are_refused_or_run_but_never_panic() {
    let mut tally = Tally::default();
    for path in source_images() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let image = Image::open(&path).unwrap();
        let state_len = image.section(SectionKind::State, 0).unwrap().len() as u64;
        let mut seed = 0x9E37_79B9_7F4A_7C15 ^ state_len;
        for case in 0..CASES {
            let edits: Vec<(usize, u8)> = (0..1 + next(&mut seed) % 4)
                .map(|_| {
                    let r = next(&mut seed);
                    ((r % state_len) as usize, (r >> 32) as u8)
                })
                .collect();
            let bytes = sealed_with(&image, |state| {
                for &(at, value) in &edits {
                    state[at] = value;
                }
            });
            tally.try_mutant(&bytes, || format!("{name} case {case} edits {edits:?}"));
        }
    }
    tally.assert_none_failed();
}

/// Every leaf of a JSON tree (numbers, strings, booleans) and every array, by path.
fn places(value: &serde_json::Value, path: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    match value {
        serde_json::Value::Array(items) => {
            out.push(path.clone());
            for (i, item) in items.iter().enumerate() {
                path.push(PathStep::Index(i));
                places(item, path, out);
                path.pop();
            }
        }
        serde_json::Value::Object(fields) => {
            for (key, item) in fields {
                path.push(PathStep::Key(key.clone()));
                places(item, path, out);
                path.pop();
            }
        }
        serde_json::Value::Null => {}
        _ => out.push(path.clone()),
    }
}

#[derive(Clone, Debug)]
enum PathStep {
    Index(usize),
    Key(String),
}

fn at<'v>(value: &'v mut serde_json::Value, path: &[PathStep]) -> &'v mut serde_json::Value {
    path.iter().fold(value, |v, step| match step {
        PathStep::Index(i) => &mut v[*i],
        PathStep::Key(k) => &mut v[k.as_str()],
    })
}

/// Changes the value at one place: numbers to edge values or neighbours, booleans
/// flipped, strings altered, arrays shortened or grown by a copy of an element.
fn mutate(value: &mut serde_json::Value, seed: &mut u64) -> String {
    use serde_json::Value;
    let r = next(seed);
    match value {
        Value::Number(n) => {
            let old = n.as_u64().unwrap_or(0);
            let new = match r % 7 {
                0 => 0,
                1 => 1,
                2 => old.wrapping_add(1),
                3 => old.wrapping_sub(1),
                4 => u64::MAX >> ((r >> 8) % 64),
                5 => (r >> 16) % 256,
                _ => r >> 3,
            };
            *value = Value::from(new);
            format!("{old} -> {new}")
        }
        Value::Bool(b) => {
            *b = !*b;
            "flipped".into()
        }
        Value::String(s) => {
            let new = match r % 3 {
                0 => String::new(),
                1 => format!("{s}x"),
                _ => "../outside".into(),
            };
            let said = format!("{s:?} -> {new:?}");
            *s = new;
            said
        }
        Value::Array(items) if !items.is_empty() => {
            let i = (r >> 8) as usize % items.len();
            if r.is_multiple_of(2) {
                items.remove(i);
                format!("element {i} removed")
            } else {
                let copy = items[i].clone();
                items.push(copy);
                format!("element {i} appended again")
            }
        }
        _ => "unchanged".into(),
    }
}

/// Structure-aware mutants: the state is decoded, a few fields are changed (each to a
/// value of its own type, so most mutants decode), and it is encoded again. They reach
/// the kernel's invariants, where byte flips mostly stop at the decoder.
#[test]
fn structurally_mutated_kernel_states_are_refused_or_run_but_never_panic() {
    let mut tally = Tally::default();
    for path in source_images() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let image = Image::open(&path).unwrap();
        let state: System = image.state().unwrap();
        let tree = serde_json::to_value(&state).unwrap();
        let mut all = Vec::new();
        places(&tree, &mut Vec::new(), &mut all);
        let mut seed = 0x2545_F491_4F6C_DD1D ^ all.len() as u64;
        for case in 0..CASES {
            let mut mutant = tree.clone();
            let mut said = Vec::new();
            for _ in 0..1 + next(&mut seed) % 3 {
                let place = &all[(next(&mut seed) % all.len() as u64) as usize];
                let change = mutate(at(&mut mutant, place), &mut seed);
                said.push(format!("{place:?}: {change}"));
            }
            let Ok(system) = serde_json::from_value::<System>(mutant) else {
                tally.undecodable += 1;
                continue;
            };
            let encoded = postcard::to_stdvec(&system).unwrap();
            let bytes = sealed_with(&image, |state| *state = encoded.clone());
            tally.try_mutant(&bytes, || format!("{name} case {case} {said:?}"));
        }
    }
    tally.assert_none_failed();
}
