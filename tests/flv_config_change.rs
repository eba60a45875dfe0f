#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Sequence headers mid-stream and timestamps past 2^32 ms, through the demuxer and the muxer.

mod common;

use std::io::Cursor;
use std::sync::Arc;

use common::*;
use muxkit::flv::{FlvDemuxer, FlvMuxOptions, FlvMuxer, FlvReadOptions, FlvTagReader, FlvTagType};
use muxkit::io::{InputSource, map_file};
use muxkit::{Demuxer, MediaKind, Muxer, Packet, Timestamp, Track};

fn video_of(name: &str) -> (Track, Vec<Packet>) {
    let mut d = FlvDemuxer::from_bytes(map_file(&testdata().join(name)).unwrap()).unwrap();
    let (tracks, packets) = drain(&mut d);
    let t = tracks
        .iter()
        .find(|t| t.kind == MediaKind::Video)
        .unwrap()
        .clone();
    let packets = packets.into_iter().filter(|p| p.track == t.id).collect();
    (t, packets)
}

/// video_only.flv (H.264 High) followed by h264_mp3.flv's video (H.264 Main): one track whose
/// configuration changes at the splice.
fn spliced() -> (Track, Vec<Packet>, usize) {
    let (mut first, a) = video_of("video_only.flv");
    let (second, b) = video_of("h264_mp3.flv");
    assert_ne!(first.codec.extradata, second.codec.extradata);
    first.id = 0;
    let offset = a.last().unwrap().dts.0 + 40;
    let mut packets: Vec<Packet> = a.into_iter().map(|p| Packet { track: 0, ..p }).collect();
    let splice = packets.len();
    for (i, p) in b.into_iter().enumerate() {
        let mut p = Packet {
            track: 0,
            dts: p.dts + offset,
            pts: p.pts + offset,
            ..p
        };
        if i == 0 {
            p.flags.config_changed = true;
            p.config = Some(Arc::new(second.codec.clone()));
        }
        packets.push(p);
    }
    (first, packets, splice)
}

fn mux(track: &Track, packets: &[Packet]) -> Vec<u8> {
    let mut m = FlvMuxer::new(Cursor::new(Vec::new()), FlvMuxOptions::default());
    m.add_track(track).unwrap();
    for p in packets {
        m.write_packet(p).unwrap();
    }
    m.finish().unwrap();
    m.into_inner().unwrap().into_inner()
}

#[test]
fn config_change_mid_stream_survives_and_decodes() {
    let (track, packets, splice) = spliced();
    let out = mux(&track, &packets);
    let mut d = FlvDemuxer::from_bytes(out.clone().into()).unwrap();
    assert_eq!(
        d.tracks()[0].codec,
        track.codec,
        "the track starts with the first config"
    );
    let (tracks, back) = drain(&mut d);
    assert_eq!(back, packets);
    assert!(back[splice].flags.config_changed);
    assert_eq!(back.iter().filter(|p| p.flags.config_changed).count(), 1);
    assert_eq!(
        tracks[0].codec,
        **back[splice].config.as_ref().unwrap(),
        "tracks() follows the change"
    );
    if have_ffmpeg("config_change_mid_stream_survives_and_decodes") {
        let tmp = TempDir::new("config-change");
        let file = tmp.path().join("spliced.flv");
        std::fs::write(&file, &out).unwrap();
        let expected: Vec<String> = ["video_only.flv", "h264_mp3.flv"]
            .iter()
            .flat_map(|n| {
                frame_hashes(&testdata().join(n))
                    .into_iter()
                    .filter(|l| l.starts_with("0 "))
            })
            .collect();
        assert_eq!(
            frame_hashes(&file),
            expected,
            "the splice decodes to both sources' frames"
        );
    }
}

#[test]
fn identical_repeated_sequence_header_changes_nothing() {
    let (track, packets) = video_of("video_only.flv");
    let out = mux(&track, &packets);
    // Insert a copy of the sequence header tag (tag 1) before the 10th video frame.
    let mut reader = FlvTagReader::new(
        InputSource::from_bytes(out.clone().into()),
        FlvReadOptions { strict: true },
    )
    .unwrap();
    let mut seq = None;
    let mut at = None;
    let mut frames = 0;
    while let Some(tag) = reader.next_tag().unwrap() {
        if tag.header.tag_type == FlvTagType::VIDEO {
            if seq.is_none() {
                seq = Some(
                    out[tag.offset as usize..tag.offset as usize + 11 + tag.body.len() + 4]
                        .to_vec(),
                );
            } else {
                frames += 1;
                if frames == 10 {
                    at = Some(tag.offset as usize);
                }
            }
        }
    }
    let (seq, at) = (seq.unwrap(), at.unwrap());
    let mut doubled = out[..at].to_vec();
    doubled.extend_from_slice(&seq);
    doubled.extend_from_slice(&out[at..]);
    let mut d = FlvDemuxer::from_bytes(doubled.into()).unwrap();
    let (_, back) = drain(&mut d);
    assert_eq!(back, packets);
    assert!(back.iter().all(|p| !p.flags.config_changed));
    assert_eq!(d.report().sequence_headers, 2);
}

#[test]
fn timestamps_unwrap_past_2_pow_32_ms_and_wrap_again() {
    let (mut track, packets) = video_of("video_only.flv");
    track.id = 0;
    // Start 2 s before the 32-bit millisecond counter wraps (49.7 days in).
    let base = (1i64 << 32) - 2000;
    let shifted: Vec<Packet> = packets
        .into_iter()
        .map(|p| Packet {
            track: 0,
            dts: p.dts + base,
            pts: p.pts + base,
            ..p
        })
        .collect();
    assert!(shifted.last().unwrap().dts.0 > 1 << 32);
    let out = mux(&track, &shifted);
    // On the wire the counter wrapped...
    let mut reader = FlvTagReader::new(
        InputSource::from_bytes(out.clone().into()),
        FlvReadOptions::default(),
    )
    .unwrap();
    let mut wire = Vec::new();
    while let Some(tag) = reader.next_tag().unwrap() {
        wire.push(tag.header.timestamp);
    }
    assert!(wire.iter().any(|&t| t < 5000) && wire.iter().any(|&t| t > u32::MAX - 5000));
    // ...and the demuxer counts on past it.
    let mut d = FlvDemuxer::from_bytes(out.into()).unwrap();
    let (_, back) = drain(&mut d);
    assert_eq!(back, shifted);
    assert!(back.windows(2).all(|w| w[1].dts >= w[0].dts));
    assert_eq!(back.last().unwrap().dts, Timestamp(base + 4960));
}
