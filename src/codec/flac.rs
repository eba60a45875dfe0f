//! FLAC codec facts: the STREAMINFO metadata block (FLAC format §8.2), which Enhanced FLV
//! carries as the track's configuration, and its ISO BMFF form, the `dfLa` box (Encapsulation
//! of FLAC in ISO Base Media File Format, §3.3.2: a full box holding metadata blocks with
//! their headers, STREAMINFO first).

use super::CodecError;

/// Bytes of a STREAMINFO block's body.
pub const STREAMINFO_LEN: usize = 34;

/// What STREAMINFO says of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamInfo {
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Channels.
    pub channels: u8,
    /// Bits per sample.
    pub bits_per_sample: u8,
}

/// The STREAMINFO body of a FLAC record in any of its usual forms: the 34-byte body itself
/// (Enhanced FLV, what the packet model keeps), or a stream header with its `fLaC` marker and
/// block header (ffmpeg's extradata in some containers).
pub fn streaminfo_body(record: &[u8]) -> &[u8] {
    match record.strip_prefix(b"fLaC") {
        Some(rest) if rest.len() >= 4 + STREAMINFO_LEN && rest[0] & 0x7F == 0 => {
            &rest[4..4 + STREAMINFO_LEN]
        }
        _ => record.get(..STREAMINFO_LEN).unwrap_or(record),
    }
}

impl StreamInfo {
    /// Reads a STREAMINFO body.
    pub fn parse(data: &[u8]) -> Result<StreamInfo, CodecError> {
        let b = data.get(..STREAMINFO_LEN).ok_or(CodecError::Truncated {
            what: "flac streaminfo",
            offset: data.len(),
        })?;
        let v = u64::from_be_bytes([b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17]]);
        Ok(StreamInfo {
            sample_rate: (v >> 44) as u32,
            channels: ((v >> 41) & 7) as u8 + 1,
            bits_per_sample: ((v >> 36) & 0x1F) as u8 + 1,
        })
    }
}

/// The STREAMINFO body inside a `dfLa` body (version and flags, then metadata blocks).
pub fn streaminfo_of_dfla(dfla: &[u8]) -> Result<&[u8], CodecError> {
    let h = dfla.get(4..8).ok_or(CodecError::Truncated {
        what: "dfLa",
        offset: dfla.len(),
    })?;
    let len = usize::from(h[1]) << 16 | usize::from(h[2]) << 8 | usize::from(h[3]);
    if h[0] & 0x7F != 0 || len != STREAMINFO_LEN {
        return Err(CodecError::Invalid {
            what: "dfLa",
            offset: 4,
            reason: "the first metadata block is not a 34-byte STREAMINFO".into(),
        });
    }
    dfla.get(8..8 + STREAMINFO_LEN)
        .ok_or(CodecError::Truncated {
            what: "dfLa",
            offset: dfla.len(),
        })
}

/// A `dfLa` body holding `streaminfo` as its only (last) metadata block.
pub fn dfla_of_streaminfo(streaminfo: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 0, 0, 0x80];
    v.extend_from_slice(&(streaminfo.len() as u32).to_be_bytes()[1..]);
    v.extend_from_slice(streaminfo);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaminfo_and_dfla() {
        // ffmpeg's 48 kHz stereo 16-bit STREAMINFO (min/max block 4608).
        let si = [
            0x12, 0x00, 0x12, 0x00, 0, 0, 0, 0, 0, 0, 0x0b, 0xb8, 0x02, 0xf0, 0, 0, 0xbb, 0x80, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        let s = StreamInfo::parse(&si).unwrap();
        assert_eq!(
            (s.sample_rate, s.channels, s.bits_per_sample),
            (48_000, 2, 16)
        );
        let d = dfla_of_streaminfo(&si);
        assert_eq!(streaminfo_of_dfla(&d).unwrap(), si);
        assert!(streaminfo_of_dfla(&d[..10]).is_err());
        assert!(StreamInfo::parse(&si[..20]).is_err());
    }
}
