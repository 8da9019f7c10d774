//! The memory of processes that have ended, kept as one hash.
//!
//! A process's memory field is freed when it ends (a zombie keeps only its status),
//! so the state hash of a finished job would otherwise not cover anything its
//! processes computed and did not write out. Each ending process's field is hashed at
//! that moment and folded into one value: the kernel keeps 8 bytes, never the memory.

use super::Pid;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{xxh3_64, Xxh3};

/// The fold of the memory hashes of every ended process, in the order they ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitedMemory {
    /// 0 while no process has ended; then the running fold.
    fold: u64,
}

impl ExitedMemory {
    /// The fold as saved in an image.
    pub fn from_saved(fold: u64) -> ExitedMemory {
        ExitedMemory { fold }
    }

    /// The value to save (0: no process has ended).
    pub fn saved(&self) -> u64 {
        self.fold
    }

    /// Whether no process has ended yet (the state hash leaves it out then).
    pub fn is_empty(&self) -> bool {
        self.fold == 0
    }

    /// Adds the memory `words` of process `pid`, which ends now.
    pub fn fold(&mut self, pid: Pid, words: &[u64]) {
        let mut bytes = [0u8; 28];
        bytes[..8].copy_from_slice(&self.fold.to_le_bytes());
        bytes[8..12].copy_from_slice(&pid.to_le_bytes());
        bytes[12..20].copy_from_slice(&memory_hash(words).to_le_bytes());
        bytes[20..].copy_from_slice(&(words.len() as u64).to_le_bytes());
        // Never 0, which means "none": a fold that happened to give 0 would make a
        // job whose processes ended hash like one whose processes did not.
        self.fold = xxh3_64(&bytes).max(1);
    }
}

/// xxh3-64 of `words` as little-endian bytes.
pub fn memory_hash(words: &[u64]) -> u64 {
    let mut hasher = Xxh3::new();
    let mut buffer = [0u8; 8 * 512];
    for chunk in words.chunks(512) {
        for (slot, word) in buffer.chunks_exact_mut(8).zip(chunk) {
            slot.copy_from_slice(&word.to_le_bytes());
        }
        hasher.update(&buffer[..8 * chunk.len()]);
    }
    hasher.digest()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fold_depends_on_every_word_the_pid_and_the_order() {
        let fold = |ends: &[(Pid, &[u64])]| {
            let mut memory = ExitedMemory::default();
            for (pid, words) in ends {
                memory.fold(*pid, words);
            }
            memory
        };
        let a: &[u64] = &[1, 2, 3];
        let b: &[u64] = &[1, 2, 4];
        assert!(fold(&[]).is_empty());
        assert!(!fold(&[(1, &[])]).is_empty());
        assert_eq!(fold(&[(1, a)]), fold(&[(1, a)]));
        assert_ne!(fold(&[(1, a)]), fold(&[(1, b)]));
        assert_ne!(fold(&[(1, a)]), fold(&[(2, a)]));
        assert_ne!(fold(&[(1, a), (2, b)]), fold(&[(2, b), (1, a)]));
        assert_ne!(fold(&[(1, &[0])]), fold(&[(1, &[0, 0])]));
    }

    #[test]
    fn memory_hash_is_xxh3_of_the_little_endian_words() {
        let words: Vec<u64> = (0..1500).map(|i| i * 0x0101_0101).collect();
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        assert_eq!(memory_hash(&words), xxh3_64(&bytes));
    }
}
