//! COS absolute binaries (`COS.md` §1.1–1.2): a PDT (TT = 017) describing the program
//! followed by a TXT (TT = 016) holding the memory image, either raw or wrapped as
//! the first record of a blocked dataset.

use super::bits::{ascii_word, field, with_field, word_ascii};
use super::dataset::{first_record, is_blocked};
use super::error::CosFormatError;

/// Loader table type of the Program Description Table.
pub const TT_PDT: u64 = 0o17;
/// Loader table type of the Text Table.
pub const TT_TXT: u64 = 0o16;
/// Word address where every COS program is loaded, just above the JCB.
pub const ORIGIN: u32 = 0o200;
/// PDT word 2 as kLDR writes it: MTX, CSQ and TYP (new PDT) set.
pub const KLDR_FLAGS: u64 = 0x0980_0000_0000_0000;
/// PDT word of the HLM (high limit of the program).
const PDT_HLM: usize = 13;
/// PDT word of the machine-characteristics entry length and of the machine type.
const PDT_MACHINE_LEN: usize = 18;
const PDT_MACHINE: usize = 19;
/// Header-entry length HL of every PDT we have seen: words 1–20.
const PDT_HL: u64 = 20;
/// Words of the trailer's fixed part: date, time, OS, OS date, reserved, product,
/// version, four reserved words. An optional comment follows.
const TRAILER_FIXED_WORDS: usize = 11;

/// A COS absolute program as the loader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsoluteBinary {
    /// Program (block) name, PDT block entry word 0.
    pub name: String,
    /// Name of the primary entry point.
    pub entry_name: String,
    /// HLM: high limit of the program in words; the field length must be at least
    /// this, and memory from the end of the text up to HLM is zero (BSS).
    pub hlm: u32,
    /// Entry point as a parcel address (4 × word address + parcel index).
    pub entry_parcel: u32,
    /// Word address where `text[0]` is loaded (TXT header bits 40–63).
    pub load_address: u32,
    /// The memory image.
    pub text: Vec<u64>,
    /// Primary machine type from the machine-characteristics entry (`CRAY-XMP`).
    pub machine: String,
    /// PDT word 2 (MTX, CSQ, TYP, SDM, XMA flags).
    pub flags: u64,
    /// The trailer words (PDT words after the entry points: date, time, OS, OS date,
    /// reserved, product, version, reserved ×4, optional comment), kept verbatim so
    /// that [`write()`] reproduces them.
    pub trailer_words: Vec<u64>,
    /// The trailer as text, e.g. `07/07/88 19:42:34 COS 1.16 06/09/88 SEGLDR 3.1`;
    /// `None` when the PDT has no trailer or it is all zero. Derived from
    /// `trailer_words` by [`parse`]; [`write()`] ignores it.
    pub trailer: Option<String>,
}

/// The readable parts of a PDT trailer, for [`AbsoluteBinary::set_trailer`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrailerFields {
    /// Date the binary was made, `mm/dd/yy`.
    pub date: String,
    /// Time the binary was made, `hh:mm:ss`.
    pub time: String,
    /// Operating system, e.g. `COS 1.17`.
    pub os: String,
    /// Date of that OS release, `mm/dd/yy`.
    pub os_date: String,
    /// Product that made the binary, e.g. `kLDR`.
    pub product: String,
    /// Its version, e.g. `1.0`.
    pub version: String,
    /// Optional comment (the IDENT comment kLDR appends), any length.
    pub comment: String,
}

impl AbsoluteBinary {
    /// A program loaded at [`ORIGIN`] whose HLM is the end of its text, with kLDR's
    /// PDT flags, machine `CRAY-XMP` and no trailer.
    pub fn new(name: &str, text: Vec<u64>, entry_parcel: u32) -> Self {
        let hlm = ORIGIN + text.len() as u32;
        AbsoluteBinary {
            name: name.to_string(),
            entry_name: name.to_string(),
            hlm,
            entry_parcel,
            load_address: ORIGIN,
            text,
            machine: "CRAY-XMP".to_string(),
            flags: KLDR_FLAGS,
            trailer_words: Vec::new(),
            trailer: None,
        }
    }

    /// Sets the trailer words and their text from `fields`. Each fixed field is
    /// blank-padded in its own word (as SEGLDR writes `SEGLDR  `); the comment
    /// follows, 8 characters per word.
    pub fn set_trailer(&mut self, fields: &TrailerFields) {
        let padded = |s: &str| ascii_word(&format!("{s:<8}"));
        let mut words = vec![
            ascii_word(&fields.date),
            ascii_word(&fields.time),
            padded(&fields.os),
            ascii_word(&fields.os_date),
            0,
            padded(&fields.product),
            padded(&fields.version),
            0,
            0,
            0,
            0,
        ];
        let comment = fields.comment.as_bytes();
        words.extend(comment.chunks(8).map(|c| {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            u64::from_be_bytes(w)
        }));
        self.trailer = trailer_text(&words);
        self.trailer_words = words;
    }

    /// The entry point's word address.
    pub fn entry_word(&self) -> u32 {
        self.entry_parcel / 4
    }
}

/// The trailer words as text: the fixed words as blank-separated tokens, then the
/// comment words run together.
fn trailer_text(words: &[u64]) -> Option<String> {
    let split = words.len().min(TRAILER_FIXED_WORDS);
    let mut parts: Vec<String> = words[..split]
        .iter()
        .map(|&w| word_ascii(w))
        .filter(|s| !s.is_empty())
        .collect();
    // The comment runs across words, so blanks at word ends are part of it.
    let comment: String = words[split..]
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .take_while(|&b| b != 0)
        .map(|b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '?'
            }
        })
        .collect();
    let comment = comment.trim();
    if !comment.is_empty() {
        parts.push(comment.to_string());
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join(" "))
    }
}

/// Reads big-endian 64-bit words from a file's bytes.
pub fn words_from_bytes(bytes: &[u8]) -> Result<Vec<u64>, CosFormatError> {
    if bytes.len() & 7 != 0 {
        return Err(CosFormatError::ByteLength { bytes: bytes.len() });
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            u64::from_be_bytes(w)
        })
        .collect())
}

/// The big-endian bytes of a word sequence (how COS files sit on the host).
pub fn words_to_bytes(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_be_bytes()).collect()
}

/// Parses an absolute binary from a file's bytes (big-endian 64-bit words).
pub fn from_bytes(bytes: &[u8]) -> Result<AbsoluteBinary, CosFormatError> {
    parse(&words_from_bytes(bytes)?)
}

/// Parses an absolute binary, raw or blocked. A blocked file (see
/// [`is_blocked`]) is deblocked and its first record parsed; word offsets in errors
/// about the tables are then offsets within that record.
pub fn parse(words: &[u64]) -> Result<AbsoluteBinary, CosFormatError> {
    if is_blocked(words) {
        parse_tables(&first_record(words)?)
    } else {
        parse_tables(words)
    }
}

fn field_error(
    table: &'static str,
    offset: usize,
    field: &'static str,
    detail: String,
) -> CosFormatError {
    CosFormatError::Field {
        table,
        offset,
        field,
        detail,
    }
}

/// Parses a raw PDT+TXT pair occupying exactly `words`.
fn parse_tables(words: &[u64]) -> Result<AbsoluteBinary, CosFormatError> {
    let pdt = read_pdt(words)?;
    let txt_at = pdt.len();
    let Some(&txt_header) = words.get(txt_at) else {
        return Err(CosFormatError::Truncated {
            table: "TXT",
            offset: txt_at,
            field: "header",
            value: 1,
            available: 0,
        });
    };
    let tt = field(txt_header, 0, 3);
    if tt != TT_TXT {
        return Err(CosFormatError::TableType {
            table: "TXT",
            offset: txt_at,
            found: tt,
            expected: TT_TXT,
        });
    }
    let txt_wc = field(txt_header, 4, 27);
    let available = words.len() - txt_at;
    if txt_wc == 0 {
        return Err(field_error(
            "TXT",
            txt_at,
            "WC",
            "0, but the header word itself counts".into(),
        ));
    }
    if txt_wc > available as u64 {
        return Err(CosFormatError::Truncated {
            table: "TXT",
            offset: txt_at,
            field: "WC",
            value: txt_wc,
            available,
        });
    }
    let end = txt_at + txt_wc as usize;
    if end < words.len() {
        return Err(CosFormatError::TrailingWords {
            offset: end,
            count: words.len() - end,
        });
    }
    let load_address = field(txt_header, 40, 63) as u32;
    if load_address < ORIGIN {
        return Err(field_error(
            "TXT",
            txt_at,
            "load address",
            format!("{load_address:o} lies inside the JCB (below {ORIGIN:o})"),
        ));
    }
    if u64::from(load_address) != pdt.org {
        return Err(field_error(
            "PDT",
            pdt.block_at + 1,
            "ORG",
            format!(
                "{:o} differs from the TXT load address {load_address:o}",
                pdt.org
            ),
        ));
    }
    let text = words[txt_at + 1..end].to_vec();
    // HLM is the first word past the program, so the text must end at or below it.
    let text_end = u64::from(load_address) + text.len() as u64;
    if u64::from(pdt.hlm) < text_end {
        return Err(field_error(
            "PDT",
            PDT_HLM,
            "HLM",
            format!("{:o} is below the end of the text {text_end:o}", pdt.hlm),
        ));
    }
    let entry_word = pdt.entry_parcel / 4;
    if entry_word < load_address || entry_word >= pdt.hlm {
        return Err(field_error(
            "PDT",
            pdt.entry_at + 2,
            "entry value",
            format!(
                "parcel address {:o} (word {entry_word:o}) is outside the program {load_address:o}..{:o}",
                pdt.entry_parcel, pdt.hlm
            ),
        ));
    }
    let trailer = trailer_text(&pdt.trailer_words);
    Ok(AbsoluteBinary {
        name: pdt.name,
        entry_name: pdt.entry_name,
        hlm: pdt.hlm,
        entry_parcel: pdt.entry_parcel,
        load_address,
        text,
        machine: pdt.machine,
        flags: pdt.flags,
        trailer_words: pdt.trailer_words,
        trailer,
    })
}

/// What the loader takes from a PDT.
struct Pdt {
    wc: usize,
    hlm: u32,
    machine: String,
    flags: u64,
    block_at: usize,
    name: String,
    org: u64,
    entry_at: usize,
    entry_name: String,
    entry_parcel: u32,
    trailer_words: Vec<u64>,
}

impl Pdt {
    fn len(&self) -> usize {
        self.wc
    }
}

fn read_pdt(words: &[u64]) -> Result<Pdt, CosFormatError> {
    let Some(&header) = words.first() else {
        return Err(CosFormatError::Truncated {
            table: "PDT",
            offset: 0,
            field: "header",
            value: 1,
            available: 0,
        });
    };
    let tt = field(header, 0, 3);
    if tt != TT_PDT {
        return Err(CosFormatError::TableType {
            table: "PDT",
            offset: 0,
            found: tt,
            expected: TT_PDT,
        });
    }
    let wc = field(header, 4, 27);
    if wc > words.len() as u64 {
        return Err(CosFormatError::Truncated {
            table: "PDT",
            offset: 0,
            field: "WC",
            value: wc,
            available: words.len(),
        });
    }
    let wc = wc as usize;
    let xl = field(header, 28, 41) as usize;
    let el = field(header, 42, 55) as usize;
    let bl = field(header, 56, 63) as usize;
    if wc < 2 {
        return Err(field_error(
            "PDT",
            0,
            "WC",
            format!("{wc:o} leaves no room for the header entry"),
        ));
    }
    let hl = field(words[1], 50, 63);
    if hl < PDT_HL {
        return Err(field_error(
            "PDT",
            1,
            "HL",
            format!("{hl:o}: the header entry must reach word {PDT_HL:o} (HLM, machine type)"),
        ));
    }
    if bl < 2 {
        return Err(field_error(
            "PDT",
            0,
            "BL",
            format!("{bl:o}: an absolute program needs a block entry (2 words)"),
        ));
    }
    if el < 3 {
        return Err(field_error(
            "PDT",
            0,
            "EL",
            format!("{el:o}: an absolute program needs an entry point (3 words)"),
        ));
    }
    let block_at = 1 + hl as usize;
    let entries_at = block_at + bl;
    let trailer_at = entries_at + el + xl;
    if trailer_at > wc {
        return Err(field_error(
            "PDT",
            0,
            "WC",
            format!("{wc:o} is shorter than header, block, entry and external entries ({trailer_at:o} words)"),
        ));
    }
    let machine = if field(words[PDT_MACHINE_LEN], 0, 63) == 0 {
        String::new()
    } else {
        word_ascii(words[PDT_MACHINE])
    };
    // The primary entry (bit 55) is where execution starts; otherwise the first.
    let entry_count = el / 3;
    let entry_at = (0..entry_count)
        .map(|i| entries_at + 3 * i)
        .find(|&at| field(words[at + 1], 55, 55) == 1)
        .unwrap_or(entries_at);
    let entry_flags = words[entry_at + 1];
    let entry_value = words[entry_at + 2];
    let parcel_flag = field(entry_flags, 63, 63) == 1;
    let limit = if parcel_flag { 1u64 << 26 } else { 1u64 << 24 };
    if entry_value >= limit {
        return Err(field_error(
            "PDT",
            entry_at + 2,
            "entry value",
            format!("{entry_value:o} is not a 24-bit word address"),
        ));
    }
    let entry_parcel = if parcel_flag {
        entry_value
    } else {
        entry_value * 4
    } as u32;
    Ok(Pdt {
        wc,
        hlm: field(words[PDT_HLM], 40, 63) as u32,
        machine,
        flags: words[2],
        block_at,
        name: word_ascii(words[block_at]),
        org: field(words[block_at + 1], 16, 39),
        entry_at,
        entry_name: word_ascii(words[entry_at]),
        entry_parcel,
        trailer_words: words[trailer_at..wc].to_vec(),
    })
}

/// Writes `binary` as a raw PDT+TXT in the shape kLDR and SEGLDR produce: HL = 20,
/// one block entry (BL = 2, absolute, ORG = load address, PRL = HLM − ORG), one
/// primary entry point with the parcel-address flag (EL = 3), no externals, then
/// the trailer words. Names longer than 8 characters are cut to 8.
pub fn write(binary: &AbsoluteBinary) -> Vec<u64> {
    let pdt_wc = 1 + PDT_HL as usize + 2 + 3 + binary.trailer_words.len();
    let mut pdt = vec![0u64; pdt_wc];
    let mut header = with_field(0, 0, 3, TT_PDT);
    header = with_field(header, 4, 27, pdt_wc as u64);
    header = with_field(header, 42, 55, 3);
    header = with_field(header, 56, 63, 2);
    pdt[0] = header;
    pdt[1] = PDT_HL;
    pdt[2] = binary.flags;
    pdt[PDT_HLM] = with_field(0, 40, 63, u64::from(binary.hlm));
    pdt[PDT_MACHINE_LEN] = 3;
    pdt[PDT_MACHINE] = ascii_word(&binary.machine);
    pdt[21] = ascii_word(&binary.name);
    let mut block = with_field(0, 0, 0, 1);
    block = with_field(block, 16, 39, u64::from(binary.load_address));
    block = with_field(
        block,
        40,
        63,
        u64::from(binary.hlm.saturating_sub(binary.load_address)),
    );
    pdt[22] = block;
    pdt[23] = ascii_word(&binary.entry_name);
    pdt[24] = with_field(with_field(0, 55, 55, 1), 63, 63, 1);
    pdt[25] = u64::from(binary.entry_parcel);
    pdt[26..].copy_from_slice(&binary.trailer_words);

    let mut txt_header = with_field(0, 0, 3, TT_TXT);
    txt_header = with_field(txt_header, 4, 27, binary.text.len() as u64 + 1);
    txt_header = with_field(txt_header, 40, 63, u64::from(binary.load_address));
    let mut out = pdt;
    out.push(txt_header);
    out.extend_from_slice(&binary.text);
    out
}

/// Writes `binary` as a COS blocked dataset: one record (PDT+TXT), EOF, EOD — the
/// form COS-Tools `ldr` writes as `.abs`.
pub fn write_blocked(binary: &AbsoluteBinary) -> Vec<u64> {
    let mut writer = super::dataset::DatasetWriter::new();
    writer.write_words(&write(binary));
    // UBC 0 always fits the field.
    let _ = writer.end_record(0);
    writer.end_file();
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cos::dataset::{deblock, DatasetItem};
    use crate::cos::DatasetFault;
    use proptest::prelude::*;

    fn sample() -> AbsoluteBinary {
        let text: Vec<u64> = (0..0o300).map(|i| i * 0o1234567 + 1).collect();
        let mut bin = AbsoluteBinary::new("HELLO", text, 4 * ORIGIN);
        bin.hlm = ORIGIN + 0o400;
        bin.set_trailer(&TrailerFields {
            date: "02/28/89".into(),
            time: "10:11:12".into(),
            os: "COS 1.17".into(),
            os_date: "02/28/89".into(),
            product: "CAL".into(),
            version: "0.1".into(),
            comment: "HELLO - a comment longer than one word".into(),
        });
        bin
    }

    #[test]
    fn write_then_parse_round_trips() {
        let bin = sample();
        let raw = write(&bin);
        assert_eq!(raw[0] >> 60, TT_PDT);
        assert_eq!(raw[1], 20);
        assert_eq!(raw[2], KLDR_FLAGS);
        assert_eq!(raw[19], u64::from_be_bytes(*b"CRAY-XMP"));
        assert_eq!(
            raw[22], 0x8000_0000_8000_0100,
            "absolute, ORG 0200, PRL 0400"
        );
        assert_eq!(raw[24], 0x101);
        assert_eq!(raw[28], u64::from_be_bytes(*b"COS 1.17"));
        assert_eq!(parse(&raw).unwrap(), bin);
        assert_eq!(
            bin.trailer.as_deref(),
            Some("02/28/89 10:11:12 COS 1.17 02/28/89 CAL 0.1 HELLO - a comment longer than one word")
        );
        let blocked = write_blocked(&bin);
        assert!(is_blocked(&blocked));
        assert_eq!(parse(&blocked).unwrap(), bin);
        let items = deblock(&blocked).unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(
            items[0],
            DatasetItem::Record {
                words: raw.clone(),
                unused_bits: 0
            }
        );
        assert_eq!(from_bytes(&words_to_bytes(&raw)).unwrap(), bin);
    }

    #[test]
    fn word_entry_points_are_scaled_to_parcels() {
        let mut raw = write(&sample());
        raw[24] = 0x100; // primary entry, word address
        raw[25] = 0o201;
        assert_eq!(parse(&raw).unwrap().entry_parcel, 0o1004);
    }

    #[test]
    fn corrupt_inputs_give_typed_errors() {
        let raw = write(&sample());
        assert_eq!(
            from_bytes(&[0; 13]),
            Err(CosFormatError::ByteLength { bytes: 13 })
        );
        assert!(matches!(
            parse(&[]),
            Err(CosFormatError::Truncated { table: "PDT", .. })
        ));
        let truncated = &raw[..raw.len() - 5];
        assert_eq!(
            parse(truncated),
            Err(CosFormatError::Truncated {
                table: "TXT",
                offset: raw.len() - 0o301,
                field: "WC",
                value: 0o301,
                available: 0o301 - 5,
            })
        );
        assert!(matches!(
            parse(&raw[..10]),
            Err(CosFormatError::Truncated {
                table: "PDT",
                field: "WC",
                ..
            })
        ));
        let mut bad_tt = raw.clone();
        bad_tt[0] = with_field(bad_tt[0], 0, 3, 0o15);
        assert_eq!(
            parse(&bad_tt),
            Err(CosFormatError::TableType {
                table: "PDT",
                offset: 0,
                found: 0o15,
                expected: 0o17
            })
        );
        let txt_at = raw.len() - 0o301;
        let mut bad_txt = raw.clone();
        bad_txt[txt_at] = with_field(bad_txt[txt_at], 0, 3, 0o17);
        assert!(matches!(
            parse(&bad_txt),
            Err(CosFormatError::TableType { table: "TXT", .. })
        ));
        let mut big_wc = raw.clone();
        big_wc[0] = with_field(big_wc[0], 4, 27, 0o7777777);
        assert!(matches!(
            parse(&big_wc),
            Err(CosFormatError::Truncated {
                table: "PDT",
                value: 0o7777777,
                ..
            })
        ));
        let mut low_hlm = raw.clone();
        low_hlm[PDT_HLM] = u64::from(ORIGIN) + 0o277;
        let err = parse(&low_hlm).unwrap_err();
        assert!(
            matches!(
                err,
                CosFormatError::Field {
                    field: "HLM",
                    offset: 13,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("PDT word 15: HLM: 477"), "{err}");
        let mut low_load = raw.clone();
        low_load[txt_at] = with_field(low_load[txt_at], 40, 63, 0o100);
        assert!(matches!(
            parse(&low_load),
            Err(CosFormatError::Field {
                field: "load address",
                ..
            })
        ));
        let mut wild_entry = raw.clone();
        wild_entry[25] = 4 * 0o100000;
        assert!(matches!(
            parse(&wild_entry),
            Err(CosFormatError::Field {
                field: "entry value",
                ..
            })
        ));
        let mut extra = raw.clone();
        extra.push(0);
        assert_eq!(
            parse(&extra),
            Err(CosFormatError::TrailingWords {
                offset: raw.len(),
                count: 1
            })
        );
        let mut blocked = write_blocked(&sample());
        let n = blocked.len();
        blocked[n - 1] = 0;
        assert!(matches!(
            parse(&blocked[..n - 3]),
            Err(CosFormatError::Dataset {
                fault: DatasetFault::MissingEod,
                ..
            })
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn random_words_never_panic(words in prop::collection::vec(any::<u64>(), 0..80)) {
            let _ = parse(&words);
            let _ = deblock(&words);
        }

        #[test]
        fn mutated_binaries_never_panic(
            blocked in any::<bool>(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u64>(), 0u32..64), 1..6),
            cut in any::<prop::sample::Index>(),
        ) {
            let bin = sample();
            let mut words = if blocked { write_blocked(&bin) } else { write(&bin) };
            for (at, value, bit) in edits {
                let i = at.index(words.len());
                // Either flip one bit or replace the word: both reach every check.
                words[i] = if value % 2 == 0 { words[i] ^ (1 << bit) } else { value };
            }
            let keep = words.len() - cut.index(words.len() / 4 + 1);
            words.truncate(keep);
            let _ = parse(&words);
            let _ = deblock(&words);
            let _ = from_bytes(&words_to_bytes(&words)[..keep * 8 / 2 * 2]);
        }
    }
}
