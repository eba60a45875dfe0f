//! What a file's duration measures, and how it relates to the figure ffprobe prints.
//!
//! muxkit measures every container the same way: from the earliest presented instant of any
//! track (its smallest PTS) to the end of the last presented frame of any track (its largest
//! PTS plus that frame's duration, or the last decode step when the container gives none).
//! ffprobe's format `duration` is that too for MPEG-TS, but not for the others:
//!
//! - FLV: the `duration` the writer put in onMetaData, read verbatim (ffmpeg's `flvdec`).
//! - MP4/F4V: the `mvhd` duration, which counts from time 0 (not from the first frame) and
//!   includes what edit lists say.
//! - MP3: the Xing/Info frame count (or the bit rate over the file size), minus the gapless
//!   encoder delay and padding.
//!
//! The container summaries state that other figure (`ffprobe_duration`) when it differs, so
//! users comparing the two see why.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::media::MediaKind;

use super::{TrackSummary, round_ms, round_us};

/// The presented span over all tracks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    /// Earliest presented instant, seconds.
    pub start: f64,
    /// End of the last presented frame, seconds.
    pub end: f64,
    /// The kind of the track whose first frame starts the span.
    pub start_kind: MediaKind,
    /// The kind of the track whose last frame ends the span.
    pub end_kind: MediaKind,
}

impl Span {
    /// The span of `tracks`; `None` when no track has a packet.
    pub fn of(tracks: &[TrackSummary]) -> Option<Span> {
        let secs = |t: &TrackSummary, v: Option<i64>| v.map(|v| t.track.time_base.seconds(v));
        let (start, start_kind) = tracks
            .iter()
            .filter_map(|t| Some((secs(t, t.min_pts)?, t.track.kind)))
            .reduce(|a, b| if b.0 < a.0 { b } else { a })?;
        let (end, end_kind) = tracks
            .iter()
            .filter_map(|t| Some((secs(t, t.end_pts)?, t.track.kind)))
            .reduce(|a, b| if b.0 > a.0 { b } else { a })?;
        Some(Span {
            start,
            end,
            start_kind,
            end_kind,
        })
    }

    /// Seconds from start to end.
    pub fn duration(&self) -> f64 {
        self.end - self.start
    }

    /// What the duration measures, in words.
    pub fn measures(&self) -> String {
        format!(
            "first presented {} frame to the end of the last {} frame",
            self.start_kind, self.end_kind
        )
    }

    /// Adds `start_time`, `end_time`, `duration_measures` and, when `ffprobe` (its duration
    /// and where it comes from) differs by more than a millisecond, `ffprobe_duration` and
    /// `ffprobe_duration_source` to `v` (whose `duration` the caller sets).
    pub fn add_json(&self, ffprobe: Option<(f64, &str)>, v: &mut Value) {
        v["start_time"] = json!(round_us(self.start));
        v["end_time"] = json!(round_us(self.end));
        v["duration_measures"] = json!(self.measures());
        if let Some((d, source)) = ffprobe.filter(|f| (f.0 - self.duration()).abs() > 0.0015) {
            v["ffprobe_duration"] = json!(round_ms(d));
            v["ffprobe_duration_source"] = json!(source);
        }
    }

    /// `10.032 s (0.057 s to 10.089 s, first presented audio frame to the end of the last
    /// audio frame; ffprobe: 10.080 s, the onMetaData duration)`.
    pub fn text(&self, ffprobe: Option<(f64, &str)>) -> String {
        let mut s = format!(
            "{:.3} s ({:.3} s to {:.3} s, {}",
            self.duration(),
            self.start,
            self.end,
            self.measures()
        );
        if let Some((d, source)) = ffprobe.filter(|f| (f.0 - self.duration()).abs() > 0.0015) {
            let _ = write!(s, "; ffprobe: {d:.3} s, {source}");
        }
        s.push(')');
        s
    }
}

/// Seconds from the earliest to the latest presented instant over all tracks.
pub fn span_secs(tracks: &[TrackSummary]) -> Option<f64> {
    Span::of(tracks).map(|s| s.duration())
}
