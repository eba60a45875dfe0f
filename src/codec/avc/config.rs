//! The `avcC` box payload: ISO/IEC 14496-15 §5.3.3.1 `AVCDecoderConfigurationRecord`.

use bytes::{BufMut, Bytes, BytesMut};

use super::sps::{Sps, avc1_codec_string};
use crate::codec::CodecError;
use crate::codec::bits::ByteCursor;

const WHAT: &str = "avcC";

/// Most SPS an `avcC` can list: `numOfSequenceParameterSets` is 5 bits.
const MAX_SPS: usize = 31;
/// Most PPS or SPS extensions an `avcC` can list: their counts are 8 bits.
const MAX_PPS: usize = 255;
/// Longest parameter set an `avcC` can hold: its length field is 16 bits.
const MAX_PARAMETER_SET_LEN: usize = 0xFFFF;

/// The high-profile extension of an `avcC`: present for every profile but Baseline, Main and
/// Extended (66, 77, 88) in records written after ISO/IEC 14496-15 2nd edition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvcHighExt {
    /// `chroma_format` (0..=3), as the SPS's `chroma_format_idc`.
    pub chroma_format: u8,
    /// Luma bit depth (`bit_depth_luma_minus8 + 8`).
    pub bit_depth_luma: u8,
    /// Chroma bit depth (`bit_depth_chroma_minus8 + 8`).
    pub bit_depth_chroma: u8,
    /// The SPS extension NAL units (type 13).
    pub sps_ext: Vec<Bytes>,
}

/// An H.264 decoder configuration record (`avcC`), the configuration FLV/F4V/MP4 carry for an
/// H.264 track: profile and level, the NAL length size of every sample, and the parameter sets.
#[derive(Clone, Debug, PartialEq, Eq)]
#[doc(alias = "avcC")]
#[doc(alias = "AVCDecoderConfigurationRecord")]
pub struct AvcDecoderConfig {
    /// `AVCProfileIndication`: the SPS `profile_idc`.
    pub profile_indication: u8,
    /// `profile_compatibility`: the SPS constraint-flags byte.
    pub profile_compatibility: u8,
    /// `AVCLevelIndication`: the SPS `level_idc`.
    pub level_indication: u8,
    /// Bytes in each NAL unit's length prefix: 1, 2 or 4.
    pub length_size: u8,
    /// Sequence parameter set NAL units, each with its NAL header.
    pub sps: Vec<Bytes>,
    /// Picture parameter set NAL units, each with its NAL header.
    pub pps: Vec<Bytes>,
    /// The high-profile extension, when the record carries one.
    pub ext: Option<AvcHighExt>,
}

impl AvcDecoderConfig {
    /// Parses an `avcC` payload, copying the parameter sets.
    pub fn parse(data: &[u8]) -> Result<AvcDecoderConfig, CodecError> {
        Self::parse_with(data, Bytes::copy_from_slice)
    }

    /// Parses an `avcC` payload held in [`Bytes`]; the parameter sets are slices of it, not
    /// copies.
    pub fn parse_bytes(data: &Bytes) -> Result<AvcDecoderConfig, CodecError> {
        Self::parse_with(data, |s| data.slice_ref(s))
    }

    fn parse_with(
        data: &[u8],
        mut keep: impl FnMut(&[u8]) -> Bytes,
    ) -> Result<AvcDecoderConfig, CodecError> {
        let mut c = ByteCursor::new(data, WHAT);
        let version = c.u8()?;
        if version != 1 {
            return Err(CodecError::invalid(
                WHAT,
                0,
                format!("configuration version {version} is not 1"),
            ));
        }
        let profile_indication = c.u8()?;
        let profile_compatibility = c.u8()?;
        let level_indication = c.u8()?;
        let length_size = (c.u8()? & 0x03) + 1;
        if length_size == 3 {
            return Err(CodecError::invalid(
                WHAT,
                4,
                "nal length size 3 is reserved",
            ));
        }
        let num_sps = c.u8()? & 0x1F;
        let mut sps = Vec::new();
        for _ in 0..num_sps {
            sps.push(keep(c.nal()?));
        }
        let num_pps = c.u8()?;
        let mut pps = Vec::new();
        for _ in 0..num_pps {
            pps.push(keep(c.nal()?));
        }
        // The extension is optional in practice: many writers (older x264, some hardware
        // encoders) end the record here even for High profile. A damaged extension is ignored
        // like a missing one, as ffmpeg does; the record's raw bytes stay the source of truth.
        let ext = if has_high_ext(profile_indication) && c.remaining() >= 4 {
            parse_ext(&mut c, &mut keep).ok()
        } else {
            None
        };
        Ok(AvcDecoderConfig {
            profile_indication,
            profile_compatibility,
            level_indication,
            length_size,
            sps,
            pps,
            ext,
        })
    }

    /// Builds an `avcC` from parameter sets taken from an Annex B stream (each a NAL unit with
    /// its header, no start code): profile and level come from the first SPS, the length size
    /// is 4 (the canonical payload form), and the high-profile extension is filled from the
    /// SPS for the profiles that carry one.
    pub fn from_parameter_sets(
        sps: &[Bytes],
        pps: &[Bytes],
    ) -> Result<AvcDecoderConfig, CodecError> {
        const WHAT_PS: &str = "avc parameter sets";
        let first = sps
            .first()
            .ok_or_else(|| CodecError::invalid(WHAT_PS, 0, "no sps"))?;
        for (list, want) in [(sps, 7u8), (pps, 8)] {
            for nal in list {
                let ty = nal.first().map(|b| b & 0x1F);
                if ty != Some(want) {
                    return Err(CodecError::invalid(
                        WHAT_PS,
                        0,
                        format!("nal unit type {ty:?} where type {want} belongs"),
                    ));
                }
            }
        }
        let info = Sps::parse(first)?;
        let profile_indication = info.profile_idc;
        let config = AvcDecoderConfig {
            profile_indication,
            profile_compatibility: info.constraint_flags,
            level_indication: info.level_idc,
            length_size: 4,
            sps: sps.to_vec(),
            pps: pps.to_vec(),
            ext: has_high_ext(profile_indication).then(|| AvcHighExt {
                chroma_format: info.chroma_format_idc,
                bit_depth_luma: info.bit_depth_luma,
                bit_depth_chroma: info.bit_depth_chroma,
                sps_ext: Vec::new(),
            }),
        };
        config.check()?;
        Ok(config)
    }

    /// Checks that every list and unit fits the record's count and length fields.
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
                4,
                format!("nal length size {} is not 1, 2 or 4", self.length_size),
            ));
        }
        if self.sps.len() > MAX_SPS {
            return Err(too_large("sps count", self.sps.len(), MAX_SPS));
        }
        let ext_units = self.ext.as_ref().map_or(&[][..], |e| &e.sps_ext[..]);
        if self.pps.len() > MAX_PPS {
            return Err(too_large("pps count", self.pps.len(), MAX_PPS));
        }
        if ext_units.len() > MAX_PPS {
            return Err(too_large("sps extension count", ext_units.len(), MAX_PPS));
        }
        for nal in self.sps.iter().chain(&self.pps).chain(ext_units) {
            if nal.len() > MAX_PARAMETER_SET_LEN {
                return Err(too_large(
                    "parameter set length",
                    nal.len(),
                    MAX_PARAMETER_SET_LEN,
                ));
            }
        }
        Ok(())
    }

    /// Writes the record. Fails, writing nothing, when a list or unit is too long for its
    /// count or length field or the length size is not 1, 2 or 4.
    pub fn write_to(&self, out: &mut impl BufMut) -> Result<(), CodecError> {
        self.check()?;
        out.put_u8(1);
        out.put_u8(self.profile_indication);
        out.put_u8(self.profile_compatibility);
        out.put_u8(self.level_indication);
        out.put_u8(0xFC | (self.length_size - 1));
        // Counts and lengths checked above.
        out.put_u8(0xE0 | self.sps.len() as u8);
        for nal in &self.sps {
            out.put_u16(nal.len() as u16);
            out.put_slice(nal);
        }
        out.put_u8(self.pps.len() as u8);
        for nal in &self.pps {
            out.put_u16(nal.len() as u16);
            out.put_slice(nal);
        }
        if let Some(ext) = &self.ext {
            out.put_u8(0xFC | (ext.chroma_format & 0x03));
            out.put_u8(0xF8 | (ext.bit_depth_luma.wrapping_sub(8) & 0x07));
            out.put_u8(0xF8 | (ext.bit_depth_chroma.wrapping_sub(8) & 0x07));
            out.put_u8(ext.sps_ext.len() as u8);
            for nal in &ext.sps_ext {
                out.put_u16(nal.len() as u16);
                out.put_slice(nal);
            }
        }
        Ok(())
    }

    /// The record as bytes; see [`AvcDecoderConfig::write_to`].
    pub fn to_bytes(&self) -> Result<Bytes, CodecError> {
        let mut out = BytesMut::new();
        self.write_to(&mut out)?;
        Ok(out.freeze())
    }

    /// The RFC 6381 codec string `avc1.PPCCLL` from the record's own three bytes, as hls.js
    /// and Apple's tools derive it.
    pub fn codec_string(&self) -> String {
        avc1_codec_string(
            self.profile_indication,
            self.profile_compatibility,
            self.level_indication,
        )
    }

    /// The first SPS, parsed; `None` when the record lists none.
    pub fn first_sps(&self) -> Option<Result<Sps, CodecError>> {
        self.sps.first().map(|nal| Sps::parse(nal))
    }
}

/// Whether a record of this profile may carry the high-profile extension.
fn has_high_ext(profile: u8) -> bool {
    !matches!(profile, 66 | 77 | 88)
}

fn parse_ext(
    c: &mut ByteCursor<'_>,
    keep: &mut impl FnMut(&[u8]) -> Bytes,
) -> Result<AvcHighExt, CodecError> {
    let chroma_format = c.u8()? & 0x03;
    let bit_depth_luma = (c.u8()? & 0x07) + 8;
    let bit_depth_chroma = (c.u8()? & 0x07) + 8;
    let n = c.u8()?;
    let mut sps_ext = Vec::new();
    for _ in 0..n {
        sps_ext.push(keep(c.nal()?));
    }
    Ok(AvcHighExt {
        chroma_format,
        bit_depth_luma,
        bit_depth_chroma,
        sps_ext,
    })
}

#[cfg(test)]
mod tests {
    use super::super::sps::tests::{HIGH_768X320, HIGH444_352X288};
    use super::*;
    use crate::codec::tests::hex;

    /// avcC boxes ffmpeg wrote when remuxing the x264 streams of `sps_tests.rs` into MP4
    /// (`ffmpeg -i high.h264 -c copy high.mp4`), payload after the box header.
    const AVCC_HIGH: &str = "0164001effe100196764001eacd940c029b011000003000100000300320f162d9601000668ebe3cb22c0fdf8f800";
    const AVCC_BASELINE: &str =
        "0142c00dffe100186742c00dd90141fb011000000300100000030320f142a48001000568cb83cb20";
    const AVCC_HIGH444: &str = "01f4000dffe1001867f4000d919b282c12d808800000030080000019078a14cb01000668ebe3c44844fff8f800";
    const AVCC_MAIN: &str =
        "014d401effe10018674d401eeca05017fcb808800000030080000019078b16cb01000568ebe3cb20";
    const PPS_HIGH: &str = "68ebe3cb22c0";
    const PPS_HIGH444: &str = "68ebe3c44844";

    #[test]
    fn parses_and_round_trips_ffmpeg_records() {
        for s in [AVCC_HIGH, AVCC_BASELINE, AVCC_HIGH444, AVCC_MAIN] {
            let data = hex(s);
            let c = AvcDecoderConfig::parse(&data).unwrap();
            assert_eq!(c.to_bytes().unwrap(), data, "{s}");
            assert_eq!(c.length_size, 4);
            assert_eq!((c.sps.len(), c.pps.len()), (1, 1));
            let zero_copy = AvcDecoderConfig::parse_bytes(&Bytes::from(data)).unwrap();
            assert_eq!(zero_copy, c);
        }
        let c = AvcDecoderConfig::parse(&hex(AVCC_HIGH)).unwrap();
        assert_eq!(c.codec_string(), "avc1.64001E");
        assert_eq!(c.sps[0], hex(HIGH_768X320));
        assert_eq!(c.first_sps().unwrap().unwrap().width(), 768);
        let ext = c.ext.unwrap();
        assert_eq!((ext.chroma_format, ext.bit_depth_luma), (1, 8));
        let c = AvcDecoderConfig::parse(&hex(AVCC_HIGH444)).unwrap();
        assert_eq!(c.ext.unwrap().chroma_format, 3);
        let c = AvcDecoderConfig::parse(&hex(AVCC_BASELINE)).unwrap();
        assert!(c.ext.is_none());
        assert_eq!(c.codec_string(), "avc1.42C00D");
    }

    #[test]
    fn builds_the_same_record_as_ffmpeg() {
        for (sps, pps, avcc) in [
            (HIGH_768X320, PPS_HIGH, AVCC_HIGH),
            (HIGH444_352X288, PPS_HIGH444, AVCC_HIGH444),
        ] {
            let c = AvcDecoderConfig::from_parameter_sets(
                &[Bytes::from(hex(sps))],
                &[Bytes::from(hex(pps))],
            )
            .unwrap();
            assert_eq!(c.to_bytes().unwrap(), hex(avcc));
        }
        let c = AvcDecoderConfig::parse(&hex(AVCC_BASELINE)).unwrap();
        let rebuilt = AvcDecoderConfig::from_parameter_sets(&c.sps, &c.pps).unwrap();
        assert_eq!(rebuilt, c);
    }

    #[test]
    fn from_parameter_sets_rejects_wrong_units() {
        let sps = vec![Bytes::from(hex(HIGH_768X320))];
        let pps = vec![Bytes::from(hex(PPS_HIGH))];
        assert!(AvcDecoderConfig::from_parameter_sets(&[], &pps).is_err());
        assert!(AvcDecoderConfig::from_parameter_sets(&pps, &pps).is_err());
        assert!(AvcDecoderConfig::from_parameter_sets(&sps, &sps).is_err());
        let with_empty = [sps[0].clone(), Bytes::new()];
        assert!(AvcDecoderConfig::from_parameter_sets(&with_empty, &pps).is_err());
        let many = vec![sps[0].clone(); 32];
        let err = AvcDecoderConfig::from_parameter_sets(&many, &pps).unwrap_err();
        assert!(matches!(err, CodecError::TooLarge { .. }));
    }

    #[test]
    fn tolerates_missing_or_damaged_extension() {
        // High profile record cut right after the PPS, as older writers leave it.
        let mut data = hex(AVCC_HIGH);
        data.truncate(data.len() - 4);
        let c = AvcDecoderConfig::parse(&data).unwrap();
        assert!(c.ext.is_none());
        assert_eq!(c.to_bytes().unwrap(), data);
        // An extension claiming three SPS extensions it does not have.
        let mut data = hex(AVCC_HIGH);
        *data.last_mut().unwrap() = 3;
        assert!(AvcDecoderConfig::parse(&data).unwrap().ext.is_none());
    }

    #[test]
    fn hostile_records() {
        // 31 SPS claimed, no bytes.
        let err = AvcDecoderConfig::parse(&[1, 0x64, 0, 0x1E, 0xFF, 0xFF]).unwrap_err();
        assert_eq!(
            err,
            CodecError::Truncated {
                what: "avcC",
                offset: 6
            }
        );
        // An SPS length past the end.
        assert!(
            AvcDecoderConfig::parse(&[1, 0x64, 0, 0x1E, 0xFF, 0xE1, 0xFF, 0xFF, 0x67]).is_err()
        );
        // Version 0, length size 3.
        assert!(AvcDecoderConfig::parse(&[0, 0x64, 0, 0x1E, 0xFF, 0xE0, 0]).is_err());
        assert!(AvcDecoderConfig::parse(&[1, 0x64, 0, 0x1E, 0xFE, 0xE0, 0]).is_err());
        // No parameter sets at all is a valid (if useless) record.
        let c = AvcDecoderConfig::parse(&[1, 0x42, 0, 0x1E, 0xFF, 0xE0, 0]).unwrap();
        assert!(c.sps.is_empty() && c.first_sps().is_none());
        // Every prefix of a real record.
        let data = hex(AVCC_HIGH444);
        for n in 0..data.len() {
            let _ = AvcDecoderConfig::parse(&data[..n]);
        }
        for n in 0..data.len() - 4 {
            assert!(AvcDecoderConfig::parse(&data[..n]).is_err(), "cut at {n}");
        }
    }

    #[test]
    fn write_checks_its_fields() {
        let mut c = AvcDecoderConfig::parse(&hex(AVCC_HIGH)).unwrap();
        c.length_size = 3;
        let mut out = Vec::new();
        assert!(c.write_to(&mut out).is_err());
        assert!(out.is_empty());
        c.length_size = 2;
        c.pps = vec![Bytes::from(vec![0x68; 70_000])];
        assert!(c.to_bytes().is_err());
    }
}
