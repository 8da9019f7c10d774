//! A job deck as a file: the control-statement file, then the data files.
//!
//! COS read a job as one dataset whose first file is the control statements (`$CS`)
//! and whose remaining files are the job's input, `$IN` (SR-0011, part 2 "Job
//! control language"). On the host a deck is either such a COS blocked dataset (the
//! corpus's `jinstall.job`: one statement per record, files separated by EOFs) or a
//! text file, one statement per line, in which a line `/EOF` separates the files, as
//! on a card deck.

use crate::cos::dataset::{unpack_line, DatasetItem};
use crate::cos::local_datasets::items_from_host;

/// The separator line of a text deck.
pub const EOF_LINE: &str = "/EOF";

/// A job deck read from the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeckFile {
    /// The control-statement file, one line image per record.
    pub lines: Vec<String>,
    /// What follows it: the job's `$IN` (records, EOFs, the EOD).
    pub input: Vec<DatasetItem>,
}

/// Reads a deck from host bytes (blocked or text). The first statement must be `JOB`.
pub fn read_deck(bytes: &[u8]) -> Result<DeckFile, String> {
    let (items, text) = items_from_host(bytes)?;
    let (items, text) = match text {
        // A text deck whose lines end in CR alone (classic Mac OS) read as one line.
        true if bytes.contains(&b'\r') && !bytes.contains(&b'\n') => {
            let lines: Vec<u8> = bytes
                .iter()
                .map(|&b| if b == b'\r' { b'\n' } else { b })
                .collect();
            items_from_host(&lines)?
        }
        _ => (items, text),
    };
    let items = if text { eof_lines(items) } else { items };
    let split = items
        .iter()
        .position(|i| !matches!(i, DatasetItem::Record { .. }))
        .unwrap_or(items.len());
    let mut lines = Vec::with_capacity(split);
    for (number, item) in items[..split].iter().enumerate() {
        if let DatasetItem::Record { words, unused_bits } = item {
            let line = unpack_line(words, *unused_bits)
                .map_err(|e| format!("statement {}: {e}", number + 1))?;
            lines.push(line);
        }
    }
    let mut input: Vec<DatasetItem> = items[split..].to_vec();
    // The EOF that closes the statements is not part of $IN.
    if input.first() == Some(&DatasetItem::EndOfFile) {
        input.remove(0);
    }
    if input.last() != Some(&DatasetItem::EndOfData) {
        input.push(DatasetItem::EndOfData);
    }
    let first = lines.iter().find(|l| !l.trim().is_empty());
    match first {
        Some(line) if starts_with_job(line) => Ok(DeckFile { lines, input }),
        Some(line) => Err(format!(
            "not a job deck: the first statement is {}, not JOB",
            quoted_start(line.trim())
        )),
        None => Err("not a job deck: it holds no statement".to_string()),
    }
}

/// Longest part of a statement a message quotes (a card is 80 columns).
const QUOTED_CHARACTERS: usize = 80;

/// `line` quoted for a message, cut after [`QUOTED_CHARACTERS`] characters, so that
/// a file of one long line that is not a deck gives a short message.
fn quoted_start(line: &str) -> String {
    let mut chars = line.chars();
    let start: String = chars.by_ref().take(QUOTED_CHARACTERS).collect();
    let rest = chars.count();
    if rest == 0 {
        format!("{start:?}")
    } else {
        format!("{start:?} (and {rest} more characters)")
    }
}

/// True when `line` is a JOB statement (`JOB,`, `JOB.`, `JOB(`, or `JOB` alone,
/// which the statement syntax takes as ending the line).
pub fn starts_with_job(line: &str) -> bool {
    let line = line.trim().to_ascii_uppercase();
    line.strip_prefix("JOB").is_some_and(|rest| {
        let rest = rest.trim_start();
        rest.is_empty() || rest.starts_with([',', '.', '('])
    })
}

/// The items of a text deck with each `/EOF` line made an EOF (the text reader gives
/// one record per line, then an EOF and the EOD).
fn eof_lines(items: Vec<DatasetItem>) -> Vec<DatasetItem> {
    let mut out: Vec<DatasetItem> = items
        .into_iter()
        .map(|item| match &item {
            DatasetItem::Record { words, unused_bits }
                if unpack_line(words, *unused_bits)
                    .is_ok_and(|l| l.trim().eq_ignore_ascii_case(EOF_LINE)) =>
            {
                DatasetItem::EndOfFile
            }
            _ => item,
        })
        .collect();
    // A deck ending in /EOF gets no second EOF from the text reader's own.
    let n = out.len();
    if n >= 3 && out[n - 3] == DatasetItem::EndOfFile && out[n - 2] == DatasetItem::EndOfFile {
        out.remove(n - 2);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cos::dataset::pack_line;

    fn record(line: &str) -> DatasetItem {
        let (words, unused_bits) = pack_line(line).unwrap();
        DatasetItem::Record { words, unused_bits }
    }

    #[test]
    fn a_deck_with_cr_line_ends_reads_as_lines() {
        let deck = read_deck(b"JOB,JN=A.\rCOPY.\r/EOF\rdata\r").unwrap();
        assert_eq!(deck.lines, ["JOB,JN=A.", "COPY."]);
        assert!(matches!(&deck.input[0], DatasetItem::Record { .. }));
    }

    #[test]
    fn text_decks_split_at_eof_lines() {
        let deck = read_deck(b"JOB,JN=T.\nAUDIT.\n/EOF\ndata 1\n/eof\ndata 2\n").unwrap();
        assert_eq!(deck.lines, vec!["JOB,JN=T.", "AUDIT."]);
        assert_eq!(
            deck.input,
            vec![
                record("data 1"),
                DatasetItem::EndOfFile,
                record("data 2"),
                DatasetItem::EndOfFile,
                DatasetItem::EndOfData
            ]
        );
        let deck = read_deck(b"JOB,JN=T.\nEXIT.\n").unwrap();
        assert_eq!(deck.input, vec![DatasetItem::EndOfData]);
        let deck = read_deck(b"JOB,JN=T.\n/EOF\nX\n/EOF\n").unwrap();
        assert_eq!(
            deck.input,
            vec![record("X"), DatasetItem::EndOfFile, DatasetItem::EndOfData]
        );
    }

    #[test]
    fn the_first_statement_must_be_job() {
        assert!(read_deck(b"AUDIT.\n").unwrap_err().contains("not JOB"));
        assert!(read_deck(b"JOBX.\n").is_err());
        assert!(read_deck(b"").is_err());
        assert!(starts_with_job("  JOB ,JN=A."));
        assert!(starts_with_job("JOB"), "no terminator, as parse takes it");
        assert!(!starts_with_job("JOBS"));
        let refused = read_deck(&[b'x'; 100_000]).unwrap_err();
        assert!(refused.len() < 200, "{refused}");
        assert!(
            refused.ends_with("(and 99920 more characters), not JOB"),
            "{refused}"
        );
    }

    #[test]
    fn the_corpus_deck_reads_as_blocked() {
        let corpus = std::env::var_os("CRAY_CORPUS").map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
            std::path::PathBuf::from,
        );
        let path = corpus.join("cos/jinstall.job");
        let Ok(bytes) = std::fs::read(&path) else {
            return; // the corpus is not beside this checkout
        };
        let deck = read_deck(&bytes).unwrap();
        assert!(
            deck.lines[0].starts_with("JOB,JN=JINSTAL"),
            "{:?}",
            deck.lines[0]
        );
        assert!(deck.lines.iter().any(|l| l.starts_with("LOADCAT.")));
        assert!(deck
            .input
            .iter()
            .any(|i| matches!(i, DatasetItem::Record { .. })));
    }
}
