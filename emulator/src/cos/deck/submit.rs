//! SUBMIT: a local dataset of the job, itself a job deck, submitted as a new job.
//!
//! The form is that of COS's own decks (cray-sim's COS 1.17 station disk:
//! `jdiaggo_0.txt` and `jdiaggo_1.txt` copy their `$IN` into `JDIAG` and end with
//! `submit,dn=JDIAG.`; `jsysdir.txt` ACCESSes `JSYSDIR` and `SUBMIT,DN=JSYSDIR.`):
//! `SUBMIT,DN=dn`. Those decks use no other parameter, and the SR-0011 page is not
//! at hand, so any other is refused by name. The dataset is a deck as COS read one
//! (`file` module): its first file the control statements, the first of them JOB,
//! the rest the new job's `$IN`; one that does not start with a JOB statement is
//! refused.
//!
//! The host's input queue is a `cray batch` queue ([`InputQueue`], given by the
//! runner: `cray batch run` gives its own queue, `cray run --queue DIR` a queue
//! directory). Without one SUBMIT is refused. The queue is told the submission's
//! identity, the job's number in the store, the statement's index and the clock
//! period at which it runs: a job resumed from a checkpoint taken before the SUBMIT
//! runs it again at the same clock period, and the queue, which keeps the identity
//! with the job, does not queue it twice.
//!
//! One job submits at most [`MAX_SUBMITS_PER_JOB`] jobs: the queue refuses the
//! next, and the job ends with the refusal in its log, so that a deck that submits
//! in a loop (`LOOP.` `SUBMIT,DN=NEW.` `ENDLOOP.`, each round a new clock period
//! and so a new submission) does not fill the host's queue.

use super::run::VerbResult;
use super::statement::Statement;
use crate::cos::absolute::words_to_bytes;
use crate::cos::dataset::block;
use crate::cos::System;
use crate::system::Pid;

/// The parameters SUBMIT takes: DN (COS's decks) and NA (every verb's).
const KNOWN: &[&str] = &["DN", "NA"];

/// Jobs one job may submit: the emulator's bound (no page at hand gives one for
/// COS). COS's own decks submit one job each (`jdiaggo_0.txt`, `jsysdir.txt`), a
/// self-replicating job one per run; 64 leaves room for a deck that fans work out
/// and stops a runaway loop long before the queue's numbers (four digits) or the
/// host's disk run out.
pub const MAX_SUBMITS_PER_JOB: usize = 64;

/// A job SUBMIT hands to the host's input queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    /// The dataset's name (DN).
    pub name: String,
    /// The deck: the dataset as a COS blocked dataset.
    pub deck: Vec<u8>,
    /// Who submits it: the job's number in the permanent-dataset store (0 without
    /// one), the statement's index and the clock period at which it runs.
    pub by: (u64, u64, u64),
}

/// The host's input queue, which takes the jobs SUBMIT submits.
pub trait InputQueue: std::fmt::Debug + Send + Sync {
    /// Queues `job` once: a submission with the same identity as one queued before
    /// is not queued again. A new submission of a job that has submitted
    /// [`MAX_SUBMITS_PER_JOB`] jobs already is refused, the message naming the
    /// limit. Why it failed, if it did.
    fn submit(&self, job: &Submission) -> Result<(), String>;
}

impl System {
    /// SUBMIT, statement `index` of `pid`'s deck.
    pub(super) fn submit_verb(&mut self, pid: Pid, index: usize, s: &Statement) -> VerbResult {
        let unknown = s.unknown_keywords(KNOWN);
        if let Some(first) = unknown.first() {
            return Err(format!(
                " SUBMIT: parameter {first} is not served (only DN= is known here)"
            ));
        }
        let name = s.value("DN").ok_or(" SUBMIT: DN= is required")?;
        let deck = self.deck_of(pid).ok_or("no deck")?;
        let dataset = deck
            .datasets
            .get(name)
            .ok_or_else(|| format!(" SUBMIT: DN={name}: the job has no such local dataset"))?;
        let words = block(&dataset.items).map_err(|e| format!(" SUBMIT: DN={name}: {e}"))?;
        let bytes = words_to_bytes(&words);
        super::file::read_deck(&bytes).map_err(|e| format!(" SUBMIT: DN={name}: {e}"))?;
        let job = Submission {
            name: name.to_string(),
            deck: bytes,
            by: (deck.number, index as u64, self.clock),
        };
        let queue = self.deck_host.queue.clone().ok_or(
            " SUBMIT: no input queue here (give cray run --queue DIR, or run the job in a \
             cray batch queue)",
        )?;
        queue.submit(&job).map_err(|e| format!(" SUBMIT: {e}"))?;
        // What the queue numbers the job is the host's (the queue's contents), so
        // the log does not show it: the runner says it on standard error.
        self.job_log(format!(" SUBMIT: DN={name} SUBMITTED"));
        Ok(())
    }
}
