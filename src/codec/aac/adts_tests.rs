//! ADTS tests against ffmpeg's `-f adts` output.

use super::super::asc::tests::{ASC_LC_44100_STEREO, ASC_LC_48000_MONO_SYNC_EXT};
use super::*;
use crate::codec::tests::hex;

/// The first headers of `ffmpeg -f lavfi -i sine=frequency=440:sample_rate=44100 -ac 2 -t 0.2
/// -c:a aac -f adts lc.aac` (frames at offsets 0 and 345, lengths 345 and 415); ffprobe: LC,
/// 44100 Hz, 2 channels.
const ADTS_LC_44100_STEREO: [(&str, u16); 2] = [("fff150802b3ffc", 345), ("fff1508033fffc", 415)];
/// The first header of the same command at 48000 Hz mono (frame length 219).
const ADTS_LC_48000_MONO: &str = "fff14c401b7ffc";

#[test]
fn parses_ffmpeg_headers() {
    for (s, len) in ADTS_LC_44100_STEREO {
        let h = AdtsHeader::parse(&hex(s)).unwrap();
        assert_eq!(h.frame_length, len);
        assert_eq!(
            (h.object_type, h.sampling_index, h.channel_config),
            (2, 4, 2)
        );
        assert_eq!((h.sample_rate(), h.header_len()), (44100, 7));
        assert_eq!(h.payload_len(), usize::from(len) - 7);
        assert_eq!(
            (h.buffer_fullness, h.raw_blocks, h.mpeg2),
            (0x7FF, 0, false)
        );
        assert!(h.protection_absent && h.crc.is_none());
        let asc = h.to_audio_specific_config().unwrap();
        assert_eq!(asc.to_bytes(), hex(ASC_LC_44100_STEREO));
    }
    let h = AdtsHeader::parse(&hex(ADTS_LC_48000_MONO)).unwrap();
    assert_eq!(
        (h.sample_rate(), h.channel_config, h.frame_length),
        (48000, 1, 219)
    );
}

#[test]
fn writes_what_ffmpeg_writes() {
    for (asc, header, len) in [
        (ASC_LC_44100_STEREO, ADTS_LC_44100_STEREO[0].0, 345),
        (ASC_LC_44100_STEREO, ADTS_LC_44100_STEREO[1].0, 415),
        (ASC_LC_48000_MONO_SYNC_EXT, ADTS_LC_48000_MONO, 219),
    ] {
        let asc = AudioSpecificConfig::parse(&hex(asc)).unwrap();
        let mut out = Vec::new();
        AdtsHeader::write(&asc, len - 7, &mut out).unwrap();
        assert_eq!(out, hex(header));
    }
}

#[test]
fn write_refuses_what_adts_cannot_carry() {
    let cases = [
        ("f94640", "audio object type 42"),
        ("178055f010", "sampling frequency index 15 (44000 Hz)"),
        ("1214", "960-sample frames"),
    ];
    for (asc, reason) in cases {
        let asc = AudioSpecificConfig::parse(&hex(asc)).unwrap();
        let mut out = Vec::new();
        let err = AdtsHeader::write(&asc, 100, &mut out).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("adts header: cannot express {reason}")
        );
        assert!(out.is_empty());
    }
    // Largest frame, and one byte more.
    let asc = AudioSpecificConfig::parse(&hex(ASC_LC_44100_STEREO)).unwrap();
    let mut out = Vec::new();
    AdtsHeader::write(&asc, ADTS_MAX_FRAME_LEN - 7, &mut out).unwrap();
    assert_eq!(AdtsHeader::parse(&out).unwrap().frame_length, 8191);
    let err = AdtsHeader::write(&asc, ADTS_MAX_FRAME_LEN - 6, &mut Vec::new()).unwrap_err();
    assert!(matches!(err, CodecError::TooLarge { value: 8192, .. }));
    assert!(AdtsHeader::write(&asc, usize::MAX, &mut Vec::new()).is_err());
    // HE-AAC is written as its LC core at the core rate.
    let he = AudioSpecificConfig::parse(&hex("2b920800")).unwrap();
    let mut out = Vec::new();
    AdtsHeader::write(&he, 10, &mut out).unwrap();
    let h = AdtsHeader::parse(&out).unwrap();
    assert_eq!(
        (h.object_type, h.sample_rate(), h.channel_config),
        (2, 22050, 2)
    );
}

#[test]
fn crc_headers() {
    // The 44.1 kHz header with protection_absent cleared and a CRC appended.
    let mut data = hex(ADTS_LC_44100_STEREO[0].0);
    data[1] &= !1;
    data.extend([0xAB, 0xCD]);
    let h = AdtsHeader::parse(&data).unwrap();
    assert_eq!(
        (h.header_len(), h.crc, h.payload_len()),
        (9, Some(0xABCD), 336)
    );
    assert!(AdtsHeader::parse(&data[..8]).is_err());
}

#[test]
fn hostile_headers() {
    let good = hex(ADTS_LC_44100_STEREO[0].0);
    for n in 0..7 {
        assert!(matches!(
            AdtsHeader::parse(&good[..n]),
            Err(CodecError::Truncated { .. })
        ));
    }
    // No sync word; layer 1; reserved sampling index 13.
    assert!(AdtsHeader::parse(&[0xFF, 0xE1, 0x50, 0x80, 0x2B, 0x3F, 0xFC]).is_err());
    assert!(AdtsHeader::parse(&[0xFF, 0xF3, 0x50, 0x80, 0x2B, 0x3F, 0xFC]).is_err());
    assert!(AdtsHeader::parse(&[0xFF, 0xF1, 0x74, 0x80, 0x2B, 0x3F, 0xFC]).is_err());
    // frame_length 6 and 0, smaller than the header.
    for len in [0u16, 6] {
        let mut h = good.clone();
        h[3] = (h[3] & !3) | (len >> 11) as u8;
        h[4] = (len >> 3) as u8;
        h[5] = (h[5] & 0x1F) | ((len & 7) << 5) as u8;
        let err = AdtsHeader::parse(&h).unwrap_err();
        assert!(
            err.to_string().contains("shorter than the 7-byte header"),
            "{err}"
        );
    }
    // With a CRC, 8 is still too short.
    let mut h = good.clone();
    h[1] &= !1;
    h[4] = 1;
    h[5] &= 0x1F;
    h.extend([0, 0]);
    assert!(AdtsHeader::parse(&h).is_err());
    // Channel configuration 0 cannot become a config without its PCE.
    let mut h = good;
    h[3] &= 0x3F;
    let parsed = AdtsHeader::parse(&h).unwrap();
    assert!(parsed.to_audio_specific_config().is_err());
}

#[test]
fn splits_concatenated_frames() {
    let asc = AudioSpecificConfig::parse(&hex(ASC_LC_44100_STEREO)).unwrap();
    let mut data = Vec::new();
    for (i, len) in [5usize, 0, 300].into_iter().enumerate() {
        AdtsHeader::write(&asc, len, &mut data).unwrap();
        data.extend(std::iter::repeat_n(i as u8, len));
    }
    let frames: Vec<_> = adts_frames(&data).collect::<Result<_, _>>().unwrap();
    assert_eq!(frames.len(), 3);
    assert_eq!(frames[0].1, [0; 5]);
    assert!(frames[1].1.is_empty());
    assert_eq!(frames[2].1.len(), 300);
    // The last frame cut short: two frames, then one error at the right offset.
    let items: Vec<_> = adts_frames(&data[..data.len() - 1]).collect();
    assert_eq!(items.len(), 3);
    assert_eq!(
        items[2].clone().unwrap_err(),
        CodecError::Truncated {
            what: "adts frame",
            offset: data.len() - 1
        }
    );
    // Junk after the first frame.
    let mut junk = data[..12].to_vec();
    junk.extend([1, 2, 3, 4, 5, 6, 7, 8]);
    let items: Vec<_> = adts_frames(&junk).collect();
    assert!(matches!(
        items[..],
        [Ok(_), Err(CodecError::Invalid { offset: 12, .. })]
    ));
    for n in 0..data.len() {
        let _ = adts_frames(&data[..n]).count();
    }
}
