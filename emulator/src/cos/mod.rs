//! COS personality: absolute binaries (raw and blocked datasets), the JCB, F$ requests.
//!
//! The file formats follow `COS.md` §1: [`absolute`] reads and writes the PDT+TXT
//! loader tables, [`dataset`] deblocks and blocks COS blocked datasets (BCW/RCW
//! control words), [`jcb`] builds the Job Communication Block at words 0–0177.
//! [`loader`] starts a binary as a job, [`requests`] serves its F$ requests,
//! [`job`] holds the job's state and field layout; `local_datasets` serves the F$
//! requests on a job's local datasets and writes them back to the host; `terminal`
//! reads `$IN` from the terminal; [`deck`] is the job layer above them: job decks,
//! control statements and permanent datasets.
//! [`bits`] addresses fields by Cray bit numbers (bit 0 = most significant).
//! [`personality`] is how the kernel knows all this: COS implements the kernel's
//! [`Foreign`](crate::system::Foreign) trait, and [`System`] is the kernel with COS
//! beside its own personality.

pub mod absolute;
mod accounting;
mod bio;
pub mod bits;
mod circular;
pub mod clock;
pub mod dataset;
pub mod deck;
mod dnt;
pub mod dsc;
mod dump;
mod error;
mod events;
mod ijc;
mod io_area;
pub mod jcb;
pub mod job;
pub mod loader;
mod local_datasets;
mod operator;
mod pdm;
pub mod personality;
pub mod reprieve;
pub mod requests;
pub mod rollout;
mod security;
mod symbols;
mod terminal;
mod user_area;

pub use local_datasets::{host_bytes, items_from_host};

pub use error::{CosFormatError, CosStartError, DatasetFault};
pub use personality::{Cos, Process, System, SystemError};
