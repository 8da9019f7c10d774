//! COS jobs resume exactly too: every corpus COS binary (real COS 1.16 utilities),
//! checkpointed after N clock periods and restarted, ends as an uninterrupted run does:
//! the same messages (F$MSG lines on stderr and in the job log), output, clock periods,
//! state hash and exit status. Their state is the COS personality's: the JCB, the
//! dataset tables, circular buffers part way through a block.

use cray_emulator::cos::absolute;
use cray_emulator::cos::jcb::statement_for;
use cray_emulator::system::{Config, Console, ExitStatus, HostRoot};
use cray_emulator::System;
use std::collections::BTreeMap;
use std::path::Path;

mod jobs;
use jobs::{checkpoint_and_restore, run_until};

/// Checkpoints taken per binary.
const POINTS: u64 = 60;

#[derive(Debug, PartialEq, Eq)]
struct Ending {
    status: ExitStatus,
    cycles: u64,
    hash: u64,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    log: Vec<String>,
}

fn job(root: &Path, name: &str, words: &[u64]) -> System {
    let mut system = System::new(Config::default(), HostRoot::new(root), Console::captured());
    system
        .load_cos_words(name, words, &statement_for(name, &[]), BTreeMap::new())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    system.end_input();
    system
}

fn ending(system: &System, status: ExitStatus, stdout: Vec<u8>, stderr: Vec<u8>) -> Ending {
    Ending {
        status,
        cycles: system.clock,
        hash: system.state_hash(),
        stdout,
        stderr,
        log: system.cos_log.clone(),
    }
}

fn straight(name: &str, words: &[u64]) -> Ending {
    let dir = tempfile::tempdir().unwrap();
    let mut system = job(dir.path(), name, words);
    let status = run_until(&mut system, None).expect("ends");
    let console = system.console();
    let (out, err) = (
        console.captured_stdout().to_vec(),
        console.captured_stderr().to_vec(),
    );
    ending(&system, status, out, err)
}

fn interrupted(name: &str, words: &[u64], n: u64) -> Ending {
    let dir = tempfile::tempdir().unwrap();
    let mut first = job(dir.path(), name, words);
    let status = run_until(&mut first, Some(n));
    let mut stdout = first.console().captured_stdout().to_vec();
    let mut stderr = first.console().captured_stderr().to_vec();
    if let Some(status) = status {
        return ending(&first, status, stdout, stderr);
    }
    let image = dir.path().join("job.chk");
    let mut restored = checkpoint_and_restore(&mut first, dir.path(), &image);
    let status = run_until(&mut restored, None).expect("ends");
    stdout.extend_from_slice(restored.console().captured_stdout());
    stderr.extend_from_slice(restored.console().captured_stderr());
    ending(&restored, status, stdout, stderr)
}

#[test]
fn every_corpus_cos_binary_resumes_exactly() {
    let binaries = isa_tests::corpus_files("cos", &[".bin"]);
    assert!(binaries.len() >= 8, "only {} binaries", binaries.len());
    for path in binaries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let words = absolute::words_from_bytes(&std::fs::read(&path).unwrap()).unwrap();
        let whole = straight(&name, &words);
        // Each run must do enough to be worth checkpointing: it says something or ends
        // normally (PRVDEF with no directives ends quietly), over many clock periods.
        assert!(
            !whole.log.is_empty()
                || !whole.stderr.is_empty()
                || whole.status == ExitStatus::Exited(0),
            "{name} says nothing and fails: {:?}",
            whole.status
        );
        assert!(
            whole.cycles > POINTS * 100,
            "{name} ends after {} clock periods",
            whole.cycles
        );
        for point in 1..=POINTS {
            let n = whole.cycles * point / (POINTS + 1);
            let resumed = interrupted(&name, &words, n);
            assert_eq!(resumed, whole, "{name}: checkpoint at clock period {n}");
        }
    }
}
