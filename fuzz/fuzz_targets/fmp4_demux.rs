//! Drains the fragmented-MP4 reader (the F4V/MP4 demuxer past `moov`) on arbitrary bytes,
//! seeded with every layout ffmpeg writes; when a file reads, writes its packets as a
//! fragmented MP4 with muxkit's writer and checks the copy reads back to the same packets.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use muxkit::mp4::fragment_mux::{Fmp4Muxer, Fmp4Options};
use muxkit::mp4::{F4vDemuxer, F4vReadOptions};
use muxkit::io::BlockWriter;
use muxkit::{Demuxer, Muxer};

fuzz_target!(|data: &[u8]| {
    let bytes = bytes::Bytes::copy_from_slice(data);
    // Strict reading refuses what lenient reading salvages; both must end cleanly.
    let _ = F4vDemuxer::from_bytes_with(bytes.clone(), F4vReadOptions { strict: true })
        .map(|mut d| while let Ok(Some(_)) = d.next_packet() {});
    let Ok(mut d) = F4vDemuxer::from_bytes(bytes) else {
        return;
    };
    let mut packets = Vec::new();
    while let Ok(Some(p)) = d.next_packet() {
        packets.push(p);
    }
    let _ = d.losses();
    let mut w = Fmp4Muxer::new(BlockWriter::new(Cursor::new(Vec::new())), Fmp4Options::default());
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
        let mut again = F4vDemuxer::from_bytes(out.into()).expect("muxkit's own fMP4 reads");
        let mut n = 0;
        while let Some(_) = again.next_packet().expect("muxkit's own fMP4 packets read") {
            n += 1;
        }
        // The writer leaves out empty packets (nothing to present).
        let want = packets.iter().filter(|p| !p.data.is_empty()).count();
        assert_eq!(n, want, "packets lost in the fMP4 round trip");
    }
});
