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
