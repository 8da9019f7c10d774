//! The copy and positioning verbs every deck uses, built in: COPYR, COPYF, COPYD
//! (records, files, the rest of a dataset from `I=` to `O=`) and SKIPR, SKIPF, SKIPD
//! (move `DN=` forward or back over records or files, or to its end).
//!
//! A local dataset is a sequence of records, EOFs and the EOD (COS blocked format,
//! SR-0011 part 2 section 3); its position is the item the next read starts at.
//! What the emulator does, where the manual pages at hand left it open:
//! - Defaults: `I=$IN`, `O=$OUT`, `DN=$IN`; a count (`NR=`, `NF=`) defaults to 1,
//!   and `*` (or the keyword alone) means "all" (to the EOF for records, to the EOD
//!   for files).
//! - Record verbs stay inside the current file: COPYR and SKIPR stop in front of an
//!   EOF or the EOD (the next file is reached with SKIPF), and a backward SKIPR stops
//!   at the start of the current file.
//! - File verbs count EOFs: COPYF copies each file with its EOF and SKIPF moves past
//!   the EOF; both stop at the EOD. A backward SKIPF (`NF=-n`) moves to the start of
//!   the n-th file back, the current file counting as the first when the position is
//!   inside it.
//! - Writing to `O=` replaces what followed its position (sequential datasets are
//!   written at their end); `O=$OUT` without a local `$OUT` prints the records as text
//!   lines, as DISPOSE does.

use super::run::VerbResult;
use super::statement::Statement;
use super::{dataset_bytes, JobDataset};
use crate::cos::dataset::{expand_blanks, unpack_line, DatasetItem};
use crate::cos::System;
use crate::system::Pid;

/// How many records or files a verb moves over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Count {
    /// This many (negative: backward, for the SKIP verbs).
    Exactly(i64),
    /// To the end (EOF for records, EOD for files and datasets).
    All,
}

/// What a copy or skip went over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Moved {
    /// Records copied or skipped.
    records: u64,
    /// EOFs copied or skipped.
    files: u64,
}

/// The unit a verb counts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Record,
    File,
    Dataset,
}

impl Unit {
    fn of(verb: &str) -> Unit {
        match &verb[verb.len() - 1..] {
            "R" => Unit::Record,
            "F" => Unit::File,
            _ => Unit::Dataset,
        }
    }

    /// The count keyword of the verbs in this unit.
    fn keyword(self) -> &'static str {
        match self {
            Unit::Record => "NR",
            Unit::File => "NF",
            Unit::Dataset => "",
        }
    }
}

/// Where `count` records or files forward from `from` ends, and what it passed
/// (`items` ends with the EOD).
fn forward(items: &[DatasetItem], from: usize, unit: Unit, count: Count) -> (usize, Moved) {
    let mut at = from;
    let mut moved = Moved::default();
    let done = |moved: &Moved| match (unit, count) {
        (Unit::Record, Count::Exactly(n)) => moved.records >= n.max(0) as u64,
        (Unit::File, Count::Exactly(n)) => moved.files >= n.max(0) as u64,
        _ => false,
    };
    while at < items.len() && !done(&moved) {
        match &items[at] {
            DatasetItem::EndOfData => break,
            DatasetItem::EndOfFile if unit == Unit::Record => break,
            DatasetItem::EndOfFile => moved.files += 1,
            DatasetItem::Record { .. } => moved.records += 1,
        }
        at += 1;
    }
    (at, moved)
}

/// Where `count` records or files backward from `from` ends (a record skip stops at
/// the start of the current file, a file skip at the start of the dataset).
fn backward(items: &[DatasetItem], from: usize, unit: Unit, count: u64) -> (usize, Moved) {
    let mut moved = Moved::default();
    let from = from.min(items.len().saturating_sub(1));
    if unit == Unit::Record {
        let mut at = from;
        while at > 0 && moved.records < count {
            if items[at - 1] == DatasetItem::EndOfFile {
                break;
            }
            at -= 1;
            moved.records += 1;
        }
        return (at, moved);
    }
    // File starts strictly before the position, nearest first.
    let starts = (0..from)
        .rev()
        .filter(|&i| i == 0 || items[i - 1] == DatasetItem::EndOfFile);
    let mut at = from;
    for start in starts.take(count as usize) {
        moved.files += 1;
        at = start;
    }
    if moved.files < count {
        at = 0;
    }
    (at, moved)
}

impl System {
    /// COPYR, COPYF, COPYD.
    pub(super) fn copy_verb(&mut self, pid: Pid, s: &Statement) -> VerbResult {
        let unit = Unit::of(&s.verb);
        known_parameters(s, &["I", "O"], unit)?;
        let input = s.value("I").unwrap_or("$IN").to_string();
        let output = s.value("O").unwrap_or("$OUT").to_string();
        if input == output {
            return Err(format!(
                " {}: I= and O= name the same dataset {input}",
                s.verb
            ));
        }
        let count = count_of(s, unit)?;
        if matches!(count, Count::Exactly(n) if n < 0) {
            return Err(format!(
                " {}: {}= must not be negative",
                s.verb,
                unit.keyword()
            ));
        }
        let deck = self.deck_of_mut(pid).ok_or("no deck")?;
        let source = deck
            .datasets
            .get(&input)
            .ok_or_else(|| format!(" {}: {input} is not a local dataset of the job", s.verb))?;
        let from = source.position.min(source.items.len() - 1);
        let (to, moved) = forward(&source.items, from, unit, count);
        let copied = source.items[from..to].to_vec();
        self.write_records(pid, &s.verb, &output, copied)?;
        if let Some(source) = self
            .deck_of_mut(pid)
            .and_then(|d| d.datasets.get_mut(&input))
        {
            source.position = to;
        }
        self.job_log(format!(
            " {}: {} RECORDS, {} FILES COPIED FROM {input} TO {output}",
            s.verb, moved.records, moved.files
        ));
        Ok(())
    }

    /// SKIPR, SKIPF, SKIPD.
    pub(super) fn skip_verb(&mut self, pid: Pid, s: &Statement) -> VerbResult {
        let unit = Unit::of(&s.verb);
        known_parameters(s, &["DN"], unit)?;
        let name = s.value("DN").unwrap_or("$IN").to_string();
        let count = count_of(s, unit)?;
        let deck = self.deck_of_mut(pid).ok_or("no deck")?;
        let dataset = deck
            .datasets
            .get_mut(&name)
            .ok_or_else(|| format!(" {}: {name} is not a local dataset of the job", s.verb))?;
        let from = dataset.position.min(dataset.items.len() - 1);
        let (to, moved) = match count {
            Count::Exactly(n) if n < 0 => backward(&dataset.items, from, unit, n.unsigned_abs()),
            _ => forward(&dataset.items, from, unit, count),
        };
        dataset.position = to;
        self.job_log(format!(
            " {}: {} RECORDS, {} FILES SKIPPED ON {name}",
            s.verb, moved.records, moved.files
        ));
        Ok(())
    }

    /// Writes `records` to local dataset `output` of `pid`'s job at its position
    /// (what followed it is dropped, and an EOD ends it), within the room the job's
    /// datasets have; or, for `$OUT` when the job has no local `$OUT`, prints them
    /// on the terminal as text lines. `verb` names the statement in a refusal.
    pub(super) fn write_records(
        &mut self,
        pid: Pid,
        verb: &str,
        output: &str,
        records: Vec<DatasetItem>,
    ) -> VerbResult {
        let deck = self.deck_of_mut(pid).ok_or("no deck")?;
        if output == "$OUT" && !deck.datasets.contains_key("$OUT") {
            self.print_records(pid, &records);
            return Ok(());
        }
        let eod = dataset_bytes(&[DatasetItem::EndOfData]);
        let kept = deck.datasets.get(output).map_or(eod, |target| {
            let end = target.position.min(target.items.len());
            dataset_bytes(&target.items[..end]) + eod
        });
        deck.room_for(output, kept + dataset_bytes(&records))
            .map_err(|e| format!(" {verb}: {e}"))?;
        let target = deck
            .datasets
            .entry(output.to_string())
            .or_insert_with(JobDataset::empty);
        target
            .items
            .truncate(target.position.min(target.items.len()));
        target.items.extend(records);
        target.items.push(DatasetItem::EndOfData);
        target.position = target.items.len() - 1;
        target.modified = true;
        Ok(())
    }

    /// Prints the records of `items` on the terminal as text lines.
    fn print_records(&mut self, pid: Pid, items: &[DatasetItem]) {
        let mut text = String::new();
        for item in items {
            if let DatasetItem::Record { words, unused_bits } = item {
                let line = unpack_line(words, *unused_bits).unwrap_or_else(|_| "?".into());
                text.push_str(&expand_blanks(&line));
                text.push('\n');
            }
        }
        if let Err(failure) = self.console_mut().stdout(text.as_bytes()) {
            self.host_write_failed(pid, "standard output", &failure, "no error status");
        }
    }
}

/// Refuses a parameter of statement `s` that is not one of `datasets` (`I`, `O` or
/// `DN`), its unit's count (`NR`, `NF`; COPYD and SKIPD have none) or NA: a
/// misspelt count (`SKIPD,NR=2`, `COPYF,N=2`) was taken as none, and the verb moved
/// over one file, or the whole dataset, without a word.
fn known_parameters(s: &Statement, datasets: &[&str], unit: Unit) -> Result<(), String> {
    let mut known = datasets.to_vec();
    if unit != Unit::Dataset {
        known.push(unit.keyword());
    }
    known.push("NA");
    s.refuse_unknown_keywords(&known)
}

/// The count of statement `s` (`NR=` or `NF=`): 1 by default, `*` or the keyword
/// alone for all; COPYD and SKIPD always go to the EOD.
fn count_of(s: &Statement, unit: Unit) -> Result<Count, String> {
    if unit == Unit::Dataset {
        return Ok(Count::All);
    }
    let keyword = unit.keyword();
    match s.values(keyword) {
        None => Ok(if s.flag(keyword) {
            Count::All
        } else {
            Count::Exactly(1)
        }),
        Some(values) => match values.first().map(String::as_str) {
            None | Some("") | Some("*") => Ok(Count::All),
            Some(text) => text.parse::<i64>().map(Count::Exactly).map_err(|_| {
                format!(
                    " {}: {keyword}={text} is not a count (a number or *)",
                    s.verb
                )
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: u64) -> DatasetItem {
        DatasetItem::Record {
            words: vec![n],
            unused_bits: 0,
        }
    }

    /// r1 r2 EOF r3 EOF r4 EOD
    fn sample() -> Vec<DatasetItem> {
        vec![
            record(1),
            record(2),
            DatasetItem::EndOfFile,
            record(3),
            DatasetItem::EndOfFile,
            record(4),
            DatasetItem::EndOfData,
        ]
    }

    #[test]
    fn record_moves_stop_at_the_eof() {
        let items = sample();
        let m = |records, files| Moved { records, files };
        assert_eq!(
            forward(&items, 0, Unit::Record, Count::Exactly(1)),
            (1, m(1, 0))
        );
        assert_eq!(
            forward(&items, 0, Unit::Record, Count::Exactly(5)),
            (2, m(2, 0))
        );
        assert_eq!(forward(&items, 0, Unit::Record, Count::All), (2, m(2, 0)));
        assert_eq!(forward(&items, 2, Unit::Record, Count::All), (2, m(0, 0)));
        assert_eq!(backward(&items, 4, Unit::Record, 5), (3, m(1, 0)));
        assert_eq!(backward(&items, 2, Unit::Record, 1), (1, m(1, 0)));
    }

    #[test]
    fn file_moves_count_eofs_and_stop_at_the_eod() {
        let items = sample();
        let m = |records, files| Moved { records, files };
        assert_eq!(
            forward(&items, 0, Unit::File, Count::Exactly(1)),
            (3, m(2, 1))
        );
        assert_eq!(
            forward(&items, 1, Unit::File, Count::Exactly(2)),
            (5, m(2, 2))
        );
        assert_eq!(forward(&items, 0, Unit::File, Count::All), (6, m(4, 2)));
        assert_eq!(forward(&items, 0, Unit::Dataset, Count::All), (6, m(4, 2)));
        // Inside file 3: back one is its start, back two the start of file 2.
        assert_eq!(backward(&items, 6, Unit::File, 1), (5, m(0, 1)));
        assert_eq!(backward(&items, 6, Unit::File, 2), (3, m(0, 2)));
        // At the start of file 2, back one is the start of file 1.
        assert_eq!(backward(&items, 3, Unit::File, 1), (0, m(0, 1)));
        assert_eq!(backward(&items, 3, Unit::File, 9), (0, m(0, 1)));
    }
}
