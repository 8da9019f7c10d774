//! The options of the commands that run a job (`run`, `debug`, `restart`), grouped so
//! that each command's `--help` lists only what it accepts: the options of every job
//! ([`JobOptions`]), of a job started from a program ([`NewJobOptions`]), of `run`
//! alone ([`RunOnlyOptions`]), and the machine a restart may only check
//! ([`MachineChecks`]). The commands merge their groups into one [`RunOptions`].

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Args;
use cray_emulator::isa::Model;
use cray_sysimage::file_policy::FilePolicy;
use std::path::PathBuf;

/// Machine memory when `--memory` is not given: 8 MW (64 MiB).
pub const DEFAULT_MEMORY: u64 = 8 * 1024 * 1024;

/// `--model xmp|cray1`, with its possible values listed in `--help`.
pub fn model_parser() -> impl TypedValueParser<Value = Model> {
    PossibleValuesParser::new([Model::XMp.name(), Model::Cray1.name()])
        .map(|name| Model::from_name(&name).unwrap_or(Model::XMp))
}

/// `--timing`: the cycle-approximate model, or one clock period per instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Timing {
    /// Cycle-approximate timing model.
    Approx,
    /// Functional only: every instruction takes one clock period.
    Off,
}

/// `--file-policy PATH=POLICY`.
fn parse_file_policy(text: &str) -> Result<(String, FilePolicy), String> {
    cray_sysimage::file_policy::parse_assignment(text)
}

/// `--sigusr1`: what the runner does when it receives SIGUSR1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Usr1Action {
    /// Checkpoint the job and go on.
    #[default]
    Checkpoint,
    /// Checkpoint the job and stop it, as SIGTERM does.
    Stop,
}

/// Options of every command that runs a job: `run`, `debug` and `restart`.
#[derive(Args, Clone, Debug)]
pub struct JobOptions {
    /// Directory that guest file names resolve in (default: the current directory).
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// Stop the job with an error once it has run this many clock periods.
    #[arg(long)]
    pub max_cycles: Option<u64>,
    /// Print the hardware-performance-monitor report at exit.
    #[arg(long)]
    pub stats: bool,
    /// Write the run's figures as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub stats_json: Option<PathBuf>,
    /// Checkpoint the job every CYCLES clock periods (with --checkpoint-dir; at least 1).
    #[arg(long, value_name = "CYCLES", requires = "checkpoint_dir", value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_every: Option<u64>,
    /// Directory of periodic checkpoints.
    #[arg(long, value_name = "DIR", requires = "checkpoint_every")]
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
    /// Checkpoint the job when it reaches CYCLES, then stop it (with --checkpoint).
    #[arg(long, value_name = "CYCLES", requires = "checkpoint")]
    pub stop_at: Option<u64>,
    /// Image file for --stop-at.
    #[arg(long, value_name = "FILE", requires = "stop_at")]
    pub checkpoint: Option<PathBuf>,
    /// Carry the contents of open files in every checkpoint (`chkpnt --with-files`).
    #[arg(long, alias = "with-files")]
    pub checkpoint_with_files: bool,
    /// Compress the memory (and carried files) of every checkpoint with zstd
    /// (`chkpnt -z`).
    #[arg(long, alias = "compress")]
    pub checkpoint_compress: bool,
    /// What SIGUSR1 does: checkpoint the job and go on, or checkpoint it and stop
    /// (exit status 75, as SIGTERM), e.g. when Slurm's `--signal=B:USR1@N` says the
    /// time limit is near.
    #[arg(long, value_enum, value_name = "ACTION", default_value = "checkpoint")]
    pub sigusr1: Usr1Action,
    /// Inside a Slurm job: when the job stops at a checkpoint (SIGTERM, `--sigusr1
    /// stop`), requeue the Slurm job (`scontrol requeue $SLURM_JOB_ID`) so that it goes
    /// on later from that checkpoint.
    #[arg(long)]
    pub requeue: bool,
    /// When a job is restarted (or resumed by run): what to do with host file PATH it had open,
    /// one of replace (write the contents the image carries), append (keep the file,
    /// go on at its end), ignore (keep it, offsets unchanged), fail (refuse if it
    /// changed), truncate (cut it back to its length at the checkpoint). Default:
    /// truncate for files open for writing, fail for the others, replace for carried
    /// ones (repeatable).
    #[arg(long = "file-policy", value_name = "PATH=POLICY", value_parser = parse_file_policy)]
    pub file_policies: Vec<(String, FilePolicy)>,
    /// COS: write the job log (every F$MSG line) to this file when the run ends.
    #[arg(long = "log", value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// COS: print every F$ request (code, name, S1, S2, P) and its status on stderr.
    #[arg(long)]
    pub trace_requests: bool,
    /// COS job decks (a restarted deck job needs the same): the system directory, where a verb that is neither a system
    /// verb nor a local dataset is found as a program (NAME.bin, name.bin, NAME, name).
    #[arg(long, value_name = "DIR")]
    pub system_dir: Option<PathBuf>,
    /// COS job decks: the permanent-dataset store (catalogue and datasets) that ACCESS,
    /// SAVE, DELETE, ADJUST, MODIFY and PERMIT use; created if missing.
    #[arg(long, value_name = "DIR")]
    pub pds: Option<PathBuf>,
    /// COS job decks: the input queue (a `cray batch` queue directory, created if
    /// missing) that SUBMIT appends the jobs it submits to.
    #[arg(long, value_name = "DIR")]
    pub queue: Option<PathBuf>,
    /// Show a one-line progress display on standard error (clock periods, emulated
    /// time, MIPS, checkpoints): the default when standard error is a terminal; with
    /// standard error redirected, a line a second.
    #[arg(long, conflicts_with = "quiet")]
    pub progress: bool,
    /// Show no progress display, even on a terminal.
    #[arg(long)]
    pub quiet: bool,
}

/// Options of a job started from a program (`run`, `debug PROGRAM`): its machine and
/// how the program is loaded.
#[derive(Args, Clone, Debug)]
pub struct NewJobOptions {
    /// Machine model [default: xmp] (`debug -f`: the image's, which this checks).
    #[arg(long, value_parser = model_parser())]
    pub model: Option<Model>,
    /// Machine memory in 64-bit words.
    #[arg(long, value_name = "WORDS", default_value_t = DEFAULT_MEMORY)]
    pub memory: u64,
    /// Timing model.
    #[arg(long, value_enum, default_value = "approx")]
    pub timing: Timing,
    /// Seconds since 1970 that the guest's `time` returns at cycle 0.
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub epoch: u64,
    /// Personality of a .cal source (binaries say what they are).
    #[arg(long, default_value = "unicos", value_parser = ["unicos", "cos"])]
    pub personality: String,
    /// COS: map dataset NAME to host file PATH inside --root (repeatable). A PATH
    /// ending in .txt is written as host text lines, any other as a blocked dataset.
    #[arg(long = "dataset", value_name = "NAME=PATH")]
    pub datasets: Vec<String>,
    /// COS: the control statement (JCCCI). Default: NAME,ARG1,ARG2. with NAME the
    /// program's file name without extension, in capitals.
    #[arg(long = "control", value_name = "STATEMENT")]
    pub control: Option<String>,
    /// COS binary run by itself: its field length in words, as a deck job's
    /// `JOB,MFL=` gives its steps (JCFL = JCMFL; rounded up to 512 words, at
    /// least what the program needs). Default: what it needs plus 040000 words
    /// of heap and stack.
    #[arg(long, value_name = "WORDS")]
    pub mfl: Option<u64>,
}

/// Options of `cray run` alone.
#[derive(Args, Clone, Debug)]
pub struct RunOnlyOptions {
    /// Continue from the newest good checkpoint in --checkpoint-dir when an earlier
    /// run of this job was interrupted (crash, SIGTERM); once the job ends, running the
    /// command again only reports how it ended.
    #[arg(long, requires = "checkpoint_dir")]
    pub resume: bool,
    /// With --resume: continue a job that marked itself not rerunnable (a COS
    /// program's F$NRN) all the same, from its newest checkpoint or from the start.
    #[arg(long, requires = "resume")]
    pub force_rerun: bool,
    /// Write an SVG chart of which functional unit, memory port and V register is busy
    /// in each clock period of the job's first process (needs --timing approx).
    #[arg(long, value_name = "FILE")]
    pub timeline: Option<PathBuf>,
    /// The clock periods the timeline covers, START:LEN (default 0:1000), counted on
    /// the process's issue clock (kernel time excluded).
    #[arg(long, value_name = "START:LEN", requires = "timeline")]
    pub timeline_window: Option<String>,
    /// Write a replay log of the job's terminal input (each piece with the clock
    /// period at which it reached the job) and of how the run ended (see `cray replay`).
    #[arg(long, value_name = "LOG")]
    pub record: Option<PathBuf>,
    /// With --record: clock periods between two state hashes in the log (default:
    /// 4096, doubled whenever the log would hold more than 2048, so that it stays
    /// small; a replay names the instruction that left the recorded run when one
    /// instruction separates two of them).
    #[arg(long, value_name = "CP", requires = "record", value_parser = clap::value_parser!(u64).range(1..))]
    pub record_interval: Option<u64>,
    /// Give the job the input of this replay log instead of the host's (set by `cray
    /// replay`).
    #[arg(long, value_name = "LOG", hide = true)]
    pub replay: Option<PathBuf>,
    /// Set by `cray batch run` for its job: the pid of the runner. The job dies with the
    /// runner (SIGTERM, so it checkpoints), and waits for its checkpoint directory's
    /// lock instead of refusing it.
    #[arg(long, value_name = "PID", hide = true)]
    pub runner_pid: Option<u32>,
    /// When another runner holds the checkpoint directory's lock, wait for it to end
    /// instead of refusing: a requeued Slurm job whose earlier run is still ending
    /// (its node lost contact, or it is still checkpointing) then goes on after it.
    #[arg(long)]
    pub wait_for_lock: bool,
}

/// The machine of a restarted job is the image's: these options only check it (a
/// value that differs from the image's is refused, never silently ignored).
#[derive(Args, Clone, Debug)]
pub struct MachineChecks {
    /// Refuse the image unless it is of this model (the image gives the machine).
    #[arg(long, value_parser = model_parser())]
    pub model: Option<Model>,
    /// Refuse the image unless its machine has this many words of memory.
    #[arg(long, value_name = "WORDS")]
    pub memory: Option<u64>,
    /// Refuse the image unless its job runs with this timing model.
    #[arg(long, value_enum)]
    pub timing: Option<Timing>,
    /// Refuse the image unless its job's clock starts at this epoch.
    #[arg(long, value_name = "SECONDS")]
    pub epoch: Option<u64>,
}

/// What a command that runs a job was asked, its groups of options merged. A machine
/// option that is `None` was not given (a restart then takes the image's).
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub root: PathBuf,
    pub model: Option<Model>,
    pub memory: Option<u64>,
    pub timing: Option<Timing>,
    pub epoch: Option<u64>,
    pub max_cycles: Option<u64>,
    pub stats: bool,
    pub timeline: Option<PathBuf>,
    pub timeline_window: Option<String>,
    pub stats_json: Option<PathBuf>,
    pub checkpoint_every: Option<u64>,
    pub checkpoint_dir: Option<PathBuf>,
    pub checkpoint_keep: Option<u64>,
    pub checkpoint_incremental: bool,
    pub checkpoint_full_every: Option<u32>,
    pub resume: bool,
    /// `--force-rerun`.
    pub force_rerun: bool,
    pub stop_at: Option<u64>,
    pub checkpoint: Option<PathBuf>,
    pub checkpoint_with_files: bool,
    pub checkpoint_compress: bool,
    pub sigusr1: Usr1Action,
    pub requeue: bool,
    pub datasets: Vec<String>,
    pub control: Option<String>,
    /// `--mfl`.
    pub mfl: Option<u64>,
    pub system_dir: Option<PathBuf>,
    pub pds: Option<PathBuf>,
    pub queue: Option<PathBuf>,
    pub log: Option<PathBuf>,
    pub file_policies: Vec<(String, FilePolicy)>,
    pub trace_requests: bool,
    pub progress: bool,
    pub quiet: bool,
    pub record: Option<PathBuf>,
    pub record_interval: Option<u64>,
    pub replay: Option<PathBuf>,
    /// `cray replay --from IMAGE`.
    pub replay_from: Option<PathBuf>,
    pub runner_pid: Option<u32>,
    pub wait_for_lock: bool,
    /// The arguments of this `cray` command, for `--record`.
    pub command: Vec<String>,
}

impl RunOptions {
    /// The options of every job.
    fn of_job(job: JobOptions) -> RunOptions {
        RunOptions {
            root: job.root,
            max_cycles: job.max_cycles,
            stats: job.stats,
            stats_json: job.stats_json,
            checkpoint_every: job.checkpoint_every,
            checkpoint_dir: job.checkpoint_dir,
            checkpoint_keep: job.checkpoint_keep,
            checkpoint_incremental: job.checkpoint_incremental,
            checkpoint_full_every: job.checkpoint_full_every,
            stop_at: job.stop_at,
            checkpoint: job.checkpoint,
            checkpoint_with_files: job.checkpoint_with_files,
            checkpoint_compress: job.checkpoint_compress,
            sigusr1: job.sigusr1,
            requeue: job.requeue,
            log: job.log,
            file_policies: job.file_policies,
            trace_requests: job.trace_requests,
            system_dir: job.system_dir,
            pds: job.pds,
            queue: job.queue,
            progress: job.progress,
            quiet: job.quiet,
            ..RunOptions::default()
        }
    }

    /// A job started from a program (`debug PROGRAM`).
    pub fn new_job(job: JobOptions, new: NewJobOptions) -> RunOptions {
        RunOptions {
            model: new.model,
            memory: Some(new.memory),
            timing: Some(new.timing),
            epoch: Some(new.epoch),
            datasets: new.datasets,
            control: new.control,
            mfl: new.mfl,
            ..RunOptions::of_job(job)
        }
    }

    /// `cray run`.
    pub fn run(job: JobOptions, new: NewJobOptions, only: RunOnlyOptions) -> RunOptions {
        RunOptions {
            resume: only.resume,
            force_rerun: only.force_rerun,
            timeline: only.timeline,
            timeline_window: only.timeline_window,
            record: only.record,
            record_interval: only.record_interval,
            replay: only.replay,
            runner_pid: only.runner_pid,
            wait_for_lock: only.wait_for_lock,
            ..RunOptions::new_job(job, new)
        }
    }

    /// A restored job (`restart`, `debug -f`), whose machine the image gives.
    pub fn restored(job: JobOptions, checks: MachineChecks) -> RunOptions {
        RunOptions {
            model: checks.model,
            memory: checks.memory,
            timing: checks.timing,
            epoch: checks.epoch,
            ..RunOptions::of_job(job)
        }
    }
}
