//! The media playlist (RFC 8216 §4.3): pure logic over m3u8-rs types.

use chrono::{DateTime, FixedOffset};
use m3u8_rs::{MediaPlaylist, MediaPlaylistType, MediaSegment};

/// Which kind of playlist to write (RFC 8216 §4.3.3.5, §6.2.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlaylistType {
    /// Complete and unchanging once written: every segment, ENDLIST; written once, at the end.
    #[default]
    Vod,
    /// Grows while the input lasts (`PLAYLIST-TYPE:EVENT`): rewritten after every segment,
    /// nothing ever removed, ENDLIST at the end.
    Event,
    /// A sliding window of the newest segments (no PLAYLIST-TYPE): older segments leave the
    /// playlist and are deleted once clients can no longer need them.
    Live,
}

impl PlaylistType {
    /// Whether the playlist is rewritten while the input lasts (event and live), so its
    /// TARGETDURATION must be fixed before the first segment is listed.
    pub fn is_growing(self) -> bool {
        self != PlaylistType::Vod
    }
}

/// One listed segment.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaylistSegment {
    /// The URI, relative to the playlist.
    pub uri: String,
    /// Seconds.
    pub duration: f64,
    /// A discontinuity comes before this segment.
    pub discontinuity: bool,
    /// The wall-clock time of its first frame (EXT-X-PROGRAM-DATE-TIME), when asked for.
    pub program_date_time: Option<DateTime<FixedOffset>>,
    /// (offset, length) within the URI, when segments share one file (EXT-X-BYTERANGE).
    pub byte_range: Option<(u64, u64)>,
    /// AES-128: the key's URI and this segment's IV (an EXT-X-KEY before it).
    pub key: Option<(String, [u8; 16])>,
    /// fMP4: the initialization segment it needs (EXT-X-MAP, RFC 8216 §4.3.2.5), written
    /// before the first listed segment and wherever it changes (a republished stream).
    pub map: Option<String>,
}

/// The playlist being built.
#[derive(Clone, Debug, Default)]
pub struct Playlist {
    /// The playlist type.
    pub kind: PlaylistType,
    /// The segments listed, in order (for a live playlist, the window).
    pub segments: Vec<PlaylistSegment>,
    /// Whether the input has ended (ENDLIST).
    pub ended: bool,
    /// The sequence number of the first listed segment (segments that left a live window).
    pub media_sequence: u64,
    /// Discontinuities that left a live window with their segments.
    pub discontinuity_sequence: u64,
    /// TARGETDURATION fixed up front (event and live playlists, RFC 8216 §6.2.1: it must not
    /// change); `None` lets a VOD playlist use its longest segment.
    pub fixed_target_duration: Option<u64>,
    /// (offset, length) of the initialization segment within the first segment's map
    /// (single-file fMP4, where it is the file's start).
    pub map_byte_range: Option<(u64, u64)>,
}

/// EXTINF precision: milliseconds, enough to add up to the media's duration within a frame.
const EXTINF_DECIMALS: usize = 3;

impl Playlist {
    /// TARGETDURATION (RFC 8216 §4.3.3.1 compares it with every EXTINF rounded to the nearest
    /// second): the fixed one, or for VOD the longest segment rounded.
    pub fn target_duration(&self) -> u64 {
        if let Some(fixed) = self.fixed_target_duration {
            return fixed;
        }
        self.segments
            .iter()
            .map(|s| s.duration.round() as u64)
            .max()
            .unwrap_or(0)
            .max(1)
    }

    /// Seconds of media listed.
    pub fn duration(&self) -> f64 {
        self.segments.iter().map(|s| s.duration).sum()
    }

    /// Takes the oldest segment out of the list (a live window sliding), keeping the
    /// sequence numbers right (RFC 8216 §6.2.2).
    pub fn remove_first(&mut self) -> Option<PlaylistSegment> {
        if self.segments.is_empty() {
            return None;
        }
        let s = self.segments.remove(0);
        self.media_sequence += 1;
        if s.discontinuity {
            self.discontinuity_sequence += 1;
        }
        Some(s)
    }

    /// The m3u8-rs form.
    pub fn to_m3u8(&self) -> MediaPlaylist {
        let range = |(offset, length): (u64, u64)| m3u8_rs::ByteRange {
            length,
            offset: Some(offset),
        };
        // EXT-X-MAP: version 6 at least (ffmpeg writes 7); EXT-X-BYTERANGE: 4 (RFC 8216 §7).
        let version = if self.segments.iter().any(|s| s.map.is_some()) {
            7
        } else if self.segments.iter().any(|s| s.byte_range.is_some()) {
            4
        } else {
            3
        };
        MediaPlaylist {
            version: Some(version),
            target_duration: self.target_duration(),
            media_sequence: self.media_sequence,
            segments: self
                .segments
                .iter()
                .enumerate()
                .map(|(i, s)| MediaSegment {
                    uri: s.uri.clone(),
                    byte_range: s.byte_range.map(range),
                    key: s.key.as_ref().map(|(uri, iv)| m3u8_rs::Key {
                        method: m3u8_rs::KeyMethod::AES128,
                        uri: Some(uri.clone()),
                        iv: Some(format!(
                            "0x{}",
                            iv.iter().map(|b| format!("{b:02X}")).collect::<String>()
                        )),
                        keyformat: None,
                        keyformatversions: None,
                    }),
                    map: s
                        .map
                        .as_ref()
                        .filter(|m| i == 0 || self.segments[i - 1].map.as_ref() != Some(m))
                        .map(|uri| m3u8_rs::Map {
                            uri: uri.clone(),
                            byte_range: self.map_byte_range.filter(|_| i == 0).map(range),
                            ..m3u8_rs::Map::default()
                        }),
                    duration: s.duration as f32,
                    discontinuity: s.discontinuity,
                    program_date_time: s.program_date_time,
                    ..MediaSegment::default()
                })
                .collect(),
            discontinuity_sequence: self.discontinuity_sequence,
            end_list: self.ended,
            playlist_type: match self.kind {
                PlaylistType::Vod => Some(MediaPlaylistType::Vod),
                PlaylistType::Event => Some(MediaPlaylistType::Event),
                PlaylistType::Live => None,
            },
            // Every VOD segment starts with a keyframe. A growing playlist declares nothing it
            // might have to break: a GOP longer than its fixed TARGETDURATION is cut mid-GOP
            // (see the segmenter), and the tag could not be taken back (RFC 8216 §6.2.1).
            independent_segments: self.kind == PlaylistType::Vod,
            ..MediaPlaylist::default()
        }
    }

    /// The playlist's text.
    pub fn to_bytes(&self) -> Vec<u8> {
        // m3u8-rs writes EXTINF with a process-wide precision setting.
        m3u8_rs::WRITE_OPT_FLOAT_PRECISION
            .store(EXTINF_DECIMALS, std::sync::atomic::Ordering::Relaxed);
        let mut out = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = self.to_m3u8().write_to(&mut out);
        out
    }
}
