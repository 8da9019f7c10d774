//! Disassembling any valid instruction and assembling the text gives back the same
//! parcels: every first parcel the X-MP defines, with a few second parcels.

use cray_cal::{assemble, Options};
use cray_emulator::isa::{decode, disassemble, instruction_length, Model, Op};

/// Encodings the table renders the same as another encoding of the same operation:
/// `S0 S0<n` is both 052 0jk and 054 0jk, `S0 S0>n` both 053 0jk and 055 0jk. CAL
/// (and this assembler) picks 052/053.
fn is_documented_alias(p1: u16) -> bool {
    let gh = p1 >> 9;
    let i = (p1 >> 6) & 7;
    (gh == 0o054 || gh == 0o055) && i == 0
}

/// The parcels with bits the machine ignores cleared: the top bit of the 25-bit
/// ijkm field of jumps (targets are 24-bit parcel addresses), which no CAL text
/// can set.
fn significant(mut parcels: Vec<u16>) -> Vec<u16> {
    if matches!(parcels[0] >> 9, 0o006 | 0o007 | 0o010..=0o017) {
        parcels[0] &= !0o400;
    }
    parcels
}

fn assemble_one(text: &str) -> Result<Vec<u16>, String> {
    let source = format!("         {}\n", text.replacen(' ', "   ", 1));
    let assembly = assemble(&source, "one.cal", &Options::aout())
        .map_err(|e| e.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("\n"))?;
    let mut parcels = Vec::new();
    for w in &assembly.words {
        for k in 0..4 {
            parcels.push((w >> (48 - 16 * k)) as u16);
        }
    }
    let first = parcels.first().copied().unwrap_or(0);
    parcels.truncate(instruction_length(first) as usize);
    Ok(parcels)
}

#[test]
fn every_defined_instruction_round_trips() {
    let seconds = [0u16, 1, 0o77, 0o100, 0o177777, 0o100000];
    let mut failures = Vec::new();
    let mut checked = 0;
    for p1 in 0..=u16::MAX {
        let inst = decode(p1, 0, Model::XMp);
        if inst.op == Op::Undefined || is_documented_alias(p1) {
            continue;
        }
        let two = instruction_length(p1) == 2;
        // One second parcel per first parcel, rotating through the samples.
        let p2_sample = if two { seconds[p1 as usize % seconds.len()] } else { 0 };
        {
            let p2 = p2_sample;
            let inst = decode(p1, p2, Model::XMp);
            let text = disassemble(inst, Model::XMp).expect("defined");
            checked += 1;
            match assemble_one(&text) {
                Ok(parcels) if parcels == significant(inst.parcels()) => {}
                Ok(parcels) => failures.push(format!(
                    "{:06o} {:06o} `{text}` -> {:?}",
                    p1, p2, parcels.iter().map(|p| format!("{p:06o}")).collect::<Vec<_>>()
                )),
                Err(e) => failures.push(format!("{p1:06o} {p2:06o} `{text}`: {e}")),
            }
        }
    }
    assert!(checked > 30_000, "only {checked} encodings checked");
    let shown: Vec<&String> = failures.iter().take(40).collect();
    assert!(failures.is_empty(), "{} failures:\n{:#?}", failures.len(), shown);
}
