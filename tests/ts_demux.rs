//! The TS demuxer against ffmpeg's TS muxer: the same frames, configurations and timestamps as
//! the FLV the TS was made from, and the same packets ffprobe sees.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use bytes::Bytes;
use common::{TempDir, drain, have_ffmpeg, testdata};
use muxkit::codec::aac::AudioSpecificConfig;
use muxkit::flv::FlvDemuxer;
use muxkit::io::map_file;
use muxkit::ts::{TsDemuxer, TsReadOptions, TsStreamParser};
use muxkit::{Codec, MediaKind, Packet, TimeBase, Track};

fn ts_of(path: &Path) -> (Vec<Track>, Vec<Packet>, TsDemuxer) {
    let mut d = TsDemuxer::from_bytes(map_file(path).unwrap()).unwrap();
    let (tracks, packets) = drain(&mut d);
    (tracks, packets, d)
}

fn per_track(packets: &[Packet], track: u32) -> Vec<&Packet> {
    packets.iter().filter(|p| p.track == track).collect()
}

/// The TS made from an FLV by `ffmpeg -c copy` holds the FLV's frames, configurations and
/// timestamps (shifted by ffmpeg's constant offset).
fn assert_same_as_flv(ts: &Path, flv: &Path) {
    let (ts_tracks, ts_packets, d) = ts_of(ts);
    let mut flv_d = FlvDemuxer::from_bytes(map_file(flv).unwrap()).unwrap();
    let (flv_tracks, flv_packets) = drain(&mut flv_d);
    let r = d.report();
    assert_eq!(r.warning_count, 0, "{:#?}", r.warnings);
    assert_eq!(r.total_cc_errors(), 0);
    assert_eq!(ts_tracks.len(), flv_tracks.len());
    for kind in [MediaKind::Video, MediaKind::Audio] {
        let Some(ft) = flv_tracks.iter().find(|t| t.kind == kind) else {
            continue;
        };
        let tt = ts_tracks.iter().find(|t| t.kind == kind).unwrap();
        assert_eq!(tt.time_base, TimeBase::MPEG_90K);
        assert_eq!(tt.codec.codec, ft.codec.codec, "{kind}");
        if tt.codec.codec == Codec::Aac {
            // ADTS carries object type, rate index and channel configuration, not the
            // explicit "no SBR" sync extension ffmpeg's encoder appends to its record.
            let a = AudioSpecificConfig::parse(&tt.codec.extradata).unwrap();
            let b = AudioSpecificConfig::parse(&ft.codec.extradata).unwrap();
            assert_eq!(
                (
                    a.object_type,
                    a.sample_rate,
                    a.channel_config,
                    a.sbr_present()
                ),
                (
                    b.object_type,
                    b.sample_rate,
                    b.channel_config,
                    b.sbr_present()
                )
            );
        } else {
            assert_eq!(tt.codec.extradata, ft.codec.extradata, "{kind} config");
        }
        if kind == MediaKind::Audio {
            assert_eq!(
                tt.codec.audio.map(|a| (a.sample_rate, a.channels)),
                ft.codec.audio.map(|a| (a.sample_rate, a.channels)),
            );
        } else {
            assert_eq!(tt.codec.video, ft.codec.video);
        }
        let tp = per_track(&ts_packets, tt.id);
        let fp = per_track(&flv_packets, ft.id);
        assert_eq!(tp.len(), fp.len(), "{kind} packet count");
        let mut offset = None;
        for (i, (a, b)) in tp.iter().zip(&fp).enumerate() {
            assert_eq!(a.data, b.data, "{kind} packet {i} payload");
            assert_eq!(
                a.flags.keyframe, b.flags.keyframe,
                "{kind} packet {i} keyframe"
            );
            assert!(!a.flags.config_changed && !a.flags.discontinuity);
            let ms = |t: i64| TimeBase::MPEG_90K.rescale(t, TimeBase::MILLIS);
            let d = (ms(a.dts.0) - b.dts.0, ms(a.pts.0) - b.pts.0);
            let o = *offset.get_or_insert(d.0);
            // AAC frames after the first of a PES are timed by counting samples, which may
            // differ from FLV's per-frame millisecond rounding by 1 ms.
            let slack = if kind == MediaKind::Audio { 1 } else { 0 };
            assert!(
                (d.0 - o).abs() <= slack && (d.1 - o).abs() <= slack,
                "{kind} packet {i}: ts-flv offsets {d:?}, expected {o}"
            );
        }
        assert_eq!(offset, Some(1400), "ffmpeg's 1.4 s offset");
    }
}

#[test]
fn committed_ffmpeg_ts_matches_its_flv() {
    assert_same_as_flv(
        &testdata().join("source_bframes.ts"),
        &testdata().join("source.flv"),
    );
}

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn ffmpeg_ts_of_every_mp3_and_aac_fixture_matches_its_flv() {
    if !have_ffmpeg("ffmpeg_ts_of_every_mp3_and_aac_fixture_matches_its_flv") {
        return;
    }
    let dir = TempDir::new("ts-from-flv");
    for name in [
        "source.flv",
        "h264_mp3.flv",
        "audio_only.flv",
        "video_only.flv",
        "mp3_only.flv",
    ] {
        let flv = testdata().join(name);
        let ts = dir.path().join(name.replace(".flv", ".ts"));
        ffmpeg(&[
            "-i",
            flv.to_str().unwrap(),
            "-map",
            "0",
            "-c",
            "copy",
            "-f",
            "mpegts",
            ts.to_str().unwrap(),
        ]);
        assert_same_as_flv(&ts, &flv);
    }
}

/// `ffprobe -show_packets` of one stream: (pts, dts, keyframe) per packet.
fn ffprobe_packets(file: &Path, stream: usize) -> Vec<(i64, i64, bool)> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", &stream.to_string()])
        .args(["-show_entries", "packet=pts,dts,flags", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let n = |s: &str| s.parse::<i64>().unwrap();
            (n(f[0]), n(f[1]), f[2].starts_with('K'))
        })
        .collect()
}

#[test]
fn hevc_ts_agrees_with_ffprobe() {
    if !have_ffmpeg("hevc_ts_agrees_with_ffprobe") {
        return;
    }
    let dir = TempDir::new("ts-hevc");
    let ts = dir.path().join("hevc.ts");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x180:rate=25",
        "-f",
        "lavfi",
        "-i",
        "aevalsrc=exprs=0.3*sin(2*PI*440*t):s=48000",
        "-t",
        "3",
        "-c:v",
        "libx265",
        "-x265-params",
        "pools=none:frame-threads=1:log-level=none:keyint=25:bframes=3",
        "-c:a",
        "aac",
        "-f",
        "mpegts",
        ts.to_str().unwrap(),
    ]);
    let (tracks, packets, d) = ts_of(&ts);
    assert_eq!(d.report().warning_count, 0, "{:#?}", d.report().warnings);
    assert_eq!(tracks.len(), 2);
    assert_eq!(tracks[0].codec.codec, Codec::Hevc);
    let details = tracks[0].codec.details().unwrap();
    assert_eq!((details.width, details.height), (Some(320), Some(180)));
    assert_eq!(tracks[1].codec.codec, Codec::Aac);
    assert_eq!(tracks[1].codec.audio.unwrap().sample_rate, 48000);
    for t in &tracks {
        let ours: Vec<(i64, i64, bool)> = per_track(&packets, t.id)
            .iter()
            .map(|p| (p.pts.0, p.dts.0, p.flags.keyframe))
            .collect();
        let theirs = ffprobe_packets(&ts, t.id as usize);
        assert_eq!(ours.len(), theirs.len(), "track {}", t.id);
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(a, b, "track {} packet {i}", t.id);
        }
    }
    // Every HEVC payload is length-prefixed NAL units without parameter sets or AUDs.
    for p in per_track(&packets, 0) {
        for nal in muxkit::codec::avc::nal_units_length_prefixed(&p.data, 4) {
            let t = muxkit::codec::hevc::HevcNalType::of(nal.unwrap()).unwrap();
            assert!(!t.is_parameter_set_or_delimiter(), "{t:?}");
        }
    }
}

#[test]
fn m2ts_reads_like_ts() {
    if !have_ffmpeg("m2ts_reads_like_ts") {
        return;
    }
    let dir = TempDir::new("ts-m2ts");
    let m2ts = dir.path().join("source.m2ts");
    ffmpeg(&[
        "-i",
        testdata().join("source.flv").to_str().unwrap(),
        "-c",
        "copy",
        "-f",
        "mpegts",
        "-mpegts_m2ts_mode",
        "1",
        m2ts.to_str().unwrap(),
    ]);
    let (tracks, packets, d) = ts_of(&m2ts);
    assert_eq!(d.report().packet_size, Some(192));
    assert_eq!(d.report().total_cc_errors(), 0);
    assert_eq!(d.report().skipped_bytes, 0);
    // Blu-ray has no AAC: ffmpeg's m2ts mode writes it as private PES with no descriptor,
    // which is recognised by its ADTS payload (as ffmpeg does) and read like stream type 0x0F.
    assert_eq!(d.report().skipped_streams.len(), 0);
    let (ts_tracks, ts_packets, _) = ts_of(&testdata().join("source_bframes.ts"));
    assert_eq!(tracks.len(), 2);
    assert_eq!(tracks[0].codec, ts_tracks[0].codec);
    assert_eq!(tracks[1].codec, ts_tracks[1].codec);
    let of = |p: &[Packet], track: u32| -> Vec<(i64, i64, Bytes)> {
        p.iter()
            .filter(|p| p.track == track)
            .map(|p| (p.dts.0, p.pts.0, p.data.clone()))
            .collect()
    };
    assert_eq!(of(&packets, 0), of(&ts_packets, 0));
    assert_eq!(of(&packets, 1), of(&ts_packets, 1));
}

#[test]
fn stream_parser_in_odd_pieces_equals_the_file_demuxer() {
    let data = map_file(&testdata().join("source_bframes.ts")).unwrap();
    let (tracks, packets, _) = ts_of(&testdata().join("source_bframes.ts"));
    let mut p = TsStreamParser::new(TsReadOptions::default());
    let mut got = Vec::new();
    let mut pos = 0;
    let mut step = 1;
    let mut max_buffered = 0;
    while pos < data.len() {
        let end = (pos + step).min(data.len());
        p.push(&data[pos..end]);
        pos = end;
        step = step * 7 % 1021 + 1;
        while let Some(pkt) = p.next_packet().unwrap() {
            got.push(pkt);
        }
        max_buffered = max_buffered.max(p.buffered());
    }
    p.finish();
    while let Some(pkt) = p.next_packet().unwrap() {
        got.push(pkt);
    }
    assert!(p.is_done());
    assert!(max_buffered < 2048, "{max_buffered}");
    assert_eq!(p.tracks(), &tracks[..]);
    assert_eq!(got, packets);
}

#[test]
fn pat_pmt_and_report_accessors() {
    let (_, _, d) = ts_of(&testdata().join("source_bframes.ts"));
    let pat = d.pat().unwrap();
    assert_eq!(pat.programs.len(), 1);
    let pmt = d.pmt().unwrap();
    assert_eq!(pmt.streams.len(), 2);
    let r = d.report();
    assert_eq!(r.packets, 834_532 / 188);
    assert_eq!(r.packet_size, Some(188));
    let pcr = r.pcr[&pmt.pcr_pid.value()];
    assert!(pcr.count > 10);
    assert!(pcr.max_interval_ms().unwrap() <= 100.0, "{pcr:?}");
    assert_eq!(r.pes.values().map(|s| s.dropped).sum::<u64>(), 0);
    // ffmpeg's SDT on PID 0x11 (no PAT or PMT names it), read for its names.
    assert!(r.unreferenced_packets.contains_key(&0x11));
    let services = d.services();
    assert_eq!(services.len(), 1);
    assert_eq!(
        (services[0].provider.as_str(), services[0].name.as_str()),
        ("FFmpeg", "Service01")
    );
}

/// Inputs the fuzzer once crashed on: each must now read to an end or an error, never panic.
#[test]
fn fuzz_regressions_never_panic() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fuzz-regressions/ts_demux");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let data = bytes::Bytes::from(std::fs::read(entry.unwrap().path()).unwrap());
        for strict in [false, true] {
            let opts = muxkit::ts::demux::TsReadOptions { strict };
            if let Ok(mut d) = muxkit::ts::demux::TsDemuxer::new(
                muxkit::io::InputSource::from_bytes(data.clone()),
                opts,
            ) {
                while let Ok(Some(_)) = muxkit::Demuxer::next_packet(&mut d) {}
            }
        }
        n += 1;
    }
    assert!(n >= 1);
}

/// ffmpeg's M2TS AAC (private PES, recognised by its payload) stays one track when the PMT
/// changes version mid-stream (the table still names it only as private PES).
#[test]
fn a_sniffed_stream_survives_a_new_pmt_version() {
    let mut data = std::fs::read(testdata().join("m2ts_aac.m2ts")).unwrap();
    let half = data.len() / 2;
    // Bump the version of every PMT section in the second half, with its CRC.
    let mut k = 0;
    while k + 192 <= data.len() {
        let p = &mut data[k + 4..k + 192];
        let pid = (u16::from(p[1] & 0x1F) << 8) | u16::from(p[2]);
        if k >= half && pid == 0x0100 && p[1] & 0x40 != 0 {
            let start = 5 + usize::from(p[4]);
            let len = 3 + (usize::from(p[start + 1] & 0x0F) << 8 | usize::from(p[start + 2]));
            let sec = &mut p[start..start + len];
            sec[5] = (sec[5] & 0xC1) | (((sec[5] >> 1) + 1) & 0x1F) << 1;
            let crc = muxkit::ts::psi::crc32_mpeg2(&sec[..len - 4]);
            sec[len - 4..].copy_from_slice(&crc.to_be_bytes());
        }
        k += 192;
    }
    let mut d = TsDemuxer::from_bytes(Bytes::from(data)).unwrap();
    let (tracks, packets) = drain(&mut d);
    assert!(d.report().table_changes >= 1);
    assert_eq!(tracks.len(), 2, "{tracks:?}");
    let (_, want) = ts_of_packets(&testdata().join("m2ts_aac.m2ts"));
    assert_eq!(packets.len(), want);
}

fn ts_of_packets(path: &std::path::Path) -> (Vec<muxkit::Track>, usize) {
    let mut d = TsDemuxer::from_bytes(map_file(path).unwrap()).unwrap();
    let (tracks, packets) = drain(&mut d);
    (tracks, packets.len())
}
