//! The queue from a write-behind muxer to its writer thread, waking the thread for two blocks
//! at a time.
//!
//! When the muxer is the slower side (demuxing TS is), the writer thread empties the queue and
//! sleeps; woken for every block, it would sleep and wake once per MiB of output. Woken once
//! [`BATCH`] items wait (or at once for work that must not wait: a job, the end), it writes
//! them in one go. Nothing waits long for it: a block sits in the queue at most until the next
//! one is full. The first item, and the first after a job, wakes it at once: that is where
//! output starts again (a new file, a new segment), and holding it back would leave the thread
//! idle while the muxer fills a second block.

use std::collections::VecDeque;
use std::sync::Arc;

use super::watched::Watched;

/// Items that wake a waiting writer thread.
pub(crate) const BATCH: usize = 2;

struct State<T> {
    /// Queued items, each with whether it is urgent.
    items: VecDeque<(T, bool)>,
    /// The last item taken was urgent (or none was taken yet): the next one wakes the thread.
    eager: bool,
    /// An item that must not wait for a batch is queued.
    urgent: bool,
    /// The writer thread is waiting.
    waiting: bool,
    /// The sender is gone: whatever is queued is all there will be.
    closed: bool,
    /// The writer thread is gone: sending fails.
    receiver_gone: bool,
}

type Shared<T> = Watched<State<T>>;

impl<T> State<T> {
    /// Whether what is queued is enough to wake the writer thread.
    fn wakes(&self) -> bool {
        self.closed || self.urgent || self.items.len() >= if self.eager { 1 } else { BATCH }
    }
}

/// The muxer's end; dropping it closes the queue.
pub(crate) struct HandOffSender<T>(Arc<Shared<T>>);

/// The writer thread's end; dropping it makes later sends fail.
pub(crate) struct HandOffReceiver<T>(Arc<Shared<T>>);

/// A new queue.
pub(crate) fn hand_off<T>() -> (HandOffSender<T>, HandOffReceiver<T>) {
    let shared = Arc::new(Watched::new(State {
        items: VecDeque::new(),
        eager: true,
        urgent: false,
        waiting: false,
        closed: false,
        receiver_gone: false,
    }));
    (HandOffSender(Arc::clone(&shared)), HandOffReceiver(shared))
}

impl<T> HandOffSender<T> {
    /// Queues `item`; `urgent` wakes the writer thread without waiting for a batch. Gives the
    /// item back if the writer thread is gone.
    pub(crate) fn send(&self, item: T, urgent: bool) -> Result<(), T> {
        let mut s = self.0.lock();
        if s.receiver_gone {
            return Err(item);
        }
        s.items.push_back((item, urgent));
        s.urgent |= urgent;
        if s.waiting && s.wakes() {
            s.waiting = false;
            self.0.wake();
        }
        Ok(())
    }
}

impl<T> Drop for HandOffSender<T> {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.closed = true;
        s.waiting = false;
        self.0.wake();
    }
}

impl<T> HandOffReceiver<T> {
    /// The next item, waiting while the queue is empty until a batch, an urgent item or the
    /// close; `None` once closed and empty.
    pub(crate) fn recv(&self) -> Option<T> {
        let mut s = self.0.lock();
        if s.items.is_empty() {
            s.urgent = false;
            s = self.0.wait_while(s, |s| {
                s.waiting = !s.wakes();
                s.waiting
            });
        }
        let (item, urgent) = s.items.pop_front()?;
        s.eager = urgent;
        Some(item)
    }
}

impl<T> Drop for HandOffReceiver<T> {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.receiver_gone = true;
        // Queued items go with the thread (their owner has given up on them).
        s.items.clear();
    }
}

impl<T> Iterator for HandOffReceiver<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.recv()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn items_arrive_in_order_batched_urgent_or_at_the_close() {
        let (tx, rx) = hand_off::<u32>();
        let reader = std::thread::spawn(move || rx.collect::<Vec<_>>());
        for i in 0..7 {
            tx.send(i, i == 3).unwrap();
            std::thread::sleep(Duration::from_millis(2));
        }
        // The last one is alone in the queue: the close delivers it.
        drop(tx);
        assert_eq!(reader.join().unwrap(), (0..7).collect::<Vec<_>>());
    }

    #[test]
    fn a_lone_urgent_item_is_not_held_back() {
        let (tx, rx) = hand_off::<u32>();
        let reader = std::thread::spawn(move || rx.recv());
        std::thread::sleep(Duration::from_millis(5));
        tx.send(1, true).unwrap();
        // Answered while the sender is still open.
        assert_eq!(reader.join().unwrap(), Some(1));
        drop(tx);
    }

    #[test]
    fn sending_to_a_gone_receiver_gives_the_item_back() {
        let (tx, rx) = hand_off::<u32>();
        drop(rx);
        assert_eq!(tx.send(5, false), Err(5));
    }
}
