//! Adobe's HTTP Dynamic Streaming boxes in F4V files (Adobe Flash Video File Format
//! Specification v10.1, annex F): `abst` (bootstrap info), `asrt` (segment runs), `afrt`
//! (fragment runs) and `afra` (fragment random access). muxkit recognises and reports them;
//! the media itself is read from `moov`/`mdat` as in any MP4.

use super::{Reader, full_box};
use crate::mp4::error::F4vError;

/// What one Adobe box says, for `inspect`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdobeBox {
    /// `abst`.
    Bootstrap {
        /// Bootstrap info version.
        version: u32,
        /// Live stream.
        live: bool,
        /// Ticks per second.
        timescale: u32,
        /// The latest media time.
        current_media_time: u64,
        /// The movie identifier.
        movie: String,
    },
    /// `asrt`: entries of (first segment, fragments per segment).
    SegmentRuns(u32),
    /// `afrt`: the timescale and the number of fragment run entries.
    FragmentRuns {
        /// Ticks per second.
        timescale: u32,
        /// Entries.
        entries: u32,
    },
    /// `afra`: random access entries.
    RandomAccess(u32),
}

fn cstring(r: &mut Reader<'_>) -> Result<String, F4vError> {
    let mut s = Vec::new();
    loop {
        let b = r.u8()?;
        if b == 0 {
            return Ok(String::from_utf8_lossy(&s).into_owned());
        }
        s.push(b);
    }
}

/// Summarises an Adobe box body; `None` for any other type.
pub fn parse(box_type: &[u8; 4], body: &[u8], offset: u64) -> Result<Option<AdobeBox>, F4vError> {
    let what = String::from_utf8_lossy(box_type).into_owned();
    Ok(Some(match box_type {
        b"abst" => {
            let (_, _, rest) = full_box(body, &what, offset)?;
            let mut r = Reader::new(rest, "abst", offset);
            let version = r.u32()?;
            let flags = r.u8()?;
            let timescale = r.u32()?;
            let current_media_time = r.u64()?;
            r.u64()?; // smpte offset
            let movie = cstring(&mut r)?;
            AdobeBox::Bootstrap {
                version,
                live: flags & 0x20 != 0,
                timescale,
                current_media_time,
                movie,
            }
        }
        b"asrt" => {
            let (_, _, rest) = full_box(body, &what, offset)?;
            let mut r = Reader::new(rest, "asrt", offset);
            let qualities = r.u8()?;
            for _ in 0..qualities {
                cstring(&mut r)?;
            }
            AdobeBox::SegmentRuns(r.u32()?)
        }
        b"afrt" => {
            let (_, _, rest) = full_box(body, &what, offset)?;
            let mut r = Reader::new(rest, "afrt", offset);
            let timescale = r.u32()?;
            let qualities = r.u8()?;
            for _ in 0..qualities {
                cstring(&mut r)?;
            }
            AdobeBox::FragmentRuns {
                timescale,
                entries: r.u32()?,
            }
        }
        b"afra" => {
            let (_, _, rest) = full_box(body, &what, offset)?;
            let mut r = Reader::new(rest, "afra", offset);
            r.u8()?;
            r.u32()?;
            AdobeBox::RandomAccess(r.u32()?)
        }
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_and_runs_are_summarised() {
        let mut abst = vec![0, 0, 0, 0];
        abst.extend_from_slice(&1u32.to_be_bytes());
        abst.push(0x20);
        abst.extend_from_slice(&1000u32.to_be_bytes());
        abst.extend_from_slice(&5000u64.to_be_bytes());
        abst.extend_from_slice(&0u64.to_be_bytes());
        abst.extend_from_slice(b"movie\0");
        assert_eq!(
            parse(b"abst", &abst, 0).unwrap(),
            Some(AdobeBox::Bootstrap {
                version: 1,
                live: true,
                timescale: 1000,
                current_media_time: 5000,
                movie: "movie".into()
            })
        );
        let afrt = [0, 0, 0, 0, 0, 0, 3, 0xE8, 0, 0, 0, 0, 2];
        assert_eq!(
            parse(b"afrt", &afrt, 0).unwrap(),
            Some(AdobeBox::FragmentRuns {
                timescale: 1000,
                entries: 2
            })
        );
        assert_eq!(parse(b"moov", &[], 0).unwrap(), None);
        assert!(parse(b"abst", &abst[..10], 0).is_err());
    }
}
