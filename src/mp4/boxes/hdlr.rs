//! `hdlr` (ISO/IEC 14496-12 §8.4.3): what kind of media a track holds.

use super::{BoxType, Reader, full_box, write_full_box};
use crate::mp4::error::F4vError;

/// The handler reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hdlr {
    /// `vide`, `soun`, `hint`, `meta`, ...
    pub handler_type: BoxType,
    /// A human-readable name.
    pub name: String,
}

impl Hdlr {
    /// Parses the body.
    pub fn parse(body: &[u8], offset: u64) -> Result<Hdlr, F4vError> {
        let (_, _, rest) = full_box(body, "hdlr", offset)?;
        let mut r = Reader::new(rest, "hdlr", offset);
        r.u32()?;
        let t = r.bytes(4)?;
        r.bytes(12)?;
        let name_bytes = r.bytes(r.remaining())?;
        let end = name_bytes
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(name_bytes.len());
        Ok(Hdlr {
            handler_type: BoxType([t[0], t[1], t[2], t[3]]),
            name: String::from_utf8_lossy(&name_bytes[..end]).into_owned(),
        })
    }

    /// Writes the whole box.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        write_full_box(out, b"hdlr", 0, 0, |o| {
            o.extend_from_slice(&[0; 4]);
            o.extend_from_slice(&self.handler_type.0);
            o.extend_from_slice(&[0; 12]);
            o.extend_from_slice(self.name.as_bytes());
            o.push(0);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let h = Hdlr {
            handler_type: BoxType(*b"vide"),
            name: "VideoHandler".into(),
        };
        let mut out = Vec::new();
        h.write_to(&mut out);
        assert_eq!(Hdlr::parse(&out[8..], 0).unwrap(), h);
    }
}
