//! The exchange package: layout, round trips, and the exchange sequence in memory.
use cray_emulator::cpu::{Cpu, ExchangeError, Flags, Stop, PACKAGE_WORDS};
use cray_emulator::isa::Model;
use cray_emulator::memory::Memory;
use isa_tests::machine::{Machine, EX};

fn busy_cpu(model: Model) -> Cpu {
    let mut cpu = Cpu::new(model, 0o1000);
    cpu.p = 0o1234567;
    for n in 0..8 {
        cpu.a[n] = 0o7654321 - n as u32;
        cpu.s[n] = 0x0123_4567_89AB_CDEF ^ (n as u64) << 60;
    }
    cpu.instruction_base = 0o4000;
    cpu.instruction_limit = 0o10000;
    cpu.data_base = 0o2000;
    cpu.data_limit = 0o20000;
    cpu.exchange_address = 0o123;
    cpu.vl = 0o45;
    cpu.modes.monitor = true;
    cpu.modes.interrupt_on_float = true;
    cpu.modes.interrupt_on_range = true;
    cpu.modes.float_error_status = true;
    cpu.modes.bidirectional_memory = true;
    cpu.modes.interrupt_monitor = true;
    if model == Model::XMp {
        cpu.modes.enhanced_addressing = true;
        cpu.program_state = true;
        cpu.shared.cluster = 5;
        cpu.processor_number = 2;
        cpu.external_interrupts = true;
        cpu.second_vector_logical = true;
        cpu.waiting_on_semaphore = true;
    }
    cpu.vector_not_used = false;
    cpu.flags = Flags(Flags::NORMAL_EXIT | Flags::OPERAND_RANGE | Flags::DEADLOCK);
    cpu
}

#[test]
fn xmp_package_layout() {
    let cpu = busy_cpu(Model::XMp);
    let package = cpu.exchange_package();
    assert_eq!(package[0] & 0xFF_FFFF, u64::from(cpu.a[0]));
    assert_eq!(
        (package[0] >> 24) & 0xFF_FFFF,
        0o1234567,
        "P at Cray bits 16..39"
    );
    assert_eq!(package[0] >> 62, 2, "processor number");
    assert_eq!((package[3] >> 33) & 0o177, 0o45, "VL at Cray bits 24..30");
    assert_eq!((package[3] >> 40) & 0o377, 0o123, "XA at Cray bits 16..23");
    assert_ne!(package[3] & (1 << 24), 0, "NEX at Cray bit 39");
    assert_ne!(package[3] & (1 << 29), 0, "ORE at Cray bit 34");
    assert_ne!(package[3] & (1 << 48), 0, "DL at Cray bit 15");
    assert_eq!(package[3] & (1 << 25), 0, "no EEX");
    assert_ne!(package[2] & (1 << 24), 0, "MM at word 2 Cray bit 39");
    assert_ne!(package[2] & (1 << 28), 0, "IOR at word 2 Cray bit 35");
    assert_eq!(package[2] >> 63, 0, "VNU clear: vectors used");
    assert_eq!((package[4] >> 24) & 7, 5, "CLN");
    assert_eq!(package[4] >> 63, 1, "EAM");
    assert_eq!(((package[1] >> 29) & 0x7FFFF) << 5, 0o4000, "IBA");
    assert_eq!(((package[5] >> 29) & 0x7FFFF) << 5, 0o20000, "DLA");
    assert_eq!(&package[8..], &cpu.s);
}

#[test]
fn package_round_trip() {
    for model in [Model::XMp, Model::Cray1] {
        let mut cpu = busy_cpu(model);
        if model == Model::Cray1 {
            cpu.data_base = cpu.instruction_base;
            cpu.data_limit = cpu.instruction_limit;
            cpu.modes.interrupt_on_range = false;
            cpu.modes.float_error_status = false;
            cpu.modes.bidirectional_memory = false;
        }
        let package = cpu.exchange_package();
        let mut copy = Cpu::new(model, 0);
        copy.load_exchange_package(&package);
        let mut expected = cpu.clone();
        expected.flags = Flags::default();
        expected.vector_not_used = true;
        // Not in the package.
        copy.v = expected.v.clone();
        copy.cycles = expected.cycles;
        assert_eq!(copy, expected, "{model:?}");
        assert_eq!(
            copy.exchange_package()[3] & (0o777 << 24),
            0,
            "flags cleared"
        );
    }
}

#[test]
fn vl_zero_in_a_package_is_64() {
    let mut cpu = Cpu::new(Model::XMp, 0o1000);
    let mut package = [0u64; PACKAGE_WORDS];
    cpu.load_exchange_package(&package);
    assert_eq!(cpu.vl, 64);
    package[3] = 0o101 << 33;
    cpu.load_exchange_package(&package);
    assert_eq!(cpu.vl, 1);
}

#[test]
fn exchange_swaps_with_the_package_at_xa() {
    // A user program ends with EX; the monitor's package waits at XA * 16 = 040.
    let mut m = Machine::xmp();
    m.cpu.exchange_address = 2;
    m.cpu.a[5] = 0o555;
    m.cpu.s[6] = 0o666;
    let mut monitor = Cpu::new(Model::XMp, 0o10000);
    monitor.p = 0o100;
    monitor.modes.monitor = true;
    monitor.exchange_address = 3;
    monitor.a[1] = 0o111;
    let incoming = monitor.exchange_package();
    m.memory.words_mut()[0o40..0o60].copy_from_slice(&incoming);
    let stop = m.stop_of(&[0o001000, EX]);
    assert_eq!(
        stop,
        Stop::Exchange {
            flags: Flags(Flags::NORMAL_EXIT),
            at: 1
        }
    );
    m.cpu
        .exchange(&mut m.memory)
        .expect("package inside memory");
    // The CPU now runs the monitor's state.
    assert_eq!(m.cpu.p, 0o100);
    assert!(m.cpu.modes.monitor);
    assert_eq!(m.cpu.a[1], 0o111);
    assert_eq!(m.cpu.a[5], 0);
    assert_eq!(m.cpu.exchange_address, 3, "new XA from the package");
    assert_eq!(m.cpu.flags, Flags::default());
    // The user's state is in memory, with its flag recorded.
    let saved: [u64; PACKAGE_WORDS] = m.memory.words()[0o40..0o60].try_into().unwrap();
    assert_eq!((saved[0] >> 24) & 0xFF_FFFF, 2, "P past the EX");
    assert_eq!(saved[5] & 0xFF_FFFF, 0o555);
    assert_eq!(saved[14], 0o666);
    assert_ne!(saved[3] & (1 << 24), 0, "NEX recorded");
    assert_eq!((saved[2] >> 24) & 1, 0, "user mode");
    // Exchanging back restores the user.
    m.cpu.exchange_address = 2;
    m.cpu.exchange(&mut m.memory).unwrap();
    assert_eq!(m.cpu.p, 2);
    assert_eq!(m.cpu.a[5], 0o555);
    assert!(!m.cpu.modes.monitor);
}

#[test]
fn exchange_outside_memory_is_an_error() {
    let mut cpu = Cpu::new(Model::XMp, 0o10);
    let mut memory = Memory::new(0o20);
    cpu.exchange_address = 1;
    assert_eq!(
        cpu.exchange(&mut memory),
        Err(ExchangeError::OutsideMemory {
            address: 0o20,
            memory_words: 0o20
        })
    );
    let before = cpu.clone();
    assert_eq!(cpu, before, "nothing changed");
}
