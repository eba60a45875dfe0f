//! Shared test helpers.

/// Bytes from a hex string (test fixtures are embedded as hex, never as binary files).
pub(crate) fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
