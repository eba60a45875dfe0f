//! The Media Presentation Description (ISO/IEC 23009-1 §5.3, the ISO BMFF live profile
//! `urn:mpeg:dash:profile:isoff-live:2011`): one Period, one AdaptationSet per track, each with
//! one Representation addressed by a SegmentTemplate with a SegmentTimeline (§5.3.9.6), so
//! segments of any duration are listed exactly. Written as text: the document is small and
//! fixed in shape, and every value is escaped.

use std::fmt::Write as _;

/// A static (on demand, complete) or dynamic (live, rewritten as segments come) MPD.
#[derive(Clone, Debug, PartialEq)]
pub struct Mpd {
    /// `dynamic` when the presentation is still growing.
    pub dynamic: Option<DynamicTimes>,
    /// Seconds of media (static: `mediaPresentationDuration`).
    pub duration_secs: f64,
    /// `minBufferTime`, seconds: the longest segment.
    pub min_buffer_secs: f64,
    /// One per track.
    pub adaptation_sets: Vec<AdaptationSet>,
}

/// What a dynamic MPD adds (§5.3.1.2).
#[derive(Clone, Debug, PartialEq)]
pub struct DynamicTimes {
    /// `availabilityStartTime`: the wall-clock time of media time 0, RFC 3339.
    pub availability_start: String,
    /// `publishTime`: when this version was written, RFC 3339.
    pub publish_time: String,
    /// `minimumUpdatePeriod`, seconds.
    pub minimum_update_secs: f64,
    /// `timeShiftBufferDepth`, seconds (the window kept); `None`: everything stays.
    pub time_shift_secs: Option<f64>,
}

/// One track as an AdaptationSet with one Representation.
#[derive(Clone, Debug, PartialEq)]
pub struct AdaptationSet {
    /// `video` or `audio`.
    pub content_type: &'static str,
    /// The Representation's id (also the segment names' prefix).
    pub id: String,
    /// RFC 6381 codec string.
    pub codecs: String,
    /// Bits per second.
    pub bandwidth: u64,
    /// Video size.
    pub size: Option<(u32, u32)>,
    /// Audio rate and channels.
    pub audio: Option<(u32, u8)>,
    /// Ticks per second of the timeline.
    pub timescale: u32,
    /// The initialization segment's name.
    pub initialization: String,
    /// The media segments' template (`video_$Number%05d$.m4s`).
    pub media: String,
    /// The number of the first listed segment.
    pub start_number: u64,
    /// (start, duration) of each listed segment, in `timescale` ticks.
    pub timeline: Vec<(u64, u64)>,
}

/// `PT…S` (xs:duration) with millisecond precision.
pub fn iso_duration(secs: f64) -> String {
    let ms = (secs.max(0.0) * 1000.0).round() as u64;
    format!("PT{}.{:03}S", ms / 1000, ms % 1000)
}

/// Escapes the five XML special characters of an attribute value.
fn attr(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            c => s.push(c),
        }
    }
    s
}

/// The SegmentTimeline's `S` elements: runs of equal durations (`r`), a `t` where a segment
/// does not start where the previous one ended.
fn timeline_xml(timeline: &[(u64, u64)], out: &mut String) {
    let mut i = 0;
    let mut expected: Option<u64> = None;
    while i < timeline.len() {
        let (t, d) = timeline[i];
        let mut r = 0;
        while i + r + 1 < timeline.len()
            && timeline[i + r + 1].1 == d
            && timeline[i + r + 1].0 == timeline[i + r].0 + d
        {
            r += 1;
        }
        let _ = write!(out, "          <S");
        if expected != Some(t) {
            let _ = write!(out, " t=\"{t}\"");
        }
        let _ = write!(out, " d=\"{d}\"");
        if r > 0 {
            let _ = write!(out, " r=\"{r}\"");
        }
        let _ = writeln!(out, "/>");
        expected = Some(t + d * (r as u64 + 1));
        i += r + 1;
    }
}

impl Mpd {
    /// The document.
    pub fn to_xml(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        let _ = write!(
            s,
            "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" profiles=\"urn:mpeg:dash:profile:isoff-live:2011\""
        );
        match &self.dynamic {
            None => {
                let _ = write!(
                    s,
                    " type=\"static\" mediaPresentationDuration=\"{}\"",
                    iso_duration(self.duration_secs)
                );
            }
            Some(d) => {
                let _ = write!(
                    s,
                    " type=\"dynamic\" availabilityStartTime=\"{}\" publishTime=\"{}\" minimumUpdatePeriod=\"{}\"",
                    attr(&d.availability_start),
                    attr(&d.publish_time),
                    iso_duration(d.minimum_update_secs),
                );
                if let Some(depth) = d.time_shift_secs {
                    let _ = write!(s, " timeShiftBufferDepth=\"{}\"", iso_duration(depth));
                }
            }
        }
        let _ = writeln!(
            s,
            " minBufferTime=\"{}\">",
            iso_duration(self.min_buffer_secs)
        );
        let _ = writeln!(s, "  <Period id=\"0\" start=\"PT0.000S\">");
        for (i, a) in self.adaptation_sets.iter().enumerate() {
            let mime = if a.content_type == "video" {
                "video/mp4"
            } else {
                "audio/mp4"
            };
            let _ = writeln!(
                s,
                "    <AdaptationSet id=\"{i}\" contentType=\"{}\" mimeType=\"{mime}\" segmentAlignment=\"true\" startWithSAP=\"1\">",
                a.content_type
            );
            let _ = write!(
                s,
                "      <Representation id=\"{}\" codecs=\"{}\" bandwidth=\"{}\"",
                attr(&a.id),
                attr(&a.codecs),
                a.bandwidth.max(1)
            );
            if let Some((w, h)) = a.size {
                let _ = write!(s, " width=\"{w}\" height=\"{h}\"");
            }
            if let Some((rate, _)) = a.audio {
                let _ = write!(s, " audioSamplingRate=\"{rate}\"");
            }
            let _ = writeln!(s, ">");
            if let Some((_, channels)) = a.audio {
                let _ = writeln!(
                    s,
                    "        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\" value=\"{channels}\"/>"
                );
            }
            let _ = writeln!(
                s,
                "        <SegmentTemplate timescale=\"{}\" initialization=\"{}\" media=\"{}\" startNumber=\"{}\">",
                a.timescale,
                attr(&a.initialization),
                attr(&a.media),
                a.start_number
            );
            let _ = writeln!(s, "          <SegmentTimeline>");
            let mut t = String::new();
            timeline_xml(&a.timeline, &mut t);
            for line in t.lines() {
                let _ = writeln!(s, "  {line}");
            }
            let _ = writeln!(s, "          </SegmentTimeline>");
            let _ = writeln!(s, "        </SegmentTemplate>");
            let _ = writeln!(s, "      </Representation>");
            let _ = writeln!(s, "    </AdaptationSet>");
        }
        let _ = writeln!(s, "  </Period>");
        let _ = writeln!(s, "</MPD>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timelines_run_length_code_and_mark_gaps() {
        let mut out = String::new();
        timeline_xml(
            &[
                (0, 2000),
                (2000, 2000),
                (4000, 2000),
                (6000, 1500),
                (9000, 100),
            ],
            &mut out,
        );
        assert_eq!(
            out,
            "          <S t=\"0\" d=\"2000\" r=\"2\"/>\n          <S d=\"1500\"/>\n          <S t=\"9000\" d=\"100\"/>\n"
        );
        assert_eq!(iso_duration(10.0805), "PT10.081S");
        assert_eq!(attr("a\"<&>'"), "a&quot;&lt;&amp;&gt;&apos;");
    }
}
