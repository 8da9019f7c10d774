//! Local datasets of a COS job: F$OPN, F$CLS/F$RLS, F$LBN, F$POS, and the host side.
//!
//! A dataset is read whole from its host file when it is opened: a COS blocked file
//! is deblocked; anything else is host text, one record per line (then an EOF and the
//! EOD). Writes replace what follows the read position. When the dataset is closed
//! or the job ends the contents are written back: blocked, or as text lines when the
//! file was text or its `--dataset` mapping asked for text. `$OUT` (unmapped) prints
//! each record as a line on stdout as soon as it is written; `$IN` (unmapped) reads
//! the terminal (module `cos::terminal`). Records become host text without their
//! trailing blanks ([`host_line`]).
//!
//! A request names its dataset by the address in S1: a DSP the system built, an ODN
//! (word 0 = name, word 1 bits 40–63 = DSP address), or a DSP the program built
//! itself (word 0 = name), which opens the dataset when it is not open yet.

use super::bits::with_field;
use super::dataset::{
    block, deblock, deblock_closing, host_line, is_blocked, pack_line, DatasetItem,
    BLANK_COMPRESSION_INITIATOR,
};
use super::job::{
    Backing, LocalDataset, DPCWF, DPFIRST, DPIN, DPLIMIT, DPOUT, DP_BLANK_INITIATOR, DSP_WORDS,
};
use super::requests::{address_field, dataset_name, Reply};
use crate::cos::System;
use crate::system::host_files::{HostWriteError, OpenHow};
use crate::system::Pid;

/// Largest host file a dataset may hold (bytes).
pub const MAX_DATASET_BYTES: u64 = 64 << 20;

/// Status S0 when a dataset cannot be opened or found.
pub const STATUS_NO_DATASET: u64 = 1;

/// The items of a host file's bytes and whether they were text.
pub fn items_from_host(bytes: &[u8]) -> Result<(Vec<DatasetItem>, bool), String> {
    if bytes.is_empty() {
        return Ok((vec![DatasetItem::EndOfData], false));
    }
    if let Ok(words) = super::absolute::words_from_bytes(bytes) {
        if is_blocked(&words) {
            return deblock(&words)
                .map(|items| (items, false))
                .map_err(|e| e.to_string());
        }
    }
    // A failure names the line (from 1), so that one bad character in a long
    // deck or file can be found.
    let line_of = |at: usize| 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
    let text = std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "neither blocked nor text (line {} holds bytes that are not UTF-8)",
            line_of(e.valid_up_to())
        )
    })?;
    let mut items = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let (words, unused_bits) =
            pack_line(line).map_err(|e| format!("line {}: {e}", number + 1))?;
        items.push(DatasetItem::Record { words, unused_bits });
    }
    items.push(DatasetItem::EndOfFile);
    items.push(DatasetItem::EndOfData);
    Ok((items, true))
}

/// Host bytes of a dataset's items: blocked, or text lines without their trailing
/// blanks (EOFs and EOD dropped).
pub fn host_bytes(items: &[DatasetItem], text: bool) -> Result<Vec<u8>, String> {
    if text {
        let mut out = String::new();
        for item in items {
            if let DatasetItem::Record { words, unused_bits } = item {
                out.push_str(&host_line(words, *unused_bits).map_err(|e| e.to_string())?);
                out.push('\n');
            }
        }
        return Ok(out.into_bytes());
    }
    let words = block(items).map_err(|e| e.to_string())?;
    Ok(words.iter().flat_map(|w| w.to_be_bytes()).collect())
}

/// A record as the terminal shows it: [`host_line`], or, for a record that is not
/// text, its bytes with `?` for each one that is not ASCII.
pub(super) fn terminal_text(words: &[u64], unused_bits: u32) -> String {
    host_line(words, unused_bits).unwrap_or_else(|_| {
        words
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .map(|b| if b.is_ascii() { char::from(b) } else { '?' })
            .collect()
    })
}

impl LocalDataset {
    /// Appends a written item at the read position (dropping what followed it). For
    /// `$OUT` on the console, a record the host could not write is an error.
    pub fn push_written(
        &mut self,
        item: DatasetItem,
        console: &mut crate::system::Console,
    ) -> Result<(), HostWriteError> {
        if self.backing == Backing::Stdout {
            if let DatasetItem::Record { words, unused_bits } = &item {
                let line = terminal_text(words, *unused_bits);
                return console.stdout(format!("{line}\n").as_bytes());
            }
            return Ok(());
        }
        if !self.written {
            let keep = self.item + usize::from(self.word > 0);
            self.items.truncate(keep);
            self.word = 0;
            self.item = self.items.len();
            self.written = true;
        }
        if matches!(self.backing, Backing::Empty | Backing::Terminal) {
            return Ok(());
        }
        self.items.push(item);
        self.item = self.items.len();
        Ok(())
    }
}

impl System {
    /// Dataset `slot` that COS process `pid` has open.
    pub(super) fn open_dataset(&mut self, pid: Pid, slot: u32) -> Option<&mut LocalDataset> {
        self.processes
            .get_mut(&pid)
            .and_then(|p| p.cos.as_mut())
            .and_then(|j| j.open.get_mut(&slot))
    }

    /// Reads the host side of dataset `name` of `pid`'s job.
    fn load_dataset(
        &self,
        name: &str,
        backing: &Backing,
        slot: u32,
    ) -> Result<LocalDataset, String> {
        let mut backing = backing.clone();
        let items = match &mut backing {
            Backing::File { path, text } => {
                let relative = self
                    .root()
                    .resolve(path)
                    .map_err(|e| format!("{path}: {e:?}"))?;
                match self.root().read_all(&relative, MAX_DATASET_BYTES) {
                    Ok(bytes) => {
                        let (items, was_text) =
                            items_from_host(&bytes).map_err(|e| format!("{path}: {e}"))?;
                        *text |= was_text;
                        items
                    }
                    Err(_) => vec![DatasetItem::EndOfData],
                }
            }
            // A job dataset's contents come from the deck (`open_job_dataset`).
            Backing::Stdout | Backing::Empty | Backing::Job => vec![DatasetItem::EndOfData],
            // Lines come when the job reads them (module `cos::terminal`).
            Backing::Terminal => Vec::new(),
        };
        Ok(LocalDataset {
            name: name.to_string(),
            backing,
            slot,
            items,
            item: 0,
            word: 0,
            pending: Vec::new(),
            written: false,
            read_stream: None,
            read_position: 0,
            write_stream: Vec::new(),
        })
    }

    /// Opens `name` for `pid` (or finds it open); returns its slot and writes its DSP
    /// and LFT entry.
    pub(crate) fn cos_open_name(&mut self, pid: Pid, name: &str) -> Result<u32, String> {
        let job = self
            .processes
            .get(&pid)
            .and_then(|p| p.cos.as_deref())
            .ok_or("not a COS job")?;
        if let Some(slot) = job.slot_of_name(name) {
            return Ok(slot);
        }
        let slot = job
            .free_slot()
            .ok_or_else(|| format!("{name}: more than {} datasets open", job.slots()))?;
        let backing = match job.map.get(name) {
            None if self.deck_of(pid).is_some() && name != "$OUT" => Backing::Job,
            _ => job.backing(name),
        };
        let (dsp, buffer, lft) = (
            job.dsp_address(slot),
            job.buffer_address(slot),
            job.lft_address(slot),
        );
        let mut dataset = self.load_dataset(name, &backing, slot)?;
        if backing == Backing::Job {
            dataset.items = self.open_job_dataset(pid, name);
            // An unblocked dataset's words are its blocks as written by block number
            // (module `cos::circular`): read and rewritten where their numbers say.
            if let Some(words) = self.unblocked_job_dataset(pid, name) {
                dataset.write_stream = words;
            }
        }
        let name_word = super::bits::ascii_word(name);
        let mut table = vec![0u64; DSP_WORDS as usize];
        table[0] = name_word;
        let (first, last) = DP_BLANK_INITIATOR;
        table[DPFIRST as usize] = with_field(
            u64::from(buffer),
            first,
            last,
            u64::from(BLANK_COMPRESSION_INITIATOR),
        );
        table[DPIN as usize] = u64::from(buffer);
        table[DPOUT as usize] = u64::from(buffer);
        table[DPLIMIT as usize] = u64::from(buffer + super::job::BUFFER_WORDS);
        table[DPCWF as usize] = 0;
        self.cos_write(pid, u64::from(dsp), &table);
        self.cos_write(pid, u64::from(lft), &[name_word, u64::from(dsp)]);
        let process = self.processes.get_mut(&pid).ok_or("no process")?;
        let job = process.cos.as_mut().ok_or("not a COS job")?;
        job.open.insert(slot, dataset);
        self.cos_count_datasets(pid);
        Ok(slot)
    }

    /// JCNPF (JCB word 0102 bits 0–15): the number of open datasets.
    fn cos_count_datasets(&mut self, pid: Pid) {
        let Some(process) = self.processes.get_mut(&pid) else {
            return;
        };
        let count = process.cos.as_ref().map_or(0, |j| j.open.len() as u64);
        let jcdsp = super::jcb::JCDSP as u32;
        if let Some(word) = process.memory.read(jcdsp) {
            process
                .memory
                .write(jcdsp, super::bits::with_field(word, 0, 15, count));
        }
    }

    /// The slot and DSP address named by the address in S1 (see the module notes);
    /// with `open`, a DSP or ODN of a dataset not yet open opens it.
    pub(crate) fn cos_resolve(&mut self, pid: Pid, s1: u64, open: bool) -> Option<(u32, u64)> {
        let address = s1 & 0xFF_FFFF;
        let job = self.processes.get(&pid)?.cos.as_deref()?;
        if let Some(slot) = job.slot_of_dsp(address as u32) {
            return Some((slot, address));
        }
        let words = self.cos_read(pid, address, 2)?;
        let pointer = address_field(words[1]);
        if let Some(slot) = job.slot_of_dsp(pointer as u32) {
            return Some((slot, pointer));
        }
        let name = dataset_name(words[0]);
        if name.is_empty() {
            return None;
        }
        let found = job.slot_of_name(&name);
        let slot = match found {
            Some(slot) => slot,
            None if open => self.cos_open_name(pid, &name).ok()?,
            None => return None,
        };
        // A program's own DSP carries its name in word 0; an ODN has the DSP
        // pointer in word 1, which for an open dataset we filled in.
        Some((slot, address))
    }

    /// F$OPN: S1 = ODN address (PD in bits 0–1 ignored: datasets are read-write).
    pub(crate) fn cos_open(&mut self, pid: Pid, s1: u64) -> Reply {
        let address = s1 & 0xFF_FFFF;
        let Some(odn) = self.cos_read(pid, address, 2) else {
            return Self::bad_address("F$OPN", address);
        };
        let name = dataset_name(odn[0]);
        if name.is_empty() {
            return Reply::Status(STATUS_NO_DATASET);
        }
        match self.cos_open_name(pid, &name) {
            Ok(slot) => {
                let dsp = self.processes[&pid]
                    .cos
                    .as_ref()
                    .map_or(0, |j| j.dsp_address(slot));
                let word = super::bits::with_field(odn[1], 40, 63, u64::from(dsp));
                self.cos_write(pid, address + 1, &[word]);
                Reply::Status(0)
            }
            Err(message) => {
                let text = format!("cray: pid {pid}: F$OPN {name}: {message}\n");
                self.console_mut().message(text.as_bytes());
                Reply::Status(STATUS_NO_DATASET)
            }
        }
    }

    /// Writes dataset `slot` of `pid` back to its host file if it was written. Every
    /// caller closes the dataset (F$CLS/F$RLS, or the end of the program's step), so
    /// words written with F$WDC that a program left without an EOD are finished as
    /// COS closing them would ([`deblock_closing`]) rather than dropped.
    fn cos_flush(&mut self, pid: Pid, slot: u32) -> Result<(), String> {
        self.cos_write_buffer_at_close(pid, slot);
        let Some(dataset) = self.open_dataset(pid, slot) else {
            return Ok(());
        };
        if !dataset.pending.is_empty() {
            let words = std::mem::take(&mut dataset.pending);
            dataset.items.push(DatasetItem::Record {
                words,
                unused_bits: 0,
            });
            dataset.written = true;
        }
        if !dataset.write_stream.is_empty() {
            let unblocked =
                dataset.backing == Backing::Job && super::circular::keeps_written_blocks(dataset);
            let written = std::mem::take(&mut dataset.write_stream);
            let stream = super::circular::written_form(dataset, written)
                .map_err(|e| format!("{}: F$WDC data: {e}", dataset.name))?;
            let items = match deblock_closing(&stream) {
                Ok(items) => items,
                // Not a blocked dataset: the words of an unblocked one (GENCAT's
                // catalogues, written by block number), which the job keeps whole.
                Err(_) if unblocked => {
                    let name = dataset.name.clone();
                    self.store_unblocked_job_dataset(pid, &name, stream);
                    return Ok(());
                }
                Err(e) => return Err(format!("{}: F$WDC data: {e}", dataset.name)),
            };
            if dataset.backing == Backing::Stdout {
                // Blocked words for the console: its records, as F$BIO's are shown.
                let lines: String = items
                    .iter()
                    .filter_map(|item| match item {
                        DatasetItem::Record { words, unused_bits } => {
                            Some(format!("{}\n", terminal_text(words, *unused_bits)))
                        }
                        _ => None,
                    })
                    .collect();
                if let Err(failure) = self.console_mut().stdout(lines.as_bytes()) {
                    self.host_write_failed(pid, "standard output", &failure, "no error status");
                }
                return Ok(());
            }
            dataset.items = items;
            dataset.written = true;
        }
        if dataset.backing == Backing::Job {
            let dataset = dataset.clone();
            self.store_job_dataset(pid, &dataset);
            if let Some(open) = self.open_dataset(pid, slot) {
                open.written = false;
            }
            return Ok(());
        }
        if !dataset.written {
            return Ok(());
        }
        dataset.written = false;
        let Backing::File { path, text } = dataset.backing.clone() else {
            return Ok(());
        };
        let mut items = dataset.items.clone();
        if items.last() != Some(&DatasetItem::EndOfData) {
            items.push(DatasetItem::EndOfData);
        }
        let bytes = host_bytes(&items, text).map_err(|e| format!("{path}: {e}"))?;
        self.write_host_file(&path, &bytes)
            .map_err(|e| format!("{path}: {e}"))
    }

    /// Writes host file `path` under the root whole (created, or replaced).
    pub(crate) fn write_host_file(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
        let root = self.root();
        let relative = root
            .resolve(path)
            .map_err(|e| format!("not a file name under the root ({e})"))?;
        if self.is_in_the_store(&root.host_path(&relative)) {
            return Err(
                "a file of the permanent-dataset store (--pds), which only SAVE and its kin write"
                    .to_string(),
            );
        }
        let how = OpenHow {
            write: true,
            create: true,
            truncate: true,
            ..OpenHow::default()
        };
        root.open(&relative, how)
            .map_err(|e| format!("cannot be written ({e})"))?;
        root.write_at(&relative, 0, false, bytes)
            .map(|_| ())
            .map_err(|failure| failure.error.to_string())
    }

    /// Whether host file `path` lies in the permanent-dataset store's directory, as
    /// it can when `--pds` is under `--root`: a deck's DISPOSE to the front end, or a
    /// dataset's close, must not replace the catalogue or a dataset's file.
    fn is_in_the_store(&self, path: &std::path::Path) -> bool {
        let Some(store) = self.deck_host.catalogue.as_ref() else {
            return false;
        };
        let (Ok(store), Some(Ok(parent))) = (
            std::fs::canonicalize(store.dir()),
            path.parent().map(std::fs::canonicalize),
        ) else {
            return false;
        };
        parent.starts_with(store)
    }

    /// Closes `pid`'s dataset `name` if it is open (SAVE by request, F$DJA).
    pub(crate) fn cos_close_name(&mut self, pid: Pid, name: &str) -> Result<(), String> {
        let open = self
            .processes
            .get(&pid)
            .and_then(|p| p.cos.as_deref())
            .and_then(|job| job.slot_of_name(name));
        match open {
            Some(slot) => self.cos_close_slot(pid, slot),
            None => Ok(()),
        }
    }

    /// Flushes every open dataset of `pid` (at the end of the job).
    pub(crate) fn cos_flush_all(&mut self, pid: Pid) -> Result<(), String> {
        let slots: Vec<u32> = self
            .processes
            .get(&pid)
            .and_then(|p| p.cos.as_ref())
            .map_or(Vec::new(), |j| j.open.keys().copied().collect());
        let mut result = Ok(());
        for slot in slots {
            if let Err(e) = self.cos_flush(pid, slot) {
                result = Err(e);
            }
        }
        result
    }

    /// F$RLS: closes the dataset at S1 if it is open, then, in a deck job, releases
    /// it from the job as the RELEASE statement does (an accessed permanent dataset
    /// the job wrote goes back to the store; any other is gone, so the name next
    /// defined or opened is a new, empty dataset: PLD10 releases `WRITE` after each
    /// dataset it reloads and defines it again for the next). Releasing a name the
    /// job does not have is no error, as for the statement. `$IN`, `$OUT` and
    /// `$LOG` are only closed, and outside a deck a dataset is a host file, which
    /// F$RLS only closes too.
    pub(crate) fn cos_release(&mut self, pid: Pid, s1: u64) -> Reply {
        let open = self.cos_resolve(pid, s1, false);
        let name = match open {
            Some((slot, _)) => self.open_dataset(pid, slot).map(|d| d.name.clone()),
            None => self
                .cos_read(pid, s1 & 0xFF_FFFF, 1)
                .map(|word| dataset_name(word[0])),
        };
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return Reply::Status(STATUS_NO_DATASET);
        };
        let closed = match open {
            Some((slot, _)) => self.cos_close_slot(pid, slot),
            None => Ok(()),
        };
        // The job's own input and output outlive a program that lets them go: the
        // deck's later steps read what is left of `$IN`.
        let job_stream = matches!(name.as_str(), "$IN" | "$OUT" | "$LOG");
        let held = !job_stream
            && self
                .deck_of(pid)
                .is_some_and(|deck| deck.datasets.contains_key(&name));
        let released = if held {
            self.release_local(pid, &name)
                .map_err(|e| e.trim_start().to_string())
        } else {
            Ok(())
        };
        match closed.and(released) {
            Ok(()) => Reply::Status(0),
            Err(message) => {
                let text = format!("cray: pid {pid}: release of {name}: {message}\n");
                self.console_mut().message(text.as_bytes());
                Reply::Status(STATUS_NO_DATASET)
            }
        }
    }

    /// F$CLS: flushes and forgets the dataset at S1.
    pub(crate) fn cos_close(&mut self, pid: Pid, s1: u64) -> Reply {
        let Some((slot, _)) = self.cos_resolve(pid, s1, false) else {
            return Reply::Status(STATUS_NO_DATASET);
        };
        match self.cos_close_slot(pid, slot) {
            Ok(()) => Reply::Status(0),
            Err(message) => {
                let text = format!("cray: pid {pid}: close: {message}\n");
                self.console_mut().message(text.as_bytes());
                Reply::Status(STATUS_NO_DATASET)
            }
        }
    }

    /// Flushes and forgets open dataset `slot` of `pid` (F$CLS, and SAVE by
    /// request, which closes the dataset first as SR-0011's SAVE says).
    pub(crate) fn cos_close_slot(&mut self, pid: Pid, slot: u32) -> Result<(), String> {
        let flushed = self.cos_flush(pid, slot);
        let mut lft = None;
        if let Some(job) = self.processes.get_mut(&pid).and_then(|p| p.cos.as_mut()) {
            job.open.remove(&slot);
            lft = Some(job.lft_address(slot));
        }
        // The library searches the LFT by name: a closed dataset must leave none.
        if let Some(lft) = lft {
            self.cos_write(pid, u64::from(lft), &[0, 0]);
        }
        self.cos_count_datasets(pid);
        flushed
    }

    /// F$LBN: S1 = number of the last block of the dataset's blocked form.
    pub(crate) fn cos_last_block(&mut self, pid: Pid, s1: u64) -> Reply {
        let Some((slot, _)) = self.cos_resolve(pid, s1, true) else {
            return Reply::Status(STATUS_NO_DATASET);
        };
        let Some(dataset) = self.processes[&pid]
            .cos
            .as_ref()
            .and_then(|j| j.open.get(&slot))
        else {
            return Reply::Status(STATUS_NO_DATASET);
        };
        let words = if super::circular::keeps_written_blocks(dataset) {
            dataset.write_stream.len() as u64
        } else {
            block(&dataset.items).map_or(0, |w| w.len() as u64)
        };
        Reply::Value(words.saturating_sub(1) / super::dataset::BLOCK_WORDS as u64)
    }

    /// F$POS: rewinds the dataset at S1 (the only positioning modelled).
    pub(crate) fn cos_rewind(&mut self, pid: Pid, s1: u64) -> Reply {
        let Some((slot, _)) = self.cos_resolve(pid, s1, true) else {
            return Reply::Status(STATUS_NO_DATASET);
        };
        if let Some(dataset) = self
            .processes
            .get_mut(&pid)
            .and_then(|p| p.cos.as_mut())
            .and_then(|j| j.open.get_mut(&slot))
        {
            dataset.item = 0;
            dataset.word = 0;
            dataset.read_stream = None;
            dataset.read_position = 0;
        }
        Reply::Status(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cos::bits::{ascii_word, field};
    use crate::cos::jcb;
    use crate::cos::requests::Reply;

    /// A deck saved with a byte-order mark, or holding a byte that is not text,
    /// was refused without saying where ("text line: character '\u{feff}' is not
    /// ASCII", "neither blocked nor text").
    #[test]
    fn a_text_file_that_cannot_be_read_names_its_line() {
        let refused = items_from_host("\u{feff}JOB,JN=A.\nEXIT.\n".as_bytes()).unwrap_err();
        assert_eq!(
            refused,
            "line 1: text line: character '\\u{feff}' is not ASCII"
        );
        let refused = items_from_host(b"JOB,JN=A.\nCOPY.\nbin\xffary\n").unwrap_err();
        assert_eq!(
            refused,
            "neither blocked nor text (line 3 holds bytes that are not UTF-8)"
        );
    }

    /// The LFT entries the Cray library's `$SLFT` would see: two words each from
    /// JCLFT up to JCDSP, as (address, name word, pointer word).
    fn lft_entries(system: &System, pid: Pid) -> Vec<(u64, u64, u64)> {
        let word = |a: u64| system.cos_read(pid, a, 1).unwrap()[0];
        let jcdsp = field(word(jcb::JCDSP as u64), 40, 63);
        let jclft = field(word(jcb::JCLFT as u64), 40, 63);
        (jclft..jcdsp)
            .step_by(2)
            .map(|a| (a, word(a), word(a + 1)))
            .collect()
    }

    #[test]
    fn open_and_close_keep_the_lft_as_the_library_searches_it() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        let odn = 0o204;
        let name = ascii_word("FT01");
        assert!(system.cos_write(pid, odn, &[name, 0]));
        assert!(lft_entries(&system, pid)
            .iter()
            .all(|e| e.1 == 0 && e.2 == 0));

        assert!(matches!(system.cos_open(pid, odn), Reply::Status(0)));
        let word = |system: &System, a: u64| system.cos_read(pid, a, 1).unwrap()[0];
        let jcnpf = |system: &System| field(word(system, jcb::JCDSP as u64), 0, 15);
        assert_eq!(jcnpf(&system), 1);
        let jcdsp = field(word(&system, jcb::JCDSP as u64), 40, 63);
        let jcbfb = field(word(&system, jcb::JCDSP as u64), 16, 39);
        let dsp = field(word(&system, odn + 1), 40, 63);
        // DSPs lie strictly above JCDSP (offset 0 would read as "no DSP") and
        // below the buffers; the DSP's name is not inside the LFT's range.
        assert!(
            dsp > jcdsp && dsp + u64::from(DSP_WORDS) <= jcbfb,
            "{dsp:o}"
        );
        assert_eq!(word(&system, dsp), name);
        let found: Vec<_> = lft_entries(&system, pid)
            .into_iter()
            .filter(|e| e.1 == name)
            .collect();
        assert_eq!(found.len(), 1, "exactly one LFT entry names FT01");
        assert_eq!(field(found[0].2, 40, 63), dsp);
        let buffer = field(
            word(&system, dsp + u64::from(super::super::job::DPFIRST)),
            40,
            63,
        );
        assert!(buffer >= jcbfb);
        let first = word(&system, dsp + u64::from(super::super::job::DPFIRST));
        assert_eq!(
            field(first, 16, 24),
            0o33,
            "the blank-compression initiator, ESC"
        );

        assert!(matches!(system.cos_close(pid, odn), Reply::Status(0)));
        assert!(lft_entries(&system, pid)
            .iter()
            .all(|e| e.1 == 0 && e.2 == 0));
    }

    /// F$RLS with S1 = a block naming `name`; returns S0.
    fn release(system: &mut System, pid: Pid, name: &str) -> u64 {
        assert!(system.cos_write(pid, 0o3000, &[ascii_word(name), 0]));
        let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
        cpu.s[0] = crate::cos::requests::code::F_RLS;
        cpu.s[1] = 0o3000;
        system.cos_request(pid, 0o1000);
        system.processes[&pid].cpu.s[0]
    }

    #[test]
    fn release_drops_a_deck_jobs_dataset_but_not_its_input() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_deck_job(dir.path(), None);
        let held =
            |system: &System, name: &str| system.deck_of(pid).unwrap().datasets.contains_key(name);
        // Open, then released: closed, and gone from the job.
        let slot = system.cos_open_name(pid, "DATA").unwrap();
        assert!(system.open_dataset(pid, slot).is_some());
        assert_eq!(release(&mut system, pid, "DATA"), 0);
        assert!(system.open_dataset(pid, slot).is_none(), "closed");
        assert!(!held(&system, "DATA"), "released");
        // Opened again, it is a new, empty dataset.
        let slot = system.cos_open_name(pid, "DATA").unwrap();
        let items = system.open_dataset(pid, slot).unwrap().items.clone();
        assert_eq!(items, [DatasetItem::EndOfData]);
        // A name the job does not have is no error; $IN stays the job's.
        assert_eq!(release(&mut system, pid, "NONE"), 0);
        assert_eq!(release(&mut system, pid, "$IN"), 0);
        assert!(held(&system, "$IN"));
    }

    #[test]
    fn circular_writes_to_the_console_reach_it_at_the_close() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        let odn = 0o204;
        assert!(system.cos_write(pid, odn, &[ascii_word("$OUT"), 0]));
        assert!(matches!(system.cos_open(pid, odn), Reply::Status(0)));
        let dsp = field(system.cos_read(pid, odn + 1, 1).unwrap()[0], 40, 63);
        let first = field(system.cos_read(pid, dsp + 1, 1).unwrap()[0], 40, 63);
        let (words, ubc) = pack_line("CIRCULAR  ").unwrap();
        let blocked = block(&[DatasetItem::Record {
            words,
            unused_bits: ubc,
        }])
        .unwrap();
        assert!(system.cos_write(pid, first, &blocked));
        let input = first + blocked.len() as u64;
        assert!(system.cos_write(pid, dsp + u64::from(super::super::job::DPIN), &[input]));
        assert!(matches!(
            system.cos_write_circular(pid, dsp),
            Reply::Status(0)
        ));
        assert!(matches!(system.cos_close(pid, odn), Reply::Status(0)));
        assert_eq!(system.console().captured_stdout(), b"CIRCULAR\n");
    }

    #[test]
    fn text_and_blocked_host_files_round_trip() {
        let (items, text) = items_from_host(b"ONE\nTWO LINES\n").unwrap();
        assert!(text);
        assert_eq!(items.len(), 4, "two records, EOF, EOD");
        assert_eq!(host_bytes(&items, true).unwrap(), b"ONE\nTWO LINES\n");
        let blocked = host_bytes(&items, false).unwrap();
        let (again, text) = items_from_host(&blocked).unwrap();
        assert!(!text);
        assert_eq!(again, items);
        assert_eq!(
            items_from_host(b"").unwrap().0,
            vec![DatasetItem::EndOfData]
        );
        assert!(items_from_host(&[0xff, 0xfe, 0x80]).is_err());
    }
}
