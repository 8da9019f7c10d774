//! LOOP, EXITLOOP and ENDLOOP: a block of statements run again and again.
//!
//! The forms are those of COS's own job decks (the self-replicating diagnostic job
//! `JDIAG` of COS 1.17, `jdiaggo_1.txt` on the cray-sim simulator's station disk):
//! `LOOP.` opens the block, `EXITLOOP(J1.EQ.0)` leaves it when the expression is
//! true (the expression of IF, `local::evaluate`), `EXITLOOP.` leaves it
//! at once, and `ENDLOOP.` goes back to the statement after its LOOP. The manual
//! pages for them (SR-0011) are not at hand, so what the decks do not show is the
//! emulator's choice, stated here and in `docs/src/cos-job-decks.md`.
//!
//! The blocks are matched from the statement list, by index, when the job starts
//! ([`check`]): every LOOP has its ENDLOOP, every EXITLOOP lies in a block, blocks
//! nest at most [`MAX_LOOP_NESTING`] deep, and the IF blocks opened in a loop are
//! closed in it (so that leaving a loop closes a known number of them). A deck that
//! breaks one of these is refused before it starts. At run time ENDLOOP finds its
//! LOOP by scanning back, EXITLOOP its ENDLOOP by scanning forward (a scan as long
//! as the block, no longer than running it), so the interpreter keeps no state for
//! loops beyond its position in the deck: a checkpoint taken in a loop, inside a
//! step or between steps, restarts exactly.
//!
//! Every round costs the job [`STATEMENT_PERIODS`] clock periods for each statement
//! from its LOOP to its ENDLOOP, the interpreter's work, so that a loop that runs no
//! program still uses the job's time and ends at its time limit (`JOB,T=`); and
//! rounds that take [`MAX_IDLE_STATEMENTS`] statements in a row with no program run
//! end the job step as a runaway loop, so that the job's log, which records each
//! statement run, stays bounded without a limit too.

use super::statement::{self, SyntaxError};
use super::DeckJob;
use crate::cos::System;
use crate::system::Pid;

/// How deep loops may nest (the emulator's bound, as for IF blocks).
pub const MAX_LOOP_NESTING: usize = 64;

/// Clock periods each statement of a round costs the job (47.5 µs on the X-MP):
/// the emulator's figure for the control-statement processor's work, which no page
/// at hand gives.
pub const STATEMENT_PERIODS: u64 = 5_000;

/// Statements of rounds in a row, with no program run, after which a loop is taken
/// as a runaway (131 072: `LOOP.` `ENDLOOP.` 65 536 times, about 0.6 s of X-MP
/// time).
pub const MAX_IDLE_STATEMENTS: u64 = 1 << 17;

/// The loop verb of statement `image`, if it is one.
fn loop_verb(image: &str) -> Option<Verb> {
    if statement::is_comment(image) {
        return None;
    }
    match statement::parse(image).ok()?.verb.as_str() {
        "LOOP" => Some(Verb::Loop),
        "ENDLOOP" => Some(Verb::EndLoop),
        "EXITLOOP" => Some(Verb::ExitLoop),
        "IF" => Some(Verb::If),
        "ELSE" | "ELSEIF" => Some(Verb::Else),
        "ENDIF" => Some(Verb::EndIf),
        _ => None,
    }
}

/// The statements that open or close a block.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verb {
    Loop,
    EndLoop,
    ExitLoop,
    If,
    Else,
    EndIf,
}

/// Checks that the loops of `statements` fit together (see the module's notes).
pub fn check(statements: &[String]) -> Result<(), SyntaxError> {
    // Each open loop: its LOOP's index and the IF blocks opened in it.
    let mut open: Vec<(usize, usize)> = Vec::new();
    let at = |i: usize| format!("statement {} ({})", i + 1, statements[i].trim());
    for (i, image) in statements.iter().enumerate() {
        match loop_verb(image) {
            Some(Verb::Loop) if open.len() >= MAX_LOOP_NESTING => {
                return Err(SyntaxError(format!(
                    "{}: loops nest more than {MAX_LOOP_NESTING} deep",
                    at(i)
                )))
            }
            Some(Verb::Loop) => open.push((i, 0)),
            Some(Verb::EndLoop) => match open.pop() {
                None => return Err(SyntaxError(format!("{}: no LOOP is open", at(i)))),
                Some((start, ifs)) if ifs > 0 => {
                    return Err(SyntaxError(format!(
                        "{}: an IF block opened in the loop of {} is not closed",
                        at(i),
                        at(start)
                    )))
                }
                Some(_) => {}
            },
            Some(Verb::ExitLoop) if open.is_empty() => {
                return Err(SyntaxError(format!("{}: no LOOP is open", at(i))))
            }
            Some(Verb::If) => {
                if let Some(top) = open.last_mut() {
                    top.1 += 1;
                }
            }
            Some(verb @ (Verb::EndIf | Verb::Else)) => match open.last_mut() {
                Some((start, 0)) => {
                    return Err(SyntaxError(format!(
                        "{}: belongs to an IF block opened outside the loop of {}",
                        at(i),
                        at(*start)
                    )))
                }
                Some(top) if verb == Verb::EndIf => top.1 -= 1,
                _ => {}
            },
            _ => {}
        }
    }
    match open.last() {
        Some(&(start, _)) => Err(SyntaxError(format!("{}: no ENDLOOP closes it", at(start)))),
        None => Ok(()),
    }
}

/// The index of the LOOP that the ENDLOOP at `end` closes.
fn loop_of(statements: &[String], end: usize) -> Option<usize> {
    let mut depth = 0usize;
    for i in (0..end).rev() {
        match loop_verb(&statements[i]) {
            Some(Verb::EndLoop) => depth += 1,
            Some(Verb::Loop) if depth == 0 => return Some(i),
            Some(Verb::Loop) => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The index of the ENDLOOP that closes the loop the statement at `from` is in,
/// and how many IF blocks are open at `from` that were opened in that loop.
fn end_of(statements: &[String], from: usize) -> Option<(usize, usize)> {
    let (mut depth, mut ifs) = (0usize, 0isize);
    for (i, image) in statements.iter().enumerate().skip(from + 1) {
        match loop_verb(image) {
            Some(Verb::Loop) => depth += 1,
            Some(Verb::EndLoop) if depth == 0 => {
                return Some((i, usize::try_from(-ifs).unwrap_or(0)));
            }
            Some(Verb::EndLoop) => depth -= 1,
            Some(Verb::If) if depth == 0 => ifs += 1,
            Some(Verb::EndIf) if depth == 0 => ifs -= 1,
            _ => {}
        }
    }
    None
}

/// Whether a statement is one of the loop verbs.
pub(super) fn is_loop_verb(verb: &str) -> bool {
    matches!(verb, "LOOP" | "ENDLOOP" | "EXITLOOP")
}

/// What a loop statement did to the job.
pub(super) enum Round {
    /// Nothing more: go on with the next statement.
    Next,
    /// ENDLOOP went back: a round of this many statements (LOOP to ENDLOOP) ended.
    Again(u64),
}

impl System {
    /// LOOP, ENDLOOP or EXITLOOP, statement `index` of `pid`'s deck.
    pub(super) fn loop_verb(
        &mut self,
        pid: Pid,
        index: usize,
        verb: &str,
        image: &str,
    ) -> Result<Round, String> {
        let deck = self.deck_of_mut(pid).ok_or("no deck")?;
        match verb {
            "ENDLOOP" => {
                let start = loop_of(&deck.statements, index).ok_or(" ENDLOOP: no LOOP is open")?;
                deck.next = start + 1;
                let statements = (index - start + 1) as u64;
                let periods = statements.saturating_mul(STATEMENT_PERIODS);
                self.clock = self.clock.saturating_add(periods);
                Ok(Round::Again(statements))
            }
            "EXITLOOP" => {
                let argument = super::local::argument_text(image);
                let leave = argument.is_empty()
                    || super::local::evaluate_for(verb, &argument, &deck.symbols)? != 0;
                if leave {
                    leave_loop(deck, index)?;
                }
                Ok(Round::Next)
            }
            _ => Ok(Round::Next),
        }
    }
}

/// Leaves the loop that statement `index` is in: the IF blocks opened in it are
/// closed, and the deck goes on after its ENDLOOP.
fn leave_loop(deck: &mut DeckJob, index: usize) -> Result<(), String> {
    let (end, ifs) = end_of(&deck.statements, index).ok_or(" EXITLOOP: no ENDLOOP follows")?;
    let kept = deck.conditions.len().saturating_sub(ifs);
    deck.conditions.truncate(kept);
    deck.next = end + 1;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deck(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn loops_are_matched_by_index_and_ifs_counted() {
        let s = deck(&[
            "JOB,JN=L.",
            "LOOP.",
            "IF(J1.EQ.0)",
            "EXITLOOP.",
            "ENDIF.",
            "LOOP.",
            "EXITLOOP(J2.EQ.0)",
            "ENDLOOP.",
            "ENDLOOP.",
        ]);
        assert_eq!(check(&s), Ok(()));
        assert_eq!(loop_of(&s, 8), Some(1));
        assert_eq!(loop_of(&s, 7), Some(5));
        assert_eq!(end_of(&s, 3), Some((8, 1)), "one IF open at the EXITLOOP");
        assert_eq!(end_of(&s, 6), Some((7, 0)));
    }

    #[test]
    fn unmatched_and_too_deep_loops_are_refused() {
        let refused = |lines: &[&str]| check(&deck(lines)).unwrap_err().0;
        assert_eq!(
            refused(&["JOB.", "LOOP.", "COPY."]),
            "statement 2 (LOOP.): no ENDLOOP closes it"
        );
        assert_eq!(
            refused(&["JOB.", "ENDLOOP."]),
            "statement 2 (ENDLOOP.): no LOOP is open"
        );
        assert_eq!(
            refused(&["JOB.", "EXITLOOP(J1.EQ.0)"]),
            "statement 2 (EXITLOOP(J1.EQ.0)): no LOOP is open"
        );
        assert!(refused(&["JOB.", "LOOP.", "IF(1)", "ENDLOOP.", "ENDIF."])
            .contains("an IF block opened in the loop of statement 2 (LOOP.) is not closed"));
        assert!(refused(&["JOB.", "IF(1)", "LOOP.", "ENDIF.", "ENDLOOP."])
            .contains("belongs to an IF block opened outside the loop"));
        assert!(
            refused(&["JOB.", "IF(1)", "LOOP.", "ELSE.", "ENDLOOP.", "ENDIF."])
                .contains("statement 4 (ELSE.): belongs to an IF block opened outside the loop")
        );
        let inside = [
            "JOB.",
            "LOOP.",
            "IF(1)",
            "ELSEIF(2)",
            "ELSE.",
            "ENDIF.",
            "ENDLOOP.",
        ];
        assert_eq!(check(&deck(&inside)), Ok(()));
        let mut deep = vec!["JOB."];
        deep.extend(std::iter::repeat_n("LOOP.", MAX_LOOP_NESTING + 1));
        deep.extend(std::iter::repeat_n("ENDLOOP.", MAX_LOOP_NESTING + 1));
        assert!(refused(&deep).contains("loops nest more than 64 deep"));
        deep.remove(1);
        deep.pop();
        assert_eq!(check(&deck(&deep)), Ok(()));
    }
}
