//! The `hvcC` box payload: ISO/IEC 14496-15 §8.3.3.1 `HEVCDecoderConfigurationRecord`.

use bytes::{BufMut, Bytes, BytesMut};

use super::{HevcNalType, HevcProfileTierLevel, HevcSps};
use crate::codec::CodecError;
use crate::codec::bits::ByteCursor;

const WHAT: &str = "hvcC";

/// Bytes before `numOfArrays`.
const HEADER_LEN: usize = 22;
/// Most arrays, units per array, and bytes per unit the record's 8- and 16-bit fields allow.
const MAX_ARRAYS: usize = 0xFF;
const MAX_UNITS: usize = 0xFFFF;
const MAX_UNIT_LEN: usize = 0xFFFF;

/// One array of an `hvcC`: NAL units of one type (VPS, SPS, PPS, SEI).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HevcNalArray {
    /// `array_completeness`: every unit of this type is here and none is in the samples (set
    /// for `hvc1`, clear for `hev1`).
    pub completeness: bool,
    /// `NAL_unit_type` of every unit in the array.
    pub nal_type: HevcNalType,
    /// The NAL units, each with its 2-byte header.
    pub units: Vec<Bytes>,
}

/// An HEVC decoder configuration record (`hvcC`), the configuration MP4/F4V and Enhanced
/// FLV carry for an HEVC track.
#[derive(Clone, Debug, PartialEq, Eq)]
#[doc(alias = "hvcC")]
#[doc(alias = "HEVCDecoderConfigurationRecord")]
pub struct HevcDecoderConfig {
    /// `configurationVersion` (1; kept as read so older drafts' records survive).
    pub configuration_version: u8,
    /// `general_profile_space`.
    pub general_profile_space: u8,
    /// `general_tier_flag`.
    pub general_tier_flag: bool,
    /// `general_profile_idc`.
    pub general_profile_idc: u8,
    /// `general_profile_compatibility_flags`, wire order.
    pub general_profile_compatibility_flags: u32,
    /// `general_constraint_indicator_flags`, 48 bits, wire order.
    pub general_constraint_indicator_flags: u64,
    /// `general_level_idc`.
    pub general_level_idc: u8,
    /// `min_spatial_segmentation_idc` (12 bits).
    pub min_spatial_segmentation_idc: u16,
    /// `parallelismType` (2 bits: 0 unknown/mixed, 1 slices, 2 tiles, 3 wavefront).
    pub parallelism_type: u8,
    /// `chroma_format_idc` (`chromaFormat`).
    pub chroma_format_idc: u8,
    /// Luma bit depth (`bitDepthLumaMinus8 + 8`).
    pub bit_depth_luma: u8,
    /// Chroma bit depth (`bitDepthChromaMinus8 + 8`).
    pub bit_depth_chroma: u8,
    /// `avgFrameRate` in frames per 256 seconds, 0 when unspecified.
    pub avg_frame_rate: u16,
    /// `constantFrameRate` (2 bits).
    pub constant_frame_rate: u8,
    /// `numTemporalLayers` (3 bits).
    pub num_temporal_layers: u8,
    /// `temporalIdNested`.
    pub temporal_id_nested: bool,
    /// Bytes in each NAL unit's length prefix: 1, 2 or 4.
    pub length_size: u8,
    /// The NAL unit arrays, in record order.
    pub arrays: Vec<HevcNalArray>,
}

impl HevcDecoderConfig {
    /// Parses an `hvcC` payload, copying the NAL units.
    pub fn parse(data: &[u8]) -> Result<HevcDecoderConfig, CodecError> {
        Self::parse_with(data, Bytes::copy_from_slice)
    }

    /// Parses an `hvcC` payload held in [`Bytes`]; the NAL units are slices of it, not copies.
    pub fn parse_bytes(data: &Bytes) -> Result<HevcDecoderConfig, CodecError> {
        Self::parse_with(data, |s| data.slice_ref(s))
    }

    fn parse_with(
        data: &[u8],
        mut keep: impl FnMut(&[u8]) -> Bytes,
    ) -> Result<HevcDecoderConfig, CodecError> {
        let mut c = ByteCursor::new(data, WHAT);
        let h: [u8; HEADER_LEN] =
            c.take(HEADER_LEN)?
                .try_into()
                .map_err(|_| CodecError::Truncated {
                    what: WHAT,
                    offset: 0,
                })?;
        let be = |range: std::ops::Range<usize>| {
            h.get(range)
                .unwrap_or_default()
                .iter()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
        };
        let length_size = (h[21] & 0x03) + 1;
        if length_size == 3 {
            return Err(CodecError::invalid(
                WHAT,
                21,
                "nal length size 3 is reserved",
            ));
        }
        let mut config = HevcDecoderConfig {
            configuration_version: h[0],
            general_profile_space: h[1] >> 6,
            general_tier_flag: h[1] & 0x20 != 0,
            general_profile_idc: h[1] & 0x1F,
            general_profile_compatibility_flags: be(2..6) as u32,
            general_constraint_indicator_flags: be(6..12),
            general_level_idc: h[12],
            min_spatial_segmentation_idc: (be(13..15) & 0x0FFF) as u16,
            parallelism_type: h[15] & 0x03,
            chroma_format_idc: h[16] & 0x03,
            bit_depth_luma: (h[17] & 0x07) + 8,
            bit_depth_chroma: (h[18] & 0x07) + 8,
            avg_frame_rate: be(19..21) as u16,
            constant_frame_rate: h[21] >> 6,
            num_temporal_layers: (h[21] >> 3) & 0x07,
            temporal_id_nested: h[21] & 0x04 != 0,
            length_size,
            arrays: Vec::new(),
        };
        let num_arrays = c.u8()?;
        for _ in 0..num_arrays {
            let b = c.u8()?;
            let count = c.u16()?;
            let mut units = Vec::new();
            for _ in 0..count {
                units.push(keep(c.nal()?));
            }
            config.arrays.push(HevcNalArray {
                completeness: b & 0x80 != 0,
                nal_type: HevcNalType(b & 0x3F),
                units,
            });
        }
        Ok(config)
    }

    /// Builds an `hvcC` from parameter sets taken from an Annex B stream (each a NAL unit with
    /// its 2-byte header, no start code), as ffmpeg's MP4 muxer does: profile, tier, level,
    /// chroma format, bit depths and temporal layers come from the first SPS; the length size
    /// is 4 (the canonical payload form); arrays are VPS, SPS, PPS, each marked complete (the
    /// `hvc1` form HLS requires). `min_spatial_segmentation_idc` (a VUI field) and
    /// `parallelismType` are written as 0, "unknown", which the spec allows.
    pub fn from_parameter_sets(
        vps: &[Bytes],
        sps: &[Bytes],
        pps: &[Bytes],
    ) -> Result<HevcDecoderConfig, CodecError> {
        const WHAT_PS: &str = "hevc parameter sets";
        for (list, want) in [
            (vps, HevcNalType::VPS),
            (sps, HevcNalType::SPS),
            (pps, HevcNalType::PPS),
        ] {
            if list.is_empty() {
                return Err(CodecError::invalid(
                    WHAT_PS,
                    0,
                    format!("no nal unit of type {}", want.0),
                ));
            }
            for nal in list {
                let ty = HevcNalType::of(nal);
                if ty != Some(want) {
                    return Err(CodecError::invalid(
                        WHAT_PS,
                        0,
                        format!(
                            "nal unit type {:?} where type {} belongs",
                            ty.map(|t| t.0),
                            want.0
                        ),
                    ));
                }
            }
        }
        let info = sps
            .first()
            .map(|nal| HevcSps::parse(nal))
            .ok_or_else(|| CodecError::invalid(WHAT_PS, 0, "no sps"))??;
        let ptl = info.profile_tier_level;
        let array = |nal_type, units: &[Bytes]| HevcNalArray {
            completeness: true,
            nal_type,
            units: units.to_vec(),
        };
        let config = HevcDecoderConfig {
            configuration_version: 1,
            general_profile_space: ptl.profile_space,
            general_tier_flag: ptl.tier_flag,
            general_profile_idc: ptl.profile_idc,
            general_profile_compatibility_flags: ptl.compatibility_flags,
            general_constraint_indicator_flags: ptl.constraint_indicator_flags,
            general_level_idc: ptl.level_idc,
            min_spatial_segmentation_idc: 0,
            parallelism_type: 0,
            chroma_format_idc: info.chroma_format_idc,
            bit_depth_luma: info.bit_depth_luma,
            bit_depth_chroma: info.bit_depth_chroma,
            avg_frame_rate: 0,
            constant_frame_rate: 0,
            num_temporal_layers: info.max_sub_layers,
            temporal_id_nested: info.temporal_id_nesting,
            length_size: 4,
            arrays: vec![
                array(HevcNalType::VPS, vps),
                array(HevcNalType::SPS, sps),
                array(HevcNalType::PPS, pps),
            ],
        };
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), CodecError> {
        let too_large = |field, value: usize, limit: usize| CodecError::TooLarge {
            what: WHAT,
            field,
            offset: 0,
            value: value as u64,
            limit: limit as u64,
        };
        if !matches!(self.length_size, 1 | 2 | 4) {
            return Err(CodecError::invalid(
                WHAT,
                21,
                format!("nal length size {} is not 1, 2 or 4", self.length_size),
            ));
        }
        if self.arrays.len() > MAX_ARRAYS {
            return Err(too_large("array count", self.arrays.len(), MAX_ARRAYS));
        }
        for a in &self.arrays {
            if a.units.len() > MAX_UNITS {
                return Err(too_large("nal unit count", a.units.len(), MAX_UNITS));
            }
            if let Some(u) = a.units.iter().find(|u| u.len() > MAX_UNIT_LEN) {
                return Err(too_large("nal unit length", u.len(), MAX_UNIT_LEN));
            }
        }
        Ok(())
    }

    /// Writes the record, reserved bits set to 1 as the spec asks. Fails, writing nothing,
    /// when an array or unit is too long for its count or length field or the length size is
    /// not 1, 2 or 4; other fields are masked to their widths.
    pub fn write_to(&self, out: &mut impl BufMut) -> Result<(), CodecError> {
        self.check()?;
        out.put_u8(self.configuration_version);
        out.put_u8(
            (self.general_profile_space & 0x03) << 6
                | u8::from(self.general_tier_flag) << 5
                | (self.general_profile_idc & 0x1F),
        );
        out.put_u32(self.general_profile_compatibility_flags);
        let constraint = self.general_constraint_indicator_flags.to_be_bytes();
        out.put_slice(constraint.get(2..).unwrap_or_default());
        out.put_u8(self.general_level_idc);
        out.put_u16(0xF000 | (self.min_spatial_segmentation_idc & 0x0FFF));
        out.put_u8(0xFC | (self.parallelism_type & 0x03));
        out.put_u8(0xFC | (self.chroma_format_idc & 0x03));
        out.put_u8(0xF8 | (self.bit_depth_luma.wrapping_sub(8) & 0x07));
        out.put_u8(0xF8 | (self.bit_depth_chroma.wrapping_sub(8) & 0x07));
        out.put_u16(self.avg_frame_rate);
        out.put_u8(
            (self.constant_frame_rate & 0x03) << 6
                | (self.num_temporal_layers & 0x07) << 3
                | u8::from(self.temporal_id_nested) << 2
                | (self.length_size - 1),
        );
        // Counts and lengths checked above.
        out.put_u8(self.arrays.len() as u8);
        for a in &self.arrays {
            out.put_u8(u8::from(a.completeness) << 7 | (a.nal_type.0 & 0x3F));
            out.put_u16(a.units.len() as u16);
            for u in &a.units {
                out.put_u16(u.len() as u16);
                out.put_slice(u);
            }
        }
        Ok(())
    }

    /// The record as bytes; see [`HevcDecoderConfig::write_to`].
    pub fn to_bytes(&self) -> Result<Bytes, CodecError> {
        let mut out = BytesMut::new();
        self.write_to(&mut out)?;
        Ok(out.freeze())
    }

    /// The record's general profile, tier and level.
    pub fn profile_tier_level(&self) -> HevcProfileTierLevel {
        HevcProfileTierLevel {
            profile_space: self.general_profile_space,
            tier_flag: self.general_tier_flag,
            profile_idc: self.general_profile_idc,
            compatibility_flags: self.general_profile_compatibility_flags,
            constraint_indicator_flags: self.general_constraint_indicator_flags,
            level_idc: self.general_level_idc,
        }
    }

    /// The `hvc1` codec string of ISO/IEC 14496-15 Annex E (`hvc1.1.6.L93.B0`); see
    /// [`HevcProfileTierLevel::codec_string`].
    pub fn codec_string(&self) -> String {
        self.profile_tier_level().codec_string("hvc1")
    }

    /// The NAL units of one type, across all arrays of that type.
    pub fn units(&self, nal_type: HevcNalType) -> impl Iterator<Item = &Bytes> {
        self.arrays
            .iter()
            .filter(move |a| a.nal_type == nal_type)
            .flat_map(|a| a.units.iter())
    }

    /// The first SPS, parsed; `None` when the record holds none.
    pub fn first_sps(&self) -> Option<Result<HevcSps, CodecError>> {
        self.units(HevcNalType::SPS)
            .next()
            .map(|nal| HevcSps::parse(nal))
    }
}

#[cfg(test)]
mod tests {
    use super::super::sps::tests::*;
    use super::*;
    use crate::codec::tests::hex;

    /// hvcC boxes ffmpeg wrote remuxing the x265 streams of `sps.rs` into MP4 with
    /// `-tag:v hvc1`, payload after the box header.
    const HVCC_MAIN: &str = "0101600000009000000000005af000fcfdf8f800000f03a00001001840010c01ffff01600000030090000003000003005a959809a10001002a42010101600000030090000003000003005aa0050201e165959a4932bc05a02000000300200000030321a2000100074401c172b46240";
    const HVCC_MAIN10: &str = "01022000000090000000000078f000fcfdfafa00000f03a00001001840010c01ffff022000000300900000030000030078959809a10001002c420101022000000300900000030000030078a002ac80301d5365959a4932bc05a02000000300200000030321a2000100074401c172b46240";

    #[test]
    fn parses_and_round_trips_ffmpeg_records() {
        for s in [HVCC_MAIN, HVCC_MAIN10] {
            let data = hex(s);
            let c = HevcDecoderConfig::parse(&data).unwrap();
            assert_eq!(c.to_bytes().unwrap(), data);
            assert_eq!(
                HevcDecoderConfig::parse_bytes(&Bytes::from(data)).unwrap(),
                c
            );
            assert_eq!(c.arrays.len(), 3);
            assert_eq!(c.length_size, 4);
            assert_eq!((c.num_temporal_layers, c.temporal_id_nested), (1, true));
        }
        let c = HevcDecoderConfig::parse(&hex(HVCC_MAIN)).unwrap();
        assert_eq!(c.codec_string(), "hvc1.1.6.L90.90");
        assert_eq!(c.general_constraint_indicator_flags, 0x9000_0000_0000);
        assert_eq!(c.units(HevcNalType::SPS).next().unwrap(), &hex(SPS_MAIN));
        assert_eq!(c.first_sps().unwrap().unwrap().width(), 640);
        let c = HevcDecoderConfig::parse(&hex(HVCC_MAIN10)).unwrap();
        assert_eq!(c.codec_string(), "hvc1.2.4.L120.90");
        assert_eq!((c.bit_depth_luma, c.bit_depth_chroma), (10, 10));
        assert_eq!(c.profile_tier_level().profile_name(), "Main 10");
    }

    #[test]
    fn builds_the_same_record_as_ffmpeg() {
        for (vps, sps, pps, hvcc) in [
            (VPS_MAIN, SPS_MAIN, PPS_MAIN, HVCC_MAIN),
            (VPS_MAIN10, SPS_MAIN10, PPS_MAIN10, HVCC_MAIN10),
        ] {
            let b = |s| [Bytes::from(hex(s))];
            let c = HevcDecoderConfig::from_parameter_sets(&b(vps), &b(sps), &b(pps)).unwrap();
            assert_eq!(c.to_bytes().unwrap(), hex(hvcc));
        }
    }

    #[test]
    fn from_parameter_sets_rejects_wrong_units() {
        let b = |s| vec![Bytes::from(hex(s))];
        let (v, s, p) = (b(VPS_MAIN), b(SPS_MAIN), b(PPS_MAIN));
        assert!(HevcDecoderConfig::from_parameter_sets(&[], &s, &p).is_err());
        assert!(HevcDecoderConfig::from_parameter_sets(&v, &p, &p).is_err());
        assert!(HevcDecoderConfig::from_parameter_sets(&v, &s, &[Bytes::new()]).is_err());
        let big = vec![Bytes::from(vec![0x40; 70_000])];
        assert!(matches!(
            HevcDecoderConfig::from_parameter_sets(&big, &s, &p),
            Err(CodecError::TooLarge { .. })
        ));
    }

    #[test]
    fn hostile_records() {
        let data = hex(HVCC_MAIN);
        for n in 0..data.len() {
            assert!(HevcDecoderConfig::parse(&data[..n]).is_err(), "cut at {n}");
        }
        // 255 arrays of 65535 units claimed, no bytes.
        let mut data = hex(HVCC_MAIN)[..HEADER_LEN].to_vec();
        data.extend([0xFF, 0xA1, 0xFF, 0xFF]);
        assert_eq!(
            HevcDecoderConfig::parse(&data),
            Err(CodecError::Truncated {
                what: "hvcC",
                offset: 26
            })
        );
        // Length size 3.
        let mut data = hex(HVCC_MAIN);
        data[21] = (data[21] & !3) | 2;
        assert!(HevcDecoderConfig::parse(&data).is_err());
        // Writing a record with a bad length size fails and writes nothing.
        let mut c = HevcDecoderConfig::parse(&hex(HVCC_MAIN)).unwrap();
        c.length_size = 0;
        let mut out = Vec::new();
        assert!(c.write_to(&mut out).is_err());
        assert!(out.is_empty());
    }
}
