//! `inspect` for MP3 files: the ID3 tags frame by frame, the Xing/LAME header, the audio.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::error::Result;
use crate::id3::{FrameContent, Id3Frame, Id3v1Tag, Id3v2Tag, PictureFrame};
use crate::io::InputSource;
use crate::mp3::{Mp3Demuxer, Mp3ReadOptions, Mp3Report};

use super::{Span, TrackSummary, bit_rate, round_ms, summarize_tracks};

/// Everything `muxkit inspect song.mp3` shows.
#[derive(Clone, Debug)]
pub struct Mp3Summary {
    /// The input's size, when known.
    pub file_size: Option<u64>,
    /// The ID3v2 tag at the start.
    pub id3v2: Option<Id3v2Tag>,
    /// An ID3v2.4 tag appended at the end.
    pub appended_id3v2: Option<Id3v2Tag>,
    /// The ID3v1 tag.
    pub id3v1: Option<Id3v1Tag>,
    /// The audio track (and the timed ID3 track).
    pub tracks: Vec<TrackSummary>,
    /// Frames, bitrates, Xing header, warnings.
    pub report: Mp3Report,
}

/// Width and height of a PNG (its IHDR) or JPEG (its first SOFn) picture.
pub fn image_size(data: &[u8]) -> Option<(u32, u32)> {
    let be32 = |b: &[u8]| Some(u32::from_be_bytes(b.get(..4)?.try_into().ok()?));
    let be16 = |b: &[u8]| Some(u32::from(u16::from_be_bytes(b.get(..2)?.try_into().ok()?)));
    if data.starts_with(b"\x89PNG\r\n\x1a\n") && data.get(12..16) == Some(b"IHDR") {
        return Some((be32(data.get(16..)?)?, be32(data.get(20..)?)?));
    }
    if !data.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    while i + 4 <= data.len() {
        if data[i] != 0xFF {
            return None;
        }
        let marker = data[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = usize::try_from(be16(&data[i + 2..])?).ok()?;
        // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
        if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let h = be16(data.get(i + 5..)?)?;
            let w = be16(data.get(i + 7..)?)?;
            return Some((w, h));
        }
        if marker == 0xDA || len < 2 {
            return None;
        }
        i += 2 + len;
    }
    None
}

/// ID3v2 picture types (APIC), id3v2.4.0-frames §4.14.
fn picture_type_name(t: u8) -> &'static str {
    const NAMES: [&str; 21] = [
        "other",
        "file icon",
        "other file icon",
        "front cover",
        "back cover",
        "leaflet page",
        "media",
        "lead artist",
        "artist",
        "conductor",
        "band",
        "composer",
        "lyricist",
        "recording location",
        "during recording",
        "during performance",
        "screen capture",
        "bright coloured fish",
        "illustration",
        "band logotype",
        "publisher logotype",
    ];
    NAMES.get(usize::from(t)).copied().unwrap_or("reserved")
}

/// One frame as a line of text.
fn frame_text(f: &Id3Frame) -> String {
    let id = f.id;
    let mut s = match &f.content {
        FrameContent::Text { values, .. } => format!("{id} {values:?}"),
        FrameContent::UserText {
            description,
            values,
            ..
        } => format!("{id} {description:?} = {values:?}"),
        FrameContent::Url(u) => format!("{id} {u}"),
        FrameContent::UserUrl {
            description, url, ..
        } => format!("{id} {description:?} = {url}"),
        FrameContent::Comment {
            language,
            description,
            text,
            ..
        } => format!(
            "{id} [{}] {description:?}: {text:?}",
            String::from_utf8_lossy(language)
        ),
        FrameContent::Picture(p) => format!(
            "{id} {}, {} ({}), {} bytes, {:?}",
            p.mime,
            picture_type_name(p.picture_type),
            p.picture_type,
            p.data.len(),
            p.description
        ),
        FrameContent::Private { owner, data } => format!("{id} {owner}, {} bytes", data.len()),
        FrameContent::UniqueFileId { owner, identifier } => {
            format!("{id} {owner}: {:?}", String::from_utf8_lossy(identifier))
        }
        FrameContent::Object {
            mime,
            filename,
            description,
            data,
            ..
        } => format!(
            "{id} {mime} {filename:?} {description:?}, {} bytes",
            data.len()
        ),
        FrameContent::Popularimeter {
            email,
            rating,
            counter,
        } => format!("{id} {email} rating {rating}, plays {counter:?}"),
        FrameContent::PlayCounter(n) => format!("{id} {n} plays"),
        FrameContent::Chapter(c) => format!(
            "{id} {:?} {}..{} ms, {} sub-frames",
            c.element_id,
            c.start_ms,
            c.end_ms,
            c.frames.len()
        ),
        FrameContent::TableOfContents(t) => format!(
            "{id} {:?}{}{} children {:?}",
            t.element_id,
            if t.top_level { " top-level" } else { "" },
            if t.ordered { " ordered" } else { "" },
            t.children
        ),
        FrameContent::Encrypted { method, data } => {
            format!("{id} encrypted (method {method}), {} bytes", data.len())
        }
        FrameContent::Unknown(d) => format!("{id} {} bytes (not decoded)", d.len()),
        FrameContent::Undecodable { data, reason } => {
            format!("{id} {} bytes, undecodable: {reason}", data.len())
        }
    };
    if f.flags.compressed {
        s.push_str(" [compressed]");
    }
    if let Some(g) = f.flags.group {
        let _ = write!(s, " [group {g}]");
    }
    s
}

fn frame_json(f: &Id3Frame) -> Value {
    let mut v = match &f.content {
        FrameContent::Text { values, .. } => json!({ "text": values }),
        FrameContent::UserText {
            description,
            values,
            ..
        } => json!({ "description": description, "text": values }),
        FrameContent::Url(u) => json!({ "url": u }),
        FrameContent::UserUrl {
            description, url, ..
        } => json!({ "description": description, "url": url }),
        FrameContent::Comment {
            language,
            description,
            text,
            ..
        } => json!({
            "language": String::from_utf8_lossy(language),
            "description": description,
            "text": text,
        }),
        FrameContent::Picture(p) => json!({
            "mime": p.mime,
            "picture_type": p.picture_type,
            "picture_type_name": picture_type_name(p.picture_type),
            "description": p.description,
            "size": p.data.len(),
        }),
        FrameContent::Private { owner, data } => json!({ "owner": owner, "size": data.len() }),
        FrameContent::UniqueFileId { owner, identifier } => {
            json!({ "owner": owner, "identifier": String::from_utf8_lossy(identifier) })
        }
        FrameContent::Object {
            mime,
            filename,
            description,
            data,
            ..
        } => {
            json!({ "mime": mime, "filename": filename, "description": description, "size": data.len() })
        }
        FrameContent::Popularimeter {
            email,
            rating,
            counter,
        } => json!({ "email": email, "rating": rating, "counter": counter }),
        FrameContent::PlayCounter(n) => json!({ "counter": n }),
        FrameContent::Chapter(c) => json!({
            "element_id": c.element_id,
            "start_ms": c.start_ms,
            "end_ms": c.end_ms,
            "frames": c.frames.iter().map(frame_json).collect::<Vec<_>>(),
        }),
        FrameContent::TableOfContents(t) => json!({
            "element_id": t.element_id,
            "top_level": t.top_level,
            "ordered": t.ordered,
            "children": t.children,
            "frames": t.frames.iter().map(frame_json).collect::<Vec<_>>(),
        }),
        FrameContent::Encrypted { method, data } => {
            json!({ "encrypted": method, "size": data.len() })
        }
        FrameContent::Unknown(d) => json!({ "size": d.len() }),
        FrameContent::Undecodable { data, reason } => {
            json!({ "size": data.len(), "undecodable": reason })
        }
    };
    v["id"] = json!(f.id.as_str());
    if f.flags.compressed {
        v["compressed"] = json!(true);
    }
    if let Some(g) = f.flags.group {
        v["group"] = json!(g);
    }
    v
}

fn tag_json(t: &Id3v2Tag) -> Value {
    json!({
        "version": format!("2.{}.{}", t.version.major, t.version.revision),
        "size": t.len,
        "padding": t.padding,
        "unsynchronisation": t.flags.unsynchronisation,
        "extended_header": t.flags.extended_header,
        "footer": t.flags.footer,
        "plain_v24_frame_sizes": t.plain_v24_sizes,
        "frames": t.frames.iter().map(frame_json).collect::<Vec<_>>(),
        "warnings": t.warnings,
    })
}

fn tag_text(name: &str, t: &Id3v2Tag, s: &mut String) {
    let mut flags = Vec::new();
    if t.flags.unsynchronisation {
        flags.push("unsynchronised");
    }
    if t.flags.extended_header {
        flags.push("extended header");
    }
    if t.flags.footer {
        flags.push("footer");
    }
    if t.plain_v24_sizes {
        flags.push("plain (iTunes) frame sizes");
    }
    let _ = writeln!(
        s,
        "{name}: id3v2.{}.{}, {} bytes ({} padding){}{}",
        t.version.major,
        t.version.revision,
        t.len,
        t.padding,
        if flags.is_empty() { "" } else { ", " },
        flags.join(", ")
    );
    for f in &t.frames {
        let _ = writeln!(s, "  {}", frame_text(f));
    }
    for w in &t.warnings {
        let _ = writeln!(s, "  warning: {w}");
    }
}

impl Mp3Summary {
    /// Reads the whole input.
    pub fn read(src: InputSource, options: Mp3ReadOptions) -> Result<Mp3Summary> {
        let file_size = src.len_hint();
        let mut d = Mp3Demuxer::new(src, options)?;
        let tracks = summarize_tracks(&mut d)?;
        Ok(Mp3Summary {
            file_size: file_size.or(Some(0)).filter(|&n| n > 0),
            id3v2: d.id3v2().cloned(),
            appended_id3v2: d.appended_id3v2().cloned(),
            id3v1: d.id3v1().cloned(),
            tracks,
            report: d.report().clone(),
        })
    }

    /// Seconds of audio: the frames' samples at the stream's rate.
    pub fn duration_secs(&self) -> Option<f64> {
        self.tracks.first().and_then(TrackSummary::duration_secs)
    }

    /// The front cover (picture type 3), or else the first picture.
    pub fn cover(&self) -> Option<&PictureFrame> {
        let tag = self.id3v2.as_ref().or(self.appended_id3v2.as_ref())?;
        tag.pictures()
            .find(|p| p.picture_type == 3)
            .or_else(|| tag.pictures().next())
    }

    /// Average bitrate of the audio frames, bits per second.
    pub fn audio_bit_rate(&self) -> Option<u64> {
        bit_rate(Some(self.report.audio_bytes), self.duration_secs())
    }

    /// What ffprobe gives as the audio's start: the encoder delay plus the decoder's 529
    /// samples, which it skips (gapless playback), when a LAME header states the delay.
    pub fn ffprobe_start_time(&self) -> Option<f64> {
        let delay = self.report.xing.as_ref()?.encoder_delay?;
        let t = self.tracks.first()?;
        let rate = f64::from(t.details().ok()?.sample_rate?);
        Some(f64::from(delay + 529) / rate)
    }

    /// The JSON view.
    pub fn to_json(&self) -> Value {
        let r = &self.report;
        let mut v = json!({
            "format": "mp3",
            "file_size": self.file_size,
            "duration": self.duration_secs().map(round_ms),
            "start_time": null,
            "end_time": null,
            "duration_measures": null,
            "bit_rate": self.audio_bit_rate(),
            "vbr": r.is_vbr(),
            "frames": r.frames,
            "first_frame_offset": r.first_frame_offset,
            "free_format": r.free_format,
            "bitrate_range": r.bitrate_range.map(|(lo, hi)| json!([lo, hi])),
            "tracks": self.tracks.iter().map(TrackSummary::to_json).collect::<Vec<_>>(),
            "skipped_bytes": r.skipped_bytes,
            "resyncs": r.resyncs,
            "truncated_last_frame": r.truncated_last_frame,
            "warning_count": r.warning_count,
            "warnings": r.warnings.iter().map(|w| json!({ "offset": w.offset, "message": w.message })).collect::<Vec<_>>(),
        });
        if let Some(x) = &r.xing {
            v["xing"] = json!({
                "kind": x.kind,
                "frames": x.frames,
                "bytes": x.bytes,
                "encoder": x.encoder,
                "encoder_delay": x.encoder_delay,
                "encoder_padding": x.encoder_padding,
            });
        }
        if let Some(t) = &self.id3v2 {
            v["id3v2"] = tag_json(t);
        }
        if let Some(t) = &self.appended_id3v2 {
            v["appended_id3v2"] = tag_json(t);
        }
        if let Some(t) = &self.id3v1 {
            v["id3v1"] = json!({
                "title": t.title, "artist": t.artist, "album": t.album, "year": t.year,
                "comment": t.comment, "track": t.track, "genre": t.genre, "genre_name": t.genre_name(),
            });
        }
        if let Some(p) = self.cover() {
            v["cover"] = json!({ "mime": p.mime, "size": p.data.len() });
            if let Some((w, h)) = image_size(&p.data) {
                v["cover"]["width"] = json!(w);
                v["cover"]["height"] = json!(h);
            }
        }
        if let Some(span) = Span::of(&self.tracks[..self.tracks.len().min(1)]) {
            span.add_json(None, &mut v);
        }
        if let Some(st) = self.ffprobe_start_time() {
            v["ffprobe_start_time"] = json!(super::round_us(st));
        }
        v
    }

    /// The human view.
    pub fn to_text(&self) -> String {
        let r = &self.report;
        let mut s = String::new();
        let _ = write!(s, "format: mp3");
        if let Some(n) = self.file_size {
            let _ = write!(s, ", {n} bytes");
        }
        let _ = writeln!(s);
        let _ = write!(s, "audio: {} frames", r.frames);
        if let Some(span) = Span::of(&self.tracks[..self.tracks.len().min(1)]) {
            let _ = write!(s, ", {}", span.text(None));
        }
        if let Some(b) = self.audio_bit_rate() {
            let _ = write!(s, ", {} kb/s", (b + 500) / 1000);
        }
        let _ = write!(s, ", {}", if r.is_vbr() { "VBR" } else { "CBR" });
        if let Some((lo, hi)) = r.bitrate_range.filter(|(lo, hi)| lo != hi) {
            let _ = write!(s, " ({}..{} kb/s)", lo / 1000, hi / 1000);
        }
        if r.free_format {
            let _ = write!(s, ", free format");
        }
        let _ = writeln!(s);
        for t in &self.tracks {
            let _ = writeln!(s, "{}", t.to_text());
        }
        if let Some(x) = &r.xing {
            let opt = |v: Option<u32>| v.map_or_else(|| "?".to_owned(), |n| n.to_string());
            let _ = write!(
                s,
                "{} header: {} frames, {} bytes",
                x.kind,
                opt(x.frames),
                opt(x.bytes)
            );
            if let Some(e) = &x.encoder {
                let _ = write!(s, ", encoder {e:?}");
            }
            if let (Some(d), Some(p)) = (x.encoder_delay, x.encoder_padding) {
                let _ = write!(s, ", delay {d} samples, padding {p} samples");
            }
            let _ = writeln!(s);
        }
        if let Some(t) = &self.id3v2 {
            tag_text("id3v2", t, &mut s);
        }
        if let Some(t) = &self.appended_id3v2 {
            tag_text("appended id3v2", t, &mut s);
        }
        if let Some(t) = &self.id3v1 {
            let _ = writeln!(
                s,
                "id3v1{}: {:?} by {:?} on {:?} ({}), comment {:?}, genre {}",
                if t.track.is_some() { ".1" } else { "" },
                t.title,
                t.artist,
                t.album,
                t.year,
                t.comment,
                t.genre_name()
                    .map_or_else(|| t.genre.to_string(), str::to_owned)
            );
        }
        if let Some(p) = self.cover() {
            let _ = write!(s, "cover: {}, {} bytes", p.mime, p.data.len());
            if let Some((w, h)) = image_size(&p.data) {
                let _ = write!(s, ", {w}x{h}");
            }
            let _ = writeln!(s);
        }
        if let Some(st) = self.ffprobe_start_time() {
            let _ = writeln!(
                s,
                "ffprobe start time: {st:.6} s (it skips the encoder delay and 529 decoder samples)"
            );
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
