//! The progress display: `--progress` with standard error redirected writes plain
//! progress lines there and leaves the job's output alone; `--quiet` (and standard
//! error that is not a terminal) shows none; `cray ps` shows the same figures.
mod common;

use common::{cray, image, text};
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

fn run(dir: &Path, extra: &[&str], program: &str, input: &str) -> Output {
    let mut child = cray()
        .arg("run")
        .args(extra)
        .arg(image(program))
        .current_dir(dir)
        .env("XDG_RUNTIME_DIR", dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

fn progress_lines(stderr: &[u8]) -> Vec<String> {
    text(stderr)
        .lines()
        .filter(|line| line.starts_with("cray: progress: "))
        .map(str::to_string)
        .collect()
}

#[test]
fn progress_goes_to_stderr_and_leaves_the_output_alone() {
    let dir = tempfile::tempdir().unwrap();
    for (program, input) in [("daxpy.cal", ""), ("wc.cal", "one two\nthree\n")] {
        let plain = run(dir.path(), &[], program, input);
        assert_eq!(plain.status.code(), Some(0), "{}", text(&plain.stderr));
        assert!(progress_lines(&plain.stderr).is_empty(), "not a terminal");
        let shown = run(dir.path(), &["--progress"], program, input);
        assert_eq!(shown.status.code(), Some(0), "{}", text(&shown.stderr));
        assert_eq!(shown.stdout, plain.stdout, "{program}: the job's output");
        let lines = progress_lines(&shown.stderr);
        assert!(!lines.is_empty(), "{program}: {}", text(&shown.stderr));
        let last = lines.last().unwrap();
        for figure in ["clock periods", "s emulated", "MIPS", "0 checkpoints"] {
            assert!(last.contains(figure), "{last}");
        }
        let quiet = run(dir.path(), &["--quiet"], program, input);
        assert_eq!(quiet.stdout, plain.stdout);
        assert_eq!(quiet.stderr, plain.stderr, "--quiet shows nothing");
    }
}

#[test]
fn progress_reaches_no_guest_state() {
    let dir = tempfile::tempdir().unwrap();
    let figures = |extra: &str, name: &str| {
        let out = run(dir.path(), &[extra, "--stats-json", name], "daxpy.cal", "");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join(name)).unwrap()).unwrap();
        (json["cycles"].clone(), json["state_hash"].clone())
    };
    assert_eq!(
        figures("--progress", "a.json"),
        figures("--quiet", "b.json")
    );
}

#[test]
fn progress_counts_the_checkpoints_and_names_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "--progress",
            "--checkpoint-every",
            "1000000",
            "--checkpoint-dir",
            "ck",
        ],
        "daxpy.cal",
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The directory also holds the output marks and the lock: only images count.
    let images = std::fs::read_dir(dir.path().join("ck"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "chk"))
        .count();
    assert!(images >= 2);
    let lines = progress_lines(&out.stderr);
    let last = lines.last().unwrap();
    assert!(
        last.contains(&format!("{images} checkpoints, last ck/")),
        "{last}"
    );
}

#[test]
fn ps_shows_each_session_s_figures() {
    let dir = tempfile::tempdir().unwrap();
    // wc waits for its input, which this test never closes until the end.
    let mut running = cray()
        .args(["run", "--quiet"])
        .arg(image("wc.cal"))
        .current_dir(dir.path())
        .env("XDG_RUNTIME_DIR", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Other sessions of this user (in the default socket directory, which `ps` also
    // reads) may be listed too: the figures looked for are this runner's.
    let id = running.id().to_string();
    let is_this_runner = |line: &&str| {
        line.contains("clock periods") && line.split_whitespace().next() == Some(id.as_str())
    };
    let asked = Instant::now();
    let figures = loop {
        let out = cray()
            .arg("ps")
            .env("XDG_RUNTIME_DIR", dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let shown = text(&out.stdout);
        if let Some(line) = shown.lines().find(is_this_runner) {
            break line.to_string();
        }
        assert!(
            asked.elapsed() < Duration::from_secs(60),
            "no figures for session {id}: {shown}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        figures.contains("s emulated") && figures.contains("MIPS"),
        "{figures}"
    );
    assert!(figures.contains("0 checkpoints"), "{figures}");
    drop(running.stdin.take());
    let ended = running.wait_with_output().unwrap();
    assert_eq!(ended.status.code(), Some(0), "{}", text(&ended.stderr));
}
