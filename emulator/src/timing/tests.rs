//! Clock-period counts derived by hand from the rules and figures in [`super::sources`].
//!
//! Every test starts with a cold model: the first instruction misses the instruction
//! buffers, so it issues at the fill time (14 CP on both models); derivations are
//! written relative to that first issue period `t0`.

use super::*;
use crate::isa::{decode, form_of};

/// Feeds instructions at consecutive parcel addresses, as a CPU would.
struct Driver {
    timing: TimingModel,
    model: Model,
    p: u32,
}

impl Driver {
    fn new(model: Model) -> Driver {
        Driver {
            timing: TimingModel::new(model),
            model,
            p: 0,
        }
    }

    fn issue_at(&mut self, p: u32, p1: u16, p2: u16, vl: u32, memory: MemoryAccess) -> u64 {
        let instruction = decode(p1, p2, self.model);
        assert_ne!(instruction.op, Op::Undefined, "{p1:06o}");
        let unit = form_of(p1, self.model).unwrap().unit;
        self.p = p + instruction.len();
        self.timing.issue(&Issue {
            instruction,
            parcel_address: p,
            vl,
            memory,
            branch_taken: true,
            unit,
        })
    }

    /// Issues a one-parcel instruction without memory reference.
    fn op(&mut self, p1: u16) -> u64 {
        self.issue_at(self.p, p1, 0, 64, MemoryAccess::None)
    }

    /// Issues a one-parcel vector instruction with VL 64 and a memory reference.
    fn mem(&mut self, p1: u16, memory: MemoryAccess) -> u64 {
        self.issue_at(self.p, p1, 0, 64, memory)
    }
}

#[test]
fn independent_scalar_instructions_issue_every_period() {
    // Cray-1. 030123 A1 A2+A3, 030456 A4 A5+A6, 030723 A7 A2+A3: no shared registers,
    // the address add unit is segmented, results arrive at t0+2, t0+3, t0+4 (distinct
    // A-file periods): one issue per CP -> t0, t0+1, t0+2; t0 = 14 (buffer miss).
    let mut d = Driver::new(Model::Cray1);
    assert_eq!(d.op(0o030123), 14);
    assert_eq!(d.op(0o030456), 15);
    assert_eq!(d.op(0o030723), 16);
    assert_eq!(d.timing.cycles(), 17);
    assert_eq!(d.timing.counters().hold_register, 0);
    assert_eq!(d.timing.counters().instructions, 3);
}

#[test]
fn dependent_scalar_instructions_wait_for_results() {
    // Cray-1, address add 2 CP. 030123 A1 A2+A3 at t0 -> A1 at t0+2.
    // 030413 A4 A1+A3 waits for A1: t0+2 (held 1 CP) -> A4 at t0+4.
    // 030541 A5 A4+A1 waits for A4: t0+4 (held 1 CP).
    let mut d = Driver::new(Model::Cray1);
    let t0 = d.op(0o030123);
    assert_eq!(d.op(0o030413), t0 + 2);
    assert_eq!(d.op(0o030541), t0 + 4);
    assert_eq!(d.timing.counters().hold_register, 2);
}

#[test]
fn cray1_scalar_divide_takes_29_clock_periods() {
    // The HRM p3-30 calibration point: S6 = S1/S2 in four instructions.
    //   070320 S3 /HS2      t0       reciprocal (14)      S3 at t0+14
    //   064413 S4 S1*FS3    t0+14    waits for S3 (7)     S4 at t0+21
    //   067532 S5 S3*IS2    t0+15    back to back (7)     S5 at t0+22
    //   064645 S6 S4*FS5    t0+22    waits for S5 (7)     S6 at t0+29
    // 14 + 1 + 7 + 7 = 29 CP from the first issue to the quotient.
    for model in [Model::Cray1, Model::XMp] {
        let mut d = Driver::new(model);
        let t0 = d.op(0o070320);
        assert_eq!(d.op(0o064413), t0 + 14);
        assert_eq!(d.op(0o067532), t0 + 15);
        assert_eq!(d.op(0o064645), t0 + 22);
        assert_eq!(d.timing.quiescent() - t0, 29, "{model:?}");
        let c = d.timing.counters();
        assert_eq!((c.float_reciprocals, c.float_multiplies), (1, 3));
    }
}

#[test]
fn two_results_may_not_reach_the_s_file_in_one_period() {
    // 064123 S1 S2*FS3 at t0 arrives t0+7. 062456 S4 S5+FS6 could issue at t0+1 but
    // would arrive t0+1+6 = t0+7 too: held one CP, issues t0+2, arrives t0+8.
    let mut d = Driver::new(Model::Cray1);
    let t0 = d.op(0o064123);
    assert_eq!(d.op(0o062456), t0 + 2);
    assert_eq!(d.timing.counters().hold_result_bus, 1);
}

#[test]
fn chained_vector_pair_on_both_models() {
    // VL 64. 171201 V2 V0+FV1 at t0: first element at t0 + 6 (FA) + 2 (transit) =
    // t0+8 (the chain slot), last written by t0+72.
    // 161423 V4 V2*FV3 is ready at t0+1, before the slot; both models let it start at
    // the slot t0+8 (held 7). V4: first at t0+8+7+2 = t0+17, done t0+81.
    for model in [Model::Cray1, Model::XMp] {
        let mut d = Driver::new(model);
        let t0 = d.op(0o171201);
        assert_eq!(d.op(0o161423), t0 + 8, "{model:?}");
        assert_eq!(d.timing.quiescent(), t0 + 81);
        let c = d.timing.counters();
        assert_eq!(c.hold_register, 7);
        assert_eq!((c.float_adds, c.float_multiplies), (64, 64));
        assert_eq!((c.vector_instructions, c.vector_elements), (2, 128));
    }
}

#[test]
fn missed_chain_slot_waits_on_the_cray1_but_not_the_xmp() {
    // VL 64.
    //   171201 V2 V0+FV1  t0    slot t0+8,  done t0+72
    //   161356 V3 V5*FV6  t0+1  slot t0+1+7+2 = t0+10, done t0+74
    //   155423 V4 V2+V3   (vector add, 3 CP) reads both.
    // Cray-1: it cannot issue in V2's slot (t0+8) because V3 is not ready until t0+10;
    // at t0+10 V2's slot has passed, so it waits for V2 to complete (t0+72), by which
    // time V3's slot has passed too: it waits for V3 to complete, t0+74.
    // Then V4 done at t0+74+3+2+64 = t0+143.
    // X-MP (flexible chaining): starts once both first elements exist, t0+10;
    // V4 done at t0+10+3+2+64 = t0+79.
    for (model, issue, done) in [(Model::Cray1, 74, 143), (Model::XMp, 10, 79)] {
        let mut d = Driver::new(model);
        let t0 = d.op(0o171201);
        assert_eq!(d.op(0o161356), t0 + 1);
        assert_eq!(d.op(0o155423), t0 + issue, "{model:?}");
        assert_eq!(d.timing.quiescent(), t0 + done, "{model:?}");
    }
}

#[test]
fn cray1_stores_do_not_chain_xmp_stores_do() {
    // 171201 V2 V0+FV1 at t0 (slot t0+8, done t0+72); 177020 ,A0,1 V2 stores it.
    // Cray-1: the store waits for the whole register, t0+72. X-MP: chains at t0+8.
    for (model, issue) in [(Model::Cray1, 72), (Model::XMp, 8)] {
        let mut d = Driver::new(model);
        let t0 = d.op(0o171201);
        let store = MemoryAccess::Vector {
            first: 0o1000,
            stride: 1,
        };
        assert_eq!(d.mem(0o177020, store), t0 + issue, "{model:?}");
    }
}

#[test]
fn stride_one_streams_and_a_bank_stride_conflicts() {
    // Cray-1, 16 banks busy 4 CP, vector load start-up 7 CP, VL 64.
    // 176100 V1 ,A0,1 stride 1: element n goes to bank n mod 16 at t0+n; a bank is
    // revisited every 16 CP > 4: no conflicts. Last reference t0+63, so V1 is complete
    // at t0+64+7 = t0+71.
    let mut d = Driver::new(Model::Cray1);
    let t0 = d.mem(
        0o176100,
        MemoryAccess::Vector {
            first: 0,
            stride: 1,
        },
    );
    assert_eq!(d.timing.quiescent(), t0 + 71);
    assert_eq!(d.timing.counters().bank_conflicts, 0);
    assert_eq!(d.timing.counters().memory_references, 64);

    // Stride 16 (176101 V1 ,A0,A1 with A1 = 16): every element hits bank 0, so element n
    // waits for the bank: reference at t0+4n; the last at t0+252, complete at
    // t0+253+7 = t0+260; 63 conflicts.
    let mut d = Driver::new(Model::Cray1);
    let t0 = d.mem(
        0o176101,
        MemoryAccess::Vector {
            first: 0,
            stride: 16,
        },
    );
    assert_eq!(d.timing.quiescent(), t0 + 260);
    assert_eq!(d.timing.counters().bank_conflicts, 63);
}

#[test]
fn cray1_vector_load_reaches_its_chain_slot_after_seven_periods() {
    // Published start-up of a Cray-1 vector load [WEB Edinburgh cray1-ch]: "after a
    // start-up delay of seven clock periods, the first element of the vector from store
    // becomes available for delivery to V0", and the chained multiply issues in that
    // clock period (the chain slot). VL 64, stride 1, no bank conflicts.
    //   176000 V0 ,A0,1   t0     elements at V0 from t0+7, V0 complete at t0+71
    //   160110 V1 S1*FV0  t0+7   chain slot; multiply slot t0+7+7+2 = t0+16, done t0+80
    // (The model used 11 + 2 = 13 CP, the scalar memory time plus transit, before.)
    let mut d = Driver::new(Model::Cray1);
    let t0 = d.mem(
        0o176000,
        MemoryAccess::Vector {
            first: 0,
            stride: 1,
        },
    );
    assert_eq!(d.op(0o160110), t0 + 7);
    assert_eq!(d.timing.quiescent(), t0 + 80);
    assert_eq!(d.timing.counters().hold_register, 6);
}

#[test]
fn cray1_v_register_serves_one_vector_operation_at_a_time() {
    // HRM 2240004, "V register reservations": "A V register may serve only one vector
    // operation as the source of one or both operands." VL 64.
    //   171201 V2 V0+FV1  t0     reads V0 and V1 during t0..t0+64; V2 done t0+72
    //   161304 V3 V0*FV4  Cray-1: waits for the read of V0 to end, t0+64; done
    //                     t0+64+7+2+64 = t0+137. X-MP (two readers allowed, a guess):
    //                     t0+1, done t0+74.
    let mut d = Driver::new(Model::Cray1);
    let t0 = d.op(0o171201);
    assert_eq!(d.op(0o161304), t0 + 64);
    assert_eq!(d.timing.quiescent(), t0 + 137);
    assert_eq!(d.timing.counters().hold_register, 63);
    let mut d = Driver::new(Model::XMp);
    let t0 = d.op(0o171201);
    assert_eq!(d.op(0o161304), t0 + 1);
    assert_eq!(d.timing.quiescent(), t0 + 74);
    // A store of V0 is a vector operation too: on the Cray-1 it waits for the read.
    let mut d = Driver::new(Model::Cray1);
    let t0 = d.op(0o171201);
    let store = d.mem(
        0o177000,
        MemoryAccess::Vector {
            first: 0o1000,
            stride: 1,
        },
    );
    assert_eq!(store, t0 + 64);
}

#[test]
fn cray1_scalar_references_transfer_one_word_per_two_periods() {
    // Gordon Bell CSP p.745, Table 1: "1 word per 2 clock periods transfer rate for A
    // and S registers". Cray-1, loads from words 0, 1, 2 (three banks):
    //   120100 S1 0,A0   t0     S1 at t0+11
    //   120200 S2 1,A0   t0+2   the path is busy 2 CP (held 1)
    //   100300 A3 2,A0   t0+4
    // X-MP (one word per CP, a guess): t0, t0+1, t0+2.
    for (model, gap) in [(Model::Cray1, 2), (Model::XMp, 1)] {
        let mut d = Driver::new(model);
        let t0 = d.mem(0o120100, MemoryAccess::Scalar { address: 0 });
        assert_eq!(
            d.mem(0o120200, MemoryAccess::Scalar { address: 1 }),
            t0 + gap
        );
        assert_eq!(
            d.mem(0o100300, MemoryAccess::Scalar { address: 2 }),
            t0 + 2 * gap
        );
        assert_eq!(d.timing.counters().hold_memory, 2 * (gap - 1));
    }
}

#[test]
fn xmp_stride_sixteen_uses_two_of_thirty_two_banks() {
    // X-MP, 32 banks busy 4 CP, memory 14, transit 2. Stride 16 alternates banks 0 and
    // 16: element 2m at t0+4m, element 2m+1 at t0+4m+1 (bank 16 is free again exactly
    // then). Even elements 2..62 wait: 31 conflicts. Last reference (element 63) at
    // t0+125, complete at t0+126+16 = t0+142.
    let mut d = Driver::new(Model::XMp);
    let t0 = d.mem(
        0o176101,
        MemoryAccess::Vector {
            first: 0,
            stride: 16,
        },
    );
    assert_eq!(d.timing.quiescent(), t0 + 142);
    assert_eq!(d.timing.counters().bank_conflicts, 31);
}

#[test]
fn xmp_ports_overlap_loads_the_cray1_port_does_not() {
    // Two stride-1 loads, VL 64, from word 0 and word 16 (banks never meet within 4
    // CP: 15 or 17 CP apart). Cray-1: one memory path, busy t0..t0+64, so the second
    // load holds until t0+64. X-MP: the second takes the other load port at t0+1, and a
    // store of an unrelated register (V5) takes the store port at t0+2.
    let first = MemoryAccess::Vector {
        first: 0,
        stride: 1,
    };
    let second = MemoryAccess::Vector {
        first: 16,
        stride: 1,
    };
    let store = MemoryAccess::Vector {
        first: 0o4010,
        stride: 1,
    };
    let mut d = Driver::new(Model::Cray1);
    let t0 = d.mem(0o176100, first);
    assert_eq!(d.mem(0o176200, second), t0 + 64);
    assert_eq!(d.timing.counters().hold_memory, 63);

    let mut d = Driver::new(Model::XMp);
    let t0 = d.mem(0o176100, first);
    assert_eq!(d.mem(0o176200, second), t0 + 1);
    assert_eq!(d.mem(0o177050, store), t0 + 2);
    assert_eq!(d.timing.counters().hold_memory, 0);
}

#[test]
fn a_loop_over_five_buffers_misses_every_time() {
    // Cray-1: 4 buffers of 64 parcels, miss 14 CP, taken branch 5 CP.
    // Loop A: `J` at parcels 0, 64, 128, 192, 256 each jumping to the next, the last
    // back to 0: five blocks rotate through four buffers, so every J misses. Each J
    // issues 14 CP after the previous one ended and occupies 5: 19 CP per J,
    // 3 iterations x 5 x 19 = 285 CP, 15 misses.
    let mut d = Driver::new(Model::Cray1);
    for _ in 0..3 {
        for block in 0..5u32 {
            let target = ((block + 1) % 5) * 64;
            d.issue_at(block * 64, 0o006000, target as u16, 1, MemoryAccess::None);
        }
    }
    assert_eq!(d.timing.cycles(), 285);
    assert_eq!(d.timing.counters().instruction_buffer_misses, 15);
    assert_eq!(d.timing.counters().hold_branch, 15 * 4);

    // Loop B: the same over four blocks fits: 4 misses in the first iteration
    // (4 x 19 = 76), then 2 iterations x 4 x 5 = 40: 116 CP. Each J's target is in
    // another buffer, which a taken branch's 5 CP cover.
    let mut d = Driver::new(Model::Cray1);
    for _ in 0..3 {
        for block in 0..4u32 {
            let target = ((block + 1) % 4) * 64;
            d.issue_at(block * 64, 0o006000, target as u16, 1, MemoryAccess::None);
        }
    }
    assert_eq!(d.timing.cycles(), 116);
    assert_eq!(d.timing.counters().instruction_buffer_misses, 4);
    assert_eq!(d.timing.counters().hold_instruction_buffer, 4 * 14);
}

#[test]
fn running_into_a_buffer_already_loaded_costs_the_change_time() {
    // A jump from parcel 0 to block 1 (parcel 64 on the Cray-1, 128 on the X-MP)
    // loads it (miss at 14, J issues 14 and occupies 5), then a jump back to parcel 0:
    // its target is still in buffer 0, so no miss, and a taken branch reaches any
    // buffer in its 5 CP. Then straight-line code from parcel 0 runs on into block 1:
    // 2 CP (both models).
    //   J at parcel 0: 14, next 19. J 0 in block 1: miss, 19+14 = 33, next 38.
    //   S1 S2&S3 at parcels 0..N-1: 38..38+N-1. Parcel N: 38+N+2.
    for (model, n) in [(Model::Cray1, 64), (Model::XMp, 128)] {
        let mut d = Driver::new(model);
        assert_eq!(d.issue_at(0, 0o006000, n as u16, 1, MemoryAccess::None), 14);
        assert_eq!(d.issue_at(n, 0o006000, 0, 1, MemoryAccess::None), 33);
        d.p = 0;
        for p in 0..u64::from(n) {
            assert_eq!(d.op(0o042123), 38 + p, "{model:?}");
        }
        assert_eq!(d.op(0o042123), 38 + u64::from(n) + 2);
        assert_eq!(d.timing.counters().instruction_buffer_misses, 2);
        assert_eq!(d.timing.counters().hold_instruction_buffer, 2 * 14 + 2);
    }
    let mut d = Driver::new(Model::Cray1);
    d.op(0o042123);

    // After an exec the buffers are empty: an instruction at parcel 0, whose block
    // was loaded before, misses, with no change time on top.
    d.timing.new_program();
    let next = d.timing.cycles();
    assert_eq!(d.issue_at(0, 0o042123, 0, 1, MemoryAccess::None), next + 14);
    assert_eq!(d.timing.counters().instruction_buffer_misses, 2);
}

#[test]
fn the_buffer_cursor_keeps_the_one_byte_of_format_1_0() {
    // Images of format 1.0 stored the next buffer to load as one byte; they must read
    // back as that buffer, with no current buffer.
    for next in 0..4u8 {
        let cursor: BufferCursor = postcard::from_bytes(&[next]).unwrap();
        assert_eq!(
            (cursor.next_miss(), cursor.current()),
            (usize::from(next), None)
        );
    }
    let mut cursor = BufferCursor::default();
    cursor.loaded(3, 4);
    assert_eq!((cursor.next_miss(), cursor.current()), (0, Some(3)));
    cursor.set_current(1);
    assert_eq!((cursor.next_miss(), cursor.current()), (0, Some(1)));
    assert_eq!(postcard::to_allocvec(&cursor).unwrap().len(), 1);
    // Any byte a damaged image holds names no buffer past the four.
    for byte in 0..=u8::MAX {
        assert!(
            BufferCursor(byte).current().is_none_or(|i| i < 4),
            "{byte:o}"
        );
    }
}

#[test]
fn scalar_float_waits_for_a_vector_on_the_shared_unit() {
    // 171201 V2 V0+FV1 at t0 occupies the floating add unit t0..t0+64;
    // 062123 S1 S2+FS3 holds until t0+64.
    let mut d = Driver::new(Model::Cray1);
    let t0 = d.op(0o171201);
    assert_eq!(d.op(0o062123), t0 + 64);
    assert_eq!(d.timing.counters().hold_functional_unit, 63);
}

#[test]
fn exit_waits_for_outstanding_results() {
    // 070320 S3 /HS2 at t0 (S3 at t0+14); 004000 EX drains: issues at t0+14.
    let mut d = Driver::new(Model::Cray1);
    let t0 = d.op(0o070320);
    assert_eq!(d.op(0o004000), t0 + 14);
}

/// A mixed program: scalar, vector, memory, branches.
fn mixed_step(d: &mut Driver, n: u32) {
    match n % 6 {
        0 => {
            d.mem(
                0o176100,
                MemoryAccess::Vector {
                    first: u64::from(n),
                    stride: 16,
                },
            );
        }
        1 => {
            d.op(0o171201);
        }
        2 => {
            d.op(0o064123);
        }
        3 => {
            d.issue_at(
                d.p,
                0o120100,
                0o40,
                64,
                MemoryAccess::Scalar {
                    address: u64::from(n),
                },
            );
        }
        4 => {
            d.op(0o030123);
        }
        _ => {
            let back = (n * 37) % 600;
            d.issue_at(d.p, 0o011000, back as u16, 64, MemoryAccess::None);
            d.p = back;
        }
    }
}

#[test]
fn a_restored_model_counts_the_same_clock_periods() {
    for model in [Model::Cray1, Model::XMp] {
        let mut uninterrupted = Driver::new(model);
        let mut first = Driver::new(model);
        for n in 0..200 {
            mixed_step(&mut uninterrupted, n);
            mixed_step(&mut first, n);
        }
        let bytes = postcard::to_allocvec(&first.timing).unwrap();
        let mut restored = Driver::new(model);
        restored.timing = postcard::from_bytes(&bytes).unwrap();
        restored.p = first.p;
        assert_eq!(restored.timing, first.timing);
        for n in 200..400 {
            mixed_step(&mut uninterrupted, n);
            mixed_step(&mut restored, n);
        }
        assert_eq!(restored.timing.cycles(), uninterrupted.timing.cycles());
        assert_eq!(restored.timing.counters(), uninterrupted.timing.counters());
        assert_eq!(restored.timing, uninterrupted.timing);
        assert!(uninterrupted.timing.counters().bank_conflicts > 0);
    }
}

#[test]
fn the_timeline_records_units_and_vector_registers() {
    // The chained pair: FA busy t0..t0+64+6, V2 written t0..t0+72, FM from t0+8.
    let mut d = Driver::new(Model::XMp);
    d.timing.enable_timeline(0, 200);
    let t0 = d.op(0o171201);
    d.op(0o161423);
    let timeline = d.timing.timeline().unwrap();
    let fa = timeline::unit_row(Unit::FloatAdd).unwrap();
    assert!(timeline.intervals().contains(&Interval {
        row: fa,
        start: t0,
        end: t0 + 70
    }));
    let v4 = timeline::vector_row(4);
    assert!(timeline.intervals().contains(&Interval {
        row: v4,
        start: t0 + 8,
        end: t0 + 81
    }));
    let svg = timeline.to_svg();
    assert!(svg.contains("floating multiply"));
    // Recording is not state: equality and serialization ignore it.
    let mut plain = Driver::new(Model::XMp);
    plain.op(0o171201);
    plain.op(0o161423);
    assert_eq!(plain.timing, d.timing);
    assert!(d.timing.take_timeline().is_some());
}

#[test]
fn a_stream_meeting_a_later_stream_in_the_middle_of_its_banks_waits_there() {
    // X-MP, 32 banks, busy 4. A: load V1 from 0, VL 64, port 0 at t0: bank b held
    // [t0+b, t0+b+4) and [t0+32+b, t0+36+b). B: store V5 to 1, VL 4, store port at
    // t0+1: waits for bank 1 (free t0+5, room before A comes back), then banks 2..4
    // at t0+6..t0+8, out of A's order. C: load V3 from 0, VL 64, port 1 at t0+2: waits
    // for bank 0 (t0+4), meets B in bank 1 at t0+5 and waits for it (t0+9), then goes
    // one per CP: 3 conflicts in all, and the shortcuts must see the third one, in
    // the middle of a round, as the general rules do.
    let mut fast = TimingModel::new(Model::XMp);
    let mut general = TimingModel::new(Model::XMp);
    for (p1, first) in [(0o176100, 0), (0o177050, 1), (0o176300, 0)] {
        let issue = Issue {
            instruction: decode(p1, 0, Model::XMp),
            parcel_address: 0,
            vl: if first == 0 { 64 } else { 4 },
            memory: MemoryAccess::Vector { first, stride: 1 },
            branch_taken: false,
            unit: Unit::Memory,
        };
        assert_eq!(fast.issue(&issue), general.issue_with::<false>(&issue));
        assert_eq!(fast, general);
    }
    assert_eq!(fast.counters().bank_conflicts, 3);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Instructions the property test draws from: scalar, vector, memory, branch.
    const PARCELS: [u16; 12] = [
        0o030123, 0o030413, 0o064123, 0o070320, 0o062456, 0o171201, 0o161423, 0o155423, 0o176100,
        0o177020, 0o120100, 0o011000,
    ];

    fn run(d: &mut Driver, steps: &[(usize, u32, u16)]) -> Vec<u64> {
        steps
            .iter()
            .map(|&(which, vl, address)| {
                let p1 = PARCELS[which];
                let memory = match p1 >> 9 {
                    0o176 | 0o177 => MemoryAccess::Vector {
                        first: u64::from(address),
                        stride: i64::from(address % 5) - 2,
                    },
                    0o120 => MemoryAccess::Scalar {
                        address: u64::from(address),
                    },
                    _ => MemoryAccess::None,
                };
                d.issue_at(u32::from(address) % 700, p1, address, vl, memory)
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Issue periods strictly increase, and a model restored from its serialized
        /// form at any point continues exactly as the uninterrupted one.
        #[test]
        fn restore_anywhere_is_invisible(
            steps in proptest::collection::vec((0..PARCELS.len(), 1u32..=64, any::<u16>()), 1..60),
            cut in 0usize..60,
            xmp in any::<bool>(),
        ) {
            let model = if xmp { Model::XMp } else { Model::Cray1 };
            let cut = cut.min(steps.len());
            let mut uninterrupted = Driver::new(model);
            let all = run(&mut uninterrupted, &steps);
            prop_assert!(all.windows(2).all(|w| w[0] < w[1]));

            let mut before = Driver::new(model);
            let mut times = run(&mut before, &steps[..cut]);
            let bytes = postcard::to_allocvec(&before.timing).unwrap();
            let mut after = Driver::new(model);
            after.timing = postcard::from_bytes(&bytes).unwrap();
            times.extend(run(&mut after, &steps[cut..]));
            prop_assert_eq!(times, all);
            prop_assert_eq!(&after.timing, &uninterrupted.timing);
        }
    }

    /// One random instruction: any parcel pair, any memory reference a CPU could
    /// report for it, any VL, taken or not, at one of a few parcel addresses (so the
    /// instruction buffers and the derived cache both hit and miss).
    fn any_issue(model: Model) -> impl Strategy<Value = Issue> {
        // Half any parcel at all, half the kinds that stress the model: vector and
        // block streams, scalar references, chained vector operations, branches.
        let p1 = prop_oneof![
            any::<u16>(),
            (0usize..PARCELS.len(), 0u16..0o100).prop_map(|(n, ijk)| PARCELS[n] & !0o77 | ijk),
            (0o034u16..=0o037, 0u16..0o1000).prop_map(|(gh, ijk)| gh << 9 | ijk),
        ];
        (
            p1,
            any::<u16>(),
            0u32..=64,
            any::<bool>(),
            0u32..600,
            (
                // Repeated stride-one streams from a few bank-aligned addresses are
                // what a vector loop does; any address and stride is everything else.
                prop_oneof![any::<u64>(), (0u64..4).prop_map(|n| n * 0o40)],
                prop_oneof![-40i64..40, Just(1)],
                0u32..80,
                0u8..4,
            ),
        )
            .prop_map(
                move |(p1, p2, vl, branch_taken, at, (address, stride, count, kind))| {
                    let instruction = decode(p1, p2, model);
                    let memory = if is_memory_reference(instruction) {
                        let address = address % 0o100000;
                        match kind {
                            0 => MemoryAccess::Scalar { address },
                            1 => MemoryAccess::Vector {
                                first: address,
                                stride,
                            },
                            2 => MemoryAccess::Block {
                                first: address,
                                count,
                            },
                            _ => MemoryAccess::Gather,
                        }
                    } else {
                        MemoryAccess::None
                    };
                    Issue {
                        instruction,
                        parcel_address: at,
                        vl,
                        memory,
                        branch_taken,
                        unit: form_of(p1, model).map_or(Unit::None, |f| f.unit),
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// The shortcuts (the plain path, the memory-stream shortcuts) leave exactly
        /// the state and give exactly the issue periods of the general rules.
        #[test]
        fn shortcuts_match_the_general_rules(
            xmp in any::<bool>(),
            seeds in proptest::collection::vec(any::<u8>(), 1..4),
            issues in proptest::collection::vec(any_issue(Model::XMp), 1..200),
            cray1 in proptest::collection::vec(any_issue(Model::Cray1), 1..200),
        ) {
            let (model, issues) = if xmp { (Model::XMp, issues) } else { (Model::Cray1, cray1) };
            let mut fast = TimingModel::new(model);
            let mut general = TimingModel::new(model);
            // Repeat the stream so that cached derivations and warm reservations are used.
            for _ in &seeds {
                for issue in &issues {
                    let a = fast.issue(issue);
                    let b = general.issue_with::<false>(issue);
                    prop_assert_eq!(a, b, "{:?}", issue);
                    prop_assert_eq!(&fast, &general, "{:?}", issue);
                }
            }
        }
    }

    /// Vector loads and stores from a few start addresses, mostly stride one, with a
    /// few scalar instructions between them: streams that meet the banks of earlier
    /// streams busy, just free, or free, in and out of the stride-one order.
    fn stream_steps() -> impl Strategy<Value = Vec<(bool, u64, i64, u32, usize)>> {
        proptest::collection::vec(
            (
                any::<bool>(),
                prop_oneof![
                    Just(0u64),
                    Just(5),
                    Just(0o24),
                    Just(0o40),
                    Just(0o47),
                    0u64..0o200
                ],
                prop_oneof![Just(1i64), Just(1), -3i64..4],
                prop_oneof![Just(64u32), 1u32..=64, 1u32..8],
                0usize..6,
            ),
            1..40,
        )
    }

    /// A vector store (177040) or load (176100) of `vl` elements from `first` by
    /// `stride`, at parcel 0.
    fn stream_issue(store: bool, first: u64, stride: i64, vl: u32, model: Model) -> Issue {
        let p1 = if store { 0o177040 } else { 0o176100 };
        Issue {
            instruction: decode(p1, 0, model),
            parcel_address: 0,
            vl,
            memory: MemoryAccess::Vector { first, stride },
            branch_taken: false,
            unit: Unit::Memory,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The stride-one shortcuts match the general rules.
        #[test]
        fn stream_shortcuts_match_the_general_rules(steps in stream_steps(), xmp in any::<bool>()) {
            let model = if xmp { Model::XMp } else { Model::Cray1 };
            let mut fast = TimingModel::new(model);
            let mut general = TimingModel::new(model);
            let mut issues = Vec::new();
            for (store, first, stride, vl, gap) in steps {
                issues.push(stream_issue(store, first, stride, vl, model));
                for _ in 0..gap {
                    issues.push(Issue {
                        instruction: decode(0o030123, 0, model),
                        parcel_address: 1,
                        vl,
                        memory: MemoryAccess::None,
                        branch_taken: false,
                        unit: Unit::AddressAdd,
                    });
                }
            }
            for issue in &issues {
                let a = fast.issue(issue);
                let b = general.issue_with::<false>(issue);
                prop_assert_eq!(a, b, "{:?}", issue);
                prop_assert_eq!(&fast, &general, "{:?}", issue);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// With scalar references between the streams, in their banks or not (what puts
        /// a stream's first bank out of the stride-one order), the shortcuts still
        /// match the general rules.
        #[test]
        fn stream_shortcuts_after_scalar_references_match_the_general_rules(
            steps in stream_steps(),
            xmp in any::<bool>(),
        ) {
            let model = if xmp { Model::XMp } else { Model::Cray1 };
            let mut fast = TimingModel::new(model);
            let mut general = TimingModel::new(model);
            for (store, first, stride, vl, scalars) in steps {
                let stream = stream_issue(store, first, stride, vl, model);
                // 120100 S1 address,A0: a scalar load, in the stream's first bank for
                // an even count, in the next for an odd one.
                let scalar = Issue {
                    instruction: decode(0o120100, 0, model),
                    parcel_address: 2,
                    vl,
                    memory: MemoryAccess::Scalar { address: first + scalars as u64 % 2 },
                    branch_taken: false,
                    unit: form_of(0o120100, model).map_or(Unit::None, |f| f.unit),
                };
                let issues = std::iter::repeat_n(&scalar, scalars).chain([&stream]);
                for issue in issues {
                    let a = fast.issue(issue);
                    let b = general.issue_with::<false>(issue);
                    prop_assert_eq!(a, b, "{:?}", issue);
                    prop_assert_eq!(&fast, &general, "{:?}", issue);
                }
            }
        }
    }
}

#[test]
fn a_scalar_reference_uses_a_bank_between_two_visits_of_a_stream() {
    // X-MP, 32 banks busy 4 CP. 176100 loads 64 words from word 0 at t0 on a load
    // port: bank 5 is referenced at t0+5 and again at t0+37, busy [t0+5, t0+9) and
    // [t0+37, t0+41). 120100 S1 5,A0 (bank 5), offered at t0+1 on the other load port,
    // fits before the stream's first visit: [t0+1, t0+5). 120200 S2 37,A0 (bank 5
    // again), offered at t0+2: busy until t0+9 by the two references, then free until
    // t0+37, room for a 4 CP reference: issue at t0+9 (held 7 CP, one bank conflict).
    // A model that kept only the end of the bank's last reservation would hold it
    // until t0+41.
    let mut d = Driver::new(Model::XMp);
    let t0 = d.mem(
        0o176100,
        MemoryAccess::Vector {
            first: 0,
            stride: 1,
        },
    );
    assert_eq!(d.mem(0o120100, MemoryAccess::Scalar { address: 5 }), t0 + 1);
    assert_eq!(
        d.mem(0o120200, MemoryAccess::Scalar { address: 37 }),
        t0 + 9
    );
    assert_eq!(d.timing.counters().hold_memory, 7);
    assert_eq!(d.timing.counters().bank_conflicts, 1);
    // What is left of the room between the visits starts after that reference, at
    // t0+13: a third word of bank 5 (word 69) offered at t0+10 goes at t0+13
    // (t0+13+4 <= t0+37).
    assert_eq!(
        d.mem(0o120300, MemoryAccess::Scalar { address: 69 }),
        t0 + 13
    );
}

/// The bank rules against a plain list of every reservation a bank holds: whatever
/// order references come in, one never overlaps another, it never starts before it is
/// offered, and it takes the first period from its offer where the whole reference
/// fits, unless that period lies before the bank's window.
mod bank_reservations {
    use super::super::banks::{bank_start, claim_bank, window_after, window_of_saved, LEGACY_BUSY};
    use proptest::prelude::*;

    const BUSY: u64 = 4;

    /// Whether [start, start + BUSY) meets no reservation in `held`.
    fn clear(held: &[u64], start: u64) -> bool {
        held.iter().all(|&r| start + BUSY <= r || r + BUSY <= start)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn references_take_the_first_room_there_is(offers in proptest::collection::vec(0u64..200, 1..40)) {
            let (mut free, mut window) = (0u64, 0u64);
            let mut held: Vec<u64> = Vec::new();
            for at in offers {
                let start = bank_start(free, window, at, BUSY);
                prop_assert!(start >= at);
                prop_assert!(clear(&held, start), "{start} meets {held:?}");
                let first_room = (at..).find(|&s| clear(&held, s)).unwrap();
                // The window: the 63 periods before the last reservation.
                if first_room + 63 + BUSY >= free {
                    prop_assert_eq!(start, first_room, "{:?} offered at {}", held, at);
                }
                claim_bank(&mut free, &mut window, start, BUSY);
                held.push(start);
                prop_assert_eq!(free, held.iter().map(|r| r + BUSY).max().unwrap_or(0));
            }
        }
    }

    /// [`window_after`] against the window `claim_bank` kept before it (shifted by the
    /// gap and the reservation, the gap's periods set below).
    #[test]
    fn a_claim_past_the_last_reservation_moves_the_window_on() {
        let bits = (1u64 << 63) - 1;
        for window in [
            0,
            1,
            0b1011_0110,
            bits >> 1,
            bits,
            0x2aaa_aaaa_aaaa_aaaa,
            bits ^ 1,
        ] {
            for gap in (0..140).chain([1 << 40, u64::MAX / 2]) {
                let shift = gap + BUSY;
                let kept = if shift >= 63 {
                    0
                } else {
                    (window << shift) & bits
                };
                let below = if gap >= 63 { bits } else { (1 << gap) - 1 };
                assert_eq!(
                    window_after(window, gap, BUSY),
                    kept | below,
                    "{window:#x} {gap}"
                );
            }
        }
    }

    #[test]
    fn a_gap_saved_by_an_older_version_reads_as_free_periods() {
        assert_eq!(LEGACY_BUSY, BUSY);
        for model in [crate::isa::Model::Cray1, crate::isa::Model::XMp] {
            assert_eq!(super::super::figures(model).bank_busy, LEGACY_BUSY);
        }
        // Last reservation [96, 100), free from 80 up to it: 16 periods.
        let window = window_of_saved(100, 80);
        assert_eq!(window, (1 << 16) - 1);
        assert_eq!(bank_start(100, window, 70, BUSY), 80);
        assert_eq!(bank_start(100, window, 93, BUSY), 100);
        assert_eq!(bank_start(100, window, 92, BUSY), 92);
        // No gap (0, and format 1.0's unused words): nothing free before 100.
        assert_eq!(bank_start(100, window_of_saved(100, 0), 70, BUSY), 100);
        // A window this version saved reads back as it was.
        assert_eq!(window_of_saved(100, (1 << 63) | 0b1010), 0b1010);
    }
}

#[test]
fn the_latest_reservation_is_the_end_of_the_longest_outstanding_work() {
    // The stride-16 load of the test above ties up bank 0 until its last reference
    // (t0+252) + 4 and fills V1 at t0+260: nothing the model holds reaches later.
    let mut d = Driver::new(Model::Cray1);
    assert_eq!(d.timing.latest_reservation(), 0);
    let t0 = d.mem(
        0o176101,
        MemoryAccess::Vector {
            first: 0,
            stride: 16,
        },
    );
    assert_eq!(d.timing.latest_reservation(), t0 + 260);
    // Every kind of time counts, the banks' included.
    let mut damaged = d.timing.clone();
    damaged.banks.free[5] = u64::MAX;
    assert_eq!(damaged.latest_reservation(), u64::MAX);
    let mut damaged = d.timing.clone();
    damaged.s_results[3] = t0 + 9000;
    assert_eq!(damaged.latest_reservation(), t0 + 9000);
}
