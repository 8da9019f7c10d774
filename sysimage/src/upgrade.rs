//! Rewriting an image in the current format (`cray upgrade`).
//!
//! The kernel state is read in whatever version it was saved in, migrated to the
//! current one ([`cray_emulator::saved`]) and written again; every other section is
//! copied as it is (compressed where it was), except what the current state holds
//! itself (the version 1 COS decks section). An incremental image becomes a full one:
//! its memory is put together from its parents, so the upgraded image needs none of
//! them and can be moved on its own. An image that another incremental image of its
//! directory builds on is not rewritten in place (that image would lose its parent);
//! it can be upgraded to another name with `-o`.

use crate::system_image::{decode_system, CheckpointError, DECKS_SECTION, STATE_VERSION};
use cray_chkpnt::incremental::{head_of, memory_fields};
use cray_chkpnt::{Compression, Image, ImageError, ImageWriter, SectionKind};
use cray_emulator::saved;
use cray_emulator::system::Pid;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What [`upgrade`] read and wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upgraded {
    /// Format version of the image read.
    pub from_format: (u16, u16),
    /// Version of its kernel state.
    pub from_state: u16,
    /// Whether it was incremental (the upgraded image is full).
    pub was_incremental: bool,
    /// Bytes written.
    pub bytes: u64,
}

/// Rewrites the image at `path` in the current format, atomically, to `out` (which
/// may be `path` itself). `created_by` names this program in the summary, after the
/// writer of the original.
pub fn upgrade(path: &Path, out: &Path, created_by: &str) -> Result<Upgraded, CheckpointError> {
    let mut image = Image::open(path)?;
    let system = decode_system(&image)?;
    if same_file(path, out) {
        refuse_if_a_parent(&image)?;
    }
    let from_state = image
        .find(SectionKind::State, 0)
        .map_or(STATE_VERSION, |s| s.version);
    let pids: Vec<Pid> = system.processes.keys().copied().collect();
    let fields = memory_fields(&mut image, &pids)?;
    let state = saved::encode(system).map_err(|source| ImageError::Encode {
        section: "kernel state".into(),
        source,
    })?;
    let mut summary = image.summary().clone();
    summary.created_by = format!("{}, upgraded by {created_by}", summary.created_by);
    let mut writer = ImageWriter::new(summary);
    for section in &image.sections()[1..] {
        writer.compression(if section.compressed() {
            Compression::Zstd(1)
        } else {
            Compression::None
        });
        match section.kind {
            SectionKind::State => {
                writer.add_section(SectionKind::State, 0, STATE_VERSION, state.as_slice());
            }
            SectionKind::Memory | SectionKind::MemoryDelta => {
                if let Some(words) = fields.get(&section.id) {
                    writer.add_memory(section.id, words);
                }
            }
            SectionKind::Parent | SectionKind::Other(DECKS_SECTION) => {}
            kind => {
                let bytes = image.section(kind, section.id)?;
                writer.add_section(kind, section.id, section.version, bytes);
            }
        }
    }
    let written = writer.write_atomic(out)?;
    Ok(Upgraded {
        from_format: image.version(),
        from_state,
        was_incremental: image.is_incremental(),
        bytes: written.bytes,
    })
}

/// True when `a` and `b` name one file (or one name of a file not there yet).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => std::path::absolute(a).ok() == std::path::absolute(b).ok(),
    }
}

/// Refuses when an image of `image`'s directory builds on it: rewriting it changes
/// its header checksum, and that image would no longer find its parent.
fn refuse_if_a_parent(image: &Image) -> Result<(), CheckpointError> {
    let path = image.path();
    let Some(name) = path.file_name() else {
        return Ok(());
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let other = entry.path();
        if other.file_name() == Some(name) || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        // Files that are not images (or are damaged) build on nothing.
        let Some(parent) = head_of(&other).ok().and_then(|head| head.parent) else {
            continue;
        };
        if parent.name.as_str() == name && parent.header_checksum == image.header().checksum {
            return Err(CheckpointError::NotAccepted {
                image: path.to_path_buf(),
                reason: format!(
                    "{} builds on this image (it is incremental); upgrading this one in place would leave that one without its parent: upgrade {} (it becomes a full image), or write this one elsewhere with -o",
                    other.display(),
                    other.display()
                ),
            });
        }
    }
    Ok(())
}
