//! Parses arbitrary bytes as an ID3v2 tag (and an appended one, and ID3v1); a tag that parses is
//! written back as v2.4 and read again, which must succeed with the same number of frames the
//! writer could express.
#![no_main]

use libfuzzer_sys::fuzz_target;
use muxkit::id3::{Id3v1Tag, Id3v2Tag, find_appended_tag};

fuzz_target!(|data: &[u8]| {
    let _ = find_appended_tag(data);
    let _ = Id3v1Tag::find(data);
    if let Ok(tag) = Id3v2Tag::parse(data) {
        let bytes = tag.to_bytes();
        let again = Id3v2Tag::parse(&bytes).expect("a written tag reads back");
        assert!(again.frames.len() <= tag.frames.len());
    }
});
