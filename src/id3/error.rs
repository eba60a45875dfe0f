//! The ID3 error type.

/// What went wrong reading an ID3 tag. Offsets count from the start of the tag (its `I` of
/// `ID3`), or for ID3v1 from the start of its 128 bytes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Id3Error {
    /// The data ended early.
    #[error("id3 {what}: truncated at byte {offset}")]
    Truncated {
        /// Which structure.
        what: &'static str,
        /// Where.
        offset: usize,
    },
    /// A field holds a value the spec forbids.
    #[error("id3 {what}: {reason} at byte {offset}")]
    Invalid {
        /// Which structure.
        what: &'static str,
        /// Where.
        offset: usize,
        /// What is wrong, lowercase.
        reason: String,
    },
    /// A size or count exceeds a named limit ([`super::MAX_FRAMES`], ...).
    #[error("id3 {what}: {field} of {value} exceeds the limit of {limit} at byte {offset}")]
    TooLarge {
        /// Which structure.
        what: &'static str,
        /// Which field.
        field: &'static str,
        /// Where.
        offset: usize,
        /// The value found.
        value: u64,
        /// The largest value accepted.
        limit: u64,
    },
}

impl Id3Error {
    pub(crate) fn invalid(
        what: &'static str,
        offset: usize,
        reason: impl Into<String>,
    ) -> Id3Error {
        Id3Error::Invalid {
            what,
            offset,
            reason: reason.into(),
        }
    }

    /// The same error with its offset moved by `by` (a structure parsed at `by` inside a larger
    /// one).
    pub(crate) fn shifted(self, by: usize) -> Id3Error {
        match self {
            Id3Error::Truncated { what, offset } => Id3Error::Truncated {
                what,
                offset: offset + by,
            },
            Id3Error::Invalid {
                what,
                offset,
                reason,
            } => Id3Error::Invalid {
                what,
                offset: offset + by,
                reason,
            },
            Id3Error::TooLarge {
                what,
                field,
                offset,
                value,
                limit,
            } => Id3Error::TooLarge {
                what,
                field,
                offset: offset + by,
                value,
                limit,
            },
        }
    }
}
