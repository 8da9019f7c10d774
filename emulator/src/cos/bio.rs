//! F$BIO: buffered record I/O through DSP word 7 (DPBIO), and its control word in
//! DSP word 5 (DPCWF). Every request completes inside F$BIO, so the busy bit is
//! clear when it returns and F$RCL has nothing to wait for.
//!
//! DPBIO: bit 0 busy, bit 1 error, bits 2–9 function, bits 10–15 UBC, bits 16–39 word
//! count (on a read: words transferred, set by the system), bits 40–63 user buffer.
//! Functions: 000 read partial, 010 read record (the rest of the record is skipped),
//! 040 write partial, 050 write record, 052 write EOF, 056 write EOD. After a read,
//! DPCWF bits 0–3 hold the control word met: 010 EOR (the record ended; UBC in DPBIO),
//! 002 EOF, 001 EOD, 0 none (a partial read stopped inside the record). A read of `$IN`
//! on the terminal may wait for a line (module `cos::terminal`).

use super::bits::{field, with_field};
use super::dataset::DatasetItem;
use super::job::{DPBIO, DPCWF};
use super::requests::Reply;
use crate::cos::System;
use crate::system::host_files::HostWriteError;
use crate::system::Pid;

/// DPCWF code: end of record met.
pub const CWF_EOR: u64 = 0o10;
/// DPCWF code: end of file met.
pub const CWF_EOF: u64 = 0o2;
/// DPCWF code: end of data met.
pub const CWF_EOD: u64 = 0o1;

/// What a read moved: words and the control word met (UBC when it is an EOR).
struct ReadResult {
    words: Vec<u64>,
    control: u64,
    unused_bits: u64,
}

impl System {
    /// F$BIO with S1 = DSP address.
    pub(crate) fn cos_bio(&mut self, pid: Pid, s1: u64) -> Reply {
        let Some((slot, dsp)) = self.cos_resolve(pid, s1, true) else {
            return Reply::Status(super::local_datasets::STATUS_NO_DATASET);
        };
        let Some(request) = self.cos_read(pid, dsp + u64::from(DPBIO), 1).map(|w| w[0]) else {
            return Self::bad_address("F$BIO", dsp);
        };
        let function = field(request, 2, 9);
        let ubc = field(request, 10, 15);
        let count = field(request, 16, 39);
        let buffer = field(request, 40, 63);
        let done =
            |word: u64, error: bool| with_field(with_field(word, 0, 0, 0), 1, 1, u64::from(error));
        match function {
            0o0 | 0o10 => {
                if !self.cos_terminal_ready(pid, slot, false) {
                    return Reply::WaitForTerminal;
                }
                let result = self.bio_read(pid, slot, count as usize, function == 0o10);
                if !self.cos_write(pid, buffer, &result.words) {
                    return Self::bad_address("F$BIO buffer", buffer);
                }
                let mut word = with_field(done(request, false), 16, 39, result.words.len() as u64);
                word = with_field(word, 10, 15, result.unused_bits);
                self.cos_write(pid, dsp + u64::from(DPBIO), &[word]);
                let cwf = self
                    .cos_read(pid, dsp + u64::from(DPCWF), 1)
                    .map_or(0, |w| w[0]);
                self.cos_write(
                    pid,
                    dsp + u64::from(DPCWF),
                    &[with_field(cwf, 0, 3, result.control)],
                );
            }
            0o40 | 0o50 | 0o52 | 0o56 => {
                let Some(words) = self.cos_read(pid, buffer, count) else {
                    return Self::bad_address("F$BIO buffer", buffer);
                };
                let failed = self.bio_write(pid, slot, function, words, ubc as u32);
                if let Some(failure) = &failed {
                    self.host_write_failed(
                        pid,
                        "standard output ($OUT)",
                        failure,
                        "the F$BIO error bit",
                    );
                }
                self.cos_write(
                    pid,
                    dsp + u64::from(DPBIO),
                    &[done(request, failed.is_some())],
                );
            }
            _ => {
                self.cos_write(pid, dsp + u64::from(DPBIO), &[done(request, true)]);
            }
        }
        Reply::Status(0)
    }

    fn bio_read(&mut self, pid: Pid, slot: u32, count: usize, whole: bool) -> ReadResult {
        let Some(dataset) = self.open_dataset(pid, slot) else {
            return ReadResult {
                words: vec![],
                control: CWF_EOD,
                unused_bits: 0,
            };
        };
        match dataset.items.get(dataset.item) {
            Some(DatasetItem::Record { words, unused_bits }) => {
                let start = dataset.word.min(words.len());
                let end = (start + count).min(words.len());
                let taken = words[start..end].to_vec();
                let ubc = u64::from(*unused_bits);
                if end == words.len() || whole {
                    dataset.item += 1;
                    dataset.word = 0;
                    ReadResult {
                        words: taken,
                        control: CWF_EOR,
                        unused_bits: if end == words.len() { ubc } else { 0 },
                    }
                } else {
                    dataset.word = end;
                    ReadResult {
                        words: taken,
                        control: 0,
                        unused_bits: 0,
                    }
                }
            }
            Some(DatasetItem::EndOfFile) => {
                dataset.item += 1;
                dataset.word = 0;
                ReadResult {
                    words: vec![],
                    control: CWF_EOF,
                    unused_bits: 0,
                }
            }
            Some(DatasetItem::EndOfData) | None => ReadResult {
                words: vec![],
                control: CWF_EOD,
                unused_bits: 0,
            },
        }
    }

    /// Writes what F$BIO asks; the host's failure to take a record of `$OUT`.
    fn bio_write(
        &mut self,
        pid: Pid,
        slot: u32,
        function: u64,
        words: Vec<u64>,
        ubc: u32,
    ) -> Option<HostWriteError> {
        let (processes, console) = self.processes_and_console();
        let dataset = processes
            .get_mut(&pid)
            .and_then(|p| p.cos.as_mut())
            .and_then(|j| j.open.get_mut(&slot))?;
        dataset.pending.extend_from_slice(&words);
        let item = match function {
            0o50 => Some(DatasetItem::Record {
                words: std::mem::take(&mut dataset.pending),
                unused_bits: ubc.min(63),
            }),
            0o52 | 0o56 => {
                if !dataset.pending.is_empty() {
                    let record = DatasetItem::Record {
                        words: std::mem::take(&mut dataset.pending),
                        unused_bits: 0,
                    };
                    if let Err(failure) = dataset.push_written(record, console) {
                        return Some(failure);
                    }
                }
                Some(if function == 0o52 {
                    DatasetItem::EndOfFile
                } else {
                    DatasetItem::EndOfData
                })
            }
            _ => None,
        };
        item.and_then(|item| dataset.push_written(item, console).err())
    }
}
