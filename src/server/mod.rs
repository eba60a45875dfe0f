//! The live origin (`muxkit ingest`): the only sockets in the crate, on tokio event loops
//! (one per core).
//!
//! RTMP and RTMPS publishes become live HLS (and DASH) through the same segmenters `convert`
//! uses; the same port serves RTMP play from a GOP cache; `--http` serves the playlists and
//! segments, HTTP-FLV, `/metrics` and `/api/streams`; hooks ask the operator's service;
//! `--forward` relays. All protocol logic is the sans-IO [`crate::rtmp`] session: this
//! module moves bytes, keeps time and decides.
//!
//! | file | job |
//! |---|---|
//! | origin.rs | the runtime, listeners, what connections share, a clean stop |
//! | connection.rs | one RTMP connection: publish or play, deadlines |
//! | publish.rs | one publish's outputs: live HLS, DASH, the recording |
//! | file_writer.rs | writer threads: every file operation, off the event loops |
//! | hub.rs | one stream's fan-out: GOP cache, bounded viewer queues |
//! | http.rs | HLS/DASH files, HTTP-FLV, `/metrics`, `/api/streams`, CORS, ranges |
//! | store.rs | where live files go: disk, or memory served over HTTP |
//! | generator.rs | `muxkit publish --streams N`: N real-time publishes as tasks of one loop |
//! | hooks.rs | `--on-publish`, `--on-play`, `--on-unpublish` |
//! | relay.rs | `--forward` |
//! | tls.rs | RTMPS (rustls) |
//! | metrics.rs | Prometheus counters |
//! | options.rs, events.rs | choices and limits; what is reported |

mod connection;
mod events;
mod file_writer;
mod generator;
mod hooks;
mod http;
mod hub;
mod metrics;
mod options;
mod origin;
mod publish;
mod relay;
mod store;
mod tls;

pub use connection::MERGED_READ_WAIT;
pub use events::{IngestEvent, IngestEventKind};
pub use file_writer::MAX_QUEUED_BYTES;
pub use generator::publish_streams;
pub use hub::{MAX_GOP_CACHE_BYTES, MAX_VIEWER_QUEUE_BYTES};
pub use options::{
    DEFAULT_MAX_CONNECTIONS, FORWARD_MAX_BACKOFF, HANDSHAKE_TIMEOUT, HOOK_TIMEOUT,
    HTTP_HEADER_TIMEOUT, HookOptions, IDLE_TIMEOUT, IngestOptions, LIVE_MUX_BLOCK,
    LIVE_WRITE_BLOCK, PUBLISH_TIMEOUT, SHUTDOWN_GRACE, TlsOptions,
};
pub use origin::{IngestHandle, IngestServer, IngestStopper};
