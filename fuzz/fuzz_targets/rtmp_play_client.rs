//! The playing client (`muxkit publish rtmp://...`) past a real handshake with muxkit's own
//! server side, then fed arbitrary bytes as the server's chunk stream, draining the media.
#![no_main]

use libfuzzer_sys::fuzz_target;
use muxkit::rtmp::client::RtmpUrl;
use muxkit::rtmp::handshake::{HandshakeStatus, ServerHandshake};
use muxkit::rtmp::play_client::PlaySession;

fuzz_target!(|data: &[u8]| {
    let Ok(url) = RtmpUrl::parse("rtmp://h/live/cam") else {
        return;
    };
    let mut client = PlaySession::new(url, 1);
    let mut server = ServerHandshake::new(2);
    if !matches!(server.push(&client.take_output()), Ok(HandshakeStatus::NeedMore)) {
        return;
    }
    if client.push(&server.take_output()).is_err() {
        return;
    }
    let _ = server.push(&client.take_output());
    let step = data.first().map_or(97, |b| usize::from(*b) + 1);
    for piece in data.chunks(step) {
        if client.push(piece).is_err() {
            break;
        }
        while client.next_tag().is_some() {}
        let _ = client.take_output();
    }
});
