//! Macro definition collection and expansion, as statements of the assembler.
//! (Parameter binding and substitution are in [`crate::macros`].)

use crate::assembler::{Asm, Origin, MAX_EXPANDED_BYTES, MAX_EXPANDED_LINES, MAX_MACRO_DEPTH};
use crate::error::Problem;
use crate::lexer::{self, Statement};
use crate::macros::Macro;

impl Asm<'_> {
    /// Takes one line of a macro definition (the prototype, a body line or ENDM).
    pub(crate) fn collect_macro_line(&mut self, text: &str, origin: &Origin) {
        let statement = lexer::split(text);
        self.list(origin, None, String::new(), None);
        let Some((proto, start_line)) = self.defining.take() else {
            return;
        };
        match proto {
            None => {
                if statement.is_empty() {
                    self.defining = Some((None, start_line));
                    return;
                }
                let Some(name) = statement.result.clone() else {
                    self.report(
                        origin,
                        Problem::new(1, "expected the macro prototype (name and parameters)"),
                        false,
                    );
                    self.defining = Some((Some(Macro::default()), start_line));
                    return;
                };
                let made = Macro::from_prototype(
                    statement
                        .label
                        .as_ref()
                        .map(|l| (l.text.as_str(), l.column)),
                    &name.text,
                    statement
                        .operand
                        .as_ref()
                        .map(|o| (o.text.as_str(), o.column)),
                    origin.line,
                );
                match made {
                    Ok(m) => self.defining = Some((Some(m), start_line)),
                    Err(p) => {
                        self.report(origin, p, false);
                        self.defining = Some((Some(Macro::default()), start_line));
                    }
                }
            }
            Some(mut m) => {
                let is_end = statement
                    .result
                    .as_ref()
                    .is_some_and(|r| r.text.eq_ignore_ascii_case("ENDM"));
                if is_end {
                    if !m.name.is_empty() {
                        self.macros.insert(m.name.clone(), m);
                    }
                } else {
                    m.body.push((origin.line, text.to_string()));
                    self.defining = Some((Some(m), start_line));
                }
            }
        }
    }

    /// Expands a macro call: binds the arguments and assembles the body lines.
    pub(crate) fn expand(&mut self, m: &Macro, statement: &Statement, origin: &Origin) {
        self.list(origin, None, String::new(), None);
        let values = match m.bind(
            statement.label.as_ref().map(|l| l.text.as_str()),
            statement
                .operand
                .as_ref()
                .map(|o| (o.text.as_str(), o.column)),
        ) {
            Ok(v) => v,
            Err(p) => {
                self.report(origin, p, false);
                return;
            }
        };
        if m.location.is_none() {
            if let Some(label) = &statement.label {
                self.define_here(label, origin);
            }
        }
        if self.depth >= MAX_MACRO_DEPTH {
            self.report(
                origin,
                Problem::new(
                    1,
                    format!(
                        "macro {} nests deeper than {MAX_MACRO_DEPTH} levels",
                        m.name
                    ),
                ),
                false,
            );
            return;
        }
        if self.depth == 0 {
            self.outermost = m.name.clone();
        }
        self.depth += 1;
        for (_, body) in &m.body {
            let text = crate::macros::substitute(body, &values);
            if !self.count_expanded(&text, origin) {
                break;
            }
            if text.len() > crate::MAX_LINE_BYTES {
                let problem = Problem::new(
                    1,
                    format!(
                        "macro {} makes a line of {} bytes; a CAL line holds at most {}",
                        m.name,
                        text.len(),
                        crate::MAX_LINE_BYTES
                    ),
                );
                self.report(origin, problem, false);
                continue;
            }
            let inner = Origin {
                line: origin.line,
                expansion: Some((m.name.clone(), text.clone())),
            };
            self.statement(&text, &inner);
            if self.ended {
                break;
            }
        }
        self.depth -= 1;
    }

    /// Counts an expanded line against [`MAX_EXPANDED_LINES`] and [`MAX_EXPANDED_BYTES`];
    /// past either, assembly stops with an error at the source line whose macro call
    /// started the expansion, and the result is false.
    fn count_expanded(&mut self, text: &str, origin: &Origin) -> bool {
        let (lines, bytes) = &mut self.expanded;
        *lines += 1;
        *bytes += text.len();
        if *lines <= MAX_EXPANDED_LINES && *bytes <= MAX_EXPANDED_BYTES {
            return true;
        }
        let message = format!(
            "macro expansion makes more than {MAX_EXPANDED_LINES} lines or {MAX_EXPANDED_BYTES} bytes; \
             stopped in the expansion of macro {} called here",
            self.outermost
        );
        // Reported from whichever pass gets here first (the first): no pass follows.
        let error = self.error_at(origin.line, 1, message);
        self.errors.push(error);
        self.stop();
        false
    }
}
