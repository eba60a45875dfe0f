//! The one AMF value type (skeleton; replaced by the AMF module).

/// An AMF object.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AmfObject {
    /// Class name.
    pub class_name: Option<String>,
    /// Properties.
    pub properties: Vec<(String, AmfValue)>,
}

/// An AMF0 or AMF3 value.
#[derive(Debug, Clone, PartialEq)]
pub enum AmfValue {
    /// A double.
    Number(f64),
    /// A boolean.
    Boolean(bool),
    /// A UTF-8 string.
    String(String),
    /// An object.
    Object(AmfObject),
    /// An ECMA array: ordered string keys.
    EcmaArray(Vec<(String, AmfValue)>),
    /// A strict array.
    StrictArray(Vec<AmfValue>),
    /// Null.
    Null,
}

impl AmfValue {
    /// Property lookup.
    pub fn get(&self, key: &str) -> Option<&AmfValue> {
        match self {
            AmfValue::EcmaArray(p) | AmfValue::Object(AmfObject { properties: p, .. }) => {
                p.iter().find(|(k, _)| k == key).map(|(_, v)| v)
            }
            _ => None,
        }
    }
    /// Number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            AmfValue::Number(n) => Some(*n),
            _ => None,
        }
    }
    /// String.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AmfValue::String(s) => Some(s),
            _ => None,
        }
    }
    /// JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}
