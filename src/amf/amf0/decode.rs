//! AMF0 decoding.

use crate::amf::amf3;
use crate::amf::input::{Input, KEY_COST, NODE_COST};
use crate::amf::{AmfError, AmfObject, AmfTable, AmfValue, AmfVersion, MAX_DECODED_BYTES};

use super::{
    MARKER_AVM_PLUS, MARKER_BOOLEAN, MARKER_DATE, MARKER_ECMA_ARRAY, MARKER_LONG_STRING,
    MARKER_MOVIECLIP, MARKER_NULL, MARKER_NUMBER, MARKER_OBJECT, MARKER_OBJECT_END,
    MARKER_RECORDSET, MARKER_REFERENCE, MARKER_STRICT_ARRAY, MARKER_STRING, MARKER_TYPED_OBJECT,
    MARKER_UNDEFINED, MARKER_UNSUPPORTED, MARKER_XML_DOCUMENT,
};

/// The fewest bytes an object property can take: a 2-byte name length and a 1-byte marker.
const MIN_PROPERTY_BYTES: usize = 3;

/// Reads AMF0 values one after another from a buffer.
///
/// One decoder is one reference scope: AMF0 references (0x07) count the complex values read so
/// far by this decoder, and the AMF3 values behind AVM+ markers share one set of AMF3 tables, as
/// Flash Player and BlazeDS share them across one message. Use one decoder per FLV script tag or
/// RTMP message. After an error the decoder's position is unspecified; discard it.
#[derive(Debug)]
pub struct Amf0Decoder<'a> {
    input: Input<'a>,
    amf3: amf3::Tables<'a>,
    /// How many complex values (objects, typed objects, ECMA and strict arrays) have begun, the
    /// size of the table an AMF0 reference indexes.
    complex: usize,
}

impl<'a> Amf0Decoder<'a> {
    /// A decoder over `data` with the default budget, [`MAX_DECODED_BYTES`].
    pub fn new(data: &'a [u8]) -> Self {
        Self::with_budget(data, MAX_DECODED_BYTES)
    }

    /// A decoder over `data` that may fill at most `budget` bytes (estimated) with decoded values,
    /// for callers that must read trusted payloads larger than the default allows.
    pub fn with_budget(data: &'a [u8], budget: usize) -> Self {
        Amf0Decoder {
            input: Input::new(data, AmfVersion::Amf0, budget),
            amf3: amf3::Tables::default(),
            complex: 0,
        }
    }

    /// Decodes the next value.
    pub fn read_value(&mut self) -> Result<AmfValue, AmfError> {
        self.value(0)
    }

    /// The offset of the next unread byte, for callers that read a value and then raw bytes.
    pub fn position(&self) -> usize {
        self.input.pos()
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.input.remaining() == 0
    }

    fn value(&mut self, depth: usize) -> Result<AmfValue, AmfError> {
        let at = self.input.pos();
        let marker = self.input.u8()?;
        self.input.charge(at, NODE_COST)?;
        Ok(match marker {
            MARKER_NUMBER => AmfValue::Number(self.input.f64()?),
            MARKER_BOOLEAN => AmfValue::Boolean(self.input.u8()? != 0),
            MARKER_STRING => {
                let len = self.input.u16()?;
                AmfValue::String(self.text(at + 1, u64::from(len))?)
            }
            MARKER_LONG_STRING => {
                let len = self.input.u32()?;
                AmfValue::String(self.text(at + 1, u64::from(len))?)
            }
            MARKER_XML_DOCUMENT => {
                let len = self.input.u32()?;
                AmfValue::XmlDocument(self.text(at + 1, u64::from(len))?)
            }
            MARKER_OBJECT => {
                let depth = self.begin_complex(at, depth)?;
                AmfValue::Object(AmfObject::new(self.properties(0, depth)?))
            }
            MARKER_TYPED_OBJECT => {
                let depth = self.begin_complex(at, depth)?;
                let len = self.input.u16()?;
                let class_name = self.text(at + 1, u64::from(len))?;
                AmfValue::Object(AmfObject::typed(class_name, self.properties(0, depth)?))
            }
            MARKER_ECMA_ARRAY => {
                let depth = self.begin_complex(at, depth)?;
                let hint = self.input.u32()?;
                AmfValue::EcmaArray(self.properties(u64::from(hint), depth)?)
            }
            MARKER_STRICT_ARRAY => {
                let depth = self.begin_complex(at, depth)?;
                let count = self.input.u32()?;
                let what = "strict array items";
                let cap = self
                    .input
                    .check_count(at + 1, what, u64::from(count), 1, NODE_COST)?;
                let mut items = Vec::with_capacity(cap);
                for _ in 0..count {
                    items.push(self.value(depth)?);
                }
                AmfValue::StrictArray(items)
            }
            MARKER_DATE => {
                let millis = self.input.f64()?;
                AmfValue::Date {
                    millis,
                    timezone_minutes: self.input.i16()?,
                }
            }
            MARKER_NULL => AmfValue::Null,
            MARKER_UNDEFINED => AmfValue::Undefined,
            MARKER_UNSUPPORTED => AmfValue::Unsupported,
            MARKER_REFERENCE => {
                let index = self.input.u16()?;
                if usize::from(index) >= self.complex {
                    return Err(AmfError::UnknownReference {
                        version: AmfVersion::Amf0,
                        offset: at,
                        table: AmfTable::Amf0Object,
                        index: usize::from(index),
                        defined: self.complex,
                    });
                }
                AmfValue::Reference(index)
            }
            MARKER_AVM_PLUS => {
                self.input.version = AmfVersion::Amf3;
                let value = amf3::read_value(&mut self.input, &mut self.amf3, depth);
                self.input.version = AmfVersion::Amf0;
                value?
            }
            MARKER_OBJECT_END => return Err(AmfError::UnexpectedObjectEnd { offset: at }),
            MARKER_MOVIECLIP | MARKER_RECORDSET => {
                return Err(AmfError::ReservedMarker {
                    version: AmfVersion::Amf0,
                    offset: at,
                    marker,
                });
            }
            _ => {
                return Err(AmfError::UnknownMarker {
                    version: AmfVersion::Amf0,
                    offset: at,
                    marker,
                });
            }
        })
    }

    /// Text of `len` bytes whose length field starts at `at`, charged to the budget.
    fn text(&mut self, at: usize, len: u64) -> Result<String, AmfError> {
        let s = self.input.utf8(at, len)?;
        self.input.charge(at, s.len())?;
        Ok(s.to_owned())
    }

    /// Enters a complex value at `at`: checks the depth and gives it the next reference index.
    fn begin_complex(&mut self, at: usize, depth: usize) -> Result<usize, AmfError> {
        let depth = self.input.enter(at, depth)?;
        self.complex += 1;
        Ok(depth)
    }

    /// Name/value pairs up to an empty name and the object-end marker (section 2.5). `hint` is
    /// the ECMA array count, used only to size the first allocation.
    fn properties(&mut self, hint: u64, depth: usize) -> Result<Vec<(String, AmfValue)>, AmfError> {
        let cap = self
            .input
            .reservable(hint, MIN_PROPERTY_BYTES, KEY_COST + NODE_COST);
        let mut properties = Vec::with_capacity(cap);
        loop {
            let at = self.input.pos();
            let len = self.input.u16()?;
            if len == 0 {
                let end_at = self.input.pos();
                return match self.input.u8()? {
                    MARKER_OBJECT_END => Ok(properties),
                    found => Err(AmfError::MissingObjectEnd {
                        offset: end_at,
                        found,
                    }),
                };
            }
            let name = self.text(at, u64::from(len))?;
            self.input.charge(at, KEY_COST)?;
            properties.push((name, self.value(depth)?));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amf::MAX_DEPTH;
    use crate::amf::amf0::decode_all;
    use crate::amf::testutil::unhex;

    fn read_one(data: &[u8]) -> Result<AmfValue, AmfError> {
        Amf0Decoder::new(data).read_value()
    }

    fn s(v: &str) -> AmfValue {
        AmfValue::String(v.into())
    }

    #[test]
    fn scalars() {
        assert_eq!(
            read_one(&unhex("00 3ff0000000000000")),
            Ok(AmfValue::Number(1.0))
        );
        assert_eq!(read_one(&unhex("01 07")), Ok(AmfValue::Boolean(true)));
        assert_eq!(read_one(&unhex("0c 00000002 6869")), Ok(s("hi")));
        let date = unhex("0b 4000000000000000 fffe");
        assert_eq!(
            read_one(&date),
            Ok(AmfValue::Date {
                millis: 2.0,
                timezone_minutes: -2
            })
        );
        let mut d = Amf0Decoder::new(&[0x05, 0x06]);
        assert_eq!(d.read_value(), Ok(AmfValue::Null));
        assert_eq!((d.position(), d.is_empty()), (1, false));
        assert_eq!(d.read_value(), Ok(AmfValue::Undefined));
        assert!(d.is_empty());
        assert_eq!(decode_all(&[]), Ok(vec![]));
    }

    #[test]
    fn reserved_and_unknown_markers() {
        for marker in [0x04, 0x0e] {
            assert_eq!(
                decode_all(&[0x05, 0x05, marker]),
                Err(AmfError::ReservedMarker {
                    version: AmfVersion::Amf0,
                    offset: 2,
                    marker
                })
            );
        }
        assert_eq!(
            decode_all(&[0x12]).unwrap_err().to_string(),
            "amf0: unknown marker 0x12 at byte 0"
        );
        assert_eq!(
            decode_all(&[0x05, 0x09]),
            Err(AmfError::UnexpectedObjectEnd { offset: 1 })
        );
    }

    #[test]
    fn ecma_array_count_is_only_a_hint() {
        // Count 0 (some writers) and count 2^32-1 for one property both decode.
        for count in ["00000000", "ffffffff"] {
            let data = unhex(&format!("08 {count} 0001 61 05 000009"));
            assert_eq!(
                read_one(&data),
                Ok(AmfValue::EcmaArray(vec![("a".into(), AmfValue::Null)]))
            );
        }
        // The end marker is still required.
        let no_end = unhex("08 00000001 0001 61 05 0000 05");
        assert_eq!(
            read_one(&no_end),
            Err(AmfError::MissingObjectEnd {
                offset: 11,
                found: 5
            })
        );
        assert!(read_one(&unhex("08 00000001 0001 61 05")).is_err());
    }

    #[test]
    fn huge_strict_array_count_fails_fast() {
        let err = read_one(&unhex("0a ffffffff")).unwrap_err();
        assert_eq!(
            err,
            AmfError::LengthExceedsData {
                version: AmfVersion::Amf0,
                offset: 1,
                what: "strict array items",
                claimed: u64::from(u32::MAX),
                remaining: 0,
            }
        );
        assert_eq!(
            err.to_string(),
            "amf0: strict array items at byte 1 claims 4294967295 but only 0 bytes remain"
        );
        // Likewise for string lengths.
        assert!(matches!(
            read_one(&unhex("0c ffffffff 61")),
            Err(AmfError::LengthExceedsData {
                claimed: 4_294_967_295,
                remaining: 1,
                ..
            })
        ));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let data = [0x0a, 0, 0, 0, 1].repeat(100_000);
        assert_eq!(
            read_one(&data),
            Err(AmfError::TooDeep {
                version: AmfVersion::Amf0,
                offset: 5 * MAX_DEPTH,
                limit: MAX_DEPTH
            })
        );
        let objects = [0x03, 0, 1, b'a'].repeat(100_000);
        assert!(matches!(read_one(&objects), Err(AmfError::TooDeep { .. })));
        // Through AVM+ the depth keeps counting: AMF3 arrays inside AMF0 arrays.
        let mut mixed = [0x0a, 0, 0, 0, 1].repeat(40);
        mixed.push(0x11);
        mixed.extend([0x09, 0x03, 0x01].repeat(100_000));
        assert_eq!(
            read_one(&mixed),
            Err(AmfError::TooDeep {
                version: AmfVersion::Amf3,
                offset: 201 + 3 * (MAX_DEPTH - 40),
                limit: MAX_DEPTH
            })
        );
        // Exactly MAX_DEPTH levels are fine.
        let mut ok = [0x0a, 0, 0, 0, 1].repeat(MAX_DEPTH - 1);
        ok.extend([0x0a, 0, 0, 0, 0]);
        assert!(read_one(&ok).is_ok());
    }

    #[test]
    fn references_must_point_backwards() {
        assert_eq!(
            read_one(&unhex("07 0000")).unwrap_err().to_string(),
            "amf0: reference to complex value 0 at byte 0, but only 0 are defined"
        );
        // Inside an object the object itself is index 0 (a cycle, kept as an index).
        let data = unhex("03 0001 61 070000 000009");
        let expected = AmfObject::new(vec![("a".into(), AmfValue::Reference(0))]);
        assert_eq!(read_one(&data), Ok(AmfValue::Object(expected)));
        let too_far = unhex("03 0001 61 070001 000009");
        assert!(matches!(
            read_one(&too_far),
            Err(AmfError::UnknownReference { index: 1, .. })
        ));
        // The count spans the values of one decoder.
        assert!(decode_all(&unhex("0a00000000 070000")).is_ok());
    }

    #[test]
    fn invalid_utf8_is_an_error_with_its_offset() {
        assert_eq!(
            read_one(&unhex("02 0002 c328")),
            Err(AmfError::InvalidUtf8 {
                version: AmfVersion::Amf0,
                offset: 3
            })
        );
        assert_eq!(
            read_one(&unhex("03 0002 61ff 05 000009")),
            Err(AmfError::InvalidUtf8 {
                version: AmfVersion::Amf0,
                offset: 4
            })
        );
    }

    #[test]
    fn budget_bounds_decoded_size() {
        let mut data = unhex("0a 000003e8");
        data.extend([0x05; 1000]);
        assert!(Amf0Decoder::new(&data).read_value().is_ok());
        let err = Amf0Decoder::with_budget(&data, 10_000)
            .read_value()
            .unwrap_err();
        assert!(
            matches!(err, AmfError::BudgetExceeded { limit: 10_000, .. }),
            "{err}"
        );
    }

    #[test]
    fn avm_plus_values_share_amf3_tables() {
        // "abc" inline, then a reference to AMF3 string 0 in a later AVM+ value.
        let data = unhex("11 06 07 616263 05 11 06 00");
        assert_eq!(
            decode_all(&data),
            Ok(vec![s("abc"), AmfValue::Null, s("abc")])
        );
        let bad = unhex("11 06 02");
        assert_eq!(
            decode_all(&bad).unwrap_err().to_string(),
            "amf3: reference to string 1 at byte 2, but only 0 are defined"
        );
        // After an AVM+ value errors resume naming AMF0.
        assert_eq!(
            decode_all(&unhex("11 01 04")).unwrap_err().to_string(),
            "amf0: reserved marker 0x04 at byte 2"
        );
    }
}
