//! `cray upgrade` and what `cray inspect` says of section versions: every golden image
//! upgraded restarts to the same end as the original; a newer section is shown with
//! a warning by inspect and refused by restart, each naming it.

mod common;

use common::{cray, text};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../images/golden")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    cray().args(args).output().expect("cray runs")
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Restarts `image` in a fresh root: its standard output and its figures (clock
/// periods, state hash).
fn restarted(image: &Path) -> (String, Value) {
    let root = tempfile::tempdir().unwrap();
    let stats = root.path().join("stats.json");
    let out = run(&[
        "restart",
        "-f",
        s(image),
        "--root",
        s(root.path()),
        "--stats-json",
        s(&stats),
    ]);
    assert!(
        out.status.success(),
        "{}: {}",
        image.display(),
        text(&out.stderr)
    );
    let figures: Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    (text(&out.stdout), figures)
}

#[test]
fn every_old_golden_image_upgraded_restarts_to_the_same_end() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "forkwait-v1.0.chk",
        "pipeline-v1.0.chk",
        "daxpy-v1.0.chk",
        "cos-copy-v1.0.chk",
        "pipeline-delta-v1.1.chk",
    ] {
        let original = golden(name);
        let upgraded = dir.path().join(name);
        let out = run(&["upgrade", s(&original), "-o", s(&upgraded)]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        assert!(
            text(&out.stdout)
                .contains("kernel state version 1 -> format 1.3 kernel state version 3"),
            "{}",
            text(&out.stdout)
        );
        let inspected: Value =
            serde_json::from_slice(&run(&["inspect", "--json", s(&upgraded)]).stdout).unwrap();
        assert_eq!(inspected["format_version"], "1.3");
        assert_eq!(
            inspected["parent"],
            Value::Null,
            "an upgraded image is full"
        );
        let (want_out, want) = restarted(&original);
        let (got_out, got) = restarted(&upgraded);
        assert_eq!(got_out, want_out, "{name}");
        for figure in ["state_hash", "cycles"] {
            assert_eq!(got[figure], want[figure], "{name}: {figure}");
        }
    }
}

#[test]
fn upgrade_in_place_keeps_a_chain_working_and_refuses_to_rewrite_a_parent() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["pipeline-base-v1.1.chk", "pipeline-delta-v1.1.chk"] {
        std::fs::copy(golden(name), dir.path().join(name)).unwrap();
    }
    let base = dir.path().join("pipeline-base-v1.1.chk");
    let delta = dir.path().join("pipeline-delta-v1.1.chk");
    let before = std::fs::read(&base).unwrap();
    let out = run(&["upgrade", s(&base)]);
    assert_eq!(out.status.code(), Some(2));
    let message = text(&out.stderr);
    assert!(
        message.contains("pipeline-delta-v1.1.chk builds on this image"),
        "{message}"
    );
    assert_eq!(
        std::fs::read(&base).unwrap(),
        before,
        "the parent is untouched"
    );
    let (want_out, want) = restarted(&golden("pipeline-delta-v1.1.chk"));
    let out = run(&["upgrade", s(&delta)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("was incremental, now full"));
    // Now nothing builds on the base: it may be upgraded in place too.
    assert!(run(&["upgrade", s(&base)]).status.success());
    let (got_out, got) = restarted(&delta);
    assert_eq!(
        (got_out, &got["state_hash"]),
        (want_out, &want["state_hash"])
    );
}

#[test]
fn upgrade_refuses_a_target_that_is_not_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "upgrade",
        s(&golden("forkwait-v1.0.chk")),
        "-o",
        s(dir.path()),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not a regular file"),
        "{}",
        text(&out.stderr)
    );
    let missing = dir.path().join("missing.chk");
    let out = run(&["upgrade", s(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("missing.chk"),
        "{}",
        text(&out.stderr)
    );
}

/// A copy of `source` in `dir` whose State section claims `version`, checksums right.
fn with_state_version(dir: &Path, source: &Path, version: u16) -> PathBuf {
    let mut bytes = std::fs::read(source).unwrap();
    // Section 1 is the state in every image cray writes.
    let entry = 32 + 56;
    assert_eq!(u16::from_le_bytes([bytes[entry], bytes[entry + 1]]), 2);
    bytes[entry + 2..entry + 4].copy_from_slice(&version.to_le_bytes());
    let header_len = u32::from_le_bytes(bytes[20..24].try_into().unwrap()) as usize;
    bytes[24..32].fill(0);
    let checksum = xxhash_rust::xxh3::xxh3_64(&bytes[..header_len]);
    bytes[24..32].copy_from_slice(&checksum.to_le_bytes());
    let path = dir.join("newer.chk");
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn inspect_shows_section_versions_and_warns_about_a_newer_one_that_restart_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["inspect", s(&golden("forkwait-v1.0.chk"))]);
    assert!(
        text(&out.stdout).contains("#1 state 0           v1 "),
        "{}",
        text(&out.stdout)
    );
    let newer = with_state_version(dir.path(), &golden("forkwait-v1.2.chk"), 7);
    let out = run(&["inspect", s(&newer)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("v7"), "{shown}");
    assert!(
        shown.contains("NEWER than this cray reads (at most v3)"),
        "{shown}"
    );
    assert!(
        text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );
    let json: Value =
        serde_json::from_slice(&run(&["inspect", "--json", s(&newer)]).stdout).unwrap();
    let state = &json["sections"][1];
    assert_eq!(state["version"], 7);
    assert_eq!(state["known_version"], 3);
    assert_eq!(state["newer_than_this_build"], true);
    assert!(json["warnings"][0].as_str().unwrap().contains("version 7"));
    for command in [&["restart", "-f"][..], &["upgrade"][..]] {
        let mut args = command.to_vec();
        args.push(s(&newer));
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{command:?}");
        let message = text(&out.stderr);
        for part in ["section #1 state 0", "version 7", "at most version 3"] {
            assert!(
                message.contains(part),
                "{command:?}: {part:?} missing: {message}"
            );
        }
    }
}
