//! Speed on compiled programs, with the timing model off and on, in emulated
//! instructions per second (`compiled/...`):
//! - LISPF4 (the InterLisp interpreter in FORTRAN 77, compiled for COS) loading its
//!   LISPINI system, and running the corpus's small Lisp test (recursive FACT and FIB:
//!   call-heavy). These are read from the corpus (`$CRAY_CORPUS`, else
//!   `../shared/corpus` above the workspace), never copied into this repository;
//!   without it they are skipped, saying so.
//! - `linsolve` (a LINPACK-like 100 × 100 FORTRAN solve) and `wordfreq` (an ACK C
//!   program: hashing, quicksort, sieve), built into `benches/programs/` by its
//!   `build.sh` and committed there, so they always run.
//!
//! Each run starts a fresh COS job in a temporary root holding the datasets and stops
//! after a fixed budget of clock periods.
use cray_emulator::cos::jcb::statement_for;
use cray_emulator::cos::job::Backing;
use cray_emulator::isa::Model;
use cray_emulator::system::{Config, Console, Event, HostRoot, Pid};
use cray_emulator::System;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The corpus's compiled programs, if the corpus is there.
fn compiled_dir() -> Option<PathBuf> {
    let corpus = match std::env::var_os("CRAY_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
    };
    let dir = corpus.join("compiled");
    dir.join("lispf4.abs").is_file().then_some(dir)
}

/// Where a benchmarked program's files are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Home {
    /// The corpus's `compiled/` directory (optional).
    Corpus,
    /// `benches/programs/` in this repository.
    Programs,
}

/// One benchmarked job: the program, its datasets (COS name, file beside the program)
/// and the clock periods it runs for with the timing model on and off.
struct Job {
    name: &'static str,
    home: Home,
    program: &'static str,
    datasets: &'static [(&'static str, &'static str)],
    budget_timed: u64,
    budget_untimed: u64,
}

const JOBS: [Job; 4] = [
    Job {
        name: "linsolve",
        home: Home::Programs,
        program: "linsolve.abs",
        datasets: &[],
        budget_timed: 60_000_000,
        budget_untimed: 20_000_000,
    },
    Job {
        name: "wordfreq",
        home: Home::Programs,
        program: "wordfreq.abs",
        datasets: &[],
        budget_timed: 60_000_000,
        budget_untimed: 20_000_000,
    },
    Job {
        name: "lispf4_lispini",
        home: Home::Corpus,
        program: "lispf4.abs",
        datasets: &[("LISPSYS", "LISPSYS"), ("$IN", "LISPINI")],
        budget_timed: 80_000_000,
        budget_untimed: 40_000_000,
    },
    Job {
        name: "lispf4_fact_fib",
        home: Home::Corpus,
        program: "lispf4.abs",
        datasets: &[("LISPSYS", "LISPSYS"), ("$IN", "lisp_test.lsp")],
        budget_timed: 80_000_000,
        budget_untimed: 30_000_000,
    },
];

/// A fresh system in `root` with `job`'s program (`words`) loaded as a COS job reading
/// its datasets.
fn start(root: &Path, words: &[u64], job: &Job, timing: bool) -> (System, Pid) {
    let config = Config {
        model: Model::XMp,
        timing,
        ..Config::default()
    };
    let mut system = System::new(config, HostRoot::new(root), Console::captured());
    let datasets: BTreeMap<String, Backing> = job
        .datasets
        .iter()
        .map(|(name, file)| {
            let backing = Backing::File {
                path: (*file).to_string(),
                text: false,
            };
            ((*name).to_string(), backing)
        })
        .collect();
    let name = job.program.trim_end_matches(".abs");
    let pid = system
        .load_cos_words(name, words, &statement_for(name, &[]), datasets)
        .expect("the program loads");
    (system, pid)
}

/// Runs the job `pid` of `system` for `budget` clock periods; returns the
/// instructions it issued.
fn run((system, pid): &mut (System, Pid), budget: u64) -> u64 {
    let event = system.run(budget);
    assert!(
        matches!(event, Event::BudgetExhausted | Event::Exited { .. }),
        "{event:?}"
    );
    system
        .process(*pid)
        .map_or(0, |process| process.cpu.instructions)
}

/// The directory holding `home`'s programs, if it is there.
fn home_dir(home: Home) -> Option<PathBuf> {
    match home {
        Home::Corpus => compiled_dir(),
        Home::Programs => Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("programs")),
    }
}

/// The words of the COS absolute binary `path` (big-endian 64-bit words).
fn read_words(path: &Path) -> Vec<u64> {
    std::fs::read(path)
        .unwrap_or_else(|error| panic!("{} reads: {error}", path.display()))
        .chunks_exact(8)
        .map(|chunk| u64::from_be_bytes(chunk.try_into().unwrap_or([0; 8])))
        .collect()
}

fn compiled(c: &mut Criterion) {
    if compiled_dir().is_none() {
        eprintln!(
            "compiled: no corpus (set CRAY_CORPUS to the directory holding compiled/): \
             the LISPF4 jobs are skipped"
        );
    }
    let root = tempfile::tempdir().expect("a temporary root");
    let mut group = c.benchmark_group("compiled");
    group.sample_size(10);
    for job in &JOBS {
        let Some(dir) = home_dir(job.home) else {
            continue;
        };
        let words = read_words(&dir.join(job.program));
        for (_, file) in job.datasets {
            std::fs::copy(dir.join(file), root.path().join(file)).expect("dataset copies");
        }
        for (timing, on, budget) in [
            ("off", false, job.budget_untimed),
            ("approx", true, job.budget_timed),
        ] {
            let instructions = run(&mut start(root.path(), &words, job, on), budget);
            group.throughput(Throughput::Elements(instructions));
            group.bench_function(format!("{}/{timing}", job.name), |b| {
                b.iter_batched(
                    || start(root.path(), &words, job, on),
                    |mut job| run(&mut job, budget),
                    BatchSize::PerIteration,
                )
            });
        }
    }
    group.finish();
}

criterion_group!(benches, compiled);
criterion_main!(benches);
