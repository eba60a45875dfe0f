//! `elst` (ISO/IEC 14496-12 §8.6.6): the edit list mapping the movie timeline onto a track's
//! media.

use super::{Reader, full_box, write_full_box};
use crate::mp4::error::F4vError;

/// One edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edit {
    /// Length in the movie timescale.
    pub segment_duration: u64,
    /// Where in the media it starts (media timescale); -1: an empty edit.
    pub media_time: i64,
    /// Playback rate (integer part; 1 for normal play).
    pub rate: i16,
}

/// The edit list.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Elst {
    /// The edits, in order.
    pub edits: Vec<Edit>,
}

impl Elst {
    /// Parses the body (version 0 or 1).
    pub fn parse(body: &[u8], offset: u64) -> Result<Elst, F4vError> {
        let (version, _, rest) = full_box(body, "elst", offset)?;
        let mut r = Reader::new(rest, "elst", offset);
        let each = if version == 1 { 20 } else { 12 };
        let n = r.count(each, "entry_count")?;
        let mut edits = Vec::with_capacity(n);
        for _ in 0..n {
            let (segment_duration, media_time) = if version == 1 {
                (r.u64()?, r.u64()? as i64)
            } else {
                (u64::from(r.u32()?), i64::from(r.u32()? as i32))
            };
            let rate = r.u16()? as i16;
            r.u16()?;
            edits.push(Edit {
                segment_duration,
                media_time,
                rate,
            });
        }
        Ok(Elst { edits })
    }

    /// Writes the whole box.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let v1 = self.edits.iter().any(|e| {
            e.segment_duration > u64::from(u32::MAX) || i32::try_from(e.media_time).is_err()
        });
        write_full_box(out, b"elst", u8::from(v1), 0, |o| {
            o.extend_from_slice(&(self.edits.len() as u32).to_be_bytes());
            for e in &self.edits {
                if v1 {
                    o.extend_from_slice(&e.segment_duration.to_be_bytes());
                    o.extend_from_slice(&e.media_time.to_be_bytes());
                } else {
                    o.extend_from_slice(&(e.segment_duration as u32).to_be_bytes());
                    o.extend_from_slice(&(e.media_time as i32).to_be_bytes());
                }
                o.extend_from_slice(&e.rate.to_be_bytes());
                o.extend_from_slice(&[0, 0]);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let e = Elst {
            edits: vec![
                Edit {
                    segment_duration: 1000,
                    media_time: -1,
                    rate: 1,
                },
                Edit {
                    segment_duration: 9000,
                    media_time: 1024,
                    rate: 1,
                },
            ],
        };
        let mut out = Vec::new();
        e.write_to(&mut out);
        assert_eq!(Elst::parse(&out[8..], 0).unwrap(), e);
        let big = Elst {
            edits: vec![Edit {
                segment_duration: 1 << 40,
                media_time: 5,
                rate: 1,
            }],
        };
        let mut out = Vec::new();
        big.write_to(&mut out);
        assert_eq!(out[8], 1);
        assert_eq!(Elst::parse(&out[8..], 0).unwrap(), big);
        // A count the box cannot hold.
        assert!(Elst::parse(&[0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF], 0).is_err());
    }
}
