//! Cray floating point against the reference vectors: corpus/fp-vectors.tsv and the
//! worked octal examples of ISA.md 5.4 and 5.6.

use cray_emulator::float::{add, multiply, reciprocal, subtract, FloatResult, MultiplyKind};

/// One row of fp-vectors.tsv: x, y, x +F y, x *F y, and a reciprocal column.
///
/// The file's header calls the last column `recip_x`, but its values are the
/// reciprocal approximation of **y**: all 24 rows match `/H y` (e.g. y = 2.0 gives
/// 3fffffffffff8000, ISA.md 5.4's 0377777777777777700000), while only the rows with
/// x = y match `/H x`. The test therefore checks `/H y`.
struct Row {
    line: usize,
    words: [u64; 5],
}

fn corpus_rows() -> Vec<Row> {
    let text = String::from_utf8(isa_tests::read_corpus("fp-vectors.tsv"))
        .expect("fp-vectors.tsv is text");
    let mut rows = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        if line.trim().is_empty() || line.starts_with('#') || line.starts_with("x\t") {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(
            fields.len(),
            5,
            "{}:{line_number}: want 5 columns",
            path.display()
        );
        let mut words = [0u64; 5];
        for (word, field) in words.iter_mut().zip(&fields) {
            *word = u64::from_str_radix(field.trim(), 16).unwrap_or_else(|e| {
                panic!(
                    "{}:{line_number}: bad hex word {field:?}: {e}",
                    path.display()
                )
            });
        }
        rows.push(Row {
            line: line_number,
            words,
        });
    }
    rows
}

#[test]
fn corpus_vectors_are_bit_exact() {
    let rows = corpus_rows();
    assert!(rows.len() >= 24, "only {} vectors", rows.len());
    for Row { line, words } in rows {
        let [x, y, sum, product, recip_y] = words;
        assert_eq!(add(x, y).value, sum, "line {line}: {x:022o} +F {y:022o}");
        assert_eq!(
            multiply(x, y, MultiplyKind::Full).value,
            product,
            "line {line}: {x:022o} *F {y:022o}"
        );
        assert_eq!(reciprocal(y).value, recip_y, "line {line}: /H {y:022o}");
    }
}

/// ISA.md 5.6: x, y, x +F y, x *F y.
const ADD_MULTIPLY_TABLE: [[u64; 4]; 13] = [
    [
        0o0400014000000000000000,
        0o0400014000000000000000,
        0o0400024000000000000000,
        0o0400014000000000000000,
    ],
    [
        0o0400016000000000000000,
        0o0400016000000000000000,
        0o0400026000000000000000,
        0o0400024400000000000000,
    ],
    [
        0o0400010000777700007777,
        0o0400024000000000000000,
        0o0400024000377740003777,
        0o0400020000777700007777,
    ],
    [
        0o1400007700000000000000,
        0o0377777400000000000000,
        0o1400004100000000000000,
        0o1377777304000000000000,
    ],
    [
        0o0400007740000000000000,
        0o0377767600000000000000,
        0o0400014740000000000000,
        0o0377767541000000000000,
    ],
    [
        0o1400007770000000000000,
        0o1377474000000000000000,
        0o1400007770000020000000,
        0o0377467770000000000000,
    ],
    [
        0o0400017777000077770000,
        0o0400047777000077770000,
        0o0400054377340043773400,
        0o0400057776000277740003,
    ],
    [
        0o1400027777000077770000,
        0o0400100077770000777700,
        0o0000000000000000000000,
        0o1400110177740005777000,
    ],
    [
        0o1377767777777777777777,
        0o0400004000000000000001,
        0o0377774000000000000004,
        0o1377764000000000000000,
    ],
    [
        0o0400015252525252525252,
        0o0400015252525252525252,
        0o0400025252525252525252,
        0o0400017070707070707067,
    ],
    [
        0o1400012525252525252525,
        0o1400315252525252525252,
        0o1400315252525277777777,
        0o0400313434343434343433,
    ],
    [
        0o0377777777774177746350,
        0o1400004000000000000000,
        0o1377547400063060000000,
        0o1377767777774177746350,
    ],
    [
        0o1377777777777777777777,
        0o0400007777777777777777,
        0o0400004000000000000000,
        0o1377777777777777777775,
    ],
];

#[test]
fn isa_add_multiply_examples() {
    for [x, y, sum, product] in ADD_MULTIPLY_TABLE {
        assert_eq!(add(x, y), ok(sum), "{x:022o} +F {y:022o}");
        assert_eq!(
            multiply(x, y, MultiplyKind::Full),
            ok(product),
            "{x:022o} *F {y:022o}"
        );
    }
}

#[test]
fn isa_additional_checks() {
    const ONE: u64 = 0o0400014000000000000000;
    const THREE: u64 = 0o0400026000000000000000;
    assert_eq!(add(ONE, ONE), ok(0o0400024000000000000000));
    assert_eq!(
        multiply(THREE, THREE, MultiplyKind::Full),
        ok(0o0400044400000000000000)
    );
    // `Si +FAk` with Ak = 5, then `Si +FSi` normalizes it to 5.0.
    let five_integer = 0o0400600000000000000005;
    assert_eq!(add(0, five_integer), ok(0o0400035000000000000000));
    assert_eq!(0o0400035000000000000000u64, 0x4003_A000_0000_0000u64);
    // Fix idiom (ISA.md 5.7): 3.7 + 0.6 puts the integer part in the low bits.
    let three_point_seven = 0o0400027314631463146315;
    let fix_constant = 0o0400606000000000000000;
    assert_eq!(
        add(three_point_seven, fix_constant),
        ok(0o0400606000000000000003)
    );
}

/// ISA.md 5.4: x, /H x.
const RECIPROCAL_TABLE: [[u64; 2]; 12] = [
    [0o0400014000000000000000, 0o0400007777777777700000],
    [0o0400016000000000000000, 0o0400005252525252500000],
    [0o0400024000000000000000, 0o0377777777777777700000],
    [0o0400044000000000000000, 0o0377757777777777700000],
    [0o0377777400000000000000, 0o0400024210421042100000],
    [0o0377767600000000000000, 0o0400034102041020400000],
    [0o0400047777000077770000, 0o0377754000400000000000],
    [0o0400004000000000000001, 0o0400017777777777700000],
    [0o0400015252525252525252, 0o0400005777777777600000],
    [0o1400315252525252525252, 0o1377505777777777600000],
    [0o1400004000000000000000, 0o1400017777777777700000],
    [0o0400007777777777777777, 0o0400014000000000000000],
];

#[test]
fn isa_reciprocal_examples() {
    for [x, recip] in RECIPROCAL_TABLE {
        assert_eq!(reciprocal(x), ok(recip), "/H {x:022o}");
    }
}

#[test]
fn isa_divide_idiom() {
    let three = 0o0400026000000000000000;
    let r = reciprocal(three);
    assert_eq!(r, ok(0o0377775252525252500000));
    let correction = multiply(three, r.value, MultiplyKind::ReciprocalIteration);
    assert_eq!(correction, ok(0o0400014000000000020000));
    let third = multiply(r.value, correction.value, MultiplyKind::Full);
    assert_eq!(third, ok(0o0377775252525252525252));
}

fn ok(value: u64) -> FloatResult {
    FloatResult {
        value,
        error: false,
    }
}

// ---- Edge cases (ISA.md 5.2, 5.3, 5.5) ----

const ONE: u64 = 0o0400014000000000000000;
const TWO: u64 = 0o0400024000000000000000;
const SIGN: u64 = 1 << 63;

#[test]
fn unnormalized_operands() {
    // Add normalizes; multiply does not.
    let half_unnormalized = 0o0400012000000000000000; // 0.25 × 2^1 = 0.5
    assert_eq!(add(half_unnormalized, 0), ok(0o0400004000000000000000));
    assert_eq!(
        multiply(half_unnormalized, ONE, MultiplyKind::Full),
        ok(half_unnormalized)
    );
    assert_eq!(
        multiply(half_unnormalized, half_unnormalized, MultiplyKind::Full),
        ok(0o0400011000000000000000)
    );
}

#[test]
fn underflowing_operands_are_zero() {
    let tiny = 0o0177774000000000000000; // exponent 017777
    assert_eq!(add(tiny, ONE), ok(ONE));
    assert_eq!(add(tiny, tiny), ok(0));
    assert_eq!(multiply(tiny, ONE, MultiplyKind::Full), ok(0));
    // Products below the range are zero without error.
    let small = 0o0200004000000000000000;
    assert_eq!(multiply(small, small, MultiplyKind::Full), ok(0));
}

#[test]
fn total_cancellation_gives_all_zero_word() {
    assert_eq!(subtract(ONE, ONE), ok(0));
    assert_eq!(add(ONE | SIGN, ONE), ok(0));
    assert_eq!(subtract(ONE | SIGN, ONE | SIGN), ok(0));
}

#[test]
fn carry_out_shifts_right() {
    assert_eq!(add(ONE, ONE), ok(TWO));
    let almost_one = 0o0400007777777777777777;
    // 0.11…1 + 0.11…1 = 1.11…10 → 0.111…1 × 2^1, truncated.
    assert_eq!(add(almost_one, almost_one), ok(0o0400017777777777777777));
}

#[test]
fn overflow_sets_error() {
    let largest = 0x5FFF_FFFF_FFFF_FFFF;
    assert!(add(largest, largest).error);
    assert!(!add(largest, 0).error);
    assert!(multiply(largest, TWO, MultiplyKind::Full).error);
    assert!(!multiply(largest, ONE, MultiplyKind::Full).error);
    let out_of_range = 0o0600004000000000000000;
    assert!(add(out_of_range, 0).error);
    assert!(subtract(ONE, out_of_range).error);
    assert!(multiply(out_of_range, 0, MultiplyKind::Full).error);
    for kind in [
        MultiplyKind::Full,
        MultiplyKind::Half,
        MultiplyKind::Rounded,
        MultiplyKind::ReciprocalIteration,
    ] {
        assert!(multiply(ONE, out_of_range, kind).error, "{kind:?}");
    }
    assert!(reciprocal(out_of_range).error);
}

#[test]
fn reciprocal_range_errors() {
    let zero = reciprocal(0);
    assert!(zero.error);
    assert_eq!(zero.value >> 48, 0o60000);
    let lowest_bad = 0o0200014000000000000000; // exponent 020001
    assert!(reciprocal(lowest_bad).error);
    let lowest_good = 0o0200024000000000000000; // exponent 020002
    let r = reciprocal(lowest_good);
    assert!(!r.error);
    assert_eq!(r.value >> 48, 0o57777);
}
