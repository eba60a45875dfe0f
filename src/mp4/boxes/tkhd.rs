//! `tkhd` (ISO/IEC 14496-12 §8.3.2): a track's id, duration and picture size.

use super::mvhd::UNITY_MATRIX;
use super::{Reader, full_box, write_full_box};
use crate::mp4::error::F4vError;

/// The track header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tkhd {
    /// Flags (1 enabled, 2 in movie, 4 in preview).
    pub flags: u32,
    /// The track id.
    pub track_id: u32,
    /// Duration in the movie timescale.
    pub duration: u64,
    /// 0x0100 for audio, 0 otherwise.
    pub volume: u16,
    /// Width in 16.16 fixed point.
    pub width: u32,
    /// Height in 16.16 fixed point.
    pub height: u32,
}

impl Tkhd {
    /// Parses the body (version 0 or 1).
    pub fn parse(body: &[u8], offset: u64) -> Result<Tkhd, F4vError> {
        let (version, flags, rest) = full_box(body, "tkhd", offset)?;
        let mut r = Reader::new(rest, "tkhd", offset);
        let (track_id, duration) = if version == 1 {
            r.bytes(16)?;
            let id = r.u32()?;
            r.bytes(4)?;
            (id, r.u64()?)
        } else {
            r.bytes(8)?;
            let id = r.u32()?;
            r.bytes(4)?;
            (id, u64::from(r.u32()?))
        };
        r.bytes(8 + 2 + 2)?; // reserved, layer, alternate_group
        let volume = r.u16()?;
        r.bytes(2 + 36)?;
        let width = r.u32()?;
        let height = r.u32()?;
        Ok(Tkhd {
            flags,
            track_id,
            duration,
            volume,
            width,
            height,
        })
    }

    /// Writes the whole box.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let v1 = self.duration > u64::from(u32::MAX);
        write_full_box(out, b"tkhd", u8::from(v1), self.flags, |o| {
            if v1 {
                o.extend_from_slice(&[0; 16]);
                o.extend_from_slice(&self.track_id.to_be_bytes());
                o.extend_from_slice(&[0; 4]);
                o.extend_from_slice(&self.duration.to_be_bytes());
            } else {
                o.extend_from_slice(&[0; 8]);
                o.extend_from_slice(&self.track_id.to_be_bytes());
                o.extend_from_slice(&[0; 4]);
                o.extend_from_slice(&(self.duration as u32).to_be_bytes());
            }
            o.extend_from_slice(&[0; 12]);
            o.extend_from_slice(&self.volume.to_be_bytes());
            o.extend_from_slice(&[0; 2]);
            for m in UNITY_MATRIX {
                o.extend_from_slice(&m.to_be_bytes());
            }
            o.extend_from_slice(&self.width.to_be_bytes());
            o.extend_from_slice(&self.height.to_be_bytes());
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let t = Tkhd {
            flags: 3,
            track_id: 2,
            duration: 12_345,
            volume: 0x0100,
            width: 1280 << 16,
            height: 720 << 16,
        };
        let mut out = Vec::new();
        t.write_to(&mut out);
        assert_eq!(Tkhd::parse(&out[8..], 0).unwrap(), t);
        assert!(Tkhd::parse(&out[8..40], 0).is_err());
    }
}
