//! The state of a COS job that the kernel keeps beside the process's registers and
//! field: the control statement, the dataset map and the local datasets the job has
//! open (the job log is [`System::cos_log`](crate::system::System::cos_log)). All of it is plain serde data inside [`Process`](crate::system::Process),
//! so a checkpoint carries it and a restart resumes open datasets where they were.
//!
//! Field layout of a COS job (word addresses, FL = field length), as the Cray
//! library expects it: its `$SLFT` searches the LFT from JCLFT up to JCDSP, two words
//! per entry, and it and libcos turn a negative DSP pointer p into JCDSP − p, so DSPs
//! sit above JCDSP and below the buffers. `$SLFT` hands out a DSP as its offset
//! JCDSP − DSP, and offset 0 reads as "no DSP", so the first DSP_WORDS above JCDSP
//! stay unused:
//!
//! ```text
//! 0 .. 0177                JCB
//! 0200 .. HLM              the program (TXT, then zeroed memory up to HLM)
//! HLM .. JCLFT             free: heap from JCHLM up, stack down from JCLFT − 050
//! JCLFT .. JCDSP           the LFT: two words per dataset slot (name, DSP address);
//!                          a free slot's entry is zero
//! JCDSP + 040·(k+1)        the DSP of dataset slot k
//! JCBFB + BUFFER_WORDS·k   the I/O buffer of dataset slot k, up to FL
//! ```
//!
//! The system area at the top holds [`MAX_DATASETS`] slots for a program run by
//! itself ([`SYSTEM_AREA_WORDS`] is its size) and [`DECK_MAX_DATASETS`] for a step
//! of a deck job; [`CosJob::slots`] reads the number back from the layout. The
//! loader adds it (plus [`HEAP_WORDS`] of free room) above HLM.

use super::dataset::DatasetItem;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Datasets a program run by itself may have open at once (DSP, LFT entry and
/// buffer slots).
pub const MAX_DATASETS: u32 = 16;
/// Datasets a step of a deck job may have open at once: GENCAT keeps each of its
/// Master Catalog's regions open as a dataset of its own (51 for COS's JGENCAT
/// deck, `$$00000` to `$$00050`), beside `$IN`, `$OUT` and `$CAT`. COS gave a job
/// as many as its I/O area held; 64 slots take 67 744 words of a deck job's field.
pub const DECK_MAX_DATASETS: u32 = 64;
/// Words of one DSP (dataset parameter table).
pub const DSP_WORDS: u32 = 0o40;
/// Words of one LFT entry (dataset name, DSP address).
pub const LFT_ENTRY_WORDS: u32 = 2;
/// Words of the circular buffer the system gives each open dataset (two blocks).
pub const BUFFER_WORDS: u32 = 0o2000;
/// Words of the system area at the top of the field of a program run by itself.
pub const SYSTEM_AREA_WORDS: u32 = system_area_words(MAX_DATASETS);

/// Words of a system area (the LFT, the DSPs and the buffers) of `slots` slots.
pub const fn system_area_words(slots: u32) -> u32 {
    slots * (LFT_ENTRY_WORDS + BUFFER_WORDS) + (slots + 1) * DSP_WORDS
}
/// Free words the loader leaves between HLM and the system area (heap and stack).
pub const HEAP_WORDS: u32 = 0o40000;

/// DSP word: dataset name (ASCII, left-justified).
pub const DPDN: u32 = 0;
/// DSP word: FIRST, the buffer's first word (bits 40–63), and the blank-compression
/// initiator ([`DP_BLANK_INITIATOR`]).
pub const DPFIRST: u32 = 1;
/// Cray bits 16–24 of DSP word [`DPFIRST`]: the character that starts a run of
/// compressed blanks, which COS sets when it opens a dataset. Its place comes from
/// the Cray library's blank-compressing write (LOADCAT's at 57650c–57662a, parcels
/// 0277242–0277310; the same routine in ACCTDEF, AUDIT, JCSDEF, PRVDEF and RELOAD; `cray dis`): it takes
/// ESC (033) when the low 24 bits of JCCRL (JCB word 0106) are 0, and this field
/// otherwise, as under every COS that announces its revision there. Its value is
/// COS's default, ESC: the UNICOS library's COS blank-compression layer says so
/// ("defaults are COS defaults": initiator 033, count bias 036; open64
/// `osprey/libu/ffio/blxopen.c`,
/// <https://github.com/open64-compiler/open64/blob/master/osprey/libu/ffio/blxopen.c>).
/// Left 0, the library wrote NUL + count, which no reader expands.
pub const DP_BLANK_INITIATOR: (u32, u32) = (16, 24);
/// DSP word: IN, where the next word goes into the buffer.
pub const DPIN: u32 = 2;
/// DSP word: OUT, where the next word comes out of the buffer.
pub const DPOUT: u32 = 3;
/// DSP word: LIMIT, one past the buffer's last word.
pub const DPLIMIT: u32 = 4;
/// DSP word: control word met by the last read (bits 0–3: 010 EOR, 002 EOF, 001 EOD).
pub const DPCWF: u32 = 5;
/// DSP word: the F$BIO request word.
pub const DPBIO: u32 = 7;

/// Where a local dataset's contents live on the host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Backing {
    /// A file inside the root (path relative to it). `text` selects host text (one
    /// line per record) instead of COS blocked format when the dataset is written.
    File {
        /// Path relative to the root.
        path: String,
        /// Write as host text lines.
        text: bool,
    },
    /// The console's standard output, as text lines (the default `$OUT`).
    Stdout,
    /// Nothing: reads meet EOD at once, writes are discarded (`$IN` of the images
    /// taken before `$IN` was the terminal, which restart as they were taken).
    Empty,
    /// The terminal (the default `$IN`): each read takes the next line of the
    /// kernel's terminal input, and waits for one as a UNICOS read of fd 0 does; at
    /// the end of the input the dataset ends with an EOF and the EOD. Writes are
    /// discarded. (A variant added at the end: images written before it decode as
    /// they did.)
    Terminal,
    /// A local dataset of the deck job (`cos::deck`): its contents live in the job's
    /// dataset table, across steps, not in a host file.
    Job,
}

/// One open local dataset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalDataset {
    /// Dataset name (`$IN`, `FT05`, ...).
    pub name: String,
    /// Host side.
    pub backing: Backing,
    /// Slot number: fixes the DSP, LFT entry and buffer addresses.
    pub slot: u32,
    /// Contents as records, EOFs and the EOD (read from the host at open).
    pub items: Vec<DatasetItem>,
    /// Index of the item being read.
    pub item: usize,
    /// Words of that item already read.
    pub word: usize,
    /// Words of a record being written (partial writes) not yet closed by an EOR.
    pub pending: Vec<u64>,
    /// Items written since the open (appended to what was read when flushed).
    pub written: bool,
    /// The blocked stream F$RDC reads from (built at the first F$RDC) and its position.
    pub read_stream: Option<Vec<u64>>,
    /// Next word of `read_stream` to hand out.
    pub read_position: usize,
    /// Blocked words given by F$WDC, deblocked when the dataset is closed.
    pub write_stream: Vec<u64>,
}

/// Everything the kernel knows about a COS job beyond registers and memory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CosJob {
    /// The control statement (JCCCI), terminator included.
    pub control_statement: String,
    /// Dataset name -> host backing, from `--dataset` and the defaults.
    pub map: BTreeMap<String, Backing>,
    /// Open datasets by slot.
    pub open: BTreeMap<u32, LocalDataset>,
    /// JCDSP: the DSP of slot k is at JCDSP + DSP_WORDS × (k + 1).
    pub dsp_base: u32,
    /// JCLFT: LFT entry of slot k at JCLFT + 2k.
    pub lft_base: u32,
    /// First word of the buffer area (buffer of slot k at + BUFFER_WORDS × k).
    pub buffer_base: u32,
    /// The job's reprieve (module `cos::reprieve`), if F$RPV turned it on: the
    /// block's address (S1 bits 40–63) and, in bit 63, whether the handler runs.
    pub reprieve: Option<u64>,
}

impl CosJob {
    /// Word address of the DSP of `slot`.
    pub fn dsp_address(&self, slot: u32) -> u32 {
        self.dsp_base + DSP_WORDS * (slot + 1)
    }

    /// Word address of the buffer of `slot`.
    pub fn buffer_address(&self, slot: u32) -> u32 {
        self.buffer_base + BUFFER_WORDS * slot
    }

    /// Word address of the LFT entry of `slot`.
    pub fn lft_address(&self, slot: u32) -> u32 {
        self.lft_base + LFT_ENTRY_WORDS * slot
    }

    /// The slot whose DSP starts at `address`, if it is open.
    pub fn slot_of_dsp(&self, address: u32) -> Option<u32> {
        self.open
            .keys()
            .copied()
            .find(|&slot| self.dsp_address(slot) == address)
    }

    /// The open dataset named `name`.
    pub fn slot_of_name(&self, name: &str) -> Option<u32> {
        self.open
            .iter()
            .find(|(_, d)| d.name == name)
            .map(|(&slot, _)| slot)
    }

    /// The number of dataset slots of the layout: the LFT's entries, which lie
    /// from JCLFT up to JCDSP.
    pub fn slots(&self) -> u32 {
        self.dsp_base.saturating_sub(self.lft_base) / LFT_ENTRY_WORDS
    }

    /// The lowest free slot.
    pub fn free_slot(&self) -> Option<u32> {
        (0..self.slots()).find(|slot| !self.open.contains_key(slot))
    }

    /// How `name` is backed: the map, else `$IN` the terminal, `$OUT` the console, any other
    /// name a blocked file of that name in the root.
    pub fn backing(&self, name: &str) -> Backing {
        if let Some(backing) = self.map.get(name) {
            return backing.clone();
        }
        match name {
            "$IN" => Backing::Terminal,
            "$OUT" => Backing::Stdout,
            _ => Backing::File {
                path: name.to_string(),
                text: false,
            },
        }
    }
}
