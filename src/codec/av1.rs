//! AV1 codec facts (AV1 Codec ISO Media File Format Binding, §2.3): the
//! `AV1CodecConfigurationRecord` (`av1C`), which MP4 and Enhanced FLV both carry as is, and
//! the `av01` codec string of its §5 ("Codecs Parameter String").

use super::CodecError;

/// The fixed four bytes of an `av1C` (config OBUs may follow).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Av1Config {
    /// seq_profile (0 Main, 1 High, 2 Professional).
    pub profile: u8,
    /// seq_level_idx_0.
    pub level_idx: u8,
    /// seq_tier_0 (false: Main, true: High).
    pub high_tier: bool,
    /// Bits per sample: 8, 10 or 12.
    pub bit_depth: u8,
    /// Monochrome.
    pub monochrome: bool,
    /// chroma_subsampling_x, chroma_subsampling_y, chroma_sample_position.
    pub subsampling: (u8, u8, u8),
}

impl Av1Config {
    /// Reads the record's first four bytes (marker 1, version 1).
    pub fn parse(data: &[u8]) -> Result<Av1Config, CodecError> {
        let b = data.get(..4).ok_or(CodecError::Truncated {
            what: "av1C",
            offset: data.len(),
        })?;
        if b[0] != 0x81 {
            return Err(CodecError::Invalid {
                what: "av1C",
                offset: 0,
                reason: format!("marker and version byte {:#04x}, not 0x81", b[0]),
            });
        }
        let high = b[2] & 0x40 != 0;
        let twelve = b[2] & 0x20 != 0;
        Ok(Av1Config {
            profile: b[1] >> 5,
            level_idx: b[1] & 0x1F,
            high_tier: b[2] & 0x80 != 0,
            bit_depth: match (high, twelve) {
                (true, true) => 12,
                (true, false) => 10,
                _ => 8,
            },
            monochrome: b[2] & 0x10 != 0,
            subsampling: ((b[2] >> 3) & 1, (b[2] >> 2) & 1, b[2] & 3),
        })
    }

    /// `av01.P.LLT.DD`, the short form (the colour fields need the sequence header).
    pub fn codec_string(&self) -> String {
        format!(
            "av01.{}.{:02}{}.{:02}",
            self.profile,
            self.level_idx,
            if self.high_tier { 'H' } else { 'M' },
            self.bit_depth
        )
    }

    /// The profile's name as ffprobe prints it.
    pub fn profile_name(&self) -> &'static str {
        match self.profile {
            0 => "Main",
            1 => "High",
            2 => "Professional",
            _ => "unknown",
        }
    }

    /// The level as the spec writes it: seq_level_idx 8 is level 4.0 (2 + idx / 4 . idx % 4).
    pub fn level_string(&self) -> String {
        if self.level_idx == 31 {
            return "max".into();
        }
        format!("{}.{}", 2 + self.level_idx / 4, self.level_idx % 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffmpegs_record() {
        // libaom's 64x64 test stream as ffmpeg 9 writes it: Main, level 2.0, 8 bits, 4:2:0.
        let c = Av1Config::parse(&[0x81, 0x00, 0x0c, 0x00, 0x0a]).unwrap();
        assert_eq!(c.codec_string(), "av01.0.00M.08");
        assert_eq!(
            (c.profile_name(), c.level_string()),
            ("Main", "2.0".to_owned())
        );
        assert_eq!(c.subsampling, (1, 1, 0));
        let hi = Av1Config::parse(&[0x81, 0x2D, 0xC0, 0]).unwrap();
        assert_eq!(hi.codec_string(), "av01.1.13H.10");
        assert!(Av1Config::parse(&[0x80, 0, 0, 0]).is_err());
        assert!(Av1Config::parse(&[0x81]).is_err());
    }
}
