//! The playing side of RTMP as a state machine (for `muxkit publish rtmp://SOURCE ...`):
//! handshake, `connect`, `createStream`, `play`, then the server's media as FLV tag bodies;
//! sans-IO like the rest. The end of the stream is `NetStream.Play.UnpublishNotify`,
//! `NetStream.Play.Stop` or Stream EOF.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::amf::{AmfValue, amf0};

use super::chunk::{ChunkDecoder, ChunkEncoder, DEFAULT_MAX_MESSAGE_SIZE};
use super::client::{CLIENT_CHUNK_SIZE, RtmpUrl};
use super::command::{Command, decode_values, object, string};
use super::error::RtmpError;
use super::handshake::{ClientHandshake, HandshakeStatus};
use super::message::{self, MessageType, RtmpMessage, control_value, user_control};
use super::session::MediaTag;

const TXN_CONNECT: f64 = 1.0;
const TXN_CREATE_STREAM: f64 = 2.0;

/// The buffer length a player announces (ms), as ffplay does.
const BUFFER_MS: u32 = 3000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Handshake,
    Connecting,
    CreatingStream,
    WaitingPlay,
    Playing,
    Ended,
}

/// One playing connection.
#[derive(Debug)]
pub struct PlaySession {
    url: RtmpUrl,
    state: State,
    handshake: ClientHandshake,
    decoder: ChunkDecoder,
    encoder: ChunkEncoder,
    out: Vec<u8>,
    stream_id: u32,
    peer_window: u32,
    acked: u64,
    tags: VecDeque<MediaTag>,
}

impl PlaySession {
    /// Starts playing `url` (C0 and C1 are ready to send).
    pub fn new(url: RtmpUrl, seed: u64) -> PlaySession {
        let mut handshake = ClientHandshake::new(seed);
        let out = handshake.take_output();
        PlaySession {
            url,
            state: State::Handshake,
            handshake,
            decoder: ChunkDecoder::new(DEFAULT_MAX_MESSAGE_SIZE),
            encoder: ChunkEncoder::default(),
            out,
            stream_id: 0,
            peer_window: 0,
            acked: 0,
            tags: VecDeque::new(),
        }
    }

    /// Bytes to send to the server.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Whether the server said the play started.
    pub fn is_playing(&self) -> bool {
        self.state == State::Playing
    }

    /// Whether the server said the stream ended.
    pub fn is_ended(&self) -> bool {
        self.state == State::Ended
    }

    /// The next media message received.
    pub fn next_tag(&mut self) -> Option<MediaTag> {
        self.tags.pop_front()
    }

    fn command(&mut self, name: &str, txn: f64, args: Vec<AmfValue>, stream_id: u32) {
        let obj = if name == "connect" {
            object(&[
                ("app", string(&self.url.app)),
                ("flashVer", string("LNX 9,0,124,2")),
                ("tcUrl", string(&self.url.tc_url())),
                ("fpad", AmfValue::Boolean(false)),
                ("capabilities", AmfValue::Number(15.0)),
                ("audioCodecs", AmfValue::Number(4071.0)),
                ("videoCodecs", AmfValue::Number(252.0)),
                ("videoFunction", AmfValue::Number(1.0)),
            ])
        } else {
            AmfValue::Null
        };
        let m = Command {
            name: name.into(),
            transaction_id: txn,
            object: obj,
            args,
        }
        .to_message(stream_id);
        self.encoder.write(&m, &mut self.out);
    }

    /// Takes bytes from the server and answers them.
    pub fn push(&mut self, data: &[u8]) -> Result<(), RtmpError> {
        let data = if self.state == State::Handshake {
            match self.handshake.push(data)? {
                HandshakeStatus::NeedMore => {
                    self.out.extend(self.handshake.take_output());
                    return Ok(());
                }
                HandshakeStatus::Done(rest) => {
                    self.out.extend(self.handshake.take_output());
                    let m = message::set_chunk_size(CLIENT_CHUNK_SIZE);
                    self.encoder.write(&m, &mut self.out);
                    self.encoder.set_chunk_size(CLIENT_CHUNK_SIZE);
                    self.command("connect", TXN_CONNECT, Vec::new(), 0);
                    self.state = State::Connecting;
                    rest
                }
            }
        } else {
            data.to_vec()
        };
        self.decoder.push(&data);
        while let Some(m) = self.decoder.next_message()? {
            self.on_message(m)?;
        }
        let received = self.decoder.received();
        if self.peer_window > 0 && received - self.acked >= u64::from(self.peer_window) / 2 {
            self.acked = received;
            let m = message::acknowledgement(received as u32);
            self.encoder.write(&m, &mut self.out);
        }
        Ok(())
    }

    fn on_message(&mut self, m: RtmpMessage) -> Result<(), RtmpError> {
        match m.type_id {
            MessageType::WINDOW_ACK_SIZE => self.peer_window = control_value(&m)?,
            MessageType::USER_CONTROL => {
                let event = m.payload.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]]));
                if event == Some(user_control::PING_REQUEST) {
                    let v = m
                        .payload
                        .get(2..6)
                        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                    let r = message::user_control(user_control::PING_RESPONSE, v);
                    self.encoder.write(&r, &mut self.out);
                } else if event == Some(user_control::STREAM_EOF) && self.state == State::Playing {
                    self.state = State::Ended;
                }
            }
            MessageType::COMMAND_AMF0 | MessageType::COMMAND_AMF3 => {
                let c = Command::parse(&m)?;
                self.on_command(c)?;
            }
            MessageType::AUDIO | MessageType::VIDEO if self.state == State::Playing => {
                self.tags.push_back(MediaTag {
                    tag_type: m.type_id.0,
                    timestamp: m.timestamp,
                    body: m.payload,
                });
            }
            MessageType::DATA_AMF0 | MessageType::DATA_AMF3 if self.state == State::Playing => {
                let values = decode_values(&m)?;
                // `|RtmpSampleAccess` and other player notices are not stream data.
                if values.first().and_then(AmfValue::as_str) == Some("onMetaData") {
                    let mut body = Vec::new();
                    amf0::encode_all(&values, &mut body);
                    self.tags.push_back(MediaTag {
                        tag_type: 18,
                        timestamp: m.timestamp,
                        body: Bytes::from(body),
                    });
                }
            }
            MessageType::AGGREGATE if self.state == State::Playing => self.on_aggregate(&m),
            _ => {}
        }
        Ok(())
    }

    /// FLV tags back to back (§7.1.6); a damaged aggregate keeps what came before the damage.
    fn on_aggregate(&mut self, m: &RtmpMessage) {
        for part in message::aggregate_parts(m).map_while(Result::ok) {
            if matches!(part.tag_type, 8 | 9 | 18) {
                self.tags.push_back(MediaTag {
                    tag_type: part.tag_type,
                    timestamp: part.timestamp,
                    body: part.body,
                });
            }
        }
    }

    fn on_command(&mut self, c: Command) -> Result<(), RtmpError> {
        let code = c
            .args
            .first()
            .and_then(|v| v.get("code"))
            .and_then(AmfValue::as_str)
            .unwrap_or("")
            .to_owned();
        match (c.name.as_str(), self.state) {
            ("_result", State::Connecting) if c.transaction_id == TXN_CONNECT => {
                self.command("createStream", TXN_CREATE_STREAM, Vec::new(), 0);
                self.state = State::CreatingStream;
            }
            ("_result", State::CreatingStream) if c.transaction_id == TXN_CREATE_STREAM => {
                self.stream_id = c.args.first().and_then(AmfValue::as_f64).unwrap_or(1.0) as u32;
                let stream = self.url.stream.clone();
                // Live or recorded, from the start (-2), as players ask.
                self.command(
                    "play",
                    0.0,
                    vec![string(&stream), AmfValue::Number(-2.0)],
                    self.stream_id,
                );
                let mut buffer = Vec::with_capacity(10);
                buffer.extend_from_slice(&user_control::SET_BUFFER_LENGTH.to_be_bytes());
                buffer.extend_from_slice(&self.stream_id.to_be_bytes());
                buffer.extend_from_slice(&BUFFER_MS.to_be_bytes());
                let m = RtmpMessage {
                    csid: 2,
                    type_id: MessageType::USER_CONTROL,
                    timestamp: 0,
                    stream_id: 0,
                    payload: Bytes::from(buffer),
                };
                self.encoder.write(&m, &mut self.out);
                self.state = State::WaitingPlay;
            }
            ("_error", _) => {
                return Err(RtmpError::Refused(format!(
                    "the server answered {} with _error: {code}",
                    c.transaction_id
                )));
            }
            ("onStatus", State::WaitingPlay | State::Playing) => match code.as_str() {
                "NetStream.Play.Start" => self.state = State::Playing,
                "NetStream.Play.Reset"
                | "NetStream.Data.Start"
                | "NetStream.Play.PublishNotify" => {}
                "NetStream.Play.UnpublishNotify"
                | "NetStream.Play.Stop"
                | "NetStream.Play.Complete" => self.state = State::Ended,
                c if c.contains("Failed") || c.contains("NotFound") || c.contains("Error") => {
                    return Err(RtmpError::Refused(format!("play refused: {c}")));
                }
                _ => {}
            },
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtmp::session::{AcceptAll, ServerSession, SessionConfig, SessionEvent};

    /// Moves bytes both ways until neither side has anything to say.
    fn pump(client: &mut PlaySession, server: &mut ServerSession) {
        for _ in 0..100 {
            let c = client.take_output();
            if !c.is_empty() {
                server.push(&c, &mut AcceptAll).unwrap();
            }
            let s = server.take_output();
            if !s.is_empty() {
                client.push(&s).unwrap();
            }
            if c.is_empty() && s.is_empty() {
                break;
            }
        }
    }

    #[test]
    fn plays_from_muxkits_own_server_session_to_the_end() {
        let url = RtmpUrl::parse("rtmp://h/live/cam").unwrap();
        let mut client = PlaySession::new(url, 5);
        let mut server = ServerSession::new(SessionConfig::default(), 6);
        pump(&mut client, &mut server);
        assert!(client.is_playing());
        assert!(std::iter::from_fn(|| server.next_event()).any(|e| e
            == SessionEvent::Playing {
                app: "live".into(),
                stream: "cam".into()
            }));
        let mut meta = Vec::new();
        amf0::encode_all(
            &[
                string("onMetaData"),
                object(&[("width", AmfValue::Number(2.0))]),
            ],
            &mut meta,
        );
        server.send_media(18, 0, Bytes::from(meta));
        server.send_media(9, 0, Bytes::from_static(&[0x17, 0, 0, 0, 0, 1, 2, 3]));
        server.send_media(8, 23, Bytes::from_static(&[0xAF, 1, 7]));
        server.end_play();
        pump(&mut client, &mut server);
        let tags: Vec<(u8, u32)> = std::iter::from_fn(|| client.next_tag())
            .map(|t| (t.tag_type, t.timestamp))
            .collect();
        assert_eq!(tags, [(18, 0), (9, 0), (8, 23)]);
        assert!(client.is_ended());
    }

    #[test]
    fn a_refused_play_is_an_error() {
        let url = RtmpUrl::parse("rtmp://h/live/..").unwrap();
        let mut client = PlaySession::new(url, 5);
        let mut server = ServerSession::new(SessionConfig::default(), 6);
        let mut err = None;
        for _ in 0..20 {
            let c = client.take_output();
            server.push(&c, &mut AcceptAll).unwrap();
            let s = server.take_output();
            if let Err(e) = client.push(&s) {
                err = Some(e);
                break;
            }
        }
        assert!(err.unwrap().to_string().contains("Play.Failed"));
    }
}
