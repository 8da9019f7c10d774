//! F$ requests: EX with S0 = request code (`COS.md` §2), served for processes of
//! personality COS.
//!
//! Results: S0 = status (0 = done) unless the request says otherwise. Requests that
//! store data take the word address in S1. Served:
//!
//! | code | request | what the emulator does |
//! |---|---|---|
//! | 000 | F$ADV | flushes the datasets, ends the job with exit status 0; enters the reprieve handler instead when the job's reprieve takes normal termination (module `cos::reprieve`) |
//! | 001 | F$ABT | flushes the datasets, ends the job with exit status 1; enters the reprieve handler instead when the job's reprieve takes aborts |
//! | 002 | F$DAT | `mm/dd/yy` at S1 (epoch + machine clock) |
//! | 003 | F$TIM | `hh:mm:ss` at S1 |
//! | 004 | F$MSG | the NUL-terminated line at S1 (≤ 80 characters) to stderr and the job log |
//! | 005 | F$RCL | nothing to wait for: all I/O completes inside the request, so the busy bit every caller loops on (DPBIO bit 0) is already clear, which is what F$RCL waits for on COS |
//! | 006 | F$TRM | as F$ADV, reprieve included |
//! | 010 | F$OPN | opens the dataset of the ODN at S1: its DSP above JCDSP, its LFT entry (name, DSP) between JCLFT and JCDSP; DSP address into ODN word 1 bits 40–63 |
//! | 011 | F$MEM | S1 = new FL (0: none); grows or shrinks the field (never below the top of the system area); S1 = FL |
//! | 073 | F$MEMORY | S1 = the address of a request word: bit 11 the user area, bit 10 a decrease, bits 40–63 the words; JCHLM moves within the field, up to JCLFT (module `cos::user_area`) |
//! | 012 | F$LBN | S1 = last block number of the dataset at S1 |
//! | 013, 020 | F$CLS, F$RLS | flushes and closes the dataset and clears its LFT entry |
//! | 014 | F$DNT | accepted, nothing stored: local datasets are created when opened, and the DDL's attributes are not read (not yet shown to be observable: see docs/src/cos-jobs.md) |
//! | 016 | F$GNS | the control statement at S1 (10 words, NUL-padded) |
//! | 021 | F$PDM | the PDD at S1: function code in word 0 bits 52–63, status back in bits 40–51 (1 done); the catalogue accesses (the DSC in COS's page layout), the catalogue page request and DMP10's access of a permanent dataset are served, anything else answered with status 07777 (module `cos::pdm`) |
//! | 022, 023 | F$RDC, F$WDC | circular-buffer I/O (module `cos::circular`); with the sign bit of S1, F$RDC reads and F$WDC writes by block number |
//! | 024 | F$GRN | the COS revision word (JCCRL, `COS 1.17`) at S1; one word (uncertain: the request may return more) |
//! | 026 | F$JDA | `   yyddd` at S1 |
//! | 027 | F$JTI | the job's CPU time in clock periods at S1 (an integer; uncertain) |
//! | 030 | F$ACT | for a deck job, its name, user and ownership value in the block at S1 (words 0, 6–7, 045–046: AUDIT's accessors, module `cos::accounting`); nothing else is stored (no accounting is kept), and for any other job the block stays as the program left it |
//! | 034 | F$BIO | buffered I/O (module `cos::bio`) |
//! | 037 | F$NRN | marks the job not rerunnable (module `cos::rollout`) |
//! | 040 | F$RRN | marks the job rerunnable again |
//! | 041 | F$IOA | the I/O-area lock: bit 63 of the word at S1 wanted; JCB word 0104 keeps it in JCIOAC (bit 4) and the state before in JCIOAP (bit 5) (module `cos::io_area`) |
//! | 042 | F$LFT | accepted: S1 = a user LFT entry (name; DSP pointer in bits 40–63), S2 = 0 delete, 1 change, 2 create (as the library's `$ALF` uses it). The library keeps those entries itself; datasets are found by name or DSP |
//! | 045 | F$RPV | reprieve processing (module `cos::reprieve`): S2 = 0, S1 = the block (handler parcel, save area, mask; S1 = 0 turns it off); a reprieved event (hardware error, F$ABT, F$ADV/F$TRM) saves the exchange package and the event's class in the save area and enters the handler; S2 = 1 continues from the saved package |
//! | 054 | F$UROLL | a checkpoint of the job into its checkpoint directory: S1 = 0 going on, 1 restarted; S0 = 1 when there is none (module `cos::rollout`) |
//! | 056 | F$SYM | S2 = 0, S1 = a block: the deck's JCL symbol named in word 1 (ASCII, left-justified) is written to the result word whose address word 3 bits 40–63 hold; a symbol the job never set, or a job without a deck, leaves the word as it was, which the library's one caller takes as no value when zero; another S2: done, nothing stored (module `cos::symbols`) |
//! | 063 | F$POS | rewinds the dataset at S1 |
//! | 066 | F$TDT | S1 = a COS timestamp; S1 = its date `mm/dd/yy`, S2 = its time `hh:mm:ss`, S3 = the timestamp units past the second (module `cos::clock`) |
//! | 067 | F$DTT | S1 = the COS timestamp (units of 1.024 ns since 1973-01-01) of the ASCII date `mm/dd/yy` in S1 and time `hh:mm:ss` in S2; S0 = 1, S1 = -1 for a bad one (module `cos::clock`) |
//! | 070, 071 | F$MTT, F$TMT | S1 = the timestamp of the real-time clock value in S1 (clock periods since the epoch), or the other way; S0 = 1, S1 = -1 when the result does not fit a word |
//! | 074 | F$PRV | function 2 (S2): the privilege mask of an ordinary user, four zero words at S1 (module `cos::security`); other functions are not served |
//! | 075 | F$DSD | done, nothing to set: no security levels are kept (module `cos::security`) |
//! | 0111 | (event recall; the library's ERECALL) | S1 = a two-word block: function in word 0 bits 0–6 (1 DISABLE, 2 ENABLE, 3 RECALL, 4 RETURN), classes in word 1 bits 16–39; done with no event pending (word 1 bits 40–63 zero), as nothing here raises one; status 3 for another function, 4 for an unknown class (module `cos::events`) |
//! | 0113 | (inter-job communication, RECIO's IJCALL) | refused, no job here takes part: status 1 in block word 2 and in S0 (module `cos::ijc`) |
//! | 0120 | F$OPMSG | a message to the operator: refused, there is no operator; completion status 1 in block word 5 bits 48–63 and in S0 (module `cos::operator`) |
//!
//! Any other code ends the job with a message naming the code (octal), its name and
//! P, and exit status "killed by SIGSYS" (host code 140): among them F$PRV
//! functions other than 2 and F$ENC (password encryption, whose one-way function is
//! not known here), and codes 017 and 0122, whose formats are not known here. A
//! request whose addresses
//! fall outside the field ends the job the same way with SIGSEGV.
//!
//! `System::trace_requests` (`cray run --trace-requests`) prints each request, its
//! S1 (with the word there when it reads as a name), S2, P and the reply on stderr.

use super::bits::field;
use super::clock;
use super::reprieve::{Class, RpvReply};
use crate::cos::System;
use crate::system::signals::{self, SIGSEGV, SIGSYS};
use crate::system::{Event, ExitStatus, Pid, ProcessState, WaitOn};

/// Names of the request codes 0–0103 (`systxt.cal`); "" for codes without one.
pub const REQUEST_NAMES: [&str; 0o104] = [
    "F$ADV", "F$ABT", "F$DAT", "F$TIM", "F$MSG", "F$RCL", "F$TRM", "F$SSW", // 000
    "F$OPN", "F$MEM", "F$LBN", "F$CLS", "F$DNT", "F$MDE", "F$GNS", "", // 010
    "F$RLS", "F$PDM", "F$RDC", "F$WDC", "F$GRN", "F$DIS", "F$JDA", "F$JTI", // 020
    "F$ACT", "F$SPS", "F$CSW", "F$TSW", "F$BIO", "F$DLY", "F$AQR", "F$NRN", // 030
    "F$RRN", "F$IOA", "F$LFT", "F$INV", "F$DJA", "F$RPV", "F$BGN", "F$RCS", // 040
    "F$PRC", "F$RTN", "F$LIB", "F$INS", "F$UROLL", "F$ASD", "F$SYM", "F$CSB", // 050
    "F$ISB", "F$EKO", "F$OPT", "F$POS", "F$SPM", "F$FCH", "F$TDT", "F$DTT", // 060
    "F$MTT", "F$TMT", "F$SPY", "F$MEMORY", "F$PRV", "F$DSD", "F$ENC", "F$TASK", // 070
    "F$CRASH", "F$SYNCH", "F$TPOS", "F$TBL", // 0100
];

/// The name of request `code`, or "unnamed" for codes whose name is not known: the
/// names of `systxt.cal`, and F$OPMSG (0120), named in GENCAT's own message PD695
/// (module `cos::operator`).
pub fn request_name(code: u64) -> &'static str {
    match REQUEST_NAMES.get(code as usize) {
        Some(name) if !name.is_empty() => name,
        _ if code == code::F_OPMSG => "F$OPMSG",
        _ => "unnamed",
    }
}

/// Request codes.
pub mod code {
    /// Advance (normal end of job step).
    pub const F_ADV: u64 = 0;
    /// Abort.
    pub const F_ABT: u64 = 1;
    /// Date.
    pub const F_DAT: u64 = 2;
    /// Time.
    pub const F_TIM: u64 = 3;
    /// Log message.
    pub const F_MSG: u64 = 4;
    /// Recall.
    pub const F_RCL: u64 = 5;
    /// Terminate job.
    pub const F_TRM: u64 = 6;
    /// Open dataset.
    pub const F_OPN: u64 = 0o10;
    /// Request memory.
    pub const F_MEM: u64 = 0o11;
    /// Last block number.
    pub const F_LBN: u64 = 0o12;
    /// Close.
    pub const F_CLS: u64 = 0o13;
    /// Create local dataset.
    pub const F_DNT: u64 = 0o14;
    /// Get next control statement.
    pub const F_GNS: u64 = 0o16;
    /// Release dataset.
    pub const F_RLS: u64 = 0o20;
    /// Permanent-dataset management.
    pub const F_PDM: u64 = 0o21;
    /// Read circular.
    pub const F_RDC: u64 = 0o22;
    /// Write circular.
    pub const F_WDC: u64 = 0o23;
    /// System revision numbers.
    pub const F_GRN: u64 = 0o24;
    /// Julian date.
    pub const F_JDA: u64 = 0o26;
    /// Job time.
    pub const F_JTI: u64 = 0o27;
    /// Accounting information.
    pub const F_ACT: u64 = 0o30;
    /// Buffered I/O.
    pub const F_BIO: u64 = 0o34;
    /// Not rerunnable.
    pub const F_NRN: u64 = 0o37;
    /// Rerunnable.
    pub const F_RRN: u64 = 0o40;
    /// I/O-area lock.
    pub const F_IOA: u64 = 0o41;
    /// Create, change or delete a user LFT entry.
    pub const F_LFT: u64 = 0o42;
    /// Dump job area.
    pub const F_DJA: u64 = 0o44;
    /// Reprieve (set up an error handler).
    pub const F_RPV: u64 = 0o45;
    /// User-requested rollout.
    pub const F_UROLL: u64 = 0o54;
    /// JCL symbols.
    pub const F_SYM: u64 = 0o56;
    /// Position.
    pub const F_POS: u64 = 0o63;
    /// Timestamp to date and time.
    pub const F_TDT: u64 = 0o66;
    /// Date and time to timestamp.
    pub const F_DTT: u64 = 0o67;
    /// Machine time (real-time clock) to timestamp.
    pub const F_MTT: u64 = 0o70;
    /// Timestamp to machine time.
    pub const F_TMT: u64 = 0o71;
    /// Memory (new form).
    pub const F_MEMORY: u64 = 0o73;
    /// Process user security requests.
    pub const F_PRV: u64 = 0o74;
    /// Define secure dataset.
    pub const F_DSD: u64 = 0o75;
    /// Event recall (the library's ERECALL; the F$ name is not known).
    pub const F_EVENT_RECALL: u64 = 0o111;
    /// Inter-job communication (RECIO's IJCALL; the F$ name is not known).
    pub const F_IJC: u64 = 0o113;
    /// Message to the operator.
    pub const F_OPMSG: u64 = 0o120;
}

/// What serving a request did.
pub(crate) enum Reply {
    /// S0 = status; other registers as the handler left them.
    Status(u64),
    /// S0 = 0, S1 = value.
    Value(u64),
    /// The job ends with this status, after this message on stderr (if any).
    End(ExitStatus, Option<String>),
    /// Not done: the job waits for terminal input, then makes the request again
    /// (module `cos::terminal`).
    WaitForTerminal,
    /// The job is to be rolled out (module `cos::rollout`): the runner checkpoints it.
    Rollout,
    /// The job entered its reprieve handler or continued from it (module
    /// `cos::reprieve`): its registers are set already.
    Reprieved,
    /// Done (S0 = 0), and the job's rerun mark changed (F$NRN, F$RRN; module
    /// `cos::rollout`): the runner hears of it before the job goes on.
    RerunMark,
}

/// Length of the F$GNS statement image in words (80 characters).
pub const STATEMENT_WORDS: u64 = 10;

impl System {
    /// Serves the F$ request `pid` just made with EX at parcel `at`.
    pub(crate) fn cos_request(&mut self, pid: Pid, at: u32) -> Option<Event> {
        let (request, s1, s2) = {
            let process = self.processes.get(&pid)?;
            (process.cpu.s[0], process.cpu.s[1], process.cpu.s[2])
        };
        use code::*;
        let reply = match request {
            F_ADV | F_TRM if self.cos_reprieve(pid, Class::NormalEnd) => Reply::Reprieved,
            F_ABT if self.cos_reprieve(pid, Class::Abort) => Reply::Reprieved,
            F_ADV | F_TRM => self.cos_end(pid, ExitStatus::Exited(0)),
            F_ABT => self.cos_end(pid, ExitStatus::Exited(1)),
            F_DAT => self.store_text(pid, s1, &clock::date_text(self.time())),
            F_TIM => self.store_text(pid, s1, &clock::time_text(self.time())),
            F_JDA => self.store_text(pid, s1, &clock::julian_text(self.time())),
            F_JTI => {
                let cycles = self.processes[&pid].cpu.cycles;
                self.store_words(pid, s1, &[cycles])
            }
            F_MSG => self.cos_message(pid, s1),
            F_RCL | F_LFT => Reply::Status(0),
            F_SYM => self.cos_symbol(pid, s1, s2),
            F_DNT => self.cos_dataset_definition(pid, s1),
            F_ACT => self.cos_accounting(pid, s1),
            F_IOA => self.cos_io_area(pid, s1),
            F_GNS => {
                let statement = self.processes[&pid]
                    .cos
                    .as_ref()
                    .map_or(String::new(), |j| j.control_statement.clone());
                let mut bytes = statement.into_bytes();
                bytes.resize((STATEMENT_WORDS * 8) as usize, 0);
                let words: Vec<u64> = bytes
                    .chunks(8)
                    .map(|c| u64::from_be_bytes(c.try_into().unwrap_or([0; 8])))
                    .collect();
                self.store_words(pid, s1, &words)
            }
            F_MEM => self.cos_memory(pid, s1),
            F_MEMORY => self.cos_memory_request(pid, s1),
            F_GRN => {
                // The revision the JCB announces (JCCRL), so the two always agree.
                let revision = self
                    .cos_read(pid, super::jcb::JCCRL as u64, 1)
                    .map_or(0, |w| w[0]);
                self.store_words(pid, s1, &[revision])
            }
            F_RPV => match self.cos_reprieve_request(pid, s1, s2) {
                RpvReply::Status(status) => Reply::Status(status),
                RpvReply::Continued => Reply::Reprieved,
                RpvReply::BadAddress(address) => Self::bad_address("F$RPV", address),
            },
            F_NRN | F_RRN => {
                self.cos_set_rerun(pid, request == F_RRN);
                Reply::RerunMark
            }
            F_UROLL => Reply::Rollout,
            F_OPN => self.cos_open(pid, s1),
            F_CLS => self.cos_close(pid, s1),
            F_RLS => self.cos_release(pid, s1),
            F_LBN => self.cos_last_block(pid, s1),
            F_POS => self.cos_rewind(pid, s1),
            F_BIO => self.cos_bio(pid, s1),
            F_DSD => self.cos_define_secure_dataset(pid, s1, s2),
            F_PDM => self.cos_pdm(pid, s1),
            F_PRV if s2 == super::security::PRV_MASK => self.cos_privileges(pid, s1),
            F_DTT => self.cos_date_time_to_timestamp(pid, s1, s2),
            F_TDT => self.cos_timestamp_to_date_time(pid, s1),
            F_MTT | F_TMT => self.cos_machine_time(pid, request == F_MTT, s1),
            F_EVENT_RECALL => self.cos_event_recall(pid, s1),
            F_IJC => self.cos_inter_job(pid, s1),
            F_OPMSG => self.cos_operator_message(pid, s1),
            F_DJA => self.cos_dump_job_area(pid, s1),
            F_RDC if s1 >> 63 == 1 => self.cos_read_by_block(pid, s1),
            F_RDC => self.cos_read_circular(pid, s1),
            F_WDC if s1 >> 63 == 1 => self.cos_write_by_block(pid, s1),
            F_WDC => self.cos_write_circular(pid, s1),
            _ => {
                // The job ends anyway; its message names the request, not the flush.
                let _ = self.cos_flush_all(pid);
                Reply::End(
                    ExitStatus::Signaled(SIGSYS),
                    Some(format!(
                        "request {request:o} ({}) at P={at:o} is not served by this COS",
                        request_name(request)
                    )),
                )
            }
        };
        if self.trace_requests {
            let result = match &reply {
                Reply::Status(status) => format!("S0={status:o}"),
                Reply::RerunMark => "S0=0".to_string(),
                Reply::Value(value) => format!("S0=0 S1={value:o}"),
                Reply::End(status, _) => format!("ends: {status:?}"),
                Reply::WaitForTerminal => "waits for terminal input".to_string(),
                Reply::Rollout => "rolls the job out".to_string(),
                Reply::Reprieved => format!("reprieve: P={:o}", self.processes[&pid].cpu.p),
            };
            // The word at S1 as text when it reads as a name (ODN, DSP, DDL, message).
            let text = self
                .cos_read(pid, s1 & 0xFF_FFFF, 1)
                .map(|w| w[0].to_be_bytes())
                .filter(|b| {
                    b[0].is_ascii_graphic()
                        && b.iter()
                            .all(|&c| c == 0 || c.is_ascii_graphic() || c == b' ')
                })
                .map_or(String::new(), |b| {
                    let name: String = b
                        .iter()
                        .take_while(|&&c| c != 0)
                        .map(|&c| char::from(c))
                        .collect();
                    format!(" ({name:?})")
                });
            let line = format!(
                "cray: F$ {request:03o} {:<8} S1={s1:o}{text} S2={s2:o} P={at:o}: {result}\n",
                request_name(request)
            );
            self.console_mut().message(line.as_bytes());
        }
        let process = self.processes.get_mut(&pid)?;
        match reply {
            Reply::Status(status) => process.cpu.s[0] = status,
            Reply::Value(value) => {
                process.cpu.s[0] = 0;
                process.cpu.s[1] = value;
            }
            Reply::End(status, message) => {
                if let Some(message) = message {
                    let program = process.program.clone();
                    let text = match status {
                        ExitStatus::Signaled(signal) => format!(
                            "cray: pid {pid} ({program}): {message}; killed with {} ({signal})\n",
                            signals::name(signal)
                        ),
                        ExitStatus::Exited(_) => format!("cray: pid {pid}: {message}\n"),
                    };
                    self.console_mut().message(text.as_bytes());
                }
                // A deck job's step ends, and the deck goes on.
                if !self.cos_step_ended(pid, status) {
                    self.terminate(pid, status);
                }
            }
            Reply::WaitForTerminal => {
                process.cpu.p = at;
                process.state = ProcessState::Blocked(WaitOn::Terminal);
                return Some(Event::InputWanted { pid });
            }
            Reply::Rollout => return self.cos_rollout(pid),
            Reply::RerunMark => {
                process.cpu.s[0] = 0;
                return Some(Event::RerunMarkChanged {
                    pid,
                    jid: process.jid,
                });
            }
            Reply::Reprieved => {}
        }
        None
    }

    /// F$ADV/F$ABT/F$TRM: the job's datasets are flushed, then it ends.
    fn cos_end(&mut self, pid: Pid, status: ExitStatus) -> Reply {
        match self.cos_flush_all(pid) {
            Ok(()) => Reply::End(status, None),
            Err(message) => Reply::End(status, Some(message)),
        }
    }

    /// A request addressed memory outside the field.
    pub(crate) fn bad_address(what: &str, address: u64) -> Reply {
        Reply::End(
            ExitStatus::Signaled(SIGSEGV),
            Some(format!("{what}: address {address:o} is outside the field")),
        )
    }

    /// Reads `count` words at `address` of `pid`'s field.
    pub(crate) fn cos_read(&self, pid: Pid, address: u64, count: u64) -> Option<Vec<u64>> {
        let memory = &self.processes.get(&pid)?.memory;
        let end = address.checked_add(count)?;
        if end > memory.len() as u64 {
            return None;
        }
        Some(memory.words()[address as usize..end as usize].to_vec())
    }

    /// Writes `words` at `address` of `pid`'s field; false if they do not fit.
    pub(crate) fn cos_write(&mut self, pid: Pid, address: u64, words: &[u64]) -> bool {
        let Some(process) = self.processes.get_mut(&pid) else {
            return false;
        };
        let end = address.saturating_add(words.len() as u64);
        if end > process.memory.len() as u64 {
            return false;
        }
        match process.memory.words_mut_in(address as usize..end as usize) {
            Some(field) => {
                field.copy_from_slice(words);
                true
            }
            None => false,
        }
    }

    fn store_words(&mut self, pid: Pid, address: u64, words: &[u64]) -> Reply {
        let what = request_name(self.processes[&pid].cpu.s[0]);
        self.store_and_answer(pid, what, address & 0xFF_FFFF, words, Reply::Status(0))
    }

    /// Writes `words` at `address` of `pid`'s field and answers `reply`; an address
    /// outside the field ends the job as a bad address of request `what`.
    pub(crate) fn store_and_answer(
        &mut self,
        pid: Pid,
        what: &str,
        address: u64,
        words: &[u64],
        reply: Reply,
    ) -> Reply {
        if self.cos_write(pid, address, words) {
            reply
        } else {
            Self::bad_address(what, address)
        }
    }

    fn store_text(&mut self, pid: Pid, address: u64, text: &str) -> Reply {
        self.store_words(pid, address, &[super::bits::ascii_word(text)])
    }

    /// F$MSG: the NUL-terminated message at S1 (at most 80 characters; longer
    /// messages are cut) to stderr and the job log.
    fn cos_message(&mut self, pid: Pid, s1: u64) -> Reply {
        let address = s1 & 0xFF_FFFF;
        let mut bytes = Vec::new();
        'words: for i in 0..10 {
            let Some(word) = self.cos_read(pid, address + i, 1) else {
                if i == 0 {
                    return Self::bad_address("F$MSG", address);
                }
                break;
            };
            for b in word[0].to_be_bytes() {
                if b == 0 {
                    break 'words;
                }
                bytes.push(b);
            }
        }
        let line: String = bytes
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    char::from(b)
                } else {
                    '?'
                }
            })
            .collect();
        self.job_log(line.trim_end().to_string());
        Reply::Status(0)
    }

    /// F$MEM/F$MEMORY: S1 = the field length wanted (0 = just tell), rounded up to
    /// the field granule. The field grows when memory allows (S0 = 1 and the field
    /// unchanged when not) and shrinks, but never below the top of the system area
    /// (the LFT, DSPs and buffers the loader put at the top of the first field): a
    /// smaller request gets that floor. S1 = the new FL, also stored in JCFL.
    fn cos_memory(&mut self, pid: Pid, s1: u64) -> Reply {
        let wanted = s1 & 0xFF_FFFF;
        let in_use = self.memory_in_use();
        let limit = self.config.memory_words;
        let Some(process) = self.processes.get_mut(&pid) else {
            return Reply::Status(1);
        };
        let fl = process.memory.len() as u64;
        if wanted == 0 {
            return Reply::Value(fl);
        }
        let granule = super::loader::FIELD_GRANULE;
        let floor = process.cos.as_ref().map_or(fl, |job| system_area_top(job));
        let new_fl = (wanted.div_ceil(granule) * granule).max(floor.div_ceil(granule) * granule);
        if new_fl > fl && (in_use - fl + new_fl > limit || new_fl >= 1 << 24) {
            process.cpu.s[1] = fl;
            return Reply::Status(1);
        }
        if new_fl != fl {
            process.set_field(new_fl as u32);
            let jcb = super::jcb::JCHLM as u32;
            if let Some(word) = process.memory.read(jcb) {
                let updated = super::bits::with_field(word, 40, 63, new_fl);
                process.memory.write(jcb, updated);
            }
        }
        Reply::Value(new_fl)
    }
}

/// One past the last word of the system area of `job` (its last dataset buffer).
fn system_area_top(job: &super::job::CosJob) -> u64 {
    u64::from(job.buffer_address(job.slots()))
}

/// The dataset name in an ODN or DSP word 0: ASCII, left-justified, NUL- or
/// blank-padded.
pub fn dataset_name(word: u64) -> String {
    word.to_be_bytes()
        .iter()
        .take_while(|&&b| b != 0 && b != b' ')
        .map(|&b| char::from(b))
        .collect()
}

/// Bits 40–63 of a word: an address field.
pub fn address_field(word: u64) -> u64 {
    field(word, 40, 63)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Makes request `code` with S1 = `s1` from a fresh job; returns the system,
    /// the pid and S0 after the request.
    fn request(code: u64, s1: u64) -> (tempfile::TempDir, System, Pid, u64) {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
        cpu.s[0] = code;
        cpu.s[1] = s1;
        cpu.s[0o2] = 0;
        system.cos_request(pid, 0o1000);
        // A job the request ended may be gone already (nobody waits for it).
        let s0 = system.processes.get(&pid).map_or(u64::MAX, |p| p.cpu.s[0]);
        (dir, system, pid, s0)
    }

    #[test]
    fn served_requests_answer_and_store() {
        let (_d, system, pid, s0) = request(code::F_GRN, 0o204);
        assert_eq!(s0, 0);
        assert_eq!(
            system.cos_read(pid, 0o204, 1).unwrap()[0],
            crate::cos::bits::ascii_word(crate::cos::jcb::DEFAULT_COS_REVISION)
        );
        let (_d, system, pid, s0) = request(code::F_RPV, 0o1234);
        assert_eq!(s0, 0);
        let job = system.processes[&pid].cos.as_ref().unwrap();
        assert_eq!(job.reprieve, Some(0o1234));
        for code in [code::F_ACT, code::F_LFT] {
            let (_d, system, pid, s0) = request(code, 0o204);
            assert_eq!(s0, 0, "{}", request_name(code));
            assert!(system.processes[&pid].is_alive(), "{}", request_name(code));
        }
    }

    /// The requests that COS answers here without a change the program could see
    /// (module notes, docs/src/cos-jobs.md): S0 = 0, the job goes on, and neither the
    /// block at S1 nor anything else in the field changes.
    #[test]
    fn requests_without_a_change_of_state_leave_the_field_alone() {
        for code in [
            code::F_RCL,
            code::F_DNT,
            code::F_SYM,
            code::F_LFT,
            code::F_ACT,
        ] {
            let dir = tempfile::tempdir().unwrap();
            let (mut system, pid) = crate::cos::loader::test_job(dir.path());
            let block: Vec<u64> = (0..0o110).map(|i| 0o7070 + i).collect();
            assert!(system.cos_write(pid, 0o300, &block));
            let before = system.processes[&pid].memory.words().to_vec();
            let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
            cpu.s[0] = code;
            cpu.s[1] = 0o300;
            cpu.s[2] = 1;
            system.cos_request(pid, 0o1000);
            let process = &system.processes[&pid];
            assert!(process.is_alive(), "{}", request_name(code));
            assert_eq!(process.cpu.s[0], 0, "{}", request_name(code));
            assert!(
                process.memory.words() == before.as_slice(),
                "{} changed the field",
                request_name(code)
            );
        }
    }

    /// F$MEM: the field grows, shrinks back, and never goes below the top of the
    /// system area; JCFL follows.
    #[test]
    fn memory_grows_and_shrinks_but_not_below_the_system_area() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        let first = system.processes[&pid].memory.len() as u64;
        let ask = |system: &mut System, words: u64| {
            let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
            cpu.s[0] = code::F_MEM;
            cpu.s[1] = words;
            system.cos_request(pid, 0o1000);
            let process = &system.processes[&pid];
            let jcfl = field(
                process
                    .memory
                    .read(super::super::jcb::JCHLM as u32)
                    .unwrap(),
                40,
                63,
            );
            assert_eq!(jcfl, process.memory.len() as u64, "JCFL");
            (
                process.cpu.s[0],
                process.cpu.s[1],
                process.memory.len() as u64,
            )
        };
        let grown = first + 0o10000;
        assert_eq!(ask(&mut system, grown - 5), (0, grown, grown));
        assert_eq!(ask(&mut system, 0), (0, grown, grown));
        assert_eq!(
            ask(&mut system, first + 0o1000),
            (0, first + 0o1000, first + 0o1000)
        );
        assert_eq!(ask(&mut system, 0o200), (0, first, first));
    }

    #[test]
    fn unserved_requests_end_the_job_with_sigsys() {
        // F$PRV (a function other than 2), F$ENC: security.
        for code in [0o74, 0o76] {
            let (_d, system, _, _) = request(code, 0o204);
            assert_eq!(
                system.leader_status,
                Some(ExitStatus::Signaled(SIGSYS)),
                "{}",
                request_name(code)
            );
        }
    }

    #[test]
    fn names() {
        assert_eq!(request_name(0), "F$ADV");
        assert_eq!(request_name(0o34), "F$BIO");
        assert_eq!(request_name(0o73), "F$MEMORY");
        assert_eq!(request_name(0o103), "F$TBL");
        assert_eq!(request_name(0o17), "unnamed");
        assert_eq!(request_name(0o122), "unnamed");
        assert_eq!(request_name(0o111), "unnamed");
        assert_eq!(request_name(0o120), "F$OPMSG");
        assert_eq!(dataset_name(u64::from_be_bytes(*b"$IN\0\0\0\0\0")), "$IN");
    }
}
