//! Feeds arbitrary bytes to the RTMP chunk decoder in uneven pieces, draining messages; errors
//! end the stream as they end a connection.
#![no_main]

use libfuzzer_sys::fuzz_target;
use muxkit::rtmp::chunk::{ChunkDecoder, HARD_MAX_MESSAGE_SIZE, MAX_PARTIAL_BYTES};

fuzz_target!(|data: &[u8]| {
    let mut d = ChunkDecoder::new(HARD_MAX_MESSAGE_SIZE);
    let step = data.first().map_or(13, |b| usize::from(*b % 64) + 1);
    'feed: for piece in data.chunks(step) {
        d.push(piece);
        loop {
            match d.next_message() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => break 'feed,
            }
        }
        assert!(d.partial_bytes() <= MAX_PARTIAL_BYTES);
    }
});
