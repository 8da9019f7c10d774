//! The floating add, multiply and reciprocal units over a whole vector register,
//! compiled once for every level of the host's vector instructions and chosen when
//! first called (the `multiversion` crate detects the CPU; the workspace itself has no
//! `unsafe`). CI runs the tests on emulated processors of each level
//! (`.ci/other-cpus`).
//!
//! Each loop is the same source for every level, the unit's branch-free word function
//! on each element, which the compiler turns into 8 elements per AVX-512 instruction or
//! 4 per AVX2 one (the multiply's table of truncation losses is read by gathers).
//! Integer code vectorised this way gives the same bits as the element-at-a-time loop;
//! the tests compare the two on every class of operand, for every multiply kind.
//!
//! Measured on the 2-core test machine (AMD EPYC, AVX-512), ns per element, for the
//! baseline x86-64 build, AVX2 and AVX-512:
//!
//! | loop | baseline | AVX2 | AVX-512 |
//! |---|---|---|---|
//! | add | 4.0 | 1.6 | 0.8 |
//! | multiply, any multipliers | 7.8 | 4.3 | 4.0 |
//! | multiply, short multipliers (all of them) | 3.0 | 0.9 | 0.7 |
//! | reciprocal approximation | 17 | | 4.9 |

use super::{overflow_bits, OVERFLOW_BIT};
use super::{product_as, reciprocal, sum, Multiplier, MultiplyKind, SHORT_MULTIPLIER_LOW_BITS};
use multiversion::multiversion;

/// Elements of a vector register.
pub const ELEMENTS: usize = 64;

/// The left operand of a whole-register unit: Sj in every element (the `Vi Sj op Vk`
/// forms) or the register Vj.
#[derive(Clone, Copy, Debug)]
pub enum Operand<'a> {
    /// The same word in every element.
    Scalar(u64),
    /// A vector register.
    Register(&'a [u64; ELEMENTS]),
}

impl<'a> Operand<'a> {
    /// The first `n` elements, a scalar spread over `spread` first. Inlined into the
    /// multiversioned loops, where spreading a scalar takes a few wide stores (it took
    /// 64 scalar ones in the caller, compiled for the baseline host).
    #[inline(always)]
    fn elements<'s>(self, spread: &'s mut Option<[u64; ELEMENTS]>, n: usize) -> &'s [u64]
    where
        'a: 's,
    {
        match self {
            Operand::Scalar(x) => &spread.insert([x; ELEMENTS])[..n],
            Operand::Register(register) => &register[..n],
        }
    }
}

/// `out[e] = sum(left[e], right[e] ^ flip)` for `e < n` (`n` at most 64); the other
/// elements of `out` are left as they are. `flip` is 0 for sums and the sign bit for
/// differences. Returns the error flag of the instruction: whether an operand or a
/// result of those elements has an out-of-range exponent (as for [`super::add()`]).
#[multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512cd+avx512dq+avx512vl+avx2+bmi1+bmi2+lzcnt+popcnt",
    "x86_64+avx2+bmi1+bmi2+lzcnt+popcnt+sse4.2",
))]
pub fn sums<'a>(
    left: Operand<'a>,
    right: &[u64; ELEMENTS],
    flip: u64,
    n: usize,
    out: &mut [u64; ELEMENTS],
) -> bool {
    let n = n.min(ELEMENTS);
    let (right, out) = (&right[..n], &mut out[..n]);
    let mut spread = None;
    let left = left.elements(&mut spread, n);
    let mut seen = 0;
    for ((o, &x), &y) in out.iter_mut().zip(left).zip(right) {
        let result = sum(x, y ^ flip);
        *o = result;
        seen |= overflow_bits(x) | overflow_bits(y) | overflow_bits(result);
    }
    seen & OVERFLOW_BIT != 0
}

/// `out[e] = product(left[e], right[e], kind)` for `e < n` (`n` at most 64); the other
/// elements of `out` are left as they are. When no multiplier (`right[e]`, whose
/// coefficient is the unit's `b`) has low bits, the pyramid is one multiply per element;
/// otherwise every element takes all its bytes, so that neither loop branches on the
/// data. Returns the error flag as [`sums`] does (see [`super::multiply()`]).
#[multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512cd+avx512dq+avx512vl+avx2+bmi1+bmi2+lzcnt+popcnt",
    "x86_64+avx2+bmi1+bmi2+lzcnt+popcnt+sse4.2",
))]
pub fn products<'a>(
    left: Operand<'a>,
    right: &[u64; ELEMENTS],
    kind: MultiplyKind,
    n: usize,
    out: &mut [u64; ELEMENTS],
) -> bool {
    let n = n.min(ELEMENTS);
    let (right, out) = (&right[..n], &mut out[..n]);
    let low_bits = right.iter().fold(0, |any, &y| any | y) & SHORT_MULTIPLIER_LOW_BITS;
    let mut spread = None;
    let left = left.elements(&mut spread, n);
    // Each branch inlines its own loops, with the multiplier's form a constant.
    if low_bits == 0 {
        products_of(left, right, kind, Multiplier::Short, out)
    } else {
        products_of(left, right, kind, Multiplier::Whole, out)
    }
}

/// The loop of [`products`], one per kind so that the kind is a constant in each
/// (inlined into the multiversioned caller, whose target features it takes).
#[inline(always)]
fn products_of(
    left: &[u64],
    right: &[u64],
    kind: MultiplyKind,
    multiplier: Multiplier,
    out: &mut [u64],
) -> bool {
    /// A plain loop, not a closure handed to a shared one: a closure this large is
    /// not inlined, and the loop then calls it once an element.
    #[inline(always)]
    fn each(
        left: &[u64],
        right: &[u64],
        out: &mut [u64],
        kind: MultiplyKind,
        multiplier: Multiplier,
    ) -> bool {
        let mut seen = 0;
        for ((o, &x), &y) in out.iter_mut().zip(left).zip(right) {
            let result = product_as(x, y, kind, multiplier);
            *o = result;
            seen |= overflow_bits(x) | overflow_bits(y) | overflow_bits(result);
        }
        seen & OVERFLOW_BIT != 0
    }
    use MultiplyKind::{Full, Half, ReciprocalIteration, Rounded};
    match kind {
        Full => each(left, right, out, Full, multiplier),
        Half => each(left, right, out, Half, multiplier),
        Rounded => each(left, right, out, Rounded, multiplier),
        ReciprocalIteration => each(left, right, out, ReciprocalIteration, multiplier),
    }
}

/// `out[e] = reciprocal(operand[e]).value` for `e < n` (`n` at most 64); the other
/// elements of `out` are left as they are. Returns whether any of those elements raised
/// the error flag (an operand out of range).
#[multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512cd+avx512dq+avx512vl+avx2+bmi1+bmi2+lzcnt+popcnt",
    "x86_64+avx2+bmi1+bmi2+lzcnt+popcnt+sse4.2",
))]
pub fn reciprocals(operand: &[u64; ELEMENTS], n: usize, out: &mut [u64; ELEMENTS]) -> bool {
    let n = n.min(ELEMENTS);
    let mut error = false;
    for (o, &x) in out[..n].iter_mut().zip(&operand[..n]) {
        let result = reciprocal(x);
        *o = result.value;
        error |= result.error;
    }
    error
}

#[cfg(test)]
mod tests {
    use super::super::test_operands::operand_pairs;
    use super::super::SIGN_BIT;
    use super::*;

    /// Every multiply instruction's kind.
    const KINDS: [MultiplyKind; 4] = [
        MultiplyKind::Full,
        MultiplyKind::Half,
        MultiplyKind::Rounded,
        MultiplyKind::ReciprocalIteration,
    ];

    /// Every operand pair of the add unit's tests, 64 at a time, at every vector length
    /// in turn and both ways round: the dispatched loop equals [`sum`] element by
    /// element, and leaves the elements at and past `n` alone.
    #[test]
    fn whole_register_sums_equal_the_element_loop() {
        let pairs: Vec<_> = operand_pairs(64 * 512).collect();
        for (round, block) in pairs.chunks_exact(ELEMENTS).enumerate() {
            let mut left = [0u64; ELEMENTS];
            let mut right = [0u64; ELEMENTS];
            for (e, &(x, y)) in block.iter().enumerate() {
                left[e] = x;
                right[e] = y;
            }
            let n = round % ELEMENTS + 1;
            for flip in [0, SIGN_BIT] {
                let untouched = 0o1234567;
                let mut out = [untouched; ELEMENTS];
                let error = sums(Operand::Register(&left), &right, flip, n, &mut out);
                let want_error = (0..n).any(|e| super::super::add(left[e], right[e] ^ flip).error);
                assert_eq!(error, want_error, "error flag of {n} sums");
                for e in 0..ELEMENTS {
                    let want = if e < n {
                        sum(left[e], right[e] ^ flip)
                    } else {
                        untouched
                    };
                    assert_eq!(
                        out[e], want,
                        "element {e} of {n}: {:022o} + {:022o} ^ {flip:o}",
                        left[e], right[e]
                    );
                }
            }
        }
    }

    /// As for [`sums`], for every multiply kind, with blocks whose multipliers are all
    /// short (the short loop), blocks with one long multiplier among short ones, and
    /// blocks of any operands (the whole loop).
    #[test]
    fn whole_register_products_equal_the_element_loop() {
        use super::super::product;
        let pairs: Vec<_> = operand_pairs(64 * 384).collect();
        for (round, block) in pairs.chunks_exact(ELEMENTS).enumerate() {
            let mut left = [0u64; ELEMENTS];
            let mut right = [0u64; ELEMENTS];
            for (e, &(x, y)) in block.iter().enumerate() {
                left[e] = x;
                right[e] = match round % 3 {
                    0 => y & !SHORT_MULTIPLIER_LOW_BITS,
                    1 if e != round % ELEMENTS => y & !SHORT_MULTIPLIER_LOW_BITS,
                    _ => y,
                };
            }
            let n = (round * 7) % ELEMENTS + 1;
            for kind in KINDS {
                let untouched = 0o7654321;
                let mut out = [untouched; ELEMENTS];
                let error = products(Operand::Register(&left), &right, kind, n, &mut out);
                let want_error =
                    (0..n).any(|e| super::super::multiply(left[e], right[e], kind).error);
                assert_eq!(error, want_error, "error flag of {n} products, {kind:?}");
                for e in 0..ELEMENTS {
                    let want = if e < n {
                        product(left[e], right[e], kind)
                    } else {
                        untouched
                    };
                    assert_eq!(
                        out[e], want,
                        "element {e} of {n}, {kind:?}: {:022o} * {:022o}",
                        left[e], right[e]
                    );
                }
            }
        }
    }

    /// As for [`sums`]: every operand class, every length, and the error flag of
    /// exactly the elements formed.
    #[test]
    fn whole_register_reciprocals_equal_the_element_loop() {
        let operands: Vec<u64> = operand_pairs(64 * 256).flat_map(|(x, y)| [x, y]).collect();
        for (round, block) in operands.chunks_exact(ELEMENTS).enumerate() {
            let operand: [u64; ELEMENTS] = block.try_into().unwrap();
            let n = (round * 5) % ELEMENTS + 1;
            let untouched = 0o1357;
            let mut out = [untouched; ELEMENTS];
            let error = reciprocals(&operand, n, &mut out);
            let mut want_error = false;
            for e in 0..ELEMENTS {
                let want = if e < n {
                    let result = reciprocal(operand[e]);
                    want_error |= result.error;
                    result.value
                } else {
                    untouched
                };
                assert_eq!(out[e], want, "element {e} of {n}: /H {:022o}", operand[e]);
            }
            assert_eq!(error, want_error, "error flag of {n} elements");
        }
    }

    /// Sj as the left operand (the `Vi Sj op Vk` forms) gives what the register with Sj
    /// in every element gives, for sums and for every kind of product, with short and
    /// long multipliers, and leaves the elements past `n` alone.
    #[test]
    fn a_scalar_operand_is_the_same_word_in_every_element() {
        let pairs: Vec<_> = operand_pairs(64 * 64).collect();
        for (round, block) in pairs.chunks_exact(ELEMENTS).enumerate() {
            let scalar = block[round % ELEMENTS].0;
            let mut right = [0u64; ELEMENTS];
            for (e, &(_, y)) in block.iter().enumerate() {
                right[e] = if round % 2 == 0 {
                    y & !SHORT_MULTIPLIER_LOW_BITS
                } else {
                    y
                };
            }
            let spread = [scalar; ELEMENTS];
            let n = (round * 11) % ELEMENTS + 1;
            let both = |unit: &dyn Fn(Operand, &mut [u64; ELEMENTS]) -> bool| {
                let (mut by_scalar, mut by_register) = ([0o4321; ELEMENTS], [0o4321; ELEMENTS]);
                let error = unit(Operand::Scalar(scalar), &mut by_scalar);
                let want_error = unit(Operand::Register(&spread), &mut by_register);
                assert_eq!(by_scalar, by_register, "{scalar:022o}, {n} elements");
                assert_eq!(error, want_error, "error flag, {scalar:022o}, {n} elements");
            };
            for flip in [0, SIGN_BIT] {
                both(&|left, out| sums(left, &right, flip, n, out));
            }
            for kind in KINDS {
                both(&|left, out| products(left, &right, kind, n, out));
            }
        }
    }

    #[test]
    fn more_than_a_register_is_cut_to_one() {
        let one = 0o0400014000000000000000;
        let mut out = [0; ELEMENTS];
        sums(Operand::Scalar(one), &[one; ELEMENTS], 0, 1000, &mut out);
        assert_eq!(out, [0o0400024000000000000000; ELEMENTS]);
    }
}
