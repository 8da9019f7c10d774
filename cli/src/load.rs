//! Reading program files: COS absolute binaries (raw or blocked), a.out files and raw
//! word files, with errors that name the file.

use crate::CliError;
use cray_emulator::aout::AOut;
use cray_emulator::cos::absolute;
use cray_emulator::cos::deck::file::{read_deck, DeckFile};
use std::path::Path;

/// A program's memory image as a disassembler or loader sees it.
#[derive(Clone, Debug)]
pub struct ProgramImage {
    /// Words of the image, starting at `load_address`.
    pub words: Vec<u64>,
    /// Word address of `words[0]`.
    pub load_address: u32,
    /// Entry point, a parcel address.
    pub entry_parcel: u32,
    /// One line describing the program (name, trailer).
    pub description: Option<String>,
}

/// Longest program file read, in 64-bit words. A program's text and data must fit in
/// the 24-bit word addresses of the machine (2^24 words), so no a.out or COS absolute
/// binary that could run is longer; one eighth more leaves room for the loader tables
/// and the control words of a blocked dataset.
pub const MAX_PROGRAM_WORDS: u64 = (1 << 24) + (1 << 21);

/// Reads a file as big-endian 64-bit words (at most [`MAX_PROGRAM_WORDS`]).
pub fn read_words(path: &Path) -> Result<Vec<u64>, CliError> {
    words_of(path, &read_program_bytes(path)?)
}

/// A program file's bytes: only a regular file, at most [`MAX_PROGRAM_WORDS`] words.
fn read_program_bytes(path: &Path) -> Result<Vec<u8>, CliError> {
    crate::files::read_input(path, MAX_PROGRAM_WORDS * 8, "a program")
}

/// `bytes`, read from `path`, as big-endian 64-bit words.
fn words_of(path: &Path, bytes: &[u8]) -> Result<Vec<u64>, CliError> {
    if !bytes.len().is_multiple_of(8) {
        return Err(CliError::invalid(
            path,
            format!(
                "length {} bytes is not a whole number of 64-bit words",
                bytes.len()
            ),
        ));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|chunk| u64::from_be_bytes(chunk.try_into().unwrap_or([0; 8])))
        .collect())
}

impl ProgramImage {
    /// A raw word file loaded at word 0, entered at parcel 0.
    pub fn raw(path: &Path) -> Result<ProgramImage, CliError> {
        Ok(ProgramImage {
            words: read_words(path)?,
            load_address: 0,
            entry_parcel: 0,
            description: None,
        })
    }
}

/// Reads a COS absolute binary or an a.out, deciding by content, or assembles a `.cal`
/// source into an a.out as `cray run` would.
pub fn load_program_file(path: &Path) -> Result<ProgramImage, CliError> {
    let words = match program_words(path, "unicos")? {
        Runnable::AOut(words) | Runnable::Cos(words) => words,
        Runnable::Deck(_) => {
            return Err(CliError::invalid(
                path,
                "a COS job deck, not a program: run it with cray run",
            ))
        }
    };
    if AOut::looks_like(&words) {
        let aout = AOut::parse(&words).map_err(|e| CliError::invalid(path, e.to_string()))?;
        let mut image = aout.text.clone();
        image.extend_from_slice(&aout.data);
        return Ok(ProgramImage {
            words: image,
            load_address: 0,
            entry_parcel: aout.entry_parcel,
            description: Some(format!(
                "a.out: text {} words, data {} words, bss {} words",
                aout.text.len(),
                aout.data.len(),
                aout.bss_words
            )),
        });
    }
    let binary = absolute::parse(&words).map_err(|e| CliError::invalid(path, e.to_string()))?;
    let mut description = format!(
        "COS absolute binary {}: HLM {:o}, entry {:o}",
        binary.name, binary.hlm, binary.entry_parcel
    );
    if let Some(trailer) = &binary.trailer {
        description.push_str(&format!(", {trailer}"));
    }
    Ok(ProgramImage {
        words: binary.text,
        load_address: binary.load_address,
        entry_parcel: binary.entry_parcel,
        description: Some(description),
    })
}

/// A program `cray run` can start.
pub enum Runnable {
    /// A UNICOS a.out's words.
    AOut(Vec<u64>),
    /// A COS absolute binary's words (raw or blocked).
    Cos(Vec<u64>),
    /// A COS job deck (first statement `JOB`), text or blocked.
    Deck(DeckFile),
}

/// Whether `path` names a job deck: a `.job` file, or a file whose first statement is
/// `JOB` (text or blocked). The deck, or for a `.job` file why it is not one.
fn deck_of(path: &Path, bytes: &[u8]) -> Option<Result<DeckFile, CliError>> {
    let named = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("job"));
    match read_deck(bytes) {
        Ok(deck) => Some(Ok(deck)),
        Err(why) if named => Some(Err(CliError::invalid(path, why))),
        Err(_) => None,
    }
}

/// The words of a program that `cray run` can start: an a.out or a COS absolute
/// binary as it is, a `.cal` source assembled on the fly for `personality`.
pub fn program_words(path: &Path, personality: &str) -> Result<Runnable, CliError> {
    let is_source = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("cal"));
    if is_source {
        let words = crate::program_source::assemble_file(path, personality)?;
        return Ok(if personality == "cos" {
            Runnable::Cos(words)
        } else {
            Runnable::AOut(words)
        });
    }
    let bytes = read_program_bytes(path)?;
    if let Some(deck) = deck_of(path, &bytes) {
        return deck.map(Runnable::Deck);
    }
    let words = words_of(path, &bytes)?;
    if AOut::looks_like(&words) {
        return Ok(Runnable::AOut(words));
    }
    match absolute::parse(&words) {
        Ok(_) => Ok(Runnable::Cos(words)),
        Err(why) => Err(CliError::invalid(
            path,
            format!(
                "neither a UNICOS a.out (magic 0407 in word 0) nor a COS absolute binary ({why})"
            ),
        )),
    }
}
