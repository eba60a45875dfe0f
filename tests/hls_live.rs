#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Event and live HLS: fixed TARGETDURATION, PROGRAM-DATE-TIME, a sliding window fed by a slow
//! source with a reader polling the folder the whole time.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Checks the rules every growing playlist keeps: fixed TARGETDURATION covering every EXTINF,
/// no INDEPENDENT-SEGMENTS claim.
fn check_growing(name: &str, pl: &m3u8_rs::MediaPlaylist) {
    for s in &pl.segments {
        assert!(
            (f64::from(s.duration).round() as u64) <= pl.target_duration,
            "{name}: {} lasts {} s, TARGETDURATION {}",
            s.uri,
            s.duration,
            pl.target_duration
        );
    }
    assert!(!pl.independent_segments, "{name}");
}

#[test]
fn event_playlists_decode_to_the_source_frames_with_program_date_times() {
    if !have_ffmpeg("event_playlists_decode_to_the_source_frames_with_program_date_times") {
        return;
    }
    let tmp = TempDir::new("hls-event");
    let mut inputs = vec![
        testdata().join("source.flv"),
        testdata().join("audio_only.flv"),
    ];
    inputs.extend(shared_flvs());
    for (i, src) in inputs.iter().enumerate() {
        let name = src.file_name().unwrap().to_string_lossy().into_owned();
        let out = tmp.path().join(format!("out{i}"));
        muxkit_convert(
            src,
            &out,
            &[
                "--hls-playlist-type",
                "event",
                "--hls-time",
                "2",
                "--program-date-time",
            ],
        );
        let index = out.join("index.m3u8");
        let pl = read_media_playlist(&index);
        assert_eq!(
            pl.playlist_type,
            Some(m3u8_rs::MediaPlaylistType::Event),
            "{name}"
        );
        assert!(pl.end_list, "{name}");
        check_growing(&name, &pl);
        // PROGRAM-DATE-TIME on every segment, each the previous one plus its EXTINF.
        let times: Vec<_> = pl
            .segments
            .iter()
            .map(|s| s.program_date_time.expect("a PROGRAM-DATE-TIME"))
            .collect();
        for (k, w) in times.windows(2).enumerate() {
            let step = (w[1] - w[0]).num_microseconds().unwrap() as f64 / 1e6;
            let extinf = f64::from(pl.segments[k].duration);
            assert!((step - extinf).abs() < 0.0015, "{name}: {step} vs {extinf}");
        }
        let complaints = ffprobe_complaints(&index);
        assert!(complaints.is_empty(), "{name}: ffprobe says:\n{complaints}");
        assert_eq!(
            frame_hashes(&index),
            frame_hashes(src),
            "{name}: decoded frames differ"
        );
    }
}

/// What the polling reader saw of one segment.
#[derive(Debug, Default, Clone)]
struct Seen {
    duration: f64,
    left_playlist: Option<Instant>,
    file_gone: Option<Instant>,
}

/// One look at the folder: the playlist, and every segment it lists must be there and whole.
fn poll(dir: &Path, seen: &mut BTreeMap<String, Seen>, sequences: &mut Vec<u64>) -> Option<f64> {
    let text = std::fs::read(dir.join("index.m3u8")).ok()?;
    let pl = parse_media_playlist(&text).expect("the playlist on disk always parses");
    let now = Instant::now();
    check_growing("live", &pl);
    assert!(
        pl.segments.len() <= 2,
        "the window lists at most 2 segments"
    );
    if let Some(&last) = sequences.last() {
        assert!(pl.media_sequence >= last, "MEDIA-SEQUENCE never goes back");
    }
    sequences.push(pl.media_sequence);
    let listed: BTreeSet<String> = pl.segments.iter().map(|s| s.uri.clone()).collect();
    for s in &pl.segments {
        let data = std::fs::read(dir.join(&s.uri))
            .unwrap_or_else(|e| panic!("listed segment {} is not on disk: {e}", s.uri));
        assert!(
            !data.is_empty() && data.len() % 188 == 0 && data[0] == 0x47,
            "listed segment {} is not whole ({} bytes)",
            s.uri,
            data.len()
        );
        assert_eq!(
            ((data[1] & 0x1F) as u16) << 8 | data[2] as u16,
            0,
            "{} starts with the PAT",
            s.uri
        );
        seen.entry(s.uri.clone()).or_default().duration = f64::from(s.duration);
    }
    for (uri, st) in seen.iter_mut() {
        if !listed.contains(uri) && st.left_playlist.is_none() {
            st.left_playlist = Some(now);
        }
        if st.left_playlist.is_some() && st.file_gone.is_none() && !dir.join(uri).exists() {
            st.file_gone = Some(now);
        }
    }
    Some(pl.segments.iter().map(|s| f64::from(s.duration)).sum())
}

/// The source looped to 20 s with ffmpeg (-c copy), so the window has time to slide.
fn long_source(tmp: &Path) -> PathBuf {
    let out = tmp.join("long.flv");
    let st = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-stream_loop", "1", "-i"])
        .arg(testdata().join("source.flv"))
        .args(["-c", "copy", "-f", "flv"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    out
}

#[test]
fn live_window_slides_and_deletes_only_after_the_grace_period() {
    if !have_ffmpeg("live_window_slides_and_deletes_only_after_the_grace_period") {
        return;
    }
    let tmp = TempDir::new("hls-live");
    let src = long_source(tmp.path());
    let bytes = std::fs::read(&src).unwrap();
    // Fed through stdin at real-time pace, as a live encoder would: the grace period is wall
    // time, so only a real-time source shows deletions within the run (a 20 s test).
    let media_secs = 20.0;
    let pace = 1.0;
    let dir = tmp.path().join("live");
    let mut child = Command::new(muxkit_bin())
        .args(["convert", "-"])
        .arg(&dir)
        .args([
            "--hls-playlist-type",
            "live",
            "--hls-time",
            "2",
            "--hls-list-size",
            "2",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let start = Instant::now();
        let step = bytes.len() / 300;
        for (k, chunk) in bytes.chunks(step).enumerate() {
            let due = Duration::from_secs_f64(k as f64 * media_secs / pace / 300.0);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
            stdin.write_all(chunk).unwrap();
        }
    });
    let mut seen = BTreeMap::new();
    let mut sequences = Vec::new();
    let mut longest_playlist: f64 = 0.0;
    let mut polls = 0;
    while child.try_wait().unwrap().is_none() {
        if let Some(d) = poll(&dir, &mut seen, &mut sequences) {
            longest_playlist = longest_playlist.max(d);
            polls += 1;
        }
        std::thread::sleep(Duration::from_millis(15));
    }
    feeder.join().unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    poll(&dir, &mut seen, &mut sequences);
    assert!(polls > 100, "the reader looked {polls} times");
    let distinct: BTreeSet<_> = sequences.iter().collect();
    assert!(distinct.len() >= 6, "MEDIA-SEQUENCE moved: {distinct:?}");
    // Every deleted segment stayed at least its duration plus the longest playlist after it
    // left the playlist (RFC 8216 6.2.2); the reader's 15 ms polling is the tolerance.
    let mut deleted = 0;
    for (uri, st) in &seen {
        if let (Some(left), Some(gone)) = (st.left_playlist, st.file_gone) {
            deleted += 1;
            let kept = gone.duration_since(left).as_secs_f64();
            let grace = st.duration + longest_playlist;
            assert!(
                kept >= grace - 0.1,
                "{uri} was deleted {kept:.3} s after leaving the playlist; grace is {grace:.3} s"
            );
        }
        if st.file_gone.is_some() {
            assert!(st.left_playlist.is_some(), "{uri} vanished while listed");
        }
    }
    assert!(deleted >= 3, "{deleted} segments deleted: {seen:#?}");
    let index = dir.join("index.m3u8");
    let last = read_media_playlist(&index);
    assert!(last.end_list);
    let complaints = ffprobe_complaints(&index);
    assert!(complaints.is_empty(), "ffprobe says:\n{complaints}");
}

#[test]
fn event_and_live_playlist_snapshots() {
    let tmp = TempDir::new("hls-growing-snap");
    for (kind, extra) in [
        (
            "event",
            &["--hls-playlist-type", "event", "--hls-time", "2"][..],
        ),
        (
            "live",
            &[
                "--hls-playlist-type",
                "live",
                "--hls-time",
                "2",
                "--hls-list-size",
                "3",
            ][..],
        ),
    ] {
        let out = tmp.path().join(kind);
        muxkit_convert(&testdata().join("source.flv"), &out, extra);
        insta::assert_snapshot!(
            format!("playlist_source_{kind}"),
            String::from_utf8(std::fs::read(out.join("index.m3u8")).unwrap()).unwrap()
        );
    }
}
