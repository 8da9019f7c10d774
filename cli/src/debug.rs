//! `cray debug`: runs a program under a command loop that steps it an instruction at a
//! time, stops it at parcel addresses, and shows every register, memory and the
//! processes of the job, and can checkpoint it at any instruction boundary.
//!
//! Commands come one per line from standard input (so the debugger also runs from a
//! script; on a terminal with line editing and history); the job gets no terminal
//! input. Ctrl-C stops a `step` or `continue` and the loop asks for the next command.
//! Numbers are decimal, or octal with a leading 0, or hex with 0x; parcel addresses
//! may also be written as the debugger prints them (`201a`: octal word 0201, parcel a),
//! as `cray dis --from` takes them. The job runs inside an ordinary session, so its
//! system calls, checkpoints, signals and the control socket work as under `cray run`.
//!
//! `step N` and `continue` run the job in batches of clock periods, as `cray run`
//! does, when no breakpoint is set; with breakpoints they run it an instruction at a
//! time (a breakpoint is a parcel address of the process shown, checked after every
//! instruction), answering the control socket and looking for Ctrl-C every
//! [`CHECK_EVERY`] instructions rather than after each.

use crate::dis::{parcel_label, parse_parcel};
use crate::output::{out, outln};
use crate::session::{Session, SLICE};
use crate::CliError;
use cray_emulator::isa::{decode, disassemble, instruction_length, Op};
use cray_emulator::system::{Pid, Process};
use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Instructions `dis` shows when not told.
const DIS_LINES: usize = 8;

/// Instructions run one at a time (breakpoints set) between two answers to the
/// control socket and two looks at Ctrl-C: each answer is a system call, which would
/// cost more than the instruction.
const CHECK_EVERY: u64 = 4096;

/// How a run of the job under the debugger stopped.
enum Ran {
    /// It did what it was asked (or Ctrl-C stopped it): the job goes on.
    On,
    /// The process shown reached this breakpoint.
    Breakpoint(u32),
    /// The job ended, or the runner stopped it (already said).
    Ended,
}

/// The command loop's state.
struct Debugger {
    session: Session,
    started: Instant,
    /// The process shown and stopped at breakpoints (the job's leader at first).
    pid: Pid,
    breakpoints: BTreeSet<u32>,
    /// Set once the job has ended (or the runner stopped it).
    ended: bool,
    /// Set by SIGINT (Ctrl-C): `continue` and `step` stop and the loop asks again.
    interrupted: Arc<AtomicBool>,
}

/// Runs the command loop on `session` until `quit` or the end of the commands.
pub fn run(session: Session) -> Result<(), CliError> {
    let pid = session.system.leader.unwrap_or(1);
    let interrupted = Arc::new(AtomicBool::new(false));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&interrupted));
    let mut debugger = Debugger {
        session,
        started: Instant::now(),
        pid,
        breakpoints: BTreeSet::new(),
        ended: false,
        interrupted,
    };
    debugger.show_next();
    let mut commands = Commands::open();
    loop {
        let Some(line) = commands.next()? else {
            return Ok(());
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((&command, arguments)) = words.split_first() else {
            continue;
        };
        match debugger.command(command, arguments) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            // A mistyped command is said and the loop goes on.
            Err(message) => outln!("{message}"),
        }
    }
}

/// Where the commands come from: a terminal, with line editing and history, or lines
/// of a script.
enum Commands {
    Terminal(Box<rustyline::DefaultEditor>),
    Lines(std::io::Lines<std::io::StdinLock<'static>>),
}

impl Commands {
    fn open() -> Commands {
        if std::io::stdin().is_terminal() {
            if let Ok(editor) = rustyline::DefaultEditor::new() {
                return Commands::Terminal(Box::new(editor));
            }
        }
        Commands::Lines(std::io::stdin().lock().lines())
    }

    /// The next command line; `None` at the end of the commands.
    fn next(&mut self) -> Result<Option<String>, CliError> {
        use rustyline::error::ReadlineError;
        let failed =
            |e: &dyn std::fmt::Display| CliError::new(format!("debug: standard input: {e}"));
        match self {
            Commands::Terminal(editor) => loop {
                match editor.readline("(cray) ") {
                    Ok(line) => {
                        let _ = editor.add_history_entry(line.as_str());
                        return Ok(Some(line));
                    }
                    // Ctrl-C at the prompt drops the line, as in a shell.
                    Err(ReadlineError::Interrupted) => continue,
                    Err(ReadlineError::Eof) => return Ok(None),
                    Err(e) => return Err(failed(&e)),
                }
            },
            Commands::Lines(lines) => lines.next().transpose().map_err(|e| failed(&e)),
        }
    }
}

impl Debugger {
    /// Performs one command; false to quit.
    fn command(&mut self, command: &str, arguments: &[&str]) -> Result<bool, String> {
        let number = |at: usize| {
            arguments
                .get(at)
                .map(|text| crate::parse_number(text))
                .transpose()
        };
        let parcel = |at: usize| arguments.get(at).map(|text| parse_parcel(text)).transpose();
        match command {
            "s" | "step" => {
                let count = number(0)?.unwrap_or(1);
                if !matches!(self.run_job(Some(u64::from(count)))?, Ran::Ended) {
                    self.show_next();
                }
            }
            "c" | "continue" => {
                if !matches!(self.run_job(None)?, Ran::Ended) {
                    self.show_next();
                }
            }
            "b" | "break" => match parcel(0)? {
                Some(parcel) => {
                    self.check_instruction_start(parcel)?;
                    self.breakpoints.insert(parcel);
                    outln!("breakpoint at {}", parcel_label(parcel));
                }
                None => {
                    let all: Vec<String> =
                        self.breakpoints.iter().map(|&p| parcel_label(p)).collect();
                    outln!(
                        "breakpoints: {}",
                        if all.is_empty() {
                            "none".into()
                        } else {
                            all.join(" ")
                        }
                    );
                }
            },
            "d" | "delete" => {
                let parcel = parcel(0)?.ok_or("delete PARCEL")?;
                if !self.breakpoints.remove(&parcel) {
                    return Err(format!("no breakpoint at {}", parcel_label(parcel)));
                }
            }
            "r" | "regs" => self.show_registers()?,
            "v" => {
                let i = number(0)?.filter(|&i| i < 8).ok_or("v I, with I in 0..7")?;
                let process = self.process()?;
                let vl = (process.cpu.vl as usize).clamp(1, 64);
                show_words(&process.cpu.v[i as usize][..vl], 0);
            }
            "x" => {
                let address = word_address(arguments.first().copied())?;
                let count = number(1)?.unwrap_or(4);
                let process = self.process()?;
                let base = process.cpu.data_base;
                let words: Vec<u64> = (address..address.saturating_add(count))
                    .map_while(|a| process.memory.read(base.checked_add(a)?))
                    .collect();
                if words.is_empty() {
                    return Err(format!("{address:o} is outside pid {}'s memory", self.pid));
                }
                show_words(&words, address);
            }
            "dis" => {
                let process = self.process()?;
                let from = parcel(0)?.unwrap_or(process.cpu.p);
                let count = number(1)?.map_or(DIS_LINES, |n| n as usize);
                out!("{}", disassembly(process, from, count));
            }
            "ps" => {
                for p in self.session.system.processes.values() {
                    let marker = if p.pid == self.pid { '*' } else { ' ' };
                    outln!(
                        "{marker}pid {:<4} ppid {:<4} jid {:<4} P={:<8} cycles {:<10} {:?} {}",
                        p.pid,
                        p.ppid,
                        p.jid,
                        parcel_label(p.cpu.p),
                        p.cpu.cycles,
                        p.state,
                        p.program
                    );
                }
            }
            "pid" => {
                let pid = number(0)?.ok_or("pid N")?;
                if !self.session.system.processes.contains_key(&pid) {
                    return Err(format!("no process {pid}"));
                }
                self.pid = pid;
                self.show_next();
            }
            "chkpnt" => {
                let file = arguments.first().ok_or("chkpnt FILE")?;
                self.session
                    .checkpoint_job(Path::new(file))
                    .map_err(|e| e.to_string())?;
                outln!(
                    "checkpointed the job at clock period {} to {file}",
                    self.session.system.clock
                );
            }
            "h" | "help" => outln!("{HELP}"),
            "q" | "quit" => return Ok(false),
            other => return Err(format!("unknown command {other:?} (help lists them)")),
        }
        Ok(true)
    }

    /// The process shown.
    fn process(&self) -> Result<&Process, String> {
        self.session
            .system
            .processes
            .get(&self.pid)
            .ok_or_else(|| format!("pid {} is gone", self.pid))
    }

    /// Whether Ctrl-C was pressed since the last look (it is then said).
    fn interrupted(&self) -> bool {
        let pressed = self.interrupted.swap(false, Ordering::Relaxed);
        if pressed {
            outln!("interrupted");
        }
        pressed
    }

    /// Runs the job until `count` more instructions have run (when `None`, until it
    /// ends), the process shown reaches a breakpoint (said), Ctrl-C, or the job ends.
    fn run_job(&mut self, count: Option<u64>) -> Result<Ran, String> {
        if self.ended {
            return Err("the job has ended".to_string());
        }
        self.interrupted.store(false, Ordering::Relaxed);
        let until = count.map(|n| self.session.system.instructions.saturating_add(n));
        loop {
            let left = until.map(|until| until.saturating_sub(self.session.system.instructions));
            if left == Some(0) || self.interrupted() {
                return Ok(Ran::On);
            }
            let ran = if self.breakpoints.is_empty() {
                // Every instruction takes at least one clock period, so a budget of
                // `left` periods runs at most `left` instructions.
                let budget = left.unwrap_or(SLICE).min(SLICE);
                if self.advance(budget, true)? {
                    Ran::On
                } else {
                    Ran::Ended
                }
            } else {
                let batch = left.unwrap_or(CHECK_EVERY).min(CHECK_EVERY);
                self.instructions_to_breakpoint(batch)?
            };
            match ran {
                Ran::On => {}
                Ran::Breakpoint(parcel) => {
                    outln!("breakpoint at {}", parcel_label(parcel));
                    return Ok(ran);
                }
                Ran::Ended => return Ok(ran),
            }
        }
    }

    /// Runs up to `count` instructions of the job one at a time, stopping where the
    /// process shown reaches a breakpoint; answers the control socket once.
    fn instructions_to_breakpoint(&mut self, count: u64) -> Result<Ran, String> {
        self.session.serve_control();
        for _ in 0..count {
            if !self.instruction()? {
                return Ok(Ran::Ended);
            }
            if let Ok(process) = self.process() {
                if self.breakpoints.contains(&process.cpu.p) {
                    return Ok(Ran::Breakpoint(process.cpu.p));
                }
            }
        }
        Ok(Ran::On)
    }

    /// Runs one instruction of the job (of whichever process the scheduler runs);
    /// false once the job has ended.
    fn instruction(&mut self) -> Result<bool, String> {
        let before = self.session.system.instructions;
        while self.session.system.instructions == before {
            if !self.advance(1, false)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Runs the job's session for at most `most` clock periods, answering the control
    /// socket when `serve`; false (and said) once the job has ended or the runner
    /// stopped it.
    fn advance(&mut self, most: u64, serve: bool) -> Result<bool, String> {
        let outcome = if serve {
            self.session.advance(most, self.started)
        } else {
            self.session.advance_unserved(most, self.started)
        };
        let Some(outcome) = outcome.map_err(|e| e.to_string())? else {
            return Ok(true);
        };
        match outcome.status {
            Some(status) => outln!("the job ended with exit status {}", status.host_code()),
            None => outln!("the job was stopped"),
        }
        self.ended = true;
        Ok(false)
    }

    /// Refuses a breakpoint that is not the first parcel of an instruction of the
    /// process shown, as decoded from P (or from the start of its code when the
    /// parcel lies before P), where `dis` would show it: a stop there would never come.
    fn check_instruction_start(&self, parcel: u32) -> Result<(), String> {
        let Ok(process) = self.process() else {
            return Ok(());
        };
        let Some(start) = instruction_holding(process, parcel) else {
            return Ok(());
        };
        if start == parcel {
            return Ok(());
        }
        let shown = disassembly(process, start, 2);
        let mut lines = shown.lines().map(str::trim);
        let (holding, next) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""));
        Err(format!(
            "{} is the second parcel of the instruction at {} ({holding}): a breakpoint goes on the first parcel of an instruction ({}, or the next one: {next})",
            parcel_label(parcel),
            parcel_label(start),
            parcel_label(start),
        ))
    }

    /// The next instruction of the process shown.
    fn show_next(&self) {
        if let Ok(process) = self.process() {
            out!(
                "pid {} clock {}: {}",
                self.pid,
                self.session.system.clock,
                disassembly(process, process.cpu.p, 1)
            );
        }
    }

    fn show_registers(&self) -> Result<(), String> {
        let p = self.process()?;
        let cpu = &p.cpu;
        outln!(
            "pid {} ({}) {:?}  P={}  cycles {}  clock {}  instructions {}",
            p.pid,
            p.program,
            p.state,
            parcel_label(cpu.p),
            cpu.cycles,
            self.session.system.clock,
            self.session.system.instructions
        );
        for row in 0..2 {
            let a: Vec<String> = (row * 4..row * 4 + 4)
                .map(|i| format!("A{i} {:08o}", cpu.a[i]))
                .collect();
            outln!("{}", a.join("  "));
        }
        for row in 0..4 {
            let s: Vec<String> = (row * 2..row * 2 + 2)
                .map(|i| format!("S{i} {:022o}", cpu.s[i]))
                .collect();
            outln!("{}", s.join("  "));
        }
        outln!("VL {}  VM {:022o}  flags {:?}", cpu.vl, cpu.vm, cpu.flags);
        Ok(())
    }
}

/// Where the instruction that holds `parcel` of `process`'s code starts, decoding
/// instruction by instruction from P when `parcel` is at or after it (P is always the
/// start of one), else from the start of the code; `None` beyond the code.
fn instruction_holding(process: &Process, parcel: u32) -> Option<u32> {
    let base = process.cpu.instruction_base.saturating_mul(4);
    let mut at = if process.cpu.p <= parcel {
        process.cpu.p
    } else {
        0
    };
    loop {
        let length = instruction_length(process.memory.parcel(base.checked_add(at)?)?);
        if at + length > parcel {
            return Some(at);
        }
        at += length;
    }
}

/// The word address of `x`: decimal, octal with a leading 0 (as `x` prints them) or
/// hex with 0x; a parcel address (`201a`) is refused, since `x` shows data words.
fn word_address(text: Option<&str>) -> Result<u32, String> {
    let text = text.ok_or("x ADDRESS [COUNT]")?;
    if text.ends_with(['a', 'b', 'c', 'd']) && !text.starts_with("0x") {
        return Err(format!(
            "`{text}` is a parcel address; x takes a word address (octal with a leading 0, or decimal)"
        ));
    }
    crate::parse_number(text)
}

/// `count` instructions of `process` from parcel address `from`, one per line.
pub(crate) fn disassembly(process: &Process, from: u32, count: usize) -> String {
    let base = process.cpu.instruction_base.saturating_mul(4);
    let parcel = |p: u32| process.memory.parcel(base.checked_add(p)?);
    let mut text = String::new();
    let mut at = from;
    for _ in 0..count {
        let Some(p1) = parcel(at) else {
            text.push_str(&format!("{:>8}  (outside the program)\n", parcel_label(at)));
            break;
        };
        let length = instruction_length(p1);
        let p2 = if length == 2 {
            parcel(at + 1).unwrap_or(0)
        } else {
            0
        };
        let instruction = decode(p1, p2, process.cpu.model);
        let shown = if instruction.op == Op::Undefined {
            "(no instruction)".to_string()
        } else {
            disassemble(instruction, process.cpu.model).unwrap_or_default()
        };
        let code = if length == 2 {
            format!("{p1:06o} {p2:06o}")
        } else {
            format!("{p1:06o}       ")
        };
        text.push_str(&format!("{:>8} {code}  {shown}\n", parcel_label(at)));
        at += length;
    }
    text
}

/// Words in octal, four to a line, each line headed by the address of its first.
fn show_words(words: &[u64], first: u32) {
    for (row, chunk) in words.chunks(4).enumerate() {
        let shown: Vec<String> = chunk.iter().map(|w| format!("{w:022o}")).collect();
        // With a leading 0, so that the address reads back as octal (`x 0200`).
        let address = match first as usize + row * 4 {
            0 => "0".to_string(),
            address => format!("0{address:o}"),
        };
        outln!("{address:>8}: {}", shown.join(" "));
    }
}

/// What `help` prints.
const HELP: &str = "\
s|step [N]          run N instructions (default 1; fewer at a breakpoint) and show the next
c|continue          run to a breakpoint of the process shown, or to the end
                    (Ctrl-C stops either and asks for the next command)
b|break [PARCEL]    stop when the process shown reaches PARCEL (the first parcel of an
                    instruction); alone, list them
d|delete PARCEL     remove a breakpoint
r|regs              P, A, S, VL, VM and flags of the process shown
v I                 V register I (VL elements)
x ADDRESS [COUNT]   COUNT words of memory from data address ADDRESS (default 4)
dis [PARCEL] [N]    N instructions from PARCEL (default: 8 from P)
ps                  the processes of the job (* the one shown)
pid N               show process N
chkpnt FILE         checkpoint the job to FILE (cray restart -f FILE continues it)
q|quit              leave (the job is dropped)
PARCEL is a parcel address as shown (201a: octal word 0201, parcel a), octal with a
leading 0 (01004), or decimal (516); ADDRESS and N are octal with a leading 0, or decimal.";
