//! The PES packet header (ISO/IEC 13818-1 §2.4.3.6 - §2.4.3.7): stream id, length, and the
//! PTS/DTS that time every access unit in a transport stream.

use bytes::BufMut;

use super::TsError;

const WHAT: &str = "pes header";

/// The 33-bit PTS/DTS counter's modulus.
const TIMESTAMP_MODULUS: u64 = 1 << 33;

/// A PES packet header.
///
/// Only the fields muxkit uses are modelled; the other optional fields (ESCR, ES rate, trick
/// mode, CRC, extension) are skipped over by `header_data_len` when parsing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[doc(alias = "PES")]
pub struct PesHeader {
    /// `stream_id` (0xE0..=0xEF video, 0xC0..=0xDF audio, 0xBD private stream 1, ...).
    pub stream_id: u8,
    /// `PES_packet_length`: bytes after this field; 0 means unbounded (video only, §2.4.3.7).
    pub packet_length: u16,
    /// `data_alignment_indicator`: the payload starts with an access unit (or a syntax
    /// element the stream type names).
    pub data_alignment: bool,
    /// Presentation timestamp, 33 bits of 90 kHz.
    pub pts: Option<u64>,
    /// Decode timestamp, 33 bits of 90 kHz; present only with a PTS.
    pub dts: Option<u64>,
    /// `PES_header_data_length`: bytes of optional fields and stuffing after it.
    pub header_data_len: u8,
}

impl PesHeader {
    /// `stream_id` of the first video stream.
    pub const VIDEO_STREAM_ID: u8 = 0xE0;
    /// `stream_id` of the first audio stream.
    pub const AUDIO_STREAM_ID: u8 = 0xC0;
    /// `private_stream_1`: AC-3 and other private formats.
    pub const PRIVATE_STREAM_1: u8 = 0xBD;
    /// `padding_stream`.
    pub const PADDING_STREAM: u8 = 0xBE;
    /// `private_stream_2`.
    pub const PRIVATE_STREAM_2: u8 = 0xBF;
    /// `metadata_stream` (§2.12.4): timed ID3 PES packets use it.
    pub const METADATA_STREAM: u8 = 0xFC;
    /// Bytes before `PES_header_data_length`'s fields: start code (3), stream_id, length (2),
    /// two flag bytes, the data length byte.
    pub const FIXED_LEN: usize = 9;
    /// Largest `PES_packet_length`.
    pub const MAX_PACKET_LENGTH: usize = 0xFFFF;

    /// Whether packets of `stream_id` have the optional header (flags, PTS/DTS) after the
    /// length (§2.4.3.6: every stream but these few carry it).
    pub fn has_optional_header(stream_id: u8) -> bool {
        !matches!(
            stream_id,
            0xBC | 0xBE | 0xBF | 0xF0 | 0xF1 | 0xF2 | 0xF8 | 0xFF
        )
    }

    /// Parses the header at the start of `data` (the first bytes of a PES packet), returning
    /// it and the offset of the payload.
    ///
    /// Checks the `00 00 01` start code and that `PES_header_data_length` and the PTS/DTS it
    /// announces fit the data. Marker bits, the `'10'` prefix and the `'0010'`/`'0011'`
    /// timestamp prefixes are not checked, as ffmpeg does not check them: writers get them
    /// wrong and the timestamps are still right. `PTS_DTS_flags` `01` (forbidden) reads as no
    /// timestamps.
    pub fn parse(data: &[u8]) -> Result<(PesHeader, usize), TsError> {
        let Some(&[a, b, c, stream_id, l0, l1]) = data.first_chunk::<6>() else {
            return Err(TsError::truncated(WHAT, 6, data.len()));
        };
        if [a, b, c] != [0, 0, 1] {
            return Err(TsError::invalid(
                WHAT,
                0,
                format!("start code {a:02x} {b:02x} {c:02x}, expected 00 00 01"),
            ));
        }
        let packet_length = u16::from_be_bytes([l0, l1]);
        let mut h = PesHeader {
            stream_id,
            packet_length,
            data_alignment: false,
            pts: None,
            dts: None,
            header_data_len: 0,
        };
        if !Self::has_optional_header(stream_id) {
            return Ok((h, 6));
        }
        let Some(&[_, _, _, _, _, _, f1, f2, hdl]) = data.first_chunk::<9>() else {
            return Err(TsError::truncated(WHAT, Self::FIXED_LEN, data.len()));
        };
        h.data_alignment = f1 & 0x04 != 0;
        h.header_data_len = hdl;
        let payload_offset = Self::FIXED_LEN + usize::from(hdl);
        if payload_offset > data.len() {
            return Err(TsError::truncated(WHAT, payload_offset, data.len()));
        }
        if packet_length != 0 && payload_offset > 6 + usize::from(packet_length) {
            return Err(TsError::invalid(
                WHAT,
                4,
                format!(
                    "PES_packet_length {packet_length} is shorter than the {}-byte header after it",
                    payload_offset - 6
                ),
            ));
        }
        let fields = &data[Self::FIXED_LEN..payload_offset];
        let needed = match f2 >> 6 {
            0b10 => 5,
            0b11 => 10,
            _ => 0,
        };
        if fields.len() < needed {
            return Err(TsError::invalid(
                WHAT,
                8,
                format!(
                    "PES_header_data_length {hdl} is too short for the {needed} bytes of pts/dts its flags announce"
                ),
            ));
        }
        if needed >= 5 {
            h.pts = Some(read_timestamp(&fields[..5]));
        }
        if needed == 10 {
            h.dts = Some(read_timestamp(&fields[5..10]));
        }
        Ok((h, payload_offset))
    }

    /// A header for one PES packet of `payload_len` bytes: PTS, and DTS only when it differs
    /// from the PTS (as ffmpeg writes), data alignment set (each PES starts an access unit).
    /// `packet_length` is 0 (unbounded) when the packet would exceed 65535 bytes after the
    /// length field, which the spec allows for video only: audio PES packets must be split
    /// by the caller. Timestamps are wrapped to 33 bits.
    pub fn for_stream(stream_id: u8, payload_len: usize, pts: u64, dts: Option<u64>) -> PesHeader {
        let pts = pts % TIMESTAMP_MODULUS;
        let dts = dts.map(|d| d % TIMESTAMP_MODULUS).filter(|&d| d != pts);
        let header_data_len: u8 = if dts.is_some() { 10 } else { 5 };
        let after_length = 3 + usize::from(header_data_len) + payload_len;
        PesHeader {
            stream_id,
            packet_length: u16::try_from(after_length).unwrap_or(0),
            data_alignment: true,
            pts: Some(pts),
            dts,
            header_data_len,
        }
    }

    /// Bytes `write_to` writes.
    pub fn encoded_len(&self) -> usize {
        if Self::has_optional_header(self.stream_id) {
            Self::FIXED_LEN + usize::from(self.header_data_len.max(self.timestamps_len()))
        } else {
            6
        }
    }

    fn timestamps_len(&self) -> u8 {
        match (self.pts, self.dts) {
            (Some(_), Some(_)) => 10,
            (Some(_), None) => 5,
            _ => 0,
        }
    }

    /// Writes the header: start code, stream id, `packet_length` as set, `'10'` marker,
    /// data alignment, `PTS_DTS_flags` `10` or `11` with their marker bits, and 0xFF stuffing
    /// up to `header_data_len` when that is longer than the timestamps. A DTS without a PTS
    /// cannot be expressed (flags `01` are forbidden) and is not written.
    pub fn write_to(&self, out: &mut impl BufMut) {
        out.put_slice(&[0, 0, 1, self.stream_id]);
        out.put_u16(self.packet_length);
        if !Self::has_optional_header(self.stream_id) {
            return;
        }
        let ts_len = self.timestamps_len();
        let hdl = self.header_data_len.max(ts_len);
        out.put_u8(0x80 | (u8::from(self.data_alignment) << 2));
        let flags = match ts_len {
            10 => 0xC0,
            5 => 0x80,
            _ => 0x00,
        };
        out.put_u8(flags);
        out.put_u8(hdl);
        if let Some(pts) = self.pts {
            let prefix = if ts_len == 10 { 0b0011 } else { 0b0010 };
            write_timestamp(prefix, pts, out);
            if let Some(dts) = self.dts {
                write_timestamp(0b0001, dts, out);
            }
        }
        out.put_bytes(0xFF, usize::from(hdl - ts_len));
    }
}

/// Reads a 5-byte PTS/DTS field: 3 + 15 + 15 bits around marker bits.
fn read_timestamp(b: &[u8]) -> u64 {
    (u64::from((b[0] >> 1) & 0x07) << 30)
        | (u64::from(b[1]) << 22)
        | (u64::from(b[2] >> 1) << 15)
        | (u64::from(b[3]) << 7)
        | u64::from(b[4] >> 1)
}

/// Writes a 5-byte PTS/DTS field with its 4-bit prefix and marker bits.
fn write_timestamp(prefix: u8, ts: u64, out: &mut impl BufMut) {
    let ts = ts % TIMESTAMP_MODULUS;
    out.put_slice(&[
        (prefix << 4) | (((ts >> 30) as u8 & 0x07) << 1) | 1,
        (ts >> 22) as u8,
        (((ts >> 15) as u8) << 1) | 1,
        (ts >> 7) as u8,
        ((ts as u8) << 1) | 1,
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_and_without_dts() {
        for (pts, dts) in [
            (0, None),
            (126_000, Some(123_000)),
            ((1 << 33) - 1, Some(0x1_5555_5555)),
            (0x1_2345_6789, None),
        ] {
            let h = PesHeader::for_stream(PesHeader::VIDEO_STREAM_ID, 1000, pts, dts);
            let mut out = Vec::new();
            h.write_to(&mut out);
            assert_eq!(out.len(), h.encoded_len());
            out.extend_from_slice(&[0xAB; 1000]);
            let (back, offset) = PesHeader::parse(&out).unwrap();
            assert_eq!(back, h);
            assert_eq!(offset, h.encoded_len());
            assert_eq!(usize::from(h.packet_length), out.len() - 6);
        }
    }

    #[test]
    fn marker_bits_and_known_bytes() {
        // PTS 126000 (ffmpeg's 1.4 s start), PTS only: 21 00 07 D8 61.
        let h = PesHeader::for_stream(PesHeader::AUDIO_STREAM_ID, 10, 126_000, Some(126_000));
        assert_eq!(h.dts, None);
        let mut out = Vec::new();
        h.write_to(&mut out);
        assert_eq!(
            out,
            [
                0, 0, 1, 0xC0, 0, 18, 0x84, 0x80, 5, 0x21, 0x00, 0x07, 0xD8, 0x61
            ]
        );
    }

    #[test]
    fn long_video_is_unbounded() {
        let h = PesHeader::for_stream(0xE0, 70_000, 0, None);
        assert_eq!(h.packet_length, 0);
        let h = PesHeader::for_stream(0xE0, 65535 - 8, 0, None);
        assert_eq!(h.packet_length, 65535);
    }

    #[test]
    fn stuffing_in_the_header_round_trips() {
        let mut h = PesHeader::for_stream(0xE0, 0, 90_000, None);
        h.header_data_len = 9;
        h.packet_length = 12;
        let mut out = Vec::new();
        h.write_to(&mut out);
        assert_eq!(out.len(), 18);
        assert_eq!(PesHeader::parse(&out).unwrap(), (h, 18));
    }

    #[test]
    fn damage_is_reported() {
        assert!(PesHeader::parse(&[0, 0, 2, 0xE0, 0, 0, 0x80, 0, 0]).is_err());
        assert!(PesHeader::parse(&[0, 0, 1, 0xE0, 0, 0, 0x80]).is_err());
        // header_data_len past the data
        assert!(PesHeader::parse(&[0, 0, 1, 0xE0, 0, 0, 0x80, 0x80, 20, 0x21]).is_err());
        // PTS flag with too short a header_data_len
        let e = PesHeader::parse(&[0, 0, 1, 0xE0, 0, 0, 0x80, 0x80, 2, 0x21, 0]).unwrap_err();
        assert!(e.to_string().contains("too short"), "{e}");
        // packet_length shorter than its header
        assert!(PesHeader::parse(&[0, 0, 1, 0xC0, 0, 4, 0x80, 0x80, 5, 0x21, 0, 1, 0, 1]).is_err());
        // padding stream: no optional header
        let (h, off) = PesHeader::parse(&[0, 0, 1, 0xBE, 0, 2, 0xFF, 0xFF]).unwrap();
        assert_eq!((h.pts, off), (None, 6));
        for n in 0..20 {
            let _ = PesHeader::parse(
                &[0, 0, 1, 0xE0, 0, 0, 0x80, 0xC0, 10, 0x31, 0, 1, 0, 1][..n.min(14)],
            );
        }
    }
}
