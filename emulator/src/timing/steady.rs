//! Steady-state replay: the timing of a block of instructions, worked out once by the
//! rules and then applied again whenever the block runs from the same state.
//!
//! A vector loop runs one block (its body up to the branch back) strip after strip,
//! and after the first strips every strip finds the model as the one before found
//! it, moved on in time: the same registers pending the same number of clock periods
//! ahead, the same units and ports busy as long, the banks holding the same ramp.
//! The rules are the same at every clock period (no rule reads the clock itself,
//! only differences between times, and the result-path rings are indexed by time
//! modulo their size), so such a strip issues its instructions at the same offsets
//! and leaves the model in the same state, moved on again. The general rules cost
//! some 300 host instructions per vector instruction; comparing the state with the
//! one the block was last timed from and applying what that run did costs a few
//! hundred per block.
//!
//! What is compared ([`Relative`]): every time the model keeps, as an offset from
//! the clock, except that times [`MARGIN`] or more periods behind it all read the
//! same ("long past"): nothing that issues from the clock on can tell them apart
//! (a register, unit or port past its time is free; a bank past its last
//! reservation by more than its window is free and its window is replaced whole by
//! the next reservation, `banks::window_after`). Their values are still state, so a
//! replay keeps every time the block did not change as it is. Beside the times:
//! each bank's window (where its bank is not long past), which result periods of the
//! A and S paths ahead are taken, the instruction buffers, and which load port frees
//! first (`port_for` compares the two ports' times with each other, not with the
//! clock).
//!
//! What the block's instructions bring ([`BlockInput`]): each one's address and
//! parcels, VL, whether it branched, and the banks its memory reference visits;
//! anything else of an address no rule reads.
//!
//! What is applied ([`Effect`]): for every time, kept or set to an offset from the
//! clock; the windows, kept or set; the result periods taken; the buffers; what the
//! counters counted; how far the clock moved, and by the last instruction's issue.
//!
//! A replay gives the state, counters and clock periods the rules give; the tests
//! (`isa-tests/tests/timing_cpu.rs`, `steady_replay`) run random vector loops both
//! ways, on both models and to random budgets, and compare the whole machine.
//!
//! Where it applies (the issue loop's side, `cpu::steady`): blocks with an
//! instruction the general rules time and none that reads or sets a clock, in a run
//! that records no timeline, has no probe and no programmable clock counting; the
//! instructions run as usual and are compared, as they run, with the inputs of the
//! remembered timing, and only when every one brought the same is the effect
//! applied. Any difference, a stop or a store into code inside the block times the
//! instructions run so far by the rules after all. A run's budget is checked after
//! every instruction, so a block is replayed only when its timing shows that the
//! budget could not have run out before its last instruction.
//!
//! A loop in its steady state leaves the state as it found it, relative to the
//! clock: such a timing (`Timed::fixed`) applies again straight after itself with
//! no look at all (see [`SteadyMemory::last`]). A block whose state never repeats
//! (a loop whose strips rotate through the banks, or one that waits on work from
//! before it) gives up looking for a while after [`FRUITLESS`] looks in a row.

use super::banks::BANK_SLOTS;
use super::hpm::HpmCounters;
use super::operands::REGISTERS;
use super::{MemoryAccess, Plain, TimingModel, RING, UNITS};
use crate::isa::{Instruction, Unit};
use multiversion::multiversion;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// Clock periods behind the clock from which a time reads as long past. At least a
/// bank window's length (63), so that a bank long past has a window no reference
/// from the clock on can use.
const MARGIN: u64 = 64;

// The times of the model in one array, where each part begins.
const READY: usize = 0;
const UNIT_FREE: usize = READY + REGISTERS;
const CHAIN_SLOT: usize = UNIT_FREE + UNITS;
const READ_END: usize = CHAIN_SLOT + 8;
const PORT_FREE: usize = READ_END + 8;
const QUIESCENT: usize = PORT_FREE + 3;
const BANK_FREE: usize = QUIESCENT + 1;
/// The number of times the model keeps.
const TIMES: usize = BANK_FREE + BANK_SLOTS;

/// Blocks remembered before the memory is emptied, and states remembered per block.
const BLOCKS: usize = 512;
const STATES: usize = 4;

/// Starts of a block in a row that found no state remembered: after these the block
/// rests (see [`BlockMemo::rest`]).
const FRUITLESS: u32 = 32;
/// Starts of a resting block that do not look.
const REST: u32 = 1024;

/// The model's state relative to its clock, as far as anything that issues from the
/// clock on can tell (see the module's comment).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Relative {
    times: [u64; TIMES],
    windows: [u64; BANK_SLOTS],
    results: [u64; 2],
    buffers: [u32; 4],
    cursor: u8,
    second_port_first: bool,
}

/// The model's state as it is, for the effect of a block on it.
#[derive(Clone)]
pub(crate) struct Absolute {
    clock: u64,
    times: [u64; TIMES],
    windows: [u64; BANK_SLOTS],
    a_results: [u64; RING],
    s_results: [u64; RING],
    counters: HpmCounters,
}

/// What one instruction of a block brings to its timing besides the model's state:
/// in two words, compared at every instruction of a replay, its parcel address and
/// parcels, VL, whether it branched, and what the rules read of its memory
/// reference (the bank of an address, the banks a stride steps by, modulo 64, a
/// multiple of every model's bank count; a block transfer's length). The decoded
/// instruction and its unit, which its parcels decide, come along for the rules.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BlockInput {
    words: [u64; 2],
    instruction: Instruction,
    unit: Unit,
}

impl PartialEq for BlockInput {
    fn eq(&self, other: &BlockInput) -> bool {
        self.words == other.words
    }
}

impl Eq for BlockInput {}

/// The bits of an address or stride that a [`BlockInput`] keeps.
const BANK_BITS: u64 = 63;

// What a memory reference is, in a [`BlockInput`].
const NO_MEMORY: u64 = 0;
const SCALAR: u64 = 1;
const VECTOR: u64 = 2;
const BLOCK: u64 = 3;
const GATHER: u64 = 4;

impl BlockInput {
    /// The input of `instruction` (on `unit`) at parcel address `at`, run with `vl`,
    /// which referenced `memory` (None when it references none) and branched or not.
    pub(crate) fn new(
        at: u32,
        instruction: Instruction,
        unit: Unit,
        vl: u32,
        branch_taken: bool,
        memory: MemoryAccess,
    ) -> BlockInput {
        let (kind, bank, step, count) = match memory {
            MemoryAccess::None => (NO_MEMORY, 0, 0, 0),
            MemoryAccess::Scalar { address } => (SCALAR, address, 0, 0),
            MemoryAccess::Vector { first, stride } => (VECTOR, first, stride as u64, 0),
            MemoryAccess::Block { first, count } => (BLOCK, first, 0, count),
            MemoryAccess::Gather => (GATHER, 0, 0, 0),
        };
        let parcels = u64::from(instruction.p1) << 32 | u64::from(instruction.p2) << 48;
        let reference = kind << 17
            | (bank & BANK_BITS) << 20
            | (step & BANK_BITS) << 26
            | u64::from(count) << 32;
        BlockInput {
            words: [
                u64::from(at) | parcels,
                u64::from(vl.min(0xffff)) | u64::from(branch_taken) << 16 | reference,
            ],
            instruction,
            unit,
        }
    }

    /// What is compared of it (see [`BlockInput`]).
    #[inline(always)]
    pub(crate) fn words(&self) -> [u64; 2] {
        self.words
    }

    fn at(&self) -> u32 {
        self.words[0] as u32
    }

    fn vl(&self) -> u32 {
        (self.words[1] & 0xffff) as u32
    }

    fn branch_taken(&self) -> bool {
        self.words[1] >> 16 & 1 != 0
    }

    /// Its memory reference, with the addresses it kept (which give the same banks).
    fn memory(&self) -> MemoryAccess {
        let word = self.words[1];
        let bank = word >> 20 & BANK_BITS;
        match word >> 17 & 7 {
            SCALAR => MemoryAccess::Scalar { address: bank },
            VECTOR => MemoryAccess::Vector {
                first: bank,
                stride: (word >> 26 & BANK_BITS) as i64,
            },
            BLOCK => MemoryAccess::Block {
                first: bank,
                count: (word >> 32) as u32,
            },
            GATHER => MemoryAccess::Gather,
            _ => MemoryAccess::None,
        }
    }
}

/// What running a block from a state did to it (see the module's comment). Times
/// the block left alone have all ones in `keep`; the others are the offset in
/// `times` from the clock when the block began.
pub(crate) struct Effect {
    keep: [u64; TIMES],
    times: [u64; TIMES],
    window_keep: [u64; BANK_SLOTS],
    windows: [u64; BANK_SLOTS],
    /// Result periods the block took, as offsets from the clock when it began.
    a_results: Vec<u64>,
    s_results: Vec<u64>,
    buffers: [u32; 4],
    cursor: u8,
    counters: HpmCounters,
    advance: u64,
}

/// A block's timing from one state: the state, what its instructions brought, and
/// what it did.
pub(crate) struct Timed {
    /// The physical parcel address of the block.
    block: u32,
    key: Relative,
    /// The block left the state as it found it, relative to the clock: run again
    /// straight after, it finds the same state (see [`SteadyMemory::last`]).
    fixed: bool,
    inputs: Vec<BlockInput>,
    /// Clock periods from the block's start to the issue of its last instruction
    /// (the loop's budget is checked after every instruction but the last).
    before_last: u64,
    effect: Effect,
}

/// What the issue loop does with a block it is about to run.
pub(crate) enum Plan {
    /// Time it by the rules as usual.
    Rules,
    /// Time it by the rules and remember it, if it runs to its end, as timed from
    /// this state.
    Remember(Box<(Relative, Absolute)>),
    /// Run its instructions; if each brings what the timing being replayed says
    /// ([`TimingModel::steady_replaying`]), apply that timing.
    Replay,
}

/// The blocks' timings remembered by a model (not state: derived from it and from
/// the instructions, and rebuilt as the model runs).
#[derive(Default)]
pub(super) struct SteadyMemory {
    blocks: HashMap<u32, BlockMemo, BuildHasherDefault<AddressHasher>>,
    /// Where every look builds the state relative to the clock (kept, so that no
    /// look allocates or copies it).
    key: Option<Box<Relative>>,
    /// The timing being replayed, or the one the model's state last came from, and
    /// the clock then: while the clock is there, nothing has issued since (every
    /// instruction moves it on), so the state is that timing's result, and a timing
    /// that left the state as it found it applies again to its block without a
    /// look (and without counting a reference to it, as a replay from here does).
    last: Option<(Arc<Timed>, u64)>,
    /// Blocks whose timing was replayed.
    replays: u64,
}

/// Hashes a block's address (the only key of [`SteadyMemory::blocks`]): one
/// multiplication, where the default hasher's rounds cost more than the look.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u32(&mut self, address: u32) {
        self.write_u64(u64::from(address));
    }

    fn write_u64(&mut self, word: u64) {
        // Fibonacci hashing: the high bits, which the map uses, mix every bit of
        // the address.
        self.0 = (self.0 ^ word).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The timings remembered for one block.
#[derive(Default)]
struct BlockMemo {
    timed: Vec<Arc<Timed>>,
    /// The one a new timing replaces when `STATES` are remembered.
    victim: usize,
    /// Starts in a row that found no state remembered.
    fruitless: u32,
    /// Starts left that do not look: a block whose state never repeats (a loop over
    /// rotating banks, or with work left from outside the loop) costs the looking and
    /// remembering for nothing.
    rest: u32,
}

impl std::fmt::Debug for SteadyMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SteadyMemory({} blocks)", self.blocks.len())
    }
}

impl TimingModel {
    /// How many blocks' timings this model replayed rather than worked out by the
    /// rules (the steady-state replay of vector loops): not state (a copy of the
    /// model starts at 0), a measure of how much of a run the replay covered.
    pub fn steady_replays(&self) -> u64 {
        self.steady.0.replays
    }

    /// Forgets where the state last came from (see [`SteadyMemory::last`]): for a
    /// change of the state that moves no clock.
    pub(super) fn steady_state_changed(&mut self) {
        self.steady.0.last = None;
    }

    /// Every time the model keeps, in the order of [`TIMES`].
    fn flat_times(&self) -> [u64; TIMES] {
        let mut times = [0; TIMES];
        each_time(self, &mut times, |time, flat| *flat = time);
        times
    }

    /// Builds in `key` the state relative to the clock (see [`Relative`]).
    fn fill_relative(&self, key: &mut Relative) {
        let clock = self.next_issue;
        fill_relative_times(self, &mut key.times, &mut key.windows);
        key.results = [
            taken_ahead(&self.a_results, clock),
            taken_ahead(&self.s_results, clock),
        ];
        key.buffers = self.buffers;
        key.cursor = self.cursor.0;
        key.second_port_first = self.port_free[1] < self.port_free[0];
    }

    /// The state as it is (see [`Absolute`]).
    fn absolute(&self) -> Absolute {
        Absolute {
            clock: self.next_issue,
            times: self.flat_times(),
            windows: self.banks.window,
            a_results: self.a_results,
            s_results: self.s_results,
            counters: self.counters.clone(),
        }
    }

    /// What to do with the block at physical parcel address `block` (see [`Plan`]),
    /// with `room` clock periods left in the run's budget.
    pub(crate) fn steady_plan(&mut self, block: u32, room: u64) -> Plan {
        if let Some((timed, clock)) = &self.steady.0.last {
            let again = *clock == self.next_issue && timed.fixed && timed.block == block;
            if again && timed.before_last < room {
                return Plan::Replay;
            }
        }
        if let Some(memo) = self.steady.0.blocks.get_mut(&block) {
            if memo.rest > 0 {
                memo.rest -= 1;
                return Plan::Rules;
            }
        }
        let mut key = self.steady.0.key.take().unwrap_or_else(|| {
            Box::new(Relative {
                times: [0; TIMES],
                windows: [0; BANK_SLOTS],
                results: [0; 2],
                buffers: [0; 4],
                cursor: 0,
                second_port_first: false,
            })
        });
        self.fill_relative(&mut key);
        let clock = self.next_issue;
        let memory = &mut self.steady.0;
        let memo = memory.blocks.entry(block).or_default();
        let plan = match memo.timed.iter().find(|timed| timed.key == *key) {
            Some(timed) if timed.before_last < room => {
                memo.fruitless = 0;
                memory.last = Some((Arc::clone(timed), clock));
                Plan::Replay
            }
            // Too near the end of the budget to know that the run would not have
            // ended inside the block.
            Some(_) => Plan::Rules,
            None => {
                memo.fruitless += 1;
                if memo.fruitless >= FRUITLESS {
                    memo.fruitless = FRUITLESS - FRUITLESS / 4;
                    memo.rest = REST;
                }
                Plan::Remember(Box::new(((*key).clone(), self.absolute())))
            }
        };
        self.steady.0.key = Some(key);
        plan
    }

    /// Remembers the timing of the block at `block`, run by the rules from the state
    /// `from` (as [`TimingModel::steady_plan`] took it) with `inputs`, its last
    /// instruction issued `before_last` clock periods after it began.
    pub(crate) fn steady_remember(
        &mut self,
        block: u32,
        from: (Relative, Absolute),
        inputs: Vec<BlockInput>,
        before_last: u64,
    ) {
        let (key, before) = from;
        let effect = self.effect_since(&before);
        let mut after = key.clone();
        self.fill_relative(&mut after);
        let timed = Arc::new(Timed {
            block,
            fixed: after == key,
            key,
            inputs,
            before_last,
            effect,
        });
        let memory = &mut self.steady.0;
        if memory.blocks.len() >= BLOCKS && !memory.blocks.contains_key(&block) {
            memory.blocks.clear();
        }
        memory.last = Some((Arc::clone(&timed), self.next_issue));
        let memo = memory.blocks.entry(block).or_default();
        if memo.timed.len() < STATES {
            memo.timed.push(timed);
        } else {
            memo.timed[memo.victim] = timed;
            memo.victim = (memo.victim + 1) % STATES;
        }
    }

    /// What the instructions issued since the state `before` did.
    fn effect_since(&self, before: &Absolute) -> Effect {
        let clock = before.clock;
        let after = self.flat_times();
        let keep = std::array::from_fn(|i| {
            if after[i] == before.times[i] {
                u64::MAX
            } else {
                0
            }
        });
        let times = after.map(|time| time.wrapping_sub(clock));
        let window_keep = std::array::from_fn(|b| {
            if self.banks.window[b] == before.windows[b] {
                u64::MAX
            } else {
                0
            }
        });
        let taken = |now: &[u64; RING], then: &[u64; RING]| -> Vec<u64> {
            now.iter()
                .zip(then)
                .filter(|(now, then)| now != then)
                .map(|(&now, _)| now.wrapping_sub(1).wrapping_sub(clock))
                .collect()
        };
        Effect {
            keep,
            times,
            window_keep,
            windows: self.banks.window,
            a_results: taken(&self.a_results, &before.a_results),
            s_results: taken(&self.s_results, &before.s_results),
            buffers: self.buffers,
            cursor: self.cursor.0,
            counters: self.counters.since(&before.counters),
            advance: self.next_issue.wrapping_sub(clock),
        }
    }

    /// Times the first `count` instructions of a replay by the rules after all (a
    /// later one brought something else, or the block was left early), and returns
    /// the clock periods they took.
    pub(crate) fn steady_by_rules(&mut self, count: usize) -> u64 {
        let Some((timed, _)) = self.steady.0.last.take() else {
            return 0;
        };
        let before = self.next_issue;
        for input in &timed.inputs[..count] {
            self.advance(
                Plain::GENERAL,
                input.instruction,
                input.at(),
                input.unit,
                input.branch_taken(),
                input.vl(),
                || input.memory(),
            );
        }
        self.next_issue.wrapping_sub(before)
    }

    /// Copies into `inputs` what the instructions of the block being replayed
    /// brought when it was timed (as [`BlockInput::words`]), so that the issue loop
    /// compares each instruction's with a load from its own frame rather than
    /// through the model's memory.
    pub(crate) fn steady_replaying(&self, inputs: &mut [[u64; 2]]) {
        if let Some((timed, _)) = &self.steady.0.last {
            for (copy, input) in inputs.iter_mut().zip(&timed.inputs) {
                *copy = input.words;
            }
        }
    }

    /// Applies the timing being replayed (see [`TimingModel::steady_plan`]) to the
    /// state, equal to the one it was timed from relative to the clock, and returns
    /// the clock periods it took.
    pub(crate) fn steady_replay(&mut self) -> u64 {
        let Some((timed, _)) = self.steady.0.last.take() else {
            return 0;
        };
        let effect = &timed.effect;
        let clock = self.next_issue;
        replay_times(self, effect, clock);
        let take = |ring: &mut [u64; RING], taken: &[u64]| {
            for &offset in taken {
                let cp = clock.wrapping_add(offset);
                ring[(cp % RING as u64) as usize] = cp.wrapping_add(1);
            }
        };
        take(&mut self.a_results, &effect.a_results);
        take(&mut self.s_results, &effect.s_results);
        self.buffers = effect.buffers;
        self.cursor.0 = effect.cursor;
        self.counters.add_wrapping(&effect.counters);
        self.next_issue = clock.wrapping_add(effect.advance);
        // The hint describes the banks as the last stream left them; these moved on
        // without it.
        self.ramp_hint.0 .0 = None;
        let periods = effect.advance;
        self.steady.0.last = Some((timed, self.next_issue));
        self.steady.0.replays += 1;
        periods
    }
}

/// Calls `visit` with each time the model keeps and its place in an array of
/// [`TIMES`] (each part a whole array, so that in the compiled loops every length
/// is a constant).
#[inline(always)]
fn each_time<T>(model: &TimingModel, flat: &mut [T; TIMES], mut visit: impl FnMut(u64, &mut T)) {
    let mut part = |times: &[u64], at: usize| {
        for (&time, flat) in times.iter().zip(&mut flat[at..at + times.len()]) {
            visit(time, flat);
        }
    };
    part(model.ready.times(), READY);
    part(model.unit_free.times(), UNIT_FREE);
    part(&model.chain_slot, CHAIN_SLOT);
    part(&model.read_end, READ_END);
    part(&model.port_free, PORT_FREE);
    part(std::slice::from_ref(&model.quiescent), QUIESCENT);
    part(&model.banks.free, BANK_FREE);
}

/// Calls `change` with each time the model keeps, to change, and its place in an
/// array of [`TIMES`] (see [`each_time`]).
#[inline(always)]
fn each_time_mut(model: &mut TimingModel, mut change: impl FnMut(&mut u64, usize)) {
    let mut part = |times: &mut [u64], at: usize| {
        for (time, index) in times.iter_mut().zip(at..) {
            change(time, index);
        }
    };
    part(model.ready.times_mut(), READY);
    part(model.unit_free.times_mut(), UNIT_FREE);
    part(&mut model.chain_slot, CHAIN_SLOT);
    part(&mut model.read_end, READ_END);
    part(&mut model.port_free, PORT_FREE);
    part(std::slice::from_mut(&mut model.quiescent), QUIESCENT);
    part(&mut model.banks.free, BANK_FREE);
}

/// The times of [`Relative`]: how far each time is from the clock, plus
/// [`MARGIN`], 0 for one long past (`MARGIN` or more periods behind); and each
/// bank's window, 0 for a bank long past, whose window no reference from the clock
/// on can use. Compiled for the host's widest vectors, as every look does it.
#[multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512cd+avx512dq+avx512vl+avx2",
    "x86_64+avx2+sse4.2",
))]
fn fill_relative_times(
    model: &TimingModel,
    times: &mut [u64; TIMES],
    windows: &mut [u64; BANK_SLOTS],
) {
    let clock = model.next_issue;
    each_time(model, times, |time, relative| {
        *relative = time.saturating_add(MARGIN).saturating_sub(clock);
    });
    let banks = &times[BANK_FREE..];
    for ((relative, &window), &bank) in windows.iter_mut().zip(&model.banks.window).zip(banks) {
        *relative = if bank == 0 { 0 } else { window };
    }
}

/// Sets the times and windows a block changed (see [`Effect`]), the times as offsets
/// from `clock`.
#[multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512cd+avx512dq+avx512vl+avx2",
    "x86_64+avx2+sse4.2",
))]
fn replay_times(model: &mut TimingModel, effect: &Effect, clock: u64) {
    each_time_mut(model, |time, index| {
        let keep = effect.keep[index];
        *time = (*time & keep) | (clock.wrapping_add(effect.times[index]) & !keep);
    });
    let windows = model.banks.window.iter_mut().zip(&effect.window_keep);
    for ((window, &keep), &new) in windows.zip(&effect.windows) {
        *window = (*window & keep) | (new & !keep);
    }
}

/// The result periods from `clock` on that `ring` (a result-path ring: slot `cp`
/// modulo [`RING`] holds `cp + 1` for a period `cp` taken) holds taken, as bits by
/// how far ahead. Without branches, so that the compiler compares the slots several
/// at a time.
#[multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512cd+avx512dq+avx512vl+avx2",
    "x86_64+avx2+sse4.2",
))]
fn taken_ahead(ring: &[u64; RING], clock: u64) -> u64 {
    let last = RING as u64 - 1;
    (0u64..).zip(ring).fold(0, |mask, (slot, &held)| {
        let cp = held.wrapping_sub(1);
        let ahead = cp.wrapping_sub(clock);
        let taken = (ahead <= last) & (cp & last == slot);
        mask | u64::from(taken) << (ahead & last)
    })
}
