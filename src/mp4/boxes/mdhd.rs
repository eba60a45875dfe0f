//! `mdhd` (ISO/IEC 14496-12 §8.4.2): a track's media timescale, duration and language.

use super::{Reader, full_box, header_times, write_full_box};
use crate::mp4::error::F4vError;

/// The media header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mdhd {
    /// Ticks per second of the track's samples: the track's time base.
    pub timescale: u32,
    /// Duration in `timescale` ticks.
    pub duration: u64,
    /// ISO 639-2/T language, three lowercase letters (`und`).
    pub language: [u8; 3],
}

impl Mdhd {
    /// Parses the body (version 0 or 1).
    pub fn parse(body: &[u8], offset: u64) -> Result<Mdhd, F4vError> {
        let (version, _, rest) = full_box(body, "mdhd", offset)?;
        let mut r = Reader::new(rest, "mdhd", offset);
        let (timescale, duration) = header_times(&mut r, version)?;
        let l = r.u16()?;
        if timescale == 0 {
            return Err(F4vError::invalid("mdhd", offset, "timescale 0"));
        }
        let c = |shift: u16| (((l >> shift) & 0x1F) as u8).wrapping_add(0x60);
        Ok(Mdhd {
            timescale,
            duration,
            language: [c(10), c(5), c(0)],
        })
    }

    /// Writes the whole box.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let v1 = self.duration > u64::from(u32::MAX);
        write_full_box(out, b"mdhd", u8::from(v1), 0, |o| {
            if v1 {
                o.extend_from_slice(&[0; 16]);
                o.extend_from_slice(&self.timescale.to_be_bytes());
                o.extend_from_slice(&self.duration.to_be_bytes());
            } else {
                o.extend_from_slice(&[0; 8]);
                o.extend_from_slice(&self.timescale.to_be_bytes());
                o.extend_from_slice(&(self.duration as u32).to_be_bytes());
            }
            let c = |i: usize| u16::from(self.language[i].wrapping_sub(0x60) & 0x1F);
            o.extend_from_slice(&((c(0) << 10) | (c(1) << 5) | c(2)).to_be_bytes());
            o.extend_from_slice(&[0, 0]);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let m = Mdhd {
            timescale: 44100,
            duration: 441_000,
            language: *b"und",
        };
        let mut out = Vec::new();
        m.write_to(&mut out);
        assert_eq!(Mdhd::parse(&out[8..], 0).unwrap(), m);
        assert!(Mdhd::parse(&out[8..20], 0).is_err());
    }
}
