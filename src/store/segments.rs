//! HLS and DASH output into a bucket: each segment uploaded as soon as it is complete (in the
//! background, several at once), a playlist or manifest only once every upload before it has
//! landed, so a reader of the bucket never sees a playlist naming a missing object.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::task::JoinHandle;

use super::location::ObjectUrl;
use super::write::{delete, put};
use super::{block_on, runtime};
use crate::error::{Error, Result};
use crate::hls::SegmentStore;

/// Segment uploads in flight before [`SegmentStore::commit`] waits for the oldest: bounds the
/// memory a slow server makes the output hold.
const UPLOADS_IN_FLIGHT: usize = 8;

/// A [`SegmentStore`] over an object prefix (`s3://bucket/live/stream`). Clones share their
/// uploads (a DASH output writes each track through its own clone, and its manifest waits
/// for all of them).
#[derive(Clone, Debug)]
pub struct ObjectSegmentStore {
    prefix: ObjectUrl,
    shared: Arc<Mutex<Shared>>,
}

#[derive(Debug, Default)]
struct Shared {
    uploads: Vec<(String, JoinHandle<Result<()>>)>,
    /// Every name stored by this output, for [`ObjectSegmentStore::written`].
    written: BTreeSet<String>,
}

/// A segment being written: in memory until committed (a segment is seconds of media).
#[derive(Debug)]
pub struct SegmentBuffer {
    name: String,
    data: Vec<u8>,
}

impl SegmentBuffer {
    /// An empty segment named `name`.
    pub fn new(name: &str) -> SegmentBuffer {
        SegmentBuffer {
            name: name.to_owned(),
            data: Vec::new(),
        }
    }

    /// A segment of these bytes.
    pub fn from_parts(name: String, data: Vec<u8>) -> SegmentBuffer {
        SegmentBuffer { name, data }
    }

    /// Its name and bytes.
    pub fn into_parts(self) -> (String, Vec<u8>) {
        (self.name, self.data)
    }
}

impl Write for SegmentBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.data.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ObjectSegmentStore {
    /// Writes under `prefix`.
    pub fn new(prefix: ObjectUrl) -> ObjectSegmentStore {
        ObjectSegmentStore {
            prefix,
            shared: Arc::new(Mutex::new(Shared::default())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for every upload started so far; the first failure is returned (the others
    /// are still waited for, so nothing is left running).
    pub fn wait(&self) -> Result<()> {
        let uploads = std::mem::take(&mut self.lock().uploads);
        let mut first = None;
        for (name, handle) in uploads {
            let done = block_on(handle).unwrap_or_else(|e| {
                Err(self
                    .prefix
                    .join(&name)
                    .error(format!("the upload task failed: {e}")))
            });
            if let (Err(e), None) = (done, &first) {
                first = Some(e);
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// The names this output stored (segments, playlists, init segments), relative to the
    /// prefix.
    pub fn written(&self) -> Vec<String> {
        self.lock().written.iter().cloned().collect()
    }

    /// The prefix written under.
    pub fn prefix(&self) -> &ObjectUrl {
        &self.prefix
    }

    /// Stores `bytes` as `name` now (after every upload started before it).
    fn put_after_uploads(&mut self, name: &str, bytes: Bytes) -> Result<()> {
        self.wait()?;
        let url = self.prefix.join(name);
        block_on(put(&url, bytes))?;
        self.lock().written.insert(name.to_owned());
        Ok(())
    }
}

impl SegmentStore for ObjectSegmentStore {
    type Writer = SegmentBuffer;

    fn create(&mut self, name: &str) -> Result<SegmentBuffer> {
        Ok(SegmentBuffer {
            name: name.to_owned(),
            data: Vec::new(),
        })
    }

    fn commit(&mut self, writer: SegmentBuffer) -> Result<()> {
        // A failed upload fails the output at the next playlist (which would name it) or
        // here, when the oldest upload is waited for to make room.
        let oldest = {
            let mut shared = self.lock();
            (shared.uploads.len() >= UPLOADS_IN_FLIGHT).then(|| shared.uploads.remove(0))
        };
        if let Some((name, handle)) = oldest {
            block_on(handle).map_err(|e| Error::Storage {
                url: self.prefix.join(&name).to_string(),
                message: format!("the upload task failed: {e}"),
                transient: true,
            })??;
        }
        let url = self.prefix.join(&writer.name);
        let bytes = Bytes::from(writer.data);
        let handle = runtime().spawn(async move { put(&url, bytes).await });
        let mut shared = self.lock();
        shared.written.insert(writer.name.clone());
        shared.uploads.push((writer.name, handle));
        Ok(())
    }

    fn write_playlist(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.put_after_uploads(name, Bytes::copy_from_slice(bytes))
    }

    fn remove(&mut self, name: &str) -> Result<()> {
        // Never before its own upload: a delete that overtook the PUT would leave the
        // object behind.
        self.wait()?;
        let url = self.prefix.join(name);
        block_on(delete(&url))?;
        self.lock().written.remove(name);
        Ok(())
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // An output abandoned mid-way: uploads still running finish on their own; nothing
        // names them (the playlist that would is never written).
        self.uploads.clear();
    }
}
