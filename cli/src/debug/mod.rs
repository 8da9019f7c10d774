//! `cray debug`: runs a program under a command loop that steps it an instruction at a
//! time, forward and backward, stops it at parcel addresses (with conditions) and at
//! changes of watched words and registers, shows every register, memory and the
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
//! does; with breakpoints or watchpoints set, the emulator's run loop checks them
//! after every instruction ([`stops`]) and ends the batch at a stop.
//!
//! Going backward (`reverse-step`, `reverse-continue`, `goto`) restores a snapshot
//! of the [`history`] and runs forward again, silently, to the point asked for.

mod history;
mod stops;
mod symbols;
mod travel;
mod watch;

use crate::dis::{parcel_label, parse_parcel};
use crate::output::{out, outln};
use crate::session::Session;
use crate::CliError;
use cray_emulator::isa::{decode, disassemble, instruction_length, Op};
use cray_emulator::system::{Console, Pid};
use cray_emulator::Process;
use history::History;
use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;
use symbols::Symbols;
use watch::{Condition, Watched};

/// Instructions `dis` shows when not told.
const DIS_LINES: usize = 8;

/// A watchpoint and what it last saw.
struct Watchpoint {
    /// The process whose memory or register it watches (the one shown when set).
    pid: Pid,
    watched: Watched,
    /// The values after the last instruction checked.
    last: Vec<u64>,
    /// P of the process after the last instruction checked: the instruction that
    /// makes the next change.
    last_p: u32,
}

/// The command loop's state.
struct Debugger {
    session: Session,
    started: Instant,
    /// The process shown and stopped at breakpoints (the job's leader at first).
    pid: Pid,
    /// Breakpoints by parcel address, each with the condition it stops on (if any).
    breakpoints: BTreeMap<u32, Option<Condition>>,
    watchpoints: Vec<Watchpoint>,
    /// Set once the job has ended (or the runner stopped it).
    ended: bool,
    /// Set when the runner stopped the job (a host signal, `--stop-at`): the
    /// debugger leaves.
    stopped: bool,
    /// Set by SIGINT (Ctrl-C): `continue` and `step` stop and the loop asks again.
    interrupted: Arc<AtomicBool>,
    /// Snapshots of the job to go back to.
    history: History,
    /// The console the job writes to, while re-execution writes to a discarded one.
    console: Console,
    /// The loader's symbols (`--map`).
    symbols: Symbols,
    /// The furthest the job has run: instruction count and clock period. Going there
    /// again is silent; past it, the job's output is new.
    frontier: (u64, u64),
    /// The job's restarts (restart(2)) seen: after one, the history begins anew.
    restarts_seen: u64,
    /// The clock period of the restart that began the history, if one did.
    restarted_at: Option<u64>,
    /// The exit status of the job's end, once it ended (it may end again, going
    /// forward after going back).
    exit_code: Option<i32>,
}

/// Runs the command loop on `session` until `quit` or the end of the commands; with
/// `map`, the symbols of the loader's map file.
pub fn run(mut session: Session, map: Option<&Path>) -> Result<(), CliError> {
    let pid = session.system.leader.unwrap_or(1);
    let interrupted = Arc::new(AtomicBool::new(false));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&interrupted));
    let symbols = match map {
        Some(file) => Symbols::read(file)?,
        None => Symbols::default(),
    };
    let console = session.system.console().clone();
    // The job's host file operations are journaled: re-executing its past (going
    // back and forth) is answered from the journal, and writes each file once.
    let root = session.system.root().journaled();
    session.system.attach(root, console.clone());
    let frontier = (session.system.instructions, session.system.clock);
    let mut debugger = Debugger {
        session,
        started: Instant::now(),
        pid,
        breakpoints: BTreeMap::new(),
        watchpoints: Vec::new(),
        ended: false,
        stopped: false,
        interrupted,
        history: History::default(),
        console,
        symbols,
        frontier,
        restarts_seen: 0,
        restarted_at: None,
        exit_code: None,
    };
    debugger.restarts_seen = debugger.session.restarts().count;
    debugger.history.maybe_take(&mut debugger.session.system);
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
        if debugger.stopped {
            return Ok(());
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

/// The number at `arguments[at]`, if given.
fn number(arguments: &[&str], at: usize) -> Result<Option<u32>, String> {
    arguments
        .get(at)
        .map(|text| crate::parse_number(text))
        .transpose()
}

/// A count of instructions at `arguments[at]` (default 1).
fn count(arguments: &[&str], at: usize) -> Result<u64, String> {
    Ok(number(arguments, at)?.map_or(1, u64::from))
}

impl Debugger {
    /// Performs one command; false to quit.
    fn command(&mut self, command: &str, arguments: &[&str]) -> Result<bool, String> {
        match command {
            "s" | "step" => self.step(count(arguments, 0)?)?,
            "c" | "continue" => self.forward(None)?,
            "rs" | "reverse-step" => self.reverse_step(count(arguments, 0)?)?,
            "rc" | "reverse-continue" => self.reverse_continue()?,
            "goto" => self.goto(arguments)?,
            "when" => self.when(),
            "snapshots" => self.snapshots(arguments)?,
            "b" | "break" => self.set_breakpoint(arguments)?,
            "d" | "delete" => self.delete(arguments)?,
            "watch" => self.watch(arguments)?,
            "r" | "regs" => self.show_registers()?,
            "where" => self.show_next(),
            "v" => self.show_vector(arguments)?,
            "x" => self.show_memory(arguments)?,
            "dis" => self.show_disassembly(arguments)?,
            "ps" => self.show_processes(),
            "pid" => self.switch_process(arguments)?,
            "chkpnt" => self.checkpoint(arguments)?,
            "h" | "help" => outln!("{HELP}"),
            "q" | "quit" => return Ok(false),
            other => return Err(format!("unknown command {other:?} (help lists them)")),
        }
        Ok(true)
    }

    /// `step N`: N instructions forward, fewer at a stop.
    fn step(&mut self, count: u64) -> Result<(), String> {
        self.forward(Some(count))
    }

    /// Runs forward `count` instructions (to the end when `None`), then shows the next
    /// instruction unless the job ended.
    fn forward(&mut self, count: Option<u64>) -> Result<(), String> {
        if !matches!(self.run_job(count)?, travel::Ran::Ended) {
            self.show_next();
        }
        Ok(())
    }

    /// `break PARCEL [if CONDITION]`, `break SYMBOL`, or alone: list them.
    fn set_breakpoint(&mut self, arguments: &[&str]) -> Result<(), String> {
        let Some(first) = arguments.first() else {
            self.list_stops();
            return Ok(());
        };
        let parcel = self.parcel(first)?;
        let condition = match arguments.get(1) {
            None => None,
            Some(&"if") => Some(Condition::parse(&arguments[2..].join(" "))?),
            Some(other) => {
                return Err(format!(
                    "break {first} {other}: write `break PARCEL if A1 == 5`"
                ))
            }
        };
        self.check_instruction_start(parcel)?;
        match &condition {
            Some(condition) => outln!("breakpoint at {} if {condition}", self.place(parcel)),
            None => outln!("breakpoint at {}", self.place(parcel)),
        }
        self.breakpoints.insert(parcel, condition);
        Ok(())
    }

    /// Says the breakpoints and watchpoints set.
    fn list_stops(&self) {
        let all: Vec<String> = self
            .breakpoints
            .iter()
            .map(|(&p, condition)| match condition {
                Some(c) => format!("{} if {c}", self.place(p)),
                None => self.place(p),
            })
            .collect();
        let shown = if all.is_empty() {
            "none".into()
        } else {
            all.join(", ")
        };
        outln!("breakpoints: {shown}");
        for (index, w) in self.watchpoints.iter().enumerate() {
            outln!("watchpoint {}: {} of pid {}", index + 1, w.watched, w.pid);
        }
    }

    /// `delete PARCEL` (a breakpoint) or `delete watch N`.
    fn delete(&mut self, arguments: &[&str]) -> Result<(), String> {
        if arguments.first() == Some(&"watch") {
            let n = number(arguments, 1)?.ok_or("delete watch N")? as usize;
            if n == 0 || n > self.watchpoints.len() {
                return Err(format!("no watchpoint {n}"));
            }
            self.watchpoints.remove(n - 1);
            return Ok(());
        }
        let parcel = self.parcel(arguments.first().ok_or("delete PARCEL")?)?;
        if self.breakpoints.remove(&parcel).is_none() {
            return Err(format!("no breakpoint at {}", parcel_label(parcel)));
        }
        Ok(())
    }

    /// `watch ADDRESS [COUNT]` or `watch REGISTER` on the process shown.
    fn watch(&mut self, arguments: &[&str]) -> Result<(), String> {
        let watched = Watched::parse(arguments)?;
        let process = self.process()?;
        let last = watched.read(&process.cpu, &process.memory);
        if last.is_empty() {
            return Err(format!("{watched} is outside pid {}'s memory", self.pid));
        }
        let last_p = process.cpu.p;
        outln!(
            "watchpoint {}: {watched} of pid {}",
            self.watchpoints.len() + 1,
            self.pid
        );
        self.watchpoints.push(Watchpoint {
            pid: self.pid,
            watched,
            last,
            last_p,
        });
        Ok(())
    }

    /// `when`: where the job stands in its history.
    fn when(&self) {
        let system = &self.session.system;
        outln!("clock {} instruction {}", system.clock, system.instructions);
    }

    /// `snapshots`, or `snapshots every CLOCKS`: sets the clock periods between two
    /// snapshots taken from now on (fewer: reverse commands cost less, memory more).
    fn snapshots(&mut self, arguments: &[&str]) -> Result<(), String> {
        match arguments {
            [] => self.show_snapshots(),
            ["every", clocks] => {
                let clocks = travel::parse_count(clocks)?;
                if clocks == 0 {
                    return Err("snapshots every CLOCKS: CLOCKS is at least 1".to_string());
                }
                self.history.set_interval(clocks);
                outln!("a snapshot every {clocks} clock periods");
            }
            _ => return Err("snapshots, or snapshots every CLOCKS".to_string()),
        }
        Ok(())
    }

    /// What the history holds and what its pages take.
    fn show_snapshots(&self) {
        let first = self.history.oldest().map_or(0, |s| s.instructions);
        outln!(
            "{} snapshots from instruction {first}, {} KiB of memory pages",
            self.history.count(),
            self.history.page_bytes() / 1024
        );
    }

    /// A parcel address as typed: a symbol of the map, or any form `dis` prints.
    fn parcel(&self, text: &str) -> Result<u32, String> {
        if let Some(parcel) = self.symbols.parcel_of(text) {
            return Ok(parcel);
        }
        let looks_like_a_name = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '@');
        match parse_parcel(text) {
            Err(_) if looks_like_a_name && !self.symbols.is_empty() => {
                Err(format!("no symbol `{text}` in the map"))
            }
            parsed => parsed,
        }
    }

    /// A parcel address as shown: its label, and `SYMBOL+offset` with a map.
    fn place(&self, parcel: u32) -> String {
        match self.symbols.describe(parcel) {
            Some(symbol) => format!("{} ({symbol})", parcel_label(parcel)),
            None => parcel_label(parcel),
        }
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
            let symbol = self
                .symbols
                .describe(process.cpu.p)
                .map_or_else(String::new, |s| format!(" in {s}"));
            out!(
                "pid {} clock {}{symbol}: {}",
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
        for line in crate::registers::register_lines(cpu, &["A", "S", "VL", "VM", "flags"]) {
            outln!("{line}");
        }
        Ok(())
    }

    /// `v I`: V register I, VL elements.
    fn show_vector(&self, arguments: &[&str]) -> Result<(), String> {
        let i = number(arguments, 0)?
            .filter(|&i| i < 8)
            .ok_or("v I, with I in 0..7")?;
        let process = self.process()?;
        let vl = (process.cpu.vl as usize).clamp(1, 64);
        show_words(&process.cpu.v[i as usize][..vl], 0);
        Ok(())
    }

    /// `x ADDRESS [COUNT]`: data words of the process shown.
    fn show_memory(&self, arguments: &[&str]) -> Result<(), String> {
        let address = word_address(arguments.first().copied())?;
        let count = number(arguments, 1)?.unwrap_or(4);
        let process = self.process()?;
        let base = process.cpu.data_base;
        let words: Vec<u64> = (address..address.saturating_add(count))
            .map_while(|a| process.memory.read(base.checked_add(a)?))
            .collect();
        if words.is_empty() {
            return Err(format!("{address:o} is outside pid {}'s memory", self.pid));
        }
        show_words(&words, address);
        Ok(())
    }

    /// `dis [PARCEL] [N]`.
    fn show_disassembly(&self, arguments: &[&str]) -> Result<(), String> {
        let process = self.process()?;
        let from = match arguments.first() {
            Some(text) => self.parcel(text)?,
            None => process.cpu.p,
        };
        let count = number(arguments, 1)?.map_or(DIS_LINES, |n| n as usize);
        if let Some(symbol) = self.symbols.describe(from) {
            outln!("{symbol}:");
        }
        out!("{}", disassembly(process, from, count));
        Ok(())
    }

    /// `ps`: the processes of the job.
    fn show_processes(&self) {
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

    /// `pid N`: show process N.
    fn switch_process(&mut self, arguments: &[&str]) -> Result<(), String> {
        let pid = number(arguments, 0)?.ok_or("pid N")?;
        if !self.session.system.processes.contains_key(&pid) {
            return Err(format!("no process {pid}"));
        }
        self.pid = pid;
        self.show_next();
        Ok(())
    }

    /// `chkpnt FILE`: an image of the job as it stands.
    fn checkpoint(&mut self, arguments: &[&str]) -> Result<(), String> {
        let file = arguments.first().ok_or("chkpnt FILE")?;
        self.session
            .checkpoint_job(Path::new(file))
            .map_err(|e| e.to_string())?;
        outln!(
            "checkpointed the job at clock period {} to {file}",
            self.session.system.clock
        );
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
s|step [N]          run N instructions (default 1; fewer at a stop) and show the next
c|continue          run to a breakpoint or watchpoint stop, or to the end
                    (Ctrl-C stops either and asks for the next command)
rs|reverse-step [N] go back N instructions (default 1; fewer at a stop on the way)
rc|reverse-continue go back to the last breakpoint or watchpoint stop
goto CLOCK          go to the first instruction boundary at or after clock period CLOCK
goto instruction N  go to where the job had run N instructions (back or forward)
when                the clock period and the job's instruction count
snapshots           the snapshots kept to go back to, and the memory they take
b|break [PARCEL]    stop when the process shown reaches PARCEL (the first parcel of an
                    instruction, or a symbol of --map); alone, list breakpoints and
                    watchpoints
b PARCEL if A OP B  stop there only when A OP B holds: OP is == != < > <= >=, A and B
                    registers (A1 S3 B01 T00 VL P), memory words [ADDRESS] or numbers
d|delete PARCEL     remove a breakpoint; delete watch N removes watchpoint N
watch ADDRESS [N]   stop after an instruction changes one of N words from ADDRESS of
                    the process shown (forward, and going back: who wrote it last)
watch REGISTER      stop after an instruction changes a register (watch A1)
r|regs              P, A, S, VL, VM and flags of the process shown
where               the next instruction of the process shown (and its symbol)
v I                 V register I (VL elements)
x ADDRESS [COUNT]   COUNT words of memory from data address ADDRESS (default 4)
dis [PARCEL] [N]    N instructions from PARCEL (default: 8 from P)
ps                  the processes of the job (* the one shown)
pid N               show process N
chkpnt FILE         checkpoint the job to FILE (cray restart -f FILE continues it)
q|quit              leave (the job is dropped)
PARCEL is a parcel address as shown (201a: octal word 0201, parcel a), octal with a
leading 0 (01004), or decimal (516); ADDRESS and N are octal with a leading 0, or decimal;
numbers in conditions also as regs prints them (00000005, 22 octal digits) or -N.";
