//! The saved state round-trips, and version 1 is the layout images were written in.

use super::*;
use crate::isa::Model;
use crate::system::Personality;
use crate::timing::TimingModel;

/// A system with one process whose registers are none of them at their defaults.
fn sample() -> System {
    let mut system = System::new(Config::default(), HostRoot::default(), Console::default());
    let mut cpu = Cpu::new(Model::XMp, 64);
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
    cpu.timing = Some(Box::new(TimingModel::new(Model::XMp)));
    let mut process = Process::new(cpu, Memory::default(), 32, Personality::Unicos, "p".into());
    process.pid = 1;
    process.jid = 1;
    system.processes.insert(1, process);
    system.next_pid = 2;
    system.clock = 123_456;
    system.leader = Some(1);
    system.hpm_retired.branches_taken = 5;
    system
}

#[test]
fn the_current_version_round_trips_every_field() {
    let system = sample();
    let bytes = encode(system.clone()).unwrap();
    let back = decode(STATE_VERSION, &bytes, BTreeMap::new()).unwrap();
    assert_eq!(back.state_hash(), system.state_hash());
    assert_eq!(back.processes, system.processes);
    assert_eq!(back.config, system.config);
}

#[test]
fn version_1_is_the_layout_of_the_live_structs_images_were_written_from() {
    // Until format 1.1 the State section was the live System encoded with postcard.
    let system = sample();
    let old_bytes = postcard::to_stdvec(&system).unwrap();
    let v1: SystemStateV1 = postcard::from_bytes(&old_bytes).unwrap();
    assert_eq!(postcard::to_stdvec(&v1).unwrap(), old_bytes);
    let back = decode(1, &old_bytes, BTreeMap::new()).unwrap();
    assert_eq!(back.state_hash(), system.state_hash());
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
