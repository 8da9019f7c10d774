//! Data a machine keeps beside its state: caches and hints derived from that state to
//! run faster, and recordings of it (the timing model's timeline). It is never saved (its fields are `#[serde(skip)]`), never makes two
//! states differ, and a copy of a machine starts without it.

use std::ops::{Deref, DerefMut};

/// `T` kept beside a machine's state but not part of it: every value compares equal,
/// and a clone is `T::default()` (an empty cache, no hint, no recording); the machine
/// rebuilds a cache as it runs.
#[derive(Debug, Default)]
pub(crate) struct NotState<T>(pub(crate) T);

impl<T: Default> Clone for NotState<T> {
    fn clone(&self) -> NotState<T> {
        NotState::default()
    }
}

impl<T> PartialEq for NotState<T> {
    fn eq(&self, _: &NotState<T>) -> bool {
        true
    }
}

impl<T> Eq for NotState<T> {}

impl<T> Deref for NotState<T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for NotState<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_always_equal_and_clones_empty() {
        let full = NotState(vec![1, 2, 3]);
        assert_eq!(full, NotState(Vec::new()));
        assert!(full.clone().is_empty());
        assert_eq!(full.len(), 3);
    }
}
