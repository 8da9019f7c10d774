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
    if matches!(parcels[0] >> 9, 0o006..=0o017) {
        parcels[0] &= !0o400;
    }
    parcels
}

#[test]
fn every_defined_instruction_round_trips() {
    let seconds = [0u16, 1, 0o77, 0o100, 0o177777, 0o100000];
    // One program, one instruction a line; the parcels follow each other.
    let mut cases = Vec::new();
    let mut source = String::new();
    for p1 in 0..=u16::MAX {
        let inst = decode(p1, 0, Model::XMp);
        if inst.op == Op::Undefined || is_documented_alias(p1) {
            continue;
        }
        // One second parcel per first parcel, rotating through the samples.
        let p2 = if instruction_length(p1) == 2 {
            seconds[p1 as usize % seconds.len()]
        } else {
            0
        };
        let inst = decode(p1, p2, Model::XMp);
        let text = disassemble(inst, Model::XMp).expect("defined");
        source.push_str(&format!("         {}\n", text.replacen(' ', "   ", 1)));
        cases.push((inst, text));
    }
    assert!(
        cases.len() > 30_000,
        "only {} encodings checked",
        cases.len()
    );
    let assembly = match assemble(&source, "all.cal", &Options::aout()) {
        Ok(a) => a,
        Err(errors) => {
            let shown: Vec<String> = errors.iter().take(20).map(|e| e.to_string()).collect();
            panic!("{} errors:\n{}", errors.len(), shown.join("\n"));
        }
    };
    let parcels: Vec<u16> = assembly
        .words
        .iter()
        .flat_map(|w| (0..4).map(move |k| (w >> (48 - 16 * k)) as u16))
        .collect();
    let mut at = 0;
    let mut failures = Vec::new();
    for (inst, text) in &cases {
        let want = significant(inst.parcels());
        let got = parcels.get(at..at + want.len()).unwrap_or(&[]).to_vec();
        if got != want {
            failures.push(format!("{want:?} `{text}` -> {got:?}"));
            break; // later addresses would all be off
        }
        at += want.len();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

mod random_second_parcels {
    use super::*;
    use proptest::prelude::*;

    /// First parcels of the two-parcel instructions: 006, 007, 010..017, 020, 021,
    /// 040, 041, 100..137.
    fn two_parcel_first() -> impl Strategy<Value = u16> {
        let ghs: Vec<u16> = (0o006..=0o021)
            .chain([0o040, 0o041])
            .chain(0o100..=0o137)
            .collect();
        (proptest::sample::select(ghs), 0u16..0o1000).prop_map(|(gh, low)| (gh << 9) | low)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn two_parcel_instructions_round_trip(p1 in two_parcel_first(), p2 in any::<u16>()) {
            let inst = decode(p1, p2, Model::XMp);
            let text = disassemble(inst, Model::XMp).expect("defined");
            let source = format!("         {}\n", text.replacen(' ', "   ", 1));
            let assembly = assemble(&source, "one.cal", &Options::aout())
                .map_err(|e| TestCaseError::fail(e[0].to_string()))?;
            let w = assembly.words[0];
            let got = vec![(w >> 48) as u16, (w >> 32) as u16];
            prop_assert_eq!(got, significant(inst.parcels()), "`{}`", text);
        }
    }
}
