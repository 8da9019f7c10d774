//! Reading an image: the whole file is read once, then the header, the section table and
//! the checksum of every section are verified before anything is handed out, so a caller
//! never restores from a partly valid image.

use crate::error::{ByteOffset, ImageError};
use crate::format::{
    header_checksum, Header, ImageSummary, SectionInfo, SectionKind, ENTRY_LEN,
    HEADER_CHECKSUM_OFFSET, HEADER_LEN, KNOWN_HEADER_FLAGS, KNOWN_SECTION_FLAGS, MAGIC,
    MAJOR_VERSION, MAX_SECTIONS, MAX_SECTION_BYTES, SUMMARY_VERSION,
};
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::xxh3_64;

/// A verified checkpoint image.
#[derive(Debug)]
pub struct Image {
    file: PathBuf,
    bytes: Vec<u8>,
    header: Header,
    sections: Vec<SectionInfo>,
    summary: ImageSummary,
}

impl Image {
    /// Reads and verifies the image at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Image, ImageError> {
        let path = path.as_ref();
        let io_err = |source| ImageError::Io {
            file: path.to_path_buf(),
            source,
        };
        let mut f = std::fs::File::open(path).map_err(io_err)?;
        let len = f.metadata().map_err(io_err)?.len();
        // The file's own length bounds this allocation; nothing inside it is trusted yet.
        let mut bytes = Vec::with_capacity(len as usize);
        f.read_to_end(&mut bytes).map_err(io_err)?;
        Image::from_bytes(bytes, path)
    }

    /// Verifies an image held in memory; `name` stands for the file in messages.
    pub fn from_bytes(bytes: Vec<u8>, name: impl Into<PathBuf>) -> Result<Image, ImageError> {
        let file = name.into();
        let (header, sections) = parse(&file, &bytes)?;
        let mut image = Image {
            file,
            bytes,
            header,
            sections,
            summary: ImageSummary {
                model: String::new(),
                kind: crate::ImageKind::Process,
                pids: Vec::new(),
                jid: 0,
                cycle: 0,
                created_by: String::new(),
            },
        };
        let info = image.sections[0];
        if info.version > SUMMARY_VERSION {
            return Err(image.bad_section(
                &info,
                format!(
                    "summary version {} is newer than this program reads ({SUMMARY_VERSION})",
                    info.version
                ),
            ));
        }
        image.summary = image.decode_section(&info)?;
        Ok(image)
    }

    /// The file (or name) the image came from.
    pub fn path(&self) -> &Path {
        &self.file
    }

    /// Format (major, minor) version of the image.
    pub fn version(&self) -> (u16, u16) {
        (self.header.major, self.header.minor)
    }

    /// The image header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Length of the image in bytes.
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Always false: a valid image holds at least its header and summary.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// What the image holds.
    pub fn summary(&self) -> &ImageSummary {
        &self.summary
    }

    /// The section table, in file order (the summary first).
    pub fn sections(&self) -> &[SectionInfo] {
        &self.sections
    }

    /// The table entry of section `kind` `id`, if present.
    pub fn find(&self, kind: SectionKind, id: u32) -> Option<&SectionInfo> {
        let kind = kind.canonical();
        self.sections.iter().find(|s| s.kind == kind && s.id == id)
    }

    /// The raw (decompressed, checksum-verified) bytes of section `kind` `id`.
    pub fn section(&self, kind: SectionKind, id: u32) -> Result<Cow<'_, [u8]>, ImageError> {
        let info = *self.require(kind, id)?;
        self.raw(&info)
    }

    /// The state section (id 0) decoded as `T`; check [`Image::find`]`(State, 0)`'s
    /// `version` first if `T` has had more than one layout.
    pub fn state<T: DeserializeOwned>(&self) -> Result<T, ImageError> {
        let info = *self.require(SectionKind::State, 0)?;
        self.decode_section(&info)
    }

    /// The words of memory field `id`.
    pub fn memory(&self, id: u32) -> Result<Vec<u64>, ImageError> {
        let info = *self.require(SectionKind::Memory, id)?;
        let mut words = vec![0u64; (info.raw_len / 8) as usize];
        self.memory_into(id, &mut words)?;
        Ok(words)
    }

    /// Copies the words of memory field `id` into `dst`, which must have exactly as many
    /// words as the section.
    pub fn memory_into(&self, id: u32, dst: &mut [u64]) -> Result<(), ImageError> {
        let info = *self.require(SectionKind::Memory, id)?;
        let found = info.raw_len / 8;
        if found != dst.len() as u64 {
            return Err(ImageError::WordCount {
                file: self.file.clone(),
                section: info.name(),
                offset: ByteOffset(info.offset),
                expected: dst.len() as u64,
                found,
            });
        }
        let raw = self.raw(&info)?;
        for (w, b) in dst.iter_mut().zip(raw.chunks_exact(8)) {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            *w = u64::from_be_bytes(a);
        }
        Ok(())
    }

    /// The contents of host file `id`.
    pub fn file(&self, id: u32) -> Result<Vec<u8>, ImageError> {
        Ok(self.section(SectionKind::FileContents, id)?.into_owned())
    }

    /// Decompresses every compressed section and checks its raw checksum (opening an
    /// image already checked every stored checksum).
    pub fn verify(&self) -> Result<(), ImageError> {
        for info in self.sections.iter().filter(|s| s.compressed()) {
            self.raw(info)?;
        }
        Ok(())
    }

    fn require(&self, kind: SectionKind, id: u32) -> Result<&SectionInfo, ImageError> {
        self.find(kind, id)
            .ok_or_else(|| ImageError::MissingSection {
                file: self.file.clone(),
                section: format!("{} {id}", kind.canonical()),
            })
    }

    fn decode_section<T: DeserializeOwned>(&self, info: &SectionInfo) -> Result<T, ImageError> {
        let raw = self.raw(info)?;
        postcard::from_bytes(&raw).map_err(|source| ImageError::Decode {
            file: self.file.clone(),
            section: info.name(),
            offset: ByteOffset(info.offset),
            source,
        })
    }

    fn bad_section(&self, info: &SectionInfo, reason: String) -> ImageError {
        ImageError::BadSection {
            file: self.file.clone(),
            section: info.name(),
            offset: ByteOffset(entry_offset(info.index)),
            reason,
        }
    }

    /// The stored bytes of a section (bounds checked by `parse`), decompressed if need be.
    fn raw(&self, info: &SectionInfo) -> Result<Cow<'_, [u8]>, ImageError> {
        let stored = &self.bytes[info.offset as usize..(info.offset + info.stored_len) as usize];
        if !info.compressed() {
            return Ok(Cow::Borrowed(stored));
        }
        let decompress_err = |reason: String| ImageError::Decompress {
            file: self.file.clone(),
            section: info.name(),
            offset: ByteOffset(info.offset),
            reason,
        };
        let decoder = zstd::stream::read::Decoder::with_buffer(stored)
            .map_err(|e| decompress_err(e.to_string()))?;
        // raw_len was checked against MAX_SECTION_BYTES; still, grow the buffer only as
        // real output arrives rather than trusting the claim up front.
        let mut out =
            Vec::with_capacity(info.raw_len.min(info.stored_len.saturating_mul(4)) as usize);
        decoder
            .take(info.raw_len + 1)
            .read_to_end(&mut out)
            .map_err(|e| decompress_err(e.to_string()))?;
        if out.len() as u64 != info.raw_len {
            return Err(decompress_err(format!(
                "decompressed to {} bytes, the table says {}",
                out.len(),
                info.raw_len
            )));
        }
        let computed = xxh3_64(&out);
        if computed != info.raw_checksum {
            return Err(ImageError::SectionChecksum {
                file: self.file.clone(),
                section: info.name(),
                offset: ByteOffset(info.offset),
                which: "raw",
                stored: info.raw_checksum,
                computed,
            });
        }
        Ok(Cow::Owned(out))
    }
}

fn entry_offset(index: usize) -> u64 {
    HEADER_LEN as u64 + ENTRY_LEN as u64 * index as u64
}

/// Checks the header, the table and every stored checksum.
fn parse(file: &Path, bytes: &[u8]) -> Result<(Header, Vec<SectionInfo>), ImageError> {
    let len = bytes.len() as u64;
    let file_buf = || file.to_path_buf();
    let prefix = &bytes[..bytes.len().min(MAGIC.len())];
    if prefix != &MAGIC[..prefix.len()] {
        let mut found = [0u8; 8];
        found[..prefix.len()].copy_from_slice(prefix);
        return Err(ImageError::BadMagic {
            file: file_buf(),
            found,
        });
    }
    let Some(head) = bytes.first_chunk::<HEADER_LEN>() else {
        return Err(ImageError::Truncated {
            file: file_buf(),
            what: "header".into(),
            needed: ByteOffset(HEADER_LEN as u64),
            len,
        });
    };
    let header = Header::decode(head);
    if header.major != MAJOR_VERSION {
        return Err(ImageError::UnsupportedVersion {
            file: file_buf(),
            found_major: header.major,
            found_minor: header.minor,
            supported_major: MAJOR_VERSION,
            offset: ByteOffset(8),
        });
    }
    let bad_header = |offset: u64, reason: String| ImageError::BadHeader {
        file: file_buf(),
        offset: ByteOffset(offset),
        reason,
    };
    if header.section_count == 0 || header.section_count > MAX_SECTIONS {
        return Err(bad_header(
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
            20,
            format!(
                "header length {} does not match {} sections (expected {header_len})",
                header.header_len, header.section_count
            ),
        ));
    }
    if header_len > len {
        return Err(ImageError::Truncated {
            file: file_buf(),
            what: "section table".into(),
            needed: ByteOffset(header_len),
            len,
        });
    }
    let computed = header_checksum(&bytes[..header_len as usize]);
    if computed != header.checksum {
        return Err(ImageError::HeaderChecksum {
            file: file_buf(),
            stored: header.checksum,
            computed,
            offset: ByteOffset(HEADER_CHECKSUM_OFFSET as u64),
        });
    }
    if header.flags & !KNOWN_HEADER_FLAGS != 0 {
        return Err(bad_header(
            12,
            format!("unknown header flags {:o}", header.flags),
        ));
    }

    let mut sections = Vec::with_capacity(header.section_count as usize);
    let mut seen = BTreeSet::new();
    let mut pos = header_len;
    for (index, entry) in bytes[HEADER_LEN..header_len as usize]
        .chunks_exact(ENTRY_LEN)
        .enumerate()
    {
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
            pos,
            format!("{} bytes follow the last section", len - pos),
        ));
    }
    for info in &sections {
        let stored = &bytes[info.offset as usize..(info.offset + info.stored_len) as usize];
        let computed = xxh3_64(stored);
        if computed != info.stored_checksum {
            return Err(ImageError::SectionChecksum {
                file: file_buf(),
                section: info.name(),
                offset: ByteOffset(info.offset),
                which: "stored",
                stored: info.stored_checksum,
                computed,
            });
        }
    }
    Ok((header, sections))
}
