//! `inspect` for FLV: a summary over packets, or one line per tag.

use std::fmt::Write as _;
use std::io::Write;

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::flv::audio::{AudioPacketKind, FlvAudioCodec};
use crate::flv::codec_map::{audio_codec, video_codec};
use crate::flv::video::{FlvVideoCodec, VideoPacketKind};
use crate::flv::{
    FlvAudioTag, FlvDemuxer, FlvHeader, FlvReadOptions, FlvReport, FlvTagReader, FlvTagType,
    FlvVideoTag,
};
use crate::io::InputSource;
use crate::media::CodecConfig;
use crate::time::WrapUnwrapper;

use super::{Span, TrackSummary, bit_rate, codec_json, round_ms, span_secs, summarize_tracks};
use crate::media::MediaKind;

/// Everything `muxkit inspect file.flv` shows.
#[derive(Clone, Debug)]
pub struct FlvSummary {
    /// The input's size, when known.
    pub file_size: Option<u64>,
    /// The file header.
    pub header: FlvHeader,
    /// The first onMetaData, as JSON.
    pub metadata: Option<Value>,
    /// One entry per track.
    pub tracks: Vec<TrackSummary>,
    /// Counters and warnings.
    pub report: FlvReport,
}

impl FlvSummary {
    /// Reads the whole input.
    pub fn read(src: InputSource, options: FlvReadOptions) -> Result<FlvSummary> {
        let file_size = src.len_hint();
        let mut d = FlvDemuxer::new(src, options)?;
        let mut tracks = summarize_tracks(&mut d)?;
        let metadata = d.metadata().map(|m| m.to_json());
        let rate = metadata
            .as_ref()
            .and_then(|m| m.get("framerate"))
            .and_then(Value::as_f64)
            .and_then(rate_fraction);
        if let Some(t) = tracks.iter_mut().find(|t| t.track.kind == MediaKind::Video) {
            t.stated_frame_rate = rate;
        }
        Ok(FlvSummary {
            file_size,
            header: *d.header(),
            metadata,
            tracks,
            report: d.report().clone(),
        })
    }

    /// What ffprobe gives as the duration: onMetaData's `duration`, read verbatim.
    pub fn ffprobe_duration(&self) -> Option<(f64, &'static str)> {
        let d = self.metadata.as_ref()?.get("duration")?.as_f64()?;
        (d > 0.0).then_some((d, "the onMetaData duration"))
    }

    /// Seconds from the earliest to the latest presented instant over all tracks.
    pub fn duration_secs(&self) -> Option<f64> {
        span_secs(&self.tracks)
    }

    /// Overall bit rate in bits per second.
    pub fn bit_rate(&self) -> Option<u64> {
        bit_rate(self.file_size, self.duration_secs())
    }

    /// The JSON view.
    pub fn to_json(&self) -> Value {
        let mut v = self.json_body();
        if let Some(span) = Span::of(&self.tracks) {
            span.add_json(self.ffprobe_duration(), &mut v);
        }
        v
    }

    fn json_body(&self) -> Value {
        let r = &self.report;
        json!({
            "format": "flv",
            "file_size": self.file_size,
            "header": {
                "version": self.header.version,
                "has_audio": self.header.has_audio,
                "has_video": self.header.has_video,
                "data_offset": self.header.data_offset,
            },
            "duration": self.duration_secs().map(round_ms),
            "start_time": null,
            "end_time": null,
            "duration_measures": null,
            "bit_rate": self.bit_rate(),
            "tracks": self.tracks.iter().map(TrackSummary::to_json).collect::<Vec<_>>(),
            "metadata": self.metadata,
            "report": {
                "tags": r.tags,
                "sequence_headers": r.sequence_headers,
                "end_of_sequence_tags": r.end_of_sequence_tags,
                "side_tags": r.side_tags,
                "skipped_tags": r.skipped_tags,
                "previous_tag_size_mismatches": r.previous_tag_size_mismatches,
                "missing_final_previous_tag_size": r.missing_final_previous_tag_size,
                "warning_count": r.warning_count,
                "warnings": r.warnings.iter().map(|w| json!({
                    "tag": w.tag_index, "offset": w.offset, "message": w.message,
                })).collect::<Vec<_>>(),
            },
        })
    }

    /// The human view.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let h = &self.header;
        let _ = write!(s, "format: flv version {}", h.version);
        let flags: Vec<&str> = [(h.has_video, "video"), (h.has_audio, "audio")]
            .iter()
            .filter(|f| f.0)
            .map(|f| f.1)
            .collect();
        let _ = write!(s, ", header flags [{}]", flags.join(", "));
        if let Some(n) = self.file_size {
            let _ = write!(s, ", {n} bytes");
        }
        s.push('\n');
        if let Some(span) = Span::of(&self.tracks) {
            let _ = write!(s, "duration: {}", span.text(self.ffprobe_duration()));
            if let Some(b) = self.bit_rate() {
                let _ = write!(s, ", bit rate: {} kb/s", (b + 500) / 1000);
            }
            s.push('\n');
        }
        for t in &self.tracks {
            let _ = writeln!(s, "{}", t.to_text());
        }
        if let Some(Value::Object(m)) = &self.metadata {
            s.push_str("metadata:\n");
            for (k, v) in m {
                let _ = writeln!(s, "  {k}: {v}");
            }
        }
        let r = &self.report;
        let _ = writeln!(
            s,
            "tags: {} ({} sequence headers, {} end of sequence, {} skipped, {} previous-tag-size mismatches)",
            r.tags,
            r.sequence_headers,
            r.end_of_sequence_tags,
            r.skipped_tags,
            r.previous_tag_size_mismatches
        );
        if r.warning_count > 0 {
            let _ = writeln!(s, "warnings: {}", r.warning_count);
            for w in &r.warnings {
                let _ = writeln!(s, "  {}", w.message);
            }
        }
        s
    }
}

/// A frame rate stated as a float (onMetaData `framerate`) as a fraction: whole numbers as
/// `n/1`, the NTSC family (29.97, 23.976, 59.94) as `n*1000/1001`, others to the millisecond.
fn rate_fraction(f: f64) -> Option<(u64, u64)> {
    if !(f.is_finite() && f > 0.0 && f < 1_000_000.0) {
        return None;
    }
    if (f - f.round()).abs() < 1e-6 {
        return Some((f.round() as u64, 1));
    }
    let ntsc = (f * 1.001).round();
    if (ntsc / 1.001 - f).abs() < 0.0005 {
        return Some(crate::codec::names::reduce(ntsc as u64 * 1000, 1001));
    }
    Some(crate::codec::names::reduce(
        (f * 1000.0).round() as u64,
        1000,
    ))
}

/// One line of `inspect --tags`: a tag, or one track of a multitrack tag.
#[derive(Clone, Debug, PartialEq)]
pub struct FlvTagLine {
    /// Tag index.
    pub index: u64,
    /// Byte offset of the tag header.
    pub offset: u64,
    /// "audio", "video", "script" or "type N".
    pub tag_type: String,
    /// DataSize.
    pub size: u32,
    /// Decode timestamp in ms, unwrapped.
    pub dts: i64,
    /// Presentation timestamp in ms.
    pub pts: i64,
    /// Keyframe (video) / always for audio frames.
    pub keyframe: bool,
    /// Codec name.
    pub codec: String,
    /// "sequence_header", "frame", "end_of_sequence", "metadata", "command", ...
    pub packet_type: String,
    /// Multitrack track id.
    pub track: Option<u8>,
    /// Decoded sequence header, script name or parse problem.
    pub detail: Option<Value>,
}

impl FlvTagLine {
    /// JSON object.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "index": self.index,
            "offset": self.offset,
            "type": self.tag_type,
            "size": self.size,
            "dts": self.dts,
            "pts": self.pts,
            "keyframe": self.keyframe,
            "codec": self.codec,
            "packet_type": self.packet_type,
        });
        if let Some(t) = self.track {
            v["track"] = json!(t);
        }
        if let Some(d) = &self.detail {
            v["detail"] = d.clone();
        }
        v
    }

    /// Text line.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "#{:<6} @{:<10} {:<6} size={:<7} dts={:<8} pts={:<8} {} {} {}",
            self.index,
            self.offset,
            self.tag_type,
            self.size,
            self.dts,
            self.pts,
            if self.keyframe { "K" } else { "-" },
            self.codec,
            self.packet_type
        );
        if let Some(t) = self.track {
            let _ = write!(s, " track={t}");
        }
        if let Some(d) = &self.detail {
            let _ = write!(s, " {d}");
        }
        s
    }
}

fn config_detail(codec: crate::media::Codec, data: &bytes::Bytes) -> Value {
    let mut c = CodecConfig::new(codec);
    c.extradata = data.clone();
    let mut v = json!({});
    codec_json(&c, &mut v);
    v
}

/// Lines for one tag.
fn tag_lines(tag: &crate::flv::FlvTag, dts: i64, out: &mut Vec<FlvTagLine>) {
    let base = FlvTagLine {
        index: tag.index,
        offset: tag.offset,
        tag_type: tag.header.tag_type.name(),
        size: tag.header.data_size,
        dts,
        pts: dts,
        keyframe: false,
        codec: String::new(),
        packet_type: String::new(),
        track: None,
        detail: None,
    };
    let bad = |base: FlvTagLine, e: String| FlvTagLine {
        packet_type: "invalid".into(),
        detail: Some(json!({ "error": e })),
        ..base
    };
    match tag.header.tag_type {
        _ if tag.header.filter => out.push(FlvTagLine {
            packet_type: "encrypted".into(),
            ..base
        }),
        FlvTagType::AUDIO => match FlvAudioTag::parse(tag.body.clone()) {
            Ok(t) => {
                for it in t.items() {
                    let codec = audio_codec(it.codec);
                    let (packet_type, detail) = match it.kind {
                        AudioPacketKind::SequenceHeader => {
                            ("sequence_header", Some(config_detail(codec, &it.data)))
                        }
                        AudioPacketKind::Frame => ("frame", None),
                        AudioPacketKind::SequenceEnd => ("end_of_sequence", None),
                        AudioPacketKind::MultichannelConfig => ("multichannel_config", None),
                    };
                    let enhanced = matches!(it.codec, FlvAudioCodec::FourCc(_));
                    out.push(FlvTagLine {
                        keyframe: it.kind == AudioPacketKind::Frame,
                        codec: codec.name(),
                        packet_type: if enhanced {
                            format!("{packet_type} (enhanced)")
                        } else {
                            packet_type.into()
                        },
                        track: it.multitrack.then_some(it.track_id),
                        detail,
                        ..base.clone()
                    });
                }
            }
            Err(e) => out.push(bad(base, e)),
        },
        FlvTagType::VIDEO => match FlvVideoTag::parse(tag.body.clone()) {
            Ok(t) => {
                for it in t.items() {
                    let codec = video_codec(it.codec);
                    let (packet_type, detail) = match it.kind {
                        VideoPacketKind::SequenceHeader => (
                            "sequence_header".to_owned(),
                            Some(config_detail(codec, &it.data)),
                        ),
                        VideoPacketKind::Frame => ("frame".into(), None),
                        VideoPacketKind::SequenceEnd => ("end_of_sequence".into(), None),
                        VideoPacketKind::Metadata => ("metadata".into(), None),
                        VideoPacketKind::Mpeg2TsSequenceStart => {
                            ("mpeg2ts_sequence_start".into(), None)
                        }
                        VideoPacketKind::Command(c) => (format!("command {c}"), None),
                    };
                    let enhanced = matches!(it.codec, FlvVideoCodec::FourCc(_));
                    out.push(FlvTagLine {
                        pts: dts + i64::from(it.composition_time),
                        keyframe: it.frame_type.is_key(),
                        codec: codec.name(),
                        packet_type: if enhanced {
                            format!("{packet_type} (enhanced)")
                        } else {
                            packet_type
                        },
                        track: it.multitrack.then_some(it.track_id),
                        detail,
                        ..base.clone()
                    });
                }
            }
            Err(e) => out.push(bad(base, e)),
        },
        FlvTagType::SCRIPT => {
            let mut dec = crate::amf::amf0::decode_all(&tag.body);
            let line = match &mut dec {
                Ok(values) => {
                    let name = values
                        .first()
                        .and_then(|v| v.as_str())
                        .unwrap_or("")
                        .to_owned();
                    FlvTagLine {
                        codec: "amf0".into(),
                        packet_type: name,
                        ..base
                    }
                }
                Err(e) => bad(base, e.to_string()),
            };
            out.push(line);
        }
        _ => out.push(FlvTagLine {
            packet_type: "unknown".into(),
            ..base
        }),
    }
}

/// Writes one line (text) or one JSON object per tag to `out`, streaming: memory stays flat
/// however long the file. JSON output is `{"tags": [...]}` with one tag per line.
pub fn write_tags(
    src: InputSource,
    options: FlvReadOptions,
    json: bool,
    out: &mut dyn Write,
) -> Result<FlvReport> {
    let io = |source| Error::Io {
        context: "writing output",
        source,
    };
    let mut reader = FlvTagReader::new(src, options)?;
    let mut clock = WrapUnwrapper::new(WrapUnwrapper::FLV_BITS);
    let mut lines = Vec::new();
    let mut first = true;
    if json {
        out.write_all(b"{\"tags\": [\n").map_err(io)?;
    }
    let result = loop {
        let tag = match reader.next_tag() {
            Ok(Some(t)) => t,
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        };
        let dts = clock.unwrap(u64::from(tag.header.timestamp));
        lines.clear();
        tag_lines(&tag, dts, &mut lines);
        for l in &lines {
            if json {
                if !first {
                    out.write_all(b",\n").map_err(io)?;
                }
                serde_json::to_writer(&mut *out, &l.to_json()).map_err(|e| io(e.into()))?;
            } else {
                writeln!(out, "{}", l.to_text()).map_err(io)?;
            }
            first = false;
        }
    };
    if json {
        out.write_all(b"\n]}\n").map_err(io)?;
    }
    result.map(|_| reader.report().clone())
}
