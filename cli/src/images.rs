//! `cray chkpnt`, `cray inspect`, `cray diff` and `cray ps`.

use crate::control::{Request, Response};
use crate::control_client::{self, AskError};
use crate::output::{errln, out, outln};
use crate::CliError;
use cray_chkpnt::incremental;
use cray_chkpnt::Image;
use cray_emulator::system::files::Description;
use cray_emulator::system::{Process, System};
use cray_sysimage::file_policy::{file_records, written_files, FilePolicy, FileRecord};
use cray_sysimage::system_image::{
    file_identities, kernel_state, known_version, newer_sections, FileIdentity, SaveOptions,
};
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

/// `cray chkpnt (-p PID | -j JID) -f FILE [-k] [--with-files] [-z] [--session ID]`.
pub fn chkpnt(
    pid: Option<u32>,
    jid: Option<u32>,
    file: &Path,
    kill: bool,
    options: SaveOptions,
    session: Option<u32>,
) -> Result<ExitCode, CliError> {
    let (job, id) = match (pid, jid) {
        (Some(pid), None) => (false, pid),
        (None, Some(jid)) => (true, jid),
        _ => {
            return Err(CliError::new(
                "chkpnt: give exactly one of -p PID and -j JID",
            ))
        }
    };
    let file = std::path::absolute(file).map_err(|e| CliError::io(file, e))?;
    let session = control_client::find_session(session)?;
    let request = Request::Chkpnt {
        job,
        id,
        file: file.display().to_string(),
        kill,
        with_files: options.with_files,
        compress: options.compress,
    };
    let target = format!("{} {id}", if job { "job" } else { "process" });
    let ended = || {
        CliError::new(format!(
            "chkpnt: session {} ended before {target} could be checkpointed (the job ended)",
            session.id
        ))
    };
    match control_client::ask(&session, &request, None) {
        Ok(Response::Ok(message)) => {
            outln!("{message}");
            Ok(ExitCode::SUCCESS)
        }
        Ok(Response::Error(message)) => Err(CliError::new(format!("chkpnt: {message}"))),
        Ok(Response::Ended) => Err(ended()),
        Ok(Response::Ps(_) | Response::Figures(_)) => {
            Err(CliError::new("chkpnt: unexpected answer from the session"))
        }
        Err(AskError::Gone(_)) if control_client::session_ended(&session) => Err(ended()),
        Err(AskError::Gone(e)) => Err(CliError::new(format!(
            "chkpnt: session {} closed the connection without answering: {e}",
            session.id
        ))),
        Err(AskError::NotAnswering) => Err(CliError::new(format!(
            "chkpnt: session {} is not answering (is it suspended?)",
            session.id
        ))),
        Err(AskError::Failed(e)) => Err(CliError::new(format!("chkpnt: {e}"))),
    }
}

/// `cray ps`: the processes of every session the caller may see (its own; root's,
/// everyone's), a session that does not answer at once shown as such.
pub fn ps() -> Result<ExitCode, CliError> {
    let sessions = control_client::sessions()?;
    outln!(
        "{:>8} {:>6} {:>6} {:>6} {:>6} {:>14}  {:<24} PROGRAM",
        "SESSION",
        "UID",
        "PID",
        "PPID",
        "JID",
        "CYCLES",
        "STATE"
    );
    for session in sessions {
        let (id, uid) = (session.id, session.owner);
        let answer = control_client::ask(&session, &Request::Ps, Some(control_client::PS_DEADLINE));
        match answer {
            Ok(Response::Ps(rows)) => {
                for row in rows {
                    outln!(
                        "{id:>8} {uid:>6} {:>6} {:>6} {:>6} {:>14}  {:<24} {}",
                        row.pid,
                        row.ppid,
                        row.jid,
                        row.cycles,
                        row.state,
                        row.program
                    );
                }
            }
            Err(AskError::NotAnswering) => outln!(
                "{id:>8} {uid:>6} {:>6} {:>6} {:>6} {:>14}  {:<24} -",
                "-",
                "-",
                "-",
                "-",
                "not answering"
            ),
            // Ended since it was found.
            Ok(Response::Ended) | Err(AskError::Gone(_)) => {}
            Ok(Response::Error(message)) => errln!("cray: ps: session {id}: {message}"),
            Ok(Response::Ok(_) | Response::Figures(_)) => {
                errln!("cray: ps: session {id}: unexpected answer")
            }
            Err(AskError::Failed(e)) => errln!("cray: ps: session {id}: {e}"),
        }
        // The figures of the session's progress display; a session of an older cray
        // does not know the request and shows none.
        let figures = control_client::ask(
            &session,
            &Request::Figures,
            Some(control_client::PS_DEADLINE),
        );
        if let Ok(Response::Figures(figures)) = figures {
            outln!("{id:>8} {}", figures.describe());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An image with its kernel state decoded and memory fields put back.
struct Loaded {
    image: Image,
    system: System,
    files: Vec<FileIdentity>,
    /// Device and inode of each open file (empty for older images).
    records: Vec<FileRecord>,
    /// Why the memory fields could not be put together (an incremental image whose
    /// chain is broken); the fields are then empty.
    memory_error: Option<String>,
}

/// Reads the image at `path`; an incremental image whose memory cannot be put
/// together still loads, with the reason in `memory_error` (`cray inspect` shows the
/// rest, parent included, to help mend the chain).
fn load(path: &Path) -> Result<Loaded, CliError> {
    load_opened(Image::open(path).map_err(|e| CliError::new(e.to_string()))?)
}

/// [`load`] of an image already opened.
fn load_opened(mut image: Image) -> Result<Loaded, CliError> {
    let mut system = kernel_state(&image).map_err(|e| CliError::new(e.to_string()))?;
    let pids: Vec<u32> = system.processes.keys().copied().collect();
    let memory_error = match incremental::memory_fields(&mut image, &pids) {
        Ok(fields) => {
            for (pid, words) in fields {
                if let Some(process) = system.processes.get_mut(&pid) {
                    process.memory = cray_emulator::memory::Memory::from_words(words);
                }
            }
            None
        }
        Err(e) => Some(e.to_string()),
    };
    let files = file_identities(&image).map_err(|e| CliError::new(e.to_string()))?;
    let records = file_records(&image).map_err(|e| CliError::new(e.to_string()))?;
    Ok(Loaded {
        image,
        system,
        files,
        records,
        memory_error,
    })
}

/// [`load`], refusing an image whose memory cannot be put together.
fn load_whole(path: &Path) -> Result<Loaded, CliError> {
    let loaded = load(path)?;
    match &loaded.memory_error {
        Some(e) => Err(CliError::new(e.clone())),
        None => Ok(loaded),
    }
}

/// A section's name, with the open-files list of system images named as such.
fn section_name(section: &cray_chkpnt::SectionInfo) -> String {
    if section.kind == cray_chkpnt::SectionKind::Other(cray_sysimage::system_image::FILES_SECTION) {
        format!("#{} open-files", section.index)
    } else if section.kind
        == cray_chkpnt::SectionKind::Other(cray_sysimage::file_policy::FILE_RECORDS_SECTION)
    {
        format!("#{} file-records", section.index)
    } else {
        section.name()
    }
}

fn process_json(p: &Process, memory_known: bool) -> serde_json::Value {
    json!({
        "pid": p.pid, "ppid": p.ppid, "jid": p.jid, "uid": p.uid,
        "program": p.program,
        "state": format!("{:?}", p.state),
        "personality": format!("{:?}", p.personality),
        "p": format!("{:o}", p.cpu.p),
        "cycles": p.cpu.cycles,
        "instructions": p.cpu.instructions,
        "field_words": memory_known.then(|| p.memory.len()),
        "registers": crate::registers::registers_json(&p.cpu),
        "open_fds": p.fds.keys().collect::<Vec<_>>(),
    })
}

/// An open file of an image as `cray inspect` shows it: its identity at the checkpoint
/// and the policy a restart gives it unless told otherwise.
struct OpenFileView<'a> {
    identity: &'a FileIdentity,
    /// Device and inode (images written before they were recorded have none).
    record: Option<&'a FileRecord>,
    /// Open for writing or appending by one of the processes.
    written: bool,
    policy: FilePolicy,
}

impl OpenFileView<'_> {
    fn json(&self) -> serde_json::Value {
        let f = self.identity;
        json!({"path": f.path, "existed": f.existed, "size": f.size,
               "content_hash": format!("{:016x}", f.content_hash), "carried": f.carried,
               "device": self.record.map(|r| r.device), "inode": self.record.map(|r| r.inode),
               "access": if self.written { "write" } else { "read" },
               "default_policy": self.policy.name()})
    }

    fn text(&self) -> String {
        let f = self.identity;
        let place = match self.record {
            Some(r) => format!("device {} inode {}, ", r.device, r.inode),
            None => String::new(),
        };
        format!(
            "{:<24} {place}{} bytes, xxh3 {:016x}{}, open for {}, restart policy {}",
            f.path,
            f.size,
            f.content_hash,
            if f.carried { ", contents carried" } else { "" },
            if self.written { "writing" } else { "reading" },
            self.policy
        )
    }
}

/// The open files of `loaded`, with what a restart would do with each.
fn open_files(loaded: &Loaded) -> Vec<OpenFileView<'_>> {
    let written = written_files(&loaded.system);
    loaded
        .files
        .iter()
        .map(|identity| {
            let written = written.contains(&identity.path);
            OpenFileView {
                identity,
                record: loaded.records.iter().find(|r| r.path == identity.path),
                written,
                policy: FilePolicy::default_for(identity, written),
            }
        })
        .collect()
}

/// One section as `cray inspect --json` shows it; `pages` are a memory delta's pages
/// stored and the field's pages.
fn section_json(s: &cray_chkpnt::SectionInfo, pages: Option<(usize, usize)>) -> serde_json::Value {
    let mut entry = json!({
        "name": section_name(s), "version": s.version, "known_version": known_version(s.kind),
        "newer_than_this_build": version_warning(s).is_some(),
        "offset": s.offset, "stored_bytes": s.stored_len,
        "raw_bytes": s.raw_len, "checksum": format!("{:016x}", s.raw_checksum),
        "compressed": s.compressed(),
    });
    if let Some((stored, field)) = pages {
        entry["pages_stored"] = json!(stored);
        entry["field_pages"] = json!(field);
    }
    entry
}

/// The sections of `image` as `cray inspect` lists them, each with its version.
fn write_sections(
    out: &mut String,
    image: &Image,
    pages: impl Fn(&cray_chkpnt::SectionInfo) -> Option<(usize, usize)>,
) {
    let _ = writeln!(out, "  sections:");
    for s in image.sections() {
        let newer = match known_version(s.kind) {
            Some(known) if s.version > known => {
                format!(" NEWER than this cray reads (at most v{known})")
            }
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "    {:<20} v{:<3} offset {:>10} stored {:>10} raw {:>10} xxh3 {:016x}{}{newer}",
            section_name(s),
            s.version,
            s.offset,
            s.stored_len,
            s.raw_len,
            s.raw_checksum,
            if s.compressed() { " zstd" } else { "" }
        );
        if let Some((stored, field)) = pages(s) {
            let _ = writeln!(
                out,
                "      {stored} of the field's {field} pages (512 words each)"
            );
        }
    }
}

/// What `inspect --json` says of every image from its header and summary alone.
fn header_json(path: &Path, image: &Image) -> serde_json::Value {
    let summary = image.summary();
    let (major, minor) = image.version();
    json!({
        "file": path.display().to_string(),
        "format_version": format!("{major}.{minor}"),
        "bytes": image.file_len(),
        "model": summary.model,
        "kind": format!("{:?}", summary.kind),
        "pids": summary.pids,
        "jid": summary.jid,
        "cycle": summary.cycle,
        "created_by": summary.created_by,
    })
}

/// `cray inspect` of an image with a section newer than this build reads: what the
/// format itself says (summary, sections and their versions) and a warning; the
/// kernel state is not decoded.
fn inspect_newer(path: &Path, image: &Image, as_json: bool) -> Result<ExitCode, CliError> {
    let summary = image.summary();
    let (major, minor) = image.version();
    let warnings: Vec<String> = image
        .sections()
        .iter()
        .filter_map(version_warning)
        .collect();
    for warning in &warnings {
        errln!("cray: inspect: warning: {}: {warning}; it was written by a newer cray, which is needed to restart it", path.display());
    }
    if as_json {
        let sections: Vec<serde_json::Value> = image
            .sections()
            .iter()
            .map(|s| section_json(s, None))
            .collect();
        let mut value = header_json(path, image);
        value["sections"] = json!(sections);
        value["warnings"] = json!(warnings);
        outln!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: cray checkpoint image, format {major}.{minor}, {} bytes",
        path.display(),
        image.file_len()
    );
    let _ = writeln!(
        out,
        "  {:?} image of job {} (pids {:?}) taken at clock period {} on a {} by {}",
        summary.kind, summary.jid, summary.pids, summary.cycle, summary.model, summary.created_by
    );
    for warning in &warnings {
        let _ = writeln!(
            out,
            "  warning: {warning}: this cray cannot show the state nor restart it"
        );
    }
    write_sections(&mut out, image, |_| None);
    out!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// `cray inspect FILE [--json]`.
pub fn inspect(path: &Path, as_json: bool) -> Result<ExitCode, CliError> {
    let image = Image::open(path).map_err(|e| CliError::new(e.to_string()))?;
    if !newer_sections(&image).is_empty() {
        return inspect_newer(path, &image, as_json);
    }
    let loaded = load_opened(image)?;
    let image = &loaded.image;
    let summary = image.summary();
    let (major, minor) = image.version();
    // Per section, in table order: for a memory delta, its pages stored and the
    // field's pages (a delta too damaged to count shows none; memory_error says why).
    let delta_pages: Vec<Option<(usize, usize)>> = image
        .sections()
        .iter()
        .map(|s| {
            (s.kind == cray_chkpnt::SectionKind::MemoryDelta)
                .then(|| incremental::delta_pages(image, s.id).ok().flatten())
                .flatten()
        })
        .collect();
    let pages = |s: &cray_chkpnt::SectionInfo| delta_pages[s.index];
    let sections: Vec<serde_json::Value> = image
        .sections()
        .iter()
        .map(|s| section_json(s, pages(s)))
        .collect();
    let parent = image.parent().map_err(|e| CliError::new(e.to_string()))?;
    let processes: Vec<serde_json::Value> = loaded
        .system
        .processes
        .values()
        .map(|p| process_json(p, loaded.memory_error.is_none()))
        .collect();
    let state_hash = loaded
        .memory_error
        .is_none()
        .then(|| format!("{:016x}", loaded.system.state_hash()));
    let open_files = open_files(&loaded);
    let files: Vec<serde_json::Value> = open_files.iter().map(OpenFileView::json).collect();
    let mut value = header_json(path, image);
    let details = json!({
        "parent": parent.as_ref().map(|p| json!({
            "file": p.name, "cycle": p.cycle,
            "header_checksum": format!("{:016x}", p.header_checksum),
        })),
        "state_hash": state_hash,
        "memory_error": loaded.memory_error,
        "processes": processes,
        "files": files,
        "cos_decks": loaded.system.cos_decks.keys().collect::<Vec<_>>(),
        "sections": sections,
        "warnings": Vec::<String>::new(),
    });
    if let (Some(all), serde_json::Value::Object(details)) = (value.as_object_mut(), details) {
        all.extend(details);
    }
    if as_json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return inspected(&loaded);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: cray checkpoint image, format {major}.{minor}, {} bytes",
        path.display(),
        image.file_len()
    );
    let _ = writeln!(
        out,
        "  {:?} image of {} taken at clock period {} on a {} by {}",
        summary.kind,
        if summary.pids.len() == 1 {
            format!("pid {}", summary.pids[0])
        } else {
            format!("job {} (pids {:?})", summary.jid, summary.pids)
        },
        summary.cycle,
        summary.model,
        summary.created_by
    );
    if let Some(p) = &parent {
        let _ = writeln!(
            out,
            "  incremental: builds on {} (taken at clock period {}, header xxh3 {:016x})",
            p.name, p.cycle, p.header_checksum
        );
    }
    match &state_hash {
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
    for p in loaded.system.processes.values() {
        let field = match loaded.memory_error {
            None => format!("{} words", p.memory.len()),
            Some(_) => "unknown".to_string(),
        };
        let _ = writeln!(
            out,
            "    pid {:<5} ppid {:<5} jid {:<5} {:<12} P={:o} cycles {} field {field} fds {:?} {:?}",
            p.pid, p.ppid, p.jid, p.program, p.cpu.p, p.cpu.cycles, p.fds.keys().collect::<Vec<_>>(), p.state
        );
    }
    if !loaded.system.cos_decks.is_empty() {
        let jids: Vec<String> = loaded
            .system
            .cos_decks
            .keys()
            .map(|j| j.to_string())
            .collect();
        let _ = writeln!(out, "  COS deck jobs: jid {}", jids.join(", "));
    }
    if !open_files.is_empty() {
        let _ = writeln!(out, "  open files:");
        for f in &open_files {
            let _ = writeln!(out, "    {}", f.text());
        }
    }
    write_sections(&mut out, image, |s| pages(s));
    out!("{out}");
    inspected(&loaded)
}

/// `cray upgrade IMAGE [-o OUT]`.
pub fn upgrade(image: &Path, output: Option<&Path>) -> Result<ExitCode, CliError> {
    let out = output.unwrap_or(image);
    let upgraded = cray_sysimage::upgrade::upgrade(image, out, crate::CREATED_BY)
        .map_err(|e| CliError::new(format!("upgrade: {e}")))?;
    let (major, minor) = upgraded.from_format;
    outln!(
        "{}: format {major}.{minor} kernel state version {} -> format {}.{} kernel state version {}{}, {} bytes",
        out.display(),
        upgraded.from_state,
        cray_chkpnt::MAJOR_VERSION,
        cray_chkpnt::MINOR_VERSION,
        cray_sysimage::system_image::STATE_VERSION,
        if upgraded.was_incremental { " (was incremental, now full)" } else { "" },
        upgraded.bytes
    );
    Ok(ExitCode::SUCCESS)
}

/// What `cray inspect` says of a section's version: nothing when this build reads it.
fn version_warning(s: &cray_chkpnt::SectionInfo) -> Option<String> {
    let known = known_version(s.kind)?;
    (s.version > known).then(|| {
        format!(
            "section {} has version {}, newer than this cray reads (at most {known})",
            section_name(s),
            s.version
        )
    })
}

/// How `cray inspect` ends once it has shown what it could: with the reason the
/// memory could not be put together, if it could not.
fn inspected(loaded: &Loaded) -> Result<ExitCode, CliError> {
    match &loaded.memory_error {
        Some(e) => Err(CliError::new(format!("inspect: {e}"))),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// Ranges of word addresses where two memory fields differ, as "first-last" strings.
fn memory_ranges(a: &[u64], b: &[u64]) -> Vec<String> {
    let mut ranges = Vec::new();
    let len = a.len().max(b.len());
    let mut start: Option<usize> = None;
    for address in 0..=len {
        let differs = address < len && a.get(address) != b.get(address);
        match (differs, start) {
            (true, None) => start = Some(address),
            (false, Some(first)) => {
                ranges.push(if first == address - 1 {
                    format!("{first:o}")
                } else {
                    format!("{first:o}-{:o}", address - 1)
                });
                start = None;
            }
            _ => {}
        }
    }
    ranges
}

/// What differs between two versions of one process: every register and field of
/// the register table, then its kernel fields (descriptors, signals, state).
fn register_differences(a: &Process, b: &Process) -> Vec<String> {
    let mut lines = crate::registers::register_differences(&a.cpu, &b.cpu);
    lines.extend(crate::kernel_differences::process_differences(a, b));
    lines
}

/// `cray diff A B`: exit status 0 when the images hold the same state, 1 otherwise.
pub fn diff(a_path: &Path, b_path: &Path) -> Result<ExitCode, CliError> {
    let a = load_whole(a_path)?;
    let b = load_whole(b_path)?;
    let mut out = String::new();
    let (sa, sb) = (a.image.summary(), b.image.summary());
    if sa.cycle != sb.cycle {
        let _ = writeln!(out, "taken at clock period {} -> {}", sa.cycle, sb.cycle);
    }
    let pids: std::collections::BTreeSet<u32> = a
        .system
        .processes
        .keys()
        .chain(b.system.processes.keys())
        .copied()
        .collect();
    for pid in pids {
        match (a.system.processes.get(&pid), b.system.processes.get(&pid)) {
            (Some(pa), Some(pb)) => {
                let mut lines = register_differences(pa, pb);
                let ranges = memory_ranges(pa.memory.words(), pb.memory.words());
                if !ranges.is_empty() {
                    let shown: Vec<&str> = ranges.iter().take(16).map(String::as_str).collect();
                    lines.push(format!(
                        "memory words differ at {}{}",
                        shown.join(", "),
                        if ranges.len() > 16 {
                            format!(" and {} more ranges", ranges.len() - 16)
                        } else {
                            String::new()
                        }
                    ));
                }
                for line in lines {
                    let _ = writeln!(out, "pid {pid}: {line}");
                }
            }
            (Some(_), None) => {
                let _ = writeln!(out, "pid {pid}: only in {}", a_path.display());
            }
            (None, Some(_)) => {
                let _ = writeln!(out, "pid {pid}: only in {}", b_path.display());
            }
            (None, None) => {}
        }
    }
    let offsets = |s: &System| -> Vec<(u64, String, u64)> {
        s.files
            .open
            .iter()
            .filter_map(|(id, f)| match &f.description {
                Description::Host { path, offset, .. } => Some((*id, path.clone(), *offset)),
                _ => None,
            })
            .collect()
    };
    for (id, path, offset) in offsets(&a.system) {
        let other = offsets(&b.system).into_iter().find(|(i, _, _)| *i == id);
        match other {
            Some((_, _, o)) if o != offset => {
                let _ = writeln!(
                    out,
                    "file {path} (description {id}): offset {offset} -> {o}"
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "file {path} (description {id}): only in {}",
                    a_path.display()
                );
            }
            _ => {}
        }
    }
    for line in crate::kernel_differences::system_differences(&a.system, &b.system) {
        let _ = writeln!(out, "kernel: {line}");
    }
    if a.system.state_hash() != b.system.state_hash() && out.is_empty() {
        let _ = writeln!(
            out,
            "state hashes differ in a field cray diff does not show"
        );
    }
    if out.is_empty() {
        outln!(
            "images hold the same state (hash {:016x})",
            a.system.state_hash()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        out!("{out}");
        Ok(ExitCode::from(1))
    }
}
