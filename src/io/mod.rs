//! Getting input bytes: a memory-mapped file as one [`Bytes`], or stdin.
//!
//! Demuxers work on `Bytes` so every packet they return can be a zero-copy slice of the input.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::error::{Error, Result};

mod block_pool;
mod block_writer;
mod hand_off;
mod replaced;
mod reserve;
mod staged_dir;
mod stale;
mod swap_file;

pub use staged_dir::StagedDir;

pub use stale::remove_stale_temporaries;
pub use swap_file::{replace_file, swap_path};
mod unmapper;
mod watched;

pub use block_writer::{BLOCK_SIZE, BLOCKS_IN_FLIGHT, BlockWriter, SinkJob};
use reserve::Reservation;

/// Maps `path` read-only and returns its contents as [`Bytes`] that borrow the mapping.
///
/// Empty files are returned as empty `Bytes` (mapping zero bytes is an error on some systems).
/// For reading a large file from start to end prefer [`InputSource::open_file`], whose memory
/// stays flat however large the file.
pub fn map_file(path: &Path) -> Result<Bytes> {
    let (file, len) = open_with_len(path)?;
    map_range(&file, path, 0, len)
}

/// Opens `path` for reading, with its length.
fn open_with_len(path: &Path) -> Result<(File, u64)> {
    let err = |source| Error::File {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(err)?;
    let len = file.metadata().map_err(err)?.len();
    Ok((file, len))
}

/// Maps `len` bytes of `file` from `offset` (a multiple of [`MAP_ALIGN`]) as [`Bytes`].
fn map_range(file: &File, path: &Path, offset: u64, len: u64) -> Result<Bytes> {
    if len == 0 {
        return Ok(Bytes::new());
    }
    let len = usize::try_from(len)
        .map_err(|_| Error::Unsupported(format!("{path:?} is too large to map")))?;
    let mut options = memmap2::MmapOptions::new();
    options.offset(offset).len(len);
    // SAFETY: the mapping is read-only and private to this process. The one hazard of mapping a
    // file is another process truncating or rewriting it while we read; muxkit's inputs are
    // files the user handed us to read, the same contract `ffmpeg -i` has, and zero-copy packets
    // depend on it. The mapping lives as long as the returned Bytes or any slice of it.
    #[allow(unsafe_code)]
    let map = unsafe { options.map(file) }.map_err(|source| Error::File {
        path: path.to_owned(),
        source,
    })?;
    Ok(Bytes::from_owner(unmapper::UnmapOffThread::new(map)))
}

/// Alignment of window offsets: a multiple of every common page size (4 KiB to 64 KiB), as
/// `mmap` requires.
const MAP_ALIGN: u64 = 64 * 1024;

/// Size of one mapped window of an [`InputSource::open_file`] input. A window is unmapped once
/// no packet refers to it any more, so a streaming conversion holds one or two windows however
/// large the file: memory stays flat. Tags larger than this get a window of their own.
pub const MAP_WINDOW: u64 = 16 * 1024 * 1024;

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

/// Where a demuxer's bytes come from: a whole buffer (usually a memory map) or a stream.
///
/// Demuxers read through this so one code path serves files and pipes. From a buffer, every
/// [`InputSource::take`] is a zero-copy slice; from a stream, it reads exactly what was asked
/// for, growing its allocation only as bytes actually arrive (a hostile length field cannot make
/// it allocate memory the input does not back).
pub struct InputSource {
    inner: SourceKind,
    offset: u64,
}

enum SourceKind {
    Buffer(Bytes),
    Mapped(MappedWindows),
    Stream(Box<dyn Read + Send>),
}

/// A file read through successive memory-mapped windows.
struct MappedWindows {
    file: File,
    path: PathBuf,
    len: u64,
    /// The current window and the file offset of its first byte.
    window: Bytes,
    window_start: u64,
}

impl MappedWindows {
    /// `n` bytes at `offset`, from the current window or a new one; `offset + n <= len`.
    fn slice(&mut self, offset: u64, n: usize) -> Result<Bytes> {
        let end = offset + n as u64;
        if offset < self.window_start || end > self.window_start + self.window.len() as u64 {
            let start = offset - offset % MAP_ALIGN;
            let want = (end - start).max(MAP_WINDOW).min(self.len - start);
            self.window = map_range(&self.file, &self.path, start, want)?;
            self.window_start = start;
        }
        let rel = (offset - self.window_start) as usize;
        Ok(self.window.slice(rel..rel + n))
    }
}

/// What [`InputSource::take`] found.
#[derive(Debug)]
pub enum Take {
    /// All the bytes asked for.
    Full(Bytes),
    /// The input ended first: these are the bytes that were left (possibly none).
    Short(Bytes),
}

impl InputSource {
    /// Reads from an in-memory buffer (for instance from [`map_file`]).
    pub fn from_bytes(data: Bytes) -> InputSource {
        InputSource {
            inner: SourceKind::Buffer(data),
            offset: 0,
        }
    }

    /// Reads a file through memory-mapped windows: packets are zero-copy slices, and memory
    /// stays flat however large the file (see [`MAP_WINDOW`]).
    pub fn open_file(path: &Path) -> Result<InputSource> {
        let (file, len) = open_with_len(path)?;
        let windows = MappedWindows {
            file,
            path: path.to_owned(),
            len,
            window: Bytes::new(),
            window_start: 0,
        };
        Ok(InputSource {
            inner: SourceKind::Mapped(windows),
            offset: 0,
        })
    }

    /// Reads from a stream such as stdin or a socket, on demand.
    pub fn from_reader(reader: impl Read + Send + 'static) -> InputSource {
        InputSource {
            inner: SourceKind::Stream(Box::new(reader)),
            offset: 0,
        }
    }

    /// Bytes consumed so far: the byte offset of the next byte in the input.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The total input length, when it is known up front (buffers, not streams).
    pub fn len_hint(&self) -> Option<u64> {
        match &self.inner {
            SourceKind::Buffer(b) => Some(self.offset + b.len() as u64),
            SourceKind::Mapped(m) => Some(m.len),
            SourceKind::Stream(_) => None,
        }
    }

    /// Takes the next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<Take> {
        let taken = match &mut self.inner {
            SourceKind::Buffer(b) => {
                if b.len() >= n {
                    Take::Full(b.split_to(n))
                } else {
                    Take::Short(std::mem::take(b))
                }
            }
            SourceKind::Mapped(m) => {
                let left = m.len.saturating_sub(self.offset);
                if left >= n as u64 {
                    Take::Full(m.slice(self.offset, n)?)
                } else {
                    Take::Short(m.slice(self.offset, left as usize)?)
                }
            }
            SourceKind::Stream(r) => {
                let mut buf = Vec::new();
                r.by_ref()
                    .take(n as u64)
                    .read_to_end(&mut buf)
                    .map_err(|source| Error::Io {
                        context: "reading input",
                        source,
                    })?;
                if buf.len() == n {
                    Take::Full(Bytes::from(buf))
                } else {
                    Take::Short(Bytes::from(buf))
                }
            }
        };
        let got = match &taken {
            Take::Full(b) | Take::Short(b) => b.len(),
        };
        self.offset += got as u64;
        Ok(taken)
    }

    /// Up to `n` bytes starting `ahead` bytes past the current offset, without consuming them;
    /// `None` from a stream, which cannot look ahead (readers fall back to what they can do
    /// without: an FLV reader then cannot resync past garbage).
    pub fn peek(&mut self, ahead: u64, n: usize) -> Result<Option<Bytes>> {
        match &mut self.inner {
            SourceKind::Buffer(b) => {
                let start = ahead.min(b.len() as u64) as usize;
                let end = start.saturating_add(n).min(b.len());
                Ok(Some(b.slice(start..end)))
            }
            SourceKind::Mapped(m) => {
                let start = self.offset.saturating_add(ahead).min(m.len);
                let left = m.len - start;
                let k = (n as u64).min(left) as usize;
                m.slice(start, k).map(Some)
            }
            SourceKind::Stream(_) => Ok(None),
        }
    }

    /// Skips `n` bytes, returning how many were actually skipped.
    pub fn skip(&mut self, n: u64) -> Result<u64> {
        let skipped = match &mut self.inner {
            SourceKind::Buffer(b) => {
                let k = n.min(b.len() as u64) as usize;
                let _ = b.split_to(k);
                k as u64
            }
            SourceKind::Mapped(m) => n.min(m.len.saturating_sub(self.offset)),
            SourceKind::Stream(r) => std::io::copy(&mut r.by_ref().take(n), &mut std::io::sink())
                .map_err(|source| Error::Io {
                context: "reading input",
                source,
            })?,
        };
        self.offset += skipped;
        Ok(skipped)
    }
}

/// Something a muxer can read back and rewrite: a file or an in-memory cursor.
pub trait SeekableSink: Read + Write + Seek {}
impl<T: Read + Write + Seek> SeekableSink for T {}

/// Where a muxer writes. Seekable sinks let a muxer patch header fields (duration, file size)
/// and insert an index once the whole stream is known; pipes simply do without.
pub trait OutputSink: Write {
    /// The sink as a seekable one, when it is.
    fn as_seekable(&mut self) -> Option<&mut dyn SeekableSink> {
        None
    }
}

impl OutputSink for File {
    fn as_seekable(&mut self) -> Option<&mut dyn SeekableSink> {
        Some(self)
    }
}

impl OutputSink for Cursor<Vec<u8>> {
    fn as_seekable(&mut self) -> Option<&mut dyn SeekableSink> {
        Some(self)
    }
}

impl OutputSink for Vec<u8> {}
impl OutputSink for io::Stdout {}
impl OutputSink for io::StdoutLock<'_> {}
impl<W: OutputSink + ?Sized> OutputSink for &mut W {
    fn as_seekable(&mut self) -> Option<&mut dyn SeekableSink> {
        (**self).as_seekable()
    }
}
impl<W: OutputSink + ?Sized> OutputSink for Box<W> {
    fn as_seekable(&mut self) -> Option<&mut dyn SeekableSink> {
        (**self).as_seekable()
    }
}

/// Hides a sink's seekability, so a muxer writes it as it would a pipe.
pub struct Unseekable<W>(pub W);

impl<W: Write> Write for Unseekable<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<W: Write> OutputSink for Unseekable<W> {}

/// A file written under a temporary name in its final folder and renamed into place by
/// [`AtomicFile::commit`]; dropped without a commit, the temporary file is removed. Readers of
/// the final path therefore only ever see a complete file (or the previous one).
///
/// Its blocks are reserved ahead of the writes (`fallocate`, src/io/reserve.rs), which saves the
/// kernel about a third of the work of writing it; what is reserved past the end is released at
/// the commit.
pub struct AtomicFile {
    file: Option<File>,
    temp: PathBuf,
    path: PathBuf,
    /// The file offset: where the next write lands.
    pos: u64,
    reservation: Reservation,
    /// The output this file replaces, its cached pages being dropped meanwhile.
    replaced: replaced::ReplacedOutput,
}

impl AtomicFile {
    /// Creates `.NAME.PID.tmp` next to `path`.
    pub fn create(path: &Path) -> Result<AtomicFile> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)
            // Named by the output the user asked for: the temporary name is ours.
            .map_err(|source| Error::File {
                path: path.to_owned(),
                source,
            })?;
        stale::hold(&file);
        Ok(AtomicFile {
            file: Some(file),
            temp,
            path: path.to_owned(),
            pos: 0,
            reservation: Reservation::default(),
            replaced: replaced::ReplacedOutput::start(path),
        })
    }

    /// The path the file will have once committed.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the file and renames it into place.
    ///
    /// The rename is what makes the output never half-written for a reader. There is no
    /// `fsync`: durability across a power cut is the filesystem's business, as it is for
    /// ffmpeg's outputs, and syncing every output would cost a conversion much of its speed.
    pub fn commit(mut self) -> Result<()> {
        let err = |path: &Path, source| Error::File {
            path: path.to_owned(),
            source,
        };
        if let Some(file) = &self.file {
            self.reservation
                .release(file)
                .map_err(|e| err(&self.path, e))?;
        }
        drop(self.file.take());
        self.replaced.finish();
        fs::rename(&self.temp, &self.path).map_err(|e| {
            // Not renamed: the temporary file would be left behind under its hidden name.
            let _ = fs::remove_file(&self.temp);
            err(&self.path, e)
        })
    }

    fn file(&mut self) -> io::Result<&mut File> {
        self.file.as_mut().ok_or_else(committed)
    }

    /// Puts the output's path in front of what the operating system said, so that "No space
    /// left on device" says which output it is about (the error only costs when it happens).
    fn name_in(&self, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("{}: {e}", self.path.display()))
    }
}

/// The error for using an [`AtomicFile`] after its commit.
fn committed() -> io::Error {
    io::Error::other("atomic file already committed")
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let file = self.file.as_mut().ok_or_else(committed)?;
        self.reservation.before_write(file, self.pos, buf.len());
        let n = file.write(buf).map_err(|e| self.name_in(e))?;
        self.pos += n as u64;
        self.reservation.after_write(self.pos);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        let result = self.file()?.flush();
        result.map_err(|e| self.name_in(e))
    }
}

impl Read for AtomicFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = self.file()?.read(buf);
        let n = result.map_err(|e| self.name_in(e))?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for AtomicFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let result = self.file()?.seek(pos);
        self.pos = result.map_err(|e| self.name_in(e))?;
        Ok(self.pos)
    }
}

impl OutputSink for AtomicFile {
    fn as_seekable(&mut self) -> Option<&mut dyn SeekableSink> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_and_stream_agree() {
        let data: Vec<u8> = (0..=255).collect();
        let mut a = InputSource::from_bytes(Bytes::from(data.clone()));
        let mut b = InputSource::from_reader(std::io::Cursor::new(data));
        for src in [&mut a, &mut b] {
            assert!(
                matches!(src.take(10).unwrap(), Take::Full(x) if x[..] == (0..10).collect::<Vec<u8>>()[..])
            );
            assert_eq!(src.skip(200).unwrap(), 200);
            assert_eq!(src.offset(), 210);
            assert!(matches!(src.take(100).unwrap(), Take::Short(x) if x.len() == 46));
            assert!(matches!(src.take(1).unwrap(), Take::Short(x) if x.is_empty()));
        }
    }

    #[test]
    fn mapped_windows_read_like_a_buffer() {
        let dir = std::env::temp_dir().join(format!("muxkit-windows-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("data.bin");
        let data: Vec<u8> = (0..(MAP_WINDOW as usize * 2 + 12345))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        fs::write(&path, &data).unwrap();
        let mut src = InputSource::open_file(&path).unwrap();
        assert_eq!(src.len_hint(), Some(data.len() as u64));
        let mut pos = 0usize;
        // Steps that straddle window boundaries, a take larger than a window, and skips.
        for (i, step) in [
            100usize,
            MAP_WINDOW as usize - 50,
            100,
            MAP_WINDOW as usize + 3,
            7,
        ]
        .iter()
        .enumerate()
        {
            if i == 4 {
                assert_eq!(src.skip(1000).unwrap(), 1000);
                pos += 1000;
            }
            match src.take(*step).unwrap() {
                Take::Full(b) => assert_eq!(&b[..], &data[pos..pos + step]),
                Take::Short(b) => panic!("short read of {} at {pos}", b.len()),
            }
            pos += step;
        }
        assert!(matches!(src.take(data.len()).unwrap(), Take::Short(b) if b[..] == data[pos..]));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn atomic_file_appears_only_on_commit() {
        let dir = std::env::temp_dir().join(format!("muxkit-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.bin");
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"abc").unwrap();
        assert!(!path.exists());
        f.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"abc");
        let mut g = AtomicFile::create(&dir.join("dropped.bin")).unwrap();
        g.write_all(b"x").unwrap();
        drop(g);
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }
}
