//! `tfdt` (ISO/IEC 14496-12 §8.8.12): the decode time of a track fragment's first sample, so a
//! fragment can be decoded (and placed on the timeline) without the ones before it.

use super::{Reader, full_box, write_full_box};
use crate::mp4::error::F4vError;

/// Track fragment decode time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tfdt {
    /// Media timescale ticks.
    pub base_media_decode_time: u64,
}

impl Tfdt {
    /// Parses the body (version 0: 32 bits, version 1: 64 bits).
    pub fn parse(body: &[u8], offset: u64) -> Result<Tfdt, F4vError> {
        let (version, _, rest) = full_box(body, "tfdt", offset)?;
        let mut r = Reader::new(rest, "tfdt", offset);
        let base_media_decode_time = if version == 1 {
            r.u64()?
        } else {
            u64::from(r.u32()?)
        };
        Ok(Tfdt {
            base_media_decode_time,
        })
    }

    /// Writes the whole box, always version 1 (CMAF writers do: a 32-bit time at 90 kHz wraps
    /// after 13 hours).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        write_full_box(out, b"tfdt", 1, 0, |o| {
            o.extend_from_slice(&self.base_media_decode_time.to_be_bytes());
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_versions() {
        let t = Tfdt {
            base_media_decode_time: 1 << 35,
        };
        let mut out = Vec::new();
        t.write_to(&mut out);
        assert_eq!(Tfdt::parse(&out[8..], 0).unwrap(), t);
        let v0 = [0, 0, 0, 0, 0, 0, 1, 0];
        assert_eq!(Tfdt::parse(&v0, 0).unwrap().base_media_decode_time, 256);
        assert!(Tfdt::parse(&[1, 0, 0, 0, 1], 0).is_err());
    }
}
