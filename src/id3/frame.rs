//! Frame headers and the transformations their flags ask for (id3v2-00 §3.2, id3v2.3.0 §3.3,
//! id3v2.4.0-structure §4.1).

use bytes::Bytes;

use super::content::{FrameContent, decode_content};
use super::error::Id3Error;
use super::sync::{decode_synchsafe, remove_unsynchronisation};
use super::{MAX_DECOMPRESSED_FRAME, MAX_FRAMES};

/// A frame id: three characters in v2.2 (`TT2`), four after (`TIT2`), `A-Z` and `0-9`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameId {
    bytes: [u8; 4],
    len: u8,
}

impl FrameId {
    /// A frame id from its characters; `None` unless 3 or 4 of `A-Z0-9`.
    pub fn new(id: &[u8]) -> Option<FrameId> {
        if !(3..=4).contains(&id.len())
            || !id
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return None;
        }
        let mut bytes = [0; 4];
        bytes[..id.len()].copy_from_slice(id);
        Some(FrameId {
            bytes,
            len: id.len() as u8,
        })
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters and digits are ever stored.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("????")
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Whether this is a three-character v2.2 id.
    pub fn is_v22(&self) -> bool {
        self.len == 3
    }
}

impl std::fmt::Debug for FrameId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.as_str())
    }
}

impl std::fmt::Display for FrameId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A frame's flags as read (v2.3 and v2.4; v2.2 frames have none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FrameFlags {
    /// Discard the frame when the tag is altered and the frame is unknown.
    pub tag_alter_discard: bool,
    /// Discard the frame when the file (audio) is altered and the frame is unknown.
    pub file_alter_discard: bool,
    /// Read only.
    pub read_only: bool,
    /// The grouping identity, when the frame belongs to a group.
    pub group: Option<u8>,
    /// The frame was stored zlib-compressed (its content here is decompressed).
    pub compressed: bool,
    /// The frame was stored unsynchronised (undone here).
    pub unsynchronised: bool,
}

/// One frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Id3Frame {
    /// Its id.
    pub id: FrameId,
    /// Its flags as read.
    pub flags: FrameFlags,
    /// Its decoded content.
    pub content: FrameContent,
}

/// How a frame list is read: the tag's major version, whether v2.4's tag-wide
/// unsynchronisation flag is set, the CHAP/CTOC nesting depth.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FrameContext {
    pub major: u8,
    pub tag_unsync: bool,
    pub depth: usize,
}

/// What reading a frame list found besides the frames.
#[derive(Debug, Default)]
pub(crate) struct FrameListReport {
    pub warnings: Vec<String>,
    /// Frame sizes were plain (not synchsafe) 32-bit integers in a v2.4 tag, as old iTunes wrote.
    pub plain_v24_sizes: bool,
    /// Bytes of padding after the last frame.
    pub padding: usize,
}

fn header_len(major: u8) -> usize {
    if major == 2 { 6 } else { 10 }
}

/// Whether a frame (or padding, or the end) can start at `at`.
fn plausible_frame_start(major: u8, data: &[u8], at: usize) -> bool {
    if at == data.len() {
        return true;
    }
    let id_len = if major == 2 { 3 } else { 4 };
    match data.get(at..at + id_len) {
        Some(id) => id[0] == 0 || FrameId::new(id).is_some(),
        None => data.get(at).is_some_and(|&b| b == 0),
    }
}

/// Reads the frames in `data` (the tag body after the extended header; for v2.2/2.3 with
/// tag-wide unsynchronisation already undone). `base` is `data`'s offset in the tag, for
/// messages.
pub(crate) fn read_frames(
    ctx: FrameContext,
    data: &[u8],
    base: usize,
    report: &mut FrameListReport,
) -> Result<Vec<Id3Frame>, Id3Error> {
    let hlen = header_len(ctx.major);
    let mut frames = Vec::new();
    let mut pos = 0;
    while pos + hlen <= data.len() {
        if data[pos] == 0 {
            // Padding: zeros to the end.
            report.padding = data.len() - pos;
            if data[pos..].iter().any(|&b| b != 0) {
                report.warnings.push(format!(
                    "non-zero bytes in the padding after byte {}: ignored",
                    base + pos
                ));
            }
            return Ok(frames);
        }
        if frames.len() >= MAX_FRAMES {
            return Err(Id3Error::TooLarge {
                what: "tag",
                field: "frame count",
                offset: base + pos,
                value: frames.len() as u64 + 1,
                limit: MAX_FRAMES as u64,
            });
        }
        let h = &data[pos..pos + hlen];
        let id_len = if ctx.major == 2 { 3 } else { 4 };
        let Some(id) = FrameId::new(&h[..id_len]) else {
            report.warnings.push(format!(
                "bytes at {} are not a frame id ({:02x?}): the rest of the tag is skipped",
                base + pos,
                &h[..id_len]
            ));
            return Ok(frames);
        };
        let size = match ctx.major {
            2 => u32::from_be_bytes([0, h[3], h[4], h[5]]) as usize,
            3 => u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as usize,
            _ => {
                let plain = u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as usize;
                match decode_synchsafe(&h[4..8]).map(|s| s as usize) {
                    Some(safe) if safe == plain => safe,
                    Some(safe) if plausible_frame_start(ctx.major, data, pos + hlen + safe) => safe,
                    // Old iTunes wrote v2.4 frame sizes as plain integers: take that reading
                    // when it is the one that lands on the next frame.
                    Some(safe) if !plausible_frame_start(ctx.major, data, pos + hlen + plain) => {
                        safe
                    }
                    _ => {
                        report.plain_v24_sizes = true;
                        plain
                    }
                }
            }
        };
        let body_start = pos + hlen;
        let Some(body) = data.get(body_start..body_start + size) else {
            report.warnings.push(format!(
                "frame {id} at byte {} states {size} bytes, past the end of the tag ({} left): dropped, and the rest of the tag with it",
                base + pos,
                data.len() - body_start
            ));
            return Ok(frames);
        };
        let flags = if ctx.major == 2 { [0, 0] } else { [h[8], h[9]] };
        match read_frame(ctx, id, flags, body, base + body_start) {
            Ok((frame, warning)) => {
                if let Some(w) = warning {
                    report.warnings.push(w);
                }
                frames.push(frame);
            }
            Err(e) => report.warnings.push(format!("{e}: frame dropped")),
        }
        pos = body_start + size;
    }
    if pos < data.len() && data[pos..].iter().any(|&b| b != 0) {
        report.warnings.push(format!(
            "{} bytes at {} are too short for a frame: ignored",
            data.len() - pos,
            base + pos
        ));
    }
    report.padding = data.len() - pos;
    Ok(frames)
}

/// One frame's body after its header: flags' extra bytes, unsynchronisation, decompression,
/// then the content. A content that cannot be decoded becomes `Undecodable` plus a warning.
fn read_frame(
    ctx: FrameContext,
    id: FrameId,
    raw_flags: [u8; 2],
    body: &[u8],
    offset: usize,
) -> Result<(Id3Frame, Option<String>), Id3Error> {
    const WHAT: &str = "frame";
    let mut flags = FrameFlags::default();
    let mut rest = body;
    let mut take = |n: usize, field: &str| -> Result<&[u8], Id3Error> {
        if rest.len() < n {
            return Err(Id3Error::invalid(
                WHAT,
                offset,
                format!(
                    "{id}: {} bytes cannot hold its {field} ({n} bytes)",
                    body.len()
                ),
            ));
        }
        let (a, b) = rest.split_at(n);
        rest = b;
        Ok(a)
    };
    let mut decompressed_size: Option<u64> = None;
    let mut encryption: Option<u8> = None;
    let mut unsync = false;
    match ctx.major {
        3 => {
            let (a, b) = (raw_flags[0], raw_flags[1]);
            flags.tag_alter_discard = a & 0x80 != 0;
            flags.file_alter_discard = a & 0x40 != 0;
            flags.read_only = a & 0x20 != 0;
            flags.compressed = b & 0x80 != 0;
            if flags.compressed {
                let s = take(4, "decompressed size")?;
                decompressed_size = Some(u64::from(u32::from_be_bytes([s[0], s[1], s[2], s[3]])));
            }
            if b & 0x40 != 0 {
                encryption = Some(take(1, "encryption method")?[0]);
            }
            if b & 0x20 != 0 {
                flags.group = Some(take(1, "group id")?[0]);
            }
        }
        4 => {
            let (a, b) = (raw_flags[0], raw_flags[1]);
            flags.tag_alter_discard = a & 0x40 != 0;
            flags.file_alter_discard = a & 0x20 != 0;
            flags.read_only = a & 0x10 != 0;
            if b & 0x40 != 0 {
                flags.group = Some(take(1, "group id")?[0]);
            }
            flags.compressed = b & 0x08 != 0;
            if b & 0x04 != 0 {
                encryption = Some(take(1, "encryption method")?[0]);
            }
            unsync = b & 0x02 != 0 || ctx.tag_unsync;
            if b & 0x01 != 0 {
                let s = take(4, "data length indicator")?;
                decompressed_size = Some(decode_synchsafe(s).ok_or_else(|| {
                    Id3Error::invalid(
                        WHAT,
                        offset,
                        format!("{id}: data length indicator is not synchsafe"),
                    )
                })?);
            }
            if flags.compressed && decompressed_size.is_none() {
                return Err(Id3Error::invalid(
                    WHAT,
                    offset,
                    format!("{id}: compressed without the data length indicator v2.4 requires"),
                ));
            }
        }
        _ => {}
    }
    flags.unsynchronised = unsync;
    let mut data = if unsync {
        Bytes::from(remove_unsynchronisation(rest))
    } else {
        Bytes::copy_from_slice(rest)
    };
    if let Some(method) = encryption {
        // Encrypted frames are opaque: keep them as they are (still compressed, if they were).
        return Ok((
            Id3Frame {
                id,
                flags,
                content: FrameContent::Encrypted { method, data },
            },
            None,
        ));
    }
    if flags.compressed {
        let declared = decompressed_size.unwrap_or(0);
        if declared > MAX_DECOMPRESSED_FRAME as u64 {
            return Err(Id3Error::TooLarge {
                what: WHAT,
                field: "decompressed size",
                offset,
                value: declared,
                limit: MAX_DECOMPRESSED_FRAME as u64,
            });
        }
        match miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&data, declared as usize) {
            Ok(v) => data = Bytes::from(v),
            Err(e) => {
                return Ok((
                    Id3Frame {
                        id,
                        flags,
                        content: FrameContent::Undecodable {
                            data,
                            reason: format!(
                                "zlib data does not inflate to {declared} bytes ({:?})",
                                e.status
                            ),
                        },
                    },
                    Some(format!(
                        "frame {id} at byte {offset}: compressed data does not inflate to its stated {declared} bytes: kept compressed"
                    )),
                ));
            }
        }
    }
    let (content, warning) = decode_content(ctx, id, data, offset);
    Ok((Id3Frame { id, flags, content }, warning))
}
