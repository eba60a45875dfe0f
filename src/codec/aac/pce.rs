//! A program config element (ISO/IEC 14496-3 §4.4.1.1, §4.4.2.1) moved from the first raw
//! data block of an ADTS stream with `channel_configuration` 0 into an AudioSpecificConfig,
//! the form MP4 and FLV carry (what ffmpeg's `aac_adtstoasc` filter does).

use bytes::Bytes;

use super::AudioSpecificConfig;
use crate::codec::CodecError;
use crate::codec::bits::{BitReader, BitWriter};

const WHAT: &str = "program config element";

/// `id_syn_ele` of a program config element (Table 4.85: ID_PCE).
const ID_PCE: u8 = 5;

/// Copies `n` bits from `r` to `w`, returning them.
fn copy(r: &mut BitReader<'_>, w: &mut BitWriter, n: u32) -> Result<u32, CodecError> {
    let v = r.read_bits(n)?;
    w.write_bits(n, v);
    Ok(v)
}

/// When `raw` (a raw data block, byte-aligned at its start) begins with a program config
/// element: the AudioSpecificConfig (object type 1..=4, `sampling_index`, channel
/// configuration 0, the PCE in its GASpecificConfig) and the bytes the element takes in
/// `raw`. The element ends byte-aligned (its comment field follows a `byte_alignment()`), so
/// the rest of the block starts at that byte.
///
/// `Ok(None)` when the block does not start with a PCE.
pub fn asc_from_leading_pce(
    object_type: u8,
    sampling_index: u8,
    raw: &[u8],
) -> Result<Option<(AudioSpecificConfig, usize)>, CodecError> {
    let mut r = BitReader::new(raw, WHAT);
    if r.read_u8(3)? != ID_PCE {
        return Ok(None);
    }
    let mut w = BitWriter::new();
    w.write_bits(5, object_type.into());
    w.write_bits(4, sampling_index.into());
    w.write_bits(4, 0); // channelConfiguration: the PCE says
    w.write_bits(3, 0); // frameLengthFlag, dependsOnCoreCoder, extensionFlag
    copy(&mut r, &mut w, 4 + 2 + 4)?; // element_instance_tag, object_type, sf index
    let front = copy(&mut r, &mut w, 4)?;
    let side = copy(&mut r, &mut w, 4)?;
    let back = copy(&mut r, &mut w, 4)?;
    let lfe = copy(&mut r, &mut w, 2)?;
    let assoc = copy(&mut r, &mut w, 3)?;
    let cc = copy(&mut r, &mut w, 4)?;
    for extra in [4, 4, 3] {
        // mono mixdown, stereo mixdown, matrix mixdown (index + pseudo surround)
        if copy(&mut r, &mut w, 1)? == 1 {
            copy(&mut r, &mut w, extra)?;
        }
    }
    for (count, bits) in [(front + side + back, 5), (lfe, 4), (assoc, 4), (cc, 5)] {
        for _ in 0..count {
            copy(&mut r, &mut w, bits)?;
        }
    }
    // byte_alignment(): relative to the raw data block here, to the config there.
    r.byte_align();
    w.byte_align();
    let comment = copy(&mut r, &mut w, 8)?;
    for _ in 0..comment {
        copy(&mut r, &mut w, 8)?;
    }
    let len = r.byte_offset();
    let asc = AudioSpecificConfig::parse_bytes(&Bytes::from(w.into_bytes()))?;
    Ok(Some((asc, len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffmpeg_21_layout_pce() {
        // The start of the first raw data block of ffmpeg 5.1's 2.1 AAC in ADTS
        // (testdata/adts_pce_21.aac): a PCE, then the elements that follow it.
        let raw = [
            0xA0, 0x98, 0x80, 0x20, 0x04, 0x00, 0x04, b'L', b'a', b'v', b'c',
        ];
        let (asc, len) = asc_from_leading_pce(2, 3, &raw).unwrap().unwrap();
        assert_eq!(asc.channel_config, 0);
        assert_eq!(asc.sample_rate, 48000);
        assert_eq!(asc.channels(), Some(3));
        assert!(len <= raw.len());
        assert!(asc_from_leading_pce(2, 3, &[0x20, 0, 0]).unwrap().is_none());
        assert!(asc_from_leading_pce(2, 3, &[0xA0]).is_err());
    }
}
