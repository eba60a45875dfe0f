//! H.265 / HEVC: the `hvcC` decoder configuration record, the sequence parameter set and its
//! profile_tier_level.
//!
//! - [`HevcDecoderConfig`]: ISO/IEC 14496-15 §8.3.3.1 `HEVCDecoderConfigurationRecord`.
//! - [`HevcSps`]: ITU-T H.265 §7.3.2.2 `seq_parameter_set_rbsp()`, read up to the bit depths
//!   (picture size, conformance window, chroma format).
//! - [`HevcProfileTierLevel`]: H.265 §7.3.3 `profile_tier_level()` general part, with the
//!   ISO/IEC 14496-15 Annex E codec string (`hvc1.1.6.L93.B0`).
//!
//! NAL units are framed exactly as H.264's: use [`crate::codec::avc::nal_units_length_prefixed`]
//! and [`crate::codec::avc::annexb_nal_units`] and the converters beside them.

mod config;
mod ptl;
mod sps;
mod vps;

pub use config::{HevcDecoderConfig, HevcNalArray};
pub use ptl::HevcProfileTierLevel;
pub use sps::{HevcPicOrder, HevcSps};
pub use vps::hevc_vps_timing;

/// An HEVC `nal_unit_type` (H.265 Table 7-1), open so unknown values survive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[doc(alias = "nal_unit_type")]
pub struct HevcNalType(pub u8);

impl HevcNalType {
    /// Broken link access, first of the IRAP types (16..=23).
    pub const BLA_W_LP: HevcNalType = HevcNalType(16);
    /// IDR picture that may have leading pictures.
    pub const IDR_W_RADL: HevcNalType = HevcNalType(19);
    /// IDR picture without leading pictures.
    pub const IDR_N_LP: HevcNalType = HevcNalType(20);
    /// Clean random access picture.
    pub const CRA: HevcNalType = HevcNalType(21);
    /// Video parameter set.
    pub const VPS: HevcNalType = HevcNalType(32);
    /// Sequence parameter set.
    pub const SPS: HevcNalType = HevcNalType(33);
    /// Picture parameter set.
    pub const PPS: HevcNalType = HevcNalType(34);
    /// Access unit delimiter, which MPEG-TS requires before each access unit.
    pub const AUD: HevcNalType = HevcNalType(35);
    /// End of sequence.
    pub const END_OF_SEQUENCE: HevcNalType = HevcNalType(36);
    /// End of bitstream.
    pub const END_OF_BITSTREAM: HevcNalType = HevcNalType(37);
    /// Filler data.
    pub const FILLER: HevcNalType = HevcNalType(38);
    /// Prefix SEI.
    pub const PREFIX_SEI: HevcNalType = HevcNalType(39);
    /// Suffix SEI.
    pub const SUFFIX_SEI: HevcNalType = HevcNalType(40);

    /// The type in the first byte of a 2-byte NAL unit header (bits 1..=6).
    pub fn from_header(first_byte: u8) -> HevcNalType {
        HevcNalType((first_byte >> 1) & 0x3F)
    }

    /// The type of a NAL unit, `None` when it is empty.
    pub fn of(nal: &[u8]) -> Option<HevcNalType> {
        nal.first().map(|&b| HevcNalType::from_header(b))
    }

    /// Whether the picture is an intra random access point (BLA, IDR, CRA and the reserved
    /// IRAP types 22..=23): a keyframe, where decoding can start.
    pub fn is_irap(self) -> bool {
        (16..=23).contains(&self.0)
    }

    /// Whether this type is a parameter set or delimiter that the canonical (MP4/FLV) payload
    /// form keeps out of band: VPS, SPS, PPS and AUD.
    pub fn is_parameter_set_or_delimiter(self) -> bool {
        (32..=35).contains(&self.0)
    }
}
