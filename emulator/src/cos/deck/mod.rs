//! The COS job layer: job decks, the control-statement interpreter, the job's local
//! datasets and the permanent-dataset catalogue.
//!
//! A deck job is one process (pid = jid) whose field is reloaded for every program
//! the deck names, as COS loaded each job step into the job's field. The interpreter
//! runs inside the kernel, synchronously: when the job starts and whenever a step
//! ends (F$ADV, F$ABT, an unserved request, a hardware error) it reads the statements
//! that follow, runs the system verbs itself, and loads the next program, or ends
//! the job. So the job is never between two steps when the machine runs, and the
//! interpreter's position is plain data ([`DeckJob`]) that a checkpoint carries (in
//! an image section of its own, so images without decks are unchanged).
//!
//! [`statement`] parses the control-statement syntax, [`file`](mod@file) reads a deck from the
//! host, [`catalogue`] is the permanent-dataset store, `run` is the interpreter and
//! the step loader, `local` the verbs on local datasets, `copy` the copy and
//! positioning verbs (COPYR/F/D, SKIPR/F/D), `permanent` the verbs on permanent
//! datasets, `staging` FETCH from the front end (the host files under the root),
//! [`job_statement`] the JOB statement's parameters, [`time_limit`] its `T=`, [`loops`] LOOP, EXITLOOP and ENDLOOP,
//! [`submit`] SUBMIT, [`dumpjob`] DUMPJOB and DUMP, [`procedure`] CALL and RETURN,
//! [`definition`] PROC and ENDPROC (procedures defined in the deck), [`echo`]
//! ECHO, `refused` the statements refused by name (RERUN, NORERUN, ROLLJOB, DELAY,
//! MODE, SWITCH).

pub mod catalogue;
mod copy;
pub mod definition;
pub mod dumpjob;
pub mod echo;
pub mod field_limit;
pub mod file;
pub mod job_statement;
mod local;
pub mod loops;
mod permanent;
pub mod procedure;
mod refused;
mod run;
mod staging;
pub mod statement;
pub mod submit;
pub mod time_limit;

use super::dataset::DatasetItem;
use catalogue::Access;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub(crate) use local::symbol_value;
pub use run::DeckHost;

/// A local dataset of a deck job: it lives as long as the job (or until RELEASE),
/// across steps, and keeps its position between them as COS datasets did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDataset {
    /// Records, EOFs and the EOD.
    pub items: Vec<DatasetItem>,
    /// The item the next read starts at.
    pub position: usize,
    /// Where the program that has it open started (its view is `items[open_base..]`).
    pub open_base: usize,
    /// Written since it was made local (an accessed dataset is written back).
    pub modified: bool,
    /// The permanent dataset it is, when ACCESS made it local.
    pub permanent: Option<Accessed>,
    /// The words of an unblocked dataset, whole 512-word blocks read and written by
    /// block number (F$RDC/F$WDC with the sign bit: GENCAT's `$MASTER`, `$BACKUP`
    /// and regions), where `items` is only the EOD; `None` for a blocked dataset,
    /// whose contents are `items`. Kept beside the items rather than as an item of
    /// its own: no record verb (COPYR, SKIPF, ...) has a meaning for it.
    pub unblocked: Option<Vec<u64>>,
}

impl JobDataset {
    /// An empty dataset (only the EOD).
    pub fn empty() -> JobDataset {
        JobDataset::holding(vec![DatasetItem::EndOfData])
    }

    /// A dataset of `items`, positioned at its start.
    pub fn holding(mut items: Vec<DatasetItem>) -> JobDataset {
        if items.last() != Some(&DatasetItem::EndOfData) {
            items.push(DatasetItem::EndOfData);
        }
        JobDataset {
            items,
            position: 0,
            open_base: 0,
            modified: false,
            permanent: None,
            unblocked: None,
        }
    }

    /// An unblocked dataset of `words`, made whole 512-word blocks (the last filled
    /// with zeros: the system wrote a dataset's sectors whole).
    pub fn unblocked(mut words: Vec<u64>) -> JobDataset {
        let block = crate::cos::dataset::BLOCK_WORDS;
        words.resize(words.len().div_ceil(block) * block, 0);
        JobDataset {
            unblocked: Some(words),
            ..JobDataset::empty()
        }
    }

    /// The host memory it takes, as [`MAX_JOB_DATASET_BYTES`] counts it.
    pub fn bytes(&self) -> u64 {
        let words = self.unblocked.as_ref().map_or(0, Vec::len) as u64;
        dataset_bytes(&self.items) + 8 * words
    }
}

/// Host memory the job's local datasets may take together (bytes): four datasets
/// of the largest size the front end or the store takes (64 MiB each). The verbs
/// that make or fill a local dataset without running a program (FETCH, ACCESS,
/// COPYR/F/D) are refused past it, so that a short deck that copies a dataset
/// into itself over and over, or FETCHes one file under many names, ends with a
/// message instead of exhausting the host.
pub const MAX_JOB_DATASET_BYTES: u64 = 4 * crate::cos::local_datasets::MAX_DATASET_BYTES;

/// What an item takes in memory besides its record's words (about the size of a
/// [`DatasetItem`]; fixed, so that where the limit falls is the same on every host).
const ITEM_BYTES: u64 = 32;

/// The host memory `items` take, as [`MAX_JOB_DATASET_BYTES`] counts it.
pub fn dataset_bytes(items: &[DatasetItem]) -> u64 {
    items
        .iter()
        .map(|item| match item {
            DatasetItem::Record { words, .. } => ITEM_BYTES + 8 * words.len() as u64,
            _ => ITEM_BYTES,
        })
        .sum()
}

/// What ACCESS granted on a permanent dataset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accessed {
    /// Permanent dataset name.
    pub pdn: String,
    /// Additional identification.
    pub id: String,
    /// Owner.
    pub own: String,
    /// Edition.
    pub edition: u32,
    /// What the job may do with it.
    pub access: Access,
}

impl Accessed {
    /// Dataset `name` of the store, with `access`.
    pub fn of(name: &catalogue::EntryName, access: Access) -> Accessed {
        Accessed {
            pdn: name.pdn.clone(),
            id: name.id.clone(),
            own: name.own.clone(),
            edition: name.edition,
            access,
        }
    }

    /// The store's name of the dataset.
    pub fn name(&self) -> catalogue::EntryName {
        catalogue::EntryName {
            pdn: self.pdn.clone(),
            id: self.id.clone(),
            own: self.own.clone(),
            edition: self.edition,
        }
    }
}

/// The state of a running deck: where the interpreter stands and what the job holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeckJob {
    /// JN of the JOB statement.
    pub job_name: String,
    /// The user (US of JOB or ACCOUNT): the ownership value of what the job saves.
    pub user: String,
    /// The job's number in the permanent-dataset store (0 without one): operations
    /// are recorded under it, so a resumed job does none twice.
    pub number: u64,
    /// The control statements, continuations joined.
    pub statements: Vec<String>,
    /// Index of the next statement to read.
    pub next: usize,
    /// Index of the statement whose program runs now.
    pub step: Option<usize>,
    /// How the job ends: the status of the last step that aborted, if any.
    pub aborted: Option<crate::system::ExitStatus>,
    /// The local datasets by name (`$IN` included).
    pub datasets: BTreeMap<String, JobDataset>,
    /// Enclosing IF blocks: whether statements run in each (innermost last) and
    /// whether a branch of it has run.
    pub conditions: Vec<(bool, bool)>,
    /// JCL symbols set by SET (`J0`–`J7`, ...).
    pub symbols: BTreeMap<String, i64>,
    /// Dispositions DISPOSE,DEFER recorded, in the order given: (dataset, the
    /// DISPOSE statement), done when the dataset is released or the job ends
    /// (module `staging`). A state of its own, so that a checkpoint carries what is
    /// still to do and a disposition done is gone from it: done once.
    pub deferred: Vec<(String, String)>,
    /// The field length of the job's later steps that MEMORY,FL= set (words, a
    /// multiple of 512); `None` for the default, the job's MFL (module
    /// `field_limit`).
    pub field_length: Option<u64>,
}

impl DeckJob {
    /// Whether local dataset `name` may take `bytes` (in place of what it takes now)
    /// within [`MAX_JOB_DATASET_BYTES`]; `Err` says why not.
    pub(crate) fn room_for(&self, name: &str, bytes: u64) -> Result<(), String> {
        let others: u64 = self
            .datasets
            .iter()
            .filter(|(other, _)| other.as_str() != name)
            .map(|(_, dataset)| dataset.bytes())
            .sum();
        let total = others.saturating_add(bytes);
        if total <= MAX_JOB_DATASET_BYTES {
            return Ok(());
        }
        Err(format!(
            "{name} would take {bytes} bytes and the job's local datasets {total}, \
             more than the {MAX_JOB_DATASET_BYTES} bytes (256 MiB) they may take together"
        ))
    }
}

#[cfg(test)]
impl DeckJob {
    /// A deck of `first` (its JOB statement) and EXIT, nothing run yet: for the
    /// tests of what the JOB statement says.
    pub(crate) fn of_job_statement(first: &str) -> DeckJob {
        DeckJob {
            job_name: "T".to_string(),
            user: "U".to_string(),
            number: 0,
            statements: vec![first.to_string(), "EXIT.".to_string()],
            next: 0,
            step: None,
            aborted: None,
            datasets: BTreeMap::new(),
            conditions: Vec::new(),
            symbols: BTreeMap::new(),
            deferred: Vec::new(),
            field_length: None,
        }
    }
}
