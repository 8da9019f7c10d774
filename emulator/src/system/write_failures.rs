//! Writes to the host that failed: the guest is told (an errno, or the COS error
//! status of its request), and the driver reports each failing place once.
//!
//! A full disk or a file size limit (`ulimit -f`) must not lose a job's output
//! silently: the guest's write fails as it would on UNICOS, and `cray` says on its
//! standard error what the host said. A job that goes on writing to a full disk
//! would repeat the report at every write; one per place is enough.

use super::host_files::HostWriteError;
use super::{Foreign, Pid, System};
use std::collections::BTreeSet;

/// Failed host writes not yet reported, and the places already reported.
#[derive(Clone, Debug, Default)]
pub(crate) struct WriteFailures {
    /// Places ("standard output", a file name) whose failure was reported.
    reported: BTreeSet<String>,
    /// Reports the driver has not taken yet.
    pending: Vec<String>,
}

impl<F: Foreign> System<F> {
    /// A write of `pid` to `place` failed on the host; `told` says what the guest got
    /// ("ENOSPC (28)", "the F$BIO error bit"). Reported once per place; a reader of
    /// standard output that went away (EPIPE) is not worth a report.
    pub(crate) fn host_write_failed(
        &mut self,
        pid: Pid,
        place: &str,
        failure: &HostWriteError,
        told: &str,
    ) {
        if failure.error.kind() == std::io::ErrorKind::BrokenPipe {
            return;
        }
        if !self.write_failures.reported.insert(place.to_string()) {
            return;
        }
        self.write_failures.pending.push(format!(
            "pid {pid}: a write to {place} failed after {} bytes: {}; the job got {told} (reported once)",
            failure.written, failure.error
        ));
    }

    /// The host write failures not yet reported, oldest first (the driver prints
    /// them).
    pub fn take_write_failures(&mut self) -> Vec<String> {
        std::mem::take(&mut self.write_failures.pending)
    }
}
