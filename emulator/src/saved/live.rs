//! The frozen types of every version converted to and from the live types: the only
//! place where the two meet. A pair whose fields match one for one is written by
//! [`convert_struct!`] or [`convert_enum!`]; the CPU, the process and the system are
//! written out because the live types are built by their constructors (their caches
//! and host side are not saved). The timing model's conversion is in
//! `timing::frozen`, beside its private fields.

use super::convert::{convert_by_from, convert_enum, convert_struct, Convert};
use super::v1::{
    AccessV1, AccessedV1, BackingV1, ConfigV1, CosJobV1, CpuStateV1, DatasetItemV1, DescriptionV1,
    ExitStatusV1, FileTableV1, HandlerV1, HpmCountersV1, LocalDatasetV1, ModelV1, ModesV1,
    OpenFileV1, PersonalityV1, PipeV1, ProcessStateV1, ProcessV1, SharedRegistersV1, SignalsV1,
    TerminalInputV1, WaitOnV1,
};
use super::v3::{DeckJobV3, JobDatasetV3, SystemStateV3};
use crate::cos::dataset::DatasetItem;
use crate::cos::deck::catalogue::Access;
use crate::cos::deck::{Accessed, DeckJob, JobDataset};
use crate::cos::job::{Backing, CosJob, LocalDataset};
use crate::cos::{Process, System};
use crate::cpu::{Cpu, Flags, Modes, SharedRegisters};
use crate::isa::Model;
use crate::memory::Memory;
use crate::system::files::{Description, FileTable, OpenFile, Pipe, TerminalInput};
use crate::system::signals::{Handler, Signals};
use crate::system::{Config, Console, ExitStatus, HostRoot, Personality, ProcessState, WaitOn};
use crate::timing::HpmCounters;

convert_enum!(Model <=> ModelV1 { XMp, Cray1 });

convert_struct!(Config <=> ConfigV1 {
    model,
    memory_words,
    max_field_words,
    max_processes_per_job,
    max_open_files,
    time_slice,
    epoch,
    heap_words,
    uid,
    timing,
});

convert_struct!(FileTable <=> FileTableV1 { open, pipes, next_id, terminal });
convert_struct!(OpenFile <=> OpenFileV1 { description, refs });
convert_enum!(Description <=> DescriptionV1 {
    Host { path, readable, writable, append, offset },
    PipeRead { pipe },
    PipeWrite { pipe },
    Stdin,
    Stdout,
    Stderr,
});
convert_struct!(Pipe <=> PipeV1 { buffer, readers, writers });
convert_struct!(TerminalInput <=> TerminalInputV1 { buffer, end });

convert_struct!(Signals <=> SignalsV1 { handlers, pending });
convert_enum!(Handler <=> HandlerV1 { Default, Ignore, Catch(address) });
convert_enum!(ProcessState <=> ProcessStateV1 { Runnable, Blocked(on), Zombie(status) });
convert_enum!(WaitOn <=> WaitOnV1 { PipeRead(pipe), PipeWrite(pipe), Child, Terminal, Driver });
convert_enum!(ExitStatus <=> ExitStatusV1 { Exited(code), Signaled(signal) });
convert_enum!(Personality <=> PersonalityV1 { Unicos, Cos });

convert_struct!(CosJob <=> CosJobV1 {
    control_statement,
    map,
    open,
    dsp_base,
    lft_base,
    buffer_base,
    reprieve,
});
convert_enum!(Backing <=> BackingV1 { File { path, text }, Stdout, Empty, Terminal, Job });
convert_struct!(LocalDataset <=> LocalDatasetV1 {
    name,
    backing,
    slot,
    items,
    item,
    word,
    pending,
    written,
    read_stream,
    read_position,
    write_stream,
});
convert_enum!(DatasetItem <=> DatasetItemV1 {
    Record { words, unused_bits },
    EndOfFile,
    EndOfData,
});

convert_struct!(DeckJob <=> DeckJobV3 {
    job_name,
    user,
    number,
    statements,
    next,
    step,
    aborted,
    datasets,
    conditions,
    symbols,
    deferred,
    field_length,
});
convert_struct!(JobDataset <=> JobDatasetV3 {
    items,
    position,
    open_base,
    modified,
    permanent,
    unblocked,
});
convert_struct!(Accessed <=> AccessedV1 { pdn, id, own, edition, access });
convert_enum!(Access <=> AccessV1 { None, Execute, Read, Write, Maintenance });

convert_struct!(Modes <=> ModesV1 {
    monitor,
    interrupt_on_range,
    interrupt_on_float,
    bidirectional_memory,
    float_error_status,
    interrupt_monitor,
    enhanced_addressing,
    clock_interrupts,
});
convert_struct!(SharedRegisters <=> SharedRegistersV1 { cluster, sb, st, semaphores });
convert_struct!(HpmCounters <=> HpmCountersV1 {
    clock_periods,
    instructions,
    hold_register,
    hold_functional_unit,
    hold_result_bus,
    hold_memory,
    hold_instruction_buffer,
    hold_branch,
    float_adds,
    float_multiplies,
    float_reciprocals,
    vector_instructions,
    vector_elements,
    memory_references,
    bank_conflicts,
    instruction_buffer_misses,
    branches,
    branches_taken,
});

impl From<System> for SystemStateV3 {
    fn from(system: System) -> SystemStateV3 {
        SystemStateV3 {
            config: system.config.into(),
            processes: system.processes.convert(),
            files: system.files.into(),
            next_pid: system.next_pid,
            clock: system.clock,
            instructions: system.instructions,
            slice_left: system.slice_left,
            cursor: system.cursor,
            leader: system.leader,
            leader_status: system.leader_status.convert(),
            cos_log: system.cos_log,
            hpm_retired: system.hpm_retired.into(),
            cos_decks: system.cos_decks.convert(),
        }
    }
}

impl From<SystemStateV3> for System {
    fn from(saved: SystemStateV3) -> System {
        // The host side (root, console, deck host) is attached by the caller.
        let mut system = System::new(saved.config.into(), HostRoot::default(), Console::default());
        system.processes = saved.processes.convert();
        system.files = saved.files.into();
        system.next_pid = saved.next_pid;
        system.clock = saved.clock;
        system.instructions = saved.instructions;
        system.slice_left = saved.slice_left;
        system.cursor = saved.cursor;
        system.leader = saved.leader;
        system.leader_status = saved.leader_status.convert();
        system.cos_log = saved.cos_log;
        system.hpm_retired = saved.hpm_retired.into();
        system.cos_decks = saved.cos_decks.convert();
        system
    }
}

impl From<Process> for ProcessV1 {
    fn from(p: Process) -> ProcessV1 {
        ProcessV1 {
            pid: p.pid,
            ppid: p.ppid,
            jid: p.jid,
            uid: p.uid,
            cpu: p.cpu.into(),
            memory: p.memory.into_words(),
            break_floor: p.break_floor,
            fds: p.fds,
            signals: p.signals.into(),
            state: p.state.into(),
            personality: p.personality.into(),
            program: p.program,
            cos: p.cos.convert(),
        }
    }
}

impl From<ProcessV1> for Process {
    fn from(p: ProcessV1) -> Process {
        let mut process = Process::new(
            p.cpu.into(),
            Memory::from_words(p.memory),
            p.break_floor,
            p.personality.into(),
            p.program,
        );
        process.pid = p.pid;
        process.ppid = p.ppid;
        process.jid = p.jid;
        process.uid = p.uid;
        process.fds = p.fds;
        process.signals = p.signals.into();
        process.state = p.state.into();
        process.cos = p.cos.convert();
        process
    }
}

convert_by_from!(Process, ProcessV1);

impl From<Cpu> for CpuStateV1 {
    fn from(c: Cpu) -> CpuStateV1 {
        CpuStateV1 {
            model: c.model.into(),
            p: c.p,
            a: c.a,
            s: c.s,
            v: c.v,
            b: c.b,
            t: c.t,
            vl: c.vl,
            vm: c.vm,
            flags: c.flags.0,
            modes: c.modes.into(),
            instruction_base: c.instruction_base,
            instruction_limit: c.instruction_limit,
            data_base: c.data_base,
            data_limit: c.data_limit,
            exchange_address: c.exchange_address,
            vector_not_used: c.vector_not_used,
            clock_interval: c.clock_interval,
            clock_countdown: c.clock_countdown,
            shared: c.shared.into(),
            cycles: c.cycles,
            instructions: c.instructions,
            rt_offset: c.rt_offset,
            program_state: c.program_state,
            waiting_on_semaphore: c.waiting_on_semaphore,
            external_interrupts: c.external_interrupts,
            second_vector_logical: c.second_vector_logical,
            processor_number: c.processor_number,
            timing: c.timing.convert(),
        }
    }
}

impl From<CpuStateV1> for Cpu {
    fn from(c: CpuStateV1) -> Cpu {
        let mut cpu = Cpu::new(c.model.into(), 0);
        cpu.p = c.p;
        cpu.a = c.a;
        cpu.s = c.s;
        cpu.v = c.v;
        cpu.b = c.b;
        cpu.t = c.t;
        cpu.vl = c.vl;
        cpu.vm = c.vm;
        cpu.flags = Flags(c.flags);
        cpu.modes = c.modes.into();
        cpu.instruction_base = c.instruction_base;
        cpu.instruction_limit = c.instruction_limit;
        cpu.data_base = c.data_base;
        cpu.data_limit = c.data_limit;
        cpu.exchange_address = c.exchange_address;
        cpu.vector_not_used = c.vector_not_used;
        cpu.clock_interval = c.clock_interval;
        cpu.clock_countdown = c.clock_countdown;
        cpu.shared = c.shared.into();
        cpu.cycles = c.cycles;
        cpu.instructions = c.instructions;
        cpu.rt_offset = c.rt_offset;
        cpu.program_state = c.program_state;
        cpu.waiting_on_semaphore = c.waiting_on_semaphore;
        cpu.external_interrupts = c.external_interrupts;
        cpu.second_vector_logical = c.second_vector_logical;
        cpu.processor_number = c.processor_number;
        cpu.timing = c.timing.convert();
        cpu
    }
}
