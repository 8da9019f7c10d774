//! The control socket of a running session (the clients, `cray ps` and `cray chkpnt`,
//! are in [`crate::control_client`]).
//!
//! Every `cray run` listens on a Unix socket `<session>.sock` (mode 0600) in the
//! user's socket directory (see [`crate::socket_dir`]). The session id is the host pid
//! of the `cray run`. A client sends one JSON line (a [`Request`]) and reads one JSON
//! line back (a [`Response`]).
//!
//! No client can slow, freeze or kill the job: a thread of its own accepts the
//! connections, refuses a peer that is neither the session's user nor root (its
//! credentials, `SO_PEERCRED`), and reads a request of at most [`MAX_REQUEST`] bytes
//! within [`REQUEST_DEADLINE`]. Only a complete request reaches the emulation, which
//! looks for one between slices of guest execution (so a request takes effect at a
//! clock-period boundary) and never waits for a client.

use crate::socket_dir;
use crate::CliError;
pub use cray_cli::control_request::{parse_request, request_line, Request, MAX_REQUEST};
use cray_emulator::system::ProcessState;
use cray_emulator::System;
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::process::geteuid;
use serde::{Deserialize, Serialize};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One process as `cray ps` shows it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ProcessRow {
    /// Process id.
    pub pid: u32,
    /// Parent.
    pub ppid: u32,
    /// Job.
    pub jid: u32,
    /// Clock periods it has run.
    pub cycles: u64,
    /// Runnable, blocked, zombie.
    pub state: String,
    /// Program name.
    pub program: String,
}

/// A session's answer.
#[derive(Debug, Serialize, Deserialize)]
pub enum Response {
    /// Process list.
    Ps(Vec<ProcessRow>),
    /// The session's figures.
    Figures(crate::progress::Figures),
    /// Done, with a message.
    Ok(String),
    /// Failed, with a message.
    Error(String),
    /// The job ended before the request could be served.
    Ended,
}

/// The rows of `cray ps` for `system`.
pub fn process_rows(system: &System, _program: &str) -> Vec<ProcessRow> {
    system
        .processes
        .values()
        .map(|p| ProcessRow {
            pid: p.pid,
            ppid: p.ppid,
            jid: p.jid,
            cycles: p.cpu.cycles,
            state: match p.state {
                ProcessState::Runnable => "run".to_string(),
                ProcessState::Blocked(on) => format!("blocked ({on:?})"),
                ProcessState::Zombie(status) => format!("zombie ({status:?})"),
            },
            program: p.program.clone(),
        })
        .collect()
}

/// The time a client has to send its whole request once connected.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(2);

/// The time a client has to take in the answer.
const REPLY_DEADLINE: Duration = Duration::from_secs(2);

/// How often the listening thread looks whether the session is ending while it
/// waits for a connection it was not woken from (the session's end wakes it at once:
/// see [`ControlServer::wake`]), or while it reads a request.
const STOP_POLL: Duration = Duration::from_millis(100);

/// A complete request, and where its answer goes.
pub struct Pending {
    /// What the client asked.
    pub request: Request,
    answer: SyncSender<Response>,
}

impl Pending {
    /// Sends the answer to the client (the listening thread writes it).
    pub fn answer(self, response: Response) {
        // The thread has gone only when the session is ending.
        let _ = self.answer.send(response);
    }
}

/// The listening side, owned by a session.
pub struct ControlServer {
    path: PathBuf,
    requests: Option<Receiver<Pending>>,
    stop: Arc<AtomicBool>,
    /// Dropped when the session ends, which wakes the listening thread waiting for
    /// a connection (its end of the pair reads end of file). Before, the thread
    /// looked at the stop flag every [`STOP_POLL`], and every session waited for it
    /// as it ended: `cray run` of a short program took 0.1 s of wall time more than
    /// its CPU time (a FORTRAN hello world: 9 ms of CPU, 95 ms of wall time).
    wake: Option<UnixStream>,
    thread: Option<JoinHandle<()>>,
}

impl ControlServer {
    /// Listens on `<socket dir>/<host pid>.sock`; refuses a socket directory another
    /// user could tamper with.
    pub fn start() -> Result<ControlServer, CliError> {
        Self::start_in(&socket_dir::own()?)
    }

    /// Listens on `<dir>/<host pid>.sock`.
    ///
    /// The socket is bound and made 0600 under a name no client looks at, and
    /// renamed to its own name only then, listening. Bound there directly, it was
    /// visible for a moment before it listened (`bind` and `listen` are two system
    /// calls): a client listing the sessions then (`cray ps`) found it refusing
    /// connections, took it for a killed session's and removed it, and the session
    /// failed on its own socket with "No such file or directory".
    fn start_in(dir: &Path) -> Result<ControlServer, CliError> {
        Self::start_polling(dir, STOP_POLL)
    }

    /// As [`ControlServer::start_in`], the listening thread looking at the stop flag
    /// every `poll` when nothing wakes it.
    fn start_polling(dir: &Path, poll: Duration) -> Result<ControlServer, CliError> {
        let pid = std::process::id();
        let path = dir.join(format!("{pid}.sock"));
        let binding = dir.join(format!(".{pid}.sock.binding"));
        // Sockets left by an earlier process that had this pid.
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&binding);
        let listener = UnixListener::bind(&binding).map_err(|e| CliError::io(&binding, e))?;
        std::fs::set_permissions(&binding, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| CliError::io(&binding, e))?;
        std::fs::rename(&binding, &path).map_err(|e| CliError::io(&path, e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| CliError::io(&path, e))?;
        let (sender, requests) = std::sync::mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let (wake, woken) = UnixStream::pair().map_err(|e| CliError::io(&path, e))?;
        let listening = Listening {
            listener,
            woken,
            poll,
            requests: sender,
            stop: Arc::clone(&stop),
            uid: geteuid().as_raw(),
        };
        let thread = std::thread::Builder::new()
            .name("cray-control".into())
            .spawn(move || listening.serve())
            .map_err(|e| CliError::new(format!("control socket {}: {e}", path.display())))?;
        Ok(ControlServer {
            path,
            requests: Some(requests),
            stop,
            wake: Some(wake),
            thread: Some(thread),
        })
    }

    /// The complete requests that arrived since the last look; never waits.
    pub fn poll(&mut self) -> Vec<Pending> {
        match &self.requests {
            Some(requests) => requests.try_iter().collect(),
            None => Vec::new(),
        }
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        self.stop.store(true, Ordering::Relaxed);
        self.wake = None;
        // Requests not served now never will be: their clients learn that the job
        // ended. The answers already given are written before the process ends.
        self.requests = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The listening thread's side.
struct Listening {
    listener: UnixListener,
    /// Readable (end of file) once the session ends: see [`ControlServer::wake`].
    woken: UnixStream,
    /// How long a wait for a connection lasts at most ([`STOP_POLL`]).
    poll: Duration,
    requests: Sender<Pending>,
    stop: Arc<AtomicBool>,
    /// The session's user.
    uid: u32,
}

impl Listening {
    /// Serves one connection after the other until the session ends.
    fn serve(self) {
        while !self.stop.load(Ordering::Relaxed) {
            match self.listener.accept() {
                Ok((stream, _)) => self.serve_connection(stream),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    let mut ready = [
                        PollFd::new(&self.listener, PollFlags::IN),
                        PollFd::new(&self.woken, PollFlags::IN),
                    ];
                    let timeout = Timespec::try_from(self.poll).ok();
                    let _ = rustix::event::poll(&mut ready, timeout.as_ref());
                }
                // Out of file descriptors, or a connection reset before it was
                // accepted: the next look may fare better.
                Err(_) => std::thread::sleep(STOP_POLL),
            }
        }
    }

    /// Reads one request, hands it to the emulation, and writes the answer.
    fn serve_connection(&self, mut stream: UnixStream) {
        if stream.set_nonblocking(false).is_err() {
            return;
        }
        let _ = stream.set_write_timeout(Some(REPLY_DEADLINE));
        let response = match self.peer_refused(&stream) {
            Some(refusal) => refusal,
            None => match self.read_request(&mut stream) {
                Ok(Some(request)) => self.ask_emulation(request),
                // A client that only looked whether the session is there.
                Ok(None) => return,
                Err(refusal) => refusal,
            },
        };
        let _ = write_line(&mut stream, &response);
    }

    /// Why the peer may not use the socket: a user other than the session's and root.
    fn peer_refused(&self, stream: &UnixStream) -> Option<Response> {
        match rustix::net::sockopt::socket_peercred(stream) {
            Ok(peer) if peer.uid.as_raw() == self.uid || peer.uid.is_root() => None,
            Ok(peer) => Some(Response::Error(format!(
                "permission denied: uid {} may not control a session of uid {}",
                peer.uid.as_raw(),
                self.uid
            ))),
            Err(e) => Some(Response::Error(format!(
                "the peer's credentials cannot be read: {e}"
            ))),
        }
    }

    /// The request line, read within [`REQUEST_DEADLINE`] and [`MAX_REQUEST`] bytes;
    /// `None` when the client closed without sending anything.
    fn read_request(&self, stream: &mut UnixStream) -> Result<Option<Request>, Response> {
        let deadline = Instant::now() + REQUEST_DEADLINE;
        let mut line = Vec::new();
        let mut chunk = [0u8; 512];
        loop {
            if let Some(end) = request_line(&line).map(<[u8]>::len) {
                line.truncate(end);
                break;
            }
            if line.len() >= MAX_REQUEST {
                return Err(Response::Error(format!(
                    "bad request: longer than {MAX_REQUEST} bytes"
                )));
            }
            if self.stop.load(Ordering::Relaxed) {
                return Err(Response::Ended);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Response::Error(format!(
                    "bad request: not complete within {} s",
                    REQUEST_DEADLINE.as_secs()
                )));
            }
            let _ = stream.set_read_timeout(Some(left.min(STOP_POLL)));
            let want = chunk.len().min(MAX_REQUEST - line.len());
            match stream.read(&mut chunk[..want]) {
                Ok(0) if line.is_empty() => return Ok(None),
                Ok(0) => break,
                Ok(n) => line.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Ok(None),
            }
        }
        parse_request(&line)
            .map(Some)
            .map_err(|e| Response::Error(format!("bad request: {e}")))
    }

    /// Hands `request` to the emulation and waits for its answer.
    fn ask_emulation(&self, request: Request) -> Response {
        let (answer, answered) = std::sync::mpsc::sync_channel(1);
        if self.requests.send(Pending { request, answer }).is_err() {
            return Response::Ended;
        }
        // The sender goes away unanswered only when the session ends.
        answered.recv().unwrap_or(Response::Ended)
    }
}

fn write_line(stream: &mut UnixStream, response: &Response) -> std::io::Result<()> {
    let mut text = serde_json::to_string(response).map_err(std::io::Error::other)?;
    text.push('\n');
    stream.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    /// The session's end wakes the listening thread that waits for a connection: the
    /// server is dropped (the thread joined) long before the thread would have
    /// looked at the stop flag of its own accord, here after an hour.
    #[test]
    fn a_session_ends_without_waiting_for_its_listening_thread() {
        let dir = tempfile::tempdir().unwrap();
        let server = ControlServer::start_polling(dir.path(), Duration::from_secs(3600)).unwrap();
        // Let the thread reach its wait.
        std::thread::sleep(Duration::from_millis(50));
        let (dropped, done) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            drop(server);
            let _ = dropped.send(());
        });
        assert!(
            done.recv_timeout(Duration::from_secs(60)).is_ok(),
            "the listening thread was not woken when the session ended"
        );
    }

    /// A client that looks at the socket's name the moment it appears must find it
    /// private and listening, every time: a refused connection is what made `cray ps`
    /// remove a starting session's socket. (A connect refused because the session it
    /// waited on ended is not such a fault: that socket's name was already gone.)
    #[test]
    fn a_session_socket_appears_private_and_listening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("{}.sock", std::process::id()));
        let done = Arc::new(AtomicBool::new(false));
        let watcher = {
            let (path, done) = (path.clone(), Arc::clone(&done));
            std::thread::spawn(move || {
                let (mut seen, mut faults) = (0u32, Vec::new());
                while !done.load(Ordering::Relaxed) {
                    let Ok(meta) = std::fs::symlink_metadata(&path) else {
                        continue;
                    };
                    seen += 1;
                    if meta.mode() & 0o777 != 0o600 {
                        faults.push(format!("mode {:o}", meta.mode() & 0o777));
                    }
                    match UnixStream::connect(&path) {
                        // A connect that waited on a full backlog is refused when
                        // that session ends; by then its socket's name is gone
                        // (removed before the listener closes). Only a refusal by
                        // a socket still there is one that did not listen yet.
                        Err(e)
                            if e.kind() == ErrorKind::ConnectionRefused
                                && std::fs::symlink_metadata(&path)
                                    .is_ok_and(|now| now.ino() == meta.ino()) =>
                        {
                            faults.push("connection refused".into())
                        }
                        _ => {}
                    }
                }
                (seen, faults)
            })
        };
        for _ in 0..300 {
            let server = ControlServer::start_in(dir.path()).unwrap();
            std::thread::sleep(Duration::from_micros(200));
            drop(server);
        }
        done.store(true, Ordering::Relaxed);
        let (seen, faults) = watcher.join().unwrap();
        assert!(seen > 0, "the watcher never saw the socket");
        assert!(
            faults.is_empty(),
            "{} of {seen} looks found the socket unready, e.g. {:?}",
            faults.len(),
            &faults[..faults.len().min(5)]
        );
    }
}
