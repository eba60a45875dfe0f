//! AMF0, per Adobe's "Action Message Format -- AMF 0" (December 2007).
//!
//! AMF0 is the encoding of FLV script tags (`onMetaData`, `onCuePoint`) and of RTMP command and
//! data messages (types 20 and 18). A script tag body is a sequence of values, normally a name
//! string and an ECMA array, so [`decode_all`] reads values until the data ends.
//!
//! | Marker | Type (section) | [`AmfValue`] |
//! |--------|----------------|--------------|
//! | 0x00 | number (2.2) | `Number` |
//! | 0x01 | boolean (2.3) | `Boolean` (any non-zero byte is true) |
//! | 0x02 | string (2.4) | `String` |
//! | 0x03 | object (2.5) | `Object` (anonymous) |
//! | 0x04 | movieclip (2.6) | reserved: an error |
//! | 0x05 | null (2.7) | `Null` |
//! | 0x06 | undefined (2.8) | `Undefined` |
//! | 0x07 | reference (2.9) | `Reference`, unresolved (see the [module docs](super)) |
//! | 0x08 | ECMA array (2.10) | `EcmaArray`; the count is a hint, the end marker ends it |
//! | 0x09 | object end (2.11) | ends an object or ECMA array; elsewhere an error |
//! | 0x0A | strict array (2.12) | `StrictArray` |
//! | 0x0B | date (2.13) | `Date` |
//! | 0x0C | long string (2.14) | `String` |
//! | 0x0D | unsupported (2.15) | `Unsupported` |
//! | 0x0E | recordset (2.16) | reserved: an error |
//! | 0x0F | XML document (2.17) | `XmlDocument` |
//! | 0x10 | typed object (2.18) | `Object` with a class name |
//! | 0x11 | AVM+ (3.1) | the next value is AMF3 |
//!
//! The ECMA array count is read but not trusted: ffmpeg and librtmp read properties until the
//! object-end marker, and writers exist that put 0 (or a stale number) there, so muxkit does the
//! same and recomputes the count when encoding.

mod decode;
mod encode;

pub use decode::Amf0Decoder;
pub use encode::{encode, encode_all, encode_key};

use super::{AmfError, AmfValue};

pub(crate) const MARKER_NUMBER: u8 = 0x00;
pub(crate) const MARKER_BOOLEAN: u8 = 0x01;
pub(crate) const MARKER_STRING: u8 = 0x02;
pub(crate) const MARKER_OBJECT: u8 = 0x03;
pub(crate) const MARKER_MOVIECLIP: u8 = 0x04;
pub(crate) const MARKER_NULL: u8 = 0x05;
pub(crate) const MARKER_UNDEFINED: u8 = 0x06;
pub(crate) const MARKER_REFERENCE: u8 = 0x07;
pub(crate) const MARKER_ECMA_ARRAY: u8 = 0x08;
pub(crate) const MARKER_OBJECT_END: u8 = 0x09;
pub(crate) const MARKER_STRICT_ARRAY: u8 = 0x0a;
pub(crate) const MARKER_DATE: u8 = 0x0b;
pub(crate) const MARKER_LONG_STRING: u8 = 0x0c;
pub(crate) const MARKER_UNSUPPORTED: u8 = 0x0d;
pub(crate) const MARKER_RECORDSET: u8 = 0x0e;
pub(crate) const MARKER_XML_DOCUMENT: u8 = 0x0f;
pub(crate) const MARKER_TYPED_OBJECT: u8 = 0x10;
pub(crate) const MARKER_AVM_PLUS: u8 = 0x11;

/// Decodes every value in `data`, as in an FLV script tag body (name string, then value) or an
/// RTMP command message (name, transaction id, command object, arguments). One decoder reads them
/// all, so references may point into earlier values.
pub fn decode_all(data: &[u8]) -> Result<Vec<AmfValue>, AmfError> {
    let mut decoder = Amf0Decoder::new(data);
    let mut values = Vec::new();
    while !decoder.is_empty() {
        values.push(decoder.read_value()?);
    }
    Ok(values)
}
