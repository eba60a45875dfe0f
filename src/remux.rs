//! Driving a conversion: every packet of a demuxer into a muxer.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};
use crate::media::{Codec, Demuxer, MediaKind, Muxer, Packet};
use crate::time::{TimeBase, Timestamp};

/// What a remux moved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemuxStats {
    /// Tracks declared to the muxer.
    pub tracks: usize,
    /// The kind and codec of each declared track, in track order (for reports).
    pub codecs: Vec<(MediaKind, Codec)>,
    /// Packets written.
    pub packets: u64,
    /// Payload bytes written.
    pub payload_bytes: u64,
    /// What the muxer wants the user to know (a long GOP cut in an HLS playlist, ...); the
    /// conversion succeeded regardless.
    pub warnings: Vec<String>,
}

/// A flag that stops conversions between two packets: cheap to clone, shared by every
/// conversion it should stop (`batch` raises it on Ctrl-C). A stopped conversion returns
/// [`Error::Cancelled`], and its atomic outputs are never committed.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag not raised.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Asks every conversion holding this flag to stop at its next packet.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`Cancel::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl PartialEq for Cancel {
    /// Two handles are equal when they are the same flag.
    fn eq(&self, other: &Cancel) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Cancel {}

/// Choices for [`remux_with`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemuxOptions {
    /// Shift every timestamp so the earliest decode timestamp of the input becomes 0, as the
    /// ffmpeg command line does by default. A muxer then adds its own offset (TS: 1.4 s), so
    /// TS -> FLV -> TS lands where it started instead of drifting by that offset per pass.
    pub start_at_zero: bool,
    /// Write packets in decode-time order across tracks (ties: lower track first), whatever
    /// order the demuxer found them in, holding at most [`MAX_INTERLEAVE_DELTA_US`] of media.
    pub interleave: bool,
    /// Stop (with [`Error::Cancelled`]) once this flag is raised.
    pub cancel: Option<Cancel>,
}

impl Default for RemuxOptions {
    fn default() -> Self {
        RemuxOptions {
            start_at_zero: true,
            interleave: true,
            cancel: None,
        }
    }
}

/// The most decode time the interleaver holds back waiting for a lagging track (ffmpeg's
/// `max_interleave_delta` default): a track that has ended or pauses cannot make the others
/// queue without bound.
pub const MAX_INTERLEAVE_DELTA_US: i64 = 10_000_000;

/// Orders packets by decode time across tracks with one queue per track: the earliest packet
/// goes out once every track has something queued (so nothing earlier can still come), or
/// once the queued span exceeds [`MAX_INTERLEAVE_DELTA_US`].
#[derive(Default)]
struct Interleaver {
    queues: Vec<VecDeque<(i64, Packet)>>,
    newest_us: i64,
}

impl Interleaver {
    fn push(&mut self, at_us: i64, p: Packet) {
        let t = p.track as usize;
        if self.queues.len() <= t {
            self.queues.resize_with(t + 1, VecDeque::new);
        }
        self.newest_us = self.newest_us.max(at_us);
        self.queues[t].push_back((at_us, p));
    }

    /// The next packet that may go out; `draining` at the end of the input.
    fn pop(&mut self, draining: bool) -> Option<Packet> {
        let (t, at) = self
            .queues
            .iter()
            .enumerate()
            .filter_map(|(t, q)| q.front().map(|(at, _)| (t, *at)))
            .min_by_key(|&(t, at)| (at, t))?;
        let all_queued = self.queues.iter().all(|q| !q.is_empty());
        if draining || all_queued || self.newest_us - at > MAX_INTERLEAVE_DELTA_US {
            return self.queues[t].pop_front().map(|(_, p)| p);
        }
        None
    }
}

/// Packets read ahead to find where the input starts: enough for every track of a real file
/// to show its first packet, bounded so a track that never comes costs little.
const START_PROBE_PACKETS: usize = 1000;

/// Copies every packet from `demuxer` to `muxer` unchanged and finishes the muxer.
///
/// Tracks are declared before the first packet; a track the demuxer reveals later is declared
/// just before its first packet, so muxers always know a track before they see its packets.
pub fn remux(demuxer: &mut dyn Demuxer, muxer: &mut dyn Muxer) -> Result<RemuxStats> {
    remux_with(
        demuxer,
        muxer,
        RemuxOptions {
            start_at_zero: false,
            interleave: false,
            cancel: None,
        },
    )
}

/// [`remux`] with [`RemuxOptions`].
pub fn remux_with(
    demuxer: &mut dyn Demuxer,
    muxer: &mut dyn Muxer,
    options: RemuxOptions,
) -> Result<RemuxStats> {
    let mut stats = RemuxStats::default();
    let mut ahead = VecDeque::new();
    // The input's start in microseconds, subtracted from every packet.
    let mut start_us = 0i64;
    if options.start_at_zero {
        while ahead.len() < START_PROBE_PACKETS {
            let Some(p) = demuxer.next_packet()? else {
                break;
            };
            ahead.push_back(p);
            let seen = |id: u32| ahead.iter().any(|p: &Packet| p.track == id);
            if demuxer.tracks().iter().all(|t| seen(t.id)) {
                break;
            }
        }
        start_us = ahead
            .iter()
            .map(|p| {
                demuxer.tracks()[p.track as usize]
                    .time_base
                    .rescale(p.dts.0, TimeBase::MICROS)
            })
            .min()
            .unwrap_or(0);
    }
    declare(demuxer, muxer, &mut stats)?;
    let mut order = Interleaver::default();
    loop {
        let next = match ahead.pop_front() {
            Some(p) => Some(p),
            None => demuxer.next_packet()?,
        };
        if options.cancel.as_ref().is_some_and(Cancel::is_cancelled) {
            return Err(Error::Cancelled);
        }
        let Some(mut p) = next else {
            while let Some(p) = order.pop(true) {
                write(muxer, &p, &mut stats)?;
            }
            break;
        };
        if p.track as usize >= stats.tracks {
            declare(demuxer, muxer, &mut stats)?;
        }
        let tb = demuxer.tracks()[p.track as usize].time_base;
        if start_us != 0 {
            let shift = TimeBase::MICROS.rescale(start_us, tb);
            p.dts = Timestamp(p.dts.0 - shift);
            p.pts = Timestamp(p.pts.0 - shift);
        }
        if !options.interleave {
            write(muxer, &p, &mut stats)?;
            continue;
        }
        // Every declared track takes part, so a track still to come holds the others back
        // (up to the interleave delta).
        if order.queues.len() < stats.tracks {
            order.queues.resize_with(stats.tracks, VecDeque::new);
        }
        order.push(tb.rescale(p.dts.0, TimeBase::MICROS), p);
        while let Some(p) = order.pop(false) {
            write(muxer, &p, &mut stats)?;
        }
    }
    muxer.finish()?;
    Ok(stats)
}

fn write(muxer: &mut dyn Muxer, p: &Packet, stats: &mut RemuxStats) -> Result<()> {
    muxer.write_packet(p)?;
    stats.packets += 1;
    stats.payload_bytes += p.data.len() as u64;
    Ok(())
}

fn declare(demuxer: &dyn Demuxer, muxer: &mut dyn Muxer, stats: &mut RemuxStats) -> Result<()> {
    for t in &demuxer.tracks()[stats.tracks..] {
        muxer.add_track(t)?;
        stats.tracks += 1;
        stats.codecs.push((t.kind, t.codec.codec));
    }
    Ok(())
}
