//! Expressions: `+ - * /`, unary `+ - #`, parentheses, symbols, `*` (the location
//! counter), `W.`/`P.` address conversions, numbers (`O'17`, `D'10`, `X'1F`, plain
//! under `BASE`) and character constants (`'AB'R`, `A'SY'R`).
//!
//! Every value carries an attribute: absolute, word address, parcel address or
//! external. Labels are relocatable addresses in CAL; this assembler has no linker,
//! so they have their final values, but the attribute still forces the two-parcel
//! instruction forms and marks the listing with `+`, as CAL does.

use crate::error::{PResult, Problem};
use crate::lexer::{is_symbol_char, quote_opens};

/// The kind of value an expression has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attr {
    /// A plain number.
    Absolute,
    /// A word address (labels of data, `BSS 0`, `W.` expressions).
    Word,
    /// A parcel address (labels of instructions, `*` in jumps, `P.` expressions).
    Parcel,
    /// An external symbol (value 0 here; there is no linker).
    External,
}

/// A value and its attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Value {
    /// The value, two's complement in 64 bits.
    pub value: i64,
    /// Its attribute.
    pub attr: Attr,
    /// True when an undefined symbol took part (only allowed in the first pass).
    pub undefined: bool,
}

impl Value {
    /// An absolute value.
    pub fn absolute(value: i64) -> Self {
        Value {
            value,
            attr: Attr::Absolute,
            undefined: false,
        }
    }

    /// True when the value is not a plain number (address or external): such values
    /// always take the long instruction forms.
    pub fn is_relocatable(&self) -> bool {
        self.attr != Attr::Absolute
    }
}

/// Radix of unprefixed numbers (`BASE O`, `BASE D`, `BASE M`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    /// Octal.
    Octal,
    /// Decimal.
    Decimal,
    /// Mixed: octal, except that a number with an 8 or 9 in it is decimal.
    Mixed,
}

impl Base {
    /// Radix of counts that CAL reads in decimal under mixed base (character
    /// counts of `'...'n`, VWD field widths).
    pub fn count_radix(self) -> u32 {
        if self == Base::Octal {
            8
        } else {
            10
        }
    }
}

/// What an expression can see of the assembler's state.
pub trait Env {
    /// The value of a symbol, if defined.
    fn symbol(&self, name: &str) -> Option<Value>;
    /// The current location, a parcel address.
    fn location_parcel(&self) -> u32;
    /// The radix of unprefixed numbers.
    fn base(&self) -> Base;
    /// True in the first pass, where forward references are not yet defined.
    fn first_pass(&self) -> bool;
    /// The address of a literal `=...` (text after the `=`).
    fn literal(&self, text: &str, column: usize) -> PResult<Value>;
}

/// Left/right justification and fill of a character constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Justify {
    /// `H` or none: left-justified, blank-filled.
    Blank,
    /// `L`: left-justified, zero-filled.
    Left,
    /// `R`: right-justified, zero-filled.
    Right,
    /// `Z`: left-justified, zero-filled, at least one zero byte.
    Zero,
}

/// Longest character constant accepted (characters).
const MAX_CHARACTERS: usize = 4096;

/// A parsed character constant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CharConstant {
    /// The characters.
    pub text: Vec<u8>,
    /// Exact length in characters (`'AB'3R`), if given.
    pub count: Option<usize>,
    /// Justification.
    pub justify: Justify,
}

impl CharConstant {
    /// The constant as data words (8 characters a word): the characters fill a
    /// field of `count` characters (by default the length rounded up to whole words,
    /// counting the terminating zero byte of `Z`), blank- or zero-filled on the right,
    /// or zero-filled on the left for `R`; the last word is completed with zeros.
    pub fn words(&self) -> Vec<u64> {
        let zero_end = usize::from(self.justify == Justify::Zero);
        let field = self
            .count
            .unwrap_or_else(|| (self.text.len() + zero_end).div_ceil(8).max(1) * 8);
        let mut chars = self.text.clone();
        // `Z` keeps at least one zero byte inside its field.
        chars.truncate(field - zero_end.min(field));
        let fill = if self.justify == Justify::Blank {
            b' '
        } else {
            0
        };
        let mut all = Vec::with_capacity(field + 8);
        if self.justify == Justify::Right {
            all.resize(field - chars.len(), 0);
            all.extend_from_slice(&chars);
        } else {
            all.extend_from_slice(&chars);
            all.resize(field, fill);
        }
        all.resize(all.len().div_ceil(8).max(1) * 8, 0);
        all.chunks(8)
            .map(|c| u64::from_be_bytes(c.try_into().unwrap_or([0; 8])))
            .collect()
    }

    /// The constant as one value (at most 8 characters).
    pub fn value(&self) -> Option<u64> {
        let len = self.count.unwrap_or(self.text.len());
        if len > 8 {
            return None;
        }
        if self.justify == Justify::Right {
            // Right-justified: the characters (at most `count`), zeros on the left.
            return Some(
                self.text
                    .iter()
                    .take(len)
                    .fold(0u64, |v, b| (v << 8) | u64::from(*b)),
            );
        }
        let mut bytes = self.text.clone();
        bytes.resize(
            len,
            if self.justify == Justify::Blank {
                b' '
            } else {
                0
            },
        );
        let mut v: u64 = 0;
        for b in &bytes {
            v = (v << 8) | u64::from(*b);
        }
        Some(match self.justify {
            Justify::Right => v,
            Justify::Blank => {
                let mut w = v;
                for _ in len..8 {
                    w = (w << 8) | u64::from(b' ');
                }
                w
            }
            Justify::Left | Justify::Zero => {
                if len == 0 {
                    0
                } else {
                    v << (8 * (8 - len))
                }
            }
        })
    }
}

/// Parses a character constant starting at `pos` (at the optional `A`/`C`/`E`
/// prefix or the quote). Returns the constant and the index after it.
/// The count (`'AB'3R`) is read in `base` (decimal under mixed base).
pub fn parse_char_constant(
    chars: &[char],
    pos: usize,
    column: usize,
    base: Base,
) -> PResult<(CharConstant, usize)> {
    let mut i = pos;
    if i < chars.len() && chars[i] != '\'' {
        i += 1; // character-set prefix A, C or E
    }
    if chars.get(i) != Some(&'\'') {
        return Err(Problem::new(
            column + i,
            "expected `'` opening a character constant",
        ));
    }
    i += 1;
    let mut text = Vec::new();
    loop {
        match chars.get(i) {
            None => {
                return Err(Problem::new(
                    column + pos,
                    "character constant has no closing `'`",
                ))
            }
            Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                text.push(b'\'');
                i += 2;
            }
            Some('\'') => {
                i += 1;
                break;
            }
            Some(c) => {
                text.push(if c.is_ascii() { *c as u8 } else { b'?' });
                i += 1;
            }
        }
    }
    let mut count = None;
    let digits_start = i;
    while chars.get(i).is_some_and(|c| c.is_ascii_digit()) {
        i += 1;
    }
    if i > digits_start {
        let n: String = chars[digits_start..i].iter().collect();
        count = match usize::from_str_radix(&n, base.count_radix()) {
            Ok(c) if c <= MAX_CHARACTERS => Some(c),
            _ => {
                return Err(Problem::new(
                    column + digits_start,
                    format!(
                        "character count {n} is not a base-{} count of at most {MAX_CHARACTERS}",
                        base.count_radix()
                    ),
                ))
            }
        };
    } else if chars.get(i) == Some(&'*') {
        count = Some(text.len());
        i += 1;
    }
    let justify = match chars.get(i).map(|c| c.to_ascii_uppercase()) {
        Some('H') => Justify::Blank,
        Some('L') => Justify::Left,
        Some('R') => Justify::Right,
        Some('Z') => Justify::Zero,
        _ => {
            return Ok((
                CharConstant {
                    text,
                    count,
                    justify: Justify::Blank,
                },
                i,
            ))
        }
    };
    Ok((
        CharConstant {
            text,
            count,
            justify,
        },
        i + 1,
    ))
}

/// True when `chars[pos..]` starts a character constant.
pub fn starts_char_constant(chars: &[char], pos: usize) -> bool {
    match chars.get(pos) {
        Some('\'') => true,
        Some(c) if matches!(c.to_ascii_uppercase(), 'A' | 'C' | 'E') => {
            chars.get(pos + 1) == Some(&'\'') && (pos == 0 || !is_symbol_char(chars[pos - 1]))
        }
        _ => false,
    }
}

/// Evaluates `text` (which starts at `column` of its line). In a jump context `*` is
/// the current parcel address and symbols keep their parcel attribute; elsewhere `*`
/// and instruction labels are word addresses.
pub fn evaluate(text: &str, column: usize, env: &dyn Env, jump: bool) -> PResult<Value> {
    if let Some(rest) = text.strip_prefix('=') {
        return env.literal(rest, column + 1);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut parser = Parser {
        chars: &chars,
        pos: 0,
        column,
        env,
        jump,
        depth: 0,
    };
    let value = parser.sum()?;
    if parser.pos < chars.len() {
        return Err(Problem::new(
            column + parser.pos,
            format!(
                "unexpected `{}` in expression; expected an operator (+ - * /) or the end of the field",
                chars[parser.pos]
            ),
        ));
    }
    Ok(value)
}

/// Converts a value to the address kind a jump needs: word addresses become parcel
/// addresses.
pub fn to_parcel(value: Value) -> Value {
    match value.attr {
        Attr::Word => Value {
            value: value.value.wrapping_mul(4),
            attr: Attr::Parcel,
            undefined: value.undefined,
        },
        _ => value,
    }
}

/// Deepest nesting of parentheses and prefix operators (`-`, `#`, `W.`) in an
/// expression: the parser recurses once per level, and a source must not be able to
/// overflow the host's stack.
pub const MAX_EXPRESSION_DEPTH: usize = 256;

struct Parser<'a> {
    chars: &'a [char],
    pos: usize,
    column: usize,
    env: &'a dyn Env,
    jump: bool,
    /// Levels of nesting entered (see [`MAX_EXPRESSION_DEPTH`]).
    depth: usize,
}

impl Parser<'_> {
    fn col(&self) -> usize {
        self.column + self.pos
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn sum(&mut self) -> PResult<Value> {
        let mut left = self.product()?;
        while let Some(op) = self.peek() {
            if op != '+' && op != '-' {
                break;
            }
            let at = self.col();
            self.pos += 1;
            let right = self.product()?;
            left = combine_additive(left, right, op == '-', at)?;
        }
        Ok(left)
    }

    fn product(&mut self) -> PResult<Value> {
        let mut left = self.unary()?;
        while let Some(op) = self.peek() {
            if op != '*' && op != '/' {
                break;
            }
            let at = self.col();
            self.pos += 1;
            let right = self.unary()?;
            if left.is_relocatable() || right.is_relocatable() {
                return Err(Problem::new(
                    at,
                    "an address or external symbol cannot be multiplied or divided",
                ));
            }
            let value = if op == '*' {
                left.value.wrapping_mul(right.value)
            } else if right.value == 0 {
                if left.undefined || right.undefined {
                    0
                } else {
                    return Err(Problem::new(at, "division by zero"));
                }
            } else {
                left.value.wrapping_div(right.value)
            };
            left = Value {
                value,
                attr: Attr::Absolute,
                undefined: left.undefined || right.undefined,
            };
        }
        Ok(left)
    }

    /// Runs `parse` one level deeper, refusing to go past [`MAX_EXPRESSION_DEPTH`].
    fn nested(&mut self, parse: impl FnOnce(&mut Self) -> PResult<Value>) -> PResult<Value> {
        if self.depth >= MAX_EXPRESSION_DEPTH {
            return Err(Problem::new(
                self.col(),
                format!("expression nests deeper than {MAX_EXPRESSION_DEPTH} levels"),
            ));
        }
        self.depth += 1;
        let value = parse(self);
        self.depth -= 1;
        value
    }

    fn unary(&mut self) -> PResult<Value> {
        self.nested(Self::unary_term)
    }

    fn unary_term(&mut self) -> PResult<Value> {
        match self.peek() {
            Some('+') => {
                self.pos += 1;
                self.unary()
            }
            Some('-') => {
                let at = self.col();
                self.pos += 1;
                // Cray floating point is sign-magnitude: `-1.5` sets the sign bit.
                if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    if let Some(word) = self.float()? {
                        return Ok(Value::absolute((word | (1 << 63)) as i64));
                    }
                }
                let v = self.unary()?;
                combine_additive(Value::absolute(0), v, true, at)
            }
            Some('#') => {
                let at = self.col();
                self.pos += 1;
                let v = self.unary()?;
                if v.is_relocatable() {
                    return Err(Problem::new(at, "an address cannot be complemented"));
                }
                Ok(Value {
                    value: !v.value,
                    ..v
                })
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> PResult<Value> {
        let start = self.pos;
        let at = self.col();
        let Some(c) = self.peek() else {
            return Err(Problem::new(
                at,
                "expected a term (symbol, number, character constant, `*` or `(`)",
            ));
        };
        if c == '(' {
            self.pos += 1;
            let v = self.sum()?;
            if self.peek() != Some(')') {
                return Err(Problem::new(self.col(), "expected `)`"));
            }
            self.pos += 1;
            return Ok(v);
        }
        if c == '*' {
            self.pos += 1;
            let parcel = i64::from(self.env.location_parcel());
            return Ok(if self.jump {
                Value {
                    value: parcel,
                    attr: Attr::Parcel,
                    undefined: false,
                }
            } else {
                Value {
                    value: parcel / 4,
                    attr: Attr::Word,
                    undefined: false,
                }
            });
        }
        if starts_char_constant(self.chars, self.pos) {
            let (constant, end) =
                parse_char_constant(self.chars, self.pos, self.column, self.env.base())?;
            self.pos = end;
            let value = constant.value().ok_or_else(|| {
                Problem::new(
                    at,
                    "a character constant used as a value holds at most 8 characters",
                )
            })?;
            return Ok(Value::absolute(value as i64));
        }
        if c.is_ascii_digit() {
            if let Some(value) = self.float()? {
                return Ok(Value::absolute(value as i64));
            }
            return self.number(10, true, start);
        }
        let upper = c.to_ascii_uppercase();
        let next = self.chars.get(self.pos + 1).copied();
        if next == Some('\'')
            && matches!(upper, 'O' | 'D' | 'X')
            && !quote_opens(self.chars, self.pos + 1)
        {
            self.pos += 2;
            let radix = match upper {
                'O' => 8,
                'D' => 10,
                _ => 16,
            };
            return self.number(radix, false, start);
        }
        if next == Some('.') && matches!(upper, 'W' | 'P') {
            self.pos += 2;
            // The term keeps its own attribute (a label's parcel) until converted.
            let jump = std::mem::replace(&mut self.jump, true);
            let v = self.nested(Self::primary);
            self.jump = jump;
            return Ok(convert_address(v?, upper == 'W'));
        }
        if is_symbol_char(c) && !c.is_ascii_digit() {
            while self.peek().is_some_and(is_symbol_char) {
                self.pos += 1;
            }
            let name: String = self.chars[start..self.pos].iter().collect();
            return match self.env.symbol(&name) {
                Some(v) if v.undefined && !self.env.first_pass() => Err(Problem::new(
                    at,
                    format!(
                        "`{name}` is defined from symbols that are never defined (or from itself)"
                    ),
                )),
                Some(v) => Ok(if !self.jump && v.attr == Attr::Parcel {
                    Value {
                        value: v.value.div_euclid(4),
                        attr: Attr::Word,
                        undefined: v.undefined,
                    }
                } else {
                    v
                }),
                None if self.env.first_pass() => Ok(Value {
                    value: 0,
                    attr: Attr::Absolute,
                    undefined: true,
                }),
                None => Err(Problem::new(at, format!("undefined symbol `{name}`"))),
            };
        }
        Err(Problem::new(
            at,
            format!("unexpected `{c}`; expected a symbol, number, character constant, `*` or `(`"),
        ))
    }

    /// A decimal floating constant (`1.`, `0.75`, `1.5E3`) as a Cray floating-point
    /// word, or `None` (position unchanged) if the digits are not followed by `.`.
    fn float(&mut self) -> PResult<Option<u64>> {
        let start = self.pos;
        let mut end = start;
        while self.chars.get(end).is_some_and(|c| c.is_ascii_digit()) {
            end += 1;
        }
        if self.chars.get(end) != Some(&'.') {
            return Ok(None);
        }
        end += 1;
        while self.chars.get(end).is_some_and(|c| c.is_ascii_digit()) {
            end += 1;
        }
        if self
            .chars
            .get(end)
            .is_some_and(|c| c.eq_ignore_ascii_case(&'E'))
        {
            let mut e = end + 1;
            if matches!(self.chars.get(e), Some('+') | Some('-')) {
                e += 1;
            }
            let digits = e;
            while self.chars.get(e).is_some_and(|c| c.is_ascii_digit()) {
                e += 1;
            }
            if e > digits {
                end = e;
            }
        }
        let text: String = self.chars[start..end].iter().collect();
        let value: f64 = text.parse().map_err(|_| {
            Problem::new(
                self.column + start,
                format!("`{text}` is not a floating constant"),
            )
        })?;
        self.pos = end;
        cray_float(value).map(Some).ok_or_else(|| {
            Problem::new(
                self.column + start,
                format!("`{text}` is outside the range of Cray floating point"),
            )
        })
    }

    /// A number in `radix`; `under_base` means no prefix was written, so the BASE
    /// decides (10 is then a placeholder).
    fn number(&mut self, radix: u32, under_base: bool, start: usize) -> PResult<Value> {
        let digits_start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_hexdigit() && (radix == 16 || c.is_ascii_digit()))
        {
            self.pos += 1;
        }
        let digits: String = self.chars[digits_start..self.pos].iter().collect();
        let at = self.column + start;
        if digits.is_empty() {
            return Err(Problem::new(
                self.col(),
                "expected digits after the radix prefix",
            ));
        }
        let radix = if under_base {
            match self.env.base() {
                Base::Octal => 8,
                Base::Decimal => 10,
                Base::Mixed => {
                    if digits.contains(['8', '9']) {
                        10
                    } else {
                        8
                    }
                }
            }
        } else {
            radix
        };
        let value = u64::from_str_radix(&digits, radix).map_err(|_| {
            Problem::new(
                at,
                format!("`{digits}` is not a valid base-{radix} number (or is wider than 64 bits)"),
            )
        })?;
        if self.peek().is_some_and(is_symbol_char) {
            return Err(Problem::new(
                self.col(),
                format!("unexpected `{}` after a number", self.chars[self.pos]),
            ));
        }
        Ok(Value::absolute(value as i64))
    }
}

/// A non-negative host float as a Cray floating-point word: exponent biased by
/// 040000 in bits 62..48, normalized 48-bit coefficient (truncated), 0 for 0.
pub fn cray_float(value: f64) -> Option<u64> {
    if value == 0.0 {
        return Some(0);
    }
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    // value = m * 2^e with 0.5 <= m < 1.
    let bits = value.to_bits();
    let raw_exponent = ((bits >> 52) & 0x7FF) as i64;
    if raw_exponent == 0 {
        return None; // subnormal host values are below the Cray range we model
    }
    let e = raw_exponent - 1022;
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52); // 53 bits, top bit set
    let coefficient = mantissa >> 5; // 48 bits
    let exponent = 0o40000 + e;
    if !(0..=0o77777).contains(&exponent) {
        return None;
    }
    Some(((exponent as u64) << 48) | coefficient)
}

fn convert_address(v: Value, to_word: bool) -> Value {
    match (v.attr, to_word) {
        (Attr::Parcel, true) => Value {
            value: v.value.div_euclid(4),
            attr: Attr::Word,
            ..v
        },
        (Attr::Word, false) => Value {
            value: v.value.wrapping_mul(4),
            attr: Attr::Parcel,
            ..v
        },
        (Attr::Absolute, true) => Value {
            attr: Attr::Word,
            ..v
        },
        (Attr::Absolute, false) => Value {
            attr: Attr::Parcel,
            ..v
        },
        _ => v,
    }
}

fn combine_additive(left: Value, right: Value, subtract: bool, at: usize) -> PResult<Value> {
    let undefined = left.undefined || right.undefined;
    let value = if subtract {
        left.value.wrapping_sub(right.value)
    } else {
        left.value.wrapping_add(right.value)
    };
    let attr = match (left.attr, right.attr, subtract) {
        (a, Attr::Absolute, _) => a,
        (Attr::Absolute, b, false) => b,
        (Attr::Word, Attr::Word, true) | (Attr::Parcel, Attr::Parcel, true) => Attr::Absolute,
        (Attr::Absolute, Attr::External, true) => Attr::External,
        _ => {
            return Err(Problem::new(
                at,
                "these two addresses cannot be combined (mixing word and parcel addresses, adding addresses, or subtracting an address from a number)",
            ))
        }
    };
    Ok(Value {
        value,
        attr,
        undefined,
    })
}
