//! Word-addressed memory of 64-bit words.
//!
//! A [`Memory`] is a flat array of words: the machine's physical memory, or (in the
//! UNICOS-like system) one process's memory field. Relocation and range checks are
//! the CPU's job (base and limit registers); these accessors only refuse addresses
//! beyond the array, so nothing a guest does can index out of bounds on the host.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};

/// Source of content versions: every value is handed out once per process.
static NEXT_VERSION: AtomicU64 = AtomicU64::new(1);

/// A version stamp of a memory's contents: a fresh, process-unique value after every
/// change made through the public API. Derived data: not saved, never compared.
#[derive(Clone, Debug)]
struct Version(u64);

impl Version {
    fn fresh() -> Version {
        Version(NEXT_VERSION.fetch_add(1, Ordering::Relaxed))
    }
}

impl Default for Version {
    fn default() -> Version {
        Version::fresh()
    }
}

impl PartialEq for Version {
    fn eq(&self, _: &Version) -> bool {
        true
    }
}

impl Eq for Version {}

/// A block of 64-bit words.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    words: Vec<u64>,
    /// Changes whenever the words may have changed (the CPU's decoded-instruction
    /// cache uses it to notice writes made outside the CPU).
    #[serde(skip)]
    version: Version,
}

impl Memory {
    /// Zero-filled memory of `len` words.
    pub fn new(len: usize) -> Memory {
        Memory {
            words: vec![0; len],
            version: Version::fresh(),
        }
    }

    /// Memory holding exactly `words`.
    pub fn from_words(words: Vec<u64>) -> Memory {
        Memory {
            words,
            version: Version::fresh(),
        }
    }

    /// Number of words.
    #[inline]
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// True when there are no words.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The word at `address`, or `None` beyond the end.
    #[inline]
    pub fn read(&self, address: u32) -> Option<u64> {
        self.words.get(address as usize).copied()
    }

    /// Stores `value` at `address`; false (and nothing written) beyond the end.
    #[inline]
    pub fn write(&mut self, address: u32, value: u64) -> bool {
        self.version = Version::fresh();
        match self.words.get_mut(address as usize) {
            Some(word) => {
                *word = value;
                true
            }
            None => false,
        }
    }

    /// The parcel at parcel address `parcel` (4 parcels per word, parcel a most
    /// significant), or `None` beyond the end.
    #[inline]
    pub fn parcel(&self, parcel: u32) -> Option<u16> {
        let word = self.read(parcel >> 2)?;
        Some((word >> (48 - 16 * (parcel & 3))) as u16)
    }

    /// All words.
    #[inline]
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// All words, mutable.
    #[inline]
    pub fn words_mut(&mut self) -> &mut [u64] {
        self.version = Version::fresh();
        &mut self.words
    }

    /// All words, mutable, without a new version: for the CPU's own stores, which
    /// keep its decoded-instruction cache current themselves.
    #[inline]
    pub(crate) fn words_mut_by_cpu(&mut self) -> &mut [u64] {
        &mut self.words
    }

    /// The current content version (changes after every change through the public
    /// API; see [`Memory::new_version`]).
    #[inline]
    pub fn version(&self) -> u64 {
        self.version.0
    }

    /// Gives the contents a new version (after changes the version did not see).
    pub fn new_version(&mut self) {
        self.version = Version::fresh();
    }

    /// Changes the length, zero-filling new words (brk, F$MEM).
    pub fn resize(&mut self, len: usize) {
        self.version = Version::fresh();
        self.words.resize(len, 0);
    }

    /// Consumes the memory, returning its words.
    pub fn into_words(self) -> Vec<u64> {
        self.words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parcels_are_big_endian_within_a_word() {
        let m = Memory::from_words(vec![0x0001_0002_0003_0004]);
        assert_eq!(m.parcel(0), Some(1));
        assert_eq!(m.parcel(3), Some(4));
        assert_eq!(m.parcel(4), None);
    }

    #[test]
    fn out_of_range_accesses_are_refused() {
        let mut m = Memory::new(2);
        assert!(!m.write(2, 5));
        assert_eq!(m.read(u32::MAX), None);
    }
}
