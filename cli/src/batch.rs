//! `cray batch`: a queue of jobs run one after the other, each checkpointed as it
//! runs, that picks up after a crash where it was, as NQS did.
//!
//! A queue is a directory. `cray batch submit QUEUE [RUN OPTIONS] PROGRAM [ARGS]`
//! writes `NNNN.json` there: the job's number, the directory it was submitted from and
//! its `cray run` arguments. `cray batch run QUEUE` runs every job that has not ended,
//! in order, as `cray run --resume --queue QUEUE --checkpoint-dir QUEUE/NNNN` (a COS
//! deck's SUBMIT adds a job to the queue, which is read again after each job), with
//! periodic checkpoints, no terminal, and its standard output and error appended to
//! `QUEUE/NNNN/stdout` and `stderr`. When the host crashes, or the runner is stopped
//! (SIGTERM is passed on to the job, which checkpoints), running `cray batch run
//! QUEUE` again continues the job from its newest checkpoint and then the rest of the
//! queue; a job that ended is never run twice (`finished.json`), nor one that `cray
//! run` could not carry on (`failed.json`, exit status 2). What the job wrote
//! after its last checkpoint and before a crash is cut from its `stdout` before it
//! continues (see `resume::cut_back_output`), so it is there once. One runner runs a
//! queue at a time (a lock on the queue's directory), and its job dies with it (SIGTERM
//! when the runner dies, so it checkpoints); the next runner waits for a job that is
//! still stopping. A runner stopped with its job checkpointed exits with status 75,
//! "stopped, resumable"; one whose job could not checkpoint says so and exits with 2,
//! without marking the job failed.

use crate::dir_lock::DirLock;
use crate::json_file;
use crate::output::{errln, outln};
use crate::program::STOPPED_RESUMABLE;
use crate::resume::{self, Finished};
use crate::CliError;
use cray_emulator::cos::deck::submit::{InputQueue, Submission, MAX_SUBMITS_PER_JOB};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Checkpoint interval of a job that does not give `--checkpoint-every`: about a
/// second of X-MP time.
pub const DEFAULT_EVERY: u64 = 100_000_000;

/// Periodic images kept of a job that does not give `--checkpoint-keep`: the newest,
/// and the one before in case a crash damaged it.
pub const KEEP: u64 = 2;

/// The host signals that stop the queue (passed on to the job as SIGTERM).
const STOP_SIGNALS: [i32; 4] = [
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGHUP,
    signal_hook::consts::SIGQUIT,
];

/// The queue's first look whether its job ended, after starting it; each later
/// look waits twice as long, up to [`LOOK_EVERY`], so that a short job's end is
/// seen within a few milliseconds (a look every 20 ms made each job of a queue of
/// short ones end up to 20 ms late).
const FIRST_LOOK: Duration = Duration::from_millis(1);

/// The longest wait between two looks at the job and at the signals to pass on.
const LOOK_EVERY: Duration = Duration::from_millis(20);

/// Run options the queue sets itself for every job.
const RESERVED: [&str; 7] = [
    "--resume",
    "--queue",
    "--checkpoint-dir",
    "--stop-at",
    "--checkpoint",
    "--record",
    "--runner-pid",
];

/// A job of a queue.
#[derive(Debug, Serialize, Deserialize)]
struct Job {
    /// Its number in the queue.
    job: u32,
    /// The directory it was submitted from: its relative names resolve there.
    cwd: PathBuf,
    /// Its `cray run` arguments (options, program, program arguments).
    command: Vec<String>,
    /// For a job a deck job's SUBMIT queued: who submitted it ([`DeckQueue`]), so
    /// that a submitting job resumed from a checkpoint does not queue it twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    submitted_by: Option<String>,
}

impl Job {
    fn file(queue: &Path, number: u32) -> PathBuf {
        queue.join(format!("{number:04}.json"))
    }

    /// The job's checkpoint directory, which also holds its output.
    fn dir(&self, queue: &Path) -> PathBuf {
        queue.join(format!("{:04}", self.job))
    }
}

/// `cray batch submit QUEUE COMMAND...`; `checks` says whether `cray run COMMAND`
/// parses, and whether it gives `--checkpoint-every`. The job's number.
pub fn submit(
    queue: &Path,
    command: &[String],
    checks: impl Fn(&[String]) -> Result<(), String>,
) -> Result<u32, CliError> {
    if let Some(reserved) = command.iter().find(|arg| {
        RESERVED
            .iter()
            .any(|r| arg.as_str() == *r || arg.starts_with(&format!("{r}=")))
    }) {
        return Err(CliError::new(format!(
            "batch submit: {reserved} is set by the queue for every job ({} are)",
            RESERVED.join(", ")
        )));
    }
    checks(command).map_err(|reason| CliError::new(format!("batch submit: {reason}")))?;
    std::fs::create_dir_all(queue).map_err(|e| CliError::io(queue, e))?;
    let number = jobs(queue)?.last().map_or(1, |job| job.job + 1);
    let cwd = std::env::current_dir().map_err(|e| CliError::io(Path::new("."), e))?;
    let job = Job {
        job: number,
        cwd,
        command: command.to_vec(),
        submitted_by: None,
    };
    json_file::write(&Job::file(queue, number), &job)?;
    outln!("batch: job {number} queued in {}", queue.display());
    Ok(number)
}

/// The jobs `cray batch run` looks at: every job of `queue`, or only job `only`.
fn jobs_to_run(queue: &Path, only: Option<u32>) -> Result<Vec<Job>, CliError> {
    let all = jobs(queue)?;
    let Some(number) = only else {
        return Ok(all);
    };
    let chosen: Vec<Job> = all.into_iter().filter(|job| job.job == number).collect();
    if chosen.is_empty() {
        return Err(CliError::new(format!(
            "batch run: there is no job {number} in queue {} (see `cray batch status`)",
            queue.display()
        )));
    }
    Ok(chosen)
}

/// `cray batch run QUEUE --slurm`: hands every job of the queue that has not ended,
/// and that Slurm does not hold already, to Slurm as one job array (see
/// [`crate::slurm`]); `sbatch_args` are the site's own options for `sbatch`.
pub fn hand_to_slurm(
    queue: &Path,
    every: u64,
    only: Option<u32>,
    sbatch_args: &[String],
) -> Result<ExitCode, CliError> {
    let queue = std::path::absolute(queue).map_err(|e| CliError::io(queue, e))?;
    existing_queue(&queue)?;
    let handed = crate::slurm::Handed::read(&queue)?;
    let held: Vec<String> = jobs_to_run(&queue, only)?
        .iter()
        .filter_map(|job| handed.slurm_id(job.job))
        .collect();
    let states = crate::slurm::states(&held)
        .map_err(|e| CliError::new(format!("batch run --slurm: {e}")))?;
    let mut numbers = Vec::new();
    for job in jobs_to_run(&queue, only)? {
        let dir = job.dir(&queue);
        if Finished::read(&dir)?.is_some() || Failed::read(&dir)?.is_some() {
            continue;
        }
        let slurm = handed.slurm_id(job.job);
        match slurm.as_ref().and_then(|id| states.get(id)) {
            Some(state) if crate::slurm::may_still_run(state) => errln!(
                "cray: batch: job {} is Slurm's already ({} {state}): not handed again",
                job.job,
                slurm.unwrap_or_default()
            ),
            _ => numbers.push(job.job),
        }
    }
    if numbers.is_empty() {
        outln!("batch: no job of {} to hand to Slurm", queue.display());
        return Ok(ExitCode::SUCCESS);
    }
    let array = crate::slurm::submit_array(&queue, &numbers, every, sbatch_args)?;
    let list: Vec<String> = numbers.iter().map(u32::to_string).collect();
    outln!(
        "batch: jobs {} of {} handed to Slurm as job array {array}",
        list.join(", "),
        queue.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The jobs of `queue`, in order.
fn jobs(queue: &Path) -> Result<Vec<Job>, CliError> {
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(queue) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(CliError::io(queue, e)),
    };
    for entry in entries {
        let path = entry.map_err(|e| CliError::io(queue, e))?.path();
        let numbered = path
            .file_stem()
            .and_then(|s| s.to_str())
            .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
        if !numbered || path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| CliError::io(&path, e))?;
        let job: Job = serde_json::from_str(&text)
            .map_err(|e| CliError::invalid(&path, format!("not a queued job: {e}")))?;
        if Job::file(queue, job.job) != path {
            return Err(CliError::invalid(
                &path,
                format!("the file holds job {}", job.job),
            ));
        }
        found.push(job);
    }
    found.sort_by_key(|job| job.job);
    Ok(found)
}

/// How `cray batch run` runs a queue.
#[derive(Clone, Debug)]
pub struct Runner {
    /// Checkpoint interval of jobs that do not give `--checkpoint-every`.
    pub every: u64,
    /// `--job N`: run only this job of the queue (a Slurm array task runs its own).
    pub only: Option<u32>,
    /// `--sigusr1 stop`: SIGUSR1 checkpoints and stops the job (passed on to it).
    pub usr1_stops: bool,
    /// `--requeue`: requeue the Slurm job this runner runs in when it stops a job at a
    /// checkpoint.
    pub requeue: bool,
}

/// `cray batch run QUEUE`: runs every job that has not ended (or only `runner.only`),
/// in order, each with a checkpoint every `runner.every` clock periods and the newest
/// [`KEEP`] images kept, unless its command sets these itself (`own` says whether it
/// gives `--checkpoint-every` and `--checkpoint-keep`).
pub fn run(
    queue: &Path,
    runner: &Runner,
    own: impl Fn(&[String]) -> (bool, bool),
) -> Result<ExitCode, CliError> {
    let code = run_jobs(queue, runner, own)?;
    if runner.requeue && code == ExitCode::from(STOPPED_RESUMABLE) {
        errln!("cray: batch: {}", crate::slurm::requeue_current_job());
    }
    Ok(code)
}

fn run_jobs(
    queue: &Path,
    runner: &Runner,
    own: impl Fn(&[String]) -> (bool, bool),
) -> Result<ExitCode, CliError> {
    let queue = std::path::absolute(queue).map_err(|e| CliError::io(queue, e))?;
    existing_queue(&queue)?;
    let jobs = jobs_to_run(&queue, runner.only)?;
    // One runner per queue, for as long as it runs; a runner of one job (a Slurm
    // array task, many at once) is kept apart from the others by the job's own
    // checkpoint directory lock, which its `cray run` holds.
    let _lock = match runner.only {
        None => Some(DirLock::acquire(&queue, "batch queue")?),
        Some(_) => None,
    };
    let term = Arc::new(AtomicBool::new(false));
    // The host shutting down, the user at the terminal, the terminal gone: each stops
    // the queue as SIGTERM does.
    for signal in STOP_SIGNALS {
        let _ = signal_hook::flag::register(signal, Arc::clone(&term));
    }
    // SIGUSR1 is passed on to the job: it checkpoints (and goes on or stops, as
    // `--sigusr1` says).
    let usr1 = Arc::new(AtomicBool::new(false));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGUSR1, Arc::clone(&usr1));
    crate::session::ignore_file_size_signal();
    let program = std::env::current_exe().map_err(|e| CliError::io(Path::new("cray"), e))?;
    // The queue is read again after each job: a deck job's SUBMIT adds to it.
    let mut jobs = jobs.into_iter();
    let mut last = 0;
    while let Some(job) = jobs.next().or_else(|| later_job(&queue, runner.only, last)) {
        last = job.job;
        let dir = job.dir(&queue);
        if Finished::read(&dir)?.is_some() || Failed::read(&dir)?.is_some() {
            continue;
        }
        if term.load(Ordering::Relaxed) {
            errln!(
                "cray: batch: stopped (SIGTERM) before job {}; `cray batch run {}` goes on from there",
                job.job,
                queue.display()
            );
            return Ok(ExitCode::from(STOPPED_RESUMABLE));
        }
        std::fs::create_dir_all(&dir).map_err(|e| CliError::io(&dir, e))?;
        if refuse_rerun(&job, &dir)? {
            continue;
        }
        if !job.cwd.is_dir() {
            // It would fail again each time: marked, and the queue goes on.
            fail_without_submit_dir(&job, &dir)?;
            continue;
        }
        let output = |name: &str| -> Result<std::fs::File, CliError> {
            let path = dir.join(name);
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| CliError::io(&path, e))
        };
        let mut command = Command::new(&program);
        command
            .arg("run")
            .arg("--resume")
            .arg("--queue")
            .arg(&queue)
            .arg("--checkpoint-dir")
            .arg(&dir)
            .arg("--runner-pid")
            .arg(std::process::id().to_string());
        let (own_every, own_keep) = own(&job.command);
        if !own_every {
            command.args(["--checkpoint-every", &runner.every.to_string()]);
        }
        if runner.usr1_stops {
            command.args(["--sigusr1", "stop"]);
        }
        if !own_keep {
            command.args(["--checkpoint-keep", &KEEP.to_string()]);
        }
        errln!(
            "cray: batch: job {} starts: {}",
            job.job,
            job.command.join(" ")
        );
        let mut child = command
            .args(&job.command)
            .current_dir(&job.cwd)
            .stdin(Stdio::null())
            .stdout(output("stdout")?)
            .stderr(output("stderr")?)
            .spawn()
            .map_err(|e| CliError::io(&program, e))?;
        let mut passed_on = false;
        let mut wait = FIRST_LOOK;
        let status = loop {
            if let Some(status) = child.try_wait().map_err(|e| CliError::io(&program, e))? {
                break status;
            }
            let pid = rustix::process::Pid::from_child(&child);
            if term.load(Ordering::Relaxed) && !passed_on {
                // The job checkpoints into its directory and stops.
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
                passed_on = true;
            }
            if usr1.swap(false, Ordering::Relaxed) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::USR1);
                passed_on |= runner.usr1_stops;
            }
            std::thread::sleep(wait);
            wait = (wait * 2).min(LOOK_EVERY);
        };
        if let Some(code) = after(&queue, &job, &dir, status, passed_on)? {
            return Ok(code);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The first job of `queue` after job `last` that was queued while the runner ran
/// (none for a runner of one job, `only`).
fn later_job(queue: &Path, only: Option<u32>, last: u32) -> Option<Job> {
    if only.is_some() {
        return None;
    }
    match jobs(queue) {
        Ok(all) => all.into_iter().find(|job| job.job > last),
        Err(e) => {
            errln!("cray: batch: {e}");
            None
        }
    }
}

/// The input queue of a deck job (`cray run --queue DIR`; `cray batch run` gives
/// its jobs their own queue): SUBMIT appends the job it submits as a job of the
/// queue, its deck written beside it as `NNNN.job`, to run with the submitting
/// job's machine and directories (`--model`, `--memory`, `--root`,
/// `--system-dir`, `--pds`).
#[derive(Debug)]
pub struct DeckQueue {
    /// The queue's directory.
    queue: PathBuf,
    /// The submitting job's directory: the new job's relative names resolve there.
    cwd: PathBuf,
    /// The new job's `cray run` options.
    options: Vec<String>,
    /// The submitting job's checkpoint directory, which tells it apart from every
    /// other job (none when it has none).
    run: Option<PathBuf>,
    /// Jobs this run of the submitting job queued: what counts toward
    /// [`MAX_SUBMITS_PER_JOB`] when nothing in the queue tells its jobs apart
    /// ([`DeckQueue::submitter`]); such a run cannot be resumed, so this run is
    /// the whole job.
    queued_here: AtomicUsize,
}

impl DeckQueue {
    /// The queue `dir` for the deck job that `options` run.
    pub fn for_job(
        dir: &Path,
        options: &crate::options::RunOptions,
    ) -> Result<std::sync::Arc<dyn InputQueue>, CliError> {
        let absolute = |path: &Path| std::path::absolute(path).map_err(|e| CliError::io(path, e));
        let text = |path: PathBuf| -> Result<String, CliError> {
            path.to_str()
                .map(str::to_string)
                .ok_or_else(|| CliError::invalid(&path, "not a UTF-8 path"))
        };
        let mut new = vec!["--root".to_string(), text(absolute(&options.root)?)?];
        for (option, dir) in [
            ("--system-dir", &options.system_dir),
            ("--pds", &options.pds),
        ] {
            if let Some(dir) = dir {
                new.extend([option.to_string(), text(absolute(dir)?)?]);
            }
        }
        if let Some(model) = options.model {
            new.extend(["--model".to_string(), model.name().to_string()]);
        }
        if let Some(memory) = options.memory {
            new.extend(["--memory".to_string(), memory.to_string()]);
        }
        let run = options
            .checkpoint_dir
            .as_deref()
            .map(absolute)
            .transpose()?;
        let cwd = std::env::current_dir().map_err(|e| CliError::io(Path::new("."), e))?;
        Ok(std::sync::Arc::new(DeckQueue {
            queue: absolute(dir)?,
            cwd,
            options: new,
            run,
            queued_here: AtomicUsize::new(0),
        }))
    }

    /// Who submits `job`: the submitting run, the job's number in the store, the
    /// statement and the clock period. None when nothing tells the run apart from
    /// another run of the same deck (no checkpoint directory, no store): such a
    /// run cannot be resumed, and each run submits.
    fn identity(&self, job: &Submission) -> Option<String> {
        let (_, index, clock) = job.by;
        let submitter = self.submitter(job)?;
        Some(format!("{submitter}{index}:{clock}"))
    }

    /// The part of [`Self::identity`] that names the submitting job (its run and
    /// its number in the store), which every job it submits shares. None as there.
    fn submitter(&self, job: &Submission) -> Option<String> {
        let number = job.by.0;
        if self.run.is_none() && number == 0 {
            return None;
        }
        let run = self.run.as_deref().map(Path::display);
        let run = run.map(|r| r.to_string()).unwrap_or_default();
        Some(format!("{run}#{number}:"))
    }

    /// How many jobs of `queued` the job submitting `job` submitted: those the
    /// queue keeps under its name, which a resumed run counts too, or else those
    /// this run queued.
    fn submitted_before(&self, job: &Submission, queued: &[Job]) -> usize {
        let Some(submitter) = self.submitter(job) else {
            return self.queued_here.load(Ordering::Relaxed);
        };
        let by_it = |queued: &&Job| {
            queued
                .submitted_by
                .as_deref()
                .is_some_and(|by| by.starts_with(&submitter))
        };
        queued.iter().filter(by_it).count()
    }

    /// Queues `job` (see [`InputQueue::submit`]): its number in the queue.
    fn queue(&self, job: &Submission) -> Result<u32, CliError> {
        let identity = self.identity(job);
        std::fs::create_dir_all(&self.queue).map_err(|e| CliError::io(&self.queue, e))?;
        let queued = jobs(&self.queue)?;
        if let Some(done) = queued
            .iter()
            .find(|queued| identity.is_some() && queued.submitted_by == identity)
        {
            return Ok(done.job);
        }
        let before = self.submitted_before(job, &queued);
        if before >= MAX_SUBMITS_PER_JOB {
            return Err(CliError::new(format!(
                "DN={}: the job has submitted {before} jobs, the most one job may \
                 (MAX_SUBMITS_PER_JOB = {MAX_SUBMITS_PER_JOB})",
                job.name
            )));
        }
        let number = queued.last().map_or(1, |job| job.job + 1);
        let deck = self.queue.join(format!("{number:04}.job"));
        crate::files::write_output(&deck, &job.deck)?;
        let text = deck
            .to_str()
            .ok_or_else(|| CliError::invalid(&deck, "not a UTF-8 path"))?;
        let mut command = self.options.clone();
        command.push(text.to_string());
        let queued = Job {
            job: number,
            cwd: self.cwd.clone(),
            command,
            submitted_by: identity,
        };
        json_file::write(&Job::file(&self.queue, number), &queued)?;
        self.queued_here.fetch_add(1, Ordering::Relaxed);
        Ok(number)
    }
}

impl InputQueue for DeckQueue {
    fn submit(&self, job: &Submission) -> Result<(), String> {
        let number = self.queue(job).map_err(|e| e.to_string())?;
        errln!(
            "cray: SUBMIT: {} is job {number} of queue {}",
            job.name,
            self.queue.display()
        );
        Ok(())
    }
}

/// A job that marked itself not rerunnable (a COS program's F$NRN) and stopped
/// without an image of where it stopped (its runner crashed or was killed) is not run
/// again, unless its command says `--force-rerun`: it is reported and marked failed,
/// and the queue goes on. True when it was refused.
fn refuse_rerun(job: &Job, dir: &Path) -> Result<bool, CliError> {
    let Some(mark) = resume::RerunMark::read(dir)? else {
        return Ok(false);
    };
    if job.command.iter().any(|arg| arg == "--force-rerun") {
        return Ok(false);
    }
    Failed { status: 2 }.write(dir)?;
    errln!(
        "cray: batch: job {} was marked not rerunnable at clock period {}; not restarted; remove {} and {} to run it again from its newest checkpoint",
        job.job,
        mark.clock,
        dir.join(resume::NOT_RERUNNABLE).display(),
        dir.join(FAILED).display()
    );
    Ok(true)
}

/// What the end of `job`'s `cray run` (`status`; `passed_on` says whether the runner
/// passed a stop signal on to it) means for the queue: `None` to go on with the next
/// job, or the runner's exit code.
fn after(
    queue: &Path,
    job: &Job,
    dir: &Path,
    status: std::process::ExitStatus,
    passed_on: bool,
) -> Result<Option<ExitCode>, CliError> {
    if let Some(finished) = Finished::read(dir)? {
        errln!(
            "cray: batch: job {} ended at clock period {} with exit status {}",
            job.job,
            finished.clock,
            finished.exit_status
        );
        return Ok(None);
    }
    match status.code() {
        Some(code) if code == i32::from(STOPPED_RESUMABLE) => {
            errln!(
                "cray: batch: job {} checkpointed and stopped; `cray batch run {}` continues it",
                job.job,
                queue.display()
            );
            Ok(Some(ExitCode::from(STOPPED_RESUMABLE)))
        }
        // Stopped, but its checkpoint failed: not a job that cannot run (it goes on
        // from its newest image next time), and not a clean stop either.
        Some(code) if passed_on => Err(CliError::new(format!(
            "batch: job {} was stopped (SIGTERM) but could not checkpoint (exit status {code}); see {}; `cray batch run {}` continues it from its newest checkpoint",
            job.job,
            dir.join("stderr").display(),
            queue.display()
        ))),
        // cray itself refused or failed (a program that no longer loads, a
        // --max-cycles reached): running it again would fail again, so the job is
        // marked and the queue goes on.
        Some(code) => {
            let failed = Failed { status: code };
            failed.write(dir)?;
            errln!(
                "cray: batch: job {} failed (exit status {}); see {}; remove {} to run it again",
                job.job,
                failed.status,
                dir.join("stderr").display(),
                dir.join(FAILED).display()
            );
            Ok(None)
        }
        // Killed by a signal: as a crash, the next run continues it.
        None => Err(CliError::new(format!(
            "batch: job {} stopped without ending ({status}); see {}; `cray batch run {}` continues it from its newest checkpoint",
            job.job,
            dir.join("stderr").display(),
            queue.display()
        ))),
    }
}

/// Refuses a queue directory that does not exist: `run` and `status` of a mistyped
/// queue name would otherwise report an empty queue.
fn existing_queue(queue: &Path) -> Result<(), CliError> {
    let wrong = |what: &str| CliError::new(format!("batch: queue {}: {what}", queue.display()));
    match std::fs::metadata(queue) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(wrong("is not a directory")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(wrong(
            "does not exist (`cray batch submit` creates a queue with its first job)",
        )),
        Err(e) => Err(CliError::io(queue, e)),
    }
}

/// Marks `job`, whose submit directory is gone, as failed, saying so on the runner's
/// standard error and in the job's `stderr`.
fn fail_without_submit_dir(job: &Job, dir: &Path) -> Result<(), CliError> {
    let message = format!(
        "cray: batch: job {} cannot start: its submit directory {} does not exist any more (its relative file names resolve there); remove {} to run it again",
        job.job,
        job.cwd.display(),
        dir.join(FAILED).display()
    );
    let stderr = dir.join("stderr");
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&stderr)
        .and_then(|mut file| {
            std::io::Write::write_all(&mut file, format!("{message}\n").as_bytes())
        })
        .map_err(|e| CliError::io(&stderr, e))?;
    Failed { status: 2 }.write(dir)?;
    errln!("{message}");
    Ok(())
}

/// The end of a status line for a job handed to Slurm: its array task and Slurm's state
/// of it (or why Slurm could not be asked).
fn slurm_column(
    handed: &crate::slurm::Handed,
    states: &Result<std::collections::BTreeMap<String, String>, String>,
    job: u32,
) -> String {
    let Some(id) = handed.slurm_id(job) else {
        return String::new();
    };
    let state = match states {
        Ok(known) => known
            .get(&id)
            .cloned()
            .unwrap_or_else(|| "no longer known to Slurm".to_string()),
        Err(e) => format!("unknown ({e})"),
    };
    format!("  [slurm {id}: {state}]")
}

/// The record of a job that `cray run` could not carry on (exit status 2 without
/// ending the job), in the job's directory.
const FAILED: &str = "failed.json";

/// What `failed.json` holds.
#[derive(Debug, Serialize, Deserialize)]
struct Failed {
    /// The exit status of `cray run`.
    status: i32,
}

impl Failed {
    fn read(dir: &Path) -> Result<Option<Failed>, CliError> {
        json_file::read_if_present(&dir.join(FAILED), "a record of a failed job")
    }

    fn write(&self, dir: &Path) -> Result<(), CliError> {
        json_file::write(&dir.join(FAILED), self)
    }
}

/// `cray batch status QUEUE`: each job, its command and where it stands.
pub fn status(queue: &Path) -> Result<ExitCode, CliError> {
    existing_queue(queue)?;
    let jobs = jobs(queue)?;
    let handed = crate::slurm::Handed::read(queue)?;
    let ids: Vec<String> = jobs
        .iter()
        .filter_map(|job| handed.slurm_id(job.job))
        .collect();
    let slurm_states = crate::slurm::states(&ids);
    if jobs.is_empty() {
        outln!("batch: no jobs in {}", queue.display());
    }
    for job in jobs {
        let dir = job.dir(queue);
        let state = match (Finished::read(&dir)?, Failed::read(&dir)?) {
            (Some(finished), _) => format!(
                "ended at clock period {} with exit status {}",
                finished.clock, finished.exit_status
            ),
            (None, Some(failed)) => match resume::RerunMark::read(&dir)? {
                Some(mark) => format!(
                    "failed: cray exited with status {}; marked not rerunnable at clock period {}",
                    failed.status, mark.clock
                ),
                None => format!("failed: cray exited with status {}", failed.status),
            },
            (None, None) => match resume::newest_clock(&dir)? {
                Some(clock) => format!("checkpointed at clock period {clock}"),
                None => "queued".to_string(),
            },
        };
        let slurm = slurm_column(&handed, &slurm_states, job.job);
        outln!(
            "{:>4}  {:<44}  {}{slurm}",
            job.job,
            state,
            job.command.join(" ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
