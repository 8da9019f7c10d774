//! Error messages for common mistakes: every error in the file is reported, each
//! with FILE:LINE:COLUMN, the source line, a caret and what was expected.

use cray_cal::{assemble, AsmError, Options};

fn errors(source: &str) -> Vec<AsmError> {
    match assemble(source, "bad.cal", &Options::aout()) {
        Ok(_) => panic!("assembled without errors:\n{source}"),
        Err(e) => e,
    }
}

fn only(source: &str) -> AsmError {
    let mut e = errors(source);
    assert_eq!(e.len(), 1, "{e:#?}");
    e.remove(0)
}

#[test]
fn unknown_mnemonic() {
    let e = only("         IDENT     T\n         FOO       A1\n         END\n");
    assert_eq!((e.line, e.column), (2, 10));
    assert!(e.message.contains("unknown instruction"), "{}", e.message);
    assert!(e.message.contains("FOO"));
}

#[test]
fn operand_that_fits_no_form_lists_the_expected_forms() {
    let e = only("         A1        A2+\n");
    assert_eq!((e.line, e.column), (1, 20));
    assert!(e.message.contains("expected one of"), "{}", e.message);
    assert!(e.message.contains("`Ai Aj+Ak`"), "{}", e.message);
}

#[test]
fn undefined_symbol_points_at_the_symbol() {
    let e = only("         S1        NOSUCH+1\n");
    assert_eq!((e.line, e.column), (1, 20));
    assert!(
        e.message.contains("undefined symbol `NOSUCH`"),
        "{}",
        e.message
    );
    let e = only("         J         LATER\n");
    assert!(
        e.message.contains("undefined symbol `LATER`"),
        "{}",
        e.message
    );
}

#[test]
fn values_out_of_range() {
    let e = only("         S1        S1<O'100\n");
    assert_eq!(e.column, 23);
    assert!(e.message.contains("out of range"), "{}", e.message);
    let e = only("         A1        O'7777777777\n");
    assert!(e.message.contains("does not fit"), "{}", e.message);
    let e = only("         CLN       O'10\n");
    assert!(e.message.contains("expected 0..7"), "{}", e.message);
    let e = only("         B100      A1\n");
    assert!(e.message.contains("register number 100"), "{}", e.message);
}

#[test]
fn duplicate_label() {
    let e = only("HERE     A1        1\nHERE     A2        2\n");
    assert_eq!((e.line, e.column), (2, 1));
    assert!(
        e.message.contains("already defined at line 1"),
        "{}",
        e.message
    );
}

#[test]
fn bad_expressions() {
    let e = only("         S1        (1+2\n");
    assert!(e.message.contains("expected `)`"), "{}", e.message);
    let e = only("         S1        O'19\n");
    assert!(
        e.message.contains("not a valid base-8 number"),
        "{}",
        e.message
    );
    let e = only("         CON       'never closed\n");
    assert!(e.message.contains("no closing"), "{}", e.message);
}

#[test]
fn every_error_in_the_file_is_reported_with_a_caret() {
    let source = [
        "         IDENT     MANY",
        "         A1        A2+",
        "         FOO       1",
        "         S1        UNDEF",
        "X        =         1",
        "X        =         2",
        "         CLN       9",
        "         END",
    ]
    .join("\n");
    let all = errors(&source);
    let lines: Vec<usize> = all.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![2, 3, 4, 6, 7], "{all:#?}");
    let shown = all[2].to_string();
    let mut rows = shown.lines();
    assert_eq!(
        rows.next(),
        Some("bad.cal:4:20: error: undefined symbol `UNDEF`")
    );
    assert_eq!(rows.next(), Some("         S1        UNDEF"));
    assert_eq!(rows.next(), Some("                   ^"));
}

#[test]
fn errors_in_macro_expansions_name_the_macro() {
    let source = [
        "         MACRO",
        "         LOAD      REG,VALUE",
        "         REG       VALUE",
        "LOAD     ENDM",
        "         LOAD      A1,NOPE",
    ]
    .join("\n");
    let e = only(&source);
    assert_eq!(e.line, 5);
    assert!(e.message.contains("macro LOAD"), "{}", e.message);
    assert!(
        e.message.contains("undefined symbol `NOPE`"),
        "{}",
        e.message
    );
}
