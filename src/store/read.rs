//! Reading an object: ranged GETs in large blocks, several in flight ahead of the reader, each
//! conditional on the ETag first seen, so an object replaced mid-read fails instead of
//! splicing two versions.

use std::collections::VecDeque;
use std::io::Read;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, UpdateVersion};
use tokio::task::JoinHandle;

use super::location::ObjectUrl;
use super::retry::retrying;
use super::{block_on, runtime};
use crate::error::{Error, Result};

/// Bytes per ranged GET: large enough that request overhead is noise (a few ms per request
/// against ~10 ms of transfer at 1 GB/s), small enough that read-ahead stays bounded.
pub const READ_BLOCK: u64 = 8 << 20;

/// Ranged GETs in flight ahead of the reader (so [`READ_BLOCK`] × this much memory per input).
pub const READ_AHEAD: usize = 4;

/// An object about to be read: its URL, and its length and ETag from a HEAD request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInput {
    /// Where it is.
    pub url: ObjectUrl,
    /// Its length in bytes.
    pub len: u64,
    /// Its entity tag when the HEAD was made; every read is conditional on it.
    pub e_tag: Option<String>,
}

impl ObjectInput {
    /// HEADs `url`: the object must exist.
    pub fn open(url: &ObjectUrl) -> Result<ObjectInput> {
        let meta = block_on(head_retried(url)).map_err(|e| url.failed("cannot read it", &e))?;
        Ok(ObjectInput {
            url: url.clone(),
            len: meta.size,
            e_tag: meta.e_tag,
        })
    }

    /// Bytes `range` of the object (one GET, retried), conditional on the ETag.
    fn get(&self, range: std::ops::Range<u64>) -> JoinHandle<Result<Bytes>> {
        let url = self.url.clone();
        let e_tag = self.e_tag.clone();
        runtime().spawn(async move {
            let path = url.path();
            let what = format!("GET {url} bytes {}..{}", range.start, range.end);
            let fetched = retrying(&url.retry, &url.log, &what, || {
                let options = GetOptions {
                    if_match: e_tag.clone(),
                    range: Some(GetRange::Bounded(range.clone())),
                    ..GetOptions::default()
                };
                let store = url.store.clone();
                let path = path.clone();
                let expected = e_tag.clone();
                async move {
                    let got = store.get_opts(&path, options).await?;
                    // Some servers ignore If-Match on GET (s3s-fs does): the ETag the
                    // answer carries is checked too.
                    if let (Some(want), Some(now)) = (&expected, &got.meta.e_tag) {
                        if want != now {
                            return Err(object_store::Error::Precondition {
                                path: path.to_string(),
                                source: format!("ETag {want} when first read, {now} now").into(),
                            });
                        }
                    }
                    got.bytes().await
                }
            })
            .await
            .map_err(|e| {
                url.failed(&format!("reading bytes {}..{}", range.start, range.end), &e)
            })?;
            if fetched.len() as u64 != range.end - range.start {
                return Err(url.error(format!(
                    "reading bytes {}..{}: the server sent {} bytes (the object changed?)",
                    range.start,
                    range.end,
                    fetched.len()
                )));
            }
            Ok(fetched)
        })
    }

    /// The first `n` bytes (fewer if the object is shorter): what format detection looks at.
    pub fn head_bytes(&self, n: u64) -> Result<Bytes> {
        let end = n.min(self.len);
        if end == 0 {
            return Ok(Bytes::new());
        }
        join(self.get(0..end))
    }

    /// A reader of the whole object.
    pub fn reader(&self) -> ObjectReader {
        ObjectReader {
            input: self.clone(),
            next_request: 0,
            in_flight: VecDeque::new(),
            current: Bytes::new(),
        }
    }

    /// Downloads the object into a new file in `dir` (several ranged GETs at once), for the
    /// formats that need the whole input at hand (MP4's index can be at the end). The file
    /// is removed when the returned guard drops.
    pub fn download_to(&self, dir: &Path) -> Result<TempDownload> {
        let name = format!(
            ".muxkit-download.{}.{}.tmp",
            std::process::id(),
            next_serial()
        );
        let path = dir.join(name);
        let guard = TempDownload { path: path.clone() };
        let file = std::fs::File::create(&path).map_err(|source| Error::File {
            path: path.clone(),
            source,
        })?;
        let mut reader = self.reader();
        let mut at = 0u64;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        while at < self.len {
            let block = reader.next_block()?;
            std::io::Write::write_all(&mut out, &block).map_err(|source| Error::File {
                path: path.clone(),
                source,
            })?;
            at += block.len() as u64;
        }
        out.into_inner()
            .map_err(|e| Error::File {
                path: path.clone(),
                source: e.into_error(),
            })?
            .sync_data()
            .ok();
        Ok(guard)
    }
}

/// The first `n` bytes of each of `inputs` (fewer where one is shorter), sixteen requests at
/// a time: what a batch's plan reads to recognise each input's format.
pub fn read_heads(inputs: &[ObjectInput], n: u64) -> Vec<Result<Bytes>> {
    let mut out = Vec::with_capacity(inputs.len());
    for chunk in inputs.chunks(16) {
        let handles: Vec<_> = chunk
            .iter()
            .map(|i| (i.len.min(n) > 0).then(|| i.get(0..i.len.min(n))))
            .collect();
        out.extend(handles.into_iter().map(|h| match h {
            Some(h) => join(h),
            None => Ok(Bytes::new()),
        }));
    }
    out
}

/// The whole of a small object (a state file), or `None` when there is none.
pub fn read_small(url: &ObjectUrl) -> Result<Option<Bytes>> {
    Ok(block_on(get_whole(url))?.map(|(bytes, _)| bytes))
}

/// HEAD of `url`, retried by its policy (the caller words the error).
pub(crate) async fn head_retried(
    url: &ObjectUrl,
) -> std::result::Result<object_store::ObjectMeta, object_store::Error> {
    let path = url.path();
    retrying(&url.retry, &url.log, &format!("HEAD {url}"), || {
        let store = url.store.clone();
        let path = path.clone();
        async move { store.head(&path).await }
    })
    .await
}

/// The whole object `url` with its version (ETag and generation), retried; `None` when
/// there is none.
pub(crate) async fn get_whole(url: &ObjectUrl) -> Result<Option<(Bytes, UpdateVersion)>> {
    let path = url.path();
    let got = retrying(&url.retry, &url.log, &format!("GET {url}"), || {
        let store = url.store.clone();
        let path = path.clone();
        async move {
            let r = store.get(&path).await?;
            let version = UpdateVersion {
                e_tag: r.meta.e_tag.clone(),
                version: r.meta.version.clone(),
            };
            Ok((r.bytes().await?, version))
        }
    })
    .await;
    match got {
        Ok(found) => Ok(Some(found)),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(url.failed("cannot read it", &e)),
    }
}

fn next_serial() -> u64 {
    static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A downloaded copy of an object, removed on drop.
#[derive(Debug)]
pub struct TempDownload {
    path: PathBuf,
}

impl TempDownload {
    /// Where the copy is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDownload {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn join<T: Send>(handle: JoinHandle<Result<T>>) -> Result<T> {
    block_on(handle).map_err(|e| Error::Storage {
        url: String::new(),
        message: format!("a storage request's task failed: {e}"),
        transient: true,
    })?
}

/// [`Read`] over an object, [`READ_BLOCK`] bytes per GET with up to [`READ_AHEAD`] GETs in
/// flight, so the network works while the demuxer does.
pub struct ObjectReader {
    input: ObjectInput,
    /// Where the next GET to issue starts.
    next_request: u64,
    in_flight: VecDeque<JoinHandle<Result<Bytes>>>,
    /// What is left of the block being read.
    current: Bytes,
}

impl std::fmt::Debug for ObjectReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ObjectReader({}, at {})",
            self.input.url, self.next_request
        )
    }
}

impl ObjectReader {
    /// Keeps [`READ_AHEAD`] GETs in flight, then waits for the oldest.
    fn next_block(&mut self) -> Result<Bytes> {
        while self.in_flight.len() < READ_AHEAD && self.next_request < self.input.len {
            let end = (self.next_request + self.input.url.read_block).min(self.input.len);
            self.in_flight
                .push_back(self.input.get(self.next_request..end));
            self.next_request = end;
        }
        match self.in_flight.pop_front() {
            Some(handle) => join(handle),
            None => Ok(Bytes::new()),
        }
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.current.is_empty() {
            self.current = self.next_block().map_err(std::io::Error::other)?;
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        bytes::Buf::advance(&mut self.current, n);
        Ok(n)
    }
}

impl Drop for ObjectReader {
    fn drop(&mut self) {
        for handle in &self.in_flight {
            handle.abort();
        }
    }
}
