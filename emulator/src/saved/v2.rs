//! Version 2 of the saved kernel state (image format 1.2): version 1 with the COS
//! deck jobs held in the state itself, where version 1 needed a section of its own
//! for them (kind 18) because its layout could not take another field.
//!
//! FROZEN once released: never edit; a change is a version 3 beside it. Like
//! version 1 it reaches no live type: every part it shares with version 1 is
//! version 1's frozen type.

use super::v1::{
    ConfigV1, DeckJobV1, ExitStatusV1, FileTableV1, HpmCountersV1, PidV1, ProcessV1, SystemStateV1,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The kernel state of the selected processes, memory fields emptied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStateV2 {
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
    /// The COS deck jobs by jid (new in version 2).
    pub cos_decks: BTreeMap<PidV1, DeckJobV1>,
}

impl SystemStateV2 {
    /// The migration from version 1: the decks come from the image's decks section
    /// (none when it has none).
    pub fn from_v1(v1: SystemStateV1, cos_decks: BTreeMap<PidV1, DeckJobV1>) -> SystemStateV2 {
        let SystemStateV1 {
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
        } = v1;
        SystemStateV2 {
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
        }
    }
}
