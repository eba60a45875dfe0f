//! Object storage: `s3://`, `gs://` and `az://` inputs and outputs, through the
//! [`object_store`] crate.
//!
//! Everything else in muxkit is synchronous and reads mapped files; object storage is HTTP.
//! This module is the bridge: a small tokio runtime of its own ([`runtime`]) runs the
//! requests, and the rest of the crate sees the same shapes it already knows: a
//! [`std::io::Read`] for an input ([`ObjectReader`], ranged GETs in large blocks, several
//! ahead), a [`crate::hls::SegmentStore`] for segments and playlists ([`ObjectSegmentStore`],
//! each segment uploaded as it completes, a playlist only once every segment it names is
//! stored), and a file upload for single-file outputs ([`upload_file`], multipart above
//! [`MULTIPART_THRESHOLD`]).
//!
//! Every request is retried with exponential backoff on errors a retry can cure (a refused
//! connection, a timeout, a 5xx) and reported in the conversion's warnings; errors no retry
//! cures (403, a missing bucket, an object that changed while it was read) fail at once with
//! [`crate::Error::Storage`], which names the URL.
//!
//! | file | job |
//! |---|---|
//! | location.rs | `s3://BUCKET/KEY` parsed, the store built from the environment |
//! | retry.rs | the retry policy, what is worth retrying, the report of retries |
//! | read.rs | ranged reads with read-ahead; whole-object download where a format needs it |
//! | write.rs | single and multipart uploads, deletes, listings |
//! | segments.rs | HLS/DASH segments and playlists into a bucket |
//! | live.rs | the same for a live stream, queued so an event loop never waits |
//! | convert.rs | `convert` between any two [`Location`]s |

mod convert;
mod live;
mod location;
mod read;
mod retry;
mod segments;
pub(crate) mod write;

use std::sync::OnceLock;

pub use convert::convert_between;
pub use live::{LiveObjectStore, MAX_WAITING_BYTES, StoredPlaylist, flush_all};
pub use location::{Location, ObjectUrl, StoreOptions};
pub use read::{
    ObjectInput, ObjectReader, READ_AHEAD, READ_BLOCK, TempDownload, read_heads, read_small,
};
pub use retry::{RetryLog, RetryPolicy};
pub use segments::{ObjectSegmentStore, SegmentBuffer};
pub use write::{
    ListedObject, MULTIPART_THRESHOLD, check_bucket, exists, list, put_bytes, stored_size,
    upload_file,
};

/// The runtime object storage requests run on: two worker threads, started on first use.
/// Callers block on it from their own threads (a batch's pool, a segment writer), never from
/// inside it.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        #[allow(clippy::expect_used)]
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("muxkit-store")
            .enable_all()
            .build()
            .expect("the object storage runtime starts (threads and a timer)")
    })
}

/// Runs `future` to completion on the [`runtime`]. Meant for threads outside any runtime (a
/// batch worker, a segment writer, a `spawn_blocking` task); called from inside one, it
/// blocks that runtime's thread (`block_in_place` on a multi-threaded one; on a
/// single-threaded one, such as each of the ingest's event loops, from a helper thread), so
/// it never panics, but an event loop must not call it: the ingest only queues.
pub(crate) fn block_on<F>(future: F) -> F::Output
where
    F: std::future::Future + Send,
    F::Output: Send,
{
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => {
            tokio::task::block_in_place(|| runtime().block_on(future))
        }
        Ok(_) => std::thread::scope(|s| {
            s.spawn(|| runtime().block_on(future))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }),
        Err(_) => runtime().block_on(future),
    }
}
