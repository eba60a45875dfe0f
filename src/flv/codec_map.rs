//! Mapping between FLV's codec codes (legacy ids and Enhanced RTMP FourCCs) and [`Codec`].

use crate::media::{Codec, CodecTag};

use super::audio::{FlvAudioCodec, SoundFormat};
use super::fourcc::FourCc;
use super::video::{FlvVideoCodec, VideoCodecId};

/// The model's codec for an FLV audio codec code.
pub fn audio_codec(c: FlvAudioCodec) -> Codec {
    match c {
        FlvAudioCodec::Legacy(f) => match f {
            SoundFormat::PCM_PLATFORM => Codec::PcmPlatformEndian,
            SoundFormat::ADPCM => Codec::Adpcm,
            SoundFormat::MP3 | SoundFormat::MP3_8K => Codec::Mp3,
            SoundFormat::PCM_LE => Codec::PcmLittleEndian,
            SoundFormat::NELLYMOSER_16K => Codec::Nellymoser16kMono,
            SoundFormat::NELLYMOSER_8K => Codec::Nellymoser8kMono,
            SoundFormat::NELLYMOSER => Codec::Nellymoser,
            SoundFormat::G711_ALAW => Codec::G711ALaw,
            SoundFormat::G711_MULAW => Codec::G711MuLaw,
            SoundFormat::AAC => Codec::Aac,
            SoundFormat::SPEEX => Codec::Speex,
            SoundFormat(other) => Codec::Unknown(CodecTag::FlvAudio(other)),
        },
        FlvAudioCodec::FourCc(cc) => match cc {
            FourCc::OPUS => Codec::Opus,
            FourCc::FLAC => Codec::Flac,
            FourCc::AC3 => Codec::Ac3,
            FourCc::EAC3 => Codec::Eac3,
            FourCc::MP4A => Codec::Aac,
            FourCc::MP3 => Codec::Mp3,
            FourCc(other) => Codec::Unknown(CodecTag::FourCc(other)),
        },
    }
}

/// The model's codec for an FLV video codec code.
pub fn video_codec(c: FlvVideoCodec) -> Codec {
    match c {
        FlvVideoCodec::Legacy(id) => match id {
            VideoCodecId::SORENSON_H263 => Codec::SorensonH263,
            VideoCodecId::SCREEN_VIDEO => Codec::ScreenVideo,
            VideoCodecId::VP6 => Codec::Vp6,
            VideoCodecId::VP6_ALPHA => Codec::Vp6Alpha,
            VideoCodecId::SCREEN_VIDEO_2 => Codec::ScreenVideo2,
            VideoCodecId::AVC => Codec::H264,
            VideoCodecId(other) => Codec::Unknown(CodecTag::FlvVideo(other)),
        },
        FlvVideoCodec::FourCc(cc) => match cc {
            FourCc::AVC1 => Codec::H264,
            FourCc::HVC1 => Codec::Hevc,
            FourCc::AV01 => Codec::Av1,
            FourCc::VP09 => Codec::Vp9,
            FourCc(other) => Codec::Unknown(CodecTag::FourCc(other)),
        },
    }
}

/// How a codec is best written to FLV: its legacy code when it has one (what every player
/// reads), else its Enhanced RTMP FourCC. `None` when FLV cannot carry it.
pub fn flv_audio_code(codec: Codec) -> Option<FlvAudioCodec> {
    use FlvAudioCodec::{FourCc as Cc, Legacy};
    Some(match codec {
        Codec::PcmPlatformEndian => Legacy(SoundFormat::PCM_PLATFORM),
        Codec::Adpcm => Legacy(SoundFormat::ADPCM),
        Codec::Mp3 => Legacy(SoundFormat::MP3),
        Codec::PcmLittleEndian => Legacy(SoundFormat::PCM_LE),
        Codec::Nellymoser16kMono => Legacy(SoundFormat::NELLYMOSER_16K),
        Codec::Nellymoser8kMono => Legacy(SoundFormat::NELLYMOSER_8K),
        Codec::Nellymoser => Legacy(SoundFormat::NELLYMOSER),
        Codec::G711ALaw => Legacy(SoundFormat::G711_ALAW),
        Codec::G711MuLaw => Legacy(SoundFormat::G711_MULAW),
        Codec::Aac => Legacy(SoundFormat::AAC),
        Codec::Speex => Legacy(SoundFormat::SPEEX),
        Codec::Opus => Cc(FourCc::OPUS),
        Codec::Flac => Cc(FourCc::FLAC),
        Codec::Ac3 => Cc(FourCc::AC3),
        Codec::Eac3 => Cc(FourCc::EAC3),
        Codec::Unknown(CodecTag::FlvAudio(id)) => Legacy(SoundFormat(id)),
        Codec::Unknown(CodecTag::FourCc(cc)) => Cc(FourCc(cc)),
        _ => return None,
    })
}

/// See [`flv_audio_code`].
pub fn flv_video_code(codec: Codec) -> Option<FlvVideoCodec> {
    use FlvVideoCodec::{FourCc as Cc, Legacy};
    Some(match codec {
        Codec::SorensonH263 => Legacy(VideoCodecId::SORENSON_H263),
        Codec::ScreenVideo => Legacy(VideoCodecId::SCREEN_VIDEO),
        Codec::Vp6 => Legacy(VideoCodecId::VP6),
        Codec::Vp6Alpha => Legacy(VideoCodecId::VP6_ALPHA),
        Codec::ScreenVideo2 => Legacy(VideoCodecId::SCREEN_VIDEO_2),
        Codec::H264 => Legacy(VideoCodecId::AVC),
        Codec::Hevc => Cc(FourCc::HVC1),
        Codec::Av1 => Cc(FourCc::AV01),
        Codec::Vp9 => Cc(FourCc::VP09),
        Codec::Unknown(CodecTag::FlvVideo(id)) => Legacy(VideoCodecId(id)),
        Codec::Unknown(CodecTag::FourCc(cc)) => Cc(FourCc(cc)),
        _ => return None,
    })
}

/// The FourCC a codec takes inside an Enhanced RTMP multitrack tag (which has no legacy form).
pub fn multitrack_fourcc(codec: Codec) -> Option<FourCc> {
    Some(match codec {
        Codec::H264 => FourCc::AVC1,
        Codec::Hevc => FourCc::HVC1,
        Codec::Av1 => FourCc::AV01,
        Codec::Vp9 => FourCc::VP09,
        Codec::Aac => FourCc::MP4A,
        Codec::Mp3 => FourCc::MP3,
        Codec::Opus => FourCc::OPUS,
        Codec::Flac => FourCc::FLAC,
        Codec::Ac3 => FourCc::AC3,
        Codec::Eac3 => FourCc::EAC3,
        Codec::Unknown(CodecTag::FourCc(cc)) => FourCc(cc),
        _ => return None,
    })
}

/// The number onMetaData's `videocodecid`/`audiocodecid` takes: the legacy id, or the FourCC
/// as a big-endian number for enhanced codecs (Enhanced RTMP v1).
pub fn metadata_codec_id_audio(c: FlvAudioCodec) -> f64 {
    match c {
        FlvAudioCodec::Legacy(f) => f64::from(f.0),
        FlvAudioCodec::FourCc(cc) => f64::from(cc.as_u32()),
    }
}

/// See [`metadata_codec_id_audio`].
pub fn metadata_codec_id_video(c: FlvVideoCodec) -> f64 {
    match c {
        FlvVideoCodec::Legacy(id) => f64::from(id.0),
        FlvVideoCodec::FourCc(cc) => f64::from(cc.as_u32()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_maps_back() {
        for id in 0..16u8 {
            let c = audio_codec(FlvAudioCodec::Legacy(SoundFormat(id)));
            let back = flv_audio_code(c).unwrap();
            assert_eq!(audio_codec(back), c, "sound format {id}");
            let v = video_codec(FlvVideoCodec::Legacy(VideoCodecId(id)));
            assert_eq!(video_codec(flv_video_code(v).unwrap()), v, "codec id {id}");
        }
        for cc in [
            FourCc::OPUS,
            FourCc::FLAC,
            FourCc::AC3,
            FourCc::EAC3,
            FourCc(*b"zzzz"),
        ] {
            let c = audio_codec(FlvAudioCodec::FourCc(cc));
            assert_eq!(audio_codec(flv_audio_code(c).unwrap()), c);
        }
        for cc in [FourCc::HVC1, FourCc::AV01, FourCc::VP09, FourCc(*b"zzzz")] {
            let c = video_codec(FlvVideoCodec::FourCc(cc));
            assert_eq!(video_codec(flv_video_code(c).unwrap()), c);
        }
    }
}
