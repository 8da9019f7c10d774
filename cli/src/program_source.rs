//! CAL sources: `cray asm`, and `.cal` programs given to `cray run` (assembled in
//! memory).

use crate::output::errln;
use crate::CliError;
use cray_cal::{assemble, Assembly, Options};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output formats of `cray asm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// UNICOS-style a.out (the default).
    Aout,
    /// COS absolute binary in a blocked dataset.
    Cos,
    /// COS absolute binary without control words (PDT + TXT).
    CosRaw,
}

/// Errors printed before the rest are only counted: a file that is not CAL at all
/// would otherwise bury the terminal in one error per line.
const ERRORS_SHOWN: usize = 100;

/// Assembles `path`; the errors are printed on stderr (FILE:LINE:COLUMN, the line, a
/// caret), the first [`ERRORS_SHOWN`] of them, and the result is an error naming the
/// count.
pub fn assemble_path(path: &Path, options: &Options) -> Result<Assembly, CliError> {
    let source = std::fs::read_to_string(path).map_err(|e| CliError::io(path, e))?;
    let name = path.display().to_string();
    assemble(&source, &name, options).map_err(|errors| {
        for error in errors.iter().take(ERRORS_SHOWN) {
            errln!("{error}");
        }
        let unshown = errors.len().saturating_sub(ERRORS_SHOWN);
        CliError::new(format!(
            "{name}: {} error{}{}; nothing written",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            if unshown > 0 {
                format!(" ({unshown} not shown)")
            } else {
                String::new()
            }
        ))
    })
}

/// Assembles `path` for `personality` and returns the program's file words.
pub fn assemble_file(path: &Path, personality: &str) -> Result<Vec<u64>, CliError> {
    let options = if personality == "cos" {
        Options::cos()
    } else {
        Options::aout()
    };
    let assembly = assemble_path(path, &options)?;
    if personality == "cos" {
        assembly
            .to_cos_raw()
            .map_err(|e| CliError::invalid(path, e))
    } else {
        Ok(assembly.to_aout_words())
    }
}

fn words_to_bytes(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_be_bytes()).collect()
}

/// `cray asm SOURCE [-o OUT] [--format aout|cos|cos-raw] [-l LISTING]`.
pub fn asm(
    source: &Path,
    output: Option<PathBuf>,
    format: Format,
    listing: Option<PathBuf>,
) -> Result<ExitCode, CliError> {
    let options = match format {
        Format::Aout => Options::aout(),
        Format::Cos | Format::CosRaw => Options::cos(),
    };
    let assembly = assemble_path(source, &options)?;
    let words = match format {
        Format::Aout => assembly.to_aout_words(),
        Format::Cos => assembly
            .to_cos_blocked()
            .map_err(|e| CliError::invalid(source, e))?,
        Format::CosRaw => assembly
            .to_cos_raw()
            .map_err(|e| CliError::invalid(source, e))?,
    };
    let output = output.unwrap_or_else(|| {
        source.with_extension(match format {
            Format::Aout => "out",
            Format::Cos | Format::CosRaw => "abs",
        })
    });
    std::fs::write(&output, words_to_bytes(&words)).map_err(|e| CliError::io(&output, e))?;
    if let Some(listing) = listing {
        std::fs::write(&listing, assembly.listing_text()).map_err(|e| CliError::io(&listing, e))?;
    }
    Ok(ExitCode::SUCCESS)
}
