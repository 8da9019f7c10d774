//! Conversions between the live types and their frozen copies, written once per type.
//!
//! [`Convert`] carries a value across field by field: identity for primitives,
//! element by element through the std containers, and through `From` for every pair
//! of a live type and its frozen copy. [`convert_struct!`] and [`convert_enum!`]
//! write both `From` impls of a pair from one list of its fields or variants, so a
//! field is named once for both directions; and since the frozen-to-live direction
//! builds the live value with a struct literal, a field added to a live struct stops
//! the build here until its saved form is decided (a new version, or a default).

use std::collections::{BTreeMap, VecDeque};

/// A value carried between a live type and its frozen copy (either way).
pub(crate) trait Convert<T> {
    /// The value as a `T`.
    fn convert(self) -> T;
}

/// Types whose saved form is themselves.
macro_rules! convert_as_itself {
    ($($t:ty),* $(,)?) => {
        $(impl Convert<$t> for $t {
            fn convert(self) -> $t {
                self
            }
        })*
    };
}

convert_as_itself!(bool, u8, u16, u32, u64, i64, String);

// Indexes and counts are `usize` live and `u64` saved: postcard writes both as the
// same varint, so the bytes are those the live types wrote.
impl Convert<u64> for usize {
    fn convert(self) -> u64 {
        self as u64
    }
}

impl Convert<usize> for u64 {
    fn convert(self) -> usize {
        // Past the host's address space: no index or count can be that large anyway.
        usize::try_from(self).unwrap_or(usize::MAX)
    }
}

impl<A: Convert<B>, B> Convert<Option<B>> for Option<A> {
    fn convert(self) -> Option<B> {
        self.map(Convert::convert)
    }
}

impl<A: Convert<B>, B> Convert<Box<B>> for Box<A> {
    fn convert(self) -> Box<B> {
        Box::new((*self).convert())
    }
}

impl<A: Convert<B>, B> Convert<Vec<B>> for Vec<A> {
    fn convert(self) -> Vec<B> {
        self.into_iter().map(Convert::convert).collect()
    }
}

impl<A: Convert<B>, B> Convert<VecDeque<B>> for VecDeque<A> {
    fn convert(self) -> VecDeque<B> {
        self.into_iter().map(Convert::convert).collect()
    }
}

impl<K: Convert<L>, L: Ord, A: Convert<B>, B> Convert<BTreeMap<L, B>> for BTreeMap<K, A> {
    fn convert(self) -> BTreeMap<L, B> {
        self.into_iter()
            .map(|(k, v)| (k.convert(), v.convert()))
            .collect()
    }
}

impl<A: Convert<B>, B, const N: usize> Convert<[B; N]> for [A; N] {
    fn convert(self) -> [B; N] {
        self.map(Convert::convert)
    }
}

impl<A: Convert<C>, B: Convert<D>, C, D> Convert<(C, D)> for (A, B) {
    fn convert(self) -> (C, D) {
        (self.0.convert(), self.1.convert())
    }
}

/// `Convert` both ways between a live type and its frozen copy, through their `From`.
macro_rules! convert_by_from {
    ($live:ty, $frozen:ty) => {
        impl $crate::saved::convert::Convert<$frozen> for $live {
            fn convert(self) -> $frozen {
                <$frozen>::from(self)
            }
        }
        impl $crate::saved::convert::Convert<$live> for $frozen {
            fn convert(self) -> $live {
                <$live>::from(self)
            }
        }
    };
}

/// `From` both ways (and [`Convert`]) between a live struct and its frozen copy,
/// whose fields have the same names: `convert_struct!(Live <=> Frozen { a, b })`.
macro_rules! convert_struct {
    ($live:ident <=> $frozen:ident { $($field:ident),* $(,)? }) => {
        impl From<$live> for $frozen {
            fn from(value: $live) -> $frozen {
                $frozen {
                    $($field: $crate::saved::convert::Convert::convert(value.$field)),*
                }
            }
        }
        impl From<$frozen> for $live {
            fn from(value: $frozen) -> $live {
                $live {
                    $($field: $crate::saved::convert::Convert::convert(value.$field)),*
                }
            }
        }
        convert_by_from!($live, $frozen);
    };
}

/// `From` both ways (and [`Convert`]) between a live enum and its frozen copy, whose
/// variants have the same names: `convert_enum!(Live <=> Frozen { A, B(x), C { y } })`
/// (a tuple variant's fields get any distinct names).
macro_rules! convert_enum {
    ($live:ident <=> $frozen:ident {
        $($variant:ident $(( $($tuple:ident),* ))? $({ $($named:ident),* })?),* $(,)?
    }) => {
        impl From<$live> for $frozen {
            fn from(value: $live) -> $frozen {
                match value {
                    $($live::$variant $(( $($tuple),* ))? $({ $($named),* })? =>
                        $frozen::$variant
                            $(( $($crate::saved::convert::Convert::convert($tuple)),* ))?
                            $({ $($named: $crate::saved::convert::Convert::convert($named)),* })?),*
                }
            }
        }
        impl From<$frozen> for $live {
            fn from(value: $frozen) -> $live {
                match value {
                    $($frozen::$variant $(( $($tuple),* ))? $({ $($named),* })? =>
                        $live::$variant
                            $(( $($crate::saved::convert::Convert::convert($tuple)),* ))?
                            $({ $($named: $crate::saved::convert::Convert::convert($named)),* })?),*
                }
            }
        }
        convert_by_from!($live, $frozen);
    };
}

pub(crate) use {convert_by_from, convert_enum, convert_struct};
