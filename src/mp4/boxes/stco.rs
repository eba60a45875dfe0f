//! `stco` and `co64` (ISO/IEC 14496-12 §8.7.5): chunk offsets, 32- or 64-bit.

use super::{Reader, full_box, write_full_box};
use crate::mp4::error::F4vError;

/// Chunk offsets in the file.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Stco {
    /// Each chunk's file offset.
    pub offsets: Vec<u64>,
}

impl Stco {
    /// Parses an `stco` (`wide` false) or `co64` body.
    pub fn parse(body: &[u8], offset: u64, wide: bool) -> Result<Stco, F4vError> {
        let what = if wide { "co64" } else { "stco" };
        let (_, _, rest) = full_box(body, what, offset)?;
        let mut r = Reader::new(rest, what, offset);
        let n = r.count(if wide { 8 } else { 4 }, "entry_count")?;
        let mut offsets = Vec::with_capacity(n);
        for _ in 0..n {
            offsets.push(if wide { r.u64()? } else { u64::from(r.u32()?) });
        }
        Ok(Stco { offsets })
    }

    /// Whether the offsets need `co64`.
    pub fn needs_64_bits(&self) -> bool {
        self.offsets.iter().any(|&o| o > u64::from(u32::MAX))
    }

    /// Writes `stco`, or `co64` when an offset passes 4 GB.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let wide = self.needs_64_bits();
        write_full_box(out, if wide { b"co64" } else { b"stco" }, 0, 0, |o| {
            o.extend_from_slice(&(self.offsets.len() as u32).to_be_bytes());
            for &off in &self.offsets {
                if wide {
                    o.extend_from_slice(&off.to_be_bytes());
                } else {
                    o.extend_from_slice(&(off as u32).to_be_bytes());
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_32_and_64() {
        for (s, wide) in [
            (
                Stco {
                    offsets: vec![48, 1000, 90_000],
                },
                false,
            ),
            (
                Stco {
                    offsets: vec![48, 5 << 30],
                },
                true,
            ),
        ] {
            let mut out = Vec::new();
            s.write_to(&mut out);
            assert_eq!(&out[4..8], if wide { b"co64" } else { b"stco" });
            assert_eq!(Stco::parse(&out[8..], 0, wide).unwrap(), s);
        }
    }
}
