//! `cray batch`: a queue of jobs run in order with periodic checkpoints, which the next
//! `cray batch run` continues after a crash or a SIGTERM, never running a job twice.

mod common;

use common::{cray, holds_checkpoint, image, text, wait_until};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn batch(queue: &Path, args: &[&str]) -> Output {
    cray()
        .arg("batch")
        .arg(args[0])
        .arg(queue)
        .args(&args[1..])
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn succeed(queue: &Path, args: &[&str]) -> Output {
    let out = batch(queue, args);
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    out
}

fn submit(queue: &Path, program: &str) {
    let program = image(program);
    succeed(queue, &["submit", program.to_str().unwrap()]);
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref()).unwrap_or_default()
}

/// The clock period at which a straight `cray run` of `program` ends.
fn straight_cycles(dir: &Path, program: &str) -> u64 {
    let json = dir.join("straight.json");
    let out = cray()
        .args(["run", "--stats-json"])
        .arg(&json)
        .arg(image(program))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stats: serde_json::Value = serde_json::from_str(&read(&json)).unwrap();
    stats["cycles"].as_u64().unwrap()
}

/// The `cray batch run` of spin.cal (job 1) then daxpy.cal (job 2), in a process group
/// of its own, once job 1 has written its first checkpoint.
fn queue_stopped_in_the_spin(queue: &Path) -> std::process::Child {
    submit(queue, "spin.cal");
    submit(queue, "daxpy.cal");
    let runner = cray()
        .args(["batch", "run"])
        .arg(queue)
        .args(["--checkpoint-every", "50000000"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let job = queue.join("0001");
    wait_until("the job's first checkpoint", || holds_checkpoint(&job));
    runner
}

/// Runs the queue again to its end and checks both jobs against straight runs.
fn queue_finishes(dir: &Path, queue: &Path) {
    let out = succeed(queue, &["run"]);
    let said = text(&out.stderr);
    assert!(
        said.contains("job 1 ended") && said.contains("job 2 ended"),
        "{said}"
    );
    assert_eq!(read(queue.join("0001/stdout")), "spin done\n");
    assert_eq!(
        read(queue.join("0002/stdout")),
        "daxpy checksum: 4023ba433d2e0000\n"
    );
    let finished: serde_json::Value =
        serde_json::from_str(&read(queue.join("0001/finished.json"))).unwrap();
    assert_eq!(finished["clock"], straight_cycles(dir, "spin.cal"));
    assert!(read(queue.join("0001/stderr")).contains("resume: continuing job 1"));
}

#[test]
fn a_queue_runs_each_job_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("q");
    submit(&queue, "wc.cal");
    submit(&queue, "daxpy.cal");
    let status = text(&succeed(&queue, &["status"]).stdout);
    let lines: Vec<&str> = status.lines().collect();
    assert_eq!(lines.len(), 2, "{status}");
    assert!(
        lines[0].contains("queued") && lines[0].contains("wc.cal"),
        "{status}"
    );
    assert!(lines[1].trim_start().starts_with('2'), "{status}");

    let out = succeed(&queue, &["run"]);
    let said = text(&out.stderr);
    let (one, two) = (said.find("job 1 starts"), said.find("job 2 starts"));
    assert!(one.is_some() && one < two, "{said}");
    // No terminal: wc reads end of file at once.
    assert_eq!(read(queue.join("0001/stdout")), "      0       0       0\n");
    assert_eq!(
        read(queue.join("0002/stdout")),
        "daxpy checksum: 4023ba433d2e0000\n"
    );
    let status = text(&succeed(&queue, &["status"]).stdout);
    assert_eq!(status.matches("with exit status 0").count(), 2, "{status}");

    // Run again: nothing is run twice, no output is repeated.
    let again = succeed(&queue, &["run"]);
    assert!(
        !text(&again.stderr).contains("starts"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(read(queue.join("0001/stdout")), "      0       0       0\n");
}

#[test]
fn sigterm_stops_the_queue_and_the_next_run_continues_it() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("q");
    let runner = queue_stopped_in_the_spin(&queue);
    let term = Command::new("kill")
        .args(["-TERM", &runner.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let stopped = runner.wait_with_output().unwrap();
    // 75, EX_TEMPFAIL: stopped, resumable (not 0, which a script would take for done).
    assert_eq!(stopped.status.code(), Some(75), "{}", text(&stopped.stderr));
    assert!(text(&stopped.stderr).contains("job 1 checkpointed and stopped"));
    let status = text(&succeed(&queue, &["status"]).stdout);
    assert!(
        status.contains("checkpointed at clock period") && status.contains("queued"),
        "{status}"
    );
    queue_finishes(dir.path(), &queue);
}

#[test]
fn after_a_crash_the_next_run_continues_from_the_newest_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("q");
    let mut runner = queue_stopped_in_the_spin(&queue);
    // The host goes down: the runner and its job die at once.
    let crash = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", runner.id())])
        .status()
        .unwrap();
    assert!(crash.success());
    let _ = runner.wait();
    queue_finishes(dir.path(), &queue);
}

#[test]
fn submit_refuses_what_the_queue_sets_and_what_cannot_run() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("q");
    let program = image("wc.cal");
    let program = program.to_str().unwrap();
    for (args, expected) in [
        (
            vec!["submit", "--checkpoint-dir", "x", program],
            "--checkpoint-dir is set by the queue",
        ),
        (
            vec!["submit", "--resume", program],
            "--resume is set by the queue",
        ),
        (
            vec!["submit", "missing.cal"],
            "missing.cal: no such program file",
        ),
        (vec!["submit", "--memory", "lots", program], "--memory"),
    ] {
        let out = batch(&queue, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let said = text(&out.stderr);
        assert!(said.contains(expected), "{args:?}: {said}");
    }
    // Nothing was queued: not even the queue exists.
    let status = batch(&queue, &["status"]);
    assert_eq!(status.status.code(), Some(2));
    assert!(
        text(&status.stderr).contains("does not exist"),
        "{}",
        text(&status.stderr)
    );
    std::fs::create_dir(&queue).unwrap();
    let status = text(&succeed(&queue, &["status"]).stdout);
    assert!(status.contains("no jobs"), "{status}");
}

#[test]
fn run_and_status_of_a_missing_queue_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("mistyped");
    for action in ["run", "status"] {
        let out = batch(&queue, &[action]);
        assert_eq!(out.status.code(), Some(2), "{action}");
        let said = text(&out.stderr);
        assert!(
            said.contains(&format!("queue {}", queue.display())) && said.contains("does not exist"),
            "{action}: {said}"
        );
    }
    assert!(!queue.exists(), "nothing created");
}

#[test]
fn a_job_whose_submit_directory_is_gone_is_marked_failed_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("q");
    let submitted_from = dir.path().join("work");
    std::fs::create_dir(&submitted_from).unwrap();
    let submitted = cray()
        .args(["batch", "submit"])
        .arg(&queue)
        .arg(image("daxpy.cal"))
        .current_dir(&submitted_from)
        .output()
        .unwrap();
    assert!(submitted.status.success(), "{}", text(&submitted.stderr));
    submit(&queue, "wc.cal");
    std::fs::remove_dir(&submitted_from).unwrap();
    let out = succeed(&queue, &["run"]);
    let said = text(&out.stderr);
    let expected = format!(
        "job 1 cannot start: its submit directory {} does not exist",
        submitted_from.display()
    );
    assert!(said.contains(&expected), "{said}");
    assert!(!said.contains("No such file"), "{said}");
    assert!(said.contains("job 2 ended"), "the queue goes on: {said}");
    assert!(read(queue.join("0001/stderr")).contains(&expected));
    let status = text(&succeed(&queue, &["status"]).stdout);
    assert!(status.contains("failed"), "{status}");
}

#[test]
fn a_job_cray_cannot_carry_on_is_marked_failed_and_the_queue_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("q");
    let spin = image("spin.cal");
    succeed(
        &queue,
        &["submit", "--max-cycles", "1000", spin.to_str().unwrap()],
    );
    submit(&queue, "daxpy.cal");
    let out = succeed(&queue, &["run"]);
    let said = text(&out.stderr);
    assert!(
        said.contains("job 1 failed (exit status 2)") && said.contains("job 2 ended"),
        "{said}"
    );
    assert!(read(queue.join("0001/stderr")).contains("--max-cycles 1000"));
    let status = text(&succeed(&queue, &["status"]).stdout);
    assert!(
        status.contains("failed: cray exited with status 2") && status.contains("exit status 0"),
        "{status}"
    );
    // Neither runs again.
    let again = succeed(&queue, &["run"]);
    assert!(
        !text(&again.stderr).contains("starts"),
        "{}",
        text(&again.stderr)
    );
}

/// Starts `cray batch run QUEUE` (through `sh -c "ulimit -f BLOCKS; exec ..."` when
/// `limit` gives BLOCKS), in a process group of its own.
fn start_runner(queue: &Path, limit: Option<u32>) -> std::process::Child {
    let mut command = match limit {
        Some(blocks) => {
            let mut sh = Command::new("sh");
            sh.arg("-c")
                .arg(format!("ulimit -f {blocks}; exec \"$0\" \"$@\""))
                .arg(env!("CARGO_BIN_EXE_cray"));
            sh
        }
        None => cray(),
    };
    command
        .args(["batch", "run"])
        .arg(queue)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap()
}

#[test]
fn one_runner_per_queue_and_a_job_dies_with_its_runner() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("q");
    let ticks = image("ticks.cal");
    succeed(
        &queue,
        &[
            "submit",
            "--checkpoint-every",
            "7000000",
            ticks.to_str().unwrap(),
        ],
    );
    let mut runner = start_runner(&queue, None);
    let job_lock = queue.join("0001/.lock");
    wait_until("the job's first checkpoint", || {
        holds_checkpoint(&queue.join("0001"))
    });
    // A second runner is refused, naming the first.
    let second = batch(&queue, &["run"]);
    assert_eq!(second.status.code(), Some(2));
    assert!(
        text(&second.stderr).contains(&format!(
            "q: this batch queue is in use by another runner, pid {}",
            runner.id()
        )),
        "{}",
        text(&second.stderr)
    );
    assert!(std::fs::read_to_string(&job_lock).is_ok());

    // The runner alone dies: its job goes with it (checkpointing), and the next runner
    // continues the job once, not beside a job still running.
    let crash = Command::new("kill")
        .args(["-KILL", &runner.id().to_string()])
        .status()
        .unwrap();
    assert!(crash.success());
    let _ = runner.wait();
    let out = succeed(&queue, &["run"]);
    let said = text(&out.stderr);
    assert!(said.contains("job 1 ended"), "{said}");
    assert_eq!(read(queue.join("0001/stdout")), "tick\n".repeat(10));
}

#[test]
fn a_sigterm_checkpoint_that_fails_is_said_and_the_job_is_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("q");
    let ticks = image("ticks.cal");
    succeed(
        &queue,
        &[
            "submit",
            "--checkpoint-every",
            "7000000",
            ticks.to_str().unwrap(),
        ],
    );
    // ticks.cal's images are 34 KB: more than `ulimit -f 20` (10 KiB) allows.
    let runner = start_runner(&queue, Some(20));
    wait_until("a failed periodic checkpoint", || {
        read(queue.join("0001/stderr")).contains("cray: checkpoint failed")
    });
    let term = Command::new("kill")
        .args(["-TERM", &runner.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let stopped = runner.wait_with_output().unwrap();
    let said = text(&stopped.stderr);
    assert_eq!(stopped.status.code(), Some(2), "{said}");
    assert!(
        said.contains("job 1 was stopped (SIGTERM) but could not checkpoint"),
        "{said}"
    );
    assert!(!said.contains("checkpointed and stopped"), "{said}");
    assert!(
        read(queue.join("0001/stderr")).contains("SIGTERM: checkpoint failed"),
        "{}",
        read(queue.join("0001/stderr"))
    );
    assert!(!queue.join("0001/failed.json").exists());

    // Room again: the job starts over from its beginning, and its output is there once.
    let out = succeed(&queue, &["run"]);
    assert!(text(&out.stderr).contains("job 1 ended"));
    assert_eq!(read(queue.join("0001/stdout")), "tick\n".repeat(10));
}
