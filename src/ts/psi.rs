//! Program-specific information (PSI) sections (ISO/IEC 13818-1 §2.4.4): the long-form
//! section framing that the PAT and PMT share, its CRC-32/MPEG-2 (Annex A), and the
//! carriage of sections in transport packets (pointer_field, sections spanning packets,
//! several sections in one packet, 0xFF stuffing).

use bytes::{BufMut, Bytes};

use super::packet::{ContinuityCounter, Pid, TsPacketHeader};
use super::{TS_PACKET_SIZE, TsError};

/// The CRC of ISO/IEC 13818-1 Annex A: polynomial 0x04C11DB7, initial value 0xFFFFFFFF, no
/// reflection, no final XOR.
const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_MPEG_2);

/// The CRC-32/MPEG-2 of `data`. A section's CRC is computed over everything from `table_id`
/// up to the CRC field, so the CRC of a whole valid section, CRC included, is 0.
pub fn crc32_mpeg2(data: &[u8]) -> u32 {
    CRC.checksum(data)
}

/// Largest `section_length` of a PAT or PMT (§2.4.4.3, §2.4.4.8: "shall not exceed 1021"),
/// so a whole section is at most 1024 bytes. A reader that trusts a longer length from a
/// damaged header would buffer up to 4 KiB of garbage per PID; this bounds it.
pub const MAX_SECTION_LENGTH: usize = 1021;

/// Bytes of a whole section at most: the 3-byte header and [`MAX_SECTION_LENGTH`].
pub const MAX_SECTION_LEN: usize = 3 + MAX_SECTION_LENGTH;

const WHAT: &str = "psi section";

/// A long-form PSI section (`section_syntax_indicator` = 1), the framing of the PAT and PMT.
///
/// `body` is what lies between `last_section_number` and the CRC; the length and the CRC are
/// computed when writing and checked when parsing, so they are not fields.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PsiSection {
    /// `table_id` (0x00 PAT, 0x02 PMT, ...).
    pub table_id: u8,
    /// `transport_stream_id` for a PAT, `program_number` for a PMT.
    pub table_id_extension: u16,
    /// `version_number` (5 bits): changes whenever the table's content does.
    pub version: u8,
    /// `current_next_indicator`: the table applies now (true) or is the next one (false).
    pub current_next: bool,
    /// `section_number` of this section in the table.
    pub section_number: u8,
    /// `last_section_number` of the table.
    pub last_section_number: u8,
    /// The table-specific bytes.
    pub body: Bytes,
}

impl PsiSection {
    /// Bytes before the body: table_id, flags + section_length (2), table_id_extension (2),
    /// version/current_next, section_number, last_section_number.
    pub const HEADER_LEN: usize = 8;
    /// Bytes of the CRC after the body.
    pub const CRC_LEN: usize = 4;
    /// The largest body a section can carry.
    pub const MAX_BODY_LEN: usize = MAX_SECTION_LENGTH - 5 - Self::CRC_LEN;

    /// The whole length (`3 + section_length`) of the section whose first 3 bytes are `head`.
    pub fn total_len(head: &[u8; 3]) -> usize {
        3 + ((usize::from(head[1] & 0x0F) << 8) | usize::from(head[2]))
    }

    /// Parses one section at the start of `data` (which may continue with stuffing or more
    /// sections): checks that `section_length` fits `data` and the limit, that the section is
    /// long form and long enough for its header and CRC, and the CRC.
    pub fn parse(data: &[u8]) -> Result<PsiSection, TsError> {
        let Some(head) = data.first_chunk::<3>() else {
            return Err(TsError::truncated(WHAT, 3, data.len()));
        };
        let total = Self::total_len(head);
        let section_length = total - 3;
        if section_length > MAX_SECTION_LENGTH {
            return Err(TsError::TooLarge {
                what: WHAT,
                field: "section_length",
                value: section_length as u64,
                limit: MAX_SECTION_LENGTH as u64,
            });
        }
        if head[1] & 0x80 == 0 {
            return Err(TsError::invalid(
                WHAT,
                1,
                format!(
                    "table {:#04x} is a short-form section (section_syntax_indicator 0)",
                    head[0]
                ),
            ));
        }
        if total < Self::HEADER_LEN + Self::CRC_LEN {
            return Err(TsError::invalid(
                WHAT,
                1,
                format!(
                    "section_length {section_length} is shorter than the 5-byte header and 4-byte crc"
                ),
            ));
        }
        let s = data
            .get(..total)
            .ok_or_else(|| TsError::truncated(WHAT, total, data.len()))?;
        let crc_at = total - Self::CRC_LEN;
        let stored = u32::from_be_bytes([s[crc_at], s[crc_at + 1], s[crc_at + 2], s[crc_at + 3]]);
        let computed = crc32_mpeg2(&s[..crc_at]);
        if stored != computed {
            return Err(TsError::Crc {
                what: WHAT,
                stored,
                computed,
            });
        }
        let section_number = s[6];
        let last_section_number = s[7];
        if section_number > last_section_number {
            return Err(TsError::invalid(
                WHAT,
                6,
                format!(
                    "section_number {section_number} is past last_section_number {last_section_number}"
                ),
            ));
        }
        Ok(PsiSection {
            table_id: s[0],
            table_id_extension: u16::from_be_bytes([s[3], s[4]]),
            version: (s[5] >> 1) & 0x1F,
            current_next: s[5] & 0x01 != 0,
            section_number,
            last_section_number,
            body: Bytes::copy_from_slice(&s[Self::HEADER_LEN..crc_at]),
        })
    }

    /// Writes the section: header with `section_syntax_indicator` 1, the `'0'` bit and
    /// reserved bits set as PAT/PMT require, the computed `section_length`, the body and the
    /// CRC. Fails, writing nothing, when the body exceeds [`PsiSection::MAX_BODY_LEN`].
    pub fn write_to(&self, out: &mut impl BufMut) -> Result<(), TsError> {
        out.put_slice(&self.to_bytes()?);
        Ok(())
    }

    /// The section as bytes; see [`PsiSection::write_to`].
    pub fn to_bytes(&self) -> Result<Bytes, TsError> {
        if self.body.len() > Self::MAX_BODY_LEN {
            return Err(TsError::TooLarge {
                what: WHAT,
                field: "body length",
                value: self.body.len() as u64,
                limit: Self::MAX_BODY_LEN as u64,
            });
        }
        let section_length = 5 + self.body.len() + Self::CRC_LEN;
        let mut s = Vec::with_capacity(3 + section_length);
        s.put_u8(self.table_id);
        // section_syntax_indicator 1, '0', reserved '11', 12-bit length (checked above).
        s.put_u16(0xB000 | section_length as u16);
        s.put_u16(self.table_id_extension);
        s.put_u8(0xC0 | ((self.version & 0x1F) << 1) | u8::from(self.current_next));
        s.put_u8(self.section_number);
        s.put_u8(self.last_section_number);
        s.put_slice(&self.body);
        let crc = crc32_mpeg2(&s);
        s.put_u32(crc);
        Ok(Bytes::from(s))
    }
}

/// Reassembles the sections of one PID from packet payloads.
///
/// Handles the `pointer_field` of packets that start a section (§2.4.4.2), sections that span
/// packets, several sections in one packet, and 0xFF stuffing after the last section. Memory is
/// bounded by [`MAX_SECTION_LEN`]: a header stating a longer section is reported and dropped.
/// Sections come out as raw bytes (header to CRC); [`PsiSection::parse`] checks them.
#[derive(Clone, Debug, Default)]
pub struct SectionAssembler {
    /// The section being collected (at most [`MAX_SECTION_LEN`] bytes).
    buf: Vec<u8>,
    /// Whether `buf` holds the start of a section whose end is still to come.
    collecting: bool,
}

impl SectionAssembler {
    /// An assembler with nothing collected.
    pub fn new() -> SectionAssembler {
        SectionAssembler::default()
    }

    /// Drops a partly collected section (after a lost packet, its bytes cannot be trusted).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.collecting = false;
    }

    /// Whether a section is partly collected.
    pub fn is_collecting(&self) -> bool {
        self.collecting
    }

    /// Feeds one packet's payload; `pusi` is its `payload_unit_start_indicator`. Returns the
    /// sections completed by it, in order, and an error for each that had to be dropped (a
    /// `pointer_field` past the payload, a section longer than the limit, a section cut short
    /// by the start of the next).
    pub fn push(&mut self, pusi: bool, payload: &[u8]) -> Vec<Result<Bytes, TsError>> {
        let mut out = Vec::new();
        if !pusi {
            if self.collecting {
                let (_, done) = self.feed(payload);
                if let Some(r) = done {
                    // Without a unit start, no new section begins in this payload: the rest
                    // is stuffing.
                    self.reset();
                    out.push(r);
                }
            }
            return out;
        }
        let Some((&pointer, rest)) = payload.split_first() else {
            self.reset();
            out.push(Err(TsError::truncated("pointer_field", 1, 0)));
            return out;
        };
        let pointer = usize::from(pointer);
        let Some((tail, fresh)) = rest.split_at_checked(pointer) else {
            self.reset();
            out.push(Err(TsError::invalid(
                "pointer_field",
                0,
                format!(
                    "pointer_field {pointer} points past the {}-byte payload",
                    rest.len()
                ),
            )));
            return out;
        };
        if self.collecting {
            match self.feed(tail) {
                (_, Some(r)) => out.push(r),
                (_, None) => out.push(Err(TsError::invalid(
                    WHAT,
                    0,
                    format!(
                        "section cut short after {} bytes by the start of the next",
                        self.buf.len()
                    ),
                ))),
            }
        }
        self.reset();
        let mut fresh = fresh;
        while let Some(&first) = fresh.first() {
            if first == 0xFF {
                // table_id 0xFF is forbidden: the rest of the payload is stuffing.
                break;
            }
            self.collecting = true;
            let (used, done) = self.feed(fresh);
            fresh = &fresh[used..];
            match done {
                None => break,
                Some(r) => {
                    let bad = r.is_err();
                    self.reset();
                    out.push(r);
                    if bad {
                        // A length we cannot trust leaves no way to find the next section.
                        break;
                    }
                }
            }
        }
        out
    }

    /// Appends bytes of the current section, no more than it needs. Returns how many bytes
    /// were used and, once the section is complete (or its length is unacceptable), the
    /// result.
    fn feed(&mut self, data: &[u8]) -> (usize, Option<Result<Bytes, TsError>>) {
        let mut used = 0;
        if self.buf.len() < 3 {
            let k = (3 - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..k]);
            used = k;
        }
        let Some(head) = self.buf.first_chunk::<3>() else {
            return (used, None);
        };
        let total = PsiSection::total_len(head);
        if total > MAX_SECTION_LEN {
            return (
                used,
                Some(Err(TsError::TooLarge {
                    what: WHAT,
                    field: "section_length",
                    value: (total - 3) as u64,
                    limit: MAX_SECTION_LENGTH as u64,
                })),
            );
        }
        let k = (total - self.buf.len()).min(data.len() - used);
        self.buf.extend_from_slice(&data[used..used + k]);
        used += k;
        if self.buf.len() == total {
            (used, Some(Ok(Bytes::copy_from_slice(&self.buf))))
        } else {
            (used, None)
        }
    }
}

/// Writes one section as transport packets on `pid`: the first packet has the unit start
/// flag and `pointer_field` 0, the section continues across as many packets as it needs, and
/// the last is padded with 0xFF (stuffing after a section, §2.4.4.2). Each packet has a
/// payload, so `cc` advances once per packet; it is left at the value for the next packet.
/// Returns the number of packets written.
pub fn write_section_packets(
    pid: Pid,
    section: &[u8],
    cc: &mut ContinuityCounter,
    out: &mut impl BufMut,
) -> usize {
    const ROOM: usize = TS_PACKET_SIZE - TsPacketHeader::LEN;
    let mut rest = section;
    let mut packets = 0;
    loop {
        let first = packets == 0;
        TsPacketHeader::new(pid, first, *cc).write_to(out);
        *cc = cc.next();
        let mut room = ROOM;
        if first {
            out.put_u8(0);
            room -= 1;
        }
        let n = rest.len().min(room);
        out.put_slice(&rest[..n]);
        out.put_bytes(0xFF, room - n);
        rest = &rest[n..];
        packets += 1;
        if rest.is_empty() {
            return packets;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ts::packet::TsPacket;

    fn section(body: &[u8]) -> PsiSection {
        PsiSection {
            table_id: 0x02,
            table_id_extension: 0x0001,
            version: 7,
            current_next: true,
            section_number: 0,
            last_section_number: 0,
            body: Bytes::copy_from_slice(body),
        }
    }

    #[test]
    fn crc_matches_the_known_pat() {
        // ffmpeg's PAT for one program (number 1, PMT PID 0x1000).
        let pat = [
            0x00, 0xB0, 0x0D, 0x00, 0x01, 0xC1, 0x00, 0x00, 0x00, 0x01, 0xF0, 0x00,
        ];
        assert_eq!(crc32_mpeg2(&pat), 0x2AB104B2);
        let mut whole = pat.to_vec();
        whole.extend_from_slice(&0x2AB104B2u32.to_be_bytes());
        assert_eq!(crc32_mpeg2(&whole), 0);
        let s = PsiSection::parse(&whole).unwrap();
        assert_eq!(s.table_id_extension, 1);
        assert_eq!(s.version, 0);
        assert_eq!(&s.to_bytes().unwrap()[..], &whole[..]);
    }

    #[test]
    fn section_round_trips() {
        let s = section(&[1, 2, 3, 4, 5]);
        let mut out = Vec::new();
        s.write_to(&mut out).unwrap();
        assert_eq!(out.len(), 8 + 5 + 4);
        assert_eq!(PsiSection::parse(&out).unwrap(), s);
        // Trailing stuffing is not part of it.
        out.extend_from_slice(&[0xFF; 10]);
        assert_eq!(PsiSection::parse(&out).unwrap(), s);
        // Largest body.
        let big = section(&[0xAB; PsiSection::MAX_BODY_LEN]);
        let bytes = big.to_bytes().unwrap();
        assert_eq!(bytes.len(), MAX_SECTION_LEN);
        assert_eq!(PsiSection::parse(&bytes).unwrap(), big);
        assert!(
            section(&[0; PsiSection::MAX_BODY_LEN + 1])
                .to_bytes()
                .is_err()
        );
    }

    #[test]
    fn damaged_sections_are_rejected() {
        let good = section(&[9; 20]).to_bytes().unwrap();
        let mut bad = good.to_vec();
        bad[10] ^= 1;
        assert!(matches!(PsiSection::parse(&bad), Err(TsError::Crc { .. })));
        // Length past the data.
        assert!(matches!(
            PsiSection::parse(&good[..good.len() - 1]),
            Err(TsError::Truncated { .. })
        ));
        // Length shorter than the header.
        let e = PsiSection::parse(&[0x02, 0xB0, 0x05, 0, 1, 0xC1, 0, 0]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "psi section: section_length 5 is shorter than the 5-byte header and 4-byte crc at byte 1"
        );
        // Over the limit.
        assert!(matches!(
            PsiSection::parse(&[0x02, 0xBF, 0xFF]),
            Err(TsError::TooLarge { .. })
        ));
        // Short form.
        assert!(PsiSection::parse(&[0x02, 0x30, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
        for n in 0..good.len() {
            let _ = PsiSection::parse(&good[..n]);
        }
    }

    fn payloads(section: &[u8]) -> Vec<(bool, Vec<u8>)> {
        let mut out = Vec::new();
        let mut cc = ContinuityCounter::default();
        let n = write_section_packets(Pid::new(0x1000).unwrap(), section, &mut cc, &mut out);
        assert_eq!(out.len(), n * 188);
        assert_eq!(cc.value() as usize, n % 16);
        out.chunks(188)
            .map(|c| {
                let p = TsPacket::parse(c.try_into().unwrap()).unwrap();
                (p.header.pusi, p.payload.to_vec())
            })
            .collect()
    }

    #[test]
    fn sections_split_across_packets_reassemble() {
        let s = section(&[0x5A; 600]).to_bytes().unwrap();
        let packets = payloads(&s);
        assert_eq!(packets.len(), 4);
        let mut asm = SectionAssembler::new();
        let mut got = Vec::new();
        for (pusi, payload) in &packets {
            got.extend(asm.push(*pusi, payload));
        }
        assert_eq!(got, vec![Ok(s)]);
        assert!(!asm.is_collecting());
    }

    #[test]
    fn several_sections_in_one_packet_and_a_tail_before_the_pointer() {
        let a = section(&[1; 10]).to_bytes().unwrap();
        let b = section(&[2; 20]).to_bytes().unwrap();
        let c = section(&[3; 200]).to_bytes().unwrap();
        // Packet 1: a, b, then the start of c. Packet 2: the end of c via pointer_field, then
        // a again, then stuffing.
        let mut p1 = vec![0u8];
        p1.extend_from_slice(&a);
        p1.extend_from_slice(&b);
        let split = 183 - a.len() - b.len();
        p1.extend_from_slice(&c[..split]);
        assert_eq!(p1.len(), 184);
        let tail = &c[split..];
        let mut p2 = vec![tail.len() as u8];
        p2.extend_from_slice(tail);
        p2.extend_from_slice(&a);
        p2.resize(184, 0xFF);
        let mut asm = SectionAssembler::new();
        assert_eq!(asm.push(true, &p1), vec![Ok(a.clone()), Ok(b)]);
        assert_eq!(asm.push(true, &p2), vec![Ok(c), Ok(a)]);
    }

    #[test]
    fn assembler_reports_damage() {
        let mut asm = SectionAssembler::new();
        // pointer_field past the payload
        let r = asm.push(true, &[200, 0, 0]);
        assert!(matches!(r[..], [Err(_)]));
        // section_length over the limit: dropped, nothing buffered
        let r = asm.push(true, &[0, 0x02, 0xBF, 0xFF, 1, 2, 3]);
        assert!(matches!(r[..], [Err(TsError::TooLarge { .. })]));
        assert!(!asm.is_collecting());
        // a section cut short by the next unit start
        let s = section(&[7; 300]).to_bytes().unwrap();
        assert!(asm.push(true, &[&[0u8][..], &s[..150]].concat()).is_empty());
        let r = asm.push(true, &[0, 0xFF]);
        assert!(matches!(r[..], [Err(TsError::Invalid { .. })]));
        // continuation without a start is ignored
        assert!(asm.push(false, &s[150..]).is_empty());
        // empty payload with unit start
        assert!(matches!(asm.push(true, &[])[..], [Err(_)]));
    }

    #[test]
    fn assembler_never_panics_on_any_split() {
        let s = section(&[0x42; 100]).to_bytes().unwrap();
        let mut stream = vec![0u8];
        stream.extend_from_slice(&s);
        stream.extend_from_slice(&s);
        for cut in 1..stream.len() {
            let mut asm = SectionAssembler::new();
            let mut got = asm.push(true, &stream[..cut]);
            got.extend(asm.push(false, &stream[cut..]));
            assert!(got.iter().all(|r| r.is_ok()), "cut {cut}");
        }
        let mut seed = 0x1234_5678u32;
        let mut asm = SectionAssembler::new();
        for _ in 0..2000 {
            let data: Vec<u8> = (0..184)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    seed as u8
                })
                .collect();
            for r in asm.push(seed & 1 == 0, &data).into_iter().flatten() {
                let _ = PsiSection::parse(&r);
            }
        }
    }
}
