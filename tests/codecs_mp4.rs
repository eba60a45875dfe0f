#![allow(clippy::unwrap_used, clippy::expect_used)]

//! AV1, VP9, Opus, FLAC, AC-3 and E-AC-3 in MP4, fragmented MP4, fMP4 HLS and Enhanced FLV,
//! both ways: ffmpeg-made MP4 (5.1) and Enhanced FLV (9.x) go through every output and come
//! back as the same packets (ffmpeg's own packet hashes) and the same decoded frames, and
//! `inspect` reads each codec's details from its record.

mod common;

use std::path::Path;
use std::process::Command;

use common::{
    TempDir, decoded_content, ffmpeg9, ffprobe_complaints, frame_hashes, have_ffmpeg, muxkit_bin,
    packet_hashes, testdata,
};
use muxkit::inspect::mp4::Mp4Summary;
use muxkit::io::{InputSource, map_file};

const PAIRS: [&str; 5] = ["av1_opus", "vp9_flac", "vp9_opus", "h264_ac3", "h264_eac3"];

fn convert(src: &Path, out: &Path, extra: &[&str]) -> String {
    let o = Command::new(muxkit_bin())
        .arg("convert")
        .arg(src)
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}: {}",
        out.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every output muxkit writes for these codecs, from `src`: (name, path to judge).
fn outputs(src: &Path, dir: &Path) -> Vec<(String, std::path::PathBuf)> {
    let p = dir.join("progressive.mp4");
    convert(src, &p, &[]);
    let f = dir.join("fragmented.mp4");
    convert(src, &f, &["--fragmented"]);
    let h = dir.join("hls");
    convert(src, &h, &["--hls-segment-type", "fmp4"]);
    let flv = dir.join("enhanced.flv");
    convert(src, &flv, &[]);
    let back = dir.join("back.mp4");
    convert(&flv, &back, &["--fragmented"]);
    vec![
        ("mp4".into(), p),
        ("fmp4".into(), f),
        ("hls fmp4".into(), h.join("index.m3u8")),
        ("flv and back".into(), back),
    ]
}

#[test]
fn mp4_records_give_each_codecs_details() {
    let want = [
        ("av1_opus", "av01.0.00M.08", "Main", "opus"),
        ("vp9_flac", "vp09.00.10.08", "Profile 0", "fLaC"),
        ("h264_ac3", "avc1.64000A", "High", "ac-3"),
        ("h264_eac3", "avc1.64000A", "High", "ec-3"),
    ];
    for (name, video, profile, audio) in want {
        let s = Mp4Summary::read(InputSource::from_bytes(
            map_file(&testdata().join(format!("mp4_{name}.mp4"))).unwrap(),
        ))
        .unwrap();
        let v = s.tracks[0].to_json();
        let a = s.tracks[1].to_json();
        assert_eq!(v["codec_string"], video, "{name}");
        assert_eq!(v["profile"], profile, "{name}");
        assert_eq!(
            (v["width"].as_u64(), v["bit_depth"].as_u64()),
            (Some(64), Some(8)),
            "{name}"
        );
        assert_eq!(a["codec_string"], audio, "{name}");
        assert_eq!(
            (a["sample_rate"].as_u64(), a["channels"].as_u64()),
            (Some(48_000), Some(2)),
            "{name}"
        );
    }
}

#[test]
fn ffmpeg_mp4_goes_through_every_output_packet_for_packet() {
    if !have_ffmpeg("ffmpeg_mp4_goes_through_every_output_packet_for_packet") {
        return;
    }
    let tmp = TempDir::new("codecs-mp4");
    for name in PAIRS {
        let src = testdata().join(format!("mp4_{name}.mp4"));
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let want = packet_hashes(&src);
        for (what, out) in outputs(&src, &dir) {
            assert_eq!(ffprobe_complaints(&out), "", "{name} {what}");
            assert_eq!(packet_hashes(&out), want, "{name} {what}");
            // AC-3 in ffmpeg's MP4 starts inside its first frame (an edit list skips the
            // encoder's 256 priming samples); muxkit keeps the frame and its negative time,
            // and does not write that skip again, so decoding shows those samples: compare
            // the packets there, the decoded frames everywhere else.
            if !name.contains("ac3") {
                assert_eq!(frame_hashes(&out), frame_hashes(&src), "{name} {what}");
            }
        }
    }
}

#[test]
fn enhanced_flv_goes_through_every_output_to_the_same_frames() {
    let Some(ff9) = ffmpeg9("enhanced_flv_goes_through_every_output_to_the_same_frames") else {
        return;
    };
    if !have_ffmpeg("enhanced_flv_goes_through_every_output_to_the_same_frames") {
        return;
    }
    let tmp = TempDir::new("codecs-eflv");
    for name in PAIRS {
        let src = testdata().join(format!("eflv_{name}.flv"));
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let want = decoded_content(&ff9, &src);
        for (what, out) in outputs(&src, &dir) {
            assert_eq!(ffprobe_complaints(&out), "", "{name} {what}");
            assert_eq!(decoded_content(&ff9, &out), want, "{name} {what}");
        }
    }
}

#[test]
fn hls_picks_fmp4_segments_for_codecs_ts_cannot_carry() {
    let tmp = TempDir::new("codecs-hls");
    for (name, auto) in [("av1_opus", true), ("vp9_flac", true), ("h264_ac3", false)] {
        let dir = tmp.path().join(name);
        let stderr = convert(&testdata().join(format!("mp4_{name}.mp4")), &dir, &[]);
        assert_eq!(dir.join("init.mp4").exists(), auto, "{name}: {stderr}");
        assert_eq!(
            stderr.contains("note: hls: ts segments cannot carry"),
            auto,
            "{name}: {stderr}"
        );
    }
}

#[test]
fn f4v_refuses_what_flash_never_played() {
    let tmp = TempDir::new("codecs-f4v");
    let o = Command::new(muxkit_bin())
        .arg("convert")
        .arg(testdata().join("mp4_av1_opus.mp4"))
        .arg(tmp.path().join("x.f4v"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("f4v output carries only h264, aac and mp3"),
        "{e}"
    );
}
