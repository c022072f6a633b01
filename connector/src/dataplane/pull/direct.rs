//! Writing a download past the page cache (`O_DIRECT`) where the filesystem allows it.
//!
//! Written through the page cache, every byte of a download is copied into cache pages the
//! kernel allocates for it, written back by its flusher threads and waited for again by the
//! `fsync` before the rename. On the two-core machine of the transfer benchmark that copy
//! and its bookkeeping were a fifth of the consumer's CPU time, and more when the pages are
//! new to a virtual machine (BENCHMARKS.md, transfer section). With `O_DIRECT` the disk
//! takes the data from a buffer of ours, [`CHUNK`] bytes at a time: one copy into that
//! buffer, no dirty pages, nothing left for the final `fsync` but the device's cache.
//!
//! Direct I/O wants the buffer, the file offset and the length aligned to the device's
//! blocks ([`ALIGN`] covers 512-byte and 4 KiB ones). What is not aligned goes through the
//! page cache on a second descriptor of the same file: the head of a download resumed in
//! the middle of a block and the tail of a file whose size is no multiple of [`ALIGN`]. The
//! ranges never overlap, and the final `fsync` covers both.
//!
//! Filesystems without direct I/O refuse the flag when the file is opened, or (some network
//! and FUSE filesystems) the first write with `EINVAL`: the writer then writes what it holds
//! through the page cache and goes on that way.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Alignment of the buffer, offsets and lengths of direct writes.
pub(super) const ALIGN: usize = 4096;
/// Bytes gathered before a direct write: the disk of the benchmark machine writes 1 MiB
/// direct writes at ~700 MiB/s and 4 MiB ones at ~1 GiB/s (`dd oflag=direct`).
pub(super) const CHUNK: usize = 4 << 20;

/// How a [`DiskWriter`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    /// Past the page cache where the filesystem allows it.
    Direct,
    /// Through the page cache (`dataplane.direct_writes = false`).
    Buffered,
    /// Direct writes from a buffer one byte off alignment, which the kernel refuses with
    /// `EINVAL`: the fallback of a filesystem that takes the flag but not the write.
    #[cfg(test)]
    MisalignedDirect,
}

/// Writes a file from a given offset on, sequentially.
pub(super) struct DiskWriter {
    /// The file through the page cache: unaligned head and tail, the fallback, `fsync`.
    buffered: File,
    /// The same file opened with `O_DIRECT`, while direct writes work.
    direct: Option<File>,
    /// `CHUNK + ALIGN` bytes: the aligned window `[start, start + CHUNK)` gathers data.
    chunk: Vec<u8>,
    start: usize,
    /// Bytes gathered in the window.
    filled: usize,
    /// The file offset of the window's first byte (everything before it is written).
    pos: u64,
}

impl DiskWriter {
    /// A writer continuing `buffered` (the file at `path`) at offset `pos`.
    pub(super) fn new(buffered: File, path: &Path, pos: u64, mode: Mode) -> Self {
        let direct = match mode {
            Mode::Buffered => None,
            _ => open_direct(path),
        };
        let chunk = if direct.is_some() {
            vec![0u8; CHUNK + ALIGN]
        } else {
            Vec::new()
        };
        #[allow(unused_mut)]
        let mut start = chunk.as_ptr().align_offset(ALIGN).min(ALIGN);
        #[cfg(test)]
        if mode == Mode::MisalignedDirect {
            start = (start + 1) % ALIGN;
        }
        Self {
            buffered,
            direct,
            chunk,
            start,
            filled: 0,
            pos,
        }
    }

    /// Whether data still goes past the page cache.
    pub(super) fn is_direct(&self) -> bool {
        self.direct.is_some()
    }

    /// Writes `data` after what was written so far.
    pub(super) fn write(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            if self.direct.is_none() {
                self.buffered.write_all_at(data, self.pos)?;
                self.pos += data.len() as u64;
                return Ok(());
            }
            let misaligned = (self.pos % ALIGN as u64) as usize;
            if self.filled == 0 && misaligned != 0 {
                // Up to the next aligned offset through the page cache.
                let n = data.len().min(ALIGN - misaligned);
                self.buffered.write_all_at(&data[..n], self.pos)?;
                self.pos += n as u64;
                data = &data[n..];
                continue;
            }
            let n = data.len().min(CHUNK - self.filled);
            let at = self.start + self.filled;
            self.chunk[at..at + n].copy_from_slice(&data[..n]);
            self.filled += n;
            data = &data[n..];
            if self.filled == CHUNK {
                self.write_chunk()?;
            }
        }
        Ok(())
    }

    /// Writes what is still held and hands back the file (for `fsync`) and its size.
    pub(super) fn finish(mut self) -> io::Result<(File, u64)> {
        self.write_chunk()?;
        if self.filled > 0 {
            let held = &self.chunk[self.start..self.start + self.filled];
            self.buffered.write_all_at(held, self.pos)?;
            self.pos += self.filled as u64;
        }
        Ok((self.buffered, self.pos))
    }

    /// Writes the window's whole blocks directly and keeps the rest (less than [`ALIGN`]
    /// bytes) at its start; when the filesystem refuses, writes all it holds through the
    /// page cache and stays with it.
    fn write_chunk(&mut self) -> io::Result<()> {
        let whole = self.filled / ALIGN * ALIGN;
        if whole == 0 {
            return Ok(());
        }
        let window = &self.chunk[self.start..self.start + self.filled];
        let written = match &self.direct {
            Some(direct) => direct.write_all_at(&window[..whole], self.pos),
            None => Err(io::Error::from_raw_os_error(libc::EINVAL)),
        };
        match written {
            Ok(()) => {
                self.chunk
                    .copy_within(self.start + whole..self.start + self.filled, self.start);
                self.filled -= whole;
                self.pos += whole as u64;
            }
            // A refused (or cut short, then refused) direct write: the same bytes again,
            // through the page cache.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                tracing::debug!("direct writes refused ({e}); writing through the page cache");
                self.direct = None;
                self.buffered.write_all_at(window, self.pos)?;
                self.pos += self.filled as u64;
                self.filled = 0;
                self.chunk = Vec::new();
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }
}

/// The file opened for direct writes, or nothing where the filesystem or system has none.
fn open_direct(path: &Path) -> Option<File> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_DIRECT)
            .open(path)
            .ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        // The build's target folder: the same (disk) filesystem the connectors' data lives
        // on in the tests, not a tmpfs.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/unit-tmp");
        std::fs::create_dir_all(&dir).expect("temp folder");
        dir.join(format!("direct-{}-{name}", std::process::id()))
    }

    fn has_direct_io() -> bool {
        let path = temp("probe");
        std::fs::write(&path, b"").expect("probe");
        let direct = open_direct(&path).is_some();
        let _ = std::fs::remove_file(&path);
        direct
    }

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i % 251) as u8 ^ seed.wrapping_mul(31))
            .collect()
    }

    /// Writes `head` bytes first (as a kept part of an earlier attempt), then `pieces` from
    /// a writer in `mode`; returns the file's content and whether it stayed direct.
    fn write_in(mode: Mode, name: &str, head: usize, pieces: &[usize]) -> (Vec<u8>, Vec<u8>, bool) {
        let path = temp(name);
        let mut expected = pattern(head, 7);
        std::fs::write(&path, &expected).expect("head");
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open");
        let mut writer = DiskWriter::new(file, &path, head as u64, mode);
        for (i, &len) in pieces.iter().enumerate() {
            let piece = pattern(len, i as u8);
            writer.write(&piece).expect("write");
            expected.extend_from_slice(&piece);
        }
        let direct = writer.is_direct();
        let (file, size) = writer.finish().expect("finish");
        file.sync_all().expect("sync");
        assert_eq!(size, expected.len() as u64);
        let written = std::fs::read(&path).expect("read");
        let _ = std::fs::remove_file(&path);
        (written, expected, direct)
    }

    // Pieces of the sizes a download hands over, around the chunk and alignment boundaries.
    const PIECES: [usize; 7] = [
        1 << 20,
        3 * (1 << 20) + 5,
        1 << 20,
        17,
        CHUNK,
        CHUNK - 1,
        4093,
    ];

    #[test]
    fn direct_writes_keep_every_byte_with_an_unaligned_head_and_tail() {
        let (written, expected, direct) = write_in(Mode::Direct, "direct", 5000, &PIECES);
        assert!(
            written == expected,
            "the file differs from what was written"
        );
        // Where the filesystem has direct I/O (ext4 on the CI machine), no write fell back.
        assert_eq!(direct, has_direct_io(), "fell back to the page cache");
    }

    #[test]
    fn from_an_aligned_start_and_from_the_beginning() {
        for head in [0, ALIGN, CHUNK] {
            let (written, expected, _) = write_in(Mode::Direct, "aligned", head, &PIECES[..3]);
            assert!(written == expected, "head {head}: the file differs");
        }
    }

    #[test]
    fn a_refused_direct_write_falls_back_without_losing_bytes() {
        let (written, expected, direct) = write_in(Mode::MisalignedDirect, "refused", 100, &PIECES);
        assert!(
            written == expected,
            "the file differs from what was written"
        );
        assert!(!direct, "a misaligned direct write must have been refused");
        // The refusal was the kernel's only where the file could be opened for direct I/O.
        assert!(
            has_direct_io(),
            "this filesystem has no direct I/O: the refusal was not exercised"
        );
    }

    #[test]
    fn buffered_writes_are_the_same_file() {
        let (written, expected, direct) = write_in(Mode::Buffered, "buffered", 5000, &PIECES);
        assert!(written == expected && !direct);
    }
}
