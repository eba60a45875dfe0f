//! `stts` (ISO/IEC 14496-12 §8.6.1.2): sample durations, run-length coded.

use super::{Reader, full_box, write_full_box};
use crate::mp4::error::F4vError;

/// Decoding time to sample: runs of (count, delta).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Stts {
    /// (sample count, duration of each) runs.
    pub entries: Vec<(u32, u32)>,
}

impl Stts {
    /// Parses the body.
    pub fn parse(body: &[u8], offset: u64) -> Result<Stts, F4vError> {
        let (_, _, rest) = full_box(body, "stts", offset)?;
        let mut r = Reader::new(rest, "stts", offset);
        let n = r.count(8, "entry_count")?;
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            entries.push((r.u32()?, r.u32()?));
        }
        Ok(Stts { entries })
    }

    /// Run-length codes per-sample durations.
    pub fn from_durations(durations: impl IntoIterator<Item = u32>) -> Stts {
        let mut entries: Vec<(u32, u32)> = Vec::new();
        for d in durations {
            match entries.last_mut() {
                Some((n, delta)) if *delta == d => *n += 1,
                _ => entries.push((1, d)),
            }
        }
        Stts { entries }
    }

    /// Samples described.
    pub fn sample_count(&self) -> u64 {
        self.entries.iter().map(|&(n, _)| u64::from(n)).sum()
    }

    /// Writes the whole box.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        write_full_box(out, b"stts", 0, 0, |o| {
            o.extend_from_slice(&(self.entries.len() as u32).to_be_bytes());
            for (n, d) in &self.entries {
                o.extend_from_slice(&n.to_be_bytes());
                o.extend_from_slice(&d.to_be_bytes());
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_run_length() {
        let s = Stts::from_durations([1024, 1024, 1024, 512, 1024]);
        assert_eq!(s.entries, [(3, 1024), (1, 512), (1, 1024)]);
        assert_eq!(s.sample_count(), 5);
        let mut out = Vec::new();
        s.write_to(&mut out);
        assert_eq!(Stts::parse(&out[8..], 0).unwrap(), s);
    }
}
