//! Drives the server session past a real handshake, then feeds arbitrary bytes as the chunk
//! stream (seeded with a recorded publish of testdata/source.flv), answering every publish and
//! play request (allowed or refused by the input's first byte), draining events, packets and
//! the media messages kept for viewers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use muxkit::rtmp::handshake::{ClientHandshake, HandshakeStatus};
use muxkit::rtmp::session::AcceptAll;
use muxkit::rtmp::{ServerSession, SessionConfig};

fuzz_target!(|data: &[u8]| {
    let config = SessionConfig {
        keep_tags: true,
        ..SessionConfig::default()
    };
    let mut server = ServerSession::new(config, 1);
    let mut hs = ClientHandshake::new(2);
    if server.push(&hs.take_output(), &mut AcceptAll).is_err() {
        return;
    }
    let s1 = server.take_output();
    if !matches!(hs.push(&s1), Ok(HandshakeStatus::Done(_))) {
        return;
    }
    let _ = server.push(&hs.take_output(), &mut AcceptAll);
    let first = data.first().copied().unwrap_or(96);
    let step = usize::from(first) + 1;
    let refuse = first & 1 == 1;
    for piece in data.chunks(step) {
        if server.feed(piece).is_err() {
            break;
        }
        let mut failed = false;
        while server.pending().is_some() {
            let answer = if refuse { Err("no".to_owned()) } else { Ok(()) };
            if server.answer(answer).is_err() {
                failed = true;
                break;
            }
        }
        if failed {
            break;
        }
        while server.next_event().is_some() {}
        while server.next_packet().is_some() {}
        while server.next_tag().is_some() {}
        if server.playing().is_some() {
            server.send_media(9, 0, bytes::Bytes::from_static(&[0x17, 1, 0, 0, 0]));
        }
        let _ = server.take_output();
    }
});
