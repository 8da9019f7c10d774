//! Disassembly: an [`Instruction`] rendered in CAL syntax from its table row.
//!
//! Numbers are written so that they read the same under any `BASE`: 0..7 plainly,
//! larger values in octal as `O'17`. Every rendering assembles back to the same
//! parcels; where CAL would choose a shorter encoding for the same value (a 020 or
//! 040 constant small enough for 022 or 042/043), the constant is written with a
//! leading `+`, which the `cray` assembler takes as "use the two-parcel form".

use super::syntax::{self, Piece, Placeholder};
use super::{form_of, Form, Instruction, Model, Op};
use std::fmt::Write;

/// Writes a non-negative constant so that it means the same under any BASE.
pub fn octal_constant(value: u64) -> String {
    if value < 8 {
        value.to_string()
    } else {
        format!("O'{value:o}")
    }
}

/// Renders `instruction` with the given table row.
pub fn render_form(form: &Form, instruction: Instruction) -> String {
    let syntax = syntax::parse(form.syntax);
    let mut text = String::new();
    render_pieces(&mut text, &syntax.result, instruction);
    if !syntax.operand.is_empty() {
        text.push(' ');
        render_pieces(&mut text, &syntax.operand, instruction);
    }
    text
}

/// True when CAL would encode the printed constant in a shorter form, so the
/// rendering must force the two-parcel form.
fn needs_long_form_marker(instruction: Instruction) -> bool {
    let jkm = instruction.jkm();
    match instruction.op {
        Op::AConstant => jkm < 64,
        // A value of -1 (jkm = 0) would assemble to 031i00; -1 for S to 042i00.
        Op::AComplementConstant | Op::SComplementConstant => jkm == 0,
        // 0 and 1 assemble to 043i00 and 042i77.
        Op::SConstant => jkm <= 1,
        _ => false,
    }
}

fn render_pieces(text: &mut String, pieces: &[Piece], instruction: Instruction) {
    for piece in pieces {
        match piece {
            Piece::Literal(literal) => {
                if literal == "#" && needs_long_form_marker(instruction) {
                    text.push('+');
                }
                text.push_str(literal);
            }
            Piece::Field(field) => render_field(text, *field, instruction),
        }
    }
}

fn render_field(text: &mut String, field: Placeholder, instruction: Instruction) {
    let _ = match field {
        Placeholder::RegH => write!(text, "{}", instruction.h()),
        Placeholder::RegI => write!(text, "{}", instruction.i()),
        Placeholder::RegJ => write!(text, "{}", instruction.j()),
        Placeholder::RegK => write!(text, "{}", instruction.k()),
        Placeholder::RegJk => write!(text, "{:o}", instruction.jk()),
        Placeholder::ConstJ => write!(text, "{}", instruction.j()),
        Placeholder::ConstJk => write!(text, "{}", octal_constant(instruction.jk() as u64)),
        Placeholder::ComplementCountJk => {
            let count = 64 - instruction.jk() as u64;
            write!(text, "{}", octal_constant(count))
        }
        Placeholder::ConstIjk => write!(text, "{}", octal_constant(instruction.ijk().into())),
        Placeholder::ConstJkm => {
            let is_complement_row = matches!(
                instruction.op,
                Op::AComplementConstant | Op::SComplementConstant
            );
            if !is_complement_row && needs_long_form_marker(instruction) {
                text.push('+');
            }
            write!(text, "{}", octal_constant(instruction.jkm().into()))
        }
        Placeholder::Displacement => {
            let jkm = instruction.jkm();
            if jkm & (1 << 21) != 0 {
                let magnitude = (1u64 << 22) - u64::from(jkm);
                write!(text, "-{}", octal_constant(magnitude))
            } else {
                write!(text, "{}", octal_constant(jkm.into()))
            }
        }
        Placeholder::Target => write!(text, "{}", octal_constant(instruction.target().into())),
    };
}

/// Disassembles one instruction in CAL syntax, or `None` if its first parcel is not an
/// instruction of `model` (callers print such words as data).
pub fn disassemble(instruction: Instruction, model: Model) -> Option<String> {
    let form = form_of(instruction.p1, model)?;
    Some(render_form(form, instruction))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::decode;

    fn dis(p1: u16, p2: u16) -> String {
        disassemble(decode(p1, p2, Model::XMp), Model::XMp).unwrap()
    }

    #[test]
    fn renders_listing_examples() {
        assert_eq!(dis(0o030123, 0), "A1 A2+A3");
        assert_eq!(dis(0o030102, 0), "A1 A2");
        assert_eq!(dis(0o030230, 0), "A2 A3+1");
        assert_eq!(dis(0o042273, 0), "S2 <5");
        assert_eq!(dis(0o042400, 0), "S4 <O'100");
        assert_eq!(dis(0o053373, 0), "S0 S3>5");
        assert_eq!(dis(0o045271, 0), "S2 #S1&S7");
        assert_eq!(dis(0o034407, 0), "B7,A4 ,A0");
        assert_eq!(dis(0o035522, 0), ",A0 B22,A5");
        assert_eq!(dis(0o005017, 0), "J B17");
        assert_eq!(dis(0o006000, 0o30), "J O'30");
        assert_eq!(dis(0o102477, 0o177777), "A4 -1,A2");
        assert_eq!(dis(0o100500, 0o3000), "A5 O'3000,");
        assert_eq!(dis(0o110500, 0o3000), "O'3000, A5");
        assert_eq!(dis(0o020200, 0o130), "A2 O'130");
        assert_eq!(dis(0o020200, 0o5), "A2 +5");
        assert_eq!(dis(0o021200, 0o10), "A2 #O'10");
        assert_eq!(dis(0o021200, 0), "A2 +#0");
        assert_eq!(dis(0o040100, 1), "S1 +1");
        assert_eq!(dis(0o176500, 0), "V5 ,A0,1");
        assert_eq!(dis(0o177165, 0), ",A0,V5 V6");
        assert_eq!(dis(0o003407, 0), "SM7 1,TS");
        assert_eq!(dis(0o001000, 0), "PASS");
    }

    #[test]
    fn undefined_words_do_not_disassemble() {
        assert!(disassemble(decode(0o001412, 0, Model::XMp), Model::XMp).is_none());
    }
}
