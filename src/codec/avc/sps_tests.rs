//! SPS tests against parameter sets made by libx264 and checked with ffprobe.

use super::*;
use crate::codec::bits::{BitWriter, add_emulation_prevention};
use crate::codec::tests::hex;

/// `ffmpeg -f lavfi -i testsrc2=size=768x320:rate=25 -t 0.2 -c:v libx264 -profile:v high
/// -f h264 high.h264`; ffprobe: High, level 30, 768x320, yuv420p.
pub(crate) const HIGH_768X320: &str = "6764001eacd940c029b011000003000100000300320f162d96";
/// `... testsrc2=size=320x240 ... -profile:v baseline`; ffprobe: Constrained Baseline, 13.
pub(crate) const BASELINE_320X240: &str = "6742c00dd90141fb011000000300100000030320f142a480";
/// `... testsrc2=size=640x360 ... -profile:v main`; ffprobe: Main, level 30.
pub(crate) const MAIN_640X360: &str = "674d401eeca05017fcb808800000030080000019078b16cb";
/// `... testsrc2=size=352x288 ... -pix_fmt yuv444p -profile:v high444`; ffprobe: High 4:4:4
/// Predictive, level 13, yuv444p.
pub(crate) const HIGH444_352X288: &str = "67f4000d919b282c12d808800000030080000019078a14cb";
/// `... testsrc2=size=1366x766 ... -profile:v high`; ffprobe: High, level 32, 1366x766 (coded
/// 1376x768, cropped 10 right and 2 bottom).
pub(crate) const HIGH_1366X766: &str = "67640020acd94056061e6ac044000003000400000300c83c60c658";
/// `... testsrc2=size=720x576 ... -flags +ildct+ilme -x264opts interlaced=1`; ffprobe: High,
/// level 30, 720x576, field_order tt.
pub(crate) const INTERLACED_720X576: &str = "6764001eacd940b424d8088000000300800000190f8a14cb";

#[test]
fn x264_parameter_sets_match_ffprobe() {
    struct Case {
        sps: &'static str,
        profile: &'static str,
        level: &'static str,
        size: (u32, u32),
        codec: &'static str,
        chroma: u8,
    }
    let cases = [
        Case {
            sps: HIGH_768X320,
            profile: "High",
            level: "3",
            size: (768, 320),
            codec: "avc1.64001E",
            chroma: 1,
        },
        Case {
            sps: BASELINE_320X240,
            profile: "Constrained Baseline",
            level: "1.3",
            size: (320, 240),
            codec: "avc1.42C00D",
            chroma: 1,
        },
        Case {
            sps: MAIN_640X360,
            profile: "Main",
            level: "3",
            size: (640, 360),
            codec: "avc1.4D401E",
            chroma: 1,
        },
        Case {
            sps: HIGH444_352X288,
            profile: "High 4:4:4 Predictive",
            level: "1.3",
            size: (352, 288),
            codec: "avc1.F4000D",
            chroma: 3,
        },
        Case {
            sps: HIGH_1366X766,
            profile: "High",
            level: "3.2",
            size: (1366, 766),
            codec: "avc1.640020",
            chroma: 1,
        },
        Case {
            sps: INTERLACED_720X576,
            profile: "High",
            level: "3",
            size: (720, 576),
            codec: "avc1.64001E",
            chroma: 1,
        },
    ];
    for c in cases {
        let sps = Sps::parse(&hex(c.sps)).unwrap();
        assert_eq!(sps.profile_name(), c.profile, "{}", c.sps);
        assert_eq!(sps.level_string(), c.level, "{}", c.sps);
        assert_eq!((sps.width(), sps.height()), c.size, "{}", c.sps);
        assert_eq!(sps.codec_string(), c.codec);
        assert_eq!(sps.chroma_format_idc, c.chroma);
        assert_eq!(sps.bit_depth_luma, 8);
        // x264 states 25 fps as 1/50 ticks.
        let t = sps.timing.unwrap();
        assert_eq!((t.num_units_in_tick, t.time_scale), (1, 50), "{}", c.sps);
    }
}

#[test]
fn cropping_and_interlace_details() {
    let sps = Sps::parse(&hex(HIGH_1366X766)).unwrap();
    assert_eq!((sps.coded_width(), sps.coded_height()), (1376, 768));
    assert_eq!(
        sps.frame_cropping,
        Some(CropWindow {
            left: 0,
            right: 5,
            top: 0,
            bottom: 1
        })
    );
    let sps = Sps::parse(&hex(INTERLACED_720X576)).unwrap();
    assert!(!sps.frame_mbs_only);
    assert_eq!(sps.pic_height_in_map_units, 18);
    assert_eq!(sps.crop_units(), (2, 4));
    let sps = Sps::parse(&hex(BASELINE_320X240)).unwrap();
    assert!(sps.constraint_set(1) && !sps.constraint_set(3) && !sps.constraint_set(9));
    assert_eq!(sps.sample_aspect_ratio, Some((1, 1)));
}

/// Field values of a hand-built SPS.
struct Build {
    profile: u8,
    flags: u8,
    level: u8,
    chroma: Option<u32>,
    scaling: bool,
    poc_type: u32,
    poc_cycle: u32,
    width_mbs_minus1: u32,
    height_units_minus1: u32,
    frame_mbs_only: bool,
    crop: Option<[u32; 4]>,
}

impl Default for Build {
    fn default() -> Build {
        Build {
            profile: 66,
            flags: 0,
            level: 30,
            chroma: None,
            scaling: false,
            poc_type: 2,
            poc_cycle: 0,
            width_mbs_minus1: 19,
            height_units_minus1: 14,
            frame_mbs_only: true,
            crop: None,
        }
    }
}

fn build(b: &Build) -> Vec<u8> {
    let mut w = BitWriter::new();
    w.write_bits(8, 0x67);
    w.write_bits(8, b.profile.into());
    w.write_bits(8, b.flags.into());
    w.write_bits(8, b.level.into());
    w.write_ue(0);
    if let Some(chroma) = b.chroma {
        w.write_ue(chroma);
        if chroma == 3 {
            w.write_flag(false);
        }
        w.write_ue(2); // 10-bit luma
        w.write_ue(2);
        w.write_flag(false);
        w.write_flag(b.scaling);
        if b.scaling {
            let lists = if chroma == 3 { 12 } else { 8 };
            for i in 0..lists {
                w.write_flag(true);
                let size = if i < 6 { 16 } else { 64 };
                // Deltas of +1 for every entry: no early stop.
                for _ in 0..size {
                    w.write_se(1);
                }
            }
        }
    }
    w.write_ue(0);
    w.write_ue(b.poc_type);
    match b.poc_type {
        0 => w.write_ue(2),
        1 => {
            w.write_flag(false);
            w.write_se(-3);
            w.write_se(5);
            w.write_ue(b.poc_cycle);
            for i in 0..b.poc_cycle.min(300) {
                w.write_se(i as i32 - 100);
            }
        }
        _ => {}
    }
    w.write_ue(1);
    w.write_flag(false);
    w.write_ue(b.width_mbs_minus1);
    w.write_ue(b.height_units_minus1);
    w.write_flag(b.frame_mbs_only);
    if !b.frame_mbs_only {
        w.write_flag(true);
    }
    w.write_flag(true);
    w.write_flag(b.crop.is_some());
    if let Some(c) = b.crop {
        for v in c {
            w.write_ue(v);
        }
    }
    w.write_flag(false);
    w.write_trailing_bits();
    add_emulation_prevention(&w.into_bytes())
}

#[test]
fn hand_built_variants() {
    let sps = Sps::parse(&build(&Build::default())).unwrap();
    assert_eq!((sps.width(), sps.height()), (320, 240));
    assert_eq!(sps.profile_name(), "Baseline");

    // 4:4:4 with all twelve scaling lists present, then cropping in 4:4:4 units.
    let b = Build {
        profile: 244,
        chroma: Some(3),
        scaling: true,
        crop: Some([1, 2, 3, 4]),
        ..Build::default()
    };
    let sps = Sps::parse(&build(&b)).unwrap();
    assert_eq!((sps.width(), sps.height()), (320 - 3, 240 - 7));
    assert_eq!((sps.bit_depth_luma, sps.bit_depth_chroma), (10, 10));
    assert!(sps.scaling_matrix_present);

    // 4:2:2 crops 2 horizontally, 1 vertically; interlaced doubles the vertical unit.
    let b = Build {
        profile: 122,
        chroma: Some(2),
        scaling: true,
        frame_mbs_only: false,
        crop: Some([1, 1, 1, 1]),
        ..Build::default()
    };
    let sps = Sps::parse(&build(&b)).unwrap();
    assert_eq!((sps.width(), sps.height()), (320 - 4, 480 - 4));
    assert_eq!(sps.profile_name(), "High 4:2:2");

    // Monochrome: crop unit 1.
    let b = Build {
        profile: 100,
        chroma: Some(0),
        crop: Some([0, 1, 0, 1]),
        ..Build::default()
    };
    let sps = Sps::parse(&build(&b)).unwrap();
    assert_eq!((sps.width(), sps.height()), (319, 239));

    // pic_order_cnt_type 0 and 1 (with the longest cycle allowed).
    for (poc_type, poc_cycle) in [(0, 0), (1, 0), (1, 255)] {
        let b = Build {
            poc_type,
            poc_cycle,
            ..Build::default()
        };
        let sps = Sps::parse(&build(&b)).unwrap();
        assert_eq!(sps.pic_order_cnt_type as u32, poc_type);
        assert_eq!((sps.width(), sps.height()), (320, 240));
    }
}

#[test]
fn levels() {
    let mut sps = Sps::parse(&build(&Build::default())).unwrap();
    for (profile, flags, level, want) in [
        (66, 0x10, 11, "1b"),
        (77, 0x10, 11, "1b"),
        (100, 0x10, 11, "1.1"),
        (100, 0, 9, "1b"),
        (66, 0, 11, "1.1"),
        (100, 0, 40, "4"),
        (100, 0, 51, "5.1"),
    ] {
        sps.profile_idc = profile;
        sps.constraint_flags = flags;
        sps.level_idc = level;
        assert_eq!(sps.level_string(), want, "{profile} {flags:x} {level}");
    }
}

#[test]
fn hostile_sizes_are_errors() {
    for (w, h) in [
        (u32::MAX - 1, 10),
        (10, u32::MAX - 1),
        (2048, 10),
        (10, 2048),
    ] {
        let b = Build {
            width_mbs_minus1: w,
            height_units_minus1: h,
            ..Build::default()
        };
        let err = Sps::parse(&build(&b)).unwrap_err();
        assert!(matches!(err, CodecError::TooLarge { .. }), "{err}");
    }
    // 32768 exactly is allowed, one macroblock more is not.
    let b = Build {
        width_mbs_minus1: 2047,
        ..Build::default()
    };
    assert_eq!(Sps::parse(&build(&b)).unwrap().width(), 32768);
    // Interlaced doubling counts against the limit too.
    let b = Build {
        height_units_minus1: 1500,
        frame_mbs_only: false,
        ..Build::default()
    };
    assert!(Sps::parse(&build(&b)).is_err());
    // Cropping everything away.
    for crop in [
        [160, 0, 0, 0],
        [0, 0, 0, 120],
        [u32::MAX - 1, u32::MAX - 1, 0, 0],
    ] {
        let b = Build {
            crop: Some(crop),
            ..Build::default()
        };
        let err = Sps::parse(&build(&b)).unwrap_err();
        assert!(matches!(err, CodecError::Invalid { .. }), "{err}");
    }
    // A pic_order_cnt cycle over 255.
    let b = Build {
        poc_type: 1,
        poc_cycle: 256,
        ..Build::default()
    };
    assert!(matches!(
        Sps::parse(&build(&b)),
        Err(CodecError::TooLarge { .. })
    ));
    // chroma_format_idc 4, pic_order_cnt_type 3.
    let b = Build {
        profile: 100,
        chroma: Some(4),
        ..Build::default()
    };
    assert!(Sps::parse(&build(&b)).is_err());
    let b = Build {
        poc_type: 3,
        ..Build::default()
    };
    assert!(Sps::parse(&build(&b)).is_err());
}

#[test]
fn not_an_sps_and_junk() {
    assert!(Sps::parse(&hex("68ebe3cb22c0")).is_err());
    assert!(Sps::parse(&[]).is_err());
    // 40 zero bits where seq_parameter_set_id should be.
    let err = Sps::parse(&[0x67, 0x42, 0, 0x1E, 0, 0, 0, 0, 0, 0x80]).unwrap_err();
    assert!(matches!(err, CodecError::Invalid { .. }), "{err}");
    for fill in [0x00, 0xFF, 0x55] {
        let mut data = vec![0x67, 100, 0, 40];
        data.extend(std::iter::repeat_n(fill, 64));
        let _ = Sps::parse(&data);
    }
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    for s in [
        HIGH_768X320,
        HIGH444_352X288,
        HIGH_1366X766,
        INTERLACED_720X576,
    ] {
        let data = hex(s);
        for n in 0..data.len() {
            // The VUI is optional reading, so a cut inside it still parses.
            if let Ok(sps) = Sps::parse(&data[..n]) {
                assert!(sps.vui_present, "{s} cut at {n}");
            }
        }
    }
    let data = build(&Build {
        profile: 244,
        chroma: Some(3),
        scaling: true,
        crop: Some([1, 2, 3, 4]),
        ..Build::default()
    });
    for n in 0..data.len() - 1 {
        assert!(Sps::parse(&data[..n]).is_err(), "cut at {n}");
    }
}
