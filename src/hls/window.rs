//! When segments that left a live playlist may be deleted (RFC 8216 §6.2.2).
//!
//! A client may have loaded a playlist just before a segment left it and still fetch the
//! segment afterwards, so the server must keep it "for a period of time equal to the duration
//! of the segment plus the duration of the longest Playlist file distributed by the server
//! containing that segment". That period is measured on the wall clock: it is about clients
//! playing in real time, whatever pace the input arrives at. The clock is injectable so tests
//! and simulations need not sleep.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The wall clock the segmenter reads; see [`crate::hls::HlsSegmenter::set_clock`].
pub type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// The real clock.
pub fn system_clock() -> Clock {
    Arc::new(Instant::now)
}

/// Segments out of the window, each with the moment it may go.
#[derive(Debug, Default, Clone)]
pub(crate) struct DeletionSchedule {
    pending: VecDeque<(String, Instant)>,
    /// The longest playlist written so far, in seconds: at least as long as the longest one
    /// that listed any segment still pending.
    longest_playlist: f64,
}

impl DeletionSchedule {
    /// A playlist of `seconds` was written.
    pub(crate) fn note_playlist(&mut self, seconds: f64) {
        self.longest_playlist = self.longest_playlist.max(seconds);
    }

    /// The segment `name`, `seconds` long, left the playlist at `now`.
    pub(crate) fn schedule(&mut self, name: String, seconds: f64, now: Instant) {
        let grace = Duration::from_secs_f64((seconds + self.longest_playlist).max(0.0));
        self.pending.push_back((name, now + grace));
    }

    /// The segments whose grace period is over at `now`, oldest first.
    pub(crate) fn take_due(&mut self, now: Instant) -> Vec<String> {
        let mut due = Vec::new();
        while let Some((_, at)) = self.pending.front() {
            if *at > now {
                break;
            }
            if let Some((name, _)) = self.pending.pop_front() {
                due.push(name);
            }
        }
        due
    }

    /// Segments still waiting.
    pub(crate) fn pending(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_waits_its_duration_plus_the_longest_playlist() {
        let t0 = Instant::now();
        let mut d = DeletionSchedule::default();
        d.note_playlist(12.0);
        d.note_playlist(10.0);
        d.schedule("a.ts".into(), 2.0, t0);
        d.schedule("b.ts".into(), 2.0, t0 + Duration::from_secs(2));
        assert!(d.take_due(t0 + Duration::from_millis(13_999)).is_empty());
        assert_eq!(d.take_due(t0 + Duration::from_secs(14)), ["a.ts"]);
        assert_eq!(d.pending(), 1);
        assert_eq!(d.take_due(t0 + Duration::from_secs(60)), ["b.ts"]);
    }
}
