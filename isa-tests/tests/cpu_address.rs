//! Address instructions (020..037): constants, transfers, counts, 24-bit arithmetic,
//! shared B registers, channel reads, block transfers.
use isa_tests::machine::{run, with_jkm, DATA};

const M24: u32 = 0xFF_FFFF;

#[test]
fn a_constants() {
    let m = run(&with_jkm(0o020100, 0o17777777), |_| {});
    assert_eq!(m.cpu.a[1], 0o17777777, "22-bit jkm, zero-extended");
    let m = run(&with_jkm(0o021200, 7), |_| {});
    assert_eq!(m.cpu.a[2], M24 - 7, "one's complement: -8");
    let m = run(&with_jkm(0o021200, 0), |_| {});
    assert_eq!(m.cpu.a[2], M24);
    let m = run(&[0o022077, 0o022300], |m| m.cpu.a[3] = 9);
    assert_eq!(m.cpu.a[0], 0o77, "A0 is a real destination");
    assert_eq!(m.cpu.a[3], 0);
}

#[test]
fn a_from_s_takes_low_24_bits_and_s0_reads_zero() {
    let m = run(&[0o023120, 0o023300], |m| {
        m.cpu.s[2] = 0x1234_5678_9ABC_DEF0;
        m.cpu.s[0] = 55;
        m.cpu.a[3] = 9;
    });
    assert_eq!(m.cpu.a[1], 0xBC_DEF0);
    assert_eq!(m.cpu.a[3], 0);
}

#[test]
fn a_b_transfers() {
    let m = run(&[0o024117, 0o025277, 0o025000], |m| {
        m.cpu.b[0o17] = 0o1234;
        m.cpu.a[2] = 0o4321;
        m.cpu.a[0] = 5;
    });
    assert_eq!(m.cpu.a[1], 0o1234);
    assert_eq!(m.cpu.b[0o77], 0o4321);
    assert_eq!(m.cpu.b[0], 5);
}

#[test]
fn population_parity_leading_zeros() {
    let m = run(
        &[0o026120, 0o026221, 0o027320, 0o027430, 0o026500, 0o027600],
        |m| {
            m.cpu.s[2] = 0x0000_0F00_0000_0007;
            m.cpu.s[3] = 0;
            m.cpu.a[5] = 9;
        },
    );
    assert_eq!(m.cpu.a[1], 7);
    assert_eq!(m.cpu.a[2], 1);
    assert_eq!(m.cpu.a[3], 20);
    assert_eq!(m.cpu.a[4], 64, "leading zeros of 0");
    assert_eq!(m.cpu.a[5], 0, "pop of S0 (reads 0)");
    assert_eq!(m.cpu.a[6], 64);
    let m = run(&[0o026121], |m| m.cpu.s[2] = u64::MAX);
    assert_eq!(m.cpu.a[1], 0, "64 ones: even parity");
}

#[test]
fn shared_b_registers() {
    // SB2 A1; A3 SB2.
    let m = run(&[0o027127, 0o026327], |m| {
        m.cpu.a[1] = 0o7654321;
        m.cpu.shared.cluster = 1;
    });
    assert_eq!(m.cpu.shared.sb[2], 0o7654321);
    assert_eq!(m.cpu.a[3], 0o7654321);
    let m = run(&[0o027127, 0o026327], |m| {
        m.cpu.a[1] = 0o7654321;
        m.cpu.a[3] = 1;
        m.cpu.shared.sb[2] = 4;
    });
    assert_eq!(m.cpu.shared.sb[2], 4, "no cluster: write ignored");
    assert_eq!(m.cpu.a[3], 0, "no cluster: reads 0");
}

#[test]
fn address_add_wraps_at_24_bits() {
    let m = run(&[0o030123, 0o030402, 0o030520, 0o030600, 0o030034], |m| {
        m.cpu.a[2] = M24;
        m.cpu.a[3] = 2;
        m.cpu.a[4] = 0o10;
    });
    assert_eq!(m.cpu.a[1], 1);
    assert_eq!(m.cpu.a[4], M24, "A4 A2 (j = 0)");
    assert_eq!(m.cpu.a[5], 0, "A2 + 1 (k = 0) wraps");
    assert_eq!(m.cpu.a[6], 1, "j = k = 0: 0 + 1");
    assert_eq!(m.cpu.a[0], (2 + M24) & M24, "A0 real destination: A3 + A4");
}

#[test]
fn address_subtract() {
    let m = run(&[0o031123, 0o031400, 0o031503, 0o031620], |m| {
        m.cpu.a[2] = 1;
        m.cpu.a[3] = 2;
    });
    assert_eq!(m.cpu.a[1], M24, "1 - 2 = -1");
    assert_eq!(m.cpu.a[4], M24, "Ai -1");
    assert_eq!(m.cpu.a[5], M24 - 1, "-A3");
    assert_eq!(m.cpu.a[6], 0, "A2 - 1");
}

#[test]
fn address_multiply_keeps_low_24_bits() {
    let m = run(&[0o032123, 0o032420, 0o032503, 0o032623], |m| {
        m.cpu.a[2] = 0o10000000;
        m.cpu.a[3] = 0o1001;
    });
    assert_eq!(m.cpu.a[1], (0o10000000 * 0o1001) & M24);
    assert_eq!(m.cpu.a[4], 0o10000000, "k = 0 multiplies by 1");
    assert_eq!(m.cpu.a[5], 0, "j = 0 reads 0");
    let m = run(&[0o032123], |m| {
        m.cpu.a[2] = M24; // -1
        m.cpu.a[3] = M24;
    });
    assert_eq!(m.cpu.a[1], 1, "(-1) * (-1)");
}

#[test]
fn channel_reads_give_zero() {
    let m = run(&[0o033100, 0o033220, 0o033321], |m| {
        m.cpu.a = [7; 8];
    });
    assert_eq!(&m.cpu.a[1..4], &[0, 0, 0]);
}

#[test]
fn block_b_load_and_store_wrap_registers() {
    // B76,A2 ,A0 (3 words: B76, B77, B00).
    let m = run(&[0o034276], |m| {
        m.cpu.a[0] = DATA;
        m.cpu.a[2] = 3;
        for n in 0..3 {
            m.set_word(DATA + n, 0x7700_0000_0100_0000 + u64::from(n));
        }
    });
    assert_eq!(m.cpu.b[0o76], 0);
    assert_eq!(m.cpu.b[0o77], 1);
    assert_eq!(m.cpu.b[0], 2, "low 24 bits of each word");
    let m = run(&[0o035377], |m| {
        m.cpu.a[0] = DATA;
        m.cpu.a[3] = 2;
        m.cpu.b[0o77] = 0o777;
        m.cpu.b[0] = 0o1000;
    });
    assert_eq!(m.word(DATA), 0o777);
    assert_eq!(m.word(DATA + 1), 0o1000);
    assert_eq!(m.word(DATA + 2), 0);
}

#[test]
fn block_t_load_and_store() {
    let m = run(&[0o036410, 0o030500, 0o037420], |m| {
        m.cpu.a[0] = DATA;
        m.cpu.a[4] = 4;
        for n in 0..4 {
            m.set_word(DATA + n, u64::MAX - u64::from(n));
        }
    });
    assert_eq!(
        &m.cpu.t[0o10..0o14],
        &[u64::MAX, u64::MAX - 1, u64::MAX - 2, u64::MAX - 3]
    );
    // The store used A0 = DATA again (030500 sets A5 only) into T20..T23 = 0? No:
    // it stored T20..T23 (zero) over the same words.
    assert_eq!(m.word(DATA), 0);
}

#[test]
fn block_count_uses_low_seven_bits() {
    let m = run(&[0o036100], |m| {
        m.cpu.a[0] = DATA;
        m.cpu.a[1] = 0o200;
        m.set_word(DATA, 5);
    });
    assert_eq!(m.cpu.t[0], 0, "count 0200 moves nothing");
    let m = run(&[0o037100], |m| {
        m.cpu.a[0] = DATA;
        m.cpu.a[1] = 0o101;
        m.cpu.t[0] = 7;
        m.cpu.t[1] = 8;
    });
    assert_eq!(m.word(DATA + 0o100), 7, "65 words: T00 again");
    assert_eq!(m.word(DATA + 1), 8);
}
