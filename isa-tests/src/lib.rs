//! Shared helpers of the instruction-set conformance tests.
use std::path::PathBuf;

pub mod listing;
pub mod machine;
pub mod reference_float;

/// The corpus directory: `$CRAY_CORPUS`, or `shared/corpus` beside the project root
/// (the nearest ancestor of this crate that has one, so git worktrees find it too).
pub fn corpus_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CRAY_CORPUS") {
        return PathBuf::from(dir);
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|dir| dir.join("shared/corpus"))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| manifest.join("../../shared/corpus"))
}

/// Reads a corpus file, with a message naming it when it is missing.
pub fn read_corpus(name: &str) -> Vec<u8> {
    let path = corpus_dir().join(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("cannot read corpus file {}: {e}", path.display()))
}
