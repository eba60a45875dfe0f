//! `.aac` files: AAC in ADTS frames (ISO/IEC 14496-3 §1.A.2, and ISO/IEC 13818-7 for the
//! MPEG-2 `ID` bit), with the tags writers put around them (an ID3v2 tag first, an APE tag and
//! an ID3v1 tag last).
//!
//! | file | job |
//! |---|---|
//! | frames.rs | finding frames (sync words confirmed by the next header), splitting a frame into its raw data blocks, the APE footer |
//! | demux.rs | [`AdtsDemuxer`]: frames -> raw AAC packets in 1/sample_rate |
//! | report.rs | [`AdtsReadOptions`], [`AdtsReport`]: what was read, skipped and noticed |
//!
//! The header itself is [`crate::codec::aac::AdtsHeader`].

mod demux;
mod frames;
mod report;

pub use demux::{AdtsDemuxer, SAMPLES_PER_RAW_BLOCK};
pub use frames::{AdtsBlocks, MAX_ADTS_RAW_BLOCKS, split_raw_blocks};
pub use report::{AdtsReadOptions, AdtsReport, AdtsWarning};

/// Frames [`looks_like_adts`] wants in a row (the first confirmed by the next ones), fewer
/// when the input ends first: one 12-bit sync word with layer 0 is 1 in 16384 of random
/// pairs of bytes, three chained by their lengths practically never are.
const PROBE_FRAMES: usize = 3;

/// Where the audio of `head` would start: after an ID3v2 tag whose header is at byte 0 (its
/// size read from the header; the tag may run past `head`).
fn after_id3v2(head: &[u8]) -> usize {
    match head {
        [b'I', b'D', b'3', major, _, flags, s @ ..] if *major < 0xFF && s.len() >= 4 => {
            if s[..4].iter().any(|b| b & 0x80 != 0) {
                return 0;
            }
            let size = s[..4]
                .iter()
                .fold(0usize, |acc, &b| (acc << 7) | usize::from(b));
            let footer = if flags & 0x10 != 0 { 10 } else { 0 };
            10 + size + footer
        }
        _ => 0,
    }
}

/// Whether `head` (the first bytes of an input) is an ADTS stream: after an optional ID3v2
/// tag, an ADTS header within the first KiB followed by two more, each where
/// the one before says it ends (or the input ends there). MPEG audio (layer bits not 0) and
/// random bytes fail the chain.
pub fn looks_like_adts(head: &[u8]) -> bool {
    let start = after_id3v2(head);
    if start >= head.len() {
        return false;
    }
    let limit = head.len().min(start.saturating_add(1024));
    let mut i = start;
    while let Some(k) = head.get(i..limit).and_then(|h| memchr::memchr(0xFF, h)) {
        i += k;
        if chain_at(head, i) {
            return true;
        }
        i += 1;
    }
    false
}

/// [`PROBE_FRAMES`] frames chained from `pos`, or fewer ending exactly at the end of `data`
/// (at least two either way, so one lone header is never enough).
fn chain_at(data: &[u8], pos: usize) -> bool {
    let mut at = pos;
    let mut n = 0;
    while n < PROBE_FRAMES {
        if at == data.len() {
            return n >= 2;
        }
        let Some(h) = frames::header_at(data, at) else {
            // A header cut by the end of the probe still counts once two frames chained.
            return n >= 2 && data.len() - at < crate::codec::aac::AdtsHeader::LEN_WITH_CRC;
        };
        at += usize::from(h.frame_length);
        n += 1;
        if at > data.len() {
            // The frame runs past the probe: chained so far.
            return n >= 2;
        }
    }
    true
}

#[cfg(test)]
mod tests;
