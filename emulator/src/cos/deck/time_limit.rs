//! The job's time limit: `T=tl` of the JOB statement (SR-0011, "Job definition and
//! control": `JOB,JN=jn,MFL=fl,T=tl,P=p,US=us,...`,
//! <https://9dok.net/article/job-definition-control-cray-cray-mp-computer-systems.y6e46dwn>),
//! in decimal seconds of the job's CPU time.
//!
//! A deck job is the only job of its system and starts at clock period 0, and its
//! one CPU runs nothing else, so the job's time used is the system clock: a limit
//! of `tl` seconds runs out at `tl` seconds' worth of clock periods of the machine
//! (9.5 ns on the X-MP, 12.5 ns on the CRAY-1). That clock is saved in every
//! checkpoint, so a resumed job keeps what it used. The driver (`cray run`,
//! `batch`, `restart`, `debug`) runs the machine no further than the limit, so the
//! job ends at the first instruction boundary at or past it, the same clock period
//! on every run. `T` without a value, or no `T`, sets no limit (the emulator has no
//! site maximum to give).
//!
//! What happens then is the emulator's choice, as the pages at hand do not say: the
//! step in progress is ended (its open datasets closed, as at any step's end), the
//! log says ` JOB TIME LIMIT OF tl SECONDS EXCEEDED`, and the whole job ends
//! aborted, with no EXIT processing (no time is left for it). A reprieve (F$RPV) is
//! not entered for it.

use super::statement::{self, SyntaxError};
use super::DeckJob;
use crate::cos::System;
use crate::system::{ExitStatus, Pid};

/// The job's time limit in seconds, from its JOB statement (`None`: no limit).
pub fn job_time_limit(deck: &DeckJob) -> Result<Option<u64>, SyntaxError> {
    let Some(first) = deck.statements.first() else {
        return Ok(None);
    };
    let job = statement::parse(first)?;
    if job.verb != "JOB" {
        return Ok(None);
    }
    let Some(text) = job.value("T") else {
        return Ok(None);
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SyntaxError(format!(
            "T={text}: the job time limit is a whole number of seconds"
        )));
    }
    text.parse().map(Some).map_err(|_| {
        SyntaxError(format!(
            "T={text}: the job time limit is at most {} seconds",
            u64::MAX
        ))
    })
}

impl System {
    /// The deck job still running whose time runs out first, and the clock period at
    /// which it does. A job that has ended keeps its deck (for `cray inspect`) but
    /// no limit: a deck of statements only ends before the clock moves, and its
    /// `T=0` must not end it a second time.
    pub fn cos_time_limit(&self) -> Option<(Pid, u64)> {
        self.cos_decks
            .iter()
            .filter(|(jid, _)| self.processes.get(jid).is_some_and(|p| p.is_alive()))
            .filter_map(|(&jid, deck)| Some((jid, self.limit_periods(deck)?)))
            .min_by_key(|&(jid, periods)| (periods, jid))
    }

    /// The clock period at which `deck`'s time runs out (`None`: no limit).
    pub(super) fn limit_periods(&self, deck: &DeckJob) -> Option<u64> {
        let period = u128::from(self.config.model.clock_period_ps());
        let seconds = job_time_limit(deck).ok().flatten()?;
        let periods = u128::from(seconds) * 1_000_000_000_000 / period;
        Some(u64::try_from(periods).unwrap_or(u64::MAX))
    }

    /// Ends deck job `jid`, whose time ran out (see the module's notes).
    pub fn cos_time_limit_reached(&mut self, jid: Pid) {
        if !self.processes.get(&jid).is_some_and(|p| p.is_alive()) {
            return;
        }
        let Some(deck) = self.cos_decks.get(&jid) else {
            return;
        };
        let seconds = job_time_limit(deck).ok().flatten().unwrap_or(0);
        let verb = deck
            .step
            .and_then(|i| deck.statements.get(i))
            .and_then(|s| statement::parse(s).ok())
            .map(|s| s.verb);
        if let Err(failure) = self.cos_flush_all(jid) {
            self.job_log(format!(" {failure}"));
        }
        if let Some(job) = self.processes.get_mut(&jid).and_then(|p| p.cos.as_mut()) {
            job.open.clear();
        }
        if let Some(verb) = verb {
            self.job_log(format!(" {verb} ABORTED (time limit)"));
        }
        self.job_log(format!(" JOB TIME LIMIT OF {seconds} SECONDS EXCEEDED"));
        let status = ExitStatus::Exited(1);
        if let Some(deck) = self.cos_decks.get_mut(&jid) {
            deck.step = None;
            deck.aborted = Some(status);
        }
        self.end_deck_job(jid, status);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deck(first: &str) -> DeckJob {
        DeckJob::of_job_statement(first)
    }

    #[test]
    fn the_limit_is_whole_seconds_of_t_and_none_without_a_value() {
        assert_eq!(job_time_limit(&deck("JOB,JN=A,T=8.")), Ok(Some(8)));
        assert_eq!(job_time_limit(&deck("JOB,JN=A,US=SYSTEM,T.")), Ok(None));
        assert_eq!(job_time_limit(&deck("JOB,JN=A.")), Ok(None));
        let refused = job_time_limit(&deck("JOB,JN=A,T=1X.")).unwrap_err();
        assert!(refused.0.contains("T=1X"), "{refused}");
        assert!(job_time_limit(&deck("JOB,JN=A,T=-1.")).is_err());
        let refused = job_time_limit(&deck("JOB,JN=A,T=99999999999999999999.")).unwrap_err();
        assert!(
            refused.0.contains("at most 18446744073709551615 seconds"),
            "{refused}"
        );
    }

    #[test]
    fn the_limit_runs_out_at_its_seconds_of_the_models_clock() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_deck_job(dir.path(), None);
        assert_eq!(
            system.cos_time_limit(),
            None,
            "the fixture's deck has no JOB"
        );
        let jid = system.processes[&pid].jid;
        system.cos_decks.get_mut(&jid).unwrap().statements = deck("JOB,JN=A,T=2.").statements;
        // The X-MP's clock period is 9.5 ns.
        assert_eq!(
            system.cos_time_limit(),
            Some((jid, 2_000_000_000_000 / 9_500))
        );
        system.cos_time_limit_reached(jid);
        let alive = system.processes.get(&pid).is_some_and(|p| p.is_alive());
        assert!(!alive, "the job ended");
        assert!(system
            .cos_log
            .contains(&" JOB TIME LIMIT OF 2 SECONDS EXCEEDED".to_string()));
        // Ended, it has no limit left, and a late call ends nothing twice.
        assert_eq!(system.cos_time_limit(), None);
        let log = system.cos_log.len();
        system.cos_time_limit_reached(jid);
        assert_eq!(system.cos_log.len(), log);
    }
}
