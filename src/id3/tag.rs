//! Whole ID3v2 tags: reading one at the start of a buffer, finding one appended at the end, and
//! writing v2.4 tags.

use super::content::{FrameContent, PictureFrame, encode_content, v24_id};
use super::error::Id3Error;
use super::frame::{FrameContext, FrameListReport, Id3Frame, read_frames};
use super::header::{Id3TagFlags, Id3Version, TagHeader, extended_header_len};
use super::sync::{encode_synchsafe, remove_unsynchronisation};

/// An ID3v2 tag.
#[derive(Clone, Debug, PartialEq)]
pub struct Id3v2Tag {
    /// The version read (what [`Id3v2Tag::to_bytes`] writes is always 2.4.0).
    pub version: Id3Version,
    /// The header's flags as read.
    pub flags: Id3TagFlags,
    /// The frames, in order.
    pub frames: Vec<Id3Frame>,
    /// Bytes the tag occupies: header, body (extended header, frames, padding) and footer.
    pub len: usize,
    /// Bytes of padding after the frames.
    pub padding: usize,
    /// The v2.4 frame sizes were plain integers, not synchsafe (old iTunes).
    pub plain_v24_sizes: bool,
    /// Damage that was skipped: undecodable frames, frames past the end, junk in the padding.
    pub warnings: Vec<String>,
}

impl Default for Id3v2Tag {
    fn default() -> Self {
        Id3v2Tag {
            version: Id3Version {
                major: 4,
                revision: 0,
            },
            flags: Id3TagFlags::default(),
            frames: Vec::new(),
            len: 0,
            padding: 0,
            plain_v24_sizes: false,
            warnings: Vec::new(),
        }
    }
}

impl Id3v2Tag {
    /// Whether `data` starts with an ID3v2 header.
    pub fn is_tag_start(data: &[u8]) -> bool {
        TagHeader::parse(data, false).is_ok()
    }

    /// Reads the tag at the start of `data`. The tag's stated size must fit in `data`: a tag
    /// larger than the file is an error, not a reason to read on into the audio.
    pub fn parse(data: &[u8]) -> Result<Id3v2Tag, Id3Error> {
        let header = TagHeader::parse(data, false)?;
        let end = TagHeader::LEN + header.size;
        if end > data.len() {
            return Err(Id3Error::invalid(
                "header",
                6,
                format!(
                    "tag size {} is larger than the {} bytes after the header",
                    header.size,
                    data.len() - TagHeader::LEN
                ),
            ));
        }
        let major = header.version.major;
        let raw_body = &data[TagHeader::LEN..end];
        // v2.2 and v2.3 unsynchronise the whole tag; v2.4 each frame (see read_frames).
        let owned;
        let body: &[u8] = if header.flags.unsynchronisation && major < 4 {
            owned = remove_unsynchronisation(raw_body);
            &owned
        } else {
            raw_body
        };
        let ext = if header.flags.extended_header {
            extended_header_len(major, body).map_err(|e| e.shifted(TagHeader::LEN))?
        } else {
            0
        };
        let ctx = FrameContext {
            major,
            tag_unsync: major == 4 && header.flags.unsynchronisation,
            depth: 0,
        };
        let mut report = FrameListReport::default();
        let frames = read_frames(ctx, &body[ext..], TagHeader::LEN + ext, &mut report)?;
        let mut len = end;
        if header.flags.footer {
            match TagHeader::parse(&data[end..], true) {
                Ok(f) if f.size == header.size => len += TagHeader::LEN,
                Ok(_) | Err(_) => report.warnings.push(format!(
                    "the header announces a footer at byte {end}, but none that matches is there"
                )),
            }
        }
        Ok(Id3v2Tag {
            version: header.version,
            flags: header.flags,
            frames,
            len,
            padding: report.padding,
            plain_v24_sizes: report.plain_v24_sizes,
            warnings: report.warnings,
        })
    }

    /// Frames with the id `id` (`TIT2`; a v2.2 tag's `TT2` frames answer to it too).
    pub fn frames_with_id<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Id3Frame> + 'a {
        self.frames
            .iter()
            .filter(move |f| f.id.as_str() == id || v24_id(&f.id).is_some_and(|v| v.as_str() == id))
    }

    /// The first value of text frame `id` (`TIT2` title, `TPE1` artist, `TALB` album, ...).
    pub fn text<'a>(&'a self, id: &'a str) -> Option<&'a str> {
        self.frames_with_id(id).find_map(|f| match &f.content {
            FrameContent::Text { values, .. } => values.first().map(String::as_str),
            _ => None,
        })
    }

    /// The attached pictures.
    pub fn pictures(&self) -> impl Iterator<Item = &PictureFrame> {
        self.frames.iter().filter_map(|f| match &f.content {
            FrameContent::Picture(p) => Some(p),
            _ => None,
        })
    }

    /// The tag as ID3v2.4.0 bytes: every frame v2.4 can name (v2.2 ids mapped to theirs),
    /// text in UTF-8, no unsynchronisation, no padding. Used for timed ID3 in MPEG-TS and for
    /// MP3 output.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut body = Vec::new();
        write_frames(&self.frames, &mut body);
        let header = TagHeader {
            version: Id3Version {
                major: 4,
                revision: 0,
            },
            flags: Id3TagFlags::default(),
            size: body.len(),
        };
        let mut out = Vec::with_capacity(body.len() + TagHeader::LEN);
        // Frames larger than 2^28 bytes are never written (see write_frames), so the size fits.
        out.extend_from_slice(&header.to_bytes(false).unwrap_or_default());
        out.extend_from_slice(&body);
        out
    }
}

/// Writes frames in v2.4 form. A frame v2.4 has no id for, or whose body needs more than 28
/// bits of size, is left out.
pub(crate) fn write_frames(frames: &[Id3Frame], out: &mut Vec<u8>) {
    for f in frames {
        let Some(id) = v24_id(&f.id) else { continue };
        let mut body = Vec::new();
        if let Some(g) = f.flags.group {
            body.push(g);
        }
        encode_content(&f.content, &mut body);
        let Some(size) = u32::try_from(body.len()).ok().and_then(encode_synchsafe) else {
            continue;
        };
        let a = (u8::from(f.flags.tag_alter_discard) << 6)
            | (u8::from(f.flags.file_alter_discard) << 5)
            | (u8::from(f.flags.read_only) << 4);
        let b = (u8::from(f.flags.group.is_some()) << 6)
            | (u8::from(matches!(f.content, FrameContent::Encrypted { .. })) << 2);
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&size);
        out.extend_from_slice(&[a, b]);
        out.extend_from_slice(&body);
    }
}

/// Finds an ID3v2.4 tag appended at the end of `data` (found by its footer, before an ID3v1
/// tag if there is one): its start and length.
pub fn find_appended_tag(data: &[u8]) -> Option<(usize, usize)> {
    let mut end = data.len();
    if end >= 128 && &data[end - 128..end - 125] == b"TAG" {
        end -= 128;
    }
    let footer_at = end.checked_sub(TagHeader::LEN)?;
    let footer = TagHeader::parse(&data[footer_at..end], true).ok()?;
    let start = footer_at.checked_sub(footer.size + TagHeader::LEN)?;
    let header = TagHeader::parse(&data[start..], false).ok()?;
    (header.size == footer.size && header.flags.footer).then_some((start, end - start))
}
