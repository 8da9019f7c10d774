//! A running session: drives a [`System`] to completion and performs what it asks
//! for (terminal input, checkpoints, restarts), plus the runner's own triggers:
//! `--checkpoint-every`, `--stop-at`, `--max-cycles`, SIGUSR1 (checkpoint and go on),
//! SIGTERM (checkpoint and stop) and requests arriving on the control socket.

use crate::control::{ControlServer, Request, Response};
use crate::input::{HostInput, Reply};
use crate::output::errln;
use crate::replay::{InputRecord, Player};
use crate::resume;
use crate::CliError;
use cray_chkpnt::system_image::{self, Baseline, SaveOptions, Selection};
use cray_emulator::system::{CheckpointKind, Event, ExitStatus, HostRoot, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
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
}

/// How a session ended.
pub struct Outcome {
    /// The job's exit status, or `None` when the runner stopped it (stop-at, SIGTERM).
    pub status: Option<ExitStatus>,
    /// Wall-clock seconds spent.
    pub wall_seconds: f64,
    /// Checkpoints written, in order.
    pub checkpoints: Vec<Written>,
    /// The job's id.
    pub jid: u32,
}

/// A checkpoint a session wrote, and what it cost (`checkpoint_costs` in the stats
/// JSON: the figures a study of checkpoint overhead needs).
#[derive(Clone, Debug)]
pub struct Written {
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
    /// `--record`: every delivery of input to the job so far.
    recording: Option<Vec<InputRecord>>,
    usr1: Arc<AtomicBool>,
    term: Arc<AtomicBool>,
    control: Option<ControlServer>,
    checkpoints: Vec<Written>,
    next_periodic: Option<u64>,
    /// With `--checkpoint-incremental`: the last periodic image, which the next builds on.
    baseline: Option<Baseline>,
    program: String,
    /// The job's id, taken while its first process exists (it is gone once it ended).
    jid: u32,
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
        let usr1 = Arc::new(AtomicBool::new(false));
        let term = Arc::new(AtomicBool::new(false));
        // Signals only set flags; the loop acts on them between slices.
        let _ = signal_hook::flag::register(signal_hook::consts::SIGUSR1, Arc::clone(&usr1));
        let _ = signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(&term));
        let next_periodic = triggers
            .every
            .as_ref()
            .map(|(every, _)| system.clock - system.clock % every + every);
        let jid = job_of(&system);
        Session {
            jid,
            system,
            root,
            triggers,
            interactive_input: true,
            input: None,
            player: None,
            recording: None,
            usr1,
            term,
            control: ControlServer::start().ok(),
            checkpoints: Vec::new(),
            next_periodic,
            baseline: None,
            program,
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

    /// Records every delivery of input (`--record`); see [`Session::take_recording`].
    pub fn recording(mut self) -> Session {
        self.recording = Some(Vec::new());
        self
    }

    /// Gives the job the input `player` holds instead of the host's (`cray replay`).
    pub fn replaying(mut self, player: Player) -> Session {
        self.player = Some(player);
        self
    }

    /// The deliveries of input recorded so far.
    pub fn take_recording(&mut self) -> Vec<InputRecord> {
        self.recording.take().unwrap_or_default()
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

    /// Turns the control socket off (demo, nested sessions).
    pub fn without_control(mut self) -> Session {
        self.control = None;
        self
    }

    /// Writes an image of the whole job.
    pub fn checkpoint_job(&mut self, path: &Path) -> Result<(), CliError> {
        let jid = self.jid;
        self.checkpoint(Selection::Job(jid), path, self.save_options())
    }

    /// Checkpoints the job because the host sent `signal`, and says so on stderr: to
    /// `cray-JID-CLOCK.chk` in the current directory, or with `--resume` as a periodic
    /// image in the checkpoint directory.
    fn checkpoint_on_signal(&mut self, signal: &str, then: &str) -> Result<(), CliError> {
        let file = match self.triggers.every.clone() {
            Some((_, dir)) if self.triggers.resume => self.periodic_checkpoint(&dir)?,
            _ => {
                let file = PathBuf::from(format!("cray-{}-{}.chk", self.jid, self.system.clock));
                self.checkpoint_job(&file)?;
                file
            }
        };
        errln!(
            "cray: {signal}: checkpointed job {} to {}{then}",
            self.jid,
            file.display()
        );
        Ok(())
    }

    /// Writes the job's periodic image into `dir`, then drops the images beyond
    /// `--checkpoint-keep` (only once the new one is safely on disk). The image's path.
    fn periodic_checkpoint(&mut self, dir: &Path) -> Result<PathBuf, CliError> {
        let jid = self.jid;
        let file = dir.join(resume::periodic_name(jid, self.system.clock));
        if self.triggers.resume {
            // Before the image, so that no image is ever without its mark (a mark whose
            // image a crash cut short is never read). Without it a continued job's
            // output is duplicated, not wrong: said, not fatal.
            if let Err(e) = resume::write_mark(&file) {
                errln!("cray: {}: output mark not written: {e}", file.display());
            }
        }
        match self.triggers.incremental {
            Some(full_every) => {
                let options = self.save_options();
                let parent = self
                    .baseline
                    .as_ref()
                    .filter(|b| b.depth() + 1 < full_every);
                let started = Instant::now();
                let (bytes, baseline) = system_image::save_incremental(
                    &mut self.system,
                    Selection::Job(jid),
                    options,
                    crate::CREATED_BY,
                    &file,
                    parent,
                )
                .map_err(|e| CliError::new(format!("checkpoint: {e}")))?;
                self.checkpoints.push(Written {
                    file: file.clone(),
                    clock: self.system.clock,
                    bytes,
                    incremental: baseline.depth() > 0,
                    seconds: started.elapsed().as_secs_f64(),
                });
                self.baseline = Some(baseline);
            }
            None => self.checkpoint_job(&file)?,
        }
        if let Some(keep) = self.triggers.keep {
            resume::prune(dir, jid, keep)?;
        }
        Ok(file)
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
        let started = Instant::now();
        let bytes = system_image::save(
            &mut self.system,
            selection,
            options,
            crate::CREATED_BY,
            path,
        )
        .map_err(|e| CliError::new(format!("checkpoint: {e}")))?;
        self.checkpoints.push(Written {
            file: path.to_path_buf(),
            clock: self.system.clock,
            bytes,
            incremental: false,
            seconds: started.elapsed().as_secs_f64(),
        });
        Ok(())
    }

    /// Runs until the job ends or the runner stops it.
    pub fn drive(&mut self) -> Result<Outcome, CliError> {
        let started = Instant::now();
        loop {
            if let Some(outcome) = self.advance(SLICE, started)? {
                return Ok(outcome);
            }
        }
    }

    /// Runs the job for at most `most` clock periods (less when a trigger falls due
    /// first; an instruction or a system call is never cut, so at least one runs) and
    /// performs what it asked for. The outcome once the job has ended or the runner
    /// stopped it; `started` is when the session began, for its wall time.
    pub fn advance(&mut self, most: u64, started: Instant) -> Result<Option<Outcome>, CliError> {
        let clock = self.system.clock;
        if let Some(max) = self.triggers.max_cycles {
            if clock >= max {
                return Err(CliError::new(format!(
                    "{}: stopped at --max-cycles {max}: the job ran {clock} clock periods without finishing",
                    self.program
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
                self.periodic_checkpoint(&dir)?;
                self.next_periodic = Some(next + every);
            }
        }
        if self.usr1.swap(false, Ordering::Relaxed) {
            self.checkpoint_on_signal("SIGUSR1", "")?;
        }
        if self.term.swap(false, Ordering::Relaxed) {
            self.checkpoint_on_signal("SIGTERM", " and stopped")?;
            return Ok(Some(self.outcome(None, started)));
        }
        self.serve_control();
        let mut budget = most;
        for limit in [
            self.triggers.max_cycles,
            self.triggers.stop_at.as_ref().map(|(at, _)| *at),
            self.next_periodic,
        ]
        .into_iter()
        .flatten()
        {
            budget = budget.min(limit.saturating_sub(clock).max(1));
        }
        let event = self.system.run(budget);
        for failure in self.system.take_write_failures() {
            errln!("cray: {failure}");
        }
        match event {
            Event::Exited { status } => return Ok(Some(self.outcome(Some(status), started))),
            Event::BudgetExhausted => {}
            Event::InputWanted { .. } => self.read_terminal()?,
            event @ Event::CheckpointRequested { .. } => self.guest_checkpoint(&event),
            Event::RestartRequested { pid, path, .. } => self.guest_restart(pid, &path)?,
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
            match player.deliver(clock) {
                Ok(Some(reply)) => self.accept_input(reply),
                Ok(None) => {}
                Err(reason) => {
                    return Err(CliError::invalid(
                        player.source(),
                        format!("replay diverged: {reason}"),
                    ))
                }
            }
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
        if let Some(recording) = self.recording.as_mut() {
            recording.push(InputRecord::of(self.system.clock, &reply));
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
                let mut system = restored.system;
                system.attach(root, console);
                self.jid = job_of(&system);
                self.system = system;
                Ok(())
            }
            Err(e) => {
                errln!("cray: restart: {e}");
                self.system
                    .restart_failed(pid, cray_emulator::system::Errno::EINVAL);
                Ok(())
            }
        }
    }

    fn serve_control(&mut self) {
        let Some(control) = self.control.as_mut() else {
            return;
        };
        let requests = control.poll();
        for (request, reply) in requests {
            let response = match request {
                Request::Ps => {
                    Response::Ps(crate::control::process_rows(&self.system, &self.program))
                }
                Request::Chkpnt {
                    job,
                    id,
                    file,
                    kill,
                    with_files,
                    compress,
                } => {
                    let selection = if job {
                        Selection::Job(id)
                    } else {
                        Selection::Process(id)
                    };
                    let run = self.save_options();
                    let options = SaveOptions {
                        with_files: with_files || run.with_files,
                        compress: compress || run.compress,
                    };
                    match self.checkpoint(selection, Path::new(&file), options) {
                        Ok(()) => {
                            if kill {
                                let targets = if job {
                                    self.system.job_members(id)
                                } else {
                                    vec![id]
                                };
                                for target in targets {
                                    self.system.post_signal(
                                        target,
                                        cray_emulator::system::signals::SIGKILL,
                                    );
                                }
                            }
                            Response::Ok(format!(
                                "checkpointed {} {id} to {file}",
                                if job { "job" } else { "process" }
                            ))
                        }
                        Err(e) => Response::Error(e.to_string()),
                    }
                }
            };
            if let Some(control) = self.control.as_mut() {
                control.reply(reply, &response);
            }
        }
    }
}
