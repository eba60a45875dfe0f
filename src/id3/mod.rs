//! ID3 tags: ID3v2.2, v2.3 and v2.4 (read and write) and ID3v1/1.1 (read).
//!
//! Specifications: id3v2-00 (v2.2), id3v2.3.0, id3v2.4.0-structure and id3v2.4.0-frames, and
//! the ID3v1 layout. One tag model serves every version: frames keep their own id (three
//! letters in v2.2, four after), their decoded content, and their flags.
//!
//! | file | job |
//! |---|---|
//! | header.rs | the 10-byte header and footer, the extended header |
//! | sync.rs | synchsafe integers, unsynchronisation |
//! | text.rs | the four text encodings, null-separated values |
//! | frame.rs | frame headers (v2.2/2.3/2.4 flags, iTunes' plain 2.4 sizes), decompression |
//! | content.rs | frame bodies: text, URL, COMM, USLT, APIC/PIC, PRIV, UFID, GEOB, POPM, PCNT, CHAP, CTOC |
//! | tag.rs | [`Id3v2Tag`]: finding, reading and writing whole tags |
//! | v1.rs | [`Id3v1Tag`]: the 128 bytes at the end of a file |
//!
//! Damage policy: a tag whose header or size cannot be trusted is an error with its byte
//! offset; a frame that cannot be decoded (bad UTF-16, a compressed frame that does not
//! inflate) is kept as raw bytes with a warning in [`Id3v2Tag::warnings`], and reading goes on.

mod content;
mod error;
mod frame;
mod header;
mod sync;
mod tag;
mod text;
mod v1;

pub use content::{ChapterFrame, FrameContent, PictureFrame, TocFrame};
pub use error::Id3Error;
pub use frame::{FrameFlags, FrameId, Id3Frame};
pub use header::{Id3TagFlags, Id3Version};
pub use sync::{decode_synchsafe, encode_synchsafe, remove_unsynchronisation};
pub use tag::{Id3v2Tag, find_appended_tag};
pub use text::TextEncoding;
pub use v1::{ID3V1_GENRES, Id3v1Tag};

/// Most frames read from one tag. Real tags hold tens of frames (a few hundred with chapters);
/// the limit bounds the work and memory a tag of a million one-byte frames could cost.
pub const MAX_FRAMES: usize = 10_000;

/// Largest decompressed size accepted for one compressed frame. The largest real frames are
/// cover pictures of a few MiB; a frame claiming 4 GB is refused before any inflating.
pub const MAX_DECOMPRESSED_FRAME: usize = 16 * 1024 * 1024;

/// How deep CHAP and CTOC frames may nest sub-frames that are themselves CHAP or CTOC. Real
/// files nest once (a chapter's title); the limit stops recursion on a hostile tag.
pub const MAX_FRAME_NESTING: usize = 4;
#[cfg(test)]
mod tests;
