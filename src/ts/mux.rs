//! Tracks and packets -> MPEG-TS.
//!
//! One program: PAT, PMT (PID 0x1000 by default) and one elementary stream per track from PID
//! 0x100, as ffmpeg lays them out. PAT and PMT open the output and repeat every
//! [`TsMuxOptions::psi_interval`]; [`TsMuxer::force_psi`] forces them (HLS segments start with
//! them). Each packet becomes one PES: H.264/HEVC as Annex B with an access unit delimiter
//! first and the parameter sets before every keyframe (unless already in band), AAC with an
//! ADTS header, MPEG audio and timed ID3 as they are. One PES per packet keeps every frame's
//! own timestamp (lossless), at some cost in size for audio.
//!
//! The PCR rides on the video PID (the first audio PID without video), derived from the DTS
//! being sent minus [`TsMuxOptions::pcr_delay`], never more than 40 ms apart: where the data
//! leaves a longer gap, PCR-only packets fill it.

use std::io::Write;

use bytes::BufMut;

use crate::codec::aac::{AdtsHeader, AudioSpecificConfig};
use crate::codec::avc::{AvcDecoderConfig, nal_units_length_prefixed};
use crate::codec::hevc::{HevcDecoderConfig, HevcNalType};
use crate::error::{Error, Result};
use crate::io::BlockWriter;
use crate::media::{Codec, MediaKind, Muxer, Packet, Track};
use crate::time::{TimeBase, wrap};

use super::TS_PACKET_SIZE;
use super::packet::{
    AdaptationField, BODY, ContinuityCounter, Pcr, Pid, TsPacketHeader, write_packet,
    write_packet_header,
};
use super::pat::Pat;
use super::pes::PesHeader;
use super::pmt::{Descriptor, Pmt, PmtStream, StreamType};
use super::psi::write_section_packets;

/// The 90 kHz clock's ticks per millisecond.
const TICKS_PER_MS: i64 = 90;
/// Longest run of PCR-only packets written to bridge a gap in the data (10 s at 40 ms); a
/// longer jump is a discontinuity, flagged as such rather than filled.
const MAX_PCR_FILL: i64 = 250;

/// Choices for [`TsMuxer`]; the defaults are ffmpeg's.
#[derive(Clone, Debug)]
pub struct TsMuxOptions {
    /// The PMT's PID (ffmpeg: 0x1000).
    pub pmt_pid: Pid,
    /// The first elementary stream's PID; later tracks take the following ones (ffmpeg: 0x100).
    pub first_stream_pid: Pid,
    /// `transport_stream_id` in the PAT.
    pub transport_stream_id: u16,
    /// The program's number.
    pub program_number: u16,
    /// Added to every timestamp, in 90 kHz ticks: ffmpeg's 1.4 s (twice its 0.7 s default
    /// mux delay), so a stream starting at 0 can have its PCR lead it.
    pub initial_offset: i64,
    /// How far the PCR runs ahead of the DTS being sent, in 90 kHz ticks (ffmpeg: 0.7 s): the
    /// decoder's buffering time. Capped at `initial_offset`, so the first PCR is never negative.
    pub pcr_delay: i64,
    /// Longest time between two PCRs, in 90 kHz ticks (ISO 13818-1 allows 100 ms; 40 ms is
    /// what DVB and Apple ask).
    pub max_pcr_interval: i64,
    /// PAT and PMT repeat at least this often, in 90 kHz ticks (ffmpeg: 0.1 s).
    pub psi_interval: i64,
}

impl Default for TsMuxOptions {
    fn default() -> Self {
        TsMuxOptions {
            pmt_pid: Pid::from_bits(0x1000),
            first_stream_pid: Pid::from_bits(0x100),
            transport_stream_id: 1,
            program_number: 1,
            initial_offset: 1400 * TICKS_PER_MS,
            pcr_delay: 700 * TICKS_PER_MS,
            max_pcr_interval: 40 * TICKS_PER_MS,
            psi_interval: 100 * TICKS_PER_MS,
        }
    }
}

/// What the muxer wrote besides PES packets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TsMuxReport {
    /// 188-byte packets written.
    pub ts_packets: u64,
    /// PES packets written.
    pub pes_packets: u64,
    /// PCR-only packets written to keep PCRs at most 40 ms apart.
    pub pcr_only_packets: u64,
    /// PAT + PMT repetitions.
    pub psi_writes: u64,
    /// Packets of tracks TS cannot carry (FLV script data), dropped.
    pub dropped_packets: u64,
}

/// How a track's payloads become PES payloads.
enum Payload {
    /// Length-prefixed NAL units -> Annex B; `param_sets` is the Annex B form of the config's
    /// parameter sets, `aud` the access unit delimiter.
    Video {
        length_size: u8,
        param_sets: Vec<u8>,
        aud: &'static [u8],
        hevc: bool,
    },
    /// Raw AAC -> ADTS.
    Aac(AudioSpecificConfig),
    /// Written as is (MPEG audio, timed ID3).
    Raw,
    /// Not carried (FLV script data).
    Dropped,
}

struct Stream {
    track: Track,
    pid: Pid,
    stream_type: StreamType,
    stream_id: u8,
    payload: Payload,
    cc: ContinuityCounter,
}

const H264_AUD: &[u8] = &[0, 0, 0, 1, 0x09, 0xF0];
const HEVC_AUD: &[u8] = &[0, 0, 0, 1, 0x46, 0x01, 0x50];

/// Writes MPEG-TS to any [`Write`].
pub struct TsMuxer<W: Write> {
    /// Packets are appended to its block; blocks go to the sink (inline or write-behind).
    out: BlockWriter<W>,
    options: TsMuxOptions,
    streams: Vec<Option<Stream>>,
    pat_cc: ContinuityCounter,
    pmt_cc: ContinuityCounter,
    pmt_version: u8,
    pcr_stream: Option<usize>,
    last_pcr: Option<i64>,
    last_psi: Option<i64>,
    psi_due: bool,
    finished: bool,
    report: TsMuxReport,
}

impl<W: Write> TsMuxer<W> {
    /// A muxer writing to `sink` on the caller's thread.
    pub fn new(sink: W, options: TsMuxOptions) -> TsMuxer<W> {
        TsMuxer::with_writer(BlockWriter::new(sink), options)
    }

    /// A muxer writing through `out`, for instance [`BlockWriter::write_behind`] so a writer
    /// thread makes the system calls while this one muxes.
    pub fn with_writer(mut out: BlockWriter<W>, options: TsMuxOptions) -> TsMuxer<W> {
        out.set_context("writing ts");
        TsMuxer {
            out,
            options,
            streams: Vec::new(),
            pat_cc: ContinuityCounter::from_bits(0),
            pmt_cc: ContinuityCounter::from_bits(0),
            pmt_version: 0,
            pcr_stream: None,
            last_pcr: None,
            last_psi: None,
            psi_due: true,
            finished: false,
            report: TsMuxReport::default(),
        }
    }

    /// What was written so far.
    pub fn report(&self) -> &TsMuxReport {
        &self.report
    }

    /// Gives the sink back (after [`Muxer::finish`]), once everything is written to it.
    pub fn into_inner(self) -> Result<W> {
        self.out.into_inner()
    }

    /// Writes everything buffered to the sink, so the sink holds whole packets up to here: an
    /// HLS segmenter calls this before it swaps the sink at a segment boundary.
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush_all()
    }

    /// The sink, to swap it for the next segment's after [`TsMuxer::flush`] (everything
    /// appended so far is written to it first). Continuity counters and timestamps carry on into
    /// the new sink.
    pub fn sink_mut(&mut self) -> Result<&mut W> {
        self.out.get_mut()
    }

    /// The sink after a failure, for cleaning up (see [`BlockWriter::recover`]).
    pub(crate) fn recover_sink(&mut self) -> Option<&mut W> {
        self.out.recover()
    }

    /// Runs `job` on the sink once everything muxed so far is written to it, in order with
    /// the output (queued when the writer is write-behind): an HLS segmenter closes a segment
    /// this way without waiting for the writes.
    pub fn run_on_sink(
        &mut self,
        job: impl FnOnce(&mut W) -> Result<()> + Send + 'static,
    ) -> Result<()> {
        self.out.run(job)
    }

    /// Sends PAT and PMT before the next packet, whatever the interval says: an HLS segmenter
    /// calls this when it opens a segment, so every segment starts with them.
    pub fn force_psi(&mut self) {
        self.psi_due = true;
    }

    fn write_psi(&mut self) -> Result<()> {
        let pat = Pat {
            transport_stream_id: self.options.transport_stream_id,
            programs: vec![(self.options.program_number, self.options.pmt_pid)],
        };
        let section = pat.to_section().to_bytes()?;
        self.report.ts_packets +=
            write_section_packets(Pid::PAT, &section, &mut self.pat_cc, self.out.buf()) as u64;
        let mut pmt = self.pmt().to_section()?;
        pmt.version = self.pmt_version;
        let section = pmt.to_bytes()?;
        self.report.ts_packets += write_section_packets(
            self.options.pmt_pid,
            &section,
            &mut self.pmt_cc,
            self.out.buf(),
        ) as u64;
        self.report.psi_writes += 1;
        self.psi_due = false;
        Ok(())
    }

    fn pmt(&self) -> Pmt {
        let mut program_info = Vec::new();
        let streams: Vec<PmtStream> = self
            .streams
            .iter()
            .flatten()
            .filter(|s| !matches!(s.payload, Payload::Dropped))
            .map(|s| {
                let mut descriptors = Vec::new();
                if s.stream_type == StreamType::METADATA {
                    if program_info.is_empty() {
                        program_info.push(Descriptor::id3_metadata_pointer(
                            self.options.program_number,
                        ));
                    }
                    descriptors.push(Descriptor::id3_metadata());
                }
                // ATSC A/52 Annex A, as ffmpeg writes it: the registration names the format.
                if s.stream_type == StreamType::AC3 {
                    descriptors.push(Descriptor::registration(*b"AC-3"));
                } else if s.stream_type == StreamType::EAC3 {
                    descriptors.push(Descriptor::registration(*b"EAC3"));
                }
                PmtStream {
                    stream_type: s.stream_type,
                    pid: s.pid,
                    descriptors,
                }
            })
            .collect();
        let pcr_pid = self
            .pcr_stream
            .and_then(|i| self.streams[i].as_ref())
            .map_or(Pid::NULL, |s| s.pid);
        Pmt {
            program_number: self.options.program_number,
            pcr_pid,
            program_info,
            streams,
        }
    }

    fn write_pcr_only(&mut self, pcr: i64, discontinuity: bool) {
        let Some(s) = self.pcr_stream.and_then(|i| self.streams[i].as_ref()) else {
            return;
        };
        let af = AdaptationField {
            pcr: Some(pcr_of(pcr)),
            discontinuity,
            ..AdaptationField::default()
        };
        let mut h = TsPacketHeader::new(s.pid, false, s.cc);
        h.has_payload = false;
        write_packet(&h, Some(&af), &[], self.out.buf());
        self.report.ts_packets += 1;
        self.report.pcr_only_packets += 1;
        self.last_pcr = Some(pcr);
    }
}

/// The parts of one packet's PES payload, measured before anything is written (the last TS
/// packet's stuffing depends on the total).
struct PayloadPlan {
    len: usize,
    /// Video: parameter sets go in front (keyframe, none in band).
    param_sets: bool,
    /// AAC: the ADTS header.
    adts: [u8; 7],
}

impl Payload {
    fn plan(&self, track: &Track, p: &Packet) -> Result<PayloadPlan> {
        let mut plan = PayloadPlan {
            len: 0,
            param_sets: false,
            adts: [0; 7],
        };
        match self {
            Payload::Video {
                length_size,
                param_sets,
                aud,
                hevc,
            } => {
                let mut in_band = false;
                plan.len = aud.len();
                for nal in nal_units_length_prefixed(&p.data, *length_size) {
                    let nal = nal.map_err(|e| bad_packet(track, p, e.to_string()))?;
                    in_band |= is_parameter_set(nal, *hevc);
                    if !is_aud(nal, *hevc) {
                        plan.len += 4 + nal.len();
                    }
                }
                plan.param_sets = p.flags.keyframe && !in_band;
                if plan.param_sets {
                    plan.len += param_sets.len();
                }
            }
            Payload::Aac(asc) => {
                let mut w = &mut plan.adts[..];
                AdtsHeader::write(asc, p.data.len(), &mut w)
                    .map_err(|e| bad_packet(track, p, e.to_string()))?;
                if !w.is_empty() {
                    return Err(bad_packet(track, p, "unexpected adts header size".into()));
                }
                plan.len = plan.adts.len() + p.data.len();
            }
            Payload::Raw => plan.len = p.data.len(),
            Payload::Dropped => {}
        }
        Ok(plan)
    }

    /// Streams the payload planned by [`Payload::plan`].
    fn write(&self, plan: &PayloadPlan, p: &Packet, w: &mut PesStream<'_>) {
        match self {
            Payload::Video {
                length_size,
                param_sets,
                aud,
                hevc,
            } => {
                w.put(aud);
                if plan.param_sets {
                    w.put(param_sets);
                }
                for nal in nal_units_length_prefixed(&p.data, *length_size).flatten() {
                    if !is_aud(nal, *hevc) {
                        w.put(&[0, 0, 0, 1]);
                        w.put(nal);
                    }
                }
            }
            Payload::Aac(_) => {
                w.put(&plan.adts);
                w.put(&p.data);
            }
            Payload::Raw => w.put(&p.data),
            Payload::Dropped => {}
        }
    }
}

/// Streams one PES into 188-byte packets as its pieces arrive, so the payload is copied once,
/// from the input into the output buffer. The total length is known up front, which is what
/// sizes the stuffing of the last packet.
struct PesStream<'a> {
    out: &'a mut Vec<u8>,
    pid: Pid,
    cc: ContinuityCounter,
    /// PES bytes still to come.
    remaining: usize,
    /// Payload bytes left in the packet being filled.
    room: usize,
    /// The first packet's adaptation field, until the first packet starts.
    first: Option<Option<AdaptationField>>,
    packets: u64,
}

impl<'a> PesStream<'a> {
    fn new(
        out: &'a mut Vec<u8>,
        pid: Pid,
        cc: ContinuityCounter,
        total: usize,
        af: Option<AdaptationField>,
    ) -> Self {
        PesStream {
            out,
            pid,
            cc,
            remaining: total,
            room: 0,
            first: Some(af),
            packets: 0,
        }
    }

    fn put(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.room == 0 && self.first.is_none() {
                data = self.put_full_packets(data);
                if data.is_empty() {
                    break;
                }
            }
            if self.room == 0 {
                if self.remaining == 0 {
                    // More bytes than planned: a bug, never a reason to loop or overrun.
                    debug_assert!(false, "pes longer than planned");
                    return;
                }
                let af = self.first.take();
                let h = TsPacketHeader::new(self.pid, af.is_some(), self.cc);
                self.room =
                    write_packet_header(&h, af.flatten().as_ref(), self.remaining, self.out);
                self.cc = self.cc.next();
                self.packets += 1;
            }
            let n = data.len().min(self.room);
            self.out.extend_from_slice(&data[..n]);
            data = &data[n..];
            self.room -= n;
            self.remaining -= n;
        }
    }
}

impl PesStream<'_> {
    /// The common case, most of every PES: whole packets after the first, a plain header and
    /// 184 payload bytes each, written in one run. Returns what is left of `data` (less than
    /// a packet's payload, or the tail that needs stuffing).
    #[inline]
    fn put_full_packets<'d>(&mut self, data: &'d [u8]) -> &'d [u8] {
        let full = data.len().min(self.remaining) / BODY;
        if full == 0 {
            return data;
        }
        let (run, rest) = data.split_at(full * BODY);
        // No reserve for the run: a keyframe's run can pass the block's slack, and growing the
        // block for it would make every block in flight that much larger.
        for payload in run.chunks_exact(BODY) {
            let header = TsPacketHeader::new(self.pid, false, self.cc);
            self.out.extend_from_slice(&header.to_bytes());
            self.out.extend_from_slice(payload);
            self.cc = self.cc.next();
        }
        self.packets += full as u64;
        self.remaining -= full * BODY;
        rest
    }
}

fn bad_packet(track: &Track, p: &Packet, reason: String) -> Error {
    Error::Mux {
        format: "ts",
        track: track.id,
        dts: p.dts.0,
        reason,
    }
}

fn pcr_of(ticks_90k: i64) -> Pcr {
    Pcr {
        base: wrap(ticks_90k, 33),
        extension: 0,
    }
}

fn is_parameter_set(nal: &[u8], hevc: bool) -> bool {
    let Some(&h) = nal.first() else { return false };
    if hevc {
        matches!((h >> 1) & 0x3F, 32..=34)
    } else {
        matches!(h & 0x1F, 7 | 8)
    }
}

fn is_aud(nal: &[u8], hevc: bool) -> bool {
    let Some(&h) = nal.first() else { return false };
    if hevc {
        (h >> 1) & 0x3F == 35
    } else {
        h & 0x1F == 9
    }
}

/// Annex B bytes of a video config's parameter sets, and its NAL length size.
fn video_payload(track: &Track) -> Result<Payload> {
    let bad = |e: crate::codec::CodecError| Error::Mux {
        format: "ts",
        track: track.id,
        dts: 0,
        reason: e.to_string(),
    };
    let mut param_sets = Vec::new();
    let hevc = track.codec.codec == Codec::Hevc;
    let mut length_size = 4;
    if !track.codec.extradata.is_empty() {
        let mut put = |nal: &[u8]| {
            param_sets.put_slice(&[0, 0, 0, 1]);
            param_sets.put_slice(nal);
        };
        if hevc {
            let c = HevcDecoderConfig::parse(&track.codec.extradata).map_err(bad)?;
            for t in [HevcNalType::VPS, HevcNalType::SPS, HevcNalType::PPS] {
                c.units(t).for_each(|n| put(n));
            }
            length_size = c.length_size;
        } else {
            let c = AvcDecoderConfig::parse(&track.codec.extradata).map_err(bad)?;
            c.sps.iter().chain(&c.pps).for_each(|n| put(n));
            length_size = c.length_size;
        }
    }
    let aud = if hevc { HEVC_AUD } else { H264_AUD };
    Ok(Payload::Video {
        length_size,
        param_sets,
        aud,
        hevc,
    })
}

/// Why a transport stream cannot carry `track`'s codec (also the HLS segmenter's answer), or
/// `None`.
pub fn refusal(track: &Track) -> Option<String> {
    match payload_for(track) {
        Ok((_, _, Payload::Dropped)) => Some(format!(
            "mpeg-ts has no stream type for {}",
            track.codec.codec
        )),
        Ok(_) => None,
        Err(Error::UnsupportedCodec { codec, .. }) => Some(format!("mpeg-ts cannot carry {codec}")),
        // A damaged configuration is the input's fault, reported by `add_track`.
        Err(_) => None,
    }
}

fn payload_for(track: &Track) -> Result<(StreamType, u8, Payload)> {
    let unsupported = || Error::UnsupportedCodec {
        format: "ts",
        track: track.id,
        codec: track.codec.codec.name(),
    };
    Ok(match track.codec.codec {
        Codec::H264 => (
            StreamType::H264,
            PesHeader::VIDEO_STREAM_ID,
            video_payload(track)?,
        ),
        Codec::Hevc => (
            StreamType::HEVC,
            PesHeader::VIDEO_STREAM_ID,
            video_payload(track)?,
        ),
        Codec::Aac => {
            let asc =
                AudioSpecificConfig::parse(&track.codec.extradata).map_err(|e| Error::Mux {
                    format: "ts",
                    track: track.id,
                    dts: 0,
                    reason: e.to_string(),
                })?;
            (
                StreamType::AAC_ADTS,
                PesHeader::AUDIO_STREAM_ID,
                Payload::Aac(asc),
            )
        }
        Codec::Mp3 | Codec::Mp2 => {
            // MPEG-2/2.5 rates (below 32 kHz) are stream type 0x04, MPEG-1 0x03.
            let mpeg2 = track.codec.audio.is_some_and(|a| a.sample_rate < 32_000);
            let st = if mpeg2 {
                StreamType::MPEG2_AUDIO
            } else {
                StreamType::MPEG1_AUDIO
            };
            (st, PesHeader::AUDIO_STREAM_ID, Payload::Raw)
        }
        // Whole sync frames, in private_stream_1 as ffmpeg and ATSC A/52 Annex A carry them.
        Codec::Ac3 => (StreamType::AC3, PesHeader::PRIVATE_STREAM_1, Payload::Raw),
        Codec::Eac3 => (StreamType::EAC3, PesHeader::PRIVATE_STREAM_1, Payload::Raw),
        Codec::TimedId3 => (
            StreamType::METADATA,
            PesHeader::PRIVATE_STREAM_1,
            Payload::Raw,
        ),
        Codec::FlvScript => (
            StreamType::PRIVATE_PES,
            PesHeader::PRIVATE_STREAM_1,
            Payload::Dropped,
        ),
        _ => return Err(unsupported()),
    })
}

impl<W: Write> Muxer for TsMuxer<W> {
    fn refusal(&self, track: &Track) -> Option<String> {
        refusal(track)
    }

    fn add_track(&mut self, track: &Track) -> Result<()> {
        let idx = track.id as usize;
        if self.streams.get(idx).is_some_and(Option::is_some) {
            return Err(Error::InvalidUse(format!("track {} added twice", track.id)));
        }
        let (stream_type, stream_id, payload) = payload_for(track)?;
        let n = self
            .streams
            .iter()
            .flatten()
            .filter(|s| !matches!(s.payload, Payload::Dropped))
            .count() as u16;
        // Stream PIDs follow the first one in track order, stepping over the PMT's PID; the
        // null PID 0x1FFF (and anything past it) is never one.
        let first = self.options.first_stream_pid.value();
        let pmt = self.options.pmt_pid.value();
        let mut pid = first + n;
        if first <= pmt && pmt <= pid {
            pid += 1;
        }
        if pid == pmt {
            pid += 1;
        }
        let pid = Pid::new(pid)
            .filter(|p| *p != Pid::NULL && p.value() >= 0x0010)
            .ok_or_else(|| {
                Error::InvalidUse(format!(
                    "track {}: no stream pid left after {first:#06x} (pmt on {pmt:#06x}); pids stop at 0x1ffe",
                    track.id
                ))
            })?;
        if self.streams.len() <= idx {
            self.streams.resize_with(idx + 1, || None);
        }
        self.streams[idx] = Some(Stream {
            track: track.clone(),
            pid,
            stream_type,
            stream_id,
            payload,
            cc: ContinuityCounter::from_bits(0),
        });
        let pcr_kind = |i: Option<usize>| {
            i.and_then(|i| self.streams[i].as_ref())
                .map(|s| s.track.kind)
        };
        if track.kind == MediaKind::Video && pcr_kind(self.pcr_stream) != Some(MediaKind::Video)
            || track.kind == MediaKind::Audio && self.pcr_stream.is_none()
        {
            self.pcr_stream = Some(idx);
        }
        if self.last_psi.is_some() {
            // A track added mid-stream: a new PMT version, sent before the next packet.
            self.pmt_version = (self.pmt_version + 1) & 0x1F;
            self.psi_due = true;
        }
        Ok(())
    }

    fn write_packet(&mut self, p: &Packet) -> Result<()> {
        let idx = p.track as usize;
        let Some(s) = self.streams.get_mut(idx).and_then(Option::as_mut) else {
            return Err(Error::InvalidUse(format!(
                "packet for undeclared track {}",
                p.track
            )));
        };
        if matches!(s.payload, Payload::Dropped) {
            self.report.dropped_packets += 1;
            return Ok(());
        }
        if let Some(config) = &p.config {
            s.track.codec = (**config).clone();
            let (_, _, payload) = payload_for(&s.track)?;
            s.payload = payload;
        }
        let tb = s.track.time_base;
        let dts = tb.rescale(p.dts.0, TimeBase::MPEG_90K) + self.options.initial_offset;
        let pts = tb.rescale(p.pts.0, TimeBase::MPEG_90K) + self.options.initial_offset;
        let (kind, stream_id) = (s.track.kind, s.stream_id);
        // The clock this packet is sent at.
        // The PCR leads the DTS by the mux delay, but never starts below zero: with a small
        // initial offset the lead shrinks to it.
        let now = dts
            - self
                .options
                .pcr_delay
                .min(self.options.initial_offset.max(0));
        if self.psi_due
            || self
                .last_psi
                .is_none_or(|t| now - t >= self.options.psi_interval)
        {
            self.write_psi()?;
            self.last_psi = Some(now);
        }
        // PCRs at most `max_pcr_interval` apart: fill a gap up to now with PCR-only packets; a
        // jump too long to fill (or backwards) is flagged as a PCR discontinuity instead.
        let step = self.options.max_pcr_interval;
        let mut discontinuity = false;
        if let Some(last) = self.last_pcr {
            if now - last > MAX_PCR_FILL * step || now < last - step {
                discontinuity = true;
            } else {
                let mut t = last;
                while now - t > step {
                    t += step;
                    self.write_pcr_only(t, false);
                }
            }
        }
        let is_pcr_stream = self.pcr_stream == Some(idx);
        let mut pcr = None;
        if discontinuity && !is_pcr_stream {
            self.write_pcr_only(now, true);
            discontinuity = false;
        } else if is_pcr_stream
            && (discontinuity
                || p.flags.keyframe
                || self.last_pcr.is_none_or(|last| now - last >= step))
        {
            pcr = Some(if discontinuity {
                now
            } else {
                now.max(self.last_pcr.unwrap_or(now))
            });
        }
        let Some(s) = self.streams[idx].as_mut() else {
            return Ok(());
        };
        let plan = s.payload.plan(&s.track, p)?;
        let header = PesHeader::for_stream(stream_id, plan.len, wrap(pts, 33), Some(wrap(dts, 33)));
        let mut head = [0u8; 19]; // the longest PES header (PTS + DTS)
        let hlen = header.encoded_len();
        header.write_to(&mut &mut head[..]);
        // Random access points: video keyframes; every audio frame when audio carries the PCR.
        let random_access = p.flags.keyframe && (kind == MediaKind::Video || is_pcr_stream);
        let af = (random_access || pcr.is_some() || discontinuity).then(|| AdaptationField {
            random_access,
            discontinuity,
            pcr: pcr.map(pcr_of),
            ..AdaptationField::default()
        });
        let mut w = PesStream::new(self.out.buf(), s.pid, s.cc, hlen + plan.len, af);
        w.put(&head[..hlen.min(head.len())]);
        s.payload.write(&plan, p, &mut w);
        s.cc = w.cc;
        self.report.ts_packets += w.packets;
        if let Some(pcr) = pcr {
            self.last_pcr = Some(pcr);
        }
        self.report.pes_packets += 1;
        self.out.maybe_write()?;
        debug_assert_eq!(self.out.buf().len() % TS_PACKET_SIZE, 0);
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        if self.finished {
            return Err(Error::InvalidUse("ts muxer finished twice".into()));
        }
        self.finished = true;
        if self.last_psi.is_none() {
            self.write_psi()?;
        }
        self.out.flush_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The PES cut into packets one at a time with `write_packet`, the general path.
    fn reference(pes: &[u8], pid: Pid, af: Option<AdaptationField>) -> Vec<u8> {
        let mut out = Vec::new();
        let mut cc = ContinuityCounter::default();
        let mut rest = pes;
        let mut first = Some(af);
        while !rest.is_empty() {
            let af = first.take();
            let h = TsPacketHeader::new(pid, af.is_some(), cc);
            let n = write_packet(&h, af.flatten().as_ref(), rest, &mut out);
            rest = &rest[n..];
            cc = cc.next();
        }
        out
    }

    #[test]
    fn streamed_pes_matches_packet_by_packet_whatever_the_pieces() {
        let pid = Pid::from_bits(0x100);
        let pcr = AdaptationField {
            random_access: true,
            pcr: Some(pcr_of(90_000)),
            ..AdaptationField::default()
        };
        for total in [1, 170, 183, 184, 185, 368, 369, 1000, 5000, 65_536] {
            let pes: Vec<u8> = (0..total).map(|i| (i * 31 % 251) as u8).collect();
            for af in [None, Some(pcr.clone())] {
                let want = reference(&pes, pid, af.clone());
                for piece in [1, 4, 183, 184, 185, 500, total] {
                    let mut out = Vec::new();
                    let mut w = PesStream::new(
                        &mut out,
                        pid,
                        ContinuityCounter::default(),
                        total,
                        af.clone(),
                    );
                    for chunk in pes.chunks(piece) {
                        w.put(chunk);
                    }
                    let packets = w.packets;
                    assert_eq!(out.len() % TS_PACKET_SIZE, 0);
                    assert_eq!(packets as usize, out.len() / TS_PACKET_SIZE);
                    assert!(out == want, "total {total}, pieces of {piece}, af {af:?}");
                }
            }
        }
    }
}
