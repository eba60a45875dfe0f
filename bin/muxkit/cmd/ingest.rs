//! `muxkit ingest`: the live origin (RTMP and RTMPS in; HLS, DASH, HTTP-FLV and RTMP play out).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use muxkit::hls::{HlsOptions, PlaylistType};
use muxkit::rtmp::SessionConfig;
use muxkit::rtmp::chunk::{DEFAULT_MAX_MESSAGE_SIZE, HARD_MAX_MESSAGE_SIZE};
use muxkit::server::{
    HookOptions, IngestEvent, IngestEventKind, IngestOptions, IngestServer, TlsOptions,
};

/// Arguments of `muxkit ingest`.
#[derive(Args)]
pub struct IngestArgs {
    /// Address to listen on for RTMP (publish and play).
    #[arg(long, default_value = "0.0.0.0:1935")]
    pub listen: SocketAddr,
    /// Output folder: a publish to rtmp://host/APP/STREAM writes OUT/APP/STREAM/index.m3u8.
    /// Or a bucket (`s3://BUCKET/PREFIX`, `gs://`, `az://`), for a CDN to serve: segments
    /// uploaded as they complete, the playlist after them. Without it (and with --http), the
    /// live window is kept in memory and served.
    #[arg(long, required_unless_present = "http")]
    pub out: Option<PathBuf>,
    /// This node's name among several ingests writing one bucket behind a load balancer
    /// (letters, digits, - and _): segment names start with it, so nodes never write the
    /// same object, and a publisher that reconnects to another node carries on its playlist
    /// there. Default with a bucket: the host name.
    #[arg(long, value_name = "ID")]
    pub node_id: Option<String>,
    /// Serve over HTTP here: /APP/STREAM/index.m3u8 (and segments, dash/manifest.mpd),
    /// /APP/STREAM.flv (HTTP-FLV), /metrics (Prometheus), /api/streams (JSON).
    #[arg(long, value_name = "ADDR")]
    pub http: Option<SocketAddr>,
    /// Target segment duration in seconds (any positive decimal).
    #[arg(long, default_value_t = 6.0, value_parser = super::convert::parse_hls_time, allow_negative_numbers = true)]
    pub hls_time: f64,
    /// Segments in the live window.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub hls_list_size: u32,
    /// Playlist type: live (sliding window) or event (grows; nothing deleted).
    #[arg(long, value_enum, default_value = "live")]
    pub hls_playlist_type: LiveType,
    /// Segment format: mpegts, or fmp4 (CMAF: init.mp4 and .m4s segments; needed for AV1,
    /// VP9, Opus and FLAC publishes, and for HEVC on Apple devices).
    #[arg(long, value_enum, default_value = "mpegts")]
    pub hls_segment_type: super::convert::SegmentTypeArg,
    /// Also write each publish as live DASH: OUT/APP/STREAM/dash/manifest.mpd (dynamic while
    /// live, static at the end) over per-track CMAF segments, with the HLS window.
    #[arg(long)]
    pub dash: bool,
    /// Also keep each publish whole: OUT/APP/STREAM/record_TIME.flv and a VOD playlist in
    /// OUT/APP/STREAM/record_TIME/ (needs --out).
    #[arg(long, requires = "out")]
    pub record: bool,
    /// Require this stream key: publish to rtmp://host/APP/STREAM?key=SECRET (OBS: put
    /// `STREAM?key=SECRET` in the Stream Key field).
    #[arg(long, value_name = "SECRET")]
    pub publish_key: Option<String>,
    /// Ask this URL before every publish: an HTTP POST with JSON (action, app, stream, query,
    /// key, client, protocol); a 2xx answer allows, anything else or no answer refuses.
    #[arg(long, value_name = "URL")]
    pub on_publish: Option<String>,
    /// Ask this URL before every viewer (RTMP play and HTTP-FLV), as --on-publish.
    #[arg(long, value_name = "URL")]
    pub on_play: Option<String>,
    /// Tell this URL when a publish has ended (its playlist finished).
    #[arg(long, value_name = "URL")]
    pub on_unpublish: Option<String>,
    /// Seconds a hook may take before the publish or play it decides is refused.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    pub hook_timeout: f64,
    /// Push every publish on to rtmp://HOST[:PORT]/APP (the stream name is added); repeat
    /// for several. A target that is down is tried again with a growing wait.
    #[arg(long, value_name = "URL")]
    pub forward: Vec<String>,
    /// Listen for RTMPS here (needs --tls-cert and --tls-key).
    #[arg(long, value_name = "ADDR", requires_all = ["tls_cert", "tls_key"])]
    pub tls_listen: Option<SocketAddr>,
    /// PEM certificate chain for RTMPS.
    #[arg(long, value_name = "FILE", requires = "tls_listen")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for RTMPS.
    #[arg(long, value_name = "FILE", requires = "tls_listen")]
    pub tls_key: Option<PathBuf>,
    /// Most connections at once (RTMP, RTMPS and HTTP).
    #[arg(long, default_value_t = muxkit::server::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Largest RTMP message accepted, in bytes (at most 16777215).
    #[arg(long, default_value_t = DEFAULT_MAX_MESSAGE_SIZE,
          value_parser = clap::value_parser!(u32).range(1..=HARD_MAX_MESSAGE_SIZE as i64))]
    pub max_message_size: u32,
    /// Event-loop threads (default: one per core; as many writer threads again).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Read publishers' bytes the moment they come (by default a publisher's socket rests
    /// 50 ms after each read, so one read takes several frames: much less CPU per publisher,
    /// viewers see frames up to 50 ms later).
    #[arg(long)]
    pub low_latency: bool,
}

/// `--hls-playlist-type` values for ingest.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum LiveType {
    /// Sliding window.
    Live,
    /// Growing playlist.
    Event,
}

/// How bad an event is, for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    Info,
    Warn,
    Error,
}

/// An event as a log record: its level, the stream it concerns, and the message (names made
/// printable: a stream name cannot forge a log line).
fn describe(e: &IngestEvent) -> Option<(Level, Option<String>, String)> {
    let p = |s: &str| super::printable(s);
    Some(match &e.kind {
        IngestEventKind::Accepted => (Level::Info, None, "connected".into()),
        IngestEventKind::TooManyConnections => {
            (Level::Warn, None, "refused: too many connections".into())
        }
        IngestEventKind::Connected { app } => {
            (Level::Info, None, format!("connect app={}", p(app)))
        }
        IngestEventKind::Publishing {
            name,
            playlist,
            republish,
        } => (
            Level::Info,
            Some(p(name)),
            format!(
                "publish -> {}{}",
                playlist.display(),
                if *republish {
                    " (republish: continues after a discontinuity)"
                } else {
                    ""
                }
            ),
        ),
        IngestEventKind::Refused { reason } => {
            (Level::Warn, None, format!("refused: {}", p(reason)))
        }
        IngestEventKind::Unpublished { name, reason } => (
            Level::Info,
            Some(p(name)),
            format!("unpublish ({})", p(reason)),
        ),
        IngestEventKind::Playing { name, via } => {
            (Level::Info, Some(p(name)), format!("play ({via})"))
        }
        IngestEventKind::Stopped { name, reason } => (
            Level::Info,
            Some(p(name)),
            format!("play stopped ({})", p(reason)),
        ),
        IngestEventKind::Forward {
            name,
            target,
            message,
        } => (
            Level::Info,
            Some(p(name)),
            format!("forward to {}: {}", p(target), p(message)),
        ),
        IngestEventKind::Error { message } => (Level::Error, None, p(message)),
        IngestEventKind::Warning { message } => (Level::Warn, None, p(message)),
        IngestEventKind::Closed => (Level::Info, None, "closed".into()),
        _ => return None,
    })
}

fn log(e: &IngestEvent) {
    let Some((level, stream, message)) = describe(e) else {
        return;
    };
    let stream = stream.as_deref().unwrap_or("-");
    match level {
        Level::Info => tracing::info!(peer = %e.peer, stream = %stream, "{message}"),
        Level::Warn => tracing::warn!(peer = %e.peer, stream = %stream, "{message}"),
        Level::Error => tracing::error!(peer = %e.peer, stream = %stream, "{message}"),
    }
}

/// Runs the subcommand until SIGINT/SIGTERM, which end every publish (ENDLIST) first.
pub fn run(args: IngestArgs) -> muxkit::Result<()> {
    // Server logs: one line per event, with the peer and the stream as fields; RUST_LOG
    // filters (e.g. RUST_LOG=warn), else -q (errors), the default (info) or -v/-vv.
    let default_filter = match super::say::level() {
        super::say::QUIET => "error",
        super::say::NORMAL => "info",
        super::say::VERBOSE => "debug",
        _ => "trace",
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .try_init();
    let hook_timeout = Duration::try_from_secs_f64(args.hook_timeout)
        .ok()
        .filter(|d| !d.is_zero() && *d <= Duration::from_secs(3600))
        .ok_or_else(|| {
            muxkit::Error::Usage(
                "--hook-timeout must be a number of seconds above 0 and at most 3600".into(),
            )
        })?;
    let mut options = match args.out {
        Some(out) if muxkit::store::ObjectUrl::is_object_url(&out.to_string_lossy()) => {
            let store = muxkit::store::StoreOptions::from_env()?;
            let mut o = IngestOptions::in_memory();
            let url = muxkit::store::ObjectUrl::parse(&out.to_string_lossy(), &store)?;
            // A missing bucket or refused credentials: said now, not at the first publish.
            muxkit::store::check_bucket(&url)?;
            o.out_bucket = Some(url);
            o
        }
        Some(out) => IngestOptions::new(out),
        None => IngestOptions::in_memory(),
    };
    options.node_id = args.node_id;
    options.hls = HlsOptions {
        target_duration: args.hls_time,
        list_size: args.hls_list_size as usize,
        playlist_type: match args.hls_playlist_type {
            LiveType::Live => PlaylistType::Live,
            LiveType::Event => PlaylistType::Event,
        },
        segment_type: args.hls_segment_type.kind(),
        segment_pattern: args.hls_segment_type.kind().default_pattern().to_owned(),
        ..options.hls.clone()
    };
    options.record = args.record;
    options.dash = args.dash;
    options.max_connections = args.max_connections;
    options.session = SessionConfig {
        max_message_size: args.max_message_size,
        publish_key: args.publish_key,
        ..SessionConfig::default()
    };
    options.http = args.http;
    options.hooks = HookOptions {
        on_publish: args.on_publish,
        on_play: args.on_play,
        on_unpublish: args.on_unpublish,
        timeout: hook_timeout,
    };
    for target in &args.forward {
        muxkit::rtmp::client::RtmpUrl::parse(&format!("{}/check", target.trim_end_matches('/')))
            .map_err(|e| muxkit::Error::Usage(format!("--forward: {e}")))?;
    }
    options.forward = args.forward;
    options.threads = args.threads;
    options.low_latency = args.low_latency;
    if let (Some(listen), Some(cert), Some(key)) = (args.tls_listen, args.tls_cert, args.tls_key) {
        options.tls = Some(TlsOptions { listen, cert, key });
    }
    let server = IngestServer::bind(args.listen, options, |e| log(&e))?;
    tracing::info!("ingest listening on rtmp://{}", server.local_addr()?);
    if let Some(a) = server.rtmps_addr() {
        tracing::info!("ingest listening on rtmps://{a}");
    }
    if let Some(a) = server.http_addr() {
        tracing::info!(
            "serving http://{a}/APP/STREAM/index.m3u8, /APP/STREAM.flv, /metrics, /api/streams"
        );
    }
    let stopper = server.stopper()?;
    super::signals::on_stop("stopping: ending every publish", move || stopper.stop());
    server.run()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_cannot_forge_a_log_line() {
        let e = IngestEvent {
            peer: "127.0.0.1:5000".parse().unwrap(),
            kind: IngestEventKind::Connected {
                app: "live\n127.0.0.1:1 publish live/fake\u{1b}[2J".into(),
            },
        };
        let (_, _, l) = describe(&e).unwrap();
        assert_eq!(l.lines().count(), 1, "{l}");
        assert_eq!(
            l,
            "connect app=live\\n127.0.0.1:1 publish live/fake\\u{1b}[2J"
        );
    }
}
