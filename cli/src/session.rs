//! A running session: drives a [`System`] to completion and performs what it asks
//! for (terminal input, checkpoints, restarts), plus the runner's own triggers:
//! `--checkpoint-every`, `--stop-at`, `--max-cycles`, SIGUSR1 (checkpoint and go on),
//! SIGTERM (checkpoint and stop), SIGINT, SIGHUP and SIGQUIT (checkpoint and stop with
//! a checkpoint directory, otherwise end the job) and requests arriving on the control
//! socket. A checkpoint the runner takes on its own that fails is an event, reported
//! and recorded, not the end of the job: the previous image stays and the next period
//! tries again.

use crate::control::{ControlServer, Request, Response};
use crate::input::{HostInput, Reply};
use crate::output::errln;
use crate::progress::{Figures, Progress};
use crate::replay::{InputRecord, Player};
use crate::replay_checks::{Recorder, Verifier};
use crate::resume;
use crate::CliError;
use cray_chkpnt::ImageError;
use cray_emulator::cos::Cos;
use cray_emulator::system::{CheckpointKind, Console, Event, ExitStatus, HostRoot, NoStops, Probe};
use cray_emulator::System;
use cray_sysimage::system_image::{self, Baseline, CheckpointError, SaveOptions, Selection};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The runner's checkpoint and limit options.
#[derive(Clone, Debug, Default)]
pub struct Triggers {
    /// `--max-cycles`.
    pub max_cycles: Option<u64>,
    /// `--checkpoint-every CYCLES --checkpoint-dir DIR`.
    pub every: Option<(u64, PathBuf)>,
    /// `--stop-at CYCLES --checkpoint FILE`.
    pub stop_at: Option<(u64, PathBuf)>,
    /// `--checkpoint-with-files`.
    pub with_files: bool,
    /// `--checkpoint-compress`.
    pub compress: bool,
    /// `--checkpoint-keep N`: only the newest N periodic images stay in the directory.
    pub keep: Option<usize>,
    /// `--resume`: SIGTERM and SIGUSR1 checkpoint into the checkpoint directory, where
    /// the next run of the same command will find the image.
    pub resume: bool,
    /// `--checkpoint-incremental`, with `--checkpoint-full-every N`: periodic images
    /// build on the one before, and every Nth is full.
    pub incremental: Option<u32>,
    /// `--sigusr1 stop`: SIGUSR1 checkpoints and stops the job, as SIGTERM does (by
    /// default it checkpoints and the job goes on).
    pub usr1_stops: bool,
    /// `--checkpoint-dir DIR`: where a COS job's own rollouts (F$UROLL) go, as
    /// periodic images do.
    pub checkpoint_dir: Option<PathBuf>,
}

/// How a session ended.
pub struct Outcome {
    /// The job's exit status, or `None` when the runner stopped it (stop-at, SIGTERM).
    pub status: Option<ExitStatus>,
    /// Wall-clock seconds spent.
    pub wall_seconds: f64,
    /// Checkpoints written, in order.
    pub checkpoints: Vec<WrittenCheckpoint>,
    /// The job's id.
    pub jid: u32,
}

/// A checkpoint a session wrote, and what it cost (`checkpoint_costs` in the stats
/// JSON: the figures a study of checkpoint overhead needs).
#[derive(Clone, Debug)]
pub struct WrittenCheckpoint {
    /// The image.
    pub file: PathBuf,
    /// The system clock when it was taken.
    pub clock: u64,
    /// Its length in bytes.
    pub bytes: u64,
    /// Whether it builds on a parent image.
    pub incremental: bool,
    /// Host seconds spent writing it (never seen by the guest).
    pub seconds: f64,
    /// Why it could not be written, when it could not (the job went on without it).
    pub error: Option<String>,
}

/// The host signals that stop the runner: a host shutting down (SIGTERM), a user at
/// the terminal (SIGINT, SIGQUIT), a terminal gone (SIGHUP).
const STOP_SIGNALS: [i32; 4] = [
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGHUP,
    signal_hook::consts::SIGQUIT,
];

/// The name of host signal `signal`.
fn signal_name(signal: i32) -> &'static str {
    match signal {
        signal_hook::consts::SIGTERM => "SIGTERM",
        signal_hook::consts::SIGINT => "SIGINT",
        signal_hook::consts::SIGHUP => "SIGHUP",
        signal_hook::consts::SIGQUIT => "SIGQUIT",
        signal_hook::consts::SIGUSR1 => "SIGUSR1",
        _ => "a signal",
    }
}

/// A write past `ulimit -f` sends SIGXFSZ, whose default action kills the process
/// (leaving a checkpoint's temporary file behind). Caught and ignored, the write fails
/// with EFBIG instead, which is a failed checkpoint like a full disk.
pub fn ignore_file_size_signal() {
    let _ = signal_hook::flag::register(
        signal_hook::consts::SIGXFSZ,
        Arc::new(AtomicBool::new(false)),
    );
}

/// The flags the runner's host signals set. Signals only set flags; a session's loop
/// acts on them between slices.
struct HostSignals {
    /// SIGUSR1 arrived.
    usr1: Arc<AtomicBool>,
    /// The stop signal that arrived last (0: none).
    stop: Arc<AtomicUsize>,
}

/// The process's one set of signal flags, registered on first use.
fn host_signals() -> &'static HostSignals {
    static SIGNALS: OnceLock<HostSignals> = OnceLock::new();
    SIGNALS.get_or_init(|| {
        let usr1 = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicUsize::new(0));
        let _ = signal_hook::flag::register(signal_hook::consts::SIGUSR1, Arc::clone(&usr1));
        for signal in STOP_SIGNALS {
            let _ = signal_hook::flag::register_usize(signal, Arc::clone(&stop), signal as usize);
        }
        ignore_file_size_signal();
        HostSignals { usr1, stop }
    })
}

/// Catches the runner's signals (SIGUSR1, the stop signals, SIGXFSZ) from now on, before
/// any session exists: a signal that arrives while a job is still being loaded or
/// restored (Slurm's SIGUSR1 to a job just requeued, say) is acted on by the session
/// once it runs, instead of killing `cray` with the signal's default action.
pub fn catch_signals() {
    host_signals();
}

/// What a failed checkpoint's error says, without the claim of
/// [`ImageError::WriteFailed`] about an earlier file of the same name (a periodic
/// image's name is always new; the caller says which image is kept).
fn failure_text(error: &CheckpointError) -> String {
    match error {
        CheckpointError::Image(ImageError::WriteFailed {
            file,
            stage,
            source,
            ..
        }) => format!("{}: {stage} failed: {source}", file.display()),
        other => other.to_string(),
    }
}

/// Most clock periods run between two looks at signals and the control socket.
pub const SLICE: u64 = 1 << 20;

/// Longest wait for the host's input before the loop looks at signals and the control
/// socket again.
const INPUT_WAIT: Duration = Duration::from_millis(50);

/// A session in progress.
pub struct Session {
    /// The kernel.
    pub system: System,
    root: PathBuf,
    triggers: Triggers,
    interactive_input: bool,
    /// The host's input, opened when the job first wants some.
    input: Option<HostInput>,
    /// `cray replay`: the recorded input, given instead of the host's.
    player: Option<Player>,
    /// `--record`: every delivery of input to the job so far, and the checks.
    recording: Option<Recorder>,
    /// `cray replay`: the recorded checks, compared as the job reaches them.
    verifier: Option<Verifier>,
    usr1: Arc<AtomicBool>,
    /// The host signal (SIGTERM, SIGINT, SIGHUP, SIGQUIT) that asks the runner to stop,
    /// 0 while none has come.
    stop: Arc<AtomicUsize>,
    control: Option<ControlServer>,
    checkpoints: Vec<WrittenCheckpoint>,
    next_periodic: Option<u64>,
    /// With `--checkpoint-incremental`: the last periodic image, which the next builds on.
    baseline: Option<Baseline>,
    program: String,
    /// The job's id, taken while its first process exists (it is gone once it ended).
    jid: u32,
    /// The system clock when the session began plus every clock period run since,
    /// across restarts of the guest (each of which sets the clock back): what
    /// `--max-cycles` limits, so that a guest restarting itself cannot escape it.
    spent: u64,
    /// `--progress`: the display of the session's figures.
    progress: Option<Progress>,
    /// Host seconds spent running the machine (not waiting for input), and the
    /// instructions issued in them: the MIPS of the progress display and `cray ps`.
    running: Duration,
    instructions_run: u64,
    /// The job's rerun mark as the checkpoint directory's note last recorded it
    /// (`None` before the first record: the note a run finds may be stale).
    rerun_mark: Option<Option<resume::RerunMark>>,
    /// The guest's restarts of its job from an image (restart(2)) so far.
    restarts: Restarts,
}

/// The restarts (restart(2)) a job made of itself from a checkpoint image.
#[derive(Clone, Copy, Debug, Default)]
pub struct Restarts {
    /// How many there were.
    pub count: u64,
    /// The clock period of the last one, as the job stood when it asked.
    pub last_clock: u64,
}

/// The job of `system`'s first process: after a restart of one process without its
/// job, the process restarted leads, and its jid is not its pid.
pub fn job_of(system: &System) -> u32 {
    let leader = system.leader.unwrap_or(1);
    system
        .processes
        .get(&leader)
        .map_or(leader, |process| process.jid)
}

impl Session {
    /// A session around `system`; file names resolve in `root`.
    pub fn new(system: System, root: PathBuf, triggers: Triggers, program: String) -> Session {
        let signals = host_signals();
        let usr1 = Arc::clone(&signals.usr1);
        let stop = Arc::clone(&signals.stop);
        let next_periodic = triggers
            .every
            .as_ref()
            .map(|(every, _)| system.clock - system.clock % every + every);
        let jid = job_of(&system);
        let system_clock = system.clock;
        Session {
            jid,
            system,
            root,
            triggers,
            interactive_input: true,
            input: None,
            player: None,
            recording: None,
            verifier: None,
            usr1,
            stop,
            control: None,
            checkpoints: Vec::new(),
            next_periodic,
            baseline: None,
            program,
            spent: system_clock,
            progress: None,
            running: Duration::ZERO,
            instructions_run: 0,
            rerun_mark: None,
            restarts: Restarts::default(),
        }
    }

    /// The restarts the job made of itself so far.
    pub fn restarts(&self) -> Restarts {
        self.restarts
    }

    /// Shows the session's figures in `progress` while it runs; the guest's console
    /// takes the display off the terminal while it writes.
    pub fn with_progress(mut self, progress: Progress) -> Session {
        if let Some(guard) = progress.guard() {
            let console = self.system.console().clone();
            let root = self.system.root().clone();
            self.system.attach(root, Console::guarded(console, guard));
        }
        self.progress = Some(progress);
        self
    }

    /// The figures of the progress display and of `cray ps`.
    pub fn figures(&self) -> Figures {
        let period_ps = self.system.config.model.clock_period_ps();
        let seconds = self.running.as_secs_f64();
        Figures {
            clock: self.system.clock,
            emulated_seconds: self.system.clock as f64 * period_ps as f64 * 1e-12,
            mips: if seconds > 0.0 {
                self.instructions_run as f64 / seconds / 1e6
            } else {
                0.0
            },
            checkpoints: self.checkpoints.len(),
            last_checkpoint: self
                .checkpoints
                .last()
                .map(|w| (w.file.display().to_string(), w.clock)),
        }
    }

    /// Feeds `input` as the terminal instead of the host's stdin (tests, demo).
    pub fn with_input(mut self, input: &[u8]) -> Session {
        self.system.provide_input(input);
        self.system.end_input();
        self.interactive_input = false;
        self
    }

    /// Gives the job no terminal: a read of it meets end of file, as with standard
    /// input from /dev/null (`cray debug`, whose commands come from standard input).
    pub fn without_terminal(mut self) -> Session {
        self.interactive_input = false;
        self
    }

    /// Records every delivery of input and the checks of `recorder` (`--record`);
    /// see [`Session::take_recording`].
    pub fn recording(mut self, recorder: Recorder) -> Session {
        self.recording = Some(recorder);
        self
    }

    /// Gives the job the input `player` holds instead of the host's, and compares
    /// the run with the checks of `verifier` (`cray replay`).
    pub fn replaying(mut self, player: Player, verifier: Verifier) -> Session {
        self.player = Some(player);
        self.verifier = Some(verifier);
        self
    }

    /// What was recorded so far.
    pub fn take_recording(&mut self) -> Option<Recorder> {
        self.recording.take()
    }

    /// `cray replay`: the report of a divergence found and not yet said.
    pub fn pending_divergence(&mut self) -> Option<String> {
        self.verifier.as_mut().and_then(Verifier::pending)
    }

    /// `cray replay`: the error of a divergence found and not yet said, else `error`.
    pub fn divergence_or(&mut self, error: CliError) -> CliError {
        match self.pending_divergence() {
            Some(report) => self.diverged(report),
            None => error,
        }
    }

    /// `cray replay`: the job ended, as recorded when `as_recorded`; the error of a
    /// divergence found on the way (the log's, when the job ended as recorded).
    pub fn finish_replay(&mut self, as_recorded: bool) -> Result<(), CliError> {
        match self.verifier.as_mut().map(|v| v.finish(as_recorded)) {
            Some(Err(report)) => Err(self.diverged(report)),
            _ => Ok(()),
        }
    }

    /// The clock period of the next check of a recorded or replayed run.
    fn next_check(&self) -> Option<u64> {
        match (&self.recording, &self.verifier) {
            (Some(recorder), _) => Some(recorder.next_check()),
            (None, Some(verifier)) => verifier.next_check(),
            (None, None) => None,
        }
    }

    /// Takes (`--record`) or compares (`cray replay`) the check due now, if one is.
    fn take_check(&mut self) -> Result<(), CliError> {
        if let Some(recorder) = self.recording.as_mut() {
            recorder.check(&self.system);
        }
        let checked = match self.verifier.as_mut() {
            Some(verifier) => verifier.check(&self.system),
            None => Ok(()),
        };
        checked.map_err(|report| self.diverged(report))
    }

    /// The error of a replay that left the recorded run.
    fn diverged(&self, report: String) -> CliError {
        match &self.player {
            Some(player) => CliError::invalid(player.source(), report),
            None => CliError::new(report),
        }
    }

    /// With `--checkpoint-incremental`: the next periodic image builds on `image`, which
    /// the job was just restored from, when it lies in the checkpoint directory (see
    /// [`system_image::save_incremental`]). When its chain cannot be read the next
    /// image is full, as in a new run.
    pub fn building_on(mut self, image: &Path) -> Session {
        if self.triggers.incremental.is_some() {
            match Baseline::of_restored(image, &self.system) {
                Ok(baseline) => self.baseline = Some(baseline),
                Err(e) => errln!("cray: checkpoint: the next image will be full: {e}"),
            }
        }
        self
    }

    /// Listens on the control socket, so that `cray ps` and `cray chkpnt` reach the
    /// job; refuses a socket directory that another user could tamper with (a job
    /// whose control was silently lost, or taken over, is worse than one not started).
    pub fn listening(mut self) -> Result<Session, CliError> {
        self.control = Some(ControlServer::start()?);
        Ok(self)
    }

    /// Writes an image of the whole job.
    pub fn checkpoint_job(&mut self, path: &Path) -> Result<(), CliError> {
        let jid = self.jid;
        self.checkpoint(Selection::Job(jid), path, self.save_options())
    }

    /// Checkpoints the job because the host sent a signal: to `cray-JID-CLOCK.chk` in
    /// the current directory, or with `--resume` as a periodic image in the checkpoint
    /// directory. The image, or why it could not be written.
    fn checkpoint_on_signal(&mut self) -> Result<PathBuf, String> {
        match self.triggers.every.clone() {
            Some((_, dir)) if self.triggers.resume => self.periodic_checkpoint(&dir),
            _ => {
                let file = PathBuf::from(format!("cray-{}-{}.chk", self.jid, self.system.clock));
                let selection = Selection::Job(self.jid);
                self.save_image(selection, &file, self.save_options())
                    .map(|()| file)
                    .map_err(|e| failure_text(&e))
            }
        }
    }

    /// SIGUSR1: checkpoint and go on; a checkpoint that fails is said, and the job
    /// goes on all the same.
    fn checkpoint_and_go_on(&mut self) {
        match self.checkpoint_on_signal() {
            Ok(file) => errln!(
                "cray: SIGUSR1: checkpointed job {} to {}",
                self.jid,
                file.display()
            ),
            Err(e) => errln!(
                "cray: SIGUSR1: checkpoint failed: {e}; {}; the job goes on",
                self.what_is_kept()
            ),
        }
    }

    /// A stop signal: SIGTERM (and SIGUSR1 with `--sigusr1 stop`) checkpoints and
    /// stops; SIGINT, SIGHUP and SIGQUIT do the same where the job has a checkpoint
    /// directory (it is meant to be continued), and otherwise end the job as the
    /// signal would have ended `cray` (128 + signal). A
    /// checkpoint that fails here cannot be tried again: the job is stopped without it,
    /// and the error says what is left.
    fn stop_on_signal(&mut self, signal: i32, started: Instant) -> Result<Outcome, CliError> {
        let name = signal_name(signal);
        let always_checkpoints = [signal_hook::consts::SIGTERM, signal_hook::consts::SIGUSR1];
        if !always_checkpoints.contains(&signal) && self.triggers.every.is_none() {
            errln!(
                "cray: {name}: job {} ended at clock period {} without a checkpoint (it has no --checkpoint-dir)",
                self.jid,
                self.system.clock
            );
            let status = ExitStatus::Signaled(u32::try_from(signal).unwrap_or(0));
            return Ok(self.outcome(Some(status), started));
        }
        match self.checkpoint_on_signal() {
            Ok(file) => {
                errln!(
                    "cray: {name}: checkpointed job {} to {} and stopped",
                    self.jid,
                    file.display()
                );
                self.forget_rerun_note();
                Ok(self.outcome(None, started))
            }
            Err(e) => Err(CliError::new(format!(
                "{name}: checkpoint failed: {e}; job {} was stopped at clock period {} without an image of that point; {}",
                self.jid,
                self.system.clock,
                self.what_is_kept()
            ))),
        }
    }

    /// What a job whose checkpoint failed can still be continued from, for messages:
    /// the newest periodic image in its checkpoint directory.
    fn what_is_kept(&self) -> String {
        let Some((_, dir)) = &self.triggers.every else {
            return "no earlier image was touched".to_string();
        };
        match resume::newest_image(dir, self.jid) {
            Some(image) => format!("the newest image, {}, is kept", image.display()),
            None => format!("{} holds no image of job {} yet", dir.display(), self.jid),
        }
    }

    /// The periodic checkpoint that falls due: a failure is said and recorded, and the
    /// job goes on; the next period tries again.
    fn periodic_checkpoint_or_say(&mut self, dir: &Path) {
        if let Err(e) = self.periodic_checkpoint(dir) {
            let next = self
                .next_periodic
                .map_or_else(String::new, |at| format!(" at clock period {at}"));
            errln!(
                "cray: checkpoint failed: {e}; {}; the job goes on and tries again{next}",
                self.what_is_kept()
            );
        }
    }

    /// Writes the job's periodic image into `dir`, then drops the images beyond
    /// `--checkpoint-keep` (only once the new one is safely on disk). The image's path,
    /// or why it could not be written (nothing else is touched then).
    fn periodic_checkpoint(&mut self, dir: &Path) -> Result<PathBuf, String> {
        let jid = self.jid;
        let file = dir.join(resume::periodic_name(jid, self.system.clock));
        let mark = resume::mark_path(&file);
        if self.triggers.resume {
            // Before the image, so that no image is ever without its mark (a mark whose
            // image a crash cut short is never read). Without it a continued job's
            // output is duplicated, not wrong: said, not fatal.
            if let Err(e) = resume::write_mark(&mark) {
                errln!("cray: {}: output mark not written: {e}", file.display());
            }
        }
        let saved = match self.triggers.incremental {
            Some(full_every) => self.save_incremental(&file, full_every),
            None => self.save_image(Selection::Job(jid), &file, self.save_options()),
        };
        if let Err(e) = saved {
            // No image, no mark: a mark left alone would only puzzle.
            if !file.exists() {
                let _ = std::fs::remove_file(&mark);
            }
            return Err(failure_text(&e));
        }
        if let Some(keep) = self.triggers.keep {
            if let Err(e) = resume::prune(dir, jid, keep) {
                errln!("cray: checkpoint: older images not removed: {e}");
            }
        }
        Ok(file)
    }

    /// Writes the job's periodic image `file` incremental on the last one, unless the
    /// chain is `full_every` long, and records it.
    fn save_incremental(&mut self, file: &Path, full_every: u32) -> Result<(), CheckpointError> {
        let options = self.save_options();
        let parent = self
            .baseline
            .as_ref()
            .filter(|b| b.depth() + 1 < full_every);
        let started = Instant::now();
        let saved = system_image::save_incremental(
            &mut self.system,
            Selection::Job(self.jid),
            options,
            crate::CREATED_BY,
            file,
            parent,
        );
        match saved {
            Ok((bytes, baseline)) => {
                self.record(file, started, bytes, baseline.depth() > 0, None);
                self.baseline = Some(baseline);
                Ok(())
            }
            Err(e) => {
                self.record(file, started, 0, false, Some(failure_text(&e)));
                Err(e)
            }
        }
    }

    /// What every checkpoint of this session carries and how it is stored (the run
    /// options); `cray chkpnt` may ask for more.
    fn save_options(&self) -> SaveOptions {
        SaveOptions {
            with_files: self.triggers.with_files,
            compress: self.triggers.compress,
        }
    }

    fn checkpoint(
        &mut self,
        selection: Selection,
        path: &Path,
        options: SaveOptions,
    ) -> Result<(), CliError> {
        self.save_image(selection, path, options)
            .map_err(|e| CliError::new(format!("checkpoint: {e}")))
    }

    /// Writes an image of `selection` to `path`, and records it.
    fn save_image(
        &mut self,
        selection: Selection,
        path: &Path,
        options: SaveOptions,
    ) -> Result<(), CheckpointError> {
        let started = Instant::now();
        match system_image::save(
            &mut self.system,
            selection,
            options,
            crate::CREATED_BY,
            path,
        ) {
            Ok(bytes) => {
                self.record(path, started, bytes, false, None);
                Ok(())
            }
            Err(e) => {
                self.record(path, started, 0, false, Some(failure_text(&e)));
                Err(e)
            }
        }
    }

    /// Records a checkpoint begun at `started`: what it cost, or why it failed.
    fn record(
        &mut self,
        file: &Path,
        started: Instant,
        bytes: u64,
        incremental: bool,
        error: Option<String>,
    ) {
        self.checkpoints.push(WrittenCheckpoint {
            file: file.to_path_buf(),
            clock: self.system.clock,
            bytes,
            incremental,
            seconds: started.elapsed().as_secs_f64(),
            error,
        });
    }

    /// Runs until the job ends or the runner stops it.
    pub fn drive(&mut self) -> Result<Outcome, CliError> {
        let started = Instant::now();
        loop {
            let step = self.advance(SLICE, started);
            let figures = self.figures();
            let Some(progress) = self.progress.as_mut() else {
                match step? {
                    Some(outcome) => return Ok(outcome),
                    None => continue,
                }
            };
            match step {
                Ok(None) => progress.show(&figures),
                ended => {
                    progress.finish(&figures);
                    if let Some(outcome) = ended? {
                        return Ok(outcome);
                    }
                }
            }
        }
    }

    /// Runs the job for at most `most` clock periods (less when a trigger falls due
    /// first; an instruction or a system call is never cut, so at least one runs) and
    /// performs what it asked for. The outcome once the job has ended or the runner
    /// stopped it; `started` is when the session began, for its wall time.
    pub fn advance(&mut self, most: u64, started: Instant) -> Result<Option<Outcome>, CliError> {
        self.advance_serving(most, started, true, &mut NoStops)
    }

    /// As [`Session::advance`], the job stopping early where `probe` says (the
    /// debugger's breakpoints and watchpoints), answering the control socket when
    /// `serve`.
    pub fn advance_probed<P: Probe<Cos>>(
        &mut self,
        most: u64,
        started: Instant,
        serve: bool,
        probe: &mut P,
    ) -> Result<Option<Outcome>, CliError> {
        self.advance_serving(most, started, serve, probe)
    }

    /// As [`Session::advance`], without answering the control socket (a system call
    /// per call): for the debugger's single instructions, which answer it every so
    /// many through [`Session::advance`].
    pub fn advance_unserved(
        &mut self,
        most: u64,
        started: Instant,
    ) -> Result<Option<Outcome>, CliError> {
        self.advance_serving(most, started, false, &mut NoStops)
    }

    /// [`Session::advance`], answering the control socket when `serve`.
    fn advance_serving<P: Probe<Cos>>(
        &mut self,
        most: u64,
        started: Instant,
        serve: bool,
        probe: &mut P,
    ) -> Result<Option<Outcome>, CliError> {
        let clock = self.system.clock;
        if let Some(max) = self.triggers.max_cycles {
            if self.spent >= max {
                return Err(CliError::new(format!(
                    "{}: stopped at --max-cycles {max}: the job ran {} clock periods without finishing",
                    self.program, self.spent
                )));
            }
        }
        if let Some((at, file)) = self.triggers.stop_at.clone() {
            if clock >= at {
                self.checkpoint_job(&file)?;
                return Ok(Some(self.outcome(None, started)));
            }
        }
        if let (Some(next), Some((every, dir))) = (self.next_periodic, self.triggers.every.clone())
        {
            if clock >= next {
                self.next_periodic = Some(next + every);
                self.periodic_checkpoint_or_say(&dir);
            }
        }
        if self.usr1.swap(false, Ordering::Relaxed) {
            if self.triggers.usr1_stops {
                return self
                    .stop_on_signal(signal_hook::consts::SIGUSR1, started)
                    .map(Some);
            }
            self.checkpoint_and_go_on();
        }
        let signal = self.stop.swap(0, Ordering::Relaxed);
        if signal != 0 {
            let signal = i32::try_from(signal).unwrap_or(signal_hook::consts::SIGTERM);
            return self.stop_on_signal(signal, started).map(Some);
        }
        if serve {
            self.serve_control();
        }
        self.take_check()?;
        let mut budget = most;
        if let Some(max) = self.triggers.max_cycles {
            budget = budget.min(max.saturating_sub(self.spent).max(1));
        }
        // A COS job's own time limit (JOB,...,T=): it ends the job at the first
        // instruction boundary at or past its clock period.
        if let Some((jid, limit)) = self.system.cos_time_limit() {
            if clock >= limit {
                self.system.cos_time_limit_reached(jid);
            } else {
                budget = budget.min(limit - clock);
            }
        }
        for limit in [
            self.triggers.stop_at.as_ref().map(|(at, _)| *at),
            self.next_periodic,
            self.next_check(),
        ]
        .into_iter()
        .flatten()
        {
            budget = budget.min(limit.saturating_sub(clock).max(1));
        }
        let ran = Instant::now();
        let instructions = self.system.instructions;
        let event = self.system.run_probed(budget, probe);
        self.running += ran.elapsed();
        self.instructions_run += self.system.instructions.saturating_sub(instructions);
        // Counted before a restart the event asks for replaces the system.
        self.spent = self
            .spent
            .saturating_add(self.system.clock.saturating_sub(clock));
        for failure in self.system.take_write_failures() {
            errln!("cray: {failure}");
        }
        self.note_rerun_mark();
        self.take_check()?;
        match event {
            Event::Exited { status } => return Ok(Some(self.outcome(Some(status), started))),
            Event::BudgetExhausted => {}
            Event::InputWanted { .. } => self.read_terminal()?,
            event @ Event::CheckpointRequested { .. } => self.guest_checkpoint(&event),
            Event::RestartRequested { pid, path, .. } => self.guest_restart(pid, &path)?,
            Event::RolloutRequested { pid, .. } => self.rollout(pid),
            // Its note was kept in step above, before the job goes on.
            Event::RerunMarkChanged { .. } => {}
            Event::Idle => {
                return Err(CliError::new(format!(
                    "{}: every process is blocked and nothing can wake them (deadlock) at clock period {}",
                    self.program, self.system.clock
                )))
            }
        }
        Ok(None)
    }

    fn outcome(&self, status: Option<ExitStatus>, started: Instant) -> Outcome {
        Outcome {
            status,
            wall_seconds: started.elapsed().as_secs_f64(),
            checkpoints: self.checkpoints.clone(),
            jid: self.jid,
        }
    }

    fn read_terminal(&mut self) -> Result<(), CliError> {
        if let Some(player) = self.player.as_mut() {
            let clock = self.system.clock;
            let delivery = match player.deliver(clock) {
                Ok(Some(delivery)) => delivery,
                Ok(None) => return Ok(()),
                Err(reason) => {
                    let report = self
                        .pending_divergence()
                        .unwrap_or_else(|| format!("replay diverged: {reason}"));
                    return Err(self.diverged(report));
                }
            };
            let checked = match self.verifier.as_mut() {
                Some(verifier) => verifier.delivery(&delivery, &self.system),
                None => Ok(()),
            };
            checked.map_err(|report| self.diverged(report))?;
            self.accept_input(delivery.record.reply());
            return Ok(());
        }
        if !self.interactive_input {
            self.system.end_input();
            return Ok(());
        }
        // Nothing yet: the loop looks at signals and the control socket, then the
        // job asks again.
        if self.input.is_none() {
            match HostInput::stdin() {
                Ok(input) => self.input = Some(input),
                Err(error) => {
                    self.accept_input(Err(error));
                    return Ok(());
                }
            }
        }
        if let Some(reply) = self.input.as_mut().and_then(|input| input.poll(INPUT_WAIT)) {
            self.accept_input(reply);
        }
        Ok(())
    }

    /// Gives the job what a read of the host's input gave (and records it with
    /// `--record`).
    fn accept_input(&mut self, reply: Reply) {
        if let Some(recorder) = self.recording.as_mut() {
            recorder.deliver(InputRecord::of(self.system.clock, &reply), &self.system);
        }
        match reply {
            Ok(bytes) if bytes.is_empty() => self.system.end_input(),
            Ok(bytes) => self.system.provide_input(&bytes),
            Err(_) => self.system.end_input(),
        }
    }

    /// The `chkpnt` system call.
    fn guest_checkpoint(&mut self, event: &Event) {
        let Event::CheckpointRequested { kind, id, path, .. } = event else {
            return;
        };
        let selection = match kind {
            CheckpointKind::Process => Selection::Process(*id),
            CheckpointKind::Job => Selection::Job(*id),
        };
        let result = HostRoot::new(&self.root)
            .resolve(path)
            .map(|relative| self.root.join(relative));
        let result = match result {
            Ok(file) => match self.checkpoint(selection, &file, self.save_options()) {
                Ok(()) => Ok(()),
                Err(e) => {
                    errln!("cray: {e}");
                    Err(cray_emulator::system::Errno::EIO)
                }
            },
            Err(errno) => Err(errno),
        };
        self.system.checkpoint_done(event, result);
    }

    /// With `--resume`, keeps the checkpoint directory's note of a job marked not
    /// rerunnable ([`resume::NOT_RERUNNABLE`]) in step with the job's mark.
    fn note_rerun_mark(&mut self) {
        let (Some(dir), true) = (&self.triggers.checkpoint_dir, self.triggers.resume) else {
            return;
        };
        let mark = self
            .system
            .cos_not_rerunnable_since(self.jid)
            .map(|clock| resume::RerunMark {
                jid: self.jid,
                clock,
            });
        if self.rerun_mark == Some(mark) {
            return;
        }
        match resume::RerunMark::record(dir, mark) {
            Ok(()) => self.rerun_mark = Some(mark),
            Err(e) => errln!("cray: {e}"),
        }
    }

    /// The job stopped with an image of the very point it stopped at in its checkpoint
    /// directory: continuing from it runs nothing again, so the note of a job marked
    /// not rerunnable goes (the image carries the mark, and the continued run writes
    /// the note again).
    fn forget_rerun_note(&mut self) {
        let (Some((_, dir)), true) = (&self.triggers.every, self.triggers.resume) else {
            return;
        };
        if let Err(e) = resume::RerunMark::record(dir, None) {
            errln!("cray: {e}");
        }
    }

    /// F$UROLL: the job's image into its checkpoint directory, named and kept as a
    /// periodic one is, so that `--resume` continues from it. Without a checkpoint
    /// directory the job is told the rollout was not done, and goes on.
    fn rollout(&mut self, pid: u32) {
        let done = match self.triggers.checkpoint_dir.clone() {
            Some(dir) => match self.periodic_checkpoint(&dir) {
                Ok(file) => {
                    errln!(
                        "cray: F$UROLL: job {} rolled out to {}",
                        self.jid,
                        file.display()
                    );
                    true
                }
                Err(e) => {
                    errln!("cray: F$UROLL: rollout failed: {e}; the job goes on");
                    false
                }
            },
            None => false,
        };
        self.system.rollout_done(pid, done);
    }

    /// The `restart` system call: the job is replaced by what the image holds.
    fn guest_restart(&mut self, pid: u32, path: &str) -> Result<(), CliError> {
        let root = HostRoot::new(&self.root);
        let file = match root.resolve(path) {
            Ok(relative) => self.root.join(relative),
            Err(errno) => {
                self.system.restart_failed(pid, errno);
                return Ok(());
            }
        };
        match system_image::restore(&file, &root, false) {
            Ok(restored) => {
                let console = self.system.console().clone();
                self.restarts = Restarts {
                    count: self.restarts.count + 1,
                    last_clock: self.system.clock,
                };
                let mut system = restored.system;
                // The job's own root goes on (with the debugger's journal, if any).
                system.attach(self.system.root().clone(), console);
                self.jid = job_of(&system);
                self.system = system;
                Ok(())
            }
            // The guest learns why from the errno and handles it: nothing to say here.
            Err(e) => {
                self.system.restart_failed(pid, e.guest_errno());
                Ok(())
            }
        }
    }

    /// Answers the requests that arrived on the control socket since the last look
    /// (`cray ps`, `cray chkpnt`).
    pub fn serve_control(&mut self) {
        let Some(control) = self.control.as_mut() else {
            return;
        };
        for pending in control.poll() {
            let response = match &pending.request {
                Request::Ps => {
                    Response::Ps(crate::control::process_rows(&self.system, &self.program))
                }
                Request::Figures => Response::Figures(self.figures()),
                Request::Chkpnt {
                    job,
                    id,
                    file,
                    kill,
                    with_files,
                    compress,
                } => {
                    let selection = if *job {
                        Selection::Job(*id)
                    } else {
                        Selection::Process(*id)
                    };
                    let run = self.save_options();
                    let options = SaveOptions {
                        with_files: *with_files || run.with_files,
                        compress: *compress || run.compress,
                    };
                    self.chkpnt_request(selection, Path::new(file), options, *kill)
                }
            };
            pending.answer(response);
        }
    }

    /// `cray chkpnt`: writes the image of `selection` to `file`, then with `kill`
    /// kills what it holds.
    fn chkpnt_request(
        &mut self,
        selection: Selection,
        file: &Path,
        options: SaveOptions,
        kill: bool,
    ) -> Response {
        if let Err(e) = self.checkpoint(selection, file, options) {
            return Response::Error(e.to_string());
        }
        let (what, id, targets) = match selection {
            Selection::Job(jid) => ("job", jid, self.system.job_members(jid)),
            Selection::Process(pid) => ("process", pid, vec![pid]),
        };
        if kill {
            for target in targets {
                self.system
                    .post_signal(target, cray_emulator::system::signals::SIGKILL);
            }
        }
        Response::Ok(format!("checkpointed {what} {id} to {}", file.display()))
    }
}
