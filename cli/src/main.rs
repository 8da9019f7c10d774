//! `cray`: the command-line front end of the Cray X-MP emulator and checkpointer.
//!
//! Only this crate prints and chooses exit statuses: the guest's exit status, 128 +
//! signal when the guest died of a signal or a hardware error, 2 when `cray` itself
//! could not do what was asked (always with a one-line message naming the file).

mod batch;
mod control;
mod debug;
mod demo;
mod dis;
mod error;
mod images;
mod input;
mod json_file;
mod load;
mod output;
mod program;
mod program_source;
mod replay;
mod resume;
mod session;

use clap::{Args, Parser, Subcommand};
use cray_chkpnt::file_policy::FilePolicy;
use cray_chkpnt::system_image::SaveOptions;
use cray_emulator::isa::Model;
pub use error::CliError;
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

/// Options shared by `run` and `restart`.
#[derive(Args, Clone, Debug)]
pub struct RunOptions {
    /// Directory that guest file names resolve in (default: the current directory).
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// Machine model: xmp (the default) or cray1; `restart` takes the image's.
    #[arg(long, value_parser = parse_model)]
    pub model: Option<Model>,
    /// Machine memory in 64-bit words.
    #[arg(long, default_value_t = 8 * 1024 * 1024)]
    pub memory: u64,
    /// Timing model: approx (cycle-approximate) or off (functional only).
    #[arg(long, default_value = "approx", value_parser = ["approx", "off"])]
    pub timing: String,
    /// Stop the job with an error once it has run this many clock periods.
    #[arg(long)]
    pub max_cycles: Option<u64>,
    /// Print the hardware-performance-monitor report at exit.
    #[arg(long)]
    pub stats: bool,
    /// Write an SVG chart of which functional unit, memory port and V register is busy
    /// in each clock period of the job's first process (needs --timing approx).
    #[arg(long, value_name = "FILE")]
    pub timeline: Option<PathBuf>,
    /// The clock periods the timeline covers, START:LEN (default 0:1000), counted on
    /// the process's issue clock (kernel time excluded).
    #[arg(long, value_name = "START:LEN", requires = "timeline")]
    pub timeline_window: Option<String>,
    /// Write the run's figures as JSON to this file.
    #[arg(long)]
    pub stats_json: Option<PathBuf>,
    /// Checkpoint the job every CYCLES clock periods (with --checkpoint-dir; at least 1).
    #[arg(long, requires = "checkpoint_dir", value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_every: Option<u64>,
    /// Directory of periodic checkpoints.
    #[arg(long, requires = "checkpoint_every")]
    pub checkpoint_dir: Option<PathBuf>,
    /// Keep only the newest N periodic checkpoints in --checkpoint-dir (at least 1).
    #[arg(long, value_name = "N", requires = "checkpoint_dir", value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_keep: Option<u64>,
    /// Write the periodic checkpoints in --checkpoint-dir as incremental images (format
    /// 1.1): each holds only the memory pages changed since the one before, and names it
    /// as its parent. --checkpoint-keep keeps every image a kept one builds on.
    #[arg(long, requires = "checkpoint_dir")]
    pub checkpoint_incremental: bool,
    /// With --checkpoint-incremental: every Nth periodic image is full, so that no chain
    /// is longer than N images (default 8; 1 makes every image full).
    #[arg(long, value_name = "N", requires = "checkpoint_incremental", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub checkpoint_full_every: Option<u32>,
    /// Run: continue from the newest good checkpoint in --checkpoint-dir when an earlier
    /// run of this job was interrupted (crash, SIGTERM); once the job ends, running the
    /// command again only reports how it ended.
    #[arg(long, requires = "checkpoint_dir")]
    pub resume: bool,
    /// Checkpoint the job when it reaches CYCLES, then stop it (with --checkpoint).
    #[arg(long, requires = "checkpoint")]
    pub stop_at: Option<u64>,
    /// Image file for --stop-at.
    #[arg(long, requires = "stop_at")]
    pub checkpoint: Option<PathBuf>,
    /// Carry the contents of open files in every checkpoint.
    #[arg(long)]
    pub checkpoint_with_files: bool,
    /// Restart (and run --resume): what to do with host file PATH the job had open,
    /// one of replace (write the contents the image carries), append (keep the file,
    /// go on at its end), ignore (keep it, offsets unchanged), fail (refuse if it
    /// changed), truncate (cut it back to its length at the checkpoint). Default:
    /// truncate for files open for writing, fail for the others, replace for carried
    /// ones (repeatable).
    #[arg(long = "file-policy", value_name = "PATH=POLICY", value_parser = parse_file_policy)]
    pub file_policies: Vec<(String, FilePolicy)>,
    /// Compress the memory (and carried files) of every checkpoint with zstd.
    #[arg(long)]
    pub checkpoint_compress: bool,
    /// Seconds since 1970 that the guest's `time` returns at cycle 0.
    #[arg(long, default_value_t = 0)]
    pub epoch: u64,
    /// COS: map dataset NAME to host file PATH inside --root (repeatable). A PATH
    /// ending in .txt is written as host text lines, any other as a blocked dataset.
    #[arg(long = "dataset", value_name = "NAME=PATH")]
    pub datasets: Vec<String>,
    /// COS: the control statement (JCCCI). Default: NAME,ARG1,ARG2. with NAME the
    /// program's file name without extension, in capitals.
    #[arg(long = "control", value_name = "STATEMENT")]
    pub control: Option<String>,
    /// COS: write the job log (every F$MSG line) to this file when the run ends.
    #[arg(long = "log", value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// COS: print every F$ request (code, name, S1, S2, P) and its status on stderr.
    #[arg(long)]
    pub trace_requests: bool,
    /// Run: write a replay log of the job's terminal input (each piece with the clock
    /// period at which it reached the job) and of how the run ended (see `cray replay`).
    #[arg(long, value_name = "LOG")]
    pub record: Option<PathBuf>,
    /// Give the job the input of this replay log instead of the host's (set by `cray
    /// replay`).
    #[arg(long, value_name = "LOG", hide = true)]
    pub replay: Option<PathBuf>,
    /// The arguments of this `cray` command, for `--record`.
    #[arg(skip)]
    pub command: Vec<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the embedded demo: a vector kernel checkpointed half way and restarted.
    Demo,
    /// Run a program (.cal source, COS absolute binary or a.out) as a new job.
    Run {
        #[command(flatten)]
        options: RunOptions,
        /// Personality of a .cal source: unicos or cos.
        #[arg(long, default_value = "unicos", value_parser = ["unicos", "cos"])]
        personality: String,
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
        /// Debug the job this image holds instead of starting a program.
        #[arg(short = 'f', long = "file", conflicts_with = "program")]
        image: Option<PathBuf>,
        #[command(flatten)]
        options: RunOptions,
        /// Personality of a .cal source: unicos or cos.
        #[arg(long, default_value = "unicos", value_parser = ["unicos", "cos"])]
        personality: String,
        /// The program.
        #[arg(required_unless_present = "image")]
        program: Option<PathBuf>,
        /// Its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Restart what an image holds and run it to completion.
    Restart {
        /// The image.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// Restart even if files the job had open have changed.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        options: RunOptions,
    },
    /// Checkpoint a process or a job of a running session.
    Chkpnt {
        /// Process id.
        #[arg(short = 'p', conflicts_with = "jid", required_unless_present = "jid")]
        pid: Option<u32>,
        /// Job id.
        #[arg(short = 'j')]
        jid: Option<u32>,
        /// Image file to write.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// Kill the process or job after the checkpoint.
        #[arg(short = 'k')]
        kill: bool,
        /// Carry the contents of open files in the image.
        #[arg(long)]
        with_files: bool,
        /// Compress the memory (and carried files) with zstd.
        #[arg(short = 'z', long)]
        compress: bool,
        /// Session id (see `cray ps`); needed only when several are running.
        #[arg(long)]
        session: Option<u32>,
    },
    /// Run a command recorded with `cray run --record` again, with the recorded input
    /// at the recorded clock periods, and check that it ends as it did.
    Replay {
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
        #[arg(short = 'o')]
        output: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "aout")]
        format: program_source::Format,
        /// Write a listing to this file.
        #[arg(short = 'l')]
        listing: Option<PathBuf>,
    },
    /// Disassemble a COS absolute binary, an a.out, or (--raw) a file of big-endian words.
    Dis {
        /// The file to disassemble.
        file: PathBuf,
        /// Treat the file as raw 64-bit big-endian words loaded at word 0.
        #[arg(long)]
        raw: bool,
        /// First parcel address to show (octal with a leading 0, or decimal).
        #[arg(long, value_parser = parse_number)]
        from: Option<u32>,
        /// Number of lines to show.
        #[arg(long)]
        count: Option<usize>,
        /// Instruction set: xmp or cray1.
        #[arg(long, default_value = "xmp", value_parser = parse_model)]
        model: Model,
    },
}

/// What `cray batch` does.
#[derive(Subcommand)]
enum BatchAction {
    /// Queue a job: the arguments of `cray run` (options, program, its arguments).
    Submit {
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
                    options,
                    personality,
                    program,
                    args,
                },
        }) => Ok(RunCommand {
            options,
            personality,
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
        BatchAction::Submit { queue, command } => batch::submit(&queue, &command, |command| {
            let run = run_options_of(command)?;
            if run.program.is_file() {
                Ok(())
            } else {
                Err(format!("{}: no such program file", run.program.display()))
            }
        }),
        BatchAction::Run {
            queue,
            checkpoint_every,
        } => batch::run(&queue, checkpoint_every, own_checkpoint_options),
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

fn parse_file_policy(text: &str) -> Result<(String, FilePolicy), String> {
    cray_chkpnt::file_policy::parse_assignment(text)
}

fn parse_model(text: &str) -> Result<Model, String> {
    Model::from_name(text).ok_or_else(|| format!("unknown model `{text}` (xmp or cray1)"))
}

fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Demo => demo::run(),
        Command::Run {
            mut options,
            personality,
            program,
            args,
        } => {
            if options.record.is_some() {
                options.command = command_line()?;
            }
            program::run(&options, &personality, &program, &args)
        }
        Command::Replay { log } => replay(&log),
        Command::Debug {
            image,
            options,
            personality,
            program,
            args,
        } => {
            let target = match (&image, &program) {
                (Some(image), _) => program::DebugTarget::Image(image),
                (None, Some(program)) => program::DebugTarget::Program(program, &args),
                (None, None) => return Err(CliError::new("debug: give a program or -f IMAGE")),
            };
            program::debug(&options, &personality, target)
        }
        Command::Batch { action } => batch_command(action),
        Command::Restart {
            file,
            force,
            options,
        } => program::restart(&options, &file, force),
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

/// `cray replay LOG`: the recorded `cray run`, fed from the log.
fn replay(log: &std::path::Path) -> Result<ExitCode, CliError> {
    let recorded = replay::ReplayLog::read(log)?;
    // `read` checked that the command is a `run`.
    let mut run = parse_run(recorded.command.into_iter().skip(1)).map_err(|reason| {
        CliError::invalid(
            log,
            format!("the recorded command does not parse: {reason}"),
        )
    })?;
    run.options.record = None;
    run.options.replay = Some(log.to_path_buf());
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
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            errln!("cray: {error}");
            ExitCode::from(2)
        }
    }
}
