//! Incremental images (format 1.1): a memory field stored as the pages changed since the
//! parent image is put back together exactly, through any number of parents; a chain
//! that is broken (a parent gone, replaced, or not the one written on) or a delta that
//! is malformed is refused with the image, the section and what is wrong named.

mod common;

use common::{fake_state, summary, words};
use cray_chkpnt::incremental::{
    chain_depth, head_of, memory_fields, parent_of, parent_paths, FieldPrint, ParentRef, MAX_CHAIN,
};
use cray_chkpnt::{Image, ImageError, ImageWriter, SectionKind, WrittenImage};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Memory fields by id.
type Fields = BTreeMap<u32, Vec<u64>>;

/// An image written: where it is, how it was written and the fields it holds.
type Written<'a> = (&'a Path, WrittenImage, &'a Fields);

/// Writes an image holding `fields`, each whole or, when `parent` holds it at the same
/// length, as the pages that changed (from the fingerprints in `parent`).
fn write(path: &Path, fields: &Fields, parent: Option<Written<'_>>) -> WrittenImage {
    write_compressed(path, fields, parent, false)
}

/// [`write`], with the memory sections compressed when `zstd`.
fn write_compressed(
    path: &Path,
    fields: &Fields,
    parent: Option<Written<'_>>,
    zstd: bool,
) -> WrittenImage {
    let mut w = ImageWriter::new(summary());
    w.add_state(7, &fake_state()).unwrap();
    if let Some((parent_path, written, _)) = parent {
        w.parent(&ParentRef {
            name: parent_path.file_name().unwrap().to_string_lossy().into(),
            header_checksum: written.header_checksum,
            cycle: 5,
        })
        .unwrap();
    }
    if zstd {
        w.compression(cray_chkpnt::Compression::Zstd(1));
    }
    for (id, now) in fields {
        let print = FieldPrint::of(now);
        let then = parent.and_then(|(_, _, old)| old.get(id));
        match then.and_then(|then| FieldPrint::of(then).changed_pages(&print)) {
            Some(pages) => w.add_memory_delta(*id, now, pages, print.checksum()),
            None => w.add_memory(*id, now),
        };
    }
    w.write_atomic(path).unwrap()
}

fn resolve(path: &Path, ids: &[u32]) -> Result<BTreeMap<u32, Vec<u64>>, ImageError> {
    let mut image = Image::open(path)?;
    memory_fields(&mut image, ids)
}

/// A full image and two incremental ones on it, in `dir`; the fields each holds.
struct Chain {
    paths: [PathBuf; 3],
    written: [WrittenImage; 3],
    fields: [BTreeMap<u32, Vec<u64>>; 3],
}

fn chain(dir: &Path) -> Chain {
    let base = BTreeMap::from([(2, words(3 * 512 + 10, 1)), (3, words(1000, 2))]);
    let mut second = base.clone();
    second.get_mut(&2).unwrap()[600] ^= 1;
    second.get_mut(&2).unwrap()[3 * 512 + 9] = 0;
    second.insert(4, words(77, 3)); // a field the parent does not hold: whole
    let mut third = second.clone();
    third.get_mut(&2).unwrap()[0] = 5;
    third.insert(3, words(999, 4)); // another length: whole again
    let paths = ["a.chk", "b.chk", "c.chk"].map(|n| dir.join(n));
    let a = write(&paths[0], &base, None);
    let b = write(&paths[1], &second, Some((&paths[0], a, &base)));
    let c = write(&paths[2], &third, Some((&paths[1], b, &second)));
    Chain {
        paths,
        written: [a, b, c],
        fields: [base, second, third],
    }
}

#[test]
fn fields_are_put_back_together_through_every_parent() {
    let dir = tempfile::tempdir().unwrap();
    let chain = chain(dir.path());
    for (path, fields) in chain.paths.iter().zip(&chain.fields) {
        let ids: Vec<u32> = fields.keys().copied().collect();
        assert_eq!(&resolve(path, &ids).unwrap(), fields, "{}", path.display());
    }
    // Only the changed pages are stored: field 2 of the second image is two pages.
    let image = Image::open(&chain.paths[1]).unwrap();
    assert!(image.is_incremental());
    let delta = image.find(SectionKind::MemoryDelta, 2).unwrap();
    assert_eq!(delta.raw_len, 24 + 2 * 4 + (512 + 10) * 8);
    assert!(image.find(SectionKind::Memory, 4).is_some());
    assert!(!Image::open(&chain.paths[0]).unwrap().is_incremental());
    // The parent reference, also as pruning reads it.
    let parent = image.parent().unwrap().unwrap();
    assert_eq!(parent.name, "a.chk");
    assert_eq!(parent.header_checksum, chain.written[0].header_checksum);
    assert_eq!(parent_of(&chain.paths[1]).unwrap(), Some(parent));
    assert_eq!(parent_of(&chain.paths[0]).unwrap(), None);
    for (depth, path) in chain.paths.iter().enumerate() {
        let head = head_of(path).unwrap();
        assert_eq!(head.header.checksum, chain.written[depth].header_checksum);
        assert_eq!(chain_depth(path, &head).unwrap(), depth as u32);
    }
}

#[test]
fn a_missing_parent_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let chain = chain(dir.path());
    std::fs::remove_file(&chain.paths[0]).unwrap();
    let e = resolve(&chain.paths[1], &[2]).unwrap_err();
    assert!(matches!(e, ImageError::ParentUnreadable { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "{}: this incremental image builds on {}, which cannot be read",
            chain.paths[1].display(),
            chain.paths[0].display()
        )),
        "{text}"
    );
    // Two images up: the message names the image asked for, then the broken link.
    let e = resolve(&chain.paths[2], &[2]).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, ImageError::ParentDamaged { .. }), "{text}");
    assert!(
        text.starts_with(&format!(
            "{}: an image it builds on is damaged: {}: this incremental image builds on",
            chain.paths[2].display(),
            chain.paths[1].display()
        )),
        "{text}"
    );
    // A field the broken part of the chain does not hold still comes back.
    assert_eq!(
        resolve(&chain.paths[2], &[3]).unwrap()[&3],
        chain.fields[2][&3]
    );
}

#[test]
fn a_damaged_parent_is_named_after_the_image_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let chain = chain(dir.path());
    let mut bytes = std::fs::read(&chain.paths[0]).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&chain.paths[0], bytes).unwrap();
    let e = resolve(&chain.paths[1], &[2]).unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "{}: an image it builds on is damaged: {}: section",
            chain.paths[1].display(),
            chain.paths[0].display()
        )),
        "{text}"
    );
    assert!(text.contains("checksum mismatch"), "{text}");
}

#[test]
fn another_image_in_the_parents_place_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let chain = chain(dir.path());
    // Same fields, written again: same contents, another image (the summary differs).
    let mut w = ImageWriter::new(summary());
    w.add_state(8, &fake_state()).unwrap();
    for (id, words) in &chain.fields[0] {
        w.add_memory(*id, words);
    }
    let other = w.write_atomic(&chain.paths[0]).unwrap();
    assert_ne!(other.header_checksum, chain.written[0].header_checksum);
    let e = resolve(&chain.paths[1], &[2]).unwrap_err();
    assert!(matches!(e, ImageError::ParentMismatch { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("it is another image of the same name"),
        "{e}"
    );
}

#[test]
fn a_delta_on_a_parent_with_other_contents_fails_its_field_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let base = BTreeMap::from([(2, words(2048, 1))]);
    let parent_path = dir.path().join("p.chk");
    let parent = write(&parent_path, &base, None);
    // The delta is computed against other contents than the parent holds.
    let mut believed = base.clone();
    believed.get_mut(&2).unwrap()[1500] ^= 0o777;
    let mut now = believed.clone();
    now.get_mut(&2).unwrap()[3] = 0;
    let child = dir.path().join("c.chk");
    write(&child, &now, Some((&parent_path, parent, &believed)));
    let e = resolve(&child, &[2]).unwrap_err();
    assert!(matches!(e, ImageError::FieldChecksum { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("section #") && text.contains("memory-delta 2"),
        "{text}"
    );
}

/// An incremental image whose delta for field 2 has the raw bytes `delta`.
fn crafted_delta(dir: &Path, delta: Vec<u8>) -> ImageError {
    let parent_path = dir.join("p.chk");
    let parent = write(&parent_path, &BTreeMap::from([(2, words(1024, 1))]), None);
    let mut w = ImageWriter::new(summary());
    w.parent(&ParentRef {
        name: "p.chk".into(),
        header_checksum: parent.header_checksum,
        cycle: 0,
    })
    .unwrap();
    w.add_section(SectionKind::MemoryDelta, 2, 1, delta);
    let child = dir.join("c.chk");
    w.write_atomic(&child).unwrap();
    resolve(&child, &[2]).unwrap_err()
}

fn delta_bytes(field_words: u64, page_words: u32, pages: &[u32], words: usize) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&field_words.to_le_bytes());
    b.extend_from_slice(&0u64.to_le_bytes());
    b.extend_from_slice(&page_words.to_le_bytes());
    b.extend_from_slice(&(pages.len() as u32).to_le_bytes());
    for p in pages {
        b.extend_from_slice(&p.to_le_bytes());
    }
    b.resize(b.len() + 8 * words, 0);
    b
}

#[test]
fn malformed_deltas_are_refused_with_what_is_wrong() {
    let cases: [(Vec<u8>, &str); 6] = [
        (vec![0; 10], "shorter than its 24-byte head"),
        (delta_bytes(1024, 256, &[0], 256), "pages of 256 words"),
        (delta_bytes(1024, 512, &[1, 0], 1024), "not ascending"),
        (
            delta_bytes(1024, 512, &[2], 512),
            "past the field's 2 pages",
        ),
        (
            delta_bytes(1024, 512, &[0], 100),
            "its head and 1 pages make",
        ),
        (
            delta_bytes(2048, 512, &[0], 512),
            "but the parent's field is 1024 words",
        ),
    ];
    for (bytes, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let e = crafted_delta(dir.path(), bytes);
        let text = e.to_string();
        assert!(matches!(e, ImageError::BadSection { .. }), "{text}");
        assert!(text.contains(expected), "{expected:?} not in {text}");
        assert!(text.contains("c.chk: section #2 memory-delta 2"), "{text}");
    }
}

/// xxh3 of header and table with the checksum field as zero (FORMAT.md).
fn reseal(bytes: &mut [u8]) {
    let header_len = u32::from_le_bytes(bytes[20..24].try_into().unwrap()) as usize;
    let mut head = bytes[..header_len].to_vec();
    head[24..32].fill(0);
    let checksum = xxhash_rust::xxh3::xxh3_64(&head);
    bytes[24..32].copy_from_slice(&checksum.to_le_bytes());
}

#[test]
fn the_incremental_flag_and_the_parent_section_go_together() {
    let dir = tempfile::tempdir().unwrap();
    let chain = chain(dir.path());
    // A full image that claims to be incremental.
    let mut full = std::fs::read(&chain.paths[0]).unwrap();
    full[12] |= 1;
    reseal(&mut full);
    let e = Image::from_bytes(&full, "full.chk").unwrap_err();
    assert!(
        e.to_string()
            .contains("incremental flag is set but there is no parent"),
        "{e}"
    );
    // An incremental image with the flag cleared.
    let mut child = std::fs::read(&chain.paths[1]).unwrap();
    assert_eq!(child[12], 1, "incremental images carry header flag 1");
    assert_eq!(
        u16::from_le_bytes([child[10], child[11]]),
        cray_chkpnt::MINOR_VERSION,
        "written in the current format (incremental images since 1.1)"
    );
    child[12] = 0;
    reseal(&mut child);
    let e = Image::from_bytes(&child, "child.chk").unwrap_err();
    assert!(
        e.to_string()
            .contains("a parent section, but the incremental flag is clear"),
        "{e}"
    );
    // A parent section other than id 0.
    let mut w = ImageWriter::new(summary());
    w.add_section(SectionKind::Parent, 3, 1, vec![0u8; 10]);
    let e = Image::from_bytes(&w.to_bytes().unwrap(), "two.chk").unwrap_err();
    assert!(
        e.to_string().contains("two.chk: section #1 parent 3"),
        "{e}"
    );
    assert!(e.to_string().contains("one parent, section id 0"), "{e}");
}

#[test]
fn a_chain_too_long_to_be_real_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fields = BTreeMap::from([(2, words(16, 1))]);
    let mut previous = dir.path().join("0.chk");
    let mut written = write(&previous, &fields, None);
    for i in 1..=MAX_CHAIN + 1 {
        let path = dir.path().join(format!("{i}.chk"));
        written = write(&path, &fields, Some((&previous, written, &fields)));
        previous = path;
    }
    // Every walker of the chain refuses it: memory, depth, and the parents pruning keeps.
    let e = resolve(&previous, &[2]).unwrap_err();
    assert!(matches!(e, ImageError::ChainTooLong { .. }), "{e}");
    let e = chain_depth(&previous, &head_of(&previous).unwrap()).unwrap_err();
    assert!(matches!(e, ImageError::ChainTooLong { .. }), "{e}");
    let e = parent_paths(&previous).unwrap_err();
    assert!(matches!(e, ImageError::ChainTooLong { .. }), "{e}");
    // One image fewer is a chain of the longest length allowed.
    let last_allowed = dir.path().join(format!("{MAX_CHAIN}.chk"));
    assert_eq!(resolve(&last_allowed, &[2]).unwrap(), fields);
    let head = head_of(&last_allowed).unwrap();
    assert_eq!(
        chain_depth(&last_allowed, &head).unwrap() as usize,
        MAX_CHAIN
    );
    let parents = parent_paths(&last_allowed).unwrap();
    assert_eq!(parents.len(), MAX_CHAIN);
    assert_eq!(
        parents[0],
        dir.path().join(format!("{}.chk", MAX_CHAIN - 1))
    );
    assert_eq!(parents[MAX_CHAIN - 1], dir.path().join("0.chk"));
}

#[test]
fn every_single_byte_corruption_of_a_chain_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let then = BTreeMap::from([(2, words(1100, 1))]);
    let mut now = then.clone();
    now.get_mut(&2).unwrap()[600] = 0;
    let parent_path = dir.path().join("p.chk");
    let child_path = dir.path().join("c.chk");
    let parent = write(&parent_path, &then, None);
    write(&child_path, &now, Some((&parent_path, parent, &then)));
    assert_eq!(resolve(&child_path, &[2]).unwrap(), now);
    for path in [&parent_path, &child_path] {
        let good = std::fs::read(path).unwrap();
        for at in 0..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 0x40;
            std::fs::write(path, &bad).unwrap();
            let name = path.file_name().unwrap().to_string_lossy();
            match resolve(&child_path, &[2]) {
                Ok(_) => panic!("a flip at byte {at} of {name} went unnoticed"),
                Err(e) => assert!(e.to_string().contains(&*name), "byte {at} of {name}: {e}"),
            }
        }
        std::fs::write(path, &good).unwrap();
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Fields of any length, changed anywhere, grown or shrunk, through chains of up to
    /// six images, some compressed: every image gives back exactly its own fields.
    #[test]
    fn generated_chains_give_back_every_field(
        lengths in proptest::collection::vec(0usize..2500, 1..4),
        // Each step: words stored (field, address modulo its length, value), and a
        // field whose length changes (field, new length), if any.
        steps in proptest::collection::vec(
            (
                proptest::collection::vec((0u32..4, 0usize..2500, proptest::prelude::any::<u64>()), 0..40),
                proptest::option::of((0u32..4, 0usize..2500)),
            ),
            1..6,
        ),
        zstd in proptest::prelude::any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut fields: Fields = lengths
            .iter()
            .enumerate()
            .map(|(id, &len)| (id as u32, words(len, id as u64)))
            .collect();
        let mut images = vec![(dir.path().join("0.chk"), fields.clone())];
        let mut written = write_compressed(&images[0].0, &fields, None, zstd);
        for (i, (stores, resize)) in steps.iter().enumerate() {
            for &(id, address, value) in stores {
                if let Some(field) = fields.get_mut(&id).filter(|f| !f.is_empty()) {
                    let at = address % field.len();
                    field[at] = value;
                }
            }
            if let Some((id, len)) = *resize {
                if let Some(field) = fields.get_mut(&id) {
                    field.resize(len, 0o7);
                }
            }
            let path = dir.path().join(format!("{}.chk", i + 1));
            let (parent_path, parent_fields) = images.last().unwrap();
            written = write_compressed(
                &path,
                &fields,
                Some((parent_path, written, parent_fields)),
                zstd,
            );
            images.push((path, fields.clone()));
        }
        for (path, expected) in &images {
            let ids: Vec<u32> = expected.keys().copied().collect();
            proptest::prop_assert_eq!(&resolve(path, &ids).unwrap(), expected);
        }
    }
}
