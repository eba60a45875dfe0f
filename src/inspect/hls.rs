//! `inspect` for HLS media playlists: RFC 8216 checks over the playlist and its segments.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::io::InputSource;
use crate::media::{Demuxer, MediaKind};
use crate::ts::demux::{TsDemuxer, TsReadOptions};
use crate::ts::{TS_PACKET_SIZE, TsPacket};

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
    /// Size on disk, when the file exists.
    pub size: Option<u64>,
    /// What is wrong with it, if anything.
    pub problems: Vec<String>,
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
    /// Every segment, in order.
    pub segments: Vec<SegmentCheck>,
    /// Problems with the playlist as a whole.
    pub problems: Vec<String>,
}

impl PlaylistCheck {
    /// Reads and checks the playlist at `path` (segments are found relative to it).
    pub fn run(path: &Path) -> Result<PlaylistCheck> {
        let text = std::fs::read(path).map_err(|source| Error::File {
            path: path.to_owned(),
            source,
        })?;
        let pl = match m3u8_rs::parse_playlist_res(&text) {
            Ok(m3u8_rs::Playlist::MediaPlaylist(p)) => p,
            Ok(m3u8_rs::Playlist::MasterPlaylist(m)) => {
                return Err(Error::Unsupported(format!(
                    "{} is a master playlist ({} variants): inspect one of its media playlists",
                    path.display(),
                    m.variants.len()
                )));
            }
            Err(e) => {
                return Err(Error::Unsupported(format!(
                    "{}: not a valid m3u8 playlist: {e}",
                    path.display()
                )));
            }
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut problems = Vec::new();
        let mut segments = Vec::new();
        for (i, s) in pl.segments.iter().enumerate() {
            let duration = f64::from(s.duration);
            let mut check = SegmentCheck {
                sequence: pl.media_sequence + i as u64,
                uri: s.uri.clone(),
                duration,
                discontinuity: s.discontinuity,
                size: None,
                problems: Vec::new(),
            };
            if duration.round() as u64 > pl.target_duration {
                check.problems.push(format!(
                    "EXTINF {duration:.3} rounds above TARGETDURATION {} (RFC 8216 4.3.3.1)",
                    pl.target_duration
                ));
            }
            if s.uri.contains("://") {
                check.problems.push("remote uri, not checked".into());
            } else {
                check_segment(&dir.join(&s.uri), pl.independent_segments, &mut check);
            }
            segments.push(check);
        }
        if pl.segments.is_empty() {
            problems.push("no segments".into());
        }
        let vod = pl.playlist_type == Some(m3u8_rs::MediaPlaylistType::Vod);
        if vod && !pl.end_list {
            problems.push("a VOD playlist must end with EXT-X-ENDLIST (RFC 8216 4.3.3.5)".into());
        }
        let fractional = pl.segments.iter().any(|s| s.duration.fract() != 0.0);
        if fractional && pl.version.unwrap_or(1) < 3 {
            problems.push("fractional EXTINF needs EXT-X-VERSION 3 or more (RFC 8216 7)".into());
        }
        Ok(PlaylistCheck {
            path: path.to_owned(),
            version: pl.version,
            target_duration: pl.target_duration,
            media_sequence: pl.media_sequence,
            playlist_type: pl.playlist_type.as_ref().map(ToString::to_string),
            ended: pl.end_list,
            segments,
            problems,
        })
    }

    /// Whether nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.segments.iter().all(|s| s.problems.is_empty())
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
            "total_duration": (self.total_duration() * 1000.0).round() / 1000.0,
            "segments": self.segments.iter().map(|s| json!({
                "sequence": s.sequence, "uri": s.uri, "duration": s.duration,
                "discontinuity": s.discontinuity, "size": s.size, "problems": s.problems,
            })).collect::<Vec<_>>(),
            "problems": self.problems,
            "clean": self.is_clean(),
        })
    }

    /// The human view.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "format: hls media playlist, version {}, {}, target duration {} s, media sequence {}{}",
            self.version.map_or("-".into(), |v| v.to_string()),
            self.playlist_type.as_deref().unwrap_or("no playlist type"),
            self.target_duration,
            self.media_sequence,
            if self.ended { ", ended" } else { "" }
        );
        let _ = writeln!(
            s,
            "segments: {}, {:.3} s in all",
            self.segments.len(),
            self.total_duration()
        );
        for seg in &self.segments {
            let _ = write!(s, "  #{} {} {:.3} s", seg.sequence, seg.uri, seg.duration);
            if seg.discontinuity {
                s.push_str(" (after a discontinuity)");
            }
            if let Some(n) = seg.size {
                let _ = write!(s, ", {n} bytes");
            }
            s.push_str(if seg.problems.is_empty() {
                ", ok\n"
            } else {
                "\n"
            });
            for p in &seg.problems {
                let _ = writeln!(s, "    problem: {p}");
            }
        }
        for p in &self.problems {
            let _ = writeln!(s, "problem: {p}");
        }
        let _ = writeln!(
            s,
            "{}",
            if self.is_clean() {
                "result: ok"
            } else {
                "result: problems found"
            }
        );
        s
    }
}

/// A segment must exist, be whole TS packets, start with PAT then PMT, and (with video) start
/// decoding at a keyframe.
/// `independent`: the playlist claims EXT-X-INDEPENDENT-SEGMENTS, so every segment must start
/// with a keyframe (without the claim a segment may start mid-GOP, RFC 8216 4.3.5.1).
fn check_segment(path: &Path, independent: bool, check: &mut SegmentCheck) {
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => {
            check
                .problems
                .push(format!("cannot read {}: {e}", path.display()));
            return;
        }
    };
    check.size = Some(data.len() as u64);
    if data.len() % TS_PACKET_SIZE != 0 {
        check.problems.push(format!(
            "{} bytes is not a whole number of 188-byte packets",
            data.len()
        ));
    }
    let pid = |i: usize| {
        let bytes: &[u8; TS_PACKET_SIZE] = data
            .get(i * TS_PACKET_SIZE..(i + 1) * TS_PACKET_SIZE)?
            .try_into()
            .ok()?;
        TsPacket::parse(bytes).ok().map(|p| p.header.pid.value())
    };
    let (first, second) = (pid(0), pid(1));
    if first != Some(0) {
        check.problems.push("does not start with a PAT".into());
    }
    let mut d = match TsDemuxer::new(
        InputSource::from_bytes(data.into()),
        TsReadOptions::default(),
    ) {
        Ok(d) => d,
        Err(e) => {
            check.problems.push(format!("not readable as mpeg-ts: {e}"));
            return;
        }
    };
    let pmt_pids: Vec<u16> = d
        .pat()
        .map(|p| p.programs.iter().map(|(_, pid)| pid.value()).collect())
        .unwrap_or_default();
    if !second.is_some_and(|p| pmt_pids.contains(&p)) {
        check
            .problems
            .push("the PAT is not followed by the PMT".into());
    }
    loop {
        match d.next_packet() {
            Ok(Some(p)) => {
                if d.tracks()[p.track as usize].kind == MediaKind::Video {
                    if !p.flags.keyframe && independent {
                        check.problems.push(
                            "the first video frame is not a keyframe, yet the playlist claims EXT-X-INDEPENDENT-SEGMENTS".into(),
                        );
                    }
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                check.problems.push(format!("damaged: {e}"));
                break;
            }
        }
    }
}
