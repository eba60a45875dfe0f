//! The program map table (ISO/IEC 13818-1 §2.4.4.8): the elementary streams of one program,
//! their stream types and PIDs, the PCR PID, and descriptors (§2.6). `table_id` 0x02.

use std::fmt;

use bytes::{BufMut, Bytes};

use super::TsError;
use super::packet::Pid;
use super::psi::PsiSection;

const WHAT: &str = "pmt";

/// The `stream_type` of an elementary stream (§2.4.4.9, Table 2-34, plus the ATSC/DVB values
/// in common use). Open, so values muxkit does not know survive a parse and a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamType(pub u8);

impl StreamType {
    /// MPEG-1 video (ISO/IEC 11172-2).
    pub const MPEG1_VIDEO: StreamType = StreamType(0x01);
    /// MPEG-2 video (ITU-T H.262).
    pub const MPEG2_VIDEO: StreamType = StreamType(0x02);
    /// MPEG-1 audio (ISO/IEC 11172-3): Layers I-III, MP3.
    pub const MPEG1_AUDIO: StreamType = StreamType(0x03);
    /// MPEG-2 audio (ISO/IEC 13818-3): the half-rate Layers I-III.
    pub const MPEG2_AUDIO: StreamType = StreamType(0x04);
    /// Private sections (§2.4.4.10).
    pub const PRIVATE_SECTIONS: StreamType = StreamType(0x05);
    /// PES packets with private data (DVB subtitles, AC-3 in DVB, ...).
    pub const PRIVATE_PES: StreamType = StreamType(0x06);
    /// AAC with ADTS framing (ISO/IEC 13818-7).
    pub const AAC_ADTS: StreamType = StreamType(0x0F);
    /// MPEG-4 part 2 video.
    pub const MPEG4_VIDEO: StreamType = StreamType(0x10);
    /// AAC with LATM/LOAS framing (ISO/IEC 14496-3).
    pub const AAC_LATM: StreamType = StreamType(0x11);
    /// Metadata carried in PES packets (§2.12.4): timed ID3 for HLS.
    pub const METADATA: StreamType = StreamType(0x15);
    /// H.264 / AVC (Annex B byte stream).
    pub const H264: StreamType = StreamType(0x1B);
    /// H.265 / HEVC (Annex B byte stream).
    pub const HEVC: StreamType = StreamType(0x24);
    /// AC-3 (ATSC A/52).
    pub const AC3: StreamType = StreamType(0x81);
    /// SCTE-35 splice information sections.
    pub const SCTE35: StreamType = StreamType(0x86);
    /// E-AC-3 (ATSC A/52).
    pub const EAC3: StreamType = StreamType(0x87);

    /// A short name for reports (`h264`, `aac`, ...), `None` for values muxkit has no name for.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::MPEG1_VIDEO => "mpeg1video",
            Self::MPEG2_VIDEO => "mpeg2video",
            Self::MPEG1_AUDIO => "mpeg1audio",
            Self::MPEG2_AUDIO => "mpeg2audio",
            Self::PRIVATE_SECTIONS => "private-sections",
            Self::PRIVATE_PES => "private-pes",
            Self::AAC_ADTS => "aac",
            Self::MPEG4_VIDEO => "mpeg4video",
            Self::AAC_LATM => "aac-latm",
            Self::METADATA => "metadata",
            Self::H264 => "h264",
            Self::HEVC => "hevc",
            Self::AC3 => "ac3",
            Self::SCTE35 => "scte35",
            Self::EAC3 => "eac3",
            _ => return None,
        })
    }
}

impl fmt::Display for StreamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{:#04x} ({n})", self.0),
            None => write!(f, "{:#04x}", self.0),
        }
    }
}

/// One descriptor (§2.6): a tag and its bytes, kept raw so unknown ones survive.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Descriptor {
    /// `descriptor_tag`.
    pub tag: u8,
    /// The bytes after `descriptor_length` (at most 255).
    pub data: Bytes,
}

/// `metadata_application_format` 0xFFFF ("defined by the identifier that follows"), the
/// identifier `'ID3 '`, `metadata_format` 0xFF ("defined by the identifier that follows"), the
/// identifier `'ID3 '`, `metadata_service_id` 0: the common start of both timed ID3
/// descriptors in Apple's "Timed Metadata for HTTP Live Streaming" §2.
const ID3_METADATA_HEAD: [u8; 11] = [
    0xFF, 0xFF, b'I', b'D', b'3', b' ', 0xFF, b'I', b'D', b'3', b' ',
];

impl Descriptor {
    /// `registration_descriptor` (§2.6.8).
    pub const REGISTRATION: u8 = 0x05;
    /// `ISO_639_language_descriptor` (§2.6.18).
    pub const LANGUAGE: u8 = 0x0A;
    /// `metadata_pointer_descriptor` (§2.6.58).
    pub const METADATA_POINTER: u8 = 0x25;
    /// `metadata_descriptor` (§2.6.60).
    pub const METADATA: u8 = 0x26;

    /// A `registration_descriptor` (§2.6.8) with its `format_identifier` (`AC-3`, `EAC3`).
    pub fn registration(format_identifier: [u8; 4]) -> Descriptor {
        Descriptor {
            tag: Self::REGISTRATION,
            data: Bytes::copy_from_slice(&format_identifier),
        }
    }

    /// The `metadata_pointer_descriptor` an HLS timed-ID3 program carries in its program info
    /// (Apple, "Timed Metadata for HTTP Live Streaming" §2), pointing at metadata carried in
    /// this program (`MPEG_carriage_flags` 0, which makes `program_number` the last field).
    pub fn id3_metadata_pointer(program_number: u16) -> Descriptor {
        let mut d = ID3_METADATA_HEAD.to_vec();
        d.push(0x00); // metadata_service_id
        // metadata_locator_record_flag 0, MPEG_carriage_flags 00, reserved 11111
        d.push(0x1F);
        d.put_u16(program_number);
        Descriptor {
            tag: Self::METADATA_POINTER,
            data: Bytes::from(d),
        }
    }

    /// The `metadata_descriptor` an HLS timed-ID3 stream carries in its ES info (Apple,
    /// "Timed Metadata for HTTP Live Streaming" §2; what ffmpeg writes for timed ID3).
    pub fn id3_metadata() -> Descriptor {
        let mut d = ID3_METADATA_HEAD.to_vec();
        d.push(0x00); // metadata_service_id
        // decoder_config_flags 000, DSM-CC_flag 0, reserved 1111
        d.push(0x0F);
        Descriptor {
            tag: Self::METADATA,
            data: Bytes::from(d),
        }
    }

    /// Parses a descriptor loop (tag, length, data, repeated) that must fill `data` exactly.
    /// `base` is the loop's offset in the section, for error messages.
    pub fn parse_loop(data: &[u8], base: usize) -> Result<Vec<Descriptor>, TsError> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < data.len() {
            let (Some(&tag), Some(&len)) = (data.get(pos), data.get(pos + 1)) else {
                return Err(TsError::invalid(
                    "descriptor",
                    base + pos,
                    "descriptor header cut by the end of its loop",
                ));
            };
            let start = pos + 2;
            let end = start + usize::from(len);
            let body = data.get(start..end).ok_or_else(|| {
                TsError::invalid(
                    "descriptor",
                    base + pos,
                    format!(
                        "descriptor {tag:#04x} of {len} bytes runs past the end of its loop ({} bytes left)",
                        data.len() - start
                    ),
                )
            })?;
            out.push(Descriptor {
                tag,
                data: Bytes::copy_from_slice(body),
            });
            pos = end;
        }
        Ok(out)
    }

    /// Writes the descriptor; fails when its data exceeds the 255 bytes its length byte can
    /// state.
    pub fn write_to(&self, out: &mut impl BufMut) -> Result<(), TsError> {
        let len = u8::try_from(self.data.len()).map_err(|_| TsError::TooLarge {
            what: "descriptor",
            field: "descriptor_length",
            value: self.data.len() as u64,
            limit: 255,
        })?;
        out.put_u8(self.tag);
        out.put_u8(len);
        out.put_slice(&self.data);
        Ok(())
    }
}

/// Writes a descriptor loop behind its 12-bit length field (4 reserved bits set to 1).
fn write_loop(descriptors: &[Descriptor], out: &mut Vec<u8>) -> Result<(), TsError> {
    let mut body = Vec::new();
    for d in descriptors {
        d.write_to(&mut body)?;
    }
    // The length's top two bits must be 0 (§2.4.4.9): at most 1023 bytes.
    if body.len() > 0x3FF {
        return Err(TsError::TooLarge {
            what: WHAT,
            field: "descriptor loop length",
            value: body.len() as u64,
            limit: 0x3FF,
        });
    }
    out.put_u16(0xF000 | body.len() as u16);
    out.extend_from_slice(&body);
    Ok(())
}

/// One elementary stream of a program.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PmtStream {
    /// What the stream carries.
    pub stream_type: StreamType,
    /// `elementary_PID`.
    pub pid: Pid,
    /// The ES info descriptors.
    pub descriptors: Vec<Descriptor>,
}

/// A program map table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[doc(alias = "PMT")]
pub struct Pmt {
    /// The program this table describes (the section's `table_id_extension`).
    pub program_number: u16,
    /// The PID whose adaptation fields carry the program's PCR (0x1FFF: none).
    pub pcr_pid: Pid,
    /// Program info descriptors.
    pub program_info: Vec<Descriptor>,
    /// The elementary streams, in table order.
    pub streams: Vec<PmtStream>,
}

impl Pmt {
    /// The PMT's `table_id`.
    pub const TABLE_ID: u8 = 0x02;

    /// Reads a PMT from a parsed section; every length must fit the section.
    pub fn from_section(s: &PsiSection) -> Result<Pmt, TsError> {
        if s.table_id != Self::TABLE_ID {
            return Err(TsError::invalid(
                WHAT,
                0,
                format!("table_id {:#04x}, expected 0x02", s.table_id),
            ));
        }
        let b = &s.body[..];
        let base = PsiSection::HEADER_LEN;
        let Some(&[p0, p1, l0, l1]) = b.first_chunk::<4>() else {
            return Err(TsError::truncated(WHAT, base + 4, base + b.len()));
        };
        let pcr_pid = Pid::from_bits(u16::from_be_bytes([p0, p1]));
        let info_len = usize::from(u16::from_be_bytes([l0, l1]) & 0x0FFF);
        let info = b.get(4..4 + info_len).ok_or_else(|| {
            TsError::invalid(
                WHAT,
                base + 2,
                format!(
                    "program_info_length {info_len} runs past the section ({} bytes left)",
                    b.len() - 4
                ),
            )
        })?;
        let program_info = Descriptor::parse_loop(info, base + 4)?;
        let mut streams = Vec::new();
        let mut pos = 4 + info_len;
        while pos < b.len() {
            let Some(&[ty, p0, p1, l0, l1]) = b.get(pos..).and_then(|r| r.first_chunk::<5>())
            else {
                return Err(TsError::invalid(
                    WHAT,
                    base + pos,
                    format!(
                        "{} bytes left where a 5-byte stream entry belongs",
                        b.len() - pos
                    ),
                ));
            };
            let es_len = usize::from(u16::from_be_bytes([l0, l1]) & 0x0FFF);
            let start = pos + 5;
            let es = b.get(start..start + es_len).ok_or_else(|| {
                TsError::invalid(
                    WHAT,
                    base + pos + 3,
                    format!(
                        "es_info_length {es_len} runs past the section ({} bytes left)",
                        b.len() - start
                    ),
                )
            })?;
            streams.push(PmtStream {
                stream_type: StreamType(ty),
                pid: Pid::from_bits(u16::from_be_bytes([p0, p1])),
                descriptors: Descriptor::parse_loop(es, base + start)?,
            });
            pos = start + es_len;
        }
        Ok(Pmt {
            program_number: s.table_id_extension,
            pcr_pid,
            program_info,
            streams,
        })
    }

    /// The stream on `pid`, if the table lists it.
    pub fn stream(&self, pid: Pid) -> Option<&PmtStream> {
        self.streams.iter().find(|s| s.pid == pid)
    }

    /// The table as a section: version 0, current, section 0 of 0 (set `version` on the
    /// result when the table changes). Fails when a descriptor or a descriptor loop is too long
    /// for its length field; a table too long for one section fails when the section is
    /// written ([`PsiSection::to_bytes`]).
    pub fn to_section(&self) -> Result<PsiSection, TsError> {
        let mut body = Vec::new();
        body.put_u16(0xE000 | self.pcr_pid.value());
        write_loop(&self.program_info, &mut body)?;
        for s in &self.streams {
            body.put_u8(s.stream_type.0);
            body.put_u16(0xE000 | s.pid.value());
            write_loop(&s.descriptors, &mut body)?;
        }
        Ok(PsiSection {
            table_id: Self::TABLE_ID,
            table_id_extension: self.program_number,
            version: 0,
            current_next: true,
            section_number: 0,
            last_section_number: 0,
            body: Bytes::from(body),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(v: u16) -> Pid {
        Pid::new(v).unwrap()
    }

    #[test]
    fn matches_ffmpeg_h264_aac_pmt() {
        // ffmpeg's PMT for H.264 on 0x100 and AAC on 0x101, PCR on 0x100.
        let pmt = Pmt {
            program_number: 1,
            pcr_pid: pid(0x100),
            program_info: vec![],
            streams: vec![
                PmtStream {
                    stream_type: StreamType::H264,
                    pid: pid(0x100),
                    descriptors: vec![],
                },
                PmtStream {
                    stream_type: StreamType::AAC_ADTS,
                    pid: pid(0x101),
                    descriptors: vec![],
                },
            ],
        };
        let bytes = pmt.to_section().unwrap().to_bytes().unwrap();
        assert_eq!(
            &bytes[..12],
            [
                0x02, 0xB0, 0x17, 0x00, 0x01, 0xC1, 0x00, 0x00, 0xE1, 0x00, 0xF0, 0x00
            ]
        );
        assert_eq!(
            &bytes[12..22],
            [0x1B, 0xE1, 0x00, 0xF0, 0x00, 0x0F, 0xE1, 0x01, 0xF0, 0x00]
        );
        let back = Pmt::from_section(&PsiSection::parse(&bytes).unwrap()).unwrap();
        assert_eq!(back, pmt);
        assert_eq!(
            back.stream(pid(0x101)).unwrap().stream_type,
            StreamType::AAC_ADTS
        );
    }

    #[test]
    fn timed_id3_descriptors_are_apples() {
        let p = Descriptor::id3_metadata_pointer(1);
        let mut out = Vec::new();
        p.write_to(&mut out).unwrap();
        assert_eq!(
            out,
            [
                0x25, 0x0F, 0xFF, 0xFF, 0x49, 0x44, 0x33, 0x20, 0xFF, 0x49, 0x44, 0x33, 0x20, 0x00,
                0x1F, 0x00, 0x01
            ]
        );
        let m = Descriptor::id3_metadata();
        let mut out = Vec::new();
        m.write_to(&mut out).unwrap();
        assert_eq!(
            out,
            [
                0x26, 0x0D, 0xFF, 0xFF, 0x49, 0x44, 0x33, 0x20, 0xFF, 0x49, 0x44, 0x33, 0x20, 0x00,
                0x0F
            ]
        );
        let pmt = Pmt {
            program_number: 1,
            pcr_pid: pid(0x100),
            program_info: vec![p],
            streams: vec![PmtStream {
                stream_type: StreamType::METADATA,
                pid: pid(0x102),
                descriptors: vec![
                    m,
                    Descriptor {
                        tag: 0x0A,
                        data: Bytes::from_static(b"und\0"),
                    },
                ],
            }],
        };
        let back = Pmt::from_section(&pmt.to_section().unwrap()).unwrap();
        assert_eq!(back, pmt);
    }

    #[test]
    fn bad_lengths_are_errors() {
        let mut s = Pmt {
            program_number: 1,
            pcr_pid: pid(0x100),
            program_info: vec![],
            streams: vec![],
        }
        .to_section()
        .unwrap();
        for body in [
            &[0xE1, 0x00, 0xF0][..],                                       // short header
            &[0xE1, 0x00, 0xF0, 0x05, 0x0A, 0x01], // info length past the end
            &[0xE1, 0x00, 0xF0, 0x00, 0x1B, 0xE1], // cut stream entry
            &[0xE1, 0x00, 0xF0, 0x00, 0x1B, 0xE1, 0x00, 0xF0, 0x03, 0x0A], // es info past
            &[0xE1, 0x00, 0xF0, 0x02, 0x0A, 0x05], // descriptor past its loop
            &[0xE1, 0x00, 0xF0, 0x01, 0x0A],       // cut descriptor header
        ] {
            s.body = Bytes::copy_from_slice(body);
            assert!(Pmt::from_section(&s).is_err(), "{body:02x?}");
        }
        let too_long = Descriptor {
            tag: 1,
            data: Bytes::from(vec![0; 256]),
        };
        assert!(too_long.write_to(&mut Vec::new()).is_err());
    }
}
