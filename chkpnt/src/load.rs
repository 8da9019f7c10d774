//! Reading and verifying an image from a file or a byte slice, in one pass: the header
//! and the section table are checked before any section is read, and every section's
//! checksum before the image is handed out.
//!
//! Uncompressed memory sections are read by `memory_load`, a chunk at a time and on
//! two threads when they are large.

use crate::error::{ByteOffset, ImageError};
use crate::format::{
    header_checksum, Header, SectionInfo, SectionKind, ENTRY_LEN, HEADER_CHECKSUM_OFFSET,
    HEADER_FLAG_INCREMENTAL, HEADER_LEN, KNOWN_HEADER_FLAGS, KNOWN_SECTION_FLAGS, MAGIC,
    MAJOR_VERSION, MAX_SECTIONS, MAX_SECTION_BYTES,
};
use crate::memory_load::load_words;
use crate::words::be_words_into;
use std::collections::BTreeSet;
use std::io::{self, Read};
use std::path::Path;
use xxhash_rust::xxh3::xxh3_64;

/// The contents of one section after verification.
#[derive(Debug)]
pub(crate) enum SectionData {
    /// Raw (decompressed) bytes.
    Bytes(Vec<u8>),
    /// Memory words.
    Words(Vec<u64>),
    /// Moved out by `Image::take_memory`.
    Taken,
}

/// Everything `load` verified.
pub(crate) struct Loaded {
    pub header: Header,
    pub sections: Vec<SectionInfo>,
    pub data: Vec<SectionData>,
}

/// Reads an image of `len` bytes from `r` and verifies all of it.
pub(crate) fn load<R: Read>(file: &Path, r: &mut R, len: u64) -> Result<Loaded, ImageError> {
    let (header, sections) = load_head(file, r, len)?;
    let mut buf = Vec::new();
    let data = sections
        .iter()
        .map(|info| load_section(file, r, info, len, &mut buf))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Loaded {
        header,
        sections,
        data,
    })
}

/// Reads and verifies the header and the section table of an image of `len` bytes
/// from `r`, leaving `r` at the first section.
pub(crate) fn load_head<R: Read>(
    file: &Path,
    r: &mut R,
    len: u64,
) -> Result<(Header, Vec<SectionInfo>), ImageError> {
    let mut head = [0u8; HEADER_LEN];
    let have = len.min(HEADER_LEN as u64) as usize;
    read_exact(file, r, &mut head[..have], "header", len)?;
    let header = check_header(file, &head[..have], len)?;
    let header_len = u64::from(header.header_len);

    let mut table = vec![0u8; header_len as usize];
    table[..HEADER_LEN].copy_from_slice(&head);
    read_exact(file, r, &mut table[HEADER_LEN..], "section table", len)?;
    let computed = header_checksum(&table);
    if computed != header.checksum {
        return Err(ImageError::HeaderChecksum {
            file: file.to_path_buf(),
            stored: header.checksum,
            computed,
            offset: ByteOffset(HEADER_CHECKSUM_OFFSET as u64),
        });
    }
    if header.flags & !KNOWN_HEADER_FLAGS != 0 {
        return Err(bad_header(
            file,
            12,
            format!("unknown header flags {:o}", header.flags),
        ));
    }
    let sections = parse_table(file, &header, &table, len)?;
    check_incremental(file, &header, &sections)?;
    Ok((header, sections))
}

/// An incremental image (header flag) has a Parent section and a full one has none;
/// memory deltas appear only in incremental images, and a field is whole or a delta,
/// never both.
fn check_incremental(
    file: &Path,
    header: &Header,
    sections: &[SectionInfo],
) -> Result<(), ImageError> {
    let flagged = header.flags & HEADER_FLAG_INCREMENTAL != 0;
    let has_parent = sections.iter().any(|s| s.kind == SectionKind::Parent);
    if let Some(s) = sections
        .iter()
        .find(|s| s.kind == SectionKind::Parent && s.id != 0)
    {
        return Err(ImageError::BadSection {
            file: file.to_path_buf(),
            section: s.name(),
            offset: ByteOffset(entry_offset(s.index)),
            reason: "an image has one parent, section id 0".into(),
        });
    }
    if flagged != has_parent {
        return Err(bad_header(
            file,
            12,
            if flagged {
                "the incremental flag is set but there is no parent section".into()
            } else {
                "a parent section, but the incremental flag is clear".into()
            },
        ));
    }
    for s in sections
        .iter()
        .filter(|s| s.kind == SectionKind::MemoryDelta)
    {
        let bad = |reason: String| ImageError::BadSection {
            file: file.to_path_buf(),
            section: s.name(),
            offset: ByteOffset(entry_offset(s.index)),
            reason,
        };
        if !flagged {
            return Err(bad(
                "a memory delta in an image that is not incremental".into()
            ));
        }
        if sections
            .iter()
            .any(|m| m.kind == SectionKind::Memory && m.id == s.id)
        {
            return Err(bad(format!(
                "memory field {} is both whole and a delta",
                s.id
            )));
        }
    }
    Ok(())
}

/// Reads section `info` (with `r` at its start) as bytes, decompressed and verified.
pub(crate) fn load_bytes<R: Read>(
    file: &Path,
    r: &mut R,
    info: &SectionInfo,
    len: u64,
) -> Result<Vec<u8>, ImageError> {
    match load_section(file, r, info, len, &mut Vec::new())? {
        SectionData::Bytes(bytes) => Ok(bytes),
        SectionData::Words(words) => Ok(words.iter().flat_map(|w| w.to_be_bytes()).collect()),
        SectionData::Taken => Ok(Vec::new()),
    }
}

/// Offset of table entry `index`.
pub(crate) fn entry_offset(index: usize) -> u64 {
    HEADER_LEN as u64 + ENTRY_LEN as u64 * index as u64
}

fn bad_header(file: &Path, offset: u64, reason: String) -> ImageError {
    ImageError::BadHeader {
        file: file.to_path_buf(),
        offset: ByteOffset(offset),
        reason,
    }
}

pub(crate) fn read_exact<R: Read>(
    file: &Path,
    r: &mut R,
    buf: &mut [u8],
    what: &str,
    len: u64,
) -> Result<(), ImageError> {
    r.read_exact(buf).map_err(|source| {
        if source.kind() == io::ErrorKind::UnexpectedEof {
            // The file shrank while it was read.
            ImageError::Truncated {
                file: file.to_path_buf(),
                what: what.to_string(),
                needed: ByteOffset(len),
                len,
            }
        } else {
            ImageError::Io {
                file: file.to_path_buf(),
                source,
            }
        }
    })
}

/// Checks magic, version, count and lengths; `head` is the first up to 32 bytes.
fn check_header(file: &Path, head: &[u8], len: u64) -> Result<Header, ImageError> {
    let prefix = &head[..head.len().min(MAGIC.len())];
    if prefix != &MAGIC[..prefix.len()] {
        let mut found = [0u8; 8];
        found[..prefix.len()].copy_from_slice(prefix);
        return Err(ImageError::BadMagic {
            file: file.to_path_buf(),
            found,
        });
    }
    let Some(head) = head.first_chunk::<HEADER_LEN>() else {
        return Err(ImageError::Truncated {
            file: file.to_path_buf(),
            what: "header".into(),
            needed: ByteOffset(HEADER_LEN as u64),
            len,
        });
    };
    let header = Header::decode(head);
    if header.major != MAJOR_VERSION {
        return Err(ImageError::UnsupportedVersion {
            file: file.to_path_buf(),
            found_major: header.major,
            found_minor: header.minor,
            supported_major: MAJOR_VERSION,
            offset: ByteOffset(8),
        });
    }
    if header.section_count == 0 || header.section_count > MAX_SECTIONS {
        return Err(bad_header(
            file,
            16,
            format!(
                "section count {} is not in 1..={MAX_SECTIONS}",
                header.section_count
            ),
        ));
    }
    let header_len = Header::len_for(header.section_count);
    if u64::from(header.header_len) != header_len {
        return Err(bad_header(
            file,
            20,
            format!(
                "header length {} does not match {} sections (expected {header_len})",
                header.header_len, header.section_count
            ),
        ));
    }
    if header_len > len {
        return Err(ImageError::Truncated {
            file: file.to_path_buf(),
            what: "section table".into(),
            needed: ByteOffset(header_len),
            len,
        });
    }
    Ok(header)
}

/// Checks every table entry against the file: flags, limits, placement, uniqueness.
fn parse_table(
    file: &Path,
    header: &Header,
    table: &[u8],
    len: u64,
) -> Result<Vec<SectionInfo>, ImageError> {
    let file_buf = || file.to_path_buf();
    let header_len = u64::from(header.header_len);
    let mut sections = Vec::with_capacity(header.section_count as usize);
    let mut seen = BTreeSet::new();
    let mut pos = header_len;
    for (index, entry) in table[HEADER_LEN..].chunks_exact(ENTRY_LEN).enumerate() {
        let mut raw_entry = [0u8; ENTRY_LEN];
        raw_entry.copy_from_slice(entry);
        let info = SectionInfo::decode(index, &raw_entry);
        let bad = |reason: String| ImageError::BadSection {
            file: file_buf(),
            section: info.name(),
            offset: ByteOffset(entry_offset(index)),
            reason,
        };
        if info.flags & !KNOWN_SECTION_FLAGS != 0 {
            return Err(bad(format!("unknown section flags {:o}", info.flags)));
        }
        for claimed in [info.stored_len, info.raw_len] {
            if claimed > MAX_SECTION_BYTES {
                return Err(ImageError::Oversized {
                    file: file_buf(),
                    section: info.name(),
                    offset: ByteOffset(info.offset),
                    len: claimed,
                    limit: MAX_SECTION_BYTES,
                });
            }
        }
        if !info.compressed()
            && (info.raw_len != info.stored_len || info.raw_checksum != info.stored_checksum)
        {
            return Err(bad(
                "uncompressed section with raw length or checksum different from stored".into(),
            ));
        }
        if info.offset != pos {
            return Err(bad(format!(
                "data starts at offset {}, expected {} (sections follow each other without gaps)",
                ByteOffset(info.offset),
                ByteOffset(pos)
            )));
        }
        let end = pos + info.stored_len; // both <= 2^31 * 2^16 + len: no overflow
        if end > len {
            return Err(ImageError::SectionOutOfBounds {
                file: file_buf(),
                section: info.name(),
                offset: ByteOffset(info.offset),
                len: info.stored_len,
                file_len: len,
            });
        }
        if index == 0 && info.kind != SectionKind::Summary {
            return Err(bad("the first section must be the summary".into()));
        }
        if info.kind == SectionKind::Memory && info.raw_len & 7 != 0 {
            return Err(bad(format!(
                "memory section of {} bytes is not whole words",
                info.raw_len
            )));
        }
        if !seen.insert((info.kind.code(), info.id)) {
            return Err(ImageError::DuplicateSection {
                file: file_buf(),
                section: info.name(),
                offset: ByteOffset(entry_offset(index)),
            });
        }
        pos = end;
        sections.push(info);
    }
    if pos != len {
        return Err(bad_header(
            file,
            pos,
            format!("{} bytes follow the last section", len - pos),
        ));
    }
    Ok(sections)
}

/// Reads one section (placed and bounded by `parse_table`) and verifies its checksums.
fn load_section<R: Read>(
    file: &Path,
    r: &mut R,
    info: &SectionInfo,
    len: u64,
    buf: &mut Vec<u8>,
) -> Result<SectionData, ImageError> {
    let name = info.name();
    let checksum_err = |which, stored, computed| ImageError::SectionChecksum {
        file: file.to_path_buf(),
        section: info.name(),
        offset: ByteOffset(info.offset),
        which,
        stored,
        computed,
    };
    if info.kind == SectionKind::Memory && !info.compressed() {
        let (words, computed) = load_words(file, r, &name, info.stored_len, len, buf)?;
        if computed != info.stored_checksum {
            return Err(checksum_err("stored", info.stored_checksum, computed));
        }
        return Ok(SectionData::Words(words));
    }
    let mut stored = vec![0u8; info.stored_len as usize];
    read_exact(file, r, &mut stored, &name, len)?;
    let computed = xxh3_64(&stored);
    if computed != info.stored_checksum {
        return Err(checksum_err("stored", info.stored_checksum, computed));
    }
    let raw = if info.compressed() {
        let raw = decompress(file, info, &stored)?;
        let computed = xxh3_64(&raw);
        if computed != info.raw_checksum {
            return Err(checksum_err("raw", info.raw_checksum, computed));
        }
        raw
    } else {
        stored
    };
    Ok(if info.kind == SectionKind::Memory {
        let mut words = vec![0u64; raw.len() / 8];
        be_words_into(&mut words, &raw);
        SectionData::Words(words)
    } else {
        SectionData::Bytes(raw)
    })
}

/// One zstd frame, which must expand to exactly `raw_len` bytes.
fn decompress(file: &Path, info: &SectionInfo, stored: &[u8]) -> Result<Vec<u8>, ImageError> {
    let err = |reason: String| ImageError::Decompress {
        file: file.to_path_buf(),
        section: info.name(),
        offset: ByteOffset(info.offset),
        reason,
    };
    let decoder =
        zstd::stream::read::Decoder::with_buffer(stored).map_err(|e| err(e.to_string()))?;
    // raw_len was checked against MAX_SECTION_BYTES; still, grow the buffer as real
    // output arrives rather than trusting the claim up front.
    let mut out = Vec::with_capacity(info.raw_len.min(info.stored_len.saturating_mul(4)) as usize);
    decoder
        .take(info.raw_len + 1)
        .read_to_end(&mut out)
        .map_err(|e| err(e.to_string()))?;
    if out.len() as u64 != info.raw_len {
        return Err(err(format!(
            "decompressed to {} bytes, the table says {}",
            out.len(),
            info.raw_len
        )));
    }
    Ok(out)
}
