//! Pseudo-instructions: IDENT, END, TITLE, SUBTITLE, COMMENT, ENTRY, EXT, START,
//! BASE, ORG, BSS, BSSZ, CON, DATA, VWD, ALIGN, `=`, SET, MACRO (and ENDM, which
//! the macro collector consumes), plus LIST, SPACE, EJECT (accepted, no effect).

use crate::assembler::{Asm, Origin};
use crate::error::{PResult, Problem};
use crate::expr::{self, parse_char_constant, starts_char_constant, Attr, Base, Env, Value};
use crate::lexer::{Field, Statement};
use crate::macros::split_commas;

/// Words of memory an X-MP program can address (2^24).
const MEMORY_WORDS: i64 = 1 << 24;

/// The words of one DATA item (a character constant or an expression), also used
/// for literals.
pub fn data_item(asm: &Asm<'_>, text: &str, column: usize) -> PResult<Vec<u64>> {
    let chars: Vec<char> = text.chars().collect();
    if starts_char_constant(&chars, 0) {
        let (constant, end) = parse_char_constant(&chars, 0, column, asm.base)?;
        if end == chars.len() {
            return Ok(constant.words());
        }
    }
    let v = expr::evaluate(text, column, asm, false)?;
    Ok(vec![v.value as u64])
}

/// Number of words a literal or DATA item takes (known without evaluating it).
pub fn item_words(text: &str, base: Base) -> usize {
    let chars: Vec<char> = text.chars().collect();
    if starts_char_constant(&chars, 0) {
        if let Ok((constant, end)) = parse_char_constant(&chars, 0, 1, base) {
            if end == chars.len() {
                return constant.words().len();
            }
        }
    }
    1
}

fn need_operand<'a>(statement: &'a Statement, name: &str, what: &str) -> PResult<&'a Field> {
    statement.operand.as_ref().ok_or_else(|| {
        let column = statement
            .result
            .as_ref()
            .map(|r| r.column + r.text.len() + 1)
            .unwrap_or(1);
        Problem::new(column, format!("{name} needs an operand: {what}"))
    })
}

fn unquote(text: &str) -> String {
    let t = text.trim();
    let inner = t
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or(t);
    inner.replace("''", "'")
}

fn count(asm: &Asm<'_>, field: &Field, name: &str) -> PResult<i64> {
    let v = asm.eval(field)?;
    if v.undefined {
        return Err(Problem::new(
            field.column,
            format!("the {name} count must use only symbols defined before this line"),
        ));
    }
    if v.is_relocatable() || v.value < 0 {
        return Err(Problem::new(
            field.column,
            format!("the {name} count must be a non-negative number"),
        ));
    }
    Ok(v.value)
}

/// How one directive is assembled.
type Directive = fn(&mut Asm<'_>, &str, &Statement, &Origin) -> PResult<()>;

/// A [`Directive`] that calls `Asm::$method` (a method of `impl Asm<'_>` is not itself
/// a function of every `Asm` lifetime, a closure is).
macro_rules! directive {
    ($method:ident) => {
        |asm: &mut Asm<'_>, name: &str, statement: &Statement, origin: &Origin| {
            asm.$method(name, statement, origin)
        }
    };
}

/// Every pseudo-instruction and the method that assembles it.
const DIRECTIVES: &[(&str, Directive)] = &[
    ("IDENT", directive!(directive_ident)),
    ("END", directive!(directive_end)),
    ("TITLE", directive!(directive_listing_only)),
    ("SUBTITLE", directive!(directive_listing_only)),
    ("LIST", directive!(directive_listing_only)),
    ("SPACE", directive!(directive_listing_only)),
    ("EJECT", directive!(directive_listing_only)),
    ("COMMENT", directive!(directive_comment)),
    ("ENTRY", directive!(directive_entry_or_external)),
    ("EXT", directive!(directive_entry_or_external)),
    ("START", directive!(directive_start)),
    ("BASE", directive!(directive_base)),
    ("ORG", directive!(directive_org)),
    ("BSS", directive!(directive_reserve)),
    ("BSSZ", directive!(directive_reserve)),
    ("CON", directive!(directive_constants)),
    ("DATA", directive!(directive_constants)),
    ("VWD", directive!(directive_variable_width_data)),
    ("ALIGN", directive!(directive_align)),
    ("=", directive!(directive_equate)),
    ("SET", directive!(directive_equate)),
    ("MACRO", directive!(directive_macro_start)),
    ("ENDM", directive!(directive_stray_endm)),
];

impl Asm<'_> {
    fn word_label(&mut self, statement: &Statement, origin: &Origin) {
        self.align_word();
        if let Some(label) = &statement.label {
            self.define_word_here(label, origin);
        }
    }

    /// Handles `name` if it is a pseudo-instruction; false otherwise.
    pub fn pseudo(&mut self, name: &str, statement: &Statement, origin: &Origin) -> bool {
        let Some((_, directive)) = DIRECTIVES.iter().find(|(known, _)| *known == name) else {
            return false;
        };
        if let Err(problem) = directive(self, name, statement, origin) {
            self.report(origin, problem, false);
            self.list(origin, None, String::new(), None);
        }
        true
    }

    /// IDENT: the module name.
    fn directive_ident(
        &mut self,
        name: &str,
        statement: &Statement,
        origin: &Origin,
    ) -> PResult<()> {
        let f = need_operand(statement, name, "the module name")?;
        self.module = Some(f.text.clone());
        self.list(origin, None, String::new(), None);
        Ok(())
    }

    /// END: the end of the program.
    fn directive_end(
        &mut self,
        _name: &str,
        _statement: &Statement,
        origin: &Origin,
    ) -> PResult<()> {
        self.list(origin, None, String::new(), None);
        self.finish_program();
        self.ended = true;
        Ok(())
    }

    /// TITLE, SUBTITLE, LIST, SPACE, EJECT: listing control, accepted with no effect.
    fn directive_listing_only(
        &mut self,
        _name: &str,
        _statement: &Statement,
        origin: &Origin,
    ) -> PResult<()> {
        self.list(origin, None, String::new(), None);
        Ok(())
    }

    /// COMMENT: the comment carried in the binary.
    fn directive_comment(
        &mut self,
        name: &str,
        statement: &Statement,
        origin: &Origin,
    ) -> PResult<()> {
        let f = need_operand(statement, name, "a quoted comment")?;
        self.comment = Some(unquote(&f.text));
        self.list(origin, None, String::new(), None);
        Ok(())
    }

    /// ENTRY and EXT: symbols this module offers or uses.
    fn directive_entry_or_external(
        &mut self,
        name: &str,
        statement: &Statement,
        origin: &Origin,
    ) -> PResult<()> {
        let f = need_operand(statement, name, "symbol names separated by commas")?.clone();
        for (offset, symbol) in split_commas(&f.text) {
            let field = Field {
                text: symbol.clone(),
                column: f.column + offset,
            };
            if name == "ENTRY" {
                self.entries.push(symbol);
            } else {
                let value = Value {
                    value: 0,
                    attr: Attr::External,
                    undefined: false,
                };
                self.define(&field, value, false, origin);
                self.externals.push(symbol);
            }
        }
        self.list(origin, None, String::new(), None);
        Ok(())
    }

    /// START: the entry symbol.
    fn directive_start(
        &mut self,
        name: &str,
        statement: &Statement,
        origin: &Origin,
    ) -> PResult<()> {
        let f = need_operand(statement, name, "the entry symbol")?;
        self.start = Some((f.text.clone(), origin.line, f.column));
        self.list(origin, None, String::new(), None);
        Ok(())
    }

    /// BASE: the radix of numbers without a prefix.
    fn directive_base(
        &mut self,
        name: &str,
        statement: &Statement,
        origin: &Origin,
    ) -> PResult<()> {
        let f = need_operand(statement, name, "O, D or M")?;
        self.base = match f.text.to_ascii_uppercase().as_str() {
            "O" => Base::Octal,
            "D" => Base::Decimal,
            "M" => Base::Mixed,
            _ => {
                return Err(Problem::new(
                    f.column,
                    format!(
                        "unknown base `{}`; expected O (octal), D (decimal) or M (mixed)",
                        f.text
                    ),
                ))
            }
        };
        self.list(origin, None, String::new(), None);
        Ok(())
    }

    /// ORG: the location counter.
    fn directive_org(&mut self, name: &str, statement: &Statement, origin: &Origin) -> PResult<()> {
        let f = need_operand(statement, name, "a word address")?;
        let v = self.eval(f)?;
        if v.undefined {
            return Err(Problem::new(
                f.column,
                "ORG must use only symbols defined before it",
            ));
        }
        let parcel = match v.attr {
            Attr::Parcel => v.value,
            _ => v.value.wrapping_mul(4),
        };
        let lowest = i64::from(self.options.origin) * 4;
        if parcel < lowest || parcel >= 1 << 26 {
            return Err(Problem::new(
                f.column,
                format!(
                    "ORG {:o} is outside the program; expected a word address from {:o} (octal)",
                    v.value, self.options.origin
                ),
            ));
        }
        self.loc = parcel as u32;
        self.partial_bits = 0;
        if let Some(label) = &statement.label {
            self.define_word_here(label, origin);
        }
        self.list(origin, Some(self.loc), String::new(), None);
        Ok(())
    }

    /// BSS and BSSZ: reserve (zeroed) words.
    fn directive_reserve(
        &mut self,
        name: &str,
        statement: &Statement,
        origin: &Origin,
    ) -> PResult<()> {
        let f = need_operand(statement, name, "a word count")?.clone();
        let n = count(self, &f, name)?;
        if n > MEMORY_WORDS - i64::from(self.loc / 4) {
            return Err(Problem::new(
                f.column,
                format!("{name} {n:o} would run past the end of memory (100000000 words, octal)"),
            ));
        }
        self.word_label(statement, origin);
        let address = self.loc;
        if !self.first {
            for w in 0..n as u32 {
                self.image.insert(address / 4 + w, 0);
            }
        }
        self.loc += (n as u32) * 4;
        self.end_word = self.end_word.max(self.loc / 4);
        self.list(origin, Some(address), String::new(), Some(format!("{n:o}")));
        Ok(())
    }

    /// CON and DATA: words of values or character constants.
    fn directive_constants(
        &mut self,
        name: &str,
        statement: &Statement,
        origin: &Origin,
    ) -> PResult<()> {
        let f = need_operand(statement, name, "values separated by commas")?.clone();
        self.word_label(statement, origin);
        let address = self.loc;
        let mut all = Vec::new();
        for (offset, item) in split_commas(&f.text) {
            let column = f.column + offset;
            let words = if name == "DATA" {
                data_item(self, &item, column)
            } else {
                expr::evaluate(&item, column, self, false).map(|v| vec![v.value as u64])
            };
            match words {
                Ok(w) => all.extend(w),
                Err(p) => {
                    // Keep the size stable, report, and go on.
                    all.extend(vec![0; item_words(&item, self.base)]);
                    self.report(origin, p, false);
                }
            }
        }
        self.emit_words(origin, address, &all);
        Ok(())
    }

    /// VWD: fields of given widths. A labeled VWD starts a word (its label is a word
    /// address); an unlabeled one packs its fields at the bit where the last VWD field
    /// ended, as CAL does, so a stray parcel in the middle of a word can be written
    /// as `VWD 16/...` and a word can be built over several lines.
    fn directive_variable_width_data(
        &mut self,
        name: &str,
        statement: &Statement,
        origin: &Origin,
    ) -> PResult<()> {
        let f = need_operand(statement, name, "fields width/value separated by commas")?.clone();
        let mut fields = Vec::new();
        for (offset, item) in split_commas(&f.text) {
            fields.push(self.variable_width_field(&item, f.column + offset)?);
        }
        if statement.label.is_some() {
            self.word_label(statement, origin);
        }
        let start = self.loc;
        for (width, value) in fields {
            self.put_bits(value, width);
        }
        self.list_variable_width_data(origin, start);
        Ok(())
    }

    /// One `width/value` field of a VWD: the width (decimal under mixed base, 0..64)
    /// and the value.
    fn variable_width_field(&mut self, item: &str, column: usize) -> PResult<(u32, u64)> {
        let Some((width, value)) = item.split_once('/') else {
            return Err(Problem::new(column, "expected a field `width/value`"));
        };
        let base = self.base;
        if base == Base::Mixed {
            self.base = Base::Decimal;
        }
        let w = expr::evaluate(width, column, self, false);
        self.base = base;
        let w = w?;
        if w.is_relocatable() || !(0..=64).contains(&w.value) {
            return Err(Problem::new(
                column,
                "VWD field width must be 0..64 (decimal)",
            ));
        }
        let v = expr::evaluate(value, column + width.len() + 1, self, false)?;
        Ok((w.value as u32, v.value as u64))
    }

    /// Writes the low `width` bits of `value` at the current bit position and moves past
    /// them.
    fn put_bits(&mut self, value: u64, width: u32) {
        let mut bit = u64::from(self.loc) * 16 + u64::from(self.partial_bits);
        for k in (0..width).rev() {
            if !self.first {
                let mask = 1u64 << (63 - bit % 64);
                let slot = self.image.entry((bit / 64) as u32).or_insert(0);
                *slot = if (value >> k) & 1 == 1 {
                    *slot | mask
                } else {
                    *slot & !mask
                };
            }
            bit += 1;
        }
        self.loc = (bit / 16) as u32;
        self.partial_bits = (bit % 16) as u32;
        self.end_word = self.end_word.max(bit.div_ceil(64) as u32);
    }

    /// The listing of a VWD that started at parcel `start`: the words it wrote into.
    fn list_variable_width_data(&mut self, origin: &Origin, start: u32) {
        let end = self.location_parcel().max(start + 1);
        let words: Vec<String> = (start / 4..end.div_ceil(4))
            .map(|w| format!("{:022o}", self.image.get(&w).copied().unwrap_or(0)))
            .collect();
        self.list(origin, Some(start), words.join(" "), None);
    }

    /// ALIGN: to the next word.
    fn directive_align(
        &mut self,
        _name: &str,
        statement: &Statement,
        origin: &Origin,
    ) -> PResult<()> {
        self.word_label(statement, origin);
        self.list(origin, Some(self.loc), String::new(), None);
        Ok(())
    }

    /// `=` and SET: define a symbol (SET may redefine it).
    fn directive_equate(
        &mut self,
        name: &str,
        statement: &Statement,
        origin: &Origin,
    ) -> PResult<()> {
        let Some(label) = statement.label.clone() else {
            let column = statement.result.as_ref().map(|r| r.column).unwrap_or(1);
            return Err(Problem::new(
                column,
                format!("`{name}` needs a symbol in the location field"),
            ));
        };
        let f = need_operand(statement, name, "a value")?;
        // A symbol defined from `*` or an instruction label names a parcel,
        // as a label does (`HERE = *` then `J HERE`); an expression mixing
        // parcels and words (`*-BUF`) is taken in words.
        let v = expr::evaluate(&f.text, f.column, self, true).or_else(|_| self.eval(f))?;
        self.define(&label, v, name == "SET", origin);
        self.list(origin, None, String::new(), Some(Asm::value_text(&v)));
        Ok(())
    }

    /// MACRO: begins a definition.
    fn directive_macro_start(
        &mut self,
        _name: &str,
        _statement: &Statement,
        origin: &Origin,
    ) -> PResult<()> {
        self.defining = Some((None, origin.line));
        self.list(origin, None, String::new(), None);
        Ok(())
    }

    /// ENDM outside a definition (the macro collector consumes the others).
    fn directive_stray_endm(
        &mut self,
        _name: &str,
        statement: &Statement,
        _origin: &Origin,
    ) -> PResult<()> {
        let column = statement.result.as_ref().map(|r| r.column).unwrap_or(1);
        Err(Problem::new(column, "ENDM without a MACRO"))
    }

    fn emit_words(&mut self, origin: &Origin, address: u32, words: &[u64]) {
        for (index, &w) in words.iter().enumerate() {
            let at = self.loc;
            self.put_word(w);
            if index == 0 {
                self.list(origin, Some(at), format!("{w:022o}"), None);
            } else if !self.first {
                self.listing.push(crate::listing::ListingLine {
                    line: origin.line,
                    address: Some(at),
                    code: format!("{w:022o}"),
                    value: None,
                    source: String::new(),
                });
            }
        }
        if words.is_empty() {
            self.list(origin, Some(address), String::new(), None);
        }
    }
}
