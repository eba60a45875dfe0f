//! H.264 / AVC: the `avcC` decoder configuration record, the sequence parameter set, and NAL
//! unit framing.
//!
//! - [`AvcDecoderConfig`]: ISO/IEC 14496-15 §5.3.3.1 `AVCDecoderConfigurationRecord`, the
//!   record FLV/F4V/MP4 carry as the track's configuration.
//! - [`Sps`]: ISO/IEC 14496-10 §7.3.2.1.1 `seq_parameter_set_data()`, read far enough for the
//!   picture size, chroma format, bit depth, profile, level and the VUI timing.
//! - Framing ([`nal_units_length_prefixed`], [`annexb_nal_units`] and the two converters): the
//!   MP4/FLV form (each NAL unit behind a big-endian length) and the byte-stream form of
//!   14496-10 Annex B that MPEG-TS carries (each NAL unit behind a `00 00 01` start code). The
//!   same framing serves HEVC.

mod config;
mod nal;
mod sps;

pub use config::{AvcDecoderConfig, AvcHighExt};
pub use nal::{
    AnnexBNalUnits, LengthPrefixedNalUnits, annexb_nal_units, annexb_to_length_prefixed_in_place,
    nal_units_length_prefixed, write_annexb_from_length_prefixed,
    write_length_prefixed_from_annexb,
};
pub(crate) use sps::read_vui_start;
pub use sps::{CropWindow, MAX_DIMENSION, Sps, VideoSignal, VuiTiming};

/// An H.264 `nal_unit_type` (ISO/IEC 14496-10 Table 7-1), open so unknown values survive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[doc(alias = "nal_unit_type")]
pub struct AvcNalType(pub u8);

impl AvcNalType {
    /// Coded slice of a non-IDR picture.
    pub const SLICE: AvcNalType = AvcNalType(1);
    /// Coded slice data partition A.
    pub const SLICE_DATA_A: AvcNalType = AvcNalType(2);
    /// Coded slice of an IDR picture: a keyframe.
    pub const IDR: AvcNalType = AvcNalType(5);
    /// Supplemental enhancement information.
    pub const SEI: AvcNalType = AvcNalType(6);
    /// Sequence parameter set.
    pub const SPS: AvcNalType = AvcNalType(7);
    /// Picture parameter set.
    pub const PPS: AvcNalType = AvcNalType(8);
    /// Access unit delimiter, which MPEG-TS requires before each access unit.
    pub const AUD: AvcNalType = AvcNalType(9);
    /// End of sequence.
    pub const END_OF_SEQUENCE: AvcNalType = AvcNalType(10);
    /// End of stream.
    pub const END_OF_STREAM: AvcNalType = AvcNalType(11);
    /// Filler data.
    pub const FILLER: AvcNalType = AvcNalType(12);
    /// Sequence parameter set extension (carried in the `avcC` high-profile extension).
    pub const SPS_EXT: AvcNalType = AvcNalType(13);

    /// The type in a NAL unit header byte (its low 5 bits).
    pub fn from_header(byte: u8) -> AvcNalType {
        AvcNalType(byte & 0x1F)
    }

    /// The type of a NAL unit, `None` when it is empty.
    pub fn of(nal: &[u8]) -> Option<AvcNalType> {
        nal.first().map(|&b| AvcNalType::from_header(b))
    }

    /// Whether this type is a parameter set or delimiter that the canonical (MP4/FLV) payload
    /// form keeps out of band: SPS, PPS, SPS extension and AUD.
    pub fn is_parameter_set_or_delimiter(self) -> bool {
        matches!(self.0, 7 | 8 | 9 | 13)
    }
}
