//! The checkpoint directory of a job, and `cray run --resume`: restart after a crash
//! the way NQS did, by running the same command again.
//!
//! `--checkpoint-dir DIR` holds the job's periodic images, `JID-CLOCK.chk` with the
//! clock period in twelve digits so that names sort in the order they were taken.
//! With `--resume`, a run first looks in DIR: when it holds images, the job continues
//! from the newest one that restores (a damaged image is skipped, with a message, for
//! the one before it); when it holds none, the program starts afresh. SIGTERM and
//! SIGUSR1 then checkpoint into DIR as well, so that a host shutting down stops the job
//! where the next run will find it. When the job ends, `finished.json` in DIR records
//! its status, and running the command again only reports it: a batch system that
//! submits a finished job a second time does not repeat its work or its output. When
//! standard output is a file, an [`OutputMark`] beside each image lets a continued job
//! cut back what it wrote after the image, which it writes again.

use crate::json_file;
use crate::output::errln;
use crate::CliError;
use cray_chkpnt::file_policy::RestartFiles;
use cray_chkpnt::incremental;
use cray_chkpnt::system_image::{self, CheckpointError, Restored};
use cray_emulator::system::{HostRoot, System};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The record of a finished job in its checkpoint directory.
pub const FINISHED: &str = "finished.json";

/// Beside each periodic image, when the job's standard output is a file: how long
/// that file was when the image was taken (`1-000000005001.out` for
/// `1-000000005001.chk`). A job continued from the image writes again what it wrote
/// after that point, so the file is first cut back to this length.
#[derive(Debug, Serialize, Deserialize)]
pub struct OutputMark {
    /// Bytes in the standard output file.
    pub stdout_bytes: u64,
}

/// The output mark of periodic image `image`.
pub fn mark_path(image: &Path) -> PathBuf {
    image.with_extension("out")
}

/// The length of standard output when it is a regular file.
fn stdout_file_len() -> Option<u64> {
    use std::os::fd::AsFd;
    let stat = rustix::fs::fstat(std::io::stdout().as_fd()).ok()?;
    let regular =
        rustix::fs::FileType::from_raw_mode(stat.st_mode) == rustix::fs::FileType::RegularFile;
    regular.then(|| u64::try_from(stat.st_size).unwrap_or(0))
}

/// Writes the output mark of `image`, just taken, when standard output is a file.
pub fn write_mark(image: &Path) -> Result<(), CliError> {
    let Some(stdout_bytes) = stdout_file_len() else {
        return Ok(());
    };
    json_file::write(&mark_path(image), &OutputMark { stdout_bytes })
}

/// Before a job continues from `image`: cuts standard output, when it is a file,
/// back to the length it had when the image was taken, so that what the job writes
/// again is not there twice. The lengths before and after, when it was cut.
pub fn cut_back_output(image: &Path) -> Result<Option<(u64, u64)>, CliError> {
    use std::os::fd::AsFd;
    let Some(mark) = json_file::read_if_present::<OutputMark>(&mark_path(image), "an output mark")?
    else {
        return Ok(None);
    };
    // A file shorter than the mark is not the one the job wrote to (or was emptied
    // by `>`): it is left alone.
    let Some(len) = stdout_file_len().filter(|&len| len > mark.stdout_bytes) else {
        return Ok(None);
    };
    let stdout = std::io::stdout();
    let fd = stdout.as_fd();
    let failed = |e: rustix::io::Errno| CliError::new(format!("standard output: {e}"));
    rustix::fs::ftruncate(fd, mark.stdout_bytes).map_err(failed)?;
    // Without O_APPEND the next write would land at the old offset, past the end.
    rustix::fs::seek(fd, rustix::fs::SeekFrom::End(0)).map_err(failed)?;
    Ok(Some((len, mark.stdout_bytes)))
}

/// The file name of the job's periodic checkpoint at `clock`.
pub fn periodic_name(jid: u32, clock: u64) -> String {
    format!("{jid}-{clock:012}.chk")
}

/// The job id and clock period of a periodic checkpoint's file name.
fn parse_periodic(name: &str) -> Option<(u32, u64)> {
    let (jid, clock) = name.strip_suffix(".chk")?.split_once('-')?;
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(jid) || !digits(clock) {
        return None;
    }
    Some((jid.parse().ok()?, clock.parse().ok()?))
}

/// The periodic checkpoints in `dir`, oldest first.
fn periodic_images(dir: &Path) -> Result<Vec<(u64, PathBuf)>, CliError> {
    let mut images = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| CliError::io(dir, e))? {
        let entry = entry.map_err(|e| CliError::io(dir, e))?;
        let name = entry.file_name();
        if let Some((_, clock)) = name.to_str().and_then(parse_periodic) {
            images.push((clock, entry.path()));
        }
    }
    images.sort();
    Ok(images)
}

/// The clock period of the newest periodic checkpoint in `dir`, if it holds any (a
/// missing directory holds none).
pub fn newest_clock(dir: &Path) -> Result<Option<u64>, CliError> {
    if !dir.is_dir() {
        return Ok(None);
    }
    Ok(periodic_images(dir)?.last().map(|(clock, _)| *clock))
}

/// Removes all but the newest `keep` periodic checkpoints of job `jid` in `dir`, and
/// their output marks, except the images a kept one builds on (incremental images need
/// their parents). Called only after a newer image is safely on disk.
pub fn prune(dir: &Path, jid: u32, keep: usize) -> Result<(), CliError> {
    let mine: Vec<PathBuf> = periodic_images(dir)?
        .into_iter()
        .filter(|(_, path)| {
            path.file_name()
                .and_then(|n| n.to_str())
                .and_then(parse_periodic)
                .is_some_and(|(j, _)| j == jid)
        })
        .map(|(_, path)| path)
        .collect();
    let (old, kept) = mine.split_at(mine.len().saturating_sub(keep));
    let Some(needed) = ancestors(kept) else {
        return Ok(());
    };
    for old in old.iter().filter(|path| !needed.contains(*path)) {
        std::fs::remove_file(old).map_err(|e| CliError::io(old, e))?;
        let mark = mark_path(old);
        match std::fs::remove_file(&mark) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(CliError::io(&mark, e))
            }
            _ => {}
        }
    }
    Ok(())
}

/// The images that `images` build on, through every parent; `None`, said on stderr,
/// when a parent reference cannot be read (nothing is pruned then: an image that
/// cannot be told unneeded stays).
fn ancestors(images: &[PathBuf]) -> Option<BTreeSet<PathBuf>> {
    let mut needed = BTreeSet::new();
    for image in images {
        let mut child = image.clone();
        loop {
            match incremental::parent_of(&child) {
                Ok(Some(parent)) => {
                    let parent = incremental::parent_path(&child, &parent);
                    if !needed.insert(parent.clone()) {
                        break; // The rest of this chain is already in.
                    }
                    child = parent;
                }
                Ok(None) => break,
                Err(e) => {
                    errln!("cray: checkpoint: older images kept: {e}");
                    return None;
                }
            }
        }
    }
    Some(needed)
}

/// Removes the temporary files of checkpoints that a crash interrupted before their
/// rename (see [`cray_chkpnt::atomic::temporary_target`]): nothing refers to them and
/// each may be as large as the job's memory.
fn remove_interrupted(dir: &Path) -> Result<(), CliError> {
    for entry in std::fs::read_dir(dir).map_err(|e| CliError::io(dir, e))? {
        let entry = entry.map_err(|e| CliError::io(dir, e))?;
        let name = entry.file_name();
        let interrupted = name
            .to_str()
            .and_then(cray_chkpnt::atomic::temporary_target)
            .is_some_and(|image| parse_periodic(image).is_some());
        if interrupted {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|e| CliError::io(&path, e))?;
            errln!(
                "cray: resume: removed {}, a checkpoint that was interrupted before it was complete",
                path.display()
            );
        }
    }
    Ok(())
}

/// How a job whose checkpoint directory is `dir` ended, as `finished.json` says.
#[derive(Debug, Serialize, Deserialize)]
pub struct Finished {
    /// The program, as given to `cray run`.
    pub program: String,
    /// The job id.
    pub jid: u32,
    /// The clock period the job ended at.
    pub clock: u64,
    /// Its exit status on the host (128 + signal for a signal).
    pub exit_status: i32,
}

impl Finished {
    /// Reads `dir`'s record, if there is one.
    pub fn read(dir: &Path) -> Result<Option<Finished>, CliError> {
        json_file::read_if_present(&dir.join(FINISHED), "a record of a finished job")
    }

    /// Writes the record into `dir`, atomically like an image.
    pub fn write(&self, dir: &Path) -> Result<(), CliError> {
        json_file::write(&dir.join(FINISHED), self)
    }
}

/// What `--resume` found in the checkpoint directory.
pub enum Found {
    /// No image: the program starts afresh.
    Nothing,
    /// The job continues from this image.
    Image(PathBuf, Box<Restored>),
}

/// Restores the newest image in `dir` that restores, skipping damaged ones (with a
/// message for each). Only damage to the image itself is skipped: when the newest
/// image is whole but cannot restart here (a file it had open changed, say), an older
/// one would meet the same files, so that error is the answer.
pub fn newest(
    dir: &Path,
    root: &HostRoot,
    program: &str,
    files: &RestartFiles,
) -> Result<Found, CliError> {
    remove_interrupted(dir)?;
    let images = periodic_images(dir)?;
    if images.is_empty() {
        return Ok(Found::Nothing);
    }
    let mut skipped = 0;
    for (_, path) in images.iter().rev() {
        match system_image::restore_with(path, root, files, |system| {
            same_program(system, program, dir)
        }) {
            Ok(restored) => return Ok(Found::Image(path.clone(), Box::new(restored))),
            Err(CheckpointError::Image(e)) => {
                skipped += 1;
                errln!("cray: resume: skipping a damaged checkpoint: {e}");
            }
            Err(e) => return Err(CliError::new(format!("resume: {e}"))),
        }
    }
    Err(CliError::new(format!(
        "resume: {}: none of its {skipped} checkpoints can be read (see above); nothing was run",
        dir.display()
    )))
}

/// Refuses to resume another program's job (a checkpoint directory belongs to one job),
/// before the restore touches any file.
fn same_program(system: &System, program: &str, dir: &Path) -> Result<(), String> {
    let leader = system.leader.and_then(|pid| system.processes.get(&pid));
    match leader {
        Some(process) if process.program != program => Err(format!(
            "this checkpoint is of a job running {}, not {program}; give this job its own --checkpoint-dir (or remove the images in {})",
            process.program,
            dir.display()
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periodic_names_round_trip_and_sort_by_clock() {
        assert_eq!(periodic_name(1, 1 << 20), "1-000001048576.chk");
        assert_eq!(parse_periodic("1-000001048576.chk"), Some((1, 1 << 20)));
        assert_eq!(parse_periodic("12-7.chk"), Some((12, 7)));
        for other in [
            "1-.chk",
            "-5.chk",
            "1-5.chk.tmp",
            "a-5.chk",
            "1-5x.chk",
            "finished.json",
        ] {
            assert_eq!(parse_periodic(other), None, "{other}");
        }
        let mut names = [
            periodic_name(1, 99),
            periodic_name(1, 100),
            periodic_name(1, 7),
        ];
        names.sort();
        assert_eq!(
            names,
            [
                periodic_name(1, 7),
                periodic_name(1, 99),
                periodic_name(1, 100)
            ]
        );
    }

    /// Writes a small image at `dir`/`name`, incremental on `parent` when given.
    fn image(dir: &Path, name: &str, parent: Option<&str>) {
        use cray_chkpnt::incremental::{FieldPrint, ParentRef};
        use cray_chkpnt::{ImageKind, ImageSummary, ImageWriter};
        let words = [0o17u64; 600];
        let mut w = ImageWriter::new(ImageSummary {
            model: "xmp".into(),
            kind: ImageKind::Job,
            pids: vec![1],
            jid: 1,
            cycle: 0,
            created_by: "test".into(),
        });
        match parent {
            Some(parent) => {
                let header = cray_chkpnt::Image::open(dir.join(parent)).unwrap();
                w.parent(&ParentRef {
                    name: parent.into(),
                    header_checksum: header.header().checksum,
                    cycle: 0,
                })
                .unwrap();
                let checksum = FieldPrint::of(&words).checksum();
                w.add_memory_delta(1, &words, vec![], checksum);
            }
            None => {
                w.add_memory(1, &words);
            }
        }
        w.write_atomic(dir.join(name)).unwrap();
    }

    fn left(dir: &Path) -> Vec<String> {
        let mut left: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        left
    }

    #[test]
    fn prune_keeps_the_newest_of_the_job_and_nothing_else_is_touched() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "1-000000000010.chk",
            "1-000000000030.chk",
            "1-000000000020.chk",
            "2-000000000005.chk",
        ] {
            image(dir.path(), name, None);
        }
        std::fs::write(dir.path().join("notes.txt"), b"x").unwrap();
        prune(dir.path(), 1, 2).unwrap();
        assert_eq!(
            left(dir.path()),
            [
                "1-000000000020.chk",
                "1-000000000030.chk",
                "2-000000000005.chk",
                "notes.txt"
            ]
        );
    }

    #[test]
    fn prune_keeps_the_images_a_kept_one_builds_on() {
        let dir = tempfile::tempdir().unwrap();
        image(dir.path(), "1-000000000010.chk", None);
        image(dir.path(), "1-000000000020.chk", Some("1-000000000010.chk"));
        image(dir.path(), "1-000000000030.chk", Some("1-000000000020.chk"));
        image(dir.path(), "1-000000000040.chk", None);
        image(dir.path(), "1-000000000050.chk", Some("1-000000000040.chk"));
        prune(dir.path(), 1, 2).unwrap();
        // The newest two are 40 and 50; 50 builds on 40, which is one of them.
        assert_eq!(
            left(dir.path()),
            ["1-000000000040.chk", "1-000000000050.chk"]
        );
        image(dir.path(), "1-000000000060.chk", Some("1-000000000050.chk"));
        prune(dir.path(), 1, 1).unwrap();
        assert_eq!(
            left(dir.path()),
            [
                "1-000000000040.chk",
                "1-000000000050.chk",
                "1-000000000060.chk"
            ]
        );
    }

    #[test]
    fn prune_removes_nothing_when_a_kept_image_cannot_be_read() {
        let dir = tempfile::tempdir().unwrap();
        image(dir.path(), "1-000000000010.chk", None);
        image(dir.path(), "1-000000000020.chk", None);
        std::fs::write(dir.path().join("1-000000000030.chk"), b"damaged").unwrap();
        prune(dir.path(), 1, 1).unwrap();
        assert_eq!(left(dir.path()).len(), 3);
    }
}
