//! `cray-chkpnt`: the checkpoint image format (see FORMAT.md).
//!
//! An image is a header, a section table and the sections, each with its own checksum.
//! This crate knows nothing of what the state sections mean: the emulator's snapshot
//! types are encoded by the caller (postcard, through [`ImageWriter::add_state`]) and
//! memory is stored as raw big-endian words, one section per memory field.

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
mod words;
pub mod writer;

pub use error::{ByteOffset, ImageError};
pub use format::{
    Header, ImageKind, ImageSummary, SectionInfo, SectionKind, MAJOR_VERSION, MINOR_VERSION,
};
pub use reader::Image;
pub use writer::{Compression, ImageWriter, WrittenImage};
