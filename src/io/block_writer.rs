//! The output buffer every muxer writes through, optionally handing full blocks to a writer
//! thread so the kernel's copy into the page cache overlaps the muxing.
//!
//! Remuxing is cheap enough that writing the output is half the work: on a warm cache the
//! kernel spends about as long copying 600 MB into the page cache as muxkit spends producing
//! it. With [`BlockWriter::write_behind`] a second thread makes the `write` calls while the muxer
//! fills the next block, so a conversion takes about as long as the slower of the two (close to
//! `cat`), not their sum. Blocks are moved between the threads, never copied, and a writer owns
//! at most [`BLOCKS_IN_FLIGHT`] + 2 of them, so memory stays flat. Empty blocks come back in
//! batches (src/io/block_pool.rs), so the muxer sleeps and wakes a third as often.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use super::block_pool::BlockPool;
use super::hand_off::{HandOffSender, hand_off};
use crate::error::{Error, Result};

/// Bytes collected before a block is written: large writes, few system calls.
pub const BLOCK_SIZE: usize = 1 << 20;

/// Blocks queued for the writer thread before the muxer waits for it: enough to ride out a
/// slow write, few enough that the queue holds at most a few MiB.
pub const BLOCKS_IN_FLIGHT: usize = 3;

/// Blocks a write-behind writer owns at most: those in flight, the one being filled and one
/// more, so the muxer can refill [`REFILL`](super::block_pool::REFILL) at a time.
const MAX_BLOCKS: usize = BLOCKS_IN_FLIGHT + 2;

/// A block's allocation is a little larger than its size so the write that crosses the mark
/// does not reallocate.
const BLOCK_SLACK: usize = 64 * 1024;

/// Work for the sink, run in order with the blocks (see [`BlockWriter::run`]).
pub type SinkJob<W> = Box<dyn FnOnce(&mut W) -> Result<()> + Send>;

enum Msg<W> {
    Block(Vec<u8>),
    Run(SinkJob<W>),
}

/// The writer thread's side.
struct Worker<W> {
    tx: HandOffSender<Msg<W>>,
    empty: Arc<BlockPool>,
    failed: Arc<AtomicBool>,
    handle: JoinHandle<(W, Result<()>)>,
}

/// How a paused writer thread is started again: `spawn` for the sink type, captured where
/// its `Send + 'static` bound was known.
type Restart<W> = fn(W, &'static str) -> Worker<W>;

/// Starts a writer thread owning `sink`. After the first error it writes nothing more and
/// keeps that error for [`BlockWriter::get_mut`] to report.
fn spawn<W: Write + Send + 'static>(mut sink: W, context: &'static str) -> Worker<W> {
    // Sending never waits (there are at most MAX_BLOCKS blocks); taking an empty block does.
    let (tx, rx) = hand_off::<Msg<W>>();
    let empty = Arc::new(BlockPool::default());
    let pool = Arc::clone(&empty);
    let failed = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&failed);
    let handle = std::thread::spawn(move || {
        // However the thread ends, a muxer waiting for blocks must not wait forever.
        struct CloseOnExit(Arc<BlockPool>);
        impl Drop for CloseOnExit {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        let pool = CloseOnExit(pool);
        let mut result = Ok(());
        for msg in rx {
            match msg {
                Msg::Block(mut block) => {
                    if result.is_ok() {
                        result = sink
                            .write_all(&block)
                            .map_err(|source| Error::Io { context, source });
                    }
                    block.clear();
                    pool.0.give(block);
                }
                Msg::Run(job) => {
                    if result.is_ok() {
                        result = job(&mut sink);
                    }
                }
            }
            if result.is_err() {
                flag.store(true, Ordering::Release);
            }
        }
        (sink, result)
    });
    Worker {
        tx,
        empty,
        failed,
        handle,
    }
}

enum Mode<W> {
    /// Blocks are written on the caller's thread.
    Inline(W),
    /// A writer thread owns the sink.
    Behind {
        worker: Worker<W>,
        restart: Restart<W>,
    },
    /// The writer thread was stopped so the caller can use the sink; it restarts at the next
    /// block or job.
    Paused { sink: W, restart: Restart<W> },
    /// After the writer thread was lost.
    Gone,
}

/// A muxer's output: an append buffer of [`BLOCK_SIZE`] blocks, written inline or by a writer
/// thread ([`BlockWriter::write_behind`]).
///
/// Muxers append with [`BlockWriter::buf`] and call [`BlockWriter::maybe_write`] after each
/// unit of output; [`BlockWriter::run`] queues work on the sink in order with the bytes (an
/// HLS segmenter closes a segment and rewrites the playlist that way, without waiting for the
/// writes before it). [`BlockWriter::get_mut`] waits for everything pending and hands out the
/// sink. Dropping a write-behind writer waits for its thread, so a failed conversion never
/// leaves a thread writing a file its owner has given up on.
///
/// With a writer thread, a write error surfaces at a later call (the next block, job or
/// `get_mut`), not at the call that appended the bytes.
pub struct BlockWriter<W: Write> {
    buf: Vec<u8>,
    mode: Mode<W>,
    /// What a failed block write was doing, for the error.
    context: &'static str,
    /// Blocks not in use by the writer thread, kept across pauses.
    spare: Vec<Vec<u8>>,
    /// Blocks that exist: the current one, spares and those in flight.
    blocks: usize,
    /// Bytes collected before a block is written.
    block_size: usize,
}

impl<W: Write> BlockWriter<W> {
    /// Writes blocks on the caller's thread.
    pub fn new(sink: W) -> BlockWriter<W> {
        BlockWriter::with_mode(Mode::Inline(sink))
    }

    /// Writes blocks on a writer thread, overlapping the kernel's copy with the muxing.
    pub fn write_behind(sink: W) -> BlockWriter<W>
    where
        W: Send + 'static,
    {
        BlockWriter::with_mode(Mode::Paused {
            sink,
            restart: spawn::<W>,
        })
    }

    fn with_mode(mode: Mode<W>) -> BlockWriter<W> {
        BlockWriter {
            buf: Vec::new(),
            mode,
            context: "writing output",
            spare: Vec::new(),
            blocks: 1,
            block_size: BLOCK_SIZE,
        }
    }

    /// Writes blocks of `size` bytes instead of [`BLOCK_SIZE`]: a live stream of a few hundred
    /// kb/s, one of a thousand on a server, keeps less of each segment in memory this way.
    pub fn with_block_size(mut self, size: usize) -> BlockWriter<W> {
        self.block_size = size.clamp(4096, BLOCK_SIZE);
        self
    }

    fn capacity(&self) -> usize {
        self.block_size + BLOCK_SLACK.min(self.block_size)
    }

    /// Names what the writes are for in their errors ("writing ts").
    pub fn set_context(&mut self, context: &'static str) {
        self.context = context;
    }

    /// The block being filled.
    pub fn buf(&mut self) -> &mut Vec<u8> {
        if self.buf.capacity() == 0 {
            self.buf.reserve(self.capacity());
        }
        &mut self.buf
    }

    /// Writes the block if it is full.
    #[inline]
    pub fn maybe_write(&mut self) -> Result<()> {
        if self.buf.len() >= self.block_size {
            self.write_block()?;
        }
        Ok(())
    }

    /// Appends `data`; a large payload on an inline writer goes straight to the sink instead of
    /// through the block (one copy fewer).
    pub fn write_large(&mut self, data: &[u8]) -> Result<()> {
        if data.len() >= self.block_size / 4 {
            if let Mode::Inline(sink) = &mut self.mode {
                let context = self.context;
                let io = |source| Error::Io { context, source };
                sink.write_all(&self.buf).map_err(io)?;
                self.buf.clear();
                return sink.write_all(data).map_err(io);
            }
        }
        self.buf.extend_from_slice(data);
        self.maybe_write()
    }

    /// Writes (or queues) the current block, whatever its size.
    pub fn write_block(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.resume();
        match &mut self.mode {
            Mode::Inline(sink) => {
                let context = self.context;
                sink.write_all(&self.buf)
                    .map_err(|source| Error::Io { context, source })?;
                self.buf.clear();
                return Ok(());
            }
            Mode::Behind { worker, .. } => {
                let capacity = self.block_size + BLOCK_SLACK.min(self.block_size);
                if let Some(next) = next_block(worker, &mut self.spare, &mut self.blocks, capacity)
                {
                    let block = std::mem::replace(&mut self.buf, next);
                    if worker.tx.send(Msg::Block(block), false).is_ok() {
                        return Ok(());
                    }
                }
            }
            Mode::Paused { .. } | Mode::Gone => {}
        }
        Err(self.failure())
    }

    /// Runs `job` on the sink after everything appended so far is written: at once on an
    /// inline writer, queued on the writer thread otherwise (its error then surfaces later, as
    /// a write error does).
    pub fn run(&mut self, job: impl FnOnce(&mut W) -> Result<()> + Send + 'static) -> Result<()> {
        self.write_block()?;
        self.resume();
        match &mut self.mode {
            Mode::Inline(sink) => return job(sink),
            Mode::Behind { worker, .. } => {
                if !worker.failed.load(Ordering::Acquire)
                    && worker.tx.send(Msg::Run(Box::new(job)), true).is_ok()
                {
                    return Ok(());
                }
            }
            Mode::Paused { .. } | Mode::Gone => {}
        }
        Err(self.failure())
    }

    /// The sink, once every byte appended and every job queued so far is done.
    pub fn get_mut(&mut self) -> Result<&mut W> {
        self.write_block()?;
        self.pause()?;
        match &mut self.mode {
            Mode::Inline(sink) | Mode::Paused { sink, .. } => Ok(sink),
            Mode::Behind { .. } | Mode::Gone => Err(lost()),
        }
    }

    /// The sink after a failure, for cleaning up: bytes not yet handed over are discarded, the
    /// writer thread is stopped (its error ignored: the caller is already handling one), and
    /// the sink is handed out if it survived.
    pub fn recover(&mut self) -> Option<&mut W> {
        self.buf.clear();
        let _ = self.pause();
        match &mut self.mode {
            Mode::Inline(sink) | Mode::Paused { sink, .. } => Some(sink),
            Mode::Behind { .. } | Mode::Gone => None,
        }
    }

    /// Writes everything and flushes the sink.
    pub fn flush_all(&mut self) -> Result<()> {
        let context = self.context;
        self.get_mut()?
            .flush()
            .map_err(|source| Error::Io { context, source })
    }

    /// The sink, after writing everything.
    pub fn into_inner(mut self) -> Result<W> {
        self.get_mut()?;
        match std::mem::replace(&mut self.mode, Mode::Gone) {
            Mode::Inline(sink) | Mode::Paused { sink, .. } => Ok(sink),
            Mode::Behind { .. } | Mode::Gone => Err(lost()),
        }
    }

    /// Starts the writer thread again after a pause.
    fn resume(&mut self) {
        if let Mode::Paused { .. } = self.mode {
            if let Mode::Paused { sink, restart } = std::mem::replace(&mut self.mode, Mode::Gone) {
                self.mode = Mode::Behind {
                    worker: restart(sink, self.context),
                    restart,
                };
            }
        }
    }

    /// Stops the writer thread once it has done everything queued; its error, if it had one.
    fn pause(&mut self) -> Result<()> {
        let Mode::Behind { .. } = self.mode else {
            return Ok(());
        };
        let Mode::Behind { worker, restart } = std::mem::replace(&mut self.mode, Mode::Gone) else {
            return Ok(());
        };
        let Worker {
            tx, empty, handle, ..
        } = worker;
        drop(tx);
        let joined = handle.join();
        self.spare.extend(empty.drain());
        let (sink, result) = joined.map_err(|_| lost())?;
        self.mode = Mode::Paused { sink, restart };
        result
    }

    /// Why the writer thread stopped taking work: its own error, or that it is gone.
    fn failure(&mut self) -> Error {
        match self.pause() {
            Err(e) => e,
            Ok(()) => lost(),
        }
    }
}

impl<W: Write> Write for BlockWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        self.maybe_write().map_err(io::Error::other)?;
        Ok(data.len())
    }

    /// Writes everything and flushes the sink.
    fn flush(&mut self) -> io::Result<()> {
        self.get_mut().map_err(io::Error::other)?.flush()
    }
}

impl<W: Write> Drop for BlockWriter<W> {
    fn drop(&mut self) {
        // Let the thread finish with (and drop) the sink before its owner moves on.
        let _ = self.pause();
    }
}

impl<W: Write> std::fmt::Debug for BlockWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match &self.mode {
            Mode::Inline(_) => "inline",
            Mode::Behind { .. } => "write-behind",
            Mode::Paused { .. } => "write-behind (paused)",
            Mode::Gone => "lost",
        };
        f.debug_struct("BlockWriter")
            .field("mode", &mode)
            .field("buffered", &self.buf.len())
            .finish()
    }
}

/// An empty block to fill next, waiting for the writer thread when enough are in flight;
/// `None` when the thread failed or is gone.
fn next_block<W>(
    worker: &Worker<W>,
    spare: &mut Vec<Vec<u8>>,
    blocks: &mut usize,
    capacity: usize,
) -> Option<Vec<u8>> {
    if worker.failed.load(Ordering::Acquire) {
        return None;
    }
    if let Some(b) = spare.pop() {
        return Some(b);
    }
    if let Some(b) = worker.empty.try_take() {
        return Some(b);
    }
    if *blocks < MAX_BLOCKS {
        *blocks += 1;
        return Some(Vec::with_capacity(capacity));
    }
    worker.empty.take()
}

fn lost() -> Error {
    Error::Io {
        context: "writing output",
        source: io::Error::other("the writer thread stopped unexpectedly"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A sink shared with the test, failing after `fail_after` bytes when set.
    #[derive(Clone, Debug, Default)]
    struct Shared {
        out: Arc<Mutex<Vec<u8>>>,
        fail_after: Option<usize>,
    }

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let mut out = self.out.lock().unwrap();
            if self.fail_after.is_some_and(|n| out.len() + buf.len() > n) {
                return Err(io::Error::from_raw_os_error(28)); // ENOSPC
            }
            out.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn pattern(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[test]
    fn both_modes_write_the_same_bytes_in_order() {
        let data = pattern(5 * BLOCK_SIZE + 12_345);
        for behind in [false, true] {
            let sink = Shared::default();
            let mut w = if behind {
                BlockWriter::write_behind(sink.clone())
            } else {
                BlockWriter::new(sink.clone())
            };
            for (i, piece) in data.chunks(70_001).enumerate() {
                if i % 5 == 0 {
                    w.write_large(piece).unwrap();
                } else {
                    w.buf().extend_from_slice(piece);
                    w.maybe_write().unwrap();
                }
                if i == 40 {
                    // Pausing (as a seek-back or a segment swap does) and going on.
                    w.get_mut().unwrap();
                }
            }
            w.into_inner().unwrap();
            assert!(*sink.out.lock().unwrap() == data, "behind: {behind}");
        }
    }

    #[test]
    fn a_failing_sink_is_reported_not_lost() {
        let sink = Shared {
            fail_after: Some(2 * BLOCK_SIZE + 10),
            ..Shared::default()
        };
        let mut w = BlockWriter::write_behind(sink);
        let data = pattern(BLOCK_SIZE);
        let mut failed = None;
        for _ in 0..50 {
            w.buf().extend_from_slice(&data);
            if let Err(e) = w.maybe_write() {
                failed = Some(e);
                break;
            }
        }
        let e = failed
            .or_else(|| w.get_mut().err())
            .expect("the error surfaces");
        let Error::Io { source, .. } = e else {
            panic!("{e}")
        };
        assert_eq!(source.raw_os_error(), Some(28));
    }

    #[test]
    fn jobs_run_in_order_with_the_bytes() {
        for behind in [false, true] {
            let sink = Shared::default();
            let mut w = if behind {
                BlockWriter::write_behind(sink.clone())
            } else {
                BlockWriter::new(sink.clone())
            };
            w.buf().extend_from_slice(b"one ");
            w.run(|s: &mut Shared| {
                s.out.lock().unwrap().extend_from_slice(b"[job] ");
                Ok(())
            })
            .unwrap();
            w.buf().extend_from_slice(b"two");
            w.into_inner().unwrap();
            assert_eq!(&sink.out.lock().unwrap()[..], b"one [job] two");
        }
        // A failing job is reported, and nothing after it runs.
        let sink = Shared::default();
        let mut w = BlockWriter::write_behind(sink.clone());
        w.run(|_: &mut Shared| Err(Error::InvalidUse("job failed".into())))
            .unwrap();
        w.buf().extend_from_slice(b"after");
        let e = w.get_mut().unwrap_err();
        assert_eq!(e.to_string(), "invalid use: job failed");
        assert!(sink.out.lock().unwrap().is_empty());
    }

    #[test]
    fn memory_is_bounded_by_the_blocks_in_flight() {
        let mut w = BlockWriter::write_behind(io::sink());
        let data = pattern(BLOCK_SIZE);
        for _ in 0..100 {
            w.buf().extend_from_slice(&data);
            w.maybe_write().unwrap();
        }
        assert!(w.blocks <= MAX_BLOCKS, "{} blocks", w.blocks);
        w.into_inner().unwrap();
    }
}
