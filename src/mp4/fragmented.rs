//! Movie fragments (ISO/IEC 14496-12 §8.8; CMAF, ISO/IEC 23000-19): the samples of a
//! fragmented MP4, read one `moof` at a time after `moov`.
//!
//! The top-level boxes after the first `moof` are walked lazily, so a file of ten thousand
//! fragments costs one fragment's sample list in memory, reused. Each `traf` places its
//! samples by the base-data-offset rule of §8.8.7.1 (an explicit `base_data_offset`, else the
//! `moof` when `default-base-is-moof` is set or for the first `traf`, else where the previous
//! `traf`'s data ended), takes each field from the `trun`, then `tfhd`, then `trex`, and times
//! them from `tfdt` (or, without one, from where the track's previous fragment ended). Every
//! sample must lie inside the `mdat` that follows its `moof`.
//!
//! Damage is salvaged as the trust rules ask: a fragment that cannot be placed is skipped
//! with one warning naming its byte offset, a file cut inside a fragment keeps every sample
//! that made it to disk, and an `mdat` of size 0 ("to the end of the file") that is followed
//! by more fragments is read as ending where they start. `--strict` makes each an error.

use bytes::Bytes;

use super::boxes::emsg::Emsg;
use super::boxes::mfhd::Mfhd;
use super::boxes::mfra::Tfra;
use super::boxes::mvex::Trex;
use super::boxes::sidx::Sidx;
use super::boxes::tfdt::Tfdt;
use super::boxes::tfhd::Tfhd;
use super::boxes::trun::{SampleFlags, Trun};
use super::boxes::{BoxHeader, children, parse_header};
use super::error::F4vError;
use crate::media::MediaKind;

/// Most samples one `moof` may describe. A 10-minute fragment of 48 kHz AAC has 28,000;
/// the limit bounds the memory a hostile `trun` (whose records are absent when every field
/// comes from defaults) can ask for.
pub const MAX_FRAGMENT_SAMPLES: usize = 1 << 20;

/// Most `emsg` events kept for `inspect` and the loss report; later ones are counted.
pub const MAX_EVENTS: usize = 10_000;

/// Most warnings kept (as the FLV reader keeps): a file of thousands of damaged fragments
/// must not become gigabytes of messages; the rest are counted.
pub const MAX_KEPT_WARNINGS: usize = 1000;

/// What the fragment reader knows of a track declared in `moov`.
#[derive(Clone, Debug)]
pub struct FragmentTrack {
    /// `tkhd` track_ID.
    pub track_id: u32,
    /// Index among the demuxer's tracks, or `None` for a track it skips (text, hint).
    pub index: Option<usize>,
    /// Its kind (audio samples are all sync samples, whatever the flags say).
    pub kind: MediaKind,
    /// Its `trex`, when `mvex` has one.
    pub trex: Option<Trex>,
    /// Decode time where the track's next fragment starts without a `tfdt` (the end of the
    /// samples in `moov`, then of each fragment).
    pub next_dts: i64,
    /// The decode time of the latest sample read, so a `tfdt` going back is noticed.
    pub last_dts: Option<i64>,
    /// Added to every composition offset so that no frame is presented before it is decoded:
    /// the most negative offset of the track's first fragment (`trun` version 1 writes B-frame
    /// delays as negative offsets, CMAF's way to avoid an edit list), as ffmpeg reads them.
    /// Set on the first fragment of the track.
    pub cts_shift: Option<i64>,
}

/// One sample of a fragment, placed and timed (media timescale of its track).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FragmentSample {
    /// The demuxer's track index.
    pub track: usize,
    /// File offset of the data.
    pub offset: u64,
    /// Bytes.
    pub size: u32,
    /// Decode time.
    pub dts: i64,
    /// Composition offset (pts - dts).
    pub cts: i64,
    /// Duration.
    pub duration: u32,
    /// A sync sample.
    pub keyframe: bool,
}

/// What one fragment held, for `inspect`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FragmentSummary {
    /// File offset of the `moof`.
    pub offset: u64,
    /// `mfhd` sequence number.
    pub sequence_number: u32,
    /// Per `traf`: track_ID, samples, base decode time, duration (media timescale).
    pub trafs: Vec<(u32, u32, i64, u64)>,
}

/// Boxes at the top level between fragments, counted for `inspect`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FragmentedExtras {
    /// `styp` boxes (one per segment in a concatenation of CMAF segments).
    pub styp: usize,
    /// `sidx` boxes and their references.
    pub sidx: Vec<(u64, usize)>,
    /// `mfra` random access entries, per track.
    pub tfra: Vec<(u32, usize)>,
    /// Event messages, in file order (the first [`MAX_EVENTS`]).
    pub events: Vec<(u64, Emsg)>,
    /// Events past [`MAX_EVENTS`].
    pub events_dropped: usize,
    /// `traf`s with a `senc` (Common Encryption): their samples are encrypted.
    pub encrypted_trafs: usize,
    /// `traf`s of a track_ID that `moov` does not declare, skipped.
    pub undeclared_trafs: usize,
}

/// Reads fragments one at a time from the top-level box at `pos` on.
#[derive(Debug)]
pub struct FragmentReader {
    pos: u64,
    strict: bool,
    tracks: Vec<FragmentTrack>,
    queue: Vec<FragmentSample>,
    at: usize,
    /// Damage read past, with what was lost.
    pub warnings: Vec<String>,
    /// What else the top level held.
    pub extras: FragmentedExtras,
    /// One summary per fragment, when asked for (inspect).
    pub summaries: Option<Vec<FragmentSummary>>,
    /// Fragments read.
    pub fragments: usize,
    /// A fragment already reported the file's cut end (its mdat runs past it).
    cut_reported: bool,
    /// Warnings past [`MAX_KEPT_WARNINGS`].
    pub warnings_dropped: usize,
}

fn box_at(data: &[u8], pos: u64) -> Result<BoxHeader, F4vError> {
    parse_header(data, pos as usize, data.len(), 0)
}

/// Whether the box at `pos` declares size 0 (to the end of the file).
fn size_zero(data: &[u8], pos: u64) -> bool {
    data.get(pos as usize..pos as usize + 4) == Some(&[0, 0, 0, 0])
}

/// Top-level boxes that may follow a fragment (to tell a real box from garbage when an `mdat`
/// of size 0 is followed by more).
fn plausible_top_level(t: &[u8; 4]) -> bool {
    matches!(
        t,
        b"moof" | b"mdat" | b"styp" | b"sidx" | b"emsg" | b"prft" | b"free" | b"skip" | b"mfra"
    )
}

impl FragmentReader {
    /// A reader of the fragments from byte `pos` (the first top-level box after the ones
    /// read with `moov`).
    pub fn new(pos: u64, tracks: Vec<FragmentTrack>, strict: bool) -> FragmentReader {
        FragmentReader {
            pos,
            strict,
            tracks,
            queue: Vec::new(),
            at: 0,
            warnings: Vec::new(),
            extras: FragmentedExtras::default(),
            summaries: None,
            fragments: 0,
            cut_reported: false,
            warnings_dropped: 0,
        }
    }

    /// The next sample in file order, reading the next fragment when the current one is done.
    pub fn next_sample(&mut self, data: &Bytes) -> Result<Option<FragmentSample>, F4vError> {
        while self.at == self.queue.len() {
            if !self.read_next_fragment(data)? {
                return Ok(None);
            }
        }
        let s = self.queue[self.at];
        self.at += 1;
        Ok(Some(s))
    }

    fn damage(&mut self, e: F4vError) -> Result<(), F4vError> {
        if self.strict {
            return Err(e);
        }
        self.warn(e.to_string());
        Ok(())
    }

    fn warn(&mut self, message: String) {
        if self.warnings.len() < MAX_KEPT_WARNINGS {
            self.warnings.push(message);
        } else {
            self.warnings_dropped += 1;
        }
    }

    /// Walks top-level boxes to the next `moof` and queues its samples; `false` at the end.
    fn read_next_fragment(&mut self, data: &Bytes) -> Result<bool, F4vError> {
        self.queue.clear();
        self.at = 0;
        let len = data.len() as u64;
        while len.saturating_sub(self.pos) >= 8 {
            let h = match box_at(data, self.pos) {
                Ok(h) => h,
                Err(e) => {
                    // The last box runs past the end: a file cut short.
                    let end = self.pos;
                    self.pos = len;
                    if self.cut_reported {
                        return Ok(false);
                    }
                    self.damage(F4vError::invalid(
                        "file",
                        end,
                        format!(
                            "cut short: the box here does not fit in the {} bytes left ({e})",
                            len - end
                        ),
                    ))?;
                    return Ok(false);
                }
            };
            let body = data.slice(h.body_start() as usize..h.end() as usize);
            self.pos = h.end();
            match &h.box_type.0 {
                b"moof" => {
                    if let Err(e) = self.read_moof(data, &h, &body) {
                        self.queue.clear();
                        self.damage(e)?;
                        continue;
                    }
                    if !self.queue.is_empty() {
                        return Ok(true);
                    }
                }
                b"styp" => self.extras.styp += 1,
                b"sidx" => match Sidx::parse(&body, h.offset) {
                    Ok(s) => self.extras.sidx.push((h.offset, s.references.len())),
                    Err(e) => self.damage(e)?,
                },
                b"emsg" => match Emsg::parse(&body, h.offset) {
                    Ok(e) if self.extras.events.len() < MAX_EVENTS => {
                        self.extras.events.push((h.offset, e));
                    }
                    Ok(_) => self.extras.events_dropped += 1,
                    Err(e) => self.damage(e)?,
                },
                b"mfra" => {
                    let kids = match children(&body, 0, body.len(), h.body_start()) {
                        Ok(k) => k,
                        Err(e) => {
                            self.damage(e)?;
                            Vec::new()
                        }
                    };
                    for c in kids {
                        if &c.box_type.0 == b"tfra" {
                            let at = (c.body_start() - h.body_start()) as usize;
                            let b = &body[at..(c.end() - h.body_start()) as usize];
                            match Tfra::parse(b, c.offset) {
                                Ok(t) => self.extras.tfra.push((t.track_id, t.entries.len())),
                                Err(e) => self.damage(e)?,
                            }
                        }
                    }
                }
                // mdat (its samples were queued by the moof before it), free, skip, prft,
                // meta, uuid: nothing to read.
                _ => {}
            }
        }
        Ok(false)
    }

    /// The `mdat` that follows the `moof` ending at `from` (boxes such as `free` may sit
    /// between): the byte range of its body as declared, and where the file really ends it.
    fn following_mdat(&self, data: &[u8], from: u64) -> Option<(u64, u64, u64)> {
        let len = data.len() as u64;
        let mut pos = from;
        while len.saturating_sub(pos) >= 8 {
            let at = pos as usize;
            let size32 = u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
            let t = &data[at + 4..at + 8];
            let (size, header) = match size32 {
                0 => (len - pos, 8),
                1 => {
                    let l = data.get(at + 8..at + 16)?;
                    (u64::from_be_bytes(l.try_into().ok()?), 16)
                }
                n => (u64::from(n), 8),
            };
            if size < header {
                return None;
            }
            if t == b"mdat" {
                return Some((pos, pos + header, pos.saturating_add(size)));
            }
            if t == b"moof" {
                return None;
            }
            pos = pos.checked_add(size)?;
        }
        None
    }

    fn read_moof(&mut self, data: &Bytes, moof: &BoxHeader, body: &[u8]) -> Result<(), F4vError> {
        let base = moof.body_start();
        let kids = children(body, 0, body.len(), base)?;
        let slice =
            |h: &BoxHeader| &body[(h.body_start() - base) as usize..(h.end() - base) as usize];
        let sequence_number = match kids.iter().find(|k| &k.box_type.0 == b"mfhd") {
            Some(h) => Mfhd::parse(slice(h), h.offset)?.sequence_number,
            None => return Err(F4vError::invalid("moof", moof.offset, "no mfhd")),
        };
        let Some((mdat_at, mdat_start, mdat_end)) = self.following_mdat(data, moof.end()) else {
            return Err(F4vError::invalid(
                "moof",
                moof.offset,
                "no mdat follows this fragment: its samples have no data",
            ));
        };
        let file_end = data.len() as u64;
        let mut summary = Vec::new();
        let mut previous_traf_end = moof.offset;
        let mut first_traf = true;
        let mut cut = 0usize;
        // Samples the moof describes, queued or not (a skipped track's, a cut file's), and
        // where the last of them ends.
        let mut described = 0usize;
        let mut data_end = 0u64;
        if let Some(inner) = kids.iter().find(|k| &k.box_type.0 == b"moof") {
            return Err(F4vError::invalid(
                "moof",
                inner.offset,
                "a moof inside a moof",
            ));
        }
        for traf in kids.iter().filter(|k| &k.box_type.0 == b"traf") {
            let tb = slice(traf);
            let tbase = traf.body_start();
            let parts = children(tb, 0, tb.len(), tbase)?;
            let part =
                |h: &BoxHeader| &tb[(h.body_start() - tbase) as usize..(h.end() - tbase) as usize];
            let Some(tfhd_h) = parts.iter().find(|p| &p.box_type.0 == b"tfhd") else {
                return Err(F4vError::invalid("traf", traf.offset, "no tfhd"));
            };
            let tfhd = Tfhd::parse(part(tfhd_h), tfhd_h.offset)?;
            let is_first = std::mem::replace(&mut first_traf, false);
            if parts.iter().any(|p| &p.box_type.0 == b"senc") {
                self.extras.encrypted_trafs += 1;
            }
            let Some(ti) = self.tracks.iter().position(|t| t.track_id == tfhd.track_id) else {
                self.extras.undeclared_trafs += 1;
                continue;
            };
            let trex = self.tracks[ti].trex.unwrap_or_default();
            let tfdt = match parts.iter().find(|p| &p.box_type.0 == b"tfdt") {
                Some(h) => Some(Tfdt::parse(part(h), h.offset)?),
                None => None,
            };
            let track = &self.tracks[ti];
            let mut dts = track.next_dts;
            if let Some(t) = tfdt {
                let at = i64::try_from(t.base_media_decode_time).map_err(|_| {
                    F4vError::invalid("tfdt", traf.offset, "base_media_decode_time past 2^63")
                })?;
                match track.last_dts {
                    Some(last) if at <= last => {
                        let e = F4vError::invalid(
                            "tfdt",
                            traf.offset,
                            format!(
                                "track {}: decode time {at} does not pass the previous sample's ({last}); times continue from {}",
                                tfhd.track_id, track.next_dts
                            ),
                        );
                        self.damage(e)?;
                    }
                    _ => dts = at,
                }
            }
            let track = &self.tracks[ti];
            let audio = track.kind == MediaKind::Audio;
            let index = track.index;
            let base_offset = match tfhd.base_data_offset {
                Some(b) => b,
                None if tfhd.default_base_is_moof() || is_first => moof.offset,
                None => previous_traf_end,
            };
            let first_dts = dts;
            let queued_from = self.queue.len();
            let mut last_sample_dts = None;
            let mut samples = 0u32;
            let mut next_offset = base_offset;
            for run_h in parts.iter().filter(|p| &p.box_type.0 == b"trun") {
                let run_body = part(run_h);
                let trun = Trun::parse(run_body, run_h.offset)?;
                described = described.saturating_add(trun.sample_count as usize);
                if described > MAX_FRAGMENT_SAMPLES {
                    return Err(F4vError::TooLarge {
                        what: "moof".into(),
                        field: "samples",
                        offset: moof.offset,
                        value: described as u64,
                        limit: MAX_FRAGMENT_SAMPLES as u64,
                    });
                }
                let mut offset = match trun.data_offset {
                    Some(d) => base_offset.checked_add_signed(i64::from(d)).ok_or_else(|| {
                        F4vError::invalid(
                            "trun",
                            run_h.offset,
                            format!("track {}: data_offset {d} points before the start of the file, outside the mdat", tfhd.track_id),
                        )
                    })?,
                    None => next_offset,
                };
                for (i, s) in trun.samples(run_body).enumerate() {
                    let size = s
                        .size
                        .or(tfhd.default_sample_size)
                        .unwrap_or(trex.default_sample_size);
                    let duration = s
                        .duration
                        .or(tfhd.default_sample_duration)
                        .unwrap_or(trex.default_sample_duration);
                    let flags = match (i, trun.first_sample_flags) {
                        (0, Some(f)) => f,
                        _ => s
                            .flags
                            .or(tfhd.default_sample_flags)
                            .unwrap_or(trex.default_sample_flags),
                    };
                    let end = offset.saturating_add(u64::from(size));
                    if offset < mdat_start || end > mdat_end {
                        return Err(F4vError::invalid(
                            "trun",
                            run_h.offset,
                            format!(
                                "track {}: sample {i} at bytes {offset}..{end} lies outside the mdat (bytes {mdat_start}..{mdat_end}) that follows the moof",
                                tfhd.track_id
                            ),
                        ));
                    }
                    data_end = data_end.max(end);
                    let cts = s.composition_offset.unwrap_or(0);
                    if dts.checked_add(cts).is_none() {
                        return Err(F4vError::invalid(
                            "trun",
                            run_h.offset,
                            format!(
                                "track {}: sample {i}: composition offset {cts} overflows its decode time {dts}",
                                tfhd.track_id
                            ),
                        ));
                    }
                    if end > file_end {
                        cut += 1;
                    } else if let Some(track) = index {
                        self.queue.push(FragmentSample {
                            track,
                            offset,
                            size,
                            dts,
                            cts,
                            duration,
                            keyframe: audio || SampleFlags(flags).is_sync(),
                        });
                    }
                    last_sample_dts = Some(dts);
                    dts = dts.checked_add(i64::from(duration)).ok_or_else(|| {
                        F4vError::invalid("trun", run_h.offset, "decode time overflows")
                    })?;
                    offset = end;
                    samples += 1;
                }
                next_offset = offset;
            }
            previous_traf_end = next_offset;
            let t = &mut self.tracks[ti];
            let run = &mut self.queue[queued_from..];
            let shift = *t
                .cts_shift
                .get_or_insert_with(|| run.iter().map(|s| s.cts).min().map_or(0, |m| (-m).max(0)));
            let mut early = 0usize;
            let mut overflow = false;
            for s in run.iter_mut() {
                s.cts = s.cts.saturating_add(shift);
                if s.cts < 0 {
                    early += 1;
                    s.cts = 0;
                }
                // Presentation times (and the edit list's shift on top) stay far from i64's
                // ends: 2^62 ticks is 1.6 million years at 90 kHz.
                overflow |= s
                    .dts
                    .checked_add(s.cts)
                    .is_none_or(|v| v.unsigned_abs() > 1 << 62);
            }
            if overflow {
                return Err(F4vError::invalid(
                    "traf",
                    traf.offset,
                    "presentation times overflow (decode time plus composition offset past 2^62)",
                ));
            }
            if early > 0 {
                let track_id = t.track_id;
                let message = format!(
                    "mp4 traf at byte {}: track {track_id}: {early} samples would be presented before they are decoded (composition offsets below the first fragment's): presented at their decode time",
                    traf.offset
                );
                self.warn(message);
            }
            let t = &mut self.tracks[ti];
            if last_sample_dts.is_some() {
                t.last_dts = last_sample_dts;
            }
            t.next_dts = dts;
            summary.push((tfhd.track_id, samples, first_dts, (dts - first_dts) as u64));
        }
        // Interleave the fragment's tracks by where their data lies, as the file does.
        self.queue.sort_by_key(|s| (s.offset, s.track));
        self.fragments += 1;
        if cut > 0 {
            self.cut_reported = true;
            self.damage(F4vError::invalid(
                "moof",
                moof.offset,
                format!("cut short: {cut} samples of this fragment lie past the end of the file"),
            ))?;
        }
        if size_zero(data, mdat_at) {
            // An mdat of size 0 runs to the end of the file; if more fragments follow the
            // data this one uses, it was a writer's placeholder never patched: read on there.
            let used = data_end.max(mdat_start);
            if let Ok(next) = box_at(data, used) {
                if plausible_top_level(&next.box_type.0) && used < data.len() as u64 {
                    let message = format!(
                        "mp4 mdat at byte {mdat_at}: size 0 (to the end of the file), but a {} box follows its fragment's data at byte {used}: read on from there",
                        next.box_type
                    );
                    self.warn(message);
                    self.pos = used;
                }
            }
        }
        if let Some(list) = &mut self.summaries {
            list.push(FragmentSummary {
                offset: moof.offset,
                sequence_number,
                trafs: summary,
            });
        }
        Ok(())
    }
}
