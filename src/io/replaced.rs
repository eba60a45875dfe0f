//! Making the replacement of a large existing output cost what writing a new one costs.
//!
//! Renaming a finished output over the previous one frees the previous file inside the
//! `rename` call: every page of it still in the page cache is dropped there, about 35 ms for a
//! 618 MB file on ext4, a quarter of the whole conversion (benches/overwrite.sh). The old
//! file's clean pages can be dropped earlier, on another thread while the new output is being
//! written, without touching its contents: `posix_fadvise(DONTNEED)` evicts cached pages only,
//! so a reader of the old output still reads the same bytes (from disk) until the rename.
//! The rename then finds little left to free.
//!
//! Only clean pages can be dropped that way: for dirty ones (an output written moments ago and
//! not yet written back) the advice starts writing them out, work wasted on a file about to be
//! deleted, and the rename then waits for that I/O (a re-run right after the first took twice
//! as long). Whether the old file can still be dirty is read from the kernel's count of dirty
//! and under-writeback memory (`/proc/meminfo`): when it is under a quarter of the old file's
//! size, most of that file is clean.

use std::path::Path;
use std::thread::JoinHandle;

/// Outputs smaller than this are replaced as they are: dropping their pages costs less than a
/// thread.
pub(crate) const EARLY_RELEASE_MIN_BYTES: u64 = 16 << 20;

/// The page cache of an output about to be replaced, being dropped on a thread of its own.
#[derive(Debug, Default)]
pub(crate) struct ReplacedOutput(Option<JoinHandle<()>>);

impl ReplacedOutput {
    /// Starts dropping the cached pages of `path` when it is a regular file of at least
    /// [`EARLY_RELEASE_MIN_BYTES`]; does nothing otherwise (no file, a small one, a platform
    /// without `posix_fadvise`).
    pub(crate) fn start(path: &Path) -> ReplacedOutput {
        // A symbolic link is replaced by the rename, not its target: nothing to drop.
        let len = match std::fs::symlink_metadata(path) {
            Ok(m) if m.is_file() && m.len() >= EARLY_RELEASE_MIN_BYTES => m.len(),
            _ => return ReplacedOutput(None),
        };
        if dirty_bytes().is_none_or(|dirty| dirty >= len / 4) {
            return ReplacedOutput(None);
        }
        let path = path.to_owned();
        let worker = std::thread::Builder::new()
            .name("muxkit-replaced".into())
            .spawn(move || drop_cached_pages(&path));
        ReplacedOutput(worker.ok())
    }

    /// Waits for the pages to be dropped, so the rename that follows has nothing left to free.
    pub(crate) fn finish(&mut self) {
        if let Some(worker) = self.0.take() {
            let _ = worker.join();
        }
    }
}

/// Bytes of file data in memory that is dirty or being written back, system-wide
/// (`Dirty` + `Writeback` of `/proc/meminfo`); `None` where the kernel does not say.
fn dirty_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib = |field: &str| -> Option<u64> {
        let line = meminfo.lines().find(|l| l.starts_with(field))?;
        line[field.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some((kib("Dirty:")? + kib("Writeback:")?) * 1024)
}

#[cfg(target_os = "linux")]
fn drop_cached_pages(path: &Path) {
    // Advice only: a failure leaves the pages to the rename, as before.
    if let Ok(file) = std::fs::File::open(path) {
        let _ = rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed);
    }
}

#[cfg(not(target_os = "linux"))]
fn drop_cached_pages(_path: &Path) {}
