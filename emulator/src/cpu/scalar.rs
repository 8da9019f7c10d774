//! Scalar instructions: masks, shifts (ISA.md 4.2, 4.4), integer-to-float transfers
//! and constants (071), and the scalar glue to the floating-point units.

use super::{Cpu, Stop};
use crate::float::{multiply, reciprocal, FloatResult, MultiplyKind};
use crate::isa::Instruction;

/// 042: (64 - jk) ones right-justified; jk = 0 gives all ones.
#[inline(always)]
pub(crate) fn mask_right(jk: usize) -> u64 {
    u64::MAX >> (jk & 0o77)
}

/// 043: jk ones left-justified; jk = 0 gives 0.
#[inline(always)]
pub(crate) fn mask_left(jk: usize) -> u64 {
    let jk = jk & 0o77;
    if jk == 0 {
        0
    } else {
        u64::MAX << (64 - jk)
    }
}

/// Logical left shift; counts of 64 and more give 0.
#[inline(always)]
pub(crate) fn shift_left(value: u64, count: usize) -> u64 {
    if count >= 64 {
        0
    } else {
        value << count
    }
}

/// Logical right shift; counts of 64 and more give 0.
#[inline(always)]
pub(crate) fn shift_right(value: u64, count: usize) -> u64 {
    if count >= 64 {
        0
    } else {
        value >> count
    }
}

/// Left shift by a 24-bit A-register count (vector shifts): >= 64 gives 0.
#[inline(always)]
pub(crate) fn shift_left_count(value: u64, count: u32) -> u64 {
    if count >= 64 {
        0
    } else {
        value << count
    }
}

/// Right shift by a 24-bit A-register count (vector shifts): >= 64 gives 0.
#[inline(always)]
pub(crate) fn shift_right_count(value: u64, count: u32) -> u64 {
    if count >= 64 {
        0
    } else {
        value >> count
    }
}

/// High word of the 128-bit (high:low) shifted left `count` (ISA.md 4.2):
/// 0 keeps `high`, 64..127 gives `low << (count - 64)`, 128 and more give 0.
#[inline(always)]
pub(crate) fn double_shift_left(high: u64, low: u64, count: u32) -> u64 {
    match count {
        0 => high,
        1..=63 => (high << count) | (low >> (64 - count)),
        64..=127 => low << (count - 64),
        _ => 0,
    }
}

/// Low word of the 128-bit (high:low) shifted right `count` (ISA.md 4.2):
/// 0 keeps `low`, 64..127 gives `high >> (count - 64)`, 128 and more give 0.
#[inline(always)]
pub(crate) fn double_shift_right(high: u64, low: u64, count: u32) -> u64 {
    match count {
        0 => low,
        1..=63 => (low >> count) | (high << (64 - count)),
        64..=127 => high >> (count - 64),
        _ => 0,
    }
}

/// 071i2k `Si +FAk`: unnormalized float of the signed 24-bit value, exponent 040060.
#[inline]
pub(crate) fn float_from_a(a: u32) -> u64 {
    let signed = super::operands::sign_extend_24(a) as i64;
    let sign = if signed < 0 { 1u64 << 63 } else { 0 };
    sign | (0o40060u64 << 48) | signed.unsigned_abs()
}

/// 071ij0 with j = 3..7: the floating constants 0.6 (0.75 * 2^48), 0.4, 1., 2., 4.
#[inline]
pub(crate) fn float_constant(j: usize) -> u64 {
    match j {
        3 => 0o0400606000000000000000,
        4 => 0o0400004000000000000000,
        5 => 0o0400014000000000000000,
        6 => 0o0400024000000000000000,
        _ => 0o0400034000000000000000,
    }
}

impl Cpu {
    /// 056 `Si Si,Sj<Ak`.
    #[inline]
    pub(crate) fn scalar_double_shift_left(&mut self, x: Instruction) {
        let value = double_shift_left(self.s[x.i()], self.sj(x), self.ak(x));
        self.set_si(x, value);
    }

    /// 057 `Si Sj,Si>Ak`.
    #[inline]
    pub(crate) fn scalar_double_shift_right(&mut self, x: Instruction) {
        let value = double_shift_right(self.sj(x), self.s[x.i()], self.ak(x));
        self.set_si(x, value);
    }

    /// Stores a floating result in Si and reports its error.
    #[inline(always)]
    fn float_result(&mut self, x: Instruction, at: u32, result: FloatResult) -> Result<(), Stop> {
        self.set_si(x, result.value);
        if result.error {
            return self.float_error(at);
        }
        Ok(())
    }

    /// 062, 063: floating add or subtract of Sj and Sk.
    #[inline(never)]
    pub(crate) fn scalar_float(
        &mut self,
        x: Instruction,
        at: u32,
        unit: impl Fn(u64, u64) -> FloatResult,
    ) -> Result<(), Stop> {
        let result = unit(self.sj(x), self.sk(x));
        self.float_result(x, at, result)
    }

    /// 064..067: the floating multiply family on Sj and Sk.
    #[inline(never)]
    pub(crate) fn scalar_multiply(
        &mut self,
        x: Instruction,
        at: u32,
        kind: MultiplyKind,
    ) -> Result<(), Stop> {
        let result = multiply(self.sj(x), self.sk(x), kind);
        self.float_result(x, at, result)
    }

    /// 070 `Si /HSj`.
    #[inline(never)]
    pub(crate) fn scalar_reciprocal(&mut self, x: Instruction, at: u32) -> Result<(), Stop> {
        let result = reciprocal(self.sj(x));
        self.float_result(x, at, result)
    }
}
