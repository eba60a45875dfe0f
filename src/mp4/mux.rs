//! Tracks and packets -> progressive F4V/MP4.
//!
//! `moov` first, with no second pass over the output: [`Mp4Plan`] collects every sample's size
//! and times (a first pass over the input, headers only), lays out `moov` with the chunk
//! offsets it implies, and [`Mp4Writer`] then streams `ftyp`, `moov`, `mdat` and the sample
//! data in one go. When the input cannot be read twice (a pipe), [`Mp4Writer::streaming`] puts
//! `moov` after `mdat` and patches the `mdat` size at the end (the output must then seek).
//!
//! Brands follow the extension: `.f4v` is `f4v `; `.mp4` is `isom` with `iso2 avc1 mp41`, as
//! ffmpeg writes. `co64` replaces `stco` once an offset passes 4 GB, `ctts` appears when a
//! track's pts differs from its dts, and an edit list maps the first presented frame of each
//! track to its place on the movie timeline, so players start at 0 as they do with ffmpeg's
//! output and A/V alignment survives.

use std::io::SeekFrom;

use crate::codec::{ac3, flac, opus};
use crate::error::{Error, Result};
use crate::io::{BlockWriter, OutputSink};
use crate::media::{Codec, CodecConfig, MediaKind, Muxer, Packet, Track};
use crate::time::TimeBase;

use super::boxes::ctts::Ctts;
use super::boxes::elst::{Edit, Elst};
use super::boxes::esds::{Esds, oti};
use super::boxes::ftyp::Ftyp;
use super::boxes::hdlr::Hdlr;
use super::boxes::mdhd::Mdhd;
use super::boxes::mvhd::Mvhd;
use super::boxes::sample_entry::{SampleEntry, SampleEntryKind, write_stsd};
use super::boxes::stco::Stco;
use super::boxes::stsc::{Stsc, StscEntry};
use super::boxes::stss::Stss;
use super::boxes::stsz::Stsz;
use super::boxes::stts::Stts;
use super::boxes::tkhd::Tkhd;
use super::boxes::vmhd::{write_dinf, write_smhd, write_vmhd};
use super::boxes::{BoxType, write_box};
use super::error::F4vError;

/// The movie timescale: milliseconds, as ffmpeg writes for progressive files.
const MOVIE_TIMESCALE: u32 = 1000;

/// Which brand to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mp4Brand {
    /// `isom` (`.mp4`).
    #[default]
    Mp4,
    /// Adobe's `f4v ` (`.f4v`).
    F4v,
}

impl Mp4Brand {
    fn ftyp(self) -> Ftyp {
        let b = |s: &[u8; 4]| BoxType(*s);
        match self {
            Mp4Brand::Mp4 => Ftyp {
                major_brand: b(b"isom"),
                minor_version: 0x200,
                compatible: vec![b(b"isom"), b(b"iso2"), b(b"avc1"), b(b"mp41")],
            },
            Mp4Brand::F4v => Ftyp {
                major_brand: b(b"f4v "),
                minor_version: 0,
                compatible: vec![b(b"isom"), b(b"mp42"), b(b"m4v "), b(b"f4v ")],
            },
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Sample {
    size: u32,
    dts: i64,
    pts: i64,
    duration: Option<i64>,
    keyframe: bool,
}

#[derive(Clone, Debug)]
struct PlanTrack {
    track: Track,
    timescale: u32,
    samples: Vec<Sample>,
}

/// Every sample's size and times, in the order they will be written, and the `moov` they make.
#[derive(Clone, Debug, Default)]
pub struct Mp4Plan {
    tracks: Vec<Option<PlanTrack>>,
    /// (track, size) of each sample in write order.
    order: Vec<(u32, u32)>,
    brand: Mp4Brand,
}

pub(crate) fn timescale_of(tb: TimeBase) -> u32 {
    if tb.num() == 1 { tb.den() } else { 90_000 }
}

pub(crate) fn sample_entry(track: &Track) -> Result<SampleEntry> {
    let c: &CodecConfig = &track.codec;
    let details = c.details().unwrap_or_default();
    let unsupported = || -> Error {
        F4vError::UnsupportedCodec {
            track: track.id,
            codec: c.codec.name().to_owned(),
        }
        .into()
    };
    let visual = |format: &[u8; 4], config: &[u8; 4]| SampleEntry {
        format: BoxType(*format),
        kind: SampleEntryKind::Visual {
            width: details.width.unwrap_or(0).min(0xFFFF) as u16,
            height: details.height.unwrap_or(0).min(0xFFFF) as u16,
            config: Some((BoxType(*config), c.extradata.clone())),
            pasp: None,
        },
    };
    let audio =
        |format: &[u8; 4], esds: Option<Esds>, config: Option<(&[u8; 4], Vec<u8>)>| SampleEntry {
            format: BoxType(*format),
            kind: SampleEntryKind::Audio {
                channels: u16::from(details.channels.unwrap_or(2)),
                sample_size: u16::from(details.bit_depth.unwrap_or(16)),
                sample_rate: details.sample_rate.unwrap_or(0),
                esds,
                config: config.map(|(t, b)| (BoxType(*t), bytes::Bytes::from(b))),
            },
        };
    let mp4a = |esds: Esds| audio(b"mp4a", Some(esds), None);
    Ok(match c.codec {
        Codec::H264 if !c.extradata.is_empty() => visual(b"avc1", b"avcC"),
        Codec::Hevc if !c.extradata.is_empty() => visual(b"hvc1", b"hvcC"),
        Codec::Av1 if !c.extradata.is_empty() => visual(b"av01", b"av1C"),
        Codec::Vp9 if !c.extradata.is_empty() => visual(b"vp09", b"vpcC"),
        Codec::Aac if !c.extradata.is_empty() => mp4a(Esds {
            object_type: oti::MPEG4_AUDIO,
            avg_bitrate: 0,
            max_bitrate: 0,
            decoder_specific: c.extradata.clone(),
        }),
        Codec::Mp3 => mp4a(Esds {
            object_type: if details.sample_rate.unwrap_or(44100) < 32_000 {
                oti::MPEG2_AUDIO
            } else {
                oti::MPEG1_AUDIO
            },
            avg_bitrate: 0,
            max_bitrate: 0,
            decoder_specific: bytes::Bytes::new(),
        }),
        // Opus in ISO BMFF: the sample entry says 48 kHz whatever the input rate was.
        Codec::Opus if !c.extradata.is_empty() => {
            let head = opus::OpusHead::parse(&c.extradata).map_err(|_| unsupported())?;
            let mut e = audio(b"Opus", None, Some((b"dOps", head.to_dops())));
            if let SampleEntryKind::Audio {
                sample_rate,
                sample_size,
                channels,
                ..
            } = &mut e.kind
            {
                *sample_rate = 48_000;
                *sample_size = 16;
                *channels = u16::from(head.channels);
            }
            e
        }
        Codec::Flac if !c.extradata.is_empty() => {
            flac::StreamInfo::parse(&c.extradata).map_err(|_| unsupported())?;
            audio(
                b"fLaC",
                None,
                Some((b"dfLa", flac::dfla_of_streaminfo(&c.extradata))),
            )
        }
        // ETSI TS 102 366 Annex F: channel count 2 and 16 bits whatever the stream, the
        // layout is in the record.
        Codec::Ac3 | Codec::Eac3 if !c.extradata.is_empty() => {
            let (format, record) = if c.codec == Codec::Ac3 {
                (b"ac-3", b"dac3")
            } else {
                (b"ec-3", b"dec3")
            };
            let mut e = audio(format, None, Some((record, c.extradata.to_vec())));
            if let SampleEntryKind::Audio {
                sample_size,
                channels,
                ..
            } = &mut e.kind
            {
                *sample_size = 16;
                *channels = 2;
            }
            e
        }
        _ => return Err(unsupported()),
    })
}

/// A track's `tkhd`: enabled and in the movie, its size for video, full volume for audio.
pub(crate) fn track_header(track: &Track, track_id: u32, duration: u64) -> Tkhd {
    let video = track.kind == MediaKind::Video;
    let details = track.codec.details().unwrap_or_default();
    let size = |v: Option<u32>| if video { v.unwrap_or(0) << 16 } else { 0 };
    Tkhd {
        flags: 3,
        track_id,
        duration,
        volume: if video { 0 } else { 0x0100 },
        width: size(details.width),
        height: size(details.height),
    }
}

/// `mdia`: the media header, the handler, and `minf` with the handler's media header box,
/// `dinf`, and an `stbl` of `stsd` followed by what `tables` writes (empty tables for a
/// fragmented file, the sample tables for a progressive one).
pub(crate) fn write_mdia(
    out: &mut Vec<u8>,
    mdhd: &Mdhd,
    hdlr: &Hdlr,
    entry: &SampleEntry,
    tables: impl FnOnce(&mut Vec<u8>),
) {
    let video = &hdlr.handler_type.0 == b"vide";
    write_box(out, b"mdia", |m| {
        mdhd.write_to(m);
        hdlr.write_to(m);
        write_box(m, b"minf", |i| {
            if video {
                write_vmhd(i);
            } else {
                write_smhd(i);
            }
            write_dinf(i);
            write_box(i, b"stbl", |s| {
                write_stsd(entry, s);
                tables(s);
            });
        });
    });
}

/// The `hdlr` of a video or sound track, named as ffmpeg names them.
pub(crate) fn handler(video: bool) -> Hdlr {
    Hdlr {
        handler_type: BoxType(if video { *b"vide" } else { *b"soun" }),
        name: if video {
            "VideoHandler"
        } else {
            "SoundHandler"
        }
        .into(),
    }
}

/// Codecs an MP4 file carries (ISO/IEC 14496-12/-14/-15, the AV1 and VP codec bindings, Opus
/// and FLAC in ISO BMFF, ETSI TS 102 366 Annex F). F4V (Adobe) only the ones Flash played.
pub(crate) fn mp4_carries(codec: Codec, brand: Mp4Brand) -> bool {
    match brand {
        Mp4Brand::F4v => matches!(codec, Codec::H264 | Codec::Aac | Codec::Mp3),
        Mp4Brand::Mp4 => matches!(
            codec,
            Codec::H264
                | Codec::Hevc
                | Codec::Av1
                | Codec::Vp9
                | Codec::Aac
                | Codec::Mp3
                | Codec::Opus
                | Codec::Flac
                | Codec::Ac3
                | Codec::Eac3
        ),
    }
}

/// A track whose record the container needs but the input never gave (AC-3 and E-AC-3 from
/// FLV, whose sequence header is empty) takes it from its first frame.
pub(crate) fn fill_record_from_frame(codec: &mut CodecConfig, frame: &[u8]) {
    if matches!(codec.codec, Codec::Ac3 | Codec::Eac3) && codec.extradata.is_empty() {
        if let Ok(h) = ac3::Ac3FrameHeader::parse(frame) {
            codec.extradata = h.record();
            if codec.audio.is_none() {
                codec.audio = h.config().audio;
            }
        }
    }
}

impl Mp4Plan {
    /// An empty plan for `brand`.
    pub fn new(brand: Mp4Brand) -> Mp4Plan {
        Mp4Plan {
            brand,
            ..Mp4Plan::default()
        }
    }

    fn add_track(&mut self, track: &Track) -> Result<()> {
        if track.kind == MediaKind::Data {
            return Ok(());
        }
        let idx = track.id as usize;
        if self.tracks.len() <= idx {
            self.tracks.resize(idx + 1, None);
        }
        self.tracks[idx] = Some(PlanTrack {
            track: track.clone(),
            timescale: timescale_of(track.time_base),
            samples: Vec::new(),
        });
        Ok(())
    }

    /// Whether `p` is written (data tracks, which MP4 has no place for here, are not).
    fn takes(&self, p: &Packet) -> bool {
        self.tracks
            .get(p.track as usize)
            .is_some_and(Option::is_some)
    }

    fn add_sample(&mut self, p: &Packet) -> Result<()> {
        let Some(Some(t)) = self.tracks.get_mut(p.track as usize) else {
            return Ok(());
        };
        if let Some(c) = &p.config {
            t.track.codec = (**c).clone();
        }
        fill_record_from_frame(&mut t.track.codec, &p.data);
        let size = u32::try_from(p.data.len()).map_err(|_| Error::Mux {
            format: "mp4",
            track: p.track,
            dts: p.dts.0,
            reason: "sample larger than 4 GiB".into(),
        })?;
        let to = TimeBase::per_second(t.timescale).unwrap_or(TimeBase::MPEG_90K);
        let tb = t.track.time_base;
        t.samples.push(Sample {
            size,
            dts: tb.rescale(p.dts.0, to),
            pts: tb.rescale(p.pts.0, to),
            duration: p.duration.map(|d| tb.rescale(d, to)),
            keyframe: p.flags.keyframe,
        });
        self.order.push((p.track, size));
        Ok(())
    }

    /// Bytes of `mdat` payload.
    pub fn data_len(&self) -> u64 {
        self.order.iter().map(|&(_, s)| u64::from(s)).sum()
    }

    /// `ftyp`, `moov` and the `mdat` header, with samples placed from `start` (the file offset
    /// where these bytes go).
    pub fn header(&self, start: u64) -> Result<Vec<u8>> {
        let mut ftyp = Vec::new();
        self.brand.ftyp().write_to(&mut ftyp);
        // The mdat header is 16 bytes (largesize form) when the data passes 4 GB.
        let data = self.data_len();
        let mdat_header: u64 = if data + 8 > u64::from(u32::MAX) {
            16
        } else {
            8
        };
        // moov's size depends on the offsets only through stco vs co64: lay out once with the
        // offsets it would give, then again if that changed its size.
        let mut moov = self.moov(0)?;
        for _ in 0..3 {
            let data_start = start + ftyp.len() as u64 + moov.len() as u64 + mdat_header;
            let next = self.moov(data_start)?;
            if next.len() == moov.len() {
                moov = next;
                break;
            }
            moov = next;
        }
        let mut out = ftyp;
        out.extend_from_slice(&moov);
        write_mdat_header(&mut out, data, mdat_header == 16);
        Ok(out)
    }

    /// `moov` with the first sample at file offset `data_start`.
    pub fn moov(&self, data_start: u64) -> Result<Vec<u8>> {
        // Chunks: runs of consecutive samples of one track in write order.
        let mut chunks: Vec<Vec<(u64, u32)>> = vec![Vec::new(); self.tracks.len()];
        let mut pos = data_start;
        let mut last: Option<u32> = None;
        for &(t, size) in &self.order {
            let list = &mut chunks[t as usize];
            if last == Some(t) {
                if let Some(c) = list.last_mut() {
                    c.1 += 1;
                }
            } else {
                list.push((pos, 1));
            }
            last = Some(t);
            pos += u64::from(size);
        }
        let movie = TimeBase::per_second(MOVIE_TIMESCALE).unwrap_or(TimeBase::MILLIS);
        let seconds = |t: &PlanTrack, v: i64| {
            TimeBase::per_second(t.timescale).map_or(0, |tb| tb.rescale(v, movie))
        };
        let present: Vec<&PlanTrack> = self
            .tracks
            .iter()
            .flatten()
            .filter(|t| !t.samples.is_empty())
            .collect();
        let movie_start = present
            .iter()
            .filter_map(|t| t.samples.iter().map(|s| s.pts).min().map(|p| seconds(t, p)))
            .min()
            .unwrap_or(0);
        let mut traks = Vec::new();
        let mut movie_duration = 0u64;
        let mut next_id = 1u32;
        for (idx, t) in self.tracks.iter().enumerate() {
            let Some(t) = t else { continue };
            if t.samples.is_empty() {
                continue;
            }
            let track_id = next_id;
            next_id += 1;
            let entry = sample_entry(&t.track)?;
            let durations: Vec<u32> = t
                .samples
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let d = match t.samples.get(i + 1) {
                        Some(n) => n.dts - s.dts,
                        None => s.duration.unwrap_or_else(|| {
                            if i > 0 {
                                s.dts - t.samples[i - 1].dts
                            } else {
                                0
                            }
                        }),
                    };
                    d.clamp(0, i64::from(u32::MAX)) as u32
                })
                .collect();
            let media_duration: u64 = durations.iter().map(|&d| u64::from(d)).sum();
            let first_dts = t.samples[0].dts;
            let first_pts = t.samples.iter().map(|s| s.pts).min().unwrap_or(first_dts);
            let cts: Vec<i64> = t.samples.iter().map(|s| s.pts - s.dts).collect();
            let end_pts = t
                .samples
                .iter()
                .zip(&durations)
                .map(|(s, &d)| s.pts + i64::from(d))
                .max()
                .unwrap_or(first_pts);
            let presented = (end_pts - first_pts).max(0);
            let delay = seconds(t, first_pts) - movie_start;
            let mut edits = Vec::new();
            if delay > 0 {
                edits.push(Edit {
                    segment_duration: delay as u64,
                    media_time: -1,
                    rate: 1,
                });
            }
            let segment = seconds(t, presented).max(0) as u64;
            edits.push(Edit {
                segment_duration: segment,
                media_time: first_pts - first_dts,
                rate: 1,
            });
            let track_duration = segment + delay.max(0) as u64;
            movie_duration = movie_duration.max(track_duration);
            let video = t.track.kind == MediaKind::Video;
            let tkhd = track_header(&t.track, track_id, track_duration);
            let mdhd = Mdhd {
                timescale: t.timescale,
                duration: media_duration,
                language: *b"und",
            };
            let hdlr = handler(video);
            let stts = Stts::from_durations(durations.iter().copied());
            let ctts = cts
                .iter()
                .any(|&c| c != 0)
                .then(|| Ctts::from_offsets(cts.iter().copied()));
            let stss = (video && t.samples.iter().any(|s| !s.keyframe)).then(|| Stss {
                samples: t
                    .samples
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.keyframe)
                    .map(|(i, _)| i as u32 + 1)
                    .collect(),
            });
            let mut stsc = Stsc::default();
            for (i, &(_, n)) in chunks[idx].iter().enumerate() {
                if stsc.entries.last().is_none_or(|e| e.samples_per_chunk != n) {
                    stsc.entries.push(StscEntry {
                        first_chunk: i as u32 + 1,
                        samples_per_chunk: n,
                        sample_description_index: 1,
                    });
                }
            }
            let sizes: Vec<u32> = t.samples.iter().map(|s| s.size).collect();
            // The constant form only for a size above 0: a sample_size of 0 means "a table
            // follows" (ISO/IEC 14496-12 8.7.3), so empty samples need the table.
            let stsz = if sizes[0] > 0 && sizes.windows(2).all(|w| w[0] == w[1]) {
                Stsz::Constant {
                    size: sizes[0],
                    count: sizes.len() as u32,
                }
            } else {
                Stsz::Each(sizes)
            };
            let stco = Stco {
                offsets: chunks[idx].iter().map(|&(o, _)| o).collect(),
            };
            write_box(&mut traks, b"trak", |o| {
                tkhd.write_to(o);
                write_box(o, b"edts", |e| Elst { edits }.write_to(e));
                write_mdia(o, &mdhd, &hdlr, &entry, |s| {
                    stts.write_to(s);
                    if let Some(c) = &ctts {
                        c.write_to(s);
                    }
                    if let Some(k) = &stss {
                        k.write_to(s);
                    }
                    stsc.write_to(s);
                    stsz.write_to(s);
                    stco.write_to(s);
                });
            });
        }
        let mut moov = Vec::new();
        write_box(&mut moov, b"moov", |o| {
            Mvhd {
                timescale: MOVIE_TIMESCALE,
                duration: movie_duration,
                next_track_id: next_id,
            }
            .write_to(o);
            o.extend_from_slice(&traks);
        });
        Ok(moov)
    }
}

fn write_mdat_header(out: &mut Vec<u8>, data: u64, large: bool) {
    if large {
        out.extend_from_slice(&1u32.to_be_bytes());
        out.extend_from_slice(b"mdat");
        out.extend_from_slice(&(data + 16).to_be_bytes());
    } else {
        out.extend_from_slice(&((data + 8) as u32).to_be_bytes());
        out.extend_from_slice(b"mdat");
    }
}

/// The first pass: a [`Muxer`] that only records sizes and times into an [`Mp4Plan`].
#[derive(Debug, Default)]
pub struct Mp4Planner {
    plan: Mp4Plan,
}

impl Mp4Planner {
    /// A planner for `brand`.
    pub fn new(brand: Mp4Brand) -> Mp4Planner {
        Mp4Planner {
            plan: Mp4Plan::new(brand),
        }
    }

    /// The plan, after [`Muxer::finish`].
    pub fn into_plan(self) -> Mp4Plan {
        self.plan
    }
}

/// Why MP4/F4V output cannot carry `track`, or `None`.
pub(crate) fn mp4_refusal(track: &Track, brand: Mp4Brand) -> Option<String> {
    let codec = track.codec.codec;
    if track.kind == MediaKind::Data {
        return Some(format!("mp4 output has no track type for {codec}"));
    }
    (!mp4_carries(codec, brand)).then(|| match brand {
        Mp4Brand::F4v => {
            format!("f4v output carries only h264, aac and mp3, not {codec}: write .mp4")
        }
        Mp4Brand::Mp4 => format!("mp4 output cannot carry {codec}"),
    })
}

impl Muxer for Mp4Planner {
    fn refusal(&self, track: &Track) -> Option<String> {
        mp4_refusal(track, self.plan.brand)
    }

    fn add_track(&mut self, track: &Track) -> Result<()> {
        self.plan.add_track(track)?;
        if track.kind != MediaKind::Data {
            // Refuse codecs MP4 cannot carry now, not after a whole pass.
            if !mp4_carries(track.codec.codec, self.plan.brand) {
                return Err(F4vError::UnsupportedCodec {
                    track: track.id,
                    codec: track.codec.codec.name().to_owned(),
                }
                .into());
            }
        }
        Ok(())
    }

    fn write_packet(&mut self, p: &Packet) -> Result<()> {
        self.plan.add_sample(p)
    }

    fn finish(&mut self) -> Result<()> {
        // Validate the layout once, so errors come before any output.
        self.plan.moov(0).map(|_| ())
    }
}

/// The second pass (or the only one, streaming): writes the file.
pub struct Mp4Writer<W: OutputSink> {
    out: BlockWriter<W>,
    /// The plan of a moov-first file, and how many samples were written against it.
    planned: Option<(Mp4Plan, usize)>,
    /// Streaming mode: the plan being built as packets come.
    streaming: Option<Mp4Plan>,
    started: bool,
    finished: bool,
}

impl<W: OutputSink> Mp4Writer<W> {
    /// Writes a moov-first file from `plan`; the packets must come again in the same order.
    pub fn planned(out: BlockWriter<W>, plan: Mp4Plan) -> Mp4Writer<W> {
        Mp4Writer {
            out,
            planned: Some((plan, 0)),
            streaming: None,
            started: false,
            finished: false,
        }
    }

    /// Writes `mdat` first and `moov` at the end (the output must be seekable, to patch the
    /// `mdat` size).
    pub fn streaming(out: BlockWriter<W>, brand: Mp4Brand) -> Mp4Writer<W> {
        Mp4Writer {
            out,
            planned: None,
            streaming: Some(Mp4Plan::new(brand)),
            started: false,
            finished: false,
        }
    }

    /// The sink, after [`Muxer::finish`].
    pub fn into_inner(self) -> Result<W> {
        self.out.into_inner()
    }

    fn start(&mut self) -> Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        if let Some((plan, _)) = &self.planned {
            let header = plan.header(0)?;
            self.out.buf().extend_from_slice(&header);
        } else if let Some(plan) = &self.streaming {
            let mut head = Vec::new();
            plan.brand.ftyp().write_to(&mut head);
            // A 16-byte mdat header (largesize) patched at the end.
            write_mdat_header(&mut head, 0, true);
            self.out.buf().extend_from_slice(&head);
        }
        Ok(())
    }
}

impl<W: OutputSink> Muxer for Mp4Writer<W> {
    fn refusal(&self, track: &Track) -> Option<String> {
        let brand = self
            .planned
            .as_ref()
            .map(|(p, _)| p.brand)
            .or(self.streaming.as_ref().map(|p| p.brand))
            .unwrap_or_default();
        mp4_refusal(track, brand)
    }

    fn add_track(&mut self, track: &Track) -> Result<()> {
        if let Some(plan) = &mut self.streaming {
            plan.add_track(track)?;
        }
        Ok(())
    }

    fn write_packet(&mut self, p: &Packet) -> Result<()> {
        self.start()?;
        if let Some((plan, written)) = &mut self.planned {
            if !plan.takes(p) {
                return Ok(());
            }
            let expected = plan.order.get(*written).copied();
            if expected != Some((p.track, p.data.len() as u32)) {
                return Err(Error::InvalidUse(format!(
                    "mp4 second pass: sample {written} is track {} of {} bytes, the plan expected {expected:?}",
                    p.track,
                    p.data.len()
                )));
            }
            *written += 1;
        } else if let Some(plan) = &mut self.streaming {
            if !plan.takes(p) {
                return Ok(());
            }
            plan.add_sample(p)?;
        }
        self.out.write_large(&p.data)?;
        self.out.maybe_write()
    }

    fn finish(&mut self) -> Result<()> {
        if self.finished {
            return Err(Error::InvalidUse("mp4 muxer finished twice".into()));
        }
        self.finished = true;
        self.start()?;
        if let Some((plan, written)) = &self.planned {
            if *written != plan.order.len() {
                return Err(Error::InvalidUse(format!(
                    "mp4 second pass: {written} samples written, the plan has {}",
                    plan.order.len()
                )));
            }
        }
        if let Some(plan) = self.streaming.take() {
            let mut ftyp = Vec::new();
            plan.brand.ftyp().write_to(&mut ftyp);
            let data_start = ftyp.len() as u64 + 16;
            let moov = plan.moov(data_start)?;
            self.out.buf().extend_from_slice(&moov);
            let sink = self.out.get_mut()?;
            let f = sink.as_seekable().ok_or_else(|| {
                Error::Unsupported("mp4 with moov at the end needs a seekable output".into())
            })?;
            let io = |source| Error::Io {
                context: "patching the mp4 mdat size",
                source,
            };
            f.seek(SeekFrom::Start(ftyp.len() as u64 + 8)).map_err(io)?;
            f.write_all(&(plan.data_len() + 16).to_be_bytes())
                .map_err(io)?;
            f.seek(SeekFrom::End(0)).map_err(io)?;
        }
        self.out.flush_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{CodecConfig, Track};
    use crate::time::Timestamp;

    fn track(id: u32, codec: Codec, kind: MediaKind) -> Track {
        let mut c = CodecConfig::new(codec);
        c.extradata = bytes::Bytes::from_static(&[0x12, 0x10]);
        Track {
            id,
            kind,
            time_base: TimeBase::MILLIS,
            codec: c,
            source_id: None,
        }
    }

    /// A packet whose data is never read by the plan: only its length counts.
    fn packet(track: u32, ms: i64, len: usize) -> Packet {
        let mut p = Packet::new(track, Timestamp(ms), bytes::Bytes::from(vec![0u8; len]));
        p.flags.keyframe = true;
        p
    }

    #[test]
    fn offsets_past_4_gb_switch_to_co64_and_small_files_keep_stco() {
        let mut plan = Mp4Plan::new(Mp4Brand::Mp4);
        plan.add_track(&track(0, Codec::Aac, MediaKind::Audio))
            .unwrap();
        plan.add_track(&track(1, Codec::Aac, MediaKind::Audio))
            .unwrap();
        // Alternating tracks: every sample opens a chunk of its own.
        for k in 0..4 {
            plan.add_sample(&packet(k as u32 % 2, k * 23, 16)).unwrap();
        }
        let moov = plan.moov(1000).unwrap();
        assert!(moov.windows(4).any(|w| w == b"stco"));
        assert!(!moov.windows(4).any(|w| w == b"co64"));
        // Pretend the samples are 1.5 GB each: the fourth chunk starts past 4 GB.
        for e in &mut plan.order {
            e.1 = 1_500_000_000;
        }
        let moov = plan.moov(1000).unwrap();
        assert!(moov.windows(4).any(|w| w == b"co64"));
        let header = plan.header(0).unwrap();
        // The mdat header of a > 4 GB payload uses the 64-bit form.
        let at = header.len() - 16;
        assert_eq!(&header[at..at + 8], &[0, 0, 0, 1, b'm', b'd', b'a', b't']);
    }

    #[test]
    fn codecs_mp4_cannot_carry_are_refused_up_front() {
        let mut p = Mp4Planner::new(Mp4Brand::F4v);
        let e = p
            .add_track(&track(0, Codec::Vp6, MediaKind::Video))
            .unwrap_err();
        assert!(e.to_string().contains("cannot be written"), "{e}");
    }
}
