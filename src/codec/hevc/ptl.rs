//! The general part of H.265 §7.3.3 `profile_tier_level()`, shared by the SPS and the `hvcC`.

use crate::codec::CodecError;
use crate::codec::bits::BitReader;

/// Most sub-layers a stream can have: `sps_max_sub_layers_minus1` is at most 6 (§7.4.3.2.1).
pub(super) const MAX_SUB_LAYERS_MINUS1: u8 = 6;

/// Profile, tier and level of an HEVC stream: what a decoder must support.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[doc(alias = "profile_tier_level")]
pub struct HevcProfileTierLevel {
    /// `general_profile_space` (0 in every stream H.265 defines so far).
    pub profile_space: u8,
    /// `general_tier_flag`: false Main tier, true High tier.
    pub tier_flag: bool,
    /// `general_profile_idc` (1 Main, 2 Main 10, 3 Main Still Picture, 4 range extensions).
    pub profile_idc: u8,
    /// `general_profile_compatibility_flag[0..32]`, flag j in bit 31 - j (wire order).
    pub compatibility_flags: u32,
    /// The 48 bits from `general_progressive_source_flag` to `general_inbld_flag`/reserved,
    /// in the low 48 bits, wire order.
    pub constraint_indicator_flags: u64,
    /// `general_level_idc`: thirty times the level number (93 = 3.1).
    pub level_idc: u8,
}

impl HevcProfileTierLevel {
    /// Reads `profile_tier_level(1, max_sub_layers_minus1)`, keeping the general part and
    /// skipping the sub-layer parts.
    pub(super) fn read(
        r: &mut BitReader<'_>,
        max_sub_layers_minus1: u8,
    ) -> Result<HevcProfileTierLevel, CodecError> {
        let ptl = HevcProfileTierLevel {
            profile_space: r.read_u8(2)?,
            tier_flag: r.read_flag()?,
            profile_idc: r.read_u8(5)?,
            compatibility_flags: r.read_bits(32)?,
            constraint_indicator_flags: r.read_bits_u64(48)?,
            level_idc: r.read_u8(8)?,
        };
        let n = usize::from(max_sub_layers_minus1.min(MAX_SUB_LAYERS_MINUS1));
        let mut present = [(false, false); MAX_SUB_LAYERS_MINUS1 as usize];
        for p in present.iter_mut().take(n) {
            *p = (r.read_flag()?, r.read_flag()?);
        }
        if n > 0 {
            r.skip_bits(2 * (8 - n))?;
        }
        for &(profile, level) in present.iter().take(n) {
            if profile {
                // sub_layer profile space .. constraint flags: 2 + 1 + 5 + 32 + 48 bits.
                r.skip_bits(88)?;
            }
            if level {
                r.skip_bits(8)?;
            }
        }
        Ok(ptl)
    }

    /// The profile that names the stream: `profile_idc`, or when that is 0 the lowest profile
    /// the compatibility flags claim (H.265 §A.3 lets either carry it).
    pub fn effective_profile_idc(&self) -> u8 {
        if self.profile_idc != 0 {
            return self.profile_idc;
        }
        // Flag j sits in bit 31 - j, so leading zeros count the flags before it.
        match self.compatibility_flags.leading_zeros() {
            32 => 0,
            j => j as u8,
        }
    }

    /// The profile name as ffprobe prints it (`Main`, `Main 10`, `Main Still Picture`, `Rext`,
    /// ...); the range-extension sub-profiles are all `Rext`, as in ffprobe.
    pub fn profile_name(&self) -> &'static str {
        match self.effective_profile_idc() {
            1 => "Main",
            2 => "Main 10",
            3 => "Main Still Picture",
            4 => "Rext",
            5 => "High Throughput 4:4:4",
            6 => "Multiview Main",
            7 => "Scalable Main",
            8 => "3D Main",
            9 => "Screen Content Coding Extensions",
            10 => "Scalable Rext",
            11 => "High Throughput Screen Content Coding Extensions",
            _ => "Unknown",
        }
    }

    /// The level as a decimal: `level_idc / 30` with one decimal when it has one (`3.1`, `4`,
    /// `6.2`).
    pub fn level_string(&self) -> String {
        let major = self.level_idc / 30;
        match (self.level_idc % 30) / 3 {
            0 => format!("{major}"),
            minor => format!("{major}.{minor}"),
        }
    }

    /// The codec string of ISO/IEC 14496-15 Annex E.3 for a sample entry (`hvc1` when the
    /// parameter sets are out of band, as HLS requires; `hev1` when they are in band):
    /// `hvc1.1.6.L93.B0` is profile space (letter, none for 0) and profile, the compatibility
    /// flags bit-reversed in hex, tier and level, then the constraint bytes in hex with
    /// trailing zero bytes dropped (one is always kept), as Apple and mp4ff write it.
    pub fn codec_string(&self, sample_entry: &str) -> String {
        let space = match self.profile_space {
            1 => "A",
            2 => "B",
            3 => "C",
            _ => "",
        };
        let tier = if self.tier_flag { 'H' } else { 'L' };
        let mut s = format!(
            "{sample_entry}.{space}{}.{:X}.{tier}{}",
            self.profile_idc,
            self.compatibility_flags.reverse_bits(),
            self.level_idc
        );
        let bytes = self.constraint_indicator_flags.to_be_bytes();
        let constraint = bytes.get(2..).unwrap_or_default();
        let keep = constraint
            .iter()
            .rposition(|&b| b != 0)
            .map_or(1, |last| last + 1);
        for b in constraint.iter().take(keep) {
            s.push_str(&format!(".{b:X}"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ptl(profile: u8, compat: u32, constraint: u64, level: u8) -> HevcProfileTierLevel {
        HevcProfileTierLevel {
            profile_idc: profile,
            compatibility_flags: compat,
            constraint_indicator_flags: constraint,
            level_idc: level,
            ..Default::default()
        }
    }

    #[test]
    fn codec_strings_in_annex_e_form() {
        // The examples of ISO/IEC 14496-15 Annex E and Apple's HLS authoring spec.
        let p = ptl(1, 0x6000_0000, 0xB000_0000_0000, 93);
        assert_eq!(p.codec_string("hvc1"), "hvc1.1.6.L93.B0");
        let p = ptl(2, 0x2000_0000, 0xB000_0000_0000, 120);
        assert_eq!(p.codec_string("hev1"), "hev1.2.4.L120.B0");
        let mut p = ptl(1, 0x6000_0000, 0x9000_0800_0000, 153);
        p.tier_flag = true;
        p.profile_space = 1;
        assert_eq!(p.codec_string("hvc1"), "hvc1.A1.6.H153.90.0.8");
        let p = ptl(4, 0x0800_0000, 0, 186);
        assert_eq!(p.codec_string("hvc1"), "hvc1.4.10.L186.0");
    }

    #[test]
    fn names_and_levels() {
        assert_eq!(ptl(1, 0, 0, 93).level_string(), "3.1");
        assert_eq!(ptl(1, 0, 0, 90).level_string(), "3");
        assert_eq!(ptl(1, 0, 0, 186).level_string(), "6.2");
        assert_eq!(ptl(2, 0, 0, 0).profile_name(), "Main 10");
        // Profile carried by the compatibility flags alone.
        assert_eq!(ptl(0, 0x2000_0000, 0, 0).profile_name(), "Main 10");
        assert_eq!(ptl(0, 0, 0, 0).profile_name(), "Unknown");
        assert_eq!(ptl(31, 0, 0, 0).profile_name(), "Unknown");
    }
}
