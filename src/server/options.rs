//! What `muxkit ingest` is asked to do, and the limits it holds every connection to.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::hls::{HlsOptions, PlaylistType};
use crate::rtmp::SessionConfig;

/// The handshake must be done within this long after the connection opens.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// `publish` or `play` must come within this long after the connection opens.
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(20);

/// A publisher that sends no media for this long is dropped and its name freed (bytes
/// that carry no media do not count); a write blocked this long drops the connection too
/// (a viewer that never reads).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Default connection limit (RTMP, RTMPS and HTTP together). An idle connection costs a few
/// KiB: the limit is there to bound file descriptors, not memory.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// Segment bytes gathered before a writer thread writes them to the file: with thousands of
/// publishers, 1 MiB blocks would hold whole segments in memory.
pub const LIVE_WRITE_BLOCK: usize = 64 * 1024;

/// The TS muxer's own block in a live segmenter: small, because the bytes go on into a
/// [`LIVE_WRITE_BLOCK`] on their way to the writer thread. Its default (64 KiB with as much
/// slack reserved) made every publisher hold 128 KiB twice over (measured with heaptrack:
/// most of the memory per publisher beyond the media).
pub const LIVE_MUX_BLOCK: usize = 4 * 1024;

/// How long a stopping server waits for its connections to end their publishes before it
/// returns anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// An HTTP client must send its request head within this long (slowloris).
pub const HTTP_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// A hook must answer within this long, or the publish or play it decides is refused.
pub const HOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest wait between two attempts to reach a `--forward` target.
pub const FORWARD_MAX_BACKOFF: Duration = Duration::from_secs(30);

/// RTMPS: a second listener with a certificate.
#[derive(Clone, Debug)]
pub struct TlsOptions {
    /// Where to listen for `rtmps://`.
    pub listen: SocketAddr,
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// HTTP hooks (`http://` URLs): POST with a JSON body; 2xx allows.
#[derive(Clone, Debug, Default)]
pub struct HookOptions {
    /// Asked before a publish starts.
    pub on_publish: Option<String>,
    /// Asked before a viewer (RTMP or HTTP-FLV) starts.
    pub on_play: Option<String>,
    /// Told when a publish ends.
    pub on_unpublish: Option<String>,
    /// See [`HOOK_TIMEOUT`].
    pub timeout: Duration,
}

/// Choices for [`super::IngestServer`].
#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// Where publishes go: `OUT/APP/STREAM/`; `None`: memory only (needs `http`).
    pub out_dir: Option<PathBuf>,
    /// Publishes go to object storage instead: `PREFIX/APP/STREAM/` in a bucket (behind a
    /// CDN). A republish, on this node or another, carries on the playlist read back from it.
    #[cfg(feature = "s3")]
    pub out_bucket: Option<crate::store::ObjectUrl>,
    /// This process's name among several writing one bucket: its segments and init segments
    /// are named `NODE-…`, so two nodes never write the same object (default: none on disk,
    /// the host name into a bucket).
    pub node_id: Option<String>,
    /// The live HLS choices (`playlist_type` is live unless set otherwise).
    pub hls: HlsOptions,
    /// Also keep every publish as an FLV and a VOD playlist (needs `out_dir`).
    pub record: bool,
    /// Also write a live DASH presentation of every publish (`OUT/APP/STREAM/dash/`,
    /// a dynamic `manifest.mpd` over per-track CMAF segments, the live window of the HLS).
    pub dash: bool,
    /// Session choices: message size limit, publish key.
    pub session: SessionConfig,
    /// Most connections at once (RTMP, RTMPS and HTTP); more are closed on accept.
    pub max_connections: usize,
    /// The deadlines (defaults: the named constants).
    pub handshake_timeout: Duration,
    /// See [`PUBLISH_TIMEOUT`].
    pub publish_timeout: Duration,
    /// See [`IDLE_TIMEOUT`].
    pub idle_timeout: Duration,
    /// Serve HLS, DASH, HTTP-FLV, `/metrics` and `/api/streams` here.
    pub http: Option<SocketAddr>,
    /// RTMPS.
    pub tls: Option<TlsOptions>,
    /// Hooks.
    pub hooks: HookOptions,
    /// Push every publish on to these (`rtmp://HOST[:PORT]/APP`; the stream name is added).
    pub forward: Vec<String>,
    /// Event loops, one thread each (0: one per core).
    pub threads: usize,
    /// Read every publisher's bytes as soon as they come, instead of resting its socket
    /// [`super::MERGED_READ_WAIT`] after each read of media (lower latency for viewers, more
    /// CPU).
    pub low_latency: bool,
}

impl IngestOptions {
    /// Live HLS into `out_dir` with the default limits.
    pub fn new(out_dir: impl Into<PathBuf>) -> IngestOptions {
        IngestOptions {
            out_dir: Some(out_dir.into()),
            ..IngestOptions::in_memory()
        }
    }

    /// Live HLS kept in memory and served over HTTP only.
    pub fn in_memory() -> IngestOptions {
        IngestOptions {
            out_dir: None,
            #[cfg(feature = "s3")]
            out_bucket: None,
            node_id: None,
            hls: HlsOptions {
                playlist_type: PlaylistType::Live,
                write_block_size: LIVE_MUX_BLOCK,
                ..HlsOptions::default()
            },
            record: false,
            dash: false,
            session: SessionConfig::default(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            handshake_timeout: HANDSHAKE_TIMEOUT,
            publish_timeout: PUBLISH_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
            http: None,
            tls: None,
            hooks: HookOptions {
                timeout: HOOK_TIMEOUT,
                ..HookOptions::default()
            },
            forward: Vec::new(),
            threads: 0,
            low_latency: false,
        }
    }
}
