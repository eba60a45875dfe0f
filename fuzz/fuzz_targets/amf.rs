//! Decodes arbitrary bytes as AMF0 and AMF3; whatever decodes must re-encode and decode equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use muxkit::amf::{amf0, amf3};

fuzz_target!(|data: &[u8]| {
    if let Ok(values) = amf0::decode_all(data) {
        let mut out = Vec::new();
        amf0::encode_all(&values, &mut out);
        let again = amf0::decode_all(&out).expect("re-encoded AMF0 decodes");
        // NaN payloads are the one thing equality cannot compare.
        if format!("{values:?}").contains("NaN") {
            return;
        }
        assert_eq!(values, again);
    }
    if let Ok(values) = amf3::decode_all(data) {
        let mut enc = amf3::Amf3Encoder::new();
        let mut out = Vec::new();
        for v in &values {
            enc.write_value(v, &mut out);
        }
        let again = amf3::decode_all(&out).expect("re-encoded AMF3 decodes");
        if format!("{values:?}").contains("NaN") {
            return;
        }
        assert_eq!(values, again);
    }
});
