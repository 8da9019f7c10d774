//! How the kernel knows a foreign personality: the one trait [`Foreign`].
//!
//! The kernel's own conventions are UNICOS-like (a.out binaries, system calls by EX
//! with S0/S1). A [`System`] also runs processes of one other personality `F`, whose
//! processes are marked [`Personality::Cos`] (COS is the one there is: the `cos`
//! module implements this trait, above the kernel). The kernel never looks inside
//! that personality. What crosses between them:
//!
//! - **in**: an exece of a file that is not an a.out ([`Foreign::load`]); an EX of a
//!   process of that personality ([`Foreign::request`]); a fault that kills one of
//!   its processes ([`Foreign::killed`]);
//! - **out**: a [`ForeignImage`] the kernel puts in place of the old program, or an
//!   errno; an [`Event`] for the driver; whether the personality took the ended
//!   process over.
//!
//! Its state is data the kernel holds without reading it: per process
//! ([`Foreign::Process`], in [`Process::cos`](super::Process::cos)) and per job
//! ([`Foreign::Job`], in [`System::cos_decks`]), both plain serde data so that they are
//! hashed and cloned with the rest of the state (the postcard encoding of a value is the
//! same whatever type parameter holds it, so the state hash did not move when the kernel
//! stopped naming them); the host side it needs ([`Foreign::Host`]) is attached like
//! the root. A request handler takes the whole `System<F>` and changes what it must:
//! COS requests read and write the job's field, its descriptors and the console as the
//! kernel's own system calls do.
//!
//! [`NativeOnly`] is the kernel with no foreign personality: exece of anything but an
//! a.out fails with ENOEXEC.

use super::{Errno, Event, ExitStatus, Personality, Pid, System};
use crate::cpu::Flags;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;

/// A foreign personality: its state types and the three ways the kernel calls it.
///
/// Implemented by a type that is never a value of the state (a marker); the bounds
/// are those the kernel's own derives need of a type parameter.
pub trait Foreign: Clone + Debug + PartialEq + Eq + Sized + 'static {
    /// What the personality keeps per process beside registers and field.
    type Process: Clone + Debug + PartialEq + Eq + Serialize + DeserializeOwned;
    /// What it keeps per job (by jid), only for the jobs that need it.
    type Job: Clone + Debug + PartialEq + Eq + Serialize + DeserializeOwned;
    /// Its host side (directories, stores), attached like the root; not state.
    type Host: Clone + Debug + Default;
    /// Why one of its programs or jobs cannot be started.
    type StartError: std::error::Error + Clone + PartialEq + Eq + 'static;

    /// Recognises and loads the file `words` (not an a.out) that process `pid` execes
    /// as `path` with arguments `argv`, in at most `available` words; `Err(ENOEXEC)`
    /// if it is not a program of this personality.
    fn load(
        system: &System<Self>,
        path: &str,
        words: &[u64],
        argv: &[Vec<u8>],
        available: u64,
    ) -> Result<ForeignImage<Self>, Errno>;

    /// Serves the EX that process `pid` of this personality issued at parcel `at`;
    /// `Some` when the driver must act.
    fn request(system: &mut System<Self>, pid: Pid, at: u32) -> Option<Event>;

    /// Process `pid` of this personality stopped on a hardware error (`flags`, the
    /// exchange flags that name it), before the kernel reports it and ends the
    /// process: true if the personality took the error over (COS: a reprieve
    /// handler entered), and the process goes on as the personality left it.
    fn hardware_error(system: &mut System<Self>, pid: Pid, flags: Flags) -> bool;

    /// Process `pid` is being killed by a fault with `status`: true if the
    /// personality took the process over (the kernel then does not end it).
    fn killed(system: &mut System<Self>, pid: Pid, status: ExitStatus) -> bool;
}

/// A program of the foreign personality, loaded but not yet in a process.
#[derive(Clone, Debug)]
pub struct ForeignImage<F: Foreign> {
    /// The whole field, from word 0.
    pub field: Vec<u64>,
    /// Field length in words (instruction and data limits).
    pub field_words: u32,
    /// Parcel address where it starts.
    pub entry_parcel: u32,
    /// The process's state under the personality.
    pub state: F::Process,
}

impl<F: Foreign> System<F> {
    /// Replaces the program of `pid` by `image` (the end of an exece): the process now
    /// follows the foreign personality.
    pub(crate) fn exece_foreign(
        &mut self,
        pid: Pid,
        path: &str,
        image: ForeignImage<F>,
    ) -> Result<(), Errno> {
        let mut cpu = self.new_cpu(image.field_words);
        cpu.p = image.entry_parcel;
        let process = self.processes.get_mut(&pid).ok_or(Errno::ESRCH)?;
        let memory = crate::memory::Memory::from_words(image.field);
        process.replace_program(cpu, memory, image.field_words, path.to_string());
        process.personality = Personality::Cos;
        process.cos = Some(Box::new(image.state));
        Ok(())
    }
}

/// The kernel with no foreign personality (its own tests, tools that run a.out only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NativeOnly {}

impl Foreign for NativeOnly {
    type Process = ();
    type Job = ();
    type Host = ();
    type StartError = std::convert::Infallible;

    fn load(
        _: &System<Self>,
        _: &str,
        _: &[u64],
        _: &[Vec<u8>],
        _: u64,
    ) -> Result<ForeignImage<Self>, Errno> {
        Err(Errno::ENOEXEC)
    }

    fn request(system: &mut System<Self>, pid: Pid, _: u32) -> Option<Event> {
        // No process is ever marked foreign here (nothing can load one); a restored
        // image that says otherwise gets the UNICOS answer to an unknown call.
        if let Some(process) = system.processes.get_mut(&pid) {
            process.cpu.s[1] = u64::MAX;
            process.cpu.s[0] = Errno::ENOSYS.0;
        }
        None
    }

    fn hardware_error(_: &mut System<Self>, _: Pid, _: Flags) -> bool {
        false
    }

    fn killed(_: &mut System<Self>, _: Pid, _: ExitStatus) -> bool {
        false
    }
}
