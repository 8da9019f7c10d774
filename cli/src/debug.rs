//! `cray debug`: runs a program under a command loop that steps it an instruction at a
//! time, stops it at parcel addresses, and shows every register, memory and the
//! processes of the job, and can checkpoint it at any instruction boundary.
//!
//! Commands come one per line from standard input (so the debugger also runs from a
//! script; on a terminal with line editing and history); the job gets no terminal
//! input. Ctrl-C stops a `step` or `continue` and the loop asks for the next command. Numbers are decimal, or octal with a
//! leading 0, or hex with 0x, as `cray dis --from` takes them. The job runs inside an
//! ordinary session, so its system calls, checkpoints, signals and the control socket
//! work as under `cray run`.

use crate::dis::parcel_label;
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
        match command {
            "s" | "step" => {
                let count = number(0)?.unwrap_or(1);
                self.interrupted.store(false, Ordering::Relaxed);
                for _ in 0..count {
                    if !self.step()? || self.interrupted() {
                        break;
                    }
                }
                self.show_next();
            }
            "c" | "continue" => self.continue_to_breakpoint()?,
            "b" | "break" => match number(0)? {
                Some(parcel) => {
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
                let parcel = number(0)?.ok_or("delete PARCEL")?;
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
                let address = number(0)?.ok_or("x ADDRESS [COUNT]")?;
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
                let from = number(0)?.unwrap_or(process.cpu.p);
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

    /// Runs one instruction of the job (of whichever process the scheduler runs);
    /// false once the job has ended.
    fn step(&mut self) -> Result<bool, String> {
        if self.ended {
            return Err("the job has ended".to_string());
        }
        let before = self.session.system.instructions;
        while self.session.system.instructions == before {
            if !self.advance(1)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Runs the job's session for at most `most` clock periods; false (and said)
    /// once the job has ended or the runner stopped it.
    fn advance(&mut self, most: u64) -> Result<bool, String> {
        let outcome = self
            .session
            .advance(most, self.started)
            .map_err(|e| e.to_string())?;
        let Some(outcome) = outcome else {
            return Ok(true);
        };
        match outcome.status {
            Some(status) => outln!("the job ended with exit status {}", status.host_code()),
            None => outln!("the job was stopped"),
        }
        self.ended = true;
        Ok(false)
    }

    /// Runs until the process shown reaches a breakpoint, or the job ends.
    fn continue_to_breakpoint(&mut self) -> Result<(), String> {
        self.interrupted.store(false, Ordering::Relaxed);
        if self.breakpoints.is_empty() {
            // Nothing to stop at: at full speed, a slice at a time.
            while !self.ended {
                if self.interrupted() {
                    self.show_next();
                    return Ok(());
                }
                self.advance(SLICE)?;
            }
            return Ok(());
        }
        while self.step()? {
            if self.interrupted() {
                self.show_next();
                return Ok(());
            }
            let at = self.process().map(|p| p.cpu.p);
            if let Ok(parcel) = at {
                if self.breakpoints.contains(&parcel) {
                    outln!("breakpoint at {}", parcel_label(parcel));
                    self.show_next();
                    return Ok(());
                }
            }
        }
        Ok(())
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

/// `count` instructions of `process` from parcel address `from`, one per line.
fn disassembly(process: &Process, from: u32, count: usize) -> String {
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
        outln!("{:>8o}: {}", first as usize + row * 4, shown.join(" "));
    }
}

/// What `help` prints.
const HELP: &str = "\
s|step [N]          run N instructions (default 1) and show the next
c|continue          run to a breakpoint of the process shown, or to the end
                    (Ctrl-C stops either and asks for the next command)
b|break [PARCEL]    stop when the process shown reaches PARCEL; alone, list them
d|delete PARCEL     remove a breakpoint
r|regs              P, A, S, VL, VM and flags of the process shown
v I                 V register I (VL elements)
x ADDRESS [COUNT]   COUNT words of memory from data address ADDRESS (default 4)
dis [PARCEL] [N]    N instructions from PARCEL (default: 8 from P)
ps                  the processes of the job (* the one shown)
pid N               show process N
chkpnt FILE         checkpoint the job to FILE (cray restart -f FILE continues it)
q|quit              leave (the job is dropped)";
