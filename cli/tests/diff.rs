//! `cray diff` names every register and every kernel field that differs: an image is
//! taken, a copy of its state is changed in one place of each register class and of
//! each kind of kernel field, and diff must name each change exactly.

mod common;

use common::{cray, image, text, STOPPED};
use cray_emulator::system::files::Pipe;
use cray_emulator::system::HostRoot;
use cray_emulator::System;
use cray_sysimage::system_image::{restore, save, SaveOptions, Selection};
use std::path::Path;

/// daxpy stopped mid-run, checkpointed to `dir/a.chk`.
fn checkpoint(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("a.chk");
    let out = cray()
        .args(["run", "--stop-at", "300000", "--checkpoint"])
        .arg(&path)
        .arg(image("daxpy.cal"))
        .current_dir(dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(STOPPED), "{}", text(&out.stderr));
    path
}

/// Changes one thing of every register class of process 1, and the expected line.
fn change_registers(system: &mut System) -> Vec<&'static str> {
    let cpu = &mut system.processes.get_mut(&1).unwrap().cpu;
    cpu.p ^= 1;
    cpu.a[2] = 0o7777777;
    cpu.s[6] = 0o17;
    cpu.v[5][9] = 0o33;
    cpu.b[0o12] = 0o44;
    cpu.t[0o70] = 0o55;
    cpu.vl = 3;
    cpu.vm = 1;
    cpu.flags.set(cray_emulator::cpu::Flags::DEADLOCK);
    cpu.modes.enhanced_addressing = !cpu.modes.enhanced_addressing;
    cpu.data_limit -= 1;
    cpu.instruction_base += 1;
    cpu.shared.sb[4] = 0o66;
    cpu.shared.st[7] = 0o77;
    cpu.shared.semaphores = 1;
    cpu.cycles += 1;
    cpu.rt_offset = 5;
    cpu.processor_number = 2;
    vec![
        "pid 1: P ",
        "pid 1: A2 ",
        "pid 1: S6 ",
        "pid 1: V5 element 9 ",
        "pid 1: B12 ",
        "pid 1: T70 ",
        "pid 1: VL ",
        "pid 1: VM ",
        "pid 1: flags ",
        "pid 1: modes ",
        "pid 1: DLA ",
        "pid 1: IBA ",
        "pid 1: SB4 ",
        "pid 1: ST7 ",
        "pid 1: SM ",
        "pid 1: cycles ",
        "pid 1: RT offset 0 -> 5",
        "pid 1: PN 0 -> 2",
    ]
}

/// Changes one field of each kind of kernel state, and the expected lines.
fn change_kernel(system: &mut System) -> Vec<&'static str> {
    let process = system.processes.get_mut(&1).unwrap();
    process.signals.pending |= 1 << 15;
    let stdout = process.fds[&1];
    process.fds.insert(9, stdout);
    system.slice_left += 7;
    system.next_pid += 1;
    system.files.pipes.insert(
        77,
        Pipe {
            buffer: b"x".iter().copied().collect(),
            readers: 1,
            writers: 0,
        },
    );
    vec![
        "pid 1: signals.pending ",
        "pid 1: descriptor 9 (none) -> ",
        "kernel: slice_left ",
        "kernel: next_pid ",
        "kernel: pipe 77 (none) -> ",
    ]
}

#[test]
fn diff_names_every_register_class_and_kernel_field_that_differs() {
    let dir = tempfile::tempdir().unwrap();
    let a = checkpoint(dir.path());
    let mut system = restore(&a, &HostRoot::new(dir.path()), false)
        .unwrap()
        .system;
    let mut expected = change_registers(&mut system);
    expected.extend(change_kernel(&mut system));
    let b = dir.path().join("b.chk");
    save(
        &mut system,
        Selection::Job(1),
        SaveOptions::default(),
        "diff test",
        &b,
    )
    .unwrap();

    let out = cray().arg("diff").arg(&a).arg(&b).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    for line in expected {
        assert!(
            report.lines().any(|l| l.starts_with(line)),
            "no line starts {line:?}:\n{report}"
        );
    }
    assert!(!report.contains("kernel state differs"), "{report}");
}

#[test]
fn diff_of_an_image_with_itself_names_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = checkpoint(dir.path());
    let out = cray().arg("diff").arg(&a).arg(&a).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("images hold the same state"));
}
