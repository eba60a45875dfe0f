//! The elementary-stream model every container speaks: [`Track`], [`Packet`], and the
//! [`Demuxer`] and [`Muxer`] traits.
//!
//! A conversion is always `bytes -> Demuxer -> (Track, Packet*) -> Muxer -> bytes`. Demuxers
//! turn their container's framing into packets in a *canonical* payload form (the MP4/FLV form:
//! length-prefixed NAL units without in-band parameter sets, raw AAC frames, whole MP3 frames), so
//! any muxer can take any demuxer's packets; muxers convert from that form to what their
//! container needs (Annex B, ADTS, ...).

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use crate::error::Result;
use crate::time::{TimeBase, Timestamp};

/// What kind of elementary stream a track carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// Pictures.
    Video,
    /// Sound.
    Audio,
    /// Timed data that is neither: script/metadata messages, timed ID3.
    Data,
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            MediaKind::Data => "data",
        })
    }
}

/// Where an unknown codec came from, kept so it can be written back unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CodecTag {
    /// A legacy FLV audio SoundFormat (4 bits).
    FlvAudio(u8),
    /// A legacy FLV video CodecID (4 bits).
    FlvVideo(u8),
    /// An Enhanced RTMP FourCC.
    FourCc([u8; 4]),
}

impl fmt::Display for CodecTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecTag::FlvAudio(id) => write!(f, "flv-audio-{id}"),
            CodecTag::FlvVideo(id) => write!(f, "flv-video-{id}"),
            CodecTag::FourCc(cc) => write!(f, "{}", String::from_utf8_lossy(cc)),
        }
    }
}

/// The codec of a track.
///
/// Only what the model can describe gets a name; anything else is [`Codec::Unknown`] with the
/// container's own code, and its packets pass through untouched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// H.264 / AVC (ISO/IEC 14496-10); config: `avcC`.
    #[doc(alias = "AVC")]
    H264,
    /// H.265 / HEVC (ISO/IEC 23008-2); config: `hvcC`.
    #[doc(alias = "H265")]
    Hevc,
    /// AV1; config: `av1C`.
    Av1,
    /// VP9; config: `vpcC`.
    Vp9,
    /// On2 VP6 (FLV CodecID 4); the payload keeps its leading adjustment byte.
    Vp6,
    /// On2 VP6 with alpha channel (FLV CodecID 5).
    Vp6Alpha,
    /// Sorenson H.263 (FLV CodecID 2).
    SorensonH263,
    /// Macromedia Screen Video (FLV CodecID 3).
    ScreenVideo,
    /// Screen Video version 2 (FLV CodecID 6).
    ScreenVideo2,
    /// AAC (ISO/IEC 14496-3); config: AudioSpecificConfig; packets are raw frames.
    Aac,
    /// MPEG-1/2/2.5 Layer III; packets are whole frames.
    Mp3,
    /// MPEG-1/2 Audio Layer I or II (MP1/MP2); packets are whole frames.
    Mp2,
    /// Opus; config: `dOps`/OpusHead.
    Opus,
    /// FLAC; config: the metadata blocks.
    Flac,
    /// Dolby AC-3.
    Ac3,
    /// Dolby E-AC-3.
    Eac3,
    /// Linear PCM in the platform's byte order (FLV SoundFormat 0).
    PcmPlatformEndian,
    /// Linear PCM, little endian (FLV SoundFormat 3).
    PcmLittleEndian,
    /// Flash ADPCM (FLV SoundFormat 1).
    Adpcm,
    /// Nellymoser 16 kHz mono (FLV SoundFormat 4).
    Nellymoser16kMono,
    /// Nellymoser 8 kHz mono (FLV SoundFormat 5).
    Nellymoser8kMono,
    /// Nellymoser (FLV SoundFormat 6).
    Nellymoser,
    /// G.711 A-law (FLV SoundFormat 7).
    G711ALaw,
    /// G.711 µ-law (FLV SoundFormat 8).
    G711MuLaw,
    /// Speex (FLV SoundFormat 11).
    Speex,
    /// FLV/RTMP script data: each packet is the AMF0 body of one script tag (name + value).
    FlvScript,
    /// Timed ID3: each packet is one complete ID3v2 tag shown at its timestamp (MPEG-TS stream
    /// type 0x15, HLS timed metadata).
    #[doc(alias = "ID3")]
    TimedId3,
    /// A codec the model cannot describe, identified by its container code.
    Unknown(CodecTag),
}

impl Codec {
    /// The kind of stream this codec belongs to, where the codec alone says it.
    pub fn kind(self) -> Option<MediaKind> {
        use Codec::*;
        Some(match self {
            H264 | Hevc | Av1 | Vp9 | Vp6 | Vp6Alpha | SorensonH263 | ScreenVideo
            | ScreenVideo2 => MediaKind::Video,
            Aac | Mp3 | Mp2 | Opus | Flac | Ac3 | Eac3 | PcmPlatformEndian | PcmLittleEndian
            | Adpcm | Nellymoser16kMono | Nellymoser8kMono | Nellymoser | G711ALaw | G711MuLaw
            | Speex => MediaKind::Audio,
            FlvScript | TimedId3 => MediaKind::Data,
            Unknown(CodecTag::FlvAudio(_)) => MediaKind::Audio,
            Unknown(CodecTag::FlvVideo(_)) => MediaKind::Video,
            Unknown(CodecTag::FourCc(_)) => return None,
        })
    }

    /// A short lowercase name (ffprobe's `codec_name` where one exists).
    pub fn name(self) -> String {
        use Codec::*;
        match self {
            H264 => "h264",
            Hevc => "hevc",
            Av1 => "av1",
            Vp9 => "vp9",
            Vp6 => "vp6f",
            Vp6Alpha => "vp6a",
            SorensonH263 => "flv1",
            ScreenVideo => "flashsv",
            ScreenVideo2 => "flashsv2",
            Aac => "aac",
            Mp3 => "mp3",
            Mp2 => "mp2",
            Opus => "opus",
            Flac => "flac",
            Ac3 => "ac3",
            Eac3 => "eac3",
            PcmPlatformEndian => "pcm",
            PcmLittleEndian => "pcm_le",
            Adpcm => "adpcm_swf",
            Nellymoser16kMono | Nellymoser8kMono | Nellymoser => "nellymoser",
            G711ALaw => "pcm_alaw",
            G711MuLaw => "pcm_mulaw",
            Speex => "speex",
            FlvScript => "flv_script",
            TimedId3 => "timed_id3",
            Unknown(tag) => return format!("unknown({tag})"),
        }
        .to_owned()
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Audio parameters a container states outside the codec's own configuration record.
///
/// For codecs with a record (AAC) the record wins; these are what the container said and what
/// a muxer needs for codecs without one (PCM, MP3, G.711, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AudioParams {
    /// Samples per second.
    pub sample_rate: u32,
    /// Channel count.
    pub channels: u8,
    /// Bits per sample of the uncompressed form (8 or 16 in FLV).
    pub bits_per_sample: u8,
}

/// Picture size as the container or the parameter sets state it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VideoParams {
    /// Displayed width in pixels.
    pub width: u32,
    /// Displayed height in pixels.
    pub height: u32,
}

/// A track's codec and its configuration.
///
/// The configuration record (`avcC`, `hvcC`, AudioSpecificConfig, ...) is kept as the exact
/// bytes the source carried: that is the source of truth, written back unchanged by every
/// muxer. Parsed views (picture size, profile, level, RFC 6381 codec string) are computed from
/// it on demand by the accessors in [`crate::codec`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CodecConfig {
    /// Which codec.
    pub codec: Codec,
    /// The raw configuration record; empty when the codec has none or none was seen yet.
    pub extradata: Bytes,
    /// Audio parameters stated by the container, if any.
    pub audio: Option<AudioParams>,
    /// Picture size stated by the container or parsed from the config, if known.
    pub video: Option<VideoParams>,
    /// Samples the encoder added before and after the audio (a LAME tag's delay and padding),
    /// when the container says: what a gapless player trims.
    pub encoder_delay: Option<EncoderDelay>,
}

/// The priming and padding samples an audio encoder added (MP3's LAME tag, MP4's iTunSMPB or
/// edit lists): the decoded stream starts `delay` samples late and ends `padding` samples long.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EncoderDelay {
    /// Samples to drop at the start.
    pub delay: u32,
    /// Samples to drop at the end.
    pub padding: u32,
    /// The encoder that says so (`LAME3.100`, `Lavc60.3`): players trust the numbers of
    /// encoders they know, so a writer keeps the name.
    pub encoder: Option<String>,
}

impl CodecConfig {
    /// A config for `codec` with no record and no parameters yet.
    pub fn new(codec: Codec) -> CodecConfig {
        CodecConfig {
            codec,
            extradata: Bytes::new(),
            audio: None,
            video: None,
            encoder_delay: None,
        }
    }
}

impl fmt::Debug for CodecConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodecConfig")
            .field("codec", &self.codec)
            .field("extradata_len", &self.extradata.len())
            .field("audio", &self.audio)
            .field("video", &self.video)
            .finish()
    }
}

/// One elementary stream of a container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Track {
    /// The track's number: its index in [`Demuxer::tracks`], and what [`Packet::track`] names.
    pub id: u32,
    /// Video, audio or data.
    pub kind: MediaKind,
    /// The unit of every timestamp of this track's packets.
    pub time_base: TimeBase,
    /// The codec and its configuration as currently known (a mid-stream sequence header
    /// replaces it; see [`Packet::config`]).
    pub codec: CodecConfig,
    /// The container's own track number where it has one (FLV multitrack id, TS PID, MP4
    /// track_ID), kept so a remux into the same container can preserve it.
    pub source_id: Option<u32>,
}

/// Per-packet facts that are not timestamps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PacketFlags {
    /// A random access point: decoding can start here.
    pub keyframe: bool,
    /// Timestamps do not continue from the previous packet of this track (a splice, a wrap the
    /// source declared, a republish).
    pub discontinuity: bool,
    /// The track's configuration changed just before this packet; [`Packet::config`] holds the
    /// new one. An identical repeated sequence header never sets this.
    pub config_changed: bool,
    /// No other frame references this one (FLV "disposable inter frame"), so it may be dropped.
    pub disposable: bool,
}

/// One coded frame (or audio frame group) of one track, in canonical payload form.
#[derive(Clone, PartialEq, Eq)]
pub struct Packet {
    /// The [`Track::id`] this packet belongs to.
    pub track: u32,
    /// Decode timestamp, in the track's time base.
    pub dts: Timestamp,
    /// Presentation timestamp, in the track's time base (equal to `dts` without reordering).
    pub pts: Timestamp,
    /// Duration in the track's time base, when the container states it.
    pub duration: Option<i64>,
    /// Keyframe, discontinuity and config-change facts.
    pub flags: PacketFlags,
    /// The payload: a slice of the source buffer where the demuxer could borrow.
    pub data: Bytes,
    /// The track's new configuration, present exactly when `flags.config_changed` is set, so a
    /// muxer never has to look the change up elsewhere.
    pub config: Option<Arc<CodecConfig>>,
}

impl Packet {
    /// A packet with `dts == pts`, no duration, no flags.
    pub fn new(track: u32, dts: Timestamp, data: Bytes) -> Packet {
        Packet {
            track,
            dts,
            pts: dts,
            duration: None,
            flags: PacketFlags::default(),
            data,
            config: None,
        }
    }

    /// `pts - dts`, the composition offset.
    pub fn composition_offset(&self) -> i64 {
        self.pts - self.dts
    }
}

impl fmt::Debug for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Packet")
            .field("track", &self.track)
            .field("dts", &self.dts.0)
            .field("pts", &self.pts.0)
            .field("duration", &self.duration)
            .field("flags", &self.flags)
            .field("len", &self.data.len())
            .field("config", &self.config)
            .finish()
    }
}

/// Reads packets out of a container.
///
/// Object safe, so a caller can hold a `Box<dyn Demuxer>` chosen by [`crate::probe`].
pub trait Demuxer {
    /// The tracks known so far. A container may reveal a track late (a stream that starts after
    /// the first packets); its [`Track`] is listed here before its first packet is returned.
    fn tracks(&self) -> &[Track];

    /// The next packet in file (decode) order; `Ok(None)` at the end.
    fn next_packet(&mut self) -> Result<Option<Packet>>;

    /// The source's FLV `onMetaData`, for demuxers of FLV-family inputs (FLV files, RTMP
    /// publishes), so an FLV muxer can carry its custom fields over. `None` for others.
    fn flv_metadata(&self) -> Option<&crate::amf::AmfValue> {
        None
    }

    /// What the reader has skipped so far: streams it does not return as tracks, damage it
    /// stepped over, a truncated end. Complete once [`Demuxer::next_packet`] returned
    /// `Ok(None)`; a conversion names every entry (see [`crate::loss`]).
    fn losses(&self) -> Vec<crate::loss::Loss> {
        Vec::new()
    }

    /// How far into the input the reader is, in bytes, for progress reports: the offset of
    /// the next byte it will read (file order). `None` where the reader cannot say.
    fn input_position(&self) -> Option<u64> {
        None
    }
}

/// Writes packets into a container.
///
/// Object safe. Call [`Muxer::add_track`] for each track before its first packet, then
/// [`Muxer::write_packet`] in decode order, then [`Muxer::finish`] exactly once.
pub trait Muxer {
    /// Why this muxer cannot carry `track`, or `None` when it can. A conversion asks before
    /// [`Muxer::add_track`], leaves the refused track out and names it (see [`crate::loss`]),
    /// so one track the output cannot hold does not stop the others.
    fn refusal(&self, track: &Track) -> Option<String> {
        let _ = track;
        None
    }

    /// Declares a track; packets name it by [`Track::id`].
    fn add_track(&mut self, track: &Track) -> Result<()>;

    /// Writes one packet of a declared track.
    fn write_packet(&mut self, packet: &Packet) -> Result<()>;

    /// Completes the output (trailers, index, patched header fields) and flushes it.
    fn finish(&mut self) -> Result<()>;
}
