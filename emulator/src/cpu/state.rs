//! The programmer-visible state of one CPU (ISA.md section 1).

use super::fetch::DecodeCache;
use super::timed::Trace;
use crate::isa::Model;
use crate::not_state::NotState;
use crate::timing::TimingModel;
use serde::{Deserialize, Serialize};

/// Interrupt/exchange flags (the F field of the exchange package, ISA.md 1.6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Flags(pub u16);

impl Flags {
    /// Normal exit (EX, 004).
    pub const NORMAL_EXIT: u16 = 1 << 0;
    /// Error exit (ERR, 000, and undefined instructions).
    pub const ERROR_EXIT: u16 = 1 << 1;
    /// I/O interrupt.
    pub const IO_INTERRUPT: u16 = 1 << 2;
    /// Memory error.
    pub const MEMORY_ERROR: u16 = 1 << 3;
    /// Program range error: instruction fetch outside the instruction field.
    pub const PROGRAM_RANGE: u16 = 1 << 4;
    /// Operand range error: data reference outside the data field.
    pub const OPERAND_RANGE: u16 = 1 << 5;
    /// Floating-point error.
    pub const FLOATING_POINT: u16 = 1 << 6;
    /// Maintenance control unit / IOS interrupt.
    pub const MCU_INTERRUPT: u16 = 1 << 7;
    /// Programmable clock interrupt.
    pub const PROGRAMMABLE_CLOCK: u16 = 1 << 8;
    /// Deadlock (X-MP).
    pub const DEADLOCK: u16 = 1 << 9;
    /// Inter-processor interrupt (X-MP).
    pub const INTERPROCESSOR: u16 = 1 << 10;

    /// The name of each flag, bit n at index n (as `cray diff` and `regs` show them).
    pub const NAMES: [&'static str; 11] = [
        "normal exit",
        "error exit",
        "I/O interrupt",
        "memory error",
        "program range",
        "operand range",
        "floating point",
        "MCU interrupt",
        "programmable clock",
        "deadlock",
        "interprocessor",
    ];

    /// True if any of `bits` is set.
    #[inline]
    pub fn has(self, bits: u16) -> bool {
        self.0 & bits != 0
    }

    /// Sets `bits`.
    #[inline]
    pub fn set(&mut self, bits: u16) {
        self.0 |= bits;
    }

    /// Clears `bits`.
    #[inline]
    pub fn clear(&mut self, bits: u16) {
        self.0 &= !bits;
    }
}

/// Mode bits of the exchange package (ISA.md 1.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Modes {
    /// Monitor mode.
    pub monitor: bool,
    /// Interrupt on operand range error (ERI/DRI).
    pub interrupt_on_range: bool,
    /// Interrupt on floating-point error (EFI/DFI).
    pub interrupt_on_float: bool,
    /// Bidirectional memory enabled (EBM/DBM, X-MP).
    pub bidirectional_memory: bool,
    /// Floating-point error status (set whenever a floating error occurs).
    pub float_error_status: bool,
    /// Interrupt-monitor mode.
    pub interrupt_monitor: bool,
    /// Enhanced addressing mode (X-MP): 24-bit instead of 22-bit scalar addresses.
    pub enhanced_addressing: bool,
    /// Programmable-clock interrupts enabled (ECI/DCI).
    pub clock_interrupts: bool,
}

impl Modes {
    /// The name of each mode, bit n of [`Modes::bits`] at index n.
    pub const NAMES: [&'static str; 8] = [
        "monitor",
        "interrupt on range",
        "interrupt on float",
        "bidirectional memory",
        "float error status",
        "interrupt monitor",
        "enhanced addressing",
        "clock interrupts",
    ];

    /// The modes as bits, in the order of [`Modes::NAMES`].
    pub fn bits(&self) -> u64 {
        [
            self.monitor,
            self.interrupt_on_range,
            self.interrupt_on_float,
            self.bidirectional_memory,
            self.float_error_status,
            self.interrupt_monitor,
            self.enhanced_addressing,
            self.clock_interrupts,
        ]
        .iter()
        .enumerate()
        .map(|(bit, &set)| u64::from(set) << bit)
        .sum()
    }
}

/// The X-MP cluster's shared registers and semaphores (ISA.md 4.8).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SharedRegisters {
    /// Cluster number; 0 means no cluster (reads give 0, writes are ignored).
    pub cluster: u8,
    /// SB0..SB7, 24 bits each.
    pub sb: [u32; 8],
    /// ST0..ST7.
    pub st: [u64; 8],
    /// SM0..SM31; SM0 is bit 31.
    pub semaphores: u32,
}

/// Why [`Cpu::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stop {
    /// An exchange was requested (EX, ERR, a range error, an enabled floating-point
    /// error, an undefined instruction, the programmable clock): `flags` says which
    /// (the same bits are also set in [`Cpu::flags`]). P has already advanced past an
    /// EX, ERR or floating-point error; for an operand range error or an undefined
    /// instruction it addresses that instruction; for a program range error it is
    /// the address that could not be fetched.
    Exchange {
        /// The flags that caused the exchange.
        flags: Flags,
        /// Parcel address of the instruction that raised it (for the programmable
        /// clock: of the next instruction).
        at: u32,
    },
    /// The cycle budget given to `run` was used up between two instructions.
    Budget,
    /// Test-and-set found the semaphore set: the CPU holds issue (P stays on the
    /// test-and-set, one clock period passes). Running again retries it; deciding
    /// about deadlock (every CPU of the cluster waiting) is the system's job.
    SemaphoreWait,
}

/// One CPU: every register of ISA.md section 1.1 and its relocation registers.
///
/// `Serialize` walks the register table ([`super::registers::REGISTERS`]), which keeps
/// the fields in this declaration order (the order `Deserialize` reads them in).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Cpu {
    /// Machine model: decides which instructions exist.
    pub model: Model,
    /// Program address (parcel address relative to the instruction base).
    pub p: u32,
    /// A0..A7, 24 bits each (kept masked).
    pub a: [u32; 8],
    /// S0..S7.
    pub s: [u64; 8],
    /// V0..V7, 64 elements each.
    #[serde(with = "crate::serde_arrays::vector_registers")]
    pub v: Box<[[u64; 64]; 8]>,
    /// B00..B77, 24 bits each.
    #[serde(with = "crate::serde_arrays")]
    pub b: [u32; 64],
    /// T00..T77.
    #[serde(with = "crate::serde_arrays")]
    pub t: [u64; 64],
    /// Vector length, 1..=64.
    pub vl: u32,
    /// Vector mask; bit 2^63 is element 0.
    pub vm: u64,
    /// Pending flags.
    pub flags: Flags,
    /// Mode bits.
    pub modes: Modes,
    /// Instruction base address (words).
    pub instruction_base: u32,
    /// Instruction limit address (words, exclusive).
    pub instruction_limit: u32,
    /// Data base address (words). On the Cray-1 equal to the instruction base.
    pub data_base: u32,
    /// Data limit address (words, exclusive).
    pub data_limit: u32,
    /// Exchange address: the package lives at absolute word XA * 16.
    pub exchange_address: u32,
    /// Vector-not-used bit of the exchange package.
    pub vector_not_used: bool,
    /// Programmable clock interval and countdown (X-MP).
    pub clock_interval: u32,
    /// Remaining clock periods until the programmable clock interrupt.
    pub clock_countdown: u32,
    /// Cluster registers (X-MP).
    pub shared: SharedRegisters,
    /// Clock periods elapsed; the real-time clock reads this.
    pub cycles: u64,
    /// Instructions issued.
    pub instructions: u64,
    /// Added to `cycles` to form the real-time clock (`RT Sj` sets it).
    pub rt_offset: u64,
    /// Program state bit of the X-MP exchange package (PS), kept for round trips.
    pub program_state: bool,
    /// Waiting-on-semaphore mode bit (WS): set while test-and-set holds issue.
    pub waiting_on_semaphore: bool,
    /// Selected for external interrupts (SEI mode bit), kept for round trips.
    pub external_interrupts: bool,
    /// Enable second vector logical unit (ESVL), kept for round trips.
    pub second_vector_logical: bool,
    /// Processor number (0..3) reported in SR0 and the exchange package.
    pub processor_number: u8,
    /// The cycle-approximate timing model: `None` with `--timing off` (then every
    /// instruction takes one clock period). Part of every snapshot, so a restarted
    /// run counts the same clock periods as an uninterrupted one.
    pub timing: Option<Box<TimingModel>>,
    /// What the executing instruction referenced, for the timing model: transient,
    /// never saved and never compared.
    #[serde(skip)]
    pub(crate) trace: Trace,
    /// Decoded instructions by physical parcel address: derived data, never saved
    /// and never compared.
    #[serde(skip)]
    pub(crate) decoded: NotState<DecodeCache>,
}

impl Cpu {
    /// A CPU in user mode with every register zero, VL = 64, relocated to a field of
    /// `field_words` words at base 0.
    pub fn new(model: Model, field_words: u32) -> Cpu {
        Cpu {
            model,
            p: 0,
            a: [0; 8],
            s: [0; 8],
            v: Box::new([[0; 64]; 8]),
            b: [0; 64],
            t: [0; 64],
            vl: 64,
            vm: 0,
            flags: Flags::default(),
            modes: Modes::default(),
            instruction_base: 0,
            instruction_limit: field_words,
            data_base: 0,
            data_limit: field_words,
            exchange_address: 0,
            vector_not_used: true,
            clock_interval: 0,
            clock_countdown: 0,
            shared: SharedRegisters::default(),
            cycles: 0,
            instructions: 0,
            rt_offset: 0,
            program_state: false,
            waiting_on_semaphore: false,
            external_interrupts: false,
            second_vector_logical: false,
            processor_number: 0,
            timing: None,
            trace: Trace::default(),
            decoded: NotState::default(),
        }
    }
}
