//! `inspect` for MPEG-TS: PSI tables, PIDs, tracks, PCR and continuity health.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::error::Result;
use crate::io::InputSource;
use crate::ts::demux::{TsDemuxer, TsReadOptions, TsReport};
use crate::ts::sdt::service_type_name;
use crate::ts::{Descriptor, DvbEvent, DvbService, Pat, Pmt, StreamType};

use super::{Span, TrackSummary, bit_rate, round_ms, span_secs, summarize_tracks};

/// Everything `muxkit inspect file.ts` shows.
#[derive(Clone, Debug)]
pub struct TsSummary {
    /// The input's size, when known.
    pub file_size: Option<u64>,
    /// The last PAT applied.
    pub pat: Option<Pat>,
    /// The PMTs in force at the end.
    pub pmts: Vec<Pmt>,
    /// One entry per track.
    pub tracks: Vec<TrackSummary>,
    /// The services the SDT names.
    pub services: Vec<DvbService>,
    /// The present/following events the EIT names.
    pub events: Vec<DvbEvent>,
    /// Counters, per-PID statistics and warnings.
    pub report: TsReport,
}

impl TsSummary {
    /// Reads the whole input.
    pub fn read(src: InputSource, options: TsReadOptions) -> Result<TsSummary> {
        let file_size = src.len_hint();
        let mut d = TsDemuxer::new(src, options)?;
        let tracks = summarize_tracks(&mut d)?;
        Ok(TsSummary {
            file_size,
            pat: d.pat().cloned(),
            pmts: d.pmts().cloned().collect(),
            tracks,
            services: d.services().to_vec(),
            events: d.events().to_vec(),
            report: d.report().clone(),
        })
    }

    /// Seconds from the earliest to the latest presented instant over all tracks.
    pub fn duration_secs(&self) -> Option<f64> {
        span_secs(&self.tracks)
    }

    /// Overall bit rate in bits per second.
    pub fn bit_rate(&self) -> Option<u64> {
        bit_rate(self.file_size, self.duration_secs())
    }

    fn stream_type_of(&self, pid: u16) -> Option<StreamType> {
        self.pmts
            .iter()
            .flat_map(|p| &p.streams)
            .find(|s| s.pid.value() == pid)
            .map(|s| s.stream_type)
    }

    fn pid_role(&self, pid: u16) -> String {
        if pid == 0 {
            return "pat".into();
        }
        if pid == 0x1FFF {
            return "null".into();
        }
        if self
            .pat
            .as_ref()
            .is_some_and(|p| p.programs.iter().any(|(n, p)| *n != 0 && p.value() == pid))
        {
            return "pmt".into();
        }
        match self.stream_type_of(pid) {
            Some(st) => format!(
                "stream type {:#04x} ({})",
                st.0,
                st.name().unwrap_or("unknown")
            ),
            // DVB's fixed PIDs (EN 300 468), which ffmpeg writes too (SDT).
            None => match pid {
                0x0001 => "cat".into(),
                0x0010 => "nit".into(),
                0x0011 => "sdt/bat".into(),
                0x0012 => "eit".into(),
                0x0014 => "tdt/tot".into(),
                _ => "unreferenced".into(),
            },
        }
    }

    /// Per-PID statistics as JSON objects, in PID order.
    fn pids_json(&self) -> Vec<Value> {
        let r = &self.report;
        r.pid_packets
            .iter()
            .map(|(pid, packets)| {
                let mut v = json!({ "pid": pid, "role": self.pid_role(pid), "packets": packets });
                if let Some(st) = self.stream_type_of(pid) {
                    v["stream_type"] = json!(st.0);
                }
                if let Some(p) = r.pes.get(&pid) {
                    v["pes"] = json!({ "packets": p.packets, "dropped": p.dropped, "truncated": p.truncated });
                }
                if let Some(p) = r.pcr.get(&pid) {
                    v["pcr"] = json!({
                        "count": p.count,
                        "min_interval_ms": p.min_interval_ms().map(round_ms),
                        "max_interval_ms": p.max_interval_ms().map(round_ms),
                        "discontinuities": p.discontinuities,
                    });
                }
                v["cc_errors"] = json!(r.cc_errors.get(&pid).copied().unwrap_or(0));
                if let Some(n) = r.scrambled_packets.get(&pid) {
                    v["scrambled_packets"] = json!(n);
                }
                v
            })
            .collect()
    }

    /// The JSON view.
    pub fn to_json(&self) -> Value {
        let r = &self.report;
        let descriptors = |d: &[Descriptor]| {
            d.iter()
                .map(|d| json!({ "tag": d.tag, "length": d.data.len() }))
                .collect::<Vec<_>>()
        };
        let mut v = json!({
            "format": "mpegts",
            "packet_size": r.packet_size,
            "file_size": self.file_size,
            "duration": self.duration_secs().map(round_ms),
            "start_time": null,
            "end_time": null,
            "duration_measures": null,
            "bit_rate": self.bit_rate(),
            "pat": self.pat.as_ref().map(|p| json!({
                "transport_stream_id": p.transport_stream_id,
                "programs": p.programs.iter().map(|(n, pid)| json!({ "program_number": n, "pid": pid.value() })).collect::<Vec<_>>(),
            })),
            "pmts": self.pmts.iter().map(|p| json!({
                "program_number": p.program_number,
                "pcr_pid": p.pcr_pid.value(),
                "program_info": descriptors(&p.program_info),
                "streams": p.streams.iter().map(|s| json!({
                    "pid": s.pid.value(),
                    "stream_type": s.stream_type.0,
                    "stream_type_name": s.stream_type.name(),
                    "descriptors": descriptors(&s.descriptors),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "services": self.services.iter().map(|s| json!({
                "service_id": s.service_id,
                "service_type": s.service_type,
                "service_type_name": s.service_type.and_then(service_type_name),
                "provider": s.provider,
                "name": s.name,
            })).collect::<Vec<_>>(),
            "events": self.events.iter().map(|e| json!({
                "service_id": e.service_id,
                "event_id": e.event_id,
                "present": e.present,
                "language": e.language,
                "name": e.name,
                "text": e.text,
            })).collect::<Vec<_>>(),
            "pids": self.pids_json(),
            "tracks": self.tracks.iter().map(TrackSummary::to_json).collect::<Vec<_>>(),
            "report": {
                "packets": r.packets,
                "sync_losses": r.sync_losses,
                "skipped_bytes": r.skipped_bytes,
                "bad_packets": r.bad_packets,
                "error_indicator_packets": r.error_indicator_packets,
                "null_packets": r.null_packets,
                "duplicate_packets": r.duplicate_packets,
                "cc_errors": r.total_cc_errors(),
                "crc_errors": r.crc_errors,
                "bad_sections": r.bad_sections,
                "table_changes": r.table_changes,
                "dropped_frames": r.dropped_frames,
                "skipped_es_bytes": r.skipped_es_bytes,
                "skipped_streams": r.skipped_streams.iter().map(|(pid, st)| json!({ "pid": pid, "stream_type": st.0 })).collect::<Vec<_>>(),
                "warning_count": r.warning_count,
                "warnings": r.warnings.iter().map(|w| json!({
                    "packet": w.packet, "offset": w.offset, "pid": w.pid, "message": w.message,
                })).collect::<Vec<_>>(),
            },
        });
        if let Some(span) = Span::of(&self.tracks) {
            span.add_json(None, &mut v);
        }
        v
    }

    /// The human view.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let r = &self.report;
        let _ = write!(
            s,
            "format: mpegts, {}-byte packets",
            r.packet_size.unwrap_or(188)
        );
        if let Some(n) = self.file_size {
            let _ = write!(s, ", {n} bytes");
        }
        s.push('\n');
        if let Some(span) = Span::of(&self.tracks) {
            let _ = write!(s, "duration: {}", span.text(None));
            if let Some(b) = self.bit_rate() {
                let _ = write!(s, ", bit rate: {} kb/s", (b + 500) / 1000);
            }
            s.push('\n');
        }
        for sv in &self.services {
            let _ = write!(
                s,
                "service {}: {:?} by {:?}",
                sv.service_id, sv.name, sv.provider
            );
            if let Some(t) = sv.service_type {
                match service_type_name(t) {
                    Some(n) => {
                        let _ = write!(s, " ({n})");
                    }
                    None => {
                        let _ = write!(s, " (type {t:#04x})");
                    }
                }
            }
            s.push('\n');
            for e in self.events.iter().filter(|e| e.service_id == sv.service_id) {
                let when = if e.present { "now" } else { "next" };
                let _ = write!(s, "  {when}: {:?}", e.name);
                if !e.language.is_empty() {
                    let _ = write!(s, " [{}]", e.language);
                }
                if !e.text.is_empty() {
                    let _ = write!(s, " {:?}", e.text);
                }
                s.push('\n');
            }
        }
        if let Some(p) = &self.pat {
            let _ = write!(s, "pat: transport_stream_id {}", p.transport_stream_id);
            for (n, pid) in &p.programs {
                let _ = write!(s, ", program {n} -> pid {:#06x}", pid.value());
            }
            s.push('\n');
        }
        for p in &self.pmts {
            let _ = writeln!(
                s,
                "pmt: program {}, pcr pid {:#06x}, {} program descriptors",
                p.program_number,
                p.pcr_pid.value(),
                p.program_info.len()
            );
            for st in &p.streams {
                let _ = writeln!(
                    s,
                    "  pid {:#06x}: stream type {:#04x} ({}), {} descriptors",
                    st.pid.value(),
                    st.stream_type.0,
                    st.stream_type.name().unwrap_or("unknown"),
                    st.descriptors.len()
                );
            }
        }
        s.push_str("pids:\n");
        for (pid, packets) in r.pid_packets.iter() {
            let _ = write!(s, "  {pid:#06x} {}: {packets} packets", self.pid_role(pid));
            if let Some(p) = r.pes.get(&pid) {
                let _ = write!(s, ", {} pes", p.packets);
                if p.dropped + p.truncated > 0 {
                    let _ = write!(s, " ({} dropped, {} truncated)", p.dropped, p.truncated);
                }
            }
            if let Some(p) = r.pcr.get(&pid) {
                let _ = write!(s, ", {} pcr", p.count);
                if let (Some(a), Some(b)) = (p.min_interval_ms(), p.max_interval_ms()) {
                    let _ = write!(s, " every {a:.1}..{b:.1} ms");
                }
            }
            let cc = r.cc_errors.get(&pid).copied().unwrap_or(0);
            if cc > 0 {
                let _ = write!(s, ", {cc} continuity errors");
            }
            s.push('\n');
        }
        for t in &self.tracks {
            let _ = writeln!(s, "{}", t.to_text());
        }
        let _ = writeln!(
            s,
            "packets: {} ({} sync losses, {} continuity errors, {} crc errors, {} bad sections, {} table changes)",
            r.packets,
            r.sync_losses,
            r.total_cc_errors(),
            r.crc_errors,
            r.bad_sections,
            r.table_changes
        );
        if r.warning_count > 0 {
            let _ = writeln!(s, "warnings: {}", r.warning_count);
            for w in &r.warnings {
                let _ = writeln!(s, "  {}", w.message);
            }
        }
        s
    }
}
