//! The CPU's side of the timing model: what an executed instruction referenced, and
//! the [`Issue`](crate::timing::Issue) built from it.
//!
//! The execute functions only record their memory reference in [`Trace`] (one store,
//! whether timing is on or off); `account` builds the `Issue` and asks the model how
//! many clock periods passed. Functional results never read any of this.

use super::Cpu;
use crate::isa::{Instruction, Unit};
use crate::timing::{is_memory_reference, MemoryAccess, TimingModel};

/// What the instruction being executed referenced: transient, reset by every memory
/// instruction before it is read. Never saved, and every trace compares equal, so it
/// never makes two machine states differ.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Trace {
    /// The memory reference of the last memory instruction.
    pub(crate) memory: MemoryAccess,
}

impl PartialEq for Trace {
    fn eq(&self, _: &Trace) -> bool {
        true
    }
}

impl Eq for Trace {}

impl Cpu {
    /// Switches the timing model on (a model at clock period 0, if there was none) or
    /// off (the model and its counters are dropped; every instruction then takes one
    /// clock period).
    pub fn set_timing(&mut self, on: bool) {
        if !on {
            self.timing = None;
        } else if self.timing.is_none() {
            self.timing = Some(Box::new(TimingModel::new(self.model)));
        }
    }

    /// Records a scalar reference to data address `address` (relative to the data
    /// base; the model wants physical word addresses for the banks).
    #[inline(always)]
    pub(crate) fn trace_scalar(&mut self, address: u32) {
        self.trace.memory = MemoryAccess::Scalar {
            address: u64::from(address) + u64::from(self.data_base),
        };
    }

    /// Records a stream of references from data address `first` by `stride` words.
    #[inline(always)]
    pub(crate) fn trace_vector(&mut self, first: u32, stride: u32) {
        // Strides are 24-bit two's complement.
        let stride = i64::from(((stride << 8) as i32) >> 8);
        self.trace.memory = MemoryAccess::Vector {
            first: u64::from(first) + u64::from(self.data_base),
            stride,
        };
    }

    /// Records a block transfer of `count` words from data address `first`.
    #[inline(always)]
    pub(crate) fn trace_block(&mut self, first: u32, count: u32) {
        self.trace.memory = MemoryAccess::Block {
            first: u64::from(first) + u64::from(self.data_base),
            count,
        };
    }

    /// Records a gather or scatter.
    #[inline(always)]
    pub(crate) fn trace_gather(&mut self) {
        self.trace.memory = MemoryAccess::Gather;
    }

    /// Clock periods the timing model gives `instruction` (on functional unit `unit`),
    /// issued from parcel address `at` and followed in sequence by parcel address `next`
    /// (from the decode cache, which keeps it ready): the advance of the model's clock (which waits for the instruction's
    /// operands, unit, memory and instruction buffers). Called only with a model.
    #[inline(never)]
    pub(crate) fn timed_periods(
        &mut self,
        instruction: Instruction,
        at: u32,
        next: u32,
        unit: Unit,
    ) -> u64 {
        // A branch is taken when P is not simply past it (a jump to the next
        // instruction costs as a branch not taken, which is what it amounts to).
        let branch_taken = self.p != next;
        let vl = self.vl;
        let trace = &mut self.trace;
        let Some(model) = self.timing.as_deref_mut() else {
            return 1;
        };
        model.advance(instruction, at, unit, branch_taken, vl, || {
            if is_memory_reference(instruction) {
                std::mem::take(&mut trace.memory)
            } else {
                MemoryAccess::None
            }
        })
    }
}
