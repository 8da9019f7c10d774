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

pub use add::{add, subtract};
pub use host::{from_f64, to_f64};
pub use multiply::{multiply, MultiplyKind};
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

/// Assembles a word from sign, exponent and coefficient. The exponent is kept modulo
/// 2^15 (see the module documentation on overflow) and the coefficient modulo 2^48.
#[inline]
pub fn pack(negative: bool, e: u64, c: u64) -> u64 {
    (if negative { SIGN_BIT } else { 0 }) | ((e & EXPONENT_FIELD) << 48) | (c & COEFFICIENT_MASK)
}
