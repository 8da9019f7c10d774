//! Word-addressed memory of 64-bit words.
//!
//! A [`Memory`] is a flat array of words: the machine's physical memory, or (in the
//! UNICOS-like system) one process's memory field. Relocation and range checks are
//! the CPU's job (base and limit registers); these accessors only refuse addresses
//! beyond the array, so nothing a guest does can index out of bounds on the host.

use serde::{Deserialize, Serialize};
use std::ops::Range;
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

/// Most ranges a [`WriteLog`] keeps before it gives up and says "anything".
const LOGGED_RANGES: usize = 32;

/// The words written through the public API since a version (see
/// [`Memory::written_since`]), so that the CPU's decoded-instruction cache can keep
/// what a system call's writes did not touch rather than drop everything (before the
/// ninth step of issue 19 every system call dropped it, and LISPF4 decoded its code
/// again after each one). Derived data like the version: not saved, never compared.
#[derive(Clone, Debug, Default)]
struct WriteLog {
    /// The version the log starts from (0, which no version is, for none).
    since: u64,
    /// The ranges of words written since then, in order.
    ranges: Vec<Range<usize>>,
    /// Set when a change could not be logged as a range (all words handed out at
    /// once, too many ranges): everything may have changed.
    anything: bool,
}

impl WriteLog {
    /// Notes that `range` was written.
    fn note(&mut self, range: Range<usize>) {
        if self.anything {
            return;
        }
        if let Some(last) = self.ranges.last_mut() {
            // Consecutive writes (a word at a time) extend one range.
            if range.start <= last.end && last.start <= range.end {
                *last = last.start.min(range.start)..last.end.max(range.end);
                return;
            }
        }
        if self.ranges.len() < LOGGED_RANGES {
            self.ranges.push(range);
        } else {
            self.anything = true;
        }
    }
}

impl PartialEq for WriteLog {
    fn eq(&self, _: &WriteLog) -> bool {
        true
    }
}

impl Eq for WriteLog {}

/// A block of 64-bit words.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    words: Vec<u64>,
    /// Changes whenever the words may have changed (the CPU's decoded-instruction
    /// cache uses it to notice writes made outside the CPU).
    #[serde(skip)]
    version: Version,
    /// The words written since the CPU last ran on this memory ([`Memory::new_version`]).
    #[serde(skip)]
    log: WriteLog,
}

impl Memory {
    /// Zero-filled memory of `len` words.
    pub fn new(len: usize) -> Memory {
        Memory {
            words: vec![0; len],
            version: Version::fresh(),
            log: WriteLog::default(),
        }
    }

    /// Memory holding exactly `words`.
    pub fn from_words(words: Vec<u64>) -> Memory {
        Memory {
            words,
            version: Version::fresh(),
            log: WriteLog::default(),
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
        match self.words_mut_in(address as usize..address as usize + 1) {
            Some([word]) => {
                *word = value;
                true
            }
            _ => false,
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
        self.log.anything = true;
        &mut self.words
    }

    /// The words of `range`, mutable, or `None` (and nothing changed) if it runs past
    /// the end. Prefer it to [`Memory::words_mut`] for a write of a few words: only
    /// those are marked as changed, so the CPU keeps its decoded instructions elsewhere.
    #[inline]
    pub fn words_mut_in(&mut self, range: Range<usize>) -> Option<&mut [u64]> {
        if range.start > range.end || range.end > self.words.len() {
            return None;
        }
        self.version = Version::fresh();
        self.log.note(range.clone());
        self.words.get_mut(range)
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

    /// Gives the contents a new version (after changes the version did not see), from
    /// which [`Memory::written_since`] logs the writes.
    pub fn new_version(&mut self) {
        self.version = Version::fresh();
        self.log.since = self.version.0;
        self.log.ranges.clear();
        self.log.anything = false;
    }

    /// The ranges of words written since version `version`, if that version was
    /// given by [`Memory::new_version`] and every change since went through
    /// [`Memory::write`], [`Memory::words_mut_in`] or [`Memory::resize`] (which
    /// notes the words between the two lengths).
    pub fn written_since(&self, version: u64) -> Option<&[Range<usize>]> {
        (self.log.since == version && !self.log.anything).then_some(&self.log.ranges)
    }

    /// Changes the length, zero-filling new words (brk, F$MEM).
    pub fn resize(&mut self, len: usize) {
        self.version = Version::fresh();
        let old = self.words.len();
        self.log.note(old.min(len)..old.max(len));
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
    fn writes_are_logged_from_the_last_new_version() {
        let mut m = Memory::new(8);
        assert_eq!(m.written_since(m.version()), None, "no version given yet");
        m.new_version();
        let since = m.version();
        assert_eq!(m.written_since(since), Some(&[][..]));
        assert!(m.write(2, 1));
        assert!(m.write(3, 1));
        m.words_mut_in(6..8).expect("inside")[0] = 5;
        assert_ne!(m.version(), since);
        assert_eq!(m.written_since(since), Some(&[2..4, 6..8][..]));
        assert_eq!(m.words_mut_in(7..9), None, "past the end");
        m.resize(10);
        assert_eq!(m.written_since(since), Some(&[2..4, 6..10][..]));
        let _ = m.words_mut();
        assert_eq!(m.written_since(since), None, "all words handed out");
        m.new_version();
        assert_eq!(m.written_since(since), None, "an older version");
        assert_eq!(m.written_since(m.version()), Some(&[][..]));
    }

    #[test]
    fn out_of_range_accesses_are_refused() {
        let mut m = Memory::new(2);
        assert!(!m.write(2, 5));
        assert_eq!(m.read(u32::MAX), None);
    }
}
