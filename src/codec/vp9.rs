//! VP9 codec facts (VP Codec ISO Media File Format Binding v1.0, §2.2-2.3): the
//! `VPCodecConfigurationRecord` as MP4's `vpcC` box body holds it (version 1, with its four
//! bytes of version and flags, which Enhanced FLV carries too), and the `vp09` codec string.

use super::CodecError;

/// A `vpcC` body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vp9Config {
    /// Profile 0-3.
    pub profile: u8,
    /// Level times ten (10 is level 1, 31 is level 3.1).
    pub level: u8,
    /// Bits per sample.
    pub bit_depth: u8,
    /// 0: 4:2:0 vertical, 1: 4:2:0 colocated, 2: 4:2:2, 3: 4:4:4.
    pub chroma_subsampling: u8,
    /// Full-range samples.
    pub full_range: bool,
    /// Colour primaries, transfer and matrix (ISO/IEC 23091-2 codes).
    pub colour: (u8, u8, u8),
}

impl Vp9Config {
    /// Reads a version 1 `vpcC` body (version and flags first).
    pub fn parse(data: &[u8]) -> Result<Vp9Config, CodecError> {
        let b = data.get(..10).ok_or(CodecError::Truncated {
            what: "vpcC",
            offset: data.len(),
        })?;
        if b[0] != 1 {
            return Err(CodecError::Invalid {
                what: "vpcC",
                offset: 0,
                reason: format!("version {} (only 1 is defined for vp09)", b[0]),
            });
        }
        Ok(Vp9Config {
            profile: b[4],
            level: b[5],
            bit_depth: b[6] >> 4,
            chroma_subsampling: (b[6] >> 1) & 7,
            full_range: b[6] & 1 != 0,
            colour: (b[7], b[8], b[9]),
        })
    }

    /// `vp09.PP.LL.DD`, the short form of §3.
    pub fn codec_string(&self) -> String {
        format!(
            "vp09.{:02}.{:02}.{:02}",
            self.profile, self.level, self.bit_depth
        )
    }

    /// The level as a decimal (`3.1`).
    pub fn level_string(&self) -> String {
        format!("{}.{}", self.level / 10, self.level % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffmpegs_record() {
        // libvpx's 64x64 stream as ffmpeg 9 writes it: profile 0, level 1, 8 bits, 4:2:0.
        let c = Vp9Config::parse(&[1, 0, 0, 0, 0, 0x0a, 0x82, 2, 2, 2, 0, 0]).unwrap();
        assert_eq!(c.codec_string(), "vp09.00.10.08");
        assert_eq!(
            (c.bit_depth, c.chroma_subsampling, c.level_string()),
            (8, 1, "1.0".to_owned())
        );
        assert!(Vp9Config::parse(&[0; 12]).is_err());
        assert!(Vp9Config::parse(&[1, 0, 0]).is_err());
    }
}
