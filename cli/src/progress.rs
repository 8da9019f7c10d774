//! The progress display of `cray run` and `cray restart`: one line on standard error
//! with the machine's clock periods, the emulated time, the host's speed in MIPS, the
//! checkpoints written and the last of them (`cray ps` shows the same figures).
//!
//! On a terminal it is a line that indicatif redraws in place, and the job's own
//! output never lands in it: every write of the guest's console takes the line away
//! first (a [`WriteGuard`]), and the next figures draw it again, unless the job's
//! last write left a line open (a prompt): the display waits for its end, so as not
//! to draw over it or clear it. Elsewhere (`--progress` with
//! standard error redirected) it is a plain line at most once a second, and one at the
//! end. MIPS is measured with the host's clock, here only: nothing of it reaches the
//! guest, whose time is its clock periods.

use crate::output::errln;
use cray_emulator::system::WriteGuard;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longest a plain progress line waits for the next.
const LINE_EVERY: Duration = Duration::from_secs(1);

/// How often the terminal line is redrawn at most.
const REDRAWS_PER_SECOND: u8 = 10;

/// What the display shows of a session (and `cray ps` asks of it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// The machine's clock periods.
    pub clock: u64,
    /// The clock periods as seconds of the emulated machine.
    pub emulated_seconds: f64,
    /// Millions of instructions issued per host second of running (not of waiting
    /// for input): a host figure.
    pub mips: f64,
    /// Checkpoints the session has written.
    pub checkpoints: usize,
    /// The last of them and the clock period it was taken at.
    pub last_checkpoint: Option<(String, u64)>,
}

impl Figures {
    /// The figures as one line.
    pub fn describe(&self) -> String {
        let last = match &self.last_checkpoint {
            Some((file, clock)) => format!(", last {file} at {clock}"),
            None => String::new(),
        };
        format!(
            "{} clock periods, {:.6} s emulated, {:.1} MIPS, {} checkpoint{}{last}",
            self.clock,
            self.emulated_seconds,
            self.mips,
            self.checkpoints,
            if self.checkpoints == 1 { "" } else { "s" }
        )
    }
}

/// Whether to show progress: `--quiet` never, `--progress` always, otherwise when
/// standard error is a terminal.
pub fn wanted(progress: bool, quiet: bool) -> bool {
    !quiet && (progress || std::io::stderr().is_terminal())
}

/// The terminal line and what the guard and the display share of it.
#[derive(Default)]
pub struct Terminal {
    /// The line, while it is drawn.
    bar: Option<ProgressBar>,
    /// The job's last write did not end its line.
    line_open: bool,
}

impl Terminal {
    /// The line, drawn anew when it was taken away.
    fn bar(&mut self) -> &ProgressBar {
        self.bar.get_or_insert_with(|| {
            let target = ProgressDrawTarget::stderr_with_hz(REDRAWS_PER_SECOND);
            let bar = ProgressBar::with_draw_target(None, target);
            // The template is constant and valid; the default shows the message too.
            let style = ProgressStyle::with_template("cray: {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar
        })
    }

    /// Takes the line off the terminal.
    fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// The shared terminal line, however a panic elsewhere left its lock.
fn lock(terminal: &Mutex<Terminal>) -> std::sync::MutexGuard<'_, Terminal> {
    terminal.lock().unwrap_or_else(|e| e.into_inner())
}

/// The display of one session.
pub enum Progress {
    /// A line redrawn in place on the terminal.
    Bar(Arc<Mutex<Terminal>>),
    /// Plain lines on standard error, the last written at `last`.
    Lines {
        /// When the last line was written (none yet: the first comes at once).
        last: Option<Instant>,
    },
}

impl Progress {
    /// The display for standard error as it is: a redrawn line on a terminal, plain
    /// lines elsewhere.
    pub fn new() -> Progress {
        if std::io::stderr().is_terminal() {
            Progress::Bar(Arc::default())
        } else {
            Progress::Lines { last: None }
        }
    }

    /// What the guest's console wraps each write in: the terminal line is taken away
    /// before the guest writes. None for plain lines, which are written between
    /// slices of the job only.
    pub fn guard(&self) -> Option<WriteGuard> {
        match self {
            Progress::Bar(terminal) => {
                let terminal = Arc::clone(terminal);
                Some(WriteGuard(Arc::new(
                    move |bytes: &[u8], write: &mut dyn FnMut()| {
                        let mut terminal = lock(&terminal);
                        terminal.clear();
                        write();
                        if let Some(&last) = bytes.last() {
                            terminal.line_open = last != b'\n';
                        }
                    },
                )))
            }
            Progress::Lines { .. } => None,
        }
    }

    /// Shows `figures` (plain lines: when a second has passed since the last; the
    /// terminal line: unless the job left a line open).
    pub fn show(&mut self, figures: &Figures) {
        match self {
            Progress::Bar(terminal) => {
                let mut terminal = lock(terminal);
                if !terminal.line_open {
                    terminal.bar().set_message(figures.describe());
                }
            }
            Progress::Lines { last } => {
                if last.is_none_or(|at| at.elapsed() >= LINE_EVERY) {
                    errln!("cray: progress: {}", figures.describe());
                    *last = Some(Instant::now());
                }
            }
        }
    }

    /// The session ended: the terminal line goes, a plain line says where it ended.
    pub fn finish(&mut self, figures: &Figures) {
        match self {
            Progress::Bar(terminal) => lock(terminal).clear(),
            Progress::Lines { .. } => errln!("cray: progress: {}", figures.describe()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_every_figure() {
        let mut figures = Figures {
            clock: 1_234_567,
            emulated_seconds: 0.011_728_386_5,
            mips: 51.26,
            checkpoints: 0,
            last_checkpoint: None,
        };
        assert_eq!(
            figures.describe(),
            "1234567 clock periods, 0.011728 s emulated, 51.3 MIPS, 0 checkpoints"
        );
        figures.checkpoints = 1;
        figures.last_checkpoint = Some(("ck/1-000001000000.chk".into(), 1_000_000));
        assert_eq!(
            figures.describe(),
            "1234567 clock periods, 0.011728 s emulated, 51.3 MIPS, 1 checkpoint, last ck/1-000001000000.chk at 1000000"
        );
    }
}
