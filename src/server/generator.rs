//! The load generator behind `muxkit publish --streams N`: N real-time publishes of one input
//! as tasks on one event loop, sharing one copy of its tags. A thread per stream (the first
//! generator) spent most of a core switching between a thousand threads on the machine that
//! also runs the server being measured; this one costs a fraction of that, so a benchmark
//! measures the server, not the scheduler.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::rtmp::client::{PublishSession, RtmpUrl};
use crate::rtmp::{PUBLISH_HANDSHAKE_TIMEOUT, PublishStats};

/// A tag due within this much is sent with the ones due now: one write per wake-up.
const PACING_SLACK: Duration = Duration::from_millis(15);

/// Publishes `tags` to every URL of `urls` at once, in real time, the i-th starting `ramp` × i
/// after the first; each publish's outcome, in order.
pub fn publish_streams(
    tags: Arc<Vec<(u8, u32, Bytes)>>,
    urls: Vec<String>,
    ramp: Duration,
) -> Result<Vec<Result<PublishStats>>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            context: "starting the load generator",
            source,
        })?;
    runtime.block_on(async move {
        let started = Instant::now();
        let tasks: Vec<_> = urls
            .into_iter()
            .enumerate()
            .map(|(i, url)| {
                let tags = Arc::clone(&tags);
                let at = ramp
                    .checked_mul(u32::try_from(i).unwrap_or(u32::MAX))
                    .and_then(|d| started.checked_add(d))
                    .unwrap_or(started);
                tokio::spawn(async move {
                    tokio::time::sleep_until(at).await;
                    one_stream(&tags, &url, i as u64 + 1).await
                })
            })
            .collect();
        let mut results = Vec::new();
        for t in tasks {
            results.push(match t.await {
                Ok(r) => r,
                Err(e) => Err(Error::InvalidUse(format!("a publish task failed: {e}"))),
            });
        }
        Ok(results)
    })
}

fn io(source: std::io::Error) -> Error {
    Error::Io {
        context: "rtmp publish",
        source,
    }
}

async fn one_stream(tags: &[(u8, u32, Bytes)], url: &str, seed: u64) -> Result<PublishStats> {
    let url = RtmpUrl::parse(url)?;
    let mut stream = TcpStream::connect(&url.address).await.map_err(io)?;
    stream.set_nodelay(true).map_err(io)?;
    let mut session = PublishSession::new(url, seed);
    let mut buf = vec![0u8; 4096];
    let accepted = async {
        while !session.is_ready() {
            stream.write_all(&session.take_output()).await.map_err(io)?;
            let n = stream.read(&mut buf).await.map_err(io)?;
            if n == 0 {
                return Err(Error::InvalidInput(
                    "the rtmp server closed the connection".into(),
                ));
            }
            session.push(&buf[..n])?;
        }
        Ok(())
    };
    tokio::time::timeout(PUBLISH_HANDSHAKE_TIMEOUT, accepted)
        .await
        .map_err(|_| {
            Error::InvalidInput("the rtmp server did not accept the publish in 10 s".into())
        })??;
    let mut stats = PublishStats::default();
    let clock = Instant::now();
    let first = tags.first().map_or(0, |t| t.1);
    let mut i = 0;
    while i < tags.len() {
        // Everything due by now (and a little after) in one write.
        let due = clock + Duration::from_millis(u64::from(tags[i].1.saturating_sub(first)));
        tokio::time::sleep_until(due.checked_sub(PACING_SLACK).unwrap_or(due)).await;
        let now = Instant::now() + PACING_SLACK;
        while i < tags.len()
            && clock + Duration::from_millis(u64::from(tags[i].1.saturating_sub(first))) <= now
        {
            let (kind, ts, body) = &tags[i];
            session.send_tag(*kind, *ts, body.clone());
            stats.messages += 1;
            stats.media_ms = stats.media_ms.max(i64::from(*ts));
            i += 1;
        }
        let out = session.take_output();
        stats.bytes += out.len() as u64;
        stream.write_all(&out).await.map_err(io)?;
        // Acknowledgements and pings from the server, without waiting for them.
        loop {
            match stream.try_read(&mut buf) {
                Ok(0) => {
                    return Err(Error::InvalidInput(
                        "the rtmp server closed the connection".into(),
                    ));
                }
                Ok(n) => session.push(&buf[..n])?,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(io(e)),
            }
        }
        let more = session.take_output();
        if !more.is_empty() {
            stream.write_all(&more).await.map_err(io)?;
        }
    }
    session.finish();
    stream.write_all(&session.take_output()).await.map_err(io)?;
    let _ = stream.shutdown().await;
    Ok(stats)
}
