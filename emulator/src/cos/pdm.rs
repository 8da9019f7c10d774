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
//! AUDIT's own accessor functions of the PDD (`PMxxx`, read as `cos::dsc` reads
//! `DCxxx`) confirm these and name more: PMSIZE (word 0 bits 32–39: the 4 AUDIT
//! stores), PMDN (word 1 bits 0–55), PMMCNR/PMMCRS and PMDCOP/PMDCHP (word 2's two
//! halves after the MCD and DSC accesses), PMNPG and PMBPG (word 2 bits 32–47 and
//! 48–63, DMP10's page count and first page), PMBUF (word 3 bits 40–63), PMPDN
//! (words 2–3), PMID (word 4), PMED (word 7 bits 52–63), PMOWN (words 043–044).
//!
//! Served:
//!
//! - the catalogue accesses (AUDIT, RELOAD: function codes 0231–0234): the system's
//!   catalogue datasets are made local under the name in word 1. The DSC (0231)
//!   holds the store's entries as COS's pages ([`super::dsc`]), read by block
//!   number (AUDIT's `$RLB`), and word 2 is PMDCOP = 0, PMDCHP = its pages. The DXT
//!   (0232) and BCD (0234) are empty. An empty catalogue (no store, or a store
//!   with no entry) has an empty MCD, which AUDIT reads first, with word 2 0 (AUDIT
//!   then says `AU003 - NO DATASETS SELECTED`), and a DSC of one page with no entry
//!   in use (as a COS system's DSC always has its pages; GENCAT stops at a DSC of
//!   none, `super::dsc::pages`). The MCD (0233) of a store that holds datasets
//!   is refused ([`STATUS_NOT_SERVED`]): its layout (AUDIT's `KMxxx` accessors
//!   give its entries' fields, not how its pages are found) is not served, and
//!   AUDIT then reads the DSC (`AU019 - MCD ACCESS FAILED, USING DSC.`).
//! - the catalogue page request (DMP10: function code 040): the DSC's pages from
//!   PMBPG, as many as PMNPG asks, into the buffer at PMBUF; PMNPG comes back as the
//!   number given, with status 0211 when no page follows them.
//! - function 0170 (DMP10, once for each entry it dumps): the permanent dataset the
//!   PDD names is made local under PMDN, a copy.
//! - functions 010 (SAVE) and 020 (ACCESS), GENCAT's: the PDD is read as the control
//!   statement it stands for and made by the verb's own code
//!   (`cos::deck::permanent`), remembered in the store under the request's clock
//!   period so that a resumed step does not make it twice.
//! - function 0100 (DMP10's dump time call, P=06443): the entry of the dataset
//!   made local under PMDN by 0170 records the time as its dump time (DCTDM).
//! - function 050 (PLD10's reload, P=0744b): a SAVE of the dataset it has just
//!   loaded under the dumped PDN, ID and edition, for a job whose user is the
//!   dumped owner.
//!
//! An unknown function code (AUDIT's 0430, asked with the job's owner after an
//! MCD access: its answer, PMGKEY and PMRFWA, is not known), a dataset that is not
//! in the store, and a store that cannot be read are answered with
//! [`STATUS_NOT_SERVED`] and a line on the console saying why, never by ending the
//! job. SAVE and the reload change the store, each made once (above); the dump time
//! call sets a time, the same on a resumed step.

use super::bits::{field, with_field};
use super::deck::catalogue::{Catalogue, Contents};
use super::deck::statement::{Param, Statement};
use super::requests::{dataset_name, Reply};
use crate::cos::System;
use crate::system::Pid;

/// The status field: word 0 bits 40–51.
const STATUS: (u32, u32) = (40, 51);
/// Words of a PDD that name a permanent dataset (up to PMOWN2, word 044).
const PDD_WORDS: u64 = 0o45;
/// The function-code field: word 0 bits 52–63.
const FUNCTION: (u32, u32) = (52, 63);
/// Pages wanted (in) and given (out): word 2 bits 32–47 (AUDIT's PMNPG).
const COUNT: (u32, u32) = (32, 47);
/// The first page wanted, from 1: word 2 bits 48–63 (AUDIT's PMBPG).
const FIRST_PAGE: (u32, u32) = (48, 63);
/// The page buffer's address: word 3 bits 40–63 (AUDIT's PMBUF).
const BUFFER: (u32, u32) = (40, 63);

/// The request was done.
pub const STATUS_DONE: u64 = 1;
/// The user of COS's own jobs, the owner of its catalogues.
const SYSTEM_USER: &str = "SYSTEM";
/// Done, and no pages follow this batch (DMP10's reading of the catalogue).
pub const STATUS_LAST: u64 = 0o211;
/// The emulator's own status (not a COS code, which are not known here): the
/// function is not served, the MCD cannot be shown, the dataset is not in the
/// store, the permissions refuse it, or the store could not be read. The console
/// says which.
pub const STATUS_NOT_SERVED: u64 = 0o7777;

/// Function codes seen in the corpus.
pub mod function {
    /// Read catalogue pages into a buffer (DMP10).
    pub const READ_PAGES: u64 = 0o40;
    /// Make the system's catalogue datasets local: the first and last codes of the
    /// range AUDIT and RELOAD use ($DSC 0231, $DXT 0232, $MCD 0233, $BCD 0234).
    pub const ACCESS_CATALOGUE: std::ops::RangeInclusive<u64> = 0o231..=0o234;
    /// The Dataset Catalog.
    pub const ACCESS_DSC: u64 = 0o231;
    /// The Master Catalog Directory.
    pub const ACCESS_MCD: u64 = 0o233;
    /// Make a permanent dataset local (DMP10, for each dataset it dumps).
    pub const ACCESS_PERMANENT: u64 = 0o170;
    /// Record that the dataset made local under PMDN by [`ACCESS_PERMANENT`] was
    /// dumped: DMP10's "dump time call" (its message for a failure, `PD935 - DUMP
    /// TIME CALL FAILED`), made once for each dataset after it is written to the
    /// dump (P=06443), which then releases the dataset (F$RLS at P=06467).
    pub const DUMP_TIME: u64 = 0o100;
    /// Make a local dataset permanent, as the SAVE control statement does: GENCAT
    /// (COS 1.17) makes it for its new `$MASTER` at P=020152, right after F$DNT,
    /// and says `GC005 - Error saving Master Catalog` when it fails.
    pub const SAVE: u64 = 0o10;
    /// Make a permanent dataset local, as the ACCESS control statement does:
    /// GENCAT makes it for `$MASTER` (P=051467) and for `$DSC` under the name
    /// `$CAT` (P=037534, its catalogue access 0231 following when it fails);
    /// LOADCAT's `UNABLE TO ACCESS BACKUP VOLUME` is its failure.
    pub const ACCESS: u64 = 0o20;
    /// Install the Master Catalog GENCAT built (P=053276): word 1 names the
    /// dataset that holds it (`$MASTER`, saved at the start), word 2 its regions
    /// (bits 0–31) and sectors per region (bits 32–63); `GC005 - Error saving
    /// Master Catalog` is its failure. The counterpart of [`ACCESS_MCD`].
    pub const INSTALL_MCD: u64 = 0o243;
    /// Install the Backup Catalog (the same call site): word 1 its dataset
    /// (`$BACKUP`), word 2 its sectors. The counterpart of AUDIT's 0234.
    pub const INSTALL_BCD: u64 = 0o244;
    /// Make a dataset loaded from a dump permanent again: PLD10's request
    /// (P=0744b) for each dataset it has written from its `$PDS`, with the PDD
    /// naming the local dataset (`WRITE`) and the dumped PDN, ID, edition and owner.
    pub const RELOAD: u64 = 0o50;
}

/// PMUQ: word 014 bit 0, unique access (AUDIT's setter at P=0132726).
const UNIQUE: u32 = 0;
/// PMRD, PMWT, PMMN: the read, write and maintenance passwords, words 015, 016
/// and 017 (AUDIT's setters at P=0133054, P=0133066, P=0133100).
const PASSWORDS: [(&str, usize); 3] = [("R", 0o15), ("W", 0o16), ("M", 0o17)];

/// The control statement a PDD stands for: `verb` with the PDD's fields as its
/// parameters (PMDN as DN, PMPDN, PMID, PMED, PMOWN, the passwords and PMUQ), so
/// that a request is checked and made by the very code of the verb.
fn pdd_statement(verb: &str, pdd: &[u64]) -> Statement {
    let mut params = Vec::new();
    let mut keyword = |key: &str, value: String| {
        if !value.is_empty() {
            params.push(Param {
                keyword: Some(key.to_string()),
                values: vec![value],
            });
        }
    };
    keyword("DN", dataset_name(pdd[1] & !0xFF));
    keyword("PDN", long_name(pdd[2], pdd[3]));
    keyword("ID", dataset_name(pdd[4]));
    let edition = field(pdd[7], 52, 63);
    if edition != 0 {
        keyword("ED", edition.to_string());
    }
    if verb != "SAVE" {
        // SAVE's owner is always the job's user.
        keyword("OWN", long_name(pdd[0o43], pdd[0o44]));
    }
    for (key, word) in PASSWORDS {
        keyword(key, dataset_name(pdd[word]));
    }
    if field(pdd[0o14], UNIQUE, UNIQUE) == 1 {
        params.push(Param {
            keyword: None,
            values: vec!["UQ".to_string()],
        });
    }
    Statement {
        verb: verb.to_string(),
        params,
    }
}

impl System {
    /// F$PDM: serves the PDD at S1 and stores its status in word 0 bits 40–51.
    pub(crate) fn cos_pdm(&mut self, pid: Pid, s1: u64) -> Reply {
        let address = s1 & 0xFF_FFFF;
        let Some(pdd) = self.cos_read(pid, address, 4) else {
            return System::bad_address("F$PDM", address);
        };
        let code = field(pdd[0], FUNCTION.0, FUNCTION.1);
        let (status, word2) = match self.pdm_serve(pid, code, &pdd) {
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
    fn pdm_serve(
        &mut self,
        pid: Pid,
        code: u64,
        pdd: &[u64],
    ) -> Result<(u64, Option<u64>), String> {
        match code {
            function::ACCESS_PERMANENT => return self.pdm_access_permanent(pid),
            function::SAVE => return self.pdm_statement(pid, "SAVE"),
            function::ACCESS => return self.pdm_statement(pid, "ACCESS"),
            function::RELOAD => return self.pdm_reload(pid),
            function::DUMP_TIME => return self.pdm_dump_time(pid, pdd),
            function::INSTALL_MCD => return self.pdm_install(pid, pdd, CatalogueKind::Master),
            function::INSTALL_BCD => return self.pdm_install(pid, pdd, CatalogueKind::Backup),
            function::READ_PAGES => {}
            _ if function::ACCESS_CATALOGUE.contains(&code) => {}
            _ => return Err("function code not known to this COS".to_string()),
        }
        let (pages, datasets) = self.pdm_dsc_pages()?;
        match code {
            function::READ_PAGES => self.pdm_read_pages(pid, pdd, &pages),
            function::ACCESS_DSC => self.pdm_access(pid, pdd, &pages),
            function::ACCESS_MCD if datasets > 0 => Err(format!(
                "the store holds {datasets} dataset(s), and the layout of COS 1.16's \
                 Master Catalog Directory (MCD) is not known here: only the DSC is shown"
            )),
            // The DXT and BCD: empty (the DSC entries name no extent and no backup).
            _ => self.pdm_access(pid, pdd, &[]),
        }
    }

    /// A catalogue access: the dataset named in word 1 holds `pages` (nothing for
    /// the DXT, the BCD and an empty MCD, which are empty datasets), read by block number as
    /// AUDIT's `$RLB` reads them; word 2 is PMDCOP (bits 0–31) = 0 and PMDCHP (bits
    /// 32–63) = the number of pages, the two numbers AUDIT adds up as the DSC's size.
    fn pdm_access(
        &mut self,
        pid: Pid,
        pdd: &[u64],
        pages: &[Vec<u64>],
    ) -> Result<(u64, Option<u64>), String> {
        let name = dataset_name(pdd[1]);
        if name.is_empty() {
            return Err("no dataset name in word 1".to_string());
        }
        if pages.is_empty() {
            // The name is made local, empty, when the job opens it.
            return Ok((STATUS_DONE, Some(0)));
        }
        let slot = self.cos_open_name(pid, &name)?;
        let dataset = self
            .open_dataset(pid, slot)
            .ok_or_else(|| format!("{name}: not open"))?;
        dataset.read_stream = Some(pages.concat());
        dataset.read_position = 0;
        Ok((STATUS_DONE, Some(pages.len() as u64)))
    }

    /// The catalogue page request (DMP10): the pages from word 2 bits 48–63 (the
    /// first is 1), as many as word 2 bits 32–47 ask, into the buffer at word 3
    /// bits 40–63; bits 32–47 come back as the number given, and the status is
    /// [`STATUS_LAST`] when no page follows them.
    fn pdm_read_pages(
        &mut self,
        pid: Pid,
        pdd: &[u64],
        pages: &[Vec<u64>],
    ) -> Result<(u64, Option<u64>), String> {
        let first = field(pdd[2], FIRST_PAGE.0, FIRST_PAGE.1).max(1) as usize;
        let wanted = field(pdd[2], COUNT.0, COUNT.1) as usize;
        let buffer = field(pdd[3], BUFFER.0, BUFFER.1);
        let given: Vec<&Vec<u64>> = pages.iter().skip(first - 1).take(wanted).collect();
        for (k, page) in given.iter().enumerate() {
            let at = buffer + (k * super::dsc::PAGE_WORDS) as u64;
            if !self.cos_write(pid, at, page) {
                return Err(format!("page buffer at {buffer:o} is not in the field"));
            }
        }
        let last = first - 1 + given.len() >= pages.len();
        let status = if last { STATUS_LAST } else { STATUS_DONE };
        let count = given.len() as u64;
        Ok((status, Some(with_field(pdd[2], COUNT.0, COUNT.1, count))))
    }

    /// Function 0170 (DMP10's at P=04267, once for each entry it dumps): the
    /// permanent dataset named by PMPDN (words 2–3), PMID (word 4), PMED (word 7
    /// bits 52–63, 0 for the highest) and PMOWN (words 043–044) is made local under
    /// PMDN (word 1 bits 0–55), the fields' places being AUDIT's accessors of the
    /// PDD (`cos::dsc`). A read-only copy: the store is not changed, so a job
    /// resumed from a checkpoint repeats nothing on the host.
    fn pdm_access_permanent(&mut self, pid: Pid) -> Result<(u64, Option<u64>), String> {
        let pdd = self.pdd_words(pid)?;
        let dn = dataset_name(pdd[1] & !0xFF);
        if dn.is_empty() {
            return Err("no dataset name in word 1 (PMDN)".to_string());
        }
        let pdn = long_name(pdd[2], pdd[3]);
        let id = dataset_name(pdd[4]);
        let own = long_name(pdd[0o43], pdd[0o44]);
        let edition = field(pdd[7], 52, 63) as u32;
        let (catalogue, contents) = self.pdm_store()?;
        let wanted = (edition > 0).then_some(edition);
        let index = contents
            .find(&pdn, &id, &own, wanted)
            .ok_or_else(|| format!("PDN={pdn} ID={id} ED={edition} OWN={own}: no such dataset"))?;
        let bytes = catalogue
            .read_data(&contents.entries[index])
            .map_err(|e| e.to_string())?;
        let (items, _) = super::local_datasets::items_from_host(&bytes)?;
        let entry = &contents.entries[index];
        let mut local = super::deck::JobDataset::holding(items);
        local.permanent = Some(super::deck::Accessed {
            pdn: entry.pdn.clone(),
            id: entry.id.clone(),
            own: entry.own.clone(),
            edition: entry.edition,
            access: super::deck::catalogue::Access::Read,
        });
        let deck = self.deck_of_mut(pid).ok_or("not a deck job")?;
        deck.datasets.insert(dn, local);
        Ok((STATUS_DONE, None))
    }

    /// The dump time call ([`function::DUMP_TIME`]): the store's entry of the
    /// permanent dataset made local under PMDN (word 1) records the time as its
    /// dump time (DCTDM of its DSC entry, AUDIT's `DUMPED` date). Setting it again
    /// on a resumed step sets the same time, the clock being the emulated one.
    fn pdm_dump_time(&mut self, pid: Pid, pdd: &[u64]) -> Result<(u64, Option<u64>), String> {
        let dn = dataset_name(pdd[1] & !0xFF);
        let accessed = self
            .deck_of(pid)
            .and_then(|deck| deck.datasets.get(&dn))
            .and_then(|dataset| dataset.permanent.clone())
            .ok_or_else(|| format!("{dn} is not a permanent dataset made local"))?;
        let (catalogue, mut contents) = self.pdm_store()?;
        let index = contents
            .find(
                &accessed.pdn,
                &accessed.id,
                &accessed.own,
                Some(accessed.edition),
            )
            .ok_or_else(|| format!("PDN={} is no longer in the store", accessed.pdn))?;
        contents.entries[index].dumped = self.time();
        catalogue.write(contents).map_err(|e| e.to_string())?;
        Ok((STATUS_DONE, None))
    }

    /// The whole PDD at S1, up to PMOWN2.
    fn pdd_words(&self, pid: Pid) -> Result<Vec<u64>, String> {
        let address = self.processes.get(&pid).map_or(0, |p| p.cpu.s[1]) & 0xFF_FFFF;
        self.cos_read(pid, address, PDD_WORDS)
            .ok_or_else(|| format!("the PDD's {PDD_WORDS:o} words are not in the field"))
    }

    /// SAVE or ACCESS by request (function [`function::SAVE`] or
    /// [`function::ACCESS`]): the verb's own code makes it, remembered under the
    /// step's clock period so that a resumed step does not make it twice.
    fn pdm_statement(&mut self, pid: Pid, verb: &str) -> Result<(u64, Option<u64>), String> {
        let pdd = self.pdd_words(pid)?;
        self.pdm_make(pid, verb, &pdd)
    }

    /// PLD10's reload ([`function::RELOAD`]): a SAVE of the loaded dataset under
    /// the dumped PDN, ID and edition, by a job whose user is the dumped owner
    /// (PMOWN). What the dump cannot carry is not restored: the DSC pages the
    /// emulator serves hold no passwords (their place in COS's entry is not known),
    /// and the permits and public access are not in the PDD, so the reloaded
    /// edition has none of them and only its owner can reach it.
    fn pdm_reload(&mut self, pid: Pid) -> Result<(u64, Option<u64>), String> {
        let pdd = self.pdd_words(pid)?;
        let owner = long_name(pdd[0o43], pdd[0o44]);
        let user = self
            .deck_of(pid)
            .map(|d| d.user.clone())
            .unwrap_or_default();
        if !owner.is_empty() && owner != user {
            return Err(format!(
                "reload of a dataset of OWN={owner}: this job's user is {user}, and only \
                 the owner reloads its datasets"
            ));
        }
        self.pdm_make(pid, "SAVE", &pdd)
    }

    /// Makes the operation of control statement `verb` that `pdd` stands for.
    fn pdm_make(
        &mut self,
        pid: Pid,
        verb: &str,
        pdd: &[u64],
    ) -> Result<(u64, Option<u64>), String> {
        let statement = pdd_statement(verb, pdd);
        let dn = statement
            .value("DN")
            .ok_or("no dataset name in word 1 (PMDN)")?
            .to_string();
        if verb == "SAVE" {
            self.pdm_close_for_save(pid, &dn)?;
        }
        let clock = self.processes.get(&pid).map_or(0, |p| p.cpu.cycles);
        self.permanent_request(pid, &statement, clock)
            .map_err(|why| why.trim_start().to_string())?;
        Ok((STATUS_DONE, None))
    }

    /// Before SAVE: the program's dataset `dn` is closed if open (SR-0011: SAVE
    /// closes the dataset, so what the buffer holds is saved), and a name the job
    /// has only defined (GENCAT's `F$DNT` of `$MASTER` before its SAVE) is an empty
    /// local dataset, as COS makes a dataset local when it is first named.
    fn pdm_close_for_save(&mut self, pid: Pid, dn: &str) -> Result<(), String> {
        self.cos_close_name(pid, dn)?;
        let deck = self.deck_of_mut(pid).ok_or("not a deck job")?;
        deck.datasets
            .entry(dn.to_string())
            .or_insert_with(super::deck::JobDataset::empty);
        Ok(())
    }

    /// GENCAT's install of the catalogue of `kind` it built ([`function::INSTALL_MCD`],
    /// [`function::INSTALL_BCD`]): the dataset in word 1, which the job holds and
    /// has saved as a permanent dataset of the user SYSTEM, becomes the system's
    /// catalogue of that kind in the store (the one before it, if any, is
    /// replaced, so a request made twice installs it once), and the job's log says
    /// so. Only a job of the user SYSTEM may. The store keeps which edition holds
    /// the catalogue and its size; the catalogue's own pages stay GENCAT's (AUDIT's
    /// 0233 is still refused: the MCD's layout is not known here, so the store
    /// could not keep it current as datasets are saved).
    fn pdm_install(
        &mut self,
        pid: Pid,
        pdd: &[u64],
        kind: CatalogueKind,
    ) -> Result<(u64, Option<u64>), String> {
        let user = self
            .deck_of(pid)
            .map(|d| d.user.clone())
            .unwrap_or_default();
        if user != SYSTEM_USER {
            return Err(format!(
                "install of the {kind}: the catalogues are the system's, and this job's user is {user}"
            ));
        }
        let dn = dataset_name(pdd[1]);
        let (regions, sectors) = match kind {
            CatalogueKind::Master => (field(pdd[2], 0, 31), field(pdd[2], 32, 63)),
            CatalogueKind::Backup => (1, field(pdd[2], 32, 63)),
        };
        if dn.is_empty() || regions == 0 || sectors == 0 {
            return Err(format!(
                "install of the {kind}: word 1 names no dataset ({dn:?}) or word 2 no size \
                 ({regions} region(s) of {sectors} sector(s))"
            ));
        }
        let (catalogue, mut contents) = self.pdm_store()?;
        let edition = contents
            .editions(&dn, "", SYSTEM_USER)
            .iter()
            .map(|e| e.edition)
            .max()
            .ok_or_else(|| {
                format!("install of the {kind}: PDN={dn} OWN={SYSTEM_USER} is not saved")
            })?;
        let installed = super::deck::catalogue::Installed {
            kind: kind.to_string(),
            pdn: dn.clone(),
            edition,
            regions,
            sectors,
        };
        contents.installed.retain(|i| i.kind != installed.kind);
        contents.installed.push(installed);
        catalogue.write(contents).map_err(|e| e.to_string())?;
        let size = match kind {
            CatalogueKind::Master => format!("{regions} REGIONS OF {sectors} SECTORS"),
            CatalogueKind::Backup => format!("{sectors} SECTORS"),
        };
        let line = format!(" {kind} INSTALLED FROM PDN={dn} ED={edition}: {size}");
        self.job_log(line);
        Ok((STATUS_DONE, None))
    }

    /// The permanent-dataset store and what its catalogue holds now.
    fn pdm_store(&self) -> Result<(Catalogue, Contents), String> {
        let catalogue = self
            .deck_host
            .catalogue
            .clone()
            .ok_or("no permanent-dataset store")?;
        let contents = catalogue.read().map_err(|e| e.to_string())?;
        Ok((catalogue, contents))
    }

    /// The DSC pages of the store's catalogue and the number of datasets they
    /// hold (an empty catalogue is one page; without a store the catalogue is
    /// that page too).
    fn pdm_dsc_pages(&self) -> Result<(Vec<Vec<u64>>, usize), String> {
        let contents = match &self.deck_host.catalogue {
            Some(catalogue) => catalogue.read().map_err(|e| e.to_string())?,
            None => Default::default(),
        };
        Ok((super::dsc::pages(&contents), contents.entries.len()))
    }
}
/// The catalogues GENCAT builds and installs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CatalogueKind {
    /// The Master Catalog (the MCD).
    Master,
    /// The Backup Catalog (the BCD).
    Backup,
}

impl std::fmt::Display for CatalogueKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CatalogueKind::Master => "MASTER CATALOG",
            CatalogueKind::Backup => "BACKUP CATALOG",
        })
    }
}

/// A name of up to 15 characters in two words (8, then 7 in bits 0–55).
fn long_name(first: u64, second: u64) -> String {
    let mut name = dataset_name(first);
    if name.len() == 8 {
        name.push_str(&dataset_name(second & !0xFF));
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cos::bits::ascii_word;
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
                queue: None,
                job_number: None,
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
        // The one page of an empty DSC (see `dsc::pages`), and it is the last.
        assert_eq!(field(pdd[2], COUNT.0, COUNT.1), 1, "one page");
        assert_eq!(field(pdd[2], 48, 63), 1, "first page kept");
        assert_eq!(pdd[3], 0o6553);
    }

    /// A store holding `pdns` (owner U, edition 1).
    fn store_of(pdns: &[&str]) -> tempfile::TempDir {
        let store = tempfile::tempdir().unwrap();
        let catalogue = Catalogue::open(store.path()).unwrap();
        let mut contents = catalogue.read().unwrap();
        for pdn in pdns {
            let entry =
                crate::cos::deck::catalogue::tests::entry(&catalogue, &mut contents, pdn, 1);
            contents.entries.push(entry);
        }
        catalogue.write(contents).unwrap();
        store
    }

    #[test]
    fn unknown_functions_and_catalogues_not_shown_answer_with_a_status() {
        let (pdd, alive) = request([0o777, ascii_word("X"), 0, 0], None);
        assert!(alive, "an unknown function does not end the job");
        assert_eq!(status(&pdd), STATUS_NOT_SERVED);
        let store = store_of(&["DATA"]);
        let before = std::fs::read(store.path().join("catalogue.json")).unwrap();
        // The MCD's layout is not known.
        let (pdd, alive) = request([0o233, ascii_word("$MCD"), 0, 0], Some(store.path()));
        assert!(alive);
        assert_eq!(status(&pdd), STATUS_NOT_SERVED);
        let after = std::fs::read(store.path().join("catalogue.json")).unwrap();
        assert_eq!(before, after, "F$PDM leaves the store as it was");
    }

    #[test]
    fn a_catalogue_that_holds_datasets_is_given_as_dsc_pages() {
        let names: Vec<String> = (0..9).map(|k| format!("D{k}")).collect();
        let store = store_of(&names.iter().map(String::as_str).collect::<Vec<_>>());
        let (pdd, alive) = request([0o231, ascii_word("$DSC"), 0, 0], Some(store.path()));
        assert!(alive);
        assert_eq!(status(&pdd), STATUS_DONE);
        assert_eq!(pdd[2], 2, "PMDCHP: two pages, PMDCOP 0");
        // DMP10's request: from page 2, 022 pages wanted, buffer at 04000.
        let words = [0o40, 0, 0o22 << 16 | 2, 0o4000];
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        system.attach_deck_host(DeckHost {
            system_dir: None,
            catalogue: Some(Catalogue::open(store.path()).unwrap()),
            queue: None,
            job_number: None,
        });
        assert!(system.cos_write(pid, PDD, &words));
        let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
        cpu.s[0] = 0o21;
        cpu.s[1] = PDD;
        system.cos_request(pid, 0o1000);
        let after = system.cos_read(pid, PDD, 4).unwrap();
        assert_eq!(field(after[0], STATUS.0, STATUS.1), STATUS_LAST);
        assert_eq!(field(after[2], COUNT.0, COUNT.1), 1, "one page given");
        let page = system.cos_read(pid, 0o4000, 0o20).unwrap();
        assert_eq!(field(page[0], 40, 63), 2, "PGNUM");
        assert_eq!(
            page[8 + 2],
            ascii_word("D8"),
            "the ninth entry, first of page 2"
        );
    }
    /// A deck job of user U holding DATA, with the store `store`
    /// ([`crate::cos::loader::test_deck_job`]).
    fn deck_job(store: &std::path::Path) -> (tempfile::TempDir, System, Pid) {
        let dir = tempfile::tempdir().unwrap();
        let (system, pid) = crate::cos::loader::test_deck_job(dir.path(), Some(store));
        (dir, system, pid)
    }

    /// F$PDM with the PDD `words` (the rest of its 045 words zero) at clock
    /// period `clock` of the step; returns the status.
    fn pdm_at(system: &mut System, pid: Pid, words: &[(usize, u64)], clock: u64) -> u64 {
        let mut pdd = vec![0; PDD_WORDS as usize];
        for &(index, word) in words {
            pdd[index] = word;
        }
        assert!(system.cos_write(pid, PDD, &pdd));
        let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
        cpu.s[0] = code::F_PDM;
        cpu.s[1] = PDD;
        cpu.cycles = clock;
        system.cos_request(pid, 0o1000);
        field(system.cos_read(pid, PDD, 1).unwrap()[0], STATUS.0, STATUS.1)
    }

    /// GENCAT's installs: only a job of SYSTEM, only of a dataset saved as SYSTEM's,
    /// and a second install of a kind replaces the first.
    #[test]
    fn gencat_installs_its_catalogues_once_for_the_system_user_only() {
        let store = tempfile::tempdir().unwrap();
        let (_dir, mut system, pid) = deck_job(store.path());
        let master = [
            (0, 3 << 24 | function::INSTALL_MCD),
            (1, ascii_word("$MASTER")),
            (2, 51 << 32 | 36),
        ];
        assert_eq!(
            pdm_at(&mut system, pid, &master, 10),
            STATUS_NOT_SERVED,
            "user U"
        );
        let jid = system.processes[&pid].jid;
        system.cos_decks.get_mut(&jid).unwrap().user = SYSTEM_USER.to_string();
        assert_eq!(
            pdm_at(&mut system, pid, &master, 20),
            STATUS_NOT_SERVED,
            "not saved"
        );
        let save = [(0, 0o74 << 24 | function::SAVE), (1, ascii_word("$MASTER"))];
        assert_eq!(pdm_at(&mut system, pid, &save, 30), STATUS_DONE);
        assert_eq!(pdm_at(&mut system, pid, &master, 40), STATUS_DONE);
        assert_eq!(pdm_at(&mut system, pid, &master, 50), STATUS_DONE);
        let backup = [
            (0, 3 << 24 | function::INSTALL_BCD),
            (1, ascii_word("$BACKUP")),
            (2, 0o310),
        ];
        assert_eq!(
            pdm_at(&mut system, pid, &backup, 60),
            STATUS_NOT_SERVED,
            "not saved"
        );
        let installed = Catalogue::open(store.path())
            .unwrap()
            .read()
            .unwrap()
            .installed;
        let expected = super::super::deck::catalogue::Installed {
            kind: "MASTER CATALOG".to_string(),
            pdn: "$MASTER".to_string(),
            edition: 1,
            regions: 51,
            sectors: 36,
        };
        assert_eq!(installed, [expected]);
        assert!(system
            .cos_log
            .iter()
            .any(|l| l
                == " MASTER CATALOG INSTALLED FROM PDN=$MASTER ED=1: 51 REGIONS OF 36 SECTORS"));
    }

    #[test]
    fn save_and_access_by_request_are_the_verbs_made_once() {
        let store = tempfile::tempdir().unwrap();
        let (_dir, mut system, pid) = deck_job(store.path());
        // GENCAT's SAVE: FC 010, PMSIZE 074, DN, PDN, PMUQ, and the three
        // passwords (here the read one only).
        let save = [
            (0, 0o74 << 24 | function::SAVE),
            (1, ascii_word("DATA")),
            (2, ascii_word("KEPT")),
            (0o14, 1 << 63),
            (0o15, ascii_word("RPW")),
        ];
        assert_eq!(pdm_at(&mut system, pid, &save, 100), STATUS_DONE);
        let catalogue = Catalogue::open(store.path()).unwrap();
        let entries = catalogue.read().unwrap().entries;
        assert_eq!(entries.len(), 1);
        let kept = &entries[0];
        assert_eq!((kept.pdn.as_str(), kept.own.as_str()), ("KEPT", "U"));
        assert_eq!((kept.edition, kept.read.as_str()), (1, "RPW"));
        assert!(kept.write.is_empty() && kept.maintenance.is_empty());
        // The step resumed from a checkpoint before it makes it again at the
        // same clock period: done already, no second edition.
        assert_eq!(pdm_at(&mut system, pid, &save, 100), STATUS_DONE);
        assert_eq!(catalogue.read().unwrap().entries.len(), 1);
        // A second SAVE later in the step is a second edition.
        assert_eq!(pdm_at(&mut system, pid, &save, 200), STATUS_DONE);
        let editions: Vec<u32> = catalogue
            .read()
            .unwrap()
            .entries
            .iter()
            .map(|e| e.edition)
            .collect();
        assert_eq!(editions, [1, 2]);
        // ACCESS (FC 020) without the read password is refused, with it done.
        let access = [
            (0, function::ACCESS),
            (1, ascii_word("COPY")),
            (2, ascii_word("KEPT")),
            (7, 1),
        ];
        assert_eq!(pdm_at(&mut system, pid, &access, 300), STATUS_NOT_SERVED);
        let local = |system: &System| system.deck_of(pid).unwrap().datasets.get("COPY").cloned();
        assert!(local(&system).is_none(), "refused: nothing made local");
        let mut with_password = access.to_vec();
        with_password.push((0o15, ascii_word("RPW")));
        assert_eq!(pdm_at(&mut system, pid, &with_password, 400), STATUS_DONE);
        let copy = local(&system).expect("made local");
        let data = &system.deck_of(pid).unwrap().datasets["DATA"];
        assert_eq!(copy.items, data.items);
        assert_eq!(copy.permanent.map(|p| p.edition), Some(1), "ED=1 asked");
    }

    #[test]
    fn a_reload_saves_under_the_dumped_names_for_the_dumped_owner_only() {
        let store = tempfile::tempdir().unwrap();
        let (_dir, mut system, pid) = deck_job(store.path());
        // PLD10's PDD: FC 050, DN, PDN, ID, ED 3, PMOWN; the job's user is U.
        let reload = |owner: &str| {
            [
                (0, function::RELOAD),
                (1, ascii_word("DATA")),
                (2, ascii_word("KEPT")),
                (4, ascii_word("XID")),
                (7, 3),
                (0o43, ascii_word(owner)),
            ]
        };
        assert_eq!(
            pdm_at(&mut system, pid, &reload("OTHER"), 100),
            STATUS_NOT_SERVED
        );
        let catalogue = Catalogue::open(store.path()).unwrap();
        assert!(
            catalogue.read().unwrap().entries.is_empty(),
            "not another's"
        );
        assert_eq!(pdm_at(&mut system, pid, &reload("U"), 200), STATUS_DONE);
        let entries = catalogue.read().unwrap().entries;
        let kept = &entries[0];
        assert_eq!(
            (
                kept.pdn.as_str(),
                kept.id.as_str(),
                kept.edition,
                kept.own.as_str()
            ),
            ("KEPT", "XID", 3, "U")
        );
        // The same edition again: refused, not there twice.
        assert_eq!(
            pdm_at(&mut system, pid, &reload("U"), 300),
            STATUS_NOT_SERVED
        );
        assert_eq!(catalogue.read().unwrap().entries.len(), 1);
    }

    #[test]
    fn save_by_request_of_a_name_only_defined_saves_it_empty() {
        let store = tempfile::tempdir().unwrap();
        let (_dir, mut system, pid) = deck_job(store.path());
        let save = [(0, function::SAVE), (1, ascii_word("$MASTER"))];
        assert_eq!(pdm_at(&mut system, pid, &save, 100), STATUS_DONE);
        let catalogue = Catalogue::open(store.path()).unwrap();
        let entries = catalogue.read().unwrap().entries;
        assert_eq!(entries[0].pdn, "$MASTER", "PDN defaults to DN");
        let bytes = catalogue.read_data(&entries[0]).unwrap();
        let (items, _) = crate::cos::local_datasets::items_from_host(&bytes).unwrap();
        assert_eq!(items, [crate::cos::dataset::DatasetItem::EndOfData]);
        // Without a deck there is no store to save in: a status, the job lives.
        let dir = tempfile::tempdir().unwrap();
        let (mut alone, pid) = crate::cos::loader::test_job(dir.path());
        assert_eq!(pdm_at(&mut alone, pid, &save, 100), STATUS_NOT_SERVED);
        assert!(alone.processes[&pid].is_alive());
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

    /// A word a hostile PDD might hold: zero, a name, a field address, or anything.
    fn pdd_word() -> impl proptest::strategy::Strategy<Value = u64> {
        use proptest::prelude::*;
        prop_oneof![
            Just(0u64),
            Just(ascii_word("DATA")),
            Just(ascii_word("$DSC")),
            Just(ascii_word("$MASTER")),
            0u64..0o100000,
            any::<u64>(),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(96))]

        /// Whatever a program puts in its PDD, F$PDM answers it with a status or
        /// ends the job, and never panics: every function code, page counts and
        /// buffers anywhere, names that are not datasets, at any clock period.
        #[test]
        fn any_pdd_is_answered_or_ends_the_job(
            function in proptest::prop_oneof![
                proptest::sample::select(vec![
                    function::READ_PAGES, 0o231, 0o232, 0o233, 0o234,
                    function::ACCESS_PERMANENT, function::DUMP_TIME, function::SAVE,
                    function::ACCESS, function::INSTALL_MCD, function::INSTALL_BCD,
                    function::RELOAD,
                ]),
                0u64..0o10000,
            ],
            high in 0u64..(1 << 52),
            words in proptest::collection::vec(pdd_word(), PDD_WORDS as usize - 1),
            clock in 0u64..1000,
            system_user in proptest::prelude::any::<bool>(),
        ) {
            let store = store_of(&["DATA", "$MASTER"]);
            let (_dir, mut system, pid) = deck_job(store.path());
            if system_user {
                let jid = system.processes[&pid].jid;
                system.cos_decks.get_mut(&jid).unwrap().user = SYSTEM_USER.to_string();
            }
            let mut pdd = vec![(0, high << 12 | function)];
            pdd.extend(words.iter().enumerate().map(|(k, &w)| (k + 1, w)));
            let status = pdm_at(&mut system, pid, &pdd, clock);
            if system.processes[&pid].is_alive() {
                proptest::prop_assert!(
                    [STATUS_DONE, STATUS_LAST, STATUS_NOT_SERVED].contains(&status),
                    "status {status:o}"
                );
            }
        }
    }
}
