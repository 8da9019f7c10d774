//! The complete guest-visible state as plain serde data, and its canonical hash.
