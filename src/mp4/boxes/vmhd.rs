//! `vmhd`, `smhd` (ISO/IEC 14496-12 §12.1.2, §12.2.2) and `dref` (§8.7.2): the fixed media
//! information boxes every track needs. Their content carries nothing a remux uses; they are
//! checked for shape and written as every muxer writes them.

use super::{full_box, write_box, write_full_box};
use crate::mp4::error::F4vError;

/// Writes `vmhd` (graphics mode copy, flags 1 as the spec requires).
pub fn write_vmhd(out: &mut Vec<u8>) {
    write_full_box(out, b"vmhd", 0, 1, |o| o.extend_from_slice(&[0; 8]));
}

/// Writes `smhd` (balance 0).
pub fn write_smhd(out: &mut Vec<u8>) {
    write_full_box(out, b"smhd", 0, 0, |o| o.extend_from_slice(&[0; 4]));
}

/// Writes `dinf` with a `dref` of one self-contained `url ` entry (the data is in this file).
pub fn write_dinf(out: &mut Vec<u8>) {
    write_box(out, b"dinf", |d| {
        write_full_box(d, b"dref", 0, 0, |r| {
            r.extend_from_slice(&1u32.to_be_bytes());
            write_full_box(r, b"url ", 0, 1, |_| {});
        });
    });
}

/// Checks a `dref` body: entries the box can hold. Returns the entry count.
pub fn parse_dref(body: &[u8], offset: u64) -> Result<u32, F4vError> {
    let (_, _, rest) = full_box(body, "dref", offset)?;
    let n = rest
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| F4vError::truncated("dref entry_count", offset))?;
    if u64::from(n) * 12 > rest.len() as u64 {
        return Err(F4vError::invalid(
            "dref",
            offset,
            format!("entry_count {n} does not fit"),
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_boxes_read_back() {
        let mut v = Vec::new();
        write_vmhd(&mut v);
        assert_eq!((v.len(), &v[4..8], v[11]), (20, &b"vmhd"[..], 1));
        let mut s = Vec::new();
        write_smhd(&mut s);
        assert_eq!(s.len(), 16);
        let mut d = Vec::new();
        write_dinf(&mut d);
        assert_eq!(&d[12..16], b"dref");
        assert_eq!(parse_dref(&d[16..], 8).unwrap(), 1);
        assert!(parse_dref(&[0, 0, 0, 0, 0, 0, 1, 0], 0).is_err());
    }
}
