#![allow(clippy::unwrap_used, clippy::expect_used)]

//! DASH (`convert X out/manifest.mpd`) and DASH beside fMP4 HLS (`--hls-segment-type fmp4
//! --dash`) over one set of per-track CMAF segments: ffmpeg reads the MPD without a warning
//! and gets the source's packets, each track's segments decode to the source's frames, the
//! SegmentTimeline matches every segment's tfdt, the MPD passes the DASH schema, and the HLS
//! playlists list the very same files.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{
    TempDir, decoded_content, drain, ffprobe_complaints, have_ffmpeg, muxkit_bin, testdata,
};
use muxkit::mp4::F4vDemuxer;

fn convert(src: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(muxkit_bin())
        .arg("convert")
        .arg(src)
        .arg(out)
        .args(["--hls-time", "2"])
        .args(extra)
        .output()
        .unwrap()
}

/// Per AdaptationSet of `mpd`: the Representation id, timescale and (t, d) of every segment
/// (the S elements expanded).
/// (Representation id, timescale, (t, d) of each segment).
type Timeline = (String, u64, Vec<(u64, u64)>);

fn timelines(mpd: &str) -> Vec<Timeline> {
    let attr = |tag: &str, name: &str| -> Option<u64> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        tag[at..].split('"').next()?.parse().ok()
    };
    let mut out = Vec::new();
    for set in mpd.split("<AdaptationSet").skip(1) {
        let rep = set.split("<Representation id=\"").nth(1).unwrap();
        let id = rep.split('"').next().unwrap().to_owned();
        let template = set.split("<SegmentTemplate").nth(1).unwrap();
        let timescale = attr(template.split('>').next().unwrap(), "timescale").unwrap();
        let mut list = Vec::new();
        let mut next = 0;
        for s in template.split("<S ").skip(1) {
            let tag = format!(" {}", s.split("/>").next().unwrap());
            let t = attr(&tag, "t").unwrap_or(next);
            let d = attr(&tag, "d").unwrap();
            let r = attr(&tag, "r").unwrap_or(0);
            for k in 0..=r {
                list.push((t + k * d, d));
            }
            next = t + (r + 1) * d;
        }
        out.push((id, timescale, list));
    }
    out
}

/// The track's init segment and segments joined: a fragmented MP4 of that track alone.
fn joined(dir: &Path, id: &str, n: usize) -> PathBuf {
    let mut all = std::fs::read(dir.join(format!("{id}_init.mp4"))).unwrap();
    for k in 0..n {
        all.extend_from_slice(&std::fs::read(dir.join(format!("{id}_{k:05}.m4s"))).unwrap());
    }
    let out = dir.join(format!("{id}_joined.mp4"));
    std::fs::write(&out, all).unwrap();
    out
}

fn check_presentation(src: &Path, dir: &Path, mpd_name: &str) {
    let name = src.file_name().unwrap().to_string_lossy().into_owned();
    let mpd_path = dir.join(mpd_name);
    let mpd = std::fs::read_to_string(&mpd_path).unwrap();
    assert!(
        mpd.contains("type=\"static\"") && mpd.contains("<SegmentTimeline>"),
        "{mpd}"
    );
    let sets = timelines(&mpd);
    assert!(!sets.is_empty());
    let mut got_frames = Vec::new();
    let mut got_packets = Vec::new();
    for (id, timescale, list) in &sets {
        assert!(!list.is_empty(), "{name} {id}");
        // Every listed segment exists and starts (tfdt) where the timeline says.
        for (k, &(t, _)) in list.iter().enumerate() {
            let mut one = std::fs::read(dir.join(format!("{id}_init.mp4"))).unwrap();
            one.extend_from_slice(&std::fs::read(dir.join(format!("{id}_{k:05}.m4s"))).unwrap());
            let mut d = F4vDemuxer::from_bytes(one.into()).unwrap();
            let (tracks, packets) = drain(&mut d);
            assert_eq!(tracks.len(), 1, "{name} {id}: one track per file");
            assert_eq!(tracks[0].time_base.den(), *timescale as u32);
            assert_eq!(packets[0].dts.0 as u64, t, "{name} {id} segment {k}");
            if tracks[0].kind == muxkit::media::MediaKind::Video {
                assert!(packets[0].flags.keyframe, "{name} {id} segment {k}");
            }
        }
        assert!(!dir.join(format!("{id}_{:05}.m4s", list.len())).exists());
        // The track's segments joined: ffprobe reads them cleanly, and they hold the
        // source's packets (muxkit's canonical form) and decode to its frames.
        let j = joined(dir, id, list.len());
        assert_eq!(ffprobe_complaints(&j), "", "{name} {id}");
        let mut d = F4vDemuxer::from_bytes(muxkit::io::map_file(&j).unwrap()).unwrap();
        got_packets.extend(drain(&mut d).1.iter().map(|p| p.data.clone()));
        got_frames.extend(decoded_content(Path::new("ffmpeg"), &j));
        std::fs::remove_file(&j).unwrap();
    }
    let mut source = muxkit::probe::open_demuxer(
        muxkit::probe::probe(muxkit::probe::InputPath::File(src)).unwrap(),
        muxkit::probe::OpenOptions::default(),
    )
    .unwrap();
    let mut want: Vec<bytes::Bytes> = drain(&mut *source).1.into_iter().map(|p| p.data).collect();
    want.sort();
    got_packets.sort();
    assert!(want == got_packets, "{name}: packets differ");
    got_frames.sort();
    assert!(
        got_frames == decoded_content(Path::new("ffmpeg"), src),
        "{name}: decoded frames differ"
    );
    // ffmpeg's DASH reader reads the MPD without a warning (it wants an absolute path to
    // resolve the templates).
    let abs = std::path::absolute(&mpd_path).unwrap();
    assert_eq!(ffprobe_complaints(&abs), "", "{name}");
    // The DASH schema, when the checker is installed (CI installs it).
    let validate = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dash-schema/validate.sh");
    if validate.exists()
        && (which("xmllint") || std::env::var_os("MUXKIT_REQUIRE_FFMPEG").is_some())
    {
        let o = Command::new("bash")
            .arg(&validate)
            .arg(&abs)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

fn which(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn mpd_output_lists_per_track_cmaf_segments_that_carry_the_source() {
    if !have_ffmpeg("mpd_output_lists_per_track_cmaf_segments_that_carry_the_source") {
        return;
    }
    let tmp = TempDir::new("dash");
    for name in [
        "source.flv",
        "source_bframes.ts",
        "audio_only.flv",
        "mp4_av1_opus.mp4",
        "h264_mp3.flv",
    ] {
        let src = testdata().join(name);
        let dir = tmp.path().join(name.replace('.', "_"));
        let o = convert(&src, &dir.join("manifest.mpd"), &[]);
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        check_presentation(&src, &dir, "manifest.mpd");
    }
}

#[test]
fn hls_and_dash_share_one_set_of_segments() {
    let Some(_) = Some(()).filter(|_| have_ffmpeg("hls_and_dash_share_one_set_of_segments")) else {
        return;
    };
    let tmp = TempDir::new("dash-hls");
    let src = testdata().join("source.flv");
    let dir = tmp.path().join("out");
    let o = convert(&src, &dir, &["--hls-segment-type", "fmp4", "--dash"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    check_presentation(&src, &dir, "manifest.mpd");
    let index = std::fs::read_to_string(dir.join("index.m3u8")).unwrap();
    assert!(
        index.contains("#EXT-X-MEDIA:TYPE=AUDIO") && index.contains("AUDIO=\"audio\""),
        "{index}"
    );
    assert!(
        index.contains("CODECS=\"avc1.64001E,mp4a.40.2\""),
        "{index}"
    );
    // The media playlists name exactly the DASH segments, one copy on disk.
    let mut listed = Vec::new();
    for pl in ["video.m3u8", "audio.m3u8"] {
        let p = common::read_media_playlist(&dir.join(pl));
        assert!(p.segments[0].map.is_some());
        listed.extend(p.segments.iter().map(|s| s.uri.clone()));
        let lint = Command::new(muxkit_bin())
            .arg("inspect")
            .arg(dir.join(pl))
            .output()
            .unwrap();
        assert!(
            lint.status.success(),
            "{}",
            String::from_utf8_lossy(&lint.stdout)
        );
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".m4s"))
        .collect();
    listed.sort();
    on_disk.sort();
    assert_eq!(listed, on_disk);
    // ffmpeg plays the HLS side to the source's frames (its reader numbers the audio
    // rendition first: compare the content).
    let abs = std::path::absolute(dir.join("index.m3u8")).unwrap();
    assert_eq!(ffprobe_complaints(&abs), "");
    assert_eq!(
        decoded_content(Path::new("ffmpeg"), &abs),
        decoded_content(Path::new("ffmpeg"), &src)
    );
}

#[test]
fn dash_needs_fmp4_segments_and_a_vod_playlist() {
    let tmp = TempDir::new("dash-usage");
    let src = testdata().join("source.flv");
    for extra in [
        vec!["--dash"],
        vec![
            "--dash",
            "--hls-segment-type",
            "fmp4",
            "--hls-playlist-type",
            "live",
        ],
        vec!["--dash", "--hls-segment-type", "fmp4", "--hls-single-file"],
    ] {
        let o = convert(&src, &tmp.path().join("x"), &extra);
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
    }
}
