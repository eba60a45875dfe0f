//! FLV tag bodies -> tracks and packets: what the FLV demuxer does with each tag, and what the
//! RTMP session does with each audio, video and data message (their bodies are FLV tag bodies).
//!
//! Tracks are keyed by (kind, multitrack id); the first `onMetaData` before any audio or video
//! becomes [`FlvPacketizer::metadata`], later script tags are packets of a data track. A
//! sequence header (or a codec or parameter change without one) becomes a configuration change
//! on the track's next packet; an identical repeated header changes nothing.

use std::collections::VecDeque;

use crate::amf::{AmfValue, amf0};
use crate::codec::mpa::MpegAudioHeader;
use crate::demux_tracks::{ConfigTracker, fill_params, on_returned};
use crate::error::Result;
use crate::media::{AudioParams, Codec, CodecConfig, MediaKind, Packet, Track};
use crate::time::{TimeBase, Timestamp, WrapUnwrapper};

use super::FlvError;
use super::audio::{AudioPacketKind, FlvAudioCodec, FlvAudioItem, FlvAudioTag, SoundFormat};
use super::codec_map::{audio_codec, video_codec};
use super::reader::{FlvReport, FlvTag};
use super::tag::FlvTagType;
use super::video::{FlvVideoItem, FlvVideoTag, VideoFrameType, VideoPacketKind};

/// Turns tags into tracks and packets.
pub struct FlvPacketizer {
    strict: bool,
    tracks: Vec<Track>,
    /// (kind, multitrack id) of each track, by track index.
    keys: Vec<(MediaKind, u8)>,
    configs: ConfigTracker,
    queue: VecDeque<Packet>,
    metadata: Option<AmfValue>,
    clock: WrapUnwrapper,
    seen_media: bool,
}

impl FlvPacketizer {
    /// A packetizer; `strict` makes damage inside a tag an error instead of a warning.
    pub fn new(strict: bool) -> FlvPacketizer {
        FlvPacketizer {
            strict,
            tracks: Vec::new(),
            keys: Vec::new(),
            configs: ConfigTracker::default(),
            queue: VecDeque::new(),
            metadata: None,
            clock: WrapUnwrapper::new(WrapUnwrapper::FLV_BITS),
            seen_media: false,
        }
    }

    /// The tracks seen so far.
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// The first `onMetaData` value, when it came before any audio or video.
    pub fn metadata(&self) -> Option<&AmfValue> {
        self.metadata.as_ref()
    }

    /// Packets made and not yet taken.
    pub fn queued(&self) -> impl Iterator<Item = &Packet> {
        self.queue.iter()
    }

    /// The next packet made; its track's configuration is updated as it leaves.
    pub fn pop(&mut self) -> Option<Packet> {
        let p = self.queue.pop_front()?;
        on_returned(&mut self.tracks, &p);
        Some(p)
    }

    /// Turns one tag into packets (queued) or configuration. Damage inside the tag is an error
    /// in strict mode, otherwise a warning in `report` and the tag is dropped.
    pub fn push_tag(&mut self, tag: &FlvTag, report: &mut FlvReport) -> Result<()> {
        let dts = self.clock.unwrap(u64::from(tag.header.timestamp));
        if tag.header.filter {
            return self.skip(tag, "encrypted (filtered) tag".into(), report);
        }
        if tag.body.is_empty() {
            return self.skip(tag, "empty tag body (data size 0)".into(), report);
        }
        match tag.header.tag_type {
            FlvTagType::AUDIO => match FlvAudioTag::parse(tag.body.clone()) {
                Ok(parsed) => {
                    for item in parsed.items() {
                        self.on_audio(tag, dts, item, report)?;
                    }
                    self.seen_media = true;
                }
                Err(reason) => self.skip(tag, reason, report)?,
            },
            FlvTagType::VIDEO => match FlvVideoTag::parse(tag.body.clone()) {
                Ok(parsed) => {
                    for item in parsed.items() {
                        self.on_video(tag, dts, item, report)?;
                    }
                    self.seen_media = true;
                }
                Err(reason) => self.skip(tag, reason, report)?,
            },
            FlvTagType::SCRIPT => self.on_script(tag, dts, report)?,
            other => self.skip(tag, format!("unknown tag type {}", other.0), report)?,
        }
        Ok(())
    }

    /// Strict: an error. Lenient: a warning, and the tag is dropped.
    fn skip(&mut self, tag: &FlvTag, reason: String, report: &mut FlvReport) -> Result<()> {
        let e = FlvError::BadTag {
            index: tag.index,
            offset: tag.offset,
            tag_type: tag.header.tag_type.name(),
            reason,
        };
        if self.strict {
            return Err(e.into());
        }
        report.skipped_tags += 1;
        report.warn(tag.index, tag.offset, e.to_string());
        Ok(())
    }

    fn on_script(&mut self, tag: &FlvTag, dts: i64, report: &mut FlvReport) -> Result<()> {
        let values = match amf0::decode_all(&tag.body) {
            Ok(v) => v,
            Err(source) => {
                let e = FlvError::Script {
                    index: tag.index,
                    offset: tag.offset,
                    source,
                };
                if self.strict {
                    return Err(e.into());
                }
                report.skipped_tags += 1;
                report.warn(tag.index, tag.offset, e.to_string());
                return Ok(());
            }
        };
        let is_meta = matches!(values.first(), Some(AmfValue::String(s)) if s == "onMetaData");
        if is_meta && self.metadata.is_none() && !self.seen_media {
            self.metadata = Some(values.into_iter().nth(1).unwrap_or(AmfValue::Null));
            return Ok(());
        }
        let t = self.track_for(
            (MediaKind::Data, 0),
            CodecConfig::new(Codec::FlvScript),
            None,
        );
        let mut p = Packet::new(t, Timestamp(dts), tag.body.clone());
        p.flags.keyframe = true;
        self.push(p);
        Ok(())
    }

    fn on_audio(
        &mut self,
        tag: &FlvTag,
        dts: i64,
        item: &FlvAudioItem,
        report: &mut FlvReport,
    ) -> Result<()> {
        let codec = audio_codec(item.codec);
        let mut config = CodecConfig::new(codec);
        if let Some(f) = item.legacy {
            // Formats with a fixed rate say so by their code, not the rate bits.
            let sample_rate = match item.codec {
                FlvAudioCodec::Legacy(
                    SoundFormat::NELLYMOSER_8K
                    | SoundFormat::MP3_8K
                    | SoundFormat::G711_ALAW
                    | SoundFormat::G711_MULAW,
                ) => 8000,
                FlvAudioCodec::Legacy(SoundFormat::NELLYMOSER_16K | SoundFormat::SPEEX) => 16000,
                _ => f.sample_rate(),
            };
            config.audio = Some(AudioParams {
                sample_rate,
                channels: if f.stereo { 2 } else { 1 },
                bits_per_sample: if f.sample_16bit { 16 } else { 8 },
            });
        }
        // FLV's rate bits cannot say 48 kHz (or 24, 12, ...): MP3 states its own rate and
        // channels in every frame header, and those are the truth.
        if codec == Codec::Mp3 && item.kind == AudioPacketKind::Frame {
            if let Ok(h) = MpegAudioHeader::parse(&item.data) {
                config.audio = Some(AudioParams {
                    sample_rate: h.sample_rate,
                    channels: h.channels(),
                    bits_per_sample: 16,
                });
            }
        }
        let key = (MediaKind::Audio, item.track_id);
        let source_id = item.multitrack.then_some(u32::from(item.track_id));
        match item.kind {
            AudioPacketKind::SequenceHeader => {
                report.sequence_headers += 1;
                config.extradata = item.data.clone();
                if let Some(config) = self.checked_config(tag, "audio", config, report)? {
                    self.set_config(key, config, source_id);
                }
            }
            AudioPacketKind::Frame => {
                if self.record_missing(key, codec) {
                    return self.skip(tag, before_header(codec), report);
                }
                let t = self.track_for(key, config.clone(), source_id);
                // Codec or legacy parameters changed without a sequence header (PCM rate
                // switch, a different SoundFormat): that is a config change too.
                let Some(latest) = self.configs.latest(t as usize) else {
                    return Ok(());
                };
                if latest.codec != config.codec
                    || (config.extradata.is_empty()
                        && latest.codec != Codec::Aac
                        && latest.audio != config.audio)
                {
                    let mut next = config;
                    if next.extradata.is_empty() && next.codec == latest.codec {
                        next.extradata = latest.extradata.clone();
                    }
                    self.set_config(key, next, source_id);
                }
                let mut p = Packet::new(t, Timestamp(dts), item.data.clone());
                p.flags.keyframe = true;
                self.push(p);
            }
            AudioPacketKind::SequenceEnd => report.end_of_sequence_tags += 1,
            AudioPacketKind::MultichannelConfig => report.side_tags += 1,
        }
        Ok(())
    }

    fn on_video(
        &mut self,
        tag: &FlvTag,
        dts: i64,
        item: &FlvVideoItem,
        report: &mut FlvReport,
    ) -> Result<()> {
        let codec = video_codec(item.codec);
        let key = (MediaKind::Video, item.track_id);
        let source_id = item.multitrack.then_some(u32::from(item.track_id));
        match item.kind {
            VideoPacketKind::SequenceHeader => {
                report.sequence_headers += 1;
                let mut config = CodecConfig::new(codec);
                config.extradata = item.data.clone();
                if let Some(config) = self.checked_config(tag, "video", config, report)? {
                    self.set_config(key, config, source_id);
                }
            }
            VideoPacketKind::Frame => {
                if self.record_missing(key, codec) {
                    return self.skip(tag, before_header(codec), report);
                }
                let t = self.track_for(key, CodecConfig::new(codec), source_id);
                if self
                    .configs
                    .latest(t as usize)
                    .is_some_and(|c| c.codec != codec)
                {
                    self.set_config(key, CodecConfig::new(codec), source_id);
                }
                let mut p = Packet::new(t, Timestamp(dts), item.data.clone());
                p.pts = Timestamp(dts + i64::from(item.composition_time));
                p.flags.keyframe = item.frame_type.is_key();
                p.flags.disposable = item.frame_type == VideoFrameType::DISPOSABLE;
                self.push(p);
            }
            VideoPacketKind::SequenceEnd => report.end_of_sequence_tags += 1,
            VideoPacketKind::Metadata
            | VideoPacketKind::Mpeg2TsSequenceStart
            | VideoPacketKind::Command(_) => report.side_tags += 1,
        }
        Ok(())
    }

    /// Parses a new configuration record to fill its parameters. A record that does not parse
    /// is an error in strict mode; otherwise it is kept as is, with a warning.
    fn checked_config(
        &mut self,
        tag: &FlvTag,
        tag_type: &'static str,
        mut config: CodecConfig,
        report: &mut FlvReport,
    ) -> Result<Option<CodecConfig>> {
        match fill_params(&mut config, true) {
            Ok(()) => Ok(Some(config)),
            Err(source) => {
                let e = FlvError::Config {
                    index: tag.index,
                    offset: tag.offset,
                    tag_type,
                    source,
                };
                if self.strict {
                    return Err(e.into());
                }
                report.warn(tag.index, tag.offset, e.to_string());
                Ok(Some(config))
            }
        }
    }

    /// Whether a frame of `codec` on `key` comes before any configuration record it needs:
    /// AAC, H.264 and HEVC frames cannot be decoded (or written as ADTS / Annex B) without
    /// theirs. A late encoder's first frames are then dropped, as ffmpeg's FLV reader does.
    fn record_missing(&self, key: (MediaKind, u8), codec: Codec) -> bool {
        if !matches!(codec, Codec::Aac | Codec::H264 | Codec::Hevc) {
            return false;
        }
        match self.keys.iter().position(|k| *k == key) {
            None => true,
            Some(t) => self
                .configs
                .latest(t)
                .is_none_or(|c| c.codec == codec && c.extradata.is_empty()),
        }
    }

    /// The track for `key`, created with `config` if new.
    fn track_for(
        &mut self,
        key: (MediaKind, u8),
        config: CodecConfig,
        source_id: Option<u32>,
    ) -> u32 {
        if let Some(i) = self.keys.iter().position(|k| *k == key) {
            return i as u32;
        }
        let id = self.tracks.len() as u32;
        self.tracks.push(Track {
            id,
            kind: key.0,
            time_base: TimeBase::MILLIS,
            codec: config.clone(),
            source_id,
        });
        self.keys.push(key);
        self.configs.add_track(config);
        id
    }

    /// Records a (possibly) new configuration (see [`ConfigTracker`]).
    fn set_config(&mut self, key: (MediaKind, u8), config: CodecConfig, source_id: Option<u32>) {
        let t = self.track_for(key, config.clone(), source_id) as usize;
        self.configs.set(&mut self.tracks, t, config);
    }

    fn push(&mut self, mut p: Packet) {
        self.configs.on_queued(&mut p);
        self.queue.push_back(p);
    }
}

/// Why a frame that came before its track's sequence header is dropped.
fn before_header(codec: Codec) -> String {
    format!("{codec} frame before its sequence header: dropped (nothing can decode it)")
}
