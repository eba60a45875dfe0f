//! The F4V/MP4 error type.

/// What went wrong reading or writing an ISO BMFF file. Offsets are byte offsets in the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum F4vError {
    /// A box or field ended early.
    #[error("mp4 {what}: truncated at byte {offset}")]
    Truncated {
        /// Which box or field.
        what: String,
        /// Where.
        offset: u64,
    },
    /// A field holds a value the spec forbids or that contradicts another.
    #[error("mp4 {what} at byte {offset}: {reason}")]
    Invalid {
        /// Which box.
        what: String,
        /// Where the box starts.
        offset: u64,
        /// What is wrong, lowercase.
        reason: String,
    },
    /// A count or size exceeds a named limit.
    #[error("mp4 {what} at byte {offset}: {field} of {value} exceeds the limit of {limit}")]
    TooLarge {
        /// Which box.
        what: String,
        /// Which field.
        field: &'static str,
        /// Where.
        offset: u64,
        /// The value.
        value: u64,
        /// The limit.
        limit: u64,
    },
    /// A file without the box every reader needs.
    #[error("mp4: no {0} box")]
    Missing(&'static str),
    /// Media data but no `moov`: a recording whose writer never finished (MP4 writers put the
    /// sample tables at the end when they close the file), so no sample can be located.
    #[error(
        "mp4: no moov box: the recording was never finished (its writer writes moov when it closes the file), so its {mdat_bytes} bytes of media cannot be located"
    )]
    Unfinished {
        /// Bytes of `mdat` present.
        mdat_bytes: u64,
    },
    /// A codec the container cannot carry.
    #[error("mp4: track {track}: codec {codec} cannot be written")]
    UnsupportedCodec {
        /// The track.
        track: u32,
        /// Its codec.
        codec: String,
    },
}

impl F4vError {
    pub(crate) fn invalid(
        what: impl Into<String>,
        offset: u64,
        reason: impl Into<String>,
    ) -> F4vError {
        F4vError::Invalid {
            what: what.into(),
            offset,
            reason: reason.into(),
        }
    }

    pub(crate) fn truncated(what: impl Into<String>, offset: u64) -> F4vError {
        F4vError::Truncated {
            what: what.into(),
            offset,
        }
    }
}
