//! Fuzz harness bodies, shared by the `fuzz/` crate's cargo-fuzz targets and the
//! workspace test that replays their saved corpora (`cli/tests/fuzz_corpus.rs`), so a
//! crash found by the fuzzer is caught again on stable by the same code.
//!
//! Each entry must return normally for every input: an error is a fine answer, a
//! panic, a hang or an allocation out of proportion to the input is a bug.

use crate::file_policy::file_records;
use crate::system_image::{decode_system, file_identities};
use cray_chkpnt::Image;
use cray_emulator::saved;
use std::collections::BTreeMap;

/// Reads `data` as a checkpoint image and, since a mutated image rarely gets past
/// its checksums, also as a bare kernel state section (see [`kernel_state`]).
pub fn image(data: &[u8]) {
    whole_image(data);
    kernel_state(data);
}

/// Decodes `data` as the kernel state section of an image, in every saved version
/// this build reads (their frozen types, then the migrations), and checks it as
/// restart does before it touches anything.
pub fn kernel_state(data: &[u8]) {
    for version in 1..=saved::STATE_VERSION {
        if let Ok(system) = saved::decode(version, data, BTreeMap::new()) {
            let _ = system.check_consistency();
        }
    }
}

/// Reads `data` as a checkpoint image, as `cray restart` and `cray inspect` do before
/// any host file is looked at: header, section table, checksums, the kernel state and
/// its consistency check, the COS decks, the open-file lists and every memory field.
fn whole_image(data: &[u8]) {
    let Ok(image) = Image::from_bytes(data, "fuzz.img") else {
        return;
    };
    let _ = image.summary();
    let _ = file_identities(&image);
    let _ = file_records(&image);
    for info in image.sections() {
        let _ = image.section(info.kind, info.id);
    }
    let Ok(system) = decode_system(&image) else {
        return;
    };
    for pid in system.processes.keys() {
        let _ = image.memory(*pid);
    }
}
