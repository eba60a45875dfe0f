//! AMF commands and data messages (Adobe RTMP 1.0 §7.1.1, §7.2): reading what a publisher sends
//! and writing the server's answers.

use bytes::Bytes;

use crate::amf::amf0::{self, Amf0Decoder};
use crate::amf::{AmfObject, AmfValue};

use super::error::RtmpError;
use super::message::{MessageType, RtmpMessage, csid};

/// The decoded-size budget of one command or data message. Commands are a few hundred bytes;
/// metadata a few KiB; 1 MiB keeps a hostile message (deep nesting, huge claimed arrays) from
/// costing more, on top of the AMF decoder's own depth limit.
pub const MAX_COMMAND_DECODE: usize = 1024 * 1024;

/// A command: name, transaction id, command object, arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    /// `connect`, `publish`, `_result`, ...
    pub name: String,
    /// The transaction id (0 when no answer is expected).
    pub transaction_id: f64,
    /// The command object (often null).
    pub object: AmfValue,
    /// The rest.
    pub args: Vec<AmfValue>,
}

/// Decodes the AMF values of a command or data message. An AMF3 message (types 15 and 17)
/// starts with a format byte (0) and then reads as AMF0 with AVM+ switches.
pub fn decode_values(m: &RtmpMessage) -> Result<Vec<AmfValue>, RtmpError> {
    let mut data: &[u8] = &m.payload;
    if matches!(
        m.type_id,
        MessageType::COMMAND_AMF3 | MessageType::DATA_AMF3
    ) {
        if let Some((&0, rest)) = data.split_first() {
            data = rest;
        }
    }
    let err = |reason: String| RtmpError::Message {
        type_id: m.type_id.0,
        csid: m.csid,
        reason,
    };
    let mut d = Amf0Decoder::with_budget(data, MAX_COMMAND_DECODE);
    let mut values = Vec::new();
    while !d.is_empty() {
        values.push(d.read_value().map_err(|e| err(e.to_string()))?);
    }
    Ok(values)
}

impl Command {
    /// Reads a command message (type 20 or 17).
    pub fn parse(m: &RtmpMessage) -> Result<Command, RtmpError> {
        let mut values = decode_values(m)?.into_iter();
        let name = match values.next() {
            Some(AmfValue::String(s)) => s,
            other => {
                return Err(RtmpError::Message {
                    type_id: m.type_id.0,
                    csid: m.csid,
                    reason: format!("command name is {other:?}, not a string"),
                });
            }
        };
        let transaction_id = values.next().and_then(|v| v.as_f64()).unwrap_or(0.0);
        let object = values.next().unwrap_or(AmfValue::Null);
        Ok(Command {
            name,
            transaction_id,
            object,
            args: values.collect(),
        })
    }

    /// The command as an AMF0 command message on `stream_id`.
    pub fn to_message(&self, stream_id: u32) -> RtmpMessage {
        let mut payload = Vec::new();
        amf0::encode(&AmfValue::String(self.name.clone()), &mut payload);
        amf0::encode(&AmfValue::Number(self.transaction_id), &mut payload);
        amf0::encode(&self.object, &mut payload);
        for a in &self.args {
            amf0::encode(a, &mut payload);
        }
        RtmpMessage {
            csid: csid::COMMAND,
            type_id: MessageType::COMMAND_AMF0,
            timestamp: 0,
            stream_id,
            payload: Bytes::from(payload),
        }
    }

    /// The first argument as a string (`publish`'s stream name, `releaseStream`'s name).
    pub fn first_string_arg(&self) -> Option<&str> {
        self.args.first().and_then(AmfValue::as_str)
    }
}

/// An AMF object from `(key, value)` pairs.
pub fn object(pairs: &[(&str, AmfValue)]) -> AmfValue {
    AmfValue::Object(AmfObject::new(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    ))
}

/// A string value.
pub fn string(s: &str) -> AmfValue {
    AmfValue::String(s.to_owned())
}

/// A status info object (`level`, `code`, `description`).
pub fn status(level: &str, code: &str, description: &str) -> AmfValue {
    object(&[
        ("level", string(level)),
        ("code", string(code)),
        ("description", string(description)),
    ])
}

/// `onStatus` on `stream_id`.
pub fn on_status(stream_id: u32, level: &str, code: &str, description: &str) -> RtmpMessage {
    Command {
        name: "onStatus".into(),
        transaction_id: 0.0,
        object: AmfValue::Null,
        args: vec![status(level, code, description)],
    }
    .to_message(stream_id)
}

/// `_result` or `_error` for transaction `txn`.
pub fn reply(ok: bool, txn: f64, object: AmfValue, args: Vec<AmfValue>) -> RtmpMessage {
    Command {
        name: if ok { "_result" } else { "_error" }.into(),
        transaction_id: txn,
        object,
        args,
    }
    .to_message(0)
}
