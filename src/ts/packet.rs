//! The 188-byte transport stream packet (ISO/IEC 13818-1 §2.4.3.2), its 4-byte header
//! (§2.4.3.3), the adaptation field (§2.4.3.4 - §2.4.3.5) and the program clock reference.
//!
//! [`TsPacket::parse`] borrows the payload from the packet, so reading a stream copies nothing
//! at this layer; [`write_packet`] writes exactly one packet, filling the room the payload does
//! not use with adaptation-field stuffing, which is how a muxer ends a PES.

use std::fmt;

use bytes::BufMut;

use super::{SYNC_BYTE, TS_PACKET_SIZE, TsError};

/// A 13-bit packet identifier (§2.4.3.3, Table 2-3).
///
/// Range-checked: a `Pid` always holds a value below `0x2000`, so writing one can never spill
/// into the neighbouring header bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[doc(alias = "PID")]
pub struct Pid(u16);

impl Pid {
    /// The program association table's PID.
    pub const PAT: Pid = Pid(0x0000);
    /// The conditional access table's PID.
    pub const CAT: Pid = Pid(0x0001);
    /// Null packets: pure stuffing that a demuxer discards.
    pub const NULL: Pid = Pid(0x1FFF);
    /// The largest PID value.
    pub const MAX: u16 = 0x1FFF;

    /// A PID, `None` when `value` does not fit 13 bits.
    pub const fn new(value: u16) -> Option<Pid> {
        if value <= Self::MAX {
            Some(Pid(value))
        } else {
            None
        }
    }

    /// The low 13 bits of `value` as a PID (what a wire field holds).
    pub const fn from_bits(value: u16) -> Pid {
        Pid(value & Self::MAX)
    }

    /// The 13-bit value.
    pub const fn value(self) -> u16 {
        self.0
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#06x}", self.0)
    }
}

/// The 4-bit `continuity_counter` (§2.4.3.3), which counts the packets with payload of one
/// PID so a reader can tell a lost packet from a duplicate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ContinuityCounter(u8);

impl ContinuityCounter {
    /// A counter, `None` when `value` does not fit 4 bits.
    pub const fn new(value: u8) -> Option<ContinuityCounter> {
        if value <= 0x0F {
            Some(ContinuityCounter(value))
        } else {
            None
        }
    }

    /// The low 4 bits of `value` as a counter.
    pub const fn from_bits(value: u8) -> ContinuityCounter {
        ContinuityCounter(value & 0x0F)
    }

    /// The 4-bit value.
    pub const fn value(self) -> u8 {
        self.0
    }

    /// The value after this one (15 wraps to 0).
    #[must_use]
    pub const fn next(self) -> ContinuityCounter {
        ContinuityCounter((self.0 + 1) & 0x0F)
    }
}

/// A program clock reference (§2.4.3.5): a 27 MHz clock sent as a 33-bit 90 kHz base and a
/// 9-bit remainder, so it lines up with PTS/DTS and still has 27 MHz precision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[doc(alias = "PCR")]
pub struct Pcr {
    /// `program_clock_reference_base`: 33 bits of 90 kHz ticks.
    pub base: u64,
    /// `program_clock_reference_extension`: 9 bits, 0..=299 27 MHz ticks past `base`.
    pub extension: u16,
}

impl Pcr {
    /// Bytes of a PCR field.
    pub const LEN: usize = 6;
    /// The base is a 33-bit counter.
    pub const BASE_MODULUS: u64 = 1 << 33;

    /// The value in 27 MHz ticks: `base * 300 + extension`.
    pub const fn to_27mhz(self) -> u64 {
        self.base * 300 + self.extension as u64
    }

    /// A PCR from 27 MHz ticks, the base wrapped to 33 bits.
    pub const fn from_27mhz(ticks: u64) -> Pcr {
        Pcr {
            base: (ticks / 300) % Self::BASE_MODULUS,
            extension: (ticks % 300) as u16,
        }
    }

    /// Parses the 6-byte field: 33-bit base, 6 reserved bits, 9-bit extension.
    pub fn parse(b: &[u8; 6]) -> Pcr {
        let base = (u64::from(b[0]) << 25)
            | (u64::from(b[1]) << 17)
            | (u64::from(b[2]) << 9)
            | (u64::from(b[3]) << 1)
            | u64::from(b[4] >> 7);
        let extension = (u16::from(b[4] & 0x01) << 8) | u16::from(b[5]);
        Pcr { base, extension }
    }

    /// Writes the 6-byte field, reserved bits set to 1; values are masked to their widths.
    pub fn write_to(&self, out: &mut impl BufMut) {
        let base = self.base % Self::BASE_MODULUS;
        let ext = self.extension & 0x1FF;
        out.put_slice(&[
            (base >> 25) as u8,
            (base >> 17) as u8,
            (base >> 9) as u8,
            (base >> 1) as u8,
            ((base as u8 & 1) << 7) | 0x7E | (ext >> 8) as u8,
            ext as u8,
        ]);
    }
}

/// The adaptation field (§2.4.3.4): clock references, random-access and discontinuity
/// signalling, and the stuffing that fills a packet whose payload is short.
///
/// The optional `adaptation_field_extension` is skipped when parsing (nothing muxkit reads or
/// writes lives there); its bytes are counted in `stuffing`, so re-writing a parsed field keeps
/// its length.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AdaptationField {
    /// `discontinuity_indicator`: the continuity counter or the PCR time base restarts here.
    pub discontinuity: bool,
    /// `random_access_indicator`: the next PES of this PID starts at a random access point.
    pub random_access: bool,
    /// `elementary_stream_priority_indicator`.
    pub es_priority: bool,
    /// The program clock reference.
    pub pcr: Option<Pcr>,
    /// The original program clock reference.
    pub opcr: Option<Pcr>,
    /// `splice_countdown`: packets of this PID until a splice point.
    pub splice_countdown: Option<i8>,
    /// `transport_private_data` (at most 255 bytes, and what fits in the packet).
    pub private_data: Option<Vec<u8>>,
    /// Stuffing bytes after the fields (written as 0xFF).
    ///
    /// A field with nothing else set and stuffing `n` is `n + 1` bytes long: the length byte,
    /// then (for `n > 0`) a zero flags byte and `n - 1` bytes of 0xFF. That makes every total
    /// length from 1 byte up expressible, which is what padding a packet needs.
    pub stuffing: usize,
}

impl AdaptationField {
    /// Largest `adaptation_field_length`: the field fills the packet after the 4-byte header
    /// and its own length byte.
    pub const MAX_LEN: usize = TS_PACKET_SIZE - 4 - 1;

    /// Whether a flag or optional field is set (then the flags byte is written).
    fn has_content(&self) -> bool {
        self.discontinuity
            || self.random_access
            || self.es_priority
            || self.pcr.is_some()
            || self.opcr.is_some()
            || self.splice_countdown.is_some()
            || self.private_data.is_some()
    }

    /// Bytes of the flags byte and the optional fields (0 when nothing is set).
    fn content_len(&self) -> usize {
        if !self.has_content() {
            return 0;
        }
        1 + self.pcr.map_or(0, |_| Pcr::LEN)
            + self.opcr.map_or(0, |_| Pcr::LEN)
            + usize::from(self.splice_countdown.is_some())
            + self
                .private_data
                .as_ref()
                .map_or(0, |d| 1 + d.len().min(255))
    }

    /// Bytes the field takes in the packet, its length byte included.
    pub fn encoded_len(&self) -> usize {
        1 + self.content_len() + self.stuffing
    }

    /// Parses an adaptation field starting at its length byte. `has_payload` is the packet's
    /// payload flag, which decides the allowed length: 0..=182 with a payload, 183 without
    /// (shorter fields without payload are accepted, as decoders do). Returns the field and
    /// the bytes it took.
    pub fn parse(data: &[u8], has_payload: bool) -> Result<(AdaptationField, usize), TsError> {
        const WHAT: &str = "adaptation field";
        let len = usize::from(*data.first().ok_or_else(|| TsError::truncated(WHAT, 1, 0))?);
        if len > Self::MAX_LEN {
            return Err(TsError::invalid(
                WHAT,
                0,
                format!("adaptation_field_length {len} exceeds 183"),
            ));
        }
        if has_payload && len == Self::MAX_LEN {
            return Err(TsError::invalid(
                WHAT,
                0,
                "adaptation_field_length 183 leaves no room for the payload the header announces",
            ));
        }
        let body = data
            .get(1..1 + len)
            .ok_or_else(|| TsError::truncated(WHAT, 1 + len, data.len()))?;
        let mut af = AdaptationField::default();
        let Some((&flags, _)) = body.split_first() else {
            return Ok((af, 1));
        };
        af.discontinuity = flags & 0x80 != 0;
        af.random_access = flags & 0x40 != 0;
        af.es_priority = flags & 0x20 != 0;
        let mut pos = 1;
        let mut take = |n: usize, field: &str| -> Result<&[u8], TsError> {
            let s = body.get(pos..pos + n).ok_or_else(|| {
                TsError::invalid(
                    WHAT,
                    1 + pos,
                    format!("{field} does not fit adaptation_field_length {len}"),
                )
            })?;
            pos += n;
            Ok(s)
        };
        let pcr6 = |s: &[u8]| -> Pcr {
            let mut b = [0u8; 6];
            b.copy_from_slice(s);
            Pcr::parse(&b)
        };
        if flags & 0x10 != 0 {
            af.pcr = Some(pcr6(take(6, "pcr")?));
        }
        if flags & 0x08 != 0 {
            af.opcr = Some(pcr6(take(6, "opcr")?));
        }
        if flags & 0x04 != 0 {
            af.splice_countdown = Some(take(1, "splice_countdown")?[0] as i8);
        }
        if flags & 0x02 != 0 {
            let n = usize::from(take(1, "transport_private_data_length")?[0]);
            af.private_data = Some(take(n, "transport_private_data")?.to_vec());
        }
        if flags & 0x01 != 0 {
            let n = usize::from(take(1, "adaptation_field_extension_length")?[0]);
            take(n, "adaptation_field_extension")?;
        }
        // Whatever follows the fields is stuffing; a field whose flags byte carried nothing
        // counts that byte as stuffing too (see `stuffing`).
        af.stuffing = len - af.content_len();
        Ok((af, 1 + len))
    }

    /// Writes the field (length byte first). Private data longer than 255 bytes is cut to 255,
    /// the most its length byte can state.
    pub fn write_to(&self, out: &mut impl BufMut) {
        let content = self.content_len();
        let len = content + self.stuffing;
        out.put_u8(len.min(255) as u8);
        let mut stuffing = self.stuffing;
        if content == 0 {
            if stuffing > 0 {
                // The flags byte, all flags clear, stands for the first stuffing byte.
                out.put_u8(0);
                stuffing -= 1;
            }
        } else {
            let flags = (u8::from(self.discontinuity) << 7)
                | (u8::from(self.random_access) << 6)
                | (u8::from(self.es_priority) << 5)
                | (u8::from(self.pcr.is_some()) << 4)
                | (u8::from(self.opcr.is_some()) << 3)
                | (u8::from(self.splice_countdown.is_some()) << 2)
                | (u8::from(self.private_data.is_some()) << 1);
            out.put_u8(flags);
            if let Some(pcr) = self.pcr {
                pcr.write_to(out);
            }
            if let Some(opcr) = self.opcr {
                opcr.write_to(out);
            }
            if let Some(n) = self.splice_countdown {
                out.put_i8(n);
            }
            if let Some(d) = &self.private_data {
                let d = &d[..d.len().min(255)];
                out.put_u8(d.len() as u8);
                out.put_slice(d);
            }
        }
        out.put_bytes(0xFF, stuffing);
    }
}

/// The 4-byte packet header (§2.4.3.3, Table 2-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TsPacketHeader {
    /// `transport_error_indicator`: a demodulator found an uncorrectable error in the packet.
    pub tei: bool,
    /// `payload_unit_start_indicator`: a PES packet or PSI section starts in this payload.
    pub pusi: bool,
    /// `transport_priority`.
    pub priority: bool,
    /// The packet's PID.
    pub pid: Pid,
    /// `transport_scrambling_control` (2 bits; 0 = not scrambled).
    pub scrambling: u8,
    /// An adaptation field follows the header (`adaptation_field_control` bit 1).
    pub has_adaptation: bool,
    /// A payload follows (`adaptation_field_control` bit 0).
    pub has_payload: bool,
    /// The packet's continuity counter.
    pub cc: ContinuityCounter,
}

impl TsPacketHeader {
    /// Bytes of the header.
    pub const LEN: usize = 4;

    /// A header for `pid` with a payload and nothing else set.
    pub fn new(pid: Pid, pusi: bool, cc: ContinuityCounter) -> TsPacketHeader {
        TsPacketHeader {
            tei: false,
            pusi,
            priority: false,
            pid,
            scrambling: 0,
            has_adaptation: false,
            has_payload: true,
            cc,
        }
    }

    /// Parses the header; the sync byte must be 0x47.
    #[inline]
    pub fn parse(b: &[u8; 4]) -> Result<TsPacketHeader, TsError> {
        if b[0] != SYNC_BYTE {
            return Err(bad_sync(b[0]));
        }
        Ok(TsPacketHeader::decode(b))
    }

    /// The fields of a header whose sync byte was checked. Kept apart from the `Result` so the
    /// per-packet path builds the header in registers (a `Result` wrapped around these bytes
    /// made the compiler store them one by one and reload them as words, a store-forwarding
    /// stall on every packet).
    #[inline]
    fn decode(b: &[u8; 4]) -> TsPacketHeader {
        TsPacketHeader {
            tei: b[1] & 0x80 != 0,
            pusi: b[1] & 0x40 != 0,
            priority: b[1] & 0x20 != 0,
            pid: Pid::from_bits(u16::from_be_bytes([b[1], b[2]])),
            scrambling: b[3] >> 6,
            has_adaptation: b[3] & 0x20 != 0,
            has_payload: b[3] & 0x10 != 0,
            cc: ContinuityCounter::from_bits(b[3]),
        }
    }

    /// Writes the 4 header bytes.
    pub fn write_to(&self, out: &mut impl BufMut) {
        out.put_slice(&self.to_bytes());
    }

    /// The 4 header bytes.
    #[inline]
    pub fn to_bytes(&self) -> [u8; 4] {
        let pid = self.pid.value();
        [
            SYNC_BYTE,
            (u8::from(self.tei) << 7)
                | (u8::from(self.pusi) << 6)
                | (u8::from(self.priority) << 5)
                | (pid >> 8) as u8,
            pid as u8,
            ((self.scrambling & 3) << 6)
                | (u8::from(self.has_adaptation) << 5)
                | (u8::from(self.has_payload) << 4)
                | self.cc.value(),
        ]
    }
}

/// The error for a wrong sync byte, out of the hot path.
#[cold]
fn bad_sync(found: u8) -> TsError {
    TsError::invalid(
        "ts packet header",
        0,
        format!("sync byte {found:#04x}, expected 0x47"),
    )
}

/// One parsed 188-byte packet; the payload borrows from the packet bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TsPacket<'a> {
    /// The 4-byte header.
    pub header: TsPacketHeader,
    /// The adaptation field, when `header.has_adaptation`.
    pub adaptation: Option<AdaptationField>,
    /// The payload (empty when `header.has_payload` is false).
    pub payload: &'a [u8],
}

impl<'a> TsPacket<'a> {
    /// Parses a packet: header, adaptation field (see [`AdaptationField::parse`] for the
    /// length rules), payload. `adaptation_field_control` `00` is reserved and rejected, as the
    /// spec tells decoders to discard such packets.
    #[inline]
    pub fn parse(data: &'a [u8; TS_PACKET_SIZE]) -> Result<TsPacket<'a>, TsError> {
        if data[0] != SYNC_BYTE {
            return Err(bad_sync(data[0]));
        }
        let header = TsPacketHeader::decode(&[data[0], data[1], data[2], data[3]]);
        if !header.has_adaptation && !header.has_payload {
            return Err(TsError::invalid(
                "ts packet header",
                3,
                "reserved adaptation_field_control 00",
            ));
        }
        let mut pos = TsPacketHeader::LEN;
        let adaptation = if header.has_adaptation {
            let (af, used) = AdaptationField::parse(&data[pos..], header.has_payload)
                .map_err(|e| shift(e, pos))?;
            pos += used;
            Some(af)
        } else {
            None
        };
        let payload = if header.has_payload {
            &data[pos..]
        } else {
            &[]
        };
        Ok(TsPacket {
            header,
            adaptation,
            payload,
        })
    }
}

/// Moves a field-relative error offset to the offset in the packet.
fn shift(e: TsError, by: usize) -> TsError {
    match e {
        TsError::Invalid {
            what,
            offset,
            reason,
        } => TsError::Invalid {
            what,
            offset: offset + by,
            reason,
        },
        other => other,
    }
}

/// Room after the 4-byte header.
/// Payload bytes of a packet without an adaptation field.
pub(crate) const BODY: usize = TS_PACKET_SIZE - TsPacketHeader::LEN;

/// Writes exactly one 188-byte packet: `header`, then `adaptation` (if any), then as much of
/// `payload` as fits, padding a short payload with adaptation-field stuffing (the way a PES
/// packet must end, §2.4.3.5). Returns how many payload bytes were written.
///
/// The header's `has_adaptation` and `has_payload` flags are set from what is actually
/// written: a packet with no payload bytes is all adaptation field (a PCR-only packet). The
/// caller advances the continuity counter for packets that carry payload. An adaptation field
/// too large for a packet (only possible with long private data) loses its stuffing and then
/// its private data, so the output is always exactly one packet.
pub fn write_packet(
    header: &TsPacketHeader,
    adaptation: Option<&AdaptationField>,
    payload: &[u8],
    out: &mut impl BufMut,
) -> usize {
    let n = write_packet_header(header, adaptation, payload.len(), out);
    out.put_slice(&payload[..n]);
    n
}

/// Writes everything of one packet except its payload bytes: the header and the adaptation
/// field sized (with stuffing) for `payload_len` bytes, or as many as fit. Returns how many
/// payload bytes the caller must write next to complete exactly 188 bytes. Lets a muxer stream
/// a PES from several slices without assembling it first (see [`write_packet`]).
pub fn write_packet_header(
    header: &TsPacketHeader,
    adaptation: Option<&AdaptationField>,
    payload_len: usize,
    out: &mut impl BufMut,
) -> usize {
    let mut af = adaptation.cloned();
    if let Some(a) = &mut af {
        if a.encoded_len() > BODY {
            a.stuffing = 0;
        }
        if a.encoded_len() > BODY {
            a.private_data = None;
        }
    }
    let af_len = af.as_ref().map_or(0, AdaptationField::encoded_len);
    let room = BODY - af_len;
    let n = payload_len.min(room);
    let pad = room - n;
    if pad > 0 {
        match &mut af {
            Some(a) => a.stuffing += pad,
            // An empty field of `pad` bytes: length byte, then stuffing.
            None => {
                af = Some(AdaptationField {
                    stuffing: pad - 1,
                    ..AdaptationField::default()
                })
            }
        }
    }
    let mut h = *header;
    h.has_adaptation = af.is_some();
    h.has_payload = n > 0;
    h.write_to(out);
    if let Some(a) = &af {
        a.write_to(out);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(bytes: &[u8]) -> [u8; 188] {
        let mut p = [0xFFu8; 188];
        p[..bytes.len()].copy_from_slice(bytes);
        p
    }

    #[test]
    fn pid_and_cc_are_range_checked() {
        assert_eq!(Pid::new(0x1FFF), Some(Pid::NULL));
        assert_eq!(Pid::new(0x2000), None);
        assert_eq!(Pid::from_bits(0xE100).value(), 0x0100);
        assert_eq!(Pid::new(0x100).unwrap().to_string(), "0x0100");
        assert_eq!(ContinuityCounter::new(16), None);
        assert_eq!(ContinuityCounter::from_bits(15).next().value(), 0);
        assert_eq!(ContinuityCounter::new(3).unwrap().next().value(), 4);
    }

    #[test]
    fn pcr_round_trips() {
        let pcr = Pcr {
            base: (1 << 33) - 1,
            extension: 299,
        };
        let mut out = Vec::new();
        pcr.write_to(&mut out);
        assert_eq!(out.len(), 6);
        assert_eq!(out[4] & 0x7E, 0x7E);
        assert_eq!(Pcr::parse(&out.try_into().unwrap()), pcr);
        assert_eq!(Pcr::from_27mhz(pcr.to_27mhz()), pcr);
        assert_eq!(Pcr::from_27mhz(27_000_000).base, 90_000);
        assert_eq!(Pcr::from_27mhz(300 << 33).base, 0);
    }

    #[test]
    fn header_round_trips() {
        let h = TsPacketHeader {
            tei: true,
            pusi: true,
            priority: false,
            pid: Pid::new(0x1234).unwrap(),
            scrambling: 2,
            has_adaptation: true,
            has_payload: false,
            cc: ContinuityCounter::new(9).unwrap(),
        };
        let mut out = Vec::new();
        h.write_to(&mut out);
        assert_eq!(TsPacketHeader::parse(&out.try_into().unwrap()).unwrap(), h);
        assert!(TsPacketHeader::parse(&[0x46, 0, 0, 0x10]).is_err());
    }

    #[test]
    fn adaptation_field_round_trips() {
        let af = AdaptationField {
            discontinuity: true,
            random_access: true,
            es_priority: false,
            pcr: Some(Pcr {
                base: 123_456_789,
                extension: 7,
            }),
            opcr: Some(Pcr {
                base: 1,
                extension: 2,
            }),
            splice_countdown: Some(-3),
            private_data: Some(vec![1, 2, 3]),
            stuffing: 5,
        };
        let mut out = Vec::new();
        af.write_to(&mut out);
        assert_eq!(out.len(), af.encoded_len());
        assert_eq!(out[0] as usize, out.len() - 1);
        assert_eq!(AdaptationField::parse(&out, true).unwrap(), (af, out.len()));
        // Every empty length from 1 to 184 bytes round-trips.
        for stuffing in 0..=183 {
            let af = AdaptationField {
                stuffing,
                ..AdaptationField::default()
            };
            let mut out = Vec::new();
            af.write_to(&mut out);
            assert_eq!(out.len(), stuffing + 1);
            let has_payload = stuffing < 183;
            assert_eq!(
                AdaptationField::parse(&out, has_payload).unwrap(),
                (af, out.len())
            );
        }
    }

    #[test]
    fn adaptation_field_lengths_are_checked() {
        // > 183
        let p = packet(&[0x47, 0x01, 0x00, 0x30, 184]);
        let e = TsPacket::parse(&p).unwrap_err();
        assert_eq!(
            e.to_string(),
            "adaptation field: adaptation_field_length 184 exceeds 183 at byte 4"
        );
        // 183 with payload
        let p = packet(&[0x47, 0x01, 0x00, 0x30, 183, 0]);
        assert!(TsPacket::parse(&p).is_err());
        // 183 without payload is the normal adaptation-only packet
        let p = packet(&[0x47, 0x01, 0x00, 0x20, 183, 0]);
        let t = TsPacket::parse(&p).unwrap();
        assert!(t.payload.is_empty());
        assert_eq!(t.adaptation.unwrap().stuffing, 183);
        // PCR flag in a 3-byte field
        let p = packet(&[0x47, 0x01, 0x00, 0x30, 3, 0x10, 0, 0]);
        let e = TsPacket::parse(&p).unwrap_err();
        assert!(e.to_string().contains("pcr does not fit"), "{e}");
        // private data length past the field
        let p = packet(&[0x47, 0x01, 0x00, 0x30, 3, 0x02, 9, 0]);
        assert!(TsPacket::parse(&p).is_err());
        // reserved adaptation_field_control
        let p = packet(&[0x47, 0x01, 0x00, 0x00]);
        assert!(TsPacket::parse(&p).is_err());
    }

    #[test]
    fn extension_is_skipped_and_kept_as_stuffing() {
        // flags: random access + extension (length 2)
        let p = packet(&[0x47, 0x01, 0x00, 0x30, 4, 0x41, 2, 0xAA, 0xBB, 0x99]);
        let t = TsPacket::parse(&p).unwrap();
        let af = t.adaptation.unwrap();
        assert!(af.random_access);
        assert_eq!(af.encoded_len(), 5);
        assert_eq!(t.payload[0], 0x99);
        assert_eq!(t.payload.len(), 188 - 9);
    }

    #[test]
    fn write_packet_pads_and_round_trips() {
        let pid = Pid::new(0x100).unwrap();
        let payload: Vec<u8> = (0..=255).cycle().take(500).collect();
        for len in [0, 1, 2, 3, 100, 181, 182, 183, 184, 185, 500] {
            for with_af in [false, true] {
                let af = AdaptationField {
                    random_access: true,
                    pcr: Some(Pcr {
                        base: 90_000,
                        extension: 0,
                    }),
                    ..AdaptationField::default()
                };
                let h = TsPacketHeader::new(pid, true, ContinuityCounter::new(5).unwrap());
                let mut out = Vec::new();
                let n = write_packet(&h, with_af.then_some(&af), &payload[..len], &mut out);
                assert_eq!(out.len(), 188, "len {len} af {with_af}");
                let room = if with_af { 184 - 8 } else { 184 };
                assert_eq!(n, len.min(room));
                let p = TsPacket::parse(out[..].try_into().unwrap()).unwrap();
                assert_eq!(p.payload, &payload[..n]);
                assert_eq!(p.header.pid, pid);
                assert_eq!(p.header.has_payload, n > 0);
                if with_af {
                    let got = p.adaptation.unwrap();
                    assert_eq!(got.pcr, af.pcr);
                    assert!(got.random_access);
                }
            }
        }
    }

    #[test]
    fn write_packet_survives_huge_private_data() {
        let af = AdaptationField {
            private_data: Some(vec![7; 300]),
            stuffing: 100,
            ..AdaptationField::default()
        };
        let h = TsPacketHeader::new(Pid::new(0x20).unwrap(), false, ContinuityCounter::default());
        let mut out = Vec::new();
        let n = write_packet(&h, Some(&af), &[1, 2, 3], &mut out);
        assert_eq!(out.len(), 188);
        assert_eq!(n, 3);
        assert!(TsPacket::parse(out[..].try_into().unwrap()).is_ok());
    }

    #[test]
    fn parse_never_panics_on_any_header_byte() {
        for b3 in 0..=255u8 {
            for len in [0u8, 1, 2, 7, 100, 182, 183, 184, 255] {
                let mut p = packet(&[0x47, 0x41, 0x00, b3, len, 0xFF]);
                let _ = TsPacket::parse(&p);
                p[5] = 0x1F;
                let _ = TsPacket::parse(&p);
            }
        }
    }
}
