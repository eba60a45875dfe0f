//! Where a live publish's HLS and DASH go: files under `--out`, or memory served over HTTP
//! (`--http` without `--out`: no disk at all, the live window only).

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;

use crate::error::Result;
use crate::hls::SegmentStore;

use super::file_writer::{QueuedFile, QueuedStore};

/// Files held in memory for serving, by path (`APP/STREAM/index.m3u8`).
#[derive(Default)]
pub struct ServedFiles {
    files: Mutex<HashMap<String, Bytes>>,
    /// Streams whose publish ended, by name: the token of the expiry that will drop their
    /// files (a new publish of the name cancels it).
    ending: Mutex<HashMap<String, u64>>,
    next_token: std::sync::atomic::AtomicU64,
}

impl ServedFiles {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Bytes>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The file at `path`.
    pub fn get(&self, path: &str) -> Option<Bytes> {
        self.lock().get(path).cloned()
    }

    fn put(&self, path: String, bytes: Bytes) {
        self.lock().insert(path, bytes);
    }

    fn remove(&self, path: &str) {
        self.lock().remove(path);
    }

    /// The publish of `name` ended: its files are to go at the returned token's expiry.
    pub fn ended(&self, name: &str) -> u64 {
        let token = self
            .next_token
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut e) = self.ending.lock() {
            e.insert(name.to_owned(), token);
        }
        token
    }

    /// `name` is published again: nothing of it expires.
    pub fn resumed(&self, name: &str) {
        if let Ok(mut e) = self.ending.lock() {
            e.remove(name);
        }
    }

    /// Drops the files of `name` if `token` is still its pending expiry.
    pub fn expire(&self, name: &str, token: u64) {
        let due = self
            .ending
            .lock()
            .map(|mut e| {
                let due = e.get(name) == Some(&token);
                if due {
                    e.remove(name);
                }
                due
            })
            .unwrap_or(false);
        if due {
            let prefix = format!("{name}/");
            self.lock().retain(|path, _| !path.starts_with(&prefix));
        }
    }
}

/// A stream folder: on disk, or in [`ServedFiles`] under a prefix.
#[derive(Clone)]
pub enum OriginStore {
    /// `OUT/APP/STREAM[/dash]`, written by a writer thread.
    Disk(QueuedStore),
    /// `PREFIX/APP/STREAM[/dash]/` in a bucket, uploaded by the store's own runtime.
    #[cfg(feature = "s3")]
    Bucket(crate::store::LiveObjectStore),
    /// `APP/STREAM[/dash]/` in memory.
    Memory {
        /// The files.
        files: Arc<ServedFiles>,
        /// `APP/STREAM/` or `APP/STREAM/dash/`.
        prefix: String,
    },
}

/// What [`OriginStore`] writes a segment into.
pub enum OriginWriter {
    /// A file under a temporary name, written by a writer thread.
    Disk(QueuedFile),
    /// Bytes to publish whole at commit.
    Memory(String, Vec<u8>),
}

impl Write for OriginWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            OriginWriter::Disk(f) => f.write(buf),
            OriginWriter::Memory(_, v) => {
                v.extend_from_slice(buf);
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            OriginWriter::Disk(f) => f.flush(),
            OriginWriter::Memory(..) => Ok(()),
        }
    }
}

/// An [`OriginStore`] that counts the segments it commits (for `/metrics`).
#[derive(Clone)]
pub struct CountingStore {
    /// Where the files go.
    pub store: OriginStore,
    /// Segments committed, shared with the metrics.
    pub segments: Arc<AtomicU64>,
}

impl SegmentStore for CountingStore {
    type Writer = OriginWriter;

    fn create(&mut self, name: &str) -> Result<OriginWriter> {
        Ok(match &mut self.store {
            OriginStore::Disk(d) => OriginWriter::Disk(d.create(name)?),
            #[cfg(feature = "s3")]
            OriginStore::Bucket(_) => OriginWriter::Memory(name.to_owned(), Vec::new()),
            OriginStore::Memory { prefix, .. } => {
                OriginWriter::Memory(format!("{prefix}{name}"), Vec::new())
            }
        })
    }

    fn commit(&mut self, writer: OriginWriter) -> Result<()> {
        self.segments.fetch_add(1, Ordering::Relaxed);
        match (&mut self.store, writer) {
            (OriginStore::Disk(d), OriginWriter::Disk(f)) => d.commit(f),
            #[cfg(feature = "s3")]
            (OriginStore::Bucket(b), OriginWriter::Memory(name, bytes)) => {
                b.commit(crate::store::SegmentBuffer::from_parts(name, bytes))
            }
            (OriginStore::Memory { files, .. }, OriginWriter::Memory(path, bytes)) => {
                files.put(path, Bytes::from(bytes));
                Ok(())
            }
            // A writer always comes from its own store.
            (_, OriginWriter::Disk(f)) => f.commit(),
            (_, OriginWriter::Memory(..)) => Ok(()),
        }
    }

    fn write_playlist(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        match &mut self.store {
            OriginStore::Disk(d) => d.write_playlist(name, bytes),
            #[cfg(feature = "s3")]
            OriginStore::Bucket(b) => b.write_playlist(name, bytes),
            OriginStore::Memory { files, prefix } => {
                files.put(format!("{prefix}{name}"), Bytes::copy_from_slice(bytes));
                Ok(())
            }
        }
    }

    fn remove(&mut self, name: &str) -> Result<()> {
        match &mut self.store {
            OriginStore::Disk(d) => d.remove(name),
            #[cfg(feature = "s3")]
            OriginStore::Bucket(b) => b.remove(name),
            OriginStore::Memory { files, prefix } => {
                files.remove(&format!("{prefix}{name}"));
                Ok(())
            }
        }
    }
}
