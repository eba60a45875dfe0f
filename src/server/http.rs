//! HTTP serving (hyper, HTTP/1.1): the live HLS and DASH of every publish, HTTP-FLV, and the
//! server's own `/metrics` and `/api/streams`.
//!
//! | path | what |
//! |---|---|
//! | `/APP/STREAM/index.m3u8`, `/APP/STREAM/NAME.ts` ... | the publish's files (disk or memory) |
//! | `/APP/STREAM/dash/manifest.mpd` ... | the live DASH, with `--dash` |
//! | `/APP/STREAM.flv` | HTTP-FLV: chunked, from the latest keyframe (waits for a publish) |
//! | `/metrics` | Prometheus text |
//! | `/api/streams` | JSON: every stream's codecs, size, bitrate, uptime, viewers |
//!
//! Every answer allows any origin (CORS), so a player on another site can play; playlists are
//! cacheable for a second, segments forever (their names are never reused with other bytes);
//! single byte ranges are honoured. A client that does not send its request head within
//! [`HTTP_HEADER_TIMEOUT`] is closed (slowloris).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc};

use crate::rtmp::session::is_safe_name;

use super::events::IngestEventKind;
use super::hub::ViewerKind;
use super::options::HTTP_HEADER_TIMEOUT;
use super::origin::Shared;

type Body = BoxBody<Bytes, Infallible>;

/// FLV file header (audio and video present) and the first back pointer.
const FLV_HEADER: &[u8] = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00";

/// Batches of FLV tags an HTTP-FLV response may have waiting for the socket.
const HTTP_FLV_QUEUE: usize = 64;

/// Accepts HTTP connections until the server stops.
pub(crate) async fn accept_http(listener: TcpListener, shared: Arc<Shared>) {
    let mut stop = shared.stopping();
    loop {
        let accepted = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            a = listener.accept() => a,
        };
        let Ok((tcp, peer)) = accepted else {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        let Some(guard) = shared.admit(peer, "http") else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let _guard = guard;
            // Told by an HTTP-FLV response whose client stopped reading: the connection goes.
            let kill = Arc::new(Notify::new());
            let service_shared = Arc::clone(&shared);
            let service_kill = Arc::clone(&kill);
            let service = hyper::service::service_fn(move |req| {
                let shared = Arc::clone(&service_shared);
                let kill = Arc::clone(&service_kill);
                async move { Ok::<_, Infallible>(route(req, &shared, peer, kill).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HTTP_HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(tcp), service);
            let mut stop = shared.stopping();
            tokio::select! {
                _ = conn => {}
                _ = kill.notified() => {}
                _ = stop.wait_for(|s| *s) => {}
            }
        });
    }
}

fn full(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()).boxed());
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

fn text(status: StatusCode, message: &str) -> Response<Body> {
    full(status, "text/plain; charset=utf-8", format!("{message}\n"))
}

/// CORS on every answer: any origin may read, and see the range headers.
fn cors(r: &mut Response<Body>) {
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Content-Length, Content-Range, Accept-Ranges"),
    );
}

async fn route(
    req: Request<Incoming>,
    shared: &Arc<Shared>,
    peer: SocketAddr,
    kill: Arc<Notify>,
) -> Response<Body> {
    // HEAD: hyper sends the headers (Content-Length from the body) and never the body.
    let mut r = answer(&req, shared, peer, kill).await;
    cors(&mut r);
    let class = match r.status().as_u16() {
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    shared
        .metrics
        .http
        .get_or_create(&vec![("status", class)])
        .inc();
    r
}

async fn answer(
    req: &Request<Incoming>,
    shared: &Arc<Shared>,
    peer: SocketAddr,
    kill: Arc<Notify>,
) -> Response<Body> {
    match *req.method() {
        Method::GET | Method::HEAD => {}
        Method::OPTIONS => {
            let mut r = full(StatusCode::NO_CONTENT, "text/plain", Bytes::new());
            let h = r.headers_mut();
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, HEAD, OPTIONS"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("Range, Origin, Accept"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("86400"),
            );
            return r;
        }
        _ => {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "only GET, HEAD and OPTIONS");
            r.headers_mut().insert(
                header::ALLOW,
                HeaderValue::from_static("GET, HEAD, OPTIONS"),
            );
            return r;
        }
    }
    let path = req.uri().path();
    match path {
        "/metrics" => {
            return full(
                StatusCode::OK,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                {
                    let gop: u64 = shared
                        .hubs
                        .all()
                        .iter()
                        .map(|h| h.snapshot().gop_cache_bytes as u64)
                        .sum();
                    shared
                        .metrics
                        .render(gop, super::file_writer::held_bytes() as u64)
                },
            );
        }
        "/api/streams" => {
            return full(StatusCode::OK, "application/json", streams_json(shared));
        }
        _ => {}
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if !parts.iter().all(|p| is_safe_name(p)) {
        return text(StatusCode::NOT_FOUND, "not found");
    }
    match parts.as_slice() {
        [app, flv] if flv.ends_with(".flv") && flv.len() > 4 => {
            let stream = &flv[..flv.len() - 4];
            let query = req.uri().query().unwrap_or("");
            http_flv(shared, peer, &format!("{app}/{stream}"), query, kill).await
        }
        [.., name] if !servable(name) => text(StatusCode::NOT_FOUND, "not found"),
        [_, _, _] | [_, _, "dash", _] => file(req, shared, &parts.join("/")).await,
        _ => text(StatusCode::NOT_FOUND, "not found"),
    }
}

/// Only what a player fetches is served: playlists, manifests and segments. A recording
/// (`record_*.flv`), a key or anything else in a stream's folder is not.
fn servable(name: &str) -> bool {
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    matches!(ext, "m3u8" | "mpd" | "ts" | "m4s" | "mp4" | "aac")
}

/// Content type and cache policy by extension.
fn kind_of(name: &str) -> (&'static str, &'static str) {
    const LIVE: &str = "public, max-age=1";
    const FOREVER: &str = "public, max-age=31536000, immutable";
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "m3u8" => ("application/vnd.apple.mpegurl", LIVE),
        "mpd" => ("application/dash+xml", LIVE),
        "ts" => ("video/mp2t", FOREVER),
        "m4s" => ("video/iso.segment", FOREVER),
        "mp4" => ("video/mp4", FOREVER),
        "aac" => ("audio/aac", FOREVER),
        "key" => ("application/octet-stream", "private, no-store"),
        _ => ("application/octet-stream", "no-cache"),
    }
}

async fn file(req: &Request<Incoming>, shared: &Arc<Shared>, path: &str) -> Response<Body> {
    let bytes = match &shared.options.out_dir {
        Some(out) => {
            // Never anything but files a publish wrote: record_*.flv and temporaries are
            // not served (names were checked: no separators, no leading dot).
            match tokio::fs::read(out.join(path)).await {
                Ok(b) => Bytes::from(b),
                Err(_) => return text(StatusCode::NOT_FOUND, "not found"),
            }
        }
        None => match shared.served.get(path) {
            Some(b) => b,
            None => return text(StatusCode::NOT_FOUND, "not found"),
        },
    };
    let (content_type, cache) = kind_of(path);
    let range = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(|v| parse_range(v, bytes.len() as u64));
    let mut r = match range {
        Some(Some(Ok((start, end)))) => {
            let mut r = full(
                StatusCode::PARTIAL_CONTENT,
                content_type,
                bytes.slice(start as usize..=end as usize),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{}", bytes.len())) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
        Some(Some(Err(()))) => {
            let mut r = text(StatusCode::RANGE_NOT_SATISFIABLE, "range not satisfiable");
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{}", bytes.len())) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return r;
        }
        // No range, or one this server does not do (several ranges): the whole file.
        _ => full(StatusCode::OK, content_type, bytes),
    };
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    r
}

/// A `Range: bytes=...` header against a body of `len` bytes: `None` when it is not one
/// range this server serves (the whole body is sent instead), `Err` when unsatisfiable, else
/// the inclusive (first, last) byte.
pub(crate) fn parse_range(value: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let range = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 || len == 0 {
            return Some(Err(()));
        }
        (len.saturating_sub(n), len - 1)
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() {
            len.saturating_sub(1)
        } else {
            b.parse::<u64>().ok()?.min(len.saturating_sub(1))
        };
        if start >= len || end < start {
            return Some(Err(()));
        }
        (start, end)
    };
    Some(Ok(range))
}

/// A response body fed by a channel (HTTP-FLV).
struct ChannelBody {
    rx: mpsc::Receiver<Bytes>,
}

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.rx.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
    }
}

async fn http_flv(
    shared: &Arc<Shared>,
    peer: SocketAddr,
    name: &str,
    query: &str,
    kill: Arc<Notify>,
) -> Response<Body> {
    if let Some(url) = shared.options.hooks.on_play.clone() {
        let body = super::hooks::hook_body("play", name, query, peer, "http-flv");
        if let Err(reason) = super::hooks::call(&url, body, shared.options.hooks.timeout).await {
            let reason = format!("{name}: refused by the play hook: {reason}");
            shared
                .metrics
                .refused
                .get_or_create(&vec![("reason", "hook")])
                .inc();
            shared.emit(peer, IngestEventKind::Refused { reason });
            return text(StatusCode::FORBIDDEN, "refused");
        }
    }
    // As over RTMP, a viewer may come before the publisher and waits for it.
    let (hub, viewer) = shared.hubs.subscribe(name, ViewerKind::HttpFlv);
    let viewers = shared
        .metrics
        .viewers
        .get_or_create(&vec![("protocol", "http-flv")])
        .clone();
    viewers.inc();
    shared.emit(
        peer,
        IngestEventKind::Playing {
            name: name.to_owned(),
            via: "http-flv",
        },
    );
    let (tx, rx) = mpsc::channel::<Bytes>(HTTP_FLV_QUEUE);
    let pump_shared = Arc::clone(shared);
    let name = name.to_owned();
    tokio::spawn(async move {
        let shared = pump_shared;
        let idle = shared.options.idle_timeout;
        let mut reason = "the viewer left";
        if tx.send(Bytes::from_static(FLV_HEADER)).await.is_ok() {
            let mut batch = Vec::new();
            'pump: loop {
                // A client that left while nothing was published is noticed too.
                let more = tokio::select! {
                    more = viewer.next_batch(&mut batch) => more,
                    _ = tx.closed() => break 'pump,
                };
                // Each tag as the shared bytes every viewer gets: the queue holds references,
                // never a copy per viewer.
                for t in batch.drain(..) {
                    let bytes = t.flv_bytes().clone();
                    shared.metrics.bytes_out.inc_by(bytes.len() as u64);
                    match tokio::time::timeout(idle, tx.send(bytes)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => break 'pump,
                        Err(_) => {
                            reason = "the viewer read nothing: dropped";
                            kill.notify_one();
                            break 'pump;
                        }
                    }
                }
                if !more {
                    reason = "the publish ended";
                    break;
                }
            }
        }
        viewer.leave();
        shared
            .metrics
            .viewer_skips
            .inc_by(viewer.skips.load(std::sync::atomic::Ordering::Relaxed));
        viewers.dec();
        drop(hub);
        shared.hubs.release(&name);
        shared.emit(
            peer,
            IngestEventKind::Stopped {
                name,
                reason: reason.to_owned(),
            },
        );
    });
    let mut r = Response::new(ChannelBody { rx }.boxed());
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("video/x-flv"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// `/api/streams`: every stream being published or watched.
fn streams_json(shared: &Shared) -> String {
    let streams: Vec<serde_json::Value> = shared
        .hubs
        .all()
        .iter()
        .map(|hub| {
            let s = hub.snapshot();
            let (app, stream) = s.name.split_once('/').unwrap_or((&s.name, ""));
            let count = |k: ViewerKind| s.viewers.iter().filter(|v| **v == k).count();
            let tracks: Vec<serde_json::Value> = s
                .tracks
                .iter()
                .map(|t| {
                    let d = t.codec.details().unwrap_or_default();
                    serde_json::json!({
                        "id": t.id,
                        "kind": t.kind.to_string(),
                        "codec": t.codec.codec.to_string(),
                        "codec_string": d.codec_string,
                        "profile": d.profile,
                        "width": d.width,
                        "height": d.height,
                        "sample_rate": d.sample_rate,
                        "channels": d.channels,
                    })
                })
                .collect();
            let kbps = if s.uptime_secs > 0.5 {
                Some((s.bytes_in as f64 * 8.0 / s.uptime_secs / 1000.0).round())
            } else {
                None
            };
            serde_json::json!({
                "name": s.name,
                "app": app,
                "stream": stream,
                "publishing": s.publisher.is_some(),
                "client": s.publisher.map(|p| p.to_string()),
                "uptime_secs": (s.uptime_secs * 10.0).round() / 10.0,
                "bytes_in": s.bytes_in,
                "gop_cache_bytes": s.gop_cache_bytes,
                "bitrate_kbps": kbps,
                "viewers": {
                    "rtmp": count(ViewerKind::Rtmp),
                    "http_flv": count(ViewerKind::HttpFlv),
                    "relay": count(ViewerKind::Relay),
                },
                "tracks": tracks,
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "streams": streams }))
        .unwrap_or_else(|_| "{}".into())
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_as_rfc_9110_reads_them() {
        assert_eq!(parse_range("bytes=0-99", 1000), Some(Ok((0, 99))));
        assert_eq!(parse_range("bytes=900-", 1000), Some(Ok((900, 999))));
        assert_eq!(parse_range("bytes=-100", 1000), Some(Ok((900, 999))));
        assert_eq!(parse_range("bytes=990-2000", 1000), Some(Ok((990, 999))));
        assert_eq!(parse_range("bytes=1000-", 1000), Some(Err(())));
        assert_eq!(parse_range("bytes=5-1", 1000), Some(Err(())));
        assert_eq!(parse_range("bytes=0-1,5-9", 1000), None);
        assert_eq!(parse_range("items=0-1", 1000), None);
        assert_eq!(parse_range("bytes=x-1", 1000), None);
    }
}
