//! Buffers of one data stream, used again once every reader has let go of them.
//!
//! A stream hands its blocks out as shared [`Bytes`] (to hyper's write queue on the provider,
//! to the writing and the hashing thread on the consumer). Allocating a fresh block for each
//! would cost more than it seems: the allocator returns freed memory to the kernel when a
//! few MiB are free at once (as they are when a queue drains), so each new block's pages are
//! faulted in and zeroed again — about one page fault per 4 KiB of data (BENCHMARKS.md,
//! transfer section). A [`BlockPool`] keeps the last blocks it lent and takes the oldest back
//! once nobody else holds it; a stream then cycles through a few MiB that stay mapped.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

/// Blocks of one stream: new ones while the lent ones are still in use, the oldest lent one
/// again once it is free.
#[derive(Debug)]
pub(crate) struct BlockPool {
    size: usize,
    keep: usize,
    lent: VecDeque<Bytes>,
}

impl BlockPool {
    /// A pool of blocks of `size` bytes that remembers the last `keep` blocks it lent: `keep`
    /// should be the number of blocks the stream's readers hold at most, so that the oldest
    /// is free again when it is asked for.
    pub(crate) fn new(size: usize, keep: usize) -> Self {
        Self {
            size,
            keep: keep.max(1),
            lent: VecDeque::with_capacity(keep.max(1)),
        }
    }

    /// An empty block with room for `size` bytes, to be extended.
    pub(crate) fn empty(&mut self) -> BytesMut {
        match self.reclaim() {
            Some(mut block) => {
                block.clear();
                block
            }
            None => BytesMut::with_capacity(self.size),
        }
    }

    /// A block of `len` bytes (at most the pool's size) to be overwritten whole: a reused
    /// block keeps its old bytes, so nothing is zeroed that is written anyway. A new block
    /// is as long as asked (a short last block of a stream is not taken back).
    pub(crate) fn filled(&mut self, len: usize) -> BytesMut {
        let mut block = self
            .reclaim()
            .unwrap_or_else(|| BytesMut::with_capacity(len));
        // Zeroes only what the block did not hold yet.
        block.resize(len, 0);
        block
    }

    /// Hands a block out; it is taken back once every holder has dropped it.
    pub(crate) fn lend(&mut self, block: BytesMut) -> Bytes {
        let block = block.freeze();
        if self.lent.len() >= self.keep {
            self.lent.pop_front();
        }
        self.lent.push_back(block.clone());
        block
    }

    /// The oldest lent block, when the pool remembers `keep` of them and nobody else holds
    /// it any more. One still held is forgotten (its holder frees it), so the pool never
    /// keeps more than `keep` blocks alive.
    fn reclaim(&mut self) -> Option<BytesMut> {
        if self.lent.len() < self.keep {
            return None;
        }
        let oldest = self.lent.pop_front()?;
        let block = oldest.try_into_mut().ok()?;
        (block.capacity() >= self.size).then_some(block)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_nobody_holds_is_used_again() {
        let mut pool = BlockPool::new(1024, 2);
        let first = {
            let b = pool_block(&mut pool, b"first");
            pool.lend(b)
        };
        let address = first.as_ptr();
        let _second = {
            let b = pool_block(&mut pool, b"second");
            pool.lend(b)
        };
        drop(first);
        // The pool remembers two lent blocks; the oldest is free again.
        let again = pool.empty();
        assert_eq!(again.as_ptr(), address);
        assert!(again.is_empty());
        assert!(again.capacity() >= 1024);
    }

    #[test]
    fn a_block_still_held_is_not_reused() {
        let mut pool = BlockPool::new(64, 1);
        let held = {
            let b = pool_block(&mut pool, b"held");
            pool.lend(b)
        };
        let next = pool.filled(64);
        assert_ne!(next.as_ptr(), held.as_ptr());
        assert_eq!(&held[..], b"held");
        assert_eq!(next.len(), 64);
        // The held block was forgotten: the pool keeps at most `keep` blocks alive.
        let next = pool.lend(next);
        drop(next);
        assert_ne!(pool.filled(64).as_ptr(), held.as_ptr());
    }

    #[test]
    fn a_filled_block_has_the_asked_length() {
        let mut pool = BlockPool::new(8, 1);
        let block = pool.filled(8);
        assert_eq!(&block[..], &[0u8; 8]);
        let lent = pool.lend(block);
        let address = lent.as_ptr();
        drop(lent);
        let shorter = pool.filled(3);
        assert_eq!(shorter.as_ptr(), address);
        assert_eq!(shorter.len(), 3);
    }

    fn pool_block(pool: &mut BlockPool, content: &[u8]) -> BytesMut {
        let mut b = pool.empty();
        b.extend_from_slice(content);
        b
    }
}
