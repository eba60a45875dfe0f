//! `inspect` for HLS media playlists: an RFC 8216 lint over the playlist and its segments.
//!
//! Errors are RFC 8216 MUSTs (each names its section): a client may refuse the playlist, and
//! `inspect` exits 1. Warnings are SHOULDs and Apple's authoring rules. TS segments, fMP4
//! segments after an `EXT-X-MAP`, and byte ranges of one file are all read (what ffmpeg's
//! `-hls_segment_type fmp4` and `-hls_flags single_file` write); a segment must hold media.
//! Reading is bounded: the playlist text, the bytes read per segment, and how many segments
//! are read in full (the others are looked up, not read).

mod listing;
mod rules;
mod segment;

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::error::{Error, Result};

pub use rules::{Finding, Severity, check_text};
pub use segment::MAX_CHECKED_SEGMENT_BYTES;
use segment::Resource;

/// The largest playlist read: a day of 2 s segments is about 2 MB of text; this bounds what a
/// playlist of millions of lines costs.
pub const MAX_PLAYLIST_BYTES: u64 = 16 * 1024 * 1024;

/// Segments read in full (the first and last halves of this many); the others are only
/// looked up (present, regular, size), so a playlist of 500,000 segments stays cheap.
pub const MAX_SEGMENTS_READ: usize = 400;

/// What one listed segment turned out to be.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentCheck {
    /// Media sequence number.
    pub sequence: u64,
    /// The URI as listed.
    pub uri: String,
    /// EXTINF seconds.
    pub duration: f64,
    /// EXT-X-DISCONTINUITY before it.
    pub discontinuity: bool,
    /// Size on disk (of the file, or of its byte range), when it could be found.
    pub size: Option<u64>,
    /// Whether its bytes were read and checked (see [`MAX_SEGMENTS_READ`]).
    pub read: bool,
    /// Errors and warnings about it.
    pub findings: Vec<Finding>,
}

impl SegmentCheck {
    /// Its errors, as text.
    pub fn problems(&self) -> Vec<String> {
        by_severity(&self.findings, Severity::Error)
    }
}

fn by_severity(findings: &[Finding], s: Severity) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.severity == s)
        .map(|f| format!("{} ({})", f.message, f.rule))
        .collect()
}

/// The result of checking a media playlist and its segments.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaylistCheck {
    /// The playlist file.
    pub path: PathBuf,
    /// EXT-X-VERSION.
    pub version: Option<usize>,
    /// EXT-X-TARGETDURATION.
    pub target_duration: u64,
    /// EXT-X-MEDIA-SEQUENCE.
    pub media_sequence: u64,
    /// EXT-X-PLAYLIST-TYPE.
    pub playlist_type: Option<String>,
    /// EXT-X-ENDLIST.
    pub ended: bool,
    /// fMP4 segments (an EXT-X-MAP applies).
    pub fmp4: bool,
    /// Every segment, in order.
    pub segments: Vec<SegmentCheck>,
    /// Errors and warnings about the playlist as a whole.
    pub findings: Vec<Finding>,
}

impl PlaylistCheck {
    /// Reads and checks the playlist at `path` (segments are found relative to it).
    pub fn run(path: &Path) -> Result<PlaylistCheck> {
        let file_err = |source| Error::File {
            path: path.to_owned(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(file_err)?;
        if !meta.is_file() {
            return Err(Error::InvalidInput(format!(
                "{}: not a regular file",
                path.display()
            )));
        }
        if meta.len() > MAX_PLAYLIST_BYTES {
            return Err(Error::InvalidInput(format!(
                "{}: a playlist of {} bytes is over the {MAX_PLAYLIST_BYTES}-byte limit",
                path.display(),
                meta.len()
            )));
        }
        let mut text = Vec::new();
        std::fs::File::open(path)
            .map_err(file_err)?
            .take(MAX_PLAYLIST_BYTES)
            .read_to_end(&mut text)
            .map_err(file_err)?;
        let text = String::from_utf8_lossy(&text);
        let pl = listing::read(&text);
        if pl.multivariant {
            return Err(Error::Unsupported(format!(
                "{} is a multivariant playlist: inspect one of its media playlists",
                path.display()
            )));
        }
        let mut findings = check_text(&text);
        let dir = path.parent().unwrap_or(Path::new("."));
        let n = pl.segments.len();
        let deep = |i: usize| i < MAX_SEGMENTS_READ / 2 || i + MAX_SEGMENTS_READ / 2 >= n;
        let mut segments = Vec::with_capacity(n);
        let mut map: Option<Resource> = None;
        let mut map_checked = false;
        // Where the next byte range without an offset starts (RFC 8216 4.3.2.2).
        let mut next_offset = 0u64;
        for (i, s) in pl.segments.iter().enumerate() {
            let duration = s.duration;
            let mut check = SegmentCheck {
                sequence: pl.media_sequence.saturating_add(i as u64),
                uri: s.uri.clone(),
                duration,
                discontinuity: s.discontinuity,
                size: None,
                read: false,
                findings: Vec::new(),
            };
            // Rounded to the nearest integer (halves both ways: ffmpeg rounds 2.5 to 2).
            if duration > pl.target_duration as f64 + 0.5 {
                check.findings.push(Finding::error(
                    "RFC 8216 4.3.3.1",
                    format!(
                        "EXTINF {duration:.3} rounds above TARGETDURATION {}",
                        pl.target_duration
                    ),
                ));
            }
            if let Some((uri, range)) = &s.map {
                map = match segment::resolve(dir, uri) {
                    Ok(p) => Some(Resource {
                        path: p,
                        range: range.map(|(len, offset)| (offset.unwrap_or(0), len)),
                    }),
                    Err(f) => {
                        check.findings.push(f);
                        None
                    }
                };
                map_checked = false;
            }
            let range = s.byte_range.map(|(len, offset)| {
                let offset = offset.unwrap_or(next_offset);
                next_offset = offset.saturating_add(len);
                (offset, len)
            });
            let path = match segment::resolve(dir, &s.uri) {
                Ok(p) => p,
                Err(f) => {
                    check.findings.push(f);
                    segments.push(check);
                    continue;
                }
            };
            let res = Resource { path, range };
            if !deep(i) {
                match std::fs::metadata(&res.path) {
                    Ok(m) if m.is_file() => check.size = Some(range.map_or(m.len(), |r| r.1)),
                    Ok(_) => check.findings.push(Finding::error(
                        "RFC 8216 3",
                        format!("{} is not a regular file", res.path.display()),
                    )),
                    Err(e) => check.findings.push(Finding::error(
                        "RFC 8216 3",
                        format!("cannot read {}: {e}", res.path.display()),
                    )),
                }
                segments.push(check);
                continue;
            }
            if let (Some(m), false) = (&map, map_checked) {
                map_checked = true;
                match segment::read(m) {
                    Ok((data, _)) => segment::check_init(&data, &mut check.findings),
                    Err(f) => check.findings.push(f),
                }
            }
            match segment::read(&res) {
                Ok((mut data, size)) => {
                    let mut len = range.map_or(size, |r| r.1);
                    if let Some(key) = &s.key {
                        let whole = data.len() as u64 == len;
                        match segment::decrypt(dir, key, check.sequence, &mut data, whole) {
                            Ok(()) => {
                                if whole {
                                    len = data.len() as u64;
                                }
                            }
                            Err(f) => {
                                check.size = Some(len);
                                check.findings.push(f);
                                segments.push(check);
                                continue;
                            }
                        }
                    }
                    check.size = Some(len);
                    check.read = true;
                    if map.is_some() {
                        segment::check_fmp4(&data, &mut check.findings);
                    } else {
                        segment::check_ts(data, len, pl.independent_segments, &mut check.findings);
                    }
                }
                Err(f) => check.findings.push(f),
            }
            segments.push(check);
        }
        if pl.segments.is_empty() {
            findings.push(Finding::error("RFC 8216 3", "no segments"));
        } else if pl.segments.iter().all(|s| s.duration <= 0.0) {
            findings.push(Finding::error("RFC 8216 3", "0 s of media in all"));
        }
        Ok(PlaylistCheck {
            path: path.to_owned(),
            version: pl.version,
            target_duration: pl.target_duration,
            media_sequence: pl.media_sequence,
            playlist_type: pl.playlist_type.clone(),
            ended: pl.ended,
            fmp4: map.is_some(),
            segments,
            findings,
        })
    }

    /// Whether no error was found (warnings allowed).
    pub fn is_clean(&self) -> bool {
        self.errors() == 0
    }

    /// Errors found, in the playlist and its segments.
    pub fn errors(&self) -> usize {
        self.all().filter(|f| f.severity == Severity::Error).count()
    }

    /// Warnings found, in the playlist and its segments.
    pub fn warnings(&self) -> usize {
        self.all()
            .filter(|f| f.severity == Severity::Warning)
            .count()
    }

    fn all(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .chain(self.segments.iter().flat_map(|s| s.findings.iter()))
    }

    /// The sum of the EXTINF durations.
    pub fn total_duration(&self) -> f64 {
        self.segments.iter().map(|s| s.duration).sum()
    }

    /// The JSON view.
    pub fn to_json(&self) -> Value {
        json!({
            "format": "hls",
            "playlist": self.path.display().to_string(),
            "version": self.version,
            "target_duration": self.target_duration,
            "media_sequence": self.media_sequence,
            "playlist_type": self.playlist_type,
            "ended": self.ended,
            "segment_format": if self.fmp4 { "fmp4" } else { "ts" },
            "total_duration": (self.total_duration() * 1000.0).round() / 1000.0,
            "segments": self.segments.iter().map(|s| json!({
                "sequence": s.sequence, "uri": s.uri, "duration": s.duration,
                "discontinuity": s.discontinuity, "size": s.size, "read": s.read,
                "problems": s.problems(),
                "warnings": by_severity(&s.findings, Severity::Warning),
            })).collect::<Vec<_>>(),
            "problems": by_severity(&self.findings, Severity::Error),
            "warnings": by_severity(&self.findings, Severity::Warning),
            "errors": self.errors(),
            "warning_count": self.warnings(),
            "clean": self.is_clean(),
        })
    }

    /// The human view.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "format: hls media playlist, version {}, {}, target duration {} s, media sequence {}{}{}",
            self.version.map_or("-".into(), |v| v.to_string()),
            self.playlist_type.as_deref().unwrap_or("no playlist type"),
            self.target_duration,
            self.media_sequence,
            if self.fmp4 { ", fmp4 segments" } else { "" },
            if self.ended { ", ended" } else { "" }
        );
        let read = self.segments.iter().filter(|s| s.read).count();
        let _ = write!(
            s,
            "segments: {}, {:.3} s in all",
            self.segments.len(),
            self.total_duration()
        );
        if read < self.segments.len() {
            let _ = write!(s, " ({read} read in full, the others looked up)");
        }
        s.push('\n');
        for seg in &self.segments {
            let _ = write!(s, "  #{} {} {:.3} s", seg.sequence, seg.uri, seg.duration);
            if seg.discontinuity {
                s.push_str(" (after a discontinuity)");
            }
            if let Some(n) = seg.size {
                let _ = write!(s, ", {n} bytes");
            }
            s.push_str(if seg.findings.is_empty() {
                ", ok\n"
            } else {
                "\n"
            });
            for f in &seg.findings {
                let _ = writeln!(s, "    {f}");
            }
        }
        for f in &self.findings {
            let _ = writeln!(s, "{f}");
        }
        let (e, w) = (self.errors(), self.warnings());
        let _ = match (e, w) {
            (0, 0) => writeln!(s, "result: ok"),
            (0, w) => writeln!(s, "result: ok, {w} warning{}", plural(w)),
            (e, w) => writeln!(
                s,
                "result: {e} error{} (RFC 8216 musts), {w} warning{}",
                plural(e),
                plural(w)
            ),
        };
        s
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
