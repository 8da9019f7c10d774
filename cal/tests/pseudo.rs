//! Pseudo-instructions, expressions, macros, literals and the value-driven choices.

mod common;

use common::parcels;
use cray_cal::{assemble, Assembly, Attr, Options};
use cray_emulator::isa::Model;

fn asm(lines: &[&str]) -> Assembly {
    let source = lines.join("\n");
    common::assemble_ok(&source, "t.cal", &Options::aout())
}

#[test]
fn forward_constant_keeps_the_long_form_and_labels_stay_put() {
    let a = asm(&[
        "         A1        LATER",
        "         S1        LATER",
        "AFTER    A2        1",
        "LATER    =         5",
    ]);
    assert_eq!(&parcels(&a)[..5], &[0o020100, 5, 0o040100, 5, 0o022201]);
    assert_eq!(a.symbols["AFTER"].value.value, 4);
    assert_eq!(a.symbols["AFTER"].value.attr, Attr::Parcel);
}

#[test]
fn bss_zero_aligns_with_pass_and_two_parcel_instructions_straddle() {
    let a = asm(&[
        "         A1        1",
        "HERE     BSS       0",
        "         A1        1",
        "         A2        1",
        "         A3        1",
        "         A4        O'100",
        "         J         HERE",
    ]);
    let p = parcels(&a);
    assert_eq!(&p[..4], &[0o022101, 0o001000, 0o001000, 0o001000]);
    assert_eq!(a.symbols["HERE"].value.value, 1);
    assert_eq!(a.symbols["HERE"].value.attr, Attr::Word);
    // A4 O'100 starts at parcel 7 (1d) and ends in word 2.
    assert_eq!(&p[7..9], &[0o020400, 0o100]);
    assert_eq!(&p[9..11], &[0o006000, 4]);
    assert_eq!(a.listing[6].code, "006  00000001a+");
}

#[test]
fn data_con_vwd_and_character_constants() {
    let a = asm(&[
        "         BASE      O",
        "W        CON       17,-1,'AB'R,'AB'L,'AB'",
        "         DATA      'ABCDEFGHI'Z,D'10",
        "         VWD       D'16/X'ABCD,D'48/1",
        "         BSSZ      2",
        "END1     BSS       0",
    ]);
    assert_eq!(a.words[0], 0o17);
    assert_eq!(a.words[1], u64::MAX);
    assert_eq!(a.words[2], 0x4142);
    assert_eq!(a.words[3], 0x4142 << 48);
    assert_eq!(a.words[4], 0x4142_2020_2020_2020);
    assert_eq!(a.words[5], u64::from_be_bytes(*b"ABCDEFGH"));
    assert_eq!(a.words[6], u64::from_be_bytes(*b"I\0\0\0\0\0\0\0"));
    assert_eq!(a.words[7], 10);
    assert_eq!(a.words[8], 0xABCD_0000_0000_0001);
    assert_eq!(a.symbols["END1"].value.value, 11);
}

#[test]
fn bases_and_radix_prefixes() {
    let a = asm(&[
        "D1       =         10",
        "         BASE      O",
        "O1       =         10",
        "         BASE      M",
        "M1       =         10",
        "M2       =         19",
        "X1       =         X'1F+O'17*D'2",
        "P1       =         (1+2)*3-8/2",
        "C1       =         #0",
    ]);
    let v = |n: &str| a.symbols[n].value.value;
    assert_eq!((v("D1"), v("O1"), v("M1"), v("M2")), (10, 8, 8, 19));
    assert_eq!(v("X1"), 31 + 30);
    assert_eq!(v("P1"), 5);
    assert_eq!(v("C1"), -1);
}

#[test]
fn set_redefines_and_word_parcel_conversions() {
    let a = asm(&[
        "I        SET       1",
        "         S.I       0",
        "I        SET       2",
        "         S.I       0",
        "LOOP     A1        1",
        "         A2        1",
        "NEXT     A3        P.NEXT",
        "         A4        W.NEXT",
    ]);
    let p = parcels(&a);
    assert_eq!(&p[..2], &[0o043100, 0o043200]);
    // NEXT is parcel 4 = word 1.
    assert_eq!(&p[4..6], &[0o020300, 4]);
    assert_eq!(&p[6..8], &[0o020400, 1]);
}

#[test]
fn literals_are_pooled_once_after_the_code() {
    let a = asm(&[
        "         S1        ='Hello'Z",
        "         S2        ='Hello'Z",
        "         A1        =O'777",
        "         END",
    ]);
    let p = parcels(&a);
    assert_eq!(
        p[1], 2,
        "literal after three 2-parcel instructions (word 2)"
    );
    assert_eq!(p[3], 2, "same literal, same address");
    assert_eq!(p[5], 3);
    assert_eq!(a.words[2], u64::from_be_bytes(*b"Hello\0\0\0"));
    assert_eq!(a.words[3], 0o777);
}

#[test]
fn macros_with_positional_keyword_and_location_parameters() {
    let a = asm(&[
        "         MACRO",
        "LBL      ADDK      R,VALUE,COUNT=3",
        "LBL      A.R       VALUE",
        "         A.R       A.R+A.R",
        "         S1        COUNT",
        "ADDK     ENDM",
        "HERE     ADDK      2,O'10",
        "         ADDK      3,O'11,COUNT=O'12",
        "         J         HERE",
    ]);
    let p = parcels(&a);
    assert_eq!(&p[..4], &[0o022210, 0o030222, 0o040100, 3]);
    assert_eq!(&p[4..8], &[0o022311, 0o030333, 0o040100, 0o12]);
    assert_eq!(&p[8..10], &[0o006000, 0]);
}

#[test]
fn externals_take_long_forms_and_are_marked() {
    let a = asm(&[
        "         EXT       FAR",
        "         A1        FAR+1",
        "         J         FAR",
    ]);
    assert_eq!(&parcels(&a)[..4], &[0o020100, 1, 0o006000, 0]);
    assert_eq!(a.listing[1].code, "0201 00000001+");
    assert_eq!(a.externals, vec!["FAR".to_string()]);
}

#[test]
fn start_org_and_entry() {
    let a = asm(&[
        "         IDENT     PROG",
        "         START     GO",
        "         ORG       O'10",
        "         CON       0",
        "GO       EX",
        "         END",
    ]);
    assert_eq!(a.module, "PROG");
    assert_eq!(a.entry_parcel, 0o11 * 4);
    assert_eq!(a.words.len(), 0o12);
    assert_eq!(a.to_aout().entry_parcel, 0o11 * 4);
}

#[test]
fn value_driven_choices() {
    let a = asm(&[
        "         A1        -1",
        "         A1        +5",
        "         A1        +#0",
        "         S1        1",
        "         S1        -1",
        "         S1        0",
        "         S1        +1",
        "         S1        #<0",
        "         S1        #>O'100",
        "         S1        >O'100",
        "         S1        S1>0",
        "         V3        0",
        "         IP        1",
    ]);
    assert_eq!(
        parcels(&a)[..16],
        [
            0o031100, 0o020100, 5, 0o021100, 0, 0o042177, 0o042100, 0o043100, 0o040100, 1,
            0o042100, 0o043100, 0o042100, 0o054100, 0o145333, 0o001401
        ]
    );
}

#[test]
fn cray1_lacks_xmp_instructions() {
    let options = Options {
        model: Model::Cray1,
        ..Options::aout()
    };
    let e = assemble("         A1        VL\n", "t.cal", &options).unwrap_err();
    assert_eq!(e.len(), 1);
    assert!(assemble("         A1        VL\n", "t.cal", &Options::aout()).is_ok());
}

#[test]
fn equates_defined_from_later_equates() {
    let a = asm(&[
        "         A1        FIRST",
        "FIRST    =         SECOND+1",
        "SECOND   =         THIRD*2",
        "THIRD    =         O'100",
    ]);
    assert_eq!(a.symbols["FIRST"].value.value, 0o201);
    // Sized in the first pass as a forward reference: the long form.
    assert_eq!(&parcels(&a)[..2], &[0o020100, 0o201]);
}

#[test]
fn circular_equates_are_errors() {
    let e = assemble(
        "A        =         B\nB        =         A\n",
        "t.cal",
        &Options::aout(),
    )
    .unwrap_err();
    assert!(!e.is_empty());
    assert!(e.iter().all(|x| x.line <= 2), "{e:#?}");
}

#[test]
fn floating_constants_in_data() {
    let a = asm(&["         CON       1.,2.,4.,0.5,0.75,1.5E1,0."]);
    assert_eq!(a.words[0], 0o400014000000000000000);
    assert_eq!(a.words[1], 0o400024000000000000000);
    assert_eq!(a.words[2], 0o400034000000000000000);
    assert_eq!(a.words[3], 0o400004000000000000000);
    assert_eq!(a.words[4], 0o400006000000000000000);
    assert_eq!(a.words[5], (0o40004 << 48) | (0xF << 44));
    assert_eq!(a.words[6], 0);
    let n = asm(&["         CON       -1.,-1"]);
    assert_eq!(n.words[0], 0o1400014000000000000000);
    assert_eq!(n.words[1], u64::MAX);
    // The 071 constants still come from the table rows.
    let b = asm(&["         S1        1.", "         S2        0.6"]);
    assert_eq!(&parcels(&b)[..2], &[0o071150, 0o071230]);
}

#[test]
fn an_unlabeled_vwd_packs_where_the_last_field_ended_as_cal_does() {
    let a = asm(&[
        "         A1        1",
        "         VWD       16/O'177777",
        "         VWD       8/O'12",
        "         VWD       4/1",
        "         A2        2",
        "WORD     VWD       32/1",
        "         VWD       32/2",
        "         VWD       16/3",
        "         S1        *",
    ]);
    let p = parcels(&a);
    // The stray parcel sits right after A1, not at a new word.
    assert_eq!(&p[..2], &[0o022101, 0o177777]);
    // 8 + 4 bits share parcel 2; A2 starts at the next whole parcel.
    assert_eq!(p[2], (0o12 << 8) | (1 << 4));
    assert_eq!(p[3], 0o022202);
    // A labeled VWD starts a word; two 32-bit fields make one word, not two.
    assert_eq!(a.symbols["WORD"].value.value, 1);
    assert_eq!(a.words[1], (1 << 32) | 2);
    // The instruction after the last field starts at the next parcel.
    assert_eq!(p[8], 3);
    assert_eq!(&p[9..11], &[0o040100, 2]);
}
