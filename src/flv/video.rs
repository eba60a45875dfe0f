//! Video tag bodies: legacy (FrameType + CodecID, AVCPacketType + composition time) and
//! Enhanced RTMP v1/v2 (IsExHeader, FourCC, multitrack, ModEx). One parser serves FLV files and
//! RTMP video messages.

use bytes::{Buf, BufMut, Bytes};

use super::fourcc::{
    FourCc, MOD_EX, MultitrackType, need, read_fourcc, read_mod_ex, read_multitrack,
};

/// A legacy CodecID (the low nibble of the first body byte). Open newtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VideoCodecId(pub u8);

impl VideoCodecId {
    /// JPEG (never used in practice).
    pub const JPEG: VideoCodecId = VideoCodecId(1);
    /// Sorenson H.263.
    pub const SORENSON_H263: VideoCodecId = VideoCodecId(2);
    /// Screen video.
    pub const SCREEN_VIDEO: VideoCodecId = VideoCodecId(3);
    /// On2 VP6.
    pub const VP6: VideoCodecId = VideoCodecId(4);
    /// On2 VP6 with alpha.
    pub const VP6_ALPHA: VideoCodecId = VideoCodecId(5);
    /// Screen video version 2.
    pub const SCREEN_VIDEO_2: VideoCodecId = VideoCodecId(6);
    /// AVC.
    pub const AVC: VideoCodecId = VideoCodecId(7);
}

/// The frame type (legacy: 4 bits; enhanced: 3 bits). Open newtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VideoFrameType(pub u8);

impl VideoFrameType {
    /// A keyframe (seekable frame).
    pub const KEY: VideoFrameType = VideoFrameType(1);
    /// An inter frame.
    pub const INTER: VideoFrameType = VideoFrameType(2);
    /// A disposable inter frame (H.263 only, in the spec).
    pub const DISPOSABLE: VideoFrameType = VideoFrameType(3);
    /// A generated keyframe (server use).
    pub const GENERATED_KEY: VideoFrameType = VideoFrameType(4);
    /// A video info/command frame.
    pub const COMMAND: VideoFrameType = VideoFrameType(5);

    /// Whether decoding can start at this frame.
    pub fn is_key(self) -> bool {
        self == Self::KEY || self == Self::GENERATED_KEY
    }
}

/// Which codec a video item is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlvVideoCodec {
    /// A legacy CodecID.
    Legacy(VideoCodecId),
    /// An Enhanced RTMP FourCC.
    FourCc(FourCc),
}

/// What a video item carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VideoPacketKind {
    /// The decoder configuration record (avcC, hvcC, av1C, vpcC).
    SequenceHeader,
    /// Coded frames.
    Frame,
    /// End of sequence.
    SequenceEnd,
    /// Enhanced RTMP metadata (AMF0, e.g. `colorInfo`).
    Metadata,
    /// An AV1 MPEG-2 TS descriptor (MPEG2TSSequenceStart).
    Mpeg2TsSequenceStart,
    /// A video info/command frame with its command byte.
    Command(u8),
}

/// One video payload of a tag (a multitrack tag holds several).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlvVideoItem {
    /// The codec.
    pub codec: FlvVideoCodec,
    /// Keyframe, inter frame, ...
    pub frame_type: VideoFrameType,
    /// The multitrack track id (0 when the tag is not multitrack).
    pub track_id: u8,
    /// Whether the tag was multitrack.
    pub multitrack: bool,
    /// Configuration, frame, ...
    pub kind: VideoPacketKind,
    /// Whether the enhanced header was used.
    pub enhanced: bool,
    /// CompositionTime: pts - dts in milliseconds (signed 24-bit); 0 where absent.
    pub composition_time: i32,
    /// ModEx TimestampOffsetNano, when present.
    pub timestamp_offset_nanos: Option<u32>,
    /// The payload after the headers.
    pub data: Bytes,
}

/// A parsed video tag body: one item, or several for a multitrack tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlvVideoTag {
    /// The common case.
    One(FlvVideoItem),
    /// An Enhanced RTMP multitrack tag.
    Multitrack(Vec<FlvVideoItem>),
}

const CODED_FRAMES: u8 = 1;
const CODED_FRAMES_X: u8 = 3;
const METADATA: u8 = 4;
const MULTITRACK: u8 = 6;

fn read_si24(b: &mut Bytes) -> Result<i32, String> {
    need(b, 3, "composition time")?;
    let v = b.get_uint(3) as i32;
    Ok((v << 8) >> 8)
}

fn has_composition_time(cc: FourCc) -> bool {
    cc == FourCc::AVC1 || cc == FourCc::HVC1
}

impl FlvVideoTag {
    /// The items, in tag order.
    pub fn items(&self) -> &[FlvVideoItem] {
        match self {
            FlvVideoTag::One(item) => std::slice::from_ref(item),
            FlvVideoTag::Multitrack(items) => items,
        }
    }

    /// Parses a video tag body (or RTMP video message payload).
    pub fn parse(mut body: Bytes) -> Result<FlvVideoTag, String> {
        need(&body, 1, "video header")?;
        let b0 = body.get_u8();
        if b0 & 0x80 == 0 {
            return Self::parse_legacy(b0, body);
        }
        let frame_type = VideoFrameType((b0 >> 4) & 7);
        let mut packet_type = b0 & 0x0F;
        let mut nanos = None;
        if packet_type == MOD_EX {
            let (n, t) = read_mod_ex(&mut body)?;
            nanos = n;
            packet_type = t;
        }
        let item = |cc, track_id, multitrack, kind, cts, data| FlvVideoItem {
            codec: FlvVideoCodec::FourCc(cc),
            frame_type,
            track_id,
            multitrack,
            kind,
            enhanced: true,
            composition_time: cts,
            timestamp_offset_nanos: nanos,
            data,
        };
        if packet_type != METADATA && frame_type == VideoFrameType::COMMAND {
            need(&body, 1, "video command")?;
            let cmd = body.get_u8();
            return Ok(FlvVideoTag::One(item(
                FourCc([0; 4]),
                0,
                false,
                VideoPacketKind::Command(cmd),
                0,
                body,
            )));
        }
        if packet_type == MULTITRACK {
            let (inner, tracks) = read_multitrack(&mut body)?;
            let mut items = Vec::with_capacity(tracks.len());
            for mut t in tracks {
                let (kind, cts) = enhanced_body(inner, t.cc, &mut t.data)?;
                items.push(item(t.cc, t.track_id, true, kind, cts, t.data));
            }
            return Ok(FlvVideoTag::Multitrack(items));
        }
        let cc = read_fourcc(&mut body)?;
        let (kind, cts) = enhanced_body(packet_type, cc, &mut body)?;
        Ok(FlvVideoTag::One(item(cc, 0, false, kind, cts, body)))
    }

    fn parse_legacy(b0: u8, mut body: Bytes) -> Result<FlvVideoTag, String> {
        let frame_type = VideoFrameType(b0 >> 4);
        let codec = VideoCodecId(b0 & 0x0F);
        let mut kind = VideoPacketKind::Frame;
        let mut cts = 0;
        if frame_type == VideoFrameType::COMMAND {
            need(&body, 1, "video command")?;
            kind = VideoPacketKind::Command(body.get_u8());
        } else if codec == VideoCodecId::AVC {
            need(&body, 4, "avc packet header")?;
            kind = match body.get_u8() {
                0 => VideoPacketKind::SequenceHeader,
                1 => VideoPacketKind::Frame,
                2 => VideoPacketKind::SequenceEnd,
                t => return Err(format!("unknown avc packet type {t}")),
            };
            cts = read_si24(&mut body)?;
        }
        Ok(FlvVideoTag::One(FlvVideoItem {
            codec: FlvVideoCodec::Legacy(codec),
            frame_type,
            track_id: 0,
            multitrack: false,
            kind,
            enhanced: false,
            composition_time: cts,
            timestamp_offset_nanos: None,
            data: body,
        }))
    }
}

fn enhanced_body(
    packet_type: u8,
    cc: FourCc,
    data: &mut Bytes,
) -> Result<(VideoPacketKind, i32), String> {
    Ok(match packet_type {
        0 => (VideoPacketKind::SequenceHeader, 0),
        CODED_FRAMES => {
            let cts = if has_composition_time(cc) {
                read_si24(data)?
            } else {
                0
            };
            (VideoPacketKind::Frame, cts)
        }
        2 => (VideoPacketKind::SequenceEnd, 0),
        CODED_FRAMES_X => (VideoPacketKind::Frame, 0),
        METADATA => (VideoPacketKind::Metadata, 0),
        5 => (VideoPacketKind::Mpeg2TsSequenceStart, 0),
        t => return Err(format!("unknown enhanced video packet type {t}")),
    })
}

/// Writes the header of a legacy video tag body; for AVC the AVCPacketType and composition
/// time follow the first byte.
pub fn write_legacy_video_header(
    codec: VideoCodecId,
    frame_type: VideoFrameType,
    kind: VideoPacketKind,
    composition_time: i32,
    out: &mut impl BufMut,
) {
    out.put_u8(frame_type.0 << 4 | (codec.0 & 0x0F));
    if codec == VideoCodecId::AVC {
        out.put_u8(match kind {
            VideoPacketKind::SequenceHeader => 0,
            VideoPacketKind::SequenceEnd => 2,
            _ => 1,
        });
        out.put_uint((composition_time as u32 & 0x00FF_FFFF) as u64, 3);
    }
}

/// Writes the header of an enhanced video tag body. Frames with a composition time of zero use
/// CodedFramesX (no composition field), as ffmpeg does; `track_id` makes it a one-track
/// multitrack tag. Returns the number of bytes written.
pub fn write_enhanced_video_header(
    cc: FourCc,
    frame_type: VideoFrameType,
    kind: VideoPacketKind,
    composition_time: i32,
    track_id: Option<u8>,
    out: &mut impl BufMut,
) -> usize {
    let with_cts =
        kind == VideoPacketKind::Frame && composition_time != 0 && has_composition_time(cc);
    let pt = match kind {
        VideoPacketKind::SequenceHeader => 0,
        VideoPacketKind::Frame if with_cts => CODED_FRAMES,
        VideoPacketKind::Frame if has_composition_time(cc) => CODED_FRAMES_X,
        VideoPacketKind::Frame => CODED_FRAMES,
        VideoPacketKind::SequenceEnd => 2,
        VideoPacketKind::Metadata => METADATA,
        VideoPacketKind::Mpeg2TsSequenceStart => 5,
        VideoPacketKind::Command(_) => CODED_FRAMES,
    };
    let mut n = 0;
    match track_id {
        None => {
            out.put_u8(0x80 | (frame_type.0 & 7) << 4 | pt);
            out.put_slice(&cc.0);
            n += 5;
        }
        Some(id) => {
            out.put_u8(0x80 | (frame_type.0 & 7) << 4 | MULTITRACK);
            out.put_u8(MultitrackType::OneTrack.bits() << 4 | pt);
            out.put_slice(&cc.0);
            out.put_u8(id);
            n += 7;
        }
    }
    if with_cts {
        out.put_uint((composition_time as u32 & 0x00FF_FFFF) as u64, 3);
        n += 3;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_avc_negative_composition_time() {
        let t = FlvVideoTag::parse(Bytes::from_static(&[0x27, 1, 0xFF, 0xFF, 0xD8, 9, 9])).unwrap();
        let it = &t.items()[0];
        assert_eq!(it.composition_time, -40);
        assert_eq!(it.kind, VideoPacketKind::Frame);
        assert!(!it.frame_type.is_key());
        assert_eq!(&it.data[..], &[9, 9]);
        let mut out = Vec::new();
        write_legacy_video_header(VideoCodecId::AVC, it.frame_type, it.kind, -40, &mut out);
        assert_eq!(out, [0x27, 1, 0xFF, 0xFF, 0xD8]);
    }

    #[test]
    fn enhanced_round_trip() {
        for (cts, track) in [(0, None), (80, None), (-40, Some(2u8))] {
            let mut body = Vec::new();
            write_enhanced_video_header(
                FourCc::HVC1,
                VideoFrameType::KEY,
                VideoPacketKind::Frame,
                cts,
                track,
                &mut body,
            );
            body.extend_from_slice(b"nal");
            let t = FlvVideoTag::parse(Bytes::from(body)).unwrap();
            let it = &t.items()[0];
            assert_eq!(it.codec, FlvVideoCodec::FourCc(FourCc::HVC1));
            assert_eq!(it.composition_time, cts);
            assert_eq!(it.track_id, track.unwrap_or(0));
            assert!(it.frame_type.is_key());
            assert_eq!(&it.data[..], b"nal");
        }
    }

    #[test]
    fn av1_coded_frames_have_no_composition_time() {
        let mut b = vec![0x91];
        b.extend_from_slice(b"av01");
        b.extend_from_slice(&[1, 2, 3]);
        let t = FlvVideoTag::parse(Bytes::from(b)).unwrap();
        assert_eq!(&t.items()[0].data[..], &[1, 2, 3]);
    }

    #[test]
    fn command_frame() {
        let t = FlvVideoTag::parse(Bytes::from_static(&[0x57, 0x01])).unwrap();
        assert_eq!(t.items()[0].kind, VideoPacketKind::Command(1));
    }

    #[test]
    fn truncated_never_panics() {
        let mut b = vec![0x96, 0x11];
        b.extend_from_slice(b"hvc1");
        b.extend_from_slice(&[1, 0, 0, 9, 0, 0, 0, 1, 2]);
        for n in 0..b.len() {
            let _ = FlvVideoTag::parse(Bytes::copy_from_slice(&b[..n]));
        }
        assert!(FlvVideoTag::parse(Bytes::from_static(&[0x17, 0])).is_err());
    }
}
