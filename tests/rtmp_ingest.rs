#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `muxkit ingest` with real peers: ffmpeg publishing (in real time and not), two at once, one
//! killed mid-stream, a republish, a name taken twice; `muxkit publish` into muxkit and into
//! ffmpeg's own RTMP server; and raw-socket abuse while an honest publisher carries on.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use muxkit::hls::{HlsOptions, PlaylistType};
use muxkit::rtmp::chunk::ChunkEncoder;
use muxkit::rtmp::handshake::{ClientHandshake, HandshakeStatus};
use muxkit::rtmp::{MessageType, RtmpMessage};
use muxkit::server::{IngestEvent, IngestEventKind, IngestHandle, IngestOptions, IngestServer};

/// The tests of this file share one process, so a test that measures the process's memory
/// runs alone: every other server holds this shared, that one exclusively.
static MEMORY_MEASURED: std::sync::RwLock<()> = std::sync::RwLock::new(());

#[allow(dead_code)]
enum Turn {
    Shared(std::sync::RwLockReadGuard<'static, ()>),
    Alone(std::sync::RwLockWriteGuard<'static, ()>),
}

struct Server {
    handle: Option<IngestHandle>,
    events: Arc<Mutex<Vec<IngestEvent>>>,
    out: PathBuf,
    _tmp: TempDir,
    _turn: Turn,
}

impl Server {
    fn start(name: &str, kind: PlaylistType, tweak: impl FnOnce(&mut IngestOptions)) -> Server {
        let turn = Turn::Shared(MEMORY_MEASURED.read().unwrap_or_else(|e| e.into_inner()));
        Server::start_with(name, kind, tweak, turn)
    }

    /// A server no other test's server runs beside (memory measurements).
    fn start_alone(
        name: &str,
        kind: PlaylistType,
        tweak: impl FnOnce(&mut IngestOptions),
    ) -> Server {
        let turn = Turn::Alone(MEMORY_MEASURED.write().unwrap_or_else(|e| e.into_inner()));
        Server::start_with(name, kind, tweak, turn)
    }

    fn start_with(
        name: &str,
        kind: PlaylistType,
        tweak: impl FnOnce(&mut IngestOptions),
        turn: Turn,
    ) -> Server {
        let tmp = TempDir::new(name);
        let out = tmp.path().join("out");
        let mut options = IngestOptions::new(&out);
        options.hls = HlsOptions {
            playlist_type: kind,
            target_duration: 2.0,
            list_size: 3,
            ..HlsOptions::default()
        };
        tweak(&mut options);
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        let server = IngestServer::bind("127.0.0.1:0".parse().unwrap(), options, move |e| {
            sink.lock().unwrap().push(e)
        })
        .unwrap();
        Server {
            handle: Some(server.spawn().unwrap()),
            events,
            out,
            _tmp: tmp,
            _turn: turn,
        }
    }

    fn addr(&self) -> SocketAddr {
        self.handle.as_ref().unwrap().local_addr()
    }

    fn url(&self, path: &str) -> String {
        format!("rtmp://{}/{path}", self.addr())
    }

    fn playlist(&self, app_stream: &str) -> PathBuf {
        self.out.join(app_stream).join("index.m3u8")
    }

    fn events(&self) -> Vec<IngestEventKind> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.kind.clone())
            .collect()
    }

    /// Waits until `done` holds for the events (or panics after `secs`).
    fn wait_for(&self, secs: u64, what: &str, done: impl Fn(&[IngestEventKind]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if done(&self.events()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("timed out waiting for {what}: {:#?}", self.events());
    }

    fn unpublished(&self, name: &str) -> usize {
        self.events()
            .iter()
            .filter(|e| matches!(e, IngestEventKind::Unpublished { name: n, .. } if n == name))
            .count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.stop();
        }
    }
}

fn ffmpeg_publish(src: &Path, url: &str, realtime: bool) -> Child {
    let mut c = Command::new("ffmpeg");
    c.args(["-nostdin", "-v", "error"]);
    if realtime {
        c.arg("-re");
    }
    c.arg("-i")
        .arg(src)
        .args(["-c", "copy", "-f", "flv"])
        .arg(url)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c.spawn().unwrap()
}

fn wait_ok(child: Child) {
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let real: Vec<&str> = err
        .lines()
        .filter(|l| !l.contains("Failed to update header"))
        .collect();
    assert!(out.status.success() && real.is_empty(), "ffmpeg: {err}");
}

fn source() -> PathBuf {
    testdata().join("source.flv")
}

/// Every listed segment exists and is whole (TS packets, or one fMP4 fragment whose boxes
/// end with the file); returns the playlist.
fn check_listed(index: &Path) -> m3u8_rs::MediaPlaylist {
    let pl = read_media_playlist(index);
    for s in &pl.segments {
        let data = std::fs::read(index.parent().unwrap().join(&s.uri))
            .unwrap_or_else(|e| panic!("{} listed but missing: {e}", s.uri));
        let whole = if s.uri.ends_with(".m4s") {
            muxkit::mp4::tree::box_tree(&data).is_ok_and(|t| {
                t.iter().any(|b| &b.header.box_type.0 == b"moof")
                    && t.last()
                        .is_some_and(|b| b.header.end() == data.len() as u64)
            })
        } else {
            data.len() % 188 == 0
        };
        assert!(!data.is_empty() && whole, "{} is not whole", s.uri);
    }
    pl
}

#[test]
fn ffmpeg_in_real_time_gives_a_sliding_live_playlist() {
    if !have_ffmpeg("ffmpeg_in_real_time_gives_a_sliding_live_playlist") {
        return;
    }
    let server = Server::start("rtmp-live", PlaylistType::Live, |o| o.hls.list_size = 2);
    let child = ffmpeg_publish(&source(), &server.url("live/test"), true);
    let index = server.playlist("live/test");
    let mut sequences = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.unpublished("live/test") == 0 && Instant::now() < deadline {
        if let Ok(text) = std::fs::read(&index) {
            let pl = parse_media_playlist(&text).expect("the live playlist always parses");
            assert!(pl.segments.len() <= 2);
            sequences.push(pl.media_sequence);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    wait_ok(child);
    sequences.push(read_media_playlist(&index).media_sequence);
    sequences.dedup();
    assert!(sequences.len() >= 3, "the window slid: {sequences:?}");
    let pl = check_listed(&index);
    assert!(pl.end_list);
    assert!(ffprobe_complaints(&index).is_empty());
    let ev = server.events();
    assert!(
        ev.iter()
            .any(|e| matches!(e, IngestEventKind::Connected { app } if app == "live"))
    );
    assert!(
        ev.iter()
            .any(|e| matches!(e, IngestEventKind::Publishing { name, .. } if name == "live/test"))
    );
}

#[test]
fn event_mode_publishes_decode_to_the_source_frames_two_at_once() {
    if !have_ffmpeg("event_mode_publishes_decode_to_the_source_frames_two_at_once") {
        return;
    }
    let server = Server::start("rtmp-event", PlaylistType::Event, |_| {});
    let a = ffmpeg_publish(&source(), &server.url("live/a"), false);
    let b = ffmpeg_publish(&source(), &server.url("live/b"), false);
    wait_ok(a);
    wait_ok(b);
    server.wait_for(10, "both unpublished", |_| {
        server.unpublished("live/a") == 1 && server.unpublished("live/b") == 1
    });
    let want = frame_hashes(&source());
    for name in ["live/a", "live/b"] {
        let index = server.playlist(name);
        let pl = check_listed(&index);
        assert!(pl.end_list && pl.playlist_type == Some(m3u8_rs::MediaPlaylistType::Event));
        let c = ffprobe_complaints(&index);
        assert!(c.is_empty(), "{name}: {c}");
        assert_eq!(frame_hashes(&index), want, "{name}: decoded frames differ");
    }
}

#[test]
fn a_killed_publisher_leaves_a_valid_playlist_and_a_republish_continues_it() {
    if !have_ffmpeg("a_killed_publisher_leaves_a_valid_playlist_and_a_republish_continues_it") {
        return;
    }
    let server = Server::start("rtmp-kill", PlaylistType::Event, |_| {});
    let mut child = ffmpeg_publish(&source(), &server.url("live/k"), true);
    let index = server.playlist("live/k");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !(index.exists() && read_media_playlist(&index).segments.len() >= 2) {
        assert!(Instant::now() < deadline, "no segments");
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    let _ = child.wait();
    server.wait_for(15, "the killed publish to end", |_| {
        server.unpublished("live/k") == 1
    });
    let first = check_listed(&index);
    assert!(first.end_list, "ENDLIST after the publisher vanished");
    let first_count = first.segments.len();
    // A republish of the same name carries the playlist on after a discontinuity.
    wait_ok(ffmpeg_publish(&source(), &server.url("live/k"), false));
    server.wait_for(10, "the republish to end", |_| {
        server.unpublished("live/k") == 2
    });
    let pl = check_listed(&index);
    assert!(pl.segments.len() > first_count);
    assert!(
        pl.segments[first_count].discontinuity,
        "{:?}",
        pl.segments[first_count]
    );
    assert_eq!(
        pl.segments.iter().filter(|s| s.discontinuity).count(),
        1,
        "exactly one discontinuity"
    );
    assert_eq!(
        pl.segments[..first_count],
        first.segments[..],
        "the old segments stay listed"
    );
    assert!(server.events().iter().any(|e| matches!(
        e,
        IngestEventKind::Publishing {
            republish: true,
            ..
        }
    )));
    let c = ffprobe_complaints(&index);
    assert!(c.is_empty(), "{c}");
}

#[test]
fn the_same_name_twice_gets_badname_and_the_first_goes_on() {
    if !have_ffmpeg("the_same_name_twice_gets_badname_and_the_first_goes_on") {
        return;
    }
    let server = Server::start("rtmp-dup", PlaylistType::Event, |_| {});
    let first = ffmpeg_publish(&source(), &server.url("live/dup"), true);
    server.wait_for(10, "the first publish", |ev| {
        ev.iter()
            .any(|e| matches!(e, IngestEventKind::Publishing { .. }))
    });
    let second = ffmpeg_publish(&source(), &server.url("live/dup"), false);
    let out = second.wait_with_output().unwrap();
    assert!(!out.status.success(), "the second publisher must fail");
    assert!(server.events().iter().any(|e| matches!(e,
        IngestEventKind::Refused { reason } if reason.contains("already being published"))));
    wait_ok(first);
    server.wait_for(10, "the first to end", |_| {
        server.unpublished("live/dup") == 1
    });
    assert_eq!(
        frame_hashes(&server.playlist("live/dup")),
        frame_hashes(&source())
    );
}

#[test]
fn muxkit_publish_into_muxkit_and_into_ffmpeg() {
    if !have_ffmpeg("muxkit_publish_into_muxkit_and_into_ffmpeg") {
        return;
    }
    let server = Server::start("rtmp-pub", PlaylistType::Event, |_| {});
    let st = Command::new(muxkit_bin())
        .args(["publish", "--fast"])
        .arg(source())
        .arg(server.url("live/p"))
        .status()
        .unwrap();
    assert!(st.success());
    server.wait_for(10, "unpublish", |_| server.unpublished("live/p") == 1);
    assert_eq!(
        frame_hashes(&server.playlist("live/p")),
        frame_hashes(&source())
    );
    // Into ffmpeg's own listening server, in real time, from a TS (anything muxkit reads).
    let tmp = TempDir::new("rtmp-ffmpeg-listen");
    let out = tmp.path().join("got.flv");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("rtmp://127.0.0.1:{port}/live/x");
    let mut listener = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-listen", "1", "-i"])
        .arg(&url)
        .args(["-c", "copy"])
        .arg(&out)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ts = testdata().join("source_bframes.ts");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let st = Command::new(muxkit_bin())
            .args(["publish"])
            .arg(&ts)
            .arg(&url)
            .output()
            .unwrap();
        if st.status.success() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = listener.wait();
    assert_eq!(frame_hashes(&out), frame_hashes(&ts));
}

/// A raw client past the handshake.
fn raw_client(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut hs = ClientHandshake::new(9);
    s.write_all(&hs.take_output()).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "server closed during the handshake");
        if let HandshakeStatus::Done(_) = hs.push(&buf[..n]).unwrap() {
            break;
        }
    }
    s.write_all(&hs.take_output()).unwrap();
    s
}

fn chunks(m: RtmpMessage) -> Vec<u8> {
    let mut b = Vec::new();
    ChunkEncoder::default().write(&m, &mut b);
    b
}

/// Whether the server closed `s` (EOF or reset within `secs`); what it sends meanwhile is read
/// and dropped.
fn closed_within(s: &mut TcpStream, secs: u64) -> bool {
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return true,
        }
    }
    false
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn abusive_clients_are_cut_off_and_an_honest_publisher_is_unaffected() {
    if !have_ffmpeg("abusive_clients_are_cut_off_and_an_honest_publisher_is_unaffected") {
        return;
    }
    let server = Server::start_alone("rtmp-abuse", PlaylistType::Event, |o| {
        o.handshake_timeout = Duration::from_secs(2);
        o.publish_timeout = Duration::from_secs(4);
        o.idle_timeout = Duration::from_secs(2);
    });
    let addr = server.addr();
    let honest = ffmpeg_publish(&source(), &server.url("live/honest"), true);
    let rss_before = rss_kib();
    // C0 not 3.
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(&[6; 1537]).unwrap();
    assert!(closed_within(&mut s, 3), "c0 = 6 must be refused");
    // The handshake byte by byte works.
    let mut s = TcpStream::connect(addr).unwrap();
    let mut hs = ClientHandshake::new(1);
    for b in hs.take_output() {
        s.write_all(&[b]).unwrap();
    }
    let mut got = 0;
    let mut buf = [0u8; 4096];
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    while got < 3073 {
        got += s.read(&mut buf).unwrap();
    }
    assert_eq!(got, 3073);
    // Slowloris: one byte every 0.5 s never finishes the handshake in time.
    let mut s = TcpStream::connect(addr).unwrap();
    let start = Instant::now();
    let mut dropped = false;
    for _ in 0..20 {
        if s.write_all(&[3]).is_err() {
            dropped = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(dropped || closed_within(&mut s, 2), "slowloris survived");
    assert!(start.elapsed() < Duration::from_secs(9));
    // Set Chunk Size 0.
    let mut s = raw_client(addr);
    s.write_all(&chunks(muxkit::rtmp::message::set_chunk_size(0)))
        .unwrap();
    assert!(closed_within(&mut s, 3), "chunk size 0");
    // Set Chunk Size 0x7FFFFFFF, then a small message: fine, nothing sized by it.
    let mut s = raw_client(addr);
    s.write_all(&chunks(muxkit::rtmp::message::set_chunk_size(0x7FFF_FFFF)))
        .unwrap();
    // 10,000 chunk stream ids each declaring 16 MiB, no bodies.
    let mut s2 = raw_client(addr);
    let mut flood = Vec::new();
    for v in 0..10_000u32 {
        flood.extend_from_slice(&[
            1,
            v as u8,
            (v >> 8) as u8,
            0,
            0,
            0,
            0xFF,
            0xFF,
            0xFF,
            9,
            1,
            0,
            0,
            0,
        ]);
    }
    let _ = s2.write_all(&flood);
    assert!(closed_within(&mut s2, 3), "chunk stream flood");
    // A message length change mid-message.
    let mut s3 = raw_client(addr);
    let mut b = vec![0x04, 0, 0, 0, 0, 1, 0, 9, 1, 0, 0, 0];
    b.extend([0u8; 128]);
    b.extend([0x44, 0, 0, 0, 0, 0, 50, 9]);
    s3.write_all(&b).unwrap();
    assert!(closed_within(&mut s3, 3), "length change");
    // connect nested 100,000 deep, and a strict array claiming 2^32-1 items.
    for payload in [
        {
            let mut d = vec![2, 0, 7];
            d.extend(b"connect");
            d.extend([0, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0]);
            d.extend(std::iter::repeat_n([0x0A, 0, 0, 0, 1], 100_000).flatten());
            d
        },
        {
            let mut d = vec![2, 0, 7];
            d.extend(b"connect");
            d.extend([
                0, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0, 0x0A, 0xFF, 0xFF, 0xFF, 0xFF,
            ]);
            d
        },
    ] {
        let mut s = raw_client(addr);
        let m = RtmpMessage {
            csid: 3,
            type_id: MessageType::COMMAND_AMF0,
            timestamp: 0,
            stream_id: 0,
            payload: payload.into(),
        };
        s.write_all(&chunks(m)).unwrap();
        assert!(closed_within(&mut s, 3), "hostile amf");
    }
    // An unsafe stream name: refused, nothing written outside the folder.
    let st = Command::new(muxkit_bin())
        .args(["publish", "--fast"])
        .arg(source())
        .arg(server.url("live/../../etc"))
        .output()
        .unwrap();
    assert!(!st.status.success());
    assert!(String::from_utf8_lossy(&st.stderr).contains("BadName"));
    assert!(!server.out.join("etc").exists() && !server.out.parent().unwrap().join("etc").exists());
    // A client that connects and never publishes is dropped at the publish deadline.
    let mut idle = raw_client(addr);
    assert!(closed_within(&mut idle, 6), "publish deadline");
    drop(s);
    wait_ok(honest);
    server.wait_for(10, "the honest publish to end", |_| {
        server.unpublished("live/honest") == 1
    });
    assert_eq!(
        frame_hashes(&server.playlist("live/honest")),
        frame_hashes(&source())
    );
    // Memory stayed bounded (the 16 MiB claims never became allocations).
    let grown = rss_kib().saturating_sub(rss_before);
    assert!(grown < 64 * 1024, "rss grew {grown} KiB");
    assert!(
        server
            .events()
            .iter()
            .any(|e| matches!(e, IngestEventKind::Error { .. }))
    );
}

#[test]
fn record_keeps_the_whole_publish_as_flv_and_a_vod_playlist() {
    if !have_ffmpeg("record_keeps_the_whole_publish_as_flv_and_a_vod_playlist") {
        return;
    }
    let server = Server::start("rtmp-record", PlaylistType::Live, |o| o.record = true);
    wait_ok(ffmpeg_publish(&source(), &server.url("live/rec"), false));
    server.wait_for(10, "unpublish", |_| server.unpublished("live/rec") == 1);
    let dir = server.out.join("live/rec");
    let mut flv = None;
    let mut vod = None;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("record_") && name.ends_with(".flv") {
            flv = Some(p);
        } else if name.starts_with("record_") && p.is_dir() {
            vod = Some(p.join("index.m3u8"));
        }
    }
    let (flv, vod) = (
        flv.expect("a recorded flv"),
        vod.expect("a recorded vod playlist"),
    );
    let want = frame_hashes(&source());
    for f in [&flv, &vod] {
        let c = ffprobe_complaints(f);
        assert!(c.is_empty(), "{}: {c}", f.display());
        assert_eq!(frame_hashes(f), want, "{}", f.display());
    }
    let pl = read_media_playlist(&vod);
    assert!(pl.end_list && pl.playlist_type == Some(m3u8_rs::MediaPlaylistType::Vod));
}

/// A publish accepted by the server at `addr` under `path`, over a real socket (reads time
/// out after 100 ms, so callers can interleave their own writes).
fn accepted_publish(
    addr: SocketAddr,
    path: &str,
) -> (muxkit::rtmp::client::PublishSession, TcpStream) {
    use muxkit::rtmp::client::{PublishSession, RtmpUrl};
    let url = RtmpUrl::parse(&format!("rtmp://{addr}/{path}")).unwrap();
    let mut session = PublishSession::new(url, 11);
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = [0u8; 16 * 1024];
    let t0 = Instant::now();
    while !session.is_ready() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "publish not accepted"
        );
        s.write_all(&session.take_output()).unwrap();
        if let Ok(n) = s.read(&mut buf) {
            assert!(n > 0, "server closed");
            session.push(&buf[..n]).unwrap();
        }
    }
    (session, s)
}

/// Publishes raw FLV tag bodies in the given order over a real socket, as a client with its
/// own ideas about order would.
fn publish_raw_tags(addr: SocketAddr, path: &str, tags: &[(u8, u32, bytes::Bytes)]) {
    let (mut session, mut s) = accepted_publish(addr, path);
    let mut buf = [0u8; 16 * 1024];
    s.set_nonblocking(true).unwrap();
    for (ty, ts, body) in tags {
        session.send_tag(*ty, *ts, body.clone());
        let out = session.take_output();
        let mut sent = 0;
        while sent < out.len() {
            match s.write(&out[sent..]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(1))
                }
                Err(e) => panic!("{e}"),
            }
        }
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            session.push(&buf[..n]).unwrap();
        }
    }
    s.set_nonblocking(false).unwrap();
    session.finish();
    s.write_all(&session.take_output()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
}

/// `@setDataFrame` between the first audio and the video's sequence header (a late encoder),
/// and AAC frames before the AAC sequence header: the video is still in the live HLS, the
/// early frames are dropped with a warning, the publish goes on.
#[test]
fn odd_publish_orders_keep_every_track() {
    if !have_ffmpeg("odd_publish_orders_keep_every_track") {
        return;
    }
    for kind in [PlaylistType::Event, PlaylistType::Live] {
        odd_order(kind);
    }
}

fn odd_order(kind: PlaylistType) {
    use muxkit::flv::FlvTagReader;
    use muxkit::io::{InputSource, map_file};
    let server = Server::start("ingest-order", kind, |_| {});
    let mut r = FlvTagReader::new(
        InputSource::from_bytes(map_file(&source()).unwrap()),
        Default::default(),
    )
    .unwrap();
    let mut tags = Vec::new();
    while let Some(t) = r.next_tag().unwrap() {
        tags.push((t.header.tag_type.0, t.header.timestamp, t.body));
    }
    // source.flv: onMetaData, AVC header, AAC header, then media.
    let meta = tags.remove(0);
    let avc = tags.remove(0);
    let aac = tags.remove(0);
    let first_audio = tags.iter().position(|t| t.0 == 8).unwrap();
    let a0 = tags.remove(first_audio);
    let first_aac_frame_after = tags.iter().position(|t| t.0 == 8).unwrap();
    let a1 = tags[first_aac_frame_after].clone();
    let mut order = vec![
        a1.clone(), // AAC frames before the AAC sequence header: dropped with a warning
        a1.clone(),
        aac.clone(),
        a0,
        meta, // @setDataFrame after the first audio
        avc,  // and only then the video's sequence header
    ];
    order.extend(tags);
    publish_raw_tags(server.addr(), "live/odd", &order);
    server.wait_for(10, "the unpublish", |e| {
        e.iter()
            .any(|k| matches!(k, IngestEventKind::Unpublished { .. }))
    });
    let index = server.playlist("live/odd");
    check_listed(&index);
    let c = ffprobe_complaints(&index);
    let streams = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type",
            "-of",
            "csv=p=0",
        ])
        .arg(&index)
        .output()
        .unwrap();
    let kinds = String::from_utf8_lossy(&streams.stdout).into_owned();
    assert!(
        kinds.contains("video") && kinds.contains("audio"),
        "{kinds} {c}"
    );
    let events = server.events();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, IngestEventKind::Error { .. })),
        "{events:?}"
    );
    assert!(
        events.iter().any(
            |e| matches!(e, IngestEventKind::Warning { message } if message.contains("before"))
        ),
        "{events:?}"
    );
    // The @setDataFrame that came after media is a data track the live TS cannot carry: named.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, IngestEventKind::Warning { message }
            if message.contains("data flv_script not carried in the live hls"))),
        "{events:?}"
    );
}

/// Media keeps a publish alive, bytes do not; and a client that never reads its replies is
/// dropped instead of holding its connection.
#[test]
fn idle_counts_media_and_a_client_that_never_reads_is_dropped() {
    let server = Server::start("ingest-idle", PlaylistType::Live, |o| {
        o.idle_timeout = Duration::from_secs(2);
    });
    let addr = server.addr();
    // A publish that then sends only Acknowledgements (valid messages, no media), one a
    // second: dropped at the idle deadline, its name freed.
    let (_session, mut s) = accepted_publish(addr, "live/trickle");
    let started = Instant::now();
    let ack = chunks(RtmpMessage {
        csid: 2,
        type_id: MessageType(3),
        timestamp: 0,
        stream_id: 0,
        payload: bytes::Bytes::from_static(&[0, 0, 0, 1]),
    });
    let mut dropped = false;
    for _ in 0..8 {
        if s.write_all(&ack).is_err() {
            dropped = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(700));
    }
    assert!(
        dropped || closed_within(&mut s, 2),
        "bytes without media kept the publish"
    );
    assert!(started.elapsed() < Duration::from_secs(6));
    server.wait_for(5, "the idle publish to end", |_| {
        server.unpublished("live/trickle") == 1
    });
    // A client that floods commands and never reads the replies: its writes block, and it is
    // dropped within the write deadline instead of holding the connection.
    let mut greedy = raw_client(addr);
    greedy
        .set_write_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let call = chunks(RtmpMessage {
        csid: 3,
        type_id: MessageType::COMMAND_AMF0,
        timestamp: 0,
        stream_id: 0,
        payload: {
            let mut p = Vec::new();
            muxkit::amf::amf0::encode(
                &muxkit::amf::AmfValue::String("createStream".into()),
                &mut p,
            );
            muxkit::amf::amf0::encode(&muxkit::amf::AmfValue::Number(2.0), &mut p);
            muxkit::amf::amf0::encode(&muxkit::amf::AmfValue::Null, &mut p);
            p.into()
        },
    });
    let t0 = Instant::now();
    let before = server.handle.as_ref().unwrap().connections();
    while t0.elapsed() < Duration::from_secs(15) {
        if greedy.write_all(&call).is_err() {
            break;
        }
    }
    let t1 = Instant::now();
    while server.handle.as_ref().unwrap().connections() >= before
        && t1.elapsed() < Duration::from_secs(10)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        server.handle.as_ref().unwrap().connections() < before,
        "the greedy client still holds its connection"
    );
}

/// A restarted ingest (after a crash: no ENDLIST, a temporary file left) carries the
/// republished stream's playlist on: the media sequence continues after a DISCONTINUITY, and
/// no new segment takes the name of one a player may still hold.
#[test]
fn a_restarted_ingest_continues_the_playlist_it_finds() {
    if !have_ffmpeg("a_restarted_ingest_continues_the_playlist_it_finds") {
        return;
    }
    let first = Server::start("ingest-restart", PlaylistType::Event, |_| {});
    wait_ok(ffmpeg_publish(&source(), &first.url("live/cam"), false));
    first.wait_for(10, "unpublish", |_| first.unpublished("live/cam") == 1);
    let index = first.playlist("live/cam");
    let before = check_listed(&index);
    let dir = index.parent().unwrap().to_owned();
    // What a crash leaves: the playlist without ENDLIST, and a temporary segment.
    let text = std::fs::read_to_string(&index).unwrap();
    std::fs::write(&index, text.replace("#EXT-X-ENDLIST\n", "")).unwrap();
    std::fs::write(dir.join(".segment_00099.ts.4999999.tmp"), b"partial").unwrap();
    let names_before: Vec<String> = before.segments.iter().map(|s| s.uri.clone()).collect();
    // A new process over the same folder.
    let mut options = IngestOptions::new(&first.out);
    options.hls = HlsOptions {
        playlist_type: PlaylistType::Event,
        target_duration: 2.0,
        ..HlsOptions::default()
    };
    let second = IngestServer::bind("127.0.0.1:0".parse().unwrap(), options, |_| {})
        .unwrap()
        .spawn()
        .unwrap();
    let url = format!("rtmp://{}/live/cam", second.local_addr());
    wait_ok(ffmpeg_publish(&source(), &url, false));
    let t0 = Instant::now();
    let after = loop {
        let pl = read_media_playlist(&index);
        if pl.end_list || t0.elapsed() > Duration::from_secs(10) {
            break pl;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    second.stop();
    assert!(after.end_list);
    assert_eq!(after.media_sequence, before.media_sequence);
    let n = before.segments.len();
    assert!(after.segments.len() > n);
    for (a, b) in after.segments.iter().zip(&before.segments) {
        assert_eq!(a.uri, b.uri);
    }
    assert!(
        after.segments[n].discontinuity,
        "a discontinuity at the restart"
    );
    for s in &after.segments[n..] {
        assert!(!names_before.contains(&s.uri), "{} reused", s.uri);
    }
    check_listed(&index);
    assert!(!dir.join(".segment_00099.ts.4999999.tmp").exists());
    assert!(ffprobe_complaints(&index).is_empty());
}

#[test]
fn fmp4_segments_from_a_live_publish_and_a_republish_gets_its_own_init() {
    if !have_ffmpeg("fmp4_segments_from_a_live_publish_and_a_republish_gets_its_own_init") {
        return;
    }
    let server = Server::start("rtmp-fmp4", PlaylistType::Event, |o| {
        o.hls.segment_type = muxkit::hls::HlsSegmentType::Fmp4;
        o.hls.segment_pattern = muxkit::hls::HlsSegmentType::Fmp4.default_pattern().into();
    });
    wait_ok(ffmpeg_publish(&source(), &server.url("live/f"), false));
    server.wait_for(10, "the publish to end", |_| {
        server.unpublished("live/f") == 1
    });
    let index = server.playlist("live/f");
    let first = check_listed(&index).segments.len();
    wait_ok(ffmpeg_publish(&source(), &server.url("live/f"), false));
    server.wait_for(10, "the republish to end", |_| {
        server.unpublished("live/f") == 2
    });
    let text = std::fs::read_to_string(&index).unwrap();
    assert!(text.contains("#EXT-X-VERSION:7"), "{text}");
    let pl = check_listed(&index);
    assert!(pl.end_list && pl.segments.len() > first);
    assert!(pl.segments[first].discontinuity);
    // The same parameters again: the one init segment serves both publishes.
    assert_eq!(text.matches("#EXT-X-MAP").count(), 1, "{text}");
    let c = ffprobe_complaints(&index);
    assert!(c.is_empty(), "{c}");
    // Each publish's segments decode to the source's frames (one publish at a time: the
    // second restarts its timeline after the discontinuity, which ffmpeg's HLS reader does
    // not follow across a playlist).
    let dir = index.parent().unwrap();
    let want = frame_hashes(&source());
    for (from, to) in [(0, first), (first, pl.segments.len())] {
        let mut joined = std::fs::read(dir.join("init.mp4")).unwrap();
        for s in &pl.segments[from..to] {
            joined.extend_from_slice(&std::fs::read(dir.join(&s.uri)).unwrap());
        }
        let one = dir.join(format!("publish_{from}.mp4"));
        std::fs::write(&one, joined).unwrap();
        let got = frame_hashes(&one);
        assert!(
            got == want,
            "publish from segment {from}: {} frames, want {}",
            got.len(),
            want.len()
        );
    }
    // Other parameters (MP3 audio, another picture size): a new init segment of its own
    // after the discontinuity; the first one stays under the segments that use it.
    let before = check_listed(&index).segments.len();
    wait_ok(ffmpeg_publish(
        &testdata().join("h264_mp3.flv"),
        &server.url("live/f"),
        false,
    ));
    server.wait_for(10, "the third publish to end", |_| {
        server.unpublished("live/f") == 3
    });
    let pl = check_listed(&index);
    let maps: Vec<&str> = pl
        .segments
        .iter()
        .filter_map(|s| s.map.as_ref().map(|m| m.uri.as_str()))
        .collect();
    assert_eq!(maps.len(), 2, "{pl:?}");
    assert_ne!(maps[0], maps[1]);
    assert!(pl.segments[before].discontinuity && pl.segments[before].map.is_some());
    for m in &maps {
        assert!(dir.join(m).is_file(), "{m}");
    }
}

#[test]
fn dash_of_a_live_publish_is_dynamic_while_it_lasts_and_static_at_the_end() {
    if !have_ffmpeg("dash_of_a_live_publish_is_dynamic_while_it_lasts_and_static_at_the_end") {
        return;
    }
    let server = Server::start("rtmp-dash", PlaylistType::Live, |o| {
        o.dash = true;
        o.hls.target_duration = 2.0;
        o.hls.list_size = 3;
    });
    let mut child = ffmpeg_publish(&source(), &server.url("live/d"), true);
    let dir = server.playlist("live/d").parent().unwrap().join("dash");
    let mpd = dir.join("manifest.mpd");
    let validate = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dash-schema/validate.sh");
    // While live: a dynamic MPD whose every listed segment is on disk.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen_dynamic = 0;
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "publish too slow");
        if let Ok(text) = std::fs::read_to_string(&mpd) {
            if text.contains("type=\"dynamic\"") {
                seen_dynamic += 1;
                assert!(
                    text.contains("availabilityStartTime=")
                        && text.contains("timeShiftBufferDepth=\"PT6.000S\""),
                    "{text}"
                );
                for (id, start) in [("video", "video_"), ("audio", "audio_")] {
                    let first: u64 = text
                        .split(&format!("media=\"{start}$Number%05d$.m4s\" startNumber=\""))
                        .nth(1)
                        .and_then(|r| r.split('"').next())
                        .and_then(|n| n.parse().ok())
                        .unwrap_or_else(|| panic!("{id}: {text}"));
                    assert!(
                        dir.join(format!("{start}{first:05}.m4s")).exists(),
                        "{id} {first}"
                    );
                }
                if seen_dynamic == 1 && validate.exists() {
                    let copy = dir.join("snapshot.mpd");
                    std::fs::write(&copy, &text).unwrap();
                    let o = Command::new("bash")
                        .arg(&validate)
                        .arg(&copy)
                        .output()
                        .unwrap();
                    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
                    std::fs::remove_file(&copy).unwrap();
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(child.wait().unwrap().success());
    server.wait_for(10, "the publish to end", |_| {
        server.unpublished("live/d") == 1
    });
    assert!(
        seen_dynamic >= 2,
        "the MPD was rewritten while live ({seen_dynamic})"
    );
    let text = std::fs::read_to_string(&mpd).unwrap();
    assert!(
        text.contains("type=\"static\"") && text.contains("mediaPresentationDuration"),
        "{text}"
    );
    let abs = std::path::absolute(&mpd).unwrap();
    let c = ffprobe_complaints(&abs);
    assert!(c.is_empty(), "{c}");
}

#[test]
fn an_av1_opus_publish_picks_fmp4_segments_by_itself() {
    let Some(ff9) = common::ffmpeg9("an_av1_opus_publish_picks_fmp4_segments_by_itself") else {
        return;
    };
    if !have_ffmpeg("an_av1_opus_publish_picks_fmp4_segments_by_itself") {
        return;
    }
    let server = Server::start("rtmp-av1", PlaylistType::Event, |o| {
        o.hls.target_duration = 1.0;
        // The recording's TS HLS cannot carry AV1/Opus: named, and the publish goes on.
        o.record = true;
    });
    let src = testdata().join("eflv_av1_opus.flv");
    let st = Command::new(&ff9)
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(&src)
        .args(["-c", "copy", "-f", "flv"])
        .arg(server.url("live/av1"))
        .status()
        .unwrap();
    assert!(st.success());
    server.wait_for(10, "the publish to end", |_| {
        server.unpublished("live/av1") == 1
    });
    let index = server.playlist("live/av1");
    let text = std::fs::read_to_string(&index).unwrap();
    assert!(
        text.contains("#EXT-X-MAP:URI=\"init.mp4\"") && text.contains(".m4s"),
        "{text}"
    );
    assert!(server.events().iter().any(|e| matches!(
        e,
        IngestEventKind::Warning { message } if message.contains("ts segments cannot carry av1")
    )));
    assert!(
        server.events().iter().any(|e| matches!(
            e,
            IngestEventKind::Warning { message } if message.contains("not carried in the recording's hls")
        )),
        "{:?}",
        server.events()
    );
    assert!(server.events().iter().any(|e| matches!(
        e,
        IngestEventKind::Unpublished { reason, .. } if !reason.contains("failed")
    )));
    let c = ffprobe_complaints(&index);
    assert!(c.is_empty(), "{c}");
    // The source's frames, as ffmpeg 9 decodes both.
    assert_eq!(
        common::decoded_content(&ff9, &index),
        common::decoded_content(&ff9, &src)
    );
}
