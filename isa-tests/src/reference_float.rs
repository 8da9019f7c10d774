//! A deliberately plain reference model of Cray floating point, written straight from
//! the text of ISA.md 5.2–5.5 to check `cray_emulator::float` against. It favours the
//! obvious over the fast: fields are taken apart with division, shifts are loops of
//! halvings, sums are formed in `u128`/`i128`. Each function returns the result word
//! and whether the floating point error flag is raised. Overflowing exponents are
//! packed modulo 2^15, the documented choice of the emulator.

const TWO_48: u128 = 1 << 48;
const TWO_47: u128 = 1 << 47;
const TWO_64: u128 = 1 << 64;
const BIAS: i128 = 0o40000;
const LOW: i128 = 0o20000;
const HIGH: i128 = 0o60000;

/// A word taken apart: sign (true = negative), biased exponent, coefficient.
#[derive(Clone, Copy, Debug)]
struct Parts {
    negative: bool,
    exponent: i128,
    coefficient: u128,
}

fn split(word: u64) -> Parts {
    let w = u128::from(word);
    Parts {
        negative: w / (1 << 63) == 1,
        exponent: ((w / TWO_48) % (1 << 15)) as i128,
        coefficient: w % TWO_48,
    }
}

fn join(negative: bool, exponent: i128, coefficient: u128) -> u64 {
    let e = exponent.rem_euclid(1 << 15) as u128;
    let s = if negative { 1u128 << 63 } else { 0 };
    (s + e * TWO_48 + coefficient % TWO_48) as u64
}

fn halve_times(mut value: u128, times: i128) -> u128 {
    let mut i = 0;
    while i < times {
        value /= 2;
        i += 1;
    }
    value
}

fn bit(value: u128, position: u32) -> bool {
    (value >> position) % 2 == 1
}

/// ISA.md 5.2 floating add.
pub fn add(x: u64, y: u64) -> (u64, bool) {
    let mut a = split(x);
    let mut b = split(y);
    let operand_overflow = a.exponent >= HIGH || b.exponent >= HIGH;
    // Step 1: underflowing operands become +0.
    if a.exponent < LOW {
        a = split(0);
    }
    if b.exponent < LOW {
        b = split(0);
    }
    // Step 2: align on the larger exponent, truncating, shift capped at 63.
    let mut e = a.exponent.max(b.exponent);
    let ca = halve_times(a.coefficient, (e - a.exponent).min(63));
    let cb = halve_times(b.coefficient, (e - b.exponent).min(63));
    // Step 3: signed sum of magnitudes.
    let va = if a.negative {
        -(ca as i128)
    } else {
        ca as i128
    };
    let vb = if b.negative {
        -(cb as i128)
    } else {
        cb as i128
    };
    let total = va + vb;
    let negative = total < 0;
    let mut magnitude = total.unsigned_abs();
    // Step 4: carry.
    if magnitude >= TWO_48 {
        magnitude /= 2;
        e += 1;
    }
    // Step 5: zero.
    if magnitude == 0 {
        return (0, operand_overflow);
    }
    // Step 6: normalize down to exponent 020000 at most.
    while magnitude < TWO_47 && e > LOW {
        magnitude *= 2;
        e -= 1;
    }
    // Step 7: pack.
    if e < LOW {
        return (0, operand_overflow);
    }
    (join(negative, e, magnitude), operand_overflow || e >= HIGH)
}

/// ISA.md 5.2 floating subtract: add with the sign of `y` flipped.
pub fn subtract(x: u64, y: u64) -> (u64, bool) {
    add(x, y ^ (1 << 63))
}

/// The four multiply instructions of ISA.md 5.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `*F`
    Full,
    /// `*H`
    Half,
    /// `*R`
    Rounded,
    /// `*I`
    Iteration,
}

/// ISA.md 5.3 floating multiply.
pub fn multiply(x: u64, y: u64, kind: Kind) -> (u64, bool) {
    let mut a = split(x);
    let mut b = split(y);
    let operand_overflow = a.exponent >= HIGH || b.exponent >= HIGH;
    // Step 1.
    let (mut x, mut y) = (x, y);
    if a.exponent != 0 && a.exponent < LOW {
        x = 0;
        a = split(0);
    }
    if b.exponent != 0 && b.exponent < LOW {
        y = 0;
        b = split(0);
    }
    if x == 0 || y == 0 {
        return (0, operand_overflow);
    }
    // Steps 2–4.
    let negative = a.negative != b.negative;
    let mut e = a.exponent + b.exponent - (BIAS + 1);
    let integer_mode = a.exponent == 0 && b.exponent == 0;
    // Step 5: truncated partial-product array.
    let big_a = a.coefficient * 256;
    let mut acc: u128 = 0;
    for t in (0..48u32).rev() {
        if bit(b.coefficient, t) {
            acc += halve_times(big_a, i128::from(47 - t));
        }
    }
    // Step 6: correction constant, in 64-bit arithmetic.
    acc = match kind {
        Kind::Full => (acc + 0o22) % TWO_64,
        Kind::Rounded => (acc + 0o322) % TWO_64,
        Kind::Half => (acc + 0o22 + (1 << 24) + (1 << 25)) % TWO_64,
        Kind::Iteration => {
            let not_k = (TWO_64 - 1) - 0o22;
            let summed = (acc + not_k) % TWO_64;
            (TWO_64 - 1) - summed
        }
    };
    // Step 7.
    if integer_mode {
        acc /= 2;
        e = 0;
    } else {
        if bit(acc, 56) {
            e += 1;
            acc /= 2;
        }
        if e < LOW {
            return (0, operand_overflow);
        }
        if kind == Kind::Half {
            acc -= acc % (1 << 27);
        }
    }
    // Step 8.
    let coefficient = (acc / 256) % TWO_48;
    (
        join(negative, e, coefficient),
        operand_overflow || e >= HIGH,
    )
}

/// ISA.md 5.4 reciprocal approximation.
pub fn reciprocal(x: u64) -> (u64, bool) {
    let p = split(x);
    let c = p.coefficient;
    let w = u128::from(x);
    let i = (w / (1 << 40)) % 128;
    let a0 = (65536 * 2 + (257 + 2 * i)) / (2 * (257 + 2 * i));
    let sq = (a0 * a0) % 65536;
    let mut p0: u128 = 0;
    for b in 0..16u32 {
        if bit(sq, b) {
            p0 += halve_times(c / (1 << 24), i128::from(15 - b));
        }
    }
    let a1 = ((2 * a0 * 65536 + a0 - p0) / 64) % (1 << 18);
    let b2 = (c | TWO_47) / 2048;
    let q = truncmul(a1 * a1, b2);
    let f = (a1 * (1 << 31) + 2 * TWO_64 - q * (1 << 14) - 1) % TWO_64;
    let mut f = (f | TWO_47) & 0xFFFF_FFFF_8000;
    let e = p.exponent;
    let (er, error) = if 0o20001 < e && e < HIGH {
        (0o100001 - e, false)
    } else {
        f &= !TWO_47;
        (HIGH, true)
    };
    (join(p.negative, er, f), error)
}

/// Group of term `k` of TRUNCMUL (1..=7) and how many low bits the term loses;
/// `None` for the skipped term k = 2.
fn truncmul_term(k: u32) -> Option<(u32, u32)> {
    match k {
        2 => None,
        0..=7 => Some((1, 2)),
        8 => Some((2, 1)),
        9..=11 => Some((2, 0)),
        12 | 13 => Some((3, 2)),
        14 => Some((3, 3)),
        15 => Some((3, 4)),
        16 => Some((4, 2)),
        17 => Some((4, 3)),
        18..=23 => Some((4, 2)),
        24 => Some((5, 1)),
        25..=27 => Some((5, 0)),
        28 | 29 => Some((6, 2)),
        30 => Some((6, 3)),
        31 => Some((6, 4)),
        _ => Some((7, 2)),
    }
}

fn clear_low(value: u128, bits: u32) -> u128 {
    value - value % (1u128 << bits)
}

/// ISA.md 5.4 TRUNCMUL.
pub fn truncmul(a: u128, b: u128) -> u128 {
    let a = a % (1 << 37);
    let b = (b % (1 << 37)) * 8;
    let mut groups = [0u128; 8];
    for k in 0..36u32 {
        if let Some((group, clear)) = truncmul_term(k) {
            if bit(a, k) {
                groups[group as usize] += clear_low(b >> (35 - k), clear);
            }
        }
    }
    let group_clear = [0, 3, 2, 0, 3, 2, 0, 3];
    let mut p: u128 = 0;
    for g in 1..8 {
        p += clear_low(groups[g], group_clear[g]);
    }
    p /= 4;
    let r = (p / 2) % 2;
    p /= 4;
    p += r;
    p / 4
}
