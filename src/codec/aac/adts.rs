//! The ADTS header (ISO/IEC 14496-3 §1.A.2.2.1): the 7- or 9-byte header before each raw AAC
//! frame in MPEG-TS and `.aac` files.

use bytes::BufMut;

use super::{AudioSpecificConfig, sampling_frequency};
use crate::codec::CodecError;

const WHAT: &str = "adts header";

/// Largest ADTS frame, header included: `frame_length` is 13 bits.
pub const ADTS_MAX_FRAME_LEN: usize = 0x1FFF;

/// `adts_buffer_fullness` meaning "variable bit rate", what every muxer writes.
const BUFFER_FULLNESS_VBR: u16 = 0x7FF;

/// One ADTS header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AdtsHeader {
    /// The `ID` bit: true for MPEG-2 AAC, false for MPEG-4 (the payload is the same).
    pub mpeg2: bool,
    /// `protection_absent`: false when a 16-bit CRC follows the 7 fixed bytes.
    pub protection_absent: bool,
    /// The audio object type: `profile_ObjectType + 1` (1 Main, 2 LC, 3 SSR, 4 LTP).
    pub object_type: u8,
    /// `sampling_frequency_index` (0..=12).
    pub sampling_index: u8,
    /// `channel_configuration` (0 = a program config element in the frame says).
    pub channel_config: u8,
    /// `frame_length`: bytes of the whole frame, header and CRC included.
    pub frame_length: u16,
    /// `adts_buffer_fullness` (0x7FF = variable bit rate).
    pub buffer_fullness: u16,
    /// `number_of_raw_data_blocks_in_frame`: the frame holds `raw_blocks + 1` AAC frames.
    pub raw_blocks: u8,
    /// The CRC, when `protection_absent` is false.
    pub crc: Option<u16>,
}

impl AdtsHeader {
    /// Bytes of a header without CRC.
    pub const LEN: usize = 7;
    /// Bytes of a header with CRC.
    pub const LEN_WITH_CRC: usize = 9;

    /// Parses the header at the start of `data` (which may hold the frame and more).
    ///
    /// Checks the 12-bit sync word, layer 0, a sampling index ADTS can carry, and a
    /// `frame_length` at least as long as the header.
    pub fn parse(data: &[u8]) -> Result<AdtsHeader, CodecError> {
        let Some(h) = data.first_chunk::<7>() else {
            return Err(CodecError::Truncated {
                what: WHAT,
                offset: data.len(),
            });
        };
        if h[0] != 0xFF || h[1] & 0xF0 != 0xF0 {
            return Err(CodecError::invalid(WHAT, 0, "no 0xfff sync word"));
        }
        if h[1] & 0x06 != 0 {
            return Err(CodecError::invalid(
                WHAT,
                1,
                format!("layer {} is not 0", (h[1] >> 1) & 3),
            ));
        }
        let protection_absent = h[1] & 0x01 != 0;
        let sampling_index = (h[2] >> 2) & 0x0F;
        if sampling_frequency(sampling_index).is_none() {
            return Err(CodecError::invalid(
                WHAT,
                2,
                format!("sampling frequency index {sampling_index} is reserved"),
            ));
        }
        let frame_length =
            (u16::from(h[3] & 0x03) << 11) | (u16::from(h[4]) << 3) | u16::from(h[5] >> 5);
        let header_len = if protection_absent {
            Self::LEN
        } else {
            Self::LEN_WITH_CRC
        };
        if usize::from(frame_length) < header_len {
            return Err(CodecError::invalid(
                WHAT,
                3,
                format!("frame length {frame_length} is shorter than the {header_len}-byte header"),
            ));
        }
        let crc = if protection_absent {
            None
        } else {
            match data.get(7..9) {
                Some(&[a, b]) => Some(u16::from_be_bytes([a, b])),
                _ => {
                    return Err(CodecError::Truncated {
                        what: WHAT,
                        offset: data.len(),
                    });
                }
            }
        };
        Ok(AdtsHeader {
            mpeg2: h[1] & 0x08 != 0,
            protection_absent,
            object_type: (h[2] >> 6) + 1,
            sampling_index,
            channel_config: ((h[2] & 0x01) << 2) | (h[3] >> 6),
            frame_length,
            buffer_fullness: (u16::from(h[5] & 0x1F) << 6) | u16::from(h[6] >> 2),
            raw_blocks: h[6] & 0x03,
            crc,
        })
    }

    /// Bytes of this header: 7, or 9 with the CRC.
    pub fn header_len(&self) -> usize {
        if self.protection_absent {
            Self::LEN
        } else {
            Self::LEN_WITH_CRC
        }
    }

    /// Bytes of the payload after the header (for several raw blocks with CRC, the block
    /// position table and CRCs are part of it).
    pub fn payload_len(&self) -> usize {
        usize::from(self.frame_length).saturating_sub(self.header_len())
    }

    /// The sample rate of `sampling_index`.
    pub fn sample_rate(&self) -> u32 {
        // Checked at parse time; 0 only for a hand-made header with a reserved index.
        sampling_frequency(self.sampling_index).unwrap_or(0)
    }

    /// Writes a 7-byte header (MPEG-4 ID, no CRC, variable bit rate, one raw block, as ffmpeg
    /// writes it) for a raw frame of `payload_len` bytes coded as `asc` says.
    ///
    /// ADTS carries a 2-bit profile, a 4-bit sampling index and a 3-bit channel
    /// configuration, so it fails, writing nothing, for a core object type other than 1..=4,
    /// an explicit sampling frequency, channel configuration 0 (a program config element
    /// would have to be moved into the frame) or above 7, 960-sample frames, and a frame over
    /// [`ADTS_MAX_FRAME_LEN`] bytes. HE-AAC is written as its core (LC at the core rate), the
    /// implicit signalling every decoder understands.
    pub fn write(
        asc: &AudioSpecificConfig,
        payload_len: usize,
        out: &mut impl BufMut,
    ) -> Result<(), CodecError> {
        let unsupported = |reason: String| CodecError::Unsupported { what: WHAT, reason };
        let object_type = asc.core_object_type;
        if !(1..=4).contains(&object_type) {
            return Err(unsupported(format!("audio object type {object_type}")));
        }
        if sampling_frequency(asc.sampling_index).is_none() {
            return Err(unsupported(format!(
                "sampling frequency index {} ({} Hz)",
                asc.sampling_index, asc.sample_rate
            )));
        }
        if !(1..=7).contains(&asc.channel_config) {
            return Err(unsupported(format!(
                "channel configuration {}",
                asc.channel_config
            )));
        }
        if asc.frame_length_flag {
            return Err(unsupported("960-sample frames".to_owned()));
        }
        let frame_len = payload_len.saturating_add(Self::LEN);
        if frame_len > ADTS_MAX_FRAME_LEN {
            return Err(CodecError::TooLarge {
                what: WHAT,
                field: "frame length",
                offset: 0,
                value: frame_len as u64,
                limit: ADTS_MAX_FRAME_LEN as u64,
            });
        }
        // frame_len <= 0x1FFF, checked above.
        let len = frame_len as u16;
        let fullness = BUFFER_FULLNESS_VBR;
        out.put_slice(&[
            0xFF,
            0xF1,
            ((object_type - 1) << 6) | (asc.sampling_index << 2) | (asc.channel_config >> 2),
            ((asc.channel_config & 3) << 6) | (len >> 11) as u8,
            (len >> 3) as u8,
            ((len & 7) << 5) as u8 | (fullness >> 6) as u8,
            ((fullness & 0x3F) << 2) as u8,
        ]);
        Ok(())
    }

    /// The AudioSpecificConfig this header implies (2 bytes: object type, sampling index,
    /// channel configuration), which is what a TS -> FLV/MP4 remux writes as the config.
    ///
    /// Fails for channel configuration 0: the layout is then in a program config element
    /// inside the first frame, which this header does not hold.
    pub fn to_audio_specific_config(&self) -> Result<AudioSpecificConfig, CodecError> {
        if self.channel_config == 0 {
            return Err(CodecError::Unsupported {
                what: WHAT,
                reason: "channel configuration 0 (program config element in the frame)".to_owned(),
            });
        }
        AudioSpecificConfig::from_fields(
            self.object_type,
            self.sampling_index,
            self.sample_rate(),
            self.channel_config,
        )
    }
}

/// Iterator over the frames of concatenated ADTS data; see [`adts_frames`].
#[derive(Debug, Clone)]
pub struct AdtsFrames<'a> {
    data: &'a [u8],
    pos: usize,
    done: bool,
}

/// Splits concatenated ADTS frames (an MPEG-TS audio PES payload, an `.aac` file) into
/// (header, payload) pairs.
///
/// A bad header or a frame running past the end yields one error naming its offset and ends
/// the iteration; resynchronising on damaged input is left to the caller, who knows whether
/// more data is coming.
pub fn adts_frames(data: &[u8]) -> AdtsFrames<'_> {
    AdtsFrames {
        data,
        pos: 0,
        done: false,
    }
}

impl<'a> Iterator for AdtsFrames<'a> {
    type Item = Result<(AdtsHeader, &'a [u8]), CodecError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.data.len() {
            return None;
        }
        let start = self.pos;
        let rest = self.data.get(start..).unwrap_or_default();
        let result = AdtsHeader::parse(rest).and_then(|h| {
            let end = usize::from(h.frame_length);
            match rest.get(h.header_len()..end) {
                Some(payload) => Ok((h, payload, end)),
                None => Err(CodecError::Truncated {
                    what: "adts frame",
                    offset: start + rest.len(),
                }),
            }
        });
        Some(match result {
            Ok((h, payload, len)) => {
                self.pos += len;
                Ok((h, payload))
            }
            Err(e) => {
                self.done = true;
                Err(shift_offset(e, start))
            }
        })
    }
}

/// Moves a header-relative error offset to the offset in the whole buffer.
fn shift_offset(e: CodecError, by: usize) -> CodecError {
    match e {
        CodecError::Truncated { what, offset } if what == WHAT => CodecError::Truncated {
            what,
            offset: offset + by,
        },
        CodecError::Invalid {
            what,
            offset,
            reason,
        } => CodecError::Invalid {
            what,
            offset: offset + by,
            reason,
        },
        other => other,
    }
}

#[cfg(test)]
#[path = "adts_tests.rs"]
mod tests;
