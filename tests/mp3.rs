#![allow(clippy::unwrap_used, clippy::expect_used)]
//! MP3 (and MP2) files: read like ffprobe reads them, inspected (snapshots), converted to HLS,
//! FLV and back without losing a frame; audio pulled out of FLV as .mp3 and .aac; hostile input.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use muxkit::id3::Id3v2Tag;
use muxkit::inspect::mp3::Mp3Summary;
use muxkit::io::{InputSource, map_file};
use muxkit::mp3::{Mp3Demuxer, Mp3ReadOptions};
use muxkit::ts::demux::{TsDemuxer, TsReadOptions};
use muxkit::{Codec, Demuxer};

fn mp3_fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mp3" || e == "mp2"))
        .collect();
    v.sort();
    assert!(v.len() >= 5, "{v:?}");
    v
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().replace('.', "_")
}

/// Decoded audio frames (size, hash), in order. `skip_manual` keeps the decoder from trimming
/// the encoder delay and padding a LAME tag announces: TS and FLV have no place for that tag,
/// so a remuxed file decodes to every frame (as with ffmpeg's own remux), and comparing the
/// source untrimmed compares the same frames.
fn audio_hashes(file: &Path) -> Vec<String> {
    // ffmpeg's HLS reader calls a Layer II stream "mp3" and decodes it with another decoder
    // (float samples, not 16-bit): force the float MPEG audio decoder for MP2 on both sides.
    let mp2 =
        file.extension().is_some_and(|e| e == "mp2") || file.to_string_lossy().contains("mp2");
    let decoder: &[&str] = if mp2 { &["-c:a", "mp2float"] } else { &[] };
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-flags2", "skip_manual"])
        .args(decoder)
        .arg("-i")
        .arg(file)
        .args(["-map", "0:a", "-f", "framemd5", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            format!("{} {}", f[4], f[5])
        })
        .collect()
}

/// ffprobe's complaints, without the one it prints for every timed ID3 stream whoever wrote
/// it (it has no decoder for data streams; see tests/ts_roundtrip.rs).
fn complaints(file: &Path) -> String {
    ffprobe_complaints(file)
        .lines()
        .filter(|l| !l.starts_with("Unsupported codec with id 98313"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The same for a raw MP2 file, which no reader expects an Info frame in, so ffprobe always
/// estimates its duration from the bitrate and says so (for ffmpeg's own MP2 files too).
fn mp2_complaints(file: &Path) -> String {
    complaints(file)
        .lines()
        .filter(|l| !l.contains("Estimating duration from bitrate"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ffprobe_audio(file: &Path) -> (u64, u32, u8) {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "a:0",
            "-count_packets",
            "-show_entries",
            "stream=nb_read_packets,sample_rate,channels",
            "-of",
            "csv=p=0",
        ])
        .arg(file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<&str> = text.trim().split(',').collect();
    (
        f[2].parse().unwrap(),
        f[0].parse().unwrap(),
        f[1].parse().unwrap(),
    )
}

fn demux(path: &Path) -> (Mp3Demuxer, Vec<muxkit::Packet>) {
    let mut d = Mp3Demuxer::from_bytes(map_file(path).unwrap()).unwrap();
    let (_, packets) = drain(&mut d);
    (d, packets)
}

#[test]
fn fixtures_read_like_ffprobe_reads_them() {
    if !have_ffmpeg("fixtures_read_like_ffprobe_reads_them") {
        return;
    }
    for path in mp3_fixtures() {
        let n = name(&path);
        let (d, packets) = demux(&path);
        let audio: Vec<_> = packets.iter().filter(|p| p.track == 0).collect();
        let (frames, rate, channels) = ffprobe_audio(&path);
        assert_eq!(audio.len() as u64, frames, "{n}: frame count");
        let a = d.tracks()[0].codec.audio.unwrap();
        assert_eq!((a.sample_rate, a.channels), (rate, channels), "{n}");
        // Timestamps count samples in 1/sample_rate, each frame lasting its samples.
        let mut t = 0;
        for p in &audio {
            assert_eq!((p.dts.0, p.pts.0), (t, t), "{n}");
            t += p.duration.unwrap();
        }
        assert!(
            d.report().warnings.is_empty(),
            "{n}: {:?}",
            d.report().warnings
        );
    }
    // What each fixture carries.
    let (d, _) = demux(&testdata().join("song_v23_cover.mp3"));
    let tag = d.id3v2().unwrap();
    assert_eq!(
        (tag.version.major, tag.text("TIT2")),
        (3, Some("Test Song"))
    );
    assert_eq!(tag.pictures().next().unwrap().mime, "image/png");
    assert_eq!(d.report().xing.as_ref().unwrap().kind, "Info");
    assert!(!d.report().is_vbr());
    let (d, _) = demux(&testdata().join("song_v24_vbr.mp3"));
    assert_eq!(d.id3v2().unwrap().text("TIT2"), Some("Über Straße"));
    assert!(d.report().is_vbr());
    let (d, _) = demux(&testdata().join("song_v1.mp3"));
    assert!(d.id3v2().is_none());
    assert_eq!(d.id3v1().unwrap().track, Some(5));
    let (d, _) = demux(&testdata().join("song.mp2"));
    assert_eq!(d.tracks()[0].codec.codec, Codec::Mp2);
}

#[test]
fn inspect_snapshots() {
    for path in mp3_fixtures() {
        let s = Mp3Summary::read(
            InputSource::from_bytes(map_file(&path).unwrap()),
            Mp3ReadOptions::default(),
        )
        .unwrap();
        insta::assert_snapshot!(format!("inspect_text_{}", name(&path)), s.to_text());
        let json = serde_json::to_string_pretty(&s.to_json()).unwrap();
        insta::assert_snapshot!(format!("inspect_json_{}", name(&path)), json);
    }
}

#[test]
fn cover_art_is_extracted_byte_for_byte() {
    if !have_ffmpeg("cover_art_is_extracted_byte_for_byte") {
        return;
    }
    let tmp = TempDir::new("mp3-cover");
    let src = testdata().join("song_v23_cover.mp3");
    let ours = tmp.path().join("cover.png");
    let o = Command::new(muxkit_bin())
        .args(["inspect", "--json", "--extract-cover"])
        .arg(&ours)
        .arg(&src)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["cover"]["mime"], "image/png");
    let theirs = tmp.path().join("ffmpeg.png");
    let st = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&src)
        .args(["-map", "0:v", "-c", "copy", "-f", "image2"])
        .arg(&theirs)
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(
        std::fs::read(&ours).unwrap(),
        std::fs::read(&theirs).unwrap()
    );
    assert_eq!(v["cover"]["size"], std::fs::read(&ours).unwrap().len());
    // No picture: a clear error.
    let o = Command::new(muxkit_bin())
        .args(["inspect", "--extract-cover"])
        .arg(tmp.path().join("none.png"))
        .arg(testdata().join("song_v1.mp3"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no picture"));
}

#[test]
fn mp3_to_hls_flv_and_back_keeps_every_frame_and_the_tag() {
    if !have_ffmpeg("mp3_to_hls_flv_and_back_keeps_every_frame_and_the_tag") {
        return;
    }
    let tmp = TempDir::new("mp3-convert");
    for path in mp3_fixtures() {
        let n = name(&path);
        let source_hashes = audio_hashes(&path);
        let (src, src_packets) = demux(&path);
        // HLS: audio-only TS segments, MPEG audio stream type, the tag as timed ID3.
        let hls = tmp.path().join(format!("{n}_hls"));
        muxkit_convert(&path, &hls, &[]);
        let index = hls.join("index.m3u8");
        let c = complaints(&index);
        assert!(c.is_empty(), "{n}: ffprobe says:\n{c}");
        assert_eq!(audio_hashes(&index), source_hashes, "{n}: hls frames");
        let first = std::fs::read(hls.join("segment_00000.ts")).unwrap();
        let mut ts = TsDemuxer::new(
            InputSource::from_bytes(first.into()),
            TsReadOptions::default(),
        )
        .unwrap();
        let (tracks, packets) = drain(&mut ts);
        let pmt = ts.pmt().unwrap();
        let st = pmt.streams[0].stream_type.0;
        let rate = src.tracks()[0].codec.audio.unwrap().sample_rate;
        assert_eq!(st, if rate < 32_000 { 0x04 } else { 0x03 }, "{n}");
        if let Some(tag) = src.id3v2() {
            assert_eq!(pmt.streams[1].stream_type.0, 0x15, "{n}");
            let id3 = packets
                .iter()
                .find(|p| tracks[p.track as usize].codec.codec == Codec::TimedId3)
                .expect("a timed id3 packet in the first segment");
            let carried = Id3v2Tag::parse(&id3.data).unwrap();
            assert_eq!(carried.text("TIT2"), tag.text("TIT2"), "{n}");
            assert_eq!(carried.frames.len(), tag.frames.len(), "{n}");
        }
        if src.tracks()[0].codec.codec == Codec::Mp2 {
            // FLV has no MP2 (SoundFormat 2 is MP3 only; see mp2_cannot_go_into_flv).
            let direct = tmp.path().join(format!("{n}_direct.mp2"));
            muxkit_convert(&path, &direct, &[]);
            assert_eq!(audio_hashes(&direct), source_hashes, "{n}");
            let c = mp2_complaints(&direct);
            assert!(c.is_empty(), "{n}: ffprobe says:\n{c}");
            continue;
        }
        // FLV and back to MP3: the same frames, byte for byte.
        let flv = tmp.path().join(format!("{n}.flv"));
        muxkit_convert(&path, &flv, &[]);
        let c = complaints(&flv);
        assert!(c.is_empty(), "{n}: ffprobe says:\n{c}");
        let back = tmp.path().join(format!("{n}_back.mp3"));
        muxkit_convert(&flv, &back, &[]);
        assert_eq!(
            audio_hashes(&back),
            source_hashes,
            "{n}: mp3 -> flv -> mp3 frames"
        );
        let (_, back_packets) = demux(&back);
        let audio = |v: &[muxkit::Packet]| {
            v.iter()
                .filter(|p| p.track == 0)
                .map(|p| (p.dts.0, p.data.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(audio(&back_packets), audio(&src_packets), "{n}: packets");
        // MP3 -> MP3 keeps the ID3v2 tag at the front.
        let direct = tmp.path().join(format!("{n}_direct.mp3"));
        muxkit_convert(&path, &direct, &[]);
        let (d, direct_packets) = demux(&direct);
        assert_eq!(audio(&direct_packets), audio(&src_packets), "{n}");
        assert_eq!(
            d.id3v2().and_then(|t| t.text("TIT2")),
            src.id3v2().and_then(|t| t.text("TIT2")),
            "{n}"
        );
        let c = complaints(&direct);
        assert!(c.is_empty(), "{n}: ffprobe says:\n{c}");
        // The Info frame carries the LAME delay and padding on: a gapless player (ffmpeg's
        // default decode) trims exactly what it trims from the source.
        assert_eq!(
            gapless_hashes(&direct),
            gapless_hashes(&path),
            "{n}: gapless decode"
        );
        // Every MP3 written gets an Info/Xing frame with the frame count; delay and padding
        // travel when the source stated them.
        let info = d.report().xing.as_ref().expect("an info frame");
        let frames = src_packets.iter().filter(|p| p.track == 0).count() as u32;
        assert_eq!(info.frames, Some(frames), "{n}");
        let delays = |x: Option<&muxkit::mp3::XingInfo>| {
            x.map(|x| (x.encoder_delay, x.encoder_padding))
                .unwrap_or((None, None))
        };
        assert_eq!(
            delays(Some(info)),
            delays(src.report().xing.as_ref()),
            "{n}"
        );
    }
}

/// Decoded audio as a gapless player hears it: ffmpeg's default, trimming the LAME delay.
fn gapless_hashes(file: &Path) -> Vec<String> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(file)
        .args(["-map", "0:a", "-f", "framemd5", "-"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split(',').skip(4).collect::<Vec<_>>().join(","))
        .collect()
}

#[test]
fn mp2_cannot_go_into_flv() {
    let tmp = TempDir::new("mp2-flv");
    let o = Command::new(muxkit_bin())
        .arg("convert")
        .arg(testdata().join("song.mp2"))
        .arg(tmp.path().join("x.flv"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("mp2"), "{e}");
    assert!(!tmp.path().join("x.flv").exists());
}

#[test]
fn audio_comes_out_of_flv_as_mp3_and_aac() {
    if !have_ffmpeg("audio_comes_out_of_flv_as_mp3_and_aac") {
        return;
    }
    let tmp = TempDir::new("flv-audio");
    // MP3 out of an H.264 + MP3 FLV.
    let src = testdata().join("h264_mp3.flv");
    let mp3 = tmp.path().join("a.mp3");
    muxkit_convert(&src, &mp3, &[]);
    let c = complaints(&mp3);
    assert!(c.is_empty(), "ffprobe says:\n{c}");
    let flv_audio: Vec<String> = audio_hashes(&src);
    assert_eq!(audio_hashes(&mp3), flv_audio);
    // AAC (ADTS) out of source.flv and out of a TS.
    for src in [
        testdata().join("source.flv"),
        testdata().join("source_bframes.ts"),
    ] {
        let aac = tmp.path().join("a.aac");
        muxkit_convert(&src, &aac, &[]);
        // Raw ADTS states no duration: ffprobe estimates it and says so for any .aac (ffmpeg's
        // own `-c:a copy out.aac` too); anything else is a complaint.
        let c = complaints(&aac)
            .lines()
            .filter(|l| !l.contains("Estimating duration from bitrate"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(c.is_empty(), "ffprobe says:\n{c}");
        assert_eq!(audio_hashes(&aac), audio_hashes(&src), "{}", src.display());
    }
    // A video-only input has nothing to write: a clear error.
    let o = Command::new(muxkit_bin())
        .arg("convert")
        .arg(testdata().join("video_only.flv"))
        .arg(tmp.path().join("none.mp3"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("nothing to convert")
            && e.contains("none.mp3 holds audio only, and the input has no audio track")
            && e.contains("(it has 0 (video h264))"),
        "{e}"
    );
}

/// A CBR MP3 (starting with a frame, no tags) with every bitrate index set to 0: the same
/// bytes as a free-format stream of that frame size.
fn free_format(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    let mut pos = 0;
    while pos + 4 <= out.len() {
        let h = muxkit::codec::mpa::MpegAudioHeader::parse(&out[pos..]).unwrap();
        let len = h.frame_len().unwrap();
        out[pos + 2] &= 0x0F;
        pos += len;
    }
    out
}

#[test]
fn hostile_and_odd_mp3_input() {
    let clean = std::fs::read(testdata().join("song_mpeg25.mp3")).unwrap();
    let (_, clean_packets) = demux(&testdata().join("song_mpeg25.mp3"));
    let frames = |data: Vec<u8>| {
        let mut d = Mp3Demuxer::from_bytes(data.into()).unwrap();
        let (_, p) = drain(&mut d);
        (d.report().clone(), p)
    };
    let same = |p: &[muxkit::Packet]| {
        assert_eq!(p.len(), clean_packets.len());
        assert!(
            p.iter()
                .zip(&clean_packets)
                .all(|(a, b)| a.data == b.data && a.dts == b.dts)
        );
    };
    // Junk before the first frame, with false syncs in it.
    let mut junk = vec![0xFF, 0xFB, 0x90, 0x00, 0x12, 0xFF, 0xE3, 0x00, 0xFF];
    junk.extend(std::iter::repeat_n(0x55, 300));
    let (r, p) = frames([junk.clone(), clean.clone()].concat());
    same(&p);
    assert_eq!(r.skipped_bytes, junk.len() as u64);
    assert!(
        r.warnings[0].message.contains("before the first frame"),
        "{:?}",
        r.warnings
    );
    // Junk in the middle: skipped, sync regained, every frame kept.
    let mid = 144 * 10;
    let (r, p) = frames([&clean[..mid], &junk[..], &clean[mid..]].concat());
    same(&p);
    assert_eq!(r.resyncs, 1);
    assert_eq!(r.warnings[0].offset, mid as u64);
    // A truncated last frame: dropped with a warning; strict mode makes it an error.
    let cut = clean[..clean.len() - 50].to_vec();
    let (r, p) = frames(cut.clone());
    assert_eq!(p.len(), clean_packets.len() - 1);
    assert!(r.truncated_last_frame);
    let mut d = Mp3Demuxer::new(
        InputSource::from_bytes(cut.into()),
        Mp3ReadOptions { strict: true },
    )
    .unwrap();
    let e = std::iter::from_fn(|| d.next_packet().transpose())
        .find_map(Result::err)
        .unwrap();
    assert!(e.to_string().contains("truncated"), "{e}");
    // Free format: frame lengths measured from the stream itself.
    let free = free_format(&clean);
    let (r, p) = frames(free.clone());
    assert!(r.free_format);
    assert_eq!(p.len(), clean_packets.len());
    assert!(
        p.iter()
            .zip(&clean_packets)
            .all(|(a, b)| a.data.len() == b.data.len())
    );
    // (ffmpeg 5.1 decodes no free-format MP3, so the frames are checked by size only.)
    // A tag larger than the file, an empty file, random bytes, a tag and nothing else.
    let mut big = b"ID3\x04\x00\x00\x00\x7f\x7f\x7f".to_vec();
    big.extend(&clean);
    let e = Mp3Demuxer::from_bytes(big.into()).unwrap_err().to_string();
    assert!(e.contains("larger than"), "{e}");
    assert!(Mp3Demuxer::from_bytes(bytes::Bytes::new()).is_err());
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let random: Vec<u8> = (0..20_000)
        .map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng >> 32) as u8
        })
        .collect();
    let e = Mp3Demuxer::from_bytes(random.clone().into());
    assert!(e.is_err() || e.is_ok_and(|mut d| drain(&mut d).1.len() < 3));
    let only_tag = Id3v2Tag::default().to_bytes();
    assert!(Mp3Demuxer::from_bytes(only_tag.into()).is_err());
    // Every prefix and many corruptions: no panic.
    let tagged = std::fs::read(testdata().join("song_v23_cover.mp3")).unwrap();
    for n in (0..tagged.len()).step_by(97) {
        if let Ok(mut d) = Mp3Demuxer::from_bytes(bytes::Bytes::copy_from_slice(&tagged[..n])) {
            while let Ok(Some(_)) = d.next_packet() {}
        }
    }
    for k in 0..300 {
        let mut d = tagged.clone();
        for j in 0..4 {
            let i = (k * 7919 + j * 104_729) % d.len();
            d[i] = random[(k * 4 + j) % random.len()];
        }
        if let Ok(mut m) = Mp3Demuxer::from_bytes(d.into()) {
            while let Ok(Some(_)) = m.next_packet() {}
        }
    }
}
