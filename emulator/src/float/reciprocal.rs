//! Reciprocal approximation unit (070, 174 k=0; ISA.md 5.4).
//!
//! The unit looks up a first approximation in a 128-entry ROM indexed by the seven
//! coefficient bits after the normalizing bit, then refines it twice; the second
//! refinement multiplies on a specially truncated array ([`truncmul`]). The result
//! carries 33 significant coefficient bits (the low 15 are zero).

use super::{coefficient, exponent, sign, FloatResult, EXPONENT_OVERFLOW, NORMAL_BIT, SIGN_BIT};

/// Coefficient bits kept in the result: 2^47..2^15.
const RESULT_MASK: u64 = 0xFFFF_FFFF_8000;
/// `2·040001 − 1`: the result exponent is this minus the operand exponent.
const EXPONENT_REFLECT: u64 = 0o100001;
/// Smallest operand exponent is one above this; at or below it the result overflows.
const EXPONENT_LOW_LIMIT: u64 = 0o20001;

/// Reciprocal approximation `/H x` (about 30 correct bits). Out-of-range operands
/// (exponent <= 020001 or >= 060000, which includes zero) give exponent 060000 with
/// the normalizing bit cleared and raise the error flag.
///
/// Always inlined, and without branches on the operand, so that the vector loop over
/// 64 elements compiles to vector instructions.
#[inline(always)]
pub fn reciprocal(x: u64) -> FloatResult {
    let c = coefficient(x);
    let e = exponent(x);

    let a0 = rom_entry((x >> 40) & 0x7F);
    // First refinement: 2·A0 − A0²·C, with the product truncated term by term.
    let a0_squared = (a0 * a0) & 0xFFFF;
    let c_high = c >> 24;
    // Each term is masked in (or out) by its multiplier bit rather than tested: the
    // bits are data, and a branch on each was mispredicted half the time.
    let mut p0 = 0u64;
    for b in 0..16 {
        p0 += (c_high >> (15 - b)) & bit_mask(a0_squared, b);
    }
    let a1 = (((2 * a0) << 16).wrapping_add(a0).wrapping_sub(p0) >> 6) & 0x3FFFF;

    // Second refinement: 2·A1 − A1²·C on the truncated multiplier array.
    let b2 = (c | NORMAL_BIT) >> 11;
    let q = truncmul(a1 * a1, b2);
    let f = (a1 << 31).wrapping_sub(q << 14).wrapping_sub(1);
    let mut f = (f | NORMAL_BIT) & RESULT_MASK;

    let in_range = e > EXPONENT_LOW_LIMIT && e < EXPONENT_OVERFLOW;
    let er = if in_range {
        EXPONENT_REFLECT - e
    } else {
        f &= !NORMAL_BIT;
        EXPONENT_OVERFLOW
    };
    FloatResult {
        value: (if sign(x) { SIGN_BIT } else { 0 }) | (er << 48) | f,
        error: !in_range,
    }
}

/// The reciprocal ROM: `round(32768 / (128 + i + 0.5))` for the 7-bit index `i`,
/// i.e. `floor(65536 / (257 + 2i) + 1/2)`; values run from 255 down to 128.
#[inline(always)]
fn rom_entry(i: u64) -> u64 {
    u64::from(ROM[(i & 0x7F) as usize])
}

/// The reciprocal ROM's 128 entries (see [`rom_entry`]), computed when compiling: a
/// lookup, where a division per reciprocal cost more than the rest of the unit.
static ROM: [u8; 128] = rom();

const fn rom() -> [u8; 128] {
    let mut rom = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        let d = 257 + 2 * i as u64;
        rom[i] = ((2 * 65536 + d) / (2 * d)) as u8;
        i += 1;
    }
    rom
}

/// All ones when bit `k` of `bits` is set, else 0.
#[inline(always)]
fn bit_mask(bits: u64, k: u32) -> u64 {
    0u64.wrapping_sub(bits >> k & 1)
}

/// How many low bits of partial-product term `k` the truncated array drops, or
/// `None` for the one term (k = 2) the array leaves out altogether.
#[rustfmt::skip]
const TERM_CLEAR: [Option<u8>; 36] = [
    // G1: k = 0..7
    Some(2), Some(2), None, Some(2), Some(2), Some(2), Some(2), Some(2),
    // G2: k = 8..11
    Some(1), Some(0), Some(0), Some(0),
    // G3: k = 12..15
    Some(2), Some(2), Some(3), Some(4),
    // G4: k = 16..23
    Some(2), Some(3), Some(2), Some(2), Some(2), Some(2), Some(2), Some(2),
    // G5: k = 24..27
    Some(1), Some(0), Some(0), Some(0),
    // G6: k = 28..31
    Some(2), Some(2), Some(3), Some(4),
    // G7: k = 32..35
    Some(2), Some(2), Some(2), Some(2),
];

/// The bits each partial-product term keeps ([`TERM_CLEAR`] as masks; none for the
/// term left out), so that every term is formed the same way, without a test.
const TERM_KEEP: [u64; 36] = term_keep();

const fn term_keep() -> [u64; 36] {
    let mut keep = [0u64; 36];
    let mut k = 0;
    while k < 36 {
        if let Some(clear) = TERM_CLEAR[k] {
            keep[k] = !((1u64 << clear) - 1);
        }
        k += 1;
    }
    keep
}

/// The adder groups of the truncated array: first term, one past the last term, and
/// how many low bits of the group sum are dropped.
const GROUPS: [(usize, usize, u32); 7] = [
    (0, 8, 3),
    (8, 12, 2),
    (12, 16, 0),
    (16, 24, 3),
    (24, 28, 2),
    (28, 32, 0),
    (32, 36, 3),
];

/// The reciprocal unit's truncated product of `a` (37 bits, bit 36 unused) and `b`
/// (37 bits) — ISA.md 5.4 TRUNCMUL. Public so conformance tests can check it alone.
#[inline(always)]
// A range loop over each group's terms: the compiler unrolls it whole, where
// `iter().take().skip()` compiled to a loop that made the reciprocal three times slower.
#[allow(clippy::needless_range_loop)]
pub fn truncmul(a: u64, b: u64) -> u64 {
    let a = a & ((1 << 37) - 1);
    let b = (b & ((1 << 37) - 1)) << 3;
    let mut p = 0u64;
    for &(first, end, group_clear) in &GROUPS {
        let mut group = 0u64;
        for k in first..end {
            // Masked in by its bit of `a`, not tested (see `reciprocal`).
            group += (b >> (35 - k)) & TERM_KEEP[k] & bit_mask(a, k as u32);
        }
        p += (group >> group_clear) << group_clear;
    }
    p >>= 2;
    let round = (p >> 1) & 1;
    p >>= 2;
    p += round;
    p >> 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rom_spans_255_to_128() {
        for i in 0..128 {
            let d = 257 + 2 * i;
            assert_eq!(rom_entry(i), (2 * 65536 + d) / (2 * d), "entry {i}");
        }
        assert_eq!(rom_entry(0), 255);
        assert_eq!(rom_entry(127), 128);
        for i in 1..128 {
            assert!(rom_entry(i) <= rom_entry(i - 1));
        }
    }

    #[test]
    fn truncmul_skips_term_two_and_bit_36() {
        assert_eq!(truncmul(1 << 2, 1 << 36), 0);
        assert_eq!(truncmul(1 << 36, 1 << 36), 0);
        // Term 35 is b' itself with 2 low bits cleared: (2^36·8) >> 6 = 2^33.
        assert_eq!(truncmul(1 << 35, 1 << 36), 1 << 33);
    }

    #[test]
    fn truncmul_is_below_the_exact_product() {
        let (a, b) = (0x1_2345_6789u64, 0x1_8765_4321u64);
        let exact = (u128::from(a) * u128::from(b) * 8) >> 35 >> 6;
        let got = u128::from(truncmul(a, b));
        assert!(got <= exact + 1 && exact - got < 64, "{got:o} vs {exact:o}");
    }

    #[test]
    fn reciprocal_of_one() {
        let r = reciprocal(0o0400014000000000000000);
        assert_eq!(r.value, 0o0400007777777777700000);
        assert!(!r.error);
    }

    #[test]
    fn reciprocal_of_zero_raises_error() {
        let r = reciprocal(0);
        assert!(r.error);
        assert_eq!(exponent(r.value), EXPONENT_OVERFLOW);
        assert_eq!(r.value & NORMAL_BIT, 0);
    }
}
