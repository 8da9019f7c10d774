//! The permanent-dataset store: COS's Dataset Catalog (DSC) and the datasets it
//! names, kept in a directory of the host (`cray run --pds DIR`).
//!
//! ```text
//! DIR/catalogue.json   the catalogue: every entry (PDN, ID, OWN, edition,
//!                      passwords, public access, permits, text, notes, times,
//!                      data file), the next file number, the next job number, and
//!                      the operations already done (job, statement, clock) with
//!                      what each did (its log line, the dataset it made, renamed
//!                      or deleted)
//! DIR/data/NNNNNNNN.ds each dataset's contents as a COS blocked dataset, or the
//!                      words of an unblocked one (an entry marked "unblocked")
//! ```
//!
//! Crash safety: a dataset's file is written under a fresh name (temporary file,
//! fsync, rename) before the catalogue names it, and the catalogue is replaced whole
//! the same way, so after a crash the catalogue is the old one or the new one, and
//! every file it names is complete. A file no entry names (a crash between the two
//! steps, or a deletion) is removed the next time the catalogue is written, but for
//! the file of a dataset deleted since the last job started, which that job may
//! read again when it is continued from a checkpoint taken before.
//!
//! Exactly once: each operation a job makes is recorded with the job's number and
//! the statement's index in the same replacement of the catalogue, so a job resumed
//! from a checkpoint taken before the operation finds it done instead of doing it
//! twice (a second edition, a refused second DELETE). What it did is recorded with
//! it (an [`Outcome`]: its log line, the dataset it made or moved), so the job makes
//! it again in effect only: the same log line, the same dataset held, found under
//! the name the job's later operations gave it.
//!
//! Times are the emulated clock's (epoch + machine time), never the host's.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// File name of the catalogue inside the store.
pub const CATALOGUE_FILE: &str = "catalogue.json";
/// Directory of the dataset files inside the store.
pub const DATA_DIR: &str = "data";
/// Format tag of the catalogue file.
pub const FORMAT: &str = "cray-cos-catalogue-1";
/// Operations remembered for exactly-once (the oldest are forgotten beyond this).
pub const MAX_DONE: usize = 4096;
/// Longest PDN, ID, OWN (a job's user) and password (characters): the catalogue's
/// pages give each 15 characters (two words, `cos::dsc`), so a longer name would
/// be cut there and no longer find its dataset.
pub const MAX_NAME: usize = 15;
/// Largest dataset the store holds (bytes).
pub const MAX_DATASET_BYTES: u64 = 64 << 20;

/// What anyone but the owner may do without a permit (SAVE's PAM, SR-0011 9-3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Access {
    /// Nothing.
    #[default]
    None,
    /// Execute only (load as a program).
    Execute,
    /// Read.
    Read,
    /// Read and write.
    Write,
    /// Everything, deleting included.
    Maintenance,
}

impl Access {
    /// The PAM/AM parameter letter(s): N, E, R, W, M.
    pub fn parse(text: &str) -> Option<Access> {
        Some(match text {
            "N" | "NONE" => Access::None,
            "E" | "EXECUTE" => Access::Execute,
            "R" | "READ" => Access::Read,
            "W" | "WRITE" => Access::Write,
            "M" | "MAINTENANCE" => Access::Maintenance,
            _ => return None,
        })
    }

    /// Its letter.
    pub fn letter(self) -> &'static str {
        match self {
            Access::None => "N",
            Access::Execute => "E",
            Access::Read => "R",
            Access::Write => "W",
            Access::Maintenance => "M",
        }
    }
}

/// A PERMIT: what one user may do with a dataset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permit {
    /// The user (ownership value of the other job).
    pub user: String,
    /// What that user may do.
    pub access: Access,
}

/// One edition of a permanent dataset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Permanent dataset name.
    pub pdn: String,
    /// Additional user identification (may be empty).
    pub id: String,
    /// Ownership value.
    pub own: String,
    /// Edition number (1–4095).
    pub edition: u32,
    /// Read password (empty: none).
    pub read: String,
    /// Write password (empty: none).
    pub write: String,
    /// Maintenance password (empty: none).
    pub maintenance: String,
    /// What others may do (PAM).
    pub public: Access,
    /// Users given access by PERMIT.
    pub permits: Vec<Permit>,
    /// TEXT parameter (up to 80 characters).
    pub text: String,
    /// NOTES parameter.
    pub notes: String,
    /// Retention period in days (RT).
    pub retention: u32,
    /// Seconds since 1970 (emulated) when saved.
    pub created: u64,
    /// When its contents last changed.
    pub modified: u64,
    /// When last accessed.
    pub accessed: u64,
    /// Number of accesses.
    pub accesses: u64,
    /// When DMP10 last dumped it (its dump time call, F$PDM function 0100); 0:
    /// never (absent from catalogues written before it was kept).
    #[serde(default)]
    pub dumped: u64,
    /// Data words of the blocked dataset (of an unblocked one: its words).
    pub words: u64,
    /// Its file under `data/`.
    pub file: String,
    /// The file holds the words of an unblocked dataset (whole 512-word blocks, as
    /// GENCAT writes its catalogues by block number), not a blocked dataset. Absent
    /// when false, so a store of blocked datasets is written as before, and a store
    /// written before it reads as blocked, which every dataset of it is.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unblocked: bool,
}

impl Entry {
    /// "PDN=X ID=Y ED=n OWN=Z", as the log names a dataset.
    pub fn describe(&self) -> String {
        format!(
            "PDN={} ID={} ED={} OWN={}",
            self.pdn, self.id, self.edition, self.own
        )
    }
}

/// A statement of a job done, as stores written before loops remembered it: (job
/// number, statement index).
pub type Done = (u64, u64);

/// An operation of a job done: (job number, statement index, clock period). For a
/// program's request (F$PDM) the index is its step's and the clock period the
/// request's: it tells apart two requests of one step, and a step resumed from a
/// checkpoint makes the same request at the same clock period. For a control
/// statement the clock period is the one at which it runs: a statement in a loop
/// runs once a round, and each round moves the clock on.
pub type RequestDone = (u64, u64, u64);

/// A permanent dataset's name in the store: one edition of (PDN, ID, OWN).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryName {
    /// Permanent dataset name.
    pub pdn: String,
    /// Additional user identification.
    pub id: String,
    /// Ownership value.
    pub own: String,
    /// Edition.
    pub edition: u32,
}

impl EntryName {
    /// The name of `entry`.
    pub fn of(entry: &Entry) -> EntryName {
        EntryName {
            pdn: entry.pdn.clone(),
            id: entry.id.clone(),
            own: entry.own.clone(),
            edition: entry.edition,
        }
    }
}

/// What an operation did, kept beside its record: a job continued from a checkpoint
/// taken before the operation finds it there and makes it again in effect only (the
/// same log line, the same dataset held), instead of not at all or twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The operation.
    pub done: RequestDone,
    /// Its line in the job log.
    pub line: String,
    /// The dataset it renamed (MODIFY's name before) or removed (DELETE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<EntryName>,
    /// The dataset as it left it (SAVE's, ACCESS's, MODIFY's name after).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<EntryName>,
    /// The entry DELETE removed, its data file kept until another job starts with
    /// the store ([`Catalogue::draw_job_number`]): the job that deleted it may be
    /// continued from a checkpoint taken before it read the dataset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<Entry>,
}

/// An operation that changes the store, as exactly-once remembers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// A control statement of the deck (SAVE, DELETE, ...).
    Statement(RequestDone),
    /// A program's F$PDM request.
    Request(RequestDone),
}

/// The catalogue file's contents.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contents {
    /// [`FORMAT`].
    pub format: String,
    /// Number of the next dataset file.
    pub next_file: u64,
    /// Number the next job gets.
    pub next_job: u64,
    /// Every edition, sorted by PDN, ID, OWN, edition.
    pub entries: Vec<Entry>,
    /// Statements done, oldest first, as stores written before loops remembered
    /// them (still honoured; no longer added to).
    pub done: Vec<Done>,
    /// Operations done, statements and programs' requests, oldest first (absent
    /// from catalogues written before requests changed the store).
    #[serde(default)]
    pub requests: Vec<RequestDone>,
    /// What each operation of `requests` did, oldest first (absent from catalogues
    /// written before they were kept: those operations are skipped when made again).
    #[serde(default)]
    pub outcomes: Vec<Outcome>,
    /// The system's catalogues as GENCAT installed them, at most one of each kind
    /// (F$PDM 0243 and 0244; absent from catalogues written before).
    #[serde(default)]
    pub installed: Vec<Installed>,
}

/// A catalogue of the system (the Master or the Backup Catalog) and the permanent
/// dataset that holds it, as GENCAT installed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installed {
    /// `MASTER CATALOG` or `BACKUP CATALOG`.
    pub kind: String,
    /// The PDN of the dataset that holds it (owned by SYSTEM, no ID).
    pub pdn: String,
    /// Its edition.
    pub edition: u32,
    /// Regions (1 for the Backup Catalog).
    pub regions: u64,
    /// Sectors of each region.
    pub sectors: u64,
}

/// Failure of the store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A host file of the store could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A dataset larger than [`MAX_DATASET_BYTES`], which the store would not read
    /// back.
    #[error("{bytes} bytes, more than the {MAX_DATASET_BYTES} a dataset may hold")]
    TooLarge {
        /// Its size.
        bytes: u64,
    },
    /// The catalogue file is not one this cray wrote.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The catalogue file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// The store in a host directory.
#[derive(Clone, Debug)]
pub struct Catalogue {
    dir: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path` so that it is the old file or the new one after a crash.
fn replace_atomically(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::File::create(&temporary).map_err(io(&temporary))?;
    file.write_all(bytes).map_err(io(&temporary))?;
    file.sync_all().map_err(io(&temporary))?;
    drop(file);
    std::fs::rename(&temporary, path).map_err(io(path))?;
    if let Some(dir) = path.parent() {
        // The rename itself must reach the disk.
        if let Ok(handle) = std::fs::File::open(dir) {
            let _ = handle.sync_all();
        }
    }
    Ok(())
}

impl Catalogue {
    /// The store in `dir`, created if missing.
    pub fn open(dir: &Path) -> Result<Catalogue, StoreError> {
        std::fs::create_dir_all(dir.join(DATA_DIR)).map_err(io(dir))?;
        let store = Catalogue {
            dir: dir.to_path_buf(),
        };
        store.read()?;
        Ok(store)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn catalogue_path(&self) -> PathBuf {
        self.dir.join(CATALOGUE_FILE)
    }

    /// The catalogue as it is on disk (empty when there is none yet).
    pub fn read(&self) -> Result<Contents, StoreError> {
        let path = self.catalogue_path();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Contents {
                    format: FORMAT.to_string(),
                    next_file: 1,
                    next_job: 1,
                    ..Contents::default()
                })
            }
            Err(e) => return Err(io(&path)(e)),
        };
        let contents: Contents =
            serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        if contents.format != FORMAT {
            return Err(StoreError::Corrupt {
                path,
                reason: format!("format {:?}, expected {FORMAT:?}", contents.format),
            });
        }
        Ok(contents)
    }

    /// Replaces the catalogue with `contents` (entries sorted, the done list bounded),
    /// then removes the dataset files no entry names.
    pub fn write(&self, mut contents: Contents) -> Result<(), StoreError> {
        contents.entries.sort_by(|a, b| {
            (&a.pdn, &a.id, &a.own, a.edition).cmp(&(&b.pdn, &b.id, &b.own, b.edition))
        });
        keep_newest(&mut contents.done);
        keep_newest(&mut contents.requests);
        keep_newest(&mut contents.outcomes);
        let text = serde_json::to_vec_pretty(&contents).map_err(|e| StoreError::Corrupt {
            path: self.catalogue_path(),
            reason: e.to_string(),
        })?;
        replace_atomically(&self.catalogue_path(), &text)?;
        self.remove_orphans(&contents);
        Ok(())
    }

    /// Removes the files under `data/` that no entry names (best effort: a file left
    /// behind is only space).
    fn remove_orphans(&self, contents: &Contents) {
        let Ok(dir) = std::fs::read_dir(self.dir.join(DATA_DIR)) else {
            return;
        };
        for file in dir.flatten() {
            let name = file.file_name().to_string_lossy().to_string();
            let kept = contents.outcomes.iter().filter_map(|o| o.removed.as_ref());
            if !contents.entries.iter().chain(kept).any(|e| e.file == name) {
                let _ = std::fs::remove_file(file.path());
            }
        }
    }

    /// A number for a new job: the store counts the jobs that use it, and each
    /// operation is recorded with its job's number (see [`Operation`]).
    pub fn draw_job_number(&self) -> Result<u64, StoreError> {
        let mut contents = self.read()?;
        let number = contents.next_job.max(1);
        contents.next_job = number + 1;
        // One job at a time uses a store: the jobs before this one will not be
        // continued from a checkpoint again, so what their operations did (and the
        // files of the datasets they deleted) can go. Kept, the outcomes of every
        // job made the catalogue, which is rewritten at each operation, grow to
        // 1.5 MB; one job's stay as small as its operations.
        contents.outcomes.clear();
        self.write(contents)?;
        Ok(number)
    }

    /// Writes a new dataset file holding `bytes` and returns its name (the catalogue
    /// does not name it yet: see [`write`](Self::write)).
    pub fn write_data(&self, contents: &mut Contents, bytes: &[u8]) -> Result<String, StoreError> {
        // Refused here, not when read: SAVE must not keep what ACCESS cannot read.
        if bytes.len() as u64 > MAX_DATASET_BYTES {
            return Err(StoreError::TooLarge {
                bytes: bytes.len() as u64,
            });
        }
        let name = format!("{:08}.ds", contents.next_file);
        contents.next_file += 1;
        replace_atomically(&self.dir.join(DATA_DIR).join(&name), bytes)?;
        Ok(name)
    }

    /// The contents of `entry`'s dataset.
    pub fn read_data(&self, entry: &Entry) -> Result<Vec<u8>, StoreError> {
        // The store names its files itself; anything else in the catalogue (a path
        // out of `data/`) is damage, never followed.
        if !is_data_file_name(&entry.file) {
            return Err(StoreError::Corrupt {
                path: self.catalogue_path(),
                reason: format!(
                    "{}: data file name {:?} is not one the store makes",
                    entry.describe(),
                    entry.file
                ),
            });
        }
        let path = self.dir.join(DATA_DIR).join(&entry.file);
        let size = std::fs::metadata(&path).map_err(io(&path))?.len();
        if size > MAX_DATASET_BYTES {
            return Err(StoreError::Corrupt {
                path,
                reason: format!(
                    "{size} bytes, more than the {MAX_DATASET_BYTES} a dataset may hold"
                ),
            });
        }
        std::fs::read(&path).map_err(io(&path))
    }
}

/// Whether `name` is a data file name the store makes: digits, then `.ds`.
fn is_data_file_name(name: &str) -> bool {
    name.strip_suffix(".ds")
        .is_some_and(|stem| !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit()))
}

impl Contents {
    /// The editions of (PDN, ID, OWN), lowest first.
    pub fn editions(&self, pdn: &str, id: &str, own: &str) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| e.pdn == pdn && e.id == id && e.own == own)
            .collect()
    }

    /// Edition `edition` of (PDN, ID, OWN), or the highest when `None`.
    pub fn find(&self, pdn: &str, id: &str, own: &str, edition: Option<u32>) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (index, e) in self.entries.iter().enumerate() {
            if e.pdn != pdn || e.id != id || e.own != own {
                continue;
            }
            match edition {
                Some(wanted) if e.edition == wanted => return Some(index),
                Some(_) => {}
                None => {
                    if best.is_none_or(|b| self.entries[b].edition < e.edition) {
                        best = Some(index);
                    }
                }
            }
        }
        best
    }

    /// Whether the job's operation was already made.
    pub fn is_done(&self, operation: Operation) -> bool {
        match operation {
            Operation::Statement(done @ (job, index, _)) => {
                self.requests.contains(&done) || self.done.contains(&(job, index))
            }
            Operation::Request(done) => self.requests.contains(&done),
        }
    }

    /// Records the job's operation as made, without what it did (see [`Self::record`]).
    pub fn mark_done(&mut self, operation: Operation) {
        self.requests.push(operation.done());
    }

    /// Records the job's operation as made, and what it did.
    pub fn record(&mut self, outcome: Outcome) {
        self.requests.push(outcome.done);
        self.outcomes.push(outcome);
    }

    /// Where [`outcomes`](Self::outcomes) holds what `operation` did.
    pub fn outcome(&self, operation: Operation) -> Option<usize> {
        let done = operation.done();
        self.outcomes.iter().rposition(|o| o.done == done)
    }

    /// The name dataset `name` has now, after the renames (MODIFY) and removals
    /// (DELETE) recorded after outcome `after`; when one removed it, `Err` with the
    /// removed entry if its data is still kept.
    pub fn renamed_since(
        &self,
        after: usize,
        name: &EntryName,
    ) -> Result<EntryName, Option<&Entry>> {
        let mut now = name.clone();
        for later in self.outcomes.iter().skip(after + 1) {
            if later.from.as_ref() == Some(&now) {
                now = later.to.clone().ok_or(later.removed.as_ref())?;
            }
        }
        Ok(now)
    }
}

impl Operation {
    /// (job number, statement index, clock period).
    pub fn done(self) -> RequestDone {
        match self {
            Operation::Statement(done) | Operation::Request(done) => done,
        }
    }
}

/// Forgets the oldest of `done` beyond [`MAX_DONE`].
fn keep_newest<T>(done: &mut Vec<T>) {
    let excess = done.len().saturating_sub(MAX_DONE);
    done.drain(..excess);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An entry of owner `U` for `pdn`, edition `edition`, whose data (its name) is
    /// written to `store`.
    pub(crate) fn entry(
        store: &Catalogue,
        contents: &mut Contents,
        pdn: &str,
        edition: u32,
    ) -> Entry {
        let file = store.write_data(contents, pdn.as_bytes()).unwrap();
        Entry {
            pdn: pdn.to_string(),
            id: String::new(),
            own: "U".to_string(),
            edition,
            read: String::new(),
            write: String::new(),
            maintenance: String::new(),
            public: Access::None,
            permits: Vec::new(),
            text: String::new(),
            notes: String::new(),
            retention: 0,
            created: 0,
            modified: 0,
            accessed: 0,
            accesses: 0,
            dumped: 0,
            unblocked: false,
            words: 0,
            file,
        }
    }

    #[test]
    fn an_outcome_is_found_and_its_dataset_followed_through_later_renames() {
        let name = |pdn: &str| EntryName {
            pdn: pdn.to_string(),
            id: String::new(),
            own: "U".to_string(),
            edition: 1,
        };
        let outcome = |done, from: Option<&str>, to: Option<&str>| Outcome {
            done,
            line: String::new(),
            from: from.map(name),
            to: to.map(name),
            removed: None,
        };
        let mut contents = Contents::default();
        contents.record(outcome((1, 2, 10), None, Some("A")));
        contents.record(outcome((1, 3, 20), Some("A"), Some("B")));
        let saved = Operation::Statement((1, 2, 10));
        assert!(contents.is_done(saved));
        let at = contents.outcome(saved).unwrap();
        assert_eq!(contents.renamed_since(at, &name("A")), Ok(name("B")));
        contents.record(outcome((1, 4, 30), Some("B"), None));
        assert_eq!(contents.renamed_since(at, &name("A")), Err(None));
        assert_eq!(contents.outcome(Operation::Statement((1, 2, 11))), None);
    }

    /// A new job's start forgets what the jobs before did (one job at a time uses a
    /// store), but not that they did it: the catalogue keeps one job's outcomes.
    #[test]
    fn a_new_job_forgets_the_outcomes_of_the_jobs_before() {
        let dir = tempfile::tempdir().unwrap();
        let store = Catalogue::open(dir.path()).unwrap();
        let first = store.draw_job_number().unwrap();
        let mut contents = store.read().unwrap();
        contents.record(Outcome {
            done: (first, 2, 10),
            line: " SAVED".to_string(),
            from: None,
            to: None,
            removed: None,
        });
        store.write(contents).unwrap();
        let second = store.draw_job_number().unwrap();
        assert_eq!(second, first + 1);
        let contents = store.read().unwrap();
        assert!(contents.outcomes.is_empty(), "{:?}", contents.outcomes);
        assert!(contents.is_done(Operation::Statement((first, 2, 10))));
    }

    #[test]
    fn entries_survive_reopening_and_orphans_go() {
        let dir = tempfile::tempdir().unwrap();
        let store = Catalogue::open(dir.path()).unwrap();
        let mut contents = store.read().unwrap();
        let a1 = entry(&store, &mut contents, "A", 1);
        let a2 = entry(&store, &mut contents, "A", 2);
        // Written but never catalogued: removed by the next write.
        let _orphan = store.write_data(&mut contents, b"lost").unwrap();
        contents.entries = vec![a2.clone(), a1.clone()];
        contents.mark_done(Operation::Statement((1, 3, 40)));
        contents.mark_done(Operation::Request((1, 4, 500)));
        // A store written before loops holds statements without a clock period.
        contents.done.push((1, 7));
        store.write(contents).unwrap();
        let again = Catalogue::open(dir.path()).unwrap().read().unwrap();
        assert_eq!(
            again.entries,
            vec![a1.clone(), a2.clone()],
            "sorted by edition"
        );
        assert_eq!(again.find("A", "", "U", None), Some(1));
        assert_eq!(again.find("A", "", "U", Some(1)), Some(0));
        assert_eq!(again.find("A", "X", "U", None), None);
        assert!(again.is_done(Operation::Statement((1, 3, 40))));
        assert!(
            !again.is_done(Operation::Statement((1, 3, 41))),
            "another round"
        );
        assert!(!again.is_done(Operation::Statement((2, 3, 40))));
        assert!(
            again.is_done(Operation::Statement((1, 7, 99))),
            "an old store's"
        );
        assert!(again.is_done(Operation::Request((1, 4, 500))));
        assert!(!again.is_done(Operation::Request((1, 4, 501))));
        // A catalogue written before requests were remembered still reads.
        let text = std::fs::read_to_string(dir.path().join(CATALOGUE_FILE)).unwrap();
        let mut old: serde_json::Value = serde_json::from_str(&text).unwrap();
        old.as_object_mut().unwrap().remove("requests");
        std::fs::write(dir.path().join(CATALOGUE_FILE), old.to_string()).unwrap();
        let old = Catalogue::open(dir.path()).unwrap().read().unwrap();
        assert!(old.requests.is_empty() && old.is_done(Operation::Statement((1, 7, 0))));
        assert_eq!(store.read_data(&a2).unwrap(), b"A");
        let files = std::fs::read_dir(dir.path().join(DATA_DIR))
            .unwrap()
            .count();
        assert_eq!(files, 2);
        let mut crafted = a2;
        crafted.file = "../catalogue.json".to_string();
        let err = store.read_data(&crafted).unwrap_err().to_string();
        assert!(err.contains("is not one the store makes"), "{err}");
    }

    #[test]
    fn a_dataset_the_store_would_not_read_back_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = Catalogue::open(dir.path()).unwrap();
        let mut contents = store.read().unwrap();
        let big = vec![0; MAX_DATASET_BYTES as usize + 8];
        let err = store.write_data(&mut contents, &big).unwrap_err();
        assert!(matches!(err, StoreError::TooLarge { .. }), "{err}");
        let files = std::fs::read_dir(dir.path().join(DATA_DIR))
            .unwrap()
            .count();
        assert_eq!(files, 0);
    }

    #[test]
    fn a_damaged_catalogue_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CATALOGUE_FILE), b"{").unwrap();
        let err = Catalogue::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains(CATALOGUE_FILE), "{err}");
    }
}
