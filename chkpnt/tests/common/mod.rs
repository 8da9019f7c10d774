//! Shared helpers for the image tests.
#![allow(dead_code)]

use cray_chkpnt::{ImageKind, ImageSummary};
use serde::{Deserialize, Serialize};

/// A stand-in for the emulator's state, which this crate does not know.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FakeState {
    pub a: [u32; 8],
    pub s: [u64; 8],
    pub name: String,
    pub files: Vec<(String, u64)>,
}

pub fn fake_state() -> FakeState {
    FakeState {
        a: [0o1, 0o2, 0o3, 0o4, 0o5, 0o6, 0o7, 0o77_777_777],
        s: [u64::MAX, 0, 1, 0o1_000_000_000_000_000_000_000, 5, 6, 7, 8],
        name: "vecadd".into(),
        files: vec![("out.txt".into(), 0o1234)],
    }
}

pub fn summary() -> ImageSummary {
    ImageSummary {
        model: "X-MP/48".into(),
        kind: ImageKind::Job,
        pids: vec![2, 3],
        jid: 2,
        cycle: 0o7_654_321,
        created_by: "cray 0.1.0 (test)".into(),
    }
}

/// Words that differ from each other and from their byte swaps.
pub fn words(n: usize, seed: u64) -> Vec<u64> {
    (0..n as u64)
        .map(|i| {
            (i ^ seed)
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .rotate_left(17)
        })
        .collect()
}
