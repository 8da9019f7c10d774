//! Moving the job through its history: forward (with the stops of breakpoints and
//! watchpoints), backward to an instruction count or a clock period, and backward to
//! the last stop, by restoring a snapshot and running forward again silently.
//!
//! Stops are checked inside the emulator's run loop ([`Stops`]), so a run with
//! breakpoints set goes at nearly the speed of one without, forward and backward:
//! the search for the last stop runs each interval between snapshots once, newest
//! first, and stops at the first interval holding one.

use super::history::{History, Snapshot};
use super::stops::{Mode, Stop, Stops};
use super::watch::show_value;
use super::Debugger;
use crate::output::outln;
use crate::session::{Outcome, SLICE};
use crate::CliError;
use cray_emulator::system::Console;
use cray_emulator::System;

/// How a run of the job under the debugger stopped.
pub enum Ran {
    /// It did what it was asked (or Ctrl-C stopped it): the job goes on.
    On,
    /// It reached a stop (a breakpoint or a watchpoint's change), said.
    Stopped,
    /// The job ended, or the runner stopped it (already said).
    Ended,
}

/// A point in the job's history.
#[derive(Clone, Copy)]
pub enum Point {
    /// After this many instructions of the job.
    Instruction(u64),
    /// The first instruction boundary at or after this clock period.
    Clock(u64),
}

impl Point {
    /// Whether the job, at `instructions` and `clock`, has reached it.
    fn reached(self, instructions: u64, clock: u64) -> bool {
        match self {
            Point::Instruction(n) => instructions >= n,
            Point::Clock(c) => clock >= c,
        }
    }

    /// Clock periods to run towards it in one batch: every instruction takes at least
    /// one, so a batch never runs past an instruction count.
    fn budget(self, instructions: u64, clock: u64) -> u64 {
        let left = match self {
            Point::Instruction(n) => n.saturating_sub(instructions),
            Point::Clock(c) => c.saturating_sub(clock),
        };
        left.clamp(1, SLICE)
    }

    /// The snapshot of `history` to start from to reach it.
    fn start(self, history: &History) -> Option<&Snapshot> {
        match self {
            Point::Instruction(n) => history.at_or_before(n),
            Point::Clock(c) => history.at_or_before_clock(c),
        }
    }
}

impl Debugger {
    /// Whether anything stops a run besides its count: then it goes an instruction at
    /// a time.
    fn checking(&self) -> bool {
        !self.breakpoints.is_empty() || !self.watchpoints.is_empty()
    }

    /// Runs the job until `count` more instructions have run (when `None`, until it
    /// ends), a stop (said), Ctrl-C, or the job ends; takes snapshots on the way.
    pub(super) fn run_job(&mut self, count: Option<u64>) -> Result<Ran, String> {
        if self.ended {
            return Err("the job has ended (reverse-step or goto go back)".to_string());
        }
        self.interrupted
            .store(false, std::sync::atomic::Ordering::Relaxed);
        let until = count.map_or(u64::MAX, |n| {
            self.session.system.instructions.saturating_add(n)
        });
        let ran = self.run_job_to(until);
        self.set_muted(false);
        ran
    }

    /// [`Debugger::run_job`] to instruction count `until`. Over what the job has run
    /// before (behind the frontier) its output is not shown again: its files were
    /// written once, the journal answers for them, and the console is muted.
    fn run_job_to(&mut self, until: u64) -> Result<Ran, String> {
        loop {
            let now = self.session.system.instructions;
            if now >= until || self.interrupted() {
                return Ok(Ran::On);
            }
            let behind = now < self.frontier.0;
            self.set_muted(behind);
            let end = if behind {
                until.min(self.frontier.0)
            } else {
                until
            };
            // Every instruction takes at least one clock period, so a budget of
            // `end - now` periods runs at most that many instructions; the batch
            // ends where the next snapshot is due.
            let due = self.history.clocks_to_next(self.session.system.clock);
            let budget = (end - now).min(SLICE).min(due);
            let (alive, found) = if self.checking() {
                self.advance_armed(budget, end, Mode::First, true)?
            } else {
                (self.advance(budget, true)?, None)
            };
            self.history.maybe_take(&mut self.session.system);
            if let Some((_, stop)) = found {
                self.say_stop(&stop);
                return Ok(Ran::Stopped);
            }
            if !alive {
                if self.replaying() {
                    // Muted, the end went unsaid.
                    self.say_end();
                }
                return Ok(Ran::Ended);
            }
        }
    }

    /// Mutes the job's console, or gives it back.
    fn set_muted(&mut self, muted: bool) {
        if muted != self.replaying() {
            let root = self.session.system.root().clone();
            let console = if muted {
                Console::captured()
            } else {
                self.console.clone()
            };
            self.session.system.attach(root, console);
        }
    }

    /// Says how the job ended.
    fn say_end(&self) {
        if let Some(code) = self.exit_code {
            outln!("the job ended with exit status {code}");
        }
    }

    /// Runs the job's session for at most `most` clock periods with the breakpoints
    /// and watchpoints armed, to instruction count `until` at most: whether the job
    /// goes on, and the stop found (the first or the last, as `mode` says) with the
    /// instruction count where it came.
    fn advance_armed(
        &mut self,
        most: u64,
        until: u64,
        mode: Mode,
        serve: bool,
    ) -> Result<(bool, Option<(u64, Stop)>), String> {
        let shown_p = self.process().map(|p| p.cpu.p).ok();
        let before = self.session.system.instructions;
        let mut stops = Stops {
            shown: self.pid,
            breakpoints: &self.breakpoints,
            watchpoints: &mut self.watchpoints,
            until,
            mode,
            found: None,
        };
        let outcome = self
            .session
            .advance_probed(most, self.started, serve, &mut stops);
        let system = &self.session.system;
        let stopped = mode == Mode::First && stops.found.is_some();
        if !stopped && system.instructions != before {
            // What the session did for the job (terminal input, its own checkpoint)
            // after the last instruction the probe saw: the probe did not see the
            // end of the system call that asked for it. Looking again at what the
            // probe saw finds nothing new.
            let moved = system.processes.get(&self.pid).map(|p| p.cpu.p) != shown_p;
            stops.look_and_note(system, moved);
        }
        let found = stops.found.take();
        let alive = self.after_advance(outcome)?;
        Ok((alive, found))
    }

    /// Makes every watchpoint see the job as it stands (after going somewhere other
    /// than by running forward).
    fn look_again(&mut self) {
        for watchpoint in &mut self.watchpoints {
            if let Some(process) = self.session.system.processes.get(&watchpoint.pid) {
                watchpoint.last = watchpoint.watched.read(&process.cpu, &process.memory);
                watchpoint.last_p = process.cpu.p;
            }
        }
    }

    /// Says why the run stopped.
    fn say_stop(&self, stop: &Stop) {
        match stop {
            Stop::Breakpoint(parcel) => outln!("breakpoint at {}", self.place(*parcel)),
            Stop::Changed {
                index,
                before,
                after,
                by,
            } => {
                let watchpoint = &self.watchpoints[*index];
                let register = watchpoint.watched.register();
                outln!(
                    "watchpoint {}: {} written by the instruction at {}",
                    index + 1,
                    watchpoint.watched,
                    self.place(*by)
                );
                for (i, (old, new)) in before.iter().zip(after).enumerate() {
                    if old != new {
                        outln!(
                            "  {}: {} -> {}",
                            watchpoint.watched.element(i),
                            show_value(register, *old),
                            show_value(register, *new)
                        );
                    }
                }
            }
        }
    }

    /// Runs the job's session for at most `most` clock periods, answering the control
    /// socket when `serve`; false (and said, unless re-executing) once the job has
    /// ended or the runner stopped it.
    fn advance(&mut self, most: u64, serve: bool) -> Result<bool, String> {
        let outcome = if serve {
            self.session.advance(most, self.started)
        } else {
            self.session.advance_unserved(most, self.started)
        };
        self.after_advance(outcome)
    }

    /// Takes note of what a run of the session did: how far the job has come, a
    /// restart(2) of the job (the history then begins anew), its end; false once
    /// the job has ended or the runner stopped it.
    fn after_advance(
        &mut self,
        outcome: Result<Option<Outcome>, CliError>,
    ) -> Result<bool, String> {
        self.note_restart();
        let system = &self.session.system;
        if system.instructions > self.frontier.0 {
            self.frontier = (system.instructions, system.clock);
        }
        let Some(outcome) = outcome.map_err(|e| e.to_string())? else {
            return Ok(true);
        };
        self.ended = true;
        match outcome.status {
            Some(status) => {
                self.exit_code = Some(status.host_code());
                if !self.replaying() {
                    self.say_end();
                }
            }
            None => {
                // The runner stopped the job (SIGTERM, --stop-at): that ends the
                // session, even in the middle of a search backward.
                self.stopped = true;
                return Err("the job was stopped".to_string());
            }
        }
        Ok(false)
    }

    /// After the job restarted itself from a checkpoint image (restart(2)), its
    /// clock and instruction count are the image's: the history before cannot be
    /// reached by instruction counts any more, so it begins anew here.
    fn note_restart(&mut self) {
        let restarts = self.session.restarts();
        if restarts.count == self.restarts_seen {
            return;
        }
        self.restarts_seen = restarts.count;
        self.restarted_at = Some(restarts.last_clock);
        self.history = History::with_interval(self.history.interval());
        self.history.maybe_take(&mut self.session.system);
        let system = &self.session.system;
        self.frontier = (system.instructions, system.clock);
    }

    /// Why going back stops at the start of the history, when a restart(2) of the
    /// job began it (empty otherwise).
    pub(super) fn history_start_note(&self) -> String {
        match self.restarted_at {
            Some(clock) => format!(
                "; the job restarted itself from a checkpoint (restart(2)) at clock period {clock}, and going back does not cross a restart"
            ),
            None => String::new(),
        }
    }

    /// Whether the job is being re-executed (its output already shown once).
    fn replaying(&self) -> bool {
        matches!(self.session.system.console(), Console::Captured { .. })
    }

    /// Puts the job back as `restored` (a snapshot's system) holds it, its output
    /// discarded until [`Debugger::stop_replaying`].
    fn restore(&mut self, restored: Option<System>) -> Result<(), String> {
        let system = restored.ok_or("no snapshot to go back to")?;
        self.session.system = system;
        self.ended = false;
        self.mute();
        Ok(())
    }

    /// Discards the job's output until [`Debugger::stop_replaying`].
    fn mute(&mut self) {
        let root = self.session.system.root().clone();
        self.session.system.attach(root, Console::captured());
    }

    /// Gives the job its console back after a re-execution.
    fn stop_replaying(&mut self) {
        let root = self.session.system.root().clone();
        self.session.system.attach(root, self.console.clone());
        self.look_again();
    }

    /// Runs the job forward to `point` (in batches, no stops), taking snapshots.
    fn run_to(&mut self, point: Point) -> Result<(), String> {
        loop {
            let system = &self.session.system;
            if point.reached(system.instructions, system.clock) {
                return Ok(());
            }
            let budget = point.budget(system.instructions, system.clock);
            if !self.advance(budget, false)? {
                return Ok(());
            }
            self.history.maybe_take(&mut self.session.system);
        }
    }

    /// Puts the job at `point`: restores the nearest snapshot before it (when that
    /// is behind the point, or ahead of the job) and runs forward, silently over what
    /// the job has run before, and said past that.
    fn travel(&mut self, point: Point) -> Result<(), String> {
        let system = &self.session.system;
        let (instructions, clock) = (system.instructions, system.clock);
        let start = point.start(&self.history);
        let skips_ahead = start.is_some_and(|s| s.instructions > instructions);
        if point.reached(instructions, clock) || self.ended || skips_ahead {
            let restored = start.map(Snapshot::restore);
            self.restore(restored)?;
        } else {
            self.mute();
        }
        let (frontier, frontier_clock) = self.frontier;
        let known = if point.reached(frontier, frontier_clock) {
            point
        } else {
            Point::Instruction(frontier)
        };
        let ran = self.run_to(known);
        self.stop_replaying();
        ran?;
        self.run_to(point)?;
        self.look_again();
        Ok(())
    }

    /// `reverse-step N`: back N instructions of the job, or to the last stop on the
    /// way.
    pub(super) fn reverse_step(&mut self, count: u64) -> Result<(), String> {
        let now = self.session.system.instructions;
        let first = self.history.oldest().map_or(0, |s| s.instructions);
        let target = now.saturating_sub(count).max(first);
        if target == now {
            outln!(
                "at the start of the history (instruction {now}){}",
                self.history_start_note()
            );
            return Ok(());
        }
        match self.last_stop_between(target, now)? {
            Some((at, stop)) => {
                self.travel(Point::Instruction(at))?;
                self.say_stop(&stop);
            }
            None => {
                self.travel(Point::Instruction(target))?;
                if now.saturating_sub(count) < first && self.restarted_at.is_some() {
                    outln!(
                        "at the start of the history (instruction {first}){}",
                        self.history_start_note()
                    );
                }
            }
        }
        self.show_next();
        Ok(())
    }

    /// `reverse-continue`: back to the last breakpoint or watchpoint stop, or to the
    /// start of the history.
    pub(super) fn reverse_continue(&mut self) -> Result<(), String> {
        let now = self.session.system.instructions;
        let first = self.history.oldest().map_or(0, |s| s.instructions);
        match self.last_stop_between(first, now)? {
            Some((at, stop)) => {
                self.travel(Point::Instruction(at))?;
                self.say_stop(&stop);
            }
            None => {
                self.travel(Point::Instruction(first))?;
                outln!(
                    "no stop before: at the start of the history (instruction {first}){}",
                    self.history_start_note()
                );
            }
        }
        self.show_next();
        Ok(())
    }

    /// The last stop after instruction count `floor` and before `now`, with the
    /// instruction count where it came: each interval between snapshots is run again
    /// (newest first) with the stops armed until one holds a stop. The job is
    /// left somewhere in between; the caller goes where it wants.
    fn last_stop_between(&mut self, floor: u64, now: u64) -> Result<Option<(u64, Stop)>, String> {
        if !self.checking() {
            return Ok(None);
        }
        self.interrupted
            .store(false, std::sync::atomic::Ordering::Relaxed);
        let mut end = now;
        let mut from = self.history.before(now).map(|s| s.instructions);
        while let Some(start) = from {
            let restored = self.history.at_or_before(start).map(Snapshot::restore);
            self.restore(restored)?;
            let found = self.last_stop_in(end);
            self.stop_replaying();
            if found.is_err() {
                // Ctrl-C: back where the search began.
                self.travel(Point::Instruction(now))?;
            }
            if let Some((at, stop)) = found? {
                return Ok((at > floor).then_some((at, stop)));
            }
            if start <= floor {
                break;
            }
            // The next interval back ends with the instruction that reached `start`.
            end = start + 1;
            from = self.history.before(start).map(|s| s.instructions);
        }
        Ok(None)
    }

    /// From where the job stands, the last stop before instruction count `end`,
    /// running with the stops armed (noting each, going on to the end).
    fn last_stop_in(&mut self, end: u64) -> Result<Option<(u64, Stop)>, String> {
        self.look_again();
        let until = end.saturating_sub(1);
        let mut last = None;
        while self.session.system.instructions < until {
            if self.interrupted() {
                return Err("the search went back no further".to_string());
            }
            let left = until - self.session.system.instructions;
            let (alive, found) = self.advance_armed(left.min(SLICE), until, Mode::Last, false)?;
            if found.is_some() {
                last = found;
            }
            if !alive {
                break;
            }
        }
        Ok(last)
    }

    /// `goto CLOCK` or `goto instruction N`.
    pub(super) fn goto(&mut self, arguments: &[&str]) -> Result<(), String> {
        let usage = "goto CLOCK or goto instruction N";
        let point = match arguments {
            [clock] => Point::Clock(parse_count(clock)?),
            [word, n] if "instruction".starts_with(word) && !word.is_empty() => {
                Point::Instruction(parse_count(n)?)
            }
            _ => return Err(usage.to_string()),
        };
        let first = self.history.oldest();
        let too_early = match (point, first) {
            (Point::Instruction(n), Some(s)) => n < s.instructions,
            (Point::Clock(c), Some(s)) => c < s.clock,
            _ => false,
        };
        if too_early {
            return Err(format!(
                "{usage}: that is before the start of the history{}",
                self.history_start_note()
            ));
        }
        self.travel(point)?;
        if self.ended {
            outln!(
                "the job ends before that, at clock {} instruction {}",
                self.session.system.clock,
                self.session.system.instructions
            );
            return Ok(());
        }
        self.show_next();
        Ok(())
    }
}

/// A clock period or instruction count: decimal, octal with a leading 0 or hex.
pub(super) fn parse_count(text: &str) -> Result<u64, String> {
    match super::watch::parse_value(text)? {
        super::watch::Value::Literal(n) => Ok(n),
        super::watch::Value::Negative(_) => Err(format!("`{text}` is negative")),
    }
}
