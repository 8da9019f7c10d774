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

use super::statement::{self, SyntaxError};
use super::DeckJob;

/// The MFL of a JOB statement without one: this installation's parameter, 256K
/// words (2 MiB), room for the corpus utilities and for GENCAT's catalogue tables.
pub const DEFAULT_MFL_WORDS: u64 = 0o1000000;
/// The granule of a field length (SR-0011: "rounded up to the nearest multiple of
/// 512 words").
const MFL_GRANULE: u64 = 512;
/// One past the largest field a 24-bit address reaches, in whole granules.
const ADDRESS_LIMIT: u64 = (1 << 24) - MFL_GRANULE;

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
    Ok(Some(FieldLimit::Given(
        words.div_ceil(MFL_GRANULE) * MFL_GRANULE,
    )))
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
