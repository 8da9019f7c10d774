//! `cray-chkpnt`: the checkpoint image format (see FORMAT.md).
//!
//! An image is a header, a section table and the sections, each with its own checksum.
//! The container modules (`format`, `reader`, `writer`, `incremental`, `atomic`) know
//! nothing of what the state sections mean: the caller encodes them, and memory is
//! stored as raw big-endian words, one section per memory field. Three modules above
//! them do know the emulator, and are why this crate depends on `cray-emulator`:
//! [`system_image`] maps a `System` onto sections (its kernel state in the frozen,
//! versioned form of `cray_emulator::saved`), [`file_policy`] checks and restores the
//! host files a job had open, and [`upgrade`] rewrites an image in the current format.

#![deny(missing_docs)]

pub mod atomic;
pub mod beneath;
pub mod error;
pub mod file_policy;
pub mod format;
#[doc(hidden)]
pub mod fuzz;
pub mod host_file;
pub mod incremental;
mod load;
mod memory_load;
mod pipeline;
pub mod reader;
pub mod system_image;
pub mod upgrade;
mod words;
pub mod writer;

pub use error::{ByteOffset, ImageError};
pub use format::{
    Header, ImageKind, ImageSummary, SectionInfo, SectionKind, MAJOR_VERSION, MINOR_VERSION,
};
pub use reader::Image;
pub use writer::{Compression, ImageWriter, WrittenImage};
