//! `muxkit publish rtmp://SOURCE/APP/STREAM rtmp://TARGET/APP/STREAM`: plays a live stream from
//! one server and publishes it to another as it arrives, message for message (the FLV tag
//! bodies are passed on unchanged, Enhanced RTMP included). Both protocol sides are the
//! sans-IO [`PlaySession`] and [`PublishSession`]; this file only moves bytes.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

use super::client::{PublishSession, RtmpUrl};
use super::play_client::PlaySession;
use super::publisher::{PUBLISH_HANDSHAKE_TIMEOUT, PublishStats};

/// How long the source may send nothing before the pull gives up.
pub const PULL_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

fn io(context: &'static str) -> impl Fn(std::io::Error) -> Error {
    move |source| Error::Io { context, source }
}

fn connect(url: &RtmpUrl, context: &'static str) -> Result<TcpStream> {
    let s = TcpStream::connect(&url.address).map_err(io(context))?;
    s.set_nodelay(true).map_err(io(context))?;
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .map_err(io(context))?;
    // A peer that stops reading ends the relay instead of hanging it.
    s.set_write_timeout(Some(PULL_IDLE_TIMEOUT))
        .map_err(io(context))?;
    Ok(s)
}

/// Reads what is there (up to the read timeout); `Ok(None)` when nothing came, an error when
/// the peer closed.
fn read_some(s: &mut TcpStream, buf: &mut [u8], who: &str) -> Result<Option<usize>> {
    match s.read(buf) {
        Ok(0) => Err(Error::InvalidInput(format!("{who} closed the connection"))),
        Ok(n) => Ok(Some(n)),
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(io("rtmp relay")(e)),
    }
}

/// Plays `source` and publishes what it gets to `target` until the source's stream ends.
pub fn relay(source: &str, target: &str, seed: u64) -> Result<PublishStats> {
    let src_url = RtmpUrl::parse(source)?;
    let dst_url = RtmpUrl::parse(target)?;
    let mut src = connect(&src_url, "rtmp play")?;
    let mut dst = connect(&dst_url, "rtmp publish")?;
    let mut play = PlaySession::new(src_url, seed);
    let mut publish = PublishSession::new(dst_url, seed ^ 0x5555);
    let mut buf = vec![0u8; 64 * 1024];
    // The target first: nothing is taken from the source before it can be passed on.
    let started = Instant::now();
    while !publish.is_ready() {
        dst.write_all(&publish.take_output())
            .map_err(io("rtmp publish"))?;
        if started.elapsed() > PUBLISH_HANDSHAKE_TIMEOUT {
            return Err(Error::InvalidInput(
                "the target did not accept the publish in 10 s".into(),
            ));
        }
        if let Some(n) = read_some(&mut dst, &mut buf, "the target")? {
            publish.push(&buf[..n])?;
        }
    }
    let mut stats = PublishStats::default();
    let mut last = Instant::now();
    while !play.is_ended() {
        src.write_all(&play.take_output())
            .map_err(io("rtmp play"))?;
        match read_some(&mut src, &mut buf, "the source")? {
            Some(n) => {
                play.push(&buf[..n])?;
                last = Instant::now();
            }
            None if last.elapsed() > PULL_IDLE_TIMEOUT => {
                return Err(Error::InvalidInput(format!(
                    "the source sent nothing for {} s",
                    PULL_IDLE_TIMEOUT.as_secs()
                )));
            }
            None => {}
        }
        while let Some(tag) = play.next_tag() {
            stats.messages += 1;
            stats.media_ms = stats.media_ms.max(i64::from(tag.timestamp));
            publish.send_tag(tag.tag_type, tag.timestamp, tag.body);
        }
        let out = publish.take_output();
        stats.bytes += out.len() as u64;
        dst.write_all(&out).map_err(io("rtmp publish"))?;
        // Acknowledgements and pings from the target.
        dst.set_nonblocking(true).map_err(io("rtmp publish"))?;
        loop {
            match dst.read(&mut buf) {
                Ok(0) => {
                    return Err(Error::InvalidInput(
                        "the target closed the connection".into(),
                    ));
                }
                Ok(n) => publish.push(&buf[..n])?,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(io("rtmp publish")(e)),
            }
        }
        dst.set_nonblocking(false).map_err(io("rtmp publish"))?;
    }
    publish.finish();
    dst.write_all(&publish.take_output())
        .map_err(io("rtmp publish"))?;
    let _ = dst.shutdown(std::net::Shutdown::Write);
    // Let the target read the end before the socket closes.
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        match dst.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    Ok(stats)
}
