//! The disk side of live publishes: file operations done on a few threads of their own, so no
//! file write, rename or delete ever runs on an event loop.
//!
//! The segmenters run on the event loop (muxing is CPU work) and write through a
//! [`QueuedStore`]: segment bytes are gathered into [`LIVE_WRITE_BLOCK`]-sized blocks, and each
//! block, commit, playlist replacement and deletion becomes one [`FileOp`] for a writer thread.
//! A stream's operations always go to the same thread, in order, so a playlist is replaced only
//! after the segments it names were committed. A thread wakes about once per block, not once
//! per frame. A disk that cannot keep up shows as bytes queued ([`WriteStatus::queued`]); the
//! publisher's connection stops reading past [`MAX_QUEUED_BYTES`], so TCP pushes back.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, mpsc, oneshot};

use crate::error::{Error, Result};
use crate::hls::SegmentStore;
use crate::io::AtomicFile;

use super::options::LIVE_WRITE_BLOCK;

/// Bytes a publish may have waiting for its writer thread before its connection stops
/// reading (the disk is slower than the publisher).
pub const MAX_QUEUED_BYTES: usize = 16 * 1024 * 1024;

/// How one publish's writes are going.
#[derive(Default)]
pub(crate) struct WriteStatus {
    failure: Mutex<Option<String>>,
    failed: AtomicBool,
    /// Bytes handed to the writer thread and not yet written.
    queued: AtomicUsize,
    /// Told when `queued` falls.
    pub(crate) drained: Notify,
}

impl WriteStatus {
    /// The first failure, if any.
    pub(crate) fn failure(&self) -> Option<String> {
        if !self.failed.load(Ordering::Relaxed) {
            return None;
        }
        self.failure.lock().ok().and_then(|f| f.clone())
    }

    fn fail(&self, e: &Error) {
        if let Ok(mut f) = self.failure.lock() {
            f.get_or_insert_with(|| e.to_string());
        }
        self.failed.store(true, Ordering::Relaxed);
    }

    /// Bytes waiting for the writer thread.
    pub(crate) fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }
}

/// One operation for a writer thread.
enum FileOp {
    /// Open `path` under a temporary name, as file `id`.
    Create { id: u64, path: PathBuf },
    /// Append to file `id`.
    Write { id: u64, bytes: Vec<u8> },
    /// Rename file `id` into place.
    Commit { id: u64 },
    /// Replace `path` whole, atomically (a playlist).
    Replace { path: PathBuf, bytes: Vec<u8> },
    /// Delete `path` (a segment that left the live window).
    Remove { path: PathBuf },
    /// Drop file `id` unfinished (its temporary file is removed).
    Discard { id: u64 },
    /// Remove the swap files of the playlists replaced in `dir` (the publish ended).
    Tidy { dir: PathBuf },
    /// Everything before is done.
    Barrier(oneshot::Sender<()>),
}

struct Job {
    status: Arc<WriteStatus>,
    op: FileOp,
}

/// The writer threads.
pub(crate) struct FileWriters {
    senders: Vec<mpsc::UnboundedSender<Job>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// File ids, unique in the process.
static NEXT_FILE: AtomicU64 = AtomicU64::new(1);

/// Segment and playlist bytes made and not yet written to disk, over every publish (for
/// `/metrics`: what "buffered segment bytes" amounts to).
static HELD_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Bytes of live segments and playlists held in memory on their way to disk.
pub(crate) fn held_bytes() -> usize {
    HELD_BYTES.load(Ordering::Relaxed)
}

impl FileWriters {
    /// `threads` writer threads.
    pub(crate) fn start(threads: usize) -> Result<FileWriters> {
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for i in 0..threads.max(1) {
            let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
            let handle = std::thread::Builder::new()
                .name(format!("muxkit-writer-{i}"))
                .spawn(move || {
                    let mut open: HashMap<u64, AtomicFile> = HashMap::new();
                    let mut slots: HashMap<PathBuf, u8> = HashMap::new();
                    while let Some(job) = rx.blocking_recv() {
                        run(job, &mut open, &mut slots);
                    }
                })
                .map_err(|source| Error::Io {
                    context: "starting a writer thread",
                    source,
                })?;
            senders.push(tx);
            handles.push(handle);
        }
        Ok(FileWriters {
            senders,
            threads: handles,
        })
    }

    /// The queue of the thread that writes stream `name`.
    pub(crate) fn queue_for(&self, name: &str) -> FileQueue {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        name.hash(&mut h);
        let i = (h.finish() % self.senders.len() as u64) as usize;
        FileQueue {
            tx: self.senders[i].clone(),
            status: Arc::new(WriteStatus::default()),
        }
    }

    /// Lets the threads finish what they were given (once every queue is dropped) and waits
    /// for them, up to `grace`.
    pub(crate) fn join(self, grace: std::time::Duration) {
        drop(self.senders);
        let deadline = std::time::Instant::now() + grace;
        for t in self.threads {
            while !t.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

fn run(job: Job, open: &mut HashMap<u64, AtomicFile>, slots: &mut HashMap<PathBuf, u8>) {
    let Job { status, op } = job;
    let done = |n: usize| {
        HELD_BYTES.fetch_sub(n, Ordering::Relaxed);
        status.queued.fetch_sub(n, Ordering::Relaxed);
        status.drained.notify_waiters();
    };
    let result = match op {
        FileOp::Create { id, path } => AtomicFile::create(&path).map(|f| {
            open.insert(id, f);
        }),
        FileOp::Write { id, bytes } => {
            // The whole block was counted (its capacity), not only the bytes in it.
            let held = bytes.capacity();
            let r = match open.get_mut(&id) {
                Some(f) => f.write_all(&bytes).map_err(|source| Error::Io {
                    context: "writing a live segment",
                    source,
                }),
                // Its creation failed and was reported.
                None => Ok(()),
            };
            done(held);
            r
        }
        FileOp::Commit { id } => open.remove(&id).map_or(Ok(()), AtomicFile::commit),
        FileOp::Replace { path, bytes } => {
            // The playlist is rewritten after every segment: through its swap file, so no
            // inode is created and deleted each time (see io::replace_file).
            let slot = slots.entry(path.clone()).or_insert(0);
            *slot ^= 1;
            let r = crate::io::replace_file(&path, &bytes, *slot);
            done(bytes.len());
            r
        }
        FileOp::Remove { path } => match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::File { path, source: e })
            }
            _ => Ok(()),
        },
        FileOp::Tidy { dir } => {
            slots.retain(|p, _| !p.starts_with(&dir));
            if let Ok(entries) = std::fs::read_dir(&dir) {
                for e in entries.flatten() {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    if name.starts_with('.')
                        && (name.ends_with(".swap0") || name.ends_with(".swap1"))
                    {
                        let _ = std::fs::remove_file(e.path());
                    }
                }
            }
            Ok(())
        }
        FileOp::Discard { id } => {
            open.remove(&id);
            Ok(())
        }
        FileOp::Barrier(tell) => {
            let _ = tell.send(());
            Ok(())
        }
    };
    if let Err(e) = result {
        status.fail(&e);
    }
}

/// One publish's way to its writer thread.
#[derive(Clone)]
pub(crate) struct FileQueue {
    tx: mpsc::UnboundedSender<Job>,
    pub(crate) status: Arc<WriteStatus>,
}

impl FileQueue {
    fn send(&self, op: FileOp) {
        let bytes = match &op {
            FileOp::Write { bytes, .. } => bytes.capacity(),
            FileOp::Replace { bytes, .. } => bytes.len(),
            _ => 0,
        };
        self.status.queued.fetch_add(bytes, Ordering::Relaxed);
        if matches!(op, FileOp::Replace { .. }) {
            HELD_BYTES.fetch_add(bytes, Ordering::Relaxed);
        }
        let job = Job {
            status: Arc::clone(&self.status),
            op,
        };
        if self.tx.send(job).is_err() {
            self.status
                .fail(&Error::InvalidInput("the server is stopping".into()));
        }
    }

    /// Removes the playlists' swap files in `dir` once everything before is written.
    pub(crate) fn tidy(&self, dir: PathBuf) {
        self.send(FileOp::Tidy { dir });
    }

    /// Waits until everything sent so far is done.
    pub(crate) async fn barrier(&self) {
        let (tell, done) = oneshot::channel();
        self.send(FileOp::Barrier(tell));
        let _ = done.await;
    }

    /// A file written in blocks and renamed into place at [`QueuedFile::commit`].
    pub(crate) fn create(&self, path: PathBuf) -> QueuedFile {
        let id = NEXT_FILE.fetch_add(1, Ordering::Relaxed);
        self.send(FileOp::Create { id, path });
        QueuedFile {
            id,
            queue: self.clone(),
            buf: Vec::new(),
            committed: false,
        }
    }
}

/// A file being written by a writer thread.
pub(crate) struct QueuedFile {
    id: u64,
    queue: FileQueue,
    buf: Vec<u8>,
    committed: bool,
}

impl Drop for QueuedFile {
    fn drop(&mut self) {
        if !self.committed {
            HELD_BYTES.fetch_sub(self.buf.capacity(), Ordering::Relaxed);
            self.queue.send(FileOp::Discard { id: self.id });
        }
    }
}

impl QueuedFile {
    fn ship(&mut self) {
        if !self.buf.is_empty() {
            let bytes = std::mem::take(&mut self.buf);
            self.queue.send(FileOp::Write { id: self.id, bytes });
        }
    }

    /// Sends what is left and renames the file into place (in the writer's order).
    pub(crate) fn commit(mut self) -> Result<()> {
        self.ship();
        self.committed = true;
        self.queue.send(FileOp::Commit { id: self.id });
        match self.queue.status.failure() {
            Some(f) => Err(Error::InvalidInput(f)),
            None => Ok(()),
        }
    }
}

impl Write for QueuedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // A block goes before it would overflow (a Vec that grows doubles its memory).
        if !self.buf.is_empty() && self.buf.len() + buf.len() > LIVE_WRITE_BLOCK {
            self.ship();
        }
        let before = self.buf.capacity();
        if before == 0 {
            self.buf.reserve_exact(LIVE_WRITE_BLOCK);
        }
        self.buf.extend_from_slice(buf);
        // Memory held is what the block reserved (and any growth past it).
        HELD_BYTES.fetch_add(self.buf.capacity() - before, Ordering::Relaxed);
        if self.buf.len() >= LIVE_WRITE_BLOCK {
            self.ship();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A segment folder whose files a writer thread writes.
#[derive(Clone)]
pub(crate) struct QueuedStore {
    dir: PathBuf,
    queue: FileQueue,
}

impl QueuedStore {
    pub(crate) fn new(dir: &Path, queue: FileQueue) -> QueuedStore {
        QueuedStore {
            dir: dir.to_owned(),
            queue,
        }
    }
}

impl SegmentStore for QueuedStore {
    type Writer = QueuedFile;

    fn create(&mut self, name: &str) -> Result<QueuedFile> {
        let path = self.dir.join(crate::hls::output::checked_name(name)?);
        Ok(self.queue.create(path))
    }

    fn commit(&mut self, writer: QueuedFile) -> Result<()> {
        writer.commit()
    }

    fn write_playlist(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join(crate::hls::output::checked_name(name)?);
        self.queue.send(FileOp::Replace {
            path,
            bytes: bytes.to_vec(),
        });
        Ok(())
    }

    fn remove(&mut self, name: &str) -> Result<()> {
        let path = self.dir.join(crate::hls::output::checked_name(name)?);
        self.queue.send(FileOp::Remove { path });
        Ok(())
    }
}
