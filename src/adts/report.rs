//! What the ADTS demuxer was asked to do and what it found.

use crate::codec::aac::AdtsHeader;

/// Warnings kept in [`AdtsReport::warnings`] (all are counted).
const MAX_WARNINGS: usize = 1000;

/// Choices for [`super::AdtsDemuxer`].
#[derive(Clone, Copy, Debug, Default)]
pub struct AdtsReadOptions {
    /// Junk between frames, a truncated last frame or a frame that cannot be read is an error
    /// (naming its byte offset) instead of a warning.
    pub strict: bool,
}

/// Something the demuxer skipped or noticed, with its byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdtsWarning {
    /// Byte offset in the input.
    pub offset: u64,
    /// What, lowercase.
    pub message: String,
}

/// What the demuxer found: for `inspect`, and for users who want to know how clean a file is.
#[derive(Clone, Debug, Default)]
pub struct AdtsReport {
    /// ADTS frames read (whether or not their blocks were returned).
    pub frames: u64,
    /// Packets (raw data blocks) returned.
    pub packets: u64,
    /// Samples per channel in them.
    pub samples: u64,
    /// Bytes of ADTS frames read, headers included.
    pub frame_bytes: u64,
    /// The first frame's offset.
    pub first_frame_offset: Option<u64>,
    /// The first frame's header.
    pub first_header: Option<AdtsHeader>,
    /// Frames with a CRC (`protection_absent` = 0); the CRCs are skipped, not verified.
    pub crc_frames: u64,
    /// Frames holding more than one raw data block.
    pub multi_block_frames: u64,
    /// Frames dropped because they could not be cut into raw data blocks.
    pub dropped_frames: u64,
    /// Times the stream's configuration (sampling rate, channels, profile) changed.
    pub config_changes: u64,
    /// Bytes skipped between frames (junk, damage).
    pub skipped_bytes: u64,
    /// Times sync was regained after junk.
    pub resyncs: u64,
    /// A truncated frame at the end was dropped.
    pub truncated_last_frame: bool,
    /// Bytes of the ID3v2 tag at the start.
    pub id3v2_bytes: Option<u64>,
    /// Bytes of an APE tag at the end.
    pub ape_bytes: Option<u64>,
    /// Warnings, the first 1000.
    pub warnings: Vec<AdtsWarning>,
    /// Warnings in all.
    pub warning_count: u64,
}

impl AdtsReport {
    pub(crate) fn warn(&mut self, offset: usize, message: String) {
        self.warning_count += 1;
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(AdtsWarning {
                offset: offset as u64,
                message,
            });
        }
    }
}
