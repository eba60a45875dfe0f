//! AAC: the AudioSpecificConfig (the configuration FLV/MP4 carry) and the ADTS header (the
//! framing MPEG-TS carries), ISO/IEC 14496-3.
//!
//! - [`AudioSpecificConfig`]: §1.6.2.1, including the escape for object types above 30, the
//!   explicit 24-bit sampling frequency, GASpecificConfig (§4.4.1) with its program config
//!   element (§4.4.1.1), and both kinds of explicit SBR/PS signalling for HE-AAC (§1.6.5):
//!   hierarchical (object type 5 or 29 first) and backward compatible (sync extension
//!   `0x2b7` after the core config).
//! - [`AdtsHeader`]: §1.A.2.2.1 `adts_fixed_header` + `adts_variable_header`, and the
//!   conversions ASC <-> ADTS that a TS muxer and demuxer need.

mod adts;
mod asc;
mod pce;

pub use adts::{ADTS_MAX_FRAME_LEN, AdtsFrames, AdtsHeader, adts_frames};
pub use asc::{AacExtension, AudioSpecificConfig};
pub use pce::asc_from_leading_pce;

/// Sampling frequencies of `samplingFrequencyIndex` 0..=12 (§1.6.3.4, Table 1.18); 13 and 14
/// are reserved and 15 means an explicit 24-bit frequency follows.
pub const SAMPLING_FREQUENCIES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/// The sampling frequency of an index, `None` for the reserved and escape values 13..=15.
pub fn sampling_frequency(index: u8) -> Option<u32> {
    SAMPLING_FREQUENCIES.get(usize::from(index)).copied()
}

/// The index whose frequency is exactly `rate`, if any.
pub fn sampling_index(rate: u32) -> Option<u8> {
    SAMPLING_FREQUENCIES
        .iter()
        .position(|&f| f == rate)
        .map(|i| i as u8)
}

/// Output channels of a `channelConfiguration` (§1.6.3.5 Table 1.19 and 23001-8): `None` for
/// 0 (the program config element says) and the reserved values.
pub fn channel_count(channel_config: u8) -> Option<u8> {
    match channel_config {
        1..=6 => Some(channel_config),
        7 | 12 | 14 => Some(8),
        11 => Some(7),
        13 => Some(24),
        _ => None,
    }
}

/// The profile name of an audio object type as ffprobe prints it (`LC`, `HE-AAC`,
/// `HE-AACv2`, ...), `Unknown` for types ffmpeg has no profile for.
pub fn object_type_name(object_type: u8) -> &'static str {
    match object_type {
        1 => "Main",
        2 => "LC",
        3 => "SSR",
        4 => "LTP",
        5 => "HE-AAC",
        29 => "HE-AACv2",
        23 => "LD",
        39 => "ELD",
        42 => "xHE-AAC",
        _ => "Unknown",
    }
}
