#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Bad input: every case gets a clear error (or, where reading can go on, a warning) that says
//! where, never a panic, and memory bounded by the input.

mod common;

use bytes::Bytes;
use common::*;
use muxkit::Demuxer;
use muxkit::flv::{FlvDemuxer, FlvReadOptions};
use muxkit::io::InputSource;

/// A tiny FLV builder: header + tags with correct PreviousTagSize unless told otherwise.
struct Flv(Vec<u8>);

impl Flv {
    fn new() -> Flv {
        Flv(vec![b'F', b'L', b'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0])
    }
    fn tag(mut self, tag_type: u8, ts: u32, body: &[u8]) -> Flv {
        let size = body.len() as u32;
        self.0.push(tag_type);
        self.0.extend_from_slice(&size.to_be_bytes()[1..]);
        self.0.extend_from_slice(&ts.to_be_bytes()[1..]);
        self.0.push((ts >> 24) as u8);
        self.0.extend_from_slice(&[0, 0, 0]);
        self.0.extend_from_slice(body);
        self.0.extend_from_slice(&(size + 11).to_be_bytes());
        self
    }
    fn offset(&self) -> usize {
        self.0.len()
    }
    fn bytes(&self) -> Bytes {
        Bytes::from(self.0.clone())
    }
}

const AAC_SEQ: &[u8] = &[0xAF, 0x00, 0x12, 0x10];
const AAC_FRAME: &[u8] = &[0xAF, 0x01, 0x21, 0x00, 0x49, 0x90];

fn open(data: Bytes, strict: bool) -> muxkit::Result<FlvDemuxer> {
    FlvDemuxer::new(InputSource::from_bytes(data), FlvReadOptions { strict })
}

/// Reads everything, returning the error (if any) and the demuxer's warnings.
fn read_all(data: Bytes, strict: bool) -> (Option<String>, Vec<String>) {
    let mut d = match open(data, strict) {
        Ok(d) => d,
        Err(e) => return (Some(e.to_string()), Vec::new()),
    };
    let err = loop {
        match d.next_packet() {
            Ok(Some(_)) => {}
            Ok(None) => break None,
            Err(e) => break Some(e.to_string()),
        }
    };
    (
        err,
        d.report()
            .warnings
            .iter()
            .map(|w| w.message.clone())
            .collect(),
    )
}

/// A cut recording: with `strict` an error containing `want`; by default no error, every
/// whole tag before the cut read, and one warning containing `want` that says the rest is
/// dropped.
fn salvaged(data: Bytes, want: &str) {
    let (e, _) = read_all(data.clone(), true);
    let e = e.expect("strict: an error");
    assert!(e.contains(want), "strict: {e}");
    let (e, warnings) = read_all(data, false);
    assert_eq!(e, None, "lenient: salvaged, not an error");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(want) && w.contains("the input ends here")),
        "{warnings:?}"
    );
}

#[test]
fn not_an_flv() {
    let (e, _) = read_all(Bytes::from_static(b"RIFF....WAVEfmt "), false);
    let e = e.unwrap();
    assert!(e.contains("not an flv") && e.contains("byte 0"), "{e}");
}

#[test]
fn truncated_header() {
    for n in 1..9 {
        let (e, _) = read_all(Flv::new().bytes().slice(..n), false);
        let e = e.unwrap();
        assert!(
            e.contains("truncated flv header") && e.contains("byte 0"),
            "{n}: {e}"
        );
    }
}

#[test]
fn truncated_tag_body() {
    let f = Flv::new().tag(8, 0, AAC_SEQ);
    let at = f.offset();
    let f = f.tag(8, 23, AAC_FRAME);
    let data = f.bytes().slice(..at + 11 + 3);
    salvaged(
        data,
        &format!("tag 1 at byte {at}: truncated tag body: needs 6 bytes, 3 left"),
    );
}

#[test]
fn truncated_tag_header_and_previous_tag_size() {
    let f = Flv::new().tag(8, 0, AAC_SEQ);
    let at = f.offset();
    let full = f.tag(8, 23, AAC_FRAME).bytes();
    salvaged(
        full.slice(..at + 5),
        &format!("tag 1 at byte {at}: truncated tag header"),
    );
    // A whole last tag without its whole PreviousTagSize is kept (strict: an error).
    let (e, _) = read_all(full.slice(..full.len() - 2), true);
    assert!(e.unwrap().contains("truncated previous tag size"));
    let mut d = open(full.slice(..full.len() - 2), false).unwrap();
    let (_, packets) = drain(&mut d);
    assert_eq!(packets.len(), 1, "the AAC frame of the last tag");
    assert!(
        d.report().warnings[0]
            .message
            .contains("truncated previous tag size")
    );
}

#[test]
fn data_size_past_the_end() {
    let mut f = Flv::new().tag(8, 0, AAC_SEQ);
    let at = f.offset();
    f.0.extend_from_slice(&[8, 0xFF, 0xFF, 0xF0, 0, 0, 0, 0, 0, 0, 0, 0xAF, 1, 2]);
    salvaged(
        f.bytes(),
        &format!("at byte {at}: truncated tag body: needs 16777200 bytes, 3 left"),
    );
    // From a stream, too: no 16 MB allocation up front, and the same error.
    let mut d = FlvDemuxer::new(
        InputSource::from_reader(std::io::Cursor::new(f.0.clone())),
        FlvReadOptions { strict: true },
    );
    let e = match &mut d {
        Ok(d) => loop {
            match d.next_packet() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("expected an error"),
                Err(e) => break e.to_string(),
            }
        },
        Err(e) => e.to_string(),
    };
    assert!(e.contains("needs 16777200 bytes, 3 left"), "{e}");
}

#[test]
fn previous_tag_size_mismatch_warns_or_fails_in_strict_mode() {
    let mut f = Flv::new().tag(8, 0, AAC_SEQ).tag(8, 23, AAC_FRAME);
    let pts_at = f.offset() - 4;
    f.0[pts_at + 3] ^= 0x40;
    let f = f.tag(8, 46, AAC_FRAME);
    let (e, warnings) = read_all(f.bytes(), false);
    assert_eq!(e, None);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains(&format!("previous tag size at byte {pts_at}")),
        "{warnings:?}"
    );
    let mut d = open(f.bytes(), false).unwrap();
    let (_, packets) = drain(&mut d);
    assert_eq!(packets.len(), 2, "reading goes on after the mismatch");
    let (e, _) = read_all(f.bytes(), true);
    assert!(
        e.unwrap()
            .contains(&format!("previous tag size at byte {pts_at} is 81"))
    );
}

#[test]
fn data_size_zero() {
    let f = Flv::new().tag(8, 0, AAC_SEQ);
    let at = f.offset();
    let f = f.tag(8, 10, &[]).tag(8, 23, AAC_FRAME);
    let (e, warnings) = read_all(f.bytes(), false);
    assert_eq!(e, None);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(&format!("at byte {at}")) && w.contains("data size 0")),
        "{warnings:?}"
    );
    let (e, _) = read_all(f.bytes(), true);
    assert!(
        e.unwrap()
            .contains(&format!("tag 1 (audio) at byte {at}: empty tag body"))
    );
}

#[test]
fn unknown_tag_type() {
    let f = Flv::new().tag(8, 0, AAC_SEQ);
    let at = f.offset();
    let f = f.tag(0x0A, 5, &[1, 2, 3]).tag(8, 23, AAC_FRAME);
    let (e, warnings) = read_all(f.bytes(), false);
    assert_eq!(e, None);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(&format!("byte {at}")) && w.contains("unknown tag type 10")),
        "{warnings:?}"
    );
    let (e, _) = read_all(f.bytes(), true);
    assert!(e.unwrap().contains("unknown tag type 10"));
}

fn script(body_after_name: &[u8]) -> Vec<u8> {
    let mut b = vec![0x02, 0, 10];
    b.extend_from_slice(b"onMetaData");
    b.extend_from_slice(body_after_name);
    b
}

#[test]
fn amf_strict_array_claiming_4g_items() {
    let f = Flv::new()
        .tag(18, 0, &script(&[0x0A, 0xFF, 0xFF, 0xFF, 0xFF]))
        .tag(8, 0, AAC_SEQ);
    let (e, warnings) = read_all(f.bytes(), false);
    assert_eq!(e, None);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("tag 0 (script) at byte 13")),
        "{warnings:?}"
    );
    let (e, _) = read_all(f.bytes(), true);
    let e = e.unwrap();
    assert!(e.contains("tag 0 (script) at byte 13"), "{e}");
}

#[test]
fn amf_nested_100000_deep() {
    let mut body = Vec::new();
    for _ in 0..100_000 {
        body.extend_from_slice(&[0x0A, 0, 0, 0, 1]);
    }
    body.push(0x05);
    let f = Flv::new().tag(18, 0, &script(&body)).tag(8, 0, AAC_SEQ);
    let (e, _) = read_all(f.bytes(), true);
    let e = e.unwrap();
    assert!(
        e.contains("tag 0 (script) at byte 13") && e.contains("deep"),
        "{e}"
    );
}

#[test]
fn amf3_reference_to_undefined_index() {
    let f = Flv::new()
        .tag(18, 0, &script(&[0x11, 0x06, 0x0A]))
        .tag(8, 0, AAC_SEQ);
    let (e, _) = read_all(f.bytes(), true);
    let e = e.unwrap();
    assert!(
        e.contains("tag 0 (script) at byte 13") && e.contains("reference"),
        "{e}"
    );
}

#[test]
fn truncated_avcc_sequence_header() {
    let f = Flv::new();
    let at = f.offset();
    let f = f.tag(
        9,
        0,
        &[0x17, 0, 0, 0, 0, 1, 0x64, 0x00, 0x1F, 0xFF, 0xE1, 0x00],
    );
    let (e, warnings) = read_all(f.bytes(), false);
    assert_eq!(e, None);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(&format!("tag 0 (video) at byte {at}: bad sequence header"))),
        "{warnings:?}"
    );
    let (e, _) = read_all(f.bytes(), true);
    assert!(
        e.unwrap()
            .contains(&format!("tag 0 (video) at byte {at}: bad sequence header"))
    );
}

#[test]
fn sps_with_absurd_sizes() {
    // SPS: profile 66, level 30, sps id 0, log2_max_frame_num-4 = 0, poc type 2, 1 ref frame,
    // gaps 0, pic_width_in_mbs_minus1 = 2^20 - 1 (exp-Golomb), ...
    let mut sps_bits = String::from("01100111"); // NAL header 0x67
    sps_bits.push_str("01000010"); // profile 66
    sps_bits.push_str("00000000"); // constraints
    sps_bits.push_str("00011110"); // level 30
    sps_bits.push('1'); // sps id 0
    sps_bits.push('1'); // log2_max_frame_num_minus4 0
    sps_bits.push_str("011"); // poc type 2
    sps_bits.push_str("010"); // max_num_ref_frames 1
    sps_bits.push('0'); // gaps
    let big: u32 = (1 << 20) - 1; // ue(v) of 2^20 - 1: 19 zeros, then 1 + 19 bits of 0
    let code = big + 1;
    let n = 32 - code.leading_zeros();
    sps_bits.push_str(&"0".repeat(n as usize - 1));
    sps_bits.push_str(&format!("{code:b}"));
    sps_bits.push('1'); // height 0
    sps_bits.push('1'); // frame_mbs_only
    sps_bits.push('1'); // direct_8x8
    sps_bits.push('0'); // cropping
    sps_bits.push('0'); // vui
    sps_bits.push('1'); // rbsp stop bit
    while sps_bits.len() % 8 != 0 {
        sps_bits.push('0');
    }
    let sps: Vec<u8> = sps_bits
        .as_bytes()
        .chunks(8)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 2).unwrap())
        .collect();
    let pps = [0x68, 0xCE, 0x3C, 0x80];
    let mut avcc = vec![1, 66, 0, 30, 0xFF, 0xE1];
    avcc.extend_from_slice(&(sps.len() as u16).to_be_bytes());
    avcc.extend_from_slice(&sps);
    avcc.push(1);
    avcc.extend_from_slice(&(pps.len() as u16).to_be_bytes());
    avcc.extend_from_slice(&pps);
    let mut body = vec![0x17, 0, 0, 0, 0];
    body.extend_from_slice(&avcc);
    let f = Flv::new().tag(9, 0, &body);
    let (e, _) = read_all(f.bytes(), true);
    let e = e.unwrap();
    assert!(
        e.contains("tag 0 (video) at byte 13: bad sequence header"),
        "{e}"
    );
}

#[test]
fn every_prefix_of_every_fixture_is_safe() {
    // Truncation at every tag boundary and inside every tag of a real file: an error or a
    // clean end, never a panic.
    let path = testdata().join("audio_only.flv");
    let data = Bytes::from(std::fs::read(path).unwrap());
    let step = (data.len() / 400).max(1);
    for n in (0..data.len()).step_by(step) {
        let _ = read_all(data.slice(..n), false);
        let _ = read_all(data.slice(..n), true);
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    // Deterministic pseudo-random corruption of a real file.
    let path = testdata().join("source.flv");
    let orig = std::fs::read(path).unwrap();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..200 {
        let mut data = orig.clone();
        for _ in 0..8 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed as usize) % data.len();
            data[at] = (seed >> 32) as u8;
        }
        let _ = read_all(Bytes::from(data), false);
    }
}

#[test]
fn committed_hostile_files_fail_cleanly() {
    let dir = testdata().join("hostile");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("testdata/hostile") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        n += 1;
        let data = Bytes::from(std::fs::read(&path).unwrap());
        let (e, warnings) = read_all(data.clone(), true);
        let (e2, w2) = read_all(data, false);
        let said = e
            .iter()
            .chain(e2.iter())
            .chain(warnings.iter())
            .chain(w2.iter())
            .any(|m| m.contains("byte"));
        assert!(
            said,
            "{}: no error or warning naming a byte offset ({e:?} {e2:?} {w2:?})",
            path.display()
        );
    }
    assert!(n >= 10, "expected the hostile fixtures, found {n}");
}

/// A keyframe index that would overflow the 24-bit tag size is thinned to fit, never written
/// truncated: the output reads back, and its index still points at keyframes.
#[test]
fn an_oversized_keyframe_index_is_thinned_not_truncated() {
    use muxkit::flv::{FlvMuxOptions, FlvMuxer};
    use muxkit::{Codec, CodecConfig, MediaKind, Muxer, Packet, TimeBase, Timestamp, Track};
    let mut codec = CodecConfig::new(Codec::H264);
    // A 16x16 baseline avcC (hostile_base.flv's).
    let base = muxkit::io::map_file(&testdata().join("hostile_base.flv")).unwrap();
    let mut d = FlvDemuxer::from_bytes(base).unwrap();
    let (tracks, packets) = drain(&mut d);
    let video = tracks.iter().find(|t| t.kind == MediaKind::Video).unwrap();
    codec.extradata = video.codec.extradata.clone();
    let frame = packets
        .iter()
        .find(|p| p.track == video.id)
        .unwrap()
        .data
        .clone();
    let track = Track {
        id: 0,
        kind: MediaKind::Video,
        time_base: TimeBase::MILLIS,
        codec,
        source_id: None,
    };
    let mut m = FlvMuxer::new(
        std::io::Cursor::new(Vec::new()),
        FlvMuxOptions {
            keyframe_index: true,
            ..FlvMuxOptions::default()
        },
    );
    m.add_track(&track).unwrap();
    // 18 bytes of index per keyframe: 1,000,000 keyframes need 18 MB, over 16 MiB.
    let n = 1_000_000i64;
    for i in 0..n {
        let mut p = Packet::new(0, Timestamp(i), frame.clone());
        p.flags.keyframe = true;
        m.write_packet(&p).unwrap();
    }
    m.finish().unwrap();
    assert!(
        m.warnings()[0].contains("one keyframe in 2 is indexed"),
        "{:?}",
        m.warnings()
    );
    let out = m.into_inner().unwrap().into_inner();
    let mut d = FlvDemuxer::from_bytes(Bytes::from(out)).unwrap();
    let meta = d.metadata().unwrap().clone();
    let kf = meta.get("keyframes").unwrap();
    let times = kf.get("times").unwrap();
    let muxkit::amf::AmfValue::StrictArray(times) = times else {
        panic!("{times:?}")
    };
    assert_eq!(times.len(), 500_000);
    let mut count = 0;
    while d.next_packet().unwrap().is_some() {
        count += 1;
    }
    assert_eq!(count, n as usize);
    assert!(d.report().warnings.is_empty(), "{:?}", d.report().warnings);
}
