//! The one dispatch over [`Op`]: every operation goes to the method of its group.

use super::{Cpu, Flags, Stop};
use crate::float::MultiplyKind;
use crate::isa::{Instruction, Op};
use crate::memory::Memory;

impl Cpu {
    /// Executes `instruction`, fetched from parcel address `at` (P is already past
    /// it). `Err` carries the stop it requests.
    #[inline(always)]
    pub(crate) fn execute(
        &mut self,
        instruction: Instruction,
        at: u32,
        memory: &mut Memory,
    ) -> Result<(), Stop> {
        let x = instruction;
        match x.op {
            Op::Undefined => return self.undefined(at),
            // 000-007: control.
            Op::ErrorExit => return self.exit(Flags::ERROR_EXIT, at),
            Op::NormalExit => return self.exit(Flags::NORMAL_EXIT, at),
            Op::Pass | Op::CompleteMemoryReferences => {}
            Op::ChannelSetAddress
            | Op::ChannelSetLimit
            | Op::ChannelClear
            | Op::ChannelMasterClear
            | Op::SetExchangeAddress
            | Op::SetRealTimeClock
            | Op::SetInterprocessorInterrupt
            | Op::ClearInterprocessorInterrupt
            | Op::SetCluster
            | Op::LoadClockInterval
            | Op::ClearClockInterrupt
            | Op::EnableClockInterrupt
            | Op::DisableClockInterrupt => self.monitor_instruction(x),
            Op::SetVectorLength => self.set_vector_length(x),
            Op::EnableFloatInterrupt => {
                self.modes.interrupt_on_float = true;
                self.flags.clear(Flags::FLOATING_POINT);
            }
            Op::DisableFloatInterrupt => self.modes.interrupt_on_float = false,
            Op::EnableRangeInterrupt => self.modes.interrupt_on_range = true,
            Op::DisableRangeInterrupt => self.modes.interrupt_on_range = false,
            Op::DisableBidirectional => self.modes.bidirectional_memory = false,
            Op::EnableBidirectional => self.modes.bidirectional_memory = true,
            Op::SetVectorMask => self.vm = self.sj(x),
            Op::SemaphoreTestSet => return self.semaphore_test_set(x, at),
            Op::SemaphoreClear => self.semaphore_write(x, false),
            Op::SemaphoreSet => self.semaphore_write(x, true),
            crate::isa::jump_ops!() => self.p = self.jump(x, self.p),
            // 020-037: address.
            Op::AConstant => self.set_ai(x, x.jkm()),
            Op::AComplementConstant => self.set_ai(x, !x.jkm()),
            Op::AShortConstant => self.set_ai(x, x.jk() as u32),
            Op::AFromS => self.set_ai(x, self.sj(x) as u32),
            Op::AFromVectorLength => self.set_ai(x, self.vl),
            Op::AFromB => self.set_ai(x, self.b[x.jk()]),
            Op::BFromA => self.b[x.jk()] = self.a[x.i()],
            Op::APopulation => self.set_ai(x, self.sj(x).count_ones()),
            Op::AParity => self.set_ai(x, self.sj(x).count_ones() & 1),
            Op::ALeadingZeros => self.set_ai(x, self.sj(x).leading_zeros()),
            Op::AFromSharedB => self.read_shared_b(x),
            Op::SharedBFromA => self.write_shared_b(x),
            Op::AAdd => self.set_ai(x, self.aj(x).wrapping_add(self.ak(x))),
            Op::ASubtract => self.set_ai(x, self.aj(x).wrapping_sub(self.ak(x))),
            Op::AMultiply => self.set_ai(x, self.aj(x).wrapping_mul(self.ak(x))),
            Op::AChannelInterrupt | Op::AChannelAddress | Op::AChannelError => self.read_channel(x),
            Op::BlockLoadB => return self.block_load_b(x, at, memory),
            Op::BlockStoreB => return self.block_store_b(x, at, memory),
            Op::BlockLoadT => return self.block_load_t(x, at, memory),
            Op::BlockStoreT => return self.block_store_t(x, at, memory),
            // 040-077: scalar.
            Op::SConstant => self.set_si(x, u64::from(x.jkm())),
            Op::SComplementConstant => self.set_si(x, !u64::from(x.jkm())),
            Op::SMaskRight => self.set_si(x, super::scalar::mask_right(x.jk())),
            Op::SMaskLeft => self.set_si(x, super::scalar::mask_left(x.jk())),
            Op::SAnd => self.set_si(x, self.sj(x) & self.sk(x)),
            Op::SAndNot => self.set_si(x, self.sj(x) & !self.sk(x)),
            Op::SXor => self.set_si(x, self.sj(x) ^ self.sk(x)),
            Op::SEquivalence => self.set_si(x, !self.sj(x) ^ self.sk(x)),
            Op::SMerge => {
                let mask = self.sk(x);
                let merged = (self.sj(x) & mask) | (self.s[x.i()] & !mask);
                self.set_si(x, merged);
            }
            Op::SOr => self.set_si(x, self.sj(x) | self.sk(x)),
            Op::S0ShiftLeft => self.s[0] = super::scalar::shift_left(self.s[x.i()], x.jk()),
            Op::S0ShiftRight => self.s[0] = super::scalar::shift_right(self.s[x.i()], 64 - x.jk()),
            Op::SShiftLeft => self.set_si(x, super::scalar::shift_left(self.s[x.i()], x.jk())),
            Op::SShiftRight => {
                self.set_si(x, super::scalar::shift_right(self.s[x.i()], 64 - x.jk()))
            }
            Op::SDoubleShiftLeft => self.scalar_double_shift_left(x),
            Op::SDoubleShiftRight => self.scalar_double_shift_right(x),
            Op::SAdd => self.set_si(x, self.sj(x).wrapping_add(self.sk(x))),
            Op::SSubtract => self.set_si(x, self.sj(x).wrapping_sub(self.sk(x))),
            Op::FloatAdd => return self.scalar_float(x, at, crate::float::add),
            Op::FloatSubtract => return self.scalar_float(x, at, crate::float::subtract),
            Op::FloatMultiply => return self.scalar_multiply(x, at, MultiplyKind::Full),
            Op::FloatMultiplyHalf => return self.scalar_multiply(x, at, MultiplyKind::Half),
            Op::FloatMultiplyRounded => return self.scalar_multiply(x, at, MultiplyKind::Rounded),
            Op::ReciprocalIteration => {
                return self.scalar_multiply(x, at, MultiplyKind::ReciprocalIteration)
            }
            Op::ReciprocalApproximation => return self.scalar_reciprocal(x, at),
            Op::SFromA => self.set_si(x, u64::from(self.ak(x))),
            Op::SFromASigned => self.set_si(x, super::operands::sign_extend_24(self.ak(x))),
            Op::SFloatFromA => self.set_si(x, super::scalar::float_from_a(self.ak(x))),
            Op::SFloatConstant => self.set_si(x, super::scalar::float_constant(x.j())),
            Op::SFromRealTimeClock => self.set_si(x, self.real_time_clock()),
            Op::SFromSemaphores => self.read_semaphores(x),
            Op::SFromSharedT => self.read_shared_t(x),
            Op::SFromVectorMask => self.set_si(x, self.vm),
            Op::SFromStatus => self.set_si(x, self.status_register()),
            Op::SemaphoresFromS => self.write_semaphores(x),
            Op::SharedTFromS => self.write_shared_t(x),
            Op::SFromT => self.set_si(x, self.t[x.jk()]),
            Op::TFromS => self.t[x.jk()] = self.s[x.i()],
            Op::SFromVectorElement => {
                let element = (self.ak(x) & 0o77) as usize;
                self.set_si(x, self.v[x.j()][element]);
            }
            Op::VectorElementFromS => {
                let element = (self.ak(x) & 0o77) as usize;
                self.v[x.i()][element] = self.sj(x);
            }
            // 100-137: scalar memory.
            Op::LoadA => return self.load_a(x, at, memory),
            Op::StoreA => return self.store_a(x, at, memory),
            Op::LoadS => return self.load_s(x, at, memory),
            Op::StoreS => return self.store_s(x, at, memory),
            // 140-177: vector.
            Op::VAndScalar => self.vector_scalar(x, |s, v| s & v),
            Op::VAnd => self.vector_vector(x, |a, b| a & b),
            Op::VOrScalar => self.vector_scalar(x, |s, v| s | v),
            Op::VOr => self.vector_vector(x, |a, b| a | b),
            Op::VXorScalar => self.vector_scalar(x, |s, v| s ^ v),
            Op::VXor => self.vector_vector(x, |a, b| a ^ b),
            Op::VMergeScalar => self.vector_merge_scalar(x),
            Op::VMerge => self.vector_merge(x),
            Op::VShiftLeft => self.vector_shift(x, super::scalar::shift_left_count),
            Op::VShiftRight => self.vector_shift(x, super::scalar::shift_right_count),
            Op::VDoubleShiftLeft => self.vector_double_shift_left(x),
            Op::VDoubleShiftRight => self.vector_double_shift_right(x),
            Op::VAddScalar => self.vector_scalar(x, u64::wrapping_add),
            Op::VAdd => self.vector_vector(x, u64::wrapping_add),
            Op::VSubtractScalar => self.vector_scalar(x, u64::wrapping_sub),
            Op::VSubtract => self.vector_vector(x, u64::wrapping_sub),
            Op::VFloatMultiplyScalar => {
                return self.vector_multiply(x, at, true, MultiplyKind::Full)
            }
            Op::VFloatMultiply => return self.vector_multiply(x, at, false, MultiplyKind::Full),
            Op::VFloatMultiplyHalfScalar => {
                return self.vector_multiply(x, at, true, MultiplyKind::Half)
            }
            Op::VFloatMultiplyHalf => {
                return self.vector_multiply(x, at, false, MultiplyKind::Half)
            }
            Op::VFloatMultiplyRoundedScalar => {
                return self.vector_multiply(x, at, true, MultiplyKind::Rounded)
            }
            Op::VFloatMultiplyRounded => {
                return self.vector_multiply(x, at, false, MultiplyKind::Rounded)
            }
            Op::VReciprocalIterationScalar => {
                return self.vector_multiply(x, at, true, MultiplyKind::ReciprocalIteration)
            }
            Op::VReciprocalIteration => {
                return self.vector_multiply(x, at, false, MultiplyKind::ReciprocalIteration)
            }
            Op::VFloatAddScalar => return self.vector_float_add(x, at, true, false),
            Op::VFloatAdd => return self.vector_float_add(x, at, false, false),
            Op::VFloatSubtractScalar => return self.vector_float_add(x, at, true, true),
            Op::VFloatSubtract => return self.vector_float_add(x, at, false, true),
            Op::VReciprocalApproximation => return self.vector_reciprocal(x, at),
            Op::VPopulation => self.vector_unary(x, |v| u64::from(v.count_ones())),
            Op::VParity => self.vector_unary(x, |v| u64::from(v.count_ones() & 1)),
            Op::VMaskFromTest => self.vector_mask_from_test(x, false),
            Op::VCompressIndex => self.vector_mask_from_test(x, true),
            Op::VLoad => return self.vector_load(x, at, memory),
            Op::VGather => return self.vector_gather(x, at, memory),
            Op::VStore => return self.vector_store(x, at, memory),
            Op::VScatter => return self.vector_scatter(x, at, memory),
        }
        Ok(())
    }

    /// Executes jump `x` (an [`Op::is_jump`] operation) with P = `next` (already past
    /// it); returns the new P. The issue loop calls this directly for the jumps, so
    /// their new P stays in a register.
    #[inline(always)]
    pub(crate) fn jump(&mut self, x: Instruction, next: u32) -> u32 {
        let taken = match x.op {
            Op::JumpB => return self.b[x.jk()],
            Op::Jump => true,
            Op::ReturnJump => {
                self.b[0] = next;
                true
            }
            Op::JumpAZero => self.a[0] == 0,
            Op::JumpANonZero => self.a[0] != 0,
            Op::JumpAPlus => self.a[0] & 0x80_0000 == 0,
            Op::JumpAMinus => self.a[0] & 0x80_0000 != 0,
            Op::JumpSZero => self.s[0] == 0,
            Op::JumpSNonZero => self.s[0] != 0,
            Op::JumpSPlus => (self.s[0] as i64) >= 0,
            Op::JumpSMinus => (self.s[0] as i64) < 0,
            _ => {
                debug_assert!(!x.op.is_jump(), "{:?} has no arm here", x.op);
                false
            }
        };
        if taken {
            x.target()
        } else {
            next
        }
    }
}
