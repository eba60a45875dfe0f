//! Drains the F4V/MP4 demuxer and the `inspect` summary on arbitrary bytes; when a file reads,
//! writes its packets back out as MP4 and checks the copy reads to the same number of packets.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use muxkit::mp4::F4vDemuxer;
use muxkit::mp4::mux::{Mp4Brand, Mp4Writer};
use muxkit::inspect::mp4::Mp4Summary;
use muxkit::io::{BlockWriter, InputSource};
use muxkit::{Demuxer, Muxer};

fuzz_target!(|data: &[u8]| {
    let bytes = bytes::Bytes::copy_from_slice(data);
    if let Ok(s) = Mp4Summary::read(InputSource::from_bytes(bytes.clone())) {
        let _ = s.to_text_with(true);
        let _ = s.to_json_with(true);
    }
    let Ok(mut d) = F4vDemuxer::from_bytes(bytes) else {
        return;
    };
    let mut packets = Vec::new();
    while let Ok(Some(p)) = d.next_packet() {
        packets.push(p);
    }
    let mut w = Mp4Writer::streaming(BlockWriter::new(Cursor::new(Vec::new())), Mp4Brand::Mp4);
    let written = (|| -> muxkit::Result<Vec<u8>> {
        for t in d.tracks() {
            w.add_track(t)?;
        }
        for p in &packets {
            w.write_packet(p)?;
        }
        w.finish()?;
        Ok(w.into_inner()?.into_inner())
    })();
    if let Ok(out) = written {
        let mut again = F4vDemuxer::from_bytes(out.into()).expect("muxkit's own MP4 reads");
        let mut n = 0;
        while let Some(_) = again.next_packet().expect("muxkit's own MP4 packets read") {
            n += 1;
        }
        assert_eq!(n, packets.len(), "packets lost in the MP4 round trip");
    }
});
