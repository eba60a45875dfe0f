//! NAL unit framing shared by H.264 and HEVC: big-endian length prefixes (ISO/IEC 14496-15
//! §5.3.2, the MP4/FLV form) and start codes (ISO/IEC 14496-10 Annex B, the MPEG-TS form).

use bytes::{BufMut, BytesMut};
use memchr::memmem;
use std::sync::LazyLock;

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
///
/// `memmem` looks for the whole 3-byte code with a vectorised prefilter on two of its bytes,
/// so coded slice data (where `00` and `01` are common on their own) is crossed in one call.
/// The searcher is built once: `memmem::find` builds one per call, which showed in the TS
/// demuxer's profile at a few calls per access unit.
fn find_start_code(data: &[u8], from: usize) -> Option<(usize, usize)> {
    static START_CODE: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(&[0, 0, 1]));
    let at = from + START_CODE.find(data.get(from..)?)?;
    Some((at, at + 3))
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

/// Converts the Annex B access unit in `buf[from..]` to 4-byte length-prefixed NAL units (the
/// canonical MP4/FLV form), keeping the units `keep` accepts, in order. `keep` sees each unit
/// once, before it is moved, so it may copy out the ones it drops (parameter sets).
///
/// This is the TS demuxer's hot path, so it works in place: a 4-byte start code becomes the
/// unit's length where it stands, and dropped units (AUDs, parameter sets) leave room that later
/// units move into. The bytes before `from` (a PES header) are scratch space the output may
/// grow into. Only where a 3-byte start code follows a kept unit with no room to spare does it
/// copy: the output written so far moves back if that is cheap, otherwise the rest goes into
/// a new buffer. The result is a view of `buf` in the usual case.
///
/// A unit longer than a 4-byte length can state is an error (`buf` is then lost).
pub fn annexb_to_length_prefixed_in_place(
    mut buf: BytesMut,
    from: usize,
    mut keep: impl FnMut(&[u8]) -> bool,
) -> Result<BytesMut, CodecError> {
    // Output moved back to make room costs at most this share of the input; past it, copying
    // the rest once is cheaper.
    let shift_budget = buf.len().saturating_sub(from) / 4;
    let mut shifted = 0usize;
    // In-place output occupies buf[out_start..w].
    let mut out_start: Option<usize> = None;
    let mut w = 0usize;
    let mut spill: Option<BytesMut> = None;
    let mut next = find_start_code(&buf, from).map(|(_, after)| after);
    while let Some(start) = next {
        let end = match find_start_code(&buf, start) {
            Some((code, after)) => {
                next = Some(after);
                code
            }
            None => {
                next = None;
                buf.len()
            }
        };
        let mut e = end;
        while e > start && buf[e - 1] == 0 {
            e -= 1;
        }
        if e == start || !keep(&buf[start..e]) {
            continue;
        }
        let len = u32::try_from(e - start).map_err(|_| CodecError::TooLarge {
            what: "annex b nal unit",
            field: "length",
            offset: start,
            value: (e - start) as u64,
            limit: u32::MAX.into(),
        })?;
        if let Some(out) = spill.as_mut() {
            out.put_u32(len);
            out.extend_from_slice(&buf[start..e]);
            continue;
        }
        let pos = match out_start {
            None => start.checked_sub(4),
            Some(_) if w + 4 <= start => Some(w),
            Some(s) => {
                // A 3-byte start code right after a kept unit: move the output back by the
                // missing byte(s) when there is room before it and the move is small.
                let need = w + 4 - start;
                if s >= need && shifted + (w - s) <= shift_budget {
                    buf.copy_within(s..w, s - need);
                    shifted += w - s;
                    out_start = Some(s - need);
                    w -= need;
                    Some(w)
                } else {
                    None
                }
            }
        };
        match pos {
            Some(pos) => {
                buf[pos..pos + 4].copy_from_slice(&len.to_be_bytes());
                if pos + 4 != start {
                    buf.copy_within(start..e, pos + 4);
                }
                out_start.get_or_insert(pos);
                w = pos + 4 + (e - start);
            }
            None => {
                let done = out_start.map_or(0..0, |s| s..w);
                let mut out = BytesMut::with_capacity(done.len() + 4 + buf.len() - start);
                out.extend_from_slice(&buf[done]);
                out.put_u32(len);
                out.extend_from_slice(&buf[start..e]);
                spill = Some(out);
            }
        }
    }
    if let Some(out) = spill {
        return Ok(out);
    }
    Ok(match out_start {
        Some(s) => {
            let mut out = buf.split_off(s);
            out.truncate(w - s);
            out
        }
        None => BytesMut::new(),
    })
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

    /// The reference: the units `keep` accepts, each behind its length, by the copying path.
    fn by_copy(annexb: &[u8], mut keep: impl FnMut(&[u8]) -> bool) -> Vec<u8> {
        let mut out = Vec::new();
        for nal in annexb_nal_units(annexb).filter(|n| keep(n)) {
            out.put_u32(nal.len() as u32);
            out.put_slice(nal);
        }
        out
    }

    fn in_place(header: usize, annexb: &[u8], keep: impl FnMut(&[u8]) -> bool) -> Vec<u8> {
        let mut buf = BytesMut::from(&vec![0xEE; header][..]);
        buf.extend_from_slice(annexb);
        annexb_to_length_prefixed_in_place(buf, header, keep)
            .unwrap()
            .to_vec()
    }

    #[test]
    fn in_place_conversion_of_typical_access_units() {
        // AUD, SPS, PPS dropped; IDR behind a 3-byte code takes the room they leave.
        let au = [
            &[0, 0, 0, 1, 0x09, 0xF0][..],
            &[0, 0, 0, 1, 0x67, 1, 2, 3],
            &[0, 0, 0, 1, 0x68, 4],
            &[0, 0, 1, 0x65, 9, 9, 9],
        ]
        .concat();
        let keep = |n: &[u8]| !matches!(n[0] & 0x1F, 7..=9);
        assert_eq!(in_place(9, &au, keep), [0, 0, 0, 4, 0x65, 9, 9, 9]);
        // A kept SEI and then a slice behind a 3-byte code: the SEI moves back a byte.
        let au = [
            &[0, 0, 0, 1, 0x09, 0xF0][..],
            &[0, 0, 0, 1, 6, 5],
            &[0, 0, 1, 0x41, 7],
        ]
        .concat();
        assert_eq!(in_place(9, &au, keep), by_copy(&au, keep));
        // No room at all before the data: the copying fallback gives the same bytes.
        let au = [
            &[0, 0, 1, 0x41, 1][..],
            &[0, 0, 1, 0x41, 2],
            &[0, 0, 1, 0x41, 3],
        ]
        .concat();
        assert_eq!(in_place(0, &au, |_| true), by_copy(&au, |_| true));
        // Nothing kept, no start code, only zeros.
        assert!(in_place(9, &[0, 0, 0, 1, 9, 0xF0], keep).is_empty());
        assert!(in_place(9, &[1, 2, 3], keep).is_empty());
        assert!(in_place(9, &[0; 10], keep).is_empty());
    }

    #[test]
    fn in_place_conversion_equals_the_copying_one_on_random_units() {
        let mut rng = crate::test_rng::XorShift(0x2545_f491_4f6c_dd1d);
        for round in 0..3000 {
            let mut au = Vec::new();
            for _ in 0..rng.next_u8() % 8 {
                match rng.next_u8() % 3 {
                    0 => au.extend_from_slice(&[0, 0, 1]),
                    1 => au.extend_from_slice(&[0, 0, 0, 1]),
                    _ => au.extend_from_slice(&[0, 0, 0, 0, 1]),
                }
                // A NAL header byte, then a body that may end in zeros.
                for _ in 0..=rng.next_u8() % 12 {
                    au.push(rng.next_u8() % 4 + 1);
                }
                let zeros = usize::from(rng.next_u8() % 3);
                au.extend(std::iter::repeat_n(0, zeros));
            }
            let header = usize::from(rng.next_u8() % 12);
            let keep = |n: &[u8]| n[0] != 2;
            assert_eq!(
                in_place(header, &au, keep),
                by_copy(&au, keep),
                "round {round}: {au:02x?} behind {header} bytes"
            );
        }
    }
}
