//! Live HLS into a bucket, for `muxkit ingest`: nothing here blocks the caller (an event loop
//! serving hundreds of connections). Every operation is queued to a task per stream on the
//! store's runtime, which uploads segments as they complete (several at once), stores a
//! playlist only after every segment queued before it has landed, and deletes what left the
//! window when the segmenter says (after the RFC 8216 grace period).
//!
//! A playlist is stored conditionally: created only if absent, then replaced only while its
//! ETag is the one this node wrote last (If-None-Match / If-Match). When another node has taken
//! the stream over (a publisher that reconnected through the load balancer to another node,
//! while this one still held the old connection), this node's next playlist write fails its
//! precondition and the stream stops here instead of overwriting the other's playlist.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use object_store::{ObjectStore, PutMode, PutOptions, PutPayload, UpdateVersion};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use super::location::ObjectUrl;
use super::read::get_whole;
use super::retry::retrying;
use super::runtime;
use super::write::{delete, put};
use crate::error::{Error, Result};
use crate::hls::SegmentStore;

/// Segment bytes a stream may have waiting for the bucket before it fails: a server that
/// cannot keep up ends the publish instead of growing memory without bound.
pub const MAX_WAITING_BYTES: usize = 64 << 20;

/// Operations queued or running in every live store of the process, for [`flush_all`].
static PENDING: AtomicUsize = AtomicUsize::new(0);

/// Waits (up to `timeout`) until every live store of the process has stored what was queued:
/// a server's shutdown, so the last segments and playlists are not lost with the process.
/// False if something was still pending at the deadline.
pub fn flush_all(timeout: Duration) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    while PENDING.load(Ordering::Acquire) > 0 {
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

enum Op {
    Segment(String, Bytes),
    Playlist(String, Bytes),
    Delete(String),
    Flush(oneshot::Sender<()>),
}

#[derive(Debug, Default)]
struct Status {
    failure: Mutex<Option<String>>,
    waiting_bytes: AtomicUsize,
}

impl Status {
    fn fail(&self, message: String) {
        let mut f = self.failure.lock().unwrap_or_else(|p| p.into_inner());
        if f.is_none() {
            *f = Some(message);
        }
    }

    fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// A [`SegmentStore`] for one live stream under an object prefix; clones share its queue.
#[derive(Clone)]
pub struct LiveObjectStore {
    prefix: ObjectUrl,
    queue: mpsc::UnboundedSender<Op>,
    status: Arc<Status>,
}

impl std::fmt::Debug for LiveObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LiveObjectStore({})", self.prefix)
    }
}

/// A playlist read back from the bucket, with what it takes to carry it on.
#[derive(Debug)]
pub struct StoredPlaylist {
    /// The playlist's text.
    pub text: Bytes,
    /// Its ETag and version (S3 and Azure compare the ETag, GCS the generation): the next
    /// write replaces exactly this version.
    pub version: UpdateVersion,
}

/// Whether `v` names a version at all.
fn known(v: &UpdateVersion) -> bool {
    v.e_tag.is_some() || v.version.is_some()
}

impl LiveObjectStore {
    /// Writes under `prefix`. `playlists` are the ETags of playlists read back to carry on
    /// (name → ETag): their first write replaces that version only; any other playlist is
    /// created only if absent.
    pub fn new(prefix: ObjectUrl, playlists: HashMap<String, UpdateVersion>) -> LiveObjectStore {
        let (tx, rx) = mpsc::unbounded_channel();
        let status = Arc::new(Status::default());
        runtime().spawn(work(prefix.clone(), rx, Arc::clone(&status), playlists));
        LiveObjectStore {
            prefix,
            queue: tx,
            status,
        }
    }

    /// Why the stream cannot be stored any more, once that is so.
    pub fn failure(&self) -> Option<String> {
        self.status.failure()
    }

    /// Segment bytes queued or uploading.
    pub fn waiting_bytes(&self) -> usize {
        self.status.waiting_bytes.load(Ordering::Relaxed)
    }

    /// Waits (up to `timeout`) until everything queued so far is stored; false if it was not
    /// in time. For a server's shutdown, from outside the store's runtime.
    pub fn flush(&self, timeout: Duration) -> bool {
        let (tx, rx) = oneshot::channel();
        PENDING.fetch_add(1, Ordering::AcqRel);
        if self.queue.send(Op::Flush(tx)).is_err() {
            PENDING.fetch_sub(1, Ordering::AcqRel);
            return true;
        }
        super::block_on(async { tokio::time::timeout(timeout, rx).await.is_ok() })
    }

    /// Takes the stream's playlist over from whichever node wrote it: stores it again without
    /// its ENDLIST and with a comment naming `node` and the time (an ETag is the content's
    /// hash: the same text again would keep the old version's ETag, which the other node
    /// still holds), on condition that it is still the version read (`stored.e_tag`), and
    /// returns the new version's ETag. From then on a late write by the node that had the
    /// stream (its last segment, its ENDLIST) fails its precondition there instead of ending
    /// this node's stream. `Ok(None)` when the playlist changed since it was read (read it
    /// again and retry).
    pub fn claim_playlist(
        prefix: &ObjectUrl,
        name: &str,
        stored: &StoredPlaylist,
        node: &str,
    ) -> Result<Option<UpdateVersion>> {
        if !known(&stored.version) {
            return Err(prefix
                .join(name)
                .error("the store gave no ETag for the playlist: it cannot be taken over safely"));
        }
        let mut text: String = String::from_utf8_lossy(&stored.text)
            .lines()
            .filter(|l| l.trim() != "#EXT-X-ENDLIST")
            .map(|l| format!("{l}\n"))
            .collect();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        // A comment line (RFC 8216 section 4.1: `#` not followed by `EXT`).
        text.push_str(&format!("# carried on by node {node} at {now}\n"));
        let url = prefix.join(name);
        match super::block_on(put_playlist(
            &url,
            Bytes::from(text),
            Some(stored.version.clone()),
        )) {
            Ok(e) => Ok(e),
            Err(Error::Storage { message, .. }) if message == TAKEN_OVER => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// [`LiveObjectStore::flush`] for async callers (an event loop ending a publish): waits
    /// without blocking the loop.
    pub async fn flushed(&self, timeout: Duration) -> bool {
        let (tx, rx) = oneshot::channel();
        PENDING.fetch_add(1, Ordering::AcqRel);
        if self.queue.send(Op::Flush(tx)).is_err() {
            PENDING.fetch_sub(1, Ordering::AcqRel);
            return true;
        }
        tokio::time::timeout(timeout, rx).await.is_ok()
    }

    /// The playlist `name` under `prefix`, if there is one, with its ETag.
    pub fn read_playlist(prefix: &ObjectUrl, name: &str) -> Result<Option<StoredPlaylist>> {
        let found = super::block_on(get_whole(&prefix.join(name)))?;
        Ok(found.map(|(text, version)| StoredPlaylist { text, version }))
    }

    fn send(&self, op: Op) -> Result<()> {
        if let Some(f) = self.failure() {
            return Err(self.prefix.error(f));
        }
        PENDING.fetch_add(1, Ordering::AcqRel);
        self.queue.send(op).map_err(|_| {
            PENDING.fetch_sub(1, Ordering::AcqRel);
            self.prefix.error("the upload queue has stopped")
        })
    }
}

impl SegmentStore for LiveObjectStore {
    type Writer = super::segments::SegmentBuffer;

    fn create(&mut self, name: &str) -> Result<Self::Writer> {
        Ok(super::segments::SegmentBuffer::new(name))
    }

    fn commit(&mut self, writer: Self::Writer) -> Result<()> {
        let (name, data) = writer.into_parts();
        let waiting = self
            .status
            .waiting_bytes
            .fetch_add(data.len(), Ordering::Relaxed)
            + data.len();
        if waiting > MAX_WAITING_BYTES {
            self.status.fail(format!(
                "the bucket is not keeping up: {} MiB of segments waiting to be stored",
                waiting >> 20
            ));
        }
        self.send(Op::Segment(name, Bytes::from(data)))
    }

    fn write_playlist(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.send(Op::Playlist(name.to_owned(), Bytes::copy_from_slice(bytes)))
    }

    fn remove(&mut self, name: &str) -> Result<()> {
        self.send(Op::Delete(name.to_owned()))
    }
}

/// Whether `name` is a playlist or manifest (stored conditionally), not an init segment.
fn is_playlist(name: &str) -> bool {
    name.ends_with(".m3u8") || name.ends_with(".mpd")
}

async fn work(
    prefix: ObjectUrl,
    mut queue: mpsc::UnboundedReceiver<Op>,
    status: Arc<Status>,
    mut versions: HashMap<String, UpdateVersion>,
) {
    let mut uploads: JoinSet<Result<usize>> = JoinSet::new();
    // Settles every upload started so far; a failure is the stream's failure.
    async fn settle(uploads: &mut JoinSet<Result<usize>>, status: &Status) {
        while let Some(done) = uploads.join_next().await {
            match done {
                Ok(Ok(len)) => {
                    status.waiting_bytes.fetch_sub(len, Ordering::Relaxed);
                }
                Ok(Err(e)) => status.fail(e.to_string()),
                Err(e) => status.fail(format!("an upload task failed: {e}")),
            }
        }
    }
    while let Some(op) = queue.recv().await {
        match op {
            Op::Segment(name, bytes) => {
                let url = prefix.join(&name);
                uploads.spawn(async move {
                    let len = bytes.len();
                    let stored = put(&url, bytes).await.map(|()| len);
                    PENDING.fetch_sub(1, Ordering::AcqRel);
                    stored
                });
            }
            Op::Playlist(name, bytes) => {
                settle(&mut uploads, &status).await;
                if status.failure().is_some() {
                    // Never list what may be missing; the stream is over here.
                    PENDING.fetch_sub(1, Ordering::AcqRel);
                    continue;
                }
                let url = prefix.join(&name);
                let stored = if is_playlist(&name) {
                    put_playlist(&url, bytes, versions.get(&name).cloned()).await
                } else {
                    put(&url, bytes).await.map(|()| None)
                };
                match stored {
                    Ok(Some(v)) => {
                        versions.insert(name, v);
                    }
                    Ok(None) => {}
                    Err(e) => status.fail(e.to_string()),
                }
                PENDING.fetch_sub(1, Ordering::AcqRel);
            }
            Op::Delete(name) => {
                // After every upload before it (its own segment's among them).
                settle(&mut uploads, &status).await;
                if status.failure().is_some() {
                    // Taken over (or failing): the segment may be listed by the playlist the
                    // new node carries on; it is that node's to delete.
                    PENDING.fetch_sub(1, Ordering::AcqRel);
                    continue;
                }
                let url = prefix.join(&name);
                uploads.spawn(async move {
                    let deleted = delete(&url).await.map(|()| 0);
                    PENDING.fetch_sub(1, Ordering::AcqRel);
                    deleted
                });
            }
            Op::Flush(done) => {
                settle(&mut uploads, &status).await;
                PENDING.fetch_sub(1, Ordering::AcqRel);
                let _ = done.send(());
            }
        }
    }
    settle(&mut uploads, &status).await;
}

/// Stores a playlist: created if this node has no version of it, else replacing the version
/// it wrote last; the new ETag. A failed precondition means another node wrote it.
async fn put_playlist(
    url: &ObjectUrl,
    bytes: Bytes,
    last: Option<UpdateVersion>,
) -> Result<Option<UpdateVersion>> {
    let path = url.path();
    let mode = match &last {
        Some(v) => PutMode::Update(v.clone()),
        None => PutMode::Create,
    };
    let result = retrying(&url.retry, &url.log, &format!("PUT {url}"), || {
        let store: Arc<dyn ObjectStore> = url.store.clone();
        let path = path.clone();
        let options = PutOptions {
            mode: mode.clone(),
            ..PutOptions::default()
        };
        let payload = PutPayload::from_bytes(bytes.clone());
        async move { store.put_opts(&path, payload, options).await }
    })
    .await;
    match result {
        Ok(r) => {
            let v = UpdateVersion {
                e_tag: r.e_tag,
                version: r.version,
            };
            if known(&v) {
                return Ok(Some(v));
            }
            // Without its version the next write could not be conditional: ask for it.
            current(url).await?.map(|(_, v)| Some(v)).ok_or_else(|| {
                url.error(
                    "the store gave no ETag for the playlist: it cannot be written conditionally",
                )
            })
        }
        Err(
            object_store::Error::Precondition { .. } | object_store::Error::AlreadyExists { .. },
        ) => {
            // A retried PUT whose first attempt was stored (its answer lost) fails its own
            // precondition: the object holding exactly these bytes is this node's.
            if let Some((stored, v)) = current(url).await? {
                if stored == bytes {
                    return Ok(Some(v));
                }
            }
            Err(url.error(TAKEN_OVER))
        }
        Err(e) => Err(url.failed("cannot store it", &e)),
    }
}

/// What a node says when another has written the playlist it was writing.
pub(crate) const TAKEN_OVER: &str = "another node has written this playlist (the stream was taken over, or is published twice): this node stops writing it";

/// The object's bytes and version now, if it exists.
async fn current(url: &ObjectUrl) -> Result<Option<(Bytes, UpdateVersion)>> {
    match get_whole(url).await? {
        Some((_, v)) if !known(&v) => Err(url.error("the store gave no ETag for the playlist")),
        found => Ok(found),
    }
}
