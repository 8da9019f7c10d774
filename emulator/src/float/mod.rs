//! Bit-exact Cray floating point (ISA.md section 5).
//!
//! A Cray floating word is sign-magnitude: bit 2^63 is the coefficient sign, bits
//! 2^62..2^48 the exponent biased by 040000, bits 2^47..2^0 a 48-bit coefficient with
//! the binary point left of 2^47 and no hidden bit. The functional units truncate;
//! each operation here reproduces the documented unit model bit for bit.
//!
//! Every operation is a pure function of its operand words, never panics and never
//! allocates. It returns a [`FloatResult`]: the result word and whether the floating
//! point error flag must be raised (ISA.md 5.5).
//!
//! **Overflow behaviour (a choice; the hardware's result bits are unknown).** When an
//! operand exponent or the computed result exponent is >= 060000 the result word is
//! still the one the unit model computes, with the exponent packed modulo 2^15 (only
//! its low 15 bits are kept, so it never spills into the sign bit), and `error` is
//! `true`. Underflow (exponent < 020000) produces +0 without error.

mod add;
mod host;
mod multiply;
mod reciprocal;
pub mod wide;

pub use add::{add, difference, subtract, sum};
pub use host::{from_f64, to_f64};
pub use multiply::{multiply, product, MultiplyKind};
use multiply::{product_as, Multiplier, SHORT_MULTIPLIER_LOW_BITS};
pub use reciprocal::{reciprocal, truncmul};

/// Result of a floating operation: the 64-bit result word and whether the FP error
/// flag must be raised (overflow: operand or result exponent >= 060000; reciprocal of
/// an out-of-range operand or zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloatResult {
    /// The result word as the unit delivers it.
    pub value: u64,
    /// Whether the floating point error flag (F bit 33) must be set.
    pub error: bool,
}

/// Exponent bias: the exponent field of 1.0 × 2^0 is 040000.
pub const EXPONENT_BIAS: u64 = 0o40000;
/// Smallest in-range exponent field; fields below it underflow.
pub const EXPONENT_MIN: u64 = 0o20000;
/// First out-of-range exponent field; fields at or above it overflow.
pub const EXPONENT_OVERFLOW: u64 = 0o60000;
/// Sign bit (Cray bit 0, 2^63).
pub const SIGN_BIT: u64 = 1 << 63;
/// Mask of the 48-bit coefficient.
pub const COEFFICIENT_MASK: u64 = (1 << 48) - 1;
/// The normalizing bit of the coefficient (2^47).
pub const NORMAL_BIT: u64 = 1 << 47;
/// Mask of the 15-bit exponent field once shifted down.
const EXPONENT_FIELD: u64 = 0o77777;

/// The sign bit of `x` (true = negative).
#[inline]
pub fn sign(x: u64) -> bool {
    x & SIGN_BIT != 0
}

/// The 15-bit biased exponent field of `x`.
#[inline]
pub fn exponent(x: u64) -> u64 {
    (x >> 48) & EXPONENT_FIELD
}

/// The 48-bit coefficient of `x`.
#[inline]
pub fn coefficient(x: u64) -> u64 {
    x & COEFFICIENT_MASK
}

/// Whether an exponent field is out of range high (>= 060000).
#[inline]
pub fn is_overflow_exponent(e: u64) -> bool {
    e >= EXPONENT_OVERFLOW
}

/// Whether the exponent field of `x` is out of range high (>= 060000), tested on the
/// word itself: the field is >= 060000 exactly when its two top bits (word bits
/// 2^62 and 2^61) are both set.
#[inline(always)]
pub fn overflow_exponent_in(x: u64) -> bool {
    overflow_bits(x) & OVERFLOW_BIT != 0
}

/// The bit of [`overflow_bits`] that is set when an exponent is out of range.
const OVERFLOW_BIT: u64 = SIGN_BIT >> 1;

/// `x` with bit 2^62 ([`OVERFLOW_BIT`]) set when its exponent is out of range high:
/// the test of [`overflow_exponent_in`] before its mask, so that a loop over many words
/// can or them together and test the mask once at its end.
#[inline(always)]
fn overflow_bits(x: u64) -> u64 {
    x & (x << 1)
}

/// Assembles a word from sign, exponent and coefficient. The exponent is kept modulo
/// 2^15 (see the module documentation on overflow) and the coefficient modulo 2^48.
#[inline]
pub fn pack(negative: bool, e: u64, c: u64) -> u64 {
    (if negative { SIGN_BIT } else { 0 }) | ((e & EXPONENT_FIELD) << 48) | (c & COEFFICIENT_MASK)
}

/// Operand words for the tests that compare the branch-free units with their
/// definitions: every exponent class (zero, underflowing, near the limits, overflowing,
/// anywhere) with full, short and zero coefficients, both signs, and pairs whose
/// exponents are close so that alignment, carries and cancellation all occur.
#[cfg(test)]
mod test_operands {
    use super::{pack, COEFFICIENT_MASK};

    /// `count` pseudo-random operand pairs (a fixed xorshift sequence).
    pub(super) fn operand_pairs(count: usize) -> impl Iterator<Item = (u64, u64)> {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        (0..count).map(move |_| {
            let x = operand(next(), next());
            let y = if next() % 4 == 0 {
                // Close to x: same or neighbouring exponent, similar coefficient.
                let r = next();
                let e = ((x >> 48) & 0o77777).wrapping_add(r % 5).wrapping_sub(2);
                pack(r >> 63 != 0, e, x ^ (r >> (8 + (r >> 3) % 56)))
            } else {
                operand(next(), next())
            };
            (x, y)
        })
    }

    fn operand(r: u64, c: u64) -> u64 {
        let negative = r >> 63 != 0;
        let exponent = match r % 9 {
            0 => 0,
            1 => 1 + (r >> 8) % 0o17777,
            2 => 0o17770 + (r >> 8) % 0o30,
            3 => 0o37760 + (r >> 8) % 0o40,
            4 => 0o57760 + (r >> 8) % 0o30,
            5 => 0o60000 + (r >> 8) % 0o20000,
            6 => 0o77770 + (r >> 8) % 0o10,
            _ => (r >> 8) & 0o77777,
        };
        let coefficient = match (r >> 24) % 6 {
            0 => c | (1 << 47),
            1 => (c & COEFFICIENT_MASK) >> ((r >> 32) % 48),
            2 => 0,
            3 => COEFFICIENT_MASK,
            4 => 1 << ((r >> 32) % 48),
            _ => c,
        };
        pack(negative, exponent, coefficient)
    }
}
