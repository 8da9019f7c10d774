//! Object formats: UNICOS a.out and COS absolute binaries (raw PDT+TXT, or a blocked
//! dataset), and the listing text.

use crate::listing::format_line;
use crate::Assembly;
use cray_emulator::aout::AOut;
use cray_emulator::cos::absolute::{self, AbsoluteBinary};

/// Why an assembly cannot be written in a format.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OutputError {
    /// COS programs are loaded at word 0200; the program starts elsewhere.
    #[error("a COS absolute binary must start at word 200 (octal), but the program starts at word {0:o}; assemble with the COS origin")]
    CosOrigin(u32),
}

impl Assembly {
    /// The program as a UNICOS a.out: everything in the text, loaded at word 0
    /// (words below the origin are zero), entry at the entry parcel.
    pub fn to_aout(&self) -> AOut {
        let mut text = vec![0u64; self.origin as usize];
        text.extend_from_slice(&self.words);
        AOut {
            text,
            data: Vec::new(),
            bss_words: 0,
            symbols: Vec::new(),
            entry_parcel: self.entry_parcel,
        }
    }

    /// The a.out file's words.
    pub fn to_aout_words(&self) -> Vec<u64> {
        self.to_aout().to_words()
    }

    fn cos_binary(&self) -> Result<AbsoluteBinary, OutputError> {
        if self.origin != absolute::ORIGIN {
            return Err(OutputError::CosOrigin(self.origin));
        }
        Ok(AbsoluteBinary::new(
            &self.module,
            self.words.clone(),
            self.entry_parcel,
        ))
    }

    /// The program as a raw COS absolute binary (PDT then TXT, no control words).
    pub fn to_cos_raw(&self) -> Result<Vec<u64>, OutputError> {
        Ok(absolute::write(&self.cos_binary()?))
    }

    /// The program as a COS blocked dataset (one record, EOF, EOD).
    pub fn to_cos_blocked(&self) -> Result<Vec<u64>, OutputError> {
        Ok(absolute::write_blocked(&self.cos_binary()?))
    }

    /// The listing as text, one line per entry.
    pub fn listing_text(&self) -> String {
        let mut text = String::new();
        for line in &self.listing {
            text.push_str(&format_line(line));
            text.push('\n');
        }
        text
    }
}
