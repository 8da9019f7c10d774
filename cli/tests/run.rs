//! `cray run`, `cray restart`, `cray chkpnt`, `cray inspect`, `cray diff`: the
//! sample programs, determinism, and every way of taking a checkpoint.

mod common;

use common::{cray, image, text, STOPPED};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn run_with_input(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = cray()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cray starts");
    // A program that never reads may end before its input is written.
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait_with_output().expect("cray ends")
}

fn stats(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("stats written")).expect("json")
}

/// Runs `program` with `--stats-json` into `dir`; its output and its figures.
fn run_with_stats(dir: &Path, program: &str) -> (Output, Value) {
    let json = dir.join(format!("{program}.json"));
    let out = cray()
        .args([
            "run",
            "--stats-json",
            json.to_str().unwrap(),
            image(program).to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{program}: {}", text(&out.stderr));
    (out, stats(&json))
}

/// Runs `cray` with `args` and requires it to stop the job checkpointed (`--stop-at`):
/// exit status 75, "stopped, resumable".
fn stopped(args: &[&str]) -> Output {
    let out = cray().args(args).output().expect("cray runs");
    assert_eq!(
        out.status.code(),
        Some(STOPPED),
        "cray {args:?}: {}",
        text(&out.stderr)
    );
    out
}

/// Runs `cray` with `args` and requires success, showing its stderr otherwise.
fn succeed(args: &[&str]) -> Output {
    let out = cray().args(args).output().expect("cray runs");
    assert!(out.status.success(), "cray {args:?}: {}", text(&out.stderr));
    out
}

#[test]
fn sample_programs_print_what_they_should() {
    let cases: [(&str, &[u8], &str); 5] = [
        ("cat.cal", b"line one\nline two\n", "line one\nline two\n"),
        ("wc.cal", b"a b  c\nd\n\n", "      3       4      10\n"),
        ("forkwait.cal", b"", "forkwait: child status: 7\n"),
        ("pipeline.cal", b"", "hello through a pipe\n"),
        ("daxpy.cal", b"", "daxpy checksum: 4023ba433d2e0000\n"),
    ];
    for (program, input, expected) in cases {
        let out = run_with_input(&["run", image(program).to_str().unwrap()], input);
        assert!(out.status.success(), "{program}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), expected, "{program}");
    }
}

#[test]
fn two_runs_give_identical_cycles_output_and_state_hash() {
    let dir = tempfile::tempdir().unwrap();
    for program in ["wc.cal", "forkwait.cal", "pipeline.cal", "daxpy.cal"] {
        let mut seen = Vec::new();
        for round in 0..2 {
            let json = dir.path().join(format!("{program}.{round}.json"));
            let out = run_with_input(
                &[
                    "run",
                    "--stats-json",
                    json.to_str().unwrap(),
                    image(program).to_str().unwrap(),
                ],
                b"some input\nmore\n",
            );
            assert!(out.status.success());
            let s = stats(&json);
            seen.push((
                s["cycles"].clone(),
                s["instructions"].clone(),
                s["state_hash"].clone(),
                out.stdout,
            ));
        }
        assert_eq!(seen[0], seen[1], "{program}");
    }
}

#[test]
fn stats_json_has_the_documented_fields() {
    let dir = tempfile::tempdir().unwrap();
    let (_, s) = run_with_stats(dir.path(), "forkwait.cal");
    for field in [
        "cycles",
        "instructions",
        "exit_status",
        "state_hash",
        "pid",
        "jid",
        "wall_seconds",
        "hpm",
    ] {
        assert!(s.get(field).is_some(), "missing {field}: {s}");
    }
    assert_eq!(s["exit_status"], 0);
    assert!(s["cycles"].as_u64().unwrap() > 0);
}

/// Runs `program` with `--stop-at at --checkpoint chk` and the run options `extra`,
/// restarts the image, and checks that the output of the two runs together, the
/// cycles and the state hash are those of the straight run (`straight` and its
/// `--stats-json` figures).
fn stop_and_restart_continue_exactly(
    dir: &Path,
    program: &str,
    at: u64,
    extra: &[&str],
    straight: &Output,
    expected: &Value,
) -> PathBuf {
    let chk = dir.join(format!("at{at}{}.chk", extra.join("")));
    let at_text = at.to_string();
    let program = image(program);
    let mut args = vec![
        "run",
        "--stop-at",
        &at_text,
        "--checkpoint",
        chk.to_str().unwrap(),
    ];
    args.extend(extra);
    args.push(program.to_str().unwrap());
    let first = stopped(&args);
    let resumed_json = chk.with_extension("json");
    let second = succeed(&[
        "restart",
        "-f",
        chk.to_str().unwrap(),
        "--stats-json",
        resumed_json.to_str().unwrap(),
    ]);
    let resumed = stats(&resumed_json);
    let case = format!("checkpoint at {at} {extra:?}");
    assert_eq!(resumed["cycles"], expected["cycles"], "{case}");
    assert_eq!(resumed["state_hash"], expected["state_hash"], "{case}");
    let mut output = first.stdout;
    output.extend_from_slice(&second.stdout);
    assert_eq!(output, straight.stdout, "{case}");
    chk
}

#[test]
fn stop_at_and_restart_continue_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (out, expected) = run_with_stats(dir.path(), "pipeline.cal");
    let total = expected["cycles"].as_u64().unwrap();
    for n in [total / 5, total / 2, total * 4 / 5] {
        stop_and_restart_continue_exactly(dir.path(), "pipeline.cal", n, &[], &out, &expected);
    }
}

/// Whether every memory section of `chk` is stored compressed (and there is one).
fn memory_is_compressed(chk: &Path) -> bool {
    sections_are_compressed(chk, " memory ")
}

/// Whether every section of `chk` whose name holds `kind` is stored compressed (and
/// there is one).
fn sections_are_compressed(chk: &Path, kind: &str) -> bool {
    let shown = succeed(&["inspect", "--json", chk.to_str().unwrap()]);
    let shown: Value = serde_json::from_slice(&shown.stdout).expect("inspect --json");
    let chosen: Vec<&Value> = shown["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .filter(|s| s["name"].as_str().is_some_and(|n| n.contains(kind)))
        .collect();
    assert!(!chosen.is_empty(), "no {kind} section: {shown}");
    chosen.iter().all(|s| s["compressed"] == true)
}

#[test]
fn compressed_checkpoints_are_smaller_and_continue_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (out, expected) = run_with_stats(dir.path(), "daxpy.cal");
    let half = expected["cycles"].as_u64().unwrap() / 2;
    let mut sizes = Vec::new();
    for (compress, extra) in [(false, &[][..]), (true, &["--checkpoint-compress"][..])] {
        let chk = stop_and_restart_continue_exactly(
            dir.path(),
            "daxpy.cal",
            half,
            extra,
            &out,
            &expected,
        );
        assert_eq!(memory_is_compressed(&chk), compress);
        sizes.push(std::fs::metadata(&chk).unwrap().len());
    }
    // daxpy's field is mostly the zeros above its arrays.
    assert!(sizes[1] * 4 < sizes[0], "{sizes:?}");
}

#[test]
fn periodic_checkpoints_are_written_and_each_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let chkdir = dir.path().join("chk");
    std::fs::create_dir(&chkdir).unwrap();
    let out = cray()
        .args([
            "run",
            "--checkpoint-every",
            "200000",
            "--checkpoint-dir",
            chkdir.to_str().unwrap(),
            image("daxpy.cal").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut images: Vec<PathBuf> = std::fs::read_dir(&chkdir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    images.sort();
    // daxpy runs about 2.6 M clock periods with timing on (1 M with it off).
    assert!(images.len() >= 5, "{images:?}");
    let last = cray()
        .args(["restart", "-f", images[images.len() - 1].to_str().unwrap()])
        .output()
        .unwrap();
    assert!(last.status.success());
    assert_eq!(text(&last.stdout), "daxpy checksum: 4023ba433d2e0000\n");
}

#[test]
fn a_program_checkpoints_itself_and_knows_which_side_it_is_on() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    let first = succeed(&[
        "run",
        "--root",
        root,
        image("selfchk.cal").to_str().unwrap(),
    ]);
    assert_eq!(text(&first.stdout), "continue\n");
    let chk = dir.path().join("selfchk.chk");
    let second = succeed(&["restart", "--root", root, "-f", chk.to_str().unwrap()]);
    assert_eq!(text(&second.stdout), "restart \n");
}

#[test]
fn inspect_and_diff_describe_images() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.chk");
    let b = dir.path().join("b.chk");
    for (file, at) in [(&a, "300000"), (&b, "600000")] {
        let out = cray()
            .args([
                "run",
                "--stop-at",
                at,
                "--checkpoint",
                file.to_str().unwrap(),
                image("daxpy.cal").to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(STOPPED), "{}", text(&out.stderr));
    }
    let out = cray()
        .args(["inspect", "--json", a.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["format_version"], "1.3");
    assert_eq!(v["model"], "xmp");
    assert_eq!(v["pids"], serde_json::json!([1]));
    assert_eq!(v["jid"], 1);
    assert!(v["cycle"].as_u64().unwrap() >= 300000);
    let out = cray()
        .args(["inspect", a.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(text(&out.stdout).contains("pid 1"));
    let same = cray()
        .args(["diff", a.to_str().unwrap(), a.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(same.status.code(), Some(0));
    let diff = cray()
        .args(["diff", a.to_str().unwrap(), b.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(diff.status.code(), Some(1));
    let report = text(&diff.stdout);
    assert!(report.contains("taken at clock period"), "{report}");
    assert!(report.contains("pid 1: A1 "), "{report}");
    assert!(report.contains("memory words differ"), "{report}");
}

#[test]
fn corrupted_and_truncated_images_are_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let chk = dir.path().join("x.chk");
    cray()
        .args([
            "run",
            "--stop-at",
            "100",
            "--checkpoint",
            chk.to_str().unwrap(),
            image("forkwait.cal").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let good = std::fs::read(&chk).unwrap();
    let mut bad = good.clone();
    let middle = bad.len() / 2;
    bad[middle] ^= 0x10;
    let corrupt = dir.path().join("corrupt.chk");
    std::fs::write(&corrupt, &bad).unwrap();
    let out = cray()
        .args(["restart", "-f", corrupt.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let message = text(&out.stderr);
    assert!(
        message.contains("corrupt.chk") && message.contains("checksum"),
        "{message}"
    );
    let truncated = dir.path().join("short.chk");
    std::fs::write(&truncated, &good[..good.len() - 100]).unwrap();
    let out = cray()
        .args(["restart", "-f", truncated.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("short.chk"));
    let mut bumped = good.clone();
    bumped[8] = 9; // major version
    let future = dir.path().join("future.chk");
    std::fs::write(&future, &bumped).unwrap();
    let out = cray()
        .args(["restart", "-f", future.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("version"),
        "{}",
        text(&out.stderr)
    );
}

/// The image a signal made `cray run` write into `dir`.
fn written_image(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "chk"))
        .expect("an image was written")
}

/// Restarting an image of spin.cal runs it to its end.
fn restart_finishes_the_spin(image: &Path) {
    let resumed = succeed(&["restart", "-f", image.to_str().unwrap()]);
    assert_eq!(text(&resumed.stdout), "spin done\n");
}

/// Starts `cray run` on the spin program and waits until its control socket answers.
fn spinning(dir: &Path) -> (std::process::Child, u32) {
    let child = cray()
        .args([
            "run",
            "--root",
            dir.to_str().unwrap(),
            image("spin.cal").to_str().unwrap(),
        ])
        .current_dir(dir)
        .env("XDG_RUNTIME_DIR", dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let id = child.id();
    let socket = dir.join("cray").join(format!("{id}.sock"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !socket.exists() {
        assert!(Instant::now() < deadline, "no control socket");
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, id)
}

#[test]
fn chkpnt_from_the_command_line_kills_and_restart_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let (child, id) = spinning(dir.path());
    let ps = cray()
        .arg("ps")
        .env("XDG_RUNTIME_DIR", dir.path())
        .output()
        .unwrap();
    let listing = text(&ps.stdout);
    assert!(
        listing.contains(&id.to_string()) && listing.contains("spin.cal"),
        "{listing}"
    );
    let chk = dir.path().join("spin.chk");
    let out = cray()
        .args(["chkpnt", "-j", "1", "-f", chk.to_str().unwrap(), "-k"])
        .env("XDG_RUNTIME_DIR", dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ended = child.wait_with_output().unwrap();
    assert_eq!(ended.status.code(), Some(128 + 9), "killed with SIGKILL");
    let perms = std::fs::metadata(dir.path().join("cray")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(perms.permissions().mode() & 0o777, 0o700);
    restart_finishes_the_spin(&chk);
}

#[test]
fn chkpnt_z_compresses_the_image_it_asks_for() {
    let dir = tempfile::tempdir().unwrap();
    let (child, _) = spinning(dir.path());
    let plain = dir.path().join("plain.chk");
    let packed = dir.path().join("packed.chk");
    for (chk, extra) in [(&plain, None), (&packed, Some("-z"))] {
        let mut args = vec!["chkpnt", "-j", "1", "-f", chk.to_str().unwrap()];
        args.extend(extra);
        if chk == &packed {
            args.push("-k");
        }
        let out = cray()
            .args(&args)
            .env("XDG_RUNTIME_DIR", dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let ended = child.wait_with_output().unwrap();
    assert_eq!(ended.status.code(), Some(128 + 9), "killed with SIGKILL");
    assert!(!memory_is_compressed(&plain));
    assert!(memory_is_compressed(&packed));
    restart_finishes_the_spin(&packed);
}

#[test]
fn chkpnt_long_forms_and_the_run_names_of_its_options_work() {
    let dir = tempfile::tempdir().unwrap();
    let (child, _) = spinning(dir.path());
    let process = dir.path().join("process.chk");
    let job = dir.path().join("job.chk");
    for (args, said) in [
        (
            vec![
                "--pid",
                "1",
                "--with-files",
                "--file",
                process.to_str().unwrap(),
            ],
            "checkpointed process 1 to ",
        ),
        (
            vec![
                "--jid",
                "1",
                "--checkpoint-compress",
                "--kill",
                "--file",
                job.to_str().unwrap(),
            ],
            "checkpointed job 1 to ",
        ),
    ] {
        let out = cray()
            .arg("chkpnt")
            .args(&args)
            .env("XDG_RUNTIME_DIR", dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stdout).starts_with(said), "{}", text(&out.stdout));
    }
    let ended = child.wait_with_output().unwrap();
    assert_eq!(ended.status.code(), Some(128 + 9), "killed with SIGKILL");
    assert!(!memory_is_compressed(&process));
    assert!(memory_is_compressed(&job));
}

#[test]
fn sigterm_checkpoints_the_job_and_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let (child, id) = spinning(dir.path());
    let status = Command::new("kill")
        .args(["-TERM", &id.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let ended = child.wait_with_output().unwrap();
    assert_eq!(
        ended.status.code(),
        Some(STOPPED),
        "{}",
        text(&ended.stderr)
    );
    let message = text(&ended.stderr);
    assert!(message.contains("SIGTERM"), "{message}");
    restart_finishes_the_spin(&written_image(dir.path()));
}

/// `cray restart --root ROOT -f CHK [extra...]`.
fn restart_in(root: &Path, chk: &Path, extra: &[&str]) -> Output {
    cray()
        .args([
            "restart",
            "--root",
            root.to_str().unwrap(),
            "-f",
            chk.to_str().unwrap(),
        ])
        .args(extra)
        .output()
        .unwrap()
}

/// Runs readfile.cal in `root` up to clock period 100000 and checkpoints it.
fn readfile_checkpoint(root: &Path, with_files: bool) -> (PathBuf, Vec<u8>) {
    readfile_checkpoint_with(
        root,
        if with_files {
            &["--checkpoint-with-files"]
        } else {
            &[]
        },
    )
}

/// As `readfile_checkpoint`, with the run options `extra`.
fn readfile_checkpoint_with(root: &Path, extra: &[&str]) -> (PathBuf, Vec<u8>) {
    std::fs::write(root.join("data.txt"), "ABCDEFGHrest of the file\n").unwrap();
    let chk = root.join("rf.chk");
    let mut args = vec![
        "run".to_string(),
        "--root".into(),
        root.display().to_string(),
        "--stop-at".into(),
        "100000".into(),
        "--checkpoint".into(),
        chk.display().to_string(),
    ];
    args.extend(extra.iter().map(|option| option.to_string()));
    args.push(image("readfile.cal").display().to_string());
    let out = cray().args(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(STOPPED), "{}", text(&out.stderr));
    (chk, out.stdout)
}

#[test]
fn restart_refuses_when_an_open_file_changed_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (chk, first) = readfile_checkpoint(root, false);
    assert_eq!(text(&first), "ABCDEFGH");
    let restart = |force: bool| restart_in(root, &chk, if force { &["--force"] } else { &[] });
    // Unchanged: the rest of the file follows from the restored offset.
    let out = restart(false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "rest of the file\n");
    // Changed: refused, naming the image and the file.
    std::fs::write(root.join("data.txt"), "ABCDEFGHchanged!\n").unwrap();
    let out = restart(false);
    assert_eq!(out.status.code(), Some(2));
    let message = text(&out.stderr);
    assert!(
        message.contains("rf.chk") && message.contains("data.txt") && message.contains("changed"),
        "{message}"
    );
    assert!(out.stdout.is_empty());
    // Forced: goes on with the file as it is now.
    let out = restart(true);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "changed!\n");
    // Vanished: refused too.
    std::fs::remove_file(root.join("data.txt")).unwrap();
    let out = restart(false);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no longer exists"));
}

#[test]
fn an_image_with_files_recreates_them() {
    for compress in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut options = vec!["--checkpoint-with-files"];
        if compress {
            options.push("--checkpoint-compress");
        }
        let (chk, _) = readfile_checkpoint_with(root, &options);
        assert_eq!(memory_is_compressed(&chk), compress);
        assert_eq!(sections_are_compressed(&chk, " file "), compress);
        std::fs::write(root.join("data.txt"), "something else entirely\n").unwrap();
        let out = restart_in(root, &chk, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "rest of the file\n");
        assert_eq!(
            std::fs::read_to_string(root.join("data.txt")).unwrap(),
            "ABCDEFGHrest of the file\n",
            "compress {compress}"
        );
        std::fs::remove_file(root.join("data.txt")).unwrap();
        let out = restart_in(root, &chk, &[]);
        assert!(out.status.success());
        assert_eq!(text(&out.stdout), "rest of the file\n");
    }
}

#[test]
fn sigusr1_checkpoints_the_job_and_lets_it_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let (child, id) = spinning(dir.path());
    let status = Command::new("kill")
        .args(["-USR1", &id.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let ended = child.wait_with_output().unwrap();
    assert!(ended.status.success(), "{}", text(&ended.stderr));
    assert_eq!(
        text(&ended.stdout),
        "spin done\n",
        "the job went on to its end"
    );
    assert!(text(&ended.stderr).contains("SIGUSR1"));
    restart_finishes_the_spin(&written_image(dir.path()));
}

#[test]
fn exece_runs_a_cos_binary_in_place_of_the_process() {
    let dir = tempfile::tempdir().unwrap();
    let abs = dir.path().join("hello.abs");
    succeed(&[
        "asm",
        image("cos_hello.cal").to_str().unwrap(),
        "--format",
        "cos",
        "-o",
        abs.to_str().unwrap(),
    ]);
    let out = succeed(&[
        "run",
        "--root",
        dir.path().to_str().unwrap(),
        image("execcos.cal").to_str().unwrap(),
    ]);
    assert!(
        text(&out.stderr).contains("Hello from COS"),
        "{}",
        text(&out.stderr)
    );
}

/// Rewrites the image at `chk` with every occurrence of `from` in its sections replaced
/// by `to` (same length, so postcard's length prefixes stay right), sealed with fresh
/// checksums: what a crafted image looks like.
fn rewrite_names(chk: &Path, from: &[u8], to: &[u8]) {
    use cray_chkpnt::{Image, ImageWriter, SectionKind};
    assert_eq!(from.len(), to.len());
    let image = Image::open(chk).unwrap();
    let mut sections = Vec::new();
    for info in &image.sections()[1..] {
        let mut bytes = image.section(info.kind, info.id).unwrap().into_owned();
        for at in 0..bytes.len().saturating_sub(from.len() - 1) {
            if &bytes[at..at + from.len()] == from {
                bytes[at..at + from.len()].copy_from_slice(to);
            }
        }
        sections.push((info.kind, info.id, info.version, bytes));
    }
    let mut writer = ImageWriter::new(image.summary().clone());
    for (kind, id, version, bytes) in sections {
        assert_ne!(kind, SectionKind::Summary);
        writer.add_section(kind, id, version, bytes);
    }
    writer.write_atomic(chk).unwrap();
}

#[test]
fn restart_refuses_an_image_naming_a_file_outside_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let (chk, _) = readfile_checkpoint(&root, true);
    // "data.txt" becomes "../e.txt": the sibling of the root, inside the temporary
    // directory, which a faithful restart would recreate from the carried contents.
    rewrite_names(&chk, b"data.txt", b"../e.txt");
    let out = restart_in(&root, &chk, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let message = text(&out.stderr);
    assert!(
        message.contains("rf.chk")
            && message.contains("../e.txt")
            && message.contains("not inside the root"),
        "{message}"
    );
    assert!(
        !dir.path().join("e.txt").exists(),
        "nothing is written outside the root"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn malformed_run_options_are_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().to_str().unwrap();
    for (args, message) in [
        (
            vec!["--checkpoint-every", "0", "--checkpoint-dir", checkpoints],
            "--checkpoint-every",
        ),
        (
            vec!["--dataset", "FOO"],
            "--dataset FOO: expected NAME=PATH",
        ),
        (vec!["--dataset", "TOOLONGNAME=x"], "1 to 8 characters"),
        (vec!["--dataset", "FT05=in.txt"], "this is a UNICOS program"),
        // Refused before the run, not after it, when its figures would be lost.
        (
            vec!["--stats-json", "/nonexistent/s.json"],
            "--stats-json /nonexistent/s.json: directory /nonexistent does not exist",
        ),
        (
            vec!["--stop-at", "9", "--checkpoint", "no/such/dir/x.chk"],
            "directory no/such/dir does not exist",
        ),
    ] {
        let out = cray()
            .arg("run")
            .args(&args)
            .arg(image("hello.cal"))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(message),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).contains("panicked"));
        assert!(out.stdout.is_empty(), "{args:?} ran the program");
    }
}

#[test]
fn asm_of_a_file_that_is_not_cal_shows_the_first_errors_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("numbers.cal");
    let lines: String = (1..=500).map(|n| format!("{n}\n")).collect();
    std::fs::write(&source, lines).unwrap();
    let out = dir.path().join("numbers.out");
    let result = cray()
        .args(["asm", source.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .output()
        .unwrap();
    // 2, as for any input cray cannot use (INTERFACE.md), and as `cray run` of it.
    assert_eq!(result.status.code(), Some(2));
    let message = text(&result.stderr);
    assert_eq!(message.matches(": error: ").count(), 100, "{message}");
    assert!(
        message.contains("numbers.cal: 500 errors (400 not shown); nothing written"),
        "{message}"
    );
    assert!(!out.exists());
}

/// Opens the directory `d` for reading, computes for a while, exits 0.
const OPEN_DIRECTORY: &str = "         IDENT     OPENDIR
         START     MAIN
MAIN     S1        OARGS
         S0        5
         EX                          ; open(\"d\", O_RDONLY, 0)
         JSN       FAIL
         A1        O'200000
SPIN     A1        A1-1
         A0        A1
         JAN       SPIN
         S1        EXIT0
         S0        1
         EX
FAIL     S1        EXIT1
         S0        1
         EX
OARGS    CON       NAME
         CON       0
         CON       0
NAME     CON       'd'L
         CON       0
EXIT0    CON       0
EXIT1    CON       1
         END
";

#[test]
fn a_job_with_a_directory_open_checkpoints_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("d")).unwrap();
    let source = root.join("opendir.cal");
    std::fs::write(&source, OPEN_DIRECTORY).unwrap();
    let chk = root.join("od.chk");
    stopped(&[
        "run",
        "--root",
        root.to_str().unwrap(),
        "--stop-at",
        "100000",
        "--checkpoint",
        chk.to_str().unwrap(),
        source.to_str().unwrap(),
    ]);
    let out = restart_in(root, &chk, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A file where the directory was is a change like any other.
    std::fs::remove_dir(root.join("d")).unwrap();
    std::fs::write(root.join("d"), "").unwrap();
    let out = restart_in(root, &chk, &[]);
    assert_eq!(out.status.code(), Some(2));
    let message = text(&out.stderr);
    assert!(
        message.contains("it was a directory and is not one now"),
        "{message}"
    );
}

/// `cray run --stats P 2>&1 | head`: the report meets a closed standard error; the
/// command still ends with the job's status instead of panicking.
#[test]
fn a_closed_standard_error_does_not_fail_the_run() {
    let mut child = cray()
        .args(["run", "--stats"])
        .arg(image("hello.cal"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before cray writes its report.
    drop(child.stderr.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{:?}", out.status);
    assert_eq!(text(&out.stdout), "Hello, world!\n");
}
