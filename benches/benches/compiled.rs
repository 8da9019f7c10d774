//! Speed on compiled programs: LISPF4 (the InterLisp interpreter in FORTRAN 77,
//! compiled for COS) loading its LISPINI system, and running the corpus's small Lisp
//! test (recursive FACT and FIB: call-heavy), with the timing model off and on, in
//! emulated instructions per second (`compiled/...`).
//!
//! The programs are read from the corpus (`$CRAY_CORPUS`, else `../shared/corpus`
//! above the workspace), never copied into this repository; without it the benchmarks
//! say so and are skipped. Each run starts a fresh COS job in a temporary root holding
//! the datasets and stops after a fixed budget of clock periods.
use cray_emulator::cos::jcb::statement_for;
use cray_emulator::cos::job::Backing;
use cray_emulator::isa::Model;
use cray_emulator::system::{Config, Console, Event, HostRoot, Pid, System};
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

/// One benchmarked job: the program, its datasets (COS name, corpus file) and the
/// clock periods it runs for with the timing model on and off.
struct Job {
    name: &'static str,
    datasets: &'static [(&'static str, &'static str)],
    budget_timed: u64,
    budget_untimed: u64,
}

const JOBS: [Job; 2] = [
    Job {
        name: "lispf4_lispini",
        datasets: &[("LISPSYS", "LISPSYS"), ("$IN", "LISPINI")],
        budget_timed: 80_000_000,
        budget_untimed: 40_000_000,
    },
    Job {
        name: "lispf4_fact_fib",
        datasets: &[("LISPSYS", "LISPSYS"), ("$IN", "lisp_test.lsp")],
        budget_timed: 80_000_000,
        budget_untimed: 30_000_000,
    },
];

/// A fresh system in `root` with LISPF4 loaded as a COS job reading `job`'s datasets.
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
    let pid = system
        .load_cos_words("lispf4", words, &statement_for("lispf4", &[]), datasets)
        .expect("lispf4.abs loads");
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

fn compiled(c: &mut Criterion) {
    let Some(dir) = compiled_dir() else {
        eprintln!(
            "compiled: no corpus (set CRAY_CORPUS to the directory holding compiled/): skipped"
        );
        return;
    };
    let words: Vec<u64> = std::fs::read(dir.join("lispf4.abs"))
        .expect("lispf4.abs reads")
        .chunks_exact(8)
        .map(|chunk| u64::from_be_bytes(chunk.try_into().unwrap_or([0; 8])))
        .collect();
    let root = tempfile::tempdir().expect("a temporary root");
    for job in &JOBS {
        for (_, file) in job.datasets {
            std::fs::copy(dir.join(file), root.path().join(file)).expect("dataset copies");
        }
    }
    let mut group = c.benchmark_group("compiled");
    group.sample_size(10);
    for job in &JOBS {
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
