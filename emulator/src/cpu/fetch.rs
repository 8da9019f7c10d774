//! Instruction fetch: relocation by the instruction base, the program range check,
//! and the decoded-instruction cache.
//!
//! The cache holds one decoded [`Instruction`] per physical parcel address, filled
//! only for instructions whose parcels all lie inside the instruction field, so a
//! hit needs neither a decode nor a range check. Beside it, the timing descriptor the
//! CPU's timing model computed for it (when the CPU has a model), so that timing an
//! instruction looks nothing up either. It stays correct because:
//! - every store of this CPU (scalar, block, vector) goes through one function that
//!   invalidates the entries overlapping the stored word;
//! - at every entry to [`Cpu::run`] / [`Cpu::step`] the cache is dropped (in O(1),
//!   by a new generation) if the model, the instruction base or limit, or the
//!   memory's content version, or whether the CPU has a timing model and of which
//!   machine (the descriptors depend on its figures), changed since the CPU last ran:
//!   a write to memory made
//!   outside the CPU (the system loading a program, a `read` into a buffer), or a
//!   different memory, always changes that version.

use super::{Cpu, Flags, Stop};
use crate::isa::{decode, form_of, instruction_length, Instruction, Model, Op, Unit};
use crate::memory::Memory;
use crate::timing::Plain;

/// A program address is 24 bits (parcels).
pub(crate) const P_MASK: u32 = 0xFF_FFFF;

/// Smallest number of cache entries allocated at once.
const MIN_ENTRIES: usize = 1 << 8;

/// One cache slot, valid when its generation is the cache's.
#[derive(Clone, Copy, Debug)]
struct Entry {
    fetched: Fetched,
    generation: u32,
}

/// A fetched instruction with what the issue loop needs to know about it.
///
/// Eight bytes with no padding inside, so that it travels in one register. Kept as
/// an [`Instruction`] (which has a byte of padding) and the address of the next
/// instruction, the compiler assembled it on the stack from overlapping pieces and
/// read it back in halves: a store-forwarding stall on every instruction the loop
/// issued (half of the untimed loop's samples sat on the instruction after that
/// load), and a round trip through memory on every other.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fetched {
    p1: u16,
    p2: u16,
    op: Op,
    /// Its functional unit, for the timing model.
    pub(crate) unit: Unit,
    /// Its length in parcels (1 or 2).
    parcels: u8,
    /// True if it is a jump (P must be reread after it executes).
    pub(crate) jumps: bool,
}

impl Fetched {
    /// The instruction itself.
    #[inline(always)]
    pub(crate) fn instruction(self) -> Instruction {
        Instruction {
            op: self.op,
            p1: self.p1,
            p2: self.p2,
        }
    }

    /// P after it, fetched from parcel address `at` (the next instruction in
    /// sequence), wrapped to 24 bits.
    #[inline(always)]
    pub(crate) fn next(self, at: u32) -> u32 {
        at.wrapping_add(u32::from(self.parcels)) & P_MASK
    }
}

const EMPTY: Entry = Entry {
    fetched: Fetched {
        p1: 0,
        p2: 0,
        op: Op::Undefined,
        unit: Unit::None,
        parcels: 1,
        jumps: false,
    },
    generation: 0,
};

/// What the cached decodings depend on besides the words themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    model: Model,
    instruction_base: u32,
    instruction_limit: u32,
    memory_version: u64,
    /// The machine the CPU's timing model times, if it has one.
    timing: Option<Model>,
}

/// Decoded instructions by physical parcel address (derived data: the CPU keeps it as
/// `NotState`, so cloning gives an empty cache and snapshots ignore it).
#[derive(Default)]
pub struct DecodeCache {
    generation: u32,
    key: Option<Key>,
    entries: Vec<Entry>,
    /// The timing descriptor of each entry, at the same index (see
    /// `TimingModel::descriptor`; [`Plain::GENERAL`] when the CPU has no model). Kept
    /// apart from the entries so that the untimed issue loop never loads them.
    descriptors: Vec<Plain>,
}

impl std::fmt::Debug for DecodeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DecodeCache({} entries)", self.entries.len())
    }
}

impl DecodeCache {
    /// The valid entry at physical parcel address `phys`, if any.
    #[inline(always)]
    pub(crate) fn lookup(&self, phys: usize) -> Option<Fetched> {
        let entry = self.entries.get(phys)?;
        (entry.generation == self.generation).then_some(entry.fetched)
    }

    /// The timing descriptor of the instruction at physical parcel address `phys`,
    /// valid when [`DecodeCache::lookup`] found it or `fetch_slow` just decoded it
    /// ([`Plain::GENERAL`], which the model times by its general rules, where the
    /// cache keeps no entry).
    #[inline(always)]
    pub(crate) fn descriptor(&self, phys: usize) -> Plain {
        self.descriptors
            .get(phys)
            .copied()
            .unwrap_or(Plain::GENERAL)
    }

    /// Invalidates every entry.
    pub fn clear(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // After 2^32 generations old entries could look valid again.
            self.entries.clear();
            self.descriptors.clear();
            self.generation = 1;
        }
        self.key = None;
    }

    /// Invalidates the entries that may contain parcels of physical `word`: its four
    /// parcels and a two-parcel instruction starting in the last parcel before it.
    #[inline(always)]
    pub(crate) fn word_written(&mut self, word: usize) {
        let first = (word * 4).saturating_sub(1);
        if first < self.entries.len() {
            let end = (word * 4 + 4).min(self.entries.len());
            for entry in &mut self.entries[first..end] {
                entry.generation = 0;
            }
        }
    }

    /// Invalidates the entries of `count` consecutive physical words from `word`.
    #[inline]
    pub(crate) fn words_written(&mut self, word: usize, count: usize) {
        let first = (word * 4).saturating_sub(1);
        if first < self.entries.len() {
            let end = ((word + count) * 4).min(self.entries.len());
            for entry in &mut self.entries[first..end] {
                entry.generation = 0;
            }
        }
    }
}

impl Cpu {
    /// Called on entry to `run`/`step`: drops the cache if what it depends on changed.
    #[inline]
    pub(crate) fn prepare_fetch(&mut self, memory: &Memory) {
        let key = Key {
            model: self.model,
            instruction_base: self.instruction_base,
            instruction_limit: self.instruction_limit,
            memory_version: memory.version(),
            timing: self.timing.as_deref().map(|model| model.model()),
        };
        if self.decoded.key != Some(key) {
            self.decoded.clear();
            self.decoded.key = Some(key);
        }
    }

    /// Called on exit from `run`/`step`: this CPU's stores are already reflected in
    /// the cache, so the memory gets a new version that only this cache knows.
    #[inline]
    pub(crate) fn finish_fetch(&mut self, memory: &mut Memory) {
        memory.new_version();
        if let Some(key) = &mut self.decoded.key {
            key.memory_version = memory.version();
        }
    }

    /// The parcel at physical parcel address `phys` if its word is inside the
    /// instruction field and memory.
    #[inline]
    fn fetch_parcel(&self, phys: usize, memory: &Memory) -> Option<u16> {
        let word = phys / 4;
        if word >= self.instruction_limit as usize {
            return None;
        }
        let word = *memory.words().get(word)?;
        Some((word >> (48 - 16 * (phys % 4))) as u16)
    }

    /// Decodes and caches the instruction at `phys` (a cache miss).
    #[cold]
    #[inline(never)]
    pub(crate) fn fetch_slow(&mut self, phys: usize, memory: &Memory) -> Result<Fetched, Stop> {
        let Some(p1) = self.fetch_parcel(phys, memory) else {
            return Err(self.program_range());
        };
        let len = instruction_length(p1);
        let p2 = if len == 2 {
            match self.fetch_parcel(phys + 1, memory) {
                Some(p2) => p2,
                None => return Err(self.program_range()),
            }
        } else {
            0
        };
        let instruction = decode(p1, p2, self.model);
        let unit = form_of(p1, self.model).map_or(Unit::None, |form| form.unit);
        let timing = self
            .timing
            .as_deref()
            .map_or(Plain::GENERAL, |model| model.descriptor(instruction, unit));
        let fetched = Fetched {
            p1: instruction.p1,
            p2: instruction.p2,
            op: instruction.op,
            parcels: len as u8,
            unit,
            jumps: instruction.op.is_jump(),
        };
        let cache = &mut self.decoded.0;
        if cache.generation == 0 {
            cache.generation = 1;
        }
        if phys >= cache.entries.len() {
            let wanted = (phys + 2).max(MIN_ENTRIES).next_power_of_two();
            let cap = memory.len().saturating_mul(4).max(phys + 1);
            cache.entries.resize(wanted.min(cap), EMPTY);
            cache.descriptors.resize(wanted.min(cap), Plain::GENERAL);
        }
        if let (Some(slot), Some(descriptor)) =
            (cache.entries.get_mut(phys), cache.descriptors.get_mut(phys))
        {
            *slot = Entry {
                fetched,
                generation: cache.generation,
            };
            *descriptor = timing;
        }
        Ok(fetched)
    }

    /// Raises the program range error: always an exchange, at the faulting P.
    #[cold]
    fn program_range(&mut self) -> Stop {
        self.flags.set(Flags::PROGRAM_RANGE);
        Stop::Exchange {
            flags: Flags(Flags::PROGRAM_RANGE),
            at: self.p,
        }
    }
}
