//! AMF0 encoding.

use bytes::BufMut;

use crate::amf::amf3::Amf3Encoder;
use crate::amf::amf3::clip_str;
use crate::amf::{AmfObject, AmfValue};

use super::{
    MARKER_AVM_PLUS, MARKER_BOOLEAN, MARKER_DATE, MARKER_ECMA_ARRAY, MARKER_LONG_STRING,
    MARKER_NULL, MARKER_NUMBER, MARKER_OBJECT, MARKER_OBJECT_END, MARKER_REFERENCE,
    MARKER_STRICT_ARRAY, MARKER_STRING, MARKER_TYPED_OBJECT, MARKER_UNDEFINED, MARKER_UNSUPPORTED,
    MARKER_XML_DOCUMENT,
};

/// Appends `value`, with its marker, to `out`.
///
/// Strings longer than 65535 bytes are written as long strings (0x0C). Values that exist only in
/// AMF3 (integers, AMF3 arrays, byte arrays, vectors, dictionaries, E4X XML, objects with sealed
/// members or that are not dynamic) are written as the AVM+ marker 0x11 followed by the AMF3
/// encoding, with every string and traits inline: this function does not know what the receiver's
/// AMF3 tables already hold, so it never refers into them.
///
/// Encoding cannot fail, so what AMF0 cannot carry is adapted: a property with an empty name is
/// skipped (an empty name is the object-end marker on the wire); names and class names longer than
/// 65535 bytes, long strings and XML longer than 4 GiB, and arrays of more than 2^32 - 1 items are
/// cut to fit (text at a character boundary).
pub fn encode(value: &AmfValue, out: &mut impl BufMut) {
    match value {
        AmfValue::Number(n) => {
            out.put_u8(MARKER_NUMBER);
            out.put_f64(*n);
        }
        AmfValue::Boolean(b) => {
            out.put_u8(MARKER_BOOLEAN);
            out.put_u8(u8::from(*b));
        }
        AmfValue::String(s) if s.len() <= usize::from(u16::MAX) => {
            out.put_u8(MARKER_STRING);
            encode_key(s, out);
        }
        AmfValue::String(s) => {
            out.put_u8(MARKER_LONG_STRING);
            put_long_text(s, out);
        }
        AmfValue::XmlDocument(s) => {
            out.put_u8(MARKER_XML_DOCUMENT);
            put_long_text(s, out);
        }
        AmfValue::Object(o) if o.is_amf0_shape() => encode_object(o, out),
        AmfValue::Null => out.put_u8(MARKER_NULL),
        AmfValue::Undefined => out.put_u8(MARKER_UNDEFINED),
        AmfValue::Unsupported => out.put_u8(MARKER_UNSUPPORTED),
        AmfValue::Reference(index) => {
            out.put_u8(MARKER_REFERENCE);
            out.put_u16(*index);
        }
        AmfValue::EcmaArray(pairs) => {
            out.put_u8(MARKER_ECMA_ARRAY);
            let count = pairs.iter().filter(|(k, _)| !k.is_empty()).count();
            out.put_u32(u32::try_from(count).unwrap_or(u32::MAX));
            encode_properties(pairs, out);
        }
        AmfValue::StrictArray(items) => {
            let items = &items[..items.len().min(u32::MAX as usize)];
            out.put_u8(MARKER_STRICT_ARRAY);
            out.put_u32(items.len() as u32);
            items.iter().for_each(|v| encode(v, out));
        }
        AmfValue::Date {
            millis,
            timezone_minutes,
        } => {
            out.put_u8(MARKER_DATE);
            out.put_f64(*millis);
            out.put_i16(*timezone_minutes);
        }
        AmfValue::Object(_)
        | AmfValue::Integer(_)
        | AmfValue::Xml(_)
        | AmfValue::Array { .. }
        | AmfValue::ByteArray(_)
        | AmfValue::VectorInt { .. }
        | AmfValue::VectorUint { .. }
        | AmfValue::VectorDouble { .. }
        | AmfValue::VectorObject { .. }
        | AmfValue::Dictionary { .. } => {
            debug_assert!(value.is_amf3_only());
            out.put_u8(MARKER_AVM_PLUS);
            Amf3Encoder::without_references().write_value(value, out);
        }
    }
}

/// Appends each of `values` in turn, as an FLV script tag body or an RTMP command is laid out.
pub fn encode_all(values: &[AmfValue], out: &mut impl BufMut) {
    values.iter().for_each(|v| encode(v, out));
}

/// Appends `s` as an AMF0 UTF-8 string without a marker: a 16-bit length and the bytes, as
/// property names and class names are written. Text longer than 65535 bytes is cut at the last
/// character boundary that fits.
pub fn encode_key(s: &str, out: &mut impl BufMut) {
    let s = clip_str(s, usize::from(u16::MAX));
    out.put_u16(s.len() as u16);
    out.put_slice(s.as_bytes());
}

/// A 32-bit length and the bytes (long string, XML document).
fn put_long_text(s: &str, out: &mut impl BufMut) {
    let s = clip_str(s, u32::MAX as usize);
    out.put_u32(s.len() as u32);
    out.put_slice(s.as_bytes());
}

fn encode_object(o: &AmfObject, out: &mut impl BufMut) {
    match &o.class_name {
        None => out.put_u8(MARKER_OBJECT),
        Some(class) => {
            out.put_u8(MARKER_TYPED_OBJECT);
            encode_key(class, out);
        }
    }
    encode_properties(&o.properties, out);
}

/// Name/value pairs, then an empty name and the object-end marker.
fn encode_properties(pairs: &[(String, AmfValue)], out: &mut impl BufMut) {
    for (k, v) in pairs.iter().filter(|(k, _)| !k.is_empty()) {
        encode_key(k, out);
        encode(v, out);
    }
    out.put_u16(0);
    out.put_u8(MARKER_OBJECT_END);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amf::amf0::{Amf0Decoder, decode_all};
    use crate::amf::testutil::{assert_decodes_and_prefixes_fail, unhex};

    fn s(v: &str) -> AmfValue {
        AmfValue::String(v.into())
    }

    fn bytes_of(v: &AmfValue) -> Vec<u8> {
        let mut out = Vec::new();
        encode(v, &mut out);
        out
    }

    fn read_one(data: &[u8]) -> Result<AmfValue, AmfError> {
        Amf0Decoder::new(data).read_value()
    }

    use crate::amf::AmfError;

    /// Encodes, checks the decoder gives the value back, and that every prefix fails.
    fn round_trip(v: &AmfValue) -> Vec<u8> {
        let data = bytes_of(v);
        assert_decodes_and_prefixes_fail(&data, v, read_one);
        data
    }

    #[test]
    fn spec_byte_vectors() {
        assert_eq!(
            bytes_of(&AmfValue::Number(1.0)),
            unhex("00 3ff0000000000000")
        );
        assert_eq!(bytes_of(&AmfValue::Boolean(true)), unhex("01 01"));
        assert_eq!(bytes_of(&s("abc")), unhex("02 0003 616263"));
        assert_eq!(bytes_of(&AmfValue::Null), unhex("05"));
        assert_eq!(bytes_of(&AmfValue::Undefined), unhex("06"));
        assert_eq!(bytes_of(&AmfValue::Reference(1)), unhex("07 0001"));
        assert_eq!(bytes_of(&AmfValue::Unsupported), unhex("0d"));
        let obj = AmfValue::Object(AmfObject::new(vec![("a".into(), AmfValue::Boolean(false))]));
        assert_eq!(bytes_of(&obj), unhex("03 0001 61 0100 000009"));
        let typed = AmfValue::Object(AmfObject::typed("T", vec![]));
        assert_eq!(bytes_of(&typed), unhex("10 0001 54 000009"));
        let date = AmfValue::Date {
            millis: 0.0,
            timezone_minutes: 0,
        };
        assert_eq!(bytes_of(&date), unhex("0b 0000000000000000 0000"));
        let ecma = AmfValue::EcmaArray(vec![("x".into(), AmfValue::Null)]);
        assert_eq!(bytes_of(&ecma), unhex("08 00000001 0001 78 05 000009"));
        let strict = AmfValue::StrictArray(vec![AmfValue::Null, AmfValue::Undefined]);
        assert_eq!(bytes_of(&strict), unhex("0a 00000002 05 06"));
        assert_eq!(
            bytes_of(&AmfValue::XmlDocument("<a/>".into())),
            unhex("0f 00000004 3c612f3e")
        );
        assert_eq!(bytes_of(&AmfValue::Integer(5)), unhex("11 04 05"));
    }

    #[test]
    fn every_marker_round_trips() {
        let values = [
            AmfValue::Number(-12.75),
            AmfValue::Number(f64::INFINITY),
            AmfValue::Boolean(true),
            AmfValue::Boolean(false),
            s(""),
            s("héllo"),
            AmfValue::Object(AmfObject::new(vec![
                ("app".into(), s("live")),
                ("nested".into(), AmfValue::Object(AmfObject::new(vec![]))),
            ])),
            AmfValue::Null,
            AmfValue::Undefined,
            AmfValue::EcmaArray(vec![
                ("a".into(), AmfValue::Number(1.0)),
                ("a".into(), s("dup")),
            ]),
            AmfValue::EcmaArray(vec![]),
            AmfValue::StrictArray(vec![
                AmfValue::Number(1.0),
                s("two"),
                AmfValue::StrictArray(vec![]),
            ]),
            AmfValue::Date {
                millis: 1_700_000_000_123.0,
                timezone_minutes: 0,
            },
            AmfValue::Date {
                millis: -1.0,
                timezone_minutes: -300,
            },
            AmfValue::Unsupported,
            AmfValue::XmlDocument("<root attr=\"1\"/>".into()),
            AmfValue::Object(AmfObject::typed(
                "flash.net.Thing",
                vec![("id".into(), AmfValue::Number(3.0))],
            )),
            // AMF3-only values travel behind the AVM+ marker.
            AmfValue::Integer(-5),
            AmfValue::ByteArray(vec![1, 2, 3]),
            AmfValue::Array {
                dense: vec![AmfValue::Integer(1)],
                associative: vec![],
            },
            AmfValue::Object(AmfObject {
                class_name: Some("P".into()),
                properties: vec![("x".into(), AmfValue::Number(1.0)), ("y".into(), s("y"))],
                sealed_count: 1,
                dynamic: true,
            }),
        ];
        for v in &values {
            round_trip(v);
        }
    }

    #[test]
    fn references_round_trip() {
        // An object whose property refers to the object itself: a cycle AMF0 can carry.
        let v = AmfValue::Object(AmfObject::new(vec![(
            "self".into(),
            AmfValue::Reference(0),
        )]));
        round_trip(&v);
        let list = AmfValue::StrictArray(vec![
            AmfValue::EcmaArray(vec![]),
            AmfValue::Reference(1),
            AmfValue::Reference(0),
        ]);
        assert_eq!(
            round_trip(&list),
            unhex("0a00000003 08000000000000 09 070001 070000")
        );
    }

    #[test]
    fn long_strings_are_chosen_by_length() {
        let short = s(&"a".repeat(65535));
        assert_eq!(bytes_of(&short)[..3], [MARKER_STRING, 0xff, 0xff]);
        let long = s(&"é".repeat(40_000)); // 80000 bytes
        let data = bytes_of(&long);
        assert_eq!(data[..5], [MARKER_LONG_STRING, 0, 1, 0x38, 0x80]);
        assert_eq!(read_one(&data), Ok(long));
        assert!(read_one(&data[..data.len() - 1]).is_err());
    }

    #[test]
    fn wire_limits_are_adapted() {
        let obj = AmfValue::Object(AmfObject::new(vec![("".into(), AmfValue::Null)]));
        assert_eq!(bytes_of(&obj), unhex("03 000009"));
        let mut out = Vec::new();
        encode_key(&"é".repeat(40_000), &mut out);
        assert_eq!(out[..2], [0xff, 0xfe]); // 65534 bytes: the last whole character
        assert_eq!(out.len(), 2 + 65534);
    }

    /// The script tag ffmpeg 5.1 (Lavf59.27.100) writes for a 1 s 320x240 H.264 + AAC file.
    const FFMPEG_ON_METADATA: &str = "02000a6f6e4d65746144617461080000000d00086475726174696f6e003f\
        f147ae147ae14800057769647468004074000000000000000668656967687400406e000000000000000d766964\
        656f646174617261746500000000000000000000096672616d6572617465004039000000000000000c76696465\
        6f636f646563696400401c000000000000000d617564696f6461746172617465004050d88000000000000f6175\
        64696f73616d706c65726174650040e5888000000000000f617564696f73616d706c6573697a65004030000000\
        000000000673746572656f0100000c617564696f636f64656369640040240000000000000007656e636f646572\
        02000d4c61766635392e32372e313030000866696c6573697a650040d1e70000000000000009";

    #[test]
    fn ffmpeg_on_metadata() {
        let data = unhex(FFMPEG_ON_METADATA);
        let values = decode_all(&data).unwrap();
        assert_eq!(values.len(), 2);
        assert_eq!(values[0].as_str(), Some("onMetaData"));
        let meta = &values[1];
        assert!(matches!(meta, AmfValue::EcmaArray(p) if p.len() == 13));
        let num = |k| meta.get(k).and_then(AmfValue::as_f64);
        assert_eq!(num("duration"), Some(1.08));
        assert_eq!(num("width"), Some(320.0));
        assert_eq!(num("height"), Some(240.0));
        assert_eq!(num("framerate"), Some(25.0));
        assert_eq!(num("videocodecid"), Some(7.0));
        assert_eq!(num("audiocodecid"), Some(10.0));
        assert_eq!(num("audiosamplerate"), Some(44100.0));
        assert_eq!(num("filesize"), Some(18332.0));
        assert_eq!(meta.get("stereo").and_then(AmfValue::as_bool), Some(false));
        assert_eq!(
            meta.get("encoder").and_then(AmfValue::as_str),
            Some("Lavf59.27.100")
        );
        // Every prefix fails except the one that ends after the name string.
        for n in 1..data.len() {
            let got = decode_all(&data[..n]);
            assert_eq!(got.is_ok(), n == 13, "prefix of {n} bytes: {got:?}");
        }
        crate::amf::testutil::assert_never_panics(&data, decode_all);
        // Re-encoding gives ffmpeg's bytes back exactly.
        let mut out = Vec::new();
        encode_all(&values, &mut out);
        assert_eq!(out, data);
        // And so does a trip through JSON.
        let back: Vec<AmfValue> = values
            .iter()
            .map(|v| AmfValue::from_json(&v.to_json()))
            .collect();
        assert_eq!(back, values);
    }
}
