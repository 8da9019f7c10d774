//! What the timing model derives from an instruction alone, once per first parcel:
//! its operands, latency and kind ([`Derived`]), and for the instructions that can
//! take the plain path the few bytes that path reads ([`Plain`]). Kept in a cache
//! indexed by first parcel ([`DerivedCache`]), which is not machine state
//! ([`crate::not_state`]).

use super::operands::{self, is_scalar, is_vector};
use super::times::NEVER_WRITTEN;
use super::{is_memory_reference, Figures};
use crate::isa::{Instruction, Op, Unit};

/// The first parcel, operation and unit an entry was derived from, packed into one
/// word so that a cache hit is one comparison. The second parcel plays no part: it
/// holds a constant or an address, never a register or an operation.
#[inline]
pub(super) fn key_of(instruction: Instruction, unit: Unit) -> u64 {
    u64::from(instruction.p1) | (instruction.op as u64) << 32 | (unit as u64) << 48
}

/// [`Derived`] entries by first parcel. What the model derives depends on the first
/// parcel alone (with the model's figures, fixed for a timing model), so entries are
/// never evicted however large the program: `index[p1]` is one more than the position
/// of `p1`'s entry in `entries`, 0 before it is first derived. A key mismatch (a
/// caller pairing the parcel with another unit) derives again in place.
#[derive(Debug, Default)]
pub(super) struct DerivedCache {
    index: Vec<u32>,
    entries: Vec<Derived>,
}

impl DerivedCache {
    /// The position of the entry for `instruction` on `unit`, if derived.
    #[inline(always)]
    pub(super) fn find(&self, instruction: Instruction, unit: Unit) -> Option<usize> {
        let position = (*self.index.get(usize::from(instruction.p1))?).checked_sub(1)? as usize;
        let entry = self.entries.get(position)?;
        (entry.key == key_of(instruction, unit)).then_some(position)
    }

    /// Stores `derived` for its first parcel and returns its position.
    pub(super) fn insert(&mut self, instruction: Instruction, derived: Derived) -> usize {
        if self.index.is_empty() {
            self.index = vec![0; 1 << 16];
        }
        let slot = &mut self.index[usize::from(instruction.p1)];
        if let Some(position) = slot.checked_sub(1) {
            self.entries[position as usize] = derived;
            return position as usize;
        }
        self.entries.push(derived);
        // At most 2^16 entries, one per first parcel: the count fits.
        *slot = self.entries.len() as u32;
        self.entries.len() - 1
    }

    /// The entry at `position` (from `find` or `insert`).
    #[inline(always)]
    pub(super) fn entry(&self, position: usize) -> &Derived {
        &self.entries[position]
    }
}

/// What the plain path needs of a scalar, transfer, control or branch instruction
/// that references no memory and no V register and waits for nothing else: the whole
/// issue rule then reduces to a few maxima (see `TimingModel::issue_plain`).
///
/// Eight bytes, so that taking it from the cache is one load. It is also the timing
/// descriptor the CPU keeps beside each decoded instruction (see
/// [`TimingModel::advance`](super::TimingModel::advance)), so that issuing a decoded
/// instruction looks nothing up by its first parcel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(8))]
pub(crate) struct Plain {
    /// The registers whose reservations bound issue (sources and destinations),
    /// padded by repeating one of them (a maximum does not mind repeats); an
    /// instruction with none holds [`NEVER_WRITTEN`], whose ready time is always 0.
    pub(super) reads: [u8; 4],
    /// The register written, or [`NO_REGISTER`].
    pub(super) destination: u8,
    /// Its result latency.
    pub(super) latency: u8,
    /// Its functional unit.
    pub(super) unit: Unit,
    /// [`Plain::APPLIES`] and the other flags below.
    pub(super) flags: u8,
}

impl Plain {
    /// The plain path applies (unless the CPU reports a memory reference).
    pub(crate) const APPLIES: u8 = 1;
    /// At most two registers bound its issue: the last two of `reads` repeat the
    /// first (see `TimingModel::registers_ready_plain`).
    pub(super) const TWO_READS: u8 = 2;
    /// It writes an A or S register (it then needs the file's result path).
    pub(super) const SCALAR_DESTINATION: u8 = 4;
    /// It must wait for its functional unit.
    pub(super) const RESERVES_UNIT: u8 = 8;
    /// It counts as a branch (branch unit, not EX or ERR).
    pub(super) const BRANCH: u8 = 16;
    /// It always branches (J, R, B-register jump).
    pub(super) const UNCONDITIONAL: u8 = 32;
    /// It counts a floating-point operation.
    pub(super) const FLOPS: u8 = 64;
    /// A scalar load or store (10h..13h) on no reserved unit: with the word the CPU
    /// reports, it takes the scalar-memory path (`TimingModel::issue_scalar_memory`).
    /// A load writes its one register (`destination`), an A or S register, so it
    /// has [`Plain::SCALAR_DESTINATION`]; a store writes none, so `destination` is
    /// [`NO_REGISTER`] and that flag is clear exactly for the stores.
    pub(crate) const SCALAR_MEMORY: u8 = 128;

    /// The descriptor of an instruction not derived yet: no shortcut applies, so the
    /// model derives it and applies the general rules (always correct, never fast).
    pub(crate) const GENERAL: Plain = Plain {
        reads: [0; 4],
        destination: NO_REGISTER,
        latency: 0,
        unit: Unit::None,
        flags: 0,
    };

    #[inline(always)]
    pub(crate) fn has(self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// `Plain::destination` of an instruction that writes no register.
pub(super) const NO_REGISTER: u8 = u8::MAX;

/// What the model derives from an instruction alone (its operands, latency and kind).
#[derive(Clone, Copy, Debug)]
pub(super) struct Derived {
    /// [`key_of`] the instruction and unit.
    pub(super) key: u64,
    /// The plain path's data.
    pub(super) fast: Plain,
    pub(super) ops: operands::Operands,
    pub(super) vector: bool,
    pub(super) store: bool,
    pub(super) chainable: bool,
    pub(super) reserves_unit: bool,
    /// EX, ERR and CMR wait until all issued work has finished.
    pub(super) drains: bool,
    /// The A or S register it writes, if any (for the result paths).
    pub(super) scalar_destination: Option<u8>,
    pub(super) latency: u64,
}

impl Derived {
    pub(super) fn of(f: &Figures, instruction: Instruction, unit: Unit) -> Derived {
        let op = instruction.op;
        let ops = operands::operands(instruction);
        let vector = instruction.p1 >> 9 >= 0o140;
        let store = matches!(
            op,
            Op::StoreA | Op::StoreS | Op::BlockStoreB | Op::BlockStoreT | Op::VStore | Op::VScatter
        );
        let latency = latency(f, op, unit);
        let reserves_unit = !matches!(unit, Unit::None | Unit::Branch | Unit::Memory);
        let drains = matches!(
            op,
            Op::NormalExit | Op::ErrorExit | Op::CompleteMemoryReferences
        );
        let scalar_destination = ops.destinations().iter().copied().find(|&r| is_scalar(r));
        let fast = plain(
            instruction,
            unit,
            &ops,
            latency,
            reserves_unit,
            drains || vector,
        );
        Derived {
            key: key_of(instruction, unit),
            fast,
            ops,
            latency,
            vector,
            store,
            chainable: vector && (f.store_chaining || !store),
            reserves_unit,
            drains,
            scalar_destination,
        }
    }
}

/// Whether the plain path applies to an instruction, and its data.
fn plain(
    instruction: Instruction,
    unit: Unit,
    ops: &operands::Operands,
    latency: u64,
    reserves_unit: bool,
    excluded: bool,
) -> Plain {
    let op = instruction.op;
    // At most 5 sources and 2 destinations.
    let mut distinct = [0u8; 7];
    let mut count = 0;
    for &register in ops.sources().iter().chain(ops.destinations()) {
        if !distinct[..count].contains(&register) {
            distinct[count] = register;
            count += 1;
        }
    }
    let reads = &distinct[..count];
    let destination = match ops.destinations() {
        [] => Some(NO_REGISTER),
        [one] => Some(*one),
        _ => None,
    };
    let applies = !excluded
        && !is_memory_reference(instruction)
        && unit != Unit::Memory
        && reads.len() <= 4
        && !reads.iter().any(|&r| is_vector(r))
        && destination.is_some()
        && latency <= u64::from(u8::MAX);
    let mut padded = [reads.first().copied().unwrap_or(NEVER_WRITTEN); 4];
    padded[..reads.len().min(4)].copy_from_slice(&reads[..reads.len().min(4)]);
    let destination = destination.unwrap_or(NO_REGISTER);
    let flags = [
        (applies, Plain::APPLIES),
        (reads.len() <= 2, Plain::TWO_READS),
        (
            destination != NO_REGISTER && is_scalar(destination),
            Plain::SCALAR_DESTINATION,
        ),
        (reserves_unit, Plain::RESERVES_UNIT),
        (
            unit == Unit::Branch && !matches!(op, Op::NormalExit | Op::ErrorExit),
            Plain::BRANCH,
        ),
        (
            matches!(op, Op::Jump | Op::ReturnJump | Op::JumpB),
            Plain::UNCONDITIONAL,
        ),
        (
            matches!(
                unit,
                Unit::FloatAdd | Unit::FloatMultiply | Unit::Reciprocal
            ),
            Plain::FLOPS,
        ),
        (
            !excluded
                && !reserves_unit
                && matches!(op, Op::LoadA | Op::StoreA | Op::LoadS | Op::StoreS),
            Plain::SCALAR_MEMORY,
        ),
    ]
    .iter()
    .filter(|(set, _)| *set)
    .fold(0, |flags, (_, flag)| flags | flag);
    Plain {
        reads: padded,
        destination,
        latency: latency.min(u64::from(u8::MAX)) as u8,
        unit,
        flags,
    }
}

/// Result latency of `op` on `unit` (for vector instructions: the unit time before
/// `vector_transit`).
pub(super) fn latency(f: &Figures, op: Op, unit: Unit) -> u64 {
    match unit {
        Unit::AddressAdd => f.address_add,
        Unit::AddressMultiply => f.address_multiply,
        Unit::ScalarAdd => f.scalar_add,
        Unit::ScalarLogical => f.scalar_logical,
        Unit::ScalarShift => f.scalar_shift,
        Unit::ScalarDoubleShift => f.scalar_double_shift,
        Unit::ScalarPopulation => f.scalar_population,
        Unit::ScalarLeadingZero => f.scalar_leading_zero,
        Unit::FloatAdd => f.float_add,
        Unit::FloatMultiply => f.float_multiply,
        Unit::Reciprocal => f.reciprocal,
        Unit::VectorAdd => f.vector_add,
        Unit::VectorLogical => f.vector_logical,
        Unit::VectorShift if matches!(op, Op::VDoubleShiftLeft | Op::VDoubleShiftRight) => {
            f.vector_double_shift
        }
        Unit::VectorShift => f.vector_shift,
        Unit::VectorPopulation => f.vector_population,
        Unit::Memory => f.memory_load,
        Unit::None | Unit::Branch if op == Op::SFromVectorElement => f.vector_element_read,
        Unit::None | Unit::Branch => f.transfer,
    }
}
