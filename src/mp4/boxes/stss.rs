//! `stss` (ISO/IEC 14496-12 §8.6.2): which samples are sync samples (keyframes). Without it,
//! every sample is one.

use super::{Reader, full_box, write_full_box};
use crate::mp4::error::F4vError;

/// Sync samples, 1-based, increasing.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Stss {
    /// Sample numbers (1-based).
    pub samples: Vec<u32>,
}

impl Stss {
    /// Parses the body.
    pub fn parse(body: &[u8], offset: u64) -> Result<Stss, F4vError> {
        let (_, _, rest) = full_box(body, "stss", offset)?;
        let mut r = Reader::new(rest, "stss", offset);
        let n = r.count(4, "entry_count")?;
        let mut samples = Vec::with_capacity(n);
        for _ in 0..n {
            samples.push(r.u32()?);
        }
        Ok(Stss { samples })
    }

    /// Writes the whole box.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        write_full_box(out, b"stss", 0, 0, |o| {
            o.extend_from_slice(&(self.samples.len() as u32).to_be_bytes());
            for s in &self.samples {
                o.extend_from_slice(&s.to_be_bytes());
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let s = Stss {
            samples: vec![1, 51, 101],
        };
        let mut out = Vec::new();
        s.write_to(&mut out);
        assert_eq!(Stss::parse(&out[8..], 0).unwrap(), s);
    }
}
