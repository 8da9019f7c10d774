//! Instruction fetch: relocation by the instruction base, the program range check,
//! and the decoded-instruction cache.
//!
//! The cache holds one decoded [`Instruction`] per physical parcel address. Every hit
//! is checked against the parcels currently in memory (one word read, one compare),
//! so a store into a code word, by this CPU's scalar, block or vector stores or by
//! the system writing a process's memory directly, can never execute a stale
//! decoding: the mismatch simply decodes again. That check costs less than a decode
//! and needs no invalidation protocol with the rest of the system.

use super::{Cpu, Flags, Stop};
use crate::isa::{decode, instruction_length, Instruction, Model, Op};
use crate::memory::Memory;

/// A program address is 24 bits (parcels).
pub(crate) const P_MASK: u32 = 0xFF_FFFF;

/// Smallest number of cache entries allocated at once.
const MIN_ENTRIES: usize = 1 << 12;

/// One cache slot: `len` 0 means empty.
#[derive(Clone, Copy, Debug)]
struct Entry {
    instruction: Instruction,
    len: u8,
}

const EMPTY: Entry = Entry {
    instruction: Instruction {
        op: Op::Undefined,
        p1: 0,
        p2: 0,
    },
    len: 0,
};

/// Decoded instructions by physical parcel address (derived data: cloning gives an
/// empty cache and every cache compares equal, so snapshots ignore it).
#[derive(Default)]
pub struct DecodeCache {
    model: Option<Model>,
    entries: Vec<Entry>,
}

impl Clone for DecodeCache {
    fn clone(&self) -> DecodeCache {
        DecodeCache::default()
    }
}

impl PartialEq for DecodeCache {
    fn eq(&self, _: &DecodeCache) -> bool {
        true
    }
}

impl Eq for DecodeCache {}

impl std::fmt::Debug for DecodeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DecodeCache({} entries)", self.entries.len())
    }
}

impl DecodeCache {
    /// Forgets everything if the cache was filled for another model.
    #[inline]
    pub(crate) fn prepare(&mut self, model: Model) {
        if self.model != Some(model) {
            self.entries.clear();
            self.model = Some(model);
        }
    }

    /// Empties the cache (never needed for correctness; frees its memory).
    pub fn clear(&mut self) {
        self.entries = Vec::new();
    }
}

impl Cpu {
    /// Fetches the instruction at P, or the program range exchange if any of its
    /// parcels lies outside the instruction field or memory.
    #[inline(always)]
    pub(crate) fn fetch(&mut self, memory: &Memory) -> Result<Instruction, Stop> {
        let phys = self.p.wrapping_add(self.instruction_base << 2);
        let Some(p1) = self.fetch_parcel(phys, memory) else {
            return Err(self.program_range());
        };
        if let Some(entry) = self.decoded.entries.get(phys as usize) {
            if entry.len == 1 && entry.instruction.p1 == p1 {
                return Ok(entry.instruction);
            }
            if entry.len == 2 && entry.instruction.p1 == p1 {
                match self.fetch_parcel(phys.wrapping_add(1), memory) {
                    Some(p2) if p2 == entry.instruction.p2 => return Ok(entry.instruction),
                    _ => {}
                }
            }
        }
        self.fetch_slow(phys, p1, memory)
    }

    /// The parcel at physical parcel address `phys` if its word is inside the
    /// instruction field and memory.
    #[inline(always)]
    fn fetch_parcel(&self, phys: u32, memory: &Memory) -> Option<u16> {
        if phys >> 2 >= self.instruction_limit {
            return None;
        }
        memory.parcel(phys)
    }

    /// Decodes and caches the instruction at `phys` (a cache miss).
    #[cold]
    #[inline(never)]
    fn fetch_slow(&mut self, phys: u32, p1: u16, memory: &Memory) -> Result<Instruction, Stop> {
        let len = instruction_length(p1);
        let p2 = if len == 2 {
            match self.fetch_parcel(phys.wrapping_add(1), memory) {
                Some(p2) => p2,
                None => return Err(self.program_range()),
            }
        } else {
            0
        };
        let instruction = decode(p1, p2, self.model);
        let index = phys as usize;
        let cache = &mut self.decoded;
        if index >= cache.entries.len() {
            let wanted = (index + 1).max(MIN_ENTRIES).next_power_of_two();
            let cap = memory.len().saturating_mul(4).max(index + 1);
            cache.entries.resize(wanted.min(cap), EMPTY);
        }
        if let Some(slot) = cache.entries.get_mut(index) {
            *slot = Entry {
                instruction,
                len: len as u8,
            };
        }
        Ok(instruction)
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
