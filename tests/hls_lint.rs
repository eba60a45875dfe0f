#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The HLS lint judges by RFC 8216: ffmpeg's TS, fMP4 and byte-range playlists pass; a
//! playlist with no media, impossible EXTINF values, or segments that cannot be read fails;
//! hostile playlists (paths outside the folder, FIFOs, devices, half a million segments) cost
//! bounded time and memory.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{TempDir, have_ffmpeg, muxkit_bin, testdata};

fn inspect(playlist: &Path) -> Output {
    Command::new(muxkit_bin())
        .arg("inspect")
        .arg(playlist)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn ffmpegs_ts_fmp4_and_byte_range_playlists_pass() {
    if !have_ffmpeg("ffmpegs_ts_fmp4_and_byte_range_playlists_pass") {
        return;
    }
    let tmp = TempDir::new("lint-ffmpeg");
    let src = testdata().join("source.flv");
    for (name, extra) in [
        ("ts", vec![]),
        ("fmp4", vec!["-hls_segment_type", "fmp4"]),
        ("single", vec!["-hls_flags", "single_file"]),
        (
            "single_fmp4",
            vec!["-hls_segment_type", "fmp4", "-hls_flags", "single_file"],
        ),
        ("event", vec!["-hls_playlist_type", "event"]),
        ("live", vec!["-hls_list_size", "3"]),
    ] {
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let st = Command::new("ffmpeg")
            .args(["-nostdin", "-v", "error", "-i"])
            .arg(&src)
            .args(["-c", "copy", "-hls_time", "2"])
            .args(if name == "live" || name == "event" {
                vec![]
            } else {
                vec!["-hls_playlist_type", "vod"]
            })
            .args(&extra)
            .arg(dir.join("index.m3u8"))
            .status()
            .unwrap();
        assert!(st.success(), "{name}");
        let o = inspect(&dir.join("index.m3u8"));
        assert_eq!(o.status.code(), Some(0), "{name}: {}", text(&o));
        let t = text(&o);
        assert!(t.contains("result: ok"), "{name}: {t}");
        assert!(!t.contains("error:"), "{name}: {t}");
        if name.contains("fmp4") {
            assert!(t.contains("fmp4 segments"), "{name}: {t}");
        }
    }
}

fn write_playlist(dir: &Path, body: &str) -> std::path::PathBuf {
    let p = dir.join("index.m3u8");
    std::fs::write(
        &p,
        format!("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n{body}#EXT-X-ENDLIST\n"),
    )
    .unwrap();
    p
}

/// A real segment muxkit wrote, and an empty one (PAT and PMT, no media).
fn segments(dir: &Path) {
    let out = dir.join("src");
    common::muxkit_convert(&testdata().join("source.flv"), &out, &["--hls-time", "2"]);
    std::fs::copy(out.join("segment_00000.ts"), dir.join("a.ts")).unwrap();
    let a = std::fs::read(dir.join("a.ts")).unwrap();
    std::fs::write(dir.join("empty.ts"), &a[..188 * 2]).unwrap();
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn no_media_and_impossible_values_are_errors_with_their_section() {
    let tmp = TempDir::new("lint-errors");
    segments(tmp.path());
    let clean = write_playlist(tmp.path(), "#EXTINF:2.023,\na.ts\n");
    assert_eq!(
        inspect(&clean).status.code(),
        Some(0),
        "{}",
        text(&inspect(&clean))
    );
    for (body, want) in [
        // A 0 s playlist of a segment with no media (what an empty input made before).
        (
            "#EXTINF:0.000,\nempty.ts\n",
            "holds no media (no audio or video frame) (RFC 8216 3)",
        ),
        (
            "#EXTINF:0.000,\nempty.ts\n",
            "0 s of media in all (RFC 8216 3)",
        ),
        ("#EXTINF:-5,\na.ts\n", "RFC 8216 4.3.2.1"),
        ("#EXTINF:NaN,\na.ts\n", "RFC 8216 4.3.2.1"),
        ("#EXTINF:1e308,\na.ts\n", "RFC 8216 4.3.2.1"),
        (
            "#EXTINF:2.6,\na.ts\n",
            "rounds above TARGETDURATION 2 (RFC 8216 4.3.3.1)",
        ),
        ("#EXTINF:2.000,\nmissing.ts\n", "cannot read"),
        (
            "#EXTINF:2.000,\n#EXT-X-BYTERANGE:100@999999999\na.ts\n",
            "RFC 8216 4.3.2.2",
        ),
    ] {
        let p = write_playlist(tmp.path(), body);
        let o = inspect(&p);
        assert_eq!(o.status.code(), Some(1), "{body}: {}", text(&o));
        assert!(text(&o).contains(want), "{body}: {}", text(&o));
        assert!(text(&o).contains("error:"), "{body}");
    }
    // 2.5 s under a 2 s target: ffmpeg rounds halves to even, so that is allowed.
    let p = write_playlist(tmp.path(), "#EXTINF:2.500,\na.ts\n");
    assert_eq!(inspect(&p).status.code(), Some(0), "{}", text(&inspect(&p)));
}

#[test]
fn hostile_playlists_cost_bounded_time_and_touch_nothing_outside() {
    let tmp = TempDir::new("lint-hostile");
    let dir = tmp.path().join("pl");
    std::fs::create_dir_all(&dir).unwrap();
    segments(&dir);
    // Outside the folder: never opened (a FIFO there would block for ever if it were).
    let outside = tmp.path().join("outside.ts");
    let st = Command::new("mkfifo").arg(&outside).status().unwrap();
    assert!(st.success());
    let inside_fifo = dir.join("fifo.ts");
    assert!(
        Command::new("mkfifo")
            .arg(&inside_fifo)
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.ts")).unwrap();
    let body = format!(
        "#EXTINF:2.0,\n../outside.ts\n#EXTINF:2.0,\n{}\n#EXTINF:2.0,\nfifo.ts\n#EXTINF:2.0,\nzero.ts\n#EXTINF:2.0,\nhttp://example.invalid/x.ts\n#EXTINF:2.0,\na.ts\n",
        outside.display()
    );
    let p = write_playlist(&dir, &body);
    let mut child = Command::new(muxkit_bin())
        .arg("inspect")
        .arg(&p)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("inspect blocked");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert_eq!(
        t.matches("outside the playlist's folder, not opened")
            .count(),
        2,
        "{t}"
    );
    assert_eq!(
        t.matches("is not a regular file, not opened").count(),
        2,
        "{t}"
    );
    assert!(t.contains("a remote uri, not fetched"), "{t}");
    // Half a million segments: the first and last few hundred read, the rest looked up.
    let many: String = (0..500_000).map(|_| "#EXTINF:2.000,\na.ts\n").collect();
    let p = write_playlist(&dir, &many);
    let t0 = Instant::now();
    let o = inspect(&p);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o).contains("(400 read in full, the others looked up)"));
    assert!(t0.elapsed() < Duration::from_secs(30), "{:?}", t0.elapsed());
}
