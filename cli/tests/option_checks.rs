//! `--root` and `--dataset` are checked before the job starts, with a message naming
//! the option and what is wrong.

mod common;

use common::{cray, image, text};
use std::path::{Path, PathBuf};
use std::process::Output;

/// `cray run --root ROOT EXTRA... PROGRAM`, with no terminal.
fn run(root: &Path, extra: &[&str], program: &Path) -> Output {
    cray()
        .arg("run")
        .arg("--root")
        .arg(root)
        .args(extra)
        .arg(program)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("cray runs")
}

/// images/cos/copy.cal assembled as a COS binary into `dir`.
fn copy_program(dir: &Path) -> PathBuf {
    let out = dir.join("copy.abs");
    let status = cray()
        .args(["asm", "--format", "cos"])
        .arg(image("cos/copy.cal"))
        .arg("-o")
        .arg(&out)
        .status()
        .expect("cray runs");
    assert!(status.success());
    out
}

/// Requires exit status 2 and a message holding every piece of `expected`.
fn refused(out: &Output, expected: &[&str]) {
    let said = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    for piece in expected {
        assert!(said.contains(piece), "{piece:?} not in: {said}");
    }
}

#[test]
fn root_must_be_an_existing_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain");
    std::fs::write(&file, "not a directory").unwrap();
    let program = image("daxpy.cal");
    let out = run(&file, &[], &program);
    refused(&out, &["--root", "plain", "is not a directory"]);
    assert!(out.stdout.is_empty(), "the job did not start");
    let out = run(&dir.path().join("missing"), &[], &program);
    refused(&out, &["--root", "missing", "does not exist"]);
}

#[test]
fn a_dataset_outside_the_root_is_refused_before_the_job_starts() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let program = copy_program(dir.path());
    let outside = dir.path().join("secret.txt");
    std::fs::write(&outside, "outside\n").unwrap();
    std::os::unix::fs::symlink(dir.path(), root.join("up")).unwrap();
    let absolute = format!("$IN={}", outside.display());
    for (mapping, path) in [
        (absolute.as_str(), outside.to_str().unwrap()),
        ("$IN=../secret.txt", "../secret.txt"),
        ("$IN=up/secret.txt", "up/secret.txt"),
    ] {
        let out = run(&root, &["--dataset", mapping], &program);
        let expected = format!("--dataset {mapping}: {path} is outside --root");
        refused(&out, &[&expected]);
        assert!(
            !text(&out.stderr).contains("Errno"),
            "{}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "the job did not start");
    }
    let out = run(&root, &["--dataset", "$OUT=no/such/dir.txt"], &program);
    refused(&out, &["--dataset $OUT=no/such/dir.txt", "does not exist"]);
    // Inside the root, a dataset that does not exist yet is fine.
    std::fs::write(root.join("in.txt"), "inside\n").unwrap();
    let out = run(
        &root,
        &["--dataset", "$IN=in.txt", "--dataset", "$OUT=out.txt"],
        &program,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(root.join("out.txt")).unwrap(),
        "inside\n"
    );
}
