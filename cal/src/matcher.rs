//! Table-driven instruction matching: source fields against the `syntax` column of
//! [`cray_emulator::isa::FORMS`], which is the only source of encodings.
//!
//! Literal pieces match literally (ignoring case); register placeholders match a
//! register designator (`A3`, `B17`, or `A.SYM` where SYM is the register number);
//! numeric placeholders match an expression, which is evaluated once a row is chosen.
//! When several rows match, the one with fewest expressions wins (so `J B17` is the
//! register jump even if `B17` were a symbol), then the most specific, then the
//! earlier row. The value-driven choices of CAL live in [`crate::choices`].

use crate::error::{PResult, Problem};
use crate::expr::{self, Attr, Env, Value};
use crate::lexer::is_symbol_char;
use cray_emulator::isa::syntax::{self, Piece, Placeholder, Syntax};
use cray_emulator::isa::{Form, Model, Op, FORMS};
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

/// An encoded instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    /// One or two parcels.
    pub parcels: Vec<u16>,
    /// True when an address or external value went into it (listing mark `+`).
    pub relocatable: bool,
    /// True when an undefined (forward) symbol was met in the first pass; the
    /// second pass must then keep the long form chosen here.
    pub forward: bool,
}

/// What a placeholder matched in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capture {
    /// The placeholder.
    pub field: Placeholder,
    /// The matched text (a register designator without its letter, or an expression).
    pub text: String,
    /// 1-based column of the text.
    pub column: usize,
}

/// A source field to match: its text and the column where it starts.
#[derive(Clone, Copy, Debug)]
pub struct Src<'a> {
    /// Text of the field (empty when absent).
    pub text: &'a str,
    /// 1-based column.
    pub column: usize,
}

/// Matches a whole field against `pieces`; returns the captures.
pub fn match_field(pieces: &[Piece], src: Src<'_>) -> Option<Vec<Capture>> {
    let chars: Vec<char> = src.text.chars().collect();
    let mut captures = Vec::new();
    if match_from(pieces, &chars, 0, src.column, &mut captures) {
        Some(captures)
    } else {
        None
    }
}

fn match_from(
    pieces: &[Piece],
    chars: &[char],
    pos: usize,
    column: usize,
    captures: &mut Vec<Capture>,
) -> bool {
    let Some((piece, rest)) = pieces.split_first() else {
        return pos == chars.len();
    };
    match piece {
        Piece::Literal(literal) => {
            starts_with_ignore_case(&chars[pos..], literal)
                && match_from(rest, chars, pos + literal.chars().count(), column, captures)
        }
        Piece::Field(field) if !field.is_expression() => {
            let end = register_end(chars, pos);
            if end == pos {
                return false;
            }
            capture_then_match(*field, rest, chars, pos..end, column, captures)
        }
        Piece::Field(field) => {
            // Try every end point at parenthesis/quote depth 0, shortest first.
            let ends = expression_ends(chars, pos);
            for end in ends {
                let allow_empty = *field == Placeholder::Displacement;
                if end == pos && !allow_empty {
                    continue;
                }
                // Cheap test before capturing: what follows must fit the next piece.
                let fits = match rest.first() {
                    None => end == chars.len(),
                    Some(Piece::Literal(next)) => starts_with_ignore_case(&chars[end..], next),
                    Some(Piece::Field(_)) => true,
                };
                if !fits {
                    continue;
                }
                if capture_then_match(*field, rest, chars, pos..end, column, captures) {
                    return true;
                }
            }
            false
        }
    }
}

/// Captures `chars[span]` for `field` and matches `rest` after it; on failure the
/// capture is taken back, so the caller can try another span.
fn capture_then_match(
    field: Placeholder,
    rest: &[Piece],
    chars: &[char],
    span: std::ops::Range<usize>,
    column: usize,
    captures: &mut Vec<Capture>,
) -> bool {
    captures.push(Capture {
        field,
        text: chars[span.clone()].iter().collect(),
        column: column + span.start,
    });
    if match_from(rest, chars, span.end, column, captures) {
        return true;
    }
    captures.pop();
    false
}

fn starts_with_ignore_case(chars: &[char], literal: &str) -> bool {
    let mut rest = chars.iter();
    literal
        .chars()
        .all(|l| rest.next().is_some_and(|c| c.eq_ignore_ascii_case(&l)))
}

/// End of a register designator: octal digits, or `.` and a symbol name.
fn register_end(chars: &[char], pos: usize) -> usize {
    let mut end = pos;
    if chars.get(pos) == Some(&'.') {
        end += 1;
        while chars.get(end).is_some_and(|c| is_symbol_char(*c)) {
            end += 1;
        }
        if end == pos + 1 {
            return pos;
        }
    } else {
        while chars.get(end).is_some_and(|c| c.is_digit(8)) {
            end += 1;
        }
    }
    end
}

/// Possible end points of an expression starting at `pos`: every position outside
/// parentheses and quotes, up to the end of the field.
fn expression_ends(chars: &[char], pos: usize) -> Vec<usize> {
    let mut ends = vec![pos];
    let mut depth = 0i32;
    let mut in_quote = false;
    let mut i = pos;
    while i < chars.len() {
        let c = chars[i];
        if in_quote {
            if c == '\'' {
                in_quote = false;
            }
        } else if c == '\'' {
            in_quote = crate::lexer::quote_opens(chars, i);
        } else if c == '(' {
            depth += 1;
        } else if c == ')' {
            depth -= 1;
        }
        i += 1;
        if depth == 0 && !in_quote {
            ends.push(i);
        }
    }
    // An unbalanced expression still reaches the evaluator, which says what is
    // missing.
    if ends.last() != Some(&chars.len()) {
        ends.push(chars.len());
    }
    ends
}

/// Evaluates a register designator capture.
pub fn register_number(capture: &Capture, env: &dyn Env) -> PResult<u32> {
    let limit = if capture.field == Placeholder::RegJk {
        0o77
    } else {
        7
    };
    let value = if let Some(name) = capture.text.strip_prefix('.') {
        // `A.3` (a macro argument substituted after the dot) is a plain number.
        let number = i64::from_str_radix(name, 8).ok();
        match number.map(Value::absolute).or_else(|| env.symbol(name)) {
            Some(v) if v.attr == Attr::Absolute => v.value,
            Some(_) => {
                return Err(Problem::new(
                    capture.column,
                    format!("`{name}` is an address; a register number must be a plain value"),
                ))
            }
            None if env.first_pass() => 0,
            None => {
                return Err(Problem::new(
                    capture.column + 1,
                    format!("undefined symbol `{name}` (register number expected)"),
                ))
            }
        }
    } else {
        i64::from_str_radix(&capture.text, 8).unwrap_or(i64::MAX)
    };
    if !(0..=limit).contains(&value) {
        return Err(Problem::new(
            capture.column,
            format!("register number {value:o} is out of range; expected 0..{limit:o} (octal)"),
        ));
    }
    Ok(value as u32)
}

/// Parcels being built from a row.
#[derive(Clone, Debug, Default)]
pub struct Builder {
    /// First parcel.
    pub p1: u16,
    /// Second parcel.
    pub p2: u16,
    /// An address or external took part.
    pub relocatable: bool,
    /// An undefined symbol took part (first pass).
    pub forward: bool,
}

impl Builder {
    /// Finishes with the row's length.
    pub fn finish(self, two_parcels: bool) -> Encoded {
        Encoded {
            parcels: if two_parcels {
                vec![self.p1, self.p2]
            } else {
                vec![self.p1]
            },
            relocatable: self.relocatable,
            forward: self.forward,
        }
    }

    fn note(&mut self, v: &Value) {
        self.relocatable |= v.is_relocatable();
        self.forward |= v.undefined;
    }
}

fn range_error(capture: &Capture, value: i64, what: &str) -> Problem {
    let shown = crate::listing::signed_octal(value);
    Problem::new(
        capture.column,
        format!("value {shown} (octal) is out of range; expected {what}"),
    )
}

/// Puts one capture into the parcels.
pub fn place(builder: &mut Builder, capture: &Capture, env: &dyn Env) -> PResult<()> {
    use Placeholder::*;
    match capture.field {
        RegH | RegI | RegJ | RegK | RegJk => {
            let n = register_number(capture, env)? as u16;
            builder.p1 |= match capture.field {
                RegH => n << 9,
                RegI => n << 6,
                RegJ => n << 3,
                _ => n,
            };
        }
        ConstJ | ConstJk | ConstIjk | ComplementCountJk => {
            let v = expr::evaluate(&capture.text, capture.column, env, false)?;
            builder.note(&v);
            let (low, high, what) = match capture.field {
                ConstJ => (0, 7, "0..7"),
                ConstJk => (0, 63, "0..77 (octal)"),
                ConstIjk => (0, 511, "0..777 (octal)"),
                _ => (1, 64, "a count 1..100 (octal)"),
            };
            if v.is_relocatable() {
                return Err(Problem::new(
                    capture.column,
                    "a constant field cannot hold an address",
                ));
            }
            let value = if v.undefined { low } else { v.value };
            if !(low..=high).contains(&value) {
                return Err(range_error(capture, value, what));
            }
            let field = match capture.field {
                ConstJ => (value as u16) << 3,
                ComplementCountJk => ((64 - value) % 64) as u16,
                _ => value as u16,
            };
            builder.p1 |= field;
        }
        Displacement | ConstJkm => {
            // `,Ah` and `,` have an empty displacement: 0.
            let v = if capture.text.is_empty() {
                Value::absolute(0)
            } else {
                expr::evaluate(&capture.text, capture.column, env, false)?
            };
            builder.note(&v);
            let value = v.value;
            if !v.is_relocatable() && !v.undefined && !(-(1 << 21)..(1 << 22)).contains(&value) {
                return Err(range_error(capture, value, "a 22-bit value"));
            }
            let jkm = (value as u64 & 0o17777777) as u32;
            builder.p1 |= (jkm >> 16) as u16;
            builder.p2 = jkm as u16;
        }
        Target => {
            let v = expr::to_parcel(expr::evaluate(&capture.text, capture.column, env, true)?);
            builder.note(&v);
            if v.attr == Attr::Word {
                return Err(Problem::new(
                    capture.column,
                    "jump target must be a parcel address",
                ));
            }
            if !v.undefined && !(0..(1 << 24)).contains(&v.value) {
                return Err(range_error(
                    capture,
                    v.value,
                    "a parcel address below 100000000 (octal)",
                ));
            }
            let target = (v.value as u64 & 0xFF_FFFF) as u32;
            builder.p1 |= ((target >> 16) & 0o777) as u16;
            builder.p2 = target as u16;
        }
    }
    Ok(())
}

/// Rows whose constants CAL picks by value ([`crate::choices`]); the generic matcher
/// leaves them alone.
pub fn is_value_driven(op: Op) -> bool {
    matches!(
        op,
        Op::AConstant
            | Op::AComplementConstant
            | Op::AShortConstant
            | Op::SConstant
            | Op::SComplementConstant
            | Op::SMaskLeft
            | Op::SMaskRight
    )
}

/// The rows available on `model`.
pub fn forms(model: Model) -> impl Iterator<Item = &'static Form> {
    FORMS
        .iter()
        .filter(move |f| !(f.xmp_only && model == Model::Cray1))
}

/// Number of parcels of a row.
pub fn row_is_two_parcels(form: &Form) -> bool {
    cray_emulator::isa::instruction_length(form.code_and_mask().0) == 2
}

/// A row that matched, with its captures.
pub struct Candidate {
    /// The row.
    pub form: &'static Form,
    /// Its captures.
    pub captures: Vec<Capture>,
}

/// The parsed syntax of every row of [`FORMS`], in table order (parsed once).
pub fn parsed_forms() -> &'static [Syntax] {
    static PARSED: OnceLock<Vec<Syntax>> = OnceLock::new();
    PARSED.get_or_init(|| FORMS.iter().map(|f| syntax::parse(f.syntax)).collect())
}

/// Every row (other than value-driven ones) that matches the two fields.
pub fn candidates(result: Src<'_>, operand: Src<'_>, model: Model) -> Vec<Candidate> {
    let mut out = Vec::new();
    let r: Vec<char> = result.text.chars().collect();
    let o: Vec<char> = operand.text.chars().collect();
    for (form, parsed) in FORMS.iter().zip(parsed_forms()) {
        if (form.xmp_only && model == Model::Cray1) || is_value_driven(form.op) {
            continue;
        }
        if let Some(captures) = match_chars(parsed, (&r, result.column), (&o, operand.column)) {
            out.push(Candidate { form, captures });
        }
    }
    out
}

/// Matches both fields against a syntax string; repeated register placeholders must
/// be written the same way. Syntax strings are parsed once and kept.
pub fn match_syntax(
    syntax_text: &'static str,
    result: Src<'_>,
    operand: Src<'_>,
) -> Option<Vec<Capture>> {
    static CACHE: OnceLock<Mutex<BTreeMap<&'static str, &'static Syntax>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(BTreeMap::new()));
    let parsed: &'static Syntax = {
        let mut map = cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        map.entry(syntax_text)
            .or_insert_with(|| Box::leak(Box::new(syntax::parse(syntax_text))))
    };
    match_parsed(parsed, result, operand)
}

/// [`match_syntax`] for an already parsed syntax.
pub fn match_parsed(syntax: &Syntax, result: Src<'_>, operand: Src<'_>) -> Option<Vec<Capture>> {
    let r: Vec<char> = result.text.chars().collect();
    let o: Vec<char> = operand.text.chars().collect();
    match_chars(syntax, (&r, result.column), (&o, operand.column))
}

/// [`match_parsed`] on fields already split into characters.
fn match_chars(
    syntax: &Syntax,
    result: (&[char], usize),
    operand: (&[char], usize),
) -> Option<Vec<Capture>> {
    let mut captures = Vec::new();
    if !match_from(&syntax.result, result.0, 0, result.1, &mut captures) {
        return None;
    }
    if !match_from(&syntax.operand, operand.0, 0, operand.1, &mut captures) {
        return None;
    }
    for (index, a) in captures.iter().enumerate() {
        for b in &captures[index + 1..] {
            if a.field == b.field && !a.text.eq_ignore_ascii_case(&b.text) {
                return None;
            }
        }
    }
    Some(captures)
}

/// Encodes a matched row.
pub fn encode(form: &Form, captures: &[Capture], env: &dyn Env) -> PResult<Encoded> {
    let mut builder = Builder {
        p1: form.code_and_mask().0,
        ..Builder::default()
    };
    let mut seen: Vec<Placeholder> = Vec::new();
    for capture in captures {
        if seen.contains(&capture.field) {
            continue;
        }
        seen.push(capture.field);
        place(&mut builder, capture, env)?;
    }
    Ok(builder.finish(row_is_two_parcels(form)))
}

/// Picks the best of several matching rows.
pub fn best(mut found: Vec<Candidate>) -> Option<Candidate> {
    let expressions = |c: &Candidate| {
        c.captures
            .iter()
            .filter(|x| x.field.is_expression())
            .count()
    };
    let mut best_index = None;
    for (index, candidate) in found.iter().enumerate() {
        match best_index {
            None => best_index = Some(index),
            Some(b) => {
                let current: &Candidate = &found[b];
                let key_new = (
                    expressions(candidate),
                    std::cmp::Reverse(candidate.form.specificity()),
                );
                let key_old = (
                    expressions(current),
                    std::cmp::Reverse(current.form.specificity()),
                );
                if key_new < key_old {
                    best_index = Some(index);
                }
            }
        }
    }
    best_index.map(|i| found.swap_remove(i))
}

/// A row's syntax as the manuals write it (`Ai Aj+Ak`, `Si exp`), for messages.
pub fn readable_syntax(syntax_text: &str) -> String {
    syntax_text
        .replace("{64-jk#}", "exp")
        .replace("{target#}", "exp")
        .replace("{disp#}", "exp")
        .replace("{jkm#}", "exp")
        .replace("{ijk#}", "exp")
        .replace("{jk#}", "exp")
        .replace("{j#}", "exp")
        .replace("{jk}", "jk")
        .replace("{h}", "h")
        .replace("{i}", "i")
        .replace("{j}", "j")
        .replace("{k}", "k")
}
