#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Structural checks on everything the TS muxer writes, with muxkit's own TS parsers: 188-byte
//! packets, PAT and PMT first with valid CRCs, continuity counters without a gap, PCRs at most
//! 40 ms apart and never backwards, random access on video keyframes.

mod common;

use std::collections::HashMap;

use common::*;
use muxkit::flv::FlvDemuxer;
use muxkit::io::map_file;
use muxkit::remux::remux;
use muxkit::ts::mux::{TsMuxOptions, TsMuxer};
use muxkit::ts::{Pat, Pid, Pmt, PsiSection, SectionAssembler, TS_PACKET_SIZE, TsPacket};

fn mux(path: &std::path::Path) -> Vec<u8> {
    let mut d = FlvDemuxer::from_bytes(map_file(path).unwrap()).unwrap();
    let mut m = TsMuxer::new(Vec::new(), TsMuxOptions::default());
    remux(&mut d, &mut m).unwrap();
    m.into_inner().unwrap()
}

#[derive(Default)]
struct Check {
    pcr_intervals_ms: Vec<f64>,
    keyframe_pes_with_rai: usize,
    pes_starts: HashMap<u16, usize>,
    sections: usize,
}

fn check(name: &str, ts: &[u8]) -> Check {
    assert_eq!(ts.len() % TS_PACKET_SIZE, 0, "{name}: not whole packets");
    let mut cc: HashMap<u16, u8> = HashMap::new();
    let mut sections: HashMap<u16, SectionAssembler> = HashMap::new();
    let mut pmt_pid = None;
    let mut last_pcr: Option<u64> = None;
    let mut c = Check::default();
    for (i, chunk) in ts.chunks_exact(TS_PACKET_SIZE).enumerate() {
        let pkt = TsPacket::parse(chunk.try_into().unwrap())
            .unwrap_or_else(|e| panic!("{name}: packet {i}: {e}"));
        let pid = pkt.header.pid.value();
        if i == 0 {
            assert_eq!(pid, 0, "{name}: the stream starts with the PAT");
        }
        if i == 1 {
            assert_eq!(pid, 0x1000, "{name}: then the PMT");
        }
        if pkt.header.has_payload {
            if let Some(prev) = cc.insert(pid, pkt.header.cc.value()) {
                assert_eq!(
                    pkt.header.cc.value(),
                    (prev + 1) & 0x0F,
                    "{name}: cc gap on pid {pid:#x} at packet {i}"
                );
            }
        }
        if let Some(af) = &pkt.adaptation {
            if let Some(pcr) = af.pcr {
                let t = pcr.to_27mhz();
                if let Some(last) = last_pcr {
                    assert!(t >= last, "{name}: pcr went backwards at packet {i}");
                    c.pcr_intervals_ms.push((t - last) as f64 / 27_000.0);
                }
                last_pcr = Some(t);
            }
            if af.random_access && pkt.header.pusi {
                c.keyframe_pes_with_rai += 1;
            }
        }
        if pid == 0 || Some(pid) == pmt_pid {
            for sec in sections
                .entry(pid)
                .or_default()
                .push(pkt.header.pusi, pkt.payload)
            {
                let sec = PsiSection::parse(&sec.unwrap())
                    .unwrap_or_else(|e| panic!("{name}: section: {e}"));
                c.sections += 1;
                if pid == 0 {
                    let pat = Pat::from_section(&sec).unwrap();
                    pmt_pid = Some(pat.programs[0].1.value());
                } else {
                    let pmt = Pmt::from_section(&sec).unwrap();
                    assert_ne!(pmt.pcr_pid, Pid::NULL);
                }
            }
        } else if pkt.header.pusi {
            *c.pes_starts.entry(pid).or_default() += 1;
        }
    }
    c
}

#[test]
fn muxer_output_is_structurally_sound() {
    for path in flv_fixtures() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(mut d) = FlvDemuxer::from_bytes(map_file(&path).unwrap()) else {
            continue;
        };
        let mut m = TsMuxer::new(Vec::new(), TsMuxOptions::default());
        if remux(&mut d, &mut m).is_err() {
            // Legacy FLV codecs have no TS stream type; convert refuses them (tested below).
            continue;
        }
        let ts = m.into_inner().unwrap();
        let c = check(&name, &ts);
        let max = c.pcr_intervals_ms.iter().copied().fold(0.0, f64::max);
        assert!(max <= 40.0 + 1e-9, "{name}: pcr interval {max} ms");
        assert!(!c.pcr_intervals_ms.is_empty(), "{name}: no pcr");
        assert!(c.sections >= 2, "{name}: psi");
        assert!(
            c.keyframe_pes_with_rai >= 1,
            "{name}: no random access indicator"
        );
    }
}

#[test]
fn every_video_keyframe_is_a_random_access_point() {
    let path = testdata().join("source.flv");
    let c = check("source", &mux(&path));
    assert_eq!(c.keyframe_pes_with_rai, 5, "source.flv has 5 keyframes");
    assert_eq!(c.pes_starts.get(&0x100), Some(&250));
    assert_eq!(c.pes_starts.get(&0x101), Some(&432));
}

#[test]
fn psi_repeats_about_every_100_ms() {
    let ts = mux(&testdata().join("source.flv"));
    let c = check("source", &ts);
    // 10 s of media: PAT and PMT with the first packet at least 100 ms after the previous pair
    // (ffmpeg's pat_period semantics), so a little under 10 times a second.
    assert!(
        (2 * 88..=2 * 102).contains(&c.sections),
        "{} sections",
        c.sections
    );
}

#[test]
fn legacy_codecs_are_refused_with_a_clear_error() {
    let mut d = FlvDemuxer::from_bytes(map_file(&testdata().join("flv1.flv")).unwrap()).unwrap();
    let mut m = TsMuxer::new(Vec::new(), TsMuxOptions::default());
    let e = remux(&mut d, &mut m).unwrap_err().to_string();
    assert!(
        e.contains("nothing to convert")
            && e.contains("video flv1 not converted: mpeg-ts cannot carry flv1")
            && e.contains("audio adpcm_swf not converted: mpeg-ts cannot carry adpcm_swf"),
        "{e}"
    );
}
