//! The CPU: register file, execution of every instruction, exchange packages.
//!
//! [`Cpu`] is plain data (it derives `Serialize`, `PartialEq`), so a snapshot is a
//! copy and equality is a field comparison. Memory is passed in to every call.
//!
//! Execution is split by instruction group: `fetch` (relocation, program range,
//! the decoded-instruction cache), `execute` (the one `match` over [`Op`]),
//! `operands` (register-0 rules, which flags request an exchange), `address` (A and
//! B), `scalar` (S and T, shifts, masks, floating glue), `vector`, `memory_ops`
//! (relocation and range checks of data references; scalar, block and vector
//! transfers), `control` (exits, monitor instructions, semaphores, shared
//! registers, clocks, SR0) and `exchange` (the exchange package).
//!
//! Conventions: P advances before an instruction executes; an instruction that
//! requests an exchange returns [`Stop::Exchange`] with `at` = its own parcel
//! address. EX, ERR and floating-point errors leave P past the instruction;
//! operand range errors (with ERI), undefined instructions and test-and-set holds
//! leave P on it; a program range error leaves P at the address that could not be
//! fetched. Every issued instruction advances `cycles` by what the timing model says
//! (see `account`), or by one clock period when the CPU has no model (`--timing off`).
//!
//! [`Op`]: crate::isa::Op

mod address;
mod control;
mod exchange;
mod execute;
mod fetch;
mod memory_ops;
mod operands;
pub mod registers;
mod scalar;
mod state;
mod steady;
mod timed;
mod vector;

pub use exchange::{ExchangeError, PACKAGE_WORDS};
pub use fetch::DecodeCache;
pub use state::{Cpu, Flags, Modes, SharedRegisters, Stop};

use crate::isa::Model;
use crate::memory::Memory;
use crate::timing::Plain;
use execute::Flow;
use fetch::{Fetched, UntimedBlock, UntimedSlot, BLOCK_SLOTS};
use timed::{LoopTiming, TimedCray1, TimedRecording, TimedXMp, Untimed};

/// What [`Cpu::run_probed`] asks after each instruction (a debugger's breakpoints and
/// watchpoints, checked inside the run loop rather than one instruction per run).
pub trait InstructionProbe {
    /// False for a probe that never stops a run: the loop then skips the call.
    const ACTIVE: bool = true;

    /// Whether to stop after the instruction at parcel `at` (P is past it: the CPU and
    /// memory are as the instruction left them).
    fn stops_after(&mut self, cpu: &Cpu, memory: &Memory, at: u32) -> bool;
}

/// The probe of a plain run: never stops it.
pub struct NoProbe;

impl InstructionProbe for NoProbe {
    const ACTIVE: bool = false;

    #[inline(always)]
    fn stops_after(&mut self, _: &Cpu, _: &Memory, _: u32) -> bool {
        false
    }
}

impl Cpu {
    /// Runs until an exchange is requested, test-and-set holds issue, or `cycles`
    /// reaches `until_cycle` (checked between instructions: [`Stop::Budget`]).
    ///
    /// The issue loops ([`Cpu::step`] is a run of one instruction) issue decoded
    /// blocks (see `fetch`): straight runs of instructions up to a branch, walked by
    /// index. A CPU without a timing model runs them in `run_untimed`, which counts
    /// the clock periods per block; one with a model, or a run asked after every
    /// instruction, in `run_loop`, which keeps P in a local (the field is still
    /// written after every instruction, so everything that reads it sees it as it
    /// is, but the loop never reads it back) and counts the clock periods and
    /// instructions in the fields themselves (as locals the dispatch's arms spilled
    /// them to the stack: a store and a load more per instruction). P is past each
    /// instruction when it executes; only a jump (the one kind of instruction that
    /// sets P and completes) sets it otherwise.
    pub fn run(&mut self, memory: &mut Memory, until_cycle: u64) -> Stop {
        self.run_probed(memory, until_cycle, &mut NoProbe)
    }

    /// [`Cpu::run`], asking `probe` after every instruction that completes without an
    /// exchange whether to stop there: when it says so, the run ends with
    /// [`Stop::Budget`] at that instruction boundary, as if the budget had run out.
    /// With [`NoProbe`] this is [`Cpu::run`] exactly (the check compiles away).
    pub fn run_probed<P: InstructionProbe>(
        &mut self,
        memory: &mut Memory,
        until_cycle: u64,
        probe: &mut P,
    ) -> Stop {
        self.prepare_fetch(memory);
        // The shortcuts of a run no probe watches leave the HPM's instruction and
        // clock-period counters to be settled at its end (a probe may read them).
        let mark = match self.timing.as_deref() {
            Some(model) if !P::ACTIVE => Some((model.counts_mark(), self.instructions)),
            _ => None,
        };
        // Nothing an instruction does switches the model on or off, changes its
        // machine or starts or stops a timeline.
        let stop = match self.timing.as_deref() {
            None if !P::ACTIVE => self.run_untimed(memory, until_cycle),
            None => self.run_loop::<Untimed, P>(memory, until_cycle, probe),
            Some(model) if model.timeline().is_some() => {
                self.run_loop::<TimedRecording, P>(memory, until_cycle, probe)
            }
            Some(model) => match model.model() {
                Model::XMp => self.run_loop::<TimedXMp, P>(memory, until_cycle, probe),
                Model::Cray1 => self.run_loop::<TimedCray1, P>(memory, until_cycle, probe),
            },
        };
        if let (Some((mark, before)), Some(model)) = (mark, self.timing.as_deref_mut()) {
            model.settle_counts(mark, self.instructions.wrapping_sub(before));
        }
        self.finish_fetch(memory);
        stop
    }

    /// The body of [`Cpu::run`], for a CPU with or without a timing model, as `T`
    /// says.
    #[inline(never)]
    fn run_loop<T: LoopTiming, P: InstructionProbe>(
        &mut self,
        memory: &mut Memory,
        until_cycle: u64,
        probe: &mut P,
    ) -> Stop {
        // Neither changes while the CPU runs: only an exchange changes them, and
        // an exchange ends the run.
        let base = self.instruction_base as usize * 4;
        let timed = T::TIMED;
        let mut p = self.p;
        while self.cycles < until_cycle {
            let phys = p as usize + base;
            let Some(block) = self.decoded.block_at(phys) else {
                if let Err(stop) = self.build_block(phys, p, memory) {
                    return stop;
                }
                continue;
            };
            // Without a model every instruction takes one clock period, so the budget
            // bounds the instructions issued from the block before they run, and
            // needs no check after each one.
            let len = if timed {
                block.len as usize
            } else {
                let left = usize::try_from(until_cycle - self.cycles).unwrap_or(usize::MAX);
                left.min(block.len as usize)
            };
            let first = block.first as usize;
            // A block whose timing the model may replay runs apart (only in a loop
            // that knows its machine: no timeline, and no probe, which reads the
            // clock after each instruction), unless the programmable clock counts
            // down, which it would do after each instruction.
            if T::MACHINE.is_some() && !P::ACTIVE && block.steady && self.clock_interval == 0 {
                match self.run_steady_block::<T>(memory, phys, (first, len), p, until_cycle) {
                    Ok(next) => p = next,
                    Err(stop) => return stop,
                }
                continue;
            }
            let mut at = p;
            for index in 0..len {
                // A store into code drops (empties) the blocks: the block is then
                // left here, after that store, and the next instruction is fetched
                // afresh.
                let (fetched, descriptor) = if timed {
                    match self.decoded.block_instruction_timed(first + index) {
                        Some(entry) => (entry.fetched, entry.descriptor),
                        None => break,
                    }
                } else {
                    match self.decoded.block_instruction(first, index) {
                        Some(fetched) => (fetched, Plain::GENERAL),
                        None => break,
                    }
                };
                // Only a model reads the memory trace.
                let executed = if timed {
                    self.execute_fetched::<true>(fetched, at, memory)
                } else {
                    self.execute_fetched::<false>(fetched, at, memory)
                };
                p = match executed {
                    Ok(next) => next,
                    Err(stop) => return self.stopped(stop, fetched, at),
                };
                let periods = if timed {
                    self.timed_periods_inline::<T>(fetched, at, p, descriptor, P::ACTIVE)
                } else {
                    1
                };
                let cycles = self.cycles.wrapping_add(periods);
                self.cycles = cycles;
                self.instructions = self.instructions.wrapping_add(1);
                if self.clock_interval != 0 {
                    if let Err(stop) = self.tick_programmable_clock(periods) {
                        return stop;
                    }
                }
                if P::ACTIVE && probe.stops_after(self, memory, at) {
                    return Stop::Budget;
                }
                if timed && cycles >= until_cycle {
                    break;
                }
                at = p;
            }
        }
        Stop::Budget
    }

    /// Executes the instruction `fetched` from parcel address `at` as the issue loops
    /// do: P past it first (a jump sets it again), then the operation (recording its
    /// memory reference with `TRACE`). Returns P after it, or the stop it raised,
    /// which the caller accounts for (`stopped`).
    #[inline(always)]
    fn execute_fetched<const TRACE: bool>(
        &mut self,
        fetched: Fetched,
        at: u32,
        memory: &mut Memory,
    ) -> Result<u32, Stop> {
        let mut p = fetched.next(at);
        self.p = p;
        let mut stop = Stop::Budget;
        match self.execute::<TRACE>(fetched.instruction(), at, &mut p, memory, &mut stop) {
            Flow::Stopped => Err(stop),
            _ => Ok(p),
        }
    }

    /// [`Cpu::run`] for a CPU without a timing model and a probe that never stops
    /// it: every instruction takes one clock period.
    ///
    /// The loop per instruction is only the dispatch: the next slot of the block is
    /// loaded (its index modulo the block's size, so with no bounds check), P is set
    /// to the address after it, which the slot holds with the instruction's own, and
    /// the operation runs. Nothing else is tested: a block
    /// ends at a jump, and after its instructions come sentinels, jumps to where the
    /// program continues (see `fetch`), so every way out of the block is an arm of
    /// the dispatch (a jump, a store into code, a stop), and every other arm goes
    /// straight back to the dispatch.
    ///
    /// The clock periods and instructions are counted when the loop leaves a block
    /// (the only readers of the clock inside a block, the real-time clock's
    /// instructions, begin blocks of their own), and the programmable clock is
    /// counted down then too: a block run while it counts is cut to one instruction,
    /// and the instruction that starts it ends its block.
    #[inline(never)]
    fn run_untimed(&mut self, memory: &mut Memory, until_cycle: u64) -> Stop {
        let base = self.instruction_base as usize * 4;
        // The blocks are held apart from the cache while they run (so that the block
        // being run is not borrowed from the CPU its instructions change), and put
        // back only to build one.
        let mut blocks = self.decoded.take_untimed();
        let stop = loop {
            if self.cycles >= until_cycle {
                break Stop::Budget;
            }
            let p = self.p;
            let phys = p as usize + base;
            let Some(header) = self.decoded.block_at(phys) else {
                self.decoded.put_untimed(blocks);
                if let Err(stop) = self.build_block(phys, p, memory) {
                    return stop;
                }
                blocks = self.decoded.take_untimed();
                continue;
            };
            // The budget, or the programmable clock, ends the block early.
            let left = if self.clock_interval != 0 {
                1
            } else {
                usize::try_from(until_cycle - self.cycles).unwrap_or(usize::MAX)
            };
            let stop = match blocks.get(header.first as usize) {
                Some(block) if left >= header.len as usize => self.run_untimed_block(block, memory),
                Some(block) => {
                    let mut cut = *block;
                    if let Some(slot) = cut.get_mut(left) {
                        *slot = UntimedSlot::sentinel(slot.at);
                    }
                    self.run_untimed_block(&cut, memory)
                }
                None => None,
            };
            if self.decoded.code_written() {
                // A store wrote into code and dropped the blocks: these go too.
                self.decoded.put_untimed(blocks);
                blocks = self.decoded.take_untimed();
            }
            if let Some(stop) = stop {
                break stop;
            }
        };
        self.decoded.put_untimed(blocks);
        stop
    }

    /// Runs `block` (see [`Cpu::run_untimed`]) from P until it leaves it, and counts
    /// its instructions; the stop an instruction requested, if one did.
    #[inline(always)]
    fn run_untimed_block(&mut self, block: &UntimedBlock, memory: &mut Memory) -> Option<Stop> {
        // The slot's offset in bytes, so that the slot's address is one mask of it.
        const STRIDE: usize = std::mem::size_of::<UntimedSlot>();
        let mut offset = 0;
        let mut stop = Stop::Budget;
        loop {
            let UntimedSlot { fetched, at, next } = block[(offset / STRIDE) % BLOCK_SLOTS];
            offset += STRIDE;
            let index = offset / STRIDE;
            let mut p = next;
            self.p = p;
            match self.execute::<false>(fetched.instruction(), at, &mut p, memory, &mut stop) {
                Flow::Next => {}
                Flow::Left => {
                    let issued = index - usize::from(fetched.is_sentinel());
                    self.count_untimed(issued);
                    if self.clock_interval != 0 {
                        // Only the block's last instruction ran with the clock on:
                        // a block begun with it on is one instruction long, and
                        // the instruction that starts it ends its block.
                        return self.tick_programmable_clock(1).err();
                    }
                    return None;
                }
                Flow::Stopped => {
                    self.count_untimed(index - 1);
                    return Some(self.stopped(stop, fetched, at));
                }
            }
        }
    }

    /// Counts `issued` instructions of one clock period each.
    #[inline(always)]
    fn count_untimed(&mut self, issued: usize) {
        self.cycles = self.cycles.wrapping_add(issued as u64);
        self.instructions = self.instructions.wrapping_add(issued as u64);
    }

    /// Executes exactly one instruction (None if it completed without stopping).
    ///
    /// This is a run whose budget ends one clock period on: every instruction takes
    /// at least one clock period and the budget is checked only between
    /// instructions, so the run issues exactly one. `run` and `step` thus share the
    /// one issue loop, its accounting included. (At the last clock period a `u64`
    /// counts, 2^64 − 1, nothing more can be issued either way.)
    pub fn step(&mut self, memory: &mut Memory) -> Option<Stop> {
        match self.run(memory, self.cycles.saturating_add(1)) {
            Stop::Budget => None,
            stop => Some(stop),
        }
    }

    /// Accounts for an instruction that requested `stop` and passes the stop on.
    #[cold]
    #[inline(never)]
    fn stopped(&mut self, stop: Stop, fetched: Fetched, at: u32) -> Stop {
        const COMPLETED: u16 = Flags::NORMAL_EXIT | Flags::ERROR_EXIT | Flags::FLOATING_POINT;
        match stop {
            // The instruction completed: it issued and took its time.
            Stop::Exchange { flags, .. } if flags.has(COMPLETED) => {
                let _ = self.account(fetched, at);
            }
            // Holding issue still takes a clock period, so a system that
            // retries under a cycle budget makes progress through its budget.
            Stop::SemaphoreWait => self.cycles = self.cycles.wrapping_add(1),
            _ => {}
        }
        stop
    }

    /// The one place where an issued instruction is accounted for: the clock periods
    /// the timing model gives it (one without a model; the check is a single branch
    /// that is predicted the same way every time). Also counts down the programmable
    /// clock (X-MP), whose interrupt is an exchange when enabled.
    #[inline(always)]
    fn account(&mut self, fetched: Fetched, at: u32) -> Result<(), Stop> {
        let periods = if self.timing.is_none() {
            1
        } else {
            let phys = at as usize + self.instruction_base as usize * 4;
            let descriptor = self.decoded.descriptor(phys);
            self.timed_periods(fetched, at, descriptor)
        };
        self.cycles = self.cycles.wrapping_add(periods);
        self.instructions = self.instructions.wrapping_add(1);
        if self.clock_interval != 0 {
            return self.tick_programmable_clock(periods);
        }
        Ok(())
    }
}
