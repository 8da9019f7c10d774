//! Coverage of the opcode table: every row of FORMS executes (with several fillings
//! of its free fields, on every model that has it) without panicking, every `Op` is
//! named by a test in the cpu_* files, and random programs never panic.
use cray_emulator::cpu::{Cpu, Stop};
use cray_emulator::isa::{decode, form_of, Model, Op, FORMS};
use cray_emulator::memory::Memory;
use proptest::prelude::*;

/// Each operation and the test (file::name) that checks its semantics.
const COVERED: &[(Op, &str)] = &[
    (
        Op::Undefined,
        "cpu_control::undefined_opcodes_are_error_exits_at_the_instruction",
    ),
    (
        Op::ErrorExit,
        "cpu_control::err_is_an_error_exit_past_itself",
    ),
    (Op::Pass, "cpu_control::pass_and_cmr_change_nothing_but_p"),
    (
        Op::ChannelSetAddress,
        "cpu_control::monitor_instructions_are_no_ops_in_user_mode",
    ),
    (
        Op::ChannelSetLimit,
        "cpu_control::monitor_instructions_are_no_ops_in_user_mode",
    ),
    (
        Op::ChannelClear,
        "cpu_control::monitor_instructions_are_no_ops_in_user_mode",
    ),
    (
        Op::ChannelMasterClear,
        "cpu_control::monitor_instructions_are_no_ops_in_user_mode",
    ),
    (
        Op::SetExchangeAddress,
        "cpu_control::monitor_instructions_act_in_monitor_mode",
    ),
    (
        Op::SetRealTimeClock,
        "cpu_control::real_time_clock_is_set_and_read",
    ),
    (
        Op::SetInterprocessorInterrupt,
        "cpu_control::monitor_instructions_act_in_monitor_mode",
    ),
    (
        Op::ClearInterprocessorInterrupt,
        "cpu_control::monitor_instructions_act_in_monitor_mode",
    ),
    (
        Op::SetCluster,
        "cpu_control::monitor_instructions_act_in_monitor_mode",
    ),
    (
        Op::LoadClockInterval,
        "cpu_control::monitor_instructions_act_in_monitor_mode",
    ),
    (
        Op::ClearClockInterrupt,
        "cpu_control::monitor_instructions_act_in_monitor_mode",
    ),
    (
        Op::EnableClockInterrupt,
        "cpu_control::monitor_instructions_act_in_monitor_mode",
    ),
    (
        Op::DisableClockInterrupt,
        "cpu_control::monitor_instructions_act_in_monitor_mode",
    ),
    (
        Op::SetVectorLength,
        "cpu_control::vector_length_keeps_six_bits_and_zero_is_64",
    ),
    (
        Op::EnableFloatInterrupt,
        "cpu_control::mode_instructions_set_and_clear_modes",
    ),
    (
        Op::DisableFloatInterrupt,
        "cpu_control::mode_instructions_set_and_clear_modes",
    ),
    (
        Op::EnableRangeInterrupt,
        "cpu_control::mode_instructions_set_and_clear_modes",
    ),
    (
        Op::DisableRangeInterrupt,
        "cpu_control::mode_instructions_set_and_clear_modes",
    ),
    (
        Op::DisableBidirectional,
        "cpu_control::mode_instructions_set_and_clear_modes",
    ),
    (
        Op::EnableBidirectional,
        "cpu_control::mode_instructions_set_and_clear_modes",
    ),
    (
        Op::CompleteMemoryReferences,
        "cpu_control::pass_and_cmr_change_nothing_but_p",
    ),
    (Op::SetVectorMask, "cpu_control::vector_mask_from_s"),
    (
        Op::SemaphoreTestSet,
        "cpu_control::test_and_set_holds_issue_on_a_set_semaphore",
    ),
    (Op::SemaphoreClear, "cpu_control::semaphores_in_a_cluster"),
    (Op::SemaphoreSet, "cpu_control::semaphores_in_a_cluster"),
    (
        Op::NormalExit,
        "cpu_control::ex_is_a_normal_exit_past_itself",
    ),
    (Op::JumpB, "cpu_control::jump_through_b"),
    (Op::Jump, "cpu_control::jump_and_return_jump"),
    (Op::ReturnJump, "cpu_control::jump_and_return_jump"),
    (
        Op::JumpAZero,
        "cpu_control::conditional_jumps_take_and_fall_through",
    ),
    (
        Op::JumpANonZero,
        "cpu_control::conditional_jumps_take_and_fall_through",
    ),
    (
        Op::JumpAPlus,
        "cpu_control::conditional_jumps_take_and_fall_through",
    ),
    (
        Op::JumpAMinus,
        "cpu_control::conditional_jumps_take_and_fall_through",
    ),
    (
        Op::JumpSZero,
        "cpu_control::conditional_jumps_take_and_fall_through",
    ),
    (
        Op::JumpSNonZero,
        "cpu_control::conditional_jumps_take_and_fall_through",
    ),
    (
        Op::JumpSPlus,
        "cpu_control::conditional_jumps_take_and_fall_through",
    ),
    (
        Op::JumpSMinus,
        "cpu_control::conditional_jumps_take_and_fall_through",
    ),
    (Op::AConstant, "cpu_address::a_constants"),
    (Op::AComplementConstant, "cpu_address::a_constants"),
    (Op::AShortConstant, "cpu_address::a_constants"),
    (
        Op::AFromS,
        "cpu_address::a_from_s_takes_low_24_bits_and_s0_reads_zero",
    ),
    (
        Op::AFromVectorLength,
        "cpu_control::vector_length_keeps_six_bits_and_zero_is_64",
    ),
    (Op::AFromB, "cpu_address::a_b_transfers"),
    (Op::BFromA, "cpu_address::a_b_transfers"),
    (
        Op::APopulation,
        "cpu_address::population_parity_leading_zeros",
    ),
    (Op::AParity, "cpu_address::population_parity_leading_zeros"),
    (Op::AFromSharedB, "cpu_address::shared_b_registers"),
    (
        Op::ALeadingZeros,
        "cpu_address::population_parity_leading_zeros",
    ),
    (Op::SharedBFromA, "cpu_address::shared_b_registers"),
    (Op::AAdd, "cpu_address::address_add_wraps_at_24_bits"),
    (Op::ASubtract, "cpu_address::address_subtract"),
    (
        Op::AMultiply,
        "cpu_address::address_multiply_keeps_low_24_bits",
    ),
    (
        Op::AChannelInterrupt,
        "cpu_address::channel_reads_give_zero",
    ),
    (Op::AChannelAddress, "cpu_address::channel_reads_give_zero"),
    (Op::AChannelError, "cpu_address::channel_reads_give_zero"),
    (
        Op::BlockLoadB,
        "cpu_address::block_b_load_and_store_wrap_registers",
    ),
    (
        Op::BlockStoreB,
        "cpu_address::block_b_load_and_store_wrap_registers",
    ),
    (Op::BlockLoadT, "cpu_address::block_t_load_and_store"),
    (
        Op::BlockStoreT,
        "cpu_address::block_count_uses_low_seven_bits",
    ),
    (Op::SConstant, "cpu_scalar::s_constants"),
    (Op::SComplementConstant, "cpu_scalar::s_constants"),
    (Op::SMaskRight, "cpu_scalar::masks"),
    (Op::SMaskLeft, "cpu_scalar::masks"),
    (
        Op::SAnd,
        "cpu_scalar::logical_operations_and_register_zero_rules",
    ),
    (
        Op::SAndNot,
        "cpu_scalar::logical_operations_and_register_zero_rules",
    ),
    (
        Op::SXor,
        "cpu_scalar::logical_operations_and_register_zero_rules",
    ),
    (
        Op::SEquivalence,
        "cpu_scalar::logical_operations_and_register_zero_rules",
    ),
    (
        Op::SMerge,
        "cpu_scalar::logical_operations_and_register_zero_rules",
    ),
    (
        Op::SOr,
        "cpu_scalar::logical_operations_and_register_zero_rules",
    ),
    (Op::S0ShiftLeft, "cpu_scalar::single_shifts_to_s0_and_si"),
    (Op::S0ShiftRight, "cpu_scalar::single_shifts_to_s0_and_si"),
    (Op::SShiftLeft, "cpu_scalar::single_shifts_to_s0_and_si"),
    (Op::SShiftRight, "cpu_scalar::single_shifts_to_s0_and_si"),
    (Op::SDoubleShiftLeft, "cpu_scalar::double_shifts"),
    (Op::SDoubleShiftRight, "cpu_scalar::double_shifts"),
    (Op::SAdd, "cpu_scalar::integer_add_and_subtract_wrap"),
    (Op::SSubtract, "cpu_scalar::integer_add_and_subtract_wrap"),
    (Op::FloatAdd, "cpu_scalar::floating_add_and_subtract"),
    (Op::FloatSubtract, "cpu_scalar::floating_add_and_subtract"),
    (Op::FloatMultiply, "cpu_scalar::floating_multiply_family"),
    (
        Op::FloatMultiplyHalf,
        "cpu_scalar::floating_multiply_family",
    ),
    (
        Op::FloatMultiplyRounded,
        "cpu_scalar::floating_multiply_family",
    ),
    (
        Op::ReciprocalIteration,
        "cpu_scalar::floating_multiply_family",
    ),
    (
        Op::ReciprocalApproximation,
        "cpu_scalar::reciprocal_approximation",
    ),
    (Op::SFromA, "cpu_scalar::transfers_from_a"),
    (Op::SFromASigned, "cpu_scalar::transfers_from_a"),
    (Op::SFloatFromA, "cpu_scalar::transfers_from_a"),
    (Op::SFloatConstant, "cpu_scalar::floating_constants"),
    (
        Op::SFromRealTimeClock,
        "cpu_control::real_time_clock_is_set_and_read",
    ),
    (Op::SFromSemaphores, "cpu_control::semaphores_in_a_cluster"),
    (Op::SFromSharedT, "cpu_scalar::shared_t_registers"),
    (
        Op::SFromVectorMask,
        "cpu_scalar::vector_mask_and_status_register",
    ),
    (
        Op::SFromStatus,
        "cpu_scalar::vector_mask_and_status_register",
    ),
    (Op::SemaphoresFromS, "cpu_control::semaphores_in_a_cluster"),
    (Op::SharedTFromS, "cpu_scalar::shared_t_registers"),
    (Op::SFromT, "cpu_scalar::t_register_transfers"),
    (Op::TFromS, "cpu_scalar::t_register_transfers"),
    (
        Op::SFromVectorElement,
        "cpu_scalar::vector_elements_to_and_from_s",
    ),
    (
        Op::VectorElementFromS,
        "cpu_scalar::vector_elements_to_and_from_s",
    ),
    (
        Op::LoadA,
        "cpu_memory::scalar_loads_with_index_and_displacement",
    ),
    (Op::StoreA, "cpu_memory::scalar_stores"),
    (
        Op::LoadS,
        "cpu_memory::scalar_loads_with_index_and_displacement",
    ),
    (Op::StoreS, "cpu_memory::scalar_stores"),
    (Op::VAndScalar, "cpu_vector::vector_logicals"),
    (Op::VAnd, "cpu_vector::vector_logicals"),
    (Op::VOrScalar, "cpu_vector::vector_logicals"),
    (Op::VOr, "cpu_vector::vector_logicals"),
    (Op::VXorScalar, "cpu_vector::vector_logicals"),
    (Op::VXor, "cpu_vector::vector_logicals"),
    (Op::VMergeScalar, "cpu_vector::vector_merges_follow_vm"),
    (Op::VMerge, "cpu_vector::vector_merges_follow_vm"),
    (Op::VShiftLeft, "cpu_vector::vector_single_shifts"),
    (Op::VShiftRight, "cpu_vector::vector_single_shifts"),
    (
        Op::VDoubleShiftLeft,
        "cpu_vector::vector_double_shifts_pair_neighbours",
    ),
    (
        Op::VDoubleShiftRight,
        "cpu_vector::vector_double_shifts_pair_neighbours",
    ),
    (
        Op::VAddScalar,
        "cpu_vector::vector_integer_add_and_subtract",
    ),
    (Op::VAdd, "cpu_vector::vector_integer_add_and_subtract"),
    (
        Op::VSubtractScalar,
        "cpu_vector::vector_integer_add_and_subtract",
    ),
    (Op::VSubtract, "cpu_vector::vector_integer_add_and_subtract"),
    (
        Op::VFloatMultiplyScalar,
        "cpu_vector::vector_floating_multiply_family",
    ),
    (
        Op::VFloatMultiply,
        "cpu_vector::vector_floating_multiply_family",
    ),
    (
        Op::VFloatMultiplyHalfScalar,
        "cpu_vector::vector_floating_multiply_family",
    ),
    (
        Op::VFloatMultiplyHalf,
        "cpu_vector::vector_floating_multiply_family",
    ),
    (
        Op::VFloatMultiplyRoundedScalar,
        "cpu_vector::vector_floating_multiply_family",
    ),
    (
        Op::VFloatMultiplyRounded,
        "cpu_vector::vector_floating_multiply_family",
    ),
    (
        Op::VReciprocalIterationScalar,
        "cpu_vector::vector_floating_multiply_family",
    ),
    (
        Op::VReciprocalIteration,
        "cpu_vector::vector_floating_multiply_family",
    ),
    (
        Op::VFloatAddScalar,
        "cpu_vector::vector_floating_add_and_subtract",
    ),
    (
        Op::VFloatAdd,
        "cpu_vector::vector_floating_add_and_subtract",
    ),
    (
        Op::VFloatSubtractScalar,
        "cpu_vector::vector_floating_add_and_subtract",
    ),
    (
        Op::VFloatSubtract,
        "cpu_vector::vector_floating_add_and_subtract",
    ),
    (
        Op::VReciprocalApproximation,
        "cpu_vector::vector_reciprocal_population_parity",
    ),
    (
        Op::VPopulation,
        "cpu_vector::vector_reciprocal_population_parity",
    ),
    (
        Op::VParity,
        "cpu_vector::vector_reciprocal_population_parity",
    ),
    (
        Op::VMaskFromTest,
        "cpu_vector::vector_mask_tests_clear_bits_beyond_vl",
    ),
    (Op::VCompressIndex, "cpu_vector::compressed_index"),
    (Op::VLoad, "cpu_memory::vector_load_with_strides"),
    (Op::VGather, "cpu_memory::gather_and_scatter"),
    (Op::VStore, "cpu_memory::vector_store_with_strides"),
    (Op::VScatter, "cpu_memory::gather_and_scatter"),
];

#[test]
fn every_op_in_the_table_has_a_named_test() {
    for form in FORMS {
        assert!(
            COVERED.iter().any(|(op, _)| *op == form.op),
            "{:?} ({}) has no named test",
            form.op,
            form.pattern
        );
    }
}

#[test]
fn named_tests_exist_in_their_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    for (op, name) in COVERED {
        let (file, test) = name.split_once("::").expect("file::test");
        let text = std::fs::read_to_string(dir.join(format!("{file}.rs"))).expect("test file");
        assert!(
            text.contains(&format!("fn {test}()")),
            "{op:?}: {name} not found"
        );
    }
}

/// A CPU with every register holding something interesting, in monitor mode so
/// monitor-only instructions act, in a cluster so shared registers act.
fn busy_cpu(model: Model) -> (Cpu, Memory) {
    let mut cpu = Cpu::new(model, 0o400);
    for n in 0..8 {
        cpu.a[n] = 0o100 + n as u32;
        cpu.s[n] = 0o0400014000000000000000 + n as u64;
        for e in 0..64 {
            cpu.v[n][e] = (n * 64 + e) as u64;
        }
    }
    cpu.modes.monitor = true;
    cpu.shared.cluster = 1;
    (cpu, Memory::new(0o400))
}

/// The first parcel of `pattern` with every free field set to `fill` (one octal
/// digit repeated).
fn fill_pattern(pattern: &str, fill: u32) -> u16 {
    let mut parcel = 0u32;
    for (position, ch) in pattern.chars().enumerate() {
        let digit = ch.to_digit(8).unwrap_or(fill);
        parcel = if position == 0 {
            digit & 1
        } else {
            (parcel << 3) | digit
        };
    }
    parcel as u16
}

#[test]
fn every_form_executes_on_every_model_that_has_it() {
    for form in FORMS {
        for model in [Model::XMp, Model::Cray1] {
            for fill in [0, 1, 5, 7] {
                let parcel = fill_pattern(form.pattern, fill);
                let (mut cpu, mut memory) = busy_cpu(model);
                memory.words_mut()[0] = (u64::from(parcel) << 48) | (0o20 << 32);
                let expected = form_of(parcel, model).map_or(Op::Undefined, |f| f.op);
                assert_eq!(decode(parcel, 0o20, model).op, expected);
                if form.xmp_only && model == Model::Cray1 {
                    assert_eq!(expected, Op::Undefined, "{parcel:06o}");
                }
                let stop = cpu.step(&mut memory);
                match (expected, stop) {
                    (
                        Op::Undefined | Op::ErrorExit | Op::NormalExit,
                        Some(Stop::Exchange { .. }),
                    ) => {}
                    (Op::Undefined | Op::ErrorExit | Op::NormalExit, other) => {
                        panic!("{parcel:06o} {model:?}: {other:?}")
                    }
                    (_, None | Some(Stop::Exchange { .. }) | Some(Stop::SemaphoreWait)) => {}
                    (_, Some(Stop::Budget)) => panic!("step never stops on budget"),
                }
                assert!(
                    cpu.a.iter().all(|a| *a <= 0xFF_FFFF),
                    "{parcel:06o}: A wider than 24 bits"
                );
                assert!(
                    cpu.b.iter().all(|b| *b <= 0xFF_FFFF),
                    "{parcel:06o}: B wider than 24 bits"
                );
                assert!((1..=64).contains(&cpu.vl), "{parcel:06o}: VL {}", cpu.vl);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any memory contents, any registers: running never panics and keeps the
    /// register invariants.
    #[test]
    fn random_programs_never_panic(
        words in proptest::collection::vec(any::<u64>(), 1..64),
        a in proptest::array::uniform8(0u32..0x100_0000),
        s in proptest::array::uniform8(any::<u64>()),
        limit in 0u32..80,
        monitor in any::<bool>(),
        range_interrupt in any::<bool>(),
        cray1 in any::<bool>(),
    ) {
        let model = if cray1 { Model::Cray1 } else { Model::XMp };
        let mut cpu = Cpu::new(model, limit);
        cpu.a = a;
        cpu.s = s;
        cpu.modes.monitor = monitor;
        cpu.modes.interrupt_on_range = range_interrupt;
        cpu.shared.cluster = u8::from(monitor);
        let mut memory = Memory::from_words(words);
        for _ in 0..50 {
            match cpu.run(&mut memory, cpu.cycles + 200) {
                Stop::Budget => break,
                Stop::SemaphoreWait => cpu.shared.semaphores = 0,
                Stop::Exchange { .. } => {
                    let p = cpu.p.wrapping_add(1) & 0xFF_FFFF;
                    cpu.p = p;
                }
            }
            prop_assert!(cpu.a.iter().all(|a| *a <= 0xFF_FFFF));
            prop_assert!((1..=64).contains(&cpu.vl));
        }
    }
}
