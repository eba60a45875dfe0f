//! From an input to an output: recognising the input ([`probe`]), the bookkeeping demuxers
//! share (`demux_tracks`), moving packets ([`remux`]) with a track selection ([`select`]) and
//! progress counters ([`progress`]), choosing the muxer ([`convert`]), and raw audio outputs
//! ([`audio_es`]).
//!
//! Each module is also re-exported at the crate root (`muxkit::convert`, `muxkit::probe`, ...),
//! the paths the library has always had.

pub mod audio_es;
pub mod convert;
pub(crate) mod demux_tracks;
pub mod probe;
pub mod progress;
pub mod remux;
pub mod select;
