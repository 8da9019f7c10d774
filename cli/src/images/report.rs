//! What `cray inspect` shows of an image, as one value: [`InspectReport::of_image`]
//! and [`InspectReport::of_newer_image`] build it, [`InspectReport::text`] renders it
//! for people and [`InspectReport::json`] for programs, so the two can never say
//! different things.

use super::{section_name, version_warning, Loaded};
use cray_chkpnt::{incremental, Image, SectionInfo, SectionKind};
use cray_emulator::Process;
use cray_sysimage::file_policy::{written_files, FilePolicy, FileRecord};
use cray_sysimage::system_image::{known_version, FileIdentity};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// Everything `cray inspect` shows of an image. The field names are the keys of
/// `inspect --json`.
#[derive(Serialize)]
pub(super) struct InspectReport {
    #[serde(flatten)]
    header: HeaderReport,
    /// What the kernel state says; `None` when a section is newer than this build
    /// reads, so the state was not decoded.
    #[serde(flatten)]
    state: Option<StateReport>,
    sections: Vec<SectionReport>,
    /// A section in a version newer than this build reads, each.
    warnings: Vec<String>,
}

/// What every image says from its header and summary alone.
#[derive(Serialize)]
struct HeaderReport {
    file: String,
    /// "MAJOR.MINOR".
    format_version: String,
    bytes: u64,
    model: String,
    kind: String,
    pids: Vec<u32>,
    jid: u32,
    cycle: u64,
    created_by: String,
}

/// What the decoded kernel state, the memory and the open-files list say.
#[derive(Serialize)]
struct StateReport {
    /// The image this incremental image builds on.
    parent: Option<ParentReport>,
    /// `None` when the memory could not be put together (`memory_error` says why).
    state_hash: Option<String>,
    memory_error: Option<String>,
    processes: Vec<ProcessReport>,
    files: Vec<FileReport>,
    /// Jids of the COS deck jobs.
    cos_decks: Vec<u32>,
}

/// The parent an incremental image names.
#[derive(Serialize)]
struct ParentReport {
    file: String,
    cycle: u64,
    header_checksum: String,
}

/// One process of the image.
#[derive(Serialize)]
struct ProcessReport {
    pid: u32,
    ppid: u32,
    jid: u32,
    uid: u32,
    program: String,
    state: String,
    personality: String,
    /// The program counter, octal.
    p: String,
    cycles: u64,
    instructions: u64,
    /// `None` when the memory could not be put together.
    field_words: Option<usize>,
    registers: serde_json::Value,
    open_fds: Vec<u32>,
}

/// One open host file, with what a restart does with it by default.
#[derive(Serialize)]
struct FileReport {
    path: String,
    existed: bool,
    size: u64,
    content_hash: String,
    carried: bool,
    /// Device and inode (images written before they were recorded have none).
    device: Option<u64>,
    inode: Option<u64>,
    access: Access,
    /// The policy a restart gives it unless told otherwise.
    default_policy: &'static str,
}

/// How the processes had a file open.
#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Access {
    /// Only for reading.
    Read,
    /// For writing or appending, by one of the processes at least.
    Write,
}

/// One section of the table.
#[derive(Serialize)]
struct SectionReport {
    name: String,
    version: u16,
    /// The newest version of its kind this build reads (`None`: a kind it does not know).
    known_version: Option<u16>,
    newer_than_this_build: bool,
    offset: u64,
    stored_bytes: u64,
    raw_bytes: u64,
    checksum: String,
    compressed: bool,
    /// For a memory delta: the pages it stores, and the field's pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pages_stored: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field_pages: Option<usize>,
}

impl InspectReport {
    /// The report of an image whose state was decoded (`loaded`).
    pub(super) fn of_image(path: &Path, loaded: &Loaded) -> Result<InspectReport, String> {
        let image = &loaded.image;
        Ok(InspectReport {
            header: HeaderReport::of(path, image),
            state: Some(StateReport::of(loaded)?),
            sections: sections(image, |s| delta_pages(image, s)),
            warnings: Vec::new(),
        })
    }

    /// The report of an image with a section newer than this build reads: what the
    /// format itself says (summary, sections and their versions) and the warnings.
    pub(super) fn of_newer_image(path: &Path, image: &Image) -> InspectReport {
        InspectReport {
            header: HeaderReport::of(path, image),
            state: None,
            sections: sections(image, |_| None),
            warnings: image
                .sections()
                .iter()
                .filter_map(version_warning)
                .collect(),
        }
    }

    /// The warnings (each names a section newer than this build reads).
    pub(super) fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// `inspect --json`: the report, its keys in sorted order (as `serde_json`
    /// writes an object).
    pub(super) fn json(&self) -> String {
        serde_json::to_value(self)
            .and_then(|value| serde_json::to_string_pretty(&value))
            .unwrap_or_default()
    }

    /// `inspect`: the report for people.
    pub(super) fn text(&self) -> String {
        let mut out = String::new();
        self.header.write(&mut out, self.state.is_some());
        for warning in &self.warnings {
            let _ = writeln!(
                out,
                "  warning: {warning}: this cray cannot show the state nor restart it"
            );
        }
        if let Some(state) = &self.state {
            state.write(&mut out);
        }
        let _ = writeln!(out, "  sections:");
        for section in &self.sections {
            section.write(&mut out);
        }
        out
    }
}

impl HeaderReport {
    fn of(path: &Path, image: &Image) -> HeaderReport {
        let summary = image.summary();
        let (major, minor) = image.version();
        HeaderReport {
            file: path.display().to_string(),
            format_version: format!("{major}.{minor}"),
            bytes: image.file_len(),
            model: summary.model.clone(),
            kind: format!("{:?}", summary.kind),
            pids: summary.pids.clone(),
            jid: summary.jid,
            cycle: summary.cycle,
            created_by: summary.created_by.clone(),
        }
    }

    /// The first two lines. An image whose state was decoded names its one process
    /// by pid; one that was not always names the job (as `inspect` always has).
    fn write(&self, out: &mut String, state_decoded: bool) {
        let _ = writeln!(
            out,
            "{}: cray checkpoint image, format {}, {} bytes",
            self.file, self.format_version, self.bytes
        );
        let what = if state_decoded && self.pids.len() == 1 {
            format!("pid {}", self.pids[0])
        } else {
            format!("job {} (pids {:?})", self.jid, self.pids)
        };
        let _ = writeln!(
            out,
            "  {} image of {what} taken at clock period {} on a {} by {}",
            self.kind, self.cycle, self.model, self.created_by
        );
    }
}

impl StateReport {
    fn of(loaded: &Loaded) -> Result<StateReport, String> {
        let memory_known = loaded.memory_error.is_none();
        let parent = loaded.image.parent().map_err(|e| e.to_string())?;
        Ok(StateReport {
            parent: parent.map(|p| ParentReport {
                file: p.name.to_string(),
                cycle: p.cycle,
                header_checksum: format!("{:016x}", p.header_checksum),
            }),
            state_hash: memory_known.then(|| format!("{:016x}", loaded.system.state_hash())),
            memory_error: loaded.memory_error.clone(),
            processes: loaded
                .system
                .processes
                .values()
                .map(|p| ProcessReport::of(p, memory_known))
                .collect(),
            files: files(loaded),
            cos_decks: loaded.system.cos_decks.keys().copied().collect(),
        })
    }

    fn write(&self, out: &mut String) {
        if let Some(p) = &self.parent {
            let _ = writeln!(
                out,
                "  incremental: builds on {} (taken at clock period {}, header xxh3 {})",
                p.file, p.cycle, p.header_checksum
            );
        }
        match &self.state_hash {
            Some(hash) => {
                let _ = writeln!(out, "  state hash {hash}");
            }
            None => {
                let _ = writeln!(
                    out,
                    "  memory and state hash unknown: the chain is broken (below)"
                );
            }
        }
        let _ = writeln!(out, "  processes:");
        for process in &self.processes {
            process.write(out);
        }
        if !self.cos_decks.is_empty() {
            let jids: Vec<String> = self.cos_decks.iter().map(u32::to_string).collect();
            let _ = writeln!(out, "  COS deck jobs: jid {}", jids.join(", "));
        }
        if !self.files.is_empty() {
            let _ = writeln!(out, "  open files:");
            for file in &self.files {
                file.write(out);
            }
        }
    }
}

impl ProcessReport {
    fn of(p: &Process, memory_known: bool) -> ProcessReport {
        ProcessReport {
            pid: p.pid,
            ppid: p.ppid,
            jid: p.jid,
            uid: p.uid,
            program: p.program.clone(),
            state: format!("{:?}", p.state),
            personality: format!("{:?}", p.personality),
            p: format!("{:o}", p.cpu.p),
            cycles: p.cpu.cycles,
            instructions: p.cpu.instructions,
            field_words: memory_known.then(|| p.memory.len()),
            registers: crate::registers::registers_json(&p.cpu),
            open_fds: p.fds.keys().copied().collect(),
        }
    }

    fn write(&self, out: &mut String) {
        let field = match self.field_words {
            Some(words) => format!("{words} words"),
            None => "unknown".to_string(),
        };
        let _ = writeln!(
            out,
            "    pid {:<5} ppid {:<5} jid {:<5} {:<12} P={} cycles {} field {field} fds {:?} {}",
            self.pid,
            self.ppid,
            self.jid,
            self.program,
            self.p,
            self.cycles,
            self.open_fds,
            self.state
        );
    }
}

impl FileReport {
    fn of(identity: &FileIdentity, record: Option<&FileRecord>, written: bool) -> FileReport {
        FileReport {
            path: identity.path.clone(),
            existed: identity.existed,
            size: identity.size,
            content_hash: format!("{:016x}", identity.content_hash),
            carried: identity.carried,
            device: record.map(|r| r.device),
            inode: record.map(|r| r.inode),
            access: if written { Access::Write } else { Access::Read },
            default_policy: FilePolicy::default_for(identity, written).name(),
        }
    }

    fn write(&self, out: &mut String) {
        let place = match (self.device, self.inode) {
            (Some(device), Some(inode)) => format!("device {device} inode {inode}, "),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "    {:<24} {place}{} bytes, xxh3 {}{}, open for {}, restart policy {}",
            self.path,
            self.size,
            self.content_hash,
            if self.carried {
                ", contents carried"
            } else {
                ""
            },
            match self.access {
                Access::Write => "writing",
                Access::Read => "reading",
            },
            self.default_policy
        );
    }
}

/// The open files of `loaded`, each with what a restart would do with it.
fn files(loaded: &Loaded) -> Vec<FileReport> {
    let written = written_files(&loaded.system);
    loaded
        .files
        .iter()
        .map(|identity| {
            let record = loaded.records.iter().find(|r| r.path == identity.path);
            FileReport::of(identity, record, written.contains(&identity.path))
        })
        .collect()
}

/// The sections of `image` in table order; `pages` gives a memory delta's pages
/// stored and its field's pages.
fn sections(
    image: &Image,
    pages: impl Fn(&SectionInfo) -> Option<(usize, usize)>,
) -> Vec<SectionReport> {
    image
        .sections()
        .iter()
        .map(|s| SectionReport::of(s, pages(s)))
        .collect()
}

/// For a memory delta section, its pages stored and the field's pages (a delta too
/// damaged to count shows none; `memory_error` says why).
fn delta_pages(image: &Image, s: &SectionInfo) -> Option<(usize, usize)> {
    (s.kind == SectionKind::MemoryDelta)
        .then(|| incremental::delta_pages(image, s.id).ok().flatten())
        .flatten()
}

impl SectionReport {
    fn of(s: &SectionInfo, pages: Option<(usize, usize)>) -> SectionReport {
        SectionReport {
            name: section_name(s),
            version: s.version,
            known_version: known_version(s.kind),
            newer_than_this_build: version_warning(s).is_some(),
            offset: s.offset,
            stored_bytes: s.stored_len,
            raw_bytes: s.raw_len,
            checksum: format!("{:016x}", s.raw_checksum),
            compressed: s.compressed(),
            pages_stored: pages.map(|(stored, _)| stored),
            field_pages: pages.map(|(_, field)| field),
        }
    }

    fn write(&self, out: &mut String) {
        let newer = match self.known_version {
            Some(known) if self.newer_than_this_build => {
                format!(" NEWER than this cray reads (at most v{known})")
            }
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "    {:<20} v{:<3} offset {:>10} stored {:>10} raw {:>10} xxh3 {}{}{newer}",
            self.name,
            self.version,
            self.offset,
            self.stored_bytes,
            self.raw_bytes,
            self.checksum,
            if self.compressed { " zstd" } else { "" }
        );
        if let (Some(stored), Some(field)) = (self.pages_stored, self.field_pages) {
            let _ = writeln!(
                out,
                "      {stored} of the field's {field} pages (512 words each)"
            );
        }
    }
}
