//! Version 1 of the saved kernel state: the State section of every image written by
//! cray up to format 1.1 (the golden images `*-v1.0.chk` and `*-v1.1.chk`).
//!
//! FROZEN: these types describe bytes already on disk. Never edit them; a change of
//! the saved state is a new version beside them, with a migration from this one.
//!
//! Git history (`git log -p -- emulator/src/cpu/state.rs emulator/src/system/mod.rs`)
//! shows every field here was present when the first golden images were written
//! (541e28b): the CPU's `rt_offset` .. `processor_number` and `timing` came with
//! 5646e5c and 19e5279, `hpm_retired` and `Config::timing` with 19e5279, all before.
//! Later changes kept the layout: the bank window of the timing model reuses the 1.0
//! array of 64 (e1d8d59, d1b9864), the COS decks went into a section of their own
//! (kind 18) because this layout could not take another field, and COS backings
//! gained variants only at the end of their enum.
//!
//! The leaves that are still encoded by their live types (file table, signals,
//! process state, personality, exit status, COS job, timing model) are pinned by the
//! golden images: `chkpnt/tests/golden.rs` decodes each image's state with these
//! types and requires encoding it again to give the very same bytes.

use crate::cos::job::CosJob;
use crate::isa::Model;
use crate::system::files::{FileId, FileTable};
use crate::system::signals::Signals;
use crate::system::{ExitStatus, Personality, Pid, ProcessState};
use crate::timing::TimingModel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The kernel state of the selected processes, memory fields emptied.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SystemStateV1 {
    /// Limits and settings.
    pub config: ConfigV1,
    /// Every process by pid.
    pub processes: BTreeMap<Pid, ProcessV1>,
    /// Open file descriptions, pipes and terminal input.
    pub files: FileTable,
    /// The pid the next process gets.
    pub next_pid: Pid,
    /// The machine's clock periods.
    pub clock: u64,
    /// Instructions issued by all processes.
    pub instructions: u64,
    /// Clock periods left of the current slice.
    pub slice_left: u64,
    /// Round-robin position.
    pub cursor: Pid,
    /// The first process loaded.
    pub leader: Option<Pid>,
    /// How the first process ended.
    pub leader_status: Option<ExitStatus>,
    /// The COS job log.
    pub cos_log: Vec<String>,
    /// Counters of the processes that have ended.
    pub hpm_retired: HpmCountersV1,
}

/// The system's limits and settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConfigV1 {
    /// Machine model.
    pub model: Model,
    /// Words of machine memory.
    pub memory_words: u64,
    /// Most words of one field.
    pub max_field_words: u64,
    /// Most live processes in one job.
    pub max_processes_per_job: u64,
    /// Most open descriptors per process.
    pub max_open_files: u64,
    /// Clock periods of a time slice.
    pub time_slice: u64,
    /// Seconds since 1970 at clock period 0.
    pub epoch: u64,
    /// Heap words above a new program's arguments.
    pub heap_words: u64,
    /// User id of new jobs.
    pub uid: u32,
    /// Timing model on.
    pub timing: bool,
}

/// One process.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProcessV1 {
    /// Process id.
    pub pid: Pid,
    /// Parent's pid.
    pub ppid: Pid,
    /// Job id.
    pub jid: Pid,
    /// User id.
    pub uid: u32,
    /// Every register.
    pub cpu: CpuStateV1,
    /// The memory field: empty in an image (memory has sections of its own).
    pub memory: Vec<u64>,
    /// First word above the program image.
    pub break_floor: u32,
    /// Descriptors.
    pub fds: BTreeMap<u32, FileId>,
    /// Handlers and pending signals.
    pub signals: Signals,
    /// Scheduling state.
    pub state: ProcessState,
    /// System-call conventions.
    pub personality: Personality,
    /// Program name.
    pub program: String,
    /// COS job state.
    pub cos: Option<Box<CosJob>>,
}

/// One CPU's registers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CpuStateV1 {
    /// Machine model.
    pub model: Model,
    /// Program address.
    pub p: u32,
    /// A0..A7.
    pub a: [u32; 8],
    /// S0..S7.
    pub s: [u64; 8],
    /// V0..V7.
    #[serde(with = "crate::serde_arrays::vector_registers")]
    pub v: Box<[[u64; 64]; 8]>,
    /// B00..B77.
    #[serde(with = "crate::serde_arrays")]
    pub b: [u32; 64],
    /// T00..T77.
    #[serde(with = "crate::serde_arrays")]
    pub t: [u64; 64],
    /// Vector length.
    pub vl: u32,
    /// Vector mask.
    pub vm: u64,
    /// Pending flags (the F field).
    pub flags: u16,
    /// Mode bits.
    pub modes: ModesV1,
    /// Instruction base.
    pub instruction_base: u32,
    /// Instruction limit.
    pub instruction_limit: u32,
    /// Data base.
    pub data_base: u32,
    /// Data limit.
    pub data_limit: u32,
    /// Exchange address.
    pub exchange_address: u32,
    /// Vector-not-used bit.
    pub vector_not_used: bool,
    /// Programmable clock interval.
    pub clock_interval: u32,
    /// Programmable clock countdown.
    pub clock_countdown: u32,
    /// Cluster registers.
    pub shared: SharedRegistersV1,
    /// Clock periods elapsed.
    pub cycles: u64,
    /// Instructions issued.
    pub instructions: u64,
    /// Real-time clock offset.
    pub rt_offset: u64,
    /// PS bit.
    pub program_state: bool,
    /// WS bit.
    pub waiting_on_semaphore: bool,
    /// SEI bit.
    pub external_interrupts: bool,
    /// ESVL bit.
    pub second_vector_logical: bool,
    /// Processor number.
    pub processor_number: u8,
    /// Timing model state (`None` with timing off).
    pub timing: Option<Box<TimingModel>>,
}

/// Mode bits of the exchange package.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct ModesV1 {
    /// Monitor mode.
    pub monitor: bool,
    /// Interrupt on operand range error.
    pub interrupt_on_range: bool,
    /// Interrupt on floating-point error.
    pub interrupt_on_float: bool,
    /// Bidirectional memory.
    pub bidirectional_memory: bool,
    /// Floating-point error status.
    pub float_error_status: bool,
    /// Interrupt-monitor mode.
    pub interrupt_monitor: bool,
    /// Enhanced addressing.
    pub enhanced_addressing: bool,
    /// Programmable-clock interrupts.
    pub clock_interrupts: bool,
}

/// The X-MP cluster's shared registers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SharedRegistersV1 {
    /// Cluster number.
    pub cluster: u8,
    /// SB0..SB7.
    pub sb: [u32; 8],
    /// ST0..ST7.
    pub st: [u64; 8],
    /// SM0..SM31.
    pub semaphores: u32,
}

/// Hardware performance monitor counters.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HpmCountersV1 {
    /// Clock periods.
    pub clock_periods: u64,
    /// Instructions.
    pub instructions: u64,
    /// Register holds.
    pub hold_register: u64,
    /// Functional unit holds.
    pub hold_functional_unit: u64,
    /// Result bus holds.
    pub hold_result_bus: u64,
    /// Memory holds.
    pub hold_memory: u64,
    /// Instruction buffer holds.
    pub hold_instruction_buffer: u64,
    /// Branch holds.
    pub hold_branch: u64,
    /// Floating adds.
    pub float_adds: u64,
    /// Floating multiplies.
    pub float_multiplies: u64,
    /// Reciprocals.
    pub float_reciprocals: u64,
    /// Vector instructions.
    pub vector_instructions: u64,
    /// Vector elements.
    pub vector_elements: u64,
    /// Memory references.
    pub memory_references: u64,
    /// Bank conflicts.
    pub bank_conflicts: u64,
    /// Instruction buffer misses.
    pub instruction_buffer_misses: u64,
    /// Branches.
    pub branches: u64,
    /// Branches taken.
    pub branches_taken: u64,
}
