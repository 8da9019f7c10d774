//! The opcode table: one row per instruction form (ISA.md section 3).
//!
//! A row's `pattern` is the first parcel written as six octal digits the way Cray
//! manuals do (`030ijk`, `0012j1`, `10hijk`): a digit is a fixed field, a letter
//! (h, i, j, k) is a free field. Several rows may share an operation: the special
//! register-0 spellings (ISA.md section 1.2) and CAL's alternative spellings. The
//! decoder picks the most specific row that matches a parcel (ties go to the earlier
//! row), and the disassembler prints that row's syntax, so the rows are ordered so
//! that every printed form assembles back to the same parcels.
//!
//! The syntax language is described in [`super::syntax`].

use serde::{Deserialize, Serialize};

/// Functional unit that executes an instruction (used by the timing model).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Unit {
    /// No functional unit: control, register transfers and constants.
    None,
    /// Branches.
    Branch,
    /// Address add (030, 031).
    AddressAdd,
    /// Address multiply (032).
    AddressMultiply,
    /// Scalar integer add (060, 061).
    ScalarAdd,
    /// Scalar logical (042..051).
    ScalarLogical,
    /// Scalar single shift (052..055).
    ScalarShift,
    /// Scalar double shift (056, 057).
    ScalarDoubleShift,
    /// Population count and parity (026).
    ScalarPopulation,
    /// Leading-zero count (027).
    ScalarLeadingZero,
    /// Floating add (062, 063, 170..173).
    FloatAdd,
    /// Floating multiply (064..067, 160..167).
    FloatMultiply,
    /// Reciprocal approximation (070, 174 k=0).
    Reciprocal,
    /// Vector integer add (154..157).
    VectorAdd,
    /// Vector logical (140..147, 175).
    VectorLogical,
    /// Vector shift (150..153).
    VectorShift,
    /// Vector population count and parity (174 k=1,2).
    VectorPopulation,
    /// Memory (scalar, block, vector).
    Memory,
}

/// The operation an instruction performs. Alternative spellings share an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Op {
    /// Not an instruction of the selected model: executes as an error exit.
    Undefined,
    /// 000: error exit.
    ErrorExit,
    /// 001000: no operation.
    Pass,
    /// 0010jk: set channel current address (monitor mode only).
    ChannelSetAddress,
    /// 0011jk: set channel limit address (monitor mode only).
    ChannelSetLimit,
    /// 0012j0: clear channel interrupt flags (monitor mode only).
    ChannelClear,
    /// 0012j1: clear channel and set master clear (X-MP, monitor mode only).
    ChannelMasterClear,
    /// 0013j0: set the exchange address (monitor mode only).
    SetExchangeAddress,
    /// 0014j0: set the real-time clock (monitor mode only).
    SetRealTimeClock,
    /// 0014j1: send an inter-processor interrupt (X-MP, monitor mode only).
    SetInterprocessorInterrupt,
    /// 001402: clear the inter-processor interrupt (X-MP, monitor mode only).
    ClearInterprocessorInterrupt,
    /// 0014j3: set the cluster number (X-MP, monitor mode only).
    SetCluster,
    /// 0014j4: load the programmable-clock interval (X-MP, monitor mode only).
    LoadClockInterval,
    /// 001405: clear the programmable-clock interrupt (X-MP, monitor mode only).
    ClearClockInterrupt,
    /// 001406: enable programmable-clock interrupts (X-MP, monitor mode only).
    EnableClockInterrupt,
    /// 001407: disable programmable-clock interrupts (X-MP, monitor mode only).
    DisableClockInterrupt,
    /// 0020jk: VL <- Ak.
    SetVectorLength,
    /// 002100: enable floating-point error interrupt.
    EnableFloatInterrupt,
    /// 002200: disable floating-point error interrupt.
    DisableFloatInterrupt,
    /// 002300: enable operand-range interrupt.
    EnableRangeInterrupt,
    /// 002400: disable operand-range interrupt.
    DisableRangeInterrupt,
    /// 002500: disable bidirectional memory (X-MP).
    DisableBidirectional,
    /// 002600: enable bidirectional memory (X-MP).
    EnableBidirectional,
    /// 002700: complete memory references (X-MP).
    CompleteMemoryReferences,
    /// 0030j0: VM <- Sj.
    SetVectorMask,
    /// 0034jk: test and set semaphore jk (X-MP).
    SemaphoreTestSet,
    /// 0036jk: clear semaphore jk (X-MP).
    SemaphoreClear,
    /// 0037jk: set semaphore jk (X-MP).
    SemaphoreSet,
    /// 004: normal exit.
    NormalExit,
    /// 0050jk: P <- Bjk.
    JumpB,
    /// 006: P <- ijkm.
    Jump,
    /// 007: B00 <- P + 2, P <- ijkm.
    ReturnJump,
    /// 010: jump if A0 = 0.
    JumpAZero,
    /// 011: jump if A0 != 0.
    JumpANonZero,
    /// 012: jump if A0 >= 0.
    JumpAPlus,
    /// 013: jump if A0 < 0.
    JumpAMinus,
    /// 014: jump if S0 = 0.
    JumpSZero,
    /// 015: jump if S0 != 0.
    JumpSNonZero,
    /// 016: jump if S0 >= 0.
    JumpSPlus,
    /// 017: jump if S0 < 0.
    JumpSMinus,
    /// 020: Ai <- jkm.
    AConstant,
    /// 021: Ai <- one's complement of jkm.
    AComplementConstant,
    /// 022: Ai <- jk.
    AShortConstant,
    /// 023ij0: Ai <- Sj.
    AFromS,
    /// 023i01: Ai <- VL (X-MP).
    AFromVectorLength,
    /// 024: Ai <- Bjk.
    AFromB,
    /// 025: Bjk <- Ai.
    BFromA,
    /// 026ij0: Ai <- population count of Sj.
    APopulation,
    /// 026ij1: Ai <- population parity of Sj (X-MP).
    AParity,
    /// 026ij7: Ai <- SBj (X-MP).
    AFromSharedB,
    /// 027ij0: Ai <- leading-zero count of Sj.
    ALeadingZeros,
    /// 027ij7: SBj <- Ai (X-MP).
    SharedBFromA,
    /// 030: Ai <- Aj + Ak.
    AAdd,
    /// 031: Ai <- Aj - Ak.
    ASubtract,
    /// 032: Ai <- Aj * Ak.
    AMultiply,
    /// 033i00: Ai <- highest-priority interrupting channel.
    AChannelInterrupt,
    /// 033ij0: Ai <- current address of channel Aj.
    AChannelAddress,
    /// 033ij1: Ai <- error flag of channel Aj.
    AChannelError,
    /// 034: load (Ai) words into B registers from (A0).
    BlockLoadB,
    /// 035: store (Ai) B registers to (A0).
    BlockStoreB,
    /// 036: load (Ai) words into T registers from (A0).
    BlockLoadT,
    /// 037: store (Ai) T registers to (A0).
    BlockStoreT,
    /// 040: Si <- jkm.
    SConstant,
    /// 041: Si <- one's complement of jkm.
    SComplementConstant,
    /// 042: Si <- (64 - jk) ones, right-justified.
    SMaskRight,
    /// 043: Si <- jk ones, left-justified.
    SMaskLeft,
    /// 044: Si <- Sj & Sk.
    SAnd,
    /// 045: Si <- Sj & !Sk.
    SAndNot,
    /// 046: Si <- Sj ^ Sk.
    SXor,
    /// 047: Si <- !Sj ^ Sk.
    SEquivalence,
    /// 050: Si <- (Sj & Sk) | (Si & !Sk).
    SMerge,
    /// 051: Si <- Sj | Sk.
    SOr,
    /// 052: S0 <- Si << jk.
    S0ShiftLeft,
    /// 053: S0 <- Si >> (64 - jk).
    S0ShiftRight,
    /// 054: Si <- Si << jk.
    SShiftLeft,
    /// 055: Si <- Si >> (64 - jk).
    SShiftRight,
    /// 056: Si <- high word of (Si:Sj) << Ak.
    SDoubleShiftLeft,
    /// 057: Si <- low word of (Sj:Si) >> Ak.
    SDoubleShiftRight,
    /// 060: Si <- Sj + Sk.
    SAdd,
    /// 061: Si <- Sj - Sk.
    SSubtract,
    /// 062: Si <- Sj +F Sk.
    FloatAdd,
    /// 063: Si <- Sj -F Sk.
    FloatSubtract,
    /// 064: Si <- Sj *F Sk.
    FloatMultiply,
    /// 065: Si <- Sj *H Sk.
    FloatMultiplyHalf,
    /// 066: Si <- Sj *R Sk.
    FloatMultiplyRounded,
    /// 067: Si <- 2 - Sj * Sk.
    ReciprocalIteration,
    /// 070: Si <- /H Sj.
    ReciprocalApproximation,
    /// 071i0k: Si <- Ak.
    SFromA,
    /// 071i1k: Si <- Ak sign-extended.
    SFromASigned,
    /// 071i2k: Si <- unnormalized float of Ak.
    SFloatFromA,
    /// 071i30..071i70: Si <- 0.6, 0.4, 1., 2., 4.
    SFloatConstant,
    /// 072i00: Si <- RT.
    SFromRealTimeClock,
    /// 072i02: Si <- SM (X-MP).
    SFromSemaphores,
    /// 072ij3: Si <- STj (X-MP).
    SFromSharedT,
    /// 073i00: Si <- VM.
    SFromVectorMask,
    /// 073i01: Si <- SR0 (X-MP).
    SFromStatus,
    /// 073i02: SM <- Si (X-MP).
    SemaphoresFromS,
    /// 073ij3: STj <- Si (X-MP).
    SharedTFromS,
    /// 074: Si <- Tjk.
    SFromT,
    /// 075: Tjk <- Si.
    TFromS,
    /// 076: Si <- Vj element Ak.
    SFromVectorElement,
    /// 077: Vi element Ak <- Sj.
    VectorElementFromS,
    /// 10h: Ai <- memory.
    LoadA,
    /// 11h: memory <- Ai.
    StoreA,
    /// 12h: Si <- memory.
    LoadS,
    /// 13h: memory <- Si.
    StoreS,
    /// 140: Vi <- Sj & Vk.
    VAndScalar,
    /// 141: Vi <- Vj & Vk.
    VAnd,
    /// 142: Vi <- Sj | Vk.
    VOrScalar,
    /// 143: Vi <- Vj | Vk.
    VOr,
    /// 144: Vi <- Sj ^ Vk.
    VXorScalar,
    /// 145: Vi <- Vj ^ Vk.
    VXor,
    /// 146: Vi <- Sj where VM else Vk.
    VMergeScalar,
    /// 147: Vi <- Vj where VM else Vk.
    VMerge,
    /// 150: Vi <- Vj << Ak.
    VShiftLeft,
    /// 151: Vi <- Vj >> Ak.
    VShiftRight,
    /// 152: Vi <- double shift left of Vj pairs.
    VDoubleShiftLeft,
    /// 153: Vi <- double shift right of Vj pairs.
    VDoubleShiftRight,
    /// 154: Vi <- Sj + Vk.
    VAddScalar,
    /// 155: Vi <- Vj + Vk.
    VAdd,
    /// 156: Vi <- Sj - Vk.
    VSubtractScalar,
    /// 157: Vi <- Vj - Vk.
    VSubtract,
    /// 160: Vi <- Sj *F Vk.
    VFloatMultiplyScalar,
    /// 161: Vi <- Vj *F Vk.
    VFloatMultiply,
    /// 162: Vi <- Sj *H Vk.
    VFloatMultiplyHalfScalar,
    /// 163: Vi <- Vj *H Vk.
    VFloatMultiplyHalf,
    /// 164: Vi <- Sj *R Vk.
    VFloatMultiplyRoundedScalar,
    /// 165: Vi <- Vj *R Vk.
    VFloatMultiplyRounded,
    /// 166: Vi <- 2 - Sj * Vk.
    VReciprocalIterationScalar,
    /// 167: Vi <- 2 - Vj * Vk.
    VReciprocalIteration,
    /// 170: Vi <- Sj +F Vk.
    VFloatAddScalar,
    /// 171: Vi <- Vj +F Vk.
    VFloatAdd,
    /// 172: Vi <- Sj -F Vk.
    VFloatSubtractScalar,
    /// 173: Vi <- Vj -F Vk.
    VFloatSubtract,
    /// 174ij0: Vi <- /H Vj.
    VReciprocalApproximation,
    /// 174ij1: Vi <- population count of Vj.
    VPopulation,
    /// 174ij2: Vi <- population parity of Vj (X-MP).
    VParity,
    /// 1750jk (k = 0..3): VM <- test of Vj (zero, nonzero, plus, minus).
    VMaskFromTest,
    /// 175ijk (k = 4..7): VM <- test of Vj, and compressed index list into Vi (X-MP).
    VCompressIndex,
    /// 176i0k: Vi <- memory from A0 with stride Ak.
    VLoad,
    /// 176i1k: Vi <- gather from A0 + Vk (X-MP).
    VGather,
    /// 1770jk: memory from A0 with stride Ak <- Vj.
    VStore,
    /// 1771jk: scatter Vj to A0 + Vk (X-MP).
    VScatter,
}

/// One row of the opcode table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Form {
    /// The operation.
    pub op: Op,
    /// First parcel as six octal digits; letters h, i, j, k mark free fields.
    pub pattern: &'static str,
    /// CAL syntax: result field, one blank, operand field (see [`super::syntax`]).
    pub syntax: &'static str,
    /// Functional unit.
    pub unit: Unit,
    /// True when only the X-MP has this form.
    pub xmp_only: bool,
}

impl Op {
    /// True for the jumps: the branches 005, 006, 007 and 010..017, the operations that
    /// may set P and still complete normally.
    pub fn is_jump(self) -> bool {
        matches!(
            self,
            Op::JumpB
                | Op::Jump
                | Op::ReturnJump
                | Op::JumpAZero
                | Op::JumpANonZero
                | Op::JumpAPlus
                | Op::JumpAMinus
                | Op::JumpSZero
                | Op::JumpSNonZero
                | Op::JumpSPlus
                | Op::JumpSMinus
        )
    }
}

impl Form {
    /// The fixed bits of the first parcel and the mask of the bits that are fixed.
    pub fn code_and_mask(&self) -> (u16, u16) {
        let mut code = 0u16;
        let mut mask = 0u16;
        for (position, ch) in self.pattern.chars().enumerate() {
            // The first digit is one bit wide (bit 15), the other five are three bits.
            let (shift, width) = if position == 0 {
                (15, 1)
            } else {
                (15 - 3 * position as u16, 3)
            };
            if let Some(digit) = ch.to_digit(8) {
                code |= (digit as u16) << shift;
                mask |= ((1u16 << width) - 1) << shift;
            }
        }
        (code, mask)
    }

    /// True if `parcel` matches this row's fixed fields.
    pub fn matches(&self, parcel: u16) -> bool {
        let (code, mask) = self.code_and_mask();
        parcel & mask == code
    }

    /// Number of fixed bits: the decoder prefers the most specific row.
    pub fn specificity(&self) -> u32 {
        self.code_and_mask().1.count_ones()
    }
}

const fn row(op: Op, pattern: &'static str, syntax: &'static str, unit: Unit) -> Form {
    Form {
        op,
        pattern,
        syntax,
        unit,
        xmp_only: false,
    }
}

const fn xmp(op: Op, pattern: &'static str, syntax: &'static str, unit: Unit) -> Form {
    Form {
        op,
        pattern,
        syntax,
        unit,
        xmp_only: true,
    }
}

use Op::*;
use Unit::{
    AddressAdd, AddressMultiply, Branch, FloatMultiply as Fm, Memory as Mem, None as NoUnit,
    Reciprocal as Ra, ScalarAdd, ScalarDoubleShift, ScalarLeadingZero, ScalarLogical as Sl,
    ScalarPopulation, ScalarShift, VectorAdd as Va, VectorLogical as Vl, VectorPopulation,
    VectorShift as Vs,
};

/// Floating add unit (named here to avoid a clash with [`Op::FloatAdd`]).
const FA: Unit = Unit::FloatAdd;

/// Every instruction form of the Cray X-MP and the Cray-1, in table order.
pub static FORMS: &[Form] = &[
    // 000-007: control.
    row(ErrorExit, "000000", "ERR", Branch),
    row(ErrorExit, "000ijk", "ERR {ijk#}", Branch),
    row(Pass, "001000", "PASS", NoUnit),
    row(ChannelSetAddress, "0010jk", "CA,A{j} A{k}", NoUnit),
    row(ChannelSetLimit, "0011jk", "CL,A{j} A{k}", NoUnit),
    row(ChannelClear, "0012j0", "CI,A{j}", NoUnit),
    xmp(ChannelMasterClear, "0012j1", "MC,A{j}", NoUnit),
    row(SetExchangeAddress, "0013j0", "XA A{j}", NoUnit),
    row(SetRealTimeClock, "0014j0", "RT S{j}", NoUnit),
    xmp(SetInterprocessorInterrupt, "001401", "SIPI", NoUnit),
    xmp(SetInterprocessorInterrupt, "0014j1", "SIPI {j#}", NoUnit),
    xmp(ClearInterprocessorInterrupt, "001402", "CIPI", NoUnit),
    xmp(SetCluster, "0014j3", "CLN {j#}", NoUnit),
    xmp(LoadClockInterval, "0014j4", "PCI S{j}", NoUnit),
    xmp(ClearClockInterrupt, "001405", "CCI", NoUnit),
    xmp(EnableClockInterrupt, "001406", "ECI", NoUnit),
    xmp(DisableClockInterrupt, "001407", "DCI", NoUnit),
    row(SetVectorLength, "002000", "VL 1", NoUnit),
    row(SetVectorLength, "00200k", "VL A{k}", NoUnit),
    row(EnableFloatInterrupt, "002100", "EFI", NoUnit),
    row(DisableFloatInterrupt, "002200", "DFI", NoUnit),
    row(EnableRangeInterrupt, "002300", "ERI", NoUnit),
    row(DisableRangeInterrupt, "002400", "DRI", NoUnit),
    xmp(DisableBidirectional, "002500", "DBM", NoUnit),
    xmp(EnableBidirectional, "002600", "EBM", NoUnit),
    xmp(CompleteMemoryReferences, "002700", "CMR", NoUnit),
    row(SetVectorMask, "003000", "VM 0", NoUnit),
    row(SetVectorMask, "0030j0", "VM S{j}", NoUnit),
    xmp(SemaphoreTestSet, "0034jk", "SM{jk} 1,TS", NoUnit),
    xmp(SemaphoreClear, "0036jk", "SM{jk} 0", NoUnit),
    xmp(SemaphoreSet, "0037jk", "SM{jk} 1", NoUnit),
    row(NormalExit, "004000", "EX", Branch),
    row(NormalExit, "004ijk", "EX {ijk#}", Branch),
    row(JumpB, "0050jk", "J B{jk}", Branch),
    row(Jump, "006ijk", "J {target#}", Branch),
    row(ReturnJump, "007ijk", "R {target#}", Branch),
    // 010-017: conditional jumps.
    row(JumpAZero, "010ijk", "JAZ {target#}", Branch),
    row(JumpANonZero, "011ijk", "JAN {target#}", Branch),
    row(JumpAPlus, "012ijk", "JAP {target#}", Branch),
    row(JumpAMinus, "013ijk", "JAM {target#}", Branch),
    row(JumpSZero, "014ijk", "JSZ {target#}", Branch),
    row(JumpSNonZero, "015ijk", "JSN {target#}", Branch),
    row(JumpSPlus, "016ijk", "JSP {target#}", Branch),
    row(JumpSMinus, "017ijk", "JSM {target#}", Branch),
    // 020-037: address instructions.
    row(AConstant, "020ijk", "A{i} {jkm#}", NoUnit),
    row(AComplementConstant, "021ijk", "A{i} #{jkm#}", NoUnit),
    row(AShortConstant, "022ijk", "A{i} {jk#}", NoUnit),
    row(AFromS, "023ij0", "A{i} S{j}", NoUnit),
    xmp(AFromVectorLength, "023i01", "A{i} VL", NoUnit),
    row(AFromB, "024ijk", "A{i} B{jk}", NoUnit),
    row(BFromA, "025ijk", "B{jk} A{i}", NoUnit),
    row(APopulation, "026ij0", "A{i} PS{j}", ScalarPopulation),
    xmp(AParity, "026ij1", "A{i} QS{j}", ScalarPopulation),
    xmp(AFromSharedB, "026ij7", "A{i} SB{j}", NoUnit),
    row(ALeadingZeros, "027ij0", "A{i} ZS{j}", ScalarLeadingZero),
    xmp(SharedBFromA, "027ij7", "SB{j} A{i}", NoUnit),
    row(AAdd, "030i0k", "A{i} A{k}", AddressAdd),
    row(AAdd, "030ij0", "A{i} A{j}+1", AddressAdd),
    row(AAdd, "030ijk", "A{i} A{j}+A{k}", AddressAdd),
    row(ASubtract, "031i00", "A{i} -1", AddressAdd),
    row(ASubtract, "031i0k", "A{i} -A{k}", AddressAdd),
    row(ASubtract, "031ij0", "A{i} A{j}-1", AddressAdd),
    row(ASubtract, "031ijk", "A{i} A{j}-A{k}", AddressAdd),
    row(AMultiply, "032ijk", "A{i} A{j}*A{k}", AddressMultiply),
    row(AChannelInterrupt, "033i00", "A{i} CI", NoUnit),
    row(AChannelAddress, "033ij0", "A{i} CA,A{j}", NoUnit),
    row(AChannelError, "033ij1", "A{i} CE,A{j}", NoUnit),
    row(BlockLoadB, "034ijk", "B{jk},A{i} ,A0", Mem),
    row(BlockStoreB, "035ijk", ",A0 B{jk},A{i}", Mem),
    row(BlockLoadT, "036ijk", "T{jk},A{i} ,A0", Mem),
    row(BlockStoreT, "037ijk", ",A0 T{jk},A{i}", Mem),
    // 040-077: scalar instructions.
    row(SConstant, "040ijk", "S{i} {jkm#}", NoUnit),
    row(SComplementConstant, "041ijk", "S{i} #{jkm#}", NoUnit),
    row(SMaskRight, "042ijk", "S{i} <{64-jk#}", Sl),
    row(SMaskLeft, "043ijk", "S{i} >{jk#}", Sl),
    row(SAnd, "044ij0", "S{i} S{j}&SB", Sl),
    row(SAnd, "044ijk", "S{i} S{j}&S{k}", Sl),
    row(SAndNot, "045ij0", "S{i} #SB&S{j}", Sl),
    row(SAndNot, "045ijk", "S{i} #S{k}&S{j}", Sl),
    row(SXor, "046ij0", "S{i} S{j}\\SB", Sl),
    row(SXor, "046ijk", "S{i} S{j}\\S{k}", Sl),
    row(SEquivalence, "047i00", "S{i} #SB", Sl),
    row(SEquivalence, "047i0k", "S{i} #S{k}", Sl),
    row(SEquivalence, "047ij0", "S{i} #S{j}\\SB", Sl),
    row(SEquivalence, "047ijk", "S{i} #S{j}\\S{k}", Sl),
    row(SMerge, "050ij0", "S{i} S{j}!S{i}&SB", Sl),
    row(SMerge, "050ijk", "S{i} S{j}!S{i}&S{k}", Sl),
    row(SOr, "051i00", "S{i} SB", Sl),
    row(SOr, "051i0k", "S{i} S{k}", Sl),
    row(SOr, "051ij0", "S{i} S{j}!SB", Sl),
    row(SOr, "051ijk", "S{i} S{j}!S{k}", Sl),
    row(S0ShiftLeft, "052ijk", "S0 S{i}<{jk#}", ScalarShift),
    row(S0ShiftRight, "053ijk", "S0 S{i}>{64-jk#}", ScalarShift),
    row(SShiftLeft, "054ijk", "S{i} S{i}<{jk#}", ScalarShift),
    row(SShiftRight, "055ijk", "S{i} S{i}>{64-jk#}", ScalarShift),
    row(
        SDoubleShiftLeft,
        "056i0k",
        "S{i} S{i}<A{k}",
        ScalarDoubleShift,
    ),
    row(
        SDoubleShiftLeft,
        "056ij0",
        "S{i} S{i},S{j}<1",
        ScalarDoubleShift,
    ),
    row(
        SDoubleShiftLeft,
        "056ijk",
        "S{i} S{i},S{j}<A{k}",
        ScalarDoubleShift,
    ),
    row(
        SDoubleShiftRight,
        "057i0k",
        "S{i} S{i}>A{k}",
        ScalarDoubleShift,
    ),
    row(
        SDoubleShiftRight,
        "057ij0",
        "S{i} S{j},S{i}>1",
        ScalarDoubleShift,
    ),
    row(
        SDoubleShiftRight,
        "057ijk",
        "S{i} S{j},S{i}>A{k}",
        ScalarDoubleShift,
    ),
    row(SAdd, "060ij0", "S{i} S{j}+SB", ScalarAdd),
    row(SAdd, "060ijk", "S{i} S{j}+S{k}", ScalarAdd),
    row(SSubtract, "061i00", "S{i} -SB", ScalarAdd),
    row(SSubtract, "061i0k", "S{i} -S{k}", ScalarAdd),
    row(SSubtract, "061ij0", "S{i} S{j}-SB", ScalarAdd),
    row(SSubtract, "061ijk", "S{i} S{j}-S{k}", ScalarAdd),
    row(FloatAdd, "062i00", "S{i} +FSB", FA),
    row(FloatAdd, "062i0k", "S{i} +FS{k}", FA),
    row(FloatAdd, "062ij0", "S{i} S{j}+FSB", FA),
    row(FloatAdd, "062ijk", "S{i} S{j}+FS{k}", FA),
    row(FloatSubtract, "063i00", "S{i} -FSB", FA),
    row(FloatSubtract, "063i0k", "S{i} -FS{k}", FA),
    row(FloatSubtract, "063ij0", "S{i} S{j}-FSB", FA),
    row(FloatSubtract, "063ijk", "S{i} S{j}-FS{k}", FA),
    row(FloatMultiply, "064ij0", "S{i} S{j}*FSB", Fm),
    row(FloatMultiply, "064ijk", "S{i} S{j}*FS{k}", Fm),
    row(FloatMultiplyHalf, "065ij0", "S{i} S{j}*HSB", Fm),
    row(FloatMultiplyHalf, "065ijk", "S{i} S{j}*HS{k}", Fm),
    row(FloatMultiplyRounded, "066ij0", "S{i} S{j}*RSB", Fm),
    row(FloatMultiplyRounded, "066ijk", "S{i} S{j}*RS{k}", Fm),
    row(ReciprocalIteration, "067ij0", "S{i} S{j}*ISB", Fm),
    row(ReciprocalIteration, "067ijk", "S{i} S{j}*IS{k}", Fm),
    row(ReciprocalApproximation, "070ij0", "S{i} /HS{j}", Ra),
    row(SFromA, "071i0k", "S{i} A{k}", NoUnit),
    row(SFromASigned, "071i1k", "S{i} +A{k}", NoUnit),
    row(SFloatFromA, "071i2k", "S{i} +FA{k}", NoUnit),
    row(SFloatConstant, "071i30", "S{i} 0.6", NoUnit),
    row(SFloatConstant, "071i40", "S{i} 0.4", NoUnit),
    row(SFloatConstant, "071i50", "S{i} 1.", NoUnit),
    row(SFloatConstant, "071i60", "S{i} 2.", NoUnit),
    row(SFloatConstant, "071i70", "S{i} 4.", NoUnit),
    row(SFromRealTimeClock, "072i00", "S{i} RT", NoUnit),
    xmp(SFromSemaphores, "072i02", "S{i} SM", NoUnit),
    xmp(SFromSharedT, "072ij3", "S{i} ST{j}", NoUnit),
    row(SFromVectorMask, "073i00", "S{i} VM", NoUnit),
    xmp(SFromStatus, "073i01", "S{i} SR0", NoUnit),
    xmp(SemaphoresFromS, "073i02", "SM S{i}", NoUnit),
    xmp(SharedTFromS, "073ij3", "ST{j} S{i}", NoUnit),
    row(SFromT, "074ijk", "S{i} T{jk}", NoUnit),
    row(TFromS, "075ijk", "T{jk} S{i}", NoUnit),
    row(SFromVectorElement, "076ij0", "S{i} V{j},1", NoUnit),
    row(SFromVectorElement, "076ijk", "S{i} V{j},A{k}", NoUnit),
    row(VectorElementFromS, "077i00", "V{i},1 0", NoUnit),
    row(VectorElementFromS, "077i0k", "V{i},A{k} 0", NoUnit),
    row(VectorElementFromS, "077ij0", "V{i},1 S{j}", NoUnit),
    row(VectorElementFromS, "077ijk", "V{i},A{k} S{j}", NoUnit),
    // 100-137: scalar memory references; h = 0 means no index register.
    row(LoadA, "100ijk", "A{i} {disp#},", Mem),
    row(LoadA, "10hijk", "A{i} {disp#},A{h}", Mem),
    row(StoreA, "110ijk", "{disp#}, A{i}", Mem),
    row(StoreA, "11hijk", "{disp#},A{h} A{i}", Mem),
    row(LoadS, "120ijk", "S{i} {disp#},", Mem),
    row(LoadS, "12hijk", "S{i} {disp#},A{h}", Mem),
    row(StoreS, "130ijk", "{disp#}, S{i}", Mem),
    row(StoreS, "13hijk", "{disp#},A{h} S{i}", Mem),
    // 140-177: vector instructions.
    row(VAndScalar, "140ijk", "V{i} S{j}&V{k}", Vl),
    row(VAnd, "141ijk", "V{i} V{j}&V{k}", Vl),
    row(VOrScalar, "142i0k", "V{i} V{k}", Vl),
    row(VOrScalar, "142ijk", "V{i} S{j}!V{k}", Vl),
    row(VOr, "143ijk", "V{i} V{j}!V{k}", Vl),
    row(VXorScalar, "144ijk", "V{i} S{j}\\V{k}", Vl),
    row(VXor, "145ijk", "V{i} V{j}\\V{k}", Vl),
    row(VMergeScalar, "146i0k", "V{i} #VM&V{k}", Vl),
    row(VMergeScalar, "146ijk", "V{i} S{j}!V{k}&VM", Vl),
    row(VMerge, "147ijk", "V{i} V{j}!V{k}&VM", Vl),
    row(VShiftLeft, "150ij0", "V{i} V{j}<1", Vs),
    row(VShiftLeft, "150ijk", "V{i} V{j}<A{k}", Vs),
    row(VShiftRight, "151ij0", "V{i} V{j}>1", Vs),
    row(VShiftRight, "151ijk", "V{i} V{j}>A{k}", Vs),
    row(VDoubleShiftLeft, "152ij0", "V{i} V{j},V{j}<1", Vs),
    row(VDoubleShiftLeft, "152ijk", "V{i} V{j},V{j}<A{k}", Vs),
    row(VDoubleShiftRight, "153ij0", "V{i} V{j},V{j}>1", Vs),
    row(VDoubleShiftRight, "153ijk", "V{i} V{j},V{j}>A{k}", Vs),
    row(VAddScalar, "154ijk", "V{i} S{j}+V{k}", Va),
    row(VAdd, "155ijk", "V{i} V{j}+V{k}", Va),
    row(VSubtractScalar, "156i0k", "V{i} -V{k}", Va),
    row(VSubtractScalar, "156ijk", "V{i} S{j}-V{k}", Va),
    row(VSubtract, "157ijk", "V{i} V{j}-V{k}", Va),
    row(VFloatMultiplyScalar, "160ijk", "V{i} S{j}*FV{k}", Fm),
    row(VFloatMultiply, "161ijk", "V{i} V{j}*FV{k}", Fm),
    row(VFloatMultiplyHalfScalar, "162ijk", "V{i} S{j}*HV{k}", Fm),
    row(VFloatMultiplyHalf, "163ijk", "V{i} V{j}*HV{k}", Fm),
    row(VFloatMultiplyRoundedScalar, "164ijk", "V{i} S{j}*RV{k}", Fm),
    row(VFloatMultiplyRounded, "165ijk", "V{i} V{j}*RV{k}", Fm),
    row(VReciprocalIterationScalar, "166ijk", "V{i} S{j}*IV{k}", Fm),
    row(VReciprocalIteration, "167ijk", "V{i} V{j}*IV{k}", Fm),
    row(VFloatAddScalar, "170i0k", "V{i} +FV{k}", FA),
    row(VFloatAddScalar, "170ijk", "V{i} S{j}+FV{k}", FA),
    row(VFloatAdd, "171ijk", "V{i} V{j}+FV{k}", FA),
    row(VFloatSubtractScalar, "172i0k", "V{i} -FV{k}", FA),
    row(VFloatSubtractScalar, "172ijk", "V{i} S{j}-FV{k}", FA),
    row(VFloatSubtract, "173ijk", "V{i} V{j}-FV{k}", FA),
    row(VReciprocalApproximation, "174ij0", "V{i} /HV{j}", Ra),
    row(VPopulation, "174ij1", "V{i} PV{j}", VectorPopulation),
    xmp(VParity, "174ij2", "V{i} QV{j}", VectorPopulation),
    row(VMaskFromTest, "1750j0", "VM V{j},Z", Vl),
    row(VMaskFromTest, "1750j1", "VM V{j},N", Vl),
    row(VMaskFromTest, "1750j2", "VM V{j},P", Vl),
    row(VMaskFromTest, "1750j3", "VM V{j},M", Vl),
    xmp(VCompressIndex, "175ij4", "V{i},VM V{j},Z", Vl),
    xmp(VCompressIndex, "175ij5", "V{i},VM V{j},N", Vl),
    xmp(VCompressIndex, "175ij6", "V{i},VM V{j},P", Vl),
    xmp(VCompressIndex, "175ij7", "V{i},VM V{j},M", Vl),
    row(VLoad, "176i00", "V{i} ,A0,1", Mem),
    row(VLoad, "176i0k", "V{i} ,A0,A{k}", Mem),
    xmp(VGather, "176i1k", "V{i} ,A0,V{k}", Mem),
    row(VStore, "1770j0", ",A0,1 V{j}", Mem),
    row(VStore, "1770jk", ",A0,A{k} V{j}", Mem),
    xmp(VScatter, "1771jk", ",A0,V{k} V{j}", Mem),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The jumps are exactly the branch-unit rows other than the exits, so the fetch
    /// loop's fast path for jumps and the timing model's branch accounting agree.
    #[test]
    fn jumps_are_the_branch_unit_rows_other_than_the_exits() {
        for form in FORMS {
            let branch =
                form.unit == Unit::Branch && !matches!(form.op, Op::NormalExit | Op::ErrorExit);
            assert_eq!(form.op.is_jump(), branch, "{:?}", form.op);
        }
    }
}
