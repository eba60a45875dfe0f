//! One live stream's fan-out: what a new viewer needs first (metadata, every sequence header
//! and the group of pictures since the latest keyframe: the GOP cache), and a bounded queue per
//! viewer (RTMP play, HTTP-FLV, relays).
//!
//! Media is shared, not copied: every viewer's queue holds the same [`HubTag`]s, and each tag
//! encodes itself once per wire form (RTMP chunks, FLV tag) for every viewer of that form.
//! A viewer that cannot keep up loses what is queued beyond [`MAX_VIEWER_QUEUE_BYTES`] and
//! goes on at the next keyframe; one that reads nothing is dropped by its connection's write
//! deadline. Neither holds memory without bound.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use bytes::{BufMut, Bytes};
use tokio::sync::Notify;

use crate::media::Track;
use crate::rtmp::chunk::encode_one;
use crate::rtmp::session::{MediaTag, SERVER_CHUNK_SIZE, play_message};

/// Most bytes a viewer may have queued: past this its queue is emptied and it goes on at the
/// next keyframe (about 13 s of a 5 Mb/s stream; the media is shared with the GOP cache and
/// every other viewer, so this bounds what one viewer pins, not a copy).
pub const MAX_VIEWER_QUEUE_BYTES: usize = 8 * 1024 * 1024;

/// Most bytes the GOP cache holds: a stream whose keyframes are further apart than this is
/// played from its next keyframe instead.
pub const MAX_GOP_CACHE_BYTES: usize = MAX_VIEWER_QUEUE_BYTES / 2;

/// A publish's media message, shared by every viewer, with its wire forms made once.
#[derive(Debug)]
pub struct HubTag {
    /// 8 audio, 9 video, 18 script data.
    pub tag_type: u8,
    /// Milliseconds.
    pub timestamp: u32,
    /// The FLV tag body.
    pub body: Bytes,
    /// A video keyframe (not a sequence header): where a viewer may start.
    pub keyframe: bool,
    /// A sequence header (AVC/HEVC/AV1/VP9 configuration, AAC AudioSpecificConfig, ...).
    pub header: bool,
    rtmp: OnceLock<Bytes>,
    flv: OnceLock<Bytes>,
}

impl HubTag {
    /// Classifies an FLV tag body (legacy and Enhanced RTMP video and audio headers).
    pub fn new(tag: MediaTag) -> HubTag {
        let (keyframe, header) = classify(tag.tag_type, &tag.body);
        HubTag {
            tag_type: tag.tag_type,
            timestamp: tag.timestamp,
            body: tag.body,
            keyframe,
            header,
            rtmp: OnceLock::new(),
            flv: OnceLock::new(),
        }
    }

    fn restamped(&self, timestamp: u32) -> HubTag {
        HubTag {
            timestamp,
            body: self.body.clone(),
            rtmp: OnceLock::new(),
            flv: OnceLock::new(),
            ..*self
        }
    }

    /// The message as RTMP chunks on the play stream, at the server's chunk size.
    pub fn rtmp_bytes(&self) -> &Bytes {
        self.rtmp.get_or_init(|| {
            encode_one(
                &play_message(self.tag_type, self.timestamp, self.body.clone()),
                SERVER_CHUNK_SIZE,
            )
        })
    }

    /// The message as an FLV tag with its back pointer (HTTP-FLV).
    pub fn flv_bytes(&self) -> &Bytes {
        self.flv.get_or_init(|| {
            let len = self.body.len().min(0xFF_FFFF);
            let mut out = Vec::with_capacity(len + 15);
            out.push(self.tag_type);
            out.put_uint(len as u64, 3);
            out.put_uint(u64::from(self.timestamp & 0xFF_FFFF), 3);
            out.push((self.timestamp >> 24) as u8);
            out.put_uint(0, 3);
            out.extend_from_slice(&self.body[..len]);
            out.put_u32(len as u32 + 11);
            Bytes::from(out)
        })
    }

    fn cost(&self) -> usize {
        self.body.len() + 64
    }
}

/// (keyframe, sequence header) of an FLV tag body.
fn classify(tag_type: u8, body: &[u8]) -> (bool, bool) {
    let Some(&first) = body.first() else {
        return (false, false);
    };
    match tag_type {
        9 => {
            if first & 0x80 != 0 {
                // Enhanced RTMP: IsExHeader, frame type in bits 4-6, packet type below.
                let frame_type = (first >> 4) & 0x07;
                let packet_type = first & 0x0F;
                // 0 SequenceStart, 5 MPEG2TSSequenceStart; 3 CodedFramesX and 1 CodedFrames.
                let header = matches!(packet_type, 0 | 5);
                (frame_type == 1 && matches!(packet_type, 1 | 3), header)
            } else {
                let frame_type = first >> 4;
                let codec = first & 0x0F;
                // AVC (7) and the HEVC of the pre-standard FLV extension (12): packet type 0.
                let header = matches!(codec, 7 | 12) && body.get(1) == Some(&0);
                (frame_type == 1 && !header, header)
            }
        }
        8 => {
            let format = first >> 4;
            let header = match format {
                10 => body.get(1) == Some(&0),
                // Enhanced RTMP audio: packet type 0 SequenceStart, 4 MultichannelConfig.
                9 => matches!(first & 0x0F, 0 | 4),
                _ => false,
            };
            (false, header)
        }
        _ => (false, false),
    }
}

/// How a viewer gets its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewerKind {
    /// RTMP play.
    Rtmp,
    /// HTTP-FLV.
    HttpFlv,
    /// A relay pushing the stream on.
    Relay,
}

#[derive(Default)]
struct ViewerQueue {
    tags: VecDeque<Arc<HubTag>>,
    bytes: usize,
    /// Behind: everything until the next keyframe is left out.
    skipping: bool,
    ended: bool,
}

/// One viewer's queue.
pub struct Viewer {
    /// RTMP, HTTP-FLV or relay.
    pub kind: ViewerKind,
    queue: Mutex<ViewerQueue>,
    notify: Notify,
    gone: AtomicBool,
    /// Times it fell behind and was skipped to a keyframe.
    pub skips: AtomicU64,
}

impl Viewer {
    fn lock(&self) -> MutexGuard<'_, ViewerQueue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn offer(&self, tag: &Arc<HubTag>, has_video: bool) {
        let mut q = self.lock();
        if q.ended {
            return;
        }
        if !q.skipping && q.bytes + tag.cost() > MAX_VIEWER_QUEUE_BYTES {
            // Keep what a decoder needs (headers), drop the rest, go on at a keyframe.
            q.tags.retain(|t| t.header);
            q.bytes = q.tags.iter().map(|t| t.cost()).sum();
            q.skipping = true;
            self.skips.fetch_add(1, Ordering::Relaxed);
        }
        if q.skipping {
            let resume = tag.keyframe || (!has_video && q.tags.iter().all(|t| t.header));
            if resume {
                q.skipping = false;
            } else if !tag.header {
                return;
            }
        }
        q.bytes += tag.cost();
        q.tags.push_back(Arc::clone(tag));
        drop(q);
        self.notify.notify_one();
    }

    fn end(&self) {
        self.lock().ended = true;
        self.notify.notify_one();
    }

    /// Waits for media and moves every queued tag into `out`; `false` once the stream ended
    /// and everything was taken.
    pub async fn next_batch(&self, out: &mut Vec<Arc<HubTag>>) -> bool {
        loop {
            {
                let mut q = self.lock();
                if !q.tags.is_empty() {
                    out.extend(q.tags.drain(..));
                    q.bytes = 0;
                    return true;
                }
                if q.ended {
                    return false;
                }
            }
            self.notify.notified().await;
        }
    }

    /// The viewer left: the hub forgets it at the next tag.
    pub fn leave(&self) {
        self.gone.store(true, Ordering::Relaxed);
    }
}

#[derive(Default)]
struct HubState {
    publisher: Option<SocketAddr>,
    since: Option<Instant>,
    metadata: Option<Arc<HubTag>>,
    video_header: Option<Arc<HubTag>>,
    audio_header: Option<Arc<HubTag>>,
    has_video: bool,
    gop: Vec<Arc<HubTag>>,
    gop_bytes: usize,
    viewers: Vec<Arc<Viewer>>,
    tracks: Vec<Track>,
    /// Counts publishes of the name: a relay of one publish stops when the next begins.
    generation: u64,
}

/// One stream name's publisher and viewers.
pub struct StreamHub {
    /// `APP/STREAM`.
    pub name: String,
    state: Mutex<HubState>,
    /// Media bytes received from the publisher.
    pub bytes_in: AtomicU64,
}

/// What `/api/streams` shows of a stream.
#[derive(Clone, Debug)]
pub struct HubSnapshot {
    /// `APP/STREAM`.
    pub name: String,
    /// The publisher, when one is on.
    pub publisher: Option<SocketAddr>,
    /// How long the current publish has lasted.
    pub uptime_secs: f64,
    /// The publish's tracks.
    pub tracks: Vec<Track>,
    /// Viewers now, by kind.
    pub viewers: Vec<ViewerKind>,
    /// Media bytes received so far.
    pub bytes_in: u64,
    /// Bytes the GOP cache holds.
    pub gop_cache_bytes: usize,
}

impl StreamHub {
    fn new(name: String) -> StreamHub {
        StreamHub {
            name,
            state: Mutex::new(HubState::default()),
            bytes_in: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A publisher starts: the caches begin empty.
    pub fn start_publish(&self, peer: SocketAddr) {
        let mut s = self.lock();
        s.generation += 1;
        s.publisher = Some(peer);
        s.since = Some(Instant::now());
        s.metadata = None;
        s.video_header = None;
        s.audio_header = None;
        s.has_video = false;
        s.gop.clear();
        s.gop_bytes = 0;
        s.tracks.clear();
        self.bytes_in.store(0, Ordering::Relaxed);
    }

    /// The publish's tracks changed.
    pub fn set_tracks(&self, tracks: &[Track]) {
        self.lock().tracks = tracks.to_vec();
    }

    /// A media message of the publish: cached as needed and offered to every viewer.
    pub fn publish(&self, tag: MediaTag) {
        self.bytes_in
            .fetch_add(tag.body.len() as u64, Ordering::Relaxed);
        let tag = Arc::new(HubTag::new(tag));
        let mut s = self.lock();
        match (tag.tag_type, tag.header) {
            (18, _) => s.metadata = Some(Arc::clone(&tag)),
            (9, true) => {
                s.has_video = true;
                s.video_header = Some(Arc::clone(&tag));
            }
            (8, true) => s.audio_header = Some(Arc::clone(&tag)),
            (9, false) => s.has_video = true,
            _ => {}
        }
        if !tag.header && tag.tag_type != 18 {
            if tag.keyframe {
                s.gop.clear();
                s.gop_bytes = 0;
            }
            if (tag.keyframe || !s.gop.is_empty())
                && s.gop_bytes + tag.cost() <= MAX_GOP_CACHE_BYTES
            {
                s.gop_bytes += tag.cost();
                s.gop.push(Arc::clone(&tag));
            } else if !s.gop.is_empty() {
                // Too long a GOP: new viewers wait for the next keyframe.
                s.gop.clear();
                s.gop_bytes = 0;
            }
        }
        s.viewers.retain(|v| !v.gone.load(Ordering::Relaxed));
        let has_video = s.has_video;
        for v in &s.viewers {
            v.offer(&tag, has_video);
        }
    }

    /// Which publish of the name is on: changes at every start and end of a publish.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// A new viewer: its queue starts with the metadata, the sequence headers and the cached
    /// GOP (all stamped from the GOP's first timestamp, so no jump back in time).
    pub fn subscribe(&self, kind: ViewerKind) -> Arc<Viewer> {
        let viewer = Arc::new(Viewer {
            kind,
            queue: Mutex::new(ViewerQueue::default()),
            notify: Notify::new(),
            gone: AtomicBool::new(false),
            skips: AtomicU64::new(0),
        });
        let mut s = self.lock();
        if s.publisher.is_some() {
            let start = s.gop.first().map_or(0, |t| t.timestamp);
            let firsts = [&s.metadata, &s.video_header, &s.audio_header];
            let mut q = viewer.lock();
            for t in firsts.into_iter().flatten() {
                let t = Arc::new(t.restamped(start));
                q.bytes += t.cost();
                q.tags.push_back(t);
            }
            // A stream without video starts with its next audio; one with video without a
            // cached keyframe starts at the next one.
            q.skipping = s.has_video && s.gop.is_empty();
            for t in &s.gop {
                q.bytes += t.cost();
                q.tags.push_back(Arc::clone(t));
            }
        }
        s.viewers.push(Arc::clone(&viewer));
        viewer
    }

    /// The publish ended: every viewer's queue ends after what it holds.
    pub fn end_publish(&self) {
        let mut s = self.lock();
        s.generation += 1;
        s.publisher = None;
        s.since = None;
        s.gop.clear();
        s.gop_bytes = 0;
        for v in s.viewers.drain(..) {
            v.end();
        }
    }

    /// Whether nobody publishes or watches.
    fn unused(&self) -> bool {
        let mut s = self.lock();
        s.viewers.retain(|v| !v.gone.load(Ordering::Relaxed));
        s.publisher.is_none() && s.viewers.is_empty()
    }

    /// Viewers now.
    #[cfg(test)]
    pub fn viewer_count(&self) -> usize {
        let s = self.lock();
        s.viewers
            .iter()
            .filter(|v| !v.gone.load(Ordering::Relaxed))
            .count()
    }

    /// For `/api/streams`.
    pub fn snapshot(&self) -> HubSnapshot {
        let s = self.lock();
        HubSnapshot {
            name: self.name.clone(),
            publisher: s.publisher,
            uptime_secs: s.since.map_or(0.0, |t| t.elapsed().as_secs_f64()),
            tracks: s.tracks.clone(),
            viewers: s
                .viewers
                .iter()
                .filter(|v| !v.gone.load(Ordering::Relaxed))
                .map(|v| v.kind)
                .collect(),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            gop_cache_bytes: s.gop_bytes,
        }
    }
}

/// Every stream's hub, by `APP/STREAM`.
#[derive(Default)]
pub struct Hubs {
    map: Mutex<HashMap<String, Arc<StreamHub>>>,
}

impl Hubs {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<StreamHub>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A viewer of `name`, the hub made if needed, under the map's lock (so no `release` on
    /// another loop drops the hub in between).
    pub fn subscribe(&self, name: &str, kind: ViewerKind) -> (Arc<StreamHub>, Arc<Viewer>) {
        let map = &mut self.lock();
        let hub = Arc::clone(
            map.entry(name.to_owned())
                .or_insert_with(|| Arc::new(StreamHub::new(name.to_owned()))),
        );
        let viewer = hub.subscribe(kind);
        (hub, viewer)
    }

    /// The hub of `name` with its publisher started, under the map's lock.
    pub fn start_publish(&self, name: &str, peer: SocketAddr) -> Arc<StreamHub> {
        let map = &mut self.lock();
        let hub = Arc::clone(
            map.entry(name.to_owned())
                .or_insert_with(|| Arc::new(StreamHub::new(name.to_owned()))),
        );
        hub.start_publish(peer);
        hub
    }

    /// Forgets `name` when nobody publishes or watches it.
    pub fn release(&self, name: &str) {
        let mut map = self.lock();
        if map.get(name).is_some_and(|h| h.unused()) {
            map.remove(name);
        }
    }

    /// Every hub.
    pub fn all(&self) -> Vec<Arc<StreamHub>> {
        let mut v: Vec<_> = self.lock().values().cloned().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(tag_type: u8, ts: u32, body: &[u8]) -> MediaTag {
        MediaTag {
            tag_type,
            timestamp: ts,
            body: Bytes::copy_from_slice(body),
        }
    }

    fn taken(v: &Viewer) -> Vec<(u8, u32)> {
        let mut q = v.lock();
        q.bytes = 0;
        q.tags
            .drain(..)
            .map(|t| (t.tag_type, t.timestamp))
            .collect()
    }

    #[test]
    fn a_late_viewer_starts_at_the_latest_keyframe_with_every_header() {
        let hub = StreamHub::new("live/a".into());
        hub.start_publish("127.0.0.1:1".parse().unwrap());
        hub.publish(tag(18, 0, b"\x02meta"));
        hub.publish(tag(9, 0, &[0x17, 0, 0, 0, 0, 1]));
        hub.publish(tag(8, 0, &[0xAF, 0, 0x12, 0x10]));
        hub.publish(tag(9, 0, &[0x17, 1, 0, 0, 0]));
        hub.publish(tag(8, 20, &[0xAF, 1, 9]));
        hub.publish(tag(9, 40, &[0x27, 1, 0, 0, 0]));
        hub.publish(tag(9, 2000, &[0x17, 1, 0, 0, 0]));
        hub.publish(tag(8, 2010, &[0xAF, 1, 9]));
        let v = hub.subscribe(ViewerKind::Rtmp);
        assert_eq!(
            taken(&v),
            [(18, 2000), (9, 2000), (8, 2000), (9, 2000), (8, 2010)]
        );
        hub.publish(tag(9, 2040, &[0x27, 1, 0, 0, 0]));
        assert_eq!(taken(&v), [(9, 2040)]);
    }

    #[test]
    fn a_viewer_that_falls_behind_goes_on_at_the_next_keyframe() {
        let hub = StreamHub::new("live/a".into());
        hub.start_publish("127.0.0.1:1".parse().unwrap());
        hub.publish(tag(9, 0, &[0x17, 0, 0, 0, 0, 1]));
        let v = hub.subscribe(ViewerKind::HttpFlv);
        let big = vec![0x27u8; 1024 * 1024];
        let mut key = big.clone();
        key[0] = 0x17;
        hub.publish(tag(9, 0, &key));
        for i in 1..20 {
            hub.publish(tag(9, i * 40, &big));
        }
        let q = v.lock();
        assert!(q.bytes <= MAX_VIEWER_QUEUE_BYTES, "{}", q.bytes);
        assert!(q.skipping);
        drop(q);
        assert_eq!(v.skips.load(Ordering::Relaxed), 1);
        hub.publish(tag(9, 800, &key));
        let got = taken(&v);
        // The header is kept; the frames before the keyframe are gone.
        assert_eq!(got.first(), Some(&(9, 0)));
        assert_eq!(got.last(), Some(&(9, 800)));
        assert!(got.len() < 10, "{got:?}");
    }

    #[test]
    fn enhanced_rtmp_headers_and_keyframes_are_recognised() {
        // av01 SequenceStart, CodedFrames keyframe, inter frame; Opus SequenceStart.
        assert_eq!(classify(9, &[0x90, b'a', b'v', b'0', b'1']), (false, true));
        assert_eq!(classify(9, &[0x91, b'a', b'v', b'0', b'1']), (true, false));
        assert_eq!(classify(9, &[0xA1, b'a', b'v', b'0', b'1']), (false, false));
        assert_eq!(classify(8, &[0x90, b'O', b'p', b'u', b's']), (false, true));
        assert_eq!(classify(8, &[0x91, b'O', b'p', b'u', b's']), (false, false));
    }

    #[test]
    fn the_end_of_a_publish_ends_every_viewer() {
        let hub = StreamHub::new("live/a".into());
        hub.start_publish("127.0.0.1:1".parse().unwrap());
        let v = hub.subscribe(ViewerKind::Rtmp);
        hub.end_publish();
        assert!(v.lock().ended);
        assert_eq!(hub.viewer_count(), 0);
    }
}
