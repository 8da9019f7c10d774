//! The saved kernel state: frozen, versioned types separate from the live structs,
//! as Firecracker's snapshot crate keeps them.
//!
//! An image's State section holds one version of [`SystemState`] encoded with
//! postcard. Postcard has no field names and no defaults, so a saved type can never
//! gain, lose or reorder a field: each released layout is a module of its own
//! ([`v1`], [`v2`]) that is never edited, and a change is a new version with an
//! explicit migration from the one before. Reading runs the migrations in order
//! (V1 -> V2 -> ... -> current), then converts the current version to the live
//! [`System`]; writing converts the live system to the current version only.
//!
//! | version | written by       | what changed                                          |
//! |--------:|------------------|-------------------------------------------------------|
//! | 1       | format 1.0, 1.1  | first layout; COS decks in a section of their own      |
//! | 2       | format 1.2       | COS decks held in the state                            |

pub mod v1;
pub mod v2;

use crate::cos::deck::DeckJob;
use crate::cpu::{Cpu, Flags, Modes, SharedRegisters};
use crate::memory::Memory;
use crate::system::{Config, Console, HostRoot, Pid, Process, System};
use crate::timing::HpmCounters;
use std::collections::BTreeMap;
use thiserror::Error;
use v1::SystemStateV1;
use v1::{ConfigV1, CpuStateV1, HpmCountersV1, ModesV1, ProcessV1, SharedRegistersV1};
pub use v2::SystemStateV2;

/// The version of the saved kernel state this build writes, and the newest it reads.
pub const STATE_VERSION: u16 = 2;

/// The current version of the saved kernel state.
pub type SystemState = SystemStateV2;

/// Why a saved kernel state cannot be read.
#[derive(Debug, Error)]
pub enum StateError {
    /// Written by a newer cray.
    #[error("kernel state version {version} is newer than this cray reads (it reads versions 1 to {STATE_VERSION}); use a newer cray")]
    Newer {
        /// The version found.
        version: u16,
    },
    /// No cray ever wrote it.
    #[error("kernel state version {version} does not exist (versions are 1 to {STATE_VERSION})")]
    Unknown {
        /// The version found.
        version: u16,
    },
    /// The bytes are not a state of the version they claim.
    #[error("kernel state version {version} does not decode: {source}")]
    Decode {
        /// The version claimed.
        version: u16,
        /// What postcard found.
        source: postcard::Error,
    },
    /// A state that holds the decks itself, in an image that also has a decks section.
    #[error("kernel state version {version} holds the COS decks itself, yet the image has a decks section too")]
    DecksTwice {
        /// The version found.
        version: u16,
    },
}

/// The live system as the current version of the saved state, encoded.
pub fn encode(system: System) -> Result<Vec<u8>, postcard::Error> {
    postcard::to_stdvec(&SystemState::from(system))
}

/// The system saved as `version` in `bytes`, migrated to the current version.
/// `v1_decks` are the COS decks a version 1 image keeps in a section of its own
/// (empty when it has none; a later version must have none there).
pub fn decode(
    version: u16,
    bytes: &[u8],
    v1_decks: BTreeMap<Pid, DeckJob>,
) -> Result<System, StateError> {
    let decode_error = |source| StateError::Decode { version, source };
    let current = match version {
        0 => return Err(StateError::Unknown { version }),
        1 => {
            let v1: SystemStateV1 = postcard::from_bytes(bytes).map_err(decode_error)?;
            SystemStateV2::from_v1(v1, v1_decks)
        }
        2 if !v1_decks.is_empty() => return Err(StateError::DecksTwice { version }),
        2 => postcard::from_bytes(bytes).map_err(decode_error)?,
        _ => return Err(StateError::Newer { version }),
    };
    Ok(System::from(current))
}

/// Whether `version` of the saved state is newer than this build reads.
pub fn is_newer(version: u16) -> bool {
    version > STATE_VERSION
}

impl From<System> for SystemStateV2 {
    fn from(system: System) -> SystemStateV2 {
        SystemStateV2 {
            config: ConfigV1::from(system.config),
            processes: system
                .processes
                .into_iter()
                .map(|(pid, process)| (pid, ProcessV1::from(process)))
                .collect(),
            files: system.files,
            next_pid: system.next_pid,
            clock: system.clock,
            instructions: system.instructions,
            slice_left: system.slice_left,
            cursor: system.cursor,
            leader: system.leader,
            leader_status: system.leader_status,
            cos_log: system.cos_log,
            hpm_retired: HpmCountersV1::from(system.hpm_retired),
            cos_decks: system.cos_decks,
        }
    }
}

impl From<SystemStateV2> for System {
    fn from(saved: SystemStateV2) -> System {
        // The host side (root, console, deck host) is attached by the caller.
        let mut system = System::new(
            Config::from(saved.config),
            HostRoot::default(),
            Console::default(),
        );
        system.processes = saved
            .processes
            .into_iter()
            .map(|(pid, process)| (pid, Process::from(process)))
            .collect();
        system.files = saved.files;
        system.next_pid = saved.next_pid;
        system.clock = saved.clock;
        system.instructions = saved.instructions;
        system.slice_left = saved.slice_left;
        system.cursor = saved.cursor;
        system.leader = saved.leader;
        system.leader_status = saved.leader_status;
        system.cos_log = saved.cos_log;
        system.hpm_retired = HpmCounters::from(saved.hpm_retired);
        system.cos_decks = saved.cos_decks;
        system
    }
}

impl From<Config> for ConfigV1 {
    fn from(c: Config) -> ConfigV1 {
        ConfigV1 {
            model: c.model,
            memory_words: c.memory_words,
            max_field_words: c.max_field_words,
            max_processes_per_job: c.max_processes_per_job as u64,
            max_open_files: c.max_open_files as u64,
            time_slice: c.time_slice,
            epoch: c.epoch,
            heap_words: c.heap_words,
            uid: c.uid,
            timing: c.timing,
        }
    }
}

impl From<ConfigV1> for Config {
    fn from(c: ConfigV1) -> Config {
        // A count past the host's address space is no limit at all.
        let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Config {
            model: c.model,
            memory_words: c.memory_words,
            max_field_words: c.max_field_words,
            max_processes_per_job: count(c.max_processes_per_job),
            max_open_files: count(c.max_open_files),
            time_slice: c.time_slice,
            epoch: c.epoch,
            heap_words: c.heap_words,
            uid: c.uid,
            timing: c.timing,
        }
    }
}

impl From<Process> for ProcessV1 {
    fn from(p: Process) -> ProcessV1 {
        ProcessV1 {
            pid: p.pid,
            ppid: p.ppid,
            jid: p.jid,
            uid: p.uid,
            cpu: CpuStateV1::from(p.cpu),
            memory: p.memory.into_words(),
            break_floor: p.break_floor,
            fds: p.fds,
            signals: p.signals,
            state: p.state,
            personality: p.personality,
            program: p.program,
            cos: p.cos,
        }
    }
}

impl From<ProcessV1> for Process {
    fn from(p: ProcessV1) -> Process {
        let mut process = Process::new(
            Cpu::from(p.cpu),
            Memory::from_words(p.memory),
            p.break_floor,
            p.personality,
            p.program,
        );
        process.pid = p.pid;
        process.ppid = p.ppid;
        process.jid = p.jid;
        process.uid = p.uid;
        process.fds = p.fds;
        process.signals = p.signals;
        process.state = p.state;
        process.cos = p.cos;
        process
    }
}

impl From<Cpu> for CpuStateV1 {
    fn from(c: Cpu) -> CpuStateV1 {
        CpuStateV1 {
            model: c.model,
            p: c.p,
            a: c.a,
            s: c.s,
            v: c.v,
            b: c.b,
            t: c.t,
            vl: c.vl,
            vm: c.vm,
            flags: c.flags.0,
            modes: ModesV1::from(c.modes),
            instruction_base: c.instruction_base,
            instruction_limit: c.instruction_limit,
            data_base: c.data_base,
            data_limit: c.data_limit,
            exchange_address: c.exchange_address,
            vector_not_used: c.vector_not_used,
            clock_interval: c.clock_interval,
            clock_countdown: c.clock_countdown,
            shared: SharedRegistersV1::from(c.shared),
            cycles: c.cycles,
            instructions: c.instructions,
            rt_offset: c.rt_offset,
            program_state: c.program_state,
            waiting_on_semaphore: c.waiting_on_semaphore,
            external_interrupts: c.external_interrupts,
            second_vector_logical: c.second_vector_logical,
            processor_number: c.processor_number,
            timing: c.timing,
        }
    }
}

impl From<CpuStateV1> for Cpu {
    fn from(c: CpuStateV1) -> Cpu {
        let mut cpu = Cpu::new(c.model, 0);
        cpu.p = c.p;
        cpu.a = c.a;
        cpu.s = c.s;
        cpu.v = c.v;
        cpu.b = c.b;
        cpu.t = c.t;
        cpu.vl = c.vl;
        cpu.vm = c.vm;
        cpu.flags = Flags(c.flags);
        cpu.modes = Modes::from(c.modes);
        cpu.instruction_base = c.instruction_base;
        cpu.instruction_limit = c.instruction_limit;
        cpu.data_base = c.data_base;
        cpu.data_limit = c.data_limit;
        cpu.exchange_address = c.exchange_address;
        cpu.vector_not_used = c.vector_not_used;
        cpu.clock_interval = c.clock_interval;
        cpu.clock_countdown = c.clock_countdown;
        cpu.shared = SharedRegisters::from(c.shared);
        cpu.cycles = c.cycles;
        cpu.instructions = c.instructions;
        cpu.rt_offset = c.rt_offset;
        cpu.program_state = c.program_state;
        cpu.waiting_on_semaphore = c.waiting_on_semaphore;
        cpu.external_interrupts = c.external_interrupts;
        cpu.second_vector_logical = c.second_vector_logical;
        cpu.processor_number = c.processor_number;
        cpu.timing = c.timing;
        cpu
    }
}

impl From<Modes> for ModesV1 {
    fn from(m: Modes) -> ModesV1 {
        ModesV1 {
            monitor: m.monitor,
            interrupt_on_range: m.interrupt_on_range,
            interrupt_on_float: m.interrupt_on_float,
            bidirectional_memory: m.bidirectional_memory,
            float_error_status: m.float_error_status,
            interrupt_monitor: m.interrupt_monitor,
            enhanced_addressing: m.enhanced_addressing,
            clock_interrupts: m.clock_interrupts,
        }
    }
}

impl From<ModesV1> for Modes {
    fn from(m: ModesV1) -> Modes {
        Modes {
            monitor: m.monitor,
            interrupt_on_range: m.interrupt_on_range,
            interrupt_on_float: m.interrupt_on_float,
            bidirectional_memory: m.bidirectional_memory,
            float_error_status: m.float_error_status,
            interrupt_monitor: m.interrupt_monitor,
            enhanced_addressing: m.enhanced_addressing,
            clock_interrupts: m.clock_interrupts,
        }
    }
}

impl From<SharedRegisters> for SharedRegistersV1 {
    fn from(s: SharedRegisters) -> SharedRegistersV1 {
        SharedRegistersV1 {
            cluster: s.cluster,
            sb: s.sb,
            st: s.st,
            semaphores: s.semaphores,
        }
    }
}

impl From<SharedRegistersV1> for SharedRegisters {
    fn from(s: SharedRegistersV1) -> SharedRegisters {
        SharedRegisters {
            cluster: s.cluster,
            sb: s.sb,
            st: s.st,
            semaphores: s.semaphores,
        }
    }
}

/// The counters in the order both types list them (one list for both directions).
macro_rules! hpm_fields {
    ($from:expr, $to:ident) => {
        $to {
            clock_periods: $from.clock_periods,
            instructions: $from.instructions,
            hold_register: $from.hold_register,
            hold_functional_unit: $from.hold_functional_unit,
            hold_result_bus: $from.hold_result_bus,
            hold_memory: $from.hold_memory,
            hold_instruction_buffer: $from.hold_instruction_buffer,
            hold_branch: $from.hold_branch,
            float_adds: $from.float_adds,
            float_multiplies: $from.float_multiplies,
            float_reciprocals: $from.float_reciprocals,
            vector_instructions: $from.vector_instructions,
            vector_elements: $from.vector_elements,
            memory_references: $from.memory_references,
            bank_conflicts: $from.bank_conflicts,
            instruction_buffer_misses: $from.instruction_buffer_misses,
            branches: $from.branches,
            branches_taken: $from.branches_taken,
        }
    };
}

impl From<HpmCounters> for HpmCountersV1 {
    fn from(h: HpmCounters) -> HpmCountersV1 {
        hpm_fields!(h, HpmCountersV1)
    }
}

impl From<HpmCountersV1> for HpmCounters {
    fn from(h: HpmCountersV1) -> HpmCounters {
        hpm_fields!(h, HpmCounters)
    }
}

#[cfg(test)]
mod tests;
