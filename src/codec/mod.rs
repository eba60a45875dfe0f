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
//!
//! Codec strings follow RFC 6381 and ISO/IEC 14496-15 Annex E, in the forms HLS players
//! (Apple, hls.js) expect in a `CODECS` attribute.
//!
//! Every parser here takes bytes and returns a [`CodecError`] naming the structure and the byte
//! offset of the damage; none panics or allocates more than its input on any input.

pub mod aac;
pub mod avc;
pub mod bits;
pub mod hevc;

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

#[cfg(test)]
mod tests;
