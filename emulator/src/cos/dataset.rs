//! COS blocked datasets (`COS.md` §1.3): the container of records on COS disk and
//! tape and of the `.abs` files that COS-Tools `ldr` writes.
//!
//! The stream is cut into 512-word blocks, each starting with a BCW. Control words
//! (BCW, EOR, EOF, EOD) carry a forward word index FWI: the number of data words up
//! to the next control word. Records end with an EOR, files with an EOF, the dataset
//! with an EOD. [`DatasetReader`] deblocks and validates; [`DatasetWriter`] blocks.

use super::bits::{field, with_field};
use super::error::{CosFormatError, DatasetFault};

/// Words per block, BCW included.
pub const BLOCK_WORDS: usize = 512;

/// Control-word type M (bits 0–3): block control word.
pub const M_BCW: u64 = 0;
/// Control-word type M: end of record.
pub const M_EOR: u64 = 0o10;
/// Control-word type M: end of file.
pub const M_EOF: u64 = 0o16;
/// Control-word type M: end of data.
pub const M_EOD: u64 = 0o17;

/// Cray bits of the control-word fields.
mod cw {
    pub const M: (u32, u32) = (0, 3);
    pub const UBC: (u32, u32) = (4, 9);
    pub const PFI: (u32, u32) = (20, 39);
    pub const PRI: (u32, u32) = (40, 54);
    pub const BN: (u32, u32) = (31, 54);
    pub const FWI: (u32, u32) = (55, 63);
}

/// Position of word `offset` within its 512-word block (0 = the BCW).
fn word_in_block(offset: usize) -> usize {
    offset % BLOCK_WORDS
}

fn get(word: u64, f: (u32, u32)) -> u64 {
    field(word, f.0, f.1)
}

fn set(word: u64, f: (u32, u32), value: u64) -> u64 {
    with_field(word, f.0, f.1, value)
}

/// The reader rule of `cosdataset.c`: a file is blocked when word 0 is a BCW (M = 0)
/// for block 0 (BN = 0) with a non-zero FWI; an empty dataset, whose BCW has FWI = 0
/// because its EOD follows at once, is blocked too (a SAVE of an empty dataset must
/// read back). A raw PDT header (TT = 017) never matches.
pub fn is_blocked(words: &[u64]) -> bool {
    match words {
        [first, rest @ ..] if get(*first, cw::M) == M_BCW && get(*first, cw::BN) == 0 => {
            // An empty dataset is a BCW whose forward index is 0, then its EOD.
            get(*first, cw::FWI) != 0 || rest.first().is_some_and(|&w| get(w, cw::M) == M_EOD)
        }
        _ => false,
    }
}

/// The block number of a block control word; `None` for any other word.
pub fn bcw_block_number(word: u64) -> Option<u64> {
    (get(word, cw::M) == M_BCW).then(|| get(word, cw::BN))
}

/// Whether `block`, the start of a block of a blocked dataset (its BCW first),
/// ends with the dataset's EOD: the chain of control words, each found by the
/// forward index of the one before, reaches an EOD that is its last word. A
/// library writes the EOD last, with every forward index before it known.
pub fn block_ends_dataset(block: &[u64]) -> bool {
    let mut at = 0;
    loop {
        let Some(&word) = block.get(at) else {
            return false;
        };
        if at == 0 && get(word, cw::M) != M_BCW {
            return false;
        }
        if get(word, cw::M) == M_EOD {
            return at + 1 == block.len();
        }
        at += get(word, cw::FWI) as usize + 1;
    }
}

/// One thing read from a blocked dataset.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DatasetItem {
    /// A record closed by an EOR: its data words and the EOR's unused-bit count UBC
    /// (bits of the last word that are not data).
    Record {
        /// The record's data words, control words removed.
        words: Vec<u64>,
        /// UBC of the closing EOR (0–63).
        unused_bits: u32,
    },
    /// An EOF control word (end of a file within the dataset).
    EndOfFile,
    /// The EOD control word; nothing follows.
    EndOfData,
}

/// Cursor over a blocked word stream. Each call to [`next_item`](Self::next_item)
/// yields the next record, EOF or EOD, validating every control word on the way.
#[derive(Debug, Clone)]
pub struct DatasetReader<'a> {
    words: &'a [u64],
    /// Offset of the next control word to examine.
    next_cw: usize,
    /// Data words already passed that belong to the record being assembled.
    pending: Vec<u64>,
    finished: bool,
}

impl<'a> DatasetReader<'a> {
    /// A reader positioned at word 0, which must be the BCW of block 0.
    pub fn new(words: &'a [u64]) -> Self {
        DatasetReader {
            words,
            next_cw: 0,
            pending: Vec::new(),
            finished: false,
        }
    }

    /// Word offset just past the EOD once it has been read (the dataset's length).
    pub fn position(&self) -> usize {
        self.next_cw
    }

    fn fault(offset: usize, fault: DatasetFault) -> CosFormatError {
        CosFormatError::Dataset { offset, fault }
    }

    /// The next record, EOF or EOD; `Ok(None)` after the EOD. After an error the
    /// reader stays finished.
    pub fn next_item(&mut self) -> Result<Option<DatasetItem>, CosFormatError> {
        if self.finished {
            return Ok(None);
        }
        let result = self.read_item();
        if !matches!(result, Ok(Some(_))) || matches!(result, Ok(Some(DatasetItem::EndOfData))) {
            self.finished = true;
        }
        result
    }

    /// The next record's data and UBC, skipping nothing: `Ok(None)` at an EOF or EOD.
    pub fn next_record(&mut self) -> Result<Option<(Vec<u64>, u32)>, CosFormatError> {
        match self.next_item()? {
            Some(DatasetItem::Record { words, unused_bits }) => Ok(Some((words, unused_bits))),
            _ => Ok(None),
        }
    }

    fn read_item(&mut self) -> Result<Option<DatasetItem>, CosFormatError> {
        let len = self.words.len();
        if len == 0 {
            return Err(Self::fault(0, DatasetFault::Empty));
        }
        let mut data = std::mem::take(&mut self.pending);
        loop {
            let at = self.next_cw;
            let Some(&word) = self.words.get(at) else {
                // Kept for [`deblock_closing`]: the words of the record in progress.
                self.pending = data;
                return Err(Self::fault(len, DatasetFault::MissingEod));
            };
            let m = get(word, cw::M);
            let at_boundary = word_in_block(at) == 0;
            let block = (at / BLOCK_WORDS) as u64;
            if at_boundary {
                if m != M_BCW {
                    return Err(Self::fault(at, DatasetFault::NotBcw { block, m }));
                }
                let bn = get(word, cw::BN);
                let expected = block & get(u64::MAX, cw::BN);
                if bn != expected {
                    return Err(Self::fault(
                        at,
                        DatasetFault::BlockNumber {
                            expected,
                            found: bn,
                        },
                    ));
                }
            } else if m == M_BCW {
                return Err(Self::fault(at, DatasetFault::MisplacedBcw));
            } else if !matches!(m, M_EOR | M_EOF | M_EOD) {
                return Err(Self::fault(at, DatasetFault::UnknownControlWord { m }));
            }
            let fwi = get(word, cw::FWI);
            let boundary = (at / BLOCK_WORDS + 1) * BLOCK_WORDS;
            let next = at + 1 + fwi as usize;
            if next > boundary {
                return Err(Self::fault(
                    at,
                    DatasetFault::FwiPastBlock { fwi, boundary },
                ));
            }
            if m == M_EOD {
                // The EOD ends the dataset; its FWI has nothing to point at.
                if !data.is_empty() {
                    return Err(Self::fault(
                        at,
                        DatasetFault::UnterminatedRecord { words: data.len() },
                    ));
                }
                self.next_cw = at + 1;
                return Ok(Some(DatasetItem::EndOfData));
            }
            if next > len {
                return Err(Self::fault(at, DatasetFault::FwiPastEnd { fwi, len }));
            }
            let item = match m {
                M_EOR => {
                    let ubc = get(word, cw::UBC) as u32;
                    if ubc != 0 && data.is_empty() {
                        return Err(Self::fault(at, DatasetFault::UbcTooLarge { ubc, words: 0 }));
                    }
                    Some(DatasetItem::Record {
                        words: std::mem::take(&mut data),
                        unused_bits: ubc,
                    })
                }
                M_EOF => {
                    if !data.is_empty() {
                        return Err(Self::fault(
                            at,
                            DatasetFault::UnterminatedRecord { words: data.len() },
                        ));
                    }
                    Some(DatasetItem::EndOfFile)
                }
                _ => None,
            };
            // Data after this control word belongs to the next item (for RCWs) or
            // continues the current one (for BCWs).
            let following = &self.words[at + 1..next];
            self.next_cw = next;
            match item {
                Some(item) => {
                    self.pending = following.to_vec();
                    return Ok(Some(item));
                }
                None => data.extend_from_slice(following),
            }
        }
    }
}

impl Iterator for DatasetReader<'_> {
    type Item = Result<DatasetItem, CosFormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_item().transpose()
    }
}

/// Deblocks a whole dataset: every record, EOF and the final EOD, in order. Words
/// after the EOD are an error (COS writes none; the corpus has none).
pub fn deblock(words: &[u64]) -> Result<Vec<DatasetItem>, CosFormatError> {
    let mut reader = DatasetReader::new(words);
    let mut items = Vec::new();
    while let Some(item) = reader.next_item()? {
        items.push(item);
    }
    let end = reader.position();
    if end < words.len() {
        return Err(CosFormatError::Dataset {
            offset: end,
            fault: DatasetFault::AfterEod {
                count: words.len() - end,
            },
        });
    }
    Ok(items)
}

/// Deblocks what a program wrote to a dataset it did not finish, as COS closing it
/// leaves it: the words end where the last control word's forward index points
/// (so no control word is cut), and the data after it, a record in progress, is
/// closed by an EOR, then an EOD ends the dataset. Words that end with an EOD
/// deblock as [`deblock`] does, except that words after the EOD in its own block
/// are left (a program writes whole blocks); any other fault is an error as there.
///
/// That COS closed the datasets a program left open when its job step ended is
/// taken from the project's issue 22; the copies of SR-0011 searched
/// (<https://9dok.net/document/y6e46dwn-cray-and-cray-x-mp-computer-systems.html>)
/// did not show the page that says so, nor how a record in progress is ended, so
/// the EOR is this emulator's choice: it keeps every word the program wrote.
pub fn deblock_closing(words: &[u64]) -> Result<Vec<DatasetItem>, CosFormatError> {
    if words.is_empty() {
        return Ok(vec![DatasetItem::EndOfData]);
    }
    let mut reader = DatasetReader::new(words);
    let mut items = Vec::new();
    loop {
        match reader.next_item() {
            Ok(Some(item)) => items.push(item),
            // The rest of the EOD's block is not data: a program writing whole
            // blocks (PLD10 copying a dumped dataset's blocks) fills it as it likes.
            Ok(None) if reader.position().div_ceil(BLOCK_WORDS) * BLOCK_WORDS >= words.len() => {
                return Ok(items);
            }
            Ok(None) => break,
            Err(CosFormatError::Dataset {
                fault: DatasetFault::MissingEod,
                ..
            }) => {
                let words = std::mem::take(&mut reader.pending);
                if !words.is_empty() {
                    items.push(DatasetItem::Record {
                        words,
                        unused_bits: 0,
                    });
                }
                items.push(DatasetItem::EndOfData);
                return Ok(items);
            }
            Err(other) => return Err(other),
        }
    }
    deblock(words)
}

/// The data words of the first record of a blocked dataset (an absolute binary is
/// one record). Later records and the rest of the dataset are not examined.
pub fn first_record(words: &[u64]) -> Result<Vec<u64>, CosFormatError> {
    let mut reader = DatasetReader::new(words);
    match reader.next_item()? {
        Some(DatasetItem::Record { words, .. }) => Ok(words),
        _ => Err(CosFormatError::Dataset {
            offset: reader.position(),
            fault: DatasetFault::NoRecord,
        }),
    }
}

/// Builds a blocked dataset: 512-word blocks with BCWs, records closed by EORs,
/// files by EOFs, the dataset by an EOD ([`finish`](Self::finish)).
///
/// Control words are written with FWI = 0 and patched when the next control word's
/// position is known. EOR and EOF carry PFI (blocks back to the previous EOF, or to
/// block 0) and PRI (EOR only: blocks back to the previous EOR or EOF, or to block 0),
/// which reproduces every dataset in the corpus bit for bit.
#[derive(Debug, Clone, Default)]
pub struct DatasetWriter {
    out: Vec<u64>,
    /// Offset of the last control word written, whose FWI is still open.
    last_cw: usize,
    /// Block of the most recent EOF (0 before the first).
    last_eof_block: u64,
    /// Block of the most recent EOR or EOF (0 before the first).
    last_rcw_block: u64,
    /// Data words have been written since the last EOR.
    record_open: bool,
}

impl DatasetWriter {
    /// An empty dataset.
    pub fn new() -> Self {
        Self::default()
    }

    fn block(&self) -> u64 {
        (self.out.len() / BLOCK_WORDS) as u64
    }

    /// Emits a BCW when the next word would start a block.
    fn block_boundary(&mut self) {
        if word_in_block(self.out.len()) == 0 {
            let bcw = set(M_BCW << 60, cw::BN, self.block());
            self.put_control_word(bcw);
        }
    }

    fn put_control_word(&mut self, word: u64) {
        let at = self.out.len();
        if at > 0 {
            let fwi = (at - self.last_cw - 1) as u64;
            self.out[self.last_cw] = set(self.out[self.last_cw], cw::FWI, fwi);
        }
        self.last_cw = at;
        self.out.push(word);
    }

    /// Appends data words to the current record (a partial-record write).
    pub fn write_words(&mut self, words: &[u64]) {
        for &w in words {
            self.block_boundary();
            self.out.push(w);
            self.record_open = true;
        }
    }

    /// Closes the current record with an EOR carrying `unused_bits` (UBC, 0–63).
    pub fn end_record(&mut self, unused_bits: u32) -> Result<(), CosFormatError> {
        if unused_bits > 63 {
            return Err(CosFormatError::Unrepresentable {
                what: "EOR UBC",
                detail: format!("{unused_bits} unused bits do not fit the 6-bit UBC field"),
            });
        }
        self.block_boundary();
        let block = self.block();
        let mut eor = set(M_EOR << 60, cw::UBC, u64::from(unused_bits));
        eor = set(eor, cw::PFI, block - self.last_eof_block);
        eor = set(eor, cw::PRI, block - self.last_rcw_block);
        self.put_control_word(eor);
        self.last_rcw_block = block;
        self.record_open = false;
        Ok(())
    }

    fn close_open_record(&mut self) {
        if self.record_open {
            // UBC 0 always fits, so this cannot fail.
            let _ = self.end_record(0);
        }
    }

    /// Writes a whole record: its words and the closing EOR.
    pub fn write_record(&mut self, words: &[u64], unused_bits: u32) -> Result<(), CosFormatError> {
        self.write_words(words);
        self.end_record(unused_bits)
    }

    /// Writes one host text line as a record (see [`pack_line`]).
    pub fn write_text_line(&mut self, line: &str) -> Result<(), CosFormatError> {
        let (words, ubc) = pack_line(line)?;
        self.write_record(&words, ubc)
    }

    /// Writes an EOF, closing an open record with an EOR (UBC 0) first.
    pub fn end_file(&mut self) {
        self.close_open_record();
        self.block_boundary();
        let block = self.block();
        let eof = set(M_EOF << 60, cw::PFI, block - self.last_eof_block);
        self.put_control_word(eof);
        self.last_eof_block = block;
        self.last_rcw_block = block;
    }

    /// Writes an item as read by [`DatasetReader`]; `EndOfData` is ignored because
    /// [`finish`](Self::finish) writes the EOD.
    pub fn write_item(&mut self, item: &DatasetItem) -> Result<(), CosFormatError> {
        match item {
            DatasetItem::Record { words, unused_bits } => self.write_record(words, *unused_bits),
            DatasetItem::EndOfFile => {
                self.end_file();
                Ok(())
            }
            DatasetItem::EndOfData => Ok(()),
        }
    }

    /// Writes the EOD and returns the dataset's words. Data written since the last
    /// EOR is closed with an EOR (UBC 0) first, so no record is lost.
    pub fn finish(mut self) -> Vec<u64> {
        self.close_open_record();
        self.block_boundary();
        self.put_control_word(M_EOD << 60);
        self.out
    }
}

/// Blocks a sequence of items (the inverse of [`deblock`]).
pub fn block(items: &[DatasetItem]) -> Result<Vec<u64>, CosFormatError> {
    let mut writer = DatasetWriter::new();
    for item in items {
        writer.write_item(item)?;
    }
    Ok(writer.finish())
}

/// Packs a host text line into a COS text record: ASCII, 8 characters per word,
/// left-justified, zero-padded; UBC = 8 × the number of padding bytes. A line
/// ending in `\n` or `\r\n` has it removed. Blank compression is not applied.
pub fn pack_line(line: &str) -> Result<(Vec<u64>, u32), CosFormatError> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    if let Some(bad) = line.chars().find(|c| !c.is_ascii()) {
        return Err(CosFormatError::Unrepresentable {
            what: "text line",
            detail: format!("character {bad:?} is not ASCII"),
        });
    }
    Ok(pack_bytes(line.as_bytes()))
}

/// Packs bytes into a record as [`pack_line`] does, without asking that they be
/// ASCII (a line typed at the terminal is taken as it comes).
pub fn pack_bytes(bytes: &[u8]) -> (Vec<u64>, u32) {
    let words: Vec<u64> = bytes
        .chunks(8)
        .map(|chunk| {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            u64::from_be_bytes(w)
        })
        .collect();
    let padding = words.len() * 8 - bytes.len();
    (words, (padding * 8) as u32)
}

/// Unpacks a text record into a line: the record's bytes minus the UBC/8 padding
/// bytes. UBC must be a whole number of bytes and the bytes ASCII. COS blank
/// compression (ESC + count) is left as is.
pub fn unpack_line(words: &[u64], unused_bits: u32) -> Result<String, CosFormatError> {
    if unused_bits & 7 != 0 || (unused_bits > 0 && words.is_empty()) || unused_bits > 63 {
        return Err(CosFormatError::Unrepresentable {
            what: "text record",
            detail: format!(
                "UBC {unused_bits} is not a whole number of bytes within the last word"
            ),
        });
    }
    let mut bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    bytes.truncate(bytes.len() - (unused_bits / 8) as usize);
    match bytes.iter().position(|b| !b.is_ascii()) {
        Some(i) => Err(CosFormatError::Unrepresentable {
            what: "text record",
            detail: format!("byte {i} (0x{:02x}) is not ASCII", bytes[i]),
        }),
        None => Ok(bytes.into_iter().map(char::from).collect()),
    }
}

/// The character that starts a run of compressed blanks in a COS text record: ESC.
/// It is followed by one character, [`BLANK_COUNT_BIAS`] + the number of blanks.
/// These are COS's defaults, as the UNICOS library's layer for COS blank-compressed
/// text keeps them ("defaults are COS defaults": initiator 033, bias 036; open64
/// `osprey/libu/ffio/blxopen.c`,
/// <https://github.com/open64-compiler/open64/blob/master/osprey/libu/ffio/blxopen.c>),
/// and what the Cray library's listings in the corpus write (LOADCAT's `1 L O A D C
/// A T` is followed by the initiator and `#`, 043: five blanks).
pub const BLANK_COMPRESSION_INITIATOR: u8 = 0o33;
/// What a blank-count character holds beyond the number of blanks it stands for.
pub const BLANK_COUNT_BIAS: u8 = 0o36;

/// `line` with each run of compressed blanks (the initiator, then the count
/// character) replaced by its blanks. An initiator at the end of the line, or before
/// a character below the bias, is not a compressed run and stays as it is.
pub fn expand_blanks(line: &str) -> String {
    let initiator = char::from(BLANK_COMPRESSION_INITIATOR);
    if !line.contains(initiator) {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let count = chars
            .peek()
            .and_then(|&n| u8::try_from(n).ok())
            .and_then(|n| n.checked_sub(BLANK_COUNT_BIAS));
        match count {
            Some(blanks) if c == initiator => {
                chars.next();
                out.extend(std::iter::repeat_n(' ', usize::from(blanks)));
            }
            _ => out.push(c),
        }
    }
    out
}

/// A text record as a line of host text: [`unpack_line`] with its compressed blanks
/// expanded ([`expand_blanks`]) and the trailing blanks removed, as COS's front end
/// or printer got them (docs/src/cos-binaries.md, "Text"). FORTRAN pads every
/// formatted record to its full width; the host sees only what was written.
pub fn host_line(words: &[u64], unused_bits: u32) -> Result<String, CosFormatError> {
    let mut line = expand_blanks(&unpack_line(words, unused_bits)?);
    line.truncate(line.trim_end_matches(' ').len());
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_abs_shape() {
        // kLDR hello.abs: BCW FWI=48, 48 data words, EOR, EOF, EOD (COS.md §1.3).
        let data: Vec<u64> = (1..=48).collect();
        let mut w = DatasetWriter::new();
        w.write_record(&data, 0).unwrap();
        w.end_file();
        let out = w.finish();
        assert_eq!(out.len(), 52);
        assert_eq!(out[0], 0o60);
        assert_eq!(&out[1..49], &data[..]);
        assert_eq!(out[49], 0x8000_0000_0000_0000);
        assert_eq!(out[50], 0xe000_0000_0000_0000);
        assert_eq!(out[51], 0xf000_0000_0000_0000);
        assert!(is_blocked(&out));
        let empty = block(&[DatasetItem::EndOfData]).unwrap();
        assert_eq!(empty, [0, 0xf000_0000_0000_0000], "BCW (FWI 0), EOD");
        assert!(is_blocked(&empty), "an empty dataset reads back");
        assert!(
            !is_blocked(&[0, 0o60]),
            "a BCW with FWI 0 and no EOD after it"
        );
        let items = deblock(&out).unwrap();
        assert_eq!(
            items,
            vec![
                DatasetItem::Record {
                    words: data,
                    unused_bits: 0
                },
                DatasetItem::EndOfFile,
                DatasetItem::EndOfData
            ]
        );
    }

    #[test]
    fn records_cross_block_boundaries() {
        let big: Vec<u64> = (0..1500).map(|i| i * 3 + 1).collect();
        let items = vec![
            DatasetItem::Record {
                words: vec![7; 510],
                unused_bits: 0,
            },
            DatasetItem::Record {
                words: big,
                unused_bits: 8,
            },
            DatasetItem::Record {
                words: vec![],
                unused_bits: 0,
            },
            DatasetItem::EndOfFile,
            DatasetItem::Record {
                words: vec![9; 511],
                unused_bits: 16,
            },
            DatasetItem::EndOfFile,
            DatasetItem::EndOfData,
        ];
        let blocked = block(&items).unwrap();
        for (b, chunk) in blocked.chunks(BLOCK_WORDS).enumerate() {
            assert_eq!(get(chunk[0], cw::M), M_BCW);
            assert_eq!(get(chunk[0], cw::BN), b as u64);
        }
        assert_eq!(deblock(&blocked).unwrap(), items);
    }

    #[test]
    fn text_lines_pack_like_jinstall() {
        let (words, ubc) = pack_line("JOB,JN=JINSTAL,US=SYSTEM,*TAPE=1,T.").unwrap();
        assert_eq!(words.len(), 5);
        assert_eq!(words[4], 0x2c54_2e00_0000_0000);
        assert_eq!(ubc, 40);
        assert_eq!(
            unpack_line(&words, ubc).unwrap(),
            "JOB,JN=JINSTAL,US=SYSTEM,*TAPE=1,T."
        );
        assert_eq!(
            pack_line("ABCDEFGH\n").unwrap(),
            (vec![0x4142_4344_4546_4748], 0)
        );
        assert_eq!(pack_line("").unwrap(), (vec![], 0));
        assert!(pack_line("é").is_err());
        assert!(unpack_line(&[0], 4).is_err());
        assert!(unpack_line(&[], 8).is_err());
        let mut w = DatasetWriter::new();
        w.write_text_line("*").unwrap();
        let out = w.finish();
        assert_eq!(out[2], 0x8e00_0000_0000_0000, "UBC 56 as in jinstall.job");
    }

    #[test]
    fn host_lines_lose_their_trailing_blanks_only() {
        let (words, ubc) = pack_line(" The answer is  42      ").unwrap();
        assert_eq!(host_line(&words, ubc).unwrap(), " The answer is  42");
        let (words, ubc) = pack_line("        ").unwrap();
        assert_eq!(host_line(&words, ubc).unwrap(), "");
        let (words, ubc) = pack_line("a\tb\t ").unwrap();
        assert_eq!(host_line(&words, ubc).unwrap(), "a\tb\t", "only blanks go");
        assert_eq!(pack_bytes(b"\xffx"), (vec![0xff78_0000_0000_0000], 48));
    }

    #[test]
    fn compressed_blanks_are_expanded_for_the_host() {
        // LOADCAT's heading: ESC + '#' (043) is five blanks, ESC + '(' (050) ten.
        let line = "1 L O A D C A T\x1b#I = $IN\x1b(L";
        assert_eq!(
            expand_blanks(line),
            format!("1 L O A D C A T{}I = $IN{}L", " ".repeat(5), " ".repeat(10))
        );
        let (words, ubc) = pack_line("a\x1b\x1eb\x1b\x1fc\x1b\x2a").unwrap();
        assert_eq!(
            host_line(&words, ubc).unwrap(),
            "ab c",
            "a run of 0, then of 1; trailing ones go"
        );
        assert_eq!(expand_blanks("x\x1b"), "x\x1b", "no count after it");
        assert_eq!(
            expand_blanks("x\x1b\x10y"),
            "x\x1b\x10y",
            "a count below the bias"
        );
    }

    #[test]
    fn faults_name_the_word() {
        let good = block(&[DatasetItem::Record {
            words: vec![1; 600],
            unused_bits: 0,
        }])
        .unwrap();
        let mut bad_bn = good.clone();
        bad_bn[512] = set(bad_bn[512], cw::BN, 5);
        assert_eq!(
            deblock(&bad_bn),
            Err(CosFormatError::Dataset {
                offset: 512,
                fault: DatasetFault::BlockNumber {
                    expected: 1,
                    found: 5
                }
            })
        );
        let mut not_bcw = good.clone();
        not_bcw[512] = M_EOR << 60;
        assert!(matches!(
            deblock(&not_bcw),
            Err(CosFormatError::Dataset {
                offset: 512,
                fault: DatasetFault::NotBcw { block: 1, m: 0o10 }
            })
        ));
        let mut long_fwi = good.clone();
        // The EOR at word 01132 (block 1) may not point past word 02000.
        assert_eq!(get(long_fwi[0o1132], cw::M), M_EOR);
        long_fwi[0o1132] = set(long_fwi[0o1132], cw::FWI, 0o700);
        assert_eq!(
            deblock(&long_fwi),
            Err(CosFormatError::Dataset {
                offset: 0o1132,
                fault: DatasetFault::FwiPastBlock {
                    fwi: 0o700,
                    boundary: 0o2000
                }
            })
        );
        let truncated = &good[..good.len() - 1];
        assert!(matches!(
            deblock(truncated),
            Err(CosFormatError::Dataset {
                fault: DatasetFault::MissingEod,
                ..
            })
        ));
        let mut extra = good.clone();
        extra.push(0);
        assert!(matches!(
            deblock(&extra),
            Err(CosFormatError::Dataset {
                fault: DatasetFault::AfterEod { count: 1 },
                ..
            })
        ));
        let mut unknown = good;
        let last = unknown.len() - 1;
        unknown[last] = 0o3 << 60;
        let err = deblock(&unknown).unwrap_err();
        assert!(err.to_string().contains("M=3"), "{err}");
        assert_eq!(
            deblock(&[]),
            Err(CosFormatError::Dataset {
                offset: 0,
                fault: DatasetFault::Empty
            })
        );
    }

    /// DMP10's `$PDS` as it leaves it: block 0 holds 511 words of a record its BCW
    /// runs over, then block 1's BCW and nothing more.
    #[test]
    fn an_unfinished_dataset_is_closed_with_its_record_and_an_eod() {
        let mut words = vec![0o777];
        words.extend((1..=511u64).map(|i| i << 32));
        words.push(0o1000);
        let items = deblock_closing(&words).unwrap();
        assert_eq!(items.len(), 2);
        let DatasetItem::Record { words: data, .. } = &items[0] else {
            panic!("{items:?}");
        };
        assert_eq!(data.len(), 511);
        assert_eq!(data[510], 511 << 32);
        assert_eq!(items[1], DatasetItem::EndOfData);
        assert!(deblock(&words).is_err());
        // A finished dataset deblocks as it always did; nothing written is an EOD.
        let finished = block(&items).unwrap();
        assert_eq!(deblock_closing(&finished).unwrap(), items);
        assert_eq!(deblock_closing(&[]).unwrap(), vec![DatasetItem::EndOfData]);
        // Words after the EOD in its own block are left; in a further block not.
        let mut padded = finished.clone();
        padded.resize(finished.len().div_ceil(BLOCK_WORDS) * BLOCK_WORDS, 7);
        assert!(padded.len() > finished.len());
        assert_eq!(deblock_closing(&padded).unwrap(), items);
        padded.push(7);
        assert!(deblock_closing(&padded).is_err());
        // Other faults stay faults: a word where block 1's BCW must be.
        let mut bad = words.clone();
        bad[0o1000] = 0o7 << 60;
        assert!(deblock_closing(&bad).is_err());
    }

    #[test]
    fn reblocking_reproduces_pfi_pri() {
        // The last EOR of a 61-block record carries PFI = PRI = 60 (acctdef.ds).
        let mut w = DatasetWriter::new();
        w.write_record(&vec![0; 31152 - 64], 0).unwrap();
        w.end_file();
        let out = w.finish();
        let n = out.len();
        assert_eq!(out[n - 3], 0x8000_0000_3c00_7800);
        assert_eq!(out[n - 2], 0xe000_0000_3c00_0000);
    }

    #[test]
    fn a_block_ends_the_dataset_when_its_control_words_reach_a_last_eod() {
        let items = vec![
            DatasetItem::Record {
                words: vec![1, 2, 3],
                unused_bits: 0,
            },
            DatasetItem::EndOfFile,
            DatasetItem::EndOfData,
        ];
        let words = block(&items).unwrap();
        assert!(block_ends_dataset(&words));
        assert!(!block_ends_dataset(&words[..words.len() - 1]), "no EOD yet");
        let mut more = words.clone();
        more.push(0);
        assert!(!block_ends_dataset(&more), "a word after the EOD");
        assert!(!block_ends_dataset(&words[1..]), "not from a BCW");
        assert!(!block_ends_dataset(&[]));
    }
}
