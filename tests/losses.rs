#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Nothing lost unsaid: every input stream is carried into the output or named on stderr, with
//! `--strict` refusing any loss, and a run that would write no media fails instead of writing an
//! empty file. Inputs made by ffmpeg (testdata/generate.sh, `loss_fixtures`).

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{TempDir, ffprobe_complaints, frame_hashes, have_ffmpeg, muxkit_bin, testdata};

fn convert(src: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(muxkit_bin())
        .arg("convert")
        .arg(src)
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Lines of stderr that start with `muxkit: warning:`.
fn warnings(o: &Output) -> Vec<String> {
    stderr(o)
        .lines()
        .filter(|l| l.starts_with("muxkit: warning: "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_track_the_output_cannot_carry_is_named_and_the_rest_converted() {
    let tmp = TempDir::new("loss-refused");
    // MP2 has no FLV codec id (ffmpeg refuses it in FLV too): the video goes, the MP2 is named.
    let out = tmp.path().join("mp2.flv");
    let o = convert(&testdata().join("ts_mp2.ts"), &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        warnings(&o),
        ["muxkit: warning: track 1: audio mp2 not converted: flv cannot carry mp2"]
    );
    assert!(out.is_file());
    // --strict: the same loss is an error, and nothing is written.
    let strict = tmp.path().join("strict.flv");
    let o = convert(&testdata().join("ts_mp2.ts"), &strict, &["--strict"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("track 1: audio mp2 not converted: flv cannot carry mp2 (--strict"),
        "{}",
        stderr(&o)
    );
    assert!(!strict.exists());
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "a temporary file was left"
    );
    // Pulling the audio out of a video file (an audio-only output asks for it) names the
    // video it leaves behind, as a note: chosen, not lost.
    let aac = tmp.path().join("a.aac");
    let o = convert(&testdata().join("source.flv"), &aac, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(warnings(&o).is_empty(), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).trim_end(),
        format!(
            "muxkit: note: track 0: video h264 left out: {} holds audio only",
            aac.display()
        )
    );
    // And --strict does not count it as a loss.
    let o = convert(
        &testdata().join("source.flv"),
        &tmp.path().join("s.aac"),
        &["--strict"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_stream_the_reader_skips_is_named() {
    let tmp = TempDir::new("loss-skipped");
    // AV1 in TS: ffmpeg writes stream type 0x06 with no descriptor, and reads it back only as
    // data. Nothing muxkit can read is left: an error naming the stream, and no output.
    let out = tmp.path().join("av1.flv");
    let o = convert(&testdata().join("ts_av1.ts"), &out, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o).trim_end(),
        "muxkit: error: nothing to convert: pid 0x0100: stream type 0x06 (private-pes) not converted: muxkit does not read this stream type"
    );
    assert!(!out.exists());
    let hls = tmp.path().join("hls");
    let o = convert(&testdata().join("ts_av1.ts"), &hls, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!hls.join("index.m3u8").exists());
}

#[test]
fn fragmented_mp4_is_read_whole() {
    if !have_ffmpeg("fragmented_mp4_is_read_whole") {
        return;
    }
    // An empty moov: every sample is in fragments (once named as not read, now read).
    let tmp = TempDir::new("loss-fmp4");
    for name in ["frag_empty_moov.mp4", "frag_keyframe.mp4"] {
        let out = tmp.path().join(format!("{name}.flv"));
        let src = testdata().join(name);
        let o = convert(&src, &out, &["--strict"]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(warnings(&o).is_empty(), "{}", stderr(&o));
        assert_eq!(frame_hashes(&out), frame_hashes(&src));
    }
}

#[test]
fn mpeg_audio_layer_ii_in_ts_is_read_and_carried() {
    if !have_ffmpeg("mpeg_audio_layer_ii_in_ts_is_read_and_carried") {
        return;
    }
    let tmp = TempDir::new("loss-mp2");
    let src = testdata().join("ts_mp2.ts");
    for name in ["back.ts", "audio.mp2"] {
        let out = tmp.path().join(name);
        let o = convert(&src, &out, &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        if name == "back.ts" {
            assert!(warnings(&o).is_empty(), "{}", stderr(&o));
            assert_eq!(frame_hashes(&out), frame_hashes(&src));
        } else {
            let want: Vec<String> = frame_hashes(&src)
                .into_iter()
                .filter(|l| l.starts_with("1 "))
                .map(|l| l.replacen("1 ", "0 ", 1))
                .collect();
            assert_eq!(frame_hashes(&out), want);
        }
        // A raw MPEG audio file has no duration field: ffprobe always estimates it.
        let c = ffprobe_complaints(&out)
            .lines()
            .filter(|l| !l.contains("Estimating duration from bitrate"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(c.is_empty(), "{name}: {c}");
    }
}

#[test]
fn batch_reports_what_it_left_out() {
    let tmp = TempDir::new("loss-batch");
    let input = tmp.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::copy(testdata().join("ts_mp2.ts"), input.join("mp2.ts")).unwrap();
    let report = tmp.path().join("r.jsonl");
    let o = Command::new(muxkit_bin())
        .arg("batch")
        .arg(&input)
        .arg(tmp.path().join("out"))
        .args(["--to", "flv", "--report"])
        .arg(&report)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "batch: warning: mp2.ts: track 1: audio mp2 not converted: flv cannot carry mp2"
        ),
        "{}",
        stderr(&o)
    );
    let line: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&report).unwrap().trim()).unwrap();
    assert_eq!(line["status"], "converted");
    assert_eq!(
        line["warnings"],
        serde_json::json!(["track 1: audio mp2 not converted: flv cannot carry mp2"])
    );
}

#[test]
fn ac3_eac3_and_m2ts_aac_in_ts_are_read_and_carried() {
    if !have_ffmpeg("ac3_eac3_and_m2ts_aac_in_ts_are_read_and_carried") {
        return;
    }
    let tmp = TempDir::new("loss-ac3");
    for (name, codec) in [
        ("ts_ac3.ts", "ac3"),
        ("ts_eac3.ts", "eac3"),
        ("ts_eac3_dvb.ts", "eac3"),
        ("m2ts_aac.m2ts", "aac"),
    ] {
        let src = testdata().join(name);
        let o = Command::new(muxkit_bin())
            .arg("inspect")
            .arg(&src)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains(&format!("track 1: audio {codec} ")) && !text.contains("warnings"),
            "{name}: {text}"
        );
        let want = frame_hashes(&src);
        assert!(want.iter().filter(|l| l.starts_with("1 ")).count() > 50);
        // TS and back through FLV (Enhanced RTMP FourCC for AC-3/E-AC-3): the same frames.
        let ts = tmp.path().join(format!("{name}.ts"));
        let o = convert(&src, &ts, &[]);
        assert!(
            o.status.success() && warnings(&o).is_empty(),
            "{name}: {}",
            stderr(&o)
        );
        assert_eq!(frame_hashes(&ts), want, "{name} -> ts");
        assert!(
            ffprobe_complaints(&ts).is_empty(),
            "{name}: {}",
            ffprobe_complaints(&ts)
        );
        let flv = tmp.path().join(format!("{name}.flv"));
        let o = convert(&src, &flv, &[]);
        assert!(
            o.status.success() && warnings(&o).is_empty(),
            "{name}: {}",
            stderr(&o)
        );
        let back = tmp.path().join(format!("{name}.flv.ts"));
        let o = convert(&flv, &back, &[]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        assert_eq!(frame_hashes(&back), want, "{name} -> flv -> ts");
        // HLS segments carry it too.
        let hls = tmp.path().join(format!("hls_{}", name.replace('.', "_")));
        let o = convert(&src, &hls, &[]);
        assert!(
            o.status.success() && warnings(&o).is_empty(),
            "{name}: {}",
            stderr(&o)
        );
        let c = ffprobe_complaints(&hls.join("index.m3u8"));
        assert!(c.is_empty(), "{name}: {c}");
    }
}

/// A TS whose every PAT (or PMT) is damaged has no readable program: the error names the
/// damage, and nothing is written.
#[test]
fn damaged_program_tables_are_named_not_converted_to_nothing() {
    let tmp = TempDir::new("loss-psi");
    let data = std::fs::read(testdata().join("source_bframes.ts")).unwrap();
    type Damage = fn(&mut [u8]);
    let cases: [(&str, u16, Damage, &str); 5] = [
        (
            "pat_length",
            0,
            |p| {
                p[6] = 0xBF;
                p[7] = 0xFF
            },
            "section_length of 4095",
        ),
        ("pat_crc", 0, |p| p[17] ^= 0xFF, "crc-32 mismatch"),
        ("pat_pointer", 0, |p| p[4] = 255, "pointer_field 255"),
        (
            "pmt_es_info",
            0x1000,
            |p| {
                p[20] = 0xF0;
                p[21] = 0xFF
            },
            "pid 0x1000",
        ),
        (
            "pmt_short",
            0x1000,
            |p| {
                p[6] = 0xB0;
                p[7] = 0x05
            },
            "pid 0x1000",
        ),
    ];
    for (name, pid, damage, want) in cases {
        let mut d = data.clone();
        for p in d.chunks_mut(188) {
            let this = (u16::from(p[1] & 0x1F) << 8) | u16::from(p[2]);
            if this == pid && p[1] & 0x40 != 0 {
                damage(p);
            }
        }
        let src = tmp.path().join(format!("{name}.ts"));
        std::fs::write(&src, &d).unwrap();
        let out = tmp.path().join(format!("{name}.flv"));
        let o = convert(&src, &out, &[]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains("nothing to convert") && e.contains("input damaged") && e.contains(want),
            "{name}: {e}"
        );
        assert!(!out.exists());
    }
}

/// ID3 frames damaged beyond use are named (and --strict refuses them).
#[test]
fn damaged_id3_frames_are_named() {
    let tmp = TempDir::new("loss-id3");
    let mut d = std::fs::read(testdata().join("song_v23_cover.mp3")).unwrap();
    let at = d.windows(4).position(|w| w == b"TIT2").unwrap();
    d[at + 10] = 9; // a text encoding that does not exist
    let src = tmp.path().join("bad.mp3");
    std::fs::write(&src, &d).unwrap();
    let o = convert(&src, &tmp.path().join("out.mp3"), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        warnings(&o),
        [
            "muxkit: warning: input damaged: id3v2 tag at byte 0: frame TIT2 at byte 20: text encoding 9 is not 0-3: kept as raw bytes"
        ]
    );
    let o = convert(&src, &tmp.path().join("strict.mp3"), &["--strict"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!tmp.path().join("strict.mp3").exists());
}
