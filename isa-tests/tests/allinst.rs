//! Every encoding of the COS-Tools `allinst` listing decodes, re-encodes to the same
//! parcels and disassembles.
use cray_emulator::isa::{decode, disassemble, Model, Op};
use isa_tests::listing::instruction_lines;

fn listing() -> String {
    String::from_utf8(isa_tests::read_corpus("allinst.snapshot")).expect("listing is ASCII")
}

#[test]
fn listing_has_every_instruction_line() {
    assert_eq!(instruction_lines(&listing()).len(), 314);
}

#[test]
fn every_encoding_decodes_reencodes_and_disassembles() {
    for line in instruction_lines(&listing()) {
        let p2 = line.parcels.get(1).copied().unwrap_or(0);
        let instruction = decode(line.parcels[0], p2, Model::XMp);
        assert_ne!(
            instruction.op,
            Op::Undefined,
            "line {}: {}",
            line.line_number,
            line.code
        );
        assert_eq!(
            instruction.parcels(),
            line.parcels,
            "line {}",
            line.line_number
        );
        let text = disassemble(instruction, Model::XMp);
        assert!(text.is_some(), "line {}", line.line_number);
    }
}

#[test]
fn instructions_are_contiguous_in_the_listing() {
    let lines = instruction_lines(&listing());
    for pair in lines.windows(2) {
        let end = pair[0].parcel_address + pair[0].parcels.len() as u32;
        assert!(
            pair[1].parcel_address >= end,
            "line {}",
            pair[1].line_number
        );
    }
}
