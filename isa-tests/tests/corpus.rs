//! A test that needs the corpus and cannot find it fails with one message that names
//! the path it tried, `CRAY_CORPUS`, and what the corpus is.

use std::path::Path;
use std::process::Command;

/// What every message about a missing corpus says besides the path.
fn says_what_to_do(message: &str) {
    for expected in ["CRAY_CORPUS", "cos/", "fp-vectors.tsv", "shared corpus"] {
        assert!(message.contains(expected), "{expected}: {message}");
    }
}

#[test]
fn a_missing_cray_corpus_directory_is_named() {
    let message =
        isa_tests::find_corpus(Some("/nowhere/corpus".into()), Path::new("/tmp")).unwrap_err();
    assert!(
        message.starts_with("corpus not found at /nowhere/corpus (from CRAY_CORPUS)"),
        "{message}"
    );
    says_what_to_do(&message);
}

#[test]
fn without_cray_corpus_the_place_beside_the_checkout_is_named() {
    let checkout = outside_any_checkout();
    let crate_dir = checkout.join("isa-tests");
    let message = isa_tests::find_corpus(None, &crate_dir).unwrap_err();
    let tried = checkout.join("../shared/corpus");
    assert!(
        message.starts_with(&format!("corpus not found at {}:", tried.display())),
        "{message}"
    );
    says_what_to_do(&message);
}

/// A directory with no `shared/corpus` in any of its ancestors.
fn outside_any_checkout() -> std::path::PathBuf {
    let dir = Path::new("/nonexistent-checkout");
    assert!(!dir.ancestors().any(|d| d.join("shared/corpus").is_dir()));
    dir.to_path_buf()
}

/// Reads the corpus; with `CRAY_CORPUS` pointing nowhere (as the test below runs it)
/// it must fail with the one message.
#[test]
fn reads_the_corpus() {
    assert!(!isa_tests::read_corpus("fp-vectors.tsv").is_empty());
}

#[test]
fn a_test_run_without_the_corpus_fails_with_one_message() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "reads_the_corpus", "--test-threads", "1"])
        .env("CRAY_CORPUS", "/nowhere/corpus")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        shown.matches("corpus not found at /nowhere/corpus").count(),
        1,
        "{shown}"
    );
    says_what_to_do(&shown);
}
