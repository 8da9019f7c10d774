//! Assembly errors: where (file, line, column) and what was expected.

use std::fmt;
use thiserror::Error;

/// One error found in the source. `Display` prints the GNU-style
/// `FILE:LINE:COL: error: message`, the source line and a caret under the column.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub struct AsmError {
    /// Source file name as given to [`crate::assemble`].
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is wrong, and what was expected.
    pub message: String,
    /// The source line, for the caret display.
    pub source_line: String,
}

impl fmt::Display for AsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}:{}:{}: error: {}",
            self.file, self.line, self.column, self.message
        )?;
        let (shown, caret) = window(&self.source_line, self.column.saturating_sub(1));
        writeln!(f, "{shown}")?;
        let pad: String = shown
            .chars()
            .take(caret)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "{pad}^")
    }
}

/// Characters of a source line or a quoted field shown in a message: a bad line may be
/// a megabyte of anything.
pub const EXCERPT_CHARS: usize = 60;

/// Up to [`EXCERPT_CHARS`] characters of `line` around the character at `column` (from
/// 0), with `...` where some were left out and control characters shown as `?`; and
/// the column of that character in what is shown.
fn window(line: &str, column: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    let printable = |c: &char| {
        if c.is_control() && *c != '\t' {
            '?'
        } else {
            *c
        }
    };
    if chars.len() <= EXCERPT_CHARS + 20 {
        return (chars.iter().map(printable).collect(), column);
    }
    let start = column
        .saturating_sub(EXCERPT_CHARS / 3)
        .min(chars.len() - EXCERPT_CHARS);
    let end = start + EXCERPT_CHARS;
    let mut shown = String::new();
    let mut caret = column - start;
    if start > 0 {
        shown.push_str("...");
        caret += 3;
    }
    shown.extend(chars[start..end].iter().map(printable));
    if end < chars.len() {
        shown.push_str("...");
    }
    (shown, caret)
}

/// `text` cut to its first [`EXCERPT_CHARS`] characters, with `...` when it was longer.
pub fn excerpt(text: &str) -> String {
    let mut chars = text.chars();
    let mut shown: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        shown.push_str("...");
    }
    shown
}

/// `message` with every `quoted` part cut to an [`excerpt`].
pub fn shorten_quotes(message: &str) -> String {
    message
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                excerpt(part)
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

/// At most the first `bytes` bytes of `text`, cut at a character boundary.
pub fn clip(text: &str, bytes: usize) -> &str {
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// An error before it is tied to a file and line: a column within the line and a
/// message. The assembler adds the location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based column.
    pub column: usize,
    /// Message.
    pub message: String,
}

impl Problem {
    /// A problem at `column`.
    pub fn new(column: usize, message: impl Into<String>) -> Self {
        Problem {
            column,
            message: message.into(),
        }
    }
}

/// Result type of the statement-level parts of the assembler.
pub type PResult<T> = Result<T, Problem>;
