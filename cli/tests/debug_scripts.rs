//! The debugger's scripted tests, in the style of rr's: each `debug_scripts/NAME.run`
//! holds the arguments of `cray debug` on its first line (`#! ARGS`, where `@PATH`
//! names a file under images/) and debugger commands on the rest (lines starting
//! with `#` are comments); `NAME.out` holds the transcript `cray debug` must print.
//! Set CRAY_BLESS=1 to write the transcripts anew (then read them before committing).

mod common;

use common::{cray, image, spawn_piped, text};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The directory of the scripts.
fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/debug_scripts")
}

/// A script: the arguments of `cray debug` and the commands.
struct Script {
    args: Vec<String>,
    commands: String,
}

/// Reads `file`: `#! ARGS` first, commands after.
fn read_script(file: &Path) -> Script {
    let text = std::fs::read_to_string(file).unwrap();
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    let header = first
        .strip_prefix("#!")
        .unwrap_or_else(|| panic!("{}: the first line is `#! ARGS`", file.display()));
    let args = header
        .split_whitespace()
        .map(|arg| match arg.strip_prefix('@') {
            Some(name) => image(name).to_str().unwrap().to_string(),
            None => arg.to_string(),
        })
        .collect();
    let commands: String = lines
        .filter(|line| !line.trim_start().starts_with('#'))
        .map(|line| format!("{line}\n"))
        .collect();
    Script { args, commands }
}

/// What `cray debug` prints running `script` in an empty directory.
fn transcript(script: &Script) -> String {
    let dir = tempfile::tempdir().unwrap();
    let args: Vec<&str> = script.args.iter().map(String::as_str).collect();
    debug_in(dir.path(), &args, &script.commands)
}

#[test]
fn every_script_prints_its_transcript() {
    let bless = std::env::var_os("CRAY_BLESS").is_some();
    let mut runs: Vec<PathBuf> = std::fs::read_dir(scripts())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "run"))
        .collect();
    runs.sort();
    assert!(runs.len() >= 6, "the scripts are missing: {runs:?}");
    let mut failed = Vec::new();
    for run in &runs {
        let shown = transcript(&read_script(run));
        let expected_file = run.with_extension("out");
        if bless {
            std::fs::write(&expected_file, &shown).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_file).unwrap_or_default();
        if shown != expected {
            failed.push(format!(
                "{}:\n--- expected\n{expected}--- shown\n{shown}",
                run.display()
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// Runs `cray debug ARGS` in `dir` with `commands`; its standard output.
fn debug_in(dir: &Path, args: &[&str], commands: &str) -> String {
    let mut child = spawn_piped(cray().arg("debug").args(args).current_dir(dir));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(commands.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// The bytes of `dir/name`.
fn bytes(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap()
}

#[test]
fn a_point_reached_backward_is_the_point_reached_forward_to_the_byte() {
    // spin.cal over several snapshot intervals (2^22 clock periods): the image of the
    // job at instruction 3000000 taken going forward, after going back to it from
    // further on, and after going further back and forward to it again.
    let dir = tempfile::tempdir().unwrap();
    let spin = image("spin.cal");
    let shown = debug_in(
        dir.path(),
        &[spin.to_str().unwrap()],
        "s 3000000\nchkpnt forward.chk\ns 1000000\ngoto instruction 3000000\nchkpnt back.chk\nrs 2000000\ngoto instruction 3000000\nchkpnt again.chk\nsnapshots\n",
    );
    assert!(shown.contains("3 snapshots from instruction 0"), "{shown}");
    let forward = bytes(dir.path(), "forward.chk");
    assert_eq!(forward, bytes(dir.path(), "back.chk"));
    assert_eq!(forward, bytes(dir.path(), "again.chk"));

    // timeline.cal after its fork, signal and own checkpoint, reached back from its end.
    let timeline = image("debug/timeline.cal");
    debug_in(
        dir.path(),
        &[timeline.to_str().unwrap()],
        "s 67\nchkpnt forward.chk\nc\ngoto instruction 67\nchkpnt back.chk\n",
    );
    assert_eq!(
        bytes(dir.path(), "forward.chk"),
        bytes(dir.path(), "back.chk")
    );
}

#[test]
fn output_and_files_are_written_once_going_back_and_forth() {
    // output.cal appends three lines to out.txt and prints them. Debugged to its end,
    // back to its middle and its start, and forward again (with and without a
    // watchpoint armed), the file and the output hold each line once: the past is
    // re-executed silently, its file operations answered from the journal.
    let dir = tempfile::tempdir().unwrap();
    let program = image("debug/output.cal");
    let shown = debug_in(
        dir.path(),
        &[program.to_str().unwrap()],
        "c\ngoto instruction 3000\nc\nrs 5\ngoto 100\nwatch 0100\nc\nrs 2\ngoto instruction 2000\ns 4000\nq\n",
    );
    let lines = "line 1\nline 2\nline 3\n";
    let file = std::fs::read_to_string(dir.path().join("out.txt")).unwrap();
    assert_eq!(file, lines, "{shown}");
    for line in lines.lines() {
        assert_eq!(shown.matches(line).count(), 1, "{line}: {shown}");
    }
    assert_eq!(
        shown.matches("the job ended with exit status 0").count(),
        3,
        "{shown}"
    );
}
