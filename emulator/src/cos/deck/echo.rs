//! ECHO: whether the job log echoes the control statements.
//!
//! SR-0011 (part 2, section 1, "Job control language") says that a statement's
//! comments, and the statements, appear in the logfile "unless suppressed by the
//! ECHO control statement"; the macros of COS's system text (`systxt.cal`'s
//! MESSAGE: a message class and an override flag "to go to $LOG regardless of ECHO
//! status") show that ECHO turns classes of messages on and off. The one form a deck
//! at hand uses is `ECHO,ON=ALL.` (the decks of the COS-Tools README). The list of
//! classes is on a page not at hand, so the class served is `ALL`:
//!
//! - `ECHO,OFF=ALL.` stops the echo of the statements (comment statements included)
//!   in the job log; `ECHO,ON=ALL.` starts it again. It is on when the job starts.
//! - The interpreter's own lines (a failure, an abort, a dataset saved, the end of
//!   the job) and the programs' messages (F$MSG) are logged whatever the echo: their
//!   classes are not known here, so they are kept rather than guessed away.
//! - Any other class is refused by name.
//!
//! The state is kept in the deck's symbol table (`DeckJob::symbols`, saved with the
//! job) under [`ECHO_OFF`], a name no statement can write or read: its first
//! character is not ASCII, and every statement is (`dataset::unpack_line`). So a
//! checkpoint carries it with no new saved-state version.

use super::run::VerbResult;
use super::statement::Statement;
use super::DeckJob;

/// The symbol whose presence says the statements are not echoed.
pub const ECHO_OFF: &str = "\u{b6}ECHO-OFF";

/// Whether the job log echoes `deck`'s statements now.
pub(super) fn echoes(deck: &DeckJob) -> bool {
    !deck.symbols.contains_key(ECHO_OFF)
}

/// ECHO: `ON=ALL` or `OFF=ALL`; any other class is refused by name.
pub(super) fn echo_verb(deck: &mut DeckJob, s: &Statement) -> VerbResult {
    let mut on = None;
    for p in &s.params {
        // A positional parameter by its text: `NA` is written so.
        let key = match &p.keyword {
            Some(key) => key.as_str(),
            None => p.values.first().map_or("", String::as_str),
        };
        let all = !p.values.is_empty() && p.values.iter().all(|v| v == "ALL");
        match key {
            "NA" => continue,
            "ON" | "OFF" if all => on = Some(key == "ON"),
            _ => {
                let given = match &p.keyword {
                    Some(k) => format!("{k}={}", p.values.join(":")),
                    None => p.values.join(":"),
                };
                return Err(format!(
                    " ECHO: {given}: not served: SR-0011's message classes are not known \
                     here; ON=ALL and OFF=ALL (the echo of the statements) are served"
                ));
            }
        }
    }
    match on {
        Some(true) => {
            deck.symbols.remove(ECHO_OFF);
        }
        Some(false) => {
            deck.symbols.insert(ECHO_OFF.to_string(), 1);
        }
        None => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cos::deck::statement::parse;

    #[test]
    fn on_and_off_all_switch_the_echo_and_other_classes_are_refused() {
        let mut deck = DeckJob::of_job_statement("JOB,JN=E.");
        assert!(echoes(&deck));
        echo_verb(&mut deck, &parse("ECHO,OFF=ALL.").unwrap()).unwrap();
        assert!(!echoes(&deck));
        echo_verb(&mut deck, &parse("ECHO.").unwrap()).unwrap();
        assert!(!echoes(&deck));
        echo_verb(&mut deck, &parse("ECHO,ON=ALL.").unwrap()).unwrap();
        assert!(echoes(&deck));
        for (image, given) in [("ECHO,ON=JCL.", "ON=JCL"), ("ECHO,OFF=ALL:X.", "OFF=ALL:X")] {
            let refused = echo_verb(&mut deck, &parse(image).unwrap()).unwrap_err();
            assert!(
                refused.starts_with(&format!(" ECHO: {given}: not served: ")),
                "{refused}"
            );
        }
        assert!(echoes(&deck));
    }

    /// `ECHO,OFF=ALL,NA.` was refused: its NA read as a message class.
    #[test]
    fn na_is_not_a_class() {
        let mut deck = DeckJob::of_job_statement("JOB,JN=E.");
        echo_verb(&mut deck, &parse("ECHO,OFF=ALL,NA.").unwrap()).unwrap();
        assert!(!echoes(&deck));
    }
}
