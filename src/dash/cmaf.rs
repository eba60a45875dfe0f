//! One set of CMAF track files (ISO/IEC 23000-19): per track an initialization segment and
//! a media segment per cut, which a DASH MPD and HLS playlists can both list, so one copy of
//! the segments serves both (`--dash` beside fMP4 HLS, or a `.mpd` output).
//!
//! Cuts are decided once, on the first video track's keyframes (with no video: every target
//! duration of the first audio track), and every track ends its segment at its first packet at
//! or past the cut: audio that arrives after the video keyframe still joins the segment it
//! belongs to. All tracks' `tfdt`s count from one origin (the earliest first decode time),
//! so the SegmentTimelines of every AdaptationSet share the Period's timeline.

use crate::error::{Error, Result};
use crate::hls::output::{SegmentStore, SegmentWriteError, StoreSink};
use crate::io::BlockWriter;
use crate::media::{MediaKind, Muxer, Packet, Track};
use crate::mp4::fragment_mux::Fmp4Muxer;
use crate::time::TimeBase;

use super::mpd::{AdaptationSet, Mpd};
use crate::hls::window::{Clock, DeletionSchedule, system_clock};

/// What to write over the segments.
#[derive(Clone, Debug)]
pub struct CmafOptions {
    /// Target segment duration in seconds.
    pub target_duration: f64,
    /// The MPD's file name, when a DASH presentation is wanted.
    pub mpd_name: Option<String>,
    /// The multivariant playlist's file name, when HLS is wanted (each track also gets
    /// `NAME.m3u8`).
    pub hls_name: Option<String>,
    /// A live presentation: a dynamic MPD rewritten after every segment, listing a window of
    /// this many segments per track (older ones deleted after their grace period;
    /// `usize::MAX`: all, as an event playlist); at the end, a static MPD over the window.
    pub live_window: Option<usize>,
}

impl Default for CmafOptions {
    fn default() -> Self {
        CmafOptions {
            target_duration: 6.0,
            mpd_name: Some("manifest.mpd".into()),
            hls_name: None,
            live_window: None,
        }
    }
}

struct TrackOut<S: SegmentStore> {
    track: Track,
    /// `video`, `audio`, `audio_2`: the Representation id and the segment names' prefix.
    name: String,
    mux: Fmp4Muxer<StoreSink<S>>,
    timescale: u32,
    /// The open (or next) segment's number: consecutive, whatever cuts a track had no
    /// packet in.
    number: u64,
    /// The index in `cuts` of the cut that ends the open segment.
    next_cut: usize,
    open: bool,
    /// (start, duration) per finished segment, media timescale; in a live window, the
    /// listed ones, the first being segment number `first_listed`.
    timeline: Vec<(u64, u64)>,
    first_listed: u64,
    bytes: u64,
    init_written: bool,
}

/// Writes per-track CMAF segments, then an MPD and/or HLS playlists over them.
pub struct CmafSegmenter<S: SegmentStore + Clone> {
    store: S,
    options: CmafOptions,
    tracks: Vec<Option<TrackOut<S>>>,
    /// Cut times (µs, input timeline): segment k of every track ends at `cuts[k]`.
    cuts: Vec<i64>,
    cut_track: Option<u32>,
    segment_start_us: Option<i64>,
    /// The earliest first decode time, shared by every track's writer.
    origin: Option<(i64, TimeBase)>,
    first_dts: Vec<(i64, TimeBase, i64)>,
    finished: bool,
    /// Live: the wall-clock time of media time 0 (the origin), and what waits to be deleted.
    live_start: Option<std::time::SystemTime>,
    deletions: DeletionSchedule,
    clock: Clock,
}

fn name_for(kind: MediaKind, taken: &[String]) -> String {
    let base = if kind == MediaKind::Video {
        "video"
    } else {
        "audio"
    };
    if !taken.iter().any(|n| n == base) {
        return base.to_owned();
    }
    (2..)
        .map(|k| format!("{base}_{k}"))
        .find(|n| !taken.contains(n))
        .unwrap_or_else(|| base.to_owned())
}

impl<S: SegmentStore + Clone> CmafSegmenter<S> {
    /// A segmenter writing into `store`.
    pub fn new(store: S, options: CmafOptions) -> CmafSegmenter<S> {
        CmafSegmenter {
            store,
            options,
            tracks: Vec::new(),
            cuts: Vec::new(),
            cut_track: None,
            segment_start_us: None,
            origin: None,
            first_dts: Vec::new(),
            finished: false,
            live_start: None,
            deletions: DeletionSchedule::default(),
            clock: system_clock(),
        }
    }

    /// Replaces the wall clock that times live deletions (tests).
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    /// Live: after a segment of the cutting track, the window slides (what left it is
    /// deleted once its grace period is over) and the dynamic MPD is rewritten.
    fn after_live_segment(&mut self) -> Result<()> {
        let Some(window) = self.options.live_window else {
            return Ok(());
        };
        let now = (self.clock)();
        let target = self.options.target_duration;
        for t in self.tracks.iter_mut().flatten() {
            let ts = f64::from(t.timescale.max(1));
            while t.timeline.len() > window.max(1) {
                let (_, d) = t.timeline.remove(0);
                let name = Self::segment_name(&t.name, t.first_listed);
                t.first_listed += 1;
                self.deletions.schedule(name, d as f64 / ts, now);
            }
        }
        if window != usize::MAX {
            self.deletions.note_playlist(target * window as f64);
        }
        self.write_mpd(false)?;
        for name in self.deletions.take_due(now) {
            self.store.remove(&name)?;
        }
        Ok(())
    }

    fn write_mpd(&mut self, last: bool) -> Result<()> {
        let Some(name) = self.options.mpd_name.clone() else {
            return Ok(());
        };
        // A live MPD lists every track from its first segment on: until each track has one
        // (audio ends its first segment at its first packet past the cut, a moment after
        // the video), there is nothing complete to announce.
        if !last && self.tracks.iter().flatten().any(|t| t.timeline.is_empty()) {
            return Ok(());
        }
        let mut mpd = self.mpd();
        if let (Some(window), false) = (self.options.live_window, last) {
            let start = *self
                .live_start
                .get_or_insert_with(std::time::SystemTime::now);
            let rfc3339 = |t: std::time::SystemTime| {
                chrono::DateTime::<chrono::Utc>::from(t)
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            };
            mpd.dynamic = Some(super::mpd::DynamicTimes {
                availability_start: rfc3339(start),
                publish_time: rfc3339(std::time::SystemTime::now()),
                minimum_update_secs: self.options.target_duration,
                time_shift_secs: (window != usize::MAX)
                    .then_some(self.options.target_duration * window as f64),
            });
        }
        let xml = mpd.to_xml();
        self.store.write_playlist(&name, xml.as_bytes())
    }

    fn segment_name(name: &str, number: u64) -> String {
        format!("{name}_{number:05}.m4s")
    }

    fn init_name(name: &str) -> String {
        format!("{name}_init.mp4")
    }

    /// Ends track `ti`'s open segment: its fragment, its init before the first, the commit.
    fn close(&mut self, ti: usize) -> Result<()> {
        if self.origin.is_none() {
            // Every track that has a packet so far has its first one: the earliest is 0.
            self.origin = self
                .first_dts
                .iter()
                .min_by_key(|f| f.2)
                .map(|f| (f.0, f.1));
        }
        let origin = self.origin;
        let Some(Some(t)) = self.tracks.get_mut(ti) else {
            return Ok(());
        };
        if !t.open {
            return Ok(());
        }
        if let Some((dts, tb)) = origin {
            t.mux.set_origin(dts, tb);
        }
        if !t.init_written {
            t.init_written = true;
            let init = t.mux.init_segment()?;
            let name = Self::init_name(&t.name);
            t.mux
                .run_on_sink(move |sink| sink.store.write_playlist(&name, &init))
                .map_err(SegmentWriteError::name_the_file)?;
        }
        t.mux.cut().map_err(SegmentWriteError::name_the_file)?;
        t.open = false;
        let Some(f) = t.mux.last_fragment() else {
            // Nothing in it (its only packets were empty): no file, no number taken.
            t.mux
                .run_on_sink(|sink| {
                    sink.discard();
                    Ok(())
                })
                .map_err(SegmentWriteError::name_the_file)?;
            return Ok(());
        };
        t.timeline.push(f);
        t.mux
            .run_on_sink(|sink| sink.close())
            .map_err(SegmentWriteError::name_the_file)?;
        t.number += 1;
        if Some(ti as u32) == self.cut_track {
            if self.live_start.is_none() && self.options.live_window.is_some() {
                // Media time 0 (the origin) was this long before now.
                let first = t.timeline.first().map_or(0, |f| f.0);
                let ago = first as f64 / f64::from(t.timescale.max(1));
                let done: f64 = t.timeline.iter().map(|f| f.1).sum::<u64>() as f64
                    / f64::from(t.timescale.max(1));
                self.live_start = std::time::SystemTime::now()
                    .checked_sub(std::time::Duration::from_secs_f64((ago + done).max(0.0)));
            }
            self.after_live_segment()?;
        }
        Ok(())
    }

    fn open(&mut self, ti: usize) -> Result<()> {
        let Some(Some(t)) = self.tracks.get_mut(ti) else {
            return Ok(());
        };
        let name = Self::segment_name(&t.name, t.number);
        t.mux
            .run_on_sink(move |sink| sink.open(name))
            .map_err(SegmentWriteError::name_the_file)?;
        t.open = true;
        Ok(())
    }

    /// The MPD over what is written.
    pub fn mpd(&self) -> Mpd {
        let mut sets = Vec::new();
        let mut duration: f64 = 0.0;
        let mut longest: f64 = 0.0;
        for t in self.tracks.iter().flatten() {
            // Each segment lasts until the next one starts; the last its own samples.
            let mut timeline: Vec<(u64, u64)> = t.timeline.clone();
            for i in 0..timeline.len().saturating_sub(1) {
                let next = timeline[i + 1].0;
                timeline[i].1 = next.saturating_sub(timeline[i].0);
            }
            let ts = f64::from(t.timescale.max(1));
            let total: u64 = timeline.iter().map(|s| s.1).sum();
            duration = duration.max(timeline.last().map_or(0.0, |&(s, d)| (s + d) as f64 / ts));
            longest = longest.max(timeline.iter().map(|s| s.1).max().unwrap_or(0) as f64 / ts);
            let details = t.track.codec.details().unwrap_or_default();
            let video = t.track.kind == MediaKind::Video;
            sets.push(AdaptationSet {
                content_type: if video { "video" } else { "audio" },
                id: t.name.clone(),
                codecs: details.codec_string.clone().unwrap_or_default(),
                bandwidth: if total > 0 {
                    (t.bytes as f64 * 8.0 * ts / total as f64).round() as u64
                } else {
                    0
                },
                size: video.then(|| (details.width.unwrap_or(0), details.height.unwrap_or(0))),
                audio: (!video).then(|| {
                    (
                        details.sample_rate.unwrap_or(0),
                        details.channels.unwrap_or(2),
                    )
                }),
                timescale: t.timescale,
                initialization: Self::init_name(&t.name),
                media: format!("{}_$Number%05d$.m4s", t.name),
                start_number: t.first_listed,
                timeline,
            });
        }
        Mpd {
            dynamic: None,
            duration_secs: duration,
            min_buffer_secs: longest.max(1.0),
            adaptation_sets: sets,
        }
    }

    /// HLS over the same segments: a media playlist per track and a multivariant playlist
    /// (the video with its audio as an EXT-X-MEDIA rendition group), as (name, bytes).
    pub fn hls_playlists(&self, multivariant: &str) -> Vec<(String, Vec<u8>)> {
        use m3u8_rs::{
            AlternativeMedia, AlternativeMediaType, MasterPlaylist, Resolution, VariantStream,
        };
        let mpd = self.mpd();
        let mut out = Vec::new();
        for a in &mpd.adaptation_sets {
            let ts = f64::from(a.timescale.max(1));
            let mut pl = crate::hls::Playlist::default();
            for (i, &(_, d)) in a.timeline.iter().enumerate() {
                pl.segments.push(crate::hls::PlaylistSegment {
                    uri: Self::segment_name(&a.id, a.start_number + i as u64),
                    duration: d as f64 / ts,
                    discontinuity: false,
                    program_date_time: None,
                    byte_range: None,
                    key: None,
                    map: Some(a.initialization.clone()),
                });
            }
            pl.ended = true;
            out.push((format!("{}.m3u8", a.id), pl.to_bytes()));
        }
        let video: Vec<&AdaptationSet> = mpd
            .adaptation_sets
            .iter()
            .filter(|a| a.content_type == "video")
            .collect();
        let audio: Vec<&AdaptationSet> = mpd
            .adaptation_sets
            .iter()
            .filter(|a| a.content_type == "audio")
            .collect();
        let mut master = MasterPlaylist {
            version: Some(7),
            independent_segments: true,
            ..MasterPlaylist::default()
        };
        let audio_bw = audio.iter().map(|a| a.bandwidth).max().unwrap_or(0);
        for (i, a) in audio.iter().enumerate() {
            if video.is_empty() {
                break;
            }
            master.alternatives.push(AlternativeMedia {
                media_type: AlternativeMediaType::Audio,
                uri: Some(format!("{}.m3u8", a.id)),
                group_id: "audio".into(),
                name: a.id.clone(),
                default: i == 0,
                autoselect: true,
                channels: a.audio.map(|(_, c)| c.to_string()),
                ..AlternativeMedia::default()
            });
        }
        let codecs = |v: Option<&AdaptationSet>| {
            let mut list: Vec<String> = v.iter().map(|a| a.codecs.clone()).collect();
            if let Some(a) = audio.first() {
                list.push(a.codecs.clone());
            }
            list.retain(|c| !c.is_empty());
            list.join(",")
        };
        if video.is_empty() {
            for a in &audio {
                master.variants.push(VariantStream {
                    uri: format!("{}.m3u8", a.id),
                    bandwidth: a.bandwidth,
                    codecs: Some(a.codecs.clone()),
                    ..VariantStream::default()
                });
            }
        }
        for v in &video {
            master.variants.push(VariantStream {
                uri: format!("{}.m3u8", v.id),
                bandwidth: v.bandwidth + audio_bw,
                codecs: Some(codecs(Some(v))),
                resolution: v.size.map(|(w, h)| Resolution {
                    width: u64::from(w),
                    height: u64::from(h),
                }),
                audio: (!audio.is_empty()).then(|| "audio".to_owned()),
                ..VariantStream::default()
            });
        }
        let mut text = Vec::new();
        let _ = master.write_to(&mut text);
        out.push((multivariant.to_owned(), text));
        out
    }

    /// Gives the store back after [`Muxer::finish`].
    pub fn into_store(self) -> S {
        self.store
    }
}

impl<S: SegmentStore + Clone> Muxer for CmafSegmenter<S> {
    fn refusal(&self, track: &Track) -> Option<String> {
        let probe: Fmp4Muxer<std::io::Sink> =
            Fmp4Muxer::for_segments(BlockWriter::new(std::io::sink()));
        probe.refusal(track).map(|r| format!("cmaf segments: {r}"))
    }

    fn add_track(&mut self, track: &Track) -> Result<()> {
        if track.kind == MediaKind::Data {
            return Ok(());
        }
        if let Some(r) = self.refusal(track) {
            return Err(Error::Unsupported(r));
        }
        let idx = track.id as usize;
        if self.tracks.len() <= idx {
            self.tracks.resize_with(idx + 1, || None);
        }
        let taken: Vec<String> = self
            .tracks
            .iter()
            .flatten()
            .map(|t| t.name.clone())
            .collect();
        let name = name_for(track.kind, &taken);
        let mut mux = Fmp4Muxer::for_segments(BlockWriter::new(StoreSink::new(self.store.clone())));
        // Each writer holds one track, as CMAF track files do; it keeps the input id.
        let mut own = track.clone();
        own.id = track.id;
        mux.add_track(&own)?;
        let timescale = mux.timescale(track.id).unwrap_or(90_000);
        if track.kind == MediaKind::Video
            && self
                .cut_track
                .and_then(|c| self.tracks.get(c as usize).and_then(Option::as_ref))
                .is_none_or(|t| t.track.kind != MediaKind::Video)
            || self.cut_track.is_none()
        {
            self.cut_track = Some(track.id);
        }
        self.tracks[idx] = Some(TrackOut {
            track: track.clone(),
            name,
            mux,
            timescale,
            number: 0,
            next_cut: 0,
            open: false,
            timeline: Vec::new(),
            first_listed: 0,
            bytes: 0,
            init_written: false,
        });
        Ok(())
    }

    fn write_packet(&mut self, p: &Packet) -> Result<()> {
        let ti = p.track as usize;
        let Some(Some(t)) = self.tracks.get(ti) else {
            return Ok(());
        };
        let tb = t.track.time_base;
        let at = tb.rescale(p.dts.0, TimeBase::MICROS);
        if !t.open && t.number == 0 {
            self.first_dts.push((p.dts.0, tb, at));
        }
        // A new cut: the cutting track's keyframe (any frame, for audio alone) a target past
        // the segment's start.
        if Some(p.track) == self.cut_track {
            let start = *self.segment_start_us.get_or_insert(at);
            let video = t.track.kind == MediaKind::Video;
            let target = (self.options.target_duration * 1e6).round() as i64;
            if at - start >= target && (p.flags.keyframe || !video) {
                self.cuts.push(at);
                self.segment_start_us = Some(at);
            }
        }
        // The cuts this packet is at or past end this track's open segment (a cut in a gap
        // of the track ends nothing).
        while self.tracks[ti]
            .as_ref()
            .and_then(|t| self.cuts.get(t.next_cut))
            .is_some_and(|&cut| at >= cut)
        {
            if self.tracks[ti].as_ref().is_some_and(|t| t.open) {
                self.close(ti)?;
            }
            if let Some(Some(t)) = self.tracks.get_mut(ti) {
                t.next_cut += 1;
            }
        }
        if !self.tracks[ti].as_ref().is_some_and(|t| t.open) {
            self.open(ti)?;
        }
        if let Some(Some(t)) = self.tracks.get_mut(ti) {
            t.bytes += p.data.len() as u64;
            t.mux
                .write_packet(p)
                .map_err(SegmentWriteError::name_the_file)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        if self.finished {
            return Err(Error::InvalidUse("cmaf segmenter finished twice".into()));
        }
        self.finished = true;
        for ti in 0..self.tracks.len() {
            self.close(ti)?;
            if let Some(Some(t)) = self.tracks.get_mut(ti) {
                t.mux.finish().map_err(SegmentWriteError::name_the_file)?;
                t.mux.sink_mut().map_err(SegmentWriteError::name_the_file)?;
            }
        }
        if self.tracks.iter().flatten().all(|t| t.timeline.is_empty()) {
            return Err(Error::InvalidUse("no media was written".into()));
        }
        if let Some(name) = self.options.hls_name.clone() {
            for (file, bytes) in self.hls_playlists(&name) {
                self.store.write_playlist(&file, &bytes)?;
            }
        }
        // The end: a static MPD (a live one becomes on demand over its window).
        self.write_mpd(true)?;
        Ok(())
    }
}

impl<S: SegmentStore + Clone> std::fmt::Debug for CmafSegmenter<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CmafSegmenter")
            .field("cuts", &self.cuts.len())
            .finish_non_exhaustive()
    }
}
