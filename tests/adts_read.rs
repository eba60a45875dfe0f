#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `.aac` (ADTS) input: packets and timestamps as ffmpeg/ffprobe read them, a byte-identical
//! round trip to .aac, conversion to TS/MP4/FLV judged by ffprobe and by the decoded frames,
//! stdin, and hand-made hostile input (CRC, several raw blocks, junk, truncation, bad lengths).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bytes::Bytes;
use common::*;
use muxkit::adts::{AdtsDemuxer, AdtsReadOptions};
use muxkit::codec::aac::AudioSpecificConfig;
use muxkit::io::InputSource;
use muxkit::probe::{InputFormat, InputPath, OpenOptions, open_demuxer, probe};
use muxkit::{Codec, Demuxer, Packet};

/// The ADTS fixtures, and the real-world .aac files of ../shared/media when present.
fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "aac"))
        .collect();
    v.sort();
    assert!(v.len() >= 6, "run testdata/generate.sh adts: {v:?}");
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/media/avatar.aac");
    if shared.is_file() {
        v.push(shared);
    } else {
        eprintln!(
            "note: {} not found; real-world .aac skipped",
            shared.display()
        );
    }
    v
}

fn name(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

fn read_file(path: &Path) -> (Vec<muxkit::Track>, Vec<Packet>) {
    let probed = probe(InputPath::File(path)).unwrap();
    assert_eq!(probed.format, InputFormat::Adts, "{}", path.display());
    let mut d = open_demuxer(probed, OpenOptions::default()).unwrap();
    let out = drain(d.as_mut());
    assert!(
        d.losses().is_empty(),
        "{}: {:?}",
        path.display(),
        d.losses()
    );
    out
}

/// ffprobe's packets: (pts, duration) in the stream's time base, and that time base's
/// denominator (its numerator is 1).
fn ffprobe_packets(file: &Path) -> (Vec<(i64, i64)>, i64) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0", "-show_entries"])
        .args(["stream=time_base:packet=pts,duration", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let mut den = 0;
    let mut packets = Vec::new();
    for l in text.lines() {
        if let Some(d) = l.strip_prefix("1/") {
            den = d.trim().parse().unwrap();
        } else if let Some((p, d)) = l.split_once(',') {
            packets.push((p.parse().unwrap(), d.trim().parse().unwrap()));
        }
    }
    (packets, den)
}

/// ffmpeg's packets without their ADTS headers (the aac_adtstoasc filter): "size md5" each.
fn ffmpeg_raw_packets(file: &Path) -> Vec<String> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(file)
        .args(["-map", "0:a", "-c", "copy", "-bsf:a", "aac_adtstoasc"])
        .args(["-f", "framemd5", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            format!("{} {}", f[4], f[5])
        })
        .collect()
}

/// "size md5" of each packet (python3's hashlib: the crate has no MD5 of its own).
fn md5_lines(packets: &[Packet], dir: &Path) -> Vec<String> {
    let blob = dir.join("packets.bin");
    let data: Vec<u8> = packets.iter().flat_map(|p| p.data.to_vec()).collect();
    std::fs::write(&blob, data).unwrap();
    let sizes: Vec<String> = packets.iter().map(|p| p.data.len().to_string()).collect();
    let out = Command::new("python3")
        .args([
            "-c",
            "import hashlib,sys\nb=open(sys.argv[1],'rb').read()\no=0\nfor n in map(int,sys.argv[2:]):\n print(n, hashlib.md5(b[o:o+n]).hexdigest()); o+=n",
        ])
        .arg(&blob)
        .args(&sizes)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn packets_and_timestamps_match_ffmpeg() {
    if !have_ffmpeg("packets_and_timestamps_match_ffmpeg") {
        return;
    }
    let tmp = TempDir::new("adts-packets");
    for f in fixtures() {
        let (tracks, packets) = read_file(&f);
        assert_eq!(tracks.len(), 1);
        let t = &tracks[0];
        assert_eq!(t.codec.codec, Codec::Aac);
        let asc = AudioSpecificConfig::parse(&t.codec.extradata).unwrap();
        let rate = i64::from(asc.sample_rate);
        assert_eq!(
            t.time_base,
            muxkit::TimeBase::per_second(asc.sample_rate).unwrap()
        );
        let (probe_packets, den) = ffprobe_packets(&f);
        assert_eq!(packets.len(), probe_packets.len(), "{}", f.display());
        for (p, (pts, dur)) in packets.iter().zip(&probe_packets) {
            assert_eq!(p.pts.0 * den / rate, *pts, "{}", f.display());
            assert_eq!(p.dts, p.pts);
            assert_eq!(p.duration.unwrap() * den / rate, *dur, "{}", f.display());
            assert!(p.flags.keyframe && !p.flags.config_changed);
        }
        assert_eq!(
            md5_lines(&packets, tmp.path()),
            ffmpeg_raw_packets(&f),
            "{}",
            f.display()
        );
        // The configuration ffprobe sees.
        let out = Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "stream=sample_rate,channels,profile",
            ])
            .args(["-of", "csv=p=0"])
            .arg(&f)
            .output()
            .unwrap();
        let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let want = format!(
            "{},{},{}",
            asc.profile_name(),
            asc.sample_rate,
            asc.channels().unwrap()
        );
        let got: Vec<&str> = line.split(',').collect();
        assert_eq!(
            format!("{},{},{}", got[0], got[1], got[2]),
            want,
            "{}",
            f.display()
        );
    }
}

/// `convert SRC OUT` fails with one line naming channel configuration 0, and writes nothing.
fn refused(src: &Path, out: &Path) {
    let o = Command::new(muxkit_bin())
        .arg("convert")
        .arg(src)
        .arg(out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("channel configuration 0"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn aac_round_trip_is_byte_identical() {
    let tmp = TempDir::new("adts-roundtrip");
    for f in fixtures() {
        let out = tmp.path().join(format!("{}.aac", name(&f)));
        let n = name(&f);
        if n.contains("pce") {
            // ADTS cannot say what a program config element says (ffmpeg's muxer puts it back
            // into the first frame): muxkit's .aac output refuses channel configuration 0.
            refused(&f, &out);
            continue;
        }
        muxkit_convert(&f, &out, &[]);
        let (_, a) = read_file(&f);
        let (_, b) = read_file(&out);
        assert_eq!(a, b, "{}", f.display());
        // Tags are not carried, and the writer always sets the MPEG-4 ID bit.
        if !n.contains("id3") && !n.contains("mpeg2") {
            assert!(
                std::fs::read(&f).unwrap() == std::fs::read(&out).unwrap(),
                "{}: the .aac round trip changed bytes",
                f.display()
            );
        }
    }
}

#[test]
fn converts_to_ts_mp4_flv_that_ffmpeg_reads_cleanly() {
    if !have_ffmpeg("converts_to_ts_mp4_flv_that_ffmpeg_reads_cleanly") {
        return;
    }
    let tmp = TempDir::new("adts-convert");
    for f in fixtures() {
        let want = frame_hashes(&f);
        assert!(!want.is_empty());
        for ext in ["ts", "mp4", "m4a", "flv"] {
            let out = tmp.path().join(format!("{}.{ext}", name(&f)));
            if ext == "ts" && name(&f).contains("pce") {
                refused(&f, &out);
                continue;
            }
            muxkit_convert(&f, &out, &[]);
            assert_eq!(ffprobe_complaints(&out), "", "{}", out.display());
            assert_eq!(frame_hashes(&out), want, "{}", out.display());
            // And back: the packets survive the container.
            let probed = probe(InputPath::File(&out)).unwrap();
            let mut d = open_demuxer(probed, OpenOptions::default()).unwrap();
            let (_, back) = drain(d.as_mut());
            let (_, src) = read_file(&f);
            let data = |v: &[Packet]| v.iter().map(|p| p.data.clone()).collect::<Vec<_>>();
            assert_eq!(data(&back), data(&src), "{}", out.display());
        }
    }
}

#[test]
fn reads_from_stdin_and_inspects() {
    let f = testdata().join("adts_stereo_44k.aac");
    let tmp = TempDir::new("adts-stdin");
    let out = tmp.path().join("out.ts");
    let o = Command::new(muxkit_bin())
        .args(["convert", "-"])
        .arg(&out)
        .stdin(std::fs::File::open(&f).unwrap())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let probed = probe(InputPath::File(&out)).unwrap();
    let mut d = open_demuxer(probed, OpenOptions::default()).unwrap();
    let (_, from_ts) = drain(d.as_mut());
    assert_eq!(from_ts.len(), read_file(&f).1.len());
    // The stream source (not mapped) reads the same packets.
    let src = InputSource::from_reader(std::fs::File::open(&f).unwrap());
    let mut d = AdtsDemuxer::new(src, AdtsReadOptions::default()).unwrap();
    assert_eq!(drain(&mut d).1, read_file(&f).1);

    let o = Command::new(muxkit_bin())
        .args(["inspect", "--json", "-"])
        .stdin(std::fs::File::open(&f).unwrap())
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["format"], "aac");
    assert_eq!(v["header"]["sample_rate"], 44100);
    assert_eq!(v["header"]["channels"], 2);
    assert_eq!(v["header"]["profile"], "LC");
    assert_eq!(v["header"]["crc"], false);
    assert_eq!(v["frames"], read_file(&f).1.len());
    assert_eq!(v["warning_count"], 0);
    let o = Command::new(muxkit_bin())
        .arg("inspect")
        .arg(testdata().join("adts_mono_8k.aac"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("MPEG-4 AAC LC, 8000 Hz, 1 channel "),
        "{text}"
    );
}

// ---- hand-made input ----

/// An ADTS header: LC, `index` (sampling frequency), `chans` (channel configuration).
fn header(len: usize, crc: bool, raw_blocks: u8, index: u8, chans: u8) -> Vec<u8> {
    let len = len as u16;
    vec![
        0xFF,
        0xF0 | u8::from(!crc),
        (1 << 6) | (index << 2) | (chans >> 2),
        ((chans & 3) << 6) | (len >> 11) as u8,
        (len >> 3) as u8,
        ((len & 7) << 5) as u8 | 0x1F,
        0xFC | raw_blocks,
    ]
}

/// A plain frame (44.1 kHz stereo) whose payload is `n` bytes of `fill`.
fn frame(n: usize, fill: u8) -> Vec<u8> {
    let mut v = header(7 + n, false, 0, 4, 2);
    v.resize(7 + n, fill);
    v
}

fn frames(count: usize) -> Vec<u8> {
    (0..count).flat_map(|k| frame(50 + k, k as u8)).collect()
}

fn open(data: &[u8], strict: bool) -> muxkit::Result<(AdtsDemuxer, Vec<Packet>)> {
    let mut d = AdtsDemuxer::new(
        InputSource::from_bytes(Bytes::copy_from_slice(data)),
        AdtsReadOptions { strict },
    )?;
    let mut v = Vec::new();
    while let Some(p) = d.next_packet()? {
        v.push(p);
    }
    Ok((d, v))
}

/// Lenient: reads, with exactly one warning at `offset` containing `what`; strict: an error
/// naming `at byte {offset}`.
fn damaged(data: &[u8], offset: u64, what: &str) -> Vec<Packet> {
    let (d, packets) = open(data, false).unwrap();
    let w = &d.report().warnings;
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].offset, offset, "{w:?}");
    assert!(w[0].message.contains(what), "{w:?}");
    let losses = d.losses();
    assert_eq!(losses.len(), 1);
    assert!(
        losses[0].to_string().contains(&format!("at byte {offset}")),
        "{losses:?}"
    );
    let e = open(data, true).expect_err("strict fails").to_string();
    assert!(
        e.contains(&format!("at byte {offset}")) && e.contains(what),
        "{e}"
    );
    packets
}

#[test]
fn crc_protected_frames_lose_header_and_crc() {
    let mut data = Vec::new();
    for k in 0..4u8 {
        data.extend(header(9 + 30, true, 0, 3, 1));
        data.extend([0xC0, 0xC1]); // the CRC
        data.extend([k; 30]);
    }
    let (d, packets) = open(&data, true).unwrap();
    assert_eq!(packets.len(), 4);
    for (k, p) in packets.iter().enumerate() {
        assert_eq!(p.data.as_ref(), &[k as u8; 30]);
        assert_eq!(p.pts.0, 1024 * k as i64);
    }
    assert_eq!(d.report().crc_frames, 4);
    assert_eq!(
        d.tracks()[0].time_base,
        muxkit::TimeBase::per_second(48000).unwrap()
    );
}

#[test]
fn protected_multi_block_frames_are_split() {
    // Two frames of three blocks (20, 30, 10 bytes), each block followed by its CRC.
    let mut data = Vec::new();
    for f in 0..2u8 {
        let blocks = [vec![f * 3; 20], vec![f * 3 + 1; 30], vec![f * 3 + 2; 10]];
        let body: Vec<u8> = blocks
            .iter()
            .flat_map(|b| b.iter().copied().chain([0xEE, 0xEE]))
            .collect();
        data.extend(header(7 + 4 + 2 + body.len(), true, 2, 4, 2));
        data.extend(22u16.to_be_bytes());
        data.extend(54u16.to_be_bytes());
        data.extend([0xCC, 0xCC]);
        data.extend(body);
    }
    let (d, packets) = open(&data, true).unwrap();
    assert_eq!(packets.len(), 6);
    for (k, p) in packets.iter().enumerate() {
        assert!(p.data.iter().all(|&b| b == k as u8), "{k}: {p:?}");
        assert_eq!(p.pts.0, 1024 * k as i64);
    }
    assert_eq!(d.report().frames, 2);
    assert_eq!(d.report().multi_block_frames, 2);
}

#[test]
fn unprotected_multi_block_frame_is_dropped_and_named() {
    let mut data = frames(3);
    let at = data.len() as u64;
    let mut multi = header(7 + 80, false, 1, 4, 2);
    multi.resize(7 + 80, 9);
    data.extend(multi);
    data.extend(frames(2));
    let packets = damaged(&data, at, "2 raw data blocks without crc");
    assert_eq!(packets.len(), 5);
    // The frames after it keep their times.
    assert_eq!(packets[3].pts.0, 5 * 1024);
}

#[test]
fn junk_in_the_middle_is_skipped_with_its_offset() {
    let mut data = frames(3);
    let at = data.len() as u64;
    data.extend(b"junk\xFF\xF1 not a frame \xFF\xFF\xF1\x50");
    data.extend(frames(3));
    let packets = damaged(&data, at, "bytes that are not adts frames");
    assert_eq!(packets.len(), 6);
    assert_eq!(packets[3].pts.0, 3 * 1024);
}

#[test]
fn truncated_last_frame_is_dropped_with_a_warning() {
    let mut data = frames(4);
    let at = data.len() as u64;
    data.extend(&frame(200, 7)[..120]);
    let packets = damaged(&data, at, "last frame truncated (120 of 207 bytes)");
    assert_eq!(packets.len(), 4);
}

#[test]
fn bad_frame_lengths_are_skipped() {
    for bad_len in [0usize, 3, 7, 8191] {
        let mut data = frames(3);
        let at = data.len() as u64;
        let mut bad = header(bad_len, false, 0, 4, 2);
        bad.resize(60, 1);
        data.extend(bad);
        data.extend(frames(3));
        let packets = damaged(&data, at, "60 bytes that are not adts frames");
        assert_eq!(packets.len(), 6, "frame_length {bad_len}");
    }
}

#[test]
fn sync_word_storm_empty_and_header_only_inputs() {
    // Every byte pair a plausible sync word: no panic, no endless loop, an error or a read.
    let storm: Vec<u8> = [0xFF, 0xF1, 0x50, 0x80, 0x00, 0x1F, 0xFC].repeat(20_000);
    assert!(open(&storm, false).is_err());
    let mut mixed = storm.clone();
    mixed.extend(frames(3));
    let (d, packets) = open(&mixed, false).unwrap();
    assert_eq!(packets.len(), 3);
    assert_eq!(d.report().skipped_bytes, storm.len() as u64);
    // Empty, header only, one frame with no payload byte.
    for data in [
        vec![],
        header(100, false, 0, 4, 2),
        header(7, false, 0, 4, 2),
    ] {
        let e = open(&data, false).expect_err("no frames").to_string();
        assert!(e.contains("no adts frames"), "{e}");
        assert!(InputFormat::detect(&data).is_none());
    }
    // A single whole frame is a file.
    let (_, packets) = open(&frame(40, 1), true).unwrap();
    assert_eq!(packets.len(), 1);
}

#[test]
fn channel_configuration_0_and_config_changes() {
    // Channel configuration 0 without a program config element first (0x20: a CPE).
    let mut pce = header(7 + 40, false, 0, 4, 0);
    pce.resize(7 + 40, 0x20);
    let e = open(&[pce.clone(), pce.clone()].concat(), false)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("at byte 0") && e.contains("channel configuration 0"),
        "{e}"
    );
    // 44.1 kHz stereo, then 8 kHz mono (two files joined).
    let mut data = frames(3);
    for _ in 0..3 {
        let mut f = header(7 + 30, false, 0, 11, 1);
        f.resize(7 + 30, 5);
        data.extend(f);
    }
    let (d, packets) = open(&data, true).unwrap();
    assert_eq!(packets.len(), 6);
    assert!(packets[3].flags.config_changed);
    assert!(packets.iter().filter(|p| p.flags.config_changed).count() == 1);
    let asc = AudioSpecificConfig::parse(&packets[3].config.as_ref().unwrap().extradata).unwrap();
    assert_eq!((asc.sample_rate, asc.channels()), (8000, Some(1)));
    assert_eq!(d.report().config_changes, 1);
    // Time goes on in the first rate's units: 3 frames of 1024 at 8 kHz are 3 * 5644.8 ticks.
    assert_eq!(packets[4].pts.0 - packets[3].pts.0, 5645);
    // A frame with channel configuration 0 in the middle is dropped and named.
    let mut data = frames(2);
    let at = data.len() as u64;
    data.extend(&pce);
    data.extend(frames(2));
    damaged(
        &data,
        at,
        "channel configuration 0 without a program config element",
    );
}

#[test]
fn cli_names_damage_and_strict_fails_on_it() {
    let tmp = TempDir::new("adts-cli-strict");
    let mut data = std::fs::read(testdata().join("adts_stereo_44k.aac")).unwrap();
    // Junk after the 10th frame.
    let mut at = 0;
    for _ in 0..10 {
        at += usize::from(
            u16::from(data[at + 3] & 3) << 11
                | u16::from(data[at + 4]) << 3
                | u16::from(data[at + 5] >> 5),
        );
    }
    data.splice(at..at, b"this is not audio".iter().copied());
    let src = tmp.path().join("junk.aac");
    std::fs::write(&src, &data).unwrap();
    let out = tmp.path().join("out.mp4");
    let o = Command::new(muxkit_bin())
        .arg("convert")
        .arg(&src)
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(&format!("at byte {at}")) && err.contains("17 bytes"),
        "{err}"
    );
    let strict = tmp.path().join("strict.mp4");
    let o = Command::new(muxkit_bin())
        .arg("convert")
        .arg(&src)
        .arg(&strict)
        .arg("--strict")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("at byte {at}")), "{err}");
    assert!(!strict.exists());
}

#[test]
fn adts_after_an_id3v2_tag_larger_than_the_probe() {
    // A 5000-byte tag hides the frames from the probe (it says MPEG audio); opening tells.
    let mut data = b"ID3\x04\x00\x00\x00\x00\x27\x06".to_vec(); // size 0x27 << 7 | 6 = 4998
    data.resize(10 + 4998, 0);
    let audio = std::fs::read(testdata().join("adts_mono_8k.aac")).unwrap();
    data.extend_from_slice(&audio);
    let probed = muxkit::probe::probe_bytes(Bytes::from(data)).unwrap();
    let mut d = open_demuxer(
        probed,
        OpenOptions {
            strict: true,
            ..OpenOptions::default()
        },
    )
    .unwrap();
    let (tracks, packets) = drain(d.as_mut());
    assert_eq!(tracks[0].codec.codec, Codec::Aac);
    assert_eq!(
        packets.len(),
        read_file(&testdata().join("adts_mono_8k.aac")).1.len()
    );
}
