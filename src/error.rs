//! The crate's one error type, gathering each module's own error enum.
//!
//! Every module reports in its own terms (an AMF error names the byte offset inside the AMF
//! buffer; an FLV error names the tag index and file offset), and [`Error`] wraps them so a
//! caller can match on the format or just print the message.

use std::io;
use std::path::PathBuf;

use crate::amf::AmfError;
use crate::codec::CodecError;
use crate::flv::FlvError;
use crate::id3::Id3Error;
use crate::mp4::F4vError;
use crate::rtmp::RtmpError;
use crate::ts::TsError;

/// Anything muxkit can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Malformed or hostile AMF0/AMF3 data.
    #[error(transparent)]
    Amf(#[from] AmfError),
    /// A codec configuration record or bitstream header that cannot be parsed.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// An FLV file or tag that cannot be read or written.
    #[error(transparent)]
    Flv(#[from] FlvError),
    /// An MPEG-TS stream or structure that cannot be read or written.
    #[error(transparent)]
    Ts(#[from] TsError),
    /// An F4V/MP4 file or box that cannot be read or written.
    #[error(transparent)]
    F4v(#[from] F4vError),
    /// An ID3 tag that cannot be read.
    #[error(transparent)]
    Id3(#[from] Id3Error),
    /// An RTMP peer broke the protocol or a limit.
    #[error(transparent)]
    Rtmp(#[from] RtmpError),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    File {
        /// The file concerned.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// Reading or writing a stream failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// What the operating system said.
        source: io::Error,
    },
    /// Object storage failed (after retries, where a retry could help): the URL, and what
    /// happened in words a user acts on (a missing bucket, refused credentials, a server
    /// that does not answer, an object that changed while it was read).
    #[error("{url}: {message}")]
    Storage {
        /// The object or prefix concerned (`s3://bucket/key`).
        url: String,
        /// What failed and why.
        message: String,
        /// Whether running again later may succeed (a server that did not answer, an object
        /// replaced mid-read): the command line exits 75 for it, 1 otherwise (access denied,
        /// a missing bucket or object).
        transient: bool,
    },
    /// A track whose codec the output container cannot carry.
    #[error("track {track}: codec {codec} cannot be written to {format}")]
    UnsupportedCodec {
        /// The output format ("ts", ...).
        format: &'static str,
        /// The track.
        track: u32,
        /// The codec's name.
        codec: String,
    },
    /// A packet (or track configuration) a muxer cannot turn into its container's form.
    #[error("{format} muxer: track {track}, packet at dts {dts}: {reason}")]
    Mux {
        /// The output format.
        format: &'static str,
        /// The track.
        track: u32,
        /// The packet's decode timestamp in the track's time base (0 for track setup).
        dts: i64,
        /// What is wrong.
        reason: String,
    },
    /// The input's first bytes match no format muxkit reads.
    #[error("{}: unrecognised input format (first bytes {})", input.display(), hex_bytes(head))]
    UnknownInputFormat {
        /// The input as the user named it (`-` for stdin, `<memory>` for a buffer).
        input: PathBuf,
        /// Up to the first 8 bytes.
        head: Vec<u8>,
    },
    /// The input was read but breaks its format's rules (a check that found problems).
    #[error("{0}")]
    InvalidInput(String),
    /// The input is valid but asks for something muxkit does not do.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The user asked for something that cannot be done as asked: an output that already
    /// exists, a folder that is not one, options that do not apply to this input. The
    /// command line exits with status 2 for it, as for a malformed command line.
    #[error("{0}")]
    Usage(String),
    /// The caller broke an API contract (a packet for an undeclared track, ...).
    #[error("invalid use: {0}")]
    InvalidUse(String),
    /// Part of the input would not reach the output, and the caller asked for nothing to be
    /// left out (`--strict`); nothing was committed.
    #[error("{0} (--strict allows no loss)")]
    Lost(Box<crate::loss::Loss>),
    /// The input holds no media the output can take: no track it can carry, or no packet at
    /// all. Nothing was written (an empty output would only hide the problem).
    #[error("nothing to convert: {0}")]
    NoMedia(String),
    /// The work was stopped through a [`crate::remux::Cancel`] (Ctrl-C in `batch`); nothing
    /// it was writing was committed.
    #[error("cancelled")]
    Cancelled,
}

/// `bytes` as one `0x`-prefixed hex number, the way a hex dump shows a file's first bytes
/// (`0x4749463839610100`); `(none)` for an empty input.
pub fn hex_bytes(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "(none: the input is empty)".into();
    }
    let mut s = String::with_capacity(2 + 2 * bytes.len());
    s.push_str("0x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
