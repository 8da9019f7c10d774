//! Vector register instructions (140..175): logicals, merges, shifts, integer and
//! floating arithmetic, reciprocal, counts, mask tests and compressed index. Every
//! test checks that elements at and beyond VL keep their old values.
use cray_emulator::cpu::Flags;
use cray_emulator::float::{add, multiply, reciprocal, subtract, MultiplyKind};
use isa_tests::machine::{run, Machine};

const SB: u64 = 1 << 63;
const SENTINEL: u64 = 0o1234567;
const ONE: u64 = 0o0400014000000000000000;

fn operands() -> ([u64; 64], [u64; 64]) {
    let mut a = [0u64; 64];
    let mut b = [0u64; 64];
    for e in 0..64 {
        a[e] = (e as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x4000_0000_0000_0000;
        b[e] = (e as u64 + 3).wrapping_mul(0xD1B5_4A32_D192_ED03);
    }
    // Some float-shaped elements.
    a[0] = ONE;
    b[0] = ONE;
    a[1] = 0o0400016000000000000000;
    b[1] = 0o0400047777000077770000;
    (a, b)
}

/// Runs one vector instruction with V2, V3 = operands, S2 = scalar, VL = `vl`, V1
/// pre-filled with a sentinel; returns the machine.
fn vector(parcel: u16, vl: u32, setup: impl FnOnce(&mut Machine)) -> Machine {
    let (a, b) = operands();
    run(&[parcel], |m| {
        m.cpu.vl = vl;
        m.cpu.v[2] = a;
        m.cpu.v[3] = b;
        m.cpu.v[1] = [SENTINEL; 64];
        m.cpu.s[2] = 0x0F0F_0000_FFFF_1234;
        m.cpu.a[3] = 5;
        setup(m);
    })
}

/// Asserts V1[e] = f(e) for e < vl and the sentinel above.
fn check(m: &Machine, vl: usize, f: impl Fn(usize) -> u64, what: &str) {
    for e in 0..64 {
        let expected = if e < vl { f(e) } else { SENTINEL };
        assert_eq!(m.cpu.v[1][e], expected, "{what}: element {e}");
    }
    assert!(!m.cpu.vector_not_used);
}

#[test]
fn vector_logicals() {
    let (a, b) = operands();
    let s = 0x0F0F_0000_FFFF_1234u64;
    for vl in [1usize, 17, 64] {
        let v = vl as u32;
        check(&vector(0o140123, v, |_| {}), vl, |e| s & b[e], "140");
        check(&vector(0o140103, v, |_| {}), vl, |_| 0, "140 j=0");
        check(&vector(0o141123, v, |_| {}), vl, |e| a[e] & b[e], "141");
        check(&vector(0o142123, v, |_| {}), vl, |e| s | b[e], "142");
        check(&vector(0o142103, v, |_| {}), vl, |e| b[e], "142 j=0: copy");
        check(&vector(0o143123, v, |_| {}), vl, |e| a[e] | b[e], "143");
        check(&vector(0o144123, v, |_| {}), vl, |e| s ^ b[e], "144");
        check(&vector(0o145123, v, |_| {}), vl, |e| a[e] ^ b[e], "145");
        check(&vector(0o145111, v, |_| {}), vl, |_| 0, "145iii: clear");
    }
}

#[test]
fn vector_merges_follow_vm() {
    let (a, b) = operands();
    let s = 0x0F0F_0000_FFFF_1234u64;
    let vm = 0xA5A5_0000_FFFF_0001u64;
    let bit = |e: usize| vm & (1 << (63 - e)) != 0;
    for vl in [1usize, 64] {
        let v = vl as u32;
        let m = vector(0o146123, v, |m| m.cpu.vm = vm);
        check(&m, vl, |e| if bit(e) { s } else { b[e] }, "146");
        let m = vector(0o146103, v, |m| m.cpu.vm = vm);
        check(&m, vl, |e| if bit(e) { 0 } else { b[e] }, "146 j=0");
        let m = vector(0o147123, v, |m| m.cpu.vm = vm);
        check(&m, vl, |e| if bit(e) { a[e] } else { b[e] }, "147");
    }
}

#[test]
fn vector_single_shifts() {
    let (a, _) = operands();
    for count in [0u32, 1, 5, 63, 64, 65, 0xFF_FFFF] {
        let m = vector(0o150123, 64, |m| m.cpu.a[3] = count);
        check(&m, 64, |e| a[e].checked_shl(count).unwrap_or(0), "150");
        let m = vector(0o151123, 9, |m| m.cpu.a[3] = count);
        check(&m, 9, |e| a[e].checked_shr(count).unwrap_or(0), "151");
    }
    let m = vector(0o150120, 64, |_| {});
    check(&m, 64, |e| a[e] << 1, "150 k=0: count 1");
    let m = vector(0o151120, 64, |_| {});
    check(&m, 64, |e| a[e] >> 1, "151 k=0: count 1");
}

fn dsl(high: u64, low: u64, c: u32) -> u64 {
    (((u128::from(high) << 64) | u128::from(low))
        .checked_shl(c)
        .unwrap_or(0)
        >> 64) as u64
}

fn dsr(high: u64, low: u64, c: u32) -> u64 {
    ((((u128::from(high) << 64) | u128::from(low))
        .checked_shr(c)
        .unwrap_or(0))
        & u128::from(u64::MAX)) as u64
}

#[test]
fn vector_double_shifts_pair_neighbours() {
    let (a, _) = operands();
    for vl in [1usize, 3, 64] {
        for count in [0u32, 1, 4, 63, 64, 70, 127, 128] {
            let m = vector(0o152123, vl as u32, |m| m.cpu.a[3] = count);
            check(
                &m,
                vl,
                |e| dsl(a[e], if e + 1 < vl { a[e + 1] } else { 0 }, count),
                "152",
            );
            let m = vector(0o153123, vl as u32, |m| m.cpu.a[3] = count);
            check(
                &m,
                vl,
                |e| dsr(if e == 0 { 0 } else { a[e - 1] }, a[e], count),
                "153",
            );
        }
    }
    let m = vector(0o152120, 64, |_| {});
    check(
        &m,
        64,
        |e| dsl(a[e], if e < 63 { a[e + 1] } else { 0 }, 1),
        "152 k=0",
    );
    let m = vector(0o153120, 64, |_| {});
    check(
        &m,
        64,
        |e| dsr(if e == 0 { 0 } else { a[e - 1] }, a[e], 1),
        "153 k=0",
    );
}

#[test]
fn vector_integer_add_and_subtract() {
    let (a, b) = operands();
    let s = 0x0F0F_0000_FFFF_1234u64;
    check(
        &vector(0o154123, 64, |_| {}),
        64,
        |e| s.wrapping_add(b[e]),
        "154",
    );
    check(
        &vector(0o155123, 64, |_| {}),
        64,
        |e| a[e].wrapping_add(b[e]),
        "155",
    );
    check(
        &vector(0o156123, 7, |_| {}),
        7,
        |e| s.wrapping_sub(b[e]),
        "156",
    );
    check(
        &vector(0o156103, 7, |_| {}),
        7,
        |e| b[e].wrapping_neg(),
        "156 j=0",
    );
    check(
        &vector(0o157123, 64, |_| {}),
        64,
        |e| a[e].wrapping_sub(b[e]),
        "157",
    );
    // Destination equal to both sources.
    let m = vector(0o155222, 64, |_| {});
    for (result, x) in m.cpu.v[2].iter().zip(a) {
        assert_eq!(*result, x.wrapping_add(x));
    }
}

#[test]
fn vector_floating_multiply_family() {
    let (a, b) = operands();
    let s = 0x0F0F_0000_FFFF_1234u64;
    let kinds = [
        (0o160123u16, MultiplyKind::Full),
        (0o162123, MultiplyKind::Half),
        (0o164123, MultiplyKind::Rounded),
        (0o166123, MultiplyKind::ReciprocalIteration),
    ];
    for (parcel, kind) in kinds {
        let m = vector(parcel, 33, |_| {});
        check(&m, 33, |e| multiply(s, b[e], kind).value, "scalar multiply");
        let m = vector(parcel + 0o1000, 33, |_| {});
        check(
            &m,
            33,
            |e| multiply(a[e], b[e], kind).value,
            "vector multiply",
        );
    }
}

#[test]
fn vector_floating_add_and_subtract() {
    let (a, b) = operands();
    let s = 0x0F0F_0000_FFFF_1234u64;
    check(
        &vector(0o170123, 64, |_| {}),
        64,
        |e| add(s, b[e]).value,
        "170",
    );
    check(
        &vector(0o170103, 64, |_| {}),
        64,
        |e| add(0, b[e]).value,
        "170 j=0",
    );
    check(
        &vector(0o171123, 64, |_| {}),
        64,
        |e| add(a[e], b[e]).value,
        "171",
    );
    check(
        &vector(0o172123, 2, |_| {}),
        2,
        |e| subtract(s, b[e]).value,
        "172",
    );
    check(
        &vector(0o172103, 2, |_| {}),
        2,
        |e| subtract(0, b[e]).value,
        "172 j=0",
    );
    check(
        &vector(0o173123, 64, |_| {}),
        64,
        |e| subtract(a[e], b[e]).value,
        "173",
    );
    let m = vector(0o171123, 2, |_| {});
    assert_eq!(m.cpu.v[1][0], 0o0400024000000000000000, "1.0 + 1.0");
}

#[test]
fn vector_float_errors_raise_the_flag() {
    let setup = |m: &mut Machine| {
        m.cpu.v[2] = [ONE; 64];
        m.cpu.v[3] = [ONE; 64];
        m.cpu.v[2][10] = 0o0700004000000000000000;
    };
    let m = vector(0o161123, 64, setup);
    assert!(m.cpu.flags.has(Flags::FLOATING_POINT));
    assert!(m.cpu.modes.float_error_status);
    // The error element is beyond VL: no error.
    let m = vector(0o161123, 10, setup);
    assert!(!m.cpu.flags.has(Flags::FLOATING_POINT));
    assert!(!m.cpu.modes.float_error_status);
}

#[test]
fn vector_reciprocal_population_parity() {
    let (a, _) = operands();
    check(
        &vector(0o174120, 64, |_| {}),
        64,
        |e| reciprocal(a[e]).value,
        "174 /H",
    );
    check(
        &vector(0o174121, 40, |_| {}),
        40,
        |e| u64::from(a[e].count_ones()),
        "174 P",
    );
    check(
        &vector(0o174122, 64, |_| {}),
        64,
        |e| u64::from(a[e].count_ones() & 1),
        "174 Q",
    );
}

fn test_truth(kind: usize, value: u64) -> bool {
    match kind {
        0 => value == 0,
        1 => value != 0,
        2 => (value as i64) >= 0,
        _ => (value as i64) < 0,
    }
}

fn test_vector() -> [u64; 64] {
    let mut v = [0u64; 64];
    for (e, x) in v.iter_mut().enumerate() {
        *x = match e % 4 {
            0 => 0,
            1 => 5,
            2 => SB | 3,
            _ => {
                if e % 8 == 3 {
                    0
                } else {
                    u64::MAX
                }
            }
        };
    }
    v
}

#[test]
fn vector_mask_tests_clear_bits_beyond_vl() {
    let v = test_vector();
    for vl in [1usize, 13, 64] {
        for kind in 0..4 {
            let parcel = 0o175040 + kind as u16; // VM V4,{Z,N,P,M}
            let m = run(&[parcel], |m| {
                m.cpu.vl = vl as u32;
                m.cpu.v[4] = v;
                m.cpu.vm = u64::MAX;
            });
            let mut expected = 0u64;
            for (e, x) in v.iter().enumerate().take(vl) {
                if test_truth(kind, *x) {
                    expected |= 1 << (63 - e);
                }
            }
            assert_eq!(m.cpu.vm, expected, "kind {kind} VL {vl}");
        }
    }
}

#[test]
fn compressed_index() {
    let v = test_vector();
    for vl in [1usize, 13, 64] {
        for kind in 0..4 {
            let parcel = 0o175144 + kind as u16; // V1,VM V4,{Z,N,P,M}
            let m = run(&[parcel], |m| {
                m.cpu.vl = vl as u32;
                m.cpu.v[4] = v;
                m.cpu.v[1] = [SENTINEL; 64];
            });
            let indices: Vec<u64> = (0..vl)
                .filter(|e| test_truth(kind, v[*e]))
                .map(|e| e as u64)
                .collect();
            let mut vm = 0u64;
            for e in &indices {
                vm |= 1 << (63 - e);
            }
            assert_eq!(m.cpu.vm, vm);
            assert_eq!(&m.cpu.v[1][..indices.len()], &indices[..]);
            assert!(m.cpu.v[1][indices.len()..].iter().all(|x| *x == SENTINEL));
        }
    }
}

/// A float-shaped word from `r`: any sign, an exponent from every class (zero,
/// underflowing, in range, near and past the overflow limit) and a coefficient that is
/// normalized, short (no bits below 2^39: a short multiplier), or anything.
fn float_word(r: u64) -> u64 {
    let exponent = match r % 7 {
        0 => 0,
        1 => 0o17770 + (r >> 8) % 0o20,
        2 | 3 => 0o37770 + (r >> 8) % 0o20,
        4 => 0o57774 + (r >> 8) % 0o10,
        5 => (r >> 8) & 0o77777,
        _ => 0o40000 + (r >> 8) % 0o100,
    };
    let coefficient = match (r >> 24) % 3 {
        0 => (r >> 16) | (1 << 47),
        1 => ((r >> 16) | (1 << 47)) & !((1 << 39) - 1),
        _ => r >> 16,
    } & ((1 << 48) - 1);
    (r & SB) | (exponent << 48) | coefficient
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// Every floating add, multiply and reciprocal instruction, with any registers as
    /// destination and operands (a destination that is also an operand included), any
    /// VL and float-shaped contents: each element below VL is the scalar unit's result
    /// on the operands as they were before the instruction, every other element and
    /// register keeps its value, and the error flag is raised exactly when an element
    /// below VL is in error.
    #[test]
    fn vector_float_units_equal_the_scalar_units_for_any_registers(
        op in 0usize..13,
        i in 0u16..8,
        j in 0u16..8,
        k in 0u16..8,
        vl in 1u32..=64,
        seeds in proptest::array::uniform8(proptest::prelude::any::<u64>()),
        scalar in proptest::prelude::any::<u64>(),
    ) {
        // (opcode, what the element's result is)
        let kinds = [
            MultiplyKind::Full,
            MultiplyKind::Half,
            MultiplyKind::Rounded,
            MultiplyKind::ReciprocalIteration,
        ];
        let opcode: u16 = match op {
            0..=7 => 0o160 + op as u16,
            8..=11 => 0o170 + (op - 8) as u16,
            _ => 0o174,
        };
        let reciprocal_op = op == 12;
        let k = if reciprocal_op { 0 } else { k };
        let parcel = (opcode << 9) | (i << 6) | (j << 3) | k;
        let mut registers = [[0u64; 64]; 8];
        for (r, seed) in registers.iter_mut().zip(seeds) {
            let mut state = seed | 1;
            for word in r.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *word = float_word(state);
            }
        }
        let s_j = float_word(scalar);
        let m = run(&[parcel], |m| {
            m.cpu.vl = vl;
            *m.cpu.v = registers;
            m.cpu.s[j as usize] = s_j;
        });
        let n = vl as usize;
        let left = |e: usize| {
            let scalar_form = !reciprocal_op && op % 2 == 0;
            match (scalar_form, j) {
                (true, 0) => 0,
                (true, _) => s_j,
                (false, _) => registers[j as usize][e],
            }
        };
        let mut error = false;
        for (e, &got) in m.cpu.v[i as usize].iter().enumerate() {
            let want = if e >= n {
                registers[i as usize][e]
            } else {
                let (x, y) = (left(e), registers[k as usize][e]);
                let result = match op {
                    0..=7 => multiply(x, y, kinds[op / 2]),
                    8 | 9 => add(x, y),
                    10 | 11 => subtract(x, y),
                    _ => reciprocal(registers[j as usize][e]),
                };
                error |= result.error;
                result.value
            };
            proptest::prop_assert_eq!(got, want, "{:06o} VL {} element {}", parcel, vl, e);
        }
        for r in (0..8).filter(|&r| r != i as usize) {
            proptest::prop_assert_eq!(m.cpu.v[r], registers[r], "{:06o} changed V{}", parcel, r);
        }
        proptest::prop_assert_eq!(m.cpu.flags.has(Flags::FLOATING_POINT), error, "{:06o} VL {}", parcel, vl);
    }
}
