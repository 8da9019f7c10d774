//! A damaged or crafted kernel state whose checksums are right (an image rewritten by a
//! buggy tool, or on purpose) must be refused or run: never panic the emulator.
//!
//! Each case takes a golden image, changes a few bytes of its State section, seals the
//! image with fresh checksums, restores it and runs what came back for a bounded number
//! of clock periods. Every mutant that breaks one of the kernel's invariants (or does
//! not decode) must be refused, and a refused mutant must leave the host's files as
//! they were (the root's and those beside it); a mutant that is accepted must satisfy
//! the invariants, and still satisfy them after it ran.

use cray_chkpnt::{Image, ImageWriter, SectionKind};
use cray_emulator::system::{Console, Event, HostRoot, Inconsistency};
use cray_emulator::System;
use cray_sysimage::system_image::restore;
use std::collections::BTreeMap;
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

/// Every file and directory under `dir` (links not followed): its kind and contents.
fn tree(dir: &Path) -> BTreeMap<PathBuf, (String, Vec<u8>)> {
    let mut found = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
            let contents = if kind.is_file() {
                std::fs::read(&path).unwrap()
            } else {
                Vec::new()
            };
            if kind.is_dir() {
                pending.push(path.clone());
            }
            found.insert(path, (format!("{kind:?}"), contents));
        }
    }
    found
}

/// The directory a mutant is tried in: the image, and beside it the root the guest
/// sees, which holds a file of its own.
fn mutant_dir(bytes: &[u8]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mutant.chk");
    std::fs::write(&path, bytes).unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("already-here"), b"a file the job did not make").unwrap();
    (dir, path, root)
}

/// What restoring (and then running) a mutant gave.
enum Tried {
    /// Refused; whether the host files were as before.
    Refused { files_untouched: bool },
    /// Accepted: the invariants checked after the restore and after the run.
    Ran {
        restored: Result<(), Inconsistency>,
        after_run: Result<(), Inconsistency>,
        outside_root_untouched: bool,
    },
}

fn run_bounded(dir: &Path, path: &Path, root: &Path) -> Tried {
    let before = tree(dir);
    let restored = match restore(path, &HostRoot::new(root), true) {
        Ok(restored) => restored,
        Err(_) => {
            return Tried::Refused {
                files_untouched: tree(dir) == before,
            }
        }
    };
    let mut system = restored.system;
    let restored = system.check_consistency();
    system.attach(HostRoot::new(root), Console::captured());
    while system.clock < BUDGET {
        match system.run(BUDGET - system.clock) {
            Event::InputWanted { .. } => system.end_input(),
            Event::BudgetExhausted => {}
            _ => break,
        }
    }
    let outside_root = |files: BTreeMap<PathBuf, (String, Vec<u8>)>| {
        files
            .into_iter()
            .filter(|(name, _)| !name.starts_with(root))
            .collect::<Vec<_>>()
    };
    Tried::Ran {
        restored,
        after_run: system.check_consistency(),
        outside_root_untouched: outside_root(tree(dir)) == outside_root(before),
    }
}

enum Outcome {
    Ran,
    Refused,
    Failed(String),
}

/// Restores and runs the image at `path` on a thread of its own, so that a hang is
/// reported (after [`WATCHDOG`]) instead of stalling the test run; `breaks` says
/// whether the mutant breaks an invariant (or does not decode), and must be refused.
fn run_watched(dir: tempfile::TempDir, path: PathBuf, root: PathBuf, breaks: bool) -> Outcome {
    let (done, outcome) = mpsc::channel();
    std::thread::spawn(move || {
        let result = catch_unwind(AssertUnwindSafe(|| run_bounded(dir.path(), &path, &root)));
        let _ = done.send(match result {
            Ok(Tried::Refused {
                files_untouched: true,
            }) => Outcome::Refused,
            Ok(Tried::Refused {
                files_untouched: false,
            }) => Outcome::Failed("refused, but host files changed".into()),
            Ok(Tried::Ran { .. }) if breaks => {
                Outcome::Failed("breaks an invariant, but was accepted".into())
            }
            Ok(Tried::Ran {
                restored,
                after_run,
                outside_root_untouched,
            }) => match (restored, after_run, outside_root_untouched) {
                (Ok(()), Ok(()), true) => Outcome::Ran,
                (Err(why), _, _) => Outcome::Failed(format!("accepted while inconsistent: {why}")),
                (_, Err(why), _) => Outcome::Failed(format!("inconsistent after running: {why}")),
                (_, _, false) => Outcome::Failed("files outside the root changed".into()),
            },
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

/// Whether the image `bytes` holds a kernel state that fails to decode or breaks an
/// invariant the kernel keeps: such an image must be refused.
fn breaks_an_invariant(bytes: &[u8]) -> bool {
    let Ok(image) = Image::from_bytes(bytes, "mutant.chk") else {
        return true;
    };
    match image.state::<System>() {
        Ok(system) => system.check_consistency().is_err(),
        Err(_) => true,
    }
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
        let breaks = breaks_an_invariant(bytes);
        let (dir, path, root) = mutant_dir(bytes);
        match run_watched(dir, path, root, breaks) {
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
fn mutated_kernel_states_breaking_an_invariant_are_refused_and_touch_no_file() {
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
fn structurally_mutated_kernel_states_breaking_an_invariant_are_refused_and_touch_no_file() {
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
