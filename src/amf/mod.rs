//! AMF0 and AMF3, Adobe's Action Message Formats: the encoding of FLV script tags and RTMP
//! commands. (Skeleton: the full implementation lands with the AMF module.)

pub mod amf0;
pub mod value;

pub use value::{AmfObject, AmfValue};

/// Malformed or hostile AMF data; offsets count from the start of the buffer being decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AmfError {
    /// The data ended inside a value.
    #[error("amf: unexpected end of data at byte {offset}")]
    Truncated {
        /// Where the missing bytes were expected.
        offset: usize,
    },
}
