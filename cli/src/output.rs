//! Writing the command's own output (listings, reports, the demo) to standard output,
//! and its messages and statistics to standard error.
//!
//! `print!` and `eprint!` panic when their stream is a pipe whose reader has gone
//! (`cray dis X | head`, `cray run --stats P 2>&1 | head`). With these, a closed
//! standard output ends the command quietly, as Unix tools do, and a closed standard
//! error is ignored. The guest's own output goes through the
//! kernel's console, where a failed write is the guest's error (and the runner reports it).

use std::io::Write;

/// Writes `args` to standard output; a closed pipe ends the command with status 0,
/// any other write error with status 2 and a message.
pub fn write(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(error) = out.write_fmt(args).and_then(|()| out.flush()) {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        write_err(format_args!("cray: standard output: {error}\n"));
        std::process::exit(2);
    }
}

/// Writes `args` to standard error. A failure is ignored: there is nowhere left to
/// report it, and the command still ends with the status its work deserves.
pub fn write_err(args: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.flush());
}

/// `print!` that ends the command quietly on a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write(format_args!($($arg)*))
    };
}

/// `println!` that ends the command quietly on a closed pipe.
macro_rules! outln {
    () => {
        $crate::output::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprint!` that does not panic on a closed pipe.
macro_rules! err {
    ($($arg:tt)*) => {
        $crate::output::write_err(format_args!($($arg)*))
    };
}

/// `eprintln!` that does not panic on a closed pipe.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::output::write_err(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {err, errln, out, outln};
