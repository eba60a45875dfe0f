//! Tracks and packets -> fragmented MP4 (ISO/IEC 14496-12 §8.8) in the CMAF manner
//! (ISO/IEC 23000-19): an initialization part (`ftyp`, `moov` with empty sample tables and
//! `mvex`/`trex`) and then one `moof` + `mdat` per fragment, in a single pass, so it works
//! from a pipe and into a pipe, and memory holds one fragment.
//!
//! A fragment starts at each video keyframe (once it has lasted [`Fmp4Options::min_fragment`];
//! with no video, every [`Fmp4Options::min_fragment`] of audio). It is written once every other
//! track has a packet at or past the cut, so every sample's duration is the real distance to
//! the next one and the next fragment's `tfdt` continues exactly where this one ends.
//!
//! Every `traf` has `tfdt` (version 1), `tfhd` with default-base-is-moof and every default
//! given, and one `trun` with each sample's duration, size, flags and composition offset
//! (pts - dts exactly, so every timestamp survives; `trun` version 1 when one is negative).
//! No edit list is written: presentation times are the packets' own.

use std::collections::VecDeque;

use crate::error::{Error, Result};
use std::io::Write;

use crate::io::BlockWriter;
use crate::media::{MediaKind, Muxer, Packet, Track};
use crate::time::TimeBase;

use super::boxes::ftyp::Ftyp;
use super::boxes::mdhd::Mdhd;
use super::boxes::mfhd::Mfhd;
use super::boxes::mvex::Trex;
use super::boxes::mvhd::Mvhd;
use super::boxes::stco::Stco;
use super::boxes::stsc::Stsc;
use super::boxes::stsz::Stsz;
use super::boxes::stts::Stts;
use super::boxes::tfdt::Tfdt;
use super::boxes::tfhd::{self, Tfhd};
use super::boxes::trun::{self, SampleFlags, Trun, TrunSample};
use super::boxes::{BoxType, write_box};
use super::mux::{
    Mp4Brand, fill_record_from_frame, handler, mp4_refusal, sample_entry, timescale_of,
    track_header, write_mdia,
};

/// Choices for [`Fmp4Muxer`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fmp4Options {
    /// Shortest fragment, in seconds: with video, a keyframe closer than this to the
    /// fragment's start does not cut (0: every keyframe cuts, as ffmpeg's `frag_keyframe`);
    /// audio alone is cut every this many seconds (`--frag-duration`).
    pub min_fragment: f64,
}

impl Default for Fmp4Options {
    fn default() -> Self {
        Fmp4Options { min_fragment: 0.0 }
    }
}

/// Audio-only fragments when no duration is asked for: two seconds, short enough for live
/// latency, long enough that `moof` overhead stays under 1%.
pub const DEFAULT_AUDIO_FRAGMENT_SECS: f64 = 2.0;

/// How long past a cut the other tracks are waited for: a track that ended, or pauses, must
/// not hold every packet of the others in memory. Ten seconds is ffmpeg's interleaving window
/// too (`max_interleave_delta`).
const MAX_CUT_WAIT_US: i64 = 10_000_000;

#[derive(Debug)]
struct OutTrack {
    track: Track,
    track_id: u32,
    timescale: u32,
    /// Whether a packet at or past the pending cut has arrived.
    past_cut: bool,
}

/// A fragmented MP4 writer.
pub struct Fmp4Muxer<W: Write> {
    out: BlockWriter<W>,
    options: Fmp4Options,
    tracks: Vec<Option<OutTrack>>,
    /// Packets not yet written, in arrival order.
    queue: VecDeque<Packet>,
    /// The start of the fragment being collected (µs), and a cut asked for at this time.
    fragment_start_us: Option<i64>,
    cut_at_us: Option<i64>,
    /// Decode time 0 of the output: the earliest first decode time of any track, in that
    /// track's time base (kept exact: each track's own origin is rescaled from it).
    origin: Option<(i64, TimeBase)>,
    sequence: u32,
    init_written: bool,
    /// HLS/DASH segments: the caller decides where fragments end ([`Fmp4Muxer::cut`]) and
    /// stores the initialization part itself ([`Fmp4Muxer::init_segment`]).
    external_cuts: bool,
    /// A configuration change at a segment start makes a new initialization segment
    /// ([`Fmp4Muxer::allow_new_init`]).
    new_init_allowed: bool,
    /// The open segment started at a discontinuity: only there may a new init begin (RFC
    /// 8216 4.3.2.3: a change of encoding parameters needs one).
    at_discontinuity: bool,
    /// The set of tracks is fixed once an initialization segment was taken (a new init for a
    /// codec change does not admit tracks that appeared since).
    tracks_frozen: bool,
    finished: bool,
    /// Reused per fragment: the samples of one track, and the `moof`.
    samples: Vec<TrunSample>,
    moof: Vec<u8>,
    /// The last fragment's first track: its base decode time and the sum of its durations
    /// (media timescale), for a DASH SegmentTimeline.
    last_fragment: Option<(u64, u64)>,
    /// Where the latest fragment ends on the output timeline (µs), and whether the next
    /// fragment starts there whatever its input times say.
    end_us: i64,
    rebase: bool,
}

impl<W: Write> Fmp4Muxer<W> {
    /// A writer into `out`.
    pub fn new(out: BlockWriter<W>, options: Fmp4Options) -> Fmp4Muxer<W> {
        Fmp4Muxer {
            out,
            options,
            tracks: Vec::new(),
            queue: VecDeque::new(),
            fragment_start_us: None,
            cut_at_us: None,
            origin: None,
            sequence: 0,
            init_written: false,
            external_cuts: false,
            new_init_allowed: false,
            at_discontinuity: false,
            tracks_frozen: false,
            finished: false,
            samples: Vec::new(),
            moof: Vec::new(),
            last_fragment: None,
            end_us: 0,
            rebase: false,
        }
    }

    /// The next fragment starts where the last one ended (a discontinuity in HLS: the input's
    /// times may jump back, decode times here must not).
    pub fn rebase_at_next_fragment(&mut self) {
        self.rebase = self.origin.is_some();
    }

    /// A segment opens (external cuts): after a discontinuity its decode times run on from
    /// the last fragment's end, and (with [`Fmp4Muxer::allow_new_init`]) a codec change may
    /// start a new init in it.
    pub fn segment_started(&mut self, discontinuity: bool) {
        self.at_discontinuity = discontinuity;
        if discontinuity {
            self.rebase_at_next_fragment();
        }
    }

    /// Decode time 0 of the output, in `time_base` ticks of the input: several writers of one
    /// presentation (a DASH track each) share it, so their `tfdt`s share a timeline. Without
    /// it the earliest decode time of the first fragment is 0.
    pub fn set_origin(&mut self, dts: i64, time_base: TimeBase) {
        self.origin.get_or_insert((dts, time_base));
    }

    /// The base decode time and duration (media timescale) of the last fragment written, of
    /// its first track.
    pub fn last_fragment(&self) -> Option<(u64, u64)> {
        self.last_fragment
    }

    /// The media timescale the track with input id `track` is written in.
    pub fn timescale(&self, track: u32) -> Option<u32> {
        self.tracks
            .get(track as usize)?
            .as_ref()
            .map(|t| t.timescale)
    }

    /// A writer of media segments (HLS, DASH): no initialization part in `out`, and a
    /// fragment only when [`Fmp4Muxer::cut`] is called (and at [`Muxer::finish`]).
    pub fn for_segments(out: BlockWriter<W>) -> Fmp4Muxer<W> {
        Fmp4Muxer {
            external_cuts: true,
            ..Fmp4Muxer::new(out, Fmp4Options::default())
        }
    }

    /// The sink, after [`Muxer::finish`].
    pub fn into_inner(self) -> Result<W> {
        self.out.into_inner()
    }

    /// Lets a codec configuration change at a segment start (no packet of that track queued)
    /// take effect: the track takes the new configuration and [`Fmp4Muxer::init_taken`] turns
    /// false, so the caller stores a new initialization segment for the segments that follow
    /// (HLS: a new EXT-X-MAP after the discontinuity). Decode times run on.
    pub fn allow_new_init(&mut self) {
        self.new_init_allowed = true;
    }

    /// Writes every packet queued so far as one fragment (a segment boundary).
    pub fn cut(&mut self) -> Result<()> {
        self.flush(true)
    }

    /// The initialization segment (`ftyp` + `moov`) for the tracks added so far; after it is
    /// taken, no track may be added.
    pub fn init_segment(&mut self) -> Result<Vec<u8>> {
        let present: Vec<&OutTrack> = self.tracks.iter().flatten().collect();
        let mut head = Vec::new();
        init_segment(&present, &mut head)?;
        self.init_written = true;
        self.tracks_frozen = true;
        Ok(head)
    }

    /// Whether [`Fmp4Muxer::init_segment`] (or the file's own initialization part) was
    /// written.
    pub fn init_taken(&self) -> bool {
        self.init_written
    }

    /// Runs `job` on the sink once everything written so far reached it (see
    /// [`BlockWriter::run`]).
    pub fn run_on_sink(
        &mut self,
        job: impl FnOnce(&mut W) -> Result<()> + Send + 'static,
    ) -> Result<()> {
        self.out.run(job)
    }

    /// Writes everything buffered to the sink and gives it (see [`BlockWriter::get_mut`]).
    pub fn sink_mut(&mut self) -> Result<&mut W> {
        self.out.get_mut()
    }

    /// The sink after a failure, for cleaning up (see [`BlockWriter::recover`]).
    pub fn recover_sink(&mut self) -> Option<&mut W> {
        self.out.recover()
    }

    fn has_video(&self) -> bool {
        self.tracks
            .iter()
            .flatten()
            .any(|t| t.track.kind == MediaKind::Video)
    }

    fn us(&self, p: &Packet) -> i64 {
        self.tracks[p.track as usize]
            .as_ref()
            .map_or(0, |t| t.track.time_base.rescale(p.dts.0, TimeBase::MICROS))
    }

    /// Whether `p` opens a new fragment.
    fn cuts(&self, p: &Packet, at_us: i64) -> bool {
        let Some(start) = self.fragment_start_us.filter(|_| !self.external_cuts) else {
            return false;
        };
        let Some(t) = &self.tracks[p.track as usize] else {
            return false;
        };
        // A fragment holds at least one instant: the packet that opened it never cuts.
        let long_enough = |min: f64| {
            at_us > start && at_us.saturating_sub(start) as f64 >= min * 1_000_000.0 - 0.5
        };
        if self.has_video() {
            t.track.kind == MediaKind::Video
                && p.flags.keyframe
                && long_enough(self.options.min_fragment)
        } else {
            let min = if self.options.min_fragment > 0.0 {
                self.options.min_fragment
            } else {
                DEFAULT_AUDIO_FRAGMENT_SECS
            };
            long_enough(min)
        }
    }

    /// The initialization part: `ftyp` and `moov`.
    fn write_init(&mut self) -> Result<()> {
        self.tracks_frozen = true;
        let present: Vec<&OutTrack> = self.tracks.iter().flatten().collect();
        let mut head = Vec::new();
        init_segment(&present, &mut head)?;
        self.out.buf().extend_from_slice(&head);
        self.init_written = true;
        Ok(())
    }

    /// Writes the fragment made of the queued packets before the pending cut.
    fn flush(&mut self, all: bool) -> Result<()> {
        self.last_fragment = None;
        let cut = if all { None } else { self.cut_at_us };
        // The fragment: queued packets before the cut (by each packet's own decode time,
        // and for the cutting keyframe itself and what follows it on its track).
        // The fragment: every queued packet before the cut, except that once a track has
        // reached the cut, its later packets wait too (decode order within a track).
        let mut reached: Vec<u32> = Vec::new();
        let in_fragment: Vec<bool> = self
            .queue
            .iter()
            .map(|p| match cut {
                None => true,
                Some(c) if self.us(p) < c && !reached.contains(&p.track) => true,
                Some(_) => {
                    if !reached.contains(&p.track) {
                        reached.push(p.track);
                    }
                    false
                }
            })
            .collect();
        if !in_fragment.iter().any(|&b| b) {
            return Ok(());
        }
        if !self.init_written && !self.external_cuts {
            self.write_init()?;
        }
        if std::mem::take(&mut self.rebase) {
            // The earliest packet of this fragment maps to the previous fragment's end.
            // Kept in that packet's own time base, so its track's times stay exact.
            let first = self
                .queue
                .iter()
                .zip(&in_fragment)
                .filter(|(_, b)| **b)
                .min_by_key(|(p, _)| self.us(p))
                .and_then(|(p, _)| {
                    let tb = self.tracks[p.track as usize].as_ref()?.track.time_base;
                    Some((p.dts.0, tb))
                });
            if let Some((dts, tb)) = first {
                let end = TimeBase::MICROS.rescale(self.end_us, tb);
                self.origin = Some((dts.saturating_sub(end), tb));
            }
        }
        if self.origin.is_none() {
            self.origin = self
                .queue
                .iter()
                .zip(&in_fragment)
                .filter(|(_, b)| **b)
                .min_by_key(|(p, _)| self.us(p))
                .and_then(|(p, _)| {
                    let t = self.tracks[p.track as usize].as_ref()?;
                    Some((p.dts.0, t.track.time_base))
                });
        }
        self.sequence += 1;
        self.last_fragment = None;
        self.moof.clear();
        let moof_start = 0usize;
        let mut data_len = 0u64;
        let mut truns: Vec<(usize, usize)> = Vec::new(); // (offset of the data_offset field, data bytes before)
        let track_count = self.tracks.len();
        write_box(&mut self.moof, b"moof", |_| {});
        Mfhd {
            sequence_number: self.sequence,
        }
        .write_to(&mut self.moof);
        for ti in 0..track_count {
            let Some(t) = &self.tracks[ti] else { continue };
            let (timescale, tb, kind, track_id) =
                (t.timescale, t.track.time_base, t.track.kind, t.track_id);
            let to = TimeBase::per_second(timescale).unwrap_or(TimeBase::MPEG_90K);
            let origin = self.origin.map_or(0, |(o, otb)| otb.rescale(o, to));
            // This track's packets in the fragment, and the first after it (for the last
            // sample's duration).
            let mut mine = self
                .queue
                .iter()
                .zip(&in_fragment)
                .filter(|(p, _)| p.track as usize == ti);
            self.samples.clear();
            let mut first_dts = None;
            let mut bytes = 0u64;
            let mut prev: Option<(i64, i64)> = None; // (dts, pts) in the media timescale
            let mut last_delta = 0i64;
            let mut next_after = None;
            for (p, &inside) in mine.by_ref() {
                let dts = tb.rescale(p.dts.0, to).saturating_sub(origin);
                if !inside {
                    next_after = Some(dts);
                    break;
                }
                let pts = tb.rescale(p.pts.0, to).saturating_sub(origin);
                if let Some((pd, _)) = prev {
                    let d = dts.saturating_sub(pd);
                    if let Some(last) = self.samples.last_mut() {
                        last.duration = Some(d.clamp(0, i64::from(u32::MAX)) as u32);
                    }
                    last_delta = d;
                }
                first_dts.get_or_insert(dts);
                let flags = if kind != MediaKind::Video || p.flags.keyframe {
                    SampleFlags::SYNC.0
                } else {
                    SampleFlags::NON_SYNC.0
                };
                self.samples.push(TrunSample {
                    duration: None,
                    size: Some(p.data.len() as u32),
                    flags: Some(flags),
                    composition_offset: Some(pts - dts),
                });
                bytes += p.data.len() as u64;
                prev = Some((dts, pts));
            }
            let Some(first_dts) = first_dts else { continue };
            if let (Some(last), Some((pd, _))) = (self.samples.last_mut(), prev) {
                let d = match next_after {
                    Some(n) => n.saturating_sub(pd),
                    None => last_delta,
                };
                last.duration = Some(d.clamp(0, i64::from(u32::MAX)) as u32);
            }
            let base = u64::try_from(first_dts).map_err(|_| Error::Mux {
                format: "mp4",
                track: ti as u32,
                dts: first_dts,
                reason: "a decode time before the first fragment's start".into(),
            })?;
            let span: u64 = self
                .samples
                .iter()
                .map(|s| u64::from(s.duration.unwrap_or(0)))
                .sum();
            let end = to.rescale(
                i64::try_from(base.saturating_add(span)).unwrap_or(i64::MAX),
                TimeBase::MICROS,
            );
            self.end_us = self.end_us.max(end);
            if self.last_fragment.is_none() {
                let total: u64 = self
                    .samples
                    .iter()
                    .map(|s| u64::from(s.duration.unwrap_or(0)))
                    .sum();
                self.last_fragment = Some((base, total));
            }
            let default_flags = if kind == MediaKind::Video {
                SampleFlags::NON_SYNC.0
            } else {
                SampleFlags::SYNC.0
            };
            let default_duration = self.samples.first().and_then(|s| s.duration).unwrap_or(0);
            let default_size = self.samples.first().and_then(|s| s.size).unwrap_or(0);
            let moof = &mut self.moof;
            write_box(moof, b"traf", |o| {
                Tfhd {
                    flags: tfhd::flags::DEFAULT_BASE_IS_MOOF,
                    track_id,
                    base_data_offset: None,
                    sample_description_index: Some(1),
                    default_sample_duration: Some(default_duration),
                    default_sample_size: Some(default_size),
                    default_sample_flags: Some(default_flags),
                }
                .write_to(o);
                Tfdt {
                    base_media_decode_time: base,
                }
                .write_to(o);
                let at = o.len();
                Trun::write(
                    o,
                    trun::flags::DURATION
                        | trun::flags::SIZE
                        | trun::flags::FLAGS
                        | trun::flags::COMPOSITION_OFFSET,
                    0,
                    None,
                    &self.samples,
                );
                // data_offset: after size, type, version/flags, sample_count.
                truns.push((at + 16, data_len as usize));
            });
            data_len += bytes;
        }
        // Sizes: the moof box header was written empty first; fix it and the data offsets.
        let moof_len = self.moof.len();
        self.moof[moof_start..moof_start + 4].copy_from_slice(&(moof_len as u32).to_be_bytes());
        // The traf boxes were written after an empty moof header: they are its children, and
        // the moof size now covers them. Nested sizes of the traf boxes are right already.
        let mdat_header = if data_len + 8 > u64::from(u32::MAX) {
            16
        } else {
            8
        };
        for &(at, before) in &truns {
            let off = moof_len as u64 + mdat_header + before as u64;
            let off = i32::try_from(off).map_err(|_| Error::Mux {
                format: "mp4",
                track: 0,
                dts: 0,
                reason: "a fragment of more than 2 GB".into(),
            })?;
            self.moof[at..at + 4].copy_from_slice(&off.to_be_bytes());
        }
        let buf = self.out.buf();
        buf.extend_from_slice(&self.moof);
        if mdat_header == 16 {
            buf.extend_from_slice(&1u32.to_be_bytes());
            buf.extend_from_slice(b"mdat");
            buf.extend_from_slice(&(data_len + 16).to_be_bytes());
        } else {
            buf.extend_from_slice(&((data_len + 8) as u32).to_be_bytes());
            buf.extend_from_slice(b"mdat");
        }
        // Sample data, track by track, in the order the trafs list them.
        for ti in 0..track_count {
            for (p, &inside) in self.queue.iter().zip(&in_fragment) {
                if inside && p.track as usize == ti {
                    self.out.write_large(&p.data)?;
                }
            }
        }
        // Drop what was written, keep the rest (in order).
        let mut keep = VecDeque::with_capacity(self.queue.len());
        for (p, inside) in self.queue.drain(..).zip(in_fragment) {
            if !inside {
                keep.push_back(p);
            }
        }
        self.queue = keep;
        self.fragment_start_us = cut;
        self.cut_at_us = None;
        for t in self.tracks.iter_mut().flatten() {
            t.past_cut = false;
        }
        self.out.maybe_write()
    }
}

/// Whether a new record describes the same stream: FLAC encoders send STREAMINFO again at
/// the end with the frame sizes, total sample count and MD5 filled in (ffmpeg does, in FLV),
/// which changes nothing a decoder uses (block sizes, rate, channels, bits).
fn same_stream(old: &crate::media::CodecConfig, new: &crate::media::CodecConfig) -> bool {
    use crate::codec::flac::StreamInfo;
    old.codec == crate::media::Codec::Flac
        && new.codec == old.codec
        && old.extradata.get(..4).is_some()
        && new.extradata.get(..4) == old.extradata.get(..4)
        && StreamInfo::parse(&old.extradata).ok() == StreamInfo::parse(&new.extradata).ok()
}

/// Writes `ftyp` and a `moov` for `tracks` (track_ID = position + 1), with empty sample
/// tables and a `trex` per track.
fn init_segment(tracks: &[&OutTrack], out: &mut Vec<u8>) -> Result<()> {
    let b = |s: &[u8; 4]| BoxType(*s);
    let mut compatible = vec![b(b"iso6"), b(b"mp41")];
    if tracks.len() == 1 {
        // CMAF: one track per file.
        compatible.extend([b(b"cmfc"), b(b"cmf2")]);
    }
    Ftyp {
        major_brand: b(b"iso6"),
        minor_version: 0,
        compatible,
    }
    .write_to(out);
    let mut traks = Vec::new();
    for t in tracks {
        let entry = sample_entry(&t.track)?;
        let video = t.track.kind == MediaKind::Video;
        write_box(&mut traks, b"trak", |o| {
            track_header(&t.track, t.track_id, 0).write_to(o);
            let mdhd = Mdhd {
                timescale: t.timescale,
                duration: 0,
                language: *b"und",
            };
            write_mdia(o, &mdhd, &handler(video), &entry, |s| {
                Stts::default().write_to(s);
                Stsc::default().write_to(s);
                Stsz::Each(Vec::new()).write_to(s);
                Stco::default().write_to(s);
            });
        });
    }
    write_box(out, b"moov", |o| {
        Mvhd {
            timescale: 1000,
            duration: 0,
            next_track_id: tracks.len() as u32 + 1,
        }
        .write_to(o);
        o.extend_from_slice(&traks);
        write_box(o, b"mvex", |x| {
            for t in tracks {
                Trex {
                    track_id: t.track_id,
                    default_sample_description_index: 1,
                    ..Trex::default()
                }
                .write_to(x);
            }
        });
    });
    Ok(())
}

impl<W: Write> Muxer for Fmp4Muxer<W> {
    fn refusal(&self, track: &Track) -> Option<String> {
        if self.tracks_frozen
            && self
                .tracks
                .get(track.id as usize)
                .is_none_or(Option::is_none)
        {
            return Some(format!(
                "track {} appeared after the initialization segment was written",
                track.id
            ));
        }
        mp4_refusal(track, Mp4Brand::Mp4)
    }

    fn add_track(&mut self, track: &Track) -> Result<()> {
        if track.kind == MediaKind::Data {
            return Ok(());
        }
        if let Some(why) = mp4_refusal(track, Mp4Brand::Mp4) {
            return Err(Error::Unsupported(why));
        }
        // A record taken from the first frame (AC-3 from FLV) is checked when it comes.
        let waits_for_frame = track.codec.extradata.is_empty()
            && matches!(
                track.codec.codec,
                crate::media::Codec::Ac3 | crate::media::Codec::Eac3
            );
        if self.tracks_frozen {
            return Err(Error::Unsupported(format!(
                "track {} appeared after the fragmented mp4 header was written: a fragmented file declares every track up front",
                track.id
            )));
        }
        if !waits_for_frame {
            sample_entry(track)?;
        }
        let idx = track.id as usize;
        if self.tracks.len() <= idx {
            self.tracks.resize_with(idx + 1, || None);
        }
        let track_id = self.tracks.iter().flatten().count() as u32 + 1;
        self.tracks[idx] = Some(OutTrack {
            track: track.clone(),
            track_id,
            timescale: timescale_of(track.time_base),
            past_cut: false,
        });
        Ok(())
    }

    fn write_packet(&mut self, p: &Packet) -> Result<()> {
        if let Some(Some(t)) = self.tracks.get_mut(p.track as usize) {
            if !self.init_written {
                fill_record_from_frame(&mut t.track.codec, &p.data);
            }
        }
        let Some(Some(t)) = self.tracks.get(p.track as usize) else {
            return Ok(());
        };
        if let Some(c) = &p.config {
            if c.extradata != t.track.codec.extradata && !same_stream(&t.track.codec, c) {
                // Segments (HLS) may start a new initialization segment, once this track has
                // nothing queued under the old one (the segment opened at this packet).
                let fresh = !self.queue.iter().any(|q| q.track == p.track);
                if !(self.new_init_allowed && self.at_discontinuity && fresh) {
                    return Err(Error::Unsupported(format!(
                        "track {}: the codec configuration changes mid-stream, which one fragmented mp4 (or a DASH presentation) cannot declare, and fMP4 HLS only at a segment start: convert each part on its own, or use TS segments",
                        p.track
                    )));
                }
                if let Some(Some(t)) = self.tracks.get_mut(p.track as usize) {
                    let mut changed = t.track.clone();
                    changed.codec = (**c).clone();
                    sample_entry(&changed)?;
                    t.track = changed;
                }
                self.init_written = false;
            }
        }
        // An empty packet (ffmpeg ends FLAC in FLV with one, carrying only the final
        // STREAMINFO) has nothing to present, and a 0-byte sample in a fragment stops
        // ffmpeg's reader: it is not written.
        if p.data.is_empty() {
            return Ok(());
        }
        let at = self.us(p);
        if self.fragment_start_us.is_none() {
            self.fragment_start_us = Some(at);
        }
        if self.cut_at_us.is_none() && self.cuts(p, at) {
            self.cut_at_us = Some(at);
        }
        if let Some(cut) = self.cut_at_us {
            if at >= cut {
                if let Some(Some(t)) = self.tracks.get_mut(p.track as usize) {
                    t.past_cut = true;
                }
            }
        }
        self.queue.push_back(p.clone());
        if let Some(cut) = self.cut_at_us {
            // Every track has reached the cut, or one has stopped (ended, or a long gap): a
            // fragment never waits more than MAX_CUT_WAIT_US for it.
            if self.tracks.iter().flatten().all(|t| t.past_cut)
                || at.saturating_sub(cut) > MAX_CUT_WAIT_US
            {
                self.flush(false)?;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        if self.finished {
            return Err(Error::InvalidUse("mp4 muxer finished twice".into()));
        }
        self.finished = true;
        // A cut still waiting for another track's packet, then the rest.
        if self.cut_at_us.is_some() {
            self.flush(false)?;
        }
        self.flush(true)?;
        if !self.init_written && !self.external_cuts {
            self.write_init()?;
        }
        self.out.flush_all()
    }
}
