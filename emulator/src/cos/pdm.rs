//! F$PDM (request 021): permanent-dataset management by request, over the store of
//! `--pds` (module `cos::deck::catalogue`, the one source of truth the deck verbs
//! SAVE/ACCESS/DELETE/... use).
//!
//! S1 = the address of a request block (the PDD, "permanent dataset definition").
//! No manual page at hand gives the PDD's layout (SM-0045, SR-0011 and SR-0012 as
//! scanned do not show it), so what follows is read from the corpus binaries
//! themselves (`docs/src/cos-jobs.md`, "F$PDM", has the addresses):
//!
//! | where | field | evidence (parcel addresses, octal) |
//! |---|---|---|
//! | word 0 bits 52–63 | function code (in) | AUDIT prints it as `FC =` in `PD612 - CATALOG ACCESS ERROR: FC =… STATUS =…` (its format at file word 022473); AUDIT's routine at P=0153150 stores it; DMP10 stores 040 there at P=02267–02275 |
//! | word 0 bits 40–51 | status (out) | read back after the request by AUDIT's routine at P=0132574 and by DMP10 at P=02450–02455; `STATUS =` in PD612 |
//! | word 0 bits 32–39 | not known | AUDIT's routine at P=0153024 stores 4 there; kept as it is |
//! | word 1 | a local dataset name (in) | AUDIT names `$MCD` (function 0233), `$DSC` (0231), `$DXT` (0232), `$BCD` (0234) there, then opens that name; RELOAD asks for `$BCD` and `$MCD` the same way |
//! | word 2 bits 0–31 and 32–63 | catalogue accesses: two numbers (out), inferred to be the catalogue dataset's size | after the MCD access AUDIT keeps both (its routines at P=0132660 and P=0132744), after the DSC access their sum (P=0133604, P=0133670, the sum at P=033124–033131); with both 0 it reads nothing of the dataset |
//! | word 2 bits 32–47 | DMP10: catalogue pages wanted (in), pages given (out) | DMP10 stores 022 at P=02277–02310, jumps to its end when the field is 0 after the request (P=02474–02502), and counts its pages against it (P=06543–06553) |
//! | word 2 bits 48–63 | DMP10: the first page wanted (1 first) | DMP10 stores 1 at P=02235–02242 and adds 022 after each batch (P=06555–06566) |
//! | word 3 bits 40–63 | DMP10: the address of its page buffer | DMP10 stores 06553 there at P=02312–02320; it reads entries of 077 words from 8 words into a page (P=06704–06720): 8 + 8 × 077 = 512 words a page (inferred) |
//!
//! Function 040 is a catalogue page request: DMP10's message for a status other
//! than 1 or 0211 is `PD907 - ERROR ON SYSTEM DATASET CATALOG PAGE REQUEST`.
//! Status 1 is success: both programs take that path (AUDIT at P=0112455–0112460, DMP10 at
//! P=02456–02460) and report anything else as an error. DMP10 takes 0211 as "this
//! batch is the last" (P=02462–02467): it sets a flag that stops it asking again
//! (P=06605–06607), and after a batch of 0 pages it goes to its end.
//!
//! Served:
//!
//! - the catalogue accesses (AUDIT, RELOAD: function codes 0231–0234): the system's
//!   catalogue datasets are made local under the name in word 1. For an empty
//!   catalogue (no store, or a store with no entry) these are empty datasets, which
//!   is what an empty catalogue is, and word 2 is 0: AUDIT then says
//!   `AU003 - NO DATASETS SELECTED`.
//! - the catalogue page request (DMP10: function code 040): for an empty catalogue,
//!   0 pages and status 0211.
//!
//! The layouts of COS 1.16's catalogue pages (MCD, DSC, DXT, BCD) and of their
//! 077-word entries are not known here, so a store that holds datasets
//! cannot be shown to these programs: such a request, an unknown function code, and
//! a store that cannot be read are answered with [`STATUS_NOT_SERVED`] and a line
//! on the console saying why, never by ending the job. Nothing F$PDM serves changes
//! the store, so a job resumed from a checkpoint repeats nothing on the host.

use super::bits::{field, with_field};
use super::requests::{dataset_name, Reply};
use crate::cos::System;
use crate::system::Pid;

/// The status field: word 0 bits 40–51.
const STATUS: (u32, u32) = (40, 51);
/// The function-code field: word 0 bits 52–63.
const FUNCTION: (u32, u32) = (52, 63);
/// Pages wanted (in) and given (out): word 2 bits 32–47.
const COUNT: (u32, u32) = (32, 47);

/// The request was done.
pub const STATUS_DONE: u64 = 1;
/// Done, and no pages follow this batch (DMP10's reading of the catalogue).
pub const STATUS_LAST: u64 = 0o211;
/// The emulator's own status (not a COS code, which are not known here): the
/// function is not served, the catalogue cannot be shown in COS's format, or the
/// store could not be read. The console says which.
pub const STATUS_NOT_SERVED: u64 = 0o7777;

/// Function codes seen in the corpus.
pub mod function {
    /// Read catalogue pages into a buffer (DMP10).
    pub const READ_PAGES: u64 = 0o40;
    /// Make the system's catalogue datasets local: the first and last codes of the
    /// range AUDIT and RELOAD use ($DSC 0231, $DXT 0232, $MCD 0233, $BCD 0234).
    pub const ACCESS_CATALOGUE: std::ops::RangeInclusive<u64> = 0o231..=0o234;
}

impl System {
    /// F$PDM: serves the PDD at S1 and stores its status in word 0 bits 40–51.
    pub(crate) fn cos_pdm(&mut self, pid: Pid, s1: u64) -> Reply {
        let address = s1 & 0xFF_FFFF;
        let Some(pdd) = self.cos_read(pid, address, 4) else {
            return System::bad_address("F$PDM", address);
        };
        let code = field(pdd[0], FUNCTION.0, FUNCTION.1);
        let (status, word2) = match self.pdm_serve(code, &pdd) {
            Ok(answer) => answer,
            Err(why) => {
                let line = format!("cray: pid {pid}: F$PDM function {code:o}: {why}\n");
                self.console_mut().message(line.as_bytes());
                (STATUS_NOT_SERVED, None)
            }
        };
        let word0 = with_field(pdd[0], STATUS.0, STATUS.1, status);
        if !self.cos_write(pid, address, &[word0])
            || !self.cos_write(pid, address + 2, &[word2.unwrap_or(pdd[2])])
        {
            return System::bad_address("F$PDM", address);
        }
        Reply::Status(0)
    }

    /// What function `code` answers: its status and the new word 2 (`None`: left
    /// as it is); `Err` says why it is not served.
    fn pdm_serve(&self, code: u64, pdd: &[u64]) -> Result<(u64, Option<u64>), String> {
        let known = code == function::READ_PAGES || function::ACCESS_CATALOGUE.contains(&code);
        if !known {
            return Err("function code not known to this COS".to_string());
        }
        let datasets = self.pdm_catalogued()?;
        if datasets > 0 {
            return Err(format!(
                "the store holds {datasets} dataset(s), and the layout of COS 1.16's \
                 catalogue (pages and entries) is not known here, so they cannot be shown"
            ));
        }
        if code == function::READ_PAGES {
            return Ok((STATUS_LAST, Some(with_field(pdd[2], COUNT.0, COUNT.1, 0))));
        }
        // An empty catalogue dataset: the name is made local when the job opens it.
        if dataset_name(pdd[1]).is_empty() {
            return Err("no dataset name in word 1".to_string());
        }
        // Both halves of word 2 are what AUDIT reads back as the catalogue's size
        // (inferred): nothing.
        Ok((STATUS_DONE, Some(0)))
    }

    /// The number of editions the store holds (0 with no store).
    fn pdm_catalogued(&self) -> Result<usize, String> {
        let Some(catalogue) = &self.deck_host.catalogue else {
            return Ok(0);
        };
        let contents = catalogue.read().map_err(|e| e.to_string())?;
        Ok(contents.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cos::bits::ascii_word;
    use crate::cos::deck::catalogue::Catalogue;
    use crate::cos::deck::DeckHost;
    use crate::cos::requests::code;

    const PDD: u64 = 0o2000;

    /// Makes F$PDM with the PDD `words` from a fresh job (with the store `store`);
    /// returns the PDD after it and whether the job lives.
    fn request(words: [u64; 4], store: Option<&std::path::Path>) -> ([u64; 4], bool) {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        if let Some(store) = store {
            system.attach_deck_host(DeckHost {
                system_dir: None,
                catalogue: Some(Catalogue::open(store).unwrap()),
            });
        }
        assert!(system.cos_write(pid, PDD, &words));
        let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
        cpu.s[0] = 0o21;
        cpu.s[1] = PDD;
        cpu.s[2] = 2;
        system.cos_request(pid, 0o1000);
        let alive = system.processes.get(&pid).is_some_and(|p| p.is_alive());
        let after = system.cos_read(pid, PDD, 4).unwrap_or_default();
        (after.try_into().unwrap_or([0; 4]), alive)
    }

    fn status(pdd: &[u64; 4]) -> u64 {
        field(pdd[0], STATUS.0, STATUS.1)
    }

    #[test]
    fn an_empty_catalogue_is_accessed_and_read() {
        // AUDIT's first request: FC 0233, bits 32-39 = 4, word 1 = $MCD.
        let (pdd, alive) = request([0o400000233, ascii_word("$MCD"), 0o77, 0], None);
        assert!(alive);
        assert_eq!(pdd[2], 0, "an empty catalogue has no size");
        assert_eq!(status(&pdd), STATUS_DONE);
        assert_eq!(field(pdd[0], FUNCTION.0, FUNCTION.1), 0o233, "FC kept");
        assert_eq!(field(pdd[0], 32, 39), 4, "other fields kept");
        // DMP10's: FC 040, 022 pages wanted from the first, buffer at 06553.
        let store = tempfile::tempdir().unwrap();
        let words = [3 << 62 | 0o40, 0, 0o22 << 16 | 1, 0o6553];
        let (pdd, alive) = request(words, Some(store.path()));
        assert!(alive);
        assert_eq!(status(&pdd), STATUS_LAST);
        assert_eq!(field(pdd[2], COUNT.0, COUNT.1), 0, "no pages");
        assert_eq!(field(pdd[2], 48, 63), 1, "first page kept");
        assert_eq!(pdd[3], 0o6553);
    }

    #[test]
    fn unknown_functions_and_catalogues_not_shown_answer_with_a_status() {
        let (pdd, alive) = request([0o777, ascii_word("X"), 0, 0], None);
        assert!(alive, "an unknown function does not end the job");
        assert_eq!(status(&pdd), STATUS_NOT_SERVED);
        let store = tempfile::tempdir().unwrap();
        let catalogue = Catalogue::open(store.path()).unwrap();
        let mut contents = catalogue.read().unwrap();
        let entry = crate::cos::deck::catalogue::tests::entry(&catalogue, &mut contents, "DATA", 1);
        contents.entries.push(entry);
        catalogue.write(contents).unwrap();
        let before = std::fs::read(store.path().join("catalogue.json")).unwrap();
        let (pdd, alive) = request([0o231, ascii_word("$DSC"), 0, 0], Some(store.path()));
        assert!(alive);
        assert_eq!(status(&pdd), STATUS_NOT_SERVED);
        let after = std::fs::read(store.path().join("catalogue.json")).unwrap();
        assert_eq!(before, after, "F$PDM leaves the store as it was");
    }

    #[test]
    fn a_pdd_outside_the_field_ends_the_job() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
        cpu.s[0] = code::F_PDM;
        cpu.s[1] = 0o77777777;
        system.cos_request(pid, 0o1000);
        assert_eq!(
            system.leader_status,
            Some(crate::system::ExitStatus::Signaled(
                crate::system::signals::SIGSEGV
            ))
        );
    }
}
