//! `cray demo`, the README's first command: it succeeds, the restarted job ends as the
//! uninterrupted one, and both print the state hash the README documents.

mod common;

use common::{cray, text};

/// The state hash README.md shows for `cray demo` (its `# → state hash H` line).
fn documented_hash() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let line = readme
        .lines()
        .find(|line| line.starts_with("cray demo ") && line.contains("# → state hash "))
        .expect("README.md shows the demo's state hash");
    line.rsplit(' ').next().unwrap().to_string()
}

#[test]
fn the_demo_restarts_exactly_and_prints_the_documented_state_hash() {
    let dir = tempfile::tempdir().unwrap();
    let out = cray().arg("demo").current_dir(dir.path()).output().unwrap();
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{shown}{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let hash = documented_hash();
    assert_eq!(hash.len(), 16, "{hash}");
    // The uninterrupted run and the restarted one.
    assert_eq!(
        shown.matches(&format!("state hash {hash} ")).count(),
        2,
        "{shown}"
    );
    assert!(
        shown.contains("result: output identical, clock periods identical, state hash identical, exit status identical"),
        "{shown}"
    );
    assert!(shown
        .ends_with("cray demo: the restarted job continued exactly as if it had never stopped\n"));
    // The demo leaves nothing behind in the directory it runs in.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
