//! Bit-level reading and writing for codec headers, and NAL emulation prevention.
//!
//! Parameter sets and audio configs are packed MSB-first with fields of any width and
//! exp-Golomb codes (ISO/IEC 14496-10 §9.1). [`BitReader`] reads them with every read checked:
//! running off the end is a [`CodecError::Truncated`] naming the structure being read, and an
//! exp-Golomb code with 32 or more leading zeros (which no conforming stream contains and which
//! would overflow a 32-bit value) is a [`CodecError::Invalid`], not a panic or a long loop.
//!
//! NAL units escape any `00 00 0x` (x <= 3) in their payload by inserting `03` after the two
//! zeros (§7.4.1); [`remove_emulation_prevention`] undoes that before parsing and
//! [`add_emulation_prevention`] applies it when writing.

use std::borrow::Cow;

use super::CodecError;

/// Longest exp-Golomb prefix accepted: 31 leading zeros give values up to 2^32 - 2, the widest
/// any syntax element of H.264/H.265 uses; 32 or more can only be damage.
pub const MAX_EXP_GOLOMB_LEADING_ZEROS: u32 = 31;

/// Reads MSB-first bit fields from a byte slice.
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    data: &'a [u8],
    /// Position in bits from the start of `data`.
    pos: usize,
    what: &'static str,
}

impl<'a> BitReader<'a> {
    /// A reader at the first bit of `data`; `what` names the structure in errors.
    pub fn new(data: &'a [u8], what: &'static str) -> BitReader<'a> {
        BitReader { data, pos: 0, what }
    }

    /// Bits not yet read.
    pub fn bits_left(&self) -> usize {
        (self.data.len() * 8).saturating_sub(self.pos)
    }

    /// Whole bytes not yet read (a partly read byte does not count).
    pub fn bytes_left(&self) -> usize {
        self.bits_left() / 8
    }

    /// Bits read so far.
    pub fn bit_position(&self) -> usize {
        self.pos
    }

    /// The byte holding the next bit, for error offsets.
    pub fn byte_offset(&self) -> usize {
        self.pos / 8
    }

    /// Whether the next bit starts a byte.
    pub fn is_byte_aligned(&self) -> bool {
        self.pos % 8 == 0
    }

    /// Skips to the start of the next byte (no-op when aligned).
    pub fn byte_align(&mut self) {
        self.pos = self.pos.div_ceil(8) * 8;
    }

    /// A [`CodecError::Truncated`] at the current position.
    pub fn truncated(&self) -> CodecError {
        CodecError::Truncated {
            what: self.what,
            offset: self.byte_offset(),
        }
    }

    /// A [`CodecError::Invalid`] at the current position.
    pub fn invalid(&self, reason: impl Into<String>) -> CodecError {
        CodecError::invalid(self.what, self.byte_offset(), reason)
    }

    /// A [`CodecError::TooLarge`] at the current position.
    pub fn too_large(&self, field: &'static str, value: u64, limit: u64) -> CodecError {
        CodecError::TooLarge {
            what: self.what,
            field,
            offset: self.byte_offset(),
            value,
            limit,
        }
    }

    /// Skips `n` bits.
    pub fn skip_bits(&mut self, n: usize) -> Result<(), CodecError> {
        if n > self.bits_left() {
            return Err(self.truncated());
        }
        self.pos += n;
        Ok(())
    }

    /// Reads `n <= 64` bits as an unsigned value.
    pub fn read_bits_u64(&mut self, n: u32) -> Result<u64, CodecError> {
        if n > 64 {
            return Err(self.invalid(format!("bit reader asked for {n} bits at once")));
        }
        if n as usize > self.bits_left() {
            return Err(self.truncated());
        }
        let mut value: u64 = 0;
        let mut remaining = n;
        while remaining > 0 {
            let byte = self
                .data
                .get(self.pos / 8)
                .copied()
                .ok_or(self.truncated())?;
            let bit_in_byte = (self.pos % 8) as u32;
            let avail = 8 - bit_in_byte;
            let take = avail.min(remaining);
            let bits = (u64::from(byte) >> (avail - take)) & ((1u64 << take) - 1);
            value = (value << take) | bits;
            self.pos += take as usize;
            remaining -= take;
        }
        Ok(value)
    }

    /// Reads `n <= 32` bits as an unsigned value.
    pub fn read_bits(&mut self, n: u32) -> Result<u32, CodecError> {
        if n > 32 {
            return Err(self.invalid(format!("bit reader asked for {n} bits as u32")));
        }
        // n <= 32, so the value fits.
        Ok(self.read_bits_u64(n)? as u32)
    }

    /// Reads `n <= 8` bits.
    pub fn read_u8(&mut self, n: u32) -> Result<u8, CodecError> {
        if n > 8 {
            return Err(self.invalid(format!("bit reader asked for {n} bits as u8")));
        }
        Ok(self.read_bits_u64(n)? as u8)
    }

    /// Reads `n <= 16` bits.
    pub fn read_u16(&mut self, n: u32) -> Result<u16, CodecError> {
        if n > 16 {
            return Err(self.invalid(format!("bit reader asked for {n} bits as u16")));
        }
        Ok(self.read_bits_u64(n)? as u16)
    }

    /// Reads one bit as a flag.
    pub fn read_flag(&mut self) -> Result<bool, CodecError> {
        Ok(self.read_bits_u64(1)? == 1)
    }

    /// Reads an unsigned exp-Golomb code `ue(v)` (ISO/IEC 14496-10 §9.1).
    ///
    /// More than [`MAX_EXP_GOLOMB_LEADING_ZEROS`] leading zeros is an error.
    pub fn read_ue(&mut self) -> Result<u32, CodecError> {
        let mut zeros = 0u32;
        while !self.read_flag()? {
            zeros += 1;
            if zeros > MAX_EXP_GOLOMB_LEADING_ZEROS {
                return Err(self.invalid("exp-golomb code with 32 or more leading zeros"));
            }
        }
        let suffix = self.read_bits_u64(zeros)?;
        let value = (1u64 << zeros) - 1 + suffix;
        u32::try_from(value).map_err(|_| self.invalid("exp-golomb value overflows 32 bits"))
    }

    /// Reads a signed exp-Golomb code `se(v)` (ISO/IEC 14496-10 §9.1.1).
    pub fn read_se(&mut self) -> Result<i32, CodecError> {
        let k = i64::from(self.read_ue()?);
        let value = if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) };
        // |value| <= 2^31 - 1 because k <= 2^32 - 2.
        i32::try_from(value).map_err(|_| self.invalid("signed exp-golomb value overflows"))
    }

    /// Reads a `ue(v)` and checks it against `max`, naming the field in the error.
    pub fn read_ue_max(&mut self, field: &'static str, max: u32) -> Result<u32, CodecError> {
        let v = self.read_ue()?;
        if v > max {
            return Err(self.too_large(field, v.into(), max.into()));
        }
        Ok(v)
    }
}

/// Writes MSB-first bit fields into a byte vector.
#[derive(Debug, Clone, Default)]
pub struct BitWriter {
    buf: Vec<u8>,
    /// Bits already used in the last byte of `buf` (0 = the last byte is full or none exists).
    used: u32,
}

impl BitWriter {
    /// An empty writer.
    pub fn new() -> BitWriter {
        BitWriter::default()
    }

    /// Bits written so far.
    pub fn bit_len(&self) -> usize {
        if self.used == 0 {
            self.buf.len() * 8
        } else {
            (self.buf.len() - 1) * 8 + self.used as usize
        }
    }

    /// Writes the low `n <= 64` bits of `value`; wider `n` is clamped to 64.
    pub fn write_bits_u64(&mut self, n: u32, value: u64) {
        let n = n.min(64);
        for i in (0..n).rev() {
            self.write_flag((value >> i) & 1 == 1);
        }
    }

    /// Writes the low `n <= 32` bits of `value`.
    pub fn write_bits(&mut self, n: u32, value: u32) {
        self.write_bits_u64(n.min(32), value.into());
    }

    /// Writes one bit.
    pub fn write_flag(&mut self, bit: bool) {
        if self.used == 0 {
            self.buf.push(0);
        }
        if bit {
            if let Some(last) = self.buf.last_mut() {
                *last |= 0x80 >> self.used;
            }
        }
        self.used = (self.used + 1) % 8;
    }

    /// Writes an unsigned exp-Golomb code.
    pub fn write_ue(&mut self, value: u32) {
        let v = u64::from(value) + 1;
        let bits = 64 - v.leading_zeros();
        self.write_bits_u64(bits - 1, 0);
        self.write_bits_u64(bits, v);
    }

    /// Writes a signed exp-Golomb code (`i32::MIN` is clamped to `-i32::MAX`).
    pub fn write_se(&mut self, value: i32) {
        // i32::MIN needs a 33-bit code number, beyond what 31 leading zeros can carry; it is
        // written as -(2^31 - 1), the most negative value the codes can hold.
        let v = i64::from(value.max(-i32::MAX));
        let k = if v > 0 { 2 * v - 1 } else { -2 * v };
        self.write_ue(u32::try_from(k).unwrap_or(u32::MAX - 1));
    }

    /// Pads with zero bits to a byte boundary.
    pub fn byte_align(&mut self) {
        self.used = 0;
    }

    /// Writes `rbsp_trailing_bits()`: a one bit, then zeros to the byte boundary.
    pub fn write_trailing_bits(&mut self) {
        self.write_flag(true);
        self.byte_align();
    }

    /// The bytes written, the last one padded with zero bits.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads whole-byte fields of a configuration record, reporting truncation with the offset.
pub(crate) struct ByteCursor<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) what: &'static str,
}

impl<'a> ByteCursor<'a> {
    /// A cursor at the first byte of `data`; `what` names the structure in errors.
    pub(crate) fn new(data: &'a [u8], what: &'static str) -> ByteCursor<'a> {
        ByteCursor { data, pos: 0, what }
    }

    /// Bytes not yet read.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.data.get(self.pos..end)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(CodecError::Truncated {
                what: self.what,
                offset: self.pos,
            }),
        }
    }

    /// The next byte.
    pub(crate) fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?.first().copied().unwrap_or_default())
    }

    /// The next big-endian 16-bit value.
    pub(crate) fn u16(&mut self) -> Result<u16, CodecError> {
        let b = self.take(2)?;
        Ok(b.iter().fold(0u16, |acc, &x| (acc << 8) | u16::from(x)))
    }

    /// A 16-bit length followed by that many bytes.
    pub(crate) fn nal(&mut self) -> Result<&'a [u8], CodecError> {
        let len = self.u16()?;
        self.take(usize::from(len))
    }
}

/// Removes emulation-prevention bytes from a NAL unit: every `03` that follows two zero bytes
/// (ISO/IEC 14496-10 §7.4.1, H.265 §7.4.2).
///
/// Returns the input unchanged (borrowed) when it has none, so the common case copies nothing;
/// otherwise a vector no longer than the input.
pub fn remove_emulation_prevention(nal: &[u8]) -> Cow<'_, [u8]> {
    let needs = nal.windows(3).any(|w| w == [0, 0, 3]);
    if !needs {
        return Cow::Borrowed(nal);
    }
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0usize;
    for &b in nal {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    Cow::Owned(out)
}

/// Escapes an RBSP into a NAL unit payload: inserts `03` after any two zero bytes that are
/// followed by a byte <= 3, and after two trailing zero bytes (§7.4.1).
pub fn add_emulation_prevention(rbsp: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rbsp.len() + rbsp.len() / 64 + 1);
    let mut zeros = 0usize;
    for &b in rbsp {
        if zeros >= 2 && b <= 3 {
            out.push(3);
            zeros = 0;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    if zeros >= 2 {
        out.push(3);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_across_bytes() {
        let data = [0b1010_1100, 0b0101_0011, 0xFF];
        let mut r = BitReader::new(&data, "test");
        assert_eq!(r.read_bits(3).unwrap(), 0b101);
        assert_eq!(r.read_bits(7).unwrap(), 0b011_0001);
        assert_eq!(r.bit_position(), 10);
        assert_eq!(r.bits_left(), 14);
        assert_eq!(r.bytes_left(), 1);
        assert_eq!(r.read_bits(14).unwrap(), 0b01_0011_1111_1111);
        assert_eq!(r.bits_left(), 0);
        assert_eq!(
            r.read_flag(),
            Err(CodecError::Truncated {
                what: "test",
                offset: 3
            })
        );
    }

    #[test]
    fn reads_64_bits_and_rejects_wider() {
        let data = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0x55];
        let mut r = BitReader::new(&data, "test");
        assert!(r.read_bits(33).is_err());
        assert!(r.read_bits_u64(65).is_err());
        assert_eq!(r.read_bits_u64(64).unwrap(), 0x0123_4567_89AB_CDEF);
        r.skip_bits(4).unwrap();
        assert_eq!(r.read_bits(4).unwrap(), 5);
        assert!(r.skip_bits(1).is_err());
    }

    #[test]
    fn exp_golomb_known_codes() {
        // 1 | 010 | 011 | 00100 | 00101 -> ue 0, 1, 2, 3, 4; as se: 0, 1, -1, 2, -2
        let mut w = BitWriter::new();
        for v in [0u32, 1, 2, 3, 4] {
            w.write_ue(v);
        }
        let bytes = w.into_bytes();
        assert_eq!(bytes, [0b1010_0110, 0b0100_0010, 0b1000_0000]);
        let mut r = BitReader::new(&bytes, "test");
        for v in [0u32, 1, 2, 3, 4] {
            assert_eq!(r.read_ue().unwrap(), v);
        }
        let mut r = BitReader::new(&bytes, "test");
        for v in [0i32, 1, -1, 2, -2] {
            assert_eq!(r.read_se().unwrap(), v);
        }
    }

    #[test]
    fn exp_golomb_extremes_round_trip() {
        let mut w = BitWriter::new();
        w.write_ue(u32::MAX - 1);
        w.write_se(i32::MAX);
        w.write_se(-i32::MAX);
        let bytes = w.into_bytes();
        let mut r = BitReader::new(&bytes, "test");
        assert_eq!(r.read_ue().unwrap(), u32::MAX - 1);
        assert_eq!(r.read_se().unwrap(), i32::MAX);
        assert_eq!(r.read_se().unwrap(), -i32::MAX);
    }

    #[test]
    fn exp_golomb_with_40_leading_zeros_is_an_error() {
        // 40 zero bits then a one: five zero bytes and 0x80.
        let data = [0, 0, 0, 0, 0, 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        let err = BitReader::new(&data, "test").read_ue().unwrap_err();
        assert!(matches!(err, CodecError::Invalid { .. }), "{err}");
        // 32 zeros exactly is already too many.
        let data = [0, 0, 0, 0, 0x80, 0, 0, 0, 0];
        assert!(BitReader::new(&data, "test").read_ue().is_err());
        // All zeros to the end: truncated or invalid, never a panic.
        assert!(BitReader::new(&[0, 0], "test").read_ue().is_err());
        assert!(BitReader::new(&[], "test").read_se().is_err());
    }

    #[test]
    fn ue_max_names_the_field() {
        let mut w = BitWriter::new();
        w.write_ue(40);
        let bytes = w.into_bytes();
        let err = BitReader::new(&bytes, "s")
            .read_ue_max("x", 31)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "s: x of 40 exceeds the limit of 31 at byte 1"
        );
    }

    #[test]
    fn writer_alignment_and_length() {
        let mut w = BitWriter::new();
        w.write_bits(3, 0b111);
        assert_eq!(w.bit_len(), 3);
        w.write_trailing_bits();
        assert_eq!(w.bit_len(), 8);
        w.write_bits_u64(12, 0xABC);
        assert_eq!(w.bit_len(), 20);
        w.byte_align();
        assert_eq!(w.into_bytes(), [0xF0, 0xAB, 0xC0]);
    }

    #[test]
    fn byte_align_reader() {
        let mut r = BitReader::new(&[0xFF, 0x0F], "test");
        r.byte_align();
        assert_eq!(r.bit_position(), 0);
        r.read_flag().unwrap();
        assert!(!r.is_byte_aligned());
        r.byte_align();
        assert!(r.is_byte_aligned());
        assert_eq!(r.read_bits(8).unwrap(), 0x0F);
        r.byte_align();
        assert_eq!(r.bits_left(), 0);
    }

    #[test]
    fn emulation_prevention_round_trip() {
        let rbsp = [0x67, 0, 0, 1, 0, 0, 0, 0, 3, 0xAA];
        let nal = add_emulation_prevention(&rbsp);
        assert_eq!(nal, [0x67, 0, 0, 3, 1, 0, 0, 3, 0, 0, 3, 3, 0xAA]);
        assert_eq!(&*remove_emulation_prevention(&nal), &rbsp[..]);
        assert!(matches!(
            remove_emulation_prevention(&[1, 0, 0, 4]),
            Cow::Borrowed(_)
        ));
        assert_eq!(add_emulation_prevention(&[5, 0, 0]), [5, 0, 0, 3]);
        // Escaped output never contains a start code prefix.
        let raw: Vec<u8> = (0..600u32)
            .map(|i| [0u8, 0, 1, 2, 3][(i % 5) as usize])
            .collect();
        let esc = add_emulation_prevention(&raw);
        assert!(!esc.windows(3).any(|w| w == [0, 0, 1] || w == [0, 0, 0]));
        assert_eq!(&*remove_emulation_prevention(&esc), &raw[..]);
    }

    #[test]
    fn emulation_prevention_output_is_bounded() {
        for input in [&[0u8, 0, 3][..], &[0, 0, 3, 0, 0, 3], &[3, 3, 3], &[]] {
            assert!(remove_emulation_prevention(input).len() <= input.len());
        }
    }
}
