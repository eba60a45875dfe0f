//! Unit tests of the segmenter: full disk, audio-only cuts, long GOPs, the live window.
use super::*;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::hls::output::MemoryStore;
use crate::media::{Codec, CodecConfig, Packet};
use crate::time::Timestamp;

/// A store on a disk that fills up after `room` bytes in all.
struct FullDisk {
    room: Arc<AtomicUsize>,
}

struct FullDiskWriter(Arc<AtomicUsize>);

impl Write for FullDiskWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let left = self.0.load(Ordering::Relaxed);
        if left < buf.len() {
            return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC
        }
        self.0.store(left - buf.len(), Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SegmentStore for FullDisk {
    type Writer = FullDiskWriter;
    fn create(&mut self, _name: &str) -> Result<Self::Writer> {
        Ok(FullDiskWriter(self.room.clone()))
    }
    fn commit(&mut self, _writer: Self::Writer) -> Result<()> {
        Ok(())
    }
    fn write_playlist(&mut self, _name: &str, _bytes: &[u8]) -> Result<()> {
        Ok(())
    }
    fn remove(&mut self, _name: &str) -> Result<()> {
        Ok(())
    }
}

fn audio_track() -> Track {
    let mut codec = CodecConfig::new(Codec::Aac);
    codec.extradata = bytes::Bytes::from_static(&[0x12, 0x10]);
    Track {
        id: 0,
        kind: MediaKind::Audio,
        time_base: TimeBase::MILLIS,
        codec,
        source_id: None,
    }
}

fn feed(m: &mut dyn Muxer, seconds: i64) -> Result<()> {
    m.add_track(&audio_track())?;
    for ms in (0..seconds * 1000).step_by(23) {
        let mut p = Packet::new(0, Timestamp(ms), bytes::Bytes::from(vec![0x21; 300]));
        p.flags.keyframe = true;
        m.write_packet(&p)?;
    }
    m.finish()
}

#[test]
fn a_full_disk_is_a_clear_error_naming_the_segment() {
    for behind in [false, true] {
        let room = Arc::new(AtomicUsize::new(200_000));
        let mut m = if behind {
            HlsSegmenter::write_behind(FullDisk { room }, HlsOptions::default())
        } else {
            HlsSegmenter::new(FullDisk { room }, HlsOptions::default())
        };
        let e = feed(&mut m, 20).unwrap_err().to_string();
        assert!(e.starts_with("segment_0000"), "behind {behind}: {e}");
        assert!(
            e.contains("No space left on device"),
            "behind {behind}: {e}"
        );
    }
}

#[test]
fn audio_only_cuts_at_any_frame_after_the_target() {
    let mut m = HlsSegmenter::new(
        MemoryStore::default(),
        HlsOptions {
            target_duration: 2.0,
            ..HlsOptions::default()
        },
    );
    feed(&mut m, 7).unwrap();
    let durations: Vec<f64> = m.playlist().segments.iter().map(|s| s.duration).collect();
    assert_eq!(durations.len(), 4, "{durations:?}");
    assert!(
        durations[..3].iter().all(|d| (2.0..2.03).contains(d)),
        "{durations:?}"
    );
    let store = m.into_store().unwrap();
    assert_eq!(store.segments.len(), 4);
    assert!(store.playlists["index.m3u8"].starts_with(b"#EXTM3U"));
}

fn video_track() -> Track {
    Track {
        id: 0,
        kind: MediaKind::Video,
        time_base: TimeBase::MILLIS,
        codec: CodecConfig::new(Codec::H264),
        source_id: None,
    }
}

/// 25 fps video, a keyframe at every time in `keys_ms`.
fn feed_video(m: &mut dyn Muxer, seconds: i64, keys_ms: &[i64]) -> Result<()> {
    m.add_track(&video_track())?;
    for ms in (0..seconds * 1000).step_by(40) {
        let mut p = Packet::new(0, Timestamp(ms), bytes::Bytes::from(vec![0, 0, 0, 1, 0x41]));
        p.flags.keyframe = keys_ms.contains(&ms);
        m.write_packet(&p)?;
    }
    m.finish()
}

/// A splice at 4 s that changes the video config and, a few frames later (or earlier), the
/// audio config: one DISCONTINUITY, on the segment that starts at the splice.
#[test]
fn a_splice_changing_audio_and_video_configs_is_one_discontinuity() {
    for audio_lag_ms in [-46i64, 0, 23, 69, 400] {
        let mut m = HlsSegmenter::new(
            MemoryStore::default(),
            HlsOptions {
                target_duration: 2.0,
                ..HlsOptions::default()
            },
        );
        m.add_track(&video_track()).unwrap();
        let mut audio = audio_track();
        audio.id = 1;
        m.add_track(&audio).unwrap();
        let mut new_audio = audio.codec.clone();
        new_audio.extradata = bytes::Bytes::from_static(&[0x11, 0x90]);
        let new_video = CodecConfig::new(Codec::H264);
        let mut packets = Vec::new();
        for ms in (0..8000).step_by(40) {
            let mut p = Packet::new(0, Timestamp(ms), bytes::Bytes::from(vec![0, 0, 0, 1, 0x41]));
            p.flags.keyframe = ms % 2000 == 0;
            if ms == 4000 {
                p.flags.config_changed = true;
                p.config = Some(Arc::new(new_video.clone()));
            }
            packets.push((ms, p));
        }
        let mut changed = false;
        for ms in (0..8000).step_by(23) {
            let mut p = Packet::new(1, Timestamp(ms), bytes::Bytes::from(vec![0x21; 100]));
            p.flags.keyframe = true;
            if !changed && ms >= 4000 + audio_lag_ms {
                changed = true;
                p.flags.config_changed = true;
                p.config = Some(Arc::new(new_audio.clone()));
            }
            packets.push((ms, p));
        }
        packets.sort_by_key(|(ms, p)| (*ms, p.track));
        for (_, p) in &packets {
            m.write_packet(p).unwrap();
        }
        m.finish().unwrap();
        let flags: Vec<bool> = m
            .playlist()
            .segments
            .iter()
            .map(|s| s.discontinuity)
            .collect();
        assert_eq!(
            flags.iter().filter(|d| **d).count(),
            1,
            "audio {audio_lag_ms} ms after the video: {flags:?}"
        );
        assert_eq!(
            flags,
            [false, false, true, false],
            "audio lag {audio_lag_ms}"
        );
    }
}

/// Audio that runs on 4 s after the video's last frame, in an event playlist whose target is
/// fixed at the first segment: every EXTINF still rounds to at most TARGETDURATION.
#[test]
fn audio_after_the_last_keyframe_never_stretches_a_segment_past_the_target() {
    for kind in [PlaylistType::Event, PlaylistType::Live] {
        let mut m = HlsSegmenter::new(
            MemoryStore::default(),
            HlsOptions {
                target_duration: 2.0,
                playlist_type: kind,
                list_size: 100,
                ..HlsOptions::default()
            },
        );
        m.add_track(&video_track()).unwrap();
        let mut audio = audio_track();
        audio.id = 1;
        m.add_track(&audio).unwrap();
        let mut packets = Vec::new();
        for ms in (0..6000).step_by(40) {
            let mut p = Packet::new(0, Timestamp(ms), bytes::Bytes::from(vec![0, 0, 0, 1, 0x41]));
            p.flags.keyframe = ms % 2000 == 0;
            packets.push((ms, p));
        }
        for ms in (0..10_000).step_by(23) {
            let mut p = Packet::new(1, Timestamp(ms), bytes::Bytes::from(vec![0x21; 50]));
            p.flags.keyframe = true;
            packets.push((ms, p));
        }
        packets.sort_by_key(|(ms, p)| (*ms, p.track));
        for (_, p) in &packets {
            m.write_packet(p).unwrap();
        }
        m.finish().unwrap();
        let target = m.playlist().fixed_target_duration.unwrap();
        assert_eq!(target, 2);
        let durations: Vec<f64> = m.playlist().segments.iter().map(|s| s.duration).collect();
        assert!(
            durations.iter().all(|d| d.round() as u64 <= target),
            "{kind:?}: {durations:?}"
        );
        let total: f64 = durations.iter().sum();
        assert!((total - 10.0).abs() < 0.05, "{durations:?}");
    }
}

#[test]
fn a_long_gop_in_an_event_playlist_is_cut_within_the_fixed_target() {
    let options = HlsOptions {
        target_duration: 2.0,
        playlist_type: PlaylistType::Event,
        ..HlsOptions::default()
    };
    let mut m = HlsSegmenter::new(MemoryStore::default(), options);
    // GOPs of 2 s, then one of 9 s.
    feed_video(&mut m, 15, &[0, 2000, 4000, 13_000]).unwrap();
    let pl = m.playlist();
    assert_eq!(pl.target_duration(), 2);
    assert!(
        pl.segments.iter().all(|s| s.duration.round() <= 2.0),
        "{:?}",
        pl.segments
    );
    assert!(m.report().forced_cuts >= 4, "{:?}", m.report());
    assert_eq!(m.report().warnings.len(), 1);
    assert!(m.report().warnings[0].contains("TARGETDURATION of 2 s"));
    // A VOD playlist keeps keyframe cuts and takes its longest segment.
    let mut vod = HlsSegmenter::new(
        MemoryStore::default(),
        HlsOptions {
            target_duration: 2.0,
            ..HlsOptions::default()
        },
    );
    feed_video(&mut vod, 15, &[0, 2000, 4000, 13_000]).unwrap();
    assert_eq!(vod.playlist().target_duration(), 9);
    assert_eq!(vod.report().forced_cuts, 0);
}

#[test]
fn a_first_gop_longer_than_the_target_sets_the_target() {
    let options = HlsOptions {
        target_duration: 2.0,
        playlist_type: PlaylistType::Event,
        ..HlsOptions::default()
    };
    let mut m = HlsSegmenter::new(MemoryStore::default(), options);
    feed_video(&mut m, 20, &[0, 5000, 10_000, 15_000]).unwrap();
    assert_eq!(m.playlist().target_duration(), 5);
    assert_eq!(m.report().forced_cuts, 0);
}

#[test]
fn a_live_window_slides_and_deletes_after_the_grace_period() {
    let options = HlsOptions {
        target_duration: 1.0,
        playlist_type: PlaylistType::Live,
        list_size: 2,
        ..HlsOptions::default()
    };
    let mut m = HlsSegmenter::new(MemoryStore::default(), options);
    // A clock that follows the media: the source arrives in real time.
    let t0 = std::time::Instant::now();
    let media_ms = Arc::new(AtomicUsize::new(0));
    let clock_ms = media_ms.clone();
    m.set_clock(Arc::new(move || {
        t0 + std::time::Duration::from_millis(clock_ms.load(Ordering::Relaxed) as u64)
    }));
    m.add_track(&audio_track()).unwrap();
    for ms in (0..10_000).step_by(20) {
        media_ms.store(ms as usize, Ordering::Relaxed);
        let mut p = Packet::new(0, Timestamp(ms), bytes::Bytes::from(vec![0x21; 100]));
        p.flags.keyframe = true;
        m.write_packet(&p).unwrap();
    }
    m.finish().unwrap();
    let pl = m.playlist().clone();
    assert_eq!(pl.segments.len(), 2);
    assert_eq!(pl.media_sequence, 8);
    // Segment j (1 s) leaves the 2-segment window when segment j + 2 closes, at j + 3 s,
    // and may go 1 s + 2 s (the longest playlist) later, at j + 6 s. The last check is at
    // 9.98 s: segments 0-3 are gone, 4-7 wait, 8 and 9 are listed.
    let report = m.report().clone();
    let store = m.into_store().unwrap();
    let left: Vec<&String> = store.segments.keys().collect();
    assert_eq!(
        left,
        [
            "segment_00004.ts",
            "segment_00005.ts",
            "segment_00006.ts",
            "segment_00007.ts",
            "segment_00008.ts",
            "segment_00009.ts"
        ]
    );
    assert_eq!(report.deleted_segments, 4);
    assert_eq!(report.pending_deletions, 4);
    let text = String::from_utf8(store.playlists["index.m3u8"].clone()).unwrap();
    assert!(text.contains("#EXT-X-MEDIA-SEQUENCE:8"), "{text}");
    assert!(!text.contains("PLAYLIST-TYPE"), "{text}");
    assert!(text.ends_with("#EXT-X-ENDLIST\n"), "{text}");
}

#[test]
fn segment_names() {
    assert_eq!(segment_name("segment_%05d.ts", 7), "segment_00007.ts");
    assert_eq!(segment_name("s%d.ts", 12), "s12.ts");
    assert_eq!(segment_name("seg.ts", 3), "seg_3.ts");
    assert_eq!(segment_name("100%.ts", 3), "100%_3.ts");
}

/// A store whose disk fills at the `fail_at`-th segment, sharing what it holds with the test.
struct FillsUp {
    files: Arc<std::sync::Mutex<std::collections::BTreeSet<String>>>,
    created: usize,
    fail_at: usize,
}

/// A segment being written into a [`FillsUp`]: its name (the bytes are not kept).
struct Named(String);

impl Write for Named {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SegmentStore for FillsUp {
    type Writer = Named;
    fn create(&mut self, name: &str) -> Result<Self::Writer> {
        self.created += 1;
        if self.created == self.fail_at {
            return Err(Error::Io {
                context: "test",
                source: std::io::Error::from_raw_os_error(28),
            });
        }
        Ok(Named(name.to_owned()))
    }
    fn commit(&mut self, writer: Self::Writer) -> Result<()> {
        self.files.lock().unwrap().insert(writer.0);
        Ok(())
    }
    fn write_playlist(&mut self, name: &str, _bytes: &[u8]) -> Result<()> {
        self.files.lock().unwrap().insert(name.to_owned());
        Ok(())
    }
    fn remove(&mut self, name: &str) -> Result<()> {
        self.files.lock().unwrap().remove(name);
        Ok(())
    }
}

/// A full disk mid-way: a VOD output removes every segment it wrote (no playlist names
/// them, so they would only be litter); an event playlist ends with ENDLIST over what it lists.
#[test]
fn a_failed_conversion_leaves_no_unlisted_segment() {
    for kind in [PlaylistType::Vod, PlaylistType::Event] {
        let files = Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
        let store = FillsUp {
            files: files.clone(),
            created: 0,
            fail_at: 4,
        };
        let mut m = HlsSegmenter::new(
            store,
            HlsOptions {
                target_duration: 2.0,
                playlist_type: kind,
                ..HlsOptions::default()
            },
        );
        assert!(feed(&mut m, 20).is_err());
        let listed = m.playlist().segments.len();
        m.abandon().unwrap();
        let left: Vec<String> = files.lock().unwrap().iter().cloned().collect();
        match kind {
            PlaylistType::Vod => assert!(left.is_empty(), "{left:?}"),
            _ => {
                assert_eq!(left.len(), listed + 1, "{left:?}");
                assert!(left.contains(&"index.m3u8".to_owned()));
            }
        }
    }
}

/// A playlist read back from a bucket anyone can write: sequence numbers with no room left
/// are not carried on (fuzz target hls_resume found `next_index` overflowing); a playlist
/// with room is, with the node prefix on the new names.
#[test]
fn a_resumed_playlist_near_the_end_of_the_numbers_is_not_carried_on() {
    let huge = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:18446744073709551614\n#EXTINF:2.000,\na-segment_00000.ts\n#EXTINF:2.000,\nb-segment_00001.ts\n";
    assert!(HlsResume::from_playlist(huge.as_bytes(), 0, |_| None).is_none());
    let fine = huge.replace("18446744073709551614", "41");
    let resume = HlsResume::from_playlist(fine.as_bytes(), 0, |_| None).unwrap();
    let mut m = HlsSegmenter::new(
        MemoryStore::default(),
        HlsOptions {
            target_duration: 2.0,
            playlist_type: PlaylistType::Live,
            name_prefix: "c-".into(),
            ..HlsOptions::default()
        },
    );
    m.resume(resume);
    feed(&mut m, 6).unwrap();
    let listed: Vec<&str> = m
        .playlist()
        .segments
        .iter()
        .map(|s| s.uri.as_str())
        .collect();
    assert_eq!(&listed[..2], ["a-segment_00000.ts", "b-segment_00001.ts"]);
    assert!(listed[2].starts_with("c-segment_00043"), "{listed:?}");
    assert!(m.playlist().segments[2].discontinuity);
}
