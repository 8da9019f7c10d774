//! The CPU's side of the timing model: what an executed instruction referenced, and
//! the [`Issue`](crate::timing::Issue) built from it.
//!
//! The execute functions only record their memory reference in [`Trace`] (one store,
//! whether timing is on or off); `account` builds the `Issue` and asks the model how
//! many clock periods passed. Functional results never read any of this.

use super::fetch::Fetched;
use super::Cpu;
use crate::isa::Model;
use crate::timing::{figures, is_memory_reference, Figures, MemoryAccess, Plain, TimingModel};

/// What an issue loop knows of the CPU's timing when it is compiled: whether the CPU
/// has a timing model, and, for a model that records no timeline, its machine, so
/// that in that loop the model's figures (bank count and busy time, latencies,
/// buffer sizes, branch times) are constants rather than loads through the model's
/// machine, and the shortcuts never ask for a recorder. Nothing an instruction does
/// switches the model on or off, changes its machine or starts or stops a timeline.
pub(crate) trait LoopTiming {
    /// The CPU has a timing model.
    const TIMED: bool;
    /// The machine of a model that records no timeline; None: the shortcuts ask
    /// the model for its figures and its recorder.
    const MACHINE: Option<Model>;
}

/// A CPU without a timing model: every instruction takes one clock period.
pub(crate) struct Untimed;

/// A CPU timed as a Cray X-MP, recording no timeline.
pub(crate) struct TimedXMp;

/// A CPU timed as a Cray-1, recording no timeline.
pub(crate) struct TimedCray1;

/// A timed CPU whose model records a timeline.
pub(crate) struct TimedRecording;

impl LoopTiming for Untimed {
    const TIMED: bool = false;
    const MACHINE: Option<Model> = None;
}

impl LoopTiming for TimedXMp {
    const TIMED: bool = true;
    const MACHINE: Option<Model> = Some(Model::XMp);
}

impl LoopTiming for TimedCray1 {
    const TIMED: bool = true;
    const MACHINE: Option<Model> = Some(Model::Cray1);
}

impl LoopTiming for TimedRecording {
    const TIMED: bool = true;
    const MACHINE: Option<Model> = None;
}

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

/// The figures of `model`'s machine and whether the shortcuts must ask for its
/// recorder, as a loop compiled for `T` knows them (constants when it knows the
/// machine).
#[inline(always)]
fn shortcut_figures<T: LoopTiming>(model: &TimingModel) -> (&'static Figures, bool) {
    match T::MACHINE {
        Some(machine) => {
            debug_assert_eq!(model.model(), machine);
            debug_assert!(model.timeline().is_none());
            (figures(machine), false)
        }
        None => (figures(model.model()), true),
    }
}

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

    /// Records a gather or scatter whose elements reference data addresses
    /// `addresses`, which a timing model is told (physical, for the banks).
    #[inline(always)]
    pub(crate) fn trace_indexed(&mut self, addresses: impl Iterator<Item = u32>) {
        self.trace.memory = MemoryAccess::Gather;
        let base = u64::from(self.data_base);
        if let Some(model) = self.timing.as_deref_mut() {
            model.note_indexed(addresses.map(|address| u64::from(address) + base));
        }
    }

    /// [`Cpu::timed_periods`], with the plain path and the scalar-memory path (all
    /// but a few instructions of compiled code) inlined into the caller and the rest
    /// out of line. `p` is P after the instruction (the issue loop keeps it in a
    /// register: this spares reading it back). `T` is what the calling loop knows
    /// of the model (see [`LoopTiming`]). `counts`: the shortcuts count the
    /// instruction and its clock periods in the HPM counters; false where the run
    /// settles those two counters at its end (see `CountsMark`).
    #[inline(always)]
    pub(crate) fn timed_periods_inline<T: LoopTiming>(
        &mut self,
        fetched: Fetched,
        at: u32,
        p: u32,
        descriptor: Plain,
        counts: bool,
    ) -> u64 {
        debug_assert_eq!(p, self.p);
        if descriptor.has(Plain::APPLIES) {
            let branch_taken = p != fetched.next(at);
            if let Some(model) = self.timing.as_deref_mut() {
                let (f, records) = shortcut_figures::<T>(model);
                return model.advance_plain(
                    f,
                    records,
                    counts,
                    descriptor,
                    at,
                    branch_taken,
                    fetched.in_buffer(),
                );
            }
        } else if descriptor.has(Plain::SCALAR_MEMORY) {
            // A scalar load or store always records its word; anything else takes
            // the general path below, which reads the trace itself.
            if let MemoryAccess::Scalar { address } = self.trace.memory {
                if let Some(model) = self.timing.as_deref_mut() {
                    // Left in the trace (`timed_periods` takes it; this need not):
                    // every memory instruction records its reference before anything
                    // reads it, so a stale one is never read.
                    let (f, records) = shortcut_figures::<T>(model);
                    return model.advance_scalar_memory(
                        f,
                        records,
                        counts,
                        descriptor,
                        at,
                        address,
                        fetched.in_buffer(),
                    );
                }
            }
        }
        self.timed_periods(fetched, at, descriptor)
    }

    /// Clock periods the timing model gives the `fetched` instruction, issued from
    /// parcel address `at`, whose timing descriptor is `descriptor` (it and the next
    /// address in sequence come from the decode cache, which keeps them ready): the advance of the model's clock
    /// (which waits for the instruction's operands, unit, memory and instruction
    /// buffers). Called only with a model.
    #[inline(never)]
    pub(crate) fn timed_periods(&mut self, fetched: Fetched, at: u32, descriptor: Plain) -> u64 {
        // A branch is taken when P is not simply past it (a jump to the next
        // instruction costs as a branch not taken, which is what it amounts to).
        let branch_taken = self.p != fetched.next(at);
        let vl = self.vl;
        let trace = &mut self.trace;
        let Some(model) = self.timing.as_deref_mut() else {
            return 1;
        };
        let instruction = fetched.instruction();
        model.advance(
            descriptor,
            instruction,
            at,
            fetched.unit,
            branch_taken,
            vl,
            || {
                if is_memory_reference(instruction) {
                    std::mem::take(&mut trace.memory)
                } else {
                    MemoryAccess::None
                }
            },
        )
    }
}
