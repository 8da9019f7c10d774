//! Files a job has open across a restart: the per-file policies (`--file-policy`, and
//! the defaults: cut back what the job wrote, refuse any change to what it read,
//! recreate what the image carries), the identity `cray inspect` shows, and no file
//! ever reached through a symbolic link.

mod common;

use common::{cray, image, text};
use std::path::{Path, PathBuf};
use std::process::Output;

/// writelog.cal writes "line N\n" (7 bytes) six times, one about every 590,000 clock
/// periods: with an image every 1,000,000 and `--max-cycles 2500000` the newest image
/// (at 2,000,000) has three lines behind it and the crash four.
const EVERY: &str = "1000000";
const CRASH_AT: &str = "2500000";
const SIX_LINES: &str = "line 1\nline 2\nline 3\nline 4\nline 5\nline 6\n";

fn resume_writelog(root: &Path, extra: &[&str]) -> Output {
    cray()
        .args(["run", "--root"])
        .arg(root)
        .args(["--resume", "--checkpoint-dir"])
        .arg(root.join("ck"))
        .args(["--checkpoint-every", EVERY])
        .args(extra)
        .arg(image("writelog.cal"))
        .output()
        .unwrap()
}

/// A run of writelog.cal in `root` that "crashes" (stops at --max-cycles) after
/// writing a line past its newest periodic image; that image.
fn crashed_writelog(root: &Path) -> PathBuf {
    let out = resume_writelog(root, &["--max-cycles", CRASH_AT]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(root.join("log.txt")).unwrap(),
        "line 1\nline 2\nline 3\nline 4\n"
    );
    root.join("ck/1-000002000004.chk")
}

fn restart_in(root: &Path, chk: &Path, extra: &[&str]) -> Output {
    cray()
        .args(["restart", "--root"])
        .arg(root)
        .arg("-f")
        .arg(chk)
        .args(extra)
        .output()
        .unwrap()
}

fn inspect_json(chk: &Path) -> serde_json::Value {
    let out = cray()
        .arg("inspect")
        .arg(chk)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_job_that_writes_a_file_resumes_after_a_crash_and_writes_each_line_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    crashed_writelog(root);
    let out = resume_writelog(root, &[]);
    let message = text(&out.stderr);
    assert!(out.status.success(), "{message}");
    assert!(
        message.contains("cut log.txt back from 28 to 21 bytes"),
        "{message}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("log.txt")).unwrap(),
        SIX_LINES
    );
}

#[test]
fn restart_of_a_written_file_cuts_it_back_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let chk = crashed_writelog(root);
    let out = restart_in(root, &chk, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(root.join("log.txt")).unwrap(),
        SIX_LINES
    );
}

#[test]
fn a_change_before_the_checkpoint_length_is_refused_and_the_file_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    crashed_writelog(root);
    let changed = "line 1\nLINE 2\nline 3\nline 4\n";
    std::fs::write(root.join("log.txt"), changed).unwrap();
    let out = resume_writelog(root, &[]);
    assert_eq!(out.status.code(), Some(2));
    let message = text(&out.stderr);
    assert!(
        message.contains("1-000002000004.chk")
            && message.contains("file log.txt")
            && message.contains("first 21 bytes")
            && message.contains("bytes 0..21 differ"),
        "{message}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("log.txt")).unwrap(),
        changed
    );
    // Shorter than at the checkpoint: what the job wrote is gone.
    std::fs::write(root.join("log.txt"), "line 1\n").unwrap();
    let out = resume_writelog(root, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("bytes 7..21 are gone"),
        "{}",
        text(&out.stderr)
    );
    // The user says to go on with the file as it is.
    let out = resume_writelog(root, &["--file-policy", "log.txt=ignore"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(root.join("log.txt")).unwrap(),
        "line 1\nline 4\nline 5\nline 6\n"
    );
}

#[test]
fn another_file_under_the_name_is_not_cut_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let chk = crashed_writelog(root);
    // Same bytes, another inode: a copy put in place of the job's file.
    let bytes = std::fs::read(root.join("log.txt")).unwrap();
    std::fs::write(root.join("copy.txt"), &bytes).unwrap();
    std::fs::rename(root.join("copy.txt"), root.join("log.txt")).unwrap();
    let out = restart_in(root, &chk, &[]);
    assert_eq!(out.status.code(), Some(2));
    let message = text(&out.stderr);
    assert!(
        message.contains("log.txt is not the file the job had open"),
        "{message}"
    );
    assert_eq!(std::fs::read(root.join("log.txt")).unwrap(), bytes);
    let out = restart_in(root, &chk, &["--file-policy", "log.txt=truncate"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(root.join("log.txt")).unwrap(),
        SIX_LINES
    );
}

/// readfile.cal in `root` checkpointed after reading the first 8 bytes of data.txt.
fn readfile_checkpoint(root: &Path, extra: &[&str]) -> PathBuf {
    std::fs::write(root.join("data.txt"), "ABCDEFGHrest of the file\n").unwrap();
    let chk = root.join("rf.chk");
    let out = cray()
        .args(["run", "--root"])
        .arg(root)
        .args(["--stop-at", "100000", "--checkpoint"])
        .arg(&chk)
        .args(extra)
        .arg(image("readfile.cal"))
        .output()
        .unwrap();
    // 75: stopped with the job checkpointed, to be continued.
    assert_eq!(out.status.code(), Some(75), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "ABCDEFGH");
    chk
}

#[test]
fn each_policy_does_what_it_says_to_a_file_the_job_reads() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let chk = readfile_checkpoint(root, &[]);
    std::fs::write(root.join("data.txt"), "ABCDEFGHchanged!\n").unwrap();
    // Default for a file open for reading: fail.
    let out = restart_in(root, &chk, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--file-policy data.txt=ignore"));
    let out = restart_in(root, &chk, &["--file-policy", "data.txt=fail"]);
    assert_eq!(out.status.code(), Some(2));
    // ignore: the offset stays at 8.
    let out = restart_in(root, &chk, &["--file-policy", "data.txt=ignore"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "changed!\n");
    // append: it goes on at the end, where there is nothing left to read.
    let out = restart_in(root, &chk, &["--file-policy", "data.txt=append"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert!(text(&out.stderr).contains("at its end, byte 17"));
    // replace needs contents in the image.
    let out = restart_in(root, &chk, &["--file-policy", "data.txt=replace"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("does not carry the contents of data.txt"),
        "{}",
        text(&out.stderr)
    );
    // A name the job had no file open under, and a policy that does not exist.
    let out = restart_in(root, &chk, &["--file-policy", "other.txt=ignore"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("no file other.txt open at the checkpoint (its open files: data.txt)"),
        "{}",
        text(&out.stderr)
    );
    let out = restart_in(root, &chk, &["--file-policy", "data.txt=keep"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown policy `keep`"));
    // Without --resume, cray run has no image to apply a policy to.
    let out = cray()
        .args(["run", "--file-policy", "data.txt=ignore"])
        .arg(image("hello.cal"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--resume"));
}

#[test]
fn replace_writes_the_carried_contents_back_and_may_be_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let chk = readfile_checkpoint(root, &["--checkpoint-with-files"]);
    std::fs::write(root.join("data.txt"), "ABCDEFGHchanged!\n").unwrap();
    let out = restart_in(root, &chk, &["--file-policy", "data.txt=ignore"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "changed!\n");
    let out = restart_in(root, &chk, &["--file-policy", "data.txt=replace"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "rest of the file\n");
    assert_eq!(
        std::fs::read_to_string(root.join("data.txt")).unwrap(),
        "ABCDEFGHrest of the file\n"
    );
}

#[test]
fn inspect_shows_each_files_identity_and_default_policy() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let chk = crashed_writelog(root);
    let meta = std::fs::metadata(root.join("log.txt")).unwrap();
    let json = inspect_json(&chk);
    let file = &json["files"][0];
    assert_eq!(file["path"], "log.txt");
    assert_eq!(file["size"], 21);
    assert_eq!(file["device"], meta.dev());
    assert_eq!(file["inode"], meta.ino());
    assert_eq!(file["access"], "write");
    assert_eq!(file["default_policy"], "truncate");
    assert_eq!(
        file["content_hash"],
        format!(
            "{:016x}",
            xxhash_rust::xxh3::xxh3_64(b"line 1\nline 2\nline 3\n")
        )
    );
    let out = cray().arg("inspect").arg(&chk).output().unwrap();
    let shown = text(&out.stdout);
    assert!(
        shown.contains(&format!(
            "log.txt                  device {} inode {}, 21 bytes",
            meta.dev(),
            meta.ino()
        )) && shown.contains("open for writing, restart policy truncate")
            && shown.contains("file-records"),
        "{shown}"
    );

    let read = readfile_checkpoint(root, &[]);
    let file = &inspect_json(&read)["files"][0];
    assert_eq!(
        (&file["access"], &file["default_policy"]),
        (&"read".into(), &"fail".into())
    );
    let carried = readfile_checkpoint(root, &["--checkpoint-with-files"]);
    let file = &inspect_json(&carried)["files"][0];
    assert_eq!(file["default_policy"], "replace");
}

#[test]
fn carried_files_are_never_written_through_a_symbolic_link() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let chk = readfile_checkpoint(root, &["--checkpoint-with-files"]);
    // Another file of the user's, inside the root, and a link to it in data.txt's place.
    std::fs::write(root.join("precious.txt"), "keep me\n").unwrap();
    std::fs::remove_file(root.join("data.txt")).unwrap();
    std::os::unix::fs::symlink("precious.txt", root.join("data.txt")).unwrap();
    let out = restart_in(root, &chk, &[]);
    assert_eq!(out.status.code(), Some(2));
    let message = text(&out.stderr);
    assert!(
        message.contains("file data.txt: data.txt is a symbolic link now"),
        "{message}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("precious.txt")).unwrap(),
        "keep me\n"
    );
    assert!(std::fs::symlink_metadata(root.join("data.txt"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn a_written_file_is_never_cut_through_a_symbolic_link() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    crashed_writelog(root);
    // The job's log moved into a directory, a link left in its place.
    std::fs::create_dir(root.join("kept")).unwrap();
    std::fs::rename(root.join("log.txt"), root.join("kept/log.txt")).unwrap();
    std::os::unix::fs::symlink("kept/log.txt", root.join("log.txt")).unwrap();
    let out = resume_writelog(root, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("log.txt is a symbolic link now"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(root.join("kept/log.txt")).unwrap(),
        "line 1\nline 2\nline 3\nline 4\n"
    );
}
