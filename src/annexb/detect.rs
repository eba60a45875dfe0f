//! Recognising a raw H.264 or HEVC Annex B stream by its first bytes.
//!
//! The input must start with a start code (`00 00 01`, after any number of zero bytes up to
//! [`MAX_LEADING_ZEROS`]) whose NAL unit header is one a stream begins with, and a second start
//! code must follow within the probed bytes, its header valid for the same codec.
//!
//! H.264 or HEVC is decided by the first header alone, which never fits both:
//! - H.264: forbidden bit 0, `nal_unit_type` in {1, 5, 6, 7, 8, 9}, with `nal_ref_idc` non-zero
//!   for IDR slices and parameter sets and zero for SEI and AUD (§7.4.1). So `67`/`27`/`47`
//!   (SPS), `68` (PPS), `09` (AUD), `06` (SEI), `65` (IDR), `41`/`21`/`01` (slice).
//! - HEVC: forbidden bit 0, `nal_unit_type` VPS/SPS/PPS/AUD/prefix SEI (32..=35, 39),
//!   `nuh_layer_id` 0, `nuh_temporal_id_plus1` > 0: `40 01`, `42 01`, `44 01`, `46 01`,
//!   `4E 01`. Read as H.264, these first bytes have types 0, 2, 4, 6 (with nal_ref_idc 2,
//!   which SEI may not have) and 14: none is accepted; read as HEVC, every accepted H.264
//!   byte has a type outside the HEVC set. No first header is accepted by both tests.
//!
//! Other formats: MPEG-PS and MPEG-1/2/4 video start codes (`00 00 01 BA`, `B3`, `B0`) have the
//! forbidden bit set; an MP4 box of size 1 (`00 00 00 01 'mdat'`) has a first "header" byte of
//! `'m'`/`'f'`/`'w'`/`'s'`, none accepted; TS, FLV and MP3 do not start with zero bytes.

/// Zero bytes accepted before the first start code (`leading_zero_8bits`, Annex B.1).
pub const MAX_LEADING_ZEROS: usize = 16;

/// The codec of a raw stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnexBCodec {
    /// H.264 / AVC.
    H264,
    /// H.265 / HEVC.
    Hevc,
}

fn h264_header_ok(b: u8, first: bool) -> bool {
    let (forbidden, ref_idc, t) = (b & 0x80, (b >> 5) & 3, b & 0x1F);
    if forbidden != 0 {
        return false;
    }
    match t {
        5 | 7 | 8 => ref_idc != 0,
        6 | 9 => ref_idc == 0,
        1 => true,
        // After the first unit, anything in the spec's range.
        _ => !first && (1..=23).contains(&t),
    }
}

fn hevc_header_ok(h: &[u8], first: bool) -> bool {
    let [b0, b1, ..] = *h else {
        return false;
    };
    let t = (b0 >> 1) & 0x3F;
    let layer = ((b0 & 1) << 5) | (b1 >> 3);
    if b0 & 0x80 != 0 || layer != 0 || b1 & 7 == 0 {
        return false;
    }
    if first {
        matches!(t, 32..=35 | 39)
    } else {
        t <= 40
    }
}

/// The codec of a raw Annex B stream starting at `head[0]`, when it looks like one.
pub fn detect(head: &[u8]) -> Option<AnnexBCodec> {
    let zeros = head.iter().take_while(|&&b| b == 0).count();
    if !(2..=MAX_LEADING_ZEROS).contains(&zeros) || head.get(zeros) != Some(&1) {
        return None;
    }
    let first = head.get(zeros + 1..)?;
    let codec = if hevc_header_ok(first, true) {
        AnnexBCodec::Hevc
    } else if h264_header_ok(*first.first()?, true) {
        AnnexBCodec::H264
    } else {
        return None;
    };
    let at = memchr::memmem::find(first, &[0, 0, 1])?;
    let second = first.get(at + 3..)?;
    let ok = match codec {
        AnnexBCodec::Hevc => hevc_header_ok(second, false),
        AnnexBCodec::H264 => second.first().is_some_and(|&b| h264_header_ok(b, false)),
    };
    ok.then_some(codec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h264_and_hevc_starts() {
        let h264 = b"\0\0\0\x01\x67\x64\x00\x1f\xac\0\0\x01\x68\xeb\xe3\xcb";
        assert_eq!(detect(h264), Some(AnnexBCodec::H264));
        let aud = b"\0\0\0\x01\x09\xf0\0\0\0\x01\x67\x42";
        assert_eq!(detect(aud), Some(AnnexBCodec::H264));
        let hevc = b"\0\0\0\x01\x40\x01\x0c\x01\xff\xff\0\0\0\x01\x42\x01\x01";
        assert_eq!(detect(hevc), Some(AnnexBCodec::Hevc));
        let hevc_aud = b"\0\0\x01\x46\x01\x10\0\0\x01\x40\x01";
        assert_eq!(detect(hevc_aud), Some(AnnexBCodec::Hevc));
        // No second start code; not a NAL header; MPEG-PS; MP4 box of size 1; HEVC layer 1.
        assert_eq!(detect(b"\0\0\0\x01\x67\x64\x00\x1f"), None);
        assert_eq!(detect(b"\0\0\0\x01\x1f\x64\0\0\x01\x68"), None);
        assert_eq!(detect(b"\0\0\x01\xba\x44\0\0\x01\xbb"), None);
        assert_eq!(detect(b"\0\0\0\x01mdat\0\0\x01\x68\0\0\0\0"), None);
        assert_eq!(detect(b"\0\0\0\x01ftypisom\0\0\x01\x68"), None);
        assert_eq!(detect(b"\0\0\x01\x40\x09\0\0\x01\x42\x01"), None);
        assert_eq!(detect(b"\0\0\x01"), None);
        assert_eq!(detect(b""), None);
    }
}
