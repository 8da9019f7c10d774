//! The complete guest-visible state as plain serde data, and its canonical hash.
//!
//! The hash is xxh3-64 of the postcard encoding. Every state type uses ordered
//! containers, so equal states encode to equal bytes on every host and every run.

use serde::Serialize;

/// The canonical hash of `state`: xxh3-64 of its postcard encoding.
pub fn state_hash<T: Serialize + ?Sized>(state: &T) -> u64 {
    let mut hasher = HashWriter(xxhash_rust::xxh3::Xxh3::new());
    // Serializing plain data into a hasher cannot fail; a failure would be a type
    // that refuses to serialize, which none of the state types do.
    let _ = postcard::to_io(state, &mut hasher);
    hasher.0.digest()
}

/// Feeds postcard's output straight into the hasher (no buffer of the whole state).
struct HashWriter(xxhash_rust::xxh3::Xxh3);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_states_hash_equal_and_different_states_differ() {
        let a = vec![1u64, 2, 3];
        assert_eq!(state_hash(&a), state_hash(&vec![1u64, 2, 3]));
        assert_ne!(state_hash(&a), state_hash(&vec![1u64, 2, 4]));
    }

    #[test]
    fn hash_is_stable_across_versions_of_the_code() {
        // xxh3-64 of postcard([7u8]) = xxh3 of the bytes [1, 7].
        assert_eq!(state_hash(&vec![7u8]), xxhash_rust::xxh3::xxh3_64(&[1, 7]));
    }
}
