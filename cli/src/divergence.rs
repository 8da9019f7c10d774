//! Where a replay left the recorded run: the first instruction whose result differs,
//! found by stepping a copy of the machine from the last point that matched.
//!
//! The log holds hashes, not states, so what the recorded run had in a register is
//! not known; what is known is where the two runs part. An input record that was
//! edited parts them at the instruction that reads it: a copy of the machine as it
//! was just before the delivery (which matched its recorded hash) is given the input
//! and stepped one instruction at a time until a process waiting for it has taken it.
//! Any other difference is known to lie between the last check that matched and the
//! first that did not; when one instruction separates them (`--record-interval 1`
//! around it, or a short run), that instruction is named, otherwise the interval is.

use crate::debug::disassembly;
use crate::dis::parcel_label;
use crate::replay::Delivery;
use crate::replay_checks::Matched;
use cray_emulator::cpu::Cpu;
use cray_emulator::system::{Console, Event, Pid, ProcessState, WaitOn};
use cray_emulator::System;

/// Clock periods a copy of the machine is stepped, at most, looking for the read of
/// an edited input (a job that does not read what it asked for within them is said).
const MOST_STEPS: u64 = 1 << 24;

/// Memory words listed, at most, of those an instruction changed.
const MOST_WORDS: usize = 16;

/// A divergence found, before the replay knows whether the run or the log differs.
#[derive(Clone, Debug)]
pub struct Divergence {
    /// The check or delivery that did not match.
    what: String,
    /// The instruction (or interval) that parts the runs, with what it changed.
    place: String,
}

impl Divergence {
    /// The report when the run never matched again: it left the recorded run.
    pub fn report(&self) -> String {
        format!("replay diverged: {}\n{}", self.what, self.place)
    }

    /// The report when the run matched the log again at `again`: the log was altered
    /// at the point that did not match, the run was not.
    pub fn altered_log(&self, again: &str) -> String {
        format!(
            "the log was altered: {}, yet the run matches the recording again at {again}, so the run did not leave it there",
            self.what
        )
    }
}

/// Finds where the replay left the recorded run: `what` did not match, `matched` is
/// the last point that did, `system` the replay now, and `edited` the delivery about
/// to be given when it is the input that differs.
pub fn locate(
    what: String,
    matched: Option<&Matched>,
    system: &System,
    edited: Option<&Delivery>,
) -> Divergence {
    let place = match (edited, matched) {
        (Some(delivery), _) => reader_of(system, delivery),
        (None, Some(matched)) => between(matched, system),
        (None, None) => {
            "the state differs before the first instruction: the program, its command or the machine's initial state is not the recorded one".to_string()
        }
    };
    Divergence { what, place }
}

/// A copy of `system` whose output goes nowhere, to step without touching the host's
/// terminal.
fn scratch_copy(system: &System) -> System {
    let mut copy = system.clone();
    copy.attach(system.root().clone(), Console::captured());
    copy
}

/// The instruction that reads `delivery`: steps a copy of `system` given it until a
/// process that waited for input has moved on.
fn reader_of(system: &System, delivery: &Delivery) -> String {
    let mut copy = scratch_copy(system);
    let waiting: Vec<(Pid, u32)> = copy
        .processes
        .values()
        .filter(|p| p.state == ProcessState::Blocked(WaitOn::Terminal))
        .map(|p| (p.pid, p.cpu.p))
        .collect();
    match delivery.record.reply() {
        Ok(bytes) if !bytes.is_empty() => copy.provide_input(&bytes),
        _ => copy.end_input(),
    }
    let start = copy.clock;
    while copy.clock - start < MOST_STEPS {
        let before = copy.clone();
        let event = copy.run(1);
        let moved = waiting.iter().find(|(pid, p)| {
            copy.processes
                .get(pid)
                .is_none_or(|process| process.cpu.p != *p || !process.is_alive())
        });
        if let Some((pid, _)) = moved {
            return instruction_report(&before, &copy, *pid);
        }
        if !matches!(event, Event::BudgetExhausted) {
            break;
        }
    }
    format!("no process took the input within {MOST_STEPS} clock periods of clock period {start}")
}

/// What parts the runs between `matched` and `system`: the instruction, when one
/// separates them, else the interval.
fn between(matched: &Matched, system: &System) -> String {
    let before = &matched.system;
    let ran = system.instructions.saturating_sub(before.instructions);
    let ran_by = system.processes.values().find(|p| {
        before
            .processes
            .get(&p.pid)
            .is_none_or(|b| b.cpu.instructions != p.cpu.instructions)
    });
    match ran_by {
        Some(process) if ran == 1 => instruction_report(before, system, process.pid),
        _ => format!(
            "it lies in the {ran} instructions after {} (clock period {}, instruction {}); record with a smaller --record-interval to have the instruction named",
            matched.what, before.clock, before.instructions
        ),
    }
}

/// The instruction process `pid` ran from `before` to `after`, and what it changed.
fn instruction_report(before: &System, after: &System, pid: Pid) -> String {
    let Some(process) = before.processes.get(&pid) else {
        return format!("process {pid} is not in the machine");
    };
    let label = parcel_label(process.cpu.p);
    let shown = disassembly(process, process.cpu.p, 1);
    // The disassembly starts with the parcel address, said already.
    let instruction = shown.trim().trim_start_matches(label.as_str()).trim();
    let mut lines = vec![format!(
        "first instruction whose result differs: clock period {}, instruction {}, pid {pid}, P={label}: {instruction}",
        before.clock,
        before.instructions + 1,
    )];
    match after.processes.get(&pid).filter(|p| p.is_alive()) {
        Some(now) => {
            lines.extend(register_changes(&process.cpu, &now.cpu));
            lines.extend(word_changes(
                process.memory.words(),
                now.memory.words(),
                process.cpu.data_base,
            ));
        }
        None => lines.push(format!("  process {pid} ended there")),
    }
    if lines.len() == 1 {
        lines.push("  (it changed no register or memory word)".to_string());
    }
    lines.join("\n")
}

/// The registers that differ between `before` and `after`, one line each, as this
/// replay computed them.
fn register_changes(before: &Cpu, after: &Cpu) -> Vec<String> {
    let mut lines = Vec::new();
    let mut say = |name: String, old: String, new: String| {
        if old != new {
            lines.push(format!("  {name}: {old} -> {new}"));
        }
    };
    for i in 0..8 {
        say(
            format!("A{i}"),
            format!("{:o}", before.a[i]),
            format!("{:o}", after.a[i]),
        );
    }
    for i in 0..8 {
        say(
            format!("S{i}"),
            format!("{:022o}", before.s[i]),
            format!("{:022o}", after.s[i]),
        );
    }
    for i in 0..64 {
        say(
            format!("B{i:o}"),
            format!("{:o}", before.b[i]),
            format!("{:o}", after.b[i]),
        );
        say(
            format!("T{i:o}"),
            format!("{:022o}", before.t[i]),
            format!("{:022o}", after.t[i]),
        );
    }
    for (i, (old, new)) in before.v.iter().zip(after.v.iter()).enumerate() {
        if let Some(e) = (0..64).find(|&e| old[e] != new[e]) {
            say(
                format!("V{i} (first element that differs, {e})"),
                format!("{:022o}", old[e]),
                format!("{:022o}", new[e]),
            );
        }
    }
    say("VL".into(), before.vl.to_string(), after.vl.to_string());
    say(
        "VM".into(),
        format!("{:022o}", before.vm),
        format!("{:022o}", after.vm),
    );
    lines
}

/// The memory words that differ between `before` and `after` (a field of a process
/// whose data starts at `base`), at most [`MOST_WORDS`] of them, by data address.
fn word_changes(before: &[u64], after: &[u64], base: u32) -> Vec<String> {
    let changed: Vec<usize> = (0..before.len().max(after.len()))
        .filter(|&i| before.get(i) != after.get(i))
        .collect();
    let word = |w: Option<&u64>| w.map_or("(none)".to_string(), |w| format!("{w:022o}"));
    let mut lines: Vec<String> = changed
        .iter()
        .take(MOST_WORDS)
        .map(|&i| {
            let address = (i as u64).wrapping_sub(u64::from(base));
            format!(
                "  memory 0{address:o}: {} -> {}",
                word(before.get(i)),
                word(after.get(i))
            )
        })
        .collect();
    if changed.len() > MOST_WORDS {
        lines.push(format!("  and {} more words", changed.len() - MOST_WORDS));
    }
    lines
}
