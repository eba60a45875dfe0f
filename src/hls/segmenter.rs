//! Where to cut: an HLS segmenter is a [`Muxer`] that writes TS into one segment after another.
//!
//! A segment is cut at a video keyframe (with no video: at any audio frame) once it has reached
//! the target duration, so every segment starts decodable. The TS muxer runs on across
//! segments, so continuity counters and timestamps carry on; each segment starts with PAT and
//! PMT. Segment `k` lasts from its first presentation time to the next segment's; the last one,
//! and one followed by a discontinuity, to the end of its own last frame.
//!
//! A discontinuity (a decode-time jump past [`MAX_FORWARD_GAP_US`] or back past
//! [`MAX_BACKWARD_STEP_US`], a codec configuration change, a demuxer's discontinuity flag) cuts at
//! the next chance (the next keyframe of the cutting track) and marks that segment with
//! EXT-X-DISCONTINUITY. An identical repeated sequence header is no change and cuts nothing.

use crate::error::{Error, Result};
use crate::io::BlockWriter;
use crate::media::{MediaKind, Muxer, Packet, Track};
use crate::time::TimeBase;
use crate::ts::mux::TsMuxOptions;

use super::keys;
use super::output::{SegmentStore, SegmentWriteError, StoreSink};
use super::playlist::{Playlist, PlaylistSegment, PlaylistType};
use super::segment_format::{HlsSegmentType, SegmentMux};
use super::window::{Clock, DeletionSchedule, system_clock};

/// Choices for [`HlsSegmenter`].
#[derive(Clone, Debug)]
pub struct HlsOptions {
    /// Target segment duration in seconds (`--hls-time`; ffmpeg and Apple: 6).
    pub target_duration: f64,
    /// The playlist type (VOD: written once, complete, when the input ends; event and live:
    /// rewritten after every segment).
    pub playlist_type: PlaylistType,
    /// Live playlists: how many segments the window lists (`--hls-list-size`, default 6: with
    /// 6 s segments a 36 s window, above the three target durations RFC 8216 §6.2.2 asks).
    pub list_size: usize,
    /// Write EXT-X-PROGRAM-DATE-TIME on every segment: the wall-clock time of the first frame
    /// plus the segment's media time since it.
    pub program_date_time: bool,
    /// Segment file names: `%d` or `%0Nd` is replaced by the segment number.
    pub segment_pattern: String,
    /// The playlist's file name.
    pub playlist_name: String,
    /// TS segments or fragmented MP4 (`--hls-segment-type`).
    pub segment_type: HlsSegmentType,
    /// The initialization segment's name (fMP4; EXT-X-MAP).
    pub init_name: String,
    /// Put before every segment's and initialization segment's name (`muxkit ingest
    /// --node-id`, `NODE-`): several processes writing one bucket never write the same
    /// object, whichever of them carries a stream on.
    pub name_prefix: String,
    /// Every segment into one file (`--hls-single-file`): `NAME.ts` or `NAME.mp4` after the
    /// playlist's name, listed with EXT-X-BYTERANGE (VOD only). An fMP4 one holds its
    /// initialization segment first: the file is itself a fragmented MP4.
    pub single_file: bool,
    /// AES-128 encryption of every segment (`--hls-key`, `--hls-encrypt`).
    pub encryption: Option<super::keys::HlsEncryption>,
    /// The TS muxer's choices.
    pub ts: TsMuxOptions,
    /// Bytes of TS collected before they are written to the segment file (see
    /// [`BlockWriter::with_block_size`]): 1 MiB for conversions; a server with many small live
    /// streams uses less.
    pub write_block_size: usize,
}

impl Default for HlsOptions {
    fn default() -> Self {
        HlsOptions {
            target_duration: 6.0,
            playlist_type: PlaylistType::Vod,
            list_size: 6,
            program_date_time: false,
            segment_pattern: "segment_%05d.ts".into(),
            playlist_name: "index.m3u8".into(),
            segment_type: HlsSegmentType::MpegTs,
            init_name: "init.mp4".into(),
            name_prefix: String::new(),
            single_file: false,
            encryption: None,
            ts: TsMuxOptions::default(),
            write_block_size: crate::io::BLOCK_SIZE,
        }
    }
}

/// The widest `%0Nd` a segment pattern may ask for: a u64 has 20 digits, and a width beyond
/// that would only pad names with zeros (a hostile `%999999999d` asked for a 1 GB name).
pub const MAX_SEGMENT_NUMBER_WIDTH: usize = 20;

/// Whether `pattern` names segments safely: a plain file name (no folder separator, not
/// hidden, no `..`, nothing a playlist line cannot hold) with at most one `%d` / `%0Nd`
/// (N at most [`MAX_SEGMENT_NUMBER_WIDTH`]). Segments always land in the output folder.
pub fn check_segment_pattern(pattern: &str) -> std::result::Result<(), String> {
    if pattern.is_empty() || pattern.len() > 200 {
        return Err("a segment pattern is a file name of 1 to 200 bytes".into());
    }
    if pattern.contains(['/', '\\']) || pattern.contains("..") || pattern.starts_with('.') {
        return Err(format!(
            "{pattern:?} is not a plain file name: segments are written into the output folder"
        ));
    }
    if pattern.starts_with('#') || pattern.chars().any(char::is_control) {
        return Err(format!("{pattern:?} cannot be written as a playlist line"));
    }
    let directives = pattern.matches('%').count();
    if directives > 1 {
        return Err(format!("{pattern:?} has more than one %d"));
    }
    if let Some(at) = pattern.find('%') {
        let rest = &pattern[at + 1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !rest[digits.len()..].starts_with('d') {
            return Err(format!("{pattern:?}: only %d and %0Nd are understood"));
        }
        let width: usize = digits.trim_start_matches('0').parse().unwrap_or(usize::MAX);
        if !digits.is_empty() && width > MAX_SEGMENT_NUMBER_WIDTH {
            return Err(format!(
                "{pattern:?}: a number width above {MAX_SEGMENT_NUMBER_WIDTH} digits"
            ));
        }
    }
    Ok(())
}

/// `pattern` with its `%d` / `%0Nd` replaced by `n` (a pattern without one gets `_N` before
/// its extension, so names never collide). Widths above [`MAX_SEGMENT_NUMBER_WIDTH`] are
/// clamped to it.
pub fn segment_name(pattern: &str, n: u64) -> String {
    if let Some(at) = pattern.find('%') {
        let rest = &pattern[at + 1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if rest[digits.len()..].starts_with('d') {
            let width: usize = digits
                .trim_start_matches('0')
                .parse()
                .unwrap_or(0)
                .min(MAX_SEGMENT_NUMBER_WIDTH);
            let tail = &rest[digits.len() + 1..];
            return format!("{}{:0width$}{}", &pattern[..at], n, tail);
        }
    }
    match pattern.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}_{n}.{ext}"),
        None => format!("{pattern}_{n}"),
    }
}

fn sink_for<S: SegmentStore>(store: S, options: &HlsOptions) -> StoreSink<S> {
    let sink = StoreSink::new(store);
    if options.single_file {
        sink.single_file()
    } else {
        sink
    }
}

/// The one file of `--hls-single-file`: the playlist's stem and the segment type's extension.
pub fn single_file_name(options: &HlsOptions) -> String {
    let stem = options
        .playlist_name
        .rsplit_once('.')
        .map_or(options.playlist_name.as_str(), |(s, _)| s);
    let ext = match options.segment_type {
        HlsSegmentType::MpegTs => "ts",
        HlsSegmentType::Fmp4 => "mp4",
    };
    format!("{stem}.{ext}")
}

struct OpenSegment {
    name: String,
    /// The key's URI and the IV it was encrypted with.
    key: Option<(String, [u8; 16])>,
    start_us: i64,
    /// The end of the latest frame written into this segment, in microseconds.
    end_us: i64,
    /// A discontinuity comes before this segment.
    discontinuity: bool,
}

/// A decode-time jump larger than this (forward), or any step back of more than
/// [`MAX_BACKWARD_STEP_US`], is a discontinuity: a splice, a restarted encoder, a republish.
/// Ten seconds is longer than any real gap between two frames of one track (ffmpeg's
/// `max_interleave_delta` is the same), yet far shorter than the jumps that matter.
pub const MAX_FORWARD_GAP_US: i64 = 10_000_000;

/// See [`MAX_FORWARD_GAP_US`]: decode times may step back a little across tracks, never within
/// one by more than this.
pub const MAX_BACKWARD_STEP_US: i64 = 1_000_000;

/// Where a growing playlist stands, to carry it on in a new segmenter (a live stream that is
/// published again under the same name continues its media sequence after a discontinuity).
#[derive(Debug, Clone)]
pub struct HlsResume {
    playlist: Playlist,
    next_index: u64,
    deletions: DeletionSchedule,
    /// fMP4: the initialization segment the listed segments use (name and bytes), so a new
    /// publish with the same parameters keeps it and one with others gets its own.
    init: Option<(String, Vec<u8>)>,
}

impl HlsResume {
    /// Whether the playlist's latest segments are fMP4 (an EXT-X-MAP applies to them): a
    /// stream carried on must keep fMP4 segments, since a map applies until the next one.
    pub fn uses_fmp4(&self) -> bool {
        self.playlist
            .segments
            .last()
            .is_some_and(|s| s.map.is_some())
    }
}

/// Largest initialization segment read back from a folder (real ones are a few KB).
const MAX_INIT_BYTES: u64 = HlsResume::MAX_INIT_BYTES;

/// Highest segment number a playlist read back may reach to be carried on.
const MAX_RESUMED_SEQUENCE: u64 = 1 << 50;

impl HlsResume {
    /// The largest initialization segment read back (real ones are a few KB).
    pub const MAX_INIT_BYTES: u64 = 1 << 20;

    /// The state of a playlist a previous process left in `dir` (a restart after a crash):
    /// its segments, sequence numbers and target duration, and the next segment number
    /// after both the last one listed and the highest-numbered file of `pattern` there, so a
    /// new segment never overwrites one a player may still hold. `None` when there is no
    /// readable media playlist.
    pub fn from_folder(
        dir: &std::path::Path,
        playlist_name: &str,
        pattern: &str,
    ) -> Option<HlsResume> {
        let text = std::fs::read(dir.join(playlist_name)).ok()?;
        let on_disk = highest_segment_number(dir, pattern).map_or(0, |n| n.saturating_add(1));
        HlsResume::from_playlist(&text, on_disk, |name| {
            let path = dir.join(name);
            let meta = std::fs::metadata(&path).ok()?;
            (meta.is_file() && meta.len() <= MAX_INIT_BYTES)
                .then(|| std::fs::read(&path).ok())
                .flatten()
        })
    }

    /// The state of the media playlist `text` (read from a folder, or from object storage
    /// when another node wrote it): the next segment number is at least `next_at_least`, and
    /// `read_init` fetches the initialization segment the last listed segments use (at most
    /// [`HlsResume::MAX_INIT_BYTES`]). `None` when `text` is not a media playlist.
    pub fn from_playlist(
        text: &[u8],
        next_at_least: u64,
        read_init: impl FnOnce(&str) -> Option<Vec<u8>>,
    ) -> Option<HlsResume> {
        let m3u8_rs::Playlist::MediaPlaylist(pl) = m3u8_rs::parse_playlist_res(text).ok()? else {
            return None;
        };
        // m3u8-rs attaches EXT-X-MAP to the segment right after the tag: it applies to every
        // segment until the next one.
        let mut map: Option<String> = None;
        let segments: Vec<crate::hls::playlist::PlaylistSegment> = pl
            .segments
            .iter()
            .map(|s| crate::hls::playlist::PlaylistSegment {
                uri: s.uri.clone(),
                duration: f64::from(s.duration),
                discontinuity: s.discontinuity,
                program_date_time: s.program_date_time,
                byte_range: None,
                key: None,
                map: {
                    if let Some(m) = &s.map {
                        map = Some(m.uri.clone());
                    }
                    map.clone()
                },
            })
            .collect();
        let listed_end = pl.media_sequence.saturating_add(segments.len() as u64);
        // A playlist read back may come from anyone who can write there: sequence numbers
        // with no room left to count on (a segment a second for 30 million years) are not
        // carried on.
        if listed_end.max(next_at_least) > MAX_RESUMED_SEQUENCE {
            return None;
        }
        let playlist = Playlist {
            segments,
            media_sequence: pl.media_sequence,
            discontinuity_sequence: pl.discontinuity_sequence,
            fixed_target_duration: Some(pl.target_duration),
            ..Playlist::default()
        };
        let init = playlist
            .segments
            .last()
            .and_then(|s| s.map.clone())
            .filter(|m| check_segment_pattern(m).is_ok())
            .and_then(|m| {
                read_init(&m)
                    .filter(|b| b.len() as u64 <= MAX_INIT_BYTES)
                    .map(|bytes| (m, bytes))
            });
        Some(HlsResume {
            playlist,
            next_index: listed_end.max(next_at_least),
            deletions: DeletionSchedule::default(),
            init,
        })
    }
}

/// The highest number `pattern` gives to a file in `dir`, if any.
fn highest_segment_number(dir: &std::path::Path, pattern: &str) -> Option<u64> {
    let at = pattern.find('%')?;
    let (head, rest) = (&pattern[..at], &pattern[at + 1..]);
    let tail = &rest[rest.find('d')? + 1..];
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let digits = name.strip_prefix(head)?.strip_suffix(tail)?;
            (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| digits.parse::<u64>().ok())
                .flatten()
        })
        .max()
}

impl HlsResume {
    /// The playlist as it ended.
    pub fn playlist(&self) -> &Playlist {
        &self.playlist
    }
}

/// What a segmenter noticed: the CLI shows the warnings.
#[derive(Clone, Debug, Default)]
pub struct HlsReport {
    /// Segments cut without a keyframe because the GOP ran past a growing playlist's fixed
    /// TARGETDURATION.
    pub forced_cuts: u64,
    /// Segments deleted after leaving a live window.
    pub deleted_segments: u64,
    /// Segments out of the window still waiting for their grace period when the input ended
    /// (left on disk).
    pub pending_deletions: u64,
    /// Things worth telling the user, each once.
    pub warnings: Vec<String>,
}

/// Writes TS segments and a media playlist into a [`SegmentStore`].
///
/// ## The long-GOP policy of event and live playlists
///
/// A growing playlist's TARGETDURATION must never change (RFC 8216 §6.2.1) and every EXTINF,
/// rounded, must stay within it (§4.3.3.1). It is fixed when the first segment is listed: the
/// target duration rounded up, or the first segment's duration rounded if that is longer (a
/// stream whose GOP is longer than `--hls-time` says so in its first segment). If a later GOP
/// runs past it, the segment is cut at the first frame of the cutting track that reaches it,
/// keyframe or not, and a warning says so: the playlist stays valid for every player, at the
/// price of a segment that starts mid-GOP (players decode it after the one before). For that
/// reason growing playlists do not claim EXT-X-INDEPENDENT-SEGMENTS.
pub struct HlsSegmenter<S: SegmentStore> {
    /// The segment muxer (TS or fMP4) writes into the store; segments are opened and
    /// committed, and the playlist rewritten, through it, in order with the bytes.
    ts: SegmentMux<S>,
    options: HlsOptions,
    playlist: Playlist,
    tracks: Vec<Option<Track>>,
    /// The track whose keyframes decide the cuts.
    cut_track: Option<u32>,
    open: Option<OpenSegment>,
    /// A jump or config change was seen: the next cut comes at the first chance, marked.
    discontinuity_pending: bool,
    next_index: u64,
    last_dts_us: Vec<Option<i64>>,
    finished: bool,
    report: HlsReport,
    deletions: DeletionSchedule,
    clock: Clock,
    /// The wall-clock time of the first frame and its presentation time, for
    /// PROGRAM-DATE-TIME.
    anchor: Option<(std::time::SystemTime, i64)>,
    /// The key period in use and its key.
    key: Option<(u64, super::keys::HlsKey)>,
    /// fMP4: the initialization segment of the segments being written.
    init_name: Option<String>,
    /// fMP4: the last initialization segment stored (name, bytes).
    last_init: Option<(String, Vec<u8>)>,
}

impl<S: SegmentStore> HlsSegmenter<S> {
    /// A segmenter writing into `store` on the caller's thread.
    pub fn new(store: S, options: HlsOptions) -> HlsSegmenter<S> {
        let out =
            BlockWriter::new(sink_for(store, &options)).with_block_size(options.write_block_size);
        HlsSegmenter::with_writer(out, options)
    }

    /// A segmenter whose writes (segment bytes, commits, playlists, deletions) happen on a
    /// writer thread, in order, while this thread muxes; see [`BlockWriter::write_behind`].
    /// Errors then surface at a later call than the one whose bytes failed, but always before
    /// [`Muxer::finish`] returns.
    pub fn write_behind(store: S, options: HlsOptions) -> HlsSegmenter<S>
    where
        S: Send + 'static,
        S::Writer: Send + 'static,
    {
        let out = BlockWriter::write_behind(sink_for(store, &options))
            .with_block_size(options.write_block_size);
        HlsSegmenter::with_writer(out, options)
    }

    fn with_writer(out: BlockWriter<StoreSink<S>>, mut options: HlsOptions) -> HlsSegmenter<S> {
        // One file holds every segment only while nothing is deleted or relisted: VOD.
        options.single_file &= !options.playlist_type.is_growing();
        if !options.name_prefix.is_empty() {
            let prefix = std::mem::take(&mut options.name_prefix);
            options.segment_pattern = format!("{prefix}{}", options.segment_pattern);
            options.init_name = format!("{prefix}{}", options.init_name);
        }
        let init_name = (options.segment_type == HlsSegmentType::Fmp4 && !options.single_file)
            .then(|| options.init_name.clone());
        let playlist = Playlist {
            kind: options.playlist_type,
            ..Playlist::default()
        };
        HlsSegmenter {
            ts: SegmentMux::new(
                options.segment_type,
                out,
                options.ts.clone(),
                options.single_file,
            ),
            options,
            playlist,
            tracks: Vec::new(),
            cut_track: None,
            open: None,
            discontinuity_pending: false,
            next_index: 0,
            last_dts_us: Vec::new(),
            finished: false,
            report: HlsReport::default(),
            deletions: DeletionSchedule::default(),
            clock: system_clock(),
            anchor: None,
            key: None,
            init_name,
            last_init: None,
        }
    }

    /// Carries on from `previous` (see [`HlsSegmenter::resume_state`]): the playlist keeps its
    /// segments and sequence numbers, the next segment is numbered after the last one and comes
    /// after an EXT-X-DISCONTINUITY, and deletions still due happen on time.
    pub fn resume(&mut self, previous: HlsResume) {
        self.playlist = previous.playlist;
        self.playlist.ended = false;
        self.playlist.kind = self.options.playlist_type;
        self.next_index = previous.next_index;
        self.deletions = previous.deletions;
        self.discontinuity_pending = !self.playlist.segments.is_empty();
        self.last_init = previous.init;
    }

    /// What [`HlsSegmenter::resume`] needs to carry this playlist on (after [`Muxer::finish`]).
    pub fn resume_state(&self) -> HlsResume {
        HlsResume {
            playlist: self.playlist.clone(),
            next_index: self.next_index,
            deletions: self.deletions.clone(),
            init: self.last_init.clone(),
        }
    }

    /// Replaces the wall clock that times live deletions (simulations and tests).
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    /// What the segmenter noticed so far.
    pub fn report(&self) -> &HlsReport {
        &self.report
    }

    /// The playlist as it stands.
    pub fn playlist(&self) -> &Playlist {
        &self.playlist
    }

    /// Cleans up after a conversion that failed before [`Muxer::finish`]: the segment being
    /// written is discarded. A VOD output (whose playlist is written only at the end) removes
    /// the segments it wrote, so the folder is left as it was; an event or live playlist,
    /// which players may already be following, is finished with ENDLIST over the segments it
    /// lists. Best effort: the first error is returned after everything was tried.
    pub fn abandon(mut self) -> Result<()> {
        self.finished = true;
        let growing = self.options.playlist_type.is_growing();
        let Some(sink) = self.ts.recover_sink() else {
            return Err(Error::InvalidUse("hls output lost its writer".into()));
        };
        sink.discard();
        if growing {
            if self.playlist.segments.is_empty() {
                // Nothing was listed: a playlist of no segment would only be invalid.
                return Ok(());
            }
            self.playlist.ended = true;
            let bytes = self.playlist.to_bytes();
            return sink
                .store
                .write_playlist(&self.options.playlist_name, &bytes);
        }
        let mut first_error = None;
        for seg in &self.playlist.segments {
            if let Err(e) = sink.store.remove(&seg.uri) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Gives the store back (after [`Muxer::finish`]), once every write is done.
    pub fn into_store(self) -> Result<S> {
        Ok(self.ts.into_inner()?.store)
    }

    fn open_segment(&mut self, start_us: i64, discontinuity: bool) -> Result<()> {
        let name = if self.options.single_file {
            single_file_name(&self.options)
        } else {
            segment_name(&self.options.segment_pattern, self.next_index)
        };
        let index = self.next_index;
        self.next_index = self.next_index.saturating_add(1);
        let key = match &self.options.encryption {
            Some(enc) => {
                let period = enc.period(index);
                if self.key.as_ref().is_none_or(|(p, _)| *p != period) {
                    self.key = Some((period, (enc.keys)(period)?));
                }
                self.key
                    .as_ref()
                    .map(|(_, k)| (k.clone(), keys::sequence_iv(index)))
            }
            None => None,
        };
        let job_name = name.clone();
        let listed_key = key.as_ref().map(|(k, iv)| (k.uri.clone(), *iv));
        self.ts
            .run_on_sink(move |sink| match key {
                Some((k, iv)) => sink.open_encrypted(job_name, k.key, iv),
                None => sink.open(job_name),
            })
            .map_err(SegmentWriteError::name_the_file)?;
        self.ts.segment_started(discontinuity);
        self.open = Some(OpenSegment {
            name,
            key: listed_key,
            start_us,
            end_us: start_us,
            discontinuity,
        });
        Ok(())
    }

    fn close_segment(&mut self, end_us: i64) -> Result<()> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        self.store_init()?;
        self.ts
            .segment_ending()
            .map_err(SegmentWriteError::name_the_file)?;
        self.ts
            .run_on_sink(|sink: &mut StoreSink<S>| sink.close())
            .map_err(SegmentWriteError::name_the_file)?;
        let duration = (end_us - open.start_us).max(0) as f64 / 1e6;
        let program_date_time = self.program_date_time(open.start_us);
        self.playlist.segments.push(PlaylistSegment {
            uri: open.name,
            duration,
            discontinuity: open.discontinuity,
            program_date_time,
            byte_range: None,
            key: open.key,
            map: self.init_name.clone(),
        });
        if !self.options.playlist_type.is_growing() {
            return Ok(());
        }
        if self.playlist.fixed_target_duration.is_none() {
            let target = (self.options.target_duration.ceil() as u64).max(1);
            self.playlist.fixed_target_duration = Some(target.max(duration.round() as u64));
        }
        let now = (self.clock)();
        if self.options.playlist_type == PlaylistType::Live {
            while self.playlist.segments.len() > self.options.list_size.max(1) {
                if let Some(gone) = self.playlist.remove_first() {
                    self.deletions.schedule(gone.uri, gone.duration, now);
                }
            }
        }
        self.write_playlist()?;
        for name in self.deletions.take_due(now) {
            self.report.deleted_segments += 1;
            self.ts
                .run_on_sink(move |sink| sink.store.remove(&name))
                .map_err(SegmentWriteError::name_the_file)?;
        }
        Ok(())
    }

    /// fMP4: stores the initialization segment the first time a segment ends (every track is
    /// known by then), before that segment is committed; in a single file, at its start.
    fn store_init(&mut self) -> Result<()> {
        if let Some(init) = self.ts.take_init() {
            // Stored before the first segment is committed, so no playlist ever names a
            // segment whose EXT-X-MAP is missing; in a single file, at its start.
            let init = init?;
            let single = self.options.single_file;
            match &self.last_init {
                // A republish with the same parameters: the listed init serves it too.
                Some((name, bytes)) if *bytes == init && !single => {
                    self.init_name = Some(name.clone());
                }
                previous => {
                    // Another init after a republish gets a name of its own: the old one
                    // stays under the segments a player may still fetch.
                    let name = match previous {
                        Some(_) => {
                            let base = &self.options.init_name;
                            let (stem, ext) = base.rsplit_once('.').unwrap_or((base, "mp4"));
                            format!("{stem}_{}.{ext}", self.next_index.saturating_sub(1))
                        }
                        None => self.options.init_name.clone(),
                    };
                    if !single {
                        self.init_name = Some(name.clone());
                    }
                    self.last_init = Some((name.clone(), init.clone()));
                    self.ts
                        .run_on_sink(move |sink| {
                            if single {
                                sink.write_init(&init)
                            } else {
                                sink.store.write_playlist(&name, &init)
                            }
                        })
                        .map_err(SegmentWriteError::name_the_file)?;
                }
            }
        }
        Ok(())
    }

    /// Commits the single file and lists each segment's byte range in it (the ranges are
    /// known where the bytes were written: on the writer, waited for here).
    fn finish_single_file(&mut self) -> Result<()> {
        let sink = self
            .ts
            .sink_mut()
            .map_err(SegmentWriteError::name_the_file)?;
        sink.close_single_file()?;
        let ranges = std::mem::take(&mut sink.ranges);
        let init = sink.init_range;
        for (seg, range) in self.playlist.segments.iter_mut().zip(ranges) {
            seg.byte_range = Some(range);
        }
        if init.is_some() {
            let file = single_file_name(&self.options);
            for seg in &mut self.playlist.segments {
                seg.map = Some(file.clone());
            }
            self.playlist.map_byte_range = init;
        }
        Ok(())
    }

    fn write_playlist(&mut self) -> Result<()> {
        self.deletions.note_playlist(self.playlist.duration());
        let bytes = self.playlist.to_bytes();
        let name = self.options.playlist_name.clone();
        self.ts
            .run_on_sink(move |sink| sink.store.write_playlist(&name, &bytes))
            .map_err(SegmentWriteError::name_the_file)
    }

    /// The wall-clock time of the frame presented at `pts_us`, when PROGRAM-DATE-TIME is on.
    fn program_date_time(&self, pts_us: i64) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        if !self.options.program_date_time {
            return None;
        }
        let (wall, first_us) = self.anchor?;
        let offset = chrono::TimeDelta::microseconds(pts_us - first_us);
        let utc = chrono::DateTime::<chrono::Utc>::from(wall) + offset;
        Some(utc.fixed_offset())
    }

    /// A GOP ran past the fixed TARGETDURATION: cut here, without a keyframe (see the type's
    /// docs), and say so once.
    fn note_forced_cut(&mut self, seconds: f64) {
        self.report.forced_cuts += 1;
        if self.report.forced_cuts == 1 {
            let target = self.playlist.target_duration();
            self.report.warnings.push(format!(
                "a GOP runs past the fixed TARGETDURATION of {target} s (a segment reached {seconds:.3} s without a keyframe): cut without a keyframe to keep the playlist valid; use a shorter GOP or a larger --hls-time"
            ));
        }
    }
}

/// How far from the start of a segment opened at a discontinuity another track's
/// configuration change still counts as the same splice.
pub const SPLICE_TOLERANCE_US: i64 = 1_000_000;

impl<S: SegmentStore> Muxer for HlsSegmenter<S> {
    fn refusal(&self, track: &Track) -> Option<String> {
        self.ts.refusal(track)
    }

    fn add_track(&mut self, track: &Track) -> Result<()> {
        self.ts.add_track(track)?;
        let idx = track.id as usize;
        if self.tracks.len() <= idx {
            self.tracks.resize_with(idx + 1, || None);
            self.last_dts_us.resize(idx + 1, None);
        }
        self.tracks[idx] = Some(track.clone());
        let cut_kind = self
            .cut_track
            .and_then(|t| self.tracks[t as usize].as_ref())
            .map(|t| t.kind);
        if track.kind == MediaKind::Video && cut_kind != Some(MediaKind::Video)
            || track.kind == MediaKind::Audio && self.cut_track.is_none()
        {
            self.cut_track = Some(track.id);
        }
        Ok(())
    }

    fn write_packet(&mut self, p: &Packet) -> Result<()> {
        let idx = p.track as usize;
        let Some(track) = self.tracks.get(idx).and_then(Option::as_ref) else {
            return Err(Error::InvalidUse(format!(
                "packet for undeclared track {}",
                p.track
            )));
        };
        let tb = track.time_base;
        let pts_us = tb.rescale(p.pts.0, TimeBase::MICROS);
        let dts_us = tb.rescale(p.dts.0, TimeBase::MICROS);
        let gap = self.last_dts_us[idx].map(|l| dts_us - l);
        let step = match (p.duration, gap) {
            (Some(d), _) => tb.rescale(d, TimeBase::MICROS),
            (None, Some(g)) if g <= MAX_FORWARD_GAP_US => g.max(0),
            _ => 0,
        };
        self.last_dts_us[idx] = Some(dts_us);
        // Out of line with the open segment's timeline: a splice. Judged against the segment,
        // not the track's previous packet, so the other tracks crossing the same splice after
        // the cut do not count it again.
        let jumped = self.open.as_ref().is_some_and(|o| {
            pts_us > o.end_us + MAX_FORWARD_GAP_US || pts_us < o.start_us - MAX_BACKWARD_STEP_US
        });
        // A configuration change of another track just after a cut made at a discontinuity
        // is that same splice crossing the other track (audio and video rarely switch on the
        // same instant): one splice, one DISCONTINUITY.
        let same_splice = !jumped
            && !p.flags.discontinuity
            && self.open.as_ref().is_some_and(|o| {
                o.discontinuity && (pts_us - o.start_us).abs() <= SPLICE_TOLERANCE_US
            });
        // A jump in this track's decode time, or a real configuration change (the demuxer sets
        // `config_changed` only when the config differs), starts a new discontinuity.
        if jumped || p.flags.discontinuity || (p.flags.config_changed && !same_splice) {
            self.discontinuity_pending = true;
        }
        if self.anchor.is_none() {
            self.anchor = Some((std::time::SystemTime::now(), pts_us));
        }
        let target_us = (self.options.target_duration * 1e6).round() as i64;
        let on_cut_track = Some(p.track) == self.cut_track;
        let cut_here = on_cut_track && p.flags.keyframe;
        let limit_us = self
            .playlist
            .fixed_target_duration
            .map_or(i64::MAX, |t| t as i64 * 1_000_000);
        match &self.open {
            None => {
                // The first segment, or the first after a resume (which follows a
                // discontinuity).
                let resumed = !self.playlist.segments.is_empty();
                let discontinuity = std::mem::take(&mut self.discontinuity_pending) && resumed;
                self.open_segment(pts_us, discontinuity)?;
            }
            // Any track's frame, not only the cut track's: audio running on after the last
            // video keyframe (or drifting ahead of it) must not stretch a segment past the
            // fixed TARGETDURATION either (RFC 8216 4.3.3.1).
            Some(open) if !cut_here && pts_us - open.start_us >= limit_us => {
                let seconds = (pts_us - open.start_us) as f64 / 1e6;
                self.close_segment(pts_us)?;
                // A pending discontinuity belongs before the frames that follow.
                let discontinuity = std::mem::take(&mut self.discontinuity_pending);
                self.open_segment(pts_us, discontinuity)?;
                self.note_forced_cut(seconds);
            }
            Some(open) if cut_here && self.discontinuity_pending => {
                // The segment before ends with its own last frame, not at the jumped-to time.
                let end = open.end_us;
                self.close_segment(end)?;
                self.open_segment(pts_us, true)?;
                self.discontinuity_pending = false;
            }
            Some(open) if cut_here && pts_us - open.start_us >= target_us => {
                self.close_segment(pts_us)?;
                self.open_segment(pts_us, false)?;
            }
            Some(_) => {}
        }
        if let Some(open) = &mut self.open {
            // A frame presented before the segment's first one (audio ahead of the first
            // keyframe) moves its start back.
            if self.playlist.segments.is_empty() && pts_us < open.start_us {
                open.start_us = pts_us;
            }
            // A frame past a splice not yet cut at must not stretch this segment to it.
            if !self.discontinuity_pending || !jumped {
                open.end_us = open.end_us.max(pts_us + step);
            }
        }
        self.ts
            .write_packet(p)
            .map_err(SegmentWriteError::name_the_file)
    }

    fn finish(&mut self) -> Result<()> {
        if self.finished {
            return Err(Error::InvalidUse("hls segmenter finished twice".into()));
        }
        self.finished = true;
        if self.open.is_none() {
            // No packet at all: one empty segment, so the playlist is still valid.
            self.open_segment(0, false)?;
        }
        // The init goes first: finishing writes the last fragment (a single file must hold
        // its init before it).
        self.store_init()?;
        self.ts.finish().map_err(SegmentWriteError::name_the_file)?;
        let end = self.open.as_ref().map_or(0, |o| o.end_us);
        self.playlist.ended = true;
        self.close_segment(end)?;
        if self.options.single_file {
            self.finish_single_file()?;
        }
        if !self.options.playlist_type.is_growing() {
            self.write_playlist()?;
        }
        self.report.pending_deletions = self.deletions.pending() as u64;
        // Wait for the writer: finish returns only once every file is in place, or with the
        // error that stopped it.
        self.ts
            .sink_mut()
            .map_err(SegmentWriteError::name_the_file)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
