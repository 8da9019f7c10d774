//! FETCH: a dataset staged from the front end to the job as a local dataset.
//!
//! On COS the front-end station held the user's files, and `FETCH,DN=dn,TEXT=text`
//! had it send one (named in the front end's own terms by TEXT, or by SDN) to the
//! Cray, where it became local dataset `dn` of the job (SR-0011, "Dataset staging
//! control": ACQUIRE, FETCH, DISPOSE). Here the front end's files are the host
//! files under the root (`--root`, the directory `--dataset` paths are relative
//! to): TEXT, else SDN, else DN names the file, as written or in lower case (station
//! file names were written in capitals in decks, `corpus/cos/jinstall.job`'s
//! `FETCH,DN=LOADCAT,MF=AP,AC=ST,TEXT=BIN/LOADCAT.`, while host names are often
//! lower case).
//!
//! DF gives the file's form: `CB` (character blocked) takes it as text lines, one
//! record each; `BB` (binary blocked) as a COS blocked dataset; `TR` (transparent)
//! as words, one record (a program fetched so, an absolute binary, can then be run
//! by its dataset name, as jinstall.job does). Without DF the form is found from
//! the file: blocked, else text, else words.

use super::run::VerbResult;
use super::statement::Statement;
use super::JobDataset;
use crate::cos::absolute::words_from_bytes;
use crate::cos::dataset::{deblock, is_blocked, DatasetItem};
use crate::cos::local_datasets::{items_from_host, MAX_DATASET_BYTES};
use crate::cos::System;
use crate::system::Pid;

/// The parameters FETCH takes (SR-0011); those not listed are refused.
const KNOWN: &[&str] = &["DN", "SDN", "TEXT", "AC", "MF", "DF", "TID", "NA"];

/// How the fetched file is read into records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// Text lines (`DF=CB`).
    Text,
    /// A COS blocked dataset (`DF=BB`).
    Blocked,
    /// Words, one record (`DF=TR`).
    Transparent,
    /// Found from the file.
    Any,
}

impl Form {
    fn of(s: &Statement) -> Result<Form, String> {
        match s.value("DF") {
            None => Ok(Form::Any),
            Some("CB") => Ok(Form::Text),
            Some("BB") => Ok(Form::Blocked),
            Some("TR") => Ok(Form::Transparent),
            Some(other) => Err(format!(
                " FETCH: DF={other}: the dataset format is CB, BB or TR"
            )),
        }
    }
}

/// The dataset `bytes` hold, read as `form`.
fn items_of(bytes: &[u8], form: Form) -> Result<Vec<DatasetItem>, String> {
    let transparent = |bytes: &[u8]| {
        let words = words_from_bytes(bytes).map_err(|e| e.to_string())?;
        Ok::<_, String>(vec![
            DatasetItem::Record {
                words,
                unused_bits: 0,
            },
            DatasetItem::EndOfFile,
            DatasetItem::EndOfData,
        ])
    };
    match form {
        Form::Transparent => transparent(bytes),
        Form::Blocked => {
            let words = words_from_bytes(bytes)
                .ok()
                .filter(|w| is_blocked(w))
                .ok_or("not a COS blocked dataset")?;
            deblock(&words).map_err(|e| e.to_string())
        }
        Form::Text => {
            if std::str::from_utf8(bytes).is_err() {
                return Err("not text".into());
            }
            items_from_host(bytes).map(|(items, _)| items)
        }
        Form::Any => items_from_host(bytes)
            .map(|(items, _)| items)
            .or_else(|_| transparent(bytes)),
    }
}

impl System {
    /// FETCH (see the module's comment).
    pub(super) fn fetch_verb(&mut self, pid: Pid, s: &Statement) -> VerbResult {
        let unknown = s.unknown_keywords(KNOWN);
        if !unknown.is_empty() {
            return Err(format!(" FETCH: unknown parameter {}", unknown.join(", ")));
        }
        let dn = s
            .value("DN")
            .filter(|dn| !dn.is_empty())
            .ok_or(" FETCH: DN= is required")?;
        let form = Form::of(s)?;
        if self
            .deck_of(pid)
            .is_some_and(|d| d.datasets.contains_key(dn))
        {
            return Err(format!(
                " FETCH: {dn} is already a local dataset of the job"
            ));
        }
        let name = s.value("TEXT").or(s.value("SDN")).unwrap_or(dn).to_string();
        let (path, bytes) = self.front_end_file(&name)?;
        let items = items_of(&bytes, form).map_err(|e| format!(" FETCH: {dn}: {path}: {e}"))?;
        let deck = self.deck_of_mut(pid).ok_or("no deck")?;
        deck.datasets
            .insert(dn.to_string(), JobDataset::holding(items));
        self.job_log(format!(" FETCH: {dn}: {} bytes from {path}", bytes.len()));
        Ok(())
    }

    /// The host file under the root that front-end name `name` stands for, as
    /// written or in lower case, and its bytes.
    fn front_end_file(&self, name: &str) -> Result<(String, Vec<u8>), String> {
        let lower = name.to_ascii_lowercase();
        let mut last = String::new();
        for path in [name, lower.as_str()] {
            let read = self
                .root()
                .resolve(path)
                .and_then(|relative| self.root().read_all(&relative, MAX_DATASET_BYTES));
            match read {
                Ok(bytes) => return Ok((path.to_string(), bytes)),
                Err(e) => last = format!(" FETCH: {path}: {e:?}"),
            }
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cos::dataset::block;

    fn record(words: Vec<u64>) -> DatasetItem {
        DatasetItem::Record {
            words,
            unused_bits: 0,
        }
    }

    #[test]
    fn each_form_reads_the_file_its_way() {
        let text = b"ONE\nTWO\n";
        let lines = items_of(text, Form::Text).unwrap();
        assert_eq!(lines.len(), 4, "two records, the EOF and the EOD");
        assert_eq!(items_of(text, Form::Any).unwrap(), lines);
        assert!(items_of(text, Form::Blocked).is_err());

        let dataset = vec![
            record(vec![7, 8]),
            DatasetItem::EndOfFile,
            DatasetItem::EndOfData,
        ];
        let bytes: Vec<u8> = block(&dataset)
            .unwrap()
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .collect();
        assert_eq!(items_of(&bytes, Form::Blocked).unwrap(), dataset);
        assert_eq!(items_of(&bytes, Form::Any).unwrap(), dataset);

        // An absolute binary: neither blocked nor text, so one record of words.
        let binary: Vec<u8> = [0xF000_0250_0000_0302u64, 0xFF]
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .collect();
        let program = items_of(&binary, Form::Any).unwrap();
        assert_eq!(program[0], record(vec![0xF000_0250_0000_0302, 0xFF]));
        assert_eq!(items_of(&binary, Form::Transparent).unwrap(), program);
        assert!(items_of(&binary[..5], Form::Transparent).is_err());
    }
}
