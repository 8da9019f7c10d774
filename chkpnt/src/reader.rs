//! A verified checkpoint image and what can be taken out of it.

use crate::error::{ByteOffset, ImageError};
use crate::format::{Header, ImageSummary, SectionInfo, SectionKind, SUMMARY_VERSION};
use crate::incremental::{decode_parent, ParentRef};
use crate::load::{entry_offset, load, SectionData};
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// A checkpoint image whose header, table and every section checksum have been verified.
#[derive(Debug)]
pub struct Image {
    file: PathBuf,
    len: u64,
    header: Header,
    sections: Vec<SectionInfo>,
    data: Vec<SectionData>,
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
        let mut f = crate::host_file::open_regular(path).map_err(io_err)?;
        let len = f.metadata().map_err(io_err)?.len();
        Image::load(path.to_path_buf(), &mut f, len)
    }

    /// Verifies an image held in memory; `name` stands for the file in messages.
    pub fn from_bytes(bytes: &[u8], name: impl Into<PathBuf>) -> Result<Image, ImageError> {
        let mut r = bytes;
        Image::load(name.into(), &mut r, bytes.len() as u64)
    }

    fn load<R: std::io::Read>(file: PathBuf, r: &mut R, len: u64) -> Result<Image, ImageError> {
        let loaded = load(&file, r, len)?;
        let info = loaded.sections[0];
        let bad = |reason: String| ImageError::BadSection {
            file: file.clone(),
            section: info.name(),
            offset: ByteOffset(entry_offset(0)),
            reason,
        };
        if info.version > SUMMARY_VERSION {
            return Err(bad(format!(
                "summary version {} is newer than this program reads ({SUMMARY_VERSION})",
                info.version
            )));
        }
        let mut image = Image {
            file,
            len,
            header: loaded.header,
            sections: loaded.sections,
            data: loaded.data,
            summary: placeholder_summary(),
        };
        image.summary = image.decode(0)?;
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

    /// Length of the image file in bytes.
    pub fn file_len(&self) -> u64 {
        self.len
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
        self.index(kind, id).map(|i| &self.sections[i])
    }

    /// The raw (decompressed) bytes of section `kind` `id`; memory comes back as the
    /// big-endian bytes it is stored as.
    pub fn section(&self, kind: SectionKind, id: u32) -> Result<Cow<'_, [u8]>, ImageError> {
        let i = self.require(kind, id)?;
        match &self.data[i] {
            SectionData::Bytes(b) => Ok(Cow::Borrowed(b)),
            SectionData::Words(w) => {
                Ok(Cow::Owned(w.iter().flat_map(|w| w.to_be_bytes()).collect()))
            }
            SectionData::Taken => Err(self.taken(i)),
        }
    }

    /// The state section (id 0) decoded as `T`; check `find(State, 0)`'s `version` first
    /// if `T` has had more than one layout.
    pub fn state<T: DeserializeOwned>(&self) -> Result<T, ImageError> {
        let i = self.require(SectionKind::State, 0)?;
        self.decode(i)
    }

    /// The words of memory field `id`.
    pub fn memory(&self, id: u32) -> Result<&[u64], ImageError> {
        let i = self.require(SectionKind::Memory, id)?;
        match &self.data[i] {
            SectionData::Words(w) => Ok(w),
            _ => Err(self.taken(i)),
        }
    }

    /// Moves the words of memory field `id` out of the image, without copying them.
    pub fn take_memory(&mut self, id: u32) -> Result<Vec<u64>, ImageError> {
        let i = self.require(SectionKind::Memory, id)?;
        match std::mem::replace(&mut self.data[i], SectionData::Taken) {
            SectionData::Words(w) => Ok(w),
            _ => Err(self.taken(i)),
        }
    }

    /// Whether the image is incremental (format 1.1): its memory fields may need its
    /// parent images, which [`crate::incremental::memory_fields`] follows.
    pub fn is_incremental(&self) -> bool {
        self.header.flags & crate::format::HEADER_FLAG_INCREMENTAL != 0
    }

    /// The image an incremental image builds on, `None` for a full image.
    pub fn parent(&self) -> Result<Option<ParentRef>, ImageError> {
        let Some(i) = self.index(SectionKind::Parent, 0) else {
            return Ok(None);
        };
        let SectionData::Bytes(raw) = &self.data[i] else {
            return Err(self.taken(i));
        };
        decode_parent(&self.file, &self.sections[i], raw).map(Some)
    }

    /// The contents of host file `id`.
    pub fn file(&self, id: u32) -> Result<&[u8], ImageError> {
        let i = self.require(SectionKind::FileContents, id)?;
        match &self.data[i] {
            SectionData::Bytes(b) => Ok(b),
            _ => Err(self.taken(i)),
        }
    }

    fn index(&self, kind: SectionKind, id: u32) -> Option<usize> {
        let kind = kind.canonical();
        self.sections
            .iter()
            .position(|s| s.kind == kind && s.id == id)
    }

    fn require(&self, kind: SectionKind, id: u32) -> Result<usize, ImageError> {
        self.index(kind, id)
            .ok_or_else(|| ImageError::MissingSection {
                file: self.file.clone(),
                section: format!("{} {id}", kind.canonical()),
            })
    }

    fn taken(&self, i: usize) -> ImageError {
        ImageError::MissingSection {
            file: self.file.clone(),
            section: format!(
                "{} (already taken out of the image)",
                self.sections[i].name()
            ),
        }
    }

    fn decode<T: DeserializeOwned>(&self, i: usize) -> Result<T, ImageError> {
        let info = &self.sections[i];
        let SectionData::Bytes(raw) = &self.data[i] else {
            return Err(self.taken(i));
        };
        postcard::from_bytes(raw).map_err(|source| ImageError::Decode {
            file: self.file.clone(),
            section: info.name(),
            offset: ByteOffset(info.offset),
            source,
        })
    }
}

fn placeholder_summary() -> ImageSummary {
    ImageSummary {
        model: String::new(),
        kind: crate::ImageKind::Process,
        pids: Vec::new(),
        jid: 0,
        cycle: 0,
        created_by: String::new(),
    }
}
