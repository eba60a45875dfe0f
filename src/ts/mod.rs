//! MPEG-TS: the MPEG-2 transport stream (ISO/IEC 13818-1 / ITU-T H.222.0).
//!
//! One file per wire structure, each with `parse` and `write_to`:
//!
//! | layer | type | spec |
//! |---|---|---|
//! | 188-byte packet, adaptation field, PCR | [`TsPacket`], [`AdaptationField`], [`Pcr`] | §2.4.3.2 - §2.4.3.5 |
//! | PSI section framing, CRC-32/MPEG-2 | [`PsiSection`], [`SectionAssembler`] | §2.4.4.10 - §2.4.4.11, Annex A |
//! | program association table | [`Pat`] | §2.4.4.3 |
//! | program map table, descriptors | [`Pmt`], [`Descriptor`] | §2.4.4.8, §2.6 |
//! | PES packet header, PTS/DTS | [`PesHeader`] | §2.4.3.6 - §2.4.3.7 |
//! | tracks and packets | [`TsDemuxer`], [`TsStreamParser`] | |
//!
//! Every parser takes bytes and returns a [`TsError`] naming the structure and, where the
//! demuxer knows it, the packet index, byte offset and PID; none panics or allocates without
//! bound on any input.

pub mod demux;
pub mod packet;
pub mod pat;
pub mod pes;
pub mod pmt;
pub mod psi;
pub mod sdt;
// The muxer: added beside the structures by the lead (the demuxer lands with its own line).
pub mod mux;

pub use demux::{TsDemuxer, TsReadOptions, TsReport, TsStreamParser, TsWarning};
pub use packet::{
    AdaptationField, ContinuityCounter, Pcr, Pid, TsPacket, TsPacketHeader, write_packet,
};
pub use pat::Pat;
pub use pes::PesHeader;
pub use pmt::{Descriptor, Pmt, PmtStream, StreamType};
pub use psi::{PsiSection, SectionAssembler, crc32_mpeg2, write_section_packets};
pub use sdt::{DvbEvent, DvbService};

/// Bytes of one transport stream packet (§2.4.3.2).
pub const TS_PACKET_SIZE: usize = 188;

/// The first byte of every transport stream packet (`sync_byte`, §2.4.3.3).
pub const SYNC_BYTE: u8 = 0x47;

/// Bytes of one M2TS (Blu-ray BDAV) packet: a 4-byte arrival timestamp, then a TS packet.
pub const M2TS_PACKET_SIZE: usize = 192;

/// An MPEG-TS structure that cannot be parsed or written, or a stream that cannot be read.
///
/// Structure parsers report `what` (the structure) and an offset inside it; the demuxer wraps
/// those in [`TsError::InPacket`] with the packet index, the byte offset of the packet in the
/// input and its PID, so the damage can be found with a hex editor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TsError {
    /// The data ended inside a structure.
    #[error("{what}: truncated: needs {needed} bytes, {available} available")]
    Truncated {
        /// Which structure.
        what: &'static str,
        /// Bytes the structure needs.
        needed: usize,
        /// Bytes there were.
        available: usize,
    },
    /// A field holds a value the spec forbids, or two fields disagree.
    #[error("{what}: {reason} at byte {offset}")]
    Invalid {
        /// Which structure.
        what: &'static str,
        /// Byte offset inside the structure.
        offset: usize,
        /// What is wrong, lowercase.
        reason: String,
    },
    /// A PSI section whose CRC-32 does not match its bytes.
    #[error("{what}: crc-32 mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    Crc {
        /// Which table (`"psi section"`, `"pmt"`, ...).
        what: &'static str,
        /// The CRC the section carries.
        stored: u32,
        /// The CRC of its bytes.
        computed: u32,
    },
    /// A size exceeds a named limit or the width of the field that must hold it.
    #[error("{what}: {field} of {value} exceeds the limit of {limit}")]
    TooLarge {
        /// Which structure.
        what: &'static str,
        /// Which field or quantity.
        field: &'static str,
        /// The value found or asked for.
        value: u64,
        /// The largest value accepted.
        limit: u64,
    },
    /// The input is not a transport stream: no run of sync bytes at 188- or 192-byte spacing.
    #[error(
        "not an mpeg-ts stream: no {run} sync bytes 0x47 at 188- or 192-byte spacing in the first {scanned} bytes"
    )]
    NoSync {
        /// How many consecutive sync bytes were required.
        run: usize,
        /// How many bytes were searched.
        scanned: u64,
    },
    /// A problem located in the stream: the packet's index (0 = first packet), its byte
    /// offset in the input and its PID.
    #[error("ts packet {packet} at byte {offset}, pid {pid:#06x}: {source}")]
    InPacket {
        /// Packet index, counting every packet read (0 = the first).
        packet: u64,
        /// Byte offset of the packet's sync byte in the input.
        offset: u64,
        /// The packet's PID.
        pid: u16,
        /// What went wrong.
        source: Box<TsError>,
    },
}

impl TsError {
    /// Shorthand for [`TsError::Invalid`].
    pub(crate) fn invalid(what: &'static str, offset: usize, reason: impl Into<String>) -> Self {
        TsError::Invalid {
            what,
            offset,
            reason: reason.into(),
        }
    }

    /// Shorthand for [`TsError::Truncated`].
    pub(crate) fn truncated(what: &'static str, needed: usize, available: usize) -> Self {
        TsError::Truncated {
            what,
            needed,
            available,
        }
    }

    /// This error located at a packet.
    pub fn in_packet(self, packet: u64, offset: u64, pid: u16) -> TsError {
        TsError::InPacket {
            packet,
            offset,
            pid,
            source: Box::new(self),
        }
    }
}
