//! Floating add unit (062, 063, 170–173; ISA.md 5.2).

use super::{coefficient, exponent, is_overflow_exponent, pack, sign, FloatResult};
use super::{EXPONENT_MIN, SIGN_BIT};

/// Floating sum `x + y` as the floating add unit forms it: underflowing operands are
/// taken as +0, the smaller-exponent coefficient is aligned by a truncating right shift,
/// a carry shifts right once, and the result is normalized down to exponent 020000.
/// A zero result is the all-zero word. See the module documentation on overflow.
#[inline]
pub fn add(x: u64, y: u64) -> FloatResult {
    let operand_overflow = is_overflow_exponent(exponent(x)) || is_overflow_exponent(exponent(y));
    let x = underflow_to_zero(x);
    let y = underflow_to_zero(y);
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
        error: operand_overflow || is_overflow_exponent(e),
    }
}

/// Floating difference `x - y`: the sum with the sign of `y` flipped.
#[inline]
pub fn subtract(x: u64, y: u64) -> FloatResult {
    add(x, y ^ SIGN_BIT)
}

/// An operand whose exponent underflows (< 020000) enters the add unit as +0.
#[inline]
fn underflow_to_zero(x: u64) -> u64 {
    if exponent(x) < EXPONENT_MIN {
        0
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
