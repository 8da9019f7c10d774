//! Checkpoint and restart of one memory field against the raw disk speed of the same bytes.
//!
//! For memory fields of 1 MW and 8 MW (64-bit words), each group `checkpoint/<size>` has:
//!
//! The three writes are timed in pairs: each timed write follows an untimed write of
//! the image (for the raw ones) or of the raw bytes (for the image), so both meet the
//! same state of the disk.
//!
//! - `write_image`: `ImageWriter` with a summary, a small postcard state section and one
//!   memory section, `write_atomic` to the same path in a temporary directory every
//!   iteration (so each image replaces the previous one). This includes converting the
//!   words to big-endian bytes, checksumming, fsync of the file, the rename and the
//!   fsync of the directory.
//! - `raw_write`: `File::create` (truncating the previous file) + `write_all` of a byte
//!   buffer prepared beforehand, of the image's length, + `sync_all`. No conversion, no
//!   checksum, no rename: the disk cost alone.
//! - `raw_write_rename`: as `raw_write` but into a temporary file that is then renamed
//!   over the target, followed by an fsync of the directory: the same system calls as
//!   `write_atomic`, without the format's work.
//! - `restore_image`: `Image::open` (reads and verifies everything) + `take_memory(0)`.
//!   Above 512 KW the restore converts on a second thread while it reads (see
//!   `cray_chkpnt`'s `load` module for the figures), so it uses both cores and
//!   `raw_read` one: at 8 MW the restore is the faster of the two.
//! - `raw_read`: `std::fs::read` of a file of the image's length (bytes only).
//! - `raw_read_words`: `std::fs::read` + conversion of the whole buffer into a zeroed
//!   `Vec<u64>` of big-endian words by one vectorisable loop: the naive restore without
//!   `unsafe` (two buffers of the full size, no checksum).
//!
//! - `restore_image_cold`, `raw_read_cold`: the same reads after the file's pages were
//!   dropped from the page cache (`posix_fadvise(DONTNEED)`, outside the timed part):
//!   the case of a restart after a crash or on another host, which reads the disk.
//!
//! The other reads are from the page cache (the files were just written), so they
//! measure copies and the CPU work, not the disk: `raw_read` of 1 MW is one `memcpy`.
//! Throughput is the image length in bytes.
//!
//! Group `incremental/<size>`: periodic checkpoints of a job that stored into 1 % of its
//! pages since the last one (a full image of the field is the parent):
//! - `fingerprint`: `FieldPrint::of`, the pass over memory that finds the changed pages;
//! - `write_delta`: fingerprint the field, then write an incremental image of the
//!   changed pages atomically (what `save_incremental` does), to compare with
//!   `checkpoint/write_image` of the same size;
//! - `restore_delta`: open the incremental image and put the field together through its
//!   parent (`memory_fields`: reads the parent whole, applies the pages, checks the
//!   field's checksum), to compare with `checkpoint/restore_image`.

use cray_chkpnt::incremental::{memory_fields, FieldPrint, ParentRef};
use cray_chkpnt::{Image, ImageKind, ImageSummary, ImageWriter, WrittenImage};
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use serde::Serialize;
use std::fs::{self, File};
use std::hint::black_box;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// Memory field sizes in words: 1 MW and 8 MW.
const SIZES: [(usize, &str); 2] = [(1 << 20, "1MW"), (8 << 20, "8MW")];

/// Stands for the emulator's snapshot: a few registers and a file table.
#[derive(Serialize)]
struct State {
    p: u32,
    a: [u32; 8],
    s: [u64; 8],
    files: Vec<String>,
}

fn summary() -> ImageSummary {
    ImageSummary {
        model: "X-MP/48".into(),
        kind: ImageKind::Process,
        pids: vec![0o12],
        jid: 0o3,
        cycle: 0o1234567,
        created_by: "cray-benches".into(),
    }
}

fn state() -> State {
    State {
        p: 0o1000,
        a: [0o7; 8],
        s: [0o1777_7777_7777; 8],
        files: vec!["$IN".into(), "$OUT".into()],
    }
}

/// Memory that is not all zeros, so nothing along the way can take a shortcut.
fn memory(words: usize) -> Vec<u64> {
    (0..words as u64)
        .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .collect()
}

fn write_image(path: &Path, words: &[u64]) -> u64 {
    let mut w = ImageWriter::new(summary());
    w.add_state(1, &state()).expect("encode state");
    w.add_memory(0, words);
    w.write_atomic(path).expect("write image").bytes
}

fn raw_write(path: &Path, bytes: &[u8]) {
    let mut f = File::create(path).expect("create");
    f.write_all(bytes).expect("write");
    f.sync_all().expect("fsync");
}

fn raw_write_rename(dir: &Path, path: &Path, bytes: &[u8]) {
    let temp = dir.join(".raw.tmp");
    raw_write(&temp, bytes);
    fs::rename(&temp, path).expect("rename");
    File::open(dir)
        .expect("open dir")
        .sync_all()
        .expect("fsync dir");
}

/// Drops `path`'s pages from the page cache, so the next read comes from the disk. The
/// file was fsynced when written, so its pages are clean and the kernel can drop them.
fn evict(path: &Path) {
    let file = File::open(path).expect("open for fadvise");
    rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed).expect("fadvise");
}

fn restore(path: &Path) -> Vec<u64> {
    let mut image = Image::open(path).expect("open image");
    image.take_memory(0).expect("memory")
}

/// Time of `iters` runs of `timed`, each after an untimed run of `partner`.
fn paired(iters: u64, partner: impl Fn(), timed: impl Fn()) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        partner();
        let started = Instant::now();
        timed();
        total += started.elapsed();
    }
    total
}

fn checkpoint(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let image_path = dir.path().join("image.chk");
    let raw_path = dir.path().join("raw.bin");
    let mut group = c.benchmark_group("checkpoint");
    group.sample_size(20);
    for (words, name) in SIZES {
        let mem = memory(words);
        let image_len = write_image(&image_path, &mem);
        let bytes: Vec<u8> = (0..image_len).map(|i| i as u8).collect();
        raw_write(&raw_path, &bytes);
        group.throughput(Throughput::Bytes(image_len));

        // Paired: each timed write follows an untimed write of the other kind, so the
        // image and the raw bytes meet the same disk (fsync times on a shared virtual
        // disk drift by 15 % over a minute, more than the difference measured).
        let image_write = || {
            write_image(&image_path, black_box(&mem));
        };
        let plain_write = || raw_write(&raw_path, black_box(&bytes));
        let renamed_write = || raw_write_rename(dir.path(), &raw_path, black_box(&bytes));
        group.bench_function(BenchmarkId::new("write_image", name), |b| {
            b.iter_custom(|iters| paired(iters, plain_write, image_write))
        });
        group.bench_function(BenchmarkId::new("raw_write", name), |b| {
            b.iter_custom(|iters| paired(iters, image_write, plain_write))
        });
        group.bench_function(BenchmarkId::new("raw_write_rename", name), |b| {
            b.iter_custom(|iters| paired(iters, image_write, renamed_write))
        });

        let mut check = Image::open(&image_path).expect("open image");
        assert_eq!(check.take_memory(0).expect("memory"), mem);
        group.bench_function(BenchmarkId::new("restore_image", name), |b| {
            b.iter(|| restore(&image_path))
        });
        group.bench_function(BenchmarkId::new("raw_read", name), |b| {
            b.iter(|| fs::read(&raw_path).expect("read"))
        });
        group.bench_function(BenchmarkId::new("raw_read_words", name), |b| {
            b.iter(|| {
                let bytes = fs::read(&raw_path).expect("read");
                let mut words = vec![0u64; bytes.len() / 8];
                for (w, b) in words.iter_mut().zip(bytes.chunks_exact(8)) {
                    *w = u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
                }
                words
            })
        });
        group.bench_function(BenchmarkId::new("restore_image_cold", name), |b| {
            b.iter_batched(
                || evict(&image_path),
                |()| restore(&image_path),
                BatchSize::PerIteration,
            )
        });
        group.bench_function(BenchmarkId::new("raw_read_cold", name), |b| {
            b.iter_batched(
                || evict(&raw_path),
                |()| fs::read(&raw_path).expect("read"),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

/// Writes an incremental image of `now` on the image `parent` (at `parent_path`, whose
/// field was printed as `then`); the bytes written.
fn write_delta(
    path: &Path,
    now: &[u64],
    then: &FieldPrint,
    parent_path: &Path,
    parent: WrittenImage,
) -> u64 {
    let print = FieldPrint::of(now);
    let pages = then.changed_pages(&print).expect("same length");
    let mut w = ImageWriter::new(summary());
    w.add_state(1, &state()).expect("encode state");
    w.parent(&ParentRef {
        name: parent_path
            .file_name()
            .expect("a file")
            .to_string_lossy()
            .into(),
        header_checksum: parent.header_checksum,
        cycle: 0,
    })
    .expect("encode parent");
    w.add_memory_delta(0, now, pages, print.checksum());
    w.write_atomic(path).expect("write image").bytes
}

fn incremental(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let parent_path = dir.path().join("parent.chk");
    let delta_path = dir.path().join("delta.chk");
    let mut group = c.benchmark_group("incremental");
    group.sample_size(20);
    for (words, name) in SIZES {
        let then = memory(words);
        let mut w = ImageWriter::new(summary());
        w.add_state(1, &state()).expect("encode state");
        w.add_memory(0, &then);
        let parent = w.write_atomic(&parent_path).expect("write parent");
        let then_print = FieldPrint::of(&then);
        // One word changed in every hundredth page.
        let mut now = then.clone();
        for page in (0..words / 512).step_by(100) {
            now[page * 512 + 7] ^= 1;
        }
        let delta_len = write_delta(&delta_path, &now, &then_print, &parent_path, parent);
        let mut check = Image::open(&delta_path).expect("open delta");
        assert_eq!(memory_fields(&mut check, &[0]).expect("field")[&0], now);
        group.throughput(Throughput::Bytes(words as u64 * 8));
        group.bench_function(BenchmarkId::new("fingerprint", name), |b| {
            b.iter(|| FieldPrint::of(black_box(&now)))
        });
        group.bench_function(BenchmarkId::new("write_delta", name), |b| {
            b.iter(|| write_delta(&delta_path, &now, &then_print, &parent_path, parent))
        });
        group.bench_function(BenchmarkId::new("restore_delta", name), |b| {
            b.iter(|| {
                let mut image = Image::open(&delta_path).expect("open delta");
                memory_fields(&mut image, &[0]).expect("field")
            })
        });
        black_box(delta_len);
    }
    group.finish();
}

criterion_group!(benches, checkpoint, incremental);
criterion_main!(benches);
