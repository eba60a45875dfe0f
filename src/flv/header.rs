//! The 9-byte FLV file header (Adobe FLV spec v10.1, E.2 "The FLV header").

use bytes::BufMut;

use super::FlvError;

/// The FLV file header: signature, version, which streams are present, where the body starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlvHeader {
    /// File version; 1 for every FLV in the wild.
    pub version: u8,
    /// TypeFlagsAudio: the file claims to carry audio (often wrong; never trusted alone).
    pub has_audio: bool,
    /// TypeFlagsVideo: the file claims to carry video.
    pub has_video: bool,
    /// DataOffset: byte offset of the body (of PreviousTagSize0), normally 9.
    pub data_offset: u32,
}

impl FlvHeader {
    /// Size of the header on the wire.
    pub const SIZE: usize = 9;
    /// The signature every FLV starts with.
    pub const SIGNATURE: [u8; 3] = *b"FLV";

    /// A version-1 header announcing the given streams, body right after the header.
    pub fn new(has_audio: bool, has_video: bool) -> FlvHeader {
        FlvHeader {
            version: 1,
            has_audio,
            has_video,
            data_offset: Self::SIZE as u32,
        }
    }

    /// Parses the header from the first bytes of a file.
    pub fn parse(data: &[u8]) -> Result<FlvHeader, FlvError> {
        if data.len() >= 3 && data[..3] != Self::SIGNATURE {
            return Err(FlvError::NotFlv {
                found: data[..3].to_vec(),
            });
        }
        if data.len() < Self::SIZE {
            if data.len() < 3 && !Self::SIGNATURE.starts_with(data) {
                return Err(FlvError::NotFlv {
                    found: data.to_vec(),
                });
            }
            return Err(FlvError::TruncatedHeader { len: data.len() });
        }
        let flags = data[4];
        let data_offset = u32::from_be_bytes([data[5], data[6], data[7], data[8]]);
        if (data_offset as usize) < Self::SIZE {
            return Err(FlvError::BadDataOffset { data_offset });
        }
        Ok(FlvHeader {
            version: data[3],
            has_audio: flags & 0x04 != 0,
            has_video: flags & 0x01 != 0,
            data_offset,
        })
    }

    /// Writes the 9 header bytes (the caller writes PreviousTagSize0 after it).
    pub fn write_to(&self, out: &mut impl BufMut) {
        out.put_slice(&Self::SIGNATURE);
        out.put_u8(self.version);
        out.put_u8(u8::from(self.has_audio) << 2 | u8::from(self.has_video));
        out.put_u32(self.data_offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let h = FlvHeader::new(true, true);
        let mut v = Vec::new();
        h.write_to(&mut v);
        assert_eq!(v, [b'F', b'L', b'V', 1, 5, 0, 0, 0, 9]);
        assert_eq!(FlvHeader::parse(&v).unwrap(), h);
    }

    #[test]
    fn errors() {
        assert!(matches!(
            FlvHeader::parse(b"GIF89a..."),
            Err(FlvError::NotFlv { .. })
        ));
        assert!(matches!(
            FlvHeader::parse(b"FLV\x01\x05"),
            Err(FlvError::TruncatedHeader { len: 5 })
        ));
        assert!(matches!(
            FlvHeader::parse(b"FL"),
            Err(FlvError::TruncatedHeader { len: 2 })
        ));
        assert!(matches!(
            FlvHeader::parse(b"X"),
            Err(FlvError::NotFlv { .. })
        ));
        assert!(matches!(
            FlvHeader::parse(b""),
            Err(FlvError::TruncatedHeader { len: 0 })
        ));
        assert!(matches!(
            FlvHeader::parse(b"FLV\x01\x05\x00\x00\x00\x05"),
            Err(FlvError::BadDataOffset { data_offset: 5 })
        ));
        let e = FlvHeader::parse(b"GIF89a...").unwrap_err().to_string();
        assert!(e.contains("byte 0"), "{e}");
    }
}
