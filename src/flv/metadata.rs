//! Writing `onMetaData`: the script tag players read first (duration, size, codecs), with the
//! byte positions of the fields a seekable muxer patches once the stream is complete, and the
//! optional `keyframes {times, filepositions}` index used for seeking.

use bytes::BufMut;

use crate::amf::{AmfValue, amf0};

/// One onMetaData entry.
#[derive(Clone, Debug, PartialEq)]
pub enum MetaValue {
    /// A number that may be patched in place later (8 bytes, fixed size).
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// A string.
    String(String),
    /// Anything else, carried from the source's metadata.
    Other(AmfValue),
    /// The keyframe index: times in seconds and file positions of the keyframe tags.
    Keyframes {
        /// Seconds.
        times: Vec<f64>,
        /// Byte offsets of the tags.
        positions: Vec<f64>,
    },
}

/// The encoded script tag body and where each numeric entry's 8 bytes sit in it.
#[derive(Debug, Default)]
pub struct EncodedMetadata {
    /// The tag body: AMF0 string "onMetaData" + ECMA array.
    pub body: Vec<u8>,
    /// (key, offset of the number's 8 bytes in `body`).
    pub numbers: Vec<(String, usize)>,
}

impl EncodedMetadata {
    /// Offset of the named number in the body.
    pub fn number_offset(&self, key: &str) -> Option<usize> {
        self.numbers.iter().find(|(k, _)| k == key).map(|&(_, o)| o)
    }
}

fn put_key(out: &mut Vec<u8>, key: &str) {
    let k = &key.as_bytes()[..key.len().min(u16::MAX as usize)];
    out.put_u16(k.len() as u16);
    out.put_slice(k);
}

fn put_number(out: &mut Vec<u8>, v: f64) -> usize {
    out.put_u8(0x00);
    let at = out.len();
    out.put_f64(v);
    at
}

/// Encodes `onMetaData` with `entries` in order.
pub fn encode_on_metadata(entries: &[(String, MetaValue)]) -> EncodedMetadata {
    let mut e = EncodedMetadata::default();
    let out = &mut e.body;
    out.put_u8(0x02);
    put_key(out, "onMetaData");
    out.put_u8(0x08);
    out.put_u32(entries.len() as u32);
    for (key, value) in entries {
        put_key(out, key);
        match value {
            MetaValue::Number(v) => {
                let at = put_number(out, *v);
                e.numbers.push((key.clone(), at));
            }
            MetaValue::Bool(b) => {
                out.put_u8(0x01);
                out.put_u8(u8::from(*b));
            }
            MetaValue::String(s) => amf0::encode(&AmfValue::String(s.clone()), out),
            MetaValue::Other(v) => amf0::encode(v, out),
            MetaValue::Keyframes { times, positions } => {
                out.put_u8(0x03);
                for (name, list) in [("filepositions", positions), ("times", times)] {
                    put_key(out, name);
                    out.put_u8(0x0A);
                    out.put_u32(list.len() as u32);
                    for &v in list {
                        put_number(out, v);
                    }
                }
                out.put_slice(&[0, 0, 9]);
            }
        }
    }
    out.put_slice(&[0, 0, 9]);
    e
}

/// Keys muxkit computes itself or that describe the source file's layout; a source's values for
/// these are not carried into a new file, where they would be stale.
pub const COMPUTED_KEYS: &[&str] = &[
    "duration",
    "width",
    "height",
    "framerate",
    "videocodecid",
    "audiocodecid",
    "audiosamplerate",
    "audiosamplesize",
    "stereo",
    "encoder",
    "filesize",
    "keyframes",
    "videodatarate",
    "audiodatarate",
    "datasize",
    "videosize",
    "audiosize",
    "lasttimestamp",
    "lastkeyframetimestamp",
    "lastkeyframelocation",
    "hasKeyframes",
    "hasVideo",
    "hasAudio",
    "hasMetadata",
    "canSeekToEnd",
    "metadatacreator",
    "creationdate",
    "filepositions",
    "times",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_patchable() {
        let e = encode_on_metadata(&[
            ("duration".into(), MetaValue::Number(0.0)),
            ("stereo".into(), MetaValue::Bool(true)),
            ("filesize".into(), MetaValue::Number(0.0)),
        ]);
        let at = e.number_offset("filesize").unwrap();
        assert_eq!(&e.body[at..at + 8], &0f64.to_be_bytes());
        assert_eq!(e.body[at - 1], 0x00);
        assert_eq!(&e.body[e.body.len() - 3..], &[0, 0, 9]);
    }
}
