//! AMF3 encoding.

use std::collections::HashMap;

use bytes::BufMut;

use crate::amf::{AmfObject, AmfValue};

use super::{
    INT_MAX, INT_MIN, MARKER_ARRAY, MARKER_BYTE_ARRAY, MARKER_DATE, MARKER_DICTIONARY,
    MARKER_DOUBLE, MARKER_FALSE, MARKER_INTEGER, MARKER_NULL, MARKER_OBJECT, MARKER_STRING,
    MARKER_TRUE, MARKER_UNDEFINED, MARKER_VECTOR_DOUBLE, MARKER_VECTOR_INT, MARKER_VECTOR_OBJECT,
    MARKER_VECTOR_UINT, MARKER_XML, MARKER_XML_DOCUMENT, MAX_LENGTH,
};

/// The largest string-table index a reference can carry (U29 minus the flag bit).
const MAX_STRING_REF: usize = (1 << 28) - 1;
/// The largest traits-table index a reference can carry (U29 minus two flag bits).
const MAX_TRAITS_REF: usize = (1 << 27) - 1;
/// The most sealed members inline traits can declare (U29 minus four flag bits).
const MAX_SEALED: usize = (1 << 25) - 1;

/// What makes two objects' traits the same: class name, sealed member names, dynamic flag.
type TraitsKey = (String, Vec<String>, bool);

/// Writes AMF3 values, mirroring the decoder's string and traits tables so repeats are sent by
/// reference.
///
/// One encoder is one reference scope: the receiver's decoder must read everything this encoder
/// wrote, in order, with one set of tables (one RTMP AMF3 message). Object references are never
/// written, since an [`AmfValue`] tree has no identity to share; equal objects are written twice.
///
/// Values the wire cannot carry are adapted rather than failing, since encoding has no error
/// path: integers outside -2^28..2^28-1 become doubles (as the spec says); text, byte arrays and
/// counts beyond 2^28-1 are cut there (strings at a character boundary); empty keys of dynamic
/// members and associative array entries are skipped (an empty key ends the list on the wire);
/// AMF0 `Unsupported` becomes undefined and an AMF0 `Reference` (no AMF3 meaning) becomes null;
/// `StrictArray` and `EcmaArray` become AMF3 arrays; a date's timezone is dropped.
#[derive(Debug, Default)]
pub struct Amf3Encoder {
    strings: HashMap<String, usize>,
    string_count: usize,
    traits: HashMap<TraitsKey, usize>,
    traits_count: usize,
    no_references: bool,
}

impl Amf3Encoder {
    /// An encoder with empty tables.
    pub fn new() -> Self {
        Self::default()
    }

    /// An encoder that writes every string and traits inline, so its output decodes correctly
    /// whatever the receiver's tables already hold. The AMF0 encoder uses it for AVM+ values,
    /// which it writes one at a time without knowing what came before.
    pub(crate) fn without_references() -> Self {
        Amf3Encoder {
            no_references: true,
            ..Self::default()
        }
    }

    /// Appends `value`, with its marker, to `out`.
    pub fn write_value(&mut self, value: &AmfValue, out: &mut impl BufMut) {
        match value {
            AmfValue::Undefined | AmfValue::Unsupported => out.put_u8(MARKER_UNDEFINED),
            AmfValue::Null | AmfValue::Reference(_) => out.put_u8(MARKER_NULL),
            AmfValue::Boolean(false) => out.put_u8(MARKER_FALSE),
            AmfValue::Boolean(true) => out.put_u8(MARKER_TRUE),
            AmfValue::Integer(i) if (INT_MIN..=INT_MAX).contains(i) => {
                out.put_u8(MARKER_INTEGER);
                write_u29(out, (*i as u32) & 0x1fff_ffff);
            }
            AmfValue::Integer(i) => write_double(out, f64::from(*i)),
            AmfValue::Number(n) => write_double(out, *n),
            AmfValue::String(s) => {
                out.put_u8(MARKER_STRING);
                self.write_string(s, out);
            }
            AmfValue::XmlDocument(s) => {
                write_text(out, MARKER_XML_DOCUMENT, clip_str(s, MAX_LENGTH))
            }
            AmfValue::Xml(s) => write_text(out, MARKER_XML, clip_str(s, MAX_LENGTH)),
            AmfValue::ByteArray(b) => {
                write_text(out, MARKER_BYTE_ARRAY, &b[..b.len().min(MAX_LENGTH)])
            }
            AmfValue::Date { millis, .. } => {
                out.put_u8(MARKER_DATE);
                write_u29(out, 1);
                out.put_f64(*millis);
            }
            AmfValue::Array { dense, associative } => self.write_array(out, dense, associative),
            AmfValue::StrictArray(dense) => self.write_array(out, dense, &[]),
            AmfValue::EcmaArray(associative) => self.write_array(out, &[], associative),
            AmfValue::Object(o) => self.write_object(out, o),
            AmfValue::VectorInt { fixed, items } => {
                let items = write_vector_header(out, MARKER_VECTOR_INT, *fixed, items);
                items.iter().for_each(|i| out.put_i32(*i));
            }
            AmfValue::VectorUint { fixed, items } => {
                let items = write_vector_header(out, MARKER_VECTOR_UINT, *fixed, items);
                items.iter().for_each(|u| out.put_u32(*u));
            }
            AmfValue::VectorDouble { fixed, items } => {
                let items = write_vector_header(out, MARKER_VECTOR_DOUBLE, *fixed, items);
                items.iter().for_each(|d| out.put_f64(*d));
            }
            AmfValue::VectorObject {
                fixed,
                type_name,
                items,
            } => {
                let items = write_vector_header(out, MARKER_VECTOR_OBJECT, *fixed, items);
                self.write_string(type_name, out);
                items.iter().for_each(|v| self.write_value(v, out));
            }
            AmfValue::Dictionary { weak_keys, entries } => {
                let entries = write_vector_header(out, MARKER_DICTIONARY, *weak_keys, entries);
                for (k, v) in entries {
                    self.write_value(k, out);
                    self.write_value(v, out);
                }
            }
        }
    }

    /// A UTF-8-vr: the empty string inline (it is never in the table), a repeat by reference,
    /// anything else inline and remembered at the index the decoder will give it.
    fn write_string(&mut self, s: &str, out: &mut impl BufMut) {
        let s = clip_str(s, MAX_LENGTH);
        if s.is_empty() {
            write_u29(out, 1);
            return;
        }
        if !self.no_references {
            if let Some(&index) = self.strings.get(s) {
                if index <= MAX_STRING_REF {
                    write_u29(out, (index as u32) << 1);
                    return;
                }
            }
            self.strings
                .entry(s.to_owned())
                .or_insert(self.string_count);
        }
        self.string_count += 1;
        write_u29(out, ((s.len() as u32) << 1) | 1);
        out.put_slice(s.as_bytes());
    }

    fn write_array(
        &mut self,
        out: &mut impl BufMut,
        dense: &[AmfValue],
        assoc: &[(String, AmfValue)],
    ) {
        let dense = &dense[..dense.len().min(MAX_LENGTH)];
        out.put_u8(MARKER_ARRAY);
        write_u29(out, ((dense.len() as u32) << 1) | 1);
        self.write_members(out, assoc);
        dense.iter().for_each(|v| self.write_value(v, out));
    }

    /// Name/value pairs up to the empty name that ends them; empty names are skipped.
    fn write_members(&mut self, out: &mut impl BufMut, members: &[(String, AmfValue)]) {
        for (k, v) in members.iter().filter(|(k, _)| !k.is_empty()) {
            self.write_string(k, out);
            self.write_value(v, out);
        }
        write_u29(out, 1);
    }

    fn write_object(&mut self, out: &mut impl BufMut, o: &AmfObject) {
        let n = o.sealed_count.min(o.properties.len()).min(MAX_SEALED);
        let (sealed, dynamic) = o.properties.split_at(n);
        let class = o.class_name.as_deref().unwrap_or("");
        out.put_u8(MARKER_OBJECT);
        let key: TraitsKey = (
            class.to_owned(),
            sealed.iter().map(|(k, _)| k.clone()).collect(),
            o.dynamic,
        );
        match self.traits.get(&key) {
            Some(&index) if index <= MAX_TRAITS_REF => write_u29(out, ((index as u32) << 2) | 1),
            _ => {
                write_u29(out, ((n as u32) << 4) | (u32::from(o.dynamic) << 3) | 0b011);
                self.write_string(class, out);
                sealed.iter().for_each(|(k, _)| self.write_string(k, out));
                if !self.no_references {
                    self.traits.entry(key).or_insert(self.traits_count);
                }
                self.traits_count += 1;
            }
        }
        sealed.iter().for_each(|(_, v)| self.write_value(v, out));
        if o.dynamic {
            self.write_members(out, dynamic);
        }
    }
}

/// Writes a variable-length unsigned 29-bit integer (section 1.3.1); `v` must be below 2^29.
pub(crate) fn write_u29(out: &mut impl BufMut, v: u32) {
    let v = v & 0x1fff_ffff;
    if v < 0x80 {
        out.put_u8(v as u8);
    } else if v < 0x4000 {
        out.put_slice(&[(v >> 7) as u8 | 0x80, (v & 0x7f) as u8]);
    } else if v < 0x20_0000 {
        out.put_slice(&[
            (v >> 14) as u8 | 0x80,
            (v >> 7) as u8 | 0x80,
            (v & 0x7f) as u8,
        ]);
    } else {
        out.put_slice(&[
            (v >> 22) as u8 | 0x80,
            (v >> 15) as u8 | 0x80,
            (v >> 8) as u8 | 0x80,
            v as u8,
        ]);
    }
}

fn write_double(out: &mut impl BufMut, n: f64) {
    out.put_u8(MARKER_DOUBLE);
    out.put_f64(n);
}

/// XML, XMLDocument and ByteArray: an inline U29 length and the bytes (at most
/// [`MAX_LENGTH`], which callers have ensured).
fn write_text(out: &mut impl BufMut, marker: u8, bytes: impl AsRef<[u8]>) {
    let bytes = bytes.as_ref();
    out.put_u8(marker);
    write_u29(out, ((bytes.len() as u32) << 1) | 1);
    out.put_slice(bytes);
}

/// The header shared by vectors and dictionaries: marker, inline count, flag byte. Returns the
/// items that fit the count.
fn write_vector_header<'v, T>(
    out: &mut impl BufMut,
    marker: u8,
    flag: bool,
    items: &'v [T],
) -> &'v [T] {
    let items = &items[..items.len().min(MAX_LENGTH)];
    out.put_u8(marker);
    write_u29(out, ((items.len() as u32) << 1) | 1);
    out.put_u8(u8::from(flag));
    items
}

/// `s` cut to at most `max` bytes at a character boundary.
pub(crate) fn clip_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amf::AmfError;
    use crate::amf::amf3::{Amf3Decoder, decode_all, encode_all};
    use crate::amf::testutil::{assert_decodes_and_prefixes_fail, unhex};

    fn s(v: &str) -> AmfValue {
        AmfValue::String(v.into())
    }

    fn bytes_of(v: &AmfValue) -> Vec<u8> {
        let mut out = Vec::new();
        Amf3Encoder::new().write_value(v, &mut out);
        out
    }

    fn read_one(data: &[u8]) -> Result<AmfValue, AmfError> {
        Amf3Decoder::new(data).read_value()
    }

    #[test]
    fn integer_byte_vectors() {
        let cases: [(i32, &str); 14] = [
            (0, "00"),
            (1, "01"),
            (127, "7f"),
            (128, "81 00"),
            (16383, "ff 7f"),
            (16384, "81 80 00"),
            ((1 << 21) - 1, "ff ff 7f"),
            (1 << 21, "80 c0 80 00"),
            ((1 << 28) - 1, "bf ff ff ff"),
            (-1, "ff ff ff ff"),
            (-2, "ff ff ff fe"),
            (-128, "ff ff ff 80"),
            (-(1 << 21), "ff c0 80 00"),
            (-(1 << 28), "c0 80 80 00"),
        ];
        for (i, hex) in cases {
            let data = unhex(&format!("04 {hex}"));
            assert_eq!(bytes_of(&AmfValue::Integer(i)), data, "{i}");
            assert_decodes_and_prefixes_fail(&data, &AmfValue::Integer(i), read_one);
        }
        // Outside 29 bits the spec sends a double.
        for i in [1 << 28, INT_MIN - 1, i32::MAX, i32::MIN] {
            let data = bytes_of(&AmfValue::Integer(i));
            assert_eq!(data[0], MARKER_DOUBLE);
            assert_eq!(read_one(&data), Ok(AmfValue::Number(f64::from(i))));
        }
        // A U29 need not be minimal on the wire.
        assert_eq!(read_one(&unhex("04 80 80 05")), Ok(AmfValue::Integer(5)));
    }

    #[test]
    fn scalar_byte_vectors() {
        assert_eq!(bytes_of(&AmfValue::Undefined), [0x00]);
        assert_eq!(bytes_of(&AmfValue::Null), [0x01]);
        assert_eq!(bytes_of(&AmfValue::Boolean(false)), [0x02]);
        assert_eq!(bytes_of(&AmfValue::Boolean(true)), [0x03]);
        assert_eq!(
            bytes_of(&AmfValue::Number(1.0)),
            unhex("05 3ff0000000000000")
        );
        assert_eq!(bytes_of(&s("")), unhex("06 01"));
        assert_eq!(bytes_of(&s("abc")), unhex("06 07 616263"));
        let date = AmfValue::Date {
            millis: 1.0,
            timezone_minutes: 0,
        };
        assert_eq!(bytes_of(&date), unhex("08 01 3ff0000000000000"));
        assert_eq!(
            bytes_of(&AmfValue::ByteArray(vec![9, 8])),
            unhex("0c 05 0908")
        );
        assert_eq!(
            bytes_of(&AmfValue::Xml("<x/>".into())),
            unhex("0b 09 3c782f3e")
        );
    }

    #[test]
    fn every_marker_round_trips() {
        let point = |x: i32, extra: Vec<(String, AmfValue)>| {
            let mut properties = vec![("x".into(), AmfValue::Integer(x)), ("y".into(), s("y"))];
            properties.extend(extra);
            AmfValue::Object(AmfObject {
                class_name: Some("com.example.Point".into()),
                properties,
                sealed_count: 2,
                dynamic: true,
            })
        };
        let values = [
            AmfValue::Undefined,
            AmfValue::Null,
            AmfValue::Boolean(false),
            AmfValue::Boolean(true),
            AmfValue::Integer(-300),
            AmfValue::Number(0.1),
            AmfValue::Number(f64::NEG_INFINITY),
            s(""),
            s("ünïcode"),
            AmfValue::XmlDocument("<doc/>".into()),
            AmfValue::Date {
                millis: 1_234_567_890_123.0,
                timezone_minutes: 0,
            },
            AmfValue::Array {
                dense: vec![],
                associative: vec![],
            },
            AmfValue::Array {
                dense: vec![s("a"), AmfValue::Integer(2), s("a")],
                associative: vec![("k".into(), s("a")), ("n".into(), AmfValue::Null)],
            },
            AmfValue::Object(AmfObject::new(vec![("a".into(), AmfValue::Integer(1))])),
            AmfValue::Object(AmfObject::new(vec![])),
            point(1, vec![("z".into(), AmfValue::Boolean(true))]),
            AmfValue::Object(AmfObject {
                class_name: Some("Sealed".into()),
                properties: vec![("only".into(), AmfValue::Null)],
                sealed_count: 1,
                dynamic: false,
            }),
            // Two objects of one class: the second sends its traits by reference.
            AmfValue::Array {
                dense: vec![point(1, vec![]), point(2, vec![])],
                associative: vec![],
            },
            AmfValue::Xml("<a><b/></a>".into()),
            AmfValue::ByteArray(vec![]),
            AmfValue::ByteArray((0..=255).collect()),
            AmfValue::VectorInt {
                fixed: true,
                items: vec![-1, 0, i32::MAX],
            },
            AmfValue::VectorUint {
                fixed: false,
                items: vec![0, u32::MAX],
            },
            AmfValue::VectorDouble {
                fixed: false,
                items: vec![0.5, -2.0],
            },
            AmfValue::VectorObject {
                fixed: false,
                type_name: "com.example.Point".into(),
                items: vec![point(3, vec![]), AmfValue::Null],
            },
            AmfValue::VectorObject {
                fixed: true,
                type_name: "*".into(),
                items: vec![],
            },
            AmfValue::Dictionary {
                weak_keys: true,
                entries: vec![
                    (s("k"), AmfValue::Integer(1)),
                    (AmfValue::Integer(2), s("k")),
                ],
            },
        ];
        for v in &values {
            assert_decodes_and_prefixes_fail(&bytes_of(v), v, read_one);
        }
        // All of them through one encoder and one decoder, sharing tables.
        let mut out = Vec::new();
        encode_all(&values, &mut out);
        assert_eq!(decode_all(&out).as_deref(), Ok(&values[..]));
        crate::amf::testutil::assert_never_panics(&out, decode_all);
    }

    #[test]
    fn repeats_are_sent_by_reference() {
        let v = AmfValue::StrictArray(vec![s("abc"), s("abc"), s(""), s("")]);
        // Dense array of 4; "abc" inline then string reference 0; "" is always inline.
        assert_eq!(
            bytes_of(&v),
            unhex("09 09 01 06 07 616263 06 00 06 01 06 01")
        );
        let obj = |x| {
            AmfValue::Object(AmfObject {
                class_name: Some("P".into()),
                properties: vec![("x".into(), AmfValue::Integer(x))],
                sealed_count: 1,
                dynamic: false,
            })
        };
        let data = bytes_of(&AmfValue::StrictArray(vec![obj(1), obj(2)]));
        // Inline traits (1 sealed member, not dynamic) "P" ["x"], then traits reference 0.
        assert_eq!(data, unhex("09 05 01 0a 13 03 50 03 78 04 01 0a 01 04 02"));
        let expected = AmfValue::Array {
            dense: vec![obj(1), obj(2)],
            associative: vec![],
        };
        assert_eq!(read_one(&data), Ok(expected));
    }

    #[test]
    fn amf0_only_values_are_adapted() {
        let v = AmfValue::StrictArray(vec![
            AmfValue::Unsupported,
            AmfValue::Reference(3),
            AmfValue::EcmaArray(vec![
                ("".into(), AmfValue::Null),
                ("a".into(), AmfValue::Null),
            ]),
            AmfValue::Date {
                millis: 5.0,
                timezone_minutes: 60,
            },
        ]);
        let expected = AmfValue::Array {
            dense: vec![
                AmfValue::Undefined,
                AmfValue::Null,
                AmfValue::Array {
                    dense: vec![],
                    associative: vec![("a".into(), AmfValue::Null)],
                },
                AmfValue::Date {
                    millis: 5.0,
                    timezone_minutes: 0,
                },
            ],
            associative: vec![],
        };
        assert_eq!(read_one(&bytes_of(&v)), Ok(expected));
    }

    #[test]
    fn clip_str_keeps_characters_whole() {
        assert_eq!(clip_str("aé", 2), "a");
        assert_eq!(clip_str("aé", 3), "aé");
        assert_eq!(clip_str("", 0), "");
    }
}
