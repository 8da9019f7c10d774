//! Writing the command's own output (listings, reports, the demo) to standard output.
//!
//! `print!` panics when standard output is a pipe whose reader has gone (`cray dis
//! X | head`); these macros end the command quietly instead, as Unix tools do. The
//! guest's own output goes through the kernel's console, which never fails the guest.

use std::io::Write;

/// Writes `args` to standard output; a closed pipe ends the command with status 0,
/// any other write error with status 2 and a message.
pub fn write(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(error) = out.write_fmt(args).and_then(|()| out.flush()) {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("cray: standard output: {error}");
        std::process::exit(2);
    }
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

pub(crate) use {out, outln};
