//! `sidx` (ISO/IEC 14496-12 §8.16.3): a segment index, the byte size and duration of each
//! subsegment (DASH on-demand profiles and single-file HLS put one before the fragments).

use super::{Reader, full_box};
use crate::mp4::error::F4vError;

/// One reference of a segment index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SidxReference {
    /// The reference points at another `sidx`, not at media.
    pub references_index: bool,
    /// Bytes of the referenced subsegment.
    pub referenced_size: u32,
    /// Its duration, in the index's timescale.
    pub subsegment_duration: u32,
    /// It starts with a stream access point.
    pub starts_with_sap: bool,
    /// The SAP type (1: a sync sample, 2: one with leading pictures, ...).
    pub sap_type: u8,
}

/// Segment index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sidx {
    /// The track (stream) the index times.
    pub reference_id: u32,
    /// Ticks per second of the times below.
    pub timescale: u32,
    /// Presentation time of the first subsegment.
    pub earliest_presentation_time: u64,
    /// Bytes from the end of this box to the first subsegment.
    pub first_offset: u64,
    /// The subsegments, in order.
    pub references: Vec<SidxReference>,
}

impl Sidx {
    /// Parses the body; the reference count is checked against the box before anything is
    /// reserved.
    pub fn parse(body: &[u8], offset: u64) -> Result<Sidx, F4vError> {
        let (version, _, rest) = full_box(body, "sidx", offset)?;
        let mut r = Reader::new(rest, "sidx", offset);
        let reference_id = r.u32()?;
        let timescale = r.u32()?;
        let (earliest_presentation_time, first_offset) = if version == 0 {
            (u64::from(r.u32()?), u64::from(r.u32()?))
        } else {
            (r.u64()?, r.u64()?)
        };
        r.u16()?; // reserved
        let n = usize::from(r.u16()?);
        if n * 12 > r.remaining() {
            return Err(F4vError::invalid(
                "sidx",
                offset,
                format!(
                    "reference_count {n} needs {} bytes, the box has {}",
                    n * 12,
                    r.remaining()
                ),
            ));
        }
        let mut references = Vec::with_capacity(n);
        for _ in 0..n {
            let a = r.u32()?;
            let subsegment_duration = r.u32()?;
            let c = r.u32()?;
            references.push(SidxReference {
                references_index: a >> 31 == 1,
                referenced_size: a & 0x7FFF_FFFF,
                subsegment_duration,
                starts_with_sap: c >> 31 == 1,
                sap_type: ((c >> 28) & 7) as u8,
            });
        }
        Ok(Sidx {
            reference_id,
            timescale,
            earliest_presentation_time,
            first_offset,
            references,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_references_and_refuses_counts_the_box_cannot_hold() {
        let mut b = vec![0, 0, 0, 0];
        for v in [1u32, 1000, 0, 0] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.extend_from_slice(&[0, 0, 0, 1]);
        for v in [5000u32, 2000, 0x9000_0000] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        let s = Sidx::parse(&b, 0).unwrap();
        assert_eq!(s.references.len(), 1);
        let r = s.references[0];
        assert_eq!(
            (
                r.referenced_size,
                r.subsegment_duration,
                r.starts_with_sap,
                r.sap_type
            ),
            (5000, 2000, true, 1)
        );
        // 65535 references claimed in a 40-byte box.
        let mut h = b[..20].to_vec();
        h.extend_from_slice(&[0, 0, 0xFF, 0xFF]);
        h.resize(32, 0);
        let e = Sidx::parse(&h, 90).unwrap_err().to_string();
        assert!(
            e.contains("reference_count 65535") && e.contains("90"),
            "{e}"
        );
    }
}
