//! F$RDC/F$WDC: circular-buffer I/O of blocked data. The buffer is described by DSP
//! words 1–4 (FIRST, IN, OUT, LIMIT; addresses in bits 40–63). The system fills it
//! (F$RDC) with the dataset's blocked form (BCWs and RCWs included), from IN up to
//! one word short of OUT, wrapping at LIMIT, and advances IN; it drains it (F$WDC)
//! from OUT to IN and advances OUT. Deblocking is the program's library's business:
//! an unblocked dataset, which has no control words, is read as its words are.
//! Written blocked words are deblocked when the dataset is closed.

use super::bits::{field, with_field};
use super::job::{DPFIRST, DPIN, DPLIMIT, DPOUT};
use super::requests::{address_field, Reply};
use crate::cos::System;
use crate::system::Pid;

/// The buffer pointers of a DSP.
struct Circle {
    first: u64,
    input: u64,
    output: u64,
    limit: u64,
}

impl Circle {
    /// Words of the buffer, LIMIT - FIRST.
    fn size(&self) -> u64 {
        self.limit - self.first
    }

    /// Words in the buffer: from OUT up to IN.
    fn used(&self) -> u64 {
        (self.input + self.size() - self.output) % self.size()
    }

    /// Words the system may add: the buffer less what is in it, one word short of
    /// OUT so that a full buffer is not taken for an empty one.
    fn room(&self) -> usize {
        (self.size() - 1 - self.used()) as usize
    }

    /// The address `count` words on from `address` in the buffer, wrapping at
    /// LIMIT to FIRST.
    fn after(&self, address: u64, count: u64) -> u64 {
        self.first + (address - self.first + count) % self.size()
    }
}

/// How a read by block number ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BlockRead {
    /// It filled the buffer before the end of the dataset.
    Filled,
    /// It filled the buffer exactly up to the end of the dataset.
    FilledToTheEnd,
    /// It stopped at the end of the dataset before it filled the buffer, with
    /// words read or none (asked for a block past the end).
    Short {
        /// Whether it read anything.
        got_words: bool,
    },
}

/// Words of a COS block.
const BLOCK_WORDS: usize = 512;

/// DSP word 1 bit 6: the read by block number reached the end of the dataset.
pub const DP_END_OF_DATA: u64 = 1 << (63 - 6);

/// DSP word 1 bit 1, DPERR's first bit: a read by block number of an unblocked
/// dataset stopped at its end before it filled the buffer. The library's wait
/// routine (AUDIT's at P=040474–040522, `cray dis audit.bin`) returns 0, the EOF
/// status, for it when [`DP_DPERR_STATUS`] is set (-1.0 for a DPERR of 0, 1.0 for
/// bit 6); AUDIT's READU (P=034776–035014), which starts each read by block number,
/// clears bit 1 before it calls `$RLB`, whose first act is to wait on the DSP's
/// last status (P=072475) and return EOF without reading if it finds one. So the
/// end the catalogue read met does not stop REPORT's re-read of a page, as DPCWF's
/// EOD, which no library routine clears there, did (`AU002 - DSC READ ERROR`).
pub const DP_EOD_STATUS: u64 = 1 << (63 - 1);

/// DSP word 1 bit 38: the status of the last read is in DPERR (word 1 bits 1–12).
/// The wait routine takes it from DPERR (P=040474–040522) when this bit is set and
/// from DPCWF (P=040523–040553) otherwise. The emulator sets it for the reads by
/// block number of an unblocked dataset (the catalogue F$PDM makes local, pages
/// without control words); blocked datasets keep DPCWF and [`DP_END_OF_DATA`],
/// which PRVDEF's reads of its `$USER` need (set for them too, PRVDEF no longer
/// reads it). Its COS name is not known here; no manual at hand gives the DSP.
pub const DP_DPERR_STATUS: u64 = 1 << (63 - 38);

/// Whether the system put `dataset`'s words in unblocked: F$PDM gives a catalogue
/// dataset its pages as they are, with no records, where a dataset read from the
/// host has the blocked form of its items. (Only record-less items are blocked
/// again to compare, a few words.)
fn is_unblocked(dataset: &super::job::LocalDataset) -> bool {
    holds_no_records(dataset)
        && dataset.read_stream.as_deref().is_some_and(|stream| {
            Some(stream) != super::dataset::block(&dataset.items).ok().as_deref()
        })
}

/// The dataset's blocked form, built once, whole, at its first read.
fn read_stream(dataset: &mut super::job::LocalDataset) -> &[u64] {
    if dataset.read_stream.is_none() {
        let stream = super::dataset::block(&dataset.items).unwrap_or_default();
        dataset.read_stream = Some(stream);
    }
    dataset.read_stream.as_deref().unwrap_or(&[])
}

/// What a read by block number of `dataset` reads: the blocks a program has
/// written by block number since it opened the dataset and before it read any
/// (GENCAT writes each Master Catalog region whole, then reads and rewrites its
/// blocks), or else [`read_stream`].
fn block_stream(dataset: &mut super::job::LocalDataset) -> &[u64] {
    if reads_written_blocks(dataset) {
        return &dataset.write_stream;
    }
    read_stream(dataset)
}

/// Whether a read by block number of `dataset` reads the blocks written since its
/// open ([`block_stream`]): words without control words, an unblocked dataset.
fn reads_written_blocks(dataset: &super::job::LocalDataset) -> bool {
    dataset.read_stream.is_none() && holds_no_records(dataset) && !dataset.write_stream.is_empty()
}

/// Whether the words written to `dataset` by block number are its blocks as they
/// are, read back by block number ([`block_stream`]) and, when they are not a
/// blocked dataset, kept at its close as an unblocked dataset's words: it was
/// opened without records and the system never read it into a buffer.
pub(crate) fn keeps_written_blocks(dataset: &super::job::LocalDataset) -> bool {
    dataset.read_stream.is_none() && holds_no_records(dataset)
}

/// Whether `dataset` was opened without records (new, or ends only).
fn holds_no_records(dataset: &super::job::LocalDataset) -> bool {
    dataset
        .items
        .iter()
        .all(|item| !matches!(item, super::dataset::DatasetItem::Record { .. }))
}

/// The whole blocked form of `dataset` once the words `written` (what F$WDC took
/// since the open) are in it. A dataset the system read (F$RDC) may be written where
/// the program positioned it: the written words' first BCW says which block they
/// start at, k, and they take the place of blocks k, k+1, ... in place, blocks 0 to
/// k-1 staying as they were. PRVDEF reads its `$USER` by block number (`$PBN`) and
/// writes one block back: its last with a user added (CREATE), or block 0 with a
/// user changed (CHANGE), and the rest of the dataset must outlive that. So the
/// blocks after the written ones are kept when the written words are whole blocks
/// that do not end the dataset (no EOD); words that end it, or stop within a block,
/// are its end, as a sequential write ends a dataset where it stops. A dataset the
/// system never read is what was written. Block k must be one the dataset had (or
/// the block after its last whole one); a write further on is refused.
pub(crate) fn written_form(
    dataset: &mut super::job::LocalDataset,
    written: Vec<u64>,
) -> Result<Vec<u64>, String> {
    if dataset.read_stream.is_none() {
        return Ok(written);
    }
    let block = match written.first() {
        Some(&word) => super::dataset::bcw_block_number(word).unwrap_or(0),
        None => return Ok(written),
    };
    let start = usize::try_from(block)
        .ok()
        .and_then(|b| b.checked_mul(BLOCK_WORDS))
        .unwrap_or(usize::MAX);
    let old = read_stream(dataset);
    if old.len() < start {
        return Err(format!(
            "the words written start at block {block}, past the dataset's {} block(s)",
            old.len().div_ceil(BLOCK_WORDS)
        ));
    }
    let end = start + written.len();
    let mut form = old[..start].to_vec();
    form.extend(written);
    let whole_blocks = form.len().is_multiple_of(BLOCK_WORDS);
    if whole_blocks && end < old.len() && super::dataset::deblock(&form).is_err() {
        form.extend_from_slice(&old[end..]);
    }
    Ok(form)
}

/// A read of a dataset the program has written since it opened it (F$WDC) reads
/// it as written: the written words join the dataset (as at its close), and the
/// read goes on from the block IN names (bits 16–39), where the library's rewind
/// put 0. TEDI writes its work copy `$TEDIIN`, rewinds it without a request (its
/// rewind routine sets FIRST, IN and OUT to FIRST's address, bits 16–39 cleared,
/// at 106350a–106351c, `cray debug tedi.bin`) and reads it back at once.
fn take_in_written(dataset: &mut super::job::LocalDataset) -> Result<(), String> {
    let written = std::mem::take(&mut dataset.write_stream);
    let stream = written_form(dataset, written)?;
    dataset.items = match super::dataset::deblock_closing(&stream) {
        Ok(items) => items,
        Err(e) => {
            // Not blocked: an unblocked dataset's words stay for its close to keep.
            if dataset.read_stream.is_none() {
                dataset.write_stream = stream;
            }
            return Err(e.to_string());
        }
    };
    dataset.written = true;
    dataset.read_stream = None;
    Ok(())
}

/// How a plain (sequential) F$RDC of an unblocked dataset ended, in the terms of a
/// read by block number, whose status it reports ([`System::set_read_status`]):
/// `take` words read into a buffer with `room` for more, `at_end` when they reach
/// the dataset's end.
fn sequential_outcome(at_end: bool, take: usize, room: usize) -> BlockRead {
    if !at_end {
        BlockRead::Filled
    } else if take < room {
        BlockRead::Short {
            got_words: take > 0,
        }
    } else {
        BlockRead::FilledToTheEnd
    }
}

/// Whether the words `given` to F$WDC, after the `written` stream, end the
/// dataset: its unfinished last block, from its BCW, ends with the EOD
/// ([`super::dataset::block_ends_dataset`]). The library wrote the dataset's end
/// and has nothing more to set in that block, so the system writes it whole, as
/// it writes a dataset's last block at its close: TEDI writes its `$TEDIIN` and
/// `$TEDISW` to their EOD and rewinds them (FIRST, IN and OUT back at FIRST,
/// without a request), so nothing is left in the buffer for the close to take.
fn ends_dataset(written: &[u64], given: &[u64]) -> bool {
    let total = written.len() + given.len();
    let Some(last) = total.checked_sub(1) else {
        return false;
    };
    // Where the stream's last block starts, in the written words or the given.
    let start = last / BLOCK_WORDS * BLOCK_WORDS;
    let block = match start.checked_sub(written.len()) {
        Some(in_given) => given[in_given..].to_vec(),
        None => [&written[start..], given].concat(),
    };
    super::dataset::block_ends_dataset(&block)
}

/// How many of the `given` words F$WDC takes from a buffer of `size` words when the
/// dataset's written stream already holds `written`: those that end a block, the
/// words of the unfinished block after them staying in the buffer. But never so
/// many that the buffer is left without room for a whole block besides them: the
/// library waits (F$RCL) for room that only F$WDC makes, so a buffer of less than
/// two blocks (one block: LIMIT - FIRST = 512, where at most 511 words fit, one
/// short of OUT) would never drain. There F$WDC takes the unfinished block too,
/// every word given.
fn whole_block_words(written: u64, given: u64, size: u64) -> u64 {
    let block = BLOCK_WORDS as u64;
    let whole = ((written + given) / block * block).saturating_sub(written);
    let left = given - whole;
    let room_after = (size - 1).saturating_sub(left);
    if room_after < block {
        given
    } else {
        whole
    }
}

/// Puts `words`, blocks `start` up to `end` of `dataset` written by block number,
/// in its written stream, in place of what was written there. They must be those
/// blocks whole, and start at a block written already or the one after the last:
/// the stream has no gaps. A dataset the system read into is not served (its
/// written words are placed by their first BCW, `written_form`).
fn place_blocks(
    dataset: &mut super::job::LocalDataset,
    start: u64,
    end: u64,
    words: Vec<u64>,
) -> Result<(), String> {
    if dataset.read_stream.is_some() {
        return Err(format!("{}: a dataset the system read", dataset.name));
    }
    let blocks = end.saturating_sub(start);
    if blocks == 0 || words.len() as u64 != blocks * BLOCK_WORDS as u64 {
        return Err(format!(
            "{}: {} word(s) between OUT and IN for blocks {start} to {end}",
            dataset.name,
            words.len()
        ));
    }
    let at = start as usize * BLOCK_WORDS;
    let stream = &mut dataset.write_stream;
    if at > stream.len() {
        return Err(format!(
            "{}: block {start} is past the {} word(s) written",
            dataset.name,
            stream.len()
        ));
    }
    let after = stream.split_off(at).into_iter().skip(words.len());
    let rest: Vec<u64> = after.collect();
    stream.extend(words);
    stream.extend(rest);
    Ok(())
}

impl System {
    fn circle(&self, pid: Pid, dsp: u64) -> Option<Circle> {
        let words = self.cos_read(pid, dsp, 5)?;
        let circle = Circle {
            first: address_field(words[DPFIRST as usize]),
            input: address_field(words[DPIN as usize]),
            output: address_field(words[DPOUT as usize]),
            limit: address_field(words[DPLIMIT as usize]),
        };
        let inside = |a: u64| a >= circle.first && a < circle.limit;
        let fits = circle.first < circle.limit
            && inside(circle.input)
            && inside(circle.output)
            && self
                .cos_read(pid, circle.first, circle.limit - circle.first)
                .is_some();
        fits.then_some(circle)
    }

    fn set_pointer(&mut self, pid: Pid, address: u64, value: u64) {
        let old = self.cos_read(pid, address, 1).map_or(0, |w| w[0]);
        self.cos_write(pid, address, &[super::bits::with_field(old, 40, 63, value)]);
    }

    /// F$RDC with S1 = DSP: the dataset's blocked form from where the last read
    /// stopped, as much as the buffer has room for. An unblocked dataset (words
    /// written by block number that are not a blocked dataset: GENCAT's `$MASTER`,
    /// `images/cos/wblocks.cal`'s RAW) is read as it is, its words without control
    /// words: COS's F$RDC moved a dataset's blocks into the buffer and left
    /// deblocking to the program's library (module notes; `COS.md` on F$RDC), so a
    /// plain read of a dataset without control words gets its words, from block 0 or
    /// from the block after the last read by block number. Its status is the one a
    /// read by block number of an unblocked dataset reports
    /// ([`Self::set_read_status`]): DPERR's bit 1 once a read stops short at the
    /// end, which the library's wait routine takes as the EOF status.
    pub(crate) fn cos_read_circular(&mut self, pid: Pid, s1: u64) -> Reply {
        let Some((slot, dsp)) = self.cos_resolve(pid, s1, true) else {
            return Reply::Status(super::local_datasets::STATUS_NO_DATASET);
        };
        let Some(circle) = self.circle(pid, dsp) else {
            return Self::bad_address("F$RDC buffer", dsp);
        };
        // The blocked form is built once, whole: on the terminal it waits for the
        // end of the input.
        if !self.cos_terminal_ready(pid, slot, true) {
            return Reply::WaitForTerminal;
        }
        let in_word = self
            .cos_read(pid, dsp + u64::from(DPIN), 1)
            .map_or(0, |w| w[0]);
        let Some(dataset) = self.open_dataset(pid, slot) else {
            return Reply::Status(super::local_datasets::STATUS_NO_DATASET);
        };
        // (The terminal's `$OUT` shows its written words at its close: they stay.)
        let shown = dataset.backing == super::job::Backing::Stdout;
        let mut unblocked = false;
        if !dataset.write_stream.is_empty() && !shown {
            match take_in_written(dataset) {
                Ok(()) => {
                    let block = field(in_word, 16, 39) as usize;
                    let length = read_stream(dataset).len();
                    dataset.read_position = block.saturating_mul(BLOCK_WORDS).min(length);
                }
                // Words that are not a blocked dataset, in a dataset the system never
                // read: an unblocked dataset's, read as they are (see above).
                Err(_) if reads_written_blocks(dataset) => unblocked = true,
                Err(message) => {
                    let name = dataset.name.clone();
                    let text = format!("cray: pid {pid}: {name}: F$WDC data: {message}\n");
                    self.console_mut().message(text.as_bytes());
                    return Reply::Status(super::local_datasets::STATUS_NO_DATASET);
                }
            }
        }
        let start = dataset.read_position;
        let stream = if unblocked {
            block_stream(dataset)
        } else {
            read_stream(dataset)
        };
        let position = start.min(stream.len());
        let room = circle.room();
        let take = room.min(stream.len() - position);
        let at_end = position + take == stream.len();
        let words = stream[position..position + take].to_vec();
        dataset.read_position = position + take;
        let input = self.fill(pid, &circle, &words);
        self.set_pointer(pid, dsp + u64::from(DPIN), input);
        if unblocked {
            let outcome = sequential_outcome(at_end, take, room);
            self.set_read_status(pid, dsp, true, outcome);
        }
        Reply::Status(0)
    }

    /// Copies `words` into the buffer from IN on, wrapping at LIMIT; returns the
    /// new IN.
    fn fill(&mut self, pid: Pid, circle: &Circle, words: &[u64]) -> u64 {
        let head = words.len().min((circle.limit - circle.input) as usize);
        self.cos_write(pid, circle.input, &words[..head]);
        self.cos_write(pid, circle.first, &words[head..]);
        circle.after(circle.input, words.len() as u64)
    }

    /// The `count` words of the buffer from OUT on, wrapping at LIMIT (at most the
    /// buffer's size: the buffer was found inside the field, `circle`).
    fn drain(&self, pid: Pid, circle: &Circle, count: u64) -> Vec<u64> {
        let head = count.min(circle.limit - circle.output);
        let mut words = self.cos_read(pid, circle.output, head).unwrap_or_default();
        words.extend(
            self.cos_read(pid, circle.first, count - head)
                .unwrap_or_default(),
        );
        words
    }

    /// F$RDC with the sign bit of S1 set: the read by block number the library's
    /// `$PBN` makes to position a dataset. IN and OUT carry the block number wanted
    /// in bits 16–39 (their addresses in 40–63). The system reads whole blocks from
    /// there into the buffer at IN, as many as [`Self::block_read_room`] allows, and
    /// advances IN's address and block number past them; later plain reads go on
    /// from the next block. Read at or past the end of the dataset, it reads what is
    /// left and reports the end in DSP word 1 ([`Self::set_read_status`]): `$PBN` takes IN's block
    /// number moving past OUT's as success, and the flag with IN's address unmoved
    /// as a read past the end.
    pub(crate) fn cos_read_by_block(&mut self, pid: Pid, s1: u64) -> Reply {
        let Some((slot, dsp)) = self.cos_resolve(pid, s1, true) else {
            return Reply::Status(super::local_datasets::STATUS_NO_DATASET);
        };
        let Some(circle) = self.circle(pid, dsp) else {
            return Self::bad_address("F$RDC buffer", dsp);
        };
        let in_word = self
            .cos_read(pid, dsp + u64::from(DPIN), 1)
            .map_or(0, |w| w[0]);
        let block = field(in_word, 16, 39);
        let Some(dataset) = self.open_dataset(pid, slot) else {
            return Reply::Status(super::local_datasets::STATUS_NO_DATASET);
        };
        let unblocked = is_unblocked(dataset) || reads_written_blocks(dataset);
        let stream = block_stream(dataset);
        let start = (block as usize)
            .saturating_mul(BLOCK_WORDS)
            .min(stream.len());
        let capacity = Self::block_read_room(&circle);
        let blocks = (capacity / BLOCK_WORDS).min((stream.len() - start).div_ceil(BLOCK_WORDS));
        let end = (start + blocks * BLOCK_WORDS).min(stream.len());
        let at_end = end == stream.len();
        let words = stream[start..end].to_vec();
        dataset.read_position = end;
        let input = self.fill(pid, &circle, &words);
        let in_word = with_field(
            with_field(in_word, 16, 39, block + blocks as u64),
            40,
            63,
            input,
        );
        self.cos_write(pid, dsp + u64::from(DPIN), &[in_word]);
        let outcome = if !at_end {
            BlockRead::Filled
        } else if blocks < capacity / BLOCK_WORDS {
            BlockRead::Short {
                got_words: blocks > 0,
            }
        } else {
            BlockRead::FilledToTheEnd
        };
        self.set_read_status(pid, dsp, unblocked, outcome);
        Reply::Status(0)
    }

    /// Words a read by block number may put in the buffer. Into an empty buffer (IN
    /// at OUT) it is all of it from IN to LIMIT: `$RLB` (AUDIT's at P=072517–072525,
    /// `cray dis audit.bin`) sets FIRST, IN and OUT to its caller's area and LIMIT
    /// past it, a whole number of blocks (P=072516: it refuses any other size), and
    /// the wait routine it calls then counts LIMIT - FIRST words read when the read
    /// ended without an error (P=040507–040513); one word short of OUT, a one-block
    /// area (AUDIT's REPORT re-reading a catalogue page) would get nothing. Otherwise
    /// one word short of OUT, so that a full buffer is not taken for an empty one.
    fn block_read_room(circle: &Circle) -> usize {
        if circle.input == circle.output {
            (circle.limit - circle.input) as usize
        } else {
            circle.room()
        }
    }

    /// The status a read by block number of a dataset (`unblocked` or blocked)
    /// that ended as `outcome` leaves in the DSP: for an unblocked dataset
    /// [`DP_DPERR_STATUS`] and, short, [`DP_EOD_STATUS`]; for a blocked one
    /// [`DP_EOD_STATUS`] when short with words read, [`DP_END_OF_DATA`] at the end
    /// otherwise (a full buffer, or nothing read past the end as `$PBN` checks), and
    /// DPCWF's EOD when short.
    fn set_read_status(&mut self, pid: Pid, dsp: u64, unblocked: bool, outcome: BlockRead) {
        let address = dsp + u64::from(DPFIRST);
        let old = self.cos_read(pid, address, 1).map_or(0, |w| w[0]);
        let mut word = old & !(DP_END_OF_DATA | DP_EOD_STATUS | DP_DPERR_STATUS);
        let short = matches!(outcome, BlockRead::Short { .. });
        if unblocked {
            word |= DP_DPERR_STATUS;
            if short {
                word |= DP_EOD_STATUS;
            }
        } else if outcome == (BlockRead::Short { got_words: true }) {
            // DMP10 reads each dataset it dumps by block number (its F$RDC at
            // P=01306a, F$RCL at P=01303d, `cray dis dmp10.bin`) and, when DPERR
            // (word 1 bits 1–12) is not 0 (P=01300a–01301a), takes bit 1 as the
            // end (P=01330b–01331b, cleared at P=01331d–01333d) and any other bit
            // as `PD918 - I/O ERROR WHILE READING` (P=01615c–01631a, the text at
            // 02106): so a read that got the last blocks reports bit 1, not bit 6.
            word |= DP_EOD_STATUS;
        } else if outcome != BlockRead::Filled {
            word |= DP_END_OF_DATA;
        }
        self.cos_write(pid, address, &[word]);
        self.set_control_word_met(pid, dsp, !unblocked && short);
    }

    /// DPCWF bits 0–3 after a read by block number: EOD when the read stopped at the
    /// end of the dataset before it filled the buffer, nothing otherwise. The
    /// library's wait routine (AUDIT's at P=040546–040553, called by `$RLB` after
    /// its F$RDC at P=072530) returns 0 for DPCWF's EOD or EOF bit (bits 3 and 2:
    /// AUDIT's own accessors DPEOD and DPEOF name them), -1.0 for bit 0 and -2.0
    /// for none, and AUDIT's READDSC (P=014320–014323) reports `AU023 - NO DSC EOF
    /// ENCOUNTERED` when a read of pages past the catalogue's last does not end so.
    fn set_control_word_met(&mut self, pid: Pid, dsp: u64, end_of_data: bool) {
        let address = dsp + u64::from(super::job::DPCWF);
        let word = self.cos_read(pid, address, 1).map_or(0, |w| w[0]);
        let met = if end_of_data { super::bio::CWF_EOD } else { 0 };
        self.cos_write(pid, address, &[with_field(word, 0, 3, met)]);
    }

    /// F$WDC with S1 = DSP.
    pub(crate) fn cos_write_circular(&mut self, pid: Pid, s1: u64) -> Reply {
        let Some((slot, dsp)) = self.cos_resolve(pid, s1, true) else {
            return Reply::Status(super::local_datasets::STATUS_NO_DATASET);
        };
        let Some(circle) = self.circle(pid, dsp) else {
            return Self::bad_address("F$WDC buffer", dsp);
        };
        self.take_written(pid, slot, dsp, &circle, true);
        Reply::Status(0)
    }

    /// F$WDC with the sign bit of S1 set: the write by block number, the
    /// counterpart of [`Self::cos_read_by_block`]. OUT and IN carry block numbers in
    /// bits 16–39 (their addresses in 40–63): the words from OUT to IN are the
    /// dataset's blocks from OUT's block number up to IN's, and the system writes
    /// them there and moves OUT, address and block number, to IN. PLD10 writes each
    /// dataset it loads so (`cray dis pld10.bin`): from OUT at FIRST, block 0, it
    /// sets IN one block on, address and block number (P=0662d–0671d), gives
    /// F$WDC its DSP with the sign bit (P=0673c–0674d), and when the DSP is not
    /// busy (word 1 bit 0, P=0700b–0702a) takes DPERR (word 1 bits 1–12) not zero,
    /// or IN's block number not OUT's, as `PD811 - IO ERROR WHILE LOADING DATA`
    /// (P=0705b–0712c). Served for a dataset the system has not read into, whose
    /// written words are the dataset: the blocks go where their number says.
    pub(crate) fn cos_write_by_block(&mut self, pid: Pid, s1: u64) -> Reply {
        let Some((slot, dsp)) = self.cos_resolve(pid, s1, true) else {
            return Reply::Status(super::local_datasets::STATUS_NO_DATASET);
        };
        let Some(circle) = self.circle(pid, dsp) else {
            return Self::bad_address("F$WDC buffer", dsp);
        };
        let Some([in_word, out_word]) = self
            .cos_read(pid, dsp + u64::from(DPIN), 2)
            .and_then(|w| <[u64; 2]>::try_from(w).ok())
        else {
            return Self::bad_address("F$WDC DSP", dsp);
        };
        let (start, mut end) = (field(out_word, 16, 39), field(in_word, 16, 39));
        // IN at OUT with blocks to write: the whole buffer, as a read by block
        // number fills an empty one whole (`block_read_room`).
        let whole = end.saturating_sub(start) * BLOCK_WORDS as u64 == circle.size();
        let given = match circle.used() {
            0 if whole => circle.size(),
            // IN at OUT, address and block: the words from OUT to LIMIT, the blocks
            // from OUT's on. The library's `$WLB` (GENCAT's at 63030d–63046a,
            // parcels 0314063–0314230) sets FIRST, OUT and IN to its caller's area
            // and LIMIT past it (refusing an area that is not whole blocks below
            // JCHLM) and asks for the write with nothing between OUT and IN.
            0 if start == end => {
                let words = circle.limit - circle.output;
                end = start + words / BLOCK_WORDS as u64;
                words
            }
            used => used,
        };
        let words = self.drain(pid, &circle, given);
        let placed = match self.open_dataset(pid, slot) {
            Some(dataset) => place_blocks(dataset, start, end, words),
            None => return Reply::Status(super::local_datasets::STATUS_NO_DATASET),
        };
        if let Err(message) = placed {
            // OUT stays: the program sees the blocks unwritten (PLD10: PD811).
            let text = format!("cray: pid {pid}: F$WDC by block number: {message}\n");
            self.console_mut().message(text.as_bytes());
            return Reply::Status(0);
        }
        let out_word = with_field(with_field(out_word, 16, 39, end), 40, 63, circle.input);
        self.cos_write(pid, dsp + u64::from(DPOUT), &[out_word]);
        Reply::Status(0)
    }

    /// The words from OUT to IN of the buffer of the DSP at `dsp` go to dataset
    /// `slot`'s written stream, and OUT moves past them. With `whole_blocks` (F$WDC)
    /// only the words that end a block of the stream are taken
    /// ([`whole_block_words`]): the system wrote a dataset's blocks whole, so the
    /// words of a block the library is still filling stay in the buffer, where it
    /// goes on setting the forward index of the last control word it wrote (DMP10's
    /// `$PDS`: block 1's BCW is written with FWI 0 and set to 1 when the header
    /// record's EOR follows); the close takes them. A dataset the system read keeps
    /// F$WDC taking every word: its close does not look in the buffer
    /// (`cos_write_buffer_at_close`).
    fn take_written(&mut self, pid: Pid, slot: u32, dsp: u64, circle: &Circle, whole_blocks: bool) {
        let mut words = self.drain(pid, circle, circle.used());
        let Some(dataset) = self.open_dataset(pid, slot) else {
            return;
        };
        let written = &dataset.write_stream;
        if whole_blocks && dataset.read_stream.is_none() && !ends_dataset(written, &words) {
            let given = words.len() as u64;
            let take = whole_block_words(written.len() as u64, given, circle.size());
            words.truncate(take as usize);
        }
        let taken = words.len() as u64;
        dataset.write_stream.extend(words);
        self.set_pointer(
            pid,
            dsp + u64::from(DPOUT),
            circle.after(circle.output, taken),
        );
    }

    /// At the close of dataset `slot` (F$CLS, or its program's end), what its
    /// program left in the buffer of its DSP above JCDSP is written, as the system's
    /// close writes out a dataset's buffer: the words from OUT to IN not yet given
    /// to F$WDC, the last, unfinished block among them (`take_written`). Only for a
    /// dataset the system never read into that buffer (no F$RDC), where the words
    /// from OUT to IN can only be the program's.
    pub(crate) fn cos_write_buffer_at_close(&mut self, pid: Pid, slot: u32) {
        let Some(job) = self.processes.get(&pid).and_then(|p| p.cos.as_ref()) else {
            return;
        };
        let Some(dataset) = job.open.get(&slot) else {
            return;
        };
        if dataset.read_stream.is_some() {
            return;
        }
        let dsp = u64::from(job.dsp_address(slot));
        let Some(circle) = self.circle(pid, dsp) else {
            return;
        };
        if circle.input != circle.output {
            self.take_written(pid, slot, dsp, &circle, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cos::bits::ascii_word;
    use crate::cos::dataset::{block, DatasetItem};

    /// A job with `$USER` open and holding three 400-word records (three blocks and
    /// a bit of blocked form); returns the system, pid, slot, DSP, FIRST and that
    /// form.
    fn job_with_a_dataset(dir: &std::path::Path) -> (System, Pid, u32, u64, u64, Vec<u64>) {
        let (mut system, pid) = crate::cos::loader::test_job(dir);
        let slot = system.cos_open_name(pid, "$USER").unwrap();
        let items: Vec<DatasetItem> = (0..3u64)
            .map(|r| DatasetItem::Record {
                words: (0..400).map(|w| r << 32 | w).collect(),
                unused_bits: 0,
            })
            .chain([DatasetItem::EndOfFile, DatasetItem::EndOfData])
            .collect();
        let stream = block(&items).unwrap();
        system.open_dataset(pid, slot).unwrap().items = items;
        let dsp = u64::from(
            system.processes[&pid]
                .cos
                .as_ref()
                .unwrap()
                .dsp_address(slot),
        );
        let first = address_field(system.cos_read(pid, dsp + u64::from(DPFIRST), 1).unwrap()[0]);
        (system, pid, slot, dsp, first, stream)
    }

    /// Asks for block `number` into the empty buffer, as `$PBN` does; returns DSP
    /// words 1 and 2 (FIRST, IN) after it.
    fn read_block(system: &mut System, pid: Pid, dsp: u64, first: u64, number: u64) -> (u64, u64) {
        let pointer = number << 24 | first;
        for word in [DPIN, DPOUT] {
            assert!(system.cos_write(pid, dsp + u64::from(word), &[pointer]));
        }
        assert!(matches!(
            system.cos_read_by_block(pid, 1 << 63 | dsp),
            Reply::Status(0)
        ));
        let words = system.cos_read(pid, dsp + 1, 2).unwrap();
        (words[0], words[1])
    }

    /// F$WDC words that begin with block k's BCW take the place of the blocks of a
    /// dataset the system read from block k on, in place: the dataset's end where
    /// they end it, the blocks after them kept when they are whole blocks without
    /// an EOD. A dataset never read is what was written; a block past the end of
    /// the dataset is refused.
    #[test]
    fn written_blocks_replace_those_of_the_dataset_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid, slot, _, _, stream) = job_with_a_dataset(dir.path());
        let dataset = system.open_dataset(pid, slot).unwrap();
        // Never read: the words are the dataset.
        assert_eq!(written_form(dataset, vec![1, 2]), Ok(vec![1, 2]));
        read_stream(dataset);
        let tail = stream[BLOCK_WORDS..].to_vec();
        assert_eq!(written_form(dataset, tail), Ok(stream.clone()));
        assert_eq!(written_form(dataset, stream.clone()), Ok(stream.clone()));
        // Block 1 rewritten in place: blocks 0 and 2 stay.
        let mut changed = stream[BLOCK_WORDS..2 * BLOCK_WORDS].to_vec();
        changed[7] = 0o7777;
        let mut expected = stream.clone();
        expected[BLOCK_WORDS + 7] = 0o7777;
        assert_eq!(written_form(dataset, changed), Ok(expected));
        let far = vec![super::super::bits::with_field(0, 31, 54, 9), 0];
        let refused = written_form(dataset, far).unwrap_err();
        assert!(refused.contains("block 9"), "{refused}");
    }

    /// A dataset the program wrote, rewound by its library (FIRST, IN and OUT back
    /// at FIRST, no request: TEDI's `$TEDIIN`) and read again gives the words
    /// written, from block 0; without the written words the read would give the
    /// dataset as it was opened.
    #[test]
    fn a_read_after_writes_reads_the_dataset_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid, slot, dsp) = job_writing(dir.path(), "WORK", 2 * BLOCK_WORDS as u64);
        let first = address_field(system.cos_read(pid, dsp + u64::from(DPFIRST), 1).unwrap()[0]);
        let items = vec![
            DatasetItem::Record {
                words: vec![ascii_word("line one"), ascii_word("line two")],
                unused_bits: 0,
            },
            DatasetItem::EndOfFile,
            DatasetItem::EndOfData,
        ];
        let written = block(&items).unwrap();
        assert_eq!(
            write_through(&mut system, pid, dsp, &written, 1),
            written.len()
        );
        // The library's rewind.
        for word in [DPIN, DPOUT] {
            assert!(system.cos_write(pid, dsp + u64::from(word), &[first]));
        }
        assert!(matches!(
            system.cos_read_circular(pid, dsp),
            Reply::Status(0)
        ));
        let input = address_field(system.cos_read(pid, dsp + u64::from(DPIN), 1).unwrap()[0]);
        assert_eq!(input - first, written.len() as u64);
        assert_eq!(system.cos_read(pid, first, input - first).unwrap(), written);
        assert_eq!(system.open_dataset(pid, slot).unwrap().items, items);
    }

    /// F$WDC takes an unfinished last block whole when it ends with the EOD (the
    /// library wrote the dataset's end), so that a rewind right after it (FIRST,
    /// IN and OUT back at FIRST: TEDI's `$TEDISW`) leaves nothing behind; without
    /// the EOD the block stays in the buffer (DMP10's `$PDS`).
    #[test]
    fn a_write_that_ends_the_dataset_is_taken_whole() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid, slot, dsp) = job_writing(dir.path(), "WORK", 2 * BLOCK_WORDS as u64);
        let first = address_field(system.cos_read(pid, dsp + u64::from(DPFIRST), 1).unwrap()[0]);
        let items = vec![
            DatasetItem::Record {
                words: vec![ascii_word("switches")],
                unused_bits: 0,
            },
            DatasetItem::EndOfData,
        ];
        let written = block(&items).unwrap();
        // Without its EOD the block stays in the buffer; with it, written whole.
        let (most, eod) = written.split_at(written.len() - 1);
        assert_eq!(write_through(&mut system, pid, dsp, most, 1), most.len());
        assert!(system
            .open_dataset(pid, slot)
            .unwrap()
            .write_stream
            .is_empty());
        assert_eq!(write_through(&mut system, pid, dsp, eod, 1), 1);
        assert_eq!(
            system.open_dataset(pid, slot).unwrap().write_stream,
            written
        );
        for word in [DPIN, DPOUT] {
            assert!(system.cos_write(pid, dsp + u64::from(word), &[first]));
        }
        system.cos_write_buffer_at_close(pid, slot);
        assert_eq!(
            system.open_dataset(pid, slot).unwrap().write_stream,
            written
        );
    }

    /// An unblocked dataset (a catalogue F$PDM made local: its pages, no items) read
    /// by block number: the status goes to DPERR, EOD for the read that stops short
    /// at its end, nothing in DPCWF or bit 6; a read that fills the buffer has none.
    #[test]
    fn an_unblocked_dataset_read_by_block_reports_its_end_in_dperr() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid, slot, dsp, first, _) = job_with_a_dataset(dir.path());
        let dataset = system.open_dataset(pid, slot).unwrap();
        dataset.items.clear();
        dataset.read_stream = Some((0..3 * BLOCK_WORDS as u64).collect());
        let status = |system: &System| {
            let word = system.cos_read(pid, dsp + 1, 1).unwrap()[0];
            let cwf = system
                .cos_read(pid, dsp + u64::from(super::super::job::DPCWF), 1)
                .unwrap()[0];
            (
                word & (DP_DPERR_STATUS | DP_EOD_STATUS | DP_END_OF_DATA),
                field(cwf, 0, 3),
            )
        };
        read_block(&mut system, pid, dsp, first, 0);
        assert_eq!(
            status(&system),
            (DP_DPERR_STATUS, 0),
            "two blocks, the buffer full"
        );
        read_block(&mut system, pid, dsp, first, 2);
        assert_eq!(
            status(&system),
            (DP_DPERR_STATUS | DP_EOD_STATUS, 0),
            "short at the end"
        );
        read_block(&mut system, pid, dsp, first, 1);
        assert_eq!(status(&system), (DP_DPERR_STATUS, 0), "the end is not kept");
    }

    /// Opens `name` (never read) in a test job with a buffer of `size` words from
    /// its DSP's FIRST, IN and OUT at FIRST; returns the system, pid, slot and DSP.
    fn job_writing(dir: &std::path::Path, name: &str, size: u64) -> (System, Pid, u32, u64) {
        let (mut system, pid) = crate::cos::loader::test_job(dir);
        let slot = system.cos_open_name(pid, name).unwrap();
        let job = system.processes[&pid].cos.as_ref().unwrap();
        let dsp = u64::from(job.dsp_address(slot));
        let first = address_field(system.cos_read(pid, dsp + u64::from(DPFIRST), 1).unwrap()[0]);
        for word in [DPIN, DPOUT] {
            system.set_pointer(pid, dsp + u64::from(word), first);
        }
        system.set_pointer(pid, dsp + u64::from(DPLIMIT), first + size);
        assert!(system.circle(pid, dsp).is_some(), "the buffer fits");
        (system, pid, slot, dsp)
    }

    /// Does what the library's writer does with `words`: puts as many as there is
    /// room for at IN and gives them to F$WDC, again and again, at most `tries`
    /// times; returns how many words it put in the buffer.
    fn write_through(
        system: &mut System,
        pid: Pid,
        dsp: u64,
        words: &[u64],
        tries: usize,
    ) -> usize {
        let mut put = 0;
        for _ in 0..tries {
            let circle = system.circle(pid, dsp).unwrap();
            let take = circle.room().min(words.len() - put);
            let input = system.fill(pid, &circle, &words[put..put + take]);
            system.set_pointer(pid, dsp + u64::from(DPIN), input);
            put += take;
            assert!(matches!(
                system.cos_write_circular(pid, dsp),
                Reply::Status(0)
            ));
            if put == words.len() {
                break;
            }
        }
        put
    }

    fn records(count: u64, length: u64) -> Vec<DatasetItem> {
        (0..count)
            .map(|r| DatasetItem::Record {
                words: (0..length).map(|w| r << 32 | w).collect(),
                unused_bits: 0,
            })
            .chain([DatasetItem::EndOfFile, DatasetItem::EndOfData])
            .collect()
    }

    /// F$WDC leaves the unfinished block of a dataset never read in the buffer only
    /// while the buffer keeps room for a whole block besides it.
    #[test]
    fn f_wdc_leaves_the_unfinished_block_only_with_room_for_another() {
        let block = BLOCK_WORDS as u64;
        assert_eq!(whole_block_words(0, 600, 2 * block), block);
        assert_eq!(whole_block_words(100, 600, 2 * block), block - 100);
        assert_eq!(whole_block_words(0, 511, 2 * block), 0, "512 words of room");
        assert_eq!(
            whole_block_words(0, 511, block),
            511,
            "one block: the buffer full"
        );
        assert_eq!(whole_block_words(0, 300, 700), 300, "no room for a block");
        assert_eq!(whole_block_words(0, 0, block), 0);
    }

    /// A buffer of one block (LIMIT - FIRST = 512) never holds a whole block (one
    /// word short of OUT): F$WDC takes what is given, the writer is not left
    /// waiting for room, and the dataset closes to what was written.
    #[test]
    fn a_one_block_buffer_drains_through_f_wdc() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid, slot, dsp) = job_writing(dir.path(), "FT07", BLOCK_WORDS as u64);
        let items = records(4, 300);
        let stream = block(&items).unwrap();
        assert!(stream.len() > 2 * BLOCK_WORDS);
        let put = write_through(&mut system, pid, dsp, &stream, 20);
        assert_eq!(put, stream.len(), "the writer got room every time");
        let circle = system.circle(pid, dsp).unwrap();
        assert_eq!(circle.input, circle.output, "all taken");
        let dataset = system.open_dataset(pid, slot).unwrap();
        assert_eq!(dataset.write_stream, stream);
        system.cos_flush_all(pid).unwrap();
        assert_eq!(system.open_dataset(pid, slot).unwrap().items, items);
    }

    /// Sets OUT and IN of `dsp` to addresses `out`, `input` and block numbers
    /// `from`, `to`, and writes by block number (F$WDC with the sign bit).
    fn write_blocks(
        system: &mut System,
        pid: Pid,
        dsp: u64,
        (out, from): (u64, u64),
        (input, to): (u64, u64),
    ) {
        assert!(system.cos_write(pid, dsp + u64::from(DPOUT), &[from << 24 | out]));
        assert!(system.cos_write(pid, dsp + u64::from(DPIN), &[to << 24 | input]));
        assert!(matches!(
            system.cos_write_by_block(pid, 1 << 63 | dsp),
            Reply::Status(0)
        ));
    }

    /// The write by block number, as PLD10 makes it: the blocks from OUT to IN go
    /// where OUT's block number says, OUT moves to IN (address and block number);
    /// a block rewritten keeps those after it; words that are not the blocks the
    /// numbers name, or a block past the end, leave OUT where it was.
    #[test]
    fn a_write_by_block_number_puts_the_blocks_where_out_says() {
        let dir = tempfile::tempdir().unwrap();
        let size = 4 * BLOCK_WORDS as u64;
        let (mut system, pid, slot, dsp) = job_writing(dir.path(), "WRITE", size);
        let first = system.circle(pid, dsp).unwrap().first;
        let stream = block(&records(4, 300)).unwrap();
        assert!(stream.len() > 2 * BLOCK_WORDS && stream.len() < 3 * BLOCK_WORDS);
        let mut padded = stream.clone();
        padded.resize(3 * BLOCK_WORDS, 0);
        system.fill(pid, &system.circle(pid, dsp).unwrap(), &padded);
        let block_words = BLOCK_WORDS as u64;
        let out_of = |system: &System| system.cos_read(pid, dsp + u64::from(DPOUT), 1).unwrap()[0];
        // Blocks 0 and 1, then 2.
        write_blocks(
            &mut system,
            pid,
            dsp,
            (first, 0),
            (first + 2 * block_words, 2),
        );
        assert_eq!(out_of(&system), 2 << 24 | (first + 2 * block_words));
        let at = first + 2 * block_words;
        write_blocks(&mut system, pid, dsp, (at, 2), (at + block_words, 3));
        assert_eq!(system.open_dataset(pid, slot).unwrap().write_stream, padded);
        // Block 1 again, changed: blocks 0 and 2 stay.
        assert!(system.cos_write(pid, first + block_words + 7, &[0o7777]));
        write_blocks(&mut system, pid, dsp, (first + block_words, 1), (at, 2));
        padded[BLOCK_WORDS + 7] = 0o7777;
        assert_eq!(system.open_dataset(pid, slot).unwrap().write_stream, padded);
        // Refused: a block and a half for one block, and block 5 of three.
        let console = system.console().captured_stderr().len();
        for (out, input) in [
            ((first, 0), (first + 700, 1)),
            ((first, 5), (first + block_words, 6)),
        ] {
            write_blocks(&mut system, pid, dsp, out, input);
            assert_eq!(out_of(&system), out.1 << 24 | out.0, "OUT unmoved");
        }
        let said =
            String::from_utf8_lossy(&system.console().captured_stderr()[console..]).to_string();
        assert!(
            said.contains("700 word(s) between OUT and IN for blocks 0 to 1"),
            "{said}"
        );
        assert!(said.contains("block 5 is past"), "{said}");
        assert_eq!(system.open_dataset(pid, slot).unwrap().write_stream, padded);
        // Nothing left in the buffer: the close ends the dataset at its EOD.
        system.set_pointer(pid, dsp + u64::from(DPIN), first);
        system.set_pointer(pid, dsp + u64::from(DPOUT), first);
        system.cos_flush_all(pid).unwrap();
        let expected = crate::cos::dataset::deblock_closing(&padded).unwrap();
        assert_ne!(expected, records(4, 300), "the word changed is data");
        assert!(system.open_dataset(pid, slot).unwrap().items == expected);
    }

    /// The write by block number as the library's `$WLB` makes it (GENCAT's
    /// catalogue regions): FIRST, OUT and IN all at the caller's area, LIMIT past
    /// it, so the whole area is the blocks from OUT's block number on. A new
    /// dataset written so reads back, by block number, what was written, and a
    /// block written again takes its place.
    #[test]
    fn a_whole_area_written_by_block_number_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let block_words = BLOCK_WORDS as u64;
        let (mut system, pid, slot, dsp) = job_writing(dir.path(), "REGION", 3 * block_words);
        let first = system.circle(pid, dsp).unwrap().first;
        let region: Vec<u64> = (0..3 * block_words).map(|i| i * 3 + 1).collect();
        assert!(system.cos_write(pid, first, &region));
        let console = system.console().captured_stderr().len();
        write_blocks(&mut system, pid, dsp, (first, 0), (first, 0));
        assert_eq!(system.open_dataset(pid, slot).unwrap().write_stream, region);
        // Block 1 rewritten alone: a one-block area at OUT, IN with it.
        let limit = |system: &mut System, to: u64| {
            system.set_pointer(pid, dsp + u64::from(DPLIMIT), to);
        };
        limit(&mut system, first + block_words);
        assert!(system.cos_write(pid, first, &[0o7777; BLOCK_WORDS]));
        write_blocks(&mut system, pid, dsp, (first, 1), (first, 1));
        let mut expected = region.clone();
        expected[BLOCK_WORDS..2 * BLOCK_WORDS].fill(0o7777);
        assert_eq!(
            system.open_dataset(pid, slot).unwrap().write_stream,
            expected
        );
        // Read back by block number: block 2 into the one-block area.
        assert!(system.cos_write(pid, first, &[0; BLOCK_WORDS]));
        for word in [DPIN, DPOUT] {
            assert!(system.cos_write(pid, dsp + u64::from(word), &[2 << 24 | first]));
        }
        assert!(matches!(
            system.cos_read_by_block(pid, 1 << 63 | dsp),
            Reply::Status(0)
        ));
        let read = system.cos_read(pid, first, block_words).unwrap();
        assert_eq!(read, expected[2 * BLOCK_WORDS..], "the written block 2");
        assert!(
            system.console().captured_stderr()[console..].is_empty(),
            "no complaint"
        );
    }

    /// `$OUT` written with F$WDC to its EOD: F$WDC takes the last block whole, and
    /// the program's end (the close) shows every record on the terminal.
    #[test]
    fn out_written_by_f_wdc_is_shown_at_its_close() {
        let dir = tempfile::tempdir().unwrap();
        let size = 2 * BLOCK_WORDS as u64;
        let (mut system, pid, slot, dsp) = job_writing(dir.path(), "$OUT", size);
        let items: Vec<DatasetItem> = ["HELLO", "WORLD"]
            .iter()
            .map(|text| DatasetItem::Record {
                words: vec![ascii_word(text)],
                unused_bits: 24,
            })
            .chain([DatasetItem::EndOfFile, DatasetItem::EndOfData])
            .collect();
        let stream = block(&items).unwrap();
        assert_eq!(
            write_through(&mut system, pid, dsp, &stream, 1),
            stream.len()
        );
        // It ends with the EOD, so F$WDC took it whole; the console shows it at the
        // close, as before.
        assert_eq!(system.open_dataset(pid, slot).unwrap().write_stream, stream);
        assert_eq!(system.console().captured_stdout(), b"");
        system.cos_flush_all(pid).unwrap();
        assert_eq!(system.console().captured_stdout(), b"HELLO\nWORLD\n");
    }

    #[test]
    fn a_read_by_block_number_fills_whole_blocks_and_moves_in_past_them() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid, slot, dsp, first, stream) = job_with_a_dataset(dir.path());
        assert!(stream.len() > 2 * BLOCK_WORDS && stream.len() < 3 * BLOCK_WORDS);

        // Block 0 into the empty buffer of two blocks: blocks 0 and 1 fill it to
        // LIMIT (IN back at FIRST); a flag left from before is cleared.
        let flagged = system.cos_read(pid, dsp + 1, 1).unwrap()[0] | DP_END_OF_DATA;
        assert!(system.cos_write(pid, dsp + 1, &[flagged]));
        let (first_word, input) = read_block(&mut system, pid, dsp, first, 0);
        assert_eq!(first_word & DP_END_OF_DATA, 0);
        assert_eq!(field(input, 16, 39), 2, "IN's block number moved past them");
        assert_eq!(address_field(input), first);
        let read = system.cos_read(pid, first, 2 * BLOCK_WORDS as u64).unwrap();
        assert_eq!(read, stream[..2 * BLOCK_WORDS]);
        // A plain read goes on from block 2.
        let position = system.open_dataset(pid, slot).unwrap().read_position;
        assert_eq!(position, 2 * BLOCK_WORDS);

        // The last block: what is left, and the end of data in DPERR's bit 1 (the
        // read stopped short with words read: DMP10's rule, `set_read_status`).
        let (first_word, input) = read_block(&mut system, pid, dsp, first, 2);
        assert_eq!(first_word & (DP_END_OF_DATA | DP_EOD_STATUS), DP_EOD_STATUS);
        assert_eq!(address_field(first_word), first, "FIRST kept");
        assert_eq!(
            address_field(input),
            first + (stream.len() - 2 * BLOCK_WORDS) as u64
        );

        // Past the end: nothing read, IN unmoved, the end of data.
        let (first_word, input) = read_block(&mut system, pid, dsp, first, 7);
        assert_ne!(first_word & DP_END_OF_DATA, 0);
        assert_eq!((field(input, 16, 39), address_field(input)), (7, first));
        assert_eq!(
            system.cos_read(pid, dsp, 1).unwrap()[0],
            ascii_word("$USER")
        );
    }
}
