//! Shared helpers of the tests that run jobs through checkpoints.
#![allow(dead_code)]

use cray_cal::{assemble, Options};
use cray_emulator::system::{Console, Event, ExitStatus, HostRoot};
use cray_emulator::System;
use cray_sysimage::system_image::{restore, save, SaveOptions, Selection};
use std::path::Path;

/// The a.out words of program `name` under images/.
pub fn program(name: &str) -> Vec<u64> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../images")
        .join(name);
    let source =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assemble(&source, name, &Options::aout())
        .unwrap_or_else(|errors| panic!("{name}: {}", errors[0]))
        .to_aout_words()
}

/// Runs until the job ends (Some) or `limit` clock periods have passed (None); input
/// wanted meets end of file.
pub fn run_until(system: &mut System, limit: Option<u64>) -> Option<ExitStatus> {
    loop {
        let budget = match limit {
            Some(limit) if system.clock >= limit => return None,
            Some(limit) => limit - system.clock,
            None => 1 << 40,
        };
        match system.run(budget) {
            Event::Exited { status } => return Some(status),
            Event::BudgetExhausted => {}
            Event::InputWanted { .. } => system.end_input(),
            Event::RerunMarkChanged { .. } => {}
            other => panic!("unexpected event {other:?}"),
        }
    }
}

/// Checkpoints the job of `system` into `image`, restores it in `root` with a captured
/// console, and checks that the restored state hashes as the checkpointed one did.
pub fn checkpoint_and_restore(system: &mut System, root: &Path, image: &Path) -> System {
    let jid = system.leader.expect("a job");
    let hash = system.state_hash();
    save(
        system,
        Selection::Job(jid),
        SaveOptions::default(),
        "test",
        image,
    )
    .unwrap_or_else(|e| panic!("checkpoint at {}: {e}", system.clock));
    let host_root = HostRoot::new(root);
    let mut restored = restore(image, &host_root, false)
        .unwrap_or_else(|e| panic!("restore of the checkpoint at {}: {e}", system.clock))
        .system;
    restored.attach(host_root, Console::captured());
    assert_eq!(
        restored.state_hash(),
        hash,
        "state hash right after the restore of the checkpoint at {}",
        system.clock
    );
    restored
}
