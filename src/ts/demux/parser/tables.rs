//! PAT and PMT: which programs and streams exist, and what a new table version changes.

use bytes::Bytes;

use crate::codec::ac3::Ac3FrameHeader;
use crate::error::Result;
use crate::media::{Codec, CodecConfig, MediaKind, Track};
use crate::time::TimeBase;
use crate::ts::TsError;
use crate::ts::demux::assemble::{MAX_AUDIO_PES_SIZE, MAX_PES_SIZE, PesAssembler};
use crate::ts::packet::Pid;
use crate::ts::pat::Pat;
use crate::ts::pes::PesHeader;
use crate::ts::pmt::{Pmt, StreamType};
use crate::ts::psi::{PsiSection, SectionAssembler};

use super::{Loc, MAX_TRACKS, Program, Slot, TrackState, TsStreamParser, classify, new_es};

/// PES starts of an unnamed private stream looked at before it is called unreadable (a few,
/// in case the first ones are too short to tell).
pub(super) const SNIFF_LIMIT: u8 = 8;

impl TsStreamParser {
    /// Parses the sections a payload completes; bad ones are counted and skipped.
    pub(super) fn sections(
        &mut self,
        at: Loc,
        raw: Vec<Result<Bytes, TsError>>,
    ) -> Result<Vec<PsiSection>> {
        let mut out = Vec::new();
        for r in raw {
            match r.and_then(|b| PsiSection::parse(&b)) {
                Ok(s) if s.current_next => out.push(s),
                Ok(_) => {}
                Err(e) => {
                    if matches!(e, TsError::Crc { .. }) {
                        self.report.crc_errors += 1;
                    } else {
                        self.report.bad_sections += 1;
                    }
                    self.damage(at, e)?;
                }
            }
        }
        Ok(out)
    }

    pub(super) fn on_pat(&mut self, at: Loc, pusi: bool, payload: &[u8]) -> Result<()> {
        let raw = self.pat_asm.push(pusi, payload);
        for s in self.sections(at, raw)? {
            if s.table_id != Pat::TABLE_ID || self.pat_section.as_ref() == Some(&s) {
                continue;
            }
            let pat = match Pat::from_section(&s) {
                Ok(p) => p,
                Err(e) => {
                    self.report.bad_sections += 1;
                    self.damage(at, e)?;
                    continue;
                }
            };
            if self.pat_section.is_some() {
                self.report.table_changes += 1;
            }
            self.pat_section = Some(s);
            self.apply_pat(pat)?;
        }
        Ok(())
    }

    fn apply_pat(&mut self, pat: Pat) -> Result<()> {
        let mut programs = Vec::new();
        for (number, pid) in pat.pmt_pids() {
            let pid = pid.value();
            if programs.iter().any(|p: &Program| p.number == number) {
                continue;
            }
            let i = self
                .programs
                .iter()
                .position(|p| p.number == number && p.pmt_pid == pid);
            programs.push(match i {
                Some(i) => self.programs.swap_remove(i),
                None => Program {
                    number,
                    pmt_pid: pid,
                    asm: SectionAssembler::new(),
                    section: None,
                    pmt: None,
                },
            });
        }
        // Programs that went away take their streams with them.
        let gone: Vec<u16> = self.programs.iter().map(|p| p.number).collect();
        self.programs = programs;
        for number in gone {
            if !self.programs.iter().any(|p| p.number == number) {
                let pids: Vec<u16> = self
                    .state
                    .iter()
                    .filter(|s| s.active && s.program_number == number)
                    .map(|s| s.pid)
                    .collect();
                for pid in pids {
                    self.remove_stream(pid)?;
                }
            }
        }
        self.pat = Some(pat);
        Ok(())
    }

    pub(super) fn on_pmt(&mut self, at: Loc, i: usize, pusi: bool, payload: &[u8]) -> Result<()> {
        let raw = self.programs[i].asm.push(pusi, payload);
        for s in self.sections(at, raw)? {
            let number = self.programs[i].number;
            if s.table_id != Pmt::TABLE_ID
                || s.table_id_extension != number
                || self.programs[i].section.as_ref() == Some(&s)
            {
                continue;
            }
            let pmt = match Pmt::from_section(&s) {
                Ok(p) => p,
                Err(e) => {
                    self.report.bad_sections += 1;
                    self.damage(at, e)?;
                    continue;
                }
            };
            if self.programs[i].section.is_some() {
                self.report.table_changes += 1;
            }
            self.programs[i].section = Some(s);
            self.apply_pmt(at, number, &pmt)?;
            self.programs[i].pmt = Some(pmt);
        }
        Ok(())
    }

    fn apply_pmt(&mut self, at: Loc, number: u16, pmt: &Pmt) -> Result<()> {
        // Streams of this program the new table no longer lists.
        let old: Vec<u16> = self
            .state
            .iter()
            .filter(|s| s.active && s.program_number == number)
            .map(|s| s.pid)
            .filter(|pid| pmt.stream(Pid::from_bits(*pid)).is_none())
            .collect();
        for pid in old {
            self.remove_stream(pid)?;
        }
        let unlisted: Vec<u16> = self
            .sniffing
            .iter()
            .filter(|(pid, (n, _))| *n == number && pmt.stream(Pid::from_bits(*pid)).is_none())
            .map(|(pid, _)| pid)
            .collect();
        for pid in unlisted {
            self.sniffing.remove(pid);
        }
        for s in &pmt.streams {
            let pid = s.pid.value();
            let Some((codec, kind)) = classify(s) else {
                // A private stream recognised by its payload stays what it was across a new
                // PMT version (the table still names it only as private PES).
                if s.stream_type == StreamType::PRIVATE_PES
                    && self.slots.get(pid).is_some_and(|slot| {
                        self.state[slot.track].stream_type == StreamType::PRIVATE_PES
                    })
                {
                    continue;
                }
                if self.slots.contains_key(pid) {
                    self.remove_stream(pid)?;
                }
                if s.stream_type == StreamType::PRIVATE_PES
                    && !self.report.skipped_streams.contains_key(&pid)
                    && self.tracks.len() < MAX_TRACKS
                {
                    // Decided by its first payload (see sniff).
                    if !self.sniffing.contains_key(pid) {
                        self.sniffing.insert(pid, (number, 0));
                    }
                    continue;
                }
                if self
                    .report
                    .skipped_streams
                    .insert(pid, s.stream_type)
                    .is_none()
                {
                    let why = if s.stream_type == StreamType::METADATA {
                        "timed id3 has no codec in the track model yet"
                    } else {
                        "muxkit does not read this stream type"
                    };
                    self.note(
                        at,
                        format!(
                            "stream on pid {pid:#06x} of type {} skipped: {why}",
                            s.stream_type
                        ),
                    );
                }
                continue;
            };
            if pid == Pid::PAT.value() || self.programs.iter().any(|p| p.pmt_pid == pid) {
                self.report.skipped_streams.insert(pid, s.stream_type);
                self.report
                    .skipped_stream_reasons
                    .insert(pid, "its pid is a psi table's".into());
                self.note(
                    at,
                    format!("stream on pid {pid:#06x} collides with a psi pid: skipped"),
                );
                continue;
            }
            if let Some(slot) = self.slots.get(pid) {
                let t = slot.track;
                if self.state[t].stream_type == s.stream_type {
                    continue;
                }
                if self.tracks[t].kind == kind {
                    // Same kind, new codec: a configuration change of the same track. What
                    // was collected so far belongs to the old codec.
                    if let Some(pes) = self.slots.get_mut(pid).and_then(|s| s.pes.take()) {
                        self.on_pes(t, pes)?;
                    }
                    self.flush_track(t);
                    self.state[t].stream_type = s.stream_type;
                    self.state[t].es = new_es(codec);
                    self.set_config(t, CodecConfig::new(codec));
                    continue;
                }
                self.remove_stream(pid)?;
            }
            // A stream that left and came back with the same PID and kind keeps its track.
            let back = (0..self.state.len()).find(|&i| {
                !self.state[i].active && self.state[i].pid == pid && self.tracks[i].kind == kind
            });
            let t = match back {
                Some(t) => {
                    if self.state[t].stream_type != s.stream_type {
                        self.state[t].es = new_es(codec);
                        self.set_config(t, CodecConfig::new(codec));
                    }
                    let st = &mut self.state[t];
                    st.active = true;
                    st.program_number = number;
                    st.stream_type = s.stream_type;
                    t
                }
                None => {
                    if self.tracks.len() >= MAX_TRACKS {
                        self.report.skipped_streams.insert(pid, s.stream_type);
                        self.note(
                            at,
                            format!(
                                "stream on pid {pid:#06x} skipped: more than {MAX_TRACKS} tracks"
                            ),
                        );
                        continue;
                    }
                    self.new_track(pid, number, s.stream_type, codec, kind)
                }
            };
            let limit = match kind {
                MediaKind::Video => MAX_PES_SIZE,
                _ => MAX_AUDIO_PES_SIZE,
            };
            self.slots.insert(
                pid,
                Slot {
                    track: t,
                    pes: PesAssembler::new(limit),
                },
            );
        }
        Ok(())
    }

    /// A private PES stream no descriptor names: its first PES payload says whether it is
    /// ADTS AAC (ffmpeg's M2TS) or AC-3/E-AC-3, as ffmpeg decides by probing. Anything else,
    /// or nothing recognisable in the first [`SNIFF_LIMIT`] PES starts, is a skipped stream.
    pub(super) fn sniff(&mut self, at: Loc, pid: u16, payload: &[u8]) {
        let Some(&(number, tries)) = self.sniffing.get(pid) else {
            return;
        };
        let es = PesHeader::parse(payload)
            .ok()
            .and_then(|(_, start)| payload.get(start..))
            .unwrap_or_default();
        let found = if es.len() >= 2 && es[0] == 0xFF && es[1] & 0xF6 == 0xF0 {
            Some(Codec::Aac)
        } else if es.starts_with(&[0x0B, 0x77]) {
            Ac3FrameHeader::parse(es).ok().map(|h| h.codec())
        } else {
            None
        };
        let Some(codec) = found else {
            if tries + 1 < SNIFF_LIMIT && es.len() < 8 {
                self.sniffing.insert(pid, (number, tries + 1));
                return;
            }
            self.sniffing.remove(pid);
            self.report
                .skipped_streams
                .insert(pid, StreamType::PRIVATE_PES);
            self.note(
                at,
                format!(
                    "stream on pid {pid:#06x} of type {} skipped: its payload is no format muxkit reads",
                    StreamType::PRIVATE_PES
                ),
            );
            return;
        };
        self.sniffing.remove(pid);
        // A stream that left and came back keeps its track, as in apply_pmt.
        let back = (0..self.state.len()).find(|&i| {
            !self.state[i].active
                && self.state[i].pid == pid
                && self.tracks[i].kind == MediaKind::Audio
                && self.tracks[i].codec.codec == codec
        });
        let t = match back {
            Some(t) => {
                let st = &mut self.state[t];
                st.active = true;
                st.program_number = number;
                t
            }
            None if self.tracks.len() >= MAX_TRACKS => {
                self.report
                    .skipped_streams
                    .insert(pid, StreamType::PRIVATE_PES);
                return;
            }
            None => self.new_track(
                pid,
                number,
                StreamType::PRIVATE_PES,
                codec,
                MediaKind::Audio,
            ),
        };
        self.slots.insert(
            pid,
            Slot {
                track: t,
                pes: PesAssembler::new(MAX_AUDIO_PES_SIZE),
            },
        );
    }

    fn new_track(
        &mut self,
        pid: u16,
        program_number: u16,
        stream_type: StreamType,
        codec: Codec,
        kind: MediaKind,
    ) -> usize {
        let id = self.tracks.len();
        let config = CodecConfig::new(codec);
        self.tracks.push(Track {
            id: id as u32,
            kind,
            time_base: TimeBase::MPEG_90K,
            codec: config.clone(),
            source_id: Some(u32::from(pid)),
        });
        self.configs.add_track(config);
        self.state.push(TrackState {
            pid,
            program_number,
            stream_type,
            es: new_es(codec),
            discontinuity: false,
            active: true,
        });
        id
    }

    /// A stream goes away: what it was collecting is delivered, and its PID is forgotten.
    pub(super) fn remove_stream(&mut self, pid: u16) -> Result<()> {
        if let Some(mut slot) = self.slots.remove(pid) {
            self.state[slot.track].active = false;
            if let Some(pes) = slot.pes.take() {
                self.on_pes(slot.track, pes)?;
            }
            self.flush_track(slot.track);
        }
        Ok(())
    }
}
