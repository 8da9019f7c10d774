//! The syntax language of the opcode table's `syntax` column.
//!
//! A syntax string is the CAL result field, one blank, and the CAL operand field (the
//! operand field may be absent). Everything is literal text except placeholders in
//! braces:
//!
//! | placeholder | meaning |
//! |---|---|
//! | `{h}` `{i}` `{j}` `{k}` | a register number taken from that field (one octal digit) |
//! | `{jk}` | a register number from fields j and k (B, T registers, semaphores) |
//! | `{j#}` `{jk#}` `{ijk#}` | the field's value as a constant expression |
//! | `{64-jk#}` | a count n encoded as jk = (64 - n) mod 64 (042, 053, 055) |
//! | `{jkm#}` | the 22-bit constant of 020, 021, 040, 041 |
//! | `{disp#}` | the signed 22-bit displacement of 10h..13h |
//! | `{target#}` | the 24-bit parcel address of jumps |
//!
//! The disassembler fills the placeholders in; the assembler matches source text
//! against the literal pieces and evaluates expressions for the numeric placeholders.

/// A field of the instruction that a placeholder reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placeholder {
    /// `{h}`: index register number.
    RegH,
    /// `{i}`: register number.
    RegI,
    /// `{j}`: register number.
    RegJ,
    /// `{k}`: register number.
    RegK,
    /// `{jk}`: register number 00..77.
    RegJk,
    /// `{j#}`: constant 0..7 in field j.
    ConstJ,
    /// `{jk#}`: constant 0..63.
    ConstJk,
    /// `{64-jk#}`: count n with jk = (64 - n) mod 64.
    ComplementCountJk,
    /// `{ijk#}`: constant 0..511.
    ConstIjk,
    /// `{jkm#}`: 22-bit constant.
    ConstJkm,
    /// `{disp#}`: signed 22-bit word displacement.
    Displacement,
    /// `{target#}`: 24-bit parcel address.
    Target,
}

impl Placeholder {
    fn from_name(name: &str) -> Option<Placeholder> {
        Some(match name {
            "h" => Placeholder::RegH,
            "i" => Placeholder::RegI,
            "j" => Placeholder::RegJ,
            "k" => Placeholder::RegK,
            "jk" => Placeholder::RegJk,
            "j#" => Placeholder::ConstJ,
            "jk#" => Placeholder::ConstJk,
            "64-jk#" => Placeholder::ComplementCountJk,
            "ijk#" => Placeholder::ConstIjk,
            "jkm#" => Placeholder::ConstJkm,
            "disp#" => Placeholder::Displacement,
            "target#" => Placeholder::Target,
            _ => return None,
        })
    }

    /// True for placeholders that stand for a constant expression rather than a
    /// register number.
    pub fn is_expression(self) -> bool {
        !matches!(
            self,
            Placeholder::RegH
                | Placeholder::RegI
                | Placeholder::RegJ
                | Placeholder::RegK
                | Placeholder::RegJk
        )
    }
}

/// One piece of a syntax string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Literal text that must appear as written.
    Literal(String),
    /// A field of the instruction.
    Field(Placeholder),
}

/// A syntax string split into its result and operand fields, each a list of pieces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Syntax {
    /// The result (destination) field.
    pub result: Vec<Piece>,
    /// The operand (source) field; empty when the instruction takes none.
    pub operand: Vec<Piece>,
}

/// Splits a table syntax string into pieces.
///
/// The table is static and checked by tests, so an unknown placeholder here is a bug
/// in the table: it is kept as literal text, which the round-trip tests then catch.
pub fn parse(syntax: &str) -> Syntax {
    let (result, operand) = match syntax.split_once(' ') {
        Some((r, o)) => (r, o),
        None => (syntax, ""),
    };
    Syntax {
        result: pieces(result),
        operand: pieces(operand),
    }
}

fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        literal.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => match Placeholder::from_name(&after[..end]) {
                Some(field) => {
                    if !literal.is_empty() {
                        out.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    out.push(Piece::Field(field));
                    rest = &after[end + 1..];
                }
                None => {
                    literal.push('{');
                    rest = after;
                }
            },
            None => {
                literal.push('{');
                rest = after;
            }
        }
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        out.push(Piece::Literal(literal));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_fields_and_placeholders() {
        let s = parse("A{i} A{j}+A{k}");
        assert_eq!(
            s.result,
            vec![Piece::Literal("A".into()), Piece::Field(Placeholder::RegI)]
        );
        assert_eq!(s.operand.len(), 4);
        let s = parse("EX");
        assert!(s.operand.is_empty());
        let s = parse("S{i} <{64-jk#}");
        assert_eq!(
            s.operand,
            vec![
                Piece::Literal("<".into()),
                Piece::Field(Placeholder::ComplementCountJk)
            ]
        );
    }

    #[test]
    fn every_table_placeholder_is_known() {
        for form in crate::isa::FORMS {
            let s = parse(form.syntax);
            for piece in s.result.iter().chain(s.operand.iter()) {
                if let Piece::Literal(text) = piece {
                    assert!(!text.contains('{'), "unknown placeholder in {:?}", form);
                }
            }
        }
    }
}
