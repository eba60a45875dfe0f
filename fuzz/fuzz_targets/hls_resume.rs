//! A playlist read back to be carried on (`ingest` from its folder, or from a bucket that
//! another node, or anyone with write access, wrote): arbitrary bytes as the playlist and as
//! its init segment, then a live segmenter resumed from it writes a few segments of
//! testdata/audio_only.flv and finishes. Never a panic (sequence numbers near u64::MAX,
//! absurd durations, maps and discontinuities included).
#![no_main]

use libfuzzer_sys::fuzz_target;
use muxkit::flv::{FlvDemuxer, FlvReadOptions};
use muxkit::hls::{HlsOptions, HlsResume, HlsSegmenter, MemoryStore, PlaylistType};
use muxkit::io::InputSource;
use muxkit::{Demuxer, Muxer};

const AUDIO: &[u8] = include_bytes!("../../testdata/audio_only.flv");

fuzz_target!(|data: &[u8]| {
    let Some(resume) = HlsResume::from_playlist(data, 0, |_| Some(data.to_vec())) else {
        return;
    };
    let _ = resume.uses_fmp4();
    let mut seg = HlsSegmenter::new(
        MemoryStore::default(),
        HlsOptions {
            playlist_type: PlaylistType::Live,
            target_duration: 1.0,
            list_size: 3,
            name_prefix: "n-".into(),
            ..HlsOptions::default()
        },
    );
    seg.resume(resume);
    let Ok(mut d) = FlvDemuxer::new(
        InputSource::from_bytes(bytes::Bytes::from_static(AUDIO)),
        FlvReadOptions::default(),
    ) else {
        return;
    };
    let mut declared = 0;
    for _ in 0..200 {
        let Ok(Some(p)) = d.next_packet() else { break };
        while declared < d.tracks().len() {
            if seg.add_track(&d.tracks()[declared]).is_err() {
                return;
            }
            declared += 1;
        }
        if seg.write_packet(&p).is_err() {
            return;
        }
    }
    let _ = seg.finish();
});
