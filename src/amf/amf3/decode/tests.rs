//! AMF3 decoding tests: reference tables and hostile input.

use super::*;
use crate::amf::MAX_DEPTH;
use crate::amf::amf3::{MAX_LENGTH, decode_all};
use crate::amf::testutil::unhex;

fn read_one(data: &[u8]) -> Result<AmfValue, AmfError> {
    Amf3Decoder::new(data).read_value()
}

fn s(v: &str) -> AmfValue {
    AmfValue::String(v.into())
}

fn unknown(offset: usize, table: AmfTable, index: usize, defined: usize) -> AmfError {
    AmfError::UnknownReference {
        version: AmfVersion::Amf3,
        offset,
        table,
        index,
        defined,
    }
}

#[test]
fn decoders_can_move_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Amf3Decoder<'static>>();
    send_sync::<crate::amf::amf0::Amf0Decoder<'static>>();
    send_sync::<crate::amf::amf3::Amf3Encoder>();
}

#[test]
fn u29_edges() {
    assert_eq!(
        read_one(&unhex("04 ff ff ff ff")),
        Ok(AmfValue::Integer(-1))
    );
    assert_eq!(
        read_one(&unhex("04 bf ff ff ff")),
        Ok(AmfValue::Integer(INT_MAX))
    );
    assert_eq!(
        read_one(&unhex("04 c0 80 80 00")),
        Ok(AmfValue::Integer(-(1 << 28)))
    );
    // The fourth byte carries eight bits, so a 0x80 there does not continue.
    assert_eq!(
        read_one(&unhex("04 80 80 80 80")),
        Ok(AmfValue::Integer(0x80))
    );
    for n in 1..4 {
        assert!(read_one(&[0x04, 0xff, 0xff, 0xff][..=n]).is_err());
    }
}

#[test]
fn string_table() {
    let data = unhex("06 07 616263 06 01 06 00 06 00");
    assert_eq!(
        decode_all(&data),
        Ok(vec![s("abc"), s(""), s("abc"), s("abc")])
    );
    // The empty string is never added, so this reference has nothing to point at.
    assert_eq!(
        decode_all(&unhex("06 01 06 00")),
        Err(unknown(3, AmfTable::String, 0, 0))
    );
    let err = read_one(&unhex("06 0a")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "amf3: reference to string 5 at byte 1, but only 0 are defined"
    );
}

#[test]
fn object_table_holds_every_complex_type() {
    // A date, an array, a byte array; then references to objects 0, 1 and 2.
    let data = unhex("08 01 3ff0000000000000  09 03 01 01  0c 03 ff  08 00 08 02 08 04 0b 04");
    let date = AmfValue::Date {
        millis: 1.0,
        timezone_minutes: 0,
    };
    let array = AmfValue::Array {
        dense: vec![AmfValue::Null],
        associative: vec![],
    };
    let bytes = AmfValue::ByteArray(vec![0xff]);
    assert_eq!(
        decode_all(&data),
        Ok(vec![
            date.clone(),
            array.clone(),
            bytes.clone(),
            date,
            array,
            bytes.clone(),
            bytes
        ])
    );
    // A reference's marker does not have to match the referenced value's type.
    assert!(decode_all(&unhex("09 03 01 01 0a 00")).is_ok());
    assert_eq!(
        read_one(&unhex("09 02")),
        Err(unknown(1, AmfTable::Object, 1, 0))
    );
}

#[test]
fn traits_table() {
    // Object with traits reference 1 when none exist.
    assert_eq!(
        read_one(&unhex("0a 05")),
        Err(unknown(1, AmfTable::Traits, 1, 0))
    );
    // Anonymous dynamic object {a: 1}, then one reusing its traits (reference 0) {b: 2}.
    let data = unhex("0a 0b 01 03 61 04 01 01  0a 01 03 62 04 02 01");
    let obj = |k: &str, v| AmfValue::Object(AmfObject::new(vec![(k.into(), AmfValue::Integer(v))]));
    assert_eq!(decode_all(&data), Ok(vec![obj("a", 1), obj("b", 2)]));
}

#[test]
fn cycles_are_errors() {
    // An array whose only item is a reference to itself.
    let err = read_one(&unhex("09 03 01 09 00")).unwrap_err();
    assert_eq!(
        err,
        AmfError::CyclicReference {
            offset: 4,
            index: 0
        }
    );
    assert!(err.to_string().contains("cycle"));
}

#[test]
fn externalizable_is_rejected_by_name() {
    let mut data = unhex("0a 07 43");
    data.extend(b"flex.messaging.io.ArrayCollection");
    data.extend(unhex("09 01 01"));
    let err = read_one(&data).unwrap_err();
    assert_eq!(
        err.to_string(),
        "amf3: externalizable class \"flex.messaging.io.ArrayCollection\" at byte 0 cannot be decoded"
    );
}

#[test]
fn huge_lengths_fail_fast() {
    // 2^28 - 1 claimed, a few bytes present, for every length-prefixed type.
    for (marker, what) in [
        (MARKER_STRING, "string bytes"),
        (MARKER_XML, "string bytes"),
        (MARKER_XML_DOCUMENT, "string bytes"),
        (MARKER_BYTE_ARRAY, "byte array bytes"),
        (MARKER_VECTOR_INT, "vector items"),
        (MARKER_VECTOR_DOUBLE, "vector items"),
        (MARKER_VECTOR_OBJECT, "vector items"),
        (MARKER_DICTIONARY, "dictionary entries"),
        (MARKER_ARRAY, "array items"),
    ] {
        let data = [marker, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01, 0x01];
        match read_one(&data) {
            Err(AmfError::LengthExceedsData {
                claimed, what: w, ..
            }) => {
                assert_eq!(
                    (claimed, w),
                    (MAX_LENGTH as u64, what),
                    "marker {marker:#x}"
                );
            }
            other => panic!("marker {marker:#x}: {other:?}"),
        }
    }
    let sealed = unhex("0a fb ff ff f3 01");
    assert!(matches!(
        read_one(&sealed),
        Err(AmfError::LengthExceedsData { .. })
    ));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let nests: [&[u8]; 4] = [
        &[0x09, 0x03, 0x01],             // arrays
        &[0x0a, 0x0b, 0x01, 0x03, 0x61], // objects {a: ...}
        &[0x10, 0x03, 0x00, 0x01],       // Vector.<*>
        &[0x11, 0x03, 0x00, 0x01],       // dictionaries keyed by null
    ];
    for unit in nests {
        let data = unit.repeat(100_000);
        assert_eq!(
            read_one(&data),
            Err(AmfError::TooDeep {
                version: AmfVersion::Amf3,
                offset: unit.len() * MAX_DEPTH,
                limit: MAX_DEPTH
            }),
            "{unit:02x?}"
        );
    }
}

#[test]
fn reference_expansion_is_bounded() {
    // Value k is an array of two references to value k-1: 2^k nulls from 7 bytes each.
    let mut data = unhex("09 05 01 01 01");
    for k in 1..64u8 {
        data.extend([0x09, 0x05, 0x01, 0x09, (k - 1) << 1, 0x09, (k - 1) << 1]);
    }
    assert!(data.len() < 500);
    let mut decoder = Amf3Decoder::new(&data);
    let err = std::iter::from_fn(|| Some(decoder.read_value())).find_map(Result::err);
    assert!(
        matches!(
            err,
            Some(AmfError::BudgetExceeded {
                limit: MAX_DECODED_BYTES,
                ..
            })
        ),
        "{err:?}"
    );
    // Strings too: one 1000-byte string referenced many times.
    let mut data = vec![MARKER_ARRAY];
    crate::amf::amf3::encode::write_u29(&mut data, (10_001 << 1) | 1);
    data.extend(unhex("01 06 8f 51"));
    data.extend([b'x'; 1000]);
    data.extend([0x06, 0x00].repeat(10_000));
    let err = Amf3Decoder::with_budget(&data, 1 << 20)
        .read_value()
        .unwrap_err();
    assert!(matches!(err, AmfError::BudgetExceeded { .. }), "{err:?}");
}

#[test]
fn invalid_input() {
    assert_eq!(
        read_one(&unhex("06 05 61 ff")),
        Err(AmfError::InvalidUtf8 {
            version: AmfVersion::Amf3,
            offset: 3
        })
    );
    assert_eq!(
        read_one(&[0x12]),
        Err(AmfError::UnknownMarker {
            version: AmfVersion::Amf3,
            offset: 0,
            marker: 0x12
        })
    );
    assert_eq!(decode_all(&[]), Ok(vec![]));
    let mut d = Amf3Decoder::new(&[0x01, 0x00]);
    assert_eq!((d.read_value(), d.position()), (Ok(AmfValue::Null), 1));
    assert!(!d.is_empty());
}

#[test]
fn replayed_references_do_not_touch_the_tables() {
    // Object 0 {a: "xyz"} defines strings "a" (0), "xyz" (1) and traits 0.
    let obj = unhex("0a 0b 01 03 61 06 07 78797a 01");
    let expected = AmfValue::Object(AmfObject::new(vec![("a".into(), s("xyz"))]));
    // A reference to it, then string 1, then a date that must become object 1.
    let mut data = obj.clone();
    data.extend(unhex("0a 00 06 02 08 01 0000000000000000 08 02"));
    let date = AmfValue::Date {
        millis: 0.0,
        timezone_minutes: 0,
    };
    assert_eq!(
        decode_all(&data),
        Ok(vec![
            expected.clone(),
            expected.clone(),
            s("xyz"),
            date.clone(),
            date
        ])
    );
    // Replaying did not add "a" and "xyz" again: string 2 is still undefined.
    let mut data = obj.clone();
    data.extend(unhex("0a 00 06 04"));
    assert_eq!(decode_all(&data), Err(unknown(14, AmfTable::String, 2, 2)));
    // Nor the traits: traits 1 is undefined.
    let mut data = obj;
    data.extend(unhex("0a 00 0a 05"));
    assert_eq!(decode_all(&data), Err(unknown(14, AmfTable::Traits, 1, 1)));
}

#[test]
fn references_cannot_build_trees_deeper_than_the_limit() {
    // Value k is an array holding a reference to value k-1: each is one level deeper.
    let mut data = unhex("09 01 01");
    for k in 1..100u8 {
        data.extend([0x09, 0x03, 0x01, 0x09, (k - 1) << 1]);
    }
    let mut decoder = Amf3Decoder::new(&data);
    let mut ok = 0;
    let err = loop {
        match decoder.read_value() {
            Ok(_) => ok += 1,
            Err(e) => break e,
        }
    };
    // Values 0..=63 reach depths 1..=64; value 64 would reach 65. The error names the
    // reference inside value 64.
    assert_eq!(ok, MAX_DEPTH);
    assert_eq!(
        err,
        AmfError::TooDeep {
            version: AmfVersion::Amf3,
            offset: 3 + 5 * 63 + 4,
            limit: MAX_DEPTH
        }
    );
}
