//! Verbs on the job's local datasets (ASSIGN, RELEASE, REWIND, DISPOSE), the
//! conditional statements (IF, ELSEIF, ELSE, ENDIF, SET), and how a program's F$OPN
//! of a deck job's dataset reaches the job's dataset table.
//!
//! JCL expressions (SR-0011 part 2, "Expressions"): integers, symbols (J0–J7 and G0–G7
//! start at 0; SET gives any symbol a value), `+ - * /`, the relations `.EQ. .NE.
//! .LT. .LE. .GT. .GE.`, `.NOT. .AND. .OR.` and parentheses; true is non-zero.

use super::run::VerbResult;
use super::statement::Statement;
use super::JobDataset;
use crate::cos::dataset::DatasetItem;
use crate::cos::job::LocalDataset;
use crate::cos::System;
use crate::system::Pid;

/// How many IF blocks may be open at once. Every statement looks at each open
/// block (is it skipped?), so without a bound a deck of many thousand nested IFs
/// took time growing with the square of its length. No real deck nests so deep.
pub(super) const MAX_IF_BLOCKS: usize = 64;

/// The parameters each of ASSIGN, RELEASE, REWIND and DISPOSE takes (with NA,
/// every verb's). ASSIGN's are SR-0011's ("Dataset definition and control":
/// `ASSIGN,DN=dn,S=size,SZ=size,NOF,BS=,DV=,DT=,DF=,RDM,U,MR,LM=,INC=,C,DC=,BFI=,
/// A=,FD=,CV=,CS=,F=,RF=,RS=,MBS=`): all but DN describe the dataset's device,
/// space and buffers, which a dataset kept in the job's memory does not have, and
/// are taken and not used. DISPOSE's MF and TID name the front end, of which there
/// is one (as FETCH's do). Any other parameter is refused by name: what it would
/// change (RELEASE's or DISPOSE's other options) is not known here.
const LOCAL_KNOWN: &[(&str, &[&str])] = &[
    (
        "ASSIGN",
        &[
            "DN", "S", "SZ", "NOF", "BS", "DV", "DT", "DF", "RDM", "U", "MR", "LM", "INC", "C",
            "DC", "BFI", "A", "FD", "CV", "CS", "F", "RF", "RS", "MBS", "NA",
        ],
    ),
    ("RELEASE", &["DN", "NA"]),
    ("REWIND", &["DN", "NA"]),
    (
        "DISPOSE",
        &["DN", "DC", "SDN", "TEXT", "DF", "DEFER", "MF", "TID", "NA"],
    ),
];

impl System {
    /// ASSIGN, RELEASE, REWIND, DISPOSE.
    pub(super) fn local_verb(&mut self, pid: Pid, s: &Statement) -> VerbResult {
        let known = LOCAL_KNOWN
            .iter()
            .find(|(verb, _)| *verb == s.verb)
            .map_or(&[][..], |(_, known)| known);
        s.refuse_unknown_keywords(known)?;
        let names: Vec<String> = s.values("DN").map(<[String]>::to_vec).unwrap_or_default();
        if names.iter().all(String::is_empty) {
            return Err(format!(" {}: DN= is required", s.verb));
        }
        for name in names.iter().filter(|n| !n.is_empty()) {
            match s.verb.as_str() {
                "ASSIGN" => {
                    let deck = self.deck_of_mut(pid).ok_or("no deck")?;
                    deck.datasets
                        .entry(name.clone())
                        .or_insert_with(JobDataset::empty);
                }
                "RELEASE" => {
                    if self
                        .deck_of(pid)
                        .is_some_and(|d| !d.datasets.contains_key(name))
                    {
                        // COS: releasing a dataset the job does not have is no error.
                        continue;
                    }
                    self.release_local(pid, name)?;
                }
                "REWIND" => {
                    if let Some(dataset) =
                        self.deck_of_mut(pid).and_then(|d| d.datasets.get_mut(name))
                    {
                        dataset.position = 0;
                    }
                }
                _ => self.dispose(pid, s, name)?,
            }
        }
        Ok(())
    }

    /// IF, ELSEIF, ELSE, ENDIF, SET: statement `index` of the deck.
    pub(super) fn conditional(
        &mut self,
        pid: Pid,
        index: usize,
        s: &Statement,
        image: &str,
    ) -> VerbResult {
        let argument = argument_text(image);
        let deck = self.deck_of_mut(pid).ok_or("no deck")?;
        let outer_runs = |d: &super::DeckJob| {
            let n = d.conditions.len();
            d.conditions[..n.saturating_sub(1)]
                .iter()
                .all(|&(run, _)| run)
        };
        match s.verb.as_str() {
            "IF" => {
                if deck.conditions.len() >= MAX_IF_BLOCKS {
                    return Err(format!(
                        " IF: more than {MAX_IF_BLOCKS} IF blocks would be open (ENDIF missing?)"
                    ));
                }
                let enclosing = deck.conditions.iter().all(|&(run, _)| run);
                let value = if enclosing {
                    match evaluate_for("IF", &argument, &deck.symbols) {
                        Ok(value) => value != 0,
                        Err(line) => {
                            // The IF opens its block though its expression fails, so
                            // that its own ENDIF closes it: the abort's skip to EXIT
                            // counted that ENDIF against the enclosing block, whose
                            // ENDIF then found no IF open. Entered as running and
                            // taken, as `deck_abort` takes the blocks open at an abort.
                            deck.conditions.push((true, true));
                            return Err(line);
                        }
                    }
                } else {
                    false
                };
                deck.conditions.push((value, value || !enclosing));
            }
            "ELSEIF" | "ELSE" => {
                let outer = outer_runs(deck);
                let Some(&(_, taken)) = deck.conditions.last() else {
                    return Err(format!(" {}: no IF is open", s.verb));
                };
                if outer && else_before(&deck.statements, index) {
                    return Err(format!(
                        " {}: its IF block has had its ELSE already (ELSE ends the \
                         block's branches; ENDIF closes it)",
                        s.verb
                    ));
                }
                // Evaluated in place: a copy of the symbols for each ELSEIF made a
                // deck of many SETs and ELSEIFs take time growing with their product.
                let value = if taken || !outer {
                    false
                } else if s.verb == "ELSE" {
                    true
                } else {
                    evaluate_for("ELSEIF", &argument, &deck.symbols)? != 0
                };
                if let Some(top) = deck.conditions.last_mut() {
                    *top = (value, taken || value);
                }
            }
            "ENDIF" => {
                if deck.conditions.pop().is_none() {
                    return Err(" ENDIF: no IF is open".to_string());
                }
            }
            _ => {
                let (name, expression) = argument.split_once('=').ok_or_else(|| {
                    format!(" SET: expected SET(SYMBOL=expression), got {argument:?}")
                })?;
                let name = name.trim().to_ascii_uppercase();
                if !is_symbol_name(&name) {
                    return Err(format!(
                        " SET: {name:?} is not a symbol name (a letter or $, then up to 7 letters, digits or $)"
                    ));
                }
                let value = evaluate_for("SET", expression, &deck.symbols)?;
                deck.symbols.insert(name, value);
            }
        }
        Ok(())
    }

    /// Ends the job's use of dataset `name`: its deferred disposition is done
    /// (module `staging`), an accessed permanent dataset that was written is written
    /// back (when the access allows), then the name is free.
    pub(crate) fn release_local(&mut self, pid: Pid, name: &str) -> VerbResult {
        let disposed = self.dispose_deferred(pid, name);
        let result = self.write_back(pid, name);
        if let Some(deck) = self.deck_of_mut(pid) {
            deck.datasets.remove(name);
        }
        disposed.and(result)
    }

    /// Releases every local dataset of `pid`'s job as it ends: those with a
    /// deferred disposition first, in the order the dispositions were given, then
    /// the rest by name. A failure is a line of the log; the others go on.
    pub(crate) fn release_every_local(&mut self, pid: Pid) {
        let Some(deck) = self.deck_of(pid) else {
            return;
        };
        let deferred = deck.deferred.iter().map(|(name, _)| name.clone());
        let names: Vec<String> = deferred.chain(deck.datasets.keys().cloned()).collect();
        for name in names {
            let held = self
                .deck_of(pid)
                .is_some_and(|d| d.datasets.contains_key(&name));
            if !held {
                continue;
            }
            if let Err(line) = self.release_local(pid, &name) {
                self.job_log(line);
            }
        }
    }

    /// The contents a deck job's program sees when it opens `name`: the job dataset
    /// from its position on (created empty if the job has none).
    pub(crate) fn open_job_dataset(&mut self, pid: Pid, name: &str) -> Vec<DatasetItem> {
        let Some(deck) = self.deck_of_mut(pid) else {
            return vec![DatasetItem::EndOfData];
        };
        let dataset = deck
            .datasets
            .entry(name.to_string())
            .or_insert_with(JobDataset::empty);
        let start = dataset.position.min(dataset.items.len().saturating_sub(1));
        dataset.open_base = start;
        dataset.items[start..].to_vec()
    }

    /// The words of job dataset `name` of `pid`'s job when it is unblocked.
    pub(crate) fn unblocked_job_dataset(&self, pid: Pid, name: &str) -> Option<Vec<u64>> {
        self.deck_of(pid)?.datasets.get(name)?.unblocked.clone()
    }

    /// Keeps `words`, what a program left in job dataset `name` that is not a
    /// blocked dataset, as an unblocked dataset of the job (whole 512-word blocks),
    /// modified when they are not the words it had.
    pub(crate) fn store_unblocked_job_dataset(&mut self, pid: Pid, name: &str, words: Vec<u64>) {
        let Some(deck) = self.deck_of_mut(pid) else {
            return;
        };
        let kept = JobDataset::unblocked(words);
        let dataset = deck
            .datasets
            .entry(name.to_string())
            .or_insert_with(JobDataset::empty);
        let modified = dataset.modified || dataset.unblocked != kept.unblocked;
        *dataset = JobDataset {
            modified,
            permanent: dataset.permanent.take(),
            ..kept
        };
    }

    /// Puts what a program did with a job dataset back into the job's table: its
    /// contents (what preceded the program's view, then the view) and its position.
    pub(crate) fn store_job_dataset(&mut self, pid: Pid, local: &LocalDataset) {
        let Some(deck) = self.deck_of_mut(pid) else {
            return;
        };
        let dataset = deck
            .datasets
            .entry(local.name.clone())
            .or_insert_with(JobDataset::empty);
        let base = dataset.open_base.min(dataset.items.len());
        let mut items = dataset.items[..base].to_vec();
        items.extend(local.items.iter().cloned());
        if items.last() != Some(&DatasetItem::EndOfData) {
            items.push(DatasetItem::EndOfData);
        }
        let consumed = consumed_items(local);
        dataset.position = (base + consumed).min(items.len() - 1);
        if local.written {
            dataset.modified = true;
        }
        dataset.items = items;
        dataset.unblocked = None;
    }
}

/// How many items of its view a program has read past (or written up to). A reader
/// through the circular buffer reads ahead whole blocks, so there the view is taken
/// as consumed up to and including its first EOF: a program reads one file of its
/// input, as COS utilities read `$IN`.
fn consumed_items(local: &LocalDataset) -> usize {
    let eod = local.items.len().saturating_sub(1);
    if local.written {
        return local.item.min(eod);
    }
    if local.read_stream.is_some() && local.read_position > 0 {
        return local
            .items
            .iter()
            .position(|i| *i == DatasetItem::EndOfFile)
            .map_or(eod, |eof| eof + 1);
    }
    (local.item + usize::from(local.word > 0)).min(eod)
}

/// The text between the verb's opening separator and the closing `)` or final `.`:
/// `IF(J1.EQ.2)` gives `J1.EQ.2`. After `(` the argument ends at the `)` that
/// closes it, so a comment after the terminator (SR-0011: "the control statement
/// interpreter ignores comments"), `IF(J1.EQ.2) then (copy)`, is not read.
pub(super) fn argument_text(image: &str) -> String {
    let image = image.trim();
    let start = image.find(['(', ',']).map_or(image.len(), |i| i + 1);
    let rest = &image[start..];
    let rest = match closing_parenthesis(rest) {
        Some(end) if image[..start].ends_with('(') => &rest[..end],
        _ => rest.strip_suffix('.').unwrap_or(rest),
    };
    rest.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether the IF block that the ELSE or ELSEIF at `index` belongs to has an ELSE
/// before it. SR-0011's page of IF is not at hand; a second ELSE, or an ELSEIF
/// after the ELSE, was taken as a branch never run, without a word, where a user
/// would expect the mistake named. Found by reading back to the block's IF (as
/// ENDLOOP finds its LOOP), so nothing more is kept for a block.
fn else_before(statements: &[String], index: usize) -> bool {
    let mut depth = 0usize;
    for image in statements[..index.min(statements.len())].iter().rev() {
        if super::statement::is_comment(image) {
            continue;
        }
        let Ok(statement) = super::statement::parse(image) else {
            continue;
        };
        match statement.verb.as_str() {
            "ENDIF" => depth += 1,
            "IF" if depth == 0 => return false,
            "IF" => depth -= 1,
            "ELSE" if depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// The index of the `)` that closes the `(` before `text`, if any.
fn closing_parenthesis(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// [`evaluate`] for statement `verb`: a failure names the verb (` IF: expression
/// ...`), so that the log says which statement is wrong even when the statements
/// are not echoed (ECHO,OFF=ALL).
pub(super) fn evaluate_for(
    verb: &str,
    text: &str,
    symbols: &std::collections::BTreeMap<String, i64>,
) -> Result<i64, String> {
    evaluate(text, symbols).map_err(|e| format!(" {verb}:{e}"))
}

/// Whether `name` can be a symbol of an expression: a name as the expression's
/// tokens read one (a letter or `$`, then letters, digits or `$`), of at most 8
/// characters. `SET(1=2)` made a symbol `1` that no expression could read.
fn is_symbol_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '$')
        && name.len() <= 8
}

/// Evaluates a JCL expression.
pub fn evaluate(
    text: &str,
    symbols: &std::collections::BTreeMap<String, i64>,
) -> Result<i64, String> {
    let tokens = tokens(&text.to_ascii_uppercase())?;
    let mut parser = Parser {
        tokens,
        at: 0,
        depth: 0,
        symbols,
    };
    let value = parser.or()?;
    if parser.at != parser.tokens.len() {
        return Err(format!(
            " expression {text:?}: unexpected {}",
            parser.tokens[parser.at]
        ));
    }
    Ok(value)
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Number(i64),
    Name(String),
    Operator(String),
    Open,
    Close,
}

impl std::fmt::Display for Token {
    /// The token as the statement writes it (for the log's error lines).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Token::Number(n) => write!(f, "{n}"),
            Token::Name(name) => f.write_str(name),
            Token::Operator(op) if matches!(op.as_str(), "+" | "-" | "*" | "/") => f.write_str(op),
            Token::Operator(op) => write!(f, ".{op}."),
            Token::Open => f.write_str("("),
            Token::Close => f.write_str(")"),
        }
    }
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let digits: String = chars[start..i].iter().collect();
            if let Some(&letter) = chars.get(i).filter(|c| c.is_ascii_alphabetic()) {
                // `17B` read as 17 and then "unexpected B", which did not say that
                // the constant is what is not taken.
                return Err(format!(
                    " expression {text:?}: {digits}{letter}: a number is decimal digits \
                     only (no octal or other constant is known here)"
                ));
            }
            out.push(Token::Number(
                digits
                    .parse()
                    .map_err(|_| format!(" number {digits} is too large"))?,
            ));
        } else if c.is_ascii_alphabetic() || c == '$' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '$') {
                i += 1;
            }
            out.push(Token::Name(chars[start..i].iter().collect()));
        } else if c == '.' {
            let end = chars[i + 1..]
                .iter()
                .position(|&c| c == '.')
                .ok_or_else(|| format!(" expression {text:?}: an operator .X. is not closed"))?;
            out.push(Token::Operator(chars[i + 1..i + 1 + end].iter().collect()));
            i += end + 2;
        } else {
            i += 1;
            out.push(match c {
                '(' => Token::Open,
                ')' => Token::Close,
                '+' | '-' | '*' | '/' => Token::Operator(c.to_string()),
                '\'' => {
                    return Err(format!(
                        " expression {text:?}: a literal string '...' is not a value \
                         (expressions take integers and symbols)"
                    ))
                }
                _ => return Err(format!(" expression {text:?}: character {c:?}")),
            });
        }
    }
    Ok(out)
}

/// How deep `(`, `.NOT.` and unary `-` may nest: the parser recurses once for each,
/// so a deck of `.NOT..NOT.…` must not exhaust the host's stack. A COS statement
/// is at most a few cards long; no real expression nests this deep.
const MAX_NESTING: usize = 64;

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    /// Nesting of the operand being parsed (see [`MAX_NESTING`]).
    depth: usize,
    symbols: &'a std::collections::BTreeMap<String, i64>,
}

impl Parser<'_> {
    fn operator(&mut self, names: &[&str]) -> Option<String> {
        match self.tokens.get(self.at) {
            Some(Token::Operator(op)) if names.contains(&op.as_str()) => {
                self.at += 1;
                Some(op.clone())
            }
            _ => None,
        }
    }

    fn or(&mut self) -> Result<i64, String> {
        let mut value = self.and()?;
        while self.operator(&["OR"]).is_some() {
            let right = self.and()?;
            value = i64::from(value != 0 || right != 0);
        }
        Ok(value)
    }

    fn and(&mut self) -> Result<i64, String> {
        let mut value = self.not()?;
        while self.operator(&["AND"]).is_some() {
            let right = self.not()?;
            value = i64::from(value != 0 && right != 0);
        }
        Ok(value)
    }

    fn not(&mut self) -> Result<i64, String> {
        if self.operator(&["NOT"]).is_some() {
            return Ok(i64::from(self.nested(Self::not)? == 0));
        }
        self.relation()
    }

    /// `parse` one level deeper, refused past [`MAX_NESTING`].
    fn nested(&mut self, parse: fn(&mut Self) -> Result<i64, String>) -> Result<i64, String> {
        if self.depth >= MAX_NESTING {
            return Err(format!(
                " expression: nested more than {MAX_NESTING} deep (parentheses, .NOT. or -)"
            ));
        }
        self.depth += 1;
        let value = parse(self);
        self.depth -= 1;
        value
    }

    fn relation(&mut self) -> Result<i64, String> {
        let left = self.sum()?;
        let Some(op) = self.operator(&["EQ", "NE", "LT", "LE", "GT", "GE"]) else {
            return Ok(left);
        };
        let right = self.sum()?;
        Ok(i64::from(match op.as_str() {
            "EQ" => left == right,
            "NE" => left != right,
            "LT" => left < right,
            "LE" => left <= right,
            "GT" => left > right,
            _ => left >= right,
        }))
    }

    fn sum(&mut self) -> Result<i64, String> {
        let mut value = self.product()?;
        while let Some(op) = self.operator(&["+", "-"]) {
            let right = self.product()?;
            value = if op == "+" {
                value.wrapping_add(right)
            } else {
                value.wrapping_sub(right)
            };
        }
        Ok(value)
    }

    fn product(&mut self) -> Result<i64, String> {
        let mut value = self.unary()?;
        while let Some(op) = self.operator(&["*", "/"]) {
            let right = self.unary()?;
            value = if op == "*" {
                value.wrapping_mul(right)
            } else if right == 0 {
                return Err(" expression: division by zero".to_string());
            } else {
                value.wrapping_div(right)
            };
        }
        Ok(value)
    }

    fn unary(&mut self) -> Result<i64, String> {
        if self.operator(&["-"]).is_some() {
            return Ok(self.nested(Self::unary)?.wrapping_neg());
        }
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        match token {
            Some(Token::Number(n)) => Ok(n),
            Some(Token::Name(name)) => self.symbol(&name),
            Some(Token::Open) => {
                let value = self.nested(Self::or)?;
                match self.tokens.get(self.at) {
                    Some(Token::Close) => {
                        self.at += 1;
                        Ok(value)
                    }
                    _ => Err(" expression: ( is not closed".to_string()),
                }
            }
            Some(other) => Err(format!(" expression: {other} where a value belongs")),
            None => Err(" expression: it ends where a value belongs".to_string()),
        }
    }

    fn symbol(&self, name: &str) -> Result<i64, String> {
        symbol_value(self.symbols, name)
            .ok_or_else(|| format!(" expression: symbol {name} is not defined"))
    }
}

/// The value of JCL symbol `name`: the one SET gave it, or 0 for J0–J7 and G0–G7,
/// which start at 0; `None` for a symbol no SET defined.
pub(crate) fn symbol_value(
    symbols: &std::collections::BTreeMap<String, i64>,
    name: &str,
) -> Option<i64> {
    if let Some(&value) = symbols.get(name) {
        return Some(value);
    }
    let predefined = name.len() == 2
        && (name.starts_with('J') || name.starts_with('G'))
        && name.as_bytes()[1].is_ascii_digit()
        && name.as_bytes()[1] < b'8';
    predefined.then_some(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn expressions() {
        let mut symbols = BTreeMap::new();
        symbols.insert("J1".to_string(), 2);
        let e = |t: &str| evaluate(t, &symbols);
        assert_eq!(e("J1.EQ.2"), Ok(1));
        assert_eq!(e("J1+3*2"), Ok(8));
        assert_eq!(e("(J1+3)*2"), Ok(10));
        assert_eq!(e(".NOT.J0.EQ.0.OR.J1.GT.5"), Ok(0));
        assert_eq!(e("J1.GE.2.AND.-J1.LT.0"), Ok(1));
        assert!(e("X.EQ.1").is_err());
        assert!(e("1/0").is_err());
        assert!(e("(1").is_err());
        assert_eq!(argument_text("IF(J1.EQ.2)"), "J1.EQ.2");
        assert_eq!(argument_text("SET ( J1 = J1 + 1 ) comment"), "J1=J1+1");
        assert_eq!(argument_text("ELSE."), "");
    }

    /// Text after the terminator is a comment, parentheses and all: the argument
    /// was read up to the last `)` of the line.
    #[test]
    fn a_comment_after_the_closing_parenthesis_is_not_the_argument() {
        assert_eq!(argument_text("IF(J1.EQ.5) then (do it)"), "J1.EQ.5");
        assert_eq!(
            argument_text("EXITLOOP(J1.GE.3) at three (finally)."),
            "J1.GE.3"
        );
        assert_eq!(argument_text("IF((J1+1)*2.EQ.4) (x)"), "(J1+1)*2.EQ.4");
        assert_eq!(argument_text("SET(J1=(2)) set (two)"), "J1=(2)");
    }

    #[test]
    fn symbol_names_are_names() {
        assert!(is_symbol_name("J1"));
        assert!(is_symbol_name("$COUNT"));
        assert!(!is_symbol_name("1"));
        assert!(!is_symbol_name(""));
        assert!(!is_symbol_name("J1+J2"));
        assert!(!is_symbol_name("TOOLONGNAME"));
    }

    #[test]
    fn an_expression_error_names_its_statement() {
        let symbols = BTreeMap::new();
        assert_eq!(
            evaluate_for("SET", "1/0", &symbols).unwrap_err(),
            " SET: expression: division by zero"
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_the_stack_runs_out() {
        let symbols = BTreeMap::new();
        for text in [
            ".NOT.".repeat(100_000) + "1",
            "-".repeat(100_000) + "1",
            "(".repeat(100_000) + "1" + &")".repeat(100_000),
        ] {
            let refused = evaluate(&text, &symbols).unwrap_err();
            assert!(refused.contains("nested more than 64 deep"), "{refused}");
        }
        let ok = "(".repeat(60) + "1" + &")".repeat(60);
        assert_eq!(evaluate(&ok, &symbols), Ok(1));
        assert_eq!(evaluate(&(".NOT.".repeat(4) + "1"), &symbols), Ok(1));
    }

    #[test]
    fn errors_show_tokens_as_written() {
        let symbols = BTreeMap::new();
        let e = |t: &str| evaluate(t, &symbols).unwrap_err();
        assert_eq!(e("1.XX.2"), " expression \"1.XX.2\": unexpected .XX.");
        assert_eq!(e(".EQ.1"), " expression: .EQ. where a value belongs");
        assert_eq!(e("1+"), " expression: it ends where a value belongs");
        assert_eq!(e("1)"), " expression \"1)\": unexpected )");
        assert_eq!(
            e("17B"),
            " expression \"17B\": 17B: a number is decimal digits only (no octal or other \
             constant is known here)"
        );
        assert_eq!(
            e("J1.EQ.'AB'"),
            " expression \"J1.EQ.'AB'\": a literal string '...' is not a value (expressions \
             take integers and symbols)"
        );
    }
}
