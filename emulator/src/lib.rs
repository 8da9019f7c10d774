//! `cray-emulator`: the Cray X-MP / Cray-1 machine and the small UNICOS-like system
//! that runs on it.
//!
//! Layers (see `ARCHITECTURE.md`): [`isa`] is the one opcode table (decode, encode,
//! disassemble); [`cpu`] executes decoded instructions against [`memory`]; [`float`]
//! is bit-exact Cray floating point; [`timing`] observes issued instructions and
//! counts clock periods; [`system`] is the UNICOS-like kernel; [`cos`] reads COS
//! absolute binaries and blocked datasets and serves COS system requests;
//! [`snapshot`] is the complete state as plain data with its canonical hash;
//! [`saved`] is the frozen, versioned form of that state that images hold.

#![deny(missing_docs)]

pub mod aout;
pub mod cos;
pub mod cpu;
pub mod float;
#[doc(hidden)]
pub mod fuzz;
pub mod isa;
pub mod memory;
mod not_state;
pub mod saved;
mod serde_arrays;
pub mod snapshot;
pub mod system;
pub mod timing;

pub use cos::{Process, System, SystemError};
