//! The timing model driven through the CPU: clock-period counts derived by hand from
//! the figures in `emulator/src/timing/sources.rs`, and the rule that functional
//! results never depend on timing.
//!
//! Every program starts with empty instruction buffers, so its first instruction
//! issues after one buffer fill: t0 = 14 CP on both models. A
//! non-branch instruction issued at t leaves `cycles` at t + 1, so stepping one
//! instruction at a time shows each issue period.

use cray_emulator::cpu::{Cpu, Stop};
use cray_emulator::float::{from_f64, to_f64};
use cray_emulator::isa::Model;
use cray_emulator::timing::{HpmCounters, TimingModel};
use isa_tests::machine::{jump, Machine, DATA, EX};

/// First issue period of a cold CPU (one instruction-buffer fill).
fn t0(model: Model) -> u64 {
    match model {
        Model::Cray1 => 14,
        Model::XMp => 14,
    }
}

/// A machine of `model` with the timing model on, `parcels` loaded from 0.
fn timed(model: Model, parcels: &[u16]) -> Machine {
    let mut machine = Machine::new(model);
    machine.cpu.set_timing(true);
    machine.load(parcels);
    machine.cpu.p = 0;
    machine
}

/// Executes `count` instructions; returns the issue period of each (cycles after it
/// minus the one period a non-branch instruction occupies the issue stage).
fn issue_periods(machine: &mut Machine, count: usize) -> Vec<u64> {
    (0..count)
        .map(|_| {
            let stop = machine.cpu.step(&mut machine.memory);
            assert_eq!(stop, None, "stopped at P={:o}", machine.cpu.p);
            machine.cpu.cycles - 1
        })
        .collect()
}

fn model_of(machine: &Machine) -> &TimingModel {
    machine.cpu.timing.as_deref().expect("timing is on")
}

fn counters(machine: &Machine) -> &HpmCounters {
    model_of(machine).counters()
}

#[test]
fn cray1_scalar_divide_is_29_clock_periods_from_first_issue_to_quotient() {
    // HRM p3-30: S6 = S1/S2 (Cray-1: reciprocal 14 CP, floating multiply 7 CP).
    //   070320 S3 /HS2    issues t0      S3 ready t0+14
    //   064413 S4 S1*FS3  waits for S3:  issues t0+14, S4 ready t0+21
    //   067532 S5 S3*IS2  next period:   issues t0+15, S5 ready t0+22
    //   064645 S6 S4*FS5  waits for S5:  issues t0+22, S6 ready t0+29
    // From the issue of the first to the result of the last: 14 + 1 + 7 + 7 = 29 CP.
    let mut m = timed(Model::Cray1, &[0o070320, 0o064413, 0o067532, 0o064645]);
    m.cpu.s[1] = from_f64(6.0);
    m.cpu.s[2] = from_f64(3.0);
    let t = t0(Model::Cray1);
    assert_eq!(issue_periods(&mut m, 4), [t, t + 14, t + 15, t + 22]);
    assert_eq!(model_of(&m).quiescent() - t, 29);
    let c = counters(&m);
    assert_eq!((c.float_reciprocals, c.float_multiplies), (1, 3));
    assert_eq!(c.hold_register, 13 + 6);
    assert!(
        (to_f64(m.cpu.s[6]) - 2.0).abs() < 1e-12,
        "{}",
        to_f64(m.cpu.s[6])
    );
}

#[test]
fn independent_scalar_instructions_issue_every_period_dependent_ones_wait() {
    // Cray-1, address add 2 CP, results at distinct A-file periods.
    // Independent: 030123 A1 A2+A3, 030456 A4 A5+A6, 030723 A7 A2+A3: t0, t0+1, t0+2.
    let mut m = timed(Model::Cray1, &[0o030123, 0o030456, 0o030723]);
    let t = t0(Model::Cray1);
    assert_eq!(issue_periods(&mut m, 3), [t, t + 1, t + 2]);
    assert_eq!(counters(&m).hold_register, 0);

    // Dependent: 030123 A1 A2+A3 (A1 at t0+2); 030413 A4 A1+A3 waits for A1: t0+2
    // (A4 at t0+4); 030541 A5 A4+A1 waits for A4: t0+4. Held 1 CP each.
    let mut m = timed(Model::Cray1, &[0o030123, 0o030413, 0o030541]);
    m.cpu.a[2] = 5;
    m.cpu.a[3] = 7;
    assert_eq!(issue_periods(&mut m, 3), [t, t + 2, t + 4]);
    assert_eq!(counters(&m).hold_register, 2);
    assert_eq!((m.cpu.a[1], m.cpu.a[4], m.cpu.a[5]), (12, 19, 31));
}

#[test]
fn chained_pair_on_both_models_and_a_missed_chain_slot_on_the_cray1() {
    // VL 64. 171201 V2 V0+FV1 issues t0: its first element at t0+6+2 = t0+8 (the
    // chain slot). 161423 V4 V2*FV3 could issue at t0+1 and chains at the slot, t0+8,
    // on both models; V4 is done at t0+8+7+2+64 = t0+81.
    for model in [Model::Cray1, Model::XMp] {
        let mut m = timed(model, &[0o171201, 0o161423]);
        let t = t0(model);
        assert_eq!(issue_periods(&mut m, 2), [t, t + 8], "{model:?}");
        assert_eq!(model_of(&m).quiescent(), t + 81, "{model:?}");
    }
    // Unchained: 171201 V2 V0+FV1 (slot t0+8, done t0+72); 161356 V3 V5*FV6 at t0+1
    // (slot t0+10, done t0+74); 155423 V4 V2+V3 (vector add 3 CP) reads both.
    // Cray-1: at t0+10 V2's slot has passed, so it waits for V2 to complete (t0+72),
    // and by then V3's slot has passed too: it waits for V3, issuing at t0+74, and V4
    // is done at t0+74+3+2+64 = t0+143.
    // X-MP (flexible chaining): issues once both first elements exist, t0+10; done at
    // t0+10+3+2+64 = t0+79.
    for (model, third, done) in [(Model::Cray1, 74, 143), (Model::XMp, 10, 79)] {
        let mut m = timed(model, &[0o171201, 0o161356, 0o155423]);
        let t = t0(model);
        assert_eq!(issue_periods(&mut m, 3), [t, t + 1, t + third], "{model:?}");
        assert_eq!(model_of(&m).quiescent(), t + done, "{model:?}");
    }
}

#[test]
fn stride_one_streams_and_a_stride_of_the_bank_count_conflicts() {
    // Cray-1: 16 banks busy 4 CP, memory 11 CP, transit 2; 176101 V1 ,A0,A1, VL 64.
    // A1 = 1: element n goes to bank n mod 16 at t0+n, each bank revisited every
    // 16 CP: no conflict; the last reference at t0+63, V1 complete at t0+64+7 (vector
    // load start-up 7 CP).
    // A1 = 16: every element hits one bank, one reference per 4 CP: the last at
    // t0+252, V1 complete at t0+253+7 = t0+260; 63 references wait.
    for (stride, complete, conflicts) in [(1, 71, 0), (16, 260, 63)] {
        let mut m = timed(Model::Cray1, &[0o176101]);
        m.cpu.a[0] = DATA;
        m.cpu.a[1] = stride;
        for n in 0..64 * 16 {
            m.set_word(DATA + n, u64::from(n));
        }
        let t = t0(Model::Cray1);
        assert_eq!(issue_periods(&mut m, 1), [t]);
        assert_eq!(model_of(&m).quiescent(), t + complete, "stride {stride}");
        let c = counters(&m);
        assert_eq!(c.bank_conflicts, conflicts, "stride {stride}");
        assert_eq!(c.memory_references, 64);
        assert_eq!(m.cpu.v[1][63], u64::from(63 * stride));
    }
}

#[test]
fn a_loop_over_more_blocks_than_instruction_buffers_misses_every_time() {
    // Cray-1: 4 buffers of 64 parcels, fill 14 CP, taken branch 5 CP.
    // Jumps at parcels 0, 64, 128, 192, 256, each to the next, the last back to 0:
    // five blocks rotate through four buffers, so every J misses and costs
    // 14 (fill) + 5 (taken branch) = 19 CP: 15 jumps take 285 CP.
    // Over four blocks the loop fits after the first round: 4 x 19 + 8 x 5 = 116 CP
    // for 12 jumps.
    for (blocks, jumps, cycles, misses) in [(5u32, 15, 285, 15), (4, 12, 116, 4)] {
        let mut parcels = vec![0u16; (blocks * 64) as usize];
        for block in 0..blocks {
            let target = ((block + 1) % blocks) * 64;
            let at = (block * 64) as usize;
            parcels[at..at + 2].copy_from_slice(&jump(0o006, target));
        }
        let mut m = timed(Model::Cray1, &parcels);
        for _ in 0..jumps {
            assert_eq!(m.cpu.step(&mut m.memory), None);
        }
        assert_eq!(m.cpu.cycles, cycles, "{blocks} blocks");
        let c = counters(&m);
        assert_eq!(c.instruction_buffer_misses, misses, "{blocks} blocks");
        assert_eq!((c.branches, c.branches_taken), (jumps, jumps));
    }
}

#[test]
fn a_branch_not_taken_is_cheaper_than_a_taken_one() {
    // X-MP: 010000 JAZ 3 at parcel 0 (two parcels), 030000 at parcel 2, EX at 3.
    // A0 = 0: taken, occupies the issue stage 5 CP: cycles t0+5 after it.
    // A0 = 1: falls through, 2 CP: cycles t0+2.
    let [jaz, target] = jump(0o010, 3);
    let t = t0(Model::XMp);
    for (a0, cycles, taken) in [(0, t + 5, 1), (1, t + 2, 0)] {
        let mut m = timed(Model::XMp, &[jaz, target, 0o030000, EX]);
        m.cpu.a[0] = a0;
        assert_eq!(m.cpu.step(&mut m.memory), None);
        assert_eq!(m.cpu.p, if taken == 1 { 3 } else { 2 });
        assert_eq!(m.cpu.cycles, cycles, "A0 = {a0}");
        assert_eq!(counters(&m).branches_taken, taken);
    }
}

/// Y = 0.5 * X + Y over 3 strips of 64 with a scalar divide in the loop, a
/// stride-2 load, block transfers and a backward branch: a bit of everything.
const MIXED: [u16; 24] = [
    0o030003, // A0 A3
    0o176100, // V1 ,A0,1
    0o030004, // A0 A4
    0o176207, // V2 ,A0,A7 (A7 = 2)
    0o160311, // V3 S1*FV1
    0o171432, // V4 V3+FV2
    0o177040, // ,A0,1 V4
    0o070720, // S7 /HS2
    0o064617, // S6 S1*FS7
    0o120000, // S0 0,A0 (two parcels)
    0o000000, //
    0o030336, // A3 A3+A6
    0o030446, // A4 A4+A6
    0o031550, // A5 A5-1
    0o030005, // A0 A5
    0o011000, // JAN 0 (two parcels)
    0o000000, //
    0o030004, // A0 A4
    0o036100, // T00,A1 ,A0 (block load, A1 = 5)
    0o037101, // ,A0 T01,A1 (block store)
    EX, 0, 0, 0,
];

fn run_mixed(model: Model, timing: bool) -> (Cpu, Vec<u64>) {
    let mut m = Machine::new(model);
    m.cpu.set_timing(timing);
    m.load(&MIXED);
    for n in 0..0o2000 {
        m.set_word(DATA + n, from_f64(f64::from(n) * 0.25));
    }
    m.cpu.s[1] = from_f64(0.5);
    m.cpu.s[2] = from_f64(3.0);
    m.cpu.a[3] = DATA;
    m.cpu.a[4] = DATA + 0o1000;
    m.cpu.a[5] = 3;
    m.cpu.a[6] = 64;
    m.cpu.a[7] = 2;
    m.cpu.a[1] = 5;
    let stop = m.run_budget(1_000_000);
    assert!(matches!(stop, Stop::Exchange { .. }), "{stop:?}");
    (m.cpu, m.memory.words().to_vec())
}

#[test]
fn timing_off_and_approx_give_the_same_registers_and_memory() {
    for model in [Model::Cray1, Model::XMp] {
        let (mut off, off_memory) = run_mixed(model, false);
        let (mut approx, approx_memory) = run_mixed(model, true);
        assert_eq!(off_memory, approx_memory, "{model:?}");
        assert_ne!(off_memory[DATA as usize + 0o1000], from_f64(0.0));
        assert!(approx.cycles > off.cycles, "{model:?}");
        assert_eq!(approx.instructions, off.instructions);
        assert_eq!(off.cycles, off.instructions, "one period per instruction");
        let hpm = approx.timing.as_deref().unwrap().counters().clone();
        assert_eq!(hpm.instructions, approx.instructions);
        assert_eq!(hpm.clock_periods, approx.cycles);
        // Everything but the clock and the model itself is the same.
        for cpu in [&mut off, &mut approx] {
            cpu.cycles = 0;
            cpu.timing = None;
        }
        assert_eq!(off, approx, "{model:?}");
    }
}

/// `Cpu::run` and `Cpu::step` share the accounting of an issued instruction: on any
/// program, running to a budget leaves exactly the state (registers, clock, timing
/// model, memory) that stepping one instruction at a time to the same budget leaves.
mod run_equals_step {
    use super::*;
    use proptest::prelude::*;

    /// Parcels a compiled program is made of: address and scalar arithmetic, constants,
    /// scalar loads and stores through A registers, block transfers, vector loads,
    /// operations and stores, and branches (their second parcel comes from the program).
    const PARCELS: [u16; 24] = [
        0o030123, 0o031456, 0o032712, 0o040100, 0o020200, 0o071100, 0o060123, 0o061456, 0o062712,
        0o064123, 0o044123, 0o100100, 0o110200, 0o120300, 0o130400, 0o101500, 0o034123, 0o037101,
        0o176100, 0o171312, 0o177020, 0o011000, 0o014000, 0o006000,
    ];

    fn program() -> impl Strategy<Value = Vec<u16>> {
        let parcel = prop_oneof![
            4 => (0..PARCELS.len(), 0u16..0o100).prop_map(|(n, low)| {
                // Keep the opcode and i; vary j and k (h and i of memory references
                // stay: their A registers hold data addresses).
                let p = PARCELS[n];
                if (0o100000..0o140000).contains(&p) { p } else { p & !0o77 | low }
            }),
            1 => 0u16..0o100,
            1 => any::<u16>(),
        ];
        proptest::collection::vec(parcel, 8..64)
    }

    fn machine(model: Model, parcels: &[u16]) -> Machine {
        let mut m = timed(model, parcels);
        for (n, a) in m.cpu.a.iter_mut().enumerate() {
            *a = DATA + 0o100 * n as u32;
        }
        m.cpu.vl = 17;
        m
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn running_to_a_budget_is_stepping_to_it(
            parcels in program(),
            budget in 1u64..3000,
            xmp in any::<bool>(),
        ) {
            let model = if xmp { Model::XMp } else { Model::Cray1 };
            let mut ran = machine(model, &parcels);
            let ran_stop = ran.cpu.run(&mut ran.memory, budget);
            let mut stepped = machine(model, &parcels);
            let mut step_stop = Stop::Budget;
            while stepped.cpu.cycles < budget {
                let (cycles, instructions) = (stepped.cpu.cycles, stepped.cpu.instructions);
                if let Some(stop) = stepped.cpu.step(&mut stepped.memory) {
                    step_stop = stop;
                    break;
                }
                // A step is one instruction, which takes at least one clock period
                // (what lets `step` be a run with a budget one period on).
                prop_assert_eq!(stepped.cpu.instructions, instructions + 1);
                prop_assert!(stepped.cpu.cycles > cycles);
            }
            prop_assert_eq!(ran_stop, step_stop);
            prop_assert_eq!(&ran.cpu, &stepped.cpu);
            prop_assert!(ran.memory.words() == stepped.memory.words());
        }
    }
}

/// Loops of vector code, whose blocks' timing the model replays once a block runs
/// again from the same state (`timing::steady`): run with replays (`Cpu::run`) and
/// without (a probe that never stops: the issue loop then times every instruction
/// by the rules), they must leave the same machine (registers, the timing model's
/// every time, window and counter, memory) at every budget.
mod steady_replay {
    use super::*;
    use cray_emulator::cpu::InstructionProbe;
    use proptest::prelude::*;

    /// A probe that never stops a run, but is asked after every instruction, which
    /// keeps the issue loop from replaying any block's timing.
    struct EveryInstruction;

    impl InstructionProbe for EveryInstruction {
        fn stops_after(&mut self, _: &Cpu, _: &cray_emulator::memory::Memory, _: u32) -> bool {
            false
        }
    }

    /// The parts of a vector loop's body: loads, operations (one of them the
    /// in-place recurrence), stores, by stride one or A6, scalar work, and (X-MP) a
    /// gather and a scatter by V5, whose indices V5 V5+V6 changes in each round
    /// (see `machine`), so that their banks differ from round to round.
    const BODY: [&[u16]; 15] = [
        &[0o030003, 0o176100], // A0 A3; V1 ,A0,1
        &[0o030004, 0o176206], // A0 A4; V2 ,A0,A6
        &[0o160311],           // V3 S1*FV1
        &[0o171432],           // V4 V3+FV2
        &[0o171114],           // V1 V1+FV4 (a recurrence)
        &[0o030007, 0o177040], // A0 A7; ,A0,1 V4
        &[0o030007, 0o177016], // A0 A7; ,A0,A6 V1
        &[0o030331],           // A3 A3+A1
        &[0o030441],           // A4 A4+A1
        &[0o062123],           // S1 S2+FS3
        &[0o130100, 0o4300],   // (0o4300) S1
        &[0o120200, 0o4310],   // S2 (0o4310)
        &[0o030003, 0o176215], // A0 A3; V2 ,A0,V5 (gather)
        &[0o030007, 0o177135], // A0 A7; ,A0,V5 V3 (scatter)
        &[0o155556],           // V5 V5+V6 (integer)
    ];

    /// A loop of `strips` rounds over a body of `parts`, then an exit.
    fn program(parts: &[usize], strips: u32) -> (Vec<u16>, u32) {
        let mut parcels: Vec<u16> = parts
            .iter()
            .flat_map(|&n| BODY[n].iter().copied())
            .collect();
        // A5 A5-1; A0 A5; JAN 0; EX
        parcels.extend([0o031550, 0o030005, 0o011000, 0, EX]);
        (parcels, strips)
    }

    /// Words of the loops' machine: room for 40 strips of 64 elements by a stride of
    /// up to 70 from each of five address registers.
    const WORDS: usize = 1 << 20;

    fn machine(model: Model, parcels: &[u16], strips: u32, stride: u32, vl: u32) -> Machine {
        let mut m = Machine {
            cpu: Cpu::new(model, WORDS as u32),
            memory: cray_emulator::memory::Memory::new(WORDS),
        };
        m.cpu.set_timing(true);
        m.load(parcels);
        m.cpu.p = 0;
        for (n, a) in m.cpu.a.iter_mut().enumerate() {
            *a = DATA + (WORDS as u32 / 8) * n as u32;
        }
        m.cpu.a[5] = strips;
        m.cpu.a[6] = stride;
        // A strip's elements on: its banks are the last strip's.
        m.cpu.a[1] = 64 * stride;
        m.cpu.vl = vl;
        m.cpu.s[1] = from_f64(0.5);
        // Indices e, then e × 32 (one bank), e × 63, ...: a stride that changes.
        for e in 0..64 {
            m.cpu.v[5][e] = e as u64;
            m.cpu.v[6][e] = 31 * e as u64;
        }
        m
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn replayed_timing_is_the_rules_timing(
            parts in proptest::collection::vec(0..BODY.len(), 1..10),
            strips in 1u32..40,
            stride in prop_oneof![Just(1u32), Just(2), Just(3), Just(16), Just(32), 0u32..70],
            vl in 1u32..=64,
            budgets in proptest::collection::vec(1u64..4000, 0..4),
            xmp in any::<bool>(),
        ) {
            let model = if xmp { Model::XMp } else { Model::Cray1 };
            let (parcels, strips) = program(&parts, strips);
            let end = 60_000;
            let mut replayed = machine(model, &parcels, strips, stride, vl);
            let mut ruled = machine(model, &parcels, strips, stride, vl);
            // The same budgets for both: each run ends where the other does.
            let mut until = 0;
            for budget in budgets.iter().copied().chain([end]) {
                until = (until + budget).min(end);
                let replayed_stop = replayed.cpu.run(&mut replayed.memory, until);
                let ruled_stop =
                    ruled.cpu.run_probed(&mut ruled.memory, until, &mut EveryInstruction);
                prop_assert_eq!(replayed_stop, ruled_stop);
                prop_assert_eq!(&replayed.cpu, &ruled.cpu);
                prop_assert!(replayed.memory.words() == ruled.memory.words());
                if replayed_stop != Stop::Budget {
                    break;
                }
            }
        }
    }

    /// The check above is not empty: a daxpy loop's strips are replayed.
    #[test]
    fn a_steady_loop_is_replayed() {
        for model in [Model::XMp, Model::Cray1] {
            let (parcels, strips) = program(&[0, 1, 2, 3, 5, 7, 8], 100);
            let mut m = machine(model, &parcels, strips, 1, 64);
            let stop = m.cpu.run(&mut m.memory, u64::MAX);
            assert!(matches!(stop, Stop::Exchange { .. }), "{stop:?}");
            let replays = model_of(&m).steady_replays();
            assert!(replays > 90, "{model:?}: {replays} of 100 strips replayed");
        }
    }
}
