//! Finding MPEG audio frames in a byte stream: sync words that are real frames, free-format
//! frame lengths.

use crate::codec::mpa::{MpegAudioHeader, MpegLayer};

/// The longest free-format frame looked for: 640 kb/s Layer III at 32 kHz is 2880 bytes, and
/// free format may go a little past the table; 8 KiB bounds the search for the next header.
pub const MAX_FREE_FORMAT_FRAME: usize = 8192;

/// Whether two headers belong to one stream (a frame may change bitrate, padding and channel
/// mode, never version, layer or sample rate).
pub(crate) fn same_stream(a: &MpegAudioHeader, b: &MpegAudioHeader) -> bool {
    a.version == b.version && a.layer == b.layer && a.sample_rate == b.sample_rate
}

/// The padding slot's size: 4 bytes in Layer I, 1 in II and III.
fn padding_len(h: &MpegAudioHeader) -> usize {
    match (h.padding, h.layer) {
        (false, _) => 0,
        (true, MpegLayer::Layer1) => 4,
        (true, _) => 1,
    }
}

/// A frame found at a position.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Found {
    pub header: MpegAudioHeader,
    pub len: usize,
}

/// Remembers what the stream told it so far (the free-format frame length).
#[derive(Debug, Default)]
pub(crate) struct FrameFinder {
    /// A free-format stream's frame length without padding, once measured.
    pub free_format_len: Option<usize>,
}

impl FrameFinder {
    /// The header at `pos` and its frame length, if one is there; the length may run past
    /// `end` (a truncated frame).
    pub(crate) fn frame_at(&mut self, data: &[u8], pos: usize, end: usize) -> Option<Found> {
        let header = MpegAudioHeader::parse(data.get(pos..end)?).ok()?;
        let len = match header.frame_len() {
            Some(n) if n > MpegAudioHeader::LEN => n,
            Some(_) => return None,
            None => self.free_format_len(&header, data, pos, end)? + padding_len(&header),
        };
        Some(Found { header, len })
    }

    /// A free-format frame's length without padding: measured once, from this frame to the
    /// next header of the same stream that is also free format.
    fn free_format_len(
        &mut self,
        h: &MpegAudioHeader,
        data: &[u8],
        pos: usize,
        end: usize,
    ) -> Option<usize> {
        if let Some(n) = self.free_format_len {
            return Some(n);
        }
        let from = pos + MpegAudioHeader::LEN + 1;
        let to = end.min(pos + MAX_FREE_FORMAT_FRAME + padding_len(h) + 1);
        let mut i = from;
        while i < to {
            let k = memchr::memchr(0xFF, data.get(i..to)?)?;
            i += k;
            if let Ok(next) = MpegAudioHeader::parse(&data[i..end]) {
                if same_stream(h, &next) && next.bitrate.is_none() {
                    let n = (i - pos).checked_sub(padding_len(h))?;
                    self.free_format_len = Some(n);
                    return Some(n);
                }
            }
            i += 1;
        }
        None
    }

    /// A frame at `pos` whose successor confirms it: the next frame of the same stream starts
    /// right after it, or it ends exactly at `end`. Used to (re)gain sync, where a lone `FF Ex`
    /// in junk must not count as a frame.
    pub(crate) fn confirmed_at(&mut self, data: &[u8], pos: usize, end: usize) -> Option<Found> {
        let learned_before = self.free_format_len.is_some();
        let found = self.frame_at(data, pos, end);
        let confirmed = found.filter(|f| {
            let next = pos + f.len;
            next == end
                || (next < end
                    && MpegAudioHeader::parse(&data[next..end])
                        .is_ok_and(|n| same_stream(&f.header, &n)))
        });
        if confirmed.is_none() && !learned_before {
            // A free-format length measured from junk must not stick.
            self.free_format_len = None;
        }
        confirmed
    }
}
