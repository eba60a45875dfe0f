//! AMF3 decoding, with the string, object and traits reference tables of AMF 3 section 2.1
//! ("Summary of improvements") and the per-type rules of section 3.
//!
//! The tables hold no decoded values. Strings are borrowed from the input. An object-table entry
//! is the offset where the value starts, and a reference decodes the value again from there
//! ("replay"), with the tables frozen, at the depth of the reference. So the tables never copy a
//! value (memory is what the caller gets back, no more), a tree built from references is held to
//! [`MAX_DEPTH`](crate::amf::MAX_DEPTH) like any other, and every replayed value is charged to
//! the budget as it is produced, which bounds both the memory and the time of an exponential
//! chain of references. Replaying is exact: a value's bytes decoded without error once, every
//! reference inside them points to an entry that was complete then and still is, and entries the
//! value itself added are already in the tables, at the same indices.

use std::mem::size_of;
use std::sync::Arc;

use crate::amf::input::{Input, KEY_COST, NODE_COST};
use crate::amf::{AmfError, AmfObject, AmfTable, AmfValue, AmfVersion, MAX_DECODED_BYTES};

use super::{
    INT_MAX, MARKER_ARRAY, MARKER_BYTE_ARRAY, MARKER_DATE, MARKER_DICTIONARY, MARKER_DOUBLE,
    MARKER_FALSE, MARKER_INTEGER, MARKER_NULL, MARKER_OBJECT, MARKER_STRING, MARKER_TRUE,
    MARKER_UNDEFINED, MARKER_VECTOR_DOUBLE, MARKER_VECTOR_INT, MARKER_VECTOR_OBJECT,
    MARKER_VECTOR_UINT, MARKER_XML, MARKER_XML_DOCUMENT,
};

/// A class description from the traits table (AMF 3 section 3.12).
#[derive(Debug)]
struct Traits<'a> {
    class_name: &'a str,
    sealed: Vec<&'a str>,
    dynamic: bool,
    externalizable: bool,
}

/// One object-table entry.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// Still being decoded: a reference to it is a cycle.
    Pending,
    /// Complete; its marker is at this offset.
    Done(usize),
}

/// The string, object and traits reference tables. They live as long as the decoder, because
/// the spec scopes them to one AMF3 "message" (an RTMP AMF3 message, or all the AVM+ values of
/// one AMF0 message, as Flash Player and BlazeDS share them).
#[derive(Debug, Default)]
pub(crate) struct Tables<'a> {
    strings: Vec<&'a str>,
    objects: Vec<Slot>,
    /// Shared, so an object that refers to its class's traits does not copy the member names.
    traits: Vec<Arc<Traits<'a>>>,
}

/// Reads AMF3 values one after another from a buffer, sharing reference tables between them.
///
/// One decoder is one reference scope: use one per RTMP message (or per FLV script tag), since a
/// later value may refer to strings, objects and traits of an earlier one. After an error the
/// decoder's position and tables are unspecified; discard it.
#[derive(Debug)]
pub struct Amf3Decoder<'a> {
    input: Input<'a>,
    tables: Tables<'a>,
}

impl<'a> Amf3Decoder<'a> {
    /// A decoder over `data` with the default budget, [`MAX_DECODED_BYTES`].
    pub fn new(data: &'a [u8]) -> Self {
        Self::with_budget(data, MAX_DECODED_BYTES)
    }

    /// A decoder over `data` that may fill at most `budget` bytes (estimated) with decoded values,
    /// for callers that must read trusted payloads larger than the default allows.
    pub fn with_budget(data: &'a [u8], budget: usize) -> Self {
        Amf3Decoder {
            input: Input::new(data, AmfVersion::Amf3, budget),
            tables: Tables::default(),
        }
    }

    /// Decodes the next value, resolving references against everything this decoder has read.
    pub fn read_value(&mut self) -> Result<AmfValue, AmfError> {
        read_value(&mut self.input, &mut self.tables, 0)
    }

    /// The offset of the next unread byte.
    pub fn position(&self) -> usize {
        self.input.pos()
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.input.remaining() == 0
    }
}

/// Decodes one AMF3 value at nesting level `depth`; the AMF0 decoder calls this at an AVM+ marker.
pub(crate) fn read_value<'a>(
    input: &mut Input<'a>,
    tables: &mut Tables<'a>,
    depth: usize,
) -> Result<AmfValue, AmfError> {
    Reader {
        input,
        t: tables,
        replaying: false,
    }
    .value(depth)
}

/// Either an inline value's remaining U29 bits, or a resolved object reference.
enum Header {
    Inline(u32),
    Ref(AmfValue),
}

struct Reader<'r, 'a> {
    input: &'r mut Input<'a>,
    t: &'r mut Tables<'a>,
    /// Re-decoding a referenced value: the tables already hold what it defines.
    replaying: bool,
}

impl<'a> Reader<'_, 'a> {
    fn value(&mut self, depth: usize) -> Result<AmfValue, AmfError> {
        let at = self.input.pos();
        let marker = self.input.u8()?;
        self.input.charge(at, NODE_COST)?;
        Ok(match marker {
            MARKER_UNDEFINED => AmfValue::Undefined,
            MARKER_NULL => AmfValue::Null,
            MARKER_FALSE => AmfValue::Boolean(false),
            MARKER_TRUE => AmfValue::Boolean(true),
            MARKER_INTEGER => AmfValue::Integer(sign_extend(self.u29()?)),
            MARKER_DOUBLE => AmfValue::Number(self.input.f64()?),
            MARKER_STRING => AmfValue::String(self.string()?.to_owned()),
            MARKER_XML_DOCUMENT => self.xml(at, depth, AmfValue::XmlDocument)?,
            MARKER_DATE => self.date(at, depth)?,
            MARKER_ARRAY => self.array(at, depth)?,
            MARKER_OBJECT => self.object(at, depth)?,
            MARKER_XML => self.xml(at, depth, AmfValue::Xml)?,
            MARKER_BYTE_ARRAY => self.byte_array(at, depth)?,
            MARKER_VECTOR_INT | MARKER_VECTOR_UINT | MARKER_VECTOR_DOUBLE => {
                self.number_vector(at, depth, marker)?
            }
            MARKER_VECTOR_OBJECT => self.object_vector(at, depth)?,
            MARKER_DICTIONARY => self.dictionary(at, depth)?,
            _ => {
                return Err(AmfError::UnknownMarker {
                    version: AmfVersion::Amf3,
                    offset: at,
                    marker,
                });
            }
        })
    }

    /// A variable-length unsigned 29-bit integer (AMF 3 section 1.3.1): up to three bytes of
    /// seven bits with a continuation flag, then a fourth byte of eight bits.
    fn u29(&mut self) -> Result<u32, AmfError> {
        let mut v = 0u32;
        for _ in 0..3 {
            let b = self.input.u8()?;
            if b & 0x80 == 0 {
                return Ok((v << 7) | u32::from(b));
            }
            v = (v << 7) | u32::from(b & 0x7f);
        }
        Ok((v << 8) | u32::from(self.input.u8()?))
    }

    /// A UTF-8-vr (section 1.3.2): an inline string, added to the string table unless empty, or a
    /// reference to one.
    fn string(&mut self) -> Result<&'a str, AmfError> {
        let at = self.input.pos();
        let header = self.u29()?;
        if header & 1 == 0 {
            let index = (header >> 1) as usize;
            let Some(&s) = self.t.strings.get(index) else {
                return Err(self.unknown(at, AmfTable::String, index, self.t.strings.len()));
            };
            self.input.charge(at, s.len())?;
            return Ok(s);
        }
        let len = header >> 1;
        if len == 0 {
            return Ok("");
        }
        let s = self.input.utf8(at, u64::from(len))?;
        self.input.charge(at, s.len())?;
        if !self.replaying {
            self.input.charge(at, size_of::<&str>())?;
            self.t.strings.push(s);
        }
        Ok(s)
    }

    fn unknown(&self, at: usize, table: AmfTable, index: usize, defined: usize) -> AmfError {
        AmfError::UnknownReference {
            version: AmfVersion::Amf3,
            offset: at,
            table,
            index,
            defined,
        }
    }

    /// The U29 that starts every value kept in the object table: low bit 0 is a reference,
    /// resolved by replaying the referenced value at nesting level `depth`.
    fn header(&mut self, depth: usize) -> Result<Header, AmfError> {
        let at = self.input.pos();
        let h = self.u29()?;
        if h & 1 == 1 {
            return Ok(Header::Inline(h >> 1));
        }
        let index = (h >> 1) as usize;
        let start = match self.t.objects.get(index) {
            None => return Err(self.unknown(at, AmfTable::Object, index, self.t.objects.len())),
            Some(Slot::Pending) => return Err(AmfError::CyclicReference { offset: at, index }),
            Some(&Slot::Done(start)) => start,
        };
        let resume = self.input.pos();
        let was_replaying = std::mem::replace(&mut self.replaying, true);
        self.input.seek(start);
        let value = self.value(depth);
        self.input.seek(resume);
        self.replaying = was_replaying;
        // Replayed bytes decoded once already, so only a limit can fail here; name the
        // reference that asked for it rather than a byte inside the earlier value.
        value.map(Header::Ref).map_err(|e| e.at_offset(at))
    }

    /// Gives the value at `at` the next object-table slot, before its members are read (they
    /// may refer to it). `None` when replaying: the value already has its slot.
    fn reserve(&mut self, at: usize) -> Result<Option<usize>, AmfError> {
        if self.replaying {
            return Ok(None);
        }
        self.input.charge(at, size_of::<Slot>())?;
        self.t.objects.push(Slot::Pending);
        Ok(Some(self.t.objects.len() - 1))
    }

    /// Marks the value at `at` complete, so later references replay it.
    fn remember(&mut self, at: usize, slot: Option<usize>, value: AmfValue) -> AmfValue {
        if let Some(entry) = slot.and_then(|i| self.t.objects.get_mut(i)) {
            *entry = Slot::Done(at);
        }
        value
    }

    fn xml(
        &mut self,
        at: usize,
        depth: usize,
        make: fn(String) -> AmfValue,
    ) -> Result<AmfValue, AmfError> {
        let len = match self.header(depth)? {
            Header::Ref(v) => return Ok(v),
            Header::Inline(len) => len,
        };
        let slot = self.reserve(at)?;
        let text = self.input.utf8(at, u64::from(len))?.to_owned();
        self.input.charge(at, text.len())?;
        Ok(self.remember(at, slot, make(text)))
    }

    fn date(&mut self, at: usize, depth: usize) -> Result<AmfValue, AmfError> {
        if let Header::Ref(v) = self.header(depth)? {
            return Ok(v);
        }
        let slot = self.reserve(at)?;
        let millis = self.input.f64()?;
        Ok(self.remember(
            at,
            slot,
            AmfValue::Date {
                millis,
                timezone_minutes: 0,
            },
        ))
    }

    fn byte_array(&mut self, at: usize, depth: usize) -> Result<AmfValue, AmfError> {
        let len = match self.header(depth)? {
            Header::Ref(v) => return Ok(v),
            Header::Inline(len) => len,
        };
        let slot = self.reserve(at)?;
        self.input
            .check_count(at, "byte array bytes", u64::from(len), 1, 1)?;
        self.input.charge(at, len as usize)?;
        let bytes = self.input.bytes(len as usize)?.to_vec();
        Ok(self.remember(at, slot, AmfValue::ByteArray(bytes)))
    }

    /// Array (section 3.11): the dense count, the associative part up to an empty key, then the
    /// dense values.
    fn array(&mut self, at: usize, depth: usize) -> Result<AmfValue, AmfError> {
        let dense_count = match self.header(depth)? {
            Header::Ref(v) => return Ok(v),
            Header::Inline(n) => n,
        };
        let depth = self.input.enter(at, depth)?;
        let slot = self.reserve(at)?;
        let mut associative = Vec::new();
        loop {
            let key = self.string()?;
            if key.is_empty() {
                break;
            }
            self.input.charge(at, KEY_COST)?;
            associative.push((key.to_owned(), self.value(depth)?));
        }
        let cap =
            self.input
                .check_count(at, "array items", u64::from(dense_count), 1, NODE_COST)?;
        let mut dense = Vec::with_capacity(cap);
        for _ in 0..dense_count {
            dense.push(self.value(depth)?);
        }
        Ok(self.remember(at, slot, AmfValue::Array { dense, associative }))
    }

    /// Object (section 3.12): traits inline or by reference, sealed values, dynamic members.
    fn object(&mut self, at: usize, depth: usize) -> Result<AmfValue, AmfError> {
        let h = match self.header(depth)? {
            Header::Ref(v) => return Ok(v),
            Header::Inline(h) => h,
        };
        let depth = self.input.enter(at, depth)?;
        let traits = self.traits(at + 1, h)?;
        if traits.externalizable {
            return Err(AmfError::Externalizable {
                offset: at,
                class_name: traits.class_name.to_owned(),
            });
        }
        let slot = self.reserve(at)?;
        let pair_cost = KEY_COST + NODE_COST;
        let sealed = traits.sealed.len() as u64;
        let cap = self
            .input
            .check_count(at, "sealed member values", sealed, 1, pair_cost)?;
        let mut properties = Vec::with_capacity(cap);
        for name in &traits.sealed {
            self.input.charge(at, KEY_COST + name.len())?;
            properties.push((name.to_string(), self.value(depth)?));
        }
        if traits.dynamic {
            loop {
                let key = self.string()?;
                if key.is_empty() {
                    break;
                }
                self.input.charge(at, KEY_COST)?;
                properties.push((key.to_owned(), self.value(depth)?));
            }
        }
        let class_name = Some(traits.class_name.to_owned()).filter(|c| !c.is_empty());
        let object = AmfObject {
            class_name,
            properties,
            sealed_count: traits.sealed.len(),
            dynamic: traits.dynamic,
        };
        Ok(self.remember(at, slot, AmfValue::Object(object)))
    }

    /// The traits part of an object header `h` (the U29O, at `at`, with its low bit removed).
    fn traits(&mut self, at: usize, h: u32) -> Result<Arc<Traits<'a>>, AmfError> {
        if h & 1 == 0 {
            let index = (h >> 1) as usize;
            return match self.t.traits.get(index) {
                Some(t) => Ok(Arc::clone(t)),
                None => Err(self.unknown(at, AmfTable::Traits, index, self.t.traits.len())),
            };
        }
        let externalizable = h & 2 != 0;
        let dynamic = !externalizable && h & 4 != 0;
        let class_name = self.string()?;
        let mut sealed = Vec::new();
        if !externalizable {
            let count = u64::from(h >> 3);
            let cap = self
                .input
                .check_count(at, "sealed member names", count, 1, KEY_COST)?;
            sealed.reserve(cap);
            for _ in 0..count {
                sealed.push(self.string()?);
            }
        }
        let traits = Arc::new(Traits {
            class_name,
            sealed,
            dynamic,
            externalizable,
        });
        if !self.replaying {
            let cost = size_of::<Traits<'_>>() + std::mem::size_of_val(traits.sealed.as_slice());
            self.input.charge(at, cost)?;
            self.t.traits.push(Arc::clone(&traits));
        }
        Ok(traits)
    }

    /// `Vector.<int>`, `Vector.<uint>` and `Vector.<Number>` (section 3.15).
    fn number_vector(&mut self, at: usize, depth: usize, marker: u8) -> Result<AmfValue, AmfError> {
        let count = match self.header(depth)? {
            Header::Ref(v) => return Ok(v),
            Header::Inline(n) => n,
        };
        let slot = self.reserve(at)?;
        let fixed = self.input.u8()? != 0;
        let width = if marker == MARKER_VECTOR_DOUBLE { 8 } else { 4 };
        self.input
            .check_count(at, "vector items", u64::from(count), width, width)?;
        // The count fits the remaining bytes, so this product cannot overflow.
        let count = count as usize;
        self.input.charge(at, count * width)?;
        let value = match marker {
            MARKER_VECTOR_INT => AmfValue::VectorInt {
                fixed,
                items: (0..count)
                    .map(|_| self.input.u32().map(|u| u as i32))
                    .collect::<Result<_, _>>()?,
            },
            MARKER_VECTOR_UINT => AmfValue::VectorUint {
                fixed,
                items: (0..count)
                    .map(|_| self.input.u32())
                    .collect::<Result<_, _>>()?,
            },
            _ => AmfValue::VectorDouble {
                fixed,
                items: (0..count)
                    .map(|_| self.input.f64())
                    .collect::<Result<_, _>>()?,
            },
        };
        Ok(self.remember(at, slot, value))
    }

    /// A vector of objects (section 3.15): the item type name, then values.
    fn object_vector(&mut self, at: usize, depth: usize) -> Result<AmfValue, AmfError> {
        let count = match self.header(depth)? {
            Header::Ref(v) => return Ok(v),
            Header::Inline(n) => n,
        };
        let depth = self.input.enter(at, depth)?;
        let slot = self.reserve(at)?;
        let fixed = self.input.u8()? != 0;
        let type_name = self.string()?.to_owned();
        let cap = self
            .input
            .check_count(at, "vector items", u64::from(count), 1, NODE_COST)?;
        let mut items = Vec::with_capacity(cap);
        for _ in 0..count {
            items.push(self.value(depth)?);
        }
        Ok(self.remember(
            at,
            slot,
            AmfValue::VectorObject {
                fixed,
                type_name,
                items,
            },
        ))
    }

    /// Dictionary (section 3.16): weak-keys flag, then key/value pairs of any type.
    fn dictionary(&mut self, at: usize, depth: usize) -> Result<AmfValue, AmfError> {
        let count = match self.header(depth)? {
            Header::Ref(v) => return Ok(v),
            Header::Inline(n) => n,
        };
        let depth = self.input.enter(at, depth)?;
        let slot = self.reserve(at)?;
        let weak_keys = self.input.u8()? != 0;
        let cap =
            self.input
                .check_count(at, "dictionary entries", u64::from(count), 2, 2 * NODE_COST)?;
        let mut entries = Vec::with_capacity(cap);
        for _ in 0..count {
            let key = self.value(depth)?;
            entries.push((key, self.value(depth)?));
        }
        Ok(self.remember(at, slot, AmfValue::Dictionary { weak_keys, entries }))
    }
}

/// Interprets a U29 as the 29-bit two's-complement integer of the integer type (section 3.6).
fn sign_extend(u: u32) -> i32 {
    let v = (u & 0x1fff_ffff) as i32;
    if v > INT_MAX { v - (1 << 29) } else { v }
}

#[cfg(test)]
mod tests;
