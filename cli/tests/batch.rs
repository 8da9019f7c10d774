//! `cray batch`: a queue of jobs run in order with periodic checkpoints, which the next
//! `cray batch run` continues after a crash or a SIGTERM, never running a job twice.

mod common;

use common::{cray, image, text};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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
    let deadline = Instant::now() + Duration::from_secs(60);
    let job = queue.join("0001");
    while !job.is_dir()
        || !std::fs::read_dir(&job)
            .unwrap()
            .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "chk"))
    {
        assert!(Instant::now() < deadline, "no checkpoint appeared");
        std::thread::sleep(Duration::from_millis(10));
    }
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
