//! Raw H.264 / HEVC elementary streams (`.h264`, `.264`, `.h265`, `.hevc`): the Annex B byte
//! stream of ISO/IEC 14496-10 Annex B and ITU-T H.265 Annex B, with no container around it.
//!
//! [`AnnexBDemuxer`] returns one video track:
//! - Access units (ISO/IEC 14496-10 §7.4.1.2.3, H.265 §7.4.2.4.4): a new one starts at an
//!   access unit delimiter, at a parameter set or prefix SEI (and the other prefix types) that
//!   follows a picture's slices, or at a slice that starts a picture (`first_mb_in_slice` 0;
//!   `first_slice_segment_in_pic_flag`), except that the second field of an H.264 field pair
//!   joins its first field (one sample, as MP4 and FLV carry it).
//! - Payloads are canonical: 4-byte length-prefixed NAL units; AUDs are dropped and
//!   VPS/SPS/PPS move into the `avcC`/`hvcC` (a changed set mid-stream is a config change).
//! - Keyframes are IDR pictures (HEVC: IRAP pictures).
//! - Timing: one frame per access unit at the rate of [`AnnexBReadOptions::framerate`], else
//!   the SPS VUI timing (H.264: `time_scale / (2 * num_units_in_tick)`; HEVC:
//!   `time_scale / num_units_in_tick`, from the SPS VUI, else the VPS), else 25 fps as ffmpeg
//!   assumes.
//!   Presentation times come from picture order counts; see [`order`](self) for the rule.
//!   H.264 `pic_order_cnt_type` 1 is refused (an error): its counts are not derived here.

mod detect;
mod order;
mod reader;
mod slice;
mod stream;

pub use detect::{AnnexBCodec, MAX_LEADING_ZEROS, detect};
pub use order::MAX_REORDER_DEPTH;
pub use reader::MAX_NAL_SIZE;
pub use stream::{AnnexBDemuxer, AnnexBReadOptions, LOOKAHEAD_ACCESS_UNITS, MAX_ACCESS_UNIT_SIZE};
