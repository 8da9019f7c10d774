//! Benchmarks live in `benches/`.

#![deny(missing_docs)]
