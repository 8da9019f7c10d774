//! Interactive COS jobs: LISPF4 (the corpus's `lispf4.abs`) with `$IN` on the terminal,
//! fed line by line through a pipe; checkpointed from outside while it waits for a
//! line, restarted and fed the rest; recorded with `--record` and replayed.
mod common;

use common::{cray, text};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the user types before the checkpoint: more than the 256 bytes that the
/// FORTRAN run-time library of LISPF4 asks of `$IN` at a time (its `read` fills its
/// buffer across records), so LISPF4 answers some of it, then waits inside a read.
const BEFORE: [&str; 12] = [
    "(PLUS 1 2)",
    "(SETQ L (QUOTE (A B C D)))",
    "(REVERSE L)",
    "(PUT (QUOTE FACT) (QUOTE FNCELL)",
    "  (QUOTE (LAMBDA (N) (COND ((ZEROP N) 1)",
    "    (T (TIMES N (FACT (SUB1 N)))))))))",
    "(FACT 10)",
    "(REVERSE (QUOTE (X Y Z)))",
    "(SETQ M (QUOTE (ONE TWO THREE FOUR FIVE SIX SEVEN)))",
    "(REVERSE M)",
    "(PLUS 40 2)",
    "(TIMES 6 7)",
];

/// A line typed in two pieces: the first before the checkpoint, the second after.
const SPLIT: (&str, &str) = ("(FA", "CT 12)");

/// What the user types after the restart.
const AFTER: [&str; 2] = ["(REVERSE (QUOTE (P Q)))", "(EXIT)"];

/// Longest a step may take before the test gives up (a guard against a hang, not a
/// measurement).
const PATIENCE: Duration = Duration::from_secs(300);

fn compiled(name: &str) -> PathBuf {
    isa_tests::corpus_dir().join("compiled").join(name)
}

/// A scratch directory holding LISPSYS, and the runtime directory of its sessions.
struct Place {
    dir: tempfile::TempDir,
}

impl Place {
    fn new() -> Place {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(compiled("LISPSYS"), dir.path().join("LISPSYS")).unwrap();
        std::fs::create_dir(dir.path().join("runtime")).unwrap();
        Place { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn cray(&self) -> Command {
        let mut command = cray();
        command
            .current_dir(self.dir.path())
            .env("XDG_RUNTIME_DIR", self.path("runtime"));
        command
    }

    /// `cray run` of LISPF4 with `extra` options, `$IN` unmapped.
    fn lisp(&self, extra: &[&str]) -> Command {
        let mut command = self.cray();
        command
            .arg("run")
            .args(extra)
            .args(["--dataset", "LISPSYS=LISPSYS"])
            .arg(compiled("lispf4.abs"));
        command
    }
}

/// A running session whose standard output a thread collects.
struct Typist {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl Typist {
    fn start(command: &mut Command) -> Typist {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cray starts");
        let stdin = child.stdin.take();
        let mut out = child.stdout.take().unwrap();
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let collected = Arc::clone(&stdout);
        let reader = std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = out.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                collected.lock().unwrap().extend_from_slice(&buffer[..n]);
            }
        });
        Typist {
            child,
            stdin,
            stdout,
            reader: Some(reader),
        }
    }

    /// Types `bytes` in one write.
    fn type_in(&mut self, bytes: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(bytes.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Types `lines`, each with its line end, in one write.
    fn type_lines(&mut self, lines: &[&str]) {
        let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
        self.type_in(&text);
    }

    /// Ends the input and waits for the session to end.
    fn finish(mut self) -> Output {
        drop(self.stdin.take());
        let stderr = self.child.stderr.take();
        let status = self.child.wait().unwrap();
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        let mut err = Vec::new();
        if let Some(mut stderr) = stderr {
            stderr.read_to_end(&mut err).unwrap();
        }
        let stdout = self.stdout.lock().unwrap().clone();
        Output {
            status,
            stdout,
            stderr: err,
        }
    }
}

/// `cray ps` in `place`'s runtime directory.
fn ps(place: &Place) -> String {
    let out = place
        .cray()
        .arg("ps")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// The clock periods of LISPF4's process when `cray ps` shows it blocked on the
/// terminal; none while it runs (or before the session answers).
fn waiting_at(place: &Place) -> Option<u64> {
    let rows = ps(place);
    // The column is found by its heading, so that a column added to `cray ps` (UID)
    // does not move what this reads.
    let column = rows
        .lines()
        .next()?
        .split_whitespace()
        .position(|heading| heading == "CYCLES")?;
    let row = rows.lines().find(|row| row.contains("lispf4"))?;
    let fields: Vec<&str> = row.split_whitespace().collect();
    (row.contains("blocked (Terminal)") && fields.len() > column)
        .then(|| fields[column].parse().ok())
        .flatten()
}

/// Waits until the job waits for input at a clock other than `not_at`: after input
/// was typed, the job has taken all of it (one write, so one read of the pipe) and
/// read what it could. Says what `typist`'s session printed if it ends first.
fn wait_for_a_new_wait_of(place: &Place, typist: &mut Typist, not_at: Option<u64>) -> u64 {
    let asked = Instant::now();
    loop {
        if let Some(status) = typist.child.try_wait().unwrap() {
            let mut stderr = String::new();
            if let Some(mut err) = typist.child.stderr.take() {
                let _ = err.read_to_string(&mut stderr);
            }
            panic!("the session ended ({status}) before it waited for input: {stderr}");
        }
        if let Some(cycles) = waiting_at(place).filter(|&c| Some(c) != not_at) {
            return cycles;
        }
        assert!(
            asked.elapsed() < PATIENCE,
            "never waits for input:\n{}",
            ps(place)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every line typed, in the pieces the tests type them in.
fn typed_whole() -> String {
    let mut typed: String = BEFORE.iter().map(|line| format!("{line}\n")).collect();
    typed.push_str(&format!("{}{}\n", SPLIT.0, SPLIT.1));
    for line in AFTER {
        typed.push_str(&format!("{line}\n"));
    }
    typed
}

/// The session uninterrupted: everything typed through a pipe, then its end.
fn uninterrupted(place: &Place) -> Output {
    let mut typist = Typist::start(&mut place.lisp(&[]));
    typist.type_in(&typed_whole());
    let out = typist.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    out
}

#[test]
fn a_lisp_session_checkpointed_while_it_waits_restarts_and_prints_what_it_would_have() {
    let place = Place::new();
    let whole = uninterrupted(&place);
    let shown = text(&whole.stdout);
    for answer in [" 3628800\n", " (Z Y X)\n", " (Q P)\n"] {
        assert!(shown.contains(answer), "{answer:?} in {shown}");
    }
    assert!(
        !shown.contains("EOF read"),
        "$IN is the terminal, not empty: {shown}"
    );
    assert!(
        shown.lines().all(|line| !line.ends_with(' ')),
        "records lose their trailing blanks: {shown:?}"
    );

    // The lines before, and the start of the split one, in one piece: the job reads
    // them and waits for the end of the split line, whose start the session has
    // taken and the job has not read. The image must carry it.
    let mut first = Typist::start(&mut place.lisp(&[]));
    let started = wait_for_a_new_wait_of(&place, &mut first, None);
    let mut before: String = BEFORE.iter().map(|line| format!("{line}\n")).collect();
    before.push_str(SPLIT.0);
    first.type_in(&before);
    wait_for_a_new_wait_of(&place, &mut first, Some(started));
    let image = place.path("waiting.chk");
    let checkpointed = place
        .cray()
        .args(["chkpnt", "-j", "1", "-f"])
        .arg(&image)
        .arg("-k")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        checkpointed.status.success(),
        "{}",
        text(&checkpointed.stderr)
    );
    let before = first.finish();
    assert_eq!(
        before.status.code(),
        Some(128 + 9),
        "killed: {}",
        text(&before.stderr)
    );
    assert!(
        text(&before.stdout).contains(" 3628800\n"),
        "answered before the checkpoint: {}",
        text(&before.stdout)
    );

    let mut restarted = place.cray();
    restarted.args(["restart", "-f"]).arg(&image);
    let mut second = Typist::start(&mut restarted);
    let waiting = wait_for_a_new_wait_of(&place, &mut second, None);
    second.type_in(&format!("{}\n", SPLIT.1));
    wait_for_a_new_wait_of(&place, &mut second, Some(waiting));
    second.type_lines(&AFTER);
    let after = second.finish();
    assert_eq!(after.status.code(), Some(0), "{}", text(&after.stderr));

    let mut joined = before.stdout.clone();
    joined.extend_from_slice(&after.stdout);
    assert_eq!(text(&joined), shown);
}

#[test]
fn a_lisp_session_recorded_piece_by_piece_replays_to_the_same_end() {
    let place = Place::new();
    let log = place.path("lisp.json");
    let mut typist = Typist::start(&mut place.lisp(&["--record", log.to_str().unwrap()]));
    let mut waiting = wait_for_a_new_wait_of(&place, &mut typist, None);
    for piece in [&BEFORE[..6], &BEFORE[6..], &AFTER[..]] {
        typist.type_lines(piece);
        waiting = wait_for_a_new_wait_of(&place, &mut typist, Some(waiting));
    }
    let recorded = typist.finish();
    assert_eq!(
        recorded.status.code(),
        Some(0),
        "{}",
        text(&recorded.stderr)
    );
    let replayed = replay(&log, place.dir.path());
    assert_eq!(
        replayed.status.code(),
        Some(0),
        "{}",
        text(&replayed.stderr)
    );
    assert_eq!(text(&replayed.stdout), text(&recorded.stdout));
    assert!(
        text(&replayed.stdout).contains(" 3628800\n"),
        "{}",
        text(&replayed.stdout)
    );
}

fn replay(log: &Path, dir: &Path) -> Output {
    cray()
        .arg("replay")
        .arg(log)
        .current_dir(dir)
        .env("XDG_RUNTIME_DIR", dir.join("runtime"))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}
