//! Serde support for arrays longer than 32 elements (B, T and V registers).
//!
//! Arrays are written as fixed-length tuples, so postcard stores no length prefix and
//! a reader can never be asked to allocate a length taken from the input.

use serde::de::{Deserialize, Deserializer, Error, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeTuple, Serializer};
use std::fmt;
use std::marker::PhantomData;

/// Serializes `[T; N]` as an N-tuple.
pub fn serialize<S, T, const N: usize>(array: &[T; N], serializer: S) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    T: Serialize,
{
    let mut tuple = serializer.serialize_tuple(N)?;
    for element in array {
        tuple.serialize_element(element)?;
    }
    tuple.end()
}

/// Deserializes `[T; N]` from an N-tuple.
pub fn deserialize<'de, D, T, const N: usize>(deserializer: D) -> Result<[T; N], D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Copy + Default,
{
    struct ArrayVisitor<T, const N: usize>(PhantomData<T>);

    impl<'de, T, const N: usize> Visitor<'de> for ArrayVisitor<T, N>
    where
        T: Deserialize<'de> + Copy + Default,
    {
        type Value = [T; N];

        fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
            write!(formatter, "an array of {N} elements")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<[T; N], A::Error> {
            let mut array = [T::default(); N];
            for (index, slot) in array.iter_mut().enumerate() {
                *slot = seq
                    .next_element()?
                    .ok_or_else(|| A::Error::invalid_length(index, &self))?;
            }
            Ok(array)
        }
    }

    deserializer.deserialize_tuple(N, ArrayVisitor::<T, N>(PhantomData))
}

/// Serde for `Box<[[u64; 64]; 8]>` (the V registers) as 512 words.
pub mod vector_registers {
    use super::*;

    /// Serializes the eight vector registers element by element.
    pub fn serialize<S: Serializer>(v: &[[u64; 64]; 8], serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(8 * 64)?;
        for register in v.iter() {
            for element in register {
                tuple.serialize_element(element)?;
            }
        }
        tuple.end()
    }

    /// Deserializes the eight vector registers.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Box<[[u64; 64]; 8]>, D::Error> {
        let flat: [u64; 512] = super::deserialize(deserializer)?;
        let mut v = Box::new([[0u64; 64]; 8]);
        for (index, word) in flat.iter().enumerate() {
            v[index / 64][index % 64] = *word;
        }
        Ok(v)
    }
}
