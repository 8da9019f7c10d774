//! Shared helpers of the instruction-set conformance tests.
use std::path::PathBuf;

pub mod listing;

/// The corpus directory: `$CRAY_CORPUS`, or `../shared/corpus` beside the project root.
pub fn corpus_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CRAY_CORPUS") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus")
}

/// Reads a corpus file, with a message naming it when it is missing.
pub fn read_corpus(name: &str) -> Vec<u8> {
    let path = corpus_dir().join(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("cannot read corpus file {}: {e}", path.display()))
}
