//! The server side of an RTMP connection as a state machine (Adobe RTMP 1.0 §7.2): bytes in,
//! bytes out, events and packets for the server to act on. No sockets, no clocks.
//!
//! A publisher's conversation: handshake; `connect` (answered with Window Acknowledgement
//! Size, Set Peer Bandwidth, Set Chunk Size and `_result` NetConnection.Connect.Success);
//! `releaseStream` and `FCPublish` (`onFCPublish`); `createStream` (`_result` with stream id 1);
//! `publish` (Stream Begin and `onStatus` NetStream.Publish.Start, or `onStatus`
//! NetStream.Publish.BadName); then `@setDataFrame onMetaData`, audio and video messages,
//! whose bodies are FLV tag bodies and go through the same [`FlvPacketizer`] as FLV files;
//! `FCUnpublish`, `deleteStream` or `closeStream` end it.
//!
//! A viewer's: handshake, `connect`, `createStream`, `play` (Stream Begin, `onStatus`
//! NetStream.Play.Reset and Play.Start, `|RtmpSampleAccess`; or NetStream.Play.Failed); then
//! the server sends media with [`ServerSession::send_media`] or writes messages it encoded once
//! for every viewer ([`play_message`]). Unknown commands get `_error` and the connection
//! carries on.
//!
//! `publish` and `play` are decisions the server may need time for (an HTTP hook): the session
//! names the request ([`SessionEvent::Requested`]), reads no further message until
//! [`ServerSession::answer`] is called, and then goes on with what it holds.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::amf::{AmfValue, amf0};
use crate::flv::{FlvPacketizer, FlvReport, FlvTag, FlvTagHeader, FlvTagType};
use crate::media::{Packet, Track};

use super::chunk::{ChunkDecoder, ChunkEncoder, DEFAULT_MAX_MESSAGE_SIZE};
use super::command::{Command, decode_values, object, on_status, reply, status, string};
use super::error::RtmpError;
use super::handshake::{HandshakeStatus, ServerHandshake};
use super::message::{self, MessageType, RtmpMessage, control_value, user_control};

/// Longest app or stream name accepted: names become folder names.
pub const MAX_NAME_LEN: usize = 64;

/// The chunk size the server sends with: large chunks, fewer headers.
pub const SERVER_CHUNK_SIZE: u32 = 4096;

/// The acknowledgement window the server asks the client to use, as SRS and nginx-rtmp do.
pub const WINDOW_ACK_SIZE: u32 = 2_500_000;

/// The stream id `createStream` answers (one stream per connection).
pub const STREAM_ID: u32 = 1;

/// Chunk streams of the media a server sends to a viewer (as nginx-rtmp and SRS use them).
pub mod play_csid {
    /// Script data (`onMetaData`).
    pub const DATA: u32 = 5;
    /// Audio messages.
    pub const AUDIO: u32 = 4;
    /// Video messages.
    pub const VIDEO: u32 = 6;
}

/// A message for a viewer: an FLV tag body of `tag_type` (8 audio, 9 video, 18 script) on the
/// play stream, on the chunk stream of its kind.
pub fn play_message(tag_type: u8, timestamp: u32, body: Bytes) -> RtmpMessage {
    let (csid, type_id) = match tag_type {
        8 => (play_csid::AUDIO, MessageType::AUDIO),
        9 => (play_csid::VIDEO, MessageType::VIDEO),
        _ => (play_csid::DATA, MessageType::DATA_AMF0),
    };
    RtmpMessage {
        csid,
        timestamp,
        type_id,
        stream_id: STREAM_ID,
        payload: body,
    }
}

/// What a client asked for that the server decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    /// `publish`.
    Publish,
    /// `play`.
    Play,
}

/// A `publish` or `play` waiting for the server's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamRequest {
    /// Publish or play.
    pub kind: RequestKind,
    /// The application.
    pub app: String,
    /// The stream name (without its query string).
    pub stream: String,
    /// The query string after `?` in the stream name (keys, tokens), without the `?`.
    pub query: String,
}

/// Choices for a session.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// Largest message accepted (see [`DEFAULT_MAX_MESSAGE_SIZE`]).
    pub max_message_size: u32,
    /// When set, `publish` must carry `?key=SECRET` (checked in constant time).
    pub publish_key: Option<String>,
    /// Also hand out every media message of a publish as it came ([`ServerSession::next_tag`]),
    /// for a server that relays it to viewers; the server must drain them.
    pub keep_tags: bool,
}

/// A publish's media message as it came: an FLV tag body (`onMetaData` without
/// `@setDataFrame`), for viewers and relays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaTag {
    /// 8 audio, 9 video, 18 script data.
    pub tag_type: u8,
    /// Milliseconds, as the publisher sent it.
    pub timestamp: u32,
    /// The FLV tag body.
    pub body: Bytes,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            publish_key: None,
            keep_tags: false,
        }
    }
}

/// What the server must know or decide.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionEvent {
    /// The handshake is done.
    Handshaken,
    /// `connect` to `app`.
    Connected {
        /// The application name.
        app: String,
        /// The URL the client says it connected to.
        tc_url: Option<String>,
    },
    /// A `publish` or `play` that passed the session's own checks (safe names, the publish
    /// key) and waits for [`ServerSession::answer`].
    Requested(StreamRequest),
    /// `play` was accepted: the server may send media.
    Playing {
        /// The application.
        app: String,
        /// The stream name.
        stream: String,
    },
    /// `play` was refused (bad name, the server said no).
    PlayRefused {
        /// Why.
        reason: String,
    },
    /// `publish` was accepted: packets follow.
    Publishing {
        /// The application.
        app: String,
        /// The stream name (without its query string).
        stream: String,
    },
    /// `publish` was refused (bad name, bad key, name in use); the connection stays open.
    PublishRefused {
        /// The status code sent (`NetStream.Publish.BadName`, ...).
        code: &'static str,
        /// Why.
        reason: String,
    },
    /// The publisher said it is done.
    Unpublished,
    /// The viewer said it is done (`closeStream`, `deleteStream`).
    PlayStopped,
    /// `onMetaData` from the publisher.
    Metadata(AmfValue),
    /// Something odd the session skipped (a damaged media message, an unknown command).
    Warning(String),
}

/// Decides whether a publish may go ahead (the server knows which names are in use).
pub trait PublishGate {
    /// `Ok` to accept `app/stream`; `Err(reason)` refuses it with NetStream.Publish.BadName.
    fn claim(&mut self, app: &str, stream: &str) -> Result<(), String>;

    /// `Ok` to let a viewer play `app/stream`; `Err(reason)` refuses with
    /// NetStream.Play.Failed. By default nothing is played.
    fn play(&mut self, app: &str, stream: &str) -> Result<(), String> {
        let _ = (app, stream);
        Err("this server only takes publishes".into())
    }
}

/// Accepts everything (tests, fuzzing).
#[derive(Debug, Default)]
pub struct AcceptAll;

impl PublishGate for AcceptAll {
    fn claim(&mut self, _: &str, _: &str) -> Result<(), String> {
        Ok(())
    }
    fn play(&mut self, _: &str, _: &str) -> Result<(), String> {
        Ok(())
    }
}

/// Whether `name` is safe as a folder name: `A-Z a-z 0-9 _ - .`, 1 to [`MAX_NAME_LEN`] bytes,
/// not starting with a dot (so never `.` or `..`).
pub fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Compares in time that depends only on the lengths, not on where the bytes differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

/// The value of `key` in a query string (`key=SECRET&x=1`).
fn query_value<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// One server-side RTMP connection.
pub struct ServerSession {
    handshake: Option<ServerHandshake>,
    decoder: ChunkDecoder,
    encoder: ChunkEncoder,
    config: SessionConfig,
    out: Vec<u8>,
    events: VecDeque<SessionEvent>,
    app: Option<String>,
    publishing: Option<(String, String)>,
    playing: Option<(String, String)>,
    /// A publish or play waiting for [`ServerSession::answer`]: no message is read meanwhile.
    pending: Option<StreamRequest>,
    /// `FCPublish` was sent: `onFCPublish` answers with the publish's own outcome, once
    /// `publish` decides it (answering Publish.Start at once told a client that was then
    /// refused that it was publishing).
    fc_publish_pending: bool,
    packetizer: FlvPacketizer,
    tags: VecDeque<MediaTag>,
    flv_report: FlvReport,
    /// The window the peer asked us to acknowledge in, and the last count acknowledged.
    peer_window: u32,
    acked: u64,
    messages: u64,
}

impl std::fmt::Debug for ServerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSession")
            .field("app", &self.app)
            .field("publishing", &self.publishing)
            .finish_non_exhaustive()
    }
}

impl ServerSession {
    /// A session waiting for the handshake; `seed` varies the handshake's random bytes.
    pub fn new(config: SessionConfig, seed: u64) -> ServerSession {
        ServerSession {
            handshake: Some(ServerHandshake::new(seed)),
            decoder: ChunkDecoder::new(config.max_message_size),
            encoder: ChunkEncoder::default(),
            config,
            out: Vec::new(),
            events: VecDeque::new(),
            app: None,
            publishing: None,
            playing: None,
            pending: None,
            fc_publish_pending: false,
            packetizer: FlvPacketizer::new(false),
            tags: VecDeque::new(),
            flv_report: FlvReport::default(),
            peer_window: 0,
            acked: 0,
            messages: 0,
        }
    }

    /// Bytes to send to the client.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// The next event.
    pub fn next_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// The next media packet of the publish.
    pub fn next_packet(&mut self) -> Option<Packet> {
        self.packetizer.pop()
    }

    /// The next media message of the publish as it came (with [`SessionConfig::keep_tags`]).
    pub fn next_tag(&mut self) -> Option<MediaTag> {
        self.tags.pop_front()
    }

    /// The publish's tracks so far.
    pub fn tracks(&self) -> &[Track] {
        self.packetizer.tracks()
    }

    /// The stream being published, as (app, stream).
    pub fn publishing(&self) -> Option<(&str, &str)> {
        self.publishing
            .as_ref()
            .map(|(a, s)| (a.as_str(), s.as_str()))
    }

    /// The stream being played, as (app, stream).
    pub fn playing(&self) -> Option<(&str, &str)> {
        self.playing.as_ref().map(|(a, s)| (a.as_str(), s.as_str()))
    }

    /// The request waiting for [`ServerSession::answer`].
    pub fn pending(&self) -> Option<&StreamRequest> {
        self.pending.as_ref()
    }

    /// Bytes received so far (for the server's counters).
    pub fn received(&self) -> u64 {
        self.decoder.received()
    }

    /// Counters of the media messages read (damaged ones, sequence headers).
    pub fn media_report(&self) -> &FlvReport {
        &self.flv_report
    }

    /// Bytes of unfinished messages held (for the server's memory accounting).
    pub fn buffered(&self) -> usize {
        self.decoder.buffered() + self.decoder.partial_bytes()
    }

    /// Takes bytes from the client and does what they ask, answering every `publish` and
    /// `play` at once through `gate`. An error ends the connection.
    pub fn push(&mut self, data: &[u8], gate: &mut dyn PublishGate) -> Result<(), RtmpError> {
        self.feed(data)?;
        while let Some(r) = self.pending.clone() {
            let decision = match r.kind {
                RequestKind::Publish => gate.claim(&r.app, &r.stream),
                RequestKind::Play => gate.play(&r.app, &r.stream),
            };
            self.answer(decision)?;
        }
        Ok(())
    }

    /// Takes bytes from the client and does what they ask, up to the first `publish` or
    /// `play` that needs a decision ([`SessionEvent::Requested`]); the rest waits for
    /// [`ServerSession::answer`]. An error ends the connection.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), RtmpError> {
        let data = match self.handshake.as_mut() {
            Some(h) => {
                let status = h.push(data);
                self.out.extend(h.take_output());
                match status? {
                    HandshakeStatus::NeedMore => return Ok(()),
                    HandshakeStatus::Done(rest) => {
                        self.handshake = None;
                        self.events.push_back(SessionEvent::Handshaken);
                        rest
                    }
                }
            }
            None => {
                self.decoder.push(data);
                return self.read_messages();
            }
        };
        self.decoder.push(&data);
        self.read_messages()
    }

    /// Reads the messages held, up to a request that needs an answer.
    fn read_messages(&mut self) -> Result<(), RtmpError> {
        while self.pending.is_none() {
            let Some(m) = self.decoder.next_message()? else {
                break;
            };
            self.messages += 1;
            self.on_message(m)?;
        }
        self.acknowledge();
        Ok(())
    }

    /// The server's answer to the pending request: `Ok` starts the publish or the play,
    /// `Err(reason)` refuses it (NetStream.Publish.BadName / NetStream.Play.Failed; the
    /// connection stays open). Then the messages held are read.
    pub fn answer(&mut self, decision: Result<(), String>) -> Result<(), RtmpError> {
        let Some(r) = self.pending.take() else {
            return Ok(());
        };
        match (r.kind, decision) {
            (RequestKind::Publish, Ok(())) => self.start_publish(r.app, r.stream),
            (RequestKind::Publish, Err(reason)) => {
                self.refuse_publish("NetStream.Publish.BadName", reason)
            }
            (RequestKind::Play, Ok(())) => self.start_play(r.app, r.stream),
            (RequestKind::Play, Err(reason)) => self.refuse_play(reason),
        }
        self.read_messages()
    }

    /// Sends a media message (an FLV tag body) to the viewer.
    pub fn send_media(&mut self, tag_type: u8, timestamp: u32, body: Bytes) {
        self.send(play_message(tag_type, timestamp, body));
    }

    /// Tells a viewer the stream ended (`NetStream.Play.UnpublishNotify`, then Stream EOF):
    /// ffmpeg and ffplay end their input there.
    pub fn end_play(&mut self) {
        if self.playing.take().is_some() {
            self.send(on_status(
                STREAM_ID,
                "status",
                "NetStream.Play.UnpublishNotify",
                "the stream was unpublished",
            ));
            self.send(user_control(message::user_control::STREAM_EOF, STREAM_ID));
        }
    }

    fn send(&mut self, m: RtmpMessage) {
        self.encoder.write(&m, &mut self.out);
    }

    /// Acknowledgement after each window of bytes received, when the peer set one.
    fn acknowledge(&mut self) {
        let received = self.decoder.received();
        if self.peer_window > 0 && received - self.acked >= u64::from(self.peer_window) {
            self.acked = received;
            self.send(message::acknowledgement(received as u32));
        }
    }

    fn on_message(&mut self, m: RtmpMessage) -> Result<(), RtmpError> {
        match m.type_id {
            MessageType::SET_CHUNK_SIZE | MessageType::ABORT | MessageType::ACK => Ok(()),
            MessageType::WINDOW_ACK_SIZE => {
                self.peer_window = control_value(&m)?;
                Ok(())
            }
            MessageType::SET_PEER_BANDWIDTH => Ok(()),
            MessageType::USER_CONTROL => {
                let event = m.payload.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]]));
                if event == Some(message::user_control::PING_REQUEST) {
                    let value = m
                        .payload
                        .get(2..6)
                        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                    self.send(user_control(message::user_control::PING_RESPONSE, value));
                }
                Ok(())
            }
            MessageType::COMMAND_AMF0 | MessageType::COMMAND_AMF3 => {
                let cmd = Command::parse(&m)?;
                self.on_command(cmd)
            }
            MessageType::DATA_AMF0 | MessageType::DATA_AMF3 => self.on_data(&m),
            MessageType::AUDIO | MessageType::VIDEO => {
                let tag_type = if m.type_id == MessageType::AUDIO {
                    FlvTagType::AUDIO
                } else {
                    FlvTagType::VIDEO
                };
                self.media(tag_type, m.timestamp, m.payload)
            }
            MessageType::AGGREGATE => self.on_aggregate(&m),
            other => {
                self.events.push_back(SessionEvent::Warning(format!(
                    "message type {} on chunk stream {} ignored",
                    other.0, m.csid
                )));
                Ok(())
            }
        }
    }

    /// An audio, video or script body, as an FLV tag. Media before `publish` is ignored.
    fn media(
        &mut self,
        tag_type: FlvTagType,
        timestamp: u32,
        body: Bytes,
    ) -> Result<(), RtmpError> {
        if self.publishing.is_none() {
            return Ok(());
        }
        if self.config.keep_tags {
            self.tags.push_back(MediaTag {
                tag_type: tag_type.0,
                timestamp,
                body: body.clone(),
            });
        }
        let tag = FlvTag {
            index: self.messages,
            offset: self.decoder.received(),
            header: FlvTagHeader {
                filter: false,
                tag_type,
                data_size: body.len() as u32,
                timestamp,
                stream_id: 0,
            },
            body,
        };
        // The packetizer is lenient: damage is a warning in the report, never an error.
        let before = self.flv_report.warnings.len();
        let _ = self.packetizer.push_tag(&tag, &mut self.flv_report);
        for w in self.flv_report.warnings[before..].iter() {
            self.events
                .push_back(SessionEvent::Warning(w.message.clone()));
        }
        Ok(())
    }

    fn on_data(&mut self, m: &RtmpMessage) -> Result<(), RtmpError> {
        let mut values = decode_values(m)?;
        if values.first().and_then(AmfValue::as_str) == Some("@setDataFrame") {
            values.remove(0);
        }
        if values.first().and_then(AmfValue::as_str) == Some("onMetaData") {
            if let Some(meta) = values.get(1) {
                self.events.push_back(SessionEvent::Metadata(meta.clone()));
            }
        }
        let mut body = Vec::new();
        amf0::encode_all(&values, &mut body);
        self.media(FlvTagType::SCRIPT, m.timestamp, Bytes::from(body))
    }

    /// FLV tags back to back (§7.1.6): timestamps relative to the first sub-message.
    fn on_aggregate(&mut self, m: &RtmpMessage) -> Result<(), RtmpError> {
        for part in message::aggregate_parts(m) {
            let part = part.map_err(|len| RtmpError::Message {
                type_id: 22,
                csid: m.csid,
                reason: format!("sub-message of {len} bytes past the aggregate's end"),
            })?;
            match FlvTagType(part.tag_type) {
                tag_type @ (FlvTagType::AUDIO | FlvTagType::VIDEO | FlvTagType::SCRIPT) => {
                    self.media(tag_type, part.timestamp, part.body)?
                }
                other => self.events.push_back(SessionEvent::Warning(format!(
                    "aggregate sub-message of type {} ignored",
                    other.0
                ))),
            }
        }
        Ok(())
    }

    fn on_command(&mut self, cmd: Command) -> Result<(), RtmpError> {
        let txn = cmd.transaction_id;
        match cmd.name.as_str() {
            "connect" => {
                let app = cmd
                    .object
                    .get("app")
                    .and_then(AmfValue::as_str)
                    .unwrap_or("")
                    .trim_end_matches('/')
                    .to_owned();
                let tc_url = cmd
                    .object
                    .get("tcUrl")
                    .and_then(AmfValue::as_str)
                    .map(str::to_owned);
                let encoding = cmd
                    .object
                    .get("objectEncoding")
                    .and_then(AmfValue::as_f64)
                    .unwrap_or(0.0);
                self.send(message::window_ack_size(WINDOW_ACK_SIZE));
                self.send(message::set_peer_bandwidth(WINDOW_ACK_SIZE, 2));
                self.send(message::set_chunk_size(SERVER_CHUNK_SIZE));
                self.encoder.set_chunk_size(SERVER_CHUNK_SIZE);
                let props = object(&[
                    ("fmsVer", string("FMS/3,5,3,888")),
                    ("capabilities", AmfValue::Number(127.0)),
                    ("mode", AmfValue::Number(1.0)),
                ]);
                let mut info = status(
                    "status",
                    "NetConnection.Connect.Success",
                    "Connection succeeded.",
                );
                if let AmfValue::Object(o) = &mut info {
                    o.properties
                        .push(("objectEncoding".into(), AmfValue::Number(encoding)));
                }
                self.send(reply(true, txn, props, vec![info]));
                self.app = Some(app.clone());
                self.events
                    .push_back(SessionEvent::Connected { app, tc_url });
            }
            "releaseStream" | "FCPublish" => {
                if cmd.name == "FCPublish" {
                    self.fc_publish_pending = true;
                }
                if txn != 0.0 {
                    self.send(reply(true, txn, AmfValue::Null, vec![AmfValue::Undefined]));
                }
            }
            "createStream" => {
                self.send(reply(
                    true,
                    txn,
                    AmfValue::Null,
                    vec![AmfValue::Number(f64::from(STREAM_ID))],
                ));
            }
            "publish" => self.on_request(&cmd, RequestKind::Publish),
            "play" => self.on_request(&cmd, RequestKind::Play),
            "FCUnpublish" | "deleteStream" | "closeStream" => {
                if cmd.name != "FCUnpublish" && self.playing.take().is_some() {
                    // The viewer stops: the stream may be played again on this connection.
                    self.events.push_back(SessionEvent::PlayStopped);
                }
                if self.publishing.take().is_some() {
                    self.send(on_status(
                        STREAM_ID,
                        "status",
                        "NetStream.Unpublish.Success",
                        "Stop publishing.",
                    ));
                    self.events.push_back(SessionEvent::Unpublished);
                }
                if txn != 0.0 && cmd.name == "FCUnpublish" {
                    self.send(reply(true, txn, AmfValue::Null, vec![AmfValue::Undefined]));
                }
            }
            "getStreamLength" | "_checkbw" => {
                if txn != 0.0 {
                    self.send(reply(
                        true,
                        txn,
                        AmfValue::Null,
                        vec![AmfValue::Number(0.0)],
                    ));
                }
            }
            // What a viewer says about its own playback: nothing to answer.
            "receiveAudio" | "receiveVideo" | "FCSubscribe" | "FCUnsubscribe" | "pause" => {}
            other => {
                let why = format!("unknown command {other:?}");
                self.send(reply(
                    false,
                    txn,
                    AmfValue::Null,
                    vec![status("error", "NetConnection.Call.Failed", &why)],
                ));
                self.events
                    .push_back(SessionEvent::Warning(format!("{why}: _error sent")));
            }
        }
        Ok(())
    }

    /// `onFCPublish` with the publish's outcome, when the client sent `FCPublish`.
    fn answer_fc_publish(&mut self, level: &str, code: &str, description: &str) {
        if std::mem::take(&mut self.fc_publish_pending) {
            self.send(
                Command {
                    name: "onFCPublish".into(),
                    transaction_id: 0.0,
                    object: AmfValue::Null,
                    args: vec![status(level, code, description)],
                }
                .to_message(0),
            );
        }
    }

    fn refuse_publish(&mut self, code: &'static str, reason: String) {
        self.answer_fc_publish("error", code, &reason);
        self.send(on_status(STREAM_ID, "error", code, &reason));
        self.events
            .push_back(SessionEvent::PublishRefused { code, reason });
    }

    fn refuse_play(&mut self, reason: String) {
        self.send(on_status(
            STREAM_ID,
            "error",
            "NetStream.Play.Failed",
            &reason,
        ));
        self.events.push_back(SessionEvent::PlayRefused { reason });
    }

    /// `publish` or `play`: the session's own checks, then a request for the server.
    fn on_request(&mut self, cmd: &Command, kind: RequestKind) {
        let full = cmd.first_string_arg().unwrap_or("");
        let (stream, query) = full.split_once('?').unwrap_or((full, ""));
        let app = self.app.clone().unwrap_or_default();
        let refuse = |session: &mut ServerSession, reason: String| match kind {
            RequestKind::Publish => session.refuse_publish("NetStream.Publish.BadName", reason),
            RequestKind::Play => session.refuse_play(reason),
        };
        if self.publishing.is_some() || self.playing.is_some() {
            return refuse(self, "this connection already publishes or plays".into());
        }
        if !is_safe_name(&app) || !is_safe_name(stream) {
            return refuse(
                self,
                format!(
                    "{app:?}/{stream:?} is not a safe name (A-Z a-z 0-9 _ - ., at most {MAX_NAME_LEN} bytes, no leading dot)"
                ),
            );
        }
        if kind == RequestKind::Publish {
            if let Some(key) = &self.config.publish_key {
                let given = query_value(query, "key").unwrap_or("");
                if !constant_time_eq(given.as_bytes(), key.as_bytes()) {
                    return refuse(
                        self,
                        format!("{app}/{stream}: wrong or missing publish key"),
                    );
                }
            }
        }
        let request = StreamRequest {
            kind,
            app,
            stream: stream.to_owned(),
            query: query.to_owned(),
        };
        self.pending = Some(request.clone());
        self.events.push_back(SessionEvent::Requested(request));
    }

    fn start_publish(&mut self, app: String, stream: String) {
        let started = format!("{stream} is now published.");
        self.answer_fc_publish("status", "NetStream.Publish.Start", &started);
        self.send(user_control(message::user_control::STREAM_BEGIN, STREAM_ID));
        self.send(on_status(
            STREAM_ID,
            "status",
            "NetStream.Publish.Start",
            &started,
        ));
        self.publishing = Some((app.clone(), stream.clone()));
        self.events
            .push_back(SessionEvent::Publishing { app, stream });
    }

    fn start_play(&mut self, app: String, stream: String) {
        self.send(user_control(message::user_control::STREAM_BEGIN, STREAM_ID));
        self.send(on_status(
            STREAM_ID,
            "status",
            "NetStream.Play.Reset",
            &format!("Playing and resetting {stream}."),
        ));
        self.send(on_status(
            STREAM_ID,
            "status",
            "NetStream.Play.Start",
            &format!("Started playing {stream}."),
        ));
        let mut access = Vec::new();
        amf0::encode_all(
            &[
                AmfValue::String("|RtmpSampleAccess".into()),
                AmfValue::Boolean(true),
                AmfValue::Boolean(true),
            ],
            &mut access,
        );
        self.send(play_message(18, 0, Bytes::from(access)));
        self.playing = Some((app.clone(), stream.clone()));
        self.events.push_back(SessionEvent::Playing { app, stream });
    }
}

#[cfg(test)]
mod tests;
