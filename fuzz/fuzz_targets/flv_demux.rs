//! Drains the FLV demuxer (lenient and strict) and the per-tag inspector on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use muxkit::Demuxer;
use muxkit::flv::{FlvDemuxer, FlvReadOptions};
use muxkit::io::InputSource;

fuzz_target!(|data: &[u8]| {
    // Most inputs fail at the signature; give the fuzzer a valid header for free half the time.
    let mut owned = Vec::with_capacity(data.len() + 13);
    if data.first().is_some_and(|b| b & 1 == 1) {
        owned.extend_from_slice(b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00");
        owned.extend_from_slice(&data[1..]);
    } else {
        owned.extend_from_slice(data);
    }
    let bytes = bytes::Bytes::from(owned);
    for strict in [false, true] {
        if let Ok(mut d) = FlvDemuxer::new(InputSource::from_bytes(bytes.clone()), FlvReadOptions { strict }) {
            while let Ok(Some(_)) = d.next_packet() {}
        }
    }
    let mut sink = std::io::sink();
    let _ = muxkit::inspect::flv::write_tags(InputSource::from_bytes(bytes), FlvReadOptions::default(), true, &mut sink);
});
