//! The debugger's history: snapshots of the whole job kept in memory at intervals, from
//! which any earlier point is reached by restoring the nearest earlier snapshot and
//! running forward again (the run is deterministic, and the job's terminal input is
//! part of the state a snapshot holds, so the second pass is the first one exactly).
//!
//! A snapshot is a clone of the [`System`] without the processes' memories, plus each
//! memory cut into pages of [`PAGE_WORDS`] words. A page equal to the same page of the
//! snapshot before shares its storage (the incremental images' idea, page by page), so
//! a snapshot of a job that changed little costs little. The history keeps at most
//! [`MOST_SNAPSHOTS`] snapshots and [`MOST_BYTES`] bytes of pages: beyond either, an
//! old snapshot is dropped where it leaves the smallest gap, so that the newest
//! [`DENSE`] stay one interval apart and the older ones thin out.

use cray_emulator::memory::Memory;
use cray_emulator::system::{Console, Pid};
use cray_emulator::System;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Words in one page of a snapshot's memory.
pub const PAGE_WORDS: usize = 512;

/// Clock periods between two snapshots while the job runs forward.
pub const INTERVAL: u64 = 1 << 22;

/// Most snapshots kept.
pub const MOST_SNAPSHOTS: usize = 64;

/// Most bytes of memory pages the snapshots may hold together (the rest of a
/// snapshot, registers and kernel tables, is small beside them).
pub const MOST_BYTES: usize = 256 << 20;

/// The newest snapshots never thinned: a reverse command near the present costs at
/// most one interval of re-execution.
const DENSE: usize = 16;

/// One page of memory, shared between snapshots that hold the same words.
type Page = Arc<[u64]>;

/// The job at one instruction boundary.
pub struct Snapshot {
    /// The job's instruction count there (its position in the history).
    pub instructions: u64,
    /// The system clock there.
    pub clock: u64,
    /// The system, its processes' memories emptied.
    system: System,
    /// The memories, page by page, by pid.
    pages: BTreeMap<Pid, Vec<Page>>,
}

impl Snapshot {
    /// Takes `system` as it stands; pages equal to `previous`'s share its storage.
    fn take(system: &mut System, previous: Option<&Snapshot>) -> Snapshot {
        let memories: BTreeMap<Pid, Memory> = system
            .processes
            .iter_mut()
            .map(|(&pid, process)| (pid, std::mem::take(&mut process.memory)))
            .collect();
        let mut without_memory = system.clone();
        // Output a re-execution captured is not the job's state: none is kept.
        without_memory.attach(system.root().clone(), Console::default());
        let mut pages = BTreeMap::new();
        for (pid, memory) in memories {
            let before = previous.and_then(|p| p.pages.get(&pid));
            pages.insert(pid, paginate(memory.words(), before));
            if let Some(process) = system.processes.get_mut(&pid) {
                // The same memory goes back, version and all: nothing the CPU has
                // decoded from it is stale.
                process.memory = memory;
            }
        }
        Snapshot {
            instructions: system.instructions,
            clock: system.clock,
            system: without_memory,
            pages,
        }
    }

    /// The system this snapshot holds, memories and all.
    pub fn restore(&self) -> System {
        let mut system = self.system.clone();
        for (pid, process) in system.processes.iter_mut() {
            let words: Vec<u64> = self
                .pages
                .get(pid)
                .into_iter()
                .flatten()
                .flat_map(|page| page.iter().copied())
                .collect();
            process.memory = Memory::from_words(words);
        }
        system
    }
}

/// `words` cut into pages, each shared with the same page of `before` when equal.
fn paginate(words: &[u64], before: Option<&Vec<Page>>) -> Vec<Page> {
    words
        .chunks(PAGE_WORDS)
        .enumerate()
        .map(|(index, chunk)| match before.and_then(|b| b.get(index)) {
            Some(page) if **page == *chunk => Arc::clone(page),
            _ => Arc::from(chunk),
        })
        .collect()
}

/// The snapshots of one debugging session, oldest first.
pub struct History {
    snapshots: Vec<Snapshot>,
    /// Clock periods between two snapshots ([`INTERVAL`] unless set).
    interval: u64,
}

impl Default for History {
    fn default() -> History {
        History::with_interval(INTERVAL)
    }
}

impl History {
    /// An empty history taking a snapshot every `interval` clock periods.
    pub fn with_interval(interval: u64) -> History {
        History {
            snapshots: Vec::new(),
            interval: interval.max(1),
        }
    }

    /// The clock periods between two snapshots.
    pub fn interval(&self) -> u64 {
        self.interval
    }

    /// Takes the snapshots from now on every `interval` clock periods.
    pub fn set_interval(&mut self, interval: u64) {
        self.interval = interval.max(1);
    }

    /// Takes a snapshot of `system` when it has run the interval's clock periods past the
    /// newest (or none is kept yet), then thins the history to its bounds. Behind
    /// the newest snapshot (re-executing) nothing is taken: that stretch is covered.
    pub fn maybe_take(&mut self, system: &mut System) {
        let due = match self.snapshots.last() {
            None => true,
            Some(newest) => {
                system.instructions > newest.instructions
                    && system.clock >= newest.clock.saturating_add(self.interval)
            }
        };
        if due {
            let snapshot = Snapshot::take(system, self.snapshots.last());
            self.snapshots.push(snapshot);
            self.thin();
        }
    }

    /// Clock periods from `clock` to where the next snapshot is due (at least 1).
    pub fn clocks_to_next(&self, clock: u64) -> u64 {
        match self.snapshots.last() {
            Some(newest) => newest
                .clock
                .saturating_add(self.interval)
                .saturating_sub(clock)
                .max(1),
            None => 1,
        }
    }

    /// The newest snapshot at or before instruction count `instructions`.
    pub fn at_or_before(&self, instructions: u64) -> Option<&Snapshot> {
        self.snapshots
            .iter()
            .rev()
            .find(|s| s.instructions <= instructions)
    }

    /// The newest snapshot at or before clock period `clock`.
    pub fn at_or_before_clock(&self, clock: u64) -> Option<&Snapshot> {
        self.snapshots.iter().rev().find(|s| s.clock <= clock)
    }

    /// The newest snapshot strictly before instruction count `instructions`.
    pub fn before(&self, instructions: u64) -> Option<&Snapshot> {
        self.snapshots
            .iter()
            .rev()
            .find(|s| s.instructions < instructions)
    }

    /// The oldest snapshot (the start of what can be reached).
    pub fn oldest(&self) -> Option<&Snapshot> {
        self.snapshots.first()
    }

    /// The number of snapshots kept.
    pub fn count(&self) -> usize {
        self.snapshots.len()
    }

    /// Bytes of memory pages held, each shared page counted once.
    pub fn page_bytes(&self) -> usize {
        let mut seen = BTreeSet::new();
        let mut bytes = 0;
        for page in self
            .snapshots
            .iter()
            .flat_map(|s| s.pages.values().flatten())
        {
            if seen.insert(Arc::as_ptr(page) as *const u64 as usize) {
                bytes += page.len() * 8;
            }
        }
        bytes
    }

    /// Drops old snapshots until the history is within [`MOST_SNAPSHOTS`] and
    /// [`MOST_BYTES`]; the oldest (the start) and the newest [`DENSE`] always stay.
    fn thin(&mut self) {
        while self.snapshots.len() > DENSE + 1
            && (self.snapshots.len() > MOST_SNAPSHOTS || self.page_bytes() > MOST_BYTES)
        {
            let droppable = 1..self.snapshots.len() - DENSE;
            let gap =
                |i: usize| self.snapshots[i + 1].instructions - self.snapshots[i - 1].instructions;
            let Some(victim) = droppable.min_by_key(|&i| gap(i)) else {
                return;
            };
            self.snapshots.remove(victim);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cray_emulator::system::{Config, HostRoot};

    /// A system without processes whose clock and instruction count are `clock`.
    fn system_at(clock: u64) -> System {
        let mut system = System::new(Config::default(), HostRoot::new("."), Console::captured());
        system.clock = clock;
        system.instructions = clock;
        system
    }

    #[test]
    fn the_history_keeps_its_bounds_the_start_and_the_newest_intervals() {
        let mut history = History::default();
        for n in 0..300u64 {
            history.maybe_take(&mut system_at(n * INTERVAL));
            // Not due: less than an interval after the newest.
            history.maybe_take(&mut system_at(n * INTERVAL + 1));
        }
        assert_eq!(history.count(), MOST_SNAPSHOTS);
        assert_eq!(history.oldest().unwrap().instructions, 0);
        let newest = 299 * INTERVAL;
        for back in 0..DENSE as u64 {
            let at = newest - back * INTERVAL;
            assert_eq!(history.at_or_before(at).unwrap().instructions, at);
        }
        assert_eq!(
            history.before(newest).unwrap().instructions,
            newest - INTERVAL
        );
    }

    #[test]
    fn equal_pages_are_shared_and_memory_comes_back_exactly() {
        let mut first = system_at(0);
        let mut words: Vec<u64> = (0..4 * PAGE_WORDS as u64).collect();
        let process = cray_emulator::Process::new(
            cray_emulator::cpu::Cpu::new(cray_emulator::isa::Model::XMp, words.len() as u32),
            Memory::from_words(words.clone()),
            0,
            cray_emulator::system::Personality::Unicos,
            "test".to_string(),
        );
        first.processes.insert(1, process);
        let mut history = History::default();
        history.maybe_take(&mut first);
        let one = history.page_bytes();
        assert_eq!(one, 4 * PAGE_WORDS * 8);
        // One word of one page changes: one page more.
        let mut second = first.clone();
        second.clock = INTERVAL;
        second.instructions = INTERVAL;
        words[PAGE_WORDS + 3] = 77;
        second.processes.get_mut(&1).unwrap().memory = Memory::from_words(words.clone());
        history.maybe_take(&mut second);
        assert_eq!(history.page_bytes(), one + PAGE_WORDS * 8);
        let restored = history.at_or_before(INTERVAL).unwrap().restore();
        assert_eq!(restored.processes[&1].memory.words(), &words[..]);
        // The live system kept its memory.
        assert_eq!(second.processes[&1].memory.words(), &words[..]);
    }
}
