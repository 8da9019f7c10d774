//! `cray chkpnt`, `cray inspect`, `cray diff` and `cray ps`.

mod report;

use crate::control::{Request, Response};
use crate::control_client::{self, AskError};
use crate::output::{errln, out, outln};
use crate::CliError;
use cray_chkpnt::incremental;
use cray_chkpnt::Image;
use cray_emulator::system::files::Description;
use cray_emulator::{Process, System};
use cray_sysimage::file_policy::{file_records, FileRecord};
use cray_sysimage::system_image::{
    file_identities, kernel_state, known_version, newer_sections, FileIdentity, SaveOptions,
};
use report::InspectReport;
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
    if section.kind == cray_chkpnt::SectionKind::Other(cray_chkpnt::format::FILES_SECTION) {
        format!("#{} open-files", section.index)
    } else if section.kind
        == cray_chkpnt::SectionKind::Other(cray_chkpnt::format::FILE_RECORDS_SECTION)
    {
        format!("#{} file-records", section.index)
    } else {
        section.name()
    }
}

/// `cray inspect FILE [--json]`.
pub fn inspect(path: &Path, as_json: bool) -> Result<ExitCode, CliError> {
    let image = Image::open(path).map_err(|e| CliError::new(e.to_string()))?;
    if !newer_sections(&image).is_empty() {
        return inspect_newer(path, &image, as_json);
    }
    let loaded = load_opened(image)?;
    let report = InspectReport::of_image(path, &loaded).map_err(CliError::new)?;
    show(&report, as_json);
    inspected(&loaded)
}

/// `cray inspect` of an image with a section newer than this build reads: what the
/// format itself says (summary, sections and their versions) and a warning; the
/// kernel state is not decoded.
fn inspect_newer(path: &Path, image: &Image, as_json: bool) -> Result<ExitCode, CliError> {
    let report = InspectReport::of_newer_image(path, image);
    for warning in report.warnings() {
        errln!("cray: inspect: warning: {}: {warning}; it was written by a newer cray, which is needed to restart it", path.display());
    }
    show(&report, as_json);
    Ok(ExitCode::SUCCESS)
}

/// Prints `report` as text or as JSON.
fn show(report: &InspectReport, as_json: bool) {
    if as_json {
        outln!("{}", report.json());
    } else {
        out!("{}", report.text());
    }
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
