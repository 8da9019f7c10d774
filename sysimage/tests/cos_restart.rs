//! COS jobs resume exactly too: every corpus COS binary (real COS 1.16 utilities),
//! checkpointed after N clock periods and restarted, ends as an uninterrupted run does:
//! the same messages (F$MSG lines on stderr and in the job log), output, clock periods,
//! state hash and exit status. Their state is the COS personality's: the JCB, the
//! dataset tables, circular buffers part way through a block.

use cray_cal::{assemble, Options};
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

/// A COS program that marks itself not rerunnable (F$NRN, 037), spins, takes the
/// mark back (F$RRN, 040), spins again and ends.
const MARKING: &str = "         IDENT     MARK
         START     MAIN
MAIN     S0        O'37
         EX
         A1        O'20000
SPIN1    A1        A1-1
         A0        A1
         JAN       SPIN1
         S0        O'40
         EX
         A1        O'20000
SPIN2    A1        A1-1
         A0        A1
         JAN       SPIN2
         S0        0
         EX
         END
";

/// The job's rerun mark (F$NRN) lives in its JCB (word 0171), so every image of the
/// job carries it in its memory, with no field of the saved kernel state: restored
/// from an image taken after F$NRN the job is still marked, with the clock period of
/// its F$NRN, and from one taken after F$RRN it is not.
#[test]
fn the_rerun_mark_is_carried_by_every_image_of_the_job() {
    let words = assemble(MARKING, "mark.cal", &Options::cos())
        .unwrap_or_else(|errors| panic!("{}", errors[0]))
        .to_cos_blocked()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut system = job(dir.path(), "MARK", &words);
    let jid = system.leader.expect("a job");
    assert_eq!(run_until(&mut system, Some(2000)), None);
    let marked = system.cos_not_rerunnable_since(jid).expect("marked by now");
    let image = dir.path().join("marked.chk");
    let mut restored = checkpoint_and_restore(&mut system, dir.path(), &image);
    assert_eq!(restored.cos_not_rerunnable_since(jid), Some(marked));
    // On to the F$RRN: the mark is taken back, and an image then carries no mark.
    while restored.cos_not_rerunnable_since(jid).is_some() {
        let next = restored.clock + 1000;
        assert_eq!(run_until(&mut restored, Some(next)), None, "ends marked");
    }
    let image = dir.path().join("taken-back.chk");
    let again = checkpoint_and_restore(&mut restored, dir.path(), &image);
    assert_eq!(again.cos_not_rerunnable_since(jid), None);
}
