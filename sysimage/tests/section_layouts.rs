//! The sections beside the kernel state are encoded from chkpnt's own records
//! (summary, parent, open-files list, file records; the exited-memory section is a
//! `u64`). They hold only primitives, and postcard writes no field names: a field
//! added to one of them would change every image's bytes. These are the bytes fixed
//! sample values encode to, written out by hand from postcard's rules (varints,
//! length-prefixed strings and sequences, enum variants by index), so such a change
//! fails here.

use cray_chkpnt::incremental::ParentRef;
use cray_chkpnt::{ImageKind, ImageSummary};
use cray_sysimage::file_policy::FileRecord;
use cray_sysimage::system_image::FileIdentity;

fn encoded<T: serde::Serialize>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).unwrap()
}

#[test]
fn the_summary_is_model_kind_pids_jid_cycle_and_writer() {
    let summary = ImageSummary {
        model: "xmp".into(),
        kind: ImageKind::Job,
        pids: vec![1, 2],
        jid: 1,
        cycle: 300,
        created_by: "cray".into(),
    };
    let bytes = [
        3, b'x', b'm', b'p', // model
        1,    // kind: Job
        2, 1, 2, // pids
        1, // jid
        0xac, 0x02, // cycle 300
        4, b'c', b'r', b'a', b'y', // created_by
    ];
    assert_eq!(encoded(&summary), bytes);
    assert_eq!(encoded(&ImageKind::Process), [0]);
}

#[test]
fn the_parent_is_name_header_checksum_and_cycle() {
    let parent = ParentRef {
        name: "a.chk".into(),
        header_checksum: 0x102,
        cycle: 5,
    };
    let bytes = [5, b'a', b'.', b'c', b'h', b'k', 0x82, 0x02, 5];
    assert_eq!(encoded(&parent), bytes);
}

#[test]
fn an_open_files_entry_is_path_existed_size_mtime_hash_and_carried() {
    let identity = FileIdentity {
        path: "f".into(),
        existed: true,
        size: 1,
        mtime_ns: 2,
        content_hash: 3,
        carried: false,
    };
    assert_eq!(encoded(&vec![identity]), [1, 1, b'f', 1, 1, 2, 3, 0]);
}

#[test]
fn a_file_record_is_path_device_and_inode() {
    let record = FileRecord {
        path: "f".into(),
        device: 1,
        inode: 0x80,
    };
    assert_eq!(encoded(&vec![record]), [1, 1, b'f', 1, 0x80, 0x01]);
}

#[test]
fn the_exited_memory_section_is_one_u64() {
    assert_eq!(encoded(&0x80u64), [0x80, 0x01]);
}
