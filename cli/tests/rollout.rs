//! Checkpoints a COS program asks for itself (F$UROLL, user-requested rollout), and
//! the job's rerun mark (F$NRN, F$RRN) honoured by `run --resume` and `cray batch`.

mod common;

use common::{image, text};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `images/compiled/rollout.abs`: FORTRAN summing a series, rolling itself out
/// half-way (a CAL routine making F$UROLL), then reading from `$IN` how far to go on.
fn rollout_abs() -> PathBuf {
    image("compiled/rollout.abs")
}

/// What the program reads after its rollout, and what it then prints.
const HOW_FAR: &str = "40000\n";
const FIRST_PART: &str = "FIRST PART10.4807282167\n";
const SECOND_PART: &str = "SECOND PART40000 11.173862896853\n";

/// No periodic image falls due in these runs: the rollout is the only one.
const NEVER: &str = "1000000000000";

fn cray(dir: &Path) -> Command {
    let mut command = common::cray();
    command.current_dir(dir).env("XDG_RUNTIME_DIR", dir);
    command
}

/// `cray run --resume --checkpoint-dir ck` of `program` with `extra` options.
fn resumable(dir: &Path, extra: &[&str], program: &Path) -> Command {
    let mut command = cray(dir);
    command
        .args(["run", "--resume", "--checkpoint-dir", "ck"])
        .args(["--checkpoint-every", NEVER])
        .args(extra)
        .arg(program);
    command
}

/// Runs `command` with `input` on its standard input, its standard output and error
/// piped.
fn fed(command: &mut Command, input: &str) -> Output {
    feed(command.stdout(Stdio::piped()), input)
}

/// Runs `command` with `input` on its standard input and its standard error piped
/// (standard output as the caller set it).
fn feed(command: &mut Command, input: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Cycles and state hash from a `--stats-json` file.
fn figures(path: &Path) -> (u64, String) {
    let stats: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    (
        stats["cycles"].as_u64().unwrap(),
        stats["state_hash"].as_str().unwrap().to_string(),
    )
}

/// The images in `dir`/ck.
fn images(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir.join("ck")) else {
        return Vec::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "chk"))
        .collect()
}

fn appending(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
}

#[test]
fn a_fortran_program_that_rolls_itself_out_and_is_killed_resumes_to_its_uninterrupted_end() {
    // Uninterrupted, with a checkpoint directory of its own: the rollout is made and
    // the job goes on.
    let straight = tempfile::tempdir().unwrap();
    let out = fed(
        &mut resumable(straight.path(), &["--stats-json", "s.json"], &rollout_abs()),
        HOW_FAR,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{FIRST_PART}{SECOND_PART}"));
    assert!(text(&out.stderr).contains("F$UROLL: job 1 rolled out to ck/1-"));
    let whole = figures(&straight.path().join("s.json"));

    // Killed once the rollout image exists: it then waits for `$IN`, which the test
    // holds open without writing, so the kill comes after the rollout and before the
    // second part.
    let dir = tempfile::tempdir().unwrap();
    let stdout = dir.path().join("stdout");
    let mut child = resumable(dir.path(), &[], &rollout_abs())
        .stdin(Stdio::piped())
        .stdout(appending(&stdout))
        .stderr(appending(&dir.path().join("stderr")))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while images(dir.path()).is_empty() {
        assert!(Instant::now() < deadline, "no rollout image appeared");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    assert_eq!(child.wait().unwrap().code(), None, "killed by SIGKILL");
    assert_eq!(images(dir.path()).len(), 1);

    // The same command again continues from the rollout: same output (once), clock
    // periods and state hash.
    let mut resumed = resumable(dir.path(), &["--stats-json", "r.json"], &rollout_abs());
    resumed.stdout(appending(&stdout));
    let out = feed(&mut resumed, HOW_FAR);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("continuing job 1 from ck/1-"));
    assert_eq!(
        std::fs::read_to_string(&stdout).unwrap(),
        format!("{FIRST_PART}{SECOND_PART}")
    );
    assert_eq!(figures(&dir.path().join("r.json")), whole);
}

#[test]
fn without_a_checkpoint_directory_the_program_is_told_no_rollout_was_made() {
    let dir = tempfile::tempdir().unwrap();
    let out = fed(cray(dir.path()).arg("run").arg(rollout_abs()), HOW_FAR);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("{FIRST_PART}NO ROLLOUT\n{SECOND_PART}")
    );
}

/// A COS program (CAL) that makes the requests `requests` (octal codes, in order),
/// then spins a while and ends normally.
fn marking(dir: &Path, requests: &[u64]) -> PathBuf {
    spinning(dir, requests, 0o100000)
}

/// [`marking`] with a spin of `turns` turns.
fn spinning(dir: &Path, requests: &[u64], turns: u64) -> PathBuf {
    let mut source =
        String::from("         IDENT     MARK\n         START     MAIN\nMAIN     A1        0\n");
    for code in requests {
        source += &format!("         S0        O'{code:o}\n         EX\n");
    }
    source += &format!("         A1        O'{turns:o}\nSPIN     A1        A1-1\n         A0        A1\n         JAN       SPIN\n         S0        0\n         EX\n         END\n");
    let path = dir.join("mark.cal");
    std::fs::write(&path, source).unwrap();
    path
}

/// F$NRN and F$RRN.
const NRN: u64 = 0o37;
const RRN: u64 = 0o40;

/// Runs `program` resumably until `--max-cycles` stops it without an image of where
/// it stopped, as a crash would.
fn cut_short(dir: &Path, program: &Path) {
    let out = resumable(
        dir,
        &["--personality", "cos", "--max-cycles", "5000"],
        program,
    )
    .stdin(Stdio::null())
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--max-cycles"));
}

#[test]
fn a_job_marked_not_rerunnable_is_not_resumed_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let program = marking(dir.path(), &[NRN]);
    cut_short(dir.path(), &program);
    let note = dir.path().join("ck/not-rerunnable.json");
    let recorded: Value = serde_json::from_str(&std::fs::read_to_string(&note).unwrap()).unwrap();
    assert_eq!(recorded["jid"], 1);
    let clock = recorded["clock"].as_u64().unwrap();
    assert!(clock > 0 && clock < 5000, "{recorded}");

    let refused = resumable(dir.path(), &["--personality", "cos"], &program)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains(&format!(
            "job 1 was marked not rerunnable at clock period {clock}; not restarted; use --force-rerun to run it again from its start"
        )),
        "{}",
        text(&refused.stderr)
    );
    assert!(!dir.path().join("ck/finished.json").exists());

    let forced = resumable(
        dir.path(),
        &["--personality", "cos", "--force-rerun"],
        &program,
    )
    .stdin(Stdio::null())
    .output()
    .unwrap();
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    assert!(text(&forced.stderr).contains("--force-rerun: running it again from its start"));
    assert!(dir.path().join("ck/finished.json").exists());
}

#[test]
fn a_job_that_takes_its_mark_back_is_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let program = marking(dir.path(), &[NRN, RRN]);
    cut_short(dir.path(), &program);
    assert!(!dir.path().join("ck/not-rerunnable.json").exists());
    let out = resumable(dir.path(), &["--personality", "cos"], &program)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn batch_reports_a_job_marked_not_rerunnable_and_does_not_run_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let program = marking(dir.path(), &[NRN]);
    let queue = dir.path().join("queue");
    let submitted = cray(dir.path())
        .args(["batch", "submit"])
        .arg(&queue)
        .args(["--personality", "cos"])
        .arg(&program)
        .output()
        .unwrap();
    assert!(submitted.status.success(), "{}", text(&submitted.stderr));
    // The job's first run, cut short in its own checkpoint directory as a crash of
    // the queue's runner would leave it.
    let job_dir = queue.join("0001");
    let out = cray(&queue)
        .args(["run", "--resume", "--checkpoint-dir", "0001"])
        .args(["--checkpoint-every", NEVER, "--personality", "cos"])
        .args(["--max-cycles", "5000"])
        .arg(&program)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(job_dir.join("not-rerunnable.json").exists());

    let run = cray(dir.path())
        .args(["batch", "run"])
        .arg(&queue)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(
        text(&run.stderr).contains("job 1 was marked not rerunnable at clock period"),
        "{}",
        text(&run.stderr)
    );
    assert!(!job_dir.join("finished.json").exists());
    let status = cray(dir.path())
        .args(["batch", "status"])
        .arg(&queue)
        .output()
        .unwrap();
    assert!(
        text(&status.stdout).contains("marked not rerunnable at clock period"),
        "{}",
        text(&status.stdout)
    );
}

#[test]
fn a_job_marked_not_rerunnable_that_the_runner_stopped_with_an_image_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let program = spinning(dir.path(), &[NRN], 0o77777777);
    let note = dir.path().join("ck/not-rerunnable.json");
    let mut child = resumable(dir.path(), &["--personality", "cos"], &program)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !note.exists() {
        assert!(Instant::now() < deadline, "no note of the mark appeared");
        std::thread::sleep(Duration::from_millis(10));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(child.wait().unwrap().code(), Some(common::STOPPED));
    assert!(!note.exists(), "an image of the stop runs nothing twice");
    assert_eq!(images(dir.path()).len(), 1);

    let out = resumable(dir.path(), &["--personality", "cos"], &program)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("continuing job 1 from ck/1-"));
    assert!(dir.path().join("ck/finished.json").exists());
}

/// A COS program that marks itself not rerunnable, says `MARKED` in its log, and
/// spins a long while.
const MARKED_THEN_SAYS: &str = "         IDENT     MARKED
         START     MAIN
MAIN     S0        O'37
         EX
         S0        4
         S1        ='MARKED'Z
         S2        1
         EX
         A1        O'77777777
SPIN     A1        A1-1
         A0        A1
         JAN       SPIN
         S0        0
         EX
         END
";

/// F$NRN stops the run, so the runner writes its note before the job does anything
/// more: once the job's next message is out, the note is there, and a crash
/// (SIGKILL) from then on leaves a job that `--resume` refuses to run again.
#[test]
fn the_note_of_the_mark_is_written_before_the_job_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("marked.cal");
    std::fs::write(&program, MARKED_THEN_SAYS).unwrap();
    let mut child = resumable(dir.path(), &["--personality", "cos"], &program)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("MARKED") {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the job said nothing"
        );
    }
    let noted = dir.path().join("ck/not-rerunnable.json").exists();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(noted, "the note is written before the job goes on");

    let refused = resumable(dir.path(), &["--personality", "cos"], &program)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(
        text(&refused.stderr).contains("job 1 was marked not rerunnable at clock period"),
        "{}",
        text(&refused.stderr)
    );
}
