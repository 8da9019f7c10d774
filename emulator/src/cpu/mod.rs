//! The CPU: register file, execution of every instruction, exchange packages.
//!
//! [`Cpu`] is plain data (it derives `Serialize`, `PartialEq`), so a snapshot is a
//! copy and equality is a field comparison. Memory is passed in to every call.

mod state;

pub use state::{Cpu, Flags, Modes, SharedRegisters, Stop};
