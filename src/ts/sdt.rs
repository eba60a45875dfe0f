//! DVB service information that names what a transport stream carries (ETSI EN 300 468):
//! the Service Description Table (§5.2.3, PID 0x0011, table 0x42, `service_descriptor` 0x48:
//! provider and service name) and the present/following Event Information Table (§5.2.4,
//! PID 0x0012, table 0x4E, `short_event_descriptor` 0x4D: event name and text).
//!
//! ffmpeg's MPEG-TS muxer writes an SDT by default (provider `FFmpeg`, service `Service01`).

use super::TsError;
use super::psi::PsiSection;

/// The PID of the SDT (and BAT).
pub const SDT_PID: u16 = 0x0011;
/// The PID of the EIT.
pub const EIT_PID: u16 = 0x0012;

/// Most services kept from SDTs, and events from EITs: a stream carrying more names than
/// this is a multiplex whose summary would not be read anyway, and the limit bounds memory
/// against a flood of distinct ids.
pub const MAX_SI_ENTRIES: usize = 256;

/// One service of an SDT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DvbService {
    /// `service_id`: the program number in the PAT/PMT.
    pub service_id: u16,
    /// `service_type` of the service descriptor (1 digital television, 2 digital radio, ...).
    pub service_type: Option<u8>,
    /// The provider name.
    pub provider: String,
    /// The service name.
    pub name: String,
}

/// One event of a present/following EIT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DvbEvent {
    /// The service the event belongs to.
    pub service_id: u16,
    /// `event_id`.
    pub event_id: u16,
    /// True for the present event (section 0), false for the following one (section 1).
    pub present: bool,
    /// ISO 639-2 language of the short event descriptor.
    pub language: String,
    /// The event name.
    pub name: String,
    /// The event's short text.
    pub text: String,
}

/// `service_descriptor` type names (EN 300 468 Table 87), for display.
pub fn service_type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        0x01 => "digital television",
        0x02 => "digital radio",
        0x03 => "teletext",
        0x0A => "advanced codec digital radio",
        0x11 => "mpeg-2 hd digital television",
        0x16 => "advanced codec sd digital television",
        0x19 => "advanced codec hd digital television",
        0x1F => "hevc digital television",
        _ => return None,
    })
}

/// Decodes a DVB text field (EN 300 468 Annex A): a first byte below 0x20 selects the
/// character table. UTF-8 (0x15) and UCS-2 (0x11) are decoded; the single-byte tables are
/// read as Latin-1, which is exact for their ASCII part; control codes 0x80..=0x9F
/// (emphasis on/off) are dropped and 0x8A is a line break.
pub fn dvb_text(data: &[u8]) -> String {
    let (table, rest) = match data.first() {
        Some(&b) if b < 0x20 => match b {
            0x10 => (b, data.get(3..).unwrap_or_default()),
            0x1F => (b, data.get(2..).unwrap_or_default()),
            _ => (b, &data[1..]),
        },
        _ => (0, data),
    };
    match table {
        0x15 => String::from_utf8_lossy(rest).into_owned(),
        0x11 => {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => rest
            .iter()
            .filter_map(|&b| match b {
                0x8A => Some('\n'),
                0x80..=0x9F => None,
                _ => Some(char::from(b)),
            })
            .collect(),
    }
}

/// Walks a descriptor loop, calling `f(tag, body)` for each; an overrunning descriptor is
/// an error.
fn descriptors(
    what: &'static str,
    data: &[u8],
    mut f: impl FnMut(u8, &[u8]),
) -> Result<(), TsError> {
    let mut i = 0;
    while i < data.len() {
        let len = usize::from(*data.get(i + 1).ok_or(TsError::truncated(
            what,
            i + 2,
            data.len(),
        ))?);
        let body = data.get(i + 2..i + 2 + len).ok_or(TsError::truncated(
            what,
            i + 2 + len,
            data.len(),
        ))?;
        f(data[i], body);
        i += 2 + len;
    }
    Ok(())
}

/// A length-prefixed text at `data[at..]`: (text, bytes used).
fn prefixed(data: &[u8], at: usize) -> Option<(String, usize)> {
    let len = usize::from(*data.get(at)?);
    Some((dvb_text(data.get(at + 1..at + 1 + len)?), 1 + len))
}

impl DvbService {
    /// The SDT's table id for the actual transport stream.
    pub const TABLE_ID: u8 = 0x42;

    /// The services of one SDT (actual TS) section.
    pub fn from_sdt(s: &PsiSection) -> Result<Vec<DvbService>, TsError> {
        const WHAT: &str = "sdt";
        if s.table_id != Self::TABLE_ID {
            return Err(TsError::invalid(
                WHAT,
                0,
                format!("table_id {:#04x}, expected 0x42", s.table_id),
            ));
        }
        let b = &s.body[..];
        // original_network_id (2), reserved_future_use (1).
        let mut i = 3;
        let mut out = Vec::new();
        while i < b.len() {
            let head = b
                .get(i..i + 5)
                .ok_or(TsError::truncated(WHAT, i + 5, b.len()))?;
            let service_id = u16::from_be_bytes([head[0], head[1]]);
            let len = usize::from(u16::from_be_bytes([head[3], head[4]]) & 0x0FFF);
            let loop_data =
                b.get(i + 5..i + 5 + len)
                    .ok_or(TsError::truncated(WHAT, i + 5 + len, b.len()))?;
            let mut service = DvbService {
                service_id,
                service_type: None,
                provider: String::new(),
                name: String::new(),
            };
            descriptors(WHAT, loop_data, |tag, body| {
                if tag == 0x48 {
                    service.service_type = body.first().copied();
                    if let Some((provider, used)) = prefixed(body, 1) {
                        service.provider = provider;
                        if let Some((name, _)) = prefixed(body, 1 + used) {
                            service.name = name;
                        }
                    }
                }
            })?;
            out.push(service);
            i += 5 + len;
        }
        Ok(out)
    }
}

impl DvbEvent {
    /// The EIT's table id for present/following events of the actual transport stream.
    pub const TABLE_ID: u8 = 0x4E;

    /// The events of one present/following EIT (actual TS) section.
    pub fn from_eit(s: &PsiSection) -> Result<Vec<DvbEvent>, TsError> {
        const WHAT: &str = "eit";
        if s.table_id != Self::TABLE_ID {
            return Err(TsError::invalid(
                WHAT,
                0,
                format!("table_id {:#04x}, expected 0x4e", s.table_id),
            ));
        }
        let b = &s.body[..];
        // transport_stream_id (2), original_network_id (2), segment_last_section_number,
        // last_table_id.
        let mut i = 6;
        let mut out = Vec::new();
        while i < b.len() {
            // event_id (2), start_time (5), duration (3), status + loop length (2).
            let head = b
                .get(i..i + 12)
                .ok_or(TsError::truncated(WHAT, i + 12, b.len()))?;
            let event_id = u16::from_be_bytes([head[0], head[1]]);
            let len = usize::from(u16::from_be_bytes([head[10], head[11]]) & 0x0FFF);
            let loop_data = b.get(i + 12..i + 12 + len).ok_or(TsError::truncated(
                WHAT,
                i + 12 + len,
                b.len(),
            ))?;
            let mut event = DvbEvent {
                service_id: s.table_id_extension,
                event_id,
                present: s.section_number == 0,
                language: String::new(),
                name: String::new(),
                text: String::new(),
            };
            descriptors(WHAT, loop_data, |tag, body| {
                if tag == 0x4D && body.len() >= 3 && event.name.is_empty() {
                    event.language = String::from_utf8_lossy(&body[..3]).into_owned();
                    if let Some((name, used)) = prefixed(body, 3) {
                        event.name = name;
                        if let Some((text, _)) = prefixed(body, 3 + used) {
                            event.text = text;
                        }
                    }
                }
            })?;
            out.push(event);
            i += 12 + len;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn section(table_id: u8, ext: u16, number: u8, body: Vec<u8>) -> PsiSection {
        PsiSection {
            table_id,
            table_id_extension: ext,
            version: 0,
            current_next: true,
            section_number: number,
            last_section_number: 1,
            body: Bytes::from(body),
        }
    }

    #[test]
    fn ffmpeg_sdt() {
        // What ffmpeg's mpegtsenc writes: network 0xFF01, service 1, FFmpeg / Service01.
        let mut body = vec![
            0xFF, 0x01, 0xFF, 0x00, 0x01, 0xFC, 0x80, 20, 0x48, 18, 0x01, 6,
        ];
        body.extend_from_slice(b"FFmpeg");
        body.push(9);
        body.extend_from_slice(b"Service01");
        let s = DvbService::from_sdt(&section(0x42, 1, 0, body)).unwrap();
        assert_eq!(
            s,
            vec![DvbService {
                service_id: 1,
                service_type: Some(1),
                provider: "FFmpeg".into(),
                name: "Service01".into(),
            }]
        );
        // Cut inside the descriptor loop: an error, not a panic.
        let mut short = vec![0xFF, 0x01, 0xFF, 0x00, 0x01, 0xFC, 0x80, 0x00, 0x30, 0x48];
        short.push(0);
        assert!(DvbService::from_sdt(&section(0x42, 1, 0, short)).is_err());
    }

    #[test]
    fn eit_present_event_and_texts() {
        let mut d = vec![0x4D, 0];
        d.extend_from_slice(b"eng");
        d.push(7);
        d.extend_from_slice(b"\x15News\xE2\x80");
        d.push(3);
        d.extend_from_slice(b"a\x8Ab");
        d[1] = (d.len() - 2) as u8;
        let mut body = vec![0, 1, 0xFF, 0x01, 1, 0x4E];
        body.extend_from_slice(&[0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0]);
        body.push(0x80 | ((d.len() >> 8) as u8));
        body.push(d.len() as u8);
        body.extend_from_slice(&d);
        let e = DvbEvent::from_eit(&section(0x4E, 7, 0, body)).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(
            (e[0].service_id, e[0].event_id, e[0].present),
            (7, 0x1234, true)
        );
        assert_eq!(e[0].language, "eng");
        assert_eq!(e[0].name, "News\u{FFFD}");
        assert_eq!(e[0].text, "a\nb");
        assert_eq!(dvb_text(b"\x11\x00A\x00B"), "AB");
    }
}
