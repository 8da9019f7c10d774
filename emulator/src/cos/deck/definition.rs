//! PROC and ENDPROC: procedures defined in the deck, run by their name.
//!
//! SR-0011 (part 2, "COS control statements", figure 2-1 "Procedure definition
//! deck structure", pages 2-2.1 to 2-3,
//! <https://123dok.net/article/cos-control-statements-computer-systems-cray.yd75vxjg>)
//! gives the structure: `PROC.` (a system verb, no parameters) opens the
//! definition; the prototype statement that follows names the procedure (1 to 8
//! alphanumeric characters) and gives its formal parameters; the definition body
//! follows; `ENDPROC.` closes it. A definition can hold definitions, which are not
//! defined until the outermost procedure is invoked. Procedures are among the
//! library-defined verbs, looked for after the job's local datasets and before the
//! system directory (SR-0011 4.2,
//! <https://9dok.net/article/verbs-dataset-verbs-local.y4w415ov>).
//!
//! What is served, and what is the emulator's:
//!
//! - A PROC passed in the deck defines the procedure: the prototype and the body
//!   are kept as one file of the local dataset `$PROC` (the prototype its first
//!   record), and the deck goes on after the matching ENDPROC (PROC and ENDPROC
//!   nest). A later definition of the same name takes the place of the earlier.
//!   The log says ` PROC: NAME DEFINED`.
//! - A statement whose verb is a defined procedure's name (and not a local
//!   dataset's) runs the body as CALL runs a dataset's statements (module
//!   `procedure`: RETURN, nesting, aborts and checkpoints alike).
//! - Formal parameters are not served: their substitution into the body is
//!   described on pages not at hand. A prototype with formal parameters is refused
//!   at the PROC, and a procedure invoked with parameters is refused too.
//! - An ENDPROC with no open PROC, a PROC without ENDPROC or without a prototype,
//!   and a PROC with parameters fail as control-statement errors.
//!
//! `$PROC` is a local dataset of the job, so the definitions are saved with the
//! job's state, and a checkpoint restarts with them.

use super::run::VerbResult;
use super::statement::{self, Statement};
use super::JobDataset;
use crate::cos::dataset::{pack_line, unpack_line, DatasetItem};
use crate::cos::System;
use crate::system::Pid;

/// The local dataset that holds the job's procedure definitions.
pub const PROCEDURES: &str = "$PROC";

/// The verb of statement `image` (none for a comment or a statement that does not
/// parse).
fn verb_of(image: &str) -> Option<String> {
    if statement::is_comment(image) {
        return None;
    }
    statement::parse(image).ok().map(|s| s.verb)
}

/// The index of the ENDPROC that closes the PROC at `index`.
fn definition_end(statements: &[String], index: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, image) in statements.iter().enumerate().skip(index + 1) {
        match verb_of(image).as_deref() {
            Some("PROC") => depth += 1,
            Some("ENDPROC") if depth == 0 => return Some(i),
            Some("ENDPROC") => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The verbs of `statements` from `from` on, with their indices, that are not
/// inside a definition's body (a body's statements run only when the procedure is
/// invoked), PROC and ENDPROC left out.
fn verbs_outside_definitions(
    statements: &[String],
    from: usize,
) -> impl Iterator<Item = (usize, String)> + '_ {
    let mut depth = 0usize;
    statements
        .iter()
        .enumerate()
        .skip(from)
        .filter_map(move |(i, image)| match verb_of(image).as_deref() {
            Some("PROC") => {
                depth += 1;
                None
            }
            Some("ENDPROC") => {
                depth = depth.saturating_sub(1);
                None
            }
            Some(verb) if depth == 0 => Some((i, verb.to_string())),
            _ => None,
        })
}

/// The index of the first EXIT from `from` on that is not inside a definition's
/// body.
pub(super) fn next_exit(statements: &[String], from: usize) -> Option<usize> {
    verbs_outside_definitions(statements, from)
        .find(|(_, verb)| verb == "EXIT")
        .map(|(i, _)| i)
}

/// The IF blocks from statement `from` to `to` (outside the definitions), when
/// `open` are open at `from`, at least `floor` of them staying open (a
/// procedure's ENDIF does not close its caller's): how many of the blocks open at
/// `from` are still open at `to`, and how many blocks are open there. Only the
/// statements between the two are read, so that skipping to an EXIT costs what
/// finding it costs.
pub(super) fn if_blocks_between(
    statements: &[String],
    from: usize,
    to: usize,
    open: usize,
    floor: usize,
) -> (usize, usize) {
    let to = to.min(statements.len());
    verbs_outside_definitions(&statements[..to], from).fold(
        (open, open),
        |(kept, open), (_, verb)| match verb.as_str() {
            "IF" => (kept, open + 1),
            "ENDIF" => {
                let open = open.saturating_sub(1).max(floor);
                (kept.min(open), open)
            }
            _ => (kept, open),
        },
    )
}

/// The IF statements from `from` up to `to` (outside the definitions) that no
/// ENDIF after them closes, by index, outermost first.
pub(super) fn unclosed_ifs(statements: &[String], from: usize, to: usize) -> Vec<usize> {
    let to = to.min(statements.len());
    let mut open = Vec::new();
    for (i, verb) in verbs_outside_definitions(&statements[..to], from) {
        match verb.as_str() {
            "IF" => open.push(i),
            "ENDIF" => {
                open.pop();
            }
            _ => {}
        }
    }
    open
}

/// The records of one definition: its prototype, then its body.
fn definition_items(lines: &[String]) -> Result<Vec<DatasetItem>, String> {
    let mut items = Vec::with_capacity(lines.len() + 1);
    for line in lines {
        let (words, unused_bits) = pack_line(line).map_err(|e| e.to_string())?;
        items.push(DatasetItem::Record { words, unused_bits });
    }
    items.push(DatasetItem::EndOfFile);
    Ok(items)
}

/// The body of the last definition of `name` in `$PROC`'s items, if any.
fn defined_body(items: &[DatasetItem], name: &str) -> Option<Vec<String>> {
    let mut found = None;
    for file in items.split(|item| !matches!(item, DatasetItem::Record { .. })) {
        let lines: Vec<String> = file
            .iter()
            .filter_map(|item| match item {
                DatasetItem::Record { words, unused_bits } => unpack_line(words, *unused_bits).ok(),
                _ => None,
            })
            .collect();
        if lines.first().and_then(|p| verb_of(p)).as_deref() == Some(name) {
            found = Some(lines[1..].to_vec());
        }
    }
    found
}

impl System {
    /// PROC, statement `index` of `pid`'s deck: the definition is kept in `$PROC`
    /// and the deck goes on after its ENDPROC.
    pub(super) fn proc_verb(&mut self, pid: Pid, index: usize, s: &Statement) -> VerbResult {
        if !s.params.is_empty() {
            return Err(" PROC: takes no parameters (the prototype statement follows it)".into());
        }
        let deck = self.deck_of_mut(pid).ok_or("no deck")?;
        let end = definition_end(&deck.statements, index)
            .ok_or(" PROC: no ENDPROC closes the definition")?;
        let at = deck.statements[index + 1..end]
            .iter()
            .position(|image| !statement::is_comment(image))
            .map(|i| index + 1 + i)
            .ok_or(" PROC: no prototype statement (the procedure's name) follows")?;
        let prototype =
            statement::parse(&deck.statements[at]).map_err(|e| format!(" PROC: prototype: {e}"))?;
        let name = prototype.verb;
        if !prototype.params.is_empty() {
            return Err(format!(
                " PROC: {name}: formal parameters are not served (their substitution into \
                 the body is described on pages of SR-0011 not at hand)"
            ));
        }
        let lines = deck.statements[at..end].to_vec();
        super::procedure::checked(lines[1..].to_vec())
            .map_err(|e| format!(" PROC: {name}: {e}"))?;
        let mut items = deck
            .datasets
            .get(PROCEDURES)
            .map(|d| d.items.clone())
            .unwrap_or_default();
        items.retain(|item| *item != DatasetItem::EndOfData);
        items.extend(definition_items(&lines).map_err(|e| format!(" PROC: {name}: {e}"))?);
        let dataset = JobDataset::holding(items);
        deck.room_for(PROCEDURES, dataset.bytes())
            .map_err(|e| format!(" PROC: {name}: {e}"))?;
        deck.datasets.insert(PROCEDURES.to_string(), dataset);
        deck.next = end + 1;
        self.job_log(format!(" PROC: {name} DEFINED"));
        Ok(())
    }

    /// Runs the procedure `s.verb` names, statement `index` of `pid`'s deck, if one
    /// is defined and no local dataset has that name: `None` when it is not a
    /// procedure's name (the verb is then a program's).
    pub(super) fn defined_procedure(
        &mut self,
        pid: Pid,
        index: usize,
        s: &Statement,
    ) -> Option<VerbResult> {
        let deck = self.deck_of_mut(pid)?;
        if deck.datasets.contains_key(&s.verb) {
            return None;
        }
        let body = defined_body(&deck.datasets.get(PROCEDURES)?.items, &s.verb)?;
        let verb = &s.verb;
        if !s.params.is_empty() {
            return Some(Err(format!(
                " {verb}: the procedure has no formal parameters, and parameters are not \
                 served (their substitution is described on pages of SR-0011 not at hand)"
            )));
        }
        Some(
            super::procedure::checked(body)
                .and_then(|body| super::procedure::enter(deck, index, verb, body))
                .map_err(|e| format!(" {verb}: {e}")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn definitions_nest_and_the_last_of_a_name_counts() {
        let s = lines(&[
            "PROC.", "A.", "PROC.", "B.", "ENDPROC.", "ENDPROC.", "ENDPROC.",
        ]);
        assert_eq!(definition_end(&s, 0), Some(5));
        assert_eq!(definition_end(&s, 2), Some(4));
        assert_eq!(definition_end(&lines(&["PROC.", "A."]), 0), None);
        let mut items = definition_items(&lines(&["A.", "COPY."])).unwrap();
        items.extend(definition_items(&lines(&["B.", "X."])).unwrap());
        items.extend(definition_items(&lines(&["A.", "SET(J1=1)"])).unwrap());
        items.push(DatasetItem::EndOfData);
        assert_eq!(defined_body(&items, "A"), Some(lines(&["SET(J1=1)"])));
        assert_eq!(defined_body(&items, "B"), Some(lines(&["X."])));
        assert_eq!(defined_body(&items, "C"), None);
        let s = lines(&["PROC.", "A.", "EXIT.", "ENDPROC.", "X.", "EXIT."]);
        assert_eq!(next_exit(&s, 0), Some(5));
        assert_eq!(next_exit(&s, 4), Some(5));
    }
}
