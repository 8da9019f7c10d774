//! Object formats: UNICOS a.out and COS absolute binaries (raw PDT+TXT, or a blocked
//! dataset), and the listing text.

use crate::expr::Attr;
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

/// Output formats of `cray asm --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// UNICOS a.out (the default).
    Aout,
    /// COS absolute binary as a blocked dataset.
    Cos,
    /// COS absolute binary without control words.
    CosRaw,
}

impl Format {
    /// Parses a `--format` value: `aout`, `cos` or `cos-raw`.
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "aout" | "a.out" => Some(Format::Aout),
            "cos" => Some(Format::Cos),
            "cos-raw" => Some(Format::CosRaw),
            _ => None,
        }
    }

    /// The assembly options this format needs (origin 0 or 0200).
    pub fn options(self) -> crate::Options {
        match self {
            Format::Aout => crate::Options::aout(),
            Format::Cos | Format::CosRaw => crate::Options::cos(),
        }
    }
}

impl Assembly {
    /// The output file's words in `format`.
    pub fn output_words(&self, format: Format) -> Result<Vec<u64>, OutputError> {
        match format {
            Format::Aout => Ok(self.to_aout_words()),
            Format::Cos => self.to_cos_blocked(),
            Format::CosRaw => self.to_cos_raw(),
        }
    }

    /// The output file's bytes in `format` (words big-endian, as the loaders read).
    pub fn output_bytes(&self, format: Format) -> Result<Vec<u8>, OutputError> {
        Ok(absolute::words_to_bytes(&self.output_words(format)?))
    }

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

    /// The listing as text, one line per entry, then the symbol table (name,
    /// attribute as CAL prints it, octal value).
    pub fn listing_text(&self) -> String {
        let mut text = String::new();
        for line in &self.listing {
            text.push_str(&format_line(line));
            text.push('\n');
        }
        text.push_str("  SYMBOL TABLE\n");
        for (name, symbol) in &self.symbols {
            let redefinable = if symbol.redefinable { 'R' } else { ' ' };
            let mut attribute = String::new();
            let value = symbol.value.value;
            let shown = match symbol.value.attr {
                Attr::Absolute => {
                    attribute.push('V');
                    format!("{:o}", value as u64)
                }
                Attr::External => {
                    attribute.push_str("VX");
                    format!("{value:o}")
                }
                Attr::Word => {
                    attribute.push_str("W+");
                    format!("{value:o}")
                }
                Attr::Parcel => {
                    attribute.push_str("P+");
                    crate::listing::parcel_address(value as u32)
                }
            };
            text.push_str(&format!(
                " {name:<19}{redefinable}{attribute:<2}   {shown}\n"
            ));
        }
        text
    }
}
