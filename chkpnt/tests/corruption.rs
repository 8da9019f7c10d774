//! Damaged images are refused with a precise error, never a panic.

mod common;

use common::{fake_state, summary, words};
use cray_chkpnt::{Compression, Image, ImageError, ImageWriter, MAJOR_VERSION};

fn small_image(compression: Compression) -> Vec<u8> {
    let mem = words(40, 7);
    let file = b"data".to_vec();
    let mut w = ImageWriter::new(summary());
    w.compression(compression);
    w.add_state(1, &fake_state()).unwrap();
    w.add_memory(2, &mem).add_file(1, &file);
    w.to_bytes().unwrap()
}

fn is_integrity_error(e: &ImageError) -> bool {
    matches!(
        e,
        ImageError::BadMagic { .. }
            | ImageError::UnsupportedVersion { .. }
            | ImageError::HeaderChecksum { .. }
            | ImageError::SectionChecksum { .. }
            | ImageError::BadHeader { .. }
            | ImageError::BadSection { .. }
            | ImageError::Truncated { .. }
            | ImageError::SectionOutOfBounds { .. }
            | ImageError::Oversized { .. }
    )
}

/// Flipping any one bit of any byte is detected at open.
#[test]
fn every_single_byte_corruption_is_detected() {
    for compression in [Compression::None, Compression::Zstd(3)] {
        let good = small_image(compression);
        Image::from_bytes(&good, "good.img").unwrap();
        for at in 0..good.len() {
            for bit in [0, 7] {
                let mut bad = good.clone();
                bad[at] ^= 1 << bit;
                match Image::from_bytes(&bad, "bad.img") {
                    Ok(_) => {
                        panic!("flip of bit {bit} at byte {at} not detected ({compression:?})")
                    }
                    Err(e) => {
                        assert!(is_integrity_error(&e), "byte {at}: unexpected error {e}");
                        assert!(e.to_string().contains("bad.img"), "{e}");
                    }
                }
            }
        }
    }
}

/// Every proper prefix of an image is refused.
#[test]
fn truncation_at_every_length_is_refused() {
    let good = small_image(Compression::None);
    for len in 0..good.len() {
        let e = Image::from_bytes(&good[..len], "cut.img").unwrap_err();
        assert!(
            matches!(
                e,
                ImageError::Truncated { .. } | ImageError::SectionOutOfBounds { .. }
            ),
            "length {len}: {e}"
        );
        assert!(e.to_string().contains("cut.img"), "{e}");
    }
}

#[test]
fn trailing_bytes_are_refused() {
    let mut bad = small_image(Compression::None);
    bad.push(0);
    let e = Image::from_bytes(&bad, "long.img").unwrap_err();
    assert!(matches!(e, ImageError::BadHeader { .. }), "{e}");
    assert!(e.to_string().contains("follow the last section"), "{e}");
}

/// Rewrites a header/table field and fixes the header checksum, as a newer (or hostile)
/// writer would.
fn patch(bytes: &mut [u8], at: usize, field: &[u8]) {
    bytes[at..at + field.len()].copy_from_slice(field);
    let header_len = u32::from_le_bytes(bytes[20..24].try_into().unwrap()) as usize;
    let mut h = bytes[..header_len].to_vec();
    h[24..32].fill(0);
    let mut hasher = xxhash_rust::xxh3::Xxh3Default::new();
    hasher.update(&h);
    bytes[24..32].copy_from_slice(&hasher.digest().to_le_bytes());
}

#[test]
fn newer_major_version_is_refused_naming_it() {
    let mut bad = small_image(Compression::None);
    patch(&mut bad, 8, &(MAJOR_VERSION + 1).to_le_bytes());
    patch(&mut bad, 10, &3u16.to_le_bytes());
    let e = Image::from_bytes(&bad, "new.img").unwrap_err();
    assert!(
        matches!(e, ImageError::UnsupportedVersion { found_major, found_minor: 3, .. } if found_major == MAJOR_VERSION + 1),
        "{e}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("version {}.3", MAJOR_VERSION + 1)),
        "{msg}"
    );
    assert!(msg.contains("new.img"), "{msg}");
}

#[test]
fn newer_minor_version_is_accepted() {
    let mut img = small_image(Compression::None);
    patch(&mut img, 10, &9u16.to_le_bytes());
    let img = Image::from_bytes(&img, "minor.img").unwrap();
    assert_eq!(img.version(), (MAJOR_VERSION, 9));
}

/// Offset of the table entry of section `index`, and of a field within it.
fn entry(index: usize, field: usize) -> usize {
    32 + 56 * index + field
}

#[test]
fn oversized_section_is_refused_without_allocating() {
    // Memory is section #2. A claim of 2^62 bytes would abort the test if anything
    // allocated it.
    for (field, compressed) in [(24, false), (32, false), (32, true)] {
        let mut bad = small_image(if compressed {
            Compression::Zstd(1)
        } else {
            Compression::None
        });
        patch(&mut bad, entry(2, field), &(1u64 << 62).to_le_bytes());
        let e = Image::from_bytes(&bad, "huge.img").unwrap_err();
        assert!(
            matches!(e, ImageError::Oversized { len, .. } if len == 1 << 62),
            "{e}"
        );
        assert!(e.to_string().contains("#2 memory 2"), "{e}");
    }
}

#[test]
fn section_past_end_of_file_is_refused() {
    let mut bad = small_image(Compression::None);
    let n = bad.len();
    // The last section (#3, file 1) claims 1000 more bytes than the file has, within the limit.
    let old = u64::from_le_bytes(bad[entry(3, 24)..entry(3, 32)].try_into().unwrap());
    patch(&mut bad, entry(3, 24), &(old + 1000).to_le_bytes());
    patch(&mut bad, entry(3, 32), &(old + 1000).to_le_bytes());
    let e = Image::from_bytes(&bad, "past.img").unwrap_err();
    assert!(
        matches!(e, ImageError::SectionOutOfBounds { file_len, .. } if file_len == n as u64),
        "{e}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("#3 file 1") && msg.contains("past.img"),
        "{msg}"
    );
}

#[test]
fn compressed_length_lie_is_caught_after_decompression() {
    // raw_len says one word more than the frame holds; the stored checksum is still
    // right, so only decompression (done at open) can tell.
    let mut bad = small_image(Compression::Zstd(1));
    let old = u64::from_le_bytes(bad[entry(2, 32)..entry(2, 40)].try_into().unwrap());
    patch(&mut bad, entry(2, 32), &(old + 8).to_le_bytes());
    let e = Image::from_bytes(&bad, "lie.img").unwrap_err();
    assert!(matches!(e, ImageError::Decompress { .. }), "{e}");
    assert!(e.to_string().contains("#2 memory 2"), "{e}");
}

#[test]
fn unknown_flags_are_refused() {
    let mut bad = small_image(Compression::None);
    patch(&mut bad, entry(1, 4), &0o10u32.to_le_bytes());
    let e = Image::from_bytes(&bad, "flags.img").unwrap_err();
    assert!(matches!(e, ImageError::BadSection { .. }), "{e}");

    // Bit 0 is the incremental flag of format 1.1; bit 1 means nothing yet.
    let mut bad = small_image(Compression::None);
    patch(&mut bad, 12, &2u32.to_le_bytes());
    let e = Image::from_bytes(&bad, "flags.img").unwrap_err();
    assert!(matches!(e, ImageError::BadHeader { .. }), "{e}");
    assert!(e.to_string().contains("unknown header flags 2"), "{e}");
}

#[test]
fn not_an_image() {
    let e = Image::from_bytes(b"#!/bin/sh\necho hi\n", "x.sh").unwrap_err();
    assert!(matches!(e, ImageError::BadMagic { .. }), "{e}");
    let e = Image::from_bytes(&[], "empty").unwrap_err();
    assert!(matches!(e, ImageError::Truncated { .. }), "{e}");
}
