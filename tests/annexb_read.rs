#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Raw H.264/HEVC Annex B input (`.h264`, `.h265`): converted to MP4, TS and FLV, judged by
//! ffprobe (no complaint), by ffmpeg's decoder (same frames as decoding the raw file) and by
//! ffmpeg's own muxing of the raw file (same decode times; same presentation times where
//! ffmpeg 5.1 derives them, which is only without B-frames: with B-frames its `-c copy` sets
//! pts = dts and drops the first frames by edit list, so there the presentation times are
//! checked against the decoded display order instead). Hostile input never panics, reports
//! damage with its byte offset, and `strict` makes it an error.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bytes::Bytes;
use common::*;
use muxkit::annexb::{AnnexBCodec, AnnexBDemuxer, AnnexBReadOptions, MAX_NAL_SIZE};
use muxkit::codec::bits::{BitWriter, add_emulation_prevention};
use muxkit::io::InputSource;
use muxkit::probe::{InputFormat, OpenOptions, open_demuxer, probe_bytes};
use muxkit::{Demuxer, Error, Loss, TimeBase};

/// The raw fixtures and, when present, the real x264 file in ../shared/media.
fn raw_inputs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("raw_"))
        .collect();
    v.sort();
    assert!(v.len() >= 6, "run testdata/generate.sh annexb: {v:?}");
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/media/avatar.h264");
    if real.is_file() {
        v.push(real);
    } else {
        eprintln!(
            "note: {} not found; real-world raw h264 skipped",
            real.display()
        );
    }
    v
}

fn is_hevc(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "h265")
}

fn has_b_frames(p: &Path) -> bool {
    !p.to_string_lossy().contains("no_bframes")
}

fn open(data: Bytes, strict: bool) -> muxkit::Result<AnnexBDemuxer> {
    let codec = match muxkit::annexb::detect(&data) {
        Some(c) => c,
        None => AnnexBCodec::H264,
    };
    AnnexBDemuxer::new(
        InputSource::from_bytes(data),
        codec,
        AnnexBReadOptions {
            strict,
            framerate: None,
        },
    )
}

/// `ffprobe -show_entries packet=dts_time,pts_time` in seconds, in file order.
fn packet_times(file: &Path) -> Vec<(f64, f64)> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args(["packet=dts_time,pts_time", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let f: Vec<f64> = l.split(',').map(|x| x.trim().parse().unwrap()).collect();
            (f[1], f[0])
        })
        .collect()
}

/// Presentation times of the decoded frames, in output order.
fn frame_times(file: &Path) -> Vec<f64> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args(["frame=pts_time", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().trim_end_matches(','))
        .filter(|l| !l.is_empty())
        .map(|l| l.parse().unwrap())
        .collect()
}

#[test]
fn converts_like_ffmpeg_decodes() {
    if !have_ffmpeg("converts_like_ffmpeg_decodes") {
        return;
    }
    let dir = TempDir::new("annexb-convert");
    for src in raw_inputs() {
        let name = src.file_name().unwrap().to_string_lossy().into_owned();
        let original = frame_hashes(&src);
        assert!(original.len() >= 24, "{name}: {}", original.len());
        // What ffmpeg makes of the same raw file: its decode times are the reference.
        let theirs = dir.path().join(format!("{name}.ffmpeg.mp4"));
        let st = Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-y", "-i"])
            .arg(&src)
            .args(["-c", "copy"])
            .arg(&theirs)
            .status()
            .unwrap();
        assert!(st.success());
        let their_times = packet_times(&theirs);
        // ffmpeg 9 and 5.1 both mux HEVC in FLV only as Enhanced FLV, which 5.1 cannot read.
        let outputs: &[&str] = if is_hevc(&src) {
            &["mp4", "ts"]
        } else {
            &["mp4", "ts", "flv"]
        };
        for ext in outputs {
            let out = dir.path().join(format!("{name}.{ext}"));
            muxkit_convert(&src, &out, &[]);
            assert_eq!(ffprobe_complaints(&out), "", "{name} -> {ext}");
            assert_eq!(
                frame_hashes(&out),
                original,
                "{name} -> {ext}: decoded frames"
            );
            // Frames come out one frame duration apart, from the first.
            let shown = frame_times(&out);
            assert_eq!(shown.len(), original.len(), "{name} -> {ext}");
            let step = shown[1] - shown[0];
            for w in shown.windows(2) {
                assert!(
                    (w[1] - w[0] - step).abs() < 0.0015,
                    "{name} -> {ext}: frame times {shown:?}"
                );
            }
            if *ext != "mp4" {
                continue;
            }
            let ours = packet_times(&out);
            assert_eq!(ours.len(), their_times.len(), "{name}");
            for (k, (o, t)) in ours.iter().zip(&their_times).enumerate() {
                assert!(
                    (o.0 - t.0).abs() < 0.0005,
                    "{name} packet {k}: dts {o:?} vs {t:?}"
                );
                assert!(o.1 >= o.0, "{name} packet {k}: pts before dts {o:?}");
                if !has_b_frames(&src) {
                    assert!(
                        (o.1 - t.1).abs() < 0.0005,
                        "{name} packet {k}: pts {o:?} vs {t:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn packets_are_canonical_and_timed() {
    for src in raw_inputs() {
        let name = src.file_name().unwrap().to_string_lossy().into_owned();
        let data = Bytes::from(std::fs::read(&src).unwrap());
        let probed = probe_bytes(data.clone()).unwrap();
        let hevc = is_hevc(&src);
        let want = if hevc {
            InputFormat::H265
        } else {
            InputFormat::H264
        };
        assert_eq!(probed.format, want, "{name}");
        let mut d = open_demuxer(probed, OpenOptions::default()).unwrap();
        let (tracks, packets) = drain(&mut *d);
        assert_eq!(tracks.len(), 1);
        assert!(!tracks[0].codec.extradata.is_empty(), "{name}");
        assert!(d.losses().is_empty(), "{name}: {:?}", d.losses());
        assert!(packets[0].flags.keyframe, "{name}");
        let dur = packets[0].duration.unwrap();
        let mut pts: Vec<i64> = Vec::new();
        for (k, p) in packets.iter().enumerate() {
            assert_eq!(p.dts.0, k as i64 * dur, "{name} #{k}");
            assert!(p.pts >= p.dts, "{name} #{k}");
            // Length-prefixed NAL units, none of them a parameter set or delimiter.
            let mut rest = &p.data[..];
            while !rest.is_empty() {
                let n = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
                let t = if hevc {
                    (rest[4] >> 1) & 0x3F
                } else {
                    rest[4] & 0x1F
                };
                let kept_out = if hevc {
                    (32..=35).contains(&t)
                } else {
                    (7..=9).contains(&t)
                };
                assert!(!kept_out, "{name} #{k}: nal type {t} in band");
                rest = &rest[4 + n..];
            }
            pts.push(p.pts.0);
        }
        // Presentation times are every frame slot once, after the reorder delay.
        pts.sort();
        let first = pts[0];
        for (k, t) in pts.iter().enumerate() {
            assert_eq!(*t, first + k as i64 * dur, "{name}");
        }
        if !has_b_frames(&src) {
            assert_eq!(first, 0, "{name}: no reordering, no delay");
        }
        let fps = tracks[0].time_base.rescale(dur, TimeBase::MICROS);
        let want_us = if name.contains("2997") {
            33_367
        } else {
            40_000
        };
        assert!((fps - want_us).abs() <= 1, "{name}: frame of {fps} us");
    }
}

#[test]
fn framerate_option_and_its_misuse() {
    let src = testdata().join("raw_bframes.h264");
    let data = Bytes::from(std::fs::read(&src).unwrap());
    let options = OpenOptions {
        framerate: Some((50, 1)),
        ..OpenOptions::default()
    };
    let mut d = open_demuxer(probe_bytes(data).unwrap(), options).unwrap();
    let (tracks, packets) = drain(&mut *d);
    assert_eq!(
        tracks[0]
            .time_base
            .rescale(packets[0].duration.unwrap(), TimeBase::MILLIS),
        20
    );
    for bad in [(0, 1), (25, 0), (1_000_000, 1)] {
        let o = OpenOptions {
            framerate: Some(bad),
            ..OpenOptions::default()
        };
        let data = Bytes::from(std::fs::read(&src).unwrap());
        let err = open_demuxer(probe_bytes(data).unwrap(), o).err().unwrap();
        assert!(matches!(err, Error::InvalidUse(_)), "{bad:?}: {err}");
    }
    let flv = testdata().join("h264_mp3.flv");
    let err = open_demuxer(
        probe_bytes(Bytes::from(std::fs::read(&flv).unwrap())).unwrap(),
        options,
    )
    .err()
    .unwrap();
    assert!(
        err.to_string().contains("--framerate applies to raw"),
        "{err}"
    );
    // The CLI: accepted forms, and the refusal.
    let dir = TempDir::new("annexb-rate");
    let out = dir.path().join("o.mp4");
    muxkit_convert(&src, &out, &["--framerate", "29.97"]);
    if have_ffmpeg("framerate_option_and_its_misuse") {
        assert_eq!(frame_times(&out)[1], 0.033367);
    }
    let o = Command::new(muxkit_bin())
        .args(["convert", "--framerate", "30"])
        .arg(&flv)
        .arg(dir.path().join("x.mp4"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--framerate applies to raw .h264/.h265 input"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = Command::new(muxkit_bin())
        .args(["inspect", "--framerate", "30000/1001", "--json"])
        .arg(&src)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn reads_from_stdin() {
    let src = testdata().join("raw_bframes.h265");
    let dir = TempDir::new("annexb-stdin");
    let out = dir.path().join("o.ts");
    let mut child = Command::new(muxkit_bin())
        .args(["convert", "-"])
        .arg(&out)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&src).unwrap())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    if have_ffmpeg("reads_from_stdin") {
        assert_eq!(frame_hashes(&out), frame_hashes(&src));
    }
}

// ---- hostile input ----

fn fixture() -> Vec<u8> {
    std::fs::read(testdata().join("raw_no_bframes.h264")).unwrap()
}

/// Start code positions (index of the first byte after `00 00 01`).
fn nal_starts(data: &[u8]) -> Vec<usize> {
    (0..data.len().saturating_sub(3))
        .filter(|&i| data[i..i + 3] == [0, 0, 1])
        .map(|i| i + 3)
        .collect()
}

fn damage_offsets(d: &AnnexBDemuxer) -> Vec<Option<u64>> {
    d.losses()
        .iter()
        .map(|l| match l {
            Loss::Damage { offset, .. } => *offset,
            other => panic!("{other:?}"),
        })
        .collect()
}

/// Lenient: reads, with a loss at `offset`; strict: an error.
fn damaged(data: Vec<u8>, offset: u64, what: &str) -> usize {
    let data = Bytes::from(data);
    let mut d = open(data.clone(), false).unwrap_or_else(|e| panic!("{what}: {e}"));
    let (_, packets) = drain(&mut d);
    // The offset is the loss's own, or named in its message.
    let named = d
        .losses()
        .iter()
        .any(|l| l.to_string().contains(&format!("byte {offset}")));
    assert!(
        damage_offsets(&d).contains(&Some(offset)) || named,
        "{what}: {:?}",
        d.losses()
    );
    let strict = open(data, true).and_then(|mut d| {
        while d.next_packet()?.is_some() {}
        Ok(())
    });
    assert!(matches!(strict, Err(Error::Lost(_))), "{what}: {strict:?}");
    packets.len()
}

#[test]
fn garbage_before_the_first_start_code() {
    let mut data = b"not a start code at all".to_vec();
    data.extend(fixture());
    assert_eq!(InputFormat::detect(&data), None);
    assert_eq!(damaged(data, 0, "garbage"), 25);
}

#[test]
fn truncated_last_nal() {
    let data = fixture();
    let last = *nal_starts(&data).last().unwrap();
    let cut = data[..last + 1].to_vec();
    // The last picture is dropped: its slice header is gone.
    assert_eq!(damaged(cut, last as u64, "truncated"), 24);
}

#[test]
fn slices_before_parameter_sets() {
    let data = fixture();
    // Start at the first IDR slice: the first GOP has no SPS/PPS before it.
    let idr = nal_starts(&data)
        .into_iter()
        .find(|&s| data[s] & 0x1F == 5)
        .unwrap();
    let mut cut = vec![0];
    cut.extend(&data[idr - 3..]);
    let n = damaged(cut.clone(), 4, "no parameter sets");
    assert!((1..25).contains(&n), "{n}");
    // The whole first GOP is one warning, not one per slice.
    let mut d = open(Bytes::from(cut), false).unwrap();
    drain(&mut d);
    assert_eq!(d.losses().len(), 1, "{:?}", d.losses());
    assert!(
        d.losses()[0]
            .to_string()
            .contains(&format!("{} slices", 25 - n))
    );
}

/// An SPS of `width_mbs` macroblocks across, POC type 2, no VUI.
fn sps(width_mbs: u32) -> Vec<u8> {
    let mut w = BitWriter::new();
    for b in [0x67u32, 66, 0, 30] {
        w.write_bits(8, b);
    }
    w.write_ue(0); // sps id
    w.write_ue(0); // log2_max_frame_num_minus4
    w.write_ue(2); // pic_order_cnt_type
    w.write_ue(1); // max_num_ref_frames
    w.write_flag(false);
    w.write_ue(width_mbs - 1);
    w.write_ue(5);
    w.write_flag(true); // frame_mbs_only
    w.write_flag(true);
    w.write_flag(false);
    w.write_flag(false);
    w.write_trailing_bits();
    add_emulation_prevention(&w.into_bytes())
}

#[test]
fn absurd_sps_dimensions() {
    let mut data = vec![0, 0, 0, 1];
    data.extend(sps(1_000_000));
    data.extend(fixture());
    assert_eq!(InputFormat::detect(&data), Some(InputFormat::H264));
    assert_eq!(damaged(data, 4, "absurd sps"), 25);
    // Alone, it makes no track.
    let mut alone = vec![0, 0, 0, 1];
    alone.extend(sps(1_000_000));
    alone.extend([
        0, 0, 0, 1, 0x68, 0xce, 0x38, 0x80, 0, 0, 0, 1, 0x65, 0x88, 0x84,
    ]);
    let err = open(Bytes::from(alone), false).err().unwrap();
    assert!(err.to_string().contains("no h264 picture"), "{err}");
}

#[test]
fn empty_and_start_code_only() {
    for data in [&b""[..], b"\0\0\0\x01", b"\0\0\x01\0\0\x01", b"\0\0\0\0\0"] {
        let err = open(Bytes::from_static(data), false).err().unwrap();
        assert!(matches!(err, Error::InvalidInput(_)), "{data:?}: {err}");
    }
}

#[test]
fn nal_over_the_limit() {
    let mut data = vec![0, 0, 0, 1, 0x65];
    data.resize(MAX_NAL_SIZE + 16, 0xFF);
    let err = open(Bytes::from(data), false).err().unwrap();
    assert!(err.to_string().contains("longer than"), "{err}");
}

#[test]
fn random_bytes_after_a_valid_start() {
    let data = fixture();
    let starts = nal_starts(&data);
    // SPS, PPS (and SEI) kept, then noise.
    let keep = starts[3] - 4;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for round in 0..20 {
        let mut v = data[..keep].to_vec();
        for _ in 0..20_000 + round * 1000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Start codes now and then, so noise becomes NAL units.
            v.push(if seed % 97 == 0 {
                0
            } else {
                (seed >> 24) as u8
            });
        }
        for strict in [false, true] {
            if let Ok(mut d) = open(Bytes::from(v.clone()), strict) {
                while let Ok(Some(_)) = d.next_packet() {}
                let _ = d.losses();
            }
        }
    }
}

#[test]
fn parameter_set_change_mid_stream() {
    // Two x264 streams back to back: the second's SPS differs (29.97 fps timing).
    let mut data = std::fs::read(testdata().join("raw_bframes.h264")).unwrap();
    let first_len = data.len();
    data.extend(std::fs::read(testdata().join("raw_2997.h264")).unwrap());
    let mut d = open(Bytes::from(data.clone()), true).unwrap();
    let (tracks, packets) = drain(&mut d);
    let changes: Vec<usize> = (0..packets.len())
        .filter(|&k| packets[k].flags.config_changed)
        .collect();
    assert_eq!(changes, [25], "{first_len}");
    let p = &packets[25];
    assert!(p.flags.keyframe);
    assert_eq!(
        p.config.as_ref().unwrap().extradata,
        tracks[0].codec.extradata
    );
    assert_eq!(packets.len(), 55);
    if !have_ffmpeg("parameter_set_change_mid_stream") {
        return;
    }
    let dir = TempDir::new("annexb-change");
    let src = dir.path().join("joined.h264");
    std::fs::write(&src, &data).unwrap();
    let out = dir.path().join("joined.ts");
    muxkit_convert(&src, &out, &[]);
    assert_eq!(ffprobe_complaints(&out), "");
    assert_eq!(frame_hashes(&out), frame_hashes(&src));
}

/// The NAL units of a raw stream (without start codes or trailing zeros).
fn nal_units(data: &[u8]) -> Vec<&[u8]> {
    let starts = nal_starts(data);
    starts
        .iter()
        .enumerate()
        .map(|(k, &s)| {
            let mut e = starts.get(k + 1).map_or(data.len(), |n| n - 3);
            while e > s && data[e - 1] == 0 {
                e -= 1;
            }
            &data[s..e]
        })
        .collect()
}

#[test]
fn stream_parameters_read() {
    use muxkit::codec::avc::Sps;
    use muxkit::codec::hevc::{HevcSps, hevc_vps_timing};
    let data = std::fs::read(testdata().join("raw_bframes.h264")).unwrap();
    let sps = nal_units(&data)
        .into_iter()
        .find(|n| n[0] & 0x1F == 7)
        .unwrap();
    let sps = Sps::parse(sps).unwrap();
    assert_eq!(sps.max_num_reorder_frames, Some(2));
    let t = sps.timing.unwrap();
    assert_eq!(t.time_scale / (2 * t.num_units_in_tick), 25);
    let data = std::fs::read(testdata().join("raw_bframes.h265")).unwrap();
    let units = nal_units(&data);
    let vps = units.iter().find(|n| (n[0] >> 1) & 0x3F == 32).unwrap();
    // x265 states its timing in the SPS VUI, not in the VPS.
    assert_eq!(hevc_vps_timing(vps).unwrap(), None);
    let sps = units.iter().find(|n| (n[0] >> 1) & 0x3F == 33).unwrap();
    let (plain, order) = HevcSps::parse_with_order(sps).unwrap();
    assert_eq!(plain, HevcSps::parse(sps).unwrap());
    assert_eq!(order.max_num_reorder_pics, 2);
    assert_eq!(order.timing, Some((1, 25)));
    assert!((4..=16).contains(&order.log2_max_pic_order_cnt_lsb));
    // And a 50 fps HEVC stream is read at 50 fps from its VPS, without --framerate.
    if !have_ffmpeg("stream_parameters_read") {
        return;
    }
    let dir = TempDir::new("annexb-hevc50");
    let src = dir.path().join("fifty.h265");
    let st = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i"])
        .args([
            "testsrc2=size=64x64:rate=50",
            "-t",
            "0.4",
            "-c:v",
            "libx265",
        ])
        .args([
            "-x265-params",
            "pools=none:frame-threads=1:log-level=error",
            "-f",
            "hevc",
        ])
        .arg(&src)
        .status()
        .unwrap();
    assert!(st.success());
    let mut d = open(Bytes::from(std::fs::read(&src).unwrap()), true).unwrap();
    let (tracks, packets) = drain(&mut d);
    assert_eq!(packets.len(), 20);
    assert_eq!(
        tracks[0]
            .time_base
            .rescale(packets[0].duration.unwrap(), TimeBase::MILLIS),
        20
    );
}

#[test]
fn pts_equal_the_encoders_own() {
    // hevc.h265 was cut out of an MP4 whose timestamps x265/ffmpeg set at encoding time
    // (hevc.timestamps.csv: dts_ms,pts_ms,flags per access unit, first dts -80 ms): the
    // presentation times derived from picture order counts must be those, two frames later.
    let data = Bytes::from(std::fs::read(testdata().join("hevc.h265")).unwrap());
    let mut d = open(data, true).unwrap();
    let (tracks, packets) = drain(&mut d);
    let csv = std::fs::read_to_string(testdata().join("hevc.timestamps.csv")).unwrap();
    let want: Vec<(i64, i64, bool)> = csv
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].contains('K'),
            )
        })
        .collect();
    assert_eq!(packets.len(), want.len());
    let ms = |t: muxkit::Timestamp| tracks[0].time_base.rescale(t.0, TimeBase::MILLIS) - 80;
    for (p, w) in packets.iter().zip(&want) {
        assert_eq!((ms(p.dts), ms(p.pts), p.flags.keyframe), *w, "{p:?}");
    }
}

#[test]
fn h264_pts_equal_the_encoders_own() {
    // The same for x264 with B-pyramid: an MP4 made by ffmpeg (timestamps from the encoder),
    // its video cut out as Annex B; muxkit's times must be the MP4's, shifted by one constant.
    if !have_ffmpeg("h264_pts_equal_the_encoders_own") {
        return;
    }
    let dir = TempDir::new("annexb-enc");
    let mp4 = dir.path().join("enc.mp4");
    let raw = dir.path().join("enc.h264");
    for args in [
        vec![
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=96x64:rate=25",
            "-t",
            "2",
            "-c:v",
            "libx264",
            "-threads",
            "1",
            "-bf",
            "3",
            "-b_strategy",
            "2",
            "-g",
            "20",
        ],
        vec![
            "-i",
            mp4.to_str().unwrap(),
            "-c",
            "copy",
            "-bsf:v",
            "h264_mp4toannexb",
        ],
    ] {
        let out = if args[0] == "-f" { &mp4 } else { &raw };
        let st = Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-y"])
            .args(&args)
            .arg(out)
            .status()
            .unwrap();
        assert!(st.success());
    }
    let want: Vec<(i64, i64)> = packet_times(&mp4)
        .iter()
        .map(|(d, p)| ((d * 1000.0).round() as i64, (p * 1000.0).round() as i64))
        .collect();
    let mut d = open(Bytes::from(std::fs::read(&raw).unwrap()), true).unwrap();
    let (tracks, packets) = drain(&mut d);
    let ms = |t: muxkit::Timestamp| tracks[0].time_base.rescale(t.0, TimeBase::MILLIS);
    let got: Vec<(i64, i64)> = packets.iter().map(|p| (ms(p.dts), ms(p.pts))).collect();
    assert_eq!(got.len(), want.len());
    let shift = got[0].0 - want[0].0;
    let shifted: Vec<(i64, i64)> = got.iter().map(|(d, p)| (d - shift, p - shift)).collect();
    assert_eq!(shifted, want);
    assert!(
        want.iter().any(|(d, p)| p - d > 40),
        "no reordering in {want:?}"
    );
}
