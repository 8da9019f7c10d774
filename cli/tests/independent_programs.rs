//! Checkpoint and restart of multi-process programs written for these tests alone,
//! against INTERFACE.md and not after the sample programs (`cli/tests/independent/`):
//! a pipe fanned in from four children, a host file written, sought and read back with
//! a child sharing its offset, signals between vector loops, a job that checkpoints
//! itself, a parent that checkpoints its children one by one (and a file of its own
//! beside them), children that exece another program, and a filter of its standard
//! input. Each is stopped at many clock periods and restarted, and must end exactly as
//! an uninterrupted run: output, exit status, clock periods, state hash and the files
//! it leaves. Images are then damaged byte by byte and must be refused with the file
//! and the place named.

mod common;

use common::{cray, text};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn program(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/independent")
        .join(format!("{name}.cal"))
}

/// Runs `command`, killing it and failing the test if it takes longer than a hang.
fn finish(command: &mut Command) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cray starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    // Pipes are drained by other threads so a chatty child cannot block on them.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reading_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut v).map(|_| v)
    });
    let reading_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut v).map(|_| v)
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} hangs");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    Output {
        status,
        stdout: reading_out.join().unwrap().unwrap(),
        stderr: reading_err.join().unwrap().unwrap(),
    }
}

/// How a run ended, as far as anyone outside can see.
#[derive(Debug, PartialEq)]
struct End {
    stdout: String,
    code: Option<i32>,
    cycles: u64,
    state_hash: String,
    /// What the program left in its root (name, contents).
    files: BTreeMap<String, Vec<u8>>,
}

/// A directory with an empty `root` in it; images and figures go beside the root.
struct Place {
    dir: tempfile::TempDir,
}

impl Place {
    fn new() -> Place {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("root")).unwrap();
        Place { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn files(&self) -> BTreeMap<String, Vec<u8>> {
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(self.root()).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            // Images a program writes of itself differ in when they were made.
            if !name.ends_with(".chk") {
                files.insert(name, std::fs::read(&path).unwrap());
            }
        }
        files
    }

    /// `cray VERB --root ROOT --stats-json STATS.json ARGS...`; the output and figures.
    fn cray(&self, verb: &str, stats: &str, args: &[&str]) -> (Output, Option<Value>) {
        self.cray_reading(None, verb, stats, args)
    }

    /// As [`Place::cray`], with standard input from `input` (empty without).
    fn cray_reading(
        &self,
        input: Option<&std::fs::File>,
        verb: &str,
        stats: &str,
        args: &[&str],
    ) -> (Output, Option<Value>) {
        let json = self.file(&format!("{stats}.json"));
        let stdin = match input {
            Some(file) => Stdio::from(file.try_clone().unwrap()),
            None => Stdio::null(),
        };
        let out = finish(
            cray()
                .stdin(stdin)
                .arg(verb)
                .arg("--root")
                .arg(self.root())
                .arg("--stats-json")
                .arg(&json)
                .args(args),
        );
        assert!(
            out.status.code() != Some(101) && !text(&out.stderr).contains("panicked"),
            "cray {verb} {args:?} panicked: {}",
            text(&out.stderr)
        );
        let figures = std::fs::read_to_string(&json)
            .ok()
            .map(|s| serde_json::from_str(&s).expect("stats JSON"));
        (out, figures)
    }

    fn end(&self, stdout: Vec<u8>, out: &Output, figures: &Value) -> End {
        End {
            stdout: text(&stdout),
            code: out.status.code(),
            cycles: figures["cycles"].as_u64().unwrap(),
            state_hash: figures["state_hash"].as_str().unwrap().to_string(),
            files: self.files(),
        }
    }
}

/// A fresh place for `name`, its root holding what the program needs.
fn prepared(name: &str) -> Place {
    let place = Place::new();
    if name == "execs" {
        let argv = place.root().join("argv.out");
        let out = finish(
            cray()
                .arg("asm")
                .arg(program("argv"))
                .arg("-o")
                .arg(&argv)
                .stdin(Stdio::null()),
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    place
}

/// Runs `name` uninterrupted in a fresh root.
fn uninterrupted(name: &str, extra: &[&str]) -> End {
    let place = prepared(name);
    let path = program(name);
    let mut args = extra.to_vec();
    args.push(path.to_str().unwrap());
    let (out, figures) = place.cray("run", "full", &args);
    assert!(
        out.status.code().is_some_and(|c| c != 2),
        "{name}: {}",
        text(&out.stderr)
    );
    place.end(out.stdout.clone(), &out, &figures.expect("figures"))
}

/// Runs `name` in a fresh root, stopping it at each of `stops` in turn (each leg a
/// restart of the image the one before wrote) and then to its end; `None` when the
/// job ended before one of the stops. `prepare` runs between legs on the root.
fn interrupted(name: &str, stops: &[u64], extra: &[&str], prepare: &dyn Fn(&Path)) -> Option<End> {
    let place = prepared(name);
    let path = program(name);
    let mut stdout = Vec::new();
    let mut image: Option<PathBuf> = None;
    for (leg, stop) in stops.iter().enumerate() {
        let chk = place.file(&format!("leg{leg}.chk"));
        let stop = stop.to_string();
        let mut args = vec!["--stop-at", &stop, "--checkpoint", chk.to_str().unwrap()];
        args.extend_from_slice(extra);
        let (out, _) = match &image {
            None => {
                args.push(path.to_str().unwrap());
                place.cray("run", "leg", &args)
            }
            Some(previous) => {
                args.extend(["-f", previous.to_str().unwrap()]);
                place.cray("restart", "leg", &args)
            }
        };
        stdout.extend_from_slice(&out.stdout);
        if !chk.exists() {
            return None;
        }
        assert_eq!(
            out.status.code(),
            Some(common::STOPPED),
            "{name} stopped at {stop}: {}",
            text(&out.stderr)
        );
        prepare(&place.root());
        image = Some(chk);
    }
    let image = image.expect("at least one stop");
    let (out, figures) = place.cray("restart", "last", &["-f", image.to_str().unwrap()]);
    stdout.extend_from_slice(&out.stdout);
    let Some(figures) = figures else {
        panic!(
            "{name} restarted after {stops:?}: no figures: {}",
            text(&out.stderr)
        )
    };
    Some(place.end(stdout, &out, &figures))
}

/// `count` clock periods spread over a run of `total` (not round numbers, so they
/// fall anywhere in an instruction, a system call or a time slice), with the first
/// one and one close to the end.
fn stops(total: u64, count: u64) -> Vec<u64> {
    let mut at: Vec<u64> = (1..=count)
        .map(|i| total * i / (count + 1) + 7 * i)
        .collect();
    at.push(1);
    at.push(total.saturating_sub(300));
    at.sort_unstable();
    at.dedup();
    at
}

/// Runs `cases` on two threads (CI has two cores).
fn in_parallel<T: Sync>(cases: &[T], check: impl Fn(&T) + Sync) {
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                check(case);
            });
        }
    });
}

#[test]
fn each_program_does_what_its_header_says() {
    let fanin = uninterrupted("fanin", &[]);
    assert_eq!(fanin.code, Some(3));
    let mut lines: Vec<&str> = fanin.stdout.lines().collect();
    let tail = lines.split_off(18);
    // Child i writes i + 2 lines, in an order the scheduler decides; the values are
    // those of a xorshift64 (13, 7, 17) started at i + 2654435, 300 i steps a line.
    lines.sort_unstable();
    assert_eq!(lines[0], "child 1 line 1 value 88284");
    assert_eq!(lines[17], "child 4 line 6 value 794776");
    assert_eq!(
        tail,
        [
            "reaped child 1 status 67 signal 0",
            "reaped child 2 status 127 signal 0",
            "reaped child 3 status 187 signal 0",
            "reaped child 4 status 0 signal 15",
            "parent read 500 bytes",
        ]
    );

    let filerw = uninterrupted("filerw", &[]);
    assert_eq!(filerw.code, Some(250));
    let records: String = (0..12)
        .map(|k| format!("record {k} square {}\n", k * k))
        .collect();
    let expected = format!(
        "offset after records 228\nat 7: [0 square 0\nrecord 1 squa]\n 11 square 121\n\
         offset after child 250 child status 1280\n{records}appended by the child\n\
         size by lseek 250 by reading 250\nunlink errno 0, reopen errno 2\n"
    );
    assert_eq!(filerw.stdout, expected);
    let squares: Vec<u8> = (0u64..12).flat_map(|k| (k * k).to_be_bytes()).collect();
    assert_eq!(filerw.files.keys().collect::<Vec<_>>(), ["keep.dat"]);
    assert_eq!(filerw.files["keep.dat"], squares);

    let sigvec = uninterrupted("sigvec", &[]);
    assert_eq!(sigvec.code, Some(0));
    assert_eq!(sigvec.stdout.matches("tick\n").count(), 10);
    assert!(sigvec.stdout.contains("vector child checksum 962529683\n"));
    assert!(sigvec.stdout.contains(" vector child status 4864\n"));
    assert!(sigvec.stdout.contains("\nspinner status 9\n"));
    // 40 + the SIGUSR1s counted: inherited from the parent and the two sent to it.
    assert!(sigvec.stdout.contains("\nstubborn status 4"));

    let execs = uninterrupted("execs", &[]);
    assert_eq!(execs.code, Some(0));
    assert_eq!(execs.stdout.matches("argv\nchild\n").count(), 3);
    for i in 1..=3 {
        assert!(execs.stdout.contains(&format!("child\n{i}\n")));
    }
    assert_eq!(execs.stdout.matches("status 3\n").count(), 3);

    let selfjob = uninterrupted("selfjob", &[]);
    assert_eq!(selfjob.code, Some(20));
    assert!(selfjob.stdout.starts_with("chkpnt errno 0 side 0\n"));
    assert!(selfjob
        .stdout
        .ends_with("child line 5 value 6118617\nchild status 7\n"));
}

#[test]
fn stopped_anywhere_and_restarted_each_program_ends_as_if_never_stopped() {
    let references: BTreeMap<&str, End> = ["fanin", "filerw", "sigvec", "selfjob", "execs"]
        .into_iter()
        .map(|name| (name, uninterrupted(name, &[])))
        .collect();
    let mut cases = Vec::new();
    for (&name, full) in &references {
        for at in stops(full.cycles, 14) {
            cases.push((name, at, full.cycles));
        }
    }
    in_parallel(&cases, |&(name, at, total)| {
        let restarted = interrupted(name, &[at], &[], &|_| {})
            .unwrap_or_else(|| panic!("{name} ended before clock period {at} of {total}"));
        assert_eq!(restarted, references[name], "{name} stopped at {at}");
    });
}

#[test]
fn a_chain_of_checkpoints_ends_as_one_run() {
    let chains: [(&str, &[u64]); 4] = [
        ("fanin", &[1, 2, 50_001, 50_002, 333_333]),
        ("sigvec", &[9_999, 10_000, 41_234, 70_007]),
        ("filerw", &[3, 20_202, 20_203, 51_000]),
        ("selfjob", &[100, 60_000, 117_000]),
    ];
    in_parallel(&chains, |&(name, stops)| {
        let full = uninterrupted(name, &[]);
        let restarted = interrupted(name, stops, &[], &|_| {}).expect("every stop reached");
        assert_eq!(restarted, full, "{name} stopped at {stops:?}");
    });
}

#[test]
fn images_with_files_recreate_what_the_program_wrote() {
    // scratch.dat is open from the first system call to the unlink near the end;
    // removing it (or writing rubbish in it) between stop and restart must not matter.
    let full = uninterrupted("filerw", &[]);
    let spoil = |root: &Path| {
        let scratch = root.join("scratch.dat");
        if scratch.exists() {
            std::fs::write(scratch, "rubbish").unwrap();
        }
        let _ = std::fs::remove_file(root.join("keep.dat"));
    };
    let at: Vec<u64> = stops(full.cycles, 8);
    in_parallel(&at, |&at| {
        let restarted = interrupted("filerw", &[at], &["--checkpoint-with-files"], &spoil)
            .expect("stop reached");
        assert_eq!(restarted, full, "filerw stopped at {at} with its files");
    });
}

#[test]
fn a_job_restarted_from_its_own_image_is_on_the_other_side_and_checkpoints_again() {
    let place = Place::new();
    let (out, _) = place.cray("run", "run", &[program("selfjob").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(20), "{}", text(&out.stderr));
    let own = place.file("own.chk");
    std::fs::rename(place.root().join("selfjob.chk"), &own).unwrap();
    let own = own.to_str().unwrap();
    let (first, figures) = place.cray("restart", "first", &["-f", own]);
    assert_eq!(first.status.code(), Some(21), "{}", text(&first.stderr));
    let stdout = text(&first.stdout);
    assert!(stdout.starts_with("chkpnt errno 0 side 1\n"), "{stdout}");
    assert!(stdout.ends_with("child status 7\n"), "{stdout}");
    let whole = figures.unwrap();
    let taken =
        serde_json::from_slice::<Value>(&finish(cray().args(["inspect", "--json", own])).stdout)
            .unwrap()["cycle"]
            .as_u64()
            .unwrap();
    // The restarted job stopped again part way, and restarted from that image.
    let total = whole["cycles"].as_u64().unwrap();
    for at in [taken + 1, (taken + total) / 2 + 3, total - 500] {
        let chk = place.file(&format!("again{at}.chk"));
        let at_text = at.to_string();
        let (leg1, _) = place.cray(
            "restart",
            "leg1",
            &[
                "-f",
                own,
                "--stop-at",
                &at_text,
                "--checkpoint",
                chk.to_str().unwrap(),
            ],
        );
        assert_eq!(
            leg1.status.code(),
            Some(common::STOPPED),
            "{}",
            text(&leg1.stderr)
        );
        let (leg2, again) = place.cray("restart", "leg2", &["-f", chk.to_str().unwrap()]);
        assert_eq!(leg2.status.code(), Some(21), "at {at}");
        let mut both = leg1.stdout.clone();
        both.extend_from_slice(&leg2.stdout);
        assert_eq!(text(&both), stdout, "at {at}");
        let again = again.unwrap();
        assert_eq!(again["cycles"], whole["cycles"], "at {at}");
        assert_eq!(again["state_hash"], whole["state_hash"], "at {at}");
    }
}

#[test]
fn a_process_restarted_without_its_job_ends_with_its_own_status() {
    let place = Place::new();
    let (out, _) = place.cray("run", "run", &[program("procimg").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "B was here\nA status word 1280\nB status word 1536\n"
    );
    // A computes and exits 5; B writes into a pipe whose reader stayed behind.
    for (image, status) in [("kida.chk", 5), ("kidb.chk", 128 + 13)] {
        let chk = place.root().join(image);
        let (alone, figures) = place.cray("restart", image, &["-f", chk.to_str().unwrap()]);
        assert_eq!(
            alone.status.code(),
            Some(status),
            "{image}: {}",
            text(&alone.stderr)
        );
        let figures = figures.unwrap();
        assert_eq!(figures["exit_status"], status, "{image}");
        // The lone process is not its job's first process, and still of job 1.
        assert_ne!(figures["pid"], 1, "{image}");
        assert_eq!(figures["jid"], 1, "{image}");
        assert!(alone.stdout.is_empty(), "{image}: {}", text(&alone.stdout));
        // Stopped part way, the lone process still ends the same way.
        let at = "2000";
        let again = place.file(&format!("again-{image}"));
        let (leg, _) = place.cray(
            "restart",
            "leg",
            &[
                "-f",
                chk.to_str().unwrap(),
                "--stop-at",
                at,
                "--checkpoint",
                again.to_str().unwrap(),
            ],
        );
        assert_eq!(
            leg.status.code(),
            Some(common::STOPPED),
            "{image}: {}",
            text(&leg.stderr)
        );
        let (rest, _) = place.cray("restart", "rest", &["-f", again.to_str().unwrap()]);
        assert_eq!(rest.status.code(), Some(status), "{image} via {at}");
    }
}

/// Requires `cray ARGS... IMAGE` to refuse `image` with exit status 2 and one line on
/// stderr naming the file and what is wrong where.
fn assert_refused(args: &[&str], image: &Path, what: &str) {
    let out = finish(cray().args(args).arg(image));
    let message = text(&out.stderr);
    let name = image.file_name().unwrap().to_str().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what} accepted by {args:?}: {message}"
    );
    assert!(!message.contains("panicked"), "{what}: {message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{what}: {message}");
    assert!(message.contains(name), "{what}: {message}");
    let placed = [
        "offset",
        "truncated",
        "header",
        "section",
        "not a checkpoint image",
    ];
    assert!(
        placed.iter().any(|word| message.contains(word)),
        "{what}: {message}"
    );
}

#[test]
fn damaged_images_are_refused_with_the_file_and_the_place_named() {
    let place = Place::new();
    let good = place.file("good.chk");
    let (out, _) = place.cray(
        "run",
        "run",
        &[
            "--stop-at",
            "20000",
            "--checkpoint-with-files",
            "--checkpoint",
            good.to_str().unwrap(),
            program("filerw").to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(common::STOPPED),
        "{}",
        text(&out.stderr)
    );
    let bytes = std::fs::read(&good).unwrap();
    let sections = u32::from_le_bytes(bytes[16..20].try_into().unwrap()) as usize;
    let table_end = 32 + 56 * sections;
    // Every byte of the header and the section table, and a sample of the rest.
    let mut offsets: Vec<usize> = (0..table_end).collect();
    offsets.extend((table_end..bytes.len()).step_by(193));
    offsets.push(bytes.len() - 1);
    offsets.sort_unstable();
    offsets.dedup();
    // Restarts get a root of their own, which must stay empty.
    let elsewhere = Place::new();
    let root = elsewhere.root();
    let restart = ["restart", "--root", root.to_str().unwrap(), "-f"];
    in_parallel(&offsets, |&at| {
        let mut bad = bytes.clone();
        bad[at] ^= 1 << (at % 8);
        let image = place.file(&format!("flip{at}.chk"));
        std::fs::write(&image, &bad).unwrap();
        let what = format!("bit {} of byte {at}", at % 8);
        assert_refused(&restart, &image, &what);
        assert_refused(&["inspect"], &image, &what);
        std::fs::remove_file(image).unwrap();
    });
    // Each section is named in the message as `cray inspect` names it.
    for (kind, name) in [
        (1u16, "summary"),
        (2, "state"),
        (3, "memory"),
        (4, "file"),
        (16, "open-files"),
    ] {
        let entry = (0..sections)
            .map(|i| 32 + 56 * i)
            .find(|&e| u16::from_le_bytes([bytes[e], bytes[e + 1]]) == kind)
            .expect("section present");
        let start = u64::from_le_bytes(bytes[entry + 16..entry + 24].try_into().unwrap()) as usize;
        let mut bad = bytes.clone();
        bad[start] ^= 0x40;
        let image = place.file(&format!("in-{name}.chk"));
        std::fs::write(&image, &bad).unwrap();
        let out = finish(cray().args(restart).arg(&image).stdin(Stdio::null()));
        let message = text(&out.stderr);
        assert!(
            message.contains(&format!(" {name} ")) && message.contains("checksum mismatch"),
            "{name}: {message}"
        );
    }
    let mut lengths: Vec<usize> = vec![0, 1, 8, 31, 32, 33, table_end - 1, table_end];
    lengths.extend((table_end..bytes.len()).step_by(997));
    lengths.push(bytes.len() - 1);
    // One case per length: two threads must not share a file.
    lengths.sort_unstable();
    lengths.dedup();
    in_parallel(&lengths, |&len| {
        let image = place.file(&format!("cut{len}.chk"));
        std::fs::write(&image, &bytes[..len]).unwrap();
        assert_refused(&restart, &image, &format!("cut to {len} bytes"));
        std::fs::remove_file(image).unwrap();
    });
    for tail in [&b"\0"[..], b"garbage!", &[0u8; 4096]] {
        let image = place.file("long.chk");
        let mut longer = bytes.clone();
        longer.extend_from_slice(tail);
        std::fs::write(&image, &longer).unwrap();
        assert_refused(&restart, &image, &format!("{} bytes appended", tail.len()));
    }
    // None of it touched the root: the file the image carries was never recreated.
    assert!(elsewhere.files().is_empty());
}

#[test]
fn a_restart_given_the_same_input_reads_on_where_the_stopped_run_left_it() {
    // `{ cray run --stop-at N ..; cray restart ..; } < input`: both read one open file
    // (one offset). What the first took from it is in the guest or in the image, so
    // the restart's output continues the first's exactly, wherever N falls.
    let place = Place::new();
    let input = place.file("input.txt");
    // More than one read of the host's input (64 KiB) holds.
    let lines: String = (1..=20000).map(|n| format!("{n}\n")).collect();
    std::fs::write(&input, &lines).unwrap();
    let tally = program("tally");
    let (full, figures) = place.cray_reading(
        Some(&std::fs::File::open(&input).unwrap()),
        "run",
        "full",
        &[tally.to_str().unwrap()],
    );
    assert_eq!(
        text(&full.stdout),
        format!("{lines}bytes {} lines 20000\n", lines.len())
    );
    let figures = figures.unwrap();
    let total = figures["cycles"].as_u64().unwrap();
    let at = stops(total, 10);
    in_parallel(&at, |&at| {
        let shared = std::fs::File::open(&input).unwrap();
        let chk = place.file(&format!("tally{at}.chk"));
        let at_text = at.to_string();
        let (first, _) = place.cray_reading(
            Some(&shared),
            "run",
            &format!("first{at}"),
            &[
                "--stop-at",
                &at_text,
                "--checkpoint",
                chk.to_str().unwrap(),
                tally.to_str().unwrap(),
            ],
        );
        assert_eq!(
            first.status.code(),
            Some(common::STOPPED),
            "{}",
            text(&first.stderr)
        );
        let (rest, again) = place.cray_reading(
            Some(&shared),
            "restart",
            &format!("rest{at}"),
            &["-f", chk.to_str().unwrap()],
        );
        let mut both = first.stdout.clone();
        both.extend_from_slice(&rest.stdout);
        assert_eq!(text(&both), text(&full.stdout), "stopped at {at}");
        let again = again.unwrap();
        assert_eq!(again["cycles"], figures["cycles"], "stopped at {at}");
        assert_eq!(
            again["state_hash"], figures["state_hash"],
            "stopped at {at}"
        );
    });
}

#[test]
fn a_stop_the_job_never_reaches_says_that_no_image_was_written() {
    let place = Place::new();
    let chk = place.file("never.chk");
    let (out, figures) = place.cray(
        "run",
        "run",
        &[
            "--stop-at",
            "99999999",
            "--checkpoint",
            chk.to_str().unwrap(),
            program("fanin").to_str().unwrap(),
        ],
    );
    // The job's own end, and a word on why the image is missing.
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stdout).ends_with("parent read 500 bytes\n"));
    let message = text(&out.stderr);
    let cycles = figures.unwrap()["cycles"].as_u64().unwrap();
    assert!(
        message.contains(&format!("ended at clock period {cycles}"))
            && message.contains("never.chk was not written"),
        "{message}"
    );
    assert!(!chk.exists());
}

#[test]
fn a_process_image_leaves_alone_the_files_only_others_had_open() {
    for with_files in [false, true] {
        let place = Place::new();
        let mut args = vec![program("procfile").to_str().unwrap().to_string()];
        if with_files {
            args.insert(0, "--checkpoint-with-files".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (out, _) = place.cray("run", "run", &args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let parents = place.root().join("parent.txt");
        assert_eq!(
            std::fs::read_to_string(&parents).unwrap(),
            "written!written!"
        );
        // The user's file now; the child's image must not care, nor write over it.
        std::fs::write(&parents, "user data\n").unwrap();
        let chk = place.root().join("kid.chk");
        let (alone, _) = place.cray("restart", "alone", &["-f", chk.to_str().unwrap()]);
        assert_eq!(
            alone.status.code(),
            Some(5),
            "with files {with_files}: {}",
            text(&alone.stderr)
        );
        assert!(alone.stderr.is_empty(), "{}", text(&alone.stderr));
        assert_eq!(std::fs::read_to_string(&parents).unwrap(), "user data\n");
        let shown = finish(
            cray()
                .args(["inspect", chk.to_str().unwrap()])
                .stdin(Stdio::null()),
        );
        assert!(
            !text(&shown.stdout).contains("parent.txt"),
            "{}",
            text(&shown.stdout)
        );
    }
}

#[test]
fn a_job_waiting_for_keyboard_input_still_answers_chkpnt_and_sigterm() {
    let place = Place::new();
    let runtime = place.file("runtime");
    std::fs::create_dir(&runtime).unwrap();
    // Standard input is a pipe nobody writes to: the job waits for it for ever.
    let mut running = cray()
        .args(["run", "--root"])
        .arg(place.root())
        .arg(program("tally"))
        .current_dir(place.root())
        .env("XDG_RUNTIME_DIR", &runtime)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let socket = runtime.join("cray").join(format!("{}.sock", running.id()));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !socket.exists() {
        assert!(Instant::now() < deadline, "no control socket");
        std::thread::sleep(Duration::from_millis(10));
    }
    let chk = place.file("waiting.chk");
    let asked = Instant::now();
    let out = finish(
        cray()
            .args(["chkpnt", "-j", "1", "-f"])
            .arg(&chk)
            .env("XDG_RUNTIME_DIR", &runtime)
            .stdin(Stdio::null()),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "chkpnt waited for input"
    );
    let term = Command::new("kill")
        .args(["-TERM", &running.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let asked = Instant::now();
    while running.try_wait().unwrap().is_none() {
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "SIGTERM waited for input"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let ended = running.wait_with_output().unwrap();
    assert_eq!(
        ended.status.code(),
        Some(common::STOPPED),
        "{}",
        text(&ended.stderr)
    );
    assert!(
        text(&ended.stderr).contains("SIGTERM"),
        "{}",
        text(&ended.stderr)
    );
    // Both images go on with the input the restart is given.
    let by_signal = std::fs::read_dir(place.root())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "chk"))
        .expect("SIGTERM wrote an image");
    for image in [chk, by_signal] {
        let input = place.file("typed.txt");
        std::fs::write(&input, "typed\n").unwrap();
        let (out, _) = place.cray_reading(
            Some(&std::fs::File::open(&input).unwrap()),
            "restart",
            "typed",
            &["-f", image.to_str().unwrap()],
        );
        assert_eq!(text(&out.stdout), "typed\nbytes 6 lines 1\n", "{image:?}");
    }
}

#[test]
fn checkpoint_places_that_cannot_be_written_are_refused_before_the_job_runs() {
    let place = Place::new();
    let missing = place.file("missing");
    let inside = missing.join("x.chk");
    let a_directory = place.root();
    // A missing --checkpoint-dir is created; one under a plain file cannot be.
    let plain = place.file("plain");
    std::fs::write(&plain, b"").unwrap();
    let under_a_file = plain.join("ck");
    let fanin = program("fanin");
    let cases: [(Vec<&str>, &str); 3] = [
        (
            vec![
                "--stop-at",
                "1000",
                "--checkpoint",
                inside.to_str().unwrap(),
            ],
            "does not exist",
        ),
        (
            vec![
                "--stop-at",
                "1000",
                "--checkpoint",
                a_directory.to_str().unwrap(),
            ],
            "is a directory",
        ),
        (
            vec![
                "--checkpoint-every",
                "100000",
                "--checkpoint-dir",
                under_a_file.to_str().unwrap(),
            ],
            "Not a directory",
        ),
    ];
    for (options, why) in cases {
        let out = finish(
            cray()
                .arg("run")
                .args(&options)
                .arg(&fanin)
                .stdin(Stdio::null()),
        );
        let message = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{options:?}: {message}");
        assert!(
            message.contains(options[options.len() - 1]) && message.contains(why),
            "{options:?}: {message}"
        );
        // Refused at once, not after the job had run up to its first checkpoint.
        assert!(out.stdout.is_empty(), "{options:?} ran the job");
    }
}
