//! `muxkit ingest`: the RTMP server. The only place in the crate that owns listening sockets;
//! everything it does with the bytes is the sans-IO [`ServerSession`].
//!
//! One thread per connection (blocking reads with a short timeout, so every deadline is checked
//! within a second). A publish to `rtmp://host/APP/STREAM` writes `OUT/APP/STREAM/index.m3u8`
//! and its segments through the live HLS segmenter; with `record`, the whole stream is also kept
//! as an FLV and a VOD playlist. The library prints nothing: every connection event goes to
//! the caller's event handler with the peer address.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::dash::{CmafOptions, CmafSegmenter};
use crate::error::{Error, Result};
use crate::flv::{FlvMuxOptions, FlvMuxer};
use crate::hls::{DirectoryStore, HlsOptions, HlsResume, HlsSegmenter, PlaylistType};
use crate::io::{AtomicFile, BlockWriter};
use crate::media::Muxer;

use super::session::{PublishGate, ServerSession, SessionConfig, SessionEvent};

/// The handshake must be done within this long after the connection opens.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// `publish` must come within this long after the connection opens.
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(20);

/// A publisher that sends no media for this long is dropped and its name freed (bytes
/// that carry no media do not count); a write blocked this long drops the connection too.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Default connection limit.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1000;

/// Bytes read from a socket at a time: a live stream sends a few KiB per frame.
const READ_BUFFER: usize = 16 * 1024;

/// TS bytes a live stream's segmenter collects before writing to the segment file: with a
/// thousand publishers, 1 MiB blocks would hold whole segments in memory.
pub const LIVE_WRITE_BLOCK: usize = 64 * 1024;

/// How long a read waits before the deadlines are checked again.
const POLL: Duration = Duration::from_millis(500);

/// Choices for [`IngestServer`].
#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// Where publishes go: `OUT/APP/STREAM/`.
    pub out_dir: PathBuf,
    /// The live HLS choices (`playlist_type` is live unless set otherwise).
    pub hls: HlsOptions,
    /// Also keep every publish as an FLV and a VOD playlist.
    pub record: bool,
    /// Also write a live DASH presentation of every publish (`OUT/APP/STREAM/dash/`,
    /// a dynamic `manifest.mpd` over per-track CMAF segments, the live window of the HLS).
    pub dash: bool,
    /// Session choices: message size limit, publish key.
    pub session: SessionConfig,
    /// Most connections at once; more are closed on accept.
    pub max_connections: usize,
    /// The deadlines (defaults: the named constants).
    pub handshake_timeout: Duration,
    /// See [`PUBLISH_TIMEOUT`].
    pub publish_timeout: Duration,
    /// See [`IDLE_TIMEOUT`].
    pub idle_timeout: Duration,
}

impl IngestOptions {
    /// Live HLS into `out_dir` with the default limits.
    pub fn new(out_dir: impl Into<PathBuf>) -> IngestOptions {
        IngestOptions {
            out_dir: out_dir.into(),
            hls: HlsOptions {
                playlist_type: PlaylistType::Live,
                write_block_size: LIVE_WRITE_BLOCK,
                ..HlsOptions::default()
            },
            record: false,
            dash: false,
            session: SessionConfig::default(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            handshake_timeout: HANDSHAKE_TIMEOUT,
            publish_timeout: PUBLISH_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
        }
    }
}

/// Something that happened on a connection, for the caller to log.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestEvent {
    /// The peer.
    pub peer: SocketAddr,
    /// What happened.
    pub kind: IngestEventKind,
}

/// The kinds of [`IngestEvent`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum IngestEventKind {
    /// A TCP connection was accepted.
    Accepted,
    /// Refused on accept: too many connections.
    TooManyConnections,
    /// `connect` to an app.
    Connected {
        /// The application.
        app: String,
    },
    /// A publish started (`republish`: the name was published before and its playlist goes on).
    Publishing {
        /// `APP/STREAM`.
        name: String,
        /// The playlist.
        playlist: PathBuf,
        /// The name was published before in this server's life.
        republish: bool,
    },
    /// A publish was refused.
    Refused {
        /// Why.
        reason: String,
    },
    /// A publish ended (`reason`: unpublished, disconnected, idle, error).
    Unpublished {
        /// `APP/STREAM`.
        name: String,
        /// Why it ended.
        reason: String,
    },
    /// The connection failed (protocol error, limit, timeout).
    Error {
        /// What.
        message: String,
    },
    /// Something odd that did not end the connection.
    Warning {
        /// What.
        message: String,
    },
    /// The connection closed.
    Closed,
}

type EventSink = Arc<dyn Fn(IngestEvent) + Send + Sync>;

/// What all connections share.
struct Shared {
    options: IngestOptions,
    on_event: EventSink,
    /// Names being published, by the connection that publishes them.
    active: Mutex<HashMap<String, u64>>,
    /// Where ended publishes left their playlists, to carry them on.
    history: Mutex<HashMap<String, HlsResume>>,
    connections: AtomicUsize,
    next_id: AtomicU64,
    stop: AtomicBool,
}

/// How long a stopping server waits for its connections to end their publishes (each notices
/// within one read poll) before it returns anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Stops a running [`IngestServer`] from another thread (a signal handler): it stops
/// accepting, every publish is ended (ENDLIST on its playlist, its recording committed), and
/// [`IngestServer::run`] returns.
#[derive(Clone)]
pub struct IngestStopper {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl IngestStopper {
    /// Asks the server to stop; returns at once.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect(self.addr);
    }
}

/// The RTMP ingest server.
pub struct IngestServer {
    listener: TcpListener,
    shared: Arc<Shared>,
}

/// A running server (see [`IngestServer::spawn`]).
pub struct IngestHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl IngestHandle {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections open now.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Stops accepting and waits for the accept loop (open connections end on their own).
    pub fn stop(mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        // Wake the blocking accept.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl IngestServer {
    /// Listens on `addr`. `on_event` gets every connection event (the CLI prints them).
    pub fn bind(
        addr: SocketAddr,
        options: IngestOptions,
        on_event: impl Fn(IngestEvent) + Send + Sync + 'static,
    ) -> Result<IngestServer> {
        let listener = TcpListener::bind(addr).map_err(|source| Error::Io {
            context: "listening for rtmp",
            source,
        })?;
        std::fs::create_dir_all(&options.out_dir).map_err(|source| Error::File {
            path: options.out_dir.clone(),
            source,
        })?;
        Ok(IngestServer {
            listener,
            shared: Arc::new(Shared {
                options,
                on_event: Arc::new(on_event),
                active: Mutex::new(HashMap::new()),
                history: Mutex::new(HashMap::new()),
                connections: AtomicUsize::new(0),
                next_id: AtomicU64::new(1),
                stop: AtomicBool::new(false),
            }),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener.local_addr().map_err(|source| Error::Io {
            context: "listening for rtmp",
            source,
        })
    }

    /// A handle that stops [`IngestServer::run`] cleanly.
    pub fn stopper(&self) -> Result<IngestStopper> {
        Ok(IngestStopper {
            addr: self.local_addr()?,
            shared: Arc::clone(&self.shared),
        })
    }

    /// Accepts connections until stopped through an [`IngestStopper`]; then waits (up to
    /// [`SHUTDOWN_GRACE`]) for every publish to be ended.
    pub fn run(self) -> Result<()> {
        accept_loop(self.listener, self.shared);
        Ok(())
    }

    /// Runs the accept loop on a thread.
    pub fn spawn(self) -> Result<IngestHandle> {
        let addr = self.local_addr()?;
        let shared = Arc::clone(&self.shared);
        let thread = std::thread::spawn(move || accept_loop(self.listener, self.shared));
        Ok(IngestHandle {
            addr,
            shared,
            thread: Some(thread),
        })
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            let deadline = Instant::now() + SHUTDOWN_GRACE;
            while shared.connections.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            return;
        }
        let Ok(stream) = conn else { continue };
        let Ok(peer) = stream.peer_addr() else {
            continue;
        };
        let emit = |kind| (shared.on_event)(IngestEvent { peer, kind });
        if shared.connections.load(Ordering::Relaxed) >= shared.options.max_connections {
            emit(IngestEventKind::TooManyConnections);
            let _ = stream.shutdown(Shutdown::Both);
            continue;
        }
        shared.connections.fetch_add(1, Ordering::Relaxed);
        emit(IngestEventKind::Accepted);
        let conn_shared = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("rtmp-conn".into())
            // Only touched pages count towards memory; 1 MiB leaves room for the AMF decoder's
            // depth limit and the muxers in a debug build.
            .stack_size(1024 * 1024)
            .spawn(move || {
                let shared = conn_shared;
                let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
                let mut conn = Connection::new(Arc::clone(&shared), peer, id);
                if let Err(e) = conn.serve(stream) {
                    conn.emit(IngestEventKind::Error {
                        message: e.to_string(),
                    });
                }
                conn.end_publish("disconnected");
                conn.emit(IngestEventKind::Closed);
                shared.connections.fetch_sub(1, Ordering::Relaxed);
            });
        if spawned.is_err() {
            shared.connections.fetch_sub(1, Ordering::Relaxed);
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

/// The gate the session asks: a name may be published by one connection at a time.
struct NameGate<'a> {
    shared: &'a Shared,
    id: u64,
}

impl PublishGate for NameGate<'_> {
    fn claim(&mut self, app: &str, stream: &str) -> std::result::Result<(), String> {
        let name = format!("{app}/{stream}");
        let mut active = self
            .shared
            .active
            .lock()
            .map_err(|_| "server state lost".to_owned())?;
        match active.get(&name) {
            Some(&other) if other != self.id => Err(format!("{name} is already being published")),
            _ => {
                active.insert(name, self.id);
                Ok(())
            }
        }
    }
}

/// What one publish writes.
struct Publish {
    name: String,
    live: HlsSegmenter<DirectoryStore>,
    /// The live DASH presentation, with `--dash`.
    dash: Option<CmafSegmenter<DirectoryStore>>,
    /// The stream's folder.
    dir: PathBuf,
    /// Packets written into the live HLS so far (its segment format can still change
    /// while there are none).
    live_written: u64,
    record: Option<(FlvMuxer<AtomicFile>, HlsSegmenter<DirectoryStore>)>,
    declared: usize,
    /// Per declared track: written into the live HLS (the others were named when declared).
    live_carried: Vec<bool>,
    /// Per declared track: written into the recording's HLS.
    record_carried: Vec<bool>,
}

/// Replaces the live TS segmenter of `p` (nothing written yet) by an fMP4 one when `t` is a
/// codec only fMP4 carries, re-declaring the tracks declared so far; the note to log.
fn switch_to_fmp4(
    p: &mut Publish,
    hls: &HlsOptions,
    t: &crate::media::Track,
    tracks: &[crate::media::Track],
) -> Result<Option<String>> {
    use crate::hls::HlsSegmentType;
    use crate::media::Codec;
    if hls.segment_type != HlsSegmentType::MpegTs
        || !matches!(
            t.codec.codec,
            Codec::Av1 | Codec::Vp9 | Codec::Opus | Codec::Flac
        )
    {
        return Ok(None);
    }
    let mut options = hls.clone();
    fmp4_options(&mut options);
    let mut live = HlsSegmenter::new(DirectoryStore::new(&p.dir), options);
    live.resume(p.live.resume_state());
    for (i, carried) in p.live_carried.iter().enumerate() {
        if *carried {
            live.add_track(&tracks[i])?;
        }
    }
    p.live = live;
    Ok(Some(format!(
        "track {}: ts segments cannot carry {}: this publish writes fmp4 segments (init.mp4 and .m4s)",
        t.id, t.codec.codec
    )))
}

/// `hls` with fMP4 segments (and their default names).
fn fmp4_options(hls: &mut HlsOptions) {
    use crate::hls::HlsSegmentType;
    hls.segment_type = HlsSegmentType::Fmp4;
    if hls.segment_pattern == HlsSegmentType::MpegTs.default_pattern() {
        hls.segment_pattern = HlsSegmentType::Fmp4.default_pattern().to_owned();
    }
}

struct Connection {
    shared: Arc<Shared>,
    peer: SocketAddr,
    id: u64,
    publish: Option<Publish>,
    /// When the last publish on this connection ended: the publish deadline counts from
    /// there (a client may publish again), not from the connection's start.
    unpublished_at: Option<Instant>,
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Connection {
    fn new(shared: Arc<Shared>, peer: SocketAddr, id: u64) -> Connection {
        Connection {
            shared,
            peer,
            id,
            publish: None,
            unpublished_at: None,
        }
    }

    fn emit(&self, kind: IngestEventKind) {
        (self.shared.on_event)(IngestEvent {
            peer: self.peer,
            kind,
        });
    }

    fn serve(&mut self, mut stream: TcpStream) -> Result<()> {
        let io = |source| Error::Io {
            context: "rtmp connection",
            source,
        };
        stream.set_read_timeout(Some(POLL)).map_err(io)?;
        // A client that never reads its replies must not hold the connection (and with it a
        // slot of --max-connections) past every deadline: a blocked write gives up.
        stream
            .set_write_timeout(Some(self.shared.options.idle_timeout))
            .map_err(io)?;
        stream.set_nodelay(true).map_err(io)?;
        let opened = Instant::now();
        let mut last_media = Instant::now();
        let mut session =
            ServerSession::new(self.shared.options.session.clone(), self.id ^ 0x9E37_79B9);
        let mut handshaken = false;
        let mut buf = vec![0u8; READ_BUFFER];
        let shared = Arc::clone(&self.shared);
        let options = &shared.options;
        loop {
            if shared.stop.load(Ordering::SeqCst) {
                self.end_publish("server stopping");
                return Ok(());
            }
            let n = match stream.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => 0,
                Err(e) if e.kind() == ErrorKind::Interrupted => 0,
                // A publisher that unpublished and then dropped the connection (ffmpeg, OBS
                // reset it rather than close it) has simply left.
                Err(e) if self.publish.is_none() && is_hang_up(&e) => return Ok(()),
                Err(e) => return Err(io(e)),
            };
            let now = Instant::now();
            if n > 0 {
                let mut gate = NameGate {
                    shared: &shared,
                    id: self.id,
                };
                let pushed = session.push(&buf[..n], &mut gate);
                let out = session.take_output();
                if !out.is_empty() {
                    match stream.write_all(&out) {
                        Err(e) if self.publish.is_none() && is_hang_up(&e) => return Ok(()),
                        other => other.map_err(io)?,
                    }
                }
                let was_publishing = self.publish.is_some();
                self.on_events(&mut session, &mut handshaken)?;
                // Media keeps a publish alive, not bytes: one byte every few seconds must not
                // hold a stream name with nothing in it.
                if self.on_packets(&mut session)? > 0 || (!was_publishing && self.publish.is_some())
                {
                    last_media = now;
                }
                pushed?;
            }
            if !handshaken && now - opened > options.handshake_timeout {
                return Err(Error::InvalidInput(format!(
                    "no rtmp handshake within {} s",
                    options.handshake_timeout.as_secs()
                )));
            }
            let waiting_since = self.unpublished_at.unwrap_or(opened);
            if self.publish.is_none() && now - waiting_since > options.publish_timeout {
                return Err(Error::InvalidInput(format!(
                    "no publish within {} s of connecting",
                    options.publish_timeout.as_secs()
                )));
            }
            if self.publish.is_some() && now - last_media > options.idle_timeout {
                self.end_publish("idle");
                return Err(Error::InvalidInput(format!(
                    "publisher idle for {} s: dropped",
                    options.idle_timeout.as_secs()
                )));
            }
        }
    }

    fn on_events(&mut self, session: &mut ServerSession, handshaken: &mut bool) -> Result<()> {
        while let Some(e) = session.next_event() {
            match e {
                SessionEvent::Handshaken => *handshaken = true,
                SessionEvent::Connected { app, .. } => {
                    self.emit(IngestEventKind::Connected { app });
                }
                SessionEvent::Publishing { app, stream } => self.start_publish(&app, &stream)?,
                SessionEvent::PublishRefused { reason, .. } => {
                    self.emit(IngestEventKind::Refused { reason });
                }
                SessionEvent::Unpublished => {
                    // Media that came before the unpublish goes in first.
                    self.on_packets(session)?;
                    self.end_publish("unpublished");
                }
                SessionEvent::Metadata(_) => {}
                SessionEvent::Warning(message) => self.emit(IngestEventKind::Warning { message }),
            }
        }
        Ok(())
    }

    fn start_publish(&mut self, app: &str, stream: &str) -> Result<()> {
        let name = format!("{app}/{stream}");
        // Both names passed is_safe_name: no separators, no leading dot, so the folder is
        // inside out_dir.
        let dir = self.shared.options.out_dir.join(app).join(stream);
        std::fs::create_dir_all(&dir).map_err(|source| Error::File {
            path: dir.clone(),
            source,
        })?;
        // Segments a killed process was writing when it died.
        crate::io::remove_stale_temporaries(&dir, None);
        // This process's own record of the name, or what a previous process (a crash, a
        // restart) left in the folder: either way the playlist carries on.
        let previous = self
            .shared
            .history
            .lock()
            .ok()
            .and_then(|mut h| h.remove(&name))
            .or_else(|| {
                let hls = &self.shared.options.hls;
                HlsResume::from_folder(&dir, &hls.playlist_name, &hls.segment_pattern)
            });
        let republish = previous.is_some();
        let mut hls = self.shared.options.hls.clone();
        if previous.as_ref().is_some_and(HlsResume::uses_fmp4) {
            // An EXT-X-MAP applies until the next one: a playlist of fMP4 segments goes on
            // in fMP4.
            fmp4_options(&mut hls);
        }
        let mut live = HlsSegmenter::new(DirectoryStore::new(&dir), hls);
        if let Some(p) = previous {
            live.resume(p);
        }
        let record = if self.shared.options.record {
            Some(self.start_record(&dir)?)
        } else {
            None
        };
        let dash = if self.shared.options.dash {
            let dash_dir = dir.join("dash");
            std::fs::create_dir_all(&dash_dir).map_err(|source| Error::File {
                path: dash_dir.clone(),
                source,
            })?;
            crate::io::remove_stale_temporaries(&dash_dir, None);
            let hls = &self.shared.options.hls;
            Some(CmafSegmenter::new(
                DirectoryStore::new(&dash_dir),
                CmafOptions {
                    target_duration: hls.target_duration,
                    mpd_name: Some("manifest.mpd".into()),
                    hls_name: None,
                    live_window: Some(if hls.playlist_type == PlaylistType::Live {
                        hls.list_size
                    } else {
                        usize::MAX
                    }),
                },
            ))
        } else {
            None
        };
        let playlist = dir.join(&self.shared.options.hls.playlist_name);
        self.emit(IngestEventKind::Publishing {
            name: name.clone(),
            playlist,
            republish,
        });
        self.publish = Some(Publish {
            name,
            live,
            dash,
            dir: dir.clone(),
            live_written: 0,
            record,
            declared: 0,
            live_carried: Vec::new(),
            record_carried: Vec::new(),
        });
        Ok(())
    }

    fn start_record(
        &self,
        dir: &Path,
    ) -> Result<(FlvMuxer<AtomicFile>, HlsSegmenter<DirectoryStore>)> {
        let stamp = unix_secs();
        let flv = AtomicFile::create(&dir.join(format!("record_{stamp}.flv")))?;
        let vod_dir = dir.join(format!("record_{stamp}"));
        std::fs::create_dir_all(&vod_dir).map_err(|source| Error::File {
            path: vod_dir.clone(),
            source,
        })?;
        let vod = HlsSegmenter::new(
            DirectoryStore::new(&vod_dir),
            HlsOptions {
                playlist_type: PlaylistType::Vod,
                ..self.shared.options.hls.clone()
            },
        );
        Ok((
            FlvMuxer::with_writer(BlockWriter::new(flv), FlvMuxOptions::default()),
            vod,
        ))
    }

    /// Writes the packets the session has ready; how many.
    fn on_packets(&mut self, session: &mut ServerSession) -> Result<usize> {
        let Some(p) = self.publish.as_mut() else {
            while session.next_packet().is_some() {}
            return Ok(0);
        };
        let mut written = 0;
        let mut not_carried = Vec::new();
        while let Some(packet) = session.next_packet() {
            written += 1;
            let tracks = session.tracks();
            while p.declared < tracks.len() && p.declared <= packet.track as usize {
                let t = &tracks[p.declared];
                // AV1, VP9, Opus and FLAC have no TS carriage players read: a publish that
                // brings one before any packet was written switches to fMP4 segments.
                if p.live_written == 0 && p.live.refusal(t).is_some() {
                    if let Some(note) = switch_to_fmp4(p, &self.shared.options.hls, t, tracks)? {
                        not_carried.push(note);
                    }
                }
                // What the live TS segments cannot carry (script data, a codec TS has no
                // stream type for) is named once, as convert names it, and left out.
                match p.live.refusal(t) {
                    Some(reason) => {
                        not_carried.push(format!(
                            "track {}: {} {} not carried in the live hls: {reason}",
                            t.id, t.kind, t.codec.codec
                        ));
                        p.live_carried.push(false);
                    }
                    None => {
                        p.live.add_track(t)?;
                        p.live_carried.push(true);
                    }
                }
                if let Some(dash) = p.dash.as_mut() {
                    match dash.refusal(t) {
                        Some(reason) => not_carried.push(format!(
                            "track {}: {} {} not carried in the live dash: {reason}",
                            t.id, t.kind, t.codec.codec
                        )),
                        None => dash.add_track(t)?,
                    }
                }
                if let Some((flv, vod)) = p.record.as_mut() {
                    flv.add_track(t)?;
                    // The recording's HLS has the live one's rules (its TS segments may not
                    // carry what a switched live HLS does: named, left out of it).
                    let mut recorded = false;
                    if p.live_carried.last() == Some(&true) {
                        match vod.refusal(t) {
                            None => {
                                vod.add_track(t)?;
                                recorded = true;
                            }
                            Some(reason) => not_carried.push(format!(
                                "track {}: {} {} not carried in the recording's hls: {reason}",
                                t.id, t.kind, t.codec.codec
                            )),
                        }
                    }
                    p.record_carried.push(recorded);
                }
                p.declared += 1;
            }
            let carried = p.live_carried.get(packet.track as usize) == Some(&true);
            if carried {
                p.live.write_packet(&packet)?;
                p.live_written += 1;
            }
            if let Some(dash) = p.dash.as_mut() {
                // The DASH presentation failing (a mid-stream codec change) ends it, not the
                // publish or its HLS.
                if let Err(e) = dash.write_packet(&packet) {
                    not_carried.push(format!("the live dash presentation stopped: {e}"));
                    p.dash = None;
                }
            }
            if let Some((flv, vod)) = p.record.as_mut() {
                flv.write_packet(&packet)?;
                if p.record_carried.get(packet.track as usize) == Some(&true) {
                    vod.write_packet(&packet)?;
                }
            }
        }
        for message in not_carried {
            self.emit(IngestEventKind::Warning { message });
        }
        Ok(written)
    }

    /// Ends the publish, if any: ENDLIST on the live playlist, the recording committed, the
    /// name freed and its playlist kept to carry on at a republish.
    fn end_publish(&mut self, reason: &str) {
        let Some(mut p) = self.publish.take() else {
            return;
        };
        self.unpublished_at = Some(Instant::now());
        let mut outcome = reason.to_owned();
        if let Err(e) = p.live.finish() {
            outcome = format!("{reason}; finishing the playlist failed: {e}");
        }
        if let Some(mut dash) = p.dash.take() {
            if let Err(e) = dash.finish() {
                outcome = format!("{outcome}; finishing the dash presentation failed: {e}");
            }
        }
        if let Some((mut flv, mut vod)) = p.record.take() {
            let done = flv
                .finish()
                .and_then(|_| flv.into_inner())
                .and_then(AtomicFile::commit)
                .and_then(|_| vod.finish());
            if let Err(e) = done {
                outcome = format!("{outcome}; the recording failed: {e}");
            }
        }
        if let Ok(mut h) = self.shared.history.lock() {
            h.insert(p.name.clone(), p.live.resume_state());
        }
        if let Ok(mut a) = self.shared.active.lock() {
            if a.get(&p.name) == Some(&self.id) {
                a.remove(&p.name);
            }
        }
        self.emit(IngestEventKind::Unpublished {
            name: p.name,
            reason: outcome,
        });
    }
}
