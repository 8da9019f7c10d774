//! Checkpoint and restart of processes and jobs of a [`System`]: what goes into an
//! image and how it comes back.
//!
//! An image of a process or a job holds:
//! - the summary (model, kind, pids, jid, the clock period it was taken at);
//! - the State section: the kernel state (every register, exchange package, file
//!   table, pipes with their unread bytes, signals, scheduler position, cycle counts,
//!   timing state, COS deck jobs) restricted to the chosen processes, in the frozen
//!   saved form of [`cray_emulator::saved`] (its version is the section's version;
//!   older versions are migrated on reading), with every memory field emptied;
//! - one Memory section per process (id = pid): its field as raw words;
//! - in images of saved-state version 1 only, with a COS deck job, the Decks section
//!   (kind [`DECKS_SECTION`]): where its interpreter stands and its local datasets
//!   (version 2 holds them in the state);
//! - the Files section (kind [`FILES_SECTION`]): the identity of every host file the
//!   processes have open (name, size, mtime, content hash), and with `--with-files`
//!   one FileContents section per file (id = index in that list).
//!
//! A process checkpointed without the rest of its job restarts as if the others had
//! ended at the checkpoint (`System::settle_absent_processes`).
//!
//! Files: positions are restored, contents are not; restart treats each file by its
//! policy ([`crate::file_policy`]): a file the job only read must not have changed
//! (UNICOS's rule), one it wrote is cut back to its length at the checkpoint, and with
//! the contents in the image the files are recreated, so it works after they changed
//! or vanished. The device and inode of each file are in a section of their own
//! ([`crate::file_policy::FILE_RECORDS_SECTION`]).

use crate::file_policy::{FileRecord, RestartFiles, FILE_RECORDS_SECTION, FILE_RECORDS_VERSION};
use cray_chkpnt::incremental::{self, memory_fields, FieldPrint, ParentRef};
use cray_chkpnt::{
    Compression, Image, ImageError, ImageKind, ImageSummary, ImageWriter, SectionKind, WrittenImage,
};
use cray_emulator::cos::deck::DeckJob;
use cray_emulator::memory::Memory;
use cray_emulator::saved;
use cray_emulator::system::files::{Description, OpenFile};
use cray_emulator::system::{Errno, ExitedMemory, HostRoot, Pid};
use cray_emulator::System;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use thiserror::Error;

pub use cray_chkpnt::format::{DECKS_SECTION, EXITED_MEMORY_SECTION, FILES_SECTION};
/// Version of the decks section's encoding.
pub const DECKS_VERSION: u16 = 1;
/// Version of the open-files list's encoding.
pub const FILES_VERSION: u16 = 1;
/// Version of the State section's encoding: the saved kernel state's
/// ([`cray_emulator::saved`]), which this build writes and the newest it reads.
pub const STATE_VERSION: u16 = saved::STATE_VERSION;
/// Version of the exited-memory section's encoding.
pub const EXITED_MEMORY_VERSION: u16 = 1;
/// Largest file whose contents `--with-files` carries (bytes).
pub const MAX_CARRIED_FILE: u64 = 1 << 30;

/// What a checkpoint names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// One process.
    Process(Pid),
    /// Every process of a job.
    Job(Pid),
}

/// Options of a checkpoint.
#[derive(Clone, Copy, Debug, Default)]
pub struct SaveOptions {
    /// Carry the contents of open files.
    pub with_files: bool,
    /// Compression of the memory sections.
    pub compress: bool,
}

/// Identity of an open host file at checkpoint time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileIdentity {
    /// Name relative to the root.
    pub path: String,
    /// False when the file did not exist when the checkpoint was taken.
    pub existed: bool,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the epoch (informational).
    pub mtime_ns: u128,
    /// xxh3 of the contents.
    pub content_hash: u64,
    /// True when the image carries the contents (FileContents section, id = index).
    pub carried: bool,
}

/// Failure of a checkpoint or a restart.
#[derive(Debug, Error)]
pub enum CheckpointError {
    /// The image file itself.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// Nothing to checkpoint.
    #[error("no live process {what} {id} to checkpoint")]
    NoSuchTarget {
        /// "pid" or "jid".
        what: &'static str,
        /// The id asked for.
        id: Pid,
    },
    /// A file the processes had open changed since the checkpoint.
    #[error("{image}: file {path} changed since the checkpoint ({detail}); use --file-policy {path}=ignore (or =append) or --force to restart anyway, or checkpoint --with-files")]
    FileChanged {
        /// The image.
        image: PathBuf,
        /// The file, relative to the root.
        path: String,
        /// What changed.
        detail: String,
    },
    /// A file the job wrote: bytes it had written before the checkpoint changed, so
    /// cutting it back to its length then would not give the file the job had.
    #[error("{image}: file {path}: its first {length} bytes, written before the checkpoint, changed since ({detail}); refusing to cut it back: use --file-policy {path}=ignore|append|replace to restart anyway")]
    PrefixChanged {
        /// The image.
        image: PathBuf,
        /// The file, relative to the root.
        path: String,
        /// Its length at the checkpoint.
        length: u64,
        /// What changed.
        detail: String,
    },
    /// A file the job wrote is longer than at the checkpoint, and it is another file
    /// (device, inode) than the one the job had open: it is not cut back.
    #[error("{image}: file {path} is not the file the job had open (device {}, inode {} then; device {}, inode {} now) and is longer than that one was; not cutting it back: use --file-policy {path}=truncate to cut it anyway, or =append or =ignore", then.0, then.1, now.0, now.1)]
    NotTheSameFile {
        /// The image.
        image: PathBuf,
        /// The file, relative to the root.
        path: String,
        /// Device and inode at the checkpoint.
        then: (u64, u64),
        /// Device and inode now.
        now: (u64, u64),
    },
    /// A file to check, cut or recreate is reached through a symbolic link now.
    #[error("{image}: file {path}: {link} is a symbolic link now; restart never reads, cuts or writes a file through a link (remove it, or use --file-policy {path}=ignore)")]
    SymbolicLink {
        /// The image.
        image: PathBuf,
        /// The file, relative to the root.
        path: String,
        /// The part of the name that is the link.
        link: String,
    },
    /// `--file-policy PATH=replace` for a file whose contents the image does not carry.
    #[error("{image}: --file-policy {path}=replace: the image does not carry the contents of {path} (checkpoint with --with-files or --checkpoint-with-files)")]
    NotCarried {
        /// The image.
        image: PathBuf,
        /// The file, relative to the root.
        path: String,
    },
    /// `--file-policy` names a file the job did not have open.
    #[error("{image}: --file-policy {path}: the job had no file {path} open at the checkpoint (its open files: {})", if open.is_empty() { "none".to_string() } else { open.join(", ") })]
    NoSuchOpenFile {
        /// The image.
        image: PathBuf,
        /// The name given.
        path: String,
        /// The files it had open.
        open: Vec<String>,
    },
    /// The image names a host file outside the root (a damaged or crafted image: the
    /// kernel only ever records names it resolved inside the root).
    #[error("{image}: {what} names file {path:?}, which is not inside the root {root}; refusing to restart")]
    OutsideRoot {
        /// The image.
        image: PathBuf,
        /// Where the name was found ("the open-files list", "the kernel state").
        what: &'static str,
        /// The name as recorded.
        path: String,
        /// The root it should lie in.
        root: PathBuf,
    },
    /// The kernel state decodes but breaks an invariant the kernel keeps (a damaged or
    /// crafted image whose checksums are right).
    #[error("{image}: the kernel state is inconsistent: {reason}; refusing to restart")]
    InconsistentState {
        /// The image.
        image: PathBuf,
        /// Which invariant fails, and where.
        reason: String,
    },
    /// The caller of [`restore_if`] refused what the image holds.
    #[error("{image}: {reason}")]
    NotAccepted {
        /// The image.
        image: PathBuf,
        /// Why.
        reason: String,
    },
    /// A host file could not be read or recreated.
    #[error("{path}: {source}")]
    HostFile {
        /// The host path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl CheckpointError {
    /// The errno a guest's `restart` (or `chkpnt`) call gets for this failure: the one
    /// that names its cause (ENOENT for a missing image, EACCES for one the host may
    /// not read), EINVAL for an image that is not one this system can restart.
    pub fn guest_errno(&self) -> Errno {
        match self {
            CheckpointError::Image(ImageError::Io { source, .. })
            | CheckpointError::HostFile { source, .. } => Errno::from_io(source),
            CheckpointError::NoSuchTarget { .. } => Errno::ESRCH,
            _ => Errno::EINVAL,
        }
    }
}

/// The pids a selection covers (zombies of a job included, so waits still work).
pub fn selected_pids(system: &System, selection: Selection) -> Result<Vec<Pid>, CheckpointError> {
    let pids: Vec<Pid> = match selection {
        Selection::Process(pid) => system
            .processes
            .get(&pid)
            .filter(|p| p.is_alive())
            .map(|p| vec![p.pid])
            .unwrap_or_default(),
        Selection::Job(jid) => system
            .processes
            .values()
            .filter(|p| p.jid == jid)
            .map(|p| p.pid)
            .collect(),
    };
    let any_alive = pids
        .iter()
        .any(|pid| system.processes.get(pid).is_some_and(|p| p.is_alive()));
    if !any_alive {
        let (what, id) = match selection {
            Selection::Process(pid) => ("pid", pid),
            Selection::Job(jid) => ("jid", jid),
        };
        return Err(CheckpointError::NoSuchTarget { what, id });
    }
    Ok(pids)
}

/// Host files open in `system` (sorted, each once).
fn open_host_files(system: &System) -> Vec<String> {
    host_paths(system.files.open.values())
}

/// Host files that a descriptor of one of `pids` refers to (sorted, each once): what
/// an image of those processes depends on. A file only the processes left out had open
/// is none of its business: a restart must neither refuse because it changed nor, with
/// `--with-files`, write the old contents over it.
fn held_host_files(system: &System, pids: &[Pid]) -> Vec<String> {
    let held = pids
        .iter()
        .filter_map(|pid| system.processes.get(pid))
        .flat_map(|process| process.fds.values())
        .filter_map(|id| system.files.open.get(id));
    host_paths(held)
}

/// The host names of `files` (sorted, each once).
fn host_paths<'a>(files: impl Iterator<Item = &'a OpenFile>) -> Vec<String> {
    let paths: BTreeSet<&String> = files
        .filter_map(|file| match &file.description {
            Description::Host { path, .. } => Some(path),
            _ => None,
        })
        .collect();
    paths.into_iter().cloned().collect()
}

/// The content hash recorded for an open directory (a process may open one to read):
/// a directory has no contents to compare, so its identity is "a directory", which a
/// file put in its place does not match.
pub(crate) fn directory_hash() -> u64 {
    xxhash_rust::xxh3::xxh3_64(b"cray: an open directory")
}

/// The content hash recorded for an open file that is neither a regular file nor a
/// directory (a FIFO, a device, a socket the host put where the guest's file was):
/// its "contents" are not a fact of the file (a FIFO's are gone once read, a device's
/// may never end), so its identity is "not a regular file", and nothing is read.
pub(crate) fn special_file_hash() -> u64 {
    xxhash_rust::xxh3::xxh3_64(b"cray: not a regular file")
}

/// The identity of an open host file, and its contents when `carry` and it is a regular
/// file of at most [`MAX_CARRIED_FILE`] bytes. Only regular files are read, and the
/// hash is taken reading, so that no file can hang or exhaust a checkpoint.
fn identify(
    root: &HostRoot,
    path: &str,
    carry: bool,
) -> Result<(FileIdentity, Vec<u8>), CheckpointError> {
    let host = root.host_path(path);
    let host_error = |source| CheckpointError::HostFile {
        path: host.clone(),
        source,
    };
    let unread = |existed: bool, content_hash: u64| FileIdentity {
        path: path.to_string(),
        existed,
        size: 0,
        mtime_ns: 0,
        content_hash,
        carried: false,
    };
    let file = match cray_chkpnt::host_file::open_nonblocking(&host) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((unread(false, 0), Vec::new()))
        }
        Err(source) => return Err(host_error(source)),
    };
    let meta = file.metadata().map_err(host_error)?;
    if meta.is_dir() {
        return Ok((unread(true, directory_hash()), Vec::new()));
    }
    if !meta.is_file() {
        return Ok((unread(true, special_file_hash()), Vec::new()));
    }
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let carried = carry && meta.len() <= MAX_CARRIED_FILE;
    let (size, content_hash, bytes) = hash_contents(file, carried).map_err(host_error)?;
    let identity = FileIdentity {
        path: path.to_string(),
        existed: true,
        size,
        mtime_ns,
        content_hash,
        carried: carried && size <= MAX_CARRIED_FILE,
    };
    let kept = if identity.carried { bytes } else { Vec::new() };
    Ok((identity, kept))
}

/// Reads a regular file to its end: its size, its xxh3 and, when `keep`, its bytes (at
/// most [`MAX_CARRIED_FILE`] and one more: a file that grows past the bound while it
/// is read is hashed whole and not kept).
fn hash_contents(mut file: std::fs::File, keep: bool) -> std::io::Result<(u64, u64, Vec<u8>)> {
    use std::io::Read;
    let mut hasher = xxhash_rust::xxh3::Xxh3Default::new();
    let mut kept = Vec::new();
    let mut size = 0u64;
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let got = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(got) => got,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buffer[..got]);
        size += got as u64;
        if keep && size <= MAX_CARRIED_FILE + 1 {
            kept.extend_from_slice(&buffer[..got]);
        }
    }
    Ok((size, hasher.digest(), kept))
}

/// The kernel state of the selected processes, with their memory fields moved out.
///
/// Returns the reduced system and the fields (pid, memory) in pid order; the caller's
/// system is left as it was.
fn split_state(system: &mut System, pids: &[Pid]) -> (System, Vec<(Pid, Memory)>) {
    let mut fields = Vec::with_capacity(pids.len());
    for pid in pids {
        if let Some(process) = system.processes.get_mut(pid) {
            fields.push((*pid, std::mem::take(&mut process.memory)));
        }
    }
    // Every other field is taken out too while cloning, so the clone is cheap.
    let mut others = Vec::new();
    for (pid, process) in system.processes.iter_mut() {
        if !pids.contains(pid) {
            others.push((*pid, std::mem::take(&mut process.memory)));
        }
    }
    let mut state = system.clone();
    state.processes.retain(|pid, _| pids.contains(pid));
    let jids: BTreeSet<Pid> = state.processes.values().map(|p| p.jid).collect();
    state.cos_decks.retain(|jid, _| jids.contains(jid));
    put_fields_back(system, others);
    (state, fields)
}

/// What an incremental checkpoint keeps of the image it just wrote, for the next one
/// to store only the pages changed since: where the image is, its header checksum, and
/// a fingerprint of every memory field in it.
#[derive(Clone, Debug)]
pub struct Baseline {
    path: PathBuf,
    header_checksum: u64,
    cycle: u64,
    depth: u32,
    fields: BTreeMap<Pid, FieldPrint>,
}

impl Baseline {
    /// The image.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Incremental images between it and the full image its chain starts at (0 for a
    /// full image).
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// The baseline of the image at `path`, from which `system` was just restored (so
    /// its memory fields are the image's): a job continued from a periodic image builds
    /// its next images on that one instead of starting a new chain with a full image.
    /// Reads the head of the image and those of its parents (for the chain's length),
    /// each once.
    pub fn of_restored(path: &Path, system: &System) -> Result<Baseline, ImageError> {
        let head = incremental::head_of(path)?;
        Ok(Baseline {
            path: path.to_path_buf(),
            header_checksum: head.header.checksum,
            cycle: system.clock,
            depth: incremental::chain_depth(path, &head)?,
            fields: system
                .processes
                .iter()
                .map(|(pid, process)| (*pid, FieldPrint::of(process.memory.words())))
                .collect(),
        })
    }
}

/// Whether `a` and `b` lie in the same directory (names relative to the current
/// directory compared as absolute ones).
fn same_directory(a: &Path, b: &Path) -> bool {
    let dir = |p: &Path| {
        std::path::absolute(p)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
    };
    dir(a).is_some() && dir(a) == dir(b)
}

/// Writes an image of `selection` to `path` atomically. Returns the bytes written.
pub fn save(
    system: &mut System,
    selection: Selection,
    options: SaveOptions,
    created_by: &str,
    path: &Path,
) -> Result<u64, CheckpointError> {
    Ok(
        write_image(system, selection, options, created_by, path, Mode::Full)?
            .0
            .image
            .bytes,
    )
}

/// Writes an image of `selection` to `path` atomically, incremental on `parent` when
/// there is one (format 1.1): each memory field the parent holds at the same length is
/// stored as the pages that changed since. The parent must lie in the same directory
/// (readers look for it beside the image); otherwise, or when no field could be a
/// delta, the image is full. Returns the bytes written and the baseline of this image
/// for the next.
pub fn save_incremental(
    system: &mut System,
    selection: Selection,
    options: SaveOptions,
    created_by: &str,
    path: &Path,
    parent: Option<&Baseline>,
) -> Result<(u64, Baseline), CheckpointError> {
    let beside = parent.filter(|p| same_directory(&p.path, path) && p.path != path);
    let mode = Mode::Incremental(beside);
    let (written, fields) = write_image(system, selection, options, created_by, path, mode)?;
    let baseline = Baseline {
        path: path.to_path_buf(),
        header_checksum: written.image.header_checksum,
        cycle: system.clock,
        depth: match beside {
            Some(parent) if written.incremental => parent.depth + 1,
            _ => 0,
        },
        fields,
    };
    Ok((written.image.bytes, baseline))
}

/// What [`write_image`] wrote.
struct Written {
    image: WrittenImage,
    /// Whether some field is a delta on the parent.
    incremental: bool,
}

/// How [`write_image`] stores memory.
#[derive(Clone, Copy)]
enum Mode<'b> {
    /// Every field whole, without fingerprints ([`save`]).
    Full,
    /// Every field fingerprinted, and stored as a delta on the parent where the parent
    /// holds it ([`save_incremental`]).
    Incremental(Option<&'b Baseline>),
}

/// The work of [`save`] and [`save_incremental`]; the fields' prints with
/// [`Mode::Incremental`] (none with [`Mode::Full`]).
fn write_image(
    system: &mut System,
    selection: Selection,
    options: SaveOptions,
    created_by: &str,
    path: &Path,
    mode: Mode<'_>,
) -> Result<(Written, BTreeMap<Pid, FieldPrint>), CheckpointError> {
    let pids = selected_pids(system, selection)?;
    let files = HeldFiles::of(system, &pids, options.with_files)?;
    let summary = summary_of(system, selection, &pids, created_by);
    let (state, fields) = split_state(system, &pids);
    let (prints, parent) = match mode {
        Mode::Incremental(parent) => (fingerprints(&fields), parent),
        Mode::Full => (BTreeMap::new(), None),
    };
    let memory = MemoryPlan {
        deltas: parent.map_or_else(BTreeMap::new, |parent| changed_pages(parent, &prints)),
        parent,
        fields: &fields,
        prints: &prints,
    };
    let result = write_sections(summary, state, &files, memory, options, path);
    put_fields_back(system, fields);
    Ok((result?, prints))
}

/// The host files an image of some processes depends on, each with its identity, its
/// carried contents (empty unless carried) and its device and inode, in one order.
struct HeldFiles {
    identities: Vec<FileIdentity>,
    contents: Vec<Vec<u8>>,
    records: Vec<FileRecord>,
}

impl HeldFiles {
    /// The files `pids` hold in `system`, their contents read when `carry`.
    fn of(system: &System, pids: &[Pid], carry: bool) -> Result<HeldFiles, CheckpointError> {
        let root = system.root();
        let mut files = HeldFiles {
            identities: Vec::new(),
            contents: Vec::new(),
            records: Vec::new(),
        };
        for file in held_host_files(system, pids) {
            let (identity, bytes) = identify(root, &file, carry)?;
            files.identities.push(identity);
            files.contents.push(bytes);
            files.records.push(FileRecord::of(root, &file));
        }
        Ok(files)
    }
}

/// The summary of an image of `selection` (covering `pids`) taken now.
fn summary_of(
    system: &System,
    selection: Selection,
    pids: &[Pid],
    created_by: &str,
) -> ImageSummary {
    let (kind, jid) = match selection {
        Selection::Process(pid) => (
            ImageKind::Process,
            system.processes.get(&pid).map_or(pid, |p| p.jid),
        ),
        Selection::Job(jid) => (ImageKind::Job, jid),
    };
    ImageSummary {
        model: system.config.model.name().to_string(),
        kind,
        pids: pids.to_vec(),
        jid,
        cycle: system.clock,
        created_by: created_by.to_string(),
    }
}

/// The fingerprint of every memory field.
fn fingerprints(fields: &[(Pid, Memory)]) -> BTreeMap<Pid, FieldPrint> {
    fields
        .iter()
        .map(|(pid, memory)| (*pid, FieldPrint::of(memory.words())))
        .collect()
}

/// The fields that can be stored as deltas on `parent`, with the pages each stores.
fn changed_pages(parent: &Baseline, prints: &BTreeMap<Pid, FieldPrint>) -> BTreeMap<Pid, Vec<u32>> {
    prints
        .iter()
        .filter_map(|(pid, print)| {
            let pages = parent.fields.get(pid)?.changed_pages(print)?;
            Some((*pid, pages))
        })
        .collect()
}

/// How the memory fields of an image are stored.
struct MemoryPlan<'f> {
    /// The fields, in pid order.
    fields: &'f [(Pid, Memory)],
    /// Their fingerprints (empty for a full image).
    prints: &'f BTreeMap<Pid, FieldPrint>,
    /// The image the deltas are taken on.
    parent: Option<&'f Baseline>,
    /// The fields stored as deltas, with the pages each stores; the others are whole.
    deltas: BTreeMap<Pid, Vec<u32>>,
}

/// Writes the image's sections to `path` atomically, in the order images have always
/// had them: readers that do not know a later section find the earlier ones where
/// they were.
fn write_sections(
    summary: ImageSummary,
    state: System,
    files: &HeldFiles,
    memory: MemoryPlan<'_>,
    options: SaveOptions,
    path: &Path,
) -> Result<Written, CheckpointError> {
    let mut writer = ImageWriter::new(summary);
    // Outside the saved state: a section of its own, written last (below).
    let exited_memory = state.exited_memory;
    // The COS decks are part of the saved state since its version 2.
    let state = saved::encode(state).map_err(|source| encode_error("kernel state", source))?;
    writer.add_section(SectionKind::State, 0, STATE_VERSION, state);
    let identities = postcard::to_stdvec(&files.identities)
        .map_err(|source| encode_error("open-files list", source))?;
    writer.add_section(
        SectionKind::Other(FILES_SECTION),
        0,
        FILES_VERSION,
        identities,
    );
    if let Some(parent) = memory.parent.filter(|_| !memory.deltas.is_empty()) {
        writer.parent(&parent_ref(parent))?;
    }
    if options.compress {
        writer.compression(Compression::Zstd(1));
    }
    add_memory(&mut writer, memory);
    add_carried_files(&mut writer, files);
    // A section of its own, so that images without it (and readers that do not
    // know it) still work: postcard cannot add a field to the open-files list. It
    // comes last, so the sections before it keep the places they always had.
    let records = postcard::to_stdvec(&files.records)
        .map_err(|source| encode_error("file records", source))?;
    writer.add_section(
        SectionKind::Other(FILE_RECORDS_SECTION),
        0,
        FILE_RECORDS_VERSION,
        records,
    );
    // After every other section, for the same reason.
    add_exited_memory(&mut writer, exited_memory)?;
    let incremental = writer.is_incremental();
    let image = writer.write_atomic(path)?;
    Ok(Written { image, incremental })
}

/// Adds a FileContents section (id = index in the open-files list) per file whose
/// contents the image carries.
fn add_carried_files<'f>(writer: &mut ImageWriter<'f>, files: &'f HeldFiles) {
    for (index, (identity, bytes)) in files.identities.iter().zip(&files.contents).enumerate() {
        if identity.carried {
            writer.add_file(index as u32, bytes);
        }
    }
}

/// Adds the exited-memory section when a process of the system had ended (an image
/// without one is as images always were).
fn add_exited_memory(
    writer: &mut ImageWriter<'_>,
    exited_memory: ExitedMemory,
) -> Result<(), CheckpointError> {
    if !exited_memory.is_empty() {
        let fold = postcard::to_stdvec(&exited_memory.saved())
            .map_err(|source| encode_error("exited memory", source))?;
        writer.add_section(
            SectionKind::Other(EXITED_MEMORY_SECTION),
            0,
            EXITED_MEMORY_VERSION,
            fold,
        );
    }
    Ok(())
}

/// The error of a section that could not be encoded.
fn encode_error(section: &str, source: postcard::Error) -> CheckpointError {
    CheckpointError::Image(ImageError::Encode {
        section: section.into(),
        source,
    })
}

/// How an image names `parent`, the image it builds on.
fn parent_ref(parent: &Baseline) -> ParentRef {
    ParentRef {
        name: parent
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        header_checksum: parent.header_checksum,
        cycle: parent.cycle,
    }
}

/// Adds a section per memory field: the pages changed since the parent where the
/// plan stores a delta, the whole field otherwise.
fn add_memory<'f>(writer: &mut ImageWriter<'f>, mut memory: MemoryPlan<'f>) {
    for (pid, field) in memory.fields {
        match memory.deltas.remove(pid) {
            Some(pages) => {
                writer.add_memory_delta(*pid, field.words(), pages, memory.prints[pid].checksum())
            }
            None => writer.add_memory(*pid, field.words()),
        };
    }
}

/// Gives the processes of `system` back the memory fields [`split_state`] took out.
fn put_fields_back(system: &mut System, fields: Vec<(Pid, Memory)>) {
    for (pid, memory) in fields {
        if let Some(process) = system.processes.get_mut(&pid) {
            process.memory = memory;
        }
    }
}

/// What [`restore`] gives back.
pub struct Restored {
    /// The system, host side not yet attached.
    pub system: System,
    /// The image summary.
    pub summary: ImageSummary,
    /// Files that had changed and were accepted because of `force`, or recreated.
    pub notes: Vec<String>,
}

/// Reads the COS deck jobs of an image (none when it has no decks section).
fn cos_decks(image: &Image) -> Result<BTreeMap<Pid, DeckJob>, CheckpointError> {
    let Some(info) = image.find(SectionKind::Other(DECKS_SECTION), 0) else {
        return Ok(BTreeMap::new());
    };
    let offset = cray_chkpnt::ByteOffset(info.offset);
    if info.version != DECKS_VERSION {
        return Err(CheckpointError::Image(ImageError::BadSection {
            file: image.path().to_path_buf(),
            section: info.name(),
            offset,
            reason: format!(
                "COS decks version {} is not one this cray reads (it reads {DECKS_VERSION})",
                info.version
            ),
        }));
    }
    let bytes = image.section(SectionKind::Other(DECKS_SECTION), 0)?;
    saved::decode_v1_decks(&bytes).map_err(|source| {
        CheckpointError::Image(ImageError::Decode {
            file: image.path().to_path_buf(),
            section: "COS decks".into(),
            offset,
            source,
        })
    })
}

/// The newest version of each kind of section this build reads; `None` for a kind it
/// does not know (kept and shown, otherwise ignored).
pub fn known_version(kind: SectionKind) -> Option<u16> {
    match kind.canonical() {
        SectionKind::Summary => Some(cray_chkpnt::format::SUMMARY_VERSION),
        SectionKind::State => Some(STATE_VERSION),
        SectionKind::Memory | SectionKind::FileContents => Some(1),
        SectionKind::MemoryDelta => Some(incremental::DELTA_VERSION),
        SectionKind::Parent => Some(incremental::PARENT_VERSION),
        SectionKind::Other(FILES_SECTION) => Some(FILES_VERSION),
        SectionKind::Other(DECKS_SECTION) => Some(DECKS_VERSION),
        SectionKind::Other(FILE_RECORDS_SECTION) => Some(FILE_RECORDS_VERSION),
        SectionKind::Other(EXITED_MEMORY_SECTION) => Some(EXITED_MEMORY_VERSION),
        SectionKind::Other(_) => None,
    }
}

/// The sections of `image` in a version newer than this build reads, each with the
/// newest version it does read.
pub fn newer_sections(image: &Image) -> Vec<(cray_chkpnt::SectionInfo, u16)> {
    image
        .sections()
        .iter()
        .filter_map(|s| {
            known_version(s.kind)
                .filter(|&known| s.version > known)
                .map(|known| (*s, known))
        })
        .collect()
}

/// Refuses an image with a section newer than this build reads, naming the first.
pub fn check_versions(image: &Image) -> Result<(), ImageError> {
    match newer_sections(image).first() {
        None => Ok(()),
        Some((section, known)) => Err(ImageError::NewerSection {
            file: image.path().to_path_buf(),
            section: section.name(),
            version: section.version,
            known: *known,
        }),
    }
}

/// The kernel state an image holds, whatever version of the saved state it is in,
/// migrated to the live [`System`] (host side not attached, memory fields empty).
pub fn kernel_state(image: &Image) -> Result<System, CheckpointError> {
    check_versions(image)?;
    let file = || image.path().to_path_buf();
    let Some(info) = image.find(SectionKind::State, 0).copied() else {
        return Err(ImageError::MissingSection {
            file: file(),
            section: format!("{} 0", SectionKind::State),
        }
        .into());
    };
    let bytes = image.section(SectionKind::State, 0)?;
    let decks = cos_decks(image)?;
    let mut system = saved::decode(info.version, &bytes, decks).map_err(|error| {
        let error = match error {
            saved::StateError::Decode { version, source } => ImageError::Decode {
                file: file(),
                section: format!("{} (kernel state version {version})", info.name()),
                offset: cray_chkpnt::ByteOffset(info.offset),
                source,
            },
            other => ImageError::BadSection {
                file: file(),
                section: info.name(),
                offset: cray_chkpnt::ByteOffset(info.offset),
                reason: other.to_string(),
            },
        };
        CheckpointError::Image(error)
    })?;
    system.exited_memory = exited_memory(image)?;
    Ok(system)
}

/// Reads the hash of the ended processes' memory of an image (none ended when it has
/// no such section).
fn exited_memory(image: &Image) -> Result<ExitedMemory, CheckpointError> {
    let Some(info) = image.find(SectionKind::Other(EXITED_MEMORY_SECTION), 0) else {
        return Ok(ExitedMemory::default());
    };
    let offset = cray_chkpnt::ByteOffset(info.offset);
    let bad = |reason: String| {
        CheckpointError::Image(ImageError::BadSection {
            file: image.path().to_path_buf(),
            section: info.name(),
            offset,
            reason,
        })
    };
    if info.version != EXITED_MEMORY_VERSION {
        return Err(bad(format!(
            "exited-memory version {} is not one this cray reads (it reads {EXITED_MEMORY_VERSION})",
            info.version
        )));
    }
    let bytes = image.section(SectionKind::Other(EXITED_MEMORY_SECTION), 0)?;
    match postcard::from_bytes::<u64>(&bytes) {
        Ok(0) => Err(bad(
            "the exited-memory hash is 0, which no ended process gives".into(),
        )),
        Ok(fold) => Ok(ExitedMemory::from_saved(fold)),
        Err(source) => Err(CheckpointError::Image(ImageError::Decode {
            file: image.path().to_path_buf(),
            section: "exited memory".into(),
            offset,
            source,
        })),
    }
}

/// Reads the open-files list of an image.
pub fn file_identities(image: &Image) -> Result<Vec<FileIdentity>, CheckpointError> {
    match image.find(SectionKind::Other(FILES_SECTION), 0) {
        None => Ok(Vec::new()),
        Some(info) => {
            let offset = cray_chkpnt::ByteOffset(info.offset);
            let bytes = image.section(SectionKind::Other(FILES_SECTION), 0)?;
            postcard::from_bytes(&bytes).map_err(|source| {
                CheckpointError::Image(ImageError::Decode {
                    file: image.path().to_path_buf(),
                    section: "open-files list".into(),
                    offset,
                    source,
                })
            })
        }
    }
}

/// Refuses a host file name from `image` that could reach outside `root`: the kernel
/// records names it resolved (relative, plain components), so anything else, an
/// absolute name, `..`, or a symbolic link out of the root, means a damaged or crafted
/// image, and restart would read, write or recreate a file it must not touch.
pub(crate) fn confine(
    image: &Path,
    root: &HostRoot,
    what: &'static str,
    name: &str,
) -> Result<(), CheckpointError> {
    // The empty name is the root itself (a process may have the root directory open).
    if name.is_empty() {
        return Ok(());
    }
    let plain = Path::new(name)
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if plain && root.resolve(name).is_ok() {
        return Ok(());
    }
    Err(CheckpointError::OutsideRoot {
        image: image.to_path_buf(),
        what,
        path: name.to_string(),
        root: root.path().to_path_buf(),
    })
}

/// The system `image` holds, decoded and checked for consistency; no host file is
/// looked at (memory and files are restored by the caller).
pub fn decode_system(image: &Image) -> Result<System, CheckpointError> {
    let system = kernel_state(image)?;
    system
        .check_consistency()
        .map_err(|reason| CheckpointError::InconsistentState {
            image: image.path().to_path_buf(),
            reason: reason.to_string(),
        })?;
    Ok(system)
}

/// Reads an image and rebuilds the system it holds, checking (or recreating) the
/// files its processes had open inside `root`, each with its default policy.
pub fn restore(path: &Path, root: &HostRoot, force: bool) -> Result<Restored, CheckpointError> {
    restore_if(path, root, force, |_| Ok(()))
}

/// [`restore`], but first `accept` looks at the system the image holds and may refuse
/// it (with the reason) before any host file is checked or recreated.
pub fn restore_if(
    path: &Path,
    root: &HostRoot,
    force: bool,
    accept: impl FnOnce(&System) -> Result<(), String>,
) -> Result<Restored, CheckpointError> {
    restore_with(path, root, &RestartFiles::forced(force), accept)
}

/// [`restore_if`] with the files treated as `files` says (`--force`, `--file-policy`;
/// see [`crate::file_policy`]).
pub fn restore_with(
    path: &Path,
    root: &HostRoot,
    files: &RestartFiles,
    accept: impl FnOnce(&System) -> Result<(), String>,
) -> Result<Restored, CheckpointError> {
    let mut image = Image::open(path)?;
    let mut system = decode_system(&image)?;
    for name in open_host_files(&system) {
        confine(path, root, "the kernel state", &name)?;
    }
    accept(&system).map_err(|reason| CheckpointError::NotAccepted {
        image: path.to_path_buf(),
        reason,
    })?;
    // Which files the job wrote is read before the processes left out let go of theirs.
    let written = crate::file_policy::written_files(&system);
    // A process taken without the rest of its job: what the others held is gone.
    system.settle_absent_processes();
    let pids: Vec<Pid> = system.processes.keys().copied().collect();
    for (pid, words) in memory_fields(&mut image, &pids)? {
        if let Some(process) = system.processes.get_mut(&pid) {
            process.memory = Memory::from_words(words);
        }
    }
    let notes = crate::file_policy::restore_files(&mut image, root, &mut system, &written, files)?;
    Ok(Restored {
        system,
        summary: image.summary().clone(),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(root: &HostRoot, name: &str) -> bool {
        matches!(
            confine(Path::new("x.chk"), root, "the open-files list", name),
            Err(CheckpointError::OutsideRoot { .. })
        )
    }

    #[test]
    fn only_plain_names_inside_the_root_are_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let root = HostRoot::new(dir.path().join("root"));
        std::fs::create_dir_all(dir.path().join("root/sub")).unwrap();
        std::fs::write(dir.path().join("outside"), "").unwrap();
        for name in ["", "a.txt", "sub/b.txt", "new/dir/c.txt"] {
            assert!(!refused(&root, name), "{name:?} refused");
        }
        let absolute = dir.path().join("outside").display().to_string();
        for name in [
            "../outside",
            "sub/../../outside",
            "./a.txt",
            "/etc/passwd",
            &absolute,
        ] {
            assert!(refused(&root, name), "{name:?} accepted");
        }
        std::os::unix::fs::symlink(dir.path(), dir.path().join("root/link")).unwrap();
        assert!(
            refused(&root, "link/outside"),
            "a symbolic link out of the root"
        );
    }
}
