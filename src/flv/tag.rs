//! The 11-byte FLV tag header (Adobe FLV spec v10.1, E.4.1 "FLV Tag").

use std::fmt;

use bytes::BufMut;

/// A tag's type code: an open newtype, so an unknown type read from a file keeps its value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlvTagType(pub u8);

impl FlvTagType {
    /// Audio data (8).
    pub const AUDIO: FlvTagType = FlvTagType(8);
    /// Video data (9).
    pub const VIDEO: FlvTagType = FlvTagType(9);
    /// Script data: AMF0 name + value (18).
    pub const SCRIPT: FlvTagType = FlvTagType(18);

    /// "audio", "video", "script", or "type N".
    pub fn name(self) -> String {
        match self {
            FlvTagType::AUDIO => "audio".into(),
            FlvTagType::VIDEO => "video".into(),
            FlvTagType::SCRIPT => "script".into(),
            FlvTagType(n) => format!("type {n}"),
        }
    }
}

impl fmt::Debug for FlvTagType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl fmt::Display for FlvTagType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The fixed part in front of every tag body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlvTagHeader {
    /// The Filter bit: the body is encrypted (FMRMS/Adobe Access); muxkit passes such tags
    /// through without interpreting them.
    pub filter: bool,
    /// Audio, video, script or unknown.
    pub tag_type: FlvTagType,
    /// Length of the body that follows.
    pub data_size: u32,
    /// Decode timestamp in milliseconds: 24 bits plus the 8-bit extension as the high byte.
    pub timestamp: u32,
    /// StreamID; always 0 in files.
    pub stream_id: u32,
}

impl FlvTagHeader {
    /// Size on the wire.
    pub const SIZE: usize = 11;
    /// The largest body DataSize can describe.
    pub const MAX_DATA_SIZE: u32 = 0x00FF_FFFF;

    /// Parses the 11 header bytes.
    pub fn parse(b: &[u8; Self::SIZE]) -> FlvTagHeader {
        FlvTagHeader {
            filter: b[0] & 0x20 != 0,
            tag_type: FlvTagType(b[0] & 0x1F),
            data_size: u32::from_be_bytes([0, b[1], b[2], b[3]]),
            timestamp: u32::from_be_bytes([b[7], b[4], b[5], b[6]]),
            stream_id: u32::from_be_bytes([0, b[8], b[9], b[10]]),
        }
    }

    /// Writes the 11 header bytes. `data_size` must fit 24 bits (checked by the muxer).
    pub fn write_to(&self, out: &mut impl BufMut) {
        out.put_u8(u8::from(self.filter) << 5 | (self.tag_type.0 & 0x1F));
        out.put_uint(u64::from(self.data_size & Self::MAX_DATA_SIZE), 3);
        out.put_uint(u64::from(self.timestamp & 0x00FF_FFFF), 3);
        out.put_u8((self.timestamp >> 24) as u8);
        out.put_uint(u64::from(self.stream_id & 0x00FF_FFFF), 3);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_timestamp_is_the_high_byte() {
        let h = FlvTagHeader {
            filter: false,
            tag_type: FlvTagType::VIDEO,
            data_size: 0x012345,
            timestamp: 0x8765_4321,
            stream_id: 0,
        };
        let mut v = Vec::new();
        h.write_to(&mut v);
        assert_eq!(v, [9, 0x01, 0x23, 0x45, 0x65, 0x43, 0x21, 0x87, 0, 0, 0]);
        assert_eq!(FlvTagHeader::parse(&v.try_into().unwrap()), h);
    }
}
