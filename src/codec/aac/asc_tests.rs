//! AudioSpecificConfig tests: ffmpeg's records (checked with ffprobe) and hand-built ones for
//! what ffmpeg's encoder cannot make (HE-AAC, 960-sample frames, escapes, PCE).

use super::*;
use crate::codec::tests::hex;

/// `ffmpeg -f lavfi -i sine=frequency=440:sample_rate=44100 -ac 2 -t 0.2 -c:a aac lc.m4a`, the
/// esds DecoderSpecificInfo; ffprobe: LC, 44100 Hz, 2 channels.
pub(crate) const ASC_LC_44100_STEREO: &str = "1210";
/// `ffmpeg -f lavfi -i sine=frequency=440:sample_rate=48000 -t 0.2 -c:a aac lc48.m4a`: LC
/// 48000 Hz mono followed by a backward-compatible SBR extension saying SBR is absent;
/// ffprobe: LC, 48000 Hz, 1 channel.
pub(crate) const ASC_LC_48000_MONO_SYNC_EXT: &str = "118856e500";
/// Hand-built from §1.6.2.1: object type 5 (SBR), core 22050 Hz stereo, SBR at 44100 Hz,
/// core object type 2 — HE-AAC with hierarchical signalling.
const ASC_HE_HIERARCHICAL: &str = "2b920800";
/// Object type 29 (PS), core 22050 Hz mono, SBR at 44100 Hz, core type 2: HE-AAC v2.
const ASC_HE_V2_HIERARCHICAL: &str = "eb8a0800";
/// LC 22050 Hz stereo, then sync extension 0x2b7, type 5, SBR present at 44100 Hz.
const ASC_HE_BACKWARD_COMPATIBLE: &str = "139056e5a0";
/// LC 22050 Hz mono, SBR at 44100 Hz, then sync extension 0x548 with PS present.
const ASC_HE_V2_BACKWARD_COMPATIBLE: &str = "138856e5a54880";
/// LC 44100 Hz stereo with frameLengthFlag set: 960-sample frames.
const ASC_LC_960: &str = "1214";
/// Escaped object type 42 (31 -> 32 + 10: USAC), 48000 Hz stereo.
const ASC_ESCAPE_USAC: &str = "f94640";
/// Escaped object type 39 (ELD), 48000 Hz mono, frameLengthFlag set.
const ASC_ESCAPE_ELD: &str = "f8e630";
/// LC with sampling index 15 and an explicit 44000 Hz, stereo.
const ASC_EXPLICIT_44000: &str = "178055f010";

fn asc(s: &str) -> AudioSpecificConfig {
    AudioSpecificConfig::parse(&hex(s)).unwrap()
}

#[test]
fn ffmpeg_records_match_ffprobe() {
    let a = asc(ASC_LC_44100_STEREO);
    assert_eq!(
        (a.object_type, a.sampling_index, a.channel_config),
        (2, 4, 2)
    );
    assert_eq!((a.output_sample_rate(), a.channels()), (44100, Some(2)));
    assert_eq!(
        (a.profile_name(), a.codec_string().as_str()),
        ("LC", "mp4a.40.2")
    );
    assert_eq!(a.samples_per_frame(), 1024);
    assert!(a.ext.is_none());

    let a = asc(ASC_LC_48000_MONO_SYNC_EXT);
    assert_eq!((a.output_sample_rate(), a.channels()), (48000, Some(1)));
    assert_eq!(a.profile_name(), "LC");
    let ext = a.ext.unwrap();
    assert!(!ext.hierarchical && !ext.sbr_present && ext.object_type == 5);
    assert!(!a.sbr_present());
}

#[test]
fn he_aac_signalling() {
    for (s, profile, codec, channels) in [
        (ASC_HE_HIERARCHICAL, "HE-AAC", "mp4a.40.5", 2),
        (ASC_HE_V2_HIERARCHICAL, "HE-AACv2", "mp4a.40.29", 2),
        (ASC_HE_BACKWARD_COMPATIBLE, "HE-AAC", "mp4a.40.5", 2),
        (ASC_HE_V2_BACKWARD_COMPATIBLE, "HE-AACv2", "mp4a.40.29", 2),
    ] {
        let a = asc(s);
        assert_eq!(a.profile_name(), profile, "{s}");
        assert_eq!(a.codec_string(), codec, "{s}");
        assert_eq!(a.channels(), Some(channels), "{s}");
        assert_eq!(
            (a.sample_rate, a.output_sample_rate()),
            (22050, 44100),
            "{s}"
        );
        assert_eq!(a.core_object_type, 2, "{s}");
        assert_eq!(a.samples_per_frame(), 1024);
        assert_eq!(a.to_bytes(), hex(s));
    }
    let a = asc(ASC_HE_V2_HIERARCHICAL);
    assert_eq!((a.object_type, a.channel_config), (29, 1));
    assert!(a.ext.unwrap().hierarchical);
    let a = asc(ASC_HE_BACKWARD_COMPATIBLE);
    assert_eq!(a.object_type, 2);
    assert!(!a.ext.unwrap().hierarchical);
}

#[test]
fn frame_lengths_escapes_and_explicit_rates() {
    let a = asc(ASC_LC_960);
    assert!(a.frame_length_flag);
    assert_eq!(a.samples_per_frame(), 960);

    let a = asc(ASC_ESCAPE_USAC);
    assert_eq!(
        (a.object_type, a.sample_rate, a.channels()),
        (42, 48000, Some(2))
    );
    assert_eq!(a.codec_string(), "mp4a.40.42");
    assert_eq!(a.profile_name(), "xHE-AAC");

    let a = asc(ASC_ESCAPE_ELD);
    assert_eq!(
        (a.object_type, a.sample_rate, a.channels()),
        (39, 48000, Some(1))
    );
    assert_eq!(a.samples_per_frame(), 480);
    assert_eq!(a.profile_name(), "ELD");

    let a = asc(ASC_EXPLICIT_44000);
    assert_eq!((a.sampling_index, a.sample_rate), (15, 44000));
    assert_eq!(a.channels(), Some(2));
}

#[test]
fn builder_writes_the_usual_records() {
    let a = AudioSpecificConfig::new(2, 44100, 2).unwrap();
    assert_eq!(a.to_bytes(), hex(ASC_LC_44100_STEREO));
    let a = AudioSpecificConfig::new(2, 44000, 2).unwrap();
    assert_eq!(a.to_bytes(), hex(ASC_EXPLICIT_44000));
    let a = AudioSpecificConfig::new(2, 48000, 8).unwrap();
    assert_eq!((a.channel_config, a.channels()), (7, Some(8)));
    let mut out = Vec::new();
    a.write_to(&mut out);
    assert_eq!(&out[..], &a.as_bytes()[..]);
    assert!(AudioSpecificConfig::new(5, 44100, 2).is_err());
    assert!(AudioSpecificConfig::new(2, 44100, 7).is_err());
    assert!(AudioSpecificConfig::new(2, 0, 2).is_err());
    assert!(AudioSpecificConfig::new(2, 1 << 24, 2).is_err());
}

/// LC 48000 Hz with channelConfiguration 0 and a program config element laying out 5.1:
/// front SCE + CPE, back CPE, one LFE, then a 3-byte comment.
fn pce_5_1() -> Vec<u8> {
    use crate::codec::bits::BitWriter;
    let mut w = BitWriter::new();
    w.write_bits(5, 2);
    w.write_bits(4, 3);
    w.write_bits(4, 0);
    w.write_bits(3, 0); // frameLength, dependsOnCoreCoder, extension
    w.write_bits(4, 0); // element_instance_tag
    w.write_bits(2, 1); // object_type
    w.write_bits(4, 3); // sampling_frequency_index
    for n in [2, 0, 1] {
        w.write_bits(4, n); // front, side, back elements
    }
    w.write_bits(2, 1); // lfe
    w.write_bits(3, 0); // assoc data
    w.write_bits(4, 0); // valid cc
    w.write_bits(3, 0); // no mixdowns
    for (cpe, tag) in [(false, 0), (true, 0), (true, 1)] {
        w.write_flag(cpe);
        w.write_bits(4, tag);
    }
    w.write_bits(4, 0); // lfe tag
    w.byte_align();
    w.write_bits(8, 3);
    w.write_bits(24, 0x61_62_63);
    w.into_bytes()
}

#[test]
fn program_config_element_channels() {
    let data = pce_5_1();
    let a = AudioSpecificConfig::parse(&data).unwrap();
    assert_eq!((a.channel_config, a.pce_channels), (0, Some(6)));
    assert_eq!(a.channels(), Some(6));
    for n in 0..data.len() {
        assert!(
            AudioSpecificConfig::parse(&data[..n]).is_err(),
            "cut at {n}"
        );
    }
}

#[test]
fn hostile_records() {
    assert!(AudioSpecificConfig::parse(&[]).is_err());
    assert!(AudioSpecificConfig::parse(&[0x12]).is_err());
    // Reserved sampling index 13, and explicit rate 0.
    assert!(AudioSpecificConfig::parse(&[0x16, 0x90]).is_err());
    assert!(AudioSpecificConfig::parse(&[0x17, 0x80, 0, 0, 0x10]).is_err());
    // Channel configuration 0 without its PCE.
    assert!(AudioSpecificConfig::parse(&[0x12, 0x00]).is_err());
    // Every prefix of every record: errors or the core alone, never a panic.
    for s in [
        ASC_HE_HIERARCHICAL,
        ASC_HE_V2_BACKWARD_COMPATIBLE,
        ASC_EXPLICIT_44000,
        ASC_ESCAPE_USAC,
    ] {
        let data = hex(s);
        for n in 0..data.len() {
            let _ = AudioSpecificConfig::parse(&data[..n]);
        }
    }
    // A backward-compatible extension cut short is ignored, not an error.
    let data = hex(ASC_HE_BACKWARD_COMPATIBLE);
    let a = AudioSpecificConfig::parse(&data[..4]).unwrap();
    assert!(a.ext.is_none() && a.profile_name() == "LC");
    // Junk after the core that is not a sync extension is ignored.
    let a = AudioSpecificConfig::parse(&[0x12, 0x10, 0xFF, 0xFF, 0xFF]).unwrap();
    assert!(a.ext.is_none());
    assert_eq!(a.to_bytes(), [0x12, 0x10, 0xFF, 0xFF, 0xFF][..]);
}
