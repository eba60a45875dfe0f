//! `stsd` and its sample entries (ISO/IEC 14496-12 §8.5.2, §12.1.3, §12.2.3): the codec of a
//! track and its configuration box (`avcC`, `hvcC`, `esds`).

use bytes::Bytes;

use super::esds::Esds;
use super::{BoxType, Reader, children, full_box, write_box, write_full_box};
use crate::mp4::error::F4vError;

/// What a sample entry describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SampleEntryKind {
    /// Video: `avc1`, `avc3`, `hvc1`, `hev1`, `av01`, `vp09`, ...
    Visual {
        /// Width in pixels.
        width: u16,
        /// Height in pixels.
        height: u16,
        /// The configuration box (`avcC`, `hvcC`, `av1C`, `vpcC`) and its body.
        config: Option<(BoxType, Bytes)>,
        /// The `pasp` box (ISO/IEC 14496-12 §12.1.4): `hSpacing`, `vSpacing`, the pixel
        /// aspect ratio, when present. Read for inspection; not written.
        pasp: Option<(u32, u32)>,
    },
    /// Audio: `mp4a`, `.mp3`, `Opus`, `fLaC`, `ac-3`, `ec-3`, ...
    Audio {
        /// Channel count.
        channels: u16,
        /// Bits per sample.
        sample_size: u16,
        /// Sample rate (integer part of the 16.16 field).
        sample_rate: u32,
        /// The `esds` of an `mp4a`.
        esds: Option<Esds>,
        /// The codec's own configuration box (`dOps`, `dfLa`, `dac3`, `dec3`) and its body.
        config: Option<(BoxType, Bytes)>,
    },
    /// Anything else, kept raw (after the 8-byte SampleEntry header).
    Other(Bytes),
}

/// One sample entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleEntry {
    /// The format (the entry's box type).
    pub format: BoxType,
    /// Its content.
    pub kind: SampleEntryKind,
}

const VISUAL: &[&[u8; 4]] = &[b"avc1", b"avc3", b"hvc1", b"hev1", b"av01", b"vp09"];
const AUDIO: &[&[u8; 4]] = &[
    b"mp4a",
    b".mp3",
    b"ms\x00\x55",
    b"Opus",
    b"fLaC",
    b"ac-3",
    b"ec-3",
];

/// Configuration boxes kept from a visual sample entry.
const VISUAL_CONFIG: &[&[u8; 4]] = &[b"avcC", b"hvcC", b"av1C", b"vpcC"];
/// Configuration boxes kept from an audio sample entry (besides `esds`).
const AUDIO_CONFIG: &[&[u8; 4]] = &[b"dOps", b"dfLa", b"dac3", b"dec3"];

/// Reads an `stsd` body: its sample entries.
pub fn parse_stsd(body: &[u8], offset: u64) -> Result<Vec<SampleEntry>, F4vError> {
    let (_, _, rest) = full_box(body, "stsd", offset)?;
    let mut r = Reader::new(rest, "stsd", offset);
    let n = r.count(8, "entry_count")?;
    let base = offset + 8 + 8; // box header, version/flags and count: children start here
    let entries = children(rest, 4, rest.len(), base - 4)?;
    if entries.len() < n {
        return Err(F4vError::invalid(
            "stsd",
            offset,
            format!("entry_count {n} but {} entries", entries.len()),
        ));
    }
    entries
        .iter()
        .take(n)
        .map(|h| {
            let start = (h.body_start() - (base - 4)) as usize;
            let end = (h.end() - (base - 4)) as usize;
            parse_entry(h.box_type, &rest[start..end], h.offset)
        })
        .collect()
}

fn parse_entry(format: BoxType, body: &[u8], offset: u64) -> Result<SampleEntry, F4vError> {
    let what = format.name();
    let mut r = Reader::new(body, &what, offset);
    r.bytes(8)?; // reserved, data_reference_index
    let kind = if VISUAL.contains(&&format.0) {
        r.bytes(16)?;
        let width = r.u16()?;
        let height = r.u16()?;
        r.bytes(4 + 4 + 4 + 2 + 32 + 2 + 2)?;
        let at = 8 + 70;
        let mut config = None;
        let mut pasp = None;
        for c in children(body, at, body.len(), offset + 8)? {
            let b = &body[(c.body_start() - offset - 8) as usize..(c.end() - offset - 8) as usize];
            if VISUAL_CONFIG.contains(&&c.box_type.0) {
                config = Some((c.box_type, Bytes::copy_from_slice(b)));
            } else if &c.box_type.0 == b"pasp" {
                if let (Some(h), Some(v)) = (b.get(..4), b.get(4..8)) {
                    let be = |x: &[u8]| u32::from_be_bytes([x[0], x[1], x[2], x[3]]);
                    pasp = Some((be(h), be(v))).filter(|p| p.0 > 0 && p.1 > 0);
                }
            }
        }
        SampleEntryKind::Visual {
            width,
            height,
            config,
            pasp,
        }
    } else if AUDIO.contains(&&format.0) {
        let version = r.u16()?;
        r.bytes(6)?;
        let channels = r.u16()?;
        let sample_size = r.u16()?;
        r.bytes(4)?;
        let sample_rate = r.u32()? >> 16;
        // QuickTime sound description versions 1 and 2 add fields before the children.
        let extra = match version {
            1 => 16,
            2 => 36,
            _ => 0,
        };
        let at = 8 + 20 + extra;
        let mut esds = None;
        let mut config = None;
        if at <= body.len() {
            for c in children(body, at, body.len(), offset + 8)? {
                let b =
                    &body[(c.body_start() - offset - 8) as usize..(c.end() - offset - 8) as usize];
                if &c.box_type.0 == b"esds" {
                    esds = Some(Esds::parse(b, c.offset)?);
                } else if AUDIO_CONFIG.contains(&&c.box_type.0) {
                    config = Some((c.box_type, Bytes::copy_from_slice(b)));
                }
            }
        }
        SampleEntryKind::Audio {
            channels,
            sample_size,
            sample_rate,
            esds,
            config,
        }
    } else {
        SampleEntryKind::Other(Bytes::copy_from_slice(&body[8.min(body.len())..]))
    };
    Ok(SampleEntry { format, kind })
}

/// Writes an `stsd` box with one entry.
pub fn write_stsd(entry: &SampleEntry, out: &mut Vec<u8>) {
    write_full_box(out, b"stsd", 0, 0, |o| {
        o.extend_from_slice(&1u32.to_be_bytes());
        write_box(o, &entry.format.0, |e| {
            e.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
            match &entry.kind {
                SampleEntryKind::Visual {
                    width,
                    height,
                    config,
                    ..
                } => {
                    e.extend_from_slice(&[0; 16]);
                    e.extend_from_slice(&width.to_be_bytes());
                    e.extend_from_slice(&height.to_be_bytes());
                    e.extend_from_slice(&0x0048_0000u32.to_be_bytes()); // 72 dpi
                    e.extend_from_slice(&0x0048_0000u32.to_be_bytes());
                    e.extend_from_slice(&[0; 4]);
                    e.extend_from_slice(&1u16.to_be_bytes()); // frame count
                    e.extend_from_slice(&[0; 32]);
                    e.extend_from_slice(&0x0018u16.to_be_bytes()); // depth 24
                    e.extend_from_slice(&(-1i16).to_be_bytes());
                    if let Some((t, body)) = config {
                        write_box(e, &t.0, |c| c.extend_from_slice(body));
                    }
                }
                SampleEntryKind::Audio {
                    channels,
                    sample_size,
                    sample_rate,
                    esds,
                    config,
                } => {
                    e.extend_from_slice(&[0; 8]);
                    e.extend_from_slice(&channels.to_be_bytes());
                    e.extend_from_slice(&sample_size.to_be_bytes());
                    e.extend_from_slice(&[0; 4]);
                    // 16.16 fixed point: a rate past 65535 Hz does not fit, and is written
                    // as 0 (the codec's record holds the real one), as ffmpeg does.
                    let rate = if *sample_rate > 0xFFFF {
                        0
                    } else {
                        *sample_rate
                    };
                    e.extend_from_slice(&(rate << 16).to_be_bytes());
                    if let Some(esds) = esds {
                        esds.write_to(e);
                    }
                    if let Some((t, body)) = config {
                        write_box(e, &t.0, |c| c.extend_from_slice(body));
                    }
                }
                SampleEntryKind::Other(raw) => e.extend_from_slice(raw),
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mp4::boxes::esds::oti;

    #[test]
    fn round_trip_visual_audio_and_other() {
        for entry in [
            SampleEntry {
                format: BoxType(*b"avc1"),
                kind: SampleEntryKind::Visual {
                    width: 768,
                    height: 320,
                    config: Some((
                        BoxType(*b"avcC"),
                        Bytes::from_static(&[1, 0x64, 0, 0x1E, 0xFF, 0xE0, 0]),
                    )),
                    pasp: None,
                },
            },
            SampleEntry {
                format: BoxType(*b"mp4a"),
                kind: SampleEntryKind::Audio {
                    channels: 2,
                    sample_size: 16,
                    sample_rate: 44100,
                    esds: Some(Esds {
                        object_type: oti::MPEG4_AUDIO,
                        avg_bitrate: 0,
                        max_bitrate: 0,
                        decoder_specific: Bytes::from_static(&[0x12, 0x10]),
                    }),
                    config: None,
                },
            },
            SampleEntry {
                format: BoxType(*b"Opus"),
                kind: SampleEntryKind::Audio {
                    channels: 2,
                    sample_size: 16,
                    sample_rate: 48000,
                    esds: None,
                    config: Some((
                        BoxType(*b"dOps"),
                        Bytes::from_static(&[0, 2, 1, 0x38, 0, 0, 0xbb, 0x80, 0, 0, 0]),
                    )),
                },
            },
            SampleEntry {
                format: BoxType(*b"tx3g"),
                kind: SampleEntryKind::Other(Bytes::from_static(&[1, 2, 3])),
            },
        ] {
            let mut out = Vec::new();
            write_stsd(&entry, &mut out);
            let parsed = parse_stsd(&out[8..], 0).unwrap();
            assert_eq!(parsed, vec![entry]);
        }
        // An entry count the box cannot hold.
        assert!(parse_stsd(&[0, 0, 0, 0, 0, 0, 0, 5], 0).is_err());
    }
}
