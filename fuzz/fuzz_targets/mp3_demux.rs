//! Drains the MP3 demuxer (lenient and strict) on arbitrary bytes, and runs the MP3 probe on
//! them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use muxkit::Demuxer;
use muxkit::io::InputSource;
use muxkit::mp3::{Mp3Demuxer, Mp3ReadOptions};

fuzz_target!(|data: &[u8]| {
    let bytes = bytes::Bytes::copy_from_slice(data);
    for strict in [false, true] {
        if let Ok(mut d) = Mp3Demuxer::new(InputSource::from_bytes(bytes.clone()), Mp3ReadOptions { strict }) {
            while let Ok(Some(_)) = d.next_packet() {}
            let _ = d.report().is_vbr();
        }
    }
    let _ = muxkit::mp3::looks_like_mpeg_audio(data);
});
