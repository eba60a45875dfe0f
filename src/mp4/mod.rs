//! F4V and MP4 (ISO/IEC 14496-12 base media file format, 14496-14 MP4, 14496-15 AVC/HEVC in
//! MP4; Adobe's F4V is the same structure with the `f4v ` brand and a few boxes of its own).
//!
//! | file | job |
//! |---|---|
//! | boxes/ | one file per box: parse, write, round-trip test |
//! | error.rs | [`F4vError`] |
//! | tree.rs | the box tree: containers, bounded depth and count |
//! | track.rs | a track's sample tables, checked, walked sample by sample |
//! | fragmented.rs | movie fragments (`moof`/`traf`/`trun`, CMAF) read one at a time |
//! | demux.rs | [`F4vDemuxer`] |
//! | mux.rs | moov-first progressive files from a plan, or moov at the end when streaming |
//! | fragment_mux.rs | fragmented MP4 / CMAF in one pass ([`fragment_mux::Fmp4Muxer`]) |

pub mod boxes;
mod demux;
mod error;
pub mod fragment_mux;
pub mod fragmented;
pub mod mux;
pub mod track;
pub mod tree;

pub use demux::{F4vDemuxer, F4vReadOptions};
pub use error::F4vError;
