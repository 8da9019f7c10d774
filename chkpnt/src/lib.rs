//! `cray-chkpnt`: the checkpoint image format (see FORMAT.md).
//!
//! An image is a header, a section table and the sections, each with its own checksum.
//! This crate knows nothing of what the state sections mean, and does not depend on
//! the emulator: the caller encodes them, and memory is stored as raw big-endian
//! words, one section per memory field. It reads and writes headers, section tables,
//! sections (compressed or not), memory fields and chains of incremental images, so a
//! tool can list an image's structure without linking the emulator. The kind codes of
//! the sections written by the layer above are registered in [`format`](mod@format) so that they
//! can be named. The mapping of an emulated system onto sections, the restart policies
//! of its host files and `cray upgrade` live in that layer, the `cray-sysimage` crate.

#![deny(missing_docs)]

pub mod atomic;
pub mod beneath;
pub mod error;
pub mod format;
pub mod host_file;
pub mod incremental;
mod load;
mod memory_load;
mod pipeline;
pub mod reader;
mod words;
pub mod writer;

pub use error::{ByteOffset, ImageError};
pub use format::{
    Header, ImageKind, ImageSummary, SectionInfo, SectionKind, MAJOR_VERSION, MINOR_VERSION,
};
pub use reader::Image;
pub use writer::{Compression, ImageWriter, WrittenImage};
