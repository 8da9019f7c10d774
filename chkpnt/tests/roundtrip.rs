//! Images read back exactly what was written.

mod common;

use common::{fake_state, summary, words, FakeState};
use cray_chkpnt::{
    Compression, Image, ImageError, ImageWriter, SectionKind, MAJOR_VERSION, MINOR_VERSION,
};

#[test]
fn round_trip_plain() {
    let mem2 = words(1000, 2);
    let mem3 = words(17, 3);
    let file = b"hello, cray\n".to_vec();
    let mut w = ImageWriter::new(summary());
    w.add_state(7, &fake_state()).unwrap();
    w.add_memory(2, &mem2)
        .add_memory(3, &mem3)
        .add_file(0, &file);
    let bytes = w.to_bytes().unwrap();

    let img = Image::from_bytes(&bytes, "t.img").unwrap();
    assert_eq!(img.summary(), &summary());
    assert_eq!(img.version(), (MAJOR_VERSION, MINOR_VERSION));
    assert_eq!(img.state::<FakeState>().unwrap(), fake_state());
    assert_eq!(img.find(SectionKind::State, 0).unwrap().version, 7);
    assert_eq!(img.memory(2).unwrap(), mem2);
    assert_eq!(img.memory(3).unwrap(), mem3);
    assert_eq!(img.file(0).unwrap(), file);
    assert_eq!(img.file_len(), bytes.len() as u64);
    let kinds: Vec<_> = img.sections().iter().map(|s| (s.kind, s.id)).collect();
    assert_eq!(
        kinds,
        [
            (SectionKind::Summary, 0),
            (SectionKind::State, 0),
            (SectionKind::Memory, 2),
            (SectionKind::Memory, 3),
            (SectionKind::FileContents, 0),
        ]
    );
    assert!(img.sections().iter().all(|s| !s.compressed()));
}

#[test]
fn memory_is_raw_big_endian_words() {
    let mem = [0x0102_0304_0506_0708u64, u64::MAX - 1];
    let mut w = ImageWriter::new(summary());
    w.add_memory(0, &mem);
    let bytes = w.to_bytes().unwrap();
    let img = Image::from_bytes(&bytes, "t.img").unwrap();
    let info = *img.find(SectionKind::Memory, 0).unwrap();
    assert_eq!(info.raw_len, 16);
    let at = info.offset as usize;
    assert_eq!(&bytes[at..at + 8], &[1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(bytes[at + 15], 0xfe);
    assert_eq!(bytes.len(), at + 16, "memory is the last section");
}

#[test]
fn round_trip_compressed() {
    let mut mem = vec![0u64; 100_000];
    mem[0o17_777] = 0o123;
    let noisy = words(5000, 9);
    let mut w = ImageWriter::new(summary());
    w.compression(Compression::Zstd(3));
    w.add_state(1, &fake_state()).unwrap();
    w.add_memory(1, &mem).add_memory(2, &noisy);
    let bytes = w.to_bytes().unwrap();
    assert!(bytes.len() < 100_000, "zeros compress: {}", bytes.len());

    let img = Image::from_bytes(&bytes, "c.img").unwrap();
    let info = img.find(SectionKind::Memory, 1).unwrap();
    assert!(info.compressed());
    assert_eq!(info.raw_len, 800_000);
    assert!(!img.sections()[0].compressed(), "summary never compressed");
    assert_eq!(img.memory(1).unwrap(), mem);
    assert_eq!(img.memory(2).unwrap(), noisy);
    assert_eq!(img.state::<FakeState>().unwrap(), fake_state());
}

#[test]
fn compression_can_vary_per_section() {
    let mem = vec![0u64; 4096];
    let mut w = ImageWriter::new(summary());
    w.add_memory(1, &mem);
    w.compression(Compression::Zstd(1)).add_memory(2, &mem);
    let img = Image::from_bytes(&w.to_bytes().unwrap(), "v.img").unwrap();
    assert!(!img.find(SectionKind::Memory, 1).unwrap().compressed());
    assert!(img.find(SectionKind::Memory, 2).unwrap().compressed());
    assert_eq!(img.memory(2).unwrap(), mem);
}

#[test]
fn take_memory_moves_words_out() {
    let mem = words(64, 1);
    let mut w = ImageWriter::new(summary());
    w.add_memory(5, &mem);
    let mut img = Image::from_bytes(&w.to_bytes().unwrap(), "m.img").unwrap();
    assert_eq!(img.take_memory(5).unwrap(), mem);
    let e = img.memory(5).unwrap_err();
    assert!(matches!(e, ImageError::MissingSection { .. }), "{e}");
    assert!(
        e.to_string().contains("already taken") && e.to_string().contains("m.img"),
        "{e}"
    );
    assert!(img.take_memory(5).is_err());
}

#[test]
fn section_gives_memory_as_stored_bytes() {
    let mem = [0o1_000_000_000_000_000_000_001u64];
    let mut w = ImageWriter::new(summary());
    w.add_memory(0, &mem);
    let img = Image::from_bytes(&w.to_bytes().unwrap(), "s.img").unwrap();
    assert_eq!(
        &*img.section(SectionKind::Memory, 0).unwrap(),
        &mem[0].to_be_bytes()
    );
}

#[test]
fn missing_and_duplicate_sections() {
    let mem = words(4, 0);
    let mut w = ImageWriter::new(summary());
    w.add_memory(1, &mem);
    let img = Image::from_bytes(&w.to_bytes().unwrap(), "d.img").unwrap();
    let e = img.memory(2).unwrap_err();
    assert!(matches!(e, ImageError::MissingSection { .. }));
    assert!(e.to_string().contains("memory 2"), "{e}");
    assert!(matches!(
        img.state::<FakeState>(),
        Err(ImageError::MissingSection { .. })
    ));

    w.add_memory(1, &mem);
    let e = w.to_bytes().unwrap_err();
    assert!(matches!(e, ImageError::DuplicateSection { .. }), "{e}");
}

#[test]
fn empty_memory_and_other_kinds() {
    let mut w = ImageWriter::new(summary());
    w.add_memory(0, &[]);
    w.add_section(SectionKind::Other(0o100), 3, 2, vec![1u8, 2, 3]);
    let img = Image::from_bytes(&w.to_bytes().unwrap(), "o.img").unwrap();
    assert_eq!(img.memory(0).unwrap(), Vec::<u64>::new());
    let s = img.section(SectionKind::Other(0o100), 3).unwrap();
    assert_eq!(&*s, &[1, 2, 3]);
    assert_eq!(img.find(SectionKind::Other(0o100), 3).unwrap().version, 2);
}

#[test]
fn write_atomic_and_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("job2.ckpt");
    let mem = words(10_000, 4);
    let mut w = ImageWriter::new(summary());
    w.add_state(1, &fake_state()).unwrap();
    w.add_memory(2, &mem);
    let n = w.write_atomic(&path).unwrap().bytes;
    assert_eq!(n, std::fs::metadata(&path).unwrap().len());
    assert_eq!(std::fs::read(&path).unwrap(), w.to_bytes().unwrap());
    let img = Image::open(&path).unwrap();
    assert_eq!(img.memory(2).unwrap(), mem);
    assert_eq!(img.path(), path);
    // Nothing but the image is left in the directory.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn open_missing_file_names_it() {
    let e = Image::open("/nonexistent/dir/x.ckpt").unwrap_err();
    assert!(matches!(e, ImageError::Io { .. }));
    assert!(e.to_string().contains("/nonexistent/dir/x.ckpt"), "{e}");
}

/// The bytes match FORMAT.md.
#[test]
fn layout_matches_format_md() {
    let mem = [7u64; 3];
    let mut w = ImageWriter::new(summary());
    w.add_memory(0o11, &mem);
    let b = w.to_bytes().unwrap();
    let le16 = |at: usize| u16::from_le_bytes([b[at], b[at + 1]]);
    let le32 = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    let le64 = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
    assert_eq!(&b[0..8], b"CRAYCKPT");
    assert_eq!(
        (le16(8), le16(10)),
        (1, 3),
        "format 1.3 (FORMAT.md header table)"
    );
    assert_eq!(le32(12), 0);
    assert_eq!(le32(16), 2);
    assert_eq!(le32(20), 32 + 2 * 56);
    let mut zeroed = b[..144].to_vec();
    zeroed[24..32].fill(0);
    assert_eq!(le64(24), xxhash_rust::xxh3::xxh3_64(&zeroed));
    // Entry 0: the summary, right after the table.
    assert_eq!((le16(32), le32(36), le32(40)), (1, 0, 0));
    assert_eq!(le64(48), 144);
    let summary_len = le64(56);
    // Entry 1: memory field 0o11, uncompressed, 24 bytes, at the end.
    let e = 32 + 56;
    assert_eq!(
        (le16(e), le16(e + 2), le32(e + 4), le32(e + 8)),
        (3, 1, 0, 0o11)
    );
    assert_eq!(le64(e + 16), 144 + summary_len);
    assert_eq!((le64(e + 24), le64(e + 32)), (24, 24));
    let data = &b[(144 + summary_len) as usize..];
    assert_eq!(data.len(), 24);
    assert_eq!(le64(e + 40), xxhash_rust::xxh3::xxh3_64(data));
    assert_eq!(le64(e + 48), le64(e + 40));
    assert_eq!(&data[..8], &[0, 0, 0, 0, 0, 0, 0, 7]);
}

#[test]
fn truncated_file_on_disk_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.ckpt");
    let mem = words(1000, 1);
    let mut w = ImageWriter::new(summary());
    w.add_memory(0, &mem);
    let bytes = w.to_bytes().unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 8]).unwrap();
    let e = Image::open(&path).unwrap_err();
    assert!(matches!(e, ImageError::SectionOutOfBounds { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("cut.ckpt") && msg.contains("#1 memory 0"),
        "{msg}"
    );
}

/// A memory of many 1 MiB conversion chunks and a partial last one (more than 2 MW,
/// so the writer converts on a second thread) goes through the chunked writer and
/// reader, from a file and from memory, word for word.
#[test]
fn round_trip_memory_of_several_chunks() {
    let mem = words(17 * 131_072 + 12_345, 9);
    let mut w = ImageWriter::new(summary());
    w.add_memory(0, &mem);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.img");
    let len = w.write_atomic(&path).unwrap().bytes;
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes, w.to_bytes().unwrap());
    assert_eq!(len, bytes.len() as u64);
    let info = *Image::open(&path)
        .unwrap()
        .find(SectionKind::Memory, 0)
        .unwrap();
    let at = info.offset as usize;
    assert_eq!(&bytes[at..at + 8], &mem[0].to_be_bytes());
    assert_eq!(&bytes[bytes.len() - 8..], &mem[mem.len() - 1].to_be_bytes());
    assert_eq!(Image::open(&path).unwrap().take_memory(0).unwrap(), mem);
    assert_eq!(
        Image::from_bytes(&bytes, "big.img")
            .unwrap()
            .memory(0)
            .unwrap(),
        mem
    );

    // A flipped bit in the partial last chunk is caught.
    let mut bad = bytes.clone();
    let last = bad.len() - 3;
    bad[last] ^= 0o40;
    assert!(matches!(
        Image::from_bytes(&bad, "big.img"),
        Err(ImageError::SectionChecksum { .. })
    ));
}
