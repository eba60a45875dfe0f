//! Frame bodies (id3v2.4.0-frames §4; id3v2.3.0 §4; id3v2-00 §4; the ID3v2 Chapter Frame
//! Addendum for CHAP and CTOC).

use bytes::Bytes;

use super::MAX_FRAME_NESTING;
use super::frame::{FrameContext, FrameId, FrameListReport, Id3Frame, read_frames};
use super::text::{TextEncoding, decode, decode_values, encode, split_terminated, terminate};

/// An attached picture (APIC, v2.2 PIC).
#[derive(Clone, Debug, PartialEq)]
pub struct PictureFrame {
    /// The text encoding of the description.
    pub encoding: TextEncoding,
    /// MIME type (`image/jpeg`); for v2.2 PIC frames built from the 3-letter image format.
    pub mime: String,
    /// Picture type (3: front cover, ...).
    pub picture_type: u8,
    /// Description.
    pub description: String,
    /// The image bytes.
    pub data: Bytes,
}

/// A chapter (CHAP).
#[derive(Clone, Debug, PartialEq)]
pub struct ChapterFrame {
    /// The element id other frames refer to it by.
    pub element_id: String,
    /// Start and end, milliseconds.
    pub start_ms: u32,
    /// End, milliseconds.
    pub end_ms: u32,
    /// Start byte offset (`0xFFFFFFFF`: unused).
    pub start_offset: u32,
    /// End byte offset (`0xFFFFFFFF`: unused).
    pub end_offset: u32,
    /// Embedded frames (the chapter's title, ...).
    pub frames: Vec<Id3Frame>,
}

/// A table of contents (CTOC).
#[derive(Clone, Debug, PartialEq)]
pub struct TocFrame {
    /// The element id.
    pub element_id: String,
    /// The root of the table.
    pub top_level: bool,
    /// The children are in order.
    pub ordered: bool,
    /// Element ids of the chapters or tables it lists.
    pub children: Vec<String>,
    /// Embedded frames.
    pub frames: Vec<Id3Frame>,
}

/// A frame's content, decoded where muxkit knows the frame.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum FrameContent {
    /// A text frame (`T***` but `TXXX`): one value, or several (v2.4).
    Text {
        /// Encoding.
        encoding: TextEncoding,
        /// The values.
        values: Vec<String>,
    },
    /// TXXX: text with a description.
    UserText {
        /// Encoding.
        encoding: TextEncoding,
        /// Description.
        description: String,
        /// The values.
        values: Vec<String>,
    },
    /// A URL frame (`W***` but `WXXX`).
    Url(String),
    /// WXXX: a URL with a description.
    UserUrl {
        /// Encoding of the description.
        encoding: TextEncoding,
        /// Description.
        description: String,
        /// The URL.
        url: String,
    },
    /// COMM (comment) or USLT (unsynchronised lyrics).
    Comment {
        /// Encoding.
        encoding: TextEncoding,
        /// ISO-639-2 language.
        language: [u8; 3],
        /// Short description.
        description: String,
        /// The text.
        text: String,
    },
    /// APIC / PIC.
    Picture(PictureFrame),
    /// PRIV: owner and private data.
    Private {
        /// Owner identifier (a URL or e-mail).
        owner: String,
        /// The data.
        data: Bytes,
    },
    /// UFID: a unique file identifier.
    UniqueFileId {
        /// Owner identifier.
        owner: String,
        /// The identifier (at most 64 bytes).
        identifier: Bytes,
    },
    /// GEOB: a general encapsulated object.
    Object {
        /// Encoding of the file name and description.
        encoding: TextEncoding,
        /// MIME type.
        mime: String,
        /// File name.
        filename: String,
        /// Description.
        description: String,
        /// The object.
        data: Bytes,
    },
    /// POPM: popularimeter.
    Popularimeter {
        /// The user's e-mail.
        email: String,
        /// Rating 1-255 (0: unknown).
        rating: u8,
        /// Play counter, when present (saturated at `u64::MAX`).
        counter: Option<u64>,
    },
    /// PCNT: play counter (saturated at `u64::MAX`).
    PlayCounter(u64),
    /// CHAP.
    Chapter(ChapterFrame),
    /// CTOC.
    TableOfContents(TocFrame),
    /// An encrypted frame, kept as it is: the method symbol and the data.
    Encrypted {
        /// The method (an ENCR frame's symbol).
        method: u8,
        /// The encrypted bytes.
        data: Bytes,
    },
    /// A frame muxkit does not decode, kept as raw bytes.
    Unknown(Bytes),
    /// A known frame whose body does not decode (bad text, truncated fields), kept raw.
    Undecodable {
        /// The body.
        data: Bytes,
        /// Why it does not decode.
        reason: String,
    },
}

/// The frame kind an id names, v2.2 and v2.3/2.4 alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    UserText,
    Url,
    UserUrl,
    Comment,
    Lyrics,
    Picture,
    Private,
    UniqueFileId,
    Object,
    Popularimeter,
    PlayCounter,
    Chapter,
    Toc,
    Other,
}

fn kind_of(id: &FrameId) -> Kind {
    let s = id.as_str();
    match s {
        "TXXX" | "TXX" => Kind::UserText,
        "WXXX" | "WXX" => Kind::UserUrl,
        "COMM" | "COM" => Kind::Comment,
        "USLT" | "ULT" => Kind::Lyrics,
        "APIC" | "PIC" => Kind::Picture,
        "PRIV" => Kind::Private,
        "UFID" | "UFI" => Kind::UniqueFileId,
        "GEOB" | "GEO" => Kind::Object,
        "POPM" | "POP" => Kind::Popularimeter,
        "PCNT" | "CNT" => Kind::PlayCounter,
        "CHAP" => Kind::Chapter,
        "CTOC" => Kind::Toc,
        _ if s.starts_with('T') => Kind::Text,
        _ if s.starts_with('W') => Kind::Url,
        _ => Kind::Other,
    }
}

/// Reads fields off the front of a frame body, failing with a reason.
struct Fields<'a> {
    data: &'a [u8],
    all: &'a Bytes,
}

impl<'a> Fields<'a> {
    fn encoding(&mut self) -> Result<TextEncoding, String> {
        let (&code, rest) = self.data.split_first().ok_or("empty body")?;
        self.data = rest;
        TextEncoding::from_code(code).ok_or_else(|| format!("text encoding {code} is not 0-3"))
    }

    fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if self.data.len() < n {
            return Err(format!("truncated {what}"));
        }
        let (a, b) = self.data.split_at(n);
        self.data = b;
        Ok(a)
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let b = self.bytes(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A terminated string (or the rest, when unterminated).
    fn string(&mut self, enc: TextEncoding) -> Result<String, String> {
        let (s, rest) = split_terminated(enc, self.data);
        self.data = rest;
        decode(enc, s)
    }

    /// The rest as a zero-copy slice of the body.
    fn rest_bytes(&mut self) -> Bytes {
        let start = self.all.len() - self.data.len();
        self.data = &[];
        self.all.slice(start..)
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}

/// A big-endian counter of 4 or more bytes, saturated at `u64::MAX`.
fn counter(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |acc, &x| {
        acc.checked_mul(256).map_or(u64::MAX, |v| v | u64::from(x))
    })
}

/// The MIME type for a v2.2 PIC image format.
fn mime_of_image_format(f: &[u8]) -> String {
    match f.to_ascii_uppercase().as_slice() {
        b"JPG" => "image/jpeg".into(),
        b"PNG" => "image/png".into(),
        b"GIF" => "image/gif".into(),
        b"BMP" => "image/bmp".into(),
        other => format!(
            "image/{}",
            String::from_utf8_lossy(other).to_ascii_lowercase()
        ),
    }
}

/// Decodes a frame body; a body that does not decode is kept raw with a warning.
pub(crate) fn decode_content(
    ctx: FrameContext,
    id: FrameId,
    data: Bytes,
    offset: usize,
) -> (FrameContent, Option<String>) {
    match decode_known(ctx, id, &data, offset) {
        Ok((content, warning)) => (content, warning),
        Err(reason) => (
            FrameContent::Undecodable {
                data,
                reason: reason.clone(),
            },
            Some(format!(
                "frame {id} at byte {offset}: {reason}: kept as raw bytes"
            )),
        ),
    }
}

fn decode_known(
    ctx: FrameContext,
    id: FrameId,
    all: &Bytes,
    offset: usize,
) -> Result<(FrameContent, Option<String>), String> {
    let mut f = Fields { data: all, all };
    let content = match kind_of(&id) {
        Kind::Text => {
            let encoding = f.encoding()?;
            FrameContent::Text {
                encoding,
                values: decode_values(encoding, f.rest())?,
            }
        }
        Kind::UserText => {
            let encoding = f.encoding()?;
            let description = f.string(encoding)?;
            FrameContent::UserText {
                encoding,
                description,
                values: decode_values(encoding, f.rest())?,
            }
        }
        Kind::Url => FrameContent::Url(f.string(TextEncoding::Latin1)?),
        Kind::UserUrl => {
            let encoding = f.encoding()?;
            let description = f.string(encoding)?;
            FrameContent::UserUrl {
                encoding,
                description,
                url: f.string(TextEncoding::Latin1)?,
            }
        }
        Kind::Comment | Kind::Lyrics => {
            let encoding = f.encoding()?;
            let lang = f.bytes(3, "language")?;
            let description = f.string(encoding)?;
            let text = decode(encoding, split_terminated(encoding, f.rest()).0)?;
            FrameContent::Comment {
                encoding,
                language: [lang[0], lang[1], lang[2]],
                description,
                text,
            }
        }
        Kind::Picture => {
            let encoding = f.encoding()?;
            let mime = if id.is_v22() {
                mime_of_image_format(f.bytes(3, "image format")?)
            } else {
                f.string(TextEncoding::Latin1)?
            };
            let picture_type = f.bytes(1, "picture type")?[0];
            let description = f.string(encoding)?;
            FrameContent::Picture(PictureFrame {
                encoding,
                mime,
                picture_type,
                description,
                data: f.rest_bytes(),
            })
        }
        Kind::Private => FrameContent::Private {
            owner: f.string(TextEncoding::Latin1)?,
            data: f.rest_bytes(),
        },
        Kind::UniqueFileId => {
            let owner = f.string(TextEncoding::Latin1)?;
            let identifier = f.rest_bytes();
            if identifier.len() > 64 {
                return Err(format!(
                    "ufid identifier of {} bytes (at most 64)",
                    identifier.len()
                ));
            }
            FrameContent::UniqueFileId { owner, identifier }
        }
        Kind::Object => {
            let encoding = f.encoding()?;
            FrameContent::Object {
                encoding,
                mime: f.string(TextEncoding::Latin1)?,
                filename: f.string(encoding)?,
                description: f.string(encoding)?,
                data: f.rest_bytes(),
            }
        }
        Kind::Popularimeter => {
            let email = f.string(TextEncoding::Latin1)?;
            let rating = f.bytes(1, "rating")?[0];
            let rest = f.rest();
            if !rest.is_empty() && rest.len() < 4 {
                return Err(format!("play counter of {} bytes (at least 4)", rest.len()));
            }
            FrameContent::Popularimeter {
                email,
                rating,
                counter: (!rest.is_empty()).then(|| counter(rest)),
            }
        }
        Kind::PlayCounter => {
            let rest = f.rest();
            if rest.len() < 4 {
                return Err(format!("play counter of {} bytes (at least 4)", rest.len()));
            }
            FrameContent::PlayCounter(counter(rest))
        }
        Kind::Chapter | Kind::Toc => {
            if ctx.depth >= MAX_FRAME_NESTING {
                return Err(format!(
                    "nested deeper than {MAX_FRAME_NESTING} chapter frames"
                ));
            }
            let element_id = f.string(TextEncoding::Latin1)?;
            let (content, sub) = if kind_of(&id) == Kind::Chapter {
                let start_ms = f.u32("start time")?;
                let end_ms = f.u32("end time")?;
                let start_offset = f.u32("start offset")?;
                let end_offset = f.u32("end offset")?;
                (
                    FrameContent::Chapter(ChapterFrame {
                        element_id,
                        start_ms,
                        end_ms,
                        start_offset,
                        end_offset,
                        frames: Vec::new(),
                    }),
                    f.rest(),
                )
            } else {
                let flags = f.bytes(1, "flags")?[0];
                let count = f.bytes(1, "entry count")?[0];
                let mut children = Vec::with_capacity(usize::from(count));
                for _ in 0..count {
                    children.push(f.string(TextEncoding::Latin1)?);
                }
                (
                    FrameContent::TableOfContents(TocFrame {
                        element_id,
                        top_level: flags & 0x02 != 0,
                        ordered: flags & 0x01 != 0,
                        children,
                        frames: Vec::new(),
                    }),
                    f.rest(),
                )
            };
            let sub_offset = offset + (all.len() - sub.len());
            let mut report = FrameListReport::default();
            let inner = FrameContext {
                depth: ctx.depth + 1,
                ..ctx
            };
            let frames =
                read_frames(inner, sub, sub_offset, &mut report).map_err(|e| e.to_string())?;
            let warning = (!report.warnings.is_empty()).then(|| report.warnings.join("; "));
            let content = match content {
                FrameContent::Chapter(mut c) => {
                    c.frames = frames;
                    FrameContent::Chapter(c)
                }
                FrameContent::TableOfContents(mut t) => {
                    t.frames = frames;
                    FrameContent::TableOfContents(t)
                }
                other => other,
            };
            return Ok((content, warning));
        }
        Kind::Other => FrameContent::Unknown(all.clone()),
    };
    Ok((content, None))
}

/// The v2.4 id for a v2.2 one (the frames whose meaning carried over); `None` for ids v2.4
/// has no equivalent of.
pub(crate) fn v24_id(id: &FrameId) -> Option<FrameId> {
    if !id.is_v22() {
        return Some(*id);
    }
    const MAP: &[(&str, &str)] = &[
        ("BUF", "RBUF"),
        ("CNT", "PCNT"),
        ("COM", "COMM"),
        ("CRA", "AENC"),
        ("ETC", "ETCO"),
        ("GEO", "GEOB"),
        ("IPL", "TIPL"),
        ("LNK", "LINK"),
        ("MCI", "MCDI"),
        ("MLL", "MLLT"),
        ("PIC", "APIC"),
        ("POP", "POPM"),
        ("REV", "RVRB"),
        ("SLT", "SYLT"),
        ("STC", "SYTC"),
        ("TAL", "TALB"),
        ("TBP", "TBPM"),
        ("TCM", "TCOM"),
        ("TCO", "TCON"),
        ("TCR", "TCOP"),
        ("TDY", "TDLY"),
        ("TEN", "TENC"),
        ("TFT", "TFLT"),
        ("TKE", "TKEY"),
        ("TLA", "TLAN"),
        ("TLE", "TLEN"),
        ("TMT", "TMED"),
        ("TOA", "TOPE"),
        ("TOF", "TOFN"),
        ("TOL", "TOLY"),
        ("TOR", "TDOR"),
        ("TOT", "TOAL"),
        ("TP1", "TPE1"),
        ("TP2", "TPE2"),
        ("TP3", "TPE3"),
        ("TP4", "TPE4"),
        ("TPA", "TPOS"),
        ("TPB", "TPUB"),
        ("TRC", "TSRC"),
        ("TRK", "TRCK"),
        ("TSS", "TSSE"),
        ("TT1", "TIT1"),
        ("TT2", "TIT2"),
        ("TT3", "TIT3"),
        ("TXT", "TEXT"),
        ("TXX", "TXXX"),
        ("TYE", "TDRC"),
        ("UFI", "UFID"),
        ("ULT", "USLT"),
        ("WAF", "WOAF"),
        ("WAR", "WOAR"),
        ("WAS", "WOAS"),
        ("WCM", "WCOM"),
        ("WCP", "WCOP"),
        ("WPB", "WPUB"),
        ("WXX", "WXXX"),
    ];
    MAP.iter()
        .find(|(old, _)| *old == id.as_str())
        .and_then(|(_, new)| FrameId::new(new.as_bytes()))
}

/// Writes a v2.4 frame body. Text goes out as UTF-8 (v2.4's own encoding), except in fields
/// the spec fixes to Latin-1 (URLs, MIME types, owners, element ids).
pub(crate) fn encode_content(content: &FrameContent, out: &mut Vec<u8>) {
    const UTF8: TextEncoding = TextEncoding::Utf8;
    const LATIN1: TextEncoding = TextEncoding::Latin1;
    let values = |vals: &[String], out: &mut Vec<u8>| {
        for (i, v) in vals.iter().enumerate() {
            if i > 0 {
                terminate(UTF8, out);
            }
            encode(UTF8, v, out);
        }
    };
    let string = |enc: TextEncoding, s: &str, out: &mut Vec<u8>| {
        encode(enc, s, out);
        terminate(enc, out);
    };
    match content {
        FrameContent::Text { values: v, .. } => {
            out.push(UTF8.code());
            values(v, out);
        }
        FrameContent::UserText {
            description,
            values: v,
            ..
        } => {
            out.push(UTF8.code());
            string(UTF8, description, out);
            values(v, out);
        }
        FrameContent::Url(url) => encode(LATIN1, url, out),
        FrameContent::UserUrl {
            description, url, ..
        } => {
            out.push(UTF8.code());
            string(UTF8, description, out);
            encode(LATIN1, url, out);
        }
        FrameContent::Comment {
            language,
            description,
            text,
            ..
        } => {
            out.push(UTF8.code());
            out.extend_from_slice(language);
            string(UTF8, description, out);
            encode(UTF8, text, out);
        }
        FrameContent::Picture(p) => {
            out.push(UTF8.code());
            string(LATIN1, &p.mime, out);
            out.push(p.picture_type);
            string(UTF8, &p.description, out);
            out.extend_from_slice(&p.data);
        }
        FrameContent::Private { owner, data } => {
            string(LATIN1, owner, out);
            out.extend_from_slice(data);
        }
        FrameContent::UniqueFileId { owner, identifier } => {
            string(LATIN1, owner, out);
            out.extend_from_slice(identifier);
        }
        FrameContent::Object {
            mime,
            filename,
            description,
            data,
            ..
        } => {
            out.push(UTF8.code());
            string(LATIN1, mime, out);
            string(UTF8, filename, out);
            string(UTF8, description, out);
            out.extend_from_slice(data);
        }
        FrameContent::Popularimeter {
            email,
            rating,
            counter,
        } => {
            string(LATIN1, email, out);
            out.push(*rating);
            if let Some(c) = counter {
                write_counter(*c, out);
            }
        }
        FrameContent::PlayCounter(c) => write_counter(*c, out),
        FrameContent::Chapter(c) => {
            string(LATIN1, &c.element_id, out);
            for v in [c.start_ms, c.end_ms, c.start_offset, c.end_offset] {
                out.extend_from_slice(&v.to_be_bytes());
            }
            super::tag::write_frames(&c.frames, out);
        }
        FrameContent::TableOfContents(t) => {
            string(LATIN1, &t.element_id, out);
            out.push((u8::from(t.top_level) << 1) | u8::from(t.ordered));
            let n = t.children.len().min(255);
            out.push(n as u8);
            for child in &t.children[..n] {
                string(LATIN1, child, out);
            }
            super::tag::write_frames(&t.frames, out);
        }
        FrameContent::Encrypted { method, data } => {
            out.push(*method);
            out.extend_from_slice(data);
        }
        FrameContent::Unknown(data) | FrameContent::Undecodable { data, .. } => {
            out.extend_from_slice(data)
        }
    }
}

/// A counter in 4 bytes, or 8 when it needs them (the spec allows growing it a byte at a time).
fn write_counter(c: u64, out: &mut Vec<u8>) {
    match u32::try_from(c) {
        Ok(small) => out.extend_from_slice(&small.to_be_bytes()),
        Err(_) => out.extend_from_slice(&c.to_be_bytes()),
    }
}
