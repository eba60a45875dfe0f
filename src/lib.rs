//! muxkit: transmux media between containers without re-encoding.
#![doc(html_no_source)]

pub mod amf;
pub mod codec;
pub mod error;
pub mod flv;
pub mod io;
pub mod media;
pub mod time;

pub use error::{Error, Result};
pub use media::{
    AudioParams, Codec, CodecConfig, CodecTag, Demuxer, MediaKind, Muxer, Packet, PacketFlags,
    Track, VideoParams,
};
pub use time::{TimeBase, Timestamp, WrapUnwrapper};
