//! The host's standard input as the guest's terminal, read by a thread of its own so
//! the session never blocks on it: a job waiting for keyboard input still answers
//! `cray ps` and `cray chkpnt`, and SIGTERM or SIGUSR1 still checkpoint it.
//!
//! The thread reads only when asked, one read at a time, and hands over every byte it
//! read, so what cray takes from the host is what the guest has read or the kernel
//! holds (and a checkpoint carries): a restart given the same descriptor
//! (`{ cray run --stop-at ..; cray restart ..; } < input`) reads on from the first
//! byte nobody has seen.

use std::io::Read;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::Duration;

/// Bytes asked of the host's standard input at a time: more than the standard
/// library's stdin buffer (8 KiB), so each read goes straight to the descriptor and
/// nothing stays behind in a buffer that a stopped cray would take with it.
const CHUNK: usize = 64 * 1024;

/// What one read gave: bytes (none at end of file) or the error.
pub type Reply = std::io::Result<Vec<u8>>;

/// The reading thread and the one request that may be outstanding.
pub struct HostInput {
    requests: Sender<()>,
    replies: Receiver<Reply>,
    outstanding: bool,
}

impl HostInput {
    /// Starts the thread; it waits for the first request.
    pub fn start() -> HostInput {
        let (requests, asked) = channel::<()>();
        let (answer, replies) = channel::<Reply>();
        std::thread::spawn(move || {
            let mut buffer = vec![0u8; CHUNK];
            while asked.recv().is_ok() {
                let reply = loop {
                    match std::io::stdin().read(&mut buffer) {
                        // A host signal is no end of input.
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        other => break other.map(|n| buffer[..n].to_vec()),
                    }
                };
                if answer.send(reply).is_err() {
                    break;
                }
            }
        });
        HostInput {
            requests,
            replies,
            outstanding: false,
        }
    }

    /// Asks for input (unless already asked) and waits at most `wait` for it.
    pub fn poll(&mut self, wait: Duration) -> Option<Reply> {
        if !self.outstanding {
            if self.requests.send(()).is_err() {
                return Some(Ok(Vec::new()));
            }
            self.outstanding = true;
        }
        match self.replies.recv_timeout(wait) {
            Ok(reply) => {
                self.outstanding = false;
                Some(reply)
            }
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                self.outstanding = false;
                Some(Ok(Vec::new()))
            }
        }
    }

    /// What an outstanding read has already given, without waiting (taken before a
    /// checkpoint, so bytes read from the host are in the image).
    pub fn ready(&mut self) -> Option<Reply> {
        if !self.outstanding {
            return None;
        }
        match self.replies.try_recv() {
            Ok(reply) => {
                self.outstanding = false;
                Some(reply)
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.outstanding = false;
                Some(Ok(Vec::new()))
            }
        }
    }
}
