//! `cray run --resume`: after a crash (SIGKILL), a SIGTERM or a stop, running the same
//! command again continues the job from the newest good checkpoint in its directory and
//! ends exactly as an uninterrupted run; once the job has ended, it is not run again.

mod common;

use common::{image, text};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn cray(dir: &Path) -> Command {
    let mut command = common::cray();
    // The control socket goes to the test's directory, not the user's.
    command.current_dir(dir).env("XDG_RUNTIME_DIR", dir);
    command
}

/// `cray run --resume` of `program` with its checkpoints in `dir`/ck, every `every`
/// clock periods, and `extra` options.
fn resumable(dir: &Path, every: &str, extra: &[&str], program: &str) -> Command {
    resumable_at(dir, every, extra, &image(program))
}

/// [`resumable`] of the program file `program`.
fn resumable_at(dir: &Path, every: &str, extra: &[&str], program: &Path) -> Command {
    let mut command = cray(dir);
    command
        .args(["run", "--resume", "--checkpoint-dir", "ck"])
        .args(["--checkpoint-every", every])
        .args(extra)
        .arg(program);
    command
}

/// `cray ARGS` in `dir` under `ulimit -f BLOCKS` (of 512 bytes, as sh counts them):
/// a checkpoint larger than that fails with EFBIG.
fn limited(dir: &Path, blocks: u32, args: &[&str]) -> Command {
    let mut command = Command::new("sh");
    command
        .current_dir(dir)
        .env("XDG_RUNTIME_DIR", dir)
        .arg("-c")
        .arg(format!("ulimit -f {blocks}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_cray"))
        .args(args);
    command
}

/// Waits (a minute at most) until `ready` holds.
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(Instant::now() < deadline, "waited in vain for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `path`, opened to append to (created if missing), as a job's output is in a log.
fn appending(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
}

/// The lines of `path` equal to `line`.
fn count_lines(path: &Path, line: &str) -> usize {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| *l == line)
        .count()
}

/// ticks.cal, writing "tock" to standard error after each "tick" to standard output.
const TICKS_AND_TOCKS: &str = r"         IDENT     TOCKS
         START     MAIN
MAIN     A2        D'10
OUTER    A1        O'7777777
INNER    A1        A1-1
         A0        A1
         JAN       INNER
         S1        WARGS
         S0        4
         EX
         S1        EARGS
         S0        4
         EX
         A2        A2-1
         A0        A2
         JAN       OUTER
         S1        EXIT0
         S0        1
         EX
WARGS    CON       1
         CON       MSG
         CON       D'5
EARGS    CON       2
         CON       EMSG
         CON       D'5
MSG      CON       X'7469636B0A000000
EMSG     CON       X'746F636B0A000000
EXIT0    CON       0
         END
";

/// Cycles and state hash from a `--stats-json` file.
fn figures(path: &Path) -> (u64, String) {
    let text = std::fs::read_to_string(path).expect("stats written");
    let stats: Value = serde_json::from_str(&text).expect("json");
    (
        stats["cycles"].as_u64().unwrap(),
        stats["state_hash"].as_str().unwrap().to_string(),
    )
}

/// The figures of an uninterrupted run of `program`.
fn uninterrupted(dir: &Path, program: &str) -> (u64, String) {
    let out = cray(dir)
        .args(["run", "--stats-json", "straight.json"])
        .arg(image(program))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    figures(&dir.join("straight.json"))
}

/// The periodic images in `dir`/ck, oldest first.
fn checkpoints(dir: &Path) -> Vec<PathBuf> {
    let mut images: Vec<PathBuf> = std::fs::read_dir(dir.join("ck"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "chk"))
        .collect();
    images.sort();
    images
}

/// Waits until `dir`/ck holds `count` images, then sends `signal` to `child`.
fn signal_after_checkpoints(dir: &Path, child: &mut Child, count: usize, signal: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !dir.join("ck").exists() || checkpoints(dir).len() < count {
        assert!(Instant::now() < deadline, "no checkpoints appeared");
        std::thread::sleep(Duration::from_millis(10));
    }
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Runs the resumable spin again, with `extra` options, to its end and checks it
/// against `straight`.
fn resume_spin_to_the_end(dir: &Path, extra: &[&str], straight: &(u64, String)) -> Output {
    let options = [extra, &["--stats-json", "resumed.json"]].concat();
    let out = resumable(dir, "40000000", &options, "spin.cal")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "spin done\n");
    assert_eq!(&figures(&dir.join("resumed.json")), straight);
    out
}

#[test]
fn a_run_killed_by_a_crash_continues_when_the_command_is_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let straight = uninterrupted(dir, "spin.cal");
    let mut child = resumable(dir, "40000000", &["--checkpoint-keep", "2"], "spin.cal")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    signal_after_checkpoints(dir, &mut child, 2, "-KILL");
    let killed = child.wait_with_output().unwrap();
    assert_eq!(killed.status.code(), None, "killed by SIGKILL");
    assert!(text(&killed.stdout).is_empty());

    let out = resume_spin_to_the_end(dir, &["--checkpoint-keep", "2"], &straight);
    let message = text(&out.stderr);
    assert!(
        message.contains("cray: resume: continuing job 1 from ck/1-"),
        "{message}"
    );
    // --checkpoint-keep 2: the older images went as newer ones were written.
    assert!(checkpoints(dir).len() <= 2, "{:?}", checkpoints(dir));
    let finished: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ck/finished.json")).unwrap())
            .unwrap();
    assert_eq!(finished["exit_status"], 0);
    assert_eq!(finished["clock"].as_u64(), Some(straight.0));

    // The job has ended: the same command again reports it and runs nothing.
    let again = resumable(dir, "40000000", &[], "spin.cal")
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert!(text(&again.stdout).is_empty());
    let message = text(&again.stderr);
    assert!(
        message.contains("already ended at clock period"),
        "{message}"
    );
}

#[test]
fn sigterm_leaves_the_job_where_the_next_run_finds_it() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let straight = uninterrupted(dir, "spin.cal");
    let mut child = resumable(dir, "40000000", &[], "spin.cal")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    signal_after_checkpoints(dir, &mut child, 1, "-TERM");
    let stopped = child.wait_with_output().unwrap();
    assert_eq!(
        stopped.status.code(),
        Some(common::STOPPED),
        "{}",
        text(&stopped.stderr)
    );
    let message = text(&stopped.stderr);
    assert!(
        message.contains("SIGTERM: checkpointed job 1 to ck/1-"),
        "{message}"
    );
    let newest = checkpoints(dir).pop().unwrap();
    assert!(!dir.join("ck/finished.json").exists());

    let out = resume_spin_to_the_end(dir, &[], &straight);
    let message = text(&out.stderr);
    let from = format!(
        "continuing job 1 from ck/{}",
        newest.file_name().unwrap().to_string_lossy()
    );
    assert!(message.contains(&from), "{message}");
}

/// Runs daxpy with checkpoints every 300000 clock periods, and `extra` options, until
/// --max-cycles stops it at 1000000: images at 300001, 600001 and 900001.
fn stopped_daxpy(dir: &Path, extra: &[&str]) -> Vec<PathBuf> {
    let options = [extra, &["--max-cycles", "1000000"]].concat();
    let out = resumable(dir, "300000", &options, "daxpy.cal")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let images = checkpoints(dir);
    assert_eq!(images.len(), 3, "{images:?}");
    images
}

/// Runs the resumable daxpy again, with `extra` options, to its end, checks it against
/// `straight`, and returns what it said on stderr.
fn resume_daxpy_to_the_end(dir: &Path, extra: &[&str], straight: &(u64, String)) -> String {
    let options = [extra, &["--stats-json", "resumed.json"]].concat();
    let out = resumable(dir, "300000", &options, "daxpy.cal")
        .output()
        .unwrap();
    let message = text(&out.stderr);
    assert!(out.status.success(), "{message}");
    assert_eq!(text(&out.stdout), "daxpy checksum: 4023ba433d2e0000\n");
    assert_eq!(&figures(&dir.join("resumed.json")), straight);
    message
}

/// Flips a bit of the byte `back` bytes from the end of `path`.
fn damage(path: &Path, back: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes.len() - back;
    bytes[at] ^= 0x10;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_damaged_newest_checkpoint_is_skipped_for_the_one_before() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let straight = uninterrupted(dir, "daxpy.cal");
    let images = stopped_daxpy(dir, &[]);
    let newest = &images[2];
    damage(
        newest,
        std::fs::metadata(newest).unwrap().len() as usize / 2,
    );
    // What a crash during a checkpoint leaves: the temporary file, never renamed.
    let interrupted = dir.join("ck/.1-000001200003.chk.a1b2c3.tmp");
    std::fs::write(&interrupted, b"half an image").unwrap();
    // And of an output mark.
    let interrupted_mark = dir.join("ck/.1-000001200003.out.d4e5f6.tmp");
    std::fs::write(&interrupted_mark, b"{").unwrap();

    let message = resume_daxpy_to_the_end(dir, &[], &straight);
    assert!(
        message.contains("skipping a damaged checkpoint: ck/1-000000900001.chk"),
        "{message}"
    );
    assert!(message.contains("from ck/1-000000600001.chk"), "{message}");
    assert!(
        message.contains("removed ck/.1-000001200003.chk.a1b2c3.tmp"),
        "{message}"
    );
    assert!(!interrupted.exists());
    assert!(
        message.contains("removed ck/.1-000001200003.out.d4e5f6.tmp"),
        "{message}"
    );
    assert!(!interrupted_mark.exists());
}

#[test]
fn resume_refuses_the_checkpoints_of_another_program() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    stopped_daxpy(dir, &[]);
    let out = resumable(dir, "300000", &[], "hello.cal").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).is_empty(), "hello.cal must not run");
    let message = text(&out.stderr);
    assert!(
        message.contains(
            "ck/1-000000900001.chk: this checkpoint is of a job running daxpy.cal, not hello.cal"
        ),
        "{message}"
    );
}

#[test]
fn resume_is_refused_where_it_means_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let chk = stopped_daxpy(dir, &[]).pop().unwrap();
    let restart = cray(dir)
        .args(["restart", "--resume", "--checkpoint-every", "300000"])
        .args(["--checkpoint-dir", "ck", "-f"])
        .arg(&chk)
        .output()
        .unwrap();
    assert_eq!(restart.status.code(), Some(2));
    // `cray restart` has no --resume: -f names the image itself.
    assert!(text(&restart.stderr).contains("unexpected argument '--resume'"));
    let alone = cray(dir)
        .args(["run", "--resume"])
        .arg(image("hello.cal"))
        .output()
        .unwrap();
    assert_eq!(
        alone.status.code(),
        Some(2),
        "--resume needs a checkpoint directory"
    );
}

#[test]
fn refusing_another_programs_checkpoint_leaves_the_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(dir.join("data.txt"), "ABCDEFGHrest of the file\n").unwrap();
    // readfile.cal reads 8 bytes, then spins before reading the rest: stopped there,
    // with the file's contents carried in each image.
    let options = ["--checkpoint-with-files", "--max-cycles", "100000"];
    let out = resumable(dir, "50000", &options, "readfile.cal")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(!checkpoints(dir).is_empty());
    std::fs::write(dir.join("data.txt"), "the user's new data\n").unwrap();

    let out = resumable(dir, "50000", &[], "hello.cal").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not hello.cal"),
        "{}",
        text(&out.stderr)
    );
    // The refusal came before the restore recreated the file from the image.
    assert_eq!(
        std::fs::read_to_string(dir.join("data.txt")).unwrap(),
        "the user's new data\n"
    );
}

#[test]
fn output_written_after_the_last_checkpoint_is_not_written_twice() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let out = dir.join("out.txt");
    let appending = || {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&out)
            .unwrap()
    };
    let mut child = resumable(dir, "7000000", &[], "ticks.cal")
        .stdout(appending())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    signal_after_checkpoints(dir, &mut child, 3, "-KILL");
    assert_eq!(child.wait().unwrap().code(), None, "killed by SIGKILL");
    // Whatever the job wrote after its newest checkpoint, it wrote one more tick
    // before the crash: that tick will be written again.
    let mark: Value = serde_json::from_str(
        &std::fs::read_to_string(checkpoints(dir).last().unwrap().with_extension("out")).unwrap(),
    )
    .unwrap();
    let mark = &mark["stdout"];
    assert_eq!(
        mark["path"].as_str().map(PathBuf::from),
        Some(std::fs::canonicalize(&out).unwrap()),
        "{mark}"
    );
    std::io::Write::write_all(&mut appending(), b"tick\n").unwrap();
    let written = std::fs::metadata(&out).unwrap().len();
    assert!(written > mark["bytes"].as_u64().unwrap());

    let again = resumable(dir, "7000000", &[], "ticks.cal")
        .stdout(appending())
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", text(&again.stderr));
    let said = text(&again.stderr);
    assert!(
        said.contains(&format!(
            "standard output cut back from {written} to {} bytes",
            mark["bytes"]
        )),
        "{said}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "tick\n".repeat(10));
}

/// What `cray inspect --json` says of `image`.
fn inspected(dir: &Path, image: &Path) -> Value {
    let out = cray(dir)
        .args(["inspect", "--json"])
        .arg(image)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The parent an image names, as `cray inspect --json` shows it (null for a full image).
fn parent_of(dir: &Path, image: &Path) -> Value {
    inspected(dir, image)["parent"]["file"].clone()
}

#[test]
fn incremental_checkpoints_restart_exactly_and_pruning_keeps_what_they_build_on() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let straight = uninterrupted(dir, "daxpy.cal");
    // Images at 300001, 600001, ..., 2700001: full, incremental, full, ... (every
    // second one full); the newest two kept, with the image the older one builds on.
    let options = [
        "--checkpoint-incremental",
        "--checkpoint-full-every",
        "2",
        "--checkpoint-keep",
        "2",
        "--stats-json",
        "costs.json",
    ];
    let out = resumable(dir, "300000", &options, "daxpy.cal")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    // What each checkpoint cost, as the stats say.
    let stats: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("costs.json")).unwrap()).unwrap();
    let costs = stats["checkpoint_costs"].as_array().unwrap();
    assert_eq!(costs.len(), 9, "{costs:?}");
    for (i, cost) in costs.iter().enumerate() {
        assert_eq!(cost["incremental"], i % 2 == 1, "{cost}");
        assert_eq!(cost["clock"].as_u64().unwrap() / 100000, 3 * (i as u64 + 1));
        assert!(cost["seconds"].as_f64().unwrap() >= 0.0);
    }
    let names: Vec<String> = checkpoints(dir)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let clocks: Vec<&str> = names.iter().map(|n| &n[2..9]).collect();
    assert_eq!(clocks, ["0000021", "0000024", "0000027"], "{names:?}");
    let images = checkpoints(dir);
    assert_eq!(parent_of(dir, &images[0]), Value::Null);
    assert_eq!(parent_of(dir, &images[1]), names[0].as_str());
    assert_eq!(parent_of(dir, &images[2]), Value::Null);
    // Only the pages of daxpy's y array it stored into since the image before (48 of
    // its field's 399 under the present timing model).
    let delta = &inspected(dir, &images[1])["sections"][4];
    assert_eq!(delta["name"], "#4 memory-delta 1");
    assert_eq!(delta["field_pages"], 399);
    let stored = delta["pages_stored"].as_u64().unwrap();
    assert!((1..100).contains(&stored), "{delta}");
    let size = |p: &Path| std::fs::metadata(p).unwrap().len();
    for (cost, image) in costs[6..].iter().zip(&images) {
        assert_eq!(cost["bytes"].as_u64(), Some(size(image)), "{cost}");
    }
    assert!(
        size(&images[1]) * 4 < size(&images[0]),
        "incremental {} bytes, full {}",
        size(&images[1]),
        size(&images[0])
    );

    // Restarted from the incremental image, the job ends as a straight run.
    let out = cray(dir)
        .args(["restart", "--stats-json", "restarted.json", "-f"])
        .arg(&images[1])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "daxpy checksum: 4023ba433d2e0000\n");
    assert_eq!(figures(&dir.join("restarted.json")), straight);

    // Without its parent it cannot, and says which file is missing.
    std::fs::remove_file(&images[0]).unwrap();
    let out = cray(dir)
        .args(["restart", "-f"])
        .arg(&images[1])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let message = text(&out.stderr);
    let missing = format!("builds on {}, which cannot be read", images[0].display());
    assert!(message.contains(&missing), "{message}");
    // Inspect still shows the image, and what it builds on, and says what is wrong.
    let out = cray(dir).arg("inspect").arg(&images[1]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let shown = text(&out.stdout);
    let parent = format!("incremental: builds on {}", names[0]);
    assert!(shown.contains(&parent), "{shown}");
    assert!(shown.contains("memory and state hash unknown"), "{shown}");
    assert!(
        text(&out.stderr).contains(&missing),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_crashed_job_continues_from_the_end_of_its_chain_or_before_a_damaged_link() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let straight = uninterrupted(dir, "daxpy.cal");
    let images = stopped_daxpy(dir, &["--checkpoint-incremental"]);
    assert_eq!(parent_of(dir, &images[2]), "1-000000600001.chk");
    assert_eq!(parent_of(dir, &images[1]), "1-000000300001.chk");

    // The middle link is damaged: the newest image cannot be put together, nor the
    // middle one; the job continues from the full image before them.
    damage(&images[1], 1);
    let message = resume_daxpy_to_the_end(dir, &["--checkpoint-incremental"], &straight);
    assert!(
        message.contains(
            "skipping a damaged checkpoint: ck/1-000000900001.chk: an image it builds on is damaged: ck/1-000000600001.chk"
        ),
        "{message}"
    );
    assert!(message.contains("from ck/1-000000300001.chk"), "{message}");
}

#[test]
fn a_job_continued_from_a_chain_builds_its_next_images_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let then = stopped_daxpy(dir, &["--checkpoint-incremental"]);

    let second = ["--checkpoint-incremental", "--max-cycles", "1400000"];
    let out = resumable(dir, "300000", &second, "daxpy.cal")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let now = checkpoints(dir);
    assert_eq!(now.len(), 4, "{now:?}");
    let newest_before = then[2].file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(parent_of(dir, &now[3]), newest_before.as_str());

    // And continued from there, through four images, it ends as a straight run.
    let straight = uninterrupted(dir, "daxpy.cal");
    let message = resume_daxpy_to_the_end(dir, &["--checkpoint-incremental"], &straight);
    let from = now[3].file_name().unwrap().to_string_lossy().into_owned();
    assert!(message.contains(&format!("from ck/{from}")), "{message}");
}

#[test]
fn a_job_killed_before_its_first_checkpoint_writes_its_output_and_errors_once() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let program = dir.join("tocks.cal");
    std::fs::write(&program, TICKS_AND_TOCKS).unwrap();
    let (out, err) = (dir.join("out.txt"), dir.join("err.txt"));
    // No image is ever taken: the crash comes before the first.
    let every = "1000000000000";
    let mut child = resumable_at(dir, every, &[], &program)
        .stdout(appending(&out))
        .stderr(appending(&err))
        .spawn()
        .unwrap();
    wait_until("two ticks", || {
        count_lines(&out, "tick") >= 2 || child.try_wait().unwrap().is_some()
    });
    assert!(
        child.try_wait().unwrap().is_none(),
        "{}",
        std::fs::read_to_string(&err).unwrap()
    );
    child.kill().unwrap();
    assert_eq!(child.wait().unwrap().code(), None, "killed by SIGKILL");
    assert!(checkpoints(dir).is_empty());

    let again = resumable_at(dir, every, &[], &program)
        .stdout(appending(&out))
        .stderr(appending(&err))
        .status()
        .unwrap();
    assert!(
        again.success(),
        "{}",
        std::fs::read_to_string(&err).unwrap()
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "tick\n".repeat(10));
    let said = std::fs::read_to_string(&err).unwrap();
    assert_eq!(count_lines(&err, "tock"), 10, "{said}");
    assert!(
        said.contains("standard output cut back from ")
            && said.contains("its length when the job started"),
        "{said}"
    );
}

/// Starts a resumable `ticks.cal` run in `dir` appending to `out`, and waits until it
/// holds the checkpoint directory's lock; returns it and its pid as the lock file says.
fn first_runner_holding_the_lock(dir: &Path, out: &Path) -> (std::process::Child, String) {
    let first = resumable(dir, "7000000", &[], "ticks.cal")
        .stdout(appending(out))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = first.id().to_string();
    let lock = dir.join("ck/.lock");
    wait_until("the first runner's lock", || {
        // The lock file holds "PID HOST".
        std::fs::read_to_string(&lock)
            .is_ok_and(|t| t.split_whitespace().next() == Some(pid.as_str()))
    });
    (first, pid)
}

#[test]
fn a_second_runner_on_one_directory_is_refused_naming_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let out = dir.join("out.txt");
    let (mut first, pid) = first_runner_holding_the_lock(dir, &out);
    let second = resumable(dir, "7000000", &[], "ticks.cal")
        .stdout(appending(&out))
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    let said = text(&second.stderr);
    assert!(
        said.contains(&format!(
            "ck: this checkpoint directory is in use by another runner, pid {pid}"
        )),
        "{said}"
    );
    assert!(first.wait().unwrap().success());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "tick\n".repeat(10));
}

#[test]
fn a_second_runner_told_to_wait_for_the_lock_goes_on_after_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let out = dir.join("out.txt");
    let (mut first, pid) = first_runner_holding_the_lock(dir, &out);
    let second = resumable(dir, "7000000", &["--wait-for-lock"], "ticks.cal")
        .stdout(appending(&out))
        .output()
        .unwrap();
    assert!(first.wait().unwrap().success());
    // The second run waited for the first, then found the job ended: it says so and
    // takes its exit status, and the output is there once.
    assert_eq!(second.status.code(), Some(0));
    let said = text(&second.stderr);
    assert!(
        said.contains(&format!(
            "ck: this checkpoint directory is in use by another runner, pid {pid}"
        )) && said.contains("waiting for it"),
        "{said}"
    );
    assert!(said.contains("already ended at clock period"), "{said}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "tick\n".repeat(10));
}

#[test]
fn an_older_image_under_the_newest_ones_name_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let straight = uninterrupted(dir, "daxpy.cal");
    let images = stopped_daxpy(dir, &[]);
    std::fs::copy(&images[0], &images[2]).unwrap();
    let message = resume_daxpy_to_the_end(dir, &[], &straight);
    assert!(
        message.contains(
            "skipping ck/1-000000900001.chk: the image is of job 1 at clock period 300001, not of job 1 at clock period 900001 as its name says"
        ),
        "{message}"
    );
    assert!(message.contains("from ck/1-000000600001.chk"), "{message}");
}

#[test]
fn standard_output_that_is_another_file_now_is_not_cut_back() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut child = resumable(dir, "7000000", &[], "ticks.cal")
        .stdout(appending(&dir.join("first.log")))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    signal_after_checkpoints(dir, &mut child, 3, "-KILL");
    let _ = child.wait();
    // An unrelated log, longer than anything ticks.cal writes.
    let other = dir.join("other.log");
    let unrelated = "an unrelated line of some other program's log\n".repeat(3);
    std::fs::write(&other, &unrelated).unwrap();

    let again = resumable(dir, "7000000", &[], "ticks.cal")
        .stdout(appending(&other))
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", text(&again.stderr));
    let now = std::fs::read_to_string(&other).unwrap();
    assert!(now.starts_with(&unrelated), "{now:?}");
    let said = text(&again.stderr);
    assert!(
        said.contains("standard output is ")
            && said.contains("other.log now, not ")
            && said.contains("first.log, its file when ck/1-"),
        "{said}"
    );
}

#[test]
fn failed_periodic_checkpoints_are_reported_and_the_job_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let straight = uninterrupted(dir, "daxpy.cal");
    stopped_daxpy(dir, &[]);
    // daxpy's images are 1.6 MB: under `ulimit -f 200` (100 KiB) every new one fails.
    let args = [
        "run",
        "--resume",
        "--checkpoint-dir",
        "ck",
        "--checkpoint-every",
        "300000",
        "--stats-json",
        "resumed.json",
    ];
    let out = limited(dir, 200, &args)
        .arg(image("daxpy.cal"))
        .output()
        .unwrap();
    let said = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert_eq!(text(&out.stdout), "daxpy checksum: 4023ba433d2e0000\n");
    assert_eq!(figures(&dir.join("resumed.json")), straight);
    assert!(
        said.contains(
            "cray: checkpoint failed: ck/1-000001200001.chk: writing failed: File too large"
        ) && said.contains("the newest image, ck/1-000000900001.chk, is kept")
            && said.contains("the job goes on and tries again at clock period 1500000"),
        "{said}"
    );
    assert!(!said.contains("there was no previous image"), "{said}");
    let stats: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("resumed.json")).unwrap()).unwrap();
    let costs = stats["checkpoint_costs"].as_array().unwrap();
    assert!(!costs.is_empty());
    for cost in costs {
        let error = cost["error"].as_str().unwrap_or_default();
        assert!(error.contains("File too large"), "{cost}");
    }
    assert_eq!(stats["checkpoints"].as_array().map(Vec::len), Some(0));
    // No temporary image, no mark without its image.
    let mut left: Vec<String> = std::fs::read_dir(dir.join("ck"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            ".lock",
            "1-000000300001.chk",
            "1-000000600001.chk",
            "1-000000900001.chk",
            "finished.json"
        ]
    );
}

/// Starts `command`, with its output piped, and waits until its control socket is
/// there: its signal handlers are in place.
fn started_with_socket(dir: &Path, command: &mut Command) -> (Child, PathBuf) {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let socket = dir.join("cray").join(format!("{}.sock", child.id()));
    wait_until("the control socket", || socket.exists());
    (child, socket)
}

/// Sends `signal` (`-USR1`, ...) to `child`.
fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_failed_sigusr1_checkpoint_is_reported_and_the_job_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // spin.cal's image is 34 KB: more than `ulimit -f 20` (10 KiB) allows.
    let (child, _) = started_with_socket(dir, limited(dir, 20, &["run"]).arg(image("spin.cal")));
    signal(&child, "-USR1");
    let out = child.wait_with_output().unwrap();
    let said = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert_eq!(text(&out.stdout), "spin done\n");
    assert!(
        said.contains("cray: SIGUSR1: checkpoint failed: cray-1-")
            && said.contains("File too large")
            && said.contains("the job goes on"),
        "{said}"
    );
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains(".chk"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn sigint_sighup_and_sigquit_checkpoint_and_stop_a_resumable_job() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let straight = uninterrupted(dir, "spin.cal");
    for (name, every) in [
        ("INT", "40000000"),
        ("HUP", "45000000"),
        ("QUIT", "50000000"),
    ] {
        let (child, socket) = started_with_socket(dir, &mut resumable(dir, every, &[], "spin.cal"));
        signal(&child, &format!("-{name}"));
        let out = child.wait_with_output().unwrap();
        let said = text(&out.stderr);
        assert_eq!(out.status.code(), Some(common::STOPPED), "{name}: {said}");
        assert!(
            said.contains(&format!("cray: SIG{name}: checkpointed job 1 to ck/1-")),
            "{said}"
        );
        assert!(!socket.exists(), "SIG{name} left {}", socket.display());
    }
    resume_spin_to_the_end(dir, &[], &straight);
}

#[test]
fn sigint_sighup_and_sigquit_end_a_job_without_a_checkpoint_directory() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    for (name, number) in [("INT", 2), ("HUP", 1), ("QUIT", 3)] {
        let (child, socket) = started_with_socket(dir, cray(dir).arg("run").arg(image("spin.cal")));
        signal(&child, &format!("-{name}"));
        let out = child.wait_with_output().unwrap();
        let said = text(&out.stderr);
        assert_eq!(out.status.code(), Some(128 + number), "{name}: {said}");
        assert!(
            said.contains(&format!("cray: SIG{name}: job 1 ended")),
            "{said}"
        );
        assert!(!socket.exists(), "SIG{name} left {}", socket.display());
    }
    let images: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".chk"))
        .collect();
    assert!(images.is_empty(), "{images:?}");
}

#[test]
fn a_checkpoint_that_cannot_be_renamed_into_place_is_tried_again_next_period() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // A directory where the first image is to go: its rename fails (as root too).
    std::fs::create_dir_all(dir.join("ck/1-000000300001.chk")).unwrap();
    let out = cray(dir)
        .args([
            "run",
            "--checkpoint-dir",
            "ck",
            "--checkpoint-every",
            "300000",
        ])
        .args(["--stats-json", "stats.json"])
        .arg(image("daxpy.cal"))
        .output()
        .unwrap();
    let said = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert_eq!(text(&out.stdout), "daxpy checksum: 4023ba433d2e0000\n");
    assert!(
        said.contains("cray: checkpoint failed: ck/1-000000300001.chk: ")
            && said.contains("ck holds no image of job 1 yet")
            && said.contains("tries again at clock period 600000"),
        "{said}"
    );
    // The next period's image was written.
    assert!(dir.join("ck/1-000000600001.chk").is_file());
    let stats: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("stats.json")).unwrap()).unwrap();
    let costs = stats["checkpoint_costs"].as_array().unwrap();
    assert!(costs[0]["error"].as_str().is_some(), "{}", costs[0]);
    assert_eq!(costs[1]["error"], Value::Null, "{}", costs[1]);
    // No temporary file is left.
    let temporary = std::fs::read_dir(dir.join("ck"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|name| name.ends_with(".tmp"));
    assert_eq!(temporary, None);
}

/// A job whose end cannot be recorded (here `finished.json` is a directory when it
/// ends) says that it ended and what the next run does (exit status 2: not done);
/// the next run continues it from its newest image and ends it as a run straight
/// through.
#[test]
fn a_job_whose_end_cannot_be_recorded_says_so_and_the_next_run_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    let straight = uninterrupted(dir.path(), "spin.cal");
    let child = resumable(dir.path(), "40000000", &[], "spin.cal")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("the first checkpoint", || {
        dir.path().join("ck").exists() && !checkpoints(dir.path()).is_empty()
    });
    let finished = dir.path().join("ck/finished.json");
    std::fs::create_dir_all(finished.join("in-the-way")).unwrap();
    let out = child.wait_with_output().unwrap();
    let said = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    let ended = format!(
        "resume: job 1 ended at clock period {} with exit status 0, but its end could not be recorded",
        straight.0
    );
    assert!(
        said.contains(&ended)
            && said.contains("running the command again continues it from its newest image in ck"),
        "{said}"
    );
    std::fs::remove_dir_all(&finished).unwrap();
    let out = resume_spin_to_the_end(dir.path(), &[], &straight);
    assert!(text(&out.stderr).contains("continuing job 1 from"));
}
