//! muxkit converts media between containers without re-encoding.
//!
//! Every conversion is `bytes -> Demuxer -> (Track, Packet*) -> Muxer -> bytes` (see
//! [`media`]): demuxers turn a container into tracks and packets in one canonical payload form,
//! muxers write those packets into another container, and every frame's bytes and timestamps
//! survive the trip.
//!
//! # Reading an FLV
//!
//! ```no_run
//! use muxkit::{Demuxer, flv::FlvDemuxer, io::map_file};
//!
//! # fn main() -> muxkit::Result<()> {
//! let mut flv = FlvDemuxer::from_bytes(map_file("testdata/source.flv".as_ref())?)?;
//! for track in flv.tracks() {
//!     println!("track {}: {} {}", track.id, track.kind, track.codec.codec);
//! }
//! while let Some(packet) = flv.next_packet()? {
//!     let tb = flv.tracks()[packet.track as usize].time_base;
//!     println!("track {} dts {:.3}s {} bytes", packet.track, tb.seconds(packet.dts.0), packet.data.len());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Cargo features
//!
//! The parsers, muxers, HLS/DASH writers, RTMP protocol core and `inspect` views need none;
//! with `default-features = false` a crate that wants only the FLV parser compiles none of the
//! command line's dependencies.
//!
//! | feature | gives | pulls in |
//! |---|---|---|
//! | `batch` | `batch`: trees converted in parallel, resumably | rayon |
//! | `server` | `server`: the live origin behind `muxkit ingest` | tokio, hyper, rustls, prometheus-client |
//! | `cli` (default) | the `muxkit` program; implies `batch` and `server` | clap, indicatif, ctrlc, tracing |
//!
//! # Specifications implemented
//!
//! | module | specification |
//! |---|---|
//! | [`flv`] | Adobe Flash Video File Format Specification v10.1 (annex E); Enhanced RTMP v1 and v2 |
//! | [`hls`] | RFC 8216 (HTTP Live Streaming: media playlists, TS segments) |
//! | [`amf`] | Adobe AMF0 and AMF3 specifications |
//! | [`codec::avc`] | ISO/IEC 14496-10 (SPS), ISO/IEC 14496-15 (avcC) |
//! | [`codec::hevc`] | ISO/IEC 23008-2 (SPS), ISO/IEC 14496-15 (hvcC) |
//! | [`codec::aac`] | ISO/IEC 14496-3 (AudioSpecificConfig, ADTS) |
//! | [`adts`] | ISO/IEC 14496-3 §1.A.2 (`.aac` files: ADTS frames, raw data blocks) |
//! | [`codec::mpa`] | ISO/IEC 11172-3 / 13818-3 (MPEG audio frame header) |
//! | [`ts`] | ISO/IEC 13818-1 (transport stream, PSI, PES); Apple timed metadata for HLS |
//! | [`annexb`] | ISO/IEC 14496-10 Annex B, §7.4.1.2.3, §8.2.1 and ITU-T H.265 Annex B, §7.4.2.4.4, §8.3.1 (raw byte streams, access units, picture order count) |
//! | codec strings | RFC 6381 |
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod adts;
pub mod amf;
pub mod annexb;
#[cfg(feature = "batch")]
#[cfg_attr(docsrs, doc(cfg(feature = "batch")))]
pub mod batch;
pub mod codec;
pub mod dash;
pub mod error;
pub mod flv;
pub mod hls;
pub mod id3;
pub mod inspect;
pub mod io;
pub mod loss;
pub mod media;
pub mod mp3;
pub mod mp4;
pub mod pipeline;
pub mod rtmp;
#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod server;
#[cfg(feature = "s3")]
#[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
pub mod store;
#[cfg(test)]
mod test_rng;
pub mod time;
pub mod ts;

pub use error::{Error, Result};
pub use loss::Loss;
pub use media::{
    AudioParams, Codec, CodecConfig, CodecTag, Demuxer, EncoderDelay, MediaKind, Muxer, Packet,
    PacketFlags, Track, VideoParams,
};
pub(crate) use pipeline::demux_tracks;
pub use pipeline::{audio_es, convert, probe, progress, remux, select};
pub use time::{TimeBase, Timestamp, WrapUnwrapper};
