//! Golden images: images of every released format version, committed under
//! images/golden/, must keep restoring and must finish exactly as recorded.
//!
//! Each `NAME.chk` has a `NAME.expect` beside it: the clock periods, the state hash and
//! the exit status of the finished job, then the standard output the restarted job
//! prints. `CRAY_BLESS_GOLDEN=1 cargo test -p cray-sysimage --test golden` writes new
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
//! the way. Full images of 1.1 differ from 1.0 only in the minor version, so the full
//! set was not blessed again in 1.1.
//!
//! Format 1.2 holds the kernel state in its saved version 2 (`cray_emulator::saved`);
//! its whole set, full images and chain, is blessed as `*-v1.2.chk`. From 1.2 on, a
//! program is blessed once per format version, so every released version keeps its
//! own images (`bless` writes only the names that are missing).
//!
//! Format 1.3 holds the kernel state in its saved version 3 (deck jobs with
//! unblocked datasets, deferred dispositions and MEMORY's field length); its set is
//! `*-v1.3.chk`, and the 1.2 images restore through the migration V2 -> V3.

use cray_cal::{assemble, Options};
use cray_chkpnt::{Image, SectionKind, MAJOR_VERSION, MINOR_VERSION};
use cray_emulator::cos::job::Backing;
use cray_emulator::saved::{self, v1::SystemStateV1};
use cray_emulator::system::{Config, Console, Event, ExitStatus, HostRoot};
use cray_emulator::System;
use cray_sysimage::system_image::{
    kernel_state, restore, save, save_incremental, SaveOptions, Selection, STATE_VERSION,
};
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
        let image = dir.join(format!("{stem}-{version}.chk"));
        if image.exists() {
            // A released image is never rewritten.
            continue;
        }
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

/// Every golden image, in name order.
fn golden_images() -> Vec<PathBuf> {
    let mut images: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .expect("images/golden exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "chk"))
        .collect();
    images.sort();
    images
}

/// Restores `image` in a fresh root, runs it to the end and gives its expectation.
fn finish(image: &Path) -> String {
    let root = tempfile::tempdir().unwrap();
    let restored = restore(image, &HostRoot::new(root.path()), false)
        .unwrap_or_else(|e| panic!("golden image no longer restores: {e}"));
    let mut system = restored.system;
    system.attach(HostRoot::new(root.path()), Console::captured());
    let status = run_to_end(&mut system);
    expectation(&system, status, system.console().captured_stdout())
}

#[test]
fn golden_images_keep_restoring_and_finish_as_recorded() {
    if std::env::var_os("CRAY_BLESS_GOLDEN").is_some() {
        bless(&golden_dir());
    }
    let images = golden_images();
    for image in &images {
        let expected = std::fs::read_to_string(image.with_extension("expect"))
            .unwrap_or_else(|e| panic!("{}: no .expect beside it: {e}", image.display()));
        assert_eq!(finish(image), expected, "{}", image.display());
    }
    assert!(
        images.len() >= GOLDEN.len(),
        "only {} golden images found",
        images.len()
    );
    let current = format!("-v{MAJOR_VERSION}.{MINOR_VERSION}.chk");
    assert!(
        images
            .iter()
            .any(|i| i.to_string_lossy().ends_with(&current)),
        "no golden image of the current format {current}: bless them (CRAY_BLESS_GOLDEN=1)"
    );
}

/// The state section's version in each golden image: the format version its name
/// carries says which saved-state version it must hold.
#[test]
fn golden_images_hold_the_saved_state_version_of_their_format() {
    for image in golden_images() {
        let name = image.file_name().unwrap().to_string_lossy().into_owned();
        let opened = Image::open(&image).unwrap();
        let version = opened.find(SectionKind::State, 0).unwrap().version;
        let expected = if name.contains("-v1.0.") || name.contains("-v1.1.") {
            1
        } else if name.contains("-v1.2.") {
            2
        } else {
            STATE_VERSION
        };
        assert_eq!(version, expected, "{name}");
    }
}

/// The frozen version 1 types are the layout the 1.0 and 1.1 images were written in:
/// each such state decodes with them using every byte, and encoding it again gives a
/// state that decodes to the same bytes once more. (Not the original bytes: the timing
/// model's bank window reads the gap form the first 1.0 images hold as free periods,
/// d1b9864, and writes it in its own form.)
#[test]
fn version_1_states_decode_with_every_byte_and_encode_stably() {
    let mut checked = 0;
    for image in golden_images() {
        let opened = Image::open(&image).unwrap();
        if opened.find(SectionKind::State, 0).unwrap().version != 1 {
            continue;
        }
        let bytes = opened.section(SectionKind::State, 0).unwrap();
        let (state, rest) = postcard::take_from_bytes::<SystemStateV1>(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", image.display()));
        assert!(
            rest.is_empty(),
            "{}: {} bytes left over",
            image.display(),
            rest.len()
        );
        let once = postcard::to_stdvec(&state).unwrap();
        let again: SystemStateV1 = postcard::from_bytes(&once).unwrap();
        assert_eq!(
            postcard::to_stdvec(&again).unwrap(),
            once,
            "{}",
            image.display()
        );
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} version 1 images");
}

/// Every golden image's state, read into the live system (frozen types, migrations,
/// conversions) and written again as the current version, gives the very bytes of a
/// version 3 state; a version 2 state without deck jobs gives its own bytes (the two
/// layouts differ only in a deck job); and a version 1 state (whose timing models 1.0
/// wrote in an older form, see above) gives a current state that does the same: the
/// conversions between the frozen and the live types lose nothing.
#[test]
fn golden_states_through_the_live_system_are_written_as_their_frozen_bytes() {
    let mut checked = [0; 3];
    for image in golden_images() {
        let opened = Image::open(&image).unwrap();
        let version = opened.find(SectionKind::State, 0).unwrap().version;
        let bytes = opened.section(SectionKind::State, 0).unwrap().to_vec();
        let system = kernel_state(&opened).unwrap_or_else(|e| panic!("{}: {e}", image.display()));
        let no_decks = system.cos_decks.is_empty();
        let written = saved::encode(system).unwrap();
        if version == STATE_VERSION || (version == 2 && no_decks) {
            assert!(
                written == bytes,
                "{}: {}",
                image.display(),
                difference(&written, &bytes)
            );
        }
        let again = saved::encode(saved::decode(STATE_VERSION, &written, BTreeMap::new()).unwrap())
            .unwrap();
        assert!(
            written == again,
            "{}: {}",
            image.display(),
            difference(&written, &again)
        );
        checked[usize::from(version - 1)] += 1;
    }
    assert!(checked.iter().all(|&n| n >= 6), "checked {checked:?}");
}

/// Where two byte strings first differ, for a failure message.
fn difference(a: &[u8], b: &[u8]) -> String {
    let first = a.iter().zip(b).position(|(x, y)| x != y);
    format!(
        "{} / {} bytes, first difference at {first:?}",
        a.len(),
        b.len()
    )
}

/// `bytes` with the version of section `index` set to `version` and the header
/// checksum made right again.
fn with_section_version(bytes: &[u8], index: usize, version: u16) -> Vec<u8> {
    let mut bytes = bytes.to_vec();
    let entry = 32 + 56 * index;
    bytes[entry + 2..entry + 4].copy_from_slice(&version.to_le_bytes());
    let header_len = u32::from_le_bytes(bytes[20..24].try_into().unwrap()) as usize;
    bytes[24..32].fill(0);
    let checksum = xxhash_rust::xxh3::xxh3_64(&bytes[..header_len]);
    bytes[24..32].copy_from_slice(&checksum.to_le_bytes());
    bytes
}

#[test]
fn an_image_whose_state_is_newer_than_this_build_is_refused_naming_the_section() {
    let source = golden_dir().join("forkwait-v1.0.chk");
    let index = Image::open(&source)
        .unwrap()
        .find(SectionKind::State, 0)
        .unwrap()
        .index;
    let dir = tempfile::tempdir().unwrap();
    let newer = dir.path().join("newer.chk");
    let bytes = std::fs::read(&source).unwrap();
    std::fs::write(
        &newer,
        with_section_version(&bytes, index, STATE_VERSION + 1),
    )
    .unwrap();
    let error = match restore(&newer, &HostRoot::new(dir.path()), false) {
        Ok(_) => panic!("an image of a newer state version restored"),
        Err(e) => e.to_string(),
    };
    for part in [
        format!("section #{index} state 0"),
        format!("version {}", STATE_VERSION + 1),
        format!("at most version {STATE_VERSION}"),
    ] {
        assert!(error.contains(&part), "{part:?} missing from: {error}");
    }
}

#[test]
fn every_golden_image_upgraded_finishes_as_the_original_does() {
    let dir = tempfile::tempdir().unwrap();
    for image in golden_images() {
        let upgraded = dir.path().join(image.file_name().unwrap());
        let report = cray_sysimage::upgrade::upgrade(&image, &upgraded, "cray test").unwrap();
        let opened = Image::open(&upgraded).unwrap();
        assert_eq!(opened.version(), (MAJOR_VERSION, MINOR_VERSION));
        let state = opened.find(SectionKind::State, 0).unwrap();
        assert_eq!(state.version, STATE_VERSION, "{}", image.display());
        assert!(!opened.is_incremental(), "an upgraded image is full");
        assert_eq!(
            report.was_incremental,
            image.to_string_lossy().contains("delta")
        );
        assert_eq!(finish(&upgraded), finish(&image), "{}", image.display());
    }
}
