//! Splitting an Annex B byte stream (ISO/IEC 14496-10 Annex B, H.265 Annex B) into NAL units,
//! read from an [`InputSource`] a block at a time, so stdin streams as well as files.

use bytes::{Bytes, BytesMut};

use crate::error::{Error, Result};
use crate::io::{InputSource, Take};

/// Bytes read from the source at a time.
const BLOCK: usize = 1 << 20;

/// Largest NAL unit accepted, in bytes. The largest coded picture any H.264 or HEVC level
/// allows is far below this (level 6.2's MinCR bounds an 8K frame at a few tens of MB); a
/// "unit" longer than this is an input without start codes, and reading on would hold it all
/// in memory.
pub const MAX_NAL_SIZE: usize = 64 << 20;

/// One NAL unit and where its header byte lies in the input.
#[derive(Debug)]
pub(crate) struct Nal {
    pub data: Bytes,
    pub offset: u64,
    /// The unit ends the input (it may have been cut short).
    pub last: bool,
}

/// What the reader found next.
#[derive(Debug)]
pub(crate) enum NalEvent {
    Nal(Nal),
    /// Bytes before the first start code, which are no NAL unit.
    Garbage {
        offset: u64,
        len: u64,
    },
}

/// Reads NAL units one at a time.
pub(crate) struct NalReader {
    src: InputSource,
    /// Unread input; once `started`, it begins with the payload of a NAL unit.
    buf: BytesMut,
    /// Input offset of `buf[0]`.
    buf_offset: u64,
    /// Where the next start-code search in `buf` begins.
    scan: usize,
    eof: bool,
    started: bool,
}

/// The next `00 00 01` in `data` at or after `from`: the index of its first zero.
fn find_start_code(data: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(data.get(from..)?, &[0, 0, 1]).map(|k| from + k)
}

impl NalReader {
    pub(crate) fn new(src: InputSource) -> NalReader {
        NalReader {
            src,
            buf: BytesMut::new(),
            buf_offset: 0,
            scan: 0,
            eof: false,
            started: false,
        }
    }

    /// Reads one more block; false at the end of the input.
    fn fill(&mut self) -> Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let block = match self.src.take(BLOCK)? {
            Take::Full(b) => b,
            Take::Short(b) => {
                self.eof = true;
                b
            }
        };
        self.buf.extend_from_slice(&block);
        Ok(!block.is_empty() || !self.eof)
    }

    /// The next NAL unit or skipped range; `Ok(None)` at the end of the input.
    pub(crate) fn next(&mut self) -> Result<Option<NalEvent>> {
        if !self.started {
            return self.first();
        }
        loop {
            if let Some(code) = find_start_code(&self.buf, self.scan) {
                let offset = self.buf_offset;
                let unit = self.buf.split_to(code + 3);
                self.buf_offset += unit.len() as u64;
                self.scan = 0;
                let data = trim_zeros(unit.freeze(), code);
                if data.is_empty() {
                    continue;
                }
                return Ok(Some(NalEvent::Nal(Nal {
                    data,
                    offset,
                    last: false,
                })));
            }
            if self.buf.len() > MAX_NAL_SIZE {
                return Err(Error::InvalidInput(format!(
                    "nal unit at byte {} is longer than {MAX_NAL_SIZE} bytes (no start code follows it)",
                    self.buf_offset
                )));
            }
            self.scan = self.buf.len().saturating_sub(2);
            if !self.fill()? {
                let offset = self.buf_offset;
                let rest = std::mem::take(&mut self.buf);
                self.buf_offset += rest.len() as u64;
                let n = rest.len();
                let data = trim_zeros(rest.freeze(), n);
                if data.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(NalEvent::Nal(Nal {
                    data,
                    offset,
                    last: true,
                })));
            }
        }
    }

    /// Looks for the first start code; what precedes it is garbage.
    fn first(&mut self) -> Result<Option<NalEvent>> {
        let garbage_from = self.buf_offset;
        let mut skipped = 0u64;
        loop {
            if let Some(code) = find_start_code(&self.buf, 0) {
                // Zero bytes before the start code are leading_zero_8bits (B.1), not garbage.
                let mut end = code;
                while end > 0 && self.buf[end - 1] == 0 {
                    end -= 1;
                }
                skipped += end as u64;
                let _ = self.buf.split_to(code + 3);
                self.buf_offset += code as u64 + 3;
                self.started = true;
                if skipped > 0 {
                    return Ok(Some(NalEvent::Garbage {
                        offset: garbage_from,
                        len: skipped,
                    }));
                }
                return self.next();
            }
            // Keep the last two bytes: they may begin a start code.
            let drop = self.buf.len().saturating_sub(2);
            let _ = self.buf.split_to(drop);
            self.buf_offset += drop as u64;
            skipped += drop as u64;
            if !self.fill()? {
                let rest = self.buf.len() as u64;
                self.buf.clear();
                self.buf_offset += rest;
                let total = skipped + rest;
                if total == 0 {
                    return Ok(None);
                }
                self.started = true;
                return Ok(Some(NalEvent::Garbage {
                    offset: garbage_from,
                    len: total,
                }));
            }
        }
    }
}

/// The unit in `unit[..end]` without the zero bytes that end it (they belong to the next
/// start code, or are `trailing_zero_8bits`).
fn trim_zeros(mut unit: Bytes, end: usize) -> Bytes {
    let mut e = end.min(unit.len());
    while e > 0 && unit[e - 1] == 0 {
        e -= 1;
    }
    unit.truncate(e);
    unit
}
