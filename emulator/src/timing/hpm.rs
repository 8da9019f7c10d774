//! Hardware performance monitor counters, reported like UNICOS hpm(1).

use crate::isa::Model;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// The counters of the hardware performance monitor. Floating-point and memory
/// counters count operations and words (a vector instruction counts VL of them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HpmCounters {
    /// Clock periods elapsed.
    pub clock_periods: u64,
    /// Instructions issued.
    pub instructions: u64,
    /// Periods issue was held waiting for a reserved source or destination register
    /// (including a missed Cray-1 chain slot and the drain before EX, ERR and CMR).
    pub hold_register: u64,
    /// Periods issue was held waiting for a busy functional unit.
    pub hold_functional_unit: u64,
    /// Periods issue was held because two results would reach the A or S register file
    /// in the same period.
    pub hold_result_bus: u64,
    /// Periods issue was held waiting for a memory port or a busy bank.
    pub hold_memory: u64,
    /// Periods issue waited for an instruction buffer to load.
    pub hold_instruction_buffer: u64,
    /// Periods the issue stage spent on branches beyond their own issue period.
    pub hold_branch: u64,
    /// Floating additions and subtractions.
    pub float_adds: u64,
    /// Floating multiplications (including reciprocal iterations).
    pub float_multiplies: u64,
    /// Reciprocal approximations.
    pub float_reciprocals: u64,
    /// Vector instructions issued.
    pub vector_instructions: u64,
    /// Vector elements processed.
    pub vector_elements: u64,
    /// Memory words referenced (scalar, block, vector, gather, scatter).
    pub memory_references: u64,
    /// Memory references that found their bank busy.
    pub bank_conflicts: u64,
    /// Instruction-buffer misses.
    pub instruction_buffer_misses: u64,
    /// Branch instructions issued.
    pub branches: u64,
    /// Branches taken.
    pub branches_taken: u64,
}

impl HpmCounters {
    /// Adds `other`'s counts to these (the counters of several CPUs or processes
    /// together; clock periods add up like CPU time). A sum past 2^64 stays at the top
    /// instead of wrapping: only a damaged state comes near it, and the restore
    /// refuses such a state by that sum ([`crate::system::System::check_consistency`]).
    pub fn add(&mut self, other: &HpmCounters) {
        for ((_, mine), (_, theirs)) in self.named_mut().into_iter().zip(other.named()) {
            *mine = mine.saturating_add(theirs);
        }
    }

    /// What each counter counted since `before` (wrapping, as the counters do).
    pub(crate) fn since(&self, before: &HpmCounters) -> HpmCounters {
        let mut delta = self.clone();
        for ((_, count), (_, earlier)) in delta.named_mut().into_iter().zip(before.named()) {
            *count = count.wrapping_sub(earlier);
        }
        delta
    }

    /// Adds `delta`'s counts (a [`HpmCounters::since`]), wrapping as the counters do
    /// when they count one by one.
    pub(crate) fn add_wrapping(&mut self, delta: &HpmCounters) {
        for ((_, count), (_, more)) in self.named_mut().into_iter().zip(delta.named()) {
            *count = count.wrapping_add(more);
        }
    }

    /// Every counter with its field name, in declaration order.
    pub fn named(&self) -> [(&'static str, u64); 18] {
        self.clone().named_mut().map(|(name, count)| (name, *count))
    }

    /// Every counter with its field name, in declaration order, to change.
    fn named_mut(&mut self) -> [(&'static str, &mut u64); 18] {
        // Destructured, so that a new counter cannot be left out of the list.
        let HpmCounters {
            clock_periods,
            instructions,
            hold_register,
            hold_functional_unit,
            hold_result_bus,
            hold_memory,
            hold_instruction_buffer,
            hold_branch,
            float_adds,
            float_multiplies,
            float_reciprocals,
            vector_instructions,
            vector_elements,
            memory_references,
            bank_conflicts,
            instruction_buffer_misses,
            branches,
            branches_taken,
        } = self;
        [
            ("clock_periods", clock_periods),
            ("instructions", instructions),
            ("hold_register", hold_register),
            ("hold_functional_unit", hold_functional_unit),
            ("hold_result_bus", hold_result_bus),
            ("hold_memory", hold_memory),
            ("hold_instruction_buffer", hold_instruction_buffer),
            ("hold_branch", hold_branch),
            ("float_adds", float_adds),
            ("float_multiplies", float_multiplies),
            ("float_reciprocals", float_reciprocals),
            ("vector_instructions", vector_instructions),
            ("vector_elements", vector_elements),
            ("memory_references", memory_references),
            ("bank_conflicts", bank_conflicts),
            ("instruction_buffer_misses", instruction_buffer_misses),
            ("branches", branches),
            ("branches_taken", branches_taken),
        ]
    }

    /// Floating-point operations: adds, multiplies and reciprocals.
    pub fn flops(&self) -> u64 {
        self.float_adds + self.float_multiplies + self.float_reciprocals
    }

    /// Seconds of machine time at `model`'s clock period.
    pub fn seconds(&self, model: Model) -> f64 {
        self.clock_periods as f64 * model.clock_period_ps() as f64 * 1e-12
    }

    /// Millions of floating-point operations per second of machine time.
    pub fn mflops(&self, model: Model) -> f64 {
        per_microsecond(self.flops(), self.seconds(model))
    }

    /// Millions of instructions per second of machine time.
    pub fn mips(&self, model: Model) -> f64 {
        per_microsecond(self.instructions, self.seconds(model))
    }

    /// A text report in the manner of hpm(1).
    pub fn report(&self, model: Model) -> String {
        let clock_ns = model.clock_period_ps() as f64 / 1000.0;
        let mut out = String::new();
        let mut line = |label: &str, value: String| {
            let _ = writeln!(out, "{label:<40}{value:>20}");
        };
        line(
            &format!("Machine ({}, {clock_ns} ns clock)", model.name()),
            String::new(),
        );
        line("CPU seconds", format!("{:.9}", self.seconds(model)));
        line("Clock periods", self.clock_periods.to_string());
        line("Instructions issued", self.instructions.to_string());
        line(
            "Hold issue: register reserved",
            self.hold_register.to_string(),
        );
        line(
            "Hold issue: functional unit busy",
            self.hold_functional_unit.to_string(),
        );
        line(
            "Hold issue: result path conflict",
            self.hold_result_bus.to_string(),
        );
        line("Hold issue: memory port/bank", self.hold_memory.to_string());
        line(
            "Hold issue: instruction buffer fill",
            self.hold_instruction_buffer.to_string(),
        );
        line("Hold issue: branch", self.hold_branch.to_string());
        line("Floating adds", self.float_adds.to_string());
        line("Floating multiplies", self.float_multiplies.to_string());
        line("Floating reciprocals", self.float_reciprocals.to_string());
        line("Vector instructions", self.vector_instructions.to_string());
        line("Vector elements", self.vector_elements.to_string());
        line("Memory references", self.memory_references.to_string());
        line("Bank conflicts", self.bank_conflicts.to_string());
        line(
            "Instruction buffer misses",
            self.instruction_buffer_misses.to_string(),
        );
        line(
            "Branches (taken)",
            format!("{} ({})", self.branches, self.branches_taken),
        );
        line("MIPS", format!("{:.3}", self.mips(model)));
        line("MFLOPS", format!("{:.3}", self.mflops(model)));
        out
    }
}

fn per_microsecond(count: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count as f64 / seconds / 1e6
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_follow_the_clock_period() {
        // 1000 CP at 12.5 ns = 12.5 us; 500 flops -> 40 MFLOPS; 1000 instructions -> 80 MIPS.
        let counters = HpmCounters {
            clock_periods: 1000,
            instructions: 1000,
            float_adds: 300,
            float_multiplies: 200,
            ..HpmCounters::default()
        };
        assert!((counters.mflops(Model::Cray1) - 40.0).abs() < 1e-9);
        assert!((counters.mips(Model::Cray1) - 80.0).abs() < 1e-9);
        let report = counters.report(Model::Cray1);
        assert!(report.contains("MFLOPS"), "{report}");
        assert!(report.contains("40.000"), "{report}");
        assert_eq!(HpmCounters::default().mips(Model::XMp), 0.0);
    }

    #[test]
    fn add_sums_every_counter() {
        let one = HpmCounters {
            clock_periods: 10,
            instructions: 4,
            hold_branch: 3,
            branches_taken: 1,
            ..HpmCounters::default()
        };
        let mut total = one.clone();
        total.add(&one);
        assert_eq!(total.clock_periods, 20);
        assert_eq!(total.instructions, 8);
        assert_eq!(total.hold_branch, 6);
        assert_eq!(total.branches_taken, 2);
        assert_eq!(total.float_adds, 0);
    }

    #[test]
    fn named_lists_every_counter_once_by_its_field_name() {
        let mut counters = HpmCounters::default();
        for (n, (_, count)) in counters.named_mut().into_iter().enumerate() {
            *count = n as u64 + 1;
        }
        let fields = debug_fields(&counters);
        let named = counters.named();
        assert_eq!(named.len(), fields.len());
        for (n, (name, count)) in named.into_iter().enumerate() {
            assert_eq!(count, n as u64 + 1, "{name}");
            assert!(fields.contains(&(name.to_string(), count)), "{name}");
        }
    }

    /// The fields of `counters` as their derived `Debug` shows them: `name: value`
    /// pairs in declaration order, named by the compiler, not by `named`.
    fn debug_fields(counters: &HpmCounters) -> Vec<(String, u64)> {
        let text = format!("{counters:?}");
        let body = text
            .trim_start_matches("HpmCounters {")
            .trim_end_matches('}');
        body.split(',')
            .filter_map(|pair| {
                let (name, value) = pair.split_once(':')?;
                Some((name.trim().to_string(), value.trim().parse().ok()?))
            })
            .collect()
    }
}
