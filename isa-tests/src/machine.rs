//! A bare machine for CPU tests: parcels placed in memory from word 0, registers set
//! directly, run until the first exchange.

use cray_emulator::cpu::{Cpu, Flags, Stop};
use cray_emulator::isa::Model;
use cray_emulator::memory::Memory;

/// EX (004000): every test program ends with it.
pub const EX: u16 = 0o004000;

/// Default memory size of a test machine, in words.
pub const WORDS: usize = 0o10000;

/// Where test data lives (word address), clear of the code.
pub const DATA: u32 = 0o4000;

/// A CPU and its memory.
pub struct Machine {
    /// The CPU.
    pub cpu: Cpu,
    /// Its memory.
    pub memory: Memory,
}

/// The two parcels of an instruction with a 22-bit jkm field (020, 021, 040, 041,
/// 10h..13h): `first` holds the opcode and i (and h), with j = k = 0.
pub fn with_jkm(first: u16, jkm: u32) -> [u16; 2] {
    [first | ((jkm >> 16) & 0o77) as u16, jkm as u16]
}

/// The two parcels of a jump (`gh` = 006, 007, 010..017) to parcel address `target`.
pub fn jump(gh: u16, target: u32) -> [u16; 2] {
    [(gh << 9) | ((target >> 16) & 0o777) as u16, target as u16]
}

impl Machine {
    /// A user-mode machine of `WORDS` words.
    pub fn new(model: Model) -> Machine {
        Machine {
            cpu: Cpu::new(model, WORDS as u32),
            memory: Memory::new(WORDS),
        }
    }

    /// An X-MP machine.
    pub fn xmp() -> Machine {
        Machine::new(Model::XMp)
    }

    /// Stores parcels from parcel address 0 on.
    pub fn load(&mut self, parcels: &[u16]) -> &mut Machine {
        for (n, parcel) in parcels.iter().enumerate() {
            let word = n / 4;
            let shift = 48 - 16 * (n % 4);
            let old = self.memory.words()[word];
            self.memory.words_mut()[word] =
                (old & !(0xFFFF << shift)) | (u64::from(*parcel) << shift);
        }
        self
    }

    /// Runs from P = 0 with a budget of `budget` clock periods.
    pub fn run_budget(&mut self, budget: u64) -> Stop {
        self.cpu.p = 0;
        let until = self.cpu.cycles + budget;
        self.cpu.run(&mut self.memory, until)
    }

    /// Loads `parcels` followed by EX, runs, and asserts the program ended at that EX.
    pub fn exec(&mut self, parcels: &[u16]) -> &mut Machine {
        let mut program = parcels.to_vec();
        let ex_at = program.len() as u32;
        program.push(EX);
        self.load(&program);
        let stop = self.run_budget(100_000);
        assert_eq!(
            stop,
            Stop::Exchange {
                flags: Flags(Flags::NORMAL_EXIT),
                at: ex_at
            },
            "program {} did not reach its EX",
            octal(parcels)
        );
        self
    }

    /// Loads and runs `parcels` (no EX appended), returning the stop.
    pub fn stop_of(&mut self, parcels: &[u16]) -> Stop {
        self.load(parcels);
        self.run_budget(100_000)
    }

    /// Data word at `address`.
    pub fn word(&self, address: u32) -> u64 {
        self.memory.words()[address as usize]
    }

    /// Sets the data word at `address`.
    pub fn set_word(&mut self, address: u32, value: u64) {
        self.memory.words_mut()[address as usize] = value;
    }
}

/// Runs `parcels` + EX on a fresh X-MP after `setup`, returning the machine.
pub fn run(parcels: &[u16], setup: impl FnOnce(&mut Machine)) -> Machine {
    let mut machine = Machine::xmp();
    setup(&mut machine);
    machine.exec(parcels);
    machine
}

/// Parcels in octal, for messages.
pub fn octal(parcels: &[u16]) -> String {
    parcels
        .iter()
        .map(|p| format!("{p:06o}"))
        .collect::<Vec<_>>()
        .join(" ")
}
