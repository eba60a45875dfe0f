//! The RTMP chunk stream (Adobe RTMP 1.0 §5.3), sans-IO: bytes in, messages out, and messages
//! into chunk bytes.
//!
//! A hostile peer controls every length here, so nothing is ever sized by what it says: a
//! message buffer grows only as its bytes arrive, the chunk size only decides how many bytes the
//! next chunk holds, and the number of chunk streams and the bytes of unfinished messages are
//! capped per connection.

use std::collections::HashMap;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::error::RtmpError;
use super::message::{MessageType, RtmpMessage, control_value};

/// The chunk size both sides start with.
pub const DEFAULT_CHUNK_SIZE: u32 = 128;

/// Largest chunk size a peer may set (31 bits, §5.4.1).
pub const MAX_CHUNK_SIZE: u32 = 0x7FFF_FFFF;

/// The default largest message accepted: a 4K keyframe at a high bit rate is a few MiB; 8 MiB
/// is room for that and far from what a memory attack needs.
pub const DEFAULT_MAX_MESSAGE_SIZE: u32 = 8 * 1024 * 1024;

/// The largest message size ever accepted (the 24-bit length field's range).
pub const HARD_MAX_MESSAGE_SIZE: u32 = 16 * 1024 * 1024 - 1;

/// Chunk streams one connection may use. Real clients use fewer than ten (control, command,
/// audio, video, data); each costs a little state, and a peer opening thousands must not.
pub const MAX_CHUNK_STREAMS: usize = 64;

/// Bytes of unfinished messages one connection may hold across all its chunk streams.
pub const MAX_PARTIAL_BYTES: usize = 16 * 1024 * 1024;

/// What one chunk stream remembers from its previous chunk headers.
#[derive(Debug, Default)]
struct ChunkStream {
    timestamp: u32,
    delta: u32,
    length: u32,
    type_id: u8,
    stream_id: u32,
    /// The last header carried an extended timestamp (so fmt 3 chunks may repeat it).
    extended: bool,
    /// The extended timestamp field's last value.
    extended_value: u32,
    /// Whether this peer repeats the extended timestamp in type-3 chunks (§5.3.1.3 says it
    /// does; some clients do not): decided at the first such chunk of the chunk stream and
    /// kept, so a later payload that happens to begin with the same four bytes is never taken
    /// for a repeat.
    repeats_extended: Option<bool>,
    /// A header was seen (fmt 1-3 need one before them).
    initialized: bool,
    /// The message being collected.
    partial: Option<BytesMut>,
}

/// Reassembles messages from chunks.
#[derive(Debug)]
pub struct ChunkDecoder {
    buf: BytesMut,
    chunk_size: u32,
    max_message_size: u32,
    streams: HashMap<u32, ChunkStream>,
    partial_bytes: usize,
    /// Bytes taken so far (for acknowledgements).
    received: u64,
}

impl Default for ChunkDecoder {
    fn default() -> Self {
        ChunkDecoder::new(DEFAULT_MAX_MESSAGE_SIZE)
    }
}

/// A parsed chunk header, before its payload.
struct Header {
    fmt: u8,
    csid: u32,
    len: usize,
}

impl ChunkDecoder {
    /// A decoder accepting messages up to `max_message_size` bytes (capped at
    /// [`HARD_MAX_MESSAGE_SIZE`]).
    pub fn new(max_message_size: u32) -> ChunkDecoder {
        ChunkDecoder {
            buf: BytesMut::new(),
            chunk_size: DEFAULT_CHUNK_SIZE,
            max_message_size: max_message_size.min(HARD_MAX_MESSAGE_SIZE),
            streams: HashMap::new(),
            partial_bytes: 0,
            received: 0,
        }
    }

    /// Adds bytes from the peer.
    pub fn push(&mut self, data: &[u8]) {
        self.received += data.len() as u64;
        self.buf.extend_from_slice(data);
    }

    /// Bytes taken from the peer so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Bytes pushed and not yet made into chunks.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Bytes of unfinished messages held.
    pub fn partial_bytes(&self) -> usize {
        self.partial_bytes
    }

    /// The peer's current chunk size.
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// The next complete message; `Ok(None)` when more bytes are needed. Set Chunk Size and
    /// Abort take effect here (they change how the next chunks read) and are returned too.
    pub fn next_message(&mut self) -> Result<Option<RtmpMessage>, RtmpError> {
        loop {
            let Some(h) = self.parse_header()? else {
                return Ok(None);
            };
            if let Some(m) = self.take_chunk(h)? {
                self.apply_control(&m)?;
                return Ok(Some(m));
            }
        }
    }

    /// Parses the header at the front of the buffer, consuming nothing unless the header and
    /// its payload are all there.
    fn parse_header(&mut self) -> Result<Option<Header>, RtmpError> {
        let b = &self.buf[..];
        let Some(&first) = b.first() else {
            return Ok(None);
        };
        let fmt = first >> 6;
        let (csid, mut pos) = match first & 0x3F {
            0 => match b.get(1) {
                Some(&x) => (64 + u32::from(x), 2),
                None => return Ok(None),
            },
            1 => match b.get(1..3) {
                Some(x) => (64 + u32::from(x[0]) + 256 * u32::from(x[1]), 3),
                None => return Ok(None),
            },
            n => (u32::from(n), 1),
        };
        let header_len = [11, 7, 3, 0][usize::from(fmt)];
        let Some(mh) = b.get(pos..pos + header_len) else {
            return Ok(None);
        };
        pos += header_len;
        let be24 = |s: &[u8]| (u32::from(s[0]) << 16) | (u32::from(s[1]) << 8) | u32::from(s[2]);
        let known = self.streams.contains_key(&csid);
        if !known {
            if fmt != 0 {
                return Err(RtmpError::Chunk {
                    csid,
                    reason: format!("first chunk has header type {fmt}, not 0"),
                });
            }
            if self.streams.len() >= MAX_CHUNK_STREAMS {
                return Err(RtmpError::Limit {
                    what: "chunk streams",
                    value: self.streams.len() as u64 + 1,
                    limit: MAX_CHUNK_STREAMS as u64,
                });
            }
        }
        let st = self.streams.get(&csid);
        let in_message = st.is_some_and(|s| s.partial.is_some());
        let ts_field = if fmt <= 2 {
            Some(be24(&mh[0..3]))
        } else {
            None
        };
        // Extended timestamp: present when the 24-bit field says 0xFFFFFF; a type-3 chunk after
        // such a header repeats it (§5.3.1.3), though some clients leave it out. Which kind of
        // client this is gets decided at the first type-3 chunk (the next 4 bytes equal the
        // value a repeat would carry) and holds for the chunk stream from then on.
        let mut extended = None;
        let mut decided = None;
        match ts_field {
            Some(0xFF_FFFF) => {
                let Some(e) = b.get(pos..pos + 4) else {
                    return Ok(None);
                };
                extended = Some(u32::from_be_bytes([e[0], e[1], e[2], e[3]]));
                pos += 4;
            }
            Some(_) => {}
            None => {
                if let Some(s) = st.filter(|s| s.extended) {
                    let repeats = match s.repeats_extended {
                        Some(known) => known,
                        None => {
                            let Some(e) = b.get(pos..pos + 4) else {
                                return Ok(None);
                            };
                            let same =
                                u32::from_be_bytes([e[0], e[1], e[2], e[3]]) == s.extended_value;
                            decided = Some(same);
                            same
                        }
                    };
                    if repeats {
                        if b.len() < pos + 4 {
                            return Ok(None);
                        }
                        extended = Some(s.extended_value);
                        pos += 4;
                    }
                }
            }
        }
        let (length, _) = match fmt {
            0 | 1 => (be24(&mh[3..6]), mh[6]),
            _ => (st.map_or(0, |s| s.length), 0),
        };
        if fmt <= 1 && in_message && st.is_some_and(|s| s.length != length) {
            return Err(RtmpError::Chunk {
                csid,
                reason: format!(
                    "message length changes from {} to {length} in the middle of a message",
                    st.map_or(0, |s| s.length)
                ),
            });
        }
        if length > self.max_message_size {
            return Err(RtmpError::Limit {
                what: "message size",
                value: u64::from(length),
                limit: u64::from(self.max_message_size),
            });
        }
        let have = st
            .and_then(|s| s.partial.as_ref())
            .filter(|_| fmt == 3 || in_message)
            .map_or(0, |p| p.len() as u32);
        let chunk = (length - have.min(length)).min(self.chunk_size) as usize;
        if b.len() < pos + chunk {
            return Ok(None);
        }
        // Commit: the header and its payload are all here.
        let st = self.streams.entry(csid).or_default();
        if fmt <= 1 {
            st.length = length;
            st.type_id = mh[6];
        }
        if fmt == 0 {
            st.stream_id = u32::from_le_bytes([mh[7], mh[8], mh[9], mh[10]]);
        }
        let starts_message = st.partial.is_none();
        if let Some(field) = ts_field {
            let value = extended.unwrap_or(field);
            if fmt == 0 {
                st.timestamp = value;
                st.delta = 0;
            } else {
                st.delta = value;
                st.timestamp = st.timestamp.wrapping_add(value);
            }
            st.extended = extended.is_some();
            st.extended_value = value;
        } else if starts_message && st.initialized {
            // A type-3 chunk starting a message repeats the previous delta.
            st.timestamp = st.timestamp.wrapping_add(st.delta);
        }
        st.initialized = true;
        if decided.is_some() {
            st.repeats_extended = decided;
        }
        self.buf.advance(pos);
        Ok(Some(Header {
            fmt,
            csid,
            len: chunk,
        }))
    }

    /// Takes the chunk's payload; the message when it is complete.
    fn take_chunk(&mut self, h: Header) -> Result<Option<RtmpMessage>, RtmpError> {
        let data = self.buf.split_to(h.len);
        let st = self
            .streams
            .get_mut(&h.csid)
            .ok_or_else(|| RtmpError::Chunk {
                csid: h.csid,
                reason: "chunk stream vanished".into(),
            })?;
        let _ = h.fmt;
        let complete_now = st.partial.is_none() && data.len() == st.length as usize;
        if complete_now {
            return Ok(Some(RtmpMessage {
                csid: h.csid,
                type_id: MessageType(st.type_id),
                timestamp: st.timestamp,
                stream_id: st.stream_id,
                payload: data.freeze(),
            }));
        }
        if self.partial_bytes + data.len() > MAX_PARTIAL_BYTES {
            return Err(RtmpError::Limit {
                what: "bytes of unfinished messages",
                value: (self.partial_bytes + data.len()) as u64,
                limit: MAX_PARTIAL_BYTES as u64,
            });
        }
        self.partial_bytes += data.len();
        let partial = st.partial.get_or_insert_with(BytesMut::new);
        partial.extend_from_slice(&data);
        if partial.len() < st.length as usize {
            return Ok(None);
        }
        let payload = st.partial.take().unwrap_or_default();
        self.partial_bytes -= payload.len();
        Ok(Some(RtmpMessage {
            csid: h.csid,
            type_id: MessageType(st.type_id),
            timestamp: st.timestamp,
            stream_id: st.stream_id,
            payload: payload.freeze(),
        }))
    }

    /// Set Chunk Size and Abort change the decoder itself.
    fn apply_control(&mut self, m: &RtmpMessage) -> Result<(), RtmpError> {
        if m.stream_id != 0 && m.csid != 2 {
            return Ok(());
        }
        let value = || control_value(m);
        match m.type_id {
            MessageType::SET_CHUNK_SIZE => {
                let size = value()? & 0x7FFF_FFFF;
                if size == 0 {
                    return Err(RtmpError::Message {
                        type_id: 1,
                        csid: m.csid,
                        reason: "chunk size 0".into(),
                    });
                }
                self.chunk_size = size;
            }
            MessageType::ABORT => {
                let csid = value()?;
                if let Some(st) = self.streams.get_mut(&csid) {
                    if let Some(p) = st.partial.take() {
                        self.partial_bytes -= p.len();
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Writes messages as chunks.
#[derive(Debug)]
pub struct ChunkEncoder {
    chunk_size: u32,
}

impl Default for ChunkEncoder {
    fn default() -> Self {
        ChunkEncoder {
            chunk_size: DEFAULT_CHUNK_SIZE,
        }
    }
}

fn put_basic_header(out: &mut Vec<u8>, fmt: u8, csid: u32) {
    match csid {
        2..=63 => out.push((fmt << 6) | csid as u8),
        64..=319 => out.extend_from_slice(&[fmt << 6, (csid - 64) as u8]),
        _ => {
            let v = csid.clamp(320, 65599) - 64;
            out.extend_from_slice(&[(fmt << 6) | 1, v as u8, (v >> 8) as u8]);
        }
    }
}

impl ChunkEncoder {
    /// The chunk size in use.
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// Uses `size` from the next message on (send a Set Chunk Size message first).
    pub fn set_chunk_size(&mut self, size: u32) {
        self.chunk_size = size.clamp(1, MAX_CHUNK_SIZE);
    }

    /// Appends `m` as chunks: a type-0 header, then type-3 continuations (with the extended
    /// timestamp repeated, as §5.3.1.3 asks, when the timestamp needs it).
    pub fn write(&self, m: &RtmpMessage, out: &mut Vec<u8>) {
        let extended = m.timestamp >= 0xFF_FFFF;
        let ts_field = if extended { 0xFF_FFFF } else { m.timestamp };
        put_basic_header(out, 0, m.csid);
        let len = m.payload.len().min(0xFF_FFFF) as u32;
        out.put_uint(u64::from(ts_field), 3);
        out.put_uint(u64::from(len), 3);
        out.push(m.type_id.0);
        out.put_u32_le(m.stream_id);
        if extended {
            out.put_u32(m.timestamp);
        }
        let size = self.chunk_size as usize;
        for (i, piece) in m.payload[..len as usize].chunks(size.max(1)).enumerate() {
            if i > 0 {
                put_basic_header(out, 3, m.csid);
                if extended {
                    out.put_u32(m.timestamp);
                }
            }
            out.extend_from_slice(piece);
        }
    }
}

/// Helpers shared with tests and fuzzers: a message on its own, as bytes.
pub fn encode_one(m: &RtmpMessage, chunk_size: u32) -> Bytes {
    let mut e = ChunkEncoder::default();
    e.set_chunk_size(chunk_size);
    let mut out = Vec::new();
    e.write(m, &mut out);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(csid: u32, type_id: u8, ts: u32, len: usize) -> RtmpMessage {
        RtmpMessage {
            csid,
            type_id: MessageType(type_id),
            timestamp: ts,
            stream_id: 1,
            payload: Bytes::from(
                (0..len)
                    .map(|i| (i * 31 + csid as usize) as u8)
                    .collect::<Vec<_>>(),
            ),
        }
    }

    fn decode_all(d: &mut ChunkDecoder, bytes: &[u8], piece: usize) -> Vec<RtmpMessage> {
        let mut out = Vec::new();
        for p in bytes.chunks(piece.max(1)) {
            d.push(p);
            while let Some(m) = d.next_message().unwrap() {
                out.push(m);
            }
        }
        out
    }

    #[test]
    fn messages_round_trip_across_ids_sizes_timestamps_and_splits() {
        let messages: Vec<RtmpMessage> = [
            (2, 9, 0, 0),
            (3, 8, 1000, 1),
            (63, 9, 0xFF_FFFE, 300),
            (64, 9, 0xFF_FFFF, 1000),
            (319, 8, 0x1234_5678, 4097),
            (320, 9, u32::MAX, 129),
            (65599, 8, 7, 20_000),
        ]
        .iter()
        .map(|&(c, t, ts, len)| msg(c, t, ts, len))
        .collect();
        for chunk_size in [1u32, 128, 4096, MAX_CHUNK_SIZE] {
            let mut bytes = Vec::new();
            let mut e = ChunkEncoder::default();
            e.set_chunk_size(chunk_size);
            for m in &messages {
                e.write(m, &mut bytes);
            }
            for piece in [1, 7, 1000, bytes.len()] {
                let mut d = ChunkDecoder {
                    chunk_size,
                    ..ChunkDecoder::default()
                };
                assert_eq!(
                    decode_all(&mut d, &bytes, piece),
                    messages,
                    "chunk {chunk_size} piece {piece}"
                );
            }
        }
    }

    #[test]
    fn header_types_carry_deltas_and_type3_may_omit_the_extended_timestamp() {
        let mut b = Vec::new();
        // fmt 0: ts 100, len 2, type 8, stream 1.
        b.extend_from_slice(&[0x04, 0, 0, 100, 0, 0, 2, 8, 1, 0, 0, 0, 0xAA, 0xBB]);
        // fmt 2: delta 20, same length: ts 120.
        b.extend_from_slice(&[0x84, 0, 0, 20, 0xCC, 0xDD]);
        // fmt 3 starting a message: the delta again: ts 140.
        b.extend_from_slice(&[0xC4, 0xEE, 0xFF]);
        // fmt 1: delta 1000, len 1, type 9: ts 1140.
        b.extend_from_slice(&[0x44, 0, 3, 0xE8, 0, 0, 1, 9, 0x11]);
        let mut d = ChunkDecoder::default();
        let got: Vec<(u32, u8, Vec<u8>)> = decode_all(&mut d, &b, 1)
            .into_iter()
            .map(|m| (m.timestamp, m.type_id.0, m.payload.to_vec()))
            .collect();
        assert_eq!(
            got,
            [
                (100, 8, vec![0xAA, 0xBB]),
                (120, 8, vec![0xCC, 0xDD]),
                (140, 8, vec![0xEE, 0xFF]),
                (1140, 9, vec![0x11])
            ]
        );
        // An extended timestamp whose type-3 continuation does not repeat it.
        let mut b = vec![
            0x05, 0xFF, 0xFF, 0xFF, 0, 0, 200, 9, 1, 0, 0, 0, 0x01, 0x00, 0x00, 0x00,
        ];
        b.extend(std::iter::repeat_n(7u8, 128));
        b.push(0xC5);
        b.extend(std::iter::repeat_n(8u8, 72));
        let mut d = ChunkDecoder::default();
        let m = decode_all(&mut d, &b, 5);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].timestamp, 0x0100_0000);
        assert_eq!(m[0].payload.len(), 200);
        assert!(m[0].payload[128..].iter().all(|&x| x == 8));
    }

    /// A client that leaves the extended timestamp out of type-3 chunks, whose later
    /// continuation payload happens to begin with the timestamp's four bytes: decided once per
    /// chunk stream, so those bytes stay payload.
    #[test]
    fn the_extended_timestamp_repeat_is_decided_once_per_chunk_stream() {
        let ts = [0x01u8, 0x00, 0x00, 0x00];
        let mut b = Vec::new();
        for (k, first_byte) in [(0u8, 7u8), (1, 0x01)] {
            // fmt 0 with an extended timestamp (then fmt 3 for the next message's start).
            if k == 0 {
                b.extend_from_slice(&[0x05, 0xFF, 0xFF, 0xFF, 0, 0, 200, 9, 1, 0, 0, 0]);
                b.extend_from_slice(&ts);
            } else {
                b.extend_from_slice(&[0xC5]);
            }
            // 128 bytes, then a type-3 continuation with 72 more, no repeated timestamp.
            b.extend(std::iter::repeat_n(first_byte, 128));
            b.push(0xC5);
            if k == 1 {
                // The continuation's payload begins exactly like the timestamp.
                b.extend_from_slice(&ts);
                b.extend(std::iter::repeat_n(9u8, 68));
            } else {
                b.extend(std::iter::repeat_n(8u8, 72));
            }
        }
        let mut d = ChunkDecoder::default();
        let m = decode_all(&mut d, &b, 5);
        assert_eq!(m.len(), 2, "the stream stays in sync");
        assert_eq!(m[1].payload.len(), 200);
        assert_eq!(&m[1].payload[128..132], &ts);
        assert!(m[1].payload[132..].iter().all(|&x| x == 9));
        // A client that does repeat it (ffmpeg, OBS) is read as before.
        let mut b = vec![0x05, 0xFF, 0xFF, 0xFF, 0, 0, 200, 9, 1, 0, 0, 0];
        b.extend_from_slice(&ts);
        b.extend(std::iter::repeat_n(7u8, 128));
        b.push(0xC5);
        b.extend_from_slice(&ts);
        b.extend(std::iter::repeat_n(8u8, 72));
        let mut d = ChunkDecoder::default();
        let m = decode_all(&mut d, &b, 5);
        assert_eq!(m.len(), 1);
        assert!(m[0].payload[128..].iter().all(|&x| x == 8));
    }

    #[test]
    fn hostile_chunk_streams_are_errors_not_allocations() {
        // Set Chunk Size 0 is an error; 0x7FFFFFFF is accepted and sizes nothing.
        let mut d = ChunkDecoder::default();
        d.push(&encode_one(&crate::rtmp::message::set_chunk_size(0), 128));
        assert!(
            d.next_message()
                .unwrap_err()
                .to_string()
                .contains("chunk size 0")
        );
        let mut d = ChunkDecoder::default();
        d.push(&encode_one(
            &crate::rtmp::message::set_chunk_size(0x7FFF_FFFF),
            128,
        ));
        assert!(d.next_message().unwrap().is_some());
        assert_eq!(d.chunk_size(), 0x7FFF_FFFF);
        d.push(&[0x04, 0, 0, 0, 0, 0, 3, 8, 1, 0, 0, 0, 1]);
        assert!(d.next_message().unwrap().is_none());
        assert!(d.partial_bytes() < 16);
        // 10,000 chunk streams declaring 16 MiB each, no bodies: the headers after the first
        // read as its payload and the stream falls apart with an error; nothing was sized by
        // the declared lengths.
        let mut d = ChunkDecoder::new(HARD_MAX_MESSAGE_SIZE);
        let mut e = None;
        for csid in 64..10_064u32 {
            let v = csid - 64;
            d.push(&[
                1,
                v as u8,
                (v >> 8) as u8,
                0,
                0,
                0,
                0xFF,
                0xFF,
                0xFF,
                9,
                1,
                0,
                0,
                0,
            ]);
            if let Err(x) = d.next_message() {
                e = Some(x);
                break;
            }
        }
        assert!(e.is_some());
        assert!(d.partial_bytes() < 10_000 * 14);
        // Unfinished messages on more than 64 chunk streams: refused at the 65th.
        let mut d = ChunkDecoder::new(HARD_MAX_MESSAGE_SIZE);
        let mut e = None;
        for csid in 64..200u32 {
            let v = csid - 64;
            d.push(&[1, v as u8, (v >> 8) as u8, 0, 0, 0, 0, 1, 0, 9, 1, 0, 0, 0]);
            d.push(&[0u8; 128]);
            if let Err(x) = d.next_message() {
                e = Some(x);
                break;
            }
        }
        let e = e.unwrap().to_string();
        assert!(
            e.contains("chunk streams of 65 exceeds the limit of 64"),
            "{e}"
        );
        // A message larger than the limit.
        let mut d = ChunkDecoder::default();
        d.push(&[0x04, 0, 0, 0, 0x80, 0, 1, 9, 1, 0, 0, 0]);
        assert!(
            d.next_message()
                .unwrap_err()
                .to_string()
                .contains("message size")
        );
        // A length change in the middle of a message.
        let mut d = ChunkDecoder::default();
        d.push(&[0x04, 0, 0, 0, 0, 1, 0, 9, 1, 0, 0, 0]);
        d.push(&[0u8; 128]);
        assert!(d.next_message().unwrap().is_none());
        d.push(&[0x44, 0, 0, 0, 0, 0, 50, 9]);
        assert!(
            d.next_message()
                .unwrap_err()
                .to_string()
                .contains("length changes")
        );
        // Partial messages past 16 MiB across chunk streams: 15.9 MiB messages, 1 MiB chunks.
        let mut d = ChunkDecoder::new(HARD_MAX_MESSAGE_SIZE);
        d.chunk_size = 1 << 20;
        let mb = vec![0u8; 1 << 20];
        let mut error = None;
        'outer: for csid in 3..6u8 {
            for k in 0..15 {
                if k == 0 {
                    d.push(&[csid, 0, 0, 0, 0xFF, 0, 0, 9, 1, 0, 0, 0]);
                } else {
                    d.push(&[0xC0 | csid]);
                }
                d.push(&mb);
                match d.next_message() {
                    Ok(m) => assert!(m.is_none()),
                    Err(e) => {
                        error = Some(e);
                        break 'outer;
                    }
                }
            }
        }
        assert!(
            error
                .unwrap()
                .to_string()
                .contains("bytes of unfinished messages"),
            "partial bytes {}",
            d.partial_bytes()
        );
        assert!(d.partial_bytes() <= MAX_PARTIAL_BYTES);
        // A first chunk that is not type 0.
        let mut d = ChunkDecoder::default();
        d.push(&[0xC7]);
        assert!(
            d.next_message()
                .unwrap_err()
                .to_string()
                .contains("header type 3")
        );
    }

    #[test]
    fn abort_drops_the_partial_message() {
        let mut d = ChunkDecoder::default();
        d.push(&[0x04, 0, 0, 0, 0, 1, 0, 9, 1, 0, 0, 0]);
        d.push(&[1u8; 128]);
        assert!(d.next_message().unwrap().is_none());
        assert_eq!(d.partial_bytes(), 128);
        let mut abort = Vec::new();
        ChunkEncoder::default().write(
            &RtmpMessage {
                csid: 2,
                type_id: MessageType::ABORT,
                timestamp: 0,
                stream_id: 0,
                payload: Bytes::from_static(&[0, 0, 0, 4]),
            },
            &mut abort,
        );
        d.push(&abort);
        assert_eq!(
            d.next_message().unwrap().unwrap().type_id,
            MessageType::ABORT
        );
        assert_eq!(d.partial_bytes(), 0);
    }
}
