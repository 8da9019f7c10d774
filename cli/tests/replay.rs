//! `cray run --record LOG` and `cray replay LOG`: the terminal input of a run, with the
//! clock periods at which it reached the job, given again; the replay must end in the
//! recorded state, and says where it left the recorded run when it does not.

mod common;

use common::{cray, image, spawn_piped, text};
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

/// Runs `wc.cal` with `--record` into `dir`, typing `pieces` into its standard input
/// with pauses between them, so that the job meets each piece at its own read.
fn recorded_wc(dir: &Path, pieces: &[&str]) -> (Output, std::path::PathBuf) {
    let log = dir.join("wc.json");
    let mut child = spawn_piped(
        cray()
            .args(["run", "--record"])
            .arg(&log)
            .arg(image("wc.cal"))
            .current_dir(dir),
    );
    let mut stdin = child.stdin.take().unwrap();
    for piece in pieces {
        // The job is waiting at its read long before this (it polls every 50 ms).
        std::thread::sleep(Duration::from_millis(300));
        stdin.write_all(piece.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    (out, log)
}

fn replay(log: &Path) -> Output {
    cray()
        .arg("replay")
        .arg(log)
        .current_dir(log.parent().unwrap())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn read_log(log: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(log).unwrap()).unwrap()
}

fn write_log(log: &Path, value: &Value) {
    std::fs::write(log, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

#[test]
fn a_replay_gives_the_same_input_at_the_same_clock_periods_and_ends_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let (recorded, log) = recorded_wc(dir.path(), &["one two\n", "three\n"]);
    assert_eq!(text(&recorded.stdout), "      2       3      14\n");
    let written = read_log(&log);
    let input = written["input"].as_array().unwrap();
    // Two pieces, each met by a read of its own, then the end.
    assert_eq!(input.len(), 3, "{written}");
    assert_eq!(input[0]["text"], "one two\n");
    assert_eq!(input[1]["text"], "three\n");
    assert_eq!(input[2]["end"], true);
    assert!(input[0]["clock"].as_u64() < input[1]["clock"].as_u64());
    assert_eq!(written["end"]["exit_status"], 0);

    let again = replay(&log);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(again.stdout, recorded.stdout);
    let said = text(&again.stderr);
    let hash = written["end"]["state_hash"].as_str().unwrap();
    assert!(
        said.contains("ended as recorded") && said.contains(hash),
        "{said}"
    );
}

#[test]
fn a_replay_that_leaves_the_recorded_run_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let (_, log) = recorded_wc(dir.path(), &["one two\n", "three\n"]);
    let recorded = read_log(&log);

    // Other bytes: the job counts them in another time, so it asks for the end of
    // the input at another clock period than the log gives it.
    let mut changed = recorded.clone();
    changed["input"][0]["text"] = "1 2 3 4\n".into();
    write_log(&log, &changed);
    let out = replay(&log);
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out.stderr);
    assert!(
        said.contains("wc.json: replay diverged") && said.contains("clock period"),
        "{said}"
    );

    // What was written is compared too: the same piece of input, and an end that
    // claims other output.
    let mut claimed = recorded.clone();
    claimed["end"]["stdout"]["bytes"] = 25.into();
    write_log(&log, &claimed);
    let out = replay(&log);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout), "      2       3      14\n");
    let said = text(&out.stderr);
    assert!(
        said.contains("wc.json: replay diverged")
            && said.contains("standard output of 24 bytes")
            && said.contains("recorded 25 bytes"),
        "{said}"
    );

    // Input due at a clock period the job does not ask at.
    let mut moved = recorded.clone();
    let first = moved["input"][0]["clock"].as_u64().unwrap();
    moved["input"][0]["clock"] = (first - 1).into();
    write_log(&log, &moved);
    let said = text(&replay(&log).stderr);
    assert!(
        said.contains("replay diverged") && said.contains(&format!("asks at {first}")),
        "{said}"
    );

    // Input that never comes: the job waits with nothing else to run.
    let mut late = recorded.clone();
    for record in late["input"].as_array_mut().unwrap() {
        let clock = record["clock"].as_u64().unwrap();
        record["clock"] = (clock + 1_000_000).into();
    }
    write_log(&log, &late);
    let said = text(&replay(&log).stderr);
    assert!(said.contains("nothing else to run"), "{said}");

    // The end cut off: the job asks for more than the log holds.
    let mut short = recorded;
    short["input"].as_array_mut().unwrap().pop();
    write_log(&log, &short);
    let said = text(&replay(&log).stderr);
    assert!(said.contains("the log has no more"), "{said}");
}

#[test]
fn a_log_written_by_hand_runs_a_job_without_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (_, log) = recorded_wc(dir.path(), &["a b c\n"]);
    let recorded = read_log(&log);
    // The same job, all input in one piece with its end: written by hand, the
    // clock periods taken from a recorded run.
    let first = recorded["input"][0]["clock"].as_u64().unwrap();
    let second = recorded["input"][1]["clock"].as_u64().unwrap();
    let by_hand = serde_json::json!({
        "format": "cray replay log 1",
        "command": ["run", image("wc.cal")],
        "input": [
            { "clock": first, "text": "a b c\n" },
            { "clock": second, "end": true },
        ],
        "end": recorded["end"],
    });
    let hand = dir.path().join("hand.json");
    write_log(&hand, &by_hand);
    let out = replay(&hand);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "      1       3       6\n");
}

#[test]
fn record_and_replay_are_refused_where_they_mean_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("x.json");
    let restart = cray()
        .args(["restart", "-f", "none.chk", "--record"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(restart.status.code(), Some(2));
    // `cray restart` has no --record: a replay starts the job from the beginning.
    assert!(text(&restart.stderr).contains("unexpected argument '--record'"));
    let resume = cray()
        .args(["run", "--checkpoint-every", "1000", "--checkpoint-dir"])
        .arg(dir.path().join("ck"))
        .arg("--resume")
        .arg("--record")
        .arg(&log)
        .arg(image("wc.cal"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(resume.status.code(), Some(2));
    assert!(text(&resume.stderr).contains("cannot be combined with --resume"));
    std::fs::write(&log, "{\"format\": \"cray replay log 1\"}").unwrap();
    let out = replay(&log);
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out.stderr);
    assert!(
        said.contains("x.json") && said.contains("not a replay log"),
        "{said}"
    );
}
