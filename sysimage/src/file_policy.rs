//! What restart does with each host file the job had open: SGI/Cray CPR's per-file
//! restart policies.
//!
//! UNICOS refused a restart when any open file had changed. That is right for a file
//! the job reads (its results would depend on the change), and wrong for a file the
//! job writes: the job itself changes it after every checkpoint, so after a crash the
//! newest image could never be restarted. Each file therefore gets a policy:
//!
//! - `truncate`, the default for a file open for writing or appending: cut it back to
//!   its length at the checkpoint (what the job wrote after it, it writes again), and
//!   refuse only when bytes before that length changed (someone else wrote there);
//! - `fail`, the default for a file open only for reading: refuse on any change;
//! - `replace`, the default when the image carries the contents: write them back;
//! - `append`: keep the file and go on at its end (every description of it gets the
//!   current length as its offset);
//! - `ignore`: keep the file as it is, offsets unchanged.
//!
//! For a file it may cut back, the image records the identity of the file (device and
//! inode, in the [`FILE_RECORDS_SECTION`]): the default never cuts another file that
//! took the name (the image moved to another host, the user replaced the file) and
//! refuses instead. Nothing is modified before every file has been checked, and no
//! file is read, cut or written through a symbolic link ([`cray_chkpnt::beneath`]).

use crate::system_image::{CheckpointError, FileIdentity};
use cray_chkpnt::beneath::{self, Access, BeneathError};
use cray_chkpnt::{Image, ImageError, SectionKind};
use cray_emulator::system::files::Description;
use cray_emulator::system::HostRoot;
use cray_emulator::System;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

pub use cray_chkpnt::format::FILE_RECORDS_SECTION;
/// Version of the file records' encoding.
pub const FILE_RECORDS_VERSION: u16 = 1;

/// What restart does with one host file (see the module notes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FilePolicy {
    /// Cut back to the length at the checkpoint; refuse if bytes before it changed.
    Truncate,
    /// Write the contents the image carries.
    Replace,
    /// Keep the file and continue at its end.
    Append,
    /// Keep the file as it is, offsets unchanged.
    Ignore,
    /// Refuse on any change.
    Fail,
}

impl FilePolicy {
    /// Every policy, in the order `--file-policy` lists them.
    pub const ALL: [FilePolicy; 5] = [
        FilePolicy::Truncate,
        FilePolicy::Replace,
        FilePolicy::Append,
        FilePolicy::Ignore,
        FilePolicy::Fail,
    ];

    /// The name `--file-policy` and `cray inspect` use.
    pub fn name(self) -> &'static str {
        match self {
            FilePolicy::Truncate => "truncate",
            FilePolicy::Replace => "replace",
            FilePolicy::Append => "append",
            FilePolicy::Ignore => "ignore",
            FilePolicy::Fail => "fail",
        }
    }

    /// The policy named `name`.
    pub fn from_name(name: &str) -> Option<FilePolicy> {
        FilePolicy::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The policy a file gets unless told otherwise: replace what the image carries,
    /// cut back what the job wrote, refuse any change to what it only read.
    pub fn default_for(identity: &FileIdentity, written: bool) -> FilePolicy {
        if identity.carried {
            FilePolicy::Replace
        } else if written && identity.existed {
            FilePolicy::Truncate
        } else {
            FilePolicy::Fail
        }
    }
}

impl fmt::Display for FilePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses `PATH=POLICY` (the argument of `--file-policy`).
pub fn parse_assignment(text: &str) -> Result<(String, FilePolicy), String> {
    let names = FilePolicy::ALL.map(FilePolicy::name).join("|");
    let (path, name) = text
        .rsplit_once('=')
        .ok_or_else(|| format!("`{text}`: expected PATH=POLICY, POLICY one of {names}"))?;
    if path.is_empty() {
        return Err(format!("`{text}`: the file name is empty"));
    }
    let policy = FilePolicy::from_name(name)
        .ok_or_else(|| format!("`{text}`: unknown policy `{name}` (one of {names})"))?;
    Ok((path.to_string(), policy))
}

/// Where a host file was when the checkpoint was taken (the [`FILE_RECORDS_SECTION`]
/// holds one per entry of the open-files list, in the same order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Name relative to the root (the same as the open-files entry's).
    pub path: String,
    /// Device of the file system it lay on (`st_dev`).
    pub device: u64,
    /// Its inode number (`st_ino`).
    pub inode: u64,
}

impl FileRecord {
    /// The record of `path` (relative to `root`) as it is now; device and inode 0 when
    /// it does not exist.
    pub fn of(root: &HostRoot, path: &str) -> FileRecord {
        use std::os::unix::fs::MetadataExt;
        let (device, inode) =
            std::fs::metadata(root.host_path(path)).map_or((0, 0), |meta| (meta.dev(), meta.ino()));
        FileRecord {
            path: path.to_string(),
            device,
            inode,
        }
    }
}

/// Reads the file records of an image (none for an image written before they were).
pub fn file_records(image: &Image) -> Result<Vec<FileRecord>, CheckpointError> {
    let kind = SectionKind::Other(FILE_RECORDS_SECTION);
    let Some(info) = image.find(kind, 0) else {
        return Ok(Vec::new());
    };
    let offset = cray_chkpnt::ByteOffset(info.offset);
    let bytes = image.section(kind, 0)?;
    postcard::from_bytes(&bytes).map_err(|source| {
        CheckpointError::Image(ImageError::Decode {
            file: image.path().to_path_buf(),
            section: "file records".into(),
            offset,
            source,
        })
    })
}

/// The host files that a descriptor of some process of `system` has open for writing
/// or appending.
pub fn written_files(system: &System) -> BTreeSet<String> {
    system
        .processes
        .values()
        .flat_map(|process| process.fds.values())
        .filter_map(|id| system.files.open.get(id))
        .filter_map(|file| match &file.description {
            Description::Host {
                path,
                writable,
                append,
                ..
            } if *writable || *append => Some(path.clone()),
            _ => None,
        })
        .collect()
}

/// What restart is told about files: `--force` and the `--file-policy` options (by the
/// name the user gave).
#[derive(Clone, Debug, Default)]
pub struct RestartFiles {
    /// Restart even when a file changed in a way its policy refuses (it is then left
    /// as it is).
    pub force: bool,
    /// Policies given for files, by name (relative to the root, or a host path inside
    /// it).
    pub policies: BTreeMap<String, FilePolicy>,
}

impl RestartFiles {
    /// Only `--force` (or not), every file with its default policy.
    pub fn forced(force: bool) -> RestartFiles {
        RestartFiles {
            force,
            policies: BTreeMap::new(),
        }
    }
}

/// One file as restart will treat it.
struct Planned<'a> {
    index: usize,
    identity: &'a FileIdentity,
    policy: FilePolicy,
    action: Action,
}

/// What restart does to a file once all are checked.
enum Action {
    /// Nothing.
    Keep,
    /// Cut it back to this many bytes.
    Cut { from: u64, to: u64 },
    /// Write the carried contents.
    Replace,
    /// Set every description's offset to this (the file's length now).
    Append(u64),
}

/// Checks every open file of the image against its policy and then does what the
/// policies say; `system` is the restored state (its offsets change for `append`).
/// Returns the notes for the user.
pub(crate) fn restore_files(
    image: &mut Image,
    root: &HostRoot,
    system: &mut System,
    written: &BTreeSet<String>,
    files: &RestartFiles,
) -> Result<Vec<String>, CheckpointError> {
    let path = image.path().to_path_buf();
    let identities = crate::system_image::file_identities(image)?;
    let records = file_records(image)?;
    let explicit = explicit_policies(&path, root, &identities, &files.policies)?;
    let mut notes = Vec::new();
    let mut plan = Vec::new();
    for (index, identity) in identities.iter().enumerate() {
        crate::system_image::confine(&path, root, "the open-files list", &identity.path)?;
        let policy = explicit
            .get(&identity.path)
            .copied()
            .unwrap_or_else(|| FilePolicy::default_for(identity, written.contains(&identity.path)));
        let record = records.iter().find(|r| r.path == identity.path);
        let checked = check(
            &path,
            root,
            identity,
            record,
            policy,
            explicit.contains_key(&identity.path),
        );
        let action = match checked {
            Ok(action) => action,
            Err(refusal) if files.force && refusal.forceable() => {
                notes.push(format!(
                    "{}; restarting anyway (--force)",
                    refusal.summary()
                ));
                Action::Keep
            }
            Err(refusal) => return Err(refusal.into_error()),
        };
        plan.push(Planned {
            index,
            identity,
            policy,
            action,
        });
    }
    for planned in plan {
        apply(image, root, system, &planned, &mut notes)?;
    }
    Ok(notes)
}

/// The `--file-policy` options by the recorded name of the file they name; a name that
/// is no open file of the image is an error.
fn explicit_policies(
    image: &Path,
    root: &HostRoot,
    identities: &[FileIdentity],
    given: &BTreeMap<String, FilePolicy>,
) -> Result<BTreeMap<String, FilePolicy>, CheckpointError> {
    let mut explicit = BTreeMap::new();
    for (name, policy) in given {
        let resolved = root.resolve(name).ok();
        let found = identities
            .iter()
            .find(|i| i.path == *name || Some(&i.path) == resolved.as_ref());
        let Some(identity) = found else {
            return Err(CheckpointError::NoSuchOpenFile {
                image: image.to_path_buf(),
                path: name.clone(),
                open: identities.iter().map(|i| i.path.clone()).collect(),
            });
        };
        if *policy == FilePolicy::Replace && !identity.carried {
            return Err(CheckpointError::NotCarried {
                image: image.to_path_buf(),
                path: identity.path.clone(),
            });
        }
        explicit.insert(identity.path.clone(), *policy);
    }
    Ok(explicit)
}

/// Why a file's policy refuses the restart.
enum Refusal {
    /// The file changed (`detail`) and its policy does not allow it.
    Changed {
        image: PathBuf,
        path: String,
        detail: String,
    },
    /// Bytes the job wrote before the checkpoint changed.
    Prefix {
        image: PathBuf,
        path: String,
        length: u64,
        detail: String,
    },
    /// Another file has the name, longer than the job's was.
    NotTheSame {
        image: PathBuf,
        path: String,
        then: (u64, u64),
        now: (u64, u64),
    },
    /// Any other error (never passed by `--force`).
    Error(CheckpointError),
}

impl Refusal {
    fn forceable(&self) -> bool {
        !matches!(self, Refusal::Error(_))
    }

    fn summary(&self) -> String {
        match self {
            Refusal::Changed { path, detail, .. } => format!("{path} changed ({detail})"),
            Refusal::Prefix {
                path,
                length,
                detail,
                ..
            } => format!("{path}: its first {length} bytes changed ({detail})"),
            Refusal::NotTheSame { path, .. } => {
                format!("{path} is not the file the job had open")
            }
            Refusal::Error(e) => e.to_string(),
        }
    }

    fn into_error(self) -> CheckpointError {
        match self {
            Refusal::Changed {
                image,
                path,
                detail,
            } => CheckpointError::FileChanged {
                image,
                path,
                detail,
            },
            Refusal::Prefix {
                image,
                path,
                length,
                detail,
            } => CheckpointError::PrefixChanged {
                image,
                path,
                length,
                detail,
            },
            Refusal::NotTheSame {
                image,
                path,
                then,
                now,
            } => CheckpointError::NotTheSameFile {
                image,
                path,
                then,
                now,
            },
            Refusal::Error(e) => e,
        }
    }
}

impl From<CheckpointError> for Refusal {
    fn from(error: CheckpointError) -> Refusal {
        Refusal::Error(error)
    }
}

/// A file as restart finds it, read without following links.
struct Found {
    /// False when it does not exist.
    exists: bool,
    directory: bool,
    /// Neither a regular file nor a directory (never read).
    special: bool,
    size: u64,
    device: u64,
    inode: u64,
    file: Option<std::fs::File>,
}

/// Looks at `relative` under the root without following a link; a link is an error
/// naming it.
fn look(image: &Path, root: &HostRoot, relative: &str) -> Result<Found, CheckpointError> {
    use std::os::unix::fs::MetadataExt;
    match beneath::open(root.path(), relative, Access::Read) {
        Ok(file) => {
            let meta = file
                .metadata()
                .map_err(|source| host_error(root, relative, source))?;
            Ok(Found {
                exists: true,
                directory: meta.is_dir(),
                special: !meta.is_dir() && !meta.is_file(),
                size: meta.len(),
                device: meta.dev(),
                inode: meta.ino(),
                file: Some(file),
            })
        }
        Err(BeneathError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(Found {
            exists: false,
            directory: false,
            special: false,
            size: 0,
            device: 0,
            inode: 0,
            file: None,
        }),
        Err(e) => Err(beneath_error(image, root, relative, e)),
    }
}

/// The error of a [`beneath::open`] of `relative`.
fn beneath_error(
    image: &Path,
    root: &HostRoot,
    relative: &str,
    error: BeneathError,
) -> CheckpointError {
    match error {
        BeneathError::SymbolicLink { link } => CheckpointError::SymbolicLink {
            image: image.to_path_buf(),
            path: relative.to_string(),
            link,
        },
        BeneathError::Io(source) => host_error(root, relative, source),
    }
}

fn host_error(root: &HostRoot, relative: &str, source: std::io::Error) -> CheckpointError {
    CheckpointError::HostFile {
        path: root.host_path(relative),
        source,
    }
}

/// The xxh3 of the first `length` bytes of `file`, or `None` when it is shorter.
fn prefix_hash(file: &mut std::fs::File, length: u64) -> std::io::Result<Option<u64>> {
    file.seek(SeekFrom::Start(0))?;
    let mut hasher = xxhash_rust::xxh3::Xxh3Default::new();
    let mut left = length;
    let mut buffer = vec![0u8; 1 << 16];
    while left > 0 {
        let want = buffer
            .len()
            .min(usize::try_from(left).unwrap_or(usize::MAX));
        let got = file.read(&mut buffer[..want])?;
        if got == 0 {
            return Ok(None);
        }
        hasher.update(&buffer[..got]);
        left -= got as u64;
    }
    Ok(Some(hasher.digest()))
}

/// What changed about a file whose whole contents are compared (policy `fail`), if
/// anything.
fn whole_file_change(
    root: &HostRoot,
    identity: &FileIdentity,
    found: &mut Found,
) -> Result<Option<String>, CheckpointError> {
    let was_directory = identity.content_hash == crate::system_image::directory_hash();
    let was_special = identity.content_hash == crate::system_image::special_file_hash();
    let detail = if identity.existed && !found.exists {
        Some("it no longer exists".to_string())
    } else if !identity.existed && found.exists {
        Some("it exists now but did not then".to_string())
    } else if !found.exists {
        None
    } else if was_directory != found.directory {
        Some(if was_directory {
            "it was a directory and is not one now".to_string()
        } else {
            "it is a directory now".to_string()
        })
    } else if found.directory {
        None
    } else if was_special != found.special {
        Some(if was_special {
            "it was not a regular file and is one now".to_string()
        } else {
            "it is not a regular file now".to_string()
        })
    } else if found.special {
        None
    } else if found.size != identity.size {
        Some(format!(
            "size was {} bytes, now {}",
            identity.size, found.size
        ))
    } else {
        let hash = match found.file.as_mut() {
            Some(file) => prefix_hash(file, identity.size)
                .map_err(|source| host_error(root, &identity.path, source))?,
            None => None,
        };
        (hash != Some(identity.content_hash)).then(|| "its contents differ".to_string())
    };
    Ok(detail)
}

/// Checks one file against its policy; what to do with it once all passed.
fn check(
    image: &Path,
    root: &HostRoot,
    identity: &FileIdentity,
    record: Option<&FileRecord>,
    policy: FilePolicy,
    explicit: bool,
) -> Result<Action, Refusal> {
    let changed = |detail: String| Refusal::Changed {
        image: image.to_path_buf(),
        path: identity.path.clone(),
        detail,
    };
    match policy {
        FilePolicy::Ignore => Ok(Action::Keep),
        FilePolicy::Replace => Ok(Action::Replace),
        FilePolicy::Append => {
            let found = look(image, root, &identity.path)?;
            if !found.exists {
                return Err(changed("it no longer exists".to_string()));
            }
            Ok(Action::Append(found.size))
        }
        FilePolicy::Fail => {
            let mut found = look(image, root, &identity.path)?;
            match whole_file_change(root, identity, &mut found)? {
                Some(detail) => Err(changed(detail)),
                None => Ok(Action::Keep),
            }
        }
        FilePolicy::Truncate => {
            let mut found = look(image, root, &identity.path)?;
            let special = identity.content_hash == crate::system_image::special_file_hash();
            if !found.exists || found.directory || found.special || special || !identity.existed {
                return match whole_file_change(root, identity, &mut found)? {
                    Some(detail) => Err(changed(detail)),
                    None => Ok(Action::Keep),
                };
            }
            check_prefix(image, root, identity, record, explicit, &mut found)
        }
    }
}

/// Policy `truncate` for a file that exists: its first bytes must be those at the
/// checkpoint; more bytes are cut, unless the file is another one than the job's.
fn check_prefix(
    image: &Path,
    root: &HostRoot,
    identity: &FileIdentity,
    record: Option<&FileRecord>,
    explicit: bool,
    found: &mut Found,
) -> Result<Action, Refusal> {
    let prefix = |detail: String| Refusal::Prefix {
        image: image.to_path_buf(),
        path: identity.path.clone(),
        length: identity.size,
        detail,
    };
    if found.size < identity.size {
        return Err(prefix(format!(
            "it is {} bytes long now: bytes {}..{} are gone",
            found.size, found.size, identity.size
        )));
    }
    let hash = match found.file.as_mut() {
        Some(file) => prefix_hash(file, identity.size)
            .map_err(|source| host_error(root, &identity.path, source))?,
        None => None,
    };
    if hash != Some(identity.content_hash) {
        return Err(prefix(format!(
            "bytes 0..{} differ from those at the checkpoint",
            identity.size
        )));
    }
    if found.size == identity.size {
        return Ok(Action::Keep);
    }
    let other = record.filter(|r| (r.device, r.inode) != (found.device, found.inode));
    if let (Some(record), false) = (other, explicit) {
        return Err(Refusal::NotTheSame {
            image: image.to_path_buf(),
            path: identity.path.clone(),
            then: (record.device, record.inode),
            now: (found.device, found.inode),
        });
    }
    Ok(Action::Cut {
        from: found.size,
        to: identity.size,
    })
}

/// Does what the plan says for one file.
fn apply(
    image: &mut Image,
    root: &HostRoot,
    system: &mut System,
    planned: &Planned<'_>,
    notes: &mut Vec<String>,
) -> Result<(), CheckpointError> {
    let path = image.path().to_path_buf();
    let name = &planned.identity.path;
    match planned.action {
        Action::Keep => {
            if planned.policy == FilePolicy::Ignore {
                notes.push(format!(
                    "{name} kept as it is (--file-policy {name}=ignore)"
                ));
            }
        }
        Action::Replace => {
            let bytes = image.file(planned.index as u32)?;
            let mut file = beneath::open(root.path(), name, Access::Replace)
                .map_err(|e| beneath_error(&path, root, name, e))?;
            std::io::Write::write_all(&mut file, bytes)
                .and_then(|()| file.sync_data())
                .map_err(|source| host_error(root, name, source))?;
            notes.push(format!("recreated {name} from the image"));
        }
        Action::Cut { from, to } => {
            let file = beneath::open(root.path(), name, Access::Write)
                .map_err(|e| beneath_error(&path, root, name, e))?;
            file.set_len(to)
                .map_err(|source| host_error(root, name, source))?;
            notes.push(format!(
                "cut {name} back from {from} to {to} bytes, its length at the checkpoint (the job writes the rest again)"
            ));
        }
        Action::Append(end) => {
            set_offsets(system, name, end);
            notes.push(format!(
                "{name}: the job goes on at its end, byte {end} (--file-policy {name}=append)"
            ));
        }
    }
    Ok(())
}

/// Every description of host file `path` in `system` gets offset `end`.
fn set_offsets(system: &mut System, path: &str, end: u64) {
    for file in system.files.open.values_mut() {
        if let Description::Host {
            path: p, offset, ..
        } = &mut file.description
        {
            if p == path {
                *offset = end;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_parse_and_name_what_is_wrong() {
        assert_eq!(
            parse_assignment("out/log.txt=append").unwrap(),
            ("out/log.txt".to_string(), FilePolicy::Append)
        );
        assert_eq!(
            parse_assignment("a=b=ignore").unwrap(),
            ("a=b".to_string(), FilePolicy::Ignore)
        );
        assert!(parse_assignment("x").unwrap_err().contains("PATH=POLICY"));
        assert!(parse_assignment("=fail").unwrap_err().contains("empty"));
        assert!(parse_assignment("x=keep").unwrap_err().contains("`keep`"));
        for policy in FilePolicy::ALL {
            assert_eq!(FilePolicy::from_name(policy.name()), Some(policy));
        }
    }
}
