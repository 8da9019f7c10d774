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
//!   different memory, always changes that version. When only the version changed
//!   and the memory logged the words written since the CPU last ran
//!   (`Memory::written_since`: a system call's writes), only the entries of those
//!   words are invalidated, as for the CPU's own stores.
//!
//! On top of the entries, the cache keeps *blocks*: runs of consecutive instructions
//! from an entry point up to the first branch (at most [`MAX_BLOCK`]), copied with
//! their timing descriptors into one array, so that the issue loop walks a block by
//! index: no cache lookup, generation check or dependent load per instruction, and the
//! address of the next instruction's entry no longer waits for the one before. A block
//! is only ever made of valid entries, and every store that invalidates a valid entry
//! (a store into code) drops every block, and every entry with them (an entry names
//! the block that starts at it), as does dropping the whole cache. Dropping
//! empties the blocks' instruction array, and nothing refills it before the issue
//! loop looks a block up again, so the bounds check of the timed loop's next load
//! from a block that was dropped fails: a store into the block being run ends it
//! right after the store, with no check of its own. The untimed loop runs a block
//! with no bounds check (its blocks are arrays of a fixed size, padded with
//! sentinels), holding the blocks apart from the cache meanwhile, so each store
//! asks whether it dropped them instead.

use super::{Cpu, Flags, Stop};
use crate::isa::{decode, form_of, instruction_length, Instruction, Model, Op, Unit};
use crate::memory::Memory;
use crate::timing::Plain;

/// A program address is 24 bits (parcels).
pub(crate) const P_MASK: u32 = 0xFF_FFFF;

/// Smallest number of cache entries allocated at once.
const MIN_ENTRIES: usize = 1 << 8;

/// The slots of an untimed block: its instructions, then sentinels (see
/// [`Fetched::sentinel`]) up to this many, so that the untimed loop can index a block
/// modulo its size with no bounds check and no test for its end.
pub(crate) const BLOCK_SLOTS: usize = 64;

/// Most instructions in one block (a longer straight run is several blocks): one slot
/// of an untimed block is always left for a sentinel.
pub(crate) const MAX_BLOCK: usize = BLOCK_SLOTS - 1;

/// Most instructions kept in blocks at once: past it every block is dropped and the
/// ones still in use are built again (bounds the memory of a program that jumps into
/// many places, or drops blocks often).
const MAX_BLOCK_INSTRUCTIONS: usize = 1 << 20;

/// One cache slot, valid when its generation is the cache's.
#[derive(Clone, Copy, Debug)]
struct Entry {
    fetched: Fetched,
    generation: u32,
    /// The block that starts here (0: none), as [`Header::packed`]; valid with the
    /// entry, since dropping the blocks drops every entry too.
    block: u32,
}

/// A fetched instruction with what the issue loop needs to know about it.
///
/// Eight bytes, which the issue loop loads from a block in one piece and keeps in one
/// register. (Kept with the address of the next instruction, before the third step
/// of issue 19, it was larger, and the compiler assembled it on the stack from
/// overlapping pieces and read it back in halves: a store-forwarding stall on every
/// instruction the loop issued.)
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fetched {
    /// The instruction, kept whole (not as its parcels and operation side by side,
    /// as before the fifth step of issue 19) so that the issue loop hands the
    /// dispatch over its operation the value it loaded: built from separate fields,
    /// the instruction was reassembled before every dispatch (eight host
    /// instructions of shifts and ors).
    instruction: Instruction,
    /// Its functional unit, for the timing model.
    pub(crate) unit: Unit,
    /// [`Fetched::PARCELS`], [`Fetched::JUMPS`], [`Fetched::IN_BUFFER`].
    flags: u8,
}

impl Fetched {
    /// The bits holding its length in parcels (1 or 2), so that the length is one
    /// mask away.
    const PARCELS: u8 = 3;
    /// It is a jump (P must be reread after it executes).
    const JUMPS: u8 = 4;
    /// Set in a block only: its first parcel is in the same instruction buffer's
    /// worth of parcels as the instruction before it in the block, so the buffer
    /// that supplied that one supplies it too and the timing model need not look.
    const IN_BUFFER: u8 = 8;
    /// A sentinel (see [`Fetched::sentinel`]), not an instruction of the program.
    const SENTINEL: u8 = 16;

    /// What fills the slots of an untimed block after its instructions: a jump to
    /// `next`, the program address that follows the block's last instruction, marked
    /// as no instruction of the program. The untimed loop leaves a block at a jump, so
    /// reaching the sentinel leaves it with P where the program continues, and the
    /// loop needs no test of its own for the end of the block.
    pub(crate) fn sentinel(next: u32) -> Fetched {
        Fetched {
            // `J exp` (006ijkm): the 24-bit target in the low nine bits of the first
            // parcel and the second parcel.
            instruction: Instruction {
                op: Op::Jump,
                p1: 0o006000 | ((next >> 16) & 0o777) as u16,
                p2: next as u16,
            },
            unit: Unit::Branch,
            flags: 2 | Fetched::JUMPS | Fetched::SENTINEL,
        }
    }

    /// True for a sentinel, which the untimed loop does not count as an instruction.
    #[inline(always)]
    pub(crate) fn is_sentinel(self) -> bool {
        self.flags & Fetched::SENTINEL != 0
    }

    /// True if it is a jump (P must be reread after it executes).
    #[inline(always)]
    pub(crate) fn jumps(self) -> bool {
        self.flags & Fetched::JUMPS != 0
    }

    /// True if the instruction buffer of the instruction issued just before it (in
    /// the same block) holds it.
    #[inline(always)]
    pub(crate) fn in_buffer(self) -> bool {
        self.flags & Fetched::IN_BUFFER != 0
    }

    /// The instruction itself.
    #[inline(always)]
    pub(crate) fn instruction(self) -> Instruction {
        self.instruction
    }

    /// Its length in parcels (1 or 2).
    #[inline(always)]
    fn parcels(self) -> u32 {
        u32::from(self.flags & Fetched::PARCELS)
    }

    /// P after it, fetched from parcel address `at` (the next instruction in
    /// sequence), wrapped to 24 bits.
    #[inline(always)]
    pub(crate) fn next(self, at: u32) -> u32 {
        at.wrapping_add(self.parcels()) & P_MASK
    }
}

const EMPTY: Entry = Entry {
    fetched: Fetched {
        instruction: Instruction {
            op: Op::Undefined,
            p1: 0,
            p2: 0,
        },
        unit: Unit::None,
        flags: 1,
    },
    generation: 0,
    block: 0,
};

/// Where a block's instructions are in [`Blocks`], kept in the entry of its first
/// instruction (before the eighth step of issue 19, in a list of its own that the
/// entry pointed into, with the block's address to check that the entry's pointer
/// was not one left by blocks since dropped: two more dependent loads per block).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Header {
    /// Its index in `Blocks::untimed`, or the index of its first instruction in
    /// `Blocks::timed`.
    pub(crate) first: u32,
    /// Its number of instructions (1..=[`MAX_BLOCK`]).
    pub(crate) len: u32,
    /// A timed block whose timing the model may replay (see [`replays_timing`]): in
    /// the header, which the issue loop reads for every block anyway, so that other
    /// blocks pay one test of a register for it.
    pub(crate) steady: bool,
}

impl Header {
    /// The bits of [`Header::packed`] holding the length (at most [`MAX_BLOCK`]).
    const LEN_BITS: u32 = 6;
    /// The bit of [`Header::packed`] holding `steady`, above the length.
    const STEADY_BIT: u32 = Header::LEN_BITS;
    /// Where `first` begins in [`Header::packed`].
    const FIRST_SHIFT: u32 = Header::STEADY_BIT + 1;

    /// The header in one word for its entry: `first` above `steady` above the
    /// length, so never 0.
    fn packed(self) -> u32 {
        (self.first << Header::FIRST_SHIFT)
            | u32::from(self.steady) << Header::STEADY_BIT
            | self.len
    }

    /// The header [`Header::packed`] gave `word`, None for 0 (no block).
    #[inline(always)]
    fn unpacked(word: u32) -> Option<Header> {
        let len = word & ((1 << Header::LEN_BITS) - 1);
        (len != 0).then_some(Header {
            first: word >> Header::FIRST_SHIFT,
            len,
            steady: word >> Header::STEADY_BIT & 1 != 0,
        })
    }
}

const _: () = assert!(MAX_BLOCK < 1 << Header::LEN_BITS);
// Every index of an instruction of the timed blocks fits above the length and flag.
const _: () = assert!(MAX_BLOCK_INSTRUCTIONS < 1 << (32 - Header::FIRST_SHIFT));

/// One slot of a block of a CPU without a timing model: the instruction with its own
/// parcel address and the one after it, so that the untimed loop neither carries P
/// from one instruction to the next nor computes it (before the ninth step of issue
/// 19 the slot was the bare eight-byte instruction and the loop advanced P by its
/// length: a chain through every instruction, and two registers for P and the
/// instruction's address, which left the slot's index on the stack).
#[derive(Clone, Copy, Debug)]
#[repr(C, align(16))]
pub(crate) struct UntimedSlot {
    pub(crate) fetched: Fetched,
    /// The parcel address of the instruction.
    pub(crate) at: u32,
    /// P after it (see [`Fetched::next`]).
    pub(crate) next: u32,
}

impl UntimedSlot {
    /// The sentinel that ends a block whose program continues at `next` (see
    /// [`Fetched::sentinel`]).
    pub(crate) fn sentinel(next: u32) -> UntimedSlot {
        UntimedSlot {
            fetched: Fetched::sentinel(next),
            at: next,
            next,
        }
    }
}

/// The instructions of a block of a CPU without a timing model, then sentinels.
pub(crate) type UntimedBlock = [UntimedSlot; BLOCK_SLOTS];

/// One instruction of a block of a CPU with a timing model: the instruction and its
/// timing descriptor side by side, so that the timed loop finds both with one bounds
/// check.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(crate) struct TimedInstruction {
    pub(crate) fetched: Fetched,
    /// Its timing descriptor (see [`DecodeCache::descriptor`]).
    pub(crate) descriptor: Plain,
}

/// The decoded blocks (see the module's comment).
#[derive(Default)]
pub(crate) struct Blocks {
    /// The blocks of a CPU without a timing model, one array of [`BLOCK_SLOTS`]
    /// sixteen-byte slots each (the untimed loop's stride).
    pub(crate) untimed: Vec<UntimedBlock>,
    /// The instructions of every block, block after block, with their timing
    /// descriptors, for a CPU with a model. Only one of the two is ever filled:
    /// whether the CPU has a model is part of the cache's key.
    timed: Vec<TimedInstruction>,
    /// Set whenever the blocks are dropped: the untimed loop, which runs a block it
    /// holds apart from the cache, asks after each store whether it wrote into code.
    dropped: bool,
}

impl Blocks {
    /// Drops every block.
    fn drop_all(&mut self) {
        // Emptied, not only forgotten: the timed issue loop relies on it (see the
        // module's comment).
        self.untimed.clear();
        self.timed.clear();
        self.dropped = true;
    }

    /// The number of instruction slots in blocks.
    fn len(&self) -> usize {
        self.untimed.len() * BLOCK_SLOTS + self.timed.len()
    }
}

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
    /// Per physical word: nonzero if an entry that overlaps it may be valid (set when
    /// one is inserted, cleared when a store finds none), so that a store into data,
    /// nearly every store, costs one load and test (before the ninth step of issue
    /// 19 each store looked at the five entries that may overlap its word).
    code: Vec<u8>,
    blocks: Blocks,
    /// The mask of a scalar reference's address (22 bits, or 24 with enhanced
    /// addressing), set at every entry to a run from the CPU's mode, which only an
    /// exchange changes, and an exchange ends a run: one load where the mode's test
    /// was five host instructions on every scalar reference.
    pub(crate) scalar_address_mask: u32,
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

    /// The header of the block that starts at physical parcel address `phys`, if
    /// there is one.
    #[inline(always)]
    pub(crate) fn block_at(&self, phys: usize) -> Option<Header> {
        let entry = self.entries.get(phys)?;
        if entry.generation != self.generation {
            return None;
        }
        Header::unpacked(entry.block)
    }

    /// Instruction `index` of untimed block `block` (None once the blocks were
    /// dropped: they are emptied, and built again only between blocks).
    #[inline(always)]
    pub(crate) fn block_instruction(&self, block: usize, index: usize) -> Option<Fetched> {
        self.blocks
            .untimed
            .get(block)?
            .get(index)
            .map(|slot| slot.fetched)
    }

    /// The blocks of a CPU without a timing model, taken out of the cache while the
    /// untimed loop runs them (it puts them back to build one: see
    /// [`DecodeCache::put_untimed`]); `dropped` is cleared.
    #[inline(always)]
    pub(crate) fn take_untimed(&mut self) -> Vec<UntimedBlock> {
        self.blocks.dropped = false;
        std::mem::take(&mut self.blocks.untimed)
    }

    /// Puts back the blocks [`DecodeCache::take_untimed`] took, emptied if the blocks
    /// were dropped meanwhile.
    #[inline(always)]
    pub(crate) fn put_untimed(&mut self, mut blocks: Vec<UntimedBlock>) {
        if self.blocks.dropped {
            blocks.clear();
        }
        std::mem::swap(&mut self.blocks.untimed, &mut blocks);
    }

    /// True if the blocks were dropped (a store wrote into code) since the untimed
    /// loop took them.
    #[inline(always)]
    pub(crate) fn code_written(&self) -> bool {
        self.blocks.dropped
    }

    /// Instruction `index` of the blocks of a CPU with a timing model, with its
    /// timing descriptor (None once the blocks were dropped).
    #[inline(always)]
    pub(crate) fn block_instruction_timed(&self, index: usize) -> Option<TimedInstruction> {
        self.blocks.timed.get(index).copied()
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
        self.drop_blocks();
        self.key = None;
    }

    /// Drops every block, and with them every entry: an entry names the block that
    /// starts at it, so the one check of the entry's generation says whether that
    /// block is still there. Blocks are dropped when the whole cache is, on a store
    /// into code (rare: compiled programs never do) and when they hold too many
    /// instructions; the entries are decoded again as the blocks are built again.
    fn drop_blocks(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // After 2^32 generations old entries could look valid again.
            self.entries.clear();
            self.descriptors.clear();
            self.code.clear();
            self.generation = 1;
        }
        self.blocks.drop_all();
    }

    /// Invalidates the entries that may contain parcels of physical `word`: its four
    /// parcels and a two-parcel instruction starting in the last parcel before it.
    #[inline(always)]
    pub(crate) fn word_written(&mut self, word: usize) {
        if self.code.get(word).is_some_and(|&code| code != 0) {
            self.code_word_written(word);
        }
    }

    /// [`DecodeCache::word_written`] for a word that may hold code.
    #[cold]
    #[inline(never)]
    fn code_word_written(&mut self, word: usize) {
        self.words_written(word, 1);
        // No entry that overlaps the word is valid now.
        if let Some(code) = self.code.get_mut(word) {
            *code = 0;
        }
    }

    /// Invalidates the entries of `count` consecutive physical words from `word`,
    /// and drops the blocks if one of them was valid (a store into code).
    #[inline]
    pub(crate) fn words_written(&mut self, word: usize, count: usize) {
        let first = (word * 4).saturating_sub(1);
        if first < self.entries.len() {
            let end = ((word + count) * 4).min(self.entries.len());
            let generation = self.generation;
            let mut code = false;
            for (phys, entry) in (first..end).zip(&mut self.entries[first..end]) {
                // The parcel before the word matters only as the first of two.
                let overlaps = phys >= word * 4 || entry.fetched.parcels() == 2;
                code |= entry.generation == generation && overlaps;
                entry.generation = 0;
            }
            if code {
                self.drop_blocks();
            }
        }
    }

    /// Stores `fetched` and its timing `descriptor` as the entry at `phys`, in a
    /// memory of `memory_words` words.
    fn insert(&mut self, phys: usize, fetched: Fetched, descriptor: Plain, memory_words: usize) {
        if self.generation == 0 {
            self.generation = 1;
        }
        if phys >= self.entries.len() {
            let wanted = (phys + 2).max(MIN_ENTRIES).next_power_of_two();
            let cap = memory_words.saturating_mul(4).max(phys + 1);
            self.entries.resize(wanted.min(cap), EMPTY);
            self.descriptors.resize(wanted.min(cap), Plain::GENERAL);
            self.code.resize(wanted.min(cap).div_ceil(4) + 1, 0);
        }
        let last = phys + fetched.parcels() as usize - 1;
        for word in [phys / 4, last / 4] {
            if let Some(code) = self.code.get_mut(word) {
                *code = 1;
            }
        }
        if let (Some(slot), Some(timing)) =
            (self.entries.get_mut(phys), self.descriptors.get_mut(phys))
        {
            *slot = Entry {
                fetched,
                generation: self.generation,
                block: 0,
            };
            *timing = descriptor;
        }
    }
}

impl Cpu {
    /// Called on entry to `run`/`step`: drops the cache if what it depends on changed.
    #[inline]
    pub(crate) fn prepare_fetch(&mut self, memory: &Memory) {
        self.decoded.scalar_address_mask = self.scalar_address_mask();
        let key = Key {
            model: self.model,
            instruction_base: self.instruction_base,
            instruction_limit: self.instruction_limit,
            memory_version: memory.version(),
            timing: self.timing.as_deref().map(|model| model.model()),
        };
        let Some(known) = self.decoded.key else {
            self.decoded.clear();
            self.decoded.key = Some(key);
            return;
        };
        if known == key {
            return;
        }
        // Only the memory changed since the CPU last ran, by writes made outside it
        // that the memory logged (a system call's reply, a read into a buffer): the
        // entries of the words written go, and the blocks only if one of those words
        // held code, as for a store of the CPU's own.
        let written = memory.written_since(known.memory_version);
        match written {
            Some(ranges)
                if Key {
                    memory_version: key.memory_version,
                    ..known
                } == key =>
            {
                for range in ranges {
                    self.decoded.words_written(range.start, range.len());
                }
            }
            _ => self.decoded.clear(),
        }
        self.decoded.key = Some(key);
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

    /// The instruction at `phys` decoded, with its timing descriptor, if its parcels
    /// are inside the instruction field and memory (no side effect).
    fn decode_at(&self, phys: usize, memory: &Memory) -> Option<(Fetched, Plain)> {
        let p1 = self.fetch_parcel(phys, memory)?;
        let len = instruction_length(p1);
        let p2 = if len == 2 {
            self.fetch_parcel(phys + 1, memory)?
        } else {
            0
        };
        let instruction = decode(p1, p2, self.model);
        let unit = form_of(p1, self.model).map_or(Unit::None, |form| form.unit);
        let timing = self
            .timing
            .as_deref()
            .map_or(Plain::GENERAL, |model| model.descriptor(instruction, unit));
        // 1 or 2, inside `Fetched::PARCELS`.
        let parcels = len as u8;
        let jumps = if instruction.op.is_jump() {
            Fetched::JUMPS
        } else {
            0
        };
        let fetched = Fetched {
            instruction,
            unit,
            flags: parcels | jumps,
        };
        Some((fetched, timing))
    }

    /// Decodes and caches the instruction at `phys` (a cache miss).
    #[cold]
    #[inline(never)]
    pub(crate) fn fetch_slow(&mut self, phys: usize, memory: &Memory) -> Result<Fetched, Stop> {
        let Some((fetched, timing)) = self.decode_at(phys, memory) else {
            return Err(self.program_range());
        };
        self.decoded.insert(phys, fetched, timing, memory.len());
        Ok(fetched)
    }

    /// Builds the block starting at physical parcel address `phys` (program address
    /// `p`): the instruction there (whose fetch errors are the program's, as
    /// `fetch_slow`'s), then those after it in sequence up to and including the first
    /// branch or exit, [`MAX_BLOCK`] of them, or the last one that can be fetched
    /// before the end of the instruction field or of the 24-bit program addresses.
    /// Without a timing model, a block also ends at an instruction that sets the
    /// programmable clock, and before one that reads or sets the real-time clock
    /// (see [`starts_untimed_block`]).
    #[cold]
    #[inline(never)]
    pub(crate) fn build_block(&mut self, phys: usize, p: u32, memory: &Memory) -> Result<(), Stop> {
        if self.decoded.blocks.len() >= MAX_BLOCK_INSTRUCTIONS {
            self.decoded.drop_blocks();
        }
        if self.decoded.lookup(phys).is_none() {
            self.fetch_slow(phys, memory)?;
        }
        let start = p;
        let (mut at, mut p) = (phys, p);
        let timed = self.timing.is_some();
        let mut previous_buffer = None;
        let mut block = Vec::with_capacity(MAX_BLOCK);
        while block.len() < MAX_BLOCK {
            let fetched = match self.decoded.lookup(at) {
                Some(fetched) => fetched,
                None => match self.decode_at(at, memory) {
                    Some((fetched, timing)) => {
                        self.decoded.insert(at, fetched, timing, memory.len());
                        fetched
                    }
                    None => break,
                },
            };
            let op = fetched.instruction.op;
            if !timed && !block.is_empty() && starts_untimed_block(op) {
                break;
            }
            let descriptor = self.decoded.descriptor(at);
            let buffer = self.timing.as_deref().map(|model| model.buffer_block(p));
            let mut fetched = fetched;
            if buffer.is_some() && buffer == previous_buffer {
                fetched.flags |= Fetched::IN_BUFFER;
            }
            previous_buffer = buffer;
            block.push(TimedInstruction {
                fetched,
                descriptor,
            });
            // A branch, an exit or an undefined instruction ends a block: past it may
            // be data.
            let next = p + fetched.parcels();
            let ends = fetched.jumps()
                || fetched.unit == Unit::Branch
                || op == Op::Undefined
                || (!timed && op == Op::LoadClockInterval);
            (at, p) = (at + fetched.parcels() as usize, next);
            if ends || next > P_MASK {
                break;
            }
        }
        let blocks = &mut self.decoded.blocks;
        let first = if timed {
            let first = blocks.timed.len();
            blocks.timed.extend_from_slice(&block);
            first
        } else {
            // The sentinels jump to where the program continues after the block
            // (wrapped as P is: only a jump or an exit can end a block at the top of
            // the program addresses, and neither reaches its sentinel).
            let mut slots = [UntimedSlot::sentinel(p & P_MASK); BLOCK_SLOTS];
            let mut at = start;
            for (slot, entry) in slots.iter_mut().zip(&block) {
                let next = entry.fetched.next(at);
                *slot = UntimedSlot {
                    fetched: entry.fetched,
                    at,
                    next,
                };
                at = next;
            }
            blocks.untimed.push(slots);
            blocks.untimed.len() - 1
        };
        let header = Header {
            first: first as u32,
            len: block.len() as u32,
            steady: timed && replays_timing(&block),
        };
        if let Some(entry) = self.decoded.entries.get_mut(phys) {
            entry.block = header.packed();
        }
        Ok(())
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

/// True for a timed block whose timing the model may replay when it runs again from
/// the same state (see `timing::steady`): one with an instruction that the model
/// times by its general rules (vector instructions, block transfers: where a replay
/// spares far more than it costs), none that reads or sets a clock, whose result
/// depends on the clock periods of the instructions before it in the block, and no
/// gather or scatter, whose timing depends on the addresses in a V register, which
/// what a replay compares (`BlockInput`) does not hold.
fn replays_timing(block: &[TimedInstruction]) -> bool {
    let general = |entry: &TimedInstruction| {
        !entry.descriptor.has(Plain::APPLIES) && !entry.descriptor.has(Plain::SCALAR_MEMORY)
    };
    let excluded = |entry: &TimedInstruction| {
        let op = entry.fetched.instruction.op;
        starts_untimed_block(op) || matches!(op, Op::LoadClockInterval | Op::VGather | Op::VScatter)
    };
    block.iter().any(general) && !block.iter().any(excluded)
}

/// True for an operation that reads or sets the real-time clock, which counts the
/// clock periods: the untimed loop counts a block's instructions only when it leaves
/// the block, so such an operation must come first in its block, where the count is
/// exact.
fn starts_untimed_block(op: Op) -> bool {
    matches!(op, Op::SFromRealTimeClock | Op::SetRealTimeClock)
}
