//! Which registers an instruction reads and writes, for register reservations.
//!
//! Registers are numbered in one small space so reservations fit in one array:
//! A0-A7 are 0-7, S0-S7 are 8-15, V0-V7 are 16-23, then VL, VM, the B file and the T
//! file (B and T are reserved as whole files: only block transfers keep them busy for
//! more than one clock period). Operand fields that select a constant instead of
//! register 0 (ISA.md 1.2: Aj, Sj with j = 0; Ak, Sk with k = 0; Ah with h = 0) read
//! no register.

use crate::isa::{Instruction, Op};

/// Number of reservable registers.
pub const REGISTERS: usize = 28;
/// First A register.
pub const A: u8 = 0;
/// First S register.
pub const S: u8 = 8;
/// First V register.
pub const V: u8 = 16;
/// Vector length register.
pub const VL: u8 = 24;
/// Vector mask register.
pub const VM: u8 = 25;
/// The B register file.
pub const B: u8 = 26;
/// The T register file.
pub const T: u8 = 27;

/// The registers one instruction reads and writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Operands {
    sources: [u8; 5],
    source_count: u8,
    destinations: [u8; 2],
    destination_count: u8,
}

impl Operands {
    /// Registers read.
    pub fn sources(&self) -> &[u8] {
        &self.sources[..self.source_count as usize]
    }
    /// Registers written.
    pub fn destinations(&self) -> &[u8] {
        &self.destinations[..self.destination_count as usize]
    }
    fn read(mut self, register: u8) -> Self {
        self.sources[self.source_count as usize] = register;
        self.source_count += 1;
        self
    }
    /// Reads `base + field` unless the field is 0 (a constant, ISA.md 1.2).
    fn read_nonzero(self, base: u8, field: usize) -> Self {
        if field == 0 {
            self
        } else {
            self.read(base + field as u8)
        }
    }
    fn write(mut self, register: u8) -> Self {
        self.destinations[self.destination_count as usize] = register;
        self.destination_count += 1;
        self
    }
}

/// True for a register in the V file.
#[inline]
pub fn is_vector(register: u8) -> bool {
    (V..V + 8).contains(&register)
}

/// True for an A or S register, whose results share a result path per file.
#[inline]
pub fn is_scalar(register: u8) -> bool {
    register < V
}

/// The registers `instruction` reads and writes.
pub fn operands(instruction: Instruction) -> Operands {
    use Op::*;
    let (i, j, k, h) = (
        instruction.i(),
        instruction.j(),
        instruction.k(),
        instruction.h(),
    );
    let (ai, si, vi) = (A + i as u8, S + i as u8, V + i as u8);
    let none = Operands::default();
    match instruction.op {
        Undefined
        | ErrorExit
        | Pass
        | NormalExit
        | Jump
        | EnableFloatInterrupt
        | DisableFloatInterrupt
        | EnableRangeInterrupt
        | DisableRangeInterrupt
        | DisableBidirectional
        | EnableBidirectional
        | CompleteMemoryReferences
        | ClearInterprocessorInterrupt
        | ClearClockInterrupt
        | EnableClockInterrupt
        | DisableClockInterrupt
        | SetInterprocessorInterrupt
        | SetCluster
        | SemaphoreTestSet
        | SemaphoreClear
        | SemaphoreSet => none,
        ChannelSetAddress | ChannelSetLimit => none.read_nonzero(A, j).read_nonzero(A, k),
        ChannelClear | ChannelMasterClear | SetExchangeAddress => none.read_nonzero(A, j),
        SetRealTimeClock | LoadClockInterval => none.read_nonzero(S, j),
        SetVectorLength => none.read_nonzero(A, k).write(VL),
        SetVectorMask => none.read_nonzero(S, j).write(VM),
        JumpB => none.read(B),
        ReturnJump => none.write(B),
        JumpAZero | JumpANonZero | JumpAPlus | JumpAMinus => none.read(A),
        JumpSZero | JumpSNonZero | JumpSPlus | JumpSMinus => none.read(S),
        AConstant | AComplementConstant | AShortConstant | AFromSharedB | AChannelInterrupt => {
            none.write(ai)
        }
        AFromS | APopulation | AParity | ALeadingZeros => none.read_nonzero(S, j).write(ai),
        AFromVectorLength => none.read(VL).write(ai),
        AFromB => none.read(B).write(ai),
        BFromA => none.read(ai).write(B),
        SharedBFromA => none.read(ai),
        AAdd | ASubtract | AMultiply => none.read_nonzero(A, j).read_nonzero(A, k).write(ai),
        AChannelAddress | AChannelError => none.read_nonzero(A, j).write(ai),
        BlockLoadB => none.read(ai).read(A).write(B),
        BlockStoreB => none.read(ai).read(A).read(B),
        BlockLoadT => none.read(ai).read(A).write(T),
        BlockStoreT => none.read(ai).read(A).read(T),
        SConstant | SComplementConstant | SMaskRight | SMaskLeft | SFloatConstant
        | SFromRealTimeClock | SFromSemaphores | SFromSharedT | SFromStatus => none.write(si),
        SAnd | SAndNot | SXor | SEquivalence | SOr | SAdd | SSubtract | FloatAdd
        | FloatSubtract | FloatMultiply | FloatMultiplyHalf | FloatMultiplyRounded
        | ReciprocalIteration => none.read_nonzero(S, j).read_nonzero(S, k).write(si),
        SMerge => none
            .read(si)
            .read_nonzero(S, j)
            .read_nonzero(S, k)
            .write(si),
        S0ShiftLeft | S0ShiftRight => none.read(si).write(S),
        SShiftLeft | SShiftRight => none.read(si).write(si),
        SDoubleShiftLeft | SDoubleShiftRight => none
            .read(si)
            .read_nonzero(S, j)
            .read_nonzero(A, k)
            .write(si),
        ReciprocalApproximation => none.read_nonzero(S, j).write(si),
        SFromA | SFromASigned | SFloatFromA => none.read_nonzero(A, k).write(si),
        SFromVectorMask => none.read(VM).write(si),
        SemaphoresFromS | SharedTFromS => none.read(si),
        SFromT => none.read(T).write(si),
        TFromS => none.read(si).write(T),
        SFromVectorElement => none.read(V + j as u8).read_nonzero(A, k).write(si),
        VectorElementFromS => none.read_nonzero(S, j).read_nonzero(A, k).write(vi),
        LoadA => none.read_nonzero(A, h).write(ai),
        StoreA => none.read_nonzero(A, h).read(ai),
        LoadS => none.read_nonzero(A, h).write(si),
        StoreS => none.read_nonzero(A, h).read(si),
        VAndScalar
        | VOrScalar
        | VXorScalar
        | VAddScalar
        | VSubtractScalar
        | VFloatMultiplyScalar
        | VFloatMultiplyHalfScalar
        | VFloatMultiplyRoundedScalar
        | VReciprocalIterationScalar
        | VFloatAddScalar
        | VFloatSubtractScalar => none.read(VL).read_nonzero(S, j).read(V + k as u8).write(vi),
        VAnd
        | VOr
        | VXor
        | VAdd
        | VSubtract
        | VFloatMultiply
        | VFloatMultiplyHalf
        | VFloatMultiplyRounded
        | VReciprocalIteration
        | VFloatAdd
        | VFloatSubtract => none.read(VL).read(V + j as u8).read(V + k as u8).write(vi),
        VMergeScalar => none
            .read(VL)
            .read(VM)
            .read_nonzero(S, j)
            .read(V + k as u8)
            .write(vi),
        VMerge => none
            .read(VL)
            .read(VM)
            .read(V + j as u8)
            .read(V + k as u8)
            .write(vi),
        VShiftLeft | VShiftRight | VDoubleShiftLeft | VDoubleShiftRight => {
            none.read(VL).read(V + j as u8).read_nonzero(A, k).write(vi)
        }
        VReciprocalApproximation | VPopulation | VParity => {
            none.read(VL).read(V + j as u8).write(vi)
        }
        VMaskFromTest => none.read(VL).read(V + j as u8).write(VM),
        VCompressIndex => none.read(VL).read(V + j as u8).write(VM).write(vi),
        VLoad => none.read(VL).read(A).read_nonzero(A, k).write(vi),
        VGather => none.read(VL).read(A).read(V + k as u8).write(vi),
        VStore => none.read(VL).read(A).read_nonzero(A, k).read(V + j as u8),
        VScatter => none.read(VL).read(A).read(V + k as u8).read(V + j as u8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::{decode, Model};

    #[test]
    fn register_zero_fields_read_constants() {
        // 030102: A1 A2 (0 + A2): reads A2 only.
        let ops = operands(decode(0o030102, 0, Model::XMp));
        assert_eq!(ops.sources(), &[A + 2]);
        assert_eq!(ops.destinations(), &[A + 1]);
        // 010: JAZ reads the real A0.
        let ops = operands(decode(0o010000, 0o100, Model::XMp));
        assert_eq!(ops.sources(), &[A]);
    }

    #[test]
    fn vector_operands() {
        // 171312: V3 V1+FV2.
        let ops = operands(decode(0o171312, 0, Model::XMp));
        assert_eq!(ops.sources(), &[VL, V + 1, V + 2]);
        assert_eq!(ops.destinations(), &[V + 3]);
        // 1770j0 store V5 stride 1: reads A0 and V5, writes nothing.
        let ops = operands(decode(0o177050, 0, Model::XMp));
        assert_eq!(ops.sources(), &[VL, A, V + 5]);
        assert!(ops.destinations().is_empty());
    }
}
