//! The media playlist (RFC 8216 §4.3): pure logic over m3u8-rs types.

use m3u8_rs::{MediaPlaylist, MediaPlaylistType, MediaSegment};

/// Which kind of playlist to write (RFC 8216 §4.3.3.5). Event and live (sliding window)
/// playlists, with their fixed TARGETDURATION, are the next step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlaylistType {
    /// Complete and unchanging once written: every segment, ENDLIST; written once, at the end.
    #[default]
    Vod,
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
}

/// The playlist being built.
#[derive(Clone, Debug, Default)]
pub struct Playlist {
    /// The playlist type.
    pub kind: PlaylistType,
    /// The segments, in order.
    pub segments: Vec<PlaylistSegment>,
    /// Whether the input has ended (ENDLIST).
    pub ended: bool,
}

/// EXTINF precision: milliseconds, enough to add up to the media's duration within a frame.
const EXTINF_DECIMALS: usize = 3;

impl Playlist {
    /// TARGETDURATION (RFC 8216 §4.3.3.1 compares it with every EXTINF rounded to the nearest
    /// second): for VOD, the longest segment rounded.
    pub fn target_duration(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| s.duration.round() as u64)
            .max()
            .unwrap_or(0)
            .max(1)
    }

    /// The m3u8-rs form.
    pub fn to_m3u8(&self) -> MediaPlaylist {
        MediaPlaylist {
            version: Some(3),
            target_duration: self.target_duration(),
            media_sequence: 0,
            segments: self
                .segments
                .iter()
                .map(|s| MediaSegment {
                    uri: s.uri.clone(),
                    duration: s.duration as f32,
                    discontinuity: s.discontinuity,
                    ..MediaSegment::default()
                })
                .collect(),
            discontinuity_sequence: 0,
            end_list: self.ended,
            playlist_type: Some(match self.kind {
                PlaylistType::Vod => MediaPlaylistType::Vod,
            }),
            independent_segments: true,
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
