//! The one value type both AMF versions decode to and encode from.
//!
//! AMF0 and AMF3 share most of their model (numbers, strings, anonymous and typed objects,
//! arrays, dates, XML), and a single message can mix them (AMF0 with AVM+ values inside), so one
//! enum carries both; variants that exist in one format only say so. Conversions to and from
//! `serde_json` live beside this type (see [`AmfValue::to_json`]).

/// An AMF0 or AMF3 value.
#[derive(Debug, Clone, PartialEq)]
pub enum AmfValue {
    /// An IEEE 754 double (AMF0 0x00, AMF3 0x05).
    Number(f64),
    /// A boolean (AMF0 0x01, AMF3 0x02 false and 0x03 true).
    Boolean(bool),
    /// A UTF-8 string (AMF0 0x02 and long string 0x0C, AMF3 0x06). The AMF0 encoder picks the
    /// long form by itself when the string is longer than 65535 bytes.
    String(String),
    /// An anonymous or typed object (AMF0 0x03 and typed object 0x10, AMF3 0x0A).
    Object(AmfObject),
    /// Null (AMF0 0x05, AMF3 0x01).
    Null,
    /// Undefined (AMF0 0x06, AMF3 0x00).
    Undefined,
    /// An AMF0 ECMA array (0x08): ordered string keys, as `onMetaData` uses. The count on the
    /// wire is only a hint and is recomputed on encoding.
    EcmaArray(Vec<(String, AmfValue)>),
    /// An AMF0 strict array (0x0A): values by index.
    StrictArray(Vec<AmfValue>),
    /// A date: milliseconds since the Unix epoch, UTC (AMF0 0x0B, AMF3 0x08). AMF0 also carries a
    /// timezone field the spec reserves (it should be 0); it is kept so bytes round-trip. AMF3
    /// dates have none and decode with 0; the AMF3 encoder drops it.
    Date {
        /// Milliseconds since 1970-01-01T00:00:00Z.
        millis: f64,
        /// The AMF0 timezone field, minutes (reserved, normally 0).
        timezone_minutes: i16,
    },
    /// An AMF0 XML document (0x0F) or AMF3 legacy `flash.xml.XMLDocument` (0x07), as text.
    XmlDocument(String),
    /// AMF0 unsupported (0x0D): a value the writer could not serialise.
    Unsupported,
    /// An AMF0 reference (0x07) to the n-th complex value (object, typed object, ECMA or strict
    /// array) of the same message, kept unresolved so it round-trips and so cycles survive; the
    /// decoder has checked that the index was already defined.
    Reference(u16),
    /// An AMF3 integer (0x04): 29-bit signed, -2^28..=2^28-1. Larger values are written as a
    /// double, as the spec requires, and so decode as [`AmfValue::Number`].
    Integer(i32),
    /// An AMF3 E4X `XML` value (0x0B), distinct from the legacy [`AmfValue::XmlDocument`].
    Xml(String),
    /// An AMF3 array (0x09): an associative part (string keys) and a dense part (by index).
    Array {
        /// The values at indices 0, 1, 2, ...
        dense: Vec<AmfValue>,
        /// The values under string keys, in wire order.
        associative: Vec<(String, AmfValue)>,
    },
    /// An AMF3 `flash.utils.ByteArray` (0x0C).
    ByteArray(Vec<u8>),
    /// An AMF3 `Vector.<int>` (0x0D).
    VectorInt {
        /// Whether the vector has a fixed length.
        fixed: bool,
        /// The items.
        items: Vec<i32>,
    },
    /// An AMF3 `Vector.<uint>` (0x0E).
    VectorUint {
        /// Whether the vector has a fixed length.
        fixed: bool,
        /// The items.
        items: Vec<u32>,
    },
    /// An AMF3 `Vector.<Number>` (0x0F).
    VectorDouble {
        /// Whether the vector has a fixed length.
        fixed: bool,
        /// The items.
        items: Vec<f64>,
    },
    /// An AMF3 vector of objects (0x10), `Vector.<T>` for a class T.
    VectorObject {
        /// Whether the vector has a fixed length.
        fixed: bool,
        /// The item class name; `"*"` is the untyped `Vector.<*>`.
        type_name: String,
        /// The items.
        items: Vec<AmfValue>,
    },
    /// An AMF3 `flash.utils.Dictionary` (0x11): keys of any type, in wire order.
    Dictionary {
        /// Whether the dictionary holds its keys weakly.
        weak_keys: bool,
        /// The key/value pairs.
        entries: Vec<(AmfValue, AmfValue)>,
    },
}

/// An object's class and properties.
///
/// AMF0 objects have only a class name (typed object 0x10) and properties. AMF3 objects are
/// described by traits: some leading properties are the class's sealed members, sent by position,
/// and a dynamic object may carry more, sent by name. `sealed_count` and `dynamic` keep that
/// description so an AMF3 object re-encodes to the same traits. Objects from AMF0 have
/// `sealed_count == 0` and `dynamic == true`, which is also what an AMF3 anonymous object looks
/// like, so the same logical object compares equal whichever format it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct AmfObject {
    /// The class name (AMF0 typed object, AMF3 traits), `None` for an anonymous object. AMF3
    /// writes anonymity as an empty class name, which decodes as `None`.
    pub class_name: Option<String>,
    /// The properties in wire order: the sealed members first, then the dynamic ones.
    pub properties: Vec<(String, AmfValue)>,
    /// AMF3: how many of the leading `properties` are sealed members of the class. Encoders clamp
    /// it to `properties.len()`.
    pub sealed_count: usize,
    /// AMF3: whether the class is dynamic (may carry properties beyond its sealed members). A
    /// non-dynamic object's properties past `sealed_count` are not written in AMF3.
    pub dynamic: bool,
}

impl Default for AmfObject {
    /// An empty anonymous object, the shape of AMF0 objects and of RTMP command objects.
    fn default() -> Self {
        AmfObject {
            class_name: None,
            properties: Vec::new(),
            sealed_count: 0,
            dynamic: true,
        }
    }
}

impl AmfObject {
    /// An anonymous object with these properties, as RTMP command objects are written.
    pub fn new(properties: Vec<(String, AmfValue)>) -> Self {
        AmfObject {
            properties,
            ..AmfObject::default()
        }
    }

    /// A typed object of class `class_name` whose properties are all dynamic (the AMF0 typed
    /// object model).
    pub fn typed(class_name: impl Into<String>, properties: Vec<(String, AmfValue)>) -> Self {
        AmfObject {
            class_name: Some(class_name.into()),
            properties,
            ..AmfObject::default()
        }
    }

    /// The first property named `key`.
    pub fn get(&self, key: &str) -> Option<&AmfValue> {
        find(&self.properties, key)
    }

    /// Whether this object can be written as an AMF0 object without losing its AMF3 traits.
    pub(crate) fn is_amf0_shape(&self) -> bool {
        self.sealed_count == 0 && self.dynamic
    }
}

fn find<'v>(pairs: &'v [(String, AmfValue)], key: &str) -> Option<&'v AmfValue> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

impl AmfValue {
    /// The first property named `key` of an object, ECMA array or AMF3 array's associative
    /// part; `None` for other values. Lets callers read `onMetaData["width"]` without caring
    /// which container the writer chose.
    pub fn get(&self, key: &str) -> Option<&AmfValue> {
        match self {
            AmfValue::Object(o) => o.get(key),
            AmfValue::EcmaArray(pairs)
            | AmfValue::Array {
                associative: pairs, ..
            } => find(pairs, key),
            _ => None,
        }
    }

    /// The value as a double, for [`AmfValue::Number`] and AMF3 [`AmfValue::Integer`], since a
    /// writer may send either for the same field.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            AmfValue::Number(n) => Some(n),
            AmfValue::Integer(i) => Some(f64::from(i)),
            _ => None,
        }
    }

    /// The text of an [`AmfValue::String`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AmfValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value of an [`AmfValue::Boolean`].
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            AmfValue::Boolean(b) => Some(b),
            _ => None,
        }
    }

    /// Whether the value exists only in AMF3, so the AMF0 encoder must write it behind the AVM+
    /// marker 0x11.
    pub(crate) fn is_amf3_only(&self) -> bool {
        match self {
            AmfValue::Object(o) => !o.is_amf0_shape(),
            AmfValue::Integer(_)
            | AmfValue::Xml(_)
            | AmfValue::Array { .. }
            | AmfValue::ByteArray(_)
            | AmfValue::VectorInt { .. }
            | AmfValue::VectorUint { .. }
            | AmfValue::VectorDouble { .. }
            | AmfValue::VectorObject { .. }
            | AmfValue::Dictionary { .. } => true,
            _ => false,
        }
    }
}

impl From<f64> for AmfValue {
    /// An AMF number, the type of every numeric `onMetaData` field and RTMP transaction id.
    fn from(n: f64) -> Self {
        AmfValue::Number(n)
    }
}

impl From<bool> for AmfValue {
    /// An AMF boolean.
    fn from(b: bool) -> Self {
        AmfValue::Boolean(b)
    }
}

impl From<&str> for AmfValue {
    /// An AMF string, so command names and metadata text read as literals.
    fn from(s: &str) -> Self {
        AmfValue::String(s.to_owned())
    }
}

impl From<String> for AmfValue {
    /// An AMF string.
    fn from(s: String) -> Self {
        AmfValue::String(s)
    }
}

impl From<AmfObject> for AmfValue {
    /// An AMF object.
    fn from(o: AmfObject) -> Self {
        AmfValue::Object(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> AmfValue {
        AmfValue::String(v.into())
    }

    #[test]
    fn get_looks_in_every_keyed_container() {
        let pairs = vec![("width".to_string(), AmfValue::Number(1280.0))];
        let obj = AmfValue::Object(AmfObject::new(pairs.clone()));
        let ecma = AmfValue::EcmaArray(pairs.clone());
        let arr = AmfValue::Array {
            dense: vec![],
            associative: pairs,
        };
        for v in [&obj, &ecma, &arr] {
            assert_eq!(v.get("width").and_then(AmfValue::as_f64), Some(1280.0));
            assert_eq!(v.get("height"), None);
        }
        assert_eq!(s("x").get("width"), None);
    }

    #[test]
    fn accessors() {
        assert_eq!(AmfValue::Integer(-3).as_f64(), Some(-3.0));
        assert_eq!(AmfValue::Number(2.5).as_f64(), Some(2.5));
        assert_eq!(s("a").as_f64(), None);
        assert_eq!(s("a").as_str(), Some("a"));
        assert_eq!(AmfValue::Xml("a".into()).as_str(), None);
        assert_eq!(AmfValue::Boolean(true).as_bool(), Some(true));
        assert_eq!(AmfValue::Null.as_bool(), None);
    }

    #[test]
    fn conversions() {
        assert_eq!(AmfValue::from(2.0), AmfValue::Number(2.0));
        assert_eq!(AmfValue::from(true), AmfValue::Boolean(true));
        assert_eq!(AmfValue::from("a"), s("a"));
        assert_eq!(AmfValue::from(String::from("a")), s("a"));
        let o = AmfObject::default();
        assert_eq!(AmfValue::from(o.clone()), AmfValue::Object(o));
    }

    #[test]
    fn object_shapes() {
        let o = AmfObject::typed("Foo", vec![("a".into(), AmfValue::Null)]);
        assert_eq!(o.class_name.as_deref(), Some("Foo"));
        assert!(o.is_amf0_shape());
        assert!(!AmfValue::Object(o).is_amf3_only());
        let sealed = AmfObject {
            sealed_count: 1,
            ..AmfObject::default()
        };
        assert!(AmfValue::Object(sealed).is_amf3_only());
        assert!(AmfValue::Integer(1).is_amf3_only());
        assert!(!AmfValue::Number(1.0).is_amf3_only());
    }
}
