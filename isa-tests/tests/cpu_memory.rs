//! Memory references: scalar (10h..13h) with displacement, relocation and 22-bit
//! truncation, operand range errors with and without ERI, vector loads and stores
//! with strides, gather and scatter.
use cray_emulator::cpu::{Flags, Stop};
use isa_tests::machine::{run, with_jkm, Machine, DATA, EX};

const M24: u32 = 0xFF_FFFF;
const MINUS_ONE_22: u32 = 0o17777777;

fn range_exchange(at: u32) -> Stop {
    Stop::Exchange {
        flags: Flags(Flags::OPERAND_RANGE),
        at,
    }
}

#[test]
fn scalar_loads_with_index_and_displacement() {
    let mut program = with_jkm(0o102100, DATA).to_vec(); // A1 DATA,A2
    program.extend(with_jkm(0o120300, DATA + 1)); // S3 DATA+1,
    program.extend(with_jkm(0o124400, MINUS_ONE_22)); // S4 -1,A4
    let m = run(&program, |m| {
        m.cpu.a[2] = 2;
        m.cpu.a[4] = DATA + 3;
        m.set_word(DATA + 2, 0x1234_5678_9ABC_DEF0);
        m.set_word(DATA + 1, 77);
    });
    assert_eq!(m.cpu.a[1], 0xBC_DEF0, "low 24 bits");
    assert_eq!(m.cpu.s[3], 77, "h = 0: no index");
    assert_eq!(m.cpu.s[4], 0x1234_5678_9ABC_DEF0, "negative displacement");
}

#[test]
fn scalar_stores() {
    let mut program = with_jkm(0o112100, 5).to_vec(); // 5,A2 A1
    program.extend(with_jkm(0o130300, DATA + 7)); // DATA+7, S3
    let m = run(&program, |m| {
        m.cpu.a[1] = M24;
        m.cpu.a[2] = DATA;
        m.cpu.s[3] = u64::MAX;
    });
    assert_eq!(m.word(DATA + 5), u64::from(M24), "A stores zero-extend");
    assert_eq!(m.word(DATA + 7), u64::MAX);
}

#[test]
fn data_base_relocates_and_limit_checks() {
    let mut m = Machine::xmp();
    m.cpu.data_base = DATA;
    m.cpu.data_limit = DATA + 0o10;
    m.set_word(DATA + 5, 42);
    let mut program = with_jkm(0o120100, 5).to_vec();
    program.extend(with_jkm(0o130100, 6));
    program.push(EX);
    m.load(&program);
    m.run_budget(100);
    assert_eq!(m.cpu.s[1], 42);
    assert_eq!(m.word(DATA + 6), 42);
    assert!(!m.cpu.flags.has(Flags::OPERAND_RANGE));
}

#[test]
fn operand_range_without_interrupt_reads_zero_and_drops_stores() {
    let mut program = with_jkm(0o120100, 0o10).to_vec();
    program.extend(with_jkm(0o130200, 0o10));
    program.extend(with_jkm(0o130200, 0o7));
    let m = run(&program, |m| {
        m.cpu.data_base = DATA;
        m.cpu.data_limit = DATA + 0o10;
        m.cpu.s[1] = 5;
        m.cpu.s[2] = 9;
        m.set_word(DATA + 0o10, 33);
    });
    assert_eq!(m.cpu.s[1], 0, "read outside the field gives 0");
    assert_eq!(m.word(DATA + 0o10), 33, "store outside the field dropped");
    assert_eq!(m.word(DATA + 0o7), 9);
    assert!(m.cpu.flags.has(Flags::OPERAND_RANGE));
}

#[test]
fn operand_range_with_interrupt_aborts_at_the_instruction() {
    let mut m = Machine::xmp();
    m.cpu.modes.interrupt_on_range = true;
    m.cpu.data_limit = DATA;
    m.cpu.s[1] = 5;
    let mut program = vec![0o001000];
    program.extend(with_jkm(0o120100, DATA));
    program.push(EX);
    assert_eq!(m.stop_of(&program), range_exchange(1));
    assert_eq!(m.cpu.p, 1, "P addresses the faulting instruction");
    assert_eq!(m.cpu.s[1], 5, "destination unchanged");
    assert_eq!(m.cpu.instructions, 1);
    // Beyond memory is out of range even when the limit is larger.
    let mut m = Machine::xmp();
    m.cpu.modes.interrupt_on_range = true;
    m.cpu.data_limit = u32::MAX;
    let mut program = with_jkm(0o130100, 0o3777777).to_vec();
    program.push(EX);
    assert_eq!(m.stop_of(&program), range_exchange(0));
}

#[test]
fn scalar_addresses_truncate_to_22_bits_unless_enhanced() {
    let program = with_jkm(0o122100, DATA);
    let m = run(&program, |m| {
        m.cpu.a[2] = 0x40_0000;
        m.set_word(DATA, 11);
    });
    assert_eq!(m.cpu.s[1], 11);
    let m = run(&program, |m| {
        m.cpu.a[2] = 0x40_0000;
        m.cpu.modes.enhanced_addressing = true;
        m.set_word(DATA, 11);
    });
    assert_eq!(m.cpu.s[1], 0, "0x400000 + DATA is outside memory");
    assert!(m.cpu.flags.has(Flags::OPERAND_RANGE));
    // 24-bit wraparound of Ah + displacement.
    let m = run(&with_jkm(0o122100, DATA + 1), |m| {
        m.cpu.a[2] = M24;
        m.cpu.modes.enhanced_addressing = true;
        m.set_word(DATA, 12);
    });
    assert_eq!(m.cpu.s[1], 12);
}

#[test]
fn block_transfer_range_error() {
    let mut m = Machine::xmp();
    m.cpu.modes.interrupt_on_range = true;
    m.cpu.data_limit = DATA + 2;
    m.cpu.a[0] = DATA;
    m.cpu.a[1] = 4;
    assert_eq!(m.stop_of(&[0o036100, EX]), range_exchange(0));
    let m = run(&[0o036100], |m| {
        m.cpu.data_limit = DATA + 2;
        m.cpu.a[0] = DATA;
        m.cpu.a[1] = 4;
        m.cpu.t[2] = 9;
        m.set_word(DATA + 1, 8);
    });
    assert_eq!(m.cpu.t[1], 8);
    assert_eq!(m.cpu.t[2], 0, "out-of-range words read as 0");
}

fn fill(m: &mut Machine, words: u32) {
    for n in 0..words {
        m.set_word(DATA + n, 1000 + u64::from(n));
    }
}

#[test]
fn vector_load_with_strides() {
    let m = run(&[0o176101, 0o176200, 0o176303], |m| {
        fill(m, 0o200);
        m.cpu.vl = 5;
        m.cpu.a[0] = DATA + 0o20;
        m.cpu.a[1] = 2;
        m.cpu.a[3] = M24; // -1
        m.cpu.v[1][5] = 99;
    });
    assert_eq!(&m.cpu.v[1][..6], &[1016, 1018, 1020, 1022, 1024, 99]);
    assert_eq!(
        &m.cpu.v[2][..5],
        &[1016, 1017, 1018, 1019, 1020],
        "k = 0: stride 1"
    );
    assert_eq!(
        &m.cpu.v[3][..5],
        &[1016, 1015, 1014, 1013, 1012],
        "negative stride"
    );
    assert!(!m.cpu.vector_not_used);
}

#[test]
fn vector_load_full_length_and_length_one() {
    let m = run(&[0o176400], |m| {
        fill(m, 0o100);
        m.cpu.a[0] = DATA;
    });
    for e in 0..64 {
        assert_eq!(m.cpu.v[4][e], 1000 + e as u64);
    }
    let m = run(&[0o176400], |m| {
        fill(m, 0o100);
        m.cpu.vl = 1;
        m.cpu.a[0] = DATA;
        m.cpu.v[4][1] = 7;
    });
    assert_eq!(&m.cpu.v[4][..2], &[1000, 7]);
}

#[test]
fn vector_store_with_strides() {
    let m = run(&[0o177021, 0o177030], |m| {
        m.cpu.vl = 3;
        m.cpu.a[0] = DATA;
        m.cpu.a[1] = 3;
        m.cpu.v[2] = [5; 64];
        m.cpu.v[3][..4].copy_from_slice(&[1, 2, 3, 4]);
    });
    assert_eq!(m.word(DATA), 1, "second store (stride 1) overwrote word 0");
    assert_eq!(m.word(DATA + 1), 2);
    assert_eq!(m.word(DATA + 2), 3);
    assert_eq!(m.word(DATA + 3), 5);
    assert_eq!(m.word(DATA + 6), 5);
    assert_eq!(m.word(DATA + 9), 0, "elements >= VL not stored");
}

#[test]
fn gather_and_scatter() {
    let m = run(&[0o176113, 0o177123], |m| {
        fill(m, 0o100);
        m.cpu.vl = 4;
        m.cpu.a[0] = DATA;
        m.cpu.v[3][..4].copy_from_slice(&[7, 0, 0o77, 7]);
        m.cpu.v[2][..4].copy_from_slice(&[0o10, 0o11, 0o12, 0o13]);
    });
    assert_eq!(&m.cpu.v[1][..4], &[1007, 1000, 1063, 1007]);
    // Scatter of V2 to A0 + V3: element 3 overwrites element 0 at offset 7.
    assert_eq!(m.word(DATA + 7), 0o13);
    assert_eq!(m.word(DATA), 0o11);
    assert_eq!(m.word(DATA + 0o77), 0o12);
}

#[test]
fn gather_index_is_24_bit_offset() {
    let m = run(&[0o176113], |m| {
        fill(m, 4);
        m.cpu.vl = 1;
        m.cpu.a[0] = DATA + 2;
        m.cpu.v[3][0] = u64::MAX; // -1 in 24 bits
    });
    assert_eq!(m.cpu.v[1][0], 1001);
}

#[test]
fn vector_range_errors() {
    // Without ERI: out-of-range elements read 0.
    let m = run(&[0o176100], |m| {
        fill(m, 4);
        m.cpu.vl = 4;
        m.cpu.a[0] = DATA;
        m.cpu.data_limit = DATA + 2;
        m.cpu.v[1] = [9; 64];
    });
    assert_eq!(&m.cpu.v[1][..5], &[1000, 1001, 0, 0, 9]);
    assert!(m.cpu.flags.has(Flags::OPERAND_RANGE));
    // With ERI: the exchange happens at the instruction.
    let mut m = Machine::xmp();
    m.cpu.modes.interrupt_on_range = true;
    m.cpu.vl = 4;
    m.cpu.a[0] = DATA;
    m.cpu.data_limit = DATA + 2;
    assert_eq!(m.stop_of(&[0o177010, EX]), range_exchange(0));
    m.cpu.v[3] = [5; 64];
    assert_eq!(m.stop_of(&[0o177123, EX]), range_exchange(0), "scatter");
    assert_eq!(m.stop_of(&[0o176213, EX]), range_exchange(0), "gather");
}
