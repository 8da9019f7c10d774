//! Kernel tests that make system calls directly, without executing instructions.

use super::errno::Errno;
use super::syscalls::*;
use super::*;
use crate::aout::AOut;

/// These tests run a.out programs only: the kernel without a foreign personality.
type System = super::System<NativeOnly>;

const ARGS: u64 = 100;
const STRINGS: u64 = 200;
const BUFFER: u64 = 300;

struct Fixture {
    _dir: tempfile::TempDir,
    system: System,
    pid: Pid,
}

fn fixture(config: Config) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut system = System::new(config, HostRoot::new(dir.path()), Console::captured());
    let program = AOut {
        text: vec![0o004000 << 48],
        data: vec![],
        bss_words: 0,
        symbols: vec![],
        entry_parcel: 0,
    };
    let pid = system.load("t", &program, &["t".into()], &[]).unwrap();
    Fixture {
        _dir: dir,
        system,
        pid,
    }
}

fn small() -> Config {
    Config {
        heap_words: 1000,
        memory_words: 10_000,
        max_open_files: 6,
        max_processes_per_job: 3,
        ..Config::default()
    }
}

impl Fixture {
    /// Makes call `number` as `pid`; returns (S1, S0).
    fn call_as(&mut self, pid: Pid, number: u64, args: &[u64]) -> (u64, u64) {
        let process = self.system.processes.get_mut(&pid).unwrap();
        for (i, &a) in args.iter().enumerate() {
            process.memory.write(ARGS as u32 + i as u32, a);
        }
        process.cpu.s[0] = number;
        process.cpu.s[1] = ARGS;
        process.cpu.p = 1;
        self.system.system_call(pid, 0);
        let cpu = &self.system.processes[&pid].cpu;
        (cpu.s[1], cpu.s[0])
    }

    fn call(&mut self, number: u64, args: &[u64]) -> (u64, u64) {
        self.call_as(self.pid, number, args)
    }

    fn string(&mut self, at: u64, s: &str) -> u64 {
        let memory = &mut self.system.processes.get_mut(&self.pid).unwrap().memory;
        let mut bytes = s.as_bytes().to_vec();
        bytes.push(0);
        guest::write_bytes(memory, at, &bytes).unwrap();
        at
    }

    fn bytes(&self, at: u64, n: u64) -> Vec<u8> {
        guest::read_bytes(&self.system.processes[&self.pid].memory, at, n).unwrap()
    }
}

fn failed(errno: Errno) -> (u64, u64) {
    (u64::MAX, errno.0)
}

#[test]
fn open_write_seek_read_close() {
    let mut f = fixture(small());
    let path = f.string(STRINGS, "data");
    assert_eq!(f.call(SYS_OPEN, &[path, 2 | O_CREAT, 0o644]), (3, 0));
    f.string(BUFFER, "abcdef");
    assert_eq!(f.call(SYS_WRITE, &[3, BUFFER, 6]), (6, 0));
    assert_eq!(f.call(SYS_LSEEK, &[3, 2, 0]), (2, 0));
    assert_eq!(f.call(SYS_READ, &[3, BUFFER + 10, 3]), (3, 0));
    assert_eq!(f.bytes(BUFFER + 10, 3), b"cde");
    assert_eq!(f.call(SYS_LSEEK, &[3, (-1i64) as u64, 2]), (5, 0));
    assert_eq!(
        f.call(SYS_LSEEK, &[3, (-9i64) as u64, 1]),
        failed(Errno::EINVAL)
    );
    assert_eq!(f.call(SYS_CLOSE, &[3]), (0, 0));
    assert_eq!(f.call(SYS_CLOSE, &[3]), failed(Errno::EBADF));
    assert_eq!(f.call(SYS_READ, &[3, BUFFER, 1]), failed(Errno::EBADF));
    assert_eq!(
        std::fs::read(f.system.root().path().join("data")).unwrap(),
        b"abcdef"
    );
    assert_eq!(
        f.call(SYS_OPEN, &[path, 2 | O_CREAT | O_EXCL, 0]),
        failed(Errno::EEXIST)
    );
    assert_eq!(f.call(SYS_UNLINK, &[path]), (0, 0));
    assert_eq!(f.call(SYS_OPEN, &[path, 0, 0]), failed(Errno::ENOENT));
}

#[test]
fn dup_and_fork_share_the_offset() {
    let mut f = fixture(small());
    std::fs::write(f.system.root().path().join("in"), b"0123456789").unwrap();
    let path = f.string(STRINGS, "in");
    assert_eq!(f.call(SYS_OPEN, &[path, 0, 0]), (3, 0));
    assert_eq!(f.call(SYS_DUP, &[3]), (4, 0));
    assert_eq!(f.call(SYS_READ, &[3, BUFFER, 2]), (2, 0));
    assert_eq!(f.call(SYS_READ, &[4, BUFFER, 2]), (2, 0));
    assert_eq!(f.bytes(BUFFER, 2), b"23");
    let (child, errno) = f.call(SYS_FORK, &[]);
    assert_eq!(errno, 0);
    let child = child as Pid;
    assert_eq!(f.system.processes[&child].cpu.s[1], 0);
    assert_eq!(f.call_as(child, SYS_READ, &[3, BUFFER, 2]), (2, 0));
    assert_eq!(f.call(SYS_READ, &[4, BUFFER, 2]), (2, 0));
    assert_eq!(f.bytes(BUFFER, 2), b"67");
    assert_eq!(f.call_as(child, SYS_GETPPID, &[]), (u64::from(f.pid), 0));
    assert_eq!(f.call_as(child, SYS_GETJID, &[]), (u64::from(f.pid), 0));
}

#[test]
fn sandbox_refusals_are_eacces() {
    let mut f = fixture(small());
    let outside = f.system.root().path().parent().unwrap().join("x");
    for (i, name) in ["../x", "/etc/passwd", "a/../../x"].iter().enumerate() {
        let path = f.string(STRINGS + 20 * i as u64, name);
        assert_eq!(
            f.call(SYS_OPEN, &[path, 1 | O_CREAT, 0]),
            failed(Errno::EACCES),
            "{name}"
        );
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc", f.system.root().path().join("etc")).unwrap();
        let path = f.string(STRINGS, "etc/passwd");
        assert_eq!(f.call(SYS_OPEN, &[path, 0, 0]), failed(Errno::EACCES));
        assert_eq!(f.call(SYS_UNLINK, &[path]), failed(Errno::EACCES));
    }
    assert!(!outside.exists());
}

#[test]
fn descriptor_limit_gives_emfile() {
    let mut f = fixture(small());
    let path = f.string(STRINGS, "f");
    assert_eq!(f.call(SYS_OPEN, &[path, 1 | O_CREAT, 0]), (3, 0));
    assert_eq!(f.call(SYS_DUP, &[3]), (4, 0));
    assert_eq!(f.call(SYS_DUP, &[3]), (5, 0));
    assert_eq!(f.call(SYS_DUP, &[3]), failed(Errno::EMFILE));
    assert_eq!(f.call(SYS_OPEN, &[path, 0, 0]), failed(Errno::EMFILE));
    assert_eq!(f.call(SYS_PIPE, &[BUFFER]), failed(Errno::EMFILE));
    assert_eq!(f.call(SYS_CLOSE, &[0]), (0, 0));
    assert_eq!(f.call(SYS_DUP, &[3]), (0, 0), "lowest free fd");
}

#[test]
fn memory_and_process_limits() {
    let mut f = fixture(small());
    let field = f.system.processes[&f.pid].field_words();
    assert_eq!(f.call(SYS_BRK, &[0]), (field, 0));
    assert_eq!(f.call(SYS_BRK, &[20_000]), failed(Errno::ENOMEM));
    assert_eq!(f.call(SYS_BRK, &[1]), failed(Errno::EINVAL));
    assert_eq!(f.call(SYS_BRK, &[3000]), (3000, 0));
    assert_eq!(f.system.processes[&f.pid].cpu.data_limit, 3000);
    // Three fields of 3000 fit in 10000; a fourth does not, and the job limit is 3.
    assert_eq!(f.call(SYS_FORK, &[]).1, 0);
    assert_eq!(f.call(SYS_FORK, &[]).1, 0);
    assert_eq!(f.call(SYS_FORK, &[]), failed(Errno::EAGAIN));
    let mut g = fixture(Config {
        max_processes_per_job: 10,
        ..small()
    });
    assert_eq!(g.call(SYS_BRK, &[4000]), (4000, 0));
    assert_eq!(g.call(SYS_FORK, &[]).1, 0);
    assert_eq!(g.call(SYS_FORK, &[]), failed(Errno::ENOMEM));
}

#[test]
fn load_refuses_programs_beyond_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mut system = System::new(
        Config {
            memory_words: 100,
            ..Config::default()
        },
        HostRoot::new(dir.path()),
        Console::captured(),
    );
    let program = AOut {
        text: vec![0],
        data: vec![],
        bss_words: 0,
        symbols: vec![],
        entry_parcel: 0,
    };
    let error = system.load("big", &program, &[], &[]).unwrap_err();
    assert!(error.to_string().contains("big"), "{error}");
}

#[test]
fn wait_collects_status_and_echild() {
    let mut f = fixture(small());
    assert_eq!(f.call(SYS_WAIT, &[0]), failed(Errno::ECHILD));
    let child = f.call(SYS_FORK, &[]).0 as Pid;
    assert_eq!(
        f.call(SYS_WAITPID, &[u64::from(child), BUFFER, WNOHANG]),
        (0, 0)
    );
    f.call(SYS_WAIT, &[BUFFER]);
    assert_eq!(
        f.system.processes[&f.pid].state,
        ProcessState::Blocked(WaitOn::Child)
    );
    assert_eq!(f.system.processes[&f.pid].cpu.p, 0, "P back at the EX");
    f.call_as(child, SYS_EXIT, &[7]);
    assert_eq!(f.system.processes[&f.pid].state, ProcessState::Runnable);
    assert_eq!(f.call(SYS_WAIT, &[BUFFER]), (u64::from(child), 0));
    assert_eq!(
        f.system.processes[&f.pid].memory.read(BUFFER as u32),
        Some(7 << 8)
    );
    assert!(!f.system.processes.contains_key(&child));
}

#[test]
fn pipes_block_wake_and_raise_sigpipe() {
    let mut f = fixture(small());
    assert_eq!(f.call(SYS_PIPE, &[BUFFER]), (0, 0));
    let memory = &f.system.processes[&f.pid].memory;
    assert_eq!(
        (memory.read(BUFFER as u32), memory.read(BUFFER as u32 + 1)),
        (Some(3), Some(4))
    );
    let child = f.call(SYS_FORK, &[]).0 as Pid;
    f.call_as(child, SYS_READ, &[3, BUFFER, 10]);
    assert_eq!(
        f.system.processes[&child].state,
        ProcessState::Blocked(WaitOn::PipeRead(3))
    );
    f.string(STRINGS, "hi");
    assert_eq!(f.call(SYS_WRITE, &[4, STRINGS, 2]), (2, 0));
    assert_eq!(f.system.processes[&child].state, ProcessState::Runnable);
    assert_eq!(f.call_as(child, SYS_READ, &[3, BUFFER, 10]), (2, 0));
    // Every reader gone: EPIPE and SIGPIPE.
    f.call(SYS_CLOSE, &[3]);
    f.call_as(child, SYS_CLOSE, &[3]);
    assert_eq!(f.call(SYS_WRITE, &[4, STRINGS, 2]), failed(Errno::EPIPE));
    assert_eq!(
        f.system.processes[&f.pid].signals.pending,
        1 << signals::SIGPIPE
    );
}

#[test]
fn signals_and_kill() {
    let mut f = fixture(small());
    let child = f.call(SYS_FORK, &[]).0 as Pid;
    assert_eq!(
        f.call(SYS_SIGNAL, &[u64::from(signals::SIGUSR1), 0o20]),
        (0, 0)
    );
    assert_eq!(
        f.call(SYS_SIGNAL, &[u64::from(signals::SIGUSR1), 1]),
        (0o20, 0)
    );
    assert_eq!(
        f.call(SYS_SIGNAL, &[u64::from(signals::SIGKILL), 1]),
        failed(Errno::EINVAL)
    );
    assert_eq!(f.call(SYS_KILL, &[999, 15]), failed(Errno::ESRCH));
    assert_eq!(f.call(SYS_KILL, &[u64::from(child), 15]), (0, 0));
    assert_eq!(f.system.processes[&child].signals.pending, 1 << 15);
    assert_eq!(f.call(SYS_TIME, &[]), (0, 0));
    assert_eq!(f.call(999, &[]), failed(Errno::ENOSYS));
}

#[test]
fn bad_argument_addresses_are_efault() {
    let mut f = fixture(small());
    let field = f.system.processes[&f.pid].field_words();
    assert_eq!(f.call(SYS_WRITE, &[1, field - 1, 9]), failed(Errno::EFAULT));
    assert_eq!(f.call(SYS_OPEN, &[field + 5, 0, 0]), failed(Errno::EFAULT));
    let process = f.system.processes.get_mut(&f.pid).unwrap();
    process.cpu.s[0] = SYS_WRITE;
    process.cpu.s[1] = u64::MAX;
    f.system.system_call(f.pid, 0);
    assert_eq!(f.system.processes[&f.pid].cpu.s[0], Errno::EFAULT.0);
}

#[test]
fn chkpnt_reports_and_completes() {
    let mut f = fixture(small());
    let path = f.string(STRINGS, "img");
    let process = f.system.processes.get_mut(&f.pid).unwrap();
    process.memory.write(ARGS as u32, 1);
    process.memory.write(ARGS as u32 + 2, path);
    process.memory.write(ARGS as u32 + 3, 1);
    process.cpu.s[0] = SYS_CHKPNT;
    process.cpu.s[1] = ARGS;
    let event = f.system.system_call(f.pid, 0).unwrap();
    assert_eq!(
        event,
        Event::CheckpointRequested {
            pid: f.pid,
            kind: CheckpointKind::Job,
            id: f.pid,
            path: "img".into(),
            kill: true
        }
    );
    assert_eq!(f.system.processes[&f.pid].cpu.s[1], 1);
    f.system.checkpoint_done(&event, Ok(()));
    assert_eq!(f.system.processes[&f.pid].cpu.s[1], 0);
    assert_eq!(
        f.system.processes[&f.pid].signals.pending,
        1 << signals::SIGKILL
    );
}

#[test]
fn state_round_trips_through_serde() {
    let f = fixture(small());
    let bytes = postcard::to_allocvec(&f.system).unwrap();
    let back: System = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(back.state_hash(), f.system.state_hash());
    assert_eq!(back.processes, f.system.processes);
}

#[test]
fn time_is_epoch_plus_machine_clock() {
    let mut f = fixture(Config {
        epoch: 1000,
        ..small()
    });
    assert_eq!(f.call(SYS_TIME, &[]), (1000, 0));
    // 9.5 ns periods: 210526316 periods are a little over 2 seconds.
    f.system.clock = 210_526_316;
    assert_eq!(f.call(SYS_TIME, &[]), (1002, 0));
}

#[test]
fn consistency_check_names_each_broken_invariant() {
    let f = fixture(small());
    assert_eq!(f.system.check_consistency(), Ok(()));
    let broken = |change: &dyn Fn(&mut System)| {
        let mut system = f.system.clone();
        change(&mut system);
        system.check_consistency().unwrap_err().to_string()
    };
    let pid = f.pid;
    let e = broken(&|s| s.processes.get_mut(&pid).unwrap().pid = pid + 70);
    assert!(
        e.contains(&format!("entry {pid} holds pid {}", pid + 70)),
        "{e}"
    );
    let e = broken(&|s| s.next_pid = pid);
    assert!(e.contains("next pid"), "{e}");
    let e = broken(&|s| s.processes.get_mut(&pid).unwrap().cpu.cycles = s.clock + 1);
    assert!(e.contains("more than the machine clock"), "{e}");
    let e = broken(&|s| s.clock = u64::MAX);
    assert!(e.contains("machine clock"), "{e}");
    let e = broken(&|s| {
        s.processes.get_mut(&pid).unwrap().fds.insert(9, 0o777);
    });
    assert!(e.contains("descriptor 9 refers to open file 511"), "{e}");
    let e = broken(&|s| s.hpm_retired.bank_conflicts = u64::MAX);
    assert!(
        e.contains("hardware performance counter bank_conflicts totals"),
        "{e}"
    );
}
