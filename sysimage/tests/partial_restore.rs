//! `chkpnt -p` of one process of a job, restarted without the others: what only they
//! could give is gone, as if they had ended at the checkpoint. The parent of a
//! pipeline reads to end of file and its wait finds no child; the child's write finds
//! no reader. Either way the process runs to an end instead of waiting forever.

use cray_cal::{assemble, Options};
use cray_emulator::system::{Config, Console, Event, ExitStatus, HostRoot};
use cray_emulator::System;
use cray_sysimage::system_image::{restore, save, SaveOptions, Selection};
use std::path::Path;

fn pipeline() -> Vec<u64> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../images/pipeline.cal");
    let source = std::fs::read_to_string(path).unwrap();
    assemble(&source, "pipeline.cal", &Options::aout())
        .unwrap()
        .to_aout_words()
}

fn started(root: &Path, words: &[u64]) -> System {
    let mut system = System::new(Config::default(), HostRoot::new(root), Console::captured());
    system
        .load_words("pipeline", words, &["pipeline".into()], &[])
        .unwrap();
    system.end_input();
    system
}

#[test]
fn each_process_of_a_pipeline_restarted_alone_runs_to_an_end() {
    let words = pipeline();
    let dir = tempfile::tempdir().unwrap();
    let mut whole = started(dir.path(), &words);
    assert!(matches!(whole.run(1 << 30), Event::Exited { .. }));
    let full_output = whole.console().captured_stdout().to_vec();
    let end = whole.clock;

    let mut cases = 0;
    for n in (0..end).step_by(7) {
        let mut system = started(dir.path(), &words);
        let alive: Vec<_> = match system.run(n) {
            Event::BudgetExhausted => system
                .processes
                .values()
                .filter(|p| p.is_alive())
                .map(|p| p.pid)
                .collect(),
            _ => continue,
        };
        if alive.len() < 2 {
            continue;
        }
        let before = system.console().captured_stdout().to_vec();
        let leader = system.leader.unwrap();
        let pids = alive;
        for pid in pids {
            let image = dir.path().join(format!("p{pid}-{n}.chk"));
            save(
                &mut system,
                Selection::Process(pid),
                SaveOptions::default(),
                "t",
                &image,
            )
            .unwrap();
            let root = HostRoot::new(dir.path());
            let mut alone = restore(&image, &root, false).unwrap().system;
            alone.attach(root, Console::captured());
            let event = alone.run(1 << 30);
            let Event::Exited { status } = event else {
                panic!("pid {pid} checkpointed alone at {n}: {event:?}");
            };
            let mut output = before.clone();
            output.extend_from_slice(alone.console().captured_stdout());
            assert!(
                full_output.starts_with(&output),
                "pid {pid} at {n}: {:?}",
                String::from_utf8_lossy(&output)
            );
            // The parent ends normally; the child at worst meets a closed pipe.
            let parent = pid == leader;
            let sigpipe = ExitStatus::Signaled(13);
            assert!(
                status == ExitStatus::Exited(0) || (!parent && status == sigpipe),
                "pid {pid} at {n}: {status:?}"
            );
            cases += 1;
        }
    }
    assert!(cases >= 10, "only {cases} cases with both processes alive");
}
