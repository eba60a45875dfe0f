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

    /// The next tag, `Ok(None)` at the end of the input.
    pub fn next_tag(&mut self) -> Result<Option<FlvTag>> {
        if self.done {
            return Ok(None);
        }
        let index = self.next_index;
        let offset = self.src.offset();
        let head = match self.src.take(FlvTagHeader::SIZE)? {
            Take::Full(b) => b,
            Take::Short(b) if b.is_empty() => {
                self.done = true;
                return Ok(None);
            }
            Take::Short(b) => {
                self.done = true;
                return Err(FlvError::Truncated {
                    index,
                    offset,
                    part: "tag header",
                    needed: FlvTagHeader::SIZE as u64,
                    available: b.len() as u64,
                }
                .into());
            }
        };
        let mut h = [0u8; FlvTagHeader::SIZE];
        h.copy_from_slice(&head);
        let header = FlvTagHeader::parse(&h);
        let body = match self.src.take(header.data_size as usize)? {
            Take::Full(b) => b,
            Take::Short(b) => {
                self.done = true;
                return Err(FlvError::Truncated {
                    index,
                    offset,
                    part: "tag body",
                    needed: u64::from(header.data_size),
                    available: b.len() as u64,
                }
                .into());
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
                self.done = true;
                return Err(FlvError::Truncated {
                    index,
                    offset: pts_offset,
                    part: "previous tag size",
                    needed: 4,
                    available: b.len() as u64,
                }
                .into());
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
