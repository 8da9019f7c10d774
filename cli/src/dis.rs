//! `cray dis`: disassembly of COS binaries, a.out files and raw word files.

use crate::load::{load_program_file, ProgramImage};
use crate::CliError;
use cray_cal::readback::{instruction_text, parcels_as_data};
use cray_emulator::isa::{decode, disassemble, instruction_length, Instruction, Model, Op};
use std::fmt::Write as _;
use std::path::Path;

/// What to disassemble and how.
pub struct DisOptions {
    /// Treat the file as raw big-endian words loaded at word 0.
    pub raw: bool,
    /// First parcel address to show (default: the start of the image).
    pub from: Option<u32>,
    /// Maximum number of lines.
    pub count: Option<usize>,
    /// Instruction set.
    pub model: Model,
}

/// Disassembles `path` to text.
pub fn disassemble_file(path: &Path, options: &DisOptions) -> Result<String, CliError> {
    let image = if options.raw {
        ProgramImage::raw(path)?
    } else {
        load_program_file(path)?
    };
    Ok(disassemble_image(&image, options))
}

/// Formats a parcel address as the CAL listing does: octal word and parcel letter.
pub fn parcel_label(parcel: u32) -> String {
    let letter = ['a', 'b', 'c', 'd'][(parcel & 3) as usize];
    format!("{:o}{letter}", parcel >> 2)
}

/// Reads a parcel address in any form `cray` prints or takes: `201a` (the octal word
/// and the parcel letter, as [`parcel_label`] writes it), octal with a leading `0`
/// (`01004`), hex with `0x`, or decimal (`7`).
pub fn parse_parcel(text: &str) -> Result<u32, String> {
    let Some(letter) = text.chars().last().filter(|c| ('a'..='d').contains(c)) else {
        return crate::parse_number(text);
    };
    let word = &text[..text.len() - 1];
    if word.is_empty() || !word.chars().all(|c| ('0'..='7').contains(&c)) {
        return Err(format!(
            "`{text}` is not a parcel address: give the octal word and the parcel letter (201a), octal with a leading 0, or decimal"
        ));
    }
    let parcel = u32::from_str_radix(word, 8)
        .ok()
        .and_then(|word| word.checked_mul(4))
        .and_then(|first| first.checked_add(letter as u32 - 'a' as u32));
    parcel.ok_or_else(|| format!("`{text}` is beyond the largest parcel address"))
}

fn parcel_at(image: &ProgramImage, parcel: u32) -> Option<u16> {
    let word_index = (parcel >> 2).checked_sub(image.load_address)? as usize;
    let word = *image.words.get(word_index)?;
    Some((word >> (48 - 16 * (parcel & 3))) as u16)
}

/// Disassembles a loaded image: instructions where the words decode, data elsewhere.
pub fn disassemble_image(image: &ProgramImage, options: &DisOptions) -> String {
    let start = image.load_address * 4;
    let end = start + image.words.len() as u32 * 4;
    let mut parcel = options.from.unwrap_or(start).max(start);
    let mut out = String::new();
    if let Some(description) = &image.description {
        let _ = writeln!(out, "* {description}");
    }
    let mut lines = 0usize;
    while parcel < end && options.count.is_none_or(|n| lines < n) {
        let marker = if parcel == image.entry_parcel {
            ">"
        } else {
            " "
        };
        let p1 = parcel_at(image, parcel).unwrap_or(0);
        let length = instruction_length(p1);
        let p2 = if length == 2 {
            parcel_at(image, parcel + 1)
        } else {
            Some(0)
        };
        // Never let an instruction swallow the entry point: resynchronize there.
        let covers_entry = parcel < image.entry_parcel && image.entry_parcel < parcel + length;
        let instruction = p2
            .filter(|_| !covers_entry)
            .map(|p2| decode(p1, p2, options.model));
        match instruction {
            Some(inst) if inst.op != Op::Undefined => {
                let code = if length == 2 {
                    format!("{:06o} {:06o}", inst.p1, inst.p2)
                } else {
                    format!("{:06o}       ", inst.p1)
                };
                let text = instruction_line(inst, length, options.model);
                let _ = writeln!(out, "{marker}{:>8} {code}  {text}", parcel_label(parcel));
                parcel += length;
            }
            _ if parcel & 3 == 0 => {
                let word = image.words[((parcel >> 2) - image.load_address) as usize];
                let _ = writeln!(
                    out,
                    "{marker}{:>8} {:022o}  CON O'{:o}{}",
                    parcel_label(parcel),
                    word,
                    word,
                    ascii_comment(word)
                );
                parcel += 4;
            }
            _ => {
                let _ = writeln!(
                    out,
                    "{marker}{:>8} {:06o}         {}",
                    parcel_label(parcel),
                    p1,
                    parcels_as_data(&[p1])
                );
                parcel += 1;
            }
        }
        lines += 1;
    }
    out
}

/// The text of a defined instruction of `length` parcels: its CAL form when that
/// assembles back to the same parcels, else its parcels as `VWD` with the disassembly
/// as a comment, so that the listing's text column is always a source giving the same
/// words.
fn instruction_line(inst: Instruction, length: u32, model: Model) -> String {
    let parcels = &[inst.p1, inst.p2][..length as usize];
    if let Some(text) = instruction_text(parcels, model) {
        return text;
    }
    let comment = disassemble(inst, model).unwrap_or_default();
    format!(
        "{}  ; {comment} (CAL writes this text differently)",
        parcels_as_data(parcels)
    )
}

/// A trailing comment with the word's characters when they are all printable ASCII.
fn ascii_comment(word: u64) -> String {
    let bytes = word.to_be_bytes();
    let printable = bytes.iter().all(|&b| b == 0 || (0x20..0x7F).contains(&b));
    if printable && bytes.iter().any(|&b| b != 0) {
        let text: String = bytes
            .iter()
            .map(|&b| if b == 0 { '.' } else { b as char })
            .collect();
        format!("  ; '{text}'")
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_printed_form_of_a_parcel_address_reads_back() {
        for parcel in [0, 1, 7, 0o1004, 0o201 * 4, 0o201 * 4 + 3, u32::MAX] {
            assert_eq!(parse_parcel(&parcel_label(parcel)), Ok(parcel), "{parcel}");
        }
        assert_eq!(parse_parcel("2a"), Ok(8));
        assert_eq!(parse_parcel("201a"), Ok(0o1004));
        assert_eq!(parse_parcel("01004"), Ok(0o1004));
        assert_eq!(parse_parcel("0x204"), Ok(0o1004));
        assert_eq!(parse_parcel("516"), Ok(0o1004));
        assert_eq!(parse_parcel("0"), Ok(0));
    }

    #[test]
    fn a_malformed_parcel_address_is_refused_with_the_forms_it_takes() {
        for bad in ["8a", "a", "1e", "zz", "-1", "77777777777a", "09"] {
            let message = parse_parcel(bad).unwrap_err();
            assert!(message.contains(&format!("`{bad}`")), "{bad}: {message}");
        }
        assert!(parse_parcel("8a").unwrap_err().contains("201a"));
    }
}
