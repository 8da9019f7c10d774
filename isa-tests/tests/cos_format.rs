//! COS file formats against the real COS 1.16/1.17 files in `corpus/cos/`
//! (`COS.md` §1): absolute binaries raw and blocked, and blocked data datasets.

use cray_emulator::cos::absolute::{
    self, words_from_bytes, words_to_bytes, AbsoluteBinary, ORIGIN,
};
use cray_emulator::cos::dataset::{
    self, deblock, is_blocked, unpack_line, DatasetItem, DatasetWriter,
};
use cray_emulator::cos::jcb::JobCommunicationBlock;

fn corpus_file(name: &str) -> Vec<u8> {
    isa_tests::read_corpus(&format!("cos/{name}"))
}

fn corpus_words(name: &str) -> Vec<u64> {
    words_from_bytes(&corpus_file(name)).unwrap()
}

/// Per binary: name, HLM, entry parcel address, text words (measured with python
/// from the files; COS.md §1.1 gives the PDT shape).
const BINARIES: &[(&str, &str, u32, u32, usize)] = &[
    ("acctdef.bin", "ACCTDEF", 0o74712, 0o1004, 31050),
    ("audit.bin", "AUDIT", 0o320213, 0o1004, 106506),
    ("dmp10.bin", "DMP10", 0o74762, 0o1470, 31090),
    ("jcsdef.bin", "JCSDEF", 0o66423, 0o1004, 27795),
    ("loadcat.bin", "LOADCAT", 0o63617, 0o1004, 26383),
    ("pld10.bin", "PLD10", 0o46562, 0o1024, 19698),
    ("prvdef.bin", "PRVDEF", 0o102140, 0o1004, 33760),
    ("reload.bin", "RELOAD", 0o251156, 0o1004, 86510),
];

#[test]
fn every_corpus_binary_parses() {
    for &(file, name, hlm, entry, text_words) in BINARIES {
        let words = corpus_words(file);
        assert!(!is_blocked(&words), "{file} is raw");
        let bin = absolute::parse(&words).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(bin.name, name, "{file}");
        assert_eq!(bin.entry_name, name, "{file}");
        assert_eq!(bin.load_address, ORIGIN, "{file}");
        assert_eq!(bin.hlm, hlm, "{file}");
        assert!(
            bin.hlm >= ORIGIN + text_words as u32,
            "{file}: HLM below the end of the text"
        );
        assert_eq!(bin.entry_parcel, entry, "{file}");
        assert_eq!(bin.text.len(), text_words, "{file}");
        assert_eq!(bin.machine, "CRAY-XMP", "{file}");
        let trailer = bin.trailer.as_deref().unwrap_or("");
        assert!(
            trailer.starts_with("07/07/88 ") && trailer.ends_with(" COS 1.16 06/09/88 SEGLDR 3.1"),
            "{file}: {trailer}"
        );
        assert_eq!(absolute::from_bytes(&corpus_file(file)).as_ref(), Ok(&bin));
        // Re-writing keeps the program: same image, entry, HLM, trailer.
        let again = absolute::parse(&absolute::write(&bin)).unwrap();
        assert_eq!(again, bin, "{file}");
    }
}

#[test]
fn acctdef_blocked_and_raw_agree() {
    let raw = corpus_words("acctdef.bin");
    let blocked = corpus_words("acctdef.ds");
    assert!(is_blocked(&blocked));
    let from_raw = absolute::parse(&raw).unwrap();
    let from_blocked = absolute::parse(&blocked).unwrap();
    assert_eq!(from_raw, from_blocked);
    assert_eq!(
        from_raw.trailer.as_deref(),
        Some("07/07/88 19:42:34 COS 1.16 06/09/88 SEGLDR 3.1")
    );
}

#[test]
fn deblocking_acctdef_ds_gives_acctdef_bin() {
    let items = deblock(&corpus_words("acctdef.ds")).unwrap();
    assert_eq!(items.len(), 3);
    let DatasetItem::Record { words, unused_bits } = &items[0] else {
        panic!("first item is {:?}", items[0]);
    };
    assert_eq!(*unused_bits, 0);
    assert_eq!(items[1..], [DatasetItem::EndOfFile, DatasetItem::EndOfData]);
    assert!(
        words_to_bytes(words) == corpus_file("acctdef.bin"),
        "record differs from acctdef.bin"
    );
    assert_eq!(
        dataset::first_record(&corpus_words("acctdef.ds")).unwrap(),
        *words
    );
}

#[test]
fn reblocking_acctdef_bin_gives_acctdef_ds() {
    let mut writer = DatasetWriter::new();
    writer
        .write_record(&corpus_words("acctdef.bin"), 0)
        .unwrap();
    writer.end_file();
    let out = words_to_bytes(&writer.finish());
    let expected = corpus_file("acctdef.ds");
    assert_eq!(out.len(), expected.len());
    let first_difference = out.iter().zip(&expected).position(|(a, b)| a != b);
    assert_eq!(
        first_difference, None,
        "byte offset of the first difference"
    );
}

/// Records, EOFs and a closing EOD in that order.
fn census(items: &[DatasetItem]) -> (usize, usize) {
    assert_eq!(items.last(), Some(&DatasetItem::EndOfData));
    let records = items
        .iter()
        .filter(|i| matches!(i, DatasetItem::Record { .. }))
        .count();
    let files = items
        .iter()
        .filter(|i| **i == DatasetItem::EndOfFile)
        .count();
    (records, files)
}

#[test]
fn data_datasets_deblock_and_reblock_exactly() {
    // (file, records, EOFs), counted by walking the control words by hand.
    for (file, records, files) in [
        ("account.ds", 27, 1),
        ("bulletin.ds", 31, 5),
        ("validation.ds", 36, 1),
        ("jinstall.job", 173, 4),
    ] {
        let words = corpus_words(file);
        assert!(is_blocked(&words), "{file}");
        let items = deblock(&words).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(census(&items), (records, files), "{file}");
        assert_eq!(
            dataset::block(&items).unwrap(),
            words,
            "{file}: re-blocking differs"
        );
    }
}

#[test]
fn jinstall_job_is_a_text_deck() {
    let items = deblock(&corpus_words("jinstall.job")).unwrap();
    let lines: Vec<String> = items
        .iter()
        .filter_map(|i| match i {
            DatasetItem::Record { words, unused_bits } => {
                Some(unpack_line(words, *unused_bits).unwrap())
            }
            _ => None,
        })
        .collect();
    assert_eq!(lines[0], "JOB,JN=JINSTAL,US=SYSTEM,*TAPE=1,T.");
    assert_eq!(lines[1], "ACCOUNT,AC=NONE.");
    // Writing the lines back as text records gives the same records.
    let mut writer = DatasetWriter::new();
    for line in &lines[..2] {
        writer.write_text_line(line).unwrap();
    }
    let again = deblock(&writer.finish()).unwrap();
    assert_eq!(again[..2], items[..2]);
}

#[test]
fn jcb_for_a_corpus_binary() {
    let bin: AbsoluteBinary = absolute::parse(&corpus_words("acctdef.ds")).unwrap();
    let jcb = JobCommunicationBlock::for_program(&bin, "ACCTDEF,L=0", 0o100000).unwrap();
    let words = jcb.to_words();
    assert_eq!(words[0o101], u64::from(bin.hlm) << 24 | 0o100000);
    assert_eq!(words[0o166], u64::from_be_bytes(*b"07/07/88"));
    assert_eq!(words[0o167], u64::from_be_bytes(*b"19:42:34"));
    assert_eq!(
        JobCommunicationBlock::from_words(&words).control_statement,
        "ACCTDEF,L=0."
    );
}

#[test]
fn corrupted_corpus_files_fail_cleanly() {
    let bytes = corpus_file("acctdef.bin");
    assert!(absolute::from_bytes(&bytes[..bytes.len() - 3]).is_err());
    assert!(absolute::from_bytes(&bytes[..bytes.len() - 8]).is_err());
    let blocked = corpus_file("acctdef.ds");
    let mut damaged = blocked.clone();
    damaged[512 * 8 * 7 + 6] ^= 2; // Cray bit 54 = low bit of BN in block 7's BCW
    let err = absolute::from_bytes(&damaged).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("dataset word 7000: BCW block number"),
        "{err}"
    );
}
