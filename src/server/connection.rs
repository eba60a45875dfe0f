//! One RTMP connection as a task: bytes from the socket into the sans-IO [`ServerSession`],
//! its replies back out; a publish's media to the writer threads (HLS, DASH, recording) and
//! to the stream's hub (viewers, relays); a viewer's media from the hub to the socket.
//!
//! Deadlines (handshake, first publish or play, a publisher's media, a blocked write) are
//! timers of the task, so an idle connection costs no thread and no wake-up.

use std::cell::RefCell;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::media::Packet;
use crate::rtmp::RtmpError;
use crate::rtmp::session::{RequestKind, ServerSession, SessionEvent, StreamRequest};

use super::events::IngestEventKind;
use super::file_writer::MAX_QUEUED_BYTES;
use super::hub::{HubTag, StreamHub, Viewer, ViewerKind};
use super::origin::Shared;
use super::publish::Publish;

/// Bytes read from a socket at a time. Plain TCP reads into one buffer per event-loop thread
/// (an idle connection holds none); TLS needs one of its own per connection.
const READ_BUFFER: usize = 64 * 1024;

/// TLS connections read this much at a time.
const TLS_READ_BUFFER: usize = 16 * 1024;

/// After a publisher's media was read, its socket is left alone until the next multiple of this
/// period, so the next read takes several frames at once (SRS's "merged read"): an encoder
/// writes every frame on its own, and a wake-up per frame was most of the server's cost. The
/// kernel holds the bytes meanwhile (a 600 kb/s stream sends ~4 KiB in 50 ms); what reaches the
/// playlists is unchanged, a viewer sees it up to this much later.
pub const MERGED_READ_WAIT: Duration = Duration::from_millis(50);

/// A viewer's batch up to this size is copied into one write; a larger one (the GOP cache a
/// new viewer starts with) is written message by message, so no viewer keeps a buffer the size
/// of a GOP.
const VIEWER_COPY_LIMIT: usize = 32 * 1024;

/// The end of the current merged-read period: every publisher of a loop rests until the same
/// instant (a multiple of [`MERGED_READ_WAIT`] since the process started), so one wake-up of the
/// loop reads them all. Staggered rests woke the loop once per publisher per period, and a
/// wake-up (the scheduler switching back in) cost more than the reading.
fn next_read_slot(now: Instant) -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    let period = MERGED_READ_WAIT.as_micros().max(1);
    let since = now.saturating_duration_since(epoch).as_micros();
    let slot = (since / period + 1) * period;
    epoch + Duration::from_micros(u64::try_from(slot).unwrap_or(u64::MAX))
}

thread_local! {
    static READ_BUF: RefCell<Vec<u8>> = RefCell::new(vec![0; READ_BUFFER]);
}

/// The socket of an RTMP connection.
pub(crate) enum RtmpStream {
    /// `rtmp://`.
    Plain(TcpStream),
    /// `rtmps://`.
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl RtmpStream {
    /// Reads what is there into the session; the byte count (0: the peer closed) and what the
    /// session made of it.
    async fn read_into(
        &mut self,
        session: &mut ServerSession,
        tls_buf: &mut Vec<u8>,
    ) -> std::io::Result<(usize, std::result::Result<(), RtmpError>)> {
        match self {
            RtmpStream::Plain(s) => loop {
                s.readable().await?;
                let r = READ_BUF.with(|b| {
                    let mut b = b.borrow_mut();
                    match s.try_read(&mut b) {
                        Ok(0) => Ok((0, Ok(()))),
                        Ok(n) => Ok((n, session.feed(&b[..n]))),
                        Err(e) => Err(e),
                    }
                });
                match r {
                    Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                    other => return other,
                }
            },
            RtmpStream::Tls(s) => {
                if tls_buf.is_empty() {
                    tls_buf.resize(TLS_READ_BUFFER, 0);
                }
                let n = s.read(tls_buf).await?;
                if n == 0 {
                    return Ok((0, Ok(())));
                }
                Ok((n, session.feed(&tls_buf[..n])))
            }
        }
    }

    async fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
        match self {
            RtmpStream::Plain(s) => s.write_all(data).await,
            RtmpStream::Tls(s) => {
                s.write_all(data).await?;
                s.flush().await
            }
        }
    }
}

/// The peer went away: a reset, an abort, a broken pipe.
fn is_hang_up(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
            | ErrorKind::UnexpectedEof
    )
}

/// A publish this connection makes.
struct PublishLink {
    name: String,
    hub: Arc<StreamHub>,
    outputs: Publish,
    /// Tracks the hub was told of.
    tracks_seen: usize,
}

/// A stream this connection plays.
struct PlayLink {
    name: String,
    hub: Arc<StreamHub>,
    viewer: Arc<Viewer>,
}

struct Connection {
    shared: Arc<Shared>,
    peer: SocketAddr,
    id: u64,
    protocol: &'static str,
    publish: Option<PublishLink>,
    play: Option<PlayLink>,
    handshaken: bool,
    /// When the connection opened or its last publish or play ended: the next must come
    /// within the publish deadline from there.
    waiting_since: Instant,
    last_media: Instant,
    /// Bytes to the peer, reused.
    out: Vec<u8>,
    /// Packets of one read, reused.
    packets: Vec<Packet>,
    /// The name claimed for a publish (freed however the connection ends).
    claimed: Option<String>,
}

/// Serves one RTMP connection to its end.
pub(crate) async fn serve(mut stream: RtmpStream, peer: SocketAddr, shared: Arc<Shared>) {
    let protocol = match stream {
        RtmpStream::Plain(_) => "rtmp",
        RtmpStream::Tls(_) => "rtmps",
    };
    let id = shared.next_id();
    let now = Instant::now();
    let mut conn = Connection {
        shared: Arc::clone(&shared),
        peer,
        id,
        protocol,
        publish: None,
        play: None,
        handshaken: false,
        waiting_since: now,
        last_media: now,
        out: Vec::new(),
        packets: Vec::new(),
        claimed: None,
    };
    let mut session = ServerSession::new(
        crate::rtmp::SessionConfig {
            keep_tags: true,
            ..shared.options.session.clone()
        },
        id ^ 0x9E37_79B9,
    );
    let result = conn.run(&mut stream, &mut session).await;
    if let Err(e) = result {
        let kind = match &e {
            Error::Rtmp(_) => "protocol",
            Error::InvalidInput(_) => "deadline",
            _ => "io",
        };
        shared
            .metrics
            .errors
            .get_or_create(&vec![("kind", kind)])
            .inc();
        shared.emit(
            peer,
            IngestEventKind::Error {
                message: e.to_string(),
            },
        );
    }
    Box::pin(conn.end_publish("disconnected")).await;
    // A name claimed for a publish that never started (the connection failed between the
    // answer and the start) is freed too.
    if let Some(name) = conn.claimed.take() {
        shared.free_name(&name, id);
    }
    conn.end_play("the viewer left");
    shared.emit(peer, IngestEventKind::Closed);
}

fn io_error(source: std::io::Error) -> Error {
    Error::Io {
        context: "rtmp connection",
        source,
    }
}

impl Connection {
    fn emit(&self, kind: IngestEventKind) {
        self.shared.emit(self.peer, kind);
    }

    async fn run(&mut self, stream: &mut RtmpStream, session: &mut ServerSession) -> Result<()> {
        let mut stop = self.shared.stopping();
        let mut tls_buf = Vec::new();
        let mut batch: Vec<Arc<HubTag>> = Vec::new();
        let opened = Instant::now();
        if self.shared.is_stopping() {
            return Ok(());
        }
        // One stop future and one timer for the connection's life, not one per read: the
        // timer is moved only when a deadline comes earlier than it is set; when it fires
        // early (media came meanwhile), it is set again to the real deadline.
        // Subscribed before the check above: a stop after it changes the value.
        let mut stopped = std::pin::pin!(stop.changed());
        let mut timer = std::pin::pin!(tokio::time::sleep_until(self.deadline(opened)));
        // The merged-read pause (one timer, moved after each read of media).
        let mut pause = std::pin::pin!(tokio::time::sleep_until(opened));
        let mut paused = false;
        loop {
            let deadline = self.deadline(opened);
            if deadline < timer.deadline() {
                timer.as_mut().reset(deadline);
            }
            let viewer = self.play.as_ref().map(|p| Arc::clone(&p.viewer));
            // A disk slower than the publisher: stop reading until the writer catches up.
            let files = self
                .publish
                .as_ref()
                .and_then(|p| p.outputs.files.as_ref().map(|f| Arc::clone(&f.status)));
            let throttled = files
                .as_ref()
                .is_some_and(|f| f.queued() > MAX_QUEUED_BYTES);
            tokio::select! {
                _ = &mut stopped => {
                    Box::pin(self.end_publish("server stopping")).await;
                    return Ok(());
                }
                _ = async {
                    if let Some(f) = &files {
                        let _ = tokio::time::timeout(
                            Duration::from_millis(100),
                            f.drained.notified(),
                        )
                        .await;
                    }
                }, if throttled => {
                    // A publisher waiting for the disk is not idle.
                    self.last_media = Instant::now();
                }
                _ = &mut pause, if paused && !throttled => {
                    paused = false;
                }
                r = stream.read_into(session, &mut tls_buf), if !throttled && !paused => {
                    let (n, pushed) = match r {
                        Ok(r) => r,
                        // A client that dropped the connection after its publish or play
                        // (ffmpeg and OBS reset it rather than close it) has simply left.
                        Err(e) if self.publish.is_none() && is_hang_up(&e) => return Ok(()),
                        Err(e) => return Err(io_error(e)),
                    };
                    if n == 0 {
                        return Ok(());
                    }
                    self.shared.metrics.bytes_in.inc_by(n as u64);
                    let media = self.after_input(stream, session).await?;
                    pushed.map_err(Error::from)?;
                    // A publisher's socket rests a moment, so the next read takes several
                    // frames (a full read means more is waiting: no rest then).
                    let capacity = match stream {
                        RtmpStream::Plain(_) => READ_BUFFER,
                        RtmpStream::Tls(_) => TLS_READ_BUFFER,
                    };
                    if media && n < capacity && !self.shared.options.low_latency {
                        pause.as_mut().reset(next_read_slot(Instant::now()));
                        paused = true;
                    }
                }
                more = async {
                    match &viewer {
                        Some(v) => v.next_batch(&mut batch).await,
                        None => std::future::pending().await,
                    }
                }, if !paused => {
                    let total: usize = batch.iter().map(|t| t.rtmp_bytes().len()).sum();
                    if total > VIEWER_COPY_LIMIT {
                        // A burst (the GOP cache at the start): each message as it is, shared
                        // with every other viewer, rather than a copy this viewer would keep.
                        for t in batch.drain(..) {
                            self.write(stream, t.rtmp_bytes()).await?;
                        }
                    } else {
                        self.out.clear();
                        for t in batch.drain(..) {
                            self.out.extend_from_slice(t.rtmp_bytes());
                        }
                        let out = std::mem::take(&mut self.out);
                        let written = self.write(stream, &out).await;
                        self.out = out;
                        written?;
                    }
                    // As for reads: a viewer gets what came in one write per beat, not a
                    // write (and a wake-up) per frame.
                    if more && !self.shared.options.low_latency {
                        pause.as_mut().reset(next_read_slot(Instant::now()));
                        paused = true;
                    }
                    if !more {
                        self.end_play("the publish ended");
                        session.end_play();
                        self.flush(stream, session).await?;
                        return Ok(());
                    }
                }
                _ = &mut timer => {
                    let deadline = self.deadline(opened);
                    if Instant::now() >= deadline {
                        return Err(self.deadline_passed());
                    }
                    timer.as_mut().reset(deadline);
                }
            }
        }
    }

    /// When the connection must have done something by: finished the handshake, published
    /// or played, or (publishing) sent media.
    fn deadline(&self, opened: Instant) -> Instant {
        let options = &self.shared.options;
        if !self.handshaken {
            opened + options.handshake_timeout
        } else if self.publish.is_some() {
            self.last_media + options.idle_timeout
        } else if self.play.is_some() {
            // A viewer may stay as long as it likes.
            Instant::now() + Duration::from_secs(24 * 3600)
        } else {
            self.waiting_since + options.publish_timeout
        }
    }

    fn deadline_passed(&self) -> Error {
        let options = &self.shared.options;
        Error::InvalidInput(if !self.handshaken {
            format!(
                "no rtmp handshake within {} s",
                options.handshake_timeout.as_secs()
            )
        } else if self.publish.is_some() {
            format!(
                "publisher idle for {} s: dropped",
                options.idle_timeout.as_secs()
            )
        } else {
            format!(
                "no publish or play within {} s of connecting",
                options.publish_timeout.as_secs()
            )
        })
    }

    /// Writes with the write deadline: a peer that does not read is dropped.
    async fn write(&self, stream: &mut RtmpStream, data: &[u8]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        match tokio::time::timeout(self.shared.options.idle_timeout, stream.write_all(data)).await {
            Ok(Ok(())) => {
                self.shared.metrics.bytes_out.inc_by(data.len() as u64);
                Ok(())
            }
            Ok(Err(e)) => Err(io_error(e)),
            Err(_) => Err(Error::InvalidInput(format!(
                "the peer read nothing for {} s: dropped",
                self.shared.options.idle_timeout.as_secs()
            ))),
        }
    }

    /// Sends what the session has to say.
    async fn flush(&self, stream: &mut RtmpStream, session: &mut ServerSession) -> Result<()> {
        let out = session.take_output();
        match self.write(stream, &out).await {
            Err(Error::Io { source, .. }) if self.publish.is_none() && is_hang_up(&source) => {
                Ok(())
            }
            other => other,
        }
    }

    /// After bytes went into the session: replies, events (decisions that may wait for a
    /// hook), media to the writers and the hub.
    /// Whether media came.
    async fn after_input(
        &mut self,
        stream: &mut RtmpStream,
        session: &mut ServerSession,
    ) -> Result<bool> {
        self.flush(stream, session).await?;
        while let Some(e) = session.next_event() {
            match e {
                SessionEvent::Handshaken => self.handshaken = true,
                SessionEvent::Connected { app, .. } => {
                    self.emit(IngestEventKind::Connected { app });
                }
                SessionEvent::Requested(r) => {
                    // Rare and large (a hook is an HTTP client): boxed, so an idle
                    // connection's task stays small.
                    let decision = Box::pin(self.decide(&r)).await;
                    let answered = session.answer(decision);
                    self.flush(stream, session).await?;
                    answered.map_err(Error::from)?;
                }
                SessionEvent::Publishing { app, stream: s } => {
                    Box::pin(self.start_publish(format!("{app}/{s}"))).await?;
                }
                SessionEvent::Playing { app, stream: s } => {
                    self.start_play(format!("{app}/{s}"));
                }
                SessionEvent::PublishRefused { reason, .. }
                | SessionEvent::PlayRefused { reason } => {
                    self.refused(&reason);
                    self.emit(IngestEventKind::Refused { reason });
                }
                SessionEvent::Unpublished => {
                    // Media that came before the unpublish goes in first.
                    self.pass_media(session).await?;
                    Box::pin(self.end_publish("unpublished")).await;
                }
                SessionEvent::PlayStopped => self.end_play("the viewer stopped"),
                SessionEvent::Metadata(_) => {}
                SessionEvent::Warning(message) => self.emit(IngestEventKind::Warning { message }),
            }
        }
        let media = self.pass_media(session).await?;
        if media {
            self.last_media = Instant::now();
        }
        if let Some(failure) = self.publish.as_ref().and_then(|p| p.outputs.failure()) {
            // The disk failed: the publish ends (what is written stays listed).
            let name = self
                .publish
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or_default();
            return Err(Error::InvalidInput(format!("{name}: {failure}")));
        }
        Ok(media)
    }

    fn refused(&self, reason: &str) {
        let kind = if reason.contains("key") {
            "bad_key"
        } else if reason.contains("hook") {
            "hook"
        } else if reason.contains("already being published") {
            "name_in_use"
        } else if reason.contains("safe name") {
            "bad_name"
        } else {
            "other"
        };
        self.shared
            .metrics
            .refused
            .get_or_create(&vec![("reason", kind)])
            .inc();
    }

    /// The server's answer to a publish or a play: the name free, the hook's word.
    async fn decide(&mut self, r: &StreamRequest) -> std::result::Result<(), String> {
        let name = format!("{}/{}", r.app, r.stream);
        if self.shared.is_stopping() {
            return Err("the server is stopping".into());
        }
        let hook = match r.kind {
            RequestKind::Publish => {
                self.shared.claim(&name, self.id)?;
                self.claimed = Some(name.clone());
                self.shared.options.hooks.on_publish.clone()
            }
            RequestKind::Play => self.shared.options.hooks.on_play.clone(),
        };
        if let Some(url) = hook {
            let action = match r.kind {
                RequestKind::Publish => "publish",
                RequestKind::Play => "play",
            };
            let body = super::hooks::hook_body(action, &name, &r.query, self.peer, self.protocol);
            if let Err(reason) =
                super::hooks::call(&url, body, self.shared.options.hooks.timeout).await
            {
                if r.kind == RequestKind::Publish {
                    self.shared.free_name(&name, self.id);
                    self.claimed = None;
                }
                return Err(format!("{name}: refused by the {action} hook: {reason}"));
            }
        }
        Ok(())
    }

    async fn start_publish(&mut self, name: String) -> Result<()> {
        let started = match Publish::start(&self.shared, &name).await {
            Ok(s) => s,
            Err(e) => {
                self.shared.free_name(&name, self.id);
                self.claimed = None;
                return Err(e);
            }
        };
        self.emit(IngestEventKind::Publishing {
            name: name.clone(),
            playlist: started.playlist,
            republish: started.republish,
        });
        let hub = self.shared.hubs.start_publish(&name, self.peer);
        self.shared.metrics.publishers.inc();
        for target in &self.shared.options.forward {
            super::relay::spawn_forward(
                Arc::clone(&self.shared),
                Arc::clone(&hub),
                name.clone(),
                target.clone(),
                self.peer,
            );
        }
        self.publish = Some(PublishLink {
            name,
            hub,
            outputs: started.publish,
            tracks_seen: 0,
        });
        self.last_media = Instant::now();
        Ok(())
    }

    fn start_play(&mut self, name: String) {
        let (hub, viewer) = self.shared.hubs.subscribe(&name, ViewerKind::Rtmp);
        self.shared
            .metrics
            .viewers
            .get_or_create(&vec![("protocol", "rtmp")])
            .inc();
        self.emit(IngestEventKind::Playing {
            name: name.clone(),
            via: "rtmp",
        });
        self.play = Some(PlayLink { name, hub, viewer });
    }

    fn end_play(&mut self, reason: &str) {
        let Some(p) = self.play.take() else {
            return;
        };
        p.viewer.leave();
        self.shared
            .metrics
            .viewer_skips
            .inc_by(p.viewer.skips.load(Ordering::Relaxed));
        self.shared
            .metrics
            .viewers
            .get_or_create(&vec![("protocol", "rtmp")])
            .dec();
        self.shared.hubs.release(&p.name);
        drop(p.hub);
        self.waiting_since = Instant::now();
        self.emit(IngestEventKind::Stopped {
            name: p.name,
            reason: reason.to_owned(),
        });
    }

    /// Media of the publish to the hub and the outputs; whether there was any.
    async fn pass_media(&mut self, session: &mut ServerSession) -> Result<bool> {
        let Some(p) = self.publish.as_mut() else {
            while session.next_packet().is_some() {}
            while session.next_tag().is_some() {}
            return Ok(false);
        };
        while let Some(tag) = session.next_tag() {
            p.hub.publish(tag);
        }
        self.packets.clear();
        while let Some(packet) = session.next_packet() {
            self.packets.push(packet);
        }
        if self.packets.is_empty() {
            return Ok(false);
        }
        let tracks = session.tracks();
        if tracks.len() != p.tracks_seen {
            p.tracks_seen = tracks.len();
            p.hub.set_tracks(tracks);
        }
        let mut notes = Vec::new();
        let written = p
            .outputs
            .write(&self.shared.options.hls, tracks, &self.packets, &mut notes);
        self.packets.clear();
        for message in notes {
            self.emit(IngestEventKind::Warning { message });
        }
        written?;
        Ok(true)
    }

    /// Ends the publish, if any: viewers told, every output finished (ENDLIST) and on disk,
    /// the name freed, the unpublish hook told.
    async fn end_publish(&mut self, reason: &str) {
        let Some(p) = self.publish.take() else {
            return;
        };
        self.waiting_since = Instant::now();
        self.shared.metrics.publishers.dec();
        p.hub.end_publish();
        self.shared.hubs.release(&p.name);
        let outcome = p.outputs.finish(&self.shared, reason).await;
        self.shared.free_name(&p.name, self.id);
        self.claimed = None;
        self.emit(IngestEventKind::Unpublished {
            name: p.name.clone(),
            reason: outcome,
        });
        self.shared.unpublished(&p.name, self.peer);
    }
}
