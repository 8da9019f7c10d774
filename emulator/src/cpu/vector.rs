//! Vector register instructions (140..175): whole-register loops over elements
//! 0..VL-1; elements at and beyond VL keep their values. A destination that is also a
//! source must read as if it were read whole first (the hardware's result stream
//! never overtakes its operand stream): the element-by-element instructions read
//! element n of their operands before writing element n and never read it again,
//! so they work in place; the others (double shifts, compress) copy their operand.

// Working in place, a source may be the destination itself, so the loops index the
// register file instead of iterating over borrowed registers.
#![allow(clippy::needless_range_loop)]

use super::scalar::{double_shift_left, double_shift_right};
use super::{Cpu, Stop};
use crate::float::wide::{self, Operand};
use crate::float::MultiplyKind;
use crate::float::SIGN_BIT;
use crate::isa::Instruction;

/// VM bit of element `n` (element 0 is 2^63).
#[inline(always)]
fn mask_bit(n: usize) -> u64 {
    1u64 << (63 - n)
}

impl Cpu {
    /// The vector length as an element count (always 1..=64, whatever VL holds).
    #[inline(always)]
    pub(crate) fn vector_length(&self) -> usize {
        (self.vl as usize).clamp(1, 64)
    }

    /// `Vi[n] <- f(Sj, Vk[n])`.
    #[inline(never)]
    pub(crate) fn vector_scalar(&mut self, x: Instruction, f: impl Fn(u64, u64) -> u64) {
        let n = self.vector_length();
        let scalar = self.sj(x);
        let (i, k) = (x.i(), x.k());
        let v = &mut *self.v;
        for e in 0..n {
            v[i][e] = f(scalar, v[k][e]);
        }
        self.vector_not_used = false;
    }

    /// `Vi[n] <- f(Vj[n], Vk[n])`.
    #[inline(never)]
    pub(crate) fn vector_vector(&mut self, x: Instruction, f: impl Fn(u64, u64) -> u64) {
        let n = self.vector_length();
        let (i, j, k) = (x.i(), x.j(), x.k());
        let v = &mut *self.v;
        for e in 0..n {
            v[i][e] = f(v[j][e], v[k][e]);
        }
        self.vector_not_used = false;
    }

    /// `Vi[n] <- f(Vj[n])`.
    #[inline(never)]
    pub(crate) fn vector_unary(&mut self, x: Instruction, f: impl Fn(u64) -> u64) {
        let n = self.vector_length();
        let (i, j) = (x.i(), x.j());
        let v = &mut *self.v;
        for e in 0..n {
            v[i][e] = f(v[j][e]);
        }
        self.vector_not_used = false;
    }

    /// 146 `Vi Sj!Vk&VM`: Sj where the VM bit is 1, else `Vk[n]`.
    #[inline(never)]
    pub(crate) fn vector_merge_scalar(&mut self, x: Instruction) {
        let n = self.vector_length();
        let scalar = self.sj(x);
        let (i, k) = (x.i(), x.k());
        let vm = self.vm;
        let v = &mut *self.v;
        for e in 0..n {
            v[i][e] = if vm & mask_bit(e) != 0 {
                scalar
            } else {
                v[k][e]
            };
        }
        self.vector_not_used = false;
    }

    /// 147 `Vi Vj!Vk&VM`: `Vj[n]` where the VM bit is 1, else `Vk[n]`.
    #[inline(never)]
    pub(crate) fn vector_merge(&mut self, x: Instruction) {
        let n = self.vector_length();
        let (i, j, k) = (x.i(), x.j(), x.k());
        let vm = self.vm;
        let v = &mut *self.v;
        for e in 0..n {
            v[i][e] = if vm & mask_bit(e) != 0 {
                v[j][e]
            } else {
                v[k][e]
            };
        }
        self.vector_not_used = false;
    }

    /// 150, 151: single shifts of Vj by Ak (k = 0: 1); counts >= 64 give 0.
    #[inline(never)]
    pub(crate) fn vector_shift(&mut self, x: Instruction, shift: impl Fn(u64, u32) -> u64) {
        let count = self.ak(x);
        self.vector_unary(x, |v| shift(v, count));
    }

    /// 152 `Vi Vj,Vj<Ak`: element n is the high word of `(Vj[n]:Vj[n+1]) << Ak`; the
    /// last element (n = VL-1) pairs with 0.
    #[inline(never)]
    pub(crate) fn vector_double_shift_left(&mut self, x: Instruction) {
        let n = self.vector_length();
        let count = self.ak(x);
        let source = self.v[x.j()];
        let destination = &mut self.v[x.i()];
        for (e, d) in destination[..n].iter_mut().enumerate() {
            let next = if e + 1 < n { source[e + 1] } else { 0 };
            *d = double_shift_left(source[e], next, count);
        }
        self.vector_not_used = false;
    }

    /// 153 `Vi Vj,Vj>Ak`: element n is the low word of `(Vj[n-1]:Vj[n]) >> Ak`;
    /// element 0 pairs with 0.
    #[inline(never)]
    pub(crate) fn vector_double_shift_right(&mut self, x: Instruction) {
        let n = self.vector_length();
        let count = self.ak(x);
        let source = self.v[x.j()];
        let destination = &mut self.v[x.i()];
        for (e, d) in destination[..n].iter_mut().enumerate() {
            let previous = if e == 0 { 0 } else { source[e - 1] };
            *d = double_shift_right(previous, source[e], count);
        }
        self.vector_not_used = false;
    }

    /// 160..167: floating multiply family.
    #[inline(never)]
    pub(crate) fn vector_multiply(
        &mut self,
        x: Instruction,
        at: u32,
        scalar: bool,
        kind: MultiplyKind,
    ) -> Result<(), Stop> {
        self.vector_float_unit(x, at, scalar, |left, right, n, result| {
            wide::products(left, right, kind, n, result)
        })
    }

    /// 170..173: floating add (`subtract` false) or subtract.
    #[inline(never)]
    pub(crate) fn vector_float_add(
        &mut self,
        x: Instruction,
        at: u32,
        scalar: bool,
        subtract: bool,
    ) -> Result<(), Stop> {
        let flip = if subtract { SIGN_BIT } else { 0 };
        self.vector_float_unit(x, at, scalar, |left, right, n, result| {
            wide::sums(left, right, flip, n, result)
        })
    }

    /// Applies a floating unit to whole registers: `unit(left, right, n, result)` forms
    /// elements 0..n-1 of `result` from Sj (`scalar`: the same word in every element)
    /// or Vj and from Vk, on the host's vector instructions ([`wide`]), and tells whether
    /// any of those elements is in error (an operand or its result with an
    /// out-of-range exponent, as for [`crate::float::add`] and
    /// [`crate::float::multiply`]). Any element in error raises the floating-point
    /// error once, after the whole register is written.
    #[inline(always)]
    fn vector_float_unit(
        &mut self,
        x: Instruction,
        at: u32,
        scalar: bool,
        unit: impl FnOnce(Operand<'_>, &[u64; 64], usize, &mut [u64; 64]) -> bool,
    ) -> Result<(), Stop> {
        let n = self.vector_length();
        let (i, j, k) = (x.i(), x.j(), x.k());
        let sj = scalar.then(|| self.sj(x));
        let v = &mut *self.v;
        let error = if i != k && (scalar || i != j) {
            // Vi is not read: the unit writes it in place.
            let (before, rest) = v.split_at_mut(i);
            let (result, after) = rest.split_first_mut().expect("i < 8");
            let source = |r: usize| if r < i { &before[r] } else { &after[r - i - 1] };
            let left = sj.map_or_else(|| Operand::Register(source(j)), Operand::Scalar);
            unit(left, source(k), n, result)
        } else {
            // The result overwrites an operand: it is formed beside them, then copied.
            let left = sj.map_or(Operand::Register(&v[j]), Operand::Scalar);
            let mut result = v[i];
            let error = unit(left, &v[k], n, &mut result);
            v[i] = result;
            error
        };
        self.vector_not_used = false;
        if error {
            return self.float_error(at);
        }
        Ok(())
    }

    /// 174ij0 `Vi /HVj`.
    #[inline(never)]
    pub(crate) fn vector_reciprocal(&mut self, x: Instruction, at: u32) -> Result<(), Stop> {
        let n = self.vector_length();
        let (i, j) = (x.i(), x.j());
        // The result may overwrite the operand: it is formed beside it, then copied.
        let mut result = self.v[i];
        let error = wide::reciprocals(&self.v[j], n, &mut result);
        self.v[i] = result;
        self.vector_not_used = false;
        if error {
            return self.float_error(at);
        }
        Ok(())
    }

    /// 175: VM bit n <- test of `Vj[n]` (k mod 4: zero, nonzero, plus, minus) for
    /// n < VL, other bits 0. With `compress` (175ij4..7, X-MP) the indices of the true
    /// elements are also written to `Vi[0]`, `Vi[1]`, ...; the rest of Vi is unchanged.
    #[inline(never)]
    pub(crate) fn vector_mask_from_test(&mut self, x: Instruction, compress: bool) {
        let n = self.vector_length();
        let source = self.v[x.j()];
        let test = x.k() & 3;
        let mut vm = 0u64;
        for (e, v) in source[..n].iter().enumerate() {
            let truth = match test {
                0 => *v == 0,
                1 => *v != 0,
                2 => (*v as i64) >= 0,
                _ => (*v as i64) < 0,
            };
            if truth {
                vm |= mask_bit(e);
            }
        }
        self.vm = vm;
        if compress {
            let destination = &mut self.v[x.i()];
            let mut out = 0;
            for e in 0..n {
                if vm & mask_bit(e) != 0 {
                    destination[out] = e as u64;
                    out += 1;
                }
            }
        }
        self.vector_not_used = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::float::{add, multiply, subtract, FloatResult};
    use crate::isa::{decode, Model};

    /// Operand words of every exponent class: zero, underflowing, integer, in range,
    /// near the top, and (rarely, so that some instructions have no error)
    /// overflowing.
    fn register(seed: u64) -> [u64; 64] {
        let mut state = seed;
        std::array::from_fn(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let exponent = match state % 7 {
                0 => 0,
                1 => 0o17777,
                // Sums and products near the top may overflow.
                2 => 0o57777 - (state >> 8) % 2,
                3 => 0o50000,
                _ => 0o37770 + (state >> 8) % 0o20,
            };
            let exponent = if state % 509 == 1 { 0o60000 } else { exponent };
            (state & (1 << 63)) | (exponent << 48) | (state >> 16)
        })
    }

    /// Runs `parcel` (a 160..173 vector floating instruction) with VL = `vl` and
    /// compares every element and the error flag with the scalar `unit`, whose first
    /// operand is S1 or Vj.
    fn check(parcel: u16, vl: usize, unit: fn(u64, u64) -> FloatResult) {
        let opcode = parcel >> 9;
        let scalar = opcode & 1 == 0;
        for seed in 1..40u64 {
            let mut cpu = Cpu::new(Model::XMp, 0o1000);
            for (r, v) in cpu.v.iter_mut().enumerate() {
                *v = register(seed * 8 + r as u64);
            }
            cpu.s[1] = register(seed)[0];
            cpu.vl = vl as u32;
            let before = *cpu.v;
            let x = decode(parcel, 0, Model::XMp);
            let (i, j, k) = (x.i(), x.j(), x.k());
            let left = |e: usize| if scalar { cpu.s[j] } else { before[j][e] };
            let expected: Vec<FloatResult> = (0..vl).map(|e| unit(left(e), before[k][e])).collect();
            let stop = if opcode < 0o170 {
                let kind = [
                    MultiplyKind::Full,
                    MultiplyKind::Half,
                    MultiplyKind::Rounded,
                    MultiplyKind::ReciprocalIteration,
                ][usize::from((opcode - 0o160) >> 1)];
                cpu.vector_multiply(x, 0, scalar, kind)
            } else {
                cpu.vector_float_add(x, 0, scalar, opcode >= 0o172)
            };
            assert!(stop.is_ok(), "{parcel:06o}");
            for (e, result) in expected.iter().enumerate() {
                assert_eq!(cpu.v[i][e], result.value, "{parcel:06o} element {e}");
            }
            assert_eq!(cpu.v[i][vl..], before[i][vl..], "{parcel:06o}");
            let error = expected.iter().any(|r| r.error);
            assert_eq!(
                cpu.modes.float_error_status, error,
                "{parcel:06o} seed {seed}"
            );
        }
    }

    #[test]
    fn vector_floating_units_match_the_scalar_ones_element_by_element() {
        // 170 Vi Sj+FVk, 171 Vi Vj+FVk, 172/173 the differences; 160/161 full
        // multiply, 162/163 half, 164/165 rounded, 166/167 reciprocal iteration.
        for (parcel, unit) in [
            (0o170123, add as fn(u64, u64) -> FloatResult),
            (0o171123, add),
            (0o172123, subtract),
            (0o173123, subtract),
            // In place: the destination is an operand.
            (0o171333, add),
            (0o173223, subtract),
        ] {
            check(parcel, 64, unit);
            check(parcel, 37, unit);
        }
        let kinds = [
            MultiplyKind::Full,
            MultiplyKind::Half,
            MultiplyKind::Rounded,
            MultiplyKind::ReciprocalIteration,
        ];
        for (n, kind) in kinds.into_iter().enumerate() {
            let unit: fn(u64, u64) -> FloatResult = match kind {
                MultiplyKind::Full => |x, y| multiply(x, y, MultiplyKind::Full),
                MultiplyKind::Half => |x, y| multiply(x, y, MultiplyKind::Half),
                MultiplyKind::Rounded => |x, y| multiply(x, y, MultiplyKind::Rounded),
                MultiplyKind::ReciprocalIteration => {
                    |x, y| multiply(x, y, MultiplyKind::ReciprocalIteration)
                }
            };
            // Sj form, Vj form, and Vj form in place.
            let base = (0o160 + 2 * n as u16) << 9;
            for parcel in [base | 0o123, base | 0o1000 | 0o123, base | 0o1000 | 0o444] {
                check(parcel, 64, unit);
                check(parcel, 5, unit);
            }
        }
    }
}
