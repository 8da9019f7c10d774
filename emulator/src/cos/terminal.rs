//! `$IN` on the terminal and `$OUT`'s prompts: how an interactive COS job talks to
//! the user.
//!
//! An unmapped `$IN` ([`Backing::Terminal`]) reads the kernel's terminal input, the
//! buffer a UNICOS read of fd 0 reads too, one line per record. A read that finds no
//! whole line waits exactly as that UNICOS read does: the request is left undone (P
//! back at its EX), the process is blocked on the terminal, and [`System::run`]
//! returns [`Event::InputWanted`](crate::system::Event::InputWanted); the driver
//! provides input (or the end of it) and the request runs again. So a waiting job
//! still answers `cray ps`, `cray chkpnt` and signals, and what the driver has given
//! and the job has not read yet is kernel state that a checkpoint carries.
//!
//! Before a read of the terminal, the record `$OUT` has begun (partial writes, such as
//! a prompt) is shown without a line end, as a station showed a prompt: the part
//! shown leaves the record, so the rest follows it when the record ends.
//!
//! The lines a job has read are dropped once it reads past them (a terminal cannot be
//! rewound): memory and images stay the size of one line.

use super::dataset::{pack_bytes, unpack_line, DatasetItem};
use super::job::Backing;
use crate::cos::System;
use crate::system::files::TerminalLine;
use crate::system::Pid;

impl System {
    /// Gets dataset `slot` of `pid` ready for a read: when it is on the terminal and
    /// has nothing left to read, the next line becomes its next record (or the end of
    /// input its EOF and EOD). With `to_the_end` every line up to the end of input is
    /// taken (a read of the dataset's whole blocked form, F$RDC). False when the job
    /// must wait for input.
    pub(crate) fn cos_terminal_ready(&mut self, pid: Pid, slot: u32, to_the_end: bool) -> bool {
        match self.open_dataset(pid, slot) {
            Some(dataset) if dataset.backing == Backing::Terminal => {}
            _ => return true,
        }
        self.cos_show_partial_output(pid);
        loop {
            let Some(dataset) = self.open_dataset(pid, slot) else {
                return true;
            };
            let ended = dataset.items.last() == Some(&DatasetItem::EndOfData);
            if ended || (dataset.item < dataset.items.len() && !to_the_end) {
                return true;
            }
            let line = self.files.terminal_line();
            let Some(dataset) = self.open_dataset(pid, slot) else {
                return true;
            };
            match line {
                TerminalLine::Wait => return false,
                TerminalLine::End => {
                    dataset.items.push(DatasetItem::EndOfFile);
                    dataset.items.push(DatasetItem::EndOfData);
                }
                TerminalLine::Line(bytes) => {
                    if !to_the_end && dataset.item == dataset.items.len() {
                        dataset.items.clear();
                        dataset.item = 0;
                        dataset.word = 0;
                    }
                    let (words, unused_bits) = pack_bytes(&bytes);
                    dataset
                        .items
                        .push(DatasetItem::Record { words, unused_bits });
                }
            }
        }
    }

    /// Shows the record `pid`'s `$OUT` (every dataset on the console) has begun, as
    /// it stands, without a line end; the words shown leave the record.
    fn cos_show_partial_output(&mut self, pid: Pid) {
        let (processes, console) = self.processes_and_console();
        let Some(job) = processes.get_mut(&pid).and_then(|p| p.cos.as_mut()) else {
            return;
        };
        let mut failed = None;
        for dataset in job.open.values_mut() {
            if dataset.backing != Backing::Stdout || dataset.pending.is_empty() {
                continue;
            }
            let words = std::mem::take(&mut dataset.pending);
            let text = unpack_line(&words, 0).unwrap_or_default();
            // Words are whole in a record's middle; a library may leave NULs in them.
            let shown: String = text.chars().filter(|&c| c != '\0').collect();
            if let Err(failure) = console.stdout(shown.as_bytes()) {
                failed = Some(failure);
            }
        }
        if let Some(failure) = failed {
            self.host_write_failed(pid, "standard output", &failure, "no error status");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::cos::bio::CWF_EOR;
    use crate::cos::bits::{ascii_word, field, with_field};
    use crate::cos::job::{DPBIO, DPCWF};
    use crate::cos::requests::code;
    use crate::cos::System;
    use crate::system::{Event, ProcessState, WaitOn};

    /// Opens `$IN` in a test job and returns its DSP address.
    fn open_in(system: &mut System, pid: u32) -> u64 {
        let odn = 0o204;
        assert!(system.cos_write(pid, odn, &[ascii_word("$IN"), 0]));
        system.processes.get_mut(&pid).unwrap().cpu.s[1] = odn;
        system.processes.get_mut(&pid).unwrap().cpu.s[0] = code::F_OPN;
        assert!(system.cos_request(pid, 0o200).is_none());
        field(system.cos_read(pid, odn + 1, 1).unwrap()[0], 40, 63)
    }

    /// Asks for a record read of `$IN` into word 0o300 with F$BIO.
    fn read_record(system: &mut System, pid: u32, dsp: u64) -> Option<Event> {
        let mut request = with_field(0, 2, 9, 0o10);
        request = with_field(request, 16, 39, 0o20);
        request = with_field(request, 40, 63, 0o300);
        assert!(system.cos_write(pid, dsp + u64::from(DPBIO), &[request]));
        let process = system.processes.get_mut(&pid).unwrap();
        process.cpu.s[0] = code::F_BIO;
        process.cpu.s[1] = dsp;
        process.cpu.p = 0o211;
        system.cos_request(pid, 0o210)
    }

    #[test]
    fn a_read_of_the_terminal_waits_for_a_whole_line() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        let dsp = open_in(&mut system, pid);
        system.provide_input(b"(PLUS 1");
        assert_eq!(
            read_record(&mut system, pid, dsp),
            Some(Event::InputWanted { pid })
        );
        let process = &system.processes[&pid];
        assert_eq!(process.state, ProcessState::Blocked(WaitOn::Terminal));
        assert_eq!(process.cpu.p, 0o210, "the request runs again");
        system.provide_input(b" 2)\nREST\n");
        assert!(read_record(&mut system, pid, dsp).is_none());
        let record = system.cos_read(pid, 0o300, 2).unwrap();
        assert_eq!(record, vec![ascii_word("(PLUS 1 "), ascii_word("2)")]);
        let bio = system.cos_read(pid, dsp + u64::from(DPBIO), 1).unwrap()[0];
        assert_eq!(field(bio, 16, 39), 2, "words read");
        assert_eq!(field(bio, 10, 15), 48, "UBC");
        let cwf = system.cos_read(pid, dsp + u64::from(DPCWF), 1).unwrap()[0];
        assert_eq!(field(cwf, 0, 3), CWF_EOR);
        let pending = &system.files.terminal.buffer;
        assert_eq!(pending.iter().copied().collect::<Vec<u8>>(), b"REST\n");
    }

    /// Writes `word` to the dataset of `dsp` with F$BIO `function` (040 partial, 050
    /// record).
    fn write_word(system: &mut System, pid: u32, dsp: u64, function: u64, word: u64) {
        assert!(system.cos_write(pid, 0o320, &[word]));
        let mut request = with_field(0, 2, 9, function);
        request = with_field(request, 16, 39, 1);
        request = with_field(request, 40, 63, 0o320);
        assert!(system.cos_write(pid, dsp + u64::from(DPBIO), &[request]));
        let process = system.processes.get_mut(&pid).unwrap();
        process.cpu.s[0] = code::F_BIO;
        process.cpu.s[1] = dsp;
        assert!(system.cos_request(pid, 0o210).is_none());
    }

    #[test]
    fn a_prompt_is_shown_before_the_job_reads_the_terminal() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        let input = open_in(&mut system, pid);
        let odn = 0o214;
        assert!(system.cos_write(pid, odn, &[ascii_word("$OUT"), 0]));
        let process = system.processes.get_mut(&pid).unwrap();
        process.cpu.s[0] = code::F_OPN;
        process.cpu.s[1] = odn;
        assert!(system.cos_request(pid, 0o200).is_none());
        let output = field(system.cos_read(pid, odn + 1, 1).unwrap()[0], 40, 63);
        write_word(&mut system, pid, output, 0o40, ascii_word("NAME? "));
        assert_eq!(system.console().captured_stdout(), b"", "a record begun");
        assert!(read_record(&mut system, pid, input).is_some(), "waits");
        assert_eq!(system.console().captured_stdout(), b"NAME? ");
        system.provide_input(b"BOB\n");
        assert!(read_record(&mut system, pid, input).is_none());
        assert_eq!(system.console().captured_stdout(), b"NAME? ", "shown once");
        write_word(&mut system, pid, output, 0o50, ascii_word("HI BOB  "));
        assert_eq!(system.console().captured_stdout(), b"NAME? HI BOB\n");
    }

    #[test]
    fn the_end_of_input_is_an_eof_then_the_eod() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        let dsp = open_in(&mut system, pid);
        system.provide_input(b"ONE\n");
        system.end_input();
        let mut controls = Vec::new();
        for _ in 0..3 {
            assert!(read_record(&mut system, pid, dsp).is_none());
            let cwf = system.cos_read(pid, dsp + u64::from(DPCWF), 1).unwrap()[0];
            controls.push(field(cwf, 0, 3));
        }
        assert_eq!(controls, vec![CWF_EOR, 0o2, 0o1]);
        let dataset = &system.processes[&pid].cos.as_ref().unwrap().open[&0];
        assert!(dataset.items.len() <= 3, "lines read are dropped");
    }
}
