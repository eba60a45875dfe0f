//! FLV (skeleton).

/// FLV errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlvError {
    /// Not an FLV.
    #[error("not an flv file: signature {found:?} at byte 0")]
    NotFlv {
        /// The first bytes.
        found: [u8; 3],
    },
}
