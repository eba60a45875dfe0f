#![allow(clippy::unwrap_used, clippy::expect_used)]
//! F4V/MP4: ffmpeg's files read, muxkit's files judged by ffprobe and frame hashes, round trips
//! with identical packets, box-tree snapshots, and hostile files.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use muxkit::inspect::mp4::Mp4Summary;
use muxkit::io::{InputSource, map_file};
use muxkit::mp4::F4vDemuxer;
use muxkit::{Codec, Demuxer};

fn ffmpeg_made() -> Vec<PathBuf> {
    ["source_moov_end.mp4", "source_faststart.mp4", "source.f4v"]
        .iter()
        .map(|n| testdata().join(n))
        .collect()
}

/// FLV inputs whose codecs MP4 carries.
fn mp4_capable_flvs() -> Vec<PathBuf> {
    ffmpeg_readable_flvs()
        .into_iter()
        .filter(|p| !p.ends_with("hostile_base.flv"))
        .filter(|p| {
            let mut d = muxkit::flv::FlvDemuxer::from_bytes(map_file(p).unwrap()).unwrap();
            let ok = d
                .tracks()
                .iter()
                .filter(|t| t.kind != muxkit::MediaKind::Data)
                .all(|t| {
                    matches!(
                        t.codec.codec,
                        Codec::H264 | Codec::Hevc | Codec::Aac | Codec::Mp3
                    )
                });
            ok && drain(&mut d).1.len() > 1
        })
        .collect()
}

fn media_packets(path: &Path) -> Vec<(muxkit::MediaKind, i64, i64, bool, bytes::Bytes)> {
    let probed = muxkit::probe::probe(muxkit::probe::InputPath::File(path)).unwrap();
    let mut d = muxkit::probe::open_demuxer(probed, Default::default()).unwrap();
    let (tracks, packets) = drain(&mut *d);
    let mut v: Vec<_> = packets
        .into_iter()
        .filter(|p| tracks[p.track as usize].kind != muxkit::MediaKind::Data)
        .map(|p| {
            let tb = tracks[p.track as usize].time_base;
            let ms = |t: i64| tb.rescale(t, muxkit::TimeBase::MILLIS);
            (
                tracks[p.track as usize].kind,
                ms(p.dts.0),
                ms(p.pts.0),
                p.flags.keyframe,
                p.data,
            )
        })
        .collect();
    // Per track in decode order (interleaving is the container's business).
    v.sort_by_key(|p| (p.0 as u8, p.1));
    v
}

#[test]
fn ffmpegs_mp4_and_f4v_files_decode_to_the_source_frames_through_flv() {
    if !have_ffmpeg("ffmpegs_mp4_and_f4v_files_decode_to_the_source_frames_through_flv") {
        return;
    }
    let tmp = TempDir::new("f4v-ffmpeg");
    let want = frame_hashes(&testdata().join("source.flv"));
    for (k, src) in ffmpeg_made().into_iter().enumerate() {
        let name = src.file_name().unwrap().to_string_lossy().into_owned();
        let flv = tmp.path().join(format!("{name}.flv"));
        muxkit_convert(&src, &flv, &[]);
        let c = ffprobe_complaints(&flv);
        assert!(c.is_empty(), "{name}: {c}");
        assert_eq!(frame_hashes(&flv), want, "{name}");
        // And to TS and HLS.
        let ts = tmp.path().join(format!("{name}.ts"));
        muxkit_convert(&src, &ts, &[]);
        assert_eq!(frame_hashes(&ts), want, "{name} -> ts");
        let hls = tmp.path().join(format!("hls{k}"));
        muxkit_convert(&src, &hls, &[]);
        assert_eq!(frame_hashes(&hls.join("index.m3u8")), want, "{name} -> hls");
    }
}

#[test]
fn flv_to_f4v_and_mp4_is_read_by_ffprobe_and_round_trips_packets() {
    if !have_ffmpeg("flv_to_f4v_and_mp4_is_read_by_ffprobe_and_round_trips_packets") {
        return;
    }
    let tmp = TempDir::new("f4v-roundtrip");
    let inputs = mp4_capable_flvs();
    assert!(inputs.len() >= 5, "{inputs:?}");
    for (i, src) in inputs.iter().enumerate() {
        let name = src.file_name().unwrap().to_string_lossy().into_owned();
        let want = frame_hashes(src);
        for ext in ["f4v", "mp4"] {
            let out = tmp.path().join(format!("{i}.{ext}"));
            muxkit_convert(src, &out, &[]);
            let c = ffprobe_complaints(&out);
            assert!(c.is_empty(), "{name} -> {ext}: ffprobe says:\n{c}");
            assert_eq!(frame_hashes(&out), want, "{name} -> {ext}: decoded frames");
            // moov first.
            let data = std::fs::read(&out).unwrap();
            assert_eq!(&data[36..40], b"moov", "{name} -> {ext}: moov after ftyp");
            let back = tmp.path().join(format!("{i}_{ext}.flv"));
            muxkit_convert(&out, &back, &[]);
            assert_eq!(
                media_packets(&back),
                media_packets(src),
                "{name} -> {ext} -> flv: packets"
            );
        }
    }
}

#[test]
fn stdin_input_puts_moov_at_the_end() {
    if !have_ffmpeg("stdin_input_puts_moov_at_the_end") {
        return;
    }
    let tmp = TempDir::new("f4v-stdin");
    let out = tmp.path().join("piped.mp4");
    let src = testdata().join("source.flv");
    let st = Command::new(muxkit_bin())
        .args(["convert", "-"])
        .arg(&out)
        .stdin(std::fs::File::open(&src).unwrap())
        .stderr(Stdio::inherit())
        .status()
        .unwrap();
    assert!(st.success());
    let d = F4vDemuxer::from_bytes(map_file(&out).unwrap()).unwrap();
    let order: Vec<String> = d.tree().iter().map(|n| n.header.box_type.name()).collect();
    assert_eq!(order, ["ftyp", "mdat", "moov"]);
    assert!(ffprobe_complaints(&out).is_empty());
    assert_eq!(frame_hashes(&out), frame_hashes(&src));
    // A TS input, and MP4 -> HLS.
    let ts_mp4 = tmp.path().join("ts.mp4");
    muxkit_convert(&testdata().join("source_bframes.ts"), &ts_mp4, &[]);
    assert!(ffprobe_complaints(&ts_mp4).is_empty());
    assert_eq!(
        frame_hashes(&ts_mp4),
        frame_hashes(&testdata().join("source_bframes.ts"))
    );
}

#[test]
fn box_tree_snapshots() {
    let tmp = TempDir::new("f4v-snap");
    let ours = tmp.path().join("muxkit.f4v");
    muxkit_convert(&testdata().join("source.flv"), &ours, &[]);
    let mut files = ffmpeg_made();
    files.push(ours);
    for f in files {
        let s = Mp4Summary::read(InputSource::from_bytes(map_file(&f).unwrap())).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().replace('.', "_");
        insta::assert_snapshot!(format!("inspect_{name}"), s.to_text_with(true));
        assert!(s.to_json().get("boxes").is_none());
        let v = s.to_json_with(true);
        assert!(v["boxes"].as_array().is_some_and(|b| b.len() >= 3));
    }
}

/// A small valid MP4 to damage: muxkit's own of h264_mp3.flv (H.264 + MP3).
fn small_mp4(tmp: &Path) -> Vec<u8> {
    let out = tmp.join("small.mp4");
    muxkit_convert(&testdata().join("h264_mp3.flv"), &out, &[]);
    std::fs::read(out).unwrap()
}

/// The file offset of the first box of type `t`.
fn find(data: &[u8], t: &[u8; 4]) -> usize {
    data.windows(4).position(|w| w == t).unwrap() - 4
}

fn err(data: Vec<u8>) -> String {
    match F4vDemuxer::from_bytes(data.into()) {
        Ok(mut d) => match std::iter::from_fn(|| d.next_packet().transpose()).find_map(Result::err)
        {
            Some(e) => e.to_string(),
            None => "no error".into(),
        },
        Err(e) => e.to_string(),
    }
}

#[test]
fn hostile_files_get_clear_errors() {
    let tmp = TempDir::new("f4v-hostile");
    let good = small_mp4(tmp.path());
    assert!(F4vDemuxer::from_bytes(good.clone().into()).is_ok());
    let patch = |at: usize, bytes: &[u8]| {
        let mut d = good.clone();
        d[at..at + bytes.len()].copy_from_slice(bytes);
        d
    };
    // Box size under 8.
    let e = err(patch(find(&good, b"mvhd"), &4u32.to_be_bytes()));
    assert!(e.contains("smaller than the 8-byte header"), "{e}");
    // Size 1 with a largesize under 16.
    let mut d = good.clone();
    let mv = find(&good, b"mvhd");
    d[mv..mv + 4].copy_from_slice(&1u32.to_be_bytes());
    d[mv + 8..mv + 16].copy_from_slice(&8u64.to_be_bytes());
    assert!(err(d).contains("largesize 8"));
    // A child running past its parent.
    let e = err(patch(find(&good, b"mvhd"), &0x00FF_FFFFu32.to_be_bytes()));
    assert!(e.contains("runs past its parent"), "{e}");
    // Nesting 10,000 deep.
    let mut deep = b"\0\0\0\x14ftypisom\0\0\0\0isom".to_vec();
    let depth = 10_000usize;
    for k in 0..depth {
        deep.extend_from_slice(&(((depth - k) * 8) as u32).to_be_bytes());
        deep.extend_from_slice(b"moov");
    }
    let e = err(deep);
    assert!(e.contains("depth"), "{e}");
    // An stsz count of 2^32-1 in a tiny box.
    let sz = find(&good, b"stsz");
    let e = err(patch(sz + 16, &u32::MAX.to_be_bytes()));
    assert!(e.contains("sample_count 4294967295"), "{e}");
    // An stco offset past the end of the file.
    let co = find(&good, b"stco");
    let e = err(patch(co + 16, &0x7FFF_FFF0u32.to_be_bytes()));
    assert!(e.contains("past the end of the file"), "{e}");
    // stsc first_chunk 0, and going backwards (the video track's stsc has several entries).
    let sc = find(&good, b"stsc");
    let e = err(patch(sc + 16, &0u32.to_be_bytes()));
    assert!(e.contains("first_chunk 0"), "{e}");
    let entries = u32::from_be_bytes(good[sc + 12..sc + 16].try_into().unwrap());
    assert!(
        entries >= 2,
        "the fixture's first stsc must have several runs"
    );
    let e = err(patch(sc + 28, &1u32.to_be_bytes()));
    assert!(e.contains("first_chunk 1 does not follow"), "{e}");
    // stsc putting more samples in the chunks than stsz lists (they would be laid over other
    // tracks' data).
    let e = err(patch(sc + 20, &0x00FF_FFFFu32.to_be_bytes()));
    assert!(e.contains("stsc puts") && e.contains("stsz lists"), "{e}");
    // A sample description index out of range.
    let e = err(patch(sc + 24, &7u32.to_be_bytes()));
    assert!(e.contains("sample description index 7"), "{e}");
    // No moov.
    let mv = find(&good, b"moov");
    let e = err(patch(mv + 4, b"junk"));
    assert!(e.contains("no moov"), "{e}");
    // Every prefix, and random damage: never a panic.
    for n in (0..good.len()).step_by(61) {
        let _ = err(good[..n].to_vec());
    }
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..300 {
        let mut d = good.clone();
        for _ in 0..3 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x as usize) % d.len();
            d[i] = (x >> 40) as u8;
        }
        let _ = err(d);
    }
}

/// Inputs the fuzzer once crashed on: each must now read to an end or an error, never panic.
#[test]
fn fuzz_regressions_never_panic() {
    let dir = testdata().join("fuzz-regressions/f4v_demux");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let data = bytes::Bytes::from(std::fs::read(entry.unwrap().path()).unwrap());
        let _ = muxkit::inspect::mp4::Mp4Summary::read(muxkit::io::InputSource::from_bytes(
            data.clone(),
        ));
        if let Ok(mut d) = F4vDemuxer::from_bytes(data) {
            let mut packets = Vec::new();
            while let Ok(Some(p)) = d.next_packet() {
                packets.push(p);
            }
            // What reads is written back as MP4, and that copy reads to the same packets.
            let mut w = muxkit::mp4::mux::Mp4Writer::streaming(
                muxkit::io::BlockWriter::new(std::io::Cursor::new(Vec::new())),
                muxkit::mp4::mux::Mp4Brand::Mp4,
            );
            let written = (|| -> muxkit::Result<Vec<u8>> {
                for t in d.tracks() {
                    muxkit::Muxer::add_track(&mut w, t)?;
                }
                for p in &packets {
                    muxkit::Muxer::write_packet(&mut w, p)?;
                }
                muxkit::Muxer::finish(&mut w)?;
                Ok(w.into_inner()?.into_inner())
            })();
            if let Ok(out) = written {
                let mut again = F4vDemuxer::from_bytes(out.into()).expect("muxkit's own mp4 reads");
                let (_, back) = drain(&mut again);
                assert_eq!(back.len(), packets.len());
            }
        }
        n += 1;
    }
    assert!(n >= 1);
}
