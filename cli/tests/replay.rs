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

/// Replays `log` from checkpoint image `image`.
fn replay_from(image: &Path, log: &Path) -> Output {
    cray()
        .args(["replay", "--from"])
        .arg(image)
        .arg(log)
        .current_dir(log.parent().unwrap())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Spins `SPIN_COUNT` times round a three-instruction loop, then copies standard
/// input to standard output as cat.cal does: a job that reads its input late.
/// Instructions before the read: 1 + 3 * SPIN_COUNT, then S1 and S0; the read
/// blocks (the first EX) and is issued again once the input came, so the read that
/// takes the input is instruction 3 * SPIN_COUNT + 5.
const SLOW_CAT: &str = "
         IDENT     SLOWCAT
         START     MAIN
MAIN     A1        O'1777777
SPIN     A1        A1-1
         A0        A1
         JAN       SPIN
CAT      S1        RARGS
         S0        3
READ     EX
         JSN       FAIL
         S0        S1
         JSZ       DONE
         WARGS+2,0 S1
         S1        WARGS
         S0        4
         EX
         JSN       FAIL
         J         CAT
DONE     S1        EXIT0
         S0        1
         EX
FAIL     S1        EXIT1
         S0        1
         EX
RARGS    CON       0
         CON       BUF
         CON       O'10000
WARGS    CON       1
         CON       BUF
         CON       0
EXIT0    CON       0
EXIT1    CON       1
BUF      BSS       O'1000
         END
";

/// `O'1777777`, the loop count of [`SLOW_CAT`].
const SPIN_COUNT: u64 = 0o1777777;

/// Records [`SLOW_CAT`] in `dir` with all of `input` on its standard input.
fn recorded_slow_cat(dir: &Path, input: &str, extra: &[&str]) -> std::path::PathBuf {
    std::fs::write(dir.join("slowcat.cal"), SLOW_CAT).unwrap();
    let log = dir.join("slowcat.json");
    let mut child = spawn_piped(
        cray()
            .args(["run", "--record"])
            .arg(&log)
            .args(extra)
            .arg("slowcat.cal")
            .current_dir(dir),
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), input);
    log
}

#[test]
fn an_edited_input_is_named_at_the_instruction_that_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let (recorded, log) = recorded_wc(dir.path(), &["hello\n"]);
    assert_eq!(text(&recorded.stdout), "      1       1       6\n");
    let mut edited = read_log(&log);
    assert_eq!(edited["format"], "cray replay log 2");
    let clock = edited["input"][0]["clock"].as_u64().unwrap();
    edited["input"][0]["text"] = "hellp\n".into();
    write_log(&log, &edited);
    let out = replay(&log);
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out.stderr);
    assert!(
        said.contains(&format!(
            "replay diverged: the input at clock period {clock} is not what the recorded run was given"
        )) && said.contains(&format!(
            "first instruction whose result differs: clock period {clock}, instruction"
        )) && said.contains("EX"),
        "{said}"
    );
    // The read wrote the bytes into the buffer and returned their count in S1.
    assert!(
        said.contains("  S1: ") && said.contains("  memory 0"),
        "{said}"
    );
}

#[test]
fn an_edited_input_is_seen_at_the_end_even_without_the_checks() {
    // What the state hash alone says: the job's memory at its exit differs, though
    // its output, clock periods and instructions are the same.
    let dir = tempfile::tempdir().unwrap();
    let (_, log) = recorded_wc(dir.path(), &["hello\n"]);
    let mut edited = read_log(&log);
    edited["format"] = "cray replay log 1".into();
    edited["checks"] = serde_json::json!([]);
    for record in edited["input"].as_array_mut().unwrap() {
        let record = record.as_object_mut().unwrap();
        record.remove("state");
        record.remove("digest");
    }
    let as_recorded = replay(&log);
    write_log(&log, &edited);
    let same = replay(&log);
    assert!(same.status.success(), "{}", text(&same.stderr));
    edited["input"][0]["text"] = "hellp\n".into();
    write_log(&log, &edited);
    let out = replay(&log);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(out.stdout, as_recorded.stdout);
    let said = text(&out.stderr);
    assert!(
        said.contains("replay diverged: the job ended with state hash")
            && !said.contains("clock periods ")
            && !said.contains("standard output"),
        "{said}"
    );
}

#[test]
fn a_divergence_planted_deep_in_a_long_run_is_named_at_its_instruction() {
    let dir = tempfile::tempdir().unwrap();
    let log = recorded_slow_cat(dir.path(), "hello\n", &[]);
    let mut planted = read_log(&log);
    let checks = planted["checks"].as_array().unwrap().len();
    assert!(checks > 100, "{checks} checks");
    let clock = planted["input"][0]["clock"].as_u64().unwrap();
    assert!(clock > 1_000_000, "the read comes at clock period {clock}");
    planted["input"][0]["text"] = "hellp\n".into();
    write_log(&log, &planted);
    let out = replay(&log);
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out.stderr);
    let read = 3 * SPIN_COUNT + 5;
    assert!(
        said.contains(&format!(
            "first instruction whose result differs: clock period {clock}, instruction {read}, pid 1, P="
        )) && said.contains("EX"),
        "{said}"
    );
    // The buffer's first word: "hello\n" as recorded, "hellp\n" now.
    let word = u64::from_be_bytes(*b"hellp\n\0\0");
    assert!(said.contains(&format!("-> {word:022o}")), "{said}");
}

/// Opens data.txt and reads its first word into BUF: the open is instruction 3, the
/// read instruction 7.
const PEEK: &str = "
         IDENT     PEEK
         START     MAIN
MAIN     S1        OARGS
         S0        5
         EX
         RARGS,0   S1
         S1        RARGS
         S0        3
         EX
         S1        EXIT0
         S0        1
         EX
OARGS    CON       NAME
         CON       0
         CON       0
NAME     CON       'data.txt'
         CON       0
RARGS    CON       0
         CON       BUF
         CON       8
EXIT0    CON       0
BUF      BSS       1
         END
";

#[test]
fn a_changed_file_is_named_at_the_instruction_with_a_fine_interval() {
    // The file the job reads is not recorded: a replay that meets other contents
    // leaves the recorded run at the read, which a check after every instruction
    // names.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("peek.cal"), PEEK).unwrap();
    std::fs::write(dir.path().join("data.txt"), "12345678").unwrap();
    let log = dir.path().join("peek.json");
    let out = cray()
        .args(["run", "--record"])
        .arg(&log)
        .args(["--record-interval", "1", "peek.cal"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let recorded = read_log(&log);
    assert_eq!(recorded["interval"], 1);
    assert!(replay(&log).status.success());
    std::fs::write(dir.path().join("data.txt"), "12345679").unwrap();
    let out = replay(&log);
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out.stderr);
    assert!(
        said.contains("replay diverged: the check at clock period ")
            && said.contains("first instruction whose result differs: clock period ")
            && said.contains(", instruction 7, pid 1, P=")
            && said.contains("EX"),
        "{said}"
    );
    let word = u64::from_be_bytes(*b"12345679");
    assert!(said.contains(&format!("-> {word:022o}")), "{said}");
}

#[test]
fn a_tampered_hash_is_said_to_be_the_logs_and_not_the_runs() {
    let dir = tempfile::tempdir().unwrap();
    let log = recorded_slow_cat(dir.path(), "abc\n", &[]);
    let mut tampered = read_log(&log);
    let middle = tampered["checks"].as_array().unwrap().len() / 2;
    let at = tampered["checks"][middle]["at"].as_u64().unwrap();
    tampered["checks"][middle]["hash"] = "0123456789abcdef".into();
    write_log(&log, &tampered);
    let out = replay(&log);
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out.stderr);
    assert!(
        said.contains(&format!(
            "the log was altered: the check at clock period {at} "
        )) && said.contains("recorded 0123456789abcdef")
            && said
                .contains("yet the run matches the recording again at the check at clock period"),
        "{said}"
    );
}

#[test]
fn a_replay_from_an_image_checks_the_rest_of_the_run_as_a_full_replay_does() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("ck");
    let ck_arg = ck.display().to_string();
    let log = recorded_slow_cat(
        dir.path(),
        "one\n",
        &["--checkpoint-every", "1000000", "--checkpoint-dir", &ck_arg],
    );
    let full = replay(&log);
    assert!(full.status.success(), "{}", text(&full.stderr));
    let mut images: Vec<_> = std::fs::read_dir(&ck)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "chk"))
        .collect();
    images.sort();
    assert!(images.len() >= 2, "{images:?}");
    let middle = &images[images.len() / 2];
    let from = replay_from(middle, &log);
    assert!(from.status.success(), "{}", text(&from.stderr));
    // The same end, said the same way; the output is the part after the image.
    let ended = |out: &Output| {
        text(&out.stderr)
            .lines()
            .find(|l| l.contains("ended as recorded"))
            .map(str::to_string)
    };
    assert!(ended(&full).is_some());
    assert_eq!(ended(&from), ended(&full));
    assert_eq!(from.stdout, full.stdout);

    // The checks after the image are compared, those before it are not.
    let recorded = read_log(&log);
    let image_clock: u64 = middle
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .rsplit('-')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let checks = recorded["checks"].as_array().unwrap();
    let before = checks
        .iter()
        .rposition(|c| c["at"].as_u64().unwrap() < image_clock)
        .unwrap();
    let after = checks
        .iter()
        .position(|c| c["clock"].as_u64().unwrap() > image_clock + 10_000)
        .unwrap();
    let mut early = recorded.clone();
    early["checks"][before]["hash"] = "0000000000000001".into();
    write_log(&log, &early);
    assert!(replay_from(middle, &log).status.success());
    assert_eq!(replay(&log).status.code(), Some(2));
    let mut late = recorded.clone();
    late["checks"][after]["hash"] = "0000000000000001".into();
    write_log(&log, &late);
    let out = replay_from(middle, &log);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("the log was altered"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_log_of_a_long_run_stays_small() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("spin.json");
    let out = cray()
        .args(["run", "--timing", "off", "--record"])
        .arg(&log)
        .arg(image("spin.cal"))
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let recorded = read_log(&log);
    let cycles = recorded["end"]["cycles"].as_u64().unwrap();
    assert!(cycles > 100_000_000, "{cycles} clock periods");
    let checks = recorded["checks"].as_array().unwrap();
    assert!(
        (1024..=2049).contains(&checks.len()),
        "{} checks",
        checks.len()
    );
    let interval = recorded["interval"].as_u64().unwrap();
    assert!(checks
        .iter()
        .all(|c| c["at"].as_u64().unwrap() % interval == 0));
    let bytes = std::fs::metadata(&log).unwrap().len();
    eprintln!(
        "{cycles} clock periods: {} checks every {interval}, log {bytes} bytes",
        checks.len()
    );
    assert!(bytes < 256 * 1024, "{bytes} bytes");
}
