//! The host's standard input as the guest's terminal, read only once `poll` says a
//! read will not block, so the session never blocks on it: a job waiting for keyboard
//! input still answers `cray ps` and `cray chkpnt`, and SIGTERM or SIGUSR1 still
//! checkpoint it.
//!
//! Nothing reads ahead and no read is ever left waiting: every byte cray takes from
//! the host is handed to the guest before the session does anything else, so what
//! cray has taken is what the guest has read (and a checkpoint carries), and the rest
//! stays with the kernel. A restart given the same descriptor
//! (`{ cray run --stop-at ..; cray restart ..; } < input`) reads on from the first
//! byte nobody has seen. (A reading thread blocked in `read` could not promise that:
//! bytes arriving while the session checkpoints and stops would go to a read whose
//! result nobody takes.)

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

/// Bytes asked of the host at a time.
const CHUNK: usize = 64 * 1024;

/// What one read gave: bytes (none at end of file) or the error.
pub type Reply = io::Result<Vec<u8>>;

/// The host descriptor the guest's terminal reads from.
pub struct HostInput {
    source: OwnedFd,
    buffer: Vec<u8>,
}

impl HostInput {
    /// The host's standard input (a duplicate of descriptor 0, which shares its file
    /// position, so the bytes it reads are gone for every other reader too).
    pub fn stdin() -> io::Result<HostInput> {
        Ok(HostInput::new(io::stdin().as_fd().try_clone_to_owned()?))
    }

    /// Reads from `source`.
    pub fn new(source: OwnedFd) -> HostInput {
        HostInput {
            source,
            buffer: vec![0; CHUNK],
        }
    }

    /// Waits at most `wait` for input, and reads what there is once a read will not
    /// block (bytes, end of file or an error). `None` when the wait ran out or a host
    /// signal cut it short: nothing was read.
    pub fn poll(&mut self, wait: Duration) -> Option<Reply> {
        let timeout = Timespec {
            tv_sec: wait.as_secs().try_into().unwrap_or(i64::MAX),
            tv_nsec: wait.subsec_nanos().into(),
        };
        let mut watched = [PollFd::new(&self.source, PollFlags::IN)];
        match poll(&mut watched, Some(&timeout)) {
            Ok(0) => return None,
            Ok(_) => {}
            // A signal: the session looks at it, then asks again.
            Err(rustix::io::Errno::INTR) => return None,
            Err(error) => return Some(Err(error.into())),
        }
        // Readable, hung up or in error: the read returns at once in every case.
        loop {
            match rustix::io::read(&self.source, &mut self.buffer[..]) {
                Ok(n) => return Some(Ok(self.buffer[..n].to_vec())),
                Err(rustix::io::Errno::INTR) => continue,
                // Another reader of a shared descriptor took the bytes first.
                Err(rustix::io::Errno::AGAIN) => return None,
                Err(error) => return Some(Err(error.into())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    const NO_WAIT: Duration = Duration::from_millis(0);

    #[test]
    fn a_wait_that_runs_out_leaves_later_bytes_to_the_next_reader() {
        let (reader, mut writer) = io::pipe().unwrap();
        let mut input = HostInput::new(reader.as_fd().try_clone_to_owned().unwrap());
        assert!(input.poll(Duration::from_millis(20)).is_none());
        // A read left waiting would take these; nothing may.
        writer.write_all(b"typed\n").unwrap();
        drop(writer);
        std::thread::sleep(Duration::from_millis(20));
        drop(input);
        let mut rest = String::new();
        (&reader).read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "typed\n");
    }

    #[test]
    fn waiting_bytes_are_read_then_end_of_file_is_an_empty_reply() {
        let (reader, mut writer) = io::pipe().unwrap();
        let mut input = HostInput::new(reader.into());
        writer.write_all(b"line one\nline two\n").unwrap();
        let bytes = input.poll(NO_WAIT).expect("readable").unwrap();
        assert_eq!(bytes, b"line one\nline two\n");
        assert!(input.poll(NO_WAIT).is_none(), "nothing more yet");
        drop(writer);
        assert_eq!(input.poll(NO_WAIT).expect("end of file").unwrap(), b"");
    }
}
