//! Control instructions (000..017): exits, jumps, mode instructions, monitor-only
//! instructions, semaphores, undefined opcodes, program range, the cycle budget.
use cray_emulator::cpu::{Flags, Stop};
use cray_emulator::isa::Model;
use isa_tests::machine::{jump, run, Machine, EX};

const PASS: u16 = 0o001000;

fn exchange(flag: u16, at: u32) -> Stop {
    Stop::Exchange {
        flags: Flags(flag),
        at,
    }
}

#[test]
fn err_is_an_error_exit_past_itself() {
    for parcel in [0o000000, 0o000123] {
        let mut m = Machine::xmp();
        assert_eq!(m.stop_of(&[PASS, parcel]), exchange(Flags::ERROR_EXIT, 1));
        assert_eq!(m.cpu.p, 2);
        assert!(m.cpu.flags.has(Flags::ERROR_EXIT));
        assert_eq!(m.cpu.instructions, 2);
    }
}

#[test]
fn ex_is_a_normal_exit_past_itself() {
    let mut m = Machine::xmp();
    assert_eq!(
        m.stop_of(&[PASS, 0o004123]),
        exchange(Flags::NORMAL_EXIT, 1)
    );
    assert_eq!(m.cpu.p, 2);
    assert!(m.cpu.flags.has(Flags::NORMAL_EXIT));
    assert_eq!(m.cpu.cycles, 2);
}

#[test]
fn pass_and_cmr_change_nothing_but_p() {
    let m = run(&[PASS, 0o002700], |_| {});
    let fresh = Machine::xmp();
    assert_eq!(m.cpu.a, fresh.cpu.a);
    assert_eq!(m.cpu.s, fresh.cpu.s);
    assert_eq!(m.cpu.p, 3);
}

#[test]
fn monitor_instructions_are_no_ops_in_user_mode() {
    let program = [
        0o001012, 0o001112, 0o001210, 0o001211, 0o001310, 0o001410, 0o001411, 0o001402, 0o001423,
        0o001434, 0o001405, 0o001406, 0o001407,
    ];
    let m = run(&program, |m| {
        m.cpu.a[1] = 0o1234;
        m.cpu.s[1] = 1000;
        m.cpu.s[3] = 5;
        m.cpu.flags.set(Flags::INTERPROCESSOR);
    });
    assert_eq!(m.cpu.exchange_address, 0);
    assert_eq!(m.cpu.shared.cluster, 0);
    assert_eq!(m.cpu.clock_interval, 0);
    assert!(!m.cpu.modes.clock_interrupts);
    assert!(m.cpu.flags.has(Flags::INTERPROCESSOR));
    assert_eq!(m.cpu.real_time_clock(), m.cpu.cycles);
}

#[test]
fn monitor_instructions_act_in_monitor_mode() {
    // XA A1; CLN 2; PCI S3; ECI; CIPI; channel instructions (no channels: no-ops).
    let m = run(
        &[
            0o001310, 0o001423, 0o001434, 0o001406, 0o001402, 0o001012, 0o001401,
        ],
        |m| {
            m.cpu.modes.monitor = true;
            m.cpu.a[1] = 0o17760;
            m.cpu.s[3] = 0x1_0000_0005;
            m.cpu.flags.set(Flags::INTERPROCESSOR);
        },
    );
    assert_eq!(m.cpu.exchange_address, 0o377, "(A1 >> 4) & 0o377");
    assert_eq!(m.cpu.shared.cluster, 2);
    assert_eq!(m.cpu.clock_interval, 5, "low 32 bits of S3");
    assert!(m.cpu.modes.clock_interrupts);
    assert!(!m.cpu.flags.has(Flags::INTERPROCESSOR));
    // DCI, CCI.
    let m = run(&[0o001407, 0o001405], |m| {
        m.cpu.modes.monitor = true;
        m.cpu.modes.clock_interrupts = true;
        m.cpu.flags.set(Flags::PROGRAMMABLE_CLOCK);
    });
    assert!(!m.cpu.modes.clock_interrupts);
    assert!(!m.cpu.flags.has(Flags::PROGRAMMABLE_CLOCK));
}

#[test]
fn real_time_clock_is_set_and_read() {
    // RT S1 (monitor), S2 RT.
    let m = run(&[0o001410, 0o072200], |m| {
        m.cpu.modes.monitor = true;
        m.cpu.s[1] = 1000;
        m.cpu.cycles = 77;
    });
    assert_eq!(m.cpu.s[2], 1001);
    // User mode reads the cycle count.
    let m = run(&[PASS, PASS, 0o072300], |_| {});
    assert_eq!(m.cpu.s[3], 2);
}

#[test]
fn the_real_time_clock_in_a_straight_run_counts_the_instructions_before_it() {
    // PASS, PASS, RT S1 (monitor), PASS, S2 RT, EX from clock period 77, timing off:
    // RT is set to 1000 at period 79 and read at period 81. By one run and by single
    // steps, which must agree. (The untimed issue loop counts a block's clock periods
    // when it leaves the block; an instruction that reads or sets the clock begins a
    // block of its own so that the count it sees is exact.)
    let program = [PASS, PASS, 0o001410, PASS, 0o072200, EX];
    let setup = |m: &mut Machine| {
        m.cpu.modes.monitor = true;
        m.cpu.s[1] = 1000;
        m.cpu.cycles = 77;
    };
    let mut by_run = Machine::xmp();
    setup(&mut by_run);
    assert_eq!(by_run.stop_of(&program), exchange(Flags::NORMAL_EXIT, 5));
    assert_eq!(by_run.cpu.s[2], 1002);
    let mut by_steps = Machine::xmp();
    setup(&mut by_steps);
    assert_eq!(
        stop_by_steps(&mut by_steps, &program),
        exchange(Flags::NORMAL_EXIT, 5)
    );
    assert_eq!(by_run.cpu, by_steps.cpu);
}

/// Loads `program` into `m` and runs it one instruction at a time to its stop.
fn stop_by_steps(m: &mut Machine, program: &[u16]) -> Stop {
    m.load(program);
    std::iter::from_fn(|| Some(m.cpu.step(&mut m.memory)))
        .find_map(|stop| stop)
        .expect("the program stops")
}

#[test]
fn programmable_clock_interrupts_user_mode() {
    let mut m = Machine::xmp();
    m.cpu.clock_interval = 3;
    m.cpu.clock_countdown = 3;
    m.cpu.modes.clock_interrupts = true;
    let stop = m.stop_of(&[PASS; 10]);
    assert_eq!(stop, exchange(Flags::PROGRAMMABLE_CLOCK, 3));
    assert_eq!(m.cpu.clock_countdown, 3, "reloaded");
    // Disabled: the flag is raised but execution continues.
    let mut m = Machine::xmp();
    m.cpu.clock_interval = 3;
    m.cpu.clock_countdown = 3;
    m.exec(&[PASS; 5]);
    assert!(m.cpu.flags.has(Flags::PROGRAMMABLE_CLOCK));
}

#[test]
fn a_clock_started_in_a_straight_run_counts_from_its_own_instruction() {
    // PCI S3 (monitor mode) with S3 = 10 in the middle of a straight run: the clock
    // counts PCI's own clock period, then one per PASS and one for EX: 10 - 4 = 6.
    // Then the same with timing on, by one run and by single steps, which must agree.
    // (An issue loop that looked at the clock once per block, not after every
    // instruction, would miss PCI's own period or the instructions after it.)
    let program = [PASS, 0o001434, PASS, PASS, EX];
    let setup = |m: &mut Machine| {
        m.cpu.modes.monitor = true;
        m.cpu.s[3] = 10;
    };
    let mut m = Machine::xmp();
    setup(&mut m);
    m.exec(&program[..4]);
    assert_eq!(m.cpu.clock_countdown, 6);
    for timing in [false, true] {
        let mut by_run = Machine::xmp();
        by_run.cpu.set_timing(timing);
        setup(&mut by_run);
        let stop = by_run.stop_of(&program);
        assert_eq!(stop, exchange(Flags::NORMAL_EXIT, 4));
        let mut by_steps = Machine::xmp();
        by_steps.cpu.set_timing(timing);
        setup(&mut by_steps);
        assert_eq!(
            stop_by_steps(&mut by_steps, &program),
            exchange(Flags::NORMAL_EXIT, 4)
        );
        assert_eq!(by_run.cpu, by_steps.cpu, "timing {timing}");
        assert!(
            by_run.cpu.clock_countdown < 10,
            "timing {timing}: the clock counted"
        );
    }
}

#[test]
fn vector_length_keeps_six_bits_and_zero_is_64() {
    for (a3, vl) in [
        (5, 5),
        (0, 64),
        (64, 64),
        (65, 1),
        (63, 63),
        (0xFF_FFFF, 63),
    ] {
        let m = run(&[0o002003, 0o023101], |m| m.cpu.a[3] = a3);
        assert_eq!(m.cpu.vl, vl, "A3 = {a3:o}");
        assert_eq!(m.cpu.a[1], vl);
    }
    let m = run(&[0o002000], |m| m.cpu.vl = 7);
    assert_eq!(m.cpu.vl, 1, "VL 1 (k = 0)");
}

#[test]
fn mode_instructions_set_and_clear_modes() {
    let m = run(&[0o002100, 0o002300, 0o002600], |m| {
        m.cpu.flags.set(Flags::FLOATING_POINT)
    });
    assert!(m.cpu.modes.interrupt_on_float);
    assert!(!m.cpu.flags.has(Flags::FLOATING_POINT), "EFI clears FPE");
    assert!(m.cpu.modes.interrupt_on_range);
    assert!(m.cpu.modes.bidirectional_memory);
    let m = run(&[0o002200, 0o002400, 0o002500], |m| {
        m.cpu.modes.interrupt_on_float = true;
        m.cpu.modes.interrupt_on_range = true;
        m.cpu.modes.bidirectional_memory = true;
    });
    assert!(!m.cpu.modes.interrupt_on_float);
    assert!(!m.cpu.modes.interrupt_on_range);
    assert!(!m.cpu.modes.bidirectional_memory);
}

#[test]
fn vector_mask_from_s() {
    let m = run(&[0o003010], |m| m.cpu.s[1] = 0xDEAD_BEEF);
    assert_eq!(m.cpu.vm, 0xDEAD_BEEF);
    let m = run(&[0o003000], |m| m.cpu.vm = 5);
    assert_eq!(m.cpu.vm, 0, "VM 0 (j = 0)");
}

#[test]
fn semaphores_without_a_cluster_do_nothing() {
    // SM7 1; SM7 1,TS; S1 SM; SM S2; S3 ST2; ST2 S2.
    let m = run(
        &[0o003707, 0o003407, 0o072102, 0o073202, 0o072323, 0o073223],
        |m| {
            m.cpu.s[2] = u64::MAX;
            m.cpu.s[3] = 9;
        },
    );
    assert_eq!(m.cpu.shared.semaphores, 0);
    assert_eq!(m.cpu.s[1], 0);
    assert_eq!(m.cpu.s[3], 0);
    assert_eq!(m.cpu.shared.st, [0; 8]);
}

#[test]
fn semaphores_in_a_cluster() {
    // SM7 1; S1 SM; SM0 1,TS (clear: sets it); SM7 0; S2 SM.
    let m = run(&[0o003707, 0o072102, 0o003400, 0o003607, 0o072202], |m| {
        m.cpu.shared.cluster = 1;
    });
    assert_eq!(m.cpu.s[1], 1 << (63 - 7));
    assert_eq!(m.cpu.s[2], 1 << 63);
    assert_eq!(m.cpu.shared.semaphores, 1 << 31);
    // SM S1 writes bits 2^63..2^32.
    let m = run(&[0o073102], |m| {
        m.cpu.shared.cluster = 3;
        m.cpu.s[1] = 0x8000_0001_FFFF_FFFF;
    });
    assert_eq!(m.cpu.shared.semaphores, 0x8000_0001);
}

#[test]
fn test_and_set_holds_issue_on_a_set_semaphore() {
    let mut m = Machine::xmp();
    m.cpu.shared.cluster = 1;
    m.cpu.shared.semaphores = 1 << (31 - 0o21);
    assert_eq!(m.stop_of(&[PASS, 0o003421, EX]), Stop::SemaphoreWait);
    assert_eq!(m.cpu.p, 1, "P stays on the test-and-set");
    assert_eq!(m.cpu.instructions, 1, "the held instruction did not issue");
    assert_eq!(m.cpu.cycles, 2, "but holding took a clock period");
    assert!(m.cpu.waiting_on_semaphore);
    // Another CPU clears it; the test-and-set then completes.
    m.cpu.shared.semaphores = 0;
    let until = m.cpu.cycles + 10;
    assert_eq!(
        m.cpu.run(&mut m.memory, until),
        exchange(Flags::NORMAL_EXIT, 2)
    );
    assert_eq!(m.cpu.shared.semaphores, 1 << (31 - 0o21));
}

#[test]
fn jump_through_b() {
    // J B17 skips an ERR.
    let m = run(&[0o005017, 0o000000, PASS], |m| m.cpu.b[0o17] = 2);
    assert_eq!(m.cpu.instructions, 3);
}

#[test]
fn jump_and_return_jump() {
    // 0: R 5; 2: J 7; 4: ERR; 5: A1 1(022101); 6: J B00; 7: EX
    let mut program = Vec::new();
    program.extend(jump(0o007, 5));
    program.extend(jump(0o006, 7));
    program.push(0o000000);
    program.push(0o022101);
    program.push(0o005000);
    program.push(EX);
    let mut m = Machine::xmp();
    assert_eq!(m.stop_of(&program), exchange(Flags::NORMAL_EXIT, 7));
    assert_eq!(m.cpu.b[0], 2, "return address is the parcel after R");
    assert_eq!(m.cpu.a[1], 1);
}

#[test]
fn conditional_jumps_take_and_fall_through() {
    // Each case: jump over an ERR when the condition holds.
    let cases: [(u16, bool, u32, u64, bool); 16] = [
        (0o010, true, 0, 0, true),
        (0o010, true, 1, 0, false),
        (0o011, true, 1, 0, true),
        (0o011, true, 0, 0, false),
        (0o012, true, 0x7F_FFFF, 0, true),
        (0o012, true, 0x80_0000, 0, false),
        (0o013, true, 0x80_0000, 0, true),
        (0o013, true, 0, 0, false),
        (0o014, false, 0, 0, true),
        (0o014, false, 0, 1, false),
        (0o015, false, 0, 1 << 40, true),
        (0o015, false, 0, 0, false),
        (0o016, false, 0, 0, true),
        (0o016, false, 0, 1 << 63, false),
        (0o017, false, 0, 1 << 63, true),
        (0o017, false, 0, 5, false),
    ];
    for (gh, _uses_a, a0, s0, taken) in cases {
        let mut program = jump(gh, 3).to_vec();
        program.push(EX);
        program.push(EX);
        let mut m = Machine::xmp();
        m.cpu.a[0] = a0;
        m.cpu.s[0] = s0;
        let stop = m.stop_of(&program);
        let at = if taken { 3 } else { 2 };
        assert_eq!(
            stop,
            exchange(Flags::NORMAL_EXIT, at),
            "{gh:o} A0={a0:o} S0={s0:o}"
        );
    }
}

#[test]
fn jump_targets_use_all_24_bits() {
    let mut m = Machine::xmp();
    m.load(&jump(0o006, 0xFF_FFFF));
    m.cpu.instruction_limit = 1;
    assert_eq!(m.run_budget(10), exchange(Flags::PROGRAM_RANGE, 0xFF_FFFF));
    assert_eq!(m.cpu.p, 0xFF_FFFF);
}

#[test]
fn undefined_opcodes_are_error_exits_at_the_instruction() {
    for parcel in [0o001412u16, 0o002101, 0o176223, 0o174213] {
        let mut m = Machine::xmp();
        assert_eq!(m.stop_of(&[PASS, parcel]), exchange(Flags::ERROR_EXIT, 1));
        assert_eq!(m.cpu.p, 1);
    }
}

#[test]
fn cray1_rejects_xmp_only_instructions() {
    let xmp_only = [
        0o001211u16,
        0o001401,
        0o001402,
        0o001423,
        0o001434,
        0o001405,
        0o001406,
        0o001407,
        0o002500,
        0o002600,
        0o002700,
        0o003407,
        0o003607,
        0o003707,
        0o023101,
        0o026121,
        0o026127,
        0o027127,
        0o072102,
        0o072123,
        0o073101,
        0o073102,
        0o073123,
        0o174212,
        0o175214,
        0o176213,
        0o177123,
    ];
    for parcel in xmp_only {
        let mut m = Machine::new(Model::Cray1);
        assert_eq!(
            m.stop_of(&[parcel]),
            exchange(Flags::ERROR_EXIT, 0),
            "{parcel:06o}"
        );
        let mut m = Machine::xmp();
        m.cpu.modes.monitor = true;
        m.cpu.shared.cluster = 1;
        m.load(&[parcel]);
        assert_eq!(m.cpu.step(&mut m.memory), None, "{parcel:06o} on the X-MP");
    }
    // A Cray-1 instruction runs on the Cray-1.
    let mut m = Machine::new(Model::Cray1);
    m.cpu.a[2] = 3;
    m.exec(&[0o030122]);
    assert_eq!(m.cpu.a[1], 6);
}

#[test]
fn program_range_error_at_the_limit() {
    let mut m = Machine::xmp();
    m.cpu.instruction_limit = 1;
    assert_eq!(m.stop_of(&[PASS; 8]), exchange(Flags::PROGRAM_RANGE, 4));
    assert!(m.cpu.flags.has(Flags::PROGRAM_RANGE));
    assert_eq!(m.cpu.p, 4);
    assert_eq!(m.cpu.instructions, 4);
    // A two-parcel instruction whose second parcel is past the limit.
    let mut m = Machine::xmp();
    m.cpu.instruction_limit = 1;
    let mut program = vec![PASS; 3];
    program.extend(jump(0o006, 0));
    assert_eq!(m.stop_of(&program), exchange(Flags::PROGRAM_RANGE, 3));
    // Beyond memory even though the limit is larger.
    let mut m = Machine::xmp();
    m.cpu.instruction_limit = u32::MAX;
    m.load(&jump(0o006, 0o400000));
    assert_eq!(m.run_budget(5), exchange(Flags::PROGRAM_RANGE, 0o400000));
}

#[test]
fn instruction_base_relocates_fetch() {
    let mut m = Machine::xmp();
    m.set_word(
        0o100,
        (u64::from(0o022105u16) << 48) | (u64::from(EX) << 32),
    );
    m.cpu.instruction_base = 0o100;
    assert_eq!(m.run_budget(10), exchange(Flags::NORMAL_EXIT, 1));
    assert_eq!(m.cpu.a[1], 5);
}

#[test]
fn budget_stops_between_instructions() {
    let mut m = Machine::xmp();
    m.load(&jump(0o006, 0));
    assert_eq!(m.run_budget(100), Stop::Budget);
    assert_eq!(m.cpu.cycles, 100);
    assert_eq!(m.cpu.instructions, 100);
    assert_eq!(m.cpu.p, 0);
}

#[test]
fn self_modifying_code_is_seen() {
    let mut m = Machine::xmp();
    let mut program = vec![0o022101u16, PASS, PASS, PASS]; // word 0: A1 1
    program.extend([0o130100u16, 3, 0o006000, 12]); // word 1: 3, S1 ; J 12
    program.extend([PASS; 4]); // word 2
    program.extend([EX, PASS, PASS, PASS]); // word 3: EX
    m.load(&program);
    // Execute (and cache) the original word 3 first.
    m.cpu.p = 12;
    assert_eq!(
        m.cpu.step(&mut m.memory),
        Some(exchange(Flags::NORMAL_EXIT, 12))
    );
    // The program stores "A1 3; EX" over word 3 and jumps to it.
    m.cpu.s[1] = (u64::from(0o022103u16) << 48) | (u64::from(EX) << 32);
    assert_eq!(m.run_budget(100), exchange(Flags::NORMAL_EXIT, 13));
    assert_eq!(m.cpu.a[1], 3, "the stored instruction executed");
    // The system rewriting memory directly is seen as well.
    m.set_word(3, (u64::from(0o022104u16) << 48) | (u64::from(EX) << 32));
    m.cpu.p = 12;
    let until = m.cpu.cycles + 10;
    assert_eq!(
        m.cpu.run(&mut m.memory, until),
        exchange(Flags::NORMAL_EXIT, 13)
    );
    assert_eq!(m.cpu.a[1], 4);
}
