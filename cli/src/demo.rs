//! `cray demo`: the embedded default job.
//!
//! Runs the daxpy vector kernel (images/daxpy.cal, built in) straight through, then
//! again with a checkpoint half way: the job is stopped, written to an image, read
//! back into a fresh system and run to the end. The output, the clock periods and the
//! state hash must equal those of the uninterrupted run.

use crate::output::{out, outln};
use crate::session::{Outcome, Session, Triggers};
use crate::CliError;
use cray_cal::{assemble, Options};
use cray_emulator::system::{Config, Console, ExitStatus, HostRoot};
use cray_emulator::System;
use cray_sysimage::system_image;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// The demo program.
const DAXPY: &str = include_str!("../../images/daxpy.cal");

fn fresh_system(root: &Path, words: &[u64]) -> Result<System, CliError> {
    let mut system = System::new(Config::default(), HostRoot::new(root), Console::captured());
    system
        .load_words("daxpy", words, &["daxpy".to_string()], &[])
        .map_err(|e| CliError::new(format!("demo: {e}")))?;
    Ok(system)
}

fn drive(system: System, root: &Path, triggers: Triggers) -> Result<(System, Outcome), CliError> {
    let mut session =
        Session::new(system, root.to_path_buf(), triggers, "daxpy".into()).with_input(b"");
    let outcome = session.drive()?;
    Ok((session.system, outcome))
}

/// How a run ended, in words: "status 0", "signal 9", or "still running".
fn ending(status: Option<ExitStatus>) -> String {
    match status {
        Some(ExitStatus::Exited(code)) => format!("status {code}"),
        Some(ExitStatus::Signaled(signal)) => format!("signal {signal}"),
        None => "still running".into(),
    }
}

fn stdout_of(system: &System) -> Vec<u8> {
    system.console().captured_stdout().to_vec()
}

/// Runs the demo and prints what it did.
pub fn run() -> Result<ExitCode, CliError> {
    let assembly = assemble(DAXPY, "images/daxpy.cal", &Options::aout()).map_err(|errors| {
        CliError::new(format!(
            "demo: the built-in daxpy.cal does not assemble: {}",
            errors[0]
        ))
    })?;
    let words = assembly.to_aout_words();
    let dir = tempfile::tempdir()
        .map_err(|e| CliError::new(format!("demo: temporary directory: {e}")))?;
    let root = dir.path();

    outln!("cray demo: daxpy over 100000 elements (Y = 3.0 * X + Y) on an emulated Cray X-MP");
    let started = Instant::now();
    let (straight, outcome) = drive(fresh_system(root, &words)?, root, Triggers::default())?;
    let straight_seconds = started.elapsed().as_secs_f64();
    let output = stdout_of(&straight);
    outln!(
        "  1. uninterrupted run: {} clock periods, {} instructions, exit {}, state hash {:016x} ({:.3} s)",
        straight.clock, straight.instructions, ending(outcome.status), straight.state_hash(), straight_seconds
    );
    out!("     output: {}", String::from_utf8_lossy(&output));

    let half = straight.clock / 2;
    let image = root.join("daxpy.chk");
    let started = Instant::now();
    let triggers = Triggers {
        stop_at: Some((half, image.clone())),
        ..Triggers::default()
    };
    let (first, _) = drive(fresh_system(root, &words)?, root, triggers)?;
    let size = std::fs::metadata(&image).map(|m| m.len()).unwrap_or(0);
    outln!(
        "  2. same job stopped at clock period {} and checkpointed: {} ({} bytes) in {:.3} s",
        first.clock,
        image.file_name().unwrap_or_default().to_string_lossy(),
        size,
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let host_root = HostRoot::new(root);
    let restored = system_image::restore(&image, &host_root, false)
        .map_err(|e| CliError::new(format!("demo: restart: {e}")))?;
    let mut system = restored.system;
    system.attach(host_root, Console::captured());
    let restored_hash = system.state_hash();
    let (resumed, resumed_outcome) = drive(system, root, Triggers::default())?;
    let mut combined = stdout_of(&first);
    combined.extend(stdout_of(&resumed));
    outln!(
        "  3. restarted from the image (state hash at restart {:016x}) and ran to the end: {} clock periods, exit {}, state hash {:016x} ({:.3} s)",
        restored_hash,
        resumed.clock,
        ending(resumed_outcome.status),
        resumed.state_hash(),
        started.elapsed().as_secs_f64()
    );
    out!("     output: {}", String::from_utf8_lossy(&combined));

    let same_output = combined == output;
    let same_cycles = resumed.clock == straight.clock;
    let same_hash = resumed.state_hash() == straight.state_hash();
    let same_status = resumed_outcome.status == outcome.status;
    outln!(
        "  result: output {}, clock periods {}, state hash {}, exit status {}",
        verdict(same_output),
        verdict(same_cycles),
        verdict(same_hash),
        verdict(same_status)
    );
    if same_output && same_cycles && same_hash && same_status {
        outln!("cray demo: the restarted job continued exactly as if it had never stopped");
        Ok(ExitCode::SUCCESS)
    } else {
        Err(CliError::new(
            "demo: the restarted run differs from the uninterrupted run",
        ))
    }
}

fn verdict(same: bool) -> &'static str {
    if same {
        "identical"
    } else {
        "DIFFERENT"
    }
}
