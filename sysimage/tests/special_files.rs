//! A checkpoint of a job whose open file has become a FIFO (the host put one where
//! the guest's file was) neither hangs nor reads it: only regular files are hashed or
//! carried. Restart finds the FIFO still a FIFO without reading it, and refuses a
//! regular file put in its place.

use cray_cal::{assemble, Options};
use cray_chkpnt::Image;
use cray_emulator::system::{Config, Console, Event, HostRoot};
use cray_emulator::System;
use cray_sysimage::system_image::{file_identities, restore, save, SaveOptions, Selection};
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

/// Longest a checkpoint or restart may take before it counts as hung (each needs
/// milliseconds): the test fails instead of hanging.
const WATCHDOG: Duration = Duration::from_secs(60);

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success());
}

/// Runs `work` on a thread; fails the test if it has not finished after [`WATCHDOG`].
fn within_watchdog<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(work());
    });
    result
        .recv_timeout(WATCHDOG)
        .unwrap_or_else(|_| panic!("{what} still running after {WATCHDOG:?}"))
}

/// readfile.cal in `root`, stopped in its spin loop after reading 8 bytes of data.txt
/// (which it keeps open).
fn readfile_started(root: &Path) -> System {
    std::fs::write(root.join("data.txt"), "ABCDEFGHrest of the file\n").unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../images/readfile.cal");
    let source = std::fs::read_to_string(path).unwrap();
    let words = assemble(&source, "readfile.cal", &Options::aout())
        .unwrap()
        .to_aout_words();
    let mut system = System::new(Config::default(), HostRoot::new(root), Console::captured());
    system
        .load_words("readfile", &words, &["readfile".into()], &[])
        .unwrap();
    assert!(matches!(system.run(100_000), Event::BudgetExhausted));
    assert_eq!(system.console().captured_stdout(), b"ABCDEFGH");
    system
}

#[test]
fn a_fifo_in_place_of_an_open_file_is_recorded_unread_and_restart_checks_its_kind() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let mut system = readfile_started(&root);
    std::fs::remove_file(root.join("data.txt")).unwrap();
    mkfifo(&root.join("data.txt"));
    let chk = root.join("rf.chk");

    // With --checkpoint-with-files: before, this read the FIFO and waited for a writer.
    let image = chk.clone();
    let saved = within_watchdog("the checkpoint", move || {
        let pid = system.leader.unwrap();
        let options = SaveOptions {
            with_files: true,
            compress: false,
        };
        save(&mut system, Selection::Job(pid), options, "t", &image).map(|_| ())
    });
    saved.unwrap();
    let identities = file_identities(&Image::open(&chk).unwrap()).unwrap();
    let data = identities.iter().find(|i| i.path == "data.txt").unwrap();
    assert!(data.existed);
    assert!(!data.carried, "a FIFO's contents are never carried");
    assert_eq!(data.size, 0);

    // Restart opens the FIFO without waiting and accepts it as the same kind of file.
    let (image, at) = (chk.clone(), root.clone());
    let restored = within_watchdog("the restart", move || {
        restore(&image, &HostRoot::new(&at), false).map(|_| ())
    });
    restored.unwrap();

    // A regular file in its place is not what the job had open.
    std::fs::remove_file(root.join("data.txt")).unwrap();
    std::fs::write(root.join("data.txt"), "").unwrap();
    let refused = restore(&chk, &HostRoot::new(&root), false).map(|_| ());
    let Err(error) = refused else {
        panic!("restart accepted a regular file in place of a FIFO");
    };
    assert!(
        error.to_string().contains("was not a regular file"),
        "{error}"
    );
}
