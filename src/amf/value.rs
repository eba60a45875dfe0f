//! The one AMF value type (skeleton).

/// An AMF0 or AMF3 value.
#[derive(Debug, Clone, PartialEq)]
pub enum AmfValue {
    /// A double.
    Number(f64),
    /// A boolean.
    Boolean(bool),
    /// A UTF-8 string.
    String(String),
    /// An ECMA array: ordered string keys.
    EcmaArray(Vec<(String, AmfValue)>),
    /// A strict array.
    StrictArray(Vec<AmfValue>),
    /// Null.
    Null,
}
