//! HTTP Live Streaming output (RFC 8216): MPEG-TS segments and a media playlist.
//!
//! | file | job |
//! |---|---|
//! | segmenter.rs | where to cut ([`HlsSegmenter`], a [`crate::Muxer`]) |
//! | playlist.rs | the media playlist over m3u8-rs types ([`Playlist`]) |
//! | output.rs | where files go: a folder with atomic writes, or memory ([`SegmentStore`]) |

pub mod output;
pub mod playlist;
pub mod segmenter;

pub use output::{DirectoryStore, MemoryStore, SegmentStore};
pub use playlist::{Playlist, PlaylistSegment, PlaylistType};
pub use segmenter::{HlsOptions, HlsSegmenter, segment_name};
