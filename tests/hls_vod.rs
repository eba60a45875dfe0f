#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `muxkit convert X out/`: VOD HLS judged by ffprobe, frame hashes, and the RFC 8216 rules.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use muxkit::Demuxer;
use muxkit::io::{InputSource, map_file};
use muxkit::ts::demux::{TsDemuxer, TsReadOptions};
use muxkit::ts::{TS_PACKET_SIZE, TsPacket};

/// The presentation span of a file as ffprobe reads it: first PTS to the end of the last frame.
fn ffprobe_span(file: &Path) -> f64 {
    let o = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "packet=pts_time,duration_time",
            "-of",
            "csv=p=0",
        ])
        .arg(file)
        .output()
        .unwrap();
    let (mut start, mut end) = (f64::MAX, f64::MIN);
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        let f: Vec<f64> = line
            .split(',')
            .filter_map(|x| x.trim().parse().ok())
            .collect();
        if let [pts, dur] = f[..] {
            start = start.min(pts);
            end = end.max(pts + dur);
        }
    }
    end - start
}

fn hls_inputs() -> Vec<PathBuf> {
    ffmpeg_readable_flvs()
        .into_iter()
        .filter(|p| !p.ends_with("hostile_base.flv"))
        .filter(|p| {
            let mut d = muxkit::flv::FlvDemuxer::from_bytes(map_file(p).unwrap()).unwrap();
            d.tracks()
                .iter()
                .filter(|t| t.kind != muxkit::MediaKind::Data)
                .all(|t| {
                    matches!(
                        t.codec.codec,
                        muxkit::Codec::H264
                            | muxkit::Codec::Hevc
                            | muxkit::Codec::Aac
                            | muxkit::Codec::Mp3
                    )
                })
                && drain(&mut d).1.len() > 1
        })
        .collect()
}

/// Checks every rule on one converted folder; returns the playlist.
fn check_folder(name: &str, dir: &Path, has_video: bool) -> m3u8_rs::MediaPlaylist {
    let pl = read_media_playlist(&dir.join("index.m3u8"));
    assert!(
        pl.end_list && pl.playlist_type == Some(m3u8_rs::MediaPlaylistType::Vod),
        "{name}"
    );
    assert!(pl.independent_segments, "{name}");
    let rounded: Vec<u64> = pl
        .segments
        .iter()
        .map(|s| f64::from(s.duration).round() as u64)
        .collect();
    assert_eq!(
        pl.target_duration,
        *rounded.iter().max().unwrap(),
        "{name}: TARGETDURATION is the longest EXTINF rounded"
    );
    let mut all = Vec::new();
    for seg in &pl.segments {
        let data = std::fs::read(dir.join(&seg.uri)).unwrap();
        assert_eq!(data.len() % TS_PACKET_SIZE, 0);
        let pid = |i: usize| {
            TsPacket::parse(data[i * 188..(i + 1) * 188].try_into().unwrap())
                .unwrap()
                .header
                .pid
                .value()
        };
        assert_eq!(
            (pid(0), pid(1)),
            (0, 0x1000),
            "{name}/{}: PAT then PMT first",
            seg.uri
        );
        let mut d = TsDemuxer::new(
            InputSource::from_bytes(data.clone().into()),
            TsReadOptions::default(),
        )
        .unwrap();
        let (tracks, packets) = drain(&mut d);
        if has_video {
            let first_video = packets
                .iter()
                .find(|p| tracks[p.track as usize].kind == muxkit::MediaKind::Video)
                .unwrap();
            assert!(
                first_video.flags.keyframe,
                "{name}/{}: starts with a keyframe",
                seg.uri
            );
        }
        all.extend_from_slice(&data);
    }
    // Continuity counters and timestamps carry on across segments.
    let mut d = TsDemuxer::new(
        InputSource::from_bytes(all.into()),
        TsReadOptions { strict: true },
    )
    .unwrap();
    drain(&mut d);
    assert_eq!(
        d.report().total_cc_errors(),
        0,
        "{name}: continuity across segments"
    );
    pl
}

#[test]
fn vod_hls_for_every_fixture() {
    if !have_ffmpeg("vod_hls_for_every_fixture") {
        return;
    }
    let tmp = TempDir::new("hls-vod");
    let inputs = hls_inputs();
    assert!(inputs.len() >= 5, "{inputs:?}");
    for (i, src) in inputs.iter().enumerate() {
        let name = src.file_name().unwrap().to_string_lossy().into_owned();
        let out = tmp.path().join(format!("out{i}"));
        muxkit_convert(src, &out, &[]);
        let has_video = {
            let d = muxkit::flv::FlvDemuxer::from_bytes(map_file(src).unwrap()).unwrap();
            d.tracks()
                .iter()
                .any(|t| t.kind == muxkit::MediaKind::Video)
        };
        let pl = check_folder(&name, &out, has_video);
        let index = out.join("index.m3u8");
        let complaints = ffprobe_complaints(&index);
        assert!(complaints.is_empty(), "{name}: ffprobe says:\n{complaints}");
        assert_eq!(
            frame_hashes(&index),
            frame_hashes(src),
            "{name}: decoded frames differ"
        );
        let total: f64 = pl.segments.iter().map(|s| f64::from(s.duration)).sum();
        let span = ffprobe_span(src);
        assert!(
            (total - span).abs() <= 0.041,
            "{name}: EXTINF total {total} vs source {span}"
        );
    }
}

#[test]
fn shorter_target_gives_one_segment_per_gop() {
    let tmp = TempDir::new("hls-2s");
    let out = tmp.path().join("out");
    muxkit_convert(
        &testdata().join("source.flv"),
        &out,
        &["--hls-time", "2", "--segment-pattern", "s%d.ts"],
    );
    let pl = check_folder("source 2s", &out, true);
    // source.flv has a keyframe every 2 s: 5 segments.
    let uris: Vec<&str> = pl.segments.iter().map(|s| s.uri.as_str()).collect();
    assert_eq!(uris, ["s0.ts", "s1.ts", "s2.ts", "s3.ts", "s4.ts"]);
    insta::assert_snapshot!(
        "playlist_source_2s",
        String::from_utf8(std::fs::read(out.join("index.m3u8")).unwrap()).unwrap()
    );
}

#[test]
fn playlist_snapshots() {
    let tmp = TempDir::new("hls-snap");
    for name in ["source", "h264_mp3", "audio_only", "video_only"] {
        let out = tmp.path().join(name);
        muxkit_convert(&testdata().join(format!("{name}.flv")), &out, &[]);
        insta::assert_snapshot!(
            format!("playlist_{name}"),
            String::from_utf8(std::fs::read(out.join("index.m3u8")).unwrap()).unwrap()
        );
    }
}

#[test]
fn refuses_a_non_empty_folder_unless_forced_and_names_an_unwritable_one() {
    let tmp = TempDir::new("hls-force");
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("other.txt"), b"x").unwrap();
    let src = testdata().join("audio_only.flv");
    let o = Command::new(muxkit_bin())
        .arg("convert")
        .arg(&src)
        .arg(&out)
        .output()
        .unwrap();
    // A usage mistake, as for an output file that exists.
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("the output folder holds files (-y"));
    muxkit_convert(&src, &out, &["--force"]);
    assert!(out.join("index.m3u8").exists());
    // A folder that cannot be created: the error names it.
    let blocked = tmp.path().join("file-not-dir");
    std::fs::write(&blocked, b"x").unwrap();
    let o = Command::new(muxkit_bin())
        .arg("convert")
        .arg(&src)
        .arg(blocked.join("out/"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("file-not-dir"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn m3u8_output_path_names_the_playlist() {
    let tmp = TempDir::new("hls-m3u8");
    let out = tmp.path().join("live/stream.m3u8");
    muxkit_convert(&testdata().join("audio_only.flv"), &out, &[]);
    assert!(out.exists());
    let dir = out.parent().unwrap();
    assert!(std::fs::read_dir(dir).unwrap().all(|e| {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        n == "stream.m3u8" || n.ends_with(".ts")
    }));
}

/// source.flv with every packet from 4 s on shifted 100 s later: a splice at a keyframe.
fn spliced_flv(path: &Path) {
    use muxkit::flv::{FlvMuxOptions, FlvMuxer};
    use muxkit::{Muxer, Packet, Timestamp};
    let mut d =
        muxkit::flv::FlvDemuxer::from_bytes(map_file(&testdata().join("source.flv")).unwrap())
            .unwrap();
    let (tracks, packets) = drain(&mut d);
    let mut m = FlvMuxer::new(
        std::fs::File::create(path).unwrap(),
        FlvMuxOptions::default(),
    );
    for t in &tracks {
        m.add_track(t).unwrap();
    }
    for p in packets {
        let shift = if p.dts.0 >= 4000 { 100_000 } else { 0 };
        m.write_packet(&Packet {
            dts: Timestamp(p.dts.0 + shift),
            pts: Timestamp(p.pts.0 + shift),
            ..p
        })
        .unwrap();
    }
    m.finish().unwrap();
}

#[test]
fn a_splice_gives_exactly_one_discontinuity_and_the_same_frames() {
    let tmp = TempDir::new("hls-splice");
    let src = tmp.path().join("spliced.flv");
    spliced_flv(&src);
    let out = tmp.path().join("out");
    muxkit_convert(&src, &out, &[]);
    let pl = check_folder("spliced", &out, true);
    let marks: Vec<usize> = pl
        .segments
        .iter()
        .enumerate()
        .filter(|(_, s)| s.discontinuity)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        marks,
        [1],
        "one discontinuity, on the segment after the splice"
    );
    // The segment before the splice runs from the first audio frame (0.057 s) to the end of its
    // own last frame (the B-frame shown at 4.04 s, + 40 ms), not to the jumped-to time.
    assert!(
        (f64::from(pl.segments[0].duration) - 4.023).abs() < 0.002,
        "{:?}",
        pl.segments[0].duration
    );
    let total: f64 = pl.segments.iter().map(|s| f64::from(s.duration)).sum();
    assert!((total - 10.03).abs() < 0.05, "total {total}");
    insta::assert_snapshot!(
        "playlist_spliced",
        String::from_utf8(std::fs::read(out.join("index.m3u8")).unwrap()).unwrap()
    );
    if have_ffmpeg("a_splice_gives_exactly_one_discontinuity_and_the_same_frames") {
        let index = out.join("index.m3u8");
        let complaints = ffprobe_complaints(&index);
        assert!(complaints.is_empty(), "ffprobe says:\n{complaints}");
        assert_eq!(
            frame_hashes(&index),
            frame_hashes(&testdata().join("source.flv"))
        );
    }
}

#[test]
fn repeated_identical_sequence_headers_cut_nothing() {
    // tests/flv_config_change.rs makes such a file: every keyframe preceded by the same header.
    use muxkit::flv::{FlvMuxOptions, FlvMuxer};
    use muxkit::{Muxer, Packet};
    use std::sync::Arc;
    let tmp = TempDir::new("hls-repeat");
    let mut d =
        muxkit::flv::FlvDemuxer::from_bytes(map_file(&testdata().join("video_only.flv")).unwrap())
            .unwrap();
    let (tracks, packets) = drain(&mut d);
    let src = tmp.path().join("repeat.flv");
    let mut m = FlvMuxer::new(
        std::fs::File::create(&src).unwrap(),
        FlvMuxOptions::default(),
    );
    m.add_track(&tracks[0]).unwrap();
    for p in packets {
        // Re-announcing the same config on every keyframe makes the muxer write nothing new
        // and the demuxer flag nothing.
        let p = if p.flags.keyframe {
            Packet {
                config: Some(Arc::new(tracks[0].codec.clone())),
                ..p
            }
        } else {
            p
        };
        m.write_packet(&p).unwrap();
    }
    m.finish().unwrap();
    let out = tmp.path().join("out");
    muxkit_convert(&src, &out, &["--hls-time", "2"]);
    let pl = read_media_playlist(&out.join("index.m3u8"));
    assert!(pl.segments.len() >= 2);
    assert!(pl.segments.iter().all(|s| !s.discontinuity));
}

fn inspect(playlist: &Path, json: bool) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(muxkit_bin());
    cmd.arg("inspect").arg(playlist);
    if json {
        cmd.arg("--json");
    }
    let o = cmd.output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn inspect_checks_a_playlist_against_rfc_8216() {
    let tmp = TempDir::new("hls-inspect");
    let out = tmp.path().join("out");
    muxkit_convert(&testdata().join("source.flv"), &out, &["--hls-time", "2"]);
    let index = out.join("index.m3u8");
    let (code, text, _) = inspect(&index, false);
    assert_eq!(code, Some(0), "{text}");
    insta::assert_snapshot!(
        "inspect_playlist_source_2s",
        text.replace(&index.display().to_string(), "INDEX")
    );
    let (_, json, _) = inspect(&index, true);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["clean"], true);
    assert_eq!(v["segments"].as_array().unwrap().len(), 5);

    // Break it, one way at a time.
    let original = std::fs::read_to_string(&index).unwrap();
    type Damage = Box<dyn Fn(&Path)>;
    let cases: [(&str, Damage, &str); 5] = [
        (
            "missing segment",
            Box::new(|d: &Path| std::fs::remove_file(d.join("segment_00002.ts")).unwrap()),
            "cannot read",
        ),
        (
            "short target",
            Box::new(|d: &Path| {
                let t = std::fs::read_to_string(d.join("index.m3u8"))
                    .unwrap()
                    .replace("TARGETDURATION:2", "TARGETDURATION:1");
                std::fs::write(d.join("index.m3u8"), t).unwrap();
            }),
            "rounds above TARGETDURATION",
        ),
        (
            "no endlist",
            Box::new(|d: &Path| {
                let t = std::fs::read_to_string(d.join("index.m3u8"))
                    .unwrap()
                    .replace("#EXT-X-ENDLIST\n", "");
                std::fs::write(d.join("index.m3u8"), t).unwrap();
            }),
            "EXT-X-ENDLIST",
        ),
        (
            "no pat first",
            Box::new(|d: &Path| {
                let p = d.join("segment_00001.ts");
                let data = std::fs::read(&p).unwrap();
                std::fs::write(&p, &data[188 * 2..]).unwrap();
            }),
            "does not start with a PAT",
        ),
        (
            "mid-gop start",
            Box::new(|d: &Path| {
                // Segment 1 with its keyframe PES removed: PAT and PMT stay, the first frame is not a keyframe.
                let p = d.join("segment_00001.ts");
                let data = std::fs::read(&p).unwrap();
                let mut ts = muxkit::ts::demux::TsDemuxer::new(
                    InputSource::from_bytes(data.clone().into()),
                    TsReadOptions::default(),
                )
                .unwrap();
                drain(&mut ts);
                let mut keep = Vec::new();
                let mut video_pes = 0;
                for chunk in data.chunks(188) {
                    let pkt = TsPacket::parse(chunk.try_into().unwrap()).unwrap();
                    if pkt.header.pid.value() == 0x100 && pkt.header.pusi {
                        video_pes += 1;
                    }
                    if pkt.header.pid.value() == 0x100 && video_pes == 1 {
                        continue;
                    }
                    keep.extend_from_slice(chunk);
                }
                std::fs::write(&p, keep).unwrap();
            }),
            "not a keyframe",
        ),
    ];
    for (what, damage, expected) in cases {
        std::fs::write(&index, &original).unwrap();
        muxkit_convert(
            &testdata().join("source.flv"),
            &out,
            &["--hls-time", "2", "--force"],
        );
        damage(&out);
        let (code, text, err) = inspect(&index, false);
        assert_eq!(code, Some(1), "{what}: {text}");
        assert!(text.contains(expected), "{what}: {text}");
        assert!(
            err.contains("breaks RFC 8216") || err.contains("not a valid"),
            "{what}: {err}"
        );
    }
}
