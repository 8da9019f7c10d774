//! Version 1 of the saved kernel state: the State section of every image written by
//! cray up to format 1.1 (the golden images `*-v1.0.chk` and `*-v1.1.chk`), and the
//! COS decks section (kind 18) of format 1.1 images ([`DeckJobV1`]).
//!
//! FROZEN: these types describe bytes already on disk. Never edit them; a change of
//! the saved state is a new version beside them, with a migration from this one.
//! Every type reachable from them is a primitive, a std container or a frozen type of
//! this module: none is a live type, so a change to a live struct cannot move these
//! bytes (`saved::tests` checks the imports and pins the encodings of sample values).
//!
//! Git history (`git log -p -- emulator/src/cpu/state.rs emulator/src/system/mod.rs`)
//! shows every field here was present when the first golden images were written
//! (541e28b): the CPU's `rt_offset` .. `processor_number` and `timing` came with
//! 5646e5c and 19e5279, `hpm_retired` and `Config::timing` with 19e5279, all before.
//! Later changes kept the layout: the bank window of the timing model reuses the 1.0
//! array of 64 (e1d8d59, d1b9864), the COS decks went into a section of their own
//! (kind 18) because this layout could not take another field, and COS backings and
//! what a process waits on gained variants only at the end of their enums.
//!
//! The leaves were copied from the live types they were encoded from until then
//! (file table, signals, process state, personality, exit status, COS job, COS
//! decks, timing model), field for field and variant for variant: `usize` became
//! `u64`, which postcard writes as the same varint. The golden images pin them:
//! `chkpnt/tests/golden.rs` decodes each image's state with these types and requires
//! encoding it again to give the very same bytes.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// A process id.
pub type PidV1 = u32;

/// An open file description's id in the file table.
pub type FileIdV1 = u64;

/// The kernel state of the selected processes, memory fields emptied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStateV1 {
    /// Limits and settings.
    pub config: ConfigV1,
    /// Every process by pid.
    pub processes: BTreeMap<PidV1, ProcessV1>,
    /// Open file descriptions, pipes and terminal input.
    pub files: FileTableV1,
    /// The pid the next process gets.
    pub next_pid: PidV1,
    /// The machine's clock periods.
    pub clock: u64,
    /// Instructions issued by all processes.
    pub instructions: u64,
    /// Clock periods left of the current slice.
    pub slice_left: u64,
    /// Round-robin position.
    pub cursor: PidV1,
    /// The first process loaded.
    pub leader: Option<PidV1>,
    /// How the first process ended.
    pub leader_status: Option<ExitStatusV1>,
    /// The COS job log.
    pub cos_log: Vec<String>,
    /// Counters of the processes that have ended.
    pub hpm_retired: HpmCountersV1,
}

/// The system's limits and settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigV1 {
    /// Machine model.
    pub model: ModelV1,
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessV1 {
    /// Process id.
    pub pid: PidV1,
    /// Parent's pid.
    pub ppid: PidV1,
    /// Job id.
    pub jid: PidV1,
    /// User id.
    pub uid: u32,
    /// Every register.
    pub cpu: CpuStateV1,
    /// The memory field: empty in an image (memory has sections of its own).
    pub memory: Vec<u64>,
    /// First word above the program image.
    pub break_floor: u32,
    /// Descriptors.
    pub fds: BTreeMap<u32, FileIdV1>,
    /// Handlers and pending signals.
    pub signals: SignalsV1,
    /// Scheduling state.
    pub state: ProcessStateV1,
    /// System-call conventions.
    pub personality: PersonalityV1,
    /// Program name.
    pub program: String,
    /// COS job state.
    pub cos: Option<Box<CosJobV1>>,
}

/// One CPU's registers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuStateV1 {
    /// Machine model.
    pub model: ModelV1,
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
    pub timing: Option<Box<TimingModelV1>>,
}

/// Mode bits of the exchange package.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// Which machine: the live `isa::Model`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ModelV1 {
    /// Cray X-MP.
    XMp,
    /// Cray-1.
    Cray1,
}

/// The open file table of the whole system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileTableV1 {
    /// Open file descriptions by id.
    pub open: BTreeMap<FileIdV1, OpenFileV1>,
    /// Pipes by id.
    pub pipes: BTreeMap<u64, PipeV1>,
    /// Next id for a description or a pipe.
    pub next_id: u64,
    /// Terminal input.
    pub terminal: TerminalInputV1,
}

/// One open file description and how many descriptors refer to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenFileV1 {
    /// What it refers to.
    pub description: DescriptionV1,
    /// Descriptors (in all processes) that refer to it.
    pub refs: u32,
}

/// What an open file description refers to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DescriptionV1 {
    /// A host file, by its name relative to the root.
    Host {
        /// Name relative to the root.
        path: String,
        /// Opened for reading.
        readable: bool,
        /// Opened for writing.
        writable: bool,
        /// O_APPEND.
        append: bool,
        /// Offset in bytes.
        offset: u64,
    },
    /// The read end of a pipe.
    PipeRead {
        /// The pipe.
        pipe: u64,
    },
    /// The write end of a pipe.
    PipeWrite {
        /// The pipe.
        pipe: u64,
    },
    /// The terminal input.
    Stdin,
    /// The host's standard output.
    Stdout,
    /// The host's standard error.
    Stderr,
}

/// A pipe's buffer and ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipeV1 {
    /// Bytes written and not yet read.
    pub buffer: VecDeque<u8>,
    /// Open read descriptions.
    pub readers: u32,
    /// Open write descriptions.
    pub writers: u32,
}

/// Terminal input handed to the kernel by the driver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalInputV1 {
    /// Bytes not yet read.
    pub buffer: VecDeque<u8>,
    /// No more input.
    pub end: bool,
}

/// Handlers and pending signals of one process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalsV1 {
    /// Installed handlers by signal number.
    pub handlers: BTreeMap<u32, HandlerV1>,
    /// Pending signals: bit n set = signal n pending.
    pub pending: u64,
}

/// What happens when a signal arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HandlerV1 {
    /// The default action.
    Default,
    /// Discarded.
    Ignore,
    /// A user handler at this parcel address.
    Catch(u32),
}

/// Scheduling state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProcessStateV1 {
    /// Can run.
    Runnable,
    /// Waiting.
    Blocked(WaitOnV1),
    /// Ended, status not yet collected.
    Zombie(ExitStatusV1),
}

/// What a blocked process waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WaitOnV1 {
    /// Data in, or the last writer leaving, a pipe.
    PipeRead(u64),
    /// Room in, or the last reader leaving, a pipe.
    PipeWrite(u64),
    /// A child changing state.
    Child,
    /// Terminal input.
    Terminal,
    /// A checkpoint or restart of the driver.
    Driver,
}

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExitStatusV1 {
    /// `exit(status)`.
    Exited(u8),
    /// Ended by a signal.
    Signaled(u32),
}

/// Which system-call conventions a process follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PersonalityV1 {
    /// UNICOS-like.
    Unicos,
    /// COS.
    Cos,
}

/// A COS job's state beyond registers and memory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CosJobV1 {
    /// The control statement.
    pub control_statement: String,
    /// Dataset name -> host backing.
    pub map: BTreeMap<String, BackingV1>,
    /// Open datasets by slot.
    pub open: BTreeMap<u32, LocalDatasetV1>,
    /// JCDSP.
    pub dsp_base: u32,
    /// JCLFT.
    pub lft_base: u32,
    /// First word of the buffer area.
    pub buffer_base: u32,
    /// The F$RPV request word of the last reprieve.
    pub reprieve: Option<u64>,
}

/// Where a local dataset's contents live on the host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackingV1 {
    /// A file inside the root.
    File {
        /// Path relative to the root.
        path: String,
        /// Written as host text lines.
        text: bool,
    },
    /// The console's standard output.
    Stdout,
    /// Nothing.
    Empty,
    /// The terminal.
    Terminal,
    /// A local dataset of the deck job.
    Job,
}

/// One open local dataset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalDatasetV1 {
    /// Dataset name.
    pub name: String,
    /// Host side.
    pub backing: BackingV1,
    /// Slot number.
    pub slot: u32,
    /// Contents as records, EOFs and the EOD.
    pub items: Vec<DatasetItemV1>,
    /// Index of the item being read.
    pub item: u64,
    /// Words of that item already read.
    pub word: u64,
    /// Words of a record being written not yet closed by an EOR.
    pub pending: Vec<u64>,
    /// Items written since the open.
    pub written: bool,
    /// The blocked stream F$RDC reads from.
    pub read_stream: Option<Vec<u64>>,
    /// Next word of `read_stream`.
    pub read_position: u64,
    /// Blocked words given by F$WDC.
    pub write_stream: Vec<u64>,
}

/// One thing of a blocked dataset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DatasetItemV1 {
    /// A record closed by an EOR.
    Record {
        /// Data words.
        words: Vec<u64>,
        /// UBC of the closing EOR.
        unused_bits: u32,
    },
    /// An EOF.
    EndOfFile,
    /// The EOD.
    EndOfData,
}

/// A running deck job: the decks section (kind 18) of format 1.1 holds these by jid,
/// and version 2 of the state holds them itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeckJobV1 {
    /// JN of the JOB statement.
    pub job_name: String,
    /// The user.
    pub user: String,
    /// The job's number in the permanent-dataset store.
    pub number: u64,
    /// The control statements.
    pub statements: Vec<String>,
    /// Index of the next statement.
    pub next: u64,
    /// Index of the statement whose program runs now.
    pub step: Option<u64>,
    /// The status of the last step that aborted.
    pub aborted: Option<ExitStatusV1>,
    /// The local datasets by name.
    pub datasets: BTreeMap<String, JobDatasetV1>,
    /// Enclosing IF blocks: (statements run, a branch has run).
    pub conditions: Vec<(bool, bool)>,
    /// JCL symbols.
    pub symbols: BTreeMap<String, i64>,
}

/// A local dataset of a deck job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDatasetV1 {
    /// Records, EOFs and the EOD.
    pub items: Vec<DatasetItemV1>,
    /// The item the next read starts at.
    pub position: u64,
    /// Where the program that has it open started.
    pub open_base: u64,
    /// Written since it was made local.
    pub modified: bool,
    /// The permanent dataset it is.
    pub permanent: Option<AccessedV1>,
}

/// What ACCESS granted on a permanent dataset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessedV1 {
    /// Permanent dataset name.
    pub pdn: String,
    /// Additional identification.
    pub id: String,
    /// Owner.
    pub own: String,
    /// Edition.
    pub edition: u32,
    /// What the job may do with it.
    pub access: AccessV1,
}

/// Permission on a permanent dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessV1 {
    /// Nothing.
    None,
    /// Execute only.
    Execute,
    /// Read.
    Read,
    /// Read and write.
    Write,
    /// Everything.
    Maintenance,
}

/// The timing model of one CPU. Its caches and recordings are not state and are not
/// here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimingModelV1 {
    /// Machine model timed.
    pub model: ModelV1,
    /// Earliest CP at which the next instruction may issue.
    pub next_issue: u64,
    /// Per register (A, S, V, VM ...: 28): the CP its pending result can be read.
    pub ready: [u64; 28],
    /// Per V register: the chain slot.
    pub chain_slot: [u64; 8],
    /// Per V register: the CP after the last element read by pending reads.
    pub read_end: [u64; 8],
    /// Per functional unit (18): the CP it accepts a new operation.
    pub unit_free: [u64; 18],
    /// Per memory port.
    pub port_free: [u64; 3],
    /// Per bank: the end of its last reservation.
    pub bank_free: [u64; 32],
    /// Per bank: its window of free periods with bit 63 set, or (in images written
    /// before the windows) the start of its one free gap.
    pub bank_window: [u64; 32],
    /// Result arrivals at the A file.
    #[serde(with = "crate::serde_arrays")]
    pub a_results: [u64; 64],
    /// Result arrivals at the S file.
    #[serde(with = "crate::serde_arrays")]
    pub s_results: [u64; 64],
    /// Instruction buffers: block number + 1, 0 = empty.
    pub buffers: [u32; 4],
    /// Next buffer to load (bits 0-1), current buffer + 1 (bits 4-6).
    pub cursor: u8,
    /// The CP by which every issued instruction has finished.
    pub quiescent: u64,
    /// The CPU's counters.
    pub counters: HpmCountersV1,
}
