//! The sans-IO core of the demuxer: bytes in, tracks and packets out.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;

use crate::demux_tracks::{ConfigTracker, fill_params, on_returned};
use crate::error::Result;
use crate::media::{Codec, CodecConfig, MediaKind, Packet, Track};
use crate::time::{Timestamp, WrapUnwrapper};
use crate::ts::packet::{Pid, TsPacket};
use crate::ts::pat::Pat;
use crate::ts::pes::PesHeader;
use crate::ts::pmt::{Descriptor, Pmt, PmtStream, StreamType};
use crate::ts::psi::{PsiSection, SectionAssembler};
use crate::ts::sdt::{DvbEvent, DvbService, EIT_PID, SDT_PID};
use crate::ts::{TS_PACKET_SIZE, TsError};

use super::assemble::{MAX_AUDIO_PES_SIZE, MAX_PES_SIZE, PesAssembler, RawPes};
use super::es::{AudioEs, AudioFraming, EsItem, Frame, VideoEs};
use super::pid_map::PidMap;
use super::report::{TsReadOptions, TsReport};
use super::sync::{Packetizer, SyncItem};

mod service_info;
mod tables;

use service_info::ServiceInfo;

/// Most tracks one stream may declare. Real programs carry a handful of streams; the limit
/// bounds PES buffering (each stream may hold up to [`MAX_PES_SIZE`]) against a PMT that lists
/// hundreds. Streams past it are skipped and reported.
pub const MAX_TRACKS: usize = 64;

/// How a stream type is read by its type alone, when it is.
pub(super) fn classify_type(ty: StreamType) -> Option<(Codec, MediaKind)> {
    Some(match ty {
        StreamType::H264 => (Codec::H264, MediaKind::Video),
        StreamType::HEVC => (Codec::Hevc, MediaKind::Video),
        StreamType::AAC_ADTS => (Codec::Aac, MediaKind::Audio),
        StreamType::MPEG1_AUDIO | StreamType::MPEG2_AUDIO => (Codec::Mp3, MediaKind::Audio),
        StreamType::METADATA => (Codec::TimedId3, MediaKind::Data),
        // ATSC A/52 Annex A (what ffmpeg writes by default).
        StreamType::AC3 => (Codec::Ac3, MediaKind::Audio),
        StreamType::EAC3 => (Codec::Eac3, MediaKind::Audio),
        _ => return None,
    })
}

/// How a PMT entry is read: by its stream type, or for private PES (0x06) by the descriptor
/// that names it (DVB's AC-3 / enhanced AC-3 descriptors, ETSI EN 300 468 Annex D; a
/// registration descriptor `AC-3` / `EAC3`).
pub(super) fn classify(s: &PmtStream) -> Option<(Codec, MediaKind)> {
    if s.stream_type != StreamType::PRIVATE_PES {
        return classify_type(s.stream_type);
    }
    s.descriptors.iter().find_map(|d| {
        let codec = match (d.tag, &d.data[..]) {
            (DVB_AC3_DESCRIPTOR, _) => Codec::Ac3,
            (DVB_ENHANCED_AC3_DESCRIPTOR, _) => Codec::Eac3,
            (Descriptor::REGISTRATION, b"AC-3") => Codec::Ac3,
            (Descriptor::REGISTRATION, b"EAC3") => Codec::Eac3,
            _ => return None,
        };
        Some((codec, MediaKind::Audio))
    })
}

/// DVB `AC-3_descriptor` (ETSI EN 300 468 §D.3).
const DVB_AC3_DESCRIPTOR: u8 = 0x6A;
/// DVB `enhanced_AC-3_descriptor` (ETSI EN 300 468 §D.5).
const DVB_ENHANCED_AC3_DESCRIPTOR: u8 = 0x7A;

fn new_es(codec: Codec) -> Es {
    match codec {
        Codec::H264 => Es::Video(VideoEs::new(false)),
        Codec::Hevc => Es::Video(VideoEs::new(true)),
        Codec::Aac => Es::Audio(AudioEs::new(AudioFraming::Adts)),
        Codec::Ac3 | Codec::Eac3 => Es::Audio(AudioEs::new(AudioFraming::Ac3)),
        Codec::TimedId3 => Es::Id3,
        _ => Es::Audio(AudioEs::new(AudioFraming::Mpa)),
    }
}

#[derive(Debug)]
enum Es {
    Video(VideoEs),
    Audio(AudioEs),
    /// Timed ID3: each PES payload is one tag, shown at the PES's PTS.
    Id3,
}

#[derive(Debug)]
struct TrackState {
    pid: u16,
    program_number: u16,
    stream_type: StreamType,
    es: Es,
    /// A discontinuity_indicator was seen; the next packet carries the flag.
    discontinuity: bool,
    /// Whether the current PMT lists this track's PID.
    active: bool,
}

#[derive(Debug)]
struct Slot {
    track: usize,
    pes: PesAssembler,
}

#[derive(Debug)]
struct Program {
    number: u16,
    pmt_pid: u16,
    asm: SectionAssembler,
    /// The last PMT section applied (compared whole, so a changed table with an unchanged
    /// version number is still noticed).
    section: Option<PsiSection>,
    pmt: Option<Pmt>,
}

#[derive(Debug, Clone, Copy)]
struct CcState {
    last: u8,
    duplicate_seen: bool,
}

/// Where a packet is in the stream, for messages.
#[derive(Debug, Clone, Copy)]
struct Loc {
    packet: u64,
    offset: u64,
    pid: u16,
}

/// Reads a transport stream pushed in pieces (a live feed, a socket) as tracks and packets.
///
/// Push bytes with [`TsStreamParser::push`], take packets with
/// [`TsStreamParser::next_packet`] until it returns `Ok(None)` ("need more"), repeat; at the end
/// call [`TsStreamParser::finish`] and drain: `Ok(None)` then means the end. Memory is bounded:
/// besides the bytes pushed and not yet consumed, it holds at most one PES per stream (see
/// [`MAX_PES_SIZE`] and [`MAX_AUDIO_PES_SIZE`]), one section per PSI PID, one access unit per
/// video track and the packets made from the last PES.
///
/// Tracks are created from the PMT, in table order, with `Track::source_id` = PID and a
/// 1/90000 time base; a track's configuration comes from the stream itself (in-band parameter
/// sets, ADTS/MPEG audio headers), so it is known once [`TsStreamParser::tracks_ready`] says
/// so.
#[derive(Debug)]
pub struct TsStreamParser {
    options: TsReadOptions,
    sync: Packetizer,
    report: TsReport,
    packet_index: u64,
    cc: PidMap<CcState>,
    pat_asm: SectionAssembler,
    pat_section: Option<PsiSection>,
    /// DVB service information (SDT, EIT present/following): names for display.
    si: ServiceInfo,
    pat: Option<Pat>,
    programs: Vec<Program>,
    clocks: HashMap<u16, WrapUnwrapper>,
    slots: PidMap<Slot>,
    /// Private PES streams (0x06) no descriptor names, waiting for their first payload to
    /// say what they are (ffmpeg's M2TS AAC): program number and PES starts looked at.
    sniffing: PidMap<(u16, u8)>,
    tracks: Vec<Track>,
    /// Configuration changes of each track (see [`ConfigTracker`]).
    configs: ConfigTracker,
    state: Vec<TrackState>,
    queue: VecDeque<Packet>,
    items: Vec<EsItem>,
    finished: bool,
    flushed: bool,
    failed: bool,
}

impl Default for TsStreamParser {
    fn default() -> Self {
        TsStreamParser::new(TsReadOptions::default())
    }
}

impl TsStreamParser {
    /// A parser with nothing pushed yet.
    pub fn new(options: TsReadOptions) -> TsStreamParser {
        TsStreamParser {
            options,
            sync: Packetizer::default(),
            report: TsReport::default(),
            packet_index: 0,
            cc: PidMap::default(),
            pat_asm: SectionAssembler::new(),
            pat_section: None,
            si: ServiceInfo::default(),
            pat: None,
            programs: Vec::new(),
            clocks: HashMap::new(),
            slots: PidMap::default(),
            sniffing: PidMap::default(),
            tracks: Vec::new(),
            configs: ConfigTracker::default(),
            state: Vec::new(),
            queue: VecDeque::new(),
            items: Vec::new(),
            finished: false,
            flushed: false,
            failed: false,
        }
    }

    /// Adds input bytes (any amount, cut anywhere).
    pub fn push(&mut self, data: &[u8]) {
        self.sync.push(data);
    }

    /// Adds input bytes, without copying them when nothing else is buffered (a file read in
    /// chunks that end on the packet grid: see [`TsStreamParser::buffered`]).
    pub fn push_bytes(&mut self, data: Bytes) {
        self.sync.push_bytes(data);
    }

    /// Marks the end of the input: pending PES packets and access units are delivered by the
    /// following [`TsStreamParser::next_packet`] calls.
    pub fn finish(&mut self) {
        self.finished = true;
        self.sync.finish();
    }

    /// Whether [`TsStreamParser::finish`] was called and every packet has been returned.
    pub fn is_done(&self) -> bool {
        (self.flushed || self.failed) && self.queue.is_empty()
    }

    /// Bytes pushed and not yet consumed.
    pub fn buffered(&self) -> usize {
        self.sync.buffered()
    }

    /// The tracks known so far.
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// Counters and warnings so far.
    pub fn report(&self) -> &TsReport {
        &self.report
    }

    /// The current PAT, once one was read.
    pub fn pat(&self) -> Option<&Pat> {
        self.pat.as_ref()
    }

    /// The current PMT of each program whose PMT was read, in PAT order.
    pub fn pmts(&self) -> impl Iterator<Item = &Pmt> {
        self.programs.iter().filter_map(|p| p.pmt.as_ref())
    }

    /// The services the SDT names (the latest description of each), in service id order.
    pub fn services(&self) -> &[DvbService] {
        &self.si.services
    }

    /// The present and following events the EIT names (the latest of each).
    pub fn events(&self) -> &[DvbEvent] {
        &self.si.events
    }

    /// Whether the stream's layout is known: a PAT was read, every program's PMT was read, and
    /// every track has a packet (so its configuration, which comes from the stream, is known).
    pub fn tracks_ready(&self) -> bool {
        self.pat.is_some()
            && self.programs.iter().all(|p| p.pmt.is_some())
            && self
                .state
                .iter()
                .enumerate()
                .all(|(t, s)| self.configs.has_packets(t) || !s.active)
    }

    /// The next packet. `Ok(None)` means more input is needed, or, after
    /// [`TsStreamParser::finish`], the end (see [`TsStreamParser::is_done`]).
    pub fn next_packet(&mut self) -> Result<Option<Packet>> {
        loop {
            if let Some(p) = self.queue.pop_front() {
                on_returned(&mut self.tracks, &p);
                return Ok(Some(p));
            }
            if !self.step()? {
                return Ok(None);
            }
        }
    }

    /// Reads one transport packet (or sync event); `Ok(false)` when nothing more can be done
    /// until more bytes arrive (or at the end).
    pub(crate) fn step(&mut self) -> Result<bool> {
        if self.failed {
            return Ok(false);
        }
        match self.sync.next() {
            SyncItem::Packets { offset, data } => {
                let size = self.sync.packet_size().unwrap_or(TS_PACKET_SIZE);
                self.report.packet_size = Some(size);
                // An M2TS packet's 4-byte timestamp prefix comes before its sync byte.
                let sync_at = size - TS_PACKET_SIZE;
                for (k, packet) in data.chunks_exact(size).enumerate() {
                    let Ok(bytes) = <&[u8; TS_PACKET_SIZE]>::try_from(&packet[sync_at..]) else {
                        continue;
                    };
                    self.on_packet(offset + (k * size + sync_at) as u64, bytes)?;
                }
            }
            SyncItem::Resynced {
                from,
                skipped,
                lost,
            } => {
                self.report.skipped_bytes += skipped;
                let message = if lost {
                    self.report.sync_losses += 1;
                    format!("sync lost at byte {from}: skipped {skipped} bytes to the next packet")
                } else {
                    format!("skipped {skipped} bytes before the first packet")
                };
                self.report.warn(self.packet_index, from, None, message);
            }
            SyncItem::Trailing { from, len, pid } => {
                if self.options.strict {
                    self.failed = true;
                    let e = TsError::truncated("transport packet", TS_PACKET_SIZE, len as usize);
                    return Err(e
                        .in_packet(self.packet_index, from, pid.unwrap_or(0x1FFF))
                        .into());
                }
                self.report.skipped_bytes += len;
                // A stream cut inside a packet: the PES that packet continued is incomplete,
                // and a frame made of it would not decode. Drop it (ffmpeg keeps it).
                let cut = pid.and_then(|pid| {
                    let slot = self.slots.get_mut(pid)?;
                    let pes = slot.pes.take()?;
                    let t = slot.track;
                    self.report.pes_mut(pid).dropped += 1;
                    Some((pid, t, pes.data.len()))
                });
                let message = match cut {
                    Some((pid, t, n)) => {
                        self.es_loss(t);
                        format!(
                            "stream ends with {len} bytes that are not a whole packet: the input was cut short, and the last pes of pid {pid:#06x} ({n} bytes) is incomplete: dropped"
                        )
                    }
                    None => format!("stream ends with {len} bytes that are not a whole packet"),
                };
                self.report.warn(self.packet_index, from, None, message);
            }
            SyncItem::NoSync { scanned } => {
                self.failed = true;
                return Err(TsError::NoSync {
                    run: super::sync::SYNC_RUN,
                    scanned,
                }
                .into());
            }
            SyncItem::NeedMore => {
                if self.finished && !self.flushed {
                    self.flushed = true;
                    self.flush_all()?;
                    return Ok(true);
                }
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Damage: an error in strict mode, otherwise a warning.
    fn damage(&mut self, at: Loc, e: TsError) -> Result<()> {
        let e = e.in_packet(at.packet, at.offset, at.pid);
        if self.options.strict {
            self.failed = true;
            return Err(e.into());
        }
        self.report
            .warn(at.packet, at.offset, Some(at.pid), e.to_string());
        Ok(())
    }

    fn note(&mut self, at: Loc, message: String) {
        let message = format!(
            "ts packet {} at byte {}, pid {:#06x}: {message}",
            at.packet, at.offset, at.pid
        );
        self.report
            .warn(at.packet, at.offset, Some(at.pid), message);
    }

    fn on_packet(&mut self, offset: u64, bytes: &[u8; TS_PACKET_SIZE]) -> Result<()> {
        let index = self.packet_index;
        self.packet_index += 1;
        self.report.packets += 1;
        let raw_pid = Pid::from_bits(u16::from_be_bytes([bytes[1], bytes[2]])).value();
        self.report.pid_packets.add(raw_pid);
        let at = Loc {
            packet: index,
            offset,
            pid: raw_pid,
        };
        let pkt = match TsPacket::parse(bytes) {
            Ok(p) => p,
            Err(e) => {
                self.report.bad_packets += 1;
                return self.damage(at, e);
            }
        };
        let h = pkt.header;
        let pid = h.pid.value();
        if h.tei {
            // The demodulator says the packet is damaged: even its PID may be wrong.
            self.report.error_indicator_packets += 1;
            self.note(at, "transport_error_indicator set: packet dropped".into());
            return Ok(());
        }
        if h.pid == Pid::NULL {
            self.report.null_packets += 1;
            return Ok(());
        }
        if h.scrambling != 0 && h.has_payload {
            // Encrypted payload: nothing in it can be parsed. Counted, not warned per packet.
            *self.report.scrambled_packets.entry(pid).or_default() += 1;
            return Ok(());
        }
        let af = pkt.adaptation.as_ref();
        let discontinuity = af.is_some_and(|a| a.discontinuity);
        if let Some(pcr) = af.and_then(|a| a.pcr) {
            self.report
                .pcr
                .entry(pid)
                .or_default()
                .record(pcr.to_27mhz(), discontinuity);
        }
        if h.has_payload {
            match self.check_cc(pid, h.cc.value(), discontinuity) {
                CcCheck::Ok => {}
                CcCheck::Duplicate => {
                    self.report.duplicate_packets += 1;
                    return Ok(());
                }
                CcCheck::Error { expected, found } => {
                    *self.report.cc_errors.entry(pid).or_default() += 1;
                    let dropped = self.lose_packet(pid);
                    self.damage(
                        at,
                        TsError::invalid(
                            "ts packet header",
                            3,
                            format!(
                                "continuity counter {found}, expected {expected}{}",
                                if dropped { ": pes dropped" } else { "" }
                            ),
                        ),
                    )?;
                }
            }
        }
        if discontinuity {
            if let Some(slot) = self.slots.get(pid) {
                self.state[slot.track].discontinuity = true;
            }
        }
        if !h.has_payload {
            return Ok(());
        }
        let payload = pkt.payload;
        if pid == Pid::PAT.value() {
            return self.on_pat(at, h.pusi, payload);
        }
        if let Some(i) = self.programs.iter().position(|p| p.pmt_pid == pid) {
            return self.on_pmt(at, i, h.pusi, payload);
        }
        if (pid == SDT_PID || pid == EIT_PID) && self.slots.get(pid).is_none() {
            // Still counted as unreferenced: no PAT or PMT names these PIDs.
            *self.report.unreferenced_packets.entry(pid).or_default() += 1;
            return self.on_service_info(at, pid, h.pusi, payload);
        }
        if h.pusi && self.sniffing.contains_key(pid) {
            self.sniff(at, pid, payload);
        }
        if let Some(slot) = self.slots.get_mut(pid) {
            let track = slot.track;
            let r = slot.pes.push(h.pusi, payload, index, offset);
            if r.excess > 0 {
                self.report.pes_mut(pid).excess_bytes += r.excess as u64;
            }
            if let Some(size) = r.overflow {
                self.report.pes_mut(pid).dropped += 1;
                self.es_loss(track);
                let limit = match self.tracks[track].kind {
                    MediaKind::Video => MAX_PES_SIZE,
                    _ => MAX_AUDIO_PES_SIZE,
                };
                self.damage(
                    at,
                    TsError::TooLarge {
                        what: "pes packet",
                        field: "size",
                        value: size as u64,
                        limit: limit as u64,
                    },
                )?;
            }
            if r.ready {
                while let Some(pes) = self.slots.get_mut(pid).and_then(|s| s.pes.take_ready()) {
                    self.on_pes(track, pes)?;
                }
            }
            return Ok(());
        }
        *self.report.unreferenced_packets.entry(pid).or_default() += 1;
        Ok(())
    }

    fn check_cc(&mut self, pid: u16, cc: u8, discontinuity: bool) -> CcCheck {
        let Some(st) = self.cc.get_mut(pid) else {
            self.cc.insert(
                pid,
                CcState {
                    last: cc,
                    duplicate_seen: false,
                },
            );
            return CcCheck::Ok;
        };
        let expected = (st.last + 1) & 0x0F;
        let result = if discontinuity || cc == expected {
            CcCheck::Ok
        } else if cc == st.last && !st.duplicate_seen {
            st.duplicate_seen = true;
            return CcCheck::Duplicate;
        } else {
            CcCheck::Error {
                expected,
                found: cc,
            }
        };
        st.last = cc;
        st.duplicate_seen = false;
        result
    }

    /// A packet of `pid` was lost: what was being collected on it cannot be trusted.
    fn lose_packet(&mut self, pid: u16) -> bool {
        if pid == Pid::PAT.value() {
            let had = self.pat_asm.is_collecting();
            self.pat_asm.reset();
            return had;
        }
        if let Some(p) = self.programs.iter_mut().find(|p| p.pmt_pid == pid) {
            let had = p.asm.is_collecting();
            p.asm.reset();
            return had;
        }
        if let Some(slot) = self.slots.get_mut(pid) {
            let t = slot.track;
            let had = slot.pes.drop_current();
            if had {
                self.report.pes_mut(pid).dropped += 1;
            }
            self.es_loss(t);
            return had;
        }
        false
    }

    /// Tells a track's converter that data was lost (an audio frame split across PES packets
    /// cannot be joined across the gap).
    fn es_loss(&mut self, t: usize) {
        let mut items = std::mem::take(&mut self.items);
        if let Es::Audio(a) = &mut self.state[t].es {
            a.on_loss(&mut items);
        }
        let at = Loc {
            packet: self.packet_index,
            offset: 0,
            pid: self.state[t].pid,
        };
        self.apply_items(t, at, &mut items);
        self.items = items;
    }

    /// Delivers what a track's converter holds (a video access unit, an audio remainder).
    fn flush_track(&mut self, t: usize) {
        let mut items = std::mem::take(&mut self.items);
        match &mut self.state[t].es {
            Es::Video(v) => v.flush(&mut items),
            Es::Audio(a) => a.flush(&mut items),
            Es::Id3 => {}
        }
        let pid = self.state[t].pid;
        let at = Loc {
            packet: self.packet_index,
            offset: 0,
            pid,
        };
        self.apply_items(t, at, &mut items);
        self.items = items;
    }

    fn flush_all(&mut self) -> Result<()> {
        // Tables that never came whole: every stream behind them is lost, so say why.
        let at = Loc {
            packet: self.packet_index,
            offset: 0,
            pid: 0,
        };
        if self.pat.is_none() && self.report.packets > 0 {
            self.note(
                at,
                "no complete, valid PAT in the whole stream: no program can be read".into(),
            );
        }
        let missing: Vec<(u16, u16)> = self
            .programs
            .iter()
            .filter(|p| p.pmt.is_none())
            .map(|p| (p.number, p.pmt_pid))
            .collect();
        for (number, pid) in missing {
            self.note(
                Loc { pid, ..at },
                format!(
                    "the PMT of program {number} never came complete and valid: its streams cannot be read"
                ),
            );
        }
        // Private streams that never said what they are: skipped, and named as such.
        let undecided: Vec<u16> = self.sniffing.iter().map(|(pid, _)| pid).collect();
        for pid in undecided {
            self.sniffing.remove(pid);
            self.report
                .skipped_streams
                .insert(pid, StreamType::PRIVATE_PES);
        }
        let mut pids: Vec<(usize, u16)> =
            self.slots.iter().map(|(pid, s)| (s.track, pid)).collect();
        pids.sort_unstable();
        for (_, pid) in pids {
            let Some(slot) = self.slots.get_mut(pid) else {
                continue;
            };
            let t = slot.track;
            if let Some(pes) = slot.pes.take() {
                self.on_pes(t, pes)?;
            }
        }
        for t in 0..self.state.len() {
            self.flush_track(t);
        }
        Ok(())
    }

    fn on_pes(&mut self, t: usize, pes: RawPes) -> Result<()> {
        let pid = self.state[t].pid;
        let at = Loc {
            packet: pes.packet,
            offset: pes.offset,
            pid,
        };
        let (h, start) = match PesHeader::parse(&pes.data) {
            Ok(v) => v,
            Err(e) => {
                self.report.pes_mut(pid).dropped += 1;
                self.es_loss(t);
                return self.damage(at, e);
            }
        };
        let stats = self.report.pes_mut(pid);
        stats.packets += 1;
        if pes.truncated {
            stats.truncated += 1;
            self.note(
                at,
                format!(
                    "pes packet ends after {} bytes, before the {} its header states",
                    pes.data.len(),
                    6 + usize::from(h.packet_length)
                ),
            );
        }
        let clock = self
            .clocks
            .entry(self.state[t].program_number)
            .or_insert_with(|| WrapUnwrapper::new(WrapUnwrapper::MPEG_TS_BITS));
        let dts = h.dts.map(|d| clock.unwrap(d));
        let pts = h.pts.map(|p| clock.unwrap(p));
        let mut items = std::mem::take(&mut self.items);
        match &mut self.state[t].es {
            // Video converts the PES buffer in place; audio frames are slices of it.
            Es::Video(v) => v.push(pts, dts, pes.data, start, &mut items),
            Es::Audio(a) => a.push(pts, pes.data.freeze().slice(start..), &mut items),
            Es::Id3 => match pts {
                Some(pts) => items.push(EsItem::Frame(Frame {
                    dts: pts,
                    pts,
                    duration: None,
                    keyframe: true,
                    data: pes.data.freeze().slice(start..),
                    start: 0,
                    end: 0,
                })),
                None => items.push(EsItem::Warning(
                    "timed id3 pes without a pts, dropped".into(),
                )),
            },
        }
        self.apply_items(t, at, &mut items);
        self.items = items;
        Ok(())
    }

    fn apply_items(&mut self, t: usize, at: Loc, items: &mut Vec<EsItem>) {
        for item in items.drain(..) {
            match item {
                EsItem::Config(c) => self.set_config(t, c),
                EsItem::Frame(f) => {
                    let mut p = Packet::new(t as u32, Timestamp(f.dts), f.data);
                    p.pts = Timestamp(f.pts);
                    p.duration = f.duration;
                    p.flags.keyframe = f.keyframe;
                    self.push_packet(p);
                }
                EsItem::Warning(m) => self.note(at, m),
                EsItem::Dropped { frames, bytes } => {
                    self.report.dropped_frames += frames;
                    if frames == 0 {
                        self.report.skipped_es_bytes += bytes;
                    }
                }
            }
        }
    }

    /// Records a (possibly) new configuration. Before the track's first packet it simply
    /// becomes the track's config; after, it rides on the track's next packet. An identical
    /// repeat changes nothing.
    fn set_config(&mut self, t: usize, mut config: CodecConfig) {
        // A record that does not parse stays as it is: the frames are still worth delivering.
        let _ = fill_params(&mut config, false);
        self.configs.set(&mut self.tracks, t, config);
    }

    fn push_packet(&mut self, mut p: Packet) {
        self.configs.on_queued(&mut p);
        let st = &mut self.state[p.track as usize];
        if std::mem::take(&mut st.discontinuity) {
            p.flags.discontinuity = true;
        }
        self.queue.push_back(p);
    }
}

enum CcCheck {
    Ok,
    Duplicate,
    Error { expected: u8, found: u8 },
}
