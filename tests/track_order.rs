#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Source order and timing kept: ffmpeg numbers the streams of an output as it numbers the
//! input's, and every sequence header goes out before the first media tag.

mod common;

use std::path::Path;
use std::process::Command;

use common::{TempDir, have_ffmpeg, muxkit_convert, testdata};
use muxkit::flv::{FlvTagReader, FlvTagType};
use muxkit::io::{InputSource, map_file};

/// `index:codec_type:codec_name` of every stream, in ffprobe's numbering.
fn streams(file: &Path) -> Vec<String> {
    let o = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=index,codec_type,codec_name",
        ])
        .args(["-of", "csv=p=0"])
        .arg(file)
        .output()
        .unwrap();
    assert!(o.status.success());
    let mut v: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    // A TS lists its streams again under its program.
    v.dedup();
    v.truncate(v.len().min(2));
    v
}

#[test]
fn ffmpeg_numbers_the_streams_the_same_before_and_after() {
    if !have_ffmpeg("ffmpeg_numbers_the_streams_the_same_before_and_after") {
        return;
    }
    let tmp = TempDir::new("track-order");
    // Video first in the stream order, but its first frame 0.5 s after the first audio frame:
    // written in time order, the audio's tags come first.
    let late_video = tmp.path().join("late_video.flv");
    let st = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(testdata().join("source.flv"))
        .args(["-itsoffset", "0.5", "-i"])
        .arg(testdata().join("source.flv"))
        .args(["-map", "1:v", "-map", "0:a", "-c", "copy", "-t", "4"])
        .arg(&late_video)
        .status()
        .unwrap();
    assert!(st.success());
    for (dir, src, ext) in [
        (tmp.path(), "late_video.flv", "flv"),
        (tmp.path(), "late_video.flv", "ts"),
        (tmp.path(), "late_video.flv", "mp4"),
    ] {
        let input = dir.join(src);
        let mid = tmp.path().join(format!("{src}.{ext}"));
        muxkit_convert(&input, &mid, &[]);
        assert_eq!(streams(&mid), streams(&input), "{src} -> {ext}");
        // And back to FLV from each.
        let back = tmp.path().join(format!("{src}.{ext}.flv"));
        muxkit_convert(&mid, &back, &[]);
        assert_eq!(streams(&back), streams(&input), "{src} -> {ext} -> flv");
    }
    for (src, ext) in [
        ("source.flv", "flv"),
        ("source_bframes.ts", "flv"),
        ("source.f4v", "flv"),
        ("source_moov_end.mp4", "flv"),
        ("source_faststart.mp4", "flv"),
        ("h264_mp3.flv", "flv"),
        ("source.flv", "ts"),
        ("source.flv", "mp4"),
        ("source_bframes.ts", "mp4"),
    ] {
        let input = testdata().join(src);
        let out = tmp.path().join(format!("{src}.{ext}"));
        muxkit_convert(&input, &out, &[]);
        assert_eq!(streams(&out), streams(&input), "{src} -> {ext}");
    }
}

#[test]
fn every_sequence_header_comes_before_the_first_media_tag() {
    let tmp = TempDir::new("track-order-headers");
    for src in [
        "source.flv",
        "source_bframes.ts",
        "source.f4v",
        "h264_mp3.flv",
    ] {
        let out = tmp.path().join(format!("{src}.flv"));
        muxkit_convert(&testdata().join(src), &out, &[]);
        let mut r = FlvTagReader::new(
            InputSource::from_bytes(map_file(&out).unwrap()),
            Default::default(),
        )
        .unwrap();
        let mut kinds = Vec::new();
        while let Some(t) = r.next_tag().unwrap() {
            let kind = match t.header.tag_type {
                FlvTagType::SCRIPT => "meta",
                // AVC/AAC packet type 0 (sequence header) for the legacy codecs here; MP3 has
                // no sequence header at all.
                FlvTagType::VIDEO if t.body[1] == 0 => "video config",
                FlvTagType::AUDIO if t.body[0] >> 4 == 10 && t.body[1] == 0 => "audio config",
                FlvTagType::VIDEO => "video",
                _ => "audio",
            };
            kinds.push((kind, t.header.timestamp));
            if kinds.len() == 5 {
                break;
            }
        }
        let first_media = kinds
            .iter()
            .position(|(k, _)| !k.contains("config") && *k != "meta");
        let configs: Vec<_> = kinds.iter().filter(|(k, _)| k.contains("config")).collect();
        let want = if src == "h264_mp3.flv" { 1 } else { 2 };
        assert_eq!(configs.len(), want, "{src}: {kinds:?}");
        assert!(
            kinds
                .iter()
                .rposition(|(k, _)| k.contains("config"))
                .unwrap()
                < first_media.unwrap(),
            "{src}: {kinds:?}"
        );
        assert_eq!(
            kinds[1].0, "video config",
            "{src}: video first, as in the source"
        );
        // At the first timestamp: the first media tag's.
        let t0 = kinds[first_media.unwrap()].1;
        assert!(configs.iter().all(|(_, t)| *t == t0), "{src}: {kinds:?}");
    }
}
