//! A real full disk: a checkpoint into a small tmpfs that has no room left fails with
//! a message naming the image and saying the previous one is intact, leaves no
//! temporary file, and the previous image still restarts.
//!
//! Mounting needs root (CI runs as root); elsewhere the test says so and does nothing.

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
    fn mount(dir: &Path, kib: u32) -> Option<SmallDisk> {
        std::fs::create_dir_all(dir).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir)
            .output()
            .ok()?;
        status.status.success().then(|| SmallDisk {
            dir: dir.to_path_buf(),
        })
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
    let Some(disk) = SmallDisk::mount(&dir.path().join("disk"), 512) else {
        eprintln!("skipped: cannot mount a tmpfs here (not root?)");
        return;
    };
    let image = disk.dir.join("job.chk");
    let first = checkpoint_at(100_000, &image);
    // 75: stopped, resumable.
    assert_eq!(first.status.code(), Some(75), "{}", text(&first.stderr));
    let good = std::fs::read(&image).unwrap();

    // Fill the disk until less than an image's worth of room is left.
    let filler = vec![0u8; 4096];
    let mut fill = std::fs::File::create(disk.dir.join("filler")).unwrap();
    while std::io::Write::write_all(&mut fill, &filler).is_ok() {}
    drop(fill);
    let filled = std::fs::metadata(disk.dir.join("filler")).unwrap().len();
    assert!(filled > 0, "nothing could be written to the disk");

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
