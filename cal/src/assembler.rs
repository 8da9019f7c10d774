//! The two-pass driver: statements, labels, symbols, location counter, memory image
//! and error collection. Pass 1 defines symbols and sizes; pass 2 encodes. Errors are
//! reported from pass 2 (and duplicate definitions from pass 1), so each is
//! reported once.

use crate::choices;
use crate::error::{AsmError, PResult, Problem};
use crate::expr::{self, Attr, Base, Env, Value};
use crate::lexer::{self, Field, Statement};
use crate::listing::{instruction_code, signed_octal, ListingLine};
use crate::literals::Pool;
use crate::macros::Macro;
use crate::matcher::{self, Src};
use crate::{Assembly, Options, Symbol};
use std::collections::{BTreeMap, BTreeSet};

/// The PASS instruction, used to pad to word boundaries.
const PASS: u16 = 0o001000;
/// Most repetitions of the first pass for symbols defined from later symbols.
const MAX_DEFINITION_PASSES: usize = 4;
/// Deepest macro nesting accepted.
pub const MAX_MACRO_DEPTH: usize = 32;
/// Most lines that macro expansion may make in one pass over the source. Depth alone
/// does not bound the work: a macro calling itself twice makes 2^32 lines at depth 32.
/// Macro-heavy real programs expand to a few thousand lines; 20,000 take about a
/// quarter of a second to assemble (50,000 took 0.7 s of CPU).
pub const MAX_EXPANDED_LINES: usize = 20_000;
/// Most bytes that macro expansion may make in one pass (arguments can make each line
/// long).
pub const MAX_EXPANDED_BYTES: usize = 8 << 20;
/// Errors after which assembly stops: a file that is not CAL at all would otherwise
/// cost an error (and its memory) per line.
pub const MAX_ERRORS: usize = 1000;

/// Where a statement comes from, for messages.
#[derive(Clone, Debug)]
pub(crate) struct Origin {
    /// Source line number.
    pub line: usize,
    /// Macro expansion context: macro name and the expanded text.
    pub expansion: Option<(String, String)>,
}

pub(crate) struct Asm<'s> {
    pub options: Options,
    pub file: String,
    pub lines: Vec<&'s str>,
    pub first: bool,
    pub symbols: BTreeMap<String, Symbol>,
    pub loc: u32,
    /// Bits of the parcel at `loc` already filled by VWD fields (0 at a parcel
    /// boundary). CAL packs an unlabeled VWD's fields at the bit where the last field
    /// ended, so a parcel can be filled a few bits at a time; anything else starts at
    /// the next whole parcel.
    pub partial_bits: u32,
    pub base: Base,
    pub image: BTreeMap<u32, u64>,
    pub end_word: u32,
    pub listing: Vec<ListingLine>,
    pub errors: Vec<AsmError>,
    pub pool: std::cell::RefCell<Pool>,
    pub forward_long: BTreeSet<usize>,
    pub serial: usize,
    pub module: Option<String>,
    pub comment: Option<String>,
    pub entries: Vec<String>,
    pub externals: Vec<String>,
    pub start: Option<(String, usize, usize)>,
    pub first_instruction: Option<u32>,
    pub macros: BTreeMap<String, Macro>,
    pub defining: Option<(Option<Macro>, usize)>,
    pub ended: bool,
    /// Assembly was given up (too many errors, macro expansion past its bound): no
    /// further pass runs.
    pub stopped: bool,
    pub depth: usize,
    /// Lines and bytes made by macro expansion in this pass.
    pub expanded: (usize, usize),
    /// The macro whose call on a source line the expansion under way started from.
    pub outermost: String,
    /// Which repetition of the first pass this is (0 = the first).
    pub iteration: usize,
}

impl Env for Asm<'_> {
    fn symbol(&self, name: &str) -> Option<Value> {
        self.symbols.get(name).map(|s| s.value)
    }
    fn location_parcel(&self) -> u32 {
        self.loc + u32::from(self.partial_bits > 0)
    }
    fn base(&self) -> Base {
        self.base
    }
    fn first_pass(&self) -> bool {
        self.first
    }
    fn literal(&self, text: &str, column: usize) -> PResult<Value> {
        if text.is_empty() {
            return Err(Problem::new(column, "expected a constant after `=`"));
        }
        if self.first {
            self.pool
                .borrow_mut()
                .intern(text, crate::pseudo::item_words(text, self.base));
        }
        let address = self.pool.borrow().address(text);
        match address {
            Some(word) if !self.first => Ok(Value {
                value: i64::from(word),
                attr: Attr::Word,
                undefined: false,
            }),
            _ => Ok(Value {
                value: 0,
                attr: Attr::Word,
                undefined: true,
            }),
        }
    }
}

pub(crate) fn run(source: &str, file: &str, options: &Options) -> Result<Assembly, Vec<AsmError>> {
    if source.len() as u64 > crate::MAX_SOURCE_BYTES {
        return Err(vec![AsmError {
            file: file.to_string(),
            line: 1,
            column: 1,
            message: format!(
                "the source is {} bytes long; CAL sources of at most {} bytes are assembled",
                source.len(),
                crate::MAX_SOURCE_BYTES
            ),
            source_line: String::new(),
        }]);
    }
    let lines: Vec<&str> = source.lines().collect();
    let default_module = std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("MAIN")
        .to_string();
    let mut asm = Asm {
        options: options.clone(),
        file: file.to_string(),
        lines,
        first: true,
        symbols: BTreeMap::new(),
        loc: options.origin * 4,
        partial_bits: 0,
        base: Base::Decimal,
        image: BTreeMap::new(),
        end_word: options.origin,
        listing: Vec::new(),
        errors: Vec::new(),
        pool: std::cell::RefCell::new(Pool::default()),
        forward_long: BTreeSet::new(),
        serial: 0,
        module: None,
        comment: None,
        entries: Vec::new(),
        externals: Vec::new(),
        start: None,
        first_instruction: None,
        macros: BTreeMap::new(),
        defining: None,
        ended: false,
        stopped: false,
        depth: 0,
        expanded: (0, 0),
        outermost: String::new(),
        iteration: 0,
    };
    asm.pass();
    if asm.stopped {
        return Err(asm.errors);
    }
    let pass1_errors = std::mem::take(&mut asm.errors);
    // `=` symbols defined from later symbols: repeat the first pass (sizes fixed by
    // the first iteration) until every value is known.
    while asm.iteration < MAX_DEFINITION_PASSES && asm.symbols.values().any(|s| s.value.undefined) {
        asm.iteration += 1;
        asm.reset();
        asm.pass();
        asm.errors.clear();
    }
    let pass1_symbols = asm.symbols.clone();
    // Second pass: same statements, symbols known.
    asm.first = false;
    asm.reset();
    asm.pass();
    let mut errors = pass1_errors;
    errors.append(&mut asm.errors);
    for (name, symbol) in &asm.symbols {
        if symbol.redefinable {
            continue;
        }
        if let Some(before) = pass1_symbols.get(name) {
            if before.value.value != symbol.value.value
                && !before.value.undefined
                && errors.is_empty()
            {
                errors.push(asm.error_at(
                    symbol.line,
                    1,
                    format!(
                        "phase error: `{name}` was {:o} in the first pass and {:o} in the second (a size depends on a symbol defined later)",
                        before.value.value, symbol.value.value
                    ),
                ));
            }
        }
    }
    let entry_parcel = match &asm.start {
        Some((name, line, column)) => match asm.symbols.get(name) {
            Some(s) => match s.value.attr {
                Attr::Word => (s.value.value * 4) as u32,
                _ => s.value.value as u32,
            },
            None => {
                errors.push(asm.error_at(
                    *line,
                    *column,
                    format!("START names `{name}`, which is not defined"),
                ));
                0
            }
        },
        None => asm.first_instruction.unwrap_or(options.origin * 4),
    };
    if !errors.is_empty() {
        errors.sort_by_key(|e| (e.line, e.column));
        return Err(errors);
    }
    let mut words = vec![0u64; (asm.end_word - options.origin) as usize];
    for (&word, &value) in &asm.image {
        if let Some(slot) = words.get_mut((word - options.origin) as usize) {
            *slot = value;
        }
    }
    Ok(Assembly {
        module: asm.module.clone().unwrap_or(default_module),
        words,
        origin: options.origin,
        entry_parcel,
        symbols: asm.symbols.clone(),
        entries: asm.entries.clone(),
        externals: asm.externals.clone(),
        comment: asm.comment.clone(),
        listing: asm.listing.clone(),
    })
}

/// True when `text` starts with a register designator (`A2`, `S.I`, `SB`, `V3`).
fn looks_like_register(text: &str) -> bool {
    let upper = text.to_ascii_uppercase();
    let mut chars = upper.chars();
    let (Some(first), Some(second)) = (chars.next(), chars.next()) else {
        return false;
    };
    if !matches!(first, 'A' | 'S' | 'B' | 'T' | 'V') {
        return false;
    }
    if second == '.' || upper.starts_with("SB") {
        return true;
    }
    let digits: String = upper[1..]
        .chars()
        .take_while(|c| lexer::is_symbol_char(*c))
        .collect();
    !digits.is_empty() && digits.chars().all(|c| c.is_digit(8))
}

impl Asm<'_> {
    /// An error at a line and column of the source.
    pub fn error_at(&self, line: usize, column: usize, message: String) -> AsmError {
        let source_line = self.lines.get(line.wrapping_sub(1)).unwrap_or(&"");
        AsmError {
            file: self.file.clone(),
            line,
            column: column.max(1),
            message: crate::error::shorten_quotes(&message),
            source_line: crate::error::clip(source_line, crate::MAX_LINE_BYTES).to_string(),
        }
    }

    /// Records an error, unless [`MAX_ERRORS`] are recorded already: then assembly
    /// stops with one more saying so.
    fn push_error(&mut self, error: AsmError) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(error);
            return;
        }
        if !self.stopped {
            let line = error.line;
            let mut last = self.error_at(
                line,
                1,
                format!("more than {MAX_ERRORS} errors; assembly stopped here"),
            );
            last.source_line = error.source_line;
            self.errors.push(last);
            self.stop();
        }
    }

    /// Gives assembly up: the statements left and the passes left are not run.
    pub fn stop(&mut self) {
        self.stopped = true;
        self.ended = true;
    }

    /// Records a problem of a statement. Most problems are reported from the second
    /// pass; those only the first pass can see (duplicate definitions) pass
    /// `first_pass_only`.
    pub fn report(&mut self, origin: &Origin, problem: Problem, first_pass_only: bool) {
        let first_iteration = self.first && self.iteration == 0;
        if first_iteration != first_pass_only || (self.first && self.iteration > 0) {
            return;
        }
        let error = match &origin.expansion {
            None => self.error_at(origin.line, problem.column, problem.message),
            Some((name, text)) => {
                let column = self
                    .lines
                    .get(origin.line - 1)
                    .and_then(|l| lexer::split(l).result.map(|f| f.column))
                    .unwrap_or(1);
                self.error_at(
                    origin.line,
                    column,
                    format!(
                        "{} (in expansion of macro {name}: `{}`)",
                        problem.message,
                        text.trim()
                    ),
                )
            }
        };
        self.push_error(error);
    }

    fn pass(&mut self) {
        for index in 0..self.lines.len() {
            if self.ended {
                break;
            }
            let text = self.lines[index].to_string();
            let origin = Origin {
                line: index + 1,
                expansion: None,
            };
            if text.len() > crate::MAX_LINE_BYTES {
                let problem = Problem::new(
                    1,
                    format!(
                        "line is {} bytes long; a CAL line holds at most {}",
                        text.len(),
                        crate::MAX_LINE_BYTES
                    ),
                );
                self.report(&origin, problem, false);
                continue;
            }
            self.statement(&text, &origin);
        }
        if self.defining.is_some() {
            let line = self.defining.as_ref().map(|d| d.1).unwrap_or(1);
            self.report(
                &Origin {
                    line,
                    expansion: None,
                },
                Problem::new(1, "MACRO has no matching ENDM"),
                false,
            );
            self.defining = None;
        }
        if !self.ended {
            self.finish_program();
        }
    }

    pub fn list(
        &mut self,
        origin: &Origin,
        address: Option<u32>,
        code: String,
        value: Option<String>,
    ) {
        if self.first {
            return;
        }
        let source = match &origin.expansion {
            Some((_, text)) => text.clone(),
            None => self.lines.get(origin.line - 1).unwrap_or(&"").to_string(),
        };
        self.listing.push(ListingLine {
            line: origin.line,
            address,
            code,
            value,
            source,
        });
    }

    /// Processes one source statement.
    pub fn statement(&mut self, text: &str, origin: &Origin) {
        if self.defining.is_some() {
            self.collect_macro_line(text, origin);
            return;
        }
        let statement = lexer::split(text);
        if statement.is_empty() {
            self.list(origin, None, String::new(), None);
            return;
        }
        let Some(result) = statement.result.clone() else {
            // A label alone: it names the current parcel.
            if let Some(label) = &statement.label {
                self.define_here(label, origin);
            }
            self.list(origin, None, String::new(), None);
            return;
        };
        let name = result.text.to_ascii_uppercase();
        if self.pseudo(&name, &statement, origin) {
            return;
        }
        if let Some(m) = self.macros.get(&result.text).cloned() {
            self.expand(&m, &statement, origin);
            return;
        }
        self.instruction(&statement, &result, origin);
    }

    /// Defines a label or `=`/SET symbol.
    /// Defines `label` as the current parcel address (a label on an instruction, on a
    /// macro call, or alone on its line).
    pub fn define_here(&mut self, label: &Field, origin: &Origin) {
        self.close_partial_parcel();
        let value = Value {
            value: i64::from(self.loc),
            attr: Attr::Parcel,
            undefined: false,
        };
        self.define(label, value, false, origin);
    }

    /// Defines `label` as the current word address (DATA, BSS, ORG and the like, which
    /// start on a word boundary).
    pub fn define_word_here(&mut self, label: &Field, origin: &Origin) {
        self.close_partial_parcel();
        let value = Value {
            value: i64::from(self.loc / 4),
            attr: Attr::Word,
            undefined: false,
        };
        self.define(label, value, false, origin);
    }

    pub fn define(&mut self, label: &Field, value: Value, redefinable: bool, origin: &Origin) {
        let name = label.text.clone();
        let valid = name.chars().next().is_some_and(|c| !c.is_ascii_digit())
            && name.chars().all(lexer::is_symbol_char);
        if !valid {
            self.report(
                origin,
                Problem::new(label.column, format!("`{name}` is not a valid symbol name")),
                false,
            );
            return;
        }
        if self.first && self.iteration == 0 {
            if let Some(old) = self.symbols.get(&name) {
                if !(old.redefinable && redefinable) {
                    let message =
                        format!("symbol `{name}` is already defined at line {}", old.line);
                    self.report(origin, Problem::new(label.column, message), true);
                    return;
                }
            }
        } else if let Some(old) = self.symbols.get(&name) {
            if !old.redefinable && old.line != origin.line {
                return;
            }
        }
        self.symbols.insert(
            name,
            Symbol {
                value,
                redefinable,
                line: origin.line,
            },
        );
    }

    /// Resets the per-pass state (symbols, literal pool and size decisions stay).
    fn reset(&mut self) {
        self.loc = self.options.origin * 4;
        self.partial_bits = 0;
        self.base = Base::Decimal;
        self.image.clear();
        self.end_word = self.options.origin;
        self.listing.clear();
        self.serial = 0;
        self.module = None;
        self.comment = None;
        self.entries.clear();
        self.externals.clear();
        self.start = None;
        self.first_instruction = None;
        self.macros.clear();
        self.defining = None;
        self.ended = false;
        self.depth = 0;
        self.expanded = (0, 0);
    }

    /// Moves past a parcel that VWD fields filled in part: what follows starts at the
    /// next whole parcel, the rest of that one left zero.
    pub fn close_partial_parcel(&mut self) {
        if self.partial_bits > 0 {
            self.loc += 1;
            self.partial_bits = 0;
        }
    }

    /// Pads with PASS to the next word boundary.
    pub fn align_word(&mut self) {
        self.close_partial_parcel();
        while self.loc & 3 != 0 {
            self.put_parcel(PASS);
        }
    }

    pub fn put_parcel(&mut self, parcel: u16) {
        self.close_partial_parcel();
        let word = self.loc / 4;
        let shift = (3 - self.loc % 4) * 16;
        if !self.first {
            let slot = self.image.entry(word).or_insert(0);
            *slot = (*slot & !(0xFFFFu64 << shift)) | (u64::from(parcel) << shift);
        }
        self.loc += 1;
        self.end_word = self.end_word.max(self.loc.div_ceil(4));
    }

    pub fn put_word(&mut self, value: u64) {
        self.close_partial_parcel();
        debug_assert!(self.loc & 3 == 0);
        if !self.first {
            self.image.insert(self.loc / 4, value);
        }
        self.loc += 4;
        self.end_word = self.end_word.max(self.loc / 4);
    }

    fn instruction(&mut self, statement: &Statement, result: &Field, origin: &Origin) {
        let serial = self.serial;
        self.serial += 1;
        self.close_partial_parcel();
        if let Some(label) = &statement.label {
            self.define_here(label, origin);
        }
        let result_src = Src {
            text: &result.text,
            column: result.column,
        };
        let operand_field = statement.operand.clone();
        let operand_src = match &operand_field {
            Some(f) => Src {
                text: &f.text,
                column: f.column,
            },
            None => Src {
                text: "",
                column: result.column + result.text.len() + 1,
            },
        };
        let force_long = self.forward_long.contains(&serial);
        match self.encode(result_src, operand_src, force_long) {
            Ok(encoded) => {
                if self.first && encoded.forward {
                    self.forward_long.insert(serial);
                }
                let address = self.loc;
                if self.first_instruction.is_none() {
                    self.first_instruction = Some(address);
                }
                for &p in &encoded.parcels {
                    self.put_parcel(p);
                }
                let code = instruction_code(&encoded.parcels, encoded.relocatable);
                self.list(origin, Some(address), code, None);
            }
            Err(problem) => {
                // Keep sizes stable: a bad instruction still takes one parcel.
                self.report(origin, problem, false);
                self.put_parcel(0);
                self.list(origin, None, String::new(), None);
            }
        }
    }

    fn encode(
        &self,
        result: Src<'_>,
        operand: Src<'_>,
        force_long: bool,
    ) -> PResult<matcher::Encoded> {
        let model = self.options.model;
        if let Some(done) = choices::special(result, operand, self) {
            return done;
        }
        let mut results = vec![result.text.to_string()];
        results.extend(choices::respellings(result.text));
        let mut operands = vec![operand.text.to_string()];
        operands.extend(choices::respellings(operand.text));
        for r in &results {
            for o in &operands {
                let rs = Src {
                    text: r,
                    column: result.column,
                };
                let os = Src {
                    text: o,
                    column: operand.column,
                };
                if let Some(found) = matcher::best(matcher::candidates(rs, os, model)) {
                    return matcher::encode(found.form, &found.captures, self);
                }
            }
        }
        if let Some(done) = choices::constant(result, operand, self, force_long) {
            // A register-looking operand that fits no row is a wrong form, not a
            // constant with an undefined symbol.
            if done.is_ok() || !looks_like_register(operand.text) {
                return done;
            }
        }
        Err(self.no_match(result, operand))
    }

    /// The error for a statement no row accepts, with what was expected.
    fn no_match(&self, result: Src<'_>, operand: Src<'_>) -> Problem {
        let mut expected: Vec<String> = Vec::new();
        for (form, syntax) in cray_emulator::isa::FORMS
            .iter()
            .zip(matcher::parsed_forms())
        {
            if form.xmp_only && self.options.model == cray_emulator::isa::Model::Cray1 {
                continue;
            }
            if matcher::match_field(&syntax.result, result).is_some() {
                let shown = matcher::readable_syntax(form.syntax);
                if !expected.contains(&shown) {
                    expected.push(shown);
                }
            }
        }
        if expected.is_empty() {
            return Problem::new(
                result.column,
                format!(
                    "unknown instruction, pseudo-instruction or macro `{}`",
                    result.text
                ),
            );
        }
        // Forms using the same operators as the operand come first.
        let operators =
            |t: &str| -> Vec<char> { t.chars().filter(|c| "+-*/&!\\<>#,".contains(*c)).collect() };
        let wanted = operators(operand.text);
        expected.sort_by_key(|form| {
            let operand_part = form.split_once(' ').map(|(_, o)| o).unwrap_or("");
            let have = operators(operand_part);
            let common = wanted.iter().filter(|c| have.contains(c)).count();
            let extra = have.iter().filter(|c| !wanted.contains(c)).count();
            (std::cmp::Reverse(common), extra)
        });
        let shown: Vec<String> = expected.iter().take(8).map(|s| format!("`{s}`")).collect();
        let more = if expected.len() > 8 { ", ..." } else { "" };
        let what = if operand.text.is_empty() {
            "a missing operand".to_string()
        } else {
            format!("operand `{}`", operand.text)
        };
        Problem::new(
            operand.column,
            format!(
                "no form of `{}` takes {what}; expected one of {}{more}",
                result.text,
                shown.join(", ")
            ),
        )
    }

    /// Places the literal pool (END, or the end of the file).
    pub fn finish_program(&mut self) {
        if self.pool.borrow().entries.is_empty() {
            return;
        }
        self.align_word();
        if self.first {
            let words = {
                let mut pool = self.pool.borrow_mut();
                pool.base_word = Some(self.loc / 4);
                pool.words()
            };
            self.loc += words * 4;
            self.end_word = self.end_word.max(self.loc / 4);
            return;
        }
        let entries = self.pool.borrow().entries.clone();
        for (text, _) in entries {
            let origin = Origin {
                line: self.lines.len().max(1),
                expansion: None,
            };
            let words = match crate::pseudo::data_item(self, &text, 1) {
                Ok(words) => words,
                Err(p) => {
                    self.report(&origin, p, false);
                    vec![0; crate::pseudo::item_words(&text, self.base)]
                }
            };
            for (index, w) in words.into_iter().enumerate() {
                let address = self.loc;
                self.put_word(w);
                let source = if index == 0 {
                    format!("         ={text}")
                } else {
                    String::new()
                };
                self.listing.push(ListingLine {
                    line: 0,
                    address: Some(address),
                    code: format!("{w:022o}"),
                    value: None,
                    source,
                });
            }
        }
    }

    /// Evaluates an expression field for a pseudo-instruction.
    pub fn eval(&self, field: &Field) -> PResult<Value> {
        expr::evaluate(&field.text, field.column, self, false)
    }

    /// Value text for the listing's value column.
    pub fn value_text(value: &Value) -> String {
        signed_octal(value.value)
    }
}
