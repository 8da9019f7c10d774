//! `cray run` and `cray restart`: build a system, drive the session, report.

use crate::dir_lock::DirLock;
use crate::load::Runnable;
use crate::options::{Usr1Action, DEFAULT_MEMORY};
use crate::output::{err, errln};
use crate::replay::{self, EndFigures, Player, ReplayLog, StreamFigures};
use crate::replay_checks::{Recorder, Verifier};
use crate::resume::{self, Finished, Found};
use crate::session::{job_of, Outcome, Session, Triggers};
use crate::{CliError, RunOptions, Timing};
use cray_emulator::cos::deck::catalogue::Catalogue;
use cray_emulator::cos::deck::field_limit::ADDRESS_LIMIT;
use cray_emulator::cos::deck::DeckHost;
use cray_emulator::cos::jcb::statement_for;
use cray_emulator::cos::job::Backing;
use cray_emulator::isa::Model;
use cray_emulator::system::{Config, Console, ExitStatus, HostRoot};
use cray_emulator::System;
use cray_sysimage::file_policy::RestartFiles;
use cray_sysimage::system_image::{self, Restored};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The kernel configuration the run options ask for.
pub fn config(options: &RunOptions) -> Config {
    Config {
        model: options.model.unwrap_or(Model::XMp),
        memory_words: options.memory.unwrap_or(DEFAULT_MEMORY),
        epoch: options.epoch.unwrap_or(0),
        timing: options.timing != Some(Timing::Off),
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
        compress: options.checkpoint_compress,
        keep: options
            .checkpoint_keep
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        resume: options.resume,
        incremental: options
            .checkpoint_incremental
            .then(|| options.checkpoint_full_every.unwrap_or(DEFAULT_FULL_EVERY)),
        usr1_stops: options.sigusr1 == Usr1Action::Stop,
        checkpoint_dir: options.checkpoint_dir.clone(),
    }
}

/// How a restart treats the files the job had open: `--force` and `--file-policy`.
pub fn restart_files(options: &RunOptions, force: bool) -> RestartFiles {
    RestartFiles {
        force,
        policies: options.file_policies.iter().cloned().collect(),
    }
}

/// Periodic images per full one with `--checkpoint-incremental`, unless
/// `--checkpoint-full-every` says otherwise: a restart then reads at most seven deltas.
pub const DEFAULT_FULL_EVERY: u32 = 8;

/// The exit status of a run that the runner stopped with the job checkpointed
/// (`--stop-at`, SIGTERM, and SIGINT, SIGHUP or SIGQUIT with a checkpoint directory):
/// EX_TEMPFAIL of `sysexits.h`, "try again later", which a batch script can tell from
/// a job's own status.
pub const STOPPED_RESUMABLE: u8 = 75;

/// Prepares the places the run will write to before it starts, so that a long run
/// does not end by failing to write its results: creates `--checkpoint-dir` if it does
/// not exist yet and locks it (one runner at a time: the lock is held until the
/// returned guard is dropped), and refuses a `--stats-json`, `--timeline`, `--log` or
/// `--checkpoint` file whose directory does not exist.
fn prepare_outputs(options: &RunOptions) -> Result<Option<DirLock>, CliError> {
    let lock = match &options.checkpoint_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
            let what = "checkpoint directory";
            // A batch job whose runner died waits for the job the dead runner left;
            // so does a requeued Slurm job (`--wait-for-lock`) for its earlier run.
            Some(if options.runner_pid.is_some() || options.wait_for_lock {
                DirLock::wait(dir, what)?
            } else {
                DirLock::acquire(dir, what)?
            })
        }
        None => None,
    };
    if let Some(file) = options.checkpoint.as_ref().filter(|f| f.is_dir()) {
        return Err(CliError::new(format!(
            "--checkpoint {}: is a directory, not an image file",
            file.display()
        )));
    }
    let files = [
        ("--stats-json", &options.stats_json),
        ("--timeline", &options.timeline),
        ("--log", &options.log),
        ("--checkpoint", &options.checkpoint),
        ("--record", &options.record),
    ];
    for (option, file) in files {
        let Some(file) = file else { continue };
        let dir = match file.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(CliError::new(format!(
                "{option} {}: directory {} does not exist",
                file.display(),
                dir.display()
            )));
        }
    }
    Ok(lock)
}

/// A batch job (`--runner-pid`, set by `cray batch run`) dies with its runner: SIGTERM
/// when the runner dies, so that it checkpoints and stops. If the runner died before
/// that was arranged, the job is not started at all.
fn die_with_runner(options: &RunOptions) -> Result<(), CliError> {
    let Some(runner) = options.runner_pid else {
        return Ok(());
    };
    rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::TERM))
        .map_err(|e| CliError::new(format!("--runner-pid {runner}: {e}")))?;
    let parent = rustix::process::getppid().map_or(0, |pid| pid.as_raw_nonzero().get());
    if u32::try_from(parent).ok() != Some(runner) {
        return Err(CliError::new(format!(
            "--runner-pid {runner}: the batch runner has already ended; the job was not started"
        )));
    }
    Ok(())
}

/// The `--root` directory, canonical; refused when it is not a directory.
fn root_dir(options: &RunOptions) -> Result<PathBuf, CliError> {
    let root = &options.root;
    let wrong = |what: String| CliError::new(format!("--root {}: {what}", root.display()));
    match std::fs::metadata(root) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(wrong("is not a directory".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(wrong("does not exist".into()))
        }
        Err(e) => return Err(wrong(e.to_string())),
    }
    std::fs::canonicalize(root).map_err(|e| wrong(e.to_string()))
}

/// Refuses a `--dataset NAME=PATH` whose PATH the job could not use: outside
/// `--root` (through `..`, an absolute name or a symbolic link), or not resolvable,
/// so that the job does not start only to fail on its first request.
fn check_datasets(root: &Path, datasets: &BTreeMap<String, Backing>) -> Result<(), CliError> {
    let host = HostRoot::new(root);
    for (name, backing) in datasets {
        let Backing::File { path, .. } = backing else {
            continue;
        };
        let reason = match host.resolve(path) {
            Ok(relative) => match Path::new(&relative).parent() {
                // Written at the end of the job: its directory must be there.
                Some(dir) if !root.join(dir).is_dir() => {
                    format!(
                        "cannot be written: directory {} does not exist",
                        dir.display()
                    )
                }
                _ => continue,
            },
            Err(cray_emulator::system::Errno::EACCES) => {
                format!("is outside --root {}", root.display())
            }
            Err(errno) => format!("cannot be used in --root {}: {errno:?}", root.display()),
        };
        return Err(CliError::new(format!(
            "--dataset {name}={path}: {path} {reason}"
        )));
    }
    Ok(())
}

/// Refuses `--mfl` for anything but a COS binary run by itself, and beyond what a
/// field can address.
fn check_mfl(program: &Path, mfl: Option<u64>, runnable: &Runnable) -> Result<(), CliError> {
    let Some(mfl) = mfl else {
        return Ok(());
    };
    let refusal = match runnable {
        Runnable::Cos(_) if (1..=ADDRESS_LIMIT).contains(&mfl) => return Ok(()),
        Runnable::Cos(_) => format!(
            "--mfl {mfl}: a field length is 1 to {ADDRESS_LIMIT} words (24-bit addresses)"
        ),
        Runnable::Deck(_) => format!(
            "--mfl: {} is a job deck, whose JOB statement gives its steps' field (JOB,JN=...,MFL=words)",
            program.display()
        ),
        Runnable::AOut(_) => format!(
            "--mfl: {} is a UNICOS program, whose field grows with brk (--memory bounds it)",
            program.display()
        ),
    };
    Err(CliError::new(refusal))
}

/// Loads `program` into a fresh system as the first process of a new job.
pub fn load(
    options: &RunOptions,
    personality: &str,
    program: &Path,
    args: &[String],
) -> Result<System, CliError> {
    let root = root_dir(options)?;
    // A recorded or replayed run sums up what it writes, to compare it.
    let console = if options.record.is_some() || options.replay.is_some() {
        Console::digested()
    } else {
        Console::Host
    };
    let mut system = System::new(config(options), HostRoot::new(&root), console);
    system.trace_requests = options.trace_requests;
    let name = program_name(program);
    let mut argv = vec![name.clone()];
    argv.extend(args.iter().cloned());
    let datasets = dataset_map(&options.datasets)?;
    check_datasets(&root, &datasets)?;
    let runnable = crate::load::program_words(program, personality)?;
    check_mfl(program, options.mfl, &runnable)?;
    match runnable {
        Runnable::AOut(_) if !datasets.is_empty() => {
            return Err(CliError::new(format!(
                "{}: --dataset maps COS datasets, but this is a UNICOS program (assemble it with `cray asm --format cos`, or pass --personality cos)",
                program.display()
            )))
        }
        Runnable::Deck(deck) => {
            let mut host = deck_host(options)?;
            if let (true, Some(dir), Some(catalogue)) =
                (options.resume, &options.checkpoint_dir, &host.catalogue)
            {
                host.job_number = Some(resume::deck_job_number(dir, catalogue)?);
            }
            system.attach_deck_host(host);
            system
                .load_cos_deck(&name, &deck, datasets)
                .map_err(|e| CliError::invalid(program, e))?
        }
        Runnable::AOut(words) => system
            .load_words(&name, &words, &argv, &[])
            .map_err(|e| CliError::invalid(program, e))?,
        Runnable::Cos(words) => {
            let statement = options
                .control
                .clone()
                .unwrap_or_else(|| statement_for(&program.to_string_lossy(), args));
            match options.mfl {
                Some(mfl) => system.load_cos_words_in_field(&name, &words, &statement, datasets, mfl),
                None => system.load_cos_words(&name, &words, &statement, datasets),
            }
            .map_err(|e| CliError::invalid(program, e))?
        }
    };
    Ok(system)
}

/// The host side of the COS job layer from `--system-dir` and `--pds`.
pub fn deck_host(options: &RunOptions) -> Result<DeckHost, CliError> {
    if let Some(dir) = options.system_dir.as_ref().filter(|d| !d.is_dir()) {
        return Err(CliError::new(format!(
            "--system-dir {}: not a directory",
            dir.display()
        )));
    }
    let catalogue = match &options.pds {
        Some(dir) => Some(
            Catalogue::open(dir)
                .map_err(|e| CliError::new(format!("--pds {}: {e}", dir.display())))?,
        ),
        None => None,
    };
    let queue = match &options.queue {
        Some(dir) => Some(crate::batch::DeckQueue::for_job(dir, options)?),
        None => None,
    };
    Ok(DeckHost {
        system_dir: options.system_dir.clone(),
        catalogue,
        queue,
        job_number: None,
    })
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
    crate::files::write_output(path, text.as_bytes())
}

/// `cray run`.
pub fn run(
    options: &RunOptions,
    personality: &str,
    program: &Path,
    args: &[String],
) -> Result<ExitCode, CliError> {
    let window = timeline_window(options)?;
    die_with_runner(options)?;
    let _lock = prepare_outputs(options)?;
    if options.resume && (options.record.is_some() || options.replay.is_some()) {
        return Err(CliError::new(
            "--record cannot be combined with --resume: a replay starts the job afresh".to_string(),
        ));
    }
    let replay_log = match &options.replay {
        Some(log) => Some(ReplayLog::read(log)?),
        None => None,
    };
    if !options.resume && !options.file_policies.is_empty() {
        return Err(CliError::new(
            "--file-policy applies when a job continues from an image: give it with --resume (or to cray restart)".to_string(),
        ));
    }
    if options.resume {
        if window.is_some() {
            return Err(CliError::new(
                "--timeline cannot be combined with --resume: a resumed job does not start at clock period 0".to_string(),
            ));
        }
        if let Some(code) = resume(options, program)? {
            return Ok(code);
        }
    }
    let mut system = match &options.replay_from {
        Some(image) => replay_start(options, image)?,
        None => load(options, personality, program, args)?,
    };
    let started_at = system.clock;
    if let Some((start, len)) = window {
        if !system.enable_leader_timeline(start, len) {
            return Err(CliError::new(
                "--timeline needs --timing approx".to_string(),
            ));
        }
    }
    let name = program.display().to_string();
    let mut session =
        Session::new(system, root_dir(options)?, triggers(options), name).listening()?;
    if options.record.is_some() {
        session = session.recording(Recorder::new(options.record_interval));
    }
    if let (Some(log), Some(path)) = (&replay_log, &options.replay) {
        let mut player = Player::new(log, path);
        player.skip_before(started_at);
        session = session.replaying(player, Verifier::new(log, started_at));
    }
    session = with_progress(options, session);
    let outcome = session.drive();
    // The chart covers what ran, even when the run ended in an error.
    write_timeline(options, &mut session.system)?;
    // A replay that found a divergence before it failed says that first.
    let outcome = outcome.map_err(|e| session.divergence_or(e))?;
    record_finished(options, &session.system, &outcome, program)?;
    let code = report(options, &session.system, &outcome)?;
    let Some((stdout, stderr)) = session.system.console().digests() else {
        return Ok(code);
    };
    let end = EndFigures {
        cycles: session.system.clock,
        instructions: session.system.instructions,
        exit_status: outcome.status.map(ExitStatus::host_code),
        state_hash: format!("{:016x}", session.system.state_hash()),
        stdout: StreamFigures::of(stdout),
        stderr: StreamFigures::of(stderr),
    };
    if let Some(path) = &options.record {
        write_replay_log(options, path, &mut session, end)?;
    } else if let (Some(path), Some(log)) = (&options.replay, &replay_log) {
        // From an image, the output before it is not this run's to compare.
        let differences = log.differences(&end, options.replay_from.is_none());
        session.finish_replay(differences.is_empty())?;
        if !differences.is_empty() {
            return Err(CliError::invalid(
                path,
                format!(
                    "replay diverged: the job ended with {}",
                    differences.join(", ")
                ),
            ));
        }
        errln!(
            "cray: replay: the job ended as recorded in {}: {} clock periods, state hash {}",
            path.display(),
            end.cycles,
            end.state_hash
        );
    }
    Ok(code)
}

/// Writes the replay log of the recorded run that ended with `end` to `path`.
fn write_replay_log(
    options: &RunOptions,
    path: &Path,
    session: &mut Session,
    end: EndFigures,
) -> Result<(), CliError> {
    let recorder = session
        .take_recording()
        .unwrap_or_else(|| Recorder::new(options.record_interval));
    let (interval, input, checks) = recorder.finish();
    ReplayLog {
        format: replay::FORMAT.to_string(),
        command: options.command.clone(),
        interval: Some(interval),
        input,
        checks,
        end,
    }
    .write(path)
}

/// `cray replay --from IMAGE`: the recorded job as the image holds it, to replay
/// from there.
fn replay_start(options: &RunOptions, image: &Path) -> Result<System, CliError> {
    let root = root_dir(options)?;
    let files = restart_files(options, false);
    let restored = system_image::restore_with(image, &HostRoot::new(&root), &files, |_| Ok(()))
        .map_err(|e| CliError::new(format!("replay --from: {e}")))?;
    for note in &restored.notes {
        errln!("cray: replay --from: {note}");
    }
    let mut system = restored.system;
    check_machine(options, &system.config).map_err(|reason| CliError::invalid(image, reason))?;
    system.attach(HostRoot::new(&root), Console::digested());
    system.attach_deck_host(deck_host(options)?);
    system.trace_requests = options.trace_requests;
    Ok(system)
}

/// What `cray debug` starts from.
pub enum DebugTarget<'a> {
    /// A program, started afresh with its arguments.
    Program(&'a Path, &'a [String]),
    /// The job a checkpoint image holds (`-f IMAGE`).
    Image(&'a Path),
}

/// `cray debug`: the job under the debugger's command loop, with no terminal input
/// (the commands come from standard input).
pub fn debug(
    options: &RunOptions,
    personality: &str,
    target: DebugTarget,
    map: Option<&Path>,
) -> Result<ExitCode, CliError> {
    let _lock = prepare_outputs(options)?;
    let root = root_dir(options)?;
    let session = match target {
        DebugTarget::Program(program, args) => {
            let system = load(options, personality, program, args)?;
            let name = program.display().to_string();
            Session::new(system, root, triggers(options), name).listening()?
        }
        DebugTarget::Image(image) => {
            let files = restart_files(options, false);
            let restored =
                system_image::restore_with(image, &HostRoot::new(&root), &files, |_| Ok(()))
                    .map_err(|e| CliError::new(format!("debug: {e}")))?;
            restored_session(options, root, restored, image)?
        }
    };
    crate::debug::run(session.without_terminal(), map)?;
    Ok(ExitCode::SUCCESS)
}

/// The file name a program's process carries (`cray ps`, and the leader of its job).
fn program_name(program: &Path) -> String {
    program.file_name().map_or_else(
        || program.display().to_string(),
        |n| n.to_string_lossy().to_string(),
    )
}

/// `--resume`: the checkpoint directory says where the job stands. The exit code when
/// the job ran here (continued from an image, or ended before), `None` when there is
/// nothing to continue and the program starts afresh.
fn resume(options: &RunOptions, program: &Path) -> Result<Option<ExitCode>, CliError> {
    let Some(dir) = &options.checkpoint_dir else {
        return Err(CliError::new("--resume needs --checkpoint-dir".to_string()));
    };
    if let Some(finished) = Finished::read(dir)? {
        errln!(
            "cray: resume: job {} ({}) already ended at clock period {} with exit status {}; remove {} to run it again",
            finished.jid,
            finished.program,
            finished.clock,
            finished.exit_status,
            dir.join(resume::FINISHED).display()
        );
        return Ok(Some(ExitCode::from(
            finished.exit_status.clamp(0, 255) as u8
        )));
    }
    let root = root_dir(options)?;
    let mut notes = Vec::new();
    let files = restart_files(options, false);
    let found = resume::newest(
        dir,
        &HostRoot::new(&root),
        &program_name(program),
        &mut notes,
        &files,
    );
    let say = |notes: &[String]| {
        for note in notes {
            errln!("cray: resume: {note}");
        }
    };
    let found = found.inspect_err(|_| say(&notes))?;
    if let Err(refusal) = refuse_rerun(options, dir, &found) {
        say(&notes);
        return Err(refusal);
    }
    // Standard output and error are cut back before anything is said on them: what
    // this run says after the point the job continues from must stay.
    let (mark, when) = match &found {
        Found::Nothing => (dir.join(resume::START_MARK), "the job started".to_string()),
        Found::Image(image, _) => (
            resume::mark_path(image),
            format!("{} was taken", image.display()),
        ),
    };
    let cut = resume::cut_back_output(&mark, &when);
    say(&notes);
    say(&cut?);
    match found {
        Found::Nothing => {
            errln!(
                "cray: resume: no checkpoint in {}; starting {}",
                dir.display(),
                program.display()
            );
            // Where the job's output starts, for a crash before its first image.
            if let Err(e) = resume::write_mark(&mark) {
                errln!("cray: resume: output mark not written: {e}");
            }
            Ok(None)
        }
        Found::Image(image, restored) => {
            errln!(
                "cray: resume: continuing job {} from {} (clock period {})",
                job_of(&restored.system),
                image.display(),
                restored.system.clock
            );
            continue_restored(options, root, *restored, &image, Some(program)).map(Some)
        }
    }
}

/// `--resume` of a job that marked itself not rerunnable (F$NRN) and then stopped
/// without an image of the point it stopped at (a crash, a kill): the checkpoint
/// directory's note ([`resume::NOT_RERUNNABLE`]) says so. Refused unless
/// `--force-rerun`, since continuing runs again what the job did after the image it
/// continues from (or all of it), which it said must not be run twice. A job stopped
/// by the runner with an image of that very point has no note, and continues.
fn refuse_rerun(options: &RunOptions, dir: &Path, found: &Found) -> Result<(), CliError> {
    let Some(mark) = resume::RerunMark::read(dir)? else {
        return Ok(());
    };
    let from = match found {
        Found::Image(image, _) => format!("from {}", image.display()),
        Found::Nothing => "from its start".to_string(),
    };
    if options.force_rerun {
        errln!(
            "cray: resume: job {} was marked not rerunnable at clock period {}; --force-rerun: running it again {from}",
            mark.jid,
            mark.clock
        );
        return Ok(());
    }
    Err(CliError::new(format!(
        "resume: job {} was marked not rerunnable at clock period {}; not restarted; use --force-rerun to run it again {from}",
        mark.jid, mark.clock
    )))
}

/// With `--resume`, records in the checkpoint directory that the job ended, so that
/// running the command again does not run it again.
fn record_finished(
    options: &RunOptions,
    system: &System,
    outcome: &Outcome,
    program: &Path,
) -> Result<(), CliError> {
    let (Some(dir), Some(status), true) = (&options.checkpoint_dir, outcome.status, options.resume)
    else {
        return Ok(());
    };
    let finished = Finished {
        program: program.display().to_string(),
        jid: outcome.jid,
        clock: system.clock,
        exit_status: status.host_code(),
    };
    finished.write(dir).map_err(|e| {
        // The job is not lost: without the record, the next run continues it from
        // its newest image and ends it again (its output cut back, its store
        // operations found made).
        CliError::new(format!(
            "resume: job {} ended at clock period {} with exit status {}, but its end could not be recorded ({e}); running the command again continues it from its newest image in {} (or its start) and ends it again",
            finished.jid,
            finished.clock,
            finished.exit_status,
            dir.display()
        ))
    })
}

/// Default `--timeline-window`: the first 1000 clock periods.
const DEFAULT_WINDOW: (u64, u64) = (0, 1000);

/// The `--timeline-window START:LEN` of a run with `--timeline` (numbers in decimal,
/// or octal with a leading 0), `None` without `--timeline`.
fn timeline_window(options: &RunOptions) -> Result<Option<(u64, u64)>, CliError> {
    if options.timeline.is_none() {
        return Ok(None);
    }
    let Some(text) = &options.timeline_window else {
        return Ok(Some(DEFAULT_WINDOW));
    };
    parse_window(text).map(Some).ok_or_else(|| {
        CliError::new(format!(
            "--timeline-window {text}: expected START:LEN, two numbers of clock periods with LEN at least 1 (e.g. 0:1000)"
        ))
    })
}

/// Parses `START:LEN` (LEN > 0, START + LEN must not overflow).
pub fn parse_window(text: &str) -> Option<(u64, u64)> {
    let (start, len) = text.split_once(':')?;
    let number = |t: &str| -> Option<u64> {
        let t = t.trim();
        if t.len() > 1 && t.starts_with('0') {
            u64::from_str_radix(&t[1..], 8).ok()
        } else {
            t.parse().ok()
        }
    };
    let (start, len) = (number(start)?, number(len)?);
    (len > 0 && start.checked_add(len).is_some()).then_some((start, len))
}

/// Writes the timeline of the job's first process to `--timeline`, if asked.
fn write_timeline(options: &RunOptions, system: &mut System) -> Result<(), CliError> {
    let Some(path) = &options.timeline else {
        return Ok(());
    };
    let Some(timeline) = system.take_leader_timeline() else {
        return Err(CliError::new(format!(
            "{}: no timeline was recorded (the first process has no timing model)",
            path.display()
        )));
    };
    crate::files::write_output(path, timeline.to_svg().as_bytes())
}

/// `cray restart`.
pub fn restart(options: &RunOptions, image: &Path, force: bool) -> Result<ExitCode, CliError> {
    let _lock = prepare_outputs(options)?;
    let root = root_dir(options)?;
    let files = restart_files(options, force);
    let restored = system_image::restore_with(image, &HostRoot::new(&root), &files, |_| Ok(()))
        .map_err(|e| CliError::new(format!("restart: {e}")))?;
    continue_restored(options, root, restored, image, None)
}

/// Runs a restored job to its end with file names resolving in `root`: `cray
/// restart`, and `cray run --resume` of `resumed_program` (whose end is then recorded
/// in the checkpoint directory).
fn continue_restored(
    options: &RunOptions,
    root: PathBuf,
    restored: Restored,
    image: &Path,
    resumed_program: Option<&Path>,
) -> Result<ExitCode, CliError> {
    let mut session = restored_session(options, root, restored, image)?;
    let outcome = session.drive()?;
    if let Some(program) = resumed_program {
        record_finished(options, &session.system, &outcome, program)?;
    }
    report(options, &session.system, &outcome)
}

/// A session around the job `restored` from `image`, its file names resolving in
/// `root`: the restore's notes said, the model checked against `--model`.
fn restored_session(
    options: &RunOptions,
    root: PathBuf,
    restored: Restored,
    image: &Path,
) -> Result<Session, CliError> {
    for note in &restored.notes {
        errln!("cray: restart: {note}");
    }
    let mut system = restored.system;
    check_machine(options, &system.config).map_err(|reason| CliError::invalid(image, reason))?;
    system.attach(HostRoot::new(&root), Console::Host);
    system.attach_deck_host(deck_host(options)?);
    system.trace_requests = options.trace_requests;
    let session = Session::new(system, root, triggers(options), image.display().to_string())
        .building_on(image)
        .listening()?;
    Ok(with_progress(options, session))
}

/// A restored job runs on the machine its image gives: a `--model`, `--memory`,
/// `--timing` or `--epoch` given with it must agree, and is refused otherwise (rather
/// than silently ignored).
fn check_machine(options: &RunOptions, image: &Config) -> Result<(), String> {
    if let Some(model) = options.model.filter(|&m| m != image.model) {
        return Err(format!(
            "the image is of a {} machine; it cannot restart on a {}",
            image.model.name(),
            model.name()
        ));
    }
    if let Some(memory) = options.memory.filter(|&m| m != image.memory_words) {
        return Err(format!(
            "the image's machine has {} words of memory, not --memory {memory}: a restart runs on the image's machine",
            image.memory_words
        ));
    }
    let image_timing = if image.timing {
        Timing::Approx
    } else {
        Timing::Off
    };
    if let Some(timing) = options.timing.filter(|&t| t != image_timing) {
        return Err(format!(
            "the image's job runs with --timing {}, not {}: a restart keeps the image's timing",
            timing_name(image_timing),
            timing_name(timing)
        ));
    }
    if let Some(epoch) = options.epoch.filter(|&e| e != image.epoch) {
        return Err(format!(
            "the image's clock starts at epoch {}, not --epoch {epoch}: a restart keeps the image's epoch",
            image.epoch
        ));
    }
    Ok(())
}

/// `--timing`'s word for `timing`.
fn timing_name(timing: Timing) -> &'static str {
    match timing {
        Timing::Approx => "approx",
        Timing::Off => "off",
    }
}

/// `session` with the progress display `--progress`/`--quiet` and standard error ask
/// for.
fn with_progress(options: &RunOptions, session: Session) -> Session {
    if crate::progress::wanted(options.progress, options.quiet) {
        session.with_progress(crate::progress::Progress::new())
    } else {
        session
    }
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
        "jid": outcome.jid,
        "wall_seconds": outcome.wall_seconds,
        "model": system.config.model.name(),
        "checkpoints": outcome.checkpoints.iter().filter(|c| c.error.is_none()).map(|c| c.file.display().to_string()).collect::<Vec<_>>(),
        "checkpoint_costs": outcome.checkpoints.iter().map(|c| json!({
            "file": c.file.display().to_string(), "clock": c.clock, "bytes": c.bytes,
            "incremental": c.incremental, "seconds": c.seconds, "error": c.error,
        })).collect::<Vec<_>>(),
        "hpm": hpm_json(system),
    })
}

/// The `hpm` object of the stats JSON: the timing model's counters of every process
/// of the run (with `--timing off`, only clock periods and instructions are known).
fn hpm_json(system: &System) -> serde_json::Value {
    let model = system.config.model;
    let mut hpm = match serde_json::to_value(system.hpm()) {
        Ok(serde_json::Value::Object(map)) if system.config.timing => map,
        _ => serde_json::Map::new(),
    };
    // The machine's clock (kernel time included) and every issued instruction.
    let counters = cray_emulator::timing::HpmCounters {
        clock_periods: system.clock,
        instructions: system.instructions,
        ..system.hpm()
    };
    // The periods the CPUs issued in (kernel time excluded), before `clock_periods`
    // becomes the machine's clock.
    if let Some(issue) = hpm.remove("clock_periods") {
        hpm.insert("issue_clock_periods".into(), issue);
    }
    hpm.insert("clock_periods".into(), json!(system.clock));
    hpm.insert("instructions_issued".into(), json!(system.instructions));
    hpm.insert("timing".into(), json!(system.config.timing));
    hpm.insert("mflops".into(), json!(counters.mflops(model)));
    hpm.insert("mips".into(), json!(counters.mips(model)));
    serde_json::Value::Object(hpm)
}

/// The hpm(1)-like report of the whole run: the counters of every process, with the
/// machine's clock periods (kernel time included) and instructions.
pub fn hpm_report(system: &System) -> String {
    let counters = cray_emulator::timing::HpmCounters {
        clock_periods: system.clock,
        instructions: system.instructions,
        ..system.hpm()
    };
    let mut text = counters.report(system.config.model);
    if !system.config.timing {
        text.push_str("(--timing off: one clock period per instruction; no hold or unit counts)\n");
    }
    text
}

fn report(options: &RunOptions, system: &System, outcome: &Outcome) -> Result<ExitCode, CliError> {
    write_log(options, system)?;
    // A script that restarts the image next must learn why there is none.
    if let (Some(at), Some(file), Some(_)) = (options.stop_at, &options.checkpoint, outcome.status)
    {
        errln!(
            "cray: the job ended at clock period {}, so nothing was taken for --stop-at {at}: {} was not written",
            system.clock,
            file.display()
        );
    }
    // Said as `cray chkpnt` and the signals say it, on stderr (stdout is the job's).
    let last_image = outcome.checkpoints.last().map(|written| &written.file);
    if let (Some(at), Some(file), None) = (options.stop_at, &options.checkpoint, outcome.status) {
        if last_image == Some(file) {
            errln!(
                "cray: --stop-at {at}: checkpointed job {} at clock period {} to {} and stopped",
                outcome.jid,
                system.clock,
                file.display()
            );
        }
    }
    if let Some(path) = &options.stats_json {
        let text = serde_json::to_string_pretty(&stats_json(system, outcome))
            .map_err(|e| CliError::new(e.to_string()))?;
        crate::files::write_output(path, (text + "\n").as_bytes())?;
    }
    if options.stats {
        err!("{}", hpm_report(system));
        let seconds = system.clock as f64 * system.config.model.clock_period_ps() as f64 * 1e-12;
        let mips = if seconds > 0.0 {
            system.instructions as f64 / seconds / 1e6
        } else {
            0.0
        };
        errln!(
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
        None => {
            if options.requeue {
                errln!("cray: {}", crate::slurm::requeue_current_job());
            }
            ExitCode::from(STOPPED_RESUMABLE)
        }
    })
}
