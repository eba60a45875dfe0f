#![allow(clippy::unwrap_used, clippy::expect_used)]

//! HLS with fragmented MP4 segments (`--hls-segment-type fmp4`): init.mp4 + .m4s, EXT-X-MAP,
//! version 7, for VOD, event and live; ffprobe reads the playlist without a warning and
//! decodes the source's frames, every segment decodes on its own after the init segment,
//! muxkit's lint passes it, and muxkit reads the segments back to the source's packets.

mod common;

use std::path::Path;
use std::process::Command;

use common::{
    TempDir, drain, ffprobe_complaints, frame_hashes, have_ffmpeg, muxkit_bin, read_media_playlist,
    testdata,
};
use muxkit::mp4::F4vDemuxer;

fn convert(src: &Path, out: &Path, extra: &[&str]) {
    let o = Command::new(muxkit_bin())
        .arg("convert")
        .arg(src)
        .arg(out)
        .args(["--hls-segment-type", "fmp4"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn vod_playlist_names_its_init_segment_and_decodes_to_the_sources_frames() {
    if !have_ffmpeg("vod_playlist_names_its_init_segment_and_decodes_to_the_sources_frames") {
        return;
    }
    let tmp = TempDir::new("hls-fmp4-vod");
    for name in [
        "source.flv",
        "source_bframes.ts",
        "audio_only.flv",
        "h264_mp3.flv",
    ] {
        let src = testdata().join(name);
        let dir = tmp.path().join(name.replace('.', "_"));
        convert(&src, &dir, &["--hls-time", "2"]);
        let text = std::fs::read_to_string(dir.join("index.m3u8")).unwrap();
        assert!(text.contains("#EXT-X-VERSION:7"), "{text}");
        assert_eq!(
            text.matches("#EXT-X-MAP:URI=\"init.mp4\"").count(),
            1,
            "{text}"
        );
        let pl = read_media_playlist(&dir.join("index.m3u8"));
        assert!(pl.segments.len() >= 2, "{name}");
        assert!(pl.segments.iter().all(|s| s.uri.ends_with(".m4s")));
        let playlist = dir.join("index.m3u8");
        assert_eq!(ffprobe_complaints(&playlist), "", "{name}");
        assert_eq!(frame_hashes(&playlist), frame_hashes(&src), "{name}");
        // Every segment decodes on its own after the init segment, starting at a keyframe.
        let init = std::fs::read(dir.join("init.mp4")).unwrap();
        for s in &pl.segments {
            let mut one = init.clone();
            one.extend_from_slice(&std::fs::read(dir.join(&s.uri)).unwrap());
            let mut d = F4vDemuxer::from_bytes(one.clone().into()).unwrap();
            let (tracks, packets) = drain(&mut d);
            let video = tracks
                .iter()
                .find(|t| t.kind == muxkit::media::MediaKind::Video);
            if let Some(v) = video {
                let first = packets.iter().find(|p| p.track == v.id).unwrap();
                assert!(first.flags.keyframe, "{name} {}", s.uri);
            }
            let joined = tmp.path().join(format!("{name}-{}.mp4", s.uri));
            std::fs::write(&joined, &one).unwrap();
            assert_eq!(ffprobe_complaints(&joined), "", "{name} {}", s.uri);
        }
        // muxkit's lint judges it by the RFC.
        let lint = Command::new(muxkit_bin())
            .arg("inspect")
            .arg(&playlist)
            .output()
            .unwrap();
        assert!(
            lint.status.success(),
            "{}",
            String::from_utf8_lossy(&lint.stdout)
        );
    }
}

#[test]
fn the_segments_read_back_to_the_sources_packets() {
    let tmp = TempDir::new("hls-fmp4-back");
    let src = testdata().join("source.flv");
    let dir = tmp.path().join("out");
    convert(&src, &dir, &["--hls-time", "2"]);
    let pl = read_media_playlist(&dir.join("index.m3u8"));
    let mut all = std::fs::read(dir.join("init.mp4")).unwrap();
    for s in &pl.segments {
        all.extend_from_slice(&std::fs::read(dir.join(&s.uri)).unwrap());
    }
    let mut d = F4vDemuxer::from_bytes(all.into()).unwrap();
    let (_, ours) = drain(&mut d);
    let mut f = muxkit::flv::FlvDemuxer::new(
        muxkit::io::InputSource::from_bytes(muxkit::io::map_file(&src).unwrap()),
        muxkit::flv::FlvReadOptions::default(),
    )
    .unwrap();
    let (_, theirs) = drain(&mut f);
    let key = |p: &muxkit::media::Packet| (p.track, p.dts.0, p.pts.0, p.data.clone());
    let mut a: Vec<_> = ours.iter().map(key).collect();
    let mut b: Vec<_> = theirs.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a.len(), b.len());
    assert!(a == b, "packets differ");
}

#[test]
fn live_and_event_playlists_keep_the_map_and_the_init_segment() {
    let tmp = TempDir::new("hls-fmp4-live");
    let src = testdata().join("source.flv");
    for (kind, extra) in [("live", vec!["--hls-list-size", "2"]), ("event", vec![])] {
        let dir = tmp.path().join(kind);
        let mut args = vec!["--hls-time", "2", "--hls-playlist-type", kind];
        args.extend(extra);
        convert(&src, &dir, &args);
        let text = std::fs::read_to_string(dir.join("index.m3u8")).unwrap();
        assert!(
            text.contains("#EXT-X-MAP:URI=\"init.mp4\""),
            "{kind}: {text}"
        );
        assert!(text.contains("#EXT-X-ENDLIST"));
        assert!(dir.join("init.mp4").exists());
        let pl = read_media_playlist(&dir.join("index.m3u8"));
        if kind == "live" {
            assert_eq!(pl.segments.len(), 2);
            assert!(pl.media_sequence >= 3);
        }
    }
}

#[test]
fn single_file_playlists_list_byte_ranges_that_tile_the_file() {
    if !have_ffmpeg("single_file_playlists_list_byte_ranges_that_tile_the_file") {
        return;
    }
    let tmp = TempDir::new("hls-single");
    let src = testdata().join("source.flv");
    for (kind, file, version) in [("mpegts", "index.ts", 4), ("fmp4", "index.mp4", 7)] {
        let dir = tmp.path().join(kind);
        let o = Command::new(muxkit_bin())
            .arg("convert")
            .arg(&src)
            .arg(&dir)
            .args([
                "--hls-single-file",
                "--hls-time",
                "2",
                "--hls-segment-type",
                kind,
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["index.m3u8", file], "{kind}");
        let playlist = dir.join("index.m3u8");
        let text = std::fs::read_to_string(&playlist).unwrap();
        assert!(
            text.contains(&format!("#EXT-X-VERSION:{version}")),
            "{text}"
        );
        let pl = read_media_playlist(&playlist);
        // The ranges (after the init section, for fMP4) tile the file exactly.
        let mut at = match &pl.segments[0].map {
            Some(m) => {
                let r = m.byte_range.as_ref().unwrap();
                assert_eq!((m.uri.as_str(), r.offset), (file, Some(0)));
                r.length
            }
            None => 0,
        };
        for s in &pl.segments {
            assert_eq!(s.uri, file);
            let r = s.byte_range.as_ref().unwrap();
            assert_eq!(r.offset, Some(at), "{kind}");
            at += r.length;
        }
        assert_eq!(at, std::fs::metadata(dir.join(file)).unwrap().len());
        assert_eq!(ffprobe_complaints(&playlist), "", "{kind}");
        assert_eq!(frame_hashes(&playlist), frame_hashes(&src), "{kind}");
        // The one file plays by itself too.
        assert_eq!(frame_hashes(&dir.join(file)), frame_hashes(&src), "{kind}");
        let lint = Command::new(muxkit_bin())
            .arg("inspect")
            .arg(&playlist)
            .output()
            .unwrap();
        assert!(
            lint.status.success(),
            "{}",
            String::from_utf8_lossy(&lint.stdout)
        );
    }
    // A growing playlist cannot point into a file that is not complete.
    let o = Command::new(muxkit_bin())
        .arg("convert")
        .arg(&src)
        .arg(tmp.path().join("live"))
        .args(["--hls-single-file", "--hls-playlist-type", "live"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn batch_to_hls_fmp4_writes_cmaf_folders() {
    if !have_ffmpeg("batch_to_hls_fmp4_writes_cmaf_folders") {
        return;
    }
    let tmp = TempDir::new("hls-fmp4-batch");
    let input = tmp.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    for n in ["source.flv", "mp4_av1_opus.mp4"] {
        std::fs::copy(testdata().join(n), input.join(n)).unwrap();
    }
    let out = tmp.path().join("out");
    let o = Command::new(muxkit_bin())
        .arg("batch")
        .arg(&input)
        .arg(&out)
        .args(["--to", "hls-fmp4"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (stem, src) in [
        ("source", "source.flv"),
        ("mp4_av1_opus", "mp4_av1_opus.mp4"),
    ] {
        let dir = out.join(stem);
        assert!(dir.join("init.mp4").is_file(), "{stem}");
        let pl = read_media_playlist(&dir.join("index.m3u8"));
        assert!(pl.segments.iter().all(|s| s.uri.ends_with(".m4s")));
        assert_eq!(ffprobe_complaints(&dir.join("index.m3u8")), "", "{stem}");
        assert_eq!(
            frame_hashes(&dir.join("index.m3u8")),
            frame_hashes(&testdata().join(src)),
            "{stem}"
        );
    }
    // TS HLS of AV1 picks fMP4 by itself, and the report says so.
    let out2 = tmp.path().join("out2");
    let o = Command::new(muxkit_bin())
        .arg("batch")
        .arg(&input)
        .arg(&out2)
        .args(["--to", "hls", "--report"])
        .arg(tmp.path().join("report.jsonl"))
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(out2.join("mp4_av1_opus/init.mp4").is_file());
    let report = std::fs::read_to_string(tmp.path().join("report.jsonl")).unwrap();
    assert!(
        report.contains("note: hls: ts segments cannot carry av1"),
        "{report}"
    );
}

#[test]
fn hevc_goes_into_fmp4_as_hvc1_with_its_parameter_sets_in_hvcc() {
    if !have_ffmpeg("hevc_goes_into_fmp4_as_hvc1_with_its_parameter_sets_in_hvcc") {
        return;
    }
    let tmp = TempDir::new("hls-fmp4-hevc");
    let dir = tmp.path().join("hevc");
    convert(&testdata().join("hevc_enhanced.flv"), &dir, &[]);
    let init = std::fs::read(dir.join("init.mp4")).unwrap();
    // Apple's rule: hvc1 (parameter sets only in the sample entry), never hev1.
    assert!(init.windows(4).any(|w| w == b"hvc1") && init.windows(4).any(|w| w == b"hvcC"));
    assert!(!init.windows(4).any(|w| w == b"hev1"));
    let playlist = dir.join("index.m3u8");
    assert_eq!(ffprobe_complaints(&playlist), "");
    // The video decodes to the frames of the HEVC stream the fixture was made from.
    let video = |file: &Path, map: &[&str]| -> Vec<String> {
        let out = Command::new("ffmpeg")
            .args(["-nostdin", "-v", "error", "-i"])
            .arg(file)
            .args(map)
            .args(["-f", "framemd5", "-"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.rsplit(',').next().unwrap().trim().to_owned())
            .collect()
    };
    let got = video(&playlist, &["-map", "0:v"]);
    assert!(!got.is_empty());
    assert_eq!(got, video(&testdata().join("hevc.h265"), &[]));
}

#[test]
fn a_single_file_of_one_segment_starts_with_its_init() {
    if !have_ffmpeg("a_single_file_of_one_segment_starts_with_its_init") {
        return;
    }
    let tmp = TempDir::new("hls-single-one");
    let dir = tmp.path().join("one");
    convert(
        &testdata().join("mp4_av1_opus.mp4"),
        &dir,
        &["--hls-single-file"],
    );
    let file = std::fs::read(dir.join("index.mp4")).unwrap();
    assert_eq!(&file[4..8], b"ftyp");
    let pl = read_media_playlist(&dir.join("index.m3u8"));
    assert_eq!(pl.segments.len(), 1);
    let init = pl.segments[0]
        .map
        .as_ref()
        .unwrap()
        .byte_range
        .as_ref()
        .unwrap();
    let seg = pl.segments[0].byte_range.as_ref().unwrap();
    assert_eq!(init.offset, Some(0));
    assert_eq!(seg.offset, Some(init.length));
    assert_eq!(init.length + seg.length, file.len() as u64);
    assert_eq!(ffprobe_complaints(&dir.join("index.m3u8")), "");
}

#[test]
fn a_playlist_read_back_keeps_its_map_on_every_segment() {
    let tmp = TempDir::new("hls-resume-map");
    let dir = tmp.path();
    std::fs::write(
        dir.join("index.m3u8"),
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2,\nsegment_00000.m4s\n#EXTINF:2,\nsegment_00001.m4s\n",
    )
    .unwrap();
    std::fs::write(dir.join("init.mp4"), b"init").unwrap();
    let r = muxkit::hls::HlsResume::from_folder(dir, "index.m3u8", "segment_%05d.m4s").unwrap();
    assert!(r.uses_fmp4(), "the map applies to the last segment too");
}

#[test]
fn a_codec_change_at_a_cut_starts_a_new_init_segment() {
    if !have_ffmpeg("a_codec_change_at_a_cut_starts_a_new_init_segment") {
        return;
    }
    use muxkit::flv::{FlvDemuxer, FlvMuxOptions, FlvMuxer};
    use muxkit::{MediaKind, Muxer};
    // video_only.flv's video, then h264_mp3.flv's (another SPS: a config change).
    let video = |name: &str| {
        let mut d =
            FlvDemuxer::from_bytes(muxkit::io::map_file(&testdata().join(name)).unwrap()).unwrap();
        let (tracks, packets) = drain(&mut d);
        let t = tracks
            .into_iter()
            .find(|t| t.kind == MediaKind::Video)
            .unwrap();
        let ps: Vec<_> = packets.into_iter().filter(|p| p.track == t.id).collect();
        (t, ps)
    };
    let (mut first, a) = video("video_only.flv");
    let (second, b) = video("h264_mp3.flv");
    first.id = 0;
    let offset = a.last().unwrap().dts.0 + 40;
    let mut packets: Vec<_> = a
        .into_iter()
        .map(|p| muxkit::Packet { track: 0, ..p })
        .collect();
    for (i, p) in b.into_iter().enumerate() {
        let mut p = muxkit::Packet {
            track: 0,
            dts: p.dts + offset,
            pts: p.pts + offset,
            ..p
        };
        if i == 0 {
            p.flags.config_changed = true;
            p.config = Some(std::sync::Arc::new(second.codec.clone()));
        }
        packets.push(p);
    }
    let mut m = FlvMuxer::new(std::io::Cursor::new(Vec::new()), FlvMuxOptions::default());
    m.add_track(&first).unwrap();
    for p in &packets {
        m.write_packet(p).unwrap();
    }
    m.finish().unwrap();
    let tmp = TempDir::new("hls-fmp4-splice");
    let spliced = tmp.path().join("spliced.flv");
    std::fs::write(&spliced, m.into_inner().unwrap().into_inner()).unwrap();
    let dir = tmp.path().join("out");
    convert(&spliced, &dir, &["--hls-time", "2"]);
    let pl = read_media_playlist(&dir.join("index.m3u8"));
    let maps: Vec<(usize, String)> = pl
        .segments
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.map.as_ref().map(|m| (i, m.uri.clone())))
        .collect();
    assert_eq!(maps.len(), 2, "{maps:?}");
    let (at, ref second_init) = maps[1];
    assert!(pl.segments[at].discontinuity);
    // Each part, joined to its own init, decodes to its source's frames.
    for (range, init, src) in [
        (0..at, maps[0].1.clone(), "video_only.flv"),
        (at..pl.segments.len(), second_init.clone(), "h264_mp3.flv"),
    ] {
        let mut all = std::fs::read(dir.join(&init)).unwrap();
        for s in &pl.segments[range] {
            all.extend_from_slice(&std::fs::read(dir.join(&s.uri)).unwrap());
        }
        let part = tmp.path().join(format!("{src}.mp4"));
        std::fs::write(&part, all).unwrap();
        assert_eq!(ffprobe_complaints(&part), "", "{src}");
        let want: Vec<String> = frame_hashes(&testdata().join(src))
            .into_iter()
            .filter(|l| l.starts_with("0 "))
            .collect();
        assert_eq!(frame_hashes(&part), want, "{src}");
    }
    // One file holds one init section: there the change is refused, not written wrong.
    let o = Command::new(muxkit_bin())
        .arg("convert")
        .arg(&spliced)
        .arg(tmp.path().join("single"))
        .args(["--hls-segment-type", "fmp4", "--hls-single-file"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("codec configuration changes"));
}

#[test]
fn a_jump_back_in_time_is_a_discontinuity_with_decode_times_running_on() {
    if !have_ffmpeg("a_jump_back_in_time_is_a_discontinuity_with_decode_times_running_on") {
        return;
    }
    // The same recording twice, its times starting over halfway (an encoder restart).
    use muxkit::Muxer;
    use muxkit::flv::{FlvDemuxer, FlvMuxOptions, FlvMuxer};
    let tmp = TempDir::new("hls-fmp4-jump");
    let src = testdata().join("video_only.flv");
    let mut d = FlvDemuxer::from_bytes(muxkit::io::map_file(&src).unwrap()).unwrap();
    let (tracks, packets) = drain(&mut d);
    let mut m = FlvMuxer::new(std::io::Cursor::new(Vec::new()), FlvMuxOptions::default());
    for t in &tracks {
        m.add_track(t).unwrap();
    }
    for p in packets.iter().chain(&packets) {
        m.write_packet(p).unwrap();
    }
    m.finish().unwrap();
    let twice = tmp.path().join("twice.flv");
    std::fs::write(&twice, m.into_inner().unwrap().into_inner()).unwrap();
    let dir = tmp.path().join("out");
    convert(&twice, &dir, &["--hls-time", "2"]);
    let pl = read_media_playlist(&dir.join("index.m3u8"));
    assert_eq!(pl.segments.iter().filter(|s| s.discontinuity).count(), 1);
    // Every segment's decode times come after the one before (tfdt never goes back).
    let mut all = std::fs::read(dir.join("init.mp4")).unwrap();
    for s in &pl.segments {
        all.extend_from_slice(&std::fs::read(dir.join(&s.uri)).unwrap());
    }
    let mut d = F4vDemuxer::from_bytes(all.into()).unwrap();
    let (tracks, packets) = drain(&mut d);
    for t in &tracks {
        let dts: Vec<i64> = packets
            .iter()
            .filter(|p| p.track == t.id)
            .map(|p| p.dts.0)
            .collect();
        assert!(dts.windows(2).all(|w| w[0] < w[1]), "track {}", t.id);
    }
    // And it decodes to the source's frames, twice.
    let abs = std::path::absolute(dir.join("index.m3u8")).unwrap();
    let mut want = common::decoded_content(Path::new("ffmpeg"), &src);
    want.extend(want.clone());
    want.sort();
    assert_eq!(common::decoded_content(Path::new("ffmpeg"), &abs), want);
}
