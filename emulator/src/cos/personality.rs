//! COS as the kernel's foreign personality: the [`Foreign`] implementation that joins
//! this module to the kernel, and the names of the system it makes.
//!
//! The kernel (`system`) knows COS only through this trait: it hands over an exece of
//! a file that is not an a.out (COS reads it as an absolute binary), every EX of a COS
//! process (an F$ request, [`requests`](super::requests)) and the fault that kills one
//! (a deck job's step aborts, [`deck`](super::deck)). The state it keeps for COS is
//! [`CosJob`] per process and [`DeckJob`] per deck job, with [`DeckHost`] as the host
//! side; the kernel holds them as the trait's types without reading them.

use super::deck::{DeckHost, DeckJob};
use super::job::CosJob;
use super::{absolute, jcb, loader, CosStartError};
use crate::cpu::Flags;
use crate::system::{self, Errno, Event, ExitStatus, Foreign, ForeignImage, Pid};
use std::collections::BTreeMap;

/// The COS personality (a marker: no value of it exists).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cos {}

/// The system this crate runs: the UNICOS-like kernel with COS beside it.
pub type System = system::System<Cos>;
/// A process of that system.
pub type Process = system::Process<Cos>;
/// Why that system could not start a program.
pub type SystemError = system::SystemError<Cos>;

impl Foreign for Cos {
    type Process = CosJob;
    type Job = DeckJob;
    type Host = DeckHost;
    type StartError = CosStartError;

    /// An absolute binary becomes a COS job step with the control statement
    /// `NAME,ARG1,ARG2.` built from argv (NAME is the file name in capitals), no
    /// datasets mapped; the process keeps its descriptors for when it ends.
    fn load(
        _: &System,
        path: &str,
        words: &[u64],
        argv: &[Vec<u8>],
        available: u64,
    ) -> Result<ForeignImage<Cos>, Errno> {
        let binary = absolute::parse(words).map_err(|_| Errno::ENOEXEC)?;
        let args: Vec<String> = argv
            .iter()
            .skip(1)
            .map(|arg| String::from_utf8_lossy(arg).into_owned())
            .collect();
        let statement = jcb::statement_for(path, &args);
        let field = loader::cos_field(
            &binary,
            &statement,
            BTreeMap::new(),
            loader::FieldShape::ALONE,
            available,
        )
        .map_err(|e| match e {
            loader::CosFieldError::Load(_) => Errno::ENOMEM,
            loader::CosFieldError::Jcb(_) => Errno::E2BIG,
        })?;
        Ok(ForeignImage {
            field: field.words,
            field_words: field.fl,
            entry_parcel: binary.entry_parcel,
            state: field.job,
        })
    }

    fn request(system: &mut System, pid: Pid, at: u32) -> Option<Event> {
        system.cos_request(pid, at)
    }

    /// A job with a reprieve set up for the error's class goes on in its handler.
    fn hardware_error(system: &mut System, pid: Pid, flags: Flags) -> bool {
        system.cos_reprieve(pid, super::reprieve::Class::of_flags(flags))
    }

    /// A step of a deck job aborts, and the deck goes on to its EXIT (its datasets
    /// written back first).
    fn killed(system: &mut System, pid: Pid, status: ExitStatus) -> bool {
        let Some(jid) = system.processes.get(&pid).map(|p| p.jid) else {
            return false;
        };
        if !system.cos_decks.contains_key(&jid) {
            return false;
        }
        let _ = system.cos_flush_all(pid);
        system.cos_step_ended(pid, status)
    }
}
