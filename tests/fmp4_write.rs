#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Fragmented MP4 out (`convert --fragmented`): ffprobe reads it without a warning and decodes
//! it to the source's frames, muxkit reads back the source's packets and timestamps, every
//! fragment starts at a keyframe with a `tfdt`, and it streams from a pipe into a pipe.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{TempDir, drain, ffprobe_complaints, frame_hashes, have_ffmpeg, muxkit_bin, testdata};
use muxkit::inspect::mp4::Mp4Summary;
use muxkit::io::{InputSource, map_file};
use muxkit::media::{Packet, Track};
use muxkit::mp4::F4vDemuxer;
use muxkit::probe::{InputPath, OpenOptions, open_demuxer, probe};
use muxkit::time::TimeBase;

fn fragmented(src: &Path, out: &Path, extra: &[&str]) {
    let o = Command::new(muxkit_bin())
        .arg("convert")
        .arg(src)
        .arg(out)
        .arg("--fragmented")
        .args(extra)
        .output()
        .unwrap();
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "{}: {}",
        src.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn sources() -> Vec<PathBuf> {
    [
        "source.flv",
        "source_bframes.ts",
        "h264_mp3.flv",
        "audio_only.flv",
        "video_only.flv",
        "fmp4_cmaf.mp4",
        "source_faststart.mp4",
    ]
    .iter()
    .map(|n| testdata().join(n))
    .collect()
}

fn packets_of(path: &Path) -> (Vec<Track>, Vec<Packet>) {
    let mut d = open_demuxer(
        probe(InputPath::File(path)).unwrap(),
        OpenOptions::default(),
    )
    .unwrap();
    drain(&mut *d)
}

/// Per track: (dts, pts) in microseconds from the file's first decode time, size, keyframe,
/// and a hash of the bytes.
/// (dts µs, pts µs, size, keyframe, hash of the bytes).
type Entry = (i64, i64, usize, bool, u64);

fn timeline(tracks: &[Track], packets: &[Packet]) -> Vec<Vec<Entry>> {
    use std::hash::{Hash, Hasher};
    let us = |t: &Track, v: i64| t.time_base.rescale(v, TimeBase::MICROS);
    let origin = packets
        .iter()
        .map(|p| us(&tracks[p.track as usize], p.dts.0))
        .min()
        .unwrap_or(0);
    tracks
        .iter()
        .map(|t| {
            packets
                .iter()
                .filter(|p| p.track == t.id)
                .map(|p| {
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    p.data.hash(&mut h);
                    (
                        us(t, p.dts.0) - origin,
                        us(t, p.pts.0) - origin,
                        p.data.len(),
                        p.flags.keyframe,
                        h.finish(),
                    )
                })
                .collect()
        })
        .collect()
}

#[test]
fn ffprobe_reads_it_cleanly_and_decodes_the_sources_frames() {
    if !have_ffmpeg("ffprobe_reads_it_cleanly_and_decodes_the_sources_frames") {
        return;
    }
    let tmp = TempDir::new("fmp4-write");
    for src in sources() {
        let out = tmp.path().join(format!(
            "{}.mp4",
            src.file_stem().unwrap().to_string_lossy()
        ));
        fragmented(&src, &out, &[]);
        assert_eq!(ffprobe_complaints(&out), "", "{}", out.display());
        assert_eq!(frame_hashes(&out), frame_hashes(&src), "{}", src.display());
    }
}

#[test]
fn muxkit_reads_back_every_packet_and_timestamp() {
    let tmp = TempDir::new("fmp4-back");
    for src in sources() {
        let out = tmp.path().join(format!(
            "{}.mp4",
            src.file_stem().unwrap().to_string_lossy()
        ));
        fragmented(&src, &out, &[]);
        let (st, sp) = packets_of(&src);
        let (ot, op) = packets_of(&out);
        let (a, b) = (timeline(&st, &sp), timeline(&ot, &op));
        assert_eq!(a.len(), b.len(), "{}", src.display());
        for (t, (x, y)) in a.iter().zip(&b).enumerate() {
            assert_eq!(x.len(), y.len(), "{} track {t}", src.display());
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                // Times within one tick of the coarser time base (the output keeps each
                // track's own time base; TS's 90 kHz is kept as is).
                let tick = 1_000_000 / i64::from(ot[t].time_base.den().min(st[t].time_base.den()));
                assert!(
                    (p.0 - q.0).abs() <= tick && (p.1 - q.1).abs() <= tick,
                    "{} track {t} packet {i}: {p:?} vs {q:?}",
                    src.display()
                );
                assert_eq!(
                    (p.2, p.3, p.4),
                    (q.2, q.3, q.4),
                    "{} track {t} packet {i}",
                    src.display()
                );
            }
        }
    }
}

#[test]
fn fragments_start_at_keyframes_with_a_tfdt_and_cmaf_brands() {
    let tmp = TempDir::new("fmp4-shape");
    let out = tmp.path().join("source.mp4");
    fragmented(&testdata().join("source.flv"), &out, &[]);
    let data = map_file(&out).unwrap();
    let s = Mp4Summary::read(InputSource::from_bytes(data.clone())).unwrap();
    let (major, compat) = s.brands.clone().unwrap();
    assert_eq!(major, "iso6");
    // Two tracks in one file: not a CMAF track file, so no cmfc.
    assert!(!compat.contains(&"cmfc".to_owned()), "{compat:?}");
    let (list, _) = s.fragments.clone().unwrap();
    // source.flv: 10 s, a keyframe every 2 s.
    assert_eq!(list.len(), 5);
    let tfdt = data.windows(4).filter(|w| w == b"tfdt").count();
    assert_eq!(tfdt, 10, "a tfdt in every traf");
    // B-frames: composition offsets in the trun (flag 0x800), no edit list.
    let trun = data.windows(4).position(|w| w == b"trun").unwrap();
    assert_eq!(data[trun + 6] & 0x08, 0x08, "trun flags");
    assert!(!data.windows(4).any(|w| w == b"elst"));
    // Each fragment's first video sample is a keyframe.
    let mut d = F4vDemuxer::from_bytes(data).unwrap();
    let (_, packets) = drain(&mut d);
    let mut video_seen = 0u32;
    let mut starts = Vec::new();
    for f in &list {
        starts.push(video_seen);
        video_seen += f.trafs.iter().find(|t| t.0 == 1).map_or(0, |t| t.1);
    }
    let video: Vec<&Packet> = packets.iter().filter(|p| p.track == 0).collect();
    for s in starts {
        assert!(
            video[s as usize].flags.keyframe,
            "fragment at video sample {s}"
        );
    }
    // One track: a CMAF track file.
    let one = tmp.path().join("video.mp4");
    fragmented(&testdata().join("video_only.flv"), &one, &[]);
    let s = Mp4Summary::read(InputSource::from_bytes(map_file(&one).unwrap())).unwrap();
    let compat = s.brands.unwrap().1;
    assert!(compat.contains(&"cmfc".to_owned()) && compat.contains(&"cmf2".to_owned()));
}

#[test]
fn frag_duration_sets_fragment_length() {
    let tmp = TempDir::new("fmp4-dur");
    let count = |src: &str, extra: &[&str]| {
        let out = tmp.path().join(format!("{src}-{}.mp4", extra.len()));
        fragmented(&testdata().join(src), &out, extra);
        let s = Mp4Summary::read(InputSource::from_bytes(map_file(&out).unwrap())).unwrap();
        (
            s.fragments.as_ref().unwrap().0.len(),
            s.duration_secs().unwrap(),
        )
    };
    // Audio alone: 2 s by default, or as asked.
    let (n, secs) = count("audio_only.flv", &[]);
    assert_eq!(n, (secs / 2.0).ceil() as usize, "{secs}");
    let (n, secs) = count("audio_only.flv", &["--frag-duration", "0.5"]);
    assert!(
        (n as f64 - secs / 0.5).abs() <= 1.0,
        "{n} fragments over {secs} s"
    );
    // Video: keyframes closer than the duration do not cut (keyframes every 2 s).
    let (n, _) = count("source.flv", &["--frag-duration", "3"]);
    assert_eq!(n, 3);
}

#[test]
fn it_streams_from_a_pipe_into_a_pipe() {
    if !have_ffmpeg("it_streams_from_a_pipe_into_a_pipe") {
        return;
    }
    let tmp = TempDir::new("fmp4-pipe");
    let src = testdata().join("source.flv");
    let mut child = Command::new(muxkit_bin())
        .args(["convert", "-", "-", "--fragmented"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = std::fs::read(&src).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let o = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = tmp.path().join("piped.mp4");
    std::fs::write(&out, &o.stdout).unwrap();
    assert_eq!(ffprobe_complaints(&out), "");
    assert_eq!(frame_hashes(&out), frame_hashes(&src));
}

#[test]
fn fragmented_f4v_is_refused() {
    let tmp = TempDir::new("fmp4-refuse");
    let o = Command::new(muxkit_bin())
        .arg("convert")
        .arg(testdata().join("source.flv"))
        .arg(tmp.path().join("x.f4v"))
        .arg("--fragmented")
        .output()
        .unwrap();
    // An option for another output: a usage mistake, caught before anything is read.
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--fragmented does not apply to"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
