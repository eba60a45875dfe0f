//! Getting input bytes: a memory-mapped file as one [`Bytes`], or stdin.
//!
//! Demuxers work on `Bytes` so every packet they return can be a zero-copy slice of the input.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use bytes::Bytes;

use crate::error::{Error, Result};

/// Maps `path` read-only and returns its contents as [`Bytes`] that borrow the mapping.
///
/// Empty files are returned as empty `Bytes` (mapping zero bytes is an error on some systems).
pub fn map_file(path: &Path) -> Result<Bytes> {
    let file_err = |source| Error::File {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(file_err)?;
    let len = file.metadata().map_err(file_err)?.len();
    if len == 0 {
        return Ok(Bytes::new());
    }
    // SAFETY: the mapping is read-only and private to this process. The one hazard of mapping
    // a file is another process truncating or rewriting it while we read; muxkit's inputs are
    // files the user handed us to read, the same contract `ffmpeg -i` has, and the speed of
    // zero-copy packets depends on it. The mapping lives as long as the returned Bytes.
    #[allow(unsafe_code)]
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(file_err)?;
    Ok(Bytes::from_owner(map))
}

/// Reads all of `reader` into memory (for inputs that cannot be mapped, such as pipes, when
/// the caller needs the whole input at once).
pub fn read_all(mut reader: impl Read) -> Result<Bytes> {
    let mut buf = Vec::new();
    reader.read_to_end(&mut buf).map_err(|source| Error::Io {
        context: "reading input",
        source,
    })?;
    Ok(Bytes::from(buf))
}
