//! The one dispatch over [`Op`]: every operation goes to the method of its group.

use super::{Cpu, Flags, Stop};
use crate::float::MultiplyKind;
use crate::isa::{Instruction, Op};
use crate::memory::Memory;

/// How an operation left the issue loop's block (what [`Cpu::execute`] returns).
///
/// One byte rather than the operations' own `Result<(), Stop>` (before the seventh
/// step of issue 19): that `Result`, twelve bytes in two registers, was merged from
/// every arm of the dispatch and tested after each instruction, while a flow that is
/// a constant in most arms lets the compiler send those arms straight on to the next
/// instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// It completed: the next instruction of the block follows.
    Next,
    /// It completed and the block ends here: a jump set P, or a store wrote into
    /// code and dropped the decoded blocks.
    Left,
    /// It requested a stop, which it left in the `stop` argument.
    Stopped,
}

/// The flow of an operation whose `result` says whether it completed; its stop, if it
/// requested one, goes to `stop`.
#[inline(always)]
fn completed(result: Result<(), Stop>, stop: &mut Stop) -> Flow {
    match result {
        Ok(()) => Flow::Next,
        Err(requested) => {
            *stop = requested;
            Flow::Stopped
        }
    }
}

impl Cpu {
    /// Executes `instruction`, fetched from parcel address `at`, with `p` the issue
    /// loop's P (already past it, as is `self.p`); a jump sets both. The flow says
    /// how it ended (see [`Flow`]). `TRACE`: the scalar references record their
    /// address for the timing model (see `timed`); a loop without a model passes
    /// false and spares that store (the block, vector and exchange instructions,
    /// rare and out of line, record theirs either way).
    #[inline(always)]
    pub(crate) fn execute<const TRACE: bool>(
        &mut self,
        instruction: Instruction,
        at: u32,
        p: &mut u32,
        memory: &mut Memory,
        stop: &mut Stop,
    ) -> Flow {
        let x = instruction;
        match x.op {
            Op::Undefined => return completed(self.undefined(at), stop),
            // 000-007: control.
            Op::ErrorExit => return completed(self.exit(Flags::ERROR_EXIT, at), stop),
            Op::NormalExit => return completed(self.exit(Flags::NORMAL_EXIT, at), stop),
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
            Op::SemaphoreTestSet => return completed(self.semaphore_test_set(x, at), stop),
            Op::SemaphoreClear => self.semaphore_write(x, false),
            Op::SemaphoreSet => self.semaphore_write(x, true),
            // 005..017: jumps, each its own arm (one dispatch, not a second one over
            // the jumps).
            Op::JumpB => return self.jump_to(p, self.b[x.jk()]),
            Op::Jump => return self.jump_to(p, x.target()),
            Op::ReturnJump => {
                self.b[0] = *p;
                return self.jump_to(p, x.target());
            }
            Op::JumpAZero => return self.branch(p, x, self.a[0] == 0),
            Op::JumpANonZero => return self.branch(p, x, self.a[0] != 0),
            Op::JumpAPlus => return self.branch(p, x, self.a[0] & 0x80_0000 == 0),
            Op::JumpAMinus => return self.branch(p, x, self.a[0] & 0x80_0000 != 0),
            Op::JumpSZero => return self.branch(p, x, self.s[0] == 0),
            Op::JumpSNonZero => return self.branch(p, x, self.s[0] != 0),
            Op::JumpSPlus => return self.branch(p, x, (self.s[0] as i64) >= 0),
            Op::JumpSMinus => return self.branch(p, x, (self.s[0] as i64) < 0),
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
            Op::BlockLoadB => return completed(self.block_load_b(x, at, memory), stop),
            Op::BlockStoreB => {
                let result = self.block_store_b(x, at, memory);
                return self.stored(result, stop);
            }
            Op::BlockLoadT => return completed(self.block_load_t(x, at, memory), stop),
            Op::BlockStoreT => {
                let result = self.block_store_t(x, at, memory);
                return self.stored(result, stop);
            }
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
            Op::FloatAdd => return completed(self.scalar_float(x, at, crate::float::add), stop),
            Op::FloatSubtract => {
                return completed(self.scalar_float(x, at, crate::float::subtract), stop)
            }
            Op::FloatMultiply => {
                return completed(self.scalar_multiply(x, at, MultiplyKind::Full), stop)
            }
            Op::FloatMultiplyHalf => {
                return completed(self.scalar_multiply(x, at, MultiplyKind::Half), stop)
            }
            Op::FloatMultiplyRounded => {
                return completed(self.scalar_multiply(x, at, MultiplyKind::Rounded), stop)
            }
            Op::ReciprocalIteration => {
                return completed(
                    self.scalar_multiply(x, at, MultiplyKind::ReciprocalIteration),
                    stop,
                )
            }
            Op::ReciprocalApproximation => return completed(self.scalar_reciprocal(x, at), stop),
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
            Op::LoadA => return completed(self.load_a::<TRACE>(x, at, memory), stop),
            Op::StoreA => {
                let result = self.store_a::<TRACE>(x, at, memory);
                return self.stored(result, stop);
            }
            Op::LoadS => return completed(self.load_s::<TRACE>(x, at, memory), stop),
            Op::StoreS => {
                let result = self.store_s::<TRACE>(x, at, memory);
                return self.stored(result, stop);
            }
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
                return completed(self.vector_multiply(x, at, true, MultiplyKind::Full), stop)
            }
            Op::VFloatMultiply => {
                return completed(self.vector_multiply(x, at, false, MultiplyKind::Full), stop)
            }
            Op::VFloatMultiplyHalfScalar => {
                return completed(self.vector_multiply(x, at, true, MultiplyKind::Half), stop)
            }
            Op::VFloatMultiplyHalf => {
                return completed(self.vector_multiply(x, at, false, MultiplyKind::Half), stop)
            }
            Op::VFloatMultiplyRoundedScalar => {
                return completed(
                    self.vector_multiply(x, at, true, MultiplyKind::Rounded),
                    stop,
                )
            }
            Op::VFloatMultiplyRounded => {
                return completed(
                    self.vector_multiply(x, at, false, MultiplyKind::Rounded),
                    stop,
                )
            }
            Op::VReciprocalIterationScalar => {
                return completed(
                    self.vector_multiply(x, at, true, MultiplyKind::ReciprocalIteration),
                    stop,
                )
            }
            Op::VReciprocalIteration => {
                return completed(
                    self.vector_multiply(x, at, false, MultiplyKind::ReciprocalIteration),
                    stop,
                )
            }
            Op::VFloatAddScalar => {
                return completed(self.vector_float_add(x, at, true, false), stop)
            }
            Op::VFloatAdd => return completed(self.vector_float_add(x, at, false, false), stop),
            Op::VFloatSubtractScalar => {
                return completed(self.vector_float_add(x, at, true, true), stop)
            }
            Op::VFloatSubtract => {
                return completed(self.vector_float_add(x, at, false, true), stop)
            }
            Op::VReciprocalApproximation => return completed(self.vector_reciprocal(x, at), stop),
            Op::VPopulation => self.vector_unary(x, |v| u64::from(v.count_ones())),
            Op::VParity => self.vector_unary(x, |v| u64::from(v.count_ones() & 1)),
            Op::VMaskFromTest => self.vector_mask_from_test(x, false),
            Op::VCompressIndex => self.vector_mask_from_test(x, true),
            Op::VLoad => return completed(self.vector_load(x, at, memory), stop),
            Op::VGather => return completed(self.vector_gather(x, at, memory), stop),
            Op::VStore => {
                let result = self.vector_store(x, at, memory);
                return self.stored(result, stop);
            }
            Op::VScatter => {
                let result = self.vector_scatter(x, at, memory);
                return self.stored(result, stop);
            }
        }
        Flow::Next
    }

    /// The flow of a store whose `result` says whether it completed: it leaves the
    /// block if it wrote into code (the decoded blocks are then dropped; see
    /// `fetch`).
    #[inline(always)]
    fn stored(&self, result: Result<(), Stop>, stop: &mut Stop) -> Flow {
        match completed(result, stop) {
            Flow::Next if self.decoded.code_written() => Flow::Left,
            flow => flow,
        }
    }

    /// Sets P (the issue loop's `p` and `self.p`) to `target`: a jump, which ends
    /// the block.
    #[inline(always)]
    fn jump_to(&mut self, p: &mut u32, target: u32) -> Flow {
        *p = target;
        self.p = target;
        Flow::Left
    }

    /// A conditional branch `x`: to its target if `taken`, else on past it (where P
    /// already is). A jump to the next instruction costs as a branch not taken.
    #[inline(always)]
    fn branch(&mut self, p: &mut u32, x: Instruction, taken: bool) -> Flow {
        if taken {
            return self.jump_to(p, x.target());
        }
        Flow::Left
    }
}
