//! The permanent-dataset verbs (SR-0011 section 9, "Permanent dataset management",
//! <https://9dok.net/article/permanent-dataset-management-computer-systems.y964oled>
//! and <https://9dok.net/article/access-access-permanent-dataset-permanent-dataset-management.y4w415ov>):
//!
//! - `SAVE,DN=dn,PDN=pdn,ID=uid,ED=ed,RT=rt,R=rd,W=wt,M=mn,PAM=mode,TEXT=text,NOTES=notes`
//!   makes local dataset `dn` permanent: a new edition (ED, or one above the highest);
//! - `ACCESS,DN=dn,PDN=pdn,ID=uid,ED=ed,OWN=own,R=rd,W=wt,M=mn` makes a permanent
//!   dataset local (the highest edition unless ED);
//! - `ACQUIRE,DN=dn,PDN=pdn,...` is ACCESS of a dataset the store has (COS's
//!   ACQUIRE also fetched it from the front end when the store lacked it: not
//!   served, that case fails naming FETCH and SAVE); its front-end parameters (DF,
//!   MF, TID, SDN, TEXT, AC) are accepted and not used;
//! - `DELETE,DN=dn` (an accessed dataset) or `DELETE,PDN=pdn,ID=,ED=,OWN=,M=`;
//! - `ADJUST,DN=dn`: the permanent dataset takes the accessed local one's contents;
//! - `MODIFY,DN=dn,...`: new PDN, ID, ED, RT, passwords, PAM, TEXT, NOTES;
//! - `PERMIT,PDN=pdn,ID=uid,M=mn,USER=user,AM=mode`: what another user may do.
//!
//! Permissions: each access mode (read, write, maintenance) is refused when the
//! dataset has that mode's password and the statement does not give it; a user who
//! is not the owner also needs the mode from the dataset's public access (PAM) or a
//! PERMIT. The log lines of refusals and errors are the emulator's wording (the
//! manual pages we can read do not list COS's message numbers).

use super::catalogue::{
    Access, Catalogue, Contents, Entry, EntryName, Operation, Outcome, Permit, MAX_NAME,
};
use super::run::VerbResult;
use super::statement::Statement;
use super::{Accessed, JobDataset};
use crate::cos::absolute::{words_from_bytes, words_to_bytes};
use crate::cos::local_datasets::{host_bytes, items_from_host};
use crate::cos::System;
use crate::system::Pid;

/// The keywords each verb accepts.
const KNOWN: &[(&str, &[&str])] = &[
    (
        "SAVE",
        &[
            "DN", "PDN", "ID", "ED", "RT", "R", "W", "M", "UQ", "NA", "PAM", "TEXT", "NOTES",
            "ERR", "MSG", "ADN", "TA", "EXO",
        ],
    ),
    (
        "ACCESS",
        &[
            "DN", "PDN", "ID", "ED", "OWN", "R", "W", "M", "UQ", "NA", "ERR", "MSG", "ENTER", "LE",
            "DF", "PAM",
        ],
    ),
    (
        // ACCESS's, and the front end's (SR-0011, "Dataset staging control":
        // where and in what form to find the dataset there), which matter only
        // when the store does not have it.
        "ACQUIRE",
        &[
            "DN", "PDN", "ID", "ED", "OWN", "R", "W", "M", "UQ", "NA", "ERR", "MSG", "RT", "PAM",
            "DF", "MF", "TID", "SDN", "TEXT", "AC",
        ],
    ),
    (
        "DELETE",
        &[
            "DN", "PDN", "ID", "ED", "OWN", "M", "NA", "PARTIAL", "ERR", "MSG",
        ],
    ),
    ("ADJUST", &["DN", "NA", "ERR", "MSG"]),
    (
        "MODIFY",
        &[
            "DN", "PDN", "ID", "ED", "RT", "R", "W", "M", "PAM", "TEXT", "NOTES", "NA", "ERR",
            "MSG",
        ],
    ),
    (
        "PERMIT",
        &[
            "PDN", "ID", "ED", "OWN", "M", "USER", "AM", "RP", "NA", "ERR", "MSG",
        ],
    ),
];

impl System {
    /// Runs a permanent-dataset verb: statement `index` of the deck, remembered
    /// with the clock period at which it runs (a statement in a loop runs once a
    /// round, and each round moves the clock on).
    pub(super) fn permanent_verb(&mut self, pid: Pid, index: usize, s: &Statement) -> VerbResult {
        let number = self.deck_of(pid).ok_or("no deck")?.number;
        let operation = Operation::Statement((number, index as u64, self.clock));
        self.permanent_operation(pid, s, operation)
    }

    /// Makes by request (F$PDM) the operation that control statement `s` stands
    /// for, at clock period `clock` of the job's current step: the same rules, log
    /// line and store as the verb, remembered as the request's, so that a step
    /// resumed from a checkpoint taken before it does not make it twice.
    pub(crate) fn permanent_request(&mut self, pid: Pid, s: &Statement, clock: u64) -> VerbResult {
        let deck = self.deck_of(pid).ok_or("not a deck job")?;
        let step = deck.step.unwrap_or(deck.next) as u64;
        self.permanent_operation(pid, s, Operation::Request((deck.number, step, clock)))
    }

    /// Checks `s`'s parameters, then makes `operation` once.
    fn permanent_operation(&mut self, pid: Pid, s: &Statement, operation: Operation) -> VerbResult {
        let verb = s.verb.as_str();
        let known = KNOWN
            .iter()
            .find(|(v, _)| *v == verb)
            .map_or(&[][..], |k| k.1);
        let unknown = s.unknown_keywords(known);
        if !unknown.is_empty() {
            return Err(format!(" {verb}: unknown parameter {}", unknown.join(", ")));
        }
        for key in ["PDN", "ID", "OWN", "R", "W", "M", "USER"] {
            if s.value(key).is_some_and(|v| v.len() > MAX_NAME) {
                return Err(format!(
                    " {verb}: {key}= has more than {MAX_NAME} characters"
                ));
            }
        }
        let catalogue = self.deck_host.catalogue.clone().ok_or_else(|| {
            format!(" {verb}: no permanent-dataset store (give cray run --pds DIR)")
        })?;
        let deck = self.deck_of(pid).ok_or("no deck")?;
        let job = Job {
            user: deck.user.clone(),
            done: operation,
            now: self.time(),
        };
        let mut contents = catalogue.read().map_err(|e| format!(" {verb}: {e}"))?;
        if let Some(at) = contents.outcome(job.done) {
            return self.make_again(pid, s, &catalogue, &mut contents, at, &job);
        }
        // Made, by a cray that kept no outcomes: skipped (SAVE holds the highest
        // edition again).
        let redo = contents.is_done(job.done);
        let dn = s.value("DN");
        let before = dn.and_then(|dn| self.accessed(pid, dn, verb).ok());
        let mut removed = None;
        let line = match verb {
            "ACCESS" | "ACQUIRE" => self.access(pid, s, &catalogue, &mut contents, &job, None)?,
            "SAVE" if redo => {
                // Saved before the checkpoint this job continues from: the local
                // dataset is that edition again.
                let key = Key::of(s, required(s, "DN")?, &job.user)?;
                if let Ok(index) = key.find(&contents, verb) {
                    let name = EntryName::of(&contents.entries[index]);
                    self.keep_as_saved(pid, required(s, "DN")?, &name);
                }
                return Ok(());
            }
            "SAVE" => self.save(pid, s, &catalogue, &mut contents, &job)?,
            "DELETE" if redo => return Ok(()),
            "DELETE" => {
                let (line, name) = self.delete(pid, s, &mut contents, &job)?;
                removed = Some(name);
                line
            }
            "ADJUST" => self.adjust(pid, s, &catalogue, &mut contents, &job)?,
            "MODIFY" if redo => return Ok(()),
            "MODIFY" => self.modify(pid, s, &mut contents, &job)?,
            _ if redo => return Ok(()),
            _ => permit(s, &mut contents, &job)?,
        };
        if !redo {
            let after = dn.and_then(|dn| self.accessed(pid, dn, verb).ok());
            let (from, to) = match verb {
                "DELETE" => (removed.as_ref().map(EntryName::of), None),
                "MODIFY" => (before.map(|a| a.name()), after.map(|a| a.name())),
                "SAVE" | "ACCESS" | "ACQUIRE" => (None, after.map(|a| a.name())),
                _ => (None, None),
            };
            contents.record(Outcome {
                done: job.done.done(),
                line: line.clone(),
                from,
                to,
                removed,
            });
        }
        catalogue
            .write(contents)
            .map_err(|e| format!(" {verb}: {e}"))?;
        self.job_log(line);
        Ok(())
    }

    /// Operation `s`, which the store's outcome `at` says was made (the job continues
    /// from a checkpoint taken before it), made again in effect only: its log line
    /// again, and the job holds the dataset it made or accessed, under the name the
    /// operations recorded after it gave it. The store does not change.
    fn make_again(
        &mut self,
        pid: Pid,
        s: &Statement,
        catalogue: &Catalogue,
        contents: &mut Contents,
        at: usize,
        job: &Job,
    ) -> VerbResult {
        let outcome = contents.outcomes[at].clone();
        if let ("ADJUST", Some(dn)) = (s.verb.as_str(), s.value("DN")) {
            // The store has what the job wrote up to its ADJUST, as the first time.
            if let Some(local) = self.deck_of_mut(pid).and_then(|d| d.datasets.get_mut(dn)) {
                local.modified = false;
            }
        }
        let Some(to) = &outcome.to else {
            self.job_log(outcome.line);
            return Ok(());
        };
        let now = contents.renamed_since(at, to).map_err(|kept| kept.cloned());
        match (s.verb.as_str(), now, s.value("DN")) {
            ("ACCESS" | "ACQUIRE", Err(None), _) => {
                return Err(format!(
                    " {}: PDN={} ID={} ED={} OWN={}: DELETED after this job accessed it \
                     (the job continues from a checkpoint taken before its {}), and \
                     another job has used the store since: what it read is gone",
                    s.verb, to.pdn, to.id, to.edition, to.own, s.verb
                ));
            }
            ("ACCESS" | "ACQUIRE", now, _) => {
                self.access(pid, s, catalogue, contents, job, Some(now))?;
            }
            ("SAVE", now, Some(dn)) => self.keep_as_saved(pid, dn, now.as_ref().unwrap_or(to)),
            ("MODIFY", now, Some(dn)) => self.rename_held(pid, dn, now.as_ref().unwrap_or(to)),
            _ => {}
        }
        self.job_log(outcome.line);
        Ok(())
    }

    /// The job's local dataset `dn`, a permanent dataset it holds, is dataset `name`
    /// of the store now, with the access it had (MODIFY renamed it).
    fn rename_held(&mut self, pid: Pid, dn: &str, name: &EntryName) {
        let held = self
            .deck_of_mut(pid)
            .and_then(|d| d.datasets.get_mut(dn))
            .and_then(|local| local.permanent.as_mut());
        if let Some(held) = held {
            *held = Accessed::of(name, held.access);
        }
    }

    /// ACCESS, and ACQUIRE, which is ACCESS of a dataset the store has: COS's
    /// ACQUIRE fetched one the store lacked from the front end and made it
    /// permanent first (SR-0011, "Dataset staging control"), which is not served,
    /// so that case fails with its reason.
    fn access(
        &mut self,
        pid: Pid,
        s: &Statement,
        catalogue: &Catalogue,
        contents: &mut Contents,
        job: &Job,
        again: Option<Result<EntryName, Option<Entry>>>,
    ) -> Result<String, String> {
        let verb = s.verb.as_str();
        let dn = required(s, "DN")?;
        if self
            .deck_of(pid)
            .is_some_and(|d| d.datasets.contains_key(dn))
        {
            return Err(format!(
                " {verb}: {dn} is already a local dataset of the job"
            ));
        }
        let (entry, index) = match again {
            // Made again: the edition it accessed, under its name now, or as it was
            // when the job deleted it after the access.
            Some(Err(Some(removed))) => (removed, None),
            again => {
                let key = match again {
                    Some(Ok(name)) => Key::named(&name),
                    _ => Key::of(s, dn, &job.user)?,
                };
                let index = key.find(contents, verb).map_err(|line| match verb {
                    "ACQUIRE" => format!(
                        "{line}: ACQUIRE takes it from the permanent-dataset store only; \
                         getting it from the front end and saving it is not served (FETCH \
                         then SAVE does that)"
                    ),
                    _ => line,
                })?;
                (contents.entries[index].clone(), Some(index))
            }
        };
        let entry = &entry;
        let access = granted(entry, s, &job.user);
        if access < Access::Read {
            return Err(format!(
                " {verb}: {}: PERMISSION DENIED ({})",
                entry.describe(),
                refusal(entry, s, &job.user, Access::Read)
            ));
        }
        let bytes = catalogue
            .read_data(entry)
            .map_err(|e| format!(" {verb}: {e}"))?;
        let mut local =
            stored_dataset(&bytes, entry).map_err(|e| format!(" {verb}: {}: {e}", entry.file))?;
        if let Some(deck) = self.deck_of(pid) {
            deck.room_for(dn, local.bytes())
                .map_err(|e| format!(" {verb}: {}: {e}", entry.describe()))?;
        }
        local.permanent = Some(Accessed::of(&EntryName::of(entry), access));
        let line = format!(
            " {} ACCESSED AS {dn}, PERMISSION {}{}",
            entry.describe(),
            access.letter(),
            withheld(entry, s, &job.user, access)
        );
        if let Some(index) = index.filter(|_| !contents.is_done(job.done)) {
            let entry = &mut contents.entries[index];
            entry.accessed = job.now;
            entry.accesses += 1;
        }
        if let Some(deck) = self.deck_of_mut(pid) {
            deck.datasets.insert(dn.to_string(), local);
        }
        Ok(line)
    }

    /// SAVE.
    fn save(
        &mut self,
        pid: Pid,
        s: &Statement,
        catalogue: &Catalogue,
        contents: &mut Contents,
        job: &Job,
    ) -> Result<String, String> {
        let dn = required(s, "DN")?;
        let local = self
            .deck_of(pid)
            .and_then(|d| d.datasets.get(dn))
            .cloned()
            .ok_or_else(|| format!(" SAVE: {dn} is not a local dataset of the job"))?;
        let pdn = s.value("PDN").unwrap_or(dn).to_string();
        let id = s.value("ID").unwrap_or("").to_string();
        let own = job.user.clone();
        let editions = contents.editions(&pdn, &id, &own);
        let highest = editions.iter().map(|e| e.edition).max().unwrap_or(0);
        if let Some(latest) = editions.iter().find(|e| e.edition == highest) {
            if !latest.maintenance.is_empty() && s.value("M") != Some(latest.maintenance.as_str()) {
                return Err(format!(
                    " SAVE: {}: PERMISSION DENIED (a new edition needs the maintenance password)",
                    latest.describe()
                ));
            }
        }
        let edition = match s.value("ED") {
            Some(text) => edition(text, "SAVE")?,
            // A store written before MODIFY checked editions may hold any u32.
            None => in_range(highest.saturating_add(1), "SAVE")?,
        };
        if editions.iter().any(|e| e.edition == edition) {
            return Err(format!(
                " SAVE: PDN={pdn} ID={id} ED={edition} OWN={own}: EDITION ALREADY EXISTS"
            ));
        }
        let public = match s.value("PAM") {
            Some(text) => {
                Access::parse(text).ok_or_else(|| format!(" SAVE: PAM={text}: N, E, R, W or M"))?
            }
            None => Access::None,
        };
        let bytes = stored_bytes(&local).map_err(|e| format!(" SAVE: {dn}: {e}"))?;
        let file = catalogue
            .write_data(contents, &bytes)
            .map_err(|e| format!(" SAVE: {dn}: {e}"))?;
        let entry = Entry {
            pdn,
            id,
            own,
            edition,
            read: s.value("R").unwrap_or("").to_string(),
            write: s.value("W").unwrap_or("").to_string(),
            maintenance: s.value("M").unwrap_or("").to_string(),
            public,
            permits: Vec::new(),
            text: s.value("TEXT").unwrap_or("").to_string(),
            notes: s.value("NOTES").unwrap_or("").to_string(),
            retention: s
                .value("RT")
                .map(|t| number(t, "SAVE", "RT"))
                .transpose()?
                .unwrap_or(0),
            created: job.now,
            modified: job.now,
            accessed: job.now,
            accesses: 0,
            dumped: 0,
            words: (bytes.len() / 8) as u64,
            file,
            unblocked: local.unblocked.is_some(),
        };
        let line = format!(" {} SAVED FROM {dn}", entry.describe());
        self.keep_as_saved(pid, dn, &EntryName::of(&entry));
        contents.entries.push(entry);
        Ok(line)
    }

    /// After SAVE the job's local dataset `dn` is the permanent dataset `name` (with
    /// maintenance permission, not written since), as
    /// on COS, where SAVE entered the dataset's own disk space in the catalogue:
    /// written after it, it is written back at its release or the job's end, as an
    /// accessed one is (GENCAT saves its `$MASTER` right after defining it, then
    /// writes the catalogue's regions into it).
    fn keep_as_saved(&mut self, pid: Pid, dn: &str, name: &EntryName) {
        let Some(local) = self.deck_of_mut(pid).and_then(|d| d.datasets.get_mut(dn)) else {
            return;
        };
        local.permanent = Some(Accessed::of(name, Access::Maintenance));
        local.modified = false;
    }

    /// DELETE.
    fn delete(
        &mut self,
        pid: Pid,
        s: &Statement,
        contents: &mut Contents,
        job: &Job,
    ) -> Result<(String, Entry), String> {
        let index = match (s.value("DN"), s.value("PDN")) {
            (Some(dn), None) => {
                let accessed = self.accessed(pid, dn, "DELETE")?;
                if accessed.access < Access::Maintenance {
                    return Err(format!(" DELETE: {dn}: PERMISSION DENIED (accessed without maintenance permission)"));
                }
                Key::accessed(&accessed).find(contents, "DELETE")?
            }
            (_, Some(_)) => {
                let key = Key::of(s, "", &job.user)?;
                let index = key.find(contents, "DELETE")?;
                let entry = &contents.entries[index];
                if !allows(entry, s, &job.user, Access::Maintenance) {
                    return Err(format!(
                        " DELETE: {}: PERMISSION DENIED ({})",
                        entry.describe(),
                        refusal(entry, s, &job.user, Access::Maintenance)
                    ));
                }
                index
            }
            (None, None) => return Err(" DELETE: DN= or PDN= is required".to_string()),
        };
        let entry = contents.entries.remove(index);
        Ok((format!(" {} DELETED", entry.describe()), entry))
    }

    /// ADJUST.
    fn adjust(
        &mut self,
        pid: Pid,
        s: &Statement,
        catalogue: &Catalogue,
        contents: &mut Contents,
        job: &Job,
    ) -> Result<String, String> {
        let dn = required(s, "DN")?;
        let accessed = self.accessed(pid, dn, "ADJUST")?;
        if accessed.access < Access::Write {
            return Err(format!(
                " ADJUST: {dn}: PERMISSION DENIED (accessed without write permission)"
            ));
        }
        let index = Key::accessed(&accessed).find(contents, "ADJUST")?;
        let local = self
            .deck_of(pid)
            .and_then(|d| d.datasets.get(dn))
            .cloned()
            .unwrap_or_else(JobDataset::empty);
        let bytes = stored_bytes(&local).map_err(|e| format!(" ADJUST: {dn}: {e}"))?;
        let file = catalogue
            .write_data(contents, &bytes)
            .map_err(|e| format!(" ADJUST: {dn}: {e}"))?;
        let entry = &mut contents.entries[index];
        entry.file = file;
        entry.words = (bytes.len() / 8) as u64;
        entry.unblocked = local.unblocked.is_some();
        entry.modified = job.now;
        if let Some(d) = self.deck_of_mut(pid).and_then(|d| d.datasets.get_mut(dn)) {
            d.modified = false;
        }
        Ok(format!(" {} ADJUSTED", contents.entries[index].describe()))
    }

    /// MODIFY.
    fn modify(
        &mut self,
        pid: Pid,
        s: &Statement,
        contents: &mut Contents,
        _job: &Job,
    ) -> Result<String, String> {
        let dn = required(s, "DN")?;
        let accessed = self.accessed(pid, dn, "MODIFY")?;
        if accessed.access < Access::Maintenance {
            return Err(format!(
                " MODIFY: {dn}: PERMISSION DENIED (accessed without maintenance permission)"
            ));
        }
        let index = Key::accessed(&accessed).find(contents, "MODIFY")?;
        let mut entry = contents.entries[index].clone();
        if let Some(pdn) = s.value("PDN") {
            entry.pdn = pdn.to_string();
        }
        if let Some(id) = s.values("ID") {
            entry.id = id.first().cloned().unwrap_or_default();
        }
        if let Some(ed) = s.value("ED") {
            entry.edition = edition(ed, "MODIFY")?;
        }
        if let Some(rt) = s.value("RT") {
            entry.retention = number(rt, "MODIFY", "RT")?;
        }
        for (key, field) in [
            ("R", &mut entry.read),
            ("W", &mut entry.write),
            ("M", &mut entry.maintenance),
        ] {
            if let Some(values) = s.values(key) {
                *field = values.first().cloned().unwrap_or_default();
            }
        }
        if let Some(text) = s.value("PAM") {
            entry.public = Access::parse(text)
                .ok_or_else(|| format!(" MODIFY: PAM={text}: N, E, R, W or M"))?;
        }
        if let Some(text) = s.values("TEXT") {
            entry.text = text.first().cloned().unwrap_or_default();
        }
        if let Some(notes) = s.values("NOTES") {
            entry.notes = notes.first().cloned().unwrap_or_default();
        }
        let moved = (&entry.pdn, &entry.id, entry.edition)
            != (&accessed.pdn, &accessed.id, accessed.edition);
        if moved
            && contents
                .find(&entry.pdn, &entry.id, &entry.own, Some(entry.edition))
                .is_some()
        {
            return Err(format!(
                " MODIFY: {}: EDITION ALREADY EXISTS",
                entry.describe()
            ));
        }
        let line = format!(" {} MODIFIED", entry.describe());
        self.rename_held(pid, dn, &EntryName::of(&entry));
        contents.entries[index] = entry;
        Ok(line)
    }

    /// What ACCESS made of local dataset `dn`.
    fn accessed(&self, pid: Pid, dn: &str, verb: &str) -> Result<Accessed, String> {
        self.deck_of(pid)
            .and_then(|d| d.datasets.get(dn))
            .and_then(|d| d.permanent.clone())
            .ok_or_else(|| format!(" {verb}: {dn} is not a permanent dataset the job accessed"))
    }

    /// At RELEASE and at the end of the job: an accessed dataset the job wrote goes
    /// back to the store when the access allows writing.
    pub(super) fn write_back(&mut self, pid: Pid, name: &str) -> VerbResult {
        let Some(dataset) = self
            .deck_of(pid)
            .and_then(|d| d.datasets.get(name))
            .cloned()
        else {
            return Ok(());
        };
        let (Some(accessed), true) = (&dataset.permanent, dataset.modified) else {
            return Ok(());
        };
        if accessed.access < Access::Write {
            return Err(format!(" {name}: written, but PDN={} was accessed without write permission: the changes are lost", accessed.pdn));
        }
        let Some(catalogue) = self.deck_host.catalogue.clone() else {
            return Ok(());
        };
        let fail = |e: String| format!(" {name}: writing PDN={} back: {e}", accessed.pdn);
        let mut contents = catalogue.read().map_err(|e| fail(e.to_string()))?;
        let index = Key::accessed(accessed).find(&contents, name)?;
        let bytes = stored_bytes(&dataset).map_err(&fail)?;
        let file = catalogue
            .write_data(&mut contents, &bytes)
            .map_err(|e| fail(e.to_string()))?;
        let now = self.time();
        let entry = &mut contents.entries[index];
        entry.file = file;
        entry.words = (bytes.len() / 8) as u64;
        entry.unblocked = dataset.unblocked.is_some();
        entry.modified = now;
        catalogue.write(contents).map_err(|e| fail(e.to_string()))?;
        Ok(())
    }
}

/// The bytes of the store's file of local dataset `local`: a COS blocked dataset of
/// its items, or the words of an unblocked one as they are.
fn stored_bytes(local: &JobDataset) -> Result<Vec<u8>, String> {
    match &local.unblocked {
        Some(words) => Ok(words_to_bytes(words)),
        None => host_bytes(&local.items, false),
    }
}

/// The local dataset the store's file `bytes` of `entry` holds, in the form its
/// entry names.
fn stored_dataset(bytes: &[u8], entry: &Entry) -> Result<JobDataset, String> {
    if entry.unblocked {
        let words = words_from_bytes(bytes).map_err(|e| e.to_string())?;
        return Ok(JobDataset::unblocked(words));
    }
    let (items, _) = items_from_host(bytes)?;
    Ok(JobDataset::holding(items))
}

/// PERMIT.
fn permit(s: &Statement, contents: &mut Contents, job: &Job) -> Result<String, String> {
    let key = Key::of(s, "", &job.user)?;
    let index = key.find(contents, "PERMIT")?;
    let user = required(s, "USER")?.to_string();
    let access = match s.value("AM") {
        Some(text) => {
            Access::parse(text).ok_or_else(|| format!(" PERMIT: AM={text}: N, E, R, W or M"))?
        }
        None => Access::None,
    };
    let entry = &mut contents.entries[index];
    if !allows(entry, s, &job.user, Access::Maintenance) {
        return Err(format!(
            " PERMIT: {}: PERMISSION DENIED ({})",
            entry.describe(),
            refusal(entry, s, &job.user, Access::Maintenance)
        ));
    }
    entry.permits.retain(|p| p.user != user);
    if access != Access::None && !s.flag("RP") {
        entry.permits.push(Permit {
            user: user.clone(),
            access,
        });
    }
    Ok(format!(
        " {} PERMIT {user} {}",
        entry.describe(),
        access.letter()
    ))
}

/// The job's side of an operation.
struct Job {
    user: String,
    done: Operation,
    now: u64,
}

/// Which dataset a statement names.
struct Key {
    pdn: String,
    id: String,
    own: String,
    edition: Option<u32>,
}

impl Key {
    /// PDN (default `dn`), ID, OWN (default the job's user), ED.
    fn of(s: &Statement, dn: &str, user: &str) -> Result<Key, String> {
        let pdn = s.value("PDN").unwrap_or(dn);
        if pdn.is_empty() {
            return Err(format!(" {}: PDN= is required", s.verb));
        }
        Ok(Key {
            pdn: pdn.to_string(),
            id: s.value("ID").unwrap_or("").to_string(),
            own: s.value("OWN").unwrap_or(user).to_string(),
            edition: s
                .value("ED")
                .map(|t| number(t, &s.verb, "ED"))
                .transpose()?,
        })
    }

    fn named(name: &EntryName) -> Key {
        Key {
            pdn: name.pdn.clone(),
            id: name.id.clone(),
            own: name.own.clone(),
            edition: Some(name.edition),
        }
    }

    fn accessed(a: &Accessed) -> Key {
        Key::named(&a.name())
    }

    /// The index of the entry in `contents`; `Err` is the log line, which starts
    /// with `verb` (the statement's verb, as its other failures do, so that the
    /// log says which statement found nothing when the statements are not echoed;
    /// or the local dataset being written back).
    fn find(&self, contents: &Contents, verb: &str) -> Result<usize, String> {
        contents
            .find(&self.pdn, &self.id, &self.own, self.edition)
            .ok_or_else(|| {
                let ed = self.edition.map_or(String::new(), |e| format!(" ED={e}"));
                format!(
                    " {verb}: PDN={} ID={}{ed} OWN={}: DATASET NOT FOUND",
                    self.pdn, self.id, self.own
                )
            })
    }
}

/// The value of `key`, which the verb requires.
fn required<'a>(s: &'a Statement, key: &str) -> Result<&'a str, String> {
    s.value(key)
        .ok_or_else(|| format!(" {}: {key}= is required", s.verb))
}

/// The highest edition (SR-0011 9-3: editions 1 to 4095).
const MAX_EDITION: u32 = 4095;

/// The edition `ED=text` of `verb` that makes or renumbers one: 1 to [`MAX_EDITION`].
fn edition(text: &str, verb: &str) -> Result<u32, String> {
    in_range(number(text, verb, "ED")?, verb)
}

/// `edition`, when it is one a dataset may have.
fn in_range(edition: u32, verb: &str) -> Result<u32, String> {
    if (1..=MAX_EDITION).contains(&edition) {
        Ok(edition)
    } else {
        Err(format!(
            " {verb}: ED={edition}: editions are 1 to {MAX_EDITION}"
        ))
    }
}

fn number(text: &str, verb: &str, key: &str) -> Result<u32, String> {
    text.parse()
        .map_err(|_| format!(" {verb}: {key}={text} is not a number"))
}

/// Whether `user` may use `entry` in `mode` with the passwords of `s`: the mode's
/// password (read's for execute) when the dataset has one, and for anyone but the
/// owner the mode from the public access (PAM) or a permit.
fn allows(entry: &Entry, s: &Statement, user: &str, mode: Access) -> bool {
    let (password, key) = match mode {
        Access::None => return true,
        Access::Execute | Access::Read => (&entry.read, "R"),
        Access::Write => (&entry.write, "W"),
        Access::Maintenance => (&entry.maintenance, "M"),
    };
    let given = password.is_empty() || s.value(key) == Some(password.as_str());
    given && (user == entry.own || permitted(entry, user) >= mode)
}

/// What the public access and `user`'s permits let a user who is not the owner do.
fn permitted(entry: &Entry, user: &str) -> Access {
    entry
        .permits
        .iter()
        .filter(|p| p.user == user)
        .map(|p| p.access)
        .max()
        .unwrap_or(Access::None)
        .max(entry.public)
}

/// What ACCESS grants `user`: nothing without read; then write, then maintenance
/// (which includes write) as far as `allows` lets.
fn granted(entry: &Entry, s: &Statement, user: &str) -> Access {
    let may = |mode| allows(entry, s, user, mode);
    if !may(Access::Read) {
        Access::None
    } else if may(Access::Write) && may(Access::Maintenance) {
        Access::Maintenance
    } else if may(Access::Write) {
        Access::Write
    } else {
        Access::Read
    }
}

/// Why the write or maintenance permission the statement gave a password for is
/// not among those granted (`access`), as `, W NOT GRANTED (...)`; empty when each
/// was granted or not asked for. The permission granted was logged alone, so a
/// user who gave `M=` learned only at a later MODIFY that the access had no
/// maintenance permission, and not why.
fn withheld(entry: &Entry, s: &Statement, user: &str, access: Access) -> String {
    let mut notes = String::new();
    for (mode, key) in [(Access::Write, "W"), (Access::Maintenance, "M")] {
        if access >= mode || s.value(key).is_none() {
            continue;
        }
        let mut why = refusal(entry, s, user, mode);
        if why.is_empty() {
            // Its own password and the user's right are good: what it lacks is
            // the write permission that maintenance includes.
            why = format!(
                "maintenance includes write: {}",
                refusal(entry, s, user, Access::Write)
            );
        }
        notes.push_str(&format!(", {key} NOT GRANTED ({why})"));
    }
    notes
}

/// Why `user` may not use `entry` in `wanted`.
fn refusal(entry: &Entry, s: &Statement, user: &str, wanted: Access) -> String {
    let (password, key, what) = match wanted {
        Access::Write => (&entry.write, "W", "write"),
        Access::Maintenance => (&entry.maintenance, "M", "maintenance"),
        _ => (&entry.read, "R", "read"),
    };
    let mut reasons = Vec::new();
    if !password.is_empty() && s.value(key) != Some(password.as_str()) {
        let how = if s.value(key).is_some() {
            "wrong"
        } else {
            "not given"
        };
        reasons.push(format!("{what} password {how}"));
    }
    if user != entry.own && permitted(entry, user) < wanted {
        reasons.push(format!(
            "user {user} is not the owner and has no {} permission",
            wanted.letter()
        ));
    }
    reasons.join(", ")
}
