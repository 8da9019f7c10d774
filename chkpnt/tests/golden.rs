//! Golden images: images of every released format version, committed under
//! images/golden/, must keep restoring and must finish exactly as recorded.
//!
//! Each `NAME.chk` has a `NAME.expect` beside it: the clock periods, the state hash and
//! the exit status of the finished job, then the standard output the restarted job
//! prints. `CRAY_BLESS_GOLDEN=1 cargo test -p cray-chkpnt --test golden` writes new
//! ones for the current format (`NAME` gets the format version in it, so old images are
//! never overwritten). The images never change; an `.expect` records how the job ends
//! under the current timing model, so a deliberate change of the model's rules updates
//! it (daxpy-v1.0: banks with gaps, 2707880 -> 2701609 clock periods; the X-MP's 076
//! element read in 4 CP instead of 5, -> 2701545). The state hash came to cover the
//! memory of every process as it was when it ended (the exited-memory section), which
//! moved every `.expect`'s hash; these images predate that section, so the hash at
//! their end covers only the processes that ended after them (which is why
//! pipeline-base and pipeline-delta, one job at two points, now end differently).
//!
//! Format 1.1 added incremental images; its golden set is a chain: a full image of
//! pipeline.cal a third of the way through and an incremental one on it two thirds of
//! the way. Full images of 1.1 differ from 1.0 only in the minor version, so each
//! program of the full set is blessed once, in the version current when it was added.

use cray_cal::{assemble, Options};
use cray_chkpnt::system_image::{restore, save, save_incremental, SaveOptions, Selection};
use cray_chkpnt::{MAJOR_VERSION, MINOR_VERSION};
use cray_emulator::cos::job::Backing;
use cray_emulator::system::{Config, Console, Event, ExitStatus, HostRoot, System};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../images/golden")
}

/// Programs of the golden set (under images/), where they are stopped (a fraction of
/// their run), and whether their memory sections are compressed. `cos/` programs run
/// as COS jobs; cos/copy.cal copies a two-record `$IN` to `$OUT`.
const GOLDEN: [(&str, u64, u64, bool); 4] = [
    ("forkwait.cal", 1, 3, false),
    ("pipeline.cal", 1, 2, false),
    ("daxpy.cal", 2, 3, true),
    ("cos/copy.cal", 1, 2, true),
];

/// The `$IN` of the COS golden job, written into its root before it starts.
const COS_INPUT: &str = "first record\nsecond record\n";

fn run_to_end(system: &mut System) -> ExitStatus {
    loop {
        match system.run(1 << 40) {
            Event::Exited { status } => return status,
            Event::BudgetExhausted => {}
            Event::InputWanted { .. } => system.end_input(),
            other => panic!("unexpected event {other:?}"),
        }
    }
}

fn expectation(system: &System, status: ExitStatus, stdout: &[u8]) -> String {
    format!(
        "cycles {}\nstate_hash {:016x}\nstatus {}\n{}",
        system.clock,
        system.state_hash(),
        status.host_code(),
        String::from_utf8_lossy(stdout)
    )
}

/// The a.out or COS words of `program` under images/.
fn assembled(program: &str) -> Vec<u64> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../images")
        .join(program);
    let source = std::fs::read_to_string(&path).unwrap();
    let cos = program.starts_with("cos/");
    let options = if cos { Options::cos() } else { Options::aout() };
    let assembly = assemble(&source, program, &options).unwrap();
    if cos {
        assembly.to_cos_blocked().unwrap()
    } else {
        assembly.to_aout_words()
    }
}

/// A fresh system running `program` (words from [`assembled`]) in `root`.
fn fresh(program: &str, words: &[u64], root: &Path) -> System {
    std::fs::write(root.join("in.txt"), COS_INPUT).unwrap();
    let mut system = System::new(Config::default(), HostRoot::new(root), Console::captured());
    if program.starts_with("cos/") {
        let input = Backing::File {
            path: "in.txt".into(),
            text: true,
        };
        let datasets = BTreeMap::from([("$IN".to_string(), input)]);
        system
            .load_cos_words("copy", words, "COPY.", datasets)
            .unwrap();
    } else {
        system
            .load_words("prog", words, &["prog".into()], &[])
            .unwrap();
    }
    system.end_input();
    system
}

/// Runs `system` to clock period `stop`, which it must not end before.
fn run_to(system: &mut System, stop: u64, program: &str) {
    while system.clock < stop {
        match system.run(stop - system.clock) {
            Event::BudgetExhausted => {}
            other => panic!("{program}: ended before clock period {stop}: {other:?}"),
        }
    }
}

/// Restores `image` in `root`, runs it to the end and writes its `.expect`.
fn write_expectation(image: &Path, root: &Path) {
    let mut resumed = restore(image, &HostRoot::new(root), false).unwrap().system;
    resumed.attach(HostRoot::new(root), Console::captured());
    let status = run_to_end(&mut resumed);
    let text = expectation(&resumed, status, resumed.console().captured_stdout());
    std::fs::write(image.with_extension("expect"), text).unwrap();
}

fn bless(dir: &Path) {
    let version = format!("v{MAJOR_VERSION}.{MINOR_VERSION}");
    for (program, numerator, denominator, compress) in GOLDEN {
        let stem = program.trim_end_matches(".cal").replace('/', "-");
        let blessed = std::fs::read_dir(dir).unwrap().any(|entry| {
            let name = entry.unwrap().file_name();
            let name = name.to_string_lossy();
            name.starts_with(&format!("{stem}-v")) && name.ends_with(".chk")
        });
        if blessed {
            // A released image is never rewritten, nor blessed again in a layout that
            // has not changed.
            continue;
        }
        let image = dir.join(format!("{stem}-{version}.chk"));
        let words = assembled(program);
        let root = tempfile::tempdir().unwrap();
        let mut straight = fresh(program, &words, root.path());
        run_to_end(&mut straight);
        let stop = straight.clock * numerator / denominator;
        let mut system = fresh(program, &words, root.path());
        run_to(&mut system, stop, program);
        let jid = system.leader.unwrap();
        let options = SaveOptions {
            compress,
            ..SaveOptions::default()
        };
        save(
            &mut system,
            Selection::Job(jid),
            options,
            "cray golden",
            &image,
        )
        .unwrap();
        write_expectation(&image, root.path());
    }
    bless_chain(dir, &version);
}

/// The chain of the current version: `pipeline-base-V.chk` and `pipeline-delta-V.chk`.
fn bless_chain(dir: &Path, version: &str) {
    let program = "pipeline.cal";
    let base = dir.join(format!("pipeline-base-{version}.chk"));
    let delta = dir.join(format!("pipeline-delta-{version}.chk"));
    if base.exists() || delta.exists() {
        return;
    }
    let words = assembled(program);
    let root = tempfile::tempdir().unwrap();
    let mut straight = fresh(program, &words, root.path());
    run_to_end(&mut straight);
    let mut system = fresh(program, &words, root.path());
    let jid = system.leader.unwrap();
    let mut parent = None;
    for (third, image) in [(1, &base), (2, &delta)] {
        run_to(&mut system, straight.clock * third / 3, program);
        let (_, written) = save_incremental(
            &mut system,
            Selection::Job(jid),
            SaveOptions::default(),
            "cray golden",
            image,
            parent.as_ref(),
        )
        .unwrap();
        parent = Some(written);
    }
    assert_eq!(
        parent.map(|p| p.depth()),
        Some(1),
        "the second image is incremental"
    );
    for image in [&base, &delta] {
        write_expectation(image, root.path());
    }
}

#[test]
fn golden_images_keep_restoring_and_finish_as_recorded() {
    let dir = golden_dir();
    if std::env::var_os("CRAY_BLESS_GOLDEN").is_some() {
        bless(&dir);
    }
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("images/golden exists") {
        let image = entry.unwrap().path();
        if image.extension().is_none_or(|e| e != "chk") {
            continue;
        }
        let expected = std::fs::read_to_string(image.with_extension("expect"))
            .unwrap_or_else(|e| panic!("{}: no .expect beside it: {e}", image.display()));
        let root = tempfile::tempdir().unwrap();
        let restored = restore(&image, &HostRoot::new(root.path()), false)
            .unwrap_or_else(|e| panic!("golden image no longer restores: {e}"));
        let mut system = restored.system;
        system.attach(HostRoot::new(root.path()), Console::captured());
        let status = run_to_end(&mut system);
        let actual = expectation(&system, status, system.console().captured_stdout());
        assert_eq!(actual, expected, "{}", image.display());
        checked += 1;
    }
    assert!(
        checked >= GOLDEN.len(),
        "only {checked} golden images found"
    );
}
