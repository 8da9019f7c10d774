//! Splits a source line into CAL statement fields: location (label), result,
//! operand and comment.
//!
//! A `*` in column 1 makes the line a comment. Fields are separated by blanks; a
//! label starts in column 1. Quoted character constants may contain blanks, so the
//! splitter knows quotes (but not the `'` of the `O'17`, `D'10`, `X'1F` prefixes).
//! A `;` outside quotes starts a trailing comment.

/// One field of a statement and the column where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The text of the field.
    pub text: String,
    /// 1-based column of its first character.
    pub column: usize,
}

/// The fields of one source statement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Statement {
    /// Location field (label), if column 1 is not blank.
    pub label: Option<Field>,
    /// Result field (mnemonic or register expression).
    pub result: Option<Field>,
    /// Operand field.
    pub operand: Option<Field>,
}

impl Statement {
    /// True for comment and blank lines.
    pub fn is_empty(&self) -> bool {
        self.label.is_none() && self.result.is_none()
    }
}

/// True when the `'` at `index` opens a quoted string (rather than being the radix
/// mark of `O'`, `D'` or `X'`).
pub fn quote_opens(chars: &[char], index: usize) -> bool {
    if index == 0 {
        return true;
    }
    let prev = chars[index - 1].to_ascii_uppercase();
    if !matches!(prev, 'O' | 'D' | 'X') {
        return true;
    }
    let before = if index >= 2 {
        Some(chars[index - 2])
    } else {
        None
    };
    let starts_name = match before {
        None => true,
        Some(c) => !is_symbol_char(c),
    };
    !starts_name
}

/// Characters that may appear in a symbol name.
pub fn is_symbol_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '$' | '%' | '@' | '_')
}

/// Splits one line into statement fields.
pub fn split(line: &str) -> Statement {
    let chars: Vec<char> = line.chars().collect();
    if chars.first() == Some(&'*') {
        return Statement::default();
    }
    let mut fields: Vec<Field> = Vec::new();
    let mut index = 0;
    let mut label_present = false;
    while index < chars.len() {
        let c = chars[index];
        if c == ' ' || c == '\t' {
            index += 1;
            continue;
        }
        if c == ';' {
            break;
        }
        if index == 0 {
            label_present = true;
        }
        let start = index;
        let mut in_quote = false;
        while index < chars.len() {
            let c = chars[index];
            if in_quote {
                if c == '\'' {
                    in_quote = false;
                }
            } else if c == '\'' {
                in_quote = quote_opens(&chars, index);
            } else if c == ' ' || c == '\t' || c == ';' {
                break;
            }
            index += 1;
        }
        fields.push(Field {
            text: chars[start..index].iter().collect(),
            column: start + 1,
        });
        let wanted = if label_present { 3 } else { 2 };
        if fields.len() == wanted {
            break;
        }
    }
    let mut fields = fields.into_iter();
    let label = if label_present { fields.next() } else { None };
    Statement {
        label,
        result: fields.next(),
        operand: fields.next(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_comments() {
        let s = split("LOOP     A1        A2+A3     ; add");
        assert_eq!(s.label.unwrap().text, "LOOP");
        assert_eq!(s.result.as_ref().unwrap().text, "A1");
        assert_eq!(s.result.unwrap().column, 10);
        assert_eq!(s.operand.unwrap().text, "A2+A3");
        let s = split("         COMMENT   'Test program'");
        assert_eq!(s.operand.unwrap().text, "'Test program'");
        let s = split("         EX                ; exit");
        assert!(s.operand.is_none());
        assert!(split("* comment").is_empty());
        let s = split("         A3        O'10  trailing words");
        assert_eq!(s.operand.unwrap().text, "O'10");
    }
}
