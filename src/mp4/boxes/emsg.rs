//! `emsg` (ISO/IEC 23009-1 §5.10.3.3, DASH event message): timed metadata (SCTE-35 cues, ID3,
//! application events) carried between fragments.

use bytes::Bytes;

use super::{Reader, full_box};
use crate::mp4::error::F4vError;

/// Longest scheme or value string read (bytes up to the terminating zero). The spec sets no
/// limit; real schemes are URNs of a few dozen bytes.
pub const MAX_EMSG_STRING: usize = 4096;

/// An event message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emsg {
    /// Version 0 times relative to the segment; version 1 absolute.
    pub version: u8,
    /// Names the scheme of the message (`urn:scte:scte35:2013:bin`, `https://aomedia.org/emsg/ID3`).
    pub scheme_id_uri: String,
    /// The value within the scheme.
    pub value: String,
    /// Ticks per second of the times.
    pub timescale: u32,
    /// Version 0: delta from the segment's earliest presentation time; version 1: absolute.
    pub presentation_time: u64,
    /// Duration (0xFFFFFFFF: unknown).
    pub event_duration: u32,
    /// The event's id (repeats are the same event).
    pub id: u32,
    /// The payload: the rest of the box.
    pub message_data: Bytes,
}

fn c_string(r: &mut Reader<'_>, offset: u64) -> Result<String, F4vError> {
    let mut s = Vec::new();
    loop {
        let b = r.u8()?;
        if b == 0 {
            break;
        }
        if s.len() == MAX_EMSG_STRING {
            return Err(F4vError::TooLarge {
                what: "emsg".into(),
                field: "string",
                offset,
                value: s.len() as u64 + 1,
                limit: MAX_EMSG_STRING as u64,
            });
        }
        s.push(b);
    }
    Ok(String::from_utf8_lossy(&s).into_owned())
}

impl Emsg {
    /// Parses the body (a slice of the mapped input: the payload is not copied).
    pub fn parse(body: &Bytes, offset: u64) -> Result<Emsg, F4vError> {
        let (version, _, rest) = full_box(body, "emsg", offset)?;
        let mut r = Reader::new(rest, "emsg", offset);
        let e = if version == 0 {
            let scheme_id_uri = c_string(&mut r, offset)?;
            let value = c_string(&mut r, offset)?;
            let timescale = r.u32()?;
            let presentation_time = u64::from(r.u32()?);
            let event_duration = r.u32()?;
            let id = r.u32()?;
            (
                scheme_id_uri,
                value,
                timescale,
                presentation_time,
                event_duration,
                id,
            )
        } else if version == 1 {
            let timescale = r.u32()?;
            let presentation_time = r.u64()?;
            let event_duration = r.u32()?;
            let id = r.u32()?;
            let scheme_id_uri = c_string(&mut r, offset)?;
            let value = c_string(&mut r, offset)?;
            (
                scheme_id_uri,
                value,
                timescale,
                presentation_time,
                event_duration,
                id,
            )
        } else {
            return Err(F4vError::invalid(
                "emsg",
                offset,
                format!("version {version} is not 0 or 1"),
            ));
        };
        let used = body.len() - r.remaining();
        Ok(Emsg {
            version,
            scheme_id_uri: e.0,
            value: e.1,
            timescale: e.2,
            presentation_time: e.3,
            event_duration: e.4,
            id: e.5,
            message_data: body.slice(used..),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_versions() {
        let mut v1 = vec![1, 0, 0, 0];
        v1.extend_from_slice(&90_000u32.to_be_bytes());
        v1.extend_from_slice(&180_000u64.to_be_bytes());
        v1.extend_from_slice(&[0, 0, 0, 10, 0, 0, 0, 7]);
        v1.extend_from_slice(b"urn:scte:scte35:2013:bin\0\0");
        v1.extend_from_slice(&[0xFC, 0x30]);
        let e = Emsg::parse(&Bytes::from(v1), 0).unwrap();
        assert_eq!(e.scheme_id_uri, "urn:scte:scte35:2013:bin");
        assert_eq!((e.presentation_time, e.id), (180_000, 7));
        assert_eq!(&e.message_data[..], &[0xFC, 0x30]);
        let mut v0 = vec![0, 0, 0, 0];
        v0.extend_from_slice(b"a\0b\0");
        v0.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4]);
        let e = Emsg::parse(&Bytes::from(v0), 0).unwrap();
        assert_eq!(
            (e.value.as_str(), e.presentation_time, e.message_data.len()),
            ("b", 2, 0)
        );
        // A string with no end.
        assert!(Emsg::parse(&Bytes::from_static(&[0, 0, 0, 0, b'a', b'b']), 0).is_err());
        assert!(Emsg::parse(&Bytes::from_static(&[2, 0, 0, 0]), 0).is_err());
    }
}
