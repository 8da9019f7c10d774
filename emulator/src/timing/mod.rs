//! Cycle-approximate timing model and hardware performance monitor.
//!
//! The CPU calls [`TimingModel::issue`] once per executed instruction with an
//! [`Issue`]: what it executed, where, with which VL, which memory it touched and
//! whether a branch was taken. The model only observes: it decides in which clock
//! period (CP) the instruction issues, keeps register, functional-unit, memory-bank,
//! port and instruction-buffer reservations, and counts [`HpmCounters`]. Functional
//! results never depend on it, and with `--timing off` the CPU does not call it.
//!
//! All state is plain data (arrays, no maps), serialized in every snapshot, so a
//! restarted run counts exactly the clock periods of an uninterrupted one. The
//! optional [`Timeline`] is output, not state: it is not serialized and does not take
//! part in equality.
//!
//! The CPU itself calls the crate-internal `advance`, which is `issue` without an
//! `Issue` to build for the instructions that take the plain path (scalar, transfer,
//! control and branch instructions without memory or V registers).
//!
//! Speed: the rules are applied in their general form (`issue_general`) only where
//! they can hold issue in more than one way; the plain path and the memory-stream
//! shortcuts give the same clock periods and the same state in fewer steps, and the
//! property tests compare every shortcut with the general rules.
//!
//! The figures and rules, with their sources, are in [`sources`].

mod banks;
mod derived;
mod frozen;
mod hpm;
mod operands;
pub mod sources;
mod steady;
mod timeline;
mod times;

#[cfg(test)]
mod tests;

pub use hpm::HpmCounters;
pub use sources::{figures, Figures};
pub use timeline::{Interval, Timeline, MAX_INTERVALS, ROWS};

use crate::isa::{Instruction, Model, Op, Unit};
use crate::not_state::NotState;
use banks::{bank_start, BankTimes, Banks, Claims, IndexedAddresses, RampHint, Stride};
pub(crate) use derived::Plain;
use derived::{Derived, DerivedCache, NO_REGISTER};
use operands::{is_scalar, is_vector, REGISTERS, S, V, VM};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
pub(crate) use steady::{BlockInput, Plan};
use times::Times;

/// The memory an instruction referenced, as the CPU computed it (word addresses; the
/// bank is the address modulo the number of banks, so absolute and base-relative
/// addresses give the same banks when the base is a multiple of the bank count).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MemoryAccess {
    /// No memory reference.
    #[default]
    None,
    /// One word (10h..13h).
    Scalar {
        /// Word address.
        address: u64,
    },
    /// VL words from `first` by `stride` (176, 177).
    Vector {
        /// Address of element 0.
        first: u64,
        /// Words between elements (may be negative or zero).
        stride: i64,
    },
    /// VL words at addresses from a V register (gather 176i1k, scatter 1771jk).
    Gather,
    /// `count` consecutive words from `first` (block transfers 034..037).
    Block {
        /// First word address.
        first: u64,
        /// Number of words.
        count: u32,
    },
}

/// What the CPU tells the timing model about one executed instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Issue {
    /// The instruction executed.
    pub instruction: Instruction,
    /// Its parcel address P (for the instruction buffers).
    pub parcel_address: u32,
    /// VL when it executed (vector instructions; clamped to 1..=64).
    pub vl: u32,
    /// The memory it referenced.
    pub memory: MemoryAccess,
    /// True when a conditional branch was taken (unconditional ones always are).
    pub branch_taken: bool,
    /// Its functional unit (`Form::unit` of its table row).
    pub unit: Unit,
}

/// Number of [`Unit`] variants (the reservation array is indexed by `Unit as usize`).
pub(crate) const UNITS: usize = Unit::Memory as usize + 1;
/// Size of the result-path rings: longer than any scalar latency.
pub(crate) const RING: usize = 64;

/// The timing model of one CPU.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimingModel {
    model: Model,
    /// Earliest CP at which the next instruction may issue.
    next_issue: u64,
    /// Per register: the CP from which its pending result can be read.
    ready: Times<REGISTERS>,
    /// Per V register: the first CP from which a reader taking one element per CP
    /// never overtakes the pending writer (the chain slot).
    chain_slot: [u64; 8],
    /// Per V register: the CP after the last element read by pending vector reads.
    read_end: [u64; 8],
    /// Per functional unit: the CP from which it accepts a new operation.
    unit_free: Times<UNITS>,
    /// Per memory port: the CP from which it accepts a new reference stream.
    port_free: [u64; 3],
    /// Per bank: the end of its last reservation and which periods before it are
    /// free, where a stream running on another port left room between its visits
    /// that a later reference may use.
    banks: BankTimes,
    /// Result arrivals at the A file: slot `cp % RING` holds `cp + 1` when taken.
    #[serde(with = "crate::serde_arrays")]
    a_results: [u64; RING],
    /// Result arrivals at the S file, as `a_results`.
    #[serde(with = "crate::serde_arrays")]
    s_results: [u64; RING],
    /// Instruction buffers: buffer-sized block number + 1 of the parcels held, 0 = empty.
    buffers: [u32; 4],
    /// The buffer the next miss loads and the buffer that supplied the last
    /// instruction.
    cursor: BufferCursor,
    /// The CP by which every issued instruction has finished.
    quiescent: u64,
    counters: HpmCounters,
    /// The timeline being recorded (output, not state): a copy of the model, such as a
    /// forked child's, records none.
    #[serde(skip)]
    recorder: NotState<Option<Box<Timeline>>>,
    /// [`Derived`] entries by first parcel. In a cell, so that
    /// [`TimingModel::descriptor`], which the CPU asks through a shared reference
    /// when it decodes, derives each first parcel once rather than on every decode
    /// (compiled programs that make system calls have their decode cache dropped
    /// every few hundred thousand clock periods, and decode again).
    #[serde(skip)]
    derived: NotState<RefCell<DerivedCache>>,
    #[serde(skip)]
    ramp_hint: NotState<RampHint>,
    /// The element addresses of the gather or scatter being executed (see
    /// [`TimingModel::note_indexed`]).
    #[serde(skip)]
    indexed: NotState<IndexedAddresses>,
    /// Blocks' timings by the rules, to replay (see [`steady`]).
    #[serde(skip)]
    steady: NotState<steady::SteadyMemory>,
}

/// The HPM's instruction and clock-period counters and the model's clock at the start
/// of a run of the CPU's issue loop. Those two counters change on every instruction,
/// and the loop counts the instructions and (through the clock) the periods anyway,
/// so its shortcuts leave them alone and the run settles them once at its end
/// ([`TimingModel::settle_counts`]): two read-modify-writes of the model's memory
/// fewer per instruction. Nothing reads the counters while the CPU runs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CountsMark {
    instructions: u64,
    clock_periods: u64,
    next_issue: u64,
}

/// Which instruction buffer the next miss loads (round robin) and which one supplied
/// the last instruction, in one byte: bits 0-1 the next to load, bits 4-6 one more
/// than the current buffer (0: none since the buffers were emptied or a branch was
/// taken). Images of format 1.0 kept the next buffer alone in this byte, so they read
/// as having no current buffer: their first instruction after a restart pays no
/// change time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
struct BufferCursor(u8);

impl BufferCursor {
    const NEXT: u8 = 0o3;
    const CURRENT_SHIFT: u32 = 4;

    /// The buffer the next miss loads.
    fn next_miss(self) -> usize {
        usize::from(self.0 & Self::NEXT)
    }

    /// The buffer that supplied the last instruction, unless the buffers were emptied
    /// or a branch was taken since.
    fn current(self) -> Option<usize> {
        // A damaged image may hold any byte: a buffer number past the four is none.
        usize::from((self.0 >> Self::CURRENT_SHIFT) & 0o7)
            .checked_sub(1)
            .filter(|&i| i < 4)
    }

    /// True when buffer `i` supplied the last instruction.
    #[inline]
    fn is_current(self, i: usize) -> bool {
        self.0 >> Self::CURRENT_SHIFT == (i as u8) + 1
    }

    /// True when the buffer that supplied the last instruction holds `block`.
    #[inline(always)]
    fn current_holds(self, buffers: &[u32; 4], block: u32) -> bool {
        // As in `is_current`: the byte's high bits are one more than the buffer.
        let index = usize::from(self.0 >> Self::CURRENT_SHIFT).wrapping_sub(1);
        index < buffers.len() && buffers[index] == block
    }

    /// Buffer `i` supplies the instruction now issuing.
    fn set_current(&mut self, i: usize) {
        self.0 = (self.0 & Self::NEXT) | (((i as u8) + 1) << Self::CURRENT_SHIFT);
    }

    /// A branch was taken: its issue time covers reaching its target in whichever
    /// buffer that is.
    fn branched(&mut self) {
        self.0 &= Self::NEXT;
    }

    /// Buffer `i` of `count` was loaded by a miss and supplies the instruction.
    fn loaded(&mut self, i: usize, count: usize) {
        self.0 = ((i + 1) % count) as u8;
        self.set_current(i);
    }
}

/// True for the instructions that reference memory: 034..037 (block), 100..137
/// (scalar), 176 and 177 (vector).
#[inline]
pub(crate) fn is_memory_reference(instruction: Instruction) -> bool {
    let gh = instruction.p1 >> 9;
    matches!(gh, 0o034..=0o037 | 0o100..=0o137 | 0o176 | 0o177)
}

impl TimingModel {
    /// A model at clock period 0 with empty instruction buffers.
    pub fn new(model: Model) -> TimingModel {
        TimingModel {
            model,
            next_issue: 0,
            ready: Times::ZERO,
            chain_slot: [0; 8],
            read_end: [0; 8],
            unit_free: Times::ZERO,
            port_free: [0; 3],
            banks: BankTimes::NONE,
            a_results: [0; RING],
            s_results: [0; RING],
            buffers: [0; 4],
            cursor: BufferCursor::default(),
            quiescent: 0,
            counters: HpmCounters::default(),
            recorder: NotState::default(),
            derived: NotState::default(),
            ramp_hint: NotState::default(),
            indexed: NotState::default(),
            steady: NotState::default(),
        }
    }

    /// The machine model timed.
    pub fn model(&self) -> Model {
        self.model
    }

    /// Clock periods elapsed: the earliest period at which the next instruction may
    /// issue.
    pub fn cycles(&self) -> u64 {
        self.next_issue
    }

    /// The clock period by which every issued instruction has delivered its results
    /// and every memory stream has ended.
    pub fn quiescent(&self) -> u64 {
        self.quiescent.max(self.next_issue)
    }

    /// The latest clock period any reservation of the model reaches (issue, registers,
    /// units, ports, banks, result arrivals): at most the longest outstanding work
    /// past [`TimingModel::cycles`] in a state the model made itself. A restored state
    /// is checked against it, so that no time near the top of the range reaches the
    /// model's arithmetic.
    pub fn latest_reservation(&self) -> u64 {
        let times = [self.next_issue, self.quiescent]
            .into_iter()
            .chain(self.ready.iter())
            .chain(self.chain_slot)
            .chain(self.read_end)
            .chain(self.unit_free.iter())
            .chain(self.port_free)
            .chain(self.banks.free)
            .chain(self.a_results)
            .chain(self.s_results);
        times.max().unwrap_or(0)
    }

    /// The hardware performance monitor counters.
    pub fn counters(&self) -> &HpmCounters {
        &self.counters
    }

    /// The hpm(1)-style report at this model's clock rate.
    pub fn report(&self) -> String {
        self.counters.report(self.model)
    }

    /// Zeroes the counters (a forked process counts only its own work; its clock and
    /// reservations go on from the parent's).
    pub fn clear_counters(&mut self) {
        self.counters = HpmCounters::default();
    }

    /// A new program image replaced the old one (exec): the instruction buffers hold
    /// parcels that are gone, so they are emptied. The clock, the reservations, the
    /// counters and the timeline go on.
    pub fn new_program(&mut self) {
        self.buffers = [0; 4];
        self.cursor = BufferCursor::default();
        self.steady_state_changed();
    }

    /// Starts recording a timeline of clock periods [start, start + len).
    pub fn enable_timeline(&mut self, start: u64, len: u64) {
        self.recorder.0 = Some(Box::new(Timeline::new(start, len)));
    }

    /// The timeline being recorded, if any.
    pub fn timeline(&self) -> Option<&Timeline> {
        self.recorder.0.as_deref()
    }

    /// Stops recording and returns the timeline.
    pub fn take_timeline(&mut self) -> Option<Timeline> {
        self.recorder.0.take().map(|timeline| *timeline)
    }

    /// The instruction and clock-period counters and the clock now, for
    /// [`TimingModel::settle_counts`] at the end of a run whose shortcuts leave those
    /// two counters alone (see [`CountsMark`]).
    pub(crate) fn counts_mark(&self) -> CountsMark {
        CountsMark {
            instructions: self.counters.instructions,
            clock_periods: self.counters.clock_periods,
            next_issue: self.next_issue,
        }
    }

    /// Sets the instruction and clock-period counters to what counting every one of
    /// the `issued` instructions since `mark` would have made them: every issue adds
    /// one instruction, and the periods it moved the clock on, to them, so they grew
    /// by `issued` and by the clock's advance, whichever issues counted themselves.
    pub(crate) fn settle_counts(&mut self, mark: CountsMark, issued: u64) {
        self.counters.instructions = mark.instructions.wrapping_add(issued);
        self.counters.clock_periods = mark
            .clock_periods
            .wrapping_add(self.next_issue.wrapping_sub(mark.next_issue));
    }

    /// Accounts one instruction; returns the clock period in which it issued.
    #[inline]
    pub fn issue(&mut self, issue: &Issue) -> u64 {
        self.issue_with::<true>(issue)
    }

    /// [`TimingModel::issue`], with (`FAST`) or without the shortcuts that give the
    /// same result as the general rules in fewer steps (the tests compare the two).
    #[inline]
    fn issue_with<const FAST: bool>(&mut self, issue: &Issue) -> u64 {
        let (slot, plain) = self.derive(issue.instruction, issue.unit);
        if FAST && plain.has(Plain::APPLIES) && issue.memory == MemoryAccess::None {
            let f = figures(self.model);
            return self.issue_plain(
                f,
                true,
                true,
                plain,
                issue.parcel_address,
                issue.branch_taken,
                false,
            );
        }
        if let (true, MemoryAccess::Scalar { address }) = (FAST, issue.memory) {
            if plain.has(Plain::SCALAR_MEMORY) {
                let f = figures(self.model);
                return self.issue_scalar_memory(
                    f,
                    true,
                    true,
                    plain,
                    issue.parcel_address,
                    address,
                    false,
                );
            }
        }
        self.issue_general::<FAST>(issue, slot)
    }

    /// The timing descriptor of `instruction` on `unit` for this model: what the
    /// shortcuts need of it, asked when the CPU decodes the instruction and kept
    /// beside its decoded form, so that [`TimingModel::advance`] looks nothing up.
    /// Derived once per first parcel (the CPU decodes again whenever its decode cache
    /// is dropped) and kept in the derived-instruction cache: never machine state.
    pub(crate) fn descriptor(&self, instruction: Instruction, unit: Unit) -> Plain {
        // Nothing else borrows the cache while the CPU decodes.
        let mut derived = self.derived.0.borrow_mut();
        match derived.find(instruction, unit) {
            Some(position) => derived.entry(position).fast,
            None => {
                let d = Derived::of(figures(self.model), instruction, unit);
                derived.insert(instruction, d);
                d.fast
            }
        }
    }

    /// Notes the word addresses (physical, as the banks see them) of the elements of
    /// the gather or scatter the CPU is executing, for its memory stream: each
    /// element's bank is its own address's, as a strided stream's are
    /// (`sources.rs`: memory).
    pub(crate) fn note_indexed(&mut self, addresses: impl Iterator<Item = u64>) {
        self.indexed.note(addresses);
    }

    /// The CPU's call: accounts `instruction` (on `unit`, at parcel address `at`, with
    /// `vl` and the memory reference `memory` reports, asked only when the general
    /// rules need it) and returns the clock periods the model's clock advanced.
    /// `descriptor` is this model's [`TimingModel::descriptor`] of the instruction (or
    /// [`Plain::GENERAL`], which gives the same periods by the general rules).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn advance(
        &mut self,
        descriptor: Plain,
        instruction: Instruction,
        at: u32,
        unit: Unit,
        branch_taken: bool,
        vl: u32,
        memory: impl FnOnce() -> MemoryAccess,
    ) -> u64 {
        let before = self.next_issue;
        // A plain instruction references no memory, so the CPU has none to report.
        if descriptor.has(Plain::APPLIES) {
            self.issue_plain(
                figures(self.model),
                true,
                true,
                descriptor,
                at,
                branch_taken,
                false,
            );
        } else {
            let memory = memory();
            match memory {
                MemoryAccess::Scalar { address } if descriptor.has(Plain::SCALAR_MEMORY) => {
                    self.issue_scalar_memory(
                        figures(self.model),
                        true,
                        true,
                        descriptor,
                        at,
                        address,
                        false,
                    );
                }
                _ => {
                    let issue = Issue {
                        instruction,
                        parcel_address: at,
                        vl,
                        memory,
                        branch_taken,
                        unit,
                    };
                    self.issue_derived(&issue);
                }
            }
        }
        self.next_issue - before
    }

    /// [`TimingModel::advance`] for an instruction whose descriptor has the plain
    /// path ([`Plain::APPLIES`]): small enough to inline into the CPU's issue loop.
    /// `in_buffer`: the buffer that supplied the instruction issued just before
    /// holds this one too (the CPU knows it of the instructions of a decoded block
    /// after the first: see [`TimingModel::buffer_block`]), so the buffers need no
    /// check. `f` is the figures of this model's machine, which the caller passes so
    /// that a loop compiled for one machine has them as constants; `records` is false
    /// only where the caller knows that no timeline is being recorded (the recorder
    /// is then not asked). Without `counts` the instruction and clock-period counters
    /// are left to [`TimingModel::settle_counts`] (see [`CountsMark`]).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn advance_plain(
        &mut self,
        f: &Figures,
        records: bool,
        counts: bool,
        descriptor: Plain,
        at: u32,
        branch_taken: bool,
        in_buffer: bool,
    ) -> u64 {
        let before = self.next_issue;
        self.issue_plain(f, records, counts, descriptor, at, branch_taken, in_buffer);
        self.next_issue - before
    }

    /// [`TimingModel::advance`] for a scalar load or store whose descriptor has the
    /// scalar-memory path ([`Plain::SCALAR_MEMORY`]), of the word at `address`: small
    /// enough to inline into the CPU's issue loop. `in_buffer` as for
    /// [`TimingModel::advance_plain`], and `f`, `records` and `counts` too.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn advance_scalar_memory(
        &mut self,
        f: &Figures,
        records: bool,
        counts: bool,
        descriptor: Plain,
        at: u32,
        address: u64,
        in_buffer: bool,
    ) -> u64 {
        let before = self.next_issue;
        self.issue_scalar_memory(f, records, counts, descriptor, at, address, in_buffer);
        self.next_issue - before
    }

    /// Accounts `issue` by the general rules, deriving its data first (kept out of
    /// line: compiled code almost never comes here).
    #[inline(never)]
    fn issue_derived(&mut self, issue: &Issue) -> u64 {
        let (slot, _) = self.derive(issue.instruction, issue.unit);
        self.issue_general::<true>(issue, slot)
    }

    /// The position in the derived-instruction cache of `instruction` on `unit`
    /// (deriving it on a miss), and its plain-path data.
    #[inline]
    fn derive(&mut self, instruction: Instruction, unit: Unit) -> (usize, Plain) {
        let derived = self.derived.0.get_mut();
        match derived.find(instruction, unit) {
            Some(position) => (position, derived.entry(position).fast),
            None => self.derive_miss(instruction, unit),
        }
    }

    #[cold]
    #[inline(never)]
    fn derive_miss(&mut self, instruction: Instruction, unit: Unit) -> (usize, Plain) {
        let d = Derived::of(figures(self.model), instruction, unit);
        (self.derived.0.get_mut().insert(instruction, d), d.fast)
    }

    /// A plain instruction (see [`Plain`]): the general rules of `issue_general` with
    /// everything that cannot apply left out. Every hold condition is "t at or past
    /// some CP" except the result path, so t is the maximum of those CPs, then moved
    /// on past any taken result-path periods.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn issue_plain(
        &mut self,
        f: &Figures,
        records: bool,
        counts: bool,
        p: Plain,
        at: u32,
        branch_taken: bool,
        in_buffer: bool,
    ) -> u64 {
        debug_assert_eq!(f, figures(self.model));
        debug_assert!(records || self.recorder.0.is_none());
        let start = self.next_issue;
        let mut t = start;
        self.fetch_unless(in_buffer, f, at, &mut t);
        let ready = self.registers_ready_plain(p);
        let unit = p.unit as usize;
        let free = if p.has(Plain::RESERVES_UNIT) {
            self.unit_free[unit]
        } else {
            0
        };
        // Waiting for the registers, then for the unit, ends at the later of the two:
        // one step from t, with the periods to `ready` counted as the register hold
        // and the rest as the unit hold.
        let by_registers = t.max(ready);
        let held = t.max(ready.max(free));
        if held > t {
            self.counters.hold_register += by_registers - t;
            self.counters.hold_functional_unit += held - by_registers;
            t = held;
        }
        let latency = u64::from(p.latency);
        if p.has(Plain::SCALAR_DESTINATION) {
            while self.result_path_taken(p.destination, t + latency) {
                self.counters.hold_result_bus += 1;
                t += 1;
            }
        }

        if counts {
            self.counters.instructions += 1;
        }
        let arrival = t + latency;
        if p.destination != NO_REGISTER {
            self.ready[p.destination as usize] = arrival;
            if p.has(Plain::SCALAR_DESTINATION) {
                self.reserve_result_path(p.destination, arrival);
            }
        }
        self.unit_free[unit] = self.unit_free[unit].max(t + 1);
        if p.has(Plain::FLOPS) {
            self.count_flops(p.unit, 1);
        }
        self.finish_by(arrival);
        if records {
            self.record_unit(p.unit, t, arrival);
        }

        let occupancy = if p.has(Plain::BRANCH) {
            self.branch(f, branch_taken || p.has(Plain::UNCONDITIONAL))
        } else {
            1
        };
        if counts {
            self.counters.clock_periods += t + occupancy - start;
        }
        self.next_issue = t + occupancy;
        t
    }

    /// A scalar load or store of the word at `address` (see [`Plain::SCALAR_MEMORY`]):
    /// [`TimingModel::issue_scalar_memory_as`], compiled for a store and for a load,
    /// so that neither asks again which it is.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn issue_scalar_memory(
        &mut self,
        f: &Figures,
        records: bool,
        counts: bool,
        p: Plain,
        at: u32,
        address: u64,
        in_buffer: bool,
    ) -> u64 {
        // A load writes an A or S register; a store writes none (see
        // `Plain::SCALAR_MEMORY`): one flag tells them apart.
        if !p.has(Plain::SCALAR_DESTINATION) {
            self.issue_scalar_memory_as::<true>(f, records, counts, p, at, address, in_buffer)
        } else {
            self.issue_scalar_memory_as::<false>(f, records, counts, p, at, address, in_buffer)
        }
    }

    /// A scalar store (`STORE`) or load of the word at `address`: the general rules of
    /// `issue_general` and `memory_stream` for one word on no reserved unit and no V
    /// register. Its registers bound issue by a plain maximum; then the port and the
    /// bank, and for a load the result path, each pass of which moves t by one CP and
    /// asks the port and bank again.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn issue_scalar_memory_as<const STORE: bool>(
        &mut self,
        f: &Figures,
        records: bool,
        counts: bool,
        p: Plain,
        at: u32,
        address: u64,
        in_buffer: bool,
    ) -> u64 {
        debug_assert_eq!(f, figures(self.model));
        debug_assert!(records || self.recorder.0.is_none());
        debug_assert_eq!(STORE, p.destination == NO_REGISTER);
        // A load writes an A or S register (see `Plain::SCALAR_MEMORY`).
        debug_assert!(STORE || is_scalar(p.destination));
        let latency = u64::from(p.latency);
        let store = STORE;
        // A store has no destination, so no scalar one either.
        let destination = (!STORE).then_some(p.destination);
        let start = self.next_issue;
        let mut t = start;
        self.fetch_unless(in_buffer, f, at, &mut t);
        let ready = t.max(self.registers_ready_plain(p));
        self.counters.hold_register += ready - t;
        t = ready;
        let port = self.port_for(f, store);
        let bank = (address & (f.banks - 1)) as usize;
        // Nearly always the port and the bank are both free at t (in LISPF4's first
        // 15 M clock periods 1.4 % of the references found either busy), and a
        // load's result path too: one compare against the later of the port's and
        // the bank's free times and a look at the path decide it, there is no hold to
        // count, and the bank is past its last reservation, so its claim is the
        // window moved on. Otherwise the passes and the claim, out of line.
        let bank_free = self.banks.free[bank];
        let path_free = match destination {
            Some(register) => !self.result_path_taken(register, t + latency),
            None => true,
        };
        if self.port_free[port].max(bank_free) <= t && path_free {
            let window = &mut self.banks.window[bank];
            *window = banks::window_after(*window, t - bank_free, f.bank_busy);
            self.banks.free[bank] = t.saturating_add(f.bank_busy);
        } else {
            t = self.scalar_memory_hold(f, port, bank, t, destination, latency);
        }

        if counts {
            self.counters.instructions += 1;
        }
        // The word's bank was claimed as `memory_stream` claims a one-element stream.
        self.ramp_hint.0 .0 = None;
        let end = t + 1;
        self.port_free[port] = end.max(t + f.scalar_transfer);
        self.counters.memory_references += 1;
        if records {
            self.record(Some(timeline::port_row(port)), t, end);
        }
        let mut finished = end;
        if !store {
            let register = p.destination;
            let arrival = t + f.memory_load;
            self.ready[register as usize] = arrival;
            self.reserve_result_path(register, arrival);
            finished = finished.max(arrival);
        }
        self.finish_by(finished);
        if counts {
            self.counters.clock_periods += t + 1 - start;
        }
        self.next_issue = t + 1;
        t
    }

    /// The latest ready time of the registers that bound the issue of an instruction
    /// of the plain or scalar-memory path: `reads` holds every source and
    /// destination, padded with repeats (or the slot that is always 0, for none), so
    /// the maximum of its four is the one wanted, and of its first two when the
    /// instruction has at most two ([`Plain::TWO_READS`]; most have), which spares
    /// two loads and their extraction.
    #[inline(always)]
    fn registers_ready_plain(&self, p: Plain) -> u64 {
        let [r0, r1, r2, r3] = p.reads;
        let two = self.ready[r0 as usize].max(self.ready[r1 as usize]);
        if p.has(Plain::TWO_READS) {
            two
        } else {
            two.max(self.ready[r2 as usize].max(self.ready[r3 as usize]))
        }
    }

    /// A scalar reference's hold when its port or bank is not free at `t`, or the
    /// result path to a load's register (`destination`, of result latency
    /// `latency`) is taken (see `issue_scalar_memory_as`): passes that each ask the
    /// port and bank, the first from `t`, each after it one CP on, until the path is
    /// free; then its bank claimed, and counted as a conflict if it held the
    /// reference. Returns the CP it issues at.
    #[inline(never)]
    fn scalar_memory_hold(
        &mut self,
        f: &Figures,
        port: usize,
        bank: usize,
        t: u64,
        destination: Option<u8>,
        latency: u64,
    ) -> u64 {
        let mut bank_held = false;
        let mut t = self.memory_pass(f, port, bank, t, &mut bank_held);
        if let Some(register) = destination {
            while self.result_path_taken(register, t + latency) {
                self.counters.hold_result_bus += 1;
                t = self.memory_pass(f, port, bank, t + 1, &mut bank_held);
            }
        }
        // One conflict a reference, however many passes its bank held it.
        self.counters.bank_conflicts += u64::from(bank_held);
        // The passes left t where `bank_start` put it, and a start it gives is one
        // it gives again (the bank is free from there, or the window has room from
        // exactly there), so the bank is claimed at t: no second look.
        let (free, window) = (&mut self.banks.free[bank], &mut self.banks.window[bank]);
        debug_assert_eq!(bank_start(*free, *window, t, f.bank_busy), t);
        banks::claim_bank(free, window, t, f.bank_busy);
        t
    }

    /// One pass of a scalar reference's hold (see `issue_scalar_memory`): the
    /// earliest CP from `t` at which `port` and `bank` take it, counted as the memory
    /// hold; `bank_held` is set when the bank delayed it.
    #[inline(always)]
    fn memory_pass(
        &mut self,
        f: &Figures,
        port: usize,
        bank: usize,
        t: u64,
        bank_held: &mut bool,
    ) -> u64 {
        let mut free = t.max(self.port_free[port]);
        let bank_free = bank_start(
            self.banks.free[bank],
            self.banks.window[bank],
            free,
            f.bank_busy,
        );
        if bank_free > free {
            free = bank_free;
            *bank_held = true;
        }
        self.counters.hold_memory += free - t;
        free
    }

    /// Accounts one instruction by the general rules, with the derived data in cache
    /// slot `slot`.
    #[inline(never)]
    fn issue_general<const FAST: bool>(&mut self, issue: &Issue, slot: usize) -> u64 {
        let f = figures(self.model);
        let Derived {
            ops,
            latency,
            vector,
            store,
            chainable,
            reserves_unit,
            drains,
            scalar_destination,
            ..
        } = *self.derived.0.get_mut().entry(slot);
        let op = issue.instruction.op;
        let vl = u64::from(issue.vl.clamp(1, 64));
        let unit_index = issue.unit as usize;
        // Without the Cray-1 chain-slot rule the register check only ever raises t to
        // a fixed CP, so checking again at a later t changes nothing.
        let settles = !chainable || f.flexible_chaining;

        let mut t = self.next_issue;
        self.fetch(f, issue.parcel_address, &mut t);
        if drains {
            let drained = t.max(self.quiescent);
            self.counters.hold_register += drained - t;
            t = drained;
        }

        // Hold issue until every condition holds at once.
        let mut port = 0;
        let mut bank_held = false;
        loop {
            let before = t;
            let ready = self.registers_ready(f, t, &ops, chainable, vector);
            self.counters.hold_register += ready - t;
            t = ready;
            if reserves_unit && self.unit_free[unit_index] > t {
                self.counters.hold_functional_unit += self.unit_free[unit_index] - t;
                t = self.unit_free[unit_index];
            }
            if issue.memory != MemoryAccess::None {
                port = self.port_for(f, store);
                let mut free = t.max(self.port_free[port]);
                if let MemoryAccess::Scalar { address } = issue.memory {
                    let b = (address & (f.banks - 1)) as usize;
                    let start =
                        bank_start(self.banks.free[b], self.banks.window[b], free, f.bank_busy);
                    if start > free {
                        free = start;
                        bank_held = true;
                    }
                }
                self.counters.hold_memory += free - t;
                t = free;
            }
            if let Some(register) = scalar_destination {
                if self.result_path_taken(register, t + latency) {
                    self.counters.hold_result_bus += 1;
                    t += 1;
                    continue;
                }
            }
            // Every other condition is "t at or past some CP" (and, with `settles`,
            // so is the register check): a pass that ends without the result path
            // moving t leaves them all holding, so another pass would change nothing.
            if settles || t == before {
                break;
            }
        }

        self.counters.instructions += 1;
        match issue.memory {
            MemoryAccess::None if vector => self.vector_operation(f, t, vl, latency, issue, &ops),
            MemoryAccess::None => self.scalar_operation(t, latency, issue, &ops),
            memory => self.memory_stream::<FAST>(f, t, vl, port, memory, store, bank_held, &ops),
        }

        let occupancy =
            if issue.unit == Unit::Branch && !matches!(op, Op::NormalExit | Op::ErrorExit) {
                let unconditional = matches!(op, Op::Jump | Op::ReturnJump | Op::JumpB);
                self.branch(f, issue.branch_taken || unconditional)
            } else {
                1
            };
        self.counters.clock_periods += t + occupancy - self.next_issue;
        self.next_issue = t + occupancy;
        t
    }

    /// Counts a branch (`taken` or falling through) and returns the clock periods it
    /// occupies the issue stage. A taken branch's time covers reaching its target in
    /// whichever buffer that is, so no buffer is in use after it.
    #[inline]
    fn branch(&mut self, f: &Figures, taken: bool) -> u64 {
        self.counters.branches += 1;
        let occupancy = if taken {
            self.counters.branches_taken += 1;
            self.cursor.branched();
            f.branch_taken
        } else {
            f.branch_not_taken
        };
        self.counters.hold_branch += occupancy - 1;
        occupancy
    }

    /// The instruction buffer's worth of parcels that parcel address `at` is in (what
    /// [`TimingModel::fetch`] compares): two instructions in the same one, the second
    /// issued right after the first with no branch between, come from the same
    /// buffer, so the second needs no check.
    pub(crate) fn buffer_block(&self, at: u32) -> u32 {
        buffer_block_of(figures(self.model), at)
    }

    /// [`TimingModel::fetch`], unless the caller knows that the buffer that supplied
    /// the last instruction holds this one (`in_buffer`), when it would change nothing.
    #[inline(always)]
    fn fetch_unless(&mut self, in_buffer: bool, f: &Figures, address: u32, t: &mut u64) {
        if in_buffer {
            debug_assert!(self
                .cursor
                .current_holds(&self.buffers, buffer_block_of(f, address) + 1));
        } else {
            self.fetch(f, address, t);
        }
    }

    /// Checks the instruction buffers for the parcel at `address` (buffers hold
    /// [`buffer_block_of`] + 1, so that 0 is an empty buffer): running on into
    /// another buffer than the last instruction's delays issue by the change time; on
    /// a miss, the next buffer in rotation is loaded and issue waits the fill time.
    #[inline]
    fn fetch(&mut self, f: &Figures, address: u32, t: &mut u64) {
        let block = buffer_block_of(f, address) + 1;
        // Most instructions come from the buffer of the one before: one comparison.
        // (A model-made state never holds a block in two buffers, so the search below
        // would find this same buffer.)
        if self.cursor.current_holds(&self.buffers, block) {
            return;
        }
        // Buffers past the model's count are never loaded and stay 0, which no block
        // number equals.
        if let Some(i) = self.buffers.iter().position(|&b| b == block) {
            // Another buffer than the current one: the current one, holding this
            // block, was found above.
            debug_assert!(!self.cursor.is_current(i));
            // After a taken branch (no current buffer) the branch's time covers it.
            if self.cursor.current().is_some() {
                self.counters.hold_instruction_buffer += f.buffer_change;
                *t += f.buffer_change;
            }
            self.cursor.set_current(i);
            return;
        }
        let count = f.instruction_buffers;
        let victim = self.cursor.next_miss() % count;
        self.buffers[victim] = block;
        self.cursor.loaded(victim, count);
        self.counters.instruction_buffer_misses += 1;
        self.counters.hold_instruction_buffer += f.buffer_miss;
        *t += f.buffer_miss;
    }

    /// The earliest CP at or after `t` at which the sources and destinations allow
    /// issue, applying the model's chaining rule to V sources of vector instructions
    /// and, on a machine whose V registers serve one vector operation at a time, the
    /// end of earlier reads of a `vector` instruction's V sources.
    #[inline]
    fn registers_ready(
        &self,
        f: &Figures,
        mut t: u64,
        ops: &operands::Operands,
        chainable: bool,
        vector: bool,
    ) -> u64 {
        if vector && !f.shared_vector_reads {
            for &register in ops.sources() {
                if is_vector(register) {
                    t = t.max(self.read_end[(register - V) as usize]);
                }
            }
        }
        for &register in ops.sources() {
            let ready = self.ready[register as usize];
            if t >= ready {
                continue;
            }
            if chainable && is_vector(register) {
                let slot = self.chain_slot[(register - V) as usize];
                t = if f.flexible_chaining || t <= slot {
                    t.max(slot)
                } else {
                    ready
                };
            } else {
                t = ready;
            }
        }
        for &register in ops.destinations() {
            // A V register the instruction also reads (the accumulator of a
            // recurrence, `V1 V1+FV2`) was checked as a source: its result
            // reservation is lifted at the chain slot ("a reservation for a result
            // register is lifted during chain slot time", HRM 2240004, "V register
            // reservations"), and the new results trail the old ones by the unit time,
            // so the writer need not wait for the old last element.
            let chained_source =
                chainable && is_vector(register) && ops.sources().contains(&register);
            if !chained_source {
                t = t.max(self.ready[register as usize]);
            }
            if is_vector(register) {
                t = t.max(self.read_end[(register - V) as usize]);
            }
        }
        t
    }

    /// The port a reference uses: the store port for X-MP stores, else the load port
    /// that frees first.
    fn port_for(&self, f: &Figures, store: bool) -> usize {
        if store && f.store_port {
            2
        } else if f.load_ports == 2 && self.port_free[1] < self.port_free[0] {
            1
        } else {
            0
        }
    }

    #[inline]
    fn result_path_taken(&self, register: u8, cp: u64) -> bool {
        let ring = if register < S {
            &self.a_results
        } else {
            &self.s_results
        };
        ring[(cp % RING as u64) as usize] == cp + 1
    }

    #[inline]
    fn reserve_result_path(&mut self, register: u8, cp: u64) {
        let ring = if register < S {
            &mut self.a_results
        } else {
            &mut self.s_results
        };
        ring[(cp % RING as u64) as usize] = cp + 1;
    }

    #[inline]
    fn finish_by(&mut self, cp: u64) {
        if cp > self.quiescent {
            self.quiescent = cp;
        }
    }

    fn record(&mut self, row: Option<u8>, start: u64, end: u64) {
        if let (Some(timeline), Some(row)) = (self.recorder.0.as_deref_mut(), row) {
            timeline.record(row, start, end);
        }
    }

    /// Records `unit` busy in [start, end), looking up its row only when recording.
    #[inline]
    fn record_unit(&mut self, unit: Unit, start: u64, end: u64) {
        if self.recorder.0.is_some() {
            self.record(timeline::unit_row(unit), start, end);
        }
    }

    fn count_flops(&mut self, unit: Unit, operations: u64) {
        match unit {
            Unit::FloatAdd => self.counters.float_adds += operations,
            Unit::FloatMultiply => self.counters.float_multiplies += operations,
            Unit::Reciprocal => self.counters.float_reciprocals += operations,
            _ => {}
        }
    }

    /// A scalar, transfer or control instruction issued at `t`.
    #[inline]
    fn scalar_operation(&mut self, t: u64, latency: u64, issue: &Issue, ops: &operands::Operands) {
        let arrival = t + latency;
        for &register in ops.destinations() {
            self.ready[register as usize] = arrival;
            if is_scalar(register) {
                self.reserve_result_path(register, arrival);
            } else if is_vector(register) {
                // 077 writes one element; readers wait for it.
                self.chain_slot[(register - V) as usize] = arrival;
            }
        }
        let unit = issue.unit as usize;
        self.unit_free[unit] = self.unit_free[unit].max(t + 1);
        self.count_flops(issue.unit, 1);
        self.finish_by(arrival);
        self.record_unit(issue.unit, t, arrival);
    }

    /// A vector functional-unit instruction whose element stream starts at `t`.
    fn vector_operation(
        &mut self,
        f: &Figures,
        t: u64,
        vl: u64,
        latency: u64,
        issue: &Issue,
        ops: &operands::Operands,
    ) {
        let first = t + latency + f.vector_transit;
        let done = first + vl;
        self.unit_free[issue.unit as usize] = t + vl;
        for &register in ops.sources() {
            if is_vector(register) {
                let v = (register - V) as usize;
                self.read_end[v] = self.read_end[v].max(t + vl);
                self.record(Some(timeline::vector_row(v)), t, t + vl);
            }
        }
        for &register in ops.destinations() {
            self.ready[register as usize] = done;
            if is_vector(register) {
                let v = (register - V) as usize;
                self.chain_slot[v] = first;
                self.record(Some(timeline::vector_row(v)), t, done);
            }
        }
        self.counters.vector_instructions += 1;
        self.counters.vector_elements += vl;
        self.count_flops(issue.unit, vl);
        self.finish_by(done);
        self.record_unit(issue.unit, t, t + vl + latency);
    }

    /// A memory reference stream (scalar, block, vector, gather, scatter) starting at
    /// `t` on `port`.
    #[allow(clippy::too_many_arguments)]
    fn memory_stream<const FAST: bool>(
        &mut self,
        f: &Figures,
        t: u64,
        vl: u64,
        port: usize,
        memory: MemoryAccess,
        store: bool,
        bank_held: bool,
        ops: &operands::Operands,
    ) {
        // A gather's or scatter's banks are those of the addresses the CPU noted
        // (none when the issue was made up without them: then one element a CP).
        let indexed = match memory {
            MemoryAccess::Gather => self.indexed.take(vl),
            _ => None,
        };
        let (count, first, stride, banked) = match memory {
            MemoryAccess::Scalar { address } => (1, address, 0, true),
            MemoryAccess::Vector { first, stride } => (vl, first, stride, true),
            MemoryAccess::Block { first, count } => (u64::from(count), first, 1, true),
            MemoryAccess::Gather => (vl, 0, 0, indexed.is_some()),
            MemoryAccess::None => (vl, 0, 0, false),
        };
        if bank_held {
            self.counters.bank_conflicts += 1;
        }
        // Offer one reference per CP, in order; a busy bank delays the rest.
        let mut at = t;
        let mut lag = t;
        let banks = f.banks;
        // Bank counts are powers of two: masks, not divisions, per element (the
        // two's complement of a negative stride masks to its remainder).
        debug_assert!(banks.is_power_of_two());
        let mask = banks - 1;
        let bank = first & mask;
        let step = stride as u64 & mask;
        if banked {
            let mut claims = Claims {
                at,
                lag,
                conflicts: 0,
            };
            let mut banks = Banks {
                free: &mut self.banks.free,
                windows: &mut self.banks.window,
                hint: &mut self.ramp_hint.0,
                count: banks as usize,
                busy: f.bank_busy,
            };
            if let Some(addresses) = indexed {
                banks.hint.0 = None;
                banks.claim_indexed(addresses, &mut claims);
            } else if FAST && step == 1 {
                let done = banks.ramp_rounds(bank as usize, 0..count, &mut claims);
                if done < count {
                    // No ramp from the first element's bank. Often that bank alone is
                    // out of order (a scalar reference claimed it after the last
                    // stream): the first element by the rules, the rest of its round by
                    // the shortcut, and the rounds after it by the shortcut once more
                    // (a round leaves a ramp when none of its elements but the first
                    // waits), each by the rules where the shortcut does not apply.
                    banks.hint.0 = None;
                    let round = count.min(banks.count as u64);
                    banks.claim_each(Stride { bank, step, mask }, 0..1, &mut claims);
                    banks.stride_one((bank + 1) & mask, mask, 1..round, &mut claims);
                    banks.stride_one((bank + round) & mask, mask, round..count, &mut claims);
                }
            } else {
                banks.hint.0 = None;
                banks.claim_each(Stride { bank, step, mask }, 0..count, &mut claims);
            }
            (at, lag) = (claims.at, claims.lag);
            self.counters.bank_conflicts += claims.conflicts;
        } else {
            // Unbanked elements go one per CP: element n at t + n.
            at = t + count;
        }
        let end = at;
        // A scalar (A or S) reference holds the path for its own transfer period,
        // which on the Cray-1 is longer than the one CP of its reference.
        self.port_free[port] = match memory {
            MemoryAccess::Scalar { .. } => end.max(t + f.scalar_transfer),
            _ => end,
        };
        self.counters.memory_references += count;
        self.record(Some(timeline::port_row(port)), t, end);
        let vector = issue_is_vector(ops);
        if vector {
            self.counters.vector_instructions += 1;
            self.counters.vector_elements += vl;
        }
        let mut finished = end;
        for &register in ops.sources() {
            if is_vector(register) {
                let v = (register - V) as usize;
                self.read_end[v] = self.read_end[v].max(end);
                self.record(Some(timeline::vector_row(v)), t, end);
            }
        }
        if !store {
            for &register in ops.destinations() {
                let index = register as usize;
                if is_vector(register) {
                    let v = (register - V) as usize;
                    self.chain_slot[v] = lag + f.vector_load;
                    self.ready[index] = end + f.vector_load;
                    self.record(Some(timeline::vector_row(v)), t, self.ready[index]);
                } else if is_scalar(register) {
                    self.ready[index] = t + f.memory_load;
                    self.reserve_result_path(register, t + f.memory_load);
                } else {
                    // B or T file of a block load: the last word arrives last.
                    self.ready[index] = end + f.memory_load;
                }
                finished = finished.max(self.ready[index]);
            }
        }
        self.finish_by(finished);
    }
}

/// True when the instruction reads or writes V registers through a memory stream.
fn issue_is_vector(ops: &operands::Operands) -> bool {
    ops.sources()
        .iter()
        .chain(ops.destinations())
        .any(|&r| is_vector(r) || r == VM)
}

/// The instruction buffer's worth of parcels that parcel address `at` is in, for the
/// machine of `f`: the one place that says how the buffers divide the parcels.
#[inline(always)]
fn buffer_block_of(f: &Figures, at: u32) -> u32 {
    // Buffer sizes are powers of two: a shift, not a division, per instruction.
    debug_assert!(f.buffer_parcels.is_power_of_two());
    at >> f.buffer_parcels.trailing_zeros()
}
