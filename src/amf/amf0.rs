//! AMF0 (skeleton).
use super::{AmfError, AmfValue};
use bytes::BufMut;

/// Decodes every value in `data`.
pub fn decode_all(data: &[u8]) -> Result<Vec<AmfValue>, AmfError> {
    Err(AmfError::Truncated { offset: data.len() })
}

/// Encodes one value.
pub fn encode(_value: &AmfValue, _out: &mut impl BufMut) {}
