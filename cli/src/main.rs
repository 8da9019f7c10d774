//! `cray`: the command-line front end of the Cray X-MP emulator and checkpointer.
//!
//! Only this crate prints and chooses exit statuses: the guest's exit status, 128 +
//! signal when the guest died of a signal, 2 when `cray` itself failed.

mod dis;
mod error;
mod load;

use clap::{Parser, Subcommand};
use cray_emulator::isa::Model;
pub use error::CliError;
use std::path::PathBuf;
use std::process::ExitCode;

/// Cray X-MP / Cray-1 emulator with a UNICOS-like system and checkpoint/restart.
#[derive(Parser)]
#[command(name = "cray", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Disassemble a COS absolute binary, an a.out, or (--raw) a file of big-endian words.
    Dis {
        /// The file to disassemble.
        file: PathBuf,
        /// Treat the file as raw 64-bit big-endian words loaded at word 0.
        #[arg(long)]
        raw: bool,
        /// First parcel address to show (octal with a leading 0, or decimal).
        #[arg(long, value_parser = parse_number)]
        from: Option<u32>,
        /// Number of lines to show.
        #[arg(long)]
        count: Option<usize>,
        /// Instruction set: xmp or cray1.
        #[arg(long, default_value = "xmp", value_parser = parse_model)]
        model: Model,
    },
}

/// Parses a number: `0` prefix means octal (as Cray people write addresses), `0x` hex.
fn parse_number(text: &str) -> Result<u32, String> {
    let parsed = if let Some(hex) = text.strip_prefix("0x") {
        u32::from_str_radix(hex, 16)
    } else if text.len() > 1 && text.starts_with('0') {
        u32::from_str_radix(&text[1..], 8)
    } else {
        text.parse()
    };
    parsed.map_err(|e| format!("`{text}` is not a number: {e}"))
}

fn parse_model(text: &str) -> Result<Model, String> {
    Model::from_name(text).ok_or_else(|| format!("unknown model `{text}` (xmp or cray1)"))
}

fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Dis {
            file,
            raw,
            from,
            count,
            model,
        } => {
            let options = dis::DisOptions {
                raw,
                from,
                count,
                model,
            };
            print!("{}", dis::disassemble_file(&file, &options)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("cray: {error}");
            ExitCode::from(2)
        }
    }
}
