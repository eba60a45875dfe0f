//! Track selection: which of an input's tracks a conversion writes (`--map`, `--no-video`,
//! `--no-audio`, `--no-data`, and the audio-only output extensions).
//!
//! Tracks are named by the ids `inspect` shows (the demuxer's track index), or by kind. Left
//! out by choice is not lost: such tracks are listed in [`crate::remux::RemuxStats::deselected`],
//! never in its losses, so `--strict` does not fail on them. The output keeps the input's track
//! order whatever order `--map` names them in.

use std::fmt;
use std::str::FromStr;

use crate::media::{MediaKind, Track};

/// One `--map` value: a track id or every track of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackPick {
    /// The track with this id, as `inspect` shows it.
    Id(u32),
    /// Every track of this kind (`v`, `a`, `d`).
    Kind(MediaKind),
}

impl FromStr for TrackPick {
    type Err = String;

    /// `0`, `1`, ... or `v`/`video`, `a`/`audio`, `d`/`data`.
    fn from_str(s: &str) -> Result<TrackPick, String> {
        match s.trim() {
            "v" | "video" => Ok(TrackPick::Kind(MediaKind::Video)),
            "a" | "audio" => Ok(TrackPick::Kind(MediaKind::Audio)),
            "d" | "data" => Ok(TrackPick::Kind(MediaKind::Data)),
            other => other.parse().map(TrackPick::Id).map_err(|_| {
                format!("{other:?} is not a track id (as `muxkit inspect` shows) or v, a, d")
            }),
        }
    }
}

impl fmt::Display for TrackPick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrackPick::Id(id) => write!(f, "{id}"),
            TrackPick::Kind(k) => write!(f, "{k}"),
        }
    }
}

/// Which tracks go to the output. The default keeps every track.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrackSelection {
    /// Keep only tracks named here (empty: every track).
    pub only: Vec<TrackPick>,
    /// Leave out every track of these kinds (applied after `only`).
    pub without: Vec<MediaKind>,
}

impl TrackSelection {
    /// Every track.
    pub fn all() -> TrackSelection {
        TrackSelection::default()
    }

    /// No video: what `.m4a`, `.mp3` and `.aac` outputs take. Data tracks stay offered (an
    /// MP3's ID3v2 tag travels as one, and goes back to the front of an `.mp3`); a muxer that
    /// cannot carry one refuses it and says so.
    pub fn audio_only() -> TrackSelection {
        TrackSelection {
            only: Vec::new(),
            without: vec![MediaKind::Video],
        }
    }

    /// Whether this selection says nothing (every track kept).
    pub fn is_all(&self) -> bool {
        self.only.is_empty() && self.without.is_empty()
    }

    /// Whether `track` is written.
    pub fn keeps(&self, track: &Track) -> bool {
        let named = self.only.is_empty()
            || self.only.iter().any(|p| match p {
                TrackPick::Id(id) => *id == track.id,
                TrackPick::Kind(k) => *k == track.kind,
            });
        named && !self.without.contains(&track.kind)
    }

    /// The `--map` ids that match none of `tracks`: a mistake to report once the whole input
    /// has been read (a transport stream can reveal a track late).
    pub fn unmatched_ids(&self, tracks: &[Track]) -> Vec<u32> {
        self.only
            .iter()
            .filter_map(|p| match p {
                TrackPick::Id(id) if !tracks.iter().any(|t| t.id == *id) => Some(*id),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{Codec, CodecConfig};
    use crate::time::TimeBase;

    fn track(id: u32, kind: MediaKind, codec: Codec) -> Track {
        Track {
            id,
            kind,
            time_base: TimeBase::MILLIS,
            codec: CodecConfig::new(codec),
            source_id: None,
        }
    }

    #[test]
    fn picks_by_id_and_kind() {
        let v = track(0, MediaKind::Video, Codec::H264);
        let a = track(1, MediaKind::Audio, Codec::Aac);
        let d = track(2, MediaKind::Data, Codec::FlvScript);
        let keeps = |s: &TrackSelection| [&v, &a, &d].map(|t| s.keeps(t));
        assert_eq!(keeps(&TrackSelection::all()), [true, true, true]);
        assert_eq!(keeps(&TrackSelection::audio_only()), [false, true, true]);
        let map1 = TrackSelection {
            only: vec!["1".parse().unwrap()],
            without: vec![],
        };
        assert_eq!(keeps(&map1), [false, true, false]);
        let map_v_d = TrackSelection {
            only: vec!["v".parse().unwrap(), "d".parse().unwrap()],
            without: vec![MediaKind::Data],
        };
        assert_eq!(keeps(&map_v_d), [true, false, false]);
        let missing = TrackSelection {
            only: vec![TrackPick::Id(7), TrackPick::Id(0)],
            without: vec![],
        };
        assert_eq!(missing.unmatched_ids(&[v, a, d]), vec![7]);
        assert!("x".parse::<TrackPick>().is_err());
        assert!("-1".parse::<TrackPick>().is_err());
    }
}
