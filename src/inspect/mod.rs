//! Human and JSON views of inputs, for `muxkit inspect`.
//!
//! Each view is plain data with a `to_json` and a `to_text`, so the CLI only picks one and the
//! tests snapshot both.

pub mod adts;
pub mod flv;
pub mod hls;
pub mod mp3;
pub mod mp4;
pub mod ts;

use std::fmt::Write as _;

use serde_json::{Value, json};

use std::io::Write;

use crate::error::{Error, Result};
use crate::media::{CodecConfig, Demuxer, MediaKind, Track};
use crate::time::TimeBase;

/// Per-track statistics gathered over every packet.
#[derive(Clone, Debug, PartialEq)]
pub struct TrackSummary {
    /// The track as first declared (its initial configuration).
    pub track: Track,
    /// Packets.
    pub packets: u64,
    /// Keyframes.
    pub keyframes: u64,
    /// Payload bytes.
    pub bytes: u64,
    /// Configuration changes mid-stream.
    pub config_changes: u64,
    /// First decode timestamp.
    pub first_dts: Option<i64>,
    /// Last decode timestamp.
    pub last_dts: Option<i64>,
    /// Smallest presentation timestamp.
    pub min_pts: Option<i64>,
    /// Largest presentation timestamp plus one frame (the last decode step).
    pub end_pts: Option<i64>,
    last_step: i64,
}

impl TrackSummary {
    /// Empty statistics for `track`.
    pub fn new(track: Track) -> TrackSummary {
        TrackSummary {
            track,
            packets: 0,
            keyframes: 0,
            bytes: 0,
            config_changes: 0,
            first_dts: None,
            last_dts: None,
            min_pts: None,
            end_pts: None,
            last_step: 0,
        }
    }

    /// Counts one packet.
    pub fn add(&mut self, p: &crate::media::Packet) {
        self.packets += 1;
        self.keyframes += u64::from(p.flags.keyframe);
        self.bytes += p.data.len() as u64;
        self.config_changes += u64::from(p.flags.config_changed);
        if let Some(last) = self.last_dts {
            self.last_step = p.dts.0 - last;
        }
        self.first_dts.get_or_insert(p.dts.0);
        self.last_dts = Some(p.dts.0);
        let step = p.duration.unwrap_or(self.last_step).max(0);
        self.min_pts = Some(self.min_pts.map_or(p.pts.0, |m| m.min(p.pts.0)));
        self.end_pts = Some(
            self.end_pts
                .map_or(p.pts.0 + step, |m| m.max(p.pts.0 + step)),
        );
    }

    /// Seconds from the first to the end of the last presented frame.
    pub fn duration_secs(&self) -> Option<f64> {
        let tb = self.track.time_base;
        Some(tb.seconds(self.end_pts? - self.min_pts?))
    }

    /// The JSON view.
    pub fn to_json(&self) -> Value {
        let tb = self.track.time_base;
        let mut v = json!({
            "id": self.track.id,
            "kind": self.track.kind.to_string(),
            "codec": self.track.codec.codec.name(),
            "time_base": tb.to_string(),
        });
        if let Some(id) = self.track.source_id {
            v["source_id"] = json!(id);
        }
        codec_json(&self.track.codec, &mut v);
        v["packets"] = json!(self.packets);
        v["keyframes"] = json!(self.keyframes);
        v["bytes"] = json!(self.bytes);
        v["config_changes"] = json!(self.config_changes);
        v["first_dts"] = json!(self.first_dts);
        v["last_dts"] = json!(self.last_dts);
        v["start_time"] = json!(self.min_pts.map(|t| round_ms(tb.seconds(t))));
        v["duration"] = json!(self.duration_secs().map(round_ms));
        v
    }

    /// One human line.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "track {}: {} {}",
            self.track.id,
            self.track.kind,
            codec_text(&self.track.codec)
        );
        let tb = self.track.time_base;
        let plural = if self.packets == 1 { "" } else { "s" };
        let _ = write!(s, ", {} packet{plural}", self.packets);
        if self.track.kind == MediaKind::Video {
            let plural = if self.keyframes == 1 { "" } else { "s" };
            let _ = write!(s, " ({} keyframe{plural})", self.keyframes);
        }
        let _ = write!(s, ", {} bytes", self.bytes);
        if let (Some(a), Some(b)) = (self.first_dts, self.last_dts) {
            let _ = write!(
                s,
                ", dts {}..{} ms",
                tb.rescale(a, TimeBase::MILLIS),
                tb.rescale(b, TimeBase::MILLIS)
            );
        }
        if self.config_changes > 0 {
            let _ = write!(s, ", {} config changes", self.config_changes);
        }
        s
    }
}

/// Drains `demuxer`, gathering per-track statistics (tracks revealed late included).
pub fn summarize_tracks(demuxer: &mut dyn Demuxer) -> Result<Vec<TrackSummary>> {
    let mut tracks: Vec<TrackSummary> = Vec::new();
    while let Some(p) = demuxer.next_packet()? {
        for t in &demuxer.tracks()[tracks.len()..] {
            tracks.push(TrackSummary::new(t.clone()));
        }
        if let Some(t) = tracks.get_mut(p.track as usize) {
            t.add(&p);
        }
    }
    for t in &demuxer.tracks()[tracks.len()..] {
        tracks.push(TrackSummary::new(t.clone()));
    }
    Ok(tracks)
}

/// Seconds from the earliest to the latest presented instant over all tracks.
pub fn span_secs(tracks: &[TrackSummary]) -> Option<f64> {
    let secs = |t: &TrackSummary, v: Option<i64>| v.map(|v| t.track.time_base.seconds(v));
    let start = tracks
        .iter()
        .filter_map(|t| secs(t, t.min_pts))
        .reduce(f64::min)?;
    let end = tracks
        .iter()
        .filter_map(|t| secs(t, t.end_pts))
        .reduce(f64::max)?;
    Some(end - start)
}

/// Bits per second of `size` bytes over `secs`.
pub fn bit_rate(size: Option<u64>, secs: Option<f64>) -> Option<u64> {
    let (size, secs) = (size?, secs?);
    (secs > 0.0).then(|| (size as f64 * 8.0 / secs).round() as u64)
}

/// Rounds seconds to milliseconds for display.
pub fn round_ms(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

/// Codec facts as JSON fields added to `v`.
pub fn codec_json(c: &CodecConfig, v: &mut Value) {
    if !c.extradata.is_empty() {
        v["extradata_size"] = json!(c.extradata.len());
    }
    match c.details() {
        Ok(d) => {
            let fields = [
                ("codec_string", d.codec_string.map(Value::from)),
                ("profile", d.profile.map(Value::from)),
                ("level", d.level.map(Value::from)),
                (
                    "width",
                    d.width.or(c.video.map(|p| p.width)).map(Value::from),
                ),
                (
                    "height",
                    d.height.or(c.video.map(|p| p.height)).map(Value::from),
                ),
                (
                    "sample_rate",
                    d.sample_rate
                        .or(c.audio.map(|p| p.sample_rate))
                        .map(Value::from),
                ),
                (
                    "channels",
                    d.channels.or(c.audio.map(|p| p.channels)).map(Value::from),
                ),
                ("bit_depth", d.bit_depth.map(Value::from)),
            ];
            for (k, val) in fields {
                if let Some(val) = val {
                    v[k] = val;
                }
            }
        }
        Err(e) => v["config_error"] = json!(e.to_string()),
    }
}

/// Codec facts as a short human phrase: `h264 (avc1.64001E) High 3.0, 768x320`.
pub fn codec_text(c: &CodecConfig) -> String {
    let mut v = json!({});
    codec_json(c, &mut v);
    let mut s = c.codec.name();
    let get = |k: &str| v.get(k).cloned();
    if let Some(Value::String(cs)) = get("codec_string") {
        let _ = write!(s, " ({cs})");
    }
    for k in ["profile", "level"] {
        if let Some(Value::String(p)) = get(k) {
            let _ = write!(s, " {p}");
        }
    }
    if let (Some(w), Some(h)) = (get("width"), get("height")) {
        let _ = write!(s, ", {w}x{h}");
    }
    if let Some(r) = get("sample_rate") {
        let _ = write!(s, ", {r} Hz");
    }
    if let Some(ch) = get("channels") {
        let _ = write!(s, ", {ch} ch");
    }
    if let Some(Value::String(e)) = get("config_error") {
        let _ = write!(s, " [bad config: {e}]");
    }
    s
}

/// Writes one line (or one JSON object) per packet a demuxer returns: the elementary-stream
/// view of any input (`inspect --packets`). For MPEG-TS a PES that carries several audio frames
/// shows as one line per frame. Streams, so memory stays flat.
pub fn write_packets(demuxer: &mut dyn Demuxer, json: bool, out: &mut dyn Write) -> Result<()> {
    let io = |source| Error::Io {
        context: "writing output",
        source,
    };
    if json {
        out.write_all(b"{\"packets\": [\n").map_err(io)?;
    }
    let mut index = 0u64;
    while let Some(p) = demuxer.next_packet()? {
        let t = &demuxer.tracks()[p.track as usize];
        let tb = t.time_base;
        let ms = |v: i64| round_ms(tb.seconds(v));
        if json {
            if index > 0 {
                out.write_all(b",\n").map_err(io)?;
            }
            let mut v = json!({
                "index": index, "track": p.track, "kind": t.kind.to_string(), "codec": t.codec.codec.name(),
                "dts": p.dts.0, "pts": p.pts.0, "dts_time": ms(p.dts.0), "pts_time": ms(p.pts.0),
                "size": p.data.len(), "keyframe": p.flags.keyframe,
            });
            if let Some(id) = t.source_id {
                v["source_id"] = json!(id);
            }
            if p.flags.config_changed {
                v["config_changed"] = json!(true);
            }
            if p.flags.discontinuity {
                v["discontinuity"] = json!(true);
            }
            serde_json::to_writer(&mut *out, &v).map_err(|e| io(e.into()))?;
        } else {
            let src = t
                .source_id
                .map(|id| format!(" src={id:#06x}"))
                .unwrap_or_default();
            writeln!(
                out,
                "#{index:<7} track={}{src} {:<5} {:<8} dts={:<10} pts={:<10} ({:.3} s) size={:<7} {}{}{}",
                p.track,
                t.kind,
                t.codec.codec.name(),
                p.dts.0,
                p.pts.0,
                tb.seconds(p.pts.0),
                p.data.len(),
                if p.flags.keyframe { "K" } else { "-" },
                if p.flags.config_changed { " config-changed" } else { "" },
                if p.flags.discontinuity { " discontinuity" } else { "" },
            )
            .map_err(io)?;
        }
        index += 1;
    }
    if json {
        out.write_all(b"\n]}\n").map_err(io)?;
    }
    Ok(())
}
