//! `stsz` and `stz2` (ISO/IEC 14496-12 §8.7.3): sample sizes.

use super::{Reader, full_box, write_full_box};
use crate::mp4::error::F4vError;

/// Sample sizes: one for all, or one each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stsz {
    /// Every sample has this size.
    Constant {
        /// The size.
        size: u32,
        /// How many samples.
        count: u32,
    },
    /// Each sample's size.
    Each(Vec<u32>),
}

impl Stsz {
    /// Parses an `stsz` body. A count that the box cannot hold is an error before anything is
    /// allocated (`sample_count` 2^32-1 in a tiny box).
    pub fn parse(body: &[u8], offset: u64) -> Result<Stsz, F4vError> {
        let (_, _, rest) = full_box(body, "stsz", offset)?;
        let mut r = Reader::new(rest, "stsz", offset);
        let size = r.u32()?;
        if size != 0 {
            return Ok(Stsz::Constant {
                size,
                count: r.u32()?,
            });
        }
        let n = r.count(4, "sample_count")?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(r.u32()?);
        }
        Ok(Stsz::Each(v))
    }

    /// Parses an `stz2` (compact) body: 4-, 8- or 16-bit sizes.
    pub fn parse_compact(body: &[u8], offset: u64) -> Result<Stsz, F4vError> {
        let (_, _, rest) = full_box(body, "stz2", offset)?;
        let mut r = Reader::new(rest, "stz2", offset);
        r.bytes(3)?;
        let field = r.u8()?;
        let n = r.u32()? as usize;
        let bytes = match field {
            4 => n.div_ceil(2),
            8 => n,
            16 => n.saturating_mul(2),
            other => {
                return Err(F4vError::invalid(
                    "stz2",
                    offset,
                    format!("field_size {other} is not 4, 8 or 16"),
                ));
            }
        };
        if bytes > r.remaining() {
            return Err(F4vError::invalid(
                "stz2",
                offset,
                format!(
                    "sample_count {n} needs {bytes} bytes, the box has {}",
                    r.remaining()
                ),
            ));
        }
        let data = r.bytes(bytes)?;
        let v = match field {
            4 => (0..n)
                .map(|i| {
                    u32::from(if i % 2 == 0 {
                        data[i / 2] >> 4
                    } else {
                        data[i / 2] & 0xF
                    })
                })
                .collect(),
            8 => data.iter().map(|&b| u32::from(b)).collect(),
            _ => data
                .chunks_exact(2)
                .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
                .collect(),
        };
        Ok(Stsz::Each(v))
    }

    /// Samples described.
    pub fn count(&self) -> usize {
        match self {
            Stsz::Constant { count, .. } => *count as usize,
            Stsz::Each(v) => v.len(),
        }
    }

    /// Sample `i`'s size (0-based).
    pub fn size(&self, i: usize) -> Option<u32> {
        match self {
            Stsz::Constant { size, count } => (i < *count as usize).then_some(*size),
            Stsz::Each(v) => v.get(i).copied(),
        }
    }

    /// Writes an `stsz` box (constant when every size is the same). A constant size of 0
    /// cannot be written as such (0 means "a table follows"): it becomes a table of zeros.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        write_full_box(out, b"stsz", 0, 0, |o| match self {
            Stsz::Constant { size: 0, count } => {
                o.extend_from_slice(&0u32.to_be_bytes());
                o.extend_from_slice(&count.to_be_bytes());
                o.extend(std::iter::repeat_n(0u8, 4 * *count as usize));
            }
            Stsz::Constant { size, count } => {
                o.extend_from_slice(&size.to_be_bytes());
                o.extend_from_slice(&count.to_be_bytes());
            }
            Stsz::Each(v) => {
                o.extend_from_slice(&0u32.to_be_bytes());
                o.extend_from_slice(&(v.len() as u32).to_be_bytes());
                for s in v {
                    o.extend_from_slice(&s.to_be_bytes());
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_forms_and_hostile_counts() {
        for s in [
            Stsz::Constant {
                size: 417,
                count: 10,
            },
            Stsz::Each(vec![100, 200, 300]),
        ] {
            let mut out = Vec::new();
            s.write_to(&mut out);
            assert_eq!(Stsz::parse(&out[8..], 0).unwrap(), s);
        }
        let tiny = [0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF];
        let e = Stsz::parse(&tiny, 64).unwrap_err().to_string();
        assert!(e.contains("sample_count 4294967295"), "{e}");
        let stz2 = [0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 3, 0x12, 0x30];
        assert_eq!(
            Stsz::parse_compact(&stz2, 0).unwrap(),
            Stsz::Each(vec![1, 2, 3])
        );
        let stz2 = [0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 1, 1, 0];
        assert_eq!(
            Stsz::parse_compact(&stz2, 0).unwrap(),
            Stsz::Each(vec![256])
        );
        assert!(
            Stsz::parse_compact(&[0, 0, 0, 0, 0, 0, 0, 16, 0xFF, 0xFF, 0xFF, 0xFF], 0).is_err()
        );
    }
}
