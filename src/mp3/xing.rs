//! The first-frame headers encoders put in a frame of silence: Xing/Info (with LAME's
//! extension: encoder delay and padding) and Fraunhofer's VBRI.

use crate::codec::mpa::{MpegAudioHeader, MpegLayer, MpegVersion};

/// What a Xing, Info or VBRI header says about the stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct XingInfo {
    /// `Xing` (VBR), `Info` (CBR) or `VBRI`.
    pub kind: &'static str,
    /// Audio frames in the stream (not counting this one).
    pub frames: Option<u32>,
    /// Bytes of audio.
    pub bytes: Option<u32>,
    /// The encoder's name from the LAME extension (`LAME3.100`, `Lavc60.3`, ...).
    pub encoder: Option<String>,
    /// Samples the encoder added at the start (LAME extension or VBRI).
    pub encoder_delay: Option<u16>,
    /// Samples the encoder added at the end (LAME extension).
    pub encoder_padding: Option<u16>,
}

/// Bytes of side information after the header (and CRC) in a Layer III frame.
fn side_info_len(h: &MpegAudioHeader) -> usize {
    match (h.version, h.channels()) {
        (MpegVersion::Mpeg1, 1) => 17,
        (MpegVersion::Mpeg1, _) => 32,
        (_, 1) => 9,
        _ => 17,
    }
}

fn be32(b: &[u8]) -> Option<u32> {
    b.first_chunk::<4>().map(|c| u32::from_be_bytes(*c))
}

/// Looks for a Xing/Info or VBRI header in `frame` (a whole frame, header included).
pub(crate) fn parse(h: &MpegAudioHeader, frame: &[u8]) -> Option<XingInfo> {
    if h.layer != MpegLayer::Layer3 {
        return None;
    }
    let at = MpegAudioHeader::LEN + if h.protection { 2 } else { 0 } + side_info_len(h);
    if let Some(tag) = frame
        .get(at..at + 4)
        .filter(|t| *t == b"Xing" || *t == b"Info")
    {
        let kind = if tag == b"Xing" { "Xing" } else { "Info" };
        let flags = be32(frame.get(at + 4..)?)?;
        let mut pos = at + 8;
        let mut field = |present: bool, len: usize| -> Option<&[u8]> {
            if !present {
                return None;
            }
            let f = frame.get(pos..pos + len);
            pos += len;
            f
        };
        let frames = field(flags & 1 != 0, 4).and_then(be32);
        let bytes = field(flags & 2 != 0, 4).and_then(be32);
        let _toc = field(flags & 4 != 0, 100);
        let _quality = field(flags & 8 != 0, 4);
        let mut info = XingInfo {
            kind,
            frames,
            bytes,
            ..XingInfo::default()
        };
        // The LAME extension: 9 bytes of encoder name, then at +21 12 bits of delay and 12 of
        // padding.
        if let Some(lame) = frame.get(pos..pos + 24) {
            let name = &lame[..9];
            if name
                .iter()
                .all(|&c| c.is_ascii_graphic() || c == b' ' || c == 0)
                && name[0].is_ascii_alphabetic()
            {
                let end = name.iter().position(|&c| c == 0).unwrap_or(9);
                info.encoder = Some(String::from_utf8_lossy(&name[..end]).trim().to_owned());
                let d = &lame[21..24];
                info.encoder_delay = Some((u16::from(d[0]) << 4) | u16::from(d[1] >> 4));
                info.encoder_padding = Some((u16::from(d[1] & 0x0F) << 8) | u16::from(d[2]));
            }
        }
        return Some(info);
    }
    // VBRI sits 32 bytes after the header, whatever the mode.
    let v = MpegAudioHeader::LEN + 32;
    if frame.get(v..v + 4) == Some(b"VBRI") {
        let delay = frame
            .get(v + 6..v + 8)
            .map(|b| u16::from_be_bytes([b[0], b[1]]));
        return Some(XingInfo {
            kind: "VBRI",
            bytes: frame.get(v + 10..).and_then(be32),
            frames: frame.get(v + 14..).and_then(be32),
            encoder_delay: delay,
            ..XingInfo::default()
        });
    }
    None
}

/// Bytes of the Xing/Info fields written (id, flags, frames, bytes, TOC, quality) and of the
/// LAME extension after them.
const XING_FIELDS: usize = 120;
const LAME_EXT: usize = 36;

/// An Info/Xing frame being written at the start of an MP3 file: placeholders first, the
/// counts, TOC and CRC filled in by [`InfoFrame::finish`] once the stream has ended.
#[derive(Debug, Clone)]
pub struct InfoFrame {
    frame: Vec<u8>,
    xing_at: usize,
    lame: Option<crate::media::EncoderDelay>,
    /// Each audio frame's offset from the start of the Info frame.
    offsets: Vec<u64>,
    bitrates: (u32, u32),
    total: u64,
}

impl InfoFrame {
    /// An Info frame for a Layer III stream whose first frame has header `h`: same version,
    /// sample rate and channel mode, the smallest bitrate whose frame holds the fields. `None`
    /// for Layers I and II (no reader looks for the tag there).
    pub fn new(
        h: &MpegAudioHeader,
        delay: Option<&crate::media::EncoderDelay>,
    ) -> Option<InfoFrame> {
        if h.layer != MpegLayer::Layer3 {
            return None;
        }
        let side = side_info_len(h);
        let need = MpegAudioHeader::LEN + side + XING_FIELDS + LAME_EXT;
        let version_bits: u8 = match h.version {
            MpegVersion::Mpeg1 => 3,
            MpegVersion::Mpeg2 => 2,
            MpegVersion::Mpeg25 => 0,
        };
        let rate_index = match h.sample_rate {
            44100 | 22050 | 11025 => 0,
            48000 | 24000 | 12000 => 1,
            _ => 2,
        };
        let mode = match h.channel_mode {
            crate::codec::mpa::ChannelMode::Stereo => 0,
            crate::codec::mpa::ChannelMode::JointStereo => 1,
            crate::codec::mpa::ChannelMode::DualChannel => 2,
            crate::codec::mpa::ChannelMode::Mono => 3,
        };
        let (header, len) = (1..15u8).find_map(|index| {
            let bytes = [
                0xFF,
                0xE0 | (version_bits << 3) | (1 << 1) | 1,
                (index << 4) | (rate_index << 2),
                mode << 6,
            ];
            let parsed = MpegAudioHeader::from_bytes(bytes).ok()?;
            let len = parsed.frame_len()?;
            (len >= need).then_some((bytes, len))
        })?;
        let mut frame = vec![0u8; len];
        frame[..4].copy_from_slice(&header);
        let xing_at = MpegAudioHeader::LEN + side;
        frame[xing_at..xing_at + 4].copy_from_slice(b"Info");
        // Frames, bytes, TOC and quality present.
        frame[xing_at + 4..xing_at + 8].copy_from_slice(&0x0Fu32.to_be_bytes());
        Some(InfoFrame {
            frame,
            xing_at,
            lame: delay.cloned(),
            offsets: Vec::new(),
            bitrates: (u32::MAX, 0),
            total: 0,
        })
    }

    /// The frame as it goes at the start of the file (placeholders in the counts).
    pub fn bytes(&self) -> &[u8] {
        &self.frame
    }

    /// One audio frame of `len` bytes at `bitrate` was written after it.
    pub fn add(&mut self, len: usize, bitrate: u32) {
        self.offsets.push(self.frame.len() as u64 + self.total);
        self.total += len as u64;
        self.bitrates = (self.bitrates.0.min(bitrate), self.bitrates.1.max(bitrate));
    }

    /// The finished frame: `Xing` when the bitrate varied (`Info` otherwise), the frame and
    /// byte counts, the TOC, and the LAME extension with the encoder delay and padding when
    /// the source stated them (with the name of the encoder that did, which is what readers
    /// check before trusting them).
    pub fn finish(&mut self) -> &[u8] {
        let x = self.xing_at;
        if self.bitrates.0 != self.bitrates.1 && !self.offsets.is_empty() {
            self.frame[x..x + 4].copy_from_slice(b"Xing");
        }
        let frames = u32::try_from(self.offsets.len()).unwrap_or(u32::MAX);
        let bytes = self.frame.len() as u64 + self.total;
        self.frame[x + 8..x + 12].copy_from_slice(&frames.to_be_bytes());
        self.frame[x + 12..x + 16]
            .copy_from_slice(&u32::try_from(bytes).unwrap_or(u32::MAX).to_be_bytes());
        for i in 0..100 {
            let pos = self
                .offsets
                .get(i * self.offsets.len() / 100)
                .copied()
                .unwrap_or(0);
            self.frame[x + 16 + i] = (pos * 256 / bytes.max(1)).min(255) as u8;
        }
        if let Some(d) = &self.lame {
            let l = x + XING_FIELDS;
            let mut name = [b' '; 9];
            let encoder = d.encoder.as_deref().unwrap_or("muxkit");
            for (slot, b) in name.iter_mut().zip(encoder.bytes()) {
                *slot = b;
            }
            self.frame[l..l + 9].copy_from_slice(&name);
            let (delay, padding) = (d.delay.min(4095), d.padding.min(4095));
            self.frame[l + 21] = (delay >> 4) as u8;
            self.frame[l + 22] = ((delay & 0xF) << 4) as u8 | (padding >> 8) as u8;
            self.frame[l + 23] = padding as u8;
            self.frame[l + 28..l + 32]
                .copy_from_slice(&u32::try_from(bytes).unwrap_or(u32::MAX).to_be_bytes());
            // The tag's CRC-16 (CRC-16/ARC, as LAME computes it) over everything before it.
            let crc = crc::Crc::<u16>::new(&crc::CRC_16_ARC).checksum(&self.frame[..l + 34]);
            self.frame[l + 34..l + 36].copy_from_slice(&crc.to_be_bytes());
        }
        &self.frame
    }
}
