//! The saved state round-trips, reaches no live type, and its frozen encodings are
//! the bytes pinned in `pinned/`.

use super::v1::{DeckJobV1, PidV1};
use super::*;
use crate::cos::dataset::DatasetItem;
use crate::cos::deck::catalogue::Access;
use crate::cos::deck::{Accessed, JobDataset};
use crate::cos::job::{Backing, CosJob, LocalDataset};
use crate::cos::Process;
use crate::cpu::{Cpu, Flags};
use crate::isa::Model;
use crate::memory::Memory;
use crate::system::files::{Description, Pipe};
use crate::system::signals::Handler;
use crate::system::{Config, Console, ExitStatus, HostRoot, Personality, ProcessState, WaitOn};
use crate::timing::TimingModel;

/// The state of [`sample`] as the live types encoded it when every section was frozen
/// (until format 1.1 the State section was the live `System` encoded with postcard):
/// the layout of version 1. Never rewritten: these bytes are what the frozen types
/// must keep writing and reading.
const PINNED_STATE_V1: &[u8] = include_bytes!("pinned/state-v1.bin");

/// The deck jobs of [`sample`] as the live types encoded them then: the layout of the
/// decks section (kind 18) of format 1.1, which version 2 of the state appends.
const PINNED_DECKS_V1: &[u8] = include_bytes!("pinned/decks-v1.bin");

/// The state of [`sample`] as version 3 writes it: version 2's bytes with the deck
/// job's new fields (an unblocked dataset, a deferred disposition, MEMORY's field
/// length) in their places. Never rewritten.
const PINNED_STATE_V3: &[u8] = include_bytes!("pinned/state-v3.bin");

/// Every frozen type of the saved state. A type reachable from a saved state is one
/// of these, a primitive or a std container ([`frozen_modules_name_no_live_type`]).
const FROZEN_TYPES: [&str; 34] = [
    "SystemStateV1",
    "SystemStateV2",
    "SystemStateV3",
    "DeckJobV3",
    "JobDatasetV3",
    "ConfigV1",
    "ProcessV1",
    "CpuStateV1",
    "ModesV1",
    "SharedRegistersV1",
    "HpmCountersV1",
    "PidV1",
    "FileIdV1",
    "ModelV1",
    "FileTableV1",
    "OpenFileV1",
    "DescriptionV1",
    "PipeV1",
    "TerminalInputV1",
    "SignalsV1",
    "HandlerV1",
    "ProcessStateV1",
    "WaitOnV1",
    "ExitStatusV1",
    "PersonalityV1",
    "CosJobV1",
    "BackingV1",
    "LocalDatasetV1",
    "DatasetItemV1",
    "DeckJobV1",
    "JobDatasetV1",
    "AccessedV1",
    "AccessV1",
    "TimingModelV1",
];

/// A CPU whose registers are none of them at their defaults.
fn sample_cpu(model: Model) -> Cpu {
    let mut cpu = Cpu::new(model, 64);
    cpu.p = 0o1234;
    cpu.a[3] = 7;
    cpu.s[7] = u64::MAX;
    cpu.v[5][63] = 0x8000_0000_0000_0001;
    cpu.b[0o77] = 0o777;
    cpu.t[1] = 42;
    cpu.flags = Flags(Flags::NORMAL_EXIT | Flags::DEADLOCK);
    cpu.modes.enhanced_addressing = true;
    cpu.shared.semaphores = 0x8000_0001;
    cpu.rt_offset = 99;
    cpu.processor_number = 3;
    cpu.timing = Some(Box::new(TimingModel::new(model)));
    cpu
}

/// A COS job with every kind of backing and of dataset item.
fn sample_cos_job() -> CosJob {
    let items = vec![
        DatasetItem::Record {
            words: vec![1, u64::MAX],
            unused_bits: 7,
        },
        DatasetItem::EndOfFile,
        DatasetItem::EndOfData,
    ];
    let dataset = LocalDataset {
        name: "FT05".into(),
        backing: Backing::Job,
        slot: 2,
        items,
        item: 1,
        word: 300,
        pending: vec![5],
        written: true,
        read_stream: Some(vec![9, 8]),
        read_position: 1,
        write_stream: vec![3],
    };
    let file = Backing::File {
        path: "in.txt".into(),
        text: true,
    };
    let backings = [
        file,
        Backing::Stdout,
        Backing::Empty,
        Backing::Terminal,
        Backing::Job,
    ];
    CosJob {
        control_statement: "COPY.".into(),
        map: backings
            .into_iter()
            .enumerate()
            .map(|(i, b)| (format!("D{i}"), b))
            .collect(),
        open: BTreeMap::from([(2, dataset)]),
        dsp_base: 0o1000,
        lft_base: 0o2000,
        buffer_base: 0o3000,
        reprieve: Some(0o777),
    }
}

/// A deck job with an accessed permanent dataset and an aborted step.
fn sample_deck() -> DeckJob {
    let mut permanent = JobDataset::holding(vec![DatasetItem::EndOfFile]);
    permanent.position = 1;
    permanent.open_base = 1;
    permanent.modified = true;
    permanent.permanent = Some(Accessed {
        pdn: "DATA".into(),
        id: "X".into(),
        own: "ME".into(),
        edition: 3,
        access: Access::Write,
    });
    DeckJob {
        job_name: "JOB1".into(),
        user: "ME".into(),
        number: 12,
        statements: vec!["JOB,JN=JOB1.".into(), "COPY.".into()],
        next: 2,
        step: Some(1),
        aborted: Some(ExitStatus::Signaled(9)),
        datasets: BTreeMap::from([
            ("$IN".to_string(), JobDataset::empty()),
            ("DATA".to_string(), permanent),
        ]),
        conditions: vec![(true, false)],
        symbols: BTreeMap::from([("J0".to_string(), -5)]),
        deferred: Vec::new(),
        field_length: None,
    }
}

/// Every process state and personality, on both models.
fn sample_processes() -> BTreeMap<Pid, Process> {
    let states = [
        ProcessState::Runnable,
        ProcessState::Blocked(WaitOn::PipeRead(4)),
        ProcessState::Blocked(WaitOn::PipeWrite(4)),
        ProcessState::Blocked(WaitOn::Child),
        ProcessState::Blocked(WaitOn::Terminal),
        ProcessState::Blocked(WaitOn::Driver),
        ProcessState::Zombie(ExitStatus::Exited(3)),
        ProcessState::Zombie(ExitStatus::Signaled(15)),
    ];
    let mut processes = BTreeMap::new();
    for (pid, state) in (1..).zip(states) {
        let cos = pid == 1;
        let model = if pid % 2 == 0 {
            Model::Cray1
        } else {
            Model::XMp
        };
        let personality = if cos {
            Personality::Cos
        } else {
            Personality::Unicos
        };
        let mut process = Process::new(
            sample_cpu(model),
            Memory::default(),
            32,
            personality,
            format!("p{pid}"),
        );
        process.pid = pid;
        process.ppid = pid / 2;
        process.jid = 1;
        process.uid = 100;
        process.state = state;
        process.fds = BTreeMap::from([(0, 0), (1, u64::from(pid))]);
        process.signals.handlers = BTreeMap::from([
            (2, Handler::Ignore),
            (3, Handler::Default),
            (15, Handler::Catch(0o100)),
        ]);
        process.signals.pending = 1 << pid;
        process.cos = cos.then(|| Box::new(sample_cos_job()));
        processes.insert(pid, process);
    }
    processes
}

/// [`sample_v2`] with what version 3 added to a deck job: an unblocked dataset, a
/// deferred disposition and a field length set by MEMORY. Every saved type and every
/// variant of a saved enum occurs in it.
fn sample() -> System {
    let mut system = sample_v2();
    let deck = system.cos_decks.get_mut(&1).expect("the sample's deck");
    deck.datasets
        .insert("$MASTER".to_string(), JobDataset::unblocked(vec![7; 600]));
    deck.deferred = vec![("DATA".to_string(), "DISPOSE,DN=DATA,DEFER.".to_string())];
    deck.field_length = Some(0o200000);
    system
}

/// A system in which every type and variant of version 2 occurs: the sample whose
/// bytes were pinned for versions 1 and 2.
fn sample_v2() -> System {
    let config = Config {
        model: Model::Cray1,
        max_open_files: 7,
        ..Config::default()
    };
    let mut system = System::new(config, HostRoot::default(), Console::default());
    system.processes = sample_processes();
    for description in [
        Description::Stdin,
        Description::Stdout,
        Description::Stderr,
        Description::PipeRead { pipe: 4 },
        Description::PipeWrite { pipe: 4 },
        Description::Host {
            path: "dir/out".into(),
            readable: false,
            writable: true,
            append: true,
            offset: 1 << 40,
        },
    ] {
        system.files.add(description);
    }
    system.files.pipes.insert(
        4,
        Pipe {
            buffer: b"unread".iter().copied().collect(),
            readers: 1,
            writers: 2,
        },
    );
    system.files.terminal.buffer.extend(b"typed");
    system.files.terminal.end = true;
    system.next_pid = 9;
    system.clock = 123_456;
    system.instructions = 789;
    system.slice_left = 10;
    system.cursor = 2;
    system.leader = Some(1);
    system.leader_status = Some(ExitStatus::Signaled(9));
    system.cos_log = vec!["LOG LINE".into()];
    system.hpm_retired.branches_taken = 5;
    system.cos_decks = BTreeMap::from([(1, sample_deck())]);
    system
}

/// Where two byte strings first differ, for a failure message.
fn first_difference(a: &[u8], b: &[u8]) -> String {
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => format!("first difference at byte {i} of {} / {}", a.len(), b.len()),
        None => format!("lengths {} / {}", a.len(), b.len()),
    }
}

#[test]
fn the_current_version_round_trips_every_field() {
    let system = sample();
    let bytes = encode(system.clone()).unwrap();
    let back = decode(STATE_VERSION, &bytes, BTreeMap::new()).unwrap();
    assert_eq!(back.state_hash(), system.state_hash());
    assert_eq!(back.processes, system.processes);
    assert_eq!(back.config, system.config);
    assert_eq!(back.files, system.files);
    assert_eq!(back.cos_decks, system.cos_decks);
}

#[test]
fn the_live_sample_is_written_as_the_pinned_bytes_of_version_3() {
    let bytes = encode(sample()).unwrap();
    assert!(
        bytes == PINNED_STATE_V3,
        "{}",
        first_difference(&bytes, PINNED_STATE_V3)
    );
    let frozen: SystemStateV3 = postcard::from_bytes(PINNED_STATE_V3).unwrap();
    assert_eq!(postcard::to_stdvec(&frozen).unwrap(), PINNED_STATE_V3);
    // Up to the decks it is version 1's layout, as version 2 is.
    assert!(PINNED_STATE_V3.starts_with(PINNED_STATE_V1));
}

#[test]
fn a_version_2_state_still_restores_as_the_sample_it_was() {
    // Version 2 is version 1 with the decks appended, in the layout section 18 had:
    // the bytes every format 1.2 image holds.
    let pinned = [PINNED_STATE_V1, PINNED_DECKS_V1].concat();
    let frozen: SystemStateV2 = postcard::from_bytes(&pinned).unwrap();
    assert_eq!(postcard::to_stdvec(&frozen).unwrap(), pinned);
    let system = sample_v2();
    let back = decode(2, &pinned, BTreeMap::new()).unwrap();
    assert_eq!(back.state_hash(), system.state_hash());
    assert_eq!(back.processes, system.processes);
    assert_eq!(back.files, system.files);
    assert_eq!(back.cos_decks, system.cos_decks);
    // Migrated: no disposition deferred, the default field length, all blocked.
    let deck = &back.cos_decks[&1];
    assert!(deck.deferred.is_empty() && deck.field_length.is_none());
    assert!(deck.datasets.values().all(|d| d.unblocked.is_none()));
    // Written again, it is version 3 and holds the same system.
    let again = decode(STATE_VERSION, &encode(back).unwrap(), BTreeMap::new()).unwrap();
    assert_eq!(again.state_hash(), system.state_hash());
}

#[test]
fn the_pinned_bytes_of_version_1_decode_to_the_live_sample_and_encode_again() {
    let system = sample_v2();
    let frozen: SystemStateV1 = postcard::from_bytes(PINNED_STATE_V1).unwrap();
    let again = postcard::to_stdvec(&frozen).unwrap();
    assert!(
        again == PINNED_STATE_V1,
        "{}",
        first_difference(&again, PINNED_STATE_V1)
    );
    let decks = decode_v1_decks(PINNED_DECKS_V1).unwrap();
    assert_eq!(decks, system.cos_decks);
    let back = decode(1, PINNED_STATE_V1, decks).unwrap();
    assert_eq!(back.state_hash(), system.state_hash());
    assert_eq!(back.processes, system.processes);
    assert_eq!(back.files, system.files);
}

#[test]
fn the_pinned_decks_decode_with_every_byte_and_encode_again() {
    let (decks, rest) =
        postcard::take_from_bytes::<BTreeMap<PidV1, DeckJobV1>>(PINNED_DECKS_V1).unwrap();
    assert!(rest.is_empty(), "{} bytes left over", rest.len());
    assert_eq!(postcard::to_stdvec(&decks).unwrap(), PINNED_DECKS_V1);
}

#[test]
fn a_newer_version_is_refused_naming_it_and_the_newest_known() {
    let bytes = encode(sample()).unwrap();
    let error = decode(STATE_VERSION + 1, &bytes, BTreeMap::new()).unwrap_err();
    assert!(matches!(error, StateError::Newer { version } if version == STATE_VERSION + 1));
    let message = error.to_string();
    assert!(
        message.contains(&format!("version {}", STATE_VERSION + 1)),
        "{message}"
    );
    assert!(
        message.contains(&format!("1 to {STATE_VERSION}")),
        "{message}"
    );
    assert!(matches!(
        decode(0, &bytes, BTreeMap::new()),
        Err(StateError::Unknown { version: 0 })
    ));
}

#[test]
fn a_state_that_is_not_its_version_is_a_decode_error() {
    let error = decode(STATE_VERSION, &[1, 2, 3], BTreeMap::new()).unwrap_err();
    assert!(matches!(error, StateError::Decode { .. }), "{error}");
}

/// The source of every version module, by name.
const FROZEN_MODULES: [(&str, &str); 3] = [
    ("v1.rs", include_str!("v1.rs")),
    ("v2.rs", include_str!("v2.rs")),
    ("v3.rs", include_str!("v3.rs")),
];

/// Names a frozen module may use besides its frozen types: primitives' companions,
/// std containers, serde's derives and enum variant constructors.
const ALLOWED_NAMES: [&str; 11] = [
    "Option",
    "Some",
    "None",
    "Box",
    "Vec",
    "VecDeque",
    "BTreeMap",
    "String",
    "Serialize",
    "Deserialize",
    "Self",
];

/// The code of `source` without comments, doc comments and attributes.
fn code_lines(source: &str) -> impl Iterator<Item = &str> {
    source
        .lines()
        .map(|line| line.split("//").next().unwrap_or("").trim())
        .filter(|line| !line.is_empty() && !line.starts_with("#["))
}

/// The capitalised identifiers of `line`, each with whether it starts the line and
/// is followed by `(`, `{` or `,` (an enum variant).
fn capitalised_names(line: &str) -> Vec<(&str, bool)> {
    let mut names = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find(|c: char| c.is_ascii_uppercase()) {
        let preceded = rest[..start]
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        if !preceded {
            let follower = tail[end..].trim_start().chars().next();
            let variant = std::ptr::eq(rest, line)
                && start == 0
                && matches!(follower, Some('(' | '{' | ',') | None);
            names.push((&tail[..end], variant));
        }
        rest = &tail[end..];
    }
    names
}

#[test]
fn frozen_modules_name_no_live_type() {
    let frozen = FROZEN_TYPES;
    for (module, source) in FROZEN_MODULES {
        for line in code_lines(source) {
            // Only std, serde and the frozen modules are imported; the one path into
            // the crate is its serde helper for long arrays (a format, not a type).
            if line.starts_with("use ") {
                let allowed = ["use serde::", "use std::", "use super::v"];
                assert!(
                    allowed.iter().any(|a| line.starts_with(a)),
                    "{module}: {line}"
                );
            }
            let crate_paths = line.matches("crate::").count();
            let helper = line.matches("\"crate::serde_arrays").count();
            assert_eq!(crate_paths, helper, "{module} names a live item: {line}");
            for (name, variant) in capitalised_names(line) {
                assert!(
                    variant || frozen.contains(&name) || ALLOWED_NAMES.contains(&name),
                    "{module} names {name}, which is not a frozen type: {line}"
                );
            }
        }
        // Every type a frozen module defines is listed above.
        for line in code_lines(source) {
            for keyword in ["pub struct ", "pub enum ", "pub type "] {
                if let Some(rest) = line.strip_prefix(keyword) {
                    let name = rest.split([' ', '<', '=', '(', ';']).next().unwrap();
                    assert!(frozen.contains(&name), "{module}: {name} is not listed");
                }
            }
        }
    }
}
