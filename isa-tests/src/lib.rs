//! Shared helpers of the instruction-set conformance tests.
use std::path::PathBuf;

/// The corpus directory: `$CRAY_CORPUS`, or `../shared/corpus` beside the project root.
pub fn corpus_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CRAY_CORPUS") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus")
}

pub mod reference_float;
