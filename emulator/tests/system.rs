//! Programs built from instruction parcels, run by the UNICOS-like kernel.

use cray_emulator::aout::AOut;
use cray_emulator::system::signals::{SIGILL, SIGTERM, SIGUSR1};
use cray_emulator::system::syscalls::*;
use cray_emulator::system::{Config, Console, Event, ExitStatus, HostRoot};
use cray_emulator::System;

/// Word address where a program's data starts (text is padded to it).
const DATA: u64 = 64;

/// A tiny program builder: parcels of text and words of data.
#[derive(Default)]
struct Program {
    text: Vec<u16>,
    data: Vec<u64>,
}

impl Program {
    fn data(&mut self, words: &[u64]) -> u64 {
        let address = DATA + self.data.len() as u64;
        self.data.extend_from_slice(words);
        address
    }

    fn string(&mut self, s: &str) -> u64 {
        let mut bytes = s.as_bytes().to_vec();
        bytes.push(0);
        bytes.resize(bytes.len().div_ceil(8) * 8, 0);
        let words: Vec<u64> = bytes
            .chunks(8)
            .map(|c| u64::from_be_bytes(c.try_into().unwrap()))
            .collect();
        self.data(&words)
    }

    fn here(&self) -> u32 {
        self.text.len() as u32
    }

    /// `Si value` (22-bit constant).
    fn s(&mut self, i: u16, value: u64) {
        assert!(value < 1 << 22);
        self.text
            .extend([0o040000 | i << 6 | (value >> 16) as u16, value as u16]);
    }

    /// `Si Sk`.
    fn s_copy(&mut self, i: u16, k: u16) {
        self.text.push(0o051000 | i << 6 | k);
    }

    /// `Ai Sj`.
    fn a_from_s(&mut self, i: u16, j: u16) {
        self.text.push(0o023000 | i << 6 | j << 3);
    }

    /// `Si disp,Ah`.
    fn load_s(&mut self, i: u16, disp: u64, h: u16) {
        self.text.extend([
            0o120000 | h << 9 | i << 6 | (disp >> 16) as u16,
            disp as u16,
        ]);
    }

    /// `disp,0 Si`.
    fn store_s(&mut self, i: u16, address: u64) {
        self.text
            .extend([0o130000 | i << 6 | (address >> 16) as u16, address as u16]);
    }

    /// A two-parcel jump (opcode 006, 014, 015 ...) to be patched; returns its index.
    fn jump(&mut self, opcode: u16) -> usize {
        self.text.extend([opcode << 9, 0]);
        self.text.len() - 2
    }

    fn patch(&mut self, jump: usize, target: u32) {
        self.text[jump] |= (target >> 16) as u16;
        self.text[jump + 1] = target as u16;
    }

    fn ex(&mut self) {
        self.text.push(0o004000);
    }

    /// A system call whose argument list is fixed; returns the list's address.
    fn call(&mut self, number: u64, args: &[u64]) -> u64 {
        let list = self.data(if args.is_empty() { &[0] } else { args });
        self.s(0, number);
        self.s(1, list);
        self.ex();
        list
    }

    fn aout(&self) -> AOut {
        assert!(self.text.len() <= 4 * DATA as usize);
        let mut parcels = self.text.clone();
        parcels.resize(4 * DATA as usize, 0);
        let text = parcels
            .chunks(4)
            .map(|p| p.iter().fold(0u64, |w, &q| w << 16 | u64::from(q)))
            .collect();
        AOut {
            text,
            data: self.data.clone(),
            bss_words: 0,
            symbols: vec![],
            entry_parcel: 0,
        }
    }
}

fn system(dir: &tempfile::TempDir) -> System {
    let config = Config {
        time_slice: 7,
        memory_words: 1 << 20,
        ..Config::default()
    };
    System::new(config, HostRoot::new(dir.path()), Console::captured())
}

fn run(program: &Program) -> (System, Event, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut system = system(&dir);
    system
        .load("prog", &program.aout(), &["prog".into()], &[])
        .unwrap();
    let event = system.run(10_000_000);
    (system, event, dir)
}

fn stdout(system: &System) -> String {
    String::from_utf8_lossy(system.console().captured_stdout()).into_owned()
}

fn stderr(system: &System) -> String {
    String::from_utf8_lossy(system.console().captured_stderr()).into_owned()
}

fn hello() -> Program {
    let mut p = Program::default();
    let text = p.string("hello\n");
    p.call(SYS_WRITE, &[1, text, 6]);
    p.call(SYS_EXIT, &[3]);
    p
}

#[test]
fn hello_writes_to_stdout_and_exits() {
    let (system, event, _dir) = run(&hello());
    assert_eq!(stdout(&system), "hello\n");
    assert_eq!(
        event,
        Event::Exited {
            status: ExitStatus::Exited(3)
        }
    );
    assert!(system.clock > 0);
    // Two system calls of three instructions each.
    assert_eq!(system.instructions, 6);
}

/// fork; the child exits 7; the parent waits and writes the status word to stdout.
#[test]
fn fork_and_wait_deliver_the_exit_status() {
    let mut p = Program::default();
    let status = p.data(&[0]);
    p.call(SYS_FORK, &[]);
    p.s_copy(0, 1);
    let to_child = p.jump(0o014); // JSZ: S1 (in S0) = 0 in the child
    p.call(SYS_WAIT, &[status]);
    p.call(SYS_WRITE, &[1, status, 8]);
    p.call(SYS_EXIT, &[0]);
    let child = p.here();
    p.patch(to_child, child);
    p.call(SYS_EXIT, &[7]);
    let (system, event, _dir) = run(&p);
    assert_eq!(
        system.console().captured_stdout(),
        (7u64 << 8).to_be_bytes()
    );
    assert_eq!(
        event,
        Event::Exited {
            status: ExitStatus::Exited(0)
        }
    );
    assert!(system.processes.is_empty());
}

/// pipe; the child writes "ping" and exits; the parent closes its write end and
/// copies the pipe to stdout two bytes at a time until end of file.
fn pipe_program() -> Program {
    let mut p = Program::default();
    let fds = p.data(&[0, 0]);
    let buffer = p.data(&[0]);
    let text = p.string("ping");
    p.call(SYS_PIPE, &[fds]);
    p.call(SYS_FORK, &[]);
    p.s_copy(0, 1);
    let to_child = p.jump(0o014);
    p.call(SYS_CLOSE, &[4]);
    let again = p.here();
    p.call(SYS_READ, &[3, buffer, 2]);
    p.s_copy(0, 1);
    let to_done = p.jump(0o014);
    let count = p.call(SYS_WRITE, &[1, buffer, 0]) + 2;
    // The count of the write is patched in at run time: store S1 before the EX.
    let write_at = p.text.len() - 5;
    p.text.truncate(write_at);
    p.store_s(1, count);
    p.s(0, SYS_WRITE);
    p.s(1, count - 2);
    p.ex();
    let back = p.jump(0o006);
    p.patch(back, again);
    let done = p.here();
    p.patch(to_done, done);
    p.call(SYS_WAIT, &[0]);
    p.call(SYS_EXIT, &[0]);
    let child = p.here();
    p.patch(to_child, child);
    p.call(SYS_WRITE, &[4, text, 4]);
    p.call(SYS_EXIT, &[0]);
    p
}

#[test]
fn pipe_carries_bytes_between_processes_and_reaches_eof() {
    let (system, event, _dir) = run(&pipe_program());
    assert_eq!(stdout(&system), "ping");
    assert_eq!(
        event,
        Event::Exited {
            status: ExitStatus::Exited(0)
        }
    );
}

#[test]
fn runs_are_deterministic_whatever_the_budget_chunks() {
    let (a, _, _d1) = run(&pipe_program());
    let (b, _, _d2) = run(&pipe_program());
    assert_eq!(a.state_hash(), b.state_hash());
    assert_eq!(a.clock, b.clock);
    let dir = tempfile::tempdir().unwrap();
    let mut c = system(&dir);
    c.load("prog", &pipe_program().aout(), &["prog".into()], &[])
        .unwrap();
    let mut hashes = Vec::new();
    for _ in 0..100_000 {
        match c.run(13) {
            Event::BudgetExhausted => hashes.push(c.state_hash()),
            Event::Exited { .. } => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(c.clock, a.clock);
    assert_eq!(c.state_hash(), a.state_hash());
    assert_eq!(stdout(&c), "ping");
    // The states along the way differ from each other (the hash sees progress).
    hashes.dedup();
    assert!(hashes.len() > 5);
}

#[test]
fn files_inside_the_root_and_refusals_outside() {
    let mut p = Program::default();
    let name = p.string("f");
    let outside = p.string("../x");
    let etc = p.string("/etc/passwd");
    let text = p.string("abcdef");
    let buffer = p.data(&[0]);
    let errors = p.data(&[0, 0]);
    p.call(SYS_OPEN, &[name, 2 | O_CREAT, 0o644]);
    p.call(SYS_WRITE, &[3, text, 6]);
    p.call(SYS_LSEEK, &[3, 2, 0]);
    p.call(SYS_READ, &[3, buffer, 3]);
    p.call(SYS_WRITE, &[1, buffer, 3]);
    p.call(SYS_CLOSE, &[3]);
    p.call(SYS_OPEN, &[outside, 1 | O_CREAT, 0]);
    p.store_s(0, errors);
    p.call(SYS_OPEN, &[etc, 0, 0]);
    p.store_s(0, errors + 1);
    p.call(SYS_WRITE, &[1, errors, 16]);
    p.call(SYS_EXIT, &[0]);
    let (system, _, dir) = run(&p);
    let out = system.console().captured_stdout();
    assert_eq!(&out[..3], b"cde");
    assert_eq!(out[3..11], 13u64.to_be_bytes(), "EACCES for ../x");
    assert_eq!(out[11..19], 13u64.to_be_bytes(), "EACCES for /etc/passwd");
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"abcdef");
    assert!(!dir.path().parent().unwrap().join("x").exists());
}

/// The child executes an undefined instruction; the parent collects SIGILL and goes on.
#[test]
fn hardware_error_kills_only_the_faulting_process() {
    let undefined = (0u16..=u16::MAX)
        .find(|&parcel| {
            cray_emulator::isa::form_of(parcel, cray_emulator::isa::Model::XMp).is_none()
        })
        .expect("an undefined parcel exists");
    let mut p = Program::default();
    let status = p.data(&[0]);
    p.call(SYS_FORK, &[]);
    p.s_copy(0, 1);
    let to_child = p.jump(0o014);
    p.call(SYS_WAIT, &[status]);
    p.call(SYS_WRITE, &[1, status, 8]);
    p.call(SYS_EXIT, &[5]);
    let child = p.here();
    p.patch(to_child, child);
    p.text.push(undefined);
    let (system, event, _dir) = run(&p);
    assert_eq!(
        event,
        Event::Exited {
            status: ExitStatus::Exited(5)
        }
    );
    assert_eq!(
        system.console().captured_stdout(),
        u64::from(SIGILL).to_be_bytes()
    );
    let message = stderr(&system);
    assert!(message.contains("pid 2"), "{message}");
    assert!(message.contains(&format!("P={child:o}")), "{message}");
    assert!(message.contains(&format!("{undefined:06o}")), "{message}");
    assert!(message.contains("SIGILL"), "{message}");
}

#[test]
fn error_exit_in_the_only_process_ends_the_job_with_a_signal_status() {
    let mut p = Program::default();
    p.text.push(0o000000);
    let (system, event, _dir) = run(&p);
    assert_eq!(
        event,
        Event::Exited {
            status: ExitStatus::Signaled(SIGILL)
        }
    );
    assert!(stderr(&system).contains("ERR"), "{}", stderr(&system));
}

#[test]
fn operand_range_error_ends_the_process_with_sigsegv() {
    let mut p = Program::default();
    p.load_s(1, 0o3_000_000, 0);
    p.call(SYS_EXIT, &[0]);
    let (system, event, _dir) = run(&p);
    assert_eq!(
        event,
        Event::Exited {
            status: ExitStatus::Signaled(cray_emulator::system::signals::SIGSEGV)
        }
    );
    let message = stderr(&system);
    assert!(
        message.contains("pid 1: operand range error at P=0 "),
        "{message}"
    );
}

#[test]
fn jumping_outside_the_field_is_a_program_range_error() {
    let mut p = Program::default();
    let j = p.jump(0o006);
    p.patch(j, 0o7_000_000);
    let (system, event, _dir) = run(&p);
    assert_eq!(
        event,
        Event::Exited {
            status: ExitStatus::Signaled(cray_emulator::system::signals::SIGSEGV)
        }
    );
    let message = stderr(&system);
    assert!(message.contains("program range error"), "{message}");
    assert!(
        message.contains("outside the instruction field"),
        "{message}"
    );
}

/// A handler for SIGUSR1 writes "sig " and returns with J B00; SIGTERM to a child
/// blocked in read ends it with status 15.
#[test]
fn signals_run_handlers_and_default_actions() {
    let mut p = Program::default();
    let sig = p.string("sig ");
    let back = p.string("back\n");
    let status = p.data(&[0]);
    let fds = p.data(&[0, 0]);
    let handler_list = p.call(SYS_SIGNAL, &[u64::from(SIGUSR1), 0]);
    p.call(SYS_GETPID, &[]);
    let kill_list = p.data(&[0, u64::from(SIGUSR1)]);
    p.store_s(1, kill_list);
    p.s(0, SYS_KILL);
    p.s(1, kill_list);
    p.ex();
    p.call(SYS_WRITE, &[1, back, 5]);
    // A child blocked reading an empty pipe, killed with SIGTERM.
    p.call(SYS_PIPE, &[fds]);
    p.call(SYS_FORK, &[]);
    p.s_copy(0, 1);
    let to_child = p.jump(0o014);
    let term_list = p.data(&[0, u64::from(SIGTERM)]);
    p.store_s(1, term_list);
    p.s(0, SYS_KILL);
    p.s(1, term_list);
    p.ex();
    p.call(SYS_WAIT, &[status]);
    p.call(SYS_WRITE, &[1, status, 8]);
    p.call(SYS_EXIT, &[0]);
    let child = p.here();
    p.patch(to_child, child);
    let buffer = p.data(&[0]);
    p.call(SYS_READ, &[3, buffer, 1]);
    p.call(SYS_EXIT, &[9]);
    let handler = p.here();
    p.call(SYS_WRITE, &[1, sig, 4]);
    p.text.push(0o005000); // J B00
    p.data[(handler_list - DATA) as usize + 1] = u64::from(handler);
    let (system, event, _dir) = run(&p);
    let out = system.console().captured_stdout();
    assert_eq!(&out[..9], b"sig back\n");
    assert_eq!(out[9..], u64::from(SIGTERM).to_be_bytes());
    assert_eq!(
        event,
        Event::Exited {
            status: ExitStatus::Exited(0)
        }
    );
}

/// exece replaces the program; the new one writes its argv[1] (S2 = argv address).
#[test]
fn exece_runs_an_aout_with_arguments() {
    let mut q = Program::default();
    let list = q.data(&[1, 0, 3]);
    q.a_from_s(1, 2);
    q.load_s(3, 1, 1);
    q.store_s(3, list + 1);
    q.call(SYS_WRITE, &[]);
    // The call above used a dummy list; point S1 at the real one instead.
    let n = q.text.len();
    q.text.truncate(n - 3);
    q.s(1, list);
    q.ex();
    q.call(SYS_EXIT, &[4]);
    let words = q.aout().to_words();
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();

    let mut p = Program::default();
    let name = p.string("next");
    let arg0 = p.string("next");
    let arg1 = p.string("xyz");
    let argv = p.data(&[arg0, arg1, 0]);
    let missing = p.string("nothing");
    let errno = p.data(&[0]);
    p.call(SYS_EXECE, &[missing, argv, 0]);
    p.store_s(0, errno);
    p.call(SYS_WRITE, &[1, errno, 8]);
    p.call(SYS_EXECE, &[name, argv, 0]);
    p.call(SYS_EXIT, &[1]);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("next"), bytes).unwrap();
    let mut system = system(&dir);
    system
        .load("prog", &p.aout(), &["prog".into()], &[])
        .unwrap();
    let event = system.run(1_000_000);
    let out = system.console().captured_stdout();
    assert_eq!(out[..8], 2u64.to_be_bytes(), "ENOENT");
    assert_eq!(&out[8..], b"xyz");
    assert_eq!(
        event,
        Event::Exited {
            status: ExitStatus::Exited(4)
        }
    );
}

#[test]
fn terminal_input_is_asked_of_the_driver() {
    let mut p = Program::default();
    let buffer = p.data(&[0]);
    p.call(SYS_READ, &[0, buffer, 8]);
    p.call(SYS_WRITE, &[1, buffer, 3]);
    p.call(SYS_READ, &[0, buffer, 8]);
    p.s_copy(0, 1);
    let to_end = p.jump(0o014);
    p.call(SYS_EXIT, &[1]);
    let end = p.here();
    p.patch(to_end, end);
    p.call(SYS_EXIT, &[0]);
    let dir = tempfile::tempdir().unwrap();
    let mut system = system(&dir);
    let pid = system
        .load("prog", &p.aout(), &["prog".into()], &[])
        .unwrap();
    assert_eq!(system.run(1_000_000), Event::InputWanted { pid });
    system.provide_input(b"abc");
    assert_eq!(system.run(1_000_000), Event::InputWanted { pid });
    assert_eq!(
        system.run(1_000_000),
        Event::InputWanted { pid },
        "still waiting"
    );
    assert_eq!(stdout(&system), "abc");
    system.end_input();
    assert_eq!(
        system.run(1_000_000),
        Event::Exited {
            status: ExitStatus::Exited(0)
        }
    );
}

#[test]
fn a_process_waiting_forever_makes_the_system_idle() {
    let mut p = Program::default();
    let fds = p.data(&[0, 0]);
    let buffer = p.data(&[0]);
    p.call(SYS_PIPE, &[fds]);
    p.call(SYS_READ, &[3, buffer, 1]);
    let (_, event, _dir) = run(&p);
    assert_eq!(event, Event::Idle);
}

#[test]
fn budget_bounds_an_endless_loop() {
    let mut p = Program::default();
    let top = p.here();
    let j = p.jump(0o006);
    p.patch(j, top);
    let dir = tempfile::tempdir().unwrap();
    let mut system = system(&dir);
    system.load("loop", &p.aout(), &[], &[]).unwrap();
    assert_eq!(system.run(1000), Event::BudgetExhausted);
    assert!(system.clock >= 1000 && system.clock < 1100);
}

/// Saving the system half way (postcard), restoring it and running on gives the same
/// final state as running straight through.
#[test]
fn a_saved_and_restored_system_ends_in_the_same_state() {
    let (straight, _, _d) = run(&pipe_program());
    let dir = tempfile::tempdir().unwrap();
    let mut first = system(&dir);
    first
        .load("prog", &pipe_program().aout(), &["prog".into()], &[])
        .unwrap();
    assert_eq!(first.run(straight.clock / 2), Event::BudgetExhausted);
    let image = postcard::to_allocvec(&first).unwrap();
    let mut second: System = postcard::from_bytes(&image).unwrap();
    // The ended processes' memory hash and the COS decks are saved beside the
    // serialised state (image sections of their own), as a checkpoint does.
    second.exited_memory = first.exited_memory;
    second.cos_decks = first.cos_decks.clone();
    assert_eq!(second.state_hash(), first.state_hash());
    second.attach(HostRoot::new(dir.path()), Console::captured());
    assert_eq!(
        second.run(10_000_000),
        Event::Exited {
            status: ExitStatus::Exited(0)
        }
    );
    assert_eq!(second.clock, straight.clock);
    assert_eq!(second.state_hash(), straight.state_hash());
    let output = [
        first.console().captured_stdout(),
        second.console().captured_stdout(),
    ]
    .concat();
    assert_eq!(output, b"ping");
}
