//! The emulator's floating point against the plain reference model of
//! `isa_tests::reference_float`, bit for bit, on random and edge-of-range operands.

use cray_emulator::float::{self, MultiplyKind};
use isa_tests::reference_float::{self as reference, Kind};
use proptest::prelude::*;

const COEFFICIENT: u64 = (1 << 48) - 1;

fn word(negative: bool, exponent: u64, coefficient: u64) -> u64 {
    (u64::from(negative) << 63) | ((exponent & 0o77777) << 48) | (coefficient & COEFFICIENT)
}

/// Normalized operands with exponents near the bottom, the middle and the top of the
/// range (including just outside it).
fn normalized_near_limits() -> impl Strategy<Value = u64> {
    let exponent = prop_oneof![
        0o17770u64..0o20020,
        0o37760u64..0o40020,
        0o57760u64..0o60010,
    ];
    (any::<bool>(), exponent, any::<u64>()).prop_map(|(s, e, c)| word(s, e, c | (1 << 47)))
}

/// In-range exponents, coefficients with some leading zeros.
fn unnormalized() -> impl Strategy<Value = u64> {
    (any::<bool>(), 0o20000u64..0o60000, any::<u64>(), 1u32..48)
        .prop_map(|(s, e, c, z)| word(s, e, (c & COEFFICIENT) >> z))
}

/// Exponent 0: integers as the multiply unit's integer mode sees them.
fn integer_mode() -> impl Strategy<Value = u64> {
    (any::<bool>(), any::<u64>(), 0u32..48).prop_map(|(s, c, z)| word(s, 0, (c & COEFFICIENT) >> z))
}

/// Underflowing (exponent 1..020000) and overflowing (>= 060000) operands.
fn out_of_range() -> impl Strategy<Value = u64> {
    let exponent = prop_oneof![1u64..0o20000, 0o60000u64..0o100000];
    (any::<bool>(), exponent, any::<u64>()).prop_map(|(s, e, c)| word(s, e, c))
}

fn operand() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => any::<u64>(),
        4 => normalized_near_limits(),
        2 => unnormalized(),
        2 => integer_mode(),
        1 => out_of_range(),
        1 => Just(0u64),
        1 => Just(1u64 << 63),
    ]
}

/// Pairs whose exponents are close, so that alignment and cancellation matter.
fn close_pair() -> impl Strategy<Value = (u64, u64)> {
    (operand(), any::<bool>(), 0u64..4, any::<u64>(), 0u32..8).prop_map(|(x, s, d, c, z)| {
        let e = (x >> 48) & 0o77777;
        // y near -x: same coefficient with a few low bits changed.
        let y = word(s, e.saturating_sub(d), (x ^ (c >> (48 + z))) & COEFFICIENT);
        (x, y)
    })
}

fn kinds() -> [(MultiplyKind, Kind); 4] {
    [
        (MultiplyKind::Full, Kind::Full),
        (MultiplyKind::Half, Kind::Half),
        (MultiplyKind::Rounded, Kind::Rounded),
        (MultiplyKind::ReciprocalIteration, Kind::Iteration),
    ]
}

fn pair(r: float::FloatResult) -> (u64, bool) {
    (r.value, r.error)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn add_matches_reference(x in operand(), y in operand()) {
        prop_assert_eq!(pair(float::add(x, y)), reference::add(x, y), "{:022o} +F {:022o}", x, y);
    }

    #[test]
    fn subtract_matches_reference(x in operand(), y in operand()) {
        prop_assert_eq!(pair(float::subtract(x, y)), reference::subtract(x, y), "{:022o} -F {:022o}", x, y);
    }

    #[test]
    fn add_and_subtract_of_close_operands_match_reference((x, y) in close_pair()) {
        prop_assert_eq!(pair(float::add(x, y)), reference::add(x, y), "{:022o} +F {:022o}", x, y);
        prop_assert_eq!(pair(float::subtract(x, y)), reference::subtract(x, y), "{:022o} -F {:022o}", x, y);
    }

    #[test]
    fn multiply_matches_reference(x in operand(), y in operand()) {
        for (kind, reference_kind) in kinds() {
            prop_assert_eq!(
                pair(float::multiply(x, y, kind)),
                reference::multiply(x, y, reference_kind),
                "{:022o} {:?} {:022o}", x, kind, y
            );
        }
    }

    #[test]
    fn reciprocal_iteration_near_one_matches_reference(x in normalized_near_limits()) {
        // The intended use: x times its reciprocal approximation, just below 1.
        let r = float::reciprocal(x).value;
        prop_assert_eq!(
            pair(float::multiply(x, r, MultiplyKind::ReciprocalIteration)),
            reference::multiply(x, r, Kind::Iteration),
            "{:022o} *I {:022o}", x, r
        );
    }

    #[test]
    fn reciprocal_matches_reference(x in operand()) {
        prop_assert_eq!(pair(float::reciprocal(x)), reference::reciprocal(x), "/H {:022o}", x);
    }

    #[test]
    fn truncmul_matches_reference(a in 0u64..1 << 37, b in 0u64..1 << 37) {
        prop_assert_eq!(
            u128::from(float::truncmul(a, b)),
            reference::truncmul(u128::from(a), u128::from(b)),
            "TRUNCMUL({:o}, {:o})", a, b
        );
    }

    #[test]
    fn results_are_in_range_or_flagged(x in operand(), y in operand()) {
        // Whenever no error is raised the result is zero or has an in-range exponent.
        for r in [float::add(x, y), float::multiply(x, y, MultiplyKind::Full)] {
            let e = (r.value >> 48) & 0o77777;
            prop_assert!(r.error || r.value == 0 || (0o20000..0o60000).contains(&e) || e == 0,
                "{:022o}", r.value);
        }
    }
}
