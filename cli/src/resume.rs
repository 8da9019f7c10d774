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
//! standard output or error is a file, an [`OutputMark`] beside each image, and one of
//! the job's start, let a continued (or restarted) job cut back what it wrote after
//! that point, which it writes again: its output is there once from clock period 0 on.
//! An image whose own job and clock differ from its name's is skipped. The directory
//! is one runner's at a time ([`crate::dir_lock`]). A COS deck job with a
//! permanent-dataset store keeps its number in the store there ([`DECK_JOB`]), so
//! that every start of the job makes its store operations under one number.

use crate::json_file;
use crate::output::errln;
use crate::CliError;
use cray_chkpnt::incremental;
use cray_emulator::cos::deck::catalogue::Catalogue;
use cray_emulator::system::HostRoot;
use cray_emulator::System;
use cray_sysimage::file_policy::RestartFiles;
use cray_sysimage::system_image::{self, CheckpointError, Restored};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The record of a finished job in its checkpoint directory.
pub const FINISHED: &str = "finished.json";

/// The output mark of the job's start: where standard output and error stood before
/// the job first wrote to them. A job that crashed before its first image starts again
/// from there, and cuts back what its first attempt wrote.
pub const START_MARK: &str = "start.out";

/// The store's number of the deck job whose checkpoint directory this is (a
/// [`DeckJobNumber`]): the store records each operation with the job's number, so a
/// job that crashed before its first image and starts again must have the number it
/// had, or it would make again, under a new number, what it made before the crash.
pub const DECK_JOB: &str = "deck-job.json";

/// The contents of [`DECK_JOB`].
#[derive(Debug, Serialize, Deserialize)]
pub struct DeckJobNumber {
    /// The store (`--pds`), canonical: another store knows nothing of the number.
    pub store: PathBuf,
    /// The job's number in it.
    pub number: u64,
}

/// The number of the deck job that starts in checkpoint directory `dir` with store
/// `catalogue`: the one an earlier start recorded in `dir`, else a new one from the
/// store, recorded in `dir` before the job makes any operation.
pub fn deck_job_number(dir: &Path, catalogue: &Catalogue) -> Result<u64, CliError> {
    let path = dir.join(DECK_JOB);
    let store = catalogue
        .dir()
        .canonicalize()
        .unwrap_or_else(|_| catalogue.dir().to_path_buf());
    let kept: Option<DeckJobNumber> = json_file::read_if_present(&path, "a deck job's number")?;
    if let Some(kept) = kept.filter(|kept| kept.store == store) {
        return Ok(kept.number);
    }
    let number = catalogue
        .draw_job_number()
        .map_err(|e| CliError::new(format!("--pds {}: {e}", catalogue.dir().display())))?;
    json_file::write(&path, &DeckJobNumber { store, number })?;
    Ok(number)
}

/// Beside each periodic image (`1-000000005001.out` for `1-000000005001.chk`), and for
/// the job's start ([`START_MARK`]): which files standard output and error were, and how
/// long, when the image was taken. A job continued from the image writes again what it
/// wrote after that point, so each file is first cut back to its length, when it is
/// still the same file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct OutputMark {
    /// Standard output, when it was a regular file.
    #[serde(default)]
    pub stdout: Option<StreamMark>,
    /// Standard error, when it was a regular file.
    #[serde(default)]
    pub stderr: Option<StreamMark>,
}

/// A regular file that standard output or error was, and its length then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamMark {
    /// Its length in bytes.
    pub bytes: u64,
    /// The device that holds it.
    pub device: u64,
    /// Its inode on that device.
    pub inode: u64,
    /// Its path, as the host names the open file (`/proc/self/fd/N`), when known.
    pub path: Option<PathBuf>,
}

impl StreamMark {
    /// Whether `now` is the file this mark was taken of: the same inode of the same
    /// device, and the same path (an inode number is reused once its file is removed).
    fn same_file(&self, now: &StreamMark) -> bool {
        self.device == now.device && self.inode == now.inode && self.path == now.path
    }

    /// The file's name for messages.
    fn name(&self) -> String {
        self.path.as_ref().map_or_else(
            || format!("inode {} of device {:#x}", self.inode, self.device),
            |path| path.display().to_string(),
        )
    }
}

/// Standard output or standard error of this process.
#[derive(Clone, Copy, Debug)]
enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "standard output",
            Stream::Stderr => "standard error",
        }
    }

    /// A second descriptor of the stream's open file (it shares the file offset).
    fn file(self) -> Option<std::fs::File> {
        use std::os::fd::AsFd;
        let fd = match self {
            Stream::Stdout => std::io::stdout().as_fd().try_clone_to_owned(),
            Stream::Stderr => std::io::stderr().as_fd().try_clone_to_owned(),
        };
        fd.ok().map(std::fs::File::from)
    }

    /// The stream's file and length, when it is a regular file.
    fn mark(self) -> Option<StreamMark> {
        use std::os::unix::fs::MetadataExt;
        let metadata = self.file()?.metadata().ok()?;
        let fd = match self {
            Stream::Stdout => 1,
            Stream::Stderr => 2,
        };
        metadata.is_file().then(|| StreamMark {
            bytes: metadata.len(),
            device: metadata.dev(),
            inode: metadata.ino(),
            path: std::fs::read_link(format!("/proc/self/fd/{fd}")).ok(),
        })
    }

    /// What the mark `then` in `mark` says of this stream.
    fn in_mark(self, mark: &OutputMark) -> Option<&StreamMark> {
        match self {
            Stream::Stdout => mark.stdout.as_ref(),
            Stream::Stderr => mark.stderr.as_ref(),
        }
    }
}

/// The output mark of periodic image `image`.
pub fn mark_path(image: &Path) -> PathBuf {
    image.with_extension("out")
}

/// Writes the output mark `path`: where standard output and error stand now, when they
/// are files. When neither is, there is nothing to cut back later, and an earlier mark
/// of that name (the start of an earlier attempt) is removed.
pub fn write_mark(path: &Path) -> Result<(), CliError> {
    // Guest output is flushed as it is written; the runner's own, to be sure.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    let mark = OutputMark {
        stdout: Stream::Stdout.mark(),
        stderr: Stream::Stderr.mark(),
    };
    if mark.stdout.is_none() && mark.stderr.is_none() {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CliError::io(path, e)),
            _ => Ok(()),
        };
    }
    json_file::write(path, &mark)
}

/// Before a job continues from the point the output mark `mark` was taken at (`when`
/// says which, for messages: "ck/1-000000005001.chk was taken", "the job started"):
/// cuts standard output and error, when each is still the file the mark names, back to
/// the length it had then, so that what the job writes again is not there twice. What
/// was done (or why not), to be said once the cutting is over; nothing without a mark.
pub fn cut_back_output(mark: &Path, when: &str) -> Result<Vec<String>, CliError> {
    let Some(mark) = json_file::read_if_present::<OutputMark>(mark, "an output mark")? else {
        return Ok(Vec::new());
    };
    let mut notes = Vec::new();
    for stream in [Stream::Stdout, Stream::Stderr] {
        if let Some(then) = stream.in_mark(&mark) {
            if let Some(note) = cut_back(stream, then, when)? {
                notes.push(note);
            }
        }
    }
    Ok(notes)
}

/// Cuts `stream` back to the length `then` recorded, if it is still that file and
/// longer; what was done or why not.
fn cut_back(stream: Stream, then: &StreamMark, when: &str) -> Result<Option<String>, CliError> {
    let name = stream.name();
    let Some(now) = stream.mark() else {
        return Ok(Some(format!(
            "{name} is not a file now: {} (its file when {when}) is left as it is",
            then.name()
        )));
    };
    if !then.same_file(&now) {
        return Ok(Some(format!(
            "{name} is {} now, not {}, its file when {when}: neither is cut back (what the job wrote there after that point may be there twice)",
            now.name(),
            then.name()
        )));
    }
    if now.bytes < then.bytes {
        // Emptied (`>` instead of `>>`) or cut by someone else: not the job's writing.
        return Ok(Some(format!(
            "{name} ({}) is {} bytes, shorter than its {} when {when}: left as it is",
            now.name(),
            now.bytes,
            then.bytes
        )));
    }
    if now.bytes == then.bytes {
        return Ok(None);
    }
    let file = stream
        .file()
        .ok_or_else(|| CliError::new(format!("{name}: cannot be opened again to cut it back")))?;
    let failed = |e: std::io::Error| CliError::new(format!("{name} ({}): {e}", now.name()));
    file.set_len(then.bytes).map_err(failed)?;
    // Without O_APPEND the next write would land at the old offset, past the end.
    std::io::Seek::seek(&mut &file, std::io::SeekFrom::End(0)).map_err(failed)?;
    Ok(Some(format!(
        "{name} cut back from {} to {} bytes, its length when {when}",
        now.bytes, then.bytes
    )))
}

/// The file name of the job's periodic checkpoint at `clock`.
pub fn periodic_name(jid: u32, clock: u64) -> String {
    format!("{jid}-{clock:012}.chk")
}

/// The job id and clock period of a periodic checkpoint's file name.
fn parse_periodic(name: &str) -> Option<(u32, u64)> {
    parse_numbered(name, ".chk")
}

/// The job id and clock period of a file named `JID-CLOCK` and `extension`.
fn parse_numbered(name: &str, extension: &str) -> Option<(u32, u64)> {
    let (jid, clock) = name.strip_suffix(extension)?.split_once('-')?;
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(jid) || !digits(clock) {
        return None;
    }
    Some((jid.parse().ok()?, clock.parse().ok()?))
}

/// Whether `name` is one of the files the runner writes into a checkpoint directory
/// (periodic images, their output marks, the start mark, the record of a finished
/// job, a deck job's number): the temporary file of any of them that a crash left is garbage.
fn runner_file(name: &str) -> bool {
    parse_periodic(name).is_some()
        || parse_numbered(name, ".out").is_some()
        || name == START_MARK
        || name == FINISHED
        || name == NOT_RERUNNABLE
        || name == DECK_JOB
}

/// The periodic checkpoints in `dir`, oldest first.
fn periodic_images(dir: &Path) -> Result<Vec<(u64, PathBuf)>, CliError> {
    let mut images = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| CliError::io(dir, e))? {
        let entry = entry.map_err(|e| CliError::io(dir, e))?;
        let name = entry.file_name();
        // A directory of that name is nobody's image.
        let directory = entry.file_type().is_ok_and(|t| t.is_dir());
        if let Some((_, clock)) = name
            .to_str()
            .and_then(parse_periodic)
            .filter(|_| !directory)
        {
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
/// when a parent reference cannot be read or a chain is too long (nothing is pruned
/// then: an image that cannot be told unneeded stays).
fn ancestors(images: &[PathBuf]) -> Option<BTreeSet<PathBuf>> {
    let mut needed = BTreeSet::new();
    for image in images {
        match incremental::parent_paths(image) {
            Ok(parents) => needed.extend(parents),
            Err(e) => {
                errln!("cray: checkpoint: older images kept: {e}");
                return None;
            }
        }
    }
    Some(needed)
}

/// Removes the temporary files of checkpoints and output marks that a crash
/// interrupted before their rename (see [`cray_chkpnt::atomic::temporary_target`]):
/// nothing refers to them and an image's may be as large as the job's memory. What was
/// removed goes into `notes`.
fn remove_interrupted(dir: &Path, notes: &mut Vec<String>) -> Result<(), CliError> {
    for entry in std::fs::read_dir(dir).map_err(|e| CliError::io(dir, e))? {
        let entry = entry.map_err(|e| CliError::io(dir, e))?;
        let name = entry.file_name();
        let interrupted = name
            .to_str()
            .and_then(cray_chkpnt::atomic::temporary_target)
            .is_some_and(runner_file);
        if interrupted {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|e| CliError::io(&path, e))?;
            notes.push(format!(
                "removed {}, a file that a crash interrupted before it was complete",
                path.display()
            ));
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

/// The runner's note in a checkpoint directory that the job marked itself not
/// rerunnable (a COS program's F$NRN), written when the runner sees the mark and
/// removed when the job takes it back (F$RRN): a crash after the mark and before the
/// next image leaves it, so `--resume` does not run again what the job said must not
/// be.
pub const NOT_RERUNNABLE: &str = "not-rerunnable.json";

/// The contents of [`NOT_RERUNNABLE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RerunMark {
    /// The job.
    pub jid: u32,
    /// The clock period of its F$NRN.
    pub clock: u64,
}

impl RerunMark {
    /// Reads `dir`'s note, if there is one.
    pub fn read(dir: &Path) -> Result<Option<RerunMark>, CliError> {
        json_file::read_if_present(
            &dir.join(NOT_RERUNNABLE),
            "a note of a job marked not rerunnable",
        )
    }

    /// Writes the note of `mark` into `dir` (`Some`), or removes it (`None`).
    pub fn record(dir: &Path, mark: Option<RerunMark>) -> Result<(), CliError> {
        let path = dir.join(NOT_RERUNNABLE);
        match mark {
            Some(mark) => json_file::write(&path, &mark),
            None => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CliError::io(&path, e)),
                _ => Ok(()),
            },
        }
    }
}

/// What `--resume` found in the checkpoint directory.
pub enum Found {
    /// No image: the program starts afresh.
    Nothing,
    /// The job continues from this image.
    Image(PathBuf, Box<Restored>),
}

/// Restores the newest image in `dir` that restores, skipping damaged ones and ones
/// whose contents do not agree with their name. Only damage to the image itself is
/// skipped: when the newest image is whole but cannot restart here (a file it had open
/// changed, say), an older one would meet the same files, so that error is the answer.
/// What the runner has to say (an image skipped, a temporary file removed) goes into
/// `notes`, to be said once standard error is cut back.
pub fn newest(
    dir: &Path,
    root: &HostRoot,
    program: &str,
    notes: &mut Vec<String>,
    files: &RestartFiles,
) -> Result<Found, CliError> {
    remove_interrupted(dir, notes)?;
    let images = periodic_images(dir)?;
    if images.is_empty() {
        return Ok(Found::Nothing);
    }
    let mut skipped = 0;
    for (_, path) in images.iter().rev() {
        if let Some(reason) = misnamed(path) {
            skipped += 1;
            notes.push(format!("skipping {}: {reason}", path.display()));
            continue;
        }
        match system_image::restore_with(path, root, files, |system| {
            same_program(system, program, dir)
        }) {
            Ok(restored) => return Ok(Found::Image(path.clone(), Box::new(restored))),
            Err(CheckpointError::Image(e)) => {
                skipped += 1;
                notes.push(format!("skipping a damaged checkpoint: {e}"));
            }
            Err(e) => return Err(CliError::new(format!("resume: {e}"))),
        }
    }
    Err(CliError::new(format!(
        "resume: {}: none of its {skipped} checkpoints can be used (see above); nothing was run",
        dir.display()
    )))
}

/// Why the periodic image `path` is not what its name says (another image copied over
/// it, say): its own job id and clock period, from its summary, differ from its name's.
/// `None` when they agree, or when the image cannot be read (the restore says why).
fn misnamed(path: &Path) -> Option<String> {
    let (jid, clock) = path
        .file_name()
        .and_then(|name| name.to_str())
        .and_then(parse_periodic)?;
    let image = cray_chkpnt::Image::open(path).ok()?;
    let summary = image.summary();
    (summary.jid != jid || summary.cycle != clock).then(|| {
        format!(
            "the image is of job {} at clock period {}, not of job {jid} at clock period {clock} as its name says (an older image copied over it?)",
            summary.jid, summary.cycle
        )
    })
}

/// The newest periodic image of job `jid` in `dir`, if there is one.
pub fn newest_image(dir: &Path, jid: u32) -> Option<PathBuf> {
    periodic_images(dir)
        .ok()?
        .into_iter()
        .rev()
        .map(|(_, path)| path)
        .find(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .and_then(parse_periodic)
                .is_some_and(|(j, _)| j == jid)
        })
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
