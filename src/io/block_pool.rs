//! The empty blocks a write-behind writer and its thread pass back and forth, handed back in
//! batches.
//!
//! When the kernel's copy is the slower side (it usually is), the muxer runs out of empty
//! blocks and waits for the writer thread. Woken for every block the thread finishes, it would
//! sleep and wake once per MiB of output: 640 futex wake-ups and context switches for a 600 MB
//! conversion, 3-7 % of its CPU time. Woken only once [`REFILL`] blocks are free, it fills them
//! in one go and sleeps a third as often.

use super::watched::Watched;

/// Free blocks that wake a waiting muxer.
pub(crate) const REFILL: usize = 3;

#[derive(Default)]
struct State {
    free: Vec<Vec<u8>>,
    /// The muxer is waiting for blocks.
    waiting: bool,
    /// The writer thread has stopped: a waiting muxer takes what there is.
    closed: bool,
}

/// Empty blocks returned by the writer thread.
#[derive(Default)]
pub(crate) struct BlockPool(Watched<State>);

impl BlockPool {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock()
    }

    /// A finished block, from the writer thread.
    pub(crate) fn give(&self, block: Vec<u8>) {
        let mut s = self.lock();
        s.free.push(block);
        if s.waiting && s.free.len() >= REFILL {
            s.waiting = false;
            self.0.wake();
        }
    }

    /// The writer thread has stopped: wakes a waiting muxer.
    pub(crate) fn close(&self) {
        let mut s = self.lock();
        s.closed = true;
        s.waiting = false;
        self.0.wake();
    }

    /// A free block if there is one, without waiting.
    pub(crate) fn try_take(&self) -> Option<Vec<u8>> {
        self.lock().free.pop()
    }

    /// A free block, waiting until [`REFILL`] are free (or the writer thread stopped); `None`
    /// if it stopped with none left.
    pub(crate) fn take(&self) -> Option<Vec<u8>> {
        let s = self.lock();
        let mut s = self.0.wait_while(s, |s| {
            s.waiting = s.free.len() < REFILL && !s.closed;
            s.waiting
        });
        s.free.pop()
    }

    /// Every free block, once the writer thread has stopped.
    pub(crate) fn drain(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.lock().free)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_waiting_taker_wakes_at_the_refill_mark_or_the_close() {
        let pool = Arc::new(BlockPool::default());
        let giver = {
            let pool = Arc::clone(&pool);
            std::thread::spawn(move || {
                for i in 0..REFILL {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    pool.give(vec![i as u8]);
                }
            })
        };
        let first = pool.take().unwrap();
        // It woke with all of them there: the rest are taken without waiting.
        let mut got = vec![first];
        while let Some(b) = pool.try_take() {
            got.push(b);
        }
        assert_eq!(got.len(), REFILL);
        giver.join().unwrap();

        let closer = {
            let pool = Arc::clone(&pool);
            std::thread::spawn(move || {
                pool.give(vec![9]);
                std::thread::sleep(std::time::Duration::from_millis(5));
                pool.close();
            })
        };
        // Fewer than REFILL, then the close: the one there is.
        assert!(pool.take().is_some());
        closer.join().unwrap();
        assert!(pool.take().is_none());
        assert!(pool.drain().is_empty());
    }
}
