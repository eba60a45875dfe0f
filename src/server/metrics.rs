//! `/metrics` in the Prometheus text format (prometheus-client: the format's own escaping,
//! `# TYPE`/`# HELP` lines and `# EOF`, kept by the Prometheus project).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, &'static str)>;

/// The server's counters.
pub struct Metrics {
    registry: Registry,
    /// Connections accepted, by protocol.
    pub accepted: Family<Labels, Counter>,
    /// Connections open now.
    pub open: Gauge,
    /// Publishes on now.
    pub publishers: Gauge,
    /// Viewers now, by protocol.
    pub viewers: Family<Labels, Gauge>,
    /// Bytes read from clients.
    pub bytes_in: Counter,
    /// Bytes sent to clients.
    pub bytes_out: Counter,
    /// Publishes and plays refused, by reason.
    pub refused: Family<Labels, Counter>,
    /// Connections that failed, by kind.
    pub errors: Family<Labels, Counter>,
    /// HTTP responses, by status class.
    pub http: Family<Labels, Counter>,
    /// Viewers skipped forward to a keyframe because they fell behind.
    pub viewer_skips: Counter,
    /// Segments committed (HLS, DASH, recordings), counted by the stores.
    pub segments: Arc<AtomicU64>,
}

impl Metrics {
    /// Every metric registered under the `muxkit_` prefix.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("muxkit");
        let m = Metrics {
            registry: Registry::default(),
            accepted: Family::default(),
            open: Gauge::default(),
            publishers: Gauge::default(),
            viewers: Family::default(),
            bytes_in: Counter::default(),
            bytes_out: Counter::default(),
            refused: Family::default(),
            errors: Family::default(),
            http: Family::default(),
            viewer_skips: Counter::default(),
            segments: Arc::new(AtomicU64::new(0)),
        };
        registry.register(
            "connections_accepted",
            "Connections accepted, by protocol (rtmp, rtmps, http)",
            m.accepted.clone(),
        );
        registry.register("connections_open", "Connections open now", m.open.clone());
        registry.register("publishers", "Publishes on now", m.publishers.clone());
        registry.register(
            "viewers",
            "Viewers now, by protocol (rtmp, http-flv)",
            m.viewers.clone(),
        );
        registry.register(
            "received_bytes",
            "Bytes read from clients",
            m.bytes_in.clone(),
        );
        registry.register("sent_bytes", "Bytes sent to clients", m.bytes_out.clone());
        registry.register(
            "refusals",
            "Publishes and plays refused, by reason",
            m.refused.clone(),
        );
        registry.register(
            "errors",
            "Connections that failed, by kind",
            m.errors.clone(),
        );
        registry.register(
            "http_responses",
            "HTTP responses, by status class",
            m.http.clone(),
        );
        registry.register(
            "viewer_skips",
            "Times a viewer fell behind and went on at the next keyframe",
            m.viewer_skips.clone(),
        );
        Metrics { registry, ..m }
    }

    /// The text exposition, with the values read now: segments written, and the media held in
    /// memory (`gop_cache`: what new viewers start with; `segments`: live segment and playlist
    /// bytes on their way to disk).
    pub fn render(&self, gop_cache_bytes: u64, segment_bytes: u64) -> String {
        let mut out = String::new();
        let mut extra = Registry::with_prefix("muxkit");
        extra.register(
            "segments_written",
            "Segments committed (HLS, DASH)",
            ConstCounter::new(self.segments.load(Ordering::Relaxed)),
        );
        let held: Family<Labels, Gauge> = Family::default();
        held.get_or_create(&vec![("kind", "gop_cache")])
            .set(gop_cache_bytes as i64);
        held.get_or_create(&vec![("kind", "segments")])
            .set(segment_bytes as i64);
        extra.register(
            "buffered_bytes",
            "Media held in memory, by kind (gop_cache, segments on their way to disk)",
            held,
        );
        // Writing into a String cannot fail.
        let _ = encode_registry(&self.registry, &extra, &mut out);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

fn encode_registry(main: &Registry, extra: &Registry, out: &mut String) -> std::fmt::Result {
    let mut first = String::new();
    encode(&mut first, main)?;
    let mut second = String::new();
    encode(&mut second, extra)?;
    // Both end with "# EOF": keep one, at the very end.
    out.push_str(first.trim_end().trim_end_matches("# EOF"));
    out.push_str(&second);
    Ok(())
}
