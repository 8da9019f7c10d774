//! Decoding: parcels to [`Instruction`], through per-model lookup tables built once
//! from [`FORMS`].

use super::{table::FORMS, Form, Instruction, Model, Op};
use std::sync::OnceLock;

/// Marker for "no form matches" in the lookup tables.
const NO_FORM: u16 = u16::MAX;

/// For every possible first parcel, the index of the row in [`FORMS`] that decodes it.
struct Lookup {
    form_index: Vec<u16>,
}

impl Lookup {
    fn build(model: Model) -> Lookup {
        let mut form_index = vec![NO_FORM; 1 << 16];
        let mut best_specificity = vec![0u32; 1 << 16];
        for (index, form) in FORMS.iter().enumerate() {
            if form.xmp_only && model == Model::Cray1 {
                continue;
            }
            let (code, mask) = form.code_and_mask();
            let specificity = mask.count_ones() + 1;
            // Enumerate every parcel that agrees with the fixed bits.
            let free = !mask;
            let mut sub: u16 = 0;
            loop {
                let parcel = code | sub;
                let slot = parcel as usize;
                if specificity > best_specificity[slot] {
                    best_specificity[slot] = specificity;
                    form_index[slot] = index as u16;
                }
                // Next subset of the free bits (Carry-Rippler enumeration).
                sub = sub.wrapping_sub(free) & free;
                if sub == 0 {
                    break;
                }
            }
        }
        Lookup { form_index }
    }
}

fn lookup(model: Model) -> &'static Lookup {
    static XMP: OnceLock<Lookup> = OnceLock::new();
    static CRAY1: OnceLock<Lookup> = OnceLock::new();
    match model {
        Model::XMp => XMP.get_or_init(|| Lookup::build(Model::XMp)),
        Model::Cray1 => CRAY1.get_or_init(|| Lookup::build(Model::Cray1)),
    }
}

/// The table row that decodes `parcel` on `model`, if any.
pub fn form_of(parcel: u16, model: Model) -> Option<&'static Form> {
    let index = lookup(model).form_index[parcel as usize];
    (index != NO_FORM).then(|| &FORMS[index as usize])
}

/// Number of parcels of the instruction whose first parcel is `parcel`.
///
/// 006, 007, 010..017, 020, 021, 040, 041 and 100..137 take two parcels (ISA.md
/// section 2); everything else, including undefined opcodes, takes one.
#[inline]
pub fn instruction_length(parcel: u16) -> u32 {
    let gh = parcel >> 9;
    match gh {
        0o006 | 0o007 | 0o010..=0o017 | 0o020 | 0o021 | 0o040 | 0o041 | 0o100..=0o137 => 2,
        _ => 1,
    }
}

/// The operation of a first parcel on `model` (`Op::Undefined` if none).
#[inline]
pub fn decode_parcel(parcel: u16, model: Model) -> Op {
    form_of(parcel, model).map_or(Op::Undefined, |form| form.op)
}

/// Decodes an instruction from its first parcel and the parcel after it (which is
/// ignored for one-parcel instructions).
pub fn decode(p1: u16, p2: u16, model: Model) -> Instruction {
    let op = decode_parcel(p1, model);
    let p2 = if instruction_length(p1) == 2 { p2 } else { 0 };
    Instruction { op, p1, p2 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_parcel_forms_agree_with_the_table_length_rule() {
        for form in FORMS {
            let (code, _) = form.code_and_mask();
            // Every jump but J Bjk carries its target in a second parcel.
            let two = (form.op.is_jump() && form.op != Op::JumpB)
                || matches!(
                    form.op,
                    Op::AConstant
                        | Op::AComplementConstant
                        | Op::SConstant
                        | Op::SComplementConstant
                        | Op::LoadA
                        | Op::StoreA
                        | Op::LoadS
                        | Op::StoreS
                );
            assert_eq!(instruction_length(code) == 2, two, "{:?}", form);
        }
    }

    #[test]
    fn most_specific_row_wins() {
        assert_eq!(decode_parcel(0o001000, Model::XMp), Op::Pass);
        assert_eq!(decode_parcel(0o001035, Model::XMp), Op::ChannelSetAddress);
        assert_eq!(form_of(0o030102, Model::XMp).unwrap().syntax, "A{i} A{k}");
        assert_eq!(
            form_of(0o030123, Model::XMp).unwrap().syntax,
            "A{i} A{j}+A{k}"
        );
    }

    #[test]
    fn xmp_only_forms_are_undefined_on_the_cray1() {
        assert_eq!(decode_parcel(0o176213, Model::XMp), Op::VGather);
        assert_eq!(decode_parcel(0o176213, Model::Cray1), Op::Undefined);
        assert_eq!(decode_parcel(0o176201, Model::Cray1), Op::VLoad);
        assert_eq!(decode_parcel(0o003407, Model::Cray1), Op::Undefined);
    }

    #[test]
    fn unassigned_encodings_are_undefined() {
        assert_eq!(decode_parcel(0o001412, Model::XMp), Op::Undefined);
        assert_eq!(decode_parcel(0o002101, Model::XMp), Op::Undefined);
        assert_eq!(decode_parcel(0o176223, Model::XMp), Op::Undefined);
        assert_eq!(decode_parcel(0o174213, Model::XMp), Op::Undefined);
    }
}
