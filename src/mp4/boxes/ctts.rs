//! `ctts` (ISO/IEC 14496-12 §8.6.1.3): composition offsets (pts - dts), version 0 unsigned,
//! version 1 signed.

use super::{Reader, full_box, write_full_box};
use crate::mp4::error::F4vError;

/// Composition time to sample: runs of (count, offset).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Ctts {
    /// (sample count, pts - dts) runs.
    pub entries: Vec<(u32, i64)>,
}

impl Ctts {
    /// Parses the body: version 0 offsets are unsigned 32-bit, version 1 signed.
    pub fn parse(body: &[u8], offset: u64) -> Result<Ctts, F4vError> {
        let (version, _, rest) = full_box(body, "ctts", offset)?;
        let mut r = Reader::new(rest, "ctts", offset);
        let n = r.count(8, "entry_count")?;
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            let count = r.u32()?;
            let raw = r.u32()?;
            // Some writers put negative offsets in version 0 boxes; read them as the signed
            // values they are meant to be, as ffmpeg does.
            let off = if version == 0 && raw < 0x8000_0000 {
                i64::from(raw)
            } else {
                i64::from(raw as i32)
            };
            entries.push((count, off));
        }
        Ok(Ctts { entries })
    }

    /// Run-length codes per-sample offsets.
    pub fn from_offsets(offsets: impl IntoIterator<Item = i64>) -> Ctts {
        let mut entries: Vec<(u32, i64)> = Vec::new();
        for o in offsets {
            match entries.last_mut() {
                Some((n, v)) if *v == o => *n += 1,
                _ => entries.push((1, o)),
            }
        }
        Ctts { entries }
    }

    /// Writes the whole box: version 0 when no offset is negative, else version 1.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let v1 = self.entries.iter().any(|&(_, o)| o < 0);
        write_full_box(out, b"ctts", u8::from(v1), 0, |o| {
            o.extend_from_slice(&(self.entries.len() as u32).to_be_bytes());
            for &(n, off) in &self.entries {
                o.extend_from_slice(&n.to_be_bytes());
                let v = off.clamp(i64::from(i32::MIN), i64::from(u32::MAX));
                o.extend_from_slice(&(v as u32).to_be_bytes());
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_v0_and_v1() {
        for offs in [vec![0i64, 2048, 1024, 0], vec![-1024, 0, 1024, -512]] {
            let c = Ctts::from_offsets(offs);
            let mut out = Vec::new();
            c.write_to(&mut out);
            assert_eq!(Ctts::parse(&out[8..], 0).unwrap(), c);
        }
    }
}
