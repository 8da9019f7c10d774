//! The control-statement interpreter: reads the deck's statements one by one, runs
//! the system verbs, loads each program verb into the job's field, and on a step's
//! abort skips to the next EXIT (SR-0011: "If an error occurs, the job skips to the
//! next EXIT statement and continues with the statement after it"; in normal
//! processing EXIT ends the job).
//!
//! A verb that is not a system verb names a program, looked up as COS did (SR-0011
//! 4.2, <https://9dok.net/article/verbs-dataset-verbs-local.y4w415ov>): a local
//! dataset of that name (one the job made, or ACCESSed from the permanent datasets),
//! then a procedure the deck defined (PROC, module `definition`: SR-0011's
//! library-defined verbs come after the local datasets), then the system directory
//! (`--system-dir`, which stands for the SDR), as `NAME.bin`, `name.bin`, `NAME`,
//! `name`, `NAME.abs` or `name.abs`.

use super::catalogue::{Catalogue, MAX_NAME};
use super::file::DeckFile;
use super::loops::{Round, MAX_IDLE_STATEMENTS};
use super::statement::{self, Statement};
use super::{DeckJob, JobDataset};
use crate::cos::absolute::{self, AbsoluteBinary};
use crate::cos::error::CosStartError;
use crate::cos::job::DECK_MAX_DATASETS;
use crate::cos::job::{Backing, CosJob};
use crate::cos::loader::{cos_field, needed_field_length, CosFieldError, FieldShape};
use crate::cos::{Process, System, SystemError};
use crate::memory::Memory;
use crate::system::{ExitStatus, Personality, Pid};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Largest program file read from the system directory (bytes).
const MAX_PROGRAM_BYTES: u64 = 64 << 20;

/// The host side of the job layer, attached like the root (not machine state).
#[derive(Clone, Debug, Default)]
pub struct DeckHost {
    /// The system directory: programs by name (`--system-dir`).
    pub system_dir: Option<PathBuf>,
    /// The permanent-dataset store (`--pds`).
    pub catalogue: Option<Catalogue>,
    /// The input queue SUBMIT submits jobs to (`--queue`, or `cray batch run`'s).
    pub queue: Option<std::sync::Arc<dyn super::submit::InputQueue>>,
    /// The job's number in the store, drawn by the host before the deck starts
    /// ([`Catalogue::draw_job_number`]) so that every start of one job has the same
    /// one: a job that crashed before its first checkpoint and starts again must
    /// find the operations it made done. `None`: drawn when the deck starts.
    pub job_number: Option<u64>,
}

/// What the loops of a deck have run since its last program (see `loops`).
#[derive(Default)]
struct Idle {
    /// Statements of loops' rounds.
    statements: u64,
    /// Times a loop ran away ([`MAX_IDLE_STATEMENTS`] statements).
    runaways: u32,
}

/// What the interpreter did with the statements that follow.
pub(super) enum Next {
    /// A program was loaded and runs.
    Program,
    /// The job ends with this status.
    End(ExitStatus),
    /// The job has ended already (its time ran out in a loop).
    Ended,
}

/// The result of a system verb: `Err` is the log line of its failure, which aborts
/// the step (unless the statement says NA).
pub(super) type VerbResult = Result<(), String>;

impl System {
    /// Starts the job of deck `deck` (named `name`): the statements up to the first
    /// program run at once, and the job's first process (pid = jid) holds that
    /// program. `datasets` maps names to host files (`--dataset`) for every step.
    pub fn load_cos_deck(
        &mut self,
        name: &str,
        deck: &DeckFile,
        datasets: BTreeMap<String, Backing>,
    ) -> Result<Pid, SystemError> {
        let error = |source| SystemError::Foreign {
            program: name.to_string(),
            source,
        };
        let statements: Vec<String> = statement::join_continuations(&deck.lines)
            .into_iter()
            .map(|(_, image)| image)
            .filter(|image| !image.trim().is_empty())
            .collect();
        let job = statements
            .first()
            .map(|s| statement::parse(s))
            .transpose()
            .map_err(|e| error(CosStartError::JobStatement(e)))?;
        let job_name = job
            .as_ref()
            .and_then(|j| j.value("JN"))
            .unwrap_or("JOB")
            .to_string();
        if let Some(job) = job.as_ref().filter(|j| j.verb == "JOB") {
            super::job_statement::check(job).map_err(|e| error(CosStartError::JobStatement(e)))?;
        }
        let user = job
            .as_ref()
            .and_then(|j| j.value("US"))
            .unwrap_or(DEFAULT_USER)
            .to_string();
        super::loops::check(&statements).map_err(|e| error(CosStartError::Statements(e)))?;
        let number = self
            .next_job_number()
            .map_err(|e| error(CosStartError::Catalogue(e)))?;
        let mut input = JobDataset::holding(deck.input.clone());
        input.modified = false;
        let deck_job = DeckJob {
            job_name,
            user,
            number,
            statements,
            next: 0,
            step: None,
            aborted: None,
            datasets: BTreeMap::from([("$IN".to_string(), input)]),
            conditions: Vec::new(),
            symbols: BTreeMap::new(),
            deferred: Vec::new(),
            field_length: None,
        };
        super::time_limit::job_time_limit(&deck_job)
            .map_err(|e| error(CosStartError::JobStatement(e)))?;
        super::field_limit::job_field_limit(&deck_job, self.config.memory_words)
            .map_err(|e| error(CosStartError::JobStatement(e)))?;
        let cpu = self.new_cpu(0);
        let mut process = Process::new(cpu, Memory::new(0), 0, Personality::Cos, name.into());
        process.cos = Some(Box::new(CosJob {
            map: datasets,
            ..CosJob::default()
        }));
        let pid = self.start_job(process);
        self.cos_decks.insert(pid, deck_job);
        if let Next::End(status) = self.deck_continue(pid) {
            self.end_deck_job(pid, status);
        }
        Ok(pid)
    }

    /// The job's number in the store: the one the host drew for it
    /// ([`DeckHost::job_number`]), else a new one (0 without a store).
    fn next_job_number(&mut self) -> Result<u64, String> {
        let Some(catalogue) = &self.deck_host.catalogue else {
            return Ok(0);
        };
        if let Some(number) = self.deck_host.job_number {
            return Ok(number);
        }
        catalogue.draw_job_number().map_err(|e| e.to_string())
    }

    /// The deck of `pid`'s job, if it runs one.
    pub(crate) fn deck_of(&self, pid: Pid) -> Option<&DeckJob> {
        let jid = self.processes.get(&pid)?.jid;
        self.cos_decks.get(&jid)
    }

    /// The deck of `pid`'s job, for changing.
    pub(crate) fn deck_of_mut(&mut self, pid: Pid) -> Option<&mut DeckJob> {
        let jid = self.processes.get(&pid)?.jid;
        self.cos_decks.get_mut(&jid)
    }

    /// A line of the job log (`$LOG`): kept for `--log` and shown on stderr, as
    /// F$MSG lines are.
    pub(crate) fn job_log(&mut self, line: String) {
        self.console_mut().message(format!("{line}\n").as_bytes());
        keep_log_line(&mut self.cos_log, line);
    }

    /// The step of `pid` ended with `status` (its datasets already flushed). Returns
    /// false when `pid` runs no deck (the caller ends the process); otherwise the
    /// deck goes on: the next program is loaded, or the job ends.
    pub(crate) fn cos_step_ended(&mut self, pid: Pid, status: ExitStatus) -> bool {
        let Some(deck) = self.deck_of_mut(pid) else {
            return false;
        };
        let step = deck.step.take();
        let verb = step
            .and_then(|i| deck.statements.get(i))
            .map(|s| statement::parse(s).map_or_else(|_| s.clone(), |s| s.verb))
            .unwrap_or_default();
        if let Some(job) = self.processes.get_mut(&pid).and_then(|p| p.cos.as_mut()) {
            job.open.clear();
        }
        if status != ExitStatus::Exited(0) {
            let why = match status {
                ExitStatus::Exited(code) => format!("exit status {code}"),
                ExitStatus::Signaled(signal) => crate::system::signals::name(signal).to_string(),
            };
            self.job_log(format!(" {verb} ABORTED ({why})"));
            self.deck_abort(pid, status);
        }
        if let Next::End(status) = self.deck_continue(pid) {
            self.end_deck_job(pid, status);
        }
        true
    }

    /// Ends the deck job of `pid`: accessed datasets written are written back, then
    /// the process ends.
    pub(super) fn end_deck_job(&mut self, pid: Pid, status: ExitStatus) {
        self.release_every_local(pid);
        self.job_log(format!(
            " JOB ENDED{}",
            match status {
                ExitStatus::Exited(0) => String::new(),
                other => format!(" ABORTED (status {})", other.host_code()),
            }
        ));
        self.terminate(pid, status);
    }

    /// Records an abort and skips to the statement after the next EXIT: of the
    /// running procedure, else of its callers in turn, else of the deck (module
    /// `procedure`). The job goes on inside the IF blocks that enclose that EXIT
    /// (as running and taken: their ENDIF closes them, an ELSE after is skipped);
    /// the others are closed.
    pub(super) fn deck_abort(&mut self, pid: Pid, status: ExitStatus) {
        let Some(deck) = self.deck_of_mut(pid) else {
            return;
        };
        deck.aborted = Some(status);
        loop {
            // A running procedure's statements are the last of the list.
            if let Some(i) = super::definition::next_exit(&deck.statements, deck.next) {
                // The blocks open now run (a statement in them ran); those the
                // statements up to the EXIT open are entered as running and taken.
                let open_at_call = super::procedure::open_at_call(&deck.statements);
                let (kept, open) = super::definition::if_blocks_between(
                    &deck.statements,
                    deck.next,
                    i,
                    deck.conditions.len(),
                    open_at_call,
                );
                deck.next = i + 1;
                deck.conditions.truncate(kept);
                let entered = open.min(super::local::MAX_IF_BLOCKS).saturating_sub(kept);
                deck.conditions
                    .extend(std::iter::repeat_n((true, true), entered));
                return;
            }
            if !super::procedure::leave_procedure(deck) {
                deck.next = deck.statements.len();
                break;
            }
        }
        deck.conditions.clear();
    }

    /// Runs statements from the deck's position until a program is loaded or the job
    /// ends.
    pub(super) fn deck_continue(&mut self, pid: Pid) -> Next {
        // Statements of loops' rounds run since the last program, and the runaways
        // since then (see `loops`).
        let mut idle = Idle::default();
        loop {
            let Some(deck) = self.deck_of_mut(pid) else {
                return Next::End(ExitStatus::Exited(0));
            };
            let index = deck.next;
            let Some(image) = deck.statements.get(index).cloned() else {
                if let Some(line) = unclosed_if_blocks(deck, 0, 0, "THE DECK") {
                    self.job_log(line);
                    self.deck_abort(pid, ExitStatus::Exited(1));
                }
                let status = self.deck_of(pid).and_then(|d| d.aborted);
                return Next::End(status.unwrap_or(ExitStatus::Exited(0)));
            };
            deck.next += 1;
            if super::procedure::is_frame_end(&image) {
                // The end of a procedure's statements: back to its caller.
                let first =
                    super::procedure::innermost_frame(&deck.statements).map_or(index, |s| s + 1);
                let floor = super::procedure::open_at_call(&deck.statements);
                let name = super::procedure::running_name(&deck.statements).unwrap_or_default();
                let unclosed = unclosed_if_blocks(deck, first, floor, &format!("PROCEDURE {name}"));
                super::procedure::leave_procedure(deck);
                if let Some(line) = unclosed {
                    self.job_log(line);
                    self.deck_abort(pid, ExitStatus::Exited(1));
                }
                continue;
            }
            let skipping = deck.conditions.iter().any(|&(run, _)| !run);
            let echoes = super::echo::echoes(deck);
            if statement::is_comment(&image) {
                if !skipping && echoes {
                    self.job_log(image.trim_end().to_string());
                }
                continue;
            }
            let parsed = statement::parse(&image);
            let conditional = parsed
                .as_ref()
                .is_ok_and(|s| matches!(s.verb.as_str(), "IF" | "ELSE" | "ELSEIF" | "ENDIF"));
            if skipping && !conditional {
                continue;
            }
            if echoes {
                self.job_log(image.trim().to_string());
            }
            let statement = match parsed {
                Ok(statement) => statement,
                Err(e) => {
                    self.job_log(format!(" CONTROL STATEMENT ERROR: {e}"));
                    self.deck_abort(pid, ExitStatus::Exited(1));
                    continue;
                }
            };
            match self.run_statement(pid, index, &statement, &image) {
                Step::Next => {}
                Step::Program => return Next::Program,
                Step::Again(statements) => {
                    idle.statements = idle.statements.saturating_add(statements);
                    if let Some(next) = self.after_round(pid, &mut idle) {
                        return next;
                    }
                }
                Step::End => {
                    let status = self
                        .deck_of(pid)
                        .and_then(|d| d.aborted)
                        .unwrap_or(ExitStatus::Exited(0));
                    return Next::End(status);
                }
                Step::Failed(line) => {
                    self.job_log(line);
                    if !statement.flag("NA") {
                        self.deck_abort(pid, ExitStatus::Exited(1));
                    }
                }
            }
        }
    }

    /// Runs one statement.
    fn run_statement(&mut self, pid: Pid, index: usize, s: &Statement, image: &str) -> Step {
        let done = |r: VerbResult| r.map_or_else(Step::Failed, |()| Step::Next);
        if let Some(line) = super::refused::refusal(&s.verb) {
            return Step::Failed(line);
        }
        let Some(system_verb) = SystemVerb::of(&s.verb) else {
            return self.run_program_statement(pid, index, s, image);
        };
        if let Some(line) = s.repeated_or_listed(list_keywords(&s.verb)) {
            return Step::Failed(line);
        }
        if let (true, Some(first)) = (
            NO_PARAMETERS.contains(&s.verb.as_str()),
            s.unknown_keywords(&["NA"]).first(),
        ) {
            return Step::Failed(format!(
                " {}: parameter {first} is not served ({} takes none)",
                s.verb, s.verb
            ));
        }
        match system_verb {
            SystemVerb::Job if index == 0 => Step::Next,
            SystemVerb::Job => Step::Failed(
                " JOB: only the deck's first statement is its JOB statement".to_string(),
            ),
            SystemVerb::Account => {
                if let Err(line) = s.refuse_unknown_keywords(ACCOUNT_KNOWN) {
                    return Step::Failed(line);
                }
                if s.value("US").is_some_and(|user| user.len() > MAX_NAME) {
                    return Step::Failed(format!(
                        " ACCOUNT: US= has more than {MAX_NAME} characters"
                    ));
                }
                if let (Some(user), Some(deck)) = (s.value("US"), self.deck_of_mut(pid)) {
                    deck.user = user.to_string();
                }
                Step::Next
            }
            SystemVerb::Exit => Step::End,
            SystemVerb::Conditional => done(self.conditional(pid, index, s, image)),
            SystemVerb::Loop => match self.loop_verb(pid, index, &s.verb, image) {
                Ok(Round::Next) => Step::Next,
                Ok(Round::Again(statements)) => Step::Again(statements),
                Err(line) => Step::Failed(line),
            },
            SystemVerb::Local => done(self.local_verb(pid, s)),
            SystemVerb::Copy => done(self.copy_verb(pid, s)),
            SystemVerb::Skip => done(self.skip_verb(pid, s)),
            SystemVerb::Fetch => done(self.fetch_verb(pid, s)),
            SystemVerb::Memory => done(self.memory_verb(pid, s)),
            SystemVerb::Submit => done(self.submit_verb(pid, index, s)),
            SystemVerb::Call => done(self.call_verb(pid, index, s)),
            SystemVerb::Return => done(self.return_verb(pid, s)),
            SystemVerb::Proc => done(self.proc_verb(pid, index, s)),
            SystemVerb::EndProc => Step::Failed(" ENDPROC: no PROC is open".to_string()),
            SystemVerb::Echo => match self.deck_of_mut(pid) {
                Some(deck) => done(super::echo::echo_verb(deck, s)),
                None => Step::Next,
            },
            SystemVerb::DumpJob => done(self.dumpjob_verb(pid, s)),
            SystemVerb::Dump => done(self.dump_verb(pid, s)),
            SystemVerb::Permanent => done(self.permanent_verb(pid, index, s)),
        }
    }

    /// Runs a statement whose verb is not a system verb: a procedure defined in the
    /// deck (PROC), unless a local dataset has the name; else a program, which reads
    /// its own statement (F$GNS), so its parameters are its own business.
    fn run_program_statement(
        &mut self,
        pid: Pid,
        index: usize,
        s: &Statement,
        image: &str,
    ) -> Step {
        if let Some(result) = self.defined_procedure(pid, index, s) {
            return result.map_or_else(Step::Failed, |()| Step::Next);
        }
        match self.load_step(pid, s, image) {
            Ok(()) => {
                if let Some(deck) = self.deck_of_mut(pid) {
                    deck.step = Some(index);
                }
                Step::Program
            }
            Err(line) => Step::Failed(line),
        }
    }

    /// After a round of a loop (`idle`: the statements of rounds in a row without a
    /// program, and the runaways among them): the job ends when its time ran out;
    /// the step aborts when the loop runs away, and the job ends when it runs away a
    /// second time with no program run between (its EXIT lies in the loop, so the
    /// abort comes back to it, and only a program returns to the machine's run,
    /// where a budget, a signal or a checkpoint is seen).
    fn after_round(&mut self, pid: Pid, idle: &mut Idle) -> Option<Next> {
        let deck = self.deck_of(pid)?;
        if self
            .limit_periods(deck)
            .is_some_and(|limit| self.clock >= limit)
        {
            let jid = self.processes.get(&pid)?.jid;
            self.cos_time_limit_reached(jid);
            return Some(Next::Ended);
        }
        if idle.statements >= MAX_IDLE_STATEMENTS {
            self.job_log(format!(
                " ENDLOOP: {MAX_IDLE_STATEMENTS} STATEMENTS OF LOOPS RAN NO PROGRAM: A RUNAWAY LOOP (JOB,T= BOUNDS THE JOB'S TIME)"
            ));
            if idle.runaways > 0 {
                self.job_log(
                    " ENDLOOP: THE LOOP RAN AWAY AGAIN AFTER ITS ABORT, WITH NO PROGRAM RUN: THE JOB ENDS"
                        .to_string(),
                );
                return Some(Next::End(ExitStatus::Exited(1)));
            }
            self.deck_abort(pid, ExitStatus::Exited(1));
            *idle = Idle {
                statements: 0,
                runaways: 1,
            };
        }
        None
    }

    /// Loads the program `s.verb` into `pid`'s field with `image` as its control
    /// statement (JCCCI, F$GNS).
    fn load_step(&mut self, pid: Pid, s: &Statement, image: &str) -> Result<(), String> {
        let verb = &s.verb;
        let words = self.find_program(pid, verb)?;
        let binary = absolute::parse(&words).map_err(|e| format!(" {verb}: {e}"))?;
        let process = self.processes.get(&pid).ok_or("no process")?;
        let map = process
            .cos
            .as_ref()
            .map(|j| j.map.clone())
            .unwrap_or_default();
        let available = self
            .config
            .memory_words
            .saturating_sub(self.memory_in_use())
            + process.field_words();
        let statement = image.split_whitespace().collect::<Vec<_>>().join(" ");
        let shape = self.step_field_shape(pid, &binary)?;
        let field = cos_field(&binary, &statement, map, shape, available).map_err(|e| match e {
            CosFieldError::Load(e) => format!(" {verb}: {e}"),
            CosFieldError::Jcb(e) => format!(" {verb}: {e}"),
        })?;
        let mut cpu = self.new_cpu(field.fl);
        cpu.p = binary.entry_parcel;
        let process = self.processes.get_mut(&pid).ok_or("no process")?;
        let program = process.program.clone();
        // The job's rerun mark (F$NRN) outlives the step that set it.
        let rerun = process.memory.read(crate::cos::rollout::JCRERUN);
        process.replace_program(cpu, Memory::from_words(field.words), field.fl, program);
        if let Some(word) = rerun {
            process.memory.write(crate::cos::rollout::JCRERUN, word);
        }
        process.cos = Some(Box::new(field.job));
        Ok(())
    }

    /// The field of a step of `pid`'s job that runs `binary`: [`DECK_MAX_DATASETS`]
    /// dataset slots and the job's MFL (none without a JOB statement), or the field
    /// length MEMORY set; a program that needs more than the JOB statement's MFL is
    /// refused.
    fn step_field_shape(&self, pid: Pid, binary: &AbsoluteBinary) -> Result<FieldShape, String> {
        let deck = self.deck_of(pid).ok_or(" not a deck job")?;
        let limit = super::field_limit::job_field_limit(deck, self.config.memory_words)
            .map_err(|e| format!(" {e}"))?;
        let needed = needed_field_length(binary, DECK_MAX_DATASETS);
        let mfl = limit.map(|l| l.for_program(needed)).transpose().map_err(|mfl| {
            format!(
                " {}: needs a field of {needed} words, above the job's maximum field length of {mfl} words (JOB,MFL=)",
                binary.name
            )
        })?;
        // MEMORY,FL= (within the MFL): that field, or what the program needs.
        let mfl = match deck.field_length {
            Some(fl) => Some(fl.max(needed)),
            None => mfl,
        };
        Ok(FieldShape {
            slots: DECK_MAX_DATASETS,
            mfl,
        })
    }

    /// The host file `--dataset` maps `name` to for `pid`'s job, if it maps it to
    /// one: its path and bytes (at most [`MAX_PROGRAM_BYTES`]), or why they cannot
    /// be read.
    pub(super) fn mapped_file(
        &self,
        pid: Pid,
        name: &str,
    ) -> Option<Result<(String, Vec<u8>), String>> {
        let mapped = self
            .processes
            .get(&pid)
            .and_then(|p| p.cos.as_ref())
            .and_then(|j| j.map.get(name).cloned());
        let Some(Backing::File { path, .. }) = mapped else {
            return None;
        };
        let read = self
            .root()
            .resolve(&path)
            .map_err(|e| format!(" {name}: {path}: not a file name under the root ({e})"))
            .and_then(|relative| {
                self.root()
                    .read_all(&relative, MAX_PROGRAM_BYTES)
                    .map_err(|e| format!(" {name}: {path}: cannot be read ({e})"))
            });
        Some(read.map(|bytes| (path, bytes)))
    }

    /// The words of program `verb`: a local dataset's first record, a `--dataset`
    /// mapping, or a file of the system directory. Only a verb of the letters,
    /// digits, `$`, `@` and `%` a program name has (SR-0011) is looked for in the
    /// system directory: the statement syntax lets `/` into a verb, and
    /// `/TMP/X.` would otherwise name a host file outside it.
    fn find_program(&self, pid: Pid, verb: &str) -> Result<Vec<u64>, String> {
        if let Some(dataset) = self.deck_of(pid).and_then(|d| d.datasets.get(verb)) {
            return match dataset.items.first() {
                Some(crate::cos::dataset::DatasetItem::Record { words, .. }) => Ok(words.clone()),
                _ => Err(format!(" {verb}: the local dataset holds no program")),
            };
        }
        if let Some(mapped) = self.mapped_file(pid, verb) {
            let (path, bytes) = mapped?;
            return absolute::words_from_bytes(&bytes).map_err(|e| format!(" {verb}: {path}: {e}"));
        }
        let plain = verb
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '$' | '@' | '%'));
        if let (Some(dir), true) = (&self.deck_host.system_dir, plain) {
            let lower = verb.to_ascii_lowercase();
            let names = [
                format!("{verb}.bin"),
                format!("{lower}.bin"),
                verb.to_string(),
                lower.clone(),
                format!("{verb}.abs"),
                format!("{lower}.abs"),
            ];
            for name in names {
                let path = dir.join(&name);
                if !path.is_file() {
                    continue;
                }
                let size = std::fs::metadata(&path).map_or(0, |m| m.len());
                if size > MAX_PROGRAM_BYTES {
                    return Err(format!(
                        " {verb}: {} is larger than {MAX_PROGRAM_BYTES} bytes",
                        path.display()
                    ));
                }
                let bytes = std::fs::read(&path)
                    .map_err(|e| format!(" {verb}: {}: {e}", path.display()))?;
                return absolute::words_from_bytes(&bytes)
                    .map_err(|e| format!(" {verb}: {}: {e}", path.display()));
            }
        }
        Err(format!(
            " CONTROL STATEMENT ERROR: {verb} is not a system verb, a local dataset or a program of the system directory"
        ))
    }
}

/// The parameters of ACCOUNT (SR-0011's account number, user number and their
/// passwords, new passwords among them; the site's decks give AC, APW, US and
/// UPW). US sets the job's user; the others are taken and not checked: the
/// emulator keeps no account or user validation of its own.
const ACCOUNT_KNOWN: &[&str] = &["AC", "APW", "NAPW", "US", "UPW", "NUPW", "NA"];

/// The verbs the interpreter runs itself (system verbs), by what runs them: the one
/// list of them, whose parameters the interpreter reads and checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SystemVerb {
    Job,
    Account,
    Exit,
    /// IF, ELSEIF, ELSE, ENDIF, SET.
    Conditional,
    /// LOOP, EXITLOOP, ENDLOOP.
    Loop,
    /// ASSIGN, RELEASE, REWIND, DISPOSE.
    Local,
    /// COPYR, COPYF, COPYD.
    Copy,
    /// SKIPR, SKIPF, SKIPD.
    Skip,
    Fetch,
    Memory,
    Submit,
    Call,
    Return,
    Proc,
    EndProc,
    Echo,
    DumpJob,
    Dump,
    /// ACCESS, ACQUIRE, SAVE, DELETE, ADJUST, MODIFY, PERMIT.
    Permanent,
}

impl SystemVerb {
    /// The system verb `verb` is, if it is one.
    fn of(verb: &str) -> Option<SystemVerb> {
        Some(match verb {
            "JOB" => SystemVerb::Job,
            "ACCOUNT" => SystemVerb::Account,
            "EXIT" => SystemVerb::Exit,
            "IF" | "ELSEIF" | "ELSE" | "ENDIF" | "SET" => SystemVerb::Conditional,
            verb if super::loops::is_loop_verb(verb) => SystemVerb::Loop,
            "ASSIGN" | "RELEASE" | "REWIND" | "DISPOSE" => SystemVerb::Local,
            "COPYR" | "COPYF" | "COPYD" => SystemVerb::Copy,
            "SKIPR" | "SKIPF" | "SKIPD" => SystemVerb::Skip,
            "FETCH" => SystemVerb::Fetch,
            "MEMORY" => SystemVerb::Memory,
            "SUBMIT" => SystemVerb::Submit,
            "CALL" => SystemVerb::Call,
            "RETURN" => SystemVerb::Return,
            "PROC" => SystemVerb::Proc,
            "ENDPROC" => SystemVerb::EndProc,
            "ECHO" => SystemVerb::Echo,
            "DUMPJOB" => SystemVerb::DumpJob,
            "DUMP" => SystemVerb::Dump,
            "ACCESS" | "ACQUIRE" | "SAVE" | "DELETE" | "ADJUST" | "MODIFY" | "PERMIT" => {
                SystemVerb::Permanent
            }
            _ => return None,
        })
    }
}

/// The block statements that take no parameter (`ELSE,X.` and `ENDLOOP,X.` took
/// one without a word).
const NO_PARAMETERS: &[&str] = &["ELSE", "ENDIF", "LOOP", "ENDLOOP", "ENDPROC"];

/// The log line for IF blocks left open where the statements from `first` end
/// (the deck's, or a running procedure's), when more than `floor` (the blocks open
/// before them) are open: their IF statements, numbered from `first`. SR-0011's
/// pages at hand do not say what COS did with a block no ENDIF closed; ending
/// quietly hid the mistake, so the emulator logs it as a control-statement error
/// and takes it as an abort (on to the next EXIT, else the job ends aborted).
fn unclosed_if_blocks(deck: &DeckJob, first: usize, floor: usize, what: &str) -> Option<String> {
    let open = deck
        .conditions
        .len()
        .checked_sub(floor)
        .filter(|&n| n > 0)?;
    let ifs = super::definition::unclosed_ifs(&deck.statements, first, deck.statements.len());
    let named: Vec<String> = ifs
        .iter()
        .map(|&i| {
            format!(
                "statement {} ({})",
                i - first + 1,
                deck.statements[i].trim()
            )
        })
        .collect();
    let (which, it) = match named.len() {
        0 => (format!("{open} IF blocks"), "them"),
        1 => (named.join(", "), "it"),
        _ => (named.join(", "), "them"),
    };
    Some(format!(
        " CONTROL STATEMENT ERROR: END OF {what} INSIDE AN IF BLOCK: {which}: no ENDIF closes {it}"
    ))
}

/// The keywords of system verb `verb` that take a list of values (SR-0011's
/// `RELEASE,DN=dn1:dn2`, `REWIND,DN=dn1:...:dn8`, ASSIGN's `BS=bsz:bpt`, ECHO's
/// classes); every other keyword takes one value.
fn list_keywords(verb: &str) -> &'static [&'static str] {
    match verb {
        "RELEASE" | "REWIND" => &["DN"],
        "ASSIGN" => &["BS"],
        "ECHO" => &["ON", "OFF"],
        _ => &[],
    }
}

/// The first lines of the job log that are kept (for `--log` and in checkpoints).
pub const KEPT_LOG_HEAD: usize = 50_000;

/// The last lines of the job log that are kept, besides [`KEPT_LOG_HEAD`].
pub const KEPT_LOG_TAIL: usize = 50_000;

/// The start of the line that stands for the lines of the log left out.
const LEFT_OUT: &str = " JOB LOG: ";

/// The line that stands for `count` lines left out of the kept log.
fn left_out_line(count: usize) -> String {
    format!(
        "{LEFT_OUT}{count} LINES LEFT OUT HERE (THE LOG KEEPS ITS FIRST {KEPT_LOG_HEAD} AND LAST \
         {KEPT_LOG_TAIL} LINES; STANDARD ERROR SHOWED THEM ALL)"
    )
}

/// Adds `line` to the kept job log `log`, which holds at most its first
/// [`KEPT_LOG_HEAD`] lines, a line saying how many were left out, and about its
/// last [`KEPT_LOG_TAIL`] (up to twice as many between two cuts, so that a cut
/// is rare). A job that runs for ever (a loop whose rounds each run a program,
/// with no `T=`; a program writing F$MSG lines in a loop) kept every line and
/// grew without bound, in memory and in each checkpoint; every line is still
/// shown on standard error as it is written.
fn keep_log_line(log: &mut Vec<String>, line: String) {
    log.push(line);
    if log.len() < KEPT_LOG_HEAD + 1 + 2 * KEPT_LOG_TAIL {
        return;
    }
    let noted = log
        .get(KEPT_LOG_HEAD)
        .and_then(|l| l.strip_prefix(LEFT_OUT))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|count| count.parse::<usize>().ok());
    let from = KEPT_LOG_HEAD + usize::from(noted.is_some());
    let to = log.len() - KEPT_LOG_TAIL;
    log.drain(from..to);
    let count = noted.unwrap_or(0) + (to - from);
    match noted {
        Some(_) => log[KEPT_LOG_HEAD] = left_out_line(count),
        None => log.insert(KEPT_LOG_HEAD, left_out_line(count)),
    }
}

/// What one statement did.
enum Step {
    /// Go on with the next statement.
    Next,
    /// A program was loaded.
    Program,
    /// ENDLOOP went back to its LOOP: a round of this many statements ended.
    Again(u64),
    /// EXIT in normal processing: the job ends.
    End,
    /// The verb failed: this log line, then abort (unless NA).
    Failed(String),
}

/// The user a job runs as when neither JOB nor ACCOUNT says (US=).
pub const DEFAULT_USER: &str = "CRAY";

#[cfg(test)]
mod tests {
    use super::*;

    /// A job log of 400 000 lines keeps its first and last lines and says how
    /// many it left out.
    #[test]
    fn the_kept_job_log_is_bounded() {
        let mut log = Vec::new();
        let total = 400_000;
        for n in 0..total {
            keep_log_line(&mut log, format!("line {n}"));
            assert!(log.len() <= KEPT_LOG_HEAD + 1 + 2 * KEPT_LOG_TAIL);
        }
        assert_eq!(log[0], "line 0");
        assert_eq!(
            log[KEPT_LOG_HEAD - 1],
            format!("line {}", KEPT_LOG_HEAD - 1)
        );
        assert_eq!(log.last().unwrap(), &format!("line {}", total - 1));
        let kept = log.len() - 1;
        assert_eq!(log[KEPT_LOG_HEAD], left_out_line(total - kept));
        let tail_start: usize = log[KEPT_LOG_HEAD + 1][5..].parse().unwrap();
        assert_eq!(
            tail_start,
            KEPT_LOG_HEAD + (total - kept),
            "no line lost in between"
        );
    }
}
