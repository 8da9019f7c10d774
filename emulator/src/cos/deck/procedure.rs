//! CALL and RETURN: a local dataset's control statements run as a procedure.
//!
//! SR-0011 (part 2, section 2 "Job definition and control", whose list of
//! statements names CALL and RETURN,
//! <https://9dok.net/article/job-definition-control-cray-cray-mp-computer-systems.y6e46dwn>;
//! part 2 section 1, "Job control language": "Additional control statement
//! datasets can be created via procedure definition or the CALL control
//! statement") has COS read control statements from a dataset other than the job's
//! own `$CS`. The pages of CALL and RETURN themselves are not at hand, so the form
//! served is the one the job-control-language section names, `CALL,DN=dn.`, and
//! what follows is the emulator's reading, stated here and in
//! `docs/src/cos-job-decks.md`:
//!
//! - CALL reads local dataset `dn` (one the job made, FETCHed or ACCESSed), else
//!   the host file `--dataset` maps `dn` to (as a program is found), from its
//!   start: the records of its first file are the procedure's statements, as a
//!   deck's first file is its `$CS` (continuations joined, blank lines dropped).
//!   The statements then run, one by one as a deck's do; a program they name runs
//!   as a step of the job. Any parameter other than DN (and NA) is refused by name.
//! - RETURN ends the procedure: the job goes on with the statement after the CALL.
//!   The end of the procedure's statements returns as RETURN does. RETURN with no
//!   procedure running fails as a control-statement error; a parameter is refused.
//! - CALLs nest at most [`MAX_CALL_DEPTH`] deep; a CALL deeper is refused (the
//!   step aborts), so that a procedure that calls itself ends.
//! - An abort inside a procedure (a step that aborts, a statement that fails) skips,
//!   as in the deck, to the statement after the next EXIT of the procedure; a
//!   procedure with no EXIT after that point returns at once, and the search for an
//!   EXIT goes on in its caller, after the CALL, up to the job's own statements.
//!   EXIT in normal processing ends the job, as in the deck.
//! - The IF blocks opened in a procedure are closed when it returns; an ELSE,
//!   ELSEIF or ENDIF for a block the procedure did not open is refused at the CALL,
//!   as are loops that do not fit together (`loops::check`).
//! - Procedures defined in the deck (`PROC` ... `ENDPROC`, module `definition`)
//!   run the same way when invoked by name.
//!
//! The interpreter keeps no procedure state of its own. A CALL appends the
//! procedure's statements to the deck's statement list, framed by two statements no
//! deck can hold (their first character, [`FRAME`], is not ASCII, and every line
//! of a deck or dataset is ASCII: `dataset::unpack_line`): before them the caller's
//! place and how many IF blocks were open, after them the end of the procedure.
//! Frames stack at the end of the list (the running procedure's is always the last
//! one), and a RETURN cuts its frame off. So the statement list, the position in it
//! and the open IF blocks, which a checkpoint already carries (`DeckJob`), are the
//! whole of a procedure's state, and a job checkpointed in a procedure restarts in
//! it with no new saved-state version.

use super::run::VerbResult;
use super::statement::{self, Statement};
use super::DeckJob;
use crate::cos::dataset::{unpack_line, DatasetItem};
use crate::cos::local_datasets::items_from_host;
use crate::cos::System;
use crate::system::Pid;

/// How deep CALLs may nest (the emulator's bound: no page at hand gives COS's).
pub const MAX_CALL_DEPTH: usize = 16;

/// Most statements a procedure may have (the emulator's bound, which with
/// [`MAX_CALL_DEPTH`] keeps the statement list of a job small).
pub const MAX_PROCEDURE_STATEMENTS: usize = 10_000;

/// The first character of the statements that frame a procedure in the statement
/// list: not ASCII, so no line of a deck or a dataset begins with it.
pub const FRAME: char = '\u{b6}';

/// The parameters CALL takes: DN (SR-0011's form) and NA (every verb's).
const KNOWN: &[&str] = &["DN", "NA"];

/// The statement that opens a frame: the index of the statement to go on with
/// after the procedure and the number of IF blocks open at the CALL.
fn frame_start(return_to: usize, open_ifs: usize, name: &str) -> String {
    format!("{FRAME}CALL {return_to} {open_ifs} {name}")
}

/// The statement that closes a frame: the end of the procedure's statements.
fn frame_end() -> String {
    format!("{FRAME}END")
}

/// Whether `image` is the end of a procedure's statements.
pub(super) fn is_frame_end(image: &str) -> bool {
    image == frame_end()
}

/// The caller's place and open IF blocks that frame start `image` holds.
fn parse_frame_start(image: &str) -> Option<(usize, usize)> {
    let rest = image.strip_prefix(FRAME)?.strip_prefix("CALL ")?;
    let mut fields = rest.split(' ');
    let return_to = fields.next()?.parse().ok()?;
    let open_ifs = fields.next()?.parse().ok()?;
    Some((return_to, open_ifs))
}

/// The index of the running procedure's frame start (the last one), if a
/// procedure runs: its statements follow it.
pub(super) fn innermost_frame(statements: &[String]) -> Option<usize> {
    // The running procedure's frame ends the list: without one, no procedure
    // runs, which an abort at the deck's level learns without reading the deck.
    if !statements.last().is_some_and(|image| is_frame_end(image)) {
        return None;
    }
    statements
        .iter()
        .rposition(|image| parse_frame_start(image).is_some())
}

/// The name of the running procedure (its dataset's, or its definition's), if a
/// procedure runs.
pub(super) fn running_name(statements: &[String]) -> Option<&str> {
    let start = innermost_frame(statements)?;
    statements[start].splitn(4, ' ').nth(3)
}

/// How many IF blocks were open at the running procedure's CALL (none when no
/// procedure runs): the blocks of its caller, which it cannot close.
pub(super) fn open_at_call(statements: &[String]) -> usize {
    innermost_frame(statements)
        .and_then(|start| parse_frame_start(&statements[start]))
        .map_or(0, |(_, open_ifs)| open_ifs)
}

/// How many procedures run, one inside another.
fn depth(statements: &[String]) -> usize {
    statements
        .iter()
        .filter(|image| parse_frame_start(image).is_some())
        .count()
}

/// Runs `statements` (checked) as procedure `name`, called by statement `index`:
/// they are framed at the end of the statement list and run next.
pub(super) fn enter(
    deck: &mut DeckJob,
    index: usize,
    name: &str,
    statements: Vec<String>,
) -> Result<(), String> {
    if depth(&deck.statements) >= MAX_CALL_DEPTH {
        return Err(format!(
            "procedures would nest more than {MAX_CALL_DEPTH} deep"
        ));
    }
    let start = deck.statements.len();
    deck.statements
        .push(frame_start(index + 1, deck.conditions.len(), name));
    deck.statements.extend(statements);
    deck.statements.push(frame_end());
    deck.next = start + 1;
    Ok(())
}

/// Ends the running procedure: its frame is cut off, the job goes on after its
/// CALL with the IF blocks that were open then. False when no procedure runs.
pub(super) fn leave_procedure(deck: &mut DeckJob) -> bool {
    let Some(start) = innermost_frame(&deck.statements) else {
        return false;
    };
    let Some((return_to, open_ifs)) = parse_frame_start(&deck.statements[start]) else {
        return false;
    };
    deck.statements.truncate(start);
    deck.next = return_to.min(start);
    deck.conditions.truncate(open_ifs);
    true
}

/// The statements of a procedure held in `items`: the records of its first file,
/// continuations joined, blank lines dropped.
fn procedure_statements(items: &[DatasetItem]) -> Result<Vec<String>, String> {
    let mut lines = Vec::new();
    for item in items {
        let DatasetItem::Record { words, unused_bits } = item else {
            break;
        };
        let line = unpack_line(words, *unused_bits)
            .map_err(|e| format!("record {}: {e}", lines.len() + 1))?;
        lines.push(line);
    }
    let statements: Vec<String> = statement::join_continuations(&lines)
        .into_iter()
        .map(|(_, image)| image)
        .filter(|image| !image.trim().is_empty())
        .collect();
    checked(statements)
}

/// `statements`, when they may run as a procedure: not too many, their loops fit
/// together, and no ELSE, ELSEIF or ENDIF closes a block they did not open.
pub(super) fn checked(statements: Vec<String>) -> Result<Vec<String>, String> {
    if statements.len() > MAX_PROCEDURE_STATEMENTS {
        return Err(format!(
            "{} statements, more than the {MAX_PROCEDURE_STATEMENTS} a procedure may have",
            statements.len()
        ));
    }
    super::loops::check(&statements).map_err(|e| e.0)?;
    check_if_blocks(&statements)?;
    Ok(statements)
}

/// Refuses an ELSE, ELSEIF or ENDIF of a procedure that belongs to a block the
/// procedure did not open (its caller's), which a RETURN could not undo.
fn check_if_blocks(statements: &[String]) -> Result<(), String> {
    let mut open = 0usize;
    for (i, image) in statements.iter().enumerate() {
        if statement::is_comment(image) {
            continue;
        }
        let Ok(s) = statement::parse(image) else {
            continue;
        };
        match s.verb.as_str() {
            "IF" => open += 1,
            "ELSE" | "ELSEIF" | "ENDIF" if open == 0 => {
                return Err(format!(
                    "statement {} ({}): no IF of the procedure is open",
                    i + 1,
                    image.trim()
                ))
            }
            "ENDIF" => open -= 1,
            _ => {}
        }
    }
    Ok(())
}

impl System {
    /// CALL, statement `index` of `pid`'s deck.
    pub(super) fn call_verb(&mut self, pid: Pid, index: usize, s: &Statement) -> VerbResult {
        if let Some(first) = s.unknown_keywords(KNOWN).first() {
            return Err(format!(
                " CALL: parameter {first} is not served (only DN= is known here: \
                 SR-0011's page of CALL is not at hand)"
            ));
        }
        let name = s.value("DN").ok_or(" CALL: DN= is required")?;
        let statements = self
            .procedure_of(pid, name)
            .map_err(|e| format!(" CALL: DN={name}: {e}"))?;
        let deck = self.deck_of_mut(pid).ok_or("no deck")?;
        enter(deck, index, name, statements).map_err(|e| format!(" CALL: DN={name}: {e}"))
    }

    /// The statements of the procedure in dataset `name`: a local dataset of the
    /// job, else the host file `--dataset` maps the name to (as a program is found).
    fn procedure_of(&self, pid: Pid, name: &str) -> Result<Vec<String>, String> {
        let deck = self.deck_of(pid).ok_or("no deck")?;
        if let Some(dataset) = deck.datasets.get(name) {
            return procedure_statements(&dataset.items);
        }
        let (path, bytes) = self
            .mapped_file(pid, name)
            .ok_or("the job has no such local dataset")?
            .map_err(|e| e.trim_start().to_string())?;
        let (items, _) = items_from_host(&bytes).map_err(|e| format!("{path}: {e}"))?;
        procedure_statements(&items).map_err(|e| format!("{path}: {e}"))
    }

    /// RETURN: the running procedure ends.
    pub(super) fn return_verb(&mut self, pid: Pid, s: &Statement) -> VerbResult {
        if let Some(first) = s.unknown_keywords(&["NA"]).first() {
            return Err(format!(
                " RETURN: parameter {first} is not served (SR-0011's page of RETURN is \
                 not at hand)"
            ));
        }
        let deck = self.deck_of_mut(pid).ok_or("no deck")?;
        if leave_procedure(deck) {
            Ok(())
        } else {
            Err(" RETURN: no procedure is running (no CALL made one)".to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cos::dataset::pack_line;

    fn records(lines: &[&str]) -> Vec<DatasetItem> {
        let mut items: Vec<DatasetItem> = lines
            .iter()
            .map(|line| {
                let (words, unused_bits) = pack_line(line).unwrap();
                DatasetItem::Record { words, unused_bits }
            })
            .collect();
        items.push(DatasetItem::EndOfFile);
        items.push(DatasetItem::EndOfData);
        items
    }

    #[test]
    fn a_procedure_is_its_first_file_checked() {
        let items = records(&["SET(J1=1)", "", "COPY,^", "I=A."]);
        assert_eq!(
            procedure_statements(&items).unwrap(),
            ["SET(J1=1)", "COPY,I=A."]
        );
        let refused = |lines: &[&str]| procedure_statements(&records(lines)).unwrap_err();
        assert_eq!(
            refused(&["LOOP."]),
            "statement 1 (LOOP.): no ENDLOOP closes it"
        );
        assert_eq!(
            refused(&["SET(J1=1)", "ENDIF."]),
            "statement 2 (ENDIF.): no IF of the procedure is open"
        );
        assert_eq!(
            procedure_statements(&records(&["IF(1)", "ENDIF."]))
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn frames_stack_at_the_end_and_return_to_their_caller() {
        let mut deck = DeckJob::of_job_statement("JOB,JN=P.");
        assert!(!leave_procedure(&mut deck));
        deck.statements.push(frame_start(1, 0, "A"));
        deck.statements.push("IF(1)".to_string());
        deck.statements.push(frame_end());
        deck.statements.push(frame_start(4, 1, "B"));
        deck.statements.push(frame_end());
        deck.conditions = vec![(true, true), (true, true)];
        assert_eq!(depth(&deck.statements), 2);
        assert!(is_frame_end(&deck.statements[4]));
        assert!(leave_procedure(&mut deck));
        assert_eq!((deck.statements.len(), deck.next), (5, 4));
        assert_eq!(deck.conditions.len(), 1);
        assert!(leave_procedure(&mut deck));
        assert_eq!((deck.statements.len(), deck.next), (2, 1));
        assert!(deck.conditions.is_empty());
        assert!(!leave_procedure(&mut deck));
    }
}
