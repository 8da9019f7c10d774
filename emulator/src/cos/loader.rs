//! Starting a COS absolute binary as a job (`COS.md` §1.2, loader recipe).
//!
//! Field length: FL = max(HLM, end of TXT) + [`HEAP_WORDS`] + [`SYSTEM_AREA_WORDS`](super::job::SYSTEM_AREA_WORDS)
//! (a deck job's step: its system area of more slots, or its whole MFL, [`FieldShape`]),
//! rounded up to a multiple of 01000 words, and refused when it exceeds the memory
//! left (`--memory`). Memory is zeroed, TXT is copied to its load address (0200),
//! the JCB fills words 0–0177 with JCHLM = HLM, JCFL = JCMFL = FL and JCDSP, JCBFB,
//! JCLFT at the system area described in [`job`](super::job). P = the entry parcel.

use super::absolute::AbsoluteBinary;
use super::error::{CosFormatError, CosStartError};
use super::jcb::{JobCommunicationBlock, JCB_WORDS};
use super::job::{
    system_area_words, Backing, CosJob, BUFFER_WORDS, DSP_WORDS, HEAP_WORDS, LFT_ENTRY_WORDS,
    MAX_DATASETS,
};
use crate::cos::{Process, System, SystemError};
use crate::memory::Memory;
use crate::system::loader::LoadError;
use crate::system::{Personality, Pid};
use std::collections::BTreeMap;

/// Fields are multiples of this many words.
pub const FIELD_GRANULE: u64 = 0o1000;

/// The shape of a job's field: how many dataset slots its system area holds, and
/// the field length it is given when that is more than the program needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldShape {
    /// Dataset slots (LFT entries, DSPs and buffers).
    pub slots: u32,
    /// A deck job's maximum field length, given whole (module
    /// `cos::deck::field_limit`).
    pub mfl: Option<u64>,
}

impl FieldShape {
    /// A program run by itself: [`MAX_DATASETS`] slots, the field it needs.
    pub const ALONE: FieldShape = FieldShape {
        slots: MAX_DATASETS,
        mfl: None,
    };
}

/// The field length the loader gives `binary` run by itself.
pub fn field_length(binary: &AbsoluteBinary) -> u64 {
    needed_field_length(binary, MAX_DATASETS)
}

/// The field `binary` needs with a system area of `slots` dataset slots.
pub fn needed_field_length(binary: &AbsoluteBinary, slots: u32) -> u64 {
    let end = u64::from(binary.load_address) + binary.text.len() as u64;
    let top = end.max(u64::from(binary.hlm));
    let fl = top + u64::from(HEAP_WORDS) + u64::from(system_area_words(slots));
    fl.div_ceil(FIELD_GRANULE) * FIELD_GRANULE
}

/// A COS job's memory field, built but not yet given to a process.
pub(crate) struct CosField {
    /// The field: JCB, program, zeros.
    pub words: Vec<u64>,
    /// The job's COS state (datasets, LFT/DSP layout).
    pub job: CosJob,
    /// Field length in words.
    pub fl: u32,
}

/// Why a COS field could not be built.
pub(crate) enum CosFieldError {
    /// Not enough memory.
    Load(LoadError),
    /// The JCB cannot hold what it must (control statement too long).
    Jcb(CosFormatError),
}

/// Builds the field of `binary` (JCB, TXT at its load address, the LFT, DSP and buffer
/// areas of `shape`'s slots at the top) in at most `available` words: the field the
/// program needs, or the shape's MFL when that is more (a deck job's whole maximum
/// field length, JCMFL and JCFL both).
pub(crate) fn cos_field(
    binary: &AbsoluteBinary,
    control_statement: &str,
    datasets: BTreeMap<String, Backing>,
    shape: FieldShape,
    available: u64,
) -> Result<CosField, CosFieldError> {
    let slots = shape.slots;
    let fl = needed_field_length(binary, slots).max(shape.mfl.unwrap_or(0));
    if fl > available || fl >= 1 << 24 {
        return Err(CosFieldError::Load(LoadError::NoMemory {
            needed: fl,
            available,
        }));
    }
    let fl32 = fl as u32;
    let buffer_base = fl32 - slots * BUFFER_WORDS;
    let dsp_base = buffer_base - (slots + 1) * DSP_WORDS;
    let lft_base = dsp_base - slots * LFT_ENTRY_WORDS;
    let mut jcb = JobCommunicationBlock::for_program(binary, control_statement, fl32)
        .map_err(CosFieldError::Jcb)?;
    jcb.dsp = dsp_base;
    jcb.bfb = buffer_base;
    jcb.lft = lft_base;
    let mut words = vec![0u64; fl as usize];
    words[..JCB_WORDS].copy_from_slice(&jcb.to_words());
    let load = binary.load_address as usize;
    words[load..load + binary.text.len()].copy_from_slice(&binary.text);
    let job = CosJob {
        control_statement: jcb.control_statement.clone(),
        map: datasets,
        open: BTreeMap::new(),
        dsp_base,
        lft_base,
        buffer_base,
        reprieve: None,
    };
    Ok(CosField {
        words,
        job,
        fl: fl32,
    })
}

impl System {
    /// Starts `binary` as the first process of a new COS job with control statement
    /// `control_statement` (JCCCI) and the dataset map `datasets` (name -> backing;
    /// unmapped names use [`CosJob::backing`]'s defaults). Returns the pid (= jid).
    pub fn load_cos(
        &mut self,
        name: &str,
        binary: &AbsoluteBinary,
        control_statement: &str,
        datasets: BTreeMap<String, Backing>,
    ) -> Result<Pid, SystemError> {
        self.load_cos_shaped(name, binary, control_statement, datasets, FieldShape::ALONE)
    }

    /// [`System::load_cos`] in a field of `shape`.
    fn load_cos_shaped(
        &mut self,
        name: &str,
        binary: &AbsoluteBinary,
        control_statement: &str,
        datasets: BTreeMap<String, Backing>,
        shape: FieldShape,
    ) -> Result<Pid, SystemError> {
        let load_error = |source| SystemError::Load {
            program: name.to_string(),
            source,
        };
        let available = self
            .config
            .memory_words
            .saturating_sub(self.memory_in_use());
        let field = cos_field(binary, control_statement, datasets, shape, available).map_err(
            |e| match e {
                CosFieldError::Load(source) => load_error(source),
                CosFieldError::Jcb(e) => SystemError::Foreign {
                    program: name.to_string(),
                    source: CosStartError::Jcb(e),
                },
            },
        )?;
        let mut cpu = self.new_cpu(field.fl);
        cpu.p = binary.entry_parcel;
        let memory = Memory::from_words(field.words);
        let mut process = Process::new(cpu, memory, field.fl, Personality::Cos, name.to_string());
        process.cos = Some(Box::new(field.job));
        Ok(self.start_job(process))
    }

    /// Parses an absolute binary (raw or blocked) from its words and loads it.
    pub fn load_cos_words(
        &mut self,
        name: &str,
        words: &[u64],
        control_statement: &str,
        datasets: BTreeMap<String, Backing>,
    ) -> Result<Pid, SystemError> {
        self.load_cos_words_shaped(name, words, control_statement, datasets, FieldShape::ALONE)
    }

    /// [`System::load_cos_words`] in a field of `mfl` words (rounded up to whole
    /// granules, and never less than the program needs), JCFL and JCMFL both, as a
    /// deck job's step runs in its job's MFL (`cray run --mfl`): room for a program
    /// whose heap and stack outgrow [`HEAP_WORDS`].
    pub fn load_cos_words_in_field(
        &mut self,
        name: &str,
        words: &[u64],
        control_statement: &str,
        datasets: BTreeMap<String, Backing>,
        mfl: u64,
    ) -> Result<Pid, SystemError> {
        let shape = FieldShape {
            mfl: Some(super::deck::field_limit::in_granules(mfl)),
            ..FieldShape::ALONE
        };
        self.load_cos_words_shaped(name, words, control_statement, datasets, shape)
    }

    /// [`System::load_cos_words`] in a field of `shape`.
    fn load_cos_words_shaped(
        &mut self,
        name: &str,
        words: &[u64],
        control_statement: &str,
        datasets: BTreeMap<String, Backing>,
        shape: FieldShape,
    ) -> Result<Pid, SystemError> {
        let binary = super::absolute::parse(words).map_err(|e| SystemError::Foreign {
            program: name.to_string(),
            source: CosStartError::Binary(e),
        })?;
        self.load_cos_shaped(name, &binary, control_statement, datasets, shape)
    }
}

/// A COS job of eight zero words (which never run) in a system rooted at `root`, for
/// tests of the requests.
#[cfg(test)]
pub(crate) fn test_job(root: &std::path::Path) -> (System, Pid) {
    use crate::system::{Config, Console, HostRoot};
    let mut system = System::new(Config::default(), HostRoot::new(root), Console::captured());
    let binary = AbsoluteBinary::new("T", vec![0; 8], 0o200 * 4);
    let pid = system
        .load_cos("t", &binary, "T.", BTreeMap::new())
        .expect("an eight-word program loads");
    (system, pid)
}

/// [`test_job`] as the step of a deck job of user U (job number 7, the step its
/// statement 2) holding local dataset DATA (one record: 1, 2, 3), with the
/// permanent-dataset store `store` if given.
#[cfg(test)]
pub(crate) fn test_deck_job(
    root: &std::path::Path,
    store: Option<&std::path::Path>,
) -> (System, Pid) {
    use super::dataset::DatasetItem;
    use super::deck::catalogue::Catalogue;
    use super::deck::{DeckHost, DeckJob, JobDataset};
    let (mut system, pid) = test_job(root);
    system.attach_deck_host(DeckHost {
        system_dir: None,
        catalogue: store.map(|dir| Catalogue::open(dir).expect("a store in a temporary directory")),
        queue: None,
        job_number: None,
    });
    let data = JobDataset::holding(vec![
        DatasetItem::Record {
            words: vec![1, 2, 3],
            unused_bits: 0,
        },
        DatasetItem::EndOfData,
    ]);
    let deck = DeckJob {
        job_name: "T".to_string(),
        user: "U".to_string(),
        number: 7,
        statements: Vec::new(),
        next: 3,
        step: Some(2),
        aborted: None,
        datasets: BTreeMap::from([
            ("DATA".to_string(), data),
            ("$IN".to_string(), JobDataset::empty()),
        ]),
        conditions: Vec::new(),
        symbols: BTreeMap::new(),
        deferred: Vec::new(),
        field_length: None,
    };
    let jid = system.processes[&pid].jid;
    system.cos_decks.insert(jid, deck);
    (system, pid)
}
