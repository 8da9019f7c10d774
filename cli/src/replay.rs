//! Replay logs: `cray run --record LOG` writes down the one thing a run takes from
//! outside that the machine does not decide itself, its terminal input, with the clock
//! period at which each piece reached the job, and how the run ended; `cray replay LOG`
//! runs the same command again, gives the job the same input at the same clock
//! periods, and checks that it ends in the same state.
//!
//! The guest's time of day is the machine clock plus `--epoch`, and the scheduler is
//! deterministic, so the input is all there is to record. When it arrives does matter:
//! the host's input reaches the job when the job asks for it, or later, when nothing
//! else can run, depending on how fast the host supplied it; and a read returns what
//! has arrived, so how the bytes were split matters too. The log keeps both.
//!
//! The log is JSON, so that a test can also be written by hand:
//!
//! ```json
//! { "format": "cray replay log 1",
//!   "command": ["run", "images/cat.cal"],
//!   "input": [ { "clock": 4211, "text": "hello\n" },
//!              { "clock": 9377, "bytes": [255, 0] },
//!              { "clock": 9981, "end": true } ],
//!   "end": { "cycles": 10532, "instructions": 4120, "exit_status": 0,
//!            "state_hash": "0d1f...",
//!            "stdout": { "bytes": 24, "xxh3": "9a0c..." },
//!            "stderr": { "bytes": 0, "xxh3": "2d06800538d394c2" } } }
//! ```
//!
//! Format 2 adds what lets a replay say where it left the recorded run: each input
//! record carries the state hash just before its delivery (`state`) and a digest of
//! its clock period and bytes (`digest`), and `checks` holds the state hash every
//! `interval` clock periods (see [`Check`]). Logs of format 1 still replay, checked
//! only at their end.

use crate::input::Reply;
use crate::CliError;
use cray_emulator::system::OutputDigest;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// The `format` of the logs this version writes.
pub const FORMAT: &str = "cray replay log 2";

/// The format before checks and input digests, still read.
const FORMAT_1: &str = "cray replay log 1";

/// One delivery of terminal input to the job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InputRecord {
    /// Bytes that are UTF-8 text.
    Text {
        /// Machine clock period of the delivery.
        clock: u64,
        /// The bytes.
        text: String,
    },
    /// Bytes that are not.
    Bytes {
        /// Machine clock period of the delivery.
        clock: u64,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// The end of the input (later reads see end of file).
    End {
        /// Machine clock period of the delivery.
        clock: u64,
        /// Always true.
        end: bool,
    },
}

impl InputRecord {
    /// The record of `reply` delivered at `clock` (an empty reply or an error is the
    /// end of the input, as the session takes it).
    pub fn of(clock: u64, reply: &Reply) -> InputRecord {
        match reply {
            Ok(bytes) if !bytes.is_empty() => match String::from_utf8(bytes.clone()) {
                Ok(text) => InputRecord::Text { clock, text },
                Err(_) => InputRecord::Bytes {
                    clock,
                    bytes: bytes.clone(),
                },
            },
            _ => InputRecord::End { clock, end: true },
        }
    }

    /// The clock period of the delivery.
    pub fn clock(&self) -> u64 {
        match self {
            InputRecord::Text { clock, .. }
            | InputRecord::Bytes { clock, .. }
            | InputRecord::End { clock, .. } => *clock,
        }
    }

    /// A digest of the record's clock period, kind and bytes: what an edit of any of
    /// them changes.
    pub fn digest(&self) -> u64 {
        let (kind, bytes): (u8, &[u8]) = match self {
            InputRecord::Text { text, .. } => (0, text.as_bytes()),
            InputRecord::Bytes { bytes, .. } => (1, bytes),
            InputRecord::End { .. } => (2, &[]),
        };
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(&self.clock().to_le_bytes());
        hasher.update(&[kind]);
        hasher.update(bytes);
        hasher.digest()
    }

    /// The delivery as a reply of the host's input (empty: end of input).
    pub fn reply(&self) -> Reply {
        Ok(match self {
            InputRecord::Text { text, .. } => text.clone().into_bytes(),
            InputRecord::Bytes { bytes, .. } => bytes.clone(),
            InputRecord::End { .. } => Vec::new(),
        })
    }
}

/// A delivery of input as the log keeps it: the record, and with format 2 what a
/// replay checks it by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// What was delivered, and when.
    #[serde(flatten)]
    pub record: InputRecord,
    /// The state hash just before the delivery, in hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// [`InputRecord::digest`] in hex: an edited record no longer matches it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

impl Delivery {
    /// `record`, delivered when the state hash was `state`.
    pub fn of(record: InputRecord, state: u64) -> Delivery {
        Delivery {
            digest: Some(hex(record.digest())),
            state: Some(hex(state)),
            record,
        }
    }

    /// Whether the record is as it was written (a format 1 record has no digest).
    pub fn is_intact(&self) -> bool {
        self.digest
            .as_ref()
            .is_none_or(|digest| *digest == hex(self.record.digest()))
    }
}

/// The state hash of the run at one point: where the machine stood after the first
/// instruction that reached clock period `at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// The clock period the run was stopped at (it stops after the instruction that
    /// reaches it).
    pub at: u64,
    /// The clock period it stopped at.
    pub clock: u64,
    /// Instructions issued by then.
    pub instructions: u64,
    /// [`cray_emulator::System::state_hash`] then, in hex.
    pub hash: String,
}

/// A 64-bit value as the log writes it.
pub fn hex(value: u64) -> String {
    format!("{value:016x}")
}

/// How the recorded run ended: what a replay must reproduce.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndFigures {
    /// Machine clock periods.
    pub cycles: u64,
    /// Instructions issued.
    pub instructions: u64,
    /// The job's exit status; none when the runner stopped it (`--stop-at`, SIGTERM).
    pub exit_status: Option<i32>,
    /// The state hash at the end, in hex.
    pub state_hash: String,
    /// What the job wrote to standard output.
    pub stdout: StreamFigures,
    /// What the job (and the kernel) wrote to standard error.
    pub stderr: StreamFigures,
}

/// The length and checksum of what went to one console stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamFigures {
    /// Bytes written.
    pub bytes: u64,
    /// Their xxh3-64, in hex.
    pub xxh3: String,
}

impl StreamFigures {
    /// The figures of `digest`.
    pub fn of(digest: &OutputDigest) -> StreamFigures {
        StreamFigures {
            bytes: digest.len(),
            xxh3: format!("{:016x}", digest.digest()),
        }
    }
}

/// A replay log.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReplayLog {
    /// [`FORMAT`].
    pub format: String,
    /// The arguments of `cray` that ran the job (`run` first).
    pub command: Vec<String>,
    /// Clock periods between two checks at the end of the recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<u64>,
    /// Every delivery of terminal input, in order.
    pub input: Vec<Delivery>,
    /// The state hash at points of the run, in order of clock period.
    #[serde(default)]
    pub checks: Vec<Check>,
    /// How the run ended.
    pub end: EndFigures,
}

/// Longest replay log read: far more than the JSON of any input a terminal gave.
const MAX_LOG_BYTES: u64 = 1 << 30;

impl ReplayLog {
    /// Reads and checks the log at `path`.
    pub fn read(path: &Path) -> Result<ReplayLog, CliError> {
        let text = crate::files::read_text(path, MAX_LOG_BYTES, "a replay log")?;
        let log: ReplayLog = serde_json::from_str(&text)
            .map_err(|e| CliError::invalid(path, format!("not a replay log: {e}")))?;
        if log.format != FORMAT && log.format != FORMAT_1 {
            return Err(CliError::invalid(
                path,
                format!(
                    "replay log format {:?}; this cray reads {FORMAT:?}",
                    log.format
                ),
            ));
        }
        if log.command.first().map(String::as_str) != Some("run") {
            return Err(CliError::invalid(
                path,
                "the recorded command is not a `cray run`".to_string(),
            ));
        }
        if let Some(pair) = log
            .input
            .windows(2)
            .find(|w| w[1].record.clock() < w[0].record.clock())
        {
            return Err(CliError::invalid(
                path,
                format!(
                    "input at clock period {} is listed after input at {}",
                    pair[1].record.clock(),
                    pair[0].record.clock()
                ),
            ));
        }
        if let Some(pair) = log.checks.windows(2).find(|w| w[1].at <= w[0].at) {
            return Err(CliError::invalid(
                path,
                format!(
                    "the check at clock period {} is listed after the one at {}",
                    pair[1].at, pair[0].at
                ),
            ));
        }
        if let Some(check) = log.checks.iter().find(|c| c.clock < c.at) {
            return Err(CliError::invalid(
                path,
                format!(
                    "the check at clock period {} says the run stopped before it, at {}",
                    check.at, check.clock
                ),
            ));
        }
        Ok(log)
    }

    /// Writes the log to `path`, atomically like an image.
    pub fn write(&self, path: &Path) -> Result<(), CliError> {
        crate::json_file::write(path, self)
    }

    /// The differences between the recorded end and `figures`, one per line; empty
    /// when the replay ended as the recorded run did. The output is compared only
    /// with `streams` (a replay from an image wrote only what came after it).
    pub fn differences(&self, figures: &EndFigures, streams: bool) -> Vec<String> {
        let stream = |s: &StreamFigures| format!("{} bytes, xxh3 {}", s.bytes, s.xxh3);
        let compared = |end: &EndFigures| {
            [
                ("clock periods", end.cycles.to_string()),
                ("instructions", end.instructions.to_string()),
                ("exit status", format!("{:?}", end.exit_status)),
                ("state hash", end.state_hash.clone()),
                ("standard output of", stream(&end.stdout)),
                ("standard error of", stream(&end.stderr)),
            ]
        };
        compared(figures)
            .into_iter()
            .zip(compared(&self.end))
            .filter(|((what, _), _)| streams || !what.starts_with("standard"))
            .filter(|((_, now), (_, then))| now != then)
            .map(|((what, now), (_, then))| format!("{what} {now} (recorded {then})"))
            .collect()
    }
}

/// Gives a job the recorded input at the recorded clock periods.
#[derive(Debug)]
pub struct Player {
    /// The log's file, for messages.
    source: PathBuf,
    input: VecDeque<Delivery>,
    /// The clock period at which the job last asked in vain: asking again at the same
    /// period means that nothing else can run, so the input it waits for never comes.
    asked_in_vain_at: Option<u64>,
}

impl Player {
    /// Plays the input of `log`, read from `source`.
    pub fn new(log: &ReplayLog, source: &Path) -> Player {
        Player {
            source: source.to_path_buf(),
            input: log.input.iter().cloned().collect(),
            asked_in_vain_at: None,
        }
    }

    /// Leaves out the input delivered before clock period `clock` (a replay that
    /// starts from an image taken then: the job had it already).
    pub fn skip_before(&mut self, clock: u64) {
        while self
            .input
            .front()
            .is_some_and(|next| next.record.clock() < clock)
        {
            self.input.pop_front();
        }
    }

    /// The log's file.
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// The job asks for input at `clock`: the delivery recorded at this clock period,
    /// `None` when the next one is later (the job runs on without), or an error when
    /// the job has left the recorded run.
    pub fn deliver(&mut self, clock: u64) -> Result<Option<Delivery>, String> {
        let Some(next) = self.input.front() else {
            return Err(format!(
                "the job asks for input at clock period {clock}, and the log has no more"
            ));
        };
        let due = next.record.clock();
        if due == clock {
            self.asked_in_vain_at = None;
            return Ok(self.input.pop_front());
        }
        if due < clock {
            return Err(format!(
                "the log gives input at clock period {due}, but the job did not ask for any then (it asks at {clock})"
            ));
        }
        if self.asked_in_vain_at == Some(clock) {
            return Err(format!(
                "the job waits for input at clock period {clock} with nothing else to run, and the log's next input is at {due}"
            ));
        }
        self.asked_in_vain_at = Some(clock);
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(input: Vec<InputRecord>) -> ReplayLog {
        ReplayLog {
            format: FORMAT.into(),
            command: vec!["run".into(), "x.cal".into()],
            interval: None,
            input: input.into_iter().map(|r| Delivery::of(r, 7)).collect(),
            checks: Vec::new(),
            end: EndFigures {
                cycles: 1,
                instructions: 1,
                exit_status: Some(0),
                state_hash: "0".into(),
                stdout: StreamFigures::of(&OutputDigest::default()),
                stderr: StreamFigures::of(&OutputDigest::default()),
            },
        }
    }

    fn check(at: u64, clock: u64) -> Check {
        Check {
            at,
            clock,
            instructions: 1,
            hash: hex(1),
        }
    }

    #[test]
    fn an_edit_of_a_record_breaks_its_digest_and_the_digest_survives_json() {
        let delivery = Delivery::of(InputRecord::of(40, &Ok(b"hello\n".to_vec())), 9);
        assert!(delivery.is_intact());
        let json = serde_json::to_string(&delivery).unwrap();
        assert!(
            json.starts_with(
                r#"{"clock":40,"text":"hello\n","state":"0000000000000009","digest":""#
            ),
            "{json}"
        );
        let back: Delivery = serde_json::from_str(&json).unwrap();
        assert_eq!(back, delivery);
        for edited in [json.replace("hello", "hellp"), json.replace("40", "41")] {
            let edited: Delivery = serde_json::from_str(&edited).unwrap();
            assert!(!edited.is_intact(), "{edited:?}");
        }
        // A record of format 1 has no digest to break.
        let old: Delivery = serde_json::from_str(r#"{"clock":3,"end":true}"#).unwrap();
        assert!(old.is_intact() && old.state.is_none());
    }

    #[test]
    fn records_keep_text_bytes_and_the_end_apart_through_json() {
        let records = vec![
            InputRecord::of(5, &Ok(b"hello\n".to_vec())),
            InputRecord::of(9, &Ok(vec![0xFF, 0])),
            InputRecord::of(12, &Ok(Vec::new())),
            InputRecord::of(13, &Err(std::io::Error::other("gone"))),
        ];
        let json = serde_json::to_string(&records).unwrap();
        assert_eq!(
            json,
            r#"[{"clock":5,"text":"hello\n"},{"clock":9,"bytes":[255,0]},{"clock":12,"end":true},{"clock":13,"end":true}]"#
        );
        let back: Vec<InputRecord> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, records);
        assert_eq!(back[1].reply().unwrap(), vec![0xFF, 0]);
        assert!(back[2].reply().unwrap().is_empty());
    }

    #[test]
    fn input_is_given_at_its_clock_period_and_nowhere_else() {
        let text = |clock, text: &str| InputRecord::Text {
            clock,
            text: text.into(),
        };
        let mut player = Player::new(&log(vec![text(10, "a"), text(20, "b")]), Path::new("l"));
        let reply = |d: Option<Delivery>| d.unwrap().record.reply().unwrap();
        assert_eq!(reply(player.deliver(10).unwrap()), b"a");
        // Asked early, while other processes run: nothing yet, and no error.
        assert!(player.deliver(15).unwrap().is_none());
        assert_eq!(reply(player.deliver(20).unwrap()), b"b");
        let e = player.deliver(30).unwrap_err();
        assert!(e.contains("no more"), "{e}");

        let mut player = Player::new(&log(vec![text(10, "a")]), Path::new("l"));
        let e = player.deliver(11).unwrap_err();
        assert!(e.contains("did not ask for any then"), "{e}");

        let mut player = Player::new(&log(vec![text(10, "a")]), Path::new("l"));
        assert!(player.deliver(4).unwrap().is_none());
        let e = player.deliver(4).unwrap_err();
        assert!(e.contains("nothing else to run"), "{e}");
    }

    #[test]
    fn a_log_must_be_ordered_and_of_this_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.json");
        let mut bad = log(vec![
            InputRecord::End {
                clock: 9,
                end: true,
            },
            InputRecord::End {
                clock: 3,
                end: true,
            },
        ]);
        bad.write(&path).unwrap();
        let e = ReplayLog::read(&path).unwrap_err().to_string();
        assert!(
            e.contains("log.json") && e.contains("clock period 3"),
            "{e}"
        );
        bad.input.clear();
        bad.checks = vec![check(10, 12), check(10, 14)];
        bad.write(&path).unwrap();
        let e = ReplayLog::read(&path).unwrap_err().to_string();
        assert!(e.contains("check at clock period 10"), "{e}");
        bad.checks = vec![check(10, 9)];
        bad.write(&path).unwrap();
        let e = ReplayLog::read(&path).unwrap_err().to_string();
        assert!(e.contains("stopped before it, at 9"), "{e}");
        bad.checks.clear();
        bad.format = "cray replay log 9".into();
        bad.write(&path).unwrap();
        let e = ReplayLog::read(&path).unwrap_err().to_string();
        assert!(e.contains("format"), "{e}");
        bad.format = FORMAT.into();
        bad.write(&path).unwrap();
        assert_eq!(ReplayLog::read(&path).unwrap().command[0], "run");
    }
}
