//! `cray`: the command-line front end of the Cray X-MP emulator and checkpointer.
//!
//! Only this crate prints and chooses exit statuses: the guest's exit status, 128 +
//! signal when the guest died of a signal or a hardware error, 2 when `cray` itself
//! could not do what was asked (always with a one-line message naming the file).

mod batch;
mod control;
mod control_client;
mod debug;
mod demo;
mod dir_lock;
mod dis;
mod divergence;
mod error;
mod files;
mod images;
mod input;
mod json_file;
mod kernel_differences;
mod load;
mod options;
mod output;
mod program;
mod program_source;
mod progress;
mod registers;
mod replay;
mod replay_checks;
mod resume;
mod session;
mod slurm;
mod socket_dir;

use clap::{Args, Parser, Subcommand};
use cray_emulator::isa::Model;
use cray_sysimage::system_image::SaveOptions;
pub use error::CliError;
use options::{JobOptions, MachineChecks, NewJobOptions, RunOnlyOptions};
pub use options::{RunOptions, Timing};
use output::{errln, out};
use std::path::PathBuf;
use std::process::ExitCode;

/// Written into every image as its creator.
pub const CREATED_BY: &str = concat!("cray ", env!("CARGO_PKG_VERSION"));

/// Cray X-MP / Cray-1 emulator with a UNICOS-like system and checkpoint/restart.
#[derive(Parser)]
#[command(name = "cray", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the embedded demo: a vector kernel checkpointed half way and restarted.
    Demo,
    /// Run a program (.cal source, COS absolute binary or a.out) as a new job.
    Run {
        #[command(flatten)]
        new_job: NewJobOptions,
        #[command(flatten)]
        job: JobOptions,
        #[command(flatten)]
        run_only: RunOnlyOptions,
        /// The program.
        program: PathBuf,
        /// Its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Run a program, or the job of a checkpoint image, under a command loop: step,
    /// breakpoints, registers, memory, processes, checkpoints (commands from standard
    /// input; `help` lists them).
    Debug {
        /// Debug the job this image holds instead of starting a program (its machine is
        /// the image's: --model then only checks it).
        #[arg(short = 'f', long = "file", value_name = "IMAGE", conflicts_with_all = ["program", "memory", "timing", "epoch", "personality", "datasets", "control"])]
        image: Option<PathBuf>,
        /// The loader's load map of the program (`ldr -m FILE`): `break`, `dis` and
        /// stops then know its entry points by name.
        #[arg(long, value_name = "FILE")]
        map: Option<PathBuf>,
        #[command(flatten)]
        new_job: NewJobOptions,
        #[command(flatten)]
        job: JobOptions,
        /// The program.
        #[arg(required_unless_present = "image")]
        program: Option<PathBuf>,
        /// Its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Restart what an image holds and run it to completion, on the machine the image
    /// gives (model, memory, timing, epoch).
    Restart {
        /// The image.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// Restart even if files the job had open have changed.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        checks: MachineChecks,
        #[command(flatten)]
        job: JobOptions,
    },
    /// Checkpoint a process or a job of a running session.
    Chkpnt {
        /// Process id.
        #[arg(
            short = 'p',
            long = "pid",
            conflicts_with = "jid",
            required_unless_present = "jid"
        )]
        pid: Option<u32>,
        /// Job id.
        #[arg(short = 'j', long = "jid")]
        jid: Option<u32>,
        /// Image file to write.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// Kill the process or job after the checkpoint.
        #[arg(short = 'k', long = "kill")]
        kill: bool,
        /// Carry the contents of open files in the image (as `run
        /// --checkpoint-with-files`).
        #[arg(long = "checkpoint-with-files", visible_alias = "with-files")]
        with_files: bool,
        /// Compress the memory (and carried files) with zstd (as `run
        /// --checkpoint-compress`).
        #[arg(short = 'z', long = "checkpoint-compress", visible_alias = "compress")]
        compress: bool,
        /// Session id (see `cray ps`); needed only when several are running.
        #[arg(long)]
        session: Option<u32>,
    },
    /// Run a command recorded with `cray run --record` again, with the recorded input
    /// at the recorded clock periods, and check that it ends as it did.
    Replay {
        /// Start from this checkpoint image, taken during the recorded run: the input
        /// delivered before its clock period is skipped, the checks after it compared.
        #[arg(long, value_name = "IMAGE")]
        from: Option<PathBuf>,
        /// The replay log.
        log: PathBuf,
    },
    /// A queue of jobs run one after the other with periodic checkpoints, continued
    /// after a crash where it stopped (NQS style).
    Batch {
        #[command(subcommand)]
        action: BatchAction,
    },
    /// Show an image: version, what it holds, pids, jid, files, sizes, checksums.
    Inspect {
        /// The image.
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Rewrite an image in the current format (its kernel state migrated from the
    /// version it was saved in; an incremental image becomes a full one).
    Upgrade {
        /// The image.
        image: PathBuf,
        /// Write the upgraded image here instead of over IMAGE.
        #[arg(short = 'o', long = "output", value_name = "OUT")]
        output: Option<PathBuf>,
    },
    /// Compare two images: registers, memory ranges and file offsets that differ.
    Diff {
        /// First image.
        a: PathBuf,
        /// Second image.
        b: PathBuf,
    },
    /// List running sessions and their processes.
    Ps,
    /// Assemble a CAL source.
    Asm {
        /// The source.
        source: PathBuf,
        /// Output file (default: the source with .out or .abs).
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "aout")]
        format: program_source::Format,
        /// Write a listing to this file.
        #[arg(short = 'l', long = "listing")]
        listing: Option<PathBuf>,
    },
    /// Disassemble a COS absolute binary (raw or blocked), an a.out, a .cal source
    /// (assembled first, as `run` does) or (--raw) a file of big-endian words.
    Dis {
        /// The file to disassemble: .abs/.bin/.ds, a.out, .cal, or raw words.
        file: PathBuf,
        /// Treat the file as raw 64-bit big-endian words loaded at word 0.
        #[arg(long)]
        raw: bool,
        /// First parcel address to show: 201a (word 0201, parcel a, as the listing
        /// prints it), octal with a leading 0, or decimal.
        #[arg(long, value_name = "PARCEL", value_parser = dis::parse_parcel)]
        from: Option<u32>,
        /// Number of lines to show.
        #[arg(long)]
        count: Option<usize>,
        /// Instruction set.
        #[arg(long, default_value = "xmp", value_parser = options::model_parser())]
        model: Model,
    },
}

/// `--slurm [--sbatch ARG]...` of `batch submit` and `batch run`: hand the queue's
/// jobs to Slurm (as one job array, task N running job N) instead of running them here.
#[derive(Args)]
struct SlurmHandoff {
    /// Hand the jobs to Slurm as one job array (task N runs job N) instead of running
    /// them here.
    #[arg(long)]
    slurm: bool,
    /// With --slurm: an option for `sbatch`, after cray's own (repeatable:
    /// `--sbatch=--partition=long`).
    #[arg(
        long = "sbatch",
        value_name = "ARG",
        allow_hyphen_values = true,
        requires = "slurm"
    )]
    sbatch_args: Vec<String>,
}

/// What `cray batch` does.
#[derive(Subcommand)]
enum BatchAction {
    /// Queue a job: the arguments of `cray run` (options, program, its arguments).
    Submit {
        /// Hand the job to Slurm at once (as `batch run QUEUE --slurm --job N`).
        #[command(flatten)]
        handoff: SlurmHandoff,
        /// The queue's directory (created if missing).
        queue: PathBuf,
        /// `cray run` arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<String>,
    },
    /// Run every job of the queue that has not ended, in order, continuing one that was
    /// interrupted from its newest checkpoint.
    Run {
        /// The queue's directory.
        queue: PathBuf,
        /// Checkpoint interval of jobs that do not give --checkpoint-every.
        #[arg(long, default_value_t = batch::DEFAULT_EVERY, value_parser = clap::value_parser!(u64).range(1..))]
        checkpoint_every: u64,
        /// Run only job N of the queue (what each task of a Slurm array runs).
        #[arg(long, value_name = "N")]
        job: Option<u32>,
        #[command(flatten)]
        handoff: SlurmHandoff,
        /// What SIGUSR1 does to the running job: checkpoint and go on, or checkpoint
        /// and stop.
        #[arg(
            long,
            value_enum,
            value_name = "ACTION",
            default_value = "checkpoint",
            conflicts_with = "slurm"
        )]
        sigusr1: options::Usr1Action,
        /// Inside a Slurm job: requeue it when its job stops at a checkpoint.
        #[arg(long, conflicts_with = "slurm")]
        requeue: bool,
    },
    /// List the jobs of the queue and where each stands.
    Status {
        /// The queue's directory.
        queue: PathBuf,
    },
}

/// A `cray run` command line, parsed.
struct RunCommand {
    options: RunOptions,
    personality: String,
    program: PathBuf,
    args: Vec<String>,
}

/// Parses `cray run ARGS` (options, program, its arguments); the error is clap's
/// first line.
fn parse_run(args: impl IntoIterator<Item = String>) -> Result<RunCommand, String> {
    let argv = ["cray", "run"].map(String::from).into_iter().chain(args);
    match Cli::try_parse_from(argv) {
        Ok(Cli {
            command:
                Command::Run {
                    new_job,
                    job,
                    run_only,
                    program,
                    args,
                },
        }) => Ok(RunCommand {
            personality: new_job.personality.clone(),
            options: RunOptions::run(job, new_job, run_only),
            program,
            args,
        }),
        Ok(_) => Err("not the arguments of cray run".to_string()),
        Err(e) => Err(e.to_string().lines().next().unwrap_or_default().to_string()),
    }
}

/// `cray run COMMAND` as a batch job runs it: the queue gives the checkpoint
/// directory, and an interval unless COMMAND has one.
fn parse_queued(command: &[String], queue_options: &[&str]) -> Result<RunCommand, String> {
    let given = queue_options.iter().map(|arg| arg.to_string());
    parse_run(given.chain(command.iter().cloned()))
        .map_err(|reason| format!("cray run {}: {reason}", command.join(" ")))
}

/// The options of `cray run COMMAND` as a batch job runs it, or why it does not parse.
fn run_options_of(command: &[String]) -> Result<RunCommand, String> {
    // With an interval of its own, a second one is refused.
    parse_queued(
        command,
        &["--checkpoint-dir", "queue", "--checkpoint-every", "1"],
    )
    .or_else(|with_interval| {
        parse_queued(command, &["--checkpoint-dir", "queue"])
            .ok()
            .filter(|run| run.options.checkpoint_every.is_some())
            .ok_or(with_interval)
    })
}

/// Whether `cray run COMMAND` gives its own `--checkpoint-every` and its own
/// `--checkpoint-keep`.
fn own_checkpoint_options(command: &[String]) -> (bool, bool) {
    parse_queued(command, &["--checkpoint-dir", "queue"]).map_or((false, false), |run| {
        (
            run.options.checkpoint_every.is_some(),
            run.options.checkpoint_keep.is_some(),
        )
    })
}

/// `cray batch ...`.
fn batch_command(action: BatchAction) -> Result<ExitCode, CliError> {
    match action {
        BatchAction::Submit {
            handoff,
            queue,
            command,
        } => {
            let number = batch::submit(&queue, &command, |command| {
                let run = run_options_of(command)?;
                if run.program.is_file() {
                    Ok(())
                } else {
                    Err(format!("{}: no such program file", run.program.display()))
                }
            })?;
            if !handoff.slurm {
                return Ok(ExitCode::SUCCESS);
            }
            let args = &handoff.sbatch_args;
            batch::hand_to_slurm(&queue, batch::DEFAULT_EVERY, Some(number), args)
        }
        BatchAction::Run {
            queue,
            checkpoint_every,
            job,
            handoff:
                SlurmHandoff {
                    slurm: true,
                    sbatch_args,
                },
            ..
        } => batch::hand_to_slurm(&queue, checkpoint_every, job, &sbatch_args),
        BatchAction::Run {
            queue,
            checkpoint_every,
            job,
            sigusr1,
            requeue,
            ..
        } => {
            let runner = batch::Runner {
                every: checkpoint_every,
                only: job,
                usr1_stops: sigusr1 == options::Usr1Action::Stop,
                requeue,
            };
            batch::run(&queue, &runner, own_checkpoint_options)
        }
        BatchAction::Status { queue } => batch::status(&queue),
    }
}

/// Parses a number: `0` prefix means octal (as Cray people write addresses), `0x` hex.
fn parse_number(text: &str) -> Result<u32, String> {
    let parsed = if let Some(hex) = text.strip_prefix("0x") {
        u32::from_str_radix(hex, 16)
    } else if text.len() > 1 && text.starts_with('0') {
        u32::from_str_radix(&text[1..], 8)
    } else {
        text.parse()
    };
    parsed.map_err(|e| format!("`{text}` is not a number: {e}"))
}

fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Demo => demo::run(),
        Command::Run {
            new_job,
            job,
            run_only,
            program,
            args,
        } => {
            let personality = new_job.personality.clone();
            let mut options = with_job_placeholders(RunOptions::run(job, new_job, run_only))?;
            if options.record.is_some() {
                options.command = command_line()?;
            }
            program::run(&options, &personality, &program, &args)
        }
        Command::Replay { from, log } => replay(&log, from),
        Command::Debug {
            image,
            map,
            new_job,
            job,
            program,
            args,
        } => {
            let personality = new_job.personality.clone();
            let (options, target) = match (&image, &program) {
                (Some(image), _) => {
                    let checks = MachineChecks {
                        model: new_job.model,
                        memory: None,
                        timing: None,
                        epoch: None,
                    };
                    let options = RunOptions::restored(job, checks);
                    (options, program::DebugTarget::Image(image))
                }
                (None, Some(program)) => (
                    RunOptions::new_job(job, new_job),
                    program::DebugTarget::Program(program, &args),
                ),
                (None, None) => return Err(CliError::new("debug: give a program or -f IMAGE")),
            };
            let options = with_job_placeholders(options)?;
            program::debug(&options, &personality, target, map.as_deref())
        }
        Command::Batch { action } => batch_command(action),
        Command::Restart {
            file,
            force,
            checks,
            job,
        } => {
            let options = with_job_placeholders(RunOptions::restored(job, checks))?;
            program::restart(&options, &file, force)
        }
        Command::Chkpnt {
            pid,
            jid,
            file,
            kill,
            with_files,
            compress,
            session,
        } => {
            let options = SaveOptions {
                with_files,
                compress,
            };
            images::chkpnt(pid, jid, &file, kill, options, session)
        }
        Command::Inspect { file, json } => images::inspect(&file, json),
        Command::Upgrade { image, output } => images::upgrade(&image, output.as_deref()),
        Command::Diff { a, b } => images::diff(&a, &b),
        Command::Ps => images::ps(),
        Command::Asm {
            source,
            output,
            format,
            listing,
        } => program_source::asm(&source, output, format, listing),
        Command::Dis {
            file,
            raw,
            from,
            count,
            model,
        } => {
            let options = dis::DisOptions {
                raw,
                from,
                count,
                model,
            };
            out!("{}", dis::disassemble_file(&file, &options)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `options` with the Slurm job placeholders of `--checkpoint-dir` (`%j`, `%A`, `%a`)
/// replaced.
fn with_job_placeholders(mut options: RunOptions) -> Result<RunOptions, CliError> {
    if let Some(dir) = &options.checkpoint_dir {
        options.checkpoint_dir = Some(slurm::expand_job_placeholders(dir)?);
    }
    Ok(options)
}

/// The arguments of this `cray` command as text (`--record` writes them down).
fn command_line() -> Result<Vec<String>, CliError> {
    std::env::args_os()
        .skip(1)
        .map(|arg| {
            arg.into_string().map_err(|arg| {
                CliError::new(format!(
                    "--record: the argument {arg:?} is not UTF-8 text, which a replay log cannot hold"
                ))
            })
        })
        .collect()
}

/// `cray replay [--from IMAGE] LOG`: the recorded `cray run`, fed from the log.
fn replay(log: &std::path::Path, from: Option<PathBuf>) -> Result<ExitCode, CliError> {
    let recorded = replay::ReplayLog::read(log)?;
    // `read` checked that the command is a `run`.
    let mut run = parse_run(recorded.command.into_iter().skip(1)).map_err(|reason| {
        CliError::invalid(
            log,
            format!("the recorded command does not parse: {reason}"),
        )
    })?;
    run.options.record = None;
    run.options.record_interval = None;
    run.options.replay = Some(log.to_path_buf());
    run.options.replay_from = from;
    program::run(&run.options, &run.personality, &run.program, &run.args)
}

/// A write past the host's file size limit (`ulimit -f`) must fail with EFBIG, which
/// the guest (or the checkpoint) then meets as an error, instead of killing `cray`
/// with SIGXFSZ. A handler that only sets a flag does that without `unsafe`;
/// registering it twice is harmless.
fn survive_file_size_limit() {
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGXFSZ, flag);
}

fn main() -> ExitCode {
    survive_file_size_limit();
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Run { .. }
            | Command::Restart { .. }
            | Command::Debug { .. }
            | Command::Replay { .. }
    ) {
        session::catch_signals();
    }
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            errln!("cray: {error}");
            ExitCode::from(2)
        }
    }
}
