//! Driving a conversion: every packet of a demuxer into a muxer.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};
use crate::loss::Loss;
use crate::media::{Codec, Demuxer, MediaKind, Muxer, Packet};
use crate::progress::Progress;
use crate::select::TrackSelection;
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
    /// Choices made for the user that change nothing of the media (fMP4 HLS segments picked
    /// because TS cannot carry a codec).
    pub notes: Vec<String>,
    /// What of the input the output does not hold: streams the reader skipped, tracks the
    /// output cannot carry (never declared to the muxer), damage skipped while reading.
    pub losses: Vec<Loss>,
    /// The run was stopped through its [`Cancel`] and, as [`RemuxOptions::finish_on_cancel`]
    /// asked, finished with what it had read (a live input stopped by Ctrl-C).
    pub interrupted: bool,
    /// Tracks left out by the [`RemuxOptions::select`] choice (id, kind, codec): asked for,
    /// so not losses.
    pub deselected: Vec<(u32, MediaKind, Codec)>,
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
    /// Fail with [`Error::Lost`] when a stream or track of the input would not reach the
    /// output, before the muxer is finished (so nothing is committed).
    pub strict: bool,
    /// When the cancel flag is raised, treat it as the end of the input (finish the muxer,
    /// [`RemuxStats::interrupted`]) instead of failing with [`Error::Cancelled`]: for live
    /// inputs, whose only end is the user stopping them, and HLS, whose finished segments are
    /// worth a playlist.
    pub finish_on_cancel: bool,
    /// Which tracks to write; the others are read past and listed in
    /// [`RemuxStats::deselected`]. A `--map` id that no track of the whole input has fails the
    /// run with [`Error::Usage`] before the muxer is finished.
    pub select: TrackSelection,
    /// Counters to advance after every packet written (for a progress bar).
    pub progress: Option<Progress>,
}

impl Default for RemuxOptions {
    fn default() -> Self {
        RemuxOptions {
            start_at_zero: true,
            interleave: true,
            cancel: None,
            strict: false,
            finish_on_cancel: false,
            select: TrackSelection::all(),
            progress: None,
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
    /// Tracks that never get a packet (refused by the muxer): they hold nothing back.
    idle: Vec<bool>,
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
        let all_queued = self
            .queues
            .iter()
            .enumerate()
            .all(|(t, q)| !q.is_empty() || self.idle.get(t).copied().unwrap_or(false));
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
/// A track the muxer refuses ([`Muxer::refusal`]) is never declared; it and everything the
/// demuxer skipped are listed in [`RemuxStats::losses`]. A run that would write no packet
/// fails with [`Error::NoMedia`] before the muxer is finished.
pub fn remux(demuxer: &mut dyn Demuxer, muxer: &mut dyn Muxer) -> Result<RemuxStats> {
    remux_with(
        demuxer,
        muxer,
        RemuxOptions {
            start_at_zero: false,
            interleave: false,
            cancel: None,
            strict: false,
            finish_on_cancel: false,
            select: TrackSelection::all(),
            progress: None,
        },
    )
}

/// Which input tracks go to the muxer: the bookkeeping between demuxer and muxer.
#[derive(Default)]
struct Routing {
    /// Input tracks looked at so far (declared or refused), a prefix of `Demuxer::tracks`.
    seen: usize,
    /// Per input track: declared to the muxer.
    carried: Vec<bool>,
    /// Tracks the muxer refused, with its reason.
    refused: Vec<Loss>,
}

impl Routing {
    fn carries(&self, track: u32) -> bool {
        self.carried.get(track as usize).copied().unwrap_or(false)
    }

    /// Offers every track not yet looked at to the muxer.
    fn declare(
        &mut self,
        demuxer: &dyn Demuxer,
        muxer: &mut dyn Muxer,
        stats: &mut RemuxStats,
        select: &TrackSelection,
    ) -> Result<()> {
        for t in &demuxer.tracks()[self.seen..] {
            self.seen += 1;
            if !select.keeps(t) {
                self.carried.push(false);
                stats.deselected.push((t.id, t.kind, t.codec.codec));
                continue;
            }
            if let Some(reason) = muxer.refusal(t) {
                self.carried.push(false);
                self.refused.push(Loss::TrackNotWritten {
                    track: t.id,
                    kind: t.kind,
                    codec: t.codec.codec,
                    reason,
                });
                continue;
            }
            muxer.add_track(t)?;
            self.carried.push(true);
            stats.tracks += 1;
            stats.codecs.push((t.kind, t.codec.codec));
        }
        Ok(())
    }

    /// Everything lost so far: the demuxer's account first, then the muxer's refusals.
    fn losses(&self, demuxer: &dyn Demuxer) -> Vec<Loss> {
        let mut all = demuxer.losses();
        all.extend(self.refused.iter().cloned());
        all
    }

    /// `--strict`: the first stream or track left out, as an error.
    fn check_strict(&self, demuxer: &dyn Demuxer) -> Result<()> {
        match self.losses(demuxer).into_iter().find(Loss::is_stream) {
            Some(loss) => Err(Error::Lost(Box::new(loss))),
            None => Ok(()),
        }
    }
}

/// The error for a run that has nothing to write, naming what was there instead.
fn no_media(demuxer: &dyn Demuxer, routing: &Routing) -> Error {
    let streams: Vec<String> = routing
        .losses(demuxer)
        .iter()
        .filter(|l| l.is_stream())
        .map(ToString::to_string)
        .collect();
    // Damage explains an input that yields nothing (tables that never parsed, a file cut
    // before its first frame): name the first of it.
    let damage = routing
        .losses(demuxer)
        .into_iter()
        .find(|l| !l.is_stream())
        .map(|l| format!(" ({l})"))
        .unwrap_or_default();
    if !streams.is_empty() {
        Error::NoMedia(format!("{}{damage}", streams.join("; ")))
    } else if demuxer.tracks().is_empty() {
        Error::NoMedia(format!("the input holds no audio or video track{damage}"))
    } else {
        Error::NoMedia(format!("the input's tracks hold no packet{damage}"))
    }
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
    let mut routing = Routing::default();
    routing.declare(demuxer, muxer, &mut stats, &options.select)?;
    if options.strict {
        routing.check_strict(demuxer)?;
    }
    if options.start_at_zero && stats.tracks == 0 && routing.seen > 0 && stats.deselected.is_empty()
    {
        // Every track the start probe found is refused: nothing the output could take. (Tracks
        // left out by the selection wait: a later track may be the one asked for.)
        return Err(no_media(demuxer, &routing));
    }
    let mut order = Interleaver::default();
    loop {
        let next = match ahead.pop_front() {
            Some(p) => Some(p),
            None => demuxer.next_packet()?,
        };
        let cancelled = options.cancel.as_ref().is_some_and(Cancel::is_cancelled);
        if cancelled && !options.finish_on_cancel {
            return Err(Error::Cancelled);
        }
        stats.interrupted = cancelled;
        let Some(mut p) = next.filter(|_| !cancelled) else {
            while let Some(p) = order.pop(true) {
                write(muxer, &p, &mut stats, &*demuxer, options.progress.as_ref())?;
            }
            break;
        };
        if p.track as usize >= routing.seen {
            routing.declare(demuxer, muxer, &mut stats, &options.select)?;
            if options.strict {
                routing.check_strict(demuxer)?;
            }
        }
        if !routing.carries(p.track) {
            continue;
        }
        let tb = demuxer.tracks()[p.track as usize].time_base;
        if start_us != 0 {
            let shift = TimeBase::MICROS.rescale(start_us, tb);
            p.dts = Timestamp(p.dts.0 - shift);
            p.pts = Timestamp(p.pts.0 - shift);
        }
        if !options.interleave {
            write(muxer, &p, &mut stats, &*demuxer, options.progress.as_ref())?;
            continue;
        }
        // Every declared track takes part, so a track still to come holds the others back
        // (up to the interleave delta).
        if order.queues.len() < routing.seen {
            order.queues.resize_with(routing.seen, VecDeque::new);
            order.idle = routing.carried.iter().map(|c| !c).collect();
        }
        order.push(tb.rescale(p.dts.0, TimeBase::MICROS), p);
        while let Some(p) = order.pop(false) {
            write(muxer, &p, &mut stats, &*demuxer, options.progress.as_ref())?;
        }
    }
    if options.strict {
        routing.check_strict(demuxer)?;
    }
    if let Some(e) = nothing_selected(&options.select, demuxer, &stats, &routing) {
        return Err(e);
    }
    if stats.packets == 0 {
        return Err(no_media(demuxer, &routing));
    }
    muxer.finish()?;
    if let Some(progress) = &options.progress {
        progress.input_done();
    }
    stats.losses = routing.losses(demuxer);
    Ok(stats)
}

/// A selection that cannot be met: `--map` ids the input does not have, or a selection that
/// left out every track there is. Names the tracks the input has.
fn nothing_selected(
    select: &TrackSelection,
    demuxer: &dyn Demuxer,
    stats: &RemuxStats,
    routing: &Routing,
) -> Option<Error> {
    let has: Vec<String> = demuxer
        .tracks()
        .iter()
        .map(|t| format!("{} ({} {})", t.id, t.kind, t.codec.codec.name()))
        .collect();
    let has = if has.is_empty() {
        "none".to_owned()
    } else {
        has.join(", ")
    };
    let unmatched = select.unmatched_ids(demuxer.tracks());
    if !unmatched.is_empty() {
        let ids: Vec<String> = unmatched.iter().map(u32::to_string).collect();
        return Some(Error::Usage(format!(
            "--map {}: the input has no such track (it has {has})",
            ids.join(",")
        )));
    }
    // Only when the selection alone left nothing: a track the output refused is the real
    // reason otherwise, and no_media names it.
    (stats.tracks == 0 && !stats.deselected.is_empty() && routing.refused.is_empty()).then(|| {
        Error::Usage(format!(
            "the track selection leaves nothing to write (the input has {has})"
        ))
    })
}

fn write(
    muxer: &mut dyn Muxer,
    p: &Packet,
    stats: &mut RemuxStats,
    demuxer: &dyn Demuxer,
    progress: Option<&Progress>,
) -> Result<()> {
    muxer.write_packet(p)?;
    stats.packets += 1;
    stats.payload_bytes += p.data.len() as u64;
    if let Some(progress) = progress {
        let tb = demuxer.tracks()[p.track as usize].time_base;
        progress.packet(
            tb.rescale(p.dts.0, TimeBase::MICROS),
            demuxer.input_position(),
        );
    }
    Ok(())
}
