//! FLV -> tracks and packets.
//!
//! Tracks are keyed by (kind, multitrack id). Before the first packet is returned the demuxer
//! reads ahead until every stream the header announces has shown itself (bounded by
//! [`PROBE_TAG_LIMIT`]), so [`Demuxer::tracks`] is complete for ordinary files; a track that
//! appears later is appended before its first packet.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::amf::{AmfValue, amf0};
use crate::codec::mpa::MpegAudioHeader;
use crate::demux_tracks::{ConfigTracker, fill_params, on_returned};
use crate::error::Result;
use crate::io::InputSource;
use crate::media::{AudioParams, Codec, CodecConfig, Demuxer, MediaKind, Packet, Track};
use crate::time::{TimeBase, Timestamp, WrapUnwrapper};

use super::FlvError;
use super::audio::{AudioPacketKind, FlvAudioCodec, FlvAudioItem, FlvAudioTag, SoundFormat};
use super::codec_map::{audio_codec, video_codec};
use super::header::FlvHeader;
use super::reader::{FlvReadOptions, FlvReport, FlvTag, FlvTagReader};
use super::tag::FlvTagType;
use super::video::{FlvVideoItem, FlvVideoTag, VideoFrameType, VideoPacketKind};

/// How many tags the demuxer reads ahead looking for the streams the header announces. Enough
/// for any real file's interleaving (a few seconds); a header that lies costs no more than this.
pub const PROBE_TAG_LIMIT: usize = 1000;

/// Reads an FLV file (or stream) as tracks and packets.
pub struct FlvDemuxer {
    reader: FlvTagReader,
    tracks: Vec<Track>,
    /// (kind, multitrack id) of each track, by track index.
    keys: Vec<(MediaKind, u8)>,
    configs: ConfigTracker,
    queue: VecDeque<Packet>,
    metadata: Option<AmfValue>,
    clock: WrapUnwrapper,
    seen_media: bool,
}

impl FlvDemuxer {
    /// Opens an FLV from any input source and reads ahead to learn its tracks.
    pub fn new(src: InputSource, options: FlvReadOptions) -> Result<FlvDemuxer> {
        let reader = FlvTagReader::new(src, options)?;
        let mut d = FlvDemuxer {
            reader,
            tracks: Vec::new(),
            keys: Vec::new(),
            configs: ConfigTracker::default(),
            queue: VecDeque::new(),
            metadata: None,
            clock: WrapUnwrapper::new(WrapUnwrapper::FLV_BITS),
            seen_media: false,
        };
        d.probe()?;
        Ok(d)
    }

    /// Opens an FLV held in memory (for instance a mapped file), with default options.
    pub fn from_bytes(data: Bytes) -> Result<FlvDemuxer> {
        FlvDemuxer::new(InputSource::from_bytes(data), FlvReadOptions::default())
    }

    /// The file header.
    pub fn header(&self) -> &FlvHeader {
        self.reader.header()
    }

    /// The file's first `onMetaData` value (usually an ECMA array), if it had one before the
    /// first audio/video tag. Later script tags are packets of a data track instead.
    pub fn metadata(&self) -> Option<&AmfValue> {
        self.metadata.as_ref()
    }

    /// Counters and warnings so far.
    pub fn report(&self) -> &FlvReport {
        self.reader.report()
    }

    fn probe(&mut self) -> Result<()> {
        let (want_audio, want_video) = (self.header().has_audio, self.header().has_video);
        let mut tags = 0;
        while tags < PROBE_TAG_LIMIT {
            let has = |k| {
                self.queue
                    .iter()
                    .any(|p| self.tracks[p.track as usize].kind == k)
            };
            if (!want_audio || has(MediaKind::Audio))
                && (!want_video || has(MediaKind::Video))
                && !self.queue.is_empty()
            {
                break;
            }
            if !self.read_tag()? {
                break;
            }
            tags += 1;
        }
        Ok(())
    }

    /// Reads one tag, queueing the packets it yields. `Ok(false)` at the end of the input.
    fn read_tag(&mut self) -> Result<bool> {
        let Some(tag) = self.reader.next_tag()? else {
            return Ok(false);
        };
        let dts = self.clock.unwrap(u64::from(tag.header.timestamp));
        if tag.header.filter {
            return self
                .skip(&tag, "encrypted (filtered) tag".into())
                .map(|_| true);
        }
        if tag.body.is_empty() {
            return self
                .skip(&tag, "empty tag body (data size 0)".into())
                .map(|_| true);
        }
        match tag.header.tag_type {
            FlvTagType::AUDIO => match FlvAudioTag::parse(tag.body.clone()) {
                Ok(parsed) => {
                    for item in parsed.items() {
                        self.on_audio(&tag, dts, item)?;
                    }
                    self.seen_media = true;
                }
                Err(reason) => self.skip(&tag, reason)?,
            },
            FlvTagType::VIDEO => match FlvVideoTag::parse(tag.body.clone()) {
                Ok(parsed) => {
                    for item in parsed.items() {
                        self.on_video(&tag, dts, item)?;
                    }
                    self.seen_media = true;
                }
                Err(reason) => self.skip(&tag, reason)?,
            },
            FlvTagType::SCRIPT => self.on_script(&tag, dts)?,
            other => self.skip(&tag, format!("unknown tag type {}", other.0))?,
        }
        Ok(true)
    }

    /// Strict: an error. Lenient: a warning, and the tag is dropped.
    fn skip(&mut self, tag: &FlvTag, reason: String) -> Result<()> {
        let e = FlvError::BadTag {
            index: tag.index,
            offset: tag.offset,
            tag_type: tag.header.tag_type.name(),
            reason,
        };
        if self.reader.options().strict {
            return Err(e.into());
        }
        let r = self.reader.report_mut();
        r.skipped_tags += 1;
        r.warn(tag.index, tag.offset, e.to_string());
        Ok(())
    }

    fn on_script(&mut self, tag: &FlvTag, dts: i64) -> Result<()> {
        let values = match amf0::decode_all(&tag.body) {
            Ok(v) => v,
            Err(source) => {
                let e = FlvError::Script {
                    index: tag.index,
                    offset: tag.offset,
                    source,
                };
                if self.reader.options().strict {
                    return Err(e.into());
                }
                let r = self.reader.report_mut();
                r.skipped_tags += 1;
                r.warn(tag.index, tag.offset, e.to_string());
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

    fn on_audio(&mut self, tag: &FlvTag, dts: i64, item: &FlvAudioItem) -> Result<()> {
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
                self.reader.report_mut().sequence_headers += 1;
                config.extradata = item.data.clone();
                if let Some(config) = self.checked_config(tag, "audio", config)? {
                    self.set_config(key, config, source_id);
                }
            }
            AudioPacketKind::Frame => {
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
            AudioPacketKind::SequenceEnd => self.reader.report_mut().end_of_sequence_tags += 1,
            AudioPacketKind::MultichannelConfig => self.reader.report_mut().side_tags += 1,
        }
        Ok(())
    }

    fn on_video(&mut self, tag: &FlvTag, dts: i64, item: &FlvVideoItem) -> Result<()> {
        let codec = video_codec(item.codec);
        let key = (MediaKind::Video, item.track_id);
        let source_id = item.multitrack.then_some(u32::from(item.track_id));
        match item.kind {
            VideoPacketKind::SequenceHeader => {
                self.reader.report_mut().sequence_headers += 1;
                let mut config = CodecConfig::new(codec);
                config.extradata = item.data.clone();
                if let Some(config) = self.checked_config(tag, "video", config)? {
                    self.set_config(key, config, source_id);
                }
            }
            VideoPacketKind::Frame => {
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
            VideoPacketKind::SequenceEnd => self.reader.report_mut().end_of_sequence_tags += 1,
            VideoPacketKind::Metadata
            | VideoPacketKind::Mpeg2TsSequenceStart
            | VideoPacketKind::Command(_) => self.reader.report_mut().side_tags += 1,
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
                if self.reader.options().strict {
                    return Err(e.into());
                }
                self.reader
                    .report_mut()
                    .warn(tag.index, tag.offset, e.to_string());
                Ok(Some(config))
            }
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

impl Demuxer for FlvDemuxer {
    fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    fn flv_metadata(&self) -> Option<&AmfValue> {
        self.metadata.as_ref()
    }

    fn next_packet(&mut self) -> Result<Option<Packet>> {
        loop {
            if let Some(p) = self.queue.pop_front() {
                on_returned(&mut self.tracks, &p);
                return Ok(Some(p));
            }
            if !self.read_tag()? {
                return Ok(None);
            }
        }
    }
}

impl std::fmt::Debug for FlvDemuxer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlvDemuxer")
            .field("tracks", &self.tracks)
            .finish_non_exhaustive()
    }
}
