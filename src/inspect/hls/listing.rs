//! A lean reader of media playlist text for the lint: the segments and the header values,
//! line by line. m3u8-rs builds a large structure per segment (half a million segments took
//! 1.7 GB); the lint needs a few fields, and judges the syntax itself (rules.rs).

/// A byte range: length, and the offset when the playlist states it.
pub(crate) type ByteRange = (u64, Option<u64>);

/// One segment as listed.
#[derive(Debug, Default)]
pub(crate) struct ListedSegment {
    pub uri: String,
    /// EXTINF seconds (0 when the value does not parse: rules.rs reports it).
    pub duration: f64,
    pub discontinuity: bool,
    pub byte_range: Option<ByteRange>,
    /// An EXT-X-MAP that starts applying here: its URI and byte range.
    pub map: Option<(String, Option<ByteRange>)>,
    /// The EXT-X-KEY in effect: METHOD, URI and IV as written.
    pub key: Option<ListedKey>,
}

/// An EXT-X-KEY's attributes.
#[derive(Clone, Debug, Default)]
pub(crate) struct ListedKey {
    pub method: String,
    pub uri: Option<String>,
    pub iv: Option<String>,
}

/// What the lint reads from a media playlist.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    pub version: Option<usize>,
    pub target_duration: u64,
    pub media_sequence: u64,
    pub playlist_type: Option<String>,
    pub ended: bool,
    pub independent_segments: bool,
    /// A multivariant playlist's tag was seen.
    pub multivariant: bool,
    pub segments: Vec<ListedSegment>,
}

fn byte_range(s: &str) -> Option<ByteRange> {
    let (len, offset) = match s.split_once('@') {
        Some((l, o)) => (l, Some(o.parse().ok()?)),
        None => (s, None),
    };
    Some((len.parse().ok()?, offset))
}

/// The value of attribute `name` in an attribute list (quoted values unquoted).
pub(crate) fn attribute<'a>(list: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = list;
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], quoted[end + 1..].trim_start_matches(','))
        } else {
            match after.split_once(',') {
                Some((v, t)) => (v, t),
                None => (after, ""),
            }
        };
        if key == name {
            return Some(value);
        }
        rest = tail;
    }
    None
}

/// Reads `text`; never fails (what does not parse is the rules' business).
pub(crate) fn read(text: &str) -> Listing {
    let mut l = Listing::default();
    let mut next = ListedSegment::default();
    let mut key: Option<ListedKey> = None;
    for line in text.lines().map(|l| l.trim_end_matches('\r')) {
        if line.is_empty() {
            continue;
        }
        if !line.starts_with('#') {
            next.uri = line.to_owned();
            next.key.clone_from(&key);
            l.segments.push(std::mem::take(&mut next));
            continue;
        }
        let (tag, value) = line.split_once(':').unwrap_or((line, ""));
        match tag {
            "#EXT-X-VERSION" => l.version = value.parse().ok(),
            "#EXT-X-TARGETDURATION" => l.target_duration = value.parse().unwrap_or(0),
            "#EXT-X-MEDIA-SEQUENCE" => l.media_sequence = value.parse().unwrap_or(0),
            "#EXT-X-PLAYLIST-TYPE" => l.playlist_type = Some(value.to_owned()),
            "#EXT-X-ENDLIST" => l.ended = true,
            "#EXT-X-INDEPENDENT-SEGMENTS" => l.independent_segments = true,
            "#EXT-X-STREAM-INF" | "#EXT-X-I-FRAME-STREAM-INF" => l.multivariant = true,
            "#EXTINF" => {
                next.duration = value
                    .split(',')
                    .next()
                    .and_then(|d| d.parse::<f64>().ok())
                    .filter(|d| d.is_finite() && *d >= 0.0)
                    .unwrap_or(0.0);
            }
            "#EXT-X-DISCONTINUITY" => next.discontinuity = true,
            "#EXT-X-BYTERANGE" => next.byte_range = byte_range(value),
            "#EXT-X-KEY" => {
                let method = attribute(value, "METHOD").unwrap_or("").to_owned();
                key = (method != "NONE").then(|| ListedKey {
                    method,
                    uri: attribute(value, "URI").map(str::to_owned),
                    iv: attribute(value, "IV").map(str::to_owned),
                });
            }
            "#EXT-X-MAP" => {
                next.map = attribute(value, "URI").map(|uri| {
                    let range = attribute(value, "BYTERANGE").and_then(byte_range);
                    (uri.to_owned(), range)
                });
            }
            _ => {}
        }
    }
    l
}
