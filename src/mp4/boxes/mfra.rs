//! `mfra` children (ISO/IEC 14496-12 §8.8.9-8.8.11): `tfra`, the random access points of a
//! track (time and `moof` offset), and `mfro`, the size of the whole `mfra` (found by reading
//! the file's last 16 bytes).

use super::{Reader, full_box};
use crate::mp4::error::F4vError;

/// One random access point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TfraEntry {
    /// Presentation time (media timescale).
    pub time: u64,
    /// File offset of the `moof` holding it.
    pub moof_offset: u64,
}

/// Track fragment random access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tfra {
    /// The track.
    pub track_id: u32,
    /// Its random access points.
    pub entries: Vec<TfraEntry>,
}

impl Tfra {
    /// Parses the body; the entry count is checked against the box first.
    pub fn parse(body: &[u8], offset: u64) -> Result<Tfra, F4vError> {
        let (version, _, rest) = full_box(body, "tfra", offset)?;
        let mut r = Reader::new(rest, "tfra", offset);
        let track_id = r.u32()?;
        let sizes = r.u32()?;
        let (traf, trun, sample) = (
            ((sizes >> 4) & 3) as usize + 1,
            ((sizes >> 2) & 3) as usize + 1,
            (sizes & 3) as usize + 1,
        );
        let times = if version == 1 { 16 } else { 8 };
        let n = r.count(times + traf + trun + sample, "number_of_entry")?;
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            let (time, moof_offset) = if version == 1 {
                (r.u64()?, r.u64()?)
            } else {
                (u64::from(r.u32()?), u64::from(r.u32()?))
            };
            r.bytes(traf + trun + sample)?;
            entries.push(TfraEntry { time, moof_offset });
        }
        Ok(Tfra { track_id, entries })
    }
}

/// The `mfro` body: the size of the enclosing `mfra`.
pub fn parse_mfro(body: &[u8], offset: u64) -> Result<u32, F4vError> {
    let (_, _, rest) = full_box(body, "mfro", offset)?;
    Reader::new(rest, "mfro", offset).u32()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_versions_and_hostile_counts() {
        let mut v0 = vec![0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1];
        v0.extend_from_slice(&[0, 0, 0x10, 0, 0, 0, 0x20, 0, 1, 1, 1]);
        let t = Tfra::parse(&v0, 0).unwrap();
        assert_eq!(t.track_id, 2);
        assert_eq!(
            t.entries,
            [TfraEntry {
                time: 0x1000,
                moof_offset: 0x2000
            }]
        );
        let mut bad = v0[..12].to_vec();
        bad.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
        assert!(Tfra::parse(&bad, 0).is_err());
        assert_eq!(parse_mfro(&[0, 0, 0, 0, 0, 0, 1, 0], 0).unwrap(), 256);
    }
}
