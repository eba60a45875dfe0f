//! F4V/MP4 -> tracks and packets: the sample tables walked in file order (interleaved), exact
//! timestamps from `stts` and `ctts` with the edit list honoured, keyframes from `stss`.
//!
//! `moov` may be at the start or the end: the top-level boxes are walked by their sizes,
//! reading only headers across `mdat`. Packets are zero-copy slices of the mapped input.

use bytes::Bytes;

use crate::demux_tracks::fill_params;
use crate::error::Result;
use crate::io::{InputSource, Take};
use crate::loss::Loss;
use crate::media::{
    AudioParams, Codec, CodecConfig, CodecTag, Demuxer, MediaKind, Packet, Track, VideoParams,
};
use crate::time::{TimeBase, Timestamp};

use super::boxes::BoxHeader;
use super::boxes::adobe::{self, AdobeBox};
use super::boxes::esds::oti;
use super::boxes::ftyp::Ftyp;
use super::boxes::mvex::Trex;
use super::boxes::mvhd::Mvhd;
use super::boxes::sample_entry::SampleEntryKind;
use super::error::F4vError;
use super::fragmented::{FragmentReader, FragmentTrack};
use super::track::{SampleCursor, SampleRef, TrackTables, entry_config};
use super::tree::{BoxNode, box_tree, cut_top_level_box, first_top_level};

/// Reads an F4V or MP4 file.
pub struct F4vDemuxer {
    data: Bytes,
    tracks: Vec<Track>,
    tables: Vec<TrackTables>,
    cursors: Vec<SampleCursor>,
    pending: Vec<Option<SampleRef>>,
    /// Ticks (media timescale) added to each track's dts and pts by its edit list.
    shift: Vec<i64>,
    ftyp: Option<Ftyp>,
    mvhd: Mvhd,
    tree: Vec<BoxNode>,
    adobe: Vec<(BoxHeader, AdobeBox)>,
    skipped_tracks: Vec<String>,
    /// Damage read past (a file cut short), for [`Demuxer::losses`] and `inspect`.
    warnings: Vec<String>,
    /// The end of the furthest sample read, for [`Demuxer::input_position`].
    position: u64,
    /// The movie fragments after `moov`, read lazily once its own samples are done.
    fragments: Option<FragmentReader>,
}

fn codec_of(kind: &SampleEntryKind, format: [u8; 4]) -> Codec {
    match (&format, kind) {
        (b"avc1" | b"avc3", _) => Codec::H264,
        (b"hvc1" | b"hev1", _) => Codec::Hevc,
        (b"av01", _) => Codec::Av1,
        (b"vp09", _) => Codec::Vp9,
        (b"Opus", _) => Codec::Opus,
        (b"fLaC", _) => Codec::Flac,
        (b"ac-3", _) => Codec::Ac3,
        (b"ec-3", _) => Codec::Eac3,
        (b".mp3" | b"ms\x00\x55", _) => Codec::Mp3,
        (b"mp4a", SampleEntryKind::Audio { esds: Some(e), .. }) => match e.object_type {
            oti::MPEG4_AUDIO | 0x66 | 0x67 | 0x68 => Codec::Aac,
            oti::MPEG1_AUDIO | oti::MPEG2_AUDIO => Codec::Mp3,
            _ => Codec::Unknown(CodecTag::FourCc(format)),
        },
        _ => Codec::Unknown(CodecTag::FourCc(format)),
    }
}

/// How strictly to read an MP4/F4V.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct F4vReadOptions {
    /// A file cut short (the last top-level box, or samples, past its end) is an error instead
    /// of a warning with everything before the cut read.
    pub strict: bool,
}

impl F4vDemuxer {
    /// Opens an F4V/MP4 from any input. A stream (stdin) is read into memory first: `moov` may
    /// be at the end.
    pub fn new(src: InputSource) -> Result<F4vDemuxer> {
        F4vDemuxer::with_options(src, F4vReadOptions::default())
    }

    /// [`F4vDemuxer::new`] with options.
    pub fn with_options(mut src: InputSource, options: F4vReadOptions) -> Result<F4vDemuxer> {
        let data = match src.take(usize::MAX)? {
            Take::Full(b) | Take::Short(b) => b,
        };
        F4vDemuxer::from_bytes_with(data, options)
    }

    /// Opens an F4V/MP4 held in memory, salvaging a file cut short.
    pub fn from_bytes(data: Bytes) -> Result<F4vDemuxer> {
        F4vDemuxer::from_bytes_with(data, F4vReadOptions::default())
    }

    /// [`F4vDemuxer::from_bytes`] with options.
    pub fn from_bytes_with(data: Bytes, options: F4vReadOptions) -> Result<F4vDemuxer> {
        let mut warnings = Vec::new();
        // The boxes up to the first fragment are read as a tree; fragments one at a time.
        let first_moof = first_top_level(&data, b"moof");
        let head = &data[..first_moof.map_or(data.len(), |m| m as usize)];
        let tree = match box_tree(head) {
            Ok(t) => t,
            // A file cut short: its last box runs past the end. Read the boxes before it
            // (a moov-first recording keeps every sample that made it to disk).
            Err(e) => match cut_top_level_box(head).filter(|_| !options.strict) {
                Some(at) => {
                    let head = box_tree(&data[..at as usize]).map_err(|_| e)?;
                    warnings.push(format!(
                        "the file ends inside the box at byte {at} ({} bytes are there): cut short",
                        data.len() as u64 - at
                    ));
                    head
                }
                None => return Err(e.into()),
            },
        };
        let has = |t: &[u8; 4]| tree.iter().any(|n| &n.header.box_type.0 == t);
        if let Some(at) = first_moof.filter(|_| !has(b"moov")) {
            return Err(F4vError::invalid(
                "moof",
                at,
                "a media segment without its initialization segment: no moov before the first moof (join them first: cat init.mp4 segment.m4s)",
            )
            .into());
        }
        if !has(b"moov") && (has(b"mdat") || !warnings.is_empty()) {
            let mdat_bytes = tree
                .iter()
                .filter(|n| &n.header.box_type.0 == b"mdat")
                .map(|n| n.header.size)
                .sum::<u64>()
                .max(data.len() as u64 - tree.last().map_or(0, |n| n.header.end()));
            return Err(F4vError::Unfinished { mdat_bytes }.into());
        }
        let ftyp = match tree.iter().find(|n| &n.header.box_type.0 == b"ftyp") {
            Some(n) => Some(Ftyp::parse(n.body(&data), n.header.offset)?),
            None => None,
        };
        let moov = tree
            .iter()
            .find(|n| &n.header.box_type.0 == b"moov")
            .ok_or(F4vError::Missing("moov"))?;
        let mvhd_n = moov.child(b"mvhd").ok_or(F4vError::Missing("mvhd"))?;
        let mvhd = Mvhd::parse(mvhd_n.body(&data), mvhd_n.header.offset)?;
        let mut adobe_boxes = Vec::new();
        collect_adobe(&tree, &data, &mut adobe_boxes)?;
        let mut d = F4vDemuxer {
            data,
            tracks: Vec::new(),
            tables: Vec::new(),
            cursors: Vec::new(),
            pending: Vec::new(),
            shift: Vec::new(),
            ftyp,
            mvhd,
            tree: Vec::new(),
            adobe: adobe_boxes,
            skipped_tracks: Vec::new(),
            warnings,
            position: 0,
            fragments: None,
        };
        // A trex that does not parse leaves its track without defaults (each trun must then
        // give its own values), with a warning; strict reading refuses the file.
        let mut trex: Vec<Trex> = Vec::new();
        if let Some(mvex) = moov.child(b"mvex") {
            for n in mvex
                .children
                .iter()
                .filter(|n| &n.header.box_type.0 == b"trex")
            {
                match Trex::parse(n.body(&d.data), n.header.offset) {
                    Ok(t) => trex.push(t),
                    Err(e) if options.strict => return Err(e.into()),
                    Err(e) => d.warnings.push(e.to_string()),
                }
            }
        }
        let mut fragment_tracks = Vec::new();
        for trak in moov
            .children
            .iter()
            .filter(|n| &n.header.box_type.0 == b"trak")
        {
            let t = TrackTables::read(trak, &d.data)?;
            if let Some(cut) = t.cut_short() {
                if options.strict {
                    return Err(F4vError::invalid("stbl", trak.header.offset, cut).into());
                }
                d.warnings.push(cut);
            }
            let handler = t.hdlr.handler_type.0;
            let fragment_track = FragmentTrack {
                track_id: t.tkhd.track_id,
                index: None,
                kind: MediaKind::Data,
                trex: trex.iter().find(|x| x.track_id == t.tkhd.track_id).copied(),
                next_dts: t.stts.entries.iter().fold(0i64, |a, &(n, d)| {
                    a.saturating_add(i64::from(n).saturating_mul(i64::from(d)))
                }),
                last_dts: None,
                cts_shift: None,
            };
            let kind = match &handler {
                b"vide" => MediaKind::Video,
                b"soun" => MediaKind::Audio,
                _ => {
                    fragment_tracks.push(fragment_track);
                    d.skipped_tracks.push(format!(
                        "track {}: handler {}",
                        t.tkhd.track_id, t.hdlr.handler_type
                    ));
                    continue;
                }
            };
            let Some(entry) = t.entries.first() else {
                return Err(
                    F4vError::invalid("stsd", trak.header.offset, "no sample entry").into(),
                );
            };
            let mut config = CodecConfig::new(codec_of(&entry.kind, entry.format.0));
            config.extradata = entry_config(entry);
            match entry.kind {
                SampleEntryKind::Visual { width, height, .. } => {
                    config.video = Some(VideoParams {
                        width: u32::from(width),
                        height: u32::from(height),
                    });
                }
                SampleEntryKind::Audio {
                    channels,
                    sample_rate,
                    sample_size,
                    ..
                } => {
                    config.audio = Some(AudioParams {
                        sample_rate,
                        channels: channels.min(255) as u8,
                        bits_per_sample: sample_size.min(255) as u8,
                    });
                }
                SampleEntryKind::Other(_) => {}
            }
            // A record that does not parse is kept as is (a decoder may still use it).
            let _ = fill_params(&mut config, false);
            let time_base = TimeBase::per_second(t.mdhd.timescale)
                .ok_or_else(|| F4vError::invalid("mdhd", trak.header.offset, "timescale 0"))?;
            let shift = edit_shift(&t, &d.mvhd);
            let mut cursor = SampleCursor::new(&t);
            let first = cursor.next_readable(&t);
            fragment_tracks.push(FragmentTrack {
                index: Some(d.tracks.len()),
                kind,
                ..fragment_track
            });
            d.tracks.push(Track {
                id: d.tracks.len() as u32,
                kind,
                time_base,
                codec: config,
                source_id: Some(t.tkhd.track_id),
            });
            d.cursors.push(cursor);
            d.pending.push(first);
            d.shift.push(shift);
            d.tables.push(t);
        }
        if first_moof.is_some() || moov.child(b"mvex").is_some() {
            // From the end of moov: a sidx or emsg may sit before the first moof.
            d.fragments = Some(FragmentReader::new(
                moov.header.end(),
                fragment_tracks,
                options.strict,
            ));
        }
        d.tree = tree;
        Ok(d)
    }

    /// The box tree (for `inspect`).
    pub fn tree(&self) -> &[BoxNode] {
        &self.tree
    }

    /// The file type box, when there is one.
    pub fn ftyp(&self) -> Option<&Ftyp> {
        self.ftyp.as_ref()
    }

    /// The movie header.
    pub fn mvhd(&self) -> &Mvhd {
        &self.mvhd
    }

    /// Each track's parsed tables, by track index.
    pub fn tables(&self) -> &[TrackTables] {
        &self.tables
    }

    /// Adobe HDS boxes found (F4V), with their place.
    pub fn adobe_boxes(&self) -> &[(BoxHeader, AdobeBox)] {
        &self.adobe
    }

    /// Damage read past: a file cut short, with what was lost.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The fragment reader of a fragmented file (fragments are read as packets are asked
    /// for: its counts and summaries grow as the file is read).
    pub fn fragments(&self) -> Option<&FragmentReader> {
        self.fragments.as_ref()
    }

    /// Keeps a [`super::fragmented::FragmentSummary`] of every fragment read (for `inspect`).
    pub fn record_fragments(&mut self) {
        if let Some(f) = &mut self.fragments {
            f.summaries.get_or_insert_with(Vec::new);
        }
    }

    /// Tracks skipped (hint, text, metadata handlers).
    pub fn skipped_tracks(&self) -> &[String] {
        &self.skipped_tracks
    }

    /// The mapped input.
    pub fn data(&self) -> &Bytes {
        &self.data
    }
}

/// What the edit list adds to a track's media timestamps: empty edits at the start delay the
/// track (movie timescale, converted), the first media edit says where presentation begins.
fn edit_shift(t: &TrackTables, mvhd: &Mvhd) -> i64 {
    let Some(elst) = &t.elst else { return 0 };
    let mut delay_movie: u64 = 0;
    for e in &elst.edits {
        if e.media_time == -1 {
            delay_movie = delay_movie.saturating_add(e.segment_duration);
            continue;
        }
        let delay = TimeBase::per_second(mvhd.timescale)
            .zip(TimeBase::per_second(t.mdhd.timescale))
            .map_or(0, |(m, tb)| {
                m.rescale(delay_movie.min(i64::MAX as u64) as i64, tb)
            });
        return delay - e.media_time;
    }
    0
}

fn collect_adobe(
    nodes: &[BoxNode],
    data: &[u8],
    out: &mut Vec<(BoxHeader, AdobeBox)>,
) -> Result<(), F4vError> {
    for n in nodes {
        if let Some(a) = adobe::parse(&n.header.box_type.0, n.body(data), n.header.offset)? {
            out.push((n.header, a));
        }
        collect_adobe(&n.children, data, out)?;
    }
    Ok(())
}

impl Demuxer for F4vDemuxer {
    fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    fn losses(&self) -> Vec<Loss> {
        let mut all: Vec<Loss> = self
            .skipped_tracks
            .iter()
            .map(|t| Loss::StreamNotRead {
                stream: "mp4".into(),
                what: t.clone(),
                reason: "muxkit reads only video and audio tracks".into(),
            })
            .collect();
        all.extend(self.warnings.iter().map(|w| Loss::Damage {
            offset: None,
            message: w.clone(),
        }));
        if let Some(f) = &self.fragments {
            all.extend(f.warnings.iter().map(|w| Loss::Damage {
                offset: None,
                message: w.clone(),
            }));
            if f.warnings_dropped > 0 {
                all.push(Loss::Damage {
                    offset: None,
                    message: format!("{} more damaged fragments not listed", f.warnings_dropped),
                });
            }
            let x = &f.extras;
            let events = x.events.len() + x.events_dropped;
            if events > 0 {
                all.push(Loss::StreamNotRead {
                    stream: "mp4 emsg".into(),
                    what: format!("{events} event messages"),
                    reason: "timed metadata is listed by inspect, not carried into the output"
                        .into(),
                });
            }
            if x.encrypted_trafs > 0 {
                all.push(Loss::StreamNotRead {
                    stream: "mp4 senc".into(),
                    what: format!("{} encrypted track fragments", x.encrypted_trafs),
                    reason: "muxkit does not decrypt: their samples are copied encrypted".into(),
                });
            }
            if x.undeclared_trafs > 0 {
                all.push(Loss::Damage {
                    offset: None,
                    message: format!(
                        "{} track fragments name a track_ID that moov does not declare: skipped",
                        x.undeclared_trafs
                    ),
                });
            }
        }
        all
    }

    fn input_position(&self) -> Option<u64> {
        Some(self.position)
    }

    fn next_packet(&mut self) -> Result<Option<Packet>> {
        // The track whose next sample comes first in the file: file order, interleaved.
        let Some((t, s)) = self
            .pending
            .iter()
            .enumerate()
            .filter_map(|(t, s)| s.map(|s| (t, s)))
            .min_by_key(|(t, s)| (s.offset, *t))
        else {
            return self.next_fragment_packet();
        };
        self.pending[t] = self.cursors[t].next_readable(&self.tables[t]);
        let start = s.offset as usize;
        let data = self.data.slice(start..start + s.size as usize);
        self.position = self.position.max(s.offset + u64::from(s.size));
        let shift = self.shift[t];
        let mut p = Packet::new(t as u32, Timestamp(s.dts + shift), data);
        p.pts = Timestamp(s.dts + s.cts + shift);
        p.duration = Some(i64::from(s.duration));
        p.flags.keyframe = s.keyframe;
        Ok(Some(p))
    }
}

impl F4vDemuxer {
    /// The next sample of the movie fragments, once `moov`'s own samples are done.
    fn next_fragment_packet(&mut self) -> Result<Option<Packet>> {
        let Some(f) = &mut self.fragments else {
            return Ok(None);
        };
        let Some(s) = f.next_sample(&self.data)? else {
            return Ok(None);
        };
        let start = s.offset as usize;
        let data = self.data.slice(start..start + s.size as usize);
        self.position = self.position.max(s.offset + u64::from(s.size));
        let shift = self.shift[s.track];
        // The reader keeps dts + cts within 2^62; an edit list's shift is bounded by its
        // 64-bit fields, so this can still overflow only on a hostile one.
        let (Some(dts), Some(pts)) = (
            s.dts.checked_add(shift),
            s.dts.checked_add(s.cts).and_then(|v| v.checked_add(shift)),
        ) else {
            return Err(F4vError::invalid(
                "elst",
                0,
                "the edit list's shift overflows a fragment's timestamps",
            )
            .into());
        };
        let mut p = Packet::new(s.track as u32, Timestamp(dts), data);
        p.pts = Timestamp(pts);
        p.duration = Some(i64::from(s.duration));
        p.flags.keyframe = s.keyframe;
        Ok(Some(p))
    }
}

impl std::fmt::Debug for F4vDemuxer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("F4vDemuxer")
            .field("tracks", &self.tracks)
            .finish_non_exhaustive()
    }
}
