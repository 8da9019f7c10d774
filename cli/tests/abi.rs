//! The system-call ABI seen by CAL programs written against INTERFACE.md alone
//! (images/abi/*.cal): every call, the sandbox, the limits and the error paths. Each
//! program checks itself and prints `ok NAME` or `FAIL NAME got .. want ..` (octal);
//! here each must exit 0 and print exactly its list of `ok` lines.

mod common;

use common::{cray, text};
use std::path::{Path, PathBuf};
use std::process::Output;

fn program(name: &str) -> PathBuf {
    common::image("abi").join(name)
}

/// Runs `images/abi/NAME.cal` in `root` with `extra` options before the program.
fn run_in(root: &Path, name: &str, extra: &[&str]) -> Output {
    cray()
        .arg("run")
        .arg("--root")
        .arg(root)
        .args(extra)
        .arg(program(&format!("{name}.cal")))
        .output()
        .expect("cray runs")
}

/// Asserts that the program passed every check and printed exactly `names`.
fn assert_all_ok(name: &str, out: &Output, names: &[&str]) {
    let stdout = text(&out.stdout);
    let failures: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert!(
        failures.is_empty(),
        "{name}: {failures:#?}\n{}",
        text(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out.stderr));
    let expected: String = names.iter().map(|n| format!("ok {n}\n")).collect();
    assert_eq!(stdout, expected, "{name}");
}

/// Runs NAME in a fresh empty root and checks it.
fn check_in_empty_root(name: &str, names: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), name, &[]);
    assert_all_ok(name, &out, names);
    out
}

#[test]
fn exit_fork_wait_and_ids() {
    check_in_empty_root("procs", PROCS);
}

#[test]
fn open_close_read_write_lseek_dup_unlink() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), "files", &[]);
    assert_all_ok("files", &out, FILES);
    // What the program left behind: f1 rewritten through O_RDWR, f2 unlinked.
    assert_eq!(std::fs::read(dir.path().join("f1")).unwrap(), b"12cXY");
    assert_eq!(std::fs::read(dir.path().join("f3")).unwrap(), b"def");
    assert!(!dir.path().join("f2").exists());
}

#[test]
fn signals_kill_and_pipes() {
    check_in_empty_root("signals", SIGNALS);
}

#[test]
fn pipes_under_load() {
    check_in_empty_root("pipes", PIPES);
}

#[test]
fn brk_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), "memtime", &["--epoch", "3000000"]);
    assert_all_ok("memtime", &out, MEMTIME);
}

#[test]
fn time_follows_the_epoch_option() {
    // The same program with another epoch sees another time, and says so.
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), "memtime", &["--epoch", "2999999"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let failures: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert_eq!(
        failures,
        [
            "FAIL time-epoch got 0000000000000013343277 want 0000000000000013343300",
            "FAIL time-again got 0000000000000013343277 want 0000000000000013343300",
        ]
    );
}

/// A CAL line: location, result and operand fields in columns 1, 10 and 20.
fn line(location: &str, result: &str, operand: &str) -> String {
    format!("{location:<8} {result:<9} {operand}\n")
}

/// Runs a small CAL program: the `body` lines, then exit(STATUS).
fn run_exit_program(dir: &Path, body: &[String], status: &str) -> Output {
    let mut source =
        line("", "IDENT", "X") + &line("", "START", "MAIN") + &line("MAIN", "PASS", "");
    for l in body {
        source += l;
    }
    source += &(line("", "S1", "ARGS") + &line("", "S0", "1") + &line("", "EX", ""));
    source += &(line("ARGS", "CON", status) + &line("", "END", ""));
    let path = dir.join("x.cal");
    std::fs::write(&path, source).unwrap();
    cray().arg("run").arg(&path).output().unwrap()
}

#[test]
fn cray_exits_with_the_low_8_bits_of_the_status_or_128_plus_the_signal() {
    let dir = tempfile::tempdir().unwrap();
    for (status, code) in [
        ("0", 0),
        ("7", 7),
        ("D'255", 255),
        ("D'256", 0),
        ("D'263", 7),
    ] {
        let out = run_exit_program(dir.path(), &[], status);
        assert_eq!(
            out.status.code(),
            Some(code),
            "exit({status}): {}",
            text(&out.stderr)
        );
    }
    // kill(getpid(), SIGKILL) and kill(getpid(), SIGTERM): 128 + the signal.
    for (signal, code) in [("D'9", 137), ("D'15", 143)] {
        let body = [
            line("", "S0", "D'20"),
            line("", "EX", ""),
            line("", "KARGS,0", "S1"),
            line("", "S1", signal),
            line("", "KARGS+1,0", "S1"),
            line("", "S1", "KARGS"),
            line("", "S0", "D'37"),
            line("", "EX", ""),
            line("", "J", "OUT"),
            line("KARGS", "BSS", "2"),
            line("OUT", "PASS", ""),
        ];
        let out = run_exit_program(dir.path(), &body, "0");
        assert_eq!(
            out.status.code(),
            Some(code),
            "kill(self, {signal}): {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn hardware_errors_end_children_with_signal_statuses() {
    let out = check_in_empty_root("faults", FAULTS);
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 5, "{stderr}");
    let expected = [
        ("pid 2: error exit at P=", "SIGILL (4)"),
        ("pid 3: error exit at P=", "SIGILL (4)"),
        ("pid 4: operand range error at P=", "SIGSEGV (11)"),
        (
            "pid 5: program range error at P=77777770 (17777776a)",
            "SIGSEGV (11)",
        ),
        ("pid 6: operand range error at P=", "SIGSEGV (11)"),
    ];
    for (line, (start, end)) in lines.iter().zip(expected) {
        assert!(line.starts_with(&format!("cray: {start}")), "{line}");
        assert!(line.ends_with(&format!("killed with {end}")), "{line}");
    }
    assert!(
        lines[1].contains("001412 (undefined instruction)"),
        "{stderr}"
    );
    // The word of P is octal, as P is: P=277 is word 57, parcel d.
    assert!(lines[0].contains("P=277 (57d): 000000 ERR"), "{stderr}");
}

#[test]
fn file_corners() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("d")).unwrap();
    let out = run_in(dir.path(), "edges", &[]);
    assert_all_ok("edges", &out, EDGES);
    // The file unlinked while open went away with its last descriptor.
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["d", "e1"]);
}

#[test]
fn open_file_and_process_limits() {
    check_in_empty_root("limits", LIMITS);
}

#[cfg(unix)]
#[test]
fn the_sandbox_keeps_names_inside_the_root() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("inside.txt"), b"inside\n").unwrap();
    std::fs::write(root.join("sub/f.txt"), b"f\n").unwrap();
    symlink("/etc/passwd", root.join("out")).unwrap();
    symlink("..", root.join("outdir")).unwrap();
    symlink("inside.txt", root.join("in")).unwrap();
    symlink("/nonexistent/x", root.join("dangle")).unwrap();
    symlink("../..", root.join("sub/up")).unwrap();
    let out = run_in(&root, "sandbox", &[]);
    assert_all_ok("sandbox", &out, SANDBOX);
    assert!(!dir.path().join("escaped").exists());
    assert!(root.join("created").exists());
}

#[test]
fn exece_passes_arguments_and_keeps_descriptors() {
    let dir = tempfile::tempdir().unwrap();
    let assembled = cray()
        .arg("asm")
        .arg(program("argecho.cal"))
        .arg("-o")
        .arg(dir.path().join("argecho"))
        .output()
        .unwrap();
    assert!(assembled.status.success(), "{}", text(&assembled.stderr));
    let out = run_in(dir.path(), "exece", &[]);
    assert_all_ok("exece", &out, EXECE);
    assert_eq!(std::fs::read(dir.path().join("inherit")).unwrap(), b"alpha");
}

#[test]
fn a_failing_check_fails_the_program() {
    // The harness itself: argecho run directly (argc 1) must report FAILs and exit 1.
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), "argecho", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout)
        .contains("FAIL exec-argc got 0000000000000000000001 want 0000000000000000000003\n"));
}

#[test]
fn the_programs_are_deterministic() {
    let mut seen = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("stats.json");
        let out = run_in(
            dir.path(),
            "signals",
            &["--stats-json", json.to_str().unwrap()],
        );
        let stats: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        seen.push((
            out.stdout,
            stats["cycles"].clone(),
            stats["state_hash"].clone(),
        ));
    }
    assert_eq!(seen[0], seen[1]);
}

const PROCS: &[&str] = &[
    "getppid-errno",
    "wait-errno",
    "exit-0",
    "exit-7",
    "wait-returns-pid",
    "exit-255",
    "exit-256",
    "exit-1007",
    "fork-errno",
    "fork-pid-above-parent",
    "child-getpid",
    "pipe-errno",
    "wnohang-errno",
    "wnohang-running",
    "waitpid-returns-pid",
    "waitpid-status",
    "waitpid-second",
    "wait-null-errno",
    "wait-null-first",
    "wait-echild",
    "wait-echild-result",
    "waitpid-echild",
    "waitpid-not-child",
    "unknown-call-enosys",
    "unknown-call-result",
    "args-outside-field-efault",
    "status-outside-field-efault",
    "child-kept-after-efault",
    "chkpnt-bad-kind-einval",
    "chkpnt-no-process-esrch",
    "chkpnt-unknown-flag-einval",
    "restart-unknown-flag-einval",
];

const FILES: &[&str] = &[
    "creat-errno",
    "creat-fd-3",
    "write-10",
    "write-0-errno",
    "write-0",
    "read-wronly-ebadf",
    "close",
    "close-result",
    "close-twice-ebadf",
    "close-twice-result",
    "open-rdonly-fd-3",
    "read-4",
    "read-4-bytes",
    "read-0-errno",
    "read-0",
    "read-short-6",
    "read-short-bytes",
    "read-eof-errno",
    "read-eof",
    "write-rdonly-ebadf",
    "lseek-set",
    "lseek-set-read",
    "lseek-cur",
    "lseek-end",
    "lseek-end-minus-1",
    "lseek-negative-einval",
    "lseek-unchanged",
    "lseek-whence-einval",
    "lseek-ebadf",
    "read-ebadf",
    "write-ebadf",
    "read-efault",
    "dup-errno",
    "dup-fd-4",
    "dup-shared-read",
    "dup-shared-offset",
    "dup-survives-close",
    "dup-closed-ebadf",
    "write-byte-offset",
    "read-byte-offset",
    "byte-offset-bytes",
    "open-path-byte-offset",
    "read-across-words",
    "read-across-words-0",
    "read-across-words-1",
    "excl-eexist",
    "excl-new",
    "trunc-errno",
    "trunc-size-0",
    "append-errno",
    "append-write",
    "append-size",
    "rdwr-errno",
    "rdwr-read",
    "rdwr-bytes",
    "open-mode-3-einval",
    "open-enoent",
    "unlink",
    "unlink-enoent",
    "open-unlinked-enoent",
    "creat-no-dir-enoent",
];

const SIGNALS: &[&str] = &[
    "signal-errno",
    "signal-previous-default",
    "kill-self-errno",
    "handler-entered",
    "handler-b00",
    "handler-sees-s0-saved",
    "signal-previous-handler",
    "kill-ignored",
    "ignored-not-entered",
    "signal-previous-ignore",
    "catch-sigkill-einval",
    "ignore-sigkill-einval",
    "signal-0-einval",
    "signal-32-einval",
    "sigcld-default-ignored",
    "kill-probe",
    "kill-esrch",
    "kill-bad-signal-einval",
    "kill-child",
    "sigterm-default-status",
    "ignored-child-alive",
    "sigkill-status",
    "caught-then-read",
    "handler-mid-loop",
    "pipe-write",
    "pipe-read",
    "pipe-bytes",
    "pipe-eof-errno",
    "pipe-eof",
    "sigpipe-default-status",
    "sigpipe-ignored-epipe",
];

const MEMTIME: &[&str] = &[
    "brk-0-errno",
    "brk-grow-errno",
    "brk-grow-result",
    "brk-0-after-grow",
    "brk-new-zero",
    "brk-new-writable",
    "brk-shrink",
    "brk-regrown-zero",
    "brk-enomem",
    "brk-enomem-result",
    "brk-unchanged-after-enomem",
    "brk-at-limit",
    "brk-below-image-einval",
    "time-errno",
    "time-epoch",
    "time-again",
    "rt-advances",
    "rt-nonzero",
];

const FAULTS: &[&str] = &[
    "err-sigill",
    "undefined-sigill",
    "operand-range-sigsegv",
    "program-range-sigsegv",
    "store-range-sigsegv",
    "all-reaped",
];

const EDGES: &[&str] = &[
    "fork-shares-offset",
    "write-past-end-size",
    "hole-read",
    "hole-zeros",
    "pipe-read-0-errno",
    "pipe-read-0-empty",
    "pipe-lseek-espipe",
    "dup-write-end",
    "dup-write-end-read",
    "eof-after-dup-closed-errno",
    "eof-after-dup-closed",
    "open-gets-fd-0",
    "open-dir-write-eisdir",
    "open-dir-read",
    "read-dir-eisdir",
    "through-file-enotdir",
    "kill-job-errno",
    "kill-job-self",
    "unlink-open-file",
    "unlinked-name-gone",
    "read-after-unlink",
    "read-after-unlink-bytes",
    "write-after-unlink",
    "name-free-again",
    "kill-zombie",
    "kill-reaped-esrch",
];

const LIMITS: &[&str] = &[
    "open-emfile",
    "opens-before-emfile",
    "dup-emfile",
    "close-last",
    "pipe-needs-two-emfile",
    "pipe-after-close",
    "pipe-fds-lowest",
    "fork-eagain",
    "fork-eagain-result",
    "children-before-eagain",
    "all-children-reaped",
    "children-exit-0",
    "fork-again-after-reaping",
];

const SANDBOX: &[&str] = &[
    "inside",
    "dot-inside",
    "sub-dotdot-inside",
    "sub-file",
    "link-inside",
    "link-inside-read",
    "link-inside-bytes",
    "dotdot-eacces",
    "absolute-eacces",
    "sub-dotdot-dotdot-eacces",
    "link-out-eacces",
    "link-dir-out-eacces",
    "link-up-eacces",
    "creat-dangling-eacces",
    "creat-outside-eacces",
    "creat-via-link-eacces",
    "unlink-outside-eacces",
    "creat-inside",
    "missing-enoent",
    "empty-name-enoent",
];

const EXECE: &[&str] = &[
    "exece-enoent",
    "exece-enoexec",
    "exece-outside-eacces",
    "exece-absolute-eacces",
    "exec-argc",
    "exec-argv0",
    "exec-argv1",
    "exec-argv2-word0",
    "exec-argv2-word1",
    "exec-argv-ends",
    "exec-envp0",
    "exec-envp-ends",
    "exec-ignored-stays",
    "exec-caught-reset",
    "exec-fd-inherited",
    "exece-child-status",
    "exece-fd-written",
];

const PIPES: &[&str] = &[
    "pipe-bulk-total",
    "pipe-bulk-writer",
    "blocked-writer-sigpipe",
];
