//! COS control-statement syntax, as the CRAY-OS Version 1 Reference Manual (SR-0011,
//! part 2 "Job control language",
//! <https://9dok.net/article/job-control-language-cray-and-cray-computer-systems.y6e46dwn>)
//! gives it:
//!
//! ```text
//! verb sep1 param1 sep2 param2 ... sepn paramn term comments
//! ```
//!
//! - the verb is 1 to 8 alphanumeric characters (`$`, `@`, `%` allowed as in dataset
//!   names); the first separator is `,` or `(`, and a verb alone needs only the
//!   terminator (`EXIT.`);
//! - parameters are separated by `,`; a keyword parameter is `KEY=value`, and a value
//!   may be a list `A:B:C` (`RELEASE,DN=A:B.`);
//! - the terminator is `.` or `)`; anything after it is a comment, which the
//!   interpreter ignores;
//! - blanks are ignored except inside a literal string `'...'` (a quote inside is
//!   written twice); a tab of a host text deck is a blank;
//! - a statement whose image ends with the caret `^` continues on the next line
//!   (joined by [`join_continuations`]); a caret inside a literal is plain text;
//! - a line whose first non-blank character is `*` is a comment statement.
//!
//! A statement with no terminator is accepted as if it ended the line (the cards
//! of the corpus all have one; being lenient costs nothing).

use std::fmt;

/// One parameter: positional (`keyword` = `None`, e.g. the `UQ` of ACCESS) or
/// keyword (`DN=X`), with its values (`DN=A:B` has two; `UQ` has none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// `DN` in `DN=X`; `None` for a positional parameter.
    pub keyword: Option<String>,
    /// The values, `:`-separated in the image; a positional parameter's text is its
    /// single value.
    pub values: Vec<String>,
}

/// A parsed control statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// The verb, in capitals as written (`ACCESS`, `AUDIT`).
    pub verb: String,
    /// The parameters in order.
    pub params: Vec<Param>,
}

/// What is wrong with a control statement (the interpreter logs it and aborts the
/// step, as COS's control-statement error did).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError(pub String);

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// True for the comment statement (`*` first).
pub fn is_comment(image: &str) -> bool {
    image.trim_start().starts_with('*')
}

/// A blank of the statement syntax: the space, and the horizontal tab a host text
/// deck may hold where a card held blanks (an editor's indentation), which reads
/// as the blanks it stands for. Both are ignored outside a literal.
fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Characters a verb or an unquoted value may hold.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '$' | '@' | '%' | '#' | '/' | '-' | '+' | '*')
}

/// The statements SR-0011 says "cannot be continued" (besides the comment
/// statement): a caret on one of their lines is not a continuation, and one
/// before the terminator is refused ([`CARET`]).
const NOT_CONTINUED: [&str; 4] = ["JOB", "ACCOUNT", "DUMPJOB", "EXIT"];

/// What a caret left in a statement says: it is not at the end of a line, or the
/// statement is one of [`NOT_CONTINUED`].
const CARET: &str = "a caret (^) continues a statement only as the last character of its \
line and after its verb, and JOB, ACCOUNT, DUMPJOB and EXIT cannot be continued (SR-0011: \
\"A control statement verb cannot be continued to a second record\")";

/// Whether a statement whose first line is `line` may be continued: not one of
/// [`NOT_CONTINUED`] (its verb read as [`parse`] reads it).
fn may_continue(line: &str) -> bool {
    let chars: Vec<char> = line.chars().collect();
    let (verb, _) = read_verb(&chars, 0);
    !NOT_CONTINUED.contains(&verb.as_str())
}

/// The verb starting at `at` (blanks before it skipped), in capitals, and the index
/// of the first character after it and the blanks that follow. Blanks inside the
/// verb are ignored too (SR-0011: "Blanks are ignored unless they are embedded in
/// a literal string"), so `C O P Y R.` is `COPYR.`.
fn read_verb(chars: &[char], mut at: usize) -> (String, usize) {
    let mut verb = String::new();
    while let Some(&c) = chars.get(at) {
        if is_name_char(c) {
            verb.push(c.to_ascii_uppercase());
        } else if !is_blank(c) {
            break;
        }
        at += 1;
    }
    (verb, at)
}

/// Joins images whose last non-blank character (outside a literal) is the caret with
/// the line that follows. Returns the statements and, for each, the index of its first
/// line.
pub fn join_continuations(lines: &[String]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (index, line) in lines.iter().enumerate() {
        if let Some((start, text)) = current.take() {
            if verb_would_continue(&text, line) {
                // SR-0011: "A control statement verb cannot be continued to a
                // second record": the caret stays, where `parse` refuses it.
                out.push((start, format!("{text}^")));
            } else {
                current = Some((start, text));
            }
        }
        let first = current.is_none();
        let (start, mut text) = current.take().unwrap_or((index, String::new()));
        let trimmed = line.trim_end();
        let may = !first || may_continue(trimmed);
        if !is_comment(trimmed) && may && continues(trimmed) {
            text.push_str(&trimmed[..trimmed.len() - 1]);
            current = Some((start, text));
        } else {
            text.push_str(trimmed);
            out.push((start, text));
        }
    }
    if let Some(open) = current {
        out.push(open);
    }
    out
}

/// Whether joining `next` to `text`, the lines of a statement so far, would carry
/// its verb on: `text` holds a verb only and `next` starts with a character a verb
/// may hold.
fn verb_would_continue(text: &str, next: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let (verb, end) = read_verb(&chars, 0);
    !verb.is_empty()
        && end == chars.len()
        && next.trim_start_matches(is_blank).starts_with(is_name_char)
}

/// Whether `line` ends with a caret that is not inside a literal.
fn continues(line: &str) -> bool {
    let mut quoted = false;
    let mut last = None;
    for c in line.chars() {
        if c == '\'' {
            quoted = !quoted;
        }
        if !c.is_whitespace() {
            last = Some((c, quoted));
        }
    }
    matches!(last, Some(('^', false)))
}

/// The verbs whose argument is a JCL expression (SR-0011's conditional statements,
/// and EXITLOOP, written `EXITLOOP(J1.EQ.0)` in COS's own decks): its parameters
/// are not parsed as keywords and values.
const EXPRESSION_VERBS: [&str; 4] = ["IF", "ELSEIF", "SET", "EXITLOOP"];

/// Parses one statement image (continuations already joined; not a comment).
pub fn parse(image: &str) -> Result<Statement, SyntaxError> {
    let chars: Vec<char> = image.chars().collect();
    let (verb, mut at) = read_verb(&chars, 0);
    if verb.is_empty() {
        return Err(SyntaxError(format!("{image:?}: no verb")));
    }
    if verb.len() > 8 {
        return Err(SyntaxError(format!(
            "verb {verb} has {} characters, at most 8",
            verb.len()
        )));
    }
    let mut params = Vec::new();
    if EXPRESSION_VERBS.contains(&verb.as_str()) {
        // Their argument is an expression, `IF((J1+1)*2.EQ.4)`: the conditional
        // verbs read it from the image (`local::argument_text`), and its `(`, `)`
        // and `.` are not separators.
        return Ok(Statement { verb, params });
    }
    match chars.get(at) {
        None | Some('.') | Some(')') => return Ok(Statement { verb, params }),
        Some(',') | Some('(') => at += 1,
        Some('^') => return Err(SyntaxError(format!("{verb}: {CARET}"))),
        Some(c) => {
            return Err(SyntaxError(format!(
                "{verb}: {c:?} where a separator (, or () or the terminator (. or )) belongs"
            )))
        }
    }
    loop {
        let (param, next) = parse_param(&chars, at, &verb)?;
        if param.keyword.is_some() || !param.values.iter().all(String::is_empty) {
            params.push(param);
        }
        at = next;
        match chars.get(at) {
            None | Some('.') | Some(')') => return Ok(Statement { verb, params }),
            Some(',') => at += 1,
            Some(c) => {
                return Err(SyntaxError(format!(
                    "{verb}: {c:?} after a parameter, where , or the terminator belongs"
                )))
            }
        }
    }
}

/// One parameter starting at `at`; returns it and the index of the character after it
/// (a separator, the terminator, or the end).
fn parse_param(chars: &[char], mut at: usize, verb: &str) -> Result<(Param, usize), SyntaxError> {
    let mut values = vec![String::new()];
    let mut keyword = None;
    while let Some(&c) = chars.get(at) {
        match c {
            c if is_blank(c) => at += 1,
            ',' | '.' | ')' => break,
            '=' if keyword.is_none() && values.len() == 1 => {
                keyword = Some(std::mem::take(&mut values[0]).to_ascii_uppercase());
                at += 1;
            }
            ':' => {
                values.push(String::new());
                at += 1;
            }
            '\'' => {
                let (literal, next) = literal(chars, at, verb)?;
                if let Some(last) = values.last_mut() {
                    last.push_str(&literal);
                }
                at = next;
            }
            c if is_name_char(c) || c == '=' => {
                if let Some(last) = values.last_mut() {
                    last.push(c.to_ascii_uppercase());
                }
                at += 1;
            }
            '^' => return Err(SyntaxError(format!("{verb}: {CARET}"))),
            c => {
                return Err(SyntaxError(format!(
                    "{verb}: character {c:?} is not allowed outside a literal '...'"
                )))
            }
        }
    }
    if keyword.as_deref() == Some("") {
        return Err(SyntaxError(format!(
            "{verb}: a parameter has no keyword before ="
        )));
    }
    if keyword.is_none() && values.len() == 1 && values[0].is_empty() {
        values.clear();
    }
    Ok((Param { keyword, values }, at))
}

/// The literal string opening at `at` (a quote), its quotes removed and doubled quotes
/// made single; and the index after its closing quote.
fn literal(chars: &[char], at: usize, verb: &str) -> Result<(String, usize), SyntaxError> {
    let mut text = String::new();
    let mut i = at + 1;
    while i < chars.len() {
        if chars[i] == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                text.push('\'');
                i += 2;
                continue;
            }
            return Ok((text, i + 1));
        }
        text.push(chars[i]);
        i += 1;
    }
    Err(SyntaxError(format!("{verb}: a literal '... is not closed")))
}

impl Statement {
    /// The values of keyword `key` (`None` when the keyword is absent).
    pub fn values(&self, key: &str) -> Option<&[String]> {
        self.params
            .iter()
            .find(|p| p.keyword.as_deref() == Some(key))
            .map(|p| p.values.as_slice())
    }

    /// The first value of keyword `key`, when given with one.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.values(key)
            .and_then(|v| v.first())
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// True when the positional parameter `flag` (`UQ`, `NA`) is present, or the
    /// keyword is given without a value.
    pub fn flag(&self, flag: &str) -> bool {
        self.params.iter().any(|p| match &p.keyword {
            None => p.values.len() == 1 && p.values[0] == flag,
            Some(k) => k == flag,
        })
    }

    /// What is wrong with the form of the parameters of a system verb: a keyword
    /// given twice (`SAVE,DN=A,DN=B`), or a list of values (`PDN=A:B`) for a
    /// keyword not in `lists`, which takes one value. The verbs read the first
    /// value of the first keyword, so either was taken in part without a word.
    pub fn repeated_or_listed(&self, lists: &[&str]) -> Option<String> {
        let keywords: Vec<&str> = self
            .params
            .iter()
            .filter_map(|p| p.keyword.as_deref())
            .collect();
        for (i, &key) in keywords.iter().enumerate() {
            if keywords[..i].contains(&key) {
                return Some(format!(" {}: {key}= is given twice", self.verb));
            }
        }
        self.params
            .iter()
            .filter_map(|p| p.keyword.as_deref().map(|key| (key, &p.values)))
            .find(|(key, values)| values.len() > 1 && !lists.contains(key))
            .map(|(key, values)| {
                format!(
                    " {}: {key}={}: {key} takes one value",
                    self.verb,
                    values.join(":")
                )
            })
    }

    /// Keywords that are not in `known` (positional flags included by their text).
    pub fn unknown_keywords(&self, known: &[&str]) -> Vec<String> {
        self.params
            .iter()
            .map(|p| match &p.keyword {
                Some(k) => k.clone(),
                None => p.values.join(":"),
            })
            .filter(|k| !known.contains(&k.as_str()))
            .collect()
    }

    /// Refuses the first parameter that is not in `known`, naming it and the known
    /// ones (` COPYF: parameter N is not served (known here: I, O, NF, NA)`).
    pub fn refuse_unknown_keywords(&self, known: &[&str]) -> Result<(), String> {
        match self.unknown_keywords(known).first() {
            Some(first) => Err(format!(
                " {}: parameter {first} is not served (known here: {})",
                self.verb,
                known.join(", ")
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(key: Option<&str>, values: &[&str]) -> Param {
        Param {
            keyword: key.map(str::to_string),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn keywords_lists_flags_and_terminators() {
        let s = parse("ACCESS,DN=X,PDN=MY.DATA,UQ.  comment").unwrap();
        assert_eq!(s.verb, "ACCESS");
        assert_eq!(
            s.params,
            vec![
                param(Some("DN"), &["X"]),
                param(Some("PDN"), &["MY"]),
                // '.' ends the statement: "DATA,UQ. comment" is the comment.
            ]
        );
        let s = parse("RELEASE,DN=$BCD:$BVCD.").unwrap();
        assert_eq!(s.values("DN").unwrap(), ["$BCD", "$BVCD"]);
        let s = parse("SAVE ( DN = a , UQ )").unwrap();
        assert_eq!(s.value("DN"), Some("A"));
        assert!(s.flag("UQ"));
        assert_eq!(parse("EXIT.").unwrap().params, vec![]);
        assert_eq!(parse("LOADCAT.").unwrap().verb, "LOADCAT");
        assert_eq!(parse("ACCTDEF").unwrap().verb, "ACCTDEF");
    }

    #[test]
    fn literals_keep_blanks_and_separators() {
        let s = parse("SAVE,DN=A,TEXT='MY, DATA. ''X''',NA.").unwrap();
        assert_eq!(s.value("TEXT"), Some("MY, DATA. 'X'"));
        assert!(s.flag("NA"));
        assert!(parse("SAVE,TEXT='OPEN.").is_err());
    }

    #[test]
    fn errors_name_the_verb() {
        assert!(parse("").is_err());
        assert!(parse("TOOLONGVERB.").is_err());
        assert!(parse("A;B.").unwrap_err().0.contains("separator"));
        assert!(parse("A,B;C.").unwrap_err().0.contains("A:"));
        assert!(parse("A,=B.").is_err());
    }

    /// A deck indented with tabs on the host: a tab was "not allowed outside a
    /// literal", and one before the verb left "no verb".
    #[test]
    fn tabs_are_blanks_outside_literals() {
        let s = parse("\tSAVE,DN=$IN,\tPDN=TABBED .\t* comment").unwrap();
        assert_eq!(s.verb, "SAVE");
        assert_eq!(s.value("PDN"), Some("TABBED"));
        let s = parse("SAVE\t(DN=A,TEXT='a\tb')").unwrap();
        assert_eq!(s.value("TEXT"), Some("a\tb"));
    }

    /// `EXIT.^` took the next line as its comment, so the statement after EXIT
    /// never ran; a continued JOB statement was taken whole.
    #[test]
    fn job_account_dumpjob_and_exit_are_not_continued() {
        let lines: Vec<String> = ["JOB,JN=A,^", "US=B.", "EXIT.^", "COPY.", "exit,^", "X."]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let joined: Vec<String> = join_continuations(&lines)
            .into_iter()
            .map(|(_, image)| image)
            .collect();
        assert_eq!(joined, lines);
        let refused = parse(&joined[0]).unwrap_err().0;
        assert!(
            refused.starts_with("JOB: a caret (^) continues a statement only"),
            "{refused}"
        );
        assert_eq!(
            parse(&joined[2]).unwrap().verb,
            "EXIT",
            "the caret is a comment"
        );
        assert!(parse("EXIT^")
            .unwrap_err()
            .0
            .contains("cannot be continued"));
        assert!(parse("SAVE,DN=A^B.")
            .unwrap_err()
            .0
            .contains("last character"));
    }

    #[test]
    fn carets_continue_statements() {
        let lines: Vec<String> = ["SAVE,DN=A,^", "  PDN=B.", "* a comment ^", "X,T='A^'."]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let joined = join_continuations(&lines);
        assert_eq!(
            joined,
            vec![
                (0, "SAVE,DN=A,  PDN=B.".to_string()),
                (2, "* a comment ^".to_string()),
                (3, "X,T='A^'.".to_string()),
            ]
        );
        assert_eq!(parse(&joined[0].1).unwrap().value("PDN"), Some("B"));
    }
}
