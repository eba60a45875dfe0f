//! `stsc` (ISO/IEC 14496-12 §8.7.4): how samples group into chunks.

use super::{Reader, full_box, write_full_box};
use crate::mp4::error::F4vError;

/// One run of chunks with the same sample count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StscEntry {
    /// The run's first chunk (1-based).
    pub first_chunk: u32,
    /// Samples in each of its chunks.
    pub samples_per_chunk: u32,
    /// Its sample description (1-based index into `stsd`).
    pub sample_description_index: u32,
}

/// Sample to chunk.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Stsc {
    /// The runs, by increasing first chunk.
    pub entries: Vec<StscEntry>,
}

impl Stsc {
    /// Parses the body; first chunks must start at 1 and increase.
    pub fn parse(body: &[u8], offset: u64) -> Result<Stsc, F4vError> {
        let (_, _, rest) = full_box(body, "stsc", offset)?;
        let mut r = Reader::new(rest, "stsc", offset);
        let n = r.count(12, "entry_count")?;
        let mut entries: Vec<StscEntry> = Vec::with_capacity(n);
        for i in 0..n {
            let e = StscEntry {
                first_chunk: r.u32()?,
                samples_per_chunk: r.u32()?,
                sample_description_index: r.u32()?,
            };
            if e.first_chunk == 0 {
                return Err(F4vError::invalid(
                    "stsc",
                    offset,
                    format!("entry {i}: first_chunk 0 (chunks count from 1)"),
                ));
            }
            if let Some(prev) = entries.last() {
                if e.first_chunk <= prev.first_chunk {
                    return Err(F4vError::invalid(
                        "stsc",
                        offset,
                        format!(
                            "entry {i}: first_chunk {} does not follow {}",
                            e.first_chunk, prev.first_chunk
                        ),
                    ));
                }
            }
            entries.push(e);
        }
        Ok(Stsc { entries })
    }

    /// Writes the whole box.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        write_full_box(out, b"stsc", 0, 0, |o| {
            o.extend_from_slice(&(self.entries.len() as u32).to_be_bytes());
            for e in &self.entries {
                o.extend_from_slice(&e.first_chunk.to_be_bytes());
                o.extend_from_slice(&e.samples_per_chunk.to_be_bytes());
                o.extend_from_slice(&e.sample_description_index.to_be_bytes());
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_order_rules() {
        let s = Stsc {
            entries: vec![
                StscEntry {
                    first_chunk: 1,
                    samples_per_chunk: 10,
                    sample_description_index: 1,
                },
                StscEntry {
                    first_chunk: 5,
                    samples_per_chunk: 3,
                    sample_description_index: 1,
                },
            ],
        };
        let mut out = Vec::new();
        s.write_to(&mut out);
        assert_eq!(Stsc::parse(&out[8..], 0).unwrap(), s);
        let mut zero = s.clone();
        zero.entries[0].first_chunk = 0;
        let mut out = Vec::new();
        zero.write_to(&mut out);
        assert!(
            Stsc::parse(&out[8..], 0)
                .unwrap_err()
                .to_string()
                .contains("first_chunk 0")
        );
        let mut back = s.clone();
        back.entries[1].first_chunk = 1;
        let mut out = Vec::new();
        back.write_to(&mut out);
        assert!(
            Stsc::parse(&out[8..], 0)
                .unwrap_err()
                .to_string()
                .contains("does not follow")
        );
    }
}
