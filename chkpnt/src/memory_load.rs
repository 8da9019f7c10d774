//! Reading an uncompressed memory section into words: a chunk at a time, each chunk
//! checksummed as soon as it is read and converted straight into its place among the
//! words, so restoring a large memory never holds it twice.
//!
//! Above 512 KW the conversion runs on a second thread
//! while this one reads and checksums the next chunk (the mirror of `pipeline`); above
//! 4 MW this thread also converts every other chunk, because the converter alone then
//! spends most of its time faulting in the fresh pages of the words. Where the words
//! come from reused heap they are reserved, not zeroed all at once (that was 10 % of a
//! restore of 1 MW): each chunk's words are zeroed just before they are converted
//! (`words::append_be_words`), so the conversion finds them in the cache.
//!
//! Criterion on the 2-core test machine (shared with other builds, so ±10 %), restore
//! of an image against `std::fs::read` of as many bytes from the page cache:
//! 1 MW 1.01-1.16 ms against 0.30-0.35 ms (one thread, words zeroed: 1.43-1.50 ms);
//! 8 MW 30.4-32.7 ms against 37-40 ms (one thread: 42.3-42.8 ms). At 1 MW the reader
//! is the limit: the kernel's copy and the checksum (about 0.35 and 0.3 ms) stay on
//! one thread (with the checksum on the converter, which reads each chunk from the
//! other core's cache, the restore was 30 % slower). At 8 MW the words are mapped
//! afresh (glibc maps every block of 32 MiB or more), and the page faults, which
//! `fs::read` pays on one thread, are shared by two.

use crate::error::ImageError;
use crate::load::read_exact;
use crate::words::{append_be_words, be_words_into};
use std::io::{self, Read};
use std::path::Path;
use std::sync::mpsc;
use xxhash_rust::xxh3::Xxh3Default;

/// Bytes read per step of a memory section: small enough that the first and last
/// chunks, which the two threads do not share, are short. Restoring 1 MW took 1.4 ms
/// with 128 KiB chunks (hand-overs between the threads), at best 0.93 ms with 1 MiB
/// ones and 0.85 ms with these.
const CHUNK_BYTES: usize = 256 * 1024;
/// Memory sections of more bytes than this (512 KW) are converted on a second thread;
/// below, starting the thread costs more than it saves (4 KW: 11 us here, 42 us
/// beside; 256 KW: 0.30 and 0.40 ms; 512 KW: both 0.6 ms).
const BESIDE_ABOVE_BYTES: usize = 4 * 1024 * 1024;
/// Memory sections of more bytes than this (4 MW) are converted by both threads: the
/// words are then allocated from fresh pages of the kernel, and faulting them in costs
/// more than reading and checksumming them, so this thread takes a share.
const SHARE_ABOVE_BYTES: usize = 32 * 1024 * 1024;
/// Of every this many chunks of such a section, this thread converts one.
const SHARE_EVERY: usize = 2;
/// Chunk buffers in flight between the reader and the converter.
const BUFFERS: usize = 4;

/// Reads `bytes` (a multiple of 8) of big-endian words from `r`; returns them and the
/// xxh3-64 of the bytes. `buf` is a chunk buffer kept between sections.
pub(crate) fn load_words<R: Read>(
    file: &Path,
    r: &mut R,
    what: &str,
    bytes: u64,
    len: u64,
    buf: &mut Vec<u8>,
) -> Result<(Vec<u64>, u64), ImageError> {
    // bytes <= file length was checked, so the words reserved are backed by the file.
    let bytes = bytes as usize;
    let source = &mut Source { file, r, what, len };
    if bytes > SHARE_ABOVE_BYTES {
        if let Some(result) = load_words_shared(source, bytes, buf) {
            return result;
        }
    } else if bytes > BESIDE_ABOVE_BYTES {
        if let Some(result) = load_words_beside(source, bytes, buf) {
            return result;
        }
    }
    load_words_here(source, bytes, buf)
}

/// The section being read: the reader of the image `file` (of `len` bytes) and the
/// section's name, which the errors give.
struct Source<'a, R> {
    file: &'a Path,
    r: &'a mut R,
    what: &'a str,
    len: u64,
}

impl<R: Read> Source<'_, R> {
    /// Fills `buf` with the next bytes of the section.
    fn read(&mut self, buf: &mut [u8]) -> Result<(), ImageError> {
        read_exact(self.file, self.r, buf, self.what, self.len)
    }

    /// The error of a restore whose converting thread ended before its last chunk.
    fn converter_stopped(&self) -> ImageError {
        ImageError::Io {
            file: self.file.to_path_buf(),
            source: io::Error::other("the thread converting memory words stopped early"),
        }
    }
}

/// The checksum and the conversion on this thread, after each chunk is read.
fn load_words_here<R: Read>(
    source: &mut Source<'_, R>,
    bytes: usize,
    buf: &mut Vec<u8>,
) -> Result<(Vec<u64>, u64), ImageError> {
    let mut words = Vec::with_capacity(bytes / 8);
    let mut hasher = Xxh3Default::new();
    let mut remaining = bytes;
    while remaining > 0 {
        let step = remaining.min(CHUNK_BYTES);
        buf.resize(step, 0);
        source.read(buf)?;
        hasher.update(buf);
        append_be_words(&mut words, buf);
        remaining -= step;
    }
    Ok((words, hasher.digest()))
}

/// The conversion on a second thread while this one reads and checksums the next
/// chunk; None when that thread cannot be started (the caller then does it all here).
/// The checksum stays with the read: the chunk is then still in this core's cache, and
/// checksumming on the converter made the restore of 1 MW 30 % slower.
fn load_words_beside<R: Read>(
    source: &mut Source<'_, R>,
    bytes: usize,
    buf: &mut Vec<u8>,
) -> Option<Result<(Vec<u64>, u64), ImageError>> {
    std::thread::scope(|scope| {
        let (filled, to_convert) = mpsc::sync_channel::<Vec<u8>>(BUFFERS);
        let (converted, to_fill) = mpsc::sync_channel::<Vec<u8>>(BUFFERS);
        // Allocated here, not on the converter: glibc would take it from that thread's
        // own arena, which hands large blocks back to the kernel as soon as they are
        // freed, so that every restore would fault its memory in afresh.
        let mut words = Vec::with_capacity(bytes / 8);
        let converter = std::thread::Builder::new()
            .name("chkpnt-restore".into())
            .spawn_scoped(scope, move || {
                // Ends when the reader stops sending, at the end or on an error.
                for chunk in &to_convert {
                    append_be_words(&mut words, &chunk);
                    // The channel has room for every buffer: this cannot block.
                    let _ = converted.send(chunk);
                }
                words
            })
            .ok()?;
        let mut hasher = Xxh3Default::new();
        let mut reader = ChunkReader::new(source, buf, &to_fill);
        let result = reader.read_all(bytes, &mut hasher, |_, chunk| {
            filled.send(chunk).map(|()| None).map_err(drop)
        });
        drop(filled);
        let joined = converter.join();
        *buf = reader.spare();
        Some(result.and_then(|()| match joined {
            Ok(words) if words.len() * 8 == bytes => Ok((words, hasher.digest())),
            _ => Err(source.converter_stopped()),
        }))
    })
}

/// As `load_words_beside`, but this thread also converts one chunk in `SHARE_EVERY`.
fn load_words_shared<R: Read>(
    source: &mut Source<'_, R>,
    bytes: usize,
    buf: &mut Vec<u8>,
) -> Option<Result<(Vec<u64>, u64), ImageError>> {
    // So large a block is mapped afresh by glibc's calloc, already zero and not yet
    // touched: each page is first written by the conversion.
    let mut words = vec![0u64; bytes / 8];
    let mut hasher = Xxh3Default::new();
    let converted_all = std::thread::scope(|scope| {
        let (filled, to_convert) = mpsc::sync_channel::<Vec<u8>>(BUFFERS);
        let (converted, to_fill) = mpsc::sync_channel::<Vec<u8>>(BUFFERS);
        let is_mine = |index: usize| index % SHARE_EVERY == SHARE_EVERY - 1;
        let (mut mine, mut theirs) = (Vec::new(), Vec::new());
        for (index, dst) in words.chunks_mut(CHUNK_BYTES / 8).enumerate() {
            if is_mine(index) {
                mine.push(dst);
            } else {
                theirs.push(dst);
            }
        }
        let their_count = theirs.len();
        let converter = std::thread::Builder::new()
            .name("chkpnt-restore".into())
            .spawn_scoped(scope, move || {
                let mut done = 0;
                // Ends early when the reader stops sending on an error.
                for (dst, chunk) in theirs.into_iter().zip(&to_convert) {
                    be_words_into(dst, &chunk);
                    done += 1;
                    // The channel has room for every buffer: this cannot block.
                    let _ = converted.send(chunk);
                }
                done
            })
            .ok()?;
        let mut mine = mine.into_iter();
        let mut reader = ChunkReader::new(source, buf, &to_fill);
        let result = reader.read_all(bytes, &mut hasher, |index, chunk| {
            if !is_mine(index) {
                return filled.send(chunk).map(|()| None).map_err(drop);
            }
            if let Some(dst) = mine.next() {
                be_words_into(dst, &chunk);
            }
            Ok(Some(chunk))
        });
        drop(filled);
        let joined = converter.join();
        *buf = reader.spare();
        Some(result.map(|()| matches!(joined, Ok(done) if done == their_count)))
    })?;
    Some(converted_all.and_then(|all| {
        if all {
            Ok((words, hasher.digest()))
        } else {
            Err(source.converter_stopped())
        }
    }))
}

/// The reading side of the two-thread ways: chunk buffers, first its own, then those
/// the converter sends back once it has converted them.
struct ChunkReader<'a, 's, R> {
    source: &'a mut Source<'s, R>,
    free: Vec<Vec<u8>>,
    returned: &'a mpsc::Receiver<Vec<u8>>,
}

impl<'a, 's, R: Read> ChunkReader<'a, 's, R> {
    /// A reader of `source` with `BUFFERS` buffers, `buf` the first.
    fn new(
        source: &'a mut Source<'s, R>,
        buf: &mut Vec<u8>,
        returned: &'a mpsc::Receiver<Vec<u8>>,
    ) -> Self {
        let mut free = vec![std::mem::take(buf)];
        free.resize_with(BUFFERS, Vec::new);
        ChunkReader {
            source,
            free,
            returned,
        }
    }

    /// Reads `bytes` a chunk at a time, checksums each chunk into `hasher`, and gives
    /// it with its index to `hand_over`, which gives the buffer back if it is done
    /// with it, or fails when the converter has stopped (the caller's join then
    /// reports that). The first read error is returned.
    fn read_all(
        &mut self,
        bytes: usize,
        hasher: &mut Xxh3Default,
        mut hand_over: impl FnMut(usize, Vec<u8>) -> Result<Option<Vec<u8>>, ()>,
    ) -> Result<(), ImageError> {
        let mut remaining = bytes;
        let mut index = 0;
        while remaining > 0 {
            // The converter closes its end only by stopping early.
            let Some(mut chunk) = self.free.pop().or_else(|| self.returned.recv().ok()) else {
                break;
            };
            let step = remaining.min(CHUNK_BYTES);
            chunk.resize(step, 0);
            self.source.read(&mut chunk)?;
            hasher.update(&chunk);
            remaining -= step;
            match hand_over(index, chunk) {
                Ok(Some(back)) => self.free.push(back),
                Ok(None) => {}
                Err(()) => break,
            }
            index += 1;
        }
        Ok(())
    }

    /// A buffer to keep for the next section (after the converter has finished).
    fn spare(&mut self) -> Vec<u8> {
        self.free
            .pop()
            .or_else(|| self.returned.try_recv().ok())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::test_words as words;
    use crate::{Image, ImageKind, ImageSummary, ImageWriter};
    use xxhash_rust::xxh3::xxh3_64;

    fn be_bytes(words: &[u64]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    const CHUNK_WORDS: usize = CHUNK_BYTES / 8;

    const WAYS: [&str; 3] = ["here", "beside", "shared"];

    /// The three ways over the same reader; the errors as their messages.
    fn all_ways<R: Read>(
        mut make: impl FnMut() -> R,
        bytes: usize,
        len: u64,
    ) -> [Result<(Vec<u64>, u64), String>; 3] {
        let (file, what) = (Path::new("test.img"), "#1 memory 0");
        let source = |r| Source { file, r, what, len };
        let (mut here, mut beside, mut shared) = (make(), make(), make());
        let here = load_words_here(&mut source(&mut here), bytes, &mut Vec::new());
        let beside = load_words_beside(&mut source(&mut beside), bytes, &mut Vec::new())
            .expect("a thread starts");
        let shared = load_words_shared(&mut source(&mut shared), bytes, &mut Vec::new())
            .expect("a thread starts");
        [here, beside, shared].map(|r| r.map_err(|e| e.to_string()))
    }

    #[test]
    fn all_ways_read_the_same_words_and_checksum() {
        for n in [0, 1, CHUNK_WORDS, 2 * CHUNK_WORDS + 1, 9 * CHUNK_WORDS + 17] {
            let words = words(n);
            let bytes = be_bytes(&words);
            let digest = xxh3_64(&bytes);
            for (way, result) in WAYS.iter().zip(all_ways(|| &bytes[..], bytes.len(), 0)) {
                let (got, got_digest) = result.unwrap();
                assert_eq!(got, words, "{n} words {way}");
                assert_eq!(got_digest, digest, "{n} words {way}");
            }
        }
    }

    #[test]
    fn a_short_file_is_truncated_all_ways() {
        let bytes = be_bytes(&words(6 * CHUNK_WORDS));
        for have in [0, 5, CHUNK_BYTES, 3 * CHUNK_BYTES + 8, bytes.len() - 1] {
            let [here, beside, shared] = all_ways(|| &bytes[..have], bytes.len(), 0o1000);
            let here = here.unwrap_err();
            assert!(here.contains("truncated"), "{here}");
            assert!(here.contains("#1 memory 0"), "{here}");
            assert_eq!(beside.unwrap_err(), here, "{have} bytes beside");
            assert_eq!(shared.unwrap_err(), here, "{have} bytes shared");
        }
    }

    /// Gives `room` bytes of `bytes`, then fails as a failing disk does.
    struct FailsAfter<'a> {
        bytes: &'a [u8],
        room: usize,
    }

    impl Read for FailsAfter<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::Error::other("disk on fire"));
            }
            let n = buf.len().min(self.room).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            self.room -= n;
            Ok(n)
        }
    }

    #[test]
    fn a_read_error_stops_the_converter_and_is_returned() {
        let bytes = be_bytes(&words(6 * CHUNK_WORDS));
        for room in [0, CHUNK_BYTES, 3 * CHUNK_BYTES, 4 * CHUNK_BYTES + 16] {
            let [here, beside, shared] = all_ways(
                || FailsAfter {
                    bytes: &bytes,
                    room,
                },
                bytes.len(),
                0,
            );
            let here = here.unwrap_err();
            assert!(here.contains("disk on fire"), "{here}");
            assert_eq!(beside.unwrap_err(), here, "{room} bytes beside");
            assert_eq!(shared.unwrap_err(), here, "{room} bytes shared");
        }
    }

    /// An image whose memory is restored beside, with one byte of it changed. (The
    /// shared way is chosen only for 4 MW and more, too large for a test here; it
    /// computes the same checksum, as `all_ways_read_the_same_words_and_checksum`
    /// shows, and the comparison with the table is common to all ways.)
    #[test]
    fn a_corrupt_memory_fails_its_checksum_beside() {
        let words = words(BESIDE_ABOVE_BYTES / 8 + 3 * CHUNK_WORDS + 5);
        let summary = ImageSummary {
            model: "X-MP/48".into(),
            kind: ImageKind::Process,
            pids: vec![0o12],
            jid: 0o3,
            cycle: 0o1234567,
            created_by: "load tests".into(),
        };
        let mut w = ImageWriter::new(summary);
        w.add_memory(0, &words);
        let good = w.to_bytes().unwrap();
        let image = Image::from_bytes(&good, "good.img").unwrap();
        assert_eq!(image.memory(0).unwrap(), words);
        let mut bad = good.clone();
        let at = bad.len() - 8 * (2 * CHUNK_WORDS) + 3;
        bad[at] ^= 0o40;
        let e = Image::from_bytes(&bad, "bad.img").unwrap_err();
        assert!(matches!(e, ImageError::SectionChecksum { .. }), "{e}");
    }
}
