//! How far a conversion has got, for progress bars and wrappers: input bytes read, media time
//! written, packets, shared through atomics.
//!
//! The conversion thread stores into a [`Progress`] after every packet (three relaxed atomic
//! stores, no allocation, no lock); whoever shows progress reads it on its own clock. The
//! library never draws anything itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Counters of one conversion (or of a batch's files, one each). Cheap to clone: clones share
/// the counters.
#[derive(Clone, Debug, Default)]
pub struct Progress(Arc<Counters>);

#[derive(Debug, Default)]
struct Counters {
    input_bytes: AtomicU64,
    /// The input's length; 0 while unknown (stdin).
    input_total: AtomicU64,
    /// Decode time of the latest packet written, in microseconds from the output's start.
    media_us: AtomicI64,
    packets: AtomicU64,
}

/// What a [`Progress`] holds at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProgressSnapshot {
    /// Input bytes read so far (where the demuxer says; else 0).
    pub input_bytes: u64,
    /// The input's length, when known.
    pub input_total: Option<u64>,
    /// Media time written, in microseconds.
    pub media_us: i64,
    /// Packets written.
    pub packets: u64,
}

impl ProgressSnapshot {
    /// The share of the input read, 0.0..=1.0, when its length is known.
    pub fn fraction(&self) -> Option<f64> {
        let total = self.input_total.filter(|&t| t > 0)?;
        Some((self.input_bytes as f64 / total as f64).clamp(0.0, 1.0))
    }
}

impl Progress {
    /// New counters at zero.
    pub fn new() -> Progress {
        Progress::default()
    }

    /// Reads every counter.
    pub fn snapshot(&self) -> ProgressSnapshot {
        let c = &self.0;
        let total = c.input_total.load(Ordering::Relaxed);
        ProgressSnapshot {
            input_bytes: c.input_bytes.load(Ordering::Relaxed),
            input_total: (total > 0).then_some(total),
            media_us: c.media_us.load(Ordering::Relaxed),
            packets: c.packets.load(Ordering::Relaxed),
        }
    }

    /// Sets the input's length (once probed).
    pub fn set_input_total(&self, bytes: u64) {
        self.0.input_total.store(bytes, Ordering::Relaxed);
    }

    /// Records one packet written: its decode time and where the input has been read to.
    pub(crate) fn packet(&self, media_us: i64, input_bytes: Option<u64>) {
        let c = &self.0;
        c.packets.fetch_add(1, Ordering::Relaxed);
        c.media_us.fetch_max(media_us, Ordering::Relaxed);
        if let Some(b) = input_bytes {
            c.input_bytes.fetch_max(b, Ordering::Relaxed);
        }
    }

    /// Marks the whole input read (at the end of a conversion), so a bar ends full.
    pub(crate) fn input_done(&self) {
        let total = self.0.input_total.load(Ordering::Relaxed);
        self.0.input_bytes.fetch_max(total, Ordering::Relaxed);
    }
}

impl PartialEq for Progress {
    /// Two handles are equal when they share counters.
    fn eq(&self, other: &Progress) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Progress {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_shares() {
        let p = Progress::new();
        let seen = p.clone();
        assert_eq!(seen.snapshot().fraction(), None);
        p.set_input_total(1000);
        p.packet(40_000, Some(250));
        p.packet(20_000, Some(200));
        let s = seen.snapshot();
        assert_eq!((s.packets, s.media_us, s.input_bytes), (2, 40_000, 250));
        assert_eq!(s.fraction(), Some(0.25));
        p.input_done();
        assert_eq!(seen.snapshot().fraction(), Some(1.0));
    }
}
