//! The issue loop's side of the timing model's steady-state replay (see
//! `timing::steady`): a block marked for it (see `fetch::replays_timing`) runs its
//! instructions as usual, and its timing is either replayed whole, when each
//! instruction brings what it brought when the block was timed from the same state,
//! or worked out by the rules (and remembered when the block runs to its end).

use super::timed::LoopTiming;
use super::{Cpu, Stop};
use crate::memory::Memory;
use crate::timing::{is_memory_reference, BlockInput, MemoryAccess, Plan};

use super::fetch::{Fetched, MAX_BLOCK};

impl Cpu {
    /// Runs the block at physical parcel address `phys` (its instructions from
    /// `first` in the decode cache's timed blocks, `len` of them) from parcel address
    /// `at`, as the issue loop runs a block of a model that records no timeline, with
    /// no probe and no programmable clock counting: the same instructions issued, the
    /// same clock periods and the same stop. Returns P after the block (or after the
    /// instruction at which the budget ran out or a store into code left the block).
    #[inline(never)]
    pub(super) fn run_steady_block<T: LoopTiming>(
        &mut self,
        memory: &mut Memory,
        phys: usize,
        (first, len): (usize, usize),
        mut at: u32,
        until_cycle: u64,
    ) -> Result<u32, Stop> {
        let Some(model) = self.timing.as_deref_mut() else {
            unreachable!("a timed issue loop runs a CPU with a timing model");
        };
        let block = phys as u32;
        let start = self.cycles;
        let mut plan = model.steady_plan(block, until_cycle.wrapping_sub(start));
        // What each instruction must bring for a replay: none brings all ones.
        let mut expected = [[u64::MAX; 2]; MAX_BLOCK];
        if let Plan::Replay = plan {
            model.steady_replaying(&mut expected[..len]);
        }
        let mut inputs = Vec::new();
        let mut before_last = 0;
        let mut p = at;
        for (index, &wanted) in expected[..len].iter().enumerate() {
            // A store into code drops the blocks: the block is left after it.
            let Some(entry) = self.decoded.block_instruction_timed(first + index) else {
                self.time_replayed_by_rules(&plan, index);
                return Ok(p);
            };
            let fetched = entry.fetched;
            p = match self.execute_fetched::<true>(fetched, at, memory) {
                Ok(next) => next,
                Err(stop) => {
                    self.time_replayed_by_rules(&plan, index);
                    return Err(self.stopped(stop, fetched, at));
                }
            };
            match &plan {
                Plan::Replay if wanted == self.block_input(fetched, at, p).words() => {
                    self.instructions = self.instructions.wrapping_add(1);
                    at = p;
                    continue;
                }
                Plan::Replay => {
                    self.time_replayed_by_rules(&plan, index);
                    plan = Plan::Rules;
                }
                Plan::Remember(_) => {
                    inputs.push(self.block_input(fetched, at, p));
                    before_last = self.cycles.wrapping_sub(start);
                }
                Plan::Rules => {}
            }
            let periods = self.timed_periods_inline::<T>(fetched, at, p, entry.descriptor, false);
            self.cycles = self.cycles.wrapping_add(periods);
            self.instructions = self.instructions.wrapping_add(1);
            if self.cycles >= until_cycle {
                // Also the end of a block timed to remember: only its last
                // instruction could end the run here, and that run is whole.
                if index + 1 < len {
                    return Ok(p);
                }
            }
            at = p;
        }
        let Some(model) = self.timing.as_deref_mut() else {
            unreachable!("a timed issue loop runs a CPU with a timing model");
        };
        match plan {
            Plan::Replay => {
                let periods = model.steady_replay();
                self.cycles = self.cycles.wrapping_add(periods);
            }
            Plan::Remember(from) => model.steady_remember(block, *from, inputs, before_last),
            Plan::Rules => {}
        }
        Ok(p)
    }

    /// What the instruction `fetched`, issued from `at` and leaving P at `p`, brings
    /// to its timing.
    #[inline(always)]
    fn block_input(&self, fetched: Fetched, at: u32, p: u32) -> BlockInput {
        let instruction = fetched.instruction();
        // Only a memory instruction records its reference: another's trace is stale.
        let memory = if is_memory_reference(instruction) {
            self.trace.memory
        } else {
            MemoryAccess::None
        };
        BlockInput::new(
            at,
            instruction,
            fetched.unit,
            self.vl,
            p != fetched.next(at),
            memory,
        )
    }

    /// Times by the rules the first `count` instructions of a block being replayed
    /// (whose timing was deferred), when the replay is given up.
    fn time_replayed_by_rules(&mut self, plan: &Plan, count: usize) {
        if let (Plan::Replay, Some(model)) = (plan, self.timing.as_deref_mut()) {
            let periods = model.steady_by_rules(count);
            self.cycles = self.cycles.wrapping_add(periods);
        }
    }
}
