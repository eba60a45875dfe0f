//! What can go wrong reading or writing FLV, with where it went wrong.

use crate::amf::AmfError;
use crate::codec::CodecError;

/// An FLV file, tag or body that cannot be read, or a packet that cannot be written as FLV.
///
/// Reading errors name the tag index (0 = the first tag after the header) and the byte offset
/// of the tag header in the input, so the bad tag can be found with a hex editor.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlvError {
    /// The input does not start with the `FLV` signature.
    #[error("not an flv file: signature {found:02x?} at byte 0, expected \"FLV\"")]
    NotFlv {
        /// The first bytes found.
        found: Vec<u8>,
    },
    /// The input ends inside the 9-byte file header.
    #[error("truncated flv header: {len} of 9 bytes at byte 0")]
    TruncatedHeader {
        /// How many bytes there were.
        len: usize,
    },
    /// The header's DataOffset points inside the header itself.
    #[error("flv header at byte 5: data offset {data_offset} is smaller than the 9-byte header")]
    BadDataOffset {
        /// The DataOffset field.
        data_offset: u32,
    },
    /// The input ends inside a tag header, body or PreviousTagSize field.
    #[error(
        "tag {index} at byte {offset}: truncated {part}: needs {needed} bytes, {available} left"
    )]
    Truncated {
        /// Tag index.
        index: u64,
        /// Byte offset where the incomplete part starts.
        offset: u64,
        /// Which part: "tag header", "tag body", "previous tag size".
        part: &'static str,
        /// Bytes the part needs.
        needed: u64,
        /// Bytes that were left.
        available: u64,
    },
    /// A PreviousTagSize field disagrees with the size of the tag before it (an error only in
    /// strict mode; otherwise a warning).
    #[error(
        "tag {index}: previous tag size at byte {offset} is {found}, expected {expected} (11 + data size)"
    )]
    PreviousTagSize {
        /// Index of the tag the field follows.
        index: u64,
        /// Byte offset of the field.
        offset: u64,
        /// What the tag's size says it should be.
        expected: u32,
        /// What the field says.
        found: u32,
    },
    /// A tag whose body cannot be understood (strict mode; otherwise it is skipped with a
    /// warning).
    #[error("tag {index} ({tag_type}) at byte {offset}: {reason}")]
    BadTag {
        /// Tag index.
        index: u64,
        /// Byte offset of the tag header.
        offset: u64,
        /// "audio", "video", "script" or the numeric type.
        tag_type: String,
        /// What is wrong.
        reason: String,
    },
    /// A script tag whose AMF0 body is malformed.
    #[error("tag {index} (script) at byte {offset}: in body: {source}")]
    Script {
        /// Tag index.
        index: u64,
        /// Byte offset of the tag header.
        offset: u64,
        /// The AMF error (its offsets count from the start of the tag body).
        source: AmfError,
    },
    /// A sequence header whose configuration record is malformed.
    #[error("tag {index} ({tag_type}) at byte {offset}: bad sequence header: {source}")]
    Config {
        /// Tag index.
        index: u64,
        /// Byte offset of the tag header.
        offset: u64,
        /// "audio" or "video".
        tag_type: &'static str,
        /// What the codec parser said.
        source: CodecError,
    },
    /// A packet or header too large for FLV's 24-bit DataSize field.
    #[error(
        "flv tag body of {size} bytes exceeds the 24-bit limit of 16777215 bytes (track {track})"
    )]
    TagTooLarge {
        /// The body size that would have been needed.
        size: usize,
        /// The track of the packet.
        track: u32,
    },
    /// FLV timestamps are unsigned milliseconds.
    #[error("track {track}: negative timestamp {dts} ms cannot be written to flv")]
    NegativeTimestamp {
        /// The track.
        track: u32,
        /// The decode timestamp in milliseconds.
        dts: i64,
    },
    /// A composition offset beyond FLV's signed 24-bit field.
    #[error("track {track}: composition offset {offset} ms does not fit flv's 24-bit field")]
    CompositionOffset {
        /// The track.
        track: u32,
        /// pts - dts in milliseconds.
        offset: i64,
    },
    /// A track whose codec FLV cannot carry.
    #[error("track {track}: codec {codec} cannot be written to flv")]
    UnsupportedCodec {
        /// The track.
        track: u32,
        /// The codec name.
        codec: String,
    },
}
