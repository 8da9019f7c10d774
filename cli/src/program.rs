//! `cray run` and `cray restart`: build a system, drive the session, report.

use crate::load::Runnable;
use crate::session::{Outcome, Session, Triggers};
use crate::{CliError, RunOptions};
use cray_chkpnt::system_image;
use cray_emulator::cos::job::Backing;
use cray_emulator::system::{Config, Console, ExitStatus, HostRoot, System};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The kernel configuration the run options ask for.
pub fn config(options: &RunOptions) -> Config {
    Config {
        model: options.model,
        memory_words: options.memory,
        epoch: options.epoch,
        ..Config::default()
    }
}

/// The runner's triggers from the run options.
pub fn triggers(options: &RunOptions) -> Triggers {
    Triggers {
        max_cycles: options.max_cycles,
        every: options.checkpoint_every.zip(options.checkpoint_dir.clone()),
        stop_at: options.stop_at.zip(options.checkpoint.clone()),
        with_files: options.checkpoint_with_files,
    }
}

fn root_dir(options: &RunOptions) -> Result<PathBuf, CliError> {
    std::fs::canonicalize(&options.root).map_err(|e| CliError::io(&options.root, e))
}

/// Loads `program` into a fresh system as the first process of a new job.
pub fn load(
    options: &RunOptions,
    personality: &str,
    program: &Path,
    args: &[String],
) -> Result<System, CliError> {
    let root = root_dir(options)?;
    let mut system = System::new(config(options), HostRoot::new(&root), Console::Host);
    system.trace_requests = options.trace_requests;
    let name = program.file_name().map_or_else(
        || program.display().to_string(),
        |n| n.to_string_lossy().to_string(),
    );
    let mut argv = vec![name.clone()];
    argv.extend(args.iter().cloned());
    match crate::load::program_words(program, personality)? {
        Runnable::AOut(words) => system
            .load_words(&name, &words, &argv, &[])
            .map_err(|e| CliError::invalid(program, e))?,
        Runnable::Cos(words) => {
            let statement = options
                .control
                .clone()
                .unwrap_or_else(|| default_statement(program, args));
            let datasets = dataset_map(&options.datasets)?;
            system
                .load_cos_words(&name, &words, &statement, datasets)
                .map_err(|e| CliError::invalid(program, e))?
        }
    };
    Ok(system)
}

/// The default COS control statement: `NAME,ARG1,ARG2.` with NAME the program's file
/// stem in capitals.
pub fn default_statement(program: &Path, args: &[String]) -> String {
    let stem = program
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().to_uppercase());
    let mut parts = vec![stem];
    parts.extend(args.iter().cloned());
    format!("{}.", parts.join(","))
}

/// The `--dataset NAME=PATH` options as a dataset map.
pub fn dataset_map(options: &[String]) -> Result<BTreeMap<String, Backing>, CliError> {
    let mut map = BTreeMap::new();
    for option in options {
        let Some((name, path)) = option.split_once('=') else {
            return Err(CliError::new(format!(
                "--dataset {option}: expected NAME=PATH"
            )));
        };
        if name.is_empty() || name.len() > 8 || path.is_empty() {
            return Err(CliError::new(format!(
                "--dataset {option}: NAME must have 1 to 8 characters and PATH must not be empty"
            )));
        }
        let text = path.ends_with(".txt");
        map.insert(
            name.to_string(),
            Backing::File {
                path: path.to_string(),
                text,
            },
        );
    }
    Ok(map)
}

/// Writes the COS job log of the job leader to `--log`, if asked.
fn write_log(options: &RunOptions, system: &System) -> Result<(), CliError> {
    let Some(path) = &options.log else {
        return Ok(());
    };
    let mut text = String::new();
    for line in &system.cos_log {
        text.push_str(line);
        text.push('\n');
    }
    std::fs::write(path, text).map_err(|e| CliError::io(path, e))
}

/// `cray run`.
pub fn run(
    options: &RunOptions,
    personality: &str,
    program: &Path,
    args: &[String],
) -> Result<ExitCode, CliError> {
    if options.timing != "approx" && options.timing != "off" {
        return Err(CliError::new(format!(
            "--timing {}: approx or off",
            options.timing
        )));
    }
    let system = load(options, personality, program, args)?;
    let name = program.display().to_string();
    let mut session = Session::new(system, root_dir(options)?, triggers(options), name);
    let outcome = session.drive()?;
    report(options, &session.system, &outcome)
}

/// `cray restart`.
pub fn restart(options: &RunOptions, image: &Path, force: bool) -> Result<ExitCode, CliError> {
    let root = root_dir(options)?;
    let host_root = HostRoot::new(&root);
    let restored = system_image::restore(image, &host_root, force)
        .map_err(|e| CliError::new(format!("restart: {e}")))?;
    for note in &restored.notes {
        eprintln!("cray: restart: {note}");
    }
    let mut system = restored.system;
    if system.config.model != options.model && options.model != cray_emulator::isa::Model::XMp {
        return Err(CliError::invalid(
            image,
            format!(
                "the image is of a {} machine, not {}",
                system.config.model.name(),
                options.model.name()
            ),
        ));
    }
    system.attach(host_root, Console::Host);
    system.trace_requests = options.trace_requests;
    let mut session = Session::new(system, root, triggers(options), image.display().to_string());
    let outcome = session.drive()?;
    report(options, &session.system, &outcome)
}

/// The figures of a finished run, as `--stats-json` writes them.
pub fn stats_json(system: &System, outcome: &Outcome) -> serde_json::Value {
    let leader = system.leader.unwrap_or(0);
    json!({
        "cycles": system.clock,
        "instructions": system.instructions,
        "exit_status": outcome.status.map(ExitStatus::host_code),
        "state_hash": format!("{:016x}", system.state_hash()),
        "pid": leader,
        "jid": leader,
        "wall_seconds": outcome.wall_seconds,
        "model": system.config.model.name(),
        "checkpoints": outcome.checkpoints.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "hpm": {
            "clock_periods": system.clock,
            "instructions_issued": system.instructions,
        },
    })
}

fn report(options: &RunOptions, system: &System, outcome: &Outcome) -> Result<ExitCode, CliError> {
    write_log(options, system)?;
    if let Some(path) = &options.stats_json {
        let text = serde_json::to_string_pretty(&stats_json(system, outcome))
            .map_err(|e| CliError::new(e.to_string()))?;
        std::fs::write(path, text + "\n").map_err(|e| CliError::io(path, e))?;
    }
    if options.stats {
        let seconds = system.clock as f64 * system.config.model.clock_period_ps() as f64 * 1e-12;
        let mips = if seconds > 0.0 {
            system.instructions as f64 / seconds / 1e6
        } else {
            0.0
        };
        eprintln!(
            "cray: {} clock periods, {} instructions, {:.6} s of {} time, {:.1} MIPS, state hash {:016x}",
            system.clock,
            system.instructions,
            seconds,
            system.config.model.name(),
            mips,
            system.state_hash()
        );
    }
    Ok(match outcome.status {
        Some(status) => ExitCode::from(status.host_code().clamp(0, 255) as u8),
        None => ExitCode::SUCCESS,
    })
}
