//! Signals: numbers (System V), handlers, pending sets and delivery.
//!
//! Delivery to a user handler works like a return jump: the kernel stores the
//! interrupted P (a parcel address) in B00 and sets P to the handler, so the handler
//! returns with `J B00`. The handler must itself save any other register it uses
//! (B00 included, if the interrupted code needs it). A handler stays installed after
//! delivery (BSD-style); `signal(sig, 0)` restores the default action.
//!
//! A process blocked in a system call is woken by a signal it catches; its P then
//! addresses the EX of that call, so returning from the handler re-issues the call.
//!
//! Hardware errors do not go to handlers: they end the process at once with the
//! signal-style status SIGILL (error exit, undefined instruction), SIGSEGV (program or
//! operand range error), SIGFPE (floating-point error) or SIGBUS (memory error).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Hangup.
pub const SIGHUP: u32 = 1;
/// Interrupt.
pub const SIGINT: u32 = 2;
/// Quit.
pub const SIGQUIT: u32 = 3;
/// Illegal instruction (error exit, undefined instruction).
pub const SIGILL: u32 = 4;
/// Trace trap.
pub const SIGTRAP: u32 = 5;
/// Abort.
pub const SIGABRT: u32 = 6;
/// Emulator trap.
pub const SIGEMT: u32 = 7;
/// Floating-point error.
pub const SIGFPE: u32 = 8;
/// Kill: cannot be caught or ignored.
pub const SIGKILL: u32 = 9;
/// Memory error.
pub const SIGBUS: u32 = 10;
/// Range error (program or operand).
pub const SIGSEGV: u32 = 11;
/// Bad system call.
pub const SIGSYS: u32 = 12;
/// Write on a pipe with no reader.
pub const SIGPIPE: u32 = 13;
/// Alarm clock.
pub const SIGALRM: u32 = 14;
/// Termination.
pub const SIGTERM: u32 = 15;
/// User signal 1.
pub const SIGUSR1: u32 = 16;
/// User signal 2.
pub const SIGUSR2: u32 = 17;
/// Child status changed (System V SIGCLD).
pub const SIGCHLD: u32 = 18;
/// Power fail.
pub const SIGPWR: u32 = 19;
/// Highest signal number accepted.
pub const MAX_SIGNAL: u32 = 31;

/// The name of a signal, for messages.
pub fn name(signal: u32) -> &'static str {
    match signal {
        SIGHUP => "SIGHUP",
        SIGINT => "SIGINT",
        SIGQUIT => "SIGQUIT",
        SIGILL => "SIGILL",
        SIGTRAP => "SIGTRAP",
        SIGABRT => "SIGABRT",
        SIGEMT => "SIGEMT",
        SIGFPE => "SIGFPE",
        SIGKILL => "SIGKILL",
        SIGBUS => "SIGBUS",
        SIGSEGV => "SIGSEGV",
        SIGSYS => "SIGSYS",
        SIGPIPE => "SIGPIPE",
        SIGALRM => "SIGALRM",
        SIGTERM => "SIGTERM",
        SIGUSR1 => "SIGUSR1",
        SIGUSR2 => "SIGUSR2",
        SIGCHLD => "SIGCHLD",
        SIGPWR => "SIGPWR",
        _ => "SIG?",
    }
}

/// What happens when a signal arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Handler {
    /// The default action.
    Default,
    /// Discarded.
    Ignore,
    /// A user handler at this parcel address.
    Catch(u32),
}

impl Handler {
    /// The handler `signal(sig, word)` installs: 0 default, 1 ignore, else a parcel address.
    pub fn from_word(word: u64) -> Handler {
        match word {
            0 => Handler::Default,
            1 => Handler::Ignore,
            p => Handler::Catch((p & 0xFF_FFFF) as u32),
        }
    }

    /// The word `signal` returns for the previous handler.
    pub fn to_word(self) -> u64 {
        match self {
            Handler::Default => 0,
            Handler::Ignore => 1,
            Handler::Catch(p) => u64::from(p),
        }
    }
}

/// True when the default action of `signal` is to ignore it.
pub fn ignored_by_default(signal: u32) -> bool {
    matches!(signal, SIGCHLD | SIGPWR)
}

/// Handlers and pending signals of one process.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signals {
    /// Installed handlers; a signal not in the map has its default action.
    pub handlers: BTreeMap<u32, Handler>,
    /// Pending signals: bit n set = signal n pending.
    pub pending: u64,
}

/// What delivering the next pending signal means for the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Nothing pending (or only ignored signals).
    None,
    /// End the process with this signal.
    Terminate(u32),
    /// Run the user handler at this parcel address for this signal.
    Catch(u32, u32),
}

impl Signals {
    /// The handler of `signal`.
    pub fn handler(&self, signal: u32) -> Handler {
        self.handlers
            .get(&signal)
            .copied()
            .unwrap_or(Handler::Default)
    }

    /// Installs a handler; returns the previous one. SIGKILL cannot be changed.
    pub fn install(&mut self, signal: u32, handler: Handler) -> Option<Handler> {
        if signal == 0 || signal > MAX_SIGNAL || signal == SIGKILL {
            return None;
        }
        let previous = self.handler(signal);
        if handler == Handler::Default {
            self.handlers.remove(&signal);
        } else {
            self.handlers.insert(signal, handler);
        }
        if handler == Handler::Ignore {
            self.pending &= !(1 << signal);
        }
        Some(previous)
    }

    /// Marks `signal` pending unless it is ignored. Returns true if it will have an
    /// effect (so a blocked process should be woken).
    pub fn post(&mut self, signal: u32) -> bool {
        let effective = match self.handler(signal) {
            Handler::Ignore => signal == SIGKILL,
            Handler::Default => !ignored_by_default(signal),
            Handler::Catch(_) => true,
        };
        if effective {
            self.pending |= 1 << signal;
        }
        effective
    }

    /// Takes the lowest pending signal and says what to do with it. SIGKILL wins over
    /// everything else.
    pub fn take(&mut self) -> Delivery {
        if self.pending & (1 << SIGKILL) != 0 {
            self.pending = 0;
            return Delivery::Terminate(SIGKILL);
        }
        while self.pending != 0 {
            let signal = self.pending.trailing_zeros();
            self.pending &= !(1 << signal);
            match self.handler(signal) {
                Handler::Ignore => continue,
                Handler::Default if ignored_by_default(signal) => continue,
                Handler::Default => return Delivery::Terminate(signal),
                Handler::Catch(parcel) => return Delivery::Catch(signal, parcel),
            }
        }
        Delivery::None
    }

    /// exece: caught signals return to their default action; ignored stay ignored.
    pub fn reset_caught(&mut self) {
        self.handlers.retain(|_, h| *h == Handler::Ignore);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_actions() {
        let mut s = Signals::default();
        assert!(!s.post(SIGCHLD));
        assert_eq!(s.take(), Delivery::None);
        assert!(s.post(SIGTERM));
        assert!(s.post(SIGINT));
        assert_eq!(s.take(), Delivery::Terminate(SIGINT));
    }

    #[test]
    fn handlers_catch_ignore_and_kill_wins() {
        let mut s = Signals::default();
        assert_eq!(
            s.install(SIGUSR1, Handler::Catch(0o40)),
            Some(Handler::Default)
        );
        assert_eq!(s.install(SIGKILL, Handler::Ignore), None);
        s.install(SIGPIPE, Handler::Ignore);
        assert!(!s.post(SIGPIPE));
        s.post(SIGUSR1);
        assert_eq!(s.take(), Delivery::Catch(SIGUSR1, 0o40));
        s.post(SIGUSR1);
        s.post(SIGKILL);
        assert_eq!(s.take(), Delivery::Terminate(SIGKILL));
        assert_eq!(s.pending, 0);
        s.reset_caught();
        assert_eq!(s.handler(SIGUSR1), Handler::Default);
        assert_eq!(s.handler(SIGPIPE), Handler::Ignore);
    }
}
