//! Drains the ADTS demuxer (lenient and strict) on arbitrary bytes, and runs the ADTS probe
//! and the raw-block splitter on them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use muxkit::Demuxer;
use muxkit::adts::{AdtsDemuxer, AdtsReadOptions};
use muxkit::io::InputSource;

fuzz_target!(|data: &[u8]| {
    let bytes = bytes::Bytes::copy_from_slice(data);
    for strict in [false, true] {
        if let Ok(mut d) = AdtsDemuxer::new(InputSource::from_bytes(bytes.clone()), AdtsReadOptions { strict }) {
            while let Ok(Some(_)) = d.next_packet() {}
            let _ = d.losses();
        }
    }
    let _ = muxkit::adts::looks_like_adts(data);
    if let Ok(h) = muxkit::codec::aac::AdtsHeader::parse(data) {
        if let Some(frame) = data.get(..usize::from(h.frame_length)) {
            let _ = muxkit::adts::split_raw_blocks(&h, frame);
        }
    }
});
