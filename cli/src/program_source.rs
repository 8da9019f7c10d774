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
    let source = crate::files::read_text(path, cray_cal::MAX_SOURCE_BYTES, "a CAL source")?;
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
    check_not_empty(path, &assembly)?;
    if personality == "cos" {
        assembly
            .to_cos_raw()
            .map_err(|e| CliError::invalid(path, e))
    } else {
        Ok(assembly.to_aout_words())
    }
}

/// Refuses an assembly with no word in it (an empty file, or only comments): there is
/// no program to write or run.
fn check_not_empty(path: &Path, assembly: &Assembly) -> Result<(), CliError> {
    if assembly.words.is_empty() {
        return Err(CliError::invalid(
            path,
            "nothing to assemble: the source has no instruction or data",
        ));
    }
    Ok(())
}

/// Refuses an output path that names the source (the same file, by device and inode,
/// or the same path), which writing would destroy.
fn check_not_source(source: &Path, output: &Path, option: &str) -> Result<(), CliError> {
    let same = match (std::fs::metadata(source), std::fs::metadata(output)) {
        (Ok(a), Ok(b)) => same_file(&a, &b),
        _ => false,
    } || std::path::absolute(source).ok() == std::path::absolute(output).ok();
    if same {
        return Err(CliError::invalid(
            output,
            format!("{option} names the source being assembled; nothing written"),
        ));
    }
    Ok(())
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    false
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
    let output = output.unwrap_or_else(|| {
        source.with_extension(match format {
            Format::Aout => "out",
            Format::Cos | Format::CosRaw => "abs",
        })
    });
    check_not_source(source, &output, "-o")?;
    if let Some(listing) = &listing {
        check_not_source(source, listing, "-l")?;
    }
    let assembly = assemble_path(source, &options)?;
    check_not_empty(source, &assembly)?;
    let words = match format {
        Format::Aout => assembly.to_aout_words(),
        Format::Cos => assembly
            .to_cos_blocked()
            .map_err(|e| CliError::invalid(source, e))?,
        Format::CosRaw => assembly
            .to_cos_raw()
            .map_err(|e| CliError::invalid(source, e))?,
    };
    crate::files::write_output(&output, &words_to_bytes(&words))?;
    if let Some(listing) = listing {
        crate::files::write_output(&listing, assembly.listing_text().as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}
