//! Constants and the fixed-size binary structures of an image: the header and the section
//! table entries (see FORMAT.md for the byte layout). All integers are little-endian.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The eight bytes every image starts with.
pub const MAGIC: [u8; 8] = *b"CRAYCKPT";
/// The format major version this crate writes and the only one it reads.
pub const MAJOR_VERSION: u16 = 1;
/// The format minor version this crate writes; readers accept any minor of their major.
pub const MINOR_VERSION: u16 = 3;
/// Length in bytes of the fixed header that precedes the section table.
pub const HEADER_LEN: usize = 32;
/// Length in bytes of one section table entry.
pub const ENTRY_LEN: usize = 56;
/// Offset of the header checksum field; it counts as zero when the checksum is computed.
pub const HEADER_CHECKSUM_OFFSET: usize = 24;
/// Most sections an image may have.
pub const MAX_SECTIONS: u32 = 1 << 16;
/// Largest stored or raw length of one section: 2 GiB, twice the memory of the largest
/// Cray Y-MP (128 MW). Readers refuse larger claims before allocating anything.
pub const MAX_SECTION_BYTES: u64 = 1 << 31;
/// Section flag: the stored bytes are one zstd frame.
pub const SECTION_FLAG_ZSTD: u32 = 1;
/// Section flags this version understands; readers refuse any other bit.
pub const KNOWN_SECTION_FLAGS: u32 = SECTION_FLAG_ZSTD;
/// Header flag (format 1.1): the image is incremental: some of its memory fields are
/// given as the pages changed since its parent image, named in its Parent section.
/// Readers of 1.0 refuse the bit, which is right: they would find those fields missing.
pub const HEADER_FLAG_INCREMENTAL: u32 = 1;
/// Header flags this version understands; readers refuse any other bit.
pub const KNOWN_HEADER_FLAGS: u32 = HEADER_FLAG_INCREMENTAL;
/// Version of the summary section's postcard encoding.
pub const SUMMARY_VERSION: u16 = 1;

// The kind codes of `SectionKind::Other` that the system-image layer (`cray-sysimage`)
// writes. They are registered here, beside the kinds of the container, so that no two
// layers take one number and a reader of the structure alone (`cray inspect`, tools
// that do not link the emulator) can name them; what they hold is that layer's business.

/// Section kind code of the open-files list (the identity of every host file the
/// processes had open).
pub const FILES_SECTION: u16 = 16;
/// Section kind code of the file records (device and inode of every open file), added
/// beside the open-files list (kind 16) so that images without it still decode and
/// readers that do not know it keep working.
pub const FILE_RECORDS_SECTION: u16 = 17;
/// Section kind code of the COS deck jobs of saved-state version 1 (the
/// control-statement interpreter's state and the jobs' local datasets, by jid,
/// postcard), present only when a deck job is in the image. Read, never written:
/// version 2 holds the decks in the state.
pub const DECKS_SECTION: u16 = 18;
/// Section kind code of the hash of the memory of every process of the system that
/// had ended (postcard u64). Present only when one had, so images without it are as
/// they always were.
pub const EXITED_MEMORY_SECTION: u16 = 19;

/// What a section holds. The numbers are the `kind` field of a table entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SectionKind {
    /// 1: the [`ImageSummary`], postcard.
    Summary,
    /// 2: the machine/kernel state, postcard of a type this crate does not know.
    State,
    /// 3: the raw words of one memory field, big-endian, 8 bytes a word.
    Memory,
    /// 4: the raw bytes of one host file carried in the image.
    FileContents,
    /// 5 (format 1.1): the pages of one memory field that changed since the parent
    /// image (see `incremental`).
    MemoryDelta,
    /// 6 (format 1.1): which image an incremental image builds on, postcard.
    Parent,
    /// Any other number: a kind from a later minor version; readers keep it but ignore it.
    Other(u16),
}

impl SectionKind {
    /// The number stored in the section table.
    pub fn code(self) -> u16 {
        match self {
            SectionKind::Summary => 1,
            SectionKind::State => 2,
            SectionKind::Memory => 3,
            SectionKind::FileContents => 4,
            SectionKind::MemoryDelta => 5,
            SectionKind::Parent => 6,
            SectionKind::Other(n) => n,
        }
    }

    /// The kind stored as `code` (so `Other(3)` never arises from a file).
    pub fn from_code(code: u16) -> SectionKind {
        match code {
            1 => SectionKind::Summary,
            2 => SectionKind::State,
            3 => SectionKind::Memory,
            4 => SectionKind::FileContents,
            5 => SectionKind::MemoryDelta,
            6 => SectionKind::Parent,
            n => SectionKind::Other(n),
        }
    }

    /// Same kind with `Other(n)` replaced by the named kind `n` stands for.
    pub fn canonical(self) -> SectionKind {
        SectionKind::from_code(self.code())
    }
}

impl fmt::Display for SectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SectionKind::Summary => f.write_str("summary"),
            SectionKind::State => f.write_str("state"),
            SectionKind::Memory => f.write_str("memory"),
            SectionKind::FileContents => f.write_str("file"),
            SectionKind::MemoryDelta => f.write_str("memory-delta"),
            SectionKind::Parent => f.write_str("parent"),
            // Other registered kinds, named as `cray inspect` names them, so that a
            // damaged open-files list is not reported as an unknown "kind16".
            SectionKind::Other(FILES_SECTION) => f.write_str("open-files"),
            SectionKind::Other(FILE_RECORDS_SECTION) => f.write_str("file-records"),
            SectionKind::Other(DECKS_SECTION) => f.write_str("cos-decks"),
            SectionKind::Other(n) => write!(f, "kind{n}"),
        }
    }
}

/// Whether an image holds one process or a whole job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageKind {
    /// One process (`chkpnt -p`).
    Process,
    /// A job: a login process and all its descendants (`chkpnt -j`).
    Job,
}

/// What an image holds, readable without decoding the state (for `cray inspect`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSummary {
    /// Machine model the state belongs to, e.g. "X-MP/48".
    pub model: String,
    /// Process or job.
    pub kind: ImageKind,
    /// Pids of the processes in the image, in the order the state lists them.
    pub pids: Vec<u32>,
    /// Job id.
    pub jid: u32,
    /// Machine cycle count at which the image was taken.
    pub cycle: u64,
    /// Program and version that wrote the image, e.g. "cray 0.1.0".
    pub created_by: String,
}

/// One section table entry as read from an image (or as it will be written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionInfo {
    /// Position in the table, from 0 (the summary).
    pub index: usize,
    /// What the section holds.
    pub kind: SectionKind,
    /// Which one of its kind (memory field, file number); 0 when there is one.
    pub id: u32,
    /// Version of the section's own encoding.
    pub version: u16,
    /// Flag bits ([`SECTION_FLAG_ZSTD`]).
    pub flags: u32,
    /// Offset of the stored bytes from the start of the file.
    pub offset: u64,
    /// Length of the stored bytes.
    pub stored_len: u64,
    /// Length after decompression (equal to `stored_len` when not compressed).
    pub raw_len: u64,
    /// xxh3-64 of the stored bytes.
    pub stored_checksum: u64,
    /// xxh3-64 of the raw bytes (equal to `stored_checksum` when not compressed).
    pub raw_checksum: u64,
}

impl SectionInfo {
    /// Whether the stored bytes are zstd-compressed.
    pub fn compressed(&self) -> bool {
        self.flags & SECTION_FLAG_ZSTD != 0
    }

    /// The name used in messages: `#index kind id`.
    pub fn name(&self) -> String {
        format!("#{} {} {}", self.index, self.kind, self.id)
    }

    /// The entry as its 56 table bytes.
    pub(crate) fn encode(&self) -> [u8; ENTRY_LEN] {
        let mut b = [0u8; ENTRY_LEN];
        b[0..2].copy_from_slice(&self.kind.code().to_le_bytes());
        b[2..4].copy_from_slice(&self.version.to_le_bytes());
        b[4..8].copy_from_slice(&self.flags.to_le_bytes());
        b[8..12].copy_from_slice(&self.id.to_le_bytes());
        // 12..16 reserved, zero.
        b[16..24].copy_from_slice(&self.offset.to_le_bytes());
        b[24..32].copy_from_slice(&self.stored_len.to_le_bytes());
        b[32..40].copy_from_slice(&self.raw_len.to_le_bytes());
        b[40..48].copy_from_slice(&self.stored_checksum.to_le_bytes());
        b[48..56].copy_from_slice(&self.raw_checksum.to_le_bytes());
        b
    }

    /// Parses one entry; the caller checks it against the file.
    pub(crate) fn decode(index: usize, b: &[u8; ENTRY_LEN]) -> SectionInfo {
        SectionInfo {
            index,
            kind: SectionKind::from_code(le16(b, 0)),
            version: le16(b, 2),
            flags: le32(b, 4),
            id: le32(b, 8),
            offset: le64(b, 16),
            stored_len: le64(b, 24),
            raw_len: le64(b, 32),
            stored_checksum: le64(b, 40),
            raw_checksum: le64(b, 48),
        }
    }
}

/// The fixed 32-byte header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Format major version.
    pub major: u16,
    /// Format minor version.
    pub minor: u16,
    /// Header flags ([`HEADER_FLAG_INCREMENTAL`]).
    pub flags: u32,
    /// Number of section table entries.
    pub section_count: u32,
    /// Bytes of header plus table: `32 + 56 * section_count`; the first section starts here.
    pub header_len: u32,
    /// xxh3-64 of the first `header_len` bytes with the checksum field zeroed.
    pub checksum: u64,
}

impl Header {
    /// Header and table length for `count` sections.
    pub fn len_for(count: u32) -> u64 {
        HEADER_LEN as u64 + ENTRY_LEN as u64 * u64::from(count)
    }

    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..8].copy_from_slice(&MAGIC);
        b[8..10].copy_from_slice(&self.major.to_le_bytes());
        b[10..12].copy_from_slice(&self.minor.to_le_bytes());
        b[12..16].copy_from_slice(&self.flags.to_le_bytes());
        b[16..20].copy_from_slice(&self.section_count.to_le_bytes());
        b[20..24].copy_from_slice(&self.header_len.to_le_bytes());
        b[24..32].copy_from_slice(&self.checksum.to_le_bytes());
        b
    }

    pub(crate) fn decode(b: &[u8; HEADER_LEN]) -> Header {
        Header {
            major: le16(b, 8),
            minor: le16(b, 10),
            flags: le32(b, 12),
            section_count: le32(b, 16),
            header_len: le32(b, 20),
            checksum: le64(b, 24),
        }
    }
}

/// xxh3-64 of header and table bytes with the checksum field counted as zero.
pub(crate) fn header_checksum(header_and_table: &[u8]) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3Default::new();
    h.update(&header_and_table[..HEADER_CHECKSUM_OFFSET]);
    h.update(&[0u8; 8]);
    h.update(&header_and_table[HEADER_CHECKSUM_OFFSET + 8..]);
    h.digest()
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

pub(crate) fn le32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

pub(crate) fn le64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}
