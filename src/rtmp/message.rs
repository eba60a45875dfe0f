//! RTMP messages (Adobe RTMP 1.0 §5.4, §6, §7): type ids, and the protocol control and user
//! control messages.

use bytes::{BufMut, Bytes};

use super::error::RtmpError;

/// A message's type id: an open newtype, unknown values survive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MessageType(pub u8);

impl MessageType {
    /// Set Chunk Size.
    pub const SET_CHUNK_SIZE: MessageType = MessageType(1);
    /// Abort Message.
    pub const ABORT: MessageType = MessageType(2);
    /// Acknowledgement.
    pub const ACK: MessageType = MessageType(3);
    /// User Control Message.
    pub const USER_CONTROL: MessageType = MessageType(4);
    /// Window Acknowledgement Size.
    pub const WINDOW_ACK_SIZE: MessageType = MessageType(5);
    /// Set Peer Bandwidth.
    pub const SET_PEER_BANDWIDTH: MessageType = MessageType(6);
    /// Audio (an FLV audio tag body).
    pub const AUDIO: MessageType = MessageType(8);
    /// Video (an FLV video tag body).
    pub const VIDEO: MessageType = MessageType(9);
    /// AMF3 data message.
    pub const DATA_AMF3: MessageType = MessageType(15);
    /// AMF3 shared object.
    pub const SHARED_OBJECT_AMF3: MessageType = MessageType(16);
    /// AMF3 command.
    pub const COMMAND_AMF3: MessageType = MessageType(17);
    /// AMF0 data message (`@setDataFrame`, `onMetaData`).
    pub const DATA_AMF0: MessageType = MessageType(18);
    /// AMF0 shared object.
    pub const SHARED_OBJECT_AMF0: MessageType = MessageType(19);
    /// AMF0 command.
    pub const COMMAND_AMF0: MessageType = MessageType(20);
    /// Aggregate (FLV tags back to back).
    pub const AGGREGATE: MessageType = MessageType(22);
}

/// One message, reassembled from its chunks.
#[derive(Clone, PartialEq, Eq)]
pub struct RtmpMessage {
    /// The chunk stream it came on.
    pub csid: u32,
    /// Its type.
    pub type_id: MessageType,
    /// Its timestamp in milliseconds, as on the wire (32 bits, wrapping).
    pub timestamp: u32,
    /// The message stream id.
    pub stream_id: u32,
    /// The payload.
    pub payload: Bytes,
}

impl std::fmt::Debug for RtmpMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtmpMessage")
            .field("csid", &self.csid)
            .field("type_id", &self.type_id.0)
            .field("timestamp", &self.timestamp)
            .field("stream_id", &self.stream_id)
            .field("len", &self.payload.len())
            .finish()
    }
}

/// Chunk stream ids muxkit sends on: protocol control must use 2; commands and media get their
/// own so a large video message never delays a command.
pub mod csid {
    /// Protocol control and user control messages.
    pub const CONTROL: u32 = 2;
    /// Commands (`_result`, `onStatus`).
    pub const COMMAND: u32 = 3;
    /// Audio.
    pub const AUDIO: u32 = 4;
    /// Video.
    pub const VIDEO: u32 = 6;
    /// Data (`@setDataFrame`).
    pub const DATA: u32 = 5;
}

/// User control event types (§7.1.7).
pub mod user_control {
    /// Stream Begin.
    pub const STREAM_BEGIN: u16 = 0;
    /// Stream EOF.
    pub const STREAM_EOF: u16 = 1;
    /// Set Buffer Length.
    pub const SET_BUFFER_LENGTH: u16 = 3;
    /// Ping Request.
    pub const PING_REQUEST: u16 = 6;
    /// Ping Response.
    pub const PING_RESPONSE: u16 = 7;
}

fn control(type_id: MessageType, payload: Vec<u8>) -> RtmpMessage {
    RtmpMessage {
        csid: csid::CONTROL,
        type_id,
        timestamp: 0,
        stream_id: 0,
        payload: Bytes::from(payload),
    }
}

/// Set Chunk Size: the chunk size the sender uses from the next chunk on (31 bits).
pub fn set_chunk_size(size: u32) -> RtmpMessage {
    control(
        MessageType::SET_CHUNK_SIZE,
        (size & 0x7FFF_FFFF).to_be_bytes().to_vec(),
    )
}

/// Acknowledgement of `received` bytes.
pub fn acknowledgement(received: u32) -> RtmpMessage {
    control(MessageType::ACK, received.to_be_bytes().to_vec())
}

/// Window Acknowledgement Size.
pub fn window_ack_size(size: u32) -> RtmpMessage {
    control(MessageType::WINDOW_ACK_SIZE, size.to_be_bytes().to_vec())
}

/// Set Peer Bandwidth (`limit` 2: dynamic).
pub fn set_peer_bandwidth(size: u32, limit: u8) -> RtmpMessage {
    let mut p = size.to_be_bytes().to_vec();
    p.push(limit);
    control(MessageType::SET_PEER_BANDWIDTH, p)
}

/// A user control event with a 4-byte value (Stream Begin, Ping).
pub fn user_control(event: u16, value: u32) -> RtmpMessage {
    let mut p = Vec::with_capacity(6);
    p.put_u16(event);
    p.put_u32(value);
    control(MessageType::USER_CONTROL, p)
}

/// The 4-byte big-endian value of a protocol control message.
pub fn control_value(m: &RtmpMessage) -> Result<u32, RtmpError> {
    m.payload
        .first_chunk::<4>()
        .map(|b| u32::from_be_bytes(*b))
        .ok_or_else(|| RtmpError::Message {
            type_id: m.type_id.0,
            csid: m.csid,
            reason: format!("{} bytes, need 4", m.payload.len()),
        })
}

/// One sub-message of an aggregate message (§7.1.6): an FLV tag inside the message body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AggregatePart {
    /// The FLV tag type (8 audio, 9 video, 18 script; anything else is the caller's to judge).
    pub tag_type: u8,
    /// The aggregate's own timestamp plus this tag's offset from the first one.
    pub timestamp: u32,
    /// The tag body, a slice of the aggregate's payload.
    pub body: Bytes,
}

/// The sub-messages of aggregate `m`, in order; an `Err` (the length it claims) for one that
/// runs past the payload's end, after which nothing more is read. Shared by the server session
/// and the play client.
pub fn aggregate_parts(m: &RtmpMessage) -> impl Iterator<Item = Result<AggregatePart, usize>> + '_ {
    let mut at = 0usize;
    let mut first: Option<u32> = None;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed {
            return None;
        }
        let h = m.payload.get(at..at + 11)?;
        let len = (usize::from(h[1]) << 16) | (usize::from(h[2]) << 8) | usize::from(h[3]);
        let ts = (u32::from(h[7]) << 24)
            | (u32::from(h[4]) << 16)
            | (u32::from(h[5]) << 8)
            | u32::from(h[6]);
        if m.payload.len() < at + 11 + len {
            failed = true;
            return Some(Err(len));
        }
        let first = *first.get_or_insert(ts);
        let part = AggregatePart {
            tag_type: h[0] & 0x1F,
            timestamp: m.timestamp.wrapping_add(ts.wrapping_sub(first)),
            body: m.payload.slice(at + 11..at + 11 + len),
        };
        // Body, then the 4-byte back pointer.
        at += 11 + len + 4;
        Some(Ok(part))
    })
}
