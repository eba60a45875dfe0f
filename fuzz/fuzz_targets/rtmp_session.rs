//! Drives the server session past a real handshake, then feeds arbitrary bytes as the chunk
//! stream (seeded with a recorded publish of testdata/source.flv), draining events and packets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use muxkit::rtmp::handshake::{ClientHandshake, HandshakeStatus};
use muxkit::rtmp::session::AcceptAll;
use muxkit::rtmp::{ServerSession, SessionConfig};

fuzz_target!(|data: &[u8]| {
    let mut server = ServerSession::new(SessionConfig::default(), 1);
    let mut hs = ClientHandshake::new(2);
    if server.push(&hs.take_output(), &mut AcceptAll).is_err() {
        return;
    }
    let s1 = server.take_output();
    if !matches!(hs.push(&s1), Ok(HandshakeStatus::Done(_))) {
        return;
    }
    let _ = server.push(&hs.take_output(), &mut AcceptAll);
    let step = data.first().map_or(97, |b| usize::from(*b) + 1);
    for piece in data.chunks(step) {
        if server.push(piece, &mut AcceptAll).is_err() {
            break;
        }
        while server.next_event().is_some() {}
        while server.next_packet().is_some() {}
        let _ = server.take_output();
    }
});
