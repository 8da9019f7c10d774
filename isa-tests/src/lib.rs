//! Shared helpers of the instruction-set conformance tests.

#![deny(missing_docs)]
use std::path::{Path, PathBuf};

pub mod listing;
pub mod machine;
pub mod reference_float;

/// What the corpus is, for the message of a test that cannot find it.
const CORPUS_IS: &str = "set CRAY_CORPUS to the directory holding cos/, compiled/, \
allinst.snapshot and fp-vectors.tsv (the project's shared corpus of real COS binaries, \
compiled programs and reference listings and vectors; README.md, \"The corpus\", says \
where to get it)";

/// The corpus directory: `$CRAY_CORPUS`, or `shared/corpus` beside the project root
/// (the nearest ancestor of this crate that has one, so git worktrees find it too).
/// A test that needs the corpus and cannot find it fails here, with one message that
/// names the path tried and `CRAY_CORPUS`.
pub fn corpus_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    find_corpus(std::env::var_os("CRAY_CORPUS").map(PathBuf::from), manifest)
        .unwrap_or_else(|message| panic!("{message}"))
}

/// Where the corpus is, from the value of `$CRAY_CORPUS` (if set) or the ancestors of
/// `crate_dir`; the message says which path was tried and what the corpus is.
pub fn find_corpus(from_env: Option<PathBuf>, crate_dir: &Path) -> Result<PathBuf, String> {
    if let Some(dir) = from_env {
        return if dir.is_dir() {
            Ok(dir)
        } else {
            Err(format!(
                "corpus not found at {} (from CRAY_CORPUS): {CORPUS_IS}",
                dir.display()
            ))
        };
    }
    if let Some(found) = crate_dir
        .ancestors()
        .map(|dir| dir.join("shared/corpus"))
        .find(|dir| dir.is_dir())
    {
        return Ok(found);
    }
    // The place the README names: beside the workspace root (the crate's parent).
    let root = crate_dir.parent().unwrap_or(crate_dir);
    let beside = root.join("../shared/corpus");
    Err(format!(
        "corpus not found at {}: {CORPUS_IS}",
        beside.display()
    ))
}

/// The path of `name` (a file or directory: `cos`, `fp-vectors.tsv`) in the corpus;
/// a missing one fails the test with a message naming it.
pub fn corpus_path(name: &str) -> PathBuf {
    let path = corpus_dir().join(name);
    if !path.exists() {
        panic!("corpus file {} not found: {CORPUS_IS}", path.display());
    }
    path
}

/// Reads a corpus file, with a message naming it when it is missing.
pub fn read_corpus(name: &str) -> Vec<u8> {
    let path = corpus_path(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("cannot read corpus file {}: {e}", path.display()))
}

/// The files of corpus directory `name` (`cos`) whose names end with one of
/// `endings`, sorted by name.
pub fn corpus_files(name: &str, endings: &[&str]) -> Vec<PathBuf> {
    let dir = corpus_path(name);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list corpus directory {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| {
            entry
                .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
                .path()
        })
        .filter(|path| {
            let file = path.file_name().unwrap_or_default().to_string_lossy();
            endings.iter().any(|ending| file.ends_with(ending))
        })
        .collect();
    files.sort();
    files
}
