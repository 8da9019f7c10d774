//! Floating add unit (062, 063, 170–173; ISA.md 5.2).

use super::{coefficient, exponent, overflow_exponent_in, pack, sign, FloatResult};
use super::{EXPONENT_MIN, SIGN_BIT};

/// Floating sum `x + y` as the floating add unit forms it: underflowing operands are
/// taken as +0, the smaller-exponent coefficient is aligned by a truncating right shift,
/// a carry shifts right once, and the result is normalized down to exponent 020000.
/// A zero result is the all-zero word. See the module documentation on overflow.
#[inline]
pub fn add(x: u64, y: u64) -> FloatResult {
    let value = sum(x, y);
    FloatResult {
        value,
        error: overflow_exponent_in(x) || overflow_exponent_in(y) || overflow_exponent_in(value),
    }
}

/// Floating difference `x - y`: the sum with the sign of `y` flipped.
#[inline]
pub fn subtract(x: u64, y: u64) -> FloatResult {
    add(x, y ^ SIGN_BIT)
}

/// The result word of [`add`] alone. Its error flag is whether `x`, `y` or this word
/// has an out-of-range exponent (see [`overflow_exponent_in`]): a result exponent
/// that is out of range but wraps modulo 2^15 needs an operand exponent >= 060000.
///
/// Written without branches on the operands (selects and masks only), so that the
/// vector loops over 64 elements keep their pipelines full whatever the data.
#[inline(always)]
pub fn sum(x: u64, y: u64) -> u64 {
    let x = underflow_to_zero(x);
    let y = underflow_to_zero(y);

    // Align on the larger exponent; bits shifted out are lost (no guard bits). One of
    // the two shifts is by 0.
    let (ex, ey) = (exponent(x), exponent(y));
    let e = ex.max(ey);
    let cx = shift_right(coefficient(x), e - ex);
    let cy = shift_right(coefficient(y), e - ey);

    // Signed sum of the 48-bit magnitudes (no overflow in an i64): with opposite
    // signs the larger magnitude decides the sign; an exact cancellation gives the
    // all-zero word below whatever the sign.
    let opposite = (x ^ y) >> 63 != 0;
    let total = cx as i64 + if opposite { -(cy as i64) } else { cy as i64 };
    let negative = sign(x) != (total < 0);
    let magnitude = total.unsigned_abs();

    // Normalize with the magnitude at the top of a word: `magnitude` < 2^49, so
    // `top` holds it whole, and shifting `top` left by its leading zeros less one puts
    // the normalizing bit at 2^47 of the coefficient, one step right when the sum
    // carried out of the coefficient. Normalization never goes below the smallest
    // in-range exponent; a nonzero magnitude comes from an operand with exponent
    // >= 020000, so `e >= EXPONENT_MIN` then. For a zero magnitude the shift is
    // meaningless and the word is 0.
    let top = magnitude << 15;
    let shift = u64::from((top | 1).leading_zeros()).min((e + 1).wrapping_sub(EXPONENT_MIN));
    let word = pack(negative, (e + 1).wrapping_sub(shift), (top << shift) >> 16);
    if magnitude == 0 {
        0
    } else {
        word
    }
}

/// The result word of [`subtract`] alone (see [`sum`]).
#[inline(always)]
pub fn difference(x: u64, y: u64) -> u64 {
    sum(x, y ^ SIGN_BIT)
}

/// `c >> distance`, 0 for distances of 64 and more.
#[inline(always)]
fn shift_right(c: u64, distance: u64) -> u64 {
    if distance < 64 {
        c >> distance
    } else {
        0
    }
}

/// An operand whose exponent underflows (< 020000) enters the add unit as +0.
#[inline(always)]
fn underflow_to_zero(x: u64) -> u64 {
    if exponent(x) < EXPONENT_MIN {
        0
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_operands::operand_pairs;
    use super::*;

    /// The add unit as first written, with early returns: the reference the
    /// branch-free [`sum`] and its error rule are checked against.
    fn add_by_cases(x: u64, y: u64) -> FloatResult {
        let operand_overflow = super::super::is_overflow_exponent(exponent(x))
            || super::super::is_overflow_exponent(exponent(y));
        let x = zero_if_underflow(x);
        let y = zero_if_underflow(y);
        let (ex, ey) = (exponent(x), exponent(y));
        let (mut cx, mut cy) = (coefficient(x), coefficient(y));

        // Align on the larger exponent; bits shifted out are lost (no guard bits).
        let mut e = ex.max(ey);
        cx >>= (e - ex).min(63);
        cy >>= (e - ey).min(63);

        let (negative, mut magnitude) = if sign(x) == sign(y) {
            (sign(x), cx + cy)
        } else {
            // Magnitudes of opposite sign: the larger one decides the sign.
            let (positive, negative) = if sign(x) { (cy, cx) } else { (cx, cy) };
            if positive >= negative {
                (false, positive - negative)
            } else {
                (true, negative - positive)
            }
        };

        if magnitude >> 48 != 0 {
            magnitude >>= 1;
            e += 1;
        }
        if magnitude == 0 {
            return FloatResult {
                value: 0,
                error: operand_overflow,
            };
        }

        // Normalize, but never below the smallest in-range exponent. A nonzero magnitude
        // comes from an operand with exponent >= 020000, so `e >= EXPONENT_MIN` here.
        let leading = u64::from(magnitude.leading_zeros()) - 16;
        let shift = leading.min(e - EXPONENT_MIN);
        magnitude <<= shift;
        e -= shift;

        FloatResult {
            value: pack(negative, e, magnitude),
            error: operand_overflow || super::super::is_overflow_exponent(e),
        }
    }

    fn zero_if_underflow(x: u64) -> u64 {
        if exponent(x) < EXPONENT_MIN {
            0
        } else {
            x
        }
    }

    #[test]
    fn branch_free_add_equals_the_add_by_cases() {
        for (x, y) in operand_pairs(400_000) {
            assert_eq!(add(x, y), add_by_cases(x, y), "{x:022o} +F {y:022o}");
            let minus = y ^ SIGN_BIT;
            assert_eq!(
                subtract(x, y),
                add_by_cases(x, minus),
                "{x:022o} -F {y:022o}"
            );
        }
    }

    #[test]
    fn one_plus_one_is_two() {
        let r = add(0o0400014000000000000000, 0o0400014000000000000000);
        assert_eq!(r.value, 0o0400024000000000000000);
        assert!(!r.error);
    }

    #[test]
    fn total_cancellation_is_all_zero() {
        let one = 0o0400014000000000000000;
        assert_eq!(subtract(one, one).value, 0);
        assert_eq!(add(one, one | SIGN_BIT).value, 0);
    }

    #[test]
    fn normalization_stops_at_exponent_020000() {
        let tiny = pack(false, EXPONENT_MIN, 3);
        assert_eq!(add(0, tiny).value, tiny);
    }

    #[test]
    fn overflowing_carry_raises_error() {
        let largest = 0x5FFF_FFFF_FFFF_FFFF;
        let r = add(largest, largest);
        assert_eq!(exponent(r.value), 0o60000);
        assert!(r.error);
    }
}
