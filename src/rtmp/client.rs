//! The publishing side of RTMP as a state machine (for `muxkit publish`): handshake, `connect`,
//! `releaseStream`, `FCPublish`, `createStream`, `publish`, then media; sans-IO like the server
//! side.

use bytes::Bytes;

use crate::amf::AmfValue;

use super::chunk::{ChunkDecoder, ChunkEncoder, DEFAULT_MAX_MESSAGE_SIZE};
use super::command::{Command, object, string};
use super::error::RtmpError;
use super::handshake::{ClientHandshake, HandshakeStatus};
use super::message::{self, MessageType, RtmpMessage, control_value, csid, user_control};

/// The chunk size the publisher sends with.
pub const CLIENT_CHUNK_SIZE: u32 = 4096;

const TXN_CONNECT: f64 = 1.0;
const TXN_CREATE_STREAM: f64 = 4.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Handshake,
    Connecting,
    CreatingStream,
    Publishing,
    Ready,
}

/// Where a publish URL points: `rtmp://host[:port]/APP/STREAM[?query]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtmpUrl {
    /// `host:port` (port 1935 when the URL has none).
    pub address: String,
    /// The application.
    pub app: String,
    /// The stream name with its query string.
    pub stream: String,
}

impl RtmpUrl {
    /// Parses an `rtmp://` URL.
    pub fn parse(url: &str) -> Result<RtmpUrl, RtmpError> {
        let bad = |why: &str| RtmpError::Refused(format!("{url:?} is not an rtmp url: {why}"));
        let rest = url
            .strip_prefix("rtmp://")
            .ok_or_else(|| bad("no rtmp:// scheme"))?;
        let (host, path) = rest.split_once('/').ok_or_else(|| bad("no /app/stream"))?;
        let (app, stream) = path
            .split_once('/')
            .ok_or_else(|| bad("no /stream after the app"))?;
        if host.is_empty() || app.is_empty() || stream.is_empty() {
            return Err(bad("empty host, app or stream"));
        }
        let address = if host.contains(':') {
            host.to_owned()
        } else {
            format!("{host}:1935")
        };
        Ok(RtmpUrl {
            address,
            app: app.to_owned(),
            stream: stream.to_owned(),
        })
    }

    /// The `tcUrl` of `connect`.
    pub fn tc_url(&self) -> String {
        format!("rtmp://{}/{}", self.address, self.app)
    }
}

/// One publishing connection.
#[derive(Debug)]
pub struct PublishSession {
    url: RtmpUrl,
    state: State,
    handshake: ClientHandshake,
    decoder: ChunkDecoder,
    encoder: ChunkEncoder,
    out: Vec<u8>,
    stream_id: u32,
    peer_window: u32,
    acked: u64,
}

impl PublishSession {
    /// Starts a publish to `url` (C0 and C1 are ready to send).
    pub fn new(url: RtmpUrl, seed: u64) -> PublishSession {
        let mut handshake = ClientHandshake::new(seed);
        let out = handshake.take_output();
        PublishSession {
            url,
            state: State::Handshake,
            handshake,
            decoder: ChunkDecoder::new(DEFAULT_MAX_MESSAGE_SIZE),
            encoder: ChunkEncoder::default(),
            out,
            stream_id: 0,
            peer_window: 0,
            acked: 0,
        }
    }

    /// Bytes to send to the server.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Whether `publish` was accepted and media may be sent.
    pub fn is_ready(&self) -> bool {
        self.state == State::Ready
    }

    fn send(&mut self, m: RtmpMessage) {
        self.encoder.write(&m, &mut self.out);
    }

    fn command(
        &mut self,
        name: &str,
        txn: f64,
        obj: AmfValue,
        args: Vec<AmfValue>,
        stream_id: u32,
    ) {
        let m = Command {
            name: name.into(),
            transaction_id: txn,
            object: obj,
            args,
        }
        .to_message(stream_id);
        self.send(m);
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
                    self.send(message::set_chunk_size(CLIENT_CHUNK_SIZE));
                    self.encoder.set_chunk_size(CLIENT_CHUNK_SIZE);
                    let tc_url = self.url.tc_url();
                    let app = self.url.app.clone();
                    self.command(
                        "connect",
                        TXN_CONNECT,
                        object(&[
                            ("app", string(&app)),
                            ("type", string("nonprivate")),
                            ("flashVer", string("FMLE/3.0 (compatible; muxkit)")),
                            ("tcUrl", string(&tc_url)),
                        ]),
                        Vec::new(),
                        0,
                    );
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
        if self.peer_window > 0 && received - self.acked >= u64::from(self.peer_window) {
            self.acked = received;
            self.send(message::acknowledgement(received as u32));
        }
        Ok(())
    }

    fn on_message(&mut self, m: RtmpMessage) -> Result<(), RtmpError> {
        match m.type_id {
            MessageType::WINDOW_ACK_SIZE => self.peer_window = control_value(&m)?,
            MessageType::USER_CONTROL
                if m.payload.get(..2) == Some(&user_control::PING_REQUEST.to_be_bytes()[..]) =>
            {
                let v = m
                    .payload
                    .get(2..6)
                    .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                self.send(message::user_control(user_control::PING_RESPONSE, v));
            }
            MessageType::COMMAND_AMF0 | MessageType::COMMAND_AMF3 => {
                let c = Command::parse(&m)?;
                self.on_command(c)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn on_command(&mut self, c: Command) -> Result<(), RtmpError> {
        let code = |c: &Command| {
            c.args
                .first()
                .and_then(|v| v.get("code"))
                .and_then(AmfValue::as_str)
                .unwrap_or("")
                .to_owned()
        };
        match (c.name.as_str(), self.state) {
            ("_result", State::Connecting) if c.transaction_id == TXN_CONNECT => {
                let stream = self.url.stream.clone();
                self.command(
                    "releaseStream",
                    2.0,
                    AmfValue::Null,
                    vec![string(&stream)],
                    0,
                );
                self.command("FCPublish", 3.0, AmfValue::Null, vec![string(&stream)], 0);
                self.command(
                    "createStream",
                    TXN_CREATE_STREAM,
                    AmfValue::Null,
                    Vec::new(),
                    0,
                );
                self.state = State::CreatingStream;
            }
            ("_result", State::CreatingStream) if c.transaction_id == TXN_CREATE_STREAM => {
                self.stream_id = c.args.first().and_then(AmfValue::as_f64).unwrap_or(1.0) as u32;
                let stream = self.url.stream.clone();
                self.command(
                    "publish",
                    5.0,
                    AmfValue::Null,
                    vec![string(&stream), string("live")],
                    self.stream_id,
                );
                self.state = State::Publishing;
            }
            ("_error", _) => {
                return Err(RtmpError::Refused(format!(
                    "the server answered {} with _error: {}",
                    c.transaction_id,
                    code(&c)
                )));
            }
            ("onStatus", State::Publishing) => {
                let code = code(&c);
                if code == "NetStream.Publish.Start" {
                    self.state = State::Ready;
                } else {
                    return Err(RtmpError::Refused(format!("publish refused: {code}")));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Sends an FLV tag body (audio 8, video 9, or script data 18 as `@setDataFrame`).
    pub fn send_tag(&mut self, tag_type: u8, timestamp: u32, body: Bytes) {
        let (type_id, chunk_stream, payload) = match tag_type {
            8 => (MessageType::AUDIO, csid::AUDIO, body),
            9 => (MessageType::VIDEO, csid::VIDEO, body),
            _ => {
                let mut p = Vec::with_capacity(body.len() + 16);
                crate::amf::amf0::encode(&string("@setDataFrame"), &mut p);
                p.extend_from_slice(&body);
                (MessageType::DATA_AMF0, csid::DATA, Bytes::from(p))
            }
        };
        self.send(RtmpMessage {
            csid: chunk_stream,
            type_id,
            timestamp,
            stream_id: self.stream_id,
            payload,
        });
    }

    /// Ends the publish (`FCUnpublish`, `deleteStream`).
    pub fn finish(&mut self) {
        let stream = self.url.stream.clone();
        self.command("FCUnpublish", 6.0, AmfValue::Null, vec![string(&stream)], 0);
        self.command(
            "deleteStream",
            7.0,
            AmfValue::Null,
            vec![AmfValue::Number(f64::from(self.stream_id))],
            0,
        );
    }
}
