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
        writeln!(f, "{}", self.source_line)?;
        let pad: String = self
            .source_line
            .chars()
            .take(self.column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "{pad}^")
    }
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
