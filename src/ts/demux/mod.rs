//! MPEG-TS -> tracks and packets.
//!
//! [`TsStreamParser`] is the sans-IO core (bytes in, packets out) that a live feed drives;
//! [`TsDemuxer`] is the thin [`Demuxer`] over an [`InputSource`] that feeds it, reading ahead
//! until every stream of every program has shown itself (bounded by [`PROBE_BYTE_LIMIT`]) so
//! [`Demuxer::tracks`] is complete with configurations before the first packet.
//!
//! What the demuxer does with the stream, layer by layer:
//!
//! - sync: the 0x47 sync byte confirmed [`SYNC_RUN`] times at packet spacing; 188-byte
//!   TS and 192-byte M2TS detected; junk skipped and sync regained after a lost sync byte, each
//!   counted with its byte offset;
//! - packets: continuity counters checked per PID (one duplicate allowed, as §2.4.3.3 says;
//!   `discontinuity_indicator` honoured and passed on as [`crate::PacketFlags::discontinuity`]),
//!   PCR intervals measured, damaged packets dropped and counted;
//! - tables: PAT and PMT sections reassembled across packets with their CRC checked; a new
//!   table version adds, removes or re-codes streams mid-stream;
//! - PES: reassembled across packets within [`MAX_PES_SIZE`] / [`MAX_AUDIO_PES_SIZE`];
//!   PTS/DTS unwrapped past 2^33 per program;
//! - payloads: H.264/HEVC Annex B -> length-prefixed NAL units with parameter sets moved into
//!   the `avcC`/`hvcC`; ADTS -> raw AAC frames; MPEG audio -> whole Layer III frames.
//!
//! Every oddity is a counter or a warning in the [`TsReport`]; with
//! [`TsReadOptions::strict`] damage is an error instead.

mod assemble;
mod es;
mod parser;
mod pid_map;
mod report;
mod sync;

use bytes::Bytes;

use crate::error::Result;
use crate::io::{InputSource, Take};
use crate::loss::{Loss, MAX_LISTED_DAMAGE, damage_list};
use crate::media::{Demuxer, Packet, Track};

use super::pat::Pat;
use super::pmt::Pmt;

pub use assemble::{MAX_AUDIO_PES_SIZE, MAX_PES_SIZE};
pub use es::{MAX_AUDIO_CARRY, MAX_PARAMETER_SETS};
pub use parser::{MAX_TRACKS, TsStreamParser};
pub use report::{PcrStats, PesStats, PidCounts, TsReadOptions, TsReport, TsWarning};
pub use sync::{MAX_INITIAL_GARBAGE, SYNC_RUN};

/// How far [`TsDemuxer::new`] reads ahead looking for every stream's first packet. A PMT
/// comes every few hundred milliseconds and every stream shows itself within a GOP, a few
/// seconds; 8 MiB is several seconds at broadcast bit rates. A PMT naming a PID that never
/// appears costs no more than this.
pub const PROBE_BYTE_LIMIT: u64 = 8 * 1024 * 1024;

/// Bytes read from the input at a time: about 70 KiB, a whole number of both 188-byte TS and
/// 192-byte M2TS packets (8 x lcm(188, 192)), so chunks end on the packet grid and the parser
/// takes them without copying.
const READ_CHUNK: usize = 8 * 9024;

/// Reads an MPEG-TS file (or stream) as tracks and packets.
///
/// Track ids follow the PMT's stream order; `Track::source_id` is the PID; every track's time
/// base is 1/90000. Streams muxkit cannot read (timed ID3, AC-3, private data, ...) are skipped
/// and listed in [`TsReport::skipped_streams`].
pub struct TsDemuxer {
    src: InputSource,
    parser: TsStreamParser,
    eof: bool,
}

impl TsDemuxer {
    /// Opens a transport stream from any input source and reads ahead to learn its tracks.
    pub fn new(src: InputSource, options: TsReadOptions) -> Result<TsDemuxer> {
        let mut d = TsDemuxer {
            src,
            parser: TsStreamParser::new(options),
            eof: false,
        };
        d.probe()?;
        Ok(d)
    }

    /// Opens a transport stream held in memory (for instance a mapped file), with default
    /// options.
    pub fn from_bytes(data: Bytes) -> Result<TsDemuxer> {
        TsDemuxer::new(InputSource::from_bytes(data), TsReadOptions::default())
    }

    /// Counters and warnings so far.
    pub fn report(&self) -> &TsReport {
        self.parser.report()
    }

    /// The current PAT, once one was read.
    pub fn pat(&self) -> Option<&Pat> {
        self.parser.pat()
    }

    /// The current PMT of the first program whose PMT was read (the only one in nearly every
    /// file; see [`TsDemuxer::pmts`] for the others).
    pub fn pmt(&self) -> Option<&Pmt> {
        self.parser.pmts().next()
    }

    /// The current PMT of every program whose PMT was read, in PAT order.
    pub fn pmts(&self) -> impl Iterator<Item = &Pmt> {
        self.parser.pmts()
    }

    /// The services the SDT names (see [`TsStreamParser::services`]).
    pub fn services(&self) -> &[crate::ts::DvbService] {
        self.parser.services()
    }

    /// The present/following events the EIT names (see [`TsStreamParser::events`]).
    pub fn events(&self) -> &[crate::ts::DvbEvent] {
        self.parser.events()
    }

    /// The parser underneath, for its counters.
    pub fn parser(&self) -> &TsStreamParser {
        &self.parser
    }

    /// Feeds the next chunk of input; false at the end.
    fn fill(&mut self) -> Result<bool> {
        if self.eof {
            return Ok(false);
        }
        // Ask for what ends this chunk on the packet grid: the buffered bytes (part of a
        // packet) plus the new ones make whole packets again, and the next chunk is zero-copy.
        let want = match READ_CHUNK.checked_sub(self.parser.buffered()) {
            Some(n) if n > 0 => n,
            _ => READ_CHUNK,
        };
        match self.src.take(want)? {
            Take::Full(b) => self.parser.push_bytes(b),
            Take::Short(b) => {
                self.parser.push_bytes(b);
                self.parser.finish();
                self.eof = true;
            }
        }
        Ok(true)
    }

    fn probe(&mut self) -> Result<()> {
        let start = self.src.offset();
        loop {
            if self.parser.tracks_ready() && !self.parser.tracks().is_empty() {
                break;
            }
            if self.src.offset() - start >= PROBE_BYTE_LIMIT {
                break;
            }
            if !self.parser.step()? && !self.fill()? {
                break;
            }
        }
        Ok(())
    }
}

impl Demuxer for TsDemuxer {
    fn tracks(&self) -> &[Track] {
        self.parser.tracks()
    }

    fn input_position(&self) -> Option<u64> {
        Some(self.src.offset())
    }

    fn next_packet(&mut self) -> Result<Option<Packet>> {
        loop {
            if let Some(p) = self.parser.next_packet()? {
                return Ok(Some(p));
            }
            if self.parser.is_done() || !self.fill()? {
                return Ok(None);
            }
        }
    }

    fn losses(&self) -> Vec<Loss> {
        let report = self.report();
        let mut all: Vec<Loss> = report
            .skipped_streams
            .iter()
            .map(|(&pid, &ty)| Loss::StreamNotRead {
                stream: format!("pid {pid:#06x}"),
                what: format!("stream type {ty}"),
                reason: if let Some(r) = report.skipped_stream_reasons.get(&pid) {
                    r.clone()
                } else if parser::classify_type(ty).is_some() {
                    format!("more than {MAX_TRACKS} tracks")
                } else {
                    "muxkit does not read this stream type".into()
                },
            })
            .collect();
        // The notes that a stream is skipped are the entries above already.
        let stream_note = |w: &&TsWarning| w.message.contains(": stream on pid ");
        let notes = report.warnings.iter().filter(stream_note).count() as u64;
        all.extend(damage_list(
            report
                .warnings
                .iter()
                .filter(|w| !stream_note(w))
                // The message names the packet, byte offset and pid already.
                .map(|w| (None, w.message.clone())),
            report.warning_count - notes,
            MAX_LISTED_DAMAGE,
        ));
        all
    }
}

impl std::fmt::Debug for TsDemuxer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TsDemuxer")
            .field("tracks", &self.parser.tracks())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
