//! The one error type of the COS file formats. Offsets are word offsets from the start
//! of the file (or of the record being parsed) and are printed in octal.

use thiserror::Error;

/// What is wrong with a COS absolute binary, blocked dataset or JCB request.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CosFormatError {
    /// The file is not a whole number of 64-bit words.
    #[error("file length {bytes} bytes is not a multiple of 8 (64-bit words)")]
    ByteLength {
        /// Length of the file in bytes.
        bytes: usize,
    },
    /// A loader table's header word has the wrong table type.
    #[error("{table} at word {offset:o}: TT is {found:o}, expected {expected:o}")]
    TableType {
        /// `"PDT"` or `"TXT"`.
        table: &'static str,
        /// Word offset of the header word.
        offset: usize,
        /// The TT found (bits 0–3).
        found: u64,
        /// The TT a table in this place must have.
        expected: u64,
    },
    /// A table runs past the end of the file, or the file ends before a table.
    #[error("{table} at word {offset:o}: {field} {value} words, only {available} words remain in the file")]
    Truncated {
        /// Table (or `"file"`) being read.
        table: &'static str,
        /// Word offset of the table header.
        offset: usize,
        /// Field that demanded the words (`"WC"`, `"header"`, ...).
        field: &'static str,
        /// Words demanded.
        value: u64,
        /// Words actually present from `offset` on.
        available: usize,
    },
    /// A field of a loader table holds a value the loader cannot accept.
    #[error("{table} word {offset:o}: {field}: {detail}")]
    Field {
        /// Table the field belongs to.
        table: &'static str,
        /// Word offset of the word holding the field.
        offset: usize,
        /// Field name in COS vocabulary (HLM, ORG, EL, ...).
        field: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// Words follow the TXT table where the binary should end.
    #[error("{count} words after the TXT table, starting at word {offset:o}")]
    TrailingWords {
        /// Word offset of the first surplus word.
        offset: usize,
        /// How many surplus words.
        count: usize,
    },
    /// A blocked dataset is malformed at the given word.
    #[error("dataset word {offset:o}: {fault}")]
    Dataset {
        /// Word offset of the offending word (a control word, or the end of the file).
        offset: usize,
        /// What is wrong there.
        fault: DatasetFault,
    },
    /// A request to build a record, line or JCB that cannot be represented.
    #[error("{what}: {detail}")]
    Unrepresentable {
        /// The thing being built (`"text line"`, `"JCCCI"`, `"EOR UBC"`, ...).
        what: &'static str,
        /// Why it cannot be represented.
        detail: String,
    },
}

/// The specific fault found while deblocking a COS dataset.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DatasetFault {
    /// The dataset has no words at all.
    #[error("empty dataset (no BCW)")]
    Empty,
    /// A block boundary holds something other than a BCW.
    #[error("expected a BCW at the start of block {block}, found control-word type M={m:o}")]
    NotBcw {
        /// Block number expected there.
        block: u64,
        /// M field found (bits 0–3).
        m: u64,
    },
    /// A BCW carries the wrong block number.
    #[error("BCW block number BN={found:o}, expected {expected:o}")]
    BlockNumber {
        /// BN expected from the position in the file.
        expected: u64,
        /// BN found.
        found: u64,
    },
    /// A control word inside a block claims to be a BCW.
    #[error("BCW (M=0) inside a block, not at a 512-word boundary")]
    MisplacedBcw,
    /// A control word has a type M that COS does not define.
    #[error("unknown control-word type M={m:o}")]
    UnknownControlWord {
        /// M field found.
        m: u64,
    },
    /// FWI points past the end of the block.
    #[error("FWI={fwi:o} crosses the block boundary at word {boundary:o}")]
    FwiPastBlock {
        /// The forward word index.
        fwi: u64,
        /// Word offset of the next block's BCW.
        boundary: usize,
    },
    /// FWI points past the end of the file.
    #[error("FWI={fwi:o} points past the end of the file ({len:o} words)")]
    FwiPastEnd {
        /// The forward word index.
        fwi: u64,
        /// File length in words.
        len: usize,
    },
    /// The file ends without an EOD control word.
    #[error("no EOD: the file ends inside the dataset")]
    MissingEod,
    /// Data words precede an EOF or EOD without an EOR closing their record.
    #[error("{words} data words before an EOF/EOD are not closed by an EOR")]
    UnterminatedRecord {
        /// How many data words were pending.
        words: usize,
    },
    /// Words follow the EOD.
    #[error("{count} words after EOD")]
    AfterEod {
        /// How many words follow.
        count: usize,
    },
    /// An EOR claims more unused bits than the record has.
    #[error("EOR UBC={ubc} but the record has {words} data words")]
    UbcTooLarge {
        /// Unused-bit count of the EOR.
        ubc: u32,
        /// Data words in the record.
        words: usize,
    },
    /// The dataset has no record where one was required.
    #[error("dataset holds no record")]
    NoRecord,
}

/// Why a COS program or job deck cannot be started ([`crate::system::SystemError::Foreign`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CosStartError {
    /// The absolute binary does not parse.
    #[error("{0}")]
    Binary(CosFormatError),
    /// The JCB cannot hold what it must (the control statement is too long).
    #[error("{0}")]
    Jcb(CosFormatError),
    /// The deck's JOB statement does not parse.
    #[error("JOB statement: {0}")]
    JobStatement(super::deck::statement::SyntaxError),
    /// The deck's statements do not fit together (a LOOP without its ENDLOOP).
    #[error("control statements: {0}")]
    Statements(super::deck::statement::SyntaxError),
    /// The permanent-dataset catalogue could not give the job its number (the store's
    /// error as text: a host I/O error cannot be compared or cloned).
    #[error("{0}")]
    Catalogue(String),
}
