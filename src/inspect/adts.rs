//! `inspect` for `.aac` (ADTS) files: the stream's header fields, frames, duration, bitrate,
//! CRC protection, and what was skipped.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::adts::{AdtsDemuxer, AdtsReadOptions, AdtsReport};
use crate::codec::aac::{AudioSpecificConfig, channel_count, object_type_name};
use crate::error::Result;
use crate::io::InputSource;

use super::{TrackSummary, bit_rate, round_ms, summarize_tracks};

/// Everything `muxkit inspect song.aac` shows.
#[derive(Clone, Debug)]
pub struct AdtsSummary {
    /// The input's size, when known.
    pub file_size: Option<u64>,
    /// The audio track.
    pub tracks: Vec<TrackSummary>,
    /// Frames, header fields, warnings.
    pub report: AdtsReport,
}

impl AdtsSummary {
    /// Reads the whole input.
    pub fn read(src: InputSource, options: AdtsReadOptions) -> Result<AdtsSummary> {
        let file_size = src.len_hint();
        let mut d = AdtsDemuxer::new(src, options)?;
        let tracks = summarize_tracks(&mut d)?;
        Ok(AdtsSummary {
            file_size: file_size.filter(|&n| n > 0),
            tracks,
            report: d.report().clone(),
        })
    }

    /// Seconds of audio: the packets' samples at the stream's rate.
    pub fn duration_secs(&self) -> Option<f64> {
        self.tracks.first().and_then(TrackSummary::duration_secs)
    }

    /// Average bitrate of the ADTS frames (headers included, as ffprobe counts), bits per second.
    pub fn audio_bit_rate(&self) -> Option<u64> {
        bit_rate(Some(self.report.frame_bytes), self.duration_secs())
    }

    /// Output channels: the channel configuration's, or the program config element's.
    fn channels(&self) -> Option<u8> {
        let h = self.report.first_header.as_ref()?;
        channel_count(h.channel_config).or_else(|| {
            let t = self.tracks.first()?;
            AudioSpecificConfig::parse(&t.track.codec.extradata)
                .ok()?
                .channels()
        })
    }

    fn header_json(&self) -> Value {
        let Some(h) = &self.report.first_header else {
            return Value::Null;
        };
        json!({
            "id": if h.mpeg2 { "mpeg-2" } else { "mpeg-4" },
            "profile": object_type_name(h.object_type),
            "object_type": h.object_type,
            "sample_rate": h.sample_rate(),
            "sampling_index": h.sampling_index,
            "channel_configuration": h.channel_config,
            "channels": self.channels(),
            "crc": !h.protection_absent,
        })
    }

    /// The JSON view.
    pub fn to_json(&self) -> Value {
        let r = &self.report;
        json!({
            "format": "aac",
            "file_size": self.file_size,
            "duration": self.duration_secs().map(round_ms),
            "bit_rate": self.audio_bit_rate(),
            "frames": r.frames,
            "packets": r.packets,
            "first_frame_offset": r.first_frame_offset,
            "header": self.header_json(),
            "crc_frames": r.crc_frames,
            "crc_verified": false,
            "multi_block_frames": r.multi_block_frames,
            "dropped_frames": r.dropped_frames,
            "config_changes": r.config_changes,
            "id3v2_bytes": r.id3v2_bytes,
            "ape_bytes": r.ape_bytes,
            "tracks": self.tracks.iter().map(TrackSummary::to_json).collect::<Vec<_>>(),
            "skipped_bytes": r.skipped_bytes,
            "resyncs": r.resyncs,
            "truncated_last_frame": r.truncated_last_frame,
            "warning_count": r.warning_count,
            "warnings": r.warnings.iter().map(|w| json!({ "offset": w.offset, "message": w.message })).collect::<Vec<_>>(),
        })
    }

    /// The human view.
    pub fn to_text(&self) -> String {
        let r = &self.report;
        let mut s = String::new();
        let _ = write!(s, "format: aac (adts)");
        if let Some(n) = self.file_size {
            let _ = write!(s, ", {n} bytes");
        }
        let _ = writeln!(s);
        let _ = write!(s, "audio: {} frames", r.frames);
        if r.packets != r.frames {
            let _ = write!(s, " ({} raw data blocks)", r.packets);
        }
        if let Some(d) = self.duration_secs() {
            let _ = write!(s, ", {d:.3} s");
        }
        if let Some(b) = self.audio_bit_rate() {
            let _ = write!(s, ", {} kb/s", (b + 500) / 1000);
        }
        let _ = writeln!(s);
        if let Some(h) = &r.first_header {
            let channels = self.channels().map_or_else(
                || "? channels".to_owned(),
                |n| format!("{n} channel{}", if n == 1 { "" } else { "s" }),
            );
            let _ = writeln!(
                s,
                "header: {} AAC {}, {} Hz, {channels} ({}), {}",
                if h.mpeg2 { "MPEG-2" } else { "MPEG-4" },
                object_type_name(h.object_type),
                h.sample_rate(),
                if h.channel_config == 0 {
                    "program config element".to_owned()
                } else {
                    format!("configuration {}", h.channel_config)
                },
                if h.protection_absent {
                    "no crc".to_owned()
                } else {
                    format!("crc in {} frames (not verified)", r.crc_frames)
                }
            );
        }
        for t in &self.tracks {
            let _ = writeln!(s, "{}", t.to_text());
        }
        if r.multi_block_frames > 0 {
            let _ = writeln!(
                s,
                "frames of several raw data blocks: {} ({} dropped)",
                r.multi_block_frames, r.dropped_frames
            );
        }
        if r.config_changes > 0 {
            let _ = writeln!(s, "configuration changes: {}", r.config_changes);
        }
        if let Some(n) = r.id3v2_bytes {
            let _ = writeln!(s, "id3v2 tag: {n} bytes (not carried)");
        }
        if let Some(n) = r.ape_bytes {
            let _ = writeln!(s, "ape tag: {n} bytes (not carried)");
        }
        if r.skipped_bytes > 0 || r.warning_count > 0 {
            let _ = writeln!(
                s,
                "skipped: {} bytes, {} resyncs",
                r.skipped_bytes, r.resyncs
            );
        }
        for w in &r.warnings {
            let _ = writeln!(s, "warning at byte {}: {}", w.offset, w.message);
        }
        s
    }
}
