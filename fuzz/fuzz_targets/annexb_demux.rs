//! Drains the raw H.264/HEVC Annex B demuxer (both codecs, lenient and strict) on arbitrary
//! bytes, and runs the Annex B detection on them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use muxkit::Demuxer;
use muxkit::annexb::{AnnexBCodec, AnnexBDemuxer, AnnexBReadOptions};
use muxkit::io::InputSource;

fuzz_target!(|data: &[u8]| {
    let bytes = bytes::Bytes::copy_from_slice(data);
    for codec in [AnnexBCodec::H264, AnnexBCodec::Hevc] {
        for strict in [false, true] {
            let options = AnnexBReadOptions { strict, framerate: None };
            if let Ok(mut d) = AnnexBDemuxer::new(InputSource::from_bytes(bytes.clone()), codec, options) {
                while let Ok(Some(p)) = d.next_packet() {
                    assert!(p.pts >= p.dts);
                }
                let _ = d.losses();
            }
        }
    }
    let _ = muxkit::annexb::detect(data);
});
