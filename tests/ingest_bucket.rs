//! `muxkit ingest --out s3://…` behind a load balancer: two ingest processes (nodes a and b)
//! write live HLS into one bucket of a real S3 server (s3s-fs on 127.0.0.1); a publisher that
//! reconnects to the other node carries its playlist on there after a DISCONTINUITY; objects
//! never collide; segments leave the bucket after the window's grace; a stream published on
//! both nodes at once is written by one of them only.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::s3::{S3Server, free_port};
use common::{TempDir, ffprobe_complaints, have_ffmpeg, muxkit_bin};

/// A 2 s GOP, so that 1 s segments are cut at every keyframe: 2 s each.
fn source(dir: &Path) -> PathBuf {
    let out = dir.join("src.flv");
    let o = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=320x240:r=25",
        ])
        .args(["-f", "lavfi", "-i", "sine=f=440:sample_rate=44100"])
        .args([
            "-t",
            "30",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "50",
        ])
        .args(["-c:a", "aac", "-b:a", "64k"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

struct Node {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Node {
    fn start(server: &S3Server, id: &str, log_dir: &Path, extra: &[&str]) -> Node {
        let port = free_port();
        let log = log_dir.join(format!("node-{id}.log"));
        let child = Command::new(muxkit_bin())
            .envs(server.env())
            .args(["ingest", "--listen", &format!("127.0.0.1:{port}")])
            .args([
                "--out",
                "s3://media/live",
                "--node-id",
                id,
                "--hls-time",
                "1",
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "node {id} did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Node { child, port, log }
    }

    fn url(&self, stream: &str) -> String {
        format!("rtmp://127.0.0.1:{}/app/{stream}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Publishes `seconds` of `src` at real-time pace; waits for ffmpeg to finish.
fn publish(src: &Path, url: &str, seconds: &str) -> std::process::Output {
    Command::new("ffmpeg")
        .args(["-v", "error", "-re", "-i"])
        .arg(src)
        .args(["-t", seconds, "-c", "copy", "-f", "flv", url])
        .output()
        .unwrap()
}

/// The playlist in the bucket, parsed; waits until `done` says it is what was waited for.
fn playlist_when(
    server: &S3Server,
    key: &str,
    done: impl Fn(&m3u8_rs::MediaPlaylist) -> bool,
) -> m3u8_rs::MediaPlaylist {
    let t0 = Instant::now();
    loop {
        let text = std::fs::read(server.stored("media", key)).unwrap_or_default();
        if let Some(p) = common::parse_media_playlist(&text) {
            if done(&p) {
                return p;
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "{key}: not as expected: {}",
            String::from_utf8_lossy(&text)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn setup(test: &str) -> Option<(S3Server, TempDir, PathBuf)> {
    if !have_ffmpeg(test) {
        return None;
    }
    let server = S3Server::start(test)?;
    server.bucket("media");
    let dir = TempDir::new(test);
    let src = source(dir.path());
    Some((server, dir, src))
}

#[test]
fn a_republish_on_another_node_carries_the_playlist_on_from_the_bucket() {
    let Some((server, dir, src)) = setup("bucket_republish") else {
        return;
    };
    let a = Node::start(&server, "a", dir.path(), &["--hls-playlist-type", "event"]);
    let b = Node::start(&server, "b", dir.path(), &["--hls-playlist-type", "event"]);
    let key = "live/app/s/index.m3u8";
    let o = publish(&src, &a.url("s"), "6");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let first = playlist_when(&server, key, |p| p.end_list);
    assert!(first.segments.len() >= 3, "{first:?}");
    assert!(first.segments.iter().all(|s| s.uri.starts_with("a-")));
    // The publisher comes back through the load balancer, to node b.
    let o = publish(&src, &b.url("s"), "6");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let n = first.segments.len();
    let both = playlist_when(&server, key, |p| {
        p.end_list && p.segments.len() > n + 2 && p.segments.last().unwrap().uri.starts_with("b-")
    });
    // a's segments, as they were, then b's after a DISCONTINUITY, numbered on.
    for (x, y) in first.segments.iter().zip(&both.segments) {
        assert_eq!(x.uri, y.uri);
    }
    let carried = &both.segments[n];
    assert!(carried.discontinuity, "{both:?}");
    assert!(carried.uri.starts_with("b-"), "{}", carried.uri);
    let number = |uri: &str| -> u64 {
        uri.trim_start_matches(|c: char| !c.is_ascii_digit())
            .trim_end_matches(".ts")
            .parse()
            .unwrap()
    };
    let numbers: Vec<u64> = both.segments.iter().map(|s| number(&s.uri)).collect();
    assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{numbers:?}");
    // Every listed segment is in the bucket. Downloaded over HTTP, each node's part reads in
    // ffprobe without a complaint and decodes to the published frames (one part at a time:
    // the second restarts its timeline after the discontinuity, which ffmpeg's HLS reader
    // does not follow across a playlist).
    let local = dir.path().join("fetched");
    let keys = server.download_prefix("media", "live/app/s", &local);
    for s in &both.segments {
        assert!(
            keys.contains(&format!("live/app/s/{}", s.uri)),
            "{} missing",
            s.uri
        );
    }
    let cut = dir.path().join("published.flv");
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(&src)
        .args(["-t", "6", "-c", "copy"])
        .arg(&cut)
        .output()
        .unwrap();
    assert!(o.status.success());
    let want = common::frame_hashes(&cut);
    for (node, part) in [("a", &both.segments[..n]), ("b", &both.segments[n..])] {
        let mut joined = Vec::new();
        for s in part {
            joined.extend(std::fs::read(local.join(&s.uri)).unwrap());
        }
        let ts = dir.path().join(format!("part-{node}.ts"));
        std::fs::write(&ts, joined).unwrap();
        assert_eq!(ffprobe_complaints(&ts), "", "node {node}");
        assert_eq!(common::frame_hashes(&ts), want, "node {node}");
    }
    assert!(a.log().contains("app/s") && b.log().contains("app/s"));
}

#[test]
fn a_live_window_in_the_bucket_deletes_what_left_it_after_the_grace_period() {
    let Some((server, dir, src)) = setup("bucket_window") else {
        return;
    };
    let a = Node::start(&server, "a", dir.path(), &["--hls-list-size", "2"]);
    let o = publish(&src, &a.url("w"), "16");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let p = playlist_when(&server, "live/app/w/index.m3u8", |p| p.media_sequence >= 4);
    assert_eq!(p.segments.len(), 2);
    let stored: Vec<String> = server
        .keys("media", "live/app/w")
        .into_iter()
        .filter(|k| k.ends_with(".ts"))
        .collect();
    // Deleted: the oldest segments, whose grace (the window's duration plus a segment) has
    // passed; kept: the window and those still within their grace.
    assert!(
        !stored.contains(&"live/app/w/a-segment_00000.ts".to_owned()),
        "{stored:?}"
    );
    assert!(stored.len() < p.media_sequence as usize + 2, "{stored:?}");
    for s in &p.segments {
        assert!(
            stored.contains(&format!("live/app/w/{}", s.uri)),
            "{}",
            s.uri
        );
    }
}

#[test]
fn a_stream_published_on_two_nodes_at_once_is_written_by_one() {
    let Some((server, dir, src)) = setup("bucket_twice") else {
        return;
    };
    let a = Node::start(&server, "a", dir.path(), &["--hls-playlist-type", "event"]);
    let b = Node::start(&server, "b", dir.path(), &["--hls-playlist-type", "event"]);
    let (ua, ub) = (a.url("t"), b.url("t"));
    let (sa, sb) = (src.clone(), src.clone());
    let pa = std::thread::spawn(move || publish(&sa, &ua, "6"));
    let pb = std::thread::spawn(move || publish(&sb, &ub, "6"));
    let (_, _) = (pa.join().unwrap(), pb.join().unwrap());
    std::thread::sleep(Duration::from_millis(500));
    let text = std::fs::read(server.stored("media", "live/app/t/index.m3u8")).unwrap();
    let p = common::parse_media_playlist(&text).unwrap();
    // One node's segments only, and every one of them stored.
    let node = &p.segments[0].uri[..2];
    assert!(p.segments.iter().all(|s| s.uri.starts_with(node)), "{p:?}");
    for s in &p.segments {
        assert!(
            server
                .stored("media", &format!("live/app/t/{}", s.uri))
                .is_file()
        );
    }
    let logs = format!("{}\n{}", a.log(), b.log());
    assert!(
        logs.contains("another node has written this playlist"),
        "{logs}"
    );
}

/// The takeover itself, through the library: node b reads the playlist and claims it (the
/// same text without ENDLIST, If-Match the version read) before its first segment; node a's
/// late write (its last playlist, If-Match the version it wrote) then fails there, not at b,
/// and the bucket keeps b's version.
#[test]
fn a_late_write_by_the_old_node_loses_to_the_node_that_took_the_stream_over() {
    use muxkit::hls::SegmentStore;
    use muxkit::store::{LiveObjectStore, ObjectUrl, StoreOptions};
    if !have_ffmpeg("bucket_takeover") {
        return;
    }
    let Some(server) = S3Server::start("bucket_takeover") else {
        return;
    };
    server.bucket("media");
    // The store configured by the program, not the environment.
    let options = StoreOptions {
        config: server
            .env()
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect(),
        ..StoreOptions::default()
    };
    let prefix = ObjectUrl::parse("s3://media/live/app/x", &options).unwrap();
    let first =
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000,\na-segment_00000.ts\n";
    // Node a writes its playlist (created: no version known).
    let mut a = LiveObjectStore::new(prefix.clone(), Default::default());
    a.write_playlist("index.m3u8", first.as_bytes()).unwrap();
    assert!(a.flush(Duration::from_secs(10)));
    assert_eq!(a.failure(), None);
    // Node b takes the stream over.
    let stored = LiveObjectStore::read_playlist(&prefix, "index.m3u8")
        .unwrap()
        .unwrap();
    let claimed = LiveObjectStore::claim_playlist(&prefix, "index.m3u8", &stored, "b").unwrap();
    assert!(claimed.is_some());
    let b_version = std::fs::read(server.stored("media", "live/app/x/index.m3u8")).unwrap();
    // Node a, late: its final playlist with ENDLIST.
    let late = format!("{first}#EXTINF:2.000,\na-segment_00001.ts\n#EXT-X-ENDLIST\n");
    a.write_playlist("index.m3u8", late.as_bytes()).unwrap();
    a.flush(Duration::from_secs(10));
    let why = a.failure().expect("node a stops");
    assert!(
        why.contains("another node has written this playlist"),
        "{why}"
    );
    assert_eq!(
        std::fs::read(server.stored("media", "live/app/x/index.m3u8")).unwrap(),
        b_version
    );
    // A playlist b claims while a writes in between: the claim says so (read again).
    let stale = muxkit::store::StoredPlaylist {
        text: bytes::Bytes::from(first),
        version: object_store::UpdateVersion {
            e_tag: Some("\"not-the-current-version\"".into()),
            version: None,
        },
    };
    assert!(
        LiveObjectStore::claim_playlist(&prefix, "index.m3u8", &stale, "b")
            .unwrap()
            .is_none()
    );
}
