//! The blocking side of a download: one thread hashes, one writes, and a third starts the
//! flush to disk while data still arrives.
//!
//! The network side hands over blocks of [`BLOCK`] bytes; each block goes (shared, not
//! copied) into two small bounded queues, one per thread, so memory stays flat (at most
//! about [`QUEUE`] blocks per queue) and hashing and writing run at the same time. The
//! blocks come from a [`BlockPool`](crate::dataplane::blocks::BlockPool) that takes a block
//! back once both threads have let go of it ([`POOL`] blocks). The writer asks for
//! `fdatasync` of what it wrote every [`EARLY_SYNC_BYTES`] on its own thread, so the final
//! `fsync` before the rename finds little left to write: the file is just as durable when
//! the download is reported, but the disk works while the network does.

use std::io::Read;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::direct::{DiskWriter, Mode};
use super::{PullError, io};

/// Size of the blocks handed to the blocking side.
pub(super) const BLOCK: usize = 1 << 20;
/// Blocks each queue holds.
pub(super) const QUEUE: usize = 4;
/// Blocks a download cycles through: each thread holds at most its queue and the block it
/// works on, so the block lent `POOL` blocks ago is free again.
pub(super) const POOL: usize = QUEUE + 2;
/// Bytes written between two early flushes.
pub(super) const EARLY_SYNC_BYTES: u64 = 64 << 20;

/// The hashing and writing threads of one download, fed block by block.
pub(super) struct Sink {
    write: mpsc::Sender<Bytes>,
    hash: mpsc::Sender<Bytes>,
}

/// The two threads' results: total bytes in the file and hashed, and the SHA-256 (hex).
pub(super) struct Finished {
    writer: JoinHandle<Result<u64, PullError>>,
    hasher: JoinHandle<Result<(u64, String), PullError>>,
}

impl Sink {
    /// Starts the threads for the `.part` file `part`, whose first `resume_from` bytes are
    /// kept (and hashed) and the rest replaced by what is sent, written as `mode` says.
    pub(super) fn start(part: PathBuf, resume_from: u64, mode: Mode) -> (Self, Finished) {
        let (write, write_rx) = mpsc::channel(QUEUE);
        let (hash, hash_rx) = mpsc::channel(QUEUE);
        let writer_part = part.clone();
        let writer = tokio::task::spawn_blocking(move || {
            write_blocks(&writer_part, resume_from, write_rx, mode)
        });
        let hasher = tokio::task::spawn_blocking(move || hash_blocks(&part, resume_from, hash_rx));
        (Self { write, hash }, Finished { writer, hasher })
    }

    /// Hands one block to both threads (waits while their queues are full). False when one
    /// of them has stopped; its error is what [`Finished::wait`] reports.
    pub(super) async fn send(&self, block: Bytes) -> bool {
        self.write.send(block.clone()).await.is_ok() && self.hash.send(block).await.is_ok()
    }
}

impl Finished {
    /// Waits for both threads (after the [`Sink`] was dropped): the file's size and SHA-256,
    /// or the first error (a disk error before a hashing error).
    pub(super) async fn wait(self) -> Result<(u64, String), PullError> {
        let written = self
            .writer
            .await
            .map_err(|e| PullError::Io(format!("writer failed: {e}")))?;
        let hashed = self
            .hasher
            .await
            .map_err(|e| PullError::Io(format!("hashing failed: {e}")))?;
        let size = written?;
        let (hashed_size, sha256) = hashed?;
        if hashed_size != size {
            return Err(PullError::Io(format!(
                "wrote {size} bytes but hashed {hashed_size}"
            )));
        }
        Ok((size, sha256))
    }
}

/// Keeps the first `resume_from` bytes of `part` and writes every block after them: with
/// [`Mode::Direct`] past the page cache where the filesystem allows it ([`super::direct`]);
/// otherwise through it, flushed early on a helper thread. Flushes completely at the end.
/// Returns the file's size.
fn write_blocks(
    part: &Path,
    resume_from: u64,
    mut blocks: mpsc::Receiver<Bytes>,
    mode: Mode,
) -> Result<u64, PullError> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(part)
        .map_err(|e| io(part, e))?;
    // Only cut off (a torn tail of an earlier attempt), never extend.
    let held = file.metadata().map_err(|e| io(part, e))?.len();
    if held < resume_from {
        return Err(PullError::Io(format!(
            "{}: holds {held} bytes, expected {resume_from} to resume after",
            part.display()
        )));
    }
    file.set_len(resume_from).map_err(|e| io(part, e))?;
    let flusher = file.try_clone().map_err(|e| io(part, e))?;
    let mut writer = DiskWriter::new(file, part, resume_from, mode);
    std::thread::scope(|scope| {
        // Writes through the page cache are flushed early so that the final flush finds
        // little left; one request waits at most, a request while a flush runs is dropped
        // (the next one covers it). Direct writes leave nothing to flush early.
        let (flush, requests) = std::sync::mpsc::sync_channel::<()>(1);
        let early = scope.spawn(move || {
            let mut failed = None;
            while requests.recv().is_ok() {
                if let Err(e) = flusher.sync_data() {
                    failed.get_or_insert(e);
                }
            }
            failed
        });
        let mut unflushed = 0u64;
        while let Some(block) = blocks.blocking_recv() {
            writer.write(&block).map_err(|e| io(part, e))?;
            if !writer.is_direct() {
                unflushed += block.len() as u64;
                if unflushed >= EARLY_SYNC_BYTES {
                    unflushed = 0;
                    let _ = flush.try_send(());
                }
            }
        }
        drop(flush);
        let early = early.join().map_err(|_| {
            PullError::Io(format!("{}: the flushing thread failed", part.display()))
        })?;
        // An error of an early flush is reported once by the kernel: it must not be lost
        // because the final flush then succeeds.
        if let Some(e) = early {
            return Err(io(part, e));
        }
        let (file, size) = writer.finish().map_err(|e| io(part, e))?;
        file.sync_all().map_err(|e| io(part, e))?;
        Ok(size)
    })
}

/// Hashes the first `resume_from` bytes of `part` (kept from an earlier attempt), then every
/// block. Returns the bytes hashed and the SHA-256 (hex).
fn hash_blocks(
    part: &Path,
    resume_from: u64,
    mut blocks: mpsc::Receiver<Bytes>,
) -> Result<(u64, String), PullError> {
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    if resume_from > 0 {
        let mut kept = std::fs::File::open(part)
            .map_err(|e| io(part, e))?
            .take(resume_from);
        let mut buf = vec![0u8; BLOCK];
        loop {
            let n = kept.read(&mut buf).map_err(|e| io(part, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            size += n as u64;
        }
        if size != resume_from {
            return Err(PullError::Io(format!(
                "{}: holds {size} bytes, expected {resume_from} to resume after",
                part.display()
            )));
        }
    }
    while let Some(block) = blocks.blocking_recv() {
        hasher.update(&block);
        size += block.len() as u64;
    }
    Ok((size, hex::encode(hasher.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("sink-{}-{name}.part", std::process::id()))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn kept_bytes_and_blocks_are_written_and_hashed_in_order() {
        let part = temp("resume");
        let kept: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
        // Bytes past the kept length (a torn earlier attempt) are cut off.
        let mut on_disk = kept.clone();
        on_disk.extend_from_slice(b"torn");
        std::fs::write(&part, &on_disk).expect("part");
        let blocks: Vec<Bytes> = (0..5u8)
            .map(|b| Bytes::from(vec![b; BLOCK / 2 + b as usize]))
            .collect();
        let (sink, finished) = Sink::start(part.clone(), kept.len() as u64, Mode::Direct);
        for b in &blocks {
            assert!(sink.send(b.clone()).await);
        }
        drop(sink);
        let (size, sha) = finished.wait().await.expect("finished");
        let mut whole = kept.clone();
        blocks.iter().for_each(|b| whole.extend_from_slice(b));
        assert_eq!(size, whole.len() as u64);
        assert_eq!(sha, hex::encode(Sha256::digest(&whole)));
        assert_eq!(std::fs::read(&part).expect("read"), whole);
        let _ = std::fs::remove_file(&part);
    }

    #[test]
    fn through_the_page_cache_the_file_is_flushed_early_and_whole() {
        // The fallback for filesystems without direct I/O: more than the early flush
        // interval, after kept bytes.
        let part = temp("buffered");
        std::fs::write(&part, b"kept").expect("part");
        let (tx, rx) = mpsc::channel(QUEUE);
        let writer = std::thread::spawn({
            let part = part.clone();
            move || write_blocks(&part, 4, rx, Mode::Buffered)
        });
        let mut whole = b"kept".to_vec();
        for i in 0..(EARLY_SYNC_BYTES as usize / BLOCK) + 2 {
            let block = Bytes::from(vec![(i % 251) as u8; BLOCK - i]);
            whole.extend_from_slice(&block);
            tx.blocking_send(block).expect("send");
        }
        drop(tx);
        let size = writer.join().expect("writer").expect("written");
        assert_eq!(size, whole.len() as u64);
        assert!(
            std::fs::read(&part).expect("read") == whole,
            "the file differs"
        );
        let _ = std::fs::remove_file(&part);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_part_file_shorter_than_the_resume_point_is_an_error() {
        let part = temp("short");
        std::fs::write(&part, b"abc").expect("part");
        let (sink, finished) = Sink::start(part.clone(), 10, Mode::Direct);
        drop(sink);
        let err = finished.wait().await.expect_err("short");
        assert!(err.to_string().contains("expected 10"), "{err}");
        let _ = std::fs::remove_file(&part);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pooled_blocks_reused_while_streaming_arrive_intact() {
        // More than the early flush interval, through a pool of `POOL` blocks that are
        // overwritten as soon as the pool takes them back: a block reused too early would
        // change what was written or hashed.
        let part = temp("flush");
        let blocks = (EARLY_SYNC_BYTES as usize / BLOCK) + 3;
        let mut pool = crate::dataplane::blocks::BlockPool::new(BLOCK, POOL);
        let (sink, finished) = Sink::start(part.clone(), 0, Mode::Direct);
        let mut hasher = Sha256::new();
        for i in 0..blocks {
            let mut block = pool.filled(BLOCK);
            block.fill((i % 251) as u8);
            hasher.update(&block);
            assert!(sink.send(pool.lend(block)).await);
        }
        drop(sink);
        let (size, sha) = finished.wait().await.expect("finished");
        assert_eq!(size, (blocks * BLOCK) as u64);
        assert_eq!(sha, hex::encode(hasher.finalize()));
        let written = std::fs::read(&part).expect("read");
        assert_eq!(written.len() as u64, size);
        assert_eq!(hex::encode(Sha256::digest(&written)), sha);
        let _ = std::fs::remove_file(&part);
    }
}
