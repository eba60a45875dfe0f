//! The RTMP error type.

/// What went wrong on an RTMP connection. Each names what the peer did and where (chunk stream
/// id, message type), so a capture can be matched to it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RtmpError {
    /// The handshake failed.
    #[error("rtmp handshake: {0}")]
    Handshake(String),
    /// The chunk stream broke a rule.
    #[error("rtmp chunk stream {csid}: {reason}")]
    Chunk {
        /// The chunk stream id.
        csid: u32,
        /// What is wrong, lowercase.
        reason: String,
    },
    /// A limit was passed (see the `MAX_*` constants).
    #[error("rtmp: {what} of {value} exceeds the limit of {limit}")]
    Limit {
        /// Which quantity.
        what: &'static str,
        /// The value.
        value: u64,
        /// The limit.
        limit: u64,
    },
    /// A message could not be read.
    #[error("rtmp message type {type_id} on chunk stream {csid}: {reason}")]
    Message {
        /// The message type.
        type_id: u8,
        /// The chunk stream id.
        csid: u32,
        /// What is wrong.
        reason: String,
    },
    /// The peer asked for something the session refuses (and the connection ends).
    #[error("rtmp: {0}")]
    Refused(String),
}
