//! What of an input does not reach the output, named so that nothing is lost unsaid.
//!
//! A reader that skips a stream it cannot read, a muxer that cannot carry a track, and damage
//! skipped while reading all end up as [`Loss`] values in
//! [`crate::remux::RemuxStats::losses`]. The library prints nothing: the CLI shows each loss on
//! stderr, batch writes them into its report, and `--strict` turns the first one into
//! [`crate::Error::Lost`] before anything is committed.

use std::fmt;

use crate::media::{Codec, MediaKind};

/// Something of the input that the output will not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Loss {
    /// A stream of the input that its reader does not return as a track (a stream type it
    /// cannot read, movie fragments it does not parse).
    StreamNotRead {
        /// Where it is in the input: `pid 0x0101`, `mp4 track_ID 3`, ...
        stream: String,
        /// What it is: `stream type 0x81 (ac3)`, ...
        what: String,
        /// Why it is not read.
        reason: String,
    },
    /// A track that was read but that the output container cannot carry.
    TrackNotWritten {
        /// The input track.
        track: u32,
        /// Its kind.
        kind: MediaKind,
        /// Its codec.
        codec: Codec,
        /// Why the output cannot carry it.
        reason: String,
    },
    /// Damage in the input that the reader skipped or tolerated, where it was found.
    Damage {
        /// Byte offset in the input, when the reader knows it.
        offset: Option<u64>,
        /// What happened, and how much was skipped.
        message: String,
    },
}

impl Loss {
    /// A whole stream or track is missing from the output (as opposed to damage inside one).
    pub fn is_stream(&self) -> bool {
        matches!(
            self,
            Loss::StreamNotRead { .. } | Loss::TrackNotWritten { .. }
        )
    }
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Loss::StreamNotRead {
                stream,
                what,
                reason,
            } => write!(f, "{stream}: {what} not converted: {reason}"),
            Loss::TrackNotWritten {
                track,
                kind,
                codec,
                reason,
            } => write!(f, "track {track}: {kind} {codec} not converted: {reason}"),
            Loss::Damage {
                offset: Some(offset),
                message,
            } => write!(f, "input damaged at byte {offset}: {message}"),
            Loss::Damage {
                offset: None,
                message,
            } => write!(f, "input damaged: {message}"),
        }
    }
}

/// Damage entries a reader lists in [`crate::Demuxer::losses`]; the rest are counted in one
/// more entry (`inspect` shows every kept warning).
pub const MAX_LISTED_DAMAGE: usize = 20;

/// Keeps at most `limit` damage entries and sums up the rest in one, so a file damaged
/// everywhere gives a bounded list.
pub(crate) fn damage_list<I>(warnings: I, total: u64, limit: usize) -> Vec<Loss>
where
    I: IntoIterator<Item = (Option<u64>, String)>,
{
    let mut out: Vec<Loss> = warnings
        .into_iter()
        .take(limit)
        // Readers' messages often name the byte offset themselves; say it once.
        .map(|(offset, message)| Loss::Damage {
            offset: offset.filter(|_| !message.contains(" byte ")),
            message,
        })
        .collect();
    let more = total.saturating_sub(out.len() as u64);
    if more > 0 {
        out.push(Loss::Damage {
            offset: None,
            message: format!("{more} more warnings (muxkit inspect lists them)"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_stream_track_and_offset() {
        let s = Loss::StreamNotRead {
            stream: "pid 0x0101".into(),
            what: "stream type 0x81 (ac3)".into(),
            reason: "muxkit does not read this stream type".into(),
        };
        assert_eq!(
            s.to_string(),
            "pid 0x0101: stream type 0x81 (ac3) not converted: muxkit does not read this stream type"
        );
        let t = Loss::TrackNotWritten {
            track: 1,
            kind: MediaKind::Audio,
            codec: Codec::Mp2,
            reason: "flv cannot carry mp2".into(),
        };
        assert_eq!(
            t.to_string(),
            "track 1: audio mp2 not converted: flv cannot carry mp2"
        );
        assert!(s.is_stream() && t.is_stream());
        let d = Loss::Damage {
            offset: Some(12),
            message: "x".into(),
        };
        assert_eq!(d.to_string(), "input damaged at byte 12: x");
        assert!(!d.is_stream());
    }

    #[test]
    fn damage_list_is_bounded() {
        let w = (0..100u64).map(|i| (Some(i), format!("w{i}")));
        let l = damage_list(w, 250, 10);
        assert_eq!(l.len(), 11);
        assert_eq!(
            l[10].to_string(),
            "input damaged: 240 more warnings (muxkit inspect lists them)"
        );
    }
}
