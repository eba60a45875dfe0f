//! Writing objects: one PUT for small ones, a multipart upload (parts in parallel) for large
//! ones, deletes and listings; every request retried by the URL's policy.

use std::path::Path;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::multipart::MultipartStore;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use super::block_on;
use super::location::ObjectUrl;
use super::read::head_retried;
use super::retry::retrying;
use crate::error::{Error, Result};

/// Objects larger than this are uploaded in parts (S3 takes parts of 5 MiB and more). Below it
/// one PUT is cheaper for the server (a multipart upload is stored twice by some, s3s-fs among
/// them: parts, then the object) and, on a fast link, about as quick; rclone's cutoff is
/// 200 MiB, the AWS CLI's 8 MiB.
pub const MULTIPART_THRESHOLD: usize = 64 << 20;

/// Bytes per part of a multipart upload.
const PART_SIZE: usize = 16 << 20;

/// Parts uploaded at once.
const PARTS_IN_FLIGHT: usize = 4;

/// Stores `bytes` as the object `url` (one PUT, or a multipart upload when large). The object
/// appears whole or not at all.
pub(crate) async fn put(url: &ObjectUrl, bytes: Bytes) -> Result<()> {
    let path = url.path();
    if bytes.len() <= url.multipart_threshold {
        retrying(&url.retry, &url.log, &format!("PUT {url}"), || {
            let store = url.store.clone();
            let path = path.clone();
            let payload = PutPayload::from_bytes(bytes.clone());
            async move { store.put(&path, payload).await }
        })
        .await
        .map_err(|e| url.failed("cannot store it", &e))?;
        return Ok(());
    }
    if let Some(parts) = &url.parts {
        return multipart_by_part(url, parts.clone(), bytes).await;
    }
    // A store without part-level access: a part that fails fails the upload, which is then
    // aborted and made again from the start, up to the policy's retries (object_store's
    // `MultipartUpload` numbers parts as they are sent, so one cannot be sent again alone).
    retrying(
        &url.retry,
        &url.log,
        &format!("multipart upload of {url}"),
        || multipart(url.store.clone(), path.clone(), bytes.clone()),
    )
    .await
    .map_err(|e| url.failed("cannot store it", &e))?;
    Ok(())
}

async fn multipart(
    store: std::sync::Arc<dyn ObjectStore>,
    path: object_store::path::Path,
    bytes: Bytes,
) -> std::result::Result<(), object_store::Error> {
    let mut upload = store.put_multipart(&path).await?;
    let parts: Vec<_> = (0..bytes.len())
        .step_by(PART_SIZE)
        .map(|at| {
            upload.put_part(PutPayload::from_bytes(
                bytes.slice(at..(at + PART_SIZE).min(bytes.len())),
            ))
        })
        .collect();
    let sent = futures_util::stream::iter(parts)
        .buffer_unordered(PARTS_IN_FLIGHT)
        .try_collect::<Vec<()>>()
        .await;
    let done = match sent {
        Ok(_) => upload.complete().await.map(|_| ()),
        Err(e) => Err(e),
    };
    if done.is_err() {
        // Parts left behind are stored (and billed) until aborted.
        let _ = upload.abort().await;
    }
    done
}

/// A multipart upload whose every request (the start, each part, the completion) is retried
/// on its own: one failed part of a large upload costs that part, not the upload. Parts go
/// [`PARTS_IN_FLIGHT`] at a time; a failure after the retries aborts the upload, so no part
/// is left stored (and billed).
async fn multipart_by_part(
    url: &ObjectUrl,
    parts: std::sync::Arc<dyn MultipartStore>,
    bytes: Bytes,
) -> Result<()> {
    let path = url.path();
    let id = retrying(
        &url.retry,
        &url.log,
        &format!("start multipart upload of {url}"),
        || {
            let parts = parts.clone();
            let path = path.clone();
            async move { parts.create_multipart(&path).await }
        },
    )
    .await
    .map_err(|e| url.failed("cannot store it", &e))?;
    let sends = (0..bytes.len())
        .step_by(PART_SIZE)
        .enumerate()
        .map(|(idx, at)| {
            let chunk = bytes.slice(at..(at + PART_SIZE).min(bytes.len()));
            let (parts, path, id) = (parts.clone(), path.clone(), id.clone());
            async move {
                retrying(
                    &url.retry,
                    &url.log,
                    &format!("part {} of {url}", idx + 1),
                    || {
                        let (parts, path, id) = (parts.clone(), path.clone(), id.clone());
                        let payload = PutPayload::from_bytes(chunk.clone());
                        async move { parts.put_part(&path, &id, idx, payload).await }
                    },
                )
                .await
            }
        });
    let sent = futures_util::stream::iter(sends)
        .buffered(PARTS_IN_FLIGHT)
        .try_collect::<Vec<_>>()
        .await;
    let done = match sent {
        Ok(ids) => retrying(&url.retry, &url.log, &format!("complete {url}"), || {
            let (parts, path, id, ids) = (parts.clone(), path.clone(), id.clone(), ids.clone());
            async move { parts.complete_multipart(&path, &id, ids).await }
        })
        .await
        .map(|_| ()),
        Err(e) => Err(e),
    };
    let done = match done {
        // A completion that was retried after its answer was lost finds no upload any
        // more: the object is there, whole, if it has the size sent.
        Err(object_store::Error::NotFound { .. })
            if url
                .store
                .head(&path)
                .await
                .is_ok_and(|m| m.size == bytes.len() as u64) =>
        {
            Ok(())
        }
        other => other,
    };
    match done {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = parts.abort_multipart(&path, &id).await;
            Err(url.failed("cannot store it", &e))
        }
    }
}

/// Uploads the local file `path` as the object `url`: mapped, never read into memory whole;
/// multipart when larger than [`MULTIPART_THRESHOLD`].
pub fn upload_file(path: &Path, url: &ObjectUrl) -> Result<()> {
    let bytes = crate::io::map_file(path)?;
    block_on(put(url, bytes))
}

/// Stores `bytes` as the object `url` (a state file, a report).
pub fn put_bytes(url: &ObjectUrl, bytes: Vec<u8>) -> Result<()> {
    block_on(put(url, Bytes::from(bytes)))
}

/// Deletes the object `url`; one that is already gone is fine.
pub(crate) async fn delete(url: &ObjectUrl) -> Result<()> {
    let path = url.path();
    match retrying(&url.retry, &url.log, &format!("DELETE {url}"), || {
        let store = url.store.clone();
        let path = path.clone();
        async move { store.delete(&path).await }
    })
    .await
    {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(url.failed("cannot delete it", &e)),
    }
}

/// Deletes the object `url` now, from outside the runtime.
pub(crate) fn delete_now(url: &ObjectUrl) -> Result<()> {
    block_on(delete(url))
}

/// Whether anything is stored under the prefix `url` (`url/…`): the first page of a
/// listing, one object asked for. Fails on a missing bucket or refused credentials.
pub(crate) fn any_under(url: &ObjectUrl) -> Result<bool> {
    let prefix = url.path();
    let found = block_on(retrying(
        &url.retry,
        &url.log,
        &format!("LIST {url}/"),
        || {
            let store = url.store.clone();
            let prefix = prefix.clone();
            async move {
                let p = (!prefix.as_ref().is_empty()).then_some(&prefix);
                store.list(p).next().await.transpose()
            }
        },
    ))
    .map_err(|e| url.failed("cannot list it", &e))?;
    Ok(found.is_some())
}

/// Whether the object `url` exists (HEAD).
pub fn exists(url: &ObjectUrl) -> Result<bool> {
    match block_on(head_retried(url)) {
        Ok(_) => Ok(true),
        Err(object_store::Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(url.failed("cannot check it", &e)),
    }
}

/// Fails unless the bucket of `url` exists and can be listed: some servers create a bucket
/// on the first PUT into it (s3s-fs does), and a HEAD of a missing object cannot tell a
/// missing bucket from a missing key.
pub fn check_bucket(url: &ObjectUrl) -> Result<()> {
    // A prefix nothing is stored under: one request, an empty answer.
    let probe = url.with_key(&format!("{}.muxkit-bucket-check", url.key()));
    match any_under(&probe) {
        // Named by the user's URL, not the probe's.
        Err(Error::Storage {
            message, transient, ..
        }) => Err(Error::Storage {
            url: url.to_string(),
            message,
            transient,
        }),
        other => other.map(|_| ()),
    }
}

/// An object found under a prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedObject {
    /// Its key relative to the prefix (`a/b.flv` under `s3://bucket/in`).
    pub rel: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written, in ns since the epoch (what a batch's state compares, as
    /// it compares a file's modification time).
    pub modified_ns: u64,
    /// Its entity tag.
    pub e_tag: Option<String>,
}

/// Every object under the prefix `url` (`url/…`), sorted by key. A prefix with no objects
/// is an empty list; a missing bucket or refused credentials are errors.
pub fn list(url: &ObjectUrl) -> Result<Vec<ListedObject>> {
    let prefix = url.path();
    let prefix_key = url.key().to_owned();
    let listed = block_on(retrying(
        &url.retry,
        &url.log,
        &format!("LIST {url}/"),
        || {
            let store = url.store.clone();
            let prefix = prefix.clone();
            async move {
                let p = (!prefix.as_ref().is_empty()).then_some(&prefix);
                store.list(p).try_collect::<Vec<_>>().await
            }
        },
    ))
    .map_err(|e| url.failed("cannot list it", &e))?;
    let mut out: Vec<ListedObject> = listed
        .into_iter()
        .filter_map(|meta| {
            let key = meta.location.as_ref();
            let rel = if prefix_key.is_empty() {
                key
            } else {
                key.strip_prefix(prefix_key.as_str())?.strip_prefix('/')?
            };
            let modified_ns = meta
                .last_modified
                .timestamp_nanos_opt()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0);
            Some(ListedObject {
                rel: rel.to_owned(),
                size: meta.size,
                modified_ns,
                e_tag: meta.e_tag,
            })
        })
        .collect();
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

/// The size of the object `url`, or with `prefix`, of everything under it (an HLS output);
/// 0 when nothing is there. (A HEAD of a prefix is not asked: some servers answer it with a
/// 500, s3s-fs among them.)
pub fn stored_size(url: &ObjectUrl, prefix: bool) -> Result<u64> {
    if prefix {
        return Ok(list(url)?.iter().map(|o| o.size).sum());
    }
    match block_on(head_retried(url)) {
        Ok(meta) => Ok(meta.size),
        Err(object_store::Error::NotFound { .. }) => Ok(0),
        Err(e) => Err(url.failed("cannot check it", &e)),
    }
}
