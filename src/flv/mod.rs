//! FLV: Adobe's Flash Video container (Video File Format Specification v10.1, annex E) with
//! the Enhanced RTMP v1/v2 extensions (FourCC codecs, multitrack, ModEx).
//!
//! | layer | type |
//! |---|---|
//! | file header | [`FlvHeader`] |
//! | tag walk, PreviousTagSize checks | [`FlvTagReader`] |
//! | tag bodies (also RTMP audio/video messages) | [`FlvAudioTag`], [`FlvVideoTag`] |
//! | packets | [`FlvDemuxer`], [`FlvMuxer`] |

pub mod audio;
pub mod codec_map;
mod demux;
mod error;
pub mod fourcc;
mod header;
pub mod metadata;
mod mux;
mod packetizer;
mod reader;
mod tag;
pub mod video;

pub use audio::{FlvAudioItem, FlvAudioTag};
pub use demux::{FlvDemuxer, PROBE_TAG_LIMIT};
pub use error::FlvError;
pub use fourcc::FourCc;
pub use header::FlvHeader;
pub use mux::{FlvMuxOptions, FlvMuxer};
pub use packetizer::FlvPacketizer;
pub use reader::{FlvReadOptions, FlvReport, FlvTag, FlvTagReader, FlvWarning};
pub use tag::{FlvTagHeader, FlvTagType};
pub use video::{FlvVideoItem, FlvVideoTag};
