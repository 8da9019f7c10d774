//! DUMPJOB, and DUMP, which prints what DUMPJOB wrote.
//!
//! COS's self-replicating diagnostic deck (`jdiaggo_1.txt` on cray-sim's COS 1.17
//! station disk) ends its error processing, after EXIT, with `dumpjob.` and
//! `dump,lw=3777,v.`: the image of the job as its last step left it goes to the
//! local dataset `$DUMP`, and the DUMP utility prints it. The SR-0011 pages for
//! them are not at hand, so the forms are those the deck shows and the layout is
//! the emulator's own, the one F$DJA writes (`cos::dump`): a record of the exchange
//! package, a record of the field from word 0 (the JCB) to FL − 1, a record of the
//! vector registers and VM, an EOF. The registers and field are those of the
//! job's last step as it ended (normally or aborted); before any step the field is
//! empty.
//!
//! DUMP is the emulator's, built in (a COS DUMP binary would read COS's `$DUMP`
//! layout, which is not known here): it prints on `$OUT` the exchange package,
//! the field's words from `FW` to `LW` (octal word addresses, as the deck's `3777`
//! reads: the default is the whole field) four to a line in octal, and, with `V`,
//! the vector registers and VM. Any other parameter is refused by name.

use super::run::VerbResult;
use super::statement::Statement;
use super::{dataset_bytes, JobDataset};
use crate::cos::dataset::{pack_line, DatasetItem};
use crate::cos::dump::VECTOR_WORDS;
use crate::cos::System;
use crate::system::Pid;

/// The dataset DUMPJOB writes and DUMP reads.
pub const DUMP_DATASET: &str = "$DUMP";

/// The parameters DUMP takes.
const DUMP_KNOWN: &[&str] = &["FW", "LW", "V", "NA"];

/// Words of the exchange package record.
const PACKAGE_WORDS: usize = 16;

/// Words on a line of DUMP's listing.
const PER_LINE: usize = 4;

impl System {
    /// DUMPJOB: the job's image to `$DUMP`.
    pub(super) fn dumpjob_verb(&mut self, pid: Pid, s: &Statement) -> VerbResult {
        if let Some(first) = s.unknown_keywords(&["NA"]).first() {
            return Err(format!(
                " DUMPJOB: parameter {first} is not served (DUMPJOB takes none here)"
            ));
        }
        let items = self.dump_items(pid).map_err(|e| format!(" DUMPJOB: {e}"))?;
        let field = match items.get(1) {
            Some(DatasetItem::Record { words, .. }) => words.len(),
            _ => 0,
        };
        let deck = self.deck_of_mut(pid).ok_or("no deck")?;
        deck.room_for(DUMP_DATASET, dataset_bytes(&items))
            .map_err(|e| format!(" DUMPJOB: {e}"))?;
        let mut dataset = JobDataset::holding(items);
        dataset.modified = true;
        deck.datasets.insert(DUMP_DATASET.to_string(), dataset);
        self.job_log(format!(
            " DUMPJOB: {DUMP_DATASET} WRITTEN (FIELD OF {field:o} WORDS)"
        ));
        Ok(())
    }

    /// DUMP: `$DUMP` printed on `$OUT`.
    pub(super) fn dump_verb(&mut self, pid: Pid, s: &Statement) -> VerbResult {
        if let Some(first) = s.unknown_keywords(DUMP_KNOWN).first() {
            return Err(format!(
                " DUMP: parameter {first} is not served (FW=, LW= and V are known here)"
            ));
        }
        let deck = self.deck_of(pid).ok_or("no deck")?;
        let records = deck
            .datasets
            .get(DUMP_DATASET)
            .map(|d| dump_records(&d.items))
            .ok_or(" DUMP: the job has no $DUMP (DUMPJOB writes it)")?;
        let [package, field, vectors] =
            records.ok_or(" DUMP: $DUMP does not hold a job dump as DUMPJOB writes it")?;
        let first = address(s, "FW")?.unwrap_or(0);
        let last = address(s, "LW")?;
        let mut lines = vec![" EXCHANGE PACKAGE".to_string()];
        lines.extend(listing(package, 0, None));
        // A job dumped before any step ran has no field (the module's notes).
        let printed = match field.len().checked_sub(1) {
            None => {
                lines.push(" FIELD EMPTY: NO STEP HAD RUN WHEN $DUMP WAS WRITTEN".to_string());
                "NO FIELD WORDS".to_string()
            }
            Some(end) => {
                let last = last.unwrap_or(end).min(end);
                if first > last {
                    return Err(format!(
                        " DUMP: FW={first:o} is past LW={last:o} (the field has {:o} words)",
                        field.len()
                    ));
                }
                lines.push(format!(" FIELD WORDS {first:08o} TO {last:08o}"));
                lines.extend(listing(&field[first..=last], first, None));
                format!("WORDS {first:o} TO {last:o}")
            }
        };
        if s.flag("V") {
            lines.push(" VECTOR REGISTERS".to_string());
            for (register, elements) in vectors[..VECTOR_WORDS - 1].chunks(64).enumerate() {
                lines.extend(listing(elements, 0, Some(register)));
            }
            lines.push(format!(" VM {:022o}", vectors[VECTOR_WORDS - 1]));
        }
        self.print_on_out(pid, &lines)?;
        self.job_log(format!(" DUMP: {printed} OF {DUMP_DATASET} PRINTED"));
        Ok(())
    }

    /// Prints `lines` on `$OUT`: written to the job's local `$OUT` at its position
    /// when it has one, else on the terminal, as COPY's `O=$OUT` prints.
    fn print_on_out(&mut self, pid: Pid, lines: &[String]) -> VerbResult {
        let records = lines
            .iter()
            .map(|line| {
                let (words, unused_bits) = pack_line(line).map_err(|e| format!(" DUMP: {e}"))?;
                Ok(DatasetItem::Record { words, unused_bits })
            })
            .collect::<Result<Vec<_>, String>>()?;
        self.write_records(pid, "DUMP", "$OUT", records)
    }
}

/// The three records of a job dump, if `items` hold one.
fn dump_records(items: &[DatasetItem]) -> Option<[&[u64]; 3]> {
    let mut records = items.iter().filter_map(|item| match item {
        DatasetItem::Record { words, .. } => Some(words.as_slice()),
        _ => None,
    });
    let dump = [records.next()?, records.next()?, records.next()?];
    let well_formed = dump[0].len() == PACKAGE_WORDS && dump[2].len() == VECTOR_WORDS;
    well_formed.then_some(dump)
}

/// Octal word address `key` of `s` (`None` when not given).
fn address(s: &Statement, key: &str) -> Result<Option<usize>, String> {
    let Some(text) = s.value(key) else {
        return Ok(None);
    };
    usize::from_str_radix(text, 8)
        .map(Some)
        .map_err(|_| format!(" DUMP: {key}={text}: a word address is octal digits"))
}

/// `words` as listing lines, four words to a line after the address of the first
/// (counted from `base`), or for a vector register its name and the element.
fn listing(words: &[u64], base: usize, register: Option<usize>) -> Vec<String> {
    words
        .chunks(PER_LINE)
        .enumerate()
        .map(|(line, chunk)| {
            let at = base + line * PER_LINE;
            let mut text = match register {
                Some(v) => format!(" V{v} {at:02o}"),
                None => format!(" {at:08o}"),
            };
            for word in chunk {
                text.push_str(&format!(" {word:022o}"));
            }
            text
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_lines_hold_four_octal_words_after_the_address() {
        let lines = listing(&[1, 2, 3, 4, 5], 0o3770, None);
        assert_eq!(
            lines,
            [
                " 00003770 0000000000000000000001 0000000000000000000002 \
                 0000000000000000000003 0000000000000000000004",
                " 00003774 0000000000000000000005",
            ]
        );
        assert_eq!(
            listing(&[7], 0o10, Some(3)),
            [" V3 10 0000000000000000000007"]
        );
    }

    #[test]
    fn a_dump_is_three_records_of_the_right_sizes() {
        let record = |n: usize| DatasetItem::Record {
            words: vec![0; n],
            unused_bits: 0,
        };
        let good = [
            record(16),
            record(4),
            record(VECTOR_WORDS),
            DatasetItem::EndOfData,
        ];
        assert!(dump_records(&good).is_some());
        let bad = [record(16), record(4), DatasetItem::EndOfData];
        assert!(dump_records(&bad).is_none());
    }
}
