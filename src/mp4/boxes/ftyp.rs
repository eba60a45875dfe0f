//! `ftyp` (ISO/IEC 14496-12 §4.3): the file's brands.

use super::{BoxType, Reader, write_box};
use crate::mp4::error::F4vError;

/// The file type box.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ftyp {
    /// The major brand (`isom`, `mp42`, `f4v `).
    pub major_brand: BoxType,
    /// Its version.
    pub minor_version: u32,
    /// Brands the file is compatible with.
    pub compatible: Vec<BoxType>,
}

impl Ftyp {
    /// Parses the body.
    pub fn parse(body: &[u8], offset: u64) -> Result<Ftyp, F4vError> {
        let mut r = Reader::new(body, "ftyp", offset);
        let b = r.bytes(4)?;
        let major_brand = BoxType([b[0], b[1], b[2], b[3]]);
        let minor_version = r.u32()?;
        let compatible = r
            .bytes(r.remaining() / 4 * 4)?
            .chunks_exact(4)
            .map(|c| BoxType([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(Ftyp {
            major_brand,
            minor_version,
            compatible,
        })
    }

    /// Writes the whole box.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        write_box(out, b"ftyp", |o| {
            o.extend_from_slice(&self.major_brand.0);
            o.extend_from_slice(&self.minor_version.to_be_bytes());
            for b in &self.compatible {
                o.extend_from_slice(&b.0);
            }
        });
    }

    /// Whether the file says it is an F4V (major or compatible brand `f4v `).
    pub fn is_f4v(&self) -> bool {
        self.major_brand.0 == *b"f4v " || self.compatible.iter().any(|b| b.0 == *b"f4v ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let f = Ftyp {
            major_brand: BoxType(*b"f4v "),
            minor_version: 0,
            compatible: vec![BoxType(*b"isom"), BoxType(*b"mp42"), BoxType(*b"m4v ")],
        };
        let mut out = Vec::new();
        f.write_to(&mut out);
        assert_eq!(Ftyp::parse(&out[8..], 0).unwrap(), f);
        assert!(f.is_f4v());
        assert!(Ftyp::parse(&[1, 2], 0).is_err());
    }
}
