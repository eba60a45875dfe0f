//! NAL unit framing shared by H.264 and HEVC: big-endian length prefixes (ISO/IEC 14496-15
//! §5.3.2, the MP4/FLV form) and start codes (ISO/IEC 14496-10 Annex B, the MPEG-TS form).

use bytes::BufMut;

use crate::codec::CodecError;

const WHAT_LP: &str = "length-prefixed nal units";

/// The 4-byte start code written before every NAL unit. ffmpeg writes the short form inside an
/// access unit; the long form is always valid and keeps one rule.
const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// Iterator over the NAL units of a length-prefixed payload; see [`nal_units_length_prefixed`].
#[derive(Debug, Clone)]
pub struct LengthPrefixedNalUnits<'a> {
    data: &'a [u8],
    pos: usize,
    length_size: u8,
    done: bool,
}

/// Splits a payload of NAL units each preceded by a `length_size`-byte big-endian length
/// (1, 2 or 4, the `lengthSizeMinusOne + 1` of the `avcC`/`hvcC`).
///
/// A length running past the end, or an invalid `length_size`, yields one error (with the
/// offset of the bad prefix) and ends the iteration. Zero-length units are yielded as empty
/// slices so a caller can count them; the converters skip them.
pub fn nal_units_length_prefixed(data: &[u8], length_size: u8) -> LengthPrefixedNalUnits<'_> {
    LengthPrefixedNalUnits {
        data,
        pos: 0,
        length_size,
        done: false,
    }
}

impl<'a> Iterator for LengthPrefixedNalUnits<'a> {
    type Item = Result<&'a [u8], CodecError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.data.len() {
            return None;
        }
        if !matches!(self.length_size, 1 | 2 | 4) {
            self.done = true;
            return Some(Err(CodecError::invalid(
                WHAT_LP,
                self.pos,
                format!("nal length size {} is not 1, 2 or 4", self.length_size),
            )));
        }
        let start = self.pos;
        let n = usize::from(self.length_size);
        let Some(prefix) = self.data.get(start..start + n) else {
            self.done = true;
            return Some(Err(CodecError::Truncated {
                what: WHAT_LP,
                offset: start,
            }));
        };
        let len = prefix
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        let body = start + n;
        match body
            .checked_add(len)
            .and_then(|end| self.data.get(body..end))
        {
            Some(nal) => {
                self.pos = body + len;
                Some(Ok(nal))
            }
            None => {
                self.done = true;
                Some(Err(CodecError::invalid(
                    WHAT_LP,
                    start,
                    format!(
                        "nal length {len} runs past the end ({} bytes left)",
                        self.data.len() - body
                    ),
                )))
            }
        }
    }
}

/// Iterator over the NAL units of an Annex B byte stream; see [`annexb_nal_units`].
#[derive(Debug, Clone)]
pub struct AnnexBNalUnits<'a> {
    data: &'a [u8],
    /// Where the next NAL unit's payload starts, once the first start code was found.
    next: Option<usize>,
}

/// Splits an Annex B byte stream on its `00 00 01` / `00 00 00 01` start codes.
///
/// Bytes before the first start code are not a NAL unit and are skipped (a stream without any
/// start code yields nothing). Trailing zero bytes of a unit belong to the next start code or
/// are `trailing_zero_8bits` (ISO/IEC 14496-10 §B.1) and are dropped; empty units are skipped.
pub fn annexb_nal_units(data: &[u8]) -> AnnexBNalUnits<'_> {
    AnnexBNalUnits {
        data,
        next: find_start_code(data, 0).map(|(_, end)| end),
    }
}

/// The next `00 00 01` at or after `from`: (index of its first zero, index after its `01`).
fn find_start_code(data: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut i = from.checked_add(2)?;
    while let Some(&b) = data.get(i) {
        if b == 0 {
            i += 1;
            continue;
        }
        // No start code can end at i, i+1 or i+2 unless data[i] is its `01` preceded by zeros.
        if b == 1 && data.get(i - 2..i) == Some(&[0, 0][..]) {
            return Some((i - 2, i + 1));
        }
        i += 3;
    }
    None
}

impl<'a> Iterator for AnnexBNalUnits<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let start = self.next?;
            let (end, next) = match find_start_code(self.data, start) {
                Some((code, after)) => (code, Some(after)),
                None => (self.data.len(), None),
            };
            self.next = next;
            let mut nal = self.data.get(start..end).unwrap_or_default();
            while let [rest @ .., 0] = nal {
                nal = rest;
            }
            if !nal.is_empty() {
                return Some(nal);
            }
        }
    }
}

/// Converts a length-prefixed payload to Annex B: each non-empty NAL unit is written behind a
/// 4-byte start code, in order, with nothing added or removed.
///
/// The whole payload is checked before anything is written, so an error leaves `out`
/// untouched. (Inserting AUDs and parameter sets is the TS muxer's business.)
pub fn write_annexb_from_length_prefixed(
    data: &[u8],
    length_size: u8,
    out: &mut impl BufMut,
) -> Result<(), CodecError> {
    for nal in nal_units_length_prefixed(data, length_size) {
        nal?;
    }
    for nal in nal_units_length_prefixed(data, length_size).flatten() {
        if !nal.is_empty() {
            out.put_slice(&START_CODE);
            out.put_slice(nal);
        }
    }
    Ok(())
}

/// Converts an Annex B byte stream to the canonical MP4/FLV form: each NAL unit behind a
/// 4-byte big-endian length, in order, with nothing added or removed.
///
/// A unit longer than a 4-byte length can state is an error, checked before anything is
/// written. (Dropping in-band parameter sets and AUDs is the caller's choice: filter
/// [`annexb_nal_units`] instead.)
pub fn write_length_prefixed_from_annexb(
    data: &[u8],
    out: &mut impl BufMut,
) -> Result<(), CodecError> {
    for nal in annexb_nal_units(data) {
        if u32::try_from(nal.len()).is_err() {
            let offset = nal.as_ptr() as usize - data.as_ptr() as usize;
            return Err(CodecError::TooLarge {
                what: "annex b nal unit",
                field: "length",
                offset,
                value: nal.len() as u64,
                limit: u32::MAX.into(),
            });
        }
    }
    for nal in annexb_nal_units(data) {
        // Checked above.
        out.put_u32(nal.len() as u32);
        out.put_slice(nal);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_length_prefixed() {
        let data = [0, 0, 0, 2, 0x65, 0xAA, 0, 0, 0, 0, 0, 0, 0, 1, 0x41];
        let nals: Vec<_> = nal_units_length_prefixed(&data, 4)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(nals, [&[0x65, 0xAA][..], &[], &[0x41]]);
        let data = [2, 0x65, 0xAA, 1, 0x41];
        assert_eq!(nal_units_length_prefixed(&data, 1).count(), 2);
        let data = [0, 1, 0x41];
        assert_eq!(
            nal_units_length_prefixed(&data, 2).next(),
            Some(Ok(&[0x41][..]))
        );
    }

    #[test]
    fn length_past_the_end_is_one_error() {
        let data = [0, 0, 0, 1, 0x41, 0, 0, 0, 9, 1, 2];
        let items: Vec<_> = nal_units_length_prefixed(&data, 4).collect();
        assert_eq!(items.len(), 2);
        let err = items[1].clone().unwrap_err();
        assert_eq!(
            err.to_string(),
            "length-prefixed nal units: nal length 9 runs past the end (2 bytes left) at byte 5"
        );
        // A prefix cut in half.
        let items: Vec<_> = nal_units_length_prefixed(&[0, 0], 4).collect();
        assert!(matches!(
            items[..],
            [Err(CodecError::Truncated { offset: 0, .. })]
        ));
        // Bad length sizes.
        for size in [0, 3, 5, 255] {
            let items: Vec<_> = nal_units_length_prefixed(&[0, 0, 0, 0, 0], size).collect();
            assert_eq!(items.len(), 1);
            assert!(items[0].is_err());
        }
        // 0xFFFFFFFF on a short buffer.
        let items: Vec<_> = nal_units_length_prefixed(&[0xFF; 8], 4).collect();
        assert!(matches!(items[..], [Err(_)]));
    }

    #[test]
    fn splits_annexb() {
        let data = [
            0xAB, 0, 0, 0, 1, 0x09, 0xF0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 0, 1, 0x65, 0, 0, 3, 1, 0,
            0, 1, 0, 0, 1, 0x41, 0, 0,
        ];
        let nals: Vec<_> = annexb_nal_units(&data).collect();
        assert_eq!(
            nals,
            [
                &[0x09, 0xF0][..],
                &[0x67, 0x42],
                &[0x65, 0, 0, 3, 1],
                &[0x41]
            ]
        );
        assert_eq!(annexb_nal_units(&[1, 2, 3]).count(), 0);
        assert_eq!(annexb_nal_units(&[]).count(), 0);
        assert_eq!(annexb_nal_units(&[0, 0, 1]).count(), 0);
        assert_eq!(annexb_nal_units(&[0, 0, 1, 0, 0, 0, 1]).count(), 0);
        assert_eq!(
            annexb_nal_units(&[0, 0, 0, 0, 1, 5]).collect::<Vec<_>>(),
            [&[5]]
        );
    }

    #[test]
    fn converts_both_ways() {
        let lp = [0, 0, 0, 2, 0x65, 0xAA, 0, 0, 0, 0, 0, 0, 0, 3, 0x41, 0, 7];
        let mut annexb = Vec::new();
        write_annexb_from_length_prefixed(&lp, 4, &mut annexb).unwrap();
        assert_eq!(annexb, [0, 0, 0, 1, 0x65, 0xAA, 0, 0, 0, 1, 0x41, 0, 7]);
        let mut back = Vec::new();
        write_length_prefixed_from_annexb(&annexb, &mut back).unwrap();
        assert_eq!(back, [0, 0, 0, 2, 0x65, 0xAA, 0, 0, 0, 3, 0x41, 0, 7]);
        // 2-byte prefixes in, 4-byte out.
        let mut annexb = Vec::new();
        write_annexb_from_length_prefixed(&[0, 1, 9, 0, 1, 8], 2, &mut annexb).unwrap();
        assert_eq!(annexb, [0, 0, 0, 1, 9, 0, 0, 0, 1, 8]);
    }

    #[test]
    fn bad_input_leaves_output_untouched() {
        let mut out = Vec::new();
        let bad = [0, 0, 0, 1, 0x41, 0, 0, 0, 5, 1];
        assert!(write_annexb_from_length_prefixed(&bad, 4, &mut out).is_err());
        assert!(out.is_empty());
    }

    #[test]
    fn every_prefix_of_a_payload_is_safe() {
        let lp = [0, 0, 0, 2, 0x65, 0xAA, 0, 0, 0, 3, 0x41, 0, 7];
        for n in 0..=lp.len() {
            let mut out = Vec::new();
            let _ = write_annexb_from_length_prefixed(&lp[..n], 4, &mut out);
            let _ = write_length_prefixed_from_annexb(&lp[..n], &mut out);
            let _ = annexb_nal_units(&lp[..n]).count();
        }
    }
}
