//! `cray debug`: stepping, breakpoints, registers, memory and a checkpoint taken at an
//! instruction boundary that restarts exactly.

mod common;

use common::{cray, image, spawn_piped, text};
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

/// Runs `cray debug PROGRAM` in `dir` with `commands` on its standard input.
fn debug(dir: &Path, program: &str, commands: &str) -> Output {
    debug_with(dir, &[image(program).to_str().unwrap()], commands)
}

/// Runs `cray debug ARGS` in `dir` with `commands` on its standard input.
fn debug_with(dir: &Path, args: &[&str], commands: &str) -> Output {
    let mut child = spawn_piped(cray().arg("debug").args(args).current_dir(dir));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(commands.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    out
}

/// Cycles and state hash of a `--stats-json` file.
fn figures(path: &Path) -> (serde_json::Value, serde_json::Value) {
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    (stats["cycles"].clone(), stats["state_hash"].clone())
}

#[test]
fn a_breakpoint_stops_each_pass_of_a_loop_and_a_checkpoint_there_restarts_exactly() {
    let dir = tempfile::tempdir().unwrap();
    // daxpy.cal's first loop: parcel 7 (word 1, parcel d) is the target of its JAN;
    // A1 counts the passes.
    let out = debug(
        dir.path(),
        "daxpy.cal",
        "b 7\nc\nr\nc\nr\nchkpnt here.chk\nq\n",
    );
    let shown = text(&out.stdout);
    assert_eq!(shown.matches("breakpoint at 1d").count(), 3, "{shown}");
    let registers: Vec<&str> = shown.lines().filter(|l| l.starts_with("A0 ")).collect();
    assert_eq!(registers.len(), 2, "{shown}");
    assert!(registers[0].contains("A1 00000000"), "{shown}");
    assert!(registers[1].contains("A1 00000001"), "{shown}");
    assert!(
        shown.contains("checkpointed the job at clock period"),
        "{shown}"
    );
    // Nothing ran to the end: the job's output has not been written.
    assert!(!shown.contains("daxpy checksum"), "{shown}");

    // The image under the debugger: the same registers, and the next pass.
    let again = text(&debug_with(dir.path(), &["-f", "here.chk"], "r\nb 7\nc\nr\nq\n").stdout);
    let registers: Vec<&str> = again.lines().filter(|l| l.starts_with("A0 ")).collect();
    assert_eq!(registers.len(), 2, "{again}");
    assert!(registers[0].contains("A1 00000001"), "{again}");
    assert!(registers[1].contains("A1 00000002"), "{again}");

    let straight = dir.path().join("straight.json");
    let resumed = dir.path().join("resumed.json");
    let run = cray()
        .args(["run", "--stats-json"])
        .arg(&straight)
        .arg(image("daxpy.cal"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    let restart = cray()
        .args(["restart", "-f", "here.chk", "--stats-json"])
        .arg(&resumed)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(restart.status.success(), "{}", text(&restart.stderr));
    assert_eq!(restart.stdout, run.stdout);
    assert_eq!(figures(&resumed), figures(&straight));
}

#[test]
fn steps_count_instructions_and_the_end_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let out = debug(dir.path(), "daxpy.cal", "s 3\nr\ndis 0 2\nc\nr\n");
    let shown = text(&out.stdout);
    assert!(shown.contains("instructions 3"), "{shown}");
    // After three instructions P is at the fourth, 1b (A4).
    assert!(shown.contains("P=1b"), "{shown}");
    assert!(shown.contains("      0a 022100         A1 0"), "{shown}");
    assert!(
        shown.contains("      0b 020200 000044  A2 +O'44"),
        "{shown}"
    );
    assert!(
        shown.contains("daxpy checksum: 4023ba433d2e0000"),
        "{shown}"
    );
    assert!(
        shown.contains("the job ended with exit status 0"),
        "{shown}"
    );
    assert!(shown.contains("pid 1 is gone"), "{shown}");
}

#[test]
fn mistakes_are_said_and_the_loop_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let out = debug(
        dir.path(),
        "hello.cal",
        "bogus\npid 9\nv 8\nx 077777777\nd 5\nb zz\nr\n",
    );
    let shown = text(&out.stdout);
    for expected in [
        "unknown command \"bogus\"",
        "no process 9",
        "v I, with I in 0..7",
        "is outside pid 1's memory",
        "no breakpoint at 1b",
        "`zz` is not a number",
        "pid 1 (hello.cal) Runnable",
    ] {
        assert!(shown.contains(expected), "{expected}: {shown}");
    }
    let refused = cray()
        .args(["debug", "--record", "x.json"])
        .arg(image("hello.cal"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("unexpected argument '--record'"));
}

#[test]
fn ctrl_c_stops_a_continue_and_the_loop_asks_again() {
    use std::io::{BufRead, BufReader, Read};
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_piped(
        cray()
            .arg("debug")
            .arg(image("spin.cal"))
            .current_dir(dir.path()),
    );
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("pid 1 clock 0"), "{first}");
    let mut commands = child.stdin.take().unwrap();
    commands.write_all(b"c\n").unwrap();
    commands.flush().unwrap();
    // spin runs for seconds; it is well inside its loop by now.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let interrupt = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupt.success());
    commands.write_all(b"r\nq\n").unwrap();
    drop(commands);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{rest}");
    assert!(rest.contains("interrupted"), "{rest}");
    assert!(rest.contains("pid 1 (spin.cal) Runnable"), "{rest}");
    assert!(!rest.contains("spin done"), "{rest}");
}

#[test]
fn every_address_form_it_prints_is_taken_back() {
    let dir = tempfile::tempdir().unwrap();
    // daxpy.cal: 0d and 1b are two-parcel instructions, 2a follows 1d.
    let out = debug(
        dir.path(),
        "daxpy.cal",
        "b 2a\nb 010\nb 8\nb\nd 2a\nb\ndis 1b 2\nb 1c\nb 0d\nx 0200 1\nx 128 1\nx 2a\nb 9a\nq\n",
    );
    let shown = text(&out.stdout);
    // The printed form, octal with a leading 0 and decimal name the same parcel.
    assert_eq!(shown.matches("breakpoint at 2a\n").count(), 3, "{shown}");
    assert!(shown.contains("breakpoints: 2a\n"), "{shown}");
    assert!(shown.contains("breakpoints: none\n"), "{shown}");
    assert!(
        shown.contains("      1b 020401 103240  A4 O'303240\n      1d 071121"),
        "{shown}"
    );
    assert!(
        shown.contains("1c is the second parcel of the instruction at 1b (1b 020401 103240  A4 O'303240): a breakpoint goes on the first parcel of an instruction (1b, or the next one: 1d 071121"),
        "{shown}"
    );
    assert!(shown.contains("breakpoint at 0d\n"), "{shown}");
    // Word addresses print with a leading 0 and read back as octal.
    assert_eq!(shown.matches("    0200: ").count(), 2, "{shown}");
    assert!(
        shown.contains("`2a` is a parcel address; x takes a word address"),
        "{shown}"
    );
    assert!(shown.contains("`9a` is not a parcel address"), "{shown}");
}

/// The registers (`r`) shown after `commands` on daxpy.
fn registers_after(commands: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let shown = text(&debug(dir.path(), "daxpy.cal", commands).stdout);
    let at = shown
        .find("pid 1 (daxpy.cal)")
        .unwrap_or_else(|| panic!("{shown}"));
    shown[at..].to_string()
}

#[test]
fn many_steps_run_exactly_that_many_instructions_with_or_without_breakpoints() {
    // In batches (no breakpoint) and one at a time (a breakpoint daxpy never
    // returns to): the same instruction, clock and registers.
    let batched = registers_after("s 1000000\nr\nq\n");
    let single = registers_after("b 0\ns 1000000\nr\nq\n");
    assert!(batched.contains("instructions 1000000\n"), "{batched}");
    assert_eq!(batched, single);
    // Steps in several commands end where one command ends.
    assert_eq!(registers_after("s 999999\ns\nr\nq\n"), batched);
}

#[test]
fn a_step_stops_at_a_breakpoint() {
    let dir = tempfile::tempdir().unwrap();
    let shown = text(&debug(dir.path(), "daxpy.cal", "b 1d\ns 1000\nr\nq\n").stdout);
    assert!(shown.contains("breakpoint at 1d\npid 1 clock"), "{shown}");
    assert!(shown.contains("P=1d "), "{shown}");
    assert!(!shown.contains("instructions 1000\n"), "{shown}");
}
