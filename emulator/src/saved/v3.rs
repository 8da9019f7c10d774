//! Version 3 of the saved kernel state (image format 1.3): version 2 with three
//! things of a COS deck job that version 2 could not hold: the words of an
//! unblocked local dataset ([`JobDatasetV3`]), the dispositions DISPOSE,DEFER
//! recorded and not yet done, and the field length MEMORY,FL= set for the job's
//! later steps ([`DeckJobV3`]).
//!
//! FROZEN once released: never edit; a change is a version 4 beside it. Like
//! versions 1 and 2 it reaches no live type: every part it shares with them is
//! version 1's frozen type.

use super::v1::{
    AccessedV1, ConfigV1, DatasetItemV1, DeckJobV1, ExitStatusV1, FileTableV1, HpmCountersV1,
    JobDatasetV1, PidV1, ProcessV1,
};
use super::v2::SystemStateV2;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The kernel state of the selected processes, memory fields emptied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStateV3 {
    /// Limits and settings.
    pub config: ConfigV1,
    /// Every process by pid.
    pub processes: BTreeMap<PidV1, ProcessV1>,
    /// Open file descriptions, pipes and terminal input.
    pub files: FileTableV1,
    /// The pid the next process gets.
    pub next_pid: PidV1,
    /// The machine's clock periods.
    pub clock: u64,
    /// Instructions issued by all processes.
    pub instructions: u64,
    /// Clock periods left of the current slice.
    pub slice_left: u64,
    /// Round-robin position.
    pub cursor: PidV1,
    /// The first process loaded.
    pub leader: Option<PidV1>,
    /// How the first process ended.
    pub leader_status: Option<ExitStatusV1>,
    /// The COS job log.
    pub cos_log: Vec<String>,
    /// Counters of the processes that have ended.
    pub hpm_retired: HpmCountersV1,
    /// The COS deck jobs by jid (version 3's form).
    pub cos_decks: BTreeMap<PidV1, DeckJobV3>,
}

/// A running deck job: version 1's with the deferred dispositions and the field
/// length of MEMORY.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeckJobV3 {
    /// JN of the JOB statement.
    pub job_name: String,
    /// The user.
    pub user: String,
    /// The job's number in the permanent-dataset store.
    pub number: u64,
    /// The control statements.
    pub statements: Vec<String>,
    /// Index of the next statement.
    pub next: u64,
    /// Index of the statement whose program runs now.
    pub step: Option<u64>,
    /// The status of the last step that aborted.
    pub aborted: Option<ExitStatusV1>,
    /// The local datasets by name (version 3's form).
    pub datasets: BTreeMap<String, JobDatasetV3>,
    /// Enclosing IF blocks: (statements run, a branch has run).
    pub conditions: Vec<(bool, bool)>,
    /// JCL symbols.
    pub symbols: BTreeMap<String, i64>,
    /// DISPOSE,DEFER not yet done: (dataset, statement), in the order given (new).
    pub deferred: Vec<(String, String)>,
    /// The field length MEMORY,FL= set for later steps, in words (new).
    pub field_length: Option<u64>,
}

/// A local dataset of a deck job: version 1's with the words of an unblocked one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDatasetV3 {
    /// Records, EOFs and the EOD.
    pub items: Vec<DatasetItemV1>,
    /// The item the next read starts at.
    pub position: u64,
    /// Where the program that has it open started.
    pub open_base: u64,
    /// Written since it was made local.
    pub modified: bool,
    /// The permanent dataset it is.
    pub permanent: Option<AccessedV1>,
    /// The words of an unblocked dataset, whole 512-word blocks (new).
    pub unblocked: Option<Vec<u64>>,
}

impl SystemStateV3 {
    /// The migration from version 2: every deck job migrated ([`DeckJobV3::from_v1`]).
    pub fn from_v2(v2: SystemStateV2) -> SystemStateV3 {
        let SystemStateV2 {
            config,
            processes,
            files,
            next_pid,
            clock,
            instructions,
            slice_left,
            cursor,
            leader,
            leader_status,
            cos_log,
            hpm_retired,
            cos_decks,
        } = v2;
        SystemStateV3 {
            config,
            processes,
            files,
            next_pid,
            clock,
            instructions,
            slice_left,
            cursor,
            leader,
            leader_status,
            cos_log,
            hpm_retired,
            cos_decks: cos_decks
                .into_iter()
                .map(|(jid, deck)| (jid, DeckJobV3::from_v1(deck)))
                .collect(),
        }
    }
}

impl DeckJobV3 {
    /// The migration of a deck job of versions 1 and 2: no disposition deferred
    /// (those versions did a deferred DISPOSE at once), the default field length
    /// (they had no MEMORY), and every dataset blocked.
    pub fn from_v1(v1: DeckJobV1) -> DeckJobV3 {
        let DeckJobV1 {
            job_name,
            user,
            number,
            statements,
            next,
            step,
            aborted,
            datasets,
            conditions,
            symbols,
        } = v1;
        DeckJobV3 {
            job_name,
            user,
            number,
            statements,
            next,
            step,
            aborted,
            datasets: datasets
                .into_iter()
                .map(|(name, dataset)| (name, JobDatasetV3::from_v1(dataset)))
                .collect(),
            conditions,
            symbols,
            deferred: Vec::new(),
            field_length: None,
        }
    }
}

impl JobDatasetV3 {
    /// The migration of a local dataset of versions 1 and 2: blocked, as every one
    /// of theirs was (an unblocked one's words were lost at its close).
    pub fn from_v1(v1: JobDatasetV1) -> JobDatasetV3 {
        let JobDatasetV1 {
            items,
            position,
            open_base,
            modified,
            permanent,
        } = v1;
        JobDatasetV3 {
            items,
            position,
            open_base,
            modified,
            permanent,
            unblocked: None,
        }
    }
}
