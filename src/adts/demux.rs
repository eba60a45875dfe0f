//! `.aac` (ADTS) files -> one AAC track of raw frames.

use std::sync::Arc;

use bytes::Bytes;

use crate::codec::aac::{AdtsHeader, asc_from_leading_pce};
use crate::error::{Error, Result};
use crate::id3::{Id3v1Tag, Id3v2Tag, find_appended_tag};
use crate::io::{InputSource, Take};
use crate::loss::{Loss, MAX_LISTED_DAMAGE, damage_list};
use crate::media::{Codec, CodecConfig, Demuxer, MediaKind, Packet, Track};
use crate::time::{TimeBase, Timestamp};

use super::frames::{self, AdtsBlocks, ape_tag_start, confirmed_at, header_at, same_stream};
use super::report::{AdtsReadOptions, AdtsReport};

/// Samples per channel in one raw data block: ADTS carries the 1024-sample frame length only
/// (the 960 of `frameLengthFlag` cannot be signalled, §1.A.2.2.1).
pub const SAMPLES_PER_RAW_BLOCK: u32 = 1024;

/// Reads an `.aac` (ADTS) file.
///
/// An ID3v2 tag at the start, and an APE tag, an appended ID3v2 tag or an ID3v1 tag at the
/// end are skipped (their sizes are in the report; the tags are not carried). A frame is taken
/// where the previous one ends when its header agrees with the stream; otherwise sync is
/// regained at the next header that the header after it confirms, and the skipped bytes are a
/// warning with their offset. Track 0 is AAC with the AudioSpecificConfig the first header
/// implies and a time base of 1/sample_rate; each raw data block is one packet of 1024
/// samples, without header, block table and CRCs (see [`super::split_raw_blocks`] for frames
/// of several blocks and for why the CRCs are not verified). A header that changes the
/// configuration mid-stream (a concatenation) updates the track and sets `config_changed` on
/// the next packet, as the other demuxers do.
///
/// Channel configuration 0: the program config element that starts the first frame's raw
/// data is moved into the AudioSpecificConfig (see `config_of`); a stream without one is an
/// error, and a change to such a frame mid-stream without one is dropped with a warning.
pub struct AdtsDemuxer {
    data: Bytes,
    pos: usize,
    end: usize,
    options: AdtsReadOptions,
    tracks: Vec<Track>,
    report: AdtsReport,
    /// The header of the last frame taken (sync is held while headers agree with it).
    last: Option<AdtsHeader>,
    /// Blocks of the current frame still to return (absolute ranges), next first.
    queue: Vec<std::ops::Range<usize>>,
    next_ticks: i64,
    pending_config: Option<Arc<CodecConfig>>,
    /// Bytes of a program config element to cut from the next frame's first block (moved
    /// into the AudioSpecificConfig).
    strip_next: usize,
}

/// The track configuration of the frame `frame` (whole, header `h`, at byte `at`), and the
/// bytes of a program config element to cut from the front of its first raw data block.
///
/// Channel configuration 0 puts the layout in a program config element at the start of the
/// first raw data block: it is moved into the AudioSpecificConfig and cut from that packet,
/// as ffmpeg's `aac_adtstoasc` does (the element ends byte-aligned, so the cut is a slice);
/// a PCE in later frames of the stream stays where it is. Without a leading PCE there is no
/// layout to state, and the frame is an error.
fn config_of(h: &AdtsHeader, frame: &[u8], at: usize) -> Result<(CodecConfig, usize)> {
    let bad = |e: String| Error::InvalidInput(format!("adts frame at byte {at}: {e}"));
    let (asc, strip) = if h.channel_config == 0 {
        let first = match frames::split_raw_blocks(h, frame) {
            AdtsBlocks::Blocks(b) => b.first().cloned(),
            _ => None,
        };
        let block = first.and_then(|r| frame.get(r)).unwrap_or_default();
        match asc_from_leading_pce(h.object_type, h.sampling_index, block) {
            Ok(Some((asc, len))) if len < block.len() => (asc, len),
            Ok(_) => {
                return Err(bad(
                    "channel configuration 0 without a program config element first in the frame"
                        .into(),
                ));
            }
            Err(e) => return Err(bad(format!("channel configuration 0: {e}"))),
        }
    } else {
        (
            h.to_audio_specific_config()
                .map_err(|e| bad(e.to_string()))?,
            0,
        )
    };
    let mut c = CodecConfig::new(Codec::Aac);
    c.extradata = asc.to_bytes();
    Ok((c, strip))
}

impl AdtsDemuxer {
    /// Opens an ADTS file from any input source. A stream (stdin) is read into memory first:
    /// the tags at the end decide where the audio stops.
    pub fn new(mut src: InputSource, options: AdtsReadOptions) -> Result<AdtsDemuxer> {
        let data = match src.take(usize::MAX)? {
            Take::Full(b) | Take::Short(b) => b,
        };
        AdtsDemuxer::open(data, options)
    }

    /// Opens an ADTS file held in memory, with default options.
    pub fn from_bytes(data: Bytes) -> Result<AdtsDemuxer> {
        AdtsDemuxer::open(data, AdtsReadOptions::default())
    }

    fn open(data: Bytes, options: AdtsReadOptions) -> Result<AdtsDemuxer> {
        let mut report = AdtsReport::default();
        let mut pos = 0;
        if Id3v2Tag::is_tag_start(&data) {
            let tag = Id3v2Tag::parse(&data).map_err(|e| {
                Error::InvalidInput(format!("id3v2 tag at byte 0 before the adts frames: {e}"))
            })?;
            pos = tag.len;
            report.id3v2_bytes = Some(tag.len as u64);
        }
        let mut end = data.len();
        if Id3v1Tag::find(&data[pos..]).is_some() {
            end -= Id3v1Tag::LEN;
        }
        if let Some((start, _)) = find_appended_tag(&data[pos..]) {
            if Id3v2Tag::parse(&data[pos + start..end]).is_ok() {
                end = pos + start;
            }
        }
        if let Some(start) = ape_tag_start(&data, pos, end) {
            report.ape_bytes = Some((end - start) as u64);
            end = start;
        }
        let mut d = AdtsDemuxer {
            data,
            pos,
            end,
            options,
            tracks: Vec::new(),
            report,
            last: None,
            queue: Vec::new(),
            next_ticks: 0,
            pending_config: None,
            strip_next: 0,
        };
        let first = d.sync()?.ok_or_else(|| {
            Error::InvalidInput(format!(
                "no adts frames: no adts header followed by another in {} bytes after byte {pos}",
                d.end.saturating_sub(pos)
            ))
        })?;
        let frame_end = (d.pos + usize::from(first.frame_length)).min(d.end);
        let (codec, strip) = config_of(&first, &d.data[d.pos..frame_end], d.pos)?;
        d.strip_next = strip;
        d.tracks.push(Track {
            id: 0,
            kind: MediaKind::Audio,
            time_base: TimeBase::per_second(first.sample_rate())
                .ok_or_else(|| Error::InvalidInput("adts sample rate 0".into()))?,
            codec,
            source_id: None,
        });
        Ok(d)
    }

    /// What was found so far.
    pub fn report(&self) -> &AdtsReport {
        &self.report
    }

    /// Damage: an error in strict mode, else a warning.
    fn damage(&mut self, at: usize, message: String) -> Result<()> {
        if self.options.strict {
            return Err(Error::InvalidInput(format!("adts: {message} at byte {at}")));
        }
        self.report.warn(at, message);
        Ok(())
    }

    /// The first confirmed frame at or after `from`.
    fn find(&self, from: usize) -> Option<(usize, AdtsHeader)> {
        let mut i = from;
        loop {
            i += memchr::memchr(0xFF, self.data.get(i..self.end)?)?;
            if let Some(h) = confirmed_at(&self.data, i, self.end) {
                return Some((i, h));
            }
            i += 1;
        }
    }

    /// Regains sync from `self.pos`: the next confirmed frame, skipping (and reporting) what
    /// comes before it.
    fn sync(&mut self) -> Result<Option<AdtsHeader>> {
        let from = self.pos;
        let (i, found) = match self.find(from) {
            Some((i, h)) => (i, Some(h)),
            None => (self.end, None),
        };
        let skipped = i - from;
        self.pos = i;
        if skipped == 0 {
            return Ok(found);
        }
        self.report.skipped_bytes += skipped as u64;
        match (found.is_some(), self.last.is_some()) {
            (true, true) => {
                self.report.resyncs += 1;
                self.damage(
                    from,
                    format!("{skipped} bytes that are not adts frames: skipped to the next frame"),
                )?;
            }
            (true, false) => self.report.warn(
                from,
                format!("{skipped} bytes before the first frame: skipped"),
            ),
            (false, true) => self.damage(
                from,
                format!("{skipped} bytes at the end are not adts frames: ignored"),
            )?,
            (false, false) => {}
        }
        Ok(found)
    }

    /// The next frame's header (at `self.pos`), in sync or after regaining it; `None` at the end.
    fn next_frame(&mut self) -> Result<Option<AdtsHeader>> {
        if self.pos >= self.end {
            return Ok(None);
        }
        let here = AdtsHeader::parse(&self.data[self.pos..self.end]).ok();
        if let Some(h) = here.filter(|h| self.last.is_some_and(|l| same_stream(&l, h))) {
            let len = usize::from(h.frame_length);
            if self.pos + len <= self.end {
                // In sync, a header of the stream is taken as it stands (as ffmpeg does):
                // junk after it is found, and reported, at the next frame.
                if header_at(&self.data[..self.end], self.pos).is_some() {
                    return Ok(Some(h));
                }
            } else if self.find(self.pos + 1).is_none() {
                // Nothing readable follows: the last frame of the file is cut short.
                let have = self.end - self.pos;
                self.report.truncated_last_frame = true;
                self.damage(
                    self.pos,
                    format!("last frame truncated ({have} of {len} bytes): dropped"),
                )?;
                self.pos = self.end;
                return Ok(None);
            }
        }
        self.sync()
    }

    /// Counts a frame that is not returned; time goes on by its samples, so the frames after
    /// it keep their times.
    fn drop_frame(&mut self, h: &AdtsHeader) {
        self.report.dropped_frames += 1;
        self.next_ticks += self.ticks(h) * (i64::from(h.raw_blocks) + 1);
    }

    /// One raw data block of `h`'s rate, in the track's time base.
    fn ticks(&self, h: &AdtsHeader) -> i64 {
        let samples = i64::from(SAMPLES_PER_RAW_BLOCK);
        let tb = self.tracks[0].time_base;
        TimeBase::per_second(h.sample_rate()).map_or(samples, |fb| fb.rescale(samples, tb))
    }

    /// Reads the frame at `self.pos` with header `h`: queues its blocks, or reports why not.
    fn take_frame(&mut self, h: AdtsHeader) -> Result<()> {
        let at = self.pos;
        let len = usize::from(h.frame_length);
        self.pos = at + len;
        let r = &mut self.report;
        r.frames += 1;
        r.frame_bytes += len as u64;
        r.first_frame_offset.get_or_insert(at as u64);
        r.first_header.get_or_insert(h);
        r.crc_frames += u64::from(!h.protection_absent);
        r.multi_block_frames += u64::from(h.raw_blocks > 0);
        if self.last.is_some_and(|l| !same_stream(&l, &h)) {
            let (config, strip) = match config_of(&h, &self.data[at..at + len], at) {
                Ok(c) => c,
                Err(e) => {
                    self.drop_frame(&h);
                    return self.damage(at, format!("frame dropped: {e}"));
                }
            };
            self.strip_next = strip;
            self.report.config_changes += 1;
            if config != self.tracks[0].codec {
                self.tracks[0].codec = config.clone();
                self.pending_config = Some(Arc::new(config));
            }
        }
        self.last = Some(h);
        let strip = std::mem::take(&mut self.strip_next);
        // One block (the common case) is cut without the splitter's allocation.
        let split = if h.raw_blocks == 0 {
            AdtsBlocks::Blocks(Vec::new())
        } else {
            frames::split_raw_blocks(&h, &self.data[at..at + len])
        };
        match split {
            AdtsBlocks::Blocks(blocks) => {
                self.queue.clear();
                if h.raw_blocks == 0 {
                    self.queue.push(at + h.header_len()..at + len);
                } else {
                    self.queue
                        .extend(blocks.into_iter().rev().map(|b| at + b.start..at + b.end));
                }
                if let Some(first) = self.queue.last_mut() {
                    first.start = (first.start + strip).min(first.end);
                }
                Ok(())
            }
            AdtsBlocks::Unsplittable => {
                self.drop_frame(&h);
                self.damage(
                    at,
                    format!(
                        "frame of {} raw data blocks without crc (no block positions to split it at): dropped",
                        u32::from(h.raw_blocks) + 1
                    ),
                )
            }
            AdtsBlocks::BadTable(why) => {
                self.drop_frame(&h);
                self.damage(at, format!("frame dropped: {why}"))
            }
        }
    }
}

impl Demuxer for AdtsDemuxer {
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

    fn next_packet(&mut self) -> Result<Option<Packet>> {
        let block = loop {
            if let Some(b) = self.queue.pop() {
                break b;
            }
            match self.next_frame()? {
                Some(h) => self.take_frame(h)?,
                None => return Ok(None),
            }
        };
        let Some(h) = self.last else {
            return Ok(None);
        };
        let samples = i64::from(SAMPLES_PER_RAW_BLOCK);
        let duration = self.ticks(&h);
        let mut p = Packet::new(0, Timestamp(self.next_ticks), self.data.slice(block));
        p.duration = Some(duration);
        p.flags.keyframe = true;
        if let Some(c) = self.pending_config.take() {
            p.flags.config_changed = true;
            p.config = Some(c);
        }
        self.next_ticks += duration;
        self.report.packets += 1;
        self.report.samples += samples as u64;
        Ok(Some(p))
    }
}

impl std::fmt::Debug for AdtsDemuxer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdtsDemuxer")
            .field("tracks", &self.tracks)
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}
