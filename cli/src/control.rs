//! The control socket of a running session, and its clients (`cray ps`, `cray chkpnt`).
//!
//! Every `cray run` listens on a Unix socket `<session>.sock` in a per-user directory
//! (`$XDG_RUNTIME_DIR/cray`, else `<tmp>/cray-<uid>`; directory mode 0700, socket
//! 0600). The session id is the host pid of the `cray run`. A client sends one JSON
//! line (a [`Request`]) and reads one JSON line back (a [`Response`]). The session
//! looks at the socket between slices of guest execution, so a request takes effect at
//! a clock-period boundary.

use crate::CliError;
use cray_emulator::system::{ProcessState, System};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A request to a session.
#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    /// List the processes.
    Ps,
    /// The session's figures (clock, emulated time, MIPS, checkpoints): what its
    /// progress display shows. A session older than the request answers an error.
    Figures,
    /// Checkpoint a process or a job.
    Chkpnt {
        /// True for a job (`-j`), false for a process (`-p`).
        job: bool,
        /// Pid or jid.
        id: u32,
        /// Image file (absolute, as the client resolved it).
        file: String,
        /// Kill the target afterwards (`-k`).
        kill: bool,
        /// Carry the contents of open files.
        with_files: bool,
        /// Compress the memory and carried files (absent from the requests of a
        /// `cray chkpnt` that predates the option: not compressed).
        #[serde(default)]
        compress: bool,
    },
}

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

/// The per-user directory of session sockets, created with mode 0700.
pub fn socket_dir() -> Result<PathBuf, CliError> {
    let dir = match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(runtime) => PathBuf::from(runtime).join("cray"),
        None => {
            let uid = std::fs::metadata("/proc/self")
                .map(|m| m.uid())
                .unwrap_or(0);
            std::env::temp_dir().join(format!("cray-{uid}"))
        }
    };
    std::fs::create_dir_all(&dir).map_err(|e| CliError::io(&dir, e))?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| CliError::io(&dir, e))?;
    Ok(dir)
}

/// The listening side, owned by a session.
pub struct ControlServer {
    listener: UnixListener,
    path: PathBuf,
}

impl ControlServer {
    /// Listens on `<dir>/<host pid>.sock`.
    pub fn start() -> Result<ControlServer, CliError> {
        let path = socket_dir()?.join(format!("{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).map_err(|e| CliError::io(&path, e))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| CliError::io(&path, e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| CliError::io(&path, e))?;
        Ok(ControlServer { listener, path })
    }

    /// Requests waiting now, each with the connection to answer on.
    pub fn poll(&mut self) -> Vec<(Request, UnixStream)> {
        let mut requests = Vec::new();
        while let Ok((stream, _)) = self.listener.accept() {
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut line = String::new();
            let mut reader = BufReader::new(&stream);
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            match serde_json::from_str::<Request>(&line) {
                Ok(request) => requests.push((request, stream)),
                Err(e) => {
                    let mut stream = stream;
                    let _ = write_line(&mut stream, &Response::Error(format!("bad request: {e}")));
                }
            }
        }
        requests
    }

    /// Answers a request.
    pub fn reply(&mut self, mut stream: UnixStream, response: &Response) {
        let _ = write_line(&mut stream, response);
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn write_line(stream: &mut UnixStream, response: &Response) -> std::io::Result<()> {
    let mut text = serde_json::to_string(response).map_err(std::io::Error::other)?;
    text.push('\n');
    stream.write_all(text.as_bytes())
}

/// Sessions that answer, as (session id, socket path); stale sockets are removed.
pub fn sessions() -> Result<Vec<(u32, PathBuf)>, CliError> {
    let dir = socket_dir()?;
    let mut found = Vec::new();
    let entries = std::fs::read_dir(&dir).map_err(|e| CliError::io(&dir, e))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(id) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".sock"))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if UnixStream::connect(&path).is_ok() {
            found.push((id, path));
        } else {
            let _ = std::fs::remove_file(&path);
        }
    }
    found.sort();
    Ok(found)
}

/// Sends `request` to the session at `socket` and waits for the answer.
pub fn ask(socket: &Path, request: &Request) -> Result<Response, CliError> {
    let mut stream = UnixStream::connect(socket).map_err(|e| CliError::io(socket, e))?;
    let mut text = serde_json::to_string(request).map_err(|e| CliError::new(e.to_string()))?;
    text.push('\n');
    stream
        .write_all(text.as_bytes())
        .map_err(|e| CliError::io(socket, e))?;
    let mut line = String::new();
    BufReader::new(&stream)
        .read_line(&mut line)
        .map_err(|e| CliError::io(socket, e))?;
    serde_json::from_str(&line)
        .map_err(|e| CliError::invalid(socket, format!("bad answer from the session: {e}")))
}

/// The socket of session `id`, or of the only session when `id` is `None`.
pub fn find_session(id: Option<u32>) -> Result<(u32, PathBuf), CliError> {
    let all = sessions()?;
    match id {
        Some(id) => all
            .into_iter()
            .find(|(s, _)| *s == id)
            .ok_or_else(|| CliError::new(format!("no running session {id} (see `cray ps`)"))),
        None => match all.len() {
            0 => Err(CliError::new("no running cray session")),
            1 => Ok(all.into_iter().next().unwrap_or((0, PathBuf::new()))),
            _ => Err(CliError::new(format!(
                "{} sessions are running ({}); choose one with --session",
                all.len(),
                all.iter()
                    .map(|(s, _)| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        },
    }
}
