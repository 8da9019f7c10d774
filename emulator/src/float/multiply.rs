//! Floating multiply unit (064–067, 160–167; ISA.md 5.3).

use super::{coefficient, exponent, overflow_exponent_in, pack, FloatResult};
use super::{EXPONENT_BIAS, EXPONENT_MIN};

/// Which of the four floating multiply instructions is performed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MultiplyKind {
    /// `*F` full precision (064, 160/161).
    Full,
    /// `*H` half precision (065, 162/163): the low 19 coefficient bits come out zero.
    Half,
    /// `*R` rounded (066, 164/165).
    Rounded,
    /// `*I` reciprocal iteration (067, 166/167): 2 − x·y, for x·y just below 1.
    ReciprocalIteration,
}

/// Correction constant added to the truncated partial-product array (full multiply).
const FULL_CORRECTION: u64 = 0o22;
/// Correction constant of the rounded multiply.
const ROUNDED_CORRECTION: u64 = 0o22 | 0o300;
/// Correction constant of the half-precision multiply: rounds below the kept bits.
const HALF_CORRECTION: u64 = 0o22 | (1 << 24) | (1 << 25);
/// Half precision clears the low 27 accumulator bits (19 coefficient bits).
const HALF_MASK: u64 = !((1 << 27) - 1);
/// Accumulator bit that signals a coefficient product >= 1/2.
const ACC_CARRY_BIT: u64 = 1 << 56;

/// Floating product `x * y` of the given kind, as the floating multiply unit forms it
/// from its truncated partial-product pyramid. Operands with a nonzero exponent below
/// 020000 are taken as zero; a zero word gives +0. If both exponent fields are zero the
/// unit multiplies in integer mode (result exponent 0, no exponent adjustment, and the
/// half-precision clearing is not applied). The product is not post-normalized. See the
/// module documentation on overflow.
///
/// Always inlined: the vector loops call it with a constant `kind`.
#[inline(always)]
pub fn multiply(x: u64, y: u64, kind: MultiplyKind) -> FloatResult {
    let value = product(x, y, kind);
    FloatResult {
        value,
        error: overflow_exponent_in(x) || overflow_exponent_in(y) || overflow_exponent_in(value),
    }
}

/// The result word of [`multiply`] alone. Its error flag is whether `x`, `y` or this
/// word has an out-of-range exponent (see [`overflow_exponent_in`]): a result exponent
/// that is out of range but wraps modulo 2^15 needs an operand exponent >= 060000, and
/// the zero and integer-mode results have exponent 0.
///
/// Written without branches on the operands: every case is computed and the word
/// chosen by selects, so that the vector loops keep their pipelines full.
#[inline(always)]
pub fn product(x: u64, y: u64, kind: MultiplyKind) -> u64 {
    product_as(x, y, kind, Multiplier::Tested)
}

/// What is known of the multiplier's low bits when [`product_as`] forms a product:
/// always a constant where it is called, so that the tests it implies fold away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Multiplier {
    /// Nothing: one test skips the low bytes of short multipliers (scalar code, where
    /// a branch is cheap and short multipliers common).
    Tested,
    /// The coefficient of `y` has no bits below 2^39 ([`SHORT_MULTIPLIER_LOW_BITS`]):
    /// the low bytes are not computed.
    Short,
    /// Anything: the low bytes are computed without a test (a zero byte adds 0), so
    /// that a loop over many elements has no branch and vectorises.
    Whole,
}

/// The bits of a multiplier coefficient below its high 9 (2^47..2^39): where none is
/// set, the pyramid is one product ([`pyramid`]).
pub(crate) const SHORT_MULTIPLIER_LOW_BITS: u64 = (1 << 39) - 1;

/// [`product`] with what is known of the multiplier (see [`Multiplier`]); the same word
/// whichever is given, as long as `Short` is given only for short multipliers.
#[inline(always)]
pub(crate) fn product_as(x: u64, y: u64, kind: MultiplyKind, multiplier: Multiplier) -> u64 {
    let (ex, ey) = (exponent(x), exponent(y));
    let negative = (x ^ y) >> 63 != 0;

    let product = pyramid(coefficient(x), coefficient(y), multiplier);
    let acc = match kind {
        MultiplyKind::Full => product.wrapping_add(FULL_CORRECTION),
        MultiplyKind::Rounded => product.wrapping_add(ROUNDED_CORRECTION),
        MultiplyKind::Half => product.wrapping_add(HALF_CORRECTION),
        MultiplyKind::ReciprocalIteration => !product.wrapping_add(!FULL_CORRECTION),
    };

    // Floating mode: the biased sum of exponents, one lower to account for the
    // normalizing bit, one higher again when the coefficient product is >= 1/2 (the
    // accumulator then shifts right once). Both fields are < 2^15, so `sum` is exact;
    // a result exponent below 020000 (`sum` below 060001) underflows to zero.
    let carry = (acc & ACC_CARRY_BIT) >> 56;
    let sum = ex + ey + carry;
    let mut kept = acc >> carry;
    if kind == MultiplyKind::Half {
        kept &= HALF_MASK;
    }

    // Integer mode (both exponent fields zero): exponent 0, the accumulator halved,
    // no half-precision clearing and no underflow.
    let integer_mode = ex | ey == 0;
    let (e, kept) = if integer_mode {
        (0, acc >> 1)
    } else {
        (sum.wrapping_sub(EXPONENT_BIAS + 1), kept)
    };
    let underflow = !integer_mode && sum < EXPONENT_BIAS + 1 + EXPONENT_MIN;

    let zero = x == 0 || y == 0 || underflows(ex) || underflows(ey) || underflow;
    if zero {
        0
    } else {
        pack(negative, e, kept >> 8)
    }
}

/// The truncated partial-product array of the coefficients `c` (the multiplicand) and
/// `b`: for every set bit `t` of the 48-bit `b`, the multiplicand as the unit holds it,
/// `a = c << 8`, shifted right by `47 − t` (each term truncated on its own), is summed.
/// The sum is below 2^57.
///
/// The terms of bits `t >= 39` are exact (`a` has 8 low zero bits), so they are the one
/// product `c · (b >> 39)`. The other 39 bits are taken a byte at a time, the bits
/// `t = t0 + j` of the byte at `t0` = 31, 23, 15, 7, −1 (bit −1 being 0): their terms
/// are `s >> (7 − j)` with `s = c >> (32 − t0)`, and their sum is the one product
/// `(s · byte) >> 7` less the fractional carries that the separate truncations lose,
/// which depend only on `s mod 128` and the byte ([`TRUNCATION_LOSS`]). Six multiplies
/// and five lookups replace up to 48 shifts and adds; the tests compare it with the
/// bit-by-bit definition (`pyramid_by_bits`, in the tests). A zero byte costs the same as any
/// other (its loss is 0), so the bytes are not tested one by one.
///
/// Short multipliers (1.0, 0.5, 3.0, small integers) have no low bits, so no bytes to
/// add: `multiplier` says whether that is tested, known, or not looked at.
#[inline(always)]
fn pyramid(c: u64, b: u64, multiplier: Multiplier) -> u64 {
    let mut acc = c * (b >> 39);
    let has_low_bits = match multiplier {
        Multiplier::Tested => b & SHORT_MULTIPLIER_LOW_BITS != 0,
        Multiplier::Short => false,
        Multiplier::Whole => true,
    };
    if has_low_bits {
        // `b << 1` puts bit t0 of b at bit t0 + 1, so the byte at t0 = −1 is its low
        // byte.
        let low = b << 1;
        for k in 0..5 {
            let byte = ((low >> (32 - 8 * k)) & 0xFF) as usize;
            let s = c >> (1 + 8 * k);
            let loss = TRUNCATION_LOSS[(s & 0x7F) as usize][byte];
            acc += ((s * byte as u64) >> 7) - u64::from(loss);
        }
    }
    acc
}

/// The definition of [`pyramid`], bit by bit (kept for the tests).
#[cfg(test)]
fn pyramid_by_bits(a: u64, b: u64) -> u64 {
    let mut acc = 0u64;
    let mut bits = b & super::COEFFICIENT_MASK;
    while bits != 0 {
        let t = bits.trailing_zeros();
        acc += a >> (47 - t);
        bits &= bits - 1;
    }
    acc
}

/// `TRUNCATION_LOSS[r][byte]` = `(r · byte) >> 7` − Σ over set bits j of byte of
/// `(r << j) >> 7`: what truncating each term separately loses against truncating
/// their sum once, for the low 7 bits `r` of the shifted multiplicand.
static TRUNCATION_LOSS: [[u8; 256]; 128] = truncation_loss_table();

const fn truncation_loss_table() -> [[u8; 256]; 128] {
    let mut table = [[0u8; 256]; 128];
    let mut r = 0;
    while r < 128 {
        let mut byte = 0;
        while byte < 256 {
            let whole = (r * byte) >> 7;
            let mut separate = 0;
            let mut j = 0;
            while j < 8 {
                if byte & (1 << j) != 0 {
                    separate += (r << j) >> 7;
                }
                j += 1;
            }
            table[r][byte] = (whole - separate) as u8;
            byte += 1;
        }
        r += 1;
    }
    table
}

/// An operand whose exponent field `e` is nonzero but below 020000 enters as zero.
#[inline(always)]
fn underflows(e: u64) -> bool {
    e != 0 && e < EXPONENT_MIN
}

#[cfg(test)]
mod tests {
    use super::super::test_operands::operand_pairs;
    use super::super::{sign, EXPONENT_BIAS};
    use super::*;

    /// The multiply unit as first written, with early returns: the reference the
    /// branch-free [`product`] and its error rule are checked against.
    fn multiply_by_cases(x: u64, y: u64, kind: MultiplyKind) -> FloatResult {
        let operand_overflow = super::super::is_overflow_exponent(exponent(x))
            || super::super::is_overflow_exponent(exponent(y));
        let x = zero_if_underflow(x);
        let y = zero_if_underflow(y);
        if x == 0 || y == 0 {
            return FloatResult {
                value: 0,
                error: operand_overflow,
            };
        }
        let (ex, ey) = (exponent(x), exponent(y));
        let negative = sign(x) != sign(y);
        let integer_mode = ex == 0 && ey == 0;

        let product = pyramid(coefficient(x), coefficient(y), Multiplier::Tested);
        let mut acc = match kind {
            MultiplyKind::Full => product.wrapping_add(FULL_CORRECTION),
            MultiplyKind::Rounded => product.wrapping_add(ROUNDED_CORRECTION),
            MultiplyKind::Half => product.wrapping_add(HALF_CORRECTION),
            MultiplyKind::ReciprocalIteration => !product.wrapping_add(!FULL_CORRECTION),
        };

        let e = if integer_mode {
            acc >>= 1;
            0
        } else {
            // Biased sum of exponents, one lower to account for the normalizing bit;
            // both fields are < 2^15, so this cannot overflow an i64.
            let mut e = (ex + ey) as i64 - (EXPONENT_BIAS as i64 + 1);
            if acc & ACC_CARRY_BIT != 0 {
                e += 1;
                acc >>= 1;
            }
            if e < EXPONENT_MIN as i64 {
                return FloatResult {
                    value: 0,
                    error: operand_overflow,
                };
            }
            if kind == MultiplyKind::Half {
                acc &= HALF_MASK;
            }
            e as u64
        };

        FloatResult {
            value: pack(negative, e, acc >> 8),
            error: operand_overflow || super::super::is_overflow_exponent(e),
        }
    }

    fn zero_if_underflow(x: u64) -> u64 {
        if underflows(exponent(x)) {
            0
        } else {
            x
        }
    }

    #[test]
    fn branch_free_multiply_equals_the_multiply_by_cases() {
        let kinds = [
            MultiplyKind::Full,
            MultiplyKind::Half,
            MultiplyKind::Rounded,
            MultiplyKind::ReciprocalIteration,
        ];
        for (x, y) in operand_pairs(200_000) {
            for kind in kinds {
                assert_eq!(
                    multiply(x, y, kind),
                    multiply_by_cases(x, y, kind),
                    "{x:022o} {kind:?} {y:022o}"
                );
            }
        }
    }

    #[test]
    fn byte_wise_pyramid_equals_the_bit_by_bit_definition() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let c = x >> 16;
            // Some multipliers with runs of zero bytes, as round numbers have.
            let b = x.rotate_left(23) & super::super::COEFFICIENT_MASK & !(x << 40 >> (x % 48));
            assert_eq!(
                pyramid(c, b, Multiplier::Tested),
                pyramid_by_bits(c << 8, b),
                "{c:#x} * {b:#x}"
            );
            assert_eq!(
                pyramid(c, b, Multiplier::Whole),
                pyramid_by_bits(c << 8, b),
                "{c:#x} * {b:#x}"
            );
            let short = b & !SHORT_MULTIPLIER_LOW_BITS;
            assert_eq!(
                pyramid(c, short, Multiplier::Short),
                pyramid_by_bits(c << 8, short),
                "{c:#x} * {short:#x}"
            );
        }
        let all = super::super::COEFFICIENT_MASK;
        assert_eq!(
            pyramid(all, all, Multiplier::Tested),
            pyramid_by_bits(all << 8, all)
        );
    }

    #[test]
    fn pyramid_is_exact_for_every_byte_value_at_every_byte_position() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut multiplicands = vec![0, 1, 0x7F, 0x80, super::super::COEFFICIENT_MASK, 1 << 47];
        for _ in 0..58 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            multiplicands.push(x >> 16);
        }
        for c in multiplicands {
            for shift in 0..41 {
                for byte in 0..256u64 {
                    let b = byte << shift;
                    let want = pyramid_by_bits(c << 8, b);
                    assert_eq!(pyramid(c, b, Multiplier::Tested), want, "{c:#x} * {b:#x}");
                    assert_eq!(pyramid(c, b, Multiplier::Whole), want, "{c:#x} * {b:#x}");
                }
            }
        }
    }

    const ONE: u64 = 0o0400014000000000000000;
    const THREE: u64 = 0o0400026000000000000000;

    #[test]
    fn three_times_three() {
        let r = multiply(THREE, THREE, MultiplyKind::Full);
        assert_eq!(r.value, 0o0400044400000000000000);
        assert!(!r.error);
    }

    #[test]
    fn pyramid_of_exact_product_has_no_truncation() {
        // 2^47 × 2^47: a single term, 2^55 × 2^47 / 2^47.
        assert_eq!(pyramid(1 << 47, 1 << 47, Multiplier::Tested), 1 << 55);
        // With b = 1 only the most-shifted term remains.
        assert_eq!(pyramid(1 << 47, 1, Multiplier::Tested), 1 << 8);
        assert_eq!(pyramid(12345, 0, Multiplier::Tested), 0);
    }

    #[test]
    fn reciprocal_iteration_of_exact_one_follows_the_model() {
        // ISA.md 5.3 caveat: the model gives 3.0 for 1.0 *I 1.0.
        let r = multiply(ONE, ONE, MultiplyKind::ReciprocalIteration);
        assert_eq!(r.value, THREE);
    }

    #[test]
    fn half_precision_clears_low_coefficient_bits() {
        let third = 0o0377775252525252525252;
        let r = multiply(third, THREE, MultiplyKind::Half);
        assert_eq!(r.value & ((1 << 19) - 1), 0);
    }

    #[test]
    fn overflowing_product_raises_error() {
        let big = 0x5FFF_8000_0000_0000;
        let r = multiply(big, big, MultiplyKind::Full);
        assert!(r.error);
        assert!(!multiply(ONE, ONE, MultiplyKind::Full).error);
    }

    #[test]
    fn underflowing_product_is_zero() {
        let small = 0x2000_8000_0000_0000;
        assert_eq!(multiply(small, small, MultiplyKind::Full).value, 0);
    }
}
