//! AMF3, per Adobe's "Action Message Format -- AMF 3" (January 2013).
//!
//! AMF3 reaches muxkit in RTMP AMF3 messages (types 15, 16, 17) and behind the AMF0 AVM+
//! marker 0x11. Compared with AMF0 it adds a 29-bit integer, byte arrays, vectors and
//! dictionaries, and it sends repeated strings, objects and class descriptions ("traits") by
//! reference into three tables (section 2.1). The decoder resolves every reference, within its
//! depth limit and budget (see the [module docs](super)); the encoder emits string and traits
//! references for repeats and never object references (values have no identity to share).
//!
//! | Marker | Type (section) | [`AmfValue`] |
//! |--------|----------------|--------------|
//! | 0x00 | undefined (3.2) | `Undefined` |
//! | 0x01 | null (3.3) | `Null` |
//! | 0x02, 0x03 | false, true (3.4, 3.5) | `Boolean` |
//! | 0x04 | integer (3.6) | `Integer` |
//! | 0x05 | double (3.7) | `Number` |
//! | 0x06 | String (3.8) | `String` |
//! | 0x07 | XMLDocument (3.9) | `XmlDocument` |
//! | 0x08 | Date (3.10) | `Date` (timezone 0) |
//! | 0x09 | Array (3.11) | `Array` |
//! | 0x0A | Object (3.12) | `Object`; externalizable objects are an error |
//! | 0x0B | XML (3.13) | `Xml` |
//! | 0x0C | ByteArray (3.14) | `ByteArray` |
//! | 0x0D-0x10 | Vector int/uint/double/object (3.15) | `VectorInt` ... `VectorObject` |
//! | 0x11 | Dictionary (3.16) | `Dictionary` |

mod decode;
mod encode;

pub use decode::Amf3Decoder;
pub(crate) use decode::{Tables, read_value};
pub use encode::Amf3Encoder;
pub(crate) use encode::clip_str;

use super::{AmfError, AmfValue};

pub(crate) const MARKER_UNDEFINED: u8 = 0x00;
pub(crate) const MARKER_NULL: u8 = 0x01;
pub(crate) const MARKER_FALSE: u8 = 0x02;
pub(crate) const MARKER_TRUE: u8 = 0x03;
pub(crate) const MARKER_INTEGER: u8 = 0x04;
pub(crate) const MARKER_DOUBLE: u8 = 0x05;
pub(crate) const MARKER_STRING: u8 = 0x06;
pub(crate) const MARKER_XML_DOCUMENT: u8 = 0x07;
pub(crate) const MARKER_DATE: u8 = 0x08;
pub(crate) const MARKER_ARRAY: u8 = 0x09;
pub(crate) const MARKER_OBJECT: u8 = 0x0a;
pub(crate) const MARKER_XML: u8 = 0x0b;
pub(crate) const MARKER_BYTE_ARRAY: u8 = 0x0c;
pub(crate) const MARKER_VECTOR_INT: u8 = 0x0d;
pub(crate) const MARKER_VECTOR_UINT: u8 = 0x0e;
pub(crate) const MARKER_VECTOR_DOUBLE: u8 = 0x0f;
pub(crate) const MARKER_VECTOR_OBJECT: u8 = 0x10;
pub(crate) const MARKER_DICTIONARY: u8 = 0x11;

/// The largest AMF3 integer, 2^28 - 1; larger values are sent as doubles.
pub const INT_MAX: i32 = (1 << 28) - 1;
/// The smallest AMF3 integer, -2^28; smaller values are sent as doubles.
pub const INT_MIN: i32 = -(1 << 28);
/// The largest length or count a U29 with its reference flag can carry, 2^28 - 1.
pub const MAX_LENGTH: usize = (1 << 28) - 1;

/// Decodes every value in `data` with one [`Amf3Decoder`], so later values may refer to strings,
/// objects and traits of earlier ones, as in one RTMP AMF3 message.
pub fn decode_all(data: &[u8]) -> Result<Vec<AmfValue>, AmfError> {
    let mut decoder = Amf3Decoder::new(data);
    let mut values = Vec::new();
    while !decoder.is_empty() {
        values.push(decoder.read_value()?);
    }
    Ok(values)
}

/// Encodes `values` one after another with one [`Amf3Encoder`], the inverse of [`decode_all`].
pub fn encode_all(values: &[AmfValue], out: &mut impl bytes::BufMut) {
    let mut encoder = Amf3Encoder::new();
    for v in values {
        encoder.write_value(v, out);
    }
}
