//! COS personality: absolute binaries (raw and blocked datasets), the JCB, F$ requests.
//!
//! The file formats follow `COS.md` §1: [`absolute`] reads and writes the PDT+TXT
//! loader tables, [`dataset`] deblocks and blocks COS blocked datasets (BCW/RCW
//! control words), [`jcb`] builds the Job Communication Block at words 0–0177.
//! [`bits`] addresses fields by Cray bit numbers (bit 0 = most significant).

pub mod absolute;
pub mod bits;
pub mod dataset;
mod error;
pub mod jcb;

pub use error::{CosFormatError, DatasetFault};
