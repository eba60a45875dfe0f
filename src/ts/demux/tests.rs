//! Hand-built transport streams: the normal cases the ffmpeg fixtures cannot show one by one,
//! and hostile input.

use std::collections::HashMap;

use bytes::Bytes;

use super::*;
use crate::codec::aac::{AdtsHeader, AudioSpecificConfig};
use crate::codec::avc::AvcDecoderConfig;
use crate::flv::FlvDemuxer;
use crate::io::map_file;
use crate::media::{Codec, MediaKind};
use crate::ts::packet::{AdaptationField, ContinuityCounter, Pid, TsPacketHeader, write_packet};
use crate::ts::pat::Pat;
use crate::ts::pes::PesHeader;
use crate::ts::pmt::{Pmt, PmtStream, StreamType};
use crate::ts::psi::{PsiSection, write_section_packets};
use crate::ts::{TS_PACKET_SIZE, TsError};

const PMT_PID: u16 = 0x1000;
const VIDEO: u16 = 0x100;
const AUDIO: u16 = 0x101;

/// Writes transport streams packet by packet, keeping continuity counters.
#[derive(Default)]
struct Ts {
    out: Vec<u8>,
    cc: HashMap<u16, ContinuityCounter>,
}

impl Ts {
    fn cc(&mut self, pid: u16) -> ContinuityCounter {
        let c = self.cc.entry(pid).or_default();
        let now = *c;
        *c = c.next();
        now
    }

    fn section(&mut self, pid: u16, s: &PsiSection) {
        let bytes = s.to_bytes().unwrap();
        let mut cc = *self.cc.entry(pid).or_default();
        write_section_packets(Pid::new(pid).unwrap(), &bytes, &mut cc, &mut self.out);
        self.cc.insert(pid, cc);
    }

    fn pat(&mut self) {
        let pat = Pat {
            transport_stream_id: 1,
            programs: vec![(1, Pid::new(PMT_PID).unwrap())],
        };
        self.section(0, &pat.to_section());
    }

    fn pmt(&mut self, version: u8, streams: &[(StreamType, u16)]) {
        let pmt = Pmt {
            program_number: 1,
            pcr_pid: Pid::new(streams.first().map_or(0x1FFF, |s| s.1)).unwrap(),
            program_info: vec![],
            streams: streams
                .iter()
                .map(|&(stream_type, pid)| PmtStream {
                    stream_type,
                    pid: Pid::new(pid).unwrap(),
                    descriptors: vec![],
                })
                .collect(),
        };
        let mut s = pmt.to_section().unwrap();
        s.version = version;
        self.section(PMT_PID, &s);
    }

    fn tables(&mut self, streams: &[(StreamType, u16)]) {
        self.pat();
        self.pmt(0, streams);
    }

    /// One packet; the payload must fit (the rest is dropped).
    fn packet(&mut self, pid: u16, pusi: bool, af: Option<&AdaptationField>, payload: &[u8]) {
        let cc = if payload.is_empty() {
            *self.cc.entry(pid).or_default()
        } else {
            self.cc(pid)
        };
        let h = TsPacketHeader::new(Pid::new(pid).unwrap(), pusi, cc);
        write_packet(&h, af, payload, &mut self.out);
    }

    /// A whole PES; `bounded` sets PES_packet_length, else 0.
    fn pes(&mut self, pid: u16, pts: u64, dts: Option<u64>, payload: &[u8], bounded: bool) {
        let stream_id = if pid == VIDEO { 0xE0 } else { 0xC0 };
        let mut h = PesHeader::for_stream(stream_id, payload.len(), pts, dts);
        if !bounded {
            h.packet_length = 0;
        }
        let mut data = Vec::new();
        h.write_to(&mut data);
        data.extend_from_slice(payload);
        self.pes_bytes(pid, &data, None);
    }

    /// Raw PES bytes cut into packets, the first with `af`.
    fn pes_bytes(&mut self, pid: u16, data: &[u8], af: Option<&AdaptationField>) {
        let mut rest = data;
        let mut first = true;
        while first || !rest.is_empty() {
            let cc = self.cc(pid);
            let h = TsPacketHeader::new(Pid::new(pid).unwrap(), first, cc);
            let n = write_packet(&h, if first { af } else { None }, rest, &mut self.out);
            rest = &rest[n..];
            first = false;
        }
    }

    fn bytes(&self) -> Bytes {
        Bytes::from(self.out.clone())
    }
}

/// SPS and PPS of a real stream: (source.flv's, h264_mp3.flv's).
fn parameter_sets() -> [(Bytes, Bytes); 2] {
    ["source.flv", "h264_mp3.flv"].map(|name| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata")
            .join(name);
        let d = FlvDemuxer::from_bytes(map_file(&path).unwrap()).unwrap();
        let video = d
            .tracks()
            .iter()
            .find(|t| t.kind == MediaKind::Video)
            .unwrap();
        let c = AvcDecoderConfig::parse(&video.codec.extradata).unwrap();
        (c.sps[0].clone(), c.pps[0].clone())
    })
}

fn annexb(nals: &[&[u8]]) -> Vec<u8> {
    let mut v = Vec::new();
    for n in nals {
        v.extend_from_slice(&[0, 0, 0, 1]);
        v.extend_from_slice(n);
    }
    v
}

fn length_prefixed(nals: &[&[u8]]) -> Vec<u8> {
    let mut v = Vec::new();
    for n in nals {
        v.extend_from_slice(&(n.len() as u32).to_be_bytes());
        v.extend_from_slice(n);
    }
    v
}

const AUD: &[u8] = &[0x09, 0xF0];
const IDR: &[u8] = &[0x65, 0x88, 0x84, 0x21, 0x7A, 0x11, 0x22];
const SEI: &[u8] = &[0x06, 0x05, 0x01, 0x42, 0x80];
const SLICE: &[u8] = &[0x41, 0x9A, 0x21, 0x6C, 0x42];

fn asc() -> AudioSpecificConfig {
    AudioSpecificConfig::new(2, 44100, 2).unwrap()
}

fn adts(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    AdtsHeader::write(&asc(), payload.len(), &mut v).unwrap();
    v.extend_from_slice(payload);
    v
}

fn read(data: Bytes) -> (Vec<crate::Track>, Vec<crate::Packet>, TsReport) {
    let mut d = TsDemuxer::from_bytes(data).unwrap();
    let mut packets = Vec::new();
    while let Some(p) = d.next_packet().unwrap() {
        packets.push(p);
    }
    (d.tracks().to_vec(), packets, d.report().clone())
}

fn read_strict(data: Bytes) -> crate::Result<()> {
    let mut d = TsDemuxer::new(
        crate::io::InputSource::from_bytes(data),
        TsReadOptions { strict: true },
    )?;
    while d.next_packet()?.is_some() {}
    Ok(())
}

#[test]
fn h264_and_aac_become_canonical_with_config_changes_only_when_sets_change() {
    let [(sps, pps), (sps2, pps2)] = parameter_sets();
    let mut ts = Ts::default();
    ts.tables(&[(StreamType::H264, VIDEO), (StreamType::AAC_ADTS, AUDIO)]);
    ts.pes(
        VIDEO,
        900_000,
        Some(897_000),
        &annexb(&[AUD, &sps, &pps, SEI, IDR]),
        false,
    );
    let frames: Vec<Vec<u8>> = (0..3u8).map(|i| vec![0x21, i, 0x33, 0x44]).collect();
    let audio: Vec<u8> = frames.iter().flat_map(|f| adts(f)).collect();
    ts.pes(AUDIO, 900_000, None, &audio, true);
    ts.pes(VIDEO, 903_000, None, &annexb(&[AUD, SLICE]), false);
    // Identical sets repeated before the next keyframe: no change.
    ts.pes(
        VIDEO,
        906_000,
        None,
        &annexb(&[AUD, &sps, &pps, IDR]),
        false,
    );
    // New sets: a change on this very frame.
    ts.pes(
        VIDEO,
        909_000,
        None,
        &annexb(&[AUD, &sps2, &pps2, IDR]),
        false,
    );
    let (tracks, packets, report) = read(ts.bytes());
    assert_eq!(report.warning_count, 0, "{:#?}", report.warnings);
    assert_eq!(tracks.len(), 2);
    assert_eq!(
        (tracks[0].source_id, tracks[1].source_id),
        (Some(0x100), Some(0x101))
    );
    let first = AvcDecoderConfig::from_parameter_sets(
        std::slice::from_ref(&sps),
        std::slice::from_ref(&pps),
    )
    .unwrap();
    let second = AvcDecoderConfig::from_parameter_sets(&[sps2], &[pps2]).unwrap();
    // tracks() shows the newest configuration once the changing packet was returned.
    assert_eq!(tracks[0].codec.extradata, second.to_bytes().unwrap());
    assert_eq!(tracks[1].codec.extradata, asc().to_bytes());
    assert_eq!(tracks[1].codec.audio.unwrap().sample_rate, 44100);

    let video: Vec<_> = packets.iter().filter(|p| p.track == 0).collect();
    assert_eq!(video.len(), 4);
    assert_eq!(video[0].data[..], length_prefixed(&[SEI, IDR])[..]);
    assert_eq!((video[0].dts.0, video[0].pts.0), (897_000, 900_000));
    assert!(video[0].flags.keyframe && !video[0].flags.config_changed);
    assert_eq!(video[1].data[..], length_prefixed(&[SLICE])[..]);
    assert!(!video[1].flags.keyframe);
    assert!(video[2].flags.keyframe && !video[2].flags.config_changed);
    assert!(video[3].flags.config_changed);
    assert_eq!(
        video[3].config.as_ref().unwrap().extradata,
        second.to_bytes().unwrap()
    );
    assert_ne!(first.to_bytes().unwrap(), second.to_bytes().unwrap());

    let audio: Vec<_> = packets.iter().filter(|p| p.track == 1).collect();
    assert_eq!(audio.len(), 3);
    for (i, p) in audio.iter().enumerate() {
        assert_eq!(p.data[..], frames[i][..]);
        assert!(p.flags.keyframe);
    }
    // 1024 samples at 44.1 kHz = 2089.8 ticks, counted exactly from the PES's PTS.
    let times: Vec<i64> = audio.iter().map(|p| p.dts.0).collect();
    assert_eq!(times, [900_000, 902_090, 904_180]);
    assert_eq!(audio[0].duration, Some(2090));
    assert_eq!(audio[1].duration, Some(2090));
}

#[test]
fn lost_sync_bytes_and_junk_mid_file_are_skipped_and_counted() {
    let mut ts = Ts::default();
    ts.tables(&[(StreamType::AAC_ADTS, AUDIO)]);
    for i in 0..6u64 {
        ts.pes(
            AUDIO,
            90_000 + i * 2090,
            None,
            &adts(&[0x21, i as u8]),
            true,
        );
    }
    let clean = ts.out.clone();
    let per_pes = TS_PACKET_SIZE;
    let tables = 2 * TS_PACKET_SIZE;
    // Packet of PES 2 loses its sync byte; 50 bytes of junk before PES 4.
    let mut data = clean.clone();
    data[tables + 2 * per_pes] = 0x00;
    let junk_at = tables + 4 * per_pes;
    data.splice(junk_at..junk_at, [0x00u8; 50]);
    let (_, packets, r) = read(Bytes::from(data));
    assert_eq!(r.sync_losses, 2, "{:#?}", r.warnings);
    assert_eq!(r.skipped_bytes, 188 + 50);
    let offsets: Vec<u64> = r.warnings.iter().map(|w| w.offset).collect();
    assert!(
        offsets.contains(&((tables + 2 * per_pes) as u64)),
        "{:#?}",
        r.warnings
    );
    assert!(offsets.contains(&(junk_at as u64)), "{:#?}", r.warnings);
    // The packet that lost its sync byte is skipped, which shows as one continuity error;
    // the other five frames arrive.
    assert_eq!(r.cc_errors[&AUDIO], 1);
    assert_eq!(packets.len(), 5);
}

fn bad_af_packet(af_len: u8, has_payload: bool) -> Vec<u8> {
    let mut p = vec![0xFF; TS_PACKET_SIZE];
    p[..5].copy_from_slice(&[
        0x47,
        0x01,
        0x01,
        if has_payload { 0x30 } else { 0x20 },
        af_len,
    ]);
    p[5] = 0;
    p
}

#[test]
fn adaptation_field_length_183_with_payload_and_over_183_drop_the_packet() {
    let mut ts = Ts::default();
    ts.tables(&[(StreamType::AAC_ADTS, AUDIO)]);
    ts.pes(AUDIO, 90_000, None, &adts(&[1, 2]), true);
    ts.out.extend(bad_af_packet(183, true));
    ts.out.extend(bad_af_packet(184, false));
    ts.out.extend(bad_af_packet(255, true));
    ts.pes(AUDIO, 92_090, None, &adts(&[3, 4]), true);
    let data = ts.bytes();
    let (_, packets, r) = read(data.clone());
    assert_eq!(r.bad_packets, 3);
    assert_eq!(packets.len(), 2);
    assert!(
        r.warnings[0].message.contains("183 leaves no room"),
        "{:#?}",
        r.warnings
    );
    let e = read_strict(data).unwrap_err().to_string();
    assert_eq!(
        e,
        "ts packet 3 at byte 564, pid 0x0101: adaptation field: adaptation_field_length 183 \
         leaves no room for the payload the header announces at byte 4"
    );
}

#[test]
fn sections_too_long_for_their_packets_or_shorter_than_a_header_are_ignored() {
    let mut ts = Ts::default();
    // A PAT claiming 1021 bytes, cut short by the next unit start.
    let mut p = vec![0u8, 0x00, 0xB3, 0xFD];
    p.resize(184, 0x11);
    ts.packet(0, true, None, &p);
    // section_length 5: shorter than the 5-byte header and the CRC.
    let mut p = vec![0u8, 0x00, 0xB0, 0x05, 0, 1, 0xC1, 0, 0];
    p.resize(184, 0xFF);
    ts.packet(0, true, None, &p);
    // section_length over 1021.
    let mut p = vec![0u8, 0x00, 0xBF, 0xFF];
    p.resize(184, 0xFF);
    ts.packet(0, true, None, &p);
    ts.tables(&[(StreamType::AAC_ADTS, AUDIO)]);
    ts.pes(AUDIO, 90_000, None, &adts(&[1, 2]), true);
    let (tracks, packets, r) = read(ts.bytes());
    assert_eq!(r.bad_sections, 3, "{:#?}", r.warnings);
    assert_eq!(tracks.len(), 1);
    assert_eq!(packets.len(), 1);
}

#[test]
fn bad_crc_sections_are_ignored_and_counted() {
    let mut ts = Ts::default();
    ts.pat();
    let start = ts.out.len();
    ts.pmt(0, &[(StreamType::AAC_ADTS, AUDIO)]);
    // Flip a CRC bit (the section is 5 + 4 + 5 + 4 bytes after the pointer field).
    ts.out[start + 4 + 1 + 3 + 18 - 1] ^= 0x01;
    ts.pes(AUDIO, 90_000, None, &adts(&[1, 2]), true);
    ts.pmt(0, &[(StreamType::AAC_ADTS, AUDIO)]);
    ts.pes(AUDIO, 92_090, None, &adts(&[3, 4]), true);
    let (tracks, packets, r) = read(ts.bytes());
    assert_eq!(r.crc_errors, 1);
    assert!(
        r.warnings[0].message.contains("crc-32 mismatch"),
        "{:#?}",
        r.warnings
    );
    assert_eq!(tracks.len(), 1);
    // The first PES came before any valid PMT: its PID was not known yet.
    assert_eq!(packets.len(), 1);
    assert_eq!(r.unreferenced_packets[&AUDIO], 1);
}

#[test]
fn pes_length_past_the_data_delivers_what_there_is() {
    let mut ts = Ts::default();
    ts.tables(&[(StreamType::AAC_ADTS, AUDIO)]);
    let two: Vec<u8> = [adts(&[1; 20]), adts(&[2; 20])].concat();
    let mut h = PesHeader::for_stream(0xC0, two.len(), 90_000, None);
    h.packet_length += 1000;
    let mut data = Vec::new();
    h.write_to(&mut data);
    data.extend_from_slice(&two);
    ts.pes_bytes(AUDIO, &data, None);
    ts.pes(AUDIO, 94_180, None, &adts(&[3; 20]), true);
    let (_, packets, r) = read(ts.bytes());
    assert_eq!(r.pes[&AUDIO].truncated, 1);
    assert_eq!(r.pes[&AUDIO].packets, 2);
    assert_eq!(packets.len(), 3);
}

#[test]
fn endless_pes_is_delivered_at_the_end_and_oversized_pes_dropped() {
    let mut ts = Ts::default();
    ts.tables(&[(StreamType::H264, VIDEO), (StreamType::AAC_ADTS, AUDIO)]);
    let [(sps, pps), _] = parameter_sets();
    let big: Vec<u8> = (0..100_000u32).map(|i| (i % 200 + 20) as u8).collect();
    let nal = [&[0x65u8][..], &big].concat();
    ts.pes(VIDEO, 90_000, None, &annexb(&[&sps, &pps, &nal]), false);
    // An audio PES that never ends and passes the 1 MiB audio limit.
    let mut h = PesHeader::for_stream(0xC0, 0, 90_000, None);
    h.packet_length = 0;
    let mut data = Vec::new();
    h.write_to(&mut data);
    data.resize(MAX_AUDIO_PES_SIZE + 1000, 0x55);
    ts.pes_bytes(AUDIO, &data, None);
    let (tracks, packets, r) = read(ts.bytes());
    assert_eq!(packets.len(), 1);
    assert_eq!(packets[0].data.len(), 4 + nal.len());
    assert!(packets[0].flags.keyframe);
    assert!(!tracks[0].codec.extradata.is_empty());
    assert_eq!(r.pes[&AUDIO].dropped, 1);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.message.contains("exceeds the limit of 1048576")),
        "{:#?}",
        r.warnings
    );
}

#[test]
fn pts_wraps_across_2_pow_33() {
    let mut ts = Ts::default();
    ts.tables(&[(StreamType::AAC_ADTS, AUDIO)]);
    let m = 1u64 << 33;
    let start = m - 2 * 2090;
    let raw: Vec<u64> = (0..5).map(|i| (start + i * 2090) % m).collect();
    for (i, &pts) in raw.iter().enumerate() {
        ts.pes(AUDIO, pts, None, &adts(&[i as u8]), true);
    }
    let (_, packets, _) = read(ts.bytes());
    let got: Vec<i64> = packets.iter().map(|p| p.dts.0).collect();
    let want: Vec<i64> = (0..5).map(|i| (start + i * 2090) as i64).collect();
    assert_eq!(got, want);
    assert!(got[4] > m as i64);
}

#[test]
fn pmt_naming_an_absent_pid_gives_an_empty_track() {
    let mut ts = Ts::default();
    ts.tables(&[(StreamType::H264, VIDEO), (StreamType::AAC_ADTS, AUDIO)]);
    ts.pes(AUDIO, 90_000, None, &adts(&[1, 2]), true);
    let (tracks, packets, r) = read(ts.bytes());
    assert_eq!(tracks.len(), 2);
    assert_eq!(tracks[0].codec.codec, Codec::H264);
    assert!(tracks[0].codec.extradata.is_empty());
    assert_eq!(packets.len(), 1);
    assert_eq!(packets[0].track, 1);
    assert_eq!(r.warning_count, 0);
}

#[test]
fn empty_input_is_an_empty_stream_and_junk_is_not_a_stream() {
    let (tracks, packets, r) = read(Bytes::new());
    assert!(tracks.is_empty() && packets.is_empty());
    assert_eq!(r.packets, 0);
    let e = TsDemuxer::from_bytes(Bytes::from_static(b"this is not a transport stream"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "not an mpeg-ts stream: no 3 sync bytes 0x47 at 188- or 192-byte spacing in the first 30 bytes"
    );
}

#[test]
fn continuity_errors_duplicates_and_discontinuities() {
    let mut ts = Ts::default();
    ts.tables(&[(StreamType::AAC_ADTS, AUDIO)]);
    ts.pes(AUDIO, 90_000, None, &adts(&[1; 10]), true);
    // A duplicate of the last packet: allowed once.
    let dup = ts.out[ts.out.len() - TS_PACKET_SIZE..].to_vec();
    ts.out.extend_from_slice(&dup);
    // A two-packet PES whose first packet is lost.
    let big = adts(&[2; 300]);
    let mut h = Vec::new();
    PesHeader::for_stream(0xC0, big.len(), 92_090, None).write_to(&mut h);
    h.extend_from_slice(&big);
    let before = ts.out.len();
    ts.pes_bytes(AUDIO, &h, None);
    ts.out.drain(before..before + TS_PACKET_SIZE);
    // A discontinuity: counter jumps, flagged, no error.
    ts.cc.insert(AUDIO, ContinuityCounter::new(9).unwrap());
    let af = AdaptationField {
        discontinuity: true,
        ..AdaptationField::default()
    };
    let mut data = Vec::new();
    PesHeader::for_stream(0xC0, 12, 5_000, None).write_to(&mut data);
    data.extend_from_slice(&adts(&[3; 5]));
    ts.pes_bytes(AUDIO, &data, Some(&af));
    ts.pes(AUDIO, 7_090, None, &adts(&[4; 5]), true);
    let (_, packets, r) = read(ts.bytes());
    assert_eq!(r.duplicate_packets, 1);
    assert_eq!(r.cc_errors.get(&AUDIO), Some(&1));
    let flags: Vec<bool> = packets.iter().map(|p| p.flags.discontinuity).collect();
    assert_eq!(flags, [false, true, false]);
    assert_eq!(packets[1].dts.0, 5_000);
}

#[test]
fn pmt_versions_add_streams_and_change_codecs() {
    let mut ts = Ts::default();
    ts.tables(&[(StreamType::H264, VIDEO)]);
    let [(sps, pps), _] = parameter_sets();
    ts.pes(VIDEO, 90_000, None, &annexb(&[&sps, &pps, IDR]), false);
    ts.pmt(
        1,
        &[(StreamType::H264, VIDEO), (StreamType::AAC_ADTS, AUDIO)],
    );
    ts.pes(AUDIO, 90_000, None, &adts(&[7; 3]), true);
    ts.pes(VIDEO, 93_000, None, &annexb(&[SLICE]), false);
    ts.pmt(
        2,
        &[(StreamType::HEVC, VIDEO), (StreamType::AAC_ADTS, AUDIO)],
    );
    ts.pes(
        VIDEO,
        96_000,
        None,
        &annexb(&[&[0x26, 0x01, 0xAF, 0x10]]),
        false,
    );
    // Removing the audio stream, then packets on its PID: unreferenced.
    ts.pmt(3, &[(StreamType::HEVC, VIDEO)]);
    ts.pes(AUDIO, 99_000, None, &adts(&[8; 3]), true);
    let (tracks, packets, r) = read(ts.bytes());
    assert_eq!(r.table_changes, 3);
    assert_eq!(tracks.len(), 2);
    assert_eq!(tracks[1].codec.codec, Codec::Aac);
    assert_eq!(tracks[0].codec.codec, Codec::Hevc);
    let changed: Vec<(u32, bool)> = packets
        .iter()
        .map(|p| (p.track, p.flags.config_changed))
        .collect();
    // Video access units are held until the next one starts, so the first audio frame comes
    // first; the H.264 frame pending at the codec change is delivered as H.264.
    assert_eq!(changed, [(1, false), (0, false), (0, false), (0, true)]);
    assert_eq!(packets[2].data[..], length_prefixed(&[SLICE])[..]);
    assert_eq!(packets[3].config.as_ref().unwrap().codec, Codec::Hevc);
    assert_eq!(r.unreferenced_packets[&AUDIO], 1);
}

#[test]
fn adts_frame_split_across_pes_packets_is_joined() {
    let mut ts = Ts::default();
    ts.tables(&[(StreamType::AAC_ADTS, AUDIO)]);
    let f: Vec<Vec<u8>> = (0..3u8).map(|i| adts(&[i + 1; 30])).collect();
    let first = [&f[0][..], &f[1][..15]].concat();
    let second = [&f[1][15..], &f[2][..]].concat();
    ts.pes(AUDIO, 90_000, None, &first, true);
    ts.pes(AUDIO, 95_000, None, &second, true);
    let (_, packets, r) = read(ts.bytes());
    assert_eq!(r.warning_count, 0, "{:#?}", r.warnings);
    let got: Vec<(i64, u8)> = packets.iter().map(|p| (p.dts.0, p.data[0])).collect();
    // The frame that started in the first PES is timed by it; the next by the second PTS.
    assert_eq!(got, [(90_000, 1), (92_090, 2), (95_000, 3)]);
}

#[test]
fn strict_mode_reports_continuity_errors_with_their_place() {
    let mut ts = Ts::default();
    ts.tables(&[(StreamType::AAC_ADTS, AUDIO)]);
    ts.pes(AUDIO, 90_000, None, &adts(&[1; 10]), true);
    ts.cc.insert(AUDIO, ContinuityCounter::new(7).unwrap());
    ts.pes(AUDIO, 92_090, None, &adts(&[1; 10]), true);
    let e = read_strict(ts.bytes()).unwrap_err();
    assert!(matches!(
        e,
        crate::Error::Ts(TsError::InPacket { packet: 3, .. })
    ));
    assert_eq!(
        e.to_string(),
        "ts packet 3 at byte 564, pid 0x0101: ts packet header: continuity counter 7, expected 1 at byte 3"
    );
}

fn xorshift(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn random_bytes_never_panic() {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for round in 0..200 {
        let len = (xorshift(&mut seed) % 20_000) as usize;
        let mut data: Vec<u8> = (0..len).map(|_| xorshift(&mut seed) as u8).collect();
        // Half the rounds look like packets, to get past sync into the parsers.
        if round % 2 == 0 {
            for (i, b) in data.iter_mut().enumerate() {
                if i % TS_PACKET_SIZE == 0 {
                    *b = 0x47;
                } else if i % TS_PACKET_SIZE == 2 && round % 4 == 0 {
                    *b = [0x00, 0x10, 0x00, 0x01][i / TS_PACKET_SIZE % 4];
                } else if i % TS_PACKET_SIZE == 1 && round % 4 == 0 {
                    *b &= 0xE0;
                }
            }
        }
        for strict in [false, true] {
            let Ok(mut d) = TsDemuxer::new(
                crate::io::InputSource::from_bytes(Bytes::from(data.clone())),
                TsReadOptions { strict },
            ) else {
                continue;
            };
            while let Ok(Some(_)) = d.next_packet() {}
        }
    }
}

#[test]
fn damaged_real_stream_never_panics() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/source_bframes.ts");
    let clean = map_file(&path).unwrap();
    let clean = &clean[..clean.len().min(300 * TS_PACKET_SIZE)];
    let mut seed = 42u64;
    for _ in 0..60 {
        let mut data = clean.to_vec();
        for _ in 0..(xorshift(&mut seed) % 40 + 1) {
            let at = (xorshift(&mut seed) as usize) % data.len();
            data[at] = xorshift(&mut seed) as u8;
        }
        if xorshift(&mut seed) % 3 == 0 {
            let at = (xorshift(&mut seed) as usize) % data.len();
            let n = (xorshift(&mut seed) % 400) as usize;
            data.drain(at..(at + n).min(data.len()));
        }
        let Ok(mut d) = TsDemuxer::from_bytes(Bytes::from(data)) else {
            continue;
        };
        let mut n = 0;
        while let Ok(Some(_)) = d.next_packet() {
            n += 1;
        }
        assert!(n < 2000);
    }
}

#[test]
fn a_split_audio_frame_is_not_joined_across_a_lost_packet() {
    let mut ts = Ts::default();
    ts.tables(&[(StreamType::AAC_ADTS, AUDIO)]);
    let f: Vec<Vec<u8>> = (0..3u8).map(|i| adts(&[i + 1; 200])).collect();
    ts.pes(
        AUDIO,
        90_000,
        None,
        &[&f[0][..], &f[1][..100]].concat(),
        true,
    );
    // The second PES spans two packets; its first is lost.
    let before = ts.out.len();
    ts.pes(
        AUDIO,
        95_000,
        None,
        &[&f[1][100..], &f[2][..]].concat(),
        true,
    );
    ts.out.drain(before..before + TS_PACKET_SIZE);
    ts.pes(AUDIO, 99_000, None, &adts(&[9; 10]), true);
    let (_, packets, r) = read(ts.bytes());
    let firsts: Vec<u8> = packets.iter().map(|p| p.data[0]).collect();
    assert_eq!(firsts, [1, 9]);
    assert_eq!(r.cc_errors[&AUDIO], 1);
    assert_eq!(r.dropped_frames, 1);
}

#[test]
fn scrambled_and_null_packets_are_counted_and_skipped() {
    let mut ts = Ts::default();
    ts.tables(&[(StreamType::AAC_ADTS, AUDIO)]);
    let cc = ts.cc(AUDIO);
    let mut h = TsPacketHeader::new(Pid::new(AUDIO).unwrap(), true, cc);
    h.scrambling = 2;
    write_packet(&h, None, &[0xAB; 184], &mut ts.out);
    ts.packet(0x1FFF, false, None, &[0xFF; 184]);
    ts.pes(AUDIO, 90_000, None, &adts(&[1, 2]), true);
    let (_, packets, r) = read(ts.bytes());
    assert_eq!(r.scrambled_packets[&AUDIO], 1);
    assert_eq!(r.null_packets, 1);
    assert_eq!(packets.len(), 1);
}
