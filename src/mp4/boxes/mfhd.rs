//! `mfhd` (ISO/IEC 14496-12 §8.8.5): a movie fragment's sequence number.

use super::{Reader, full_box, write_full_box};
use crate::mp4::error::F4vError;

/// Movie fragment header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mfhd {
    /// Increases by one (usually) from fragment to fragment.
    pub sequence_number: u32,
}

impl Mfhd {
    /// Parses the body.
    pub fn parse(body: &[u8], offset: u64) -> Result<Mfhd, F4vError> {
        let (_, _, rest) = full_box(body, "mfhd", offset)?;
        Ok(Mfhd {
            sequence_number: Reader::new(rest, "mfhd", offset).u32()?,
        })
    }

    /// Writes the whole box.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        write_full_box(out, b"mfhd", 0, 0, |o| {
            o.extend_from_slice(&self.sequence_number.to_be_bytes());
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let m = Mfhd { sequence_number: 9 };
        let mut out = Vec::new();
        m.write_to(&mut out);
        assert_eq!(Mfhd::parse(&out[8..], 0).unwrap(), m);
        assert!(Mfhd::parse(&out[8..10], 0).is_err());
    }
}
