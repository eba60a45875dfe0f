//! `mvex` children (ISO/IEC 14496-12 §8.8.2, §8.8.3): `mehd`, the whole fragmented movie's
//! duration, and `trex`, each track's default sample values for its fragments.

use super::{Reader, full_box, write_full_box};
use crate::mp4::error::F4vError;

/// Track extends: what a `trun` sample without its own value takes (after `tfhd`'s defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Trex {
    /// The track these defaults are for.
    pub track_id: u32,
    /// Default sample description index (1-based).
    pub default_sample_description_index: u32,
    /// Default duration, media timescale.
    pub default_sample_duration: u32,
    /// Default size in bytes.
    pub default_sample_size: u32,
    /// Default sample flags ([`super::trun::SampleFlags`]).
    pub default_sample_flags: u32,
}

impl Trex {
    /// Parses the body.
    pub fn parse(body: &[u8], offset: u64) -> Result<Trex, F4vError> {
        let (_, _, rest) = full_box(body, "trex", offset)?;
        let mut r = Reader::new(rest, "trex", offset);
        Ok(Trex {
            track_id: r.u32()?,
            default_sample_description_index: r.u32()?,
            default_sample_duration: r.u32()?,
            default_sample_size: r.u32()?,
            default_sample_flags: r.u32()?,
        })
    }

    /// Writes the whole box.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        write_full_box(out, b"trex", 0, 0, |o| {
            for v in [
                self.track_id,
                self.default_sample_description_index,
                self.default_sample_duration,
                self.default_sample_size,
                self.default_sample_flags,
            ] {
                o.extend_from_slice(&v.to_be_bytes());
            }
        });
    }
}

/// Movie extends header: the duration of the whole fragmented movie (movie timescale), when
/// its writer knew it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mehd {
    /// The duration.
    pub fragment_duration: u64,
}

impl Mehd {
    /// Parses the body.
    pub fn parse(body: &[u8], offset: u64) -> Result<Mehd, F4vError> {
        let (version, _, rest) = full_box(body, "mehd", offset)?;
        let mut r = Reader::new(rest, "mehd", offset);
        let fragment_duration = if version == 1 {
            r.u64()?
        } else {
            u64::from(r.u32()?)
        };
        Ok(Mehd { fragment_duration })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trex_round_trips_and_mehd_reads_both_versions() {
        let t = Trex {
            track_id: 2,
            default_sample_description_index: 1,
            default_sample_duration: 1024,
            default_sample_size: 7,
            default_sample_flags: 0x0101_0000,
        };
        let mut out = Vec::new();
        t.write_to(&mut out);
        assert_eq!(Trex::parse(&out[8..], 0).unwrap(), t);
        assert!(Trex::parse(&out[8..20], 0).is_err());
        let v0 = [0, 0, 0, 0, 0, 0, 0x10, 0];
        assert_eq!(Mehd::parse(&v0, 0).unwrap().fragment_duration, 4096);
        let mut v1 = vec![1, 0, 0, 0];
        v1.extend_from_slice(&(1u64 << 40).to_be_bytes());
        assert_eq!(Mehd::parse(&v1, 0).unwrap().fragment_duration, 1 << 40);
    }
}
