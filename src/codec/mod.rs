//! Codec facts the containers need (skeleton).

/// A codec configuration record or header that cannot be parsed.
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
}

/// Parsed facts of a codec configuration (skeleton).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CodecDetails {
    /// RFC 6381 string.
    pub codec_string: Option<String>,
    /// Profile name.
    pub profile: Option<String>,
    /// Level.
    pub level: Option<String>,
    /// Width.
    pub width: Option<u32>,
    /// Height.
    pub height: Option<u32>,
    /// Sample rate.
    pub sample_rate: Option<u32>,
    /// Channels.
    pub channels: Option<u8>,
    /// Bit depth.
    pub bit_depth: Option<u8>,
}

impl crate::media::CodecConfig {
    /// Parsed details (skeleton).
    pub fn details(&self) -> Result<CodecDetails, CodecError> {
        Ok(CodecDetails::default())
    }
}
