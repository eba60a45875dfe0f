//! The MPEG audio frame header (MP3 and its Layer I/II siblings): ISO/IEC 11172-3 §2.4.1.3
//! and §2.4.2.3 for MPEG-1, ISO/IEC 13818-3 for the MPEG-2 low sampling rates, and the
//! unofficial but universal MPEG-2.5 extension (8, 11.025 and 12 kHz).
//!
//! Every frame starts with this 4-byte header, so an MP3 demuxer finds frames by it and
//! learns each frame's length from it; FLV and MPEG-TS carry the frames whole.

use crate::codec::CodecError;

const WHAT: &str = "mpeg audio header";

/// The codec string HLS uses for MP3: Apple's HLS authoring specification names MPEG Layer III
/// audio by its MPEG-4 audio object type 34 (`mp4a.40.34`), and hls.js accepts it. (RFC 6381's
/// object-type-indication form, `mp4a.6B` / `mp4a.69`, is what MP4 sample entries imply; see
/// [`MpegAudioHeader::codec_string_oti`].)
pub const MP3_CODEC_STRING: &str = "mp4a.40.34";

/// Which MPEG audio standard a frame follows; it sets the sample-rate table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MpegVersion {
    /// MPEG-1 (ISO/IEC 11172-3): 32, 44.1, 48 kHz.
    Mpeg1,
    /// MPEG-2 LSF (ISO/IEC 13818-3): 16, 22.05, 24 kHz.
    Mpeg2,
    /// MPEG-2.5 (Fraunhofer extension): 8, 11.025, 12 kHz.
    Mpeg25,
}

/// The coding layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MpegLayer {
    /// Layer I.
    Layer1,
    /// Layer II (MP2).
    Layer2,
    /// Layer III (MP3).
    Layer3,
}

/// The channel mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChannelMode {
    /// Two independent channels coded as stereo.
    Stereo,
    /// Stereo using intensity and/or mid-side coding (see `mode_extension`).
    JointStereo,
    /// Two unrelated mono channels.
    DualChannel,
    /// One channel.
    Mono,
}

/// A parsed MPEG audio frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MpegAudioHeader {
    /// MPEG-1, 2 or 2.5.
    pub version: MpegVersion,
    /// Layer I, II or III.
    pub layer: MpegLayer,
    /// Whether a 16-bit CRC follows the header (the wire bit is inverted:
    /// `protection_bit` 0 means protected).
    pub protection: bool,
    /// Bit rate in bit/s; `None` for free format (bitrate index 0), whose frame length only
    /// the distance to the next header tells.
    pub bitrate: Option<u32>,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Whether the frame has one padding slot.
    pub padding: bool,
    /// The private bit.
    pub private: bool,
    /// Stereo, joint stereo, dual channel or mono.
    pub channel_mode: ChannelMode,
    /// `mode_extension` (2 bits): which joint-stereo tools are on.
    pub mode_extension: u8,
    /// The copyright bit.
    pub copyright: bool,
    /// The original/copy bit (true: original).
    pub original: bool,
    /// `emphasis` (2 bits: none, 50/15 µs, reserved, CCITT J.17); kept as read.
    pub emphasis: u8,
}

/// kbit/s by bitrate index 1..=14 (§2.4.2.3 and 13818-3 Table 2.4.2.3).
const BITRATES_V1_L1: [u16; 14] = [
    32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
];
const BITRATES_V1_L2: [u16; 14] = [
    32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
];
const BITRATES_V1_L3: [u16; 14] = [
    32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];
const BITRATES_V2_L1: [u16; 14] = [
    32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
];
const BITRATES_V2_L23: [u16; 14] = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

/// MPEG-1 sample rates by index 0..=2; MPEG-2 halves them, MPEG-2.5 quarters them.
const SAMPLE_RATES_V1: [u32; 3] = [44100, 48000, 32000];

impl MpegAudioHeader {
    /// Bytes of the header.
    pub const LEN: usize = 4;

    /// Parses the header at the start of `data`.
    ///
    /// Rejects a missing 11-bit sync word, the reserved version and layer, bitrate index 15
    /// and the reserved sample-rate index: the checks that tell a real frame from a stray
    /// `0xFF` when scanning.
    pub fn parse(data: &[u8]) -> Result<MpegAudioHeader, CodecError> {
        match data.first_chunk::<4>() {
            Some(h) => Self::from_bytes(*h),
            None => Err(CodecError::Truncated {
                what: WHAT,
                offset: data.len(),
            }),
        }
    }

    /// Parses a 4-byte header.
    pub fn from_bytes(h: [u8; 4]) -> Result<MpegAudioHeader, CodecError> {
        let invalid = |offset, reason: &str| CodecError::invalid(WHAT, offset, reason);
        if h[0] != 0xFF || h[1] & 0xE0 != 0xE0 {
            return Err(invalid(0, "no 11-bit sync word"));
        }
        let version = match (h[1] >> 3) & 3 {
            0 => MpegVersion::Mpeg25,
            2 => MpegVersion::Mpeg2,
            3 => MpegVersion::Mpeg1,
            _ => return Err(invalid(1, "reserved version")),
        };
        let layer = match (h[1] >> 1) & 3 {
            1 => MpegLayer::Layer3,
            2 => MpegLayer::Layer2,
            3 => MpegLayer::Layer1,
            _ => return Err(invalid(1, "reserved layer")),
        };
        let bitrate_index = h[2] >> 4;
        let bitrate = match bitrate_index {
            0 => None,
            15 => return Err(invalid(2, "bitrate index 15")),
            i => {
                let table = match (version, layer) {
                    (MpegVersion::Mpeg1, MpegLayer::Layer1) => &BITRATES_V1_L1,
                    (MpegVersion::Mpeg1, MpegLayer::Layer2) => &BITRATES_V1_L2,
                    (MpegVersion::Mpeg1, MpegLayer::Layer3) => &BITRATES_V1_L3,
                    (_, MpegLayer::Layer1) => &BITRATES_V2_L1,
                    _ => &BITRATES_V2_L23,
                };
                table
                    .get(usize::from(i) - 1)
                    .map(|&kbps| u32::from(kbps) * 1000)
            }
        };
        let base_rate = SAMPLE_RATES_V1
            .get(usize::from((h[2] >> 2) & 3))
            .copied()
            .ok_or_else(|| invalid(2, "reserved sample rate index"))?;
        let sample_rate = match version {
            MpegVersion::Mpeg1 => base_rate,
            MpegVersion::Mpeg2 => base_rate / 2,
            MpegVersion::Mpeg25 => base_rate / 4,
        };
        let channel_mode = match h[3] >> 6 {
            0 => ChannelMode::Stereo,
            1 => ChannelMode::JointStereo,
            2 => ChannelMode::DualChannel,
            _ => ChannelMode::Mono,
        };
        Ok(MpegAudioHeader {
            version,
            layer,
            protection: h[1] & 1 == 0,
            bitrate,
            sample_rate,
            padding: h[2] & 0x02 != 0,
            private: h[2] & 0x01 != 0,
            channel_mode,
            mode_extension: (h[3] >> 4) & 3,
            copyright: h[3] & 0x08 != 0,
            original: h[3] & 0x04 != 0,
            emphasis: h[3] & 3,
        })
    }

    /// Samples per channel in one frame: 384 for Layer I, 1152 for Layer II and MPEG-1
    /// Layer III, 576 for MPEG-2/2.5 Layer III.
    pub fn samples_per_frame(&self) -> u32 {
        match (self.layer, self.version) {
            (MpegLayer::Layer1, _) => 384,
            (MpegLayer::Layer2, _) | (MpegLayer::Layer3, MpegVersion::Mpeg1) => 1152,
            (MpegLayer::Layer3, _) => 576,
        }
    }

    /// Bytes of the whole frame, header included; `None` for free format.
    ///
    /// Layer I counts 4-byte slots: `(12 * bitrate / sample_rate + padding) * 4`; Layers II and
    /// III count bytes: `samples / 8 * bitrate / sample_rate + padding`, which is 144 *
    /// bitrate / sample_rate, or 72 for MPEG-2/2.5 Layer III.
    pub fn frame_len(&self) -> Option<usize> {
        let bitrate = u64::from(self.bitrate?);
        let rate = u64::from(self.sample_rate);
        let pad = u64::from(self.padding);
        let len = match self.layer {
            MpegLayer::Layer1 => (12 * bitrate / rate + pad) * 4,
            _ => u64::from(self.samples_per_frame()) / 8 * bitrate / rate + pad,
        };
        usize::try_from(len).ok()
    }

    /// Output channels: 1 for mono, else 2.
    pub fn channels(&self) -> u8 {
        match self.channel_mode {
            ChannelMode::Mono => 1,
            _ => 2,
        }
    }

    /// The HLS codec string: `mp4a.40.34` for Layer III (see [`MP3_CODEC_STRING`]), and by
    /// the same MPEG-4 audio object types `mp4a.40.33` for Layer II and `mp4a.40.32` for
    /// Layer I.
    pub fn codec_string(&self) -> String {
        let object_type = match self.layer {
            MpegLayer::Layer1 => 32,
            MpegLayer::Layer2 => 33,
            MpegLayer::Layer3 => 34,
        };
        format!("mp4a.40.{object_type}")
    }

    /// The RFC 6381 object-type-indication form: `mp4a.6B` (MPEG-1 audio, ISO/IEC 11172-3)
    /// or `mp4a.69` (MPEG-2 audio, ISO/IEC 13818-3, which also covers MPEG-2.5), as an MP4
    /// `esds` would declare it.
    pub fn codec_string_oti(&self) -> &'static str {
        match self.version {
            MpegVersion::Mpeg1 => "mp4a.6B",
            _ => "mp4a.69",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::tests::hex;

    /// (header, next frame's offset) from `ffmpeg -f lavfi -i sine=frequency=440:sample_rate=R
    /// -t 0.3 -c:a libmp3lame -b:a 32k -write_xing 0 -id3v2_version 0 mp3_R.mp3`, and for the
    /// last two `-ac 2 -b:a 128k` MP3 and `-c:a mp2 -b:a 192k -f mp2` at 48 kHz; ffprobe agreed
    /// on rate, channels and bit rate for each.
    const FRAMES: [(&str, u32, u32, u8, usize); 9] = [
        ("ffe348c4", 8000, 32000, 1, 288),
        ("ffe340c4", 11025, 32000, 1, 208),
        ("fff348c4", 16000, 32000, 1, 144),
        ("fff340c4", 22050, 32000, 1, 104),
        ("fffb18c4", 32000, 32000, 1, 144),
        ("fffb10c4", 44100, 32000, 1, 104),
        ("fffb14c4", 48000, 32000, 1, 96),
        ("fffb9064", 44100, 128000, 2, 417),
        ("fffda404", 48000, 192000, 2, 576),
    ];

    #[test]
    fn lame_and_mp2_headers_match_ffprobe() {
        for (s, rate, bitrate, channels, len) in FRAMES {
            let h = MpegAudioHeader::parse(&hex(s)).unwrap();
            assert_eq!(h.sample_rate, rate, "{s}");
            assert_eq!(h.bitrate, Some(bitrate), "{s}");
            assert_eq!(h.channels(), channels, "{s}");
            assert_eq!(h.frame_len(), Some(len), "{s}");
        }
        let h = MpegAudioHeader::parse(&hex("ffe348c4")).unwrap();
        assert_eq!(
            (h.version, h.layer),
            (MpegVersion::Mpeg25, MpegLayer::Layer3)
        );
        assert_eq!(h.samples_per_frame(), 576);
        assert_eq!(h.codec_string(), MP3_CODEC_STRING);
        assert_eq!(h.codec_string_oti(), "mp4a.69");
        assert!(!h.protection && !h.padding && h.original && h.channel_mode == ChannelMode::Mono);
        let h = MpegAudioHeader::parse(&hex("fffb9064")).unwrap();
        assert_eq!(
            (h.version, h.samples_per_frame()),
            (MpegVersion::Mpeg1, 1152)
        );
        assert_eq!(
            (h.channel_mode, h.mode_extension),
            (ChannelMode::JointStereo, 2)
        );
        assert_eq!(h.codec_string_oti(), "mp4a.6B");
        let h = MpegAudioHeader::parse(&hex("fffda404")).unwrap();
        assert_eq!((h.layer, h.samples_per_frame()), (MpegLayer::Layer2, 1152));
        assert_eq!(h.codec_string(), "mp4a.40.33");
        assert!(!h.protection && h.channel_mode == ChannelMode::Stereo);
        let protected = MpegAudioHeader::from_bytes([0xFF, 0xFC, 0xA4, 0x04]).unwrap();
        assert!(protected.protection);
    }

    #[test]
    fn padding_adds_a_slot() {
        // The second lame frames at 22050 and 44100 Hz are padded: 105 bytes.
        for s in ["fff342c4", "fffb12c4"] {
            assert_eq!(
                MpegAudioHeader::parse(&hex(s)).unwrap().frame_len(),
                Some(105)
            );
        }
        // 128 kbit/s stereo padded: 418 (ffmpeg's second frame starts 417 after the first).
        let h = MpegAudioHeader::parse(&hex("fffb9264")).unwrap();
        assert_eq!(h.frame_len(), Some(418));
    }

    #[test]
    fn layer_one() {
        // Hand-built MPEG-1 Layer I, 384 kbit/s, 44100 Hz, stereo: (12 * 384000 / 44100) * 4.
        let h = MpegAudioHeader::from_bytes([0xFF, 0xFF, 0xC0, 0x00]).unwrap();
        assert_eq!((h.layer, h.samples_per_frame()), (MpegLayer::Layer1, 384));
        assert_eq!(h.frame_len(), Some(416));
        let h = MpegAudioHeader::from_bytes([0xFF, 0xFF, 0xC2, 0x00]).unwrap();
        assert_eq!(h.frame_len(), Some(420));
        assert_eq!(h.codec_string(), "mp4a.40.32");
        // MPEG-2 Layer I, 256 kbit/s at 24000 Hz: (12 * 256000 / 24000) * 4 = 512.
        let h = MpegAudioHeader::from_bytes([0xFF, 0xF7, 0xE4, 0x00]).unwrap();
        assert_eq!((h.sample_rate, h.bitrate), (24000, Some(256000)));
        assert_eq!(h.frame_len(), Some(512));
    }

    #[test]
    fn free_format_and_invalid_headers() {
        let h = MpegAudioHeader::from_bytes([0xFF, 0xFB, 0x00, 0xC4]).unwrap();
        assert_eq!((h.bitrate, h.frame_len()), (None, None));
        for (bytes, reason) in [
            ([0xFF, 0xFB, 0xF0, 0xC4], "bitrate index 15"),
            ([0xFF, 0xFB, 0x1C, 0xC4], "reserved sample rate index"),
            ([0xFF, 0xEB, 0x10, 0xC4], "reserved version"),
            ([0xFF, 0xF9, 0x10, 0xC4], "reserved layer"),
            ([0xFE, 0xFB, 0x10, 0xC4], "no 11-bit sync word"),
            ([0xFF, 0x1B, 0x10, 0xC4], "no 11-bit sync word"),
        ] {
            let err = MpegAudioHeader::from_bytes(bytes).unwrap_err();
            assert!(err.to_string().contains(reason), "{bytes:x?}: {err}");
        }
        for n in 0..4 {
            assert!(matches!(
                MpegAudioHeader::parse(&hex("fffb9064")[..n]),
                Err(CodecError::Truncated { .. })
            ));
        }
        // Every header value: parse never panics, and a valid frame is never shorter than
        // its header.
        for b1 in 0xE0..=0xFFu8 {
            for b2 in 0..=0xFFu8 {
                if let Ok(h) = MpegAudioHeader::from_bytes([0xFF, b1, b2, 0]) {
                    assert!(h.frame_len().is_none_or(|l| l > MpegAudioHeader::LEN));
                }
            }
        }
    }
}
