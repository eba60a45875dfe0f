//! Helpers shared by the AMF unit tests.

use super::{AmfError, AmfValue};

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
