//! A real full disk: a checkpoint into a small tmpfs that has no room left fails with
//! a message naming the image and saying the previous one is intact, leaves no
//! temporary file, and the previous image still restarts; the guest's own output to a
//! full disk, or past the host's file size limit (`ulimit -f`), fails in the guest
//! with the host's errno and is reported once.
//!
//! Mounting needs root (CI runs as root, and so do the project's machines): a test
//! that cannot mount fails, saying why, rather than passing without its check.

mod common;

use common::{cray, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn spin() -> PathBuf {
    common::image("spin.cal")
}

/// A tmpfs of `kib` KiB mounted at `dir`, unmounted when dropped.
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    fn mount(dir: &Path, kib: u32) -> SmallDisk {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir)
            .output()
            .expect("mount(8) runs");
        assert!(
            out.status.success(),
            "this test needs to mount a small tmpfs (run it as root, as CI does): {}",
            text(&out.stderr)
        );
        SmallDisk {
            dir: dir.to_path_buf(),
        }
    }

    /// Fills the disk: a file takes all the room left.
    fn fill(&self) {
        let filler = vec![0u8; 4096];
        let mut fill = std::fs::File::create(self.dir.join("filler")).unwrap();
        while std::io::Write::write_all(&mut fill, &filler).is_ok() {}
        drop(fill);
        let filled = std::fs::metadata(self.dir.join("filler")).unwrap().len();
        assert!(filled > 0, "nothing could be written to the disk");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

fn checkpoint_at(stop: u64, image: &Path) -> Output {
    cray()
        .args(["run", "--stop-at", &stop.to_string(), "--checkpoint"])
        .arg(image)
        .arg(spin())
        .output()
        .unwrap()
}

#[test]
fn a_full_disk_keeps_the_previous_image_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(&dir.path().join("disk"), 512);
    let image = disk.dir.join("job.chk");
    let first = checkpoint_at(100_000, &image);
    // 75: stopped, resumable.
    assert_eq!(first.status.code(), Some(75), "{}", text(&first.stderr));
    let good = std::fs::read(&image).unwrap();

    // Fill the disk until less than an image's worth of room is left.
    disk.fill();

    let second = checkpoint_at(200_000, &image);
    assert_eq!(second.status.code(), Some(2), "{}", text(&second.stderr));
    let message = text(&second.stderr);
    assert!(message.contains("job.chk"), "{message}");
    assert!(message.contains("No space left on device"), "{message}");
    assert!(message.contains("previous image is intact"), "{message}");

    assert_eq!(
        std::fs::read(&image).unwrap(),
        good,
        "the previous image changed"
    );
    let mut names: Vec<String> = std::fs::read_dir(&disk.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["filler", "job.chk"],
        "a temporary file was left behind"
    );

    // Room again: the previous image restarts and the job runs to its end.
    std::fs::remove_file(disk.dir.join("filler")).unwrap();
    let restarted = cray().args(["restart", "-f"]).arg(&image).output().unwrap();
    assert!(restarted.status.success(), "{}", text(&restarted.stderr));
    assert_eq!(text(&restarted.stdout), "spin done\n");
}

/// A program that writes 50 bytes to standard output twice and exits with the errno
/// of the second write (0 when both went).
const WRITE_TWICE: &str = "         IDENT     TWICE
         START     MAIN
MAIN     S1        WARGS
         S0        4
         EX
         S1        WARGS
         S0        4
         EX
         XARGS,0   S0
         S1        XARGS
         S0        1
         EX
WARGS    CON       1
         CON       MSG
         CON       50
XARGS    CON       0
MSG      BSS       7
         END
";

fn write_twice(dir: &Path) -> PathBuf {
    let program = dir.join("twice.cal");
    std::fs::write(&program, WRITE_TWICE).unwrap();
    program
}

/// The lines of `stderr` that report a failed host write.
fn reports(stderr: &[u8]) -> Vec<String> {
    text(stderr)
        .lines()
        .filter(|l| l.contains("failed after"))
        .map(str::to_string)
        .collect()
}

#[test]
fn guest_output_to_a_full_disk_fails_in_the_guest_and_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let program = write_twice(dir.path());
    let disk = SmallDisk::mount(&dir.path().join("disk"), 64);
    disk.fill();
    let out = cray()
        .arg("run")
        .arg(&program)
        .stdout(std::fs::File::create(disk.dir.join("out")).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(28), "ENOSPC reached the guest");
    let reports = reports(&out.stderr);
    assert_eq!(reports.len(), 1, "{}", text(&out.stderr));
    assert!(
        reports[0].contains("standard output")
            && reports[0].contains("No space left on device")
            && reports[0].contains("ENOSPC (28)"),
        "{}",
        reports[0]
    );
}

#[test]
fn cos_output_to_a_full_disk_sets_the_fbio_error_bit_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.txt"), "first record\nsecond record\n").unwrap();
    let disk = SmallDisk::mount(&dir.path().join("disk"), 64);
    disk.fill();
    let out = cray()
        .args(["run", "--root"])
        .arg(dir.path())
        .args(["--dataset", "$IN=in.txt"])
        .arg(common::image("cos/copy.cal"))
        .args(["--personality", "cos"])
        .stdout(std::fs::File::create(disk.dir.join("out")).unwrap())
        .output()
        .unwrap();
    let reports = reports(&out.stderr);
    assert_eq!(reports.len(), 1, "{}", text(&out.stderr));
    assert!(
        reports[0].contains("standard output ($OUT)")
            && reports[0].contains("No space left on device")
            && reports[0].contains("F$BIO error bit"),
        "{}",
        reports[0]
    );
}

/// No mount needed: the host's file size limit makes every write to a file fail.
#[test]
fn guest_output_past_the_file_size_limit_fails_with_efbig_and_cray_survives() {
    let dir = tempfile::tempdir().unwrap();
    let program = write_twice(dir.path());
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 0 && exec \"$0\" run \"$1\" > \"$2\"")
        .arg(env!("CARGO_BIN_EXE_cray"))
        .arg(&program)
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(27),
        "EFBIG reached the guest and SIGXFSZ did not kill cray: {:?} {}",
        out.status,
        text(&out.stderr)
    );
    let reports = reports(&out.stderr);
    assert_eq!(reports.len(), 1, "{}", text(&out.stderr));
    assert!(reports[0].contains("EFBIG (27)"), "{}", reports[0]);
}
