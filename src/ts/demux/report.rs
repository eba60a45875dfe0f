//! What a read found besides packets: counters per PID, clock statistics, and the first
//! warnings with where they happened.

use std::collections::BTreeMap;

use crate::ts::pmt::StreamType;

/// How strictly to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TsReadOptions {
    /// Treat recoverable damage (a packet that cannot be parsed, a malformed section or one
    /// with a bad CRC, a continuity error, a PES header that cannot be parsed, a PES over the
    /// size limit) as an error instead of a warning that skips it. Oddities that lose nothing
    /// or are the stream's own choice (a PES shorter than its stated length, a skipped stream
    /// type, damaged audio frames inside a PES) stay warnings.
    pub strict: bool,
}

/// Something odd that was skipped or tolerated, with where it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TsWarning {
    /// Index of the packet concerned (0 = the first packet of the stream).
    pub packet: u64,
    /// Byte offset in the input (of the packet's sync byte, or of the bytes concerned).
    pub offset: u64,
    /// The PID concerned, if any.
    pub pid: Option<u16>,
    /// What happened.
    pub message: String,
}

/// Program clock reference statistics of one PID.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PcrStats {
    /// PCRs seen.
    pub count: u64,
    /// The last PCR, in 27 MHz ticks (33-bit base × 300 + extension).
    pub last: Option<u64>,
    /// Shortest interval between consecutive PCRs, in 27 MHz ticks.
    pub min_interval: Option<u64>,
    /// Longest interval between consecutive PCRs, in 27 MHz ticks (ISO/IEC 13818-1 §2.7.2
    /// asks for at most 0.1 s).
    pub max_interval: Option<u64>,
    /// Intervals not measured because a discontinuity was signalled or the clock went back.
    pub discontinuities: u64,
}

impl PcrStats {
    /// The shortest interval in milliseconds.
    pub fn min_interval_ms(&self) -> Option<f64> {
        self.min_interval.map(|t| t as f64 / 27_000.0)
    }

    /// The longest interval in milliseconds.
    pub fn max_interval_ms(&self) -> Option<f64> {
        self.max_interval.map(|t| t as f64 / 27_000.0)
    }

    /// The PCR range is 2^33 × 300 ticks of 27 MHz; intervals are taken modulo it so a wrap is
    /// an ordinary step.
    const MODULUS: u64 = (1 << 33) * 300;
    /// Steps longer than this (10 s) are not intervals but a clock jump the stream did not
    /// signal; they are counted as discontinuities instead of spoiling the maximum.
    const MAX_PLAUSIBLE_INTERVAL: u64 = 10 * 27_000_000;

    pub(crate) fn record(&mut self, pcr: u64, discontinuity: bool) {
        self.count += 1;
        if let Some(last) = self.last {
            // A hostile PCR extension (9 bits, 300 allowed) can put either value past the
            // modulus: reduce both first.
            let step = (pcr % Self::MODULUS + Self::MODULUS - last % Self::MODULUS) % Self::MODULUS;
            if discontinuity || step > Self::MAX_PLAUSIBLE_INTERVAL {
                self.discontinuities += 1;
            } else {
                self.min_interval = Some(self.min_interval.map_or(step, |m| m.min(step)));
                self.max_interval = Some(self.max_interval.map_or(step, |m| m.max(step)));
            }
        }
        self.last = Some(pcr);
    }
}

/// PES statistics of one elementary-stream PID.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PesStats {
    /// Complete PES packets delivered.
    pub packets: u64,
    /// PES packets dropped: damaged by a continuity error, over the size limit, or with a
    /// header that cannot be parsed.
    pub dropped: u64,
    /// PES packets that ended before the length their header states (delivered as they were).
    pub truncated: u64,
    /// Bytes after the end a bounded PES states, before the next unit start (ignored).
    pub excess_bytes: u64,
}

/// Transport packets counted by PID: a flat table of all 8192 PIDs, so counting costs one
/// indexed add per packet on the demuxer's hot path.
#[derive(Clone, PartialEq, Eq)]
pub struct PidCounts(Box<[u64]>);

impl Default for PidCounts {
    fn default() -> Self {
        PidCounts(vec![0; usize::from(crate::ts::Pid::MAX) + 1].into_boxed_slice())
    }
}

impl PidCounts {
    pub(crate) fn add(&mut self, pid: u16) {
        if let Some(n) = self.0.get_mut(usize::from(pid)) {
            *n += 1;
        }
    }

    /// Packets seen on `pid`.
    pub fn get(&self, pid: u16) -> u64 {
        self.0.get(usize::from(pid)).copied().unwrap_or(0)
    }

    /// `(pid, packets)` for every PID seen, in PID order.
    pub fn iter(&self) -> impl Iterator<Item = (u16, u64)> + '_ {
        self.0
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(pid, n)| (pid as u16, *n))
    }
}

impl std::fmt::Debug for PidCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// What a read found besides packets: counters and the first warnings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TsReport {
    /// Transport packets read (whole 188-byte packets, any PID).
    pub packets: u64,
    /// The same packets by PID (those dropped as damaged included).
    pub pid_packets: PidCounts,
    /// 188 for plain TS, 192 for M2TS (timestamp-prefixed), once sync was found.
    pub packet_size: Option<usize>,
    /// Times sync was lost after it had been found (a packet not starting with 0x47).
    pub sync_losses: u64,
    /// Bytes skipped outside packets: junk before the first packet, between packets after a
    /// sync loss, and a truncated last packet.
    pub skipped_bytes: u64,
    /// Packets that could not be parsed (a bad adaptation field, reserved
    /// adaptation_field_control) and were dropped.
    pub bad_packets: u64,
    /// Packets with the transport_error_indicator set, dropped.
    pub error_indicator_packets: u64,
    /// Null packets (PID 0x1FFF).
    pub null_packets: u64,
    /// Packets with a scrambled (encrypted) payload, by PID, skipped.
    pub scrambled_packets: BTreeMap<u16, u64>,
    /// Packets repeated once with the same continuity counter (allowed by §2.4.3.3, dropped).
    pub duplicate_packets: u64,
    /// Continuity counter errors by PID.
    pub cc_errors: BTreeMap<u16, u64>,
    /// PSI sections with a bad CRC, ignored.
    pub crc_errors: u64,
    /// PSI sections that were malformed otherwise (bad lengths, pointer fields), ignored.
    pub bad_sections: u64,
    /// Times a new PAT or PMT version (or content) was applied after the first.
    pub table_changes: u64,
    /// PCR statistics by PID.
    pub pcr: BTreeMap<u16, PcrStats>,
    /// PES statistics by PID.
    pub pes: BTreeMap<u16, PesStats>,
    /// Packets on PIDs that no PAT or PMT names (SDT, EIT, ... and strays), by PID.
    pub unreferenced_packets: BTreeMap<u16, u64>,
    /// Streams a PMT lists that are not read (a stream type muxkit cannot convert, or over
    /// the track limit), by PID.
    pub skipped_streams: BTreeMap<u16, StreamType>,
    /// Why a skipped stream was skipped, when it is not the usual "a stream type muxkit does
    /// not read" (a pid that collides with a table's, ...).
    pub skipped_stream_reasons: BTreeMap<u16, String>,
    /// Elementary-stream frames dropped: damaged ADTS/MPEG audio data, frames before any
    /// timestamp.
    pub dropped_frames: u64,
    /// Bytes of elementary-stream data skipped while looking for the next audio frame header.
    pub skipped_es_bytes: u64,
    /// Total warnings (only the first [`TsReport::MAX_KEPT_WARNINGS`] are kept).
    pub warning_count: u64,
    /// The first warnings, in order.
    pub warnings: Vec<TsWarning>,
}

impl TsReport {
    /// Warnings kept in full; beyond this only the count grows, so a stream damaged everywhere
    /// cannot grow the report without bound.
    pub const MAX_KEPT_WARNINGS: usize = 1000;

    pub(crate) fn warn(&mut self, packet: u64, offset: u64, pid: Option<u16>, message: String) {
        self.warning_count += 1;
        if self.warnings.len() < Self::MAX_KEPT_WARNINGS {
            self.warnings.push(TsWarning {
                packet,
                offset,
                pid,
                message,
            });
        }
    }

    /// Continuity errors over all PIDs.
    pub fn total_cc_errors(&self) -> u64 {
        self.cc_errors.values().sum()
    }

    pub(crate) fn pes_mut(&mut self, pid: u16) -> &mut PesStats {
        self.pes.entry(pid).or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcr_intervals_wrap_and_skip_discontinuities() {
        let mut s = PcrStats::default();
        let modulus = PcrStats::MODULUS;
        s.record(modulus - 27_000 * 20, false);
        s.record(27_000 * 20, false); // 40 ms across the wrap
        s.record(27_000 * 60, false); // 40 ms
        s.record(27_000 * 70, false); // 10 ms
        s.record(5, true);
        s.record(27_000_000 * 100, false); // a jump
        assert_eq!(s.count, 6);
        assert_eq!(s.min_interval_ms(), Some(10.0));
        assert_eq!(s.max_interval_ms(), Some(40.0));
        assert_eq!(s.discontinuities, 2);
    }

    #[test]
    fn warnings_are_bounded() {
        let mut r = TsReport::default();
        for i in 0..(TsReport::MAX_KEPT_WARNINGS as u64 + 10) {
            r.warn(i, i * 188, Some(0x100), "x".into());
        }
        assert_eq!(r.warnings.len(), TsReport::MAX_KEPT_WARNINGS);
        assert_eq!(r.warning_count, TsReport::MAX_KEPT_WARNINGS as u64 + 10);
    }
}
