//! The saved kernel state: frozen, versioned types separate from the live structs,
//! as Firecracker's snapshot crate keeps them.
//!
//! An image's State section holds one version of [`SystemState`] encoded with
//! postcard. Postcard has no field names and no defaults, so a saved type can never
//! gain, lose or reorder a field: each released layout is a module of its own
//! ([`v1`], [`v2`], [`v3`]) that is never edited, and a change is a new version with an
//! explicit migration from the one before. Reading runs the migrations in order
//! (V1 -> V2 -> ... -> current), then converts the current version to the live
//! [`System`]; writing converts the live system to the current version only.
//!
//! Every type reachable from a saved state is frozen too: a primitive, a std
//! container, or a frozen copy of a live type in the version module where it first
//! appeared (a later version reuses it while it is unchanged). No live type is
//! reachable, so a change to a live struct cannot move the bytes of any version;
//! `tests` checks the frozen modules name no live type and pins the encodings of a
//! sample state (`pinned/`). `live` converts between the two (the timing model in
//! `timing::frozen`, beside its private fields), mostly through the field lists of
//! `convert`'s macros.
//!
//! | version | written by       | what changed                                      | frozen types new in it |
//! |--------:|------------------|---------------------------------------------------|------------------------|
//! | 1       | format 1.0, 1.1  | first layout; COS decks in a section of their own (kind 18) | all of [`v1`]: the state, config, process, CPU, modes, shared registers, HPM counters, timing model, model, pid, file id, file table (open files, descriptions, pipes, terminal input), signals and handlers, process state, wait, exit status, personality, COS job (backings, local datasets, dataset items), deck job (job datasets, accessed, access) |
//! | 2       | format 1.2       | COS decks held in the state                       | [`v2::SystemStateV2`] only; the rest are version 1's |
//! | 3       | format 1.3       | a deck job's unblocked datasets (their words), deferred dispositions (DISPOSE,DEFER) and MEMORY's field length | [`v3::SystemStateV3`], [`v3::DeckJobV3`], [`v3::JobDatasetV3`]; the rest are version 1's |

pub(crate) mod convert;
mod live;
pub mod v1;
pub mod v2;
pub mod v3;

use crate::cos::deck::DeckJob;
use crate::cos::System;
use crate::system::Pid;
use convert::Convert;
use std::collections::BTreeMap;
use thiserror::Error;
use v1::{DeckJobV1, PidV1, SystemStateV1};
pub use v2::SystemStateV2;
use v3::DeckJobV3;
pub use v3::SystemStateV3;

/// The version of the saved kernel state this build writes, and the newest it reads.
pub const STATE_VERSION: u16 = 3;

/// The current version of the saved kernel state.
pub type SystemState = SystemStateV3;

/// Why a saved kernel state cannot be read.
#[derive(Debug, Error)]
pub enum StateError {
    /// Written by a newer cray.
    #[error("kernel state version {version} is newer than this cray reads (it reads versions 1 to {STATE_VERSION}); use a newer cray")]
    Newer {
        /// The version found.
        version: u16,
    },
    /// No cray ever wrote it.
    #[error("kernel state version {version} does not exist (versions are 1 to {STATE_VERSION})")]
    Unknown {
        /// The version found.
        version: u16,
    },
    /// The bytes are not a state of the version they claim.
    #[error("kernel state version {version} does not decode: {source}")]
    Decode {
        /// The version claimed.
        version: u16,
        /// What postcard found.
        source: postcard::Error,
    },
    /// A state that holds the decks itself, in an image that also has a decks section.
    #[error("kernel state version {version} holds the COS decks itself, yet the image has a decks section too")]
    DecksTwice {
        /// The version found.
        version: u16,
    },
}

/// The live system as the current version of the saved state, encoded.
pub fn encode(system: System) -> Result<Vec<u8>, postcard::Error> {
    postcard::to_stdvec(&SystemState::from(system))
}

/// The system saved as `version` in `bytes`, migrated to the current version.
/// `v1_decks` are the COS decks a version 1 image keeps in a section of its own
/// (empty when it has none; a later version must have none there).
pub fn decode(
    version: u16,
    bytes: &[u8],
    v1_decks: BTreeMap<Pid, DeckJob>,
) -> Result<System, StateError> {
    let decode_error = |source| StateError::Decode { version, source };
    let current = match version {
        0 => return Err(StateError::Unknown { version }),
        1 => {
            let v1: SystemStateV1 = postcard::from_bytes(bytes).map_err(decode_error)?;
            // The decks come live (`decode_v1_decks` migrated them already).
            let mut current = SystemStateV3::from_v2(SystemStateV2::from_v1(v1, BTreeMap::new()));
            current.cos_decks = v1_decks.convert();
            current
        }
        2 | 3 if !v1_decks.is_empty() => return Err(StateError::DecksTwice { version }),
        2 => {
            let v2: SystemStateV2 = postcard::from_bytes(bytes).map_err(decode_error)?;
            SystemStateV3::from_v2(v2)
        }
        3 => postcard::from_bytes(bytes).map_err(decode_error)?,
        _ => return Err(StateError::Newer { version }),
    };
    Ok(System::from(current))
}

/// The COS decks section (kind 18) of a format 1.1 image: the deck jobs by jid, in
/// their frozen form [`DeckJobV1`], migrated to the current version's and converted
/// to the live [`DeckJob`].
pub fn decode_v1_decks(bytes: &[u8]) -> Result<BTreeMap<Pid, DeckJob>, postcard::Error> {
    let decks: BTreeMap<PidV1, DeckJobV1> = postcard::from_bytes(bytes)?;
    let current: BTreeMap<PidV1, DeckJobV3> = decks
        .into_iter()
        .map(|(jid, deck)| (jid, DeckJobV3::from_v1(deck)))
        .collect();
    Ok(current.convert())
}

/// Whether `version` of the saved state is newer than this build reads.
pub fn is_newer(version: u16) -> bool {
    version > STATE_VERSION
}

#[cfg(test)]
mod tests;
