//! Human and JSON views of inputs, for `muxkit inspect`.
//!
//! Each view is plain data with a `to_json` and a `to_text`, so the CLI only picks one and the
//! tests snapshot both.

pub mod adts;
pub mod flv;
pub mod hls;
pub mod mp3;
pub mod mp4;
pub mod output;
pub mod span;
pub mod ts;

use std::fmt::Write as _;

use serde_json::{Value, json};

use std::io::Write;

use crate::codec::CodecDetails;
use crate::codec::names::{reduce, round_to_standard_rate};
use crate::error::{Error, Result};
use crate::media::{CodecConfig, Demuxer, MediaKind, Track};
use crate::time::TimeBase;

pub use span::{Span, span_secs};

/// Distinct decode-time steps counted per track to find the most common one (a constant
/// frame rate has one or two; beyond this many the stream has no meaningful step and later
/// new ones are not counted).
const MAX_STEPS: usize = 32;

/// Bytes of a track's first frame kept for its header (MPEG audio, AC-3).
const FIRST_FRAME_BYTES: usize = 16;

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
    /// The frame rate the container states for this track (FLV onMetaData `framerate`), as
    /// a fraction.
    pub stated_frame_rate: Option<(u64, u64)>,
    /// The track's language (ISO 639-2/T, MP4 `mdhd`), when stated and not `und`.
    pub language: Option<String>,
    /// The handler name (MP4 `hdlr`), when not empty.
    pub handler_name: Option<String>,
    /// The sample aspect ratio the container states (MP4 `pasp`); it wins over the
    /// bitstream's, as in ffprobe.
    pub stated_sample_aspect_ratio: Option<(u32, u32)>,
    last_step: i64,
    /// (decode-time step, count), at most [`MAX_STEPS`] entries.
    steps: Vec<(i64, u64)>,
    /// The start of the first frame, for its header.
    first_frame: Vec<u8>,
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
            stated_frame_rate: None,
            language: None,
            handler_name: None,
            stated_sample_aspect_ratio: None,
            last_step: 0,
            steps: Vec::new(),
            first_frame: Vec::new(),
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
            let step = self.last_step;
            if step > 0 {
                if let Some(s) = self.steps.iter_mut().find(|s| s.0 == step) {
                    s.1 += 1;
                } else if self.steps.len() < MAX_STEPS {
                    self.steps.push((step, 1));
                }
            }
        } else {
            let n = p.data.len().min(FIRST_FRAME_BYTES);
            self.first_frame = p.data[..n].to_vec();
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

    /// The codec facts: the configuration record's, the first frame header's, and the
    /// container's sample aspect ratio.
    pub fn details(&self) -> std::result::Result<CodecDetails, crate::codec::CodecError> {
        let mut d = self.track.codec.details()?;
        d.add_first_frame(self.track.codec.codec, &self.first_frame);
        if self.stated_sample_aspect_ratio.is_some() {
            d.sample_aspect_ratio = self.stated_sample_aspect_ratio;
        }
        Ok(d)
    }

    /// The most common step between decode timestamps, in ticks (ties: the smaller).
    pub fn common_step(&self) -> Option<i64> {
        self.steps
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|s| s.0)
    }

    /// A video track's frame rate and where it comes from: `codec` (the SPS VUI or `hvcC`
    /// timing), `container` (metadata such as FLV's `framerate`), or `timing` (the most
    /// common decode-time step), in that order of trust.
    pub fn frame_rate(&self) -> Option<((u64, u64), &'static str)> {
        if self.track.kind != MediaKind::Video {
            return None;
        }
        if let Some(r) = self.details().ok().and_then(|d| d.frame_rate) {
            return Some((r, "codec"));
        }
        if let Some(r) = self.stated_frame_rate {
            return Some((r, "container"));
        }
        let tb = self.track.time_base;
        let step = u64::try_from(self.common_step()?).ok()?;
        Some((
            reduce(u64::from(tb.den()), step * u64::from(tb.num())),
            "timing",
        ))
    }

    /// A video track's average frame rate: frames over the decode span (the frame steps
    /// between the first and the last decode time), rounded to a standard rate when within
    /// 1%, as ffprobe's `avg_frame_rate`.
    pub fn avg_frame_rate(&self) -> Option<(u64, u64)> {
        if self.track.kind != MediaKind::Video || self.packets < 2 {
            return None;
        }
        let span = u64::try_from(self.last_dts? - self.first_dts?).ok()?;
        let tb = self.track.time_base;
        (span > 0).then(|| {
            round_to_standard_rate(reduce(
                (self.packets - 1) * u64::from(tb.den()),
                span * u64::from(tb.num()),
            ))
        })
    }

    /// Payload bits per second over the track's duration.
    pub fn bit_rate(&self) -> Option<u64> {
        bit_rate(Some(self.bytes), self.duration_secs())
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
        match self.details() {
            Ok(d) => details_json(&self.track.codec, &d, &mut v),
            Err(_) => codec_json(&self.track.codec, &mut v),
        }
        if let Some((r, source)) = self.frame_rate() {
            v["frame_rate"] = json!(ratio(r, "/"));
            v["frame_rate_source"] = json!(source);
        }
        if let Some(r) = self.avg_frame_rate() {
            v["avg_frame_rate"] = json!(ratio(r, "/"));
        }
        if let Some(l) = &self.language {
            v["language"] = json!(l);
        }
        if let Some(h) = &self.handler_name {
            v["handler_name"] = json!(h);
        }
        v["packets"] = json!(self.packets);
        v["keyframes"] = json!(self.keyframes);
        v["bytes"] = json!(self.bytes);
        v["config_changes"] = json!(self.config_changes);
        v["first_dts"] = json!(self.first_dts);
        v["last_dts"] = json!(self.last_dts);
        v["start_time"] = json!(self.min_pts.map(|t| round_us(tb.seconds(t))));
        v["end_time"] = json!(self.end_pts.map(|t| round_us(tb.seconds(t))));
        v["duration"] = json!(self.duration_secs().map(round_ms));
        v["bit_rate"] = json!(self.bit_rate());
        v
    }

    /// One human line.
    pub fn to_text(&self) -> String {
        let mut s = match self.details() {
            Ok(d) => format!(
                "track {}: {} {}",
                self.track.id,
                self.track.kind,
                details_text(&self.track.codec, &d)
            ),
            Err(_) => format!(
                "track {}: {} {}",
                self.track.id,
                self.track.kind,
                codec_text(&self.track.codec)
            ),
        };
        if let Some(((n, d), source)) = self.frame_rate() {
            let _ = write!(s, ", {} fps ({source})", fps_text(n, d));
        }
        if let Some(l) = &self.language {
            let _ = write!(s, ", language {l}");
        }
        if let Some(h) = &self.handler_name {
            let _ = write!(s, ", handler {h:?}");
        }
        let tb = self.track.time_base;
        let plural = if self.packets == 1 { "" } else { "s" };
        let _ = write!(s, ", {} packet{plural}", self.packets);
        if self.track.kind == MediaKind::Video {
            let plural = if self.keyframes == 1 { "" } else { "s" };
            let _ = write!(s, " ({} keyframe{plural})", self.keyframes);
        }
        let _ = write!(s, ", {} bytes", self.bytes);
        if let Some(b) = self.bit_rate() {
            let _ = write!(s, " ({} kb/s)", (b + 500) / 1000);
        }
        if let (Some(start), Some(d)) = (self.min_pts, self.duration_secs()) {
            let _ = write!(s, ", start {:.3} s, duration {d:.3} s", tb.seconds(start));
        }
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

/// Bits per second of `size` bytes over `secs`.
pub fn bit_rate(size: Option<u64>, secs: Option<f64>) -> Option<u64> {
    let (size, secs) = (size?, secs?);
    (secs > 0.0).then(|| (size as f64 * 8.0 / secs).round() as u64)
}

/// Rounds seconds to milliseconds for display.
pub fn round_ms(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

/// Rounds seconds to microseconds (ffprobe prints six decimals).
pub fn round_us(s: f64) -> f64 {
    (s * 1_000_000.0).round() / 1_000_000.0
}

/// `25/1`, `1:1`: a fraction with `sep`.
pub fn ratio((n, d): (u64, u64), sep: &str) -> String {
    format!("{n}{sep}{d}")
}

/// A frame rate for people: `25`, `29.97`.
fn fps_text(n: u64, d: u64) -> String {
    if d == 1 {
        return n.to_string();
    }
    let f = n as f64 / d.max(1) as f64;
    let s = format!("{f:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Codec facts as JSON fields added to `v`.
pub fn codec_json(c: &CodecConfig, v: &mut Value) {
    match c.details() {
        Ok(d) => details_json(c, &d, v),
        Err(e) => {
            if !c.extradata.is_empty() {
                v["extradata_size"] = json!(c.extradata.len());
            }
            v["config_error"] = json!(e.to_string());
        }
    }
}

/// The facts of `d` (parsed from `c`) as JSON fields added to `v`; absent facts are left out.
pub fn details_json(c: &CodecConfig, d: &CodecDetails, v: &mut Value) {
    if !c.extradata.is_empty() {
        v["extradata_size"] = json!(c.extradata.len());
    }
    let s = |x: Option<&str>| x.map(Value::from);
    let sar = d
        .sample_aspect_ratio
        .map(|(w, h)| (u64::from(w), u64::from(h)));
    let is_video = d.width.is_some() && d.height.is_some();
    let fields = [
        ("codec_string", s(d.codec_string.as_deref())),
        ("profile", s(d.profile.as_deref())),
        ("level", s(d.level.as_deref())),
        ("width", d.width.map(Value::from)),
        ("height", d.height.map(Value::from)),
        ("pix_fmt", s(d.pix_fmt.as_deref())),
        ("chroma_format", s(d.chroma_format)),
        ("bit_depth", d.bit_depth.map(Value::from)),
        ("sample_aspect_ratio", sar.map(|r| ratio(r, ":").into())),
        (
            "display_aspect_ratio",
            is_video
                .then(|| d.display_aspect_ratio())
                .flatten()
                .map(|r| ratio(r, ":").into()),
        ),
        ("color_range", s(d.color_range)),
        ("color_space", s(d.color_space)),
        ("color_transfer", s(d.color_transfer)),
        ("color_primaries", s(d.color_primaries)),
        ("scan_type", s(d.scan_type)),
        ("sample_rate", d.sample_rate.map(Value::from)),
        ("channels", d.channels.map(Value::from)),
        ("channel_layout", s(d.channel_layout)),
        ("mpeg_version", s(d.mpeg_version)),
        ("mpeg_layer", d.mpeg_layer.map(Value::from)),
        ("mpeg_mode", s(d.mpeg_mode)),
    ];
    for (k, val) in fields {
        if let Some(val) = val {
            v[k] = val;
        }
    }
}

/// Codec facts as a short human phrase: `h264 (avc1.64001E) High 3.0, 768x320`.
pub fn codec_text(c: &CodecConfig) -> String {
    match c.details() {
        Ok(d) => details_text(c, &d),
        Err(e) => format!("{} [bad config: {e}]", c.codec.name()),
    }
}

/// The facts of `d` as a short human phrase: `h264 (avc1.64001E) High 3, 768x320, yuv420p
/// (4:2:0, progressive), SAR 1:1, DAR 12:5` or `mp3 (mp4a.40.34) MPEG-1 Layer 3, joint
/// stereo, 44100 Hz, 2 ch, stereo`.
pub fn details_text(c: &CodecConfig, d: &CodecDetails) -> String {
    let mut s = c.codec.name();
    if let Some(cs) = &d.codec_string {
        let _ = write!(s, " ({cs})");
    }
    for p in [&d.profile, &d.level].into_iter().flatten() {
        let _ = write!(s, " {p}");
    }
    if let (Some(v), Some(l)) = (d.mpeg_version, d.mpeg_layer) {
        let _ = write!(s, " MPEG-{v} Layer {l}");
    }
    if let Some(m) = d.mpeg_mode {
        let _ = write!(s, ", {m}");
    }
    if let (Some(w), Some(h)) = (d.width, d.height) {
        let _ = write!(s, ", {w}x{h}");
    }
    if d.width.is_some() || d.pix_fmt.is_some() {
        if let Some(p) = &d.pix_fmt {
            let _ = write!(s, ", {p}");
            let extra: Vec<String> = [
                d.chroma_format.map(str::to_owned),
                d.bit_depth.map(|b| format!("{b}-bit")),
                d.scan_type.map(str::to_owned),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !extra.is_empty() {
                let _ = write!(s, " ({})", extra.join(", "));
            }
        }
        if let Some(sar) = d.sample_aspect_ratio {
            let _ = write!(s, ", SAR {}:{}", sar.0, sar.1);
            if let Some(dar) = d.display_aspect_ratio() {
                let _ = write!(s, " DAR {}", ratio(dar, ":"));
            }
        }
        let colour: Vec<&str> = [
            d.color_range,
            d.color_space,
            d.color_transfer,
            d.color_primaries,
        ]
        .into_iter()
        .flatten()
        .collect();
        if !colour.is_empty() {
            let _ = write!(s, ", colour {}", colour.join("/"));
        }
    }
    if let Some(r) = d.sample_rate {
        let _ = write!(s, ", {r} Hz");
    }
    if let Some(ch) = d.channels {
        let _ = write!(s, ", {ch} ch");
    }
    if let Some(l) = d.channel_layout {
        let _ = write!(s, " ({l})");
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
