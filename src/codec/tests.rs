//! Shared test helpers and the [`CodecConfig::details`] tests.

use bytes::Bytes;

use super::*;
use crate::media::{AudioParams, VideoParams};

/// Bytes from a hex string (test fixtures are embedded as hex, never as binary files).
pub(crate) fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn config(codec: Codec, extradata: &str) -> CodecConfig {
    CodecConfig {
        extradata: Bytes::from(hex(extradata)),
        ..CodecConfig::new(codec)
    }
}

#[test]
fn h264_details_from_avcc() {
    // avcC ffmpeg wrote for `-c:v libx264 -profile:v high` at 1366x766 (see avc/sps_tests.rs);
    // ffprobe: High, level 32, 1366x766.
    let c = config(
        Codec::H264,
        "01640020ffe1001b67640020acd94056061e6ac044000003000400000300c83c60c65801000668ebe3cb22c0fdf8f800",
    );
    assert_eq!(
        c.details().unwrap(),
        CodecDetails {
            codec_string: Some("avc1.640020".into()),
            profile: Some("High".into()),
            level: Some("3.2".into()),
            width: Some(1366),
            height: Some(766),
            bit_depth: Some(8),
            pix_fmt: Some("yuv420p".into()),
            chroma_format: Some("4:2:0"),
            sample_aspect_ratio: Some((1, 1)),
            scan_type: Some("progressive"),
            frame_rate: Some((25, 1)),
            ..CodecDetails::default()
        }
    );
}

#[test]
fn h264_colour_range_and_sar_from_vui() {
    // `ffmpeg -f lavfi -i testsrc2=size=320x240:rate=30000/1001 -c:v libx264 -pix_fmt yuvj420p
    // -color_primaries bt709 -color_trc bt709 -colorspace bt709 -color_range pc
    // -vf setsar=4/3 -frames 1 -f h264`: its SPS. ffprobe: yuvj420p, pc, bt709 x3, SAR 4:3,
    // r_frame_rate 30000/1001.
    let sps = crate::codec::tests::hex("6764000dacd94141fb0e6e020202800001f480007530078a14cb");
    let mut avcc = vec![1, sps[1], sps[2], sps[3], 0xFF, 0xE1, 0, sps.len() as u8];
    avcc.extend_from_slice(&sps);
    avcc.extend_from_slice(&[1, 0, 4, 0x68, 0xEB, 0xE3, 0xCB]);
    let mut c = CodecConfig::new(Codec::H264);
    c.extradata = avcc.into();
    let d = c.details().unwrap();
    assert_eq!(d.pix_fmt.as_deref(), Some("yuvj420p"));
    assert_eq!(d.color_range, Some("pc"));
    assert_eq!(
        (d.color_primaries, d.color_transfer, d.color_space),
        (Some("bt709"), Some("bt709"), Some("bt709"))
    );
    assert_eq!(d.sample_aspect_ratio, Some((4, 3)));
    assert_eq!(d.display_aspect_ratio(), Some((16, 9)));
    assert_eq!(d.frame_rate, Some((30000, 1001)));
}

#[test]
fn hevc_details_from_hvcc() {
    // hvcC ffmpeg wrote for libx265 Main 10 at 1366x766; ffprobe: Main 10, level 120.
    let c = config(
        Codec::Hevc,
        "01022000000090000000000078f000fcfdfafa00000f03a00001001840010c01ffff022000000300900000030000030078959809a10001002c420101022000000300900000030000030078a002ac80301d5365959a4932bc05a02000000300200000030321a2000100074401c172b46240",
    );
    let d = c.details().unwrap();
    assert_eq!(d.codec_string.as_deref(), Some("hvc1.2.4.L120.90"));
    assert_eq!(d.profile.as_deref(), Some("Main 10"));
    assert_eq!(d.level.as_deref(), Some("4"));
    assert_eq!(
        (d.width, d.height, d.bit_depth),
        (Some(1366), Some(766), Some(10))
    );
    // ffprobe: yuv420p10le, 25 fps from the VUI timing, progressive.
    assert_eq!(d.pix_fmt.as_deref(), Some("yuv420p10le"));
    assert_eq!(d.frame_rate, Some((25, 1)));
    assert_eq!(d.scan_type, Some("progressive"));
}

#[test]
fn channel_layouts_as_ffprobe() {
    let d = config(Codec::Aac, "1210").details().unwrap();
    assert_eq!(d.channel_layout, Some("stereo"));
    let d = config(Codec::Aac, "11b0").details().unwrap();
    assert_eq!(d.channel_layout, Some("5.1"));
    let mut d = CodecDetails::default();
    // MPEG-2 Layer III, 22.05 kHz, joint stereo.
    d.add_first_frame(Codec::Mp3, &[0xFF, 0xF3, 0x90, 0x44]);
    assert_eq!(
        (d.mpeg_version, d.mpeg_layer, d.mpeg_mode, d.channel_layout),
        (Some("2"), Some(3), Some("joint stereo"), Some("stereo"))
    );
}

#[test]
fn aac_details_prefer_the_record() {
    let mut c = config(Codec::Aac, "2b920800");
    c.audio = Some(AudioParams {
        sample_rate: 44100,
        channels: 1,
        bits_per_sample: 16,
    });
    let d = c.details().unwrap();
    assert_eq!(d.codec_string.as_deref(), Some("mp4a.40.5"));
    assert_eq!(d.profile.as_deref(), Some("HE-AAC"));
    assert_eq!((d.sample_rate, d.channels), (Some(44100), Some(2)));
}

#[test]
fn no_record_means_container_params_only() {
    for codec in [Codec::H264, Codec::Hevc, Codec::Aac] {
        let mut c = CodecConfig::new(codec);
        c.video = Some(VideoParams {
            width: 640,
            height: 360,
        });
        let d = c.details().unwrap();
        assert_eq!(
            (d.width, d.height, d.codec_string),
            (Some(640), Some(360), None)
        );
    }
    let mut c = CodecConfig::new(Codec::Mp3);
    c.audio = Some(AudioParams {
        sample_rate: 44100,
        channels: 2,
        bits_per_sample: 16,
    });
    let d = c.details().unwrap();
    assert_eq!(d.codec_string.as_deref(), Some("mp4a.40.34"));
    assert_eq!((d.sample_rate, d.channels), (Some(44100), Some(2)));
    assert_eq!(
        CodecConfig::new(Codec::Vp6).details().unwrap(),
        CodecDetails::default()
    );
}

#[test]
fn broken_records_are_errors() {
    for (codec, data) in [
        (Codec::H264, "01640020ffe1"),
        (Codec::H264, "0164001effe100046764001e01000168"),
        (Codec::Hevc, "0101"),
        (Codec::Aac, "12"),
    ] {
        assert!(config(codec, data).details().is_err(), "{codec} {data}");
    }
}

/// Feeds every parser random buffers and bit-flipped real records: errors are fine, panics
/// and hangs are not. A fixed-seed xorshift keeps the run reproducible without a dependency.
#[test]
fn random_and_mutated_input_never_panics() {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let seeds: Vec<Vec<u8>> = [
        "0164001effe100196764001eacd940c029b011000003000100000300320f162d9601000668ebe3cb22c0fdf8f800",
        "6764001eacd940b424d8088000000300800000190f8a14cb",
        "01022000000090000000000078f000fcfdfafa00000f03a00001001840010c01ffff022000000300900000030000030078959809a10001002c420101022000000300900000030000030078a002ac80301d5365959a4932bc05a02000000300200000030321a2000100074401c172b46240",
        "420101022000000300900000030000030078a002ac80301d5365959a4932bc05a02000000300200000030321",
        "138856e5a54880",
        "fff150802b3ffc",
        "fffb9064",
    ]
    .iter()
    .map(|s| hex(s))
    .collect();
    for i in 0..20_000 {
        let data: Vec<u8> = if i % 2 == 0 {
            let len = (next() % 96) as usize;
            (0..len).map(|_| next() as u8).collect()
        } else {
            let mut d = seeds[(next() % seeds.len() as u64) as usize].clone();
            for _ in 0..1 + next() % 4 {
                let bit = (next() % (d.len() as u64 * 8)) as usize;
                d[bit / 8] ^= 0x80 >> (bit % 8);
            }
            d.truncate((next() % (d.len() as u64 + 1)) as usize);
            d
        };
        let _ = avc::AvcDecoderConfig::parse(&data).map(|c| c.to_bytes());
        let _ = avc::Sps::parse(&data).map(|s| (s.width(), s.height(), s.level_string()));
        let _ = hevc::HevcDecoderConfig::parse(&data).map(|c| (c.to_bytes(), c.codec_string()));
        let _ = hevc::HevcSps::parse(&data).map(|s| (s.width(), s.height(), s.codec_string()));
        let _ = aac::AudioSpecificConfig::parse(&data).map(|a| (a.channels(), a.codec_string()));
        let _ = aac::AdtsHeader::parse(&data);
        let _ = aac::adts_frames(&data).count();
        let _ = mpa::MpegAudioHeader::parse(&data).map(|h| h.frame_len());
        let _ = avc::nal_units_length_prefixed(&data, 4).count();
        let _ = avc::annexb_nal_units(&data).count();
        let _ = bits::remove_emulation_prevention(&data);
    }
}

/// An SPS (or hvcC holding one) wrapped as the record `details()` reads.
fn record(codec: Codec, sps: &str) -> CodecConfig {
    let sps = crate::codec::tests::hex(sps);
    let mut rec = Vec::new();
    if codec == Codec::H264 {
        rec.extend_from_slice(&[1, sps[1], sps[2], sps[3], 0xFF, 0xE1, 0, sps.len() as u8]);
        rec.extend_from_slice(&sps);
        rec.extend_from_slice(&[1, 0, 4, 0x68, 0xEB, 0xE3, 0xCB]);
    } else {
        // hvcC: profile space/tier/idc 4 (RExt), level 60, 4:2:2, 10-bit, one SPS array.
        rec.extend_from_slice(&[1, 0x04, 0x08, 0, 0, 0, 0x9D, 0x08, 0, 0, 0, 0, 60]);
        rec.extend_from_slice(&[0xF0, 0, 0xFC, 0xFE, 0xFA, 0xFA, 0, 0, 0x0F, 1]);
        rec.extend_from_slice(&[0xA1, 0, 1, 0, sps.len() as u8]);
        rec.extend_from_slice(&sps);
    }
    let mut c = CodecConfig::new(codec);
    c.extradata = rec.into();
    c
}

#[test]
fn hevc_vui_colour_sar_and_rext_format_match_ffprobe() {
    // `ffmpeg -f lavfi -i testsrc2=size=352x288:rate=30000/1001 -c:v libx265 -pix_fmt
    // yuv422p10le -color_primaries bt2020 -color_trc smpte2084 -colorspace bt2020nc
    // -color_range pc -vf setsar=12/11`: its SPS (x265's default reference picture sets,
    // several inter-predicted). ffprobe: yuv422p10le, SAR 12:11, pc, bt2020nc, smpte2084,
    // bt2020, progressive, 30000/1001.
    let c = record(
        Codec::Hevc,
        "4201010408000003009d0800000300003cb00b080484d96566924caf026e1220120800001f480003a98040",
    );
    let d = c.details().unwrap();
    assert_eq!(d.pix_fmt.as_deref(), Some("yuv422p10le"));
    assert_eq!(d.chroma_format, Some("4:2:2"));
    assert_eq!(d.sample_aspect_ratio, Some((12, 11)));
    assert_eq!(
        (
            d.color_range,
            d.color_space,
            d.color_transfer,
            d.color_primaries
        ),
        (
            Some("pc"),
            Some("bt2020nc"),
            Some("smpte2084"),
            Some("bt2020")
        )
    );
    assert_eq!(d.scan_type, Some("progressive"));
    assert_eq!(d.frame_rate, Some((30000, 1001)));
}

#[test]
fn h264_interlaced_pal_matches_ffprobe() {
    // `... testsrc2=size=720x576:rate=25 -c:v libx264 -flags +ildct+ilme -x264opts tff=1
    // -color_primaries bt470bg -color_trc gamma28 -colorspace bt470bg -vf setsar=16/15`.
    // ffprobe: yuv420p, SAR 16:15, DAR 4:3, tv, bt470bg x3, field_order tt, 25/1.
    let d = record(
        Codec::H264,
        "6764001eacd940b424dff80080007b50505054000003000400000300c87c50a658",
    )
    .details()
    .unwrap();
    assert_eq!((d.width, d.height), (Some(720), Some(576)));
    assert_eq!(d.pix_fmt.as_deref(), Some("yuv420p"));
    assert_eq!(d.sample_aspect_ratio, Some((16, 15)));
    assert_eq!(d.display_aspect_ratio(), Some((4, 3)));
    assert_eq!(
        (
            d.color_range,
            d.color_space,
            d.color_transfer,
            d.color_primaries
        ),
        (
            Some("tv"),
            Some("bt470bg"),
            Some("bt470bg"),
            Some("bt470bg")
        )
    );
    assert_eq!(d.scan_type, Some("interlaced"));
    assert_eq!(d.frame_rate, Some((25, 1)));
}
