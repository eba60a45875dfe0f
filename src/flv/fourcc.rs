//! Enhanced RTMP FourCC codec identifiers and the multitrack/ModEx framing shared by audio and
//! video tag bodies (Enhanced RTMP v1 and v2).

use std::fmt;

use bytes::{Buf, Bytes};

/// A four-character codec code as Enhanced RTMP writes it (`hvc1`, `Opus`, ...). Open: any
/// four bytes are kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FourCc(pub [u8; 4]);

impl FourCc {
    /// H.264.
    pub const AVC1: FourCc = FourCc(*b"avc1");
    /// HEVC.
    pub const HVC1: FourCc = FourCc(*b"hvc1");
    /// AV1.
    pub const AV01: FourCc = FourCc(*b"av01");
    /// VP9.
    pub const VP09: FourCc = FourCc(*b"vp09");
    /// VP8.
    pub const VP08: FourCc = FourCc(*b"vp08");
    /// Opus.
    pub const OPUS: FourCc = FourCc(*b"Opus");
    /// FLAC.
    pub const FLAC: FourCc = FourCc(*b"fLaC");
    /// AC-3.
    pub const AC3: FourCc = FourCc(*b"ac-3");
    /// E-AC-3.
    pub const EAC3: FourCc = FourCc(*b"ec-3");
    /// AAC.
    pub const MP4A: FourCc = FourCc(*b"mp4a");
    /// MP3.
    pub const MP3: FourCc = FourCc(*b".mp3");

    /// The code as a big-endian number, the form `videocodecid`/`audiocodecid` take in
    /// onMetaData for enhanced codecs.
    pub fn as_u32(self) -> u32 {
        u32::from_be_bytes(self.0)
    }
}

impl fmt::Debug for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self)
    }
}

impl fmt::Display for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in &self.0 {
            if b.is_ascii_graphic() || b == b' ' {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

/// How a multitrack tag packs its tracks (Enhanced RTMP v2 AvMultitrackType).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MultitrackType {
    /// One track, with a track id, no size field.
    OneTrack,
    /// Several tracks of one codec, each with a size.
    ManyTracks,
    /// Several tracks, each with its own FourCC and a size.
    ManyTracksManyCodecs,
}

impl MultitrackType {
    pub(crate) fn from_bits(v: u8) -> Option<MultitrackType> {
        match v {
            0 => Some(MultitrackType::OneTrack),
            1 => Some(MultitrackType::ManyTracks),
            2 => Some(MultitrackType::ManyTracksManyCodecs),
            _ => None,
        }
    }

    pub(crate) fn bits(self) -> u8 {
        match self {
            MultitrackType::OneTrack => 0,
            MultitrackType::ManyTracks => 1,
            MultitrackType::ManyTracksManyCodecs => 2,
        }
    }
}

/// Fails with `what` when fewer than `n` bytes remain.
pub(crate) fn need(b: &Bytes, n: usize, what: &str) -> Result<(), String> {
    if b.remaining() < n {
        Err(format!(
            "truncated {what}: needs {n} bytes, {} left",
            b.remaining()
        ))
    } else {
        Ok(())
    }
}

pub(crate) fn read_fourcc(b: &mut Bytes) -> Result<FourCc, String> {
    need(b, 4, "fourcc")?;
    let mut cc = [0u8; 4];
    b.copy_to_slice(&mut cc);
    Ok(FourCc(cc))
}

/// One track of a multitrack tag.
pub(crate) struct TrackBody {
    pub cc: FourCc,
    pub track_id: u8,
    pub data: Bytes,
}

/// Reads a multitrack tag body after its first byte: the AvMultitrackType/packet type byte,
/// the shared FourCC (unless each track has its own), then each track's id, size and body.
/// Returns the packet type that applies to every track, and the tracks (at least one).
pub(crate) fn read_multitrack(body: &mut Bytes) -> Result<(u8, Vec<TrackBody>), String> {
    need(body, 1, "multitrack header")?;
    let b = body.get_u8();
    let mt = MultitrackType::from_bits(b >> 4)
        .ok_or_else(|| format!("unknown multitrack type {}", b >> 4))?;
    let shared = match mt {
        MultitrackType::ManyTracksManyCodecs => None,
        _ => Some(read_fourcc(body)?),
    };
    let mut tracks = Vec::new();
    while body.has_remaining() {
        let cc = match shared {
            Some(cc) => cc,
            None => read_fourcc(body)?,
        };
        need(body, 1, "track id")?;
        let track_id = body.get_u8();
        if mt == MultitrackType::OneTrack {
            tracks.push(TrackBody {
                cc,
                track_id,
                data: std::mem::take(body),
            });
            break;
        }
        need(body, 3, "track size")?;
        let size = body.get_uint(3) as usize;
        need(body, size, "track body")?;
        tracks.push(TrackBody {
            cc,
            track_id,
            data: body.split_to(size),
        });
    }
    if tracks.is_empty() {
        return Err("multitrack tag without tracks".into());
    }
    Ok((b & 0x0F, tracks))
}

/// ModEx (Enhanced RTMP v2): skips the modifier-extension blocks, returning the last
/// TimestampOffsetNano seen and the packet type that follows them.
pub(crate) fn read_mod_ex(b: &mut Bytes) -> Result<(Option<u32>, u8), String> {
    let mut nanos = None;
    // Each round consumes at least 2 bytes, so this ends on any input.
    loop {
        need(b, 1, "modex size")?;
        let mut size = usize::from(b.get_u8()) + 1;
        if size == 256 {
            need(b, 2, "modex size")?;
            size = usize::from(b.get_u16()) + 1;
        }
        need(b, size + 1, "modex data")?;
        let data = b.split_to(size);
        let next = b.get_u8();
        let mod_ex_type = next >> 4;
        let packet_type = next & 0x0F;
        if mod_ex_type == 0 && data.len() >= 3 {
            nanos = Some(u32::from_be_bytes([0, data[0], data[1], data[2]]));
        }
        if packet_type != MOD_EX {
            return Ok((nanos, packet_type));
        }
    }
}

/// The packet type value that announces ModEx blocks (both audio and video).
pub(crate) const MOD_EX: u8 = 7;
