//! Periodic incremental checkpoints of a running job (format 1.1): a job restored from
//! the last image of a chain ends exactly as a straight run does, the images after the
//! first store only what changed, and a new full image starts a chain every few.

mod jobs;

use cray_chkpnt::Image;
use cray_emulator::system::{Config, Console, HostRoot};
use cray_emulator::System;
use cray_sysimage::system_image::{restore, save_incremental, Baseline, SaveOptions, Selection};
use jobs::{program, run_until};
use std::path::{Path, PathBuf};

fn job(root: &Path, name: &str) -> System {
    let mut system = System::new(Config::default(), HostRoot::new(root), Console::captured());
    system
        .load_words("prog", &program(name), &["prog".into()], &[])
        .unwrap();
    system.end_input();
    system
}

/// Runs `name` with an incremental checkpoint every sixth of its run (a new full image
/// after `full_every`), restores the last image and checks that the job ends as a
/// straight run does; returns the image sizes.
fn periodic_chain(name: &str, full_every: u32) -> Vec<(u64, bool)> {
    let root = tempfile::tempdir().unwrap();
    let mut straight = job(root.path(), name);
    let status = run_until(&mut straight, None).unwrap();
    let total = straight.clock;

    let dir = tempfile::tempdir().unwrap();
    let mut system = job(root.path(), name);
    let mut baseline: Option<Baseline> = None;
    let mut sizes = Vec::new();
    let mut last = PathBuf::new();
    for step in 1..6 {
        assert!(run_until(&mut system, Some(total * step / 6)).is_none());
        let path = dir.path().join(format!("{step}.chk"));
        let parent = baseline.as_ref().filter(|b| b.depth() + 1 < full_every);
        let jid = system.leader.unwrap();
        let (bytes, next) = save_incremental(
            &mut system,
            Selection::Job(jid),
            SaveOptions::default(),
            "test",
            &path,
            parent,
        )
        .unwrap();
        assert!(next.depth() < full_every);
        sizes.push((bytes, Image::open(&path).unwrap().is_incremental()));
        baseline = Some(next);
        last = path;
    }
    let stdout_before = system.console().captured_stdout().to_vec();
    let hash = system.state_hash();
    let mut restored = restore(&last, &HostRoot::new(root.path()), false)
        .unwrap()
        .system;
    restored.attach(HostRoot::new(root.path()), Console::captured());
    assert_eq!(
        restored.state_hash(),
        hash,
        "{name}: hash right after restore"
    );
    assert_eq!(run_until(&mut restored, None), Some(status), "{name}");
    assert_eq!(restored.clock, straight.clock, "{name}: clock periods");
    assert_eq!(
        restored.state_hash(),
        straight.state_hash(),
        "{name}: state hash"
    );
    let mut stdout = stdout_before;
    stdout.extend_from_slice(restored.console().captured_stdout());
    assert_eq!(
        stdout,
        straight.console().captured_stdout(),
        "{name}: output"
    );
    sizes
}

#[test]
fn a_job_restored_from_the_end_of_a_chain_ends_as_a_straight_run() {
    for name in ["daxpy.cal", "pipeline.cal", "forkwait.cal", "sieve.cal"] {
        let sizes = periodic_chain(name, 8);
        assert!(!sizes[0].1, "{name}: the first image is full");
        for (bytes, incremental) in &sizes[1..] {
            assert!(incremental, "{name}: later images build on the one before");
            assert!(
                bytes * 4 < sizes[0].0,
                "{name}: an incremental image of {bytes} bytes, the full one {}",
                sizes[0].0
            );
        }
    }
}

#[test]
fn a_new_full_image_starts_every_few() {
    let sizes = periodic_chain("daxpy.cal", 2);
    let kinds: Vec<bool> = sizes.iter().map(|(_, incremental)| *incremental).collect();
    assert_eq!(kinds, [false, true, false, true, false]);
}
