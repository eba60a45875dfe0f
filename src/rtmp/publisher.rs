//! `muxkit publish`: pushes any input to an RTMP server, in real time or as fast as possible.
//! With the server ([`crate::server`]) and the relay, the only socket code: the protocol is the sans-IO
//! [`PublishSession`].
//!
//! Packets become FLV tag bodies through the FLV muxer (the same codec headers an FLV file
//! gets), and each tag becomes an RTMP message.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::flv::{FlvMuxOptions, FlvMuxer};
use crate::io::OutputSink;
use crate::media::{Demuxer, Muxer};

use super::client::{PublishSession, RtmpUrl};

/// Real-time pacing sends a tag up to this early, with the others due by then: a
/// publisher wakes (and writes) about every video frame rather than for every audio and
/// video tag, as a live encoder does. Well under any player's buffer.
const PACING_SLACK: Duration = Duration::from_millis(15);

/// How long the publisher waits for the server to accept `publish`.
pub const PUBLISH_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a publish did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishStats {
    /// Media messages sent.
    pub messages: u64,
    /// Bytes sent.
    pub bytes: u64,
    /// Media time sent, milliseconds.
    pub media_ms: i64,
}

/// Collects what the FLV muxer writes, to cut it into tags.
#[derive(Clone, Default)]
struct TagTap(Arc<Mutex<Vec<u8>>>);

impl Write for TagTap {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.lock() {
            Ok(mut v) => {
                v.extend_from_slice(buf);
                Ok(buf.len())
            }
            Err(_) => Err(std::io::Error::other("tag buffer poisoned")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl OutputSink for TagTap {}

/// Cuts FLV bytes into (type, timestamp, body) tags, after the 13-byte file header.
struct TagCutter {
    header_left: usize,
    pending: Vec<u8>,
}

impl TagCutter {
    fn cut(&mut self, data: &[u8], tags: &mut Vec<(u8, u32, Bytes)>) {
        self.pending.extend_from_slice(data);
        let skip = self.header_left.min(self.pending.len());
        self.pending.drain(..skip);
        self.header_left -= skip;
        let mut pos = 0;
        while self.pending.len() - pos >= 11 {
            let h = &self.pending[pos..pos + 11];
            let size = (usize::from(h[1]) << 16) | (usize::from(h[2]) << 8) | usize::from(h[3]);
            if self.pending.len() - pos < 11 + size + 4 {
                break;
            }
            let ts = (u32::from(h[7]) << 24)
                | (u32::from(h[4]) << 16)
                | (u32::from(h[5]) << 8)
                | u32::from(h[6]);
            let body = Bytes::copy_from_slice(&self.pending[pos + 11..pos + 11 + size]);
            tags.push((h[0] & 0x1F, ts, body));
            pos += 11 + size + 4;
        }
        self.pending.drain(..pos);
    }
}

/// Every tag `muxkit publish` would send for `demuxer`'s packets, as (type, timestamp, body):
/// made once and shared by the streams of a load generator.
pub fn collect_tags(demuxer: &mut dyn Demuxer) -> Result<Vec<(u8, u32, Bytes)>> {
    let tap = TagTap::default();
    let mut muxer = FlvMuxer::new(
        tap.clone(),
        FlvMuxOptions {
            source_metadata: demuxer.flv_metadata().cloned(),
            ..FlvMuxOptions::default()
        },
    );
    let mut declared = 0;
    while let Some(p) = demuxer.next_packet()? {
        while declared < demuxer.tracks().len() {
            muxer.add_track(&demuxer.tracks()[declared])?;
            declared += 1;
        }
        muxer.write_packet(&p)?;
    }
    muxer.finish()?;
    drop(muxer);
    let data = std::mem::take(
        &mut *tap
            .0
            .lock()
            .map_err(|_| Error::InvalidUse("tag buffer poisoned".into()))?,
    );
    let mut tags = Vec::new();
    TagCutter {
        header_left: 13,
        pending: Vec::new(),
    }
    .cut(&data, &mut tags);
    Ok(tags)
}

/// Writes `data` in full, servicing the server's messages (acknowledgements, pings) in between.
fn send_all(stream: &mut TcpStream, session: &mut PublishSession) -> Result<u64> {
    let io = |source| Error::Io {
        context: "rtmp publish",
        source,
    };
    let out = session.take_output();
    stream.write_all(&out).map_err(io)?;
    // Read whatever the server sent meanwhile, without blocking.
    let mut buf = [0u8; 16 * 1024];
    stream.set_nonblocking(true).map_err(io)?;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => {
                stream.set_nonblocking(false).map_err(io)?;
                return Err(Error::InvalidInput(
                    "the rtmp server closed the connection".into(),
                ));
            }
            Ok(n) => session.push(&buf[..n])?,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
    stream.set_nonblocking(false).map_err(io)?;
    let more = session.take_output();
    if !more.is_empty() {
        stream.write_all(&more).map_err(io)?;
    }
    Ok((out.len() + more.len()) as u64)
}

/// Publishes everything `demuxer` reads to `url`; `realtime` paces it by its timestamps.
pub fn publish(
    demuxer: &mut dyn Demuxer,
    url: &str,
    realtime: bool,
    seed: u64,
) -> Result<PublishStats> {
    let url = RtmpUrl::parse(url)?;
    let io = |source| Error::Io {
        context: "rtmp publish",
        source,
    };
    let mut stream = TcpStream::connect(&url.address).map_err(io)?;
    stream.set_nodelay(true).map_err(io)?;
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .map_err(io)?;
    let mut session = PublishSession::new(url, seed);
    let started = Instant::now();
    let mut buf = [0u8; 16 * 1024];
    while !session.is_ready() {
        let out = session.take_output();
        stream.write_all(&out).map_err(io)?;
        if started.elapsed() > PUBLISH_HANDSHAKE_TIMEOUT {
            return Err(Error::InvalidInput(
                "the rtmp server did not accept the publish in 10 s".into(),
            ));
        }
        match stream.read(&mut buf) {
            Ok(0) => {
                return Err(Error::InvalidInput(
                    "the rtmp server closed the connection".into(),
                ));
            }
            Ok(n) => session.push(&buf[..n])?,
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(io(e)),
        }
    }
    let tap = TagTap::default();
    let mut muxer = FlvMuxer::new(
        tap.clone(),
        FlvMuxOptions {
            source_metadata: demuxer.flv_metadata().cloned(),
            ..FlvMuxOptions::default()
        },
    );
    let mut cutter = TagCutter {
        header_left: 13,
        pending: Vec::new(),
    };
    let mut stats = PublishStats::default();
    let mut declared = 0;
    let mut tags = Vec::new();
    let clock = Instant::now();
    let mut first_ms: Option<i64> = None;
    let mut send = |session: &mut PublishSession,
                    stream: &mut TcpStream,
                    tags: &mut Vec<(u8, u32, Bytes)>,
                    stats: &mut PublishStats|
     -> Result<()> {
        let data = std::mem::take(
            &mut *tap
                .0
                .lock()
                .map_err(|_| Error::InvalidUse("tag buffer poisoned".into()))?,
        );
        cutter.cut(&data, tags);
        for (tag_type, ts, body) in tags.drain(..) {
            if realtime {
                let start = *first_ms.get_or_insert(i64::from(ts));
                let due = Duration::from_millis((i64::from(ts) - start).max(0) as u64);
                if let Some(wait) = due.checked_sub(clock.elapsed())
                    && wait > PACING_SLACK
                {
                    // Send what is due before sleeping: one write per wake-up, not per tag.
                    stats.bytes += send_all(stream, session)?;
                    std::thread::sleep(wait);
                }
            }
            stats.media_ms = stats.media_ms.max(i64::from(ts));
            session.send_tag(tag_type, ts, body);
            stats.messages += 1;
        }
        stats.bytes += send_all(stream, session)?;
        Ok(())
    };
    while let Some(p) = demuxer.next_packet()? {
        while declared < demuxer.tracks().len() {
            muxer.add_track(&demuxer.tracks()[declared])?;
            declared += 1;
        }
        muxer.write_packet(&p)?;
        muxer.flush()?;
        send(&mut session, &mut stream, &mut tags, &mut stats)?;
    }
    muxer.finish()?;
    send(&mut session, &mut stream, &mut tags, &mut stats)?;
    session.finish();
    send_all(&mut stream, &mut session)?;
    let _ = stream.shutdown(std::net::Shutdown::Write);
    // Let the server read the end before the socket closes.
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
            Err(_) => break,
        }
    }
    Ok(stats)
}
