//! MACRO/ENDM: definitions with positional and keyword parameters, and expansion by
//! whole-name substitution.
//!
//! ```text
//!          MACRO
//! LBL      NAME      P1,P2,KEY=DEFAULT
//!          ...       body using LBL, P1, P2, KEY
//! NAME     ENDM
//! ```
//! A call `HERE NAME X,Y,KEY=Z` substitutes the arguments for the parameter names.

use crate::error::{PResult, Problem};
use crate::lexer::{is_symbol_char, quote_opens};
use std::collections::BTreeMap;

/// A macro definition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Macro {
    /// Its name.
    pub name: String,
    /// The location-field parameter of the prototype, if any.
    pub location: Option<String>,
    /// Positional parameter names, in order.
    pub positional: Vec<String>,
    /// Keyword parameter names and their defaults.
    pub keywords: Vec<(String, String)>,
    /// Body lines with their source line numbers.
    pub body: Vec<(usize, String)>,
    /// Line where the definition starts.
    pub line: usize,
}

/// Splits an operand field at commas that are outside quotes and parentheses.
pub fn split_commas(text: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth = 0i32;
    let mut in_quote = false;
    for (i, &c) in chars.iter().enumerate() {
        if in_quote {
            if c == '\'' {
                in_quote = false;
            }
        } else if c == '\'' {
            in_quote = quote_opens(&chars, i);
        } else if c == '(' {
            depth += 1;
        } else if c == ')' {
            depth -= 1;
        } else if c == ',' && depth == 0 {
            out.push((start, chars[start..i].iter().collect()));
            start = i + 1;
        }
    }
    out.push((start, chars[start..].iter().collect()));
    out
}

fn check_name(name: &str, column: usize) -> PResult<()> {
    let ok = name.chars().next().is_some_and(|c| !c.is_ascii_digit())
        && name.chars().all(is_symbol_char);
    if ok {
        Ok(())
    } else {
        Err(Problem::new(
            column,
            format!("`{name}` is not a valid parameter name"),
        ))
    }
}

impl Macro {
    /// Builds a definition from its prototype statement.
    pub fn from_prototype(
        label: Option<(&str, usize)>,
        name: &str,
        params: Option<(&str, usize)>,
        line: usize,
    ) -> PResult<Macro> {
        let mut m = Macro {
            name: name.to_string(),
            line,
            ..Macro::default()
        };
        if let Some((l, column)) = label {
            check_name(l, column)?;
            m.location = Some(l.to_string());
        }
        if let Some((text, column)) = params {
            for (offset, param) in split_commas(text) {
                let column = column + offset;
                if param.is_empty() {
                    continue;
                }
                if let Some((key, default)) = param.split_once('=') {
                    check_name(key, column)?;
                    m.keywords.push((key.to_string(), default.to_string()));
                } else {
                    check_name(&param, column)?;
                    m.positional.push(param);
                }
            }
        }
        Ok(m)
    }

    /// The parameter values of a call.
    pub fn bind(
        &self,
        label: Option<&str>,
        operand: Option<(&str, usize)>,
    ) -> PResult<BTreeMap<String, String>> {
        let mut values = BTreeMap::new();
        if let Some(location) = &self.location {
            values.insert(location.clone(), label.unwrap_or("").to_string());
        }
        for (key, default) in &self.keywords {
            values.insert(key.clone(), default.clone());
        }
        for name in &self.positional {
            values.insert(name.clone(), String::new());
        }
        let mut position = 0;
        if let Some((text, column)) = operand {
            for (offset, arg) in split_commas(text) {
                if let Some((key, value)) = arg.split_once('=') {
                    if self.keywords.iter().any(|(k, _)| k == key) {
                        values.insert(key.to_string(), value.to_string());
                        continue;
                    }
                }
                match self.positional.get(position) {
                    Some(name) => {
                        values.insert(name.clone(), arg);
                    }
                    None if arg.is_empty() => {}
                    None => {
                        return Err(Problem::new(
                            column + offset,
                            format!(
                                "macro {} takes {} positional argument(s); `{arg}` is one too many",
                                self.name,
                                self.positional.len()
                            ),
                        ))
                    }
                }
                position += 1;
            }
        }
        Ok(values)
    }
}

/// Replaces every whole name in `line` that is a parameter by its value.
pub fn substitute(line: &str, values: &BTreeMap<String, String>) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        if is_symbol_char(chars[i]) {
            let start = i;
            while i < chars.len() && is_symbol_char(chars[i]) {
                i += 1;
            }
            let name: String = chars[start..i].iter().collect();
            match values.get(&name) {
                Some(v) => out.push_str(v),
                None => out.push_str(&name),
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}
