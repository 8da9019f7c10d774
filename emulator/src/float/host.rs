//! Host-side conversions between Cray words and IEEE `f64`. These are for tests,
//! displays and demos only: no Cray instruction performs them, so they are not
//! bit-exact models of anything.

use super::{coefficient, exponent, pack, sign, EXPONENT_BIAS, EXPONENT_OVERFLOW, NORMAL_BIT};

/// The value of a Cray word as an `f64`: (−1)^s × C/2^48 × 2^(E − 040000). Values
/// beyond the `f64` range become infinities or (signed) zeros; the 48-bit coefficient
/// always fits the 53-bit mantissa otherwise.
pub fn to_f64(x: u64) -> f64 {
    let magnitude = coefficient(x) as f64;
    // Scale in two steps so intermediate powers of two stay within f64's range.
    let scale = exponent(x) as i32 - EXPONENT_BIAS as i32 - 48;
    let half = scale / 2;
    let value = magnitude * 2f64.powi(half) * 2f64.powi(scale - half);
    if sign(x) {
        -value
    } else {
        value
    }
}

/// The normalized Cray word nearest to `f` (round half to even on the 48-bit
/// coefficient). Zeros give the all-zero word; infinities and NaNs give the
/// out-of-range exponent 060000 with the coefficient 2^47 (NaN positive).
pub fn from_f64(f: f64) -> u64 {
    if f == 0.0 {
        return 0;
    }
    if !f.is_finite() {
        return pack(
            f.is_sign_negative() && !f.is_nan(),
            EXPONENT_OVERFLOW,
            NORMAL_BIT,
        );
    }
    let bits = f.to_bits();
    let biased = ((bits >> 52) & 0x7FF) as i64;
    let fraction = bits & ((1 << 52) - 1);
    // f = m × 2^e with m an integer.
    let (mut m, mut e) = if biased == 0 {
        (fraction, -1074i64)
    } else {
        (fraction | (1 << 52), biased - 1075)
    };
    let lead = i64::from(m.leading_zeros()) - 11;
    m <<= lead;
    e -= lead;
    // m is in [2^52, 2^53); keep 48 bits.
    let mut c = m >> 5;
    let rest = m & 0x1F;
    if rest > 0x10 || (rest == 0x10 && c & 1 != 0) {
        c += 1;
    }
    if c >> 48 != 0 {
        c >>= 1;
        e += 1;
    }
    let cray_exponent = e + 5 + 48 + EXPONENT_BIAS as i64;
    pack(f < 0.0, cray_exponent as u64, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_values() {
        assert_eq!(from_f64(1.0), 0x4001_8000_0000_0000);
        assert_eq!(from_f64(-1.0), 0xC001_8000_0000_0000);
        assert_eq!(from_f64(0.1), 0x3FFD_CCCC_CCCC_CCCD);
        assert_eq!(from_f64(1.0 / 3.0), 0x3FFF_AAAA_AAAA_AAAB);
        assert_eq!(from_f64(29.2), 0x4005_E999_9999_999A);
        assert_eq!(from_f64(-7.5), 0xC003_F000_0000_0000);
        assert_eq!(from_f64(1024.0), 0x400B_8000_0000_0000);
        assert_eq!(from_f64(f64::EPSILON * 32.0), 0x3FD2_8000_0000_0000);
    }

    #[test]
    fn round_trip() {
        for f in [1.0, -7.5, 0.5, 1e300, -1e-300, 5e-324, 12345.678] {
            let back = to_f64(from_f64(f));
            assert!((back - f).abs() <= f.abs() * 1e-14, "{f} -> {back}");
        }
        assert_eq!(to_f64(0x4001_8000_0000_0000), 1.0);
        assert_eq!(to_f64(0), 0.0);
    }
}
