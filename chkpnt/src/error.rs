//! Errors of reading and writing checkpoint images.
//!
//! Every variant names the image file; those about one section name it (`#index kind id`)
//! and give the byte offset in the file where the trouble is, so a user can look at the
//! bytes with `od` and a bug report says exactly what was wrong.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A byte offset in an image file, shown in octal (as Cray people read numbers) and in
/// decimal (as `dd`, `cmp` and `od -Ad` count).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteOffset(pub u64);

impl fmt::Display for ByteOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:o} octal ({} decimal)", self.0, self.0)
    }
}

/// Everything that can go wrong with a checkpoint image.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The image file could not be opened or read.
    #[error("{file}: cannot read checkpoint image: {source}")]
    Io {
        /// Image file.
        file: PathBuf,
        /// What the host said.
        #[source]
        source: io::Error,
    },

    /// The first eight bytes are not the image magic.
    #[error("{file}: not a checkpoint image: bytes 0..8 are {found:02x?}, expected \"CRAYCKPT\"")]
    BadMagic {
        /// Image file.
        file: PathBuf,
        /// The bytes found at offset 0.
        found: [u8; 8],
    },

    /// The image was written by a format major version this program does not read.
    #[error(
        "{file}: checkpoint image format version {found_major}.{found_minor} is not supported \
         (this program reads major version {supported_major}); bytes at offset {offset}"
    )]
    UnsupportedVersion {
        /// Image file.
        file: PathBuf,
        /// Major version in the file.
        found_major: u16,
        /// Minor version in the file.
        found_minor: u16,
        /// The one major version this program reads.
        supported_major: u16,
        /// Where the version is in the file.
        offset: ByteOffset,
    },

    /// The file ends before a structure it announces.
    #[error("{file}: truncated checkpoint image: {what} needs bytes up to offset {needed}, but the file is {len} bytes long")]
    Truncated {
        /// Image file.
        file: PathBuf,
        /// The structure cut short ("header", "section table", "#2 memory 5").
        what: String,
        /// End offset the structure needs.
        needed: ByteOffset,
        /// Length of the file.
        len: u64,
    },

    /// A header field is inconsistent (length, count or flags).
    #[error("{file}: bad checkpoint image header at offset {offset}: {reason}")]
    BadHeader {
        /// Image file.
        file: PathBuf,
        /// Offset of the bad field.
        offset: ByteOffset,
        /// What is wrong.
        reason: String,
    },

    /// The header checksum (which covers the section table) does not match.
    #[error("{file}: checkpoint image header checksum mismatch (stored {stored:016x}, computed {computed:016x}, field at offset {offset}); the header or the section table is corrupt")]
    HeaderChecksum {
        /// Image file.
        file: PathBuf,
        /// Checksum stored in the file.
        stored: u64,
        /// Checksum of the bytes as read.
        computed: u64,
        /// Offset of the checksum field.
        offset: ByteOffset,
    },

    /// A section table entry is malformed (unknown flags, inconsistent lengths, misplaced).
    #[error("{file}: section {section}: bad table entry at offset {offset}: {reason}")]
    BadSection {
        /// Image file.
        file: PathBuf,
        /// Section name (`#index kind id`).
        section: String,
        /// Offset of the table entry (or of the data, for misplaced sections).
        offset: ByteOffset,
        /// What is wrong.
        reason: String,
    },

    /// A section's data runs past the end of the file.
    #[error("{file}: section {section} at offset {offset} is {len} bytes long and runs past the end of the {file_len}-byte file")]
    SectionOutOfBounds {
        /// Image file.
        file: PathBuf,
        /// Section name.
        section: String,
        /// Offset of the section data.
        offset: ByteOffset,
        /// Stored length claimed by the table.
        len: u64,
        /// Length of the file.
        file_len: u64,
    },

    /// A section claims a length larger than any image may hold.
    #[error("{file}: section {section} at offset {offset} claims {len} bytes, more than the limit of {limit}")]
    Oversized {
        /// Image file.
        file: PathBuf,
        /// Section name.
        section: String,
        /// Offset of the section data.
        offset: ByteOffset,
        /// Claimed length.
        len: u64,
        /// The limit ([`crate::format::MAX_SECTION_BYTES`]).
        limit: u64,
    },

    /// A section's stored or decompressed bytes do not match their checksum.
    #[error("{file}: section {section} at offset {offset}: {which} checksum mismatch (stored {stored:016x}, computed {computed:016x})")]
    SectionChecksum {
        /// Image file.
        file: PathBuf,
        /// Section name.
        section: String,
        /// Offset of the section data.
        offset: ByteOffset,
        /// "stored" (bytes in the file) or "raw" (after decompression).
        which: &'static str,
        /// Checksum from the table.
        stored: u64,
        /// Checksum of the bytes.
        computed: u64,
    },

    /// zstd could not decompress a section, or it decompressed to the wrong length.
    #[error("{file}: section {section} at offset {offset}: cannot decompress: {reason}")]
    Decompress {
        /// Image file.
        file: PathBuf,
        /// Section name.
        section: String,
        /// Offset of the section data.
        offset: ByteOffset,
        /// What zstd said, or the length mismatch.
        reason: String,
    },

    /// A postcard section could not be decoded into the requested type.
    #[error("{file}: section {section} at offset {offset}: cannot decode: {source}")]
    Decode {
        /// Image file.
        file: PathBuf,
        /// Section name.
        section: String,
        /// Offset of the section data.
        offset: ByteOffset,
        /// What postcard said.
        #[source]
        source: postcard::Error,
    },

    /// A section written by a newer cray, in a version of its encoding this build does
    /// not know.
    #[error("{file}: section {section} has version {version}, newer than this cray reads (at most version {known}); the image was written by a newer cray: read it with that one")]
    NewerSection {
        /// Image file.
        file: PathBuf,
        /// Section name (`#index kind id`).
        section: String,
        /// Its version.
        version: u16,
        /// The newest version of that section this build reads.
        known: u16,
    },

    /// A section the caller asked for is not in the image.
    #[error("{file}: no section {section} in this checkpoint image")]
    MissingSection {
        /// Image file.
        file: PathBuf,
        /// Kind and id asked for.
        section: String,
    },

    /// Two sections share a kind and id.
    #[error("{file}: section {section} at offset {offset} duplicates an earlier section of the same kind and id")]
    DuplicateSection {
        /// Image file.
        file: PathBuf,
        /// Section name.
        section: String,
        /// Offset of the second table entry (0 when building).
        offset: ByteOffset,
    },

    /// State could not be encoded with postcard while building an image.
    /// An incremental image's parent cannot be read.
    #[error("{file}: this incremental image builds on {parent}, which cannot be read: {source}; the images of a chain must stay together in one directory")]
    ParentUnreadable {
        /// The incremental image.
        file: PathBuf,
        /// Where its parent should be.
        parent: PathBuf,
        /// Why it cannot be read.
        #[source]
        source: io::Error,
    },

    /// An image an incremental image builds on (its parent, or a parent of that) is
    /// damaged, missing or not the one it was written on.
    #[error("{file}: an image it builds on is damaged: {source}")]
    ParentDamaged {
        /// The incremental image.
        file: PathBuf,
        /// What is wrong with the parent (which names it).
        #[source]
        source: Box<ImageError>,
    },

    /// The file where an incremental image's parent should be is another image.
    #[error("{file}: this incremental image builds on {parent} with header checksum {expected:016x}, but that file's header checksum is {found:016x}: it is another image of the same name")]
    ParentMismatch {
        /// The incremental image.
        file: PathBuf,
        /// The file found in the parent's place.
        parent: PathBuf,
        /// The header checksum the child records.
        expected: u64,
        /// The header checksum of the file found.
        found: u64,
    },

    /// Following parents did not reach a full image.
    #[error("{file}: following parent images from here goes past {limit} images without reaching a full one (a chain of images that loops?)")]
    ChainTooLong {
        /// The image whose chain was followed.
        file: PathBuf,
        /// Most parents followed.
        limit: usize,
    },

    /// A memory field put together through a chain is not the field the image recorded.
    #[error("{file}: section {section} at offset {offset}: the memory field put together from the parent images has xxh3 {computed:016x}, but this image recorded {stored:016x}; a parent image is not the one this image was written on")]
    FieldChecksum {
        /// The incremental image.
        file: PathBuf,
        /// Its delta section.
        section: String,
        /// Where the section starts.
        offset: ByteOffset,
        /// The checksum recorded in the delta.
        stored: u64,
        /// The checksum of the field put together.
        computed: u64,
    },

    /// A section's state could not be encoded (a type that refuses to serialize).
    #[error("cannot encode checkpoint section {section}: {source}")]
    Encode {
        /// Section name.
        section: String,
        /// What postcard said.
        #[source]
        source: postcard::Error,
    },

    /// Writing the image failed before it replaced anything.
    #[error("{file}: checkpoint not written: {stage} failed: {source}; {}",
        if *.previous_exists { "the previous image is intact" } else { "there was no previous image and none was written" })]
    WriteFailed {
        /// Image file that was to be written.
        file: PathBuf,
        /// Step that failed ("creating a temporary file", "writing", "fsync", "rename").
        stage: &'static str,
        /// Whether an earlier image exists at the path (and is untouched).
        previous_exists: bool,
        /// What the host said.
        #[source]
        source: io::Error,
    },

    /// The target of a write is neither a regular file nor a character device: a rename
    /// over it would replace a link, a directory or a device node by a plain file.
    #[error("{file}: will not write there: it is {kind}, not a regular file (cray renames a new file into place, which would replace it)")]
    NotReplaceable {
        /// The target.
        file: PathBuf,
        /// What it is ("a symbolic link").
        kind: &'static str,
    },

    /// The new image is in place but its directory could not be synced.
    #[error("{file}: checkpoint written and renamed into place, but syncing its directory failed: {source}; after a host crash the previous image may reappear")]
    DirSync {
        /// Image file.
        file: PathBuf,
        /// What the host said.
        #[source]
        source: io::Error,
    },
}
