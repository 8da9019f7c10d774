//! A restored job continues exactly as if it had never stopped: for every program in
//! images/ and for generated programs, checkpointing after N clock periods and
//! restarting gives the output, clock periods and state hash of an uninterrupted run.

use cray_emulator::system::{Config, Console, ExitStatus, HostRoot};
use cray_emulator::System;
use proptest::prelude::*;
use std::path::Path;

mod jobs;
use jobs::{checkpoint_and_restore, program, run_until};

/// The time of day the runs start at, as `--epoch` (images/abi/memtime.cal checks it).
const EPOCH: u64 = 3_000_000;

/// What the image programs expect in their root: a directory `d`
/// (images/abi/edges.cal opens it) and the a.out `argecho` (images/abi/exece.cal
/// executes it).
fn prepare_root(root: &Path) {
    let _ = std::fs::create_dir(root.join("d"));
    let argecho: Vec<u8> = program("abi/argecho.cal")
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect();
    std::fs::write(root.join("argecho"), argecho).unwrap();
}

fn system(root: &Path, words: &[u64], input: &[u8]) -> System {
    prepare_root(root);
    let config = Config {
        epoch: EPOCH,
        ..Config::default()
    };
    let mut system = System::new(config, HostRoot::new(root), Console::captured());
    system
        .load_words("prog", words, &["prog".to_string()], &[])
        .expect("program loads");
    system.provide_input(input);
    system.end_input();
    system
}

struct Finished {
    status: ExitStatus,
    cycles: u64,
    hash: u64,
    stdout: Vec<u8>,
}

fn straight_run(words: &[u64], input: &[u8]) -> Finished {
    let dir = tempfile::tempdir().unwrap();
    let mut system = system(dir.path(), words, input);
    let status = run_until(&mut system, None).expect("finishes");
    Finished {
        status,
        cycles: system.clock,
        hash: system.state_hash(),
        stdout: system.console().captured_stdout().to_vec(),
    }
}

/// Runs N clock periods, checkpoints the job, restores it into a fresh system and runs
/// it to the end.
fn interrupted_run(words: &[u64], input: &[u8], n: u64) -> Finished {
    let dir = tempfile::tempdir().unwrap();
    let mut first = system(dir.path(), words, input);
    if let Some(status) = run_until(&mut first, Some(n)) {
        // Ended before N: nothing to checkpoint.
        return Finished {
            status,
            cycles: first.clock,
            hash: first.state_hash(),
            stdout: first.console().captured_stdout().to_vec(),
        };
    }
    let image = dir.path().join("job.chk");
    let mut stdout = first.console().captured_stdout().to_vec();
    let mut restored = checkpoint_and_restore(&mut first, dir.path(), &image);
    drop(first);
    let status = run_until(&mut restored, None).expect("finishes");
    stdout.extend_from_slice(restored.console().captured_stdout());
    Finished {
        status,
        cycles: restored.clock,
        hash: restored.state_hash(),
        stdout,
    }
}

fn check_program(name: &str, input: &[u8], points: usize) {
    let words = program(name);
    let straight = straight_run(&words, input);
    assert!(straight.cycles > 0);
    for index in 1..=points {
        let n = straight.cycles * index as u64 / (points as u64 + 1);
        let resumed = interrupted_run(&words, input, n);
        assert_eq!(
            resumed.stdout, straight.stdout,
            "{name}: output after a checkpoint at {n}"
        );
        assert_eq!(
            resumed.cycles, straight.cycles,
            "{name}: cycles after a checkpoint at {n}"
        );
        assert_eq!(
            resumed.hash, straight.hash,
            "{name}: state hash after a checkpoint at {n}"
        );
        assert_eq!(
            resumed.status, straight.status,
            "{name}: status after a checkpoint at {n}"
        );
    }
}

#[test]
fn cat_resumes_exactly() {
    check_program("cat.cal", b"one line\nand another one\n", 12);
}

#[test]
fn wc_resumes_exactly() {
    let text = "the quick brown fox\njumps over\n\tthe lazy dog\n".repeat(40);
    check_program("wc.cal", text.as_bytes(), 16);
}

#[test]
fn fork_and_wait_resume_exactly() {
    check_program("forkwait.cal", b"", 16);
}

#[test]
fn a_pipeline_checkpointed_mid_stream_resumes_exactly() {
    check_program("pipeline.cal", b"", 24);
}

#[test]
fn the_vector_kernel_resumes_exactly() {
    check_program("daxpy.cal", b"", 6);
}

/// The self-checking ABI programs (images/abi), written against INTERFACE.md alone:
/// fork, wait and exit; files and their offsets; signal handlers, kill and alarms;
/// pipes under load; descriptor and process limits; brk and time; exece.
#[test]
fn the_abi_programs_resume_exactly() {
    for name in [
        "procs", "files", "signals", "pipes", "edges", "limits", "memtime",
    ] {
        let name = format!("abi/{name}.cal");
        let straight = straight_run(&program(&name), b"");
        let printed = String::from_utf8_lossy(&straight.stdout);
        assert!(
            printed.starts_with("ok ") && !printed.contains("FAIL"),
            "{name} does not pass on its own:\n{printed}"
        );
        check_program(&name, b"", 20);
    }
}

#[test]
fn every_clock_period_of_a_short_program_is_a_safe_checkpoint() {
    let words = program("forkwait.cal");
    let straight = straight_run(&words, b"");
    for n in 0..straight.cycles {
        let resumed = interrupted_run(&words, b"", n);
        assert_eq!(resumed.hash, straight.hash, "checkpoint at {n}");
        assert_eq!(resumed.stdout, straight.stdout, "checkpoint at {n}");
    }
}

/// One-parcel register instructions that neither jump nor call the system nor touch
/// memory: any sequence of them runs straight through.
fn register_instruction() -> impl Strategy<Value = u16> {
    let opcodes: Vec<u16> = vec![
        0o030, 0o031, 0o032, 0o042, 0o043, 0o044, 0o045, 0o046, 0o047, 0o050, 0o051, 0o052, 0o053,
        0o054, 0o055, 0o056, 0o057, 0o060, 0o061, 0o062, 0o063, 0o064, 0o065, 0o066, 0o067, 0o074,
        0o075, 0o076, 0o077, 0o140, 0o141, 0o143, 0o145, 0o147, 0o150, 0o151, 0o154, 0o155, 0o157,
        0o160, 0o161, 0o165, 0o170, 0o171, 0o173,
    ];
    (prop::sample::select(opcodes), 0u16..0o1000).prop_map(|(gh, ijk)| (gh << 9) | ijk)
}

/// A program: VL 64, the generated instructions, then exit(0) with S1 = 0 as argument
/// list address (word 0 holds the first parcels, whose value is the status).
fn generated_program(body: &[u16]) -> Vec<u64> {
    let mut parcels = vec![0o022100, 0o002001]; // A1 0 ; VL A1 (64)
    parcels.extend_from_slice(body);
    // S1 <address of EXITS> ; S0 1 ; EX
    let exit_word = (parcels.len() as u64 + 7).div_ceil(4) + 1;
    parcels.extend_from_slice(&[0o040100, exit_word as u16, 0o040000, 1, 0o004000]);
    while parcels.len() % 4 != 0 {
        parcels.push(0o001000);
    }
    let mut text: Vec<u64> = parcels
        .chunks(4)
        .map(|c| c.iter().fold(0u64, |w, &p| (w << 16) | u64::from(p)))
        .collect();
    while (text.len() as u64) < exit_word {
        text.push(0);
    }
    text.push(0); // the exit status
    cray_emulator::aout::AOut {
        text,
        data: vec![],
        bss_words: 0,
        symbols: vec![],
        entry_parcel: 0,
    }
    .to_words()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn generated_programs_resume_exactly(
        body in prop::collection::vec(register_instruction(), 1..200),
        cut in 0.0f64..1.0,
    ) {
        let words = generated_program(&body);
        let straight = straight_run(&words, b"");
        let n = (straight.cycles as f64 * cut) as u64;
        let resumed = interrupted_run(&words, b"", n);
        prop_assert_eq!(resumed.cycles, straight.cycles);
        prop_assert_eq!(resumed.hash, straight.hash);
        prop_assert_eq!(resumed.status, straight.status);
    }
}
