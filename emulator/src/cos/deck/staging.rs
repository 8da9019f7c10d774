//! FETCH: a dataset staged from the front end to the job as a local dataset; and
//! DISPOSE, a local dataset sent the other way.
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
//!
//! `DISPOSE,DN=dn,DC=dc,SDN=sdn,TEXT=text,DF=df,DEFER` sends local dataset `dn` on
//! by its disposition code DC: `PR` (print, the default) to the terminal as text
//! lines, the station's printer; `ST` (stage) to the front end, the host file named
//! by TEXT, else SDN, else DN, as written, in the form DF gives (`CB` text lines,
//! the default; `BB` blocked; `TR` the records' words); `SC` (scratch) nowhere.
//! Without DEFER the job then no longer has the dataset. With DEFER, as COS did, the
//! disposition is recorded in the job (its parameters checked at once) and done
//! when the dataset is released (RELEASE, F$RLS) or the job ends, deferred ones
//! first in the order given; a later DISPOSE of the dataset takes its place. The
//! record is part of the job's saved state and leaves it as the disposition is
//! done, so a job continued from a checkpoint does each once: printed lines a
//! crash cut off are cut back with the output mark (`resume-and-batch.md`) and
//! written again once, and a staged file is written whole again. `$OUT`
//! reaches the terminal as the job writes it, so `DISPOSE,DN=$OUT,...`, the last
//! statement of COS's own station decks (`DISPOSE,DN=$OUT,DC=SC,DEFER.`), changes
//! nothing and says so in the log. `DC=IN` (to the input queue, as a new job) is
//! refused: `cray batch submit` runs decks. An unblocked dataset (words read and
//! written by block number) has no records: `DC=ST,DF=TR` stages its words as they
//! are, `DC=SC` scratches it, and any other disposition is refused.

use super::run::VerbResult;
use super::statement::Statement;
use super::{dataset_bytes, JobDataset};
use crate::cos::absolute::{words_from_bytes, words_to_bytes};
use crate::cos::dataset::{block, deblock, is_blocked, unpack_line, DatasetItem};
use crate::cos::local_datasets::{host_bytes, items_from_host, MAX_DATASET_BYTES};
use crate::cos::System;
use crate::system::errno::Errno;
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
    /// DF of `s` (`default` without one).
    fn of(s: &Statement, default: Form) -> Result<Form, String> {
        match s.value("DF") {
            None => Ok(default),
            Some("CB") => Ok(Form::Text),
            Some("BB") => Ok(Form::Blocked),
            Some("TR") => Ok(Form::Transparent),
            Some(other) => Err(format!(
                " {}: DF={other}: the dataset format is CB, BB or TR",
                s.verb
            )),
        }
    }
}

/// Where DISPOSE sends a dataset (DC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Disposition {
    /// `PR`: to the terminal, as text lines.
    Print,
    /// `ST`: to a host file under the root.
    Stage,
    /// `SC`: nowhere.
    Scratch,
}

impl Disposition {
    fn of(s: &Statement) -> Result<Disposition, String> {
        match s.value("DC").unwrap_or("PR") {
            "PR" => Ok(Disposition::Print),
            "ST" => Ok(Disposition::Stage),
            "SC" => Ok(Disposition::Scratch),
            "IN" => Err(
                " DISPOSE: DC=IN (to the input queue as a job) is not served here: \
                         run the deck with cray batch submit"
                    .to_string(),
            ),
            other => Err(format!(
                " DISPOSE: DC={other}: the disposition is PR, ST, SC or IN (no punch, plotter \
                 or tape here)"
            )),
        }
    }
}

/// Whether `disposition` in `form` can send on unblocked dataset `name`, which has
/// no records: only staged transparent, its words, or scratched.
fn unblocked_disposition(name: &str, disposition: Disposition, form: Form) -> Result<(), String> {
    match (disposition, form) {
        (Disposition::Stage, Form::Transparent) | (Disposition::Scratch, _) => Ok(()),
        _ => Err(format!(
            " DISPOSE: {name} is an unblocked dataset, without records: only DC=ST,DF=TR \
             (its words) or DC=SC sends it on"
        )),
    }
}

/// A DISPOSE statement as its record in the job keeps it: the parameters that say
/// how (DC, DF, SDN, TEXT ...), DN and DEFER left out, so that parsing it again
/// gives the disposition of one dataset.
fn statement_image(s: &Statement) -> String {
    let params: Vec<String> = s
        .params
        .iter()
        .filter(|p| !matches!(p.keyword.as_deref(), Some("DN" | "DEFER")))
        .filter(|p| !(p.keyword.is_none() && p.values == ["DEFER"]))
        .map(|p| {
            let values = p
                .values
                .iter()
                .map(|v| quoted(v))
                .collect::<Vec<_>>()
                .join(":");
            match &p.keyword {
                Some(k) if p.values.is_empty() => k.clone(),
                Some(k) => format!("{k}={values}"),
                None => values,
            }
        })
        .collect();
    format!(
        "{}.",
        [s.verb.clone()]
            .into_iter()
            .chain(params)
            .collect::<Vec<_>>()
            .join(",")
    )
}

/// A parameter value as a statement writes it: within apostrophes when it holds a
/// character the syntax would take as a separator, or a lower-case letter, which
/// only a literal keeps.
fn quoted(value: &str) -> String {
    let plain = value.chars().all(|c| {
        c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '$' | '@' | '%' | '*')
    });
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "''"))
    }
}

/// The host bytes of `items` staged in `form`.
fn staged_bytes(items: &[DatasetItem], form: Form) -> Result<Vec<u8>, String> {
    match form {
        Form::Blocked => {
            let words = block(items).map_err(|e| e.to_string())?;
            Ok(words_to_bytes(&words))
        }
        Form::Transparent => Ok(items
            .iter()
            .filter_map(|item| match item {
                DatasetItem::Record { words, .. } => Some(words),
                _ => None,
            })
            .flatten()
            .flat_map(|w| w.to_be_bytes())
            .collect()),
        Form::Text | Form::Any => host_bytes(items, true),
    }
}

/// The records of `items` as terminal lines.
fn printed(items: &[DatasetItem]) -> String {
    let mut text = String::new();
    for item in items {
        if let DatasetItem::Record { words, unused_bits } = item {
            let line = unpack_line(words, *unused_bits).unwrap_or_else(|_| "?".into());
            text.push_str(&line);
            text.push('\n');
        }
    }
    text
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
        let form = Form::of(s, Form::Any)?;
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
        deck.room_for(dn, dataset_bytes(&items))
            .map_err(|e| format!(" FETCH: {path}: {e}"))?;
        deck.datasets
            .insert(dn.to_string(), JobDataset::holding(items));
        self.job_log(format!(" FETCH: {dn}: {} bytes from {path}", bytes.len()));
        Ok(())
    }

    /// DISPOSE of local dataset `name` (see the module's comment).
    pub(super) fn dispose(&mut self, pid: Pid, s: &Statement, name: &str) -> VerbResult {
        let disposition = Disposition::of(s)?;
        let form = Form::of(s, Form::Text)?;
        if name == "$OUT" {
            self.job_log(" DISPOSE: $OUT reaches the terminal as the job writes it".to_string());
            return Ok(());
        }
        let unblocked = self
            .deck_of(pid)
            .and_then(|d| d.datasets.get(name))
            .map(|d| d.unblocked.is_some())
            .ok_or_else(|| format!(" DISPOSE: {name} is not a local dataset of the job"))?;
        if unblocked {
            unblocked_disposition(name, disposition, form)?;
        }
        let deck = self.deck_of_mut(pid).ok_or("no deck")?;
        deck.deferred.retain(|(deferred, _)| deferred != name);
        if s.flag("DEFER") {
            deck.deferred.push((name.to_string(), statement_image(s)));
            self.job_log(format!(
                " DISPOSE: {name}: deferred to its release or the end of the job"
            ));
            return Ok(());
        }
        self.dispose_now(pid, s, name)?;
        self.release_local(pid, name)
    }

    /// Does the disposition DISPOSE statement `s` gives local dataset `name`.
    fn dispose_now(&mut self, pid: Pid, s: &Statement, name: &str) -> VerbResult {
        let disposition = Disposition::of(s)?;
        let form = Form::of(s, Form::Text)?;
        let dataset = self
            .deck_of(pid)
            .and_then(|d| d.datasets.get(name))
            .ok_or_else(|| format!(" DISPOSE: {name} is not a local dataset of the job"))?;
        let (items, unblocked) = (dataset.items.clone(), dataset.unblocked.clone());
        if let (Some(words), false) = (&unblocked, disposition == Disposition::Scratch) {
            return self.dispose_unblocked(s, name, words, disposition, form);
        }
        match disposition {
            Disposition::Print => {
                if let Err(failure) = self.console_mut().stdout(printed(&items).as_bytes()) {
                    self.host_write_failed(pid, "standard output", &failure, "no error status");
                }
            }
            Disposition::Stage => {
                let file = s.value("TEXT").or(s.value("SDN")).unwrap_or(name);
                let bytes =
                    staged_bytes(&items, form).map_err(|e| format!(" DISPOSE: {name}: {e}"))?;
                self.write_host_file(file, &bytes)
                    .map_err(|e| format!(" DISPOSE: {name}: {file}: {e}"))?;
                self.job_log(format!(" DISPOSE: {name}: {} bytes to {file}", bytes.len()));
            }
            Disposition::Scratch => {}
        }
        Ok(())
    }

    /// Sends unblocked dataset `name` (its `words`) on: staged transparent (DF=TR),
    /// its words as they are, since it has no records to print or block.
    fn dispose_unblocked(
        &mut self,
        s: &Statement,
        name: &str,
        words: &[u64],
        disposition: Disposition,
        form: Form,
    ) -> VerbResult {
        unblocked_disposition(name, disposition, form)?;
        let file = s.value("TEXT").or(s.value("SDN")).unwrap_or(name);
        let bytes = words_to_bytes(words);
        self.write_host_file(file, &bytes)
            .map_err(|e| format!(" DISPOSE: {name}: {file}: {e}"))?;
        self.job_log(format!(" DISPOSE: {name}: {} bytes to {file}", bytes.len()));
        Ok(())
    }

    /// Does the deferred disposition of local dataset `name`, if it has one, as
    /// it is released: the record leaves the job's state as it is done.
    pub(super) fn dispose_deferred(&mut self, pid: Pid, name: &str) -> VerbResult {
        let Some(deck) = self.deck_of_mut(pid) else {
            return Ok(());
        };
        let Some(at) = deck.deferred.iter().position(|(n, _)| n == name) else {
            return Ok(());
        };
        let (_, image) = deck.deferred.remove(at);
        let s = super::statement::parse(&image)
            .map_err(|e| format!(" DISPOSE: {name}: deferred {image}: {e}"))?;
        self.dispose_now(pid, &s, name)
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
                .map_err(|e| format!("not a file name under the root ({e})"))
                .and_then(|relative| {
                    self.root()
                        .read_all(&relative, MAX_DATASET_BYTES)
                        .map_err(|e| match e {
                            Errno::E2BIG => format!(
                                "larger than {MAX_DATASET_BYTES} bytes, the most a dataset holds"
                            ),
                            e => format!("cannot be read ({e})"),
                        })
                });
            match read {
                Ok(bytes) => return Ok((path.to_string(), bytes)),
                Err(e) => last = format!(" FETCH: {path}: {e}"),
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
    fn a_deferred_disposition_keeps_how_and_leaves_out_which_and_when() {
        let s = crate::cos::deck::statement::parse(
            "DISPOSE,DN=A:B,DC=ST,TEXT='sub/b.out',SDN='bout',DF=BB,DEFER,NA.",
        )
        .unwrap();
        let image = statement_image(&s);
        assert_eq!(image, "DISPOSE,DC=ST,TEXT='sub/b.out',SDN='bout',DF=BB,NA.");
        let again = crate::cos::deck::statement::parse(&image).unwrap();
        for key in ["DC", "TEXT", "SDN", "DF"] {
            assert_eq!(again.value(key), s.value(key), "{key}");
        }
        assert!(!again.flag("DEFER") && again.values("DN").is_none());
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
