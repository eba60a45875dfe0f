//! `mvhd` (ISO/IEC 14496-12 §8.2.2): the movie's timescale and duration.

use super::{Reader, full_box, header_times, write_full_box};
use crate::mp4::error::F4vError;

/// The 3x3 identity matrix in 16.16/2.30 fixed point, as every writer puts it.
pub(crate) const UNITY_MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

/// The movie header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mvhd {
    /// Ticks per second of the movie timeline (edit lists, track durations).
    pub timescale: u32,
    /// Duration in `timescale` ticks.
    pub duration: u64,
    /// The next free track id.
    pub next_track_id: u32,
}

impl Mvhd {
    /// Parses the body (version 0 or 1).
    pub fn parse(body: &[u8], offset: u64) -> Result<Mvhd, F4vError> {
        let (version, _, rest) = full_box(body, "mvhd", offset)?;
        let mut r = Reader::new(rest, "mvhd", offset);
        let (timescale, duration) = header_times(&mut r, version)?;
        // rate, volume, reserved, matrix, pre_defined.
        r.bytes(4 + 2 + 10 + 36 + 24)?;
        let next_track_id = r.u32()?;
        if timescale == 0 {
            return Err(F4vError::invalid("mvhd", offset, "timescale 0"));
        }
        Ok(Mvhd {
            timescale,
            duration,
            next_track_id,
        })
    }

    /// Writes the whole box (version 1 when the duration needs 64 bits).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let v1 = self.duration > u64::from(u32::MAX);
        write_full_box(out, b"mvhd", u8::from(v1), 0, |o| {
            if v1 {
                o.extend_from_slice(&[0; 16]);
                o.extend_from_slice(&self.timescale.to_be_bytes());
                o.extend_from_slice(&self.duration.to_be_bytes());
            } else {
                o.extend_from_slice(&[0; 8]);
                o.extend_from_slice(&self.timescale.to_be_bytes());
                o.extend_from_slice(&(self.duration as u32).to_be_bytes());
            }
            o.extend_from_slice(&0x0001_0000u32.to_be_bytes()); // rate 1.0
            o.extend_from_slice(&0x0100u16.to_be_bytes()); // volume 1.0
            o.extend_from_slice(&[0; 10]);
            for m in UNITY_MATRIX {
                o.extend_from_slice(&m.to_be_bytes());
            }
            o.extend_from_slice(&[0; 24]);
            o.extend_from_slice(&self.next_track_id.to_be_bytes());
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_v0_and_v1() {
        for duration in [90_000u64, 1 << 40] {
            let m = Mvhd {
                timescale: 1000,
                duration,
                next_track_id: 3,
            };
            let mut out = Vec::new();
            m.write_to(&mut out);
            assert_eq!(Mvhd::parse(&out[8..], 0).unwrap(), m);
        }
        assert!(Mvhd::parse(&[0; 20], 0).is_err());
    }
}
