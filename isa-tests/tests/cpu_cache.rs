//! The decoded-instruction cache never runs stale code: stores by the CPU (scalar,
//! block, vector, scatter), writes by the system between runs, and changes of the
//! instruction base are all seen. Snapshot equality ignores the cache.
use cray_emulator::cpu::{Flags, Stop};
use isa_tests::machine::{jump, with_jkm, Machine, EX};

const PASS: u16 = 0o001000;

fn normal_exit(at: u32) -> Stop {
    Stop::Exchange {
        flags: Flags(Flags::NORMAL_EXIT),
        at,
    }
}

/// Word holding `A1 value` (022) followed by EX.
fn a1_then_ex(value: u16) -> u64 {
    (u64::from(0o022100 | value) << 48) | (u64::from(EX) << 32)
}

/// Puts the word to store in place.
type Setup = fn(&mut Machine);

fn run_from(m: &mut Machine, p: u32) -> Stop {
    m.cpu.p = p;
    let until = m.cpu.cycles + 1000;
    m.cpu.run(&mut m.memory, until)
}

#[test]
fn store_into_the_second_parcel_of_a_straddling_instruction() {
    let mut m = Machine::xmp();
    // Parcels 3-4: A1 5 (020, straddling words 0 and 1); parcel 5: EX.
    let mut program = vec![PASS, PASS, PASS];
    program.extend(with_jkm(0o020100, 5));
    program.extend([EX, PASS, PASS]);
    // Word 2: 1, S1 (store over word 1); J 3.
    program.extend(with_jkm(0o130100, 1));
    program.extend(jump(0o006, 3));
    m.load(&program);
    assert_eq!(run_from(&mut m, 0), normal_exit(5));
    assert_eq!(m.cpu.a[1], 5);
    // New word 1: parcel a (the constant) = 7, parcel b = EX.
    m.cpu.s[1] = (7 << 48) | (u64::from(EX) << 32);
    assert_eq!(run_from(&mut m, 8), normal_exit(5));
    assert_eq!(m.cpu.a[1], 7, "the new second parcel was used");
}

#[test]
fn vector_block_and_scatter_stores_into_code() {
    // Word 3 starts as EX; each store replaces it with A1 n; EX.
    let stores: [(&str, u16, Setup); 3] = [
        ("vector store", 0o177010, |m| m.cpu.v[1][0] = a1_then_ex(1)),
        ("block store", 0o037500, |m| m.cpu.t[0] = a1_then_ex(1)),
        ("scatter", 0o177012, |m| {
            m.cpu.v[1][0] = a1_then_ex(1);
            m.cpu.v[2][0] = 0;
        }),
    ];
    for (name, store, setup) in stores {
        let mut m = Machine::xmp();
        let mut program = vec![store];
        program.extend(jump(0o006, 12));
        program.extend([PASS; 9]);
        program.push(EX); // parcel 12 = word 3
        m.load(&program);
        assert_eq!(
            run_from(&mut m, 12),
            normal_exit(12),
            "{name}: warm the cache"
        );
        m.cpu.vl = 1;
        m.cpu.a[0] = 3;
        m.cpu.a[5] = 1;
        setup(&mut m);
        assert_eq!(run_from(&mut m, 0), normal_exit(13), "{name}");
        assert_eq!(m.cpu.a[1], 1, "{name}");
    }
}

#[test]
fn changing_the_instruction_base_redecodes() {
    let mut m = Machine::xmp();
    m.set_word(0, a1_then_ex(1));
    m.set_word(0o10, a1_then_ex(2));
    assert_eq!(run_from(&mut m, 0), normal_exit(1));
    assert_eq!(m.cpu.a[1], 1);
    m.cpu.instruction_base = 0o10;
    assert_eq!(run_from(&mut m, 0), normal_exit(1));
    assert_eq!(m.cpu.a[1], 2);
}

#[test]
fn a_different_memory_is_seen() {
    let mut m = Machine::xmp();
    m.set_word(0, a1_then_ex(1));
    assert_eq!(run_from(&mut m, 0), normal_exit(1));
    let mut other = Machine::xmp();
    other.set_word(0, a1_then_ex(3));
    m.memory = other.memory.clone();
    assert_eq!(run_from(&mut m, 0), normal_exit(1));
    assert_eq!(m.cpu.a[1], 3);
}

#[test]
fn snapshots_ignore_the_cache() {
    let mut m = Machine::xmp();
    m.set_word(0, a1_then_ex(1));
    let fresh = m.cpu.clone();
    run_from(&mut m, 0);
    let mut ran = m.cpu.clone();
    assert_ne!(ran, fresh);
    ran.a = fresh.a;
    ran.p = fresh.p;
    ran.cycles = fresh.cycles;
    ran.instructions = fresh.instructions;
    ran.flags = fresh.flags;
    assert_eq!(ran, fresh, "only architectural state differs");
}

/// Word of parcels `first`, EX, PASS, PASS.
fn then_ex(first: u16) -> u64 {
    (u64::from(first) << 48) | (u64::from(EX) << 32) | (u64::from(PASS) << 16) | u64::from(PASS)
}

/// Runs `program` from P = 0 with `S1` = `new_word` (the word it stores over its own
/// code), with the timing model on and off, by one run and by steps; returns the final
/// CPU of each way after checking that they all end at `ends` and that a run and steps
/// leave the same state.
fn run_self_modifying(program: &[u16], new_word: u64, ends: Stop) -> Vec<Machine> {
    let mut finished = Vec::new();
    for timing in [true, false] {
        let mut by_run = Machine::xmp();
        by_run.cpu.set_timing(timing);
        by_run.load(program);
        by_run.cpu.s[1] = new_word;
        by_run.cpu.a[2] = 3;
        let mut by_steps = Machine {
            cpu: by_run.cpu.clone(),
            memory: by_run.memory.clone(),
        };
        assert_eq!(run_from(&mut by_run, 0), ends, "timing {timing}: run");
        let stop = (0..100)
            .find_map(|_| by_steps.cpu.step(&mut by_steps.memory))
            .expect("the program ends");
        assert_eq!(stop, ends, "timing {timing}: steps");
        assert_eq!(by_run.cpu, by_steps.cpu, "timing {timing}: run = steps");
        assert_eq!(by_run.memory.words(), by_steps.memory.words());
        finished.push(by_run);
    }
    finished
}

#[test]
fn an_instruction_overwritten_after_it_ran_runs_as_the_new_one() {
    // Word 0: A1 A1+A2, PASS x3 (run once, then overwritten by S1: A4 A4+A2; EX).
    // Word 1: 0,S1 (store over word 0); J 0.
    let mut program = vec![0o030112, PASS, PASS, PASS];
    program.extend(with_jkm(0o130100, 0));
    program.extend(jump(0o006, 0));
    for m in run_self_modifying(&program, then_ex(0o030442), normal_exit(1)) {
        assert_eq!(m.cpu.a[1], 3, "the old instruction ran once");
        assert_eq!(m.cpu.a[4], 3, "the new one ran after the jump back");
    }
}

#[test]
fn a_store_into_the_rest_of_the_straight_run_being_issued_is_seen() {
    // Word 0: 1,S1 (store over word 1); PASS, PASS. Word 1: A1 A1+A2; EX (already
    // decoded with the run that stores over it), replaced by A4 A4+A2; EX.
    let mut program = with_jkm(0o130100, 1).to_vec();
    program.extend([PASS, PASS, 0o030112, EX]);
    for m in run_self_modifying(&program, then_ex(0o030442), normal_exit(5)) {
        assert_eq!(m.cpu.a[1], 0, "the old instruction never ran");
        assert_eq!(m.cpu.a[4], 3, "the new one ran");
    }
    // The same after the straight run has been issued once before (warm blocks).
    let mut m = Machine::xmp();
    m.load(&program);
    m.cpu.s[1] = m.word(1);
    m.cpu.a[2] = 3;
    assert_eq!(run_from(&mut m, 0), normal_exit(5));
    assert_eq!(m.cpu.a[1], 3);
    m.cpu.s[1] = then_ex(0o030442);
    assert_eq!(run_from(&mut m, 0), normal_exit(5));
    assert_eq!((m.cpu.a[1], m.cpu.a[4]), (3, 3), "the new one ran");
}

#[test]
fn writes_between_runs_logged_by_the_memory_are_seen() {
    // The memory logs the words written through `write` and `words_mut_in` since the
    // CPU last ran, and the CPU keeps the rest of its decoded code: a write into data
    // keeps it, a write into code (one word, or a range) is seen, with the timing
    // model on and off.
    for timing in [true, false] {
        let mut m = Machine::xmp();
        m.cpu.set_timing(timing);
        m.set_word(0, a1_then_ex(1));
        m.set_word(4, a1_then_ex(4));
        assert_eq!(run_from(&mut m, 0), normal_exit(1), "timing {timing}");
        assert!(m.memory.write(0o4000, 9), "a write into data");
        assert_eq!(run_from(&mut m, 0), normal_exit(1));
        assert_eq!(m.cpu.a[1], 1, "timing {timing}: the code did not change");
        assert!(m.memory.write(0, a1_then_ex(2)), "a write into code");
        assert_eq!(run_from(&mut m, 0), normal_exit(1));
        assert_eq!(m.cpu.a[1], 2, "timing {timing}: the word written");
        assert_eq!(run_from(&mut m, 16), normal_exit(17));
        assert_eq!(m.cpu.a[1], 4, "timing {timing}");
        let words = m.memory.words_mut_in(3..5).expect("inside memory");
        words.copy_from_slice(&[0, a1_then_ex(5)]);
        assert_eq!(run_from(&mut m, 16), normal_exit(17));
        assert_eq!(m.cpu.a[1], 5, "timing {timing}: a range written");
    }
}
