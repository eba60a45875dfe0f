//! MPEG-DASH output (ISO/IEC 23009-1, the ISO BMFF live profile) over CMAF track files.
//!
//! | file | job |
//! |---|---|
//! | cmaf.rs | per-track CMAF segments with shared cuts and timeline ([`CmafSegmenter`]), and the HLS playlists over the same files |
//! | mpd.rs | the MPD: SegmentTemplate + SegmentTimeline per AdaptationSet ([`mpd::Mpd`]) |

pub mod cmaf;
pub mod mpd;

pub use cmaf::{CmafOptions, CmafSegmenter};
