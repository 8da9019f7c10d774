//! Programs written the way real CAL is written (cal/tests/programs/*.cal), checked
//! against encodings worked out by hand from the ISA tables.

mod common;

use common::parcels;
use cray_cal::{Assembly, Attr, Options};
use std::path::PathBuf;

fn program(name: &str) -> Assembly {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/programs")
        .join(name);
    let source = std::fs::read_to_string(&path).expect("program exists");
    common::assemble_ok(&source, name, &Options::aout())
}

fn symbol(a: &Assembly, name: &str) -> (i64, Attr) {
    let s = &a.symbols[name];
    (s.value.value, s.value.attr)
}

#[test]
fn forms_module_header_and_symbols() {
    let a = program("forms.cal");
    assert_eq!(a.module, "FORMS");
    assert_eq!(
        a.comment.as_deref(),
        Some("FORMS - real-world CAL; with a semicolon")
    );
    assert_eq!(a.entries, ["FORMS", "$IN"]);
    assert_eq!(a.externals, ["F@X"]);
    assert_eq!(a.entry_parcel, 0);
    assert_eq!(symbol(&a, "%N"), (3, Attr::Absolute));
    assert_eq!(symbol(&a, "F$ONE"), (1, Attr::Absolute));
    // `HERE = *` in the middle of a word names that parcel, as a label would.
    assert_eq!(symbol(&a, "HERE"), (3, Attr::Parcel));
    assert_eq!(symbol(&a, "$IN"), (3, Attr::Parcel));
    assert_eq!(symbol(&a, "PUT"), (9, Attr::Parcel));
    assert_eq!(symbol(&a, "TAB"), (5, Attr::Word));
    assert_eq!(symbol(&a, "BUFLEN"), (2, Attr::Absolute));
    assert_eq!(symbol(&a, "LAST"), (0o24, Attr::Word));
}

#[test]
fn forms_instructions() {
    let a = program("forms.cal");
    let p = parcels(&a);
    let literal = a.words.len() as u16 - 1;
    let expected: [u16; 20] = [
        0o022102, // A1 2
        0o022203, // A2 3
        0o022303, // A3 %N
        0o022405, // $IN SETR A4,VAL=5
        0o043100, // SETR S.F$ONE: S1 0
        0o006000, // J HERE: parcel 3, not word 0
        0o000003, 0o020500, // A5 P.HERE
        0o000003, 0o110000, // STORE A0,TAB+1: TAB+1,A0
        0o000006, 0o100000, // A0 TAB+1,
        0o000006, 0o121300, // S3 TAB,A1: h = 1, i = 3
        0o000005, 0o040200, // S2 =A'XY'R
        literal, 0o005000, // J B00
        0o001000, // ALIGN pads with PASS
        0o001000,
    ];
    assert_eq!(&p[..20], &expected);
    assert_eq!(
        a.words[literal as usize],
        u64::from_be_bytes(*b"\0\0\0\0\0\0XY")
    );
}

#[test]
fn forms_data_character_constants_and_vwd() {
    let a = program("forms.cal");
    let w = &a.words;
    // DATA 'I'8R,'AB'3R,'HI'*,'a;b'
    assert_eq!(w[5], u64::from(b'I'));
    assert_eq!(w[6], u64::from_be_bytes(*b"\0AB\0\0\0\0\0"));
    assert_eq!(w[7], u64::from_be_bytes(*b"HI\0\0\0\0\0\0"));
    assert_eq!(w[8], u64::from_be_bytes(*b"a;b     "));
    // CON 'AB'3R,A'Z'R,#0,-1,W.*
    assert_eq!(&w[9..14], &[0x4142, 0x5A, u64::MAX, u64::MAX, 9]);
    // BASE O: the count 12 is octal (ten characters).
    assert_eq!(w[0o16], u64::from_be_bytes(*b"ABCDEFGH"));
    assert_eq!(w[0o17], u64::from_be_bytes(*b"IJ\0\0\0\0\0\0"));
    // BASE M: VWD field widths are decimal.
    assert_eq!(w[0o20], (1 << 44) | 2);
    assert_eq!(&w[0o21..0o24], &[0, 0, 0]);
    assert_eq!(w[0o24], 2);
}
