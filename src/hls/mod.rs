//! HTTP Live Streaming output (RFC 8216): MPEG-TS or fragmented MP4 segments and a media
//! playlist.
//!
//! | file | job |
//! |---|---|
//! | segmenter.rs | where to cut ([`HlsSegmenter`], a [`crate::Muxer`]) |
//! | segment_format.rs | what a segment is made of: TS, or fMP4 after an init segment ([`HlsSegmentType`]) |
//! | playlist.rs | the media playlist over m3u8-rs types ([`Playlist`]) |
//! | output.rs | where files go: a folder with atomic writes, or memory ([`SegmentStore`]) |
//! | keys.rs | AES-128 segment encryption, keys and their rotation ([`HlsEncryption`]) |
//! | window.rs | when segments that left a live playlist may be deleted (RFC 8216 §6.2.2) |

pub mod keys;
pub mod output;
pub mod playlist;
pub mod segment_format;
pub mod segmenter;
pub mod window;

pub use keys::{HlsEncryption, HlsKey};
pub use output::{DirectoryStore, MemoryStore, SegmentStore};
pub use playlist::{Playlist, PlaylistSegment, PlaylistType};
pub use segment_format::HlsSegmentType;
pub use segmenter::{
    HlsOptions, HlsReport, HlsResume, HlsSegmenter, MAX_SEGMENT_NUMBER_WIDTH,
    check_segment_pattern, segment_name,
};
pub use window::{Clock, system_clock};
