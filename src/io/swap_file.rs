//! Replacing a small file many times (a live playlist, rewritten after every segment) without
//! creating and deleting an inode each time: the new bytes go into one of two hidden swap files
//! beside it, taking turns, and the names are exchanged atomically
//! (`renameat2(RENAME_EXCHANGE)`, Linux 3.15+). A reader opening the name gets the old bytes or
//! the new ones. The inode rewritten is the one the name held two replacements ago, so only a
//! reader that keeps the file open across two later replacements (a playlist is replaced once a
//! segment, seconds apart) could read it being rewritten; a temporary file and a rename would
//! spare even that reader, at an inode created and deleted each time.
//!
//! Why: with a thousand live streams, ext4 spent a fifth of the server's CPU creating inodes
//! (`__ext4_new_inode` skipping the recently deleted ones), half of them for playlist
//! temporaries that were deleted again a moment later. Where the exchange is not available
//! (another OS, a filesystem without it), the file is replaced through a temporary name and a
//! rename, as [`super::AtomicFile`] does.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

use super::AtomicFile;

/// Hidden swap file `slot` (0 or 1) of `path`: `.NAME.swapN` beside it.
pub fn swap_path(path: &Path, slot: u8) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.swap{}", slot & 1))
}

/// Replaces `path` with `bytes` atomically, through swap file `slot` (alternate 0 and 1 from
/// one replacement to the next) when the system can exchange names.
pub fn replace_file(path: &Path, bytes: &[u8], slot: u8) -> Result<()> {
    #[cfg(target_os = "linux")]
    if path.exists() && exchange_in(path, bytes, slot).is_ok() {
        return Ok(());
    }
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes).map_err(|source| Error::File {
        path: path.to_owned(),
        source,
    })?;
    f.commit()
}

#[cfg(target_os = "linux")]
fn exchange_in(path: &Path, bytes: &[u8], slot: u8) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    let swap = swap_path(path, slot);
    // Truncated and rewritten in place: the swap's inode is reused, never a new one.
    std::fs::write(&swap, bytes)?;
    renameat_with(CWD, &swap, CWD, path, RenameFlags::EXCHANGE)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_replaced_many_times_keeps_its_name_and_reuses_three_inodes() {
        let dir = std::env::temp_dir().join(format!("muxkit-swap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("index.m3u8");
        replace_file(&path, b"one", 0).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        for i in 0..5u8 {
            let text = format!("version {i}");
            replace_file(&path, text.as_bytes(), i).unwrap();
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        }
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::fs::MetadataExt;
            // Three inodes take turns: the name and its two swaps; the one rewritten is the
            // one the name held two replacements before.
            let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();
            let a = ino(&path);
            replace_file(&path, b"x", 1).unwrap();
            let b = ino(&path);
            replace_file(&path, b"y", 0).unwrap();
            let c = ino(&path);
            replace_file(&path, b"z", 1).unwrap();
            let d = ino(&path);
            assert!(a != b && b != c && a != c);
            assert_eq!(d, a);
            assert!(swap_path(&path, 0).exists() && swap_path(&path, 1).exists());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
