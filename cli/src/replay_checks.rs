//! The checks of a recorded or replayed run: the state hash every so many clock
//! periods and at each delivery of input, taken by `cray run --record` and compared
//! by `cray replay`, which, at the first that differs, says where the replay left
//! the recorded run (see [`crate::divergence`]).

use crate::divergence::{self, Divergence};
use crate::replay::{hex, Check, Delivery, InputRecord, ReplayLog};
use cray_emulator::System;
use std::collections::VecDeque;

/// Most checks a log keeps when `--record-interval` is not given: more halve them
/// and double the interval, so that the log stays small however long the run.
pub const MAX_CHECKS: usize = 2048;

/// The first interval when `--record-interval` is not given (clock periods).
pub const FIRST_INTERVAL: u64 = 4096;

/// What `--record` gathers while the job runs.
#[derive(Debug)]
pub struct Recorder {
    interval: u64,
    /// `--record-interval` was given: the interval never grows.
    fixed: bool,
    /// The clock period of the next check.
    next: u64,
    checks: Vec<Check>,
    deliveries: Vec<Delivery>,
}

impl Recorder {
    /// A recorder checking every `interval` clock periods (`None`: from
    /// [`FIRST_INTERVAL`], doubling as the run grows).
    pub fn new(interval: Option<u64>) -> Recorder {
        Recorder {
            interval: interval.unwrap_or(FIRST_INTERVAL).max(1),
            fixed: interval.is_some(),
            next: 0,
            checks: Vec::new(),
            deliveries: Vec::new(),
        }
    }

    /// The clock period of the next check.
    pub fn next_check(&self) -> u64 {
        self.next
    }

    /// Takes the check that is due at the system's clock, if one is.
    pub fn check(&mut self, system: &System) {
        if system.clock < self.next {
            return;
        }
        self.checks.push(check_of(self.next, system));
        if !self.fixed && self.checks.len() > MAX_CHECKS {
            self.interval *= 2;
            let interval = self.interval;
            self.checks.retain(|check| check.at % interval == 0);
        }
        self.next = (system.clock / self.interval + 1) * self.interval;
    }

    /// Records the delivery of `record` to `system` (before it is given).
    pub fn deliver(&mut self, record: InputRecord, system: &System) {
        self.deliveries
            .push(Delivery::of(record, system.state_hash()));
    }

    /// The interval, the deliveries and the checks taken.
    pub fn finish(self) -> (u64, Vec<Delivery>, Vec<Check>) {
        (self.interval, self.deliveries, self.checks)
    }
}

/// The check of `system` for clock period `at`.
fn check_of(at: u64, system: &System) -> Check {
    Check {
        at,
        clock: system.clock,
        instructions: system.instructions,
        hash: hex(system.state_hash()),
    }
}

/// A point at which the replay was last seen to match the recorded run: a copy of
/// the whole machine then, to step again from.
#[derive(Clone, Debug)]
pub struct Matched {
    /// What matched: a check or a delivery, for messages.
    pub what: String,
    /// The machine.
    pub system: System,
}

/// What `cray replay` compares the run with as it goes.
#[derive(Debug)]
pub struct Verifier {
    checks: VecDeque<Check>,
    /// The last point seen to match (none before the first check).
    matched: Option<Matched>,
    /// The first point that did not, with what the replay found there; the replay
    /// goes on to the next check to tell an altered log from a run that differs.
    diverged: Option<Divergence>,
}

impl Verifier {
    /// The checks of `log` from clock period `from` on.
    pub fn new(log: &ReplayLog, from: u64) -> Verifier {
        Verifier {
            checks: log
                .checks
                .iter()
                .filter(|c| c.at >= from)
                .cloned()
                .collect(),
            matched: None,
            diverged: None,
        }
    }

    /// The clock period of the next check, if any is left.
    pub fn next_check(&self) -> Option<u64> {
        self.checks.front().map(|check| check.at)
    }

    /// Compares the check due at the system's clock, if one is. `Err` is the report
    /// of the divergence, once it is certain.
    pub fn check(&mut self, system: &System) -> Result<(), String> {
        let Some(expected) = self.checks.front().filter(|c| system.clock >= c.at) else {
            return Ok(());
        };
        let expected = expected.clone();
        self.checks.pop_front();
        let found = check_of(expected.at, system);
        let what = format!(
            "the check at clock period {} (clock {}, instruction {})",
            expected.at, expected.clock, expected.instructions
        );
        if found == expected {
            return self.matches(what, system);
        }
        let differs = format!(
            "{what} differs: the replay stopped at clock {}, instruction {}, state hash {} (recorded {})",
            found.clock, found.instructions, found.hash, expected.hash
        );
        self.differs(differs, system, None)
    }

    /// Compares the state just before a delivery of input, and the delivery itself.
    pub fn delivery(&mut self, delivery: &Delivery, system: &System) -> Result<(), String> {
        let clock = delivery.record.clock();
        if let Some(state) = &delivery.state {
            let now = hex(system.state_hash());
            if *state != now {
                let differs = format!(
                    "the state before the input at clock period {clock} differs: state hash {now} (recorded {state})"
                );
                return self.differs(differs, system, None);
            }
            self.matches(format!("the input at clock period {clock}"), system)?;
        }
        if delivery.is_intact() {
            return Ok(());
        }
        let differs = format!(
            "the input at clock period {clock} is not what the recorded run was given (its digest differs: the log was edited)"
        );
        self.differs(differs, system, Some(delivery))
    }

    /// The run matched at `what`: a divergence seen before it was the log's.
    fn matches(&mut self, what: String, system: &System) -> Result<(), String> {
        if let Some(diverged) = self.diverged.take() {
            return Err(diverged.altered_log(&what));
        }
        self.matched = Some(Matched {
            what,
            system: system.clone(),
        });
        Ok(())
    }

    /// The run does not match at `what`: the first time, the place is found and the
    /// replay goes on to the next check; the second, the first is the report.
    fn differs(
        &mut self,
        what: String,
        system: &System,
        edited: Option<&Delivery>,
    ) -> Result<(), String> {
        if let Some(diverged) = self.diverged.take() {
            return Err(diverged.report());
        }
        self.diverged = Some(divergence::locate(
            what,
            self.matched.as_ref(),
            system,
            edited,
        ));
        Ok(())
    }

    /// The report of a divergence found and not yet said (the replay then left the
    /// recorded run another way).
    pub fn pending(&mut self) -> Option<String> {
        self.diverged.take().map(|d| d.report())
    }

    /// The replay ended, as recorded when `as_recorded`: the report of a divergence
    /// found and not yet said (the log's, when the run ended as recorded).
    pub fn finish(&mut self, as_recorded: bool) -> Result<(), String> {
        match self.diverged.take() {
            None => Ok(()),
            Some(diverged) if as_recorded => Err(diverged.altered_log("the end")),
            Some(diverged) => Err(diverged.report()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cray_emulator::system::{Config, Console, HostRoot};

    fn system_at(clock: u64) -> System {
        let mut system = System::new(Config::default(), HostRoot::new("."), Console::captured());
        system.clock = clock;
        system
    }

    #[test]
    fn a_long_run_keeps_at_most_max_checks_on_multiples_of_the_grown_interval() {
        let mut recorder = Recorder::new(None);
        let mut system = system_at(0);
        let mut taken = 0;
        while system.clock < 40 * MAX_CHECKS as u64 * FIRST_INTERVAL {
            recorder.check(&system);
            taken += 1;
            // An instruction of 7 clock periods crosses each check's clock period.
            system.clock = recorder.next_check() + 7;
        }
        let (interval, _, checks) = recorder.finish();
        assert!(taken > 2 * MAX_CHECKS, "{taken}");
        assert_eq!(interval, 64 * FIRST_INTERVAL);
        assert!(
            (MAX_CHECKS / 2..=MAX_CHECKS).contains(&checks.len()),
            "{}",
            checks.len()
        );
        assert!(checks.iter().all(|c| c.at % interval == 0));
        assert!(checks.iter().all(|c| c.clock == c.at + 7 || c.at == 0));
        assert!(checks.windows(2).all(|w| w[0].at < w[1].at));
    }

    #[test]
    fn a_given_interval_is_kept_however_many_checks_it_makes() {
        let mut recorder = Recorder::new(Some(1));
        let mut system = system_at(0);
        for _ in 0..3 * MAX_CHECKS {
            recorder.check(&system);
            system.clock += 2;
        }
        let (interval, _, checks) = recorder.finish();
        assert_eq!((interval, checks.len()), (1, 3 * MAX_CHECKS));
    }
}
