//! Finding ADTS frames in a byte stream and cutting them into raw data blocks.

use std::ops::Range;

use crate::codec::aac::AdtsHeader;

/// `number_of_raw_data_blocks_in_frame` is 2 bits: a frame holds at most 4 raw data blocks.
pub const MAX_ADTS_RAW_BLOCKS: usize = 4;

/// Bytes of the CRC after each raw data block (and after the header) in a protected frame.
const CRC_LEN: usize = 2;

/// The header at `pos` if it is one a frame can start with: a payload of at least one byte
/// after the header (a raw data block ends with a 3-bit `ID_END`, so it is never empty), and
/// for a protected frame of several blocks, room for the block position table and the CRCs.
pub(crate) fn header_at(data: &[u8], pos: usize) -> Option<AdtsHeader> {
    let h = AdtsHeader::parse(data.get(pos..)?).ok()?;
    let blocks = usize::from(h.raw_blocks) + 1;
    let least = if blocks == 1 {
        h.header_len() + 1
    } else if h.protection_absent {
        AdtsHeader::LEN + 1
    } else {
        // Header, position table, header CRC, then per block a byte and its CRC.
        AdtsHeader::LEN + 2 * (blocks - 1) + CRC_LEN + blocks * (1 + CRC_LEN)
    };
    (usize::from(h.frame_length) >= least).then_some(h)
}

/// Whether two headers belong to one stream as far as the track is concerned: the fields an
/// AudioSpecificConfig is made of, and the MPEG ID bit (which does not change the payload,
/// but an encoder never flips it mid-stream).
pub(crate) fn same_stream(a: &AdtsHeader, b: &AdtsHeader) -> bool {
    a.mpeg2 == b.mpeg2
        && a.object_type == b.object_type
        && a.sampling_index == b.sampling_index
        && a.channel_config == b.channel_config
}

/// A frame at `pos` that the next header confirms (or that ends exactly at `end`): what
/// regaining sync accepts, so that a lone `FF Fx` in junk never counts as a frame.
pub(crate) fn confirmed_at(data: &[u8], pos: usize, end: usize) -> Option<AdtsHeader> {
    let h = header_at(data.get(..end)?, pos)?;
    let next = pos + usize::from(h.frame_length);
    (next == end || (next < end && header_at(&data[..end], next).is_some())).then_some(h)
}

/// Where the raw data blocks of one ADTS frame are, relative to the frame's start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdtsBlocks {
    /// The raw data blocks, without header, position table and CRCs, in order.
    Blocks(Vec<Range<usize>>),
    /// Several blocks in a frame without CRC: nothing says where one ends and the next
    /// begins (only decoding the AAC syntax would), so the frame cannot be split.
    Unsplittable,
    /// The position table of a protected frame is inconsistent (why, lowercase).
    BadTable(String),
}

/// Cuts a whole ADTS frame (`frame.len() == frame_length`) into its raw data blocks
/// (ISO/IEC 14496-3 §1.A.2.2: `adts_frame()`).
///
/// - one block: what follows the header (and its CRC);
/// - several blocks with `protection_absent` = 0: `adts_header_error_check()` holds
///   `raw_data_block_position[1..=n]` and a CRC; each block ends with a 16-bit CRC. A position
///   is the block's byte offset from the start of the first block, as the Fraunhofer FDK
///   decoder reads it (`tpdec_adts.c`). The positions must increase and leave each block at
///   least one byte before its CRC;
/// - several blocks without CRC: [`AdtsBlocks::Unsplittable`].
///
/// The CRCs are skipped, not verified: the ADTS CRC covers the header and, per channel
/// element, the first bits of its coded data (§1.A.2.2.3 refers to the element-wise
/// protected regions), so checking it means parsing the AAC syntax elements.
pub fn split_raw_blocks(h: &AdtsHeader, frame: &[u8]) -> AdtsBlocks {
    let blocks = usize::from(h.raw_blocks) + 1;
    if blocks == 1 {
        return AdtsBlocks::Blocks(std::iter::once(h.header_len()..frame.len()).collect());
    }
    if h.protection_absent {
        return AdtsBlocks::Unsplittable;
    }
    let table = AdtsHeader::LEN;
    let first = table + 2 * (blocks - 1) + CRC_LEN;
    let Some(body) = frame.len().checked_sub(first) else {
        return AdtsBlocks::BadTable(format!(
            "{} bytes cannot hold the {first}-byte header and block table",
            frame.len()
        ));
    };
    let mut starts = Vec::with_capacity(MAX_ADTS_RAW_BLOCKS + 1);
    starts.push(0usize);
    for k in 0..blocks - 1 {
        let at = table + 2 * k;
        let p = frame
            .get(at..at + 2)
            .map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
        starts.push(p);
    }
    starts.push(body);
    let mut ranges = Vec::with_capacity(blocks);
    for w in starts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if b < a + 1 + CRC_LEN {
            return AdtsBlocks::BadTable(format!(
                "raw data block positions {:?} in a {body}-byte body leave a block without data",
                &starts[1..blocks]
            ));
        }
        ranges.push(first + a..first + b - CRC_LEN);
    }
    AdtsBlocks::Blocks(ranges)
}

/// An APE tag (v1 or v2) ending at `end`: found by its 32-byte footer `APETAGEX`, whose size
/// counts the items and the footer, plus a 32-byte header when its flags say there is one.
/// Returns the tag's start.
pub(crate) fn ape_tag_start(data: &[u8], from: usize, end: usize) -> Option<usize> {
    const FOOTER: usize = 32;
    let footer_at = end.checked_sub(FOOTER)?;
    if footer_at < from {
        return None;
    }
    let f = data.get(footer_at..end)?;
    if &f[..8] != b"APETAGEX" {
        return None;
    }
    let le = |at: usize| u32::from_le_bytes([f[at], f[at + 1], f[at + 2], f[at + 3]]);
    let size = usize::try_from(le(12)).ok()?;
    let header = if le(20) & 0x8000_0000 != 0 { FOOTER } else { 0 };
    let start = end.checked_sub(size.checked_add(header)?)?;
    (start >= from && size >= FOOTER).then_some(start)
}
