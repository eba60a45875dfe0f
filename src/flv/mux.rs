//! Tracks and packets -> FLV.
//!
//! Writes the header and `onMetaData` before the first tag, a sequence header before each
//! track's first frame and again whenever its configuration changes, legacy codec ids where
//! they exist (what every player reads) and Enhanced RTMP FourCCs for the rest (HEVC, AV1, VP9,
//! Opus, ...). On a seekable output, `finish` patches duration, framerate and file size in
//! place and can insert a keyframe index, as ffmpeg's `-flvflags add_keyframe_index` does.

use std::io::SeekFrom;

use bytes::Bytes;

use crate::amf::AmfValue;
use crate::error::{Error, Result};
use crate::io::{BlockWriter, OutputSink, SeekableSink};
use crate::media::{Codec, MediaKind, Muxer, Packet, Track};
use crate::time::{TimeBase, wrap};

use super::FlvError;
use super::audio::{
    AudioPacketKind, FlvAudioCodec, LegacyAudioFlags, SoundFormat, write_enhanced_audio_header,
    write_legacy_audio_header,
};
use super::codec_map::{
    flv_audio_code, flv_video_code, metadata_codec_id_audio, metadata_codec_id_video,
    multitrack_fourcc,
};
use super::header::FlvHeader;
use super::metadata::{COMPUTED_KEYS, MetaValue, encode_on_metadata};
use super::tag::{FlvTagHeader, FlvTagType};
use super::video::{
    FlvVideoCodec, VideoCodecId, VideoFrameType, VideoPacketKind, write_enhanced_video_header,
    write_legacy_video_header,
};

/// Chunk size when shifting the body to make room for a keyframe index.
const SHIFT_CHUNK: usize = 1 << 20;
/// Where the onMetaData tag starts: after the header and PreviousTagSize0.
const METADATA_TAG_POS: u64 = FlvHeader::SIZE as u64 + 4;

/// Choices for [`FlvMuxer`].
#[derive(Clone, Debug)]
pub struct FlvMuxOptions {
    /// Add `keyframes {times, filepositions}` to onMetaData (seekable outputs only; the body
    /// is shifted once at the end to make room, as ffmpeg does).
    pub keyframe_index: bool,
    /// The `encoder` string.
    pub encoder: String,
    /// The source's onMetaData: keys muxkit does not compute (title, custom fields) are carried
    /// over, and its framerate and duration are used when they cannot be measured.
    pub source_metadata: Option<AmfValue>,
}

impl Default for FlvMuxOptions {
    fn default() -> Self {
        FlvMuxOptions {
            keyframe_index: false,
            encoder: concat!("muxkit ", env!("CARGO_PKG_VERSION")).to_owned(),
            source_metadata: None,
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Route {
    Video(FlvVideoCodec),
    Audio(FlvAudioCodec),
    Script,
    /// Timed ID3 (from a transport stream, or an MP3's tag), which FLV has no tag for: dropped
    /// and counted, as the TS muxer drops FLV script data.
    Dropped,
}

struct MuxTrack {
    track: Track,
    route: Route,
    /// Some: written as a one-track multitrack tag with this id (second and later tracks of a
    /// kind).
    multitrack_id: Option<u8>,
    sent_config: Option<Bytes>,
    frames: u64,
    first_dts: Option<i64>,
    last_dts: Option<i64>,
    last_step: i64,
}

/// Writes FLV to any [`OutputSink`].
pub struct FlvMuxer<S: OutputSink> {
    /// Tags are appended to its block; blocks go to the sink (inline or write-behind).
    out: BlockWriter<S>,
    /// Bytes written so far, buffered or not: the offset of the next tag.
    pos: u64,
    tracks: Vec<Option<MuxTrack>>,
    options: FlvMuxOptions,
    started: bool,
    /// The sequence headers of the tracks known at the first media packet went out.
    headers_sent: bool,
    finished: bool,
    metadata_body_len: usize,
    /// (seconds, tag offset) of each keyframe of the first video track.
    keyframes: Vec<(f64, u64)>,
    /// Index every this many keyframes (1, or more when the index would overflow a tag).
    index_stride: usize,
    /// What the muxer had to adapt, for the user.
    warnings: Vec<String>,
    end_ms: i64,
    dropped_packets: u64,
}

impl<S: OutputSink> FlvMuxer<S> {
    /// A muxer writing to `sink` on the caller's thread.
    pub fn new(sink: S, options: FlvMuxOptions) -> FlvMuxer<S> {
        FlvMuxer::with_writer(BlockWriter::new(sink), options)
    }

    /// A muxer writing through `out`, for instance [`BlockWriter::write_behind`] so a writer
    /// thread makes the system calls while this one muxes.
    pub fn with_writer(mut out: BlockWriter<S>, options: FlvMuxOptions) -> FlvMuxer<S> {
        out.set_context("writing flv");
        FlvMuxer {
            out,
            pos: 0,
            tracks: Vec::new(),
            options,
            started: false,
            headers_sent: false,
            finished: false,
            metadata_body_len: 0,
            keyframes: Vec::new(),
            index_stride: 1,
            warnings: Vec::new(),
            end_ms: 0,
            dropped_packets: 0,
        }
    }

    /// Writes the tags muxed so far to the sink now (a live sender wants each tag as it is
    /// made, not once a block is full).
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush_all()
    }

    /// What the muxer had to adapt (a keyframe index thinned to fit its tag).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Packets of data tracks FLV cannot carry (timed ID3), dropped.
    pub fn dropped_packets(&self) -> u64 {
        self.dropped_packets
    }

    /// Gives the sink back (after [`Muxer::finish`]), once everything is written to it.
    pub fn into_inner(self) -> Result<S> {
        self.out.into_inner()
    }

    fn first_of(&self, kind: MediaKind) -> Option<&MuxTrack> {
        self.tracks.iter().flatten().find(|t| t.track.kind == kind)
    }

    fn metadata_entries(&self, final_values: Option<(f64, u64)>) -> Vec<(String, MetaValue)> {
        let src = self.options.source_metadata.as_ref();
        let src_num = |k: &str| src.and_then(|m| m.get(k)).and_then(AmfValue::as_f64);
        let mut e: Vec<(String, MetaValue)> = Vec::new();
        let (duration, filesize) = match final_values {
            Some(v) => v,
            None => (src_num("duration").unwrap_or(0.0), 0),
        };
        e.push(("duration".into(), MetaValue::Number(duration)));
        if let Some(v) = self.first_of(MediaKind::Video) {
            let size = v.track.codec.video.or_else(|| {
                let d = v.track.codec.details().ok()?;
                Some(crate::media::VideoParams {
                    width: d.width?,
                    height: d.height?,
                })
            });
            if let Some(size) = size {
                e.push(("width".into(), MetaValue::Number(f64::from(size.width))));
                e.push(("height".into(), MetaValue::Number(f64::from(size.height))));
            }
            let measured = match (v.first_dts, v.last_dts) {
                (Some(a), Some(b)) if b > a && v.frames > 1 => Some(
                    ((v.frames - 1) as f64 * 1000.0 / (b - a) as f64 * 1000.0).round() / 1000.0,
                ),
                _ => None,
            };
            let fps = src_num("framerate").or(measured).unwrap_or(0.0);
            e.push(("framerate".into(), MetaValue::Number(fps)));
            if let Route::Video(c) = v.route {
                e.push((
                    "videocodecid".into(),
                    MetaValue::Number(metadata_codec_id_video(c)),
                ));
            }
        }
        if let Some(a) = self.first_of(MediaKind::Audio) {
            let p = a.track.codec.audio.or_else(|| {
                let d = a.track.codec.details().ok()?;
                Some(crate::media::AudioParams {
                    sample_rate: d.sample_rate?,
                    channels: d.channels?,
                    bits_per_sample: 16,
                })
            });
            if let Some(p) = p {
                e.push((
                    "audiosamplerate".into(),
                    MetaValue::Number(f64::from(p.sample_rate)),
                ));
                e.push((
                    "audiosamplesize".into(),
                    MetaValue::Number(f64::from(p.bits_per_sample)),
                ));
                e.push(("stereo".into(), MetaValue::Bool(p.channels >= 2)));
            }
            if let Route::Audio(c) = a.route {
                e.push((
                    "audiocodecid".into(),
                    MetaValue::Number(metadata_codec_id_audio(c)),
                ));
            }
        }
        e.push((
            "encoder".into(),
            MetaValue::String(self.options.encoder.clone()),
        ));
        e.push(("filesize".into(), MetaValue::Number(filesize as f64)));
        if let Some(AmfValue::EcmaArray(props))
        | Some(AmfValue::Object(crate::amf::AmfObject {
            properties: props, ..
        })) = src
        {
            for (k, v) in props {
                if !COMPUTED_KEYS.contains(&k.as_str()) && !e.iter().any(|(ek, _)| ek == k) {
                    e.push((k.clone(), MetaValue::Other(v.clone())));
                }
            }
        }
        // ffmpeg's reader rejects an index of fewer than two entries ("Invalid keyframes
        // object"), and one entry gives a player nothing to seek with: write two or more.
        // Every `index_stride`-th keyframe, when the whole index would not fit in one tag.
        let indexed = || self.keyframes.iter().step_by(self.index_stride.max(1));
        if final_values.is_some() && self.options.keyframe_index && indexed().count() >= 2 {
            e.push((
                "keyframes".into(),
                MetaValue::Keyframes {
                    times: indexed().map(|k| k.0).collect(),
                    positions: indexed().map(|k| k.1 as f64).collect(),
                },
            ));
        }
        e
    }

    fn start(&mut self) -> Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        let header = FlvHeader::new(
            self.first_of(MediaKind::Audio).is_some(),
            self.first_of(MediaKind::Video).is_some(),
        );
        let buf = self.out.buf();
        header.write_to(&mut *buf);
        buf.extend_from_slice(&[0, 0, 0, 0]);
        self.pos = METADATA_TAG_POS;
        let meta = encode_on_metadata(&self.metadata_entries(None));
        self.metadata_body_len = meta.body.len();
        self.write_tag(FlvTagType::SCRIPT, 0, &[], &meta.body, u32::MAX)
    }

    /// Writes one tag: header, codec header bytes `head`, payload `data`, PreviousTagSize.
    fn write_tag(
        &mut self,
        tag_type: FlvTagType,
        ts_ms: i64,
        head: &[u8],
        data: &[u8],
        track: u32,
    ) -> Result<()> {
        let size = head.len() + data.len();
        if size > FlvTagHeader::MAX_DATA_SIZE as usize {
            return Err(FlvError::TagTooLarge { size, track }.into());
        }
        let h = FlvTagHeader {
            filter: false,
            tag_type,
            data_size: size as u32,
            timestamp: wrap(ts_ms, 32) as u32,
            stream_id: 0,
        };
        let buf = self.out.buf();
        h.write_to(&mut *buf);
        buf.extend_from_slice(head);
        self.out.write_large(data)?;
        self.out
            .buf()
            .extend_from_slice(&((size + FlvTagHeader::SIZE) as u32).to_be_bytes());
        self.pos += (FlvTagHeader::SIZE + size + 4) as u64;
        self.out.maybe_write()
    }

    fn write_config(&mut self, idx: usize, ts_ms: i64) -> Result<()> {
        let Some(t) = self.tracks[idx].as_ref() else {
            return Ok(());
        };
        let config = t.track.codec.extradata.clone();
        let media = matches!(t.route, Route::Video(_) | Route::Audio(_));
        if !media || config.is_empty() || t.sent_config.as_ref() == Some(&config) {
            return Ok(());
        }
        let (route, mt) = (t.route, t.multitrack_id);
        let mut head = [0u8; 16];
        let n = {
            let mut w = &mut head[..];
            match route {
                Route::Video(c) => video_head(
                    c,
                    mt,
                    VideoFrameType::KEY,
                    VideoPacketKind::SequenceHeader,
                    0,
                    &mut w,
                ),
                Route::Audio(c) => {
                    audio_head(c, mt, &t.track, AudioPacketKind::SequenceHeader, &mut w)
                }
                Route::Script | Route::Dropped => {}
            }
            16 - w.len()
        };
        let tag_type = if matches!(route, Route::Video(_)) {
            FlvTagType::VIDEO
        } else {
            FlvTagType::AUDIO
        };
        // AC-3 and E-AC-3 describe themselves in every frame: their SequenceStart has no
        // body (what ffmpeg writes; a reader that gets the `dac3` record there hands it to the
        // decoder as a frame).
        let body: &[u8] = match t.track.codec.codec {
            Codec::Ac3 | Codec::Eac3 => &[],
            _ => &config,
        };
        self.write_tag(tag_type, ts_ms, &head[..n], body, idx as u32)?;
        if let Some(t) = self.tracks[idx].as_mut() {
            t.sent_config = Some(config);
        }
        Ok(())
    }
}

fn video_head(
    c: FlvVideoCodec,
    mt: Option<u8>,
    ft: VideoFrameType,
    kind: VideoPacketKind,
    cts: i32,
    w: &mut &mut [u8],
) {
    match (c, mt) {
        (FlvVideoCodec::Legacy(id), None) => write_legacy_video_header(id, ft, kind, cts, w),
        (FlvVideoCodec::FourCc(cc), mt) => {
            write_enhanced_video_header(cc, ft, kind, cts, mt, w);
        }
        (FlvVideoCodec::Legacy(_), Some(_)) => {} // rejected in add_track
    }
}

fn audio_head(
    c: FlvAudioCodec,
    mt: Option<u8>,
    track: &Track,
    kind: AudioPacketKind,
    w: &mut &mut [u8],
) {
    match (c, mt) {
        (FlvAudioCodec::Legacy(f), None) => {
            write_legacy_audio_header(f, legacy_flags(f, track), kind, w)
        }
        (FlvAudioCodec::FourCc(cc), mt) => write_enhanced_audio_header(cc, kind, mt, w),
        (FlvAudioCodec::Legacy(_), Some(_)) => {}
    }
}

/// The rate/size/type bits for a legacy audio tag, as ffmpeg chooses them.
fn legacy_flags(f: SoundFormat, track: &Track) -> LegacyAudioFlags {
    if f == SoundFormat::AAC {
        // The spec fixes these for AAC; the real values are in the AudioSpecificConfig.
        return LegacyAudioFlags {
            rate_index: 3,
            sample_16bit: true,
            stereo: true,
        };
    }
    if f == SoundFormat::SPEEX {
        return LegacyAudioFlags {
            rate_index: 1,
            sample_16bit: true,
            stereo: false,
        };
    }
    let p = track.codec.audio;
    LegacyAudioFlags {
        rate_index: p.map_or(3, |p| LegacyAudioFlags::rate_index_for(p.sample_rate)),
        sample_16bit: p.is_none_or(|p| p.bits_per_sample != 8),
        stereo: p.is_none_or(|p| p.channels >= 2),
    }
}

impl<S: OutputSink> FlvMuxer<S> {
    /// How `track` would be written (its tag route and multitrack id), or why it cannot be.
    fn route_for(&self, track: &Track) -> Result<(Route, Option<u8>), FlvError> {
        let same_kind = self
            .tracks
            .iter()
            .flatten()
            .filter(|t| t.track.kind == track.kind)
            .count();
        let unsupported = || FlvError::UnsupportedCodec {
            track: track.id,
            codec: track.codec.codec.name(),
        };
        let multitrack_id = (same_kind > 0).then(|| {
            track
                .source_id
                .map_or(same_kind as u8, |id| id.min(255) as u8)
        });
        let route = match track.kind {
            MediaKind::Video => {
                let code = match multitrack_id {
                    None => flv_video_code(track.codec.codec),
                    Some(_) => multitrack_fourcc(track.codec.codec).map(FlvVideoCodec::FourCc),
                };
                Route::Video(code.ok_or_else(unsupported)?)
            }
            MediaKind::Audio => {
                let code = match multitrack_id {
                    None => flv_audio_code(track.codec.codec),
                    Some(_) => multitrack_fourcc(track.codec.codec).map(FlvAudioCodec::FourCc),
                };
                Route::Audio(code.ok_or_else(unsupported)?)
            }
            MediaKind::Data if track.codec.codec == Codec::FlvScript => Route::Script,
            MediaKind::Data if track.codec.codec == Codec::TimedId3 => Route::Dropped,
            MediaKind::Data => return Err(unsupported()),
        };
        Ok((route, multitrack_id))
    }
}

impl<S: OutputSink> Muxer for FlvMuxer<S> {
    fn refusal(&self, track: &Track) -> Option<String> {
        match self.route_for(track) {
            Ok((Route::Dropped, _)) => Some(format!("flv has no tag for {}", track.codec.codec)),
            Ok(_) => None,
            Err(_) => Some(format!("flv cannot carry {}", track.codec.codec)),
        }
    }

    fn add_track(&mut self, track: &Track) -> Result<()> {
        let idx = track.id as usize;
        if self.tracks.get(idx).is_some_and(Option::is_some) {
            return Err(Error::InvalidUse(format!("track {} added twice", track.id)));
        }
        let (route, multitrack_id) = self.route_for(track)?;
        if self.tracks.len() <= idx {
            self.tracks.resize_with(idx + 1, || None);
        }
        self.tracks[idx] = Some(MuxTrack {
            track: track.clone(),
            route,
            multitrack_id: if matches!(route, Route::Script) {
                None
            } else {
                multitrack_id
            },
            sent_config: None,
            frames: 0,
            first_dts: None,
            last_dts: None,
            last_step: 0,
        });
        Ok(())
    }

    fn write_packet(&mut self, p: &Packet) -> Result<()> {
        let idx = p.track as usize;
        if self.tracks.get(idx).is_none_or(Option::is_none) {
            return Err(Error::InvalidUse(format!(
                "packet for undeclared track {}",
                p.track
            )));
        }
        self.start()?;
        let first_video = self
            .tracks
            .iter()
            .flatten()
            .find(|t| t.track.kind == MediaKind::Video)
            .map(|t| t.track.id);
        let Some(t) = self.tracks[idx].as_mut() else {
            return Ok(());
        };
        if matches!(t.route, Route::Dropped) {
            self.dropped_packets += 1;
            return Ok(());
        }
        if let Some(config) = &p.config {
            t.track.codec = (**config).clone();
        }
        let tb = t.track.time_base;
        let dts = tb.rescale(p.dts.0, TimeBase::MILLIS);
        let pts = tb.rescale(p.pts.0, TimeBase::MILLIS);
        if dts < 0 {
            return Err(FlvError::NegativeTimestamp {
                track: p.track,
                dts,
            }
            .into());
        }
        let cts = pts - dts;
        if !(-(1 << 23)..(1 << 23)).contains(&cts) {
            return Err(FlvError::CompositionOffset {
                track: p.track,
                offset: cts,
            }
            .into());
        }
        if let Some(last) = t.last_dts {
            t.last_step = dts - last;
        }
        t.first_dts.get_or_insert(dts);
        t.last_dts = Some(dts);
        t.frames += 1;
        let dur = p
            .duration
            .map_or(t.last_step, |d| tb.rescale(d, TimeBase::MILLIS));
        self.end_ms = self.end_ms.max(pts + dur);
        let (route, mt) = (t.route, t.multitrack_id);
        if matches!(route, Route::Script) {
            return self.write_tag(FlvTagType::SCRIPT, dts, &[], &p.data, p.track);
        }
        if !self.headers_sent {
            // Every track's sequence header before the first media tag, in track order and at
            // the first timestamp, as ffmpeg and SRS write them: a reader then numbers the
            // streams in the source's order (ffmpeg creates a stream at its first tag).
            self.headers_sent = true;
            for i in 0..self.tracks.len() {
                self.write_config(i, dts)?;
            }
        }
        self.write_config(idx, dts)?;
        let Some(t) = self.tracks[idx].as_ref() else {
            return Ok(());
        };
        let mut head = [0u8; 16];
        let (n, tag_type) = {
            let mut w = &mut head[..];
            let tag_type = match route {
                Route::Video(c) => {
                    let ft = if p.flags.keyframe {
                        VideoFrameType::KEY
                    } else if p.flags.disposable {
                        VideoFrameType::DISPOSABLE
                    } else {
                        VideoFrameType::INTER
                    };
                    video_head(c, mt, ft, VideoPacketKind::Frame, cts as i32, &mut w);
                    FlvTagType::VIDEO
                }
                Route::Audio(c) => {
                    audio_head(c, mt, &t.track, AudioPacketKind::Frame, &mut w);
                    FlvTagType::AUDIO
                }
                // Dropped tracks returned above; script data has no codec header.
                Route::Script | Route::Dropped => FlvTagType::SCRIPT,
            };
            (16 - w.len(), tag_type)
        };
        if p.flags.keyframe && tag_type == FlvTagType::VIDEO && first_video == Some(p.track) {
            self.keyframes.push((dts as f64 / 1000.0, self.pos));
        }
        self.write_tag(tag_type, dts, &head[..n], &p.data, p.track)
    }

    fn finish(&mut self) -> Result<()> {
        if self.finished {
            return Err(Error::InvalidUse("flv muxer finished twice".into()));
        }
        self.finished = true;
        self.start()?;
        // End-of-sequence tags, as ffmpeg writes them, for codecs that define one.
        let eos: Vec<(FlvVideoCodec, Option<u8>, i64, u32)> = self
            .tracks
            .iter()
            .flatten()
            .filter_map(|t| match t.route {
                Route::Video(
                    c @ (FlvVideoCodec::Legacy(VideoCodecId::AVC) | FlvVideoCodec::FourCc(_)),
                ) if matches!(t.track.codec.codec, Codec::H264 | Codec::Hevc) && t.frames > 0 => {
                    Some((c, t.multitrack_id, t.last_dts.unwrap_or(0), t.track.id))
                }
                _ => None,
            })
            .collect();
        for (c, mt, ts, id) in eos {
            let mut head = [0u8; 16];
            let n = {
                let mut w = &mut head[..];
                video_head(
                    c,
                    mt,
                    VideoFrameType::KEY,
                    VideoPacketKind::SequenceEnd,
                    0,
                    &mut w,
                );
                16 - w.len()
            };
            self.write_tag(FlvTagType::VIDEO, ts, &head[..n], &[], id)?;
        }
        if self.out.get_mut()?.as_seekable().is_some() {
            self.rewrite_metadata()?;
        }
        self.out.flush_all()
    }
}

impl<S: OutputSink> FlvMuxer<S> {
    /// Rewrites onMetaData with the final duration, framerate, size and keyframe index,
    /// shifting the body when the new tag is larger.
    fn rewrite_metadata(&mut self) -> Result<()> {
        let old_len = self.metadata_body_len;
        // The index is made of fixed-size numbers, so the size is known before the positions.
        // A tag holds at most 16 MiB: an index that does not fit keeps every 2nd, 4th, ...
        // keyframe instead (a coarser index still seeks), never a truncated tag.
        let mut probe = encode_on_metadata(&self.metadata_entries(Some((0.0, 0))));
        while probe.body.len() > FlvTagHeader::MAX_DATA_SIZE as usize {
            if self.index_stride >= self.keyframes.len() || !self.options.keyframe_index {
                return Err(FlvError::TagTooLarge {
                    size: probe.body.len(),
                    track: u32::MAX,
                }
                .into());
            }
            self.index_stride = self.index_stride.max(1) * 2;
            probe = encode_on_metadata(&self.metadata_entries(Some((0.0, 0))));
        }
        if self.index_stride > 1 {
            self.warnings.push(format!(
                "the keyframe index of {} keyframes does not fit in one flv tag: one keyframe in {} is indexed",
                self.keyframes.len(),
                self.index_stride
            ));
        }
        let delta = probe.body.len() as i64 - old_len as i64;
        if delta < 0 {
            // Cannot shrink without moving everything back; keep the first version's size by
            // padding is not possible in AMF, so leave the original metadata as written.
            return Ok(());
        }
        let delta = delta as u64;
        for k in &mut self.keyframes {
            k.1 += delta;
        }
        let final_size = self.pos + delta;
        let duration = self.end_ms as f64 / 1000.0;
        let meta = encode_on_metadata(&self.metadata_entries(Some((duration, final_size))));
        let io_err = |source| Error::Io {
            context: "rewriting flv metadata",
            source,
        };
        let Some(f) = self.out.get_mut()?.as_seekable() else {
            return Ok(());
        };
        let body_start = METADATA_TAG_POS + (FlvTagHeader::SIZE + old_len + 4) as u64;
        if delta > 0 {
            shift_forward(f, body_start, self.pos, delta).map_err(io_err)?;
        }
        let mut tag = Vec::with_capacity(meta.body.len() + 15);
        FlvTagHeader {
            filter: false,
            tag_type: FlvTagType::SCRIPT,
            data_size: meta.body.len() as u32,
            timestamp: 0,
            stream_id: 0,
        }
        .write_to(&mut tag);
        tag.extend_from_slice(&meta.body);
        tag.extend_from_slice(&((meta.body.len() + FlvTagHeader::SIZE) as u32).to_be_bytes());
        f.seek(SeekFrom::Start(METADATA_TAG_POS)).map_err(io_err)?;
        f.write_all(&tag).map_err(io_err)?;
        f.seek(SeekFrom::Start(final_size)).map_err(io_err)?;
        self.pos = final_size;
        self.metadata_body_len = meta.body.len();
        Ok(())
    }
}

/// Moves bytes `[from, end)` forward by `delta`, last chunk first so nothing is overwritten
/// before it is read.
fn shift_forward(f: &mut dyn SeekableSink, from: u64, end: u64, delta: u64) -> std::io::Result<()> {
    let mut chunk = vec![0u8; SHIFT_CHUNK];
    let mut p = end;
    while p > from {
        let start = p.saturating_sub(SHIFT_CHUNK as u64).max(from);
        let n = (p - start) as usize;
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut chunk[..n])?;
        f.seek(SeekFrom::Start(start + delta))?;
        f.write_all(&chunk[..n])?;
        p = start;
    }
    Ok(())
}
