//! UNICOS-style a.out executables (COS.md section 3), as `cray` writes and loads them.
//!
//! Header, 8 words: word 0 holds the magic 0407 in its low 16 bits; words 1..4 the
//! text, data, bss and symbol sizes in words; word 5 the entry point as a parcel
//! address relative to the text base; words 6 and 7 are zero.
//!
//! Real UNICOS a.out files (Y-MP mode) carry 0x1807 in bits 32..47 of word 0 and load
//! text and data at separate bases (split I/D). An X-MP process here has one memory
//! field, so `cray` loads text at word 0 and data right after it (one base for both);
//! files written by `cray asm` leave bits 32..47 zero, and Y-MP files are refused
//! with a clear error rather than run wrongly.

use thiserror::Error;

/// The a.out magic number (octal 0407).
pub const MAGIC: u64 = 0o407;
/// Words in the header.
pub const HEADER_WORDS: usize = 8;
/// Marker of Y-MP (split I/D) executables in bits 32..47 of word 0.
const YMP_MARKER: u64 = 0x1807;

/// A parsed a.out executable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AOut {
    /// Text words (loaded at word 0).
    pub text: Vec<u64>,
    /// Initialized data words (loaded right after the text).
    pub data: Vec<u64>,
    /// Zero-filled words after the data.
    pub bss_words: u64,
    /// Symbol-table words (kept, not interpreted).
    pub symbols: Vec<u64>,
    /// Entry point, a parcel address.
    pub entry_parcel: u32,
}

/// What is wrong with an a.out file.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum AOutError {
    /// The file is shorter than the header.
    #[error("a.out is {words} words long, shorter than its 8-word header")]
    TooShort {
        /// Length of the file in words.
        words: usize,
    },
    /// Word 0 does not carry the magic number.
    #[error("a.out word 0 is {word:#018x}: magic 0407 expected in its low 16 bits")]
    BadMagic {
        /// The word found.
        word: u64,
    },
    /// A Y-MP mode executable (split instruction and data spaces).
    #[error(
        "a.out is a Y-MP mode executable (word 0 = {word:#018x}); only X-MP a.out files run here"
    )]
    YmpMode {
        /// The word found.
        word: u64,
    },
    /// The sizes in the header do not add up to the file length.
    #[error("a.out header says text {text} + data {data} + symbols {symbols} words, but the file has {available} words after the header")]
    SizeMismatch {
        /// Text words claimed.
        text: u64,
        /// Data words claimed.
        data: u64,
        /// Symbol words claimed.
        symbols: u64,
        /// Words actually present after the header.
        available: usize,
    },
    /// The entry point lies outside the text.
    #[error("a.out entry point {entry:#o} (parcel) is outside the text of {text} words")]
    EntryOutsideText {
        /// Entry parcel address.
        entry: u64,
        /// Text words.
        text: u64,
    },
}

impl AOut {
    /// Words of memory the program needs: text + data + bss.
    pub fn image_words(&self) -> u64 {
        (self.text.len() as u64)
            .saturating_add(self.data.len() as u64)
            .saturating_add(self.bss_words)
    }

    /// The file's words.
    pub fn to_words(&self) -> Vec<u64> {
        let mut words = Vec::with_capacity(HEADER_WORDS + self.text.len() + self.data.len());
        words.extend_from_slice(&[
            MAGIC,
            self.text.len() as u64,
            self.data.len() as u64,
            self.bss_words,
            self.symbols.len() as u64,
            u64::from(self.entry_parcel),
            0,
            0,
        ]);
        words.extend_from_slice(&self.text);
        words.extend_from_slice(&self.data);
        words.extend_from_slice(&self.symbols);
        words
    }

    /// True if `words` starts like an a.out file.
    pub fn looks_like(words: &[u64]) -> bool {
        words.first().is_some_and(|w| w & 0xFFFF == MAGIC)
    }

    /// Parses an a.out file from its words.
    pub fn parse(words: &[u64]) -> Result<AOut, AOutError> {
        if words.len() < HEADER_WORDS {
            return Err(AOutError::TooShort { words: words.len() });
        }
        let magic = words[0];
        if magic & 0xFFFF != MAGIC {
            return Err(AOutError::BadMagic { word: magic });
        }
        if (magic >> 32) & 0xFFFF == YMP_MARKER {
            return Err(AOutError::YmpMode { word: magic });
        }
        let (text, data, bss, symbols) = (words[1], words[2], words[3], words[4]);
        let available = words.len() - HEADER_WORDS;
        let needed = text.checked_add(data).and_then(|n| n.checked_add(symbols));
        if needed != Some(available as u64) {
            return Err(AOutError::SizeMismatch {
                text,
                data,
                symbols,
                available,
            });
        }
        let entry = words[5];
        if entry >= text.saturating_mul(4) {
            return Err(AOutError::EntryOutsideText { entry, text });
        }
        let body = &words[HEADER_WORDS..];
        let (text_words, rest) = body.split_at(text as usize);
        let (data_words, symbol_words) = rest.split_at(data as usize);
        Ok(AOut {
            text: text_words.to_vec(),
            data: data_words.to_vec(),
            bss_words: bss,
            symbols: symbol_words.to_vec(),
            entry_parcel: entry as u32,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> AOut {
        AOut {
            text: vec![0o004000 << 48, 7],
            data: vec![1, 2, 3],
            bss_words: 10,
            symbols: vec![],
            entry_parcel: 1,
        }
    }

    #[test]
    fn a_huge_bss_does_not_overflow() {
        let mut a = sample();
        a.bss_words = u64::MAX;
        assert_eq!(a.image_words(), u64::MAX);
    }

    #[test]
    fn round_trips() {
        let a = sample();
        assert_eq!(AOut::parse(&a.to_words()), Ok(a));
    }

    #[test]
    fn refuses_bad_files() {
        let mut words = sample().to_words();
        assert!(matches!(
            AOut::parse(&words[..5]),
            Err(AOutError::TooShort { .. })
        ));
        words[1] = u64::MAX;
        assert!(matches!(
            AOut::parse(&words),
            Err(AOutError::SizeMismatch { .. })
        ));
        let mut words = sample().to_words();
        words[5] = 100;
        assert!(matches!(
            AOut::parse(&words),
            Err(AOutError::EntryOutsideText { .. })
        ));
        let mut words = sample().to_words();
        words[0] |= 0x1807 << 32;
        assert!(matches!(
            AOut::parse(&words),
            Err(AOutError::YmpMode { .. })
        ));
        words[0] = 5;
        assert!(matches!(
            AOut::parse(&words),
            Err(AOutError::BadMagic { .. })
        ));
    }
}
