//! ISO BMFF boxes (ISO/IEC 14496-12 §4.2), one small file per box: `parse` reads its body,
//! `write_to` writes the whole box, and each file's tests round-trip it.
//!
//! Headers: a 32-bit size and a four-character type; size 1 means a 64-bit `largesize`
//! follows, size 0 means the box runs to the end of its parent; `uuid` boxes carry a 16-byte
//! extended type. Every child must end within its parent, and walking is bounded in depth
//! ([`MAX_BOX_DEPTH`]) and count ([`MAX_BOXES`]).

use bytes::BufMut;

use super::error::F4vError;

pub mod adobe;
pub mod ctts;
pub mod elst;
pub mod emsg;
pub mod esds;
pub mod ftyp;
pub mod hdlr;
pub mod mdhd;
pub mod mfhd;
pub mod mfra;
pub mod mvex;
pub mod mvhd;
pub mod sample_entry;
pub mod sidx;
pub mod stco;
pub mod stsc;
pub mod stss;
pub mod stsz;
pub mod stts;
pub mod tfdt;
pub mod tfhd;
pub mod tkhd;
pub mod trun;
pub mod vmhd;

/// How deep boxes may nest. Real files nest about eight deep (moov/trak/mdia/minf/stbl/stsd/
/// avc1/avcC); 32 leaves room for odd muxers while a file of 10,000 nested boxes costs nothing.
pub const MAX_BOX_DEPTH: usize = 32;

/// Most boxes one file may have (headers walked). Real files have a few hundred; the limit
/// bounds the work a file of tiny boxes can ask for.
pub const MAX_BOXES: usize = 100_000;

/// A box type: four bytes, usually ASCII.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BoxType(pub [u8; 4]);

impl BoxType {
    /// The type as text (non-ASCII bytes escaped).
    pub fn name(&self) -> String {
        self.0
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    char::from(b).to_string()
                } else {
                    format!("\\x{b:02x}")
                }
            })
            .collect()
    }
}

impl std::fmt::Debug for BoxType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl std::fmt::Display for BoxType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// A parsed box header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoxHeader {
    /// The type.
    pub box_type: BoxType,
    /// The file offset of the box's first byte.
    pub offset: u64,
    /// Bytes of the header (8, 16 with largesize, +16 with a uuid).
    pub header_len: u64,
    /// Bytes of the whole box.
    pub size: u64,
    /// The extended type of a `uuid` box.
    pub uuid: Option<[u8; 16]>,
}

impl BoxHeader {
    /// Where the body starts (file offset).
    pub fn body_start(&self) -> u64 {
        self.offset + self.header_len
    }

    /// Where the box ends (file offset).
    pub fn end(&self) -> u64 {
        self.offset + self.size
    }
}

/// Reads the box header at `data[pos..]`; `parent_end` is where the parent (or file) ends, and
/// `base` is `data[0]`'s file offset.
pub fn parse_header(
    data: &[u8],
    pos: usize,
    parent_end: usize,
    base: u64,
) -> Result<BoxHeader, F4vError> {
    let offset = base + pos as u64;
    let h = data
        .get(pos..pos + 8)
        .filter(|_| pos + 8 <= parent_end)
        .ok_or_else(|| F4vError::truncated("box header", offset))?;
    let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let box_type = BoxType([h[4], h[5], h[6], h[7]]);
    let (size, mut header_len) = match size32 {
        0 => ((parent_end - pos) as u64, 8u64),
        1 => {
            let l = data
                .get(pos + 8..pos + 16)
                .filter(|_| pos + 16 <= parent_end)
                .ok_or_else(|| F4vError::truncated(format!("{box_type} largesize"), offset))?;
            let large = u64::from_be_bytes([l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7]]);
            if large < 16 {
                return Err(F4vError::invalid(
                    box_type.name(),
                    offset,
                    format!("largesize {large} is smaller than its 16-byte header"),
                ));
            }
            (large, 16)
        }
        n if n < 8 => {
            return Err(F4vError::invalid(
                box_type.name(),
                offset,
                format!("size {n} is smaller than the 8-byte header"),
            ));
        }
        n => (u64::from(n), 8),
    };
    let mut uuid = None;
    if &box_type.0 == b"uuid" {
        let at = pos + header_len as usize;
        let u = data
            .get(at..at + 16)
            .filter(|_| at + 16 <= parent_end)
            .ok_or_else(|| F4vError::truncated("uuid box extended type", offset))?;
        let mut ext = [0u8; 16];
        ext.copy_from_slice(u);
        uuid = Some(ext);
        header_len += 16;
    }
    if size < header_len {
        return Err(F4vError::invalid(
            box_type.name(),
            offset,
            format!("size {size} is smaller than its header"),
        ));
    }
    if (pos as u64)
        .checked_add(size)
        .is_none_or(|end| end > parent_end as u64)
    {
        return Err(F4vError::invalid(
            box_type.name(),
            offset,
            format!(
                "box of {size} bytes runs past its parent, which ends at byte {}",
                base + parent_end as u64
            ),
        ));
    }
    Ok(BoxHeader {
        box_type,
        offset,
        header_len,
        size,
        uuid,
    })
}

/// The children of a container whose body is `data[start..end]`.
pub fn children(
    data: &[u8],
    start: usize,
    end: usize,
    base: u64,
) -> Result<Vec<BoxHeader>, F4vError> {
    let mut out = Vec::new();
    let mut pos = start;
    while pos < end {
        if end - pos < 8 {
            // Trailing bytes too short for a box (some muxers pad with zeros): ignored.
            break;
        }
        let h = parse_header(data, pos, end, base)?;
        pos += h.size as usize;
        out.push(h);
        if out.len() > MAX_BOXES {
            return Err(F4vError::TooLarge {
                what: "container".into(),
                field: "children",
                offset: base + start as u64,
                value: out.len() as u64,
                limit: MAX_BOXES as u64,
            });
        }
    }
    Ok(out)
}

/// Reads a full box's version and flags from the front of `body`.
pub fn full_box<'a>(
    body: &'a [u8],
    what: &str,
    offset: u64,
) -> Result<(u8, u32, &'a [u8]), F4vError> {
    let h = body
        .get(..4)
        .ok_or_else(|| F4vError::truncated(format!("{what} version and flags"), offset))?;
    Ok((h[0], u32::from_be_bytes([0, h[1], h[2], h[3]]), &body[4..]))
}

/// Writes a box: header (32-bit size, or 64-bit when needed) around what `body` writes.
pub fn write_box(out: &mut Vec<u8>, box_type: &[u8; 4], body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.put_u32(0);
    out.extend_from_slice(box_type);
    body(out);
    let size = out.len() - start;
    match u32::try_from(size) {
        Ok(n) => out[start..start + 4].copy_from_slice(&n.to_be_bytes()),
        Err(_) => {
            // Needs a largesize: insert 8 bytes after the type.
            let large = (size + 8) as u64;
            out[start..start + 4].copy_from_slice(&1u32.to_be_bytes());
            let tail = out.split_off(start + 8);
            out.extend_from_slice(&large.to_be_bytes());
            out.extend_from_slice(&tail);
        }
    }
}

/// Writes a full box: version and flags, then `body`.
pub fn write_full_box(
    out: &mut Vec<u8>,
    box_type: &[u8; 4],
    version: u8,
    flags: u32,
    body: impl FnOnce(&mut Vec<u8>),
) {
    write_box(out, box_type, |o| {
        o.put_u8(version);
        o.put_uint(u64::from(flags & 0xFF_FFFF), 3);
        body(o);
    });
}

/// The times at the start of `mvhd` and `mdhd` (creation and modification skipped): 32-bit in
/// version 0, 64-bit in version 1. Returns (timescale, duration).
pub(crate) fn header_times(r: &mut Reader<'_>, version: u8) -> Result<(u32, u64), F4vError> {
    if version == 1 {
        r.bytes(16)?;
        Ok((r.u32()?, r.u64()?))
    } else {
        r.bytes(8)?;
        Ok((r.u32()?, u64::from(r.u32()?)))
    }
}

/// Big-endian readers over a box body that fail with the box's name and offset.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    what: &'a str,
    offset: u64,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8], what: &'a str, offset: u64) -> Reader<'a> {
        Reader {
            data,
            pos: 0,
            what,
            offset,
        }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], F4vError> {
        let s = self
            .data
            .get(self.pos..self.pos + n)
            .ok_or_else(|| F4vError::truncated(self.what, self.offset + self.pos as u64))?;
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, F4vError> {
        Ok(self.bytes(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, F4vError> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, F4vError> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, F4vError> {
        let b = self.bytes(8)?;
        Ok(u64::from_be_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }

    /// A count of `each`-byte entries that must fit in what is left (a hostile count costs
    /// nothing: nothing is reserved before this check).
    pub(crate) fn count(&mut self, each: usize, field: &'static str) -> Result<usize, F4vError> {
        let n = self.u32()? as usize;
        let room = self.remaining() / each.max(1);
        if n > room {
            return Err(F4vError::invalid(
                self.what,
                self.offset,
                format!(
                    "{field} {n} needs {} bytes, the box has {}",
                    n.saturating_mul(each),
                    self.remaining()
                ),
            ));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_rules() {
        let mut d = Vec::new();
        write_box(&mut d, b"free", |o| o.extend_from_slice(&[0; 4]));
        let h = parse_header(&d, 0, d.len(), 100).unwrap();
        assert_eq!(
            (h.box_type, h.size, h.header_len, h.offset),
            (BoxType(*b"free"), 12, 8, 100)
        );
        // Size under 8.
        let e = parse_header(&[0, 0, 0, 4, b'f', b'r', b'e', b'e'], 0, 8, 0).unwrap_err();
        assert!(
            e.to_string().contains("smaller than the 8-byte header"),
            "{e}"
        );
        // Size 1 with a largesize under 16.
        let mut l = vec![0, 0, 0, 1, b'm', b'd', b'a', b't'];
        l.extend_from_slice(&8u64.to_be_bytes());
        assert!(
            parse_header(&l, 0, 16, 0)
                .unwrap_err()
                .to_string()
                .contains("largesize 8")
        );
        // Size 1 with a good largesize.
        let mut l = vec![0, 0, 0, 1, b'm', b'd', b'a', b't'];
        l.extend_from_slice(&20u64.to_be_bytes());
        l.extend_from_slice(&[1, 2, 3, 4]);
        let h = parse_header(&l, 0, 20, 0).unwrap();
        assert_eq!((h.size, h.header_len), (20, 16));
        // Size 0: to the end of the parent.
        let z = [0, 0, 0, 0, b'm', b'd', b'a', b't', 9, 9, 9];
        assert_eq!(parse_header(&z, 0, 11, 0).unwrap().size, 11);
        // A child running past its parent.
        let e = parse_header(&[0, 0, 0, 50, b'f', b'r', b'e', b'e'], 0, 8, 0).unwrap_err();
        assert!(e.to_string().contains("runs past its parent"), "{e}");
        // uuid.
        let mut u = vec![0, 0, 0, 28, b'u', b'u', b'i', b'd'];
        u.extend_from_slice(&[7; 16]);
        u.extend_from_slice(&[0; 4]);
        let h = parse_header(&u, 0, 28, 0).unwrap();
        assert_eq!((h.uuid, h.header_len), (Some([7; 16]), 24));
    }

    #[test]
    fn large_boxes_get_a_largesize_when_written() {
        let mut d = Vec::new();
        write_box(&mut d, b"test", |o| o.extend_from_slice(&[5; 10]));
        assert_eq!(&d[..4], &18u32.to_be_bytes());
    }

    #[test]
    fn counts_are_checked_against_the_box() {
        let body = [0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4];
        let mut r = Reader::new(&body, "stsz", 40);
        let e = r.count(4, "sample_count").unwrap_err().to_string();
        assert!(e.contains("sample_count 4294967295"), "{e}");
    }
}
