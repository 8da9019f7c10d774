//! The compiled programs of `images/compiled` (a C program reading standard input, a
//! FORTRAN 77 program reading and writing named datasets, LISPF4 with its system
//! files): each prints and writes what its host build prints and writes (LISPF4, which
//! has no host build, the answers this test computes itself), and a checkpoint taken
//! at any of three fixed clock periods restarts to exactly the end of the
//! uninterrupted run: output, datasets, clock periods and state hash. So does LISPF4
//! loading its LISPINI system, checkpointed at the same three points of the load.
//! `images/compiled/README.md` says how they were built and why they differ from
//! the host where they do.
mod common;

use common::{cray, text, STOPPED};
use serde_json::Value;
use std::fs::File;
use std::path::PathBuf;
use std::process::{Output, Stdio};

/// `images/compiled/NAME`.
fn compiled(name: &str) -> PathBuf {
    common::image("compiled").join(name)
}

/// How a compiled program is run.
struct Program {
    binary: &'static str,
    /// The file of `images/compiled` its standard input (`$IN`, the terminal) reads;
    /// none: an empty input.
    stdin: Option<&'static str>,
    /// Datasets it reads: NAME and the file of `images/compiled` copied into the root
    /// for it (under the same name).
    reads: &'static [(&'static str, &'static str)],
    /// Datasets it writes: NAME and the host text file it is mapped to.
    writes: &'static [(&'static str, &'static str)],
    /// Options of `cray run` it needs beside those.
    options: &'static [&'static str],
}

const WORDFREQ: Program = Program {
    binary: "wordfreq.abs",
    stdin: Some("wordfreq.in"),
    reads: &[],
    writes: &[],
    options: &[],
};

const GRADES: Program = Program {
    binary: "grades.abs",
    stdin: None,
    reads: &[("SCORES", "grades.in")],
    writes: &[("REPORT", "report.txt"), ("BYMARK", "bymark.txt")],
    options: &[],
};

const LISPF4: Program = Program {
    binary: "lispf4.abs",
    stdin: Some("lisp-demo.lsp"),
    reads: &[("LISPSYS", "LISPSYS")],
    writes: &[],
    options: &[],
};

/// BIGHEAP in a field of 400 000 words (about 3 MiB), room for its megabyte.
const BIGHEAP: Program = Program {
    binary: "bigheap.abs",
    stdin: None,
    reads: &[],
    writes: &[],
    options: &["--mfl", "400000"],
};

/// LISPF4 loading its LISPINI system from `$IN` (1.42 G clock periods), which ends by
/// rolling the whole Lisp state out to the dataset LISPINI.
const LISPF4_LOADING_LISPINI: Program = Program {
    binary: "lispf4.abs",
    stdin: None,
    reads: &[("LISPSYS", "LISPSYS"), ("$IN", "LISPINI")],
    writes: &[("LISPINI", "lispini.img")],
    options: &[],
};

impl Program {
    /// A new open file of its standard input.
    fn input(&self) -> File {
        let path = self.stdin.map_or(PathBuf::from("/dev/null"), compiled);
        File::open(path).unwrap()
    }
}

/// How a run ended: what it printed and wrote, and its `--stats-json` figures.
struct Ended {
    output: Output,
    /// The contents of each dataset of `Program::writes`, in order.
    written: Vec<Vec<u8>>,
    figures: Value,
}

/// A root directory of its own for one run of `program` (a dataset one run writes
/// must not be found by the next).
struct Root {
    dir: tempfile::TempDir,
}

impl Root {
    fn for_program(program: &Program) -> Root {
        let dir = tempfile::tempdir().unwrap();
        for (_, file) in program.reads {
            std::fs::copy(compiled(file), dir.path().join(file)).unwrap();
        }
        std::fs::create_dir(dir.path().join("runtime")).unwrap();
        Root { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `cray COMMAND` in this root with `args`, its standard input `stdin`, and
    /// `--stats-json`; the output and figures.
    fn cray(&self, stdin: &File, command: &str, args: &[&str]) -> (Output, Option<Value>) {
        let json = self.path(&format!("{command}.json"));
        let output = cray()
            .arg(command)
            .arg("--root")
            .arg(self.dir.path())
            .arg("--stats-json")
            .arg(&json)
            .args(args)
            .current_dir(self.dir.path())
            .env("XDG_RUNTIME_DIR", self.path("runtime"))
            .stdin(Stdio::from(stdin.try_clone().unwrap()))
            .output()
            .expect("cray runs");
        let figures = std::fs::read_to_string(&json)
            .ok()
            .map(|json| serde_json::from_str(&json).expect("--stats-json is JSON"));
        (output, figures)
    }

    /// `cray run` options that map `program`'s datasets, then the binary.
    fn run_args(&self, program: &Program) -> Vec<String> {
        let mut args: Vec<String> = program.options.iter().map(|o| o.to_string()).collect();
        for (name, file) in program.reads.iter().chain(program.writes) {
            args.push("--dataset".to_string());
            args.push(format!("{name}={file}"));
        }
        args.push(compiled(program.binary).to_str().unwrap().to_string());
        args
    }

    /// What `program` wrote to its output datasets.
    fn written(&self, program: &Program) -> Vec<Vec<u8>> {
        program
            .writes
            .iter()
            .map(|(name, file)| {
                std::fs::read(self.path(file))
                    .unwrap_or_else(|e| panic!("{}: dataset {name} ({file}): {e}", program.binary))
            })
            .collect()
    }
}

/// `program` run from start to end.
fn uninterrupted(program: &Program) -> Ended {
    let root = Root::for_program(program);
    let stdin = program.input();
    let args = root.run_args(program);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (output, figures) = root.cray(&stdin, "run", &args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}: {}",
        program.binary,
        text(&output.stderr)
    );
    Ended {
        written: root.written(program),
        figures: figures.expect("figures written"),
        output,
    }
}

/// `program` stopped with a checkpoint at clock period `at`, then restarted from
/// the image. Both read one open file as standard input (one offset, as in
/// `{ cray run --stop-at N ...; cray restart ...; } < input`), so what the first took
/// from it and the job had not read is in the image, and the restart reads on.
fn stopped_and_restarted(program: &Program, at: u64) -> Ended {
    let root = Root::for_program(program);
    let stdin = program.input();
    let image = root.path("stopped.chk");
    let at_text = at.to_string();
    let mut args = vec![
        "--stop-at",
        &at_text,
        "--checkpoint",
        image.to_str().unwrap(),
    ];
    let run_args = root.run_args(program);
    args.extend(run_args.iter().map(String::as_str));
    let (first, _) = root.cray(&stdin, "run", &args);
    assert_eq!(
        first.status.code(),
        Some(STOPPED),
        "{} stopped at {at}: {}",
        program.binary,
        text(&first.stderr)
    );
    let (rest, figures) = root.cray(&stdin, "restart", &["-f", image.to_str().unwrap()]);
    assert_eq!(
        rest.status.code(),
        Some(0),
        "{} restarted from {at}: {}",
        program.binary,
        text(&rest.stderr)
    );
    let mut output = rest;
    let mut stdout = first.stdout;
    stdout.append(&mut output.stdout);
    output.stdout = stdout;
    Ended {
        written: root.written(program),
        figures: figures.expect("figures written"),
        output,
    }
}

/// Where the checkpoints are taken, in thousandths of the uninterrupted run's clock
/// periods: three points drawn at random once and fixed here, so that they fall on
/// no boundary the programs or the tests chose.
const STOPS_PER_MILLE: [u64; 3] = [137, 502, 864];

/// Checkpoints `program` at each of `STOPS_PER_MILLE`, restarts it, and checks that
/// it ends exactly as `whole` did.
fn restarts_exactly(program: &Program, whole: &Ended) {
    let total = whole.figures["cycles"].as_u64().unwrap();
    for per_mille in STOPS_PER_MILLE {
        let at = total * per_mille / 1000;
        let again = stopped_and_restarted(program, at);
        let case = format!("{} checkpointed at clock period {at}", program.binary);
        assert_eq!(
            text(&again.output.stdout),
            text(&whole.output.stdout),
            "{case}"
        );
        assert_eq!(again.written, whole.written, "{case}");
        for figure in ["cycles", "instructions", "state_hash", "exit_status"] {
            assert_eq!(
                again.figures[figure], whole.figures[figure],
                "{case}: {figure}"
            );
        }
    }
}

fn host(name: &str) -> String {
    std::fs::read_to_string(compiled(name)).unwrap()
}

#[test]
fn wordfreq_prints_what_its_host_build_prints_and_restarts_exactly() {
    let whole = uninterrupted(&WORDFREQ);
    assert_eq!(text(&whole.output.stdout), host("wordfreq.host.txt"));
    assert!(
        text(&whole.output.stdout).starts_with("7 lines, 74 words, 385 characters"),
        "it read all of its standard input"
    );
    restarts_exactly(&WORDFREQ, &whole);
}

/// An ACK C program keeps its heap and stack between the end of its code and the I/O
/// area of its field. Run by itself that room is 040000 words, and bigheap's malloc
/// runs out before its megabyte (exit status 1); with `--mfl` its field is as large
/// as a deck job's step may have, and it prints what its host build prints, and
/// restarts exactly in that field. `--mfl` is refused where it does not apply.
#[test]
fn bigheap_outgrows_the_default_field_and_fits_with_mfl() {
    let alone = cray()
        .args(["run", compiled("bigheap.abs").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(alone.status.code(), Some(1), "{}", text(&alone.stderr));
    assert_eq!(text(&alone.stdout), "malloc failed after 128128 bytes\n");
    let whole = uninterrupted(&BIGHEAP);
    assert_eq!(text(&whole.output.stdout), host("bigheap.host.txt"));
    restarts_exactly(&BIGHEAP, &whole);
    for (mfl, program, refusal) in [
        (
            "0",
            "bigheap.abs",
            "--mfl 0: a field length is 1 to 16776704 words",
        ),
        (
            "400000",
            "../hello.cal",
            "is a UNICOS program, whose field grows with brk",
        ),
    ] {
        let out = cray()
            .args(["run", "--mfl", mfl, compiled(program).to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains(refusal), "{}", text(&out.stderr));
    }
}

#[test]
fn grades_writes_its_datasets_as_its_host_build_does_and_restarts_exactly() {
    let whole = uninterrupted(&GRADES);
    assert_eq!(text(&whole.output.stdout), host("grades.host.txt"));
    assert_eq!(
        whole.written,
        [
            host("grades.report.host.txt").into_bytes(),
            host("grades.bymark.host.txt").into_bytes()
        ]
    );
    assert!(
        text(&whole.output.stdout).contains("BYMARK read back:  8"),
        "it read back the dataset it wrote"
    );
    restarts_exactly(&GRADES, &whole);
}

/// n!
fn factorial(n: u64) -> u64 {
    (1..=n).product()
}

/// The n-th Fibonacci number (F(0) = 0).
fn fibonacci(n: u32) -> u64 {
    (0..n).fold((0, 1), |(a, b), _| (b, a + b)).0
}

/// The primes below `n`, by trial division.
fn primes_below(n: u64) -> Vec<u64> {
    (2..n).filter(|p| (2..*p).all(|d| p % d != 0)).collect()
}

/// The answers of `lisp-demo.lsp`, computed here, as LISPF4 prints them.
fn lisp_demo_answers() -> Vec<String> {
    let primes = primes_below(61);
    let listed: Vec<String> = primes.iter().map(u64::to_string).collect();
    vec![
        format!(" {}", factorial(10)),
        format!(" {}", fibonacci(15)),
        " (A B C D E F)".to_string(),
        // d/dx (x·x + 3·x), by the rules the demo defines, unsimplified.
        " (PLUS (PLUS (TIMES X 1) (TIMES 1 X)) (PLUS (TIMES 3 1) (TIMES 0 X)))".to_string(),
        format!(" ({})", listed.join(" ")),
        format!(" {}", primes.len()),
        " (THREE TWO ONE)".to_string(),
    ]
}

#[test]
fn lispf4_answers_the_demo_as_lisp_computes_it_and_restarts_exactly() {
    let whole = uninterrupted(&LISPF4);
    let shown = text(&whole.output.stdout);
    // Each answer is the line after its echoed input; the answers in order.
    let lines: Vec<&str> = shown.lines().collect();
    let mut answers = lisp_demo_answers().into_iter();
    let mut next = answers.next();
    for line in &lines {
        if Some(line.to_string()) == next {
            next = answers.next();
        }
    }
    assert_eq!(next, None, "an answer is missing or out of order:\n{shown}");
    // LISPF4 resets once as it starts, and again after each error.
    assert_eq!(shown.matches("--- ").count(), 1, "no Lisp error: {shown}");
    assert!(shown.ends_with(" Bye\n"), "(EXIT) ends it: {shown}");
    assert_eq!(shown, host("lisp-demo.out.txt"));
    restarts_exactly(&LISPF4, &whole);
}

#[test]
fn the_independent_answers_are_right() {
    assert_eq!(factorial(10), 3628800);
    assert_eq!(fibonacci(15), 610);
    assert_eq!(primes_below(61).len(), 17);
}

#[test]
fn lispf4_loads_lispini_restarts_exactly_and_a_later_session_rolls_its_image_in() {
    // LISPINI defines the utility functions (DEFINEQ, MAPCAR, SORT, ...) and ends
    // with a ROLLOUT of the whole Lisp state to the dataset LISPINI.
    let whole = uninterrupted(&LISPF4_LOADING_LISPINI);
    let shown = text(&whole.output.stdout);
    assert!(
        shown.contains("(ROLLOUT (OPEN0 'LISPINI NIL T))"),
        "{shown}"
    );
    assert!(!shown.contains("--- Undefined"), "{shown}");
    let image = &whole.written[0];
    assert!(
        image.len() > 100_000,
        "the rolled-out image: {} bytes",
        image.len()
    );
    // Checkpointed in the middle of the load, the rolled-out image is the same bytes.
    restarts_exactly(&LISPF4_LOADING_LISPINI, &whole);

    let root = Root::for_program(&LISPF4);
    std::fs::write(root.path("lispini.img"), image).unwrap();
    let (rolled_in, _) = root.cray(
        &File::open(compiled("lisp-rollin.lsp")).unwrap(),
        "run",
        &[
            "--dataset",
            "LISPSYS=LISPSYS",
            "--dataset",
            "LISPINI=lispini.img",
            compiled("lispf4.abs").to_str().unwrap(),
        ],
    );
    assert_eq!(
        rolled_in.status.code(),
        Some(0),
        "{}",
        text(&rolled_in.stderr)
    );
    let shown = text(&rolled_in.stdout);
    let squares: Vec<String> = (1..=5u64).map(|x| (x * x).to_string()).collect();
    let mut sorted = ["X-MP", "CRAY-1", "COS", "UNICOS"];
    sorted.sort_unstable();
    for answer in [
        format!(" ({})\n", squares.join(" ")),
        format!(" ({})\n", sorted.join(" ")),
    ] {
        assert!(shown.contains(&answer), "{answer:?} in {shown}");
    }
}
