//! A failed checkpoint never damages the previous image.

mod common;

use common::{summary, words};
use cray_chkpnt::atomic::replace_file;
use cray_chkpnt::{Image, ImageError, ImageWriter};
use std::io::{self, Write};
use std::path::Path;

fn write_image(path: &Path, seed: u64) -> Vec<u64> {
    let mem = words(2000, seed);
    let mut w = ImageWriter::new(summary());
    w.add_memory(0, &mem);
    w.write_atomic(path).unwrap();
    mem
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn replacing_an_image_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.ckpt");
    write_image(&path, 1);
    let second = write_image(&path, 2);
    assert_eq!(Image::open(&path).unwrap().memory(0).unwrap(), second);
    assert_eq!(entries(dir.path()), ["a.ckpt"]);
}

/// A disk that fills up half way through: the write fails, the temporary file is gone
/// and the previous image is byte for byte what it was.
#[test]
fn failure_mid_write_keeps_previous_image() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("job.ckpt");
    let first = write_image(&path, 1);
    let before = std::fs::read(&path).unwrap();

    let e = replace_file(&path, |f| {
        f.write_all(&[0o55; 4096])?;
        Err::<(), _>(io::Error::new(
            io::ErrorKind::StorageFull,
            "no space left on device",
        ))
    })
    .unwrap_err();
    assert!(
        matches!(
            e,
            ImageError::WriteFailed {
                previous_exists: true,
                stage: "writing",
                ..
            }
        ),
        "{e}"
    );
    let msg = e.to_string();
    assert!(msg.contains("previous image is intact"), "{msg}");
    assert!(
        msg.contains("job.ckpt") && msg.contains("no space left"),
        "{msg}"
    );

    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(Image::open(&path).unwrap().memory(0).unwrap(), first);
    assert_eq!(
        entries(dir.path()),
        ["job.ckpt"],
        "temporary file left behind"
    );
}

#[test]
fn failure_without_previous_image_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.ckpt");
    let e = replace_file(&path, |_| Err::<(), _>(io::Error::other("boom"))).unwrap_err();
    assert!(
        e.to_string()
            .contains("no previous image and none was written"),
        "{e}"
    );
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn missing_directory_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/x.ckpt");
    let mut w = ImageWriter::new(summary());
    w.add_memory(0, &[1, 2, 3]);
    let e = w.write_atomic(&path).unwrap_err();
    assert!(
        matches!(
            e,
            ImageError::WriteFailed {
                stage: "creating a temporary file",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("x.ckpt"), "{e}");
}

/// Set in the unprivileged copy of this test binary that
/// `unwritable_directory_keeps_previous_image` starts as root: the directory to try.
const UNPRIVILEGED_DIR: &str = "CRAY_ATOMIC_TEST_UNPRIVILEGED_DIR";

/// The user the check runs as when the test runs as root (`nobody` on most systems;
/// setpriv needs no account for it).
const UNPRIVILEGED_ID: &str = "65534";

/// A checkpoint into a directory the user may not write to fails, saying the previous
/// image is intact. Root ignores directory permissions, so as root (as CI runs) the
/// test runs itself again as an unprivileged user (setpriv, util-linux) for the write.
#[cfg(unix)]
#[test]
fn unwritable_directory_keeps_previous_image() {
    use std::os::unix::fs::PermissionsExt;
    if let Some(dir) = std::env::var_os(UNPRIVILEGED_DIR) {
        try_to_replace_in(Path::new(&dir));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("job.ckpt");
    write_image(&path, 1);
    let before = std::fs::read(&path).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    if may_write_anyway(dir.path()) {
        as_unprivileged_user(dir.path());
    } else {
        try_to_replace_in(dir.path());
    }
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(entries(dir.path()), ["job.ckpt"]);
}

/// Whether this process writes into `dir` whatever its permissions say (root).
fn may_write_anyway(dir: &Path) -> bool {
    let probe = dir.join("probe");
    let wrote = std::fs::write(&probe, b"").is_ok();
    let _ = std::fs::remove_file(&probe);
    wrote
}

/// Runs this test again, as an unprivileged user, on `dir`.
fn as_unprivileged_user(dir: &Path) {
    let out = std::process::Command::new("setpriv")
        .arg(format!("--reuid={UNPRIVILEGED_ID}"))
        .arg(format!("--regid={UNPRIVILEGED_ID}"))
        .arg("--clear-groups")
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "unwritable_directory_keeps_previous_image",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(UNPRIVILEGED_DIR, dir)
        .output()
        .expect("as root, the check needs setpriv (util-linux) to run as another user");
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the unprivileged check failed: {said}"
    );
    assert!(said.contains("1 passed"), "the check did not run: {said}");
}

/// The check itself: replacing the image in `dir` fails with a message that names it
/// and says the previous image is intact.
fn try_to_replace_in(dir: &Path) {
    assert!(
        !may_write_anyway(dir),
        "{} is writable to this user: nothing would be checked",
        dir.display()
    );
    let mem = words(100, 9);
    let mut w = ImageWriter::new(summary());
    w.add_memory(0, &mem);
    let e = w.write_atomic(dir.join("job.ckpt")).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("previous image is intact") && msg.contains("job.ckpt"),
        "{msg}"
    );
}
