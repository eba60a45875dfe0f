//! `--forward rtmp://OTHER/APP`: every publish pushed on to another server as it arrives, by
//! the same sans-IO client `muxkit publish` uses. The relay is a viewer of the stream's hub:
//! it starts with the headers and the cached GOP, a slow target is skipped forward like any
//! viewer, and a target that is down or goes away is tried again with a doubling wait (up to
//! [`FORWARD_MAX_BACKOFF`]) for as long as the publish lasts.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::rtmp::client::{PublishSession, RtmpUrl};

use super::events::IngestEventKind;
use super::hub::{StreamHub, ViewerKind};
use super::options::FORWARD_MAX_BACKOFF;
use super::origin::Shared;

/// How long a connection to a target may take to accept the publish.
const FORWARD_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How the relay ended.
enum Ended {
    /// The publish ended: the target was told.
    PublishEnded,
}

/// Pushes the publish of `name` (on `hub`) to `target` until the publish ends.
pub(crate) fn spawn_forward(
    shared: Arc<Shared>,
    hub: Arc<StreamHub>,
    name: String,
    target: String,
    peer: SocketAddr,
) {
    let generation = hub.generation();
    tokio::spawn(async move {
        let stream = name.split_once('/').map_or(name.as_str(), |(_, s)| s);
        let url = format!("{}/{stream}", target.trim_end_matches('/'));
        let emit = |message: String| {
            shared.emit(
                peer,
                IngestEventKind::Forward {
                    name: name.clone(),
                    target: url.clone(),
                    message,
                },
            )
        };
        let mut backoff = Duration::from_secs(1);
        let mut stop = shared.stopping();
        let mut attempt = 0u64;
        while hub.generation() == generation && !shared.is_stopping() {
            attempt += 1;
            let tried = tokio::time::Instant::now();
            match forward_once(&url, &hub, generation, attempt, &emit).await {
                Ok(Ended::PublishEnded) => return,
                Err(e) => {
                    if hub.generation() != generation {
                        return;
                    }
                    // A relay that ran for a while and then lost its target starts over from
                    // the shortest wait.
                    if tried.elapsed() > FORWARD_MAX_BACKOFF {
                        backoff = Duration::from_secs(1);
                    }
                    emit(format!("{e}; trying again in {} s", backoff.as_secs_f64()));
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = stop.changed() => return,
                    }
                    backoff = (backoff * 2).min(FORWARD_MAX_BACKOFF);
                }
            }
        }
    });
}

async fn forward_once(
    url: &str,
    hub: &Arc<StreamHub>,
    generation: u64,
    seed: u64,
    emit: &impl Fn(String),
) -> Result<Ended, String> {
    let parsed = RtmpUrl::parse(url).map_err(|e| e.to_string())?;
    let mut tcp =
        tokio::time::timeout(FORWARD_CONNECT_TIMEOUT, TcpStream::connect(&parsed.address))
            .await
            .map_err(|_| "no connection within 10 s".to_owned())?
            .map_err(|e| format!("cannot connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let mut session = PublishSession::new(parsed, seed);
    let mut buf = vec![0u8; 16 * 1024];
    let accepted = async {
        while !session.is_ready() {
            let out = session.take_output();
            tcp.write_all(&out).await.map_err(|e| e.to_string())?;
            let n = tcp.read(&mut buf).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the target closed the connection".to_owned());
            }
            session.push(&buf[..n]).map_err(|e| e.to_string())?;
        }
        Ok(())
    };
    tokio::time::timeout(FORWARD_CONNECT_TIMEOUT, accepted)
        .await
        .map_err(|_| "the target did not accept the publish within 10 s".to_owned())??;
    emit("forwarding".into());
    // Subscribed only now: the target gets the headers and the latest GOP first.
    let viewer = hub.subscribe(ViewerKind::Relay);
    let _leave = LeaveOnDrop(Arc::clone(&viewer));
    if hub.generation() != generation {
        // The publish ended before the relay was subscribed.
        return Ok(Ended::PublishEnded);
    }
    let mut batch = Vec::new();
    loop {
        tokio::select! {
            more = viewer.next_batch(&mut batch) => {
                for t in batch.drain(..) {
                    session.send_tag(t.tag_type, t.timestamp, t.body.clone());
                }
                if !more {
                    session.finish();
                }
                let out = session.take_output();
                tokio::time::timeout(FORWARD_CONNECT_TIMEOUT, tcp.write_all(&out))
                    .await
                    .map_err(|_| "the target read nothing for 10 s".to_owned())?
                    .map_err(|e| format!("lost the target: {e}"))?;
                if !more {
                    let _ = tcp.shutdown().await;
                    return Ok(Ended::PublishEnded);
                }
            }
            r = tcp.read(&mut buf) => {
                let n = r.map_err(|e| format!("lost the target: {e}"))?;
                if n == 0 {
                    return Err("the target closed the connection".into());
                }
                session.push(&buf[..n]).map_err(|e| e.to_string())?;
                let out = session.take_output();
                tokio::time::timeout(FORWARD_CONNECT_TIMEOUT, tcp.write_all(&out))
                    .await
                    .map_err(|_| "the target read nothing for 10 s".to_owned())?
                    .map_err(|e| format!("lost the target: {e}"))?;
            }
        }
    }
}

struct LeaveOnDrop(Arc<super::hub::Viewer>);

impl Drop for LeaveOnDrop {
    fn drop(&mut self) {
        self.0.leave();
    }
}
