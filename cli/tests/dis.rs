//! `cray dis` on every corpus binary, on raw words and on bad input.
mod common;

use common::{cray, image, text};
use std::path::Path;

fn dis(path: &Path, extra: &[&str]) -> std::process::Output {
    cray()
        .arg("dis")
        .arg(path)
        .args(extra)
        .output()
        .expect("cray runs")
}

#[test]
fn disassembles_every_corpus_binary() {
    let mut seen = 0;
    for path in isa_tests::corpus_files("cos", &[".bin", "acctdef.ds"]) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let out = dis(&path, &[]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let text = String::from_utf8(out.stdout).expect("utf-8");
        assert!(text.starts_with("* COS absolute binary"), "{name}");
        // The entry point is marked, and most of the image decodes as code.
        assert!(
            text.lines().any(|l| l.starts_with('>')),
            "{name}: no entry marker"
        );
        let lines = text.lines().count();
        let data = text.lines().filter(|l| l.contains(" CON ")).count();
        assert!(data * 20 < lines, "{name}: {data} data lines of {lines}");
        seen += 1;
    }
    assert_eq!(seen, 9);
}

#[test]
fn blocked_and_raw_acctdef_disassemble_identically() {
    let dir = isa_tests::corpus_path("cos");
    let a = dis(&dir.join("acctdef.bin"), &["--count", "500"]);
    let b = dis(&dir.join("acctdef.ds"), &["--count", "500"]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn from_and_count_select_a_window() {
    let dir = isa_tests::corpus_path("cos");
    let out = dis(
        &dir.join("acctdef.bin"),
        &["--from", "01004", "--count", "3"],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('*')).collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with(">    201a"), "{}", lines[0]);
}

#[test]
fn raw_words_disassemble() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("prog.raw");
    // A1 A2+A3 ; EX ; PASS ; ERR   then a data word that is not code at parcel a.
    let code = (0o030123u64 << 48) | (0o004000 << 32) | (0o001000 << 16);
    let words: [u64; 2] = [code, 0xFFFF_FFFF_FFFF_FFFF];
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    std::fs::write(&path, bytes).unwrap();
    let out = dis(&path, &["--raw"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("A1 A2+A3"));
    assert!(text.contains("EX"));
    assert!(text.contains("PASS"));
    assert!(text.contains("CON O'1777777777777777777777"));
}

#[test]
fn bad_files_give_a_clear_error_and_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("odd.bin");
    std::fs::write(&odd, [1u8, 2, 3]).unwrap();
    let out = dis(&odd, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("odd.bin") && err.contains("not a whole number"),
        "{err}"
    );
    let missing = dir.path().join("missing.bin");
    let out = dis(&missing, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("missing.bin"));
    let junk = dir.path().join("junk.bin");
    std::fs::write(&junk, [0x55u8; 64]).unwrap();
    let out = dis(&junk, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("junk.bin"));
}

/// `cray dis X | head`: the reader goes away after a line; cray ends quietly with
/// status 0 instead of panicking on the closed pipe.
#[test]
fn a_closed_output_pipe_ends_the_listing_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let binary = isa_tests::corpus_path("cos/acctdef.bin");
    let mut child = cray()
        .arg("dis")
        .arg(&binary)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cray starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("ACCTDEF"), "{first}");
    // The reader is dropped here: the rest of the listing meets a closed pipe.
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_cal_source_is_assembled_and_disassembled() {
    let out = dis(&image("hello.cal"), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.starts_with("* a.out: text"), "{text}");
    // hello.cal begins `S0 4` (write), marked as the entry point, then calls the kernel.
    let first = text.lines().nth(1).unwrap_or_default();
    assert!(first.starts_with('>') && first.ends_with("S0 4"), "{text}");
    assert!(text.lines().any(|l| l.ends_with(" EX")), "{text}");
}

/// The CAL source in a listing: the text column of every line that shows words
/// (after the marker, the parcel address and the octal parcels or word).
fn listing_source(listing: &str) -> String {
    let mut source = String::new();
    for line in listing.lines().filter(|l| !l.starts_with('*')) {
        let columns = line.get(10..).unwrap_or_default();
        let text_start = columns
            .split_whitespace()
            .find(|token| !token.chars().all(|c| c.is_digit(8)))
            .and_then(|token| columns.find(token))
            .unwrap_or(columns.len());
        source.push_str("         ");
        source.push_str(&columns[text_start..]);
        source.push('\n');
    }
    source
}

#[test]
fn every_corpus_listing_reassembles_to_the_words_it_shows() {
    let mut seen = 0;
    for path in isa_tests::corpus_files("cos", &[".bin"]) {
        let name = path.display().to_string();
        let out = dis(&path, &["--raw"]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let source = listing_source(&text(&out.stdout));
        // Stray parcels in the middle of a word are written `VWD 16/...` in place.
        let assembly = cray_cal::assemble(&source, "listing.cal", &cray_cal::Options::aout())
            .unwrap_or_else(|errors| {
                panic!("{name}: the listing does not assemble: {}", errors[0])
            });
        let bytes = std::fs::read(&path).expect("corpus binary reads");
        let words = cray_emulator::cos::absolute::words_from_bytes(&bytes).expect("whole words");
        assert_eq!(assembly.words.len(), words.len(), "{name}: word count");
        let first_difference = (0..words.len()).find(|&i| assembly.words[i] != words[i]);
        assert_eq!(first_difference, None, "{name}: words differ");
        seen += 1;
    }
    assert_eq!(seen, 8);
}
