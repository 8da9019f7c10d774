//! A damaged or crafted kernel state whose checksums are right (an image rewritten by a
//! buggy tool, or on purpose) must be refused or run: never panic the emulator.
//!
//! Each case takes a golden image, changes a few bytes of its State section, seals the
//! image with fresh checksums, restores it and runs what came back for a bounded number
//! of clock periods.

use cray_cal::{assemble, Options};
use cray_chkpnt::system_image::{restore, save, SaveOptions, Selection};
use cray_chkpnt::{Image, ImageWriter, SectionKind};
use cray_emulator::system::{Config, Console, Event, HostRoot, System};
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

/// An image of a COS job (images/cos/copy.cal copying a two-record dataset) stopped
/// half way, for the COS personality's state (JCB, dataset tables, buffers), which the
/// golden images, all UNICOS, do not hold.
fn cos_job_image(dir: &Path) -> PathBuf {
    let source_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../images/cos/copy.cal");
    let source = std::fs::read_to_string(&source_path).unwrap();
    let words = assemble(&source, "copy.cal", &Options::cos())
        .unwrap()
        .to_cos_blocked()
        .unwrap();
    std::fs::write(dir.join("in.txt"), "first record\nsecond record\n").unwrap();
    let fresh = || {
        let mut system = System::new(Config::default(), HostRoot::new(dir), Console::captured());
        let datasets = BTreeMap::from([(
            "$IN".to_string(),
            cray_emulator::cos::job::Backing::File {
                path: "in.txt".into(),
                text: true,
            },
        )]);
        system
            .load_cos_words("copy", &words, "COPY.", datasets)
            .unwrap();
        system
    };
    let mut straight = fresh();
    while !matches!(straight.run(1 << 30), Event::Exited { .. }) {}
    let mut system = fresh();
    let half = straight.clock / 2;
    while system.clock < half {
        assert!(matches!(
            system.run(half - system.clock),
            Event::BudgetExhausted
        ));
    }
    let jid = system.leader.unwrap();
    let path = dir.join("cos.chk");
    save(
        &mut system,
        Selection::Job(jid),
        SaveOptions::default(),
        "test",
        &path,
    )
    .unwrap();
    path
}

#[test]
fn mutated_kernel_states_are_refused_or_run_but_never_panic() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../images/golden");
    let mut failures = Vec::new();
    let (mut refused, mut ran) = (0, 0);
    let cos_dir = tempfile::tempdir().unwrap();
    let cos = cos_job_image(cos_dir.path());
    let images = ["forkwait-v1.0.chk", "pipeline-v1.0.chk", "daxpy-v1.0.chk"]
        .map(|name| golden.join(name))
        .into_iter()
        .chain([cos]);
    for path in images {
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
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("mutant.chk");
            std::fs::write(&path, &bytes).unwrap();
            if std::env::var_os("CRAFTED_TRACE").is_some() {
                eprintln!("{name} case {case} edits {edits:?}");
            }
            match run_watched(path, dir) {
                Outcome::Ran => ran += 1,
                Outcome::Refused => refused += 1,
                Outcome::Failed(what) => {
                    failures.push(format!("{name} case {case} edits {edits:?}: {what}"))
                }
            }
        }
    }
    eprintln!("{refused} refused, {ran} ran");
    assert!(
        failures.is_empty(),
        "{} of {} mutants panicked ({refused} refused, {ran} ran):\n{}",
        failures.len(),
        failures.len() + refused + ran,
        failures.join("\n")
    );
}
