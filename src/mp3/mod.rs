//! MPEG audio files: MP3 (Layer III) and MP2/MP1, with their ID3 tags.
//!
//! ISO/IEC 11172-3 and 13818-3 frames (MPEG-1, 2 and the unofficial 2.5), the Xing/Info, LAME
//! and VBRI first-frame headers, and the ID3 tags around the audio (see [`crate::id3`]).
//!
//! | file | job |
//! |---|---|
//! | frames.rs | finding frames: sync words confirmed by the next frame, free-format lengths |
//! | xing.rs | Xing/Info (with LAME's delay and padding) and VBRI |
//! | demux.rs | [`Mp3Demuxer`]: tags, frames, timestamps in 1/sample_rate |

mod demux;
mod frames;
mod xing;

pub use demux::{MAX_TIMED_ID3, Mp3Demuxer, Mp3ReadOptions, Mp3Report, Mp3Warning};
pub use frames::MAX_FREE_FORMAT_FRAME;
pub use xing::{InfoFrame, XingInfo};

/// Whether `head` (the first bytes of an input) is MPEG audio: an ID3v2 tag, or a frame within
/// the first KiB that the next frame confirms.
pub fn looks_like_mpeg_audio(head: &[u8]) -> bool {
    if crate::id3::Id3v2Tag::is_tag_start(head) {
        return true;
    }
    let mut finder = frames::FrameFinder::default();
    let limit = head.len().min(1024);
    let mut i = 0;
    while let Some(k) = head.get(i..limit).and_then(|h| memchr::memchr(0xFF, h)) {
        i += k;
        if let Some(f) = finder.confirmed_at(head, i, head.len()) {
            // Confirmed by a second header inside the probe, not by reaching its end.
            if i + f.len < head.len() {
                return true;
            }
        }
        i += 1;
    }
    false
}
