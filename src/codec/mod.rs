//! Codec facts the containers need, and nothing about containers.
//!
//! Each submodule implements one codec's configuration records and headers, as the specs define
//! them:
//!
//! | module   | structures                                          | spec                                   |
//! |----------|-----------------------------------------------------|----------------------------------------|
//! | [`bits`] | bit reader/writer, exp-Golomb, emulation prevention | ISO/IEC 14496-10 §7.2, §7.4.1, §9.1    |
//! | [`avc`]  | `avcC`, SPS, NAL framing (length prefix, Annex B)   | ISO/IEC 14496-10 §7.3.2.1, 14496-15 §5 |
//! | [`hevc`] | `hvcC`, SPS, profile_tier_level                     | ITU-T H.265 §7.3, ISO/IEC 14496-15 §8  |
//! | [`aac`]  | AudioSpecificConfig, ADTS header                    | ISO/IEC 14496-3 §1.6.2.1, §1.A.2       |
//! | [`mpa`]  | MPEG-1/2/2.5 audio frame header (MP3)               | ISO/IEC 11172-3 §2.4.2.3, 13818-3      |
//! | [`ac3`]  | AC-3/E-AC-3 sync frame header, `dac3`/`dec3`        | ATSC A/52 §5.3, Annex E; ETSI TS 102 366 Annex F |
//!
//! Codec strings follow RFC 6381 and ISO/IEC 14496-15 Annex E, in the forms HLS players
//! (Apple, hls.js) expect in a `CODECS` attribute.
//!
//! Every parser here takes bytes and returns a [`CodecError`] naming the structure and the byte
//! offset of the damage; none panics or allocates more than its input on any input.

use crate::media::{Codec, CodecConfig};

pub mod aac;
pub mod ac3;
pub mod av1;
pub mod avc;
pub mod bits;
pub mod flac;
pub mod hevc;
pub mod mpa;
pub mod opus;
pub mod param_sets;
pub mod vp9;

/// A codec configuration record or header that cannot be parsed or written.
///
/// `what` names the structure (`"avcC"`, `"h264 sps"`, `"adts header"`, ...) and `offset` is the
/// byte offset inside that structure where the problem was found. For NAL units the offset counts
/// in the unescaped payload (after emulation-prevention bytes are removed).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The data ended early.
    #[error("{what}: truncated at byte {offset}")]
    Truncated {
        /// Which structure.
        what: &'static str,
        /// Where.
        offset: usize,
    },
    /// A field holds a value the spec forbids or reserves.
    #[error("{what}: {reason} at byte {offset}")]
    Invalid {
        /// Which structure.
        what: &'static str,
        /// Where.
        offset: usize,
        /// What is wrong, lowercase.
        reason: String,
    },
    /// A size or count exceeds a named limit (see the `MAX_*` constants and their reasons).
    #[error("{what}: {field} of {value} exceeds the limit of {limit} at byte {offset}")]
    TooLarge {
        /// Which structure.
        what: &'static str,
        /// Which field or derived quantity.
        field: &'static str,
        /// Where.
        offset: usize,
        /// The value found.
        value: u64,
        /// The largest value accepted.
        limit: u64,
    },
    /// Valid input that the requested form cannot express (an explicit sampling frequency or
    /// a 960-sample frame in an ADTS header, ...).
    #[error("{what}: cannot express {reason}")]
    Unsupported {
        /// Which structure was being written or parsed.
        what: &'static str,
        /// What it cannot carry, lowercase.
        reason: String,
    },
}

impl CodecError {
    /// Shorthand for [`CodecError::Invalid`].
    pub(crate) fn invalid(what: &'static str, offset: usize, reason: impl Into<String>) -> Self {
        CodecError::Invalid {
            what,
            offset,
            reason: reason.into(),
        }
    }
}

/// What a track's codec configuration says about the stream, for inspection and for HLS
/// `CODECS`/`RESOLUTION` attributes.
///
/// Every field is optional because each codec knows only some of them and a configuration may
/// be missing; a field is `None` rather than guessed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CodecDetails {
    /// The RFC 6381 codec string (`avc1.64001F`, `hvc1.1.6.L93.B0`, `mp4a.40.2`, `mp4a.40.34`
    /// for MP3).
    pub codec_string: Option<String>,
    /// The profile name as ffprobe spells it (`High`, `Main 10`, `LC`, `HE-AAC`).
    pub profile: Option<String>,
    /// The level as a decimal (`3.1`, `4`, `1b`).
    pub level: Option<String>,
    /// Displayed width in pixels (after cropping).
    pub width: Option<u32>,
    /// Displayed height in pixels (after cropping).
    pub height: Option<u32>,
    /// Output sample rate in Hz (for HE-AAC, the SBR rate).
    pub sample_rate: Option<u32>,
    /// Output channel count.
    pub channels: Option<u8>,
    /// Luma (video) bit depth.
    pub bit_depth: Option<u8>,
}

impl CodecDetails {
    /// Details from the container-stated parameters alone.
    fn from_params(config: &CodecConfig) -> CodecDetails {
        let mut d = CodecDetails::default();
        if let Some(v) = config.video {
            d.width = Some(v.width);
            d.height = Some(v.height);
        }
        if let Some(a) = config.audio {
            d.sample_rate = Some(a.sample_rate);
            d.channels = Some(a.channels);
        }
        d
    }
}

impl CodecConfig {
    /// Parses the configuration record into the facts an inspector or HLS playlist needs.
    ///
    /// For H.264 it reads the `avcC` and its first SPS, for HEVC the `hvcC` and its first SPS,
    /// for AAC the AudioSpecificConfig; the record wins over the container's stated
    /// parameters, which fill in only what the record lacks. An empty record (none seen yet)
    /// is not an error: the details then hold only what `audio`/`video` say. Other codecs get
    /// their well-known codec string where RFC 6381 defines one without a record.
    pub fn details(&self) -> Result<CodecDetails, CodecError> {
        let mut d = CodecDetails::from_params(self);
        match self.codec {
            Codec::H264 if !self.extradata.is_empty() => {
                let cfg = avc::AvcDecoderConfig::parse(&self.extradata)?;
                d.codec_string = Some(cfg.codec_string());
                if let Some(sps) = cfg.first_sps() {
                    let sps = sps?;
                    d.profile = Some(sps.profile_name().to_owned());
                    d.level = Some(sps.level_string());
                    d.width = Some(sps.width());
                    d.height = Some(sps.height());
                    d.bit_depth = Some(sps.bit_depth_luma);
                }
            }
            Codec::Hevc if !self.extradata.is_empty() => {
                let cfg = hevc::HevcDecoderConfig::parse(&self.extradata)?;
                let ptl = cfg.profile_tier_level();
                d.codec_string = Some(cfg.codec_string());
                d.profile = Some(ptl.profile_name().to_owned());
                d.level = Some(ptl.level_string());
                d.bit_depth = Some(cfg.bit_depth_luma);
                if let Some(sps) = cfg.first_sps() {
                    let sps = sps?;
                    d.width = Some(sps.width());
                    d.height = Some(sps.height());
                }
            }
            Codec::Aac if !self.extradata.is_empty() => {
                let asc = aac::AudioSpecificConfig::parse(&self.extradata)?;
                d.codec_string = Some(asc.codec_string());
                d.profile = Some(asc.profile_name().to_owned());
                d.sample_rate = Some(asc.output_sample_rate());
                if let Some(ch) = asc.channels() {
                    d.channels = Some(ch);
                }
            }
            // MP3 needs no record: RFC 6381 via Apple's HLS authoring spec names it by its
            // MPEG-4 audio object type 34 (Layer III).
            Codec::Mp3 => d.codec_string = Some(mpa::MP3_CODEC_STRING.to_owned()),
            // Layer II (MP2) by the same scheme: object type 33.
            Codec::Mp2 => d.codec_string = Some("mp4a.40.33".to_owned()),
            Codec::Av1 if !self.extradata.is_empty() => {
                let c = av1::Av1Config::parse(&self.extradata)?;
                d.codec_string = Some(c.codec_string());
                d.profile = Some(c.profile_name().to_owned());
                d.level = Some(c.level_string());
                d.bit_depth = Some(c.bit_depth);
            }
            Codec::Vp9 if !self.extradata.is_empty() => {
                let c = vp9::Vp9Config::parse(&self.extradata)?;
                d.codec_string = Some(c.codec_string());
                d.profile = Some(format!("Profile {}", c.profile));
                d.level = Some(c.level_string());
                d.bit_depth = Some(c.bit_depth);
            }
            // Registered sample-entry names that need no parameters; the records give the
            // rate and channels.
            Codec::Opus => {
                d.codec_string = Some("opus".to_owned());
                if !self.extradata.is_empty() {
                    let h = opus::OpusHead::parse(&self.extradata)?;
                    // Opus always decodes at 48 kHz; the input rate is informational.
                    d.sample_rate = Some(48_000);
                    d.channels = Some(h.channels);
                }
            }
            Codec::Flac => {
                d.codec_string = Some("fLaC".to_owned());
                if !self.extradata.is_empty() {
                    let s = flac::StreamInfo::parse(flac::streaminfo_body(&self.extradata))?;
                    d.sample_rate = Some(s.sample_rate);
                    d.channels = Some(s.channels);
                    d.bit_depth = Some(s.bits_per_sample);
                }
            }
            Codec::Ac3 => d.codec_string = Some("ac-3".to_owned()),
            Codec::Eac3 => d.codec_string = Some("ec-3".to_owned()),
            _ => {}
        }
        Ok(d)
    }
}

#[cfg(test)]
mod tests;
