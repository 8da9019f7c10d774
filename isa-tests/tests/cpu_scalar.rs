//! Scalar instructions (040..077): constants, masks, logicals, shifts, integer and
//! floating arithmetic, transfers, shared T registers, SR0, vector elements.
use cray_emulator::cpu::{Flags, Stop};
use cray_emulator::float::{multiply, reciprocal, MultiplyKind};
use isa_tests::machine::{run, with_jkm, Machine, EX};

const SB: u64 = 1 << 63;
const ONE: u64 = 0o0400014000000000000000;
const ONE_AND_HALF: u64 = 0o0400016000000000000000;
const TWO: u64 = 0o0400024000000000000000;

#[test]
fn s_constants() {
    let mut program = with_jkm(0o040100, 0o17777777).to_vec();
    program.extend(with_jkm(0o041400, 0o1777777));
    let m = run(&program, |_| {});
    assert_eq!(m.cpu.s[1], 0o17777777);
    assert_eq!(
        m.cpu.s[4], !0o1777777u64,
        "S4 -O'1777777 -> 0414 01777776 is its neighbour"
    );
}

#[test]
fn masks() {
    let m = run(
        &[0o042100, 0o042277, 0o042373, 0o043400, 0o043505, 0o043677],
        |_| {},
    );
    assert_eq!(m.cpu.s[1], u64::MAX, "S1 -1");
    assert_eq!(m.cpu.s[2], 1, "S2 1");
    assert_eq!(m.cpu.s[3], 0o37, "S3 <5");
    assert_eq!(m.cpu.s[4], 0, "S4 0");
    assert_eq!(m.cpu.s[5], 0o37 << 59, "S5 >5");
    assert_eq!(m.cpu.s[6], u64::MAX - 1, "63 ones left-justified");
}

fn logical(parcel: u16, s1: u64, s2: u64, s3: u64) -> u64 {
    let m = run(&[parcel], |m| {
        m.cpu.s[1] = s1;
        m.cpu.s[2] = s2;
        m.cpu.s[3] = s3;
        m.cpu.s[0] = 0xFFFF;
    });
    m.cpu.s[1]
}

#[test]
fn logical_operations_and_register_zero_rules() {
    let (a, b, c) = (
        0xF0F0_0000_FFFF_0000u64,
        0xFF00_FF00_FF00_FF00u64,
        0x1234u64,
    );
    assert_eq!(logical(0o044123, c, a, b), a & b);
    assert_eq!(logical(0o044120, c, u64::MAX, b), SB, "S2&SB");
    assert_eq!(logical(0o044103, c, a, b), 0, "S0 in j reads 0");
    assert_eq!(logical(0o045123, c, a, b), a & !b);
    assert_eq!(logical(0o045120, c, u64::MAX, b), !SB);
    assert_eq!(logical(0o046123, c, a, b), a ^ b);
    assert_eq!(logical(0o046120, c, a, b), a ^ SB);
    assert_eq!(logical(0o047123, c, a, b), !a ^ b);
    assert_eq!(logical(0o047100, c, a, b), !SB, "S1 #SB");
    assert_eq!(logical(0o047103, c, a, b), !b, "S1 #S3");
    assert_eq!(logical(0o047120, c, a, b), !a ^ SB);
    assert_eq!(logical(0o050123, c, a, b), (a & b) | (c & !b));
    assert_eq!(logical(0o050120, c, a, b), (a & SB) | (c & !SB));
    assert_eq!(logical(0o051123, c, a, b), a | b);
    assert_eq!(logical(0o051100, c, a, b), SB, "S1 SB");
    assert_eq!(logical(0o051103, c, a, b), b, "S1 S3");
    assert_eq!(logical(0o051120, c, a, b), a | SB);
}

#[test]
fn single_shifts_to_s0_and_si() {
    let x = 0x8000_0000_0000_0001u64;
    let shifts = [
        (0o052203, x << 3),
        (0o052277, x << 63),
        (0o052200, x),
        (0o053203, x >> 61),
        (0o053277, x >> 1),
        (0o053200, 0),
    ];
    for (parcel, expected) in shifts {
        let m = run(&[parcel], |m| m.cpu.s[2] = x);
        assert_eq!(m.cpu.s[0], expected, "{parcel:06o}");
        assert_eq!(m.cpu.s[2], x, "source unchanged");
    }
    let m = run(&[0o052203], |m| m.cpu.s[2] = x);
    assert_eq!(m.cpu.s[0], x << 3);
    for (parcel, expected) in [
        (0o054200, x),
        (0o054201, x << 1),
        (0o054277, x << 63),
        (0o055200, 0),
        (0o055201, x >> 63),
        (0o055277, x >> 1),
        (0o055240, x >> 32),
    ] {
        let m = run(&[parcel], |m| m.cpu.s[2] = x);
        assert_eq!(m.cpu.s[2], expected, "{parcel:06o}");
    }
}

#[test]
fn double_shifts() {
    let hi = 0x0123_4567_89AB_CDEFu64;
    let lo = 0xFEDC_BA98_7654_3210u64;
    let left = |count: u32| {
        let m = run(&[0o056123], |m| {
            m.cpu.s[1] = hi;
            m.cpu.s[2] = lo;
            m.cpu.a[3] = count;
        });
        m.cpu.s[1]
    };
    assert_eq!(left(0), hi);
    assert_eq!(left(4), (hi << 4) | (lo >> 60));
    assert_eq!(left(63), (hi << 63) | (lo >> 1));
    assert_eq!(left(64), lo);
    assert_eq!(left(68), lo << 4);
    assert_eq!(left(127), lo << 63);
    assert_eq!(left(128), 0);
    assert_eq!(left(0xFF_FFFF), 0, "full 24-bit count");
    let right = |count: u32| {
        let m = run(&[0o057123], |m| {
            m.cpu.s[1] = lo;
            m.cpu.s[2] = hi;
            m.cpu.a[3] = count;
        });
        m.cpu.s[1]
    };
    assert_eq!(right(0), lo);
    assert_eq!(right(4), (lo >> 4) | (hi << 60));
    assert_eq!(right(63), (lo >> 63) | (hi << 1));
    assert_eq!(right(64), hi);
    assert_eq!(right(70), hi >> 6);
    assert_eq!(right(128), 0);
    // k = 0: count 1; j = 0: the other word reads 0.
    let m = run(&[0o056120, 0o057403], |m| {
        m.cpu.s[1] = hi;
        m.cpu.s[2] = lo;
        m.cpu.s[4] = lo;
        m.cpu.a[3] = 4;
    });
    assert_eq!(m.cpu.s[1], (hi << 1) | (lo >> 63));
    assert_eq!(m.cpu.s[4], lo >> 4);
}

#[test]
fn integer_add_and_subtract_wrap() {
    let m = run(
        &[0o060123, 0o060420, 0o060502, 0o061623, 0o061700, 0o061003],
        |m| {
            m.cpu.s[2] = u64::MAX;
            m.cpu.s[3] = 2;
        },
    );
    assert_eq!(m.cpu.s[1], 1, "carry out is lost");
    assert_eq!(m.cpu.s[4], u64::MAX ^ SB, "S2+SB");
    assert_eq!(m.cpu.s[5], u64::MAX, "S5 S2 (j = 0)");
    assert_eq!(m.cpu.s[6], u64::MAX - 2);
    assert_eq!(m.cpu.s[7], SB, "-SB");
    assert_eq!(m.cpu.s[0], 2u64.wrapping_neg(), "S0 real destination: -S3");
    let m = run(&[0o060123], |m| {
        m.cpu.s[2] = i64::MAX as u64;
        m.cpu.s[3] = 1;
    });
    assert_eq!(m.cpu.s[1], SB, "overflow wraps silently");
}

fn float_op(parcel: u16, s2: u64, s3: u64) -> Machine {
    run(&[parcel], |m| {
        m.cpu.s[2] = s2;
        m.cpu.s[3] = s3;
    })
}

#[test]
fn floating_add_and_subtract() {
    assert_eq!(float_op(0o062123, ONE, ONE).cpu.s[1], TWO);
    assert_eq!(float_op(0o063123, TWO, ONE).cpu.s[1], ONE);
    // Unnormalized operand (ISA.md 5.6 #2).
    let x = 0o0400010000777700007777;
    assert_eq!(
        float_op(0o062123, x, TWO).cpu.s[1],
        0o0400024000377740003777
    );
    // Normalize: Si +FSk; negate: Si -FSk.
    let m = run(&[0o071123, 0o062101], |m| m.cpu.a[3] = 5);
    assert_eq!(m.cpu.s[1], 0o0400035000000000000000, "5.0");
    assert_eq!(float_op(0o063103, 0, ONE).cpu.s[1], ONE | SB);
    // An underflowing operand counts as zero.
    assert_eq!(
        float_op(0o062123, ONE, 0o0177774000000000000000).cpu.s[1],
        ONE
    );
    // Total cancellation gives the all-zero word.
    assert_eq!(float_op(0o063123, ONE, ONE).cpu.s[1], 0);
    // k = 0 reads SB (-0 as a float).
    assert_eq!(
        float_op(0o062120, ONE, 0).cpu.s[1],
        cray_emulator::float::add(ONE, SB).value
    );
}

#[test]
fn floating_multiply_family() {
    assert_eq!(
        float_op(0o064123, ONE_AND_HALF, ONE_AND_HALF).cpu.s[1],
        0o0400024400000000000000
    );
    let x = 0o0400015252525252525252;
    let y = 0o0400047777000077770000;
    for (parcel, kind) in [
        (0o064123u16, MultiplyKind::Full),
        (0o065123, MultiplyKind::Half),
        (0o066123, MultiplyKind::Rounded),
        (0o067123, MultiplyKind::ReciprocalIteration),
    ] {
        assert_eq!(
            float_op(parcel, x, y).cpu.s[1],
            multiply(x, y, kind).value,
            "{parcel:06o}"
        );
        assert_eq!(
            float_op(parcel - 3, x, y).cpu.s[1],
            multiply(x, SB, kind).value,
            "{parcel:06o} with k = 0"
        );
    }
    // Underflowing product gives +0.
    assert_eq!(
        float_op(0o064123, 0o0200014000000000000000, 0o0200014000000000000000)
            .cpu
            .s[1],
        0
    );
    // Unnormalized operands are not normalized (ISA.md 5.6 #2).
    assert_eq!(
        float_op(0o064123, 0o0400010000777700007777, TWO).cpu.s[1],
        0o0400020000777700007777
    );
}

#[test]
fn reciprocal_approximation() {
    assert_eq!(
        float_op(0o070130, 0, TWO).cpu.s[1],
        0o0377777777777777700000
    );
    assert_eq!(float_op(0o070130, 0, ONE).cpu.s[1], reciprocal(ONE).value);
}

#[test]
fn floating_error_sets_status_without_exchange_when_disabled() {
    let overflow = 0o0600014000000000000000;
    let m = float_op(0o064123, overflow, ONE);
    assert!(m.cpu.flags.has(Flags::FLOATING_POINT));
    assert!(m.cpu.modes.float_error_status);
    let m = float_op(0o070120, 0, 0);
    assert!(m.cpu.flags.has(Flags::FLOATING_POINT), "reciprocal of 0");
}

#[test]
fn floating_error_exchanges_when_enabled() {
    let mut m = Machine::xmp();
    m.cpu.s[2] = 0o0600014000000000000000;
    m.cpu.s[3] = ONE;
    m.cpu.modes.interrupt_on_float = true;
    let stop = m.stop_of(&[0o001000, 0o062123, EX]);
    assert_eq!(
        stop,
        Stop::Exchange {
            flags: Flags(Flags::FLOATING_POINT),
            at: 1
        }
    );
    assert_eq!(m.cpu.p, 2, "the instruction completed");
    assert_eq!(m.cpu.s[1], cray_emulator::float::add(m.cpu.s[2], ONE).value);
}

#[test]
fn transfers_from_a() {
    let m = run(&[0o071103, 0o071200, 0o071313, 0o071423, 0o071523], |m| {
        m.cpu.a[3] = 0xFF_FFFB; // -5
    });
    assert_eq!(m.cpu.s[1], 0xFF_FFFB, "zero-extended");
    assert_eq!(m.cpu.s[2], 1, "A0 in k reads 1");
    assert_eq!(m.cpu.s[3], (-5i64) as u64, "sign-extended");
    assert_eq!(m.cpu.s[4], 0o1400600000000000000005, "+FA of -5");
    let m = run(&[0o071123], |m| m.cpu.a[3] = 5);
    assert_eq!(m.cpu.s[1], 0o0400600000000000000005);
}

#[test]
fn floating_constants() {
    let m = run(&[0o071330, 0o071440, 0o071550, 0o071660, 0o071770], |_| {});
    assert_eq!(m.cpu.s[3], 0o0400606000000000000000);
    assert_eq!(m.cpu.s[4], 0o0400004000000000000000);
    assert_eq!(m.cpu.s[5], ONE);
    assert_eq!(m.cpu.s[6], TWO);
    assert_eq!(m.cpu.s[7], 0o0400034000000000000000);
}

#[test]
fn shared_t_registers() {
    // ST2 S1; S3 ST2.
    let m = run(&[0o073123, 0o072323], |m| {
        m.cpu.shared.cluster = 1;
        m.cpu.s[1] = 0xABCD;
    });
    assert_eq!(m.cpu.shared.st[2], 0xABCD);
    assert_eq!(m.cpu.s[3], 0xABCD);
}

#[test]
fn vector_mask_and_status_register() {
    let m = run(&[0o073100, 0o073201], |m| {
        m.cpu.vm = 0x5555;
        m.cpu.shared.cluster = 2;
        m.cpu.modes.float_error_status = true;
        m.cpu.modes.interrupt_on_range = true;
        m.cpu.processor_number = 1;
    });
    assert_eq!(m.cpu.s[1], 0x5555);
    assert_eq!(
        m.cpu.s[2],
        (1 << 63) | (1 << 51) | (1 << 49) | (1 << 40) | (2 << 32)
    );
}

#[test]
fn t_register_transfers() {
    let m = run(&[0o074177, 0o075200], |m| {
        m.cpu.t[0o77] = 99;
        m.cpu.s[2] = 7;
    });
    assert_eq!(m.cpu.s[1], 99);
    assert_eq!(m.cpu.t[0], 7);
}

#[test]
fn vector_elements_to_and_from_s() {
    let m = run(&[0o076123, 0o076420, 0o077532, 0o077600], |m| {
        for e in 0..64 {
            m.cpu.v[2][e] = 100 + e as u64;
        }
        m.cpu.a[3] = 65; // element 1
        m.cpu.a[2] = 63;
        m.cpu.s[3] = 0xAAAA;
        m.cpu.v[6][1] = 5;
    });
    assert_eq!(m.cpu.s[1], 101, "element Ak mod 64");
    assert_eq!(m.cpu.s[4], 101, "k = 0: element 1");
    assert_eq!(m.cpu.v[5][63], 0xAAAA);
    assert_eq!(m.cpu.v[6][1], 0, "V6,1 0");
}
