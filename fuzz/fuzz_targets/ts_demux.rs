//! Drains the TS demuxer (lenient and strict) on arbitrary bytes, and feeds the same bytes to the
//! sans-IO parser in uneven pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use muxkit::Demuxer;
use muxkit::io::InputSource;
use muxkit::ts::demux::{TsDemuxer, TsReadOptions, TsStreamParser};

fuzz_target!(|data: &[u8]| {
    let bytes = bytes::Bytes::copy_from_slice(data);
    for strict in [false, true] {
        if let Ok(mut d) = TsDemuxer::new(InputSource::from_bytes(bytes.clone()), TsReadOptions { strict }) {
            while let Ok(Some(_)) = d.next_packet() {}
        }
    }
    let mut parser = TsStreamParser::new(TsReadOptions::default());
    let step = data.first().map_or(7, |b| usize::from(*b % 200) + 1);
    for chunk in data.chunks(step) {
        parser.push(chunk);
        while let Ok(Some(_)) = parser.next_packet() {}
    }
    parser.finish();
    while let Ok(Some(_)) = parser.next_packet() {}
});
