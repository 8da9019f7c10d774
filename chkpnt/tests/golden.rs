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
//! element read in 4 CP instead of 5, -> 2701545).

use cray_cal::{assemble, Options};
use cray_chkpnt::system_image::{restore, save, SaveOptions, Selection};
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

fn bless(dir: &Path) {
    let version = format!("v{MAJOR_VERSION}.{MINOR_VERSION}");
    for (program, numerator, denominator, compress) in GOLDEN {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../images")
            .join(program);
        let stem = program.trim_end_matches(".cal").replace('/', "-");
        let image = dir.join(format!("{stem}-{version}.chk"));
        if image.exists() {
            // A released image is never rewritten.
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        let cos = program.starts_with("cos/");
        let options = if cos { Options::cos() } else { Options::aout() };
        let assembly = assemble(&source, program, &options).unwrap();
        let words = if cos {
            assembly.to_cos_blocked().unwrap()
        } else {
            assembly.to_aout_words()
        };
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("in.txt"), COS_INPUT).unwrap();
        let fresh = || {
            let mut system = System::new(
                Config::default(),
                HostRoot::new(root.path()),
                Console::captured(),
            );
            if cos {
                let input = Backing::File {
                    path: "in.txt".into(),
                    text: true,
                };
                let datasets = BTreeMap::from([("$IN".to_string(), input)]);
                system
                    .load_cos_words("copy", &words, "COPY.", datasets)
                    .unwrap();
            } else {
                system
                    .load_words("prog", &words, &["prog".into()], &[])
                    .unwrap();
            }
            system.end_input();
            system
        };
        let mut straight = fresh();
        run_to_end(&mut straight);
        let stop = straight.clock * numerator / denominator;
        let mut system = fresh();
        while system.clock < stop {
            match system.run(stop - system.clock) {
                Event::BudgetExhausted => {}
                other => panic!("{program}: ended before clock period {stop}: {other:?}"),
            }
        }
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
        let mut resumed = restore(&image, &HostRoot::new(root.path()), false)
            .unwrap()
            .system;
        resumed.attach(HostRoot::new(root.path()), Console::captured());
        let status = run_to_end(&mut resumed);
        let text = expectation(&resumed, status, resumed.console().captured_stdout());
        std::fs::write(image.with_extension("expect"), text).unwrap();
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
