//! Building an image: sections are collected (memory and file contents borrowed, not
//! copied) and then streamed to the output in one pass, with the header and section table
//! written last over a placeholder, because their checksums and lengths are only known
//! once the sections are out.

use crate::atomic;
use crate::error::{ByteOffset, ImageError};
use crate::format::{
    header_checksum, Header, ImageSummary, SectionInfo, SectionKind, HEADER_FLAG_INCREMENTAL,
    MAJOR_VERSION, MAX_SECTIONS, MAX_SECTION_BYTES, MINOR_VERSION, SECTION_FLAG_ZSTD,
    SUMMARY_VERSION,
};
use crate::incremental::{self, ParentRef, PAGE_WORDS};
use crate::pipeline;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::Xxh3Default;

/// Buffer for the small writes (header placeholder, postcard sections). It is smaller
/// than a memory chunk so that `BufWriter` hands memory chunks straight to the file.
const SMALL_WRITE_BUFFER: usize = 64 * 1024;
/// The name used in messages for an image built in memory by [`ImageWriter::to_bytes`].
const IN_MEMORY: &str = "<image in memory>";

/// Whether and how to compress a section.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compression {
    /// Store the bytes as they are (the default: checkpoints of memory must be fast).
    #[default]
    None,
    /// One zstd frame at this level (1..=22; 3 is zstd's default).
    Zstd(i32),
}

/// Where a section's bytes come from.
enum Payload<'a> {
    Bytes(Cow<'a, [u8]>),
    /// Written as big-endian words, converted a chunk at a time.
    Words(&'a [u64]),
    /// A memory delta: `head` (lengths, checksum and page numbers), then the words of
    /// the pages `pages` of `words`, big-endian.
    Pages {
        head: Vec<u8>,
        words: &'a [u64],
        pages: Vec<u32>,
    },
}

impl Payload<'_> {
    fn raw_len(&self) -> u64 {
        match self {
            Payload::Bytes(b) => b.len() as u64,
            Payload::Words(w) => w.len() as u64 * 8,
            Payload::Pages { head, words, pages } => {
                let words: usize = incremental::page_runs(pages)
                    .map(|run| incremental::run_words(run, words.len()).len())
                    .sum();
                head.len() as u64 + words as u64 * 8
            }
        }
    }

    /// Calls `f` with the raw bytes, in large pieces.
    fn for_each_chunk(&self, mut f: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        match self {
            Payload::Bytes(b) => f(b),
            Payload::Words(words) => pipeline::for_each_be_chunk(words, f),
            Payload::Pages { head, words, pages } => {
                f(head)?;
                // Runs of neighbouring pages go out as one piece each.
                for run in incremental::page_runs(pages) {
                    let range = incremental::run_words(run, words.len());
                    pipeline::for_each_be_chunk(&words[range], &mut f)?;
                }
                Ok(())
            }
        }
    }
}

/// What [`ImageWriter::write_atomic`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WrittenImage {
    /// Length of the image in bytes.
    pub bytes: u64,
    /// Its header checksum, which identifies it to an incremental image built on it.
    pub header_checksum: u64,
}

struct Pending<'a> {
    kind: SectionKind,
    id: u32,
    version: u16,
    compression: Compression,
    payload: Payload<'a>,
}

/// Builds a checkpoint image. Memory and file contents are borrowed until the image is
/// written, so checkpointing a large memory copies it only once, into the file.
pub struct ImageWriter<'a> {
    summary: ImageSummary,
    sections: Vec<Pending<'a>>,
    compression: Compression,
    /// Whether a Parent section was added: the header then carries
    /// [`HEADER_FLAG_INCREMENTAL`].
    incremental: bool,
}

impl<'a> ImageWriter<'a> {
    /// A writer for an image described by `summary` (written as section 0).
    pub fn new(summary: ImageSummary) -> Self {
        ImageWriter {
            summary,
            sections: Vec::new(),
            compression: Compression::None,
            incremental: false,
        }
    }

    /// Sets the compression of the sections added from now on (the summary is never
    /// compressed, so `cray inspect` can read it cheaply).
    pub fn compression(&mut self, compression: Compression) -> &mut Self {
        self.compression = compression;
        self
    }

    /// Adds the state section (id 0): `state` encoded with postcard. `version` is the
    /// version of the state's own layout, for the reader to check.
    pub fn add_state<T: Serialize + ?Sized>(
        &mut self,
        version: u16,
        state: &T,
    ) -> Result<&mut Self, ImageError> {
        let bytes = postcard::to_stdvec(state).map_err(|source| ImageError::Encode {
            section: format!("{} 0", SectionKind::State),
            source,
        })?;
        Ok(self.add_section(SectionKind::State, 0, version, bytes))
    }

    /// Adds the words of memory field `id`, stored as raw big-endian words.
    pub fn add_memory(&mut self, id: u32, words: &'a [u64]) -> &mut Self {
        self.push(SectionKind::Memory, id, 1, Payload::Words(words))
    }

    /// Makes the image incremental (format 1.1): adds the Parent section naming the image
    /// it builds on, and the header flag that tells readers to follow it. The memory
    /// fields are then given with [`ImageWriter::add_memory_delta`] or, for a field the
    /// parent does not hold, whole as usual.
    pub fn parent(&mut self, parent: &ParentRef) -> Result<&mut Self, ImageError> {
        let bytes = postcard::to_stdvec(parent).map_err(|source| ImageError::Encode {
            section: format!("{} 0", SectionKind::Parent),
            source,
        })?;
        // Never compressed: pruning reads it without reading the rest of the image.
        let compression = std::mem::take(&mut self.compression);
        self.add_section(SectionKind::Parent, 0, incremental::PARENT_VERSION, bytes);
        self.compression = compression;
        self.incremental = true;
        Ok(self)
    }

    /// Whether [`ImageWriter::parent`] made the image incremental.
    pub fn is_incremental(&self) -> bool {
        self.incremental
    }

    /// Adds memory field `id` as the pages `changed` (ascending page numbers, pages of
    /// [`PAGE_WORDS`] words) of `words`, the field as it is now: the rest is as the
    /// parent image holds it. `field_checksum` is the xxh3-64 of the whole field as
    /// big-endian bytes, which a reader checks after putting the field together.
    pub fn add_memory_delta(
        &mut self,
        id: u32,
        words: &'a [u64],
        changed: Vec<u32>,
        field_checksum: u64,
    ) -> &mut Self {
        let head = incremental::delta_head(words.len() as u64, field_checksum, &changed);
        debug_assert!(changed
            .iter()
            .all(|&page| (page as usize) * PAGE_WORDS < words.len()));
        self.push(
            SectionKind::MemoryDelta,
            id,
            incremental::DELTA_VERSION,
            Payload::Pages {
                head,
                words,
                pages: changed,
            },
        )
    }

    /// Adds the contents of host file `id` (its number in the state's file table).
    pub fn add_file(&mut self, id: u32, bytes: &'a [u8]) -> &mut Self {
        self.push(
            SectionKind::FileContents,
            id,
            1,
            Payload::Bytes(Cow::Borrowed(bytes)),
        )
    }

    /// Adds a section of any kind with bytes the caller has encoded.
    pub fn add_section(
        &mut self,
        kind: SectionKind,
        id: u32,
        version: u16,
        bytes: impl Into<Cow<'a, [u8]>>,
    ) -> &mut Self {
        self.push(kind, id, version, Payload::Bytes(bytes.into()))
    }

    fn push(
        &mut self,
        kind: SectionKind,
        id: u32,
        version: u16,
        payload: Payload<'a>,
    ) -> &mut Self {
        self.sections.push(Pending {
            kind: kind.canonical(),
            id,
            version,
            compression: self.compression,
            payload,
        });
        self
    }

    /// The whole image as bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ImageError> {
        let file = PathBuf::from(IN_MEMORY);
        let summary = self.prepare(&file)?;
        let mut out = io::Cursor::new(Vec::new());
        self.stream(&summary, &mut out)
            .map(|_| ())
            .map_err(|source| ImageError::WriteFailed {
                file,
                stage: "writing",
                previous_exists: false,
                source,
            })?;
        Ok(out.into_inner())
    }

    /// Writes the image to `path` atomically: into a temporary file in the same directory,
    /// fsync, rename over `path`, fsync the directory. On failure before the rename the
    /// previous image at `path`, if any, is untouched.
    pub fn write_atomic(&self, path: impl AsRef<Path>) -> Result<WrittenImage, ImageError> {
        let path = path.as_ref();
        let summary = self.prepare(path)?;
        atomic::replace_file(path, |file| {
            let mut out = BufWriter::with_capacity(SMALL_WRITE_BUFFER, file);
            let written = self.stream(&summary, &mut out)?;
            out.flush()?;
            Ok(written)
        })
    }

    /// Checks what can be checked before any byte is written and encodes the summary.
    fn prepare(&self, file: &Path) -> Result<Vec<u8>, ImageError> {
        let summary = postcard::to_stdvec(&self.summary).map_err(|source| ImageError::Encode {
            section: format!("{} 0", SectionKind::Summary),
            source,
        })?;
        if self.sections.len() >= MAX_SECTIONS as usize {
            return Err(ImageError::BadHeader {
                file: file.to_path_buf(),
                offset: ByteOffset(16),
                reason: format!(
                    "{} sections, more than the limit of {MAX_SECTIONS}",
                    self.sections.len() + 1
                ),
            });
        }
        let mut seen = BTreeSet::from([(SectionKind::Summary.code(), 0)]);
        for (i, s) in self.sections.iter().enumerate() {
            let name = format!("#{} {} {}", i + 1, s.kind, s.id);
            if !seen.insert((s.kind.code(), s.id)) {
                return Err(ImageError::DuplicateSection {
                    file: file.to_path_buf(),
                    section: name,
                    offset: ByteOffset(0),
                });
            }
            if s.payload.raw_len() > MAX_SECTION_BYTES {
                return Err(ImageError::Oversized {
                    file: file.to_path_buf(),
                    section: name,
                    offset: ByteOffset(0),
                    len: s.payload.raw_len(),
                    limit: MAX_SECTION_BYTES,
                });
            }
        }
        Ok(summary)
    }

    /// Writes the image to `out` from its start.
    fn stream<W: Write + Seek>(&self, summary: &[u8], out: &mut W) -> io::Result<WrittenImage> {
        let count = self.sections.len() as u32 + 1;
        let header_len = Header::len_for(count);
        out.write_all(&vec![0u8; header_len as usize])?;

        let summary_section = Pending {
            kind: SectionKind::Summary,
            id: 0,
            version: SUMMARY_VERSION,
            compression: Compression::None,
            payload: Payload::Bytes(Cow::Borrowed(summary)),
        };
        let mut table = Vec::with_capacity(count as usize);
        let mut pos = header_len;
        for (index, s) in std::iter::once(&summary_section)
            .chain(&self.sections)
            .enumerate()
        {
            let written = match s.compression {
                Compression::None => write_plain(out, &s.payload)?,
                Compression::Zstd(level) => write_zstd(out, &s.payload, level)?,
            };
            let info = SectionInfo {
                index,
                kind: s.kind,
                id: s.id,
                version: s.version,
                flags: if written.compressed {
                    SECTION_FLAG_ZSTD
                } else {
                    0
                },
                offset: pos,
                stored_len: written.stored_len,
                raw_len: s.payload.raw_len(),
                stored_checksum: written.stored_checksum,
                raw_checksum: written.raw_checksum,
            };
            if info.stored_len > MAX_SECTION_BYTES {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "section {} compressed to {} bytes, more than the limit",
                        info.name(),
                        info.stored_len
                    ),
                ));
            }
            pos += info.stored_len;
            table.push(info);
        }

        let header = Header {
            major: MAJOR_VERSION,
            minor: MINOR_VERSION,
            flags: if self.incremental {
                HEADER_FLAG_INCREMENTAL
            } else {
                0
            },
            section_count: count,
            header_len: header_len as u32,
            checksum: 0,
        };
        let mut head = Vec::with_capacity(header_len as usize);
        head.extend_from_slice(&header.encode());
        for info in &table {
            head.extend_from_slice(&info.encode());
        }
        let checksum = header_checksum(&head);
        head[24..32].copy_from_slice(&checksum.to_le_bytes());
        out.seek(SeekFrom::Start(0))?;
        out.write_all(&head)?;
        out.seek(SeekFrom::Start(pos))?;
        Ok(WrittenImage {
            bytes: pos,
            header_checksum: checksum,
        })
    }
}

/// Lengths and checksums of one written section.
struct WrittenSection {
    compressed: bool,
    stored_len: u64,
    stored_checksum: u64,
    raw_checksum: u64,
}

fn write_plain<W: Write>(out: &mut W, payload: &Payload<'_>) -> io::Result<WrittenSection> {
    if let Payload::Words(words) = payload {
        let checksum = pipeline::write_words(out, words)?;
        return Ok(WrittenSection {
            compressed: false,
            stored_len: payload.raw_len(),
            stored_checksum: checksum,
            raw_checksum: checksum,
        });
    }
    let mut hasher = Xxh3Default::new();
    payload.for_each_chunk(|bytes| {
        hasher.update(bytes);
        out.write_all(bytes)
    })?;
    let checksum = hasher.digest();
    Ok(WrittenSection {
        compressed: false,
        stored_len: payload.raw_len(),
        stored_checksum: checksum,
        raw_checksum: checksum,
    })
}

fn write_zstd<W: Write>(
    out: &mut W,
    payload: &Payload<'_>,
    level: i32,
) -> io::Result<WrittenSection> {
    let mut raw_hasher = Xxh3Default::new();
    let sink = HashingWriter {
        inner: out,
        hasher: Xxh3Default::new(),
        count: 0,
    };
    let mut encoder = zstd::stream::write::Encoder::new(sink, level)?;
    encoder.set_pledged_src_size(Some(payload.raw_len()))?;
    payload.for_each_chunk(|bytes| {
        raw_hasher.update(bytes);
        encoder.write_all(bytes)
    })?;
    let sink = encoder.finish()?;
    Ok(WrittenSection {
        compressed: true,
        stored_len: sink.count,
        stored_checksum: sink.hasher.digest(),
        raw_checksum: raw_hasher.digest(),
    })
}

/// Passes bytes on while counting and checksumming them (the compressed stream).
struct HashingWriter<'w, W: Write> {
    inner: &'w mut W,
    hasher: Xxh3Default,
    count: u64,
}

impl<W: Write> Write for HashingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
