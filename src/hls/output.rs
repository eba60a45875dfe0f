//! Where segments and playlists go: a directory (atomic writes) or memory (tests, embedding).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::keys::{AES_BLOCK, SegmentCipher};
use crate::error::{Error, Result};
use crate::io::AtomicFile;

/// A place an HLS segmenter writes to. Segments are streamed into a writer and committed whole;
/// the playlist is replaced whole. Nothing half-written is ever visible under its final name.
pub trait SegmentStore {
    /// A segment being written.
    type Writer: Write;

    /// Starts the segment `name`.
    fn create(&mut self, name: &str) -> Result<Self::Writer>;

    /// Makes a finished segment visible under its name.
    fn commit(&mut self, writer: Self::Writer) -> Result<()>;

    /// Replaces the playlist `name` with `bytes`, atomically.
    fn write_playlist(&mut self, name: &str, bytes: &[u8]) -> Result<()>;

    /// Deletes a segment that has left a live playlist.
    fn remove(&mut self, name: &str) -> Result<()>;
}

/// What the TS muxer of an [`crate::hls::HlsSegmenter`] writes into: the store and the
/// segment open in it. It lives wherever the muxer's writer does (on a writer thread with
/// write-behind), so opening, committing and deleting segments and rewriting the playlist run
/// in order with the segment bytes: a playlist is written only after the segments it names are
/// committed.
pub(crate) struct StoreSink<S: SegmentStore> {
    pub(crate) store: S,
    open: Option<(String, S::Writer)>,
    /// Every segment goes into one file (`--hls-single-file`): it stays open across
    /// segments and is committed by [`StoreSink::close_single_file`].
    single_file: bool,
    /// Bytes written into the open file.
    written: u64,
    segment_start: u64,
    /// Byte ranges (offset, length) of the single file: the initialization segment, if any,
    /// then each segment.
    pub(crate) init_range: Option<(u64, u64)>,
    pub(crate) ranges: Vec<(u64, u64)>,
    /// AES-128 of the open segment (`--hls-key`).
    cipher: Option<SegmentCipher>,
}

impl<S: SegmentStore> StoreSink<S> {
    pub(crate) fn new(store: S) -> StoreSink<S> {
        StoreSink {
            store,
            open: None,
            single_file: false,
            written: 0,
            segment_start: 0,
            init_range: None,
            ranges: Vec::new(),
            cipher: None,
        }
    }

    /// [`StoreSink::open`], then everything written until [`StoreSink::close`] is encrypted
    /// (AES-128-CBC, PKCS#7) under `key` and `iv`.
    pub(crate) fn open_encrypted(
        &mut self,
        name: String,
        key: [u8; AES_BLOCK],
        iv: [u8; AES_BLOCK],
    ) -> Result<()> {
        self.open(name)?;
        self.cipher = Some(SegmentCipher::new(&key, &iv));
        Ok(())
    }

    /// Writes to the open file as is (not through the segment's cipher).
    fn write_raw(&mut self, data: &[u8]) -> std::io::Result<()> {
        match &mut self.open {
            Some((name, w)) => {
                w.write_all(data)
                    .map_err(|e| SegmentWriteError::wrap(name, e))?;
                self.written += data.len() as u64;
                Ok(())
            }
            None => Err(std::io::Error::other("no segment open")),
        }
    }

    /// Every segment into one file, with byte ranges.
    pub(crate) fn single_file(mut self) -> StoreSink<S> {
        self.single_file = true;
        self
    }

    /// Starts segment `name`; what is written next goes into it. In single-file mode the
    /// file is created once and the segment starts where the last one ended.
    pub(crate) fn open(&mut self, name: String) -> Result<()> {
        if self.single_file && self.open.is_some() {
            self.segment_start = self.written;
            return Ok(());
        }
        let writer = self.store.create(&name)?;
        self.open = Some((name, writer));
        self.written = 0;
        self.segment_start = 0;
        Ok(())
    }

    /// Writes the initialization segment at the start of the single file.
    pub(crate) fn write_init(&mut self, init: &[u8]) -> Result<()> {
        let at = self.written;
        self.write_raw(init).map_err(|source| Error::Io {
            context: "writing the initialization segment",
            source,
        })?;
        self.init_range = Some((at, init.len() as u64));
        self.segment_start = self.written;
        Ok(())
    }

    /// Commits the single file, once every segment is in it.
    pub(crate) fn close_single_file(&mut self) -> Result<()> {
        self.single_file = false;
        self.close()
    }

    /// Drops the open segment unfinished (its temporary file goes with it).
    pub(crate) fn discard(&mut self) {
        self.open = None;
        self.cipher = None;
    }

    /// Flushes and commits the open segment (in single-file mode: notes its byte range).
    pub(crate) fn close(&mut self) -> Result<()> {
        if let Some(c) = self.cipher.take() {
            let last = c.finish();
            self.write_raw(&last).map_err(|source| Error::Io {
                context: "writing a segment's last encrypted block",
                source,
            })?;
        }
        if self.single_file {
            self.ranges
                .push((self.segment_start, self.written - self.segment_start));
            return Ok(());
        }
        let Some((name, mut writer)) = self.open.take() else {
            return Ok(());
        };
        writer.flush().map_err(|source| Error::File {
            path: name.clone().into(),
            source,
        })?;
        self.store.commit(writer).map_err(|e| match e {
            Error::Io { source, .. } => Error::File {
                path: name.into(),
                source,
            },
            other => other,
        })
    }
}

impl<S: SegmentStore> Write for StoreSink<S> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(mut c) = self.cipher.take() {
            let result = self.write_raw(c.update(buf));
            c.consumed();
            self.cipher = Some(c);
            return result.map(|()| buf.len());
        }
        match &mut self.open {
            Some((name, w)) => {
                let n = w.write(buf).map_err(|e| SegmentWriteError::wrap(name, e))?;
                self.written += n as u64;
                Ok(n)
            }
            None => Err(std::io::Error::other("no segment open")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.open {
            Some((name, w)) => w.flush().map_err(|e| SegmentWriteError::wrap(name, e)),
            None => Ok(()),
        }
    }
}

/// A write into a segment failed: carries the segment's name through `io::Error`, so the
/// error the user sees names the file (a full disk says where it stopped).
#[derive(Debug)]
pub(crate) struct SegmentWriteError {
    pub(crate) name: String,
    pub(crate) source: std::io::Error,
}

impl SegmentWriteError {
    fn wrap(name: &str, source: std::io::Error) -> std::io::Error {
        std::io::Error::new(
            source.kind(),
            SegmentWriteError {
                name: name.to_owned(),
                source,
            },
        )
    }

    /// The crate error for a failed segment write: `path: cause` when `e` is one.
    pub(crate) fn name_the_file(e: Error) -> Error {
        match e {
            Error::Io { context, source } => {
                let is_ours = source
                    .get_ref()
                    .is_some_and(|inner| inner.is::<SegmentWriteError>());
                if !is_ours {
                    return Error::Io { context, source };
                }
                match source
                    .into_inner()
                    .map(|b| b.downcast::<SegmentWriteError>())
                {
                    Some(Ok(w)) => Error::File {
                        path: w.name.into(),
                        source: w.source,
                    },
                    _ => Error::Io {
                        context,
                        source: std::io::Error::other("segment write failed"),
                    },
                }
            }
            other => other,
        }
    }
}

impl std::fmt::Display for SegmentWriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name, self.source)
    }
}

impl std::error::Error for SegmentWriteError {}

/// Segments and playlist as files in one folder, each written under a temporary name and
/// renamed into place.
#[derive(Debug, Clone)]
pub struct DirectoryStore {
    dir: PathBuf,
}

impl DirectoryStore {
    /// Writes into `dir`, which must exist.
    pub fn new(dir: &Path) -> DirectoryStore {
        DirectoryStore {
            dir: dir.to_owned(),
        }
    }

    /// Creates `dir` if needed and refuses a folder that already holds files unless `force`:
    /// converting into a folder with other media in it would mix two outputs. Temporary files
    /// a killed run left there are removed first (they are no one's output).
    pub fn prepare(dir: &Path, force: bool) -> Result<DirectoryStore> {
        std::fs::create_dir_all(dir).map_err(|source| Error::File {
            path: dir.to_owned(),
            source,
        })?;
        crate::io::remove_stale_temporaries(dir, None);
        let mut entries = std::fs::read_dir(dir).map_err(|source| Error::File {
            path: dir.to_owned(),
            source,
        })?;
        if !force && entries.next().is_some() {
            return Err(Error::Usage(format!(
                "{}: the output folder holds files (-y writes into it, replacing files of the same names)",
                dir.display()
            )));
        }
        Ok(DirectoryStore::new(dir))
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl SegmentStore for DirectoryStore {
    // Unbuffered: the TS muxer hands over whole blocks already.
    type Writer = AtomicFile;

    fn create(&mut self, name: &str) -> Result<Self::Writer> {
        AtomicFile::create(&self.dir.join(checked_name(name)?))
    }

    fn commit(&mut self, writer: Self::Writer) -> Result<()> {
        writer.commit()
    }

    fn write_playlist(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join(checked_name(name)?);
        let mut f = AtomicFile::create(&path)?;
        f.write_all(bytes).map_err(|source| Error::File {
            path: path.clone(),
            source,
        })?;
        f.commit()
    }

    fn remove(&mut self, name: &str) -> Result<()> {
        let path = self.dir.join(checked_name(name)?);
        std::fs::remove_file(&path).map_err(|source| Error::File { path, source })
    }
}

/// `name` when it is a plain file name, so nothing is ever written outside the store's
/// folder, whatever a segment pattern or playlist name says.
pub(crate) fn checked_name(name: &str) -> Result<&str> {
    let plain = !name.is_empty()
        && !name.contains(['/', '\\'])
        && name != "."
        && name != ".."
        && !name.chars().any(char::is_control);
    if plain {
        Ok(name)
    } else {
        Err(Error::InvalidUse(format!(
            "{name:?} is not a plain file name: hls outputs stay in their folder"
        )))
    }
}

/// Everything in memory: segment name -> bytes, and the playlist.
#[derive(Debug, Default)]
pub struct MemoryStore {
    /// Committed segments.
    pub segments: BTreeMap<String, Vec<u8>>,
    /// The last playlist written, by name.
    pub playlists: BTreeMap<String, Vec<u8>>,
}

/// A segment being written into a [`MemoryStore`].
#[derive(Debug)]
pub struct MemorySegment {
    name: String,
    bytes: Vec<u8>,
}

impl Write for MemorySegment {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SegmentStore for MemoryStore {
    type Writer = MemorySegment;

    fn create(&mut self, name: &str) -> Result<MemorySegment> {
        Ok(MemorySegment {
            name: name.to_owned(),
            bytes: Vec::new(),
        })
    }

    fn commit(&mut self, writer: MemorySegment) -> Result<()> {
        self.segments.insert(writer.name, writer.bytes);
        Ok(())
    }

    fn write_playlist(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.playlists.insert(name.to_owned(), bytes.to_vec());
        Ok(())
    }

    fn remove(&mut self, name: &str) -> Result<()> {
        self.segments.remove(name);
        Ok(())
    }
}
