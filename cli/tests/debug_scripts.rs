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
    let mut child = spawn_piped(
        cray()
            .arg("debug")
            .args(&script.args)
            .current_dir(dir.path()),
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.commands.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
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
