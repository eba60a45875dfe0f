//! ID3v2 text: the encoding byte, terminated strings, null-separated values
//! (id3v2.4.0-structure §4).

/// A text encoding byte. Codes 1 and 2 are UTF-16 (2 with no BOM, big-endian; v2.4 only) and 3
/// is UTF-8 (v2.4 only); v2.2 and v2.3 readers in the wild accept them too, and so does this one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TextEncoding {
    /// `00`: ISO-8859-1 (Latin-1), one byte per character, `00` terminated.
    Latin1,
    /// `01`: UTF-16 with a byte order mark, `00 00` terminated.
    Utf16Bom,
    /// `02`: UTF-16 big-endian without a BOM.
    Utf16Be,
    /// `03`: UTF-8.
    Utf8,
}

impl TextEncoding {
    /// The encoding for a wire code.
    pub fn from_code(code: u8) -> Option<TextEncoding> {
        Some(match code {
            0 => TextEncoding::Latin1,
            1 => TextEncoding::Utf16Bom,
            2 => TextEncoding::Utf16Be,
            3 => TextEncoding::Utf8,
            _ => return None,
        })
    }

    /// The wire code.
    pub fn code(self) -> u8 {
        match self {
            TextEncoding::Latin1 => 0,
            TextEncoding::Utf16Bom => 1,
            TextEncoding::Utf16Be => 2,
            TextEncoding::Utf8 => 3,
        }
    }

    fn is_utf16(self) -> bool {
        matches!(self, TextEncoding::Utf16Bom | TextEncoding::Utf16Be)
    }

    /// The terminator's length.
    fn unit(self) -> usize {
        if self.is_utf16() { 2 } else { 1 }
    }
}

/// Splits off one terminated string: (its bytes without the terminator, the rest). A string
/// with no terminator runs to the end (the last field of a frame may omit it).
pub(crate) fn split_terminated(enc: TextEncoding, data: &[u8]) -> (&[u8], &[u8]) {
    let unit = enc.unit();
    let mut i = 0;
    while i + unit <= data.len() {
        if data[i..i + unit].iter().all(|&b| b == 0) {
            return (&data[..i], &data[i + unit..]);
        }
        i += unit;
    }
    (data, &[])
}

/// Decodes one string (no terminator inside); `Err` says why, with the byte offset in `data`.
pub(crate) fn decode(enc: TextEncoding, data: &[u8]) -> Result<String, String> {
    match enc {
        TextEncoding::Latin1 => Ok(data.iter().map(|&b| char::from(b)).collect()),
        TextEncoding::Utf8 => match std::str::from_utf8(data) {
            Ok(s) => Ok(s.to_owned()),
            Err(e) => Err(format!("invalid utf-8 at byte {}", e.valid_up_to())),
        },
        TextEncoding::Utf16Bom | TextEncoding::Utf16Be => {
            if data.len() % 2 != 0 {
                return Err(format!("utf-16 text of odd length {}", data.len()));
            }
            let (big_endian, body) = match data {
                [0xFE, 0xFF, rest @ ..] => (true, rest),
                [0xFF, 0xFE, rest @ ..] => (false, rest),
                // No BOM: v2.4's code 2 is big-endian; for code 1 writers that forget the BOM
                // are Windows ones, little-endian.
                _ => (enc == TextEncoding::Utf16Be, data),
            };
            let units: Vec<u16> = body
                .chunks_exact(2)
                .map(|c| {
                    if big_endian {
                        u16::from_be_bytes([c[0], c[1]])
                    } else {
                        u16::from_le_bytes([c[0], c[1]])
                    }
                })
                .collect();
            let bom = data.len() - body.len();
            let mut out = String::with_capacity(units.len());
            for (k, r) in char::decode_utf16(units.iter().copied()).enumerate() {
                match r {
                    Ok(c) => out.push(c),
                    Err(_) => {
                        // decode_utf16 yields one item per unit or pair; find the unit's place.
                        let at = bom + 2 * position_of_item(&units, k);
                        return Err(format!("lone utf-16 surrogate at byte {at}"));
                    }
                }
            }
            Ok(out)
        }
    }
}

/// The unit index where the `k`-th item of `decode_utf16` starts.
fn position_of_item(units: &[u16], k: usize) -> usize {
    let mut i = 0;
    for _ in 0..k {
        let high = (0xD800..0xDC00).contains(&units[i]);
        let next_low = units
            .get(i + 1)
            .is_some_and(|u| (0xDC00..0xE000).contains(u));
        i += if high && next_low { 2 } else { 1 };
    }
    i
}

/// Decodes a text field that may hold several values separated by terminators (v2.4 text
/// frames); trailing terminators are dropped.
pub(crate) fn decode_values(enc: TextEncoding, mut data: &[u8]) -> Result<Vec<String>, String> {
    let mut values = Vec::new();
    while !data.is_empty() {
        let (value, rest) = split_terminated(enc, data);
        values.push(decode(enc, value)?);
        data = rest;
    }
    while values.len() > 1 && values.last().is_some_and(String::is_empty) {
        values.pop();
    }
    Ok(values)
}

/// Appends `s` in `enc` (UTF-16 with a little-endian BOM for code 1), without terminator.
pub(crate) fn encode(enc: TextEncoding, s: &str, out: &mut Vec<u8>) {
    match enc {
        // Characters outside Latin-1 cannot be written in it: '?' as ffmpeg does.
        TextEncoding::Latin1 => out.extend(s.chars().map(|c| u8::try_from(c).unwrap_or(b'?'))),
        TextEncoding::Utf8 => out.extend_from_slice(s.as_bytes()),
        TextEncoding::Utf16Bom => {
            out.extend_from_slice(&[0xFF, 0xFE]);
            for u in s.encode_utf16() {
                out.extend_from_slice(&u.to_le_bytes());
            }
        }
        TextEncoding::Utf16Be => {
            for u in s.encode_utf16() {
                out.extend_from_slice(&u.to_be_bytes());
            }
        }
    }
}

/// Appends the terminator of `enc`.
pub(crate) fn terminate(enc: TextEncoding, out: &mut Vec<u8>) {
    out.extend(std::iter::repeat_n(0, enc.unit()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_decodes() {
        assert_eq!(decode(TextEncoding::Latin1, b"caf\xe9").unwrap(), "café");
        assert_eq!(
            decode(TextEncoding::Utf8, "café".as_bytes()).unwrap(),
            "café"
        );
        let le = [0xFF, 0xFE, b'h', 0, b'i', 0];
        assert_eq!(decode(TextEncoding::Utf16Bom, &le).unwrap(), "hi");
        let be = [0xFE, 0xFF, 0, b'h', 0, b'i'];
        assert_eq!(decode(TextEncoding::Utf16Bom, &be).unwrap(), "hi");
        assert_eq!(
            decode(TextEncoding::Utf16Be, &[0, b'h', 0xD8, 0x3D, 0xDE, 0x00]).unwrap(),
            "h😀"
        );
    }

    #[test]
    fn bad_utf16_is_an_error_with_its_place() {
        assert_eq!(
            decode(TextEncoding::Utf16Bom, &[0xFF, 0xFE, b'a']).unwrap_err(),
            "utf-16 text of odd length 3"
        );
        // 'a', then a high surrogate followed by 'b': lone.
        let lone = [0xFF, 0xFE, b'a', 0, 0x3D, 0xD8, b'b', 0];
        assert_eq!(
            decode(TextEncoding::Utf16Bom, &lone).unwrap_err(),
            "lone utf-16 surrogate at byte 4"
        );
        assert!(decode(TextEncoding::Utf8, &[0xC3]).is_err());
    }

    #[test]
    fn values_and_terminators() {
        assert_eq!(
            decode_values(TextEncoding::Latin1, b"a\0b\0").unwrap(),
            ["a", "b"]
        );
        assert_eq!(
            decode_values(TextEncoding::Latin1, b"").unwrap(),
            Vec::<String>::new()
        );
        let utf16 = [0xFF, 0xFE, b'x', 0, 0, 0, 0xFF, 0xFE, b'y', 0];
        assert_eq!(
            decode_values(TextEncoding::Utf16Bom, &utf16).unwrap(),
            ["x", "y"]
        );
        // A UTF-16 terminator is two zero bytes on a unit boundary, not `x\0 \0y`.
        let (a, rest) = split_terminated(TextEncoding::Utf16Be, &[0, b'x', 0, 0, 0, b'y']);
        assert_eq!((a, rest), (&[0, b'x'][..], &[0, b'y'][..]));
        for enc in [
            TextEncoding::Latin1,
            TextEncoding::Utf8,
            TextEncoding::Utf16Bom,
            TextEncoding::Utf16Be,
        ] {
            let mut v = Vec::new();
            encode(enc, "abc", &mut v);
            assert_eq!(decode(enc, &v).unwrap(), "abc");
        }
    }
}
