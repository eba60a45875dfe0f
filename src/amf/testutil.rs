//! Helpers shared by the AMF unit tests.

use super::{AmfError, AmfValue};
use crate::test_rng::XorShift;

/// Bytes from hex digits, ignoring whitespace.
pub(crate) fn unhex(hex: &str) -> Vec<u8> {
    let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

/// Asserts that `read` decodes `data` to `expected`, and that every strict prefix of `data` is an
/// error rather than a panic or a different value.
pub(crate) fn assert_decodes_and_prefixes_fail(
    data: &[u8],
    expected: &AmfValue,
    read: impl Fn(&[u8]) -> Result<AmfValue, AmfError>,
) {
    assert_eq!(read(data).as_ref(), Ok(expected), "decoding {data:02x?}");
    for n in 0..data.len() {
        assert!(
            read(&data[..n]).is_err(),
            "prefix of {n} bytes of {data:02x?} decoded"
        );
    }
}

/// Feeds `decode` random buffers biased towards small bytes (markers, short lengths) and every
/// single-byte mutation of `seed`. It must return, never panic; errors are expected.
pub(crate) fn assert_never_panics(
    seed: &[u8],
    decode: impl Fn(&[u8]) -> Result<Vec<AmfValue>, AmfError>,
) {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let len = usize::from(rng.next_u8() % 48);
        let data: Vec<u8> = (0..len)
            .map(|_| match rng.next_u8() % 4 {
                0 => rng.next_u8(),
                _ => rng.next_u8() % 0x14,
            })
            .collect();
        let _ = decode(&data);
    }
    for i in 0..seed.len() {
        for b in [0x00, 0x01, 0x07, 0x09, 0x11, 0x7f, 0x80, 0xff] {
            let mut data = seed.to_vec();
            data[i] = b;
            let _ = decode(&data);
        }
    }
}
