//! MP3 files (and MPEG audio Layer I/II) -> one audio track of whole frames, plus the ID3v2 tag
//! as a timed ID3 data track.

use std::sync::Arc;

use bytes::Bytes;

use crate::codec::mpa::{MpegAudioHeader, MpegLayer};
use crate::error::{Error, Result};
use crate::id3::{Id3v1Tag, Id3v2Tag, find_appended_tag};
use crate::io::{InputSource, Take};
use crate::loss::{Loss, MAX_LISTED_DAMAGE, damage_list};
use crate::media::{AudioParams, Codec, CodecConfig, Demuxer, MediaKind, Packet, Track};
use crate::time::{TimeBase, Timestamp};

use super::frames::{FrameFinder, same_stream};
use super::xing::{self, XingInfo};

/// Choices for [`Mp3Demuxer`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Mp3ReadOptions {
    /// Junk between frames or a truncated last frame is an error instead of a warning.
    pub strict: bool,
}

/// A timed ID3 packet carries the tag without its pictures when the whole tag is larger than
/// this: a PES of a non-video stream holds at most 65535 bytes (ISO/IEC 13818-1 §2.4.3.7).
pub const MAX_TIMED_ID3: usize = 60_000;

/// Something the demuxer skipped or noticed, with its byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mp3Warning {
    /// Byte offset in the input.
    pub offset: u64,
    /// What, lowercase.
    pub message: String,
}

/// What the demuxer found, for `inspect` and for users who want to know how clean a file is.
#[derive(Clone, Debug, Default)]
pub struct Mp3Report {
    /// Audio frames returned.
    pub frames: u64,
    /// Samples per channel in them.
    pub samples: u64,
    /// Bytes of audio frames.
    pub audio_bytes: u64,
    /// The first audio frame's offset.
    pub first_frame_offset: Option<u64>,
    /// Bytes skipped between frames (junk, damage).
    pub skipped_bytes: u64,
    /// Times sync was regained after junk.
    pub resyncs: u64,
    /// The stream is free format (no bitrate in its headers).
    pub free_format: bool,
    /// Lowest and highest bitrate seen (bits per second; free-format frames count their own).
    pub bitrate_range: Option<(u32, u32)>,
    /// The Xing/Info/VBRI header of the first frame (that frame is not returned as audio).
    pub xing: Option<XingInfo>,
    /// A truncated frame at the end was dropped.
    pub truncated_last_frame: bool,
    /// Warnings, the first 1000.
    pub warnings: Vec<Mp3Warning>,
    /// Warnings in all.
    pub warning_count: u64,
}

impl Mp3Report {
    /// Whether the bitrate varies (VBR); a Xing header also says so.
    pub fn is_vbr(&self) -> bool {
        self.bitrate_range.is_some_and(|(lo, hi)| lo != hi)
            || self
                .xing
                .as_ref()
                .is_some_and(|x| x.kind == "Xing" || x.kind == "VBRI")
    }

    fn warn(&mut self, offset: u64, message: String) {
        self.warning_count += 1;
        if self.warnings.len() < 1000 {
            self.warnings.push(Mp3Warning { offset, message });
        }
    }
}

/// Reads an MP3 (or MP2/MP1) file.
///
/// The ID3v2 tag at the start (and one appended at the end, found by its footer) and an ID3v1
/// tag in the last 128 bytes are read and kept out of the audio. A frame is taken when the
/// next one follows it, so junk that looks like a sync word is skipped; sync is regained after
/// damage, and every skip is a warning with its offset. Track 0 is the audio, with a time base
/// of 1/sample_rate; when there is an ID3v2 tag, track 1 is a timed ID3 data track with the tag
/// (as ID3v2.4) at time 0, which the TS muxer writes as stream type 0x15 and the FLV muxer
/// drops.
pub struct Mp3Demuxer {
    data: Bytes,
    pos: usize,
    end: usize,
    options: Mp3ReadOptions,
    tracks: Vec<Track>,
    id3v2: Option<Id3v2Tag>,
    appended: Option<Id3v2Tag>,
    id3v1: Option<Id3v1Tag>,
    report: Mp3Report,
    finder: FrameFinder,
    /// The header of the last frame returned (sync is held while headers agree with it).
    last: Option<MpegAudioHeader>,
    /// Time of the next frame, in the track's time base.
    next_ticks: i64,
    pending_tag: Option<Packet>,
    pending_config: Option<Arc<CodecConfig>>,
}

fn codec_of(h: &MpegAudioHeader) -> Codec {
    match h.layer {
        MpegLayer::Layer3 => Codec::Mp3,
        _ => Codec::Mp2,
    }
}

fn config_of(h: &MpegAudioHeader) -> CodecConfig {
    let mut c = CodecConfig::new(codec_of(h));
    c.audio = Some(AudioParams {
        sample_rate: h.sample_rate,
        channels: h.channels(),
        bits_per_sample: 16,
    });
    c
}

impl Mp3Demuxer {
    /// Opens an MP3 from any input source. A stream (stdin) is read into memory first: the
    /// tags at the end decide where the audio stops.
    pub fn new(mut src: InputSource, options: Mp3ReadOptions) -> Result<Mp3Demuxer> {
        let data = match src.take(usize::MAX)? {
            Take::Full(b) | Take::Short(b) => b,
        };
        Mp3Demuxer::open(data, options)
    }

    /// Opens an MP3 held in memory, with default options.
    pub fn from_bytes(data: Bytes) -> Result<Mp3Demuxer> {
        Mp3Demuxer::open(data, Mp3ReadOptions::default())
    }

    fn open(data: Bytes, options: Mp3ReadOptions) -> Result<Mp3Demuxer> {
        let mut pos = 0;
        let id3v2 = if Id3v2Tag::is_tag_start(&data) {
            let tag = Id3v2Tag::parse(&data)?;
            pos = tag.len;
            Some(tag)
        } else {
            None
        };
        let mut end = data.len();
        let id3v1 = Id3v1Tag::find(&data[pos..]);
        if id3v1.is_some() {
            end -= Id3v1Tag::LEN;
        }
        let appended = match find_appended_tag(&data[pos..]) {
            Some((start, _)) => {
                let tag = Id3v2Tag::parse(&data[pos + start..end]).ok();
                if tag.is_some() {
                    end = pos + start;
                }
                tag
            }
            None => None,
        };
        let mut d = Mp3Demuxer {
            data,
            pos,
            end,
            options,
            tracks: Vec::new(),
            id3v2,
            appended,
            id3v1,
            report: Mp3Report::default(),
            finder: FrameFinder::default(),
            last: None,
            next_ticks: 0,
            pending_tag: None,
            pending_config: None,
        };
        // Damage inside the tags (frames that could not be decoded and were dropped) is part
        // of what the read lost: say it, with the tag's place.
        let appended_at = d.end as u64;
        let tag_damage: Vec<(u64, String)> = d
            .id3v2
            .iter()
            .map(|t| (0u64, t))
            .chain(d.appended.iter().map(|t| (appended_at, t)))
            .flat_map(|(at, t)| {
                t.warnings
                    .iter()
                    .map(move |w| (at, format!("id3v2 tag at byte {at}: {w}")))
            })
            .collect();
        if let Some((_, first)) = tag_damage.first().filter(|_| options.strict) {
            return Err(Error::InvalidInput(first.clone()));
        }
        for (at, w) in tag_damage {
            d.report.warn(at, w);
        }
        let first = d.sync()?.ok_or_else(|| {
            Error::InvalidInput(format!(
                "no mpeg audio frames: no frame sync followed by another frame in {} bytes after byte {}",
                d.end.saturating_sub(pos),
                pos
            ))
        })?;
        d.tracks.push(Track {
            id: 0,
            kind: MediaKind::Audio,
            time_base: TimeBase::per_second(first.header.sample_rate)
                .ok_or_else(|| Error::InvalidInput("mpeg audio sample rate 0".into()))?,
            codec: config_of(&first.header),
            source_id: None,
        });
        // A Xing/Info/VBRI frame describes the stream; it is silence, not audio.
        let at = d.pos;
        if let Some(info) = xing::parse(&first.header, &d.data[at..at + first.len]) {
            if let (Some(delay), Some(padding)) = (info.encoder_delay, info.encoder_padding) {
                // The padding is at the end of the stream: a file cut short has lost that
                // end, and trimming its new last frame would drop real audio.
                let whole = info
                    .bytes
                    .is_none_or(|b| (d.end - at) as u64 >= u64::from(b));
                d.tracks[0].codec.encoder_delay = Some(crate::media::EncoderDelay {
                    delay: u32::from(delay),
                    padding: if whole { u32::from(padding) } else { 0 },
                    encoder: info.encoder.clone(),
                });
            }
            d.report.xing = Some(info);
            d.pos += first.len;
            d.last = Some(first.header);
        }
        if let Some(tag) = &d.id3v2 {
            let mut copy = tag.clone();
            let mut bytes = copy.to_bytes();
            if bytes.len() > MAX_TIMED_ID3 {
                copy.frames
                    .retain(|f| !matches!(f.content, crate::id3::FrameContent::Picture(_)));
                bytes = copy.to_bytes();
            }
            if bytes.len() <= MAX_TIMED_ID3 {
                d.tracks.push(Track {
                    id: 1,
                    kind: MediaKind::Data,
                    time_base: d.tracks[0].time_base,
                    codec: CodecConfig::new(Codec::TimedId3),
                    source_id: None,
                });
                let mut p = Packet::new(1, Timestamp(0), Bytes::from(bytes));
                p.flags.keyframe = true;
                d.pending_tag = Some(p);
            } else {
                d.report.warn(0, format!(
                    "the id3v2 tag is {} bytes without its pictures, too large for a timed id3 packet: not carried",
                    bytes.len()
                ));
            }
        }
        Ok(d)
    }

    /// The ID3v2 tag at the start of the file.
    pub fn id3v2(&self) -> Option<&Id3v2Tag> {
        self.id3v2.as_ref()
    }

    /// An ID3v2.4 tag appended at the end of the file.
    pub fn appended_id3v2(&self) -> Option<&Id3v2Tag> {
        self.appended.as_ref()
    }

    /// The ID3v1 tag in the last 128 bytes.
    pub fn id3v1(&self) -> Option<&Id3v1Tag> {
        self.id3v1.as_ref()
    }

    /// What was found so far.
    pub fn report(&self) -> &Mp3Report {
        &self.report
    }

    /// Regains sync from `self.pos`: the next confirmed frame, skipping (and reporting) what
    /// comes before it; an ID3v2 tag in the middle (concatenated files) is skipped whole.
    fn sync(&mut self) -> Result<Option<super::frames::Found>> {
        let from = self.pos;
        let mut i = self.pos;
        let found = loop {
            let Some(k) = memchr::memchr2(0xFF, b'I', &self.data[i..self.end]) else {
                i = self.end;
                break None;
            };
            i += k;
            if self.data[i] == b'I' {
                if let Ok(tag) = Id3v2Tag::parse(&self.data[i..self.end]) {
                    self.report.warn(
                        i as u64,
                        format!(
                            "id3v2 tag of {} bytes in the middle of the audio: skipped",
                            tag.len
                        ),
                    );
                    i += tag.len;
                } else {
                    i += 1;
                }
                continue;
            }
            if let Some(f) = self.finder.confirmed_at(&self.data, i, self.end) {
                break Some(f);
            }
            i += 1;
        };
        let skipped = (i - from) as u64;
        if skipped > 0 && found.is_some() {
            if self.options.strict && self.last.is_some() {
                return Err(Error::InvalidInput(format!(
                    "mpeg audio: {skipped} bytes that are not frames at byte {from}"
                )));
            }
            self.report.skipped_bytes += skipped;
            if self.last.is_some() {
                self.report.resyncs += 1;
                self.report.warn(
                    from as u64,
                    format!(
                        "{skipped} bytes that are not frames: skipped to the next frame at byte {i}"
                    ),
                );
            } else {
                self.report.warn(
                    from as u64,
                    format!("{skipped} bytes before the first frame: skipped"),
                );
            }
        } else if found.is_none() && i > from {
            self.report.skipped_bytes += skipped;
            if self.last.is_some() {
                self.report.warn(
                    from as u64,
                    format!("{skipped} bytes at the end are not frames: ignored"),
                );
            }
        }
        self.pos = i;
        Ok(found)
    }

    /// The next audio frame in sync, or after regaining it.
    fn next_frame(&mut self) -> Result<Option<(usize, super::frames::Found)>> {
        if self.pos >= self.end {
            return Ok(None);
        }
        if let Some(last) = self.last {
            if let Some(f) = self.finder.frame_at(&self.data, self.pos, self.end) {
                if same_stream(&last, &f.header) {
                    if self.pos + f.len <= self.end {
                        return Ok(Some((self.pos, f)));
                    }
                    // The last frame of the file is cut short.
                    let have = self.end - self.pos;
                    if self.options.strict {
                        return Err(Error::InvalidInput(format!(
                            "mpeg audio: last frame at byte {} truncated ({have} of {} bytes)",
                            self.pos, f.len
                        )));
                    }
                    self.report.truncated_last_frame = true;
                    self.report.warn(
                        self.pos as u64,
                        format!("last frame truncated ({have} of {} bytes): dropped", f.len),
                    );
                    self.pos = self.end;
                    return Ok(None);
                }
            }
        }
        Ok(self.sync()?.map(|f| (self.pos, f)))
    }
}

impl Demuxer for Mp3Demuxer {
    fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    fn losses(&self) -> Vec<Loss> {
        damage_list(
            self.report
                .warnings
                .iter()
                .map(|w| (Some(w.offset), w.message.clone())),
            self.report.warning_count,
            MAX_LISTED_DAMAGE,
        )
    }

    fn input_position(&self) -> Option<u64> {
        Some(self.pos as u64)
    }

    fn next_packet(&mut self) -> Result<Option<Packet>> {
        if let Some(tag) = self.pending_tag.take() {
            return Ok(Some(tag));
        }
        let Some((at, f)) = self.next_frame()? else {
            return Ok(None);
        };
        let h = f.header;
        if self
            .last
            .is_some_and(|l| !same_stream(&l, &h) || l.channels() != h.channels())
        {
            let mut config = config_of(&h);
            config.encoder_delay = self.tracks[0].codec.encoder_delay.clone();
            if config != self.tracks[0].codec {
                self.tracks[0].codec = config.clone();
                self.pending_config = Some(Arc::new(config));
            }
        }
        self.last = Some(h);
        self.pos = at + f.len;
        let samples = i64::from(h.samples_per_frame());
        let tb = self.tracks[0].time_base;
        let duration =
            TimeBase::per_second(h.sample_rate).map_or(samples, |fb| fb.rescale(samples, tb));
        let mut p = Packet::new(
            0,
            Timestamp(self.next_ticks),
            self.data.slice(at..at + f.len),
        );
        p.duration = Some(duration);
        p.flags.keyframe = true;
        if let Some(c) = self.pending_config.take() {
            p.flags.config_changed = true;
            p.config = Some(c);
        }
        self.next_ticks += duration;
        let r = &mut self.report;
        r.frames += 1;
        r.samples += samples as u64;
        r.audio_bytes += f.len as u64;
        r.first_frame_offset.get_or_insert(at as u64);
        let bitrate = h.bitrate.unwrap_or_else(|| {
            r.free_format = true;
            (f.len as u64 * 8 * u64::from(h.sample_rate) / samples.max(1) as u64) as u32
        });
        r.bitrate_range = Some(r.bitrate_range.map_or((bitrate, bitrate), |(lo, hi)| {
            (lo.min(bitrate), hi.max(bitrate))
        }));
        Ok(Some(p))
    }
}

impl std::fmt::Debug for Mp3Demuxer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mp3Demuxer")
            .field("tracks", &self.tracks)
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}
