//! The 10-byte tag header and footer (id3v2.4.0-structure §3.1, §3.4) and the extended header
//! (§3.2; id3v2.3.0 §3.2).

use super::error::Id3Error;
use super::sync::{decode_synchsafe, encode_synchsafe};

/// The tag's version: `major` 2, 3 or 4 (ID3v2.2, 2.3, 2.4) and its revision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Id3Version {
    /// 2, 3 or 4.
    pub major: u8,
    /// Revision; backwards compatible within a major version.
    pub revision: u8,
}

/// The header's flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Id3TagFlags {
    /// `a`: unsynchronisation applied (v2.2/2.3: to the whole tag; v2.4: to every frame).
    pub unsynchronisation: bool,
    /// `b`: an extended header follows (v2.2: compression, which no decoder supports).
    pub extended_header: bool,
    /// `c`: experimental.
    pub experimental: bool,
    /// `d` (v2.4): a footer follows the tag.
    pub footer: bool,
}

/// A parsed header (or footer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TagHeader {
    pub version: Id3Version,
    pub flags: Id3TagFlags,
    /// Bytes after the header: extended header, frames and padding (not the footer).
    pub size: usize,
}

impl TagHeader {
    pub const LEN: usize = 10;

    /// Parses a header (`ID3`) or, with `footer`, a footer (`3DI`).
    pub fn parse(data: &[u8], footer: bool) -> Result<TagHeader, Id3Error> {
        let what = if footer { "footer" } else { "header" };
        let h = data.get(..Self::LEN).ok_or(Id3Error::Truncated {
            what,
            offset: data.len(),
        })?;
        let magic: &[u8] = if footer { b"3DI" } else { b"ID3" };
        if &h[..3] != magic {
            return Err(Id3Error::invalid(
                what,
                0,
                format!(
                    "no {:?} identifier",
                    std::str::from_utf8(magic).unwrap_or("?")
                ),
            ));
        }
        let (major, revision) = (h[3], h[4]);
        if !(2..=4).contains(&major) || revision == 0xFF {
            return Err(Id3Error::invalid(
                what,
                3,
                format!("unsupported version 2.{major}.{revision}"),
            ));
        }
        let f = h[5];
        let size = decode_synchsafe(&h[6..10])
            .ok_or_else(|| Id3Error::invalid(what, 6, "tag size is not synchsafe"))?;
        Ok(TagHeader {
            version: Id3Version { major, revision },
            flags: Id3TagFlags {
                unsynchronisation: f & 0x80 != 0,
                extended_header: f & 0x40 != 0,
                experimental: f & 0x20 != 0,
                footer: major == 4 && f & 0x10 != 0,
            },
            size: size as usize,
        })
    }

    /// Writes the header (or, with `footer`, the footer). `None` when the size needs more than
    /// 28 bits.
    pub fn to_bytes(self, footer: bool) -> Option<[u8; 10]> {
        let size = encode_synchsafe(u32::try_from(self.size).ok()?)?;
        let magic = if footer { b"3DI" } else { b"ID3" };
        let f = &self.flags;
        let flags = (u8::from(f.unsynchronisation) << 7)
            | (u8::from(f.extended_header) << 6)
            | (u8::from(f.experimental) << 5)
            | (u8::from(f.footer) << 4);
        Some([
            magic[0],
            magic[1],
            magic[2],
            self.version.major,
            self.version.revision,
            flags,
            size[0],
            size[1],
            size[2],
            size[3],
        ])
    }
}

/// Skips the extended header at the start of `body` (the bytes after the header), returning its
/// length. v2.3 states its size without the 4 size bytes, v2.4 with them (synchsafe); either way
/// it must fit in the tag.
pub(crate) fn extended_header_len(major: u8, body: &[u8]) -> Result<usize, Id3Error> {
    const WHAT: &str = "extended header";
    let size = body.get(..4).ok_or(Id3Error::Truncated {
        what: WHAT,
        offset: body.len(),
    })?;
    let len = match major {
        3 => u32::from_be_bytes([size[0], size[1], size[2], size[3]]) as u64 + 4,
        4 => decode_synchsafe(size)
            .ok_or_else(|| Id3Error::invalid(WHAT, 0, "size is not synchsafe"))?,
        _ => {
            return Err(Id3Error::invalid(
                WHAT,
                0,
                "id3v2.2 compression flag set: no decoder can read a compressed v2.2 tag",
            ));
        }
    };
    if len < 6 || len > body.len() as u64 {
        return Err(Id3Error::invalid(
            WHAT,
            0,
            format!(
                "size {len} does not fit the {} bytes of the tag",
                body.len()
            ),
        ));
    }
    Ok(len as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_errors() {
        let h = TagHeader::parse(b"ID3\x04\x00\x50\x00\x00\x02\x01", false).unwrap();
        assert_eq!(
            h.version,
            Id3Version {
                major: 4,
                revision: 0
            }
        );
        assert!(h.flags.extended_header && h.flags.footer && !h.flags.unsynchronisation);
        assert_eq!(h.size, 257);
        assert_eq!(
            &h.to_bytes(false).unwrap(),
            b"ID3\x04\x00\x50\x00\x00\x02\x01"
        );
        assert_eq!(&h.to_bytes(true).unwrap()[..3], b"3DI");
        assert!(TagHeader::parse(b"ID3\x05\x00\x00\x00\x00\x00\x00", false).is_err());
        assert!(TagHeader::parse(b"ID3\x03\x00\x00\x00\x80\x00\x00", false).is_err());
        assert!(matches!(
            TagHeader::parse(b"ID3\x03", false),
            Err(Id3Error::Truncated { .. })
        ));
        // The footer flag means nothing before v2.4.
        let h = TagHeader::parse(b"ID3\x03\x00\x10\x00\x00\x00\x00", false).unwrap();
        assert!(!h.flags.footer);
    }

    #[test]
    fn absurd_extended_header_sizes_are_errors() {
        assert_eq!(
            extended_header_len(3, &[0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 1, 2]).unwrap(),
            10
        );
        assert_eq!(extended_header_len(4, &[0, 0, 0, 6, 1, 0]).unwrap(), 6);
        let e = extended_header_len(3, &[0x7F, 0xFF, 0xFF, 0xFF, 0, 0]).unwrap_err();
        assert!(e.to_string().contains("does not fit"), "{e}");
        assert!(extended_header_len(4, &[0, 0, 0, 2, 0, 0]).is_err());
        assert!(extended_header_len(2, &[0; 10]).is_err());
    }
}
