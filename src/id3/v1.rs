//! ID3v1 and ID3v1.1: 128 bytes at the end of the file, `TAG` first.

use super::error::Id3Error;

/// The ID3v1 genres 0-79 (Winamp's extensions beyond are not part of the standard).
pub const ID3V1_GENRES: [&str; 80] = [
    "Blues",
    "Classic Rock",
    "Country",
    "Dance",
    "Disco",
    "Funk",
    "Grunge",
    "Hip-Hop",
    "Jazz",
    "Metal",
    "New Age",
    "Oldies",
    "Other",
    "Pop",
    "R&B",
    "Rap",
    "Reggae",
    "Rock",
    "Techno",
    "Industrial",
    "Alternative",
    "Ska",
    "Death Metal",
    "Pranks",
    "Soundtrack",
    "Euro-Techno",
    "Ambient",
    "Trip-Hop",
    "Vocal",
    "Jazz+Funk",
    "Fusion",
    "Trance",
    "Classical",
    "Instrumental",
    "Acid",
    "House",
    "Game",
    "Sound Clip",
    "Gospel",
    "Noise",
    "AlternRock",
    "Bass",
    "Soul",
    "Punk",
    "Space",
    "Meditative",
    "Instrumental Pop",
    "Instrumental Rock",
    "Ethnic",
    "Gothic",
    "Darkwave",
    "Techno-Industrial",
    "Electronic",
    "Pop-Folk",
    "Eurodance",
    "Dream",
    "Southern Rock",
    "Comedy",
    "Cult",
    "Gangsta",
    "Top 40",
    "Christian Rap",
    "Pop/Funk",
    "Jungle",
    "Native American",
    "Cabaret",
    "New Wave",
    "Psychadelic",
    "Rave",
    "Showtunes",
    "Trailer",
    "Lo-Fi",
    "Tribal",
    "Acid Punk",
    "Acid Jazz",
    "Polka",
    "Retro",
    "Musical",
    "Rock & Roll",
    "Hard Rock",
];

/// An ID3v1 (or v1.1, with a track number) tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Id3v1Tag {
    /// Title (30 bytes, Latin-1).
    pub title: String,
    /// Artist.
    pub artist: String,
    /// Album.
    pub album: String,
    /// Year (4 characters).
    pub year: String,
    /// Comment (28 bytes in v1.1, 30 in v1).
    pub comment: String,
    /// Track number (v1.1).
    pub track: Option<u8>,
    /// Genre byte (255: none); see [`ID3V1_GENRES`].
    pub genre: u8,
}

impl Id3v1Tag {
    /// Bytes of an ID3v1 tag.
    pub const LEN: usize = 128;

    /// The tag in the last 128 bytes of `data`, if they start with `TAG`.
    pub fn find(data: &[u8]) -> Option<Id3v1Tag> {
        let start = data.len().checked_sub(Self::LEN)?;
        Id3v1Tag::parse(&data[start..]).ok()
    }

    /// Parses 128 bytes.
    pub fn parse(b: &[u8]) -> Result<Id3v1Tag, Id3Error> {
        let b = b.get(..Self::LEN).ok_or(Id3Error::Truncated {
            what: "id3v1 tag",
            offset: b.len(),
        })?;
        if &b[..3] != b"TAG" {
            return Err(Id3Error::invalid("id3v1 tag", 0, "no TAG identifier"));
        }
        let text = |r: std::ops::Range<usize>| -> String {
            let field = &b[r];
            let end = field.iter().position(|&c| c == 0).unwrap_or(field.len());
            field[..end]
                .iter()
                .map(|&c| char::from(c))
                .collect::<String>()
                .trim_end()
                .to_owned()
        };
        // v1.1: a zero byte before a non-zero last comment byte makes that byte the track.
        let v11 = b[125] == 0 && b[126] != 0;
        Ok(Id3v1Tag {
            title: text(3..33),
            artist: text(33..63),
            album: text(63..93),
            year: text(93..97),
            comment: text(97..if v11 { 125 } else { 127 }),
            track: v11.then_some(b[126]),
            genre: b[127],
        })
    }

    /// The genre's name, when it is a standard one.
    pub fn genre_name(&self) -> Option<&'static str> {
        ID3V1_GENRES.get(usize::from(self.genre)).copied()
    }
}
