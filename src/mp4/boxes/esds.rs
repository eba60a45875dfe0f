//! `esds` (ISO/IEC 14496-14 §3.1.2, descriptors of 14496-1 §7.2.6): an MPEG-4 audio track's
//! object type and decoder-specific info (the AAC AudioSpecificConfig).

use bytes::Bytes;

use super::{Reader, full_box, write_full_box};
use crate::mp4::error::F4vError;

/// Object type indications muxkit writes and reads.
pub mod oti {
    /// MPEG-4 audio (AAC).
    pub const MPEG4_AUDIO: u8 = 0x40;
    /// MPEG-2 audio (MP3 at MPEG-2/2.5 rates).
    pub const MPEG2_AUDIO: u8 = 0x69;
    /// MPEG-1 audio (MP3).
    pub const MPEG1_AUDIO: u8 = 0x6B;
}

/// The elementary stream descriptor, reduced to what a remux needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Esds {
    /// objectTypeIndication.
    pub object_type: u8,
    /// Average and maximum bit rates (bits per second; 0 if unknown).
    pub avg_bitrate: u32,
    /// Maximum bit rate.
    pub max_bitrate: u32,
    /// The decoder-specific info (AudioSpecificConfig for AAC).
    pub decoder_specific: Bytes,
}

/// Reads a descriptor tag and its expandable length (1 to 4 bytes of 7 bits).
fn descriptor(r: &mut Reader<'_>) -> Result<(u8, usize), F4vError> {
    let tag = r.u8()?;
    let mut len = 0usize;
    for _ in 0..4 {
        let b = r.u8()?;
        len = (len << 7) | usize::from(b & 0x7F);
        if b & 0x80 == 0 {
            break;
        }
    }
    Ok((tag, len))
}

fn put_descriptor(out: &mut Vec<u8>, tag: u8, body: &[u8]) {
    out.push(tag);
    let n = body.len();
    // Four length bytes, as most writers do (always valid).
    out.extend_from_slice(&[
        0x80 | ((n >> 21) & 0x7F) as u8,
        0x80 | ((n >> 14) & 0x7F) as u8,
        0x80 | ((n >> 7) & 0x7F) as u8,
        (n & 0x7F) as u8,
    ]);
    out.extend_from_slice(body);
}

impl Esds {
    /// Parses the body.
    pub fn parse(body: &[u8], offset: u64) -> Result<Esds, F4vError> {
        let (_, _, rest) = full_box(body, "esds", offset)?;
        let mut r = Reader::new(rest, "esds", offset);
        let (tag, _) = descriptor(&mut r)?;
        if tag != 3 {
            return Err(F4vError::invalid(
                "esds",
                offset,
                format!("descriptor tag {tag}, expected ES_Descriptor (3)"),
            ));
        }
        r.u16()?;
        let flags = r.u8()?;
        if flags & 0x80 != 0 {
            r.u16()?;
        }
        if flags & 0x40 != 0 {
            let n = r.u8()?;
            r.bytes(usize::from(n))?;
        }
        if flags & 0x20 != 0 {
            r.u16()?;
        }
        let (tag, _) = descriptor(&mut r)?;
        if tag != 4 {
            return Err(F4vError::invalid(
                "esds",
                offset,
                format!("descriptor tag {tag}, expected DecoderConfigDescriptor (4)"),
            ));
        }
        let object_type = r.u8()?;
        r.bytes(4)?; // stream type, upstream, buffer size
        let max_bitrate = r.u32()?;
        let avg_bitrate = r.u32()?;
        let mut decoder_specific = Bytes::new();
        if r.remaining() > 0 {
            let (tag, len) = descriptor(&mut r)?;
            if tag == 5 {
                decoder_specific = Bytes::copy_from_slice(r.bytes(len)?);
            }
        }
        Ok(Esds {
            object_type,
            avg_bitrate,
            max_bitrate,
            decoder_specific,
        })
    }

    /// Writes the whole box (ES_ID 0 as ISO/IEC 14496-14 asks, an SL descriptor predefined 2).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        write_full_box(out, b"esds", 0, 0, |o| {
            let mut dcd = vec![self.object_type, (5 << 2) | 1, 0, 0, 0];
            dcd.extend_from_slice(&self.max_bitrate.to_be_bytes());
            dcd.extend_from_slice(&self.avg_bitrate.to_be_bytes());
            if !self.decoder_specific.is_empty() {
                put_descriptor(&mut dcd, 5, &self.decoder_specific);
            }
            let mut es = vec![0, 0, 0];
            put_descriptor(&mut es, 4, &dcd);
            put_descriptor(&mut es, 6, &[2]);
            put_descriptor(o, 3, &es);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_aac_and_mp3() {
        for e in [
            Esds {
                object_type: oti::MPEG4_AUDIO,
                avg_bitrate: 96000,
                max_bitrate: 128000,
                decoder_specific: Bytes::from_static(&[0x12, 0x10]),
            },
            Esds {
                object_type: oti::MPEG1_AUDIO,
                avg_bitrate: 0,
                max_bitrate: 0,
                decoder_specific: Bytes::new(),
            },
        ] {
            let mut out = Vec::new();
            e.write_to(&mut out);
            assert_eq!(Esds::parse(&out[8..], 0).unwrap(), e);
        }
        // ffmpeg's esds for AAC-LC 44.1 kHz stereo (one-byte lengths).
        let ff = [
            0, 0, 0, 0, 3, 25, 0, 1, 0, 4, 17, 0x40, 0x15, 0, 0, 0, 0, 1, 0xF4, 0, 0, 1, 0x77,
            0x28, 5, 2, 0x12, 0x10, 6, 1, 2,
        ];
        let e = Esds::parse(&ff, 0).unwrap();
        assert_eq!(
            (e.object_type, &e.decoder_specific[..]),
            (0x40, &[0x12, 0x10][..])
        );
    }
}
