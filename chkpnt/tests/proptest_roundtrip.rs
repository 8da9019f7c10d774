//! Arbitrary sections round-trip, compressed or not.

mod common;

use common::summary;
use cray_chkpnt::{Compression, Image, ImageWriter};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn sections_round_trip(
        fields in prop::collection::btree_map(any::<u32>(), prop::collection::vec(any::<u64>(), 0..300), 0..4),
        files in prop::collection::btree_map(any::<u32>(), prop::collection::vec(any::<u8>(), 0..300), 0..3),
        zstd in any::<bool>(),
    ) {
        let mut w = ImageWriter::new(summary());
        if zstd {
            w.compression(Compression::Zstd(1));
        }
        for (id, words) in &fields {
            w.add_memory(*id, words);
        }
        for (id, bytes) in &files {
            w.add_file(*id, bytes);
        }
        let img = Image::from_bytes(&w.to_bytes().unwrap(), "p.img").unwrap();
        prop_assert_eq!(img.sections().len(), 1 + fields.len() + files.len());
        for (id, words) in &fields {
            prop_assert_eq!(&img.memory(*id).unwrap(), words);
        }
        for (id, bytes) in &files {
            prop_assert_eq!(&img.file(*id).unwrap(), bytes);
        }
    }
}
