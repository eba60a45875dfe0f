//! Opus codec facts: the identification header (RFC 7845 §5.1, `OpusHead`, little-endian,
//! what Enhanced FLV and Matroska carry) and its ISO BMFF form, the `dOps` box (Encapsulation
//! of Opus in ISO Base Media File Format, §4.3.2: the same fields big-endian, version 0, no
//! magic). Converting between the two keeps every field.

use super::CodecError;

/// The fields of an Opus identification header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpusHead {
    /// Output channels.
    pub channels: u8,
    /// Samples (48 kHz) to drop at the start.
    pub pre_skip: u16,
    /// The encoder's input rate (informational).
    pub input_sample_rate: u32,
    /// Output gain, Q7.8 dB.
    pub output_gain: i16,
    /// 0: mono/stereo; others carry a mapping table.
    pub mapping_family: u8,
    /// Stream count, coupled count and the channel mapping (family != 0).
    pub mapping: Vec<u8>,
}

fn short(what: &'static str, n: usize) -> CodecError {
    CodecError::Truncated { what, offset: n }
}

impl OpusHead {
    /// Reads `OpusHead` (with its magic).
    pub fn parse(data: &[u8]) -> Result<OpusHead, CodecError> {
        let b = data
            .get(..19)
            .ok_or_else(|| short("OpusHead", data.len()))?;
        if &b[..8] != b"OpusHead" {
            return Err(CodecError::Invalid {
                what: "OpusHead",
                offset: 0,
                reason: "no OpusHead magic".into(),
            });
        }
        Ok(OpusHead {
            channels: b[9],
            pre_skip: u16::from_le_bytes([b[10], b[11]]),
            input_sample_rate: u32::from_le_bytes([b[12], b[13], b[14], b[15]]),
            output_gain: i16::from_le_bytes([b[16], b[17]]),
            mapping_family: b[18],
            // Stream count, coupled count, one byte per channel (RFC 7845 5.1.1).
            mapping: data[19..]
                .iter()
                .copied()
                .take(2 + usize::from(b[9]))
                .collect(),
        })
    }

    /// Reads a `dOps` body.
    pub fn parse_dops(data: &[u8]) -> Result<OpusHead, CodecError> {
        let b = data.get(..11).ok_or_else(|| short("dOps", data.len()))?;
        Ok(OpusHead {
            channels: b[1],
            pre_skip: u16::from_be_bytes([b[2], b[3]]),
            input_sample_rate: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            output_gain: i16::from_be_bytes([b[8], b[9]]),
            mapping_family: b[10],
            mapping: data[11..]
                .iter()
                .copied()
                .take(2 + usize::from(b[1]))
                .collect(),
        })
    }

    /// The `OpusHead` bytes (version 1).
    pub fn to_opus_head(&self) -> Vec<u8> {
        let mut v = b"OpusHead".to_vec();
        v.push(1);
        v.push(self.channels);
        v.extend_from_slice(&self.pre_skip.to_le_bytes());
        v.extend_from_slice(&self.input_sample_rate.to_le_bytes());
        v.extend_from_slice(&self.output_gain.to_le_bytes());
        v.push(self.mapping_family);
        if self.mapping_family != 0 {
            v.extend_from_slice(&self.mapping);
        }
        v
    }

    /// The `dOps` body (version 0).
    pub fn to_dops(&self) -> Vec<u8> {
        let mut v = vec![0, self.channels];
        v.extend_from_slice(&self.pre_skip.to_be_bytes());
        v.extend_from_slice(&self.input_sample_rate.to_be_bytes());
        v.extend_from_slice(&self.output_gain.to_be_bytes());
        v.push(self.mapping_family);
        if self.mapping_family != 0 {
            v.extend_from_slice(&self.mapping);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_and_dops_carry_the_same_fields() {
        // ffmpeg 9's libopus stereo header, and the dOps it writes in MP4.
        let head = b"OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00";
        let dops = [0, 2, 1, 0x38, 0, 0, 0xbb, 0x80, 0, 0, 0];
        let h = OpusHead::parse(head).unwrap();
        assert_eq!(
            (h.channels, h.pre_skip, h.input_sample_rate),
            (2, 312, 48_000)
        );
        assert_eq!(h.to_dops(), dops);
        assert_eq!(OpusHead::parse_dops(&dops).unwrap().to_opus_head(), head);
        assert!(OpusHead::parse(b"OpusTags\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00").is_err());
        assert!(OpusHead::parse_dops(&dops[..5]).is_err());
    }
}
