//! Audio tag bodies: legacy (SoundFormat + AACPacketType) and Enhanced RTMP (FourCC,
//! multitrack, ModEx). One parser serves FLV files and RTMP audio messages.

use bytes::{Buf, BufMut, Bytes};

use super::fourcc::{FourCc, MultitrackType, need, read_fourcc, read_mod_ex, read_multitrack};

/// A legacy SoundFormat (the high nibble of the first body byte). Open newtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SoundFormat(pub u8);

impl SoundFormat {
    /// Linear PCM, platform endian.
    pub const PCM_PLATFORM: SoundFormat = SoundFormat(0);
    /// ADPCM.
    pub const ADPCM: SoundFormat = SoundFormat(1);
    /// MP3.
    pub const MP3: SoundFormat = SoundFormat(2);
    /// Linear PCM, little endian.
    pub const PCM_LE: SoundFormat = SoundFormat(3);
    /// Nellymoser 16 kHz mono.
    pub const NELLYMOSER_16K: SoundFormat = SoundFormat(4);
    /// Nellymoser 8 kHz mono.
    pub const NELLYMOSER_8K: SoundFormat = SoundFormat(5);
    /// Nellymoser.
    pub const NELLYMOSER: SoundFormat = SoundFormat(6);
    /// G.711 A-law.
    pub const G711_ALAW: SoundFormat = SoundFormat(7);
    /// G.711 µ-law.
    pub const G711_MULAW: SoundFormat = SoundFormat(8);
    /// Enhanced RTMP: an extended header follows (was "reserved").
    pub const EX_HEADER: SoundFormat = SoundFormat(9);
    /// AAC.
    pub const AAC: SoundFormat = SoundFormat(10);
    /// Speex.
    pub const SPEEX: SoundFormat = SoundFormat(11);
    /// MP3 8 kHz.
    pub const MP3_8K: SoundFormat = SoundFormat(14);
    /// Device-specific sound.
    pub const DEVICE_SPECIFIC: SoundFormat = SoundFormat(15);
}

/// The SoundRate/SoundSize/SoundType bits of a legacy audio tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LegacyAudioFlags {
    /// 0 = 5.5 kHz, 1 = 11 kHz, 2 = 22 kHz, 3 = 44 kHz.
    pub rate_index: u8,
    /// 16-bit samples (else 8-bit).
    pub sample_16bit: bool,
    /// Stereo (else mono).
    pub stereo: bool,
}

impl LegacyAudioFlags {
    /// The nominal sample rate the index names.
    pub fn sample_rate(self) -> u32 {
        [5512, 11025, 22050, 44100][usize::from(self.rate_index & 3)]
    }

    /// The index that best describes `rate` (rates above 44.1 kHz map to 44 kHz, as ffmpeg does).
    pub fn rate_index_for(rate: u32) -> u8 {
        match rate {
            0..=8000 => 0,
            8001..=16000 => 1,
            16001..=32000 => 2,
            _ => 3,
        }
    }
}

/// Which codec an audio item is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlvAudioCodec {
    /// A legacy SoundFormat.
    Legacy(SoundFormat),
    /// An Enhanced RTMP FourCC.
    FourCc(FourCc),
}

/// What an audio item carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AudioPacketKind {
    /// The codec configuration (AAC AudioSpecificConfig, OpusHead, FLAC STREAMINFO, ...).
    SequenceHeader,
    /// Coded audio.
    Frame,
    /// End of the sequence (enhanced only).
    SequenceEnd,
    /// A channel layout description (enhanced only); kept raw.
    MultichannelConfig,
}

/// One audio payload of a tag (a multitrack tag holds several).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlvAudioItem {
    /// The codec.
    pub codec: FlvAudioCodec,
    /// The legacy rate/size/type bits (legacy tags only).
    pub legacy: Option<LegacyAudioFlags>,
    /// The multitrack track id (0 when the tag is not multitrack).
    pub track_id: u8,
    /// Whether the tag was multitrack.
    pub multitrack: bool,
    /// Configuration, frame, ...
    pub kind: AudioPacketKind,
    /// ModEx TimestampOffsetNano, when present: nanoseconds to add to the tag's timestamp.
    pub timestamp_offset_nanos: Option<u32>,
    /// The payload after the headers.
    pub data: Bytes,
}

/// A parsed audio tag body: one item, or several for a multitrack tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlvAudioTag {
    /// The common case.
    One(FlvAudioItem),
    /// An Enhanced RTMP multitrack tag.
    Multitrack(Vec<FlvAudioItem>),
}

impl FlvAudioTag {
    /// The items, in tag order.
    pub fn items(&self) -> &[FlvAudioItem] {
        match self {
            FlvAudioTag::One(item) => std::slice::from_ref(item),
            FlvAudioTag::Multitrack(items) => items,
        }
    }

    /// Parses an audio tag body (or RTMP audio message payload). The error says what is wrong;
    /// the caller adds where.
    pub fn parse(mut body: Bytes) -> Result<FlvAudioTag, String> {
        need(&body, 1, "audio header")?;
        let b0 = body.get_u8();
        let format = SoundFormat(b0 >> 4);
        if format != SoundFormat::EX_HEADER {
            let legacy = LegacyAudioFlags {
                rate_index: (b0 >> 2) & 3,
                sample_16bit: b0 & 2 != 0,
                stereo: b0 & 1 != 0,
            };
            let mut kind = AudioPacketKind::Frame;
            if format == SoundFormat::AAC {
                need(&body, 1, "aac packet type")?;
                kind = match body.get_u8() {
                    0 => AudioPacketKind::SequenceHeader,
                    1 => AudioPacketKind::Frame,
                    t => return Err(format!("unknown aac packet type {t}")),
                };
            }
            return Ok(FlvAudioTag::One(FlvAudioItem {
                codec: FlvAudioCodec::Legacy(format),
                legacy: Some(legacy),
                track_id: 0,
                multitrack: false,
                kind,
                timestamp_offset_nanos: None,
                data: body,
            }));
        }
        let mut packet_type = b0 & 0x0F;
        let mut nanos = None;
        if packet_type == MOD_EX_AUDIO {
            let (n, t) = read_mod_ex(&mut body)?;
            nanos = n;
            packet_type = t;
        }
        if packet_type == MULTITRACK {
            let (inner, tracks) = read_multitrack(&mut body)?;
            let kind = audio_kind(inner)?;
            let items = tracks
                .into_iter()
                .map(|t| FlvAudioItem {
                    codec: FlvAudioCodec::FourCc(t.cc),
                    legacy: None,
                    track_id: t.track_id,
                    multitrack: true,
                    kind,
                    timestamp_offset_nanos: nanos,
                    data: t.data,
                })
                .collect();
            return Ok(FlvAudioTag::Multitrack(items));
        }
        let kind = audio_kind(packet_type)?;
        let cc = read_fourcc(&mut body)?;
        Ok(FlvAudioTag::One(FlvAudioItem {
            codec: FlvAudioCodec::FourCc(cc),
            legacy: None,
            track_id: 0,
            multitrack: false,
            kind,
            timestamp_offset_nanos: nanos,
            data: body,
        }))
    }
}

const MULTITRACK: u8 = 5;
const MOD_EX_AUDIO: u8 = 7;

fn audio_kind(packet_type: u8) -> Result<AudioPacketKind, String> {
    Ok(match packet_type {
        0 => AudioPacketKind::SequenceHeader,
        1 => AudioPacketKind::Frame,
        2 => AudioPacketKind::SequenceEnd,
        4 => AudioPacketKind::MultichannelConfig,
        t => return Err(format!("unknown enhanced audio packet type {t}")),
    })
}

fn audio_packet_type(kind: AudioPacketKind) -> u8 {
    match kind {
        AudioPacketKind::SequenceHeader => 0,
        AudioPacketKind::Frame => 1,
        AudioPacketKind::SequenceEnd => 2,
        AudioPacketKind::MultichannelConfig => 4,
    }
}

/// Writes the header bytes of a legacy audio tag body (the payload follows).
pub fn write_legacy_audio_header(
    format: SoundFormat,
    flags: LegacyAudioFlags,
    kind: AudioPacketKind,
    out: &mut impl BufMut,
) {
    out.put_u8(
        format.0 << 4
            | (flags.rate_index & 3) << 2
            | u8::from(flags.sample_16bit) << 1
            | u8::from(flags.stereo),
    );
    if format == SoundFormat::AAC {
        out.put_u8(u8::from(kind != AudioPacketKind::SequenceHeader));
    }
}

/// Writes the header bytes of an enhanced audio tag body; `track_id` makes it a one-track
/// multitrack tag (for a second, third... audio track).
pub fn write_enhanced_audio_header(
    cc: FourCc,
    kind: AudioPacketKind,
    track_id: Option<u8>,
    out: &mut impl BufMut,
) {
    let pt = audio_packet_type(kind);
    match track_id {
        None => {
            out.put_u8(SoundFormat::EX_HEADER.0 << 4 | pt);
            out.put_slice(&cc.0);
        }
        Some(id) => {
            out.put_u8(SoundFormat::EX_HEADER.0 << 4 | MULTITRACK);
            out.put_u8(MultitrackType::OneTrack.bits() << 4 | pt);
            out.put_slice(&cc.0);
            out.put_u8(id);
        }
    }
}

/// The number of header bytes [`write_enhanced_audio_header`] / [`write_legacy_audio_header`]
/// write, for sizing the tag before writing it.
pub fn audio_header_len(enhanced: bool, aac: bool, multitrack: bool) -> usize {
    if enhanced {
        if multitrack { 7 } else { 5 }
    } else if aac {
        2
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_aac() {
        let t = FlvAudioTag::parse(Bytes::from_static(&[0xAF, 0x00, 0x12, 0x10])).unwrap();
        let item = &t.items()[0];
        assert_eq!(item.codec, FlvAudioCodec::Legacy(SoundFormat::AAC));
        assert_eq!(item.kind, AudioPacketKind::SequenceHeader);
        assert_eq!(&item.data[..], &[0x12, 0x10]);
        let f = item.legacy.unwrap();
        assert_eq!(
            (f.sample_rate(), f.sample_16bit, f.stereo),
            (44100, true, true)
        );
        let mut out = Vec::new();
        write_legacy_audio_header(SoundFormat::AAC, f, item.kind, &mut out);
        assert_eq!(out, [0xAF, 0x00]);
    }

    #[test]
    fn enhanced_and_multitrack_round_trip() {
        for track in [None, Some(3u8)] {
            let mut body = Vec::new();
            write_enhanced_audio_header(FourCc::OPUS, AudioPacketKind::Frame, track, &mut body);
            assert_eq!(body.len(), audio_header_len(true, false, track.is_some()));
            body.extend_from_slice(b"payload");
            let t = FlvAudioTag::parse(Bytes::from(body)).unwrap();
            let item = &t.items()[0];
            assert_eq!(item.codec, FlvAudioCodec::FourCc(FourCc::OPUS));
            assert_eq!(item.track_id, track.unwrap_or(0));
            assert_eq!(&item.data[..], b"payload");
        }
    }

    #[test]
    fn many_tracks_many_codecs() {
        let mut b = vec![0x95, 0x21];
        b.extend_from_slice(b"Opus");
        b.extend_from_slice(&[1, 0, 0, 2, 0xAA, 0xBB]);
        b.extend_from_slice(b"ac-3");
        b.extend_from_slice(&[2, 0, 0, 1, 0xCC]);
        let t = FlvAudioTag::parse(Bytes::from(b)).unwrap();
        assert_eq!(t.items().len(), 2);
        assert_eq!(t.items()[1].codec, FlvAudioCodec::FourCc(FourCc::AC3));
        assert_eq!(&t.items()[1].data[..], &[0xCC]);
    }

    #[test]
    fn mod_ex_timestamp_offset() {
        // ex header, ModEx; size 3 (stored as 2); nanos 0x000100; then type 0 << 4 | CodedFrames
        let mut b = vec![0x97, 2, 0x00, 0x01, 0x00, 0x01];
        b.extend_from_slice(b"fLaC");
        b.push(0x42);
        let t = FlvAudioTag::parse(Bytes::from(b)).unwrap();
        assert_eq!(t.items()[0].timestamp_offset_nanos, Some(256));
        assert_eq!(t.items()[0].kind, AudioPacketKind::Frame);
    }

    #[test]
    fn truncated_never_panics() {
        let mut b = vec![0x95, 0x11];
        b.extend_from_slice(b"Opus");
        b.extend_from_slice(&[1, 0, 0, 9, 1, 2]);
        for n in 0..b.len() {
            let _ = FlvAudioTag::parse(Bytes::copy_from_slice(&b[..n]));
        }
        assert!(FlvAudioTag::parse(Bytes::from(b)).is_err()); // size 9 past the end
        assert!(FlvAudioTag::parse(Bytes::new()).is_err());
        assert!(FlvAudioTag::parse(Bytes::from_static(&[0xAF])).is_err());
    }
}
