//! `--timing`, `--stats`, `--stats-json` and `--timeline`: the timing model seen from
//! the command line.

mod common;

use common::{cray, text};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

fn image(name: &str) -> String {
    common::image(name).display().to_string()
}

/// Runs `cray run ARGS... PROGRAM` with `--stats --stats-json`; returns the output and
/// the JSON.
fn run_stats(dir: &Path, args: &[&str], program: &str) -> (Output, Value) {
    let json: PathBuf = dir.join(format!("stats-{}.json", args.join("_")));
    let out = cray()
        .arg("run")
        .args(args)
        .args(["--stats", "--stats-json", json.to_str().unwrap()])
        .arg(image(program))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stats = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    (out, stats)
}

#[test]
fn timing_off_and_approx_differ_only_in_time() {
    let dir = tempfile::tempdir().unwrap();
    let (off, off_stats) = run_stats(dir.path(), &["--timing", "off"], "daxpy.cal");
    let (approx, approx_stats) = run_stats(dir.path(), &["--timing", "approx"], "daxpy.cal");
    assert_eq!(off.stdout, approx.stdout);
    assert_eq!(off_stats["exit_status"], approx_stats["exit_status"]);
    assert_eq!(off_stats["instructions"], approx_stats["instructions"]);
    let cycles = |s: &Value| s["cycles"].as_u64().unwrap();
    assert!(cycles(&approx_stats) > cycles(&off_stats));
    assert_eq!(off_stats["hpm"]["timing"], false);
    assert_eq!(approx_stats["hpm"]["timing"], true);
    // The model counted every instruction the CPU issued, and the daxpy flops.
    assert_eq!(
        approx_stats["hpm"]["instructions"],
        approx_stats["instructions"]
    );
    assert!(approx_stats["hpm"]["float_adds"].as_u64().unwrap() > 0);
    assert!(approx_stats["hpm"]["mflops"].as_f64().unwrap() > 0.0);
    assert!(approx_stats["hpm"]["mips"].as_f64().unwrap() > 0.0);
    let report = text(&approx.stderr);
    assert!(report.contains("Hold issue: register reserved"), "{report}");
    assert!(report.contains("MFLOPS"), "{report}");
}

#[test]
fn the_job_counters_include_every_process() {
    // forkwait: the parent forks children that exit; the counters of ended processes
    // stay in the job's total, so the model counted every instruction of the job.
    let dir = tempfile::tempdir().unwrap();
    let (_, stats) = run_stats(dir.path(), &[], "forkwait.cal");
    assert_eq!(stats["hpm"]["instructions"], stats["instructions"]);
    // The machine's clock is the processes' issue periods plus 50 periods of kernel
    // time per system call (at least fork, wait, write and two exits).
    let issue = stats["hpm"]["issue_clock_periods"].as_u64().unwrap();
    let cycles = stats["cycles"].as_u64().unwrap();
    assert_eq!(stats["hpm"]["clock_periods"].as_u64(), Some(cycles));
    assert!(cycles >= issue + 5 * 50, "{cycles} {issue}");
    assert_eq!((cycles - issue) % 50, 0, "{cycles} {issue}");
}

#[test]
fn timeline_writes_an_svg_of_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("t.svg");
    let out = cray()
        .args([
            "run",
            "--timeline",
            svg.to_str().unwrap(),
            "--timeline-window",
            "0:500",
            &image("daxpy.cal"),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let chart = std::fs::read_to_string(&svg).unwrap();
    assert!(chart.starts_with("<svg"), "{chart}");
    assert!(chart.contains("clock periods 0 to 500"), "{chart}");
    assert!(chart.contains("floating add"));
}

#[test]
fn a_malformed_window_or_timing_off_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("t.svg");
    for (args, message) in [
        (vec!["--timeline-window", "12"], "--timeline-window 12"),
        (vec!["--timeline-window", "5:0"], "--timeline-window 5:0"),
        (vec!["--timeline-window", "a:b"], "START:LEN"),
        (vec!["--timing", "off"], "--timing approx"),
    ] {
        let out = cray()
            .args(["run", "--timeline", svg.to_str().unwrap()])
            .args(&args)
            .arg(image("daxpy.cal"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).contains(message), "{}", text(&out.stderr));
    }
}
