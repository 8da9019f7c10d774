//! The control socket as a local attack surface: its directory, the peer's
//! credentials, hostile clients, `cray ps` on a suspended session and across users,
//! and `cray chkpnt` of a job that ends first.
//!
//! The tests that need a second user run only as root (they act as uid 65534).

mod common;

use common::{cray, image, text};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The second user of the tests that need one (`nobody` on most systems).
const OTHER_UID: u32 = 65534;

/// A bound on any wait here, far beyond what the machine needs even when loaded: a
/// test that reaches it has found a hang, not a slow host.
const HANG: Duration = Duration::from_secs(300);

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Starts `cray run EXTRA... spin.cal` (about 6e8 clock periods: seconds of work)
/// with `env`, and waits for its socket in `socket_dir`; the child and its socket.
fn spin(socket_dir: &Path, command: &mut Command, extra: &[&str]) -> (Child, PathBuf) {
    let child = command
        .arg("run")
        .args(extra)
        .arg(image("spin.cal"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let socket = socket_dir.join(format!("{}.sock", child.id()));
    let deadline = Instant::now() + HANG;
    while !socket.exists() {
        assert!(Instant::now() < deadline, "no control socket {socket:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    (child, socket)
}

/// `cray` with its sockets in `runtime/cray`.
fn cray_in(runtime: &Path) -> Command {
    let mut command = cray();
    command.env("XDG_RUNTIME_DIR", runtime);
    command
}

/// Waits for `child` within [`HANG`]; kills it and fails past that.
fn finish(mut child: Child, what: &str) -> Output {
    let deadline = Instant::now() + HANG;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} did not end");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Runs `command` to its end within [`HANG`].
fn output_of(command: &mut Command, what: &str) -> Output {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish(child, what)
}

fn kill(child: &Child, signal: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_child(child);
    rustix::process::kill_process(pid, signal).unwrap();
}

#[test]
fn a_socket_directory_another_user_could_use_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    chmod(&elsewhere, 0o700);
    let mut cases = vec![
        ("symlink", "is a symbolic link"),
        ("writable", "has mode 0777"),
        ("file", "is not a directory"),
        ("parent", "could rename it away"),
    ];
    if is_root() {
        cases.push(("owner", "is owned by uid 65534"));
    }
    for (name, expected) in cases {
        let runtime = dir.path().join(name);
        std::fs::create_dir(&runtime).unwrap();
        chmod(&runtime, 0o700);
        let cray_dir = runtime.join("cray");
        plant(name, &cray_dir, &elsewhere);
        let chk = dir.path().join(format!("{name}.chk"));
        let chk = chk.to_str().unwrap();
        for args in [
            vec!["run", image("daxpy.cal").to_str().unwrap()],
            vec!["chkpnt", "-j", "1", "-f", chk, "-k"],
            vec!["ps"],
        ] {
            let out = output_of(cray_in(&runtime).args(&args), name);
            let said = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name} {args:?}: {said}");
            let path = format!("control socket directory {}: ", cray_dir.display());
            assert!(
                said.contains(&path) && said.contains(expected),
                "{name} {args:?}: {said}"
            );
            assert!(
                out.stdout.is_empty(),
                "{name} {args:?}: the job did not run"
            );
        }
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0, "{name}");
    }
}

/// Puts in place of a session directory `cray_dir` what the case `name` of
/// `a_socket_directory_another_user_could_use_is_refused` has another user put there.
fn plant(name: &str, cray_dir: &Path, elsewhere: &Path) {
    match name {
        "symlink" => std::os::unix::fs::symlink(elsewhere, cray_dir).unwrap(),
        "writable" => {
            std::fs::create_dir(cray_dir).unwrap();
            chmod(cray_dir, 0o777);
        }
        "file" => std::fs::write(cray_dir, "").unwrap(),
        "parent" => chmod(cray_dir.parent().unwrap(), 0o777),
        _ => {
            std::fs::create_dir(cray_dir).unwrap();
            chmod(cray_dir, 0o700);
            std::os::unix::fs::chown(cray_dir, Some(OTHER_UID), Some(OTHER_UID)).unwrap();
        }
    }
}

/// Not a test: the client that another user runs in
/// `another_users_requests_are_refused` (it does nothing unless sent there).
#[test]
fn client_as_another_user() {
    let Some(socket) = std::env::var_os("CRAY_TEST_CLIENT_SOCKET") else {
        return;
    };
    let request = std::env::var("CRAY_TEST_CLIENT_REQUEST").unwrap();
    let mut stream = UnixStream::connect(socket).expect("the socket takes the connection");
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(b"\n").unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    println!("ANSWER:{}", answer.trim_end());
}

#[test]
fn another_users_requests_are_refused() {
    if !is_root() {
        eprintln!("skipped: needs root to act as a second user");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (child, socket) = spin(&dir.path().join("cray"), &mut cray_in(dir.path()), &[]);
    // The session gives its socket mode 0600 just after creating it.
    let deadline = Instant::now() + HANG;
    while std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777 != 0o600 {
        assert!(Instant::now() < deadline, "socket mode never 0600");
        std::thread::sleep(Duration::from_millis(10));
    }
    // As if the directory and socket let the other user in (a mistaken chmod).
    chmod(dir.path(), 0o711);
    chmod(&dir.path().join("cray"), 0o711);
    chmod(&socket, 0o666);
    let stolen = dir.path().join("stolen.chk");
    let request = serde_json::json!({"Chkpnt": {
        "job": true, "id": 1, "file": stolen, "kill": true, "with_files": false, "compress": false
    }});
    let client = output_of(
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "client_as_another_user", "--nocapture"])
            .env("CRAY_TEST_CLIENT_SOCKET", &socket)
            .env("CRAY_TEST_CLIENT_REQUEST", request.to_string())
            .uid(OTHER_UID)
            .gid(OTHER_UID),
        "the other user's client",
    );
    let said = text(&client.stdout);
    assert!(
        said.contains("ANSWER:") && said.contains("permission denied: uid 65534"),
        "{said}{}",
        text(&client.stderr)
    );
    let ended = finish(child, "the job");
    assert_eq!(ended.status.code(), Some(0), "{}", text(&ended.stderr));
    assert_eq!(text(&ended.stdout), "spin done\n");
    assert!(!stolen.exists());
}

/// A hostile client, connecting again each time the session drops it, until `stop`.
fn hostile(socket: PathBuf, stop: Arc<AtomicBool>, connections: Arc<AtomicU64>, kind: &str) {
    let pause = |d: Duration| {
        let until = Instant::now() + d;
        while Instant::now() < until && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut stream) = UnixStream::connect(&socket) else {
            pause(Duration::from_millis(10));
            continue;
        };
        connections.fetch_add(1, Ordering::Relaxed);
        match kind {
            // Connects and sends nothing, until dropped.
            "idle" => {
                stream
                    .set_read_timeout(Some(Duration::from_millis(50)))
                    .unwrap();
                let mut byte = [0u8; 1];
                while !stop.load(Ordering::Relaxed) {
                    match stream.read(&mut byte) {
                        Ok(_) => break,
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                        Err(_) => break,
                    }
                }
            }
            // A byte every 1.5 s, never a newline.
            "trickle" => {
                while !stop.load(Ordering::Relaxed) && stream.write_all(b" ").is_ok() {
                    pause(Duration::from_millis(1500));
                }
            }
            // 100 MB without a newline.
            _ => {
                let chunk = vec![b'x'; 1 << 16];
                let mut sent = 0u64;
                while sent < 100_000_000 && !stop.load(Ordering::Relaxed) {
                    if stream.write_all(&chunk).is_err() {
                        break;
                    }
                    sent += chunk.len() as u64;
                }
                pause(Duration::from_millis(10));
            }
        }
    }
}

/// The largest resident size the process `pid` has had, in KiB (0 once it is gone).
fn peak_resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Runs spin.cal with `--stats-json` while `kinds` of hostile clients keep at its
/// socket: its output, figures, peak resident size, and the connections each made.
fn spin_under_attack(
    dir: &Path,
    kinds: &[&'static str],
) -> (Output, serde_json::Value, u64, Vec<u64>) {
    let json = dir.join("stats.json");
    let (child, socket) = spin(
        &dir.join("cray"),
        &mut cray_in(dir),
        &["--stats-json", json.to_str().unwrap()],
    );
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = kinds
        .iter()
        .map(|&kind| {
            let connections = Arc::new(AtomicU64::new(0));
            let (socket, stop, counted) =
                (socket.clone(), Arc::clone(&stop), Arc::clone(&connections));
            let thread = std::thread::spawn(move || hostile(socket, stop, counted, kind));
            (thread, connections)
        })
        .collect();
    let pid = child.id();
    let mut peak = 0;
    let deadline = Instant::now() + HANG;
    let mut child = child;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            stop.store(true, Ordering::Relaxed);
            panic!("the job did not end while hostile clients were at its socket");
        }
        peak = peak.max(peak_resident_kib(pid));
        std::thread::sleep(Duration::from_millis(20));
    }
    // The clients were at it until the job had ended.
    stop.store(true, Ordering::Relaxed);
    let connections = clients
        .into_iter()
        .map(|(thread, connections)| {
            thread.join().unwrap();
            connections.load(Ordering::Relaxed)
        })
        .collect();
    let out = child.wait_with_output().unwrap();
    let stats = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    (out, stats, peak, connections)
}

#[test]
fn hostile_clients_neither_slow_nor_stop_nor_bloat_the_job() {
    let quiet = tempfile::tempdir().unwrap();
    let (out, alone, alone_peak, _) = spin_under_attack(quiet.path(), &[]);
    assert_eq!(text(&out.stdout), "spin done\n");
    let dir = tempfile::tempdir().unwrap();
    let kinds = ["idle", "trickle", "flood"];
    let (out, attacked, peak, connections) = spin_under_attack(dir.path(), &kinds);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "spin done\n");
    assert_eq!(attacked["cycles"], alone["cycles"]);
    assert_eq!(attacked["state_hash"], alone["state_hash"]);
    eprintln!(
        "alone: {} s, peak {alone_peak} KiB; attacked: {} s, peak {peak} KiB, connections {connections:?}",
        alone["wall_seconds"], attacked["wall_seconds"]
    );
    for (kind, made) in kinds.iter().zip(connections) {
        assert!(made > 0, "the {kind} client never connected");
    }
    // Reading 100 MB into memory would show; 4 KiB requests do not.
    assert!(
        peak < alone_peak + 32 * 1024,
        "peak resident {peak} KiB, {alone_peak} KiB without the clients"
    );
}

#[test]
fn ps_shows_a_suspended_session_as_not_answering() {
    let dir = tempfile::tempdir().unwrap();
    let (child, _) = spin(&dir.path().join("cray"), &mut cray_in(dir.path()), &[]);
    kill(&child, rustix::process::Signal::STOP);
    let ps = output_of(cray_in(dir.path()).arg("ps"), "cray ps");
    kill(&child, rustix::process::Signal::CONT);
    kill(&child, rustix::process::Signal::KILL);
    let _ = finish(child, "the job");
    assert!(ps.status.success(), "{}", text(&ps.stderr));
    let listing = text(&ps.stdout);
    assert!(listing.contains("not answering"), "{listing}");
}

#[test]
fn ps_shows_the_callers_sessions_and_root_sees_everyones() {
    if !is_root() {
        eprintln!("skipped: needs root to act as a second user");
        return;
    }
    // A shared temporary directory, as /tmp is; no XDG_RUNTIME_DIR.
    let tmp = tempfile::tempdir().unwrap();
    chmod(tmp.path(), 0o1777);
    let as_user = |uid: Option<u32>| {
        let mut command = cray();
        command
            .env("TMPDIR", tmp.path())
            .env_remove("XDG_RUNTIME_DIR")
            .current_dir(tmp.path());
        if let Some(uid) = uid {
            command.uid(uid).gid(uid);
        }
        command
    };
    let (root_job, _) = spin(&tmp.path().join("cray-0"), &mut as_user(None), &[]);
    let other_dir = tmp.path().join(format!("cray-{OTHER_UID}"));
    let (other_job, _) = spin(&other_dir, &mut as_user(Some(OTHER_UID)), &[]);
    let row_of = |listing: &str, id: u32| {
        listing
            .lines()
            .find(|line| line.split_whitespace().next() == Some(&id.to_string()))
            .map(str::to_string)
    };
    let by_root = output_of(as_user(None).arg("ps"), "root's cray ps");
    let by_other = output_of(as_user(Some(OTHER_UID)).arg("ps"), "the other's cray ps");
    let stolen = tmp.path().join("stolen.chk");
    let chkpnt = output_of(
        as_user(Some(OTHER_UID))
            .args(["chkpnt", "-j", "1", "-k", "--session"])
            .arg(root_job.id().to_string())
            .arg("-f")
            .arg(&stolen),
        "the other's cray chkpnt",
    );
    let (root_id, other_id) = (root_job.id(), other_job.id());
    for job in [&root_job, &other_job] {
        kill(job, rustix::process::Signal::KILL);
    }
    let root_job = finish(root_job, "root's job");
    let _ = finish(other_job, "the other's job");
    let listing = text(&by_root.stdout);
    assert!(by_root.status.success(), "{}", text(&by_root.stderr));
    let uid_of = |listing: &str, id: u32| {
        row_of(listing, id).and_then(|row| row.split_whitespace().nth(1).map(str::to_string))
    };
    assert_eq!(
        uid_of(&listing, other_id),
        Some(OTHER_UID.to_string()),
        "{listing}"
    );
    assert_eq!(
        uid_of(&listing, root_id),
        Some("0".to_string()),
        "{listing}"
    );
    let theirs = text(&by_other.stdout);
    assert!(by_other.status.success(), "{}", text(&by_other.stderr));
    assert!(
        uid_of(&theirs, other_id).is_some(),
        "their own session: {theirs}"
    );
    assert_eq!(
        uid_of(&theirs, root_id),
        None,
        "no session of root's: {theirs}"
    );
    assert_eq!(chkpnt.status.code(), Some(2));
    assert!(text(&chkpnt.stderr).contains("no running session"));
    assert!(!stolen.exists());
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        root_job.status.signal(),
        Some(9),
        "running until the test killed it"
    );
}

#[test]
fn chkpnt_of_a_session_that_ends_first_says_the_job_ended() {
    let dir = tempfile::tempdir().unwrap();
    let sockets = dir.path().join("cray");
    std::fs::create_dir(&sockets).unwrap();
    chmod(&sockets, 0o700);
    // A session whose process has gone, its socket still taking connections and
    // closing them unanswered, as a session that ends does.
    let mut gone = Command::new("true").spawn().unwrap();
    gone.wait().unwrap();
    let id = gone.id();
    let listener = UnixListener::bind(sockets.join(format!("{id}.sock"))).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            std::thread::sleep(Duration::from_millis(200));
            drop(stream);
        }
    });
    let chk = dir.path().join("late.chk");
    let out = output_of(
        cray_in(dir.path())
            .args(["chkpnt", "-j", "1", "-f"])
            .arg(&chk),
        "cray chkpnt",
    );
    let said = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains(&format!(
            "session {id} ended before job 1 could be checkpointed"
        )),
        "{said}"
    );
    assert!(!said.contains("os error"), "{said}");
}
