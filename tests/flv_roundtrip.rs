#![allow(clippy::unwrap_used, clippy::expect_used)]
//! FLV -> model -> FLV keeps every packet (bytes, timestamps, flags) and every decoded frame.

mod common;

use std::io::Cursor;
use std::process::Command;

use common::*;
use muxkit::amf::AmfValue;
use muxkit::flv::{
    FlvDemuxer, FlvMuxOptions, FlvMuxer, FlvReadOptions, FlvTagReader, FlvTagType, FlvVideoTag,
};
use muxkit::io::{InputSource, Unseekable, map_file};
use muxkit::remux::remux;
use muxkit::{Demuxer, Muxer};

fn demux_file(
    path: &std::path::Path,
) -> (Vec<muxkit::Track>, Vec<muxkit::Track>, Vec<muxkit::Packet>) {
    let mut d = FlvDemuxer::from_bytes(map_file(path).unwrap()).unwrap();
    let initial = d.tracks().to_vec();
    let (tracks, packets) = drain(&mut d);
    (initial, tracks, packets)
}

fn remux_to_vec(path: &std::path::Path, seekable: bool, keyframe_index: bool) -> Vec<u8> {
    let mut d = FlvDemuxer::from_bytes(map_file(path).unwrap()).unwrap();
    let options = FlvMuxOptions {
        keyframe_index,
        source_metadata: d.metadata().cloned(),
        ..FlvMuxOptions::default()
    };
    if seekable {
        let mut m = FlvMuxer::new(Cursor::new(Vec::new()), options);
        remux(&mut d, &mut m).unwrap();
        m.into_inner().unwrap().into_inner()
    } else {
        let mut m = FlvMuxer::new(Unseekable(Vec::new()), options);
        remux(&mut d, &mut m).unwrap();
        m.into_inner().unwrap().0
    }
}

#[test]
fn packets_survive_flv_to_flv() {
    for path in all_flvs() {
        let (initial_a, tracks_a, packets_a) = demux_file(&path);
        assert!(!packets_a.is_empty(), "{}: no packets", path.display());
        for (seekable, index) in [(true, false), (false, false), (true, true)] {
            let out = remux_to_vec(&path, seekable, index);
            let mut d = FlvDemuxer::from_bytes(out.into()).unwrap();
            let initial_b = d.tracks().to_vec();
            let (tracks_b, packets_b) = drain(&mut d);
            let what = format!("{} (seekable {seekable}, index {index})", path.display());
            assert_eq!(initial_a, initial_b, "{what}: initial tracks differ");
            assert_eq!(tracks_a, tracks_b, "{what}: final tracks differ");
            assert_eq!(packets_a.len(), packets_b.len(), "{what}: packet count");
            for (i, (a, b)) in packets_a.iter().zip(&packets_b).enumerate() {
                assert_eq!(a, b, "{what}: packet {i} differs");
            }
            assert_eq!(
                d.report().warning_count,
                0,
                "{what}: {:?}",
                d.report().warnings
            );
        }
    }
}

#[test]
fn stdin_stream_reads_like_the_mapped_file() {
    for path in flv_fixtures() {
        let (_, tracks_a, packets_a) = demux_file(&path);
        let file = std::fs::File::open(&path).unwrap();
        let mut d =
            FlvDemuxer::new(InputSource::from_reader(file), FlvReadOptions::default()).unwrap();
        let (tracks_b, packets_b) = drain(&mut d);
        assert_eq!(tracks_a, tracks_b, "{}", path.display());
        assert_eq!(packets_a, packets_b, "{}", path.display());
    }
}

#[test]
fn metadata_is_rewritten_with_final_values() {
    let path = testdata().join("source.flv");
    let out = remux_to_vec(&path, true, false);
    let d = FlvDemuxer::from_bytes(out.clone().into()).unwrap();
    let m = d.metadata().expect("onMetaData");
    let num = |k: &str| {
        m.get(k)
            .and_then(AmfValue::as_f64)
            .unwrap_or_else(|| panic!("no {k}"))
    };
    assert_eq!(num("filesize") as usize, out.len());
    assert_eq!(num("width"), 768.0);
    assert_eq!(num("height"), 320.0);
    assert_eq!(num("videocodecid"), 7.0);
    assert_eq!(num("audiocodecid"), 10.0);
    assert_eq!(num("audiosamplerate"), 44100.0);
    let duration = num("duration");
    assert!((9.9..10.2).contains(&duration), "duration {duration}");
    assert!(
        (num("framerate") - 25.0).abs() < 0.01,
        "framerate {}",
        num("framerate")
    );
}

#[test]
fn keyframe_index_points_at_keyframes() {
    let path = testdata().join("source.flv");
    let out = remux_to_vec(&path, true, true);
    let d = FlvDemuxer::from_bytes(out.clone().into()).unwrap();
    let kf = d
        .metadata()
        .and_then(|m| m.get("keyframes"))
        .expect("keyframes index");
    let list = |k: &str| match kf.get(k) {
        Some(AmfValue::StrictArray(v)) => v.iter().map(|x| x.as_f64().unwrap()).collect::<Vec<_>>(),
        other => panic!("{k}: {other:?}"),
    };
    let (times, positions) = (list("times"), list("filepositions"));
    assert_eq!(times.len(), positions.len());
    assert!(times.len() >= 2, "{times:?}");
    let mut reader = FlvTagReader::new(
        InputSource::from_bytes(out.into()),
        FlvReadOptions { strict: true },
    )
    .unwrap();
    let mut keys = Vec::new();
    while let Some(tag) = reader.next_tag().unwrap() {
        if tag.header.tag_type == FlvTagType::VIDEO {
            let v = FlvVideoTag::parse(tag.body.clone()).unwrap();
            let it = &v.items()[0];
            if it.frame_type.is_key() && it.kind == muxkit::flv::video::VideoPacketKind::Frame {
                keys.push((tag.header.timestamp as f64 / 1000.0, tag.offset as f64));
            }
        }
    }
    assert_eq!(times, keys.iter().map(|k| k.0).collect::<Vec<_>>());
    assert_eq!(positions, keys.iter().map(|k| k.1).collect::<Vec<_>>());
}

#[test]
fn ffmpeg_reads_our_flv_cleanly_and_decodes_the_same_frames() {
    if !have_ffmpeg("ffmpeg_reads_our_flv_cleanly_and_decodes_the_same_frames") {
        return;
    }
    let tmp = TempDir::new("flv-ffmpeg");
    for path in ffmpeg_readable_flvs() {
        for index in [false, true] {
            let out = tmp.path().join(format!("out-{index}.flv"));
            let mut cmd = Command::new(muxkit_bin());
            cmd.arg("convert").arg("-y").arg(&path).arg(&out);
            if index {
                cmd.arg("--keyframe-index");
            }
            let st = cmd.status().unwrap();
            assert!(st.success(), "convert {}", path.display());
            let complaints = ffprobe_complaints(&out);
            assert!(
                complaints.is_empty(),
                "{}: ffprobe says:\n{complaints}",
                path.display()
            );
            assert_eq!(
                frame_hashes(&path),
                frame_hashes(&out),
                "{}: decoded frames differ",
                path.display()
            );
        }
    }
}

#[test]
fn muxer_rejects_what_flv_cannot_hold() {
    let mut m = FlvMuxer::new(Vec::new(), FlvMuxOptions::default());
    let mut t = muxkit::Track {
        id: 0,
        kind: muxkit::MediaKind::Video,
        time_base: muxkit::TimeBase::MILLIS,
        codec: muxkit::CodecConfig::new(muxkit::Codec::H264),
        source_id: None,
    };
    m.add_track(&t).unwrap();
    let big = muxkit::Packet::new(0, muxkit::Timestamp(0), vec![0u8; 1 << 24].into());
    let e = m.write_packet(&big).unwrap_err().to_string();
    assert!(e.contains("24-bit"), "{e}");
    let neg = muxkit::Packet::new(0, muxkit::Timestamp(-5), vec![0u8; 4].into());
    assert!(
        m.write_packet(&neg)
            .unwrap_err()
            .to_string()
            .contains("negative")
    );
    let undeclared = muxkit::Packet::new(3, muxkit::Timestamp(0), vec![0u8; 4].into());
    assert!(m.write_packet(&undeclared).is_err());
    t.id = 1;
    t.kind = muxkit::MediaKind::Data;
    t.codec = muxkit::CodecConfig::new(muxkit::Codec::Aac);
    assert!(m.add_track(&t).is_err());
}
