#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Enhanced FLV (HEVC + AAC), written by muxkit from an ffmpeg-made HEVC stream.
//!
//! ffmpeg 5.1 cannot read Enhanced FLV, so ffmpeg judges the video another way: the HEVC packets
//! muxkit reads back from the FLV are turned into Annex B again and must decode to exactly the
//! frames of the original stream.

mod common;

use std::process::Command;

use bytes::BufMut;
use common::*;
use muxkit::Codec;
use muxkit::codec::avc::write_annexb_from_length_prefixed;
use muxkit::codec::hevc::{HevcDecoderConfig, HevcNalType};
use muxkit::flv::FlvDemuxer;
use muxkit::io::map_file;

#[test]
fn hevc_enhanced_fixture_reads_as_hevc_and_aac() {
    let mut d =
        FlvDemuxer::from_bytes(map_file(&testdata().join("hevc_enhanced.flv")).unwrap()).unwrap();
    let (tracks, packets) = drain(&mut d);
    assert_eq!(tracks.len(), 2);
    assert_eq!(tracks[0].codec.codec, Codec::Hevc);
    assert_eq!(tracks[1].codec.codec, Codec::Aac);
    let details = tracks[0].codec.details().unwrap();
    assert_eq!((details.width, details.height), (Some(320), Some(180)));
    let video: Vec<_> = packets.iter().filter(|p| p.track == 0).collect();
    assert_eq!(video.len(), 50);
    assert!(
        video.iter().any(|p| p.pts != p.dts),
        "B-frames keep their composition offsets"
    );
    assert_eq!(d.report().warning_count, 0);
}

#[test]
fn hevc_from_enhanced_flv_decodes_to_the_source_frames() {
    if !have_ffmpeg("hevc_from_enhanced_flv_decodes_to_the_source_frames") {
        return;
    }
    let mut d =
        FlvDemuxer::from_bytes(map_file(&testdata().join("hevc_enhanced.flv")).unwrap()).unwrap();
    let (tracks, packets) = drain(&mut d);
    let hvcc = HevcDecoderConfig::parse(&tracks[0].codec.extradata).unwrap();
    let mut annexb = Vec::new();
    for p in packets.iter().filter(|p| p.track == 0) {
        if p.flags.keyframe {
            for t in [HevcNalType::VPS, HevcNalType::SPS, HevcNalType::PPS] {
                for nal in hvcc.units(t) {
                    annexb.put_slice(&[0, 0, 0, 1]);
                    annexb.put_slice(nal);
                }
            }
        }
        write_annexb_from_length_prefixed(&p.data, 4, &mut annexb).unwrap();
    }
    let tmp = TempDir::new("hevc-enhanced");
    let extracted = tmp.path().join("extracted.h265");
    std::fs::write(&extracted, annexb).unwrap();
    let original = frame_hashes(&testdata().join("hevc.h265"));
    assert_eq!(original.len(), 50);
    assert_eq!(frame_hashes(&extracted), original);
    // The audio, likewise, against the ADTS it came from.
    let st = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-i"])
        .arg(testdata().join("hevc_enhanced.flv"))
        .args(["-map", "0:a", "-c", "copy", "-f", "adts"])
        .arg(tmp.path().join("a.adts"))
        .status();
    // ffmpeg 5.1 cannot open Enhanced FLV at all; newer ffmpeg can, and then the audio must match.
    if st.is_ok_and(|s| s.success()) {
        assert_eq!(
            frame_hashes(&tmp.path().join("a.adts")),
            frame_hashes(&testdata().join("hevc_audio.adts"))
        );
    }
}
