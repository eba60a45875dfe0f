//! Codec facts the containers need (skeleton).

/// A codec configuration record or header that cannot be parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The data ended early.
    #[error("{what}: truncated at byte {offset}")]
    Truncated {
        /// Which structure.
        what: &'static str,
        /// Where.
        offset: usize,
    },
}
