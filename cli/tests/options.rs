//! One command line: each command's `--help` lists only what it accepts, one name per
//! option (the old ones kept as aliases), a restart refuses a machine its image does
//! not have, and `--stop-at` says what it wrote as `cray chkpnt` does.

mod common;

use common::{cray, image, text};
use std::path::Path;

/// `cray ARGS` run in `dir`, with its output.
fn cray_in(dir: &Path, args: &[&str]) -> std::process::Output {
    cray()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("cray runs")
}

fn help(command: &str) -> String {
    let out = cray().args([command, "--help"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn each_help_lists_only_the_options_its_command_accepts() {
    let run = help("run");
    for option in [
        "--resume",
        "--record",
        "--timeline",
        "--memory",
        "--personality",
    ] {
        assert!(run.contains(option), "run --help lacks {option}");
    }
    for command in ["restart", "debug"] {
        let shown = help(command);
        for option in ["--resume", "--record", "--timeline"] {
            assert!(!shown.contains(option), "{command} --help lists {option}");
        }
    }
    // A restart's machine is the image's: no default to override it.
    let restart = help("restart");
    assert!(!restart.contains("8388608"), "{restart}");
    assert!(!restart.contains("--personality"), "{restart}");
    assert!(!restart.contains("--dataset"), "{restart}");
    assert!(restart.contains("Refuse the image unless"), "{restart}");
}

#[test]
fn dis_help_names_cal_sources_and_model_lists_its_values() {
    let dis = help("dis");
    assert!(dis.contains(".cal source"), "{dis}");
    for command in ["dis", "run", "restart", "debug"] {
        let shown = help(command);
        assert!(
            shown.contains("possible values: xmp, cray1"),
            "{command}: {shown}"
        );
    }
}

#[test]
fn chkpnt_takes_long_forms_and_the_run_names() {
    let chkpnt = help("chkpnt");
    for form in [
        "-p, --pid",
        "-j, --jid",
        "-k, --kill",
        "--checkpoint-with-files",
        "alias: --with-files",
        "-z, --checkpoint-compress",
        "alias: --compress",
    ] {
        assert!(chkpnt.contains(form), "{form}: {chkpnt}");
    }
}

/// Runs daxpy in `dir` to clock period 500000 and checkpoints it to `name` with
/// `extra` options; the run's stderr.
fn stopped_daxpy(dir: &Path, name: &str, extra: &[&str]) -> String {
    let daxpy = image("daxpy.cal");
    let mut args = vec!["run", "--stop-at", "500000", "--checkpoint", name];
    args.extend(extra);
    args.push(daxpy.to_str().unwrap());
    let out = cray_in(dir, &args);
    // 75: stopped with the job checkpointed, to be continued.
    assert_eq!(out.status.code(), Some(75), "{}", text(&out.stderr));
    text(&out.stderr)
}

#[test]
fn stop_at_says_where_it_checkpointed_as_chkpnt_does() {
    let dir = tempfile::tempdir().unwrap();
    let said = stopped_daxpy(dir.path(), "d.chk", &[]);
    assert!(
        said.starts_with("cray: --stop-at 500000: checkpointed job 1 at clock period 5000"),
        "{said}"
    );
    assert!(said.trim_end().ends_with(" to d.chk and stopped"), "{said}");
    assert_eq!(said.lines().count(), 1, "{said}");
}

#[test]
fn the_chkpnt_names_of_checkpoint_options_work_for_run_too() {
    let dir = tempfile::tempdir().unwrap();
    stopped_daxpy(dir.path(), "plain.chk", &[]);
    stopped_daxpy(dir.path(), "new.chk", &["--checkpoint-compress"]);
    stopped_daxpy(dir.path(), "old.chk", &["--compress", "--with-files"]);
    let size = |name: &str| std::fs::metadata(dir.path().join(name)).unwrap().len();
    assert!(size("new.chk") * 2 < size("plain.chk"));
    assert!(size("old.chk") * 2 < size("plain.chk"));
}

#[test]
fn a_restart_refuses_a_machine_its_image_does_not_have() {
    let dir = tempfile::tempdir().unwrap();
    stopped_daxpy(dir.path(), "d.chk", &[]);
    for (option, value, says) in [
        (
            "--memory",
            "0",
            "has 8388608 words of memory, not --memory 0",
        ),
        ("--model", "cray1", "is of a xmp machine"),
        ("--timing", "off", "runs with --timing approx, not off"),
        ("--epoch", "5", "starts at epoch 0, not --epoch 5"),
    ] {
        let out = cray_in(dir.path(), &["restart", "-f", "d.chk", option, value]);
        assert_eq!(out.status.code(), Some(2), "{option} {value}");
        let said = text(&out.stderr);
        assert!(said.starts_with("cray: d.chk: "), "{said}");
        assert!(said.contains(says), "{option}: {said}");
    }
    // What agrees with the image is only a check.
    let out = cray_in(
        dir.path(),
        &[
            "restart", "-f", "d.chk", "--memory", "8388608", "--model", "xmp", "--timing",
            "approx", "--epoch", "0",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "daxpy checksum: 4023ba433d2e0000\n");
    // The machine options of a new job make no sense with an image.
    let out = cray_in(dir.path(), &["debug", "-f", "d.chk", "--memory", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot be used with '--memory"));
}
