//! Walks an FLV file tag by tag: header, PreviousTagSize checks, truncation.
//!
//! This is the layer `inspect --tags` uses directly; [`super::FlvDemuxer`] builds tracks and
//! packets on top of it.

use bytes::Bytes;

use crate::error::Result;
use crate::io::{InputSource, Take};

use super::FlvError;
use super::header::FlvHeader;
use super::tag::FlvTagHeader;

/// How strictly to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlvReadOptions {
    /// Treat recoverable damage (a PreviousTagSize mismatch, an unknown tag type, an empty or
    /// unparsable tag body) as an error instead of a warning that skips it.
    pub strict: bool,
}

/// Something odd that was skipped or tolerated, with where it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlvWarning {
    /// The tag it concerns.
    pub tag_index: u64,
    /// Byte offset of the tag header (or of the field concerned).
    pub offset: u64,
    /// What happened.
    pub message: String,
}

/// What a read found besides packets: counters and the first warnings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlvReport {
    /// Tags read.
    pub tags: u64,
    /// PreviousTagSize fields that disagreed with the tag before them.
    pub previous_tag_size_mismatches: u64,
    /// Tags skipped because they were unknown, empty or damaged.
    pub skipped_tags: u64,
    /// End-of-sequence tags seen (not packets).
    pub end_of_sequence_tags: u64,
    /// Tags that carry neither frames nor configuration (video info/command frames, Enhanced
    /// RTMP video metadata and MPEG-2 TS sequence starts, audio multichannel configs).
    pub side_tags: u64,
    /// Sequence headers seen (including identical repeats).
    pub sequence_headers: u64,
    /// The file ended without the final PreviousTagSize.
    pub missing_final_previous_tag_size: bool,
    /// The input ended inside a tag (a recording cut short): where that tag starts and how
    /// many of its bytes were there. Everything before it was read (only without `strict`).
    pub truncated: Option<FlvTruncation>,
    /// Bytes skipped between tags to find the next plausible tag after garbage (not counting
    /// a truncated end).
    pub skipped_bytes: u64,
    /// Times reading resynced on the next plausible tag after garbage.
    pub resyncs: u64,
    /// Total warnings (only the first [`FlvReport::MAX_KEPT_WARNINGS`] are kept).
    pub warning_count: u64,
    /// The first warnings, in order.
    pub warnings: Vec<FlvWarning>,
}

impl FlvReport {
    /// Warnings kept in full; beyond this only the count grows, so a file damaged everywhere
    /// cannot grow the report without bound.
    pub const MAX_KEPT_WARNINGS: usize = 1000;

    pub(crate) fn warn(&mut self, tag_index: u64, offset: u64, message: String) {
        self.warning_count += 1;
        if self.warnings.len() < Self::MAX_KEPT_WARNINGS {
            self.warnings.push(FlvWarning {
                tag_index,
                offset,
                message,
            });
        }
    }
}

/// Where an input ended inside a tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlvTruncation {
    /// Index the incomplete tag would have had.
    pub tag_index: u64,
    /// Byte offset of its first byte (everything from here on is lost).
    pub offset: u64,
    /// Bytes of it that were there.
    pub available: u64,
}

/// Most bytes a resync looks through for the next plausible tag before it calls the rest of
/// the input unreadable; a file of garbage costs one bounded scan, not one per byte.
pub const MAX_RESYNC_SCAN: u64 = 64 * 1024 * 1024;

/// One tag as found in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlvTag {
    /// 0 for the first tag after the header.
    pub index: u64,
    /// Byte offset of the tag header in the input.
    pub offset: u64,
    /// The parsed 11-byte header.
    pub header: FlvTagHeader,
    /// The body (a zero-copy slice of mapped input).
    pub body: Bytes,
}

/// Reads tags in file order.
pub struct FlvTagReader {
    src: InputSource,
    header: FlvHeader,
    options: FlvReadOptions,
    next_index: u64,
    report: FlvReport,
    done: bool,
    /// A resync scan found no tag start before this offset: no need to look again.
    scanned_to: u64,
}

impl FlvTagReader {
    /// Reads the file header and PreviousTagSize0; fails when the input is not an FLV.
    pub fn new(mut src: InputSource, options: FlvReadOptions) -> Result<FlvTagReader> {
        let head = match src.take(FlvHeader::SIZE)? {
            Take::Full(b) | Take::Short(b) => b,
        };
        let header = FlvHeader::parse(&head)?;
        let mut report = FlvReport::default();
        let extra = u64::from(header.data_offset) - FlvHeader::SIZE as u64;
        if extra > 0 && src.skip(extra)? < extra {
            return Err(FlvError::Truncated {
                index: 0,
                offset: FlvHeader::SIZE as u64,
                part: "header padding",
                needed: extra,
                available: src.offset() - FlvHeader::SIZE as u64,
            }
            .into());
        }
        let offset = src.offset();
        match src.take(4)? {
            Take::Full(b) => {
                let v = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                if v != 0 {
                    report.warn(0, offset, format!("previous tag size 0 is {v}, expected 0"));
                }
            }
            Take::Short(b) if b.is_empty() => {}
            Take::Short(b) => {
                return Err(FlvError::Truncated {
                    index: 0,
                    offset,
                    part: "previous tag size",
                    needed: 4,
                    available: b.len() as u64,
                }
                .into());
            }
        }
        Ok(FlvTagReader {
            src,
            header,
            options,
            next_index: 0,
            report,
            done: false,
            scanned_to: 0,
        })
    }

    /// The file header.
    pub fn header(&self) -> &FlvHeader {
        &self.header
    }

    /// What the read found so far.
    pub fn report(&self) -> &FlvReport {
        &self.report
    }

    /// Mutable access for the demuxer layered on top, which adds its own warnings.
    pub(crate) fn report_mut(&mut self) -> &mut FlvReport {
        &mut self.report
    }

    /// The options in force.
    pub fn options(&self) -> FlvReadOptions {
        self.options
    }

    /// The input length when known (mapped files).
    pub fn input_len(&self) -> Option<u64> {
        self.src.len_hint()
    }

    /// The input ended inside the tag at `offset`: an error with `strict`, else the end of
    /// the input, recorded with a warning that says how much was lost.
    fn cut_short(&mut self, error: FlvError, index: u64, offset: u64) -> Result<Option<FlvTag>> {
        self.done = true;
        if self.options.strict {
            return Err(error.into());
        }
        let end = self.src.len_hint().unwrap_or(self.src.offset());
        let available = end.saturating_sub(offset);
        self.report.truncated = Some(FlvTruncation {
            tag_index: index,
            offset,
            available,
        });
        self.report.warn(
            index,
            offset,
            format!(
                "{error}: the input ends here; the {available} bytes of this last tag are dropped"
            ),
        );
        Ok(None)
    }

    /// Bytes left in the input from the current offset; `None` for a stream.
    fn remaining(&self) -> Option<u64> {
        self.src
            .len_hint()
            .map(|len| len.saturating_sub(self.src.offset()))
    }

    /// Whether a tag starts `ahead` bytes past the current offset: a known tag type (filter
    /// bit allowed), stream id 0, a body that fits, and its PreviousTagSize right after it (or,
    /// with `allow_end`, the end of the input right after the body). `None` when the input
    /// cannot look ahead (a stream).
    fn plausible_at(&mut self, ahead: u64, allow_end: bool) -> Result<Option<bool>> {
        let Some(remaining) = self.remaining() else {
            return Ok(None);
        };
        let Some(h) = self.src.peek(ahead, FlvTagHeader::SIZE)? else {
            return Ok(None);
        };
        if h.len() < FlvTagHeader::SIZE
            || !matches!(h[0] & 0x1F, 8 | 9 | 18)
            || h[0] & 0xC0 != 0
            || h[8..11] != [0, 0, 0]
        {
            return Ok(Some(false));
        }
        let size = u64::from(u32::from_be_bytes([0, h[1], h[2], h[3]]));
        let pts_at = ahead + FlvTagHeader::SIZE as u64 + size;
        // Decided by the length first: a size past the end needs no look at the bytes there
        // (and a mapped input no window moved for it).
        if pts_at == remaining {
            return Ok(Some(allow_end));
        }
        if pts_at + 4 > remaining {
            return Ok(Some(false));
        }
        let Some(pts) = self.src.peek(pts_at, 4)? else {
            return Ok(None);
        };
        Ok(Some(
            pts.len() == 4
                && u64::from(u32::from_be_bytes([pts[0], pts[1], pts[2], pts[3]])) == size + 11,
        ))
    }

    /// Looks for the next plausible tag after the bytes at the current offset, within
    /// [`MAX_RESYNC_SCAN`]: `Ok(Ok(distance))`, or `Ok(Err(scanned))` with how many bytes
    /// were looked through in vain.
    fn find_next_tag(&mut self) -> Result<std::result::Result<u64, u64>> {
        const CHUNK: usize = 64 * 1024;
        let mut base = 1u64;
        while base < MAX_RESYNC_SCAN {
            let Some(chunk) = self.src.peek(base, CHUNK)? else {
                return Ok(Err(base));
            };
            if chunk.is_empty() {
                return Ok(Err(base));
            }
            for (i, &b) in chunk.iter().enumerate() {
                if matches!(b & 0x1F, 8 | 9 | 18)
                    && b & 0xC0 == 0
                    && self.plausible_at(base + i as u64, false)? == Some(true)
                {
                    return Ok(Ok(base + i as u64));
                }
            }
            base += chunk.len() as u64;
        }
        Ok(Err(base))
    }

    /// Without `strict`, where the input can look ahead: when the bytes here are not a
    /// plausible tag (garbage spliced in), skips to the next plausible one, as ffmpeg does, and
    /// reports the skipped range. A tag whose only fault is its PreviousTagSize, or an unknown
    /// type with sizes that agree, is read as a tag (a warning, not a resync). Every byte is
    /// scanned at most once: a scan that finds nothing marks how far it looked.
    fn resync_if_damaged(&mut self) -> Result<()> {
        if self.options.strict || self.src.offset() < self.scanned_to {
            return Ok(());
        }
        let Some(remaining) = self.remaining() else {
            return Ok(());
        };
        let Some(h) = self.src.peek(0, FlvTagHeader::SIZE)? else {
            return Ok(());
        };
        if h.len() < FlvTagHeader::SIZE {
            // A cut header: the truncation path reports it.
            return Ok(());
        }
        let offset = self.src.offset();
        let known_type = matches!(h[0] & 0x1F, 8 | 9 | 18) && h[0] & 0xC0 == 0;
        let size = u64::from(u32::from_be_bytes([0, h[1], h[2], h[3]]));
        let body_end = FlvTagHeader::SIZE as u64 + size;
        let fits = body_end <= remaining;
        if fits {
            let pts_ok = body_end == remaining
                || (body_end + 4 <= remaining && {
                    let p = self.src.peek(body_end, 4)?.unwrap_or_default();
                    p.len() == 4
                        && u64::from(u32::from_be_bytes([p[0], p[1], p[2], p[3]])) == size + 11
                });
            if pts_ok {
                // A whole tag (of a type the packetizer may skip with a warning).
                return Ok(());
            }
            let next = body_end + 4;
            if known_type && (next >= remaining || self.plausible_at(next, true)? == Some(true)) {
                // Only its PreviousTagSize is off: read it, with a warning.
                return Ok(());
            }
        }
        match self.find_next_tag()? {
            Ok(skip) => {
                self.src.skip(skip)?;
                self.report.skipped_bytes += skip;
                self.report.resyncs += 1;
                self.report.warn(
                    self.next_index,
                    offset,
                    format!(
                        "{skip} bytes at byte {offset} are not a tag: skipped to the next tag at byte {}",
                        offset + skip
                    ),
                );
            }
            Err(scanned) => {
                self.scanned_to = offset + scanned;
                if !known_type {
                    // Not a tag, and none follows within the scan: skip what was looked at.
                    let skip = scanned.min(remaining);
                    self.src.skip(skip)?;
                    self.report.skipped_bytes += skip;
                    self.report.warn(
                        self.next_index,
                        offset,
                        format!(
                            "{skip} bytes at byte {offset} are not a tag, and no tag follows in them: skipped"
                        ),
                    );
                }
                // Otherwise read it as a tag: a PreviousTagSize warning, or the cut end.
            }
        }
        Ok(())
    }

    /// The offset of the next byte to read.
    pub fn offset(&self) -> u64 {
        self.src.offset()
    }

    /// The next tag, `Ok(None)` at the end of the input.
    pub fn next_tag(&mut self) -> Result<Option<FlvTag>> {
        if self.done {
            return Ok(None);
        }
        self.resync_if_damaged()?;
        let index = self.next_index;
        let offset = self.src.offset();
        let head = match self.src.take(FlvTagHeader::SIZE)? {
            Take::Full(b) => b,
            Take::Short(b) if b.is_empty() => {
                self.done = true;
                return Ok(None);
            }
            Take::Short(b) => {
                let e = FlvError::Truncated {
                    index,
                    offset,
                    part: "tag header",
                    needed: FlvTagHeader::SIZE as u64,
                    available: b.len() as u64,
                };
                return self.cut_short(e, index, offset);
            }
        };
        let mut h = [0u8; FlvTagHeader::SIZE];
        h.copy_from_slice(&head);
        let header = FlvTagHeader::parse(&h);
        let body = match self.src.take(header.data_size as usize)? {
            Take::Full(b) => b,
            Take::Short(b) => {
                let e = FlvError::Truncated {
                    index,
                    offset,
                    part: "tag body",
                    needed: u64::from(header.data_size),
                    available: b.len() as u64,
                };
                return self.cut_short(e, index, offset);
            }
        };
        let pts_offset = self.src.offset();
        match self.src.take(4)? {
            Take::Full(b) => {
                let found = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                let expected = header.data_size + FlvTagHeader::SIZE as u32;
                if found != expected {
                    let e = FlvError::PreviousTagSize {
                        index,
                        offset: pts_offset,
                        expected,
                        found,
                    };
                    if self.options.strict {
                        self.done = true;
                        return Err(e.into());
                    }
                    self.report.previous_tag_size_mismatches += 1;
                    self.report.warn(index, pts_offset, e.to_string());
                }
            }
            Take::Short(b) if b.is_empty() => {
                self.report.missing_final_previous_tag_size = true;
                self.done = true;
            }
            Take::Short(b) => {
                // The tag itself is whole: keep it, and end after it.
                let e = FlvError::Truncated {
                    index,
                    offset: pts_offset,
                    part: "previous tag size",
                    needed: 4,
                    available: b.len() as u64,
                };
                if self.options.strict {
                    self.done = true;
                    return Err(e.into());
                }
                self.done = true;
                self.report.missing_final_previous_tag_size = true;
                self.report.warn(index, pts_offset, e.to_string());
            }
        }
        self.next_index += 1;
        self.report.tags += 1;
        Ok(Some(FlvTag {
            index,
            offset,
            header,
            body,
        }))
    }
}
