//! The clients of the control socket: finding the sessions the caller may see, and
//! asking one of them (`cray ps`, `cray chkpnt`).

use crate::control::{Request, Response};
use crate::socket_dir::{self, SocketDir};
use crate::CliError;
use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The time `cray ps` gives a session to answer: a suspended one (Ctrl-Z, SIGSTOP)
/// never does.
pub const PS_DEADLINE: Duration = Duration::from_secs(1);

/// The time any client gives a session to take its connection.
const CONNECT_DEADLINE: Duration = Duration::from_secs(1);

/// The longest answer read: a process list of a very large job fits.
const MAX_ANSWER: u64 = 64 << 20;

/// A running session found in a socket directory.
pub struct SessionSocket {
    /// The session id (the host pid of its `cray run`).
    pub id: u32,
    /// Its socket.
    pub path: PathBuf,
    /// The user it runs as.
    pub owner: u32,
}

/// Why a session could not be asked.
pub enum AskError {
    /// It did not answer within the deadline (suspended, or very busy).
    NotAnswering,
    /// It closed the connection or its socket went away (it ended, or is ending).
    Gone(std::io::Error),
    /// Anything else.
    Failed(CliError),
}

/// The sessions of the directories the caller may see ([`socket_dir::visible`]), in
/// order of owner and id. Sockets in the caller's own directory that nothing listens
/// on any more (left by a session that was killed) are removed.
pub fn sessions() -> Result<Vec<SessionSocket>, CliError> {
    let mut found = Vec::new();
    let own_uid = rustix::process::geteuid().as_raw();
    for dir in socket_dir::visible()? {
        found.extend(sessions_in(&dir, dir.owner == own_uid));
    }
    found.sort_by_key(|s| (s.owner, s.id));
    Ok(found)
}

/// The sockets of `dir` that something listens on.
fn sessions_in(dir: &SocketDir, remove_stale: bool) -> Vec<SessionSocket> {
    let Ok(entries) = std::fs::read_dir(&dir.path) else {
        return Vec::new();
    };
    let mut found = Vec::new();
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
        match connect(&path, CONNECT_DEADLINE) {
            Err(e) if is_gone(&e) => {
                if remove_stale {
                    let _ = std::fs::remove_file(&path);
                }
            }
            // Connected, or a backlog so full that the session is listed as not
            // answering.
            _ => found.push(SessionSocket {
                id,
                path,
                owner: dir.owner,
            }),
        }
    }
    found
}

/// Whether an error on a session's socket means that the session ended: nothing
/// listens any more, or it closed the connection without answering.
pub fn is_gone(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused
            | ErrorKind::ConnectionReset
            | ErrorKind::BrokenPipe
            | ErrorKind::NotFound
            | ErrorKind::UnexpectedEof
    )
}

/// Connects to the socket at `path`, waiting at most `deadline` for room in its
/// queue of connections (a suspended session's fills up).
fn connect(path: &Path, deadline: Duration) -> std::io::Result<UnixStream> {
    let until = Instant::now() + deadline;
    let address = SocketAddrUnix::new(path)?;
    loop {
        let socket = rustix::net::socket_with(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
            None,
        )?;
        match rustix::net::connect(&socket, &address) {
            Ok(()) => {
                let stream = UnixStream::from(socket);
                stream.set_nonblocking(false)?;
                return Ok(stream);
            }
            Err(rustix::io::Errno::AGAIN) if Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(rustix::io::Errno::AGAIN) => {
                return Err(std::io::Error::from(ErrorKind::TimedOut));
            }
            Err(errno) => return Err(errno.into()),
        }
    }
}

/// Sends `request` to `session` and reads the answer, waiting at most `deadline`
/// for it (no limit with `None`: a checkpoint of a large job takes its time).
pub fn ask(
    session: &SessionSocket,
    request: &Request,
    deadline: Option<Duration>,
) -> Result<Response, AskError> {
    let socket = &session.path;
    let mut stream = connect(socket, CONNECT_DEADLINE).map_err(|e| classify(socket, e))?;
    check_server(session, &stream)?;
    let mut text = serde_json::to_string(request)
        .map_err(|e| AskError::Failed(CliError::new(e.to_string())))?;
    text.push('\n');
    let _ = stream.set_write_timeout(deadline);
    stream
        .write_all(text.as_bytes())
        .map_err(|e| classify(socket, e))?;
    // The session's own answer (it is the caller's user, or root's view of another
    // user's) comes at once when it runs; only a stopped one is waited for.
    let _ = stream.set_read_timeout(deadline);
    let mut line = String::new();
    match BufReader::new((&stream).take(MAX_ANSWER)).read_line(&mut line) {
        Ok(0) => return Err(AskError::Gone(ErrorKind::UnexpectedEof.into())),
        Ok(_) => {}
        Err(e) => return Err(classify(socket, e)),
    }
    serde_json::from_str(&line).map_err(|e| {
        AskError::Failed(CliError::invalid(
            socket,
            format!("bad answer from the session: {e}"),
        ))
    })
}

/// An I/O error on `socket` as an [`AskError`].
fn classify(socket: &Path, error: std::io::Error) -> AskError {
    match error.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => AskError::NotAnswering,
        _ if is_gone(&error) => AskError::Gone(error),
        _ => AskError::Failed(CliError::io(socket, error)),
    }
}

/// Refuses a server that is not the user whose directory holds its socket (the
/// directory's checks make this impossible; a second lock on the same door).
fn check_server(session: &SessionSocket, stream: &UnixStream) -> Result<(), AskError> {
    match rustix::net::sockopt::socket_peercred(stream) {
        Ok(peer) if peer.uid.as_raw() == session.owner => Ok(()),
        Ok(peer) => Err(AskError::Failed(CliError::invalid(
            &session.path,
            format!(
                "the session runs as uid {}, not as uid {} who owns its directory; not asked",
                peer.uid.as_raw(),
                session.owner
            ),
        ))),
        Err(e) => Err(AskError::Failed(CliError::invalid(
            &session.path,
            format!("the session's credentials cannot be read: {e}"),
        ))),
    }
}

/// The session `id` (any the caller may see), or with `None` the only one in the
/// caller's own directory.
pub fn find_session(id: Option<u32>) -> Result<SessionSocket, CliError> {
    if let Some(id) = id {
        return sessions()?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| CliError::new(format!("no running session {id} (see `cray ps`)")));
    }
    let own = SocketDir {
        path: socket_dir::own()?,
        owner: rustix::process::geteuid().as_raw(),
    };
    let mut found = sessions_in(&own, true);
    match found.len() {
        0 => Err(CliError::new("no running cray session")),
        1 => Ok(found.remove(0)),
        _ => {
            found.sort_by_key(|s| s.id);
            Err(CliError::new(format!(
                "{} sessions are running ({}); choose one with --session",
                found.len(),
                found
                    .iter()
                    .map(|s| s.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    }
}

/// Whether `session` has ended, or is ending (its process gone or a zombie, or its
/// socket removed): waits a moment, as a session that closed a connection is about
/// to be.
pub fn session_ended(session: &SessionSocket) -> bool {
    let until = Instant::now() + Duration::from_secs(1);
    loop {
        if !session.path.exists() || !process_running(session.id) {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether the host process `pid` exists and has not exited (a zombie has).
fn process_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in brackets and may hold any
        // character.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_none_or(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => false,
    }
}
