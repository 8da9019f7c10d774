//! What a hostile user or guest can give `cray` must end at once with a message, never
//! hang it, exhaust it or destroy a file: devices, FIFOs and huge files as inputs,
//! links and devices as outputs, an output naming its own source, a guest that
//! restarts itself to escape `--max-cycles`.

mod common;

use common::{cray, image, text};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Longest a command may take before it counts as hung (each needs milliseconds).
const WATCHDOG: Duration = Duration::from_secs(60);

/// Runs `command` with no input; a command still running after [`WATCHDOG`] is
/// killed and the test fails.
fn finished(command: &mut Command) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > WATCHDOG {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!(
                "{command:?} still running after {WATCHDOG:?}; stderr: {}",
                text(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Asserts that `output` is cray's own failure (status 2) with one short message that
/// contains every one of `words`.
fn refused(output: &Output, words: &[&str]) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.len() < 2000, "{} bytes on stderr", stderr.len());
    for word in words {
        assert!(stderr.contains(word), "{word:?} not in: {stderr}");
    }
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success());
}

#[test]
fn devices_are_refused_at_once_as_programs_sources_and_images() {
    for args in [
        &["run", "/dev/zero"][..],
        &["run", "--personality", "cos", "/dev/zero"],
        &["asm", "-o", "/dev/null", "/dev/zero"],
        &["dis", "/dev/zero"],
        &["dis", "--raw", "/dev/zero"],
        &["restart", "-f", "/dev/zero"],
        &["inspect", "/dev/zero"],
        &["run", "/tmp"],
    ] {
        let output = finished(cray().args(args));
        refused(&output, &[args[args.len() - 1], "not a regular file"]);
    }
}

#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("prog.cal");
    mkfifo(&fifo);
    let image_fifo = dir.path().join("image.chk");
    mkfifo(&image_fifo);
    let fifo = fifo.to_str().unwrap();
    let image_fifo = image_fifo.to_str().unwrap();
    for args in [
        &["run", fifo][..],
        &["asm", fifo, "-o", "x.out"],
        &["dis", fifo],
        &["restart", "-f", image_fifo],
        &["inspect", image_fifo],
    ] {
        let output = finished(cray().current_dir(dir.path()).args(args));
        refused(&output, &["a FIFO"]);
    }
}

#[test]
fn a_guest_opening_a_fifo_under_the_root_gets_an_error_at_once() {
    let dir = tempfile::tempdir().unwrap();
    // readfile.cal opens data.txt and exits 1 when the open fails; no one writes.
    mkfifo(&dir.path().join("data.txt"));
    let output = finished(
        cray()
            .arg("run")
            .arg("--root")
            .arg(dir.path())
            .arg(image("readfile.cal")),
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "");
}

#[test]
fn files_too_long_for_their_format_are_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    // Sparse files: a gibibyte each, nothing on disk.
    let source = dir.path().join("huge.cal");
    std::fs::File::create(&source)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let binary = dir.path().join("huge.out");
    std::fs::File::create(&binary)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    refused(
        &finished(cray().arg("asm").arg(&source)),
        &["huge.cal", "longer than a CAL source can be"],
    );
    refused(
        &finished(cray().arg("run").arg(&source)),
        &["longer than a CAL source can be"],
    );
    refused(
        &finished(cray().arg("run").arg(&binary)),
        &["huge.out", "longer than a program can be"],
    );
    refused(
        &finished(cray().arg("dis").arg(&binary)),
        &["longer than a program can be"],
    );
}

#[test]
fn a_megabyte_line_is_quoted_only_in_part() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("nul.cal");
    std::fs::write(&source, vec![0u8; 1 << 20]).unwrap();
    let output = finished(cray().arg("asm").arg(&source));
    refused(&output, &["nul.cal:1:1", "a CAL line holds at most 1024"]);
}

#[test]
fn asm_refuses_to_write_over_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("hello.cal");
    std::fs::copy(image("hello.cal"), &source).unwrap();
    let before = std::fs::read(&source).unwrap();
    let link = dir.path().join("other-name.cal");
    std::fs::hard_link(&source, &link).unwrap();
    for output in ["hello.cal", "./hello.cal", "other-name.cal"] {
        let ran = finished(
            cray()
                .current_dir(dir.path())
                .args(["asm", "hello.cal", "-o", output]),
        );
        refused(&ran, &[output, "names the source"]);
        let ran = finished(
            cray()
                .current_dir(dir.path())
                .args(["asm", "hello.cal", "-l", output]),
        );
        refused(&ran, &["names the source"]);
    }
    assert_eq!(std::fs::read(&source).unwrap(), before);
}

#[test]
fn an_empty_source_has_nothing_to_assemble() {
    let dir = tempfile::tempdir().unwrap();
    for (name, contents) in [
        ("empty.cal", ""),
        (
            "comments.cal",
            "* only a comment\n\n         ; and another\n",
        ),
    ] {
        let source = dir.path().join(name);
        std::fs::write(&source, contents).unwrap();
        let out = dir.path().join("x.out");
        refused(
            &finished(cray().arg("asm").arg(&source).arg("-o").arg(&out)),
            &[name, "nothing to assemble"],
        );
        assert!(!out.exists());
        refused(
            &finished(cray().arg("run").arg(&source)),
            &["nothing to assemble"],
        );
    }
}

#[test]
fn a_character_device_is_written_into_and_stays_a_device() {
    use std::os::unix::fs::FileTypeExt;
    let ran = finished(cray().args([
        "run",
        "--record",
        "/dev/null",
        "--stats-json",
        "/dev/null",
        image("hello.cal").to_str().unwrap(),
    ]));
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    let null = std::fs::symlink_metadata("/dev/null").unwrap();
    assert!(null.file_type().is_char_device());
}

#[test]
fn a_symbolic_link_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let pointed = dir.path().join("pointed");
    std::fs::write(&pointed, b"kept").unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&pointed, &link).unwrap();
    let hello = image("hello.cal");
    let hello = hello.to_str().unwrap();
    let link_name = link.to_str().unwrap();
    for args in [
        &["run", "--record", link_name, hello][..],
        &["run", "--stats-json", link_name, hello],
        &["run", "--stop-at", "10", "--checkpoint", link_name, hello],
        &["asm", hello, "-o", link_name],
    ] {
        let ran = finished(cray().args(args));
        refused(&ran, &[link_name, "a symbolic link"]);
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&pointed).unwrap(), b"kept");
    }
}

/// A job that checkpoints itself, then restarts from that image, forever: each
/// restart sets the clock back to the checkpoint's.
const RESTARTS_ITSELF: &str = "         IDENT     LOOP
         START     MAIN
MAIN     S1        CARGS
         S0        D'200
         EX
AGAIN    S1        RARGS
         S0        D'201
         EX
         J         AGAIN
CARGS    CON       1
         CON       0
         CON       NAME
         CON       0
RARGS    CON       NAME
         CON       0
NAME     CON       'loop.chk'
         CON       0
         END
";

#[test]
fn a_guest_restarting_itself_cannot_escape_max_cycles() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("loop.cal"), RESTARTS_ITSELF).unwrap();
    let ran =
        finished(
            cray()
                .current_dir(dir.path())
                .args(["run", "--max-cycles", "20000", "loop.cal"]),
        );
    refused(&ran, &["--max-cycles 20000"]);
}

/// `restart(NAME, 0)`, then `exit(errno)`.
fn restart_then_exit_with_errno(name: &str) -> String {
    format!(
        "         IDENT     RESTERR
         START     MAIN
MAIN     S1        RARGS
         S0        D'201
         EX
         XARGS,0   S0
         S1        XARGS
         S0        1
         EX
RARGS    CON       NAME
         CON       0
XARGS    CON       0
NAME     DATA      '{name}'
         CON       0
         END
"
    )
}

#[test]
fn a_failed_guest_restart_gives_the_errno_of_its_cause_and_says_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("junk.chk"), b"not an image at all").unwrap();
    for (name, errno) in [("nosuch.chk", 2), ("junk.chk", 22)] {
        let program = dir.path().join("resterr.cal");
        std::fs::write(&program, restart_then_exit_with_errno(name)).unwrap();
        let ran = finished(cray().current_dir(dir.path()).args(["run", "resterr.cal"]));
        assert_eq!(
            ran.status.code(),
            Some(errno),
            "{name}: {}",
            text(&ran.stderr)
        );
        assert_eq!(text(&ran.stderr), "", "{name}");
    }
}
