//! Independent review of the timing model: small CAL kernels written for this review
//! (not taken from the model's own tests), each with its clock-period count derived
//! by hand beside it from the figures and rules of ISA.md section 6 and
//! `emulator/src/timing/sources.rs`, and from published CRAY-1 figures where the
//! derivation cites them.
//!
//! Harness: the kernel is assembled at word 0 and run on a bare CPU (base 0, so a
//! data word address is its bank address) with a fresh timing model until its EX.
//! Every kernel starts cold: its first instruction misses the instruction buffers and
//! issues at `t0` = 14 (both models). EX waits until every issued instruction
//! has finished, issues, and occupies the issue stage one CP, so the count a kernel
//! reports (`cpu.cycles` after the EX) is the last arrival + 1 when the EX is ready
//! before then.

mod common;

use common::{cray, text};
use cray_cal::{assemble, Options};
use cray_emulator::cpu::{Cpu, Stop};
use cray_emulator::isa::Model;
use cray_emulator::memory::Memory;
use cray_emulator::timing::HpmCounters;
use serde_json::Value;

/// Words of memory the kernels run in.
const FIELD: u32 = 0o20000;

/// The end of every kernel: exit(0) under the UNICOS-like ABI (S0 = 1, S1 = address
/// of the status word). Bare, the EX just stops the CPU.
const EXIT: &str = "
         S1        EXIT0
         S0        1
         EX
EXIT0    CON       0
";

/// A finished kernel run.
struct Run {
    /// `cpu.cycles` after each instruction, in execution order (the issue period of a
    /// non-branch instruction is this minus 1).
    after: Vec<u64>,
    /// The parcel address of each instruction executed.
    at: Vec<u32>,
    /// The clock periods of the whole run (after the EX).
    cycles: u64,
    counters: HpmCounters,
    /// S0..S7 at the end (to check that the kernel computed what it claims).
    s: [u64; 8],
}

impl Run {
    /// Issue periods of the first `n` instructions (all non-branches).
    fn issues(&self, n: usize) -> Vec<u64> {
        self.after[..n].iter().map(|c| c - 1).collect()
    }
}

/// Assembles `body` (instructions from label MAIN, then [`EXIT`], then `data`) for
/// `model` and runs it to its EX.
fn run(model: Model, body: &str, data: &str) -> Run {
    let source = format!(
        "         IDENT     KERNEL\n         START     MAIN\n{body}{EXIT}{data}         END\n"
    );
    let options = Options { origin: 0, model };
    let assembly =
        assemble(&source, "kernel.cal", &options).unwrap_or_else(|e| panic!("{e:?}\n{source}"));
    let mut words = assembly.words.clone();
    words.resize(FIELD as usize, 0);
    let mut memory = Memory::from_words(words);
    let mut cpu = Cpu::new(model, FIELD);
    cpu.p = assembly.entry_parcel;
    cpu.set_timing(true);
    let (mut after, mut at) = (Vec::new(), Vec::new());
    loop {
        let p = cpu.p;
        let stop = cpu.step(&mut memory);
        at.push(p);
        after.push(cpu.cycles);
        match stop {
            None => assert!(after.len() < 100_000, "runaway kernel"),
            Some(Stop::Exchange { .. }) => break,
            Some(other) => panic!("stopped: {other:?} at P={:o}", cpu.p),
        }
    }
    let counters = cpu.timing.as_deref().unwrap().counters().clone();
    if std::env::var_os("TIMING_TRACE").is_some() {
        for (p, c) in at.iter().zip(&after) {
            eprintln!("{model:?} P={p:o} after={c}");
        }
        eprintln!("{counters:?}");
    }
    Run {
        after,
        at,
        cycles: cpu.cycles,
        counters,
        s: cpu.s,
    }
}

/// First issue period of a cold kernel: the instruction-buffer fill.
fn t0(model: Model) -> u64 {
    match model {
        Model::Cray1 => 14,
        // 19 CP for a branch to an address in no buffer (CSM-0111000-B section 5, as
        // transcribed by a MiSTer Cray core's notes) less the branch's 5.
        Model::XMp => 14,
    }
}

/// The Cray floating-point form of a small positive integer: exponent 040000 + the
/// bit length, coefficient normalized to 0.1xxx (binary).
fn float(n: u64) -> u64 {
    let bits = u64::from(64 - n.leading_zeros());
    ((0o40000 + bits) << 48) | (n << (48 - bits))
}

// ---------------------------------------------------------------------------------
// K1. A chain of dependent floating adds.
//
// Figures: 071 constant 1 CP (transfer), floating add 6 CP, 040 (S1 EXIT0) 1 CP,
// 042 (S0 1) 1 CP (scalar logical); one S result per CP.
//
//   S1 1.      t0       S1 at t0+1
//   S2 2.      t0+1     S2 at t0+2
//   S3 S1+FS2  t0+2     waits for S2; S3 at t0+8
//   S4 S3+FS1  t0+8     waits for S3 (held 5); S4 at t0+14
//   S5 S4+FS3  t0+14    held 5; S5 at t0+20
//   S6 S5+FS4  t0+20    held 5; S6 at t0+26
//   S1 EXIT0   t0+21    S1 at t0+22 (no S result then)
//   S0 1       t0+22    S0 at t0+23
//   EX         t0+26    waits for S6 (held 3)
// cycles = t0+27: Cray-1 41, X-MP 41. Register holds 5+5+5+3 = 18.
// ---------------------------------------------------------------------------------
const K1: &str = "
MAIN     S1        1.
         S2        2.
         S3        S1+FS2
         S4        S3+FS1
         S5        S4+FS3
         S6        S5+FS4
";

#[test]
fn k1_dependent_float_adds() {
    for model in [Model::Cray1, Model::XMp] {
        let r = run(model, K1, "");
        let t = t0(model);
        let expect: Vec<u64> = [0, 1, 2, 8, 14, 20, 21, 22, 26]
            .iter()
            .map(|d| t + d)
            .collect();
        assert_eq!(r.issues(9), expect, "{model:?}");
        assert_eq!(r.cycles, t + 27, "{model:?}");
        let c = &r.counters;
        assert_eq!(
            (c.hold_register, c.float_adds, c.hold_result_bus),
            (18, 4, 0)
        );
        // S3 = 3, S4 = 4, S5 = 7, S6 = 11.
        assert_eq!(r.s[6], float(11), "{model:?}");
    }
}

// ---------------------------------------------------------------------------------
// K2. Independent floating adds and multiplies interleaved: nothing waits for an
// operand, but only one result may reach the S registers per CP [HRM; Edinburgh
// cray1-iss], so an add issued one CP after a multiply (6 = 7 - 1) collides.
//
//   S1 1.      t0       S1 at t0+1
//   S2 2.      t0+1     S2 at t0+2
//   S3 S1*FS2  t0+2     waits for S2; S3 at t0+9
//   S4 S1+FS2  t0+4     at t0+3 it would arrive t0+9: held 1 (result path); at t0+10
//   S5 S2*FS1  t0+5     S5 at t0+12
//   S6 S2+FS1  t0+7     t0+6 would arrive t0+12: held 1; at t0+13
//   A1 D'3     t0+8     A file: no collision; A1 at t0+9
//   S7 S1*FS1  t0+9     S7 at t0+16
//   S1 EXIT0   t0+10    S1 at t0+11
//   S0 1       t0+13    t0+11 -> arrives t0+12 (S5), t0+12 -> t0+13 (S6): held 2
//   EX         t0+16    waits for S7
// cycles = t0+17: Cray-1 31, X-MP 31. Result-path holds 1+1+2 = 4.
// ---------------------------------------------------------------------------------
const K2: &str = "
MAIN     S1        1.
         S2        2.
         S3        S1*FS2
         S4        S1+FS2
         S5        S2*FS1
         S6        S2+FS1
         A1        D'3
         S7        S1*FS1
";

#[test]
fn k2_independent_adds_and_multiplies_share_the_s_result_path() {
    for model in [Model::Cray1, Model::XMp] {
        let r = run(model, K2, "");
        let t = t0(model);
        let expect: Vec<u64> = [0, 1, 2, 4, 5, 7, 8, 9, 10, 13, 16]
            .iter()
            .map(|d| t + d)
            .collect();
        assert_eq!(r.issues(11), expect, "{model:?}");
        assert_eq!(r.cycles, t + 17, "{model:?}");
        let c = &r.counters;
        assert_eq!(c.hold_result_bus, 4, "{model:?}");
        assert_eq!((c.float_adds, c.float_multiplies), (2, 3));
    }
}

// ---------------------------------------------------------------------------------
// K3. Division by reciprocal approximation, full and half precision, on both models.
// HRM 2240004 p3-30: S6 = S1/S2 in four operations, "a scalar quotient is computed
// in 29 clock periods since operations 2 and 3 issue in successive clock periods".
// Reciprocal 14 CP, multiplies 7 CP.
//
//   S1 4.      t0       S1 at t0+1
//   S2 2.      t0+1     S2 at t0+2
//   S3 /HS2    t0+2     waits for S2; S3 at t0+16
//   S4 S3*IS2  t0+16    waits for S3; S4 at t0+23
//   S5 S1*FS3  t0+17    S5 at t0+24
//   S7 S1*HS3  t0+18    half-precision quotient at t0+25 (23 CP after the 070)
//   S6 S4*FS5  t0+24    waits for S5; S6 at t0+31 = 070 issue + 29
//   S1 EXIT0   t0+25    S1 at t0+26
//   S0 1       t0+26    S0 at t0+27
//   EX         t0+31
// cycles = t0+32: Cray-1 46, X-MP 46.
// ---------------------------------------------------------------------------------
const K3: &str = "
MAIN     S1        4.
         S2        2.
         S3        /HS2
         S4        S3*IS2
         S5        S1*FS3
         S7        S1*HS3
         S6        S4*FS5
";

#[test]
fn k3_reciprocal_divide_idioms() {
    for model in [Model::Cray1, Model::XMp] {
        let r = run(model, K3, "");
        let t = t0(model);
        let expect: Vec<u64> = [0, 1, 2, 16, 17, 18, 24, 25, 26, 31]
            .iter()
            .map(|d| t + d)
            .collect();
        assert_eq!(r.issues(10), expect, "{model:?}");
        assert_eq!(r.cycles, t + 32, "{model:?}");
        // The quotient 29 CP after the reciprocal issued: S6 arrives at t0+31 and the
        // EX (which waits for it) issues then.
        assert_eq!(r.issues(10)[9] - r.issues(10)[2], 29);
        assert_eq!(r.s[6], float(2), "{model:?}: 4/2");
        let c = &r.counters;
        assert_eq!((c.float_reciprocals, c.float_multiplies), (1, 4));
    }
}

// ---------------------------------------------------------------------------------
// K4. A vector load chained into a multiply chained into an add, VL 64.
//
// Published: the first element of a vector load is ready for delivery to its V
// register (chain slot) 7 CP after the load issues [WEB Edinburgh cray1-ch: "after a
// start-up delay of seven clock periods"]; a functional unit's chain slot is its unit
// time + 2 [HRM 2240004 "V register reservations": "functional unit time plus two
// clock periods"]. X-MP vector load start-up: 16 CP (the model's figure, a guess:
// 14 CP memory + 2 CP transit).
//
//   A0 X       t0       A0 at t0+1
//   A1 D'64    t0+1     A1 at t0+2
//   S1 2.      t0+2
//   VL A1      t0+3     VL at t0+4
//   V0 ,A0,1   T=t0+4   stride 1, no conflicts: elements at the register from
//                       T+L (L = 7 Cray-1, 16 X-MP), last by T+L+64
//   V1 S1*FV0  T+L      chains at the load's slot; multiply slot T+L+9, done T+L+73
//   V3 V1+FV2  T+L+9    chains at the multiply's slot; add slot T+L+17, done T+L+81
//   S1 EXIT0   T+L+10
//   S0 1       T+L+11
//   EX         T+L+81
// cycles = T+L+82: Cray-1 18+7+82 = 107, X-MP 18+16+82 = 116.
// ---------------------------------------------------------------------------------
const K4: &str = "
MAIN     A0        X
         A1        D'64
         S1        2.
         VL        A1
         V0        ,A0,1
         V1        S1*FV0
         V3        V1+FV2
";

/// 64 data words.
const X64: &str = "X        BSS       D'64\n";

#[test]
fn k4_load_multiply_add_chain() {
    for (model, load) in [(Model::Cray1, 7), (Model::XMp, 16)] {
        let r = run(model, K4, X64);
        let t = t0(model);
        let v = t + 4 + load;
        let expect = vec![
            t,
            t + 1,
            t + 2,
            t + 3,
            t + 4,
            v,
            v + 9,
            v + 10,
            v + 11,
            v + 81,
        ];
        assert_eq!(r.issues(10), expect, "{model:?}");
        assert_eq!(r.cycles, v + 82, "{model:?}");
        let c = &r.counters;
        assert_eq!((c.float_multiplies, c.float_adds), (64, 64));
        assert_eq!((c.vector_instructions, c.vector_elements), (3, 192));
        assert_eq!(c.bank_conflicts, 0);
    }
}

// ---------------------------------------------------------------------------------
// K5. One vector add at VL = 1, 5, 64, then an independent vector add on the same
// (busy) floating add unit. A vector occupies its unit for VL CP ("a vector
// operation will occupy the selected functional unit until the vector has been
// processed", HRM 2240004 "Vector processing"); results start at unit time + 2.
//
//   A1 D'n     t0       (D'64 is a two-parcel 020; the rest one-parcel 022)
//   VL A1      t0+1     VL at t0+2
//   V2 V0+FV1  T=t0+2   first result T+8, last by T+8+n
//   V5 V3+FV4  T+n      (T+1 for n = 1) waits n-1 CP for the unit; done T+2n+8
//   S1 EXIT0   T+n+1
//   S0 1       T+n+2
//   EX         T+2n+8
// cycles = T+2n+9 = t0+2n+11: Cray-1 27 / 35 / 153, X-MP 27 / 35 / 153.
// ---------------------------------------------------------------------------------
#[test]
fn k5_vector_length_1_5_64() {
    for model in [Model::Cray1, Model::XMp] {
        for n in [1u64, 5, 64] {
            let body = format!(
                "MAIN     A1        D'{n}\n         VL        A1\n         V2        V0+FV1\n         V5        V3+FV4\n"
            );
            let r = run(model, &body, "");
            let t = t0(model) + 2;
            let expect = vec![t - 2, t - 1, t, t + n, t + n + 1, t + n + 2, t + 2 * n + 8];
            assert_eq!(r.issues(7), expect, "{model:?} VL {n}");
            assert_eq!(r.cycles, t + 2 * n + 9, "{model:?} VL {n}");
            let c = &r.counters;
            assert_eq!(c.hold_functional_unit, n - 1, "{model:?} VL {n}");
            assert_eq!((c.float_adds, c.vector_elements), (2 * n, 2 * n));
        }
    }
}

// ---------------------------------------------------------------------------------
// K6. A 64-element load at strides 1, 8, 16 (and 32 on the X-MP). Banks: word address
// mod 16 (Cray-1) or mod 32 (X-MP X-MP/2x), busy 4 CP [Gordon Bell CSP p.745: only
// strides that are multiples of 8 or 16 conflict on the Cray-1].
//
//   A0 X       t0
//   A1 D's     t0+1
//   A2 D'64    t0+2
//   VL A2      t0+3     VL at t0+4
//   V0 ,A0,A1  T=t0+4   the stream ends (last reference + 1) at T+E, its last element
//                       is at the register by T+E+L (L as in K4)
//   S1 EXIT0   T+1
//   S0 1       T+2
//   EX         T+E+L
// E: stride 1, or any stride visiting >= 4 banks per round: 64, no conflicts.
//    Two banks in turn (Cray-1 stride 8, X-MP stride 16): element 2k at T+4k, 2k+1 at
//    T+4k+1, so E = 4*31+2 = 126, with 31 elements waiting (2, 4, ..., 62).
//    One bank (Cray-1 16, X-MP 32): element k at T+4k, E = 253, 63 waiting.
// cycles = T+E+L+1.
//   Cray-1 (T=18, L=7): s1 90, s8 152, s16 279.
//   X-MP (T=18, L=16):  s1 99, s8 99, s16 161, s32 288.
// ---------------------------------------------------------------------------------
#[test]
fn k6_strides_and_bank_conflicts() {
    let cases = [
        (Model::Cray1, 1, 64, 0),
        (Model::Cray1, 8, 126, 31),
        (Model::Cray1, 16, 253, 63),
        (Model::XMp, 1, 64, 0),
        (Model::XMp, 8, 64, 0),
        (Model::XMp, 16, 126, 31),
        (Model::XMp, 32, 253, 63),
    ];
    for (model, stride, end, conflicts) in cases {
        let body = format!(
            "MAIN     A0        X\n         A1        D'{stride}\n         A2        D'64\n         VL        A2\n         V0        ,A0,A1\n"
        );
        let data = format!("X        BSS       D'{}\n", 64 * stride);
        let r = run(model, &body, &data);
        let load = if model == Model::Cray1 { 7 } else { 16 };
        let t = t0(model) + 4;
        assert_eq!(
            r.issues(8)[4..],
            [t, t + 1, t + 2, t + end + load],
            "{model:?} stride {stride}"
        );
        assert_eq!(r.cycles, t + end + load + 1, "{model:?} stride {stride}");
        assert_eq!(
            r.counters.bank_conflicts, conflicts,
            "{model:?} stride {stride}"
        );
        assert_eq!(r.counters.memory_references, 64);
    }
}

// ---------------------------------------------------------------------------------
// K7. Two vector loads in a row, then an add of the two. X-MP: two load ports [WEB
// Edinburgh cray-xmp-ch]; Cray-1: one memory path [WEB Gordon Bell]. Y = X + 64 (or
// + 32): Y[k] is in the bank of X[k] on both models.
//
//   A0 X       t0
//   A1 D'n     t0+1
//   VL A1      t0+2     VL at t0+3
//   V0 ,A0,1   T=t0+3   stream T..T+n
//   A0 Y       T+1      (A0 is free again once the load has issued, HRM)
//   V1 ,A0,1   Cray-1: the path is busy until T+n: issues T+n (held n-2);
//              X-MP: second port at T+2; Y[0]'s bank was referenced by X[0] at T,
//              busy until T+4, so the stream starts at T+4 (1 conflict) and runs
//              one per CP (Y[k] finds bank of X[k] free at T+k+4).
//   V2 V0+FV1
//
// n = 32, Cray-1 (T=17, L=7): V0 slot T+7, complete T+39. V1 stream T+32..T+64
//   (Y[k]'s bank last used by X[16+k] at T+16+k, free by T+20+k): slot T+39, complete
//   T+71. V2 at T+33: V0 is past its slot and not complete, so it waits for V0 at T+39,
//   which is V1's slot: issues T+39, done T+39+8+32 = T+79.
//   S1 EXIT0 T+40, S0 1 T+41, EX T+79: cycles T+80 = 97.
// n = 32, X-MP (T=17, L=16): V0 slot T+16, V1 stream T+4..T+36, slot T+20. V2
//   (flexible chaining) at T+20, done T+20+8+32 = T+60. S1 EXIT0 T+21, S0 1 T+22,
//   EX T+60: cycles T+61 = 78.
// ---------------------------------------------------------------------------------
fn two_loads(n: u64) -> (String, String) {
    let body = format!(
        "MAIN     A0        X\n         A1        D'{n}\n         VL        A1\n         V0        ,A0,1\n         A0        Y\n         V1        ,A0,1\n         V2        V0+FV1\n"
    );
    let data = format!("X        BSS       D'{n}\nY        BSS       D'{n}\n");
    (body, data)
}

#[test]
fn k7_two_loads_one_port_or_two() {
    let (body, data) = two_loads(32);
    let r = run(Model::Cray1, &body, &data);
    let t = 17;
    let expect = vec![14, 15, 16, t, t + 1, t + 32, t + 39, t + 40, t + 41, t + 79];
    assert_eq!(r.issues(10), expect);
    assert_eq!(r.cycles, t + 80);
    assert_eq!(r.counters.hold_memory, 30);
    assert_eq!(r.counters.bank_conflicts, 0);

    let r = run(Model::XMp, &body, &data);
    let t = 17;
    let expect = vec![14, 15, 16, t, t + 1, t + 2, t + 20, t + 21, t + 22, t + 60];
    assert_eq!(r.issues(10), expect);
    assert_eq!(r.cycles, t + 61);
    assert_eq!(r.counters.hold_memory, 0);
    assert_eq!(r.counters.bank_conflicts, 1);
}

// Same with n = 64 on the X-MP. By the documented rule ("a bank stays busy bank_busy
// CP after a reference") the second stream again starts at T+4: Y[k] (k < 60) at
// T+4+k meets the bank of X[k] (referenced at T+k) and X[32+k] (at T+32+k), neither
// busy then; Y[32+k] at T+36+k finds X[32+k]'s reference just over. V1 slot T+20,
// complete T+84; V2 at T+20, done T+20+8+64 = T+92; cycles T+93 = 110 (T = 17).
//
// (The model once kept only the end of each bank's last reservation, and started the
// second stream at T+36: cycles 144.)
#[test]
fn k7_two_full_loads_on_the_xmp_overlap_after_four_periods() {
    let (body, data) = two_loads(64);
    let r = run(Model::XMp, &body, &data);
    let t = 17;
    let expect = vec![14, 15, 16, t, t + 1, t + 2, t + 20, t + 21, t + 22, t + 92];
    assert_eq!(r.issues(10), expect);
    assert_eq!(r.cycles, t + 93);
}

// ---------------------------------------------------------------------------------
// K8. A loop that fits the four instruction buffers against one a few parcels longer
// (Cray-1: 4 buffers x 64 parcels, fill 14 CP, round-robin replacement; "large loops
// containing up to 256 consecutive instruction parcels can be maintained in the four
// buffers", HRM 2240004 p3-36). Branch taken 5 CP, not taken 2 CP, whichever buffer
// the target is in. An instruction that runs on from another buffer than the one
// before it, when its buffer is in place, issues 2 CP later ("after a two clock period
// delay if a change of buffers is involved", Edinburgh comp-arch Ibuff/cray1); a miss
// costs the fill alone.
//
//   p0       A1 D'3               loop count
//   p1..     LOOP: F x (S3 S4&S5) independent, logical 1 CP: one per CP
//            A1 A1-1              2 CP
//            A0 A1                waits for A1 (2 CP)
//            JAN LOOP             waits for A0 (2 CP); two parcels
//   then     S1 EXIT0, S0 1, EX
// One iteration from its first filler at S: fillers S..S+F-1, A1-1 at S+F, A0 at
// S+F+2, JAN at S+F+4, next S+F+9 (taken) or S+F+6 (falls through); plus 14 per miss
// and 2 per change of buffers in sequence.
//
// Fits (F = 251: the loop is parcels 1..255, the exit starts at parcel 256):
//   A1 D'3 at 14 (miss of block 0). Pass 1: S = 15, misses at parcels 64, 128, 192:
//   JAN at 15+255+42 = 312, next 317. Pass 2: the branch back to block 0 costs its
//   5 CP alone; parcels 64, 128 and 192 run on into another buffer: 3 x 2 CP.
//   S = 317, JAN at 317+255+6 = 578, next 583. Pass 3: S = 583, JAN 844 falls
//   through, next 846. S1 EXIT0 (parcel 256, block 4: miss) at 860, S0 1 at 861, EX
//   at 862: cycles 863. Misses 5; buffer holds 5 x 14 + 6 x 2 = 82.
// Longer (F = 253: parcels 1..257, JAN at parcels 256-257 in block 4):
//   Pass 1: S = 15; last filler at 15+252+42 = 309, A1-1 310, A0 312, JAN: block 4
//   misses (its buffer replaces block 0's), 313+14 = 327, next 332.
//   Pass 2: block 0 is gone: every block misses (five blocks, four buffers, round
//   robin). S = 332+14 = 346;
//   fillers S..S+252 with three misses (the last at S+294), A1-1 S+295, A0 S+297, JAN
//   after its miss S+298+14 = S+312 = 658, next 663.
//   Pass 3: S = 677, JAN at 989 falls through, next 991. The exit is in block 4
//   (in a buffer): S1 EXIT0 991, S0 1 992, EX 993: cycles 994. Misses 15.
// ---------------------------------------------------------------------------------
fn loop_kernel(fillers: usize) -> String {
    let mut body = String::from("MAIN     A1        D'3\nLOOP     =         *\n");
    for _ in 0..fillers {
        body.push_str("         S3        S4&S5\n");
    }
    body.push_str("         A1        A1-1\n         A0        A1\n         JAN       LOOP\n");
    body
}

#[test]
fn k8_loop_in_and_beyond_the_instruction_buffers() {
    let r = run(Model::Cray1, &loop_kernel(251), "");
    assert_eq!(r.at[r.at.len() - 3], 256, "the exit starts in block 4");
    assert_eq!(r.cycles, 863);
    let c = &r.counters;
    assert_eq!(c.instruction_buffer_misses, 5);
    assert_eq!(c.hold_instruction_buffer, 5 * 14 + 6 * 2);
    assert_eq!((c.branches, c.branches_taken), (3, 2));

    let r = run(Model::Cray1, &loop_kernel(253), "");
    assert_eq!(r.cycles, 994);
    let c = &r.counters;
    assert_eq!(c.instruction_buffer_misses, 15);
    assert_eq!(c.hold_instruction_buffer, 15 * 14);
}

// ---------------------------------------------------------------------------------
// K9. Branches taken and not taken (taken 5 CP, falling through 2 CP, in buffer).
//
//   A1 D'1     t0       A1 at t0+1
//   A0 A1      t0+1     A0 at t0+3 (address add 2 CP)
//   JAZ DONE   t0+3     A0 = 1: falls through, occupies 2 CP
//   JAN NEXT   t0+5     taken, 5 CP
//   S2 1.               skipped
//   NEXT J DONE t0+10   taken, 5 CP
//   S3 2.               skipped
//   DONE S1 EXIT0 t0+15, S0 1 t0+16, EX t0+17
// cycles = t0+18: Cray-1 32, X-MP 32. Branch holds 1+4+4 = 9.
// ---------------------------------------------------------------------------------
const K9: &str = "
MAIN     A1        D'1
         A0        A1
         JAZ       DONE
         JAN       NEXT
         S2        1.
NEXT     J         DONE
         S3        2.
DONE     =         *
";

#[test]
fn k9_branches_taken_and_not_taken() {
    for model in [Model::Cray1, Model::XMp] {
        let r = run(model, K9, "");
        let t = t0(model);
        let expect: Vec<u64> = [1, 2, 5, 10, 15, 16, 17, 18]
            .iter()
            .map(|d| t + d)
            .collect();
        assert_eq!(r.after, expect, "{model:?}: cycles after each instruction");
        assert_eq!(r.cycles, t + 18);
        let c = &r.counters;
        assert_eq!((c.branches, c.branches_taken, c.hold_branch), (3, 2, 9));
        assert_eq!(
            c.instructions, 8,
            "the skipped instructions are not counted"
        );
    }
}

// ---------------------------------------------------------------------------------
// K10. One V register read by two vector instructions (HRM 2240004, "V register
// reservations": "A V register may serve only one vector operation as the source of
// one or both operands"). VL 64.
//
//   A1 D'64    t0
//   VL A1      t0+1     VL at t0+2
//   V2 V0+FV1  T=t0+2   reads V0 during T..T+64; done T+72
//   V3 V0*FV4  Cray-1: waits for V0's read, T+64; done T+64+9+64 = T+137
//              X-MP (guess: two readers allowed): T+1, done T+74
//   S1 EXIT0, S0 1 the next two CP; EX at the last result.
// Cray-1: cycles T+138 = 154; X-MP: T+75 = 91.
// ---------------------------------------------------------------------------------
const K10: &str = "
MAIN     A1        D'64
         VL        A1
         V2        V0+FV1
         V3        V0*FV4
";

#[test]
fn k10_one_v_register_two_readers() {
    for (model, wait, done) in [(Model::Cray1, 64, 137), (Model::XMp, 1, 74)] {
        let r = run(model, K10, "");
        let t = t0(model) + 2;
        let expect = vec![
            t - 2,
            t - 1,
            t,
            t + wait,
            t + wait + 1,
            t + wait + 2,
            t + done,
        ];
        assert_eq!(r.issues(7), expect, "{model:?}");
        assert_eq!(r.cycles, t + done + 1, "{model:?}");
    }
}

// ---------------------------------------------------------------------------------
// The same counts through `cray run`, the way an outside check would measure them:
// the job's clock is the kernel's issue periods (hpm `issue_clock_periods`, the count
// derived above) plus the 50 CP of kernel time of its one system call (exit).
// K1: Cray-1 41, X-MP 41. K4: Cray-1 107, X-MP 116.
// ---------------------------------------------------------------------------------
#[test]
fn kernels_count_the_same_through_cray_run() {
    let dir = tempfile::tempdir().unwrap();
    for (name, body, data, cray1, xmp) in [("k1", K1, "", 41, 41), ("k4", K4, X64, 107, 116)] {
        let source = dir.path().join(format!("{name}.cal"));
        std::fs::write(
            &source,
            format!("         IDENT     {name}\n         START     MAIN\n{body}{EXIT}{data}         END\n"),
        )
        .unwrap();
        for (model, issue) in [("cray1", cray1), ("xmp", xmp)] {
            let json = dir.path().join(format!("{name}-{model}.json"));
            let out = cray()
                .args([
                    "run",
                    "--model",
                    model,
                    "--timing",
                    "approx",
                    "--stats-json",
                ])
                .arg(&json)
                .arg(&source)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", text(&out.stderr));
            let stats: Value =
                serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
            assert_eq!(stats["hpm"]["issue_clock_periods"], issue, "{name} {model}");
            assert_eq!(stats["cycles"], issue + 50, "{name} {model}");
        }
    }
}

// ---------------------------------------------------------------------------------
// K11. Vector divide V6 = V1/V2, VL 50, in the order HRM 2240004 p3-30 describes
// ("operations 1 and 3 are chained together ... two 50-element vectors are divided in
// about 3 * 50 clock periods", overhead not included): the three multiplies share the
// one floating multiply unit, so it is busy 3 * 50 CP.
//
//   A1 D'50      t0
//   VL A1        t0+1     VL at t0+2
//   V3 /HV2      T=t0+2   reciprocal: slot T+16, V3 complete T+66
//   V5 V1*FV3    T+16     chains; multiply busy to T+66; slot T+25, complete T+75
//   V4 V3*IV2    T+66     waits for the multiply unit (and, on the Cray-1, for the
//                         read of V3 by V5, also T+66); slot T+75, complete T+125
//   V6 V4*FV5    the unit is free at T+116, past V4's slot T+75:
//                Cray-1: waits for V4 complete, T+125; done T+125+9+50 = T+184.
//                X-MP (flexible chaining): T+116; done T+175.
//   S1 EXIT0, S0 1 the next two CP, EX at the quotient.
// cycles: Cray-1 T+185 = 201; X-MP T+176 = 192. The multiply unit's 150 CP plus the
// reciprocal's 16 CP to its chain slot and the last multiply's 9, and on the Cray-1
// the 9 CP lost to the missed chain slot: "about 3 * 50" plus overhead.
// ---------------------------------------------------------------------------------
const K11: &str = "
MAIN     A1        D'50
         VL        A1
         V3        /HV2
         V5        V1*FV3
         V4        V3*IV2
         V6        V4*FV5
";

#[test]
fn k11_vector_divide() {
    for (model, last, done) in [(Model::Cray1, 125, 184), (Model::XMp, 116, 175)] {
        let r = run(model, K11, "");
        let t = t0(model) + 2;
        let expect = vec![
            t - 2,
            t - 1,
            t,
            t + 16,
            t + 66,
            t + last,
            t + last + 1,
            t + last + 2,
            t + done,
        ];
        assert_eq!(r.issues(9), expect, "{model:?}");
        assert_eq!(r.cycles, t + done + 1, "{model:?}");
        let c = &r.counters;
        assert_eq!((c.float_reciprocals, c.float_multiplies), (50, 150));
    }
}

// ---------------------------------------------------------------------------------
// K12. Scalar loads in a row. Cray-1: "1 word per 2 clock periods transfer rate for A
// and S registers" [WEB Gordon Bell CSP p.745, Table 1], memory 11 CP. X-MP: one word
// per CP (a guess), memory 14 CP.
//
// (S5 X,A0 is a memory load: A0 as the index register reads 0.)
// Consecutive words (distinct banks):
//   S5 X      t0        S5 at t0+11
//   S6 X+1    Cray-1 t0+2 (path busy 2 CP, held 1), X-MP t0+1
//   S7 X+2    Cray-1 t0+4, X-MP t0+2
//   A1 X+3    Cray-1 t0+6, X-MP t0+3
//   S1 EXIT0, S0 1 the next two CP; EX at the last load's arrival.
//   Cray-1: A1 at 20+11 = 31, EX 31, cycles 32. X-MP: A1 at 17+14 = 31, cycles 32.
// One bank (X+16 on the Cray-1, X+32 on the X-MP; bank busy 4 CP):
//   S5 X      t0
//   S6 X+b    t0+4 (held 3 for the bank, one bank conflict); arrives t0+4+L
//   S1 EXIT0 t0+5, S0 1 t0+6, EX t0+4+L. Cray-1 29, cycles 30; X-MP 32, cycles 33.
// ---------------------------------------------------------------------------------
#[test]
fn k12_scalar_loads_in_a_row() {
    let body = "MAIN     S5        X,A0\n         S6        X+1,A0\n         S7        X+2,A0\n         A1        X+3,A0\n";
    for (model, gap, load) in [(Model::Cray1, 2, 11), (Model::XMp, 1, 14)] {
        let r = run(model, body, X64);
        let t = t0(model);
        let last = t + 3 * gap;
        let expect = vec![
            t,
            t + gap,
            t + 2 * gap,
            last,
            last + 1,
            last + 2,
            last + load,
        ];
        assert_eq!(r.issues(7), expect, "{model:?}");
        assert_eq!(r.cycles, last + load + 1, "{model:?}");
        assert_eq!(r.counters.hold_memory, 3 * (gap - 1), "{model:?}");
        assert_eq!(r.counters.bank_conflicts, 0);
    }
    for (model, banks, load) in [(Model::Cray1, 16, 11), (Model::XMp, 32, 14)] {
        let body = format!("MAIN     S5        X,A0\n         S6        X+D'{banks},A0\n");
        let r = run(model, &body, X64);
        let t = t0(model);
        assert_eq!(
            r.issues(5),
            vec![t, t + 4, t + 5, t + 6, t + 4 + load],
            "{model:?}"
        );
        assert_eq!(r.cycles, t + 5 + load, "{model:?}");
        assert_eq!((r.counters.hold_memory, r.counters.bank_conflicts), (3, 1));
    }
}

// ---------------------------------------------------------------------------------
// K13. Load, add, store: the store chains on the X-MP ("chaining through memory",
// its own store port) but not on the Cray-1 ("the vector store instruction (177) is
// blocked from chain slot execution", HRM 2240004 "V register reservations"). VL 32,
// Y = X + 32: Y[k] is in the bank of X[k] on both models, long free by then.
//
//   A0 X       t0
//   A1 D'32    t0+1
//   VL A1      t0+2     VL at t0+3
//   V0 ,A0,1   T=t0+3   slot T+L, complete T+L+32
//   V1 V0+FV2  T+L      slot T+L+8, complete T+L+40
//   A0 Y       T+L+1    A0 at T+L+2
//   ,A0,1 V1   Cray-1: waits for V1 complete, T+47; stream to T+79.
//              X-MP: store port, chains at V1's slot T+24; stream to T+56.
//   S1 EXIT0, S0 1 the next two CP; EX when the store's stream ends.
// Cray-1 (T=17, L=7): cycles T+80 = 97. X-MP (T=17, L=16): cycles T+57 = 74.
// ---------------------------------------------------------------------------------
const K13: &str = "
MAIN     A0        X
         A1        D'32
         VL        A1
         V0        ,A0,1
         V1        V0+FV2
         A0        Y
         ,A0,1     V1
";

#[test]
fn k13_store_chains_on_the_xmp_only() {
    let data = "X        BSS       D'32\nY        BSS       D'32\n";
    for (model, load, store, end) in [(Model::Cray1, 7, 47, 79), (Model::XMp, 16, 24, 56)] {
        let r = run(model, K13, data);
        let t = t0(model) + 3;
        let expect = vec![
            t - 3,
            t - 2,
            t - 1,
            t,
            t + load,
            t + load + 1,
            t + store,
            t + store + 1,
            t + store + 2,
            t + end,
        ];
        assert_eq!(r.issues(10), expect, "{model:?}");
        assert_eq!(r.cycles, t + end + 1, "{model:?}");
        let c = &r.counters;
        assert_eq!(
            (c.memory_references, c.bank_conflicts),
            (64, 0),
            "{model:?}"
        );
    }
}

// ---------------------------------------------------------------------------------
// K14. An in-place vector recurrence, V1 V1+FV2 four times (the accumulator form of a
// reduction), at VL = n. Floating add 6 CP (HRM 2240004 p3-11's table of unit times);
// a result is at the chain slot at unit time + 2 = 8 CP after issue, and "a
// reservation for a result register is lifted during chain slot time" (HRM 2240004,
// "V register reservations"). Each add reads V1 as its operand, so it chains on the
// add before it, and the same lifted reservation lets it write V1: its results trail
// the old ones by the unit time. The unit is busy n CP per add.
//
//   A1 D'n     t0
//   VL A1      t0+1     VL at t0+2
//   V1 V1+FV2  T=t0+2   slot T+8, complete T+8+n, unit busy to T+n
//   V1 V1+FV2  n <= 8: at the slot, T+8 (the unit is free by then); slot T+16
//   V1 V1+FV2  T+16
//   V1 V1+FV2  T+24     complete T+32+n
//   S1 EXIT0   T+25
//   S0 1       T+26
//   EX         T+32+n
// cycles = T+33+n: n = 1: 50, n = 8: 57 on both models (8 CP an add, where a
// writer waiting for the old last element would take 8+n).
// n = 64: the unit frees at T+64, past the slot T+8.
//   X-MP (flexible chaining: an operand may join a result stream after its slot):
//   T+64, T+128, T+192; complete T+264: cycles T+265 = 281 (64 CP an add, not 72).
//   Cray-1 (the chain slot is one CP; a later reader waits for the whole result):
//   T+72, T+144, T+216; complete T+288: cycles T+289 = 305.
// ---------------------------------------------------------------------------------
#[test]
fn k14_in_place_recurrence_chains() {
    let cases = [
        (Model::Cray1, 1, 8),
        (Model::Cray1, 8, 8),
        (Model::Cray1, 64, 72),
        (Model::XMp, 1, 8),
        (Model::XMp, 8, 8),
        (Model::XMp, 64, 64),
    ];
    for (model, n, each) in cases {
        let body = format!(
            "MAIN     A1        D'{n}\n         VL        A1\n{}",
            "         V1        V1+FV2\n".repeat(4)
        );
        let r = run(model, &body, "");
        let t = t0(model) + 2;
        let last = t + 3 * each;
        let expect = vec![
            t - 2,
            t - 1,
            t,
            t + each,
            t + 2 * each,
            last,
            last + 1,
            last + 2,
            last + 8 + n,
        ];
        assert_eq!(r.issues(9), expect, "{model:?} VL {n}");
        assert_eq!(r.cycles, last + 9 + n, "{model:?} VL {n}");
        assert_eq!(r.counters.float_adds, 4 * n);
    }
}

// ---------------------------------------------------------------------------------
// K15. Three 64-word streams at once on the X-MP's three ports: a load of X (port A),
// a load of Y (port B), a store of W from V5 (port C, which V5 needs not wait for).
// 32 banks, each busy 4 CP after a reference (HRM 2240004 p6-21: a bank accepts a
// request every 4 CP; the X-MP/2x's bipolar banks, the model's figure). A stream
// offers one element per CP: element k of the stream issued at T+s, first bank b,
// is at bank b+k (mod 32) at T+s+k.
//
//   A1 D'64    t0
//   VL A1      t0+1     VL at t0+2
//   A0 X       t0+2
//   V1 ,A0,1   T=t0+3   X: banks x+k at T+k
//   A0 Y       T+1
//   V2 ,A0,1   T+2      Y: banks x+dy+k at T+2+k
//   A0 W       T+3
//   ,A0,1 V5   T+4      W: banks x+dw+k at T+4+k
//   S1 EXIT0   T+5
//   S0 1       T+6
// Two streams meet a bank within its busy time when their visits are under 4 CP
// apart: X and Y visit bank x+dy+j at T+dy+j (+32) and T+2+j, 2-dy (mod 32) apart,
// so they never meet for dy in 6..=29; X and W: 4-dw, never for dw in 8..=32; Y and W:
// 2-(dw-dy), never for dw-dy in 6..=29 (mod 32). Placed so, no element waits: X ends
// T+64, Y T+66, W T+68; V1 is complete at T+64+16, V2 at T+66+16 (load start-up 16
// CP, the model's X-MP figure). EX waits for V2: T+82, cycles T+83 = 100 (T = 17),
// wherever the arrays are, and no bank conflict.
//
// (A model keeping one free gap per bank forgot the periods before the gap a second
// stream took, and held the third: 130 to 146 CP for these placements.)
// ---------------------------------------------------------------------------------
#[test]
fn k15_three_streams_that_never_meet_do_not_wait() {
    let body = "MAIN     A1        D'64\n         VL        A1\n         A0        X\n         V1        ,A0,1\n         A0        Y\n         V2        ,A0,1\n         A0        W\n         ,A0,1     V5\n";
    for (dy, dw) in [(16, 8), (8, 16), (24, 12), (12, 24), (6, 12), (29, 8)] {
        let data = format!(
            "X        BSS       D'64\nPADY     BSS       D'{}\nY        BSS       D'64\nPADW     BSS       D'{}\nW        BSS       D'64\n",
            dy,
            (dw + 32 - dy) % 32 + 32
        );
        let r = run(Model::XMp, body, &data);
        let t = 17;
        let expect = vec![
            14,
            15,
            16,
            t,
            t + 1,
            t + 2,
            t + 3,
            t + 4,
            t + 5,
            t + 6,
            t + 82,
        ];
        assert_eq!(r.issues(11), expect, "Y at +{dy}, W at +{dw} banks");
        assert_eq!(r.cycles, t + 83, "Y at +{dy}, W at +{dw} banks");
        let c = &r.counters;
        assert_eq!((c.memory_references, c.bank_conflicts), (192, 0));
    }
}

// ---------------------------------------------------------------------------------
// K16. Gather and scatter (X-MP) meet the banks as strided streams do: a word's
// bank is its address mod 32 (`sources.rs`, memory), whatever gave the address, and
// a bank stays busy 4 CP. Before, a gather or scatter streamed one element a CP
// whatever its addresses (the CPU did not give them to the model).
//
// All 64 indices 0, so every element is X, one bank (VL 64; `V1 V1\V1` is logical,
// 2 CP, so its chain slot is 2 + 2 = 4 CP after issue):
//   A1 D'64       14
//   VL A1         15      VL at 16
//   V1 V1\V1      16      chain slot 20
//   A0 X          17
//   V2 ,A0,V1     20      chains on V1 at its slot; element k waits for X's bank,
//                         busy 4 CP from element k-1: element k at 20+4k, the last
//                         at 272 (63 conflicts), stream end 273; V2 complete
//                         273+16 = 289
//   S1 EXIT0      21
//   S0 1          22
//   EX            289     waits for V2: cycles 290.
// The scatter `,A0,V1 V2` in its place: the same elements on the store port, end 273,
// and a store is done when its stream ends: EX at 273, cycles 274.
//
// Indices 0..63 loaded from a table T, X = T + 64 (so X + k is in T[k]'s bank):
//   A0 T          14
//   A1 D'64       15
//   VL A1         16      VL at 17
//   V1 ,A0,1      17      stream 17..80, chain slot 17+16 = 33
//   A0 X          18
//   V2 ,A0,V1     33      second load port; element k at 33+k in bank (T+k) mod 32,
//                         which the table stream met at 17+k and meets at 49+k (k <
//                         32): 16 CP apart, so no wait; end 97, complete 97+16 = 113
//   S1 EXIT0      34
//   S0 1          35
//   EX            113     cycles 114, as before: no conflict, no change.
// ---------------------------------------------------------------------------------
#[test]
fn k16_gather_and_scatter_meet_the_banks_of_their_addresses() {
    let one_bank = |access: &str| {
        format!(
            "MAIN     A1        D'64\n         VL        A1\n         V1        V1\\V1\n         A0        X\n{access}"
        )
    };
    let data = "X        BSS       D'64\n";
    let gather = run(Model::XMp, &one_bank("         V2        ,A0,V1\n"), data);
    assert_eq!(gather.issues(5), [14, 15, 16, 17, 20]);
    assert_eq!(gather.cycles, 290);
    let c = &gather.counters;
    assert_eq!((c.memory_references, c.bank_conflicts), (64, 63));
    let scatter = run(Model::XMp, &one_bank("         ,A0,V1    V2\n"), data);
    assert_eq!(scatter.issues(5), [14, 15, 16, 17, 20]);
    assert_eq!(scatter.cycles, 274);
    assert_eq!(scatter.counters.bank_conflicts, 63);

    // T holds 0..63, one word each, and X follows it.
    let table: String = (0..64)
        .map(|k| format!("{:<9}CON       {k}\n", if k == 0 { "T" } else { "" }))
        .collect();
    let spread = run(
        Model::XMp,
        "MAIN     A0        T\n         A1        D'64\n         VL        A1\n         V1        ,A0,1\n         A0        X\n         V2        ,A0,V1\n",
        &format!("{table}X        BSS       D'64\n"),
    );
    assert_eq!(spread.issues(6), [14, 15, 16, 17, 18, 33]);
    assert_eq!(spread.cycles, 114);
    let c = &spread.counters;
    assert_eq!((c.memory_references, c.bank_conflicts), (128, 0));
}
