//! Reading and verifying an image from a file or a byte slice, in one pass: the header
//! and the section table are checked before any section is read, and every section's
//! checksum before the image is handed out.
//!
//! Uncompressed memory is read a chunk at a time, each chunk checksummed as soon as it
//! is read and converted straight into its place among the words, so restoring a large
//! memory never holds it twice. Above 512 KW the conversion runs on a second thread
//! while this one reads and checksums the next chunk (the mirror of `pipeline`); above
//! 4 MW this thread also converts every other chunk, because the converter alone then
//! spends most of its time faulting in the fresh pages of the words. Where the words
//! come from reused heap they are reserved, not zeroed all at once (that was 10 % of a
//! restore of 1 MW): each chunk's words are zeroed just before they are converted
//! (`words::append_be_words`), so the conversion finds them in the cache.
//!
//! Criterion on the 2-core test machine (shared with other builds, so ±10 %), restore
//! of an image against `std::fs::read` of as many bytes from the page cache:
//! 1 MW 1.01-1.16 ms against 0.30-0.35 ms (one thread, words zeroed: 1.43-1.50 ms);
//! 8 MW 30.4-32.7 ms against 37-40 ms (one thread: 42.3-42.8 ms). At 1 MW the reader
//! is the limit: the kernel's copy and the checksum (about 0.35 and 0.3 ms) stay on
//! one thread (with the checksum on the converter, which reads each chunk from the
//! other core's cache, the restore was 30 % slower). At 8 MW the words are mapped
//! afresh (glibc maps every block of 32 MiB or more), and the page faults, which
//! `fs::read` pays on one thread, are shared by two.

use crate::error::{ByteOffset, ImageError};
use crate::format::{
    header_checksum, Header, SectionInfo, SectionKind, ENTRY_LEN, HEADER_CHECKSUM_OFFSET,
    HEADER_FLAG_INCREMENTAL, HEADER_LEN, KNOWN_HEADER_FLAGS, KNOWN_SECTION_FLAGS, MAGIC,
    MAJOR_VERSION, MAX_SECTIONS, MAX_SECTION_BYTES,
};
use crate::words::{append_be_words, be_words_into};
use std::collections::BTreeSet;
use std::io::{self, Read};
use std::path::Path;
use std::sync::mpsc;
use xxhash_rust::xxh3::{xxh3_64, Xxh3Default};

/// Bytes read per step of a memory section: small enough that the first and last
/// chunks, which the two threads do not share, are short. Restoring 1 MW took 1.4 ms
/// with 128 KiB chunks (hand-overs between the threads), at best 0.93 ms with 1 MiB
/// ones and 0.85 ms with these.
const CHUNK_BYTES: usize = 256 * 1024;
/// Memory sections of more bytes than this (512 KW) are converted on a second thread;
/// below, starting the thread costs more than it saves (4 KW: 11 us here, 42 us
/// beside; 256 KW: 0.30 and 0.40 ms; 512 KW: both 0.6 ms).
const BESIDE_ABOVE_BYTES: usize = 4 * 1024 * 1024;
/// Memory sections of more bytes than this (4 MW) are converted by both threads: the
/// words are then allocated from fresh pages of the kernel, and faulting them in costs
/// more than reading and checksumming them, so this thread takes a share.
const SHARE_ABOVE_BYTES: usize = 32 * 1024 * 1024;
/// Of every this many chunks of such a section, this thread converts one.
const SHARE_EVERY: usize = 2;
/// Chunk buffers in flight between the reader and the converter.
const BUFFERS: usize = 4;

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

fn read_exact<R: Read>(
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

/// Reads `bytes` (a multiple of 8) of big-endian words from `r`; returns them and the
/// xxh3-64 of the bytes. `buf` is a chunk buffer kept between sections.
fn load_words<R: Read>(
    file: &Path,
    r: &mut R,
    what: &str,
    bytes: u64,
    len: u64,
    buf: &mut Vec<u8>,
) -> Result<(Vec<u64>, u64), ImageError> {
    // bytes <= file length was checked, so the words reserved are backed by the file.
    let bytes = bytes as usize;
    if bytes > SHARE_ABOVE_BYTES {
        if let Some(result) = load_words_shared(file, r, what, bytes, len, buf) {
            return result;
        }
    } else if bytes > BESIDE_ABOVE_BYTES {
        if let Some(result) = load_words_beside(file, r, what, bytes, len, buf) {
            return result;
        }
    }
    load_words_here(file, r, what, bytes, len, buf)
}

/// The checksum and the conversion on this thread, after each chunk is read.
fn load_words_here<R: Read>(
    file: &Path,
    r: &mut R,
    what: &str,
    bytes: usize,
    len: u64,
    buf: &mut Vec<u8>,
) -> Result<(Vec<u64>, u64), ImageError> {
    let mut words = Vec::with_capacity(bytes / 8);
    let mut hasher = Xxh3Default::new();
    let mut remaining = bytes;
    while remaining > 0 {
        let step = remaining.min(CHUNK_BYTES);
        buf.resize(step, 0);
        read_exact(file, r, buf, what, len)?;
        hasher.update(buf);
        append_be_words(&mut words, buf);
        remaining -= step;
    }
    Ok((words, hasher.digest()))
}

/// The conversion on a second thread while this one reads and checksums the next
/// chunk; None when that thread cannot be started (the caller then does it all here).
/// The checksum stays with the read: the chunk is then still in this core's cache, and
/// checksumming on the converter made the restore of 1 MW 30 % slower.
fn load_words_beside<R: Read>(
    file: &Path,
    r: &mut R,
    what: &str,
    bytes: usize,
    len: u64,
    buf: &mut Vec<u8>,
) -> Option<Result<(Vec<u64>, u64), ImageError>> {
    std::thread::scope(|scope| {
        let (filled, to_convert) = mpsc::sync_channel::<Vec<u8>>(BUFFERS);
        let (converted, to_fill) = mpsc::sync_channel::<Vec<u8>>(BUFFERS);
        // Allocated here, not on the converter: glibc would take it from that thread's
        // own arena, which hands large blocks back to the kernel as soon as they are
        // freed, so that every restore would fault its memory in afresh.
        let mut words = Vec::with_capacity(bytes / 8);
        let converter = std::thread::Builder::new()
            .name("chkpnt-restore".into())
            .spawn_scoped(scope, move || {
                // Ends when the reader stops sending, at the end or on an error.
                for chunk in &to_convert {
                    append_be_words(&mut words, &chunk);
                    // The channel has room for every buffer: this cannot block.
                    let _ = converted.send(chunk);
                }
                words
            })
            .ok()?;
        let mut hasher = Xxh3Default::new();
        let mut reader = ChunkReader::new(file, r, what, len, buf, &to_fill);
        let result = reader.read_all(bytes, &mut hasher, |_, chunk| {
            filled.send(chunk).map(|()| None).map_err(drop)
        });
        drop(filled);
        let joined = converter.join();
        *buf = reader.spare();
        Some(result.and_then(|()| match joined {
            Ok(words) if words.len() * 8 == bytes => Ok((words, hasher.digest())),
            _ => Err(converter_stopped(file)),
        }))
    })
}

/// As `load_words_beside`, but this thread also converts one chunk in `SHARE_EVERY`.
fn load_words_shared<R: Read>(
    file: &Path,
    r: &mut R,
    what: &str,
    bytes: usize,
    len: u64,
    buf: &mut Vec<u8>,
) -> Option<Result<(Vec<u64>, u64), ImageError>> {
    // So large a block is mapped afresh by glibc's calloc, already zero and not yet
    // touched: each page is first written by the conversion.
    let mut words = vec![0u64; bytes / 8];
    let mut hasher = Xxh3Default::new();
    let converted_all = std::thread::scope(|scope| {
        let (filled, to_convert) = mpsc::sync_channel::<Vec<u8>>(BUFFERS);
        let (converted, to_fill) = mpsc::sync_channel::<Vec<u8>>(BUFFERS);
        let is_mine = |index: usize| index % SHARE_EVERY == SHARE_EVERY - 1;
        let (mut mine, mut theirs) = (Vec::new(), Vec::new());
        for (index, dst) in words.chunks_mut(CHUNK_BYTES / 8).enumerate() {
            if is_mine(index) {
                mine.push(dst);
            } else {
                theirs.push(dst);
            }
        }
        let their_count = theirs.len();
        let converter = std::thread::Builder::new()
            .name("chkpnt-restore".into())
            .spawn_scoped(scope, move || {
                let mut done = 0;
                // Ends early when the reader stops sending on an error.
                for (dst, chunk) in theirs.into_iter().zip(&to_convert) {
                    be_words_into(dst, &chunk);
                    done += 1;
                    // The channel has room for every buffer: this cannot block.
                    let _ = converted.send(chunk);
                }
                done
            })
            .ok()?;
        let mut mine = mine.into_iter();
        let mut reader = ChunkReader::new(file, r, what, len, buf, &to_fill);
        let result = reader.read_all(bytes, &mut hasher, |index, chunk| {
            if !is_mine(index) {
                return filled.send(chunk).map(|()| None).map_err(drop);
            }
            if let Some(dst) = mine.next() {
                be_words_into(dst, &chunk);
            }
            Ok(Some(chunk))
        });
        drop(filled);
        let joined = converter.join();
        *buf = reader.spare();
        Some(result.map(|()| matches!(joined, Ok(done) if done == their_count)))
    })?;
    Some(converted_all.and_then(|all| {
        if all {
            Ok((words, hasher.digest()))
        } else {
            Err(converter_stopped(file))
        }
    }))
}

/// The error of a restore whose converting thread ended before its last chunk.
fn converter_stopped(file: &Path) -> ImageError {
    ImageError::Io {
        file: file.to_path_buf(),
        source: io::Error::other("the thread converting memory words stopped early"),
    }
}

/// The reading side of the two-thread ways: chunk buffers, first its own, then those
/// the converter sends back once it has converted them.
struct ChunkReader<'a, R> {
    file: &'a Path,
    r: &'a mut R,
    what: &'a str,
    len: u64,
    free: Vec<Vec<u8>>,
    returned: &'a mpsc::Receiver<Vec<u8>>,
}

impl<'a, R: Read> ChunkReader<'a, R> {
    /// A reader of `r` (the image `file` of `len` bytes, section `what`) with `BUFFERS`
    /// buffers, `buf` the first.
    fn new(
        file: &'a Path,
        r: &'a mut R,
        what: &'a str,
        len: u64,
        buf: &mut Vec<u8>,
        returned: &'a mpsc::Receiver<Vec<u8>>,
    ) -> Self {
        let mut free = vec![std::mem::take(buf)];
        free.resize_with(BUFFERS, Vec::new);
        ChunkReader {
            file,
            r,
            what,
            len,
            free,
            returned,
        }
    }

    /// Reads `bytes` a chunk at a time, checksums each chunk into `hasher`, and gives
    /// it with its index to `hand_over`, which gives the buffer back if it is done
    /// with it, or fails when the converter has stopped (the caller's join then
    /// reports that). The first read error is returned.
    fn read_all(
        &mut self,
        bytes: usize,
        hasher: &mut Xxh3Default,
        mut hand_over: impl FnMut(usize, Vec<u8>) -> Result<Option<Vec<u8>>, ()>,
    ) -> Result<(), ImageError> {
        let mut remaining = bytes;
        let mut index = 0;
        while remaining > 0 {
            // The converter closes its end only by stopping early.
            let Some(mut chunk) = self.free.pop().or_else(|| self.returned.recv().ok()) else {
                break;
            };
            let step = remaining.min(CHUNK_BYTES);
            chunk.resize(step, 0);
            read_exact(self.file, self.r, &mut chunk, self.what, self.len)?;
            hasher.update(&chunk);
            remaining -= step;
            match hand_over(index, chunk) {
                Ok(Some(back)) => self.free.push(back),
                Ok(None) => {}
                Err(()) => break,
            }
            index += 1;
        }
        Ok(())
    }

    /// A buffer to keep for the next section (after the converter has finished).
    fn spare(&mut self) -> Vec<u8> {
        self.free
            .pop()
            .or_else(|| self.returned.try_recv().ok())
            .unwrap_or_default()
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Image, ImageKind, ImageSummary, ImageWriter};

    fn words(n: usize) -> Vec<u64> {
        (0..n as u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect()
    }

    fn be_bytes(words: &[u64]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    const CHUNK_WORDS: usize = CHUNK_BYTES / 8;

    const WAYS: [&str; 3] = ["here", "beside", "shared"];

    /// The three ways over the same reader; the errors as their messages.
    fn all_ways<R: Read>(
        mut make: impl FnMut() -> R,
        bytes: usize,
        len: u64,
    ) -> [Result<(Vec<u64>, u64), String>; 3] {
        let file = Path::new("test.img");
        let what = "#1 memory 0";
        let here = load_words_here(file, &mut make(), what, bytes, len, &mut Vec::new());
        let beside = load_words_beside(file, &mut make(), what, bytes, len, &mut Vec::new())
            .expect("a thread starts");
        let shared = load_words_shared(file, &mut make(), what, bytes, len, &mut Vec::new())
            .expect("a thread starts");
        [here, beside, shared].map(|r| r.map_err(|e| e.to_string()))
    }

    #[test]
    fn all_ways_read_the_same_words_and_checksum() {
        for n in [0, 1, CHUNK_WORDS, 2 * CHUNK_WORDS + 1, 9 * CHUNK_WORDS + 17] {
            let words = words(n);
            let bytes = be_bytes(&words);
            let digest = xxh3_64(&bytes);
            for (way, result) in WAYS.iter().zip(all_ways(|| &bytes[..], bytes.len(), 0)) {
                let (got, got_digest) = result.unwrap();
                assert_eq!(got, words, "{n} words {way}");
                assert_eq!(got_digest, digest, "{n} words {way}");
            }
        }
    }

    #[test]
    fn a_short_file_is_truncated_all_ways() {
        let bytes = be_bytes(&words(6 * CHUNK_WORDS));
        for have in [0, 5, CHUNK_BYTES, 3 * CHUNK_BYTES + 8, bytes.len() - 1] {
            let [here, beside, shared] = all_ways(|| &bytes[..have], bytes.len(), 0o1000);
            let here = here.unwrap_err();
            assert!(here.contains("truncated"), "{here}");
            assert!(here.contains("#1 memory 0"), "{here}");
            assert_eq!(beside.unwrap_err(), here, "{have} bytes beside");
            assert_eq!(shared.unwrap_err(), here, "{have} bytes shared");
        }
    }

    /// Gives `room` bytes of `bytes`, then fails as a failing disk does.
    struct FailsAfter<'a> {
        bytes: &'a [u8],
        room: usize,
    }

    impl Read for FailsAfter<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::Error::other("disk on fire"));
            }
            let n = buf.len().min(self.room).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            self.room -= n;
            Ok(n)
        }
    }

    #[test]
    fn a_read_error_stops_the_converter_and_is_returned() {
        let bytes = be_bytes(&words(6 * CHUNK_WORDS));
        for room in [0, CHUNK_BYTES, 3 * CHUNK_BYTES, 4 * CHUNK_BYTES + 16] {
            let [here, beside, shared] = all_ways(
                || FailsAfter {
                    bytes: &bytes,
                    room,
                },
                bytes.len(),
                0,
            );
            let here = here.unwrap_err();
            assert!(here.contains("disk on fire"), "{here}");
            assert_eq!(beside.unwrap_err(), here, "{room} bytes beside");
            assert_eq!(shared.unwrap_err(), here, "{room} bytes shared");
        }
    }

    /// An image whose memory is restored beside, with one byte of it changed. (The
    /// shared way is chosen only for 4 MW and more, too large for a test here; it
    /// computes the same checksum, as `all_ways_read_the_same_words_and_checksum`
    /// shows, and the comparison with the table is common to all ways.)
    #[test]
    fn a_corrupt_memory_fails_its_checksum_beside() {
        let words = words(BESIDE_ABOVE_BYTES / 8 + 3 * CHUNK_WORDS + 5);
        let summary = ImageSummary {
            model: "X-MP/48".into(),
            kind: ImageKind::Process,
            pids: vec![0o12],
            jid: 0o3,
            cycle: 0o1234567,
            created_by: "load tests".into(),
        };
        let mut w = ImageWriter::new(summary);
        w.add_memory(0, &words);
        let good = w.to_bytes().unwrap();
        let image = Image::from_bytes(&good, "good.img").unwrap();
        assert_eq!(image.memory(0).unwrap(), words);
        let mut bad = good.clone();
        let at = bad.len() - 8 * (2 * CHUNK_WORDS) + 3;
        bad[at] ^= 0o40;
        let e = Image::from_bytes(&bad, "bad.img").unwrap_err();
        assert!(matches!(e, ImageError::SectionChecksum { .. }), "{e}");
    }
}
