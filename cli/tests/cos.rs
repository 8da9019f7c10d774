//! The COS personality: CAL programs under images/cos assembled with `--format cos`
//! and run, checkpoint/restart of a COS job, and every corpus binary run to its end
//! or to a request it cannot serve.
mod common;

use common::{cray, text};
use std::path::{Path, PathBuf};
use std::process::Output;

fn image(name: &str) -> PathBuf {
    common::image("cos").join(name)
}

/// Assembles images/cos/NAME.cal with --format cos into `dir`.
fn assemble(dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(format!("{name}.abs"));
    let status = cray()
        .args(["asm", "--format", "cos"])
        .arg(image(&format!("{name}.cal")))
        .arg("-o")
        .arg(&out)
        .status()
        .expect("cray runs");
    assert!(status.success(), "assembling {name}");
    out
}

fn run(dir: &Path, extra: &[&str], program: &Path, args: &[&str]) -> Output {
    cray()
        .arg("run")
        .arg("--root")
        .arg(dir)
        .args(extra)
        .arg(program)
        .args(args)
        .output()
        .expect("cray runs")
}

#[test]
fn hello_writes_the_job_log() {
    let dir = tempfile::tempdir().unwrap();
    let program = assemble(dir.path(), "hello");
    let log = dir.path().join("job.log");
    let out = run(dir.path(), &["--log", log.to_str().unwrap()], &program, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "HELLO, WORLD\n");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "HELLO, WORLD\n");
}

#[test]
fn trace_requests_prints_each_request_and_its_reply() {
    let dir = tempfile::tempdir().unwrap();
    let program = assemble(dir.path(), "hello");
    let out = run(dir.path(), &[], &program, &[]);
    assert!(!text(&out.stderr).contains("F$"), "off by default");
    let out = run(dir.path(), &["--trace-requests"], &program, &[]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(lines[0].starts_with("HELLO, WORLD"), "{stderr}");
    assert!(
        lines[1].starts_with("cray: F$ 004 F$MSG    S1=") && lines[1].contains("(\"HELLO, W\")"),
        "{stderr}"
    );
    assert!(lines[1].ends_with(": S0=0"), "{stderr}");
    assert!(lines[2].starts_with("cray: F$ 000 F$ADV"), "{stderr}");
    assert!(lines[2].ends_with("ends: Exited(0)"), "{stderr}");
}

#[test]
fn date_and_time_come_from_the_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let program = assemble(dir.path(), "datetime");
    // 1989-02-28 12:34:56 UTC.
    let out = run(dir.path(), &["--epoch", "604672496"], &program, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stderr),
        "DATE    02/28/89 TIME   12:34:56 JULIAN    89059\n"
    );
}

#[test]
fn control_statement_reaches_f_gns_and_jccci() {
    let dir = tempfile::tempdir().unwrap();
    let program = assemble(dir.path(), "args");
    let out = run(dir.path(), &[], &program, &["I=IN", "O=OUT"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "ARGS,I=IN,O=OUT.\n");
    let out = run(dir.path(), &["--control", "GO,X)"], &program, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stderr), "GO,X)\n");
}

#[test]
fn copy_moves_records_between_text_and_blocked_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let program = assemble(dir.path(), "copy");
    let lines = "line one\nsecond line here!\n\nlast\n";
    std::fs::write(dir.path().join("in.txt"), lines).unwrap();
    // Text to the console ($OUT unmapped).
    let out = run(dir.path(), &["--dataset", "$IN=in.txt"], &program, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), lines);
    // Text to a blocked dataset, and back to text.
    let out = run(
        dir.path(),
        &["--dataset", "$IN=in.txt", "--dataset", "$OUT=mid.ds"],
        &program,
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    let blocked = std::fs::read(dir.path().join("mid.ds")).unwrap();
    assert_eq!(&blocked[..8], &[0, 0, 0, 0, 0, 0, 0, 1], "BCW, FWI 1");
    let out = run(
        dir.path(),
        &["--dataset", "$IN=mid.ds", "--dataset", "$OUT=back.txt"],
        &program,
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("back.txt")).unwrap(),
        lines
    );
}

#[test]
fn records_lose_trailing_blanks_on_the_way_to_host_text_only() {
    let dir = tempfile::tempdir().unwrap();
    let program = assemble(dir.path(), "copy");
    std::fs::write(dir.path().join("in.txt"), "padded    \n   \n").unwrap();
    let out = run(dir.path(), &["--dataset", "$IN=in.txt"], &program, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "padded\n\n", "the terminal");
    let out = run(
        dir.path(),
        &["--dataset", "$IN=in.txt", "--dataset", "$OUT=mid.ds"],
        &program,
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    let blocked = std::fs::read(dir.path().join("mid.ds")).unwrap();
    assert!(
        blocked.windows(10).any(|w| w == b"padded    "),
        "a blocked dataset keeps the record word for word"
    );
    let out = run(
        dir.path(),
        &["--dataset", "$IN=mid.ds", "--dataset", "$OUT=back.txt"],
        &program,
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    let back = std::fs::read_to_string(dir.path().join("back.txt")).unwrap();
    assert_eq!(back, "padded\n\n", "a .txt dataset");
}

/// The corpus's compiled programs: `compiled/NAME`.
fn compiled(name: &str) -> PathBuf {
    isa_tests::corpus_dir().join("compiled").join(name)
}

/// `text` without the trailing blanks of its lines.
fn without_trailing_blanks(text: &str) -> String {
    text.lines()
        .map(|line| format!("{}\n", line.trim_end()))
        .collect()
}

#[test]
fn fortran_text_prints_as_the_host_build_does_without_the_padding() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &[], &compiled("fhello.abs"), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The one difference the corpus README lists: list-directed output starts with
    // a blank on the host only.
    let host = std::fs::read_to_string(compiled("fhello.host.txt")).unwrap();
    let host = host.strip_prefix(' ').unwrap();
    assert_eq!(text(&out.stdout), without_trailing_blanks(host));

    std::fs::copy(compiled("fcopy.in"), dir.path().join("fcopy.in")).unwrap();
    let out = run(
        dir.path(),
        &[
            "--dataset",
            "INDATA=fcopy.in",
            "--dataset",
            "OUTDAT=out.txt",
        ],
        &compiled("fcopy.abs"),
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let host = std::fs::read_to_string(compiled("fcopy.host.txt")).unwrap();
    assert_eq!(text(&out.stdout), host);
    let written = std::fs::read_to_string(dir.path().join("out.txt")).unwrap();
    let host = std::fs::read_to_string(compiled("fcopy.outdat.host.txt")).unwrap();
    assert!(
        host.contains("   3: \n"),
        "the host keeps the blank FORMAT wrote"
    );
    assert_eq!(written, without_trailing_blanks(&host));
}

fn stats(dir: &Path, name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
}

/// `cray restart -f image` with `dir` as the root: its output and its statistics.
fn restart(dir: &Path, image: &Path) -> (Output, serde_json::Value) {
    let stats_file = dir.join("restarted.json");
    let out = cray()
        .arg("restart")
        .arg("-f")
        .arg(image)
        .arg("--root")
        .arg(dir)
        .arg("--stats-json")
        .arg(&stats_file)
        .output()
        .unwrap();
    let stats = std::fs::read_to_string(&stats_file)
        .ok()
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or(serde_json::Value::Null);
    (out, stats)
}

#[test]
fn checkpoint_and_restart_of_a_cos_job() {
    let dir = tempfile::tempdir().unwrap();
    let program = assemble(dir.path(), "copy");
    let lines: String = (0..200).map(|i| format!("record number {i}\n")).collect();
    std::fs::write(dir.path().join("in.txt"), &lines).unwrap();
    let maps = ["--dataset", "$IN=in.txt", "--dataset", "$OUT=out.txt"];
    let whole = dir.path().join("whole.json");
    let mut extra: Vec<&str> = maps.to_vec();
    extra.extend(["--stats-json", whole.to_str().unwrap()]);
    let out = run(dir.path(), &extra, &program, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let expected = std::fs::read_to_string(dir.path().join("out.txt")).unwrap();
    assert_eq!(expected, lines);
    std::fs::remove_file(dir.path().join("out.txt")).unwrap();
    let whole = stats(dir.path(), "whole.json");
    let cycles = whole["cycles"].as_u64().unwrap();

    let image = dir.path().join("half.chk");
    let half = (cycles / 2).to_string();
    let mut extra: Vec<&str> = maps.to_vec();
    extra.extend(["--stop-at", &half, "--checkpoint", image.to_str().unwrap()]);
    let out = run(dir.path(), &extra, &program, &[]);
    assert!(image.exists(), "{}", text(&out.stderr));
    assert!(
        !dir.path().join("out.txt").exists(),
        "stopped before the end"
    );
    let (out, restarted) = restart(dir.path(), &image);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.txt")).unwrap(),
        expected
    );
    assert_eq!(restarted["state_hash"], whole["state_hash"]);
    assert_eq!(restarted["cycles"], whole["cycles"]);
}

/// The three lines `reprieve.cal` writes: its handler ran for the ERR, the program
/// went on after it with the register the handler set, and F$ABT was reprieved too.
const REPRIEVED: &str = "REPRIEVED: ERROR EXIT\nCONTINUED AFTER THE ERR\nREPRIEVED: ABORT\n";

#[test]
fn a_reprieve_handler_runs_for_an_error_and_an_abort_and_the_program_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let program = assemble(dir.path(), "reprieve");
    let whole = dir.path().join("whole.json");
    let out = run(
        dir.path(),
        &["--stats-json", whole.to_str().unwrap()],
        &program,
        &[],
    );
    // Without the reprieve the ERR would end the job with SIGILL.
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), REPRIEVED);
    let whole = stats(dir.path(), "whole.json");
    let cycles = whole["cycles"].as_u64().unwrap();
    // Stopped and restarted anywhere (before, inside or after the handler), the job
    // ends as it does straight through: the reprieve is part of the image.
    for eighth in 1..8 {
        let image = dir.path().join(format!("at{eighth}.chk"));
        let stop = (cycles * eighth / 8).to_string();
        let first = run(
            dir.path(),
            &["--stop-at", &stop, "--checkpoint", image.to_str().unwrap()],
            &program,
            &[],
        );
        assert!(image.exists(), "{}", text(&first.stderr));
        let (out, restarted) = restart(dir.path(), &image);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        // The runner's own line about the stop is not the job's output.
        let before: String = text(&first.stderr)
            .lines()
            .filter(|line| !line.starts_with("cray: --stop-at"))
            .map(|line| format!("{line}\n"))
            .collect();
        let both = before + &text(&out.stderr);
        assert_eq!(both, REPRIEVED, "stopped at {stop}");
        assert_eq!(
            restarted["state_hash"], whole["state_hash"],
            "stopped at {stop}"
        );
    }
}

/// How far each corpus binary gets with no datasets: the exit code and a piece of
/// its stderr (the table of docs/src/cos-binaries.md). None may stop with the
/// library's `SL042 - ... IS A DSN ALREADY IN USE`, which our LFT layout once caused.
const CORPUS: &[(&str, i32, &str)] = &[
    ("acctdef.bin", 0, "UT010 - STOP          in ACCTDEF"),
    ("acctdef.ds", 0, "UT010 - STOP          in ACCTDEF"),
    // F$PDM shows it the empty catalogue of a system with no store.
    ("audit.bin", 0, "AU003 - NO DATASETS SELECTED"),
    // Reads no catalogue page and ends; its end closes the `$PDS` it began.
    ("dmp10.bin", 0, "DMP10.\n"),
    ("jcsdef.bin", 1, "JC001 - **** ERROR ****"),
    ("loadcat.bin", 0, "UT010 - STOP          in DIRECT"),
    // Aborts without a message of its own after reading an empty $PDS.
    ("pld10.bin", 1, "PLD10.\n"),
    // Reads block 0 of its empty `$USER` by block number, finds no directives on
    // `$IN` and ends quietly.
    ("prvdef.bin", 0, ""),
    // Past F$PDM's catalogue accesses and F$DTT, to its normal end, quietly.
    ("reload.bin", 0, ""),
];

#[test]
fn every_corpus_binary_runs_to_its_end_or_an_unserved_request() {
    let mut seen = 0;
    for path in isa_tests::corpus_files("cos", &[".bin", "acctdef.ds"]) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        seen += 1;
        // A root of its own: what one binary writes must not feed another.
        let dir = tempfile::tempdir().unwrap();
        let out = run(dir.path(), &["--max-cycles", "50000000"], &path, &[]);
        let stderr = text(&out.stderr);
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(!stderr.contains("SL042"), "{name}: {stderr}");
        let &(_, code, note) = CORPUS
            .iter()
            .find(|(n, _, _)| *n == name)
            .unwrap_or_else(|| panic!("{name} is not in the table: {stderr}"));
        assert_eq!(out.status.code(), Some(code), "{name}: {stderr}");
        assert!(stderr.contains(note), "{name}: {stderr}");
        if name == "prvdef.bin" || name == "reload.bin" {
            assert_eq!(stderr, "", "{name} ends quietly");
        }
        if name == "dmp10.bin" {
            assert_eq!(stderr, note, "{name}: `$PDS` is kept");
            assert!(
                text(&out.stdout).contains("0 DATASETS SELECTED FOR DUMPING"),
                "{name}: its `$OUT`, written at its end"
            );
        }
        if name == "pld10.bin" {
            assert_eq!(stderr, note, "nothing after its banner");
        }
    }
    assert_eq!(seen, CORPUS.len());
}
