//! [`Times`]: a per-register or per-unit array of clock periods whose index needs no
//! bounds check on the model's hot paths.

use serde::de::{Deserializer, Error, SeqAccess, Visitor};
use serde::ser::{SerializeTuple, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Index, IndexMut};

/// Slots kept: a power of two larger than any `N` (one slot past them is
/// [`NEVER_WRITTEN`]), so that an index masked
/// to it is always in range.
const SLOTS: usize = 32;

/// An index past every `N` the model uses: its slot is never written, so its time is
/// always 0. The plain paths pad an instruction without registers to wait for with it,
/// so that its wait is the same four loads and maximum as any other's, with no test.
pub(super) const NEVER_WRITTEN: u8 = (SLOTS - 1) as u8;

/// `N` clock periods (one per register, or per functional unit), kept in [`SLOTS`]
/// slots and indexed modulo [`SLOTS`]: safe Rust checks every index of an array
/// against its length, and the plain path reads five or six of these per
/// instruction, each with a compare and a branch; an index masked to the array's
/// size needs none. The model indexes only its first `N` slots (register and unit
/// numbers are below `N`), so the others stay 0.
///
/// It is state: it serializes as the `N`-tuple an `[u64; N]` is (postcard writes no
/// length), so snapshots, state hashes and equality are those of the first `N`
/// slots exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Times<const N: usize>([u64; SLOTS]);

impl<const N: usize> Times<N> {
    /// Checked at compile time where a `Times<N>` is made.
    const FITS: () = assert!(N < SLOTS);

    /// Every time 0.
    pub(super) const ZERO: Times<N> = {
        let () = Self::FITS;
        Times([0; SLOTS])
    };

    /// The `N` times as an array (the saved form).
    pub(super) fn to_array(self) -> [u64; N] {
        std::array::from_fn(|index| self.0[index])
    }

    /// Times from the `N` of `array` (the saved form).
    pub(super) fn from_array(array: [u64; N]) -> Times<N> {
        let mut times = Times::ZERO;
        times.0[..N].copy_from_slice(&array);
        times
    }

    /// The `N` times (what the model's steady-state replay compares and sets).
    pub(super) fn times(&self) -> &[u64; N] {
        self.0[..N].try_into().expect("N < SLOTS")
    }

    /// The `N` times, to change (see [`Times::times`]).
    pub(super) fn times_mut(&mut self) -> &mut [u64; N] {
        (&mut self.0[..N]).try_into().expect("N < SLOTS")
    }

    /// The `N` times.
    pub(super) fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.0[..N].iter().copied()
    }
}

impl<const N: usize> Index<usize> for Times<N> {
    type Output = u64;

    #[inline(always)]
    fn index(&self, index: usize) -> &u64 {
        debug_assert!(
            index < N || index == usize::from(NEVER_WRITTEN),
            "time {index} of {N}"
        );
        &self.0[index % SLOTS]
    }
}

impl<const N: usize> IndexMut<usize> for Times<N> {
    #[inline(always)]
    fn index_mut(&mut self, index: usize) -> &mut u64 {
        debug_assert!(index < N, "time {index} of {N}");
        &mut self.0[index % SLOTS]
    }
}

impl<const N: usize> Serialize for Times<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(N)?;
        for time in self.iter() {
            tuple.serialize_element(&time)?;
        }
        tuple.end()
    }
}

impl<'de, const N: usize> Deserialize<'de> for Times<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Times<N>, D::Error> {
        struct TimesVisitor<const N: usize>;

        impl<'de, const N: usize> Visitor<'de> for TimesVisitor<N> {
            type Value = Times<N>;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                write!(formatter, "an array of {N} clock periods")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Times<N>, A::Error> {
                let mut times = Times::ZERO;
                for index in 0..N {
                    times.0[index] = seq
                        .next_element()?
                        .ok_or_else(|| A::Error::invalid_length(index, &self))?;
                }
                Ok(times)
            }
        }

        deserializer.deserialize_tuple(N, TimesVisitor::<N>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_the_array_of_its_first_n() {
        let array: [u64; 28] = std::array::from_fn(|index| index as u64 * 1000 + 7);
        let times = Times::from_array(array);
        let bytes = postcard::to_allocvec(&times).unwrap();
        assert_eq!(bytes, postcard::to_allocvec(&array).unwrap());
        let back: Times<28> = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, times);
        assert_eq!(back.to_array(), array);
    }
}
