//! The job's maximum field length: `MFL=fl` of the JOB statement (SR-0011, "Job
//! definition and control", the JOB page:
//! <https://9dok.net/article/job-definition-control-computer-systems.y964oled>):
//! `fl` decimal words, rounded up to a multiple of 512; without a value, the
//! system maximum; absent, an installation parameter; above the system maximum,
//! the job is refused. The system maximum is the memory the system has (a deck job
//! is the only job of its system), at most what a 24-bit address reaches.
//!
//! Each step's field is the whole MFL, with the I/O area (LFT, DSPs, buffers) at
//! its top, so that a program can grow its user area with F$MEMORY up to the I/O
//! area without the I/O area moving (module `cos::user_area` says why it cannot).
//! JCMFL and JCFL both hold it. A program whose own field is larger than an MFL
//! the JOB statement gives is not started: its step aborts ([`FieldLimit`]).
//!
//! `MEMORY,FL=fl` sets the field of the job's later steps to `fl` decimal words,
//! rounded up to a multiple of 512 as the MFL is, instead of the whole MFL; `fl`
//! above the job's MFL is refused. `MEMORY,AUTO` returns to the default. COS's
//! station deck `jdiaggo_1.txt` (andrastantos/cray-sim, `target/cos_117/
//! disk_content/station`) runs a program after `memory,fl=524288,user.` and goes
//! back with `memory,auto.`. SR-0011's MEMORY page is not at hand, so every other
//! parameter (USER among them) is refused by name rather than guessed at. A
//! program that needs more than `fl` gets the field it needs (within the MFL), as
//! a step without MEMORY does. The step's JCFL and JCMFL both hold `fl`: its I/O
//! area is at the top of its field and cannot move (module `cos::user_area`), so
//! the field is the most the step can have.

use super::run::VerbResult;
use super::statement::{self, Statement, SyntaxError};
use super::DeckJob;
use crate::cos::System;
use crate::system::Pid;

/// The MFL of a JOB statement without one: this installation's parameter, 256K
/// words (2 MiB), room for the corpus utilities and for GENCAT's catalogue tables.
pub const DEFAULT_MFL_WORDS: u64 = 0o1000000;
/// The granule of a field length (SR-0011: "rounded up to the nearest multiple of
/// 512 words").
const MFL_GRANULE: u64 = 512;
/// One past the largest field a 24-bit address reaches, in whole granules.
pub const ADDRESS_LIMIT: u64 = (1 << 24) - MFL_GRANULE;

/// `words` rounded up to a whole number of granules, as a field length is.
pub fn in_granules(words: u64) -> u64 {
    words.div_ceil(MFL_GRANULE) * MFL_GRANULE
}

/// The system maximum field length on a machine of `memory_words`.
pub fn system_maximum(memory_words: u64) -> u64 {
    (memory_words.min(ADDRESS_LIMIT) / MFL_GRANULE) * MFL_GRANULE
}

/// A job's maximum field length, and whether its JOB statement gave it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldLimit {
    /// `MFL=fl`, or `MFL` alone: the system maximum. Held to strictly.
    Given(u64),
    /// No MFL: the installation's [`DEFAULT_MFL_WORDS`], or the system maximum
    /// when that is less. A program that needs more gets its own field length, as
    /// an installation whose default was below it would not have run it.
    Installation(u64),
}

impl FieldLimit {
    /// The field of a step whose program needs `needed` words (`Err`: the words
    /// the JOB statement allows, which are too few).
    pub fn for_program(self, needed: u64) -> Result<u64, u64> {
        match self {
            FieldLimit::Given(mfl) if needed > mfl => Err(mfl),
            FieldLimit::Given(mfl) => Ok(mfl),
            FieldLimit::Installation(mfl) => Ok(mfl.max(needed)),
        }
    }
}

/// The parameters MEMORY takes here; any other is refused by name.
const MEMORY_KNOWN: &[&str] = &["FL", "AUTO"];

/// What a MEMORY statement asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Memory {
    /// `FL=fl`: the later steps' field, in words (a multiple of 512).
    FieldLength(u64),
    /// `AUTO`: the default again.
    Auto,
}

/// What MEMORY statement `s` asks of a job whose maximum field length is `mfl`
/// words; `Err` is the log line of its refusal.
pub fn memory_request(s: &Statement, mfl: u64) -> Result<Memory, String> {
    let unknown = s.unknown_keywords(MEMORY_KNOWN);
    if !unknown.is_empty() {
        return Err(format!(
            " MEMORY: {} not served here (only FL= and AUTO are known: SR-0011's MEMORY page is not at hand)",
            unknown.join(", ")
        ));
    }
    match (s.values("FL"), s.flag("AUTO")) {
        (Some(_), true) => Err(" MEMORY: FL= and AUTO together".to_string()),
        (None, true) => Ok(Memory::Auto),
        (None, false) => Err(" MEMORY: FL= or AUTO is required".to_string()),
        (Some(_), false) => {
            let text = s.value("FL").unwrap_or("");
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    " MEMORY: FL={text}: the field length is a whole number of words"
                ));
            }
            // Compared before rounding, as the MFL is.
            let words = text.parse::<u64>().ok().filter(|&w| w <= mfl).ok_or_else(|| {
                format!(
                    " MEMORY: FL={text}: above the job's maximum field length of {mfl} words (JOB,MFL=)"
                )
            })?;
            Ok(Memory::FieldLength(in_granules(words)))
        }
    }
}

impl System {
    /// MEMORY (see the module's comment).
    pub(super) fn memory_verb(&mut self, pid: Pid, s: &Statement) -> VerbResult {
        let deck = self.deck_of(pid).ok_or("no deck")?;
        let mfl = match job_field_limit(deck, self.config.memory_words) {
            Ok(Some(FieldLimit::Given(mfl) | FieldLimit::Installation(mfl))) => mfl,
            Ok(None) => system_maximum(self.config.memory_words),
            Err(e) => return Err(format!(" MEMORY: {e}")),
        };
        let request = memory_request(s, mfl)?;
        let deck = self.deck_of_mut(pid).ok_or("no deck")?;
        deck.field_length = match request {
            Memory::FieldLength(words) => Some(words),
            Memory::Auto => None,
        };
        let line = match request {
            Memory::FieldLength(words) => format!(" MEMORY: FL={words} for the steps that follow"),
            Memory::Auto => {
                format!(" MEMORY: AUTO: the steps that follow get the MFL, {mfl} words")
            }
        };
        self.job_log(line);
        Ok(())
    }
}

/// The job's maximum field length (`None` for a deck without a JOB statement,
/// whose steps get the field their programs ask for).
pub fn job_field_limit(
    deck: &DeckJob,
    memory_words: u64,
) -> Result<Option<FieldLimit>, SyntaxError> {
    let Some(first) = deck.statements.first() else {
        return Ok(None);
    };
    let job = statement::parse(first)?;
    if job.verb != "JOB" {
        return Ok(None);
    }
    let maximum = system_maximum(memory_words);
    let Some(text) = job.value("MFL") else {
        return Ok(Some(if job.flag("MFL") {
            FieldLimit::Given(maximum)
        } else {
            FieldLimit::Installation(DEFAULT_MFL_WORDS.min(maximum))
        }));
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SyntaxError(format!(
            "MFL={text}: the maximum field length is a whole number of words"
        )));
    }
    // Compared before rounding: digits beyond u64, or a value whose rounding up
    // would pass u64::MAX, are above the maximum too.
    let words = text
        .parse::<u64>()
        .ok()
        .filter(|&words| words <= maximum)
        .ok_or_else(|| {
            SyntaxError(format!(
                "MFL={text}: above the system maximum field length of {maximum} words"
            ))
        })?;
    Ok(Some(FieldLimit::Given(in_granules(words))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(first: &str, memory_words: u64) -> Result<Option<FieldLimit>, SyntaxError> {
        job_field_limit(&DeckJob::of_job_statement(first), memory_words)
    }

    #[test]
    fn mfl_is_rounded_to_512_words_and_defaults_to_the_installations() {
        use FieldLimit::{Given, Installation};
        let memory = 8 << 20;
        assert_eq!(limit("JOB,JN=A,MFL=1000.", memory), Ok(Some(Given(1024))));
        assert_eq!(limit("JOB,JN=A,MFL=1024.", memory), Ok(Some(Given(1024))));
        let default = Installation(DEFAULT_MFL_WORDS);
        assert_eq!(limit("JOB,JN=A.", memory), Ok(Some(default)));
        assert_eq!(limit("JOB,JN=A,MFL.", memory), Ok(Some(Given(8 << 20))));
        assert_eq!(
            limit("JOB,JN=A,MFL.", 1 << 30),
            Ok(Some(Given(ADDRESS_LIMIT)))
        );
        assert_eq!(
            limit("JOB,JN=A.", 100_000),
            Ok(Some(Installation(99_840))),
            "at most the system's"
        );
        assert_eq!(limit("COPY.", memory), Ok(None));
    }

    #[test]
    fn a_program_above_a_given_mfl_is_refused_and_above_the_default_gets_its_own() {
        assert_eq!(FieldLimit::Given(1024).for_program(2048), Err(1024));
        assert_eq!(FieldLimit::Given(4096).for_program(2048), Ok(4096));
        assert_eq!(FieldLimit::Installation(1024).for_program(2048), Ok(2048));
        assert_eq!(FieldLimit::Installation(4096).for_program(2048), Ok(4096));
    }

    fn memory(image: &str, mfl: u64) -> Result<Memory, String> {
        memory_request(&statement::parse(image).unwrap(), mfl)
    }

    #[test]
    fn memory_sets_a_rounded_field_length_within_the_mfl_or_auto() {
        assert_eq!(
            memory("MEMORY,FL=1000.", 4096),
            Ok(Memory::FieldLength(1024))
        );
        assert_eq!(
            memory("MEMORY,FL=4096.", 4096),
            Ok(Memory::FieldLength(4096))
        );
        assert_eq!(memory("MEMORY,AUTO.", 4096), Ok(Memory::Auto));
        assert_eq!(
            memory("MEMORY,FL=4097.", 4096),
            Err(
                " MEMORY: FL=4097: above the job's maximum field length of 4096 words (JOB,MFL=)"
                    .into()
            )
        );
        let user = memory("MEMORY,FL=1024,USER.", 4096).unwrap_err();
        assert!(user.starts_with(" MEMORY: USER not served here"), "{user}");
        assert!(memory("MEMORY,FL=1K.", 4096).unwrap_err().contains("FL=1K"));
        assert!(memory("MEMORY,FL=99999999999999999999.", 4096).is_err());
        assert!(memory("MEMORY,FL=1024,AUTO.", 4096).is_err());
        assert!(memory("MEMORY.", 4096).is_err());
    }

    #[test]
    fn an_mfl_that_is_not_a_number_or_above_the_system_maximum_is_refused() {
        let refused = limit("JOB,JN=A,MFL=12K.", 8 << 20).unwrap_err();
        assert!(refused.0.contains("MFL=12K"), "{refused}");
        for huge in ["9000000", "18446744073709551615", "99999999999999999999"] {
            let refused = limit(&format!("JOB,JN=A,MFL={huge}."), 8 << 20).unwrap_err();
            assert_eq!(
                refused.0,
                format!("MFL={huge}: above the system maximum field length of 8388608 words")
            );
        }
        assert!(limit("JOB,JN=A,MFL=+5.", 8 << 20).is_err());
    }
}
