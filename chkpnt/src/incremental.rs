//! Incremental images (format 1.1): memory fields given as the pages that changed since
//! a parent image.
//!
//! Periodic checkpoints of a long job write its memory again and again, though most of
//! it has not changed since the last one (the code, the constants, the input already
//! read). An incremental image holds the whole kernel state, as every image does, but
//! a memory field that its parent image also holds, at the same length, is stored as a
//! MemoryDelta section: the pages of [`PAGE_WORDS`] words that differ from the parent's.
//!
//! Which pages differ is found by comparing fingerprints ([`FieldPrint`]: the xxh3-128
//! of each page) of the field now and when the parent was written. So the emulator
//! keeps no dirty bits, every store stays as cheap as it was, and finding the changes
//! costs one pass over memory rather than a write of it.
//!
//! A reader puts a field together from the nearest image up the chain that holds it
//! whole, applies each delta down to the image asked for, and after each one checks the
//! xxh3-64 of the whole field that the delta records (the raw checksum a whole Memory
//! section of that field would have). So a parent replaced by another image of the same
//! name, a page a fingerprint collision left out or a fault in the chain is an error
//! naming the image, never a wrong memory restored. Each parent is also identified by
//! its header checksum, recorded in the Parent section of its child.

use crate::error::{ByteOffset, ImageError};
use crate::format::{le32, le64, Header, SectionInfo, SectionKind, MAX_SECTION_BYTES};
use crate::load;
use crate::reader::Image;
use crate::words::{be_bytes_into, be_words_into};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::{xxh3_128, Xxh3Default};

/// Words in a page of a memory delta: 4 KiB, small enough that a loop storing into a
/// few arrays changes few pages, large enough that the page list stays short.
pub const PAGE_WORDS: usize = 512;
/// Version of the MemoryDelta section's encoding.
pub const DELTA_VERSION: u16 = 1;
/// Version of the Parent section's encoding.
pub const PARENT_VERSION: u16 = 1;
/// Most parents followed from one image: a chain longer than this is refused (a loop
/// of images naming each other is one).
pub const MAX_CHAIN: usize = 256;
/// Bytes of a memory delta before its page numbers.
const DELTA_HEAD_LEN: usize = 24;

/// The Parent section (postcard): which image an incremental image builds on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentRef {
    /// File name of the parent, in the same directory as the child (so a directory of
    /// images can be moved or copied as a whole).
    pub name: String,
    /// The parent's header checksum, which covers its section table and so every
    /// section checksum: it identifies the parent's exact bytes.
    pub header_checksum: u64,
    /// The clock period the parent was taken at (for messages and `cray inspect`).
    pub cycle: u64,
}

/// A fingerprint of one memory field: its length, the xxh3-128 of each page and the
/// xxh3-64 of the whole field, all over the big-endian bytes an image stores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPrint {
    words: usize,
    pages: Vec<u128>,
    checksum: u64,
}

/// Fields of more words than this are fingerprinted on two threads: the page hashes on
/// this one, the whole field's checksum beside it, each converting the words itself.
/// Criterion medians on the 2-core test machine: 8 MW in 7.8 ms so, 9.5 ms in one pass
/// on one thread; 1 MW in 1.19 ms in one pass, 1.75 ms in two.
const PRINT_BESIDE_ABOVE_WORDS: usize = 1 << 20;

/// Calls `f` with each page of `words` as big-endian bytes.
fn for_each_be_page(words: &[u64], mut f: impl FnMut(&[u8])) {
    let mut buf = [0u8; PAGE_WORDS * 8];
    for page in words.chunks(PAGE_WORDS) {
        let bytes = &mut buf[..page.len() * 8];
        be_bytes_into(bytes, page);
        f(bytes);
    }
}

/// The xxh3-64 of `words` as big-endian bytes: the raw checksum of a Memory section
/// holding them, and the field checksum of a MemoryDelta.
pub fn field_checksum(words: &[u64]) -> u64 {
    let mut field = Xxh3Default::new();
    for_each_be_page(words, |bytes| field.update(bytes));
    field.digest()
}

fn page_hashes(words: &[u64]) -> Vec<u128> {
    let mut pages = Vec::with_capacity(words.len().div_ceil(PAGE_WORDS));
    for_each_be_page(words, |bytes| pages.push(xxh3_128(bytes)));
    pages
}

impl FieldPrint {
    /// The fingerprint of `words`.
    pub fn of(words: &[u64]) -> FieldPrint {
        let (pages, checksum) = if words.len() > PRINT_BESIDE_ABOVE_WORDS {
            std::thread::scope(|scope| {
                let beside = scope.spawn(|| field_checksum(words));
                let pages = page_hashes(words);
                // A thread that cannot run (or panicked) leaves the work to this one.
                let checksum = beside.join().unwrap_or_else(|_| field_checksum(words));
                (pages, checksum)
            })
        } else {
            // One pass: each page converted once for both hashes.
            let mut field = Xxh3Default::new();
            let mut pages = Vec::with_capacity(words.len().div_ceil(PAGE_WORDS));
            for_each_be_page(words, |bytes| {
                field.update(bytes);
                pages.push(xxh3_128(bytes));
            });
            (pages, field.digest())
        };
        FieldPrint {
            words: words.len(),
            pages,
            checksum,
        }
    }

    /// Words in the field.
    pub fn words(&self) -> usize {
        self.words
    }

    /// The xxh3-64 of the whole field as big-endian bytes.
    pub fn checksum(&self) -> u64 {
        self.checksum
    }

    /// The numbers of the pages where the field printed as `now` differs from this one,
    /// or `None` when the two differ in length (the field is then stored whole).
    pub fn changed_pages(&self, now: &FieldPrint) -> Option<Vec<u32>> {
        if self.words != now.words {
            return None;
        }
        Some(
            self.pages
                .iter()
                .zip(&now.pages)
                .enumerate()
                .filter(|(_, (then, now))| then != now)
                .map(|(page, _)| page as u32)
                .collect(),
        )
    }
}

/// The head of a MemoryDelta section (version 1), all little-endian: the field's length
/// in words (u64), the xxh3-64 of the whole field (u64), the words in a page (u32), the
/// number of pages stored (u32), then their page numbers (u32 each, ascending). The
/// pages' words follow, big-endian; the last page of the field may be short.
pub(crate) fn delta_head(field_words: u64, field_checksum: u64, pages: &[u32]) -> Vec<u8> {
    let mut head = Vec::with_capacity(DELTA_HEAD_LEN + 4 * pages.len());
    head.extend_from_slice(&field_words.to_le_bytes());
    head.extend_from_slice(&field_checksum.to_le_bytes());
    head.extend_from_slice(&(PAGE_WORDS as u32).to_le_bytes());
    head.extend_from_slice(&(pages.len() as u32).to_le_bytes());
    for page in pages {
        head.extend_from_slice(&page.to_le_bytes());
    }
    head
}

/// The runs of consecutive page numbers in `pages` (ascending), as page ranges.
pub(crate) fn page_runs(pages: &[u32]) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let first = *pages.get(i)? as usize;
        let mut end = first + 1;
        i += 1;
        while pages.get(i).is_some_and(|&p| p as usize == end) {
            end += 1;
            i += 1;
        }
        Some(first..end)
    })
}

/// The words pages `run` cover in a field of `field_words` words.
pub(crate) fn run_words(run: Range<usize>, field_words: usize) -> Range<usize> {
    (run.start * PAGE_WORDS).min(field_words)..(run.end * PAGE_WORDS).min(field_words)
}

/// A fault in section `info` of `file`.
fn bad_section(file: &Path, info: &SectionInfo, reason: String) -> ImageError {
    ImageError::BadSection {
        file: file.to_path_buf(),
        section: info.name(),
        offset: ByteOffset(info.offset),
        reason,
    }
}

/// A MemoryDelta section, checked and parsed.
struct Delta {
    field_words: usize,
    field_checksum: u64,
    pages: Vec<u32>,
    /// The stored pages' words, big-endian, one page after another.
    bytes: Vec<u8>,
}

impl Delta {
    /// Parses section `info` of `file`, whose raw bytes are `raw`.
    fn parse(file: &Path, info: &SectionInfo, raw: &[u8]) -> Result<Delta, ImageError> {
        let bad = |reason: String| bad_section(file, info, reason);
        if info.version != DELTA_VERSION {
            return Err(bad(format!(
                "memory delta version {} is not one this program reads ({DELTA_VERSION})",
                info.version
            )));
        }
        if raw.len() < DELTA_HEAD_LEN {
            return Err(bad(format!(
                "memory delta of {} bytes is shorter than its {DELTA_HEAD_LEN}-byte head",
                raw.len()
            )));
        }
        let field_words = le64(raw, 0);
        let field_checksum = le64(raw, 8);
        let page_words = le32(raw, 16);
        let count = le32(raw, 20) as usize;
        if page_words as usize != PAGE_WORDS {
            return Err(bad(format!(
                "memory delta of pages of {page_words} words; version {DELTA_VERSION} has pages of {PAGE_WORDS}"
            )));
        }
        if field_words > MAX_SECTION_BYTES / 8 {
            return Err(bad(format!(
                "memory delta for a field of {field_words} words, more than the limit of {}",
                MAX_SECTION_BYTES / 8
            )));
        }
        let field_words = field_words as usize;
        let field_pages = field_words.div_ceil(PAGE_WORDS);
        let numbers_end = DELTA_HEAD_LEN + 4 * count;
        if count > field_pages || raw.len() < numbers_end {
            return Err(bad(format!(
                "memory delta claims {count} pages (the field has {field_pages}) in {} bytes",
                raw.len()
            )));
        }
        let pages: Vec<u32> = (0..count)
            .map(|i| le32(raw, DELTA_HEAD_LEN + 4 * i))
            .collect();
        for (i, pair) in pages.windows(2).enumerate() {
            if pair[0] >= pair[1] {
                return Err(bad(format!(
                    "page numbers are not ascending: page {} is number {} after {} (byte {} of the section)",
                    i + 1,
                    pair[1],
                    pair[0],
                    DELTA_HEAD_LEN + 4 * (i + 1)
                )));
            }
        }
        if let Some(&last) = pages.last() {
            if last as usize >= field_pages {
                return Err(bad(format!(
                    "page number {last} is past the field's {field_pages} pages"
                )));
            }
        }
        let words: usize = page_runs(&pages)
            .map(|run| run_words(run, field_words).len())
            .sum();
        if raw.len() != numbers_end + 8 * words {
            return Err(bad(format!(
                "memory delta of {} bytes; its head and {count} pages make {}",
                raw.len(),
                numbers_end + 8 * words
            )));
        }
        Ok(Delta {
            field_words,
            field_checksum,
            pages,
            bytes: raw[numbers_end..].to_vec(),
        })
    }

    /// Writes the stored pages over `field`, the parent's field of the same length.
    fn apply(&self, field: &mut [u64]) {
        let mut bytes = self.bytes.as_slice();
        for run in page_runs(&self.pages) {
            let range = run_words(run, self.field_words);
            let (these, rest) = bytes.split_at(range.len() * 8);
            be_words_into(&mut field[range], these);
            bytes = rest;
        }
    }
}

/// Decodes a Parent section's raw bytes, refusing a name that is not a plain file name
/// (a parent always lies beside its child).
pub(crate) fn decode_parent(
    file: &Path,
    info: &SectionInfo,
    raw: &[u8],
) -> Result<ParentRef, ImageError> {
    let bad = |reason: String| bad_section(file, info, reason);
    if info.version != PARENT_VERSION {
        return Err(bad(format!(
            "parent section version {} is not one this program reads ({PARENT_VERSION})",
            info.version
        )));
    }
    let parent: ParentRef = postcard::from_bytes(raw).map_err(|source| ImageError::Decode {
        file: file.to_path_buf(),
        section: info.name(),
        offset: ByteOffset(info.offset),
        source,
    })?;
    let mut parts = Path::new(&parent.name).components();
    let plain = matches!(
        (parts.next(), parts.next()),
        (Some(std::path::Component::Normal(_)), None)
    );
    if !plain {
        return Err(bad(format!(
            "parent {:?} is not the name of a file beside this image",
            parent.name
        )));
    }
    Ok(parent)
}

/// Where the parent `parent` of the image at `child` lies: beside it.
pub fn parent_path(child: &Path, parent: &ParentRef) -> PathBuf {
    child.with_file_name(&parent.name)
}

/// What pruning and continuing a chain need of an image, without reading its sections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageHead {
    /// The header (its checksum identifies the image to one built on it).
    pub header: Header,
    /// The parent, `None` for a full image.
    pub parent: Option<ParentRef>,
}

/// The header and the parent of the image at `path`, reading only its header, section
/// table and Parent section (all verified): a few hundred bytes per image.
pub fn head_of(path: &Path) -> Result<ImageHead, ImageError> {
    let io_err = |source| ImageError::Io {
        file: path.to_path_buf(),
        source,
    };
    let mut file = crate::host_file::open_regular(path).map_err(io_err)?;
    let len = file.metadata().map_err(io_err)?.len();
    let (header, sections) = load::load_head(path, &mut file, len)?;
    let Some(info) = sections.iter().find(|s| s.kind == SectionKind::Parent) else {
        return Ok(ImageHead {
            header,
            parent: None,
        });
    };
    file.seek(SeekFrom::Start(info.offset)).map_err(io_err)?;
    let raw = load::load_bytes(path, &mut file, info, len)?;
    Ok(ImageHead {
        header,
        parent: Some(decode_parent(path, info, &raw)?),
    })
}

/// The parent named by the image at `path`, or `None` for a full image (see
/// [`head_of`]): what pruning a directory of images needs.
pub fn parent_of(path: &Path) -> Result<Option<ParentRef>, ImageError> {
    Ok(head_of(path)?.parent)
}

/// A walk from an image up its chain of parents: where each parent lies, and the
/// refusal of a chain of more than [`MAX_CHAIN`] parents (a loop of images naming each
/// other is one), for everything that follows parents.
#[derive(Clone, Debug)]
pub struct ChainWalk {
    /// The image the walk began at: the one an error names.
    top: PathBuf,
    /// The image the walk is at.
    at: PathBuf,
    /// Parents stepped to so far.
    parents: usize,
}

impl ChainWalk {
    /// A walk beginning at the image at `top`.
    pub fn from(top: &Path) -> ChainWalk {
        ChainWalk {
            top: top.to_path_buf(),
            at: top.to_path_buf(),
            parents: 0,
        }
    }

    /// Steps to `parent`, the parent the image the walk is at names, returning where
    /// it lies; refuses the step past [`MAX_CHAIN`] parents.
    pub fn up(&mut self, parent: &ParentRef) -> Result<PathBuf, ImageError> {
        self.parents += 1;
        if self.parents > MAX_CHAIN {
            return Err(ImageError::ChainTooLong {
                file: self.top.clone(),
                limit: MAX_CHAIN,
            });
        }
        self.at = parent_path(&self.at, parent);
        Ok(self.at.clone())
    }

    /// Parents stepped to so far.
    pub fn parents(&self) -> usize {
        self.parents
    }
}

/// Where each parent of the image at `path` lies, nearest first, given the parent its
/// head names (`first`), reading only the parents' heads.
fn parents_from(path: &Path, first: Option<ParentRef>) -> Result<Vec<PathBuf>, ImageError> {
    let mut walk = ChainWalk::from(path);
    let mut parents = Vec::new();
    let mut parent = first;
    while let Some(named) = parent {
        let at = walk.up(&named)?;
        parent = parent_of(&at)?;
        parents.push(at);
    }
    Ok(parents)
}

/// Where each parent of the image at `path` lies, nearest first (none for a full
/// image), reading only heads; a chain longer than [`MAX_CHAIN`] is refused.
pub fn parent_paths(path: &Path) -> Result<Vec<PathBuf>, ImageError> {
    parents_from(path, parent_of(path)?)
}

/// How many parents the image at `path`, whose head is `head`, has before a full
/// image (0 for a full image), reading only the parents' heads.
pub fn chain_depth(path: &Path, head: &ImageHead) -> Result<u32, ImageError> {
    // MAX_CHAIN bounds the count far below u32::MAX.
    Ok(parents_from(path, head.parent.clone())?.len() as u32)
}

/// Pages stored and pages in the field, of the MemoryDelta section `id` of `image`
/// (for `cray inspect`); `None` when the field is not a delta.
pub fn delta_pages(image: &Image, id: u32) -> Result<Option<(usize, usize)>, ImageError> {
    let Some(info) = image.find(SectionKind::MemoryDelta, id).copied() else {
        return Ok(None);
    };
    let raw = image.section(SectionKind::MemoryDelta, id)?;
    let delta = Delta::parse(image.path(), &info, &raw)?;
    Ok(Some((
        delta.pages.len(),
        delta.field_words.div_ceil(PAGE_WORDS),
    )))
}

/// The deltas of one image of a chain that the fields asked for still need.
struct Level {
    file: PathBuf,
    deltas: Vec<(u32, SectionInfo, Delta)>,
}

/// Takes out of `image` the fields `wanted` it holds whole (into `fields`) and parses
/// those it holds as deltas. Returns the deltas; their fields are still wanted.
fn take_level(
    image: &mut Image,
    wanted: &[u32],
    fields: &mut BTreeMap<u32, Vec<u64>>,
) -> Result<Level, ImageError> {
    let mut deltas = Vec::new();
    for &id in wanted {
        if image.find(SectionKind::Memory, id).is_some() {
            fields.insert(id, image.take_memory(id)?);
        } else if let Some(info) = image.find(SectionKind::MemoryDelta, id).copied() {
            let raw = image.section(SectionKind::MemoryDelta, id)?;
            deltas.push((id, info, Delta::parse(image.path(), &info, &raw)?));
        } else {
            return Err(ImageError::MissingSection {
                file: image.path().to_path_buf(),
                section: format!(
                    "{} {id} (nor {} {id})",
                    SectionKind::Memory,
                    SectionKind::MemoryDelta
                ),
            });
        }
    }
    Ok(Level {
        file: image.path().to_path_buf(),
        deltas,
    })
}

/// The memory fields `ids` of `image`, put together through its parents when it is
/// incremental; each field's words are moved out of the image they are whole in.
/// Errors met in a parent are given as `image`'s ([`ImageError::ParentDamaged`]), so
/// that a message names the image asked for first.
pub fn memory_fields(
    image: &mut Image,
    ids: &[u32],
) -> Result<BTreeMap<u32, Vec<u64>>, ImageError> {
    let top = image.path().to_path_buf();
    let mut fields = BTreeMap::new();
    let mut levels = vec![take_level(image, ids, &mut fields)?];
    let mut child_parent = image.parent()?;
    let mut child_path = top.clone();
    let mut walk = ChainWalk::from(&top);
    loop {
        let wanted: Vec<u32> = levels
            .last()
            .map_or(&[][..], |level| &level.deltas[..])
            .iter()
            .map(|(id, _, _)| *id)
            .collect();
        if wanted.is_empty() {
            break;
        }
        let Some(parent) = child_parent else {
            // load() refuses deltas in an image without a parent; kept as an error.
            return Err(in_chain(
                &top,
                &child_path,
                ImageError::BadHeader {
                    file: child_path.clone(),
                    offset: ByteOffset(12),
                    reason: "memory deltas but no parent image".into(),
                },
            ));
        };
        let path = walk.up(&parent)?;
        let mut parent_image = Image::open(&path).map_err(|e| match e {
            ImageError::Io { source, .. } => in_chain(
                &top,
                &child_path,
                ImageError::ParentUnreadable {
                    file: child_path.clone(),
                    parent: path.clone(),
                    source,
                },
            ),
            other => in_chain(&top, &path, other),
        })?;
        if parent_image.header().checksum != parent.header_checksum {
            return Err(in_chain(
                &top,
                &child_path,
                ImageError::ParentMismatch {
                    file: child_path.clone(),
                    parent: path,
                    expected: parent.header_checksum,
                    found: parent_image.header().checksum,
                },
            ));
        }
        levels.push(
            take_level(&mut parent_image, &wanted, &mut fields)
                .map_err(|e| in_chain(&top, &path, e))?,
        );
        child_parent = parent_image
            .parent()
            .map_err(|e| in_chain(&top, &path, e))?;
        child_path = path;
    }
    // From the image nearest the whole fields back to the one asked for.
    for level in levels.iter().rev() {
        for (id, info, delta) in &level.deltas {
            apply_checked(&level.file, *id, info, delta, &mut fields)
                .map_err(|e| in_chain(&top, &level.file, e))?;
        }
    }
    Ok(fields)
}

/// An error met at image `at` of `top`'s chain, as `top`'s own.
fn in_chain(top: &Path, at: &Path, e: ImageError) -> ImageError {
    if at == top {
        e
    } else {
        ImageError::ParentDamaged {
            file: top.to_path_buf(),
            source: Box::new(e),
        }
    }
}

/// Applies `delta`, section `info` of `file`, to field `id`, and checks the result
/// against the checksum the delta records.
fn apply_checked(
    file: &Path,
    id: u32,
    info: &SectionInfo,
    delta: &Delta,
    fields: &mut BTreeMap<u32, Vec<u64>>,
) -> Result<(), ImageError> {
    let field = fields
        .get_mut(&id)
        .ok_or_else(|| ImageError::MissingSection {
            file: file.to_path_buf(),
            section: format!("{} {id} in its parent", SectionKind::Memory),
        })?;
    if field.len() != delta.field_words {
        return Err(bad_section(
            file,
            info,
            format!(
                "memory delta for a field of {} words, but the parent's field is {} words",
                delta.field_words,
                field.len()
            ),
        ));
    }
    delta.apply(field);
    let computed = field_checksum(field);
    if computed != delta.field_checksum {
        return Err(ImageError::FieldChecksum {
            file: file.to_path_buf(),
            section: info.name(),
            offset: ByteOffset(info.offset),
            stored: delta.field_checksum,
            computed,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_runs_group_neighbours() {
        let runs: Vec<_> = page_runs(&[0, 1, 2, 5, 7, 8]).collect();
        assert_eq!(runs, [0..3, 5..6, 7..9]);
        assert_eq!(page_runs(&[]).count(), 0);
        assert_eq!(run_words(2..4, 1500), 1024..1500);
    }

    #[test]
    fn changed_pages_are_those_whose_words_differ() {
        let mut words = vec![7u64; 3 * PAGE_WORDS + 10];
        let before = FieldPrint::of(&words);
        words[PAGE_WORDS + 3] = 8;
        words[3 * PAGE_WORDS + 9] = 9;
        let after = FieldPrint::of(&words);
        assert_eq!(before.changed_pages(&after), Some(vec![1, 3]));
        assert_ne!(before.checksum(), after.checksum());
        assert_eq!(before.changed_pages(&FieldPrint::of(&words[1..])), None);
        let whole: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        assert_eq!(after.checksum(), xxhash_rust::xxh3::xxh3_64(&whole));
    }
}
